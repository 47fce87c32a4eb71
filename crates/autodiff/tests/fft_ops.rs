//! rfft, irfft, fft, complex_abs and complex_tanh: hand cases, a naive DFT, round trips and gradient checks.

mod common;

use common::{assert_close, grads_of, rand};
use neurodiv_autodiff::gradcheck::{GradCheck, assert_gradients};
use neurodiv_autodiff::{Tape, Tensor, Var};

/// `Σ_t x[t] e^{-2πi f t / n}` of one row, in f64.
fn dft(x: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let n = x.len();
    (0..n / 2 + 1)
        .map(|f| {
            x.iter()
                .enumerate()
                .fold((0.0f64, 0.0f64), |(re, im), (t, &v)| {
                    let a = 2.0 * std::f64::consts::PI * (f * t) as f64 / n as f64;
                    (re + v as f64 * a.cos(), im - v as f64 * a.sin())
                })
        })
        .map(|(re, im)| (re as f32, im as f32))
        .unzip()
}

#[test]
fn rfft_hand_cases() {
    // An impulse has a flat spectrum; a constant has only the zero frequency.
    let x = Tensor::from_vec(&[2, 4], vec![1., 0., 0., 0., 2., 2., 2., 2.]);
    let (re, _) = grads_of(std::slice::from_ref(&x), None, |_, v| v[0].rfft(1).0);
    let (im, _) = grads_of(&[x], None, |_, v| v[0].rfft(1).1);
    assert_eq!(re.shape(), &[2, 3]);
    assert_close(re.data(), &[1., 1., 1., 8., 0., 0.], 1e-6);
    assert_close(im.data(), &[0.; 6], 1e-6);
}

#[test]
fn rfft_matches_the_dft_on_any_axis() {
    for n in [1, 2, 5, 8, 36] {
        let x = rand(&[3, n, 2], n as u64);
        let (re, _) = grads_of(std::slice::from_ref(&x), None, |_, v| v[0].rfft(1).0);
        let (im, _) = grads_of(std::slice::from_ref(&x), None, |_, v| v[0].rfft(1).1);
        let bins = n / 2 + 1;
        assert_eq!(re.shape(), &[3, bins, 2]);
        for b in 0..3 {
            for c in 0..2 {
                let row: Vec<f32> = (0..n).map(|t| x.data()[(b * n + t) * 2 + c]).collect();
                let (wr, wi) = dft(&row);
                let pick = |d: &[f32]| {
                    (0..bins)
                        .map(|f| d[(b * bins + f) * 2 + c])
                        .collect::<Vec<_>>()
                };
                assert_close(&pick(re.data()), &wr, 1e-4);
                assert_close(&pick(im.data()), &wi, 1e-4);
            }
        }
    }
}

#[test]
fn irfft_inverts_rfft() {
    for n in [1, 2, 7, 12, 36] {
        let x = rand(&[2, 3, n], 40 + n as u64);
        let (y, _) = grads_of(std::slice::from_ref(&x), None, |_, v| {
            let (re, im) = v[0].rfft(2);
            Var::irfft(re, im, n, 2)
        });
        assert_close(y.data(), x.data(), 1e-5);
        // Along a middle axis too.
        let (y, _) = grads_of(std::slice::from_ref(&x), None, |_, v| {
            let (re, im) = v[0].rfft(1);
            Var::irfft(re, im, 3, 1)
        });
        assert_close(y.data(), x.data(), 1e-5);
    }
}

#[test]
fn irfft_keeps_only_the_given_modes() {
    // One cosine at frequency 2 of 8 points: re[2] = 4 gives cos(2π 2 t / 8).
    let mut re = vec![0.0; 3];
    re[2] = 4.0;
    let re = Tensor::from_vec(&[1, 3], re);
    let im = Tensor::zeros(&[1, 3]);
    let (y, _) = grads_of(&[re, im], None, |_, v| Var::irfft(v[0], v[1], 8, 1));
    let want: Vec<f32> = (0..8)
        .map(|t| (std::f32::consts::PI * t as f32 / 2.0).cos())
        .collect();
    assert_close(y.data(), &want, 1e-6);
}

#[test]
fn transforms_gradcheck() {
    for n in [5, 6] {
        assert_gradients(&[rand(&[2, n, 3], 7)], |_, v| v[0].rfft(1).0);
        assert_gradients(&[rand(&[2, n], 8)], |_, v| v[0].rfft(1).1);
        let bins = n / 2 + 1;
        assert_gradients(&[rand(&[2, bins], 9), rand(&[2, bins], 10)], |_, v| {
            Var::irfft(v[0], v[1], n, 1)
        });
    }
    assert_gradients(&[rand(&[3, 4], 11), rand(&[3, 4], 12)], |_, v| {
        Var::complex_abs(v[0], v[1])
    });
    // The amplitude spectrum, as TimesNet reads it (a finer step: some moduli are small, and
    // the modulus bends sharply near 0).
    let fine = GradCheck {
        eps: 1e-3,
        atol: 5e-3,
        rtol: 5e-2,
    };
    let res = fine.check(&[rand(&[2, 12, 2], 13)], |_, v| {
        let (re, im) = v[0].rfft(1);
        Var::complex_abs(re, im)
    });
    assert!(res.is_ok(), "{res:?}");
}

#[test]
fn fft_hand_cases() {
    // numpy.fft.fft([1, 2, 3, 4]) = [10, -2+2j, -2, -2-2j]: a real input gives all four
    // frequencies, the upper ones conjugate to the lower.
    let x = Tensor::from_vec(&[1, 4], vec![1., 2., 3., 4.]);
    let (re, _) = grads_of(std::slice::from_ref(&x), None, |_, v| {
        Var::fft(v[0], None, 1).0
    });
    let (im, _) = grads_of(std::slice::from_ref(&x), None, |_, v| {
        Var::fft(v[0], None, 1).1
    });
    assert_eq!(re.shape(), &[1, 4]);
    assert_close(re.data(), &[10., -2., -2., -2.], 1e-5);
    assert_close(im.data(), &[0., 2., 0., -2.], 1e-5);
    // numpy.fft.fft([1+1j, 2-1j, 0+3j]) = [3+3j, -3.46410162-1.73205081j, 3.46410162+1.73205081j]
    // (columns of a [3, 1] input: the transform along axis 0).
    let (zr, zi) = (
        Tensor::from_vec(&[3, 1], vec![1., 2., 0.]),
        Tensor::from_vec(&[3, 1], vec![1., -1., 3.]),
    );
    let (re, _) = grads_of(&[zr.clone(), zi.clone()], None, |_, v| {
        Var::fft(v[0], Some(v[1]), 0).0
    });
    let (im, _) = grads_of(&[zr, zi], None, |_, v| Var::fft(v[0], Some(v[1]), 0).1);
    assert_close(re.data(), &[3., -3.464_101_6, 3.464_101_6], 1e-5);
    assert_close(im.data(), &[3., -1.732_050_8, 1.732_050_8], 1e-5);
}

#[test]
fn fft_agrees_with_rfft_and_inverts_through_irfft() {
    // On a real input the first n/2 + 1 frequencies are the real transform's, and irfft of
    // them (the rest ignored, as PyTorch's irfft of a longer spectrum) gives the input back.
    for n in [1, 2, 4, 5, 8] {
        let x = rand(&[2, n, 3], 60 + n as u64);
        let bins = n / 2 + 1;
        for part in 0..2 {
            let (full, _) = grads_of(std::slice::from_ref(&x), None, |_, v| {
                let (re, im) = Var::fft(v[0], None, 1);
                if part == 0 { re } else { im }.slice(1, 0, bins)
            });
            let (half, _) = grads_of(std::slice::from_ref(&x), None, |_, v| {
                let (re, im) = v[0].rfft(1);
                if part == 0 { re } else { im }
            });
            assert_close(full.data(), half.data(), 1e-5);
        }
        let (y, _) = grads_of(std::slice::from_ref(&x), None, |_, v| {
            let (re, im) = Var::fft(v[0], None, 1);
            Var::irfft(re, im, n, 1)
        });
        assert_close(y.data(), x.data(), 1e-5);
    }
}

#[test]
fn fft_gradcheck() {
    for n in [3, 4] {
        assert_gradients(&[rand(&[2, n, 3], 21)], |_, v| Var::fft(v[0], None, 1).0);
        assert_gradients(&[rand(&[2, n], 22)], |_, v| Var::fft(v[0], None, 1).1);
        let z = [rand(&[n, 2], 23), rand(&[n, 2], 24)];
        assert_gradients(&z, |_, v| Var::fft(v[0], Some(v[1]), 0).0);
        assert_gradients(&z, |_, v| Var::fft(v[0], Some(v[1]), 0).1);
    }
}

#[test]
fn complex_abs_is_the_modulus_with_zero_gradient_at_zero() {
    let re = Tensor::from_vec(&[3], vec![3., 0., -1.]);
    let im = Tensor::from_vec(&[3], vec![4., 0., 0.]);
    let (y, g) = grads_of(&[re, im], None, |_, v| Var::complex_abs(v[0], v[1]));
    assert_close(y.data(), &[5., 0., 1.], 1e-6);
    assert_close(g[0].data(), &[0.6, 0., -1.], 1e-6);
    assert_close(g[1].data(), &[0.8, 0., 0.], 1e-6);
}

#[test]
fn complex_tanh_hand_case_and_gradients() {
    let tape = Tape::new();
    let (re, im) = (
        tape.constant(Tensor::from_vec(&[3], vec![0.5, -1.0, 30.0])),
        tape.constant(Tensor::from_vec(&[3], vec![0.25, 2.0, 1.0])),
    );
    let (r, m) = Var::complex_tanh(re, im);
    // Python's cmath.tanh(0.5 + 0.25j), cmath.tanh(-1 + 2j); tanh(30 + i) is 1 in f32.
    let want_r = [0.485_487_3f32, -1.166_736_3, 1.0];
    let want_m = [0.198_055_4f32, -0.243_458_2, 0.0];
    for i in 0..3 {
        assert!((r.value().data()[i] - want_r[i]).abs() < 1e-5, "re {i}");
        assert!((m.value().data()[i] - want_m[i]).abs() < 1e-5, "im {i}");
    }
    let x = [rand(&[2, 3], 31), rand(&[2, 3], 32)];
    assert_gradients(&x, |_, v| Var::complex_tanh(v[0], v[1]).0);
    assert_gradients(&x, |_, v| Var::complex_tanh(v[0], v[1]).1);
}
