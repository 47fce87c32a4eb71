//! Vectorised pieces of the row kernels, generic over [`pulp::Simd`]; each works on one row.
//!
//! Sums use four vector accumulators in a fixed order (chunks of four vectors, the leftover
//! vectors into accumulators 0.., the zero-padded tail into accumulator 3, then
//! `(a0 + a1) + (a2 + a3)` and pulp's fixed lane reduction), so a row's result depends only
//! on its values and the SIMD level, never on threads.

use pulp::Simd;

use super::math;
use super::ops::select;

/// Mask of the first `len` lanes (for a tail shorter than one vector).
#[inline(always)]
pub(crate) fn tail_mask<S: Simd>(s: S, len: usize) -> S::m32s {
    s.mask_between_m32s(0, len as u32).mask()
}

/// Folds `step(acc, a, b)` over paired vectors of `a` and `b` with four accumulators, then the
/// tail with `tail(acc, a_tail, b_tail, mask)`; returns the horizontal sum.
#[inline(always)]
fn sum4<S: Simd>(
    s: S,
    a: &[f32],
    b: &[f32],
    step: impl Fn(S::f32s, S::f32s, S::f32s) -> S::f32s,
    tail: impl Fn(S::f32s, S::f32s, S::f32s, S::m32s) -> S::f32s,
) -> f32 {
    let (av, at) = S::as_simd_f32s(a);
    let (bv, bt) = S::as_simd_f32s(b);
    let zero = s.splat_f32s(0.0);
    let mut acc = [zero; 4];
    let (aq, ar) = av.as_chunks::<4>();
    let (bq, br) = bv.as_chunks::<4>();
    for (qa, qb) in aq.iter().zip(bq) {
        for i in 0..4 {
            acc[i] = step(acc[i], qa[i], qb[i]);
        }
    }
    for (i, (va, vb)) in ar.iter().zip(br).enumerate() {
        acc[i] = step(acc[i], *va, *vb);
    }
    if !at.is_empty() {
        let mask = tail_mask(s, at.len());
        acc[3] = tail(
            acc[3],
            s.partial_load_f32s(at),
            s.partial_load_f32s(bt),
            mask,
        );
    }
    let v = s.add_f32s(s.add_f32s(acc[0], acc[1]), s.add_f32s(acc[2], acc[3]));
    s.reduce_sum_f32s(v)
}

/// `sum(x)`
#[inline(always)]
pub(crate) fn sum<S: Simd>(s: S, x: &[f32]) -> f32 {
    // Padded tail lanes load as zero, so the tail is just added.
    sum4(
        s,
        x,
        x,
        #[inline(always)]
        |acc, v, _| s.add_f32s(acc, v),
        #[inline(always)]
        |acc, v, _, _| s.add_f32s(acc, v),
    )
}

/// `sum(a * b)`, with fused multiply-adds.
#[inline(always)]
pub(crate) fn dot<S: Simd>(s: S, a: &[f32], b: &[f32]) -> f32 {
    sum4(
        s,
        a,
        b,
        #[inline(always)]
        |acc, x, y| s.mul_add_f32s(x, y, acc),
        #[inline(always)]
        |acc, x, y, _| s.mul_add_f32s(x, y, acc),
    )
}

/// `sum((x - mu)^2)`
#[inline(always)]
pub(crate) fn sum_sq_dev<S: Simd>(s: S, x: &[f32], mu: f32) -> f32 {
    let m = s.splat_f32s(mu);
    sum4(
        s,
        x,
        x,
        #[inline(always)]
        |acc, v, _| {
            let d = s.sub_f32s(v, m);
            s.mul_add_f32s(d, d, acc)
        },
        #[inline(always)]
        |acc, v, _, mask| {
            let d = select(s, mask, s.sub_f32s(v, m), s.splat_f32s(0.0));
            s.mul_add_f32s(d, d, acc)
        },
    )
}

/// `sum(exp(x - m))`; when `out` is given, also writes `exp(x - m)` into it.
#[inline(always)]
pub(crate) fn sum_exp_shifted<S: Simd>(s: S, x: &[f32], m: f32, out: Option<&mut [f32]>) -> f32 {
    let mv = s.splat_f32s(m);
    let (xv, xt) = S::as_simd_f32s(x);
    let mut acc = [s.splat_f32s(0.0); 2];
    let tail_e = if xt.is_empty() {
        None
    } else {
        let e = math::exp(s, s.sub_f32s(s.partial_load_f32s(xt), mv));
        Some(select(s, tail_mask(s, xt.len()), e, s.splat_f32s(0.0)))
    };
    match out {
        Some(out) => {
            let (ov, ot) = S::as_mut_simd_f32s(out);
            for (i, (o, v)) in ov.iter_mut().zip(xv).enumerate() {
                let e = math::exp(s, s.sub_f32s(*v, mv));
                *o = e;
                acc[i & 1] = s.add_f32s(acc[i & 1], e);
            }
            if let Some(e) = tail_e {
                s.partial_store_f32s(ot, e);
            }
        }
        None => {
            for (i, v) in xv.iter().enumerate() {
                let e = math::exp(s, s.sub_f32s(*v, mv));
                acc[i & 1] = s.add_f32s(acc[i & 1], e);
            }
        }
    }
    if let Some(e) = tail_e {
        acc[1] = s.add_f32s(acc[1], e);
    }
    s.reduce_sum_f32s(s.add_f32s(acc[0], acc[1]))
}

/// `max(x)`, ignoring NaN like `f32::max`; `-inf` for an empty or all-NaN row.
#[inline(always)]
pub(crate) fn max<S: Simd>(s: S, x: &[f32]) -> f32 {
    let (xv, xt) = S::as_simd_f32s(x);
    let mut acc = [s.splat_f32s(f32::NEG_INFINITY); 4];
    let (q, r) = xv.as_chunks::<4>();
    for qv in q {
        for i in 0..4 {
            acc[i] = max_step(s, acc[i], qv[i]);
        }
    }
    for (i, v) in r.iter().enumerate() {
        acc[i] = max_step(s, acc[i], *v);
    }
    let m = s.reduce_max_f32s(max_step(
        s,
        max_step(s, acc[0], acc[1]),
        max_step(s, acc[2], acc[3]),
    ));
    xt.iter().fold(m, |a, &v| if v > a { v } else { a })
}

/// `v > acc ? v : acc`, which keeps `acc` when `v` is NaN on every ISA.
#[inline(always)]
fn max_step<S: Simd>(s: S, acc: S::f32s, v: S::f32s) -> S::f32s {
    select(s, s.greater_than_f32s(v, acc), v, acc)
}

/// `x *= alpha`
#[inline(always)]
pub(crate) fn scale<S: Simd>(s: S, x: &mut [f32], alpha: f32) {
    let a = s.splat_f32s(alpha);
    let (xv, xt) = S::as_mut_simd_f32s(x);
    for v in xv.iter_mut() {
        *v = s.mul_f32s(*v, a);
    }
    if !xt.is_empty() {
        let v = s.mul_f32s(s.partial_load_f32s(xt), a);
        s.partial_store_f32s(xt, v);
    }
}

/// `out[i] = f(a[i], b[i])` over one row, tail included.
#[inline(always)]
pub(crate) fn zip_map<S: Simd>(
    s: S,
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
    f: impl Fn(S::f32s, S::f32s) -> S::f32s,
) {
    let (av, at) = S::as_simd_f32s(a);
    let (bv, bt) = S::as_simd_f32s(b);
    let (ov, ot) = S::as_mut_simd_f32s(out);
    for ((o, va), vb) in ov.iter_mut().zip(av).zip(bv) {
        *o = f(*va, *vb);
    }
    if !at.is_empty() {
        let v = f(s.partial_load_f32s(at), s.partial_load_f32s(bt));
        s.partial_store_f32s(ot, v);
    }
}
