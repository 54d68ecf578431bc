//! The network: agreement of the fused LSTM with burn's, shapes, gradients, parameter count.

use burn::module::Module;
use burn::nn::{GateController, LstmConfig, LstmState as BurnState};
use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use melodeon::model::{FusedLstm, LstmState, ModelConfig};
use melodeon::recipe::Recipe;

#[path = "common/fused.rs"]
mod fused;
use fused::fused_from;

fn device() -> Device {
    let device = Device::flex();
    device.seed(7);
    device
}

fn max_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
    (a - b).abs().max().into_scalar::<f32>()
}

#[test]
fn fused_lstm_equals_burns_lstm_on_the_same_weights() {
    let device = device();
    let lstm = LstmConfig::new(10, 16, true).init(&device);
    let fused = fused_from(&lstm);
    let input = Tensor::<3>::random([3, 9, 10], Distribution::Normal(0.0, 1.0), &device);
    let hidden = Tensor::<2>::random([3, 16], Distribution::Normal(0.0, 0.5), &device);
    let cell = Tensor::<2>::random([3, 16], Distribution::Normal(0.0, 0.5), &device);

    let (expected, expected_state) = lstm.forward(
        input.clone(),
        Some(BurnState::new(cell.clone(), hidden.clone())),
    );
    let (actual, actual_state) = fused.forward(input, Some(LstmState { hidden, cell }));

    assert_eq!(actual.dims(), [3, 9, 16]);
    assert!(max_diff(expected, actual) < 1e-5);
    assert!(max_diff(expected_state.hidden, actual_state.hidden) < 1e-5);
    assert!(max_diff(expected_state.cell, actual_state.cell) < 1e-5);
}

#[test]
fn fused_lstm_gradients_equal_burns_lstm_gradients() {
    let device = device().autodiff();
    let lstm = LstmConfig::new(5, 12, true).init(&device);
    let fused = fused_from(&lstm);
    let input =
        Tensor::<3>::random([4, 7, 5], Distribution::Normal(0.0, 1.0), &device).require_grad();
    let hidden =
        Tensor::<2>::random([4, 12], Distribution::Normal(0.0, 0.5), &device).require_grad();
    let cell = Tensor::<2>::random([4, 12], Distribution::Normal(0.0, 0.5), &device).require_grad();
    let mix = Tensor::<3>::random([4, 7, 12], Distribution::Normal(0.0, 1.0), &device);
    let mix_state = Tensor::<2>::random([4, 12], Distribution::Normal(0.0, 1.0), &device);

    let (out, state) = lstm.forward(
        input.clone(),
        Some(BurnState::new(cell.clone(), hidden.clone())),
    );
    let expected = (out * mix.clone()).sum() + (state.cell * mix_state.clone()).sum();
    let expected = expected.backward();
    let (out, state) = fused.forward(
        input.clone(),
        Some(LstmState {
            hidden: hidden.clone(),
            cell: cell.clone(),
        }),
    );
    let actual = (out * mix).sum() + (state.cell * mix_state).sum();
    let actual = actual.backward();

    assert!(max_diff(input.grad(&expected).unwrap(), input.grad(&actual).unwrap()) < 1e-4);
    for tensor in [hidden, cell] {
        assert!(
            max_diff(
                tensor.grad(&expected).unwrap(),
                tensor.grad(&actual).unwrap()
            ) < 1e-4
        );
    }
    let gates: [&GateController; 4] = [
        &lstm.input_gate,
        lstm.forget_gate.as_ref().unwrap(),
        &lstm.output_gate,
        &lstm.cell_gate,
    ];
    let burn_grad = |pick: fn(&GateController) -> Tensor<2>| {
        Tensor::cat(
            gates
                .iter()
                .map(|g| pick(g).grad(&expected).unwrap())
                .collect(),
            1,
        )
    };
    let hidden_weight = burn_grad(|g| g.hidden_transform.weight.val());
    let input_weight = burn_grad(|g| g.input_transform.weight.val());
    assert!(
        max_diff(
            hidden_weight,
            fused.hidden_weight.val().grad(&actual).unwrap()
        ) < 1e-4
    );
    assert!(
        max_diff(
            input_weight,
            fused.input_weight.val().grad(&actual).unwrap()
        ) < 1e-4
    );
}

#[test]
fn one_step_at_a_time_with_carried_state_equals_the_sequence_pass() {
    let device = device();
    let layer = FusedLstm::new(6, 8, &device);
    let input = Tensor::<3>::random([2, 5, 6], Distribution::Normal(0.0, 1.0), &device);
    let (outputs, _) = layer.forward(input.clone(), None);
    let mut state = LstmState::zeros(2, 8, &device);
    for t in 0..5 {
        state = layer.forward(input.clone().narrow(1, t, 1), Some(state)).1;
        let expected = outputs.clone().narrow(1, t, 1).reshape([2, 8]);
        assert!(max_diff(expected, state.hidden.clone()) < 1e-5);
    }
}

#[test]
fn the_seed_network_has_the_seeds_parameter_count() {
    let config = Recipe::Windows.network(38);
    assert_eq!(config.num_params(), 92_362);
    assert_eq!(config.init(&device()).num_params(), 92_362);
    let deep = ModelConfig {
        layers: 2,
        hidden: 64,
        ..Recipe::Windows.network(38)
    };
    assert_eq!(deep.init(&device()).num_params(), deep.num_params());
}

#[test]
fn forward_shapes() {
    let device = device();
    let model = ModelConfig {
        layers: 2,
        ..Recipe::Windows.network(12)
    }
    .init(&device);
    let ids = Tensor::<2, Int>::from_data(
        TensorData::new(vec![1i64, 2, 3, 4, 5, 6, 7, 8], [2, 4]),
        &device,
    );
    let (logits, state) = model.forward(ids.clone(), None, None);
    assert_eq!(logits.dims(), [2, 4, 12]);
    assert_eq!(state.layers.len(), 2);
    assert_eq!(state.layers[1].hidden.dims(), [2, 128]);
    assert_eq!(model.forward_last(ids).dims(), [2, 12]);
    let step_ids = Tensor::<1, Int>::from_data(TensorData::new(vec![3i64, 4], [2]), &device);
    let (step_logits, _) = model.step(step_ids, None, model.initial_state(2, &device));
    assert_eq!(step_logits.dims(), [2, 12]);
}

#[test]
fn the_last_position_of_forward_is_forward_last() {
    let device = device();
    let model = Recipe::Windows.network(9).init(&device);
    let ids =
        Tensor::<2, Int>::from_data(TensorData::new(vec![0i64, 3, 5, 8, 2, 2], [2, 3]), &device);
    let (all, _) = model.forward(ids.clone(), None, None);
    let last = all.narrow(1, 2, 1).reshape([2, 9]);
    assert!(max_diff(last, model.forward_last(ids)) < 1e-5);
}

#[test]
fn every_parameter_gets_a_gradient() {
    let device = device().autodiff();
    let model = ModelConfig {
        layers: 2,
        hidden: 16,
        ..Recipe::Windows.network(7)
    }
    .init(&device);
    let ids =
        Tensor::<2, Int>::from_data(TensorData::new(vec![1i64, 2, 3, 4, 5, 6], [2, 3]), &device);
    let loss = model.forward(ids, None, None).0.powi_scalar(2).mean();
    let grads = loss.backward();
    let lstm = &model.layers[0];
    for weight in [
        &lstm.input_weight,
        &lstm.hidden_weight,
        &model.embedding.weight,
        &model.output.weight,
    ] {
        let grad = weight.val().grad(&grads).expect("gradient");
        assert_eq!(grad.dims(), weight.val().dims());
        assert!(grad.abs().sum().into_scalar::<f32>() > 0.0, "zero gradient");
    }
    for bias in [&lstm.input_bias, &lstm.hidden_bias] {
        assert!(bias.val().grad(&grads).is_some());
    }
}

/// A network with a look-back and a copy head, no dropout.
fn copying(vocab: usize) -> ModelConfig {
    ModelConfig {
        hidden: 16,
        look_back: 8,
        copy: true,
        dropout: 0.0,
        ..Recipe::Windows.network(vocab)
    }
}

fn ids(values: Vec<i64>, shape: [usize; 2]) -> Tensor<2, Int> {
    Tensor::<2, Int>::from_data(TensorData::new(values, shape), &device())
}

#[test]
fn a_song_read_in_chunks_with_its_memory_carried_gives_the_same_scores() {
    let device = device();
    let model = copying(9).init(&device);
    let song = ids(vec![0, 3, 5, 3, 5, 8, 2, 0, 1, 1, 4, 6, 4, 6], [2, 7]);
    let (whole, _) = model.forward(song.clone(), None, None);
    let (first, state) = model.forward(song.clone().narrow(1, 0, 3), None, None);
    let (rest, _) = model.forward(song.narrow(1, 3, 4), None, Some(state));
    assert!(max_diff(whole.clone().narrow(1, 0, 3), first) < 1e-5);
    assert!(max_diff(whole.narrow(1, 3, 4), rest) < 1e-5);
}

#[test]
fn a_copy_head_that_always_copies_proposes_only_tokens_that_followed_earlier_steps() {
    use burn::module::Param;

    let device = device();
    let mut model = copying(9).init(&device);
    let head = model.look_back.as_mut().unwrap().copy.as_mut().unwrap();
    head.gate.bias = Some(Param::from_data(
        TensorData::new(vec![60.0f32], [1]),
        &device,
    ));
    let (scores, _) = model.forward(ids(vec![0, 3, 5, 7], [1, 4]), None, None);
    let p = |t: usize, token: usize| {
        scores
            .clone()
            .narrow(1, t, 1)
            .narrow(2, token, 1)
            .exp()
            .into_scalar::<f32>()
    };
    let total = |t: usize| (0..9).map(|k| p(t, k)).sum::<f32>();
    // The first step has nothing to copy: the output layer's softmax alone.
    assert!((total(0) - 1.0).abs() < 1e-4);
    assert!(p(0, 1) > 1e-3);
    // Step 2 (fed 5) can point at steps 0 and 1, which were followed by 3 and 5; the
    // terminator (0) keeps the output layer's probability.
    assert!(p(2, 0) > 1e-3);
    assert!((p(2, 0) + p(2, 3) + p(2, 5) - 1.0).abs() < 1e-4);
    // Step 3 (fed 7) can also propose 7.
    assert!((p(3, 0) + p(3, 3) + p(3, 5) + p(3, 7) - 1.0).abs() < 1e-4);
    // The terminator's probability is the output layer's, copy head or not.
    let mut plain = model.clone();
    plain.look_back.as_mut().unwrap().copy = None;
    let (logits, _) = plain.forward(ids(vec![0, 3, 5, 7], [1, 4]), None, None);
    let end = burn::tensor::activation::softmax(logits, 2)
        .narrow(1, 2, 1)
        .narrow(2, 0, 1)
        .into_scalar::<f32>();
    assert!((p(2, 0) - end).abs() < 1e-5);
}
