//! A message far longer than Telegram allows: every reader cuts its text to
//! `MAX_SOURCE_TEXT_BYTES` before it cleans it or aligns its formatting with the clean text (work
//! that costs several times a text's size), keeps the formatting before the cut, and says how
//! long the text in the capture was, so that the warning of the cut names it and a reader's
//! memory stays bounded whatever a message's length.

use std::io::Cursor;
use std::path::Path;

use tgscope_model::{CapturedPost, Format, MAX_SOURCE_TEXT_BYTES, ReadItem};
use tgscope_read::{ReadOptions, open};

/// About 1 MiB of Cyrillic text (two bytes a letter), four times what a reader cleans.
fn long_text() -> String {
    "Заявление министерства о переговорах. ".repeat(15_000)
}

fn fixture(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `page` with `inner` put at the start of its first element that opens with `marker`.
fn with_inside(page: &str, marker: &str, inner: &str) -> String {
    let at = page.find(marker).unwrap_or_else(|| panic!("no {marker}"));
    let inside = at + page[at..].find('>').expect("the element's tag ends") + 1;
    format!("{}{inner}{}", &page[..inside], &page[inside..])
}

fn read(format: Format, bytes: String) -> Vec<CapturedPost> {
    let options = ReadOptions {
        source_name: "messages.html".into(),
        ..ReadOptions::default()
    };
    open(format, Box::new(Cursor::new(bytes.into_bytes())), &options)
        .filter_map(|item| match item {
            Ok(ReadItem::Post(p)) => Some(*p),
            _ => None,
        })
        .collect()
}

/// The post holding the long text: cut before cleaning, its length in the capture kept.
fn the_long_one(posts: &[CapturedPost], whole: usize) -> &CapturedPost {
    let long: Vec<&CapturedPost> = posts
        .iter()
        .filter(|p| p.source_text_bytes.is_some())
        .collect();
    assert_eq!(
        long.len(),
        1,
        "one post was cut: {:?}",
        posts
            .iter()
            .map(|p| (p.text.len(), p.raw_text.len()))
            .collect::<Vec<_>>()
    );
    let post = long[0];
    let said = post.source_text_bytes.expect("checked");
    assert!(
        said >= whole && said < whole + 4096,
        "the length in the capture ({said}) is the long text's ({whole}) and its mark-up's"
    );
    assert!(
        post.raw_text.len() <= MAX_SOURCE_TEXT_BYTES,
        "the raw text is cut: {}",
        post.raw_text.len()
    );
    assert!(
        post.text.len() <= MAX_SOURCE_TEXT_BYTES && post.text.len() > MAX_SOURCE_TEXT_BYTES - 4096,
        "the clean text is the cut text's: {}",
        post.text.len()
    );
    assert!(
        post.text.contains("Заявление министерства о переговорах."),
        "{}",
        &post.text[..200]
    );
    for p in posts.iter().filter(|p| p.source_text_bytes.is_none()) {
        assert!(
            p.text.len() < MAX_SOURCE_TEXT_BYTES,
            "short posts are whole"
        );
    }
    post
}

/// Its bold opening is kept as an entity over the clean text, and the italic the inputs put
/// past the cut is not.
fn keeps_bold_head(post: &CapturedPost) {
    let bold = post
        .entities
        .iter()
        .find(|e| e.kind == "bold")
        .unwrap_or_else(|| panic!("the bold head is kept: {:?}", post.entities));
    assert_eq!(&post.text[bold.span.start..bold.span.end], "Заголовок");
    assert!(
        post.entities.iter().all(|e| e.kind != "italic"),
        "the italic past the cut is dropped: {:?}",
        post.entities
    );
}

#[test]
fn a_dump_message_is_cut_before_cleaning() {
    let long = long_text();
    let dump = [
        r#"{"id": 1, "date": "2024-03-01T10:00:00Z", "message": "Before the long one."}"#
            .to_string(),
        format!(r#"{{"id": 2, "date": "2024-03-01T11:00:00Z", "message": "{long}"}}"#),
        r#"{"id": 3, "date": "2024-03-01T12:00:00Z", "message": "After the long one."}"#
            .to_string(),
    ]
    .join("\n");
    let posts = read(Format::Dump, dump);
    assert_eq!(posts.len(), 3);
    let post = the_long_one(&posts, long.len());
    assert_eq!(post.message_id, Some(2));
}

#[test]
fn a_dump_message_with_telegram_entities_is_cut_before_cleaning() {
    let long = format!("Заголовок {}", long_text());
    let head_units = "Заголовок".encode_utf16().count();
    let dump = format!(
        r#"{{"id": 2, "date": "2024-03-01T11:00:00Z", "message": "{long}", "entities": [{{"_": "MessageEntityBold", "offset": 0, "length": {head_units}}}, {{"_": "MessageEntityItalic", "offset": 1000000, "length": 5}}]}}"#
    );
    let posts = read(Format::Dump, dump);
    let post = the_long_one(&posts, long.len());
    keeps_bold_head(post);
}

#[test]
fn a_desktop_json_message_is_cut_before_cleaning() {
    let long = long_text();
    let export = serde_json::json!({
        "name": "Long",
        "type": "public_channel",
        "id": 1_234_567,
        "messages": [
            {
                "id": 1, "type": "message", "date": "2024-03-01T10:00:00",
                "date_unixtime": "1709287200", "from": "Long", "from_id": "channel1234567",
                "text": "Before the long one.",
                "text_entities": [{"type": "plain", "text": "Before the long one."}]
            },
            {
                "id": 2, "type": "message", "date": "2024-03-01T11:00:00",
                "date_unixtime": "1709290800", "from": "Long", "from_id": "channel1234567",
                "text": [{"type": "bold", "text": "Заголовок"}, format!(" {long}")],
                "text_entities": [
                    {"type": "bold", "text": "Заголовок"},
                    {"type": "plain", "text": format!(" {long}")},
                    {"type": "italic", "text": "the end"}
                ]
            }
        ]
    });
    let posts = read(Format::DesktopJson, export.to_string());
    assert_eq!(posts.len(), 2);
    let post = the_long_one(&posts, "Заголовок ".len() + long.len() + "the end".len());
    keeps_bold_head(post);
}

#[test]
fn a_desktop_html_message_is_cut_before_cleaning() {
    let long = long_text();
    let page = with_inside(
        &fixture("desktop-html/channel_messages.html"),
        r#"class="text""#,
        &format!("<strong>Заголовок</strong> {long}"),
    );
    let posts = read(Format::DesktopHtml, page);
    let post = the_long_one(&posts, long.len());
    keeps_bold_head(post);
}

#[test]
fn a_tme_post_is_cut_before_cleaning() {
    let long = long_text();
    let page = with_inside(
        &fixture("tme/page.html"),
        "tgme_widget_message_text js-message_text before_footer",
        &format!("<b>Заголовок</b> {long}"),
    );
    let posts = read(Format::TmeHtml, page);
    let post = the_long_one(&posts, long.len());
    keeps_bold_head(post);
}
