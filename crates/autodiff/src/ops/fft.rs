//! The discrete Fourier transform: the real transform and its inverse (PyTorch's
//! `torch.fft.rfft` / `irfft`), the complex transform (`torch.fft.fft`), all with the default
//! "backward" normalisation, and the modulus and hyperbolic tangent of a complex value.
//!
//! A complex tensor is a pair of real tensors `(re, im)`. The transforms are products with
//! constant cosine and sine matrices on the transformed axis: exact, differentiable through the
//! matrix product's own backward, and for the short axes of the forecasting models (tens to a
//! few hundred points) as fast as an FFT. The cost is `O(n²)` per row, so they are not meant
//! for axes of many thousands of points.

use crate::{Tensor, Var};
use std::f64::consts::PI;

/// `cos` and `sin` of `2π f t / n`, with `f t` reduced modulo `n` first (exact angles).
fn twiddle(f: usize, t: usize, n: usize) -> (f64, f64) {
    let a = 2.0 * PI * ((f * t) % n) as f64 / n as f64;
    (a.cos(), a.sin())
}

/// Bins of a real transform of length `n`: `n / 2 + 1`.
fn rfft_bins(n: usize) -> usize {
    n / 2 + 1
}

impl<'t> Var<'t> {
    /// Swaps `axis` with the last one (its own inverse); the identity when it is the last.
    fn axis_last(self, axis: usize) -> Var<'t> {
        let last = self.shape().len() - 1;
        assert!(
            axis <= last,
            "fft: axis {axis} out of range for {:?}",
            self.shape()
        );
        if axis == last {
            self
        } else {
            self.transpose(axis, last)
        }
    }

    /// The cosine and sine matrices `[bins, n]` of the forward transform along `axis` of
    /// `self`: `C[f, t] = cos(2π f t / n)` and `S[f, t] = -sin(2π f t / n)`, so that
    /// `x · Cᵀ + i x · Sᵀ` is the spectrum of a real `x` at frequencies `0..bins`.
    fn dft_matrices(self, bins: usize, n: usize) -> (Var<'t>, Var<'t>) {
        let (mut c, mut s) = (Vec::with_capacity(bins * n), Vec::with_capacity(bins * n));
        for f in 0..bins {
            for t in 0..n {
                let (cos, sin) = twiddle(f, t, n);
                c.push(cos as f32);
                s.push(-sin as f32);
            }
        }
        (
            self.constant(Tensor::from_vec(&[bins, n], c)),
            self.constant(Tensor::from_vec(&[bins, n], s)),
        )
    }

    /// The real FFT along `axis` (length `n`): the real and imaginary parts of its
    /// `n / 2 + 1` non-negative frequencies, `X[f] = Σ_t x[t] e^{-2πi f t / n}`.
    pub fn rfft(self, axis: usize) -> (Var<'t>, Var<'t>) {
        let n = self.shape()[axis];
        let (c, s) = self.dft_matrices(rfft_bins(n), n);
        // [..., n] · [bins, n]ᵀ -> [..., bins]
        let x = self.axis_last(axis); // the transformed axis last, moved once
        (
            x.linear(c, None).axis_last(axis),
            x.linear(s, None).axis_last(axis),
        )
    }

    /// The complex FFT of `re + i im` along `axis` (length `n`, `torch.fft.fft`): all `n`
    /// frequencies `X[f] = Σ_t z[t] e^{-2πi f t / n}` as `(re, im)`. `im = None` transforms a
    /// real input (PyTorch promotes it to complex), whose upper frequencies are the conjugates
    /// of the lower ones.
    pub fn fft(re: Var<'t>, im: Option<Var<'t>>, axis: usize) -> (Var<'t>, Var<'t>) {
        let n = re.shape()[axis];
        let (c, s) = re.dft_matrices(n, n);
        // [..., n] · [n, n]ᵀ -> [..., n]: Re X = re·C - im·S, Im X = re·S + im·C.
        let a = re.axis_last(axis);
        let (mut out_re, mut out_im) = (a.linear(c, None), a.linear(s, None));
        if let Some(im) = im {
            assert_eq!(re.shape(), im.shape(), "fft: re and im differ in shape");
            let b = im.axis_last(axis);
            out_re = out_re.sub(b.linear(s, None));
            out_im = out_im.add(b.linear(c, None));
        }
        (out_re.axis_last(axis), out_im.axis_last(axis))
    }

    /// The inverse real FFT of `re + i im` along `axis` to `n` points:
    /// `x[t] = (1/n) Σ_f w_f (re[f] cos(2π f t / n) - im[f] sin(2π f t / n))`, with `w_f = 2` for
    /// the frequencies that stand for a conjugate pair and 1 for 0 and (even `n`) `n / 2`; the
    /// imaginary parts of those two are ignored, as PyTorch does. Frequencies beyond the given
    /// ones count as 0; those past `n / 2` are ignored.
    pub fn irfft(re: Var<'t>, im: Var<'t>, n: usize, axis: usize) -> Var<'t> {
        assert_eq!(re.shape(), im.shape(), "irfft: re and im differ in shape");
        let given = re.shape()[axis];
        let used = given.min(rfft_bins(n));
        let (mut a, mut b) = (vec![0.0; n * given], vec![0.0; n * given]);
        for t in 0..n {
            for f in 0..used {
                let w = if f == 0 || 2 * f == n { 1.0 } else { 2.0 } / n as f64;
                let (cos, sin) = twiddle(f, t, n);
                a[t * given + f] = (w * cos) as f32;
                b[t * given + f] = (-w * sin) as f32;
            }
        }
        // [..., F] · [n, F]ᵀ -> [..., n]
        let a = re.constant(Tensor::from_vec(&[n, given], a));
        let b = re.constant(Tensor::from_vec(&[n, given], b));
        let x = re.axis_last(axis).linear(a, None);
        x.add(im.axis_last(axis).linear(b, None)).axis_last(axis)
    }

    /// The modulus `sqrt(re² + im²)` element-wise, with gradient `(re, im) / |z|`, and 0 where
    /// `z = 0` (PyTorch's convention for `abs` of a complex tensor).
    pub fn complex_abs(re: Var<'t>, im: Var<'t>) -> Var<'t> {
        let (a, b) = (re.value(), im.value());
        assert_eq!(
            a.shape(),
            b.shape(),
            "complex_abs: re and im differ in shape"
        );
        let m: Vec<f32> = a
            .data()
            .iter()
            .zip(b.data())
            .map(|(x, y)| x.hypot(*y))
            .collect();
        let out = Tensor::from_vec(a.shape(), m);
        let r = out.clone();
        re.tape.record(out, &[re, im], move |g, needs| {
            let part = |p: &Tensor| {
                let v = g
                    .data()
                    .iter()
                    .zip(p.data())
                    .zip(r.data())
                    .map(|((g, p), r)| if *r > 0.0 { g * p / r } else { 0.0 })
                    .collect();
                Tensor::from_vec(p.shape(), v)
            };
            vec![needs[0].then(|| part(&a)), needs[1].then(|| part(&b))]
        })
    }

    /// The complex hyperbolic tangent of `re + i im`, elementwise, as `(re, im)`:
    /// `tanh(a + ib) = (sinh 2a + i sin 2b) / (cosh 2a + cos 2b)` (`torch.tanh` on complex
    /// tensors; FEDformer's cross attention). Poles (`a = 0`, `b = π/2 + kπ`) give infinities as
    /// in PyTorch. The gradient follows from `tanh' = 1 - tanh²` (the function is holomorphic).
    pub fn complex_tanh(re: Var<'t>, im: Var<'t>) -> (Var<'t>, Var<'t>) {
        let (a, b) = (re.value(), im.value());
        assert_eq!(
            a.shape(),
            b.shape(),
            "complex_tanh: re and im differ in shape"
        );
        let n = a.numel();
        let (mut yr, mut yi) = (vec![0.0f32; n], vec![0.0f32; n]);
        for i in 0..n {
            let (x, y) = (a.data()[i] as f64, b.data()[i] as f64);
            let (r, m) = if x.abs() > 20.0 {
                (x.signum(), 0.0) // |tanh - sign| < e^-40
            } else {
                let d = (2.0 * x).cosh() + (2.0 * y).cos();
                ((2.0 * x).sinh() / d, (2.0 * y).sin() / d)
            };
            (yr[i], yi[i]) = (r as f32, m as f32);
        }
        let (tr, ti) = (
            Tensor::from_vec(a.shape(), yr),
            Tensor::from_vec(a.shape(), yi),
        );
        // f' = 1 - tanh² = (1 - r² + m²) - i 2 r m; per output part, the gradients of (a, b):
        // d re/da = Re f', d re/db = -Im f', d im/da = Im f', d im/db = Re f'.
        let derivative = move |r: &Tensor, m: &Tensor| -> (Vec<f32>, Vec<f32>) {
            r.data()
                .iter()
                .zip(m.data())
                .map(|(&r, &m)| (1.0 - r * r + m * m, -2.0 * r * m))
                .unzip()
        };
        let grads = |(fr, fi): &(Vec<f32>, Vec<f32>), g: &Tensor, imag_part: bool| {
            let (ga, gb): (Vec<f32>, Vec<f32>) = g
                .data()
                .iter()
                .zip(fr.iter().zip(fi))
                .map(|(&g, (&p, &q))| {
                    if imag_part {
                        (g * q, g * p)
                    } else {
                        (g * p, -g * q)
                    }
                })
                .unzip();
            (ga, gb)
        };
        let shape = a.shape().to_vec();
        let (r1, m1) = (tr.clone(), ti.clone());
        let out_re = re.tape.record(tr.clone(), &[re, im], move |g, _| {
            let (ga, gb) = grads(&derivative(&r1, &m1), g, false);
            vec![
                Some(Tensor::from_vec(&shape, ga)),
                Some(Tensor::from_vec(&shape, gb)),
            ]
        });
        let shape = a.shape().to_vec();
        let (r2, m2) = (tr, ti.clone());
        let out_im = re.tape.record(ti, &[re, im], move |g, _| {
            let (ga, gb) = grads(&derivative(&r2, &m2), g, true);
            vec![
                Some(Tensor::from_vec(&shape, ga)),
                Some(Tensor::from_vec(&shape, gb)),
            ]
        });
        (out_re, out_im)
    }
}
