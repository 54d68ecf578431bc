//! The LSTM recurrence on plain `f32` slices: the CPU kernel behind [`super::sequence`].
//!
//! All arrays are row-major. `gates_in [batch, seq, 4h]` is the input part of the gates,
//! blocks in the order input, forget, output, cell; `weight [h, 4h]` the recurrent weights.
//! Products go through the `gemm` crate natively and [`super::block_matmul`] in the page; the
//! element-wise work is one fused loop per step with a rational tanh accurate to float
//! precision, compiled for the widest SIMD the CPU has. Natively a large batch is split over
//! threads, each running the recurrence of its sequences.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::block_matmul;

/// What the backward pass needs: how the forward pass split the batch (see [`parts`]) and what
/// each part's pass saved.
#[derive(Clone, Debug)]
pub struct Saved {
    split: Vec<(usize, usize)>,
    parts: Vec<Part>,
}

/// What the backward pass needs of one part of the batch: per step, the gate activations, the
/// states before, and tanh of the new cell state.
#[derive(Clone, Debug)]
struct Part {
    /// `[seq, batch, 4h]` activations σ(i), σ(f), σ(o), tanh(g).
    gates: Vec<f32>,
    /// `[seq + 1, batch, h]` cell states, the initial one first.
    cells: Vec<f32>,
    /// `[seq + 1, batch, h]` hidden states, the initial one first.
    hiddens: Vec<f32>,
    /// `[seq, batch, h]` tanh of each new cell state.
    tanh_cells: Vec<f32>,
}

/// Sizes of one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    /// Sequences in the batch.
    pub batch: usize,
    /// Time steps.
    pub seq: usize,
    /// Hidden units.
    pub hidden: usize,
}

/// Gradients of the recurrence's inputs.
pub struct Grads {
    /// `[batch, seq, 4h]`.
    pub gates_in: Vec<f32>,
    /// `[batch, h]`.
    pub hidden: Vec<f32>,
    /// `[batch, h]`.
    pub cell: Vec<f32>,
    /// `[h, 4h]`.
    pub weight: Vec<f32>,
}

/// Threads a batch is split over natively; 0: every core this process may use.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// Work (sequences × steps × hidden units) below which a call stays on one thread: starting
/// threads costs more than it saves for a generation step or a tiny batch.
const MIN_SPLIT_WORK: usize = 1 << 16;

/// Sets how many threads the kernel splits a batch over natively (0: every core this process
/// may use, the default; `melodeon bench` times one and all). The page runs on one thread.
pub fn set_threads(threads: usize) {
    THREADS.store(threads, Ordering::Relaxed);
}

/// Threads for a call of sizes `d` (see [`set_threads`] and [`MIN_SPLIT_WORK`]).
fn threads(d: Dims) -> usize {
    if cfg!(target_arch = "wasm32") || d.batch * d.seq * d.hidden < MIN_SPLIT_WORK {
        return 1;
    }
    match THREADS.load(Ordering::Relaxed) {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// A batch of `batch` sequences in `threads` parts: `(first sequence, sequences)` each. The
/// sequences of a batch are independent, so each part runs the whole recurrence on its own.
fn parts(batch: usize, threads: usize) -> Vec<(usize, usize)> {
    let count = threads.clamp(1, batch.max(1));
    let (size, extra) = (batch / count, batch % count);
    let mut first = 0;
    (0..count)
        .map(|k| {
            let rows = size + usize::from(k < extra);
            first += rows;
            (first - rows, rows)
        })
        .collect()
}

/// Runs `work` on each item, the first on the calling thread and each other on a thread of its
/// own, and returns the results in order.
fn on_parts<I: Send, T: Send>(items: Vec<I>, work: impl Fn(I) -> T + Sync) -> Vec<T> {
    let mut items = items.into_iter();
    let Some(first) = items.next() else {
        return vec![];
    };
    if items.len() == 0 {
        return vec![work(first)];
    }
    std::thread::scope(|scope| {
        let work = &work;
        let running: Vec<_> = items.map(|item| scope.spawn(move || work(item))).collect();
        let mut results = vec![work(first)];
        results.extend(
            running
                .into_iter()
                .map(|thread| thread.join().expect("an LSTM kernel thread panicked")),
        );
        results
    })
}

/// A batch-major array with `width` values per sequence, cut into the parts' rows.
fn rows_of_mut<'a>(
    mut values: &'a mut [f32],
    parts: &[(usize, usize)],
    width: usize,
) -> Vec<&'a mut [f32]> {
    parts
        .iter()
        .map(|&(_, rows)| {
            let (part, rest) = std::mem::take(&mut values).split_at_mut(rows * width);
            values = rest;
            part
        })
        .collect()
}

/// Runs the recurrence from `(hidden, cell)`. Returns `[batch, seq, 2h]` (each step's hidden
/// state, then its cell state) and, with `save`, what [`backward`] needs. Natively, a large
/// batch is split over threads (see [`set_threads`]).
pub fn forward(
    d: Dims,
    gates_in: &[f32],
    hidden: &[f32],
    cell: &[f32],
    weight: &[f32],
    save: bool,
) -> (Vec<f32>, Option<Saved>) {
    let parts = parts(d.batch, threads(d));
    forward_in_parts(d, gates_in, hidden, cell, weight, save, &parts)
}

/// [`forward`] with the batch in `parts`.
fn forward_in_parts(
    d: Dims,
    gates_in: &[f32],
    hidden: &[f32],
    cell: &[f32],
    weight: &[f32],
    save: bool,
    parts: &[(usize, usize)],
) -> (Vec<f32>, Option<Saved>) {
    let (seq, h) = (d.seq, d.hidden);
    let mut out = vec![0.0; d.batch * seq * 2 * h];
    let items = parts.iter().zip(rows_of_mut(&mut out, parts, seq * 2 * h));
    let saved = on_parts(items.collect(), |(&(first, rows), out)| {
        forward_part(
            Dims { batch: rows, ..d },
            rows_of(gates_in, first, rows, seq * 4 * h),
            rows_of(hidden, first, rows, h),
            rows_of(cell, first, rows, h),
            weight,
            save,
            out,
        )
    });
    let saved = save.then(|| Saved {
        split: parts.to_vec(),
        parts: saved.into_iter().flatten().collect(),
    });
    (out, saved)
}

/// The `rows` sequences from `first` on of a batch-major array with `width` values each.
fn rows_of(values: &[f32], first: usize, rows: usize, width: usize) -> &[f32] {
    &values[first * width..(first + rows) * width]
}

/// [`forward`] on one part of the batch, its outputs written into `out`.
fn forward_part(
    d: Dims,
    gates_in: &[f32],
    hidden: &[f32],
    cell: &[f32],
    weight: &[f32],
    save: bool,
    out: &mut [f32],
) -> Option<Part> {
    let Dims {
        batch,
        seq,
        hidden: h,
    } = d;
    let (bh, g4) = (batch * h, 4 * h);
    let mut hidden_prev = hidden.to_vec();
    let mut cell_prev = cell.to_vec();
    let with_first = |first: &[f32]| {
        let mut states = Vec::with_capacity((seq + 1) * bh);
        states.extend_from_slice(first);
        states
    };
    let mut saved = save.then(|| Part {
        gates: Vec::with_capacity(seq * batch * g4),
        cells: with_first(cell),
        hiddens: with_first(hidden),
        tanh_cells: Vec::with_capacity(seq * bh),
    });
    // The step's gates; when saving, formed in place in the saved array (not copied there).
    let mut scratch = Vec::with_capacity(if save { 0 } else { batch * g4 });
    let mut tanh_cell = vec![0.0; bh];
    for t in 0..seq {
        let gates = match saved.as_mut() {
            Some(saved) => &mut saved.gates,
            None => {
                scratch.clear();
                &mut scratch
            }
        };
        let start = gates.len();
        for b in 0..batch {
            let from = (b * seq + t) * g4;
            gates.extend_from_slice(&gates_in[from..from + g4]);
        }
        let pre = &mut gates[start..];
        matmul(
            batch,
            g4,
            h,
            pre,
            &hidden_prev,
            (h, 1),
            weight,
            (g4, 1),
            true,
        );
        let step = StepStates {
            cell: &mut cell_prev,
            hidden: &mut hidden_prev,
            tanh_cell: &mut tanh_cell,
        };
        activate(h, pre, step, &mut out[t * 2 * h..], seq * 2 * h);
        if let Some(saved) = saved.as_mut() {
            saved.cells.extend_from_slice(&cell_prev);
            saved.hiddens.extend_from_slice(&hidden_prev);
            saved.tanh_cells.extend_from_slice(&tanh_cell);
        }
    }
    saved
}

/// Gradients of the inputs from the gradient of the output `grad_out [batch, seq, 2h]`, each
/// part of the batch on the thread count its forward pass used.
pub fn backward(d: Dims, saved: &Saved, weight: &[f32], grad_out: &[f32]) -> Grads {
    let (seq, h) = (d.seq, d.hidden);
    let g4 = 4 * h;
    // Wᵀ [4h, h] laid out once: read in place, gemm would repack W at every step.
    let mut weight_t = vec![0.0; g4 * h];
    for (r, row) in weight.chunks_exact(g4).enumerate() {
        for (c, &w) in row.iter().enumerate() {
            weight_t[c * h + r] = w;
        }
    }
    let split = &saved.split;
    let mut gates_in = vec![0.0; d.batch * seq * g4];
    let mut hidden = vec![0.0; d.batch * h];
    let mut cell = vec![0.0; d.batch * h];
    let items = split.iter().zip(&saved.parts).zip(
        rows_of_mut(&mut gates_in, split, seq * g4)
            .into_iter()
            .zip(rows_of_mut(&mut hidden, split, h))
            .zip(rows_of_mut(&mut cell, split, h)),
    );
    let weights = on_parts(
        items.collect(),
        |((&(first, rows), part), ((gates_in, hidden), cell))| {
            let into = PartGrads {
                gates_in,
                hidden,
                cell,
            };
            let grad_out = rows_of(grad_out, first, rows, seq * 2 * h);
            backward_part(Dims { batch: rows, ..d }, part, &weight_t, grad_out, into)
        },
    );
    let weight = weights.into_iter().reduce(|mut sum, part| {
        for (sum, w) in sum.iter_mut().zip(&part) {
            *sum += w;
        }
        sum
    });
    Grads {
        gates_in,
        hidden,
        cell,
        weight: weight.unwrap_or_else(|| vec![0.0; h * g4]),
    }
}

/// Where [`backward_part`] writes its part's input gradients (see [`Grads`]).
struct PartGrads<'a> {
    gates_in: &'a mut [f32],
    hidden: &'a mut [f32],
    cell: &'a mut [f32],
}

/// [`backward`] on one part of the batch, with Wᵀ `[4h, h]` laid out: writes the input
/// gradients into `into` and returns the recurrent weights' gradient.
fn backward_part(
    d: Dims,
    saved: &Part,
    weight_t: &[f32],
    grad_out: &[f32],
    into: PartGrads<'_>,
) -> Vec<f32> {
    let Dims {
        batch,
        seq,
        hidden: h,
    } = d;
    let (bh, g4) = (batch * h, 4 * h);
    // The carried gradients, ending as those of the initial states.
    let (d_hidden_next, d_cell_next) = (into.hidden, into.cell);
    // One step's gate gradients, and the weights' gradient summed step by step.
    let mut dg = vec![0.0; batch * g4];
    let mut weight_grad = vec![0.0; h * g4];
    for t in (0..seq).rev() {
        let step = SavedStep {
            gates: &saved.gates[t * batch * g4..(t + 1) * batch * g4],
            cells: &saved.cells[t * bh..(t + 1) * bh],
            tanh_cells: &saved.tanh_cells[t * bh..(t + 1) * bh],
        };
        let carried = Carried {
            hidden: &*d_hidden_next,
            cell: &mut *d_cell_next,
        };
        gate_grads(
            h,
            step,
            &grad_out[t * 2 * h..],
            seq * 2 * h,
            carried,
            &mut dg,
        );
        for (b, row) in dg.chunks_exact(g4).enumerate() {
            let at = (b * seq + t) * g4;
            into.gates_in[at..at + g4].copy_from_slice(row);
        }
        // dW += h_{t−1}ᵀ · dG_t.
        matmul(
            h,
            g4,
            batch,
            &mut weight_grad,
            &saved.hiddens[t * bh..(t + 1) * bh],
            (1, h),
            &dg,
            (g4, 1),
            true,
        );
        // dh_{t−1} = dG_t · Wᵀ.
        matmul(
            batch,
            h,
            g4,
            d_hidden_next,
            &dg,
            (g4, 1),
            weight_t,
            (h, 1),
            false,
        );
    }
    weight_grad
}

/// A step's per-sequence states, `[batch, h]` each.
struct StepStates<'a> {
    cell: &'a mut [f32],
    hidden: &'a mut [f32],
    tanh_cell: &'a mut [f32],
}

/// The state gradients carried back from the step after, `[batch, h]` each.
struct Carried<'a> {
    hidden: &'a [f32],
    cell: &'a mut [f32],
}

/// What the forward pass saved of one step, `[batch, 4h]` and `[batch, h]`.
struct SavedStep<'a> {
    gates: &'a [f32],
    cells: &'a [f32],
    tanh_cells: &'a [f32],
}

/// One step's element-wise work: the pre-activations `pre [batch, 4h]` become the gate
/// activations, the states advance, and each sequence's new hidden and cell states are written
/// to `out` (sequence `b`'s at `b · out_stride`). Compiled for the widest SIMD the CPU has.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn activate(h: usize, pre: &mut [f32], states: StepStates<'_>, out: &mut [f32], out_stride: usize) {
    let rows = pre.chunks_exact_mut(4 * h);
    let per_sequence = states
        .cell
        .chunks_exact_mut(h)
        .zip(states.hidden.chunks_exact_mut(h))
        .zip(states.tanh_cell.chunks_exact_mut(h));
    for (b, (row, ((cell, hidden), tanh_cell))) in rows.zip(per_sequence).enumerate() {
        let (sigmoids, g) = row.split_at_mut(3 * h);
        for value in sigmoids.iter_mut() {
            *value = sigmoid(*value);
        }
        for value in g.iter_mut() {
            *value = tanh(*value);
        }
        let (i, rest) = sigmoids.split_at(h);
        let (f, o) = rest.split_at(h);
        let (out_h, out_c) = out[b * out_stride..b * out_stride + 2 * h].split_at_mut(h);
        for j in 0..h {
            let c = f[j] * cell[j] + i[j] * g[j];
            let t_c = tanh(c);
            tanh_cell[j] = t_c;
            cell[j] = c;
            hidden[j] = o[j] * t_c;
            out_h[j] = o[j] * t_c;
            out_c[j] = c;
        }
    }
}

/// One step's element-wise backward: from the gradients of the step's outputs (`grad_out`,
/// sequence `b`'s at `b · out_stride`) and those carried from the step after (`carried`, updated
/// to the cell gradient before this step), the gates' gradients `d_gates [batch, 4h]`. Compiled
/// for the widest SIMD the CPU has.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn gate_grads(
    h: usize,
    saved: SavedStep<'_>,
    grad_out: &[f32],
    out_stride: usize,
    carried: Carried<'_>,
    d_gates: &mut [f32],
) {
    let rows = d_gates
        .chunks_exact_mut(4 * h)
        .zip(saved.gates.chunks_exact(4 * h));
    let per_sequence = saved
        .cells
        .chunks_exact(h)
        .zip(saved.tanh_cells.chunks_exact(h))
        .zip(carried.hidden.chunks_exact(h))
        .zip(carried.cell.chunks_exact_mut(h));
    for (b, ((row, acts), (((c_before, t_c), dh_next), dc_next))) in
        rows.zip(per_sequence).enumerate()
    {
        let (go_h, go_c) = grad_out[b * out_stride..b * out_stride + 2 * h].split_at(h);
        let (ai, rest) = acts.split_at(h);
        let (af, rest) = rest.split_at(h);
        let (ao, ag) = rest.split_at(h);
        let (ri, rest) = row.split_at_mut(h);
        let (rf, rest) = rest.split_at_mut(h);
        let (ro, rg) = rest.split_at_mut(h);
        let reads = RowReads {
            gates: [ai, af, ao, ag],
            c_before,
            t_c,
            dh_next,
            go_h,
            go_c,
        };
        gate_grads_row(reads, ri, rf, ro, rg, dc_next);
    }
}

/// What [`gate_grads_row`] reads of one sequence's step, `h` values each.
struct RowReads<'a> {
    /// The activations σ(i), σ(f), σ(o), tanh(g).
    gates: [&'a [f32]; 4],
    c_before: &'a [f32],
    t_c: &'a [f32],
    dh_next: &'a [f32],
    go_h: &'a [f32],
    go_c: &'a [f32],
}

/// [`gate_grads`] for one sequence: the four gates' gradients into `ri`, `rf`, `ro`, `rg`, the
/// carried cell gradient updated in `dc_next`. Each written slice is an argument of its own, so
/// the compiler knows that none overlaps another and vectorises the loop.
#[inline(always)]
fn gate_grads_row(
    reads: RowReads<'_>,
    ri: &mut [f32],
    rf: &mut [f32],
    ro: &mut [f32],
    rg: &mut [f32],
    dc_next: &mut [f32],
) {
    let RowReads {
        gates: [ai, af, ao, ag],
        c_before,
        t_c,
        dh_next,
        go_h,
        go_c,
    } = reads;
    let h = dc_next.len();
    for j in 0..h {
        let (i, f, o, g) = (ai[j], af[j], ao[j], ag[j]);
        let dh = go_h[j] + dh_next[j];
        let dc = go_c[j] + dc_next[j] + dh * o * (1.0 - t_c[j] * t_c[j]);
        ri[j] = dc * g * i * (1.0 - i);
        rf[j] = dc * c_before[j] * f * (1.0 - f);
        ro[j] = dh * t_c[j] * o * (1.0 - o);
        rg[j] = dc * i * (1.0 - g * g);
        dc_next[j] = dc * f;
    }
}

/// `dst [m, n] (+)= lhs [m, k] · rhs [k, n]`, with `(row, column)` strides for the inputs.
#[allow(clippy::too_many_arguments)]
pub fn matmul(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    lhs: &[f32],
    lhs_strides: (usize, usize),
    rhs: &[f32],
    rhs_strides: (usize, usize),
    accumulate: bool,
) {
    let last =
        |rows: usize, cols: usize, (rs, cs): (usize, usize)| (rows - 1) * rs + (cols - 1) * cs;
    if m == 0 || n == 0 || k == 0 {
        if !accumulate {
            dst.fill(0.0);
        }
        return;
    }
    assert!(dst.len() >= m * n, "matmul: destination too small");
    assert!(
        lhs.len() > last(m, k, lhs_strides),
        "matmul: left operand too small"
    );
    assert!(
        rhs.len() > last(k, n, rhs_strides),
        "matmul: right operand too small"
    );
    if cfg!(target_arch = "wasm32") && rhs_strides.1 == 1 {
        let operands = block_matmul::Operands {
            lhs,
            lhs_strides,
            rhs,
            rhs_row: rhs_strides.0,
            n,
        };
        block_matmul::matmul(m, k, dst, operands, accumulate);
        return;
    }
    let stride = |s: usize| s as isize;
    // SAFETY: the asserts above keep every index gemm touches inside the three slices, which
    // do not overlap (dst is borrowed mutably).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            stride(n),
            accumulate,
            lhs.as_ptr(),
            stride(lhs_strides.1),
            stride(lhs_strides.0),
            rhs.as_ptr(),
            stride(rhs_strides.1),
            stride(rhs_strides.0),
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Logistic function through [`tanh`]: σ(x) = ½·tanh(x/2) + ½.
#[inline(always)]
fn sigmoid(x: f32) -> f32 {
    0.5 * tanh(0.5 * x) + 0.5
}

/// tanh as a 13/6 rational function (Eigen's `generic_fast_tanh_float`): within a few ulp
/// of `f32::tanh`, and several times faster than the libm call.
#[inline(always)]
fn tanh(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const ALPHA: [f32; 7] = [
        4.893_524_6e-3,
        6.372_619_3e-4,
        1.485_722_4e-5,
        5.122_297e-8,
        -8.604_672e-11,
        2.000_188e-13,
        -2.760_768_5e-16,
    ];
    const BETA: [f32; 4] = [4.893_525e-3, 2.268_434_7e-3, 1.185_347_1e-4, 1.198_258_4e-6];
    let x = x.clamp(-CLAMP, CLAMP);
    let x2 = x * x;
    let mut p = ALPHA[6];
    for a in ALPHA[..6].iter().rev() {
        p = p * x2 + a;
    }
    let mut q = BETA[3];
    for b in BETA[..3].iter().rev() {
        q = q * x2 + b;
    }
    x * p / q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_tanh_matches_libm() {
        for k in -4000..=4000 {
            let x = k as f32 / 200.0;
            assert!((tanh(x) - x.tanh()).abs() < 5e-7, "tanh({x})");
            let s = 1.0 / (1.0 + (-x).exp());
            assert!((sigmoid(x) - s).abs() < 2e-7, "sigmoid({x})");
        }
    }

    #[test]
    fn a_batch_split_over_threads_gives_the_same_outputs_and_gradients() {
        let d = Dims {
            batch: 7,
            seq: 5,
            hidden: 6,
        };
        let wave =
            |n: usize, k: f32| -> Vec<f32> { (0..n).map(|i| (i as f32 * k).sin()).collect() };
        let (h, g4) = (d.hidden, 4 * d.hidden);
        let gates_in = wave(d.batch * d.seq * g4, 0.37);
        let (hidden, cell) = (wave(d.batch * h, 0.91), wave(d.batch * h, 1.3));
        let weight = wave(h * g4, 0.23)
            .iter()
            .map(|w| 0.5 * w)
            .collect::<Vec<_>>();
        let grad_out = wave(d.batch * d.seq * 2 * h, 0.71);
        let run = |parts: &[(usize, usize)]| {
            let (out, saved) = forward_in_parts(d, &gates_in, &hidden, &cell, &weight, true, parts);
            let grads = backward(d, &saved.unwrap(), &weight, &grad_out);
            [out, grads.gates_in, grads.hidden, grads.cell, grads.weight]
        };
        assert_eq!(parts(7, 3), [(0, 3), (3, 2), (5, 2)]);
        let whole = run(&parts(7, 1));
        let split = run(&parts(7, 3));
        for (a, b) in whole.iter().zip(&split) {
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(b) {
                assert!((x - y).abs() < 1e-5, "{x} against {y}");
            }
        }
    }

    #[test]
    fn matmul_with_transposed_operands() {
        // lhs [2,3], rhs given as [2,3] read transposed => [3,2]
        let lhs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let rhs_t = [1.0, 0.0, -1.0, 2.0, 1.0, 0.0];
        let mut dst = [10.0; 4];
        matmul(2, 2, 3, &mut dst, &lhs, (3, 1), &rhs_t, (1, 3), false);
        assert_eq!(dst, [-2.0, 4.0, -2.0, 13.0]);
        matmul(2, 2, 3, &mut dst, &lhs, (3, 1), &rhs_t, (1, 3), true);
        assert_eq!(dst, [-4.0, 8.0, -4.0, 26.0]);
    }
}
