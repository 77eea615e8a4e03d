//! A post's media widgets, placeholders ("Media is too big") and reactions.

use super::address::parse_tme_link;
use super::body::body_rich;
use super::counts::parse_count;
use super::header::{first_with_class, text_of_class};
use crate::desktop_html::media::{coords_of_map_link, read_status};
use crate::desktop_html::rich::{finish, flat_text, has_class};
use scraper::ElementRef;
use tgscope_model::{Media, MediaKind, Placeholder, Poll, PollAnswer, Reaction};

/// The placeholder an interface label stands for ("Media is too big", "This media is not
/// supported in your browser", "Please open Telegram to view this post").
pub fn placeholder_of(label: &str) -> Option<Placeholder> {
    let lower = label.to_lowercase();
    if lower.contains("too big") {
        Some(Placeholder::TooBig)
    } else if lower.contains("not supported") {
        Some(Placeholder::NotSupported)
    } else if lower.contains("open telegram") || lower.contains("view this post") {
        Some(Placeholder::OpenInTelegram)
    } else {
        None
    }
}

/// The address in a `style`'s `background-image:url(...)` (quoted or not; a browser that
/// saved the page may have written the quotes as `&quot;`); protocol-relative addresses get
/// `https:`.
pub fn background_url(style: &str) -> Option<String> {
    let start = style.find("url(")? + 4;
    let rest = style.get(start..)?;
    let end = rest.find(')')?;
    let url = rest
        .get(..end)?
        .trim()
        .trim_matches(|c| c == '\'' || c == '"')
        .replace("&quot;", "")
        .trim()
        .to_string();
    if url.is_empty() {
        return None;
    }
    Some(match url.strip_prefix("//") {
        Some(rest) => format!("https://{rest}"),
        None => url,
    })
}

/// The background image of `el` itself.
fn own_background(el: ElementRef<'_>) -> Option<String> {
    el.value().attr("style").and_then(background_url)
}

/// The background image of the first element under `el` with the class `class`.
fn background_of_class(el: ElementRef<'_>, class: &str) -> Option<String> {
    first_with_class(el, class).and_then(own_background)
}

/// The `src` of the first `tag` element under `el`.
fn source_of(el: ElementRef<'_>, tag: &str) -> Option<String> {
    el.descendent_elements()
        .find(|e| e.value().name() == tag)
        .and_then(|e| e.value().attr("src"))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Adds `key` = `value` to a media item's attributes when there is a value.
fn put(media: &mut Media, key: &str, value: Option<String>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        media.attrs.push((key.to_string(), v));
    }
}

/// `0:35`, `27:40`, `1:02:03` in seconds.
fn duration_of(text: &str) -> Option<u32> {
    let mut total: u32 = 0;
    let mut parts = 0;
    for part in text.trim().split(':') {
        if part.is_empty() || part.len() > 4 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        total = total.checked_mul(60)?.checked_add(part.parse().ok()?)?;
        parts += 1;
    }
    (2..=3).contains(&parts).then_some(total)
}

/// The duration written in the first element under `el` with one of `classes`.
fn duration_in(el: ElementRef<'_>, classes: &[&str]) -> Option<u32> {
    classes
        .iter()
        .find_map(|c| text_of_class(el, c))
        .as_deref()
        .and_then(duration_of)
}

/// The label of a `.message_media_not_supported` block under `el`, if it has one.
pub fn not_supported_label(el: ElementRef<'_>) -> Option<String> {
    text_of_class(el, "message_media_not_supported_label").or_else(|| {
        has_class(el.value(), "message_media_not_supported_label")
            .then(|| flat_text(el, |_| false))
            .filter(|t| !t.is_empty())
    })
}

/// True when `el` is a media widget [`media_of`] reads.
pub fn is_media(el: ElementRef<'_>) -> bool {
    const WIDGETS: &[&str] = &[
        "tgme_widget_message_photo_wrap",
        "tgme_widget_message_video_player",
        "tgme_widget_message_roundvideo_player",
        "tgme_widget_message_voice_player",
        "tgme_widget_message_audio_player",
        "tgme_widget_message_document_wrap",
        "tgme_widget_message_sticker_wrap",
        "tgme_widget_message_poll",
        "tgme_widget_message_location_wrap",
        "tgme_widget_message_venue_wrap",
        "tgme_widget_message_contact_wrap",
        "tgme_widget_message_link_preview",
    ];
    WIDGETS.iter().any(|w| has_class(el.value(), w))
}

/// The media item a widget shows, `None` when `el` is not a media widget.
pub fn media_of(el: ElementRef<'_>) -> Option<Media> {
    let class = |c: &str| has_class(el.value(), c);
    let href = el
        .value()
        .attr("href")
        .map(|h| h.trim().replace("&amp;", "&"));
    let media = if class("tgme_widget_message_photo_wrap") {
        let mut m = Media::of_kind(MediaKind::Photo);
        put(
            &mut m,
            "url",
            own_background(el).or_else(|| background_of_class(el, "tgme_widget_message_photo")),
        );
        m
    } else if class("tgme_widget_message_video_player") {
        video(el)
    } else if class("tgme_widget_message_roundvideo_player") {
        let mut m = Media::of_kind(MediaKind::VideoMessage);
        m.duration = duration_in(el, &["tgme_widget_message_roundvideo_duration"]);
        put(&mut m, "url", source_of(el, "video"));
        put(
            &mut m,
            "thumbnail",
            background_of_class(el, "tgme_widget_message_roundvideo_thumb"),
        );
        m
    } else if class("tgme_widget_message_voice_player") {
        let mut m = Media::of_kind(MediaKind::Voice);
        m.duration = duration_in(el, &["tgme_widget_message_voice_duration"]);
        put(&mut m, "url", source_of(el, "audio"));
        m
    } else if class("tgme_widget_message_audio_player") {
        let mut m = Media::of_kind(MediaKind::Audio);
        m.duration = duration_in(el, &["tgme_widget_message_audio_duration"]);
        put(
            &mut m,
            "performer",
            text_of_class(el, "tgme_widget_message_audio_performer"),
        );
        put(
            &mut m,
            "title",
            text_of_class(el, "tgme_widget_message_audio_title"),
        );
        put(&mut m, "url", source_of(el, "audio"));
        m
    } else if class("tgme_widget_message_document_wrap") {
        document(el)
    } else if class("tgme_widget_message_sticker_wrap") {
        let mut m = Media::of_kind(MediaKind::Sticker);
        let image = first_with_class(el, "tgme_widget_message_sticker");
        let url = image
            .and_then(|i| i.value().attr("data-webp").map(str::to_string))
            .or_else(|| image.and_then(own_background))
            .or_else(|| {
                el.descendent_elements()
                    .filter(|e| e.value().name() == "source")
                    .find_map(|e| e.value().attr("srcset"))
                    .filter(|s| !s.starts_with("data:"))
                    .map(str::to_string)
            })
            .or_else(|| source_of(el, "video"));
        put(&mut m, "url", url);
        m
    } else if class("tgme_widget_message_poll") {
        poll(el)
    } else if class("tgme_widget_message_location_wrap") || class("tgme_widget_message_venue_wrap")
    {
        location(el, href.as_deref())
    } else if class("tgme_widget_message_contact_wrap") {
        let mut m = Media::of_kind(MediaKind::Contact);
        put(
            &mut m,
            "name",
            text_of_class(el, "tgme_widget_message_contact_name"),
        );
        put(
            &mut m,
            "phone_number",
            text_of_class(el, "tgme_widget_message_contact_phone"),
        );
        m
    } else if class("tgme_widget_message_link_preview") {
        let mut m = Media::of_kind(MediaKind::LinkPreview);
        put(&mut m, "url", href.clone());
        put(
            &mut m,
            "site_name",
            text_of_class(el, "link_preview_site_name"),
        );
        put(&mut m, "title", text_of_class(el, "link_preview_title"));
        put(
            &mut m,
            "description",
            first_with_class(el, "link_preview_description").map(|d| finish(&body_rich(d)).0),
        );
        put(
            &mut m,
            "image",
            background_of_class(el, "link_preview_image")
                .or_else(|| background_of_class(el, "link_preview_right_image")),
        );
        m
    } else {
        return None;
    };
    Some(media)
}

/// A video player: its duration, file and thumbnail, and a placeholder when the page holds no
/// playable file ("Media is too big"). A player with a file still carries the label "This
/// media is not supported in your browser" for browsers that cannot play it: that label is a
/// fallback, not a placeholder, and is left out.
fn video(el: ElementRef<'_>) -> Media {
    let looping = el
        .descendent_elements()
        .any(|e| e.value().name() == "video" && e.value().attr("loop").is_some());
    let kind = if looping || has_class(el.value(), "gif") {
        MediaKind::Animation
    } else {
        MediaKind::Video
    };
    let mut m = Media::of_kind(kind);
    m.duration = duration_in(
        el,
        &[
            "message_video_duration",
            "tgme_widget_message_video_duration",
        ],
    );
    let file = source_of(el, "video");
    if (file.is_none() || has_class(el.value(), "not_supported"))
        && let Some(label) = not_supported_label(el)
    {
        m.placeholder = placeholder_of(&label).or(Some(Placeholder::NotSupported));
        m.label = Some(label);
    }
    put(&mut m, "url", file);
    put(
        &mut m,
        "thumbnail",
        background_of_class(el, "tgme_widget_message_video_thumb"),
    );
    m
}

/// A file: its name (title) and the size or other facts written under it.
fn document(el: ElementRef<'_>) -> Media {
    let audio = first_with_class(el, "tgme_widget_message_document_icon")
        .is_some_and(|i| has_class(i.value(), "audio"));
    let title = text_of_class(el, "tgme_widget_message_document_title");
    let extra = text_of_class(el, "tgme_widget_message_document_extra");
    let mut m = if audio {
        // A song: its title, and under it the performer (or the size).
        let mut m = Media::of_kind(MediaKind::Audio);
        put(&mut m, "title", title);
        m
    } else {
        Media {
            file_name: title,
            ..Media::of_kind(MediaKind::Document)
        }
    };
    if let Some(extra) = extra {
        for rest in read_status(&mut m, &extra) {
            let key = if audio { "performer" } else { "extra" };
            m.attrs.push((key.to_string(), rest));
        }
    }
    m
}

/// A poll: question, kind ("Anonymous Poll"), answers with the percentages they got (kept as
/// `answer_<n>_percent` attributes: the page shows no vote counts per answer). The number of
/// voters is in the post's footer and is set by the caller.
fn poll(el: ElementRef<'_>) -> Media {
    let question = first_with_class(el, "tgme_widget_message_poll_question")
        .map(|q| finish(&body_rich(q)).0)
        .unwrap_or_default();
    let mut m = Media::of_kind(MediaKind::Poll);
    put(
        &mut m,
        "poll_type",
        text_of_class(el, "tgme_widget_message_poll_type"),
    );
    let mut answers = Vec::new();
    for (n, option) in el
        .descendent_elements()
        .filter(|e| has_class(e.value(), "tgme_widget_message_poll_option"))
        .enumerate()
    {
        let text =
            text_of_class(option, "tgme_widget_message_poll_option_text").unwrap_or_default();
        let percent = text_of_class(option, "tgme_widget_message_poll_option_percent")
            .map(|p| p.trim_end_matches('%').trim().to_string());
        put(&mut m, &format!("answer_{}_percent", n + 1), percent);
        answers.push(PollAnswer {
            text,
            voters: None,
            chosen: None,
        });
    }
    m.poll = Some(Poll {
        question,
        closed: None,
        total_voters: None,
        answers,
    });
    m
}

/// A place: coordinates from the map link (`?q=lat,lon`) or the map image
/// (`center=lat,lon`), and a venue's name and address.
fn location(el: ElementRef<'_>, href: Option<&str>) -> Media {
    let mut m = Media::of_kind(MediaKind::Location);
    let map_image = background_of_class(el, "tgme_widget_message_location");
    let coords = href
        .and_then(coords_of_map_link)
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .or_else(|| {
            let image = map_image.as_deref()?;
            let center = image.split_once("center=")?.1;
            let center = center.split('&').next()?.replace("%2C", ",");
            let (lat, lon) = center.split_once(',')?;
            Some((lat.to_string(), lon.to_string()))
        })
        .filter(|(lat, lon)| {
            lat.trim().parse::<f64>().is_ok() && lon.trim().parse::<f64>().is_ok()
        });
    if let Some((lat, lon)) = coords {
        m.attrs
            .push(("latitude".to_string(), lat.trim().to_string()));
        m.attrs
            .push(("longitude".to_string(), lon.trim().to_string()));
    }
    put(
        &mut m,
        "place_name",
        text_of_class(el, "tgme_widget_message_location_title")
            .or_else(|| text_of_class(el, "tgme_widget_message_venue_title")),
    );
    put(
        &mut m,
        "address",
        text_of_class(el, "tgme_widget_message_location_address")
            .or_else(|| text_of_class(el, "tgme_widget_message_venue_address")),
    );
    put(&mut m, "url", href.map(str::to_string));
    m
}

/// The members of an album (`.tgme_widget_message_grouped_wrap`), in order: each is its own
/// media item marked `album` = `true`, with its own message id (`message_id`) when its link
/// (`https://t.me/<channel>/<id>?single`) names one. No separate album item is made.
pub fn album_of(wrap: ElementRef<'_>) -> Vec<Media> {
    let mut members = Vec::new();
    for el in wrap.descendent_elements().filter(|e| is_media(*e)) {
        // A widget inside a member is part of that member.
        let nested = el
            .ancestors()
            .take_while(|a| *a != *wrap)
            .filter_map(ElementRef::wrap)
            .any(is_media);
        if nested {
            continue;
        }
        let Some(mut m) = media_of(el) else { continue };
        m.attrs.push(("album".to_string(), "true".to_string()));
        if let Some(id) = el
            .value()
            .attr("href")
            .and_then(parse_tme_link)
            .and_then(|l| l.message_id)
        {
            m.attrs.push(("message_id".to_string(), id.to_string()));
        }
        members.push(m);
    }
    members
}

/// The reactions under a post (`.tgme_widget_message_reactions > .tgme_reaction`): an emoji
/// (drawn as `<i class="emoji"><b>👍</b></i>` or written out), a custom emoji (`tg-emoji`) or
/// a paid star, and the count after it.
pub fn reactions_of(el: ElementRef<'_>) -> Vec<Reaction> {
    let mut out = Vec::new();
    for reaction in el
        .descendent_elements()
        .filter(|e| has_class(e.value(), "tgme_reaction"))
    {
        // The count is the text outside the emoji's own elements.
        let count_text: String = reaction
            .children()
            .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
            .collect();
        let custom = reaction
            .descendent_elements()
            .find(|e| e.value().name() == "tg-emoji")
            .and_then(|e| e.value().attr("emoji-id"))
            .map(str::to_string);
        let emoji = reaction
            .descendent_elements()
            .find(|e| e.value().name() == "b")
            .map(|b| flat_text(b, |_| false))
            .filter(|e| !e.is_empty())
            .or_else(|| {
                let lead: String = count_text
                    .trim()
                    .chars()
                    .take_while(|c| !c.is_ascii_digit())
                    .collect();
                Some(lead.trim().to_string()).filter(|l| !l.is_empty())
            });
        let digits = count_text.trim_start_matches(|c: char| !c.is_ascii_digit());
        let Some(count) = parse_count(digits) else {
            continue;
        };
        let kind = if has_class(reaction.value(), "tgme_reaction_paid") {
            "paid"
        } else if custom.is_some() {
            "custom_emoji"
        } else {
            "emoji"
        };
        out.push(Reaction {
            kind: kind.to_string(),
            emoji: if kind == "paid" { None } else { emoji },
            document_id: custom,
            count,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_urls_in_any_quoting() {
        let cases = [
            (
                "width:800px;background-image:url('https://cdn4.example.org/file/a.jpg')",
                Some("https://cdn4.example.org/file/a.jpg"),
            ),
            (
                "background-image: url(\"https://cdn4.example.org/b.jpg\");",
                Some("https://cdn4.example.org/b.jpg"),
            ),
            (
                "background-image: url(&quot;https://cdn4.example.org/c.jpg&quot;);",
                Some("https://cdn4.example.org/c.jpg"),
            ),
            (
                "background-image:url(//telegram.org/img/emoji/40/F09F918D.png)",
                Some("https://telegram.org/img/emoji/40/F09F918D.png"),
            ),
            ("background-image:url(", None),
            ("width:10px", None),
            ("background-image:url('')", None),
        ];
        for (style, want) in cases {
            assert_eq!(background_url(style).as_deref(), want, "{style}");
        }
    }

    #[test]
    fn durations_and_placeholders() {
        assert_eq!(duration_of("1:09"), Some(69));
        assert_eq!(duration_of("27:40"), Some(1660));
        assert_eq!(duration_of("1:02:03"), Some(3723));
        assert_eq!(duration_of("12"), None);
        assert_eq!(duration_of("a:bc"), None);
        assert_eq!(duration_of("99999:00"), None);
        assert_eq!(
            placeholder_of("Media is too big"),
            Some(Placeholder::TooBig)
        );
        assert_eq!(
            placeholder_of("This media is not supported in your browser"),
            Some(Placeholder::NotSupported)
        );
        assert_eq!(
            placeholder_of("Please open Telegram to view this post"),
            Some(Placeholder::OpenInTelegram)
        );
        assert_eq!(placeholder_of("VIEW IN TELEGRAM"), None);
    }
}
