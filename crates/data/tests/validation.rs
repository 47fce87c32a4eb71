//! Every validation error: bad CSV text in, the right variant and a message naming series and row.

use neurodiv_data::{CsvOptions, DataError, Ds, Freq, Location, PanelFrame, StaticFrame};

fn load(text: &str) -> Result<PanelFrame, DataError> {
    PanelFrame::from_csv_reader(text.as_bytes(), &CsvOptions::default())
}

fn load_freq(text: &str, freq: Freq) -> Result<PanelFrame, DataError> {
    PanelFrame::from_csv_reader(text.as_bytes(), &CsvOptions::default().with_freq(freq))
}

/// The error's message must contain every needle.
fn says(err: &DataError, needles: &[&str]) {
    let msg = err.to_string();
    for n in needles {
        assert!(msg.contains(n), "message `{msg}` lacks `{n}`");
    }
}

#[test]
fn missing_column() {
    let e = load("unique_id,ds,value\nA,2020-01-01,1\n").unwrap_err();
    assert!(matches!(&e, DataError::MissingColumn { column, .. } if column == "y"));
    says(&e, &["`y`", "unique_id, ds, value"]);
    let opts = CsvOptions::default().with_exog_cols(vec!["price".into()]);
    let e = PanelFrame::from_csv_reader("unique_id,ds,y\nA,1,1\n".as_bytes(), &opts).unwrap_err();
    assert!(matches!(&e, DataError::MissingColumn { column, .. } if column == "price"));
}

#[test]
fn custom_column_names() {
    let opts = CsvOptions::default().with_columns("id", "time", "target");
    let f =
        PanelFrame::from_csv_reader("id,time,target\nA,1,1\nA,2,2\n".as_bytes(), &opts).unwrap();
    assert_eq!(f.column_names().time_col, "time");
    let mut out = Vec::new();
    f.to_csv(&mut out).unwrap();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .starts_with("id,time,target\n")
    );
}

#[test]
fn duplicate_column() {
    let e = load("unique_id,ds,y,y\nA,1,1,1\n").unwrap_err();
    assert!(matches!(&e, DataError::DuplicateColumn { column } if column == "y"));
}

#[test]
fn unparsable_number() {
    let e = load("unique_id,ds,y\nA,2020-01-01,1\nB,2020-01-01,abc\n").unwrap_err();
    assert!(
        matches!(&e, DataError::ParseNumber { series, loc: Location::Line(3), column, value }
        if series == "B" && column == "y" && value == "abc")
    );
    says(&e, &["series `B`", "line 3", "`abc`"]);
    let e = load("unique_id,ds,y,x\nA,2020-01-01,1,1.2.3\n").unwrap_err();
    assert!(matches!(&e, DataError::ParseNumber { column, .. } if column == "x"));
}

#[test]
fn unparsable_date() {
    let e = load("unique_id,ds,y\nA,2020-01-31,1\nA,2020-13-31,2\n").unwrap_err();
    assert!(
        matches!(&e, DataError::ParseDate { series, loc: Location::Line(3), .. } if series == "A")
    );
    says(&e, &["series `A`", "line 3", "2020-13-31"]);
}

#[test]
fn non_finite_target() {
    for bad in ["NaN", "nan", "", "inf", "-inf"] {
        let text = format!("unique_id,ds,y\nA,1,1\nA,2,{bad}\n");
        let e = load(&text).unwrap_err();
        assert!(
            matches!(&e, DataError::NonFiniteTarget { series, loc: Location::Line(3), .. } if series == "A"),
            "{bad}: {e}"
        );
        says(&e, &["series `A`", "line 3", "`y`"]);
    }
}

#[test]
fn non_finite_exog() {
    let e = load("unique_id,ds,y,price\nA,1,1,2\nA,2,2,\n").unwrap_err();
    assert!(
        matches!(&e, DataError::NonFiniteExog { series, loc: Location::Line(3), column, .. }
        if series == "A" && column == "price")
    );
    says(&e, &["series `A`", "line 3", "`price`"]);
}

#[test]
fn duplicated_timestamp() {
    let e = load("unique_id,ds,y\nA,2020-01-01,1\nB,2020-01-01,1\nA,2020-01-01,2\n").unwrap_err();
    assert!(
        matches!(&e, DataError::DuplicateTimestamp { series, loc: Location::Line(4), first: Location::Line(2), .. }
        if series == "A")
    );
    says(&e, &["series `A`", "line 4", "line 2", "2020-01-01"]);
}

#[test]
fn unsorted_is_refused_with_a_hint() {
    let e = load("unique_id,ds,y\nA,2020-01-02,1\nA,2020-01-01,2\n").unwrap_err();
    assert!(
        matches!(&e, DataError::Unsorted { series, loc: Location::Line(3), .. } if series == "A")
    );
    says(&e, &["series `A`", "line 3", "sort"]);
}

#[test]
fn gap_breaks_frequency() {
    let text = "unique_id,ds,y\nA,2020-01-01,1\nA,2020-01-02,2\nB,2020-01-01,1\nB,2020-01-02,1\nB,2020-01-04,3\n";
    for e in [
        load_freq(text, Freq::DAY).unwrap_err(),
        load(text).unwrap_err(),
    ] {
        assert!(
            matches!(&e, DataError::Gap { series, loc: Location::Line(6), expected, .. }
            if series == "B" && expected.to_string() == "2020-01-03")
        );
        says(&e, &["series `B`", "line 6", "2020-01-04", "2020-01-03"]);
    }
    // Monthly: a missing month.
    let e = load("unique_id,ds,y\nA,1949-01-31,1\nA,1949-02-28,1\nA,1949-04-30,1\n").unwrap_err();
    assert!(matches!(&e, DataError::Gap { expected, .. } if expected.to_string() == "1949-03-31"));
    // Integer steps.
    let e = load_freq("unique_id,ds,y\nA,1,1\nA,2,1\nA,4,1\n", Freq::Int(1)).unwrap_err();
    assert!(matches!(
        &e,
        DataError::Gap {
            loc: Location::Line(4),
            ..
        }
    ));
}

#[test]
fn off_frequency_anchor() {
    let e = load_freq(
        "unique_id,ds,y\nA,2020-01-31,1\nA,2020-02-15,1\n",
        Freq::MONTH_END,
    )
    .unwrap_err();
    assert!(
        matches!(&e, DataError::OffFrequency { series, loc: Location::Line(3), .. } if series == "A")
    );
    says(&e, &["series `A`", "line 3", "last day of a month"]);
}

#[test]
fn mixed_timestamp_kinds() {
    let e = load("unique_id,ds,y\nA,1,1\nB,2020-01-02,2\n").unwrap_err();
    assert!(
        matches!(&e, DataError::MixedTimestampKinds { series, loc: Location::Line(3), .. } if series == "B")
    );
    says(&e, &["series `B`", "line 3", "an integer"]);
}

#[test]
fn freq_kind_mismatch() {
    let e = load_freq("unique_id,ds,y\nA,2020-01-01,1\n", Freq::Int(1)).unwrap_err();
    assert!(matches!(
        e,
        DataError::FreqKindMismatch { kind: "date", .. }
    ));
    let e = load_freq("unique_id,ds,y\nA,1,1\n", Freq::DAY).unwrap_err();
    assert!(matches!(
        e,
        DataError::FreqKindMismatch {
            kind: "integer",
            ..
        }
    ));
}

#[test]
fn cannot_infer_freq() {
    let e = load("unique_id,ds,y\nA,2020-01-01,1\nB,2020-01-05,1\n").unwrap_err();
    assert!(matches!(e, DataError::CannotInferFreq { .. }));
    // ... but single integer points default to step 1, and a given freq works.
    assert_eq!(
        load("unique_id,ds,y\nA,5,1\n").unwrap().freq(),
        Freq::Int(1)
    );
    assert!(load_freq("unique_id,ds,y\nA,2020-01-01,1\n", Freq::DAY).is_ok());
}

#[test]
fn empty_inputs() {
    for text in ["", "unique_id,ds,y\n"] {
        let e = load(text).unwrap_err();
        assert!(matches!(e, DataError::Empty { .. }), "{text:?}: {e}");
    }
}

#[test]
fn io_and_malformed_csv() {
    let e = PanelFrame::from_csv_path("/nonexistent/x.csv", &CsvOptions::default()).unwrap_err();
    assert!(matches!(&e, DataError::Io { path: Some(_), .. }));
    says(&e, &["/nonexistent/x.csv"]);
    let e = load("unique_id,ds,y\nA,1,1\nA,2,2,9\n").unwrap_err();
    assert!(matches!(e, DataError::Csv { line: Some(3), .. }), "{e}");
}

#[test]
fn min_length() {
    let f = load("unique_id,ds,y\nA,1,1\nA,2,2\nA,3,3\nB,1,1\nB,2,2\n").unwrap();
    assert!(f.check_min_length(2).is_ok());
    let e = f.check_min_length(3).unwrap_err();
    assert!(matches!(&e, DataError::TooShort { series, len: 2, needed: 3, .. } if series == "B"));
    says(&e, &["`B`", "2 points", "3"]);
}

#[test]
fn from_columns_errors_name_rows() {
    let ids = vec!["A".to_string(), "A".into(), "A".into()];
    let ds = vec![Ds::Int(1), Ds::Int(2), Ds::Int(3)];
    let e = PanelFrame::from_columns(
        ids.clone(),
        ds.clone(),
        vec![1.0, f32::NAN, 3.0],
        vec![],
        None,
    )
    .unwrap_err();
    assert!(matches!(
        e,
        DataError::NonFiniteTarget {
            loc: Location::Row(1),
            ..
        }
    ));
    says(&e, &["row 1"]);
    let e = PanelFrame::from_columns(ids.clone(), ds.clone(), vec![1.0], vec![], None).unwrap_err();
    assert!(matches!(
        e,
        DataError::LengthMismatch {
            expected: 3,
            got: 1,
            ..
        }
    ));
    let e = PanelFrame::from_columns(ids, vec![], vec![], vec![], None).unwrap_err();
    assert!(matches!(e, DataError::LengthMismatch { .. }));
    let e = PanelFrame::from_columns(vec![], vec![], vec![], vec![], None).unwrap_err();
    assert!(matches!(e, DataError::Empty { .. }));
}

#[test]
fn static_frame_errors() {
    let f = load("unique_id,ds,y\nA,1,1\nB,1,2\n").unwrap();
    let st = |t: &str| StaticFrame::from_csv_reader(t.as_bytes(), &CsvOptions::default());
    let e = f
        .clone()
        .with_static(st("unique_id,s\nA,1\n").unwrap())
        .unwrap_err();
    assert!(matches!(&e, DataError::MissingStatic { series } if series == "B"));
    let e = st("unique_id,s\nA,1\nA,2\n").unwrap_err();
    assert!(
        matches!(&e, DataError::DuplicateStatic { series, loc: Location::Line(3) } if series == "A")
    );
    let e = st("unique_id,s\nA,nan\n").unwrap_err();
    assert!(matches!(&e, DataError::NonFiniteExog { column, .. } if column == "s"));
    let e = st("unique_id,s\n").unwrap_err();
    assert!(matches!(e, DataError::Empty { .. }));
    let e = st("id,s\nA,1\n").unwrap_err();
    assert!(matches!(e, DataError::MissingColumn { .. }));
    // Extra ids are ignored and rows follow the frame's order.
    let g = f
        .with_static(st("unique_id,s,t\nC,9,9\nB,2,3\nA,1,0\n").unwrap())
        .unwrap();
    assert_eq!(g.static_names(), &["s", "t"]);
    assert_eq!(g.series(0).statics(), &[1.0, 0.0]);
    assert_eq!(g.series(1).static_value("t"), Some(3.0));
}

#[test]
fn interleaved_series_keep_first_appearance_order() {
    let f = load("unique_id,ds,y,x\nB,1,10,0\nA,1,1,5\nB,2,20,1\nA,2,2,6\n").unwrap();
    assert_eq!(f.ids(), &["B", "A"]);
    assert_eq!(f.series(0).y, &[10.0, 20.0]);
    assert_eq!(f.series(1).exog("x"), Some(&[5.0f32, 6.0][..]));
    assert_eq!(f.freq(), Freq::Int(1));
    assert_eq!(f.len(), 4);
}
