//! Frequency parsing and calendar arithmetic.

use neurodiv_data::{DataError, Ds, Freq, days_in_month};

fn d(y: i32, m: u32, day: u32) -> Ds {
    Ds::ymd(y, m, day).unwrap()
}

#[test]
fn parse_and_display() {
    let cases = [
        ("H", Freq::Hour),
        ("h", Freq::Hour),
        ("D", Freq::Day),
        ("W", Freq::Week),
        ("W-SUN", Freq::Week),
        ("MS", Freq::MonthStart),
        ("M", Freq::MonthEnd),
        ("ME", Freq::MonthEnd),
        ("QS", Freq::QuarterStart),
        ("Q", Freq::QuarterEnd),
        ("QE", Freq::QuarterEnd),
        ("YS", Freq::YearStart),
        ("Y", Freq::YearEnd),
        ("YE", Freq::YearEnd),
        ("A", Freq::YearEnd),
        ("1", Freq::Int(1)),
        ("7", Freq::Int(7)),
    ];
    for (s, f) in cases {
        assert_eq!(s.parse::<Freq>().unwrap(), f, "{s}");
        assert_eq!(f.to_string().parse::<Freq>().unwrap(), f);
    }
    assert_eq!(Freq::MonthEnd.to_string(), "ME");
    assert_eq!(Freq::Int(3).to_string(), "3");
    for bad in ["ms", "X", "0", "-1", ""] {
        assert!(
            matches!(bad.parse::<Freq>(), Err(DataError::UnknownFreq(_))),
            "{bad}"
        );
    }
}

#[test]
fn month_ends_and_leap_years() {
    let f = Freq::MonthEnd;
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
        Freq::MonthStart.advance(&d(2020, 12, 1), 1).unwrap(),
        d(2021, 1, 1)
    );
    assert_eq!(
        Freq::QuarterStart.advance(&d(2020, 10, 1), 1).unwrap(),
        d(2021, 1, 1)
    );
    assert_eq!(
        Freq::QuarterStart.advance(&d(2020, 4, 1), -2).unwrap(),
        d(2019, 10, 1)
    );
    assert_eq!(
        Freq::QuarterEnd.advance(&d(2020, 3, 31), 1).unwrap(),
        d(2020, 6, 30)
    );
    assert_eq!(
        Freq::QuarterEnd.advance(&d(2020, 12, 31), 1).unwrap(),
        d(2021, 3, 31)
    );
    assert_eq!(
        Freq::QuarterEnd.advance(&d(2019, 12, 31), 1).unwrap(),
        d(2020, 3, 31)
    );
    assert!(!Freq::QuarterEnd.is_on_offset(&d(2020, 4, 30)));
    assert!(Freq::QuarterStart.is_on_offset(&d(2020, 7, 1)));
    assert_eq!(
        Freq::YearStart.advance(&d(2020, 1, 1), 3).unwrap(),
        d(2023, 1, 1)
    );
    assert_eq!(
        Freq::YearEnd.advance(&d(2020, 12, 31), -1).unwrap(),
        d(2019, 12, 31)
    );
    assert!(!Freq::YearEnd.is_on_offset(&d(2020, 12, 30)));
}

#[test]
fn weeks_days_hours_ints() {
    assert_eq!(
        Freq::Week.advance(&d(2020, 2, 23), 1).unwrap(),
        d(2020, 3, 1)
    );
    assert_eq!(
        Freq::Day.advance(&d(2020, 2, 28), 2).unwrap(),
        d(2020, 3, 1)
    );
    let h = Ds::ymd_hms(2020, 12, 31, 23, 0, 0).unwrap();
    assert_eq!(Freq::Hour.advance(&h, 1).unwrap(), d(2021, 1, 1));
    assert_eq!(
        Freq::Hour.advance(&h, -24).unwrap(),
        Ds::ymd_hms(2020, 12, 30, 23, 0, 0).unwrap()
    );
    assert_eq!(Freq::Int(5).advance(&Ds::Int(10), 3).unwrap(), Ds::Int(25));
    assert!(Freq::Int(1).advance(&Ds::Int(i64::MAX), 1).is_err());
    assert!(matches!(
        Freq::Day.advance(&Ds::Int(1), 1),
        Err(DataError::FreqKindMismatch { .. })
    ));
    // Anchored frequencies keep the time of day.
    let t = Ds::ymd_hms(2020, 1, 31, 6, 30, 0).unwrap();
    assert_eq!(
        Freq::MonthEnd.advance(&t, 1).unwrap(),
        Ds::ymd_hms(2020, 2, 29, 6, 30, 0).unwrap()
    );
    assert_eq!(
        Freq::MonthEnd.range_after(&d(2020, 11, 30), 3).unwrap(),
        vec![d(2020, 12, 31), d(2021, 1, 31), d(2021, 2, 28)]
    );
}

#[test]
fn infer() {
    let me: Vec<Ds> = [(2020, 1, 31), (2020, 2, 29), (2020, 3, 31)]
        .iter()
        .map(|&(y, m, dd)| d(y, m, dd))
        .collect();
    assert_eq!(Freq::infer(&me), Some(Freq::MonthEnd));
    assert_eq!(
        Freq::infer(&[d(2020, 1, 1), d(2020, 2, 1)]),
        Some(Freq::MonthStart)
    );
    assert_eq!(
        Freq::infer(&[d(2020, 1, 1), d(2020, 4, 1)]),
        Some(Freq::QuarterStart)
    );
    assert_eq!(
        Freq::infer(&[d(2020, 3, 31), d(2020, 6, 30)]),
        Some(Freq::QuarterEnd)
    );
    assert_eq!(
        Freq::infer(&[d(2020, 1, 1), d(2021, 1, 1)]),
        Some(Freq::YearStart)
    );
    assert_eq!(
        Freq::infer(&[d(2019, 12, 31), d(2020, 12, 31)]),
        Some(Freq::YearEnd)
    );
    assert_eq!(
        Freq::infer(&[d(2020, 1, 1), d(2020, 1, 8)]),
        Some(Freq::Week)
    );
    assert_eq!(
        Freq::infer(&[d(2020, 1, 1), d(2020, 1, 2)]),
        Some(Freq::Day)
    );
    let h = [
        Ds::ymd_hms(2020, 1, 1, 1, 0, 0).unwrap(),
        Ds::ymd_hms(2020, 1, 1, 2, 0, 0).unwrap(),
    ];
    assert_eq!(Freq::infer(&h), Some(Freq::Hour));
    assert_eq!(
        Freq::infer(&[Ds::Int(3), Ds::Int(5), Ds::Int(7)]),
        Some(Freq::Int(2))
    );
    assert_eq!(Freq::infer(&[Ds::Int(3), Ds::Int(5), Ds::Int(8)]), None);
    assert_eq!(Freq::infer(&[d(2020, 1, 1), d(2020, 1, 3)]), None);
    assert_eq!(Freq::infer(&[d(2020, 1, 1)]), None);
}

#[test]
fn serde_as_string() {
    assert_eq!(String::from(Freq::QuarterStart), "QS");
    assert_eq!(Freq::try_from("A".to_string()).unwrap(), Freq::YearEnd);
    assert_eq!(Freq::Hour.seasonality(), 24);
    assert_eq!(Freq::MonthStart.seasonality(), 12);
}
