//! Gradient checks and hand-computed cases for the core ops.

use neurodiv_autodiff::gradcheck::assert_gradients;
use neurodiv_autodiff::{Tape, Tensor, Var};
use neurodiv_kernels::Rng;
use proptest::prelude::*;

fn rand(shape: &[usize], seed: u64) -> Tensor {
    Tensor::uniform(shape, -1.0, 1.0, &mut Rng::new(seed))
}

fn positive(shape: &[usize], seed: u64) -> Tensor {
    Tensor::uniform(shape, 0.5, 2.0, &mut Rng::new(seed))
}

#[test]
fn hand_computed_matmul_and_grads() {
    let tape = Tape::new();
    let a = tape.param(Tensor::from_vec(&[2, 2], vec![1., 2., 3., 4.]));
    let b = tape.param(Tensor::from_vec(&[2, 1], vec![5., 6.]));
    let c = a.matmul(b);
    assert_eq!(c.value().data(), &[17., 39.]);
    let g = tape.backward(c.sum_all());
    assert_eq!(g.get(a).unwrap().data(), &[5., 6., 5., 6.]);
    assert_eq!(g.get(b).unwrap().data(), &[4., 6.]);
}

#[test]
fn value_used_twice_accumulates() {
    let tape = Tape::new();
    let x = tape.param(Tensor::from_vec(&[1], vec![3.0]));
    let y = x.mul(x).add(x); // x² + x -> 2x + 1 = 7
    let g = tape.backward(y.sum_all());
    assert_eq!(g.get(x).unwrap().data(), &[7.0]);
}

#[test]
fn no_grad_tape_records_no_backward() {
    let tape = Tape::no_grad();
    let x = tape.param(Tensor::ones(&[3]));
    let y = x.exp().sum_all();
    assert!(!y.requires_grad());
    assert!((y.value().item() - 3.0 * 1f32.exp()).abs() < 1e-5);
}

#[test]
fn constants_get_no_gradient() {
    let tape = Tape::new();
    let w = tape.param(Tensor::ones(&[2]));
    let x = tape.constant(Tensor::ones(&[2]));
    let g = tape.backward(w.mul(x).sum_all());
    assert!(g.get(x).is_none());
    assert!(g.get(w).is_some());
}

#[test]
fn broadcasting_hand_case() {
    let tape = Tape::new();
    let a = tape.param(Tensor::from_vec(&[2, 3], vec![1., 2., 3., 4., 5., 6.]));
    let b = tape.param(Tensor::from_vec(&[3], vec![10., 20., 30.]));
    let c = a.add(b);
    assert_eq!(c.value().data(), &[11., 22., 33., 14., 25., 36.]);
    let g = tape.backward(c.sum_all());
    assert_eq!(g.get(b).unwrap().data(), &[2., 2., 2.]);
}

#[test]
fn gradcheck_arith_broadcast() {
    let x = rand(&[3, 4], 1);
    let y = positive(&[4], 2);
    let z = positive(&[3, 1], 3);
    assert_gradients(&[x.clone(), y.clone()], |_, v| v[0].add(v[1]));
    assert_gradients(&[x.clone(), y.clone()], |_, v| v[0].sub(v[1]));
    assert_gradients(&[x.clone(), z.clone()], |_, v| v[0].mul(v[1]));
    assert_gradients(&[x.clone(), y.clone()], |_, v| v[0].div(v[1]));
    assert_gradients(&[z.clone(), x.clone()], |_, v| {
        v[0].div(v[1].add_scalar(3.0))
    });
    assert_gradients(&[x], |_, v| v[0].mul_scalar(-2.5).add_scalar(1.0).neg());
}

#[test]
fn gradcheck_unary() {
    // Values kept at least 0.02 away from the kinks of relu, elu, abs and clamp(-0.5, 0.5).
    let x = Tensor::from_vec(&[5, 3], (0..15).map(|i| i as f32 * 0.131 - 0.97).collect());
    let p = positive(&[5, 3], 5);
    type Op = for<'t> fn(Var<'t>) -> Var<'t>;
    let ops: [Op; 11] = [
        |v| v.exp(),
        |v| v.elu(),
        |v| v.tanh(),
        |v| v.sigmoid(),
        |v| v.softplus(),
        |v| v.silu(),
        |v| v.gelu(),
        |v| v.relu(),
        |v| v.leaky_relu(0.1),
        |v| v.abs(),
        |v| v.clamp(-0.5, 0.5),
    ];
    for f in ops {
        assert_gradients(std::slice::from_ref(&x), |_, v| f(v[0]));
    }
    assert_gradients(std::slice::from_ref(&p), |_, v| v[0].log());
    assert_gradients(std::slice::from_ref(&p), |_, v| v[0].sqrt());
    assert_gradients(std::slice::from_ref(&p), |_, v| v[0].pow(1.7));
}

#[test]
fn elu_hand_case() {
    let tape = Tape::new();
    let y = tape
        .constant(Tensor::from_vec(&[3], vec![-1.0, 0.0, 2.0]))
        .elu();
    let want = [(-1f32).exp_m1(), 0.0, 2.0];
    assert!(
        y.value()
            .data()
            .iter()
            .zip(want)
            .all(|(a, b)| (a - b).abs() < 1e-7)
    );
}

#[test]
fn gradcheck_matmul_all_transposes() {
    for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
        let a = rand(if ta { &[4, 3] } else { &[3, 4] }, 6);
        let b = rand(if tb { &[5, 4] } else { &[4, 5] }, 7);
        assert_gradients(&[a, b], |_, v| v[0].matmul_t(v[1], ta, tb));
        let a = rand(if ta { &[2, 4, 3] } else { &[2, 3, 4] }, 8);
        let b = rand(if tb { &[2, 5, 4] } else { &[2, 4, 5] }, 9);
        assert_gradients(&[a, b], |_, v| v[0].matmul_t(v[1], ta, tb));
    }
    // N-D x 2-D folds the leading axes into rows.
    assert_gradients(&[rand(&[2, 3, 4], 10), rand(&[5, 4], 11)], |_, v| {
        v[0].matmul_t(v[1], false, true)
    });
}

#[test]
fn gradcheck_linear() {
    let x = rand(&[2, 3, 4], 12);
    let w = rand(&[5, 4], 13);
    let b = rand(&[5], 14);
    assert_gradients(&[x.clone(), w.clone(), b], |_, v| {
        v[0].linear(v[1], Some(v[2]))
    });
    assert_gradients(&[x, w], |_, v| v[0].linear(v[1], None));
}

#[test]
fn gradcheck_reductions() {
    let x = rand(&[3, 4, 2], 15);
    assert_gradients(std::slice::from_ref(&x), |_, v| v[0].sum_all());
    assert_gradients(std::slice::from_ref(&x), |_, v| v[0].mean_all());
    for axis in 0..3 {
        for keep in [false, true] {
            assert_gradients(std::slice::from_ref(&x), |_, v| v[0].sum(axis, keep));
            assert_gradients(std::slice::from_ref(&x), |_, v| v[0].mean(axis, keep));
            assert_gradients(std::slice::from_ref(&x), |_, v| v[0].max(axis, keep));
        }
    }
}

#[test]
fn gradcheck_shape_ops() {
    let x = rand(&[2, 3, 4], 16);
    assert_gradients(std::slice::from_ref(&x), |_, v| v[0].reshape(&[6, 4]));
    assert_gradients(std::slice::from_ref(&x), |_, v| v[0].permute(&[2, 0, 1]));
    assert_gradients(std::slice::from_ref(&x), |_, v| v[0].transpose(1, 2));
    assert_gradients(std::slice::from_ref(&x), |_, v| v[0].slice(2, 1, 3));
    let y = rand(&[2, 2, 4], 17);
    assert_gradients(&[x, y], |_, v| Var::concat(&[v[0], v[1]], 1));
}

#[test]
fn hand_computed_reductions() {
    let tape = Tape::new();
    let x = tape.param(Tensor::from_vec(&[2, 3], vec![1., 5., 3., 4., 2., 6.]));
    assert_eq!(x.max(1, false).value().data(), &[5., 6.]);
    assert_eq!(x.sum(0, false).value().data(), &[5., 7., 9.]);
    assert_eq!(x.mean(1, true).value().shape(), &[2, 1]);
    assert_eq!(x.mean(1, true).value().data(), &[3., 4.]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn prop_matmul_gradcheck(m in 1usize..5, k in 1usize..5, n in 1usize..5, seed in 0u64..1000) {
        let a = rand(&[m, k], seed);
        let b = rand(&[k, n], seed + 1);
        prop_assert!(neurodiv_autodiff::gradcheck::GradCheck::default().check(&[a, b], |_, v| v[0].matmul(v[1])).is_ok());
    }

    #[test]
    fn prop_broadcast_mul_gradcheck(r in 1usize..4, c in 1usize..5, seed in 0u64..1000) {
        let a = rand(&[r, c], seed);
        let b = rand(&[c], seed + 7);
        prop_assert!(neurodiv_autodiff::gradcheck::GradCheck::default().check(&[a, b], |_, v| v[0].mul(v[1]).tanh()).is_ok());
    }

    #[test]
    fn prop_linear_gradcheck(rows in 1usize..4, i in 1usize..5, o in 1usize..5, seed in 0u64..1000) {
        let x = rand(&[rows, i], seed);
        let w = rand(&[o, i], seed + 1);
        let b = rand(&[o], seed + 2);
        prop_assert!(neurodiv_autodiff::gradcheck::GradCheck::default().check(&[x, w, b], |_, v| v[0].linear(v[1], Some(v[2])).tanh()).is_ok());
    }
}
