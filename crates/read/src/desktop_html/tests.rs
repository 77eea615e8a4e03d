//! Unit tests of the Desktop HTML reader's parts: stamps, sentences, paths, spans, offsets.

use super::media::safe_path;
use super::offsets::Offsets;
use super::rich::{clean_mapped, finish, rich};
use super::service::{classify, linked_message};
use super::stamp::{parse_day, parse_stamp};
use super::*;

#[test]
fn stamps_with_an_offset_give_utc() {
    let s = parse_stamp("23.08.2023 13:11:23 UTC-08:00").expect("stamp");
    assert_eq!(s.utc(None).as_deref(), Some("2023-08-23T21:11:23Z"));
    assert_eq!(s.offset_text.as_deref(), Some("UTC-08:00"));
    let s = parse_stamp("08.03.2022 11:10:02 UTC+05:30").expect("stamp");
    assert_eq!(s.utc(None).as_deref(), Some("2022-03-08T05:40:02Z"));
    let s = parse_stamp("01.01.2024 00:30:00 UTC").expect("stamp");
    assert_eq!(s.utc(None).as_deref(), Some("2024-01-01T00:30:00Z"));
}

#[test]
fn stamps_without_an_offset_stay_local_unless_one_is_given() {
    let s = parse_stamp("05.09.2018 16:42:32").expect("stamp");
    assert_eq!(s.offset, None);
    assert_eq!(s.utc(None), None);
    assert_eq!(s.local_text(), "2018-09-05T16:42:32");
    let three = FixedOffset::east_opt(3 * 3600);
    assert_eq!(s.utc(three).as_deref(), Some("2018-09-05T13:42:32Z"));
}

#[test]
fn impossible_stamps_are_refused() {
    for bad in [
        "",
        "31.02.2020 10:00:00",
        "05.09.2018 25:00:00",
        "05.09.2018",
        "05.09.2018 10:00:00 UTC+99:99",
        "yesterday",
    ] {
        assert_eq!(parse_stamp(bad), None, "{bad:?}");
    }
}

#[test]
fn day_separators_are_recognised() {
    assert_eq!(
        parse_day("23 August 2023"),
        chrono::NaiveDate::from_ymd_opt(2023, 8, 23)
    );
    assert_eq!(parse_day("Channel created"), None);
    assert_eq!(parse_day("31 February 2020"), None);
    assert!(stamp::looks_like_day("31 February 2020"));
}

#[test]
fn service_sentences_give_the_json_exports_actions() {
    let a = classify("Channel «Baltic Wire» created", None);
    assert_eq!(a.action, "create_channel");
    assert_eq!(
        a.details,
        [("title".to_string(), "Baltic Wire".to_string())]
    );
    let a = classify("Baltic Wire pinned this message", Some(15));
    assert_eq!(a.action, "pin_message");
    assert_eq!(a.actor.as_deref(), Some("Baltic Wire"));
    assert_eq!(a.details, [("message_id".to_string(), "15".to_string())]);
    let a = classify("Liis changed group title to «Club»", None);
    assert_eq!(
        (a.action.as_str(), a.actor.as_deref()),
        ("edit_group_title", Some("Liis"))
    );
    assert_eq!(
        classify("Channel photo changed", None).action,
        "edit_group_photo"
    );
    assert_eq!(
        classify("Liis removed group photo", None).action,
        "delete_group_photo"
    );
    assert_eq!(classify("Liis removed Anna", None).action, "remove_members");
    assert_eq!(
        classify("Liis invited Anna and Jaan", None).action,
        "invite_members"
    );
    assert_eq!(
        classify("Voice chat (120 seconds)", None).action,
        "group_call"
    );
    assert_eq!(classify("Something new happened", None).action, "service");
}

#[test]
fn go_to_message_links_give_ids_in_this_and_other_pages() {
    assert_eq!(linked_message(Some("#go_to_message123"), None), Some(123));
    assert_eq!(
        linked_message(Some("messages2.html#go_to_message7"), None),
        Some(7)
    );
    assert_eq!(linked_message(None, Some("return GoToMessage(9)")), Some(9));
    assert_eq!(linked_message(Some("https://t.me/x"), None), None);
}

#[test]
fn media_paths_stay_inside_the_export() {
    assert!(safe_path("photos/photo_1@02-03-2024_09-20-41.jpg").is_ok());
    assert!(safe_path("../../chats/chat_01/photos/p.jpg").is_ok());
    for bad in [
        "../../../etc/passwd",
        "../photos/p.jpg",
        "../../../chats/chat_01/p.jpg",
        "photos/../../x.jpg",
        "/etc/passwd",
        "\\\\server\\share\\x.jpg",
        "C:\\Windows\\x.jpg",
        "file:///etc/passwd",
        "https://example.org/x.jpg",
        "..",
        "",
    ] {
        assert!(safe_path(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn names_split_off_their_bot() {
    assert_eq!(
        split_via("Peeter Saar via @daypollbot"),
        ("Peeter Saar".to_string(), Some("daypollbot".to_string()))
    );
    assert_eq!(split_via("Just a name"), ("Just a name".to_string(), None));
    assert_eq!(name_of("Deleted Account"), None);
    assert_eq!(name_of("  Anna  ").as_deref(), Some("Anna"));
}

/// Every raw offset maps into the clean text on a char boundary, and text pieces land where
/// they are.
#[test]
fn clean_text_spans_follow_the_cleaning() {
    let raw = "\n  Title \u{00A0}\r\n\r\n\r\n\u{200B}Body\u{00A0}text   \nend\n     ";
    let c = clean_mapped(raw);
    assert_eq!(c.text, tgscope_text::normalize::clean_text(raw));
    assert_eq!(c.text, "  Title\n\nBody text\nend");
    let mut cursor = 0;
    let title = raw.find("Title").expect("title");
    let span = c
        .span(raw, title, title + 5, &mut cursor)
        .expect("title span");
    assert_eq!(&c.text[span.start..span.end], "Title");
    let body = raw.find("Body").expect("body");
    let end = raw.find("end").expect("end") + 3;
    let span = c.span(raw, body, end, &mut cursor).expect("body span");
    assert_eq!(&c.text[span.start..span.end], "Body text\nend");
    for i in 0..=raw.len() {
        if raw.is_char_boundary(i) {
            let _ = c.span(raw, 0, i, &mut 0);
        }
    }
}

/// Text that NFC changes cannot be mapped offset by offset; pieces are found by search.
#[test]
fn spans_survive_text_that_nfc_changes() {
    let html = Html::parse_fragment("<div>Cafe\u{0301} <b>bold</b> end</div>");
    let div = html
        .select(&Selector::parse("div").expect("selector"))
        .next()
        .expect("div");
    let r = rich(div);
    let (text, entities, _) = finish(&r);
    assert_eq!(text, "Café bold end");
    let bold = &entities[0];
    assert_eq!(&text[bold.span.start..bold.span.end], "bold");
}

#[test]
fn message_elements_are_located_in_the_bytes() {
    let page = b"<div class=\"history\">\n <div class=\"message default\" id=\"message5\">\n  <div class=\"body\">x</div>\n </div>\n <div class=\"message service\" id=\"message-1\"><div>y</div></div>\n</div>";
    let mut offsets = Offsets::scan(page);
    let (s, e) = offsets.take("message5");
    let text = std::str::from_utf8(&page[s as usize..e as usize]).expect("utf-8");
    assert!(text.starts_with("<div class=\"message default\""), "{text}");
    assert!(text.ends_with("</div>\n </div>"), "{text}");
    let (s, e) = offsets.take("message-1");
    assert_eq!(
        &page[s as usize..e as usize],
        b"<div class=\"message service\" id=\"message-1\"><div>y</div></div>"
    );
    assert_eq!(offsets.take("message99"), (0, 0));
}

#[test]
fn deeply_nested_markup_is_read_within_the_budget_and_refused_beyond_it() {
    let page = |depth: usize| {
        let mut page = String::from(
            "<html><body><div class=\"history\"><div class=\"message default clearfix\" id=\"message1\"><div class=\"body\"><div class=\"text\">",
        );
        page.push_str(&"<b>".repeat(depth));
        page.push_str("deep");
        page.push_str("</div></div></div></div></body></html>");
        page
    };
    let items: Vec<_> =
        DesktopHtmlReader::new(page(400).as_bytes(), "deep.html", HtmlOptions::default()).collect();
    let post = items
        .iter()
        .find_map(|i| match i {
            Ok(ReadItem::Post(p)) => Some(p),
            _ => None,
        })
        .expect("a post");
    assert_eq!(post.text, "deep");

    // 50,000 deep: refused before the parser sees it (no stack to overflow, no quadratic time).
    let items: Vec<_> =
        DesktopHtmlReader::new(page(50_000).as_bytes(), "deep.html", HtmlOptions::default())
            .collect();
    assert!(
        matches!(items.as_slice(), [Err(ReadError::TooDeep(deep))] if deep.line == 1),
        "{items:?}"
    );
}
