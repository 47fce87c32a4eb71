//! Row collection and validation shared by the CSV reader and the in-memory constructor
//! ([`PanelFrame::from_columns`], defined here).
//!
//! Checks, in order: per row (as rows arrive) non-finite target or exogenous values and mixed
//! timestamp kinds; then no rows; then per series, in series order, duplicated and decreasing
//! timestamps; then the frequency (given, or inferred from the first series where it can be);
//! then per series timestamps on the frequency's anchor and exactly one period apart.

use crate::ds::Ds;
use crate::error::{DataError, Location};
use crate::frame::{ColumnNames, PanelFrame};
use crate::freq::Freq;
use std::collections::{HashMap, HashSet};

impl PanelFrame {
    /// Builds a frame from in-memory long-format columns: one entry per row in each of `ids`, `ds`,
    /// `y` and every exogenous column. Rows of a series need not be contiguous but must be in
    /// increasing time order. `freq = None` infers it. Errors name the 0-based row.
    pub fn from_columns(
        ids: Vec<String>,
        ds: Vec<Ds>,
        y: Vec<f32>,
        exog: Vec<(String, Vec<f32>)>,
        freq: Option<Freq>,
    ) -> Result<PanelFrame, DataError> {
        PanelFrame::from_columns_with(ids, ds, y, exog, freq, Repairs::default())
    }

    /// [`PanelFrame::from_columns`] with the `repairs` asked for (NaN targets are missing values
    /// when `repairs.missing_targets`); [`PanelFrame::repair_notes`] says what they changed.
    pub fn from_columns_with(
        ids: Vec<String>,
        ds: Vec<Ds>,
        y: Vec<f32>,
        exog: Vec<(String, Vec<f32>)>,
        freq: Option<Freq>,
        repairs: Repairs,
    ) -> Result<PanelFrame, DataError> {
        let n = ids.len();
        let check = |column: &str, got: usize| {
            if got == n {
                Ok(())
            } else {
                Err(DataError::LengthMismatch {
                    column: column.to_string(),
                    expected: n,
                    got,
                })
            }
        };
        check("ds", ds.len())?;
        check("y", y.len())?;
        for (name, col) in &exog {
            check(name, col.len())?;
        }
        let names = ColumnNames::default();
        let exog_names: Vec<String> = exog.iter().map(|(n, _)| n.clone()).collect();
        check_unique_columns(
            [&names.id_col, &names.time_col, &names.target_col]
                .into_iter()
                .chain(&exog_names),
        )?;
        let mut raw = RawPanel::new(names, exog_names, n, repairs);
        let mut row_exog = vec![0.0f32; exog.len()];
        for r in 0..n {
            for (slot, (_, col)) in row_exog.iter_mut().zip(&exog) {
                *slot = col[r];
            }
            raw.push_row(&ids[r], ds[r], y[r], &row_exog, Location::Row(r))?;
        }
        raw.finish(freq, "the columns given to from_columns")
    }

    /// A future frame (no target: `unique_id, ds` and future exogenous columns, as
    /// [`PanelFrame::future_frame`] makes and `predict` takes as `futr_df`) from in-memory
    /// columns, validated as [`PanelFrame::from_columns`] does.
    pub fn future_from_columns(
        ids: Vec<String>,
        ds: Vec<Ds>,
        exog: Vec<(String, Vec<f32>)>,
        freq: Option<Freq>,
    ) -> Result<PanelFrame, DataError> {
        let y = vec![0.0; ids.len()];
        let mut frame = PanelFrame::from_columns(ids, ds, y, exog, freq)?;
        frame.has_target = false;
        Ok(frame)
    }
}

/// The name of NeuralForecast's mask column: rows where it is 0 have no observed target.
pub const AVAILABLE_MASK_COL: &str = "available_mask";

/// Most rows `fill_gaps` inserts in one load (a wrong frequency would otherwise ask for billions).
pub const MAX_FILLED_ROWS: usize = 10_000_000;

/// Repairs a load may make, each off by default (the default is strict: unsorted rows, gaps and
/// missing targets are errors). Every repair asked for leaves one line in
/// [`PanelFrame::repair_notes`] saying what it changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Repairs {
    /// Reorder the rows of each series by time (pandas' `sort_values`); duplicates stay errors.
    pub sort: bool,
    /// Insert the missing timestamps of each series (utilsforecast's `fill_gaps`): their targets
    /// are missing (masked), their exogenous values those of the row before.
    pub fill_gaps: bool,
    /// Read empty and NaN targets as missing values, masked out of training and scaling
    /// (NeuralForecast's `available_mask = 0`) instead of refusing them.
    pub missing_targets: bool,
}

/// Fails on a repeated name.
pub(crate) fn check_unique_columns<'a>(
    names: impl IntoIterator<Item = &'a String>,
) -> Result<(), DataError> {
    let mut seen = HashSet::new();
    for n in names {
        if !seen.insert(n.as_str()) {
            return Err(DataError::DuplicateColumn { column: n.clone() });
        }
    }
    Ok(())
}

/// Rows in input order, with the series of each row interned.
#[derive(Debug)]
pub(crate) struct RawPanel {
    repairs: Repairs,
    /// Targets marked unavailable by an `available_mask` column (read as NaN).
    pub(crate) masked_by_column: usize,
    names: ColumnNames,
    exog_names: Vec<String>,
    /// Series ids in order of first appearance.
    ids: Vec<String>,
    lookup: HashMap<String, u32>,
    /// Series index of each row.
    series_of_row: Vec<u32>,
    ds: Vec<Ds>,
    y: Vec<f32>,
    /// One column per exogenous variable.
    exog: Vec<Vec<f32>>,
    locs: Vec<Location>,
}

impl RawPanel {
    pub(crate) fn new(
        names: ColumnNames,
        exog_names: Vec<String>,
        capacity: usize,
        repairs: Repairs,
    ) -> Self {
        let n_exog = exog_names.len();
        RawPanel {
            repairs,
            masked_by_column: 0,
            names,
            exog_names,
            ids: Vec::new(),
            lookup: HashMap::new(),
            series_of_row: Vec::with_capacity(capacity),
            ds: Vec::with_capacity(capacity),
            y: Vec::with_capacity(capacity),
            exog: (0..n_exog).map(|_| Vec::with_capacity(capacity)).collect(),
            locs: Vec::with_capacity(capacity),
        }
    }

    /// The target of a row whose `available_mask` is `mask`: itself for 1, missing (NaN) for 0;
    /// any other value is [`DataError::BadMask`] (`text` is how the file spells it).
    pub(crate) fn mask_target(
        &mut self,
        y: f32,
        mask: f32,
        id: &str,
        loc: Location,
        text: &str,
    ) -> Result<f32, DataError> {
        match mask {
            1.0 => Ok(y),
            0.0 => {
                self.masked_by_column += 1;
                Ok(f32::NAN)
            }
            _ => Err(DataError::BadMask {
                series: id.to_string(),
                loc,
                value: text.to_string(),
            }),
        }
    }

    /// Appends one row after checking its values.
    pub(crate) fn push_row(
        &mut self,
        id: &str,
        ds: Ds,
        y: f32,
        exog: &[f32],
        loc: Location,
    ) -> Result<(), DataError> {
        debug_assert_eq!(exog.len(), self.exog.len());
        if let Some(first) = self.ds.first()
            && first.is_int() != ds.is_int()
        {
            return Err(DataError::MixedTimestampKinds {
                series: id.to_string(),
                loc,
                value: ds.to_string(),
                expected: first.kind_name(),
                found: ds.kind_name(),
            });
        }
        let missing_ok = y.is_nan() && (self.repairs.missing_targets || self.masked_by_column > 0);
        if !y.is_finite() && !missing_ok {
            return Err(DataError::NonFiniteTarget {
                series: id.to_string(),
                loc,
                column: self.names.target_col.clone(),
                value: y,
            });
        }
        for (v, name) in exog.iter().zip(&self.exog_names) {
            if !v.is_finite() {
                return Err(DataError::NonFiniteExog {
                    series: id.to_string(),
                    loc,
                    column: name.clone(),
                    value: *v,
                });
            }
        }
        let s = match self.lookup.get(id) {
            Some(&s) => s,
            None => {
                let s = u32::try_from(self.ids.len())
                    .map_err(|_| DataError::InvalidArgument("more than u32::MAX series".into()))?;
                self.ids.push(id.to_string());
                self.lookup.insert(id.to_string(), s);
                s
            }
        };
        self.series_of_row.push(s);
        self.ds.push(ds);
        self.y.push(y);
        for (col, v) in self.exog.iter_mut().zip(exog) {
            col.push(*v);
        }
        self.locs.push(loc);
        Ok(())
    }

    /// Groups rows by series (stable), validates, and builds the frame. `what` names the input in
    /// the "empty" error.
    pub(crate) fn finish(self, freq: Option<Freq>, what: &str) -> Result<PanelFrame, DataError> {
        let n = self.y.len();
        if n == 0 {
            return Err(DataError::Empty {
                what: what.to_string(),
            });
        }
        let n_series = self.ids.len();
        // Counting sort of rows by series, keeping input order within a series.
        let mut indptr = vec![0usize; n_series + 1];
        for &s in &self.series_of_row {
            indptr[s as usize + 1] += 1;
        }
        for i in 0..n_series {
            indptr[i + 1] += indptr[i];
        }
        let mut next = indptr.clone();
        let mut perm = vec![0usize; n];
        for (row, &s) in self.series_of_row.iter().enumerate() {
            perm[next[s as usize]] = row;
            next[s as usize] += 1;
        }
        let mut notes = Vec::new();
        if self.repairs.sort {
            let (mut series, mut moved) = (0, 0);
            for i in 0..n_series {
                let seg = &mut perm[indptr[i]..indptr[i + 1]];
                if seg.windows(2).any(|w| self.ds[w[1]] < self.ds[w[0]]) {
                    let before = seg.to_vec();
                    seg.sort_by_key(|&r| self.ds[r]); // stable: duplicates keep their order
                    series += 1;
                    moved += before
                        .iter()
                        .zip(seg.iter())
                        .filter(|(a, b)| a != b)
                        .count();
                }
            }
            notes.push(if series == 0 {
                "sort: every series was already in time order".to_string()
            } else {
                format!("sort: reordered {moved} rows of {series} series by time")
            });
        }
        let ds: Vec<Ds> = perm.iter().map(|&r| self.ds[r]).collect();
        let locs: Vec<Location> = perm.iter().map(|&r| self.locs[r]).collect();

        // Order and duplicates.
        for i in 0..n_series {
            let r = indptr[i]..indptr[i + 1];
            check_order(&self.ids[i], &ds[r.clone()], &locs[r])?;
        }

        // Frequency.
        let freq = match freq {
            Some(f) => {
                f.check_kind(&ds[0])?;
                f
            }
            None => infer_panel_freq(&ds, &indptr)?,
        };

        // Rows of the frame: an index into `perm`, and whether it was inserted to fill a gap
        // (then it repeats the row before for its exogenous values and location).
        let mut rows: Vec<(usize, Option<Ds>)> = (0..n).map(|k| (k, None)).collect();
        if self.repairs.fill_gaps {
            let (mut inserted, mut series) = (0usize, 0usize);
            let mut filled = Vec::with_capacity(n);
            let mut new_indptr = vec![0usize; n_series + 1];
            for i in 0..n_series {
                let before = inserted;
                for k in indptr[i]..indptr[i + 1] {
                    if k > indptr[i] && freq.is_on_offset(&ds[k - 1]) {
                        let mut t = freq.advance(&ds[k - 1], 1)?;
                        while t < ds[k] {
                            inserted += 1;
                            if inserted > MAX_FILLED_ROWS {
                                return Err(DataError::InvalidArgument(format!(
                                    "fill_gaps would insert more than {MAX_FILLED_ROWS} rows \
                                     (series `{}`: {} to {} at frequency {freq}); check the frequency",
                                    self.ids[i],
                                    ds[k - 1],
                                    ds[k]
                                )));
                            }
                            filled.push((k - 1, Some(t)));
                            t = freq.advance(&t, 1)?;
                        }
                    }
                    filled.push((k, None));
                }
                series += usize::from(inserted > before);
                new_indptr[i + 1] = filled.len();
            }
            notes.push(if inserted == 0 {
                "fill_gaps: no timestamp was missing".to_string()
            } else {
                format!(
                    "fill_gaps: inserted {inserted} missing timestamps in {series} series \
                     (targets masked as unavailable, exogenous values carried forward)"
                )
            });
            rows = filled;
            indptr = new_indptr;
        }
        let ds: Vec<Ds> = rows.iter().map(|&(k, t)| t.unwrap_or(ds[k])).collect();
        let locs: Vec<Location> = rows.iter().map(|&(k, _)| locs[k]).collect();
        for i in 0..n_series {
            let r = indptr[i]..indptr[i + 1];
            check_freq(&self.ids[i], &ds[r.clone()], &locs[r], freq)?;
        }

        let y: Vec<f32> = rows
            .iter()
            .map(|&(k, t)| {
                if t.is_some() {
                    f32::NAN
                } else {
                    self.y[perm[k]]
                }
            })
            .collect();
        let exog = self
            .exog
            .iter()
            .map(|col| rows.iter().map(|&(k, _)| col[perm[k]]).collect())
            .collect();
        if self.masked_by_column > 0 {
            notes.push(format!(
                "{AVAILABLE_MASK_COL}: {} targets marked unavailable are masked in training",
                self.masked_by_column
            ));
        }
        if self.repairs.missing_targets {
            let missing: Vec<usize> = (0..n_series)
                .map(|i| {
                    (indptr[i]..indptr[i + 1])
                        .filter(|&r| rows[r].1.is_none() && y[r].is_nan())
                        .count()
                })
                .collect();
            let total: usize = missing.iter().sum();
            let series = missing.iter().filter(|&&m| m > 0).count();
            notes.push(format!(
                "missing_targets: {total} empty or NaN targets in {series} series are masked in training (available_mask = 0)"
            ));
        }
        Ok(PanelFrame {
            names: self.names,
            freq,
            ids: self.ids,
            indptr,
            ds,
            y,
            exog_names: self.exog_names,
            exog,
            static_names: Vec::new(),
            static_values: Vec::new(),
            has_target: true,
            notes,
        })
    }
}

/// Strictly increasing timestamps within one series.
fn check_order(series: &str, ds: &[Ds], locs: &[Location]) -> Result<(), DataError> {
    for k in 1..ds.len() {
        let (prev, cur) = (ds[k - 1], ds[k]);
        if cur == prev {
            return Err(DataError::DuplicateTimestamp {
                series: series.to_string(),
                loc: locs[k],
                first: locs[k - 1],
                ds: cur,
            });
        }
        if cur < prev {
            return Err(DataError::Unsorted {
                series: series.to_string(),
                loc: locs[k],
                ds: cur,
                prev,
            });
        }
    }
    Ok(())
}

/// Every timestamp on offset and exactly one period after the previous one.
fn check_freq(series: &str, ds: &[Ds], locs: &[Location], freq: Freq) -> Result<(), DataError> {
    for (k, d) in ds.iter().enumerate() {
        if !freq.is_on_offset(d) {
            return Err(DataError::OffFrequency {
                series: series.to_string(),
                loc: locs[k],
                ds: *d,
                freq,
                anchor: freq.anchor_name(),
            });
        }
        if k > 0 {
            let expected = freq.advance(&ds[k - 1], 1)?;
            if expected != *d {
                return Err(DataError::Gap {
                    series: series.to_string(),
                    loc: locs[k],
                    ds: *d,
                    prev: ds[k - 1],
                    expected,
                    freq,
                });
            }
        }
    }
    Ok(())
}

/// The frequency of the first series (in order) of three points or more whose timestamps are all
/// evenly spaced (a two-point series fits many multiples, so such series are tried only after
/// every longer one); failing that, the spacing of the first two timestamps of the first series
/// with two points or more. With integer timestamps and only single-point series, the step is 1.
fn infer_panel_freq(ds: &[Ds], indptr: &[usize]) -> Result<Freq, DataError> {
    let mut any_long = false;
    for min_len in [3, 2] {
        for w in indptr.windows(2) {
            let s = &ds[w[0]..w[1]];
            if s.len() >= min_len {
                any_long = true;
                if let Some(f) = Freq::infer(s) {
                    return Ok(f);
                }
            }
        }
    }
    // Fallback: the spacing of the first two timestamps of the first long series, so that the
    // frequency check then reports the gap with its series and row.
    for w in indptr.windows(2) {
        if w[1] - w[0] >= 2
            && let Some(f) = Freq::infer(&ds[w[0]..w[0] + 2])
        {
            return Ok(f);
        }
    }
    if !any_long && ds[0].is_int() {
        return Ok(Freq::Int(1));
    }
    let reason = if any_long {
        "no series has timestamps evenly spaced by a frequency (a multiple of ms, s, min, h, D, B, W, MS, ME, QS, QE, YS, YE) or an integer step"
    } else {
        "every series has a single timestamp"
    };
    Err(DataError::CannotInferFreq {
        reason: reason.into(),
    })
}
