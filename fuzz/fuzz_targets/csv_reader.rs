//! The CSV readers: long-format panels (`unique_id, ds, y`, exogenous columns) and static
//! features, with an inferred or a given frequency. Any input is a frame or a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neurodiv::data::{CsvOptions, Freq, StaticFrame};
use neurodiv::prelude::PanelFrame;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, csv)) = data.split_first() else {
        return;
    };
    let mut opts = CsvOptions::default();
    opts.freq = match mode % 4 {
        0 => None,
        1 => "MS".parse::<Freq>().ok(),
        2 => "D".parse::<Freq>().ok(),
        _ => "3".parse::<Freq>().ok(),
    };
    if mode & 0x80 != 0 {
        let _ = StaticFrame::from_csv_reader(csv, &opts);
        return;
    }
    if let Ok(frame) = PanelFrame::from_csv_reader(csv, &opts) {
        // What the commands do next with a frame: split off a tail, read its series.
        let _ = frame.split_tail(1 + (mode as usize >> 2) % 4);
        for s in frame.iter_series() {
            let _ = (s.id, s.len());
        }
    }
});
