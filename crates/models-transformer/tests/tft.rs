//! TFT: parameter counts against NeuralForecast, output and extras shapes with every kind of
//! exogenous column, the selection weights and causal attention, gradients reaching the static
//! encoder through the LSTM's initial state, and typed errors for bad settings.

use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_core::{ModelOutput, NeuralModel, WindowBatch};
use neurodiv_kernels::Rng;
use neurodiv_models_transformer::{GrnActivation, RnnType, TFT, TFTConfig};
use neurodiv_nn::Ctx;

fn exog(mut c: TFTConfig, futr: usize, hist: usize, stat: usize) -> TFTConfig {
    let names = |p: &str, n: usize| (0..n).map(|i| format!("{p}{i}")).collect::<Vec<_>>();
    c.base.futr_exog_list = names("f", futr);
    c.base.hist_exog_list = names("x", hist);
    c.base.stat_exog_list = names("s", stat);
    c
}

#[test]
fn parameter_counts_match_neuralforecast() {
    // sum(p.numel() for p in TFT(h=12, input_size=24, ...).parameters()), NeuralForecast 3.3.
    let count = |c: TFTConfig| TFT::new(c).unwrap().params().num_params();
    let c = TFTConfig::new(12, 24);
    assert_eq!(count(c.clone()), 870_158);
    assert_eq!(count(exog(c.clone(), 2, 1, 2)), 1_586_601);
    assert_eq!(count(exog(c.clone(), 0, 0, 1).n_rnn_layers(2)), 1_648_529);
    let one = exog(c.clone(), 0, 0, 2)
        .n_rnn_layers(2)
        .one_rnn_initial_state(true);
    assert_eq!(count(one), 1_599_512);
    let gru = exog(c, 0, 0, 1)
        .rnn_type(RnnType::Gru)
        .hidden_size(16)
        .n_head(2);
    assert_eq!(count(gru), 19_105);
}

fn tiny(h: usize, l: usize) -> TFTConfig {
    TFTConfig::new(h, l).hidden_size(8).n_head(2)
}

/// A forward pass on random inputs (training tape when `train`).
fn run<'t>(tape: &'t Tape, model: &TFT, rows: usize, seed: u64) -> ModelOutput<'t> {
    let b = model.base();
    let (h, l) = (b.h, b.input_size);
    let mut rng = Rng::new(seed);
    let mut ctx = Ctx::new(tape, model.params(), Rng::new(1));
    let mut var = |shape: &[usize]| ctx.constant(Tensor::randn(shape, &mut rng));
    let (f, x, s) = (
        b.futr_exog_list.len(),
        b.hist_exog_list.len(),
        b.stat_exog_list.len(),
    );
    let batch = WindowBatch {
        insample_y: var(&[rows, l]),
        insample_mask: var(&[rows, l]),
        futr_exog: (f > 0).then(|| var(&[rows, l + h, f])),
        hist_exog: (x > 0).then(|| var(&[rows, l, x])),
        stat_exog: (s > 0).then(|| var(&[rows, s])),
    };
    model.forward(&mut ctx, &batch)
}

#[test]
fn outputs_and_extras_have_their_shapes_and_the_weights_are_distributions() {
    for (h, l) in [(12, 24), (1, 1), (5, 3), (3, 17)] {
        for (f, x, s) in [(0, 0, 0), (2, 1, 3), (1, 0, 1), (0, 2, 0)] {
            let what = format!("h={h} L={l} futr={f} hist={x} stat={s}");
            let c = exog(tiny(h, l), f, x, s);
            let names = c.variable_names();
            let model = TFT::new(c).unwrap();
            let tape = Tape::no_grad();
            let out = run(&tape, &model, 3, 5);
            assert_eq!(out.y.shape(), [3, h, 1], "{what}");
            assert!(out.y.value().all_finite(), "{what}");
            let get = |k: &str| {
                out.extras
                    .iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.value())
            };
            let nf = f.max(1);
            let hist = get("historical_weights").unwrap();
            assert_eq!(hist.shape(), [3, l, x + nf + 1], "{what}");
            assert_eq!(names.historical.len(), x + nf + 1, "{what}");
            let futr = get("future_weights").unwrap();
            assert_eq!(futr.shape(), [3, h, nf], "{what}");
            assert_eq!(names.future.len(), nf, "{what}");
            let stat = get("static_weights");
            assert_eq!(
                stat.as_ref().map(|t| t.shape().to_vec()),
                (s > 0).then(|| vec![3, s])
            );
            let attn = get("attention").unwrap();
            assert_eq!(attn.shape(), [3, 2, h, l + h], "{what}");
            for w in [Some(hist), Some(futr), stat, Some(attn.clone())]
                .into_iter()
                .flatten()
            {
                let k = *w.shape().last().unwrap();
                for row in w.data().chunks(k) {
                    let sum: f32 = row.iter().sum();
                    assert!((sum - 1.0).abs() < 1e-5, "{what}: weights sum to {sum}");
                }
            }
            // Causal: horizon step i attends to no key after position l + i.
            for (r, row) in attn.data().chunks(l + h).enumerate() {
                let i = r % h;
                assert!(row[l + i + 1..].iter().all(|&p| p == 0.0), "{what}: causal");
            }
        }
    }
}

#[test]
fn multi_layer_and_gru_encoders_run_with_static_states() {
    for (rnn, layers, one) in [
        (RnnType::Lstm, 2, false),
        (RnnType::Lstm, 3, true),
        (RnnType::Gru, 2, false),
        (RnnType::Gru, 1, true),
    ] {
        for act in [GrnActivation::SELU, GrnActivation::GELU] {
            let c = exog(tiny(4, 6), 1, 1, 2)
                .rnn_type(rnn)
                .n_rnn_layers(layers)
                .one_rnn_initial_state(one)
                .grn_activation(act);
            let model = TFT::new(c).unwrap();
            let tape = Tape::no_grad();
            let y = run(&tape, &model, 2, 3).y.value();
            assert_eq!(y.shape(), [2, 4, 1]);
            assert!(y.all_finite(), "{rnn:?} {layers} {one} {act:?}");
        }
    }
}

#[test]
fn the_static_encoder_learns_through_the_initial_state_and_the_contexts() {
    // Every parameter of the static encoder, including the GRNs of the initial h and c, gets a
    // gradient (the history LSTM's initial state and the future LSTM's chained state are on
    // the tape).
    let model = TFT::new(exog(tiny(3, 5), 1, 0, 2)).unwrap();
    let tape = Tape::new();
    let mut ctx = Ctx::new(&tape, model.params(), Rng::new(1));
    let b = model.base();
    let mut rng = Rng::new(9);
    let mut var = |shape: &[usize]| ctx.constant(Tensor::randn(shape, &mut rng));
    let batch = WindowBatch {
        insample_y: var(&[4, b.input_size]),
        insample_mask: var(&[4, b.input_size]),
        futr_exog: Some(var(&[4, b.input_size + b.h, 1])),
        hist_exog: None,
        stat_exog: Some(var(&[4, 2])),
    };
    let y = model.forward(&mut ctx, &batch).y;
    let mut grads = tape.backward(y.mul(y).mean_all());
    let g = ctx.param_grads(&mut grads);
    let names = model.params().names();
    for (name, g) in names.iter().zip(&g) {
        // lin_c of the static selection network never sees a context, as in NeuralForecast.
        if name.starts_with("static_encoder.") && !name.contains("vsn.joint_grn.lin_c") {
            let norm: f32 = g.data().iter().map(|v| v * v).sum();
            assert!(norm > 0.0, "{name} gets no gradient");
        }
    }
}

#[test]
fn bad_settings_are_typed_errors() {
    for c in [
        tiny(12, 24).n_head(3),
        tiny(12, 24).hidden_size(0),
        tiny(12, 24).n_rnn_layers(0),
        tiny(12, 24).dropout(1.5),
        tiny(12, 24).attn_dropout(-0.1),
    ] {
        assert!(TFT::new(c).is_err());
    }
    assert!("GLU".parse::<GrnActivation>().is_err());
    assert_eq!("elu".parse::<GrnActivation>(), Ok(GrnActivation::ELU));
}
