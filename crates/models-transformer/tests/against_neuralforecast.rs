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
    Autoformer, AutoformerConfig, TimeXer, TimeXerConfig, VanillaTransformer,
    VanillaTransformerConfig,
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

/// The fixture's batch (NeuralForecast's univariate insample_y [B, L, 1] is stored as [B, L]).
fn batch<'t>(ctx: &Ctx<'t>, nf: &Value) -> WindowBatch<'t> {
    let y = tensor(&nf["insample_y"]);
    WindowBatch {
        insample_mask: ctx.constant(Tensor::ones(y.shape())),
        insample_y: ctx.constant(y),
        futr_exog: None,
        hist_exog: (!nf["hist_exog"].is_null()).then(|| ctx.constant(tensor(&nf["hist_exog"]))),
        stat_exog: None,
    }
}

/// Loads NeuralForecast's parameters into `model`; returns the fixture and our names.
fn load(model: &mut dyn NeuralModel, fixture: &str) -> (Value, Vec<String>) {
    let nf: Value = serde_json::from_str(fixture).unwrap();
    let names: Vec<String> = model.params().names().to_vec();
    for (i, name) in names.iter().enumerate() {
        let want = nf["params"]
            .get(name)
            .unwrap_or_else(|| panic!("NeuralForecast has no parameter {name}")); // same names
        let t = tensor(want);
        let ours = &mut model.params_mut().tensors_mut()[i];
        // Kernel-1 convolutions are linear maps here: [out, in, 1] there, [out, in] here.
        let squeeze = |s: &[usize]| s.iter().copied().filter(|&d| d != 1).collect::<Vec<_>>();
        assert_eq!(squeeze(ours.shape()), squeeze(t.shape()), "{name}");
        *ours = Tensor::from_vec(ours.shape(), t.data().to_vec());
    }
    (nf, names)
}

/// Our forecast against the fixture's `key`.
fn close(nf: &Value, got: &Tensor, key: &str) {
    let want = tensor(&nf[key]);
    assert_eq!(
        got.numel(),
        want.numel(),
        "{key}: {:?} vs {:?}",
        got.shape(),
        want.shape()
    );
    for (a, b) in got.data().iter().zip(want.data()) {
        assert!(
            (a - b).abs() < 1e-4 * (1.0 + b.abs()),
            "{key}: {:?} vs {:?}",
            got.data(),
            want.data()
        );
    }
}

/// Prediction (a tape that records nothing) against NeuralForecast's `eval()` mode.
fn check_prediction(model: &dyn NeuralModel, nf: &Value) {
    let tape = Tape::no_grad();
    let mut ctx = Ctx::new(&tape, model.params(), Rng::new(1));
    let batch = batch(&ctx, nf);
    close(
        nf,
        &model.forward(&mut ctx, &batch).y.value(),
        "forecast_eval",
    );
}

/// The training forward pass and every parameter's gradient (dropout off), then prediction.
fn check(model: &mut dyn NeuralModel, fixture: &str) {
    let (nf, names) = load(model, fixture);
    let tape = Tape::new();
    let mut ctx = Ctx::new(&tape, model.params(), Rng::new(1));
    let train_batch = batch(&ctx, &nf);
    let out = model.forward(&mut ctx, &train_batch).y;
    close(&nf, &out.value(), "forecast");
    let r = tensor(&nf["r"]);
    let loss = out.reshape(r.shape()).mul(ctx.constant(r)).sum_all();
    let grads = tape.backward(loss);
    for (i, name) in names.iter().enumerate() {
        let g = grads.get(ctx.p(neurodiv_nn::ParamId(i))).expect("gradient");
        let want = tensor(&nf["grads"][name]);
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
    check_prediction(model, &nf);
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

#[test]
fn timexer_matches_neuralforecast() {
    // Two series, one historical exogenous column, patches of 3.
    let mut config = TimeXerConfig::new(3, 6)
        .n_series(2)
        .hidden_size(8)
        .n_heads(2)
        .d_ff(16)
        .patch_len(3)
        .dropout(0.0);
    config.base.hist_exog_list = vec!["a".into()];
    let mut model = TimeXer::new(config).unwrap();
    check(&mut model, include_str!("fixtures/nf_timexer.json"));
}

#[test]
fn prediction_ignores_dropout() {
    // The same parameters in models configured with dropout: prediction is unchanged.
    let vt = VanillaTransformerConfig::new(3, 6)
        .hidden_size(8)
        .n_head(2)
        .conv_hidden_size(4)
        .dropout(0.5);
    let mut vt = VanillaTransformer::new(vt).unwrap();
    let (nf, _) = load(
        &mut vt,
        include_str!("fixtures/nf_vanilla_transformer.json"),
    );
    check_prediction(&vt, &nf);
    let mut tx = TimeXerConfig::new(3, 6)
        .n_series(2)
        .hidden_size(8)
        .n_heads(2)
        .d_ff(16)
        .patch_len(3)
        .dropout(0.5);
    tx.base.hist_exog_list = vec!["a".into()];
    let mut tx = TimeXer::new(tx).unwrap();
    let (nf, _) = load(&mut tx, include_str!("fixtures/nf_timexer.json"));
    check_prediction(&tx, &nf);
}
