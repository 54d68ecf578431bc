//! The LSTM recurrence as CubeCL kernels for burn's cubecl backend, compiled to WGSL: WebGPU
//! in the page's worker, Vulkan, Metal or DX12 natively through wgpu. The GPU counterpart of
//! [`super::kernel`].
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
//!
//! A kernel takes at most seven tensors: WebGPU guarantees eight storage buffers per shader
//! stage, and CubeCL adds one for the tensors' shapes (SwiftShader's limit of ten caught a
//! backward kernel with ten tensors in the browser; lavapipe allows more).

use burn::backend::Cube;
use burn::backend::ops::FloatTensorOps;
use burn::tensor::{DType, Shape, Slice};
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

/// The largest hidden size the kernels take: their workgroup memory, up to six floats per
/// hidden unit, then fits in WebGPU's guaranteed 16 KiB.
pub const MAX_HIDDEN: usize = 512;

/// Threads per workgroup at most (WebGPU guarantees 256).
const MAX_THREADS: usize = 256;

/// Hidden units per thread in the backward kernel's product with Wᵀ.
const BACKWARD_UNITS: usize = 4;

/// Sequences per workgroup at most: each weight read serves them all.
const MAX_ROWS: usize = 8;

/// Workgroups kept at least, where the batch allows: a GPU runs each on one of its many compute
/// units, so fewer would leave most of them idle (the seed's batch of 64 gets 16 workgroups of
/// 4 sequences).
const MIN_WORKGROUPS: usize = 16;

#[cube]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (0.0 - x).exp())
}

/// The batch row that row `r` of this workgroup reads: its own, or the last one where the
/// workgroup runs past the batch (those rows are computed but never written).
#[cube]
fn read_row(first: usize, r: usize, batch: usize) -> usize {
    let mut b = first + r;
    if b >= batch {
        b = batch - 1;
    }
    b
}

/// One workgroup per `rows` sequences: every step's hidden and cell states into `output`, and
/// with `save` the gate activations σ(i), σ(f), σ(o), tanh(g) into `activations`. Each weight
/// read serves all `rows` sequences. The hidden state is double-buffered (read from one half,
/// written to the other), so one barrier per step suffices; each thread keeps its own units'
/// cell state.
#[cube(launch_unchecked)]
#[allow(clippy::too_many_arguments)]
fn forward_kernel(
    gates_in: &Tensor<f32>,
    hidden0: &Tensor<f32>,
    cell0: &Tensor<f32>,
    weight: &Tensor<f32>,
    output: &mut Tensor<f32>,
    activations: &mut Tensor<f32>,
    #[comptime] hidden: usize,
    #[comptime] rows: usize,
    #[comptime] save: bool,
) {
    let batch = hidden0.shape(0);
    let first = CUBE_POS_X as usize * rows;
    let threads = CUBE_DIM_X as usize;
    let seq = gates_in.shape(1);
    let g4 = 4 * hidden;
    let half = rows * hidden;
    // Two halves of [rows, hidden]: the hidden state of even steps, then of odd steps.
    let mut hs = Shared::new_slice(2 * half);
    let mut cs = Shared::new_slice(half);
    let mut j = UNIT_POS_X as usize;
    while j < hidden {
        #[unroll]
        for r in 0..rows {
            let b = read_row(first, r, batch);
            hs[r * hidden + j] = hidden0[b * hidden + j];
            cs[r * hidden + j] = cell0[b * hidden + j];
        }
        j += threads;
    }
    sync_cube();
    for t in 0..seq {
        let from = (t % 2) * half;
        let to = half - from;
        let mut j = UNIT_POS_X as usize;
        while j < hidden {
            let mut acc = Array::<f32>::new(4 * rows);
            #[unroll]
            for r in 0..rows {
                let row = (read_row(first, r, batch) * seq + t) * g4 + j;
                acc[4 * r] = gates_in[row];
                acc[4 * r + 1] = gates_in[row + hidden];
                acc[4 * r + 2] = gates_in[row + 2 * hidden];
                acc[4 * r + 3] = gates_in[row + 3 * hidden];
            }
            for k in 0..hidden {
                let w = k * g4 + j;
                let wi = weight[w];
                let wf = weight[w + hidden];
                let wo = weight[w + 2 * hidden];
                let wg = weight[w + 3 * hidden];
                #[unroll]
                for r in 0..rows {
                    let hk = hs[from + r * hidden + k];
                    acc[4 * r] += hk * wi;
                    acc[4 * r + 1] += hk * wf;
                    acc[4 * r + 2] += hk * wo;
                    acc[4 * r + 3] += hk * wg;
                }
            }
            #[unroll]
            for r in 0..rows {
                let i = sigmoid(acc[4 * r]);
                let f = sigmoid(acc[4 * r + 1]);
                let o = sigmoid(acc[4 * r + 2]);
                let g = acc[4 * r + 3].tanh();
                let c = f * cs[r * hidden + j] + i * g;
                let h = o * c.tanh();
                hs[to + r * hidden + j] = h;
                cs[r * hidden + j] = c;
                let b = first + r;
                if b < batch {
                    let at = (b * seq + t) * 2 * hidden + j;
                    output[at] = h;
                    output[at + hidden] = c;
                    if comptime![save] {
                        let row = (b * seq + t) * g4 + j;
                        activations[row] = i;
                        activations[row + hidden] = f;
                        activations[row + 2 * hidden] = o;
                        activations[row + 3 * hidden] = g;
                    }
                }
            }
            j += threads;
        }
        sync_cube();
    }
}

/// One workgroup per `rows` sequences, in reverse time: the gradients of the gates' input part
/// and of the initial state (`grad_state`: hidden `[batch, h]`, then cell `[batch, h]`).
#[cube(launch_unchecked)]
#[allow(clippy::too_many_arguments)]
fn backward_kernel(
    activations: &Tensor<f32>,
    output: &Tensor<f32>,
    cell0: &Tensor<f32>,
    weight_t: &Tensor<f32>,
    grad_out: &Tensor<f32>,
    grad_gates: &mut Tensor<f32>,
    grad_state: &mut Tensor<f32>,
    #[comptime] hidden: usize,
    #[comptime] rows: usize,
    #[comptime] threads: usize,
    #[comptime] units: usize,
) {
    let batch = cell0.shape(0);
    let first = CUBE_POS_X as usize * rows;
    let seq = output.shape(1);
    let g4 = 4 * hidden;
    let mut dhs = Shared::new_slice(rows * hidden);
    let mut dcs = Shared::new_slice(rows * hidden);
    let mut dgs = Shared::new_slice(rows * g4);
    let mut j = UNIT_POS_X as usize;
    while j < hidden {
        #[unroll]
        for r in 0..rows {
            dhs[r * hidden + j] = 0.0;
            dcs[r * hidden + j] = 0.0;
        }
        j += threads;
    }
    for s in 0..seq {
        let t = seq - 1 - s;
        let mut j = UNIT_POS_X as usize;
        while j < hidden {
            #[unroll]
            for r in 0..rows {
                let b = read_row(first, r, batch);
                let row = (b * seq + t) * g4 + j;
                let at = (b * seq + t) * 2 * hidden + j;
                let i = activations[row];
                let f = activations[row + hidden];
                let o = activations[row + 2 * hidden];
                let g = activations[row + 3 * hidden];
                let mut c_before = cell0[b * hidden + j];
                if t > 0 {
                    c_before = output[at - hidden];
                }
                let tc = output[at + hidden].tanh();
                let dh = grad_out[at] + dhs[r * hidden + j];
                let dc = grad_out[at + hidden] + dcs[r * hidden + j] + dh * o * (1.0 - tc * tc);
                let di = dc * g * i * (1.0 - i);
                let df = dc * c_before * f * (1.0 - f);
                let d_o = dh * tc * o * (1.0 - o);
                let dg = dc * i * (1.0 - g * g);
                dgs[r * g4 + j] = di;
                dgs[r * g4 + hidden + j] = df;
                dgs[r * g4 + 2 * hidden + j] = d_o;
                dgs[r * g4 + 3 * hidden + j] = dg;
                dcs[r * hidden + j] = dc * f;
                if first + r < batch {
                    grad_gates[row] = di;
                    grad_gates[row + hidden] = df;
                    grad_gates[row + 2 * hidden] = d_o;
                    grad_gates[row + 3 * hidden] = dg;
                }
            }
            j += threads;
        }
        sync_cube();
        // dh_{t−1} = dG_t · Wᵀ, each thread for its `units` units: each read of a gate
        // gradient serves all of them, and each read of Wᵀ all rows.
        let mut acc = Array::<f32>::new(rows * units);
        #[unroll]
        for q in 0..rows * units {
            acc[q] = 0.0;
        }
        for m in 0..g4 {
            let mut dg = Array::<f32>::new(rows);
            #[unroll]
            for r in 0..rows {
                dg[r] = dgs[r * g4 + m];
            }
            #[unroll]
            for u in 0..units {
                let j = UNIT_POS_X as usize + u * threads;
                if j < hidden {
                    let w = weight_t[m * hidden + j];
                    #[unroll]
                    for r in 0..rows {
                        acc[r * units + u] += dg[r] * w;
                    }
                }
            }
        }
        #[unroll]
        for u in 0..units {
            let j = UNIT_POS_X as usize + u * threads;
            if j < hidden {
                #[unroll]
                for r in 0..rows {
                    dhs[r * hidden + j] = acc[r * units + u];
                }
            }
        }
        sync_cube();
    }
    let mut j = UNIT_POS_X as usize;
    while j < hidden {
        #[unroll]
        for r in 0..rows {
            let b = first + r;
            if b < batch {
                grad_state[b * hidden + j] = dhs[r * hidden + j];
                grad_state[(batch + b) * hidden + j] = dcs[r * hidden + j];
            }
        }
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

/// Sequences per workgroup and the workgroup count for `batch` sequences of `hidden` units,
/// where a kernel keeps `floats` floats per unit and sequence in workgroup memory: several
/// sequences per workgroup (so that each weight read serves them all) only while
/// [`MIN_WORKGROUPS`] remain, and no more (up to [`MAX_ROWS`]) than fit in WebGPU's guaranteed
/// 16 KiB.
fn workgroups(batch: usize, hidden: usize, floats: usize) -> (usize, CubeCount) {
    let fit = (4096 / (floats * hidden)).clamp(1, MAX_ROWS);
    let rows = fit.min(batch / MIN_WORKGROUPS).max(1);
    (rows, CubeCount::Static(batch.div_ceil(rows) as u32, 1, 1))
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
        h > 0 && h <= MAX_HIDDEN && width == 4 * h,
        "the GPU LSTM kernel takes 1 to {MAX_HIDDEN} hidden units"
    );
    assert_eq!(
        hidden.meta.shape().dims::<2>(),
        [batch, h],
        "initial hidden state"
    );
    assert_eq!(
        cell.meta.shape().dims::<2>(),
        [batch, h],
        "initial cell state"
    );
    assert_eq!(
        weight.meta.shape().dims::<2>(),
        [h, 4 * h],
        "recurrent weights"
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
    let (rows, count) = workgroups(batch, h, 3);
    // Up to MAX_THREADS threads share the units.
    let dim = CubeDim::new_1d(h.min(MAX_THREADS) as u32);
    // SAFETY: every index the kernel reads or writes lies inside the tensors' shapes, which are
    // checked above (contiguous [batch, seq, 4h] gates, [batch, h] states, [h, 4h] weights) and
    // made here; rows past the batch read the last row and write nothing.
    unsafe {
        forward_kernel::launch_unchecked(
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
            rows,
            save,
        );
    }
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
    assert_eq!(
        grad_out.meta.shape().dims::<3>(),
        [batch, seq, 2 * h],
        "output gradient"
    );
    let grad_out = into_contiguous(grad_out);
    let weight_t = into_contiguous(Cube::float_transpose(saved.weight));
    let grad_gates = empty_like(&grad_out, [batch, seq, 4 * h]);
    let grad_state = empty_like(&grad_out, [2, batch, h]);
    let (rows, count) = workgroups(batch, h, 6);
    // Fewer threads than units, each computing BACKWARD_UNITS units' dh per read of dG.
    let threads = h.div_ceil(BACKWARD_UNITS).min(MAX_THREADS);
    let units = h.div_ceil(threads);
    let dim = CubeDim::new_1d(threads as u32);
    // SAFETY: as in `forward`; the saved tensors are the forward pass's own, and `grad_out`
    // has the output's shape (checked above).
    unsafe {
        backward_kernel::launch_unchecked(
            &grad_out.client,
            count,
            dim,
            saved.activations.into_tensor_arg(),
            saved.output.clone().into_tensor_arg(),
            saved.cell.into_tensor_arg(),
            weight_t.into_tensor_arg(),
            grad_out.clone().into_tensor_arg(),
            grad_gates.clone().into_tensor_arg(),
            grad_state.clone().into_tensor_arg(),
            h,
            rows,
            threads,
            units,
        );
    }
    // dW = Σ_t h_{t−1}ᵀ · dG_t: one product over all steps of all sequences, the hidden states
    // before each step being the initial one and the outputs' but the last.
    let steps = batch * seq;
    let earlier = Cube::float_slice(
        saved.output,
        &[Slice::from(..), Slice::from(..seq - 1), Slice::from(..h)],
    );
    let hidden_before = Cube::float_cat(
        vec![
            Cube::float_reshape(saved.hidden, Shape::new([batch, 1, h])),
            earlier,
        ],
        1,
    );
    let grad_weight = Cube::float_matmul(
        Cube::float_transpose(Cube::float_reshape(hidden_before, Shape::new([steps, h]))),
        Cube::float_reshape(grad_gates.clone(), Shape::new([steps, 4 * h])),
    );
    let part = |k: usize| {
        let state = Cube::float_slice(grad_state.clone(), &[Slice::from(k..k + 1)]);
        Cube::float_reshape(state, Shape::new([batch, h]))
    };
    [grad_gates, part(0), part(1), grad_weight]
}
