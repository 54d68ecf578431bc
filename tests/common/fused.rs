//! The fused LSTM layer holding burn's `Lstm` weights, for tests (included with `#[path]`).

use burn::module::Param;
use burn::nn::{GateController, Lstm};
use burn::tensor::Tensor;
use melodeon::model::FusedLstm;

/// The fused layer holding exactly the weights of burn's `Lstm` (gate order i, f, o, g).
pub fn fused_from(lstm: &Lstm) -> FusedLstm {
    let gates: [&GateController; 4] = [
        &lstm.input_gate,
        lstm.forget_gate.as_ref().expect("forget gate"),
        &lstm.output_gate,
        &lstm.cell_gate,
    ];
    let weights = |pick: fn(&GateController) -> Tensor<2>| {
        Tensor::cat(gates.iter().map(|g| pick(g)).collect(), 1).detach()
    };
    let biases = |pick: fn(&GateController) -> Tensor<1>| {
        Tensor::cat(gates.iter().map(|g| pick(g)).collect(), 0).detach()
    };
    FusedLstm {
        input_weight: Param::from_tensor(weights(|g| g.input_transform.weight.val())),
        hidden_weight: Param::from_tensor(weights(|g| g.hidden_transform.weight.val())),
        input_bias: Param::from_tensor(biases(|g| g.input_transform.bias.as_ref().unwrap().val())),
        hidden_bias: Param::from_tensor(biases(|g| {
            g.hidden_transform.bias.as_ref().unwrap().val()
        })),
        d_hidden: lstm.d_hidden,
    }
}
