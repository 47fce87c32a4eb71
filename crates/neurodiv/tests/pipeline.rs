//! End-to-end tests of NeuralForecast: fit, predict, save/load, cross-validation, in-sample.

mod common;

use common::*;
use neurodiv::prelude::*;

#[test]
fn mlp_beats_the_seasonal_naive_forecast() {
    let (train, test) = air_split();
    let mut nf = NeuralForecast::new(vec![Box::new(small_mlp(1))], train.freq());
    let reports = nf.fit(&train, 0).unwrap();
    let losses = &reports[0].train_losses;
    assert!(
        losses[losses.len() - 1] < losses[0] * 0.5,
        "loss did not fall: {} -> {}",
        losses[0],
        losses[losses.len() - 1]
    );
    let fc = nf.predict(None).unwrap();
    assert_eq!(fc.len(), 12);
    assert_eq!(fc.column_names(), ["MLP"]);
    assert_eq!(fc.ds[0].to_string(), "1960-01-31");
    let (ours, naive) = (mae(&test, &fc, "MLP"), seasonal_naive_mae(&train, &test));
    assert!(
        ours < naive,
        "MLP MAE {ours:.2} vs seasonal naive {naive:.2}"
    );
}

#[test]
fn save_and_load_reproduce_predictions_bit_for_bit() {
    let (train, _) = air_split();
    let mut nf = NeuralForecast::new(vec![Box::new(small_mlp(3))], train.freq());
    nf.fit(&train, 0).unwrap();
    let before = nf.predict(None).unwrap();
    let dir = temp_dir("saveload");
    nf.save(&dir).unwrap();
    let loaded = NeuralForecast::load(&dir).unwrap();
    let after = loaded.predict(None).unwrap();
    let bits = |f: &ForecastFrame| {
        f.column("MLP")
            .unwrap()
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&before), bits(&after));
    assert_eq!(before.ds, after.ds);
    // An earlier save is refused unless overwriting is asked for.
    let err = nf.save(&dir).unwrap_err().to_string();
    assert!(err.contains("holds an earlier save"), "{err}");
    nf.save_overwriting(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn corrupted_or_missing_checkpoints_are_typed_errors() {
    let (train, _) = air_split();
    let model = MLP::new(MLPConfig::new(12, 24).hidden_size(8).max_steps(2)).unwrap();
    let mut nf = NeuralForecast::new(vec![Box::new(model)], train.freq());
    nf.fit(&train, 0).unwrap();
    let dir = temp_dir("corrupt");
    nf.save(&dir).unwrap();
    let path = dir.join("model-0.ndiv");
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&path, &bytes).unwrap();
    let err = NeuralForecast::load(&dir).unwrap_err().to_string();
    assert!(err.contains("corrupted"), "{err}");
    std::fs::write(&path, &bytes[..10]).unwrap();
    assert!(NeuralForecast::load(&dir).is_err());
    std::fs::remove_file(&path).unwrap();
    assert!(
        NeuralForecast::load(&dir)
            .unwrap_err()
            .to_string()
            .contains("model-0.ndiv")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fit_leaves_the_callers_frame_unchanged() {
    let (train, _) = air_split();
    let copy = train.clone();
    let mut nf = NeuralForecast::new(vec![Box::new(small_mlp(1))], train.freq());
    nf.fit(&train, 12).unwrap();
    assert_eq!(train, copy);
}

#[test]
fn same_seed_gives_the_same_bits_with_one_or_two_threads() {
    let (train, _) = air_split();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let model = MLP::new(
                MLPConfig::new(12, 24)
                    .hidden_size(256)
                    .max_steps(20)
                    .windows_batch_size(256),
            )
            .unwrap();
            let mut nf = NeuralForecast::new(vec![Box::new(model)], train.freq());
            nf.fit(&train, 0).unwrap();
            nf.predict(None)
                .unwrap()
                .column("MLP")
                .unwrap()
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        })
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn cross_validation_returns_the_right_windows_and_cutoffs() {
    let df = neurodiv::datasets::air_passengers().unwrap();
    let model = MLP::new(MLPConfig::new(12, 24).hidden_size(16).max_steps(10)).unwrap();
    let mut nf = NeuralForecast::new(vec![Box::new(model)], df.freq());
    let cv = nf.cross_validation(&df, 3, 6, 0, false).unwrap();
    assert_eq!(cv.len(), 3 * 12);
    let s = df.series(0);
    let (cutoffs, y) = (cv.cutoff.as_ref().unwrap(), cv.y.as_ref().unwrap());
    // test_size = 12 + 6 * 2 = 24: cutoffs are the points just before 144-24, 144-18 and 144-12.
    for (w, first) in [120usize, 126, 132].into_iter().enumerate() {
        for k in 0..12 {
            let r = w * 12 + k;
            assert_eq!(cutoffs[r], s.ds[first - 1]);
            assert_eq!(cv.ds[r], s.ds[first + k]);
            assert_eq!(y[r], s.y[first + k]);
        }
    }
    let refit = nf.cross_validation(&df, 2, 12, 12, true).unwrap();
    assert_eq!(refit.len(), 24);
    assert!(refit.column("MLP").unwrap().iter().all(|v| v.is_finite()));
    // As in NeuralForecast, predict() after cross-validation forecasts from the end of the whole
    // data, with the models of the last fit.
    let fc = nf.predict(None).unwrap();
    assert_eq!(fc.ds[0], df.freq().advance(&s.last_ds(), 1).unwrap());
}

#[test]
fn predict_insample_covers_every_full_window() {
    let (train, _) = air_split();
    let model = MLP::new(MLPConfig::new(12, 24).hidden_size(16).max_steps(5)).unwrap();
    let mut nf = NeuralForecast::new(vec![Box::new(model)], train.freq());
    nf.fit(&train, 0).unwrap();
    let ins = nf.predict_insample(12).unwrap();
    // cutoffs 24, 36, ..., 120 (each followed by 12 observed points)
    assert_eq!(ins.len(), 9 * 12);
    assert_eq!(ins.y.as_ref().unwrap()[0], train.series(0).y[24]);
}

#[test]
fn exogenous_and_static_columns_flow_through_mlp() {
    let panel = neurodiv::datasets::air_passengers_panel().unwrap();
    let (train, test) = panel.split_tail(12).unwrap();
    let config = MLPConfig::new(12, 24)
        .hidden_size(32)
        .max_steps(30)
        .futr_exog_list(["trend"])
        .hist_exog_list(["y_[lag12]"])
        .stat_exog_list(["airline1"]);
    let mut nf = NeuralForecast::new(vec![Box::new(MLP::new(config).unwrap())], train.freq());
    nf.fit(&train, 0).unwrap();
    let err = nf.predict(None).unwrap_err().to_string();
    assert!(err.contains("futr_df"), "{err}");
    let fc = nf.predict(Some(&test)).unwrap();
    assert_eq!(fc.len(), 24);
    assert_eq!(fc.unique_id[12], "Airline2");
    // The frame to fill holds exactly the forecast's timestamps.
    let to_fill = nf.make_future_dataframe(None).unwrap();
    assert!(!to_fill.has_target());
    assert_eq!(to_fill.series(1).ds, &fc.ds[12..]);
    // A future frame a year off is refused by date.
    let err = nf.predict_on(&panel.split_tail(24).unwrap().0, Some(&test));
    assert!(
        err.unwrap_err()
            .to_string()
            .contains("future row 1 is 1960-01-31"),
        "dates are checked"
    );
}

#[test]
fn bad_uses_give_clear_errors() {
    let (train, _) = air_split();
    let nf = NeuralForecast::new(vec![Box::new(small_mlp(1))], train.freq());
    assert!(
        nf.predict(None)
            .unwrap_err()
            .to_string()
            .contains("not fitted")
    );
    let err = neurodiv::registry::build("NoSuchModel", 12, 24, &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("MLP") && err.contains("NHITS"), "{err}");
    let err = neurodiv::registry::build("mlp", 12, 24, &[("hiden_size".into(), "3".into())])
        .unwrap_err()
        .to_string();
    assert!(err.contains("hidden_size"), "{err}");
    let err = MLP::new(MLPConfig::new(12, 24).learning_rate(-1.0))
        .unwrap_err()
        .to_string();
    assert!(err.contains("learning_rate"), "{err}");
    // A series shorter than one window.
    let short = train.split_tail(120).unwrap().0; // 12 points left
    let mut nf = NeuralForecast::new(vec![Box::new(small_mlp(1))], train.freq());
    let err = nf.fit(&short, 0).unwrap_err().to_string();
    assert!(
        err.contains("AirPassengers") && err.contains("input_size"),
        "{err}"
    );
    // Exogenous column missing from the data.
    let model = MLP::new(MLPConfig::new(12, 24).hist_exog_list(["nope"])).unwrap();
    let mut nf = NeuralForecast::new(vec![Box::new(model)], train.freq());
    assert!(nf.fit(&train, 0).unwrap_err().to_string().contains("nope"));
}

#[test]
fn mq_loss_gives_interval_columns() {
    let (train, _) = air_split();
    let config = MLPConfig::new(12, 24)
        .hidden_size(32)
        .max_steps(30)
        .loss(Loss::mq_from_levels(&[80, 90]));
    let mut nf = NeuralForecast::new(vec![Box::new(MLP::new(config).unwrap())], train.freq());
    nf.fit(&train, 0).unwrap();
    let fc = nf.predict(None).unwrap();
    assert_eq!(
        fc.column_names(),
        [
            "MLP-median",
            "MLP-lo-90",
            "MLP-lo-80",
            "MLP-hi-80",
            "MLP-hi-90"
        ]
    );
}

#[test]
fn validation_and_early_stopping() {
    let (train, _) = air_split();
    let config = MLPConfig::new(12, 24)
        .hidden_size(32)
        .max_steps(400)
        .val_check_steps(10)
        .early_stop_patience_steps(2);
    let mut nf = NeuralForecast::new(vec![Box::new(MLP::new(config).unwrap())], train.freq());
    let report = &nf.fit(&train, 12).unwrap()[0];
    assert!(!report.valid_losses.is_empty());
    assert!(report.valid_losses.iter().all(|(_, v)| v.is_finite()));
    assert!(report.steps <= 400);
}

#[test]
fn options_take_neuralforecast_spellings() {
    let set = |k: &str, v: &str| (k.to_string(), v.to_string());
    let model = neurodiv::registry::build(
        "mlp",
        12,
        24,
        &[
            set("loss", "mse"),
            set("optimizer", "adamw"),
            set("scaler_type", "robust"),
        ],
    )
    .unwrap();
    assert_eq!(model.base().loss, Loss::MSE);
    assert_eq!(model.base().scaler_type, ScalerType::Robust);
    let model = neurodiv::registry::build("MLP", 12, 24, &[set("loss", "MQLoss")]).unwrap();
    assert_eq!(model.base().output_multiplier(), 5);
    let err = neurodiv::registry::build("MLP", 12, 24, &[set("loss", "nonsense")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("loss=nonsense"), "{err}");
}

#[test]
fn missing_targets_are_masked_in_training_and_survive_save_and_load() {
    use neurodiv::data::Repairs;
    // AirPassengers with every 10th target blanked, loaded with missing targets allowed.
    let text: String = neurodiv::datasets::AIR_PASSENGERS_CSV
        .lines()
        .enumerate()
        .map(|(k, line)| {
            if k > 0 && k % 10 == 0 {
                let cut = line.rfind(',').unwrap();
                format!("{},\n", &line[..cut])
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    let opts = CsvOptions::default().with_repairs(Repairs {
        missing_targets: true,
        ..Repairs::default()
    });
    let df = PanelFrame::from_csv_reader(text.as_bytes(), &opts).unwrap();
    assert_eq!(df.n_missing(), 14);
    let mut nf = NeuralForecast::new(vec![Box::new(small_mlp(1))], df.freq());
    let report = nf.fit(&df, 0).unwrap().remove(0);
    assert!(report.train_losses.iter().all(|l| l.is_finite()));
    let fc = nf.predict(None).unwrap();
    assert!(fc.column("MLP").unwrap().iter().all(|v| v.is_finite()));
    let dir = temp_dir("missing-targets");
    nf.save(&dir.join("m")).unwrap();
    let loaded = NeuralForecast::load(&dir.join("m")).unwrap();
    assert_eq!(loaded.predict(None).unwrap(), fc);
    // Validation needs observed targets: a validation tail with a gap is refused.
    let mut nf = NeuralForecast::new(vec![Box::new(small_mlp(1))], df.freq());
    let err = nf.fit(&df, 12).unwrap_err().to_string();
    assert!(
        err.contains("missing targets in its validation points"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_ensemble_column_combines_the_point_forecasts() {
    use neurodiv::{ENSEMBLE_COLUMN, Ensemble};
    let (train, _) = air_split();
    let models: Vec<Box<dyn NeuralModel>> = vec![
        Box::new(small_mlp(1)),
        Box::new(
            MLP::new(
                MLPConfig::new(12, 24)
                    .hidden_size(8)
                    .max_steps(3)
                    .alias("b"),
            )
            .unwrap(),
        ),
        Box::new(
            MLP::new(
                MLPConfig::new(12, 24)
                    .hidden_size(8)
                    .max_steps(3)
                    .alias("c"),
            )
            .unwrap(),
        ),
    ];
    let mut nf = NeuralForecast::new(models, train.freq());
    nf.fit(&train, 0).unwrap();
    let mut fc = nf.predict(None).unwrap();
    let mut mean = fc.clone();
    fc.add_ensemble(nf.models(), "Median".parse().unwrap())
        .unwrap();
    mean.add_ensemble(nf.models(), Ensemble::Mean).unwrap();
    let (a, b, c) = (
        fc.column("MLP").unwrap()[0],
        fc.column("b").unwrap()[0],
        fc.column("c").unwrap()[0],
    );
    let mut sorted = [a, b, c];
    sorted.sort_by(f32::total_cmp);
    assert_eq!(fc.column(ENSEMBLE_COLUMN).unwrap()[0], sorted[1]);
    assert!((mean.column(ENSEMBLE_COLUMN).unwrap()[0] - (a + b + c) / 3.0).abs() < 1e-4);
    assert!(
        fc.add_ensemble(nf.models(), Ensemble::Mean).is_err(),
        "one Ensemble column"
    );
    assert!("mode".parse::<Ensemble>().is_err());
}
