//! The model registry: builds any model of the enabled families from its NeuralForecast name
//! (case-insensitive) and a config, and lists the options each model takes.

use crate::NfError;
use neurodiv_core::NeuralModel;
use serde_json::{Map, Value};

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

/// Builds model `name` from its full config as JSON (what checkpoints store).
pub fn from_config_json(name: &str, json: &str) -> Result<Box<dyn NeuralModel>, NfError> {
    (find(name)?.build)(json)
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
        "scaler_type" => via::<neurodiv_data::ScalerType>(key, &text),
        _ => Ok(Value::String(text)),
    }
}

/// Builds model `name` with NeuralForecast's defaults for `h` and `input_size`, then applies
/// `overrides` (`key`, `value`): the value is read as JSON (`256`, `[[256,256]]`, `"robust"`),
/// or as a plain string when it is not valid JSON. An unknown key is an error that lists the
/// valid ones.
pub fn build(
    name: &str,
    h: usize,
    input_size: usize,
    overrides: &[(String, String)],
) -> Result<Box<dyn NeuralModel>, NfError> {
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
    let json = config.to_string();
    (entry.build)(&json).map_err(|e| match e {
        NfError::BadOption(msg) => NfError::BadOption(format!("bad option value: {msg}")),
        other => other,
    })
}

/// [`build`] for data of `n_series` series: a multivariate model (one with an `n_series` option)
/// gets that count before `overrides`, so an `n_series` among them still wins.
pub fn build_for_series(
    name: &str,
    h: usize,
    input_size: usize,
    overrides: &[(String, String)],
    n_series: usize,
) -> Result<Box<dyn NeuralModel>, NfError> {
    let mut all = Vec::with_capacity(overrides.len() + 1);
    if default_config(name, h, input_size)?
        .get("n_series")
        .is_some()
    {
        all.push(("n_series".to_string(), n_series.to_string()));
    }
    all.extend_from_slice(overrides);
    build(name, h, input_size, &all)
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
}
