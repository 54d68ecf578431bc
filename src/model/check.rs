//! The start-up check: a small LSTM forward pass on fixed weights and fixed input.
//!
//! The page runs it on the chosen backend to show the engine works; the browser tests compare
//! its numbers with the native result (`melodeon backend --check`). Weights come from a
//! formula, not a random generator, so every backend gets exactly the same network.

use burn::module::Param;
use burn::nn::{DropoutConfig, Embedding, Linear};
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::lstm::FusedLstm;
use super::network::MelodyModel;
use super::readback;

const VOCAB: usize = 8;
const HIDDEN: usize = 16;
const INPUT: [i64; 12] = [0, 3, 1, 1, 7, 2, 5, 5, 4, 6, 0, 2];

/// Runs the check on `device` and returns the logits at every input position
/// (`12 × 8` values, row-major). Reads the result asynchronously, so it never blocks WebGPU.
pub async fn startup_check(device: &Device) -> Result<Vec<f32>, String> {
    let model = fixed_model(device);
    let ids =
        Tensor::<2, Int>::from_data(TensorData::new(INPUT.to_vec(), [1, INPUT.len()]), device);
    let (logits, _) = model.forward(ids, None, None);
    readback::floats(logits).await
}

/// The fixed network: vocabulary 8, embedding 8, one layer of 16 hidden units.
fn fixed_model(device: &Device) -> MelodyModel {
    MelodyModel {
        embedding: Embedding {
            weight: fixed([VOCAB, VOCAB], 1, device),
        },
        inputs: Vec::new(),
        layers: vec![FusedLstm {
            input_weight: fixed([VOCAB, 4 * HIDDEN], 2, device),
            hidden_weight: fixed([HIDDEN, 4 * HIDDEN], 3, device),
            input_bias: fixed([4 * HIDDEN], 4, device),
            hidden_bias: fixed([4 * HIDDEN], 5, device),
            d_hidden: HIDDEN,
        }],
        dropout: DropoutConfig::new(0.0).init(),
        look_back: None,
        output: Linear {
            weight: fixed([HIDDEN, VOCAB], 6, device),
            bias: Some(fixed([VOCAB], 7, device)),
        },
    }
}

/// A parameter whose values follow `0.5·sin(0.37·k + seed)`, k counting in row-major order.
fn fixed<const D: usize>(shape: [usize; D], seed: u32, device: &Device) -> Param<Tensor<D>> {
    let len = shape.iter().product::<usize>();
    let values: Vec<f32> = (0..len)
        .map(|k| 0.5 * (0.37 * k as f32 + seed as f32).sin())
        .collect();
    Param::from_data(TensorData::new(values, shape), device)
}
