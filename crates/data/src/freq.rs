//! Frequencies (pandas offset aliases): the type, its names and its anchors.
//!
//! Only what cannot fail lives here, so that [`crate::DataError`] can name a frequency; the
//! arithmetic, inference and parsing, which return `DataError`, are in `calendar`.

use crate::ds::Ds;
use chrono::{Datelike, NaiveDate};
use std::fmt;

/// Sampling frequency of a panel, after pandas' offset aliases.
///
/// Anchored frequencies (month, quarter, year starts and ends) keep the time of day of the
/// timestamp they advance. Quarters are calendar quarters (pandas' `QS-JAN` / `QE-DEC`), years are
/// calendar years (`YS-JAN` / `YE-DEC`). Weeks are plain 7-day steps: the weekday anchor of pandas'
/// `W-SUN` is not checked.
///
/// Serialised as its [`Display`](fmt::Display) spelling and read back with [`FromStr`](std::str::FromStr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

impl From<Freq> for String {
    fn from(f: Freq) -> String {
        f.to_string()
    }
}
