//! Row kernels (softmax, layer norm, reductions) on row-major data with rows of `cols` values,
//! vectorised along the row and dispatched at run time (see [`crate::simd`]).
//!
//! Signatures and semantics are those of the twins in [`crate::scalar`]; the number of rows is
//! set by the shortest operand, as with the twins' `zip`. Each row is computed by the same
//! arithmetic whatever the number of threads: large inputs (at least [`PARALLEL_MIN`] values)
//! are split into blocks of whole rows whose size depends only on `cols`, and the one
//! cross-row reduction (`dgamma`/`dbeta` in [`layer_norm_backward_rows`]) adds per-block
//! partial sums in block order.
//!
//! Error against the twins. Sums differ from the twins' left-to-right sums only by summation
//! order: both are within `(cols - 1) u sum|x|` of the exact sum (`u = 2^-24`), so within twice
//! that of each other (measured: under `0.5 cols u sum|x|`). The other kernels add the error of
//! the vectorised `exp` (1.2e-7). Measured maxima (`tests/measure_errors.rs`; rows of 7, 64
//! and 1023 values in [-10, 10], `gamma`, `beta` in [-2, 2], `gy` in [-1, 1]) and the bounds
//! the property tests enforce (`tests/rows_vs_scalar.rs`):
//!
//! | kernel | measured | enforced |
//! |---|---|---|
//! | `sum_rows`, `mean_rows` | 0.5 cols u sum\|x\| | 2 cols u sum\|x\| |
//! | `max_rows` | exact | exact |
//! | `softmax_rows` (relative) | 2.0e-6 | 4e-7 + 2 cols u |
//! | `log_softmax_rows` | 9.5e-7 (1 + \|y\|) | 4e-7 + 2 cols u + 2.4e-7 \|y\| + 4 u \|lse\| |
//! | `softmax_backward_rows` | 1.3e-7 (1 + \|gx\|) | from `dot(y, gy)`'s summation bound |
//! | `log_softmax_backward_rows` | 8.7e-7 (1 + \|gx\|) | from `sum(gy)`'s summation bound |
//! | `layer_norm_rows` | 1.3e-6 (1 + \|y\|) | 1e-5 (1 + \|y\|) |
//! | `layer_norm_backward_rows`, `gx` | 7.7e-8 (1 + \|gx\|) | 2e-5 (1 + \|gx\|) |
//!
//! `dgamma`/`dbeta` of layer norm are column sums over rows: below [`PARALLEL_MIN`] values rows
//! are added in order as in the twin (with fused multiply-adds), above it per block of rows, so
//! they differ from the twin by summation order.

use pulp::{Simd, WithSimd};
use rayon::prelude::*;

use crate::scalar;
use crate::simd::reduce;
use crate::simd::{Kernel, isa, math};

/// Inputs with at least this many values are split into row blocks run by rayon.
pub const PARALLEL_MIN: usize = 1 << 16;
/// Target number of values in one row block.
const BLOCK_VALUES: usize = 1 << 14;
/// Fewest rows in a block (bounds the memory of per-block partial sums).
const MIN_BLOCK_ROWS: usize = 16;

/// Rows per block when the input is large enough to split, from sizes alone.
fn block_rows(rows: usize, cols: usize) -> Option<usize> {
    let rb = (BLOCK_VALUES / cols).max(MIN_BLOCK_ROWS);
    (rows * cols >= PARALLEL_MIN && rows > rb).then_some(rb)
}

fn check_cols(op: &str, cols: usize) {
    assert!(cols > 0, "{op}: cols must be positive");
}

/// Runs `f` on `x` (rows of `cols`) and `out` (rows of `out_cols`), split into row blocks
/// when large. Per-row results do not depend on the split.
fn by_rows(
    x: &[f32],
    cols: usize,
    out: &mut [f32],
    out_cols: usize,
    f: impl Fn(&[f32], &mut [f32]) + Sync,
) {
    let rows = (x.len() / cols).min(out.len() / out_cols);
    let (x, out) = (&x[..rows * cols], &mut out[..rows * out_cols]);
    match block_rows(rows, cols) {
        Some(rb) if rayon::current_num_threads() > 1 => x
            .par_chunks(rb * cols)
            .zip(out.par_chunks_mut(rb * out_cols))
            .for_each(|(xb, ob)| f(xb, ob)),
        _ => f(x, out),
    }
}

/// Like [`by_rows`] with two inputs of rows of `cols` and one output of rows of `cols`.
fn by_rows2(
    a: &[f32],
    b: &[f32],
    cols: usize,
    out: &mut [f32],
    f: impl Fn(&[f32], &[f32], &mut [f32]) + Sync,
) {
    let rows = (a.len() / cols).min(b.len() / cols).min(out.len() / cols);
    let n = rows * cols;
    let (a, b, out) = (&a[..n], &b[..n], &mut out[..n]);
    match block_rows(rows, cols) {
        Some(rb) if rayon::current_num_threads() > 1 => a
            .par_chunks(rb * cols)
            .zip(b.par_chunks(rb * cols))
            .zip(out.par_chunks_mut(rb * cols))
            .for_each(|((ab, bb), ob)| f(ab, bb, ob)),
        _ => f(a, b, out),
    }
}

/// Declares a row kernel: a struct of slices, its SIMD body (`$body`, run once per row with
/// the row slices bound to the field names) and its scalar twin.
macro_rules! row_kernel {
    ($name:ident { $($inp:ident),* ; $out:ident }, $twin:path, $out_cols:expr,
     |$s:ident, $cols:ident| $body:block) => {
        struct $name<'a> {
            $($inp: &'a [f32],)*
            $out: &'a mut [f32],
            cols: usize,
        }
        impl WithSimd for $name<'_> {
            type Output = ();
            #[inline(always)]
            fn with_simd<S: Simd>(self, $s: S) {
                let $cols = self.cols;
                let out_cols: usize = $out_cols(self.cols);
                let rows = self.$out.chunks_exact_mut(out_cols);
                $(let $inp = self.$inp.chunks_exact(self.cols);)*
                for (($($inp,)*), $out) in ::std::iter::zip(zip_rows!($($inp),*), rows) {
                    $body
                }
            }
        }
        impl Kernel for $name<'_> {
            fn scalar(self) {
                $twin($(self.$inp,)* self.cols, self.$out)
            }
        }
    };
}

/// Zips row iterators into tuples `(a,)` or `(a, b)`.
macro_rules! zip_rows {
    ($a:ident) => {
        $a.map(|r| (r,))
    };
    ($a:ident, $b:ident) => {
        ::std::iter::zip($a, $b)
    };
}

fn same(c: usize) -> usize {
    c
}
fn one(_: usize) -> usize {
    1
}

row_kernel!(Softmax { x; out }, scalar::softmax_rows, same, |s, _c| {
    let m = reduce::max(s, x);
    let sum = reduce::sum_exp_shifted(s, x, m, Some(&mut *out));
    reduce::scale(s, out, 1.0 / sum);
});
row_kernel!(LogSoftmax { x; out }, scalar::log_softmax_rows, same, |s, _c| {
    let m = reduce::max(s, x);
    let lse = m + reduce::sum_exp_shifted(s, x, m, None).ln();
    let l = s.splat_f32s(lse);
    reduce::zip_map(s, x, x, out, #[inline(always)] |v, _| s.sub_f32s(v, l));
});
row_kernel!(SoftmaxBackward { y, gy; gx }, scalar::softmax_backward_rows, same, |s, _c| {
    let d = s.splat_f32s(reduce::dot(s, y, gy));
    reduce::zip_map(s, y, gy, gx, #[inline(always)] |yv, g| s.mul_f32s(yv, s.sub_f32s(g, d)));
});
row_kernel!(LogSoftmaxBackward { y, gy; gx }, scalar::log_softmax_backward_rows, same, |s, _c| {
    let t = s.splat_f32s(reduce::sum(s, gy));
    reduce::zip_map(s, y, gy, gx, #[inline(always)] |yv, g| s.negate_mul_add_f32s(math::exp(s, yv), t, g));
});
row_kernel!(SumRows { x; out }, scalar::sum_rows, one, |s, _c| {
    out[0] = reduce::sum(s, x);
});
row_kernel!(MeanRows { x; out }, scalar::mean_rows, one, |s, c| {
    out[0] = reduce::sum(s, x) / c as f32;
});
row_kernel!(MaxRows { x; out }, scalar::max_rows, one, |s, _c| {
    out[0] = reduce::max(s, x);
});

/// Row-wise softmax over rows of length `cols`. Relative error vs the twin: 2 ulp of `exp`
/// plus the summation-order term of the row sum (measured 2.0e-6 at 1023 columns).
pub fn softmax_rows(x: &[f32], cols: usize, out: &mut [f32]) {
    check_cols("softmax_rows", cols);
    let isa = isa();
    by_rows(x, cols, out, cols, |x, out| {
        isa.run(Softmax { x, out, cols })
    });
}

/// Row-wise log-softmax. Error vs the twin: measured 9.5e-7 · (1 + |y|).
pub fn log_softmax_rows(x: &[f32], cols: usize, out: &mut [f32]) {
    check_cols("log_softmax_rows", cols);
    let isa = isa();
    by_rows(x, cols, out, cols, |x, out| {
        isa.run(LogSoftmax { x, out, cols })
    });
}

/// Softmax backward from its output: `gx = y * (gy - sum(gy * y))` per row.
pub fn softmax_backward_rows(y: &[f32], gy: &[f32], cols: usize, gx: &mut [f32]) {
    check_cols("softmax_backward_rows", cols);
    let isa = isa();
    by_rows2(y, gy, cols, gx, |y, gy, gx| {
        isa.run(SoftmaxBackward { y, gy, gx, cols })
    });
}

/// Log-softmax backward from its output: `gx = gy - exp(y) * sum(gy)` per row.
pub fn log_softmax_backward_rows(y: &[f32], gy: &[f32], cols: usize, gx: &mut [f32]) {
    check_cols("log_softmax_backward_rows", cols);
    let isa = isa();
    by_rows2(y, gy, cols, gx, |y, gy, gx| {
        isa.run(LogSoftmaxBackward { y, gy, gx, cols })
    });
}

/// `out[r] = sum of row r`
pub fn sum_rows(x: &[f32], cols: usize, out: &mut [f32]) {
    check_cols("sum_rows", cols);
    let isa = isa();
    by_rows(x, cols, out, 1, |x, out| isa.run(SumRows { x, out, cols }));
}

/// `out[r] = mean of row r`
pub fn mean_rows(x: &[f32], cols: usize, out: &mut [f32]) {
    check_cols("mean_rows", cols);
    let isa = isa();
    by_rows(x, cols, out, 1, |x, out| isa.run(MeanRows { x, out, cols }));
}

/// `out[r] = max of row r` (NaN ignored as by `f32::max`; `-inf` for an all-NaN row).
pub fn max_rows(x: &[f32], cols: usize, out: &mut [f32]) {
    check_cols("max_rows", cols);
    let isa = isa();
    by_rows(x, cols, out, 1, |x, out| isa.run(MaxRows { x, out, cols }));
}

mod layer_norm;
pub use layer_norm::{layer_norm_backward_rows, layer_norm_rows};
