//! The LSTM recurrence as CubeCL kernels for burn's cubecl backend: WGSL for WebGPU in the
//! page's worker, SPIR-V for Vulkan natively. The GPU counterpart of [`super::kernel`].
//!
//! Composed from tensor operations, a time step costs about ten kernel launches forward and as
//! many backward, so a GPU waits on launches rather than arithmetic. Here the whole sequence
//! is one launch each way:
//!
//! - **Forward** ([`forward`]): one workgroup per sequence of the batch, looping over the time
//!   steps inside the dispatch with `h` and `c` in workgroup (on-chip) memory. Each thread owns
//!   some hidden units: it computes their four gates from `h` (read by every thread) and the
//!   recurrent weights (read from global memory, coalesced across threads), then their new
//!   `c` and `h`. Two barriers per step separate reading `h` from writing it.
//! - **Backward** ([`backward`]): the same shape in reverse time; the gate gradients of a step
//!   sit in workgroup memory while each thread forms its units' `dh` from them and `Wᵀ`.
//! - The input part of the gates (one product for all steps) is computed before, by
//!   [`super::FusedLstm::input_gates`]; the recurrent weights' gradient after, as one large
//!   product `Σ_t h_{t−1}ᵀ · dG_t` over all steps.
//!
//! Layouts are those of [`super::sequence`]: gate blocks in the order input, forget, output,
//! cell; the output holds each step's hidden and cell states side by side.

use burn::backend::Cube;
use burn::backend::ops::FloatTensorOps;
use burn::tensor::{DType, Shape};
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

/// The largest hidden size the kernels take: their workgroup memory, six floats per hidden
/// unit, then fits in WebGPU's guaranteed 16 KiB.
pub const MAX_HIDDEN: usize = 512;

/// Threads per workgroup at most (WebGPU guarantees 256).
const MAX_THREADS: usize = 256;

#[cube]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (0.0 - x).exp())
}

/// One workgroup per sequence: every step's hidden and cell states into `output`, and with
/// `save` the gate activations σ(i), σ(f), σ(o), tanh(g) into `activations`.
#[cube(launch)]
fn forward_kernel(
    gates_in: &Tensor<f32>,
    hidden0: &Tensor<f32>,
    cell0: &Tensor<f32>,
    weight: &Tensor<f32>,
    output: &mut Tensor<f32>,
    activations: &mut Tensor<f32>,
    #[comptime] hidden: usize,
    #[comptime] save: bool,
) {
    let b = CUBE_POS_X as usize;
    let threads = CUBE_DIM_X as usize;
    let seq = gates_in.shape(1);
    let g4 = 4 * hidden;
    // [h | c | pre-activation gates, 4h]
    let mut state = Shared::new_slice(6 * hidden);
    let mut j = UNIT_POS_X as usize;
    while j < hidden {
        state[j] = hidden0[b * hidden + j];
        state[hidden + j] = cell0[b * hidden + j];
        j += threads;
    }
    sync_cube();
    for t in 0..seq {
        let row = (b * seq + t) * g4;
        let mut j = UNIT_POS_X as usize;
        while j < hidden {
            let mut gi = gates_in[row + j];
            let mut gf = gates_in[row + hidden + j];
            let mut go = gates_in[row + 2 * hidden + j];
            let mut gg = gates_in[row + 3 * hidden + j];
            for k in 0..hidden {
                let hk = state[k];
                let w = k * g4 + j;
                gi += hk * weight[w];
                gf += hk * weight[w + hidden];
                go += hk * weight[w + 2 * hidden];
                gg += hk * weight[w + 3 * hidden];
            }
            state[2 * hidden + j] = gi;
            state[3 * hidden + j] = gf;
            state[4 * hidden + j] = go;
            state[5 * hidden + j] = gg;
            j += threads;
        }
        sync_cube();
        let at = (b * seq + t) * 2 * hidden;
        let mut j = UNIT_POS_X as usize;
        while j < hidden {
            let i = sigmoid(state[2 * hidden + j]);
            let f = sigmoid(state[3 * hidden + j]);
            let o = sigmoid(state[4 * hidden + j]);
            let g = state[5 * hidden + j].tanh();
            let c = f * state[hidden + j] + i * g;
            let h = o * c.tanh();
            state[j] = h;
            state[hidden + j] = c;
            output[at + j] = h;
            output[at + hidden + j] = c;
            if comptime![save] {
                activations[row + j] = i;
                activations[row + hidden + j] = f;
                activations[row + 2 * hidden + j] = o;
                activations[row + 3 * hidden + j] = g;
            }
            j += threads;
        }
        sync_cube();
    }
}

/// One workgroup per sequence, in reverse time: the gradients of the gates' input part, of
/// the initial state, and each step's previous hidden state (for the weight gradient).
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
fn backward_kernel(
    activations: &Tensor<f32>,
    output: &Tensor<f32>,
    hidden0: &Tensor<f32>,
    cell0: &Tensor<f32>,
    weight_t: &Tensor<f32>,
    grad_out: &Tensor<f32>,
    grad_gates: &mut Tensor<f32>,
    hidden_before: &mut Tensor<f32>,
    grad_hidden0: &mut Tensor<f32>,
    grad_cell0: &mut Tensor<f32>,
    #[comptime] hidden: usize,
) {
    let b = CUBE_POS_X as usize;
    let threads = CUBE_DIM_X as usize;
    let seq = output.shape(1);
    let g4 = 4 * hidden;
    // [dh | dc | gate gradients, 4h]
    let mut state = Shared::new_slice(6 * hidden);
    let mut j = UNIT_POS_X as usize;
    while j < hidden {
        state[j] = 0.0;
        state[hidden + j] = 0.0;
        j += threads;
    }
    for s in 0..seq {
        let t = seq - 1 - s;
        let row = (b * seq + t) * g4;
        let at = (b * seq + t) * 2 * hidden;
        let mut j = UNIT_POS_X as usize;
        while j < hidden {
            let i = activations[row + j];
            let f = activations[row + hidden + j];
            let o = activations[row + 2 * hidden + j];
            let g = activations[row + 3 * hidden + j];
            let mut c_before = cell0[b * hidden + j];
            let mut h_before = hidden0[b * hidden + j];
            if t > 0 {
                c_before = output[at - 2 * hidden + hidden + j];
                h_before = output[at - 2 * hidden + j];
            }
            hidden_before[(b * seq + t) * hidden + j] = h_before;
            let tc = output[at + hidden + j].tanh();
            let dh = grad_out[at + j] + state[j];
            let dc = grad_out[at + hidden + j] + state[hidden + j] + dh * o * (1.0 - tc * tc);
            let di = dc * g * i * (1.0 - i);
            let df = dc * c_before * f * (1.0 - f);
            let d_o = dh * tc * o * (1.0 - o);
            let dg = dc * i * (1.0 - g * g);
            state[2 * hidden + j] = di;
            state[3 * hidden + j] = df;
            state[4 * hidden + j] = d_o;
            state[5 * hidden + j] = dg;
            grad_gates[row + j] = di;
            grad_gates[row + hidden + j] = df;
            grad_gates[row + 2 * hidden + j] = d_o;
            grad_gates[row + 3 * hidden + j] = dg;
            state[hidden + j] = dc * f;
            j += threads;
        }
        sync_cube();
        // dh_{t−1} = dG_t · Wᵀ, each thread for its own units.
        let mut j = UNIT_POS_X as usize;
        while j < hidden {
            let mut sum = 0.0;
            for m in 0..g4 {
                sum += state[2 * hidden + m] * weight_t[m * hidden + j];
            }
            state[j] = sum;
            j += threads;
        }
        sync_cube();
    }
    let mut j = UNIT_POS_X as usize;
    while j < hidden {
        grad_hidden0[b * hidden + j] = state[j];
        grad_cell0[b * hidden + j] = state[hidden + j];
        j += threads;
    }
}

/// What [`backward`] needs from [`forward`].
#[derive(Clone, Debug)]
pub struct Saved {
    activations: CubeTensor,
    output: CubeTensor,
    hidden: CubeTensor,
    cell: CubeTensor,
    weight: CubeTensor,
}

/// A contiguous f32 tensor of `shape` on `like`'s device, its contents undefined.
fn empty_like(like: &CubeTensor, shape: impl Into<Shape>) -> CubeTensor {
    empty_device_contiguous_dtype(
        like.client.clone(),
        like.device.clone(),
        shape.into(),
        DType::F32,
    )
}

/// One workgroup per sequence, with up to [`MAX_THREADS`] threads sharing its hidden units.
fn launch_shape(batch: usize, hidden: usize) -> (CubeCount, CubeDim) {
    (
        CubeCount::Static(batch as u32, 1, 1),
        CubeDim::new_1d(hidden.min(MAX_THREADS) as u32),
    )
}

/// The recurrence from `(hidden, cell)` (`[batch, h]` each) over `gates_in [batch, seq, 4h]`
/// with recurrent weights `weight [h, 4h]`: `[batch, seq, 2h]`, and with `save` what
/// [`backward`] needs. f32 only, `h` ≤ [`MAX_HIDDEN`].
pub fn forward(
    gates_in: CubeTensor,
    hidden: CubeTensor,
    cell: CubeTensor,
    weight: CubeTensor,
    save: bool,
) -> (CubeTensor, Option<Saved>) {
    let [batch, seq, width] = gates_in.meta.shape().dims::<3>();
    let h = width / 4;
    assert!(
        h <= MAX_HIDDEN,
        "the GPU LSTM kernel takes up to {MAX_HIDDEN} hidden units"
    );
    assert!(
        [&gates_in, &hidden, &cell, &weight]
            .iter()
            .all(|t| t.dtype == DType::F32),
        "the GPU LSTM kernel runs in f32"
    );
    let [gates_in, hidden, cell, weight] = [gates_in, hidden, cell, weight].map(into_contiguous);
    let output = empty_like(&gates_in, [batch, seq, 2 * h]);
    let activations = if save {
        empty_like(&gates_in, [batch, seq, 4 * h])
    } else {
        empty_like(&gates_in, [1])
    };
    let (count, dim) = launch_shape(batch, h);
    forward_kernel::launch(
        &gates_in.client,
        count,
        dim,
        gates_in.clone().into_tensor_arg(),
        hidden.clone().into_tensor_arg(),
        cell.clone().into_tensor_arg(),
        weight.clone().into_tensor_arg(),
        output.clone().into_tensor_arg(),
        activations.clone().into_tensor_arg(),
        h,
        save,
    );
    let saved = save.then(|| Saved {
        activations,
        output: output.clone(),
        hidden,
        cell,
        weight,
    });
    (output, saved)
}

/// Gradients of `gates_in`, the initial hidden and cell states and the recurrent weights,
/// from the gradient of the output `grad_out [batch, seq, 2h]`.
pub fn backward(saved: Saved, grad_out: CubeTensor) -> [CubeTensor; 4] {
    let [batch, seq, width] = saved.output.meta.shape().dims::<3>();
    let h = width / 2;
    let grad_out = into_contiguous(grad_out);
    let weight_t = into_contiguous(Cube::float_transpose(saved.weight));
    let grad_gates = empty_like(&grad_out, [batch, seq, 4 * h]);
    let hidden_before = empty_like(&grad_out, [batch, seq, h]);
    let grad_hidden = empty_like(&grad_out, [batch, h]);
    let grad_cell = empty_like(&grad_out, [batch, h]);
    let (count, dim) = launch_shape(batch, h);
    backward_kernel::launch(
        &grad_out.client,
        count,
        dim,
        saved.activations.into_tensor_arg(),
        saved.output.into_tensor_arg(),
        saved.hidden.into_tensor_arg(),
        saved.cell.into_tensor_arg(),
        weight_t.into_tensor_arg(),
        grad_out.clone().into_tensor_arg(),
        grad_gates.clone().into_tensor_arg(),
        hidden_before.clone().into_tensor_arg(),
        grad_hidden.clone().into_tensor_arg(),
        grad_cell.clone().into_tensor_arg(),
        h,
    );
    // dW = Σ_t h_{t−1}ᵀ · dG_t: one product over all steps of all sequences.
    let rows = batch * seq;
    let grad_weight = Cube::float_matmul(
        Cube::float_transpose(Cube::float_reshape(hidden_before, Shape::new([rows, h]))),
        Cube::float_reshape(grad_gates.clone(), Shape::new([rows, 4 * h])),
    );
    [grad_gates, grad_hidden, grad_cell, grad_weight]
}
