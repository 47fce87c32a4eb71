//! Row-wise normalisations over the last axis: softmax, log-softmax and layer norm, on the
//! row kernels of `neurodiv_kernels::rows`.

use super::axis::rows;
use crate::{Tensor, Var};
use neurodiv_kernels::rows as rk;

/// Runs a row kernel `x -> out` over rows of `cols` values (no-op on empty tensors).
fn map_rows(x: &Tensor, cols: usize, kernel: fn(&[f32], usize, &mut [f32])) -> Tensor {
    let mut out = vec![0.0; x.numel()];
    if cols > 0 {
        kernel(x.data(), cols, &mut out);
    }
    Tensor::from_vec(x.shape(), out)
}

/// Runs a backward row kernel `(y, gy) -> gx`.
fn back_rows(
    y: &Tensor,
    g: &Tensor,
    cols: usize,
    kernel: fn(&[f32], &[f32], usize, &mut [f32]),
) -> Tensor {
    let mut gx = vec![0.0; y.numel()];
    if cols > 0 {
        kernel(y.data(), g.data(), cols, &mut gx);
    }
    Tensor::from_vec(y.shape(), gx)
}

impl<'t> Var<'t> {
    /// Softmax over the last axis. The backward keeps only the output.
    pub fn softmax(self) -> Var<'t> {
        let x = self.value();
        let (_, cols) = rows(x.shape(), "softmax");
        let y = map_rows(&x, cols, rk::softmax_rows);
        let yc = y.clone();
        self.tape.record(y, &[self], move |g, _| {
            vec![Some(back_rows(&yc, g, cols, rk::softmax_backward_rows))]
        })
    }

    /// Log-softmax over the last axis (stable: `x - logsumexp(x)`). The backward keeps only the
    /// output.
    pub fn log_softmax(self) -> Var<'t> {
        let x = self.value();
        let (_, cols) = rows(x.shape(), "log_softmax");
        let y = map_rows(&x, cols, rk::log_softmax_rows);
        let yc = y.clone();
        self.tape.record(y, &[self], move |g, _| {
            vec![Some(back_rows(&yc, g, cols, rk::log_softmax_backward_rows))]
        })
    }

    /// Layer norm over the last axis of `self` (`[..., D]`), PyTorch's `F.layer_norm` with a
    /// normalised shape of `[D]`: `(x - mean) / sqrt(var + eps) * gamma + beta`, biased variance.
    /// `gamma` and `beta` are `[D]`. The backward keeps the input, the per-row mean and inverse
    /// standard deviation, and `gamma`.
    pub fn layer_norm(self, gamma: Var<'t>, beta: Var<'t>, eps: f32) -> Var<'t> {
        let (x, gm, bt) = (self.value(), gamma.value(), beta.value());
        let (nrows, cols) = rows(x.shape(), "layer_norm");
        assert!(
            gm.shape() == [cols] && bt.shape() == [cols],
            "layer_norm: gamma {:?} and beta {:?} must be [{cols}] for input {:?}",
            gm.shape(),
            bt.shape(),
            x.shape()
        );
        let mut out = vec![0.0; x.numel()];
        let mut mean = vec![0.0; nrows];
        let mut rstd = vec![0.0; nrows];
        if cols > 0 {
            rk::layer_norm_rows(
                x.data(),
                cols,
                eps,
                gm.data(),
                bt.data(),
                &mut out,
                &mut mean,
                &mut rstd,
            );
        }
        let y = Tensor::from_vec(x.shape(), out);
        self.tape.record(y, &[self, gamma, beta], move |g, needs| {
            let mut gx = vec![0.0; x.numel()];
            let mut dgamma = vec![0.0; cols];
            let mut dbeta = vec![0.0; cols];
            if cols > 0 {
                rk::layer_norm_backward_rows(
                    x.data(),
                    cols,
                    &mean,
                    &rstd,
                    gm.data(),
                    g.data(),
                    &mut gx,
                    &mut dgamma,
                    &mut dbeta,
                );
            }
            vec![
                needs[0].then(|| Tensor::from_vec(x.shape(), gx)),
                needs[1].then(|| Tensor::from_vec(&[cols], dgamma)),
                needs[2].then(|| Tensor::from_vec(&[cols], dbeta)),
            ]
        })
    }
}
