//! Auto-correlation against a direct computation (circular correlation summed over time,
//! delays by top-k, softmax weights, rolled values), in both of NeuralForecast's paths, and
//! its gradients against finite differences.

use neurodiv_attention::auto_correlation;
use neurodiv_autodiff::gradcheck::GradCheck;
use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_kernels::{Rng, top_k};

fn rand(shape: &[usize], seed: u64) -> Tensor {
    let mut rng = Rng::new(seed);
    let n = shape.iter().product();
    Tensor::from_vec(shape, (0..n).map(|_| rng.normal()).collect())
}

/// The direct computation on `[B, L, C]` values.
fn direct(q: &Tensor, k: &Tensor, v: &Tensor, factor: usize, training: bool) -> Vec<f32> {
    let s = q.shape();
    let (b, l, c) = (s[0], s[1], s[2]);
    let (qd, kd, vd) = (q.data(), k.data(), v.data());
    let corr: Vec<Vec<f32>> = (0..b)
        .map(|bi| {
            (0..l)
                .map(|tau| {
                    let mut sum = 0.0f64;
                    for ch in 0..c {
                        let at = |t: usize| (bi * l + t % l) * c + ch;
                        for t in 0..l {
                            sum += qd[at(t + tau)] as f64 * kd[at(t)] as f64;
                        }
                    }
                    (sum / c as f64) as f32
                })
                .collect()
        })
        .collect();
    let top = ((factor as f64 * (l as f64).ln()) as usize).clamp(1, l);
    let mean: Vec<f32> = (0..l)
        .map(|t| corr.iter().map(|r| r[t]).sum::<f32>() / b as f32)
        .collect();
    let mut out = vec![0.0f32; b * c * l];
    for (bi, row) in corr.iter().enumerate() {
        let d = if training {
            top_k(&mean, top)
        } else {
            top_k(row, top)
        };
        let w: Vec<f64> = d.iter().map(|&j| (row[j] as f64).exp()).collect();
        let total: f64 = w.iter().sum();
        for ch in 0..c {
            let at = |t: usize| (bi * l + t % l) * c + ch;
            for t in 0..l {
                out[at(t)] = d
                    .iter()
                    .zip(&w)
                    .map(|(&j, wj)| vd[at(t + j)] as f64 * wj / total)
                    .sum::<f64>() as f32;
            }
        }
    }
    out
}

#[test]
fn matches_the_direct_computation_in_training_and_inference() {
    let (q, k, v) = (
        rand(&[3, 13, 4], 1),
        rand(&[3, 13, 4], 2),
        rand(&[3, 13, 4], 3),
    );
    for training in [true, false] {
        let tape = Tape::no_grad();
        let [qv, kv, vv] = [&q, &k, &v].map(|t| tape.constant(t.clone()));
        let got = auto_correlation(qv, kv, vv, 2, training).value();
        let want = direct(&q, &k, &v, 2, training);
        for (i, (a, b)) in got.data().iter().zip(&want).enumerate() {
            assert!(
                (a - b).abs() < 2e-4 * (1.0 + b.abs()),
                "training {training} [{i}]: {a} vs {b}"
            );
        }
    }
}

#[test]
fn gradients_match_finite_differences() {
    let inputs = [
        rand(&[2, 7, 2], 4),
        rand(&[2, 7, 2], 5),
        rand(&[2, 7, 2], 6),
    ];
    for training in [true, false] {
        let check = GradCheck {
            eps: 1e-3,
            ..Default::default()
        };
        check
            .check(&inputs, |_, v| {
                auto_correlation(v[0], v[1], v[2], 1, training)
            })
            .unwrap_or_else(|e| panic!("training {training}: {e}"));
    }
}
