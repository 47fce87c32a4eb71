//! Prediction intervals at predict time: conformal calibration of point losses, other
//! quantiles of a distribution loss, saved and loaded with the models, and their errors.

mod common;

use common::*;
use neurodiv::prelude::*;
use neurodiv::{ConformalMethod, interval_scores};

fn tiny_mlp(seed: u64) -> MLP {
    MLP::new(
        MLPConfig::new(12, 24)
            .hidden_size(16)
            .max_steps(30)
            .scaler_type(ScalerType::Standard)
            .random_seed(seed),
    )
    .unwrap()
}

fn levels() -> Intervals {
    Intervals::Level(vec![90.0, 80.0])
}

#[test]
fn conformal_levels_are_ordered_around_the_forecast_and_survive_save_and_load() {
    let (train, test) = air_split();
    for method in [
        ConformalMethod::ConformalDistribution,
        ConformalMethod::ConformalError,
    ] {
        let mut nf = NeuralForecast::new(vec![Box::new(tiny_mlp(1))], train.freq());
        let pi = PredictionIntervals::new(4, method, 2).unwrap();
        nf.fit_with_intervals(&train, 0, pi, &mut |_, _| {})
            .unwrap();
        assert_eq!(nf.prediction_intervals(), Some(pi));
        let fc = nf.predict_with(None, None, Some(&levels())).unwrap();
        assert_eq!(
            fc.column_names(),
            ["MLP", "MLP-lo-90", "MLP-lo-80", "MLP-hi-80", "MLP-hi-90"]
        );
        let col = |c: &str| fc.column(c).unwrap().to_vec();
        let (p, lo90, lo80, hi80, hi90) = (
            col("MLP"),
            col("MLP-lo-90"),
            col("MLP-lo-80"),
            col("MLP-hi-80"),
            col("MLP-hi-90"),
        );
        for t in 0..12 {
            assert!(lo90[t] <= lo80[t] && lo80[t] <= p[t], "{method:?} step {t}");
            assert!(p[t] <= hi80[t] && hi80[t] <= hi90[t], "{method:?} step {t}");
            assert!(hi90[t] > lo90[t], "{method:?} step {t}: empty interval");
        }
        // The point forecast is the plain prediction's.
        assert_eq!(nf.predict(None).unwrap().column("MLP").unwrap(), &p[..]);
        // Interval metrics against the held-out year.
        let y: Vec<f32> = test.series(0).y.to_vec();
        let s = interval_scores(&fc, "MLP", &y).unwrap().unwrap();
        assert_eq!(s.levels.len(), 2);
        assert_eq!(s.levels[0].0, "80");
        assert!(s.levels[0].2 < s.levels[1].2, "80% is narrower than 90%");
        assert!(s.scaled_crps.unwrap() > 0.0);
        // Saved and loaded with the models: the same bits.
        let dir = temp_dir(&format!("conformal-{method}"));
        nf.save(&dir).unwrap();
        let loaded = NeuralForecast::load(&dir).unwrap();
        assert_eq!(loaded.prediction_intervals(), Some(pi));
        let again = loaded.predict_with(None, None, Some(&levels())).unwrap();
        for c in fc.column_names() {
            let bits = |f: &ForecastFrame| {
                f.column(c)
                    .unwrap()
                    .iter()
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>()
            };
            assert_eq!(bits(&fc), bits(&again), "{c}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn conformal_quantiles_take_neuralforecasts_names() {
    let (train, _) = air_split();
    let mut nf = NeuralForecast::new(vec![Box::new(tiny_mlp(2))], train.freq());
    nf.fit_with_intervals(&train, 0, PredictionIntervals::default(), &mut |_, _| {})
        .unwrap();
    let fc = nf
        .predict_with(None, None, Some(&Intervals::Quantiles(vec![0.9, 0.1, 0.5])))
        .unwrap();
    assert_eq!(
        fc.column_names(),
        ["MLP", "MLP-ql0.1", "MLP-ql0.5", "MLP-ql0.9"]
    );
    assert_eq!(fc.column("MLP-ql0.5"), fc.column("MLP"));
}

#[test]
fn a_distribution_reports_the_quantiles_asked_at_predict_time() {
    let (train, _) = air_split();
    let config = MLPConfig::new(12, 24)
        .hidden_size(16)
        .max_steps(20)
        .scaler_type(ScalerType::Robust)
        .loss(Loss::distribution(Distribution::Normal, &[80]));
    let mut nf = NeuralForecast::new(vec![Box::new(MLP::new(config).unwrap())], train.freq());
    nf.fit(&train, 0).unwrap();
    let own = nf.predict(None).unwrap();
    assert_eq!(
        own.column_names(),
        ["MLP", "MLP-median", "MLP-lo-80", "MLP-hi-80"]
    );
    let fc = nf.predict_with(None, None, Some(&levels())).unwrap();
    assert_eq!(
        fc.column_names(),
        ["MLP", "MLP-lo-90", "MLP-lo-80", "MLP-hi-80", "MLP-hi-90"]
    );
    // The same draws: the mean column does not move, and 80% bounds agree with the model's own.
    assert_eq!(fc.column("MLP"), own.column("MLP"));
    assert_eq!(fc.column("MLP-lo-80"), own.column("MLP-lo-80"));
    let q = nf
        .predict_with(None, None, Some(&Intervals::Quantiles(vec![0.1, 0.9])))
        .unwrap();
    assert_eq!(q.column_names(), ["MLP", "MLP_ql0.1", "MLP_ql0.9"]);
    assert_eq!(q.column("MLP_ql0.1"), own.column("MLP-lo-80"));
}

#[test]
fn a_multi_quantile_loss_keeps_its_columns() {
    let (train, _) = air_split();
    let config = MLPConfig::new(12, 24)
        .hidden_size(16)
        .max_steps(5)
        .loss(Loss::mq_from_levels(&[80]));
    let mut nf = NeuralForecast::new(vec![Box::new(MLP::new(config).unwrap())], train.freq());
    nf.fit(&train, 0).unwrap();
    let fc = nf.predict_with(None, None, Some(&levels())).unwrap();
    assert_eq!(fc.column_names(), ["MLP-median", "MLP-lo-80", "MLP-hi-80"]);
}

#[test]
fn interval_requests_that_cannot_be_met_are_typed_errors() {
    let (train, _) = air_split();
    let mut nf = NeuralForecast::new(vec![Box::new(tiny_mlp(1))], train.freq());
    nf.fit(&train, 0).unwrap();
    let e = nf
        .predict_with(None, None, Some(&levels()))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("MLP is trained with MAE") && e.contains("conformal"),
        "{e}"
    );
    for (iv, needle) in [
        (Intervals::Level(vec![120.0]), "level 120"),
        (Intervals::Quantiles(vec![0.0]), "quantile 0"),
    ] {
        let e = nf.predict_with(None, None, Some(&iv)).unwrap_err();
        assert!(e.to_string().contains(needle), "{e}");
    }
    // Too short a history for the calibration windows: named, before any training.
    let short = train.split_tail(train.series(0).y.len() - 20).unwrap().0;
    let mut nf = NeuralForecast::new(vec![Box::new(tiny_mlp(1))], train.freq());
    let pi = PredictionIntervals::new(5, ConformalMethod::ConformalError, 2).unwrap();
    let e = nf
        .fit_with_intervals(&short, 0, pi, &mut |_, _| panic!("no training"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("\"AirPassengers\" has 20 points") && e.contains("at least 21"),
        "{e}"
    );
    assert!(PredictionIntervals::new(1, ConformalMethod::ConformalError, 1).is_err());
    // A series the calibration never saw.
    let mut nf = NeuralForecast::new(vec![Box::new(tiny_mlp(1))], train.freq());
    nf.fit_with_intervals(&train, 0, PredictionIntervals::default(), &mut |_, _| {})
        .unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/air_passengers.csv"
    ))
    .unwrap()
    .replace("AirPassengers", "Unseen");
    let unseen = PanelFrame::from_csv_reader(text.as_bytes(), &CsvOptions::default()).unwrap();
    let e = nf
        .predict_with(Some(&unseen), None, Some(&levels()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"Unseen\" was not in the data"), "{e}");
}

/// The calibration gate on a small version of the example's generated panel (known
/// Gaussian noise): conformal and Normal intervals cover within 10 points of nominal. The full
/// study (200 series, NeuralForecast's defaults, beside NeuralForecast) is
/// `cargo run --release -p neurodiv --example intervals -- --seeds 3`.
#[test]
fn conformal_and_normal_intervals_cover_near_nominal_on_a_known_noise_panel() {
    let panel = neurodiv::data::synthetic::seasonal_daily_panel(40, 150, 7);
    let (train, test) = panel.split_tail(14).unwrap();
    let y: Vec<f32> = (0..test.n_series())
        .flat_map(|i| test.series(i).y.to_vec())
        .collect();
    let config = |loss: Loss| {
        MLPConfig::new(14, 28)
            .hidden_size(64)
            .max_steps(150)
            .scaler_type(ScalerType::Robust)
            .loss(loss)
    };
    let pi = PredictionIntervals::new(10, ConformalMethod::ConformalDistribution, 1).unwrap();
    let mut conformal = NeuralForecast::new(
        vec![Box::new(MLP::new(config(Loss::MAE)).unwrap())],
        train.freq(),
    );
    conformal
        .fit_with_intervals(&train, 0, pi, &mut |_, _| {})
        .unwrap();
    let mut normal = NeuralForecast::new(
        vec![Box::new(
            MLP::new(config(Loss::distribution(Distribution::Normal, &[80, 90]))).unwrap(),
        )],
        train.freq(),
    );
    normal.fit(&train, 0).unwrap();
    for (what, nf) in [("conformal", &conformal), ("Normal", &normal)] {
        let fc = nf.predict_with(None, None, Some(&levels())).unwrap();
        let s = interval_scores(&fc, "MLP", &y).unwrap().unwrap();
        for ((level, cover, _), nominal) in s.levels.iter().zip([80.0, 90.0]) {
            assert!(
                (cover - nominal).abs() <= 10.0,
                "{what} {level}%: coverage {cover:.1}%"
            );
        }
    }
}
