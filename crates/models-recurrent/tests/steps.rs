//! The recurrent mode's two paths agree: the teacher-forced forward pass (training) and the
//! step interface (prediction) give the same one-step outputs on the same inputs, exogenous
//! columns included; and the dilated layers see exactly their subsequences.

use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_core::{NeuralModel, RecursiveModel, WindowBatch};
use neurodiv_kernels::Rng;
use neurodiv_models_recurrent::{
    DeepAR, DeepARConfig, DilatedRNN, DilatedRNNConfig, GRU, LSTM, RNN, RecurrentConfig,
};
use neurodiv_nn::Ctx;

const B: usize = 3;
const L: usize = 7; // context points the step interface reads

fn random(shape: &[usize], seed: u64) -> Tensor {
    let mut rng = Rng::new(seed);
    let n = shape.iter().product();
    Tensor::from_vec(shape, (0..n).map(|_| rng.normal()).collect())
}

fn with_exog<C>(mut c: C, base: impl Fn(&mut C) -> &mut neurodiv_core::BaseConfig) -> C {
    let b = base(&mut c);
    b.futr_exog_list = vec!["f1".into(), "f2".into()];
    b.hist_exog_list = vec!["x1".into()];
    b.stat_exog_list = vec!["s1".into()];
    c
}

/// Forward over `L + k` points against start on `L` points then `k` steps fed the same values.
fn check_steps(model: &dyn NeuralModel, rec: &dyn RecursiveModel, exog: bool) {
    let k = 4;
    let h = model.base().h;
    let y = random(&[B, L + k], 1);
    let futr = random(&[B, L + h, 2], 2);
    let hist = random(&[B, L, 1], 3);
    let stat = random(&[B, 1], 4);
    let tape = Tape::no_grad();
    let mut ctx = Ctx::new(&tape, model.params(), Rng::new(0));
    let batch = |t: usize| WindowBatch {
        insample_y: tape.constant(Tensor::from_vec(
            &[B, t],
            y.data()
                .chunks(L + k)
                .flat_map(|r| r[..t].to_vec())
                .collect(),
        )),
        insample_mask: tape.constant(Tensor::ones(&[B, t])),
        futr_exog: exog.then(|| tape.constant(futr.clone())),
        hist_exog: exog.then(|| tape.constant(hist.clone())),
        stat_exog: exog.then(|| tape.constant(stat.clone())),
    };
    let full = model.forward(&mut ctx, &batch(L + k)).y.value(); // [B, L + k, m]
    let m = full.shape()[2];
    let (out, mut state) = rec.start(&mut ctx, &batch(L));
    let at = |t: &Tensor, i: usize| -> Vec<f32> {
        t.data()
            .chunks(t.shape()[1] * m)
            .flat_map(|r| r[i * m..(i + 1) * m].to_vec())
            .collect()
    };
    let close = |a: &[f32], b: &[f32], what: &str| {
        for (x, y) in a.iter().zip(b) {
            assert!(
                (x - y).abs() <= 1e-4 * (1.0 + y.abs()),
                "{what}: {a:?} vs {b:?}"
            );
        }
    };
    close(&at(&out.value(), 0), &at(&full, L - 1), "start");
    for s in 0..k {
        let fed: Vec<f32> = y.data().chunks(L + k).map(|r| r[L + s]).collect();
        let next_futr: Vec<f32> = futr
            .data()
            .chunks((L + h) * 2)
            .flat_map(|r| r[(L + s + 1) * 2..(L + s + 2) * 2].to_vec())
            .collect();
        let f = exog.then(|| tape.constant(Tensor::from_vec(&[B, 2], next_futr)));
        let (o, next) = rec.step(
            &mut ctx,
            &state,
            tape.constant(Tensor::from_vec(&[B], fed)),
            f,
        );
        state = next;
        close(&at(&o.value(), 0), &at(&full, L + s), &format!("step {s}"));
    }
}

fn recurrent_config(exog: bool) -> RecurrentConfig {
    let c = RecurrentConfig::new(6, L - 1)
        .recurrent(true)
        .encoder_hidden_size(8)
        .encoder_n_layers(2);
    if exog {
        with_exog(c, |c| &mut c.base)
    } else {
        c
    }
}

#[test]
fn teacher_forcing_and_steps_agree_for_every_cell() {
    for exog in [false, true] {
        let m = RNN::new(recurrent_config(exog)).unwrap();
        check_steps(&m, m.recursive().unwrap(), exog);
        let m = LSTM::new(recurrent_config(exog)).unwrap();
        check_steps(&m, m.recursive().unwrap(), exog);
        let m = GRU::new(recurrent_config(exog)).unwrap();
        check_steps(&m, m.recursive().unwrap(), exog);
        let c = DeepARConfig::new(6, L - 1).lstm_hidden_size(8);
        let c = if exog {
            with_exog(c, |c| &mut c.base)
        } else {
            c
        };
        let m = DeepAR::new(c).unwrap();
        check_steps(&m, m.recursive().unwrap(), exog);
    }
}

#[test]
fn direct_models_have_no_step_interface() {
    let m = LSTM::new(RecurrentConfig::new(6, 12)).unwrap();
    assert!(m.recursive().is_none());
    assert_eq!(m.spec(), neurodiv_core::ModelSpec::direct(m.capabilities()));
}

#[test]
fn bad_configs_name_the_field() {
    let err = |r: Result<LSTM, neurodiv_core::CoreError>| r.unwrap_err().to_string();
    assert!(
        err(LSTM::new(RecurrentConfig::new(6, 12).encoder_n_layers(0)))
            .contains("encoder_n_layers")
    );
    assert!(
        err(LSTM::new(
            RecurrentConfig::new(6, 12).encoder_hidden_size(0)
        ))
        .contains("encoder_hidden_size")
    );
    let c = RecurrentConfig::new(6, 12).recurrent(true).h_train(7);
    assert!(err(LSTM::new(c)).contains("h_train"));
    let c = DeepARConfig::new(6, 12).exclude_insample_y(true);
    assert!(
        DeepAR::new(c)
            .unwrap_err()
            .to_string()
            .contains("exclude_insample_y")
    );
    let c = DeepARConfig::new(6, 12)
        .sample_paths(true)
        .loss(neurodiv_optim::Loss::MAE);
    assert!(
        DeepAR::new(c)
            .unwrap_err()
            .to_string()
            .contains("sample_paths")
    );
    let c = DilatedRNNConfig::new(6, 12).dilations(vec![vec![1, 0]]);
    assert!(
        DilatedRNN::new(c)
            .unwrap_err()
            .to_string()
            .contains("dilations")
    );
}

#[test]
fn parameter_counts_follow_pytorch() {
    // LSTM(1, 128, 2 layers) + MLP(128 -> 128 -> 1)
    let m = LSTM::new(LSTM::default_config(12, 24)).unwrap();
    let (g, hd) = (4 * 128, 128); // gate rows, hidden units
    let lstm = g + g * hd + 2 * g + 2 * g * hd + 2 * g;
    assert_eq!(m.params().num_params(), lstm + 128 * 128 + 128 + 128 + 1);
    // Recurrent mode: proj_size 1 projects both layers; no decoder.
    let m = LSTM::new(LSTM::default_config(12, 24).recurrent(true)).unwrap();
    // per layer: weight_ih [4H, 1], weight_hh [4H, 1], two biases, weight_hr [1, H]
    let layer = g + g + 2 * g + hd;
    assert_eq!(m.params().num_params(), 2 * layer);
    assert_eq!(GRU::default_config(12, 24).encoder_hidden_size, 200);
}
