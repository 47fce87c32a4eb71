//! The model registry: builds any model of the enabled families from its NeuralForecast name
//! (case-insensitive) and a config, and lists the options each model takes.

use crate::NfError;
use neurodiv_core::NeuralModel;
use neurodiv_core::checkpoint::MAX_VALUES;
use neurodiv_nn::ParamStore;
use serde_json::{Map, Value};

/// Largest integer a model's own options may hold (a width, a layer or block count, a dilation,
/// a number of samples), anywhere in them: 16,777,216, far above any real architecture. The
/// tensors a build allocates are bounded by a budget (see [`from_config_json`]), but a model may
/// first make a list per layer; this keeps such lists small. `BaseConfig`'s fields have their
/// own checks (`BaseConfig::validate`).
pub const MAX_OPTION: u64 = 1 << 24;

/// Tensor values a model built from a checkpoint may allocate beyond twice its stored values:
/// room for constants derived from the config, such as NBEATS's bases (16 Mi values, 64 MiB).
const LOAD_SLACK: usize = 1 << 24;

/// One registered model: its name, its default config as JSON, and a builder from JSON.
struct Entry {
    name: &'static str,
    family: &'static str,
    default_config: fn(usize, usize) -> Value,
    build: fn(&str) -> Result<Box<dyn NeuralModel>, NfError>,
}

macro_rules! entry {
    ($family:literal, $name:literal, $model:ty, $config:ty) => {
        entry!($family, $name, $model, $config, <$config>::new)
    };
    // A model whose defaults come from `$defaults(h, input_size)` (models sharing a config type).
    ($family:literal, $name:literal, $model:ty, $config:ty, $defaults:expr) => {
        Entry {
            name: $name,
            family: $family,
            default_config: |h, l| {
                let config: $config = $defaults(h, l);
                serde_json::to_value(config).expect("configs serialise")
            },
            build: |json| {
                let config: $config = serde_json::from_str(json)
                    .map_err(|e| NfError::BadOption(format!("{}: {e}", $name)))?;
                Ok(Box::new(<$model>::new(config)?))
            },
        }
    };
}

fn entries() -> Vec<Entry> {
    #[allow(unused_mut)]
    let mut v: Vec<Entry> = Vec::new();
    #[cfg(feature = "mlp")]
    {
        use neurodiv_models_mlp as m;
        v.push(entry!("mlp", "MLP", m::MLP, m::MLPConfig));
        v.push(entry!("mlp", "NHITS", m::NHITS, m::NHITSConfig));
        v.push(entry!(
            "mlp",
            "MLPMultivariate",
            m::MLPMultivariate,
            m::MLPMultivariateConfig
        ));
        v.push(entry!("mlp", "TSMixer", m::TSMixer, m::TSMixerConfig));
        v.push(entry!("mlp", "TSMixerx", m::TSMixerx, m::TSMixerxConfig));
        v.push(entry!("mlp", "NBEATS", m::NBEATS, m::NBEATSConfig));
        v.push(entry!("mlp", "NBEATSx", m::NBEATSx, m::NBEATSxConfig));
        v.push(entry!("mlp", "TiDE", m::TiDE, m::TiDEConfig));
        v.push(entry!("mlp", "DeepNPTS", m::DeepNPTS, m::DeepNPTSConfig));
    }
    #[cfg(feature = "linear")]
    {
        use neurodiv_models_linear as m;
        v.push(entry!("linear", "DLinear", m::DLinear, m::DLinearConfig));
        v.push(entry!("linear", "NLinear", m::NLinear, m::NLinearConfig));
        v.push(entry!("linear", "RLinear", m::RLinear, m::RLinearConfig));
    }
    #[cfg(feature = "recurrent")]
    {
        use neurodiv_models_recurrent as m;
        v.push(entry!(
            "recurrent",
            "RNN",
            m::RNN,
            m::RNNConfig,
            m::RNN::default_config
        ));
        v.push(entry!(
            "recurrent",
            "LSTM",
            m::LSTM,
            m::LSTMConfig,
            m::LSTM::default_config
        ));
        v.push(entry!(
            "recurrent",
            "GRU",
            m::GRU,
            m::GRUConfig,
            m::GRU::default_config
        ));
        v.push(entry!(
            "recurrent",
            "DilatedRNN",
            m::DilatedRNN,
            m::DilatedRNNConfig
        ));
        v.push(entry!("recurrent", "DeepAR", m::DeepAR, m::DeepARConfig));
    }
    #[cfg(feature = "conv")]
    {
        use neurodiv_models_conv as m;
        v.push(entry!("conv", "TCN", m::TCN, m::TCNConfig));
        v.push(entry!("conv", "BiTCN", m::BiTCN, m::BiTCNConfig));
        v.push(entry!("conv", "TimesNet", m::TimesNet, m::TimesNetConfig));
    }
    #[cfg(feature = "transformer")]
    {
        use neurodiv_models_transformer as m;
        v.push(entry!(
            "transformer",
            "VanillaTransformer",
            m::VanillaTransformer,
            m::VanillaTransformerConfig
        ));
        v.push(entry!(
            "transformer",
            "iTransformer",
            m::iTransformer,
            m::ITransformerConfig
        ));
        v.push(entry!(
            "transformer",
            "Informer",
            m::Informer,
            m::InformerConfig
        ));
        v.push(entry!(
            "transformer",
            "Autoformer",
            m::Autoformer,
            m::AutoformerConfig
        ));
        v.push(entry!(
            "transformer",
            "FEDformer",
            m::FEDformer,
            m::FEDformerConfig
        ));
        v.push(entry!(
            "transformer",
            "PatchTST",
            m::PatchTST,
            m::PatchTSTConfig
        ));
        v.push(entry!(
            "transformer",
            "TimeXer",
            m::TimeXer,
            m::TimeXerConfig
        ));
        v.push(entry!("transformer", "TFT", m::TFT, m::TFTConfig));
    }
    #[cfg(feature = "graph")]
    {
        use neurodiv_models_graph as m;
        v.push(entry!("graph", "StemGNN", m::StemGNN, m::StemGNNConfig));
    }
    #[cfg(feature = "llm")]
    {
        use neurodiv_models_llm as m;
        v.push(entry!("llm", "TimeLLM", m::TimeLLM, m::TimeLLMConfig));
    }
    v
}

fn find(name: &str) -> Result<Entry, NfError> {
    let all = entries();
    let known: Vec<&'static str> = all.iter().map(|e| e.name).collect();
    all.into_iter()
        .find(|e| e.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| NfError::UnknownModel {
            name: name.to_string(),
            known,
        })
}

/// The names of every available model, as NeuralForecast spells them.
pub fn model_names() -> Vec<&'static str> {
    entries().iter().map(|e| e.name).collect()
}

/// `(name, family)` of every available model.
pub fn model_families() -> Vec<(&'static str, &'static str)> {
    entries().iter().map(|e| (e.name, e.family)).collect()
}

/// The canonical spelling of a model name given in any case.
pub fn canonical_name(name: &str) -> Result<&'static str, NfError> {
    Ok(find(name)?.name)
}

/// The default config of model `name` for horizon `h` and input size `input_size`, as JSON.
/// Numbers stored as f32 are shown in their shortest form (`0.001`, not the widened f64).
pub fn default_config(name: &str, h: usize, input_size: usize) -> Result<Value, NfError> {
    Ok(tidy_f32((find(name)?.default_config)(h, input_size)))
}

/// Rewrites every non-integer number as the shortest decimal of its f32 value.
fn tidy_f32(v: Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => {
            let short: f64 = format!("{}", n.as_f64().unwrap_or(0.0) as f32)
                .parse()
                .unwrap_or(0.0);
            serde_json::Number::from_f64(short).map_or(Value::Number(n), Value::Number)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(tidy_f32).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, tidy_f32(v))).collect()),
        other => other,
    }
}

/// Builds model `name` from its full config as JSON, allocating at most [`MAX_VALUES`] tensor
/// values (the most a checkpoint holds): options asking for a larger model are an error, not an
/// allocation abort.
pub fn from_config_json(name: &str, json: &str) -> Result<Box<dyn NeuralModel>, NfError> {
    let entry = find(name)?;
    build_within(&entry, json, MAX_VALUES).map_err(|()| {
        NfError::TooLarge(format!(
            "{}: the options ask for a model of more than {MAX_VALUES} values (the most a checkpoint holds); lower its sizes",
            entry.name
        ))
    })?
}

/// Builds model `name` from a checkpoint's config and loads the stored parameters into it. The
/// config is untrusted: the build may allocate no more than twice the stored values (an
/// initialiser may hold a temporary of each tensor) plus [`LOAD_SLACK`], so a config asking for
/// far more parameters than the checkpoint holds is refused before it is allocated. The built
/// model's parameter names and shapes must then equal the stored ones.
pub fn from_checkpoint(
    name: &str,
    config_json: &str,
    params: &ParamStore,
) -> Result<Box<dyn NeuralModel>, NfError> {
    let entry = find(name)?;
    let stored = params.num_values();
    let limit = stored
        .saturating_mul(2)
        .saturating_add(LOAD_SLACK)
        .min(MAX_VALUES);
    let mut model = build_within(&entry, config_json, limit).map_err(|()| {
        NfError::TooLarge(format!(
            "the stored {} config asks for more values than the {stored} stored parameters",
            entry.name
        ))
    })??;
    model
        .params_mut()
        .load_from(params)
        .map_err(|e| NfError::Usage(format!("the saved parameters do not fit the model: {e}")))?;
    Ok(model)
}

/// Runs `entry`'s builder on `json` with a budget of `limit` tensor values; `Err(())` when the
/// build asked for more.
fn build_within(
    entry: &Entry,
    json: &str,
    limit: usize,
) -> Result<Result<Box<dyn NeuralModel>, NfError>, ()> {
    if let Err(e) = check_option_sizes(entry.name, json) {
        return Ok(Err(e));
    }
    neurodiv_autodiff::budget::with_element_budget(limit, || (entry.build)(json)).map_err(|_| ())
}

/// Refuses an integer above [`MAX_OPTION`] in the model's own options (those that are not
/// `BaseConfig` fields). Text that is not a JSON object is left to the build to report.
fn check_option_sizes(model: &str, json: &str) -> Result<(), NfError> {
    fn largest(v: &Value) -> Option<u64> {
        match v {
            Value::Number(n) => n.as_u64(),
            Value::Array(a) => a.iter().filter_map(largest).max(),
            Value::Object(o) => o.values().filter_map(largest).max(),
            _ => None,
        }
    }
    let Ok(Value::Object(config)) = serde_json::from_str::<Value>(json) else {
        return Ok(());
    };
    let base = serde_json::to_value(neurodiv_core::BaseConfig::new(1, 1)).expect("serialises");
    for (key, value) in &config {
        if base.get(key).is_some() {
            continue;
        }
        if let Some(n) = largest(value).filter(|&n| n > MAX_OPTION) {
            return Err(NfError::TooLarge(format!(
                "{model}: option {key} holds {n}, above the limit of {MAX_OPTION}"
            )));
        }
    }
    Ok(())
}

/// Reads an option value: JSON first; for the enum-valued options (`loss`, `valid_loss`,
/// `optimizer`, `scaler_type`) NeuralForecast's spellings too (`MSE`, `mqloss`, `adamw`, `robust`),
/// through their `FromStr`; any other non-JSON text is a plain string.
fn parse_value(key: &str, raw: &str) -> Result<Value, NfError> {
    fn via<T: std::str::FromStr + serde::Serialize>(key: &str, raw: &str) -> Result<Value, NfError>
    where
        T::Err: std::fmt::Display,
    {
        let v: T = raw
            .parse()
            .map_err(|e| NfError::BadOption(format!("{key}={raw}: {e}")))?;
        Ok(serde_json::to_value(v).expect("options serialise"))
    }
    if let Ok(v) = serde_json::from_str::<Value>(raw)
        && !v.is_string()
    {
        return Ok(v);
    }
    let text = serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.to_string());
    match key {
        "loss" | "valid_loss" => via::<neurodiv_optim::Loss>(key, &text),
        "optimizer" => via::<neurodiv_optim::OptimizerKind>(key, &text),
        "lr_scheduler" => via::<neurodiv_optim::LrSchedulerKind>(key, &text),
        "scaler_type" => via::<neurodiv_data::ScalerType>(key, &text),
        _ => Ok(Value::String(text)),
    }
}

/// Splits a command line's `--set` argument, `KEY=VALUE` or `MODEL.KEY=VALUE`, into
/// `(model, key, value)`.
pub fn parse_set(s: &str) -> Result<(Option<String>, String, String), NfError> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| NfError::BadOption(format!("--set {s:?}: expected KEY=VALUE")))?;
    Ok(match k.split_once('.') {
        Some((m, key)) => (Some(m.to_string()), key.to_string(), v.to_string()),
        None => (None, k.to_string(), v.to_string()),
    })
}

/// The config of model `name` with NeuralForecast's defaults for `h` and `input_size` and then
/// `overrides` (`key`, `value`) applied: the value is read as JSON (`256`, `[[256,256]]`,
/// `"robust"`), or as a plain string when it is not valid JSON. An unknown key is an error that
/// lists the valid ones. [`build_config`] builds the model from it.
pub fn config(
    name: &str,
    h: usize,
    input_size: usize,
    overrides: &[(String, String)],
) -> Result<Value, NfError> {
    let entry = find(name)?;
    let mut config = (entry.default_config)(h, input_size);
    let obj: &mut Map<String, Value> = config.as_object_mut().expect("configs are JSON objects");
    for (key, raw) in overrides {
        if !obj.contains_key(key) {
            let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
            keys.sort_unstable();
            return Err(NfError::BadOption(format!(
                "{} has no option {key:?}; valid options: {}",
                entry.name,
                keys.join(", ")
            )));
        }
        obj.insert(key.clone(), parse_value(key, raw)?);
    }
    Ok(config)
}

/// [`config`] for data of `n_series` series: a multivariate model (one with an `n_series` option)
/// gets that count before `overrides`, so an `n_series` among them still wins.
pub fn config_for_series(
    name: &str,
    h: usize,
    input_size: usize,
    overrides: &[(String, String)],
    n_series: usize,
) -> Result<Value, NfError> {
    let mut all = Vec::with_capacity(overrides.len() + 1);
    if default_config(name, h, input_size)?
        .get("n_series")
        .is_some()
    {
        all.push(("n_series".to_string(), n_series.to_string()));
    }
    all.extend_from_slice(overrides);
    config(name, h, input_size, &all)
}

/// `a list of lists of integers`, `a number`, `true or false`, `a name`...: what a JSON value
/// of this shape is, for messages and listings.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "a value or null".into(),
        Value::Bool(_) => "true or false".into(),
        Value::Number(n) if n.is_u64() || n.is_i64() => "an integer".into(),
        Value::Number(_) => "a number".into(),
        Value::String(_) => "a name".into(),
        Value::Object(_) => "an object".into(),
        Value::Array(items) => match items.first() {
            None => "a list".into(),
            Some(first) => {
                let one = describe(first);
                let plural = match one.split_once(' ') {
                    Some(("a" | "an", rest)) => match rest.split_once(' ') {
                        Some((noun, tail)) => format!("{noun}s {tail}"),
                        None => format!("{rest}s"),
                    },
                    _ => one,
                };
                format!("a list of {plural}")
            }
        },
    }
}

/// Refuses an option value of `config` (built by [`config`] from `overrides`) whose JSON shape
/// differs from the option's default (a list where a list of lists is wanted, text where a
/// number is), in the option's terms:
/// `NHITS: option mlp_units takes a list of lists of integers, like [[512,512],...] (its default), got [256,256]`.
pub fn check_option_shapes(
    name: &str,
    h: usize,
    input_size: usize,
    overrides: &[(String, String)],
    config: &Value,
) -> Result<(), NfError> {
    let defaults = default_config(name, h, input_size)?;
    for (key, _) in overrides {
        let (Some(default), Some(given)) = (defaults.get(key), config.get(key)) else {
            continue;
        };
        if !same_shape(default, given) {
            return Err(NfError::BadOption(format!(
                "{name}: option {key} takes {}, like {default} (its default), got {given}",
                describe(default)
            )));
        }
    }
    Ok(())
}

/// Whether `given` has the JSON shape of `default` (a null default takes anything, and null is
/// left to the model to accept or refuse; a number default takes any number unless it is an
/// integer).
fn same_shape(default: &Value, given: &Value) -> bool {
    use Value as V;
    match (default, given) {
        (V::Null, _) | (_, V::Null) => true,
        (V::Object(_), V::Object(_)) | (V::Bool(_), V::Bool(_)) => true,
        (V::String(_), V::String(_)) => true,
        (V::Number(d), V::Number(g)) => !(d.is_u64() || d.is_i64()) || g.is_u64() || g.is_i64(),
        (V::Array(d), V::Array(g)) => match d.first() {
            Some(first) => g.iter().all(|v| same_shape(first, v)),
            None => true,
        },
        _ => false,
    }
}

/// Builds model `name` from a config of [`config`] ([`from_config_json`]; a value of the wrong
/// type is reported as a bad option value).
pub fn build_config(name: &str, config: &Value) -> Result<Box<dyn NeuralModel>, NfError> {
    from_config_json(name, &config.to_string()).map_err(|e| match e {
        NfError::BadOption(msg) => NfError::BadOption(format!("bad option value: {msg}")),
        other => other,
    })
}

/// Builds model `name` with NeuralForecast's defaults for `h` and `input_size` and `overrides`
/// applied ([`config`], then [`build_config`]).
pub fn build(
    name: &str,
    h: usize,
    input_size: usize,
    overrides: &[(String, String)],
) -> Result<Box<dyn NeuralModel>, NfError> {
    build_config(name, &config(name, h, input_size, overrides)?)
}

/// [`build`] for data of `n_series` series ([`config_for_series`]).
pub fn build_for_series(
    name: &str,
    h: usize,
    input_size: usize,
    overrides: &[(String, String)],
    n_series: usize,
) -> Result<Box<dyn NeuralModel>, NfError> {
    build_config(
        name,
        &config_for_series(name, h, input_size, overrides, n_series)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_for_series_sets_n_series_of_multivariate_models_only() {
        let none: &[(String, String)] = &[];
        let m = build_for_series("TSMixer", 12, 24, none, 7).unwrap();
        assert_eq!(m.n_series(), Some(7));
        let given = [("n_series".to_string(), "3".to_string())];
        let m = build_for_series("TSMixer", 12, 24, &given, 7).unwrap();
        assert_eq!(m.n_series(), Some(3), "an explicit n_series wins");
        let m = build_for_series("NHITS", 12, 24, none, 7).unwrap();
        assert!(!m.capabilities().multivariate);
    }

    #[test]
    fn lr_scheduler_options() {
        let opts = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let c = config(
            "MLP",
            12,
            24,
            &opts(&[("lr_scheduler", "CosineAnnealingLR"), ("warmup_steps", "5")]),
        )
        .unwrap();
        assert_eq!(c["lr_scheduler"], "Cosine");
        assert_eq!(c["warmup_steps"], 5);
        assert!(build("MLP", 12, 24, &opts(&[("lr_scheduler", "cosine")])).is_ok());
        let err = build("MLP", 12, 24, &opts(&[("lr_scheduler", "onecycle")])).unwrap_err();
        assert!(
            err.to_string().contains("steplr, cosine, constant"),
            "{err}"
        );
        let err = build(
            "MLP",
            12,
            24,
            &opts(&[("max_steps", "10"), ("warmup_steps", "10")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("warmup_steps"), "{err}");
        // A config saved before the options existed reads with the defaults.
        let mut old = config("MLP", 12, 24, &[]).unwrap();
        let obj = old.as_object_mut().unwrap();
        obj.remove("lr_scheduler");
        obj.remove("warmup_steps");
        let back = build_config("MLP", &old).unwrap();
        assert_eq!(
            back.base().lr_scheduler,
            neurodiv_optim::LrSchedulerKind::StepLr
        );
        assert_eq!(back.base().warmup_steps, 0);
    }
}
