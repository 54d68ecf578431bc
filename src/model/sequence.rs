//! The LSTM recurrence over a whole sequence as one burn operation with a hand-written
//! backward pass (burn's backend-extension API): on the CPU backends through the plain-slice
//! kernel of [`super::kernel`], and with the `gpu` feature on burn's cubecl backend (WebGPU,
//! Vulkan) through the CubeCL kernels of [`super::gpu_kernel`].
//!
//! Composed from ordinary tensor operations, the recurrence costs about forty autodiff graph
//! nodes per time step; burn's bookkeeping of each node, and flex's slow `tanh`, outweighed the
//! arithmetic at the tutorial's sizes on the CPU, and on a GPU every node is a kernel launch. As one
//! operation, the forward pass runs the whole sequence and saves what the backward pass needs;
//! the backward pass computes every step's gate gradients and one large product for the
//! recurrent weights. `tests/model.rs` (CPU) and `tests/wgpu.rs` (wgpu) check outputs and
//! gradients against burn's own `nn::Lstm`.
//!
//! Layout: `gates_in [batch, seq, 4·hidden]` is the input part of the gates (biases included),
//! gate blocks in the order input, forget, output, cell; the output `[batch, seq, 2·hidden]`
//! holds each step's hidden state and cell state side by side.

// burn-ndarray is deprecated upstream; Melodeon keeps it as a second CPU backend to compare.
#![allow(deprecated)]

use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, Ordering};

use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{
    Backend, Dispatch, DispatchDevice, Flex, NdArray, TensorMetadata, backend_extension,
};
use burn::tensor::{Device, Tensor, TensorData};

use super::kernel::{self, Dims};

/// Backends that run the LSTM recurrence as one operation.
#[backend_extension(Flex, NdArray, Cube: cfg(feature = "gpu"), Autodiff)]
pub trait LstmSequenceBackend: Backend {
    /// See [`lstm_sequence`].
    fn lstm_sequence(
        gates_in: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        cell: FloatTensor<Self>,
        hidden_weight: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// The recurrence's forward and backward passes on one plain (non-autodiff) backend.
pub trait LstmKernel: Backend {
    /// What the backward pass needs from the forward pass.
    type Saved: Clone + Debug + Send + Sync + 'static;

    /// The outputs (see [`lstm_sequence`]) and, with `save`, what [`LstmKernel::backward`]
    /// needs.
    fn forward(
        gates_in: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        cell: FloatTensor<Self>,
        hidden_weight: FloatTensor<Self>,
        save: bool,
    ) -> (FloatTensor<Self>, Option<Self::Saved>);

    /// Gradients of `gates_in`, the initial hidden and cell states and the recurrent weights,
    /// from the gradient of the outputs.
    fn backward(saved: Self::Saved, grad_out: FloatTensor<Self>) -> [FloatTensor<Self>; 4];
}

impl<B: LstmKernel> LstmSequenceBackend for B {
    fn lstm_sequence(
        gates_in: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        cell: FloatTensor<Self>,
        hidden_weight: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        B::forward(gates_in, hidden, cell, hidden_weight, false).0
    }
}

/// Implements [`LstmKernel`] for a backend with its forward and backward functions.
macro_rules! lstm_kernel {
    ($backend:ty, $saved:ty, $forward:path, $backward:path) => {
        impl LstmKernel for $backend {
            type Saved = $saved;

            fn forward(
                gates_in: FloatTensor<Self>,
                hidden: FloatTensor<Self>,
                cell: FloatTensor<Self>,
                hidden_weight: FloatTensor<Self>,
                save: bool,
            ) -> (FloatTensor<Self>, Option<Self::Saved>) {
                $forward(gates_in, hidden, cell, hidden_weight, save)
            }

            fn backward(saved: Self::Saved, grad_out: FloatTensor<Self>) -> [FloatTensor<Self>; 4] {
                $backward(saved, grad_out)
            }
        }
    };
}
// The CPU backends run [`super::kernel`] on their tensors' values; burn's cubecl backend runs
// the CubeCL kernels of [`super::gpu_kernel`].
lstm_kernel!(Flex, Saved<Flex>, forward::<Flex>, backward::<Flex>);
lstm_kernel!(
    NdArray,
    Saved<NdArray>,
    forward::<NdArray>,
    backward::<NdArray>
);
#[cfg(feature = "gpu")]
lstm_kernel!(
    burn::backend::Cube,
    super::gpu_kernel::Saved,
    super::gpu_kernel::forward,
    super::gpu_kernel::backward
);

/// Set by benchmarks to time the recurrence composed from tensor operations.
static COMPOSED: AtomicBool = AtomicBool::new(false);

/// Makes [`supported`] answer no everywhere, so that the recurrence is composed from tensor
/// operations (`melodeon bench` times both ways).
pub fn compose_always(on: bool) {
    COMPOSED.store(on, Ordering::Relaxed);
}

/// Whether `device` is one of the CPU backends (with or without autodiff).
pub fn on_cpu(device: &Device) -> bool {
    matches!(
        device.clone().inner().as_dispatch(),
        DispatchDevice::Flex(_) | DispatchDevice::NdArray(_)
    )
}

/// Whether [`lstm_sequence`] runs on `device` for a layer of `hidden` units: the CPU backends,
/// and with the `gpu` feature burn's cubecl backend (up to
/// [`super::gpu_kernel::MAX_HIDDEN`] units).
pub fn supported(device: &Device, hidden: usize) -> bool {
    if COMPOSED.load(Ordering::Relaxed) {
        return false;
    }
    #[cfg(feature = "gpu")]
    if let DispatchDevice::Cube(_) = device.clone().inner().as_dispatch() {
        return hidden <= super::gpu_kernel::MAX_HIDDEN;
    }
    let _ = hidden;
    on_cpu(device)
}

/// Runs the LSTM recurrence from `(hidden, cell)` (`[batch, d_hidden]` each) over the input
/// part of the gates `gates_in: [batch, seq, 4·d_hidden]` with recurrent weights
/// `hidden_weight: [d_hidden, 4·d_hidden]`. Returns `[batch, seq, 2·d_hidden]`: each step's
/// hidden state, then its cell state. Only for devices where [`supported`] is true.
pub fn lstm_sequence(
    gates_in: Tensor<3>,
    hidden: Tensor<2>,
    cell: Tensor<2>,
    hidden_weight: Tensor<2>,
) -> Tensor<3> {
    Tensor::from_dispatch(<Dispatch as LstmSequenceBackend>::lstm_sequence(
        gates_in.into_dispatch(),
        hidden.into_dispatch(),
        cell.into_dispatch(),
        hidden_weight.into_dispatch(),
    ))
}

/// Saved forward state on a CPU backend: the kernel's, the recurrent weights and where to put
/// the gradients.
#[derive(Debug, Clone)]
pub struct Saved<B: Backend> {
    kernel: kernel::Saved,
    weight: Vec<f32>,
    dims: Dims,
    device: B::Device,
}

/// Reads a CPU tensor's values. The CPU backends hand their data over at once, so the
/// future is polled a single time.
pub(crate) fn read<B: Backend>(tensor: FloatTensor<B>) -> Vec<f32> {
    let mut future = std::pin::pin!(B::float_into_data(tensor));
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(Ok(data)) => data
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("f32 data"),
        std::task::Poll::Ready(Err(err)) => panic!("LSTM kernel could not read its input: {err}"),
        std::task::Poll::Pending => panic!("the LSTM kernel runs on the CPU backends only"),
    }
}

/// A tensor of `shape` holding `values` on a CPU backend's `device`.
pub(crate) fn tensor<B: Backend>(
    values: Vec<f32>,
    shape: Vec<usize>,
    device: &B::Device,
) -> FloatTensor<B> {
    B::float_from_data(TensorData::new(values, shape), device)
}

/// The forward recurrence on a CPU backend; with `save`, also what the backward needs.
fn forward<B: Backend>(
    gates_in: FloatTensor<B>,
    hidden: FloatTensor<B>,
    cell: FloatTensor<B>,
    hidden_weight: FloatTensor<B>,
    save: bool,
) -> (FloatTensor<B>, Option<Saved<B>>) {
    let [batch, seq, width] = gates_in.shape().dims::<3>();
    let dims = Dims {
        batch,
        seq,
        hidden: width / 4,
    };
    let device = gates_in.device();
    let weight = read::<B>(hidden_weight);
    let (output, saved) = kernel::forward(
        dims,
        &read::<B>(gates_in),
        &read::<B>(hidden),
        &read::<B>(cell),
        &weight,
        save,
    );
    let output = tensor::<B>(output, vec![batch, seq, 2 * dims.hidden], &device);
    (
        output,
        saved.map(|kernel| Saved {
            kernel,
            weight,
            dims,
            device,
        }),
    )
}

/// Gradients of `gates_in`, the initial hidden and cell states and the recurrent weights.
fn backward<B: Backend>(saved: Saved<B>, grad_out: FloatTensor<B>) -> [FloatTensor<B>; 4] {
    let Dims {
        batch,
        seq,
        hidden: h,
    } = saved.dims;
    let grads = kernel::backward(
        saved.dims,
        &saved.kernel,
        &saved.weight,
        &read::<B>(grad_out),
    );
    let device = &saved.device;
    [
        tensor::<B>(grads.gates_in, vec![batch, seq, 4 * h], device),
        tensor::<B>(grads.hidden, vec![batch, h], device),
        tensor::<B>(grads.cell, vec![batch, h], device),
        tensor::<B>(grads.weight, vec![h, 4 * h], device),
    ]
}

impl<B: LstmKernel, C: CheckpointStrategy> LstmSequenceBackend for Autodiff<B, C> {
    fn lstm_sequence(
        gates_in: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        cell: FloatTensor<Self>,
        hidden_weight: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct SequenceBackward;

        impl<B: LstmKernel> Backward<B, 4> for SequenceBackward {
            type State = B::Saved;

            fn backward(
                self,
                ops: Ops<Self::State, 4>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let grad_out = grads.consume::<B>(&ops.node);
                let computed = B::backward(ops.state, grad_out);
                for (parent, grad) in ops.parents.into_iter().zip(computed) {
                    if let Some(node) = parent {
                        grads.register::<B>(node.id, grad);
                    }
                }
            }
        }

        let parents = [
            gates_in.node(),
            hidden.node(),
            cell.node(),
            hidden_weight.node(),
        ];
        match SequenceBackward
            .prepare::<C>(parents)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (output, saved) = B::forward(
                    gates_in.into_primitive(),
                    hidden.into_primitive(),
                    cell.into_primitive(),
                    hidden_weight.into_primitive(),
                    true,
                );
                prep.finish(saved.expect("saved when asked"), output)
            }
            OpsKind::UnTracked(prep) => prep.finish(
                B::forward(
                    gates_in.into_primitive(),
                    hidden.into_primitive(),
                    cell.into_primitive(),
                    hidden_weight.into_primitive(),
                    false,
                )
                .0,
            ),
        }
    }
}
