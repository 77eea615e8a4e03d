//! Unit tests of the Desktop JSON reader on small exports written inline.

use super::*;
use tgscope_model::{CapturedPost, MediaKind, Placeholder, ServiceEvent};

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
