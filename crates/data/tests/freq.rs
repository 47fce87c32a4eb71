//! Frequency parsing and calendar arithmetic.

use chrono::Weekday;
use neurodiv_data::{DataError, Ds, Freq, Unit, days_in_month};

fn d(y: i32, m: u32, day: u32) -> Ds {
    Ds::ymd(y, m, day).unwrap()
}

#[test]
fn parse_and_display() {
    let cases = [
        ("H", Freq::HOUR),
        ("h", Freq::HOUR),
        ("D", Freq::DAY),
        ("W", Freq::WEEK),
        ("W-SUN", Freq::WEEK),
        ("MS", Freq::MONTH_START),
        ("M", Freq::MONTH_END),
        ("ME", Freq::MONTH_END),
        ("QS", Freq::QUARTER_START),
        ("QS-JAN", Freq::QUARTER_START),
        ("QS-APR", Freq::QUARTER_START),
        ("Q", Freq::QUARTER_END),
        ("QE", Freq::QUARTER_END),
        ("QE-MAR", Freq::QUARTER_END),
        ("YS", Freq::YEAR_START),
        ("Y", Freq::YEAR_END),
        ("YE", Freq::YEAR_END),
        ("A", Freq::YEAR_END),
        ("15min", Freq::new(15, Unit::Minute).unwrap()),
        ("15T", Freq::new(15, Unit::Minute).unwrap()),
        ("2H", Freq::new(2, Unit::Hour).unwrap()),
        ("W-MON", Freq::new(1, Unit::Week(Weekday::Mon)).unwrap()),
        ("QS-FEB", Freq::new(1, Unit::QuarterStart(2)).unwrap()),
        ("YE-JUN", Freq::new(1, Unit::YearEnd(6)).unwrap()),
        ("1", Freq::Int(1)),
        ("7", Freq::Int(7)),
    ];
    for (s, f) in cases {
        assert_eq!(s.parse::<Freq>().unwrap(), f, "{s}");
        assert_eq!(f.to_string().parse::<Freq>().unwrap(), f);
    }
    assert_eq!(Freq::MONTH_END.to_string(), "ME");
    assert_eq!("QS-MAY".parse::<Freq>().unwrap().to_string(), "QS-FEB");
    assert_eq!("T".parse::<Freq>().unwrap().to_string(), "min");
    assert_eq!(Freq::Int(3).to_string(), "3");
    for bad in ["X", "0", "-1", "", "0D", "W-XYZ", "QS-13", "D-JAN", "1.5h"] {
        assert!(
            matches!(bad.parse::<Freq>(), Err(DataError::UnknownFreq(_))),
            "{bad}"
        );
    }
}

#[test]
fn month_ends_and_leap_years() {
    let f = Freq::MONTH_END;
    assert_eq!(f.advance(&d(2020, 1, 31), 1).unwrap(), d(2020, 2, 29));
    assert_eq!(f.advance(&d(2021, 1, 31), 1).unwrap(), d(2021, 2, 28));
    assert_eq!(f.advance(&d(2021, 2, 28), 1).unwrap(), d(2021, 3, 31));
    assert_eq!(f.advance(&d(2020, 12, 31), 2).unwrap(), d(2021, 2, 28));
    assert_eq!(f.advance(&d(2020, 3, 31), -1).unwrap(), d(2020, 2, 29));
    assert_eq!(f.advance(&d(1900, 1, 31), 1).unwrap(), d(1900, 2, 28)); // not a leap year
    assert_eq!(f.advance(&d(2000, 1, 31), 1).unwrap(), d(2000, 2, 29)); // leap year
    assert!(f.is_next(&d(2020, 2, 29), &d(2020, 3, 31)));
    assert!(!f.is_next(&d(2020, 2, 28), &d(2020, 3, 28)));
    assert!(!f.is_on_offset(&d(2020, 2, 28)));
    assert_eq!(days_in_month(2024, 2), 29);
    assert_eq!(days_in_month(2023, 12), 31);
    // Off-anchor input snaps to the end of its own month first.
    assert_eq!(f.advance(&d(2020, 1, 15), 1).unwrap(), d(2020, 2, 29));
}

#[test]
fn month_quarter_year_starts_and_ends() {
    assert_eq!(
        Freq::MONTH_START.advance(&d(2020, 12, 1), 1).unwrap(),
        d(2021, 1, 1)
    );
    assert_eq!(
        Freq::QUARTER_START.advance(&d(2020, 10, 1), 1).unwrap(),
        d(2021, 1, 1)
    );
    assert_eq!(
        Freq::QUARTER_START.advance(&d(2020, 4, 1), -2).unwrap(),
        d(2019, 10, 1)
    );
    assert_eq!(
        Freq::QUARTER_END.advance(&d(2020, 3, 31), 1).unwrap(),
        d(2020, 6, 30)
    );
    assert_eq!(
        Freq::QUARTER_END.advance(&d(2020, 12, 31), 1).unwrap(),
        d(2021, 3, 31)
    );
    assert_eq!(
        Freq::QUARTER_END.advance(&d(2019, 12, 31), 1).unwrap(),
        d(2020, 3, 31)
    );
    assert!(!Freq::QUARTER_END.is_on_offset(&d(2020, 4, 30)));
    assert!(Freq::QUARTER_START.is_on_offset(&d(2020, 7, 1)));
    assert_eq!(
        Freq::YEAR_START.advance(&d(2020, 1, 1), 3).unwrap(),
        d(2023, 1, 1)
    );
    assert_eq!(
        Freq::YEAR_END.advance(&d(2020, 12, 31), -1).unwrap(),
        d(2019, 12, 31)
    );
    assert!(!Freq::YEAR_END.is_on_offset(&d(2020, 12, 30)));
}

#[test]
fn weeks_days_hours_ints() {
    assert_eq!(
        Freq::WEEK.advance(&d(2020, 2, 23), 1).unwrap(),
        d(2020, 3, 1)
    );
    assert_eq!(
        Freq::DAY.advance(&d(2020, 2, 28), 2).unwrap(),
        d(2020, 3, 1)
    );
    let h = Ds::ymd_hms(2020, 12, 31, 23, 0, 0).unwrap();
    assert_eq!(Freq::HOUR.advance(&h, 1).unwrap(), d(2021, 1, 1));
    assert_eq!(
        Freq::HOUR.advance(&h, -24).unwrap(),
        Ds::ymd_hms(2020, 12, 30, 23, 0, 0).unwrap()
    );
    assert_eq!(Freq::Int(5).advance(&Ds::Int(10), 3).unwrap(), Ds::Int(25));
    assert!(Freq::Int(1).advance(&Ds::Int(i64::MAX), 1).is_err());
    assert!(matches!(
        Freq::DAY.advance(&Ds::Int(1), 1),
        Err(DataError::FreqKindMismatch { .. })
    ));
    // Anchored frequencies keep the time of day.
    let t = Ds::ymd_hms(2020, 1, 31, 6, 30, 0).unwrap();
    assert_eq!(
        Freq::MONTH_END.advance(&t, 1).unwrap(),
        Ds::ymd_hms(2020, 2, 29, 6, 30, 0).unwrap()
    );
    assert_eq!(
        Freq::MONTH_END.range_after(&d(2020, 11, 30), 3).unwrap(),
        vec![d(2020, 12, 31), d(2021, 1, 31), d(2021, 2, 28)]
    );
}

#[test]
fn infer() {
    let me: Vec<Ds> = [(2020, 1, 31), (2020, 2, 29), (2020, 3, 31)]
        .iter()
        .map(|&(y, m, dd)| d(y, m, dd))
        .collect();
    assert_eq!(Freq::infer(&me), Some(Freq::MONTH_END));
    assert_eq!(
        Freq::infer(&[d(2020, 1, 1), d(2020, 2, 1)]),
        Some(Freq::MONTH_START)
    );
    assert_eq!(
        Freq::infer(&[d(2020, 1, 1), d(2020, 4, 1)]),
        Some(Freq::QUARTER_START)
    );
    assert_eq!(
        Freq::infer(&[d(2020, 3, 31), d(2020, 6, 30)]),
        Some(Freq::QUARTER_END)
    );
    assert_eq!(
        Freq::infer(&[d(2020, 1, 1), d(2021, 1, 1)]),
        Some(Freq::YEAR_START)
    );
    assert_eq!(
        Freq::infer(&[d(2019, 12, 31), d(2020, 12, 31)]),
        Some(Freq::YEAR_END)
    );
    assert_eq!(
        Freq::infer(&[d(2020, 1, 1), d(2020, 1, 8)]), // a Wednesday
        Some("W-WED".parse().unwrap())
    );
    assert_eq!(
        Freq::infer(&[d(2020, 1, 1), d(2020, 1, 2)]),
        Some(Freq::DAY)
    );
    let h = [
        Ds::ymd_hms(2020, 1, 1, 1, 0, 0).unwrap(),
        Ds::ymd_hms(2020, 1, 1, 2, 0, 0).unwrap(),
    ];
    assert_eq!(Freq::infer(&h), Some(Freq::HOUR));
    assert_eq!(
        Freq::infer(&[Ds::Int(3), Ds::Int(5), Ds::Int(7)]),
        Some(Freq::Int(2))
    );
    assert_eq!(Freq::infer(&[Ds::Int(3), Ds::Int(5), Ds::Int(8)]), None);
    assert_eq!(
        Freq::infer(&[d(2020, 1, 1), d(2020, 1, 3)]),
        Some("2D".parse().unwrap())
    );
    assert_eq!(
        Freq::infer(&[d(2020, 1, 1), d(2020, 1, 3), d(2020, 1, 4)]),
        None
    );
    assert_eq!(Freq::infer(&[d(2020, 1, 1)]), None);
}

#[test]
fn serde_as_string() {
    assert_eq!(String::from(Freq::QUARTER_START), "QS");
    assert_eq!(Freq::try_from("A".to_string()).unwrap(), Freq::YEAR_END);
    assert_eq!(Freq::HOUR.seasonality(), 24);
    assert_eq!(Freq::MONTH_START.seasonality(), 12);
}

/// One test per alias: `n` timestamps built by advancing from `start`; the frame of the first
/// `n - 3` points infers the alias (when `infer` is given) and its future timestamps are the last
/// 3; the alias prints as `display` and parses back; the timestamps walk back by `advance(-k)`.
fn round_trip(alias: &str, display: &str, start: &str, infer: bool) {
    use neurodiv_data::{CsvOptions, PanelFrame};
    let freq: Freq = alias.parse().unwrap();
    assert_eq!(freq.to_string(), display, "{alias}");
    assert_eq!(display.parse::<Freq>().unwrap(), freq, "{alias}");
    let start = Ds::parse(start).unwrap();
    assert!(freq.is_on_offset(&start), "{alias}: start off anchor");
    let all: Vec<Ds> = (0..12).map(|k| freq.advance(&start, k).unwrap()).collect();
    for (k, ds) in all.iter().enumerate() {
        assert!(freq.is_on_offset(ds), "{alias}: {ds} off anchor");
        assert_eq!(freq.advance(ds, -(k as i64)).unwrap(), start, "{alias}");
    }
    let mut csv = String::from("unique_id,ds,y\n");
    for ds in &all[..9] {
        csv.push_str(&format!("A,{},1\n", ds.format(true)));
    }
    let opts = if infer {
        CsvOptions::default()
    } else {
        CsvOptions::default().with_freq(freq)
    };
    let frame = PanelFrame::from_csv_reader(csv.as_bytes(), &opts).unwrap();
    assert_eq!(frame.freq(), freq, "{alias}: inferred {}", frame.freq());
    assert_eq!(frame.future_ds(0, 3).unwrap(), all[9..], "{alias}");
}

macro_rules! alias_tests {
    ($($name:ident: $alias:expr, $display:expr, $start:expr, $infer:expr;)*) => {
        $(#[test] fn $name() { round_trip($alias, $display, $start, $infer); })*
    };
}

alias_tests! {
    alias_ms: "ms", "ms", "2024-02-29 23:59:59.998", true;
    alias_250ms: "250L", "250ms", "2024-02-29 23:59:59", true;
    alias_s: "s", "s", "2024-12-31 23:59:55", true;
    alias_30s: "30S", "30s", "2024-12-31 23:58:00", true;
    alias_min: "min", "min", "2024-03-31 23:55", true;
    alias_15min: "15min", "15min", "2024-03-31 22:00", true;
    alias_t: "5T", "5min", "2024-03-31 23:30", true;
    alias_h: "h", "h", "2024-02-28 20:00", true;
    alias_2h_upper: "2H", "2h", "2024-02-28 20:00", true;
    alias_d: "D", "D", "2024-02-25", true;
    alias_3d: "3D", "3D", "2024-02-25", true;
    alias_b: "B", "B", "2024-02-27", true;
    alias_2b: "2B", "2B", "2024-02-27", false;
    alias_w: "W", "W-SUN", "2024-02-18", true;
    alias_w_mon: "W-MON", "W-MON", "2024-02-19", true;
    alias_w_sat: "W-SAT", "W-SAT", "2024-12-21", true;
    alias_2w_wed: "2W-WED", "2W-WED", "2024-12-18", true;
    alias_ms_month: "MS", "MS", "2023-11-01", true;
    alias_me: "ME", "ME", "2023-11-30", true;
    alias_m: "M", "ME", "2024-01-31 06:30", true;
    alias_2me: "2ME", "2ME", "2023-12-31", true;
    alias_qs: "QS", "QS", "2023-10-01", true;
    alias_qs_feb: "QS-FEB", "QS-FEB", "2023-11-01", true;
    alias_qe: "QE", "QE", "2023-12-31", true;
    alias_q_nov: "Q-NOV", "QE-NOV", "2023-11-30", true;
    alias_ys: "YS", "YS", "2020-01-01", true;
    alias_ys_jul: "YS-JUL", "YS-JUL", "2020-07-01", true;
    alias_ye: "YE", "YE", "2019-12-31", true;
    alias_y_feb: "Y-FEB", "YE-FEB", "2019-02-28", true;
    alias_a: "A", "YE", "2019-12-31", false;
}

#[test]
fn alias_integer_steps() {
    use neurodiv_data::{CsvOptions, PanelFrame};
    let csv = "unique_id,ds,y\nA,10,1\nA,15,2\nA,20,3\n";
    let frame = PanelFrame::from_csv_reader(csv.as_bytes(), &CsvOptions::default()).unwrap();
    assert_eq!(frame.freq(), Freq::Int(5));
    assert_eq!(
        frame.future_ds(0, 2).unwrap(),
        vec![Ds::Int(25), Ds::Int(30)]
    );
}

#[test]
fn business_days_skip_weekends() {
    let b = Freq::BUSINESS_DAY;
    // Friday 2024-03-01 + 1 business day = Monday 2024-03-04.
    assert_eq!(b.advance(&d(2024, 3, 1), 1).unwrap(), d(2024, 3, 4));
    assert_eq!(b.advance(&d(2024, 3, 4), -1).unwrap(), d(2024, 3, 1));
    assert_eq!(b.advance(&d(2024, 3, 1), 10).unwrap(), d(2024, 3, 15));
    // A Saturday snaps back to its Friday first.
    assert_eq!(b.advance(&d(2024, 3, 2), 1).unwrap(), d(2024, 3, 4));
    assert!(!b.is_on_offset(&d(2024, 3, 3)));
    let days: Vec<Ds> = [(2024, 2, 29), (2024, 3, 1), (2024, 3, 4), (2024, 3, 5)]
        .iter()
        .map(|&(y, m, dd)| d(y, m, dd))
        .collect();
    assert_eq!(Freq::infer(&days), Some(b));
}

#[test]
fn anchors_are_checked_and_named() {
    use neurodiv_data::{CsvOptions, PanelFrame};
    let csv = "unique_id,ds,y\nA,2024-03-04,1\nA,2024-03-11,2\n"; // Mondays
    let opts = CsvOptions::default().with_freq("W".parse().unwrap());
    let err = PanelFrame::from_csv_reader(csv.as_bytes(), &opts).unwrap_err();
    assert_eq!(
        err.to_string(),
        "series `A`, line 2: timestamp 2024-03-04 is not on frequency W-SUN (expected a Sunday)"
    );
    let qe = Freq::new(1, Unit::QuarterEnd(11)).unwrap();
    assert_eq!(qe.anchor_name(), "the last day of FEB, MAY, AUG, NOV");
}

#[test]
fn offsets_are_read_as_utc() {
    use neurodiv_data::{CsvOptions, PanelFrame};
    let csv = "unique_id,ds,y\nA,2024-03-01T00:00:00+01:00,1\nA,2024-03-01T00:00:00Z,2\nA,2024-03-01T02:00:00+01:00,3\n";
    let frame = PanelFrame::from_csv_reader(csv.as_bytes(), &CsvOptions::default()).unwrap();
    assert_eq!(frame.freq(), Freq::HOUR);
    assert_eq!(
        frame.series(0).ds[0],
        Ds::ymd_hms(2024, 2, 29, 23, 0, 0).unwrap()
    );
}
