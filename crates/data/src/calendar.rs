//! Calendar arithmetic, frequency inference and parsing: everything about [`Freq`] that can fail
//! with a [`DataError`] (so this module sits above `error`, which sits above `freq`).

use crate::ds::Ds;
use crate::error::DataError;
use crate::freq::{Freq, days_in_month};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::str::FromStr;

/// The calendar frequencies, in the order [`Freq::infer`] tries them.
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

impl TryFrom<String> for Freq {
    type Error = DataError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl Serialize for Freq {
    /// As its pandas spelling (`"ME"`, `"D"`, or the integer step as a string).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Freq {
    /// From any spelling [`FromStr`] accepts.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Freq::try_from(s).map_err(serde::de::Error::custom)
    }
}
