//! Future exogenous values from a CSV of `unique_id, ds, <future columns>` (no target column:
//! the values of `y` are what is being forecast).

use neurodiv::data::Ds;
use neurodiv::prelude::*;
use std::path::Path;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Reads `path` into a frame whose target is all zeros (prediction never reads it). A file that
/// does have a `y` column is read as it is.
pub fn read(path: &Path, freq: Freq) -> Result<PanelFrame> {
    let opts = CsvOptions {
        freq: Some(freq),
        ..CsvOptions::default()
    };
    let shown = path.display();
    let mut rdr = csv::Reader::from_path(path).map_err(|e| format!("{shown}: {e}"))?;
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| format!("{shown}: {e}"))?
        .iter()
        .map(str::to_string)
        .collect();
    if headers.iter().any(|h| h == "y") {
        return Ok(PanelFrame::from_csv_path(path, &opts)?);
    }
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("{shown}: missing column {name:?}"))
    };
    let (id_col, ds_col) = (find("unique_id")?, find("ds")?);
    let exog: Vec<usize> = (0..headers.len())
        .filter(|&c| c != id_col && c != ds_col)
        .collect();
    let (mut ids, mut ds, mut cols) = (Vec::new(), Vec::new(), vec![Vec::new(); exog.len()]);
    for (r, record) in rdr.records().enumerate() {
        let line = r + 2;
        let record = record.map_err(|e| format!("{shown}: {e}"))?;
        ids.push(record[id_col].to_string());
        ds.push(
            Ds::parse(&record[ds_col]).ok_or_else(|| {
                format!("{shown} line {line}: cannot read ds {:?}", &record[ds_col])
            })?,
        );
        for (slot, &c) in cols.iter_mut().zip(&exog) {
            let v: f32 = record[c].trim().parse().map_err(|_| {
                format!(
                    "{shown} line {line}: {:?} is not a number in column {:?}",
                    &record[c], headers[c]
                )
            })?;
            slot.push(v);
        }
    }
    let n = ids.len();
    let exog = exog
        .iter()
        .zip(cols)
        .map(|(&c, v)| (headers[c].clone(), v))
        .collect();
    Ok(PanelFrame::from_columns(
        ids,
        ds,
        vec![0.0; n],
        exog,
        Some(freq),
    )?)
}
