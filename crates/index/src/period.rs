//! Counts of matching posts per day, week or month: the collector that counts dated posts per
//! day, and the calendar that groups days into periods.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate};
use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::schema::names;

const SECONDS_PER_DAY: i64 = 86_400;

/// A calendar period to count posts by (UTC): `day`, `week` (Monday to Sunday) or `month`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// Calendar days.
    Day,
    /// Weeks from Monday to Sunday (ISO weeks).
    Week,
    /// Calendar months.
    Month,
}

impl Period {
    /// `day`, `week` or `month`.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// The first day of the period that holds `date`.
    fn start_of(self, date: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => date,
            Period::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
            Period::Month => date.with_day(1).unwrap_or(date),
        }
    }

    /// The first day of the next period.
    fn next(self, start: NaiveDate) -> Option<NaiveDate> {
        match self {
            Period::Day => start.checked_add_days(Days::new(1)),
            Period::Week => start.checked_add_days(Days::new(7)),
            Period::Month => start.checked_add_months(Months::new(1)),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A period name that is not `day`, `week` or `month`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown period '{0}': write day, week or month")]
pub struct UnknownPeriod(pub String);

impl FromStr for Period {
    type Err = UnknownPeriod;

    fn from_str(s: &str) -> Result<Period, UnknownPeriod> {
        match s.to_ascii_lowercase().as_str() {
            "day" | "daily" => Ok(Period::Day),
            "week" | "weekly" => Ok(Period::Week),
            "month" | "monthly" => Ok(Period::Month),
            _ => Err(UnknownPeriod(s.to_owned())),
        }
    }
}

/// A count in one period: of the matching posts dated in it, unless the list says otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeriodCount {
    /// The period's first day, `YYYY-MM-DD` (a day, a week's Monday, a month's 1st; UTC).
    pub start: String,
    /// Matching posts dated in the period (in a list that says so, such as a narrative
    /// report's `spread`, distinct channels with such posts).
    pub count: u64,
}

/// Counts of the posts a query matches, per period, with what they leave out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// The counts per period, one list per period asked for (in the order asked).
    pub per_period: Vec<Vec<PeriodCount>>,
    /// Matching posts with a date (observed or inferred): every period list adds up to this.
    pub dated: u64,
    /// Matching posts without a date: in no period, so left out of every list.
    pub undated: u64,
}

impl Period {
    /// The period that fits a series best, given the series counted per day, week and month:
    /// days when the posts span at most six weeks, weeks up to two years, months beyond; a
    /// period whose series would be longer than `max_periods` gives way to a coarser one.
    pub fn fitting(days: &[PeriodCount], weeks: &[PeriodCount], max_periods: usize) -> Period {
        if weeks.len() <= 6 && days.len() <= max_periods {
            Period::Day
        } else if weeks.len() <= 104 && weeks.len() <= max_periods {
            Period::Week
        } else {
            Period::Month
        }
    }
}

/// The longest series whose empty periods are listed (10,000 days is 27 years): beyond it (an
/// archive with a post misdated by centuries, say) only the periods with posts are, so that the
/// answer stays as small as the data.
pub const MAX_FILLED_PERIODS: usize = 10_000;

/// Groups per-day counts (days since 1970-01-01) into periods, from the first period with a post
/// to the last, the empty periods between them included with 0 (when the series has at most
/// [`MAX_FILLED_PERIODS`]; else only the periods with posts).
pub(crate) fn group(days: &HashMap<i64, u64>, period: Period) -> Vec<PeriodCount> {
    let mut by_period: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    for (&day, &count) in days {
        let Some(date) = day
            .checked_mul(SECONDS_PER_DAY)
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .map(|d| d.date_naive())
        else {
            continue;
        };
        *by_period.entry(period.start_of(date)).or_default() += count;
    }
    let (Some((&first, _)), Some((&last, _))) =
        (by_period.first_key_value(), by_period.last_key_value())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut at = Some(first);
    while let Some(start) = at.filter(|s| *s <= last) {
        if out.len() == MAX_FILLED_PERIODS {
            return by_period
                .iter()
                .map(|(start, &count)| PeriodCount {
                    start: start.format("%Y-%m-%d").to_string(),
                    count,
                })
                .collect();
        }
        out.push(PeriodCount {
            start: start.format("%Y-%m-%d").to_string(),
            count: by_period.get(&start).copied().unwrap_or(0),
        });
        at = period.next(start);
    }
    out
}

/// Groups counts per day (days since 1970-01-01, UTC) into periods as [`crate::Index::count_by`]
/// does: from the first period with a post to the last, the empty periods between them as 0.
pub fn group_days(days: &HashMap<i64, u64>, period: Period) -> Vec<PeriodCount> {
    group(days, period)
}

/// The first day (`YYYY-MM-DD`, as [`PeriodCount::start`] writes it) of the period holding
/// the moment `seconds` (unix seconds, UTC); `None` for a moment chrono cannot represent.
pub fn period_start(period: Period, seconds: i64) -> Option<String> {
    let date = DateTime::from_timestamp(seconds, 0)?.date_naive();
    Some(period.start_of(date).format("%Y-%m-%d").to_string())
}

/// Matching posts per day (days since 1970-01-01, UTC), and how many matching posts have no
/// date (so that a count can say what it leaves out).
#[derive(Debug, Clone, Default)]
pub(crate) struct DayTally {
    /// Dated posts per day.
    pub days: HashMap<i64, u64>,
    /// Posts without a date.
    pub undated: u64,
}

/// Counts matching posts per day (days since 1970-01-01, UTC), and the undated ones apart.
pub(crate) struct DayCounts;

/// [`DayCounts`] over one segment.
pub(crate) struct SegmentDayCounts {
    dates: Column<i64>,
    tally: DayTally,
}

impl Collector for DayCounts {
    type Fruit = DayTally;
    type Child = SegmentDayCounts;

    fn for_segment(
        &self,
        _segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentDayCounts> {
        Ok(SegmentDayCounts {
            dates: segment.fast_fields().i64(names::DATE)?,
            tally: DayTally::default(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<DayTally>) -> tantivy::Result<DayTally> {
        let mut all = DayTally::default();
        for fruit in fruits {
            for (day, count) in fruit.days {
                *all.days.entry(day).or_default() += count;
            }
            all.undated += fruit.undated;
        }
        Ok(all)
    }
}

impl SegmentCollector for SegmentDayCounts {
    type Fruit = DayTally;

    fn collect(&mut self, doc: DocId, _score: Score) {
        match self.dates.first(doc) {
            Some(date) => {
                *self
                    .tally
                    .days
                    .entry(date.div_euclid(SECONDS_PER_DAY))
                    .or_default() += 1;
            }
            None => self.tally.undated += 1,
        }
    }

    fn harvest(self) -> DayTally {
        self.tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day_number(y: i32, m: u32, d: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc().timestamp() / SECONDS_PER_DAY)
            .unwrap_or(i64::MIN)
    }

    fn counts(list: &[PeriodCount]) -> Vec<(&str, u64)> {
        list.iter().map(|c| (c.start.as_str(), c.count)).collect()
    }

    #[test]
    fn days_with_gaps_filled() {
        let days = HashMap::from([(day_number(2024, 2, 28), 2), (day_number(2024, 3, 2), 1)]);
        assert_eq!(
            counts(&group(&days, Period::Day)),
            [
                ("2024-02-28", 2),
                ("2024-02-29", 0),
                ("2024-03-01", 0),
                ("2024-03-02", 1)
            ]
        );
    }

    #[test]
    fn a_series_too_long_to_fill_lists_only_its_periods_with_posts() {
        // A post misdated by centuries beside real ones.
        let days = HashMap::from([
            (day_number(1000, 1, 1), 1),
            (day_number(2024, 3, 1), 2),
            (day_number(2024, 3, 3), 1),
        ]);
        assert_eq!(
            counts(&group(&days, Period::Day)),
            [("1000-01-01", 1), ("2024-03-01", 2), ("2024-03-03", 1)]
        );
        // Just inside the limit, the gaps are filled.
        let first = day_number(2000, 1, 1);
        let days = HashMap::from([(first, 1), (first + MAX_FILLED_PERIODS as i64 - 1, 1)]);
        let filled = group(&days, Period::Day);
        assert_eq!(filled.len(), MAX_FILLED_PERIODS);
        assert_eq!(filled.iter().map(|c| c.count).sum::<u64>(), 2);
        // One day more, and only the two days with posts are listed.
        let days = HashMap::from([(first, 1), (first + MAX_FILLED_PERIODS as i64, 1)]);
        assert_eq!(group(&days, Period::Day).len(), 2);
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2024-03-03 is a Sunday, 2024-03-04 a Monday.
        let days = HashMap::from([
            (day_number(2024, 3, 3), 1),
            (day_number(2024, 3, 4), 2),
            (day_number(2024, 3, 10), 3),
            (day_number(2024, 3, 25), 4),
        ]);
        assert_eq!(
            counts(&group(&days, Period::Week)),
            [
                ("2024-02-26", 1),
                ("2024-03-04", 5),
                ("2024-03-11", 0),
                ("2024-03-18", 0),
                ("2024-03-25", 4)
            ]
        );
    }

    #[test]
    fn months_across_a_year() {
        let days = HashMap::from([(day_number(2023, 11, 30), 1), (day_number(2024, 2, 1), 2)]);
        assert_eq!(
            counts(&group(&days, Period::Month)),
            [
                ("2023-11-01", 1),
                ("2023-12-01", 0),
                ("2024-01-01", 0),
                ("2024-02-01", 2)
            ]
        );
    }

    #[test]
    fn nothing_dated_gives_no_periods() {
        assert!(group(&HashMap::new(), Period::Month).is_empty());
    }

    #[test]
    fn periods_by_name() {
        assert_eq!("Week".parse::<Period>(), Ok(Period::Week));
        assert!("year".parse::<Period>().is_err());
    }
}
