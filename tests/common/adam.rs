//! Melodeon's fused Adam against burn's own `Adam`, for tests (included with `#[path]`).

use burn::module::Param;
use burn::nn::{Linear, LinearConfig};
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use melodeon::train::adam::FusedAdam;

/// A `[rows, cols]` tensor of fixed values between -1 and 1 (no random draws: tests share
/// burn's generator across threads).
fn fixed(rows: usize, cols: usize, phase: f32, device: &Device) -> Tensor<2> {
    let values = (0..rows * cols)
        .map(|i| (i as f32 * 0.37 + phase).sin())
        .collect::<Vec<f32>>();
    Tensor::from_data(TensorData::new(values, [rows, cols]), device)
}

/// Trains one small layer for a few steps with `optim` from fixed weights and inputs; returns
/// the weights and the bias after each step.
fn trained(device: &Device, mut optim: ModuleOptimizer) -> Vec<Vec<f32>> {
    let device = device.clone().autodiff();
    let mut layer: Linear = LinearConfig::new(37, 29).init(&device);
    layer.weight = Param::from_tensor(fixed(37, 29, 0.0, &device).mul_scalar(0.2));
    layer.bias = Some(Param::from_tensor(fixed(1, 29, 1.0, &device).flatten(0, 1)));
    let mut seen = Vec::new();
    for step in 0..6 {
        let x = fixed(8, 37, step as f32, &device);
        // Gradients far from one another in size, as clipping and the moments meet them.
        let loss = layer
            .forward(x)
            .powi_scalar(2)
            .sum()
            .mul_scalar(1.0 + step as f32 * 10.0);
        let grads = GradientsParams::from_grads(loss.backward(), &layer);
        layer = optim.step(1e-2, layer, grads);
        for tensor in [
            layer.weight.val().flatten::<1>(0, 1),
            layer.bias.as_ref().expect("bias").val(),
        ] {
            seen.push(tensor.into_data().try_to_vec::<f32>().expect("f32"));
        }
    }
    seen
}

/// The largest difference between burn's `Adam` and the fused one over six steps on `device`,
/// relative to the parameters' size, with gradients clipped to `clip` when given.
pub fn fused_adam_difference(device: &Device, clip: Option<f32>) -> f32 {
    let mut burns = AdamConfig::new().with_epsilon(1e-7);
    if let Some(norm) = clip {
        burns = burns.with_grad_clipping(Some(GradientClippingConfig::Norm(norm)));
    }
    let expected = trained(device, burns.init());
    let fused = trained(device, FusedAdam::module_optimizer(1e-7, clip));
    expected
        .iter()
        .zip(&fused)
        .flat_map(|(a, b)| a.iter().zip(b))
        .map(|(a, b)| (a - b).abs() / a.abs().max(1.0))
        .fold(0.0, f32::max)
}
