//! Numerical parity with NeuralForecast: a tiny model with NeuralForecast's parameters loaded
//! by name gives its forecast and its parameter gradients on one batch in training mode, and its
//! forecast in prediction (dropout off).
//!
//! The fixtures come from `tests/fixtures/dump_nf.py` run with the Python of the pinned
//! NeuralForecast venv (`cargo xtask compare` installs it), e.g.
//! `target/compare/venv/bin/python crates/models-transformer/tests/fixtures/dump_nf.py
//! VanillaTransformer crates/models-transformer/tests/fixtures/nf_vanilla_transformer.json`.

use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_core::{NeuralModel, WindowBatch};
use neurodiv_kernels::Rng;
use neurodiv_models_transformer::{
    Autoformer, AutoformerConfig, VanillaTransformer, VanillaTransformerConfig,
};
use neurodiv_nn::Ctx;
use serde_json::Value;

fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<f32> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    Tensor::from_vec(&shape, data)
}

/// NeuralForecast's name of our parameter `ours`, where they differ.
fn nf_name(ours: &str) -> String {
    ours.to_string()
}

fn check(model: &mut dyn NeuralModel, fixture: &str) {
    let nf: Value = serde_json::from_str(fixture).unwrap();
    let names: Vec<String> = model.params().names().to_vec();
    for (i, name) in names.iter().enumerate() {
        let want = nf["params"]
            .get(nf_name(name))
            .unwrap_or_else(|| panic!("NeuralForecast has no parameter {name}"));
        let t = tensor(want);
        let ours = &mut model.params_mut().tensors_mut()[i];
        // Kernel-1 convolutions are linear maps here: [out, in, 1] there, [out, in] here.
        let squeeze = |s: &[usize]| s.iter().copied().filter(|&d| d != 1).collect::<Vec<_>>();
        assert_eq!(squeeze(ours.shape()), squeeze(t.shape()), "{name}");
        *ours = Tensor::from_vec(ours.shape(), t.data().to_vec());
    }
    let tape = Tape::new();
    let mut ctx = Ctx::new(&tape, model.params(), Rng::new(1));
    let y = ctx.constant(tensor(&nf["insample_y"]));
    let batch = WindowBatch {
        insample_y: y,
        insample_mask: ctx.constant(Tensor::ones(&y.shape())),
        futr_exog: None,
        hist_exog: None,
        stat_exog: None,
    };
    let out = model.forward(&mut ctx, &batch).y; // [B, h, 1]
    let fc = out.value();
    let want = tensor(&nf["forecast"]);
    for (a, b) in fc.data().iter().zip(want.data()) {
        assert!(
            (a - b).abs() < 1e-4 * (1.0 + b.abs()),
            "forecast {:?} vs {:?}",
            fc.data(),
            want.data()
        );
    }
    // Prediction runs on a tape that records nothing, against NeuralForecast's `eval()` mode.
    let eval_tape = Tape::no_grad();
    let eval_ctx = Ctx::new(&eval_tape, model.params(), Rng::new(1));
    let eval_batch = WindowBatch {
        insample_y: eval_ctx.constant(tensor(&nf["insample_y"])),
        insample_mask: eval_ctx.constant(Tensor::ones(&y.shape())),
        futr_exog: None,
        hist_exog: None,
        stat_exog: None,
    };
    let mut eval_ctx = eval_ctx;
    let predicted = model.forward(&mut eval_ctx, &eval_batch).y.value();
    let want = tensor(&nf["forecast_eval"]);
    for (a, b) in predicted.data().iter().zip(want.data()) {
        assert!(
            (a - b).abs() < 1e-4 * (1.0 + b.abs()),
            "prediction {:?} vs {:?}",
            predicted.data(),
            want.data()
        );
    }
    let r = tensor(&nf["r"]);
    let loss = out.reshape(r.shape()).mul(ctx.constant(r)).sum_all();
    let grads = tape.backward(loss);
    for (i, name) in names.iter().enumerate() {
        let g = grads.get(ctx.p(neurodiv_nn::ParamId(i))).expect("gradient");
        let want = tensor(&nf["grads"][nf_name(name)]);
        let worst = g
            .data()
            .iter()
            .zip(want.data())
            .map(|(a, b)| (a - b).abs() / (1e-3 + b.abs()))
            .fold(0.0f32, f32::max);
        assert!(
            worst < 1e-2,
            "gradient of {name}: {:?} vs {:?}",
            g.data(),
            want.data()
        );
    }
}

#[test]
fn vanilla_transformer_matches_neuralforecast() {
    let config = VanillaTransformerConfig::new(3, 6)
        .hidden_size(8)
        .n_head(2)
        .conv_hidden_size(4)
        .dropout(0.0);
    let mut model = VanillaTransformer::new(config).unwrap();
    check(
        &mut model,
        include_str!("fixtures/nf_vanilla_transformer.json"),
    );
}

#[test]
fn autoformer_matches_neuralforecast() {
    // Training mode: the delays are those of the batch's mean correlation.
    let config = AutoformerConfig::new(3, 6)
        .hidden_size(8)
        .n_head(2)
        .conv_hidden_size(4)
        .dropout(0.0);
    let mut model = Autoformer::new(config).unwrap();
    check(&mut model, include_str!("fixtures/nf_autoformer.json"));
}
