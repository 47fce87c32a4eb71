//! Load benchmark of a long-format Parquet panel: writes a synthetic panel of `--rows` rows
//! (series of 1,000 daily points, a target and one exogenous column) to `--file` unless it
//! exists, then loads and validates it with `PanelFrame::from_path` and prints the time, the
//! rate and the peak resident memory of the process.
//!
//! ```text
//! cargo run --release -p neurodiv-data --example load_bench -- --rows 10000000
//! ```
//! (`cargo xtask load-bench` runs it.)

use neurodiv_data::{ColumnValues, CsvOptions, Ds, FileFormat, PanelFrame, encode_table};
use std::path::PathBuf;
use std::time::Instant;

/// Points per series.
const SERIES_LEN: usize = 1000;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut rows = 10_000_000usize;
    let mut file = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rows" => rows = args.next().ok_or("--rows needs a value")?.parse()?,
            "--file" => file = Some(PathBuf::from(args.next().ok_or("--file needs a value")?)),
            other => {
                return Err(format!("unknown argument {other:?} (--rows N, --file PATH)").into());
            }
        }
    }
    if rows == 0 {
        return Err("--rows must be at least 1".into());
    }
    let file = file.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("neurodiv-load-bench-{rows}.parquet"))
    });
    if !file.exists() {
        let t = Instant::now();
        std::fs::write(&file, synthetic(rows)?)?;
        println!(
            "wrote {} ({rows} rows) in {:.2} s",
            file.display(),
            t.elapsed().as_secs_f64()
        );
    }
    let t = Instant::now();
    let frame = PanelFrame::from_path(&file, &CsvOptions::default())?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "loaded {} rows, {} series, freq {} in {secs:.2} s ({:.1} M rows/s); peak memory {}",
        frame.len(),
        frame.n_series(),
        frame.freq(),
        frame.len() as f64 / secs / 1e6,
        peak_memory()
    );
    Ok(())
}

/// A Parquet file of `rows` rows: series `s0`, `s1`, ... of `SERIES_LEN` daily points.
fn synthetic(rows: usize) -> Result<Vec<u8>, neurodiv_data::DataError> {
    let start = Ds::ymd(2000, 1, 1).expect("a valid date");
    let day = neurodiv_data::Freq::DAY;
    let dates: Vec<Ds> = (0..SERIES_LEN.min(rows))
        .map(|k| day.advance(&start, k as i64))
        .collect::<Result<_, _>>()?;
    let (mut ids, mut ds, mut y, mut x) = (
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
    );
    for r in 0..rows {
        let (s, k) = (r / SERIES_LEN, r % SERIES_LEN);
        ids.push(format!("s{s}"));
        ds.push(dates[k]);
        y.push((k as f32 * 0.1).sin() * 10.0 + s as f32);
        x.push((k % 7) as f32);
    }
    encode_table(
        FileFormat::Parquet,
        vec![
            ("unique_id".into(), ColumnValues::Text(ids)),
            ("ds".into(), ColumnValues::Timestamps(ds)),
            ("y".into(), ColumnValues::Numbers(y)),
            ("weekday".into(), ColumnValues::Numbers(x)),
        ],
    )
}

/// The process's peak resident memory (Linux: `VmHWM` of /proc/self/status).
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().to_string()))
        })
        .unwrap_or_else(|| "unknown (no /proc/self/status)".into())
}
