//! The Parquet and Arrow IPC readers: long-format panels, static features and whole tables
//! (forecast frames), with an inferred or a given frequency. Any file is a frame or a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neurodiv::data::{CsvOptions, FileFormat, Freq, StaticFrame, read_table};
use neurodiv::prelude::PanelFrame;
use std::path::PathBuf;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    // The readers take paths: the input is written to a file of this process, named by format.
    let (format, ext) = match mode & 1 {
        0 => (FileFormat::Parquet, "parquet"),
        _ => (FileFormat::Arrow, "arrow"),
    };
    let path: PathBuf =
        std::env::temp_dir().join(format!("nd-fuzz-table-{}.{ext}", std::process::id()));
    if std::fs::write(&path, bytes).is_err() {
        return;
    }
    let mut opts = CsvOptions::default();
    opts.freq = match (mode >> 1) % 3 {
        0 => None,
        1 => "MS".parse::<Freq>().ok(),
        _ => "D".parse::<Freq>().ok(),
    };
    match (mode >> 3) % 3 {
        0 => {
            if let Ok(frame) = PanelFrame::from_path(&path, &opts) {
                // What the commands do next with a frame: split off a tail, read its series.
                let _ = frame.split_tail(1 + (mode as usize >> 5) % 4);
                for s in frame.iter_series() {
                    let _ = (s.id, s.len());
                }
            }
        }
        1 => {
            let _ = StaticFrame::from_path(&path, &opts);
        }
        _ => {
            let _ = read_table(&path, format, &["unique_id"], &["ds", "cutoff"]);
        }
    }
});
