//! Reading and writing long-format CSV files.

use crate::columnar::{self, ColumnValues, FileFormat};
use crate::ds::Ds;
use crate::error::{DataError, Location};
use crate::frame::{ColumnNames, PanelFrame};
use crate::freq::Freq;
use crate::static_frame::{StaticFrame, check_static_value};
use crate::validate::{AVAILABLE_MASK_COL, RawPanel, Repairs, check_unique_columns};
use std::io::{Read, Write};
use std::path::Path;

/// How to read a CSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvOptions {
    /// Id, time and target column names (default `unique_id`, `ds`, `y`).
    pub columns: ColumnNames,
    /// The frequency; `None` infers it from the data.
    pub freq: Option<Freq>,
    /// Field delimiter; default `b','`.
    pub delimiter: u8,
    /// Exogenous columns to keep; `None` keeps every column other than id, time, target and
    /// `available_mask` (in header order). Listed columns must exist.
    pub exog_cols: Option<Vec<String>>,
    /// Repairs to make while loading (none by default: strict).
    pub repairs: Repairs,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            columns: ColumnNames::default(),
            freq: None,
            delimiter: b',',
            exog_cols: None,
            repairs: Repairs::default(),
        }
    }
}

impl CsvOptions {
    /// Sets the frequency.
    pub fn with_freq(mut self, freq: Freq) -> Self {
        self.freq = Some(freq);
        self
    }

    /// Sets the id, time and target column names.
    pub fn with_columns(mut self, id_col: &str, time_col: &str, target_col: &str) -> Self {
        self.columns = ColumnNames {
            id_col: id_col.into(),
            time_col: time_col.into(),
            target_col: target_col.into(),
        };
        self
    }

    /// Sets the delimiter.
    pub fn with_delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Sets the repairs to make while loading.
    pub fn with_repairs(mut self, repairs: Repairs) -> Self {
        self.repairs = repairs;
        self
    }

    /// Keeps only these exogenous columns.
    pub fn with_exog_cols(mut self, cols: Vec<String>) -> Self {
        self.exog_cols = Some(cols);
        self
    }
}

fn reader<R: Read>(rdr: R, delimiter: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(rdr)
}

/// The header as owned strings; an empty input is [`DataError::Empty`].
fn header<R: Read>(
    rdr: &mut csv::Reader<R>,
    path: Option<&Path>,
    what: &str,
) -> Result<Vec<String>, DataError> {
    let h = rdr.headers().map_err(|e| DataError::from_csv(e, path))?;
    let cols: Vec<String> = h.iter().map(str::to_string).collect();
    if cols.is_empty() || (cols.len() == 1 && cols[0].is_empty()) {
        return Err(DataError::Empty { what: what.into() });
    }
    check_unique_columns(&cols)?;
    Ok(cols)
}

fn find(cols: &[String], name: &str) -> Result<usize, DataError> {
    cols.iter()
        .position(|c| c == name)
        .ok_or_else(|| DataError::MissingColumn {
            column: name.to_string(),
            available: cols.to_vec(),
        })
}

fn parse_f32(text: &str, series: &str, loc: Location, column: &str) -> Result<f32, DataError> {
    if text.is_empty() {
        // pandas reads an empty cell as NaN; the finiteness check reports it.
        return Ok(f32::NAN);
    }
    text.parse::<f32>().map_err(|_| DataError::ParseNumber {
        series: series.to_string(),
        loc,
        column: column.to_string(),
        value: text.to_string(),
    })
}

fn line_of(rec: &csv::StringRecord) -> Location {
    Location::Line(rec.position().map_or(0, |p| p.line()))
}

fn describe(path: Option<&Path>) -> String {
    path.map_or_else(
        || "the CSV input".to_string(),
        |p| format!("file {}", p.display()),
    )
}

/// Where the panel's columns are in a header.
struct Layout {
    id: usize,
    ds: usize,
    /// The target (not read for a future frame).
    y: Option<usize>,
    /// NeuralForecast's `available_mask` column, when present (not read for a future frame).
    mask: Option<usize>,
    exog: Vec<usize>,
}

impl Layout {
    /// The columns of `cols` that `opts` names; a `future` frame needs no target.
    fn new(cols: &[String], opts: &CsvOptions, future: bool) -> Result<Layout, DataError> {
        let names = &opts.columns;
        let (id, ds) = (find(cols, &names.id_col)?, find(cols, &names.time_col)?);
        let y = if future {
            cols.iter().position(|c| *c == names.target_col)
        } else {
            Some(find(cols, &names.target_col)?)
        };
        let mask = cols.iter().position(|c| c == AVAILABLE_MASK_COL);
        let exog = match &opts.exog_cols {
            Some(list) => list
                .iter()
                .map(|c| find(cols, c))
                .collect::<Result<_, _>>()?,
            None => (0..cols.len())
                .filter(|&j| j != id && j != ds && Some(j) != y && Some(j) != mask)
                .collect(),
        };
        Ok(Layout {
            id,
            ds,
            y: y.filter(|_| !future),
            mask: mask.filter(|_| !future),
            exog,
        })
    }

    fn raw(&self, cols: &[String], opts: &CsvOptions) -> RawPanel {
        let exog_names = self.exog.iter().map(|&j| cols[j].clone()).collect();
        RawPanel::new(opts.columns.clone(), exog_names, 0, opts.repairs)
    }
}

/// Reads a CSV panel; a `future` frame has no target (a target column, if any, is not read).
fn read_panel<R: Read>(
    rdr: R,
    opts: &CsvOptions,
    path: Option<&Path>,
    future: bool,
) -> Result<PanelFrame, DataError> {
    let what = describe(path);
    let mut rdr = reader(rdr, opts.delimiter);
    let cols = header(&mut rdr, path, &what)?;
    let names = &opts.columns;
    let lay = Layout::new(&cols, opts, future)?;
    let mut raw = lay.raw(&cols, opts);
    let mut rec = csv::StringRecord::new();
    let mut vals = vec![0.0f32; lay.exog.len()];
    while rdr
        .read_record(&mut rec)
        .map_err(|e| DataError::from_csv(e, path))?
    {
        let loc = line_of(&rec);
        let id = &rec[lay.id];
        let ds_text = &rec[lay.ds];
        let ds = Ds::parse(ds_text).ok_or_else(|| DataError::ParseDate {
            series: id.to_string(),
            loc,
            column: names.time_col.clone(),
            value: ds_text.to_string(),
        })?;
        let mut y = match lay.y {
            Some(y_i) => parse_f32(&rec[y_i], id, loc, &names.target_col)?,
            None => 0.0,
        };
        if let Some(m) = lay.mask {
            let mask = parse_f32(&rec[m], id, loc, AVAILABLE_MASK_COL)?;
            y = raw.mask_target(y, mask, id, loc, &rec[m])?;
        }
        for (slot, &j) in vals.iter_mut().zip(&lay.exog) {
            *slot = parse_f32(&rec[j], id, loc, &cols[j])?;
        }
        raw.push_row(id, ds, y, &vals, loc)?;
    }
    let mut frame = raw.finish(opts.freq, &what)?;
    frame.has_target = !future;
    Ok(frame)
}

/// Reads a Parquet or Arrow IPC panel batch by batch, through the same checks as CSV; errors
/// name the 0-based row of the file.
fn read_panel_columnar(
    path: &Path,
    format: FileFormat,
    opts: &CsvOptions,
    future: bool,
) -> Result<PanelFrame, DataError> {
    let (cols, batches) = columnar::open_batches(path, format)?;
    check_unique_columns(&cols)?;
    let lay = Layout::new(&cols, opts, future)?;
    let mut raw = lay.raw(&cols, opts);
    let mut vals = vec![0.0f32; lay.exog.len()];
    let mut start = 0;
    for batch in batches {
        let batch = batch.map_err(|e| DataError::Columnar(format!("{}: {e}", path.display())))?;
        let column = |j: usize| batch.column(j).as_ref();
        let ids = columnar::ids(column(lay.id), &cols[lay.id])?;
        let ds = columnar::timestamps(column(lay.ds), &cols[lay.ds])?;
        let y = lay
            .y
            .map(|j| columnar::numbers(column(j), &cols[j]))
            .transpose()?;
        let mask = lay
            .mask
            .map(|j| columnar::numbers(column(j), &cols[j]))
            .transpose()?;
        let exog = lay
            .exog
            .iter()
            .map(|&j| columnar::numbers(column(j), &cols[j]))
            .collect::<Result<Vec<_>, _>>()?;
        for (k, id) in ids.iter().enumerate() {
            let loc = Location::Row(start + k);
            let ds = ds[k].clone().map_err(|value| DataError::ParseDate {
                series: id.clone(),
                loc,
                column: cols[lay.ds].clone(),
                value,
            })?;
            let mut y = y.as_ref().map_or(0.0, |y| y[k]);
            if let Some(m) = &mask {
                y = raw.mask_target(y, m[k], id, loc, &m[k].to_string())?;
            }
            for (slot, col) in vals.iter_mut().zip(&exog) {
                *slot = col[k];
            }
            raw.push_row(id, ds, y, &vals, loc)?;
        }
        start += ids.len();
    }
    let mut frame = raw.finish(opts.freq, &describe(Some(path)))?;
    frame.has_target = !future;
    Ok(frame)
}

/// Reads a Parquet or Arrow IPC static frame: the id column and numeric features.
fn read_static_columnar(
    path: &Path,
    format: FileFormat,
    opts: &CsvOptions,
) -> Result<StaticFrame, DataError> {
    let (cols, batches) = columnar::open_batches(path, format)?;
    check_unique_columns(&cols)?;
    let id_i = find(&cols, &opts.columns.id_col)?;
    let feat_idx: Vec<usize> = (0..cols.len()).filter(|&j| j != id_i).collect();
    let names: Vec<String> = feat_idx.iter().map(|&j| cols[j].clone()).collect();
    let (mut ids, mut values, mut locs) = (Vec::new(), Vec::new(), Vec::new());
    for batch in batches {
        let batch = batch.map_err(|e| DataError::Columnar(format!("{}: {e}", path.display())))?;
        let batch_ids = columnar::ids(batch.column(id_i).as_ref(), &cols[id_i])?;
        let feats = feat_idx
            .iter()
            .map(|&j| columnar::numbers(batch.column(j).as_ref(), &cols[j]))
            .collect::<Result<Vec<_>, _>>()?;
        for (k, id) in batch_ids.into_iter().enumerate() {
            let loc = Location::Row(ids.len());
            for (f, &j) in feats.iter().zip(&feat_idx) {
                check_static_value(f[k], &id, loc, &cols[j])?;
                values.push(f[k]);
            }
            ids.push(id);
            locs.push(loc);
        }
    }
    if ids.is_empty() {
        return Err(DataError::Empty {
            what: describe(Some(path)),
        });
    }
    StaticFrame::new_checked(ids, names, values, locs)
}

fn read_static<R: Read>(
    rdr: R,
    opts: &CsvOptions,
    path: Option<&Path>,
) -> Result<StaticFrame, DataError> {
    let what = describe(path);
    let mut rdr = reader(rdr, opts.delimiter);
    let cols = header(&mut rdr, path, &what)?;
    let id_i = find(&cols, &opts.columns.id_col)?;
    let feat_idx: Vec<usize> = (0..cols.len()).filter(|&j| j != id_i).collect();
    let names: Vec<String> = feat_idx.iter().map(|&j| cols[j].clone()).collect();
    let (mut ids, mut values, mut locs) = (Vec::new(), Vec::new(), Vec::new());
    let mut rec = csv::StringRecord::new();
    while rdr
        .read_record(&mut rec)
        .map_err(|e| DataError::from_csv(e, path))?
    {
        let loc = line_of(&rec);
        let id = &rec[id_i];
        for &j in &feat_idx {
            let v = parse_f32(&rec[j], id, loc, &cols[j])?;
            check_static_value(v, id, loc, &cols[j])?;
            values.push(v);
        }
        ids.push(id.to_string());
        locs.push(loc);
    }
    if ids.is_empty() {
        return Err(DataError::Empty { what });
    }
    StaticFrame::new_checked(ids, names, values, locs)
}

fn open(path: &Path) -> Result<std::fs::File, DataError> {
    std::fs::File::open(path).map_err(|source| DataError::Io {
        path: Some(path.to_path_buf()),
        source,
    })
}

impl PanelFrame {
    /// Reads and validates a long-format CSV file. Errors name the series and the 1-based line.
    pub fn from_csv_path(
        path: impl AsRef<Path>,
        opts: &CsvOptions,
    ) -> Result<PanelFrame, DataError> {
        let path = path.as_ref();
        read_panel(
            std::io::BufReader::new(open(path)?),
            opts,
            Some(path),
            false,
        )
    }

    /// Reads and validates long-format CSV text from any reader.
    pub fn from_csv_reader<R: Read>(rdr: R, opts: &CsvOptions) -> Result<PanelFrame, DataError> {
        read_panel(rdr, opts, None, false)
    }

    /// Reads a future frame (NeuralForecast's `futr_df`): `unique_id, ds` and the future
    /// exogenous columns, no target (a target column, if present, is ignored). Validated like
    /// any frame; give `opts.freq` the training frequency, since a few rows per series may not be
    /// enough to infer it.
    pub fn future_from_csv_path(
        path: impl AsRef<Path>,
        opts: &CsvOptions,
    ) -> Result<PanelFrame, DataError> {
        let path = path.as_ref();
        read_panel(std::io::BufReader::new(open(path)?), opts, Some(path), true)
    }

    /// [`PanelFrame::future_from_csv_path`] from any reader.
    pub fn future_from_csv_reader<R: Read>(
        rdr: R,
        opts: &CsvOptions,
    ) -> Result<PanelFrame, DataError> {
        read_panel(rdr, opts, None, true)
    }

    /// Reads and validates a panel file, its format chosen by extension ([`FileFormat`]):
    /// Parquet (`.parquet`, `.pq`), Arrow IPC (`.arrow`, `.feather`, `.ipc`) or CSV (anything
    /// else). Columnar files name rows by their 0-based index in errors.
    pub fn from_path(path: impl AsRef<Path>, opts: &CsvOptions) -> Result<PanelFrame, DataError> {
        let path = path.as_ref();
        match FileFormat::from_path(path) {
            FileFormat::Csv => PanelFrame::from_csv_path(path, opts),
            format => read_panel_columnar(path, format, opts, false),
        }
    }

    /// [`PanelFrame::future_from_csv_path`] for any format, chosen by extension.
    pub fn future_from_path(
        path: impl AsRef<Path>,
        opts: &CsvOptions,
    ) -> Result<PanelFrame, DataError> {
        let path = path.as_ref();
        match FileFormat::from_path(path) {
            FileFormat::Csv => PanelFrame::future_from_csv_path(path, opts),
            format => read_panel_columnar(path, format, opts, true),
        }
    }

    /// The frame as a file of `format`: CSV ([`PanelFrame::to_csv`]) or, with the same columns,
    /// Parquet or Arrow IPC (missing targets as nulls).
    pub fn to_bytes(&self, format: FileFormat) -> Result<Vec<u8>, DataError> {
        if format == FileFormat::Csv {
            let mut out = Vec::new();
            self.to_csv(&mut out)?;
            return Ok(out);
        }
        let n = &self.names;
        let mut ids = Vec::with_capacity(self.len());
        for s in self.iter_series() {
            ids.extend(std::iter::repeat_n(s.id.to_string(), s.len()));
        }
        let mut columns = vec![
            (n.id_col.clone(), ColumnValues::Text(ids)),
            (
                n.time_col.clone(),
                ColumnValues::Timestamps(self.ds.clone()),
            ),
        ];
        if self.has_target {
            columns.push((n.target_col.clone(), ColumnValues::Numbers(self.y.clone())));
        }
        for (name, col) in self.exog_names.iter().zip(&self.exog) {
            columns.push((name.clone(), ColumnValues::Numbers(col.clone())));
        }
        columnar::encode_table(format, columns)
    }

    /// Writes the frame as CSV: id, time and target columns (with this frame's names; no target
    /// for a future frame), then the exogenous columns. Dates are written `YYYY-MM-DD`, or `YYYY-MM-DD HH:MM:SS` for every row
    /// when any timestamp has a time of day. Static features are not written.
    pub fn to_csv<W: Write>(&self, writer: W) -> Result<(), DataError> {
        let mut w = csv::Writer::from_writer(writer);
        let map = |e| DataError::from_csv(e, None);
        let n = &self.names;
        let target = self.has_target.then_some(&n.target_col);
        let header = [&n.id_col, &n.time_col]
            .into_iter()
            .chain(target)
            .chain(&self.exog_names);
        w.write_record(header).map_err(map)?;
        let with_time = self.has_time();
        let mut row: Vec<String> = Vec::with_capacity(3 + self.exog.len());
        for s in self.iter_series() {
            let base = self.indptr[s.index()];
            for k in 0..s.len() {
                row.clear();
                row.push(s.id.to_string());
                row.push(s.ds[k].format(with_time));
                if self.has_target {
                    // A missing target is an empty cell, as pandas writes NaN.
                    let y = s.y[k];
                    row.push(if y.is_nan() {
                        String::new()
                    } else {
                        y.to_string()
                    });
                }
                row.extend(self.exog.iter().map(|c| c[base + k].to_string()));
                w.write_record(&row).map_err(map)?;
            }
        }
        w.flush()
            .map_err(|source| DataError::Io { path: None, source })
    }
}

impl StaticFrame {
    /// Reads a static-features CSV (`unique_id, feat1, ...`; the id column name comes from
    /// `opts.columns.id_col`, every other column is a feature).
    pub fn from_csv_path(
        path: impl AsRef<Path>,
        opts: &CsvOptions,
    ) -> Result<StaticFrame, DataError> {
        let path = path.as_ref();
        read_static(std::io::BufReader::new(open(path)?), opts, Some(path))
    }

    /// Reads a static-features file, its format chosen by extension (see
    /// [`PanelFrame::from_path`]).
    pub fn from_path(path: impl AsRef<Path>, opts: &CsvOptions) -> Result<StaticFrame, DataError> {
        let path = path.as_ref();
        match FileFormat::from_path(path) {
            FileFormat::Csv => StaticFrame::from_csv_path(path, opts),
            format => read_static_columnar(path, format, opts),
        }
    }

    /// Reads a static-features CSV from any reader.
    pub fn from_csv_reader<R: Read>(rdr: R, opts: &CsvOptions) -> Result<StaticFrame, DataError> {
        read_static(rdr, opts, None)
    }
}
