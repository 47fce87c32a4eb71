//! The distribution losses beyond the compatible losses of every model: Bernoulli on a binary
//! series, targets outside a distribution's support, learning on counts, and sampled forecasts
//! that do not depend on the thread count, on a direct, a recursive and a multivariate model.

use crate::harness::*;
use neurodiv::core::CoreError;
use neurodiv::core::train::FitReport;
use neurodiv::kernels::Rng;
use neurodiv::optim::OptimError;
use neurodiv::prelude::*;

/// Models whose outputs take different paths: direct, recursive (the distribution's mean fed
/// back) and multivariate.
const MODELS: &[&str] = &["MLP", "LSTM+recurrent", "TSMixer"];

/// Two series of `len` integer-dated values from `f(series, t)`.
fn panel(len: usize, f: impl Fn(usize, usize) -> f32) -> PanelFrame {
    let mut csv = String::from("unique_id,ds,y\n");
    for (i, id) in ["a", "b"].iter().enumerate() {
        for t in 0..len {
            csv.push_str(&format!("{id},{},{}\n", t + 1, f(i, t)));
        }
    }
    PanelFrame::from_csv_reader(csv.as_bytes(), &CsvOptions::default()).unwrap()
}

/// Poisson counts around a seasonal mean of period 12.
fn counts(len: usize, seed: u64) -> PanelFrame {
    let draws: Vec<f32> = {
        let mut rng = Rng::new(seed);
        (0..2 * len)
            .map(|k| {
                let mean = 6.0 + 4.0 * ((k % len) as f64 * std::f64::consts::TAU / 12.0).sin();
                rng.poisson(mean) as f32
            })
            .collect()
    };
    panel(len, |i, t| draws[i * len + t])
}

fn fit_loss(
    name: &str,
    loss: &str,
    df: &PanelFrame,
    extra: &[(&str, String)],
) -> Result<(FitReport, ForecastFrame), NfError> {
    let mut opts = vec![("loss", format!("{loss:?}"))];
    opts.extend(extra.iter().cloned());
    let model = build(name, H, L, df.n_series(), &opts);
    let mut nf = NeuralForecast::new(vec![model], df.freq());
    let report = nf.fit(df, 0)?.remove(0);
    Ok((report, nf.predict(None)?))
}

#[test]
fn bernoulli_gives_probabilities_of_a_binary_series() {
    let df = panel(96, |i, t| ((t + i) % 4 < 2) as u8 as f32);
    for name in MODELS {
        let (report, fc) = fit_loss(
            name,
            "DistributionLoss(Bernoulli, level=[80], num_samples=50)",
            &df,
            &[],
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.train_losses.iter().all(|l| l.is_finite()), "{name}");
        for (col, values) in &fc.columns {
            assert!(
                values.iter().all(|v| (0.0..=1.0).contains(v)),
                "{name}: {col} outside [0, 1]: {values:?}"
            );
        }
    }
}

#[test]
fn targets_outside_the_support_are_typed_errors_naming_the_value() {
    let negative = panel(60, |i, t| {
        if i == 1 && t == 17 {
            -3.0
        } else {
            (t % 5) as f32
        }
    });
    for loss in [
        "DistributionLoss(Poisson)",
        "DistributionLoss(NegativeBinomial)",
        "DistributionLoss(Tweedie, rho=1.5)",
        "PMM(n_components=2)",
        "NBMM",
    ] {
        let err = fit_loss("MLP", loss, &negative, &[]).expect_err(loss);
        assert!(
            matches!(
                err,
                NfError::Core(CoreError::Optim(OptimError::Target { value, .. })) if value == -3.0
            ),
            "{loss}: {err}"
        );
        assert!(err.to_string().contains("-3"), "{loss}: {err}");
    }
    let fractional = panel(60, |_, t| if t == 5 { 0.5 } else { (t % 2) as f32 });
    let err = fit_loss("MLP", "DistributionLoss(Bernoulli)", &fractional, &[]).unwrap_err();
    assert!(err.to_string().contains("0.5"), "{err}");
    // The real-valued distributions take any target.
    fit_loss("MLP", "GMM(n_components=2)", &negative, &[]).unwrap();
}

#[test]
fn mlp_learns_poisson_counts() {
    let df = counts(120, 3);
    let (report, fc) = fit_loss(
        "MLP",
        "DistributionLoss(Poisson, level=[80], num_samples=200)",
        &df,
        &[
            ("max_steps", "200".into()),
            ("scaler_type", "\"robust\"".into()),
        ],
    )
    .unwrap();
    let l = &report.train_losses;
    let mean = |s: &[f32]| s.iter().sum::<f32>() / s.len() as f32;
    let (first, last) = (mean(&l[..20]), mean(&l[l.len() - 20..]));
    assert!(last < first, "Poisson NLL {first} -> {last}");
    // The forecast mean sits at the level of the counts (between 2 and 10).
    let (_, point) = &fc.columns[0];
    let avg = mean(point);
    assert!((2.0..10.0).contains(&avg), "mean forecast {avg}");
}

#[test]
fn sampled_forecasts_do_not_depend_on_the_thread_count() {
    let df = counts(72, 5);
    for loss in [
        "DistributionLoss(NegativeBinomial, level=[80], num_samples=30)",
        "DistributionLoss(Tweedie, level=[80], num_samples=30, rho=1.3)",
        "GMM(n_components=3, level=[80], num_samples=30, weighted=True)",
        "PMM(n_components=2, level=[80], num_samples=30)",
        "NBMM(n_components=2, level=[80], num_samples=30)",
    ] {
        for name in MODELS {
            let run = |threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                pool.install(|| {
                    let (_, fc) =
                        fit_loss(name, loss, &df, &[("scaler_type", "\"standard\"".into())])
                            .unwrap_or_else(|e| panic!("{name} {loss}: {e}"));
                    bits(&fc)
                })
            };
            assert_eq!(run(1), run(2), "{name} {loss}: 1 vs 2 threads");
        }
    }
}
