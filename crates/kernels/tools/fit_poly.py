#!/usr/bin/env python3
"""Fit the polynomial coefficients used by the vectorised kernels in `src/simd/math.rs`.

Lawson's iteratively reweighted least squares converges to the weighted minimax polynomial.
Everything runs in 50-digit arithmetic (mpmath); the printed coefficients are rounded to f32 and
the maximum relative error of the rounded polynomial is re-measured on a dense grid.

Run: python3 tools/fit_poly.py
"""
import struct
from mpmath import mp, mpf, matrix, lu_solve, exp, log, tanh, atanh, cos, pi, sqrt

mp.dps = 50


def f32(x):
    return mpf(struct.unpack("f", struct.pack("f", float(x)))[0])


def lawson(target, weight, powers, a, b, npts=400, iters=300):
    """Minimise max |weight(x) * (target(x) - sum c_k x^p_k)| over [a, b]."""
    xs = [(a + b) / 2 + (b - a) / 2 * cos(pi * (i + mpf(0.5)) / npts) for i in range(npts)]
    ts = [target(x) for x in xs]
    ws = [weight(x) for x in xs]
    lw = [mpf(1) / npts] * npts
    n = len(powers)
    coef = None
    for _ in range(iters):
        ata = matrix(n, n)
        atb = matrix(n, 1)
        for x, t, w, l in zip(xs, ts, ws, lw):
            row = [w * x**p for p in powers]
            for i in range(n):
                atb[i] += l * row[i] * w * t
                for j in range(n):
                    ata[i, j] += l * row[i] * row[j]
        coef = lu_solve(ata, atb)
        errs = [abs(w * (t - sum(coef[i] * x**p for i, p in enumerate(powers))))
                for x, t, w in zip(xs, ts, ws)]
        s = sum(l * e for l, e in zip(lw, errs))
        lw = [l * e / s for l, e in zip(lw, errs)]
    return [coef[i] for i in range(n)]


def max_rel(full, approx, a, b, npts=4000):
    worst = mpf(0)
    for i in range(npts + 1):
        x = a + (b - a) * i / npts
        fx = full(x)
        if fx == 0:
            continue
        worst = max(worst, abs((approx(x) - fx) / fx))
    return worst


def show(name, coefs, err):
    print(name)
    for i, c in enumerate(coefs):
        print(f"  c{i} = {float(f32(c))!r:>24}  // {mp.nstr(c, 20)}")
    print(f"  max relative error (f32-rounded coefficients, exact arithmetic): {mp.nstr(err, 3)}")


# exp(r) = 1 + r + r^2 P(r) on |r| <= ln2/2, P of degree 4 (polynomial of degree 6 overall).
h = log(2) / 2
p = lawson(lambda r: (exp(r) - 1 - r) / r**2 if r != 0 else mpf(0.5),
           lambda r: r**2 / exp(r), [0, 1, 2, 3, 4], -h, h)
pr = [f32(c) for c in p]
show("exp: P(r), exp(r) = 1 + r + r^2 P(r)", p,
     max_rel(exp, lambda r: 1 + r + r**2 * sum(c * r**i for i, c in enumerate(pr)), -h, h))

# ln(m) = 2 s + s^3 R(s^2), s = (m - 1) / (m + 1), m in [sqrt(1/2), sqrt(2)).
smax = (sqrt(2) - 1) / (sqrt(2) + 1)
q = lawson(lambda z: (2 * atanh(sqrt(z)) - 2 * sqrt(z)) / sqrt(z)**3 if z != 0 else mpf(2) / 3,
           lambda z: sqrt(z)**3 / (2 * atanh(sqrt(z))) if z != 0 else mpf(0), [0, 1, 2, 3],
           mpf(0), smax**2)
qr = [f32(c) for c in q]
show("log: R(z), ln(m) = 2s + s^3 R(s^2)", q,
     max_rel(lambda s: 2 * atanh(s),
             lambda s: 2 * s + s**3 * sum(c * s**(2 * i) for i, c in enumerate(qr)),
             mpf(1e-6), smax))

# tanh(x) = x + x^3 T(x^2) on |x| < 0.625.
xm = mpf(0.625)
t = lawson(lambda z: (tanh(sqrt(z)) - sqrt(z)) / sqrt(z)**3 if z != 0 else mpf(-1) / 3,
           lambda z: sqrt(z)**3 / tanh(sqrt(z)) if z != 0 else mpf(0), [0, 1, 2, 3, 4],
           mpf(0), xm**2)
tr = [f32(c) for c in t]
show("tanh: T(z), tanh(x) = x + x^3 T(x^2)", t,
     max_rel(tanh, lambda x: x + x**3 * sum(c * x**(2 * i) for i, c in enumerate(tr)),
             mpf(1e-6), xm))
