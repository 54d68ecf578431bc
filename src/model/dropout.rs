//! Dropout whose masks are drawn quickly on the CPU.
//!
//! burn's [`Dropout`] draws its Bernoulli mask element by element through a general sampler,
//! a noticeable share of the CPU training step (docs/speed.md). On the CPU backends this draws the same kind of mask
//! from a ChaCha8 stream, sixteen bits an element, seeded from the device's own generator so
//! that a seeded run stays reproducible. Other devices use burn's dropout.

use burn::nn::Dropout;
use burn::tensor::{Distribution, Tensor, TensorData};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::sequence::on_cpu;

/// `input` with each element kept with probability `1 − layer.prob` and scaled by its inverse,
/// while training on an autodiff device; `input` itself otherwise.
pub fn dropout<const D: usize>(layer: &Dropout, input: Tensor<D>) -> Tensor<D> {
    let device = input.device();
    if !on_cpu(&device) {
        return layer.forward(input);
    }
    if !layer.training.is_enabled() || !device.is_autodiff() || layer.prob == 0.0 {
        return input;
    }
    let keep = 1.0 - layer.prob;
    let threshold = (keep * 65_536.0).round() as u32;
    let scale = (1.0 / keep) as f32;
    let shape = input.shape();
    let mut bits = vec![0u8; 2 * shape.num_elements()];
    ChaCha8Rng::seed_from_u64(seed(&device)).fill_bytes(&mut bits);
    // Pairs of bytes as arrays (not slices), so that the compiler vectorises the loop.
    let (pairs, _) = bits.as_chunks::<2>();
    let mask: Vec<f32> = pairs
        .iter()
        .map(|&pair| {
            if u32::from(u16::from_le_bytes(pair)) < threshold {
                scale
            } else {
                0.0
            }
        })
        .collect();
    input * Tensor::from_data(TensorData::new(mask, shape), &device)
}

/// 64 bits from the device's generator (two uniform draws of 32 bits each).
fn seed(device: &burn::tensor::Device) -> u64 {
    let draws = Tensor::<1>::random([2], Distribution::Uniform(0.0, 1.0), device)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap_or_default();
    draws.iter().fold(0u64, |seed, &u| {
        (seed << 32) | (f64::from(u) * 4_294_967_296.0) as u64
    })
}
