//! conv1d (and its causal form): hand cases, a naive reference, and gradient checks.

mod common;

use common::{assert_close, gradcheck, grads_of, rand};
use neurodiv_autodiff::Tensor;
use neurodiv_autodiff::gradcheck::assert_gradients;
use proptest::prelude::*;

fn t(shape: &[usize], v: &[f32]) -> Tensor {
    Tensor::from_vec(shape, v.to_vec())
}

/// Direct PyTorch-style cross-correlation, as the definition reads.
#[allow(clippy::too_many_arguments)]
fn reference(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    stride: usize,
    pad: (usize, usize),
    dil: usize,
    groups: usize,
) -> Vec<f32> {
    let (bs, cin, len) = (x.shape()[0], x.shape()[1], x.shape()[2]);
    let (cout, cg, k) = (w.shape()[0], w.shape()[1], w.shape()[2]);
    let og = cout / groups;
    let l_out = (len + pad.0 + pad.1 - dil * (k - 1) - 1) / stride + 1;
    let mut y = vec![0.0; bs * cout * l_out];
    for n in 0..bs {
        for co in 0..cout {
            let g = co / og;
            for t in 0..l_out {
                let mut acc = b.map_or(0.0, |b| b.data()[co]);
                for c in 0..cg {
                    let ci = g * cg + c;
                    for kk in 0..k {
                        let pos = (t * stride + kk * dil) as isize - pad.0 as isize;
                        if pos >= 0 && (pos as usize) < len {
                            acc += w.data()[(co * cg + c) * k + kk]
                                * x.data()[(n * cin + ci) * len + pos as usize];
                        }
                    }
                }
                y[(n * cout + co) * l_out + t] = acc;
            }
        }
    }
    y
}

#[test]
fn conv1d_hand_cases() {
    let x = t(&[1, 1, 4], &[1., 2., 3., 4.]);
    let w = t(&[1, 1, 2], &[2., 1.]);
    let b = t(&[1], &[0.5]);
    // y[t] = 2 x[t] + x[t + 1] + 0.5
    let (y, g) = grads_of(&[x.clone(), w.clone(), b.clone()], None, |_, v| {
        v[0].conv1d(v[1], Some(v[2]), 1, (0, 0), 1, 1)
    });
    assert_eq!(y.shape(), &[1, 1, 3]);
    assert_close(y.data(), &[4.5, 7.5, 10.5], 1e-6);
    assert_close(g[0].data(), &[2., 3., 3., 1.], 1e-6);
    assert_close(g[1].data(), &[6., 9.], 1e-6);
    assert_close(g[2].data(), &[3.], 1e-6);
    // Causal: padded on the left by K - 1, output t sees inputs up to t.
    let (y, _) = grads_of(&[x, w], None, |_, v| v[0].conv1d_causal(v[1], None, 1, 1));
    assert_close(y.data(), &[1., 4., 7., 10.], 1e-6);
    // Stride 2, dilation 2, padding (1, 1): padded input [0, 1, 2, 3, 4, 5, 0].
    let x = t(&[1, 1, 5], &[1., 2., 3., 4., 5.]);
    let w = t(&[1, 1, 2], &[1., 1.]);
    let (y, _) = grads_of(&[x, w], None, |_, v| {
        v[0].conv1d(v[1], None, 2, (1, 1), 2, 1)
    });
    assert_close(y.data(), &[2., 6., 4.], 1e-6);
    // Two groups, one channel each.
    let x = t(&[1, 2, 3], &[1., 2., 3., 4., 5., 6.]);
    let w = t(&[2, 1, 1], &[10., 100.]);
    let (y, _) = grads_of(&[x, w], None, |_, v| {
        v[0].conv1d(v[1], None, 1, (0, 0), 1, 2)
    });
    assert_close(y.data(), &[10., 20., 30., 400., 500., 600.], 1e-4);
}

#[test]
fn causal_conv_does_not_see_the_future() {
    let x = rand(&[1, 2, 6], 1);
    let w = rand(&[3, 2, 3], 2);
    let seed = {
        let mut s = vec![0.0; 3 * 6];
        for c in 0..3 {
            s[c * 6 + 2] = 1.0; // gradient of output position 2 only
        }
        Tensor::from_vec(&[1, 3, 6], s)
    };
    let (y, g) = grads_of(&[x, w], Some(seed), |_, v| {
        v[0].conv1d_causal(v[1], None, 2, 1)
    });
    assert_eq!(y.shape(), &[1, 3, 6]);
    for c in 0..2 {
        for l in 3..6 {
            assert_eq!(
                g[0].data()[c * 6 + l],
                0.0,
                "input {l} of channel {c} leaks"
            );
        }
    }
}

#[test]
fn conv1d_matches_reference_and_gradchecks() {
    let cases = [
        // (B, C_in, L, C_out, K, stride, pad, dilation, groups)
        (2, 2, 5, 3, 3, 1, (0, 0), 1, 1),
        (1, 4, 7, 2, 2, 2, (1, 2), 2, 2),
        (2, 3, 4, 3, 2, 1, (2, 0), 1, 3),
        (1, 2, 6, 4, 3, 3, (1, 1), 1, 1),
    ];
    for (i, &(b, ci, l, co, k, s, p, d, g)) in cases.iter().enumerate() {
        let seed = 10 * i as u64;
        let x = rand(&[b, ci, l], seed);
        let w = rand(&[co, ci / g, k], seed + 1);
        let bias = rand(&[co], seed + 2);
        let (y, _) = grads_of(&[x.clone(), w.clone(), bias.clone()], None, |_, v| {
            v[0].conv1d(v[1], Some(v[2]), s, p, d, g)
        });
        assert_close(y.data(), &reference(&x, &w, Some(&bias), s, p, d, g), 1e-5);
        assert_gradients(&[x.clone(), w.clone(), bias], |_, v| {
            v[0].conv1d(v[1], Some(v[2]), s, p, d, g)
        });
        assert_gradients(&[x, w], |_, v| v[0].conv1d(v[1], None, s, p, d, g));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10))]
    #[test]
    fn prop_conv1d(
        b in 1usize..3, cg in 1usize..3, og in 1usize..3, groups in 1usize..3,
        l in 1usize..7, k in 1usize..4, stride in 1usize..3, dil in 1usize..3,
        pl in 0usize..3, pr in 0usize..3, seed in 0u64..1000,
    ) {
        let (ci, co) = (cg * groups, og * groups);
        prop_assume!(l + pl + pr > dil * (k - 1));
        let x = rand(&[b, ci, l], seed);
        let w = rand(&[co, cg, k], seed + 1);
        let bias = rand(&[co], seed + 2);
        let (y, _) = grads_of(&[x.clone(), w.clone(), bias.clone()], None, |_, v| {
            v[0].conv1d(v[1], Some(v[2]), stride, (pl, pr), dil, groups)
        });
        let want = reference(&x, &w, Some(&bias), stride, (pl, pr), dil, groups);
        prop_assert!(y.data().iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-5));
        let res = gradcheck(&[x.clone(), w.clone(), bias], |_, v| {
            v[0].conv1d(v[1], Some(v[2]), stride, (pl, pr), dil, groups)
        });
        prop_assert!(res.is_ok(), "conv1d {:?}", res);
        let res = gradcheck(&[x, w], |_, v| v[0].conv1d_causal(v[1], None, dil, groups));
        prop_assert!(res.is_ok(), "causal {:?}", res);
    }
}

/// Direct PyTorch-style 2-D cross-correlation, as the definition reads.
#[allow(clippy::too_many_arguments)]
fn reference2d(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    stride: (usize, usize),
    pad: (usize, usize),
    dil: (usize, usize),
    groups: usize,
) -> Vec<f32> {
    let s = x.shape();
    let (bs, cin, hh, ww) = (s[0], s[1], s[2], s[3]);
    let s = w.shape();
    let (cout, cg, kh, kw) = (s[0], s[1], s[2], s[3]);
    let og = cout / groups;
    let ho = (hh + 2 * pad.0 - dil.0 * (kh - 1) - 1) / stride.0 + 1;
    let wo = (ww + 2 * pad.1 - dil.1 * (kw - 1) - 1) / stride.1 + 1;
    let mut y = vec![0.0; bs * cout * ho * wo];
    for n in 0..bs {
        for co in 0..cout {
            let g = co / og;
            for oh in 0..ho {
                for ow in 0..wo {
                    let mut acc = b.map_or(0.0, |b| b.data()[co]);
                    for c in 0..cg {
                        let ci = g * cg + c;
                        for a in 0..kh {
                            for e in 0..kw {
                                let ih = (oh * stride.0 + a * dil.0) as isize - pad.0 as isize;
                                let iw = (ow * stride.1 + e * dil.1) as isize - pad.1 as isize;
                                if ih >= 0 && iw >= 0 && (ih as usize) < hh && (iw as usize) < ww {
                                    let xi = ((n * cin + ci) * hh + ih as usize) * ww + iw as usize;
                                    acc +=
                                        w.data()[((co * cg + c) * kh + a) * kw + e] * x.data()[xi];
                                }
                            }
                        }
                    }
                    y[((n * cout + co) * ho + oh) * wo + ow] = acc;
                }
            }
        }
    }
    y
}

#[test]
fn conv2d_hand_case() {
    // A 2 x 2 all-ones kernel sums each 2 x 2 block of a 3 x 3 grid padded by 1.
    let x = t(&[1, 1, 2, 2], &[1., 2., 3., 4.]);
    let w = t(&[1, 1, 2, 2], &[1., 1., 1., 1.]);
    let (y, g) = grads_of(&[x, w], None, |_, v| {
        v[0].conv2d(v[1], None, (1, 1), (1, 1), (1, 1), 1)
    });
    assert_eq!(y.shape(), &[1, 1, 3, 3]);
    assert_close(y.data(), &[1., 3., 2., 4., 10., 6., 3., 7., 4.], 1e-6);
    // Every input is read by 4 outputs; every tap reads all 4 inputs once.
    assert_close(g[0].data(), &[4., 4., 4., 4.], 1e-6);
    assert_close(g[1].data(), &[10., 10., 10., 10.], 1e-6);
}

#[test]
fn conv2d_matches_reference_and_gradchecks() {
    let cases = [
        // (B, C_in, H, W, C_out, KH, KW, stride, pad, dilation, groups)
        (2, 2, 4, 5, 3, 3, 3, (1, 1), (1, 1), (1, 1), 1),
        (1, 4, 5, 6, 2, 2, 3, (2, 1), (0, 2), (1, 2), 2),
        (2, 3, 3, 4, 3, 1, 2, (1, 2), (1, 0), (2, 1), 3),
        // TimesNet's shape: an 11 x 11 kernel padded by 5 on grids 1, 2 and 3 rows high, where
        // most kernel rows read only padding (dead taps).
        (2, 2, 1, 7, 2, 11, 11, (1, 1), (5, 5), (1, 1), 1),
        (1, 2, 2, 6, 3, 11, 11, (1, 1), (5, 5), (1, 1), 1),
        (2, 1, 3, 12, 2, 7, 7, (1, 1), (3, 3), (1, 1), 1),
    ];
    for (i, &(b, ci, h, w, co, kh, kw, s, p, d, g)) in cases.iter().enumerate() {
        let seed = 100 + 10 * i as u64;
        let x = rand(&[b, ci, h, w], seed);
        let wt = rand(&[co, ci / g, kh, kw], seed + 1);
        let bias = rand(&[co], seed + 2);
        let (y, gr) = grads_of(&[x.clone(), wt.clone(), bias.clone()], None, |_, v| {
            v[0].conv2d(v[1], Some(v[2]), s, p, d, g)
        });
        assert_close(
            y.data(),
            &reference2d(&x, &wt, Some(&bias), s, p, d, g),
            1e-5,
        );
        // A dead tap (reading only padding) gets a zero gradient.
        if kh == 11 && h <= 2 {
            assert!(
                gr[1].data()[..kw].iter().all(|&v| v == 0.0),
                "row 0 of an 11-row kernel on {h} rows"
            );
        }
        assert_gradients(&[x.clone(), wt.clone(), bias], |_, v| {
            v[0].conv2d(v[1], Some(v[2]), s, p, d, g)
        });
    }
}

#[test]
fn conv1d_is_conv2d_of_height_one() {
    let x = rand(&[2, 3, 9], 7);
    let w = rand(&[4, 3, 3], 8);
    let (a, _) = grads_of(&[x.clone(), w.clone()], None, |_, v| {
        v[0].conv1d(v[1], None, 2, (1, 1), 2, 1)
    });
    let (b, _) = grads_of(
        &[x.reshape(&[2, 3, 1, 9]), w.reshape(&[4, 3, 1, 3])],
        None,
        |_, v| v[0].conv2d(v[1], None, (1, 2), (0, 1), (1, 2), 1),
    );
    assert_eq!(a.shape(), &[2, 4, 4]);
    assert_eq!(b.shape(), &[2, 4, 1, 4]);
    assert_eq!(a.data(), b.data());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10))]
    #[test]
    fn prop_conv2d(
        b in 1usize..3, cg in 1usize..3, og in 1usize..3, groups in 1usize..3,
        h in 1usize..5, w in 1usize..6, kh in 1usize..4, kw in 1usize..4,
        sh in 1usize..3, sw in 1usize..3, dh in 1usize..3, dw in 1usize..3,
        ph in 0usize..3, pw in 0usize..3, seed in 0u64..1000,
    ) {
        let (ci, co) = (cg * groups, og * groups);
        prop_assume!(h + 2 * ph > dh * (kh - 1) && w + 2 * pw > dw * (kw - 1));
        let x = rand(&[b, ci, h, w], seed);
        let wt = rand(&[co, cg, kh, kw], seed + 1);
        let bias = rand(&[co], seed + 2);
        let args = ((sh, sw), (ph, pw), (dh, dw));
        let (y, _) = grads_of(&[x.clone(), wt.clone(), bias.clone()], None, |_, v| {
            v[0].conv2d(v[1], Some(v[2]), args.0, args.1, args.2, groups)
        });
        let want = reference2d(&x, &wt, Some(&bias), args.0, args.1, args.2, groups);
        prop_assert!(y.data().iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-5));
        let res = gradcheck(&[x, wt, bias], |_, v| {
            v[0].conv2d(v[1], Some(v[2]), args.0, args.1, args.2, groups)
        });
        prop_assert!(res.is_ok(), "conv2d {:?}", res);
    }
}

#[test]
fn large_convolutions_run_in_chunks_with_the_same_bits_on_any_thread_count() {
    // Big enough for the parallel path: several chunks of batch entries and gradient blocks.
    let x = rand(&[300, 6, 4, 9], 21);
    let w = rand(&[8, 3, 3, 5], 22);
    let b = rand(&[8], 23);
    let seed = rand(&[300, 8, 4, 9], 24);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            grads_of(
                &[x.clone(), w.clone(), b.clone()],
                Some(seed.clone()),
                |_, v| v[0].conv2d(v[1], Some(v[2]), (1, 1), (1, 2), (1, 1), 2),
            )
        })
    };
    let (y1, g1) = run(1);
    let (y2, g2) = run(2);
    assert_eq!(y1.data(), y2.data());
    for (a, b) in g1.iter().zip(&g2) {
        assert_eq!(a.data(), b.data());
    }
    assert_close(
        y1.data(),
        &reference2d(&x, &w, Some(&b), (1, 1), (1, 2), (1, 1), 2),
        1e-4,
    );
    // The weight gradient against the definition: Σ over entries and positions of g · x.
    let (_, g_small) = grads_of(
        &[entries(&x, 0, 150), w.clone(), b.clone()],
        Some(entries(&seed, 0, 150)),
        |_, v| v[0].conv2d(v[1], Some(v[2]), (1, 1), (1, 2), (1, 1), 2),
    );
    let (_, g_rest) = grads_of(
        &[entries(&x, 150, 300), w.clone(), b.clone()],
        Some(entries(&seed, 150, 300)),
        |_, v| v[0].conv2d(v[1], Some(v[2]), (1, 1), (1, 2), (1, 1), 2),
    );
    let sum: Vec<f32> = g_small[1]
        .data()
        .iter()
        .zip(g_rest[1].data())
        .map(|(a, b)| a + b)
        .collect();
    assert_close(g1[1].data(), &sum, 1e-2);
}

/// Batch entries `a..b` of `t`.
fn entries(t: &Tensor, a: usize, b: usize) -> Tensor {
    let per: usize = t.shape()[1..].iter().product();
    let mut shape = t.shape().to_vec();
    shape[0] = b - a;
    Tensor::from_vec(&shape, t.data()[a * per..b * per].to_vec())
}
