//! Gradient checking against central finite differences.
//!
//! The op under test maps some input tensors to an output tensor. The checker projects the output
//! on a fixed random tensor `r` (so `L = Σ out · r` exercises the whole Jacobian), takes the
//! analytic gradient of `L` from the tape, and compares it with `(L(x + ε) - L(x - ε)) / 2ε`,
//! where `L` is accumulated in f64 from the f32 forward.

use crate::{Tape, Tensor, Var};
use neurodiv_kernels::Rng;

/// Settings of a gradient check.
#[derive(Debug, Clone, Copy)]
pub struct GradCheck {
    /// Finite-difference step.
    pub eps: f32,
    /// Allowed absolute error, added to `rtol * |numeric|`.
    pub atol: f64,
    /// Allowed relative error.
    pub rtol: f64,
}

impl Default for GradCheck {
    fn default() -> Self {
        GradCheck {
            eps: 1e-2,
            atol: 2e-3,
            rtol: 2e-2,
        }
    }
}

fn project(out: &Tensor, r: &[f32]) -> f64 {
    out.data()
        .iter()
        .zip(r)
        .map(|(&a, &b)| a as f64 * b as f64)
        .sum()
}

impl GradCheck {
    /// Checks the gradients of `f` with respect to every input. Returns a description of the
    /// first mismatch.
    pub fn check<F>(&self, inputs: &[Tensor], f: F) -> Result<(), String>
    where
        F: for<'t> Fn(&'t Tape, &[Var<'t>]) -> Var<'t>,
    {
        // Analytic.
        let tape = Tape::new();
        let vars: Vec<Var<'_>> = inputs.iter().map(|t| tape.param(t.clone())).collect();
        let out = f(&tape, &vars);
        let out_val = out.value();
        let mut rng = Rng::new(0x5eed);
        let r: Vec<f32> = (0..out_val.numel())
            .map(|_| rng.uniform(-1.0, 1.0))
            .collect();
        let grads = tape.backward_with(out, Tensor::from_vec(out_val.shape(), r.clone()));

        let eval = |xs: &[Tensor]| -> f64 {
            let tape = Tape::new();
            let vars: Vec<Var<'_>> = xs.iter().map(|t| tape.constant(t.clone())).collect();
            project(&f(&tape, &vars).value(), &r)
        };
        for (i, x) in inputs.iter().enumerate() {
            let analytic = grads
                .get(vars[i])
                .cloned()
                .unwrap_or_else(|| Tensor::zeros(x.shape()));
            assert_eq!(
                analytic.shape(),
                x.shape(),
                "gradcheck: gradient of input {i} has the wrong shape"
            );
            for j in 0..x.numel() {
                let mut xs = inputs.to_vec();
                xs[i].data_mut()[j] = x.data()[j] + self.eps;
                let plus = eval(&xs);
                xs[i].data_mut()[j] = x.data()[j] - self.eps;
                let minus = eval(&xs);
                let numeric = (plus - minus) / (2.0 * self.eps as f64);
                let a = analytic.data()[j] as f64;
                if (a - numeric).abs() > self.atol + self.rtol * numeric.abs() {
                    return Err(format!(
                        "input {i} element {j}: analytic {a:.6} vs numeric {numeric:.6} (shape {:?})",
                        x.shape()
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Checks `f` with the default settings and panics with the mismatch, for use in tests.
pub fn assert_gradients<F>(inputs: &[Tensor], f: F)
where
    F: for<'t> Fn(&'t Tape, &[Var<'t>]) -> Var<'t>,
{
    if let Err(e) = GradCheck::default().check(inputs, f) {
        panic!("gradcheck failed: {e}");
    }
}
