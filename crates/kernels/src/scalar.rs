//! Scalar twins of every SIMD kernel: plain loops, the ground truth the SIMD paths are tested
//! against, and the fallback on CPUs without a SIMD path.
//!
//! Conventions: `out`/`gx` slices have the length of the inputs; row kernels take the row
//! length `cols` and work on `x.len() / cols` rows.

/// `out = a + b`
pub fn add(a: &[f32], b: &[f32], out: &mut [f32]) {
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = x + y;
    }
}
/// `out = a - b`
pub fn sub(a: &[f32], b: &[f32], out: &mut [f32]) {
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = x - y;
    }
}
/// `out = a * b`
pub fn mul(a: &[f32], b: &[f32], out: &mut [f32]) {
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = x * y;
    }
}
/// `out = a / b`
pub fn div(a: &[f32], b: &[f32], out: &mut [f32]) {
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = x / y;
    }
}
/// `y += alpha * x`
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}
/// `x *= alpha`
pub fn scale(alpha: f32, x: &mut [f32]) {
    for xi in x {
        *xi *= alpha;
    }
}

/// `out = exp(x)`
pub fn exp(x: &[f32], out: &mut [f32]) {
    for (o, v) in out.iter_mut().zip(x) {
        *o = v.exp();
    }
}
/// `out = ln(x)`
pub fn log(x: &[f32], out: &mut [f32]) {
    for (o, v) in out.iter_mut().zip(x) {
        *o = v.ln();
    }
}
/// `out = tanh(x)`
pub fn tanh(x: &[f32], out: &mut [f32]) {
    for (o, v) in out.iter_mut().zip(x) {
        *o = v.tanh();
    }
}
/// `out = 1 / (1 + exp(-x))`
pub fn sigmoid(x: &[f32], out: &mut [f32]) {
    for (o, v) in out.iter_mut().zip(x) {
        *o = sigmoid1(*v);
    }
}
/// `out = max(x, 0)`
pub fn relu(x: &[f32], out: &mut [f32]) {
    for (o, v) in out.iter_mut().zip(x) {
        *o = v.max(0.0);
    }
}
/// `out = x` where `x > 0`, else `slope * x`
pub fn leaky_relu(x: &[f32], slope: f32, out: &mut [f32]) {
    for (o, v) in out.iter_mut().zip(x) {
        *o = if *v > 0.0 { *v } else { slope * v };
    }
}
/// Exact GELU, `0.5 x (1 + erf(x / sqrt 2))` (PyTorch's default).
pub fn gelu(x: &[f32], out: &mut [f32]) {
    for (o, v) in out.iter_mut().zip(x) {
        *o = 0.5 * v * (1.0 + erf(v * std::f32::consts::FRAC_1_SQRT_2));
    }
}
/// `out = ln(1 + exp(x))`, computed stably.
pub fn softplus(x: &[f32], out: &mut [f32]) {
    for (o, v) in out.iter_mut().zip(x) {
        *o = softplus1(*v);
    }
}
/// `out = x * sigmoid(x)`
pub fn silu(x: &[f32], out: &mut [f32]) {
    for (o, v) in out.iter_mut().zip(x) {
        *o = v * sigmoid1(*v);
    }
}

/// `gx = gy * [x > 0]`
pub fn relu_backward(x: &[f32], gy: &[f32], gx: &mut [f32]) {
    for ((g, v), d) in gx.iter_mut().zip(x).zip(gy) {
        *g = if *v > 0.0 { *d } else { 0.0 };
    }
}
/// `gx = gy * (x > 0 ? 1 : slope)`
pub fn leaky_relu_backward(x: &[f32], slope: f32, gy: &[f32], gx: &mut [f32]) {
    for ((g, v), d) in gx.iter_mut().zip(x).zip(gy) {
        *g = if *v > 0.0 { *d } else { slope * d };
    }
}
/// `gx = gy * (1 - y^2)` where `y = tanh(x)`
pub fn tanh_backward(y: &[f32], gy: &[f32], gx: &mut [f32]) {
    for ((g, v), d) in gx.iter_mut().zip(y).zip(gy) {
        *g = d * (1.0 - v * v);
    }
}
/// `gx = gy * y (1 - y)` where `y = sigmoid(x)`
pub fn sigmoid_backward(y: &[f32], gy: &[f32], gx: &mut [f32]) {
    for ((g, v), d) in gx.iter_mut().zip(y).zip(gy) {
        *g = d * v * (1.0 - v);
    }
}
/// `gx = gy * (Phi(x) + x phi(x))`, the derivative of exact GELU.
pub fn gelu_backward(x: &[f32], gy: &[f32], gx: &mut [f32]) {
    const INV_SQRT_2PI: f32 = 0.398_942_3;
    for ((g, v), d) in gx.iter_mut().zip(x).zip(gy) {
        let cdf = 0.5 * (1.0 + erf(v * std::f32::consts::FRAC_1_SQRT_2));
        let pdf = INV_SQRT_2PI * (-0.5 * v * v).exp();
        *g = d * (cdf + v * pdf);
    }
}
/// `gx = gy * sigmoid(x)`
pub fn softplus_backward(x: &[f32], gy: &[f32], gx: &mut [f32]) {
    for ((g, v), d) in gx.iter_mut().zip(x).zip(gy) {
        *g = d * sigmoid1(*v);
    }
}
/// `gx = gy * s (1 + x (1 - s))` where `s = sigmoid(x)`
pub fn silu_backward(x: &[f32], gy: &[f32], gx: &mut [f32]) {
    for ((g, v), d) in gx.iter_mut().zip(x).zip(gy) {
        let s = sigmoid1(*v);
        *g = d * s * (1.0 + v * (1.0 - s));
    }
}

/// Row-wise softmax over rows of length `cols`.
pub fn softmax_rows(x: &[f32], cols: usize, out: &mut [f32]) {
    for (xr, or) in x.chunks_exact(cols).zip(out.chunks_exact_mut(cols)) {
        let m = xr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut s = 0.0;
        for (o, v) in or.iter_mut().zip(xr) {
            *o = (v - m).exp();
            s += *o;
        }
        let inv = 1.0 / s;
        for o in or.iter_mut() {
            *o *= inv;
        }
    }
}
/// Row-wise log-softmax.
pub fn log_softmax_rows(x: &[f32], cols: usize, out: &mut [f32]) {
    for (xr, or) in x.chunks_exact(cols).zip(out.chunks_exact_mut(cols)) {
        let m = xr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let s: f32 = xr.iter().map(|v| (v - m).exp()).sum();
        let lse = m + s.ln();
        for (o, v) in or.iter_mut().zip(xr) {
            *o = v - lse;
        }
    }
}
/// Softmax backward from its output: `gx = y * (gy - sum(gy * y))` per row.
pub fn softmax_backward_rows(y: &[f32], gy: &[f32], cols: usize, gx: &mut [f32]) {
    for ((yr, gr), xr) in y
        .chunks_exact(cols)
        .zip(gy.chunks_exact(cols))
        .zip(gx.chunks_exact_mut(cols))
    {
        let dot: f32 = yr.iter().zip(gr).map(|(a, b)| a * b).sum();
        for ((g, yv), gv) in xr.iter_mut().zip(yr).zip(gr) {
            *g = yv * (gv - dot);
        }
    }
}
/// Log-softmax backward from its output: `gx = gy - exp(y) * sum(gy)` per row.
pub fn log_softmax_backward_rows(y: &[f32], gy: &[f32], cols: usize, gx: &mut [f32]) {
    for ((yr, gr), xr) in y
        .chunks_exact(cols)
        .zip(gy.chunks_exact(cols))
        .zip(gx.chunks_exact_mut(cols))
    {
        let s: f32 = gr.iter().sum();
        for ((g, yv), gv) in xr.iter_mut().zip(yr).zip(gr) {
            *g = gv - yv.exp() * s;
        }
    }
}

/// Layer norm over rows: `out = (x - mean) * rstd * gamma + beta`, with the biased variance
/// and `rstd = 1 / sqrt(var + eps)`; `mean` and `rstd` (one per row) are written for backward.
#[allow(clippy::too_many_arguments)]
pub fn layer_norm_rows(
    x: &[f32],
    cols: usize,
    eps: f32,
    gamma: &[f32],
    beta: &[f32],
    out: &mut [f32],
    mean: &mut [f32],
    rstd: &mut [f32],
) {
    for (r, (xr, or)) in x
        .chunks_exact(cols)
        .zip(out.chunks_exact_mut(cols))
        .enumerate()
    {
        let mu = xr.iter().sum::<f32>() / cols as f32;
        let var = xr.iter().map(|v| (v - mu) * (v - mu)).sum::<f32>() / cols as f32;
        let rs = 1.0 / (var + eps).sqrt();
        for (j, (o, v)) in or.iter_mut().zip(xr).enumerate() {
            *o = (v - mu) * rs * gamma[j] + beta[j];
        }
        mean[r] = mu;
        rstd[r] = rs;
    }
}
/// Layer norm backward. Writes `gx`, and adds into `dgamma` and `dbeta` (length `cols`).
#[allow(clippy::too_many_arguments)]
pub fn layer_norm_backward_rows(
    x: &[f32],
    cols: usize,
    mean: &[f32],
    rstd: &[f32],
    gamma: &[f32],
    gy: &[f32],
    gx: &mut [f32],
    dgamma: &mut [f32],
    dbeta: &mut [f32],
) {
    let n = cols as f32;
    for (r, ((xr, gr), dxr)) in x
        .chunks_exact(cols)
        .zip(gy.chunks_exact(cols))
        .zip(gx.chunks_exact_mut(cols))
        .enumerate()
    {
        let (mu, rs) = (mean[r], rstd[r]);
        let mut sum_g = 0.0;
        let mut sum_gx = 0.0;
        for j in 0..cols {
            let xhat = (xr[j] - mu) * rs;
            let g = gr[j] * gamma[j];
            sum_g += g;
            sum_gx += g * xhat;
            dgamma[j] += gr[j] * xhat;
            dbeta[j] += gr[j];
        }
        for j in 0..cols {
            let xhat = (xr[j] - mu) * rs;
            let g = gr[j] * gamma[j];
            dxr[j] = rs * (g - sum_g / n - xhat * sum_gx / n);
        }
    }
}

/// `out[r] = sum of row r`
pub fn sum_rows(x: &[f32], cols: usize, out: &mut [f32]) {
    for (o, xr) in out.iter_mut().zip(x.chunks_exact(cols)) {
        *o = xr.iter().sum();
    }
}
/// `out[r] = mean of row r`
pub fn mean_rows(x: &[f32], cols: usize, out: &mut [f32]) {
    for (o, xr) in out.iter_mut().zip(x.chunks_exact(cols)) {
        *o = xr.iter().sum::<f32>() / cols as f32;
    }
}
/// `out[r] = max of row r`
pub fn max_rows(x: &[f32], cols: usize, out: &mut [f32]) {
    for (o, xr) in out.iter_mut().zip(x.chunks_exact(cols)) {
        *o = xr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    }
}

/// Logistic function of one value, stable for large `|x|`.
pub fn sigmoid1(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^x)` of one value, stable for large `|x|`.
pub fn softplus1(x: f32) -> f32 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// Error function, Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7).
pub fn erf(x: f32) -> f32 {
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    sign * (1.0 - poly * (-x * x).exp())
}
