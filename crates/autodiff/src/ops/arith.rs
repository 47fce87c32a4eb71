//! Broadcasting arithmetic: add, sub, mul, div, and their scalar forms.

use super::broadcast::{broadcast_shape, broadcast_to, sum_to_shape};
use crate::{Tensor, Var};
use neurodiv_kernels::elementwise as ew;

/// Applies a same-shape kernel to `a` and `b` broadcast to a common shape.
fn binary(a: &Tensor, b: &Tensor, kernel: fn(&[f32], &[f32], &mut [f32])) -> Tensor {
    if a.shape() == b.shape() {
        let mut out = vec![0.0; a.numel()];
        kernel(a.data(), b.data(), &mut out);
        return Tensor::from_vec(a.shape(), out);
    }
    let shape = broadcast_shape(a.shape(), b.shape());
    let a = broadcast_to(a, &shape);
    let b = broadcast_to(b, &shape);
    let mut out = vec![0.0; a.numel()];
    kernel(a.data(), b.data(), &mut out);
    Tensor::from_vec(&shape, out)
}

// The named methods read well in chains (`x.mul(w).add(b)`); the operator traits below
// delegate to them.
#[allow(clippy::should_implement_trait)]
impl<'t> Var<'t> {
    /// `self + other`, broadcasting.
    pub fn add(self, other: Var<'t>) -> Var<'t> {
        let (a, b) = (self.value(), other.value());
        let out = binary(&a, &b, ew::add);
        let (sa, sb) = (a.shape().to_vec(), b.shape().to_vec());
        self.tape.record(out, &[self, other], move |g, needs| {
            vec![
                needs[0].then(|| sum_to_shape(g, &sa)),
                needs[1].then(|| sum_to_shape(g, &sb)),
            ]
        })
    }

    /// `self - other`, broadcasting.
    pub fn sub(self, other: Var<'t>) -> Var<'t> {
        let (a, b) = (self.value(), other.value());
        let out = binary(&a, &b, ew::sub);
        let (sa, sb) = (a.shape().to_vec(), b.shape().to_vec());
        self.tape.record(out, &[self, other], move |g, needs| {
            vec![
                needs[0].then(|| sum_to_shape(g, &sa)),
                needs[1].then(|| sum_to_shape(g, &sb).map(|v| -v)),
            ]
        })
    }

    /// `self * other` element-wise, broadcasting.
    pub fn mul(self, other: Var<'t>) -> Var<'t> {
        let (a, b) = (self.value(), other.value());
        let out = binary(&a, &b, ew::mul);
        self.tape.record(out, &[self, other], move |g, needs| {
            vec![
                needs[0].then(|| sum_to_shape(&binary(g, &b, ew::mul), a.shape())),
                needs[1].then(|| sum_to_shape(&binary(g, &a, ew::mul), b.shape())),
            ]
        })
    }

    /// `self / other` element-wise, broadcasting.
    pub fn div(self, other: Var<'t>) -> Var<'t> {
        let (a, b) = (self.value(), other.value());
        let out = binary(&a, &b, ew::div);
        let q = out.clone();
        self.tape.record(out, &[self, other], move |g, needs| {
            let ga = binary(g, &b, ew::div);
            let gb = needs[1].then(|| {
                // d(a/b)/db = -(a/b)/b
                let t = binary(&ga, &q, ew::mul);
                sum_to_shape(&t, b.shape()).map(|v| -v)
            });
            vec![needs[0].then(|| sum_to_shape(&ga, a.shape())), gb]
        })
    }

    /// `self + c`.
    pub fn add_scalar(self, c: f32) -> Var<'t> {
        let out = self.value().map(|v| v + c);
        self.tape.record(out, &[self], |g, _| vec![Some(g.clone())])
    }

    /// `self * c`.
    pub fn mul_scalar(self, c: f32) -> Var<'t> {
        let out = self.value().map(|v| v * c);
        self.tape
            .record(out, &[self], move |g, _| vec![Some(g.map(|v| v * c))])
    }

    /// `-self`.
    pub fn neg(self) -> Var<'t> {
        self.mul_scalar(-1.0)
    }

    /// `c - self`.
    pub fn rsub_scalar(self, c: f32) -> Var<'t> {
        self.neg().add_scalar(c)
    }
}

macro_rules! operator {
    ($trait:ident, $method:ident) => {
        impl<'t> std::ops::$trait for Var<'t> {
            type Output = Var<'t>;
            fn $method(self, other: Var<'t>) -> Var<'t> {
                Var::$method(self, other)
            }
        }
    };
}
operator!(Add, add);
operator!(Sub, sub);
operator!(Mul, mul);
operator!(Div, div);

impl<'t> std::ops::Neg for Var<'t> {
    type Output = Var<'t>;
    fn neg(self) -> Var<'t> {
        Var::neg(self)
    }
}
