//! Adam with each parameter's update as one operation.
//!
//! burn's `Adam` composes its update from tensor operations: about thirteen per parameter and
//! step (scale, add, square, square root, divide, ...). On a GPU each is a kernel launch, and in
//! the tutorial's small step the launches, not the arithmetic, set the pace: they were most of the
//! step's kernels. Here the moments and the parameter are updated in one pass, as one CubeCL
//! kernel on burn's cubecl backend and one loop on the CPU backends. The arithmetic is burn's,
//! in the same order, and the state is burn's [`AdamState`], so gradient clipping, the module
//! optimizer and saved states work as with burn's `Adam` (`tests/adam.rs` holds the two to the
//! same numbers).

// burn-ndarray is deprecated upstream; Melodeon keeps it as a second CPU backend to compare.
#![allow(deprecated)]

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, NdArray, TensorMetadata, backend_extension};
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamState, AdaptiveMomentumState, LearningRate, ModuleOptimizer, Optimizer};
use burn::tensor::{Device, Tensor};

use crate::model::sequence::{read, tensor};

/// One step's constants of the update, per element `i`:
/// `m₁ ← β₁·m₁ + (1−β₁)·g`, `m₂ ← β₂·m₂ + (1−β₂)·g²`,
/// `p ← p − lr·(m₁·correction / (√m₂ + epsilon))`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Factors {
    /// β₁.
    pub beta_1: f32,
    /// β₂.
    pub beta_2: f32,
    /// The learning rate.
    pub lr: f32,
    /// `√(1−β₂ᵗ) / (1−β₁ᵗ)`: both bias corrections.
    pub correction: f32,
    /// `ε·√(1−β₂ᵗ)`.
    pub epsilon: f32,
}

/// Backends that update a parameter and its Adam moments in one operation.
#[backend_extension(Flex, NdArray, Cube: cfg(feature = "gpu"))]
pub trait AdamBackend: Backend {
    /// The updated parameter, first moment and second moment, from the parameter, its
    /// gradient and the moments before (all of one shape).
    fn adam_update(
        param: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        moment_1: FloatTensor<Self>,
        moment_2: FloatTensor<Self>,
        factors: Factors,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
}

/// Implements [`AdamBackend`] for a backend with its update function.
macro_rules! adam_update_with {
    ($backend:ty, $update:path) => {
        impl AdamBackend for $backend {
            fn adam_update(
                param: FloatTensor<Self>,
                grad: FloatTensor<Self>,
                moment_1: FloatTensor<Self>,
                moment_2: FloatTensor<Self>,
                factors: Factors,
            ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
                $update(param, grad, moment_1, moment_2, factors)
            }
        }
    };
}
// The CPU backends loop over the tensors' values; burn's cubecl backend runs one kernel.
adam_update_with!(Flex, update_on_cpu::<Flex>);
adam_update_with!(NdArray, update_on_cpu::<NdArray>);
#[cfg(feature = "gpu")]
adam_update_with!(burn::backend::Cube, gpu::update);

/// The update of one element: burn's arithmetic, in burn's order.
#[inline]
fn update_one(p: &mut f32, g: f32, m1: &mut f32, m2: &mut f32, f: Factors) {
    *m1 = *m1 * f.beta_1 + g * (1.0 - f.beta_1);
    *m2 = *m2 * f.beta_2 + g * g * (1.0 - f.beta_2);
    let step = *m1 * f.correction / (m2.sqrt() + f.epsilon);
    *p -= step * f.lr;
}

/// The update on a CPU backend, over the tensors' values.
fn update_on_cpu<B: Backend>(
    param: FloatTensor<B>,
    grad: FloatTensor<B>,
    moment_1: FloatTensor<B>,
    moment_2: FloatTensor<B>,
    factors: Factors,
) -> (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>) {
    let shape = param.shape().to_vec();
    let device = param.device();
    let [mut p, g, mut m1, mut m2] = [param, grad, moment_1, moment_2].map(read::<B>);
    for (((p, g), m1), m2) in p.iter_mut().zip(&g).zip(&mut m1).zip(&mut m2) {
        update_one(p, *g, m1, m2, factors);
    }
    let [p, m1, m2] = [p, m1, m2].map(|values| tensor::<B>(values, shape.clone(), &device));
    (p, m1, m2)
}

/// burn's default β₁.
const BETA_1: f32 = 0.9;
/// burn's default β₂.
const BETA_2: f32 = 0.999;

/// Adam (burn's betas, no weight decay, no AMSGrad) with one fused update per parameter.
#[derive(Clone, Debug)]
pub struct FusedAdam {
    epsilon: f32,
}

impl FusedAdam {
    /// Adam with burn's betas and `epsilon`, wrapped for a whole module, with
    /// gradients clipped to the norm `clip` (per parameter, as burn clips) when given.
    pub fn module_optimizer(epsilon: f32, clip: Option<f32>) -> ModuleOptimizer {
        let optim = ModuleOptimizer::from(Self { epsilon });
        match clip {
            Some(norm) => optim.with_grad_clipping(GradientClippingConfig::Norm(norm).init()),
            None => optim,
        }
    }

    /// The constants of step number `time` (from 1).
    fn factors(&self, lr: LearningRate, time: usize) -> Factors {
        let time = time as i32;
        let correction_2 = (1.0 - BETA_2.powi(time)).sqrt();
        Factors {
            beta_1: BETA_1,
            beta_2: BETA_2,
            lr: lr as f32,
            correction: correction_2 / (1.0 - BETA_1.powi(time)),
            epsilon: self.epsilon * correction_2,
        }
    }
}

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let (time, moment_1, moment_2) = match state {
            Some(state) => (
                state.momentum.time + 1,
                state.momentum.moment_1,
                state.momentum.moment_2,
            ),
            None => (1, grad.zeros_like(), grad.zeros_like()),
        };
        let (param, moment_1, moment_2) = <burn::backend::Dispatch as AdamBackend>::adam_update(
            tensor.into_dispatch(),
            grad.into_dispatch(),
            moment_1.into_dispatch(),
            moment_2.into_dispatch(),
            self.factors(lr, time),
        );
        let momentum = AdaptiveMomentumState::new(
            time,
            Tensor::from_dispatch(moment_1),
            Tensor::from_dispatch(moment_2),
        );
        (Tensor::from_dispatch(param), Some(AdamState::new(momentum)))
    }

    fn to_device<const D: usize>(mut state: Self::State<D>, device: &Device) -> Self::State<D> {
        state.momentum = state.momentum.to_device(device);
        state
    }
}

/// The update as one CubeCL kernel: one thread per element.
#[cfg(feature = "gpu")]
mod gpu {
    use burn::tensor::DType;
    use burn_cubecl::kernel::into_contiguous;
    use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
    use burn_cubecl::tensor::CubeTensor;
    use cubecl::prelude::*;

    use super::Factors;

    /// Threads per workgroup.
    const THREADS: usize = 256;

    #[cube(launch_unchecked)]
    #[allow(clippy::too_many_arguments)]
    fn adam_kernel(
        param: &Tensor<f32>,
        grad: &Tensor<f32>,
        moment_1: &Tensor<f32>,
        moment_2: &Tensor<f32>,
        out_param: &mut Tensor<f32>,
        out_moment_1: &mut Tensor<f32>,
        out_moment_2: &mut Tensor<f32>,
        beta_1: f32,
        beta_2: f32,
        lr: f32,
        correction: f32,
        epsilon: f32,
    ) {
        let i = ABSOLUTE_POS;
        if i < param.len() {
            let g = grad[i];
            let m1 = moment_1[i] * beta_1 + g * (1.0 - beta_1);
            let m2 = moment_2[i] * beta_2 + g * g * (1.0 - beta_2);
            let step = m1 * correction / (m2.sqrt() + epsilon);
            out_param[i] = param[i] - step * lr;
            out_moment_1[i] = m1;
            out_moment_2[i] = m2;
        }
    }

    /// See [`super::AdamBackend::adam_update`].
    pub fn update(
        param: CubeTensor,
        grad: CubeTensor,
        moment_1: CubeTensor,
        moment_2: CubeTensor,
        f: Factors,
    ) -> (CubeTensor, CubeTensor, CubeTensor) {
        let shape = param.meta.shape().clone();
        assert!(
            [&grad, &moment_1, &moment_2]
                .iter()
                .all(|t| *t.meta.shape() == shape),
            "Adam's tensors share one shape"
        );
        assert!(
            [&param, &grad, &moment_1, &moment_2]
                .iter()
                .all(|t| t.dtype == DType::F32),
            "the GPU Adam kernel runs in f32"
        );
        let [param, grad, moment_1, moment_2] =
            [param, grad, moment_1, moment_2].map(into_contiguous);
        let [out_param, out_1, out_2] = [(); 3].map(|()| {
            empty_device_contiguous_dtype(
                param.client.clone(),
                param.device.clone(),
                shape.clone(),
                DType::F32,
            )
        });
        let count = shape.num_elements();
        // SAFETY: all seven tensors are contiguous with `count` elements (checked and made
        // above), and each thread touches only index `ABSOLUTE_POS < count`.
        unsafe {
            adam_kernel::launch_unchecked(
                &param.client,
                CubeCount::Static(count.div_ceil(THREADS).max(1) as u32, 1, 1),
                CubeDim::new_1d(THREADS as u32),
                param.clone().into_tensor_arg(),
                grad.into_tensor_arg(),
                moment_1.into_tensor_arg(),
                moment_2.into_tensor_arg(),
                out_param.clone().into_tensor_arg(),
                out_1.clone().into_tensor_arg(),
                out_2.clone().into_tensor_arg(),
                f.beta_1,
                f.beta_2,
                f.lr,
                f.correction,
                f.epsilon,
            );
        }
        (out_param, out_1, out_2)
    }
}
