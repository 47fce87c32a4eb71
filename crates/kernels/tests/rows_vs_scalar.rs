//! Row kernels against their scalar twins at every SIMD level: 1..=4 rows of 1..=1023 values,
//! operands at unaligned offsets, outputs checked for writes outside their slice. Bounds follow
//! the doc comments of `neurodiv_kernels::rows`; `U` is the unit roundoff 2^-24.

mod common;

use common::{SENTINEL, lens, run_levels};
use neurodiv_kernels::simd::{available_levels, with_simd_level};
use neurodiv_kernels::{rows, scalar};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const U: f64 = 1.0 / 16_777_216.0;

/// `rows x cols` values uniform in `[lo, hi)`, stored from offset `off` of the buffer.
#[derive(Debug, Clone)]
struct Mat {
    data: Vec<f32>,
    off: usize,
    rows: usize,
    cols: usize,
}

impl Mat {
    fn v(&self) -> &[f32] {
        &self.data[self.off..]
    }
    fn row(&self, r: usize) -> &[f32] {
        &self.v()[r * self.cols..(r + 1) * self.cols]
    }
    /// `sum |x|` of row `r`.
    fn abs_sum(&self, r: usize) -> f64 {
        self.row(r).iter().map(|v| v.abs() as f64).sum()
    }
}

fn mat(lo: f32, hi: f32) -> impl Strategy<Value = Mat> {
    (1usize..=4, lens().prop_map(|c| c.max(1)), 0usize..8).prop_flat_map(
        move |(rows, cols, off)| {
            prop::collection::vec(lo..hi, rows * cols + off).prop_map(move |data| Mat {
                data,
                off,
                rows,
                cols,
            })
        },
    )
}

/// Same shape as `m`, other values.
fn like(m: &Mat, lo: f32, hi: f32, seed: u64) -> Mat {
    let mut rng = neurodiv_kernels::Rng::new(seed);
    let data = (0..m.data.len()).map(|_| rng.uniform(lo, hi)).collect();
    Mat { data, ..m.clone() }
}

fn close(got: f32, want: f32, tol: f64) -> bool {
    if got.is_nan() || want.is_nan() {
        return got.is_nan() && want.is_nan();
    }
    if got.is_infinite() || want.is_infinite() {
        return got == want;
    }
    (got as f64 - want as f64).abs() <= tol
}

/// Runs `f` into an output of `n` values and compares with `want` within `tol(i)`.
fn check(
    name: &str,
    want: &[f32],
    f: impl Fn(&mut [f32]),
    tol: impl Fn(usize) -> f64,
) -> Result<(), TestCaseError> {
    run_levels(name, want.len(), 5, f, |i, got| {
        let ok = close(got, want[i], tol(i));
        if !ok {
            eprintln!(
                "{name}[{i}]: got {got:e}, want {:e}, tol {:e}",
                want[i],
                tol(i)
            );
        }
        ok
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn reductions(m in mat(-10.0, 10.0)) {
        let (x, c) = (m.v(), m.cols);
        let mut want = vec![0.0; m.rows];
        scalar::sum_rows(x, c, &mut want);
        let sum_tol = |r: usize| 2.0 * c as f64 * U * m.abs_sum(r) + 1e-30;
        check("sum_rows", &want, |o| rows::sum_rows(x, c, o), sum_tol)?;
        scalar::mean_rows(x, c, &mut want);
        let mean_tol = |r: usize| sum_tol(r) / c as f64 + 2.0 * U * want[r].abs() as f64;
        check("mean_rows", &want, |o| rows::mean_rows(x, c, o), mean_tol)?;
        scalar::max_rows(x, c, &mut want);
        check("max_rows", &want, |o| rows::max_rows(x, c, o), |_| 0.0)?;
    }

    #[test]
    fn softmax_and_log_softmax(m in mat(-10.0, 10.0)) {
        let (x, c) = (m.v(), m.cols);
        let mut want = vec![0.0; x.len()];
        scalar::softmax_rows(x, c, &mut want);
        // exp within 2 ulp, the row sum within its summation-order bound, one more rounding.
        let rel = 4.0e-7 + 2.0 * c as f64 * U;
        check("softmax_rows", &want, |o| rows::softmax_rows(x, c, o), |i| {
            rel * want[i].abs() as f64 + 1e-30
        })?;
        scalar::log_softmax_rows(x, c, &mut want);
        // `y = x - lse` with `lse = max + ln(sum)` rounded at its own magnitude: both sides
        // quantise `y` to ulps of `lse`, so near the row's maximum the bound is in those units.
        check("log_softmax_rows", &want, |o| rows::log_softmax_rows(x, c, o), |i| {
            let lse = (x[i] - want[i]).abs() as f64;
            rel + 2.4e-7 * want[i].abs() as f64 + 4.0 * U * lse
        })?;
    }

    #[test]
    fn softmax_backwards(m in mat(-10.0, 10.0), seed in any::<u64>()) {
        let (x, c) = (m.v(), m.cols);
        let gy = like(&m, -1.0, 1.0, seed);
        let gy = gy.v();
        let mut y = vec![0.0; x.len()];
        let mut want = vec![0.0; x.len()];
        scalar::softmax_rows(x, c, &mut y);
        scalar::softmax_backward_rows(&y, gy, c, &mut want);
        let dot_abs: Vec<f64> = (0..m.rows)
            .map(|r| (r * c..(r + 1) * c).map(|i| (y[i] * gy[i]).abs() as f64).sum())
            .collect();
        check("softmax_backward_rows", &want, |o| rows::softmax_backward_rows(&y, gy, c, o), |i| {
            let d = dot_abs[i / c];
            4e-7 * (want[i].abs() as f64 + y[i] as f64 * (gy[i].abs() as f64 + d))
                + y[i] as f64 * 2.0 * c as f64 * U * d
        })?;
        scalar::log_softmax_rows(x, c, &mut y);
        scalar::log_softmax_backward_rows(&y, gy, c, &mut want);
        let gsum: Vec<(f64, f64)> = (0..m.rows)
            .map(|r| {
                let g = &gy[r * c..(r + 1) * c];
                (g.iter().map(|v| *v as f64).sum(), g.iter().map(|v| v.abs() as f64).sum())
            })
            .collect();
        check(
            "log_softmax_backward_rows", &want,
            |o| rows::log_softmax_backward_rows(&y, gy, c, o),
            |i| {
                let (s, sa) = gsum[i / c];
                let p = (y[i] as f64).exp();
                4e-7 * (want[i].abs() as f64 + gy[i].abs() as f64)
                    + p * (2.4e-7 * s.abs() + 2.0 * c as f64 * U * sa)
            },
        )?;
    }

    #[test]
    fn layer_norm_forward(m in mat(-10.0, 10.0), seed in any::<u64>(), eps in 1e-6f32..1e-2) {
        let (x, c) = (m.v(), m.cols);
        let mut rng = neurodiv_kernels::Rng::new(seed);
        let gamma: Vec<f32> = (0..c).map(|_| rng.uniform(-2.0, 2.0)).collect();
        let beta: Vec<f32> = (0..c).map(|_| rng.uniform(-2.0, 2.0)).collect();
        let mut want = vec![0.0; x.len()];
        let (mut mu, mut rs) = (vec![0.0; m.rows], vec![0.0; m.rows]);
        scalar::layer_norm_rows(x, c, eps, &gamma, &beta, &mut want, &mut mu, &mut rs);
        let tol = |i: usize| 1e-5 * (1.0 + want[i].abs() as f64);
        check("layer_norm_rows", &want, |o| {
            let (mut m2, mut r2) = (vec![0.0; m.rows], vec![0.0; m.rows]);
            rows::layer_norm_rows(x, c, eps, &gamma, &beta, o, &mut m2, &mut r2);
            for r in 0..m.rows {
                assert!((m2[r] - mu[r]).abs() as f64 <= 1e-5 * (1.0 + mu[r].abs() as f64));
                assert!((r2[r] - rs[r]).abs() as f64 <= 1e-5 * rs[r] as f64);
            }
        }, tol)?;
    }

    #[test]
    fn layer_norm_backward(m in mat(-10.0, 10.0), seed in any::<u64>()) {
        let (x, c) = (m.v(), m.cols);
        let gy = like(&m, -1.0, 1.0, seed);
        let gy = gy.v();
        let mut rng = neurodiv_kernels::Rng::new(seed ^ 1);
        let gamma: Vec<f32> = (0..c).map(|_| rng.uniform(-2.0, 2.0)).collect();
        let beta = vec![0.0; c];
        let mut y = vec![0.0; x.len()];
        let (mut mu, mut rs) = (vec![0.0; m.rows], vec![0.0; m.rows]);
        scalar::layer_norm_rows(x, c, 1e-5, &gamma, &beta, &mut y, &mut mu, &mut rs);
        let dg0: Vec<f32> = (0..c).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let (mut dg, mut db) = (dg0.clone(), dg0.clone());
        let mut want = vec![0.0; x.len()];
        scalar::layer_norm_backward_rows(x, c, &mu, &rs, &gamma, gy, &mut want, &mut dg, &mut db);
        for level in available_levels() {
            let (mut dg2, mut db2) = (dg0.clone(), dg0.clone());
            let mut out = vec![SENTINEL; x.len() + 3];
            with_simd_level(level, || {
                rows::layer_norm_backward_rows(
                    x, c, &mu, &rs, &gamma, gy, &mut out[1..x.len() + 1], &mut dg2, &mut db2,
                )
            });
            prop_assert_eq!(out[0], SENTINEL);
            prop_assert!(out[x.len() + 1..].iter().all(|v| *v == SENTINEL));
            for (got, w) in out[1..x.len() + 1].iter().zip(&want) {
                prop_assert!(close(*got, *w, 2e-5 * (1.0 + w.abs() as f64)), "gx {got} vs {w}");
            }
            for (got, w) in dg2.iter().zip(&dg).chain(db2.iter().zip(&db)) {
                prop_assert!(close(*got, *w, 1e-5 * (1.0 + w.abs() as f64)), "dgamma/dbeta {got} vs {w}");
            }
        }
    }
}

/// Large inputs go through rayon; the bits must not depend on the number of threads.
#[test]
fn row_kernels_do_not_depend_on_thread_count() {
    let (r, c) = (301, 257); // 77 357 values, above rows::PARALLEL_MIN
    assert!(r * c >= rows::PARALLEL_MIN);
    let mut rng = neurodiv_kernels::Rng::new(11);
    let x: Vec<f32> = (0..r * c).map(|_| rng.uniform(-5.0, 5.0)).collect();
    let gy: Vec<f32> = (0..r * c).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let gamma: Vec<f32> = (0..c).map(|_| rng.uniform(0.5, 1.5)).collect();
    let beta: Vec<f32> = (0..c).map(|_| rng.uniform(-0.5, 0.5)).collect();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut outs = vec![vec![0.0f32; r * c]; 4];
            let mut per_row = vec![vec![0.0f32; r]; 5];
            rows::softmax_rows(&x, c, &mut outs[0]);
            let (sm, rest) = outs.split_at_mut(1);
            rows::log_softmax_backward_rows(&sm[0], &gy, c, &mut rest[0]);
            rows::sum_rows(&x, c, &mut per_row[0]);
            rows::max_rows(&x, c, &mut per_row[1]);
            let (mean, rest) = per_row.split_at_mut(3);
            let (mu, rs) = (&mut mean[2], &mut rest[0]);
            rows::layer_norm_rows(&x, c, 1e-5, &gamma, &beta, &mut outs[2], mu, rs);
            let (mut dg, mut db) = (vec![0.0f32; c], vec![0.0f32; c]);
            rows::layer_norm_backward_rows(
                &x,
                c,
                mu,
                rs,
                &gamma,
                &gy,
                &mut outs[3],
                &mut dg,
                &mut db,
            );
            (outs, per_row, dg, db)
        })
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
    // The blocked dgamma/dbeta still match the twin.
    let (mut mu, mut rs, mut y) = (vec![0.0; r], vec![0.0; r], vec![0.0; r * c]);
    scalar::layer_norm_rows(&x, c, 1e-5, &gamma, &beta, &mut y, &mut mu, &mut rs);
    let (mut dg, mut db, mut gx) = (vec![0.0; c], vec![0.0; c], vec![0.0; r * c]);
    scalar::layer_norm_backward_rows(&x, c, &mu, &rs, &gamma, &gy, &mut gx, &mut dg, &mut db);
    for (a, b) in one.2.iter().zip(&dg).chain(one.3.iter().zip(&db)) {
        assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{a} vs {b}");
    }
}

/// The shrunk case of a CI failure: `y` of the row's maximum is a few ulps of `lse` (8.5),
/// not of `y` (3e-6), and the paths round `lse` to different neighbours.
#[test]
fn log_softmax_near_the_row_maximum() {
    let x = [-4.417323f32, -8.921983, 8.506469];
    let mut want = [0.0; 3];
    scalar::log_softmax_rows(&x, 3, &mut want);
    for level in available_levels() {
        let mut got = [0.0; 3];
        with_simd_level(level, || rows::log_softmax_rows(&x, 3, &mut got));
        for i in 0..3 {
            let lse = (x[i] - want[i]).abs() as f64;
            let tol = 4.0e-7 + 6.0 * U + 2.4e-7 * want[i].abs() as f64 + 4.0 * U * lse;
            assert!(
                (got[i] as f64 - want[i] as f64).abs() <= tol,
                "{} [{i}]",
                level.name()
            );
        }
    }
}
