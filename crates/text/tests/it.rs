//! Integration tests of tgscope-text: a post as a reader sees it, and properties that must hold
//! on any input (idempotent cleaning, spans on char boundaries, no panics).

use chrono::NaiveDate;
use proptest::prelude::*;
use tgscope_model::Span;
use tgscope_text::{dates, extract, normalize};

/// A post in the shape of a plain-text capture, with the noise that cleaning must remove.
const POST: &str = "🎙 Foreign Minister Sergey Lavrov’s interview with Tsargrad TV (Moscow, May 17, 2023)\u{00A0}\r\n\
Key talking points:  \r\n\
\r\n\r\n\r\n\
🔹 The #CIS retains its important economic cooperation contacts\u{200B}. Read: https://mid.ru/ru/foreign_policy/news/1868331/.\r\n\
🇷🇺🇰🇬 Подписывайтесь: @MFARussia и t.me/MID_Russia #МИДРоссии\r\n";

#[test]
fn a_captured_post_cleans_and_extracts() {
    let text = normalize::clean_text(POST);
    assert_eq!(text.lines().count(), 5);
    assert!(text.starts_with("🎙 Foreign Minister"));
    assert!(text.contains("(Moscow, May 17, 2023)\nKey talking points:\n\n🔹"));
    assert!(!text.contains('\r') && !text.contains('\u{200B}') && !text.contains('\u{00A0}'));

    let got = extract::all(&text);
    let tags: Vec<&str> = got.hashtags.iter().map(|t| t.value.as_str()).collect();
    assert_eq!(tags, ["CIS", "МИДРоссии"]);
    let mentions: Vec<&str> = got.mentions.iter().map(|t| t.value.as_str()).collect();
    assert_eq!(mentions, ["MFARussia"]);
    let urls: Vec<&str> = got.links.iter().filter_map(|l| l.url.as_deref()).collect();
    assert_eq!(
        urls,
        [
            "https://mid.ru/ru/foreign_policy/news/1868331/",
            "https://t.me/MID_Russia"
        ]
    );
    let countries: Vec<&str> = got.countries.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(countries, ["RU", "KG"]);

    let found = dates::full_dates(&text);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].evidence, "May 17, 2023");
    assert_eq!(found[0].date(), NaiveDate::from_ymd_opt(2023, 5, 17));
}

#[test]
fn a_day_month_post_gets_its_year_from_neighbours() {
    let line = "🇷🇺🇨🇳📞 On January 10, Foreign Minister Sergey Lavrov spoke over the phone";
    let opening = dates::opening_day_month(line).expect("day-month opens the post");
    let prev = dates::full_dates("📍Moscow, December 28, 2023")[0].date();
    let next = dates::full_dates("(February 5, 2024)")[0].date();
    assert_eq!(
        dates::resolve_year(opening.month, opening.day, prev, next),
        NaiveDate::from_ymd_opt(2024, 1, 10)
    );
}

#[test]
fn a_post_lists_each_country_once_and_no_organisations() {
    let text = normalize::clean_text(
        "🇷🇺🇺🇳 On July 1, Russia assumed the UN Security Council Presidency.\n\
         🇷🇺🇨🇳 Russia and China agree; 🇪🇺 the EU does not.\n\
         🇺🇳 Russia 🇷🇺 went to great lengths.",
    );
    let got = extract::all(&text);
    let codes: Vec<&str> = got.countries.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["RU", "CN"]);
    // Each country keeps the span of its first flag.
    assert_eq!(
        (got.countries[0].span.start, got.countries[0].span.end),
        (0, 8)
    );
    let china = got.countries[1].span;
    assert_eq!(&text[china.start..china.end], "🇨🇳");
    assert!(text[..china.start].ends_with("Presidency.\n🇷🇺"));
}

#[test]
fn a_day_month_inside_the_first_sentence_takes_the_year_of_the_nearest_dated_post() {
    let line = "🇺🇳 The Russian Federation completed its Presidency in the United Nations \
                Security Council on July 31. Its packed agenda revolved around three central events.";
    assert_eq!(dates::opening_day_month(line), None);
    let found = dates::first_sentence_day_month(line).expect("on July 31");
    assert_eq!(found.evidence, "July 31");
    // The nearest dated post before it: "On July 1" of a post whose year came from June 11, 2024.
    let june = dates::full_dates("(June 11, 2024, Nizhny Novgorod)")[0].date();
    let opening = dates::opening_day_month("🇷🇺🇺🇳 On July 1, Russia assumed").expect("July 1");
    let july_1 = dates::resolve_year(opening.month, opening.day, june, None);
    assert_eq!(july_1, NaiveDate::from_ymd_opt(2024, 7, 1));
    assert_eq!(
        dates::resolve_year(found.month, found.day, july_1, None),
        NaiveDate::from_ymd_opt(2024, 7, 31)
    );
}

#[test]
fn the_same_post_seen_twice_has_one_content_key() {
    let a = normalize::clean_text(POST);
    let b = POST.replace("\r\n", "\n").replace('\u{00A0}', "  ");
    assert_eq!(normalize::content_key(&a), normalize::content_key(&b));
    assert!(normalize::similarity(&a, &b) > 0.99);
}

/// Pieces that exercise every recogniser when glued together at random.
fn pieces() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("#"),
        Just("@"),
        Just("#CSTO"),
        Just("@MFARussia"),
        Just("&#39;"),
        Just("https://"),
        Just("www."),
        Just("t.me/"),
        Just("mid.ru/"),
        Just("("),
        Just(")"),
        Just("»"),
        Just("."),
        Just(","),
        Just("-"),
        Just("–"),
        Just(" "),
        Just("\n"),
        Just("\r\n"),
        Just("\u{00A0}"),
        Just("\u{200B}"),
        Just("\u{00AD}"),
        Just("\u{200D}"),
        Just("\u{0301}"),
        Just("\u{0308}"),
        Just("е"),
        Just("🇷"),
        Just("🇺"),
        Just("🇰🇬"),
        Just("🇺🇳"),
        Just("🇪🇺"),
        Just("🇷🇺"),
        Just("on"),
        Just("июля"),
        Just("✍️"),
        Just("On"),
        Just("May"),
        Just("Dec."),
        Just("мая"),
        Just("сент."),
        Just("г."),
        Just("17"),
        Just("29"),
        Just("02"),
        Just("2023"),
        Just("Россия"),
        Just("é"),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

/// Any text: arbitrary Unicode, or recogniser-shaped pieces.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        pieces(),
        "[a-zA-Zа-яА-Я0-9 #@.,/:()\n🇦-🇿-]{0,40}"
    ]
}

/// True when `span` lies within `text` on char boundaries.
fn span_ok(text: &str, span: Span) -> bool {
    span.start < span.end && text.get(span.start..span.end).is_some()
}

proptest! {

    #[test]
    fn clean_text_is_idempotent(text in any_text()) {
        let once = normalize::clean_text(&text);
        prop_assert_eq!(normalize::clean_text(&once), once.clone());
        prop_assert!(!once.contains("\n\n\n"));
        prop_assert!(!once.starts_with('\n') && !once.ends_with('\n'));
        prop_assert!(!once.contains('\r'));
    }

    #[test]
    fn keys_and_similarity_are_well_formed(a in any_text(), b in any_text()) {
        let key = normalize::content_key(&a);
        prop_assert_eq!(key.len(), 64);
        prop_assert_eq!(normalize::content_key(&normalize::clean_text(&a)), key);
        let line_key = normalize::line_key(&a);
        prop_assert_eq!(normalize::line_key(&line_key), line_key.clone());
        let s = normalize::similarity(&a, &b);
        prop_assert!((0.0..=1.0).contains(&s));
        prop_assert_eq!(s, normalize::similarity(&b, &a));
        prop_assert_eq!(normalize::similarity(&a, &a), 1.0);
        for word in normalize::words(&a) {
            prop_assert!(!word.is_empty());
        }
    }

    #[test]
    fn extraction_spans_slice_the_text(text in any_text()) {
        for tag in extract::hashtags(&text) {
            prop_assert!(span_ok(&text, tag.span));
            prop_assert_eq!(&text[tag.span.start..tag.span.end], format!("#{}", tag.value));
        }
        for tag in extract::mentions(&text) {
            prop_assert!(span_ok(&text, tag.span));
            prop_assert_eq!(&text[tag.span.start..tag.span.end], format!("@{}", tag.value));
        }
        for link in extract::urls(&text) {
            let span = link.span.expect("urls always have a span");
            prop_assert!(span_ok(&text, span));
            prop_assert_eq!(&text[span.start..span.end], link.label.as_str());
            prop_assert!(link.url.as_deref().is_some_and(|u| u.to_ascii_lowercase().starts_with("http")));
        }
        let countries = extract::countries(&text);
        for (i, country) in countries.iter().enumerate() {
            prop_assert!(span_ok(&text, country.span));
            prop_assert_eq!(country.code.len(), 2);
            prop_assert_eq!(text[country.span.start..country.span.end].chars().count(), 2);
            prop_assert!(!["EU", "UN"].contains(&country.code.as_str()));
            // Each country once, in the order of its first flag.
            prop_assert!(countries[..i].iter().all(|c| c.code != country.code));
            prop_assert!(countries[..i].iter().all(|c| c.span.end <= country.span.start));
        }
        let all = extract::all(&text);
        prop_assert!(all.hashtags.len() <= extract::hashtags(&text).len());
        prop_assert_eq!(all.links, extract::urls(&text));
    }

    #[test]
    fn date_spans_slice_the_text(text in any_text()) {
        for found in dates::full_dates(&text) {
            prop_assert!(span_ok(&text, found.span));
            prop_assert_eq!(&text[found.span.start..found.span.end], found.evidence.as_str());
            prop_assert!(found.date().is_some());
        }
        for line in text.lines() {
            if let Some(found) = dates::first_sentence_day_month(line) {
                prop_assert!(span_ok(line, found.span));
                prop_assert_eq!(&line[found.span.start..found.span.end], found.evidence.as_str());
                prop_assert_eq!(found.year, None);
                prop_assert!(NaiveDate::from_ymd_opt(2000, found.month, found.day).is_some());
            }
            if let Some(found) = dates::opening_day_month(line) {
                prop_assert!(span_ok(line, found.span));
                prop_assert_eq!(&line[found.span.start..found.span.end], found.evidence.as_str());
                prop_assert_eq!(found.year, None);
                prop_assert!(NaiveDate::from_ymd_opt(2000, found.month, found.day).is_some());
            }
        }
    }

    #[test]
    fn resolved_dates_lie_between_neighbours(
        month in 0u32..14,
        day in 0u32..33,
        a in -1000i32..1000,
        b in -1000i32..1000,
    ) {
        let base = NaiveDate::from_ymd_opt(2023, 6, 15).expect("base date");
        let prev = base.checked_add_signed(chrono::TimeDelta::days(i64::from(a)));
        let next = base.checked_add_signed(chrono::TimeDelta::days(i64::from(b)));
        if let Some(date) = dates::resolve_year(month, day, prev, next) {
            let (low, high) = (prev.min(next).expect("both set"), prev.max(next).expect("both set"));
            prop_assert!(low <= date && date <= high);
        }
        if let Some(date) = dates::resolve_year(month, day, prev, None) {
            prop_assert!(prev.is_some_and(|p| date >= p));
        }
        if let Some(date) = dates::resolve_year(month, day, None, next) {
            prop_assert!(next.is_some_and(|n| date <= n));
        }
    }
}
