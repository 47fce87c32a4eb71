//! Helpers shared by the op test files.
#![allow(dead_code)]

use neurodiv_autodiff::gradcheck::GradCheck;
use neurodiv_autodiff::{Tape, Tensor, Var};
use neurodiv_kernels::Rng;

/// Uniform values in `[-1, 1)`.
pub fn rand(shape: &[usize], seed: u64) -> Tensor {
    Tensor::uniform(shape, -1.0, 1.0, &mut Rng::new(seed))
}

/// Distinct values at least 0.1 apart in shuffled order (no near-ties for max-like ops).
pub fn distinct(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut v: Vec<f32> = (0..n).map(|i| i as f32 * 0.1 - 0.05 * n as f32).collect();
    Rng::new(seed).shuffle(&mut v);
    Tensor::from_vec(shape, v)
}

/// A gradient check that reports the mismatch instead of panicking (for proptest).
pub fn gradcheck<F>(inputs: &[Tensor], f: F) -> Result<(), String>
where
    F: for<'t> Fn(&'t Tape, &[Var<'t>]) -> Var<'t>,
{
    GradCheck::default().check(inputs, f)
}

/// Asserts two slices agree to `tol`.
pub fn assert_close(got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "lengths differ: {got:?} vs {want:?}");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!(
            (a - b).abs() <= tol,
            "element {i}: {a} vs {b} ({got:?} vs {want:?})"
        );
    }
}

/// The forward value and the gradient of each input for `sum(out * seed)`.
pub fn grads_of<F>(inputs: &[Tensor], seed: Option<Tensor>, f: F) -> (Tensor, Vec<Tensor>)
where
    F: for<'t> Fn(&'t Tape, &[Var<'t>]) -> Var<'t>,
{
    let tape = Tape::new();
    let vars: Vec<Var<'_>> = inputs.iter().map(|t| tape.param(t.clone())).collect();
    let out = f(&tape, &vars);
    let value = out.value();
    let seed = seed.unwrap_or_else(|| Tensor::ones(value.shape()));
    let grads = tape.backward_with(out, seed);
    let gs = vars
        .iter()
        .zip(inputs)
        .map(|(v, t)| {
            grads
                .get(*v)
                .cloned()
                .unwrap_or_else(|| Tensor::zeros(t.shape()))
        })
        .collect();
    (value, gs)
}
