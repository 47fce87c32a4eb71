//! Losses: hand-computed values, masks and horizon weights, gradient checks, names, parsing.

use neurodiv_autodiff::gradcheck::assert_gradients;
use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_optim::{Distribution, Loss, OptimError};

fn m(rows: usize, cols: usize, v: &[f32]) -> Tensor {
    Tensor::from_vec(&[rows, cols], v.to_vec())
}

/// The loss value for `[B, h]` inputs (y_hat `[B, h]` or `[B, h, m]`).
fn value(
    loss: &Loss,
    y: &Tensor,
    y_hat: &Tensor,
    mask: &Tensor,
    hw: Option<&[f32]>,
    ins: Option<&Tensor>,
) -> f32 {
    let tape = Tape::new();
    let yv = tape.constant(y.clone());
    let yh = tape.param(y_hat.clone());
    let mv = tape.constant(mask.clone());
    let iv = ins.map(|t| tape.constant(t.clone()));
    let out = loss.compute(yv, yh, mv, hw, iv);
    assert_eq!(out.shape(), Vec::<usize>::new(), "the loss is a 0-d tensor");
    out.value().item()
}

fn close(a: f32, b: f64) {
    assert!((a as f64 - b).abs() < 1e-6, "got {a}, want {b}");
}

// y - ŷ = [[-1, 0], [2, -3]]
fn data() -> (Tensor, Tensor, Tensor) {
    (
        m(2, 2, &[1.0, 2.0, 3.0, -4.0]),
        m(2, 2, &[2.0, 2.0, 1.0, -1.0]),
        Tensor::ones(&[2, 2]),
    )
}

#[test]
fn point_loss_values() {
    let (y, yh, ones) = data();
    let v = |l: Loss| value(&l, &y, &yh, &ones, None, None);
    close(v(Loss::MAE), 1.5);
    close(v(Loss::MSE), 3.5);
    close(v(Loss::RMSE), 3.5f64.sqrt());
    close(v(Loss::MAPE), (1.0 + 0.0 + 2.0 / 3.0 + 3.0 / 4.0) / 4.0);
    close(
        v(Loss::SMAPE),
        2.0 * (1.0 / 3.0 + 0.0 + 2.0 / 4.0 + 3.0 / 5.0) / 4.0,
    );
    close(v(Loss::Huber { delta: 1.0 }), (0.5 + 0.0 + 1.5 + 2.5) / 4.0);
    close(
        v(Loss::Huber { delta: 2.5 }),
        (0.5 + 0.0 + 2.0 + 2.5 * (3.0 - 1.25)) / 4.0,
    );
    close(
        v(Loss::QuantileLoss { q: 0.9 }),
        (0.1 + 0.0 + 1.8 + 0.3) / 4.0,
    );
    close(v(Loss::QuantileLoss { q: 0.5 }), 0.75);
    // y_hat as [B, h, 1] gives the same.
    close(
        value(&Loss::MAE, &y, &yh.reshape(&[2, 2, 1]), &ones, None, None),
        1.5,
    );
}

#[test]
fn mase_scales_by_the_seasonal_naive_error() {
    let (y, yh, ones) = data();
    // Row 0: naive MAE (|1-0| + |3-1|) / 2 = 1.5; row 1 is flat: scale 0, its terms become 0.
    let ins = m(2, 3, &[0.0, 1.0, 3.0, 2.0, 2.0, 2.0]);
    close(
        value(
            &Loss::MASE { seasonality: 1 },
            &y,
            &yh,
            &ones,
            None,
            Some(&ins),
        ),
        (1.0 / 1.5) / 4.0,
    );
    // Seasonality 2: row 0 scale |3 - 0| = 3; row 1 scale |4 - 1| = 3.
    let ins = m(2, 3, &[0.0, 1.0, 3.0, 1.0, 0.0, 4.0]);
    close(
        value(
            &Loss::MASE { seasonality: 2 },
            &y,
            &yh,
            &ones,
            None,
            Some(&ins),
        ),
        (1.0 + 0.0 + 2.0 + 3.0) / 3.0 / 4.0,
    );
}

#[test]
fn mqloss_values_and_layout() {
    let (y, yh, ones) = data();
    let loss = Loss::mq_from_quantiles(&[0.5, 0.1, 0.9]);
    // The same forecast for every quantile: (0.5|e| + |e|) / 3 = |e| / 2 per point.
    let same: Vec<f32> = yh.data().iter().flat_map(|&v| [v, v, v]).collect();
    let y3 = Tensor::from_vec(&[2, 2, 3], same.clone());
    close(value(&loss, &y, &y3, &ones, None, None), 0.75);
    // Different forecasts per quantile, one point: y = 1, ŷ = (1, 0, 3).
    let y1 = m(1, 1, &[1.0]);
    let yq = Tensor::from_vec(&[1, 1, 3], vec![1.0, 0.0, 3.0]);
    // q=0.5: 0; q=0.1 under by 1: 0.1; q=0.9 over by 2: 0.1 * 2 = 0.2.
    close(
        value(&loss, &y1, &yq, &Tensor::ones(&[1, 1]), None, None),
        (0.0 + 0.1 + 0.2) / 3.0,
    );
    // domain_map takes [B, h*Q] with the quantiles of a step contiguous.
    let tape = Tape::new();
    let flat = tape.constant(Tensor::from_vec(&[2, 6], same));
    let mapped = loss.domain_map(flat);
    assert_eq!(mapped.shape(), vec![2, 2, 3]);
    assert_eq!(mapped.value().data(), y3.data());
    let point = Loss::MAE.domain_map(tape.constant(Tensor::zeros(&[4, 7])));
    assert_eq!(point.shape(), vec![4, 7, 1]);
}

#[test]
fn masks_and_horizon_weights() {
    let (y, yh, _) = data();
    let mask = m(2, 2, &[1.0, 0.0, 1.0, 1.0]);
    close(
        value(&Loss::MAE, &y, &yh, &mask, None, None),
        (1.0 + 2.0 + 3.0) / 3.0,
    );
    // Weights [[2, 0], [2, 1]].
    close(
        value(&Loss::MAE, &y, &yh, &mask, Some(&[2.0, 1.0]), None),
        (2.0 + 4.0 + 3.0) / 5.0,
    );
    close(
        value(&Loss::MSE, &y, &yh, &mask, Some(&[2.0, 1.0]), None),
        (2.0 + 8.0 + 9.0) / 5.0,
    );
    close(
        value(&Loss::RMSE, &y, &yh, &mask, Some(&[2.0, 1.0]), None),
        (19.0f64 / 5.0).sqrt(),
    );
    let ones = Tensor::ones(&[2, 2]);
    let mq = Loss::mq_from_quantiles(&[0.5]);
    close(
        value(
            &mq,
            &y,
            &yh.reshape(&[2, 2, 1]),
            &ones,
            Some(&[0.0, 1.0]),
            None,
        ),
        0.5 * 3.0 / 2.0,
    );

    // Everything masked: 0 with a zero gradient.
    let zero = Tensor::zeros(&[2, 2]);
    for loss in [
        Loss::MAE,
        Loss::RMSE,
        Loss::SMAPE,
        Loss::mq_from_quantiles(&[0.5]),
    ] {
        let tape = Tape::new();
        let yh_in = yh.reshape(&[2, 2, 1]);
        let p = tape.param(yh_in);
        let out = loss.compute(
            tape.constant(y.clone()),
            p,
            tape.constant(zero.clone()),
            None,
            None,
        );
        assert_eq!(out.value().item(), 0.0);
        let g = tape.backward(out);
        assert!(g.get(p).unwrap().data().iter().all(|&v| v == 0.0), "{loss}");
    }
}

#[test]
fn divide_no_nan_cases() {
    let ones = Tensor::ones(&[1, 2]);
    // MAPE at y = 0 counts 0.
    close(
        value(
            &Loss::MAPE,
            &m(1, 2, &[0.0, 2.0]),
            &m(1, 2, &[1.0, 1.0]),
            &ones,
            None,
            None,
        ),
        0.25,
    );
    // SMAPE where y = ŷ = 0 counts 0.
    close(
        value(
            &Loss::SMAPE,
            &m(1, 2, &[0.0, 1.0]),
            &m(1, 2, &[0.0, 2.0]),
            &ones,
            None,
            None,
        ),
        2.0 * (1.0 / 3.0) / 2.0,
    );
    // RMSE of a perfect forecast: 0 with a finite (zero) gradient.
    let tape = Tape::new();
    let p = tape.param(m(1, 2, &[1.0, 2.0]));
    let out = Loss::RMSE.compute(
        tape.constant(m(1, 2, &[1.0, 2.0])),
        p,
        tape.constant(ones),
        None,
        None,
    );
    assert_eq!(out.value().item(), 0.0);
    assert!(
        tape.backward(out)
            .get(p)
            .unwrap()
            .data()
            .iter()
            .all(|&v| v == 0.0)
    );
}

#[test]
fn mae_gradient_by_hand() {
    let (y, yh, _) = data();
    let mask = m(2, 2, &[1.0, 0.0, 1.0, 1.0]);
    let tape = Tape::new();
    let p = tape.param(yh);
    let out = Loss::MAE.compute(
        tape.constant(y),
        p,
        tape.constant(mask),
        Some(&[2.0, 1.0]),
        None,
    );
    let g = tape.backward(out);
    // d/dŷ |y - ŷ| = -sign(y - ŷ), times w / Σw with w = [[2, 0], [2, 1]], Σw = 5.
    assert_eq!(
        g.get(p).unwrap().data(),
        &[2.0 / 5.0, 0.0, -2.0 / 5.0, 1.0 / 5.0]
    );
}

/// Targets and forecasts away from every kink (|e| ≥ 0.2, |ŷ| ≥ 0.3, |e| not near δ = 0.5).
fn smooth_inputs() -> (Tensor, Tensor, Tensor) {
    let y = m(2, 3, &[1.0, -2.0, 0.5, 3.0, -1.5, 2.5]);
    let yh = m(2, 3, &[1.3, -1.2, 1.2, 2.2, -0.4, 2.75]);
    let mask = m(2, 3, &[1.0, 1.0, 0.0, 1.0, 1.0, 1.0]);
    (y, yh, mask)
}

#[test]
fn gradients_match_finite_differences() {
    let (y, yh, mask) = smooth_inputs();
    let ins = m(2, 4, &[0.0, 1.0, 3.0, 2.5, 1.0, -1.0, 0.5, 2.0]);
    let hw = [1.0f32, 0.5, 2.0];
    let losses = [
        Loss::MAE,
        Loss::MSE,
        Loss::RMSE,
        Loss::MAPE,
        Loss::SMAPE,
        Loss::MASE { seasonality: 2 },
        Loss::Huber { delta: 0.5 },
        Loss::QuantileLoss { q: 0.8 },
    ];
    for loss in losses {
        for weights in [None, Some(&hw[..])] {
            assert_gradients(std::slice::from_ref(&yh), |tape, v| {
                let out = loss.domain_map(v[0]);
                let ins = tape.constant(ins.clone());
                loss.compute(
                    tape.constant(y.clone()),
                    out,
                    tape.constant(mask.clone()),
                    weights,
                    Some(ins),
                )
            });
        }
    }
    // MQLoss through domain_map from [B, h*Q]; forecasts per quantile spread around y.
    let mq = Loss::mq_default();
    let flat: Vec<f32> = y
        .data()
        .iter()
        .flat_map(|&v| [v + 0.3, v - 1.1, v - 0.4, v + 0.45, v + 1.3])
        .collect();
    assert_gradients(&[Tensor::from_vec(&[2, 15], flat)], |tape, v| {
        mq.compute(
            tape.constant(y.clone()),
            mq.domain_map(v[0]),
            tape.constant(mask.clone()),
            Some(&hw),
            None,
        )
    });
}

#[test]
fn output_names_and_point_index() {
    assert_eq!(Loss::MAE.output_names(), vec![String::new()]);
    assert_eq!(
        Loss::QuantileLoss { q: 0.9 }.output_names(),
        vec!["_ql0.9".to_string()]
    );
    let mq = Loss::mq_default();
    assert_eq!(
        mq,
        Loss::MQLoss {
            quantiles: vec![0.5, 0.05, 0.1, 0.9, 0.95]
        }
    );
    assert_eq!(
        mq.output_names(),
        ["-median", "-lo-90", "-lo-80", "-hi-80", "-hi-90"]
    );
    assert_eq!(mq.outputsize_multiplier(), 5);
    assert_eq!(mq.point_index(), 0);
    let q = Loss::mq_from_quantiles(&[0.1, 0.5, 0.9, 0.5]);
    assert_eq!(q.quantiles().unwrap(), &[0.1, 0.5, 0.9]);
    assert_eq!(q.output_names(), ["-lo-80", "-median", "-hi-80"]);
    assert_eq!(q.point_index(), 1);
    assert_eq!(Loss::MSE.outputsize_multiplier(), 1);
    assert_eq!(Loss::default(), Loss::MAE);
}

#[test]
fn parsing_and_printing() {
    let cases = [
        ("MAE", Loss::MAE),
        ("mse", Loss::MSE),
        ("Rmse", Loss::RMSE),
        ("MAPE", Loss::MAPE),
        ("smape", Loss::SMAPE),
        ("MASE", Loss::MASE { seasonality: 1 }),
        ("MASE(seasonality=12)", Loss::MASE { seasonality: 12 }),
        ("mase(7)", Loss::MASE { seasonality: 7 }),
        ("HuberLoss", Loss::Huber { delta: 1.0 }),
        ("huberloss(delta=0.5)", Loss::Huber { delta: 0.5 }),
        ("QuantileLoss", Loss::QuantileLoss { q: 0.5 }),
        ("QuantileLoss(q=0.9)", Loss::QuantileLoss { q: 0.9 }),
        ("MQLoss", Loss::mq_default()),
        ("mqloss(level=[95])", Loss::mq_from_levels(&[95])),
        ("MQLoss([80, 90])", Loss::mq_default()),
        (
            "MQLoss(quantiles=[0.1, 0.5, 0.9])",
            Loss::mq_from_quantiles(&[0.1, 0.5, 0.9]),
        ),
        (
            "DistributionLoss(StudentT, level=[80, 90])",
            Loss::distribution(Distribution::StudentT, &[80, 90]),
        ),
        (
            "distributionloss('normal')",
            Loss::distribution(Distribution::Normal, &[80, 90]),
        ),
        (
            "DistributionLoss(distribution=\"Normal\", quantiles=[0.9, 0.1], num_samples=50, return_params=True)",
            Loss::DistributionLoss {
                distribution: Distribution::Normal,
                quantiles: vec![0.1, 0.9],
                num_samples: 50,
                return_params: true,
            },
        ),
        (
            "DistributionLoss(Normal, [95], None, 10, False)",
            Loss::DistributionLoss {
                distribution: Distribution::Normal,
                quantiles: vec![0.5, 0.025, 0.975],
                num_samples: 10,
                return_params: false,
            },
        ),
    ];
    for (s, want) in cases {
        let got: Loss = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(got, want, "{s}");
        let printed = got.to_string();
        assert_eq!(printed.parse::<Loss>().unwrap(), got, "{printed}");
    }
    assert_eq!(Loss::mq_default().to_string(), "MQLoss(level=[80, 90])");
    assert_eq!(
        Loss::MASE { seasonality: 4 }.to_string(),
        "MASE(seasonality=4)"
    );
    assert!(matches!(
        "Tweedie".parse::<Loss>(),
        Err(OptimError::UnknownName { .. })
    ));
    assert!(matches!(
        "MAE(3)".parse::<Loss>(),
        Err(OptimError::Parse { .. })
    ));
    assert!(matches!(
        "QuantileLoss(q=1.5)".parse::<Loss>(),
        Err(OptimError::InvalidValue { .. })
    ));
    assert!(matches!(
        "QuantileLoss(tau=0.5)".parse::<Loss>(),
        Err(OptimError::Parse { .. })
    ));
    assert!(matches!(
        "MQLoss(level=[100])".parse::<Loss>(),
        Err(OptimError::InvalidValue { .. })
    ));
    assert!(matches!(
        "MQLoss(level=80)".parse::<Loss>(),
        Err(OptimError::Parse { .. })
    ));
    assert!("HuberLoss(delta=0".parse::<Loss>().is_err());
    assert_eq!(
        Loss::distribution(Distribution::StudentT, &[80]).to_string(),
        "DistributionLoss(StudentT, level=[80])"
    );
    for bad in [
        "DistributionLoss",
        "DistributionLoss(Gumbel)",
        "DistributionLoss(Normal, level=[80], quantiles=[0.1])",
        "DistributionLoss(Normal, num_samples=1)",
        "DistributionLoss(Normal, return_params=maybe)",
        "DistributionLoss(Normal, shape=2)",
        "DistributionLoss(level=[80], Normal)",
        "MQLoss(level=[80]",
    ] {
        assert!(bad.parse::<Loss>().is_err(), "{bad}");
    }
}

#[test]
fn distribution_names_sizes_and_values() {
    let st = Loss::DistributionLoss {
        distribution: Distribution::StudentT,
        quantiles: vec![0.5, 0.1, 0.9],
        num_samples: 100,
        return_params: true,
    };
    assert_eq!(st.outputsize_multiplier(), 3);
    assert_eq!(
        st.output_names(),
        ["", "-median", "-lo-80", "-hi-80", "-df", "-loc", "-scale"]
    );
    assert_eq!(st.point_index(), 0);
    assert!(st.is_distribution() && !Loss::MAE.is_distribution());
    // Normal NLL by hand: raw (mu~, sigma~) = (0.5, 0.0), loc 10, scale 2:
    // mu = 11, sigma = (ln 2 + 0.2) * 2; y = 12.
    let tape = Tape::no_grad();
    let raw = tape.constant(Tensor::from_vec(&[1, 1, 2], vec![0.5, 0.0]));
    let loc = tape.constant(Tensor::from_vec(&[1, 1], vec![10.0]));
    let scale = tape.constant(Tensor::from_vec(&[1, 1], vec![2.0]));
    let y = tape.constant(Tensor::from_vec(&[1, 1], vec![12.0]));
    let ones = tape.constant(Tensor::ones(&[1, 1]));
    let normal = Loss::distribution(Distribution::Normal, &[80]);
    let sigma = (2f64.ln() + 0.2) * 2.0;
    let want = 0.5 * (1.0 / sigma).powi(2) + sigma.ln() + 0.5 * (2.0 * std::f64::consts::PI).ln();
    close(
        normal
            .distribution_nll(y, raw, loc, scale, ones, None)
            .value()
            .item(),
        want,
    );
    // Student-t with nu = 3 + softplus(0) = 3 + ln 2, at its location: -log p(mu).
    let raw = tape.constant(Tensor::from_vec(&[1, 1, 3], vec![0.0, 1.0, 0.0]));
    let st = Loss::distribution(Distribution::StudentT, &[80]);
    let (nu, s) = (3.0 + 2f64.ln(), (2f64.ln() + 0.1) * 2.0);
    let lg = |x: f64| statrs_free_lgamma(x);
    let want =
        -(lg((nu + 1.0) / 2.0) - lg(nu / 2.0) - 0.5 * (nu * std::f64::consts::PI).ln() - s.ln());
    close(
        st.distribution_nll(y, raw, loc, scale, ones, None)
            .value()
            .item(),
        want,
    );
}

/// ln Γ(x) for x > 0 by the recurrence up to 10 and Stirling's series (test reference only).
fn statrs_free_lgamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc -= x.ln();
        x += 1.0;
    }
    acc + (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + 1.0 / (12.0 * x)
        - 1.0 / (360.0 * x.powi(3))
        + 1.0 / (1260.0 * x.powi(5))
}

#[test]
fn distribution_gradients_match_finite_differences() {
    let (y, _, mask) = smooth_inputs();
    let hw = [1.0f32, 0.5, 2.0];
    let loc = m(2, 1, &[0.5, -0.2]);
    let scale = m(2, 1, &[1.5, 0.8]);
    for (d, m_out) in [(Distribution::Normal, 2), (Distribution::StudentT, 3)] {
        let loss = Loss::distribution(d, &[80]);
        let raw: Vec<f32> = (0..2 * 3 * m_out)
            .map(|i| ((i * 7 % 11) as f32 - 5.0) / 7.0)
            .collect();
        for weights in [None, Some(&hw[..])] {
            assert_gradients(
                &[Tensor::from_vec(&[2, 3, m_out], raw.clone())],
                |tape, v| {
                    loss.distribution_nll(
                        tape.constant(y.clone()),
                        v[0],
                        tape.constant(loc.clone()),
                        tape.constant(scale.clone()),
                        tape.constant(mask.clone()),
                        weights,
                    )
                },
            );
        }
    }
}

#[test]
fn distribution_draws_have_the_distribution_moments() {
    let mut rng = neurodiv_kernels::Rng::new(7);
    let n = 40_000;
    let normal: Vec<f32> = (0..n)
        .map(|_| Distribution::Normal.sample(&[3.0, 2.0], &mut rng))
        .collect();
    let mean = normal.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
    let var = normal
        .iter()
        .map(|&v| (v as f64 - mean).powi(2))
        .sum::<f64>()
        / n as f64;
    assert!(
        (mean - 3.0).abs() < 0.05 && (var - 4.0).abs() < 0.15,
        "{mean} {var}"
    );
    // Student-t with 5 degrees of freedom, scale 2: variance 4 * 5 / 3.
    let t: Vec<f32> = (0..n)
        .map(|_| Distribution::StudentT.sample(&[5.0, -1.0, 2.0], &mut rng))
        .collect();
    let mean = t.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
    let var = t.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n as f64;
    assert!(
        (mean + 1.0).abs() < 0.06 && (var - 20.0 / 3.0).abs() < 0.6,
        "{mean} {var}"
    );
    let mut sorted: Vec<f32> = (0..=100).map(|v| v as f32).collect();
    sorted.sort_by(f32::total_cmp);
    assert_eq!(neurodiv_optim::sorted_quantile(&sorted, 0.25), 25.0);
    assert_eq!(neurodiv_optim::sorted_quantile(&[0.0, 1.0], 0.3), 0.3);
}

#[test]
fn validation() {
    assert!(Loss::MASE { seasonality: 0 }.validate().is_err());
    assert!(Loss::Huber { delta: 0.0 }.validate().is_err());
    assert!(Loss::QuantileLoss { q: 0.0 }.validate().is_err());
    assert!(Loss::MQLoss { quantiles: vec![] }.validate().is_err());
    assert!(
        Loss::MQLoss {
            quantiles: vec![0.5, 0.5]
        }
        .validate()
        .is_err()
    );
    assert!(Loss::mq_from_levels(&[0]).validate().is_err());
    assert!(Loss::mq_default().validate().is_ok());
    assert!(Loss::MASE { seasonality: 7 }.check_input_size(7).is_err());
    assert!(Loss::MASE { seasonality: 7 }.check_input_size(8).is_ok());
    assert!(Loss::MAE.check_input_size(1).is_ok());
}

#[test]
fn serde_round_trip() {
    for loss in [
        Loss::MAE,
        Loss::MASE { seasonality: 3 },
        Loss::mq_default(),
        Loss::Huber { delta: 0.3 },
        Loss::distribution(Distribution::StudentT, &[80, 90]),
    ] {
        let back: Loss = serde_json::from_str(&serde_json::to_string(&loss).unwrap()).unwrap();
        assert_eq!(back, loss);
    }
}
