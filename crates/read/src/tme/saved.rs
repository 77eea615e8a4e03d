//! When a page says it was made. A page of the web preview carries two such statements:
//! - the view-counting token Telegram puts on each message it serves
//!   (`data-view="<base64 JSON>"`, whose `t` is the unix time the page was served: in real pages
//!   it lies minutes after the page's newest post), the time the view counts were current;
//! - the header comment a saver writes: SingleFile's `saved date: Tue Oct 17 2023 13:55:34
//!   GMT+0300 (...)`. (Chrome's `<!-- saved from url=(0036)... -->` names no date.)
//!
//! The token is preferred (it dates the counts themselves); the saver's date is the fallback.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use regex::Regex;
use tgscope_model::{CaptureTime, CaptureTimeBasis};

/// Unix times outside this range are not a page's time (Telegram's web preview is younger, and
/// a time past 2100 is damage).
const PLAUSIBLE: std::ops::Range<i64> = 1_356_998_400..4_102_444_800;

static DATA_VIEW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"data-view\s*=\s*["']([A-Za-z0-9_\-+/=]{8,512})["']"#).expect("static regex")
});

static SAVED_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"saved date:\s*(?:[A-Z][a-z]{2}\s+)?([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})\s+GMT([+-])(\d{2}):?(\d{2})[^\n\r]*",
    )
    .expect("static regex")
});

/// When the page says it was made, with what says so; `None` when it says nothing usable.
pub fn page_made_at(text: &str) -> Option<CaptureTime> {
    served_at(text).or_else(|| saved_at(text))
}

/// The latest `t` of the page's view tokens.
fn served_at(text: &str) -> Option<CaptureTime> {
    let latest = DATA_VIEW
        .captures_iter(text)
        .filter_map(|c| token_time(c.get(1)?.as_str()))
        .max()?;
    let at = Utc.timestamp_opt(latest, 0).single()?;
    Some(CaptureTime {
        at: at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        basis: CaptureTimeBasis::File,
        evidence: Some(format!(
            "the time Telegram served the page (t = {latest} in its data-view tokens)"
        )),
    })
}

/// The `t` of one view token, when it is a plausible unix time.
fn token_time(token: &str) -> Option<i64> {
    let json = base64_decode(token)?;
    let value: serde_json::Value = serde_json::from_slice(&json).ok()?;
    let t = value.get("t")?.as_i64()?;
    PLAUSIBLE.contains(&t).then_some(t)
}

/// SingleFile's `saved date:` in the page's opening comment.
fn saved_at(text: &str) -> Option<CaptureTime> {
    let head = match text.char_indices().nth(64 * 1024) {
        Some((end, _)) => &text[..end],
        None => text,
    };
    let c = SAVED_DATE.captures(head)?;
    let num = |i: usize| -> Option<u32> { c.get(i)?.as_str().parse().ok() };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let name = c.get(1)?.as_str();
    let month = MONTHS.iter().position(|m| *m == name)? as u32 + 1;
    let year: i32 = c.get(3)?.as_str().parse().ok()?;
    let local =
        NaiveDate::from_ymd_opt(year, month, num(2)?)?.and_hms_opt(num(4)?, num(5)?, num(6)?)?;
    let minutes = i32::try_from(num(8)? * 60 + num(9)?).ok()?;
    let seconds = if c.get(7)?.as_str() == "-" {
        -minutes * 60
    } else {
        minutes * 60
    };
    let offset = chrono::FixedOffset::east_opt(seconds)?;
    let at: DateTime<Utc> = offset
        .from_local_datetime(&local)
        .single()?
        .with_timezone(&Utc);
    if !PLAUSIBLE.contains(&at.timestamp()) {
        return None;
    }
    Some(CaptureTime {
        at: at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        basis: CaptureTimeBasis::File,
        evidence: Some(format!("SingleFile header: {}", c.get(0)?.as_str().trim())),
    })
}

/// Decodes base64 in either alphabet (standard or URL-safe), padded or not; `None` when it is
/// not base64.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0u32;
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_token_gives_the_time_the_page_was_served() {
        let page = r#"<div data-post="topwar_official/70991"
             data-view="eyJjIjotMTA4NDM2ODUyMCwicCI6NzA5OTEsInQiOjE2Nzc1OTM4MzUsImgiOiI5MmMwYjU1YmEyNWFkOTQxOGQifQ">"#;
        let made = page_made_at(page).expect("a time");
        assert_eq!(made.at, "2023-02-28T14:17:15Z");
        assert_eq!(made.basis, CaptureTimeBasis::File);
        assert!(made.evidence.expect("evidence").contains("1677593835"));
    }

    #[test]
    fn singlefile_s_saved_date_is_read_with_its_offset() {
        let page = "<!DOCTYPE html> <html><!--\n Page saved with SingleFile \n url: https://t.me/s/x \n saved date: Tue Oct 17 2023 13:55:34 GMT+0300 (Москва, стандартное время)\n--><head>";
        let made = page_made_at(page).expect("a time");
        assert_eq!(made.at, "2023-10-17T10:55:34Z");
        let evidence = made.evidence.expect("evidence");
        assert!(
            evidence.starts_with("SingleFile header: saved date: Tue Oct 17 2023"),
            "{evidence}"
        );
    }

    #[test]
    fn tokens_that_are_not_base64_json_or_not_a_time_say_nothing() {
        for page in [
            r#"<div data-view="not base64!">"#,
            r#"<div data-view="eyJ0IjoiYWJjIn0">"#,
            r#"<div data-view="eyJ0Ijo1fQ">"#,
            "<!-- saved from url=(0036)https://t.me/s/channel -->",
            "saved date: Xyz Foo 99 2023",
        ] {
            assert_eq!(page_made_at(page), None, "{page}");
        }
    }
}
