//! Turning window indices and song chunks into tensors.

use burn::tensor::{Device, Int, Tensor, TensorData};

use super::INPUTS_PER_STEP;
use crate::data::{SongChunk, Windows};

/// Inputs `[batch, seq]` of the windows `indices`.
pub fn inputs(windows: &Windows, indices: &[usize], device: &Device) -> Tensor<2, Int> {
    let seq = windows.sequence_len();
    let ids: Vec<i64> = indices
        .iter()
        .flat_map(|&i| windows.input(i).iter().map(|&id| i64::from(id)))
        .collect();
    Tensor::from_data(TensorData::new(ids, [indices.len(), seq]), device)
}

/// The tutorial's targets: the token after each window, `[batch]`.
pub fn next_targets(windows: &Windows, indices: &[usize]) -> Vec<u32> {
    indices.iter().map(|&i| windows.target(i)).collect()
}

/// Targets at every position from `skip` on (the input shifted by one), flattened to
/// `[batch · (seq − skip)]`.
pub fn all_targets(windows: &Windows, indices: &[usize], skip: usize) -> Vec<u32> {
    indices
        .iter()
        .flat_map(|&i| windows.targets_all(i)[skip..].iter().copied())
        .collect()
}

/// A `[n]` integer tensor of token ids.
pub fn ids(ids: &[u32], device: &Device) -> Tensor<1, Int> {
    Tensor::from_data(TensorData::new(to_i64(ids), [ids.len()]), device)
}

/// Inputs of a song chunk: ids `[rows, len]` and, if conditioned, inputs `[rows, len, inputs]`.
pub fn chunk_inputs(
    chunk: &SongChunk,
    device: &Device,
) -> (Tensor<2, Int>, Option<Tensor<3, Int>>) {
    let ids = Tensor::from_data(
        TensorData::new(to_i64(&chunk.ids), [chunk.rows, chunk.len]),
        device,
    );
    let inputs = (!chunk.inputs.is_empty()).then(|| {
        Tensor::from_data(
            TensorData::new(
                to_i64(&chunk.inputs),
                [chunk.rows, chunk.len, INPUTS_PER_STEP],
            ),
            device,
        )
    });
    (ids, inputs)
}

/// A `[n]` float tensor.
pub fn floats(values: &[f32], device: &Device) -> Tensor<1> {
    Tensor::from_data(TensorData::new(values.to_vec(), [values.len()]), device)
}

fn to_i64(ids: &[u32]) -> Vec<i64> {
    ids.iter().map(|&id| i64::from(id)).collect()
}
