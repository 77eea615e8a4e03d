//! Dates written in text (English and Russian) and the year of a day-month date from its neighbours.

use chrono::{Datelike, NaiveDate};
use regex::{Captures, Regex};
use std::sync::LazyLock;
use tgscope_model::Span;

/// A date written in text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FoundDate {
    /// The year, when the text gives one.
    pub year: Option<i32>,
    /// Month, 1..=12.
    pub month: u32,
    /// Day of the month, 1..=31 (valid for the month).
    pub day: u32,
    /// Where the date is written (bytes of the text searched).
    pub span: Span,
    /// The date as written ("May 17, 2023", "17 мая 2023 г.").
    pub evidence: String,
}

impl FoundDate {
    /// The calendar date, when the year is known.
    pub fn date(&self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year?, self.month, self.day)
    }
}

/// English month names and abbreviations (lowercase) with their numbers.
const EN_MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("february", 2),
    ("feb", 2),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("june", 6),
    ("jun", 6),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("october", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
];

/// Russian month names in the genitive ("17 мая") and their abbreviations (lowercase).
const RU_MONTHS: &[(&str, u32)] = &[
    ("января", 1),
    ("янв", 1),
    ("февраля", 2),
    ("февр", 2),
    ("фев", 2),
    ("марта", 3),
    ("мар", 3),
    ("апреля", 4),
    ("апр", 4),
    ("мая", 5),
    ("июня", 6),
    ("июн", 6),
    ("июля", 7),
    ("июл", 7),
    ("августа", 8),
    ("авг", 8),
    ("сентября", 9),
    ("сент", 9),
    ("сен", 9),
    ("октября", 10),
    ("окт", 10),
    ("ноября", 11),
    ("нояб", 11),
    ("ноя", 11),
    ("декабря", 12),
    ("дек", 12),
];

/// Earliest and latest year accepted in a full date.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// Regex alternation of the names in a month table.
fn alternation(months: &[(&str, u32)]) -> String {
    months
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join("|")
}

/// The number of a month name (any case) in a month table.
fn month_number(months: &[(&str, u32)], name: &str) -> Option<u32> {
    let name = name.to_lowercase();
    months.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
}

/// A line that is nothing but a day and month, with or without a year: "February 27",
/// "May 9, 2023", "27 февраля", "9 мая 2023 г." (any case; the day valid for the month, Feb 29
/// accepted without a year). The span covers the whole line.
pub fn date_line(line: &str) -> Option<FoundDate> {
    static EN: LazyLock<Regex> =
        LazyLock::new(|| compile(r"(?i)^([a-z]+)\.? (\d{1,2})(?:,? (\d{4}))?$"));
    static RU: LazyLock<Regex> =
        LazyLock::new(|| compile(r"(?i)^(\d{1,2}) ([а-яё]+)\.?(?: (\d{4})(?: (?:г\.?|года))?)?$"));
    let trimmed = line.trim();
    let (month, day, year) = if let Some(c) = EN.captures(trimmed) {
        (month_number(EN_MONTHS, &c[1])?, c.get(2), c.get(3))
    } else if let Some(c) = RU.captures(trimmed) {
        (month_number(RU_MONTHS, &c[2])?, c.get(1), c.get(3))
    } else {
        return None;
    };
    let day: u32 = day?.as_str().parse().ok()?;
    let year = match year {
        Some(y) => Some(
            y.as_str()
                .parse::<i32>()
                .ok()
                .filter(|y| YEARS.contains(y))?,
        ),
        None => None,
    };
    // Without a year, check the day against a leap year so that "February 29" stands.
    NaiveDate::from_ymd_opt(year.unwrap_or(2000), month, day)?;
    let start = line.len() - line.trim_start().len();
    Some(FoundDate {
        year,
        month,
        day,
        span: Span {
            start,
            end: start + trimmed.len(),
        },
        evidence: trimmed.to_string(),
    })
}

/// Compiles a pattern built from fixed parts.
fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("date pattern compiles")
}

/// "May 17, 2023", "Dec. 28 2023", "Sept 5th, 2024".
static EN_MONTH_DAY_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"(?i)\b(?P<month>{})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,\s*|\s+)(?P<year>\d{{4}})",
        alternation(EN_MONTHS)
    ))
});

/// "17 May 2023", "17th of May, 2023".
static EN_DAY_MONTH_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"(?i)\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{})\.?(?:,\s*|\s+)(?P<year>\d{{4}})",
        alternation(EN_MONTHS)
    ))
});

/// The Russian year word after a year: "г.", "г", "года", "году".
const RU_YEAR_WORD: &str = r"(?:\s*(?:года|году|г\.|г\b))?";

/// "17 мая 2023", "17 мая 2023 г.", "17 сент. 2023 года".
static RU_DAY_MONTH_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"(?i)\b(?P<day>\d{{1,2}})\s+(?P<month>{})\.?\s+(?P<year>\d{{4}}){RU_YEAR_WORD}",
        alternation(RU_MONTHS)
    ))
});

/// "17.05.2023" (day first), optionally followed by "г.".
static NUMERIC_DAY_MONTH_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"\b(?P<day>\d{{1,2}})\.(?P<month>\d{{1,2}})\.(?P<year>\d{{4}}){RU_YEAR_WORD}"
    ))
});

/// "2023-05-17".
static ISO_DATE: LazyLock<Regex> =
    LazyLock::new(|| compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"));

/// How a pattern's month group is read.
#[derive(Clone, Copy)]
enum MonthForm {
    English,
    Russian,
    Number,
}

/// How a pattern's match is checked against its surroundings.
#[derive(Clone, Copy)]
enum Context {
    /// Words: the match must not be glued to a following letter or digit.
    Words,
    /// Day first, month in words: as `Words`, and not the end of a range ("3-4 July 2023").
    WordsDayFirst,
    /// dd.mm.yyyy: not inside a longer dotted number ("1.17.05.2023", "17.05.2023.1").
    Dotted,
    /// yyyy-mm-dd: not inside a longer dashed number; a letter may follow ("2023-05-17T10:00").
    Dashed,
}

/// True when the text before `at` ends with a digit and a dash: `at` is the second end of a
/// range like "3-4" or "3 – 4".
fn ends_a_range(text: &str, at: usize) -> bool {
    let before = text.get(..at).unwrap_or("").trim_end();
    let Some(without_dash) = before
        .strip_suffix('-')
        .or_else(|| before.strip_suffix('–'))
        .or_else(|| before.strip_suffix('—'))
    else {
        return false;
    };
    without_dash
        .trim_end()
        .ends_with(|c: char| c.is_ascii_digit())
}

/// True when the match `[start, end)` of `text` stands alone as its `context` requires.
fn fits_context(text: &str, start: usize, end: usize, context: Context) -> bool {
    let before = text.get(..start).unwrap_or("").chars().next_back();
    let mut after = text.get(end..).unwrap_or("").chars();
    let next = after.next();
    let next_but_one = after.next();
    match context {
        Context::Words => !next.is_some_and(char::is_alphanumeric),
        Context::WordsDayFirst => {
            !next.is_some_and(char::is_alphanumeric) && !ends_a_range(text, start)
        }
        Context::Dotted => {
            let glued_before = before == Some('.')
                && text
                    .get(..start.saturating_sub(1))
                    .and_then(|s| s.chars().next_back())
                    .is_some_and(|c| c.is_ascii_digit());
            let glued_after = next.is_some_and(|c| c.is_ascii_digit())
                || (next == Some('.') && next_but_one.is_some_and(|c| c.is_ascii_digit()));
            !glued_before && !glued_after
        }
        Context::Dashed => {
            let glued_before = matches!(before, Some('-' | '.' | '/'));
            let glued_after = next.is_some_and(|c| c.is_ascii_digit())
                || (next == Some('-') && next_but_one.is_some_and(|c| c.is_ascii_digit()));
            !glued_before && !glued_after
        }
    }
}

/// The month of a capture's `month` group.
fn read_month(caps: &Captures<'_>, form: MonthForm) -> Option<u32> {
    let text = caps.name("month")?.as_str();
    match form {
        MonthForm::English => month_number(EN_MONTHS, text),
        MonthForm::Russian => month_number(RU_MONTHS, text),
        MonthForm::Number => text.parse().ok(),
    }
}

/// A full date from one match of a full-date pattern, when valid.
fn full_date_from(
    text: &str,
    caps: &Captures<'_>,
    form: MonthForm,
    context: Context,
) -> Option<FoundDate> {
    let whole = caps.get(0)?;
    if !fits_context(text, whole.start(), whole.end(), context) {
        return None;
    }
    let month = read_month(caps, form)?;
    let day: u32 = caps.name("day")?.as_str().parse().ok()?;
    let year: i32 = caps.name("year")?.as_str().parse().ok()?;
    if !YEARS.contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)?;
    Some(FoundDate {
        year: Some(year),
        month,
        day,
        span: Span {
            start: whole.start(),
            end: whole.end(),
        },
        evidence: whole.as_str().to_string(),
    })
}

/// Every full date (day, month and year) written in `text`, in order of appearance.
///
/// Recognised: English "May 17, 2023", "May 17 2023", "17 May 2023", "Dec. 28, 2023",
/// "Sept 5, 2024" (month names and abbreviations in any case, ordinal suffixes allowed);
/// Russian "17 мая 2023", "17 мая 2023 г.", "17 мая 2023 года", genitive month names and
/// abbreviations ("17 сент. 2023", "17 янв 2023"); numeric "17.05.2023" (day first) and ISO
/// "2023-05-17". Dates are validated (no 30 February) and years lie in 1900..=2100.
///
/// Not recognised: slash dates ("05/17/2023": ambiguous), ranges ("July 3-4, 2023",
/// "3-4 July 2023"), dates without a year (see [`opening_day_month`]).
///
/// `evidence` is the matched text (with "г." or "года" when written) and `span` its bytes.
/// Matches never overlap.
pub fn full_dates(text: &str) -> Vec<FoundDate> {
    let patterns: [(&Regex, MonthForm, Context); 5] = [
        (&EN_MONTH_DAY_YEAR, MonthForm::English, Context::Words),
        (
            &EN_DAY_MONTH_YEAR,
            MonthForm::English,
            Context::WordsDayFirst,
        ),
        (
            &RU_DAY_MONTH_YEAR,
            MonthForm::Russian,
            Context::WordsDayFirst,
        ),
        (&NUMERIC_DAY_MONTH_YEAR, MonthForm::Number, Context::Dotted),
        (&ISO_DATE, MonthForm::Number, Context::Dashed),
    ];
    let mut found: Vec<FoundDate> = patterns
        .iter()
        .flat_map(|(regex, form, context)| {
            regex
                .captures_iter(text)
                .filter_map(|caps| full_date_from(text, &caps, *form, *context))
        })
        .collect();
    found.sort_by_key(|d| (d.span.start, std::cmp::Reverse(d.span.end)));
    let mut kept: Vec<FoundDate> = Vec::with_capacity(found.len());
    for date in found {
        if kept
            .last()
            .is_none_or(|last| date.span.start >= last.span.end)
        {
            kept.push(date);
        }
    }
    kept
}

/// "On January 10", "January 10", "Jan. 10th" at the start of `line` (after its prefix).
static OPENING_EN_MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"(?i)^(?:(?P<on>on)\s+)?(?P<date>(?P<month>{})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?)",
        alternation(EN_MONTHS)
    ))
});

/// "On 10 January", "10 January", "10th of Jan" at the start of `line` (after its prefix).
static OPENING_EN_DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"(?i)^(?:(?P<on>on)\s+(?:the\s+)?)?(?P<date>(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{})\b)",
        alternation(EN_MONTHS)
    ))
});

/// "10 января", "10 сент." at the start of `line` (after its prefix).
static OPENING_RU_DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"(?i)^(?P<date>(?P<day>\d{{1,2}})\s+(?P<month>{})\b)",
        alternation(RU_MONTHS)
    ))
});

/// A year right after a day-month date: "..., 2024", "... 2024".
static YEAR_FOLLOWS: LazyLock<Regex> = LazyLock::new(|| compile(r"^\.?(?:,\s*|\s+)\d{4}(?:\D|$)"));

/// Another day right after a day-month date: a range ("July 3-4", "July 16–17").
static RANGE_FOLLOWS: LazyLock<Regex> = LazyLock::new(|| compile(r"^\s*[-–—]\s*\d"));

/// What may follow a bare "January 10" for it to head a sentence: ',', ':', a dash, or nothing.
static HEADING_END_FOLLOWS: LazyLock<Regex> =
    LazyLock::new(|| compile(r"^(?:\s*$|,|:|\s+[-–—]|[–—])"));

/// A day and month without a year that opens `line`, like "On July 1, Russia assumed ..." or
/// "🗓 July 16 – open debate ..." or "10 января Министр ...".
///
/// Only emoji, symbols, punctuation and whitespace may come before it (no letter or digit), so
/// "... completed its Presidency on July 31" gives `None`. Recognised: English "On January 10",
/// "On Jan. 10", "On 10 January" (anything but a year may follow), "January 10" and
/// "10 January" (followed by ',', ':', a dash or the end of the line); Russian "10 января",
/// "10 янв." (anything but a year may follow). Not when a year follows ("On January 10, 2024"
/// is a full date: see [`full_dates`]) nor for ranges ("July 3-4").
///
/// `span` and `evidence` cover the date itself ("July 1", not "On July 1"); `year` is `None`.
pub fn opening_day_month(line: &str) -> Option<FoundDate> {
    let (offset, _) = line.char_indices().find(|(_, c)| c.is_alphanumeric())?;
    let rest = line.get(offset..)?;

    let patterns: [(&Regex, MonthForm, bool); 3] = [
        (&OPENING_EN_MONTH_DAY, MonthForm::English, false),
        (&OPENING_EN_DAY_MONTH, MonthForm::English, false),
        (&OPENING_RU_DAY_MONTH, MonthForm::Russian, true),
    ];
    for (regex, form, free_follow) in patterns {
        let Some(caps) = regex.captures(rest) else {
            continue;
        };
        let Some(date) = caps.name("date") else {
            continue;
        };
        let after = rest.get(date.end()..).unwrap_or("");
        if after.starts_with(char::is_alphanumeric)
            || YEAR_FOLLOWS.is_match(after)
            || RANGE_FOLLOWS.is_match(after)
        {
            continue;
        }
        let opened_with_on = caps.name("on").is_some();
        if !free_follow && !opened_with_on && !HEADING_END_FOLLOWS.is_match(after) {
            continue;
        }
        let Some(month) = read_month(&caps, form) else {
            continue;
        };
        let Some(day) = caps
            .name("day")
            .and_then(|d| d.as_str().parse::<u32>().ok())
        else {
            continue;
        };
        // 2000 is a leap year: 29 February is a valid day-month.
        if NaiveDate::from_ymd_opt(2000, month, day).is_none() {
            continue;
        }
        return Some(FoundDate {
            year: None,
            month,
            day,
            span: Span {
                start: offset + date.start(),
                end: offset + date.end(),
            },
            evidence: date.as_str().to_string(),
        });
    }
    None
}

/// "on July 31", "on Jan. 10th" anywhere in a sentence.
static ON_EN_MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"(?i)\bon\s+(?P<date>(?P<month>{})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?)",
        alternation(EN_MONTHS)
    ))
});

/// "on 31 July", "on the 31st of July" anywhere in a sentence.
static ON_EN_DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"(?i)\bon\s+(?:the\s+)?(?P<date>(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{})\b)",
        alternation(EN_MONTHS)
    ))
});

/// "31 июля", "5 сент." anywhere in a sentence.
static RU_DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"(?i)(?P<date>\b(?P<day>\d{{1,2}})\s+(?P<month>{})\b)",
        alternation(RU_MONTHS)
    ))
});

/// Another day after a day-month date: a list ("July 26 and 31", "July 5, 6").
static SECOND_DAY_FOLLOWS: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?i)^\s*(?:,|and|&|и)\s*\d"));

/// Another day before a day-month date: a list or a period ("26 и 31 июля", "с 16 по 17 июля").
static FIRST_DAY_PRECEDES: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?i)\d\s*(?:,|and|&|и|по|до|to)\s*$"));

/// The first sentence of `line`: up to the first '.', '!', '?' or '…' followed by whitespace,
/// except the dot of an abbreviated month ("Dec. 28").
fn first_sentence(line: &str) -> &str {
    let mut chars = line.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if !matches!(c, '.' | '!' | '?' | '…') {
            continue;
        }
        if !chars.peek().is_none_or(|(_, next)| next.is_whitespace()) {
            continue;
        }
        if c == '.' {
            let word = line[..at]
                .rsplit(|c: char| !c.is_alphabetic())
                .next()
                .unwrap_or("");
            if month_number(EN_MONTHS, word).is_some() || month_number(RU_MONTHS, word).is_some() {
                continue;
            }
        }
        return &line[..at];
    }
    line
}

/// A day and month without a year written in the first sentence of `line`, where it does not
/// open the line: "🇺🇳 The Russian Federation completed its Presidency in the United Nations
/// Security Council on July 31. Its packed agenda ..." gives July 31. For a post whose first
/// line has no opening date (see [`opening_day_month`], which a reader tries first).
///
/// Recognised: English "on July 31", "on Jan. 10th", "on 31 July", "on the 31st of July" (the
/// word "on" is required: "the July 31 deadline" gives `None`); Russian "31 июля", "5 сент."
/// (not glued to a letter or digit). The first such date of the sentence counts; none when a
/// year follows it (a full date: see [`full_dates`]), nor for ranges and lists of days
/// ("on July 3-4", "on July 26 and 31", "16–17 июля", "26 и 31 июля"). The sentence ends at the first '.', '!',
/// '?' or '…' before whitespace, except after an abbreviated month.
///
/// `span` and `evidence` cover the date itself ("July 31"); `year` is `None`.
pub fn first_sentence_day_month(line: &str) -> Option<FoundDate> {
    let sentence = first_sentence(line);
    let patterns: [(&Regex, MonthForm); 3] = [
        (&ON_EN_MONTH_DAY, MonthForm::English),
        (&ON_EN_DAY_MONTH, MonthForm::English),
        (&RU_DAY_MONTH, MonthForm::Russian),
    ];
    let mut candidates: Vec<(usize, Captures<'_>, MonthForm)> = patterns
        .iter()
        .flat_map(|(regex, form)| {
            regex.captures_iter(sentence).filter_map(move |caps| {
                let start = caps.name("date")?.start();
                Some((start, caps, *form))
            })
        })
        .collect();
    candidates.sort_by_key(|(start, _, _)| *start);
    let (_, caps, form) = candidates.into_iter().next()?;
    let date = caps.name("date")?;
    let after = sentence.get(date.end()..).unwrap_or("");
    if after.starts_with(char::is_alphanumeric)
        || YEAR_FOLLOWS.is_match(after)
        || RANGE_FOLLOWS.is_match(after)
        || SECOND_DAY_FOLLOWS.is_match(after)
        || ends_a_range(sentence, date.start())
        || FIRST_DAY_PRECEDES.is_match(sentence.get(..date.start()).unwrap_or(""))
    {
        return None;
    }
    let month = read_month(&caps, form)?;
    let day: u32 = caps.name("day")?.as_str().parse().ok()?;
    // 2000 is a leap year: 29 February is a valid day-month.
    NaiveDate::from_ymd_opt(2000, month, day)?;
    Some(FoundDate {
        year: None,
        month,
        day,
        span: Span {
            start: date.start(),
            end: date.end(),
        },
        evidence: date.as_str().to_string(),
    })
}

/// The year of a day-month date, from the nearest full dates before (`prev`) and after (`next`)
/// it in a capture whose posts are in time order (either direction).
///
/// - Both given: the date in the unique year that puts it between `min(prev, next)` and
///   `max(prev, next)` inclusive; `None` when no year or several years do.
/// - Only `prev`: the earliest such date on or after `prev` (in `prev`'s year or the next).
/// - Only `next`: the latest such date on or before `next` (in `next`'s year or the one before).
/// - Neither: `None`.
///
/// 29 February exists only in leap years; an impossible month or day gives `None`.
pub fn resolve_year(
    month: u32,
    day: u32,
    prev: Option<NaiveDate>,
    next: Option<NaiveDate>,
) -> Option<NaiveDate> {
    // 2000 is a leap year: every possible day-month exists in it.
    NaiveDate::from_ymd_opt(2000, month, day)?;
    let on = |year: i32| NaiveDate::from_ymd_opt(year, month, day);
    match (prev, next) {
        (Some(a), Some(b)) => {
            let (low, high) = if a <= b { (a, b) } else { (b, a) };
            let mut found = None;
            for year in low.year()..=high.year() {
                let Some(date) = on(year) else { continue };
                if date < low || date > high {
                    continue;
                }
                if found.is_some() {
                    return None;
                }
                found = Some(date);
            }
            found
        }
        (Some(prev), None) => [prev.year(), prev.year().saturating_add(1)]
            .into_iter()
            .filter_map(on)
            .find(|date| *date >= prev),
        (None, Some(next)) => [next.year(), next.year().saturating_sub(1)]
            .into_iter()
            .filter_map(on)
            .find(|date| *date <= next),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    /// (date, evidence) of every full date in `text`.
    fn found(text: &str) -> Vec<(NaiveDate, String)> {
        full_dates(text)
            .into_iter()
            .map(|d| (d.date().expect("full date"), d.evidence))
            .collect()
    }

    #[test]
    fn english_full_dates_in_context() {
        assert_eq!(
            found("Lavrov’s interview with Tsargrad TV (Moscow, May 17, 2023)"),
            [(ymd(2023, 5, 17), "May 17, 2023".to_string())]
        );
        assert_eq!(
            found("📍Moscow, December 28, 2023"),
            [(ymd(2023, 12, 28), "December 28, 2023".to_string())]
        );
        assert_eq!(
            found("(June 11, 2024, Nizhny Novgorod)"),
            [(ymd(2024, 6, 11), "June 11, 2024".to_string())]
        );
        assert_eq!(
            found("✍️ ... in an interview with TASS Agency, (February 5, 2024):"),
            [(ymd(2024, 2, 5), "February 5, 2024".to_string())]
        );
    }

    #[test]
    fn english_variants() {
        let text = "May 17 2023; 17 May 2023; Dec. 28, 2023; Sept 5, 2024; 1st of March, 2022; \
                    DECEMBER 1, 2020; jan 2nd 2021";
        let dates: Vec<NaiveDate> = found(text).into_iter().map(|(d, _)| d).collect();
        assert_eq!(
            dates,
            [
                ymd(2023, 5, 17),
                ymd(2023, 5, 17),
                ymd(2023, 12, 28),
                ymd(2024, 9, 5),
                ymd(2022, 3, 1),
                ymd(2020, 12, 1),
                ymd(2021, 1, 2),
            ]
        );
    }

    #[test]
    fn russian_full_dates() {
        assert_eq!(
            found("Москва, 17 мая 2023 г."),
            [(ymd(2023, 5, 17), "17 мая 2023 г.".to_string())]
        );
        assert_eq!(
            found("Заявление от 17 мая 2023 года о ..."),
            [(ymd(2023, 5, 17), "17 мая 2023 года".to_string())]
        );
        let dates: Vec<NaiveDate> =
            found("17 сент. 2023, 17 янв 2023, 1 Декабря 2022г, 3 ФЕВРАЛЯ 2021")
                .into_iter()
                .map(|(d, _)| d)
                .collect();
        assert_eq!(
            dates,
            [
                ymd(2023, 9, 17),
                ymd(2023, 1, 17),
                ymd(2022, 12, 1),
                ymd(2021, 2, 3)
            ]
        );
    }

    #[test]
    fn numeric_and_iso_dates() {
        assert_eq!(
            found("Брифинг 17.05.2023 и 2023-05-18T10:00"),
            [
                (ymd(2023, 5, 17), "17.05.2023".to_string()),
                (ymd(2023, 5, 18), "2023-05-18".to_string()),
            ]
        );
        assert_eq!(
            found("7.5.2024 г."),
            [(ymd(2024, 5, 7), "7.5.2024 г.".to_string())]
        );
    }

    #[test]
    fn invalid_ambiguous_and_range_dates_are_skipped() {
        assert!(full_dates("February 30, 2024 and 30 февраля 2024 and 31.04.2023").is_empty());
        assert!(full_dates("05/17/2023 and 17/05/2023").is_empty());
        assert!(full_dates("July 3-4, 2023 and 3-4 July 2023 and 3 – 4 июля 2023").is_empty());
        assert!(full_dates("May 17, 1850 and 1 января 2200").is_empty());
        assert!(full_dates("version 1.17.05.2023 and 17.05.20234 and 12023-05-17").is_empty());
        assert!(full_dates("the mayor 17 2023").is_empty());
    }

    #[test]
    fn leap_day_only_in_leap_years() {
        assert_eq!(found("29 февраля 2024")[0].0, ymd(2024, 2, 29));
        assert!(full_dates("29 февраля 2023").is_empty());
    }

    #[test]
    fn several_dates_in_order_with_spans() {
        let text = "From 2023-05-17 to 17 мая 2024 г., then May 1, 2025.";
        let dates = full_dates(text);
        assert_eq!(dates.len(), 3);
        for d in &dates {
            assert_eq!(&text[d.span.start..d.span.end], d.evidence);
        }
        assert!(dates.windows(2).all(|w| w[0].span.end <= w[1].span.start));
    }

    #[test]
    fn opening_day_month_after_flags() {
        let line = "🇷🇺🇺🇳 On July 1, Russia assumed the UN Security Council Presidency";
        let d = opening_day_month(line).expect("opening date");
        assert_eq!((d.year, d.month, d.day), (None, 7, 1));
        assert_eq!(d.evidence, "July 1");
        assert_eq!(&line[d.span.start..d.span.end], "July 1");
    }

    #[test]
    fn opening_day_month_english_forms() {
        let d = opening_day_month("🇷🇺🇨🇳📞 On January 10, Foreign Minister Sergey Lavrov spoke")
            .expect("on january 10");
        assert_eq!((d.month, d.day), (1, 10));
        let d = opening_day_month("On Jan. 10 the ministers met").expect("on jan. 10");
        assert_eq!((d.month, d.day, d.evidence.as_str()), (1, 10, "Jan. 10"));
        let d = opening_day_month("🗓 July 16 – open ministerial-level debate").expect("heading");
        assert_eq!((d.month, d.day), (7, 16));
        let d = opening_day_month("February 14, Foreign Minister Lavrov").expect("comma");
        assert_eq!((d.month, d.day), (2, 14));
        let d = opening_day_month("• March 3").expect("end of line");
        assert_eq!((d.month, d.day), (3, 3));
        let d = opening_day_month("On 10 January, the talks").expect("day first");
        assert_eq!((d.month, d.day, d.evidence.as_str()), (1, 10, "10 January"));
    }

    #[test]
    fn opening_day_month_russian() {
        let d = opening_day_month("🇷🇺🇰🇬 10 января Министр иностранных дел").expect("10 января");
        assert_eq!((d.year, d.month, d.day), (None, 1, 10));
        assert_eq!(d.evidence, "10 января");
        let d = opening_day_month("❗️ 5 сент. состоялись переговоры").expect("abbreviation");
        assert_eq!((d.month, d.day), (9, 5));
    }

    #[test]
    fn opening_day_month_rejects_non_openings_years_and_ranges() {
        assert_eq!(
            opening_day_month("completed its Presidency on July 31"),
            None
        );
        assert_eq!(
            opening_day_month("On January 10, 2024, the minister said"),
            None
        );
        assert_eq!(opening_day_month("10 января 2024 г. Министр"), None);
        assert_eq!(opening_day_month("July 3-4 talks"), None);
        assert_eq!(opening_day_month("May 5 people came"), None);
        assert_eq!(opening_day_month("On February 30, nothing"), None);
        assert_eq!(opening_day_month("1️⃣ On July 1, Russia"), None);
        assert_eq!(opening_day_month("Mayor 17, the"), None);
        assert_eq!(opening_day_month(""), None);
    }

    #[test]
    fn a_day_month_inside_the_first_sentence() {
        let line = "🇺🇳 The Russian Federation completed its Presidency in the United Nations \
                    Security Council on July 31. Its packed agenda revolved around three events.";
        let d = first_sentence_day_month(line).expect("on July 31");
        assert_eq!((d.year, d.month, d.day), (None, 7, 31));
        assert_eq!(d.evidence, "July 31");
        assert_eq!(&line[d.span.start..d.span.end], "July 31");
        let d = first_sentence_day_month("The talks took place on the 5th of Sept. in Minsk")
            .expect("on the 5th of Sept");
        assert_eq!((d.month, d.day), (9, 5));
        let d = first_sentence_day_month("Talks resumed on Dec. 28 in Geneva.").expect("Dec. 28");
        assert_eq!((d.month, d.day, d.evidence.as_str()), (12, 28, "Dec. 28"));
        let d = first_sentence_day_month("🇷🇺 Министр провёл переговоры 31 июля в Москве.")
            .expect("31 июля");
        assert_eq!((d.month, d.day, d.evidence.as_str()), (7, 31, "31 июля"));
    }

    #[test]
    fn a_day_month_inside_the_first_sentence_only_when_it_stands_alone() {
        for line in [
            // After the first sentence.
            "The Council met. It adopted a resolution on July 31.",
            // Without "on".
            "The July 31 deadline passed",
            // A full date, a range, a list of days.
            "The summit opened on July 31, 2024 in Astana",
            "The summit on July 3-4 in Astana",
            "Meetings on July 26 and 31 on Gaza",
            "Переговоры 26 и 31 июля",
            "Форум с 16 по 17 июля",
            "Форум 16–17 июля",
            // Not a date.
            "Counted on May 45 votes",
            "On February 30, nothing",
            "",
        ] {
            assert_eq!(first_sentence_day_month(line), None, "{line}");
        }
    }

    #[test]
    fn resolve_year_between_neighbours() {
        assert_eq!(
            resolve_year(1, 10, Some(ymd(2023, 12, 28)), Some(ymd(2024, 2, 5))),
            Some(ymd(2024, 1, 10))
        );
        // Reverse chronological capture: same answer.
        assert_eq!(
            resolve_year(1, 10, Some(ymd(2024, 2, 5)), Some(ymd(2023, 12, 28))),
            Some(ymd(2024, 1, 10))
        );
        // Bounds are inclusive.
        assert_eq!(
            resolve_year(2, 5, Some(ymd(2023, 12, 28)), Some(ymd(2024, 2, 5))),
            Some(ymd(2024, 2, 5))
        );
    }

    #[test]
    fn resolve_year_none_when_ambiguous_or_impossible() {
        // More than a year apart: 10 January 2023 and 2024 both fit.
        assert_eq!(
            resolve_year(1, 10, Some(ymd(2022, 12, 28)), Some(ymd(2024, 2, 5))),
            None
        );
        // No year fits: 10 July is not between these dates.
        assert_eq!(
            resolve_year(7, 10, Some(ymd(2023, 12, 28)), Some(ymd(2024, 2, 5))),
            None
        );
        assert_eq!(resolve_year(13, 1, Some(ymd(2023, 1, 1)), None), None);
        assert_eq!(resolve_year(1, 10, None, None), None);
    }

    #[test]
    fn resolve_year_from_one_neighbour() {
        assert_eq!(
            resolve_year(1, 10, Some(ymd(2023, 12, 28)), None),
            Some(ymd(2024, 1, 10))
        );
        assert_eq!(
            resolve_year(12, 30, Some(ymd(2023, 12, 28)), None),
            Some(ymd(2023, 12, 30))
        );
        assert_eq!(
            resolve_year(12, 30, None, Some(ymd(2024, 2, 5))),
            Some(ymd(2023, 12, 30))
        );
        assert_eq!(
            resolve_year(2, 1, None, Some(ymd(2024, 2, 5))),
            Some(ymd(2024, 2, 1))
        );
    }

    #[test]
    fn resolve_year_leap_day() {
        assert_eq!(
            resolve_year(2, 29, Some(ymd(2023, 12, 1)), None),
            Some(ymd(2024, 2, 29))
        );
        assert_eq!(resolve_year(2, 29, Some(ymd(2022, 12, 1)), None), None);
        assert_eq!(
            resolve_year(2, 29, Some(ymd(2023, 1, 1)), Some(ymd(2025, 1, 1))),
            Some(ymd(2024, 2, 29))
        );
    }
}

#[cfg(test)]
mod date_line_tests {
    use super::*;

    #[test]
    fn a_line_that_is_only_a_date() {
        let d = date_line("February 27").expect("date");
        assert_eq!((d.year, d.month, d.day), (None, 2, 27));
        let d = date_line(" 9 мая 2023 г. ").expect("date");
        assert_eq!((d.year, d.month, d.day), (Some(2023), 5, 9));
        assert_eq!(d.evidence, "9 мая 2023 г.");
        assert_eq!((d.span.start, d.span.end), (1, 1 + "9 мая 2023 г.".len()));
        assert_eq!(
            date_line("May 9, 2023").and_then(|d| d.date()),
            NaiveDate::from_ymd_opt(2023, 5, 9)
        );
        assert!(date_line("February 29").is_some());
        assert!(date_line("February 29, 2023").is_none());
        assert!(date_line("February 30").is_none());
        assert!(date_line("Watch 27").is_none());
        assert!(date_line("February 27 was a Monday").is_none());
    }
}
