//! The crate's error type.
//!
//! Every error that comes from user data names what is wrong and where: the series, and the row
//! (the 1-based line of the CSV file when the data came from a file, or the 0-based index into the
//! in-memory columns otherwise).

use crate::ds::Ds;
use crate::freq::Freq;
use std::fmt;
use std::path::PathBuf;

/// Where a row came from, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Location {
    /// 1-based line of a CSV file (the header is line 1, the first data row line 2).
    Line(u64),
    /// 0-based index into the columns given to [`crate::PanelFrame::from_columns`].
    Row(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(l) => write!(f, "line {l}"),
            Location::Row(r) => write!(f, "row {r}"),
        }
    }
}

/// Everything that can go wrong while loading, validating or using panel data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// Reading or writing failed.
    #[error("i/o error{}: {source}", path.as_ref().map(|p| format!(" on {}", p.display())).unwrap_or_default())]
    Io {
        /// The file involved, when known.
        path: Option<PathBuf>,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The CSV text itself is malformed (e.g. a row with a different number of fields).
    #[error("malformed CSV{}: {message}", line.map(|l| format!(" at line {l}")).unwrap_or_default())]
    Csv {
        /// 1-based line, when known.
        line: Option<u64>,
        /// The CSV reader's description.
        message: String,
    },
    /// The input has no header or no data rows.
    #[error("{what} has no data rows")]
    Empty {
        /// What was empty ("file data/x.csv", "CSV input", ...).
        what: String,
    },
    /// A required column is absent from the header.
    #[error("missing column `{column}`; the header has: {}", available.join(", "))]
    MissingColumn {
        /// The column that was looked for.
        column: String,
        /// The columns that are there.
        available: Vec<String>,
    },
    /// The same column name appears twice in the header.
    #[error("column `{column}` appears more than once in the header")]
    DuplicateColumn {
        /// The repeated column name.
        column: String,
    },
    /// In-memory columns of different lengths.
    #[error("column `{column}` has {got} values, expected {expected}")]
    LengthMismatch {
        /// The offending column.
        column: String,
        /// The length of the id column.
        expected: usize,
        /// Its length.
        got: usize,
    },
    /// A number could not be parsed.
    #[error("series `{series}`, {loc}: cannot parse `{value}` in column `{column}` as a number")]
    ParseNumber {
        /// The series of the row.
        series: String,
        /// The row.
        loc: Location,
        /// The column.
        column: String,
        /// The text found.
        value: String,
    },
    /// A timestamp could not be parsed as an integer or a date.
    #[error(
        "series `{series}`, {loc}: cannot parse `{value}` in column `{column}` as a timestamp \
         (expected an integer, YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS], optionally with Z or a UTC offset)"
    )]
    ParseDate {
        /// The series of the row.
        series: String,
        /// The row.
        loc: Location,
        /// The time column's name.
        column: String,
        /// The text found.
        value: String,
    },
    /// Integer and date timestamps mixed in one frame.
    #[error(
        "series `{series}`, {loc}: timestamp `{value}` is {found} but earlier timestamps are {expected}; \
         a frame uses one kind of timestamp"
    )]
    MixedTimestampKinds {
        /// The series of the row.
        series: String,
        /// The row.
        loc: Location,
        /// The timestamp.
        value: String,
        /// Kind of the first timestamp ("an integer" / "a date").
        expected: &'static str,
        /// Kind of this one.
        found: &'static str,
    },
    /// NaN or infinity in the target.
    #[error(
        "series `{series}`, {loc}: target column `{column}` is {value}; missing and non-finite targets are not allowed \
         (load with missing_targets / --allow-missing to mask missing ones)"
    )]
    NonFiniteTarget {
        /// The series.
        series: String,
        /// The row.
        loc: Location,
        /// The target column's name.
        column: String,
        /// The value (NaN, inf or -inf).
        value: f32,
    },
    /// An `available_mask` value other than 0 or 1.
    #[error("series `{series}`, {loc}: available_mask is `{value}`; it must be 0 or 1")]
    BadMask {
        /// The series.
        series: String,
        /// The row.
        loc: Location,
        /// The text found.
        value: String,
    },
    /// NaN or infinity in an exogenous or static column.
    #[error(
        "series `{series}`, {loc}: column `{column}` is {value}; missing and non-finite exogenous values are not allowed"
    )]
    NonFiniteExog {
        /// The series.
        series: String,
        /// The row.
        loc: Location,
        /// The column.
        column: String,
        /// The value.
        value: f32,
    },
    /// The same (unique_id, ds) twice.
    #[error("series `{series}`, {loc}: duplicated timestamp {ds} (first seen at {first})")]
    DuplicateTimestamp {
        /// The series.
        series: String,
        /// The second occurrence.
        loc: Location,
        /// The first occurrence.
        first: Location,
        /// The timestamp.
        ds: Ds,
    },
    /// Timestamps decrease within a series.
    #[error(
        "series `{series}`, {loc}: timestamp {ds} comes after {prev}; rows must be sorted by time \
         within each series (sort the data by unique_id, ds before loading, or load with sort / --sort)"
    )]
    Unsorted {
        /// The series.
        series: String,
        /// The row whose timestamp is smaller than the previous one.
        loc: Location,
        /// This row's timestamp.
        ds: Ds,
        /// The previous row's timestamp.
        prev: Ds,
    },
    /// Consecutive timestamps are more than one period apart.
    #[error(
        "series `{series}`, {loc}: timestamp {ds} follows {prev} but frequency {freq} expects {expected}; \
         gaps are not allowed (fill the missing periods, or load with fill_gaps / --fill-gaps)"
    )]
    Gap {
        /// The series.
        series: String,
        /// The row after the gap.
        loc: Location,
        /// Its timestamp.
        ds: Ds,
        /// The previous timestamp.
        prev: Ds,
        /// The expected timestamp.
        expected: Ds,
        /// The frequency.
        freq: Freq,
    },
    /// A timestamp is not on the frequency's anchor (e.g. not a month end for `ME`).
    #[error(
        "series `{series}`, {loc}: timestamp {ds} is not on frequency {freq} (expected {anchor})"
    )]
    OffFrequency {
        /// The series.
        series: String,
        /// The row.
        loc: Location,
        /// The timestamp.
        ds: Ds,
        /// The frequency.
        freq: Freq,
        /// What the frequency requires ("the last day of a month", ...).
        anchor: String,
    },
    /// A date frequency with integer timestamps or the other way round.
    #[error("frequency {freq} does not apply to {kind} timestamps")]
    FreqKindMismatch {
        /// The frequency.
        freq: Freq,
        /// "integer" or "date".
        kind: &'static str,
    },
    /// No frequency was given and none could be inferred.
    #[error("cannot infer the frequency: {reason}; pass it explicitly")]
    CannotInferFreq {
        /// Why.
        reason: String,
    },
    /// A frequency string that is not recognised.
    #[error(
        "unknown frequency `{0}`; expected a pandas alias with an optional multiple (ms, s, min, h, D, B, W-SUN..W-SAT, MS, ME, QS[-MON], QE[-MON], YS[-MON], YE[-MON], e.g. 15min, 2h, QS-FEB) or a positive integer step"
    )]
    UnknownFreq(String),
    /// A scaler name that is not recognised.
    #[error(
        "unknown scaler `{0}`; expected identity, standard, robust, minmax, minmax1, invariant or revin"
    )]
    UnknownScaler(String),
    /// Date arithmetic left chrono's range.
    #[error("date arithmetic out of range: {ds} advanced by {n} periods of {freq}")]
    DateOutOfRange {
        /// The start.
        ds: Ds,
        /// Number of periods.
        n: i64,
        /// The frequency.
        freq: Freq,
    },
    /// A series is shorter than needed.
    #[error("series `{series}` has {len} points but at least {needed} are needed{context}")]
    TooShort {
        /// The series.
        series: String,
        /// Its length.
        len: usize,
        /// The required length.
        needed: usize,
        /// Extra explanation (may be empty).
        context: String,
    },
    /// A future frame has no rows for a series of the data.
    #[error(
        "futr_df has no rows for series `{series}`; it needs the series' next {h} timestamps, {first} to {last}"
    )]
    FutureMissingSeries {
        /// The series.
        series: String,
        /// The horizon.
        h: usize,
        /// The first timestamp needed.
        first: Ds,
        /// The last timestamp needed.
        last: Ds,
    },
    /// A future frame's timestamp is not the one the forecast needs.
    #[error(
        "futr_df, series `{series}`: future row {position} is {found} but the forecast's row {position} is {expected}; \
         futr_df must hold each series' next h timestamps"
    )]
    FutureWrongDate {
        /// The series.
        series: String,
        /// 1-based position among the series' future rows.
        position: usize,
        /// The timestamp found.
        found: Ds,
        /// The timestamp needed.
        expected: Ds,
    },
    /// A future frame has more or fewer rows than the horizon for a series.
    #[error(
        "futr_df has {rows} rows for series `{series}`; it needs exactly h = {h}, {first} to {last}"
    )]
    FutureRowCount {
        /// The series.
        series: String,
        /// Its rows in the future frame.
        rows: usize,
        /// The horizon.
        h: usize,
        /// The first timestamp needed.
        first: Ds,
        /// The last timestamp needed.
        last: Ds,
    },
    /// A series id that is not in the frame.
    #[error("series `{0}` is not in the frame")]
    UnknownSeries(String),
    /// A series of the panel has no row in the static frame.
    #[error("series `{series}` has no row in the static frame")]
    MissingStatic {
        /// The series.
        series: String,
    },
    /// Two static rows for one series.
    #[error("series `{series}`, {loc}: more than one row in the static frame")]
    DuplicateStatic {
        /// The series.
        series: String,
        /// The second row.
        loc: Location,
    },
    /// Metric inputs of different lengths.
    #[error("{what}: lengths differ ({left} vs {right})")]
    MetricLength {
        /// The metric.
        what: &'static str,
        /// First length.
        left: usize,
        /// Second length.
        right: usize,
    },
    /// Empty metric input.
    #[error("{what}: empty input")]
    MetricEmpty {
        /// The metric.
        what: &'static str,
    },
    /// A Parquet or Arrow file that cannot be read or written, or a column of a type that
    /// cannot be used.
    #[error("{0}")]
    Columnar(String),
    /// An argument out of its domain.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl DataError {
    /// Maps a `csv` crate error, keeping i/o errors as [`DataError::Io`].
    pub(crate) fn from_csv(err: csv::Error, path: Option<&std::path::Path>) -> Self {
        let line = err.position().map(|p| p.line());
        match err.into_kind() {
            csv::ErrorKind::Io(source) => DataError::Io {
                path: path.map(|p| p.to_path_buf()),
                source,
            },
            other => DataError::Csv {
                line,
                message: csv_kind_message(other),
            },
        }
    }
}

fn csv_kind_message(kind: csv::ErrorKind) -> String {
    match kind {
        csv::ErrorKind::Utf8 { err, .. } => format!("invalid UTF-8: {err}"),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("a row has {len} fields but the header has {expected_len}"),
        other => format!("{other:?}"),
    }
}
