//! Pieces shared by the block models (NBEATS, NBEATSx, NHITS): the block's MLP and the
//! assembly of a block's input from the residual window and the exogenous columns.

use neurodiv_autodiff::Var;
use neurodiv_core::{BaseConfig, WindowBatch};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Activation, Ctx, Linear, ParamStore};

/// A block's MLP as NeuralForecast builds it from `mlp_units` (a list of `[in, out]` pairs):
/// `Linear(input, units[0][0])` with no activation, then for each pair `Linear(in, out)`,
/// the activation and dropout, then `Linear(units[last][1], out)`.
#[derive(Debug, Clone)]
pub struct BlockMlp {
    first: Linear,
    hidden: Vec<Linear>,
    out: Linear,
    activation: Activation,
    dropout: f32,
}

/// Checks that `mlp_units` is a non-empty chain of `[in, out]` pairs of positive widths.
pub fn check_mlp_units(units: &[Vec<usize>]) -> Result<(), String> {
    if units.is_empty() {
        return Err("needs at least one [in, out] pair".into());
    }
    for (i, pair) in units.iter().enumerate() {
        if pair.len() != 2 || pair.contains(&0) {
            return Err(format!(
                "entry {i} must be a pair [in, out] of positive widths, got {pair:?}"
            ));
        }
        if i > 0 && units[i - 1][1] != pair[0] {
            return Err(format!(
                "entry {i} takes {} inputs but entry {} gives {}",
                pair[0],
                i - 1,
                units[i - 1][1]
            ));
        }
    }
    Ok(())
}

impl BlockMlp {
    /// Creates `{name}.layers.{i}` and `{name}.out`. `units` must pass [`check_mlp_units`].
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: &mut ParamStore,
        name: &str,
        input: usize,
        units: &[Vec<usize>],
        out: usize,
        activation: Activation,
        dropout: f32,
        rng: &mut Rng,
    ) -> Self {
        let first = Linear::new(
            store,
            &format!("{name}.layers.0"),
            input,
            units[0][0],
            true,
            rng,
        );
        let hidden = units
            .iter()
            .enumerate()
            .map(|(i, pair)| {
                Linear::new(
                    store,
                    &format!("{name}.layers.{}", i + 1),
                    pair[0],
                    pair[1],
                    true,
                    rng,
                )
            })
            .collect();
        let out = Linear::new(
            store,
            &format!("{name}.out"),
            units[units.len() - 1][1],
            out,
            true,
            rng,
        );
        BlockMlp {
            first,
            hidden,
            out,
            activation,
            dropout,
        }
    }

    /// `[B, in] -> [B, out]`
    pub fn forward<'t>(&self, ctx: &mut Ctx<'t>, x: Var<'t>) -> Var<'t> {
        let mut x = self.first.forward(ctx, x);
        for layer in &self.hidden {
            x = self.activation.apply(layer.forward(ctx, x));
            if self.dropout > 0.0 {
                x = x.dropout(self.dropout, &mut ctx.rng);
            }
        }
        self.out.forward(ctx, x)
    }
}

/// How a block builds its input vector: the (optionally pooled) residual window, followed by
/// the pooled historical and future exogenous windows and the static features.
#[derive(Debug, Clone)]
pub struct BlockInput {
    pool: usize,
    max_pool: bool,
    l: usize,
    h: usize,
    n_hist: usize,
    n_futr: usize,
    n_stat: usize,
}

impl BlockInput {
    /// Input of a block that pools with kernel (and stride) `pool`, ceil mode.
    pub fn pooled(b: &BaseConfig, pool: usize, max_pool: bool) -> Self {
        BlockInput {
            pool,
            max_pool,
            l: b.input_size,
            h: b.h,
            n_hist: b.hist_exog_list.len(),
            n_futr: b.futr_exog_list.len(),
            n_stat: b.stat_exog_list.len(),
        }
    }

    /// Input of a block that does not pool.
    pub fn plain(b: &BaseConfig) -> Self {
        Self::pooled(b, 1, true)
    }

    fn pooled_len(&self, len: usize) -> usize {
        len.div_ceil(self.pool)
    }

    /// Width of the input vector.
    pub fn width(&self) -> usize {
        let (lp, lfp) = (self.pooled_len(self.l), self.pooled_len(self.l + self.h));
        lp + self.n_hist * lp + self.n_futr * lfp + self.n_stat
    }

    fn pool<'t>(&self, x: Var<'t>) -> Var<'t> {
        if self.pool == 1 {
            x
        } else if self.max_pool {
            x.max_pool1d(self.pool, self.pool, 0, true)
        } else {
            x.avg_pool1d(self.pool, self.pool, 0, true)
        }
    }

    /// `residuals [B, L]` plus the batch's exogenous columns -> `[B, width]`.
    pub fn build<'t>(&self, residuals: Var<'t>, batch: &WindowBatch<'t>) -> Var<'t> {
        let n = residuals.shape()[0];
        let mut parts = vec![
            self.pool(residuals.unsqueeze(1))
                .reshape(&[n, self.pooled_len(self.l)]),
        ]; // [B, 1, L'] -> [B, L']
        if let Some(x) = batch.hist_exog {
            let p = self.pool(x.permute(&[0, 2, 1])); // [B, L, X] -> [B, X, L']
            parts.push(p.reshape(&[n, self.n_hist * self.pooled_len(self.l)]));
        }
        if let Some(x) = batch.futr_exog {
            let p = self.pool(x.permute(&[0, 2, 1])); // [B, L+h, F] -> [B, F, (L+h)']
            parts.push(p.reshape(&[n, self.n_futr * self.pooled_len(self.l + self.h)]));
        }
        if let Some(x) = batch.stat_exog {
            parts.push(x); // [B, S]
        }
        if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            Var::concat(&parts, 1)
        }
    }
}
