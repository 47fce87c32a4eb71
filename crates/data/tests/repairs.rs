//! Repair options (sort, fill_gaps, missing targets, the available_mask column): each one
//! changes what it says, says it in one line, and the default stays strict.

use neurodiv_data::{CsvOptions, DataError, Ds, Freq, PanelFrame, Repairs, fill_window};

fn load(text: &str, repairs: Repairs) -> Result<PanelFrame, DataError> {
    PanelFrame::from_csv_reader(
        text.as_bytes(),
        &CsvOptions::default().with_repairs(repairs),
    )
}

fn csv_of(frame: &PanelFrame) -> String {
    let mut out = Vec::new();
    frame.to_csv(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

const UNSORTED: &str = "unique_id,ds,y\nA,2020-01-03,3\nA,2020-01-01,1\nB,2020-01-01,5\nA,2020-01-02,2\nB,2020-01-02,6\n";
const GAPPY: &str = "unique_id,ds,y,price\nA,2020-01-01,1,10\nA,2020-01-02,2,11\nA,2020-01-05,5,14\nB,2020-01-01,7,1\nB,2020-01-02,8,2\nB,2020-01-03,9,3\n";
const MISSING: &str =
    "unique_id,ds,y\nA,2020-01-01,1\nA,2020-01-02,\nA,2020-01-03,NaN\nA,2020-01-04,4\n";

#[test]
fn the_default_stays_strict() {
    let strict = Repairs::default();
    let e = load(UNSORTED, strict).unwrap_err();
    assert!(matches!(e, DataError::Unsorted { .. }));
    assert!(e.to_string().contains("--sort"), "{e}");
    let e = load(GAPPY, strict).unwrap_err();
    assert!(matches!(e, DataError::Gap { .. }));
    assert!(e.to_string().contains("--fill-gaps"), "{e}");
    let e = load(MISSING, strict).unwrap_err();
    assert!(matches!(e, DataError::NonFiniteTarget { .. }));
    assert!(e.to_string().contains("--allow-missing"), "{e}");
    assert!(
        load("unique_id,ds,y\nA,1,1\nA,2,2\n", strict)
            .unwrap()
            .repair_notes()
            .is_empty()
    );
}

#[test]
fn sort_reorders_rows_within_each_series_and_says_so() {
    let f = load(
        UNSORTED,
        Repairs {
            sort: true,
            ..Repairs::default()
        },
    )
    .unwrap();
    assert_eq!(f.series(0).y, &[1.0, 2.0, 3.0]);
    assert_eq!(f.series(1).y, &[5.0, 6.0]);
    assert_eq!(
        f.repair_notes(),
        ["sort: reordered 3 rows of 1 series by time"]
    );
    let sorted = load(
        &csv_of(&f),
        Repairs {
            sort: true,
            ..Repairs::default()
        },
    )
    .unwrap();
    assert_eq!(
        sorted.repair_notes(),
        ["sort: every series was already in time order"]
    );
    // Duplicates stay errors after sorting.
    let dup = "unique_id,ds,y\nA,2,1\nA,1,1\nA,2,3\n";
    assert!(matches!(
        load(
            dup,
            Repairs {
                sort: true,
                ..Repairs::default()
            }
        ),
        Err(DataError::DuplicateTimestamp { .. })
    ));
}

#[test]
fn fill_gaps_inserts_masked_rows_and_carries_exogenous_values() {
    let f = load(
        GAPPY,
        Repairs {
            fill_gaps: true,
            ..Repairs::default()
        },
    )
    .unwrap();
    let a = f.series(0);
    assert_eq!(a.len(), 5);
    assert_eq!(a.ds[2], Ds::ymd(2020, 1, 3).unwrap());
    assert!(a.y[2].is_nan() && a.y[3].is_nan());
    assert_eq!(a.exog("price").unwrap(), &[10.0, 11.0, 11.0, 11.0, 14.0]);
    assert_eq!(f.series(1).len(), 3);
    assert_eq!(f.n_missing(), 2);
    assert_eq!(
        f.repair_notes(),
        [
            "fill_gaps: inserted 2 missing timestamps in 1 series (targets masked as unavailable, exogenous values carried forward)"
        ]
    );
    // Written back, missing targets are empty cells.
    assert!(csv_of(&f).contains("A,2020-01-03,,11\n"), "{}", csv_of(&f));
    // A frequency far finer than the data would insert absurdly many rows: refused.
    let opts = CsvOptions::default()
        .with_freq("ms".parse::<Freq>().unwrap())
        .with_repairs(Repairs {
            fill_gaps: true,
            ..Repairs::default()
        });
    let e = PanelFrame::from_csv_reader(
        "unique_id,ds,y\nA,2020-01-01,1\nA,2021-01-01,2\n".as_bytes(),
        &opts,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("fill_gaps would insert more than 10000000 rows"),
        "{e}"
    );
}

#[test]
fn missing_targets_are_masked_in_windows() {
    let f = load(
        MISSING,
        Repairs {
            missing_targets: true,
            ..Repairs::default()
        },
    )
    .unwrap();
    assert_eq!(f.n_missing(), 2);
    assert_eq!(
        f.repair_notes(),
        [
            "missing_targets: 2 empty or NaN targets in 1 series are masked in training (available_mask = 0)"
        ]
    );
    let (mut y, mut mask) = (vec![9.0; 4], vec![9.0; 4]);
    fill_window(f.series(0).y, &[], 0, &mut y, &mut mask, &mut []);
    assert_eq!(y, [1.0, 0.0, 0.0, 4.0]);
    assert_eq!(mask, [1.0, 0.0, 0.0, 1.0]);
}

#[test]
fn an_available_mask_column_masks_targets() {
    let text = "unique_id,ds,y,available_mask,price\nA,1,1,1,5\nA,2,0,0,6\nA,3,3,1,7\n";
    let f = load(text, Repairs::default()).unwrap();
    assert_eq!(f.exog_names(), ["price"]);
    assert!(f.series(0).y[1].is_nan());
    assert_eq!(
        f.repair_notes(),
        ["available_mask: 1 targets marked unavailable are masked in training"]
    );
    let bad = "unique_id,ds,y,available_mask\nA,1,1,0.5\n";
    assert_eq!(
        load(bad, Repairs::default()).unwrap_err().to_string(),
        "series `A`, line 2: available_mask is `0.5`; it must be 0 or 1"
    );
}
