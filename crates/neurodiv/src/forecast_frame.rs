//! The output frame of predict, cross-validation and in-sample prediction.

use crate::NfError;
use neurodiv_core::NeuralModel;
use neurodiv_data::{ColumnValues, DataError, Ds, FileFormat, Location};
use std::io::{Read, Write};
use std::path::Path;

/// Forecasts in long format: `unique_id`, `ds`, optionally `cutoff` and `y` (cross-validation and
/// in-sample), and one column per model output (`MLP`, `MLP-lo-90`, ...).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ForecastFrame {
    /// Series id of each row.
    pub unique_id: Vec<String>,
    /// Timestamp of each row.
    pub ds: Vec<Ds>,
    /// The last timestamp the forecast of each row had seen (cross-validation, in-sample).
    pub cutoff: Option<Vec<Ds>>,
    /// The actual value of each row (cross-validation, in-sample).
    pub y: Option<Vec<f32>>,
    /// Named forecast columns, in order.
    pub columns: Vec<(String, Vec<f32>)>,
}

/// How [`ForecastFrame::add_ensemble`] combines the models' point forecasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ensemble {
    /// The mean of the models' forecasts at each row.
    Mean,
    /// The median (the mean of the two middle values for an even count).
    Median,
}

impl std::str::FromStr for Ensemble {
    type Err = NfError;

    /// `mean` or `median`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mean" => Ok(Ensemble::Mean),
            "median" => Ok(Ensemble::Median),
            _ => Err(NfError::Usage(format!(
                "unknown ensemble {s:?}; expected mean or median"
            ))),
        }
    }
}

/// The name of the column [`ForecastFrame::add_ensemble`] adds.
pub const ENSEMBLE_COLUMN: &str = "Ensemble";

impl ForecastFrame {
    /// The column holding `model`'s point forecast: its alias, or the point output of its loss
    /// (`MLP-median` for `MQLoss`) when the frame has that column.
    pub fn point_column(&self, model: &dyn NeuralModel) -> String {
        let loss = &model.base().loss;
        let name = format!(
            "{}{}",
            model.alias(),
            loss.output_names()[loss.point_index()]
        );
        if self.column(&name).is_some() {
            name
        } else {
            model.alias()
        }
    }

    /// Adds the column `Ensemble` ([`ENSEMBLE_COLUMN`]): at each row the mean or median of the
    /// point forecasts of `models` ([`ForecastFrame::point_column`]). Needs at least one model.
    pub fn add_ensemble(
        &mut self,
        models: &[Box<dyn NeuralModel>],
        how: Ensemble,
    ) -> Result<(), NfError> {
        if models.is_empty() {
            return Err(NfError::Usage("an ensemble needs models".into()));
        }
        if self.column(ENSEMBLE_COLUMN).is_some() {
            return Err(NfError::Usage(format!(
                "the frame already has a column {ENSEMBLE_COLUMN:?} (a model's alias?)"
            )));
        }
        let cols: Vec<&[f32]> = models
            .iter()
            .map(|m| {
                let name = self.point_column(m.as_ref());
                self.column(&name)
                    .ok_or_else(|| NfError::Usage(format!("the frame has no column {name:?}")))
            })
            .collect::<Result<_, _>>()?;
        let mut row = Vec::with_capacity(cols.len());
        let values = (0..self.len())
            .map(|r| {
                row.clear();
                row.extend(cols.iter().map(|c| c[r]));
                match how {
                    Ensemble::Mean => row.iter().sum::<f32>() / row.len() as f32,
                    Ensemble::Median => {
                        row.sort_by(f32::total_cmp);
                        let n = row.len();
                        if n % 2 == 1 {
                            row[n / 2]
                        } else {
                            (row[n / 2 - 1] + row[n / 2]) / 2.0
                        }
                    }
                }
            })
            .collect();
        self.columns.push((ENSEMBLE_COLUMN.to_string(), values));
        Ok(())
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.unique_id.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.unique_id.is_empty()
    }

    /// The values of column `name`.
    pub fn column(&self, name: &str) -> Option<&[f32]> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Column names, in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Writes the frame as CSV with a header.
    pub fn write_csv<W: Write>(&self, mut w: W) -> std::io::Result<()> {
        let mut header = vec!["unique_id", "ds"];
        if self.cutoff.is_some() {
            header.push("cutoff");
        }
        if self.y.is_some() {
            header.push("y");
        }
        header.extend(self.column_names());
        writeln!(
            w,
            "{}",
            header
                .iter()
                .map(|h| quote(h))
                .collect::<Vec<_>>()
                .join(",")
        )?;
        for r in 0..self.len() {
            let mut row = vec![quote(&self.unique_id[r]), self.ds[r].to_string()];
            if let Some(c) = &self.cutoff {
                row.push(c[r].to_string());
            }
            if let Some(y) = &self.y {
                row.push(cell(y[r]));
            }
            row.extend(self.columns.iter().map(|(_, v)| cell(v[r])));
            writeln!(w, "{}", row.join(","))?;
        }
        Ok(())
    }

    /// Reads a frame as [`ForecastFrame::write_csv`] writes it (a forecast, cross-validation or
    /// in-sample frame, from this library or NeuralForecast): `unique_id, ds`, then `cutoff` and
    /// `y` when present, then the model columns. An empty cell is NaN. `what` names the input
    /// in errors.
    pub fn from_csv_reader<R: Read>(rdr: R, what: &str) -> Result<ForecastFrame, NfError> {
        let malformed = |e: csv::Error| NfError::Usage(format!("{what}: malformed CSV: {e}"));
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(rdr);
        let header: Vec<String> = rdr
            .headers()
            .map_err(malformed)?
            .iter()
            .map(str::to_string)
            .collect();
        if header.len() < 2 || header[0] != "unique_id" || header[1] != "ds" {
            return Err(NfError::Usage(format!(
                "{what}: a forecast frame starts with the columns unique_id, ds; the header has: {}",
                header.join(", ")
            )));
        }
        let mut next = 2;
        let mut optional = |name: &str| {
            let found = header.get(next).is_some_and(|h| h == name);
            next += usize::from(found);
            found
        };
        let mut frame = ForecastFrame {
            cutoff: optional("cutoff").then(Vec::new),
            y: optional("y").then(Vec::new),
            columns: header[next..]
                .iter()
                .map(|n| (n.clone(), Vec::new()))
                .collect(),
            ..ForecastFrame::default()
        };
        let first_model = next;
        let mut rec = csv::StringRecord::new();
        while rdr.read_record(&mut rec).map_err(malformed)? {
            let loc = Location::Line(rec.position().map_or(0, |p| p.line()));
            let id = rec[0].to_string();
            let date = |col: usize| {
                Ds::parse(&rec[col]).ok_or_else(|| DataError::ParseDate {
                    series: id.clone(),
                    loc,
                    column: header[col].clone(),
                    value: rec[col].to_string(),
                })
            };
            let number = |col: usize| -> Result<f32, DataError> {
                let text = &rec[col];
                if text.is_empty() {
                    return Ok(f32::NAN);
                }
                text.parse().map_err(|_| DataError::ParseNumber {
                    series: id.clone(),
                    loc,
                    column: header[col].clone(),
                    value: text.to_string(),
                })
            };
            frame.ds.push(date(1)?);
            let mut col = 2;
            if let Some(c) = &mut frame.cutoff {
                c.push(date(col)?);
                col += 1;
            }
            if let Some(y) = &mut frame.y {
                y.push(number(col)?);
            }
            for (j, (_, values)) in frame.columns.iter_mut().enumerate() {
                values.push(number(first_model + j)?);
            }
            frame.unique_id.push(id);
        }
        if frame.is_empty() {
            return Err(DataError::Empty {
                what: what.to_string(),
            }
            .into());
        }
        Ok(frame)
    }

    /// [`ForecastFrame::from_csv_reader`] on a file.
    pub fn from_csv_path(path: &Path) -> Result<ForecastFrame, NfError> {
        let file = std::fs::File::open(path).map_err(|source| NfError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_csv_reader(
            std::io::BufReader::new(file),
            &format!("file {}", path.display()),
        )
    }

    /// Reads a frame from a file whose format is chosen by extension (CSV, Parquet, Arrow IPC;
    /// see [`FileFormat`]), with the columns of [`ForecastFrame::from_csv_reader`].
    pub fn from_path(path: &Path) -> Result<ForecastFrame, NfError> {
        let format = FileFormat::from_path(path);
        if format == FileFormat::Csv {
            return Self::from_csv_path(path);
        }
        let table = neurodiv_data::read_table(path, format, &["unique_id"], &["ds", "cutoff"])?;
        let names: Vec<String> = table.iter().map(|(n, _)| n.clone()).collect();
        let bad = || {
            NfError::Usage(format!(
                "{}: a forecast frame starts with the columns unique_id, ds; the file has: {}",
                path.display(),
                names.join(", ")
            ))
        };
        let mut cols = table.into_iter();
        let mut frame = ForecastFrame::default();
        match (cols.next(), cols.next()) {
            (Some((_, ColumnValues::Text(ids))), Some((ds_name, ColumnValues::Timestamps(ds))))
                if ds_name == "ds" =>
            {
                frame.unique_id = ids;
                frame.ds = ds;
            }
            _ => return Err(bad()),
        }
        for (name, values) in cols {
            match values {
                ColumnValues::Timestamps(c) if name == "cutoff" => frame.cutoff = Some(c),
                ColumnValues::Numbers(y) if name == "y" => frame.y = Some(y),
                ColumnValues::Numbers(v) => frame.columns.push((name, v)),
                _ => return Err(bad()),
            }
        }
        Ok(frame)
    }

    /// The frame as a file of `format`: CSV ([`ForecastFrame::write_csv`]), Parquet or Arrow
    /// IPC with the same columns.
    pub fn to_bytes(&self, format: FileFormat) -> Result<Vec<u8>, NfError> {
        if format == FileFormat::Csv {
            return Ok(self.to_csv_string().into_bytes());
        }
        let mut columns = vec![
            (
                "unique_id".to_string(),
                ColumnValues::Text(self.unique_id.clone()),
            ),
            ("ds".to_string(), ColumnValues::Timestamps(self.ds.clone())),
        ];
        if let Some(c) = &self.cutoff {
            columns.push(("cutoff".into(), ColumnValues::Timestamps(c.clone())));
        }
        if let Some(y) = &self.y {
            columns.push(("y".into(), ColumnValues::Numbers(y.clone())));
        }
        for (name, v) in &self.columns {
            columns.push((name.clone(), ColumnValues::Numbers(v.clone())));
        }
        Ok(neurodiv_data::encode_table(format, columns)?)
    }

    /// The frame as CSV text.
    pub fn to_csv_string(&self) -> String {
        let mut buf = Vec::new();
        self.write_csv(&mut buf)
            .expect("writing to memory does not fail");
        String::from_utf8(buf).expect("CSV output is UTF-8")
    }

    /// Writes the CSV to `path` atomically: to a temporary file beside it, then renamed, so a
    /// failure never leaves a half-written file.
    pub fn write_csv_file(&self, path: &Path) -> std::io::Result<()> {
        write_atomic(path, self.to_csv_string().as_bytes())
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("output path has no file name"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A value as a CSV cell: NaN (a missing actual) is empty, as pandas writes it.
fn cell(v: f32) -> String {
    if v.is_nan() {
        String::new()
    } else {
        v.to_string()
    }
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
