//! Frequencies (pandas offset aliases) and calendar arithmetic.

use crate::ds::Ds;
use crate::error::DataError;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Sampling frequency of a panel, after pandas' offset aliases.
///
/// Anchored frequencies (month, quarter, year starts and ends) keep the time of day of the
/// timestamp they advance. Quarters are calendar quarters (pandas' `QS-JAN` / `QE-DEC`), years are
/// calendar years (`YS-JAN` / `YE-DEC`). Weeks are plain 7-day steps: the weekday anchor of pandas'
/// `W-SUN` is not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Freq {
    /// `H` / `h`: one hour.
    Hour,
    /// `D`: one day.
    Day,
    /// `W`: seven days.
    Week,
    /// `MS`: first day of each month.
    MonthStart,
    /// `M` / `ME`: last day of each month.
    MonthEnd,
    /// `QS`: first day of January, April, July, October.
    QuarterStart,
    /// `Q` / `QE`: last day of March, June, September, December.
    QuarterEnd,
    /// `YS` / `AS`: January 1st.
    YearStart,
    /// `Y` / `YE` / `A`: December 31st.
    YearEnd,
    /// Integer timestamps advancing by this (positive) step; NeuralForecast's `freq=1`.
    Int(i64),
}

const DATE_FREQS: [Freq; 9] = [
    Freq::Hour,
    Freq::Day,
    Freq::Week,
    Freq::MonthStart,
    Freq::MonthEnd,
    Freq::QuarterStart,
    Freq::QuarterEnd,
    Freq::YearStart,
    Freq::YearEnd,
];

impl Freq {
    /// `true` for [`Freq::Int`].
    pub fn is_int(&self) -> bool {
        matches!(self, Freq::Int(_))
    }

    /// The usual seasonal period (for MASE and seasonal baselines): hourly 24, daily 7, weekly 52,
    /// monthly 12, quarterly 4, yearly 1, integer 1.
    pub fn seasonality(&self) -> usize {
        match self {
            Freq::Hour => 24,
            Freq::Day => 7,
            Freq::Week => 52,
            Freq::MonthStart | Freq::MonthEnd => 12,
            Freq::QuarterStart | Freq::QuarterEnd => 4,
            Freq::YearStart | Freq::YearEnd | Freq::Int(_) => 1,
        }
    }

    /// What an on-anchor timestamp looks like, for messages.
    pub fn anchor_name(&self) -> &'static str {
        match self {
            Freq::MonthStart => "the first day of a month",
            Freq::MonthEnd => "the last day of a month",
            Freq::QuarterStart => "the first day of a quarter (Jan, Apr, Jul, Oct 1st)",
            Freq::QuarterEnd => "the last day of a quarter (Mar 31, Jun 30, Sep 30, Dec 31)",
            Freq::YearStart => "January 1st",
            Freq::YearEnd => "December 31st",
            Freq::Hour | Freq::Day | Freq::Week | Freq::Int(_) => "any timestamp",
        }
    }

    /// Checks that this frequency applies to the kind of `ds` (integer frequency with integer
    /// timestamps, calendar frequency with dates) and that an integer step is positive.
    pub fn check_kind(&self, ds: &Ds) -> Result<(), DataError> {
        match (self, ds) {
            (Freq::Int(s), Ds::Int(_)) if *s > 0 => Ok(()),
            (Freq::Int(s), Ds::Int(_)) => Err(DataError::InvalidArgument(format!(
                "integer frequency step must be positive, got {s}"
            ))),
            (Freq::Int(_), Ds::Date(_)) => Err(DataError::FreqKindMismatch {
                freq: *self,
                kind: "date",
            }),
            (_, Ds::Int(_)) => Err(DataError::FreqKindMismatch {
                freq: *self,
                kind: "integer",
            }),
            (_, Ds::Date(_)) => Ok(()),
        }
    }

    /// `true` when `ds` lies on this frequency's anchor (month end for `ME`, ...). Hours, days,
    /// weeks and integer steps have no anchor. A timestamp of the wrong kind is never on offset.
    pub fn is_on_offset(&self, ds: &Ds) -> bool {
        let d = match (self, ds) {
            (Freq::Int(_), Ds::Int(_)) => return true,
            (Freq::Int(_), Ds::Date(_)) | (_, Ds::Int(_)) => return false,
            (_, Ds::Date(d)) => d.date(),
        };
        let last = days_in_month(d.year(), d.month());
        match self {
            Freq::Hour | Freq::Day | Freq::Week | Freq::Int(_) => true,
            Freq::MonthStart => d.day() == 1,
            Freq::MonthEnd => d.day() == last,
            Freq::QuarterStart => d.day() == 1 && d.month() % 3 == 1,
            Freq::QuarterEnd => d.day() == last && d.month() % 3 == 0,
            Freq::YearStart => d.day() == 1 && d.month() == 1,
            Freq::YearEnd => d.day() == 31 && d.month() == 12,
        }
    }

    /// `ds` advanced by `n` periods (`n` may be negative).
    ///
    /// Anchored frequencies first snap `ds` to the anchor of the period that contains it (for
    /// `ME`, 1949-01-15 snaps to 1949-01-31), then move by whole periods and keep the time of day;
    /// month ends stay month ends (Jan 31 + 1 → Feb 28 or 29).
    pub fn advance(&self, ds: &Ds, n: i64) -> Result<Ds, DataError> {
        self.check_kind(ds)?;
        let overflow = || DataError::DateOutOfRange {
            ds: *ds,
            n,
            freq: *self,
        };
        let dt = match (self, ds) {
            (Freq::Int(step), Ds::Int(i)) => {
                let off = step.checked_mul(n).ok_or_else(overflow)?;
                return i.checked_add(off).map(Ds::Int).ok_or_else(overflow);
            }
            (_, Ds::Date(dt)) => *dt,
            (_, Ds::Int(_)) => unreachable!("kind checked by check_kind"),
        };
        let by_duration = |d: Option<Duration>| {
            d.and_then(|d| dt.checked_add_signed(d))
                .map(Ds::Date)
                .ok_or_else(overflow)
        };
        let months = |period: i64, start_of: bool| -> Result<Ds, DataError> {
            // Month index (year * 12 + month0) of the first month of the containing period;
            // 12 is a multiple of every period, so rem_euclid lands on Jan/Apr/Jul/Oct or Jan.
            let idx = dt.year() as i64 * 12 + dt.month0() as i64;
            let first = idx - idx.rem_euclid(period);
            let target = n
                .checked_mul(period)
                .and_then(|off| first.checked_add(off))
                .ok_or_else(overflow)?;
            let target = if start_of {
                target
            } else {
                target + period - 1
            };
            let (ty, tm) = (target.div_euclid(12), target.rem_euclid(12) as u32 + 1);
            let ty = i32::try_from(ty).map_err(|_| overflow())?;
            let day = if start_of { 1 } else { days_in_month(ty, tm) };
            NaiveDate::from_ymd_opt(ty, tm, day)
                .map(|d| Ds::Date(NaiveDateTime::new(d, dt.time())))
                .ok_or_else(overflow)
        };
        match self {
            Freq::Hour => by_duration(Duration::try_hours(n)),
            Freq::Day => by_duration(Duration::try_days(n)),
            Freq::Week => by_duration(n.checked_mul(7).and_then(Duration::try_days)),
            Freq::MonthStart => months(1, true),
            Freq::MonthEnd => months(1, false),
            Freq::QuarterStart => months(3, true),
            Freq::QuarterEnd => months(3, false),
            Freq::YearStart => months(12, true),
            Freq::YearEnd => months(12, false),
            Freq::Int(_) => unreachable!("handled above"),
        }
    }

    /// `n` timestamps following `last`: `last + 1, ..., last + n` periods (forecast dates).
    pub fn range_after(&self, last: &Ds, n: usize) -> Result<Vec<Ds>, DataError> {
        (1..=n as i64).map(|k| self.advance(last, k)).collect()
    }

    /// `true` when `next` is exactly one period after `prev` (and both are on offset).
    pub fn is_next(&self, prev: &Ds, next: &Ds) -> bool {
        self.is_on_offset(prev)
            && self.is_on_offset(next)
            && self.advance(prev, 1).is_ok_and(|e| e == *next)
    }

    /// Infers the frequency of one sorted series: the integer step shared by all consecutive
    /// integer timestamps, or the first of `H, D, W, MS, ME, QS, QE, YS, YE` under which every
    /// timestamp is on offset and one period after the previous. `None` with fewer than two
    /// timestamps, mixed kinds, or when nothing fits.
    pub fn infer(ds: &[Ds]) -> Option<Freq> {
        if ds.len() < 2 {
            return None;
        }
        if ds.iter().all(Ds::is_int) {
            let ints: Vec<i64> = ds.iter().filter_map(Ds::as_int).collect();
            let step = ints[1].checked_sub(ints[0])?;
            let ok = step > 0
                && ints
                    .windows(2)
                    .all(|w| w[1].checked_sub(w[0]) == Some(step));
            return ok.then_some(Freq::Int(step));
        }
        if !ds.iter().all(|d| !d.is_int()) {
            return None;
        }
        DATE_FREQS
            .into_iter()
            .find(|f| ds.windows(2).all(|w| f.is_next(&w[0], &w[1])))
    }
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
    /// The current pandas spelling: `h, D, W, MS, ME, QS, QE, YS, YE`, or the integer step.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Freq::Hour => "h",
            Freq::Day => "D",
            Freq::Week => "W",
            Freq::MonthStart => "MS",
            Freq::MonthEnd => "ME",
            Freq::QuarterStart => "QS",
            Freq::QuarterEnd => "QE",
            Freq::YearStart => "YS",
            Freq::YearEnd => "YE",
            Freq::Int(step) => return write!(f, "{step}"),
        };
        f.write_str(s)
    }
}

impl FromStr for Freq {
    type Err = DataError;

    /// Accepts pandas aliases: `H h D d W W-SUN..W-SAT MS M ME QS QS-JAN Q QE Q-DEC QE-DEC YS AS
    /// YS-JAN AS-JAN Y YE A Y-DEC YE-DEC A-DEC`, and a positive integer for integer timestamps.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let f = match t {
            "H" | "h" => Freq::Hour,
            "D" | "d" => Freq::Day,
            "W" => Freq::Week,
            w if w.len() == 5
                && w.starts_with("W-")
                && ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"].contains(&&w[2..]) =>
            {
                Freq::Week
            }
            "MS" => Freq::MonthStart,
            "M" | "ME" => Freq::MonthEnd,
            "QS" | "QS-JAN" => Freq::QuarterStart,
            "Q" | "QE" | "Q-DEC" | "QE-DEC" => Freq::QuarterEnd,
            "YS" | "AS" | "YS-JAN" | "AS-JAN" => Freq::YearStart,
            "Y" | "YE" | "A" | "Y-DEC" | "YE-DEC" | "A-DEC" => Freq::YearEnd,
            other => match other.parse::<i64>() {
                Ok(step) if step > 0 => Freq::Int(step),
                _ => return Err(DataError::UnknownFreq(s.to_string())),
            },
        };
        Ok(f)
    }
}

impl From<Freq> for String {
    fn from(f: Freq) -> String {
        f.to_string()
    }
}

impl TryFrom<String> for Freq {
    type Error = DataError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}
