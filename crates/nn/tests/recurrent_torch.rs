//! The recurrent layers against PyTorch: `torch.nn.RNN`, `LSTM` (with and without `proj_size`)
//! and `GRU` with two layers, their weights loaded by PyTorch's parameter names, give PyTorch's
//! outputs and gradients (`fixtures/torch_recurrent.json`, written by
//! `fixtures/torch_recurrent.py`).

use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_kernels::Rng;
use neurodiv_nn::{CellKind, Ctx, ParamStore, Recurrent};
use serde_json::Value;

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect()
}

#[test]
fn outputs_and_gradients_equal_pytorch_with_pytorch_weights() {
    let fixture: Value =
        serde_json::from_str(include_str!("fixtures/torch_recurrent.json")).expect("fixture");
    let x = Tensor::from_vec(&[2, 5, 3], floats(&fixture["x"]));
    for (key, kind, proj) in [
        ("rnn", CellKind::Rnn, None),
        ("lstm", CellKind::Lstm, None),
        ("lstm_proj", CellKind::Lstm, Some(2)),
        ("gru", CellKind::Gru, None),
    ] {
        let mut store = ParamStore::new();
        let mut rng = Rng::new(1);
        let layer = Recurrent::new(&mut store, "m", kind, 3, 4, 2, true, 0.0, proj, &mut rng);
        let params = fixture[key]["params"].as_object().expect("params");
        assert_eq!(params.len(), store.len(), "{key}: parameter count");
        for (i, name) in store.names().to_vec().iter().enumerate() {
            let torch_name = name.strip_prefix("m.").expect("prefix");
            let value = floats(&params[torch_name]);
            let shape = store.tensors()[i].shape().to_vec();
            store.tensors_mut()[i] = Tensor::from_vec(&shape, value);
        }
        let close = |got: &[f32], want: &[f32], what: &str| {
            assert_eq!(got.len(), want.len(), "{key} {what}: size");
            for (g, w) in got.iter().zip(want) {
                assert!(
                    (g - w).abs() < 1e-5,
                    "{key} {what}: {got:?}\nvs PyTorch {want:?}"
                );
            }
        };
        let tape = Tape::no_grad();
        let mut ctx = Ctx::new(&tape, &store, Rng::new(0));
        let (y, _) = layer.forward(&mut ctx, tape.constant(x.clone()), None);
        close(&y.value().to_vec(), &floats(&fixture[key]["y"]), "outputs");
        // Gradients of sum(y * g), on a training tape.
        let tape = Tape::new();
        let mut ctx = Ctx::new(&tape, &store, Rng::new(0));
        let xv = tape.param(x.clone());
        let (y, _) = layer.forward(&mut ctx, xv, None);
        let g = tape.constant(Tensor::from_vec(
            y.value().shape(),
            floats(&fixture[key]["g"]),
        ));
        let mut grads = tape.backward(y.mul(g).sum_all());
        close(
            &grads.take(xv).expect("x grad").to_vec(),
            &floats(&fixture[key]["x_grad"]),
            "dx",
        );
        let param_grads = ctx.param_grads(&mut grads);
        for (i, name) in store.names().iter().enumerate() {
            let torch_name = name.strip_prefix("m.").expect("prefix");
            close(
                &param_grads[i].to_vec(),
                &floats(&fixture[key]["grads"][torch_name]),
                torch_name,
            );
        }
    }
}
