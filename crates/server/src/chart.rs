//! Bar charts of posts over time as inline SVG, each bar linking to its period's search, with a
//! y-axis of a few round counts (gridlines across the bars) and x labels at regular dates that
//! fit the span (days, week starts, month, quarter or year starts).
//!
//! The drawing of the bars stretches to the page's width; the labels are not drawn in it (they
//! would stretch too): the y labels are HTML spaced evenly beside it, the x labels an SVG of
//! their own placed in percent of the width. Nothing needs a `style` attribute (the pages' CSP
//! allows none).
//!
//! A [`Timeline`] draws posts on a time axis, one lane per channel (the posts of a cluster of
//! copies: who posted the text when), with x labels at regular times from minutes to years.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
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

/// A count on the y-axis, with its gridline.
#[derive(Debug, Clone, PartialEq)]
pub struct YTick {
    /// The count.
    pub label: String,
    /// The gridline's height in the drawing's units.
    pub y: String,
}

/// A date on the x-axis.
#[derive(Debug, Clone, PartialEq)]
pub struct XLabel {
    /// The date (`2024`, `2024-03` or `2024-03-04`, as fits the span).
    pub label: String,
    /// Where its period starts, in percent of the chart's width.
    pub x: String,
    /// How the text sits on `x` (`middle`; `start` or `end` near the edges).
    pub anchor: &'static str,
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
    /// The y-axis from the top down: round counts from the top of the scale to 0, evenly
    /// spaced (the top of the drawing is the first).
    pub y_ticks: Vec<YTick>,
    /// The x-axis: the bars where a regular date falls (every day, week, month, quarter or
    /// year start, the finest that leaves room for the labels).
    pub x_labels: Vec<XLabel>,
    /// The chart described in words, for screen readers.
    pub desc: String,
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
    let (step, top) = scale(max);
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
                (c.count as f64 / top as f64 * HEIGHT).max(2.0)
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
    let y_ticks = (0..=top / step)
        .rev()
        .map(|i| YTick {
            label: (i * step).to_string(),
            y: format!("{:.2}", HEIGHT - (i * step) as f64 / top as f64 * HEIGHT),
        })
        .collect();
    // A label of the bar's own period sits under its middle; a date inside a longer span (a
    // month's first week, a year's first month) where the bar begins.
    let x_labels = x_labels(&counts, by, |i, middle| {
        let half = if middle { slot / 2.0 } else { 0.0 };
        (left + i as f64 * slot + half) / WIDTH * 100.0
    });
    let bars_text = if counts.len() == 1 {
        format!("1 bar, the {} of {}", period_name(by), first.start)
    } else {
        format!(
            "{} bars, one per {} from {} to {}",
            counts.len(),
            period_name(by),
            first.start,
            last.start
        )
    };
    let desc = format!(
        "{bars_text}; the highest holds {max} post{}, the scale runs from 0 to {top}. Each bar \
         links to the posts of its period.",
        if max == 1 { "" } else { "s" }
    );
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
        y_ticks,
        x_labels,
        desc,
    })
}

/// The y-axis of counts up to `max` (at least 1): a round step (1, 2, 2.5 or 5 times a power
/// of ten, a whole number) giving about four intervals, and the top of the scale (the first
/// multiple of the step at or above `max`).
fn scale(max: u64) -> (u64, u64) {
    let max = max.max(1);
    let mut power = 1u64;
    loop {
        // 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, ...
        let mut steps = vec![power, 2 * power];
        if power >= 10 {
            steps.push(power / 10 * 25);
        }
        steps.push(5 * power);
        if let Some(step) = steps.into_iter().find(|s| s.saturating_mul(4) >= max) {
            return (step, max.div_ceil(step).saturating_mul(step));
        }
        match power.checked_mul(10).filter(|p| p.checked_mul(5).is_some()) {
            Some(next) => power = next,
            None => return (max, max),
        }
    }
}

/// Regular dates an x-axis can be labelled with, finest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Day,
    Week,
    Month,
    Quarter,
    /// Every n years (1, 2, 5, 10, ...).
    Years(i32),
}

/// How many characters of the x labels fit across the chart on a phone (the labels' size is
/// fixed, the chart's width is not: what fits a phone fits a wider screen).
const LABEL_ROOM: f64 = 44.0;

impl Unit {
    /// The last date of this unit on or before `day`.
    fn on_or_before(self, day: NaiveDate) -> Option<NaiveDate> {
        match self {
            Unit::Day => Some(day),
            Unit::Week => day.checked_sub_signed(Duration::days(i64::from(
                day.weekday().num_days_from_monday(),
            ))),
            Unit::Month => NaiveDate::from_ymd_opt(day.year(), day.month(), 1),
            Unit::Quarter => NaiveDate::from_ymd_opt(day.year(), (day.month() - 1) / 3 * 3 + 1, 1),
            Unit::Years(n) => {
                NaiveDate::from_ymd_opt(day.year().div_euclid(n).checked_mul(n)?, 1, 1)
            }
        }
    }

    fn label(self, day: NaiveDate) -> String {
        match self {
            Unit::Day | Unit::Week => day.format("%b %-d").to_string(),
            Unit::Month | Unit::Quarter => day.format("%Y-%m").to_string(),
            Unit::Years(_) => day.format("%Y").to_string(),
        }
    }
}

/// The x labels of the bars `counts` per `by`: the finest regular unit (or every second day,
/// week, month or quarter) whose labels leave room between them; `x_of(i, middle)` is where
/// bar `i` starts (or its middle), in percent of the width.
fn x_labels(counts: &[PeriodCount], by: Period, x_of: impl Fn(usize, bool) -> f64) -> Vec<XLabel> {
    let mut units = match by {
        Period::Day => vec![Unit::Day, Unit::Week, Unit::Month],
        Period::Week => vec![Unit::Week, Unit::Month],
        Period::Month => vec![Unit::Month],
    };
    units.push(Unit::Quarter);
    units.extend(
        [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]
            .into_iter()
            .map(Unit::Years),
    );
    let periods: Vec<Option<(NaiveDate, NaiveDate)>> = counts
        .iter()
        .map(|c| {
            let start = NaiveDate::parse_from_str(&c.start, "%Y-%m-%d").ok()?;
            Some((start, period_end(start, by)))
        })
        .collect();
    let mut fallback = Vec::new();
    for unit in units {
        // A bar is labelled with the date of the unit it reaches first: the last one up to its
        // end, when that is after the bar before (a series without its empty periods has gaps).
        let own = matches!(
            (unit, by),
            (Unit::Day, Period::Day) | (Unit::Week, Period::Week) | (Unit::Month, Period::Month)
        );
        let mut labelled: Vec<(f64, String)> = Vec::new();
        let mut before: Option<NaiveDate> = None;
        for (i, period) in periods.iter().enumerate() {
            let Some((start, end)) = *period else {
                continue;
            };
            let after = before.map_or(Some(start), |b| b.succ_opt());
            if let (Some(day), Some(after)) = (unit.on_or_before(end), after)
                && day >= after
            {
                labelled.push((x_of(i, own), unit.label(day)));
            }
            before = Some(end);
        }
        if labelled.is_empty() {
            continue;
        }
        // Every second day, week, month or quarter; years have steps of their own.
        let thinned: &[usize] = if matches!(unit, Unit::Years(_)) {
            &[1]
        } else {
            &[1, 2]
        };
        for &every in thinned {
            let kept: Vec<(f64, String)> = labelled.iter().step_by(every).cloned().collect();
            if let Some(placed) = place(&kept) {
                return placed;
            }
            fallback = kept;
        }
    }
    place_apart(&fallback)
}

/// Where a label's text runs, in characters from the chart's left edge, and its anchor: a
/// label near an edge starts or ends at its place, so that it stays inside the chart.
fn extent(x: f64, label: &str) -> (f64, f64, &'static str) {
    let at = x / 100.0 * LABEL_ROOM;
    let len = label.chars().count() as f64;
    if at - len / 2.0 < 0.0 {
        (at, at + len, "start")
    } else if at + len / 2.0 > LABEL_ROOM {
        (at - len, at, "end")
    } else {
        (at - len / 2.0, at + len / 2.0, "middle")
    }
}

fn x_label(x: f64, label: &str, anchor: &'static str) -> XLabel {
    XLabel {
        label: label.to_string(),
        x: format!("{x:.2}%"),
        anchor,
    }
}

/// The labels at their places (in percent of the width) when they stand apart, but for the
/// first or the last, left out when it would touch its neighbour (at an edge, a label runs to
/// one side); `None` when other labels touch.
fn place(labels: &[(f64, String)]) -> Option<Vec<XLabel>> {
    let extents: Vec<(f64, f64, &'static str)> =
        labels.iter().map(|(x, l)| extent(*x, l)).collect();
    let touch = |a: usize, b: usize| extents[b].0 < extents[a].1 + 1.0;
    let n = extents.len();
    let mut keep = vec![true; n];
    if n >= 3 {
        match (touch(0, 1), touch(n - 2, n - 1)) {
            (true, true) => return None,
            (first, last) => {
                keep[0] = !first;
                keep[n - 1] = !last;
            }
        }
    }
    let kept: Vec<usize> = (0..n).filter(|&i| keep[i]).collect();
    if kept.windows(2).any(|pair| touch(pair[0], pair[1])) {
        return None;
    }
    Some(
        kept.into_iter()
            .map(|i| x_label(labels[i].0, &labels[i].1, extents[i].2))
            .collect(),
    )
}

/// The labels, each left out that would touch the one kept before it.
fn place_apart(labels: &[(f64, String)]) -> Vec<XLabel> {
    let mut placed = Vec::with_capacity(labels.len());
    let mut last_end = f64::NEG_INFINITY;
    for (x, label) in labels {
        let (from, to, anchor) = extent(*x, label);
        if from >= last_end + 1.0 {
            last_end = to;
            placed.push(x_label(*x, label, anchor));
        }
    }
    placed
}

/// The height of one lane of a timeline, in pixels: a timeline is stretched across the page's
/// width only, so its SVG units are pixels upright.
pub const LANE: f64 = 28.0;
/// The most lanes (channels) a timeline draws; the posts of further channels are left to the
/// table beside it (the caption says how many).
pub const MAX_LANES: usize = 40;
/// The time axis starts and ends this far inside the drawing, in percent of its width, so
/// the first and last marks are not on its edges.
const TIME_PAD: f64 = 4.0;

/// One post to draw on a timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelinePost {
    /// Its page.
    pub href: String,
    /// Its lane's key (the channel's archive id).
    pub lane: i64,
    /// Its lane's name (the channel's).
    pub lane_name: String,
    /// Its date: RFC 3339, or an inferred `YYYY-MM-DD` / `YYYY-MM-DDTHH:MM` (taken as UTC).
    pub date: Option<String>,
    /// Whether that date was inferred (drawn dashed).
    pub inferred: bool,
    /// Its kind, a class of the mark (`first`, `forward`, `attributed`, ...).
    pub kind: &'static str,
    /// The tooltip: what the post is.
    pub label: String,
}

/// A lane of a timeline: one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    /// The channel's name (untrusted, escaped by the template).
    pub name: String,
    /// The lane's middle, in the drawing's units.
    pub mid: String,
}

/// A post on a timeline: a short upright line in its lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// Where in time, in the drawing's units.
    pub x: String,
    /// Its top.
    pub y1: String,
    /// Its bottom.
    pub y2: String,
    /// The post's page.
    pub href: String,
    /// The tooltip.
    pub title: String,
    /// `mark KIND`, and `inferred` for an inferred date.
    pub class: String,
}

/// A timeline ready for the template.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// What it shows (untrusted text, escaped by the template).
    pub title: String,
    /// The view box (`0 0 WIDTH height`).
    pub view_box: String,
    /// The drawing's height in pixels (`LANE` a lane).
    pub height: String,
    /// The lanes from the top.
    pub lanes: Vec<Lane>,
    /// The posts drawn.
    pub marks: Vec<Mark>,
    /// Times on the x-axis.
    pub x_labels: Vec<XLabel>,
    /// The earliest time drawn (`YYYY-MM-DD HH:MM UTC`; `~` and the date when inferred).
    pub first: String,
    /// The latest.
    pub last: String,
    /// Posts without a date, not drawn.
    pub undated: usize,
    /// Channels beyond [`MAX_LANES`], not drawn.
    pub lanes_left_out: usize,
    /// The timeline described in words, for screen readers.
    pub desc: String,
}

/// Unix seconds of a date as the archive keeps it: RFC 3339; an inferred date and time (its
/// clock unknown, taken as UTC); an inferred day (at its noon: some time that day).
pub fn seconds_of(date: &str) -> Option<i64> {
    if let Ok(at) = DateTime::parse_from_rfc3339(date) {
        return Some(at.timestamp());
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(date, format) {
            return Some(at.and_utc().timestamp());
        }
    }
    // A day: some time that day, drawn at its noon.
    NaiveDate::parse_from_str(date.get(..10)?, "%Y-%m-%d")
        .ok()?
        .and_hms_opt(12, 0, 0)
        .map(|at| at.and_utc().timestamp())
}

fn utc(seconds: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, 0)
}

fn minute_text(seconds: i64) -> String {
    utc(seconds)
        .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// A timeline of `posts` (in the order of their lanes' first posts), `None` when none is
/// dated.
pub fn timeline(title: String, posts: &[TimelinePost]) -> Option<Timeline> {
    let mut lane_keys: Vec<i64> = Vec::new();
    let mut lanes: Vec<Lane> = Vec::new();
    let mut dated: Vec<(usize, i64, &TimelinePost)> = Vec::new();
    let mut undated = 0;
    let mut all_lanes: Vec<i64> = Vec::new();
    for post in posts {
        if !all_lanes.contains(&post.lane) {
            all_lanes.push(post.lane);
        }
        let Some(at) = post.date.as_deref().and_then(seconds_of) else {
            undated += 1;
            continue;
        };
        let lane = match lane_keys.iter().position(|k| *k == post.lane) {
            Some(i) => i,
            None if lane_keys.len() < MAX_LANES => {
                lane_keys.push(post.lane);
                lanes.push(Lane {
                    name: post.lane_name.clone(),
                    mid: format!("{:.1}", (lanes.len() as f64 + 0.5) * LANE),
                });
                lane_keys.len() - 1
            }
            None => continue,
        };
        dated.push((lane, at, post));
    }
    let lanes_left_out = all_lanes.iter().filter(|k| !lane_keys.contains(k)).count();
    let earliest = dated.iter().map(|d| d.1).min()?;
    let latest = dated.iter().map(|d| d.1).max()?;
    // The ends as the posts give them: an inferred date as it was inferred.
    let end_text = |at: i64| {
        dated
            .iter()
            .filter(|d| d.1 == at)
            .find_map(|d| {
                d.2.inferred
                    .then(|| d.2.date.as_ref().map(|date| format!("~{date}")))
                    .flatten()
            })
            .unwrap_or_else(|| minute_text(at))
    };
    // One moment is drawn in the middle of two days (an inferred day's noon, between its
    // day's start and the next).
    let (t0, t1) = if latest > earliest {
        (earliest, latest)
    } else {
        (earliest - 86_400, latest + 86_400)
    };
    let span = (t1 - t0) as f64;
    let percent_of = |t: i64| TIME_PAD + (t - t0) as f64 / span * (100.0 - 2.0 * TIME_PAD);
    let marks = dated
        .iter()
        .map(|(lane, at, post)| {
            let top = *lane as f64 * LANE;
            Mark {
                x: format!("{:.2}", percent_of(*at) / 100.0 * WIDTH),
                y1: format!("{:.1}", top + 5.0),
                y2: format!("{:.1}", top + LANE - 5.0),
                href: post.href.clone(),
                title: post.label.clone(),
                class: if post.inferred {
                    format!("mark {} inferred", post.kind)
                } else {
                    format!("mark {}", post.kind)
                },
            }
        })
        .collect::<Vec<_>>();
    // The axis reaches into the padding on either side.
    let pad = (span * TIME_PAD / (100.0 - 2.0 * TIME_PAD)) as i64;
    let x_labels = time_labels(t0 - pad, t1 + pad, percent_of);
    let height = lanes.len() as f64 * LANE;
    let desc = format!(
        "{} post{} in {} lane{}, one per channel, from {} to {}; each mark links to its post.",
        marks.len(),
        if marks.len() == 1 { "" } else { "s" },
        lanes.len(),
        if lanes.len() == 1 { "" } else { "s" },
        end_text(earliest),
        end_text(latest),
    );
    Some(Timeline {
        title,
        view_box: format!("0 0 {WIDTH} {height}"),
        height: format!("{height}"),
        lanes,
        marks,
        x_labels,
        first: end_text(earliest),
        last: end_text(latest),
        undated,
        lanes_left_out,
        desc,
    })
}

/// Regular times a time axis can be labelled with, finest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeUnit {
    Minutes(i64),
    Hours(i64),
    Days(i64),
    Week,
    Months(u32),
    Years(i32),
}

const TIME_UNITS: [TimeUnit; 22] = [
    TimeUnit::Minutes(1),
    TimeUnit::Minutes(5),
    TimeUnit::Minutes(15),
    TimeUnit::Minutes(30),
    TimeUnit::Hours(1),
    TimeUnit::Hours(3),
    TimeUnit::Hours(6),
    TimeUnit::Hours(12),
    TimeUnit::Days(1),
    TimeUnit::Days(2),
    TimeUnit::Week,
    TimeUnit::Months(1),
    TimeUnit::Months(3),
    TimeUnit::Months(6),
    TimeUnit::Years(1),
    TimeUnit::Years(2),
    TimeUnit::Years(5),
    TimeUnit::Years(10),
    TimeUnit::Years(20),
    TimeUnit::Years(50),
    TimeUnit::Years(100),
    TimeUnit::Years(1000),
];

/// The most ticks of a unit worth trying to place.
const MAX_TICKS: i64 = 60;

impl TimeUnit {
    /// About how long one step is, in seconds.
    fn seconds(self) -> i64 {
        match self {
            TimeUnit::Minutes(n) => n * 60,
            TimeUnit::Hours(n) => n * 3600,
            TimeUnit::Days(n) => n * 86_400,
            TimeUnit::Week => 7 * 86_400,
            TimeUnit::Months(n) => i64::from(n) * 30 * 86_400,
            TimeUnit::Years(n) => i64::from(n) * 365 * 86_400,
        }
    }

    /// The ticks from `from` to `to` (Unix seconds), with their labels.
    fn ticks(self, from: i64, to: i64) -> Vec<(i64, String)> {
        let mut out = Vec::new();
        match self {
            TimeUnit::Minutes(_) | TimeUnit::Hours(_) | TimeUnit::Days(_) | TimeUnit::Week => {
                let step = self.seconds();
                // Weeks start on Monday: 1970-01-05 was one.
                let origin = if self == TimeUnit::Week {
                    4 * 86_400
                } else {
                    0
                };
                let mut t = (from - origin).div_euclid(step) * step + origin;
                if t < from {
                    t += step;
                }
                while t <= to {
                    if let Some(at) = utc(t) {
                        let label = match self {
                            TimeUnit::Minutes(_) | TimeUnit::Hours(_)
                                if at.hour() != 0 || at.minute() != 0 =>
                            {
                                at.format("%H:%M").to_string()
                            }
                            _ => at.format("%b %-d").to_string(),
                        };
                        out.push((t, label));
                    }
                    t += step;
                }
            }
            TimeUnit::Months(n) => {
                let Some(start) = utc(from) else {
                    return out;
                };
                let (mut year, mut month) = (start.year(), start.month0() / n * n);
                while let Some(t) = NaiveDate::from_ymd_opt(year, month + 1, 1)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| d.and_utc().timestamp())
                {
                    if t > to {
                        break;
                    }
                    if t >= from {
                        out.push((t, format!("{year}-{:02}", month + 1)));
                    }
                    month += n;
                    if month >= 12 {
                        month -= 12;
                        year += 1;
                    }
                }
            }
            TimeUnit::Years(n) => {
                let Some(start) = utc(from) else {
                    return out;
                };
                let mut year = start.year().div_euclid(n) * n;
                while let Some(t) = NaiveDate::from_ymd_opt(year, 1, 1)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| d.and_utc().timestamp())
                {
                    if t > to {
                        break;
                    }
                    if t >= from {
                        out.push((t, year.to_string()));
                    }
                    year += n;
                }
            }
        }
        out
    }
}

/// The x labels of a time axis from `from` to `to`: the finest regular unit whose labels
/// stand apart; `percent_of` places a time in percent of the width.
fn time_labels(from: i64, to: i64, percent_of: impl Fn(i64) -> f64) -> Vec<XLabel> {
    let span = (to - from).max(1);
    let mut fallback: Vec<(f64, String)> = Vec::new();
    for unit in TIME_UNITS {
        if span / unit.seconds() > MAX_TICKS {
            continue;
        }
        let labelled: Vec<(f64, String)> = unit
            .ticks(from, to)
            .into_iter()
            .map(|(t, label)| (percent_of(t), label))
            .filter(|(x, _)| (0.0..=100.0).contains(x))
            .collect();
        if labelled.is_empty() {
            continue;
        }
        if let Some(placed) = place(&labelled)
            && placed.len() >= 2
        {
            return placed;
        }
        if fallback.is_empty() || labelled.len() >= 2 {
            fallback = labelled;
        }
    }
    place_apart(&fallback)
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
        // The highest bar reaches the top of the scale (here the highest count, 2).
        assert_eq!(c.bars[2].h, "160.00");
        let ticks: Vec<&str> = c.y_ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(ticks, ["2", "1", "0"]);
        assert_eq!(c.y_ticks[0].y, "0.00");
        assert_eq!(c.y_ticks[2].y, "160.00");
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
    fn the_y_axis_counts_in_round_steps_up_to_the_highest_bar() {
        // (highest count) -> (step, top of the scale)
        for (max, step, top) in [
            (1, 1, 1),
            (3, 1, 3),
            (5, 2, 6),
            (7, 2, 8),
            (10, 5, 10),
            (13, 5, 15),
            (100, 25, 100),
            (101, 50, 150),
            (1234, 500, 1500),
            (250_000, 100_000, 300_000),
        ] {
            assert_eq!(scale(max), (step, top), "highest {max}");
        }
        let (step, top) = scale(u64::MAX);
        assert!(step > 0 && top >= step, "{step} {top}");
        let c = chart(
            "t".into(),
            Period::Month,
            &counts(&[("2024-01-01", 3), ("2024-02-01", 7)]),
            &[],
        )
        .expect("a chart");
        let ticks: Vec<&str> = c.y_ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(ticks, ["8", "6", "4", "2", "0"]);
        // A bar of 7 is 7/8 of the height; the gridline of 4 halfway down.
        assert_eq!(c.bars[1].h, format!("{:.2}", HEIGHT * 7.0 / 8.0));
        assert_eq!(c.y_ticks[2].y, format!("{:.2}", HEIGHT / 2.0));
        assert!(c.desc.contains("2 bars, one per month"), "{}", c.desc);
        assert!(c.desc.contains("from 0 to 8"), "{}", c.desc);
    }

    /// The x labels of a contiguous series of `n` periods per `by` from `first`.
    fn labels_of(first: &str, n: usize, by: Period) -> Vec<String> {
        let mut day = NaiveDate::parse_from_str(first, "%Y-%m-%d").expect("date");
        let mut series = Vec::new();
        for _ in 0..n {
            series.push(PeriodCount {
                start: day.format("%Y-%m-%d").to_string(),
                count: 1,
            });
            day = period_end(day, by).succ_opt().expect("next");
        }
        chart("t".into(), by, &series, &[])
            .expect("a chart")
            .x_labels
            .into_iter()
            .map(|l| l.label)
            .collect()
    }

    #[test]
    fn x_labels_fall_on_regular_dates_that_fit_the_span() {
        // Three days, drawn narrow (centred): every second day.
        assert_eq!(labels_of("2024-03-01", 3, Period::Day), ["Mar 1", "Mar 3"]);
        // Four weeks of days: each Monday.
        assert_eq!(
            labels_of("2024-03-01", 28, Period::Day),
            ["Mar 4", "Mar 11", "Mar 18", "Mar 25"]
        );
        // A season of days: each month.
        assert_eq!(
            labels_of("2024-02-10", 100, Period::Day),
            ["2024-03", "2024-04", "2024-05"]
        );
        // Weeks over a quarter: each month start, at the week holding it.
        assert_eq!(
            labels_of("2024-01-01", 14, Period::Week),
            ["2024-01", "2024-02", "2024-03", "2024-04"]
        );
        // Fifteen months: each quarter (the last, at the right edge, would touch the one
        // before it: it is left out).
        assert_eq!(
            labels_of("2023-11-01", 15, Period::Month),
            ["2024-01", "2024-04", "2024-07", "2024-10"]
        );
        // Two years of months: every second quarter.
        assert_eq!(
            labels_of("2023-11-01", 24, Period::Month),
            ["2024-01", "2024-07", "2025-01", "2025-07"]
        );
        // Decades of months: round years.
        assert_eq!(
            labels_of("1995-06-01", 12 * 30, Period::Month),
            ["2000", "2005", "2010", "2015", "2020", "2025"]
        );
        // Days without posts left out (a series too long to fill): a bar is labelled with the
        // quarter it is the first to reach.
        let fifteenths: Vec<PeriodCount> = (0..15)
            .map(|i| PeriodCount {
                start: format!("{}-{:02}-15", 2024 + i / 12, i % 12 + 1),
                count: 1,
            })
            .collect();
        let c = chart("t".into(), Period::Day, &fifteenths, &[]).expect("a chart");
        let labels: Vec<(&str, &str)> = c
            .x_labels
            .iter()
            .map(|l| (l.label.as_str(), l.x.as_str()))
            .collect();
        let at = |bar: usize| format!("{:.2}%", bar as f64 / 15.0 * 100.0);
        assert_eq!(
            labels,
            [
                ("2024-04", at(3).as_str()),
                ("2024-07", at(6).as_str()),
                ("2024-10", at(9).as_str()),
                ("2025-01", at(12).as_str())
            ]
        );
        // The x of a label is where its bar starts; labels at the edges start or end there.
        let c = chart(
            "t".into(),
            Period::Month,
            &counts(&[
                ("2024-01-01", 1),
                ("2024-02-01", 1),
                ("2024-03-01", 1),
                ("2024-04-01", 1),
                ("2024-05-01", 1),
                ("2024-06-01", 1),
                ("2024-07-01", 1),
                ("2024-08-01", 1),
                ("2024-09-01", 1),
                ("2024-10-01", 1),
                ("2024-11-01", 1),
                ("2024-12-01", 1),
                ("2025-01-01", 1),
            ]),
            &[],
        )
        .expect("a chart");
        let xs: Vec<(&str, &str, &str)> = c
            .x_labels
            .iter()
            .map(|l| (l.label.as_str(), l.x.as_str(), l.anchor))
            .collect();
        // (Quarters would crowd the edges on a phone: every second one.)
        let at = |bar: usize| format!("{:.2}%", bar as f64 / 13.0 * 100.0);
        assert_eq!(
            xs,
            [
                ("2024-01", at(0).as_str(), "start"),
                ("2024-07", at(6).as_str(), "middle"),
                ("2025-01", at(12).as_str(), "end"),
            ]
        );
    }

    fn post(lane: i64, date: Option<&str>, inferred: bool) -> TimelinePost {
        TimelinePost {
            href: format!("/posts/{lane}"),
            lane,
            lane_name: format!("channel {lane}"),
            date: date.map(str::to_string),
            inferred,
            kind: "unattributed",
            label: String::new(),
        }
    }

    #[test]
    fn a_timeline_has_a_lane_per_channel_and_marks_placed_in_time() {
        let posts = [
            post(1, Some("2024-05-01T08:00:00Z"), false),
            post(2, Some("2024-05-01T09:30:00Z"), false),
            post(1, Some("2024-05-02T08:00:00Z"), false),
            post(3, None, false),
        ];
        let t = timeline("t".into(), &posts).expect("a timeline");
        let lanes: Vec<&str> = t.lanes.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            lanes,
            ["channel 1", "channel 2"],
            "the undated post's lane is not drawn"
        );
        assert_eq!(t.undated, 1);
        assert_eq!(t.height, format!("{}", 2.0 * LANE));
        let xs: Vec<f64> = t.marks.iter().map(|m| m.x.parse().expect("x")).collect();
        // The first and last at the padding's edges, the second 1.5 h into 24 h.
        let at = |p: f64| (TIME_PAD + p * (100.0 - 2.0 * TIME_PAD)) / 100.0 * WIDTH;
        assert!((xs[0] - at(0.0)).abs() < 0.01, "{xs:?}");
        assert!((xs[1] - at(1.5 / 24.0)).abs() < 0.01, "{xs:?}");
        assert!((xs[2] - at(1.0)).abs() < 0.01, "{xs:?}");
        assert_eq!(
            t.marks[1].y1,
            format!("{:.1}", LANE + 5.0),
            "in the second lane"
        );
        let labels: Vec<&str> = t.x_labels.iter().map(|l| l.label.as_str()).collect();
        assert!(
            labels.contains(&"May 2"),
            "midnight says the day: {labels:?}"
        );
        assert!(labels.iter().any(|l| l.ends_with(":00")), "{labels:?}");
        assert_eq!(
            (t.first.as_str(), t.last.as_str()),
            ("2024-05-01 08:00 UTC", "2024-05-02 08:00 UTC")
        );
        assert!(timeline("t".into(), &[post(1, None, false)]).is_none());
    }

    #[test]
    fn a_timeline_of_inferred_days_draws_them_dashed_at_noon() {
        let posts = [
            post(1, Some("2024-04-09"), true),
            post(2, Some("2024-04-09"), true),
        ];
        let t = timeline("t".into(), &posts).expect("a timeline");
        assert!(
            t.marks
                .iter()
                .all(|m| m.class == "mark unattributed inferred")
        );
        // One moment, in the middle of the two days around it.
        assert_eq!(t.marks[0].x, format!("{:.2}", WIDTH / 2.0));
        assert_eq!(t.first, "~2024-04-09");
        assert_eq!(seconds_of("2024-04-09"), seconds_of("2024-04-09T12:00:00Z"));
        assert_eq!(
            seconds_of("2024-04-09T07:30"),
            seconds_of("2024-04-09T07:30:00Z")
        );
        assert_eq!(seconds_of("April"), None);
    }

    #[test]
    fn a_timeline_has_room_for_many_lanes_only() {
        let posts: Vec<TimelinePost> = (0..MAX_LANES as i64 + 3)
            .map(|i| post(i, Some("2024-05-01T08:00:00Z"), false))
            .collect();
        let t = timeline("t".into(), &posts).expect("a timeline");
        assert_eq!(t.lanes.len(), MAX_LANES);
        assert_eq!(t.lanes_left_out, 3);
    }

    #[test]
    fn time_labels_fit_spans_from_minutes_to_decades() {
        let at = |s: &str| seconds_of(s).expect("time");
        let labels = |from: &str, to: &str| -> Vec<String> {
            let (a, b) = (at(from), at(to));
            time_labels(a, b, |t| (t - a) as f64 / (b - a) as f64 * 100.0)
                .into_iter()
                .map(|l| l.label)
                .collect()
        };
        assert_eq!(
            labels("2024-05-01T08:00:00Z", "2024-05-01T08:40:00Z"),
            ["08:00", "08:15", "08:30"]
        );
        assert_eq!(
            labels("2024-05-01T00:00:00Z", "2024-05-05T00:00:00Z"),
            ["May 1", "May 2", "May 3", "May 4", "May 5"]
        );
        assert_eq!(
            labels("2024-01-10T00:00:00Z", "2024-12-20T00:00:00Z"),
            ["2024-04", "2024-07", "2024-10"]
        );
        assert_eq!(
            labels("1995-06-01T00:00:00Z", "2024-06-01T00:00:00Z"),
            ["2000", "2005", "2010", "2015", "2020"]
        );
    }

    #[test]
    fn a_week_ends_on_sunday_and_december_on_the_31st() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        assert_eq!(period_end(d("2024-03-04"), Period::Week), d("2024-03-10"));
        assert_eq!(period_end(d("2024-12-01"), Period::Month), d("2024-12-31"));
    }
}
