//! Bar charts of posts over time as inline SVG, each bar linking to its period's search.

use chrono::{Datelike, Duration, NaiveDate};
use tgscope_engine::{Period, PeriodCount};

use crate::links;

/// The drawing's width and height in SVG units (the page scales it to its width).
pub const WIDTH: f64 = 800.0;
/// The drawing's height.
pub const HEIGHT: f64 = 160.0;
/// The chart is as wide as this many bars at least: fewer bars are drawn that wide, centred.
const MIN_SLOTS: f64 = 12.0;
/// The most bars a chart draws. A longer series is drawn without its empty periods, and if
/// that is still too long, only its newest periods are (the caption says so).
pub const MAX_BARS: usize = 1_000;

/// One bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Left edge.
    pub x: String,
    /// Top edge.
    pub y: String,
    /// Width.
    pub w: String,
    /// Height.
    pub h: String,
    /// The tooltip: period and count.
    pub title: String,
    /// The search for the period.
    pub href: String,
    /// The count is 0 (drawn as a baseline tick).
    pub zero: bool,
}

/// A chart ready for the template.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// What it shows ("Posts per week matching …"): untrusted text, escaped by the template.
    pub title: String,
    /// The period's name (`day`, `week`, `month`).
    pub by: &'static str,
    /// The bars, oldest first.
    pub bars: Vec<Bar>,
    /// The first period's start.
    pub first: String,
    /// The last period's start.
    pub last: String,
    /// The highest count.
    pub max: u64,
    /// The total of the counts.
    pub total: u64,
    /// The view box (`0 0 WIDTH HEIGHT`).
    pub view_box: String,
    /// What the chart leaves out of the series, for the caption (empty when nothing).
    pub left_out: String,
    /// Posts of the list the chart is about that have no date, so no period.
    pub undated: u64,
}

impl Chart {
    /// The chart of a list of `posts` posts: those its periods do not count are undated.
    pub fn of_posts(mut self, posts: u64) -> Chart {
        self.undated = posts.saturating_sub(self.total);
        self
    }
}

/// The last day of the period starting on `start`.
fn period_end(start: NaiveDate, by: Period) -> NaiveDate {
    match by {
        Period::Day => start,
        Period::Week => start + Duration::days(6),
        Period::Month => {
            let (y, m) = if start.month() == 12 {
                (start.year() + 1, 1)
            } else {
                (start.year(), start.month() + 1)
            };
            NaiveDate::from_ymd_opt(y, m, 1)
                .and_then(|d| d.pred_opt())
                .unwrap_or(start)
        }
    }
}

fn period_name(by: Period) -> &'static str {
    by.as_str()
}

/// A chart of `counts` per `by`; each bar links to `/search` with `search` (the form's fields,
/// as pairs) and the bar's period as `since` and `until`. `None` when there is nothing to draw.
pub fn chart(
    title: String,
    by: Period,
    counts: &[PeriodCount],
    search: &[(&str, &str)],
) -> Option<Chart> {
    let total = counts.iter().map(|c| c.count).sum();
    let (counts, left_out) = fit(counts, by);
    let first = counts.first()?;
    let last = counts.last()?;
    let max = counts.iter().map(|c| c.count).max().unwrap_or(0).max(1);
    // A few bars keep a bar's width (they are centred), so one period is not a wall.
    let n = counts.len() as f64;
    let slot = WIDTH / n.max(MIN_SLOTS);
    let left = (WIDTH - slot * n) / 2.0;
    let gap = if slot > 4.0 { slot * 0.15 } else { 0.0 };
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let h = if c.count == 0 {
                1.0
            } else {
                (c.count as f64 / max as f64 * (HEIGHT - 2.0)).max(2.0)
            };
            let start = NaiveDate::parse_from_str(&c.start, "%Y-%m-%d").ok();
            let end = start.map(|s| period_end(s, by).format("%Y-%m-%d").to_string());
            let mut pairs: Vec<(&str, &str)> = search
                .iter()
                .filter(|(k, _)| !matches!(*k, "since" | "until" | "cursor"))
                .copied()
                .collect();
            pairs.push(("since", &c.start));
            if let Some(end) = &end {
                pairs.push(("until", end));
            }
            let noun = if c.count == 1 { "post" } else { "posts" };
            let title = match (by, &end) {
                (Period::Day, _) | (_, None) => format!("{}: {} {noun}", c.start, c.count),
                (_, Some(end)) => format!("{} – {}: {} {noun}", c.start, end, c.count),
            };
            Bar {
                x: format!("{:.2}", left + i as f64 * slot + gap / 2.0),
                y: format!("{:.2}", HEIGHT - h),
                w: format!("{:.2}", (slot - gap).max(0.5)),
                h: format!("{h:.2}"),
                title,
                href: links::with_query("/search", &pairs),
                zero: c.count == 0,
            }
        })
        .collect();
    Some(Chart {
        title,
        by: period_name(by),
        bars,
        first: first.start.clone(),
        last: last.start.clone(),
        max,
        total,
        view_box: format!("0 0 {WIDTH} {HEIGHT}"),
        left_out,
        undated: 0,
    })
}

const GAPS_LEFT_OUT: &str =
    "periods without posts are not drawn, so bars are not evenly spaced in time";

/// The periods of `counts` the chart draws (at most [`MAX_BARS`]), and what it left out.
fn fit(counts: &[PeriodCount], by: Period) -> (Vec<PeriodCount>, String) {
    if counts.len() <= MAX_BARS {
        // The index lists only the periods with posts of a series too long to fill.
        let left_out = if contiguous(counts, by) {
            String::new()
        } else {
            GAPS_LEFT_OUT.to_string()
        };
        return (counts.to_vec(), left_out);
    }
    let with_posts: Vec<PeriodCount> = counts.iter().filter(|c| c.count > 0).cloned().collect();
    if with_posts.len() <= MAX_BARS {
        return (with_posts, GAPS_LEFT_OUT.to_string());
    }
    let from = with_posts.len() - MAX_BARS;
    let shown: u64 = with_posts[from..].iter().map(|c| c.count).sum();
    let before: u64 = with_posts[..from].iter().map(|c| c.count).sum();
    (
        with_posts[from..].to_vec(),
        format!(
            "only the newest {MAX_BARS} periods with posts are drawn ({shown} posts; {before} \
             earlier posts are in the data download)"
        ),
    )
}

/// Whether each period of `counts` follows the one before it.
fn contiguous(counts: &[PeriodCount], by: Period) -> bool {
    let day = |c: &PeriodCount| NaiveDate::parse_from_str(&c.start, "%Y-%m-%d").ok();
    counts
        .windows(2)
        .all(|pair| match (day(&pair[0]), day(&pair[1])) {
            (Some(a), Some(b)) => period_end(a, by).succ_opt() == Some(b),
            _ => true,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, u64)]) -> Vec<PeriodCount> {
        pairs
            .iter()
            .map(|(s, c)| PeriodCount {
                start: s.to_string(),
                count: *c,
            })
            .collect()
    }

    #[test]
    fn bars_scale_to_the_highest_count_and_link_to_their_period() {
        let c = chart(
            "t".into(),
            Period::Month,
            &counts(&[("2024-02-01", 1), ("2024-03-01", 0), ("2024-04-01", 2)]),
            &[("q", "россия"), ("cursor", "x")],
        )
        .expect("a chart");
        assert_eq!(c.bars.len(), 3);
        assert_eq!(c.max, 2);
        assert_eq!(c.total, 3);
        assert_eq!(c.bars[2].h, "158.00");
        assert!(c.bars[1].zero);
        assert_eq!(
            c.bars[0].href,
            "/search?q=%D1%80%D0%BE%D1%81%D1%81%D0%B8%D1%8F&since=2024-02-01&until=2024-02-29"
        );
        assert_eq!(c.bars[0].title, "2024-02-01 – 2024-02-29: 1 post");
        assert!(chart("t".into(), Period::Day, &[], &[]).is_none());
        assert_eq!(
            c.clone().of_posts(5).undated,
            2,
            "two of five posts have no date"
        );
        assert_eq!(c.clone().of_posts(3).undated, 0);
        // Three bars take a twelfth of the width each, centred.
        assert_eq!(
            c.bars[0].x,
            format!("{:.2}", WIDTH * 4.5 / 12.0 + WIDTH / 12.0 * 0.075)
        );
        assert_eq!(c.bars[0].w, format!("{:.2}", WIDTH / 12.0 * 0.85));
    }

    #[test]
    fn a_long_series_is_drawn_without_its_empty_periods_then_only_its_newest() {
        let day = |i: usize| {
            (NaiveDate::from_ymd_opt(2000, 1, 1).expect("day") + Duration::days(i as i64))
                .format("%Y-%m-%d")
                .to_string()
        };
        // Every third day has a post: drawn without the empty days.
        let sparse: Vec<PeriodCount> = (0..3 * MAX_BARS)
            .map(|i| PeriodCount {
                start: day(i),
                count: u64::from(i % 3 == 0),
            })
            .collect();
        let c = chart("t".into(), Period::Day, &sparse, &[]).expect("a chart");
        assert_eq!(c.bars.len(), MAX_BARS);
        assert!(c.bars.iter().all(|b| !b.zero));
        assert_eq!(c.total, MAX_BARS as u64);
        assert!(c.left_out.contains("without posts"), "{}", c.left_out);
        // Every day has a post: only the newest are drawn, the total still counts them all.
        let dense: Vec<PeriodCount> = (0..MAX_BARS + 10)
            .map(|i| PeriodCount {
                start: day(i),
                count: 1,
            })
            .collect();
        let c = chart("t".into(), Period::Day, &dense, &[]).expect("a chart");
        assert_eq!(c.bars.len(), MAX_BARS);
        assert_eq!(c.first, day(10));
        assert_eq!(c.total, MAX_BARS as u64 + 10);
        assert!(c.left_out.contains("10 earlier posts"), "{}", c.left_out);
        // A short series is drawn whole.
        let short = chart("t".into(), Period::Day, &dense[..5], &[]).expect("a chart");
        assert_eq!((short.bars.len(), short.left_out.as_str()), (5, ""));
        // A short series with gaps (the index's answer for a span too long to fill) says so.
        let gappy = counts(&[("1000-01-01", 1), ("2024-05-02", 1), ("2024-05-03", 1)]);
        let c = chart("t".into(), Period::Day, &gappy, &[]).expect("a chart");
        assert_eq!(c.left_out, GAPS_LEFT_OUT);
    }

    #[test]
    fn a_week_ends_on_sunday_and_december_on_the_31st() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        assert_eq!(period_end(d("2024-03-04"), Period::Week), d("2024-03-10"));
        assert_eq!(period_end(d("2024-12-01"), Period::Month), d("2024-12-31"));
    }
}
