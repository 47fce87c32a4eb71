//! StemGNN: NeuralForecast's parameter count and forward pass, shapes, config checks, gradients
//! and learning.

use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_core::reexports::Loss;
use neurodiv_core::series::SeriesSet;
use neurodiv_core::{NeuralModel, WindowBatch};
use neurodiv_kernels::Rng;
use neurodiv_models_graph::{StemGNN, StemGNNConfig};
use neurodiv_nn::Ctx;
use serde_json::Value;

fn batch(tape: &Tape, y: Tensor) -> WindowBatch<'_> {
    let mask = Tensor::ones(y.shape());
    WindowBatch {
        insample_y: tape.constant(y),
        insample_mask: tape.constant(mask),
        futr_exog: None,
        hist_exog: None,
        stat_exog: None,
    }
}

fn run(model: &StemGNN, tape: &Tape, y: Tensor) -> Tensor {
    let wb = batch(tape, y);
    let mut ctx = Ctx::new(tape, model.params(), Rng::new(0));
    model.forward(&mut ctx, &wb).y.value()
}

fn random_input(rows: usize, l: usize, n: usize) -> Tensor {
    Tensor::randn(&[rows, l, n], &mut Rng::new(7))
}

#[test]
fn parameter_count_matches_neuralforecast() {
    // NeuralForecast 3.3, `sum(p.numel() for p in StemGNN(h=12, input_size=24,
    // n_series=2).parameters())` = 4,221,784 (the parity configuration): per block the
    // [1, 4, 1, 120, 120] graph convolution (57,600), six GLUs of two Linear layers
    // (2 x 2 x 96 x 480 + 4 x 2 x 480 x 480 plus biases), forecast, forecast_result,
    // backcast_short_cut and (first block) backcast; the GRU(24, 2), the key and query, the head.
    let model = StemGNN::new(StemGNNConfig::new(12, 24).n_series(2)).unwrap();
    assert_eq!(model.params().num_params(), 4_221_784);
    let tiny = StemGNN::new(StemGNNConfig::new(3, 4).n_series(3).multi_layer(1)).unwrap();
    assert_eq!(tiny.params().num_params(), 6918); // NeuralForecast: the fixture's model
}

#[test]
fn forward_matches_neuralforecast() {
    // `tests/nf_stemgnn_tiny.py`: NeuralForecast's StemGNN(h=3, input_size=4, n_series=3,
    // multi_layer=1) in eval mode, its weights and its output on a random batch of two windows.
    let fixture: Value =
        serde_json::from_str(include_str!("nf_stemgnn_tiny.json")).expect("fixture");
    let mut model = StemGNN::new(StemGNNConfig::new(3, 4).n_series(3).multi_layer(1)).unwrap();
    let names = model.params().names().to_vec();
    let params = fixture["params"].as_object().unwrap();
    assert_eq!(names.len(), params.len(), "parameter lists differ");
    for (name, tensor) in names.iter().zip(model.params_mut().tensors_mut()) {
        let values: Vec<f32> = params[name]
            .as_array()
            .unwrap_or_else(|| panic!("NeuralForecast has no {name}"))
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        let shape: Vec<usize> = fixture["shapes"][name]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(tensor.shape(), &shape[..], "{name}");
        *tensor = Tensor::from_vec(&shape, values);
    }
    let floats = |v: &Value| -> Vec<f32> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect()
    };
    let x = Tensor::from_vec(&[2, 4, 3], floats(&fixture["x"]));
    let y = run(&model, &Tape::no_grad(), x);
    assert_eq!(y.shape(), [2, 3, 3, 1]);
    let want = floats(&fixture["y"]); // [B, h, N]
    for (i, (a, b)) in y.data().iter().zip(&want).enumerate() {
        assert!(
            (a - b).abs() < 1e-4 * (1.0 + b.abs()),
            "output {i}: {a} vs {b}"
        );
    }
}

#[test]
fn output_shapes_defaults_and_config_checks() {
    let tape = Tape::no_grad();
    let cfg = StemGNNConfig::new(5, 7).n_series(3).multi_layer(1);
    let model = StemGNN::new(cfg.clone()).unwrap();
    assert_eq!(
        run(&model, &tape, random_input(4, 7, 3)).shape(),
        [4, 5, 3, 1]
    );
    let mq = StemGNN::new(cfg.loss(Loss::mq_default())).unwrap();
    assert_eq!(run(&mq, &tape, random_input(2, 7, 3)).shape(), [2, 5, 3, 5]);
    let one = StemGNN::new(StemGNNConfig::new(2, 6).multi_layer(1)).unwrap();
    assert!(run(&one, &tape, random_input(3, 6, 1)).all_finite());

    let d = StemGNNConfig::new(12, 24);
    assert_eq!(
        (d.n_stacks, d.multi_layer, d.dropout_rate, d.leaky_rate),
        (2, 5, 0.5, 0.2)
    );
    let b = &d.base;
    assert_eq!(
        (
            b.max_steps,
            b.learning_rate,
            b.num_lr_decays,
            b.windows_batch_size
        ),
        (1000, 1e-3, 3, 32)
    );
    assert_eq!(b.inference_windows_batch_size, Some(32));
    assert_eq!(b.scaler_type.to_string(), "robust");
    assert_eq!(b.loss, Loss::MAE);
    for bad in [
        d.clone().n_series(0),
        d.clone().n_stacks(3),
        d.clone().multi_layer(0),
        d.clone().dropout_rate(1.0),
        d.clone().leaky_rate(f32::NAN),
    ] {
        assert!(StemGNN::new(bad).is_err());
    }
}

#[test]
fn the_graph_is_shared_by_the_windows_of_a_batch() {
    // NeuralForecast averages the attention over the batch: a window's forecast depends on the
    // other windows it is predicted with (the conformance harness lists StemGNN as batch-coupled).
    let model = StemGNN::new(StemGNNConfig::new(3, 6).n_series(2).multi_layer(1)).unwrap();
    let tape = Tape::no_grad();
    let x = random_input(3, 6, 2);
    let all = run(&model, &tape, x.clone());
    let first = run(
        &model,
        &tape,
        Tensor::from_vec(&[1, 6, 2], x.data()[..12].to_vec()),
    );
    assert_eq!(all.data(), run(&model, &tape, x).data());
    assert_ne!(&all.data()[..first.numel()], first.data());
}

#[test]
fn training_gradients_match_finite_differences() {
    // Training mode without dropout: through the head, both blocks (FFT, GLUs, inverse FFT,
    // graph convolution, backcast), the Chebyshev stack, the Laplacian, attention and GRU.
    let model = StemGNN::new(
        StemGNNConfig::new(2, 4)
            .n_series(3)
            .multi_layer(1)
            .dropout_rate(0.0),
    )
    .unwrap();
    let x = random_input(2, 4, 3);
    neurodiv_autodiff::gradcheck::GradCheck::default()
        .check(&[x], |tape, v| {
            let wb = WindowBatch {
                insample_y: v[0],
                insample_mask: tape.constant(Tensor::ones(&[2, 4, 3])),
                futr_exog: None,
                hist_exog: None,
                stat_exog: None,
            };
            let mut ctx = Ctx::new(tape, model.params(), Rng::new(0));
            model.forward(&mut ctx, &wb).y
        })
        .unwrap();
}

#[test]
fn training_reduces_the_loss() {
    let frame = neurodiv_data::PanelFrame::from_csv_path(
        "../../data/air_passengers_panel.csv",
        &Default::default(),
    )
    .unwrap();
    let cfg = StemGNNConfig::new(12, 24)
        .n_series(2)
        .multi_layer(1)
        .max_steps(60);
    let mut model = StemGNN::new(cfg).unwrap();
    let set = SeriesSet::from_frame(&frame, model.base(), None).unwrap();
    let report = neurodiv_core::train::fit(&mut model, &set, 0, &mut |_| {}).unwrap();
    let l = &report.train_losses;
    let (first, last) = (
        l[..5].iter().sum::<f32>() / 5.0,
        l[l.len() - 5..].iter().sum::<f32>() / 5.0,
    );
    assert!(last < first * 0.8, "loss did not fall: {first} -> {last}");
}
