//! The Desktop HTML reader: one snapshot test per fixture page the project writes, tests of what
//! a user checks in those pages, and a test over every real page in
//! `../shared/samples/desktop-html/` (skipped when absent, unless TGSCOPE_REQUIRE_SAMPLES is set).

#[path = "support/samples.rs"]
mod samples;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tgscope_model::{CapturedPost, MediaKind, Placeholder, ReadItem, ServiceEvent};
use tgscope_read::desktop_html::{Carry, DesktopHtmlReader, HtmlOptions, looks_like_page};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/desktop-html")
        .join(name)
}

fn read_with(path: &Path, options: HtmlOptions) -> (Vec<ReadItem>, DesktopHtmlReader) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut reader = DesktopHtmlReader::new(&bytes, &name, options);
    let mut items = Vec::new();
    for item in reader.by_ref() {
        items.push(item.unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    }
    (items, reader)
}

fn read(path: &Path) -> Vec<ReadItem> {
    read_with(path, HtmlOptions::default()).0
}

fn posts(items: &[ReadItem]) -> Vec<&CapturedPost> {
    items
        .iter()
        .filter_map(|i| match i {
            ReadItem::Post(p) => Some(&**p),
            _ => None,
        })
        .collect()
}

fn events(items: &[ReadItem]) -> Vec<&ServiceEvent> {
    items
        .iter()
        .filter_map(|i| match i {
            ReadItem::Event(e) => Some(&**e),
            _ => None,
        })
        .collect()
}

fn warnings(items: &[ReadItem]) -> Vec<&str> {
    items
        .iter()
        .filter_map(|i| match i {
            ReadItem::Warning(w) => Some(w.as_str()),
            _ => None,
        })
        .collect()
}

fn post(items: &[ReadItem], id: i64) -> &CapturedPost {
    posts(items)
        .into_iter()
        .find(|p| p.message_id == Some(id))
        .unwrap_or_else(|| panic!("no post {id}"))
}

fn slice(text: &str, span: tgscope_model::Span) -> &str {
    text.get(span.start..span.end)
        .unwrap_or_else(|| panic!("span {span:?} outside {text:?}"))
}

/// Every span of every post lies on char boundaries inside its clean text, and a link's span
/// covers its label.
fn assert_spans_inside(items: &[ReadItem]) {
    for p in posts(items) {
        let spans = p
            .hashtags
            .iter()
            .chain(&p.mentions)
            .map(|t| t.span)
            .chain(p.countries.iter().map(|c| c.span))
            .chain(p.entities.iter().map(|e| e.span));
        for s in spans {
            slice(&p.text, s);
        }
        for l in &p.links {
            if let Some(s) = l.span {
                assert_eq!(slice(&p.text, s), l.label, "link label in {:?}", p.text);
            }
        }
    }
}

/// Drops what carries nothing (nulls, empty lists and strings, `false`) so that a snapshot
/// shows what the reader found; an object left empty stays (`"reply_to": {}` is a reply).
fn compact(v: Value) -> Option<Value> {
    match v {
        Value::Null | Value::Bool(false) => None,
        Value::String(s) if s.is_empty() => None,
        Value::Array(a) if a.is_empty() => None,
        Value::Array(a) => Some(Value::Array(a.into_iter().filter_map(compact).collect())),
        Value::Object(o) => {
            let o: serde_json::Map<String, Value> = o
                .into_iter()
                .filter_map(|(k, v)| compact(v).map(|v| (k, v)))
                .collect();
            Some(Value::Object(o))
        }
        other => Some(other),
    }
}

fn snapshot_value(items: &[ReadItem]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|i| match i {
                ReadItem::Post(p) => json!({ "post": compact(json!(p)) }),
                ReadItem::Event(e) => json!({ "event": compact(json!(e)) }),
                ReadItem::Warning(w) => json!({ "warning": w }),
            })
            .collect(),
    )
}

macro_rules! fixture {
    ($test:ident, $file:literal) => {
        #[test]
        fn $test() {
            let items = read(&fixture($file));
            assert_spans_inside(&items);
            insta::assert_json_snapshot!(stringify!($test), snapshot_value(&items));
        }
    };
}

fixture!(channel_messages, "channel_messages.html");
fixture!(channel_messages2, "channel_messages2.html");
fixture!(group_old_export, "group_old_export.html");
fixture!(damaged_page, "damaged_page.html");

/// Every fixture page has its snapshot test above (a new fixture without one fails here).
#[test]
fn every_fixture_file_has_a_test() {
    let mut found: Vec<String> = std::fs::read_dir(fixture(""))
        .expect("fixtures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            "channel_messages.html",
            "channel_messages2.html",
            "damaged_page.html",
            "group_old_export.html",
        ]
    );
}

#[test]
fn channel_posts_have_ids_times_read_with_their_offset_and_senders_joined_ones_included() {
    let items = read(&fixture("channel_messages.html"));
    let ids: Vec<_> = posts(&items).iter().map(|p| p.message_id).collect();
    assert_eq!(ids, [Some(2), Some(3), Some(4), Some(5), Some(7)]);
    let p2 = post(&items, 2);
    // The written offset is the exporting computer's standard-time offset: the time may be an
    // hour off in summer, so it is never an observed date; it says how it was read.
    assert_eq!(p2.date, None);
    let d2 = p2.date_inferred.as_ref().expect("the time as read");
    assert_eq!(d2.date, "2024-03-02T07:15:00Z");
    assert_eq!(d2.basis, tgscope_model::DateBasis::HtmlExportTime);
    assert_eq!(d2.evidence, "02.03.2024 09:15:00 UTC+02:00");
    let detail = d2.detail.as_deref().unwrap_or_default();
    assert!(
        detail.contains("UTC+02:00") && detail.contains("standard-time offset"),
        "{detail}"
    );
    assert!(detail.contains("an hour off"), "{detail}");
    assert_eq!(
        p2.sender.as_ref().and_then(|s| s.name.as_deref()),
        Some("Baltic Wire 🇪🇪")
    );
    assert_eq!(p2.author.as_deref(), Some("Mari Kask"));
    assert_eq!(
        p2.location.locator.as_deref(),
        Some("channel_messages.html#message2")
    );
    // Message 3 is `joined`: no from_name of its own, the sender is the one before.
    let p3 = post(&items, 3);
    assert_eq!(p3.sender, p2.sender);
    assert_eq!(p3.date, None);
    assert_eq!(
        p3.date_inferred.as_ref().map(|d| d.date.as_str()),
        Some("2024-03-02T07:20:41Z")
    );
    assert_eq!(p3.author, None);
    // Byte ranges point at the message's element.
    let bytes = std::fs::read(fixture("channel_messages.html")).expect("page");
    let element = &bytes[p3.location.byte_start as usize..p3.location.byte_end as usize];
    let element = String::from_utf8_lossy(element);
    assert!(element.starts_with("<div class=\"message default clearfix joined\" id=\"message3\">"));
    assert!(element.ends_with("</div>"));
}

#[test]
fn text_keeps_line_breaks_links_with_spans_and_formatting() {
    let items = read(&fixture("channel_messages.html"));
    let p = post(&items, 2);
    assert_eq!(
        p.text,
        "Polls open in Tallinn\n\nTurnout by noon was 31 percent, the election commission says \
         🇪🇪🇫🇮.\nLive results: https://valimised.example.ee/live\nRead the full report and follow \
         @tallinn_desk #elections"
    );
    let links: Vec<_> = p
        .links
        .iter()
        .map(|l| {
            (
                l.url.as_deref().unwrap_or_default(),
                l.label.as_str(),
                slice(&p.text, l.span.expect("span")),
            )
        })
        .collect();
    assert_eq!(
        links,
        [
            (
                "https://valimised.example.ee/live",
                "https://valimised.example.ee/live",
                "https://valimised.example.ee/live"
            ),
            (
                "https://news.example.org/2024/03/02/turnout?src=tg",
                "full report",
                "full report"
            ),
        ]
    );
    let entities: Vec<_> = p
        .entities
        .iter()
        .map(|e| (e.kind.as_str(), slice(&p.text, e.span)))
        .collect();
    assert_eq!(
        entities,
        [
            ("bold", "Polls open in Tallinn"),
            ("italic", "31 percent"),
            ("link", "https://valimised.example.ee/live"),
            ("text_link", "full report"),
            ("mention", "@tallinn_desk"),
            ("hashtag", "#elections"),
        ]
    );
    let text_link = &p.entities[3];
    assert_eq!(
        text_link.attrs,
        [(
            "href".to_string(),
            "https://news.example.org/2024/03/02/turnout?src=tg".to_string()
        )]
    );
    let tags: Vec<_> = p.hashtags.iter().map(|t| t.value.as_str()).collect();
    let mentions: Vec<_> = p.mentions.iter().map(|t| t.value.as_str()).collect();
    let countries: Vec<_> = p.countries.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(
        (tags, mentions, countries),
        (vec!["elections"], vec!["tallinn_desk"], vec!["EE", "FI"])
    );

    let p = post(&items, 3);
    let entities: Vec<_> = p
        .entities
        .iter()
        .map(|e| (e.kind.as_str(), slice(&p.text, e.span)))
        .collect();
    assert_eq!(
        entities,
        [
            ("code", "VOTE-24"),
            ("pre", "turnout 09:00 12%\nturnout 12:00 31%"),
            ("underline", "Underlined"),
            ("strikethrough", "struck"),
            ("spoiler", "hidden"),
            ("blockquote", "Voting is a right, not a duty."),
        ]
    );
    assert_eq!(
        p.raw_text,
        "Queue at a polling station in Kalamaja. Code word: VOTE-24\nturnout 09:00 12%\nturnout \
         12:00 31%\nUnderlined, struck and hidden words.\nVoting is a right, not a duty."
    );
}

#[test]
fn forwards_keep_their_source_and_original_date_and_joined_forwards_their_source() {
    let items = read(&fixture("channel_messages.html"));
    let p4 = post(&items, 4);
    let f4 = p4.forward.as_ref().expect("forward");
    assert_eq!(f4.title.as_deref(), Some("Helsinki Desk"));
    assert_eq!(f4.date.as_deref(), Some("2024-03-01T16:05:00Z"));
    // The channel that forwarded is the sender; the forwarded text is the post's text.
    assert_eq!(
        p4.sender.as_ref().and_then(|s| s.name.as_deref()),
        Some("Baltic Wire 🇪🇪")
    );
    assert_eq!(p4.text, "Finnish observers arrive in Tallinn.");
    assert_eq!(p4.media[0].kind, MediaKind::Video);
    assert_eq!(p4.media[0].duration, Some(65));
    // Message 5 is a joined forward: the export omits the source's name and date.
    let f5 = post(&items, 5).forward.as_ref().expect("forward");
    assert_eq!(f5.title.as_deref(), Some("Helsinki Desk"));
    assert_eq!(f5.date, None);
    assert_eq!(post(&items, 2).forward, None);
}

#[test]
fn replies_point_to_messages_here_in_earlier_pages_and_in_other_chats() {
    let page1 = read(&fixture("channel_messages.html"));
    let reply = post(&page1, 7).reply_to.as_ref().expect("reply");
    assert_eq!(reply.message_id, Some(3));
    let page2 = read(&fixture("channel_messages2.html"));
    // `messages.html#go_to_message7`: a message of the page before.
    let reply = post(&page2, 1008).reply_to.as_ref().expect("reply");
    assert_eq!(reply.message_id, Some(7));
    // "In reply to a message in another chat": a reply, target unknown.
    let reply = post(&page2, 1019).reply_to.as_ref().expect("reply");
    assert_eq!((reply.message_id, reply.chat_id), (None, None));
    assert_eq!(post(&page2, 1009).reply_to, None);
}

#[test]
fn service_messages_are_events_and_day_separators_are_not() {
    let items = read(&fixture("channel_messages.html"));
    let got: Vec<_> = events(&items)
        .iter()
        .map(|e| {
            (
                e.message_id,
                e.action.as_str(),
                e.actor.as_ref().and_then(|a| a.name.clone()),
                e.details.clone(),
            )
        })
        .collect();
    let d = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        got,
        [
            (
                Some(1),
                "create_channel",
                None,
                vec![d("title", "Baltic Wire"), d("day", "2024-03-02")]
            ),
            (
                Some(6),
                "pin_message",
                Some("Baltic Wire 🇪🇪".to_string()),
                vec![d("message_id", "2"), d("day", "2024-03-03")]
            ),
        ]
    );
    assert_eq!(events(&items)[0].text, "Channel «Baltic Wire» created");
    let page2 = read(&fixture("channel_messages2.html"));
    let actions: Vec<_> = events(&page2).iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["edit_group_title"]);
    // A message this Telegram Desktop could not show is a post with unknown media.
    let p = post(&page2, 1020);
    assert_eq!(p.media[0].kind, MediaKind::Unknown);
    assert!(
        posts(&items)
            .iter()
            .chain(posts(&page2).iter())
            .all(|p| p.message_id.is_some_and(|id| id > 0)),
        "no day separator became a post"
    );
}

#[test]
fn media_blocks_give_kinds_paths_facts_and_placeholders() {
    let page1 = read(&fixture("channel_messages.html"));
    let photo = &post(&page1, 3).media[0];
    assert_eq!(photo.kind, MediaKind::Photo);
    assert_eq!(
        photo.path.as_deref(),
        Some("photos/photo_1@02-03-2024_09-20-41.jpg")
    );
    let items = read(&fixture("channel_messages2.html"));
    let m = |id: i64| &post(&items, id).media[0];
    let doc = m(1009);
    assert_eq!(
        (
            doc.kind,
            doc.placeholder,
            doc.file_name.as_deref(),
            doc.path.as_deref()
        ),
        (
            MediaKind::Document,
            Some(Placeholder::NotIncluded),
            Some("turnout_report.pdf"),
            None
        )
    );
    assert_eq!(
        doc.label.as_deref(),
        Some("Not included, change data exporting settings to download.")
    );
    let big = m(1010);
    assert_eq!(
        (big.kind, big.placeholder, big.duration),
        (MediaKind::Video, Some(Placeholder::ExceedsLimit), Some(723))
    );
    let voice = m(1011);
    assert_eq!(
        (voice.kind, voice.duration, voice.path.as_deref()),
        (
            MediaKind::Voice,
            Some(42),
            Some("voice_messages/audio_1@04-03-2024_10-20-00.ogg")
        )
    );
    let audio = m(1012);
    assert_eq!(audio.kind, MediaKind::Audio);
    assert_eq!(
        audio.attrs,
        [
            ("performer".to_string(), "Arvo Pärt".to_string()),
            ("title".to_string(), "Spiegel im Spiegel".to_string())
        ]
    );
    assert_eq!(m(1013).kind, MediaKind::Sticker);
    assert_eq!(m(1014).kind, MediaKind::Animation);
    let place = m(1015);
    assert_eq!(place.kind, MediaKind::Location);
    assert_eq!(
        place.attrs,
        [
            ("latitude".to_string(), "59.437".to_string()),
            ("longitude".to_string(), "24.7536".to_string())
        ]
    );
    let venue = m(1016);
    assert_eq!(venue.kind, MediaKind::Location);
    assert!(
        venue
            .attrs
            .contains(&("place_name".to_string(), "Tallinn Town Hall".to_string()))
    );
    assert!(
        venue
            .attrs
            .contains(&("latitude".to_string(), "59.4372".to_string()))
    );
    let contact = m(1017);
    assert_eq!(contact.kind, MediaKind::Contact);
    assert!(
        contact
            .attrs
            .contains(&("phone_number".to_string(), "+372 5555 0101".to_string()))
    );
    let poll = m(1018).poll.as_ref().expect("poll");
    assert_eq!(poll.question, "Who should lead the count?\nPick one");
    assert_eq!((poll.closed, poll.total_voters), (Some(true), Some(20)));
    let answers: Vec<_> = poll
        .answers
        .iter()
        .map(|a| (a.text.as_str(), a.voters, a.chosen))
        .collect();
    assert_eq!(
        answers,
        [
            ("The commission", Some(12), Some(false)),
            ("Observers", Some(8), Some(true)),
            ("Nobody", None, None)
        ]
    );
    let file = m(1021);
    assert_eq!(
        (file.kind, file.size, file.path.as_deref()),
        (MediaKind::Document, Some(532), Some("files/budget.xlsx"))
    );
}

#[test]
fn pages_read_in_order_carry_the_chat_and_the_last_sender() {
    let (_, first) = read_with(&fixture("channel_messages.html"), HtmlOptions::default());
    let carry = first.carry();
    assert_eq!(carry.chat_title.as_deref(), Some("Baltic Wire 🇪🇪"));
    assert_eq!(
        carry.sender.as_ref().and_then(|s| s.name.as_deref()),
        Some("Baltic Wire 🇪🇪")
    );
    let (items, second) = read_with(
        &fixture("channel_messages2.html"),
        HtmlOptions {
            carry: Some(carry),
            ..HtmlOptions::default()
        },
    );
    assert_eq!(
        second.channel().and_then(|c| c.title).as_deref(),
        Some("Baltic Wire 🇪🇪")
    );
    // Each page is a capture of its own: the note on offsets is given on every page, once.
    let notes: Vec<_> = warnings(&items)
        .into_iter()
        .filter(|w| w.contains("standard-time offset"))
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("channel_messages2.html: "),
        "{notes:?}"
    );
    // A joined message at the top of a page takes its sender from the page before.
    let carry = Carry {
        sender: Some(tgscope_model::Sender {
            name: Some("Damaged Export".to_string()),
            id: None,
        }),
        ..Carry::default()
    };
    let (items, _) = read_with(
        &fixture("damaged_page.html"),
        HtmlOptions {
            carry: Some(carry),
            ..HtmlOptions::default()
        },
    );
    let p = post(&items, 39);
    assert_eq!(
        p.sender.as_ref().and_then(|s| s.name.as_deref()),
        Some("Damaged Export")
    );
    assert!(
        !warnings(&items)
            .iter()
            .any(|w| w.contains("joined message"))
    );
}

#[test]
fn dates_without_an_offset_are_local_times_with_one_warning_a_page() {
    let items = read(&fixture("group_old_export.html"));
    let p = post(&items, 2);
    assert_eq!(p.date, None);
    let inferred = p.date_inferred.as_ref().expect("inferred date");
    assert_eq!(inferred.date, "2019-05-12T18:30:00");
    assert_eq!(inferred.basis, tgscope_model::DateBasis::ExportLocalTime);
    assert_eq!(inferred.evidence, "12.05.2019 18:30:00");
    let local: Vec<_> = warnings(&items)
        .into_iter()
        .filter(|w| w.contains("no UTC offset"))
        .collect();
    assert_eq!(local.len(), 1, "{local:?}");
    assert!(local[0].starts_with("group_old_export.html: "));
    // With the offset given, they are observed times.
    let (items, _) = read_with(
        &fixture("group_old_export.html"),
        HtmlOptions {
            utc_offset: chrono::FixedOffset::east_opt(3 * 3600),
            ..HtmlOptions::default()
        },
    );
    assert_eq!(
        post(&items, 2).date.as_deref(),
        Some("2019-05-12T15:30:00Z")
    );
    assert_eq!(
        post(&items, 9)
            .forward
            .as_ref()
            .and_then(|f| f.date.as_deref()),
        Some("2019-05-10T05:00:00Z")
    );
    assert!(warnings(&items).is_empty());
}

#[test]
fn group_senders_bots_deleted_accounts_and_events() {
    let items = read(&fixture("group_old_export.html"));
    let name = |id: i64| {
        post(&items, id)
            .sender
            .as_ref()
            .map(|s| s.name.clone())
            .expect("a sender")
    };
    assert_eq!(name(2).as_deref(), Some("Liis Kask"));
    assert_eq!(name(3).as_deref(), Some("Liis Kask"), "joined");
    assert_eq!(name(4), None, "a deleted account has no name");
    assert_eq!(name(5).as_deref(), Some("Peeter Saar"));
    assert_eq!(post(&items, 5).via_bot.as_deref(), Some("daypollbot"));
    assert_eq!(name(6).as_deref(), Some("Peeter Saar"), "joined");
    assert_eq!(post(&items, 6).via_bot.as_deref(), Some("daypollbot"));
    let f = post(&items, 9).forward.as_ref().expect("forward");
    assert_eq!((f.title.as_deref(), f.date.as_deref()), (None, None));
    assert_eq!(
        post(&items, 9).reply_to.as_ref().and_then(|r| r.message_id),
        Some(2)
    );
    let got: Vec<_> = events(&items)
        .iter()
        .map(|e| {
            (
                e.action.as_str(),
                e.actor.as_ref().and_then(|a| a.name.as_deref()),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("create_group", Some("Liis Kask")),
            ("invite_members", Some("Peeter Saar")),
            ("edit_group_title", Some("Liis Kask")),
        ]
    );
    assert!(
        events(&items)[0]
            .details
            .contains(&("title".to_string(), "Tartu Readers".to_string()))
    );
    let p = post(&items, 10);
    assert_eq!(p.links.len(), 1);
    assert_eq!(
        p.links[0].url.as_deref(),
        Some("https://telegra.ph/Tartu-Readers-05-13")
    );
    assert_eq!(p.links[0].label, "telegra.ph/Tartu-Readers");
}

#[test]
fn a_damaged_page_gives_what_it_can_and_says_what_it_could_not() {
    let items = read(&fixture("damaged_page.html"));
    let ids: Vec<_> = posts(&items).iter().map(|p| p.message_id).collect();
    assert_eq!(ids, [Some(39), Some(40), Some(41), Some(42), Some(44)]);
    let w = warnings(&items);
    let has = |needle: &str| w.iter().any(|x| x.contains(needle));
    assert!(
        has("damaged_page.html#message39: a joined message with no message before it"),
        "{w:?}"
    );
    assert!(
        has("\"../../../etc/passwd.jpg\" points outside the export's folder"),
        "{w:?}"
    );
    assert!(has("#message42: no date"), "{w:?}");
    assert!(
        has("damaged_page.html#message43: a message of an unknown kind"),
        "{w:?}"
    );
    assert!(has("may be truncated"), "{w:?}");
    assert_eq!(post(&items, 40).media[0].path, None);
    assert_eq!(
        post(&items, 41).media[0].path.as_deref(),
        Some("../../chats/chat_01/photos/photo_3@01-06-2024_10-02-00.jpg")
    );
    let custom = &post(&items, 41).entities[0];
    assert_eq!(custom.kind, "custom_emoji");
    assert_eq!(
        post(&items, 44).text,
        "The page ends here, in the middle of a sen"
    );
}

#[test]
fn detection_knows_chat_pages_from_other_html() {
    for name in [
        "channel_messages.html",
        "channel_messages2.html",
        "group_old_export.html",
    ] {
        let page = std::fs::read_to_string(fixture(name)).expect("page");
        let head: String = page.chars().take(4096).collect();
        assert!(looks_like_page(&head), "{name}");
    }
    assert!(!looks_like_page(
        "<!DOCTYPE html><html><head><title>Exported Data</title></head><body><div class=\"page_wrap\"><div class=\"page_body list_page\">"
    ));
    assert!(!looks_like_page(
        "<html><body><div class=\"tgme_widget_message\" data-post=\"x/1\">"
    ));
    assert!(!looks_like_page("just text"));
}

#[test]
fn any_input_gives_items_or_errors_never_a_panic() {
    let cases: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\0\0\0binary".to_vec(),
        vec![0xff, 0xfe, 0x3c, 0x64],
        b"<div class=\"history\"><div class=\"message default\" id=\"message\">".to_vec(),
        b"<div class=\"history\"><div class=\"message service\" id=\"message99999999999999999999\"><div class=\"body details\">x</div></div>".to_vec(),
        b"<div class=\"history\"><div class=\"message default clearfix\" id=\"message1\"><div class=\"body\"><div class=\"pull_right date details\" title=\"99.99.9999 99:99:99 UTC+99:00\">".to_vec(),
        "<div class=\"history\"><div class=\"message default\" id=\"message1\"><div class=\"body\"><div class=\"text\">\u{0301}<b>\u{0301}</b>\r\n\u{200B}</div>".as_bytes().to_vec(),
        b"<html><body><p>not a chat</p></body></html>".to_vec(),
    ];
    for bytes in cases {
        let items: Vec<_> =
            DesktopHtmlReader::new(&bytes, "x.html", HtmlOptions::default()).collect();
        for item in items.iter().flatten() {
            if let ReadItem::Post(p) = item {
                for e in &p.entities {
                    slice(&p.text, e.span);
                }
            }
        }
    }
    // A page that is not a chat page is an error naming the file.
    let items: Vec<_> = DesktopHtmlReader::new(
        b"<html><body><p>not a chat</p></body></html>",
        "other.html",
        HtmlOptions::default(),
    )
    .collect();
    let err = items
        .iter()
        .find_map(|i| i.as_ref().err())
        .expect("an error");
    assert!(
        err.to_string()
            .contains("other.html: not a Telegram Desktop chat page")
    );
}

/// The real pages: (file, chat title, posts, service events, forwards, media items by kind,
/// joined posts, posts with a reply), each counted from the file itself with `grep`.
struct Sample {
    file: &'static str,
    title: &'static str,
    posts: usize,
    events: usize,
    forwards: usize,
    media: &'static [(MediaKind, usize)],
    joined: usize,
    replies: usize,
}

const SAMPLES: &[Sample] = &[
    Sample {
        file: "civil-updates_en_channel_forwards_messages.html",
        title: "OnlineVerdan Civil Aspirants",
        posts: 983,
        events: 17,
        forwards: 142,
        media: &[
            (MediaKind::Photo, 200),
            (MediaKind::Video, 2),
            (MediaKind::Document, 144),
            (MediaKind::Poll, 149),
        ],
        joined: 129,
        replies: 4,
    },
    Sample {
        file: "cybersec-news_en_channel_page1.html",
        title: "🛡 Cybersecurity & Privacy news 🛡",
        posts: 999,
        events: 1,
        forwards: 0,
        media: &[],
        joined: 378,
        replies: 0,
    },
    Sample {
        file: "fincapital_ru_channel_messages3.html",
        title: "Капитал",
        posts: 115,
        events: 0,
        forwards: 1,
        media: &[(MediaKind::Photo, 107)],
        joined: 6,
        replies: 0,
    },
    Sample {
        file: "langchain_personal-chat_messages.html",
        title: "Jimmeny Marvelton",
        posts: 4,
        events: 0,
        forwards: 0,
        media: &[],
        joined: 1,
        replies: 0,
    },
];

#[test]
fn every_real_page_reads_with_its_messages_events_forwards_and_media() {
    let Some(dir) = samples::dir("desktop-html") else {
        return;
    };
    let mut listed: Vec<&str> = SAMPLES.iter().map(|s| s.file).collect();
    listed.sort();
    let mut present: Vec<String> = std::fs::read_dir(&dir)
        .expect("samples")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".html"))
        .collect();
    present.sort();
    assert_eq!(present, listed, "every sample page is checked");
    for s in SAMPLES {
        let path = dir.join(s.file);
        let head: String = std::fs::read_to_string(&path)
            .expect("page")
            .chars()
            .take(4096)
            .collect();
        assert!(looks_like_page(&head), "{}: detected", s.file);
        let (items, reader) = read_with(&path, HtmlOptions::default());
        assert_spans_inside(&items);
        let file = s.file;
        assert_eq!(
            reader.channel().and_then(|c| c.title).as_deref(),
            Some(s.title),
            "{file}: title"
        );
        let got = posts(&items);
        assert_eq!(got.len(), s.posts, "{file}: posts");
        assert_eq!(events(&items).len(), s.events, "{file}: service events");
        assert_eq!(
            got.iter().filter(|p| p.forward.is_some()).count(),
            s.forwards,
            "{file}: forwards"
        );
        assert!(
            got.iter()
                .filter_map(|p| p.forward.as_ref())
                .all(|f| f.title.is_some()),
            "{file}: every forward, joined ones included, names its source"
        );
        let mut kinds: Vec<(MediaKind, usize)> = Vec::new();
        for m in got.iter().flat_map(|p| &p.media) {
            match kinds.iter_mut().find(|(k, _)| *k == m.kind) {
                Some((_, n)) => *n += 1,
                None => kinds.push((m.kind, 1)),
            }
        }
        let mut want = s.media.to_vec();
        kinds.sort_by_key(|(k, _)| k.as_str());
        want.sort_by_key(|(k, _)| k.as_str());
        assert_eq!(kinds, want, "{file}: media by kind");
        let bytes = std::fs::read(&path).expect("page");
        let joined = got
            .iter()
            .filter(|p| {
                let element = &bytes[p.location.byte_start as usize..p.location.byte_end as usize];
                String::from_utf8_lossy(element)
                    .starts_with("<div class=\"message default clearfix joined\"")
            })
            .count();
        assert_eq!(
            joined, s.joined,
            "{file}: joined messages located by their bytes"
        );
        assert_eq!(
            got.iter().filter(|p| p.reply_to.is_some()).count(),
            s.replies,
            "{file}: replies"
        );
        for p in &got {
            assert!(p.message_id.is_some_and(|id| id > 0), "{file}: ids");
            assert!(
                p.date.is_some() || p.date_inferred.is_some(),
                "{file}: message {:?} has a time",
                p.message_id
            );
            assert!(
                p.sender.as_ref().is_some_and(|s| s.name.is_some()),
                "{file}: message {:?} has a sender, joined ones included",
                p.message_id
            );
        }
    }
}

#[test]
fn real_pages_give_the_details_read_off_the_files() {
    let Some(dir) = samples::dir("desktop-html") else {
        return;
    };
    // A channel made of forwards: a forward's original date, joined forwards, documents not
    // included, pins, signatures, bots, replies.
    let items = read(&dir.join("civil-updates_en_channel_forwards_messages.html"));
    let first = &events(&items)[0];
    assert_eq!(
        (first.message_id, first.action.as_str()),
        (Some(1), "create_channel")
    );
    assert!(
        events(&items)[1..]
            .iter()
            .all(|e| e.action == "pin_message")
    );
    assert_eq!(
        events(&items)[1].details[0],
        ("message_id".to_string(), "15".to_string())
    );
    let p2 = post(&items, 2);
    let f = p2.forward.as_ref().expect("forward");
    assert_eq!(f.title.as_deref(), Some("Hemant Jain"));
    assert_eq!(f.date.as_deref(), Some("2019-09-15T05:45:05Z"));
    assert_eq!(p2.date, None);
    assert_eq!(
        p2.date_inferred
            .as_ref()
            .map(|d| (d.date.as_str(), d.basis)),
        Some((
            "2022-03-08T05:40:02Z",
            tgscope_model::DateBasis::HtmlExportTime
        ))
    );
    assert_eq!(p2.media[0].placeholder, Some(Placeholder::NotIncluded));
    assert_eq!(
        p2.media[0].file_name.as_deref(),
        Some("MCQ_Geotechnical & Foundation Engineering.pdf")
    );
    let p3 = post(&items, 3);
    assert_eq!(
        p3.forward.as_ref().and_then(|f| f.title.as_deref()),
        Some("Hemant Jain")
    );
    assert_eq!(p3.sender, p2.sender);
    let replies: Vec<_> = posts(&items)
        .iter()
        .filter_map(|p| p.reply_to.as_ref().and_then(|r| r.message_id))
        .collect();
    assert_eq!(replies, [499, 837, 843, 849]);
    let photo = &post(&items, 18).media[0];
    assert_eq!(
        (photo.kind, photo.placeholder, photo.width, photo.height),
        (
            MediaKind::Photo,
            Some(Placeholder::NotIncluded),
            Some(1024),
            Some(1280)
        )
    );
    assert_eq!(post(&items, 18).author.as_deref(), Some("OnlineVerdan"));
    let signed = posts(&items).iter().filter(|p| p.author.is_some()).count();
    assert_eq!(signed, 969);
    let via_quizbot = posts(&items)
        .iter()
        .filter(|p| p.via_bot.as_deref() == Some("QuizBot"))
        .count();
    // 318 in the senders' headers and 1 in a forward's header.
    assert_eq!(via_quizbot, 319);
    let spoilers = posts(&items)
        .iter()
        .flat_map(|p| &p.entities)
        .filter(|e| e.kind == "spoiler")
        .count();
    assert_eq!(spoilers, 10);

    // An old export: no offsets, so every time is an inferred local time.
    let items = read(&dir.join("cybersec-news_en_channel_page1.html"));
    assert!(posts(&items).iter().all(|p| p.date.is_none()));
    let p = post(&items, 25);
    assert_eq!(
        p.date_inferred.as_ref().map(|d| d.date.as_str()),
        Some("2018-09-05T16:42:32")
    );
    assert_eq!(p.links[0].label, "📖 Read");
    assert!(
        p.links[0]
            .url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://www.darkreading.com/attacks-breaches/"))
    );
    assert_eq!(
        p.entities
            .iter()
            .map(|e| e.kind.as_str())
            .collect::<Vec<_>>(),
        ["bold", "code", "text_link", "italic"]
    );

    // The Russian channel's one forward keeps its original date.
    let items = read(&dir.join("fincapital_ru_channel_messages3.html"));
    let p = post(&items, 2444);
    let f = p.forward.as_ref().expect("forward");
    assert_eq!(
        (f.title.as_deref(), f.date.as_deref()),
        (Some("SG"), Some("2025-09-23T09:25:14Z"))
    );
    assert!(
        p.text
            .starts_with("Наши партнеры - сооснователи Skyfort Capital")
    );
    assert_eq!(
        p.links[0].url.as_deref(),
        Some("https://t.me/skyfortrussia")
    );
    assert_eq!(
        post(&items, 2410).media[0].path.as_deref(),
        Some("photos/photo_1046@23-05-2025_09-17-19.jpg")
    );
    let p = post(&items, 2461);
    assert_eq!(
        p.sender.as_ref().and_then(|s| s.name.as_deref()),
        Some("Капитал"),
        "joined"
    );
}

/// The personal chat exists as JSON too. Ids, senders and texts agree; the HTML times are one
/// hour later than the JSON's `date_unixtime`, because Telegram Desktop writes the zone's
/// standard offset (UTC-08:00) for a time in daylight saving time (UTC-07:00): the reader reads
/// what the page says, keeps it as an inferred date that says how it was read (never as an
/// observed one), and warns that summer times may be an hour late.
#[test]
fn the_html_and_json_exports_of_one_chat_agree_but_for_daylight_saving_time() {
    let Some(dir) = samples::dir("desktop-html") else {
        return;
    };
    let json_path = dir.join("../desktop-json/langchain_personal-chat_result.json");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(json_path).expect("json")).expect("parse");
    let items = read(&dir.join("langchain_personal-chat_messages.html"));
    let html = posts(&items);
    let messages = json["messages"].as_array().expect("messages");
    assert_eq!(html.len(), messages.len());
    for (h, j) in html.iter().zip(messages) {
        assert_eq!(h.message_id, j["id"].as_i64());
        assert_eq!(
            h.sender.as_ref().and_then(|s| s.name.as_deref()),
            j["from"].as_str()
        );
        assert_eq!(Some(h.text.as_str()), j["text"].as_str());
        let unix: i64 = j["date_unixtime"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("date_unixtime");
        assert_eq!(h.date, None, "message {:?}: not observed", h.message_id);
        let read = h.date_inferred.as_ref().expect("the time as read");
        assert_eq!(read.basis, tgscope_model::DateBasis::HtmlExportTime);
        assert!(read.evidence.ends_with("UTC-08:00"), "{}", read.evidence);
        let html_time = chrono::DateTime::parse_from_rfc3339(&read.date)
            .expect("rfc 3339")
            .timestamp();
        assert_eq!(html_time - unix, 3600, "message {:?}", h.message_id);
    }
    assert!(
        warnings(&items)
            .iter()
            .any(|w| w.contains("standard-time offset"))
    );
}
