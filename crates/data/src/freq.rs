//! Frequencies (pandas offset aliases): the type, its names and its anchors.
//!
//! Only what cannot fail lives here, so that [`crate::DataError`] can name a frequency; the
//! arithmetic, inference and parsing, which return `DataError`, are in `calendar`.

use crate::ds::Ds;
use chrono::{Datelike, NaiveDate, Weekday};
use std::fmt;

/// The unit of a calendar frequency, after pandas' offset aliases (without the multiple).
///
/// Month anchors are 1-based months. Quarter anchors are stored normalised (a quarterly cycle
/// repeats every 3 months): `QuarterStart(m)` with `m` in 1..=3 (`QS-JAN` = `QS-APR`),
/// `QuarterEnd(m)` with `m` in 10..=12 (`QE-DEC` = `QE-MAR`); build them with [`Freq::new`]
/// or by parsing, which normalise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// `ms` / `L`: one millisecond.
    Milli,
    /// `s` / `S`: one second.
    Second,
    /// `min` / `T`: one minute.
    Minute,
    /// `h` / `H`: one hour.
    Hour,
    /// `D`: one calendar day.
    Day,
    /// `B`: one business day (Monday to Friday).
    BusinessDay,
    /// `W-SUN` .. `W-SAT`: one week, on the given weekday (`W` is `W-SUN`).
    Week(Weekday),
    /// `MS`: first day of each month.
    MonthStart,
    /// `ME` / `M`: last day of each month.
    MonthEnd,
    /// `QS-JAN` (`QS`), `QS-FEB`, `QS-MAR`: first day of quarters starting in that month.
    QuarterStart(u32),
    /// `QE-DEC` (`QE`, `Q`), `QE-OCT`, `QE-NOV`: last day of quarters ending in that month.
    QuarterEnd(u32),
    /// `YS-JAN` (`YS`) .. `YS-DEC`: first day of years starting in that month.
    YearStart(u32),
    /// `YE-DEC` (`YE`, `Y`, `A`) .. `YE-NOV`: last day of years ending in that month.
    YearEnd(u32),
}

/// Sampling frequency of a panel, after pandas' offset aliases: a multiple of a calendar unit
/// (`15min`, `2h`, `B`, `W-MON`, `ME`, `QS-FEB`, `YE-JUN`, ...) or an integer step.
///
/// Anchored frequencies (business days, weeks, month, quarter and year starts and ends) require
/// timestamps on their anchor and keep the time of day of the timestamp they advance. Dates are
/// naive and read as UTC.
///
/// Serialised as its [`Display`](fmt::Display) spelling and read back with [`FromStr`](std::str::FromStr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Freq {
    /// `n` units of a calendar frequency (`n >= 1`).
    Date {
        /// The multiple (`15` in `15min`).
        n: u32,
        /// The unit and its anchor.
        unit: Unit,
    },
    /// Integer timestamps advancing by this (positive) step; NeuralForecast's `freq=1`.
    Int(i64),
}

/// Three-letter month names as pandas spells anchors (`JAN` .. `DEC`).
pub(crate) const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// Three-letter weekday names as pandas spells week anchors, Monday first.
pub(crate) const WEEKDAYS: [&str; 7] = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];

impl Freq {
    /// `ms`.
    pub const MILLI: Freq = Freq::once(Unit::Milli);
    /// `s`.
    pub const SECOND: Freq = Freq::once(Unit::Second);
    /// `min`.
    pub const MINUTE: Freq = Freq::once(Unit::Minute);
    /// `h`.
    pub const HOUR: Freq = Freq::once(Unit::Hour);
    /// `D`.
    pub const DAY: Freq = Freq::once(Unit::Day);
    /// `B`.
    pub const BUSINESS_DAY: Freq = Freq::once(Unit::BusinessDay);
    /// `W` (`W-SUN`).
    pub const WEEK: Freq = Freq::once(Unit::Week(Weekday::Sun));
    /// `MS`.
    pub const MONTH_START: Freq = Freq::once(Unit::MonthStart);
    /// `ME`.
    pub const MONTH_END: Freq = Freq::once(Unit::MonthEnd);
    /// `QS` (`QS-JAN`).
    pub const QUARTER_START: Freq = Freq::once(Unit::QuarterStart(1));
    /// `QE` (`QE-DEC`).
    pub const QUARTER_END: Freq = Freq::once(Unit::QuarterEnd(12));
    /// `YS` (`YS-JAN`).
    pub const YEAR_START: Freq = Freq::once(Unit::YearStart(1));
    /// `YE` (`YE-DEC`).
    pub const YEAR_END: Freq = Freq::once(Unit::YearEnd(12));

    const fn once(unit: Unit) -> Freq {
        Freq::Date { n: 1, unit }
    }

    /// `n` units (`n >= 1`, else `None`), with month anchors normalised (see [`Unit`]); an anchor
    /// month outside 1..=12 is `None`.
    pub fn new(n: u32, unit: Unit) -> Option<Freq> {
        let month_ok = |m: u32| (1..=12).contains(&m);
        let unit = match unit {
            Unit::QuarterStart(m) if month_ok(m) => Unit::QuarterStart((m - 1) % 3 + 1),
            Unit::QuarterEnd(m) if month_ok(m) => Unit::QuarterEnd((m - 1) % 3 + 10),
            Unit::QuarterStart(_) | Unit::QuarterEnd(_) => return None,
            Unit::YearStart(m) | Unit::YearEnd(m) if !month_ok(m) => return None,
            other => other,
        };
        (n >= 1).then_some(Freq::Date { n, unit })
    }

    /// `true` for [`Freq::Int`].
    pub fn is_int(&self) -> bool {
        matches!(self, Freq::Int(_))
    }

    /// The usual seasonal period (for MASE and seasonal baselines), divided by the multiple
    /// when it divides it: hourly 24 (one day), minutes 60 (one hour), daily 7, business days 5,
    /// weekly 52, monthly 12, quarterly 4; yearly, seconds, milliseconds and integer steps 1.
    pub fn seasonality(&self) -> usize {
        let (n, unit) = match self {
            Freq::Int(_) => return 1,
            Freq::Date { n, unit } => (*n as usize, unit),
        };
        let base = match unit {
            Unit::Milli | Unit::Second => 1,
            Unit::Minute => 60,
            Unit::Hour => 24,
            Unit::Day => 7,
            Unit::BusinessDay => 5,
            Unit::Week(_) => 52,
            Unit::MonthStart | Unit::MonthEnd => 12,
            Unit::QuarterStart(_) | Unit::QuarterEnd(_) => 4,
            Unit::YearStart(_) | Unit::YearEnd(_) => 1,
        };
        if base % n == 0 { base / n } else { 1 }
    }

    /// What an on-anchor timestamp looks like, for messages.
    pub fn anchor_name(&self) -> String {
        let unit = match self {
            Freq::Int(_) => return "any timestamp".into(),
            Freq::Date { unit, .. } => unit,
        };
        let months_of = |first: u32| {
            (0..4)
                .map(|k| MONTHS[((first - 1 + 3 * k) % 12) as usize])
                .collect::<Vec<_>>()
                .join(", ")
        };
        match unit {
            Unit::Milli | Unit::Second | Unit::Minute | Unit::Hour | Unit::Day => {
                "any timestamp".into()
            }
            Unit::BusinessDay => "a business day (Monday to Friday)".into(),
            Unit::Week(wd) => format!("a {}", weekday_name(*wd)),
            Unit::MonthStart => "the first day of a month".into(),
            Unit::MonthEnd => "the last day of a month".into(),
            Unit::QuarterStart(m) => format!("the first day of {}", months_of(*m)),
            Unit::QuarterEnd(m) => format!("the last day of {}", months_of(*m - 9)),
            Unit::YearStart(m) => format!("the first day of {}", MONTHS[*m as usize - 1]),
            Unit::YearEnd(m) => format!("the last day of {}", MONTHS[*m as usize - 1]),
        }
    }

    /// `true` when `ds` lies on this frequency's anchor (a month end for `ME`, a Monday for
    /// `W-MON`, ...). Ticks (`ms`, `s`, `min`, `h`, `D`) and integer steps have no anchor. A
    /// timestamp of the wrong kind is never on offset.
    pub fn is_on_offset(&self, ds: &Ds) -> bool {
        let (unit, d) = match (self, ds) {
            (Freq::Int(_), Ds::Int(_)) => return true,
            (Freq::Int(_), Ds::Date(_)) | (_, Ds::Int(_)) => return false,
            (Freq::Date { unit, .. }, Ds::Date(d)) => (unit, d.date()),
        };
        let first = d.day() == 1;
        let last = d.day() == days_in_month(d.year(), d.month());
        // Months since the cycle's first month, modulo the period.
        let phase = |start_month: u32, period: u32| (d.month() + 12 - start_month) % period;
        match *unit {
            Unit::Milli | Unit::Second | Unit::Minute | Unit::Hour | Unit::Day => true,
            Unit::BusinessDay => d.weekday().num_days_from_monday() < 5,
            Unit::Week(wd) => d.weekday() == wd,
            Unit::MonthStart => first,
            Unit::MonthEnd => last,
            Unit::QuarterStart(m) => first && phase(m, 3) == 0,
            Unit::QuarterEnd(m) => last && phase(m, 3) == 0,
            Unit::YearStart(m) => first && d.month() == m,
            Unit::YearEnd(m) => last && d.month() == m,
        }
    }
}

/// `Monday` .. `Sunday`.
pub(crate) fn weekday_name(wd: Weekday) -> &'static str {
    [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ][wd.num_days_from_monday() as usize]
}

/// Number of days of a month (handles leap years).
pub fn days_in_month(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    match (
        NaiveDate::from_ymd_opt(ny, nm, 1),
        NaiveDate::from_ymd_opt(year, month, 1),
    ) {
        (Some(next), Some(first)) => (next - first).num_days() as u32,
        // Only at the very end of chrono's range; December has 31 days.
        _ => 31,
    }
}

impl fmt::Display for Freq {
    /// The current pandas spelling, with the multiple when it is not 1: `15min`, `2h`, `D`,
    /// `B`, `W-SUN`, `MS`, `ME`, `QS`, `QS-FEB`, `QE`, `QE-NOV`, `YS`, `YE`, `YE-JUN`, or the
    /// integer step. Default anchors (`QS-JAN`, `QE-DEC`, `YS-JAN`, `YE-DEC`) print short.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = match self {
            Freq::Int(step) => return write!(f, "{step}"),
            Freq::Date { n, unit } => (*n, *unit),
        };
        if n != 1 {
            write!(f, "{n}")?;
        }
        let month = |m: u32| MONTHS[m as usize - 1];
        match unit {
            Unit::Milli => f.write_str("ms"),
            Unit::Second => f.write_str("s"),
            Unit::Minute => f.write_str("min"),
            Unit::Hour => f.write_str("h"),
            Unit::Day => f.write_str("D"),
            Unit::BusinessDay => f.write_str("B"),
            Unit::Week(wd) => write!(f, "W-{}", WEEKDAYS[wd.num_days_from_monday() as usize]),
            Unit::MonthStart => f.write_str("MS"),
            Unit::MonthEnd => f.write_str("ME"),
            Unit::QuarterStart(1) => f.write_str("QS"),
            Unit::QuarterStart(m) => write!(f, "QS-{}", month(m)),
            Unit::QuarterEnd(12) => f.write_str("QE"),
            Unit::QuarterEnd(m) => write!(f, "QE-{}", month(m)),
            Unit::YearStart(1) => f.write_str("YS"),
            Unit::YearStart(m) => write!(f, "YS-{}", month(m)),
            Unit::YearEnd(12) => f.write_str("YE"),
            Unit::YearEnd(m) => write!(f, "YE-{}", month(m)),
        }
    }
}

impl From<Freq> for String {
    fn from(f: Freq) -> String {
        f.to_string()
    }
}
