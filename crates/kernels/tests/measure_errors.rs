//! Dense sweeps that print the maximum error of every SIMD kernel against its scalar twin, at
//! every SIMD level this CPU has. `cargo test -p neurodiv-kernels --test measure_errors --
//! --ignored --nocapture`; the figures in the kernels' doc comments come from this table.

use neurodiv_kernels::simd::{available_levels, with_simd_level};
use neurodiv_kernels::{elementwise as ew, scalar};

type Unary = fn(&[f32], &mut [f32]);
type Binary = fn(&[f32], &[f32], &mut [f32]);

/// (max relative error where |ref| >= 1e-30, max absolute error / max(1, |x|)).
fn sweep(f: Unary, twin: Unary, lo: f32, hi: f32, n: usize) -> (f64, f64, f32, f32) {
    let x: Vec<f32> = (0..n)
        .map(|i| lo + (hi - lo) * (i as f32 / (n - 1) as f32))
        .collect();
    let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
    f(&x, &mut a);
    twin(&x, &mut b);
    let (mut rel, mut abs, mut at_rel, mut at_abs) = (0.0f64, 0.0f64, 0.0, 0.0);
    for ((xv, av), bv) in x.iter().zip(&a).zip(&b) {
        let d = (*av as f64 - *bv as f64).abs();
        if bv.abs() >= 1e-30 {
            let r = d / bv.abs() as f64;
            if r > rel {
                rel = r;
                at_rel = *xv;
            }
        }
        let s = d / (xv.abs() as f64).max(1.0);
        if s > abs {
            abs = s;
            at_abs = *xv;
        }
    }
    (rel, abs, at_rel, at_abs)
}

fn wrap_gy(f: fn(&[f32], &[f32], &mut [f32])) -> impl Fn(&[f32], &mut [f32]) {
    move |x, out| {
        let gy = vec![1.0; x.len()];
        f(x, &gy, out)
    }
}

#[test]
#[ignore = "prints a table; run by hand"]
fn print_max_errors() {
    let n = 2_000_003;
    let cases: Vec<(&str, Unary, Unary, f32, f32)> = vec![
        ("exp", ew::exp, scalar::exp, -20.0, 20.0),
        ("exp (full)", ew::exp, scalar::exp, -87.0, 88.7),
        ("log", ew::log, scalar::log, 1e-30, 1e30),
        ("log (0.5..2)", ew::log, scalar::log, 0.5, 2.0),
        ("tanh", ew::tanh, scalar::tanh, -10.0, 10.0),
        ("sigmoid", ew::sigmoid, scalar::sigmoid, -10.0, 10.0),
        ("sigmoid (wide)", ew::sigmoid, scalar::sigmoid, -80.0, 80.0),
        ("gelu", ew::gelu, scalar::gelu, -10.0, 10.0),
        ("softplus", ew::softplus, scalar::softplus, -10.0, 10.0),
        (
            "softplus (wide)",
            ew::softplus,
            scalar::softplus,
            -80.0,
            80.0,
        ),
        ("silu", ew::silu, scalar::silu, -10.0, 10.0),
    ];
    for level in available_levels() {
        println!("== {}", level.name());
        with_simd_level(level, || {
            for (name, f, twin, lo, hi) in &cases {
                let (r, a, xr, xa) = sweep(*f, *twin, *lo, *hi, n);
                println!("{name:>16}: rel {r:.2e} (x={xr:.4})  abs/max(1,|x|) {a:.2e} (x={xa:.4})");
            }
            let back: Vec<(&str, Binary, Binary)> = vec![
                ("gelu_backward", ew::gelu_backward, scalar::gelu_backward),
                (
                    "softplus_bwd",
                    ew::softplus_backward,
                    scalar::softplus_backward,
                ),
                ("silu_backward", ew::silu_backward, scalar::silu_backward),
            ];
            for (name, f, twin) in back {
                let (fw, tw) = (wrap_gy(f), wrap_gy(twin));
                let x: Vec<f32> = (0..n)
                    .map(|i| -10.0 + 20.0 * (i as f32 / (n - 1) as f32))
                    .collect();
                let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
                fw(&x, &mut a);
                tw(&x, &mut b);
                let (mut rel, mut abs) = (0.0f64, 0.0f64);
                for ((xv, av), bv) in x.iter().zip(&a).zip(&b) {
                    let d = (*av as f64 - *bv as f64).abs();
                    if bv.abs() >= 1e-30 {
                        rel = rel.max(d / bv.abs() as f64);
                    }
                    abs = abs.max(d / (xv.abs() as f64).max(1.0));
                }
                println!("{name:>16}: rel {rel:.2e}  abs/max(1,|x|) {abs:.2e}");
            }
        });
    }
}

/// max over i of |got_i - want_i| / scale_i.
fn worst(got: &[f32], want: &[f32], scale: impl Fn(usize) -> f64) -> f64 {
    got.iter()
        .zip(want)
        .enumerate()
        .map(|(i, (g, w))| (*g as f64 - *w as f64).abs() / scale(i))
        .fold(0.0, f64::max)
}

#[test]
#[ignore = "prints a table; run by hand"]
fn print_row_errors() {
    use neurodiv_kernels::{Rng, rows};
    for cols in [7usize, 64, 1023] {
        let r = 4000 / cols.min(1000) * 50;
        let mut rng = Rng::new(cols as u64);
        let x: Vec<f32> = (0..r * cols).map(|_| rng.uniform(-10.0, 10.0)).collect();
        let gy: Vec<f32> = (0..r * cols).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let gamma: Vec<f32> = (0..cols).map(|_| rng.uniform(-2.0, 2.0)).collect();
        let beta: Vec<f32> = (0..cols).map(|_| rng.uniform(-2.0, 2.0)).collect();
        let n = r * cols;
        let abs_sum: Vec<f64> = x
            .chunks(cols)
            .map(|c| c.iter().map(|v| v.abs() as f64).sum())
            .collect();
        let (mut want, mut got) = (vec![0.0; n], vec![0.0; n]);
        let (mut wr, mut gr) = (vec![0.0; r], vec![0.0; r]);
        for level in available_levels() {
            let lv = level.name();
            let run = |f: &dyn Fn(&mut [f32]), out: &mut [f32]| with_simd_level(level, || f(out));
            scalar::sum_rows(&x, cols, &mut wr);
            run(&|o| rows::sum_rows(&x, cols, o), &mut gr);
            let e_sum = worst(&gr, &wr, |i| abs_sum[i] * cols as f64 / 16_777_216.0);
            scalar::softmax_rows(&x, cols, &mut want);
            run(&|o| rows::softmax_rows(&x, cols, o), &mut got);
            let e_sm = worst(&got, &want, |i| want[i].abs() as f64);
            scalar::log_softmax_rows(&x, cols, &mut want);
            run(&|o| rows::log_softmax_rows(&x, cols, o), &mut got);
            let e_lsm = worst(&got, &want, |i| 1.0 + want[i].abs() as f64);
            let y = want.clone();
            scalar::log_softmax_backward_rows(&y, &gy, cols, &mut want);
            run(
                &|o| rows::log_softmax_backward_rows(&y, &gy, cols, o),
                &mut got,
            );
            let e_lsmb = worst(&got, &want, |i| 1.0 + want[i].abs() as f64);
            let mut p = vec![0.0; n];
            scalar::softmax_rows(&x, cols, &mut p);
            scalar::softmax_backward_rows(&p, &gy, cols, &mut want);
            run(&|o| rows::softmax_backward_rows(&p, &gy, cols, o), &mut got);
            let e_smb = worst(&got, &want, |i| 1.0 + want[i].abs() as f64);
            let (mut mu, mut rs) = (vec![0.0; r], vec![0.0; r]);
            scalar::layer_norm_rows(&x, cols, 1e-5, &gamma, &beta, &mut want, &mut mu, &mut rs);
            run(
                &|o| {
                    let (mut m2, mut r2) = (vec![0.0; r], vec![0.0; r]);
                    rows::layer_norm_rows(&x, cols, 1e-5, &gamma, &beta, o, &mut m2, &mut r2)
                },
                &mut got,
            );
            let e_ln = worst(&got, &want, |i| 1.0 + want[i].abs() as f64);
            let (mut dg, mut db) = (vec![0.0; cols], vec![0.0; cols]);
            scalar::layer_norm_backward_rows(
                &x, cols, &mu, &rs, &gamma, &gy, &mut want, &mut dg, &mut db,
            );
            let (mut dg2, mut db2) = (vec![0.0; cols], vec![0.0; cols]);
            with_simd_level(level, || {
                rows::layer_norm_backward_rows(
                    &x, cols, &mu, &rs, &gamma, &gy, &mut got, &mut dg2, &mut db2,
                )
            });
            let e_lnb = worst(&got, &want, |i| 1.0 + want[i].abs() as f64);
            let e_dg = worst(&dg2, &dg, |i| 1.0 + dg[i].abs() as f64);
            println!(
                "cols {cols:>4} {lv:>9}: sum/(cols u sum|x|) {e_sum:.2} softmax rel {e_sm:.2e} \
                 log_softmax {e_lsm:.2e} sm_bwd {e_smb:.2e} lsm_bwd {e_lsmb:.2e} \
                 ln {e_ln:.2e} ln_bwd {e_lnb:.2e} dgamma {e_dg:.2e}"
            );
        }
    }
}
