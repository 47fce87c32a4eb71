//! The harness's helpers: tiny configs per model, building, fitting, comparing forecasts, and
//! the loop that runs a check on every registered model.

pub use crate::common::temp_dir;
use neurodiv::core::train::FitReport;
use neurodiv::prelude::*;
use neurodiv::registry;
use serde_json::Value;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

/// Horizon of most checks.
pub const H: usize = 12;
/// Input size of most checks.
pub const L: usize = 24;
/// Training steps of the quick checks.
pub const QUICK_STEPS: usize = 5;

// Compile-time: models, the orchestrator and frames cross threads.
const _: () = {
    const fn send_sync<T: Send + Sync + ?Sized>() {}
    send_sync::<Box<dyn NeuralModel>>();
    send_sync::<dyn NeuralModel>();
    send_sync::<NeuralForecast>();
    send_sync::<PanelFrame>();
    send_sync::<ForecastFrame>();
};

/// Size overrides that make model `name` tiny; a model not listed here keeps its defaults
/// (only the step count and the windows batch shrink, see [`overrides`]).
pub fn tiny_overrides(name: &str) -> Vec<(&'static str, &'static str)> {
    match name {
        "MLP" | "MLPMultivariate" => vec![("hidden_size", "16")],
        "NHITS" | "NBEATS" | "NBEATSx" => vec![("mlp_units", "[[16,16]]")],
        "TSMixer" | "TSMixerx" => vec![("ff_dim", "8")],
        "TiDE" => vec![
            ("hidden_size", "16"),
            ("decoder_output_dim", "4"),
            ("temporal_decoder_dim", "8"),
        ],
        "RNN" | "LSTM" | "GRU" | "DilatedRNN" => {
            vec![("encoder_hidden_size", "16"), ("decoder_hidden_size", "16")]
        }
        "DeepAR" => vec![("lstm_hidden_size", "16")],
        "TCN" => vec![("encoder_hidden_size", "16"), ("decoder_hidden_size", "16")],
        "BiTCN" => vec![("hidden_size", "8")],
        "TimesNet" => vec![
            ("hidden_size", "8"),
            ("conv_hidden_size", "8"),
            ("num_kernels", "2"),
            ("top_k", "2"),
            // Its default rate (1e-4) is sized for 1000 steps; the learning check runs 300.
            ("learning_rate", "0.001"),
        ],
        "PatchTST" => vec![
            ("hidden_size", "8"),
            ("n_heads", "2"),
            ("linear_hidden_size", "8"),
            ("patch_len", "4"),
            ("stride", "2"),
            ("learning_rate", "0.001"),
        ],
        "FEDformer" => vec![
            ("hidden_size", "16"),
            ("conv_hidden_size", "8"),
            ("modes", "4"),
            ("learning_rate", "0.001"),
        ],
        "TimeXer" => vec![
            ("hidden_size", "8"),
            ("n_heads", "2"),
            ("d_ff", "8"),
            ("patch_len", "4"),
        ],
        "iTransformer" => vec![("hidden_size", "8"), ("n_heads", "2"), ("d_ff", "8")],
        "TFT" => vec![("hidden_size", "8"), ("n_head", "2")],
        "StemGNN" => vec![("multi_layer", "1")],
        "TimeLLM" => vec![
            ("d_ff", "16"),
            ("d_model", "16"),
            ("n_heads", "2"),
            ("patch_len", "4"),
            ("stride", "2"),
            // Its default rate (1e-4) is NeuralForecast's for 5 steps; the learning check runs 300.
            ("learning_rate", "0.001"),
            // Every window carries a prompt of about 150 tokens through the backbone: 8 windows
            // per step instead of the harness's 64 keep its checks to seconds.
            ("windows_batch_size", "8"),
        ],
        "VanillaTransformer" | "Autoformer" => vec![
            ("hidden_size", "8"),
            ("n_head", "2"),
            ("conv_hidden_size", "8"),
            // Its default rate (1e-4) is sized for 5000 steps; the learning check runs 300.
            ("learning_rate", "0.001"),
        ],
        "Informer" => vec![
            ("hidden_size", "8"),
            ("n_head", "2"),
            ("conv_hidden_size", "8"),
            ("learning_rate", "0.001"),
            // With the identity scaler its quantiles are still crossed after the learning
            // check's 300 steps (the parity reference runs it with the robust scaler too).
            ("scaler_type", r#""robust""#),
        ],
        _ => Vec::new(),
    }
}

/// Options a model cannot be built without (TimeLLM's tiny backbone folder).
pub fn required(name: &str) -> Vec<(String, String)> {
    crate::common::required_options(split_variant(name).0)
}

/// `name`'s default config with its [`required`] options.
pub fn defaults_with_required(name: &str) -> Value {
    let mut defaults = registry::default_config(name, H, L).expect("registered name");
    for (k, v) in required(name) {
        defaults[k] = serde_json::from_str(&v).unwrap();
    }
    defaults
}

/// Models whose forecast of a window depends on the other windows of its batch, as in
/// NeuralForecast: TimesNet picks its periods from the amplitudes of the whole batch, StemGNN
/// averages its attention (the graph between the series) over the windows of the batch; TimeLLM
/// pads the prompts of a batch to the longest of them, with no attention mask.
pub const BATCH_COUPLED: &[&str] = &["TimesNet", "StemGNN", "TimeLLM"];

/// Models that, as in NeuralForecast, train only with point losses (one output per step):
/// DeepNPTS. The checks skip the other losses for them, and
/// `every_model_trains_with_every_compatible_loss` checks that they refuse those with a typed
/// error naming `loss`.
pub const POINT_LOSSES_ONLY: &[&str] = &["DeepNPTS"];

/// Whether model (or variant) `name` trains with `loss`.
pub fn takes_loss(name: &str, loss: &Loss) -> bool {
    loss.outputsize_multiplier() == 1 || !POINT_LOSSES_ONLY.contains(&split_variant(name).0)
}

/// What the checks run on: every registered model, and the second mode of the models that have
/// one, named `"{model}+recurrent"` (NeuralForecast's `recurrent=True`). The environment variable
/// `NEURODIV_CONFORMANCE_MODELS` (comma-separated names) narrows the run while developing a model.
pub fn variants() -> Vec<&'static str> {
    let only: Option<Vec<String>> = std::env::var("NEURODIV_CONFORMANCE_MODELS").ok().map(|v| {
        v.split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .collect()
    });
    if let Some(only) = &only {
        let known: Vec<String> = registry::model_names()
            .iter()
            .map(|n| n.to_ascii_lowercase())
            .collect();
        let unknown: Vec<&String> = only.iter().filter(|n| !known.contains(n)).collect();
        assert!(
            unknown.is_empty(),
            "NEURODIV_CONFORMANCE_MODELS names unregistered models {unknown:?}"
        );
    }
    let mut out = Vec::new();
    for name in registry::model_names() {
        if let Some(only) = &only
            && !only.contains(&name.to_ascii_lowercase())
        {
            continue;
        }
        out.push(name);
        let defaults = registry::default_config(name, H, L).expect("registered name");
        if defaults.get("recurrent") == Some(&Value::Bool(false)) {
            out.push(&*Box::leak(format!("{name}+recurrent").into_boxed_str()));
        }
    }
    out
}

/// A variant's registry name and the overrides of its mode.
pub fn split_variant(variant: &str) -> (&str, Vec<(&'static str, &'static str)>) {
    match variant.strip_suffix("+recurrent") {
        Some(name) => (name, vec![("recurrent", "true")]),
        None => (variant, Vec::new()),
    }
}

/// The registry overrides of a quick run of `name`: few steps, 64 windows per batch, the tiny
/// sizes (those the model's config has), `n_series` for multivariate models, then `extra`
/// (which wins over the rest).
pub fn overrides(name: &str, n_series: usize, extra: &[(&str, String)]) -> Vec<(String, String)> {
    let (name, mode) = split_variant(name);
    let defaults = registry::default_config(name, H, L).expect("registered name");
    let has = |k: &str| defaults.get(k).is_some();
    let mut out = required(name);
    out.extend([
        ("max_steps".to_string(), QUICK_STEPS.to_string()),
        ("windows_batch_size".to_string(), "64".to_string()),
    ]);
    for (k, v) in tiny_overrides(name) {
        if has(k) {
            out.push((k.to_string(), v.to_string()));
        }
    }
    if has("n_series") {
        out.push(("n_series".to_string(), n_series.to_string()));
    }
    out.extend(mode.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    out.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    out
}

/// The data a model is checked on: AirPassengers, or for multivariate models (which forecast
/// all series jointly) the two-series panel.
pub fn data_for(name: &str) -> PanelFrame {
    let probe =
        registry::build(split_variant(name).0, H, L, &overrides(name, 1, &[])).expect("tiny build");
    if probe.capabilities().multivariate {
        neurodiv::datasets::air_passengers_panel().unwrap()
    } else {
        neurodiv::datasets::air_passengers().unwrap()
    }
}

/// Builds model `name` tiny, with horizon `h`, input size `l` and `extra` overrides.
pub fn build(
    name: &str,
    h: usize,
    l: usize,
    n_series: usize,
    extra: &[(&str, String)],
) -> Box<dyn NeuralModel> {
    registry::build(
        split_variant(name).0,
        h,
        l,
        &overrides(name, n_series, extra),
    )
    .unwrap_or_else(|e| panic!("{name}: build(h={h}, input_size={l}, {extra:?}): {e}"))
}

/// Fits one model on `train` and predicts the next `h` points.
pub fn fit_predict(
    model: Box<dyn NeuralModel>,
    train: &PanelFrame,
) -> (FitReport, ForecastFrame, NeuralForecast) {
    fit_predict_with_validation(model, train, 0)
}

/// [`fit_predict`] holding out the last `val_size` points of each series for validation.
pub fn fit_predict_with_validation(
    model: Box<dyn NeuralModel>,
    train: &PanelFrame,
    val_size: usize,
) -> (FitReport, ForecastFrame, NeuralForecast) {
    let alias = model.alias();
    let mut nf = NeuralForecast::new(vec![model], train.freq());
    let report = nf
        .fit(train, val_size)
        .unwrap_or_else(|e| panic!("{alias}: fit: {e}"))
        .remove(0);
    let fc = nf
        .predict(None)
        .unwrap_or_else(|e| panic!("{alias}: predict: {e}"));
    (report, fc, nf)
}

/// The bits of every model column.
pub fn bits(fc: &ForecastFrame) -> Vec<(String, Vec<u32>)> {
    fc.columns
        .iter()
        .map(|(n, v)| (n.clone(), v.iter().map(|x| x.to_bits()).collect()))
        .collect()
}

/// The columns a model with alias `alias` and loss `loss` must produce.
pub fn expected_columns(alias: &str, loss: &Loss) -> Vec<String> {
    loss.output_names()
        .iter()
        .map(|s| format!("{alias}{s}"))
        .collect()
}

/// The columns `model` predicts: its alias and its loss's suffixes.
pub fn model_columns(model: &dyn NeuralModel) -> Vec<String> {
    expected_columns(&model.alias(), &model.base().loss)
}

/// Checks a forecast frame: `rows` rows, the model's columns, all values finite.
pub fn check_forecast(what: &str, fc: &ForecastFrame, rows: usize, columns: &[String]) {
    assert_eq!(fc.len(), rows, "{what}: rows");
    assert_eq!(fc.column_names(), columns, "{what}: columns");
    for (n, v) in &fc.columns {
        assert_eq!(v.len(), rows, "{what}: column {n} length");
        assert!(v.iter().all(|x| x.is_finite()), "{what}: {n} not finite");
    }
}

/// Runs `check` for every registered model and mode ([`variants`]); fails naming every one whose
/// check panicked.
pub fn for_each_model(test: &str, check: impl Fn(&'static str)) {
    let failed: Vec<&str> = variants()
        .into_iter()
        .filter(|&name| catch_unwind(AssertUnwindSafe(|| check(name))).is_err())
        .collect();
    assert!(failed.is_empty(), "{test} failed for {failed:?}");
}

/// A temp directory removed when dropped (also when a check fails).
pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The losses every univariate model must train with (distributions with few draws, to stay
/// fast).
pub fn compatible_losses() -> Vec<Loss> {
    let few_draws = |d: Distribution| Loss::DistributionLoss {
        distribution: d,
        quantiles: neurodiv::optim::losses::levels_to_quantiles(&[80]),
        num_samples: 50,
        return_params: d.returns_params(),
    };
    vec![
        Loss::MAE,
        Loss::MSE,
        Loss::RMSE,
        Loss::MAPE,
        Loss::SMAPE,
        Loss::Huber { delta: 1.0 },
        Loss::QuantileLoss { q: 0.5 },
        Loss::mq_from_levels(&[80, 90]),
        Loss::MASE { seasonality: 12 },
        few_draws(Distribution::Normal),
        few_draws(Distribution::StudentT),
        Loss::HuberQLoss { q: 0.7, delta: 1.0 },
        Loss::HuberMQLoss {
            quantiles: neurodiv::optim::losses::levels_to_quantiles(&[80]),
            delta: 1.0,
        },
        // AirPassengers are counts: every count distribution applies (Bernoulli, which needs
        // 0/1 targets, is checked in `conformance/distributions.rs`).
        few_draws(Distribution::Poisson),
        few_draws(Distribution::NegativeBinomial),
        few_draws(Distribution::Tweedie { rho: 1.5 }),
        few_draws(Distribution::GMM {
            n_components: 2,
            weighted: true,
        }),
        few_draws(Distribution::PMM {
            n_components: 2,
            weighted: false,
        }),
        few_draws(Distribution::NBMM {
            n_components: 2,
            weighted: true,
        }),
    ]
}

/// A loss as the registry's `"loss"` override takes it (its serde JSON form).
pub fn loss_json(loss: &Loss) -> String {
    serde_json::to_string(loss).expect("losses serialise")
}

/// JSON equality with numbers compared as `f32` (configs hold `f32` fields, which
/// `serde_json::to_value` widens to `f64` digits while `to_string` prints them shortest).
pub fn same_config(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x as f32 == y as f32,
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_config(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_config(v, w)))
        }
        _ => a == b,
    }
}
