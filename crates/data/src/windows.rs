//! Training windows, with Python NeuralForecast's semantics, computed lazily.
//!
//! NeuralForecast pads each training series with zeros of mask 0: `h` points on the right, and
//! `input_size - 1` points on the left when `start_padding_enabled` (its `ConstantPad1d(
//! (input_size - 1, h))`). Its dataset also left-pads every series to the length of the longest
//! series of the panel, which shifts the grid of window starts when `step_size > 1`; use
//! [`WindowConfig::index_aligned`] to reproduce that exactly. Candidate windows of length
//! `input_size + h` start at `0, step, 2 step, ...` of the padded series; a window is kept when its
//! input part has at least one available point and (for `h > 0`) its output part too.
//!
//! Window starts are expressed in the series' own coordinates: start `-3` means the window begins
//! three points before the first observation (those three are padding).

use crate::error::DataError;

/// Window geometry: NeuralForecast's `input_size`, `h`, `step_size`, `start_padding_enabled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WindowConfig {
    /// Input length `L` (at least 1).
    pub input_size: usize,
    /// Horizon `h` (0 allowed: input-only windows).
    pub horizon: usize,
    /// Distance between consecutive candidate starts (at least 1).
    pub step_size: usize,
    /// Pad `input_size - 1` zeros on the left so early points can be forecast.
    pub start_padding_enabled: bool,
}

impl WindowConfig {
    /// A configuration; fails when `input_size` or `step_size` is zero.
    pub fn new(
        input_size: usize,
        horizon: usize,
        step_size: usize,
        start_padding_enabled: bool,
    ) -> Result<Self, DataError> {
        if input_size == 0 || step_size == 0 {
            return Err(DataError::InvalidArgument(format!(
                "windows need input_size >= 1 and step_size >= 1 (got {input_size}, {step_size})"
            )));
        }
        Ok(WindowConfig {
            input_size,
            horizon,
            step_size,
            start_padding_enabled,
        })
    }

    /// `input_size + horizon`.
    pub fn window_len(&self) -> usize {
        self.input_size + self.horizon
    }

    /// Kept windows of one series of `series_len` points, on its own grid.
    pub fn index(&self, series_len: usize) -> WindowIndex {
        self.index_aligned(series_len, series_len)
    }

    /// Kept windows of one series of `series_len` points whose grid is aligned, like
    /// NeuralForecast's dataset, as if the series were left-padded to `aligned_len` points (the
    /// length of the longest series, minus any validation/test cut). `aligned_len < series_len`
    /// is treated as `series_len`.
    pub fn index_aligned(&self, series_len: usize, aligned_len: usize) -> WindowIndex {
        assert!(
            self.input_size > 0 && self.step_size > 0,
            "WindowConfig::index with input_size {} step_size {}",
            self.input_size,
            self.step_size
        );
        let t = series_len as i64;
        let (l, h, s) = (
            self.input_size as i64,
            self.horizon as i64,
            self.step_size as i64,
        );
        let extra = aligned_len.saturating_sub(series_len) as i64;
        let left_pad = extra + if self.start_padding_enabled { l - 1 } else { 0 };
        let padded = left_pad + t + h;
        let empty = WindowIndex {
            first_start: 0,
            step: self.step_size,
            count: 0,
        };
        if t == 0 || padded < l + h {
            return empty;
        }
        let n_unfold = (padded - l - h) / s + 1;
        // Window k covers series positions [k s - left_pad, k s - left_pad + L + h).
        // Input has an observed point: start in [1 - L, T - 1];
        // output has one (h > 0): start <= T - 1 - L.
        let lo = 1 - l;
        let hi = if h > 0 { t - 1 - l } else { t - 1 };
        let k_min = ((lo + left_pad).max(0) as u64).div_ceil(s as u64) as i64;
        let k_max_num = hi + left_pad;
        if k_max_num < 0 {
            return empty;
        }
        let k_max = (k_max_num / s).min(n_unfold - 1);
        if k_max < k_min {
            return empty;
        }
        WindowIndex {
            first_start: (k_min * s - left_pad) as isize,
            step: self.step_size,
            count: (k_max - k_min + 1) as usize,
        }
    }
}

/// The kept windows of one series: `count` starts `first_start + i * step`. Constant size; nothing
/// is materialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WindowIndex {
    first_start: isize,
    step: usize,
    count: usize,
}

impl WindowIndex {
    /// Number of kept windows.
    pub fn len(&self) -> usize {
        self.count
    }

    /// No window kept.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Start of the `i`-th kept window in series coordinates (negative: begins in the left
    /// padding). Panics if `i >= len()`.
    pub fn start(&self, i: usize) -> isize {
        assert!(
            i < self.count,
            "WindowIndex::start({i}) of {} windows",
            self.count
        );
        self.first_start + (i * self.step) as isize
    }

    /// All kept starts in order.
    pub fn starts(&self) -> impl ExactSizeIterator<Item = isize> + '_ {
        (0..self.count).map(|i| self.start(i))
    }
}

/// Writes one window into caller buffers.
///
/// `out_y` and `out_mask` have the window length `W`; position `t` holds series position
/// `start + t`. Where that lies inside `y` and the target is observed, `out_y = y`,
/// `out_mask = 1`; elsewhere (padding, or a missing target, NaN) both are 0. `out_channels` is time-major `[W, C]` with `C = channels.len()`: channel values are
/// copied wherever the position lies inside that channel (a channel may be longer than `y`, e.g.
/// future exogenous values past the end of the target), 0 elsewhere.
///
/// Panics (a caller bug) when buffer lengths disagree.
pub fn fill_window(
    y: &[f32],
    channels: &[&[f32]],
    start: isize,
    out_y: &mut [f32],
    out_mask: &mut [f32],
    out_channels: &mut [f32],
) {
    let w = out_y.len();
    let c = channels.len();
    assert!(
        out_mask.len() == w && out_channels.len() == w * c,
        "fill_window: out_y {w}, out_mask {}, out_channels {} for {c} channels",
        out_mask.len(),
        out_channels.len()
    );
    for t in 0..w {
        let p = start + t as isize;
        let inside = |len: usize| p >= 0 && (p as usize) < len;
        if inside(y.len()) && !y[p as usize].is_nan() {
            out_y[t] = y[p as usize];
            out_mask[t] = 1.0;
        } else {
            out_y[t] = 0.0;
            out_mask[t] = 0.0;
        }
        // [W, C]: row t holds the C channels at time t.
        for (j, ch) in channels.iter().enumerate() {
            out_channels[t * c + j] = if inside(ch.len()) {
                ch[p as usize]
            } else {
                0.0
            };
        }
    }
}
