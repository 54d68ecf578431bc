//! The LSTM recurrence as CubeCL kernels for burn's cubecl backend, compiled to WGSL: WebGPU
//! in the page's worker, Vulkan, Metal or DX12 natively through wgpu. The GPU counterpart of
//! [`super::kernel`].
//!
//! Composed from tensor operations, a time step costs about ten kernel launches forward and as
//! many backward, so a GPU waits on launches rather than arithmetic. Here the whole sequence
//! is one launch each way:
//!
//! - **Forward** ([`forward`]): one workgroup per few sequences of the batch, looping over the
//!   time steps inside the dispatch with `h` in workgroup (on-chip) memory and each unit's `c`
//!   in its thread. A thread owns a hidden unit and reads its four gates' recurrent weights as
//!   one 16-byte vector per input unit (the weights re-laid out once per launch, so that
//!   neighbouring threads read neighbouring vectors), several loads in flight at a time. Where
//!   threads remain (128 units or fewer) each unit's sum over `h` is split between two threads
//!   and added in workgroup memory: twice the threads to hide the loads' latency. The input
//!   part of the next step's gates is fetched while this step's sums run.
//! - **Backward** ([`backward`]): the same shape in reverse time. The step's gate gradients
//!   are formed by all threads into workgroup memory (as one vector per unit), then each
//!   thread forms its unit's `dh` from them and the weights, laid out for that direction.
//! - The input part of the gates (one product for all steps) is computed before, by
//!   [`super::FusedLstm::input_gates`]; the recurrent weights' gradient after, as one large
//!   product `Σ_t h_{t−1}ᵀ · dG_t` over all steps.
//!
//! Layouts are those of [`super::sequence`]: gate blocks in the order input, forget, output,
//! cell; the output holds each step's hidden and cell states side by side.
//!
//! A kernel takes at most seven tensors: WebGPU guarantees eight storage buffers per shader
//! stage, and CubeCL adds one for the tensors' shapes (SwiftShader's limit of ten caught a
//! backward kernel with ten tensors in the browser; lavapipe allows more). Workgroup memory
//! stays within WebGPU's guaranteed 16 KiB and workgroups within its 256 threads.

use std::sync::Mutex;

use burn::backend::Cube;
use burn::backend::ops::FloatTensorOps;
use burn::tensor::{DType, Shape, Slice};
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

/// The largest hidden size the kernels take: their workgroup memory, up to seven floats per
/// hidden unit and sequence, then fits in WebGPU's guaranteed 16 KiB.
pub const MAX_HIDDEN: usize = 512;

/// Threads per workgroup at most (WebGPU guarantees 256).
const MAX_THREADS: usize = 256;

/// Floats of workgroup memory a kernel may use (WebGPU guarantees 16 KiB).
const SHARED_FLOATS: usize = 4096;

/// Sequences per workgroup at most: each weight read serves them all.
const MAX_ROWS: usize = 8;

/// Groups of sequences at most whose products the recurrent weights' gradient sums.
const MAX_GROUPS: usize = 32;

/// The four gates of one hidden unit (input, forget, output, cell), or their weights.
type Gates = Vector<f32, Const<4>>;

/// How the kernels spread their work; [`Tuning::DEFAULT`] unless a benchmark sets another
/// ([`tune`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// Workgroups kept at least, where the batch allows: a GPU runs each on one of its many
    /// compute units, so fewer would leave most of them idle.
    pub min_workgroups: usize,
    /// Threads that share one unit's sum over the hidden state, at most (where the
    /// workgroup's threads allow).
    pub split: usize,
    /// Weight vectors each thread loads at a time (in flight together).
    pub unroll: usize,
    /// Threads per workgroup at most (up to WebGPU's 256); fewer threads own more units each.
    pub threads: usize,
    /// The recurrent weights' gradient by [`weight_grad_kernel`] (each thread a few of its
    /// entries, summed over every step) rather than burn's matrix product: much faster where
    /// workgroups run on CPU threads (a software adapter), slower on a real GPU.
    pub direct_weight_grad: bool,
}

impl Tuning {
    /// The kernels' shape on a GPU, unless a benchmark asks for another.
    pub const DEFAULT: Tuning = Tuning {
        min_workgroups: 16,
        split: 2,
        unroll: 4,
        threads: MAX_THREADS,
        direct_weight_grad: false,
    };

    /// The shape on a software adapter (the page's choice where WebGPU's adapter is a fallback
    /// one, such as SwiftShader), which runs a workgroup's threads a few at a time on a CPU
    /// core and switches between them at every barrier: few threads per workgroup, each
    /// owning several units (one read of the state serves them all), no split sums, as many
    /// sequences per workgroup as fit, and the weights' gradient by the direct kernel.
    pub const SOFTWARE: Tuning = Tuning {
        min_workgroups: 2,
        split: 1,
        unroll: 4,
        threads: 32,
        direct_weight_grad: true,
    };
}

/// Set by `melodeon bench --gpu --tuning` to time another shape.
static TUNING: Mutex<Tuning> = Mutex::new(Tuning::DEFAULT);

/// Makes the kernels use `tuning` from now on (benchmarks compare shapes with it).
pub fn tune(tuning: Tuning) {
    *TUNING.lock().unwrap_or_else(|e| e.into_inner()) = tuning;
}

fn tuning() -> Tuning {
    *TUNING.lock().unwrap_or_else(|e| e.into_inner())
}

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

/// `n` gate vectors of zeros.
#[cube]
fn zero_gates(#[comptime] n: usize) -> Array<Gates> {
    let mut a = Array::<Gates>::new(n);
    #[unroll]
    for q in 0..n {
        a[q] = Gates::new(0.0);
    }
    a
}

/// Rows `first..first + unroll` of the columns `lane + u · lanes` (`u < units`) of `weight`
/// (gate vectors laid out `[h, h]`), column by column, loaded together so that their latencies
/// overlap; zeros for columns past `hidden`.
#[cube]
fn weight_blocks(
    weight: &Tensor<Gates>,
    first: usize,
    lane: usize,
    #[comptime] lanes: usize,
    #[comptime] hidden: usize,
    #[comptime] units: usize,
    #[comptime] unroll: usize,
) -> Array<Gates> {
    let mut w = Array::<Gates>::new(units * unroll);
    #[unroll]
    for u in 0..units {
        let column = lane + u * lanes;
        #[unroll]
        for x in 0..unroll {
            w[u * unroll + x] = if column < hidden {
                weight[(first + x) * hidden + column]
            } else {
                Gates::new(0.0)
            };
        }
    }
    w
}

/// With a split sum, the threads of parts 1.. put their partial sums for unit `lane` (one
/// per sequence: `partial[r]`, a thread of a split part owning one unit) into `sums`, and
/// the workgroup waits for them before part 0 adds them up.
#[cube]
fn publish_parts<E: CubePrimitive>(
    partial: &Array<E>,
    sums: &mut Shared<[E]>,
    part: usize,
    lane: usize,
    #[comptime] rows: usize,
    #[comptime] hidden: usize,
    #[comptime] split: usize,
) {
    if comptime![split > 1] {
        if part > 0 {
            #[unroll]
            for r in 0..rows {
                sums[((part - 1) * rows + r) * hidden + lane] = partial[r];
            }
        }
        sync_cube();
    }
}

/// Four floats as one gate vector.
#[cube]
fn gates(a: f32, b: f32, c: f32, d: f32) -> Gates {
    let mut v = Gates::new(0.0);
    v.insert(0usize, a);
    v.insert(1usize, b);
    v.insert(2usize, c);
    v.insert(3usize, d);
    v
}

/// One workgroup per `rows` sequences: every step's hidden and cell states into `output`, and
/// with `save` the gate activations σ(i), σ(f), σ(o), tanh(g) into `activations`. `weight`
/// holds the recurrent weights as `[h (input unit k), h (unit j)]` gate vectors. Threads
/// `part · lanes + lane` own units `lane + u · lanes` and sum over the `part`-th of the input
/// units; part 0 adds the other parts' sums (from workgroup memory) and owns the cell state.
/// The hidden state is double-buffered (read from one half, written to the other).
#[cube(launch_unchecked)]
#[allow(clippy::too_many_arguments)]
fn forward_kernel(
    gates_in: &Tensor<f32>,
    hidden0: &Tensor<f32>,
    cell0: &Tensor<f32>,
    weight: &Tensor<Gates>,
    output: &mut Tensor<f32>,
    activations: &mut Tensor<f32>,
    #[comptime] hidden: usize,
    #[comptime] rows: usize,
    #[comptime] lanes: usize,
    #[comptime] split: usize,
    #[comptime] unroll: usize,
    #[comptime] save: bool,
) {
    let batch = hidden0.shape(0);
    let first = CUBE_POS_X as usize * rows;
    let seq = gates_in.shape(1);
    let g4 = 4 * hidden;
    let half = rows * hidden;
    let units = comptime![hidden.div_ceil(lanes)];
    let span = comptime![hidden / split];
    let lane = UNIT_POS_X as usize % lanes;
    let part = UNIT_POS_X as usize / lanes;
    let mut hs = Shared::<[f32]>::new_slice(2 * half);
    let mut sums = Shared::<[Gates]>::new_slice(comptime![if split > 1 {
        (split - 1) * rows * hidden
    } else {
        1
    }]);
    let mut cs = Array::<f32>::new(rows * units);
    let mut next = Array::<Gates>::new(rows * units);
    if part == 0 {
        #[unroll]
        for u in 0..units {
            let j = lane + u * lanes;
            if j < hidden {
                #[unroll]
                for r in 0..rows {
                    let b = read_row(first, r, batch);
                    hs[r * hidden + j] = hidden0[b * hidden + j];
                    cs[r * units + u] = cell0[b * hidden + j];
                    let row = b * seq * g4 + j;
                    next[r * units + u] = gates(
                        gates_in[row],
                        gates_in[row + hidden],
                        gates_in[row + 2 * hidden],
                        gates_in[row + 3 * hidden],
                    );
                }
            }
        }
    }
    sync_cube();
    for t in 0..seq {
        let from = (t % 2) * half;
        let to = half - from;
        let mut acc = zero_gates(rows * units);
        let k0 = part * span;
        for block in 0..comptime![span / unroll] {
            let k = k0 + block * unroll;
            let w = weight_blocks(weight, k, lane, lanes, hidden, units, unroll);
            #[unroll]
            for x in 0..unroll {
                #[unroll]
                for r in 0..rows {
                    // One read of h serves every unit of this thread.
                    let h = Gates::new(hs[from + r * hidden + k + x]);
                    #[unroll]
                    for u in 0..units {
                        let q = r * units + u;
                        acc[q] += h * w[u * unroll + x];
                    }
                }
            }
        }
        publish_parts(&acc, &mut sums, part, lane, rows, hidden, split);
        if part == 0 {
            #[unroll]
            for u in 0..units {
                let j = lane + u * lanes;
                if j < hidden {
                    #[unroll]
                    for r in 0..rows {
                        let q = r * units + u;
                        let mut a = acc[q] + next[q];
                        #[unroll]
                        for p in 1..split {
                            a += sums[((p - 1) * rows + r) * hidden + j];
                        }
                        // The input part of the next step's gates, fetched while it is far off.
                        if t + 1 < seq {
                            let row = (read_row(first, r, batch) * seq + t + 1) * g4 + j;
                            next[q] = gates(
                                gates_in[row],
                                gates_in[row + hidden],
                                gates_in[row + 2 * hidden],
                                gates_in[row + 3 * hidden],
                            );
                        }
                        let i = sigmoid(a.extract(0usize));
                        let f = sigmoid(a.extract(1usize));
                        let o = sigmoid(a.extract(2usize));
                        let g = a.extract(3usize).tanh();
                        let c = f * cs[q] + i * g;
                        let h = o * c.tanh();
                        hs[to + r * hidden + j] = h;
                        cs[q] = c;
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
                }
            }
        }
        sync_cube();
    }
}

/// Floats the backward kernel fetches per (sequence, unit) item and step.
const AHEAD: usize = 8;

/// Into `ahead[at..at + AHEAD]`, what the backward kernel reads of sequence `b`, step `t`,
/// unit `j`: σ(i), σ(f), σ(o), tanh(g), the cell state before and after, and the gradients of
/// the output's hidden and cell state.
#[cube]
#[allow(clippy::too_many_arguments)]
fn fetch_step(
    activations: &Tensor<f32>,
    output: &Tensor<f32>,
    cell0: &Tensor<f32>,
    grad_out: &Tensor<f32>,
    ahead: &mut Array<f32>,
    at: usize,
    b: usize,
    t: usize,
    j: usize,
    #[comptime] hidden: usize,
) {
    let seq = output.shape(1);
    let row = (b * seq + t) * 4 * hidden + j;
    let out = (b * seq + t) * 2 * hidden + j;
    ahead[at] = activations[row];
    ahead[at + 1] = activations[row + hidden];
    ahead[at + 2] = activations[row + 2 * hidden];
    ahead[at + 3] = activations[row + 3 * hidden];
    let mut c_before = cell0[b * hidden + j];
    if t > 0 {
        c_before = output[out - hidden];
    }
    ahead[at + 4] = c_before;
    ahead[at + 5] = output[out + hidden];
    ahead[at + 6] = grad_out[out];
    ahead[at + 7] = grad_out[out + hidden];
}

/// One workgroup per `rows` sequences, in reverse time: the gradients of the gates' input part
/// and of the initial state (`grad_state`: hidden `[batch, h]`, then cell `[batch, h]`).
/// `weight` holds the recurrent weights as `[h (unit j), h (input unit k)]` gate vectors. Each
/// step, all threads form the gate gradients of every (sequence, unit) into workgroup memory;
/// then threads `part · lanes + lane` form `dh` of units `lane + u · lanes` over the `part`-th
/// of the units' gate gradients, part 0 adding the others' sums.
#[cube(launch_unchecked)]
#[allow(clippy::too_many_arguments)]
fn backward_kernel(
    activations: &Tensor<f32>,
    output: &Tensor<f32>,
    cell0: &Tensor<f32>,
    weight: &Tensor<Gates>,
    grad_out: &Tensor<f32>,
    grad_gates: &mut Tensor<f32>,
    grad_state: &mut Tensor<f32>,
    #[comptime] hidden: usize,
    #[comptime] rows: usize,
    #[comptime] lanes: usize,
    #[comptime] split: usize,
    #[comptime] unroll: usize,
) {
    let batch = cell0.shape(0);
    let first = CUBE_POS_X as usize * rows;
    let seq = output.shape(1);
    let g4 = 4 * hidden;
    let half = rows * hidden;
    let threads = comptime![lanes * split];
    let units = comptime![hidden.div_ceil(lanes)];
    let span = comptime![hidden / split];
    let lane = UNIT_POS_X as usize % lanes;
    let part = UNIT_POS_X as usize / lanes;
    let mut dhs = Shared::<[f32]>::new_slice(half);
    let mut dcs = Shared::<[f32]>::new_slice(half);
    let mut dgs = Shared::<[Gates]>::new_slice(half);
    let mut sums = Shared::<[f32]>::new_slice(comptime![if split > 1 {
        (split - 1) * rows * hidden
    } else {
        1
    }]);
    // What each of this thread's (sequence, unit) items reads from global memory at a step:
    // fetched a step ahead, so that the loads' latency hides behind the product with W.
    let items = comptime![(rows * hidden).div_ceil(threads)];
    let mut ahead = Array::<f32>::new(items * AHEAD);
    #[unroll]
    for n in 0..items {
        let q = UNIT_POS_X as usize + n * threads;
        if q < half {
            dhs[q] = 0.0;
            dcs[q] = 0.0;
            if seq > 0 {
                let b = read_row(first, q / hidden, batch);
                fetch_step(
                    activations,
                    output,
                    cell0,
                    grad_out,
                    &mut ahead,
                    n * AHEAD,
                    b,
                    seq - 1,
                    q % hidden,
                    hidden,
                );
            }
        }
    }
    sync_cube();
    for s in 0..seq {
        let t = seq - 1 - s;
        #[unroll]
        for n in 0..items {
            let q = UNIT_POS_X as usize + n * threads;
            if q < half {
                let r = q / hidden;
                let j = q % hidden;
                let at = n * AHEAD;
                let i = ahead[at];
                let f = ahead[at + 1];
                let o = ahead[at + 2];
                let g = ahead[at + 3];
                let c_before = ahead[at + 4];
                let tc = ahead[at + 5].tanh();
                let dh = ahead[at + 6] + dhs[q];
                let dc = ahead[at + 7] + dcs[q] + dh * o * (1.0 - tc * tc);
                let di = dc * g * i * (1.0 - i);
                let df = dc * c_before * f * (1.0 - f);
                let d_o = dh * tc * o * (1.0 - o);
                let dg = dc * i * (1.0 - g * g);
                dgs[q] = gates(di, df, d_o, dg);
                dcs[q] = dc * f;
                let b = first + r;
                if b < batch {
                    let row = (b * seq + t) * g4 + j;
                    grad_gates[row] = di;
                    grad_gates[row + hidden] = df;
                    grad_gates[row + 2 * hidden] = d_o;
                    grad_gates[row + 3 * hidden] = dg;
                }
                if t > 0 {
                    fetch_step(
                        activations,
                        output,
                        cell0,
                        grad_out,
                        &mut ahead,
                        at,
                        read_row(first, r, batch),
                        t - 1,
                        j,
                        hidden,
                    );
                }
            }
        }
        sync_cube();
        // dh_{t−1}[k] = Σ_j dG_t[j] · W[k, gates of j]: each weight vector read serves all rows.
        let mut acc = zero_gates(rows * units);
        let j0 = part * span;
        for block in 0..comptime![span / unroll] {
            let j = j0 + block * unroll;
            let w = weight_blocks(weight, j, lane, lanes, hidden, units, unroll);
            #[unroll]
            for x in 0..unroll {
                #[unroll]
                for r in 0..rows {
                    // One read of the gate gradients serves every unit of this thread.
                    let dg = dgs[r * hidden + j + x];
                    #[unroll]
                    for u in 0..units {
                        acc[r * units + u] += dg * w[u * unroll + x];
                    }
                }
            }
        }
        // Each unit's dh over this part: its gate vector's four components added.
        let mut dh_part = Array::<f32>::new(rows * units);
        #[unroll]
        for q in 0..rows * units {
            let a = acc[q];
            dh_part[q] =
                a.extract(0usize) + a.extract(1usize) + a.extract(2usize) + a.extract(3usize);
        }
        publish_parts(&dh_part, &mut sums, part, lane, rows, hidden, split);
        if part == 0 {
            #[unroll]
            for u in 0..units {
                let k = lane + u * lanes;
                if k < hidden {
                    #[unroll]
                    for r in 0..rows {
                        let mut dh = dh_part[r * units + u];
                        #[unroll]
                        for p in 1..split {
                            dh += sums[((p - 1) * rows + r) * hidden + k];
                        }
                        dhs[r * hidden + k] = dh;
                    }
                }
            }
        }
        sync_cube();
    }
    let mut q = UNIT_POS_X as usize;
    while q < half {
        let r = q / hidden;
        let b = first + r;
        if b < batch {
            let j = q % hidden;
            grad_state[b * hidden + j] = dhs[q];
            grad_state[(batch + b) * hidden + j] = dcs[q];
        }
        q += threads;
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

/// Input units per thread of [`weight_grad_kernel`]: each gradient vector read serves them all.
const GRAD_UNITS: usize = 8;

/// `dW [h, 4h] = Σ_r before_rᵀ · dG_r` over every step `r = (b, t)` of every sequence, where
/// `before_r` is the hidden state before the step (`hidden0[b]` at t = 0, else the output's
/// hidden state at t − 1) and `dG` holds the gate gradients `[batch·seq, 4h]` as gate-sized
/// vectors. A thread owns one vector column `q` of [`GRAD_UNITS`] input units from `k`;
/// neighbouring threads share the units (one read serves them) and read neighbouring vectors.
#[cube(launch_unchecked)]
fn weight_grad_kernel(
    output: &Tensor<f32>,
    hidden0: &Tensor<f32>,
    grads: &Tensor<Gates>,
    weight_grad: &mut Tensor<Gates>,
    #[comptime] hidden: usize,
) {
    let batch = hidden0.shape(0);
    let seq = output.shape(1);
    let q = ABSOLUTE_POS % hidden;
    let k = (ABSOLUTE_POS / hidden) * GRAD_UNITS;
    if k < hidden {
        let mut acc = zero_gates(GRAD_UNITS);
        for b in 0..batch {
            let g = grads[b * seq * hidden + q];
            #[unroll]
            for x in 0..GRAD_UNITS {
                acc[x] += Gates::new(hidden0[b * hidden + k + x]) * g;
            }
            for t in 1..seq {
                let g = grads[(b * seq + t) * hidden + q];
                let before = (b * seq + t - 1) * 2 * hidden + k;
                #[unroll]
                for x in 0..GRAD_UNITS {
                    acc[x] += Gates::new(output[before + x]) * g;
                }
            }
        }
        #[unroll]
        for x in 0..GRAD_UNITS {
            weight_grad[(k + x) * hidden + q] = acc[x];
        }
    }
}

/// The recurrent weights' gradient by [`weight_grad_kernel`], for `[batch, seq, h]`.
fn direct_weight_grad(
    output: CubeTensor,
    hidden0: CubeTensor,
    grad_gates: CubeTensor,
    [batch, seq, h]: [usize; 3],
) -> CubeTensor {
    let grads = Cube::float_reshape(grad_gates, Shape::new([batch * seq, h, 4]));
    let weight_grad = empty_like(&output, [h, h, 4]);
    let threads = h / GRAD_UNITS * h;
    // SAFETY: `output [batch, seq, 2h]`, `hidden0 [batch, h]` and the gradients
    // `[batch·seq, h]` (vectors) are the forward pass's and the backward kernel's own, with
    // `h` a multiple of GRAD_UNITS (checked by the caller); threads past the last unit touch
    // nothing.
    unsafe {
        weight_grad_kernel::launch_unchecked(
            &output.client,
            CubeCount::Static(threads.div_ceil(MAX_THREADS) as u32, 1, 1),
            CubeDim::new_1d(MAX_THREADS as u32),
            output.clone().into_tensor_arg(),
            hidden0.into_tensor_arg(),
            grads.into_tensor_arg(),
            weight_grad.clone().into_tensor_arg(),
            h,
        );
    }
    Cube::float_reshape(weight_grad, Shape::new([h, 4 * h]))
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

/// How one launch spreads its work over workgroups and threads.
struct Plan {
    /// Sequences per workgroup.
    rows: usize,
    /// Threads per part: each owns units `lane + u · lanes`.
    lanes: usize,
    /// Parts each unit's sum is split into.
    split: usize,
    /// Weight vectors loaded at a time.
    unroll: usize,
    count: CubeCount,
    dim: CubeDim,
}

/// The plan for `batch` sequences of `hidden` units under the current [`Tuning`], for a
/// kernel that keeps `floats(split)` floats of workgroup memory per unit and sequence: the
/// sum split only while the threads allow (and evenly), several sequences per workgroup (so
/// that each weight read serves them all) only while [`Tuning::min_workgroups`] remain, and no
/// more (up to [`MAX_ROWS`]) than fit in WebGPU's guaranteed 16 KiB.
fn plan(batch: usize, hidden: usize, floats: impl Fn(usize) -> usize) -> Plan {
    let tuning = tuning();
    let threads = tuning.threads.clamp(1, MAX_THREADS);
    let split = (1..=tuning.split.max(1))
        .rev()
        .find(|&s| s * hidden <= threads && hidden.is_multiple_of(s))
        .unwrap_or(1);
    let lanes = hidden.min(threads / split);
    let span = hidden / split;
    let unroll = (1..=tuning.unroll.max(1))
        .rev()
        .find(|&u| span.is_multiple_of(u))
        .unwrap_or(1);
    let fit = (SHARED_FLOATS / (floats(split) * hidden)).clamp(1, MAX_ROWS);
    let rows = fit.min(batch / tuning.min_workgroups.max(1)).max(1);
    Plan {
        rows,
        lanes,
        split,
        unroll,
        count: CubeCount::Static(batch.div_ceil(rows) as u32, 1, 1),
        dim: CubeDim::new_1d((lanes * split) as u32),
    }
}

/// The recurrent weights `[h (k), 4h (gate blocks of j)]` as gate vectors laid out
/// `[h (k), h (j)]` (`by_input`, the forward kernel's) or `[h (j), h (k)]` (the backward's).
fn gate_vectors(weight: CubeTensor, h: usize, by_input: bool) -> CubeTensor {
    let blocks = Cube::float_reshape(weight, Shape::new([h, 4, h]));
    let axes = if by_input { [0, 2, 1] } else { [2, 0, 1] };
    into_contiguous(Cube::float_permute(blocks, &axes))
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
    // Workgroup memory per unit and sequence: the double-buffered hidden state, and the other
    // parts' gate sums.
    let plan = plan(batch, h, |split| 2 + 4 * (split - 1));
    let vectors = gate_vectors(weight.clone(), h, true);
    // SAFETY: every index the kernel reads or writes lies inside the tensors' shapes, which are
    // checked above (contiguous [batch, seq, 4h] gates, [batch, h] states, [h, 4h] weights,
    // [h, h] gate vectors) and made here; rows past the batch read the last row and write
    // nothing, and units past `h` neither read nor write.
    unsafe {
        forward_kernel::launch_unchecked(
            &gates_in.client,
            plan.count,
            plan.dim,
            gates_in.clone().into_tensor_arg(),
            hidden.clone().into_tensor_arg(),
            cell.clone().into_tensor_arg(),
            vectors.into_tensor_arg(),
            output.clone().into_tensor_arg(),
            activations.clone().into_tensor_arg(),
            h,
            plan.rows,
            plan.lanes,
            plan.split,
            plan.unroll,
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
    let vectors = gate_vectors(saved.weight, h, false);
    let grad_gates = empty_like(&grad_out, [batch, seq, 4 * h]);
    let grad_state = empty_like(&grad_out, [2, batch, h]);
    // Workgroup memory per unit and sequence: dh, dc, the gate gradients, the other parts' sums.
    let plan = plan(batch, h, |split| 6 + (split - 1));
    // SAFETY: as in `forward`; the saved tensors are the forward pass's own, and `grad_out`
    // has the output's shape (checked above).
    unsafe {
        backward_kernel::launch_unchecked(
            &grad_out.client,
            plan.count,
            plan.dim,
            saved.activations.into_tensor_arg(),
            saved.output.clone().into_tensor_arg(),
            saved.cell.into_tensor_arg(),
            vectors.into_tensor_arg(),
            grad_out.clone().into_tensor_arg(),
            grad_gates.clone().into_tensor_arg(),
            grad_state.clone().into_tensor_arg(),
            h,
            plan.rows,
            plan.lanes,
            plan.split,
            plan.unroll,
        );
    }
    let grad_weight = weight_grad(saved.output, saved.hidden, grad_gates.clone());
    let part = |k: usize| {
        let state = Cube::float_slice(grad_state.clone(), &[Slice::from(k..k + 1)]);
        Cube::float_reshape(state, Shape::new([batch, h]))
    };
    [grad_gates, part(0), part(1), grad_weight]
}

/// The recurrent weights' gradient `[h, 4h]` from the forward pass's outputs and initial hidden
/// state and the gate gradients `[batch, seq, 4h]`: by [`weight_grad_kernel`] where the tuning
/// asks for it (and `h` is a multiple of [`GRAD_UNITS`]); else by burn's matrix product,
/// `Σ_t h_{t−1}ᵀ · dG_t` over all steps of all sequences (the hidden states before each step
/// being the initial one and the outputs' but the last) as a batch of products over groups of
/// sequences, then summed (one product over every step would leave a GPU a few workgroups,
/// each walking all the steps).
fn weight_grad(output: CubeTensor, hidden0: CubeTensor, grad_gates: CubeTensor) -> CubeTensor {
    let [batch, seq, width] = grad_gates.meta.shape().dims::<3>();
    let h = width / 4;
    if tuning().direct_weight_grad && h.is_multiple_of(GRAD_UNITS) {
        return direct_weight_grad(output, hidden0, grad_gates, [batch, seq, h]);
    }
    let groups = (1..=MAX_GROUPS.min(batch))
        .rev()
        .find(|&g| batch.is_multiple_of(g))
        .unwrap_or(1);
    let steps = batch * seq / groups;
    let earlier = Cube::float_slice(
        output,
        &[Slice::from(..), Slice::from(..seq - 1), Slice::from(..h)],
    );
    let hidden_before = Cube::float_cat(
        vec![
            Cube::float_reshape(hidden0, Shape::new([batch, 1, h])),
            earlier,
        ],
        1,
    );
    let per_group = Cube::float_matmul(
        Cube::float_swap_dims(
            Cube::float_reshape(hidden_before, Shape::new([groups, steps, h])),
            1,
            2,
        ),
        Cube::float_reshape(grad_gates, Shape::new([groups, steps, 4 * h])),
    );
    Cube::float_reshape(Cube::float_sum_dim(per_group, 0), Shape::new([h, 4 * h]))
}
