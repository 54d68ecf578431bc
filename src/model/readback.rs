//! Reading tensor data back to the CPU without blocking.
//!
//! WebGPU in the page cannot block, so every read in Melodeon goes through burn's async
//! readers; natively the futures complete at once (`pollster` drives them in the CLI).

use burn::tensor::{Int, Tensor};

/// Reads a float tensor as `f32`s, row-major.
pub async fn floats<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, String> {
    let data = tensor.into_data_async().await.map_err(|e| e.to_string())?;
    data.convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| format!("{e:?}"))
}

/// Reads an integer tensor as `i64`s, row-major.
pub async fn ints<const D: usize>(tensor: Tensor<D, Int>) -> Result<Vec<i64>, String> {
    let data = tensor.into_data_async().await.map_err(|e| e.to_string())?;
    data.convert::<i64>()
        .try_to_vec::<i64>()
        .map_err(|e| format!("{e:?}"))
}

/// Reads a one-element float tensor (a loss) as `f64`.
pub async fn scalar(tensor: Tensor<1>) -> Result<f64, String> {
    floats(tensor)
        .await?
        .first()
        .map(|&value| f64::from(value))
        .ok_or_else(|| "empty tensor".to_string())
}
