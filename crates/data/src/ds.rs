//! Timestamps: integers or naive date-times.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One timestamp of the `ds` column.
///
/// A frame holds one kind only (all integers or all dates). Dates are naive (no time zone); a date
/// without a time of day is midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Ds {
    /// Integer time index (NeuralForecast's integer `ds` with an integer `freq`).
    Int(i64),
    /// Calendar date-time.
    Date(NaiveDateTime),
}

/// Date formats tried in order when parsing (the first that matches wins).
const DATETIME_FORMATS: [&str; 6] = [
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y/%m/%d %H:%M",
];
const DATE_FORMATS: [&str; 2] = ["%Y-%m-%d", "%Y/%m/%d"];
/// Date-times with a UTC offset (`+01:00`, `+0100`, `Z`), converted to UTC.
const OFFSET_FORMATS: [&str; 4] = [
    "%Y-%m-%dT%H:%M:%S%.f%:z",
    "%Y-%m-%d %H:%M:%S%.f%:z",
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
];

impl Ds {
    /// Parses an integer (`"42"`, `"-3"`) or a date (`YYYY-MM-DD`, `YYYY/MM/DD`, optionally followed
    /// by ` HH:MM`, ` HH:MM:SS` or ` HH:MM:SS.fff`, with a space or `T`). A date-time may end with
    /// a UTC offset as RFC 3339 and pandas write it (`Z`, `+01:00`, `-0500`): it is converted to
    /// UTC, the time zone of every naive timestamp. Surrounding whitespace is ignored. Returns
    /// `None` when nothing matches.
    pub fn parse(text: &str) -> Option<Ds> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        if let Ok(i) = t.parse::<i64>() {
            return Some(Ds::Int(i));
        }
        for f in DATE_FORMATS {
            if let Ok(d) = NaiveDate::parse_from_str(t, f) {
                return Some(Ds::Date(d.and_time(NaiveTime::MIN)));
            }
        }
        for f in DATETIME_FORMATS {
            if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
                return Some(Ds::Date(dt));
            }
        }
        // `Z` is the offset +00:00 (chrono's `%z` does not read it).
        let t = match t.strip_suffix(['Z', 'z']) {
            Some(rest) => format!("{rest}+00:00"),
            None => t.to_string(),
        };
        OFFSET_FORMATS
            .iter()
            .find_map(|f| DateTime::parse_from_str(&t, f).ok())
            .map(|dt| Ds::Date(dt.naive_utc()))
    }

    /// A midnight date; `None` if the date does not exist.
    pub fn ymd(year: i32, month: u32, day: u32) -> Option<Ds> {
        NaiveDate::from_ymd_opt(year, month, day).map(|d| Ds::Date(d.and_time(NaiveTime::MIN)))
    }

    /// A date with a time of day; `None` if it does not exist.
    pub fn ymd_hms(year: i32, month: u32, day: u32, h: u32, m: u32, s: u32) -> Option<Ds> {
        NaiveDate::from_ymd_opt(year, month, day)
            .and_then(|d| d.and_hms_opt(h, m, s))
            .map(Ds::Date)
    }

    /// `true` for [`Ds::Int`].
    pub fn is_int(&self) -> bool {
        matches!(self, Ds::Int(_))
    }

    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Ds::Int(i) => Some(*i),
            Ds::Date(_) => None,
        }
    }

    /// The date-time, if this is one.
    pub fn as_date(&self) -> Option<NaiveDateTime> {
        match self {
            Ds::Int(_) => None,
            Ds::Date(d) => Some(*d),
        }
    }

    /// `"an integer"` or `"a date"` (for messages).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Ds::Int(_) => "an integer",
            Ds::Date(_) => "a date",
        }
    }

    /// `true` when this is a date whose time of day is not midnight.
    pub fn has_time(&self) -> bool {
        match self {
            Ds::Int(_) => false,
            Ds::Date(d) => d.time() != NaiveTime::MIN,
        }
    }

    /// Formats with or without the time of day: integers as integers, dates as `YYYY-MM-DD` when
    /// `with_time` is false, else `YYYY-MM-DD HH:MM:SS` (plus fractional seconds when present).
    /// Use `with_time = frame.has_time()` so a whole column is formatted alike, as pandas does.
    pub fn format(&self, with_time: bool) -> String {
        match self {
            Ds::Int(i) => i.to_string(),
            Ds::Date(d) if !with_time => d.format("%Y-%m-%d").to_string(),
            Ds::Date(d) if d.nanosecond() != 0 => d.format("%Y-%m-%d %H:%M:%S%.f").to_string(),
            Ds::Date(d) => d.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
}

impl fmt::Display for Ds {
    /// Integers as integers; dates as `YYYY-MM-DD` at midnight, `YYYY-MM-DD HH:MM:SS` otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format(self.has_time()))
    }
}

impl From<i64> for Ds {
    fn from(i: i64) -> Self {
        Ds::Int(i)
    }
}

impl From<NaiveDateTime> for Ds {
    fn from(d: NaiveDateTime) -> Self {
        Ds::Date(d)
    }
}

impl From<NaiveDate> for Ds {
    fn from(d: NaiveDate) -> Self {
        Ds::Date(d.and_time(NaiveTime::MIN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_format() {
        assert_eq!(Ds::parse("12"), Some(Ds::Int(12)));
        assert_eq!(Ds::parse(" -3 "), Some(Ds::Int(-3)));
        let d = Ds::parse("1949-01-31").unwrap();
        assert_eq!(d, Ds::ymd(1949, 1, 31).unwrap());
        assert_eq!(d.to_string(), "1949-01-31");
        let h = Ds::parse("2020-02-29 13:05:00").unwrap();
        assert_eq!(h.to_string(), "2020-02-29 13:05:00");
        assert_eq!(Ds::parse("2020-02-29T13:05").unwrap(), h);
        assert_eq!(Ds::parse("2020/02/29").unwrap().to_string(), "2020-02-29");
        assert_eq!(d.format(true), "1949-01-31 00:00:00");
        assert_eq!(Ds::parse("2021-02-29"), None);
        assert_eq!(Ds::parse("abc"), None);
        assert_eq!(Ds::parse(""), None);
        // Offsets are converted to UTC.
        let utc = Ds::ymd_hms(2020, 3, 1, 12, 0, 0).unwrap();
        for text in [
            "2020-03-01T12:00:00Z",
            "2020-03-01 12:00:00+00:00",
            "2020-03-01T13:00:00+01:00",
            "2020-03-01T07:00:00-0500",
            "2020-03-01T12:00:00.000z",
        ] {
            assert_eq!(Ds::parse(text), Some(utc), "{text}");
        }
        assert_eq!(
            Ds::parse("2020-03-01T00:30:00+01:00").unwrap().to_string(),
            "2020-02-29 23:30:00"
        );
        assert_eq!(Ds::parse("2020-03-01T12:00:00+25:00"), None);
    }
}
