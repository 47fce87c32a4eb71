//! The output frame of predict, cross-validation and in-sample prediction.

use neurodiv_data::Ds;
use std::io::Write;
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

impl ForecastFrame {
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
                row.push(y[r].to_string());
            }
            row.extend(self.columns.iter().map(|(_, v)| v[r].to_string()));
            writeln!(w, "{}", row.join(","))?;
        }
        Ok(())
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

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
