//! The panel frame: many series in long format, validated on construction.
//!
//! Its constructors sit above it: `PanelFrame::from_columns` in `validate`, the CSV readers in
//! `csv_io`.

use crate::ds::Ds;
use crate::error::DataError;
use crate::freq::Freq;
use crate::static_frame::StaticFrame;
use std::collections::HashMap;
use std::ops::Range;

/// Names of the id, time and target columns (NeuralForecast's `id_col`, `time_col`, `target_col`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ColumnNames {
    /// Series identifier column; default `unique_id`.
    pub id_col: String,
    /// Timestamp column; default `ds`.
    pub time_col: String,
    /// Target column; default `y`.
    pub target_col: String,
}

impl Default for ColumnNames {
    fn default() -> Self {
        ColumnNames {
            id_col: "unique_id".into(),
            time_col: "ds".into(),
            target_col: "y".into(),
        }
    }
}

/// Many time series in long format (`unique_id, ds, y, exog...`), stored column-wise with the
/// rows of each series contiguous. Series keep the order of their first appearance in the input;
/// rows keep their input order (which validation requires to be increasing in time).
///
/// Invariants (checked by every constructor): at least one series, every series non-empty, one
/// timestamp kind, timestamps strictly increasing and exactly one `freq` period apart, all values
/// finite except missing targets, which are NaN (only when the load allowed them, see
/// [`crate::Repairs`]; training masks them out, as NeuralForecast's `available_mask`).
#[derive(Debug, Clone, PartialEq)]
pub struct PanelFrame {
    pub(crate) names: ColumnNames,
    pub(crate) freq: Freq,
    pub(crate) ids: Vec<String>,
    /// `indptr[i]..indptr[i + 1]` are the rows of series `i`; length `n_series + 1`.
    pub(crate) indptr: Vec<usize>,
    pub(crate) ds: Vec<Ds>,
    pub(crate) y: Vec<f32>,
    pub(crate) exog_names: Vec<String>,
    /// One column per exogenous variable, each of length `len()`.
    pub(crate) exog: Vec<Vec<f32>>,
    pub(crate) static_names: Vec<String>,
    /// Row-major `[n_series, n_static]`.
    pub(crate) static_values: Vec<f32>,
    /// `false` for a future frame (no target column: `y` is all zeros and never read).
    pub(crate) has_target: bool,
    /// One line per repair the load made (see [`crate::Repairs`]).
    pub(crate) notes: Vec<String>,
}

/// A borrowed view of one series of a [`PanelFrame`].
#[derive(Clone, Copy)]
pub struct SeriesView<'a> {
    /// The series id.
    pub id: &'a str,
    /// Its timestamps, increasing.
    pub ds: &'a [Ds],
    /// Its target values.
    pub y: &'a [f32],
    frame: &'a PanelFrame,
    index: usize,
}

impl std::fmt::Debug for SeriesView<'_> {
    /// Id, position and length only (not the whole frame behind the view).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeriesView")
            .field("id", &self.id)
            .field("index", &self.index)
            .field("len", &self.len())
            .finish()
    }
}

impl<'a> SeriesView<'a> {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Always false for a series of a valid frame.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Position of this series in the frame.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The exogenous column `name` restricted to this series.
    pub fn exog(&self, name: &str) -> Option<&'a [f32]> {
        let j = self.frame.exog_names.iter().position(|n| n == name)?;
        Some(self.exog_at(j))
    }

    /// The `j`-th exogenous column (in [`PanelFrame::exog_names`] order) of this series.
    /// Panics if `j >= exog_names().len()`.
    pub fn exog_at(&self, j: usize) -> &'a [f32] {
        let r = self.frame.range(self.index);
        &self.frame.exog[j][r]
    }

    /// The static features of this series (empty when the frame has none).
    pub fn statics(&self) -> &'a [f32] {
        let k = self.frame.static_names.len();
        &self.frame.static_values[self.index * k..(self.index + 1) * k]
    }

    /// One static feature by name.
    pub fn static_value(&self, name: &str) -> Option<f32> {
        let j = self.frame.static_names.iter().position(|n| n == name)?;
        Some(self.statics()[j])
    }

    /// The last timestamp.
    pub fn last_ds(&self) -> Ds {
        self.ds[self.ds.len() - 1]
    }
}

impl PanelFrame {
    /// Renames the id/time/target columns (used by [`PanelFrame::to_csv`]).
    pub fn with_column_names(mut self, names: ColumnNames) -> PanelFrame {
        self.names = names;
        self
    }

    /// Attaches static features. Every series of the frame needs a row in `statics` (else
    /// [`DataError::MissingStatic`]); rows of ids absent from the frame are ignored. Rows are
    /// reordered to the frame's series order.
    pub fn with_static(mut self, statics: StaticFrame) -> Result<PanelFrame, DataError> {
        let k = statics.names.len();
        let pos: HashMap<&str, usize> = statics
            .ids
            .iter()
            .enumerate()
            .map(|(r, id)| (id.as_str(), r))
            .collect();
        let mut values = Vec::with_capacity(self.ids.len() * k);
        for id in &self.ids {
            let r = *pos
                .get(id.as_str())
                .ok_or_else(|| DataError::MissingStatic { series: id.clone() })?;
            values.extend_from_slice(&statics.values[r * k..(r + 1) * k]);
        }
        self.static_names = statics.names;
        self.static_values = values;
        Ok(self)
    }

    /// Number of series.
    pub fn n_series(&self) -> usize {
        self.ids.len()
    }

    /// Total number of rows (all series).
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Always false for a valid frame.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Row range of series `i` in the column storage.
    fn range(&self, i: usize) -> Range<usize> {
        self.indptr[i]..self.indptr[i + 1]
    }

    /// Series `i` (in order of first appearance). Panics if `i >= n_series()`.
    pub fn series(&self, i: usize) -> SeriesView<'_> {
        assert!(
            i < self.n_series(),
            "PanelFrame::series({i}) with {} series",
            self.n_series()
        );
        let r = self.range(i);
        SeriesView {
            id: &self.ids[i],
            ds: &self.ds[r.clone()],
            y: &self.y[r],
            frame: self,
            index: i,
        }
    }

    /// All series in order.
    pub fn iter_series(&self) -> impl ExactSizeIterator<Item = SeriesView<'_>> + '_ {
        (0..self.n_series()).map(|i| self.series(i))
    }

    /// Position of the series with this id.
    pub fn series_index(&self, id: &str) -> Option<usize> {
        self.ids.iter().position(|i| i == id)
    }

    /// Series ids in order of first appearance.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// Exogenous column names, in input order.
    pub fn exog_names(&self) -> &[String] {
        &self.exog_names
    }

    /// Static feature names (empty without static features).
    pub fn static_names(&self) -> &[String] {
        &self.static_names
    }

    /// The frequency (given or inferred).
    pub fn freq(&self) -> Freq {
        self.freq
    }

    /// The column names.
    pub fn column_names(&self) -> &ColumnNames {
        &self.names
    }

    /// Length of each series, in order.
    pub fn series_lens(&self) -> Vec<usize> {
        self.indptr.windows(2).map(|w| w[1] - w[0]).collect()
    }

    /// Length of the longest series.
    pub fn max_len(&self) -> usize {
        self.series_lens().into_iter().max().unwrap_or(0)
    }

    /// Length of the shortest series.
    pub fn min_len(&self) -> usize {
        self.series_lens().into_iter().min().unwrap_or(0)
    }

    /// `true` when some timestamp has a non-midnight time of day (then [`PanelFrame::to_csv`]
    /// prints every date with its time).
    pub fn has_time(&self) -> bool {
        self.ds.iter().any(Ds::has_time)
    }

    /// The `h` timestamps after the end of series `i` (the forecast dates).
    pub fn future_ds(&self, i: usize, h: usize) -> Result<Vec<Ds>, DataError> {
        self.freq.range_after(&self.series(i).last_ds(), h)
    }

    /// Fails with [`DataError::TooShort`] naming the first series with fewer than `min_len`
    /// points. Without start padding NeuralForecast keeps a training window as soon as its
    /// output part has one observed point, so one window needs `input_size + 1` points
    /// (`input_size + h` for a window fully observed); the caller chooses.
    pub fn check_min_length(&self, min_len: usize) -> Result<(), DataError> {
        match self.iter_series().find(|s| s.len() < min_len) {
            Some(s) => Err(DataError::TooShort {
                series: s.id.to_string(),
                len: s.len(),
                needed: min_len,
                context: String::new(),
            }),
            None => Ok(()),
        }
    }

    /// A new frame keeping, for each series `i`, the rows `pick(i, len)` (relative to the series'
    /// start); `None` drops the series. Ranges must be non-empty and inside the series.
    fn select(&self, mut pick: impl FnMut(usize, usize) -> Option<Range<usize>>) -> PanelFrame {
        self.select_in_order((0..self.n_series()).filter_map(|i| {
            let len = self.indptr[i + 1] - self.indptr[i];
            pick(i, len).map(|r| (i, r))
        }))
    }

    /// A new frame of the series `(i, rows)` in the order given, each keeping `rows` (relative to
    /// the series' start; non-empty and inside the series).
    fn select_in_order(&self, order: impl Iterator<Item = (usize, Range<usize>)>) -> PanelFrame {
        let k = self.static_names.len();
        let mut out = PanelFrame {
            names: self.names.clone(),
            freq: self.freq,
            ids: Vec::new(),
            indptr: vec![0],
            ds: Vec::new(),
            y: Vec::new(),
            exog_names: self.exog_names.clone(),
            exog: vec![Vec::new(); self.exog.len()],
            static_names: self.static_names.clone(),
            static_values: Vec::new(),
            has_target: self.has_target,
            notes: Vec::new(),
        };
        for (i, r) in order {
            let base = self.indptr[i];
            assert!(
                !r.is_empty() && base + r.end <= self.indptr[i + 1],
                "PanelFrame::select: bad range {r:?} for series {i}"
            );
            let abs = base + r.start..base + r.end;
            out.ids.push(self.ids[i].clone());
            out.ds.extend_from_slice(&self.ds[abs.clone()]);
            out.y.extend_from_slice(&self.y[abs.clone()]);
            for (dst, src) in out.exog.iter_mut().zip(&self.exog) {
                dst.extend_from_slice(&src[abs.clone()]);
            }
            out.static_values
                .extend_from_slice(&self.static_values[i * k..(i + 1) * k]);
            out.indptr.push(out.y.len());
        }
        out
    }

    /// What the repairs asked for at load time changed ([`crate::Repairs`]), one line each,
    /// e.g. `sort: reordered 3 rows of 1 series by time`; empty when none was asked for.
    pub fn repair_notes(&self) -> &[String] {
        &self.notes
    }

    /// Number of missing targets (NaN: masked in training), from `Repairs::missing_targets`,
    /// `fill_gaps` or an `available_mask` column.
    pub fn n_missing(&self) -> usize {
        self.y.iter().filter(|v| v.is_nan()).count()
    }

    /// `false` for a future frame ([`PanelFrame::future_frame`], the `future_from_csv_*`
    /// readers): it has no target column, and [`PanelFrame::to_csv`] writes none.
    pub fn has_target(&self) -> bool {
        self.has_target
    }

    /// The frame a user fills with future exogenous values: for every series, its next `h`
    /// timestamps (NeuralForecast's `make_future_dataframe`), with no target and no exogenous
    /// columns. `h >= 1`.
    pub fn future_frame(&self, h: usize) -> Result<PanelFrame, DataError> {
        if h == 0 {
            return Err(DataError::InvalidArgument(
                "a future frame needs h >= 1".into(),
            ));
        }
        let mut ds = Vec::with_capacity(self.n_series() * h);
        let mut indptr = Vec::with_capacity(self.n_series() + 1);
        indptr.push(0);
        for i in 0..self.n_series() {
            ds.extend(self.future_ds(i, h)?);
            indptr.push(ds.len());
        }
        Ok(PanelFrame {
            names: self.names.clone(),
            freq: self.freq,
            ids: self.ids.clone(),
            indptr,
            y: vec![0.0; ds.len()],
            ds,
            exog_names: Vec::new(),
            exog: Vec::new(),
            static_names: Vec::new(),
            static_values: Vec::new(),
            has_target: false,
            notes: Vec::new(),
        })
    }

    /// Checks that `futr` holds exactly the next `h` timestamps of every series of this frame
    /// and returns its rows in this frame's series order (series of `futr` absent here are
    /// dropped). Errors name the series and the first wrong timestamp:
    /// [`DataError::FutureMissingSeries`], [`DataError::FutureWrongDate`],
    /// [`DataError::FutureRowCount`].
    pub fn align_future(&self, futr: &PanelFrame, h: usize) -> Result<PanelFrame, DataError> {
        let mut order = Vec::with_capacity(self.n_series());
        for i in 0..self.n_series() {
            let id = &self.ids[i];
            let expected = self.future_ds(i, h)?;
            let span = |e: &[Ds]| (e[0], e[e.len() - 1]);
            let Some(j) = futr.series_index(id) else {
                let (first, last) = span(&expected);
                return Err(DataError::FutureMissingSeries {
                    series: id.clone(),
                    h,
                    first,
                    last,
                });
            };
            let got = futr.series(j).ds;
            if let Some(k) = (0..h.min(got.len())).find(|&k| got[k] != expected[k]) {
                return Err(DataError::FutureWrongDate {
                    series: id.clone(),
                    position: k + 1,
                    found: got[k],
                    expected: expected[k],
                });
            }
            if got.len() != h {
                let (first, last) = span(&expected);
                return Err(DataError::FutureRowCount {
                    series: id.clone(),
                    rows: got.len(),
                    h,
                    first,
                    last,
                });
            }
            order.push((j, 0..h));
        }
        Ok(futr.select_in_order(order.into_iter()))
    }

    /// Splits every series into its first `len - n` points (train) and its last `n` points (test).
    /// Every series needs more than `n` points; `n` must be at least 1.
    pub fn split_tail(&self, n: usize) -> Result<(PanelFrame, PanelFrame), DataError> {
        if n == 0 {
            return Err(DataError::InvalidArgument("split_tail needs n >= 1".into()));
        }
        if let Some(s) = self.iter_series().find(|s| s.len() <= n) {
            return Err(DataError::TooShort {
                series: s.id.to_string(),
                len: s.len(),
                needed: n + 1,
                context: format!(" to hold out the last {n}"),
            });
        }
        let train = self.select(|_, len| Some(0..len - n));
        let test = self.select(|_, len| Some(len - n..len));
        Ok((train, test))
    }

    /// The last `n` points of every series (all of a series shorter than `n`); `n >= 1`.
    pub fn tail(&self, n: usize) -> Result<PanelFrame, DataError> {
        if n == 0 {
            return Err(DataError::InvalidArgument("tail needs n >= 1".into()));
        }
        Ok(self.select(|_, len| Some(len.saturating_sub(n)..len)))
    }

    /// The series whose ids are listed, in the frame's order. An id not in the frame is an error
    /// ([`DataError::UnknownSeries`]); an empty list is [`DataError::InvalidArgument`].
    pub fn filter_ids<S: AsRef<str>>(&self, ids: &[S]) -> Result<PanelFrame, DataError> {
        if ids.is_empty() {
            return Err(DataError::InvalidArgument(
                "filter_ids needs at least one id".into(),
            ));
        }
        let mut keep = vec![false; self.n_series()];
        for id in ids {
            let i = self
                .series_index(id.as_ref())
                .ok_or_else(|| DataError::UnknownSeries(id.as_ref().to_string()))?;
            keep[i] = true;
        }
        Ok(self.select(|i, len| keep[i].then_some(0..len)))
    }
}
