//! Media blocks of a message (`div.media_wrap`): photos, files, stickers, polls, places, contacts.

use std::sync::LazyLock;

use regex::Regex;
use scraper::ElementRef;
use tgscope_model::{Media, MediaKind, Placeholder, Poll, PollAnswer};
use tgscope_text::normalize;

use super::rich::{flat_text, has_class, plain_text};

/// The first child element of `el` that has every class in `classes`.
pub fn child<'a>(el: ElementRef<'a>, classes: &[&str]) -> Option<ElementRef<'a>> {
    el.child_elements()
        .find(|c| classes.iter().all(|k| has_class(c.value(), k)))
}

/// The text of the first child of `el` with every class in `classes`, whitespace collapsed.
fn child_text(el: ElementRef<'_>, classes: &[&str]) -> Option<String> {
    child(el, classes)
        .map(|c| flat_text(c, |_| false))
        .filter(|t| !t.is_empty())
}

/// A path inside the export as a media link gives it, or why it is refused.
///
/// Pages of a single-chat export link `photos/...`; pages of a full export sit in
/// `chats/chat_NNN/` and link `../../chats/chat_NNN/photos/...`. Anything else that climbs
/// (`..`), absolute paths and URLs are refused: they would point outside the export's folder.
pub fn safe_path(href: &str) -> Result<String, String> {
    let refuse = || {
        Err(format!(
            "the path {href:?} points outside the export's folder; it is not followed"
        ))
    };
    let lower = href.to_ascii_lowercase();
    if href.starts_with('/')
        || href.starts_with('\\')
        || lower.contains("://")
        || lower.starts_with("file:")
        || lower.starts_with("javascript:")
        || lower.starts_with("data:")
        || href.get(1..2) == Some(":")
    {
        return refuse();
    }
    let parts: Vec<&str> = href.split(['/', '\\']).collect();
    let climbs = parts.iter().take_while(|p| **p == "..").count();
    let rest = parts.get(climbs..).unwrap_or_default();
    if rest.contains(&"..") || rest.iter().all(|p| p.is_empty() || *p == ".") {
        return refuse();
    }
    if climbs > 0 && (climbs > 2 || rest.first() != Some(&"chats")) {
        return refuse();
    }
    Ok(href.to_string())
}

/// Sets `media.path` from a link, refusing unsafe ones with a warning.
fn set_path(media: &mut Media, href: Option<&str>, warn: &mut dyn FnMut(String)) {
    let Some(href) = href.map(str::trim).filter(|h| !h.is_empty()) else {
        return;
    };
    match safe_path(href) {
        Ok(p) => media.path = Some(p),
        Err(why) => warn(why),
    }
}

/// `1280×720` (or `1280x720`).
static DIMENSIONS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{1,6})\s*[×xX]\s*(\d{1,6})$").expect("dimensions pattern compiles")
});

/// `0:35`, `12:05`, `1:02:03`.
static DURATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(\d{1,4}):)?(\d{1,4}):(\d{2})$").expect("duration pattern compiles")
});

/// `532 B`, `85.3 KB`, `28.0 MB`, `1.2 GB`.
static SIZE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{1,12})(?:\.\d+)?\s*(B|KB|MB|GB|TB)$").expect("size pattern compiles")
});

/// Fills dimensions, duration and size from a status line (`1280×720, 85.3 KB`, `00:35, 5.2
/// MB`, `😀, 12.0 KB`). Sizes other than whole bytes are rounded by the export and are kept
/// as written in the `size_text` attribute; what is not recognised is returned.
pub(crate) fn read_status(media: &mut Media, status: &str) -> Vec<String> {
    let mut rest = Vec::new();
    for part in status.split(", ").map(str::trim).filter(|p| !p.is_empty()) {
        if let Some(c) = DIMENSIONS.captures(part) {
            media.width = c.get(1).and_then(|m| m.as_str().parse().ok());
            media.height = c.get(2).and_then(|m| m.as_str().parse().ok());
        } else if let Some(c) = DURATION.captures(part) {
            let n =
                |i: usize| -> u32 { c.get(i).and_then(|m| m.as_str().parse().ok()).unwrap_or(0) };
            media.duration = n(1)
                .checked_mul(3600)
                .and_then(|h| h.checked_add(n(2).checked_mul(60)?))
                .and_then(|hm| hm.checked_add(n(3)));
        } else if let Some(c) = SIZE.captures(part) {
            if c.get(2).map(|m| m.as_str()) == Some("B") {
                media.size = c.get(1).and_then(|m| m.as_str().parse().ok());
            } else {
                media
                    .attrs
                    .push(("size_text".to_string(), part.to_string()));
            }
        } else {
            rest.push(part.to_string());
        }
    }
    rest
}

/// The placeholder a `.description` line stands for, when it says the file was not saved.
fn placeholder_of(description: &str) -> Option<Placeholder> {
    let lower = description.to_lowercase();
    if lower.contains("exceeds maximum size") {
        Some(Placeholder::ExceedsLimit)
    } else if lower.contains("not included") {
        Some(Placeholder::NotIncluded)
    } else if lower.starts_with("unavailable") || lower.contains("file unavailable") {
        Some(Placeholder::Unavailable)
    } else {
        None
    }
}

/// The media of a message: every `div.media_wrap` child block.
pub fn media_of(wrap: ElementRef<'_>, warn: &mut dyn FnMut(String)) -> Vec<Media> {
    let mut out = Vec::new();
    for block in wrap.child_elements() {
        let el = block.value();
        let direct = |kind: MediaKind, warn: &mut dyn FnMut(String)| {
            let mut m = Media::of_kind(kind);
            set_path(&mut m, el.attr("href"), warn);
            m
        };
        if has_class(el, "photo_wrap") {
            out.push(direct(MediaKind::Photo, warn));
        } else if has_class(el, "video_file_wrap") {
            let mut m = direct(MediaKind::Video, warn);
            if let Some(d) = child_text(block, &["video_duration"]) {
                read_status(&mut m, &d);
            }
            out.push(m);
        } else if has_class(el, "animated_wrap") {
            out.push(direct(MediaKind::Animation, warn));
        } else if has_class(el, "sticker_wrap") {
            out.push(direct(MediaKind::Sticker, warn));
        } else if has_class(el, "media_poll") {
            out.push(poll_of(block));
        } else if has_class(el, "media_giveaway") {
            out.push(Media {
                label: Some("giveaway".to_string()),
                ..Media::of_kind(MediaKind::Unknown)
            });
        } else if has_class(el, "media") {
            out.push(generic(block, warn));
        }
    }
    out
}

/// A generic media block: an icon, a title, a description and a status line.
fn generic(block: ElementRef<'_>, warn: &mut dyn FnMut(String)) -> Media {
    let el = block.value();
    let body = child(block, &["body"]);
    let part = |class: &str| body.and_then(|b| child_text(b, &[class]));
    let title = part("title");
    let description = part("description");
    let status = part("status");
    let href = el.attr("href");
    let title_is = |t: &str| title.as_deref() == Some(t);
    let class = |c: &str| has_class(el, c);
    let mut is_file = true;
    let mut m = if class("media_photo") {
        if title_is("Sticker") {
            Media::of_kind(MediaKind::Sticker)
        } else {
            Media::of_kind(MediaKind::Photo)
        }
    } else if class("media_video") {
        if title_is("Video message") {
            Media::of_kind(MediaKind::VideoMessage)
        } else if title_is("Animation") {
            Media::of_kind(MediaKind::Animation)
        } else {
            Media::of_kind(MediaKind::Video)
        }
    } else if class("media_voice_message") {
        Media::of_kind(MediaKind::Voice)
    } else if class("media_audio_file") {
        let mut m = Media::of_kind(MediaKind::Audio);
        if let Some((performer, song)) = title
            .as_deref()
            .filter(|t| *t != "Audio file")
            .and_then(|t| t.split_once(" \u{2013} "))
        {
            m.attrs
                .push(("performer".to_string(), performer.to_string()));
            m.attrs.push(("title".to_string(), song.to_string()));
        }
        m
    } else if class("media_file") {
        Media {
            file_name: title.clone().filter(|t| t != "File"),
            ..Media::of_kind(MediaKind::Document)
        }
    } else if class("media_contact") {
        let mut m = Media::of_kind(MediaKind::Contact);
        if let Some(name) = title.as_deref().filter(|t| !t.trim().is_empty()) {
            m.attrs.push(("name".to_string(), name.trim().to_string()));
        }
        if let Some(s) = &status {
            let phone = s.trim_end_matches(" - vCard").trim();
            if !phone.is_empty() {
                m.attrs
                    .push(("phone_number".to_string(), phone.to_string()));
            }
            if s.ends_with(" - vCard") {
                set_path(&mut m, href, warn);
            }
        }
        return m;
    } else if class("media_location") || class("media_live_location") || class("media_venue") {
        let mut m = Media::of_kind(MediaKind::Location);
        let coords = status
            .as_deref()
            .and_then(|s| s.split_once(", "))
            .or_else(|| href.and_then(coords_of_map_link));
        if let Some((lat, lon)) = coords {
            m.attrs
                .push(("latitude".to_string(), lat.trim().to_string()));
            m.attrs
                .push(("longitude".to_string(), lon.trim().to_string()));
        }
        if class("media_venue") {
            if let Some(t) = &title {
                m.attrs.push(("place_name".to_string(), t.clone()));
            }
            if let Some(d) = &description {
                m.attrs.push(("address".to_string(), d.clone()));
            }
        }
        if class("media_live_location") {
            m.attrs.push(("live".to_string(), "true".to_string()));
        }
        return m;
    } else {
        is_file = false;
        let what = el
            .classes()
            .find_map(|c| c.strip_prefix("media_"))
            .unwrap_or("media")
            .to_string();
        Media {
            label: Some(match &title {
                Some(t) => format!("{what}: {t}"),
                None => what,
            }),
            ..Media::of_kind(MediaKind::Unknown)
        }
    };
    if is_file {
        if let Some(p) = description.as_deref().and_then(placeholder_of) {
            m.placeholder = Some(p);
            m.label = description.clone();
        }
        set_path(&mut m, href, warn);
        if let Some(s) = &status {
            for rest in read_status(&mut m, s) {
                if m.kind == MediaKind::Sticker {
                    m.attrs.push(("sticker_emoji".to_string(), rest));
                }
            }
        }
    }
    m
}

/// `lat,lon` from a `https://maps.google.com/maps?q=lat,lon&ll=...` link.
pub(crate) fn coords_of_map_link(href: &str) -> Option<(&str, &str)> {
    let q = href.split_once("q=")?.1;
    let q = q.split('&').next()?;
    q.split_once(',')
}

/// `278 votes`, `1 vote`, `No votes`.
fn votes(text: &str) -> Option<u64> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("no votes") {
        return Some(0);
    }
    t.split_whitespace().next()?.parse().ok()
}

/// A poll: question, "Final results" or not, answers with their votes, total votes.
fn poll_of(block: ElementRef<'_>) -> Media {
    let question = child(block, &["question"])
        .map(|q| normalize::clean_text(&plain_text(q, |_| false)))
        .unwrap_or_default();
    let closed = block
        .child_elements()
        .find(|c| has_class(c.value(), "details") && !has_class(c.value(), "total"))
        .map(|d| flat_text(d, |_| false) == "Final results");
    let mut answers = Vec::new();
    for answer in block
        .child_elements()
        .filter(|c| has_class(c.value(), "answer"))
    {
        let text = flat_text(answer, |el| has_class(el, "details"));
        let text = text.strip_prefix("- ").unwrap_or(&text).to_string();
        let details = child_text(answer, &["details"]);
        answers.push(PollAnswer {
            text,
            voters: details.as_deref().and_then(votes),
            chosen: details.as_deref().map(|d| d.contains("chosen vote")),
        });
    }
    let total_voters = child_text(block, &["total"]).as_deref().and_then(votes);
    Media {
        poll: Some(Poll {
            question,
            closed,
            total_voters,
            answers,
        }),
        ..Media::of_kind(MediaKind::Poll)
    }
}
