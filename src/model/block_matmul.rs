//! The LSTM kernel's products in the page: `dst [m, n] (+)= lhs [m, k] · rhs [k, n]` in blocks of
//! 4 × 8 sums kept in registers, with no packing of either operand.
//!
//! Natively the kernel's products go through `gemm`. In WebAssembly gemm packs both operands at
//! every call, and the kernel's per-step products are small (64 × 128 by 128 × 512 on the tutorial's
//! step), so the packing costs as much as the arithmetic (the page's profile: docs/speed.md,
//! "The page against native, one thread").
//! Here the compiler turns each block's eight sums per row into two 128-bit SIMD vectors; the
//! depth is cut into slices so that the right operand's columns for a block stay in cache.

/// Rows of a block.
const ROWS: usize = 4;
/// Columns of a block: two 128-bit vectors of `f32`.
const COLS: usize = 8;
/// Depth of a slice of the product.
const DEPTH: usize = 256;

/// `dst [m, n] (+)= lhs [m, k] · rhs [k, n]`, `dst` row-major. The caller checks the sizes.
pub fn matmul(m: usize, k: usize, dst: &mut [f32], operands: Operands<'_>, accumulate: bool) {
    let Operands {
        rhs, rhs_row, n, ..
    } = operands;
    if !accumulate {
        dst[..m * n].fill(0.0);
    }
    let (full_rows, full_cols) = (m - m % ROWS, n - n % COLS);
    for from in (0..k).step_by(DEPTH) {
        let depth = from..(from + DEPTH).min(k);
        for col in (0..full_cols).step_by(COLS) {
            for row in (0..full_rows).step_by(ROWS) {
                block::<ROWS>(&operands, dst, row, col, depth.clone());
            }
            for row in full_rows..m {
                block::<1>(&operands, dst, row, col, depth.clone());
            }
        }
        for col in full_cols..n {
            for row in 0..m {
                let sum: f32 = depth
                    .clone()
                    .map(|p| operands.left(row, p) * rhs[p * rhs_row + col])
                    .sum();
                dst[row * n + col] += sum;
            }
        }
    }
}

/// The operands of one product, and the destination's row length.
pub struct Operands<'a> {
    /// `[m, k]`.
    pub lhs: &'a [f32],
    /// The left operand's `(row, column)` strides.
    pub lhs_strides: (usize, usize),
    /// `[k, n]`, row-major.
    pub rhs: &'a [f32],
    /// Values between the right operand's rows.
    pub rhs_row: usize,
    /// Columns of the product.
    pub n: usize,
}

impl Operands<'_> {
    /// The left operand's value at `(row, p)`.
    #[inline(always)]
    fn left(&self, row: usize, p: usize) -> f32 {
        self.lhs[row * self.lhs_strides.0 + p * self.lhs_strides.1]
    }
}

/// Adds the block of `R` rows from `row` and [`COLS`] columns from `col`, over the depths
/// `depth`, to `dst`.
#[inline(always)]
fn block<const R: usize>(
    operands: &Operands<'_>,
    dst: &mut [f32],
    row: usize,
    col: usize,
    depth: std::ops::Range<usize>,
) {
    let mut sums = [[0.0f32; COLS]; R];
    let (lhs, (row_stride, p_stride)) = (operands.lhs, operands.lhs_strides);
    let (rhs, rhs_row) = (operands.rhs, operands.rhs_row);
    let last = depth.end - 1;
    assert!(lhs.len() > (row + R - 1) * row_stride + last * p_stride);
    assert!(rhs.len() >= last * rhs_row + col + COLS);
    for p in depth {
        let from = p * rhs_row + col;
        // SAFETY: the asserts above bound every index of the loop: `p <= last`, `r < R`.
        let right: [f32; COLS] = std::array::from_fn(|c| unsafe { *rhs.get_unchecked(from + c) });
        for (r, sums) in sums.iter_mut().enumerate() {
            // SAFETY: as above.
            let left = unsafe { *lhs.get_unchecked((row + r) * row_stride + p * p_stride) };
            for (sum, right) in sums.iter_mut().zip(right) {
                *sum += left * right;
            }
        }
    }
    for (r, sums) in sums.iter().enumerate() {
        let at = (row + r) * operands.n + col;
        for (out, sum) in dst[at..at + COLS].iter_mut().zip(sums) {
            *out += sum;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The product by its definition.
    fn reference(
        m: usize,
        n: usize,
        k: usize,
        lhs: &[f32],
        strides: (usize, usize),
        rhs: &[f32],
    ) -> Vec<f32> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k)
                    .map(|p| lhs[i * strides.0 + p * strides.1] * rhs[p * n + j])
                    .sum();
            }
        }
        out
    }

    #[test]
    fn blocked_products_equal_the_definition() {
        let value = |i: usize| ((i * 7919 % 1000) as f32 - 500.0) / 500.0;
        // Whole blocks, leftover rows and columns, a depth over one slice, a transposed lhs.
        for (m, n, k, transposed) in [
            (8, 16, 5, false),
            (6, 13, 300, false),
            (1, 9, 3, false),
            (5, 8, 257, true),
        ] {
            let lhs: Vec<f32> = (0..m * k).map(value).collect();
            let rhs: Vec<f32> = (0..k * n).map(|i| value(i + 13)).collect();
            let strides = if transposed { (1, m) } else { (k, 1) };
            let expected = reference(m, n, k, &lhs, strides, &rhs);
            let mut dst = vec![1.0; m * n];
            let operands = || Operands {
                lhs: &lhs,
                lhs_strides: strides,
                rhs: &rhs,
                rhs_row: n,
                n,
            };
            matmul(m, k, &mut dst, operands(), false);
            for (got, want) in dst.iter().zip(&expected) {
                assert!((got - want).abs() < 1e-4, "{m}×{n}×{k}: {got} vs {want}");
            }
            matmul(m, k, &mut dst, operands(), true);
            for (got, want) in dst.iter().zip(&expected) {
                assert!((got - 2.0 * want).abs() < 1e-4, "{m}×{n}×{k} accumulated");
            }
        }
    }
}
