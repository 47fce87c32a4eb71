//! The training view of a panel: the columns a model reads, per series, and the assembly of
//! scaled window batches from them.

use crate::{BaseConfig, CoreError, NeuralModel, WindowBatch};
use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_data::{PanelFrame, fill_window};

/// The series of a panel as the trainer reads them: per series the target, the future-known
/// exogenous columns (which may run past the target into the forecast horizon), the historical
/// columns and the static features, in the model's `*_exog_list` order.
#[derive(Debug, Clone)]
pub struct SeriesSet {
    /// Series ids, in panel order.
    pub ids: Vec<String>,
    /// Target values per series.
    pub y: Vec<Vec<f32>>,
    /// Future exogenous columns per series (`[F][T_i + extra]`).
    pub futr: Vec<Vec<Vec<f32>>>,
    /// Historical exogenous columns per series (`[X][T_i]`).
    pub hist: Vec<Vec<Vec<f32>>>,
    /// Static features per series (`[S]`).
    pub stat: Vec<Vec<f32>>,
}

impl SeriesSet {
    /// Extracts the columns `base` asks for from `frame`; a missing column is an error naming it.
    /// With `futr_frame`, its future exogenous values (same series, same order) are appended
    /// after each series' history.
    pub fn from_frame(
        frame: &PanelFrame,
        base: &BaseConfig,
        futr_frame: Option<&PanelFrame>,
    ) -> Result<Self, CoreError> {
        let missing = |kind: &str, name: &str| {
            CoreError::Incompatible(format!(
                "the {kind} exogenous column {name:?} is not in the data"
            ))
        };
        let n = frame.n_series();
        let mut set = SeriesSet {
            ids: Vec::with_capacity(n),
            y: Vec::with_capacity(n),
            futr: Vec::new(),
            hist: Vec::new(),
            stat: Vec::new(),
        };
        for i in 0..n {
            let s = frame.series(i);
            set.ids.push(s.id.to_string());
            set.y.push(s.y.to_vec());
            let hist = base
                .hist_exog_list
                .iter()
                .map(|name| {
                    s.exog(name)
                        .map(<[f32]>::to_vec)
                        .ok_or_else(|| missing("historical", name))
                })
                .collect::<Result<Vec<_>, _>>()?;
            set.hist.push(hist);
            let future = futr_frame.map(|f| f.series(i));
            if let Some(fs) = &future
                && fs.id != s.id
            {
                return Err(CoreError::Incompatible(format!(
                    "the future frame lists series {:?} where the data has {:?}; give the same series in the same order",
                    fs.id, s.id
                )));
            }
            let mut futr = Vec::with_capacity(base.futr_exog_list.len());
            for name in &base.futr_exog_list {
                let mut col = s
                    .exog(name)
                    .ok_or_else(|| missing("future", name))?
                    .to_vec();
                if let Some(f) = &future {
                    col.extend_from_slice(
                        f.exog(name)
                            .ok_or_else(|| missing("future (in the future frame)", name))?,
                    );
                }
                futr.push(col);
            }
            set.futr.push(futr);
            let stat = base
                .stat_exog_list
                .iter()
                .map(|name| s.static_value(name).ok_or_else(|| missing("static", name)))
                .collect::<Result<Vec<_>, _>>()?;
            set.stat.push(stat);
        }
        Ok(set)
    }

    /// Number of series.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when there is no series.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    fn n_futr(&self) -> usize {
        self.futr.first().map_or(0, Vec::len)
    }

    fn n_hist(&self) -> usize {
        self.hist.first().map_or(0, Vec::len)
    }

    fn n_stat(&self) -> usize {
        self.stat.first().map_or(0, Vec::len)
    }
}

/// One window to assemble: series `series`, window starting at point `start` (negative inside
/// the left padding), input `start .. start + L`, output the next `h` points. Only the first
/// `avail` points of the series are visible (later ones are padding): the trainer hides the
/// validation tail this way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpec {
    /// Series index.
    pub series: usize,
    /// First point of the window.
    pub start: isize,
    /// Points of the series the window may see.
    pub avail: usize,
}

/// A batch of windows as tensors, scaled, with each window's target statistics for inversion.
#[derive(Debug, Clone)]
pub struct WindowBatchTensors {
    /// `[B, L + h]` the whole target window, scaled, before `exclude_insample_y`.
    pub window_y: Tensor,
    /// `[B, L + h]` the whole target window in the original scale.
    pub window_y_original: Tensor,
    /// `[B, L + h]` 1 where the window's target is observed.
    pub window_mask: Tensor,
    /// `[B, L]`
    pub insample_y: Tensor,
    /// `[B, L]`
    pub insample_mask: Tensor,
    /// `[B, L + h, F]`
    pub futr: Option<Tensor>,
    /// `[B, L, X]`
    pub hist: Option<Tensor>,
    /// `[B, S]`
    pub stat: Option<Tensor>,
    /// Per window `(shift, scale)` of the target.
    pub y_stats: Vec<(f32, f32)>,
}

/// Fills and scales the windows `specs` with inputs of `l` points and `h` output points as
/// NeuralForecast does: each
/// channel of each window is scaled with statistics of the observed points of its input part,
/// and the whole window (padding included) is transformed. Static features are not scaled.
pub fn assemble(
    set: &SeriesSet,
    specs: &[WindowSpec],
    base: &BaseConfig,
    l: usize,
    h: usize,
) -> WindowBatchTensors {
    let kind = base.scaler_type;
    let w = l + h;
    let (nf, nx, ns, b) = (set.n_futr(), set.n_hist(), set.n_stat(), specs.len());
    let mut y = vec![0.0; b * w];
    let mut y_original = vec![0.0; b * w];
    let mut mask = vec![0.0; b * w];
    let mut futr = vec![0.0; b * w * nf];
    let mut hist = vec![0.0; b * w * nx];
    let mut stat = Vec::with_capacity(b * ns);
    let mut y_stats = Vec::with_capacity(b);
    let mut chan = vec![0.0; w];
    let mut unused = (vec![0.0; w], vec![0.0; w]);
    for (k, spec) in specs.iter().enumerate() {
        let s = spec.series;
        let t = set.y[s].len();
        let avail = spec.avail.min(t);
        // Future columns run past the target when forecasting; a hidden tail hides them too.
        let futr_len = |c: &Vec<f32>| if avail < t { avail } else { c.len() };
        let futr_cols: Vec<&[f32]> = set.futr[s].iter().map(|c| &c[..futr_len(c)]).collect();
        let hist_cols: Vec<&[f32]> = set.hist[s].iter().map(|c| &c[..avail]).collect();
        let (yw, mw) = (&mut y[k * w..(k + 1) * w], &mut mask[k * w..(k + 1) * w]);
        fill_window(
            &set.y[s][..avail],
            &hist_cols,
            spec.start,
            yw,
            mw,
            &mut hist[k * w * nx..(k + 1) * w * nx],
        );
        fill_window(
            &set.y[s][..avail],
            &futr_cols,
            spec.start,
            &mut unused.0,
            &mut unused.1,
            &mut futr[k * w * nf..(k + 1) * w * nf],
        );
        y_original[k * w..(k + 1) * w].copy_from_slice(yw);
        // Statistics from the observed input points; the whole window is transformed.
        let (shift, scale) = neurodiv_data::scaler_stats(kind, &yw[..l], &mw[..l]);
        neurodiv_data::apply(kind, yw, shift, scale);
        y_stats.push((shift, scale));
        for (n, buf) in [(nx, &mut hist), (nf, &mut futr)] {
            let block = &mut buf[k * w * n..(k + 1) * w * n]; // [w, n]
            for c in 0..n {
                for (j, v) in chan.iter_mut().enumerate() {
                    *v = block[j * n + c];
                }
                let (sh, sc) = neurodiv_data::scaler_stats(kind, &chan[..l], &mw[..l]);
                neurodiv_data::apply(kind, &mut chan, sh, sc);
                for (j, v) in chan.iter().enumerate() {
                    block[j * n + c] = *v;
                }
            }
        }
        stat.extend_from_slice(&set.stat[s]);
    }
    // The input part of each [w] row (the output part is read from the whole windows).
    let input = |v: &[f32]| -> Vec<f32> { v.chunks(w).flat_map(|row| row[..l].to_vec()).collect() };
    let iy = if base.exclude_insample_y {
        vec![0.0; b * l]
    } else {
        input(&y)
    };
    let im = input(&mask);
    // Historical columns keep only the input part: [B, L+h, X] -> [B, L, X].
    let hist: Vec<f32> = if nx == 0 {
        Vec::new()
    } else {
        hist.chunks(w * nx)
            .flat_map(|r| r[..l * nx].to_vec())
            .collect()
    };
    WindowBatchTensors {
        window_y: Tensor::from_vec(&[b, w], y),
        window_y_original: Tensor::from_vec(&[b, w], y_original),
        window_mask: Tensor::from_vec(&[b, w], mask),
        insample_y: Tensor::from_vec(&[b, l], iy),
        insample_mask: Tensor::from_vec(&[b, l], im),
        futr: (nf > 0).then(|| Tensor::from_vec(&[b, w, nf], futr)),
        hist: (nx > 0).then(|| Tensor::from_vec(&[b, l, nx], hist)),
        stat: (ns > 0).then(|| Tensor::from_vec(&[b, ns], stat)),
        y_stats,
    }
}

impl WindowBatchTensors {
    /// The batch as constants on `tape`.
    pub fn bind<'t>(&self, tape: &'t Tape) -> WindowBatch<'t> {
        WindowBatch {
            insample_y: tape.constant(self.insample_y.clone()),
            insample_mask: tape.constant(self.insample_mask.clone()),
            futr_exog: self.futr.clone().map(|t| tape.constant(t)),
            hist_exog: self.hist.clone().map(|t| tape.constant(t)),
            stat_exog: self.stat.clone().map(|t| tape.constant(t)),
        }
    }
}

/// Multivariate windows: window `k` starts at `starts[k].0` in every series and sees
/// `starts[k].1` points of each. Built from the per-series windows of [`assemble`] (series-major
/// within a window) and permuted to the multivariate layout: `window_y` `[B, L + h, N]`,
/// `insample_y` `[B, L, N]`,
/// `futr` `[B, F, L + h, N]`, `hist` `[B, X, L, N]`, `stat` `[N, S]`;
/// `y_stats` holds `B * N` entries, window-major.
pub fn assemble_multivariate(
    set: &SeriesSet,
    starts: &[(isize, usize)],
    base: &BaseConfig,
    l: usize,
    h: usize,
) -> WindowBatchTensors {
    let n = set.len();
    let specs: Vec<WindowSpec> = starts
        .iter()
        .flat_map(|&(start, avail)| {
            (0..n).map(move |series| WindowSpec {
                series,
                start,
                avail,
            })
        })
        .collect();
    let t = assemble(set, &specs, base, l, h);
    let b = starts.len();
    // [B*N, T, ...] -> [B, N, T, ...] -> permuted
    let permute = |x: &Tensor, perm: &[usize]| {
        let mut shape = vec![b, n];
        shape.extend_from_slice(&x.shape()[1..]);
        Tensor::from_ndarray(x.reshape(&shape).view().permuted_axes(perm.to_vec()))
    };
    WindowBatchTensors {
        window_y: permute(&t.window_y, &[0, 2, 1]), // [B, N, L+h] -> [B, L+h, N]
        window_y_original: permute(&t.window_y_original, &[0, 2, 1]), // [B, N, L+h] -> [B, L+h, N]
        window_mask: permute(&t.window_mask, &[0, 2, 1]), // [B, N, L+h] -> [B, L+h, N]
        insample_y: permute(&t.insample_y, &[0, 2, 1]), // [B, N, L] -> [B, L, N]
        insample_mask: permute(&t.insample_mask, &[0, 2, 1]), // [B, N, L] -> [B, L, N]
        futr: t.futr.as_ref().map(|f| permute(f, &[0, 3, 2, 1])), // [B, N, L+h, F] -> [B, F, L+h, N]
        hist: t.hist.as_ref().map(|x| permute(x, &[0, 3, 2, 1])), // [B, N, L, X] -> [B, X, L, N]
        stat: (!set.stat.is_empty() && !set.stat[0].is_empty()).then(|| {
            let s = set.stat[0].len();
            Tensor::from_vec(&[n, s], set.stat.concat()) // [N, S]
        }),
        y_stats: t.y_stats,
    }
}

/// A multivariate model needs exactly its `n_series` series, all with the same timestamps, and
/// a loss that does not scale by each window's own history (MASE).
pub(crate) fn check_multivariate(
    model: &dyn NeuralModel,
    set: &SeriesSet,
) -> Result<(), CoreError> {
    if let Some(n) = model.n_series()
        && n != set.len()
    {
        return Err(CoreError::Incompatible(format!(
            "{} was configured with n_series = {n} but the data holds {} series",
            model.alias(),
            set.len()
        )));
    }
    let len = set.y[0].len();
    if let Some(i) = set.y.iter().position(|y| y.len() != len) {
        return Err(CoreError::Incompatible(format!(
            "{} forecasts all series jointly and needs them aligned: series {:?} has {} points, series {:?} has {len}",
            model.alias(),
            set.ids[i],
            set.y[i].len(),
            set.ids[0]
        )));
    }
    let b = model.base();
    if [Some(&b.loss), b.valid_loss.as_ref()]
        .into_iter()
        .flatten()
        .any(|l| matches!(l, neurodiv_optim::Loss::MASE { .. }))
    {
        return Err(CoreError::Incompatible(format!(
            "{}: MASE is not available for multivariate models",
            model.alias()
        )));
    }
    Ok(())
}
