//! Buffers (non-trainable state), batch normalisation and RevIN.

use neurodiv_autodiff::gradcheck::GradCheck;
use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_kernels::Rng;
use neurodiv_nn::{BatchNorm1d, Ctx, ParamStore, RevIN};

fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

#[test]
fn store_buffers_are_flagged_counted_apart_and_loaded() {
    let mut store = ParamStore::new();
    let w = store.add("w", Tensor::ones(&[3]));
    let r = store.add_buffer("r", Tensor::zeros(&[3]));
    assert!(!store.is_buffer(w));
    assert!(store.is_buffer(r));
    assert_eq!(store.num_params(), 3);
    assert_eq!(store.num_buffer_values(), 3);
    assert_eq!(store.trainable_ids(), [w]);
    store.set_buffer(r, Tensor::full(&[3], 2.0));
    assert_eq!(store.get(r).data(), &[2.0; 3]);
    // Loading values from a store without flags (as decoded from a checkpoint) keeps ours.
    let mut other = ParamStore::new();
    other.add("w", Tensor::full(&[3], 5.0));
    other.add("r", Tensor::full(&[3], 7.0));
    store.load_from(&other).unwrap();
    assert!(store.is_buffer(r) && !store.is_buffer(w));
    assert_eq!(store.get(r).data(), &[7.0; 3]);
    assert_eq!(store, other, "equality compares names and values");
}

#[test]
#[should_panic(expected = "not a buffer")]
fn setting_a_parameter_as_buffer_panics() {
    let mut store = ParamStore::new();
    let w = store.add("w", Tensor::ones(&[2]));
    store.set_buffer(w, Tensor::zeros(&[2]));
}

#[test]
fn ctx_puts_buffers_on_the_tape_as_constants_and_collects_updates() {
    let mut store = ParamStore::new();
    let w = store.add("w", Tensor::full(&[2], 3.0));
    let r = store.add_buffer("r", Tensor::full(&[2], 4.0));
    let tape = Tape::new();
    let mut ctx = Ctx::new(&tape, &store, Rng::new(0));
    assert!(ctx.p(w).requires_grad());
    assert!(!ctx.p(r).requires_grad());
    let loss = ctx.p(w).mul(ctx.p(r)).sum_all();
    let mut grads = tape.backward(loss);
    let g = ctx.param_grads(&mut grads);
    assert_eq!(g.len(), 1, "buffers get no gradient");
    assert_eq!(g[0].data(), &[4.0, 4.0]);
    ctx.set_buffer(r, Tensor::full(&[2], 1.0));
    ctx.set_buffer(r, Tensor::full(&[2], 2.0));
    let updates = ctx.take_buffer_updates();
    assert_eq!(updates.len(), 1, "the last proposal wins");
    assert_eq!(updates[0].1.data(), &[2.0, 2.0]);
    assert!(ctx.take_buffer_updates().is_empty());
    assert_eq!(store.get(r).data(), &[4.0, 4.0], "the store is untouched");
}

fn batch(rows: usize, features: usize, seed: u64) -> Tensor {
    let mut rng = Rng::new(seed);
    let t = Tensor::randn(&[rows, features], &mut rng);
    // Give each feature its own level and spread.
    let data = t
        .data()
        .iter()
        .enumerate()
        .map(|(i, &v)| v * (1.0 + (i % features) as f32) + 3.0 * (i % features) as f32)
        .collect();
    Tensor::from_vec(&[rows, features], data)
}

#[test]
fn batch_norm_trains_on_batch_statistics_and_updates_running_ones() {
    let (rows, f) = (8, 3);
    let mut store = ParamStore::new();
    let bn = BatchNorm1d::new(&mut store, "bn", f, 1e-3, 0.01);
    assert_eq!(
        store.names(),
        ["bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"]
    );
    assert_eq!(store.num_params(), 2 * f);
    let x = batch(rows, f, 1);
    let tape = Tape::new();
    let mut ctx = Ctx::new(&tape, &store, Rng::new(0));
    let y = bn.forward(&mut ctx, tape.constant(x.clone())).value();
    let updates = ctx.take_buffer_updates();
    assert_eq!(updates.len(), 2);
    for j in 0..f {
        let col: Vec<f32> = (0..rows).map(|i| x.data()[i * f + j]).collect();
        let mean = col.iter().sum::<f32>() / rows as f32;
        let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / rows as f32;
        let out: Vec<f32> = (0..rows).map(|i| y.data()[i * f + j]).collect();
        for (o, c) in out.iter().zip(&col) {
            assert!(close(*o, (c - mean) / (var + 1e-3).sqrt(), 1e-4));
        }
        // Running mean 0.99 * 0 + 0.01 * mean; running var 0.99 * 1 + 0.01 * unbiased var.
        assert!(close(updates[0].1.data()[j], 0.01 * mean, 1e-5));
        let unbiased = var * rows as f32 / (rows - 1) as f32;
        assert!(close(updates[1].1.data()[j], 0.99 + 0.01 * unbiased, 1e-5));
    }
}

#[test]
fn batch_norm_evaluates_with_running_statistics() {
    let f = 2;
    let mut store = ParamStore::new();
    let bn = BatchNorm1d::new(&mut store, "bn", f, 1e-3, 0.01);
    store.set_buffer(bn.running_mean, Tensor::from_vec(&[2], vec![1.0, -2.0]));
    store.set_buffer(bn.running_var, Tensor::from_vec(&[2], vec![4.0, 0.25]));
    store.tensors_mut()[bn.weight.0] = Tensor::from_vec(&[2], vec![2.0, 1.0]);
    store.tensors_mut()[bn.bias.0] = Tensor::from_vec(&[2], vec![0.5, 0.0]);
    let tape = Tape::no_grad();
    let mut ctx = Ctx::new(&tape, &store, Rng::new(0));
    let x = Tensor::from_vec(&[1, 2], vec![3.0, -1.0]);
    let y = bn.forward(&mut ctx, tape.constant(x)).value();
    assert!(close(
        y.data()[0],
        (3.0 - 1.0) / (4.001f32).sqrt() * 2.0 + 0.5,
        1e-5
    ));
    assert!(close(y.data()[1], (-1.0 + 2.0) / (0.251f32).sqrt(), 1e-5));
    assert!(
        ctx.take_buffer_updates().is_empty(),
        "inference leaves the running statistics alone"
    );
}

#[test]
fn batch_norm_training_gradient() {
    let x = batch(5, 3, 2);
    GradCheck::default()
        .check(&[x], |tape, v| {
            let mut store = ParamStore::new();
            let bn = BatchNorm1d::new(&mut store, "bn", 3, 1e-3, 0.01);
            let mut ctx = Ctx::new(tape, &store, Rng::new(0));
            bn.forward(&mut ctx, v[0])
        })
        .unwrap();
}

#[test]
fn revin_normalises_detached_and_inverts() {
    let (rows, t, n) = (3, 6, 2);
    let mut store = ParamStore::new();
    let revin = RevIN::new(&mut store, "norm", n);
    assert_eq!(store.names(), ["norm.affine_weight", "norm.affine_bias"]);
    // Non-trivial affine parameters.
    store.tensors_mut()[revin.weight.0] = Tensor::from_vec(&[2], vec![2.0, 0.5]);
    store.tensors_mut()[revin.bias.0] = Tensor::from_vec(&[2], vec![0.1, -0.3]);
    let mut rng = Rng::new(4);
    let x = Tensor::randn(&[rows, t, n], &mut rng).map(|v| 10.0 + 5.0 * v);
    let tape = Tape::new();
    let ctx = Ctx::new(&tape, &store, Rng::new(0));
    let xv = tape.param(x.clone());
    let (z, stats) = revin.norm(&ctx, xv);
    assert_eq!(stats.mean.shape(), [rows, 1, n]);
    let zv = z.value();
    for b in 0..rows {
        for s in 0..n {
            let (w, bias) = ([2.0f32, 0.5][s], [0.1f32, -0.3][s]);
            let col: Vec<f32> = (0..t)
                .map(|k| (zv.data()[(b * t + k) * n + s] - bias) / w)
                .collect();
            let mean = col.iter().sum::<f32>() / t as f32;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / t as f32;
            assert!(mean.abs() < 1e-4, "{mean}");
            assert!(close(var, 1.0, 1e-3), "{var}");
        }
    }
    let back = revin.denorm(&ctx, z, &stats).value();
    for (a, b) in back.data().iter().zip(x.data()) {
        assert!(close(*a, *b, 1e-5), "{a} vs {b}");
    }
    // Detached statistics: d sum(norm(x)) / dx = weight / std, elementwise. (Through the mean
    // the gradient would vanish.)
    let mut grads = tape.backward(z.sum_all());
    let g = grads.take(xv).unwrap();
    for (i, gi) in g.data().iter().enumerate() {
        let (b, s) = (i / (t * n), i % n);
        let want = [2.0f32, 0.5][s] / stats.std.data()[b * n + s];
        assert!(close(*gi, want, 1e-5), "{gi} vs {want}");
    }
}
