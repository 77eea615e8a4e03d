//! The t.me web preview reader: tests of what a user checks in the project's fixture pages
//! (their snapshots are in `fixtures.rs`), detection, a test over every real page in
//! `../shared/samples/tme-html/` (skipped when absent, unless TGSCOPE_REQUIRE_SAMPLES is set), and a property test that no damage to
//! a page makes the reader panic or put a span off a char boundary.

#[path = "support/samples.rs"]
mod samples;

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use tgscope_model::{
    CapturedPost, ChannelInfo, Format, Media, MediaKind, Placeholder, ReadItem, ServiceEvent,
};
use tgscope_read::detect::{ContentScan, detect};
use tgscope_read::tme::{TmeReader, looks_like_page, parse_count};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tme")
        .join(name)
}

/// The items of a page (any error fails the test) and what it says about its channel.
fn read_path(path: &Path) -> (Vec<ReadItem>, Option<ChannelInfo>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = TmeReader::new(&bytes, "page.html");
    let mut items = Vec::new();
    for item in reader.by_ref() {
        items.push(item.unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    }
    (items, reader.channel_info())
}

fn read(name: &str) -> Vec<ReadItem> {
    read_path(&fixture(name)).0
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

fn attr<'a>(media: &'a Media, key: &str) -> Option<&'a str> {
    media
        .attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
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

/// The interface labels that must never reach a post's text.
const LABELS: &[&str] = &[
    "Media is too big",
    "This media is not supported",
    "Please open Telegram",
    "VIEW IN TELEGRAM",
    " views",
    "Forwarded from",
];

fn assert_no_labels_in_text(items: &[ReadItem]) {
    for p in posts(items) {
        for label in LABELS {
            assert!(
                !p.text.contains(label) && !p.raw_text.contains(label),
                "{label:?} in the text of {:?}: {:?}",
                p.message_id,
                p.text
            );
        }
    }
}

#[test]
fn views_are_read_from_their_abbreviations() {
    assert_eq!(parse_count("214.4K"), Some(214_400));
    assert_eq!(parse_count("1.2M"), Some(1_200_000));
    assert_eq!(parse_count("987"), Some(987));
    let items = read("page.html");
    let views: Vec<_> = [101, 102, 103, 104, 109]
        .iter()
        .map(|id| post(&items, *id).views)
        .collect();
    assert_eq!(
        views,
        [
            Some(987),
            Some(214_400),
            Some(1_200_000),
            Some(12_300),
            Some(2_000)
        ]
    );
}

#[test]
fn a_page_gives_its_posts_in_order_with_ids_times_and_channel() {
    let items = read("page.html");
    assert_spans_inside(&items);
    assert_no_labels_in_text(&items);
    let ids: Vec<_> = posts(&items).iter().filter_map(|p| p.message_id).collect();
    assert_eq!(
        ids,
        [
            101, 102, 103, 104, 107, 108, 109, 110, 111, 112, 113, 114, 115, 117
        ]
    );
    assert!(warnings(&items).is_empty(), "{:?}", warnings(&items));
    let p = post(&items, 101);
    assert_eq!(p.date.as_deref(), Some("2024-05-14T07:05:00Z"));
    let channel = p.channel.as_ref().expect("channel");
    assert_eq!(
        (channel.username.as_deref(), channel.title.as_deref()),
        (Some("harbor_notes"), Some("Harbor Notes ⚓"))
    );
    // A time written with another offset is stored in UTC.
    assert_eq!(
        post(&items, 117).date.as_deref(),
        Some("2024-05-15T18:45:10Z")
    );
    assert_eq!(
        p.location.locator.as_deref(),
        Some("data-post=harbor_notes/101")
    );
}

#[test]
fn byte_ranges_point_at_the_message_elements() {
    let bytes = std::fs::read(fixture("page.html")).expect("page");
    let items = read("page.html");
    let located = posts(&items)
        .into_iter()
        .map(|p| (p.message_id, &p.location))
        .chain(
            events(&items)
                .into_iter()
                .map(|e| (e.message_id, &e.location)),
        );
    for (id, location) in located {
        let id = id.expect("id");
        let element = &bytes[location.byte_start as usize..location.byte_end as usize];
        let element = String::from_utf8_lossy(element);
        assert!(
            element.starts_with("<div class=\"tgme_widget_message text_not_supported_wrap"),
            "{id}: {}",
            &element[..80.min(element.len())]
        );
        assert!(element.contains(&format!("data-post=\"harbor_notes/{id}\"")));
        assert!(element.ends_with("</div>"), "{id}");
        let line_of = |byte: u64| {
            1 + bytes[..byte as usize]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64
        };
        assert_eq!(
            (location.line_start, location.line_end),
            (line_of(location.byte_start), line_of(location.byte_end - 1)),
            "{id}: lines"
        );
        assert!(location.line_start < location.line_end);
        assert_eq!(
            element.matches("<div").count(),
            element.matches("</div>").count(),
            "{id}: a whole element"
        );
    }
}

#[test]
fn the_body_is_never_the_reply_quote() {
    let items = read("page.html");
    let p = post(&items, 103);
    assert_eq!(p.text, "Update: the 09:00 boat is cancelled today.");
    assert_eq!(p.reply_to.as_ref().and_then(|r| r.message_id), Some(101));
    let items = read("single_post.html");
    let p = post(&items, 118);
    assert!(p.text.starts_with("Correction: the tide table moved to"));
    assert!(!p.text.contains("Tide tables"));
    assert_eq!(p.reply_to.as_ref().and_then(|r| r.message_id), Some(109));
    let items = read("saved_page.html");
    let p = post(&items, 120);
    assert!(!p.text.contains("quote text"), "{:?}", p.text);
    // A reply to another channel's post: a reply whose target is not in this channel.
    let reply = p.reply_to.as_ref().expect("a reply");
    assert_eq!((reply.message_id, reply.chat_id), (None, None));
}

#[test]
fn forwards_name_their_origin_channel_and_post() {
    let items = read("page.html");
    let f = post(&items, 102).forward.as_ref().expect("forward");
    assert_eq!(
        (f.title.as_deref(), f.username.as_deref(), f.message_id),
        (Some("Fjord Daily"), Some("fjord_daily"), Some(5521))
    );
    let hidden = post(&items, 115).forward.as_ref().expect("forward");
    assert_eq!(
        (
            hidden.title.as_deref(),
            hidden.username.as_deref(),
            hidden.message_id
        ),
        (Some("Kari Havn"), None, None)
    );
    let items = read("saved_page.html");
    let f = post(&items, 120).forward.as_ref().expect("forward");
    assert_eq!(
        (f.title.as_deref(), f.username.as_deref(), f.message_id),
        (Some("Fjord Daily"), Some("fjord_daily"), None)
    );
    assert_eq!(post(&items, 121).forward, None);
}

#[test]
fn text_keeps_line_breaks_links_tags_and_formatting() {
    let items = read("page.html");
    let p = post(&items, 101);
    assert_eq!(
        p.text,
        "Ferry timetable for the summer season\n\nBoats leave every hour from pier 3 🇳🇴.\n\
         Details on the timetable page, https://harbor.example.no/summer and harbor.example.no\n\
         Code word: PIER-3\n08:00  Island\n09:00  Fjord\nUnderlined, cancelled and secret \
         words.\nSea is calm today.\nFollow @fjord_daily #ferry #summer ⚓"
    );
    let entities: Vec<_> = p
        .entities
        .iter()
        .map(|e| (e.kind.as_str(), slice(&p.text, e.span)))
        .collect();
    assert_eq!(
        entities,
        [
            ("bold", "Ferry timetable"),
            ("italic", "every hour"),
            ("text_link", "timetable page"),
            ("link", "https://harbor.example.no/summer"),
            ("link", "harbor.example.no"),
            ("code", "PIER-3"),
            ("pre", "08:00  Island\n09:00  Fjord"),
            ("underline", "Underlined"),
            ("strikethrough", "cancelled"),
            ("spoiler", "secret"),
            ("blockquote", "Sea is calm today."),
            ("mention", "@fjord_daily"),
            ("hashtag", "#ferry"),
            ("hashtag", "#summer"),
        ]
    );
    // `&amp;` written into the href is decoded.
    let links: Vec<_> = p
        .links
        .iter()
        .map(|l| (l.label.as_str(), l.url.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(
        links,
        [
            (
                "timetable page",
                "https://harbor.example.no/ferry?from=pier3&to=island"
            ),
            (
                "https://harbor.example.no/summer",
                "https://harbor.example.no/summer"
            ),
            ("harbor.example.no", "http://harbor.example.no/"),
        ]
    );
    let tags: Vec<_> = p.hashtags.iter().map(|t| t.value.as_str()).collect();
    let mentions: Vec<_> = p.mentions.iter().map(|t| t.value.as_str()).collect();
    let countries: Vec<_> = p.countries.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(
        (tags, mentions, countries),
        (vec!["ferry", "summer"], vec!["fjord_daily"], vec!["NO"])
    );
    let reactions: Vec<_> = p
        .reactions
        .iter()
        .map(|r| (r.emoji.as_deref().unwrap_or_default(), r.count))
        .collect();
    assert_eq!(reactions, [("👍", 12), ("❤", 1200)]);
    // A custom emoji keeps its emoji in the text and its id in the entity.
    let p = post(&items, 117);
    assert_eq!(p.text, "The night ferry is back 🚢 #nightferry");
    assert_eq!(p.entities[0].kind, "custom_emoji");
    assert_eq!(
        p.entities[0].attrs,
        [("document_id".to_string(), "5368324170671202286".to_string())]
    );
}

#[test]
fn footers_give_edits_and_signatures() {
    let items = read("page.html");
    let p = post(&items, 103);
    assert_eq!(
        (p.edited, p.author.as_deref()),
        (Some(true), Some("Ola Nordmann"))
    );
    assert_eq!(
        (
            post(&items, 101).edited,
            post(&items, 101).author.as_deref()
        ),
        (Some(false), None)
    );
    let items = read("single_post.html");
    let p = post(&items, 118);
    assert_eq!(
        (p.views, p.author.as_deref(), p.edited),
        (Some(45_600), Some("Kari Havn"), Some(false))
    );
    // The embed's footer link ("t.me/harbor_notes/118") is not text.
    assert!(!p.text.contains("t.me/harbor_notes/118"));
    assert_eq!(post(&read("saved_page.html"), 120).edited, Some(true));
}

#[test]
fn placeholders_are_media_items_and_never_text() {
    let items = read("page.html");
    let video = &post(&items, 107).media[0];
    assert_eq!(
        (
            video.kind,
            video.placeholder,
            video.label.as_deref(),
            video.duration
        ),
        (
            MediaKind::Video,
            Some(Placeholder::TooBig),
            Some("Media is too big"),
            Some(69)
        )
    );
    assert_eq!(
        post(&items, 107).text,
        "Storm at the breakwater, filmed from pier 1."
    );
    let hidden = post(&items, 108);
    assert!(hidden.unviewable);
    assert_eq!(hidden.text, "");
    assert_eq!(hidden.media.len(), 1);
    assert_eq!(
        (hidden.media[0].kind, hidden.media[0].placeholder),
        (MediaKind::Unknown, Some(Placeholder::OpenInTelegram))
    );
    // The hidden fallbacks of posts the browser can show are not placeholders.
    for id in [113, 117] {
        let p = post(&items, id);
        assert!(!p.unviewable, "{id}");
        assert!(p.media.iter().all(|m| m.placeholder.is_none()), "{id}");
    }
    // A playable video carries a fallback label, not a placeholder.
    let album_video = &post(&items, 104).media[2];
    assert_eq!(
        (
            album_video.kind,
            album_video.placeholder,
            album_video.label.as_deref()
        ),
        (MediaKind::Video, None, None)
    );
    for p in posts(&items) {
        assert_eq!(
            p.unviewable,
            p.message_id == Some(108),
            "{:?}",
            p.message_id
        );
    }
}

#[test]
fn every_media_widget_gives_its_kind_and_facts() {
    let items = read("page.html");
    let album = &post(&items, 104).media;
    let members: Vec<_> = album
        .iter()
        .map(|m| (m.kind, attr(m, "message_id"), attr(m, "album")))
        .collect();
    assert_eq!(
        members,
        [
            (MediaKind::Photo, Some("104"), Some("true")),
            (MediaKind::Photo, Some("105"), Some("true")),
            (MediaKind::Video, Some("106"), Some("true")),
        ]
    );
    assert_eq!(
        attr(&album[0], "url"),
        Some("https://cdn4.telesco.pe/file/boat-1.jpg")
    );
    assert_eq!(album[2].duration, Some(16));
    let photo = &post(&items, 102).media[0];
    assert_eq!(
        (photo.kind, attr(photo, "url")),
        (
            MediaKind::Photo,
            Some("https://cdn4.telesco.pe/file/fjord-sunrise.jpg")
        )
    );
    let preview = &post(&items, 109).media[0];
    assert_eq!(preview.kind, MediaKind::LinkPreview);
    assert_eq!(
        (
            attr(preview, "url"),
            attr(preview, "site_name"),
            attr(preview, "title"),
            attr(preview, "description")
        ),
        (
            Some("https://tides.example.org/oslo?day=2024-05-15&units=m"),
            Some("Tides Example"),
            Some("Oslo tide table"),
            Some("High and low water for Oslo harbor.\nUpdated daily.")
        )
    );
    let poll_media = &post(&items, 110).media[0];
    let poll = poll_media.poll.as_ref().expect("poll");
    assert_eq!(poll.question, "Which boat should run at night?");
    assert_eq!(poll.total_voters, Some(1500));
    let answers: Vec<_> = poll.answers.iter().map(|a| a.text.as_str()).collect();
    assert_eq!(answers, ["The island ferry", "The fjord shuttle"]);
    assert_eq!(
        (
            attr(poll_media, "answer_1_percent"),
            attr(poll_media, "answer_2_percent")
        ),
        (Some("62"), Some("38"))
    );
    let doc = &post(&items, 111).media[0];
    assert_eq!(
        (doc.kind, doc.file_name.as_deref(), attr(doc, "size_text")),
        (
            MediaKind::Document,
            Some("ferry_schedule_2024.pdf"),
            Some("2.1 MB")
        )
    );
    assert_eq!(post(&items, 111).text, "The whole schedule as a PDF");
    let voice = &post(&items, 112).media[0];
    assert_eq!((voice.kind, voice.duration), (MediaKind::Voice, Some(42)));
    let sticker = &post(&items, 113).media;
    assert_eq!(sticker.len(), 1);
    assert_eq!(sticker[0].kind, MediaKind::Sticker);
    let place = &post(&items, 114).media[0];
    assert_eq!(
        (
            place.kind,
            attr(place, "latitude"),
            attr(place, "longitude"),
            attr(place, "place_name")
        ),
        (
            MediaKind::Location,
            Some("59.9075"),
            Some("10.7373"),
            Some("Pier 3")
        )
    );
    let contact = &post(&items, 115).media[0];
    assert_eq!(
        (
            contact.kind,
            attr(contact, "name"),
            attr(contact, "phone_number")
        ),
        (
            MediaKind::Contact,
            Some("Harbor Office"),
            Some("+47 22 00 00 00")
        )
    );
    let items = read("saved_page.html");
    assert_eq!(
        attr(&post(&items, 120).media[0], "url"),
        Some("https://cdn4.telesco.pe/file/saved-photo.jpg"),
        "a style with &quot; quotes"
    );
    let round = &post(&items, 121).media[0];
    assert_eq!(
        (round.kind, round.duration),
        (MediaKind::VideoMessage, Some(15))
    );
    let kinds: Vec<_> = post(&items, 122).media.iter().map(|m| m.kind).collect();
    assert_eq!(kinds, [MediaKind::Animation, MediaKind::Audio]);
}

#[test]
fn service_messages_are_events_and_day_separators_are_nothing() {
    let items = read("page.html");
    let got: Vec<_> = events(&items)
        .iter()
        .map(|e| {
            (
                e.message_id,
                e.action.as_str(),
                e.text.as_str(),
                e.details.clone(),
            )
        })
        .collect();
    let d = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        got,
        [
            (
                Some(100),
                "edit_group_photo",
                "Channel photo updated",
                vec![d(
                    "photo",
                    "https://cdn4.telesco.pe/file/harbor-new-avatar.jpg"
                )]
            ),
            (
                Some(116),
                "pin_message",
                "Harbor Notes ⚓ pinned «Ferry timetable»",
                vec![d("message_id", "101")]
            ),
        ]
    );
    assert_eq!(
        events(&items)[0].date.as_deref(),
        Some("2024-05-13T18:00:00Z")
    );
    for p in posts(&items) {
        assert!(
            !["May 13", "May 14", "May 15"]
                .iter()
                .any(|day| p.text.contains(day)),
            "a day separator in {:?}",
            p.message_id
        );
    }
}

#[test]
fn the_channel_comes_from_the_header_else_the_meta_tags_else_the_posts() {
    let (_, info) = read_path(&fixture("page.html"));
    let info = info.expect("channel info");
    assert_eq!(
        (
            info.channel.username.as_deref(),
            info.channel.title.as_deref(),
            info.subscribers
        ),
        (Some("harbor_notes"), Some("Harbor Notes ⚓"), Some(12_300))
    );
    assert_eq!(
        info.description.as_deref(),
        Some("Ferries, boats and the weather at the harbor.\n\nTips: @harbor_tips_bot")
    );
    // A saved page without the header: the meta tags.
    let (_, info) = read_path(&fixture("saved_page.html"));
    let info = info.expect("channel info");
    assert_eq!(
        (
            info.channel.username.as_deref(),
            info.channel.title.as_deref(),
            info.description.as_deref(),
            info.subscribers
        ),
        (
            Some("harbor_notes"),
            Some("Harbor Notes ⚓"),
            Some("Ferries, boats and the weather at the harbor."),
            None
        )
    );
    // A widget: the post's data-post and author line.
    let (_, info) = read_path(&fixture("single_post.html"));
    let info = info.expect("channel info");
    assert_eq!(
        (
            info.channel.username.as_deref(),
            info.channel.title.as_deref(),
            info.description
        ),
        (Some("harbor_notes"), Some("Harbor Notes ⚓"), None)
    );
    // An old widget without data-post: its date link names the post.
    let (items, info) = read_path(&fixture("widget_without_data_post.html"));
    let info = info.expect("channel info");
    assert_eq!(
        (
            info.channel.username.as_deref(),
            info.channel.title.as_deref()
        ),
        (Some("old_harbor"), Some("Old Harbor Log"))
    );
    let p = post(&items, 5340);
    assert_eq!(p.date.as_deref(), Some("2018-03-13T05:20:28Z"));
    assert_eq!(p.views, Some(10_300));
    assert_eq!(p.author.as_deref(), Some("Per Is"));
    let bytes = std::fs::read(fixture("widget_without_data_post.html")).expect("page");
    let element = &bytes[p.location.byte_start as usize..p.location.byte_end as usize];
    assert!(
        String::from_utf8_lossy(element)
            .starts_with("<div class=\"tgme_widget_message\" id=\"widget_message\"")
    );
}

#[test]
fn a_damaged_page_gives_what_it_can_and_says_what_it_could_not() {
    let items = read("damaged_page.html");
    let got: Vec<_> = posts(&items).iter().map(|p| p.message_id).collect();
    assert_eq!(got, [Some(130), None, Some(132), Some(133)]);
    let w = warnings(&items);
    let has = |needle: &str| w.iter().any(|x| x.contains(needle));
    assert!(
        has("data-post=harbor_notes/130: unreadable time \"2024-13-45T99:00:00+00:00\""),
        "{w:?}"
    );
    assert!(
        has("data-post=harbor_notes/not-a-number: a message without a post id"),
        "{w:?}"
    );
    assert!(
        has("page.html: the page does not end with </html>"),
        "{w:?}"
    );
    assert_eq!(post(&items, 130).date, None);
    // The footer nested in an unclosed body is still the footer, and not text.
    let p = post(&items, 132);
    assert_eq!(
        p.text,
        "A body whose element is never closed\nso the footer lands inside it"
    );
    assert_eq!(
        (p.views, p.date.as_deref()),
        (Some(3_300), Some("2024-05-17T08:00:00Z"))
    );
    assert_eq!(p.reactions.len(), 1);
    assert_eq!(
        post(&items, 133).text,
        "The page ends here, in the middle of a sen"
    );
}

#[test]
fn pages_that_cannot_be_read_say_why_and_nothing_panics() {
    let read_all = |bytes: &[u8]| TmeReader::new(bytes, "x.html").collect::<Vec<_>>();
    let items = read_all(b"<html><body><p>not a channel</p></body></html>");
    let err = items
        .iter()
        .find_map(|i| i.as_ref().err())
        .expect("an error");
    assert!(
        err.to_string()
            .contains("x.html: not a page of t.me's web preview")
    );
    let mut bad = std::fs::read(fixture("single_post.html")).expect("page");
    let at = bad
        .windows(10)
        .position(|w| w == b"Correction")
        .expect("text");
    bad[at] = 0xff;
    let items = read_all(&bad);
    assert!(items.iter().all(Result::is_ok));
    assert!(
        items
            .iter()
            .flatten()
            .any(|i| matches!(i, ReadItem::Warning(w) if w.contains("not valid UTF-8"))),
        "{items:?}"
    );
    let too_big = vec![b' '; tgscope_read::tme::MAX_PAGE_BYTES + 1];
    let items = read_all(&too_big);
    assert!(
        matches!(items.as_slice(), [Err(e)] if e.to_string().contains("larger than any t.me page"))
    );
    for bytes in [
        &b""[..],
        b"\0\0",
        b"<<<<",
        b"<div class=\"tgme_widget_message\">",
    ] {
        let _ = read_all(bytes);
    }
}

/// Detection as the engine runs it: a scan of the whole input, then `detect`.
fn detected(bytes: &[u8]) -> Option<Format> {
    let mut scan = ContentScan::new();
    for chunk in bytes.chunks(8192) {
        scan.feed(chunk);
    }
    scan.finish();
    detect(&scan).ok().map(|d| d.format)
}

#[test]
fn detection_knows_tme_pages_including_saved_ones_with_a_long_head() {
    for name in [
        "page.html",
        "single_post.html",
        "widget_without_data_post.html",
        "saved_page.html",
        "damaged_page.html",
    ] {
        let bytes = std::fs::read(fixture(name)).expect("page");
        assert_eq!(detected(&bytes), Some(Format::TmeHtml), "{name}");
    }
    // A saved page whose <head> (inlined styles) fills more than the 64 KiB kept for sniffing.
    let page = std::fs::read_to_string(fixture("saved_page.html")).expect("page");
    let styles = ".rule { color: red; }\n".repeat(4000);
    let long = page.replacen("<style>", &format!("<style>\n{styles}"), 1);
    assert!(long.find("tgme_widget_message").expect("a message") > 70_000);
    assert_eq!(detected(long.as_bytes()), Some(Format::TmeHtml));
    assert!(looks_like_page(&long[..60_000]));
    // Other HTML and the Desktop export are not t.me pages.
    assert!(!looks_like_page(
        "<html><body><p>Telegram is an app</p></body></html>"
    ));
    assert!(!looks_like_page("Forwarded from tgme_widget_message"));
    let desktop = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/desktop-html/channel_messages.html");
    assert_eq!(
        detected(&std::fs::read(desktop).expect("export page")),
        Some(Format::DesktopHtml)
    );
}

/// A real page: its file, the post ids (in page order), the ids of its service events, the
/// ids of forwards, and the kinds of its media; each read off the file with `grep`.
struct Sample {
    file: &'static str,
    posts: &'static [i64],
    events: &'static [i64],
    forwards: &'static [i64],
    media: &'static [(MediaKind, usize)],
}

const SAMPLES: &[Sample] = &[
    Sample {
        file: "any2feed_full_topwar_ru.html",
        posts: &[
            70989, 70990, 70992, 70995, 70996, 70997, 70998, 70999, 71000, 71006, 71007, 71008,
        ],
        events: &[],
        forwards: &[70996, 70998, 71006, 71007, 71008],
        media: &[
            (MediaKind::Photo, 10),
            (MediaKind::Video, 4),
            (MediaKind::LinkPreview, 1),
        ],
    },
    Sample {
        file: "any2feed_media_video_too_big.html",
        posts: &[46940],
        events: &[],
        forwards: &[],
        media: &[(MediaKind::Video, 1)],
    },
    Sample {
        file: "any2feed_message_link_preview.html",
        posts: &[22360],
        events: &[],
        forwards: &[],
        media: &[(MediaKind::LinkPreview, 1)],
    },
    Sample {
        file: "any2feed_message_media_file.html",
        posts: &[16936],
        events: &[],
        forwards: &[16936],
        media: &[(MediaKind::Document, 1)],
    },
    Sample {
        file: "any2feed_message_media_forwarded_from.html",
        posts: &[22358],
        events: &[],
        forwards: &[22358],
        media: &[(MediaKind::Photo, 1)],
    },
    Sample {
        file: "any2feed_message_media_photo_and_video.html",
        posts: &[46908],
        events: &[],
        forwards: &[],
        media: &[(MediaKind::Photo, 2), (MediaKind::Video, 1)],
    },
    Sample {
        file: "any2feed_message_poll.html",
        posts: &[488],
        events: &[],
        forwards: &[],
        media: &[(MediaKind::Poll, 1)],
    },
    Sample {
        file: "any2feed_message_sticker.html",
        posts: &[5],
        events: &[],
        forwards: &[],
        media: &[(MediaKind::Sticker, 1)],
    },
    Sample {
        file: "any2feed_message_text.html",
        posts: &[70991],
        events: &[],
        forwards: &[],
        media: &[],
    },
    Sample {
        file: "any2feed_message_voice.html",
        posts: &[939],
        events: &[],
        forwards: &[939],
        media: &[(MediaKind::Voice, 1)],
    },
    Sample {
        file: "feedjam_page_example.html",
        posts: &[2, 3, 4, 5, 6, 7],
        events: &[1],
        forwards: &[],
        media: &[(MediaKind::Photo, 1)],
    },
    Sample {
        file: "lifemodel_telegram-test-channel.html",
        posts: &[1001, 1003, 1010],
        events: &[],
        forwards: &[1010],
        media: &[(MediaKind::Photo, 5), (MediaKind::Unknown, 1)],
    },
];

#[test]
fn every_real_page_reads_with_its_posts_events_forwards_and_media() {
    let Some(dir) = samples::dir("tme-html") else {
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
        let file = s.file;
        let path = dir.join(file);
        let bytes = std::fs::read(&path).expect("page");
        assert_eq!(detected(&bytes), Some(Format::TmeHtml), "{file}: detected");
        let (items, _) = read_path(&path);
        assert_spans_inside(&items);
        assert_no_labels_in_text(&items);
        let got: Vec<i64> = posts(&items).iter().filter_map(|p| p.message_id).collect();
        assert_eq!(got, s.posts, "{file}: posts");
        let got: Vec<i64> = events(&items).iter().filter_map(|e| e.message_id).collect();
        assert_eq!(got, s.events, "{file}: service events");
        let got: Vec<i64> = posts(&items)
            .iter()
            .filter(|p| p.forward.is_some())
            .filter_map(|p| p.message_id)
            .collect();
        assert_eq!(got, s.forwards, "{file}: forwards");
        let mut kinds: Vec<(MediaKind, usize)> = Vec::new();
        for m in posts(&items).iter().flat_map(|p| &p.media) {
            match kinds.iter_mut().find(|(k, _)| *k == m.kind) {
                Some((_, n)) => *n += 1,
                None => kinds.push((m.kind, 1)),
            }
        }
        let mut want = s.media.to_vec();
        kinds.sort_by_key(|(k, _)| k.as_str());
        want.sort_by_key(|(k, _)| k.as_str());
        assert_eq!(kinds, want, "{file}: media by kind");
        for p in posts(&items) {
            let fragment = file == "any2feed_media_video_too_big.html";
            assert!(
                p.date.is_some() || fragment,
                "{file}: post {:?} has a time",
                p.message_id
            );
            assert!(
                p.channel.as_ref().is_some_and(|c| c.username.is_some()),
                "{file}"
            );
        }
    }
}

#[test]
fn real_pages_give_the_values_read_off_the_files() {
    let Some(dir) = samples::dir("tme-html") else {
        return;
    };
    let read_sample = |name: &str| read_path(&dir.join(name));

    // A forwarded post with a photo: 214.4K views, the origin's post id.
    let (items, _) = read_sample("any2feed_message_media_forwarded_from.html");
    let p = post(&items, 22358);
    assert_eq!(p.views, Some(214_400));
    assert_eq!(p.date.as_deref(), Some("2023-02-27T07:20:50Z"));
    let f = p.forward.as_ref().expect("forward");
    assert_eq!(
        (f.title.as_deref(), f.username.as_deref(), f.message_id),
        (Some("Пул N3"), Some("dimsmirnov175"), Some(44604))
    );
    assert_eq!(
        p.text,
        "Британская разведка выяснила, почему Ким Чен Ын начал выводить дочку в свет"
    );
    let channel = p.channel.as_ref().expect("channel");
    assert_eq!(channel.username.as_deref(), Some("oper_goblin"));

    // A whole page: 12 posts, 5 forwards with their origins, views, videos too big.
    let (items, info) = read_sample("any2feed_full_topwar_ru.html");
    let info = info.expect("channel info");
    assert_eq!(
        (
            info.channel.username.as_deref(),
            info.channel.title.as_deref(),
            info.subscribers
        ),
        (
            Some("topwar_official"),
            Some("Военное обозрение"),
            Some(109_000)
        )
    );
    assert!(info.description.as_deref().is_some_and(|d| d.starts_with(
        "Официальный канал сайта topwar.ru\n\nДля обратной связи: @topwar_feedlback_bot"
    )));
    let origins: Vec<_> = posts(&items)
        .iter()
        .filter_map(|p| p.forward.as_ref())
        .map(|f| {
            (
                f.username.as_deref().unwrap_or_default(),
                f.message_id.unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        origins,
        [
            ("yaremshooter", 1066),
            ("Belarus_VPO", 34301),
            ("vysokygovorit", 10899),
            ("dimsmirnov175", 44655),
            ("ImpNavigator", 4580)
        ]
    );
    let views: Vec<_> = posts(&items).iter().filter_map(|p| p.views).collect();
    assert_eq!(
        views,
        [
            37_200, 34_500, 33_800, 33_600, 32_900, 30_300, 29_000, 28_700, 28_700, 17_200, 16_800,
            14_900
        ]
    );
    assert_eq!(
        post(&items, 70989).date.as_deref(),
        Some("2023-02-28T07:47:53Z")
    );
    assert_eq!(
        post(&items, 71008).date.as_deref(),
        Some("2023-02-28T13:14:03Z")
    );
    let too_big: Vec<_> = posts(&items)
        .iter()
        .flat_map(|p| p.media.iter().map(move |m| (p.message_id, m)))
        .filter(|(_, m)| m.placeholder == Some(Placeholder::TooBig))
        .map(|(id, m)| (id.unwrap_or_default(), m.duration))
        .collect();
    assert_eq!(too_big, [(71006, Some(177)), (71007, Some(101))]);
    let album: Vec<_> = post(&items, 70992)
        .media
        .iter()
        .map(|m| (m.kind, attr(m, "message_id")))
        .collect();
    assert_eq!(
        album,
        [
            (MediaKind::Photo, Some("70992")),
            (MediaKind::Photo, Some("70993")),
            (MediaKind::Video, Some("70994"))
        ]
    );
    // The body of a re-indented page: one space where the editor broke the line.
    assert_eq!(
        post(&items, 70992).text,
        "Сегодня ночью в Республике Адыгея упал неизвестный летательный аппарат, обломки \
         реактивного двигателя от которого опубликовал глава региона. Предположительно, \
         обломки принадлежат украинскому БПЛА Ту-141 или Ту-143."
    );
    let p = post(&items, 70996);
    assert_eq!(
        p.links[0].url.as_deref(),
        Some("https://t.me/infantmilitario/93419")
    );
    assert_eq!(p.links[0].label, "на расстояние 180 метров");
    assert_eq!(attr(&p.media[0], "title"), Some("Милитарист"));

    // A tiny channel: six posts and the service message "Channel created".
    let (items, info) = read_sample("feedjam_page_example.html");
    assert_eq!(items.len(), 7);
    let event = events(&items)[0];
    assert_eq!(
        (event.message_id, event.action.as_str(), event.text.as_str()),
        (Some(1), "create_channel", "Channel created")
    );
    assert!(posts(&items).iter().all(|p| p.views == Some(2)));
    let info = info.expect("channel info");
    assert_eq!(
        (
            info.channel.username.as_deref(),
            info.description.as_deref(),
            info.subscribers
        ),
        (Some("feedjam"), Some("feedjam test"), Some(1))
    );
    assert!(post(&items, 7).text.starts_with(
        "Section 1.10.33 of \"de Finibus Bonorum et Malorum\", written by Cicero in 45 BC\n\"At vero eos"
    ));

    // A 2026 page: albums, a forward, reactions, "Please open Telegram" placeholders.
    let (items, info) = read_sample("lifemodel_telegram-test-channel.html");
    let info = info.expect("channel info");
    assert_eq!(
        (
            info.channel.username.as_deref(),
            info.channel.title.as_deref(),
            info.subscribers
        ),
        (Some("test_channel"), Some("Test_Channel"), Some(10_000))
    );
    let first = post(&items, 1001);
    assert!(
        first
            .text
            .starts_with("This is a test message with multiple photos.")
    );
    assert!(!first.unviewable);
    assert_eq!(first.views, Some(2_500));
    let members: Vec<_> = first.media.iter().map(|m| attr(m, "message_id")).collect();
    assert_eq!(members, [Some("1001"), Some("1002")]);
    let reactions: Vec<_> = first
        .reactions
        .iter()
        .map(|r| (r.emoji.as_deref().unwrap_or_default(), r.count))
        .collect();
    assert_eq!(reactions, [("👍", 10), ("❤", 3)]);
    let hidden = post(&items, 1003);
    assert!(hidden.unviewable);
    assert_eq!(
        hidden.media[0].placeholder,
        Some(Placeholder::OpenInTelegram)
    );
    assert_eq!(hidden.views, Some(1_300));
    let forwarded = post(&items, 1010);
    let f = forwarded.forward.as_ref().expect("forward");
    assert_eq!(
        (f.username.as_deref(), f.message_id, f.title.as_deref()),
        (Some("another_channel"), Some(500), Some("Another Channel"))
    );
    assert_eq!(forwarded.media.len(), 3);
    assert_eq!(forwarded.reactions.len(), 3);
    assert!(
        forwarded
            .text
            .contains("Key updates:\n- Brick masonry on balconies completed")
    );
    assert_eq!(forwarded.entities[0].kind, "blockquote");

    // The other widgets.
    let (items, _) = read_sample("any2feed_message_poll.html");
    let poll = post(&items, 488).media[0].poll.clone().expect("poll");
    assert_eq!(
        (
            poll.question.as_str(),
            poll.total_voters,
            poll.answers.len()
        ),
        ("Как лучше?", Some(222), 3)
    );
    assert_eq!(poll.answers[1].text, "Один пост в несколько дней");
    let (items, _) = read_sample("any2feed_message_voice.html");
    let p = post(&items, 939);
    assert_eq!(p.media[0].duration, Some(1660));
    assert_eq!(
        p.forward
            .as_ref()
            .map(|f| (f.title.as_deref(), f.username.as_deref())),
        Some((Some("Спортивный Екб"), None))
    );
    assert!(
        p.text
            .starts_with("Обсудили:\n\n- Сталина не забыть\n- Плохие фильмы")
    );
    let (items, _) = read_sample("any2feed_message_media_file.html");
    let doc = &post(&items, 16936).media[0];
    assert_eq!(
        (doc.file_name.as_deref(), attr(doc, "size_text")),
        (Some("Оппозиционные медиапроекты.pdf"), Some("2.1 MB"))
    );
    let (items, _) = read_sample("any2feed_message_sticker.html");
    let p = post(&items, 5);
    assert_eq!((p.author.as_deref(), p.views), (Some("🅰️User"), Some(1)));
    let (items, _) = read_sample("any2feed_message_media_photo_and_video.html");
    let p = post(&items, 46908);
    let tags: Vec<_> = p.hashtags.iter().map(|t| t.value.as_str()).collect();
    assert_eq!(tags, ["Белгород", "Беспилотники"]);
    assert_eq!(p.media[0].placeholder, None, "a playable video");
    let (items, _) = read_sample("any2feed_media_video_too_big.html");
    let p = post(&items, 46940);
    assert_eq!(
        (p.media[0].placeholder, p.media[0].duration),
        (Some(Placeholder::TooBig), Some(69))
    );
    assert!(
        warnings(&items)
            .iter()
            .any(|w| w.contains("no message element"))
    );
    let (items, _) = read_sample("any2feed_message_text.html");
    let p = post(&items, 70991);
    assert_eq!(
        slice(&p.text, p.entities[0].span),
        "Неопознанный летающий объект замечен в 160 – 200 км от Петербурга"
    );
}

/// Damage to apply to a page: cut it short, or put a piece of markup (or stray bytes) at some
/// place.
#[derive(Debug, Clone)]
enum Damage {
    Truncate(usize),
    Insert(usize, &'static str),
    Remove(usize, usize),
}

const PIECES: &[&str] = &[
    "<",
    ">",
    "</div>",
    "<div class=\"tgme_widget_message\" data-post=\"x/1\">",
    "<div class=\"tgme_widget_message_text\">",
    "<a class=\"tgme_widget_message_reply\" href=\"https://t.me/harbor_notes/1\">",
    "<br/>",
    "<b>",
    "</b>",
    "&amp;",
    "\u{301}",
    "\u{200b}",
    "😀",
    "🇷🇺",
    "\r\n",
    "\"",
    "<tg-emoji emoji-id=\"1\">",
    "<blockquote expandable>",
    "<span class=\"tgme_widget_message_views\">9.99999999K</span>",
    "<time datetime=\"2024-02-30T25:61:00+99:00\">",
];

fn damage_strategy(len: usize) -> impl Strategy<Value = Damage> {
    prop_oneof![
        (0..len).prop_map(Damage::Truncate),
        (0..len, prop::sample::select(PIECES)).prop_map(|(at, p)| Damage::Insert(at, p)),
        (0..len, 1usize..400).prop_map(|(at, n)| Damage::Remove(at, n)),
    ]
}

fn apply(page: &[u8], damage: &[Damage]) -> Vec<u8> {
    let mut out = page.to_vec();
    for d in damage {
        match d {
            Damage::Truncate(at) => out.truncate(*at.min(&out.len())),
            Damage::Insert(at, piece) => {
                let at = (*at).min(out.len());
                out.splice(at..at, piece.bytes());
            }
            Damage::Remove(at, n) => {
                let at = (*at).min(out.len());
                let end = (at + n).min(out.len());
                out.drain(at..end);
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// A damaged page (cut, markup added or removed anywhere, UTF-8 split) reads without
    /// panicking; every span lies on char boundaries inside its post's clean text; every
    /// element's byte range lies inside the page.
    #[test]
    fn damaged_pages_never_panic_and_spans_stay_on_char_boundaries(
        damage in prop::collection::vec(damage_strategy(42_000), 1..6)
    ) {
        let page = std::fs::read(fixture("page.html")).expect("page");
        let bytes = apply(&page, &damage);
        for item in TmeReader::new(&bytes, "p.html").flatten() {
            let (location, post) = match &item {
                ReadItem::Post(p) => (&p.location, Some(&**p)),
                ReadItem::Event(e) => (&e.location, None),
                ReadItem::Warning(_) => continue,
            };
            prop_assert!(location.byte_start <= location.byte_end);
            prop_assert!(location.byte_end <= bytes.len() as u64);
            let Some(p) = post else { continue };
            let spans = p
                .hashtags
                .iter()
                .chain(&p.mentions)
                .map(|t| t.span)
                .chain(p.countries.iter().map(|c| c.span))
                .chain(p.entities.iter().map(|e| e.span))
                .chain(p.links.iter().filter_map(|l| l.span));
            for s in spans {
                prop_assert!(s.start < s.end, "{:?} in {:?}", s, p.text);
                prop_assert!(p.text.get(s.start..s.end).is_some(), "{:?} in {:?}", s, p.text);
            }
            prop_assert_eq!(&tgscope_text::normalize::clean_text(&p.text), &p.text);
        }
    }

    /// No bytes at all make the reader panic, markup or not.
    #[test]
    fn no_bytes_make_the_reader_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = TmeReader::new(&bytes, "p.html").count();
        let mut wrapped = b"<div class=\"tgme_widget_message\" data-post=\"c/1\"><div class=\"tgme_widget_message_text\">".to_vec();
        wrapped.extend_from_slice(&bytes);
        let _ = TmeReader::new(&wrapped, "p.html").count();
    }
}

#[test]
fn a_page_says_when_telegram_served_it_and_a_saver_s_date_is_the_fallback() {
    // The view tokens of a saved page carry the time Telegram served it.
    let bytes = std::fs::read(fixture("saved_page.html")).expect("page");
    let reader = TmeReader::new(&bytes, "saved_page.html");
    let made = reader.made_at().expect("the page's own time");
    assert_eq!(made.at, "2024-05-16T22:53:20Z");
    assert_eq!(made.basis, tgscope_model::CaptureTimeBasis::File);
    assert!(
        made.evidence
            .as_deref()
            .is_some_and(|e| e.contains("data-view") && e.contains("1715900000")),
        "{made:?}"
    );
    // Without tokens, SingleFile's header says when the page was saved (its offset applied);
    // Chrome's `saved from url` comment names no date.
    let text = String::from_utf8(bytes).expect("utf-8");
    let without_tokens = regex::Regex::new(r#"data-view="[^"]*""#)
        .expect("regex")
        .replace_all(&text, "");
    assert_eq!(
        TmeReader::new(without_tokens.as_bytes(), "p.html").made_at(),
        None
    );
    let singlefile = format!(
        "<!--\n Page saved with SingleFile \n url: https://t.me/s/harbor_notes \n saved date: \
         Fri May 17 2024 09:30:00 GMT+0200 (Central European Summer Time)\n-->\n{without_tokens}"
    );
    let made = TmeReader::new(singlefile.as_bytes(), "p.html")
        .made_at()
        .expect("the saver's date");
    assert_eq!(made.at, "2024-05-17T07:30:00Z");
    assert!(
        made.evidence
            .as_deref()
            .is_some_and(|e| e.starts_with("SingleFile header: saved date: Fri May 17 2024")),
        "{made:?}"
    );
}

#[test]
fn real_saved_pages_were_served_after_their_newest_post() {
    let Some(dir) = samples::dir("tme-html") else {
        return;
    };
    for (file, served) in [
        ("any2feed_full_topwar_ru.html", "2023-02-28T14:17:15Z"),
        ("feedjam_page_example.html", "2023-07-29T08:52:53Z"),
    ] {
        let bytes = std::fs::read(dir.join(file)).expect("page");
        let mut reader = TmeReader::new(&bytes, file);
        let made = reader.made_at().expect("served time");
        assert_eq!(made.at, served, "{file}");
        let newest = reader
            .by_ref()
            .filter_map(|i| match i {
                Ok(ReadItem::Post(p)) => p.date,
                _ => None,
            })
            .max()
            .expect("dated posts");
        assert!(newest < made.at, "{file}: {newest} before {}", made.at);
    }
}
