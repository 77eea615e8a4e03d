//! Unit tests of the Desktop JSON reader on small exports written inline.

use super::*;
use tgscope_model::{CapturedPost, DateBasis, MediaKind, Placeholder, ServiceEvent};

fn read_all(
    json: &str,
) -> (
    Vec<CapturedPost>,
    Vec<ServiceEvent>,
    Vec<String>,
    Option<ReadError>,
) {
    let mut posts = Vec::new();
    let mut events = Vec::new();
    let mut warnings = Vec::new();
    let mut error = None;
    for item in DesktopJsonReader::new(json.as_bytes(), JsonOptions::default()) {
        match item {
            Ok(ReadItem::Post(p)) => posts.push(*p),
            Ok(ReadItem::Event(e)) => events.push(*e),
            Ok(ReadItem::Warning(w)) => warnings.push(w),
            Err(e) => error = Some(e),
        }
    }
    (posts, events, warnings, error)
}

const SINGLE: &str = r##"{
 "name": "МИД России",
 "type": "public_channel",
 "id": 1115040452,
 "messages": [
  {
   "id": 1,
   "type": "service",
   "date": "2022-06-25T07:25:00",
   "date_unixtime": "1656141900",
   "actor": "МИД России",
   "actor_id": "channel1115040452",
   "action": "create_channel",
   "title": "МИД России",
   "text": "",
   "text_entities": []
  },
  {
   "id": 2,
   "type": "message",
   "date": "2022-06-25T07:30:00",
   "date_unixtime": "1656142200",
   "edited": "2022-06-25T08:00:00",
   "edited_unixtime": "1656144000",
   "from": "МИД России",
   "from_id": "channel1115040452",
   "author": "Пресс-служба",
   "forwarded_from": null,
   "reply_to_message_id": 1,
   "photo": "photos/photo_1@25-06-2022_07-30-00.jpg",
   "photo_file_size": 12345,
   "width": 1280,
   "height": 720,
   "reactions": [{"type": "emoji", "count": 5, "emoji": "👍"}],
   "text": [
    "Заявление ",
    {"type": "bold", "text": "МИД"},
    " #СНГ ",
    {"type": "text_link", "text": "читать", "href": "https://mid.ru/1"},
    {"type": "future_entity", "text": "!"}
   ],
   "text_entities": [
    {"type": "plain", "text": "Заявление "},
    {"type": "bold", "text": "МИД"},
    {"type": "plain", "text": " "},
    {"type": "hashtag", "text": "#СНГ"},
    {"type": "plain", "text": " "},
    {"type": "text_link", "text": "читать", "href": "https://mid.ru/1"},
    {"type": "future_entity", "text": "!"}
   ]
  },
  {
   "id": 3,
   "type": "message",
   "date": "2022-06-26T10:00:00",
   "date_unixtime": "1656237600",
   "from": "МИД России",
   "from_id": "channel1115040452",
   "forwarded_from": "Russian MFA 🇷🇺",
   "forwarded_from_id": "channel1099860397",
   "file": "(File not included. Change data exporting settings to download.)",
   "media_type": "video_file",
   "mime_type": "video/mp4",
   "duration_seconds": 69,
   "text": "Video of the day",
   "text_entities": [{"type": "plain", "text": "Video of the day"}]
  },
  {
   "id": 4,
   "type": "message",
   "date_unixtime": "1656237700",
   "from": null,
   "file": "../../etc/passwd",
   "text": ""
  }
 ]
}"##;

#[test]
fn a_single_chat_export_gives_posts_events_and_every_field() {
    let (posts, events, warnings, error) = read_all(SINGLE);
    assert!(error.is_none(), "{error:?}");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "create_channel");
    assert_eq!(events[0].date.as_deref(), Some("2022-06-25T07:25:00Z"));
    assert_eq!(
        events[0].details,
        [("title".to_string(), "МИД России".to_string())]
    );
    assert_eq!(posts.len(), 3);
    let p = &posts[0];
    let chat = p.channel.as_ref().expect("channel");
    assert_eq!(chat.tg_id, Some(1115040452));
    assert_eq!(chat.kind.as_deref(), Some("public_channel"));
    assert_eq!(p.message_id, Some(2));
    assert_eq!(p.date.as_deref(), Some("2022-06-25T07:30:00Z"));
    assert_eq!(p.edited, Some(true));
    assert_eq!(p.edited_at.as_deref(), Some("2022-06-25T08:00:00Z"));
    assert_eq!(p.author.as_deref(), Some("Пресс-служба"));
    assert_eq!(
        p.sender.as_ref().and_then(|s| s.id.as_deref()),
        Some("channel1115040452")
    );
    assert_eq!(p.reply_to.as_ref().and_then(|r| r.message_id), Some(1));
    assert_eq!(p.text, "Заявление МИД #СНГ читать!");
    assert_eq!(p.hashtags[0].value, "СНГ");
    let kinds: Vec<&str> = p.entities.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["bold", "hashtag", "text_link", "future_entity"]);
    assert_eq!(
        &p.text[p.entities[0].span.start..p.entities[0].span.end],
        "МИД"
    );
    assert_eq!(p.links[0].url.as_deref(), Some("https://mid.ru/1"));
    assert_eq!(p.links[0].label, "читать");
    assert_eq!(p.reactions[0].emoji.as_deref(), Some("👍"));
    assert_eq!(p.reactions[0].count, 5);
    assert_eq!(p.media[0].kind, MediaKind::Photo);
    assert_eq!(
        p.media[0].path.as_deref(),
        Some("photos/photo_1@25-06-2022_07-30-00.jpg")
    );
    assert_eq!(
        (p.media[0].width, p.media[0].height),
        (Some(1280), Some(720))
    );
    assert_eq!(p.location.locator.as_deref(), Some("messages[1]"));
    let fwd = posts[1].forward.as_ref().expect("forward");
    assert_eq!(fwd.title.as_deref(), Some("Russian MFA 🇷🇺"));
    assert_eq!(fwd.sender_id.as_deref(), Some("channel1099860397"));
    assert_eq!(posts[1].media[0].kind, MediaKind::Video);
    assert_eq!(
        posts[1].media[0].placeholder,
        Some(Placeholder::NotIncluded)
    );
    assert_eq!(posts[1].media[0].duration, Some(69));
    // A path out of the export is refused with a warning, the post kept.
    assert_eq!(posts[2].media[0].kind, MediaKind::Document);
    assert_eq!(posts[2].media[0].path, None);
    assert!(
        warnings.iter().any(|w| w.contains("../../etc/passwd")),
        "{warnings:?}"
    );
    assert_eq!(posts[2].sender.as_ref().map(|s| s.name.clone()), Some(None));
}

#[test]
fn a_full_export_reads_every_chat_and_skips_other_sections() {
    let json = r#"{"about": "x", "personal_information": {"user_id": 1, "bio": "{[\"tricky"},
      "contacts": {"list": [{"first_name": "a"}]},
      "chats": {"about": "y", "list": [
        {"name": "A", "type": "personal_chat", "id": 11, "messages": [
          {"id": 1, "type": "message", "date": "2020-01-01T10:00:00", "from": "A", "from_id": 11, "text": "hi"}]},
        {"name": "B", "type": "private_group", "id": 22, "messages": []},
        {"type": "saved_messages", "id": 33, "messages": [
          {"id": 5, "type": "message", "date_unixtime": "1600000000", "text": "saved"}]}
      ]},
      "left_chats": {"list": [{"name": "C", "type": "public_supergroup", "id": 44, "messages": [
          {"id": 9, "type": "message", "date_unixtime": "1600000001", "text": "left"}]}]},
      "frequent_contacts": {"list": []}}"#;
    let (posts, _, warnings, error) = read_all(json);
    assert!(error.is_none(), "{error:?}");
    let got: Vec<(Option<i64>, Option<i64>, String)> = posts
        .iter()
        .map(|p| {
            (
                p.channel.as_ref().and_then(|c| c.tg_id),
                p.message_id,
                p.text.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (Some(11), Some(1), "hi".to_string()),
            (Some(33), Some(5), "saved".to_string()),
            (Some(44), Some(9), "left".to_string())
        ]
    );
    // An old export: numeric from_id, local date only.
    assert_eq!(
        posts[0].sender.as_ref().and_then(|s| s.id.as_deref()),
        Some("user11")
    );
    assert_eq!(posts[0].date, None);
    let inferred = posts[0].date_inferred.as_ref().expect("local time");
    assert_eq!(inferred.date, "2020-01-01T10:00:00");
    assert_eq!(inferred.basis, tgscope_model::DateBasis::ExportLocalTime);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(
        posts[2].location.locator.as_deref(),
        Some("left_chats.list[0].messages[0]")
    );
}

#[test]
fn a_truncated_export_keeps_what_came_before_and_names_the_offset() {
    let cut = SINGLE.find("\"id\": 3").expect("third message") + 20;
    let (posts, events, _, error) = read_all(&SINGLE[..cut]);
    assert_eq!(events.len(), 1);
    assert_eq!(posts.len(), 1);
    match error {
        Some(ReadError::Malformed { byte, reason }) => {
            assert_eq!(byte, cut as u64, "{reason}");
            assert!(reason.contains("truncated"), "{reason}");
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn garbage_is_an_error_with_an_offset_not_a_panic() {
    for input in [
        "",
        "[]",
        "{\"messages\": 5}",
        "{\"messages\": [1, 2]}",
        "{\"a\" 1}",
        "{}  x",
    ] {
        let (_, _, _, error) = read_all(input);
        if input == "{}  x" || !input.is_empty() {
            assert!(
                matches!(error, Some(ReadError::Malformed { .. })),
                "{input}: {error:?}"
            );
        }
    }
    let (posts, _, _, error) = read_all("{}");
    assert!(posts.is_empty() && error.is_none());
}

/// A source that gives at most `step` bytes per read, cutting characters and messages
/// anywhere.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

fn debug_items<R: std::io::Read>(reader: DesktopJsonReader<R>) -> Vec<String> {
    reader.map(|item| format!("{item:?}")).collect()
}

#[test]
fn reads_cut_anywhere_give_the_same_items() {
    let whole = debug_items(DesktopJsonReader::new(
        SINGLE.as_bytes(),
        JsonOptions::default(),
    ));
    assert_eq!(whole.len(), 5, "{whole:#?}");
    for step in [1, 2, 3, 5, 7, 64, 1000] {
        let trickled = debug_items(DesktopJsonReader::new(
            Trickle {
                bytes: SINGLE.as_bytes(),
                step,
            },
            JsonOptions::default(),
        ));
        assert_eq!(trickled, whole, "reads of {step} bytes");
    }
}

#[test]
fn bytes_that_are_not_utf8_fail_at_their_offset_after_the_messages_before() {
    let at = SINGLE.find("Video of the day").expect("third message");
    let mut bytes = SINGLE.as_bytes().to_vec();
    bytes[at] = 0xFF;
    let mut posts = 0;
    let mut error = None;
    for item in DesktopJsonReader::new(&bytes[..], JsonOptions::default()) {
        match item {
            Ok(ReadItem::Post(_)) => posts += 1,
            Ok(_) => {}
            Err(e) => error = Some(e),
        }
    }
    assert_eq!(posts, 1);
    match error {
        Some(ReadError::Malformed { byte, reason }) => {
            assert_eq!(byte, at as u64, "{reason}");
            assert!(reason.contains("UTF-8"), "{reason}");
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn entity_spans_are_the_same_whether_the_text_needs_cleaning_or_not() {
    // The same runs, once clean and once with what cleaning removes (a no-break space, a zero
    // width space, trailing spaces before a line break): the spans must point at the same words.
    let export = |runs: &str| {
        format!(
            r#"{{"messages": [{{"id": 1, "type": "message", "date_unixtime": "1", "text": "", "text_entities": {runs}}}]}}"#
        )
    };
    let clean = export(
        r##"[{"type": "plain", "text": "Заявление\n\n"}, {"type": "bold", "text": "МИД"}, {"type": "plain", "text": " о "}, {"type": "hashtag", "text": "#СНГ"}]"##,
    );
    let dirty = export(
        r##"[{"type": "plain", "text": "Заявление  \n\n\n"}, {"type": "bold", "text": "МИД\u200b"}, {"type": "plain", "text": "\u00a0о "}, {"type": "hashtag", "text": "#СНГ"}]"##,
    );
    let spans = |json: &str| {
        let (posts, _, _, error) = read_all(json);
        assert!(error.is_none(), "{error:?}");
        let post = &posts[0];
        let got: Vec<(String, String)> = post
            .entities
            .iter()
            .map(|e| {
                (
                    e.kind.clone(),
                    post.text[e.span.start..e.span.end].to_string(),
                )
            })
            .collect();
        (post.text.clone(), got)
    };
    let (text, got) = spans(&clean);
    assert_eq!(text, "Заявление\n\nМИД о #СНГ");
    assert_eq!(
        got,
        [
            ("bold".to_string(), "МИД".to_string()),
            ("hashtag".to_string(), "#СНГ".to_string())
        ]
    );
    assert_eq!(spans(&dirty), (text, got));
}

#[test]
fn a_character_cut_by_the_end_of_a_block_is_read_whole() {
    let mut json = String::from("{\"messages\": [");
    let mut expected = Vec::new();
    for i in 0..4000 {
        let text = format!("Россия и ёлка №{i}: «мир» 🇷🇺");
        if i > 0 {
            json.push(',');
        }
        json.push_str(&format!(
            r#"{{"id": {i}, "type": "message", "date_unixtime": "1656141900", "text": "{text}", "text_entities": [{{"type": "plain", "text": "{text}"}}]}}"#
        ));
        expected.push(text);
    }
    json.push_str("]}");
    // Make sure the first block (256 KiB) ends inside a character.
    const BLOCK: usize = 256 * 1024;
    while json.is_char_boundary(BLOCK) {
        json.insert(0, ' ');
    }
    assert!(!json.is_char_boundary(BLOCK));
    let (posts, _, _, error) = read_all(&json);
    assert!(error.is_none(), "{error:?}");
    let texts: Vec<String> = posts.into_iter().map(|p| p.text).collect();
    assert_eq!(texts, expected);
}

/// One export message per line, each with `date_unixtime` 1656141900 (2022-06-25T07:25:00Z)
/// unless it gives its own.
fn export_of(messages: &[&str]) -> String {
    format!(
        "{{\"name\": \"Channel\", \"type\": \"public_channel\", \"id\": 7, \"messages\": [\n{}\n]}}",
        messages.join(",\n")
    )
}

#[test]
fn a_text_of_the_wrong_type_is_a_warning_naming_the_message() {
    let json = export_of(&[
        r#"{"id": 1, "type": "message", "date_unixtime": "1656141900", "text": 42}"#,
        r#"{"id": 2, "type": "message", "date_unixtime": "1656141900", "text": {"type": "bold"}}"#,
        r#"{"id": 3, "type": "message", "date_unixtime": "1656141900", "text": true}"#,
        r#"{"id": 4, "type": "message", "date_unixtime": "1656141900", "text": ["ok ", 5, {"type": "bold", "text": "bold"}]}"#,
        r#"{"id": 5, "type": "message", "date_unixtime": "1656141900", "text": "fine"}"#,
    ]);
    let (posts, _, warnings, error) = read_all(&json);
    assert!(error.is_none(), "{error:?}");
    let ids: Vec<Option<i64>> = posts.iter().map(|p| p.message_id).collect();
    assert_eq!(ids, [Some(1), Some(2), Some(3), Some(4), Some(5)]);
    assert_eq!(posts[3].text, "ok bold");
    assert_eq!(posts[4].text, "fine");
    assert_eq!(warnings.len(), 4, "{warnings:#?}");
    assert!(
        warnings[0].starts_with("message 1 (messages[0]): its text is a number (42), not a string"),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[1].starts_with("message 2 (messages[1]): its text is an object"),
        "{}",
        warnings[1]
    );
    assert!(
        warnings[2].starts_with("message 3 (messages[2]): its text is a boolean (true)"),
        "{}",
        warnings[2]
    );
    assert!(
        warnings[3].starts_with("message 4 (messages[3]): 1 part(s) of its text"),
        "{}",
        warnings[3]
    );
    // With `text_entities`, the text is read from them: a stray `text` changes nothing.
    let json = export_of(&[
        r#"{"id": 1, "type": "message", "text": 42, "text_entities": [{"type": "plain", "text": "x"}]}"#,
    ]);
    let (posts, _, warnings, _) = read_all(&json);
    assert_eq!(posts[0].text, "x");
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn an_id_of_the_wrong_type_is_a_warning_and_the_rest_is_read() {
    let json = export_of(&[
        r#"{"id": "abc", "type": "message", "date_unixtime": "1656141900", "text": "one"}"#,
        r#"{"id": {"n": 2}, "type": "message", "date_unixtime": "1656141900", "text": "two"}"#,
        r#"{"id": true, "type": "service", "action": "pin_message", "date_unixtime": "1656141900", "text": ""}"#,
        r#"{"id": "4", "type": "message", "date_unixtime": "1656141900", "text": "four"}"#,
        r#"{"id": 5, "type": "message", "date_unixtime": "1656141900", "text": "five"}"#,
    ]);
    let (posts, events, warnings, error) = read_all(&json);
    assert!(error.is_none(), "{error:?}");
    let got: Vec<(Option<i64>, &str)> = posts
        .iter()
        .map(|p| (p.message_id, p.text.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (None, "one"),
            (None, "two"),
            (Some(4), "four"),
            (Some(5), "five")
        ]
    );
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].message_id, None);
    let start = |needle: &str| json.find(needle).expect("in the export");
    assert_eq!(
        warnings,
        [
            format!(
                "the message at messages[0] (byte {}): its id \"abc\" is not a whole number; \
                 the message is read without an id",
                start("{\"id\": \"abc\"")
            ),
            format!(
                "the message at messages[1] (byte {}): its id is an object, not a number; the \
                 message is read without an id",
                start("{\"id\": {")
            ),
            format!(
                "the message at messages[2] (byte {}): its id is a boolean, not a number; the \
                 message is read without an id",
                start("{\"id\": true")
            ),
            "message 4 (messages[3]): its id is the text \"4\", not a number; read as the id 4"
                .to_string(),
        ]
    );
}

#[test]
fn a_message_with_another_value_of_the_wrong_type_is_left_out_with_a_warning() {
    let json = export_of(&[
        r#"{"id": 1, "type": "message", "date_unixtime": "1656141900", "width": "wide", "photo": "p.jpg", "text": "one"}"#,
        r#"{"width": [1], "type": "message", "text": "no id"}"#,
        r#"{"id": 3, "type": "message", "date_unixtime": "1656141900", "text": "three"}"#,
    ]);
    let (posts, _, warnings, error) = read_all(&json);
    assert!(error.is_none(), "{error:?}");
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].message_id, Some(3));
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(
        warnings[0].starts_with("message 1 (messages[0]): a value of the wrong type (invalid type"),
        "{}",
        warnings[0]
    );
    assert!(warnings[0].ends_with("the message is left out, the rest of the export is read"));
    let second = json.find("{\"width\": [1]").expect("second message");
    assert!(
        warnings[1].starts_with(&format!("the message at messages[1] (byte {second}): ")),
        "{}",
        warnings[1]
    );
    // The same read in small pieces: the messages are whole before they are judged.
    for step in [1, 7, 64] {
        let trickled = debug_items(DesktopJsonReader::new(
            Trickle {
                bytes: json.as_bytes(),
                step,
            },
            JsonOptions::default(),
        ));
        let whole = debug_items(DesktopJsonReader::new(
            json.as_bytes(),
            JsonOptions::default(),
        ));
        assert_eq!(trickled, whole, "reads of {step} bytes");
    }
}

#[test]
fn a_unix_time_outside_the_years_1_to_9999_is_refused_with_a_warning() {
    let json = export_of(&[
        r#"{"id": 1, "type": "message", "date": "2022-06-25T10:25:00", "date_unixtime": "253402300800", "text": "past"}"#,
        r#"{"id": 2, "type": "message", "date_unixtime": 253402300799, "text": "last second"}"#,
        r#"{"id": 3, "type": "message", "date_unixtime": "-62135596801", "text": "before"}"#,
        r#"{"id": 4, "type": "message", "date_unixtime": "soon", "text": "not a number"}"#,
        r#"{"id": 5, "type": "message", "date_unixtime": "1656141900", "edited_unixtime": "99999999999999", "edited": "2022-06-25T11:00:00", "text": "edited"}"#,
        r#"{"id": 6, "type": "message", "date_unixtime": 1656141900, "text": "fine"}"#,
    ]);
    let (posts, _, warnings, error) = read_all(&json);
    assert!(error.is_none(), "{error:?}");
    let dates: Vec<Option<&str>> = posts.iter().map(|p| p.date.as_deref()).collect();
    assert_eq!(
        dates,
        [
            None,
            Some("9999-12-31T23:59:59Z"),
            None,
            None,
            Some("2022-06-25T07:25:00Z"),
            Some("2022-06-25T07:25:00Z"),
        ]
    );
    // The refused time's `date` is read instead, as a local time of unknown offset.
    let local = posts[0].date_inferred.as_ref().expect("local date");
    assert_eq!(local.date, "2022-06-25T10:25:00");
    assert_eq!(local.basis, DateBasis::ExportLocalTime);
    assert!(posts[2].date_inferred.is_none() && posts[3].date_inferred.is_none());
    assert_eq!(posts[4].edited_at.as_deref(), Some("2022-06-25T11:00:00"));
    assert_eq!(
        warnings,
        [
            "message 1 (messages[0]): date_unixtime 253402300800 is past the year 9999; the \
             local time of its date field is read instead",
            "message 3 (messages[2]): date_unixtime -62135596801 is before the year 1; the \
             message is read without a date",
            "message 4 (messages[3]): date_unixtime \"soon\" is not a whole number of seconds; \
             the message is read without a date",
            "message 5 (messages[4]): edited_unixtime 99999999999999 is past the year 9999; the \
             edit time is read from its edited field, if any",
        ]
    );
    for p in &posts {
        for time in [&p.date, &p.edited_at].into_iter().flatten() {
            assert!(!time.starts_with('+') && time.len() <= 20, "{time}");
        }
    }
}
