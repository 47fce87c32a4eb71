//! The count, Tweedie, Bernoulli and mixture distributions and the Huber quantile losses:
//! spelling (parse, print, serde), typed errors, supports, gradient checks with horizon weights,
//! and the moments of their draws. Values and gradients against NeuralForecast are in
//! `torch_dists.rs`.

use neurodiv_autodiff::gradcheck::assert_gradients;
use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_kernels::Rng;
use neurodiv_optim::{Distribution, Loss, OptimError};

fn all_new() -> Vec<Distribution> {
    vec![
        Distribution::Poisson,
        Distribution::NegativeBinomial,
        Distribution::Tweedie { rho: 1.4 },
        Distribution::Bernoulli,
        Distribution::GMM {
            n_components: 3,
            weighted: false,
        },
        Distribution::GMM {
            n_components: 2,
            weighted: true,
        },
        Distribution::PMM {
            n_components: 2,
            weighted: true,
        },
        Distribution::NBMM {
            n_components: 2,
            weighted: false,
        },
    ]
}

#[test]
fn spellings_parse_print_and_round_trip() {
    let cases: Vec<(&str, Loss)> = vec![
        (
            "DistributionLoss(distribution='Poisson', level=[80, 90])",
            Loss::distribution(Distribution::Poisson, &[80, 90]),
        ),
        (
            "DistributionLoss(NegativeBinomial)",
            Loss::distribution(Distribution::NegativeBinomial, &[80, 90]),
        ),
        (
            "distributionloss(\"Tweedie\", level=[90], rho=1.5)",
            Loss::distribution(Distribution::Tweedie { rho: 1.5 }, &[90]),
        ),
        (
            "DistributionLoss(Bernoulli, return_params=True)",
            Loss::DistributionLoss {
                distribution: Distribution::Bernoulli,
                quantiles: vec![0.5, 0.05, 0.1, 0.9, 0.95],
                num_samples: 1000,
                return_params: true,
            },
        ),
        (
            "GMM(n_components=3, level=[80, 90])",
            Loss::mixture(
                Distribution::GMM {
                    n_components: 3,
                    weighted: false,
                },
                &[80, 90],
            ),
        ),
        (
            "GMM",
            Loss::mixture(
                Distribution::GMM {
                    n_components: 1,
                    weighted: false,
                },
                &[80, 90],
            ),
        ),
        (
            "PMM",
            Loss::mixture(
                Distribution::PMM {
                    n_components: 10,
                    weighted: false,
                },
                &[80, 90],
            ),
        ),
        (
            // Positional: n_components, level, quantiles, num_samples, return_params,
            // batch_correlation, horizon_correlation, weighted.
            "PMM(4, [80], None, 200, False, False, False, True)",
            Loss::DistributionLoss {
                distribution: Distribution::PMM {
                    n_components: 4,
                    weighted: true,
                },
                quantiles: vec![0.5, 0.1, 0.9],
                num_samples: 200,
                return_params: false,
            },
        ),
        (
            "NBMM(n_components=2, quantiles=[0.9, 0.1], weighted=True)",
            Loss::DistributionLoss {
                distribution: Distribution::NBMM {
                    n_components: 2,
                    weighted: true,
                },
                // Mixtures keep NeuralForecast's order of explicit quantiles (no sort).
                quantiles: vec![0.9, 0.1],
                num_samples: 1000,
                return_params: false,
            },
        ),
        (
            "HuberMQLoss(level=[80, 90], delta=1.0)",
            Loss::HuberMQLoss {
                quantiles: vec![0.5, 0.05, 0.1, 0.9, 0.95],
                delta: 1.0,
            },
        ),
        (
            "HuberMQLoss(quantiles=[0.1, 0.5, 0.9], delta=0.5)",
            Loss::HuberMQLoss {
                quantiles: vec![0.1, 0.5, 0.9],
                delta: 0.5,
            },
        ),
        ("HuberQLoss(0.9)", Loss::HuberQLoss { q: 0.9, delta: 1.0 }),
        (
            "HuberQLoss(q=0.2, delta=2)",
            Loss::HuberQLoss { q: 0.2, delta: 2.0 },
        ),
    ];
    for (text, want) in cases {
        let got: Loss = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(got, want, "{text}");
        let printed = got.to_string();
        assert_eq!(printed.parse::<Loss>().unwrap(), got, "{printed}");
        let json = serde_json::to_string(&got).unwrap();
        assert_eq!(serde_json::from_str::<Loss>(&json).unwrap(), got, "{json}");
    }
    assert_eq!(
        Loss::mixture(
            Distribution::GMM {
                n_components: 3,
                weighted: true
            },
            &[80, 90]
        )
        .to_string(),
        "GMM(n_components=3, level=[80, 90], weighted=True)"
    );
    assert_eq!(
        Loss::distribution(Distribution::Tweedie { rho: 1.5 }, &[80]).to_string(),
        "DistributionLoss(Tweedie, level=[80], rho=1.5)"
    );
    assert_eq!(
        "NBMM(2)".parse::<Loss>().unwrap().name(),
        "NBMM",
        "a mixture's class name"
    );
}

#[test]
fn bad_settings_are_typed_errors_naming_the_value() {
    let invalid = |text: &str, name: &str, value: &str| match text.parse::<Loss>() {
        Err(OptimError::InvalidValue {
            name: n, value: v, ..
        }) => {
            assert_eq!((n, v.as_str()), (name, value), "{text}")
        }
        other => panic!("{text}: {other:?}"),
    };
    invalid("DistributionLoss(Tweedie, rho=2.5)", "rho", "2.5");
    invalid("DistributionLoss(Tweedie, rho=1)", "rho", "1");
    invalid("GMM(n_components=0)", "n_components", "0");
    invalid("PMM(n_components=5000)", "n_components", "5000");
    invalid("HuberQLoss(q=1.5)", "quantile", "1.5");
    invalid("HuberQLoss(q=0.5, delta=0)", "delta", "0");
    invalid("HuberMQLoss(quantiles=[0.2, 1.2])", "quantile", "1.2");
    invalid("HuberMQLoss(delta=-1)", "delta", "-1");
    invalid(
        "DistributionLoss(Tweedie, rho=1.5, return_params=True)",
        "return_params",
        "True",
    );
    for text in [
        "DistributionLoss(Tweedie)",
        "DistributionLoss(Poisson, rho=1.5)",
        "GMM(batch_correlation=True)",
        "PMM(horizon_correlation=True)",
        "NBMM(batch_correlation=False)",
        "GMM(n_components=two)",
        "DistributionLoss(GMM)",
    ] {
        assert!(
            matches!(text.parse::<Loss>(), Err(OptimError::Parse { .. })),
            "{text}: {:?}",
            text.parse::<Loss>()
        );
    }
    assert!(
        "GMM(batch_correlation=False, horizon_correlation=False)"
            .parse::<Loss>()
            .is_ok()
    );
    // A checkpoint's stored loss is validated too.
    assert!(serde_json::from_str::<Loss>(r#""GMM(n_components=0)""#).is_err());
}

#[test]
fn supports_are_checked_naming_the_value() {
    let target = |d: Distribution, y: f32| Loss::distribution(d, &[80]).check_target(y);
    for d in [
        Distribution::Poisson,
        Distribution::NegativeBinomial,
        Distribution::Tweedie { rho: 1.5 },
        Distribution::PMM {
            n_components: 2,
            weighted: false,
        },
        Distribution::NBMM {
            n_components: 1,
            weighted: false,
        },
    ] {
        assert!(target(d, 0.0).is_ok() && target(d, 3.5).is_ok() && target(d, f32::NAN).is_ok());
        match target(d, -2.0) {
            Err(e @ OptimError::Target { value, .. }) => {
                assert_eq!(value, -2.0);
                assert!(e.to_string().contains("-2"), "{e}");
                assert!(e.to_string().contains(d.name()), "{e}");
            }
            other => panic!("{d:?}: {other:?}"),
        }
    }
    assert!(target(Distribution::Bernoulli, 1.0).is_ok());
    assert!(target(Distribution::Bernoulli, 0.3).is_err());
    assert!(target(Distribution::Normal, -5.0).is_ok());
    assert!(target(Distribution::Normal, f32::INFINITY).is_err());
    let loss = Loss::distribution(Distribution::Poisson, &[80]);
    assert!(loss.check_targets(&[1.0, 2.0, f32::NAN]).is_ok());
    assert!(loss.check_targets(&[1.0, -0.5]).is_err());
    assert!(Loss::MAE.check_targets(&[-1.0]).is_ok());
}

#[test]
fn gradients_match_finite_differences() {
    let (b, h) = (2, 3);
    let hw = [1.0f32, 0.5, 2.0];
    let loc = Tensor::from_vec(&[b, 1], vec![1.5, 3.0]);
    let scale = Tensor::from_vec(&[b, 1], vec![1.2, 0.7]);
    let mask = Tensor::ones(&[b, h]);
    for d in all_new() {
        let y = match d {
            Distribution::Bernoulli => vec![0.0, 1.0, 1.0, 0.0, 1.0, 0.0],
            _ => vec![0.0, 2.0, 5.0, 1.0, 3.0, 4.0],
        };
        let y = Tensor::from_vec(&[b, h], y);
        let m = d.n_params();
        let raw: Vec<f32> = (0..b * h * m)
            .map(|i| ((i * 7 % 11) as f32 - 5.0) / 6.0)
            .collect();
        let loss = Loss::distribution(d, &[80]);
        for weights in [None, Some(&hw[..])] {
            assert_gradients(&[Tensor::from_vec(&[b, h, m], raw.clone())], |tape, v| {
                loss.distribution_nll(
                    tape.constant(y.clone()),
                    v[0],
                    tape.constant(loc.clone()),
                    tape.constant(scale.clone()),
                    tape.constant(mask.clone()),
                    weights,
                )
            });
        }
    }
    for loss in [
        Loss::HuberQLoss { q: 0.3, delta: 0.7 },
        Loss::HuberMQLoss {
            quantiles: vec![0.5, 0.1, 0.9],
            delta: 0.8,
        },
    ] {
        let m = loss.outputsize_multiplier();
        let y = Tensor::from_vec(&[b, h], vec![0.3, -1.0, 2.0, 0.5, 1.5, -0.4]);
        // Away from the kinks at y = ŷ and |q e| = δ.
        let raw: Vec<f32> = (0..b * h * m)
            .map(|i| ((i * 5 % 13) as f32 - 6.0) / 2.5 + 0.11)
            .collect();
        assert_gradients(&[Tensor::from_vec(&[b, h * m], raw)], |tape, v| {
            loss.compute(
                tape.constant(y.clone()),
                loss.domain_map(v[0]),
                tape.constant(mask.clone()),
                Some(&hw),
                None,
            )
        });
    }
}

#[test]
fn huber_quantile_losses_by_hand() {
    // e = y - ŷ = [2, -0.5]: q = 0.8, δ = 1 gives 0.8 · (1·(2 - ½)) and 0.2 · ½ · 0.25.
    let tape = Tape::new();
    let y = tape.constant(Tensor::from_vec(&[1, 2], vec![3.0, 1.0]));
    let y_hat = tape.param(Tensor::from_vec(&[1, 2], vec![1.0, 1.5]));
    let mask = tape.constant(Tensor::ones(&[1, 2]));
    let l = Loss::HuberQLoss { q: 0.8, delta: 1.0 }.compute(y, y_hat, mask, None, None);
    let want = (0.8 * 1.5 + 0.2 * 0.125) / 2.0;
    assert!(
        (l.value().item() - want).abs() < 1e-6,
        "{}",
        l.value().item()
    );
    assert_eq!(
        Loss::HuberQLoss { q: 0.8, delta: 1.0 }.output_names(),
        ["_q0.8_d1.0"]
    );
}

/// Sample mean and variance of `n` draws.
fn moments(d: Distribution, params: &[f32], n: usize, seed: u64) -> (f64, f64) {
    let mut rng = Rng::new(seed);
    let xs: Vec<f64> = (0..n).map(|_| d.sample(params, &mut rng) as f64).collect();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
    (mean, var)
}

#[test]
fn draws_have_the_distribution_moments() {
    let n = 40_000;
    // (distribution, parameters, mean, variance)
    let nb_p: f32 = 0.4;
    let mu: f32 = 3.0;
    let cases: Vec<(Distribution, Vec<f32>, f64, f64)> = vec![
        (Distribution::Poisson, vec![4.0], 4.0, 4.0),
        (
            Distribution::NegativeBinomial,
            vec![3.0, nb_p],
            2.0,
            2.0 / 0.6,
        ),
        // Tweedie with unit dispersion: mean μ, variance μ^ρ.
        (
            Distribution::Tweedie { rho: 1.5 },
            vec![mu.ln()],
            3.0,
            3f64.powf(1.5),
        ),
        (Distribution::Bernoulli, vec![0.3], 0.3, 0.21),
        // Equal weights: means -2 and 4 (sd 1 and 2): mean 1, variance E[σ²] + Var[μ] = 2.5 + 9.
        (
            Distribution::GMM {
                n_components: 2,
                weighted: false,
            },
            vec![-2.0, 1.0, 4.0, 2.0],
            1.0,
            11.5,
        ),
        // Weights 0.25 and 0.75 on rates 2 and 10: mean 8, variance 8 + 0.1875 · 64 = 20.
        (
            Distribution::PMM {
                n_components: 2,
                weighted: true,
            },
            vec![2.0, 0.25, 10.0, 0.75],
            8.0,
            20.0,
        ),
        // Equal weights on NB(2, 0.5) (mean 2, variance 4) and NB(4, 0.2) (mean 1, variance
        // 1.25): mean 1.5, variance 2.625 + 0.25.
        (
            Distribution::NBMM {
                n_components: 2,
                weighted: false,
            },
            vec![2.0, 0.5, 4.0, 0.2],
            1.5,
            2.875,
        ),
    ];
    for (i, (d, params, mean, var)) in cases.into_iter().enumerate() {
        let (m, v) = moments(d, &params, n, 100 + i as u64);
        assert!(
            (m - mean).abs() < 4.5 * (var / n as f64).sqrt(),
            "{d:?}: mean {m} vs {mean}"
        );
        assert!((v - var).abs() < 0.06 * var, "{d:?}: variance {v} vs {var}");
        assert!(
            (d.mean(&params) as f64 - mean).abs() < 1e-5 * mean.abs().max(1.0),
            "{d:?}: analytic mean {}",
            d.mean(&params)
        );
        // Seeded: the same stream gives the same draws.
        assert_eq!(moments(d, &params, 100, 9), moments(d, &params, 100, 9));
    }
}

#[test]
fn parameter_columns_follow_neuralforecast() {
    let gmm = Distribution::GMM {
        n_components: 2,
        weighted: true,
    };
    assert_eq!(gmm.n_params(), 6);
    // Raw outputs grouped by parameter, anchored parameters by component.
    let tape = Tape::no_grad();
    let raw = tape.constant(Tensor::from_vec(
        &[1, 1, 6],
        vec![0.5, -1.0, 0.0, 0.0, 2.0, 2.0],
    ));
    let loc = tape.constant(Tensor::from_vec(&[1, 1], vec![10.0]));
    let scale = tape.constant(Tensor::from_vec(&[1, 1], vec![2.0]));
    let p: Vec<f32> = gmm
        .decouple(raw, loc, scale)
        .iter()
        .map(|v| v.value().item())
        .collect();
    let sd = (2f32.ln() + 0.2) * 2.0; // (softplus(0) + 0.2) · scale
    let want = [11.0, sd, 0.5, 8.0, sd, 0.5];
    for (g, w) in p.iter().zip(want) {
        assert!((g - w).abs() < 1e-5, "{p:?}");
    }
    assert_eq!(
        gmm.param_names(),
        [
            "-mu-1",
            "-std-1",
            "-weight-1",
            "-mu-2",
            "-std-2",
            "-weight-2"
        ]
    );
    assert_eq!(gmm.mean(&p), 9.5);
}

#[test]
fn per_step_statistics_anchor_every_distribution() {
    // Multivariate rows carry one (loc, scale) per step ([R, h]): the same parameters as the
    // per-row form when the steps repeat the row's statistics.
    let (b, h) = (2, 3);
    let tape = Tape::no_grad();
    for d in all_new() {
        let m = d.n_params();
        let raw = tape.constant(Tensor::from_vec(
            &[b, h, m],
            (0..b * h * m).map(|i| (i % 5) as f32 / 4.0 - 0.5).collect(),
        ));
        let row = |v: [f32; 2]| tape.constant(Tensor::from_vec(&[b, 1], v.to_vec()));
        let step = |v: [f32; 2]| {
            let per: Vec<f32> = v.iter().flat_map(|&x| [x; 3]).collect();
            tape.constant(Tensor::from_vec(&[b, h], per))
        };
        let a = d.decouple(raw, row([2.0, 3.0]), row([1.5, 0.5]));
        let c = d.decouple(raw, step([2.0, 3.0]), step([1.5, 0.5]));
        for (x, y) in a.iter().zip(&c) {
            assert_eq!(x.shape(), [b, h], "{d:?}");
            assert_eq!(x.value().data(), y.value().data(), "{d:?}");
        }
    }
}

#[test]
fn the_python_package_spellings_parse() {
    // What `neurodiv.losses` (crates/python) writes for its classes.
    for text in [
        "GMM(n_components=1, level=[80, 90], num_samples=1000, return_params=False, weighted=False, batch_correlation=False, horizon_correlation=False)",
        "PMM(n_components=3, level=[80, 90], num_samples=1000, return_params=False, weighted=True, batch_correlation=False, horizon_correlation=False)",
        "NBMM(n_components=2, level=[80, 90], num_samples=1000, return_params=False, weighted=False)",
        "HuberQLoss(q=0.9, delta=1.0)",
        "HuberMQLoss(level=[80], delta=1.0)",
        "DistributionLoss(distribution=Tweedie, level=[80, 90], num_samples=1000, return_params=False, rho=1.5)",
        "DistributionLoss(distribution=Poisson, quantiles=[0.1, 0.9], num_samples=1000, return_params=False)",
    ] {
        let loss: Loss = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(loss.to_string().parse::<Loss>().unwrap(), loss, "{text}");
    }
}
