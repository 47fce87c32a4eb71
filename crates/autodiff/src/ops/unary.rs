//! Element-wise math and activations.

use crate::{Tensor, Var};
use neurodiv_kernels::elementwise as ew;
use neurodiv_kernels::special;

fn apply(x: &Tensor, kernel: fn(&[f32], &mut [f32])) -> Tensor {
    let mut out = vec![0.0; x.numel()];
    kernel(x.data(), &mut out);
    Tensor::from_vec(x.shape(), out)
}

fn apply2(a: &Tensor, b: &Tensor, kernel: fn(&[f32], &[f32], &mut [f32])) -> Tensor {
    let mut out = vec![0.0; a.numel()];
    kernel(a.data(), b.data(), &mut out);
    Tensor::from_vec(a.shape(), out)
}

/// Elementwise `g * f(x)` where `f` is the local derivative.
fn chain(g: &Tensor, x: &Tensor, d: impl Fn(f32) -> f32) -> Tensor {
    let v = g
        .data()
        .iter()
        .zip(x.data())
        .map(|(&g, &x)| g * d(x))
        .collect();
    Tensor::from_vec(g.shape(), v)
}

impl<'t> Var<'t> {
    /// `exp(self)`.
    pub fn exp(self) -> Var<'t> {
        let y = apply(&self.value(), ew::exp);
        let yc = y.clone();
        self.tape
            .record(y, &[self], move |g, _| vec![Some(apply2(g, &yc, ew::mul))])
    }

    /// Natural logarithm.
    pub fn log(self) -> Var<'t> {
        let x = self.value();
        let y = apply(&x, ew::log);
        self.tape
            .record(y, &[self], move |g, _| vec![Some(apply2(g, &x, ew::div))])
    }

    /// `ln(1 + x)`, accurate for `x` near 0 where `(1 + x).log()` loses digits (gradient
    /// `1 / (1 + x)`).
    pub fn log1p(self) -> Var<'t> {
        let x = self.value();
        let y = x.map(f32::ln_1p);
        self.tape.record(y, &[self], move |g, _| {
            vec![Some(chain(g, &x, |v| 1.0 / (1.0 + v)))]
        })
    }

    /// `ln |Γ(x)|`, computed in f64 ([`special::lgamma`]); the gradient is the digamma function.
    /// `+inf` at 0 and the negative integers.
    pub fn lgamma(self) -> Var<'t> {
        let x = self.value();
        let y = x.map(|v| special::lgamma(f64::from(v)) as f32);
        self.tape.record(y, &[self], move |g, _| {
            vec![Some(chain(g, &x, |v| {
                special::digamma(f64::from(v)) as f32
            }))]
        })
    }

    /// `self^p` for a constant exponent.
    pub fn pow(self, p: f32) -> Var<'t> {
        let x = self.value();
        let y = x.map(|v| v.powf(p));
        self.tape.record(y, &[self], move |g, _| {
            vec![Some(chain(g, &x, |v| p * v.powf(p - 1.0)))]
        })
    }

    /// Square root.
    pub fn sqrt(self) -> Var<'t> {
        let y = self.value().map(f32::sqrt);
        let yc = y.clone();
        self.tape.record(y, &[self], move |g, _| {
            vec![Some(chain(g, &yc, |s| 0.5 / s))]
        })
    }

    /// Absolute value (gradient `sign(x)`, 0 at 0).
    pub fn abs(self) -> Var<'t> {
        let x = self.value();
        let y = x.map(f32::abs);
        self.tape.record(y, &[self], move |g, _| {
            vec![Some(chain(g, &x, |v| {
                if v > 0.0 {
                    1.0
                } else if v < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }))]
        })
    }

    /// Clamps into `[lo, hi]` (gradient 1 inside, 0 outside).
    pub fn clamp(self, lo: f32, hi: f32) -> Var<'t> {
        let x = self.value();
        let y = x.map(|v| v.clamp(lo, hi));
        self.tape.record(y, &[self], move |g, _| {
            vec![Some(chain(g, &x, |v| {
                if v >= lo && v <= hi { 1.0 } else { 0.0 }
            }))]
        })
    }

    /// `max(x, 0)`.
    pub fn relu(self) -> Var<'t> {
        let x = self.value();
        let y = apply(&x, ew::relu);
        self.tape.record(y, &[self], move |g, _| {
            vec![Some(apply2(&x, g, ew::relu_backward))]
        })
    }

    /// Leaky ReLU with negative `slope`.
    pub fn leaky_relu(self, slope: f32) -> Var<'t> {
        let x = self.value();
        let mut out = vec![0.0; x.numel()];
        ew::leaky_relu(x.data(), slope, &mut out);
        let y = Tensor::from_vec(x.shape(), out);
        self.tape.record(y, &[self], move |g, _| {
            let mut gx = vec![0.0; x.numel()];
            ew::leaky_relu_backward(x.data(), slope, g.data(), &mut gx);
            vec![Some(Tensor::from_vec(x.shape(), gx))]
        })
    }

    /// ELU with `alpha = 1`: `x` where `x > 0`, else `e^x - 1` (PyTorch's `nn.ELU()`).
    pub fn elu(self) -> Var<'t> {
        let x = self.value();
        let y = apply(&x, |xs, out| {
            for (o, &v) in out.iter_mut().zip(xs) {
                *o = if v > 0.0 { v } else { v.exp_m1() };
            }
        });
        let yc = y.clone();
        self.tape.record(y, &[self], move |g, _| {
            // d/dx: 1 where x > 0, else e^x = y + 1.
            let gx = x
                .data()
                .iter()
                .zip(yc.data())
                .zip(g.data())
                .map(|((&v, &yv), &gv)| if v > 0.0 { gv } else { gv * (yv + 1.0) })
                .collect();
            vec![Some(Tensor::from_vec(x.shape(), gx))]
        })
    }

    /// Exact GELU.
    pub fn gelu(self) -> Var<'t> {
        let x = self.value();
        let y = apply(&x, ew::gelu);
        self.tape.record(y, &[self], move |g, _| {
            vec![Some(apply2(&x, g, ew::gelu_backward))]
        })
    }

    /// Hyperbolic tangent.
    pub fn tanh(self) -> Var<'t> {
        let y = apply(&self.value(), ew::tanh);
        let yc = y.clone();
        self.tape.record(y, &[self], move |g, _| {
            vec![Some(apply2(&yc, g, ew::tanh_backward))]
        })
    }

    /// Logistic sigmoid.
    pub fn sigmoid(self) -> Var<'t> {
        let y = apply(&self.value(), ew::sigmoid);
        let yc = y.clone();
        self.tape.record(y, &[self], move |g, _| {
            vec![Some(apply2(&yc, g, ew::sigmoid_backward))]
        })
    }

    /// `ln(1 + e^x)`.
    pub fn softplus(self) -> Var<'t> {
        let x = self.value();
        let y = apply(&x, ew::softplus);
        self.tape.record(y, &[self], move |g, _| {
            vec![Some(apply2(&x, g, ew::softplus_backward))]
        })
    }

    /// `x * sigmoid(x)` (SiLU / swish).
    pub fn silu(self) -> Var<'t> {
        let x = self.value();
        let y = apply(&x, ew::silu);
        self.tape.record(y, &[self], move |g, _| {
            vec![Some(apply2(&x, g, ew::silu_backward))]
        })
    }
}
