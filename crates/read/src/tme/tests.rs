//! Unit tests of the t.me reader on small pieces of markup.

use tgscope_model::{CapturedPost, MediaKind, Placeholder, ReadItem};

use super::*;

fn read(page: &str) -> Vec<ReadItem> {
    TmeReader::new(page.as_bytes(), "t.html")
        .collect::<Result<Vec<_>, _>>()
        .expect("reads")
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

/// A message of channel `chan` with id `id` around `bubble` (the bubble's inner markup).
fn message(id: i64, bubble: &str) -> String {
    format!(
        r#"<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="chan/{id}"><div class="tgme_widget_message_bubble">{bubble}<div class="tgme_widget_message_footer compact js-message_footer"><div class="tgme_widget_message_info short js-message_info"><span class="tgme_widget_message_views">5</span><span class="copyonly"> views</span><span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/chan/{id}"><time datetime="2024-01-02T03:04:05+00:00" class="time">03:04</time></a></span></div></div></div></div></div>"#
    )
}

fn one_post(bubble: &str) -> CapturedPost {
    let items = read(&message(7, bubble));
    let found = posts(&items);
    assert_eq!(found.len(), 1, "{items:?}");
    found[0].clone()
}

#[test]
fn the_body_is_the_bubbles_text_not_the_reply_quote() {
    let post = one_post(
        r#"<a class="tgme_widget_message_reply" href="https://t.me/chan/3"><div class="tgme_widget_message_author"><span class="tgme_widget_message_author_name">Chan</span></div><div class="tgme_widget_message_text js-message_reply_text">The quoted post</div></a><div class="tgme_widget_message_text js-message_text">The reply itself</div>"#,
    );
    assert_eq!(post.text, "The reply itself");
    assert_eq!(post.raw_text, "The reply itself");
    // The reply's author line is the quoted post's, not this post's sender.
    assert_eq!(post.sender, None);
    // A quote alone gives no body.
    let post = one_post(
        r#"<a class="tgme_widget_message_reply" href="https://t.me/chan/3"><div class="tgme_widget_message_text">Only the quote</div></a>"#,
    );
    assert_eq!(post.text, "");
}

#[test]
fn the_reply_target_is_the_quoted_posts_id_in_the_same_channel() {
    let post = one_post(
        r#"<a class="tgme_widget_message_reply" href="https://t.me/chan/3"><div class="tgme_widget_message_text">q</div></a>"#,
    );
    assert_eq!(post.reply_to.and_then(|r| r.message_id), Some(3));
    let post = one_post(
        r#"<a class="tgme_widget_message_reply" href="https://t.me/other/3"><div class="tgme_widget_message_text">q</div></a>"#,
    );
    let reply = post.reply_to.expect("a reply");
    assert_eq!((reply.message_id, reply.chat_id), (None, None));
}

#[test]
fn placeholders_are_media_and_never_text() {
    let post = one_post(
        r#"<a class="tgme_widget_message_video_player not_supported js-message_video_player" href="https://t.me/chan/7"><time class="message_video_duration js-message_video_duration">2:05</time><div class="message_media_not_supported_wrap"><div class="message_media_not_supported"><div class="message_media_not_supported_label">Media is too big</div><span class="message_media_view_in_telegram">VIEW IN TELEGRAM</span></div></div></a><div class="tgme_widget_message_text">Caption</div>"#,
    );
    assert_eq!(post.text, "Caption");
    assert_eq!(post.media.len(), 1);
    let video = &post.media[0];
    assert_eq!(
        (
            video.kind,
            video.placeholder,
            video.duration,
            video.label.as_deref()
        ),
        (
            MediaKind::Video,
            Some(Placeholder::TooBig),
            Some(125),
            Some("Media is too big")
        )
    );
    assert!(!post.unviewable);

    let post = one_post(
        r#"<div class="message_media_not_supported_wrap"><div class="message_media_not_supported"><div class="message_media_not_supported_label">Please open Telegram to view this post</div><a href="https://t.me/chan/7" class="message_media_view_in_telegram">VIEW IN TELEGRAM</a></div></div>"#,
    );
    assert_eq!((post.text.as_str(), post.raw_text.as_str()), ("", ""));
    assert_eq!(post.media[0].placeholder, Some(Placeholder::OpenInTelegram));
    assert!(post.unviewable);

    // The hidden fallback of a post the browser can show is not read at all.
    let post = one_post(
        r#"<div class="media_supported_cont"><div class="tgme_widget_message_text">Shown</div></div><div class="media_not_supported_cont"><div class="message_media_not_supported_wrap"><div class="message_media_not_supported"><div class="message_media_not_supported_label">Please open Telegram to view this post</div></div></div></div>"#,
    );
    assert_eq!(post.text, "Shown");
    assert!(post.media.is_empty());
    assert!(!post.unviewable);

    // Even a placeholder nested in the body by broken markup stays out of the text.
    let post = one_post(
        r#"<div class="tgme_widget_message_text">Body <div class="message_media_not_supported"><div class="message_media_not_supported_label">This media is not supported in your browser</div><span class="message_media_view_in_telegram">VIEW IN TELEGRAM</span></div></div>"#,
    );
    assert_eq!(post.text, "Body");
    assert_eq!(post.media[0].placeholder, Some(Placeholder::NotSupported));
}

#[test]
fn the_forward_origin_gives_its_channel_and_post_id() {
    let post = one_post(
        r#"<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from&nbsp;<a class="tgme_widget_message_forwarded_from_name" href="https://t.me/origin_chan/4410"><span dir="auto">Origin Title</span></a></div><div class="tgme_widget_message_text">x</div>"#,
    );
    let f = post.forward.expect("forward");
    assert_eq!(
        (f.title.as_deref(), f.username.as_deref(), f.message_id),
        (Some("Origin Title"), Some("origin_chan"), Some(4410))
    );
    // A hidden user: a name, no link.
    let post = one_post(
        r#"<div class="tgme_widget_message_forwarded_from">Forwarded from&nbsp;<span class="tgme_widget_message_forwarded_from_name"><span dir="auto">Hidden Person</span></span></div>"#,
    );
    let f = post.forward.expect("forward");
    assert_eq!(
        (f.title.as_deref(), f.username, f.message_id),
        (Some("Hidden Person"), None, None)
    );
}

#[test]
fn text_markup_becomes_entities_on_the_clean_text() {
    let post = one_post(
        r#"<div class="tgme_widget_message_text js-message_text"><b>Bold</b> <i class="emoji" style="background-image:url('//telegram.org/img/emoji/40/F09F918D.png')"><b>👍</b></i> <a href="?q=%23tag">#tag</a> <a href="https://t.me/somebody">@somebody</a> <a href="https://example.org/a?x=1&amp;amp;y=2">here</a> <a href="http://example.org/">example.org</a><br/>line   two</div>"#,
    );
    assert_eq!(
        post.text,
        "Bold 👍 #tag @somebody here example.org\nline   two"
    );
    let got: Vec<_> = post
        .entities
        .iter()
        .map(|e| (e.kind.as_str(), &post.text[e.span.start..e.span.end]))
        .collect();
    assert_eq!(
        got,
        [
            ("bold", "Bold"),
            ("hashtag", "#tag"),
            ("mention", "@somebody"),
            ("text_link", "here"),
            ("link", "example.org"),
        ]
    );
    let urls: Vec<_> = post.links.iter().filter_map(|l| l.url.as_deref()).collect();
    assert_eq!(
        urls,
        ["https://example.org/a?x=1&y=2", "http://example.org/"]
    );
    assert_eq!(post.hashtags[0].value, "tag");
    assert_eq!(post.mentions[0].value, "somebody");
}

#[test]
fn layout_whitespace_of_reindented_pages_reads_as_one_space() {
    let post = one_post(
        "<div class=\"tgme_widget_message_text\">\n      <div class=\"tgme_widget_message_text\">First line,\n          still the first<br>\n          second line</div>\n    </div>",
    );
    assert_eq!(post.text, "First line, still the first\nsecond line");
}

#[test]
fn footer_gives_views_time_edited_and_signature() {
    let page = message(9, r#"<div class="tgme_widget_message_text">x</div>"#).replace(
        r#"<span class="tgme_widget_message_meta">"#,
        r#"<span class="tgme_widget_message_meta"><span class="tgme_widget_message_from_author">Signer</span>,&nbsp;edited&nbsp;"#,
    );
    let items = read(&page.replace(">5<", ">214.4K<"));
    let post = posts(&items)[0];
    assert_eq!(post.views, Some(214_400));
    assert_eq!(post.edited, Some(true));
    assert_eq!(post.author.as_deref(), Some("Signer"));
    assert_eq!(post.date.as_deref(), Some("2024-01-02T03:04:05Z"));
    assert_eq!(
        message::utc_time("2024-01-02T03:04:05+03:00").as_deref(),
        Some("2024-01-02T00:04:05Z")
    );
    let plain = one_post(r#"<div class="tgme_widget_message_text">x</div>"#);
    assert_eq!((plain.edited, plain.author), (Some(false), None));
}

#[test]
fn any_markup_reads_without_panicking() {
    let cases = [
        "",
        "<",
        "<div class=\"tgme_widget_message\" data-post=\"/\">",
        "<div class=\"tgme_widget_message\" data-post=\"a/99999999999999999999999\"><div class=\"tgme_widget_message_text\">\u{0301}<b>\u{0301}</b>\r\n\u{200B}</div>",
        "<div class=\"tgme_widget_message\"><time datetime=\"\"></time><span class=\"tgme_widget_message_views\">9999999999999999999999K</span>",
        "<a class=\"tgme_widget_message_photo_wrap\" style=\"background-image:url(\"></a>",
        "<div class=\"tgme_widget_message_grouped_wrap\"><a class=\"tgme_widget_message_video_player\"><a class=\"tgme_widget_message_photo_wrap\"></a></a></div>",
    ];
    for page in cases {
        let items: Vec<_> = TmeReader::new(page.as_bytes(), "").collect();
        for item in items.iter().flatten() {
            if let ReadItem::Post(p) = item {
                for e in &p.entities {
                    assert!(p.text.get(e.span.start..e.span.end).is_some());
                }
            }
        }
    }
}
