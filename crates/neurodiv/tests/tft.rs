//! TFT through the facade: it learns, and its explanations (variable importances by name and
//! attention per series) are well formed, reproducible on 1 and 2 threads, survive save/load
//! bit for bit, and are refused for other models with a typed error.

mod common;

use common::*;
use neurodiv::prelude::*;
use neurodiv::{Explanation, NfError};

/// A tiny TFT on the two-series panel with future `trend`, historical `y_[lag12]` and static
/// `airline1`.
fn tiny_tft(steps: usize) -> TFT {
    let mut c = TFTConfig::new(12, 24)
        .hidden_size(8)
        .n_head(2)
        .max_steps(steps)
        .windows_batch_size(64);
    c.base.futr_exog_list = vec!["trend".into()];
    c.base.hist_exog_list = vec!["y_[lag12]".into()];
    c.base.stat_exog_list = vec!["airline1".into()];
    TFT::new(c).unwrap()
}

fn panel() -> (PanelFrame, PanelFrame) {
    neurodiv::datasets::air_passengers_panel()
        .unwrap()
        .split_tail(12)
        .unwrap()
}

fn fit_and_explain(steps: usize) -> (NeuralForecast, ForecastFrame, Explanation) {
    let (train, test) = panel();
    let mut nf = NeuralForecast::new(vec![Box::new(tiny_tft(steps))], train.freq());
    nf.fit(&train, 0).unwrap();
    let fc = nf.predict(Some(&test)).unwrap();
    let e = nf.explain("tft", Some(&test)).unwrap();
    (nf, fc, e)
}

#[test]
fn tft_learns_on_airpassengers() {
    let (train, test) = air_split();
    let c = TFTConfig::new(12, 24)
        .hidden_size(16)
        .n_head(2)
        .max_steps(150)
        .windows_batch_size(64);
    let mut nf = NeuralForecast::new(vec![Box::new(TFT::new(c).unwrap())], train.freq());
    let losses = nf.fit(&train, 0).unwrap().remove(0).train_losses;
    let mean = |s: &[f32]| s.iter().sum::<f32>() / s.len() as f32;
    let (first, last) = (mean(&losses[..20]), mean(&losses[losses.len() - 20..]));
    // 1.77 -> 1.41 (robust-scaled MAE) when written.
    assert!(last < 0.9 * first, "training loss {first} -> {last}");
    let fc = nf.predict(None).unwrap();
    assert!(mae(&test, &fc, "TFT") < 2.0 * seasonal_naive_mae(&train, &test));
}

#[test]
fn explanations_name_the_variables_and_hold_distributions() {
    let (_, fc, e) = fit_and_explain(5);
    assert_eq!((e.model.as_str(), e.h, e.input_size), ("TFT", 12, 24));
    assert_eq!(e.series.len(), 2);
    assert_eq!(fc.unique_id.len(), 24);
    for s in &e.series {
        let names = |v: &[neurodiv::VariableImportance]| -> Vec<String> {
            v.iter().map(|i| i.variable.clone()).collect()
        };
        assert_eq!(names(&s.static_importance), ["airline1"]);
        assert_eq!(
            names(&s.historical_importance),
            ["y_[lag12]", "trend", "observed_target"]
        );
        assert_eq!(names(&s.future_importance), ["trend"]);
        for v in [
            &s.static_importance,
            &s.historical_importance,
            &s.future_importance,
        ] {
            let sum: f32 = v.iter().map(|i| i.importance).sum();
            assert!(
                (sum - 1.0).abs() < 1e-4,
                "{}: weights sum to {sum}",
                s.unique_id
            );
        }
        assert_eq!(s.ds.len(), 36);
        assert_eq!(s.attention.len(), 36);
        // The window ends at the last training month; the horizon is the held-out year.
        assert_eq!(s.ds[23], "1959-12-31");
        assert_eq!(s.ds[35], "1960-12-31");
        let sum: f32 = s.attention.iter().sum();
        assert!((sum - 1.0).abs() < 1e-4, "attention sums to {sum}");
    }
    assert_eq!(e.series[1].unique_id, "Airline2");
}

#[test]
fn explanations_are_reproducible_on_threads_and_through_save_and_load() {
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| fit_and_explain(5))
    };
    let (nf, fc1, e1) = run(1);
    let (_, fc2, e2) = run(2);
    assert_eq!(fc1, fc2, "forecasts on 1 and 2 threads");
    assert_eq!(e1, e2, "explanations on 1 and 2 threads");
    let dir = temp_dir("tft-explain");
    nf.save(&dir).unwrap();
    let loaded = NeuralForecast::load(&dir).unwrap();
    let (_, test) = panel();
    assert_eq!(
        loaded.predict(Some(&test)).unwrap(),
        fc1,
        "forecast after load"
    );
    assert_eq!(loaded.explain("TFT", Some(&test)).unwrap(), e1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explaining_another_model_or_without_future_values_is_a_typed_error() {
    let (train, test) = panel();
    let mut nf = NeuralForecast::new(vec![Box::new(small_mlp(1))], train.freq());
    assert!(matches!(
        nf.explain("MLP", None),
        Err(NfError::Core(neurodiv::core::CoreError::NotFitted))
    ));
    let mut quick = MLPConfig::new(12, 24).hidden_size(8).max_steps(1);
    quick.base.windows_batch_size = 8;
    let mut nf2 = NeuralForecast::new(vec![Box::new(MLP::new(quick).unwrap())], train.freq());
    nf2.fit(&train, 0).unwrap();
    let err = nf2.explain("MLP", None).unwrap_err();
    assert!(matches!(err, NfError::NotExplainable { .. }), "{err}");
    assert!(err.to_string().contains("only TFT"), "{err}");
    assert!(matches!(nf2.explain("NHITS", None), Err(NfError::Usage(_))));
    nf = NeuralForecast::new(vec![Box::new(tiny_tft(1))], train.freq());
    nf.fit(&train, 0).unwrap();
    let err = nf.explain("TFT", None).unwrap_err();
    assert!(err.to_string().contains("futr_df"), "{err}");
    assert!(nf.explain("TFT", Some(&test)).is_ok());
}
