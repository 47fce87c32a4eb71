//! Layer tests: shapes, gradients through the context, a tiny regression that learns.

use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, Ctx, Linear, Mlp, ParamStore};

#[test]
fn linear_shapes_and_names() {
    let mut store = ParamStore::new();
    let mut rng = Rng::new(1);
    let lin = Linear::new(&mut store, "proj", 4, 3, true, &mut rng);
    assert_eq!(store.names(), ["proj.weight", "proj.bias"]);
    assert_eq!(store.get(lin.weight).shape(), [3, 4]);
    let tape = Tape::no_grad();
    let ctx = Ctx::new(&tape, &store, Rng::new(0));
    let y = lin.forward(&ctx, tape.constant(Tensor::ones(&[2, 5, 4])));
    assert_eq!(y.shape(), [2, 5, 3]);
}

#[test]
fn mlp_learns_a_linear_map() {
    let mut store = ParamStore::new();
    let mut rng = Rng::new(2);
    let mlp = Mlp::new(
        &mut store,
        "mlp",
        &[2, 16, 1],
        Activation::Tanh,
        0.0,
        &mut rng,
    );
    let x = Tensor::randn(&[64, 2], &mut rng);
    let y = Tensor::from_vec(
        &[64, 1],
        x.data()
            .chunks(2)
            .map(|r| 0.5 * r[0] - 0.3 * r[1])
            .collect(),
    );
    let mut first = None;
    let mut last = 0.0;
    for _ in 0..300 {
        let tape = Tape::new();
        let mut ctx = Ctx::new(&tape, &store, Rng::new(0));
        let pred = mlp.forward(&mut ctx, tape.constant(x.clone()));
        let loss = pred.sub(tape.constant(y.clone())).pow(2.0).mean_all();
        last = loss.value().item();
        first.get_or_insert(last);
        let mut grads = tape.backward(loss);
        let g = ctx.param_grads(&mut grads);
        for (p, g) in store.tensors_mut().iter_mut().zip(&g) {
            p.axpy_assign(-0.1, g);
        }
    }
    assert!(last < first.unwrap() * 0.05, "loss {first:?} -> {last}");
}

#[test]
fn activation_names_parse() {
    for name in Activation::NAMES {
        assert!(name.parse::<Activation>().is_ok());
    }
    assert!("bogus".parse::<Activation>().unwrap_err().contains("ReLU"));
}

#[test]
fn layer_norm_embedding_dropout() {
    use neurodiv_nn::{Dropout, Embedding, LayerNorm};
    let mut store = ParamStore::new();
    let mut rng = Rng::new(3);
    let ln = LayerNorm::new(&mut store, "ln", 4);
    let emb = Embedding::new(&mut store, "emb", 5, 3, &mut rng);
    let tape = Tape::new();
    let mut ctx = Ctx::new(&tape, &store, Rng::new(9));
    let x = tape.constant(Tensor::from_vec(
        &[2, 4],
        vec![1., 2., 3., 4., -1., 0., 1., 2.],
    ));
    let y = ln.forward(&ctx, x).value();
    for row in y.data().chunks(4) {
        let mean: f32 = row.iter().sum::<f32>() / 4.0;
        assert!(mean.abs() < 1e-5);
    }
    let e = emb.forward(&ctx, &[0, 4, 4], &[3]);
    assert_eq!(e.shape(), [3, 3]);
    let d = Dropout { p: 0.5 }.forward(&mut ctx, tape.constant(Tensor::ones(&[1000])));
    let kept = d.value().data().iter().filter(|&&v| v != 0.0).count();
    assert!((400..600).contains(&kept), "{kept}");
    let no_grad = Tape::no_grad();
    let mut ctx = Ctx::new(&no_grad, &store, Rng::new(9));
    let d = Dropout { p: 0.5 }.forward(&mut ctx, no_grad.constant(Tensor::ones(&[10])));
    assert_eq!(d.value().data(), &[1.0; 10]);
}
