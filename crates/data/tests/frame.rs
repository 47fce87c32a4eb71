//! Loading the bundled AirPassengers files and the frame helpers.

use neurodiv_data::{CsvOptions, DataError, Ds, Freq, PanelFrame, StaticFrame};
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

#[test]
fn air_passengers() {
    let f = PanelFrame::from_csv_path(data("air_passengers.csv"), &CsvOptions::default()).unwrap();
    assert_eq!(f.n_series(), 1);
    assert_eq!(f.ids(), &["AirPassengers"]);
    assert_eq!(f.freq(), Freq::MONTH_END);
    let s = f.series(0);
    assert_eq!(s.len(), 144);
    assert_eq!(s.y[0], 112.0);
    assert_eq!(s.ds[0], Ds::ymd(1949, 1, 31).unwrap());
    assert_eq!(s.last_ds(), Ds::ymd(1960, 12, 31).unwrap());
    assert_eq!(
        f.future_ds(0, 2).unwrap(),
        vec![Ds::ymd(1961, 1, 31).unwrap(), Ds::ymd(1961, 2, 28).unwrap()]
    );
    assert!(f.exog_names().is_empty());
}

#[test]
fn air_passengers_panel_with_static() {
    let opts = CsvOptions::default().with_freq("M".parse().unwrap());
    let f = PanelFrame::from_csv_path(data("air_passengers_panel.csv"), &opts).unwrap();
    assert_eq!(f.ids(), &["Airline1", "Airline2"]);
    assert_eq!(f.exog_names(), &["trend", "y_[lag12]"]);
    assert_eq!(f.series_lens(), vec![144, 144]);
    let st = StaticFrame::from_csv_path(data("air_passengers_static.csv"), &opts).unwrap();
    let f = f.with_static(st).unwrap();
    assert_eq!(f.static_names(), &["airline1", "airline2"]);
    assert_eq!(f.series(0).statics(), &[0.0, 1.0]);
    assert_eq!(f.series(1).statics(), &[1.0, 0.0]);
    assert_eq!(f.series(0).exog("trend").unwrap()[..3], [0.0, 1.0, 2.0]);
}

fn small() -> PanelFrame {
    let text = "unique_id,ds,y,x\nA,2020-01-01,1,10\nA,2020-01-02,2,20\nA,2020-01-03,3,30\nA,2020-01-04,4,40\n\
                B,2020-01-02,5,50\nB,2020-01-03,6,60\nB,2020-01-04,7,70\n";
    PanelFrame::from_csv_reader(text.as_bytes(), &CsvOptions::default()).unwrap()
}

#[test]
fn split_tail_tail_filter() {
    let f = small();
    assert_eq!(f.freq(), Freq::DAY);
    let (train, test) = f.split_tail(2).unwrap();
    assert_eq!(train.series(0).y, &[1.0, 2.0]);
    assert_eq!(train.series(1).y, &[5.0]);
    assert_eq!(test.series(0).y, &[3.0, 4.0]);
    assert_eq!(test.series(1).exog("x").unwrap(), &[60.0, 70.0]);
    assert_eq!(test.series(1).ds[0], Ds::ymd(2020, 1, 3).unwrap());
    assert!(matches!(
        f.split_tail(3).unwrap_err(),
        DataError::TooShort {
            len: 3,
            needed: 4,
            ..
        }
    ));
    assert!(f.split_tail(0).is_err());
    let t = f.tail(3).unwrap();
    assert_eq!(t.series_lens(), vec![3, 3]);
    assert_eq!(t.series(0).y, &[2.0, 3.0, 4.0]);
    let b = f.filter_ids(&["B"]).unwrap();
    assert_eq!(b.ids(), &["B"]);
    assert_eq!(b.series(0).y, &[5.0, 6.0, 7.0]);
    assert!(matches!(f.filter_ids(&["Z"]).unwrap_err(), DataError::UnknownSeries(id) if id == "Z"));
    // The original frame is untouched.
    assert_eq!(f.len(), 7);
}

#[test]
fn csv_round_trip_and_formatting() {
    let f = small();
    let mut out = Vec::new();
    f.to_csv(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("unique_id,ds,y,x\nA,2020-01-01,1,10\n"),
        "{text}"
    );
    let g = PanelFrame::from_csv_reader(text.as_bytes(), &CsvOptions::default()).unwrap();
    assert_eq!(f, g);

    let hourly = "unique_id,ds,y\nA,2020-01-01 23:00:00,1\nA,2020-01-02 00:00:00,2\n";
    let h = PanelFrame::from_csv_reader(hourly.as_bytes(), &CsvOptions::default()).unwrap();
    assert_eq!(h.freq(), Freq::HOUR);
    let mut out = Vec::new();
    h.to_csv(&mut out).unwrap();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("A,2020-01-02 00:00:00,2")
    );
}

#[test]
fn from_columns_builds_and_infers() {
    let ids: Vec<String> = ["s1", "s1", "s1", "s2", "s2"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let ds = vec![Ds::Int(0), Ds::Int(7), Ds::Int(14), Ds::Int(7), Ds::Int(14)];
    let y = vec![1.0, 2.0, 3.0, 4.0, 5.0];
    let f = PanelFrame::from_columns(ids, ds, y, vec![("z".into(), vec![0.0; 5])], None).unwrap();
    assert_eq!(f.freq(), Freq::Int(7));
    assert_eq!(f.n_series(), 2);
    assert_eq!(f.series(1).exog_at(0), &[0.0, 0.0]);
    assert_eq!(f.future_ds(1, 2).unwrap(), vec![Ds::Int(21), Ds::Int(28)]);
    assert_eq!((f.min_len(), f.max_len()), (2, 3));
}

fn two_series() -> PanelFrame {
    let csv = "unique_id,ds,y\nA,2024-01-31,1\nA,2024-02-29,2\nB,2024-01-31,3\nB,2024-02-29,4\nB,2024-03-31,5\n";
    PanelFrame::from_csv_reader(csv.as_bytes(), &CsvOptions::default()).unwrap()
}

#[test]
fn future_frame_lists_each_series_next_timestamps() {
    let fut = two_series().future_frame(2).unwrap();
    assert!(!fut.has_target());
    let mut text = Vec::new();
    fut.to_csv(&mut text).unwrap();
    assert_eq!(
        String::from_utf8(text).unwrap(),
        "unique_id,ds\nA,2024-03-31\nA,2024-04-30\nB,2024-04-30\nB,2024-05-31\n"
    );
    assert!(matches!(
        two_series().future_frame(0),
        Err(DataError::InvalidArgument(_))
    ));
}

#[test]
fn future_files_need_no_target_and_are_checked_by_date() {
    let df = two_series();
    let opts = CsvOptions::default().with_freq(df.freq());
    let read = |text: &str| PanelFrame::future_from_csv_reader(text.as_bytes(), &opts).unwrap();
    // Series in another order, no `y`: aligned to the data's order.
    let ok = read(
        "unique_id,ds,price\nB,2024-04-30,1\nB,2024-05-31,2\nA,2024-03-31,3\nA,2024-04-30,4\n",
    );
    let aligned = df.align_future(&ok, 2).unwrap();
    assert_eq!(aligned.ids(), &["A", "B"]);
    assert_eq!(aligned.series(0).exog("price").unwrap(), &[3.0, 4.0]);
    // A file dated a year away.
    let far = read(
        "unique_id,ds,price\nA,2025-03-31,3\nA,2025-04-30,4\nB,2024-04-30,1\nB,2024-05-31,2\n",
    );
    assert_eq!(
        df.align_future(&far, 2).unwrap_err().to_string(),
        "futr_df, series `A`: future row 1 is 2025-03-31 but the forecast's row 1 is 2024-03-31; \
         futr_df must hold each series' next h timestamps"
    );
    let short = read("unique_id,ds,price\nA,2024-03-31,3\nB,2024-04-30,1\nB,2024-05-31,2\n");
    assert!(matches!(
        df.align_future(&short, 2),
        Err(DataError::FutureRowCount { ref series, rows: 1, h: 2, .. }) if series == "A"
    ));
    let missing = read("unique_id,ds,price\nA,2024-03-31,3\nA,2024-04-30,4\n");
    assert_eq!(
        df.align_future(&missing, 2).unwrap_err().to_string(),
        "futr_df has no rows for series `B`; it needs the series' next 2 timestamps, 2024-04-30 to 2024-05-31"
    );
}

#[test]
fn future_from_columns_makes_a_frame_without_target() {
    let ds = |d| Ds::ymd(2020, 1, d).unwrap();
    let futr = PanelFrame::future_from_columns(
        vec!["a".into(), "a".into()],
        vec![ds(1), ds(2)],
        vec![("trend".into(), vec![1.0, 2.0])],
        Some(Freq::DAY),
    )
    .unwrap();
    assert!(!futr.has_target());
    assert_eq!(futr.series(0).exog("trend"), Some(&[1.0, 2.0][..]));
    let unsorted = PanelFrame::future_from_columns(
        vec!["a".into(), "a".into()],
        vec![ds(2), ds(1)],
        vec![],
        Some(Freq::DAY),
    );
    assert!(unsorted.is_err());
}
