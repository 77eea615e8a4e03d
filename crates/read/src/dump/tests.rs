//! Unit tests of the dump reader's parts: markdown, span alignment, values.

use super::markdown::parse;
use super::spans::{Cleaned, Utf16Index};
use super::values::{self, When};
use serde_json::json;

/// A mark as `(kind, covered text, attrs)`.
type Shown = (String, String, Vec<(String, String)>);

/// The plain text and each mark.
fn md(src: &str) -> (String, Vec<Shown>) {
    let (plain, marks) = parse(src);
    let marks = marks
        .into_iter()
        .map(|m| (m.kind, plain[m.start..m.end].to_string(), m.attrs))
        .collect();
    (plain, marks)
}

fn kinds(src: &str) -> (String, Vec<(String, String)>) {
    let (plain, marks) = md(src);
    (plain, marks.into_iter().map(|(k, t, _)| (k, t)).collect())
}

fn pair(k: &str, t: &str) -> (String, String) {
    (k.to_string(), t.to_string())
}

#[test]
fn delimiters_become_marks() {
    assert_eq!(
        kinds("a **b** __c__ ~~d~~ `e` ```f```"),
        (
            "a b c d e f".to_string(),
            vec![
                pair("bold", "b"),
                pair("italic", "c"),
                pair("strikethrough", "d"),
                pair("code", "e"),
                pair("pre", "f")
            ]
        )
    );
}

#[test]
fn nested_and_crossed_markup() {
    assert_eq!(
        kinds("**bold __both__ bold**"),
        (
            "bold both bold".to_string(),
            vec![pair("bold", "bold both bold"), pair("italic", "both")]
        )
    );
    // Telethon writes a bold text link as either of these.
    for src in ["**[text**](https://x.org)", "[**text](https://x.org)**"] {
        let (plain, marks) = md(src);
        assert_eq!(plain, "text", "{src}");
        let mut kinds: Vec<&str> = marks.iter().map(|m| m.0.as_str()).collect();
        kinds.sort();
        assert_eq!(kinds, ["bold", "text_link"], "{src}");
    }
}

#[test]
fn links_mentions_and_custom_emoji() {
    let (plain, marks) =
        md("see [the (report)](https://e.org/a_(b)) by [Ann](tg://user?id=42) [👍](emoji/5368)");
    assert_eq!(plain, "see the (report) by Ann 👍");
    assert_eq!(
        marks,
        vec![
            (
                "text_link".to_string(),
                "the (report)".to_string(),
                vec![("href".to_string(), "https://e.org/a_(b)".to_string())]
            ),
            (
                "mention_name".to_string(),
                "Ann".to_string(),
                vec![("user_id".to_string(), "42".to_string())]
            ),
            (
                "custom_emoji".to_string(),
                "👍".to_string(),
                vec![("document_id".to_string(), "5368".to_string())]
            ),
        ]
    );
}

#[test]
fn unpaired_markup_stays_as_written() {
    for src in [
        "2 ** 3",
        "****",
        "snake__case",
        "[1] a note",
        "[broken](no close",
        "[x]\n(y)",
        "a ` b",
        "[](https://x.org)",
        "[label]()",
    ] {
        assert_eq!(kinds(src), (src.to_string(), vec![]), "{src}");
    }
}

#[test]
fn code_content_is_not_parsed() {
    assert_eq!(
        kinds("`**not bold**` and ```x __y__ z```"),
        (
            "**not bold** and x __y__ z".to_string(),
            vec![pair("code", "**not bold**"), pair("pre", "x __y__ z")]
        )
    );
}

#[test]
fn bare_urls_keep_their_underscores() {
    assert_eq!(
        kinds("https://e.org/a__b__c and **https://e.org/x**"),
        (
            "https://e.org/a__b__c and https://e.org/x".to_string(),
            vec![pair("bold", "https://e.org/x")]
        )
    );
}

#[test]
fn alignment_follows_clean_text() {
    let plain = "\n\u{200B}Hello\u{00A0}\r\nword  \n\n\n\nе\u{0308}ж end";
    let cleaned = Cleaned::new(plain);
    assert_eq!(cleaned.text, "Hello\nword\n\nёж end");
    let at = |needle: &str| plain.find(needle).unwrap();
    let span = |s: usize, e: usize| {
        cleaned
            .span(s, e)
            .map(|sp| cleaned.text[sp.start..sp.end].to_string())
    };
    assert_eq!(span(at("Hello"), at("Hello") + 5).as_deref(), Some("Hello"));
    assert_eq!(span(at("word"), at("word") + 6).as_deref(), Some("word"));
    assert_eq!(span(at("ж"), plain.len()).as_deref(), Some("ж end"));
    assert_eq!(span(at("е"), at("ж")).as_deref(), Some("ё"));
    // Only whitespace: no span.
    assert_eq!(span(at("  \n"), at("  \n") + 2), None);
}

#[test]
fn utf16_offsets() {
    let index = Utf16Index::new("a😀b");
    assert_eq!(index.byte(0), 0);
    assert_eq!(index.byte(1), 1);
    assert_eq!(index.byte(2), 5, "inside the surrogate pair: the next char");
    assert_eq!(index.byte(3), 5);
    assert_eq!(index.byte(4), 6);
    assert_eq!(index.byte(99), 6);
}

#[test]
fn peer_ids() {
    assert_eq!(values::peer(-1001003313758), ("channel", 1003313758));
    assert_eq!(values::peer(1001003313758), ("channel", 1003313758));
    assert_eq!(values::peer(-123456789), ("chat", 123456789));
    assert_eq!(values::peer(777000), ("user", 777000));
    assert_eq!(values::peer(i64::MIN).0, "chat");
}

#[test]
fn times() {
    let utc = |s: &str| When::Utc(s.to_string());
    assert_eq!(
        values::when(&json!("2024-11-22T18:12:19+00:00")),
        utc("2024-11-22T18:12:19Z")
    );
    assert_eq!(
        values::when(&json!("2024-11-22 21:12:19.5+03:00")),
        utc("2024-11-22T18:12:19Z")
    );
    assert_eq!(
        values::when(&json!("2024-11-22T18:12:19+0000")),
        utc("2024-11-22T18:12:19Z")
    );
    assert_eq!(
        values::when(&json!("2024-11-22 18:12:19 UTC")),
        utc("2024-11-22T18:12:19Z")
    );
    assert_eq!(
        values::when(&json!(1732299139)),
        utc("2024-11-22T18:12:19Z")
    );
    assert_eq!(
        values::when(&json!("1732299139")),
        utc("2024-11-22T18:12:19Z")
    );
    assert_eq!(
        values::when(&json!(1732299139000u64)),
        utc("2024-11-22T18:12:19Z")
    );
    assert!(matches!(
        values::when(&json!("2024-11-22T18:12:19")),
        When::Local(_)
    ));
    assert!(matches!(values::when(&json!("2024-11-22")), When::Day(_)));
    for bad in [json!("2024"), json!("yesterday"), json!(null), json!(true)] {
        assert_eq!(values::when(&bad), When::Unknown, "{bad}");
    }
    // Outside the years 1 to 9999, which RFC 3339 cannot write: refused, never "+10000-...".
    let past = When::OutOfRange { past: true };
    let before = When::OutOfRange { past: false };
    assert_eq!(values::when(&json!(1e300)), past);
    assert_eq!(values::when(&json!(253402300800000u64)), past);
    assert_eq!(values::when(&json!("253402300800000")), past);
    assert_eq!(values::when(&json!(-1e300)), before);
    assert_eq!(
        values::when(&json!(253402300799000u64)),
        utc("9999-12-31T23:59:59Z")
    );
    for text in [
        "+10000-01-01T00:00:00+00:00",
        "+10000-01-01T00:00:00",
        "+10000-01-01",
        "-0001-01-01T00:00:00Z",
        "0000-12-31T00:00:00",
    ] {
        let when = values::when(&json!(text));
        assert!(!when.is_time(), "{text}: {when:?}");
    }
}

#[test]
fn tme_links() {
    let l = values::tme_link("https://t.me/s/mfarussia/123?single").unwrap();
    assert_eq!(l.username.as_deref(), Some("mfarussia"));
    assert_eq!(l.message_id, Some(123));
    let c = values::tme_link("t.me/c/1003313758/9").unwrap();
    assert_eq!((c.tg_id, c.message_id), (Some(1003313758), Some(9)));
    assert!(values::tme_link("https://example.org/a/1").is_none());
}
