//! The date stamps of an HTML export: `title="DD.MM.YYYY HH:MM:SS UTC+HH:MM"` and day separators.

use std::sync::LazyLock;

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use regex::Regex;

/// A date stamp as a `title` attribute writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The wall-clock time of the exporting computer.
    pub local: NaiveDateTime,
    /// The UTC offset written after it, when there is one.
    pub offset: Option<FixedOffset>,
    /// The offset as written (`UTC+01:00`), when there is one.
    pub offset_text: Option<String>,
}

impl Stamp {
    /// The time in UTC (RFC 3339, `Z`) under the stamp's own offset, else under `fallback`.
    pub fn utc(&self, fallback: Option<FixedOffset>) -> Option<String> {
        let offset = self.offset.or(fallback)?;
        let at = offset.from_local_datetime(&self.local).single()?;
        Some(
            at.with_timezone(&Utc)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
        )
    }

    /// The wall-clock time as `YYYY-MM-DDTHH:MM:SS` (no offset).
    pub fn local_text(&self) -> String {
        self.local.format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

/// `DD.MM.YYYY HH:MM:SS`, then optionally `UTC`, `UTC+HH:MM` or `UTC-HH:MM`.
static STAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\s*(UTC|GMT)\s*(?:([+-])\s*(\d{1,2}):?(\d{2}))?)?\s*$",
    )
    .expect("stamp pattern compiles")
});

/// Reads a `title` date stamp; `None` when it is not one.
pub fn parse_stamp(title: &str) -> Option<Stamp> {
    let caps = STAMP.captures(title)?;
    let num = |i: usize| -> Option<u32> { caps.get(i)?.as_str().parse().ok() };
    let year: i32 = caps.get(3)?.as_str().parse().ok()?;
    let date = NaiveDate::from_ymd_opt(year, num(2)?, num(1)?)?;
    let local = date.and_hms_opt(num(4)?, num(5)?, num(6)?)?;
    let (offset, offset_text) = match caps.get(7) {
        None => (None, None),
        Some(_) => {
            let seconds = match caps.get(8) {
                None => 0,
                Some(sign) => {
                    let minutes = i32::try_from(num(9)? * 60 + num(10)?).ok()?;
                    let s = minutes.checked_mul(60)?;
                    if sign.as_str() == "-" { -s } else { s }
                }
            };
            let text = title
                .get(caps.get(7)?.start()..)
                .unwrap_or_default()
                .trim()
                .to_string();
            (Some(FixedOffset::east_opt(seconds)?), Some(text))
        }
    };
    Some(Stamp {
        local,
        offset,
        offset_text,
    })
}

/// `23 August 2023`: a day separator.
static DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(\d{1,2}) (January|February|March|April|May|June|July|August|September|October|November|December) (\d{4})$",
    )
    .expect("day pattern compiles")
});

/// The day a separator names (`23 August 2023`), `None` when the text is not a day separator.
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    let caps = DAY.captures(text.trim())?;
    let day: u32 = caps.get(1)?.as_str().parse().ok()?;
    let month = match caps.get(2)?.as_str() {
        "January" => 1,
        "February" => 2,
        "March" => 3,
        "April" => 4,
        "May" => 5,
        "June" => 6,
        "July" => 7,
        "August" => 8,
        "September" => 9,
        "October" => 10,
        "November" => 11,
        _ => 12,
    };
    let year: i32 = caps.get(3)?.as_str().parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// True when `text` looks like a day separator even if its date is impossible
/// (`31 February 2020`).
pub fn looks_like_day(text: &str) -> bool {
    DAY.is_match(text.trim())
}
