//! Untrusted checkpoints and absurd options: every one is a typed error (or, when harmless, a
//! working model), never a panic or an allocation abort. Each test covers a class of inputs: every
//! size of every registered model, every way a stored shape can overflow.

mod common;

use neurodiv::core::CoreError;
use neurodiv::core::checkpoint;
use neurodiv::core::predict::{Origin, forecast};
use neurodiv::core::series::SeriesSet;
use neurodiv::nn::ParamStore;
use neurodiv::prelude::*;
use neurodiv::registry;
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The layout of a saved model file (`orchestrator::SavedModel`), to craft files with.
#[derive(Serialize)]
struct SavedModel<'a> {
    name: &'a str,
    config_json: String,
    params: &'a ParamStore,
}

/// The layout of a stored tensor and parameter store, with any shape.
#[derive(Serialize)]
struct RawTensor {
    shape: Vec<usize>,
    data: Vec<f32>,
}

#[derive(Serialize)]
struct RawStore {
    names: Vec<String>,
    tensors: Vec<RawTensor>,
}

fn panel() -> PanelFrame {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/air_passengers_panel.csv");
    PanelFrame::from_csv_path(&path, &Default::default()).unwrap()
}

/// Every integer of `config` (nested in arrays too), as a path of object keys and array indices.
fn integer_paths(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Number(n) if n.is_u64() || n.is_i64() => out.push(path.clone()),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(Value::from(i));
                integer_paths(x, path, out);
                path.pop();
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                path.push(Value::from(k.as_str()));
                integer_paths(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn set_at(v: &mut Value, path: &[Value], new: Value) {
    let mut cur = v;
    for p in path {
        cur = match p {
            Value::String(k) => &mut cur[k.as_str()],
            Value::Number(i) => &mut cur[i.as_u64().unwrap() as usize],
            _ => unreachable!(),
        };
    }
    *cur = new;
}

/// A stored config with any one integer set to zero or to 2^40, loaded with the model's real
/// parameters, is refused with a typed error or builds a model that predicts: for every model.
#[test]
fn every_size_of_every_model_in_a_checkpoint_is_checked_before_allocation() {
    let df = panel();
    for name in registry::model_names() {
        let sets = common::required_options(name);
        let config = registry::config_for_series(name, 12, 24, &sets, df.n_series()).unwrap();
        let model = registry::build_config(name, &config).unwrap();
        let mut paths = Vec::new();
        integer_paths(&config, &mut Vec::new(), &mut paths);
        assert!(paths.len() > 5, "{name}: {config}");
        for path in &paths {
            for value in [0u64, registry::MAX_OPTION, 1 << 40] {
                let mut crafted = config.clone();
                set_at(&mut crafted, path, Value::from(value));
                let loaded = registry::from_checkpoint(name, &crafted.to_string(), model.params());
                let Ok(m) = loaded else { continue };
                // Harmless for the parameters (a seed, a step count, a sampling size): the
                // model must still predict, or refuse to with a typed error.
                if let Ok(set) = SeriesSet::from_frame(&df, m.base(), None) {
                    let origins: Vec<Origin> = (0..set.len())
                        .map(|series| Origin {
                            series,
                            cutoff: set.y[series].len(),
                        })
                        .collect();
                    let _ = forecast(m.as_ref(), &set, &origins, false);
                }
            }
        }
    }
}

/// Small widths meet the constraints between sizes and a loss's outputs (found by fuzzing: the
/// recurrent LSTM's projection must be narrower than its hidden state): every model, with any one
/// of its own integer options at 1, 2 or 3 and a point, quantile or distribution loss (and
/// recurrent mode where it has one), builds or returns a typed error.
#[test]
fn small_sizes_with_every_kind_of_loss_build_or_are_refused() {
    let base = serde_json::to_value(neurodiv::core::BaseConfig::new(1, 1)).unwrap();
    for name in registry::model_names() {
        let sets = common::required_options(name);
        let config = registry::config_for_series(name, 4, 8, &sets, 2).unwrap();
        let mut paths = Vec::new();
        integer_paths(&config, &mut Vec::new(), &mut paths);
        paths.retain(|p| p[0].as_str().is_some_and(|k| base.get(k).is_none()));
        for loss in [
            "MAE",
            "MQLoss(level=[80, 90])",
            "DistributionLoss(StudentT, level=[80, 90])",
        ] {
            for recurrent in [false, true] {
                if recurrent && config.get("recurrent").is_none() {
                    continue;
                }
                for path in &paths {
                    for value in 1u64..=3 {
                        let mut crafted = config.clone();
                        crafted["loss"] = Value::from(loss);
                        if recurrent {
                            crafted["recurrent"] = Value::from(true);
                        }
                        set_at(&mut crafted, path, Value::from(value));
                        let _ = registry::build_config(name, &crafted);
                    }
                }
            }
        }
    }
}

/// Options asking for a model far larger than a checkpoint can hold are a typed error.
#[test]
fn absurd_options_are_refused_before_allocation() {
    for (name, key) in [
        ("MLP", "hidden_size"),
        ("TiDE", "hidden_size"),
        ("LSTM", "encoder_hidden_size"),
        ("TSMixer", "n_series"),
    ] {
        let sets = [(key.to_string(), (1u64 << 40).to_string())];
        match registry::build(name, 12, 24, &sets) {
            Err(NfError::TooLarge(msg)) => assert!(msg.contains(name), "{msg}"),
            other => panic!("{name} {key}: {:?}", other.map(|m| m.name())),
        }
    }
}

/// Stored shapes whose element count overflows (wrapping to the number of stored values, or to
/// zero), or that disagree with the values, are decode errors.
#[test]
fn overflowing_or_inconsistent_tensor_shapes_do_not_decode() {
    let half = 1usize << (usize::BITS - 1);
    for (shape, data) in [
        (vec![half, 2], vec![]),                   // wraps to 0
        (vec![half + 1, 2], vec![0.0; 2]),         // wraps to 2
        (vec![usize::MAX, usize::MAX], vec![0.0]), // wraps to 1
        (vec![1 << 32, 1 << 32, 3], vec![]),       // wraps to 0
        (vec![3, 4], vec![0.0; 11]),               // disagrees
        // no values, but more than an array can hold (found by fuzzing)
        (vec![half, 0], vec![]),
        (vec![0, usize::MAX, 3], vec![]),
    ] {
        let store = RawStore {
            names: vec!["w".into()],
            tensors: vec![RawTensor {
                shape: shape.clone(),
                data,
            }],
        };
        let bytes = checkpoint::encode(&store).unwrap();
        let r = checkpoint::decode::<ParamStore>(&bytes);
        assert!(
            matches!(r, Err(checkpoint::CheckpointError::Decode(_))),
            "{shape:?}: {r:?}"
        );
    }
    let uneven = RawStore {
        names: vec!["a".into(), "b".into()],
        tensors: vec![RawTensor {
            shape: vec![1],
            data: vec![1.0],
        }],
    };
    let r = checkpoint::decode::<ParamStore>(&checkpoint::encode(&uneven).unwrap());
    assert!(
        matches!(r, Err(checkpoint::CheckpointError::Decode(_))),
        "{r:?}"
    );
}

fn fixture_copy(name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checkpoint-v1");
    let dir = std::env::temp_dir().join(format!("neurodiv-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in [
        "model-0.ndiv",
        "model-1.ndiv",
        "model-2.ndiv",
        "neuralforecast.ndiv",
    ] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    dir
}

/// A saved directory whose model file asks for a huge model, or whose state announces an absurd
/// number of models, loads as a typed error.
#[test]
fn crafted_saved_directories_are_typed_errors() {
    let dir = fixture_copy("dir");
    let nf = NeuralForecast::load(&dir).unwrap();
    let model = &nf.models()[1];
    let config: Value = serde_json::from_str(&model.config_json()).unwrap();
    for key in ["hidden_size", "num_layers", "input_size", "h"] {
        let mut crafted = config.clone();
        crafted[key] = Value::from(1u64 << 40);
        let saved = SavedModel {
            name: model.name(),
            config_json: crafted.to_string(),
            params: model.params(),
        };
        std::fs::write(
            dir.join("model-1.ndiv"),
            checkpoint::encode(&saved).unwrap(),
        )
        .unwrap();
        let e = NeuralForecast::load(&dir).unwrap_err();
        assert!(e.to_string().contains("model-1.ndiv"), "{key}: {e}");
    }
    // The state file: n_models is the second field, after the frequency string.
    let state = std::fs::read(dir.join("neuralforecast.ndiv")).unwrap();
    #[derive(serde::Deserialize, Serialize)]
    struct Head {
        freq: String,
        n_models: usize,
    }
    let payload = &state[20..state.len() - 4];
    let (head, used): (Head, usize) =
        bincode::serde::decode_from_slice(payload, bincode::config::standard()).unwrap();
    for n_models in [usize::MAX, 1 << 40, 4] {
        let mut bytes = bincode::serde::encode_to_vec(
            Head {
                freq: head.freq.clone(),
                n_models,
            },
            bincode::config::standard(),
        )
        .unwrap();
        bytes.extend_from_slice(&payload[used..]);
        let mut file = state[..12].to_vec();
        file.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        file.extend_from_slice(&bytes);
        file.extend_from_slice(&crc32fast::hash(&bytes).to_le_bytes());
        std::fs::write(dir.join("neuralforecast.ndiv"), file).unwrap();
        assert!(NeuralForecast::load(&dir).is_err(), "n_models = {n_models}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A loss that explodes with a finite value is the same "training diverged" error as a NaN
/// loss, for the models the issue found printing forecasts of 1e33; `divergence_factor = null`
/// turns the check off.
#[test]
fn exploding_losses_stop_training_unless_the_check_is_off() {
    let (train, _) = neurodiv::datasets::air_passengers()
        .unwrap()
        .split_tail(12)
        .unwrap();
    for (name, extra) in [
        ("TiDE", vec![("hidden_size", "16")]),
        ("DLinear", vec![]),
        ("NLinear", vec![]),
    ] {
        let mut sets: Vec<(String, String)> = vec![
            ("learning_rate".into(), "1e30".into()),
            ("max_steps".into(), "20".into()),
        ];
        sets.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let model = registry::build(name, 12, 24, &sets).unwrap();
        let mut nf = NeuralForecast::new(vec![model], train.freq());
        match nf.fit(&train, 0) {
            Err(NfError::Core(CoreError::Diverged { step, loss })) => {
                assert!(
                    step >= 1 && loss.abs() > 1e6,
                    "{name}: step {step} loss {loss}"
                )
            }
            other => panic!("{name}: {:?}", other.map(|r| r[0].train_losses.clone())),
        }
        sets.push(("divergence_factor".into(), "null".into()));
        sets[1].1 = "2".into();
        let model = registry::build(name, 12, 24, &sets).unwrap();
        let mut nf = NeuralForecast::new(vec![model], train.freq());
        assert!(nf.fit(&train, 0).is_ok(), "{name} with the check off");
    }
}
