//! Drawing series and windows for training steps, without materialising windows.

use crate::error::DataError;
use crate::windows::WindowIndex;
use neurodiv_kernels::Rng;
use std::collections::HashMap;

/// One window: series `series` (index in the frame), starting at `start` in series coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WindowRef {
    /// Series index in the frame.
    pub series: usize,
    /// Window start (negative inside the left padding); pass to [`crate::fill_window`].
    pub start: isize,
}

/// The kept windows of a batch of series, addressable by one flat index `0..total()`
/// (series in the given order, windows in start order).
#[derive(Debug, Clone)]
pub struct WindowSampler {
    entries: Vec<(usize, WindowIndex)>,
    /// `cum[i]` = number of windows of entries `0..i`; length `entries.len() + 1`.
    cum: Vec<usize>,
}

/// Below this many candidates, sampling without replacement uses a dense permutation; above it a
/// sparse one. Both give the same draws for the same generator state.
const DENSE_LIMIT: usize = 1 << 16;

impl WindowSampler {
    /// Candidates from `(series index, its window index)` pairs.
    pub fn new(entries: Vec<(usize, WindowIndex)>) -> Self {
        let mut cum = Vec::with_capacity(entries.len() + 1);
        cum.push(0);
        for (_, w) in &entries {
            cum.push(cum[cum.len() - 1] + w.len());
        }
        WindowSampler { entries, cum }
    }

    /// Number of kept windows over all series.
    pub fn total(&self) -> usize {
        self.cum[self.cum.len() - 1]
    }

    /// The window of flat index `flat`. Panics if `flat >= total()`.
    pub fn get(&self, flat: usize) -> WindowRef {
        assert!(
            flat < self.total(),
            "WindowSampler::get({flat}) of {}",
            self.total()
        );
        // Last entry whose cumulative start is <= flat (empty entries are skipped).
        let e = self.cum.partition_point(|&c| c <= flat) - 1;
        let (series, idx) = self.entries[e];
        WindowRef {
            series,
            start: idx.start(flat - self.cum[e]),
        }
    }

    /// Draws a training batch, as NeuralForecast does: with `Some(k)`, `k` windows uniformly
    /// WITHOUT replacement when there are at least `k` candidates, WITH replacement otherwise;
    /// with `None`, every window in order. No candidate at all is an error ("no windows
    /// available for training").
    pub fn sample(
        &self,
        windows_batch_size: Option<usize>,
        rng: &mut Rng,
    ) -> Result<Vec<WindowRef>, DataError> {
        let n = self.total();
        if n == 0 {
            return Err(DataError::InvalidArgument(
                "no windows available for training: every series of the batch is shorter than one \
                 window (consider a smaller input_size or start_padding_enabled)"
                    .into(),
            ));
        }
        let Some(k) = windows_batch_size else {
            return Ok((0..n).map(|f| self.get(f)).collect());
        };
        let flat = if n < k {
            (0..k).map(|_| rng.below(n)).collect()
        } else {
            sample_without_replacement(n, k, rng)
        };
        Ok(flat.into_iter().map(|f| self.get(f)).collect())
    }
}

/// `k` distinct indices of `0..n` in random order (a partial Fisher-Yates shuffle). Uses a dense
/// permutation for small `n` and a sparse map of swapped slots otherwise; both consume the same
/// draws and return the same indices. Requires `k <= n`.
pub fn sample_without_replacement(n: usize, k: usize, rng: &mut Rng) -> Vec<usize> {
    assert!(k <= n, "sample_without_replacement: k {k} > n {n}");
    let mut out = Vec::with_capacity(k);
    if n <= DENSE_LIMIT {
        let mut perm: Vec<usize> = (0..n).collect();
        for i in 0..k {
            let j = i + rng.below(n - i);
            perm.swap(i, j);
            out.push(perm[i]);
        }
    } else {
        sparse_partial_shuffle(n, k, rng, &mut out);
    }
    out
}

fn sparse_partial_shuffle(n: usize, k: usize, rng: &mut Rng, out: &mut Vec<usize>) {
    let mut moved: HashMap<usize, usize> = HashMap::with_capacity(2 * k);
    for i in 0..k {
        let j = i + rng.below(n - i);
        let vi = moved.get(&i).copied().unwrap_or(i);
        let vj = moved.get(&j).copied().unwrap_or(j);
        moved.insert(j, vi);
        out.push(vj);
    }
}

/// Picks `batch_size` series per step like a PyTorch `DataLoader(shuffle=True, drop_last=False)`:
/// the series order is reshuffled at the start of every epoch and consumed in chunks; the last
/// chunk of an epoch may be smaller.
#[derive(Debug, Clone)]
pub struct SeriesBatcher {
    order: Vec<usize>,
    batch_size: usize,
    pos: usize,
    epoch: usize,
}

impl SeriesBatcher {
    /// A batcher over `n_series` series; both arguments must be positive.
    pub fn new(n_series: usize, batch_size: usize) -> Result<Self, DataError> {
        if n_series == 0 || batch_size == 0 {
            return Err(DataError::InvalidArgument(format!(
                "SeriesBatcher needs n_series >= 1 and batch_size >= 1 (got {n_series}, {batch_size})"
            )));
        }
        Ok(SeriesBatcher {
            order: (0..n_series).collect(),
            batch_size,
            pos: n_series,
            epoch: 0,
        })
    }

    /// The next chunk of series indices; starts a new, reshuffled epoch when the previous one is
    /// used up.
    pub fn next_batch(&mut self, rng: &mut Rng) -> &[usize] {
        if self.pos >= self.order.len() {
            self.order.sort_unstable();
            rng.shuffle(&mut self.order);
            self.pos = 0;
            self.epoch += 1;
        }
        let end = (self.pos + self.batch_size).min(self.order.len());
        let r = self.pos..end;
        self.pos = end;
        &self.order[r]
    }

    /// Number of epochs started so far.
    pub fn epochs_started(&self) -> usize {
        self.epoch
    }

    /// Batches per epoch (`ceil(n_series / batch_size)`).
    pub fn batches_per_epoch(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }
}
