//! `evaluate`: metrics per series and model over forecast and cross-validation frames.

use neurodiv::data::Ds;
use neurodiv::data::metrics::{self, Metric};
use neurodiv::prelude::*;

fn panel() -> PanelFrame {
    let csv = "unique_id,ds,y\nA,1,1\nA,2,3\nA,3,2\nA,4,5\nA,5,4\nB,1,10\nB,2,12\nB,3,11\nB,4,15\nB,5,14\n";
    PanelFrame::from_csv_reader(csv.as_bytes(), &CsvOptions::default()).unwrap()
}

#[test]
fn a_forecast_frame_is_scored_against_the_data_per_series() {
    // Forecasts of the last two points of each series.
    let fc = ForecastFrame {
        unique_id: ["A", "A", "B", "B"].map(String::from).to_vec(),
        ds: vec![Ds::Int(4), Ds::Int(5), Ds::Int(4), Ds::Int(5)],
        cutoff: None,
        y: None,
        columns: vec![
            ("m1".into(), vec![4.0, 4.0, 15.0, 15.0]),
            ("m1-lo-80".into(), vec![0.0; 4]),
        ],
    };
    let data = panel();
    let ev = neurodiv::evaluate(&fc, Some(&data), &Metric::DEFAULT, Some(1)).unwrap();
    assert_eq!(ev.models, ["m1"], "interval columns are not scored");
    assert_eq!(ev.rows.len(), 2 * 4);
    assert_eq!(ev.get(Some("A"), Metric::Mae, "m1"), Some(0.5));
    assert_eq!(ev.get(Some("B"), Metric::Mae, "m1"), Some(0.5));
    // MASE of A: MAE 0.5 over the naive MAE of its first three points (|3-1| + |2-3|) / 2.
    let expected = metrics::mase(&[5.0, 4.0], &[4.0, 4.0], &[1.0, 3.0, 2.0], 1).unwrap();
    assert_eq!(ev.get(Some("A"), Metric::Mase, "m1"), Some(expected));
    let mean = ev.mean();
    assert_eq!(mean.get(None, Metric::Mae, "m1"), Some(0.5));
    assert!(mean.to_csv_string().starts_with("metric,m1\nmae,0.5\n"));
    assert!(
        ev.to_csv_string()
            .starts_with("unique_id,metric,m1\nA,mae,0.5\n")
    );
}

#[test]
fn a_cross_validation_frame_scales_each_window_by_its_own_history() {
    let nf_like = "unique_id,ds,cutoff,y,m\nA,3,2,2,2\nA,4,3,5,4\nA,5,4,,9\n";
    let fc = ForecastFrame::from_csv_reader(nf_like.as_bytes(), "cv").unwrap();
    assert!(fc.y.as_ref().unwrap()[2].is_nan());
    assert_eq!(
        fc.to_csv_string(),
        nf_like,
        "round trip, missing actual as an empty cell"
    );
    let ev =
        neurodiv::evaluate(&fc, Some(&panel()), &[Metric::Mae, Metric::Mase], Some(1)).unwrap();
    // The missing actual is skipped: MAE over the two observed rows.
    assert_eq!(ev.get(Some("A"), Metric::Mae, "m"), Some(0.5));
    let w1 = metrics::mase(&[2.0], &[2.0], &[1.0, 3.0], 1).unwrap();
    let w2 = metrics::mase(&[5.0], &[4.0], &[1.0, 3.0, 2.0], 1).unwrap();
    assert_eq!(ev.get(Some("A"), Metric::Mase, "m"), Some((w1 + w2) / 2.0));
    // Without data, only metrics that need nothing more.
    assert!(neurodiv::evaluate(&fc, None, &[Metric::Mae], None).is_ok());
    let err = neurodiv::evaluate(&fc, None, &[Metric::Mase], None).unwrap_err();
    assert!(err.to_string().contains("MASE needs the history"), "{err}");
    assert_eq!(
        "RMSE".parse::<Metric>().unwrap(),
        Metric::Rmse,
        "names in any case"
    );
    assert!("r2".parse::<Metric>().is_err());
}

#[test]
fn bad_forecast_files_are_typed_errors() {
    let no_ds = ForecastFrame::from_csv_reader("unique_id,time,m\nA,1,2\n".as_bytes(), "x");
    assert!(
        no_ds
            .unwrap_err()
            .to_string()
            .contains("starts with the columns unique_id, ds")
    );
    let bad = ForecastFrame::from_csv_reader("unique_id,ds,m\nA,1,abc\n".as_bytes(), "x");
    assert_eq!(
        bad.unwrap_err().to_string(),
        "series `A`, line 2: cannot parse `abc` in column `m` as a number"
    );
    let fc = ForecastFrame::from_csv_reader("unique_id,ds,m\nA,9,2\n".as_bytes(), "x").unwrap();
    let err = neurodiv::evaluate(&fc, Some(&panel()), &[Metric::Mae], None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the data have no actual for series \"A\" at 9"
    );
}
