//! Matrix products: (batched) matmul with transposes and the fused linear layer.

use crate::{Tensor, Var};
use neurodiv_kernels::{Trans, dot_gemm_nt, gemm, gemm_batched};

fn tr(t: bool) -> Trans {
    if t { Trans::T } else { Trans::N }
}

/// `batch` products `op(A)[m,k] · op(B)[k,n]` on contiguous operands.
#[allow(clippy::too_many_arguments)]
fn product(
    batch: usize,
    ta: bool,
    tb: bool,
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    b: &[f32],
) -> Vec<f32> {
    let mut c = vec![0.0; batch * m * n];
    if batch == 1 {
        gemm(tr(ta), tr(tb), m, n, k, 1.0, a, b, 0.0, &mut c);
    } else {
        gemm_batched(batch, tr(ta), tr(tb), m, n, k, 1.0, a, b, 0.0, &mut c);
    }
    c
}

/// Gradients of `C = op(A) op(B)` for stored `A` and `B`, given `G = dC` (all batched alike).
#[allow(clippy::too_many_arguments)]
fn product_grads(
    batch: usize,
    ta: bool,
    tb: bool,
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    b: &[f32],
    g: &[f32],
    needs: &[bool],
) -> (Option<Vec<f32>>, Option<Vec<f32>>) {
    // Stored shapes: A is [m,k] (or [k,m] when ta), B is [k,n] (or [n,k] when tb), G is [m,n].
    let ga = needs[0].then(|| match (ta, tb) {
        (false, false) => product(batch, false, true, m, k, n, g, b), // G Bᵀ
        (false, true) => product(batch, false, false, m, k, n, g, b), // G B
        (true, false) => product(batch, false, true, k, m, n, b, g),  // B Gᵀ
        (true, true) => product(batch, true, true, k, m, n, b, g),    // Bᵀ Gᵀ
    });
    let gb = needs[1].then(|| match (ta, tb) {
        (false, false) => product(batch, true, false, k, n, m, a, g), // Aᵀ G
        (false, true) => product(batch, true, false, n, k, m, g, a),  // Gᵀ A
        (true, false) => product(batch, false, false, k, n, m, a, g), // A G
        (true, true) => product(batch, true, true, n, k, m, g, a),    // Gᵀ Aᵀ
    });
    (ga, gb)
}

impl<'t> Var<'t> {
    /// Matrix product `self · other`. See [`Var::matmul_t`].
    pub fn matmul(self, other: Var<'t>) -> Var<'t> {
        self.matmul_t(other, false, false)
    }

    /// Matrix product `op(self) · op(other)`, where `op` transposes the last two axes when the
    /// flag is set. Supported: 2-D × 2-D; N-D × 2-D (the leading axes of `self` are folded into
    /// rows; not with `ta`); N-D × N-D with equal leading (batch) axes.
    pub fn matmul_t(self, other: Var<'t>, ta: bool, tb: bool) -> Var<'t> {
        let (a, b) = (self.value(), other.value());
        let (sa, sb) = (a.shape().to_vec(), b.shape().to_vec());
        assert!(
            sa.len() >= 2 && sb.len() >= 2,
            "matmul: needs matrices, got {sa:?} and {sb:?}"
        );
        let (ra, ca) = (sa[sa.len() - 2], sa[sa.len() - 1]);
        let (rb, cb) = (sb[sb.len() - 2], sb[sb.len() - 1]);
        let (m, ka) = if ta { (ca, ra) } else { (ra, ca) };
        let (kb, n) = if tb { (cb, rb) } else { (rb, cb) };
        assert_eq!(
            ka,
            kb,
            "matmul: inner dimensions differ for {sa:?}{} x {sb:?}{}",
            if ta { "ᵀ" } else { "" },
            if tb { "ᵀ" } else { "" }
        );
        let k = ka;
        let (batch, m, out_shape) = if sa.len() == 2 && sb.len() == 2 {
            (1, m, vec![m, n])
        } else if sb.len() == 2 {
            assert!(
                !ta || sa.len() == 2,
                "matmul: a transposed N-D left operand needs an N-D right operand ({sa:?} x {sb:?})"
            );
            let rows: usize = sa[..sa.len() - 1].iter().product();
            let mut shape = sa[..sa.len() - 1].to_vec();
            shape.push(n);
            (1, rows, shape)
        } else {
            assert_eq!(
                sa[..sa.len() - 2],
                sb[..sb.len() - 2],
                "matmul: batch axes differ for {sa:?} x {sb:?}"
            );
            let batch: usize = sa[..sa.len() - 2].iter().product();
            let mut shape = sa[..sa.len() - 2].to_vec();
            shape.extend([m, n]);
            (batch, m, shape)
        };
        let c = product(batch, ta, tb, m, n, k, a.data(), b.data());
        let out = Tensor::from_vec(&out_shape, c);
        self.tape.record(out, &[self, other], move |g, needs| {
            let (ga, gb) =
                product_grads(batch, ta, tb, m, n, k, a.data(), b.data(), g.data(), needs);
            vec![
                ga.map(|v| Tensor::from_vec(&sa, v)),
                gb.map(|v| Tensor::from_vec(&sb, v)),
            ]
        })
    }

    /// Fused linear layer `self · weightᵀ + bias` on the last axis: `self` is `[..., in]`,
    /// `weight` is `[out, in]` (PyTorch's layout), `bias` is `[out]`. On a no-grad tape the
    /// product is [`dot_gemm_nt`], whose rows do not depend on each other's presence.
    pub fn linear(self, weight: Var<'t>, bias: Option<Var<'t>>) -> Var<'t> {
        let (x, w) = (self.value(), weight.value());
        let sx = x.shape().to_vec();
        let sw = w.shape().to_vec();
        assert!(
            sw.len() == 2 && !sx.is_empty() && sx[sx.len() - 1] == sw[1],
            "linear: input {sx:?} does not fit weight {sw:?}"
        );
        let (out_f, in_f) = (sw[0], sw[1]);
        let rows = x.numel() / in_f;
        let mut y = vec![0.0; rows * out_f];
        if let Some(b) = &bias {
            let bv = b.value();
            assert_eq!(
                bv.shape(),
                [out_f],
                "linear: bias {:?} does not fit weight {sw:?}",
                bv.shape()
            );
            for r in y.chunks_exact_mut(out_f) {
                r.copy_from_slice(bv.data());
            }
        }
        let beta = if bias.is_some() { 1.0 } else { 0.0 };
        // [rows, in] · [out, in]ᵀ -> [rows, out]
        if self.tape.grad_enabled() {
            gemm(
                Trans::N,
                Trans::T,
                rows,
                out_f,
                in_f,
                1.0,
                x.data(),
                w.data(),
                beta,
                &mut y,
            );
        } else {
            // Inference: no packing (one window costs a read of the weights), and each row's
            // bits independent of the batch around it.
            dot_gemm_nt(rows, out_f, in_f, x.data(), w.data(), beta, &mut y);
        }
        let mut out_shape = sx.clone();
        *out_shape.last_mut().expect("non-empty") = out_f;
        let out = Tensor::from_vec(&out_shape, y);
        let parents: Vec<Var<'t>> = std::iter::once(self)
            .chain(std::iter::once(weight))
            .chain(bias)
            .collect();
        self.tape.record(out, &parents, move |g, needs| {
            let gd = g.data();
            let gx = needs[0].then(|| {
                let mut v = vec![0.0; rows * in_f];
                // [rows, out] · [out, in] -> [rows, in]
                gemm(
                    Trans::N,
                    Trans::N,
                    rows,
                    in_f,
                    out_f,
                    1.0,
                    gd,
                    w.data(),
                    0.0,
                    &mut v,
                );
                Tensor::from_vec(&sx, v)
            });
            let gw = needs[1].then(|| {
                let mut v = vec![0.0; out_f * in_f];
                // [rows, out]ᵀ · [rows, in] -> [out, in]
                gemm(
                    Trans::T,
                    Trans::N,
                    out_f,
                    in_f,
                    rows,
                    1.0,
                    gd,
                    x.data(),
                    0.0,
                    &mut v,
                );
                Tensor::from_vec(&[out_f, in_f], v)
            });
            let mut grads = vec![gx, gw];
            if needs.len() == 3 {
                grads.push(needs[2].then(|| Tensor::from_vec(&[out_f], column_sums(gd, out_f))));
            }
            grads
        })
    }
}

/// Sums of each column of a row-major `[rows, cols]` matrix, rows added in order.
pub(crate) fn column_sums(x: &[f32], cols: usize) -> Vec<f32> {
    let mut s = vec![0.0; cols];
    for r in x.chunks_exact(cols) {
        neurodiv_kernels::elementwise::axpy(1.0, r, &mut s);
    }
    s
}
