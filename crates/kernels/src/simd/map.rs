//! Element-wise drivers: walk slices a vector at a time and finish the odd tail with a masked
//! (partial) load and store, so every element goes through the same vector code.

use pulp::{Simd, WithSimd};

use super::{Kernel, isa};

/// A lane-wise function of one vector.
pub(crate) trait Lanes1: Copy {
    fn vec<S: Simd>(self, s: S, x: S::f32s) -> S::f32s;
}

/// A lane-wise function of two vectors.
pub(crate) trait Lanes2: Copy {
    fn vec<S: Simd>(self, s: S, a: S::f32s, b: S::f32s) -> S::f32s;
}

/// `out[i] = k(x[i])`
struct Map1<'a, K, F> {
    k: K,
    x: &'a [f32],
    out: &'a mut [f32],
    fallback: F,
}

impl<K: Lanes1, F> WithSimd for Map1<'_, K, F> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let (xv, xt) = S::as_simd_f32s(self.x);
        let (ov, ot) = S::as_mut_simd_f32s(self.out);
        for (o, x) in ov.iter_mut().zip(xv) {
            *o = self.k.vec(s, *x);
        }
        if !xt.is_empty() {
            s.partial_store_f32s(ot, self.k.vec(s, s.partial_load_f32s(xt)));
        }
    }
}

impl<K: Lanes1, F: FnOnce(&[f32], &mut [f32])> Kernel for Map1<'_, K, F> {
    fn scalar(self) {
        (self.fallback)(self.x, self.out)
    }
}

/// `out[i] = k(a[i], b[i])`
struct Map2<'a, K, F> {
    k: K,
    a: &'a [f32],
    b: &'a [f32],
    out: &'a mut [f32],
    fallback: F,
}

impl<K: Lanes2, F> WithSimd for Map2<'_, K, F> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let (av, at) = S::as_simd_f32s(self.a);
        let (bv, bt) = S::as_simd_f32s(self.b);
        let (ov, ot) = S::as_mut_simd_f32s(self.out);
        for ((o, a), b) in ov.iter_mut().zip(av).zip(bv) {
            *o = self.k.vec(s, *a, *b);
        }
        if !at.is_empty() {
            let v = self
                .k
                .vec(s, s.partial_load_f32s(at), s.partial_load_f32s(bt));
            s.partial_store_f32s(ot, v);
        }
    }
}

impl<K: Lanes2, F: FnOnce(&[f32], &[f32], &mut [f32])> Kernel for Map2<'_, K, F> {
    fn scalar(self) {
        (self.fallback)(self.a, self.b, self.out)
    }
}

/// `y[i] = k(y[i], x[i])`, in place.
struct Update2<'a, K, F> {
    k: K,
    x: &'a [f32],
    y: &'a mut [f32],
    fallback: F,
}

impl<K: Lanes2, F> WithSimd for Update2<'_, K, F> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let (xv, xt) = S::as_simd_f32s(self.x);
        let (yv, yt) = S::as_mut_simd_f32s(self.y);
        for (y, x) in yv.iter_mut().zip(xv) {
            *y = self.k.vec(s, *y, *x);
        }
        if !xt.is_empty() {
            let v = self
                .k
                .vec(s, s.partial_load_f32s(yt), s.partial_load_f32s(xt));
            s.partial_store_f32s(yt, v);
        }
    }
}

impl<K: Lanes2, F: FnOnce(&[f32], &mut [f32])> Kernel for Update2<'_, K, F> {
    fn scalar(self) {
        (self.fallback)(self.x, self.y)
    }
}

/// `x[i] = k(x[i])`, in place.
struct Update1<'a, K, F> {
    k: K,
    x: &'a mut [f32],
    fallback: F,
}

impl<K: Lanes1, F> WithSimd for Update1<'_, K, F> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let (xv, xt) = S::as_mut_simd_f32s(self.x);
        for x in xv.iter_mut() {
            *x = self.k.vec(s, *x);
        }
        if !xt.is_empty() {
            let v = self.k.vec(s, s.partial_load_f32s(xt));
            s.partial_store_f32s(xt, v);
        }
    }
}

impl<K: Lanes1, F: FnOnce(&mut [f32])> Kernel for Update1<'_, K, F> {
    fn scalar(self) {
        (self.fallback)(self.x)
    }
}

/// Runs `out[i] = k(x[i])` over the common length of `x` and `out` (like the twins' `zip`).
pub(crate) fn map1<K: Lanes1>(
    k: K,
    x: &[f32],
    out: &mut [f32],
    fallback: impl FnOnce(&[f32], &mut [f32]),
) {
    let n = x.len().min(out.len());
    isa().run(Map1 {
        k,
        x: &x[..n],
        out: &mut out[..n],
        fallback,
    })
}

/// Runs `out[i] = k(a[i], b[i])` over the common length.
pub(crate) fn map2<K: Lanes2>(
    k: K,
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
    fallback: impl FnOnce(&[f32], &[f32], &mut [f32]),
) {
    let n = a.len().min(b.len()).min(out.len());
    isa().run(Map2 {
        k,
        a: &a[..n],
        b: &b[..n],
        out: &mut out[..n],
        fallback,
    })
}

/// Runs `y[i] = k(y[i], x[i])` over the common length.
pub(crate) fn update2<K: Lanes2>(
    k: K,
    x: &[f32],
    y: &mut [f32],
    fallback: impl FnOnce(&[f32], &mut [f32]),
) {
    let n = x.len().min(y.len());
    isa().run(Update2 {
        k,
        x: &x[..n],
        y: &mut y[..n],
        fallback,
    })
}

/// Runs `x[i] = k(x[i])`.
pub(crate) fn update1<K: Lanes1>(k: K, x: &mut [f32], fallback: impl FnOnce(&mut [f32])) {
    isa().run(Update1 { k, x, fallback })
}
