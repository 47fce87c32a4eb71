//! slice, split and unbind: hand cases, how their range gradients accumulate with other
//! gradients on the tape, gradient checks and property tests.

mod common;

use common::{gradcheck, grads_of, rand};
use neurodiv_autodiff::gradcheck::assert_gradients;
use neurodiv_autodiff::{Tape, Tensor, Var};
use proptest::prelude::*;

fn t(shape: &[usize], v: &[f32]) -> Tensor {
    Tensor::from_vec(shape, v.to_vec())
}

/// `1, 2, 3, ...` in `shape`.
fn iota(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec(shape, (1..=n).map(|i| i as f32).collect())
}

#[test]
fn split_hand_case() {
    let x = t(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let (y, g) = grads_of(std::slice::from_ref(&x), None, |_, v| {
        let p = v[0].split(1, &[1, 2]); // [2, 1] and [2, 2]
        assert_eq!(p[0].value().data(), &[1., 4.]);
        assert_eq!(p[1].value().shape(), &[2, 2]);
        assert_eq!(p[1].value().data(), &[2., 3., 5., 6.]);
        // 10 * first + 100 * sum(second), as a [2, 1] output.
        let second = p[1].sum(1, true);
        p[0].mul_scalar(10.0).add(second.mul_scalar(100.0))
    });
    assert_eq!(y.data(), &[510., 1140.]);
    assert_eq!(g[0].data(), &[10., 100., 100., 10., 100., 100.]);
    // Along axis 0, with an empty piece.
    let (_, g) = grads_of(&[x], None, |_, v| {
        let p = v[0].split(0, &[0, 1, 1]);
        assert_eq!(p[0].value().shape(), &[0, 3]);
        assert_eq!(p[2].value().data(), &[4., 5., 6.]);
        p[2].mul_scalar(3.0)
    });
    assert_eq!(g[0].data(), &[0., 0., 0., 3., 3., 3.]);
}

#[test]
fn unbind_hand_case() {
    let x = t(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let (y, g) = grads_of(std::slice::from_ref(&x), None, |_, v| {
        let cols = v[0].unbind(1); // 3 x [2]
        assert_eq!(cols.len(), 3);
        assert_eq!(cols[1].value().shape(), &[2]);
        assert_eq!(cols[1].value().data(), &[2., 5.]);
        // Steps read in reverse and weighted: 1 * col2 + 2 * col1 (col0 unused).
        cols[2].add(cols[1].mul_scalar(2.0))
    });
    assert_eq!(y.data(), &[7., 16.]);
    assert_eq!(g[0].data(), &[0., 2., 1., 0., 2., 1.]);
    let (y, g) = grads_of(&[x], None, |_, v| {
        let rows = v[0].unbind(0); // 2 x [3]
        assert_eq!(rows[0].value().data(), &[1., 2., 3.]);
        rows[1].sub(rows[0])
    });
    assert_eq!(y.data(), &[3., 3., 3.]);
    assert_eq!(g[0].data(), &[-1., -1., -1., 1., 1., 1.]);
}

#[test]
fn range_gradients_accumulate_with_whole_ones_in_any_order() {
    // x feeds slices recorded before and after a whole-tensor use, a slice of a slice, and a
    // piece used twice; every contribution is added.
    let x = iota(&[2, 4]);
    let (_, g) = grads_of(std::slice::from_ref(&x), None, |_, v| {
        let x = v[0];
        let early = x.slice(1, 0, 2).sum_all(); // +1 on columns 0, 1
        let whole = x.mul_scalar(0.5).sum_all(); // +0.5 everywhere
        let inner = x.slice(1, 1, 4).slice(1, 1, 3).mul_scalar(2.0).sum_all(); // +2 on 2, 3
        let rows = x.unbind(0);
        let twice = rows[1].add(rows[1]).sum_all(); // +2 on row 1
        early.add(whole).add(inner).add(twice)
    });
    assert_eq!(
        g[0].data(),
        &[1.5, 1.5, 2.5, 2.5, 3.5, 3.5, 4.5, 4.5],
        "{:?}",
        g[0]
    );
}

#[test]
fn range_gradient_into_a_shared_buffer_copies_it_first() {
    // c = a + b hands a and b the same gradient tensor; the later range gradient of a's slice
    // must not show up in b's gradient.
    let tape = Tape::new();
    let a = tape.param(Tensor::ones(&[2, 2]));
    let b = tape.param(Tensor::ones(&[2, 2]));
    let s = a.slice(0, 1, 2); // recorded first, so its backward runs after the add's
    let c = a.add(b);
    let loss = c.sum_all().add(s.mul_scalar(5.0).sum_all());
    let g = tape.backward(loss);
    assert_eq!(g.get(a).unwrap().data(), &[1., 1., 6., 6.]);
    assert_eq!(g.get(b).unwrap().data(), &[1., 1., 1., 1.]);
}

#[test]
fn whole_axis_piece_and_constants() {
    // A piece covering the whole axis; pieces of a constant record no backward.
    let x = rand(&[3, 2], 1);
    let (_, g) = grads_of(std::slice::from_ref(&x), None, |_, v| {
        v[0].split(1, &[2]).remove(0).mul_scalar(2.0)
    });
    assert_eq!(g[0].data(), Tensor::full(&[3, 2], 2.0).data());
    let tape = Tape::new();
    let c = tape.constant(x);
    assert!(c.unbind(0).iter().all(|p| !p.requires_grad()));
}

#[test]
fn slice_gradient_is_the_sum_of_its_steps() {
    // Taking every step of [B, T, C] apart and stacking them back gives the identity, and the
    // gradient is exactly the seed (each element written by one step, no arithmetic).
    let x = rand(&[2, 5, 3], 2);
    let seed = rand(&[2, 5, 3], 3);
    let (y, g) = grads_of(std::slice::from_ref(&x), Some(seed.clone()), |_, v| {
        let steps: Vec<Var<'_>> = (0..5).map(|s| v[0].slice(1, s, s + 1)).collect();
        Var::concat(&steps, 1)
    });
    assert_eq!(y.data(), x.data());
    assert_eq!(g[0].data(), seed.data());
    let (y, g) = grads_of(std::slice::from_ref(&x), Some(seed.clone()), |_, v| {
        Var::stack(&v[0].unbind(1), 1)
    });
    assert_eq!(y.data(), x.data());
    assert_eq!(g[0].data(), seed.data());
}

#[test]
#[should_panic(expected = "split: sizes [1, 1] do not add up to axis 1 of [2, 3]")]
fn split_rejects_sizes_that_do_not_add_up() {
    let tape = Tape::new();
    tape.param(Tensor::zeros(&[2, 3])).split(1, &[1, 1]);
}

#[test]
#[should_panic(expected = "unbind: axis 2 out of range for shape [2, 3]")]
fn unbind_rejects_a_bad_axis() {
    let tape = Tape::new();
    tape.param(Tensor::zeros(&[2, 3])).unbind(2);
}

#[test]
#[should_panic(expected = "slice: 2..4 on axis 1 of [2, 3]")]
fn slice_rejects_a_bad_range() {
    let tape = Tape::new();
    tape.param(Tensor::zeros(&[2, 3])).slice(1, 2, 4);
}

/// The pieces, each through its own smooth map, joined back along `axis` in reverse order.
fn rejoin<'t>(pieces: Vec<Var<'t>>, axis: usize) -> Var<'t> {
    let mapped: Vec<Var<'t>> = pieces
        .into_iter()
        .enumerate()
        .map(|(k, p)| p.mul_scalar(k as f32 + 1.0).tanh())
        .rev()
        .collect();
    Var::concat(&mapped, axis)
}

#[test]
fn gradcheck_fixed_shapes() {
    let x = rand(&[2, 3, 4], 4);
    for axis in 0..3 {
        let len = x.shape()[axis];
        assert_gradients(std::slice::from_ref(&x), |_, v| {
            rejoin(v[0].split(axis, &[1, len - 1]), axis)
        });
        assert_gradients(std::slice::from_ref(&x), |_, v| {
            let steps: Vec<Var<'_>> = v[0]
                .unbind(axis)
                .into_iter()
                .map(|p| p.unsqueeze(axis))
                .collect();
            rejoin(steps, axis)
        });
        assert_gradients(std::slice::from_ref(&x), |_, v| {
            v[0].slice(axis, 1, len).mul(v[0].slice(axis, 0, len - 1))
        });
    }
}

/// Sizes that add up to `len`: the gaps between sorted cut points in `0..=len`.
fn sizes_from_cuts(len: usize, cuts: &[usize]) -> Vec<usize> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (len + 1)).collect();
    at.push(0);
    at.push(len);
    at.sort_unstable();
    at.windows(2).map(|w| w[1] - w[0]).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10))]
    #[test]
    fn prop_split_unbind(
        a in 1usize..4,
        b in 1usize..4,
        c in 1usize..3,
        axis in 0usize..3,
        cuts in proptest::collection::vec(0usize..8, 0..3),
        seed in 0u64..1000,
    ) {
        let x = rand(&[a, b, c], seed);
        let sizes = sizes_from_cuts(x.shape()[axis], &cuts);
        let res = gradcheck(std::slice::from_ref(&x), |_, v| rejoin(v[0].split(axis, &sizes), axis));
        prop_assert!(res.is_ok(), "split {sizes:?} on axis {axis}: {res:?}");
        let res = gradcheck(&[x], |_, v| {
            // Each step used twice: once alone, once in a running sum.
            let steps = v[0].unbind(axis);
            let mut run = steps[0];
            let mut outs = vec![];
            for &s in &steps {
                run = run.mul(s).tanh();
                outs.push(s.add(run));
            }
            Var::stack(&outs, axis)
        });
        prop_assert!(res.is_ok(), "unbind on axis {axis}: {res:?}");
    }
}
