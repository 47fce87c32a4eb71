//! Calendar arithmetic, frequency inference and parsing: everything about [`Freq`] that can fail
//! with a [`DataError`] (so this module sits above `error`, which sits above `freq`).

use crate::ds::Ds;
use crate::error::DataError;
use crate::freq::{Freq, MONTHS, Unit, WEEKDAYS, days_in_month};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::str::FromStr;

/// Months since year 0 (`year * 12 + month0`), the index of month arithmetic.
fn month_index(d: &NaiveDateTime) -> i64 {
    d.year() as i64 * 12 + d.month0() as i64
}

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

    /// `ds` advanced by `k` periods (`k` may be negative); a period is the frequency's multiple
    /// of its unit (`k = 2` with `15min` moves 30 minutes).
    ///
    /// Anchored frequencies first snap `ds` to the anchor of the period that contains it (for
    /// `ME`, 1949-01-15 snaps to 1949-01-31; for `W-SUN`, to the Sunday ending its week; for
    /// `B`, a weekend day to the Friday before), then move by whole periods and keep the time of
    /// day; month ends stay month ends (Jan 31 + 1 `ME` → Feb 28 or 29). All arithmetic is
    /// chrono's, checked: leaving its range is [`DataError::DateOutOfRange`].
    pub fn advance(&self, ds: &Ds, k: i64) -> Result<Ds, DataError> {
        self.check_kind(ds)?;
        let overflow = || DataError::DateOutOfRange {
            ds: *ds,
            n: k,
            freq: *self,
        };
        let (n, unit, dt) = match (self, ds) {
            (Freq::Int(step), Ds::Int(i)) => {
                let off = step.checked_mul(k).ok_or_else(overflow)?;
                return i.checked_add(off).map(Ds::Int).ok_or_else(overflow);
            }
            (Freq::Date { n, unit }, Ds::Date(dt)) => (*n, *unit, *dt),
            _ => unreachable!("kind checked by check_kind"),
        };
        let total = k.checked_mul(n as i64).ok_or_else(overflow)?;
        let shift = |d: Option<Duration>| {
            d.and_then(|d| dt.checked_add_signed(d))
                .map(Ds::Date)
                .ok_or_else(overflow)
        };
        let days = |d: i64| Duration::try_days(d);
        // `period` months per step, cycles starting at month0 `start`; `start_of` picks the first
        // or the last day of the period.
        let months = |period: i64, start: i64, start_of: bool| -> Result<Ds, DataError> {
            let idx = month_index(&dt);
            let first = idx - (idx - start).rem_euclid(period);
            let target = total
                .checked_mul(period)
                .and_then(|off| first.checked_add(off))
                .map(|t| if start_of { t } else { t + period - 1 })
                .ok_or_else(overflow)?;
            let (ty, tm) = (target.div_euclid(12), target.rem_euclid(12) as u32 + 1);
            let ty = i32::try_from(ty).map_err(|_| overflow())?;
            let day = if start_of { 1 } else { days_in_month(ty, tm) };
            NaiveDate::from_ymd_opt(ty, tm, day)
                .map(|d| Ds::Date(NaiveDateTime::new(d, dt.time())))
                .ok_or_else(overflow)
        };
        match unit {
            Unit::Milli => shift(Duration::try_milliseconds(total)),
            Unit::Second => shift(Duration::try_seconds(total)),
            Unit::Minute => shift(Duration::try_minutes(total)),
            Unit::Hour => shift(Duration::try_hours(total)),
            Unit::Day => shift(days(total)),
            Unit::BusinessDay => {
                // Snap a weekend day back to Friday, then count in whole weeks of 5 days.
                let wd = dt.weekday().num_days_from_monday() as i64;
                let (back, pos) = if wd >= 5 { (wd, 4) } else { (wd, wd) };
                let t = pos.checked_add(total).ok_or_else(overflow)?;
                let offset = (t.div_euclid(5).checked_mul(7))
                    .and_then(|w| w.checked_add(t.rem_euclid(5)))
                    .and_then(|o| o.checked_sub(back))
                    .ok_or_else(overflow)?;
                shift(days(offset))
            }
            Unit::Week(wd) => {
                let ahead = (wd.num_days_from_monday() as i64
                    - dt.weekday().num_days_from_monday() as i64)
                    .rem_euclid(7);
                let offset = total
                    .checked_mul(7)
                    .and_then(|d| d.checked_add(ahead))
                    .ok_or_else(overflow)?;
                shift(days(offset))
            }
            Unit::MonthStart => months(1, 0, true),
            Unit::MonthEnd => months(1, 0, false),
            Unit::QuarterStart(m) => months(3, m as i64 - 1, true),
            Unit::QuarterEnd(m) => months(3, (m % 12) as i64, false),
            Unit::YearStart(m) => months(12, m as i64 - 1, true),
            Unit::YearEnd(m) => months(12, (m % 12) as i64, false),
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

    /// Infers the frequency of one sorted series, where its timestamps leave no doubt:
    ///
    /// 1. integers: the step shared by all consecutive timestamps;
    /// 2. a whole number of months between the first two dates, with every date one period after
    ///    the previous on month starts or month ends: `MS`/`ME` (`3MS`...), quarters when the
    ///    step is a multiple of 3 (`QS-FEB`, `QE`...), years when it is a multiple of 12
    ///    (`YS-JUL`, `YE`...), anchored on the first date's month;
    /// 3. a constant spacing: `W-<weekday>` (multiples of 7 days, on the first date's weekday),
    ///    else the largest of `D`, `h`, `min`, `s`, `ms` that divides it, with its multiple;
    /// 4. business days (`B`): weekdays only, one business day apart.
    ///
    /// `None` with fewer than two timestamps, mixed kinds, or when nothing fits.
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
        let dates: Vec<NaiveDateTime> = ds.iter().map(Ds::as_date).collect::<Option<_>>()?;
        let fits = |f: Freq| ds.windows(2).all(|w| f.is_next(&w[0], &w[1]));
        let (d0, d1) = (dates[0], dates[1]);
        let k = month_index(&d1) - month_index(&d0);
        if let Ok(k) = u32::try_from(k)
            && k >= 1
        {
            let m = d0.month();
            let (n, start, end) = if k % 12 == 0 {
                (k / 12, Unit::YearStart(m), Unit::YearEnd(m))
            } else if k % 3 == 0 {
                (k / 3, Unit::QuarterStart(m), Unit::QuarterEnd(m))
            } else {
                (k, Unit::MonthStart, Unit::MonthEnd)
            };
            for unit in [start, end] {
                if let Some(f) = Freq::new(n, unit).filter(|f| fits(*f)) {
                    return Some(f);
                }
            }
        }
        let step = d1 - d0;
        if step > Duration::zero() && dates.windows(2).all(|w| w[1] - w[0] == step) {
            let ms = step.num_milliseconds();
            if step == Duration::milliseconds(ms) {
                const DAY: i64 = 86_400_000;
                let unit = [
                    (7 * DAY, Unit::Week(d0.weekday())),
                    (DAY, Unit::Day),
                    (3_600_000, Unit::Hour),
                    (60_000, Unit::Minute),
                    (1_000, Unit::Second),
                    (1, Unit::Milli),
                ]
                .into_iter()
                .find(|(len, _)| ms % len == 0);
                if let Some((len, unit)) = unit {
                    return u32::try_from(ms / len)
                        .ok()
                        .and_then(|n| Freq::new(n, unit));
                }
            }
        }
        fits(Freq::BUSINESS_DAY).then_some(Freq::BUSINESS_DAY)
    }
}

/// A month anchor (`JAN` .. `DEC`, any case) as 1..=12.
fn parse_month(s: &str) -> Option<u32> {
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(s))
        .map(|i| i as u32 + 1)
}

impl FromStr for Freq {
    type Err = DataError;

    /// Accepts pandas offset aliases with an optional positive multiple (`15min`, `2h`, `3MS`):
    /// `ms`/`L`, `s`/`S`, `min`/`T`, `h`/`H`, `D`/`d`, `B`, `W` and `W-SUN`..`W-SAT`, `MS`,
    /// `ME`/`M`, `QS` and `QS-JAN`..`QS-DEC`, `QE`/`Q` and `QE-JAN`..`QE-DEC`, `YS`/`AS` and
    /// `YS-JAN`.., `YE`/`Y`/`A` and `YE-JAN`..; or a positive integer step for integer
    /// timestamps.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let unknown = || DataError::UnknownFreq(s.to_string());
        if let Ok(step) = t.parse::<i64>() {
            return if step > 0 {
                Ok(Freq::Int(step))
            } else {
                Err(unknown())
            };
        }
        let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let n: u32 = if digits == 0 {
            1
        } else {
            t[..digits].parse().map_err(|_| unknown())?
        };
        let (base, anchor) = match t[digits..].split_once('-') {
            Some((b, a)) => (b, Some(a)),
            None => (&t[digits..], None),
        };
        let month = |default: u32| match anchor {
            None => Some(default),
            Some(a) => parse_month(a),
        };
        let unit = match (base, anchor) {
            ("ms" | "L", None) => Some(Unit::Milli),
            ("s" | "S", None) => Some(Unit::Second),
            ("min" | "T", None) => Some(Unit::Minute),
            ("h" | "H", None) => Some(Unit::Hour),
            ("D" | "d", None) => Some(Unit::Day),
            ("B", None) => Some(Unit::BusinessDay),
            ("W", None) => Some(Unit::Week(Weekday::Sun)),
            ("W", Some(a)) => WEEKDAYS
                .iter()
                .position(|w| w.eq_ignore_ascii_case(a))
                .and_then(|i| Weekday::try_from(i as u8).ok())
                .map(Unit::Week),
            ("MS", None) => Some(Unit::MonthStart),
            ("M" | "ME", None) => Some(Unit::MonthEnd),
            ("QS", _) => month(1).map(Unit::QuarterStart),
            ("Q" | "QE", _) => month(12).map(Unit::QuarterEnd),
            ("YS" | "AS", _) => month(1).map(Unit::YearStart),
            ("Y" | "YE" | "A", _) => month(12).map(Unit::YearEnd),
            _ => None,
        };
        unit.and_then(|u| Freq::new(n, u)).ok_or_else(unknown)
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
