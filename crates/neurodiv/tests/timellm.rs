//! TimeLLM through the facade on a tiny random GPT-2 folder written in a temp dir: it learns,
//! the backbone is frozen (no optimizer state, unchanged by training), save/load gives the same
//! bits, 1 and 2 threads give the same bits, and bad folders are typed errors.

mod common;

use common::*;
use neurodiv::optim::LrSchedulerKind;
use neurodiv::prelude::*;
use neurodiv_core::CoreError;
use neurodiv_models_llm::tiny::{TinyGpt2, write_tiny_gpt2};
use safetensors::Dtype;
use std::path::{Path, PathBuf};

fn folder(name: &str, spec: TinyGpt2) -> PathBuf {
    let dir = temp_dir(&format!("timellm-{name}"));
    write_tiny_gpt2(&dir, spec).unwrap();
    dir
}

fn config(dir: &Path, steps: usize) -> TimeLLMConfig {
    let mut c = TimeLLMConfig::new(12, 24)
        .llm(dir.display().to_string())
        .max_steps(steps)
        .windows_batch_size(32)
        .learning_rate(1e-3);
    c.d_llm = 32;
    c.d_ff = 16;
    c.n_heads = 2;
    c
}

fn backbone(model: &dyn NeuralModel) -> Vec<(String, Vec<f32>)> {
    let p = model.params();
    p.names()
        .iter()
        .zip(p.tensors())
        .filter(|(n, _)| n.starts_with("llm."))
        .map(|(n, t)| (n.clone(), t.to_vec()))
        .collect()
}

#[test]
fn timellm_learns_with_a_frozen_backbone() {
    let dir = folder("learn", TinyGpt2::default());
    let (train, test) = air_split();
    let model = TimeLLM::new(config(&dir, 60)).unwrap();
    let before = backbone(&model);
    let store = model.params();
    let frozen: usize = before.iter().map(|(_, v)| v.len()).sum();
    // Every backbone tensor is frozen: the optimizer sees only the trainable layers.
    assert_eq!(store.num_trainable() + frozen, store.num_params());
    assert!(frozen > 0 && before.len() == 4 + 2 * 12);
    let mut nf = NeuralForecast::new(vec![Box::new(model)], train.freq());
    let losses = nf.fit(&train, 0).unwrap().remove(0).train_losses;
    let mean = |s: &[f32]| s.iter().sum::<f32>() / s.len() as f32;
    let (first, last) = (mean(&losses[..10]), mean(&losses[losses.len() - 10..]));
    assert!(last < 0.8 * first, "training loss {first} -> {last}");
    assert_eq!(backbone(&*nf.models()[0]), before, "the backbone moved");
    let fc = nf.predict(None).unwrap();
    assert!(mae(&test, &fc, "TimeLLM") < 2.0 * seasonal_naive_mae(&train, &test));
}

#[test]
fn same_bits_on_threads_and_through_save_and_load() {
    let dir = folder("bits", TinyGpt2::default());
    let (train, _) = air_split();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                let model = TimeLLM::new(config(&dir, 3)).unwrap();
                let mut nf = NeuralForecast::new(vec![Box::new(model)], train.freq());
                nf.fit(&train, 0).unwrap();
                let fc = nf.predict(None).unwrap();
                (nf, fc)
            })
    };
    let (nf, one) = run(1);
    let (_, two) = run(2);
    assert_eq!(one, two);
    let saved = temp_dir("timellm-saved");
    nf.save(&saved).unwrap();
    let loaded = NeuralForecast::load(&saved).unwrap();
    assert_eq!(loaded.predict(None).unwrap(), one);
    // The checkpoint holds the backbone; the folder is still read at load (its config and
    // tokenizer): without it, loading is a typed error naming the folder.
    std::fs::remove_dir_all(&dir).unwrap();
    let err = NeuralForecast::load(&saved).unwrap_err().to_string();
    assert!(
        err.contains("timellm-bits") && err.contains("not a folder"),
        "{err}"
    );
}

#[test]
fn learning_rate_schedules_and_warmup_apply() {
    let dir = folder("schedule", TinyGpt2::default());
    let (train, _) = air_split();
    let fit = |c: TimeLLMConfig| {
        let mut nf = NeuralForecast::new(vec![Box::new(TimeLLM::new(c).unwrap())], train.freq());
        let losses = nf.fit(&train, 0).unwrap().remove(0).train_losses;
        assert!(losses.iter().all(|l| l.is_finite()));
        nf.predict(None).unwrap()
    };
    let plain = fit(config(&dir, 4));
    let cosine = config(&dir, 4)
        .lr_scheduler(LrSchedulerKind::Cosine)
        .warmup_steps(2);
    assert_ne!(fit(cosine), plain, "the schedule changed nothing");
    // Through the registry, as the CLI and the Python and Node packages pass them.
    let options: Vec<(String, String)> = required_options("TimeLLM")
        .into_iter()
        .chain([
            ("lr_scheduler".into(), "constant".into()),
            ("warmup_steps".into(), "1".into()),
            ("max_steps".into(), "2".into()),
        ])
        .collect();
    let model = neurodiv::registry::build("TimeLLM", 12, 24, &options).unwrap();
    assert_eq!(model.base().lr_scheduler, LrSchedulerKind::Constant);
    assert_eq!(model.base().warmup_steps, 1);
    // A warm-up as long as the run is a typed error naming the field.
    let c = config(&dir, 2).warmup_steps(2);
    assert!(matches!(
        TimeLLM::new(c),
        Err(CoreError::Config {
            field: "warmup_steps",
            ..
        })
    ));
}

#[test]
fn reduced_precision_backbones_load() {
    let (train, _) = air_split();
    for dtype in [Dtype::F16, Dtype::BF16] {
        let spec = TinyGpt2 {
            dtype,
            ..TinyGpt2::default()
        };
        let dir = folder(&format!("{dtype:?}"), spec);
        let model = TimeLLM::new(config(&dir, 2)).unwrap();
        let mut nf = NeuralForecast::new(vec![Box::new(model)], train.freq());
        nf.fit(&train, 0).unwrap();
        let fc = nf.predict(None).unwrap();
        assert!(fc.column("TimeLLM").unwrap().iter().all(|v| v.is_finite()));
    }
}

#[test]
fn bad_folders_are_typed_errors() {
    let err = |c: TimeLLMConfig| match TimeLLM::new(c) {
        Ok(_) => panic!("built"),
        Err(e) => e,
    };
    let dir = folder("bad", TinyGpt2::default());
    // No folder given.
    let mut c = config(&dir, 1);
    c.llm = None;
    assert!(matches!(err(c), CoreError::Config { field: "llm", .. }));
    // A folder that is not there.
    let c = config(Path::new("/nonexistent/gpt2"), 1);
    assert!(matches!(err(c), CoreError::Backbone { .. }));
    // d_llm other than the backbone's width.
    let mut c = config(&dir, 1);
    c.d_llm = 64;
    let e = err(c).to_string();
    assert!(
        e.contains("config.json") && e.contains("n_embd is 32"),
        "{e}"
    );
    // A tensor of the wrong shape, then a missing file.
    let other = folder(
        "bad-wide",
        TinyGpt2 {
            n_embd: 16,
            ..TinyGpt2::default()
        },
    );
    std::fs::copy(
        other.join("model.safetensors"),
        dir.join("model.safetensors"),
    )
    .unwrap();
    let e = err(config(&dir, 1)).to_string();
    assert!(
        e.contains("model.safetensors") && e.contains("expected [545, 32]"),
        "{e}"
    );
    std::fs::remove_file(dir.join("tokenizer.json")).unwrap();
    let e = err(config(&dir, 1)).to_string();
    assert!(e.contains("tokenizer.json"), "{e}");
}
