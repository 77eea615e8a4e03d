//! One message element of a page (`div.tgme_widget_message`): a post, or a service event.

use std::collections::VecDeque;

use chrono::{DateTime, FixedOffset, Utc};
use scraper::ElementRef;
use tgscope_model::{
    CapturedPost, ChannelRef, Forward, Location, Media, MediaKind, Placeholder, ReadItem, Reply,
    Sender, ServiceEvent,
};

use super::address::{TmeLink, parse_data_post, parse_tme_link};
use super::body::body_rich;
use super::counts::parse_count;
use super::header::first_with_class;
use super::media::{
    album_of, is_media, media_of, not_supported_label, placeholder_of, reactions_of,
};
use super::service::classify_service;
use crate::ReadError;
use crate::desktop_html::offsets::Offsets;
use crate::desktop_html::rich::{fill_text, flat_text, has_class, walk};

/// Where the message elements sit in the page's bytes.
pub struct ElementOffsets {
    /// The elements with a `data-post`, by its value.
    pub by_post: Offsets,
    /// The single-message widgets without one (`id="widget_message"`), by their id.
    pub by_id: Offsets,
}

/// The line numbers of a page's bytes.
pub struct Lines {
    /// Where each `\n` is.
    newlines: Vec<u64>,
}

impl Lines {
    /// Finds the lines of `page`.
    pub fn scan(page: &[u8]) -> Lines {
        Lines {
            newlines: memchr::memchr_iter(b'\n', page).map(|i| i as u64).collect(),
        }
    }

    /// The line (1-based) holding the byte at `byte`.
    fn line_of(&self, byte: u64) -> u64 {
        1 + self.newlines.partition_point(|&n| n < byte) as u64
    }
}

/// What every message of a page needs from the page.
pub struct PageState<'p> {
    /// The page's channel (username and title, as the header or the posts name it).
    pub channel: &'p ChannelRef,
    /// Where each message element sits in the page's bytes.
    pub offsets: ElementOffsets,
    /// The page's lines.
    pub lines: Lines,
    /// What the reader hands out.
    pub items: &'p mut VecDeque<Result<ReadItem, ReadError>>,
    /// How many message elements were read (for the locators of elements without an id).
    pub ordinal: usize,
}

impl PageState<'_> {
    /// A warning about one element, prefixed with its locator.
    fn warn_at(&mut self, place: &str, text: &str) {
        self.items
            .push_back(Ok(ReadItem::Warning(format!("{place}: {text}"))));
    }

    /// The channel a post of `username` belongs to: its username, and the page's title when it
    /// is the page's own channel.
    fn channel_of(&self, username: &str) -> ChannelRef {
        let own = self
            .channel
            .username
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case(username));
        ChannelRef {
            username: Some(username.to_string()),
            title: if own {
                self.channel.title.clone()
            } else {
                None
            },
            ..ChannelRef::default()
        }
    }
}

/// The parts of a message one walk over it finds. Nothing is taken from a nested message, from
/// the hidden fallback `.media_not_supported_cont`, or from inside a reply quote.
#[derive(Default)]
pub struct Parts<'a> {
    text: Option<ElementRef<'a>>,
    reply: Option<ElementRef<'a>>,
    forwarded: Option<ElementRef<'a>>,
    author_name: Option<ElementRef<'a>>,
    views: Option<ElementRef<'a>>,
    voters: Option<ElementRef<'a>>,
    meta: Option<ElementRef<'a>>,
    date_link: Option<ElementRef<'a>>,
    from_author: Option<ElementRef<'a>>,
    /// The `time[datetime]` of the date link.
    time: Option<ElementRef<'a>>,
    /// Any other `time[datetime]`, should the date link lack one.
    other_time: Option<ElementRef<'a>>,
    reactions: Option<ElementRef<'a>>,
    service_photo: Option<String>,
    /// The media and placeholders, in page order.
    pub media: Vec<Media>,
    /// The first t.me link of a media widget (a fragment's only clue to its post).
    pub media_link: Option<TmeLink>,
}

/// Walks `root` once and sorts what it holds into [`Parts`].
pub fn collect(root: ElementRef<'_>) -> Parts<'_> {
    let mut parts = Parts::default();
    walk(
        root,
        |node| {
            let Some(el) = ElementRef::wrap(node) else {
                return false;
            };
            let v = el.value();
            let class = |c: &str| has_class(v, c);
            if class("tgme_widget_message")
                || class("media_not_supported_cont")
                || class("tgme_widget_message_user")
                || class("tgme_widget_message_bubble_tail")
                || class("tgme_widget_message_service_date_wrap")
                || class("message_media_view_in_telegram")
                || class("tgme_widget_message_link")
                || matches!(v.name(), "script" | "style" | "svg" | "head")
            {
                return false;
            }
            if class("tgme_widget_message_reply") {
                parts.reply.get_or_insert(el);
                return false;
            }
            if class("tgme_widget_message_forwarded_from") {
                parts.forwarded.get_or_insert(el);
                return false;
            }
            if class("tgme_widget_message_author") {
                if parts.author_name.is_none() {
                    parts.author_name = first_with_class(el, "tgme_widget_message_author_name");
                }
                return false;
            }
            if class("tgme_widget_message_text") {
                parts.text.get_or_insert(el);
                // Broken markup may nest the footer in the text: look inside too.
                return true;
            }
            if class("tgme_widget_message_grouped_wrap") {
                if parts.media_link.is_none() {
                    parts.media_link = first_link(el);
                }
                parts.media.extend(album_of(el));
                return false;
            }
            if is_media(el) {
                if parts.media_link.is_none() {
                    parts.media_link = v.attr("href").and_then(parse_tme_link);
                }
                parts.media.extend(media_of(el));
                return false;
            }
            if class("message_media_not_supported_wrap") || class("message_media_not_supported") {
                if let Some(label) = not_supported_label(el) {
                    parts.media.push(match placeholder_of(&label) {
                        Some(p) => Media::placeholder(MediaKind::Unknown, p, &label),
                        None => Media {
                            label: Some(label),
                            ..Media::of_kind(MediaKind::Unknown)
                        },
                    });
                }
                return false;
            }
            if class("tgme_widget_message_reactions") {
                parts.reactions.get_or_insert(el);
                return false;
            }
            if class("tgme_widget_message_views") {
                parts.views.get_or_insert(el);
                return false;
            }
            if class("tgme_widget_message_voters") {
                parts.voters.get_or_insert(el);
                return false;
            }
            if class("tgme_widget_message_from_author") {
                parts.from_author.get_or_insert(el);
                return false;
            }
            if class("tgme_widget_message_date") {
                parts.date_link.get_or_insert(el);
                if parts.time.is_none() {
                    parts.time = el.descendent_elements().find(|t| {
                        t.value().name() == "time" && t.value().attr("datetime").is_some()
                    });
                }
                return false;
            }
            if class("tgme_widget_message_meta") {
                parts.meta.get_or_insert(el);
                return true;
            }
            if class("tgme_widget_message_service_photo") {
                if parts.service_photo.is_none() {
                    parts.service_photo = el
                        .descendent_elements()
                        .find_map(|i| i.value().attr("src").map(str::to_string))
                        .or_else(|| v.attr("style").and_then(super::media::background_url));
                }
                return false;
            }
            if v.name() == "time" && v.attr("datetime").is_some() {
                parts.other_time.get_or_insert(el);
                return false;
            }
            true
        },
        |_| {},
    );
    parts
}

/// The first t.me link on or under `el`.
fn first_link(el: ElementRef<'_>) -> Option<TmeLink> {
    std::iter::once(el)
        .chain(el.descendent_elements())
        .find_map(|e| e.value().attr("href").and_then(parse_tme_link))
}

/// A `datetime` attribute (`2023-02-27T07:20:50+00:00`) as RFC 3339 UTC.
pub fn utc_time(text: &str) -> Option<String> {
    let text = text.trim();
    let at: DateTime<FixedOffset> = DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z"))
        .ok()?;
    Some(
        at.with_timezone(&Utc)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
    )
}

/// Where a message came from: its channel and id (from `data-post`, else from its date link),
/// its place in the page, and the locator its warnings name.
struct Identity {
    username: Option<String>,
    id: Option<i64>,
    location: Location,
    place: String,
}

fn identity(el: ElementRef<'_>, parts: &Parts<'_>, state: &mut PageState<'_>) -> Identity {
    state.ordinal += 1;
    let data_post = el.value().attr("data-post").map(str::trim);
    let from_link = || {
        let link = parts
            .date_link
            .and_then(|a| a.value().attr("href"))
            .and_then(parse_tme_link)?;
        Some((link.username?, link.message_id?))
    };
    let found = data_post.and_then(parse_data_post).or_else(from_link);
    let (username, id) = match found {
        Some((u, i)) => (Some(u), Some(i)),
        // A `data-post` without a readable id still names the channel.
        None => (
            data_post
                .and_then(|v| v.split_once('/'))
                .map(|(u, _)| u.trim())
                .filter(|u| {
                    !u.is_empty() && u.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
                .map(str::to_string),
            None,
        ),
    };
    let (byte_start, byte_end) = match (data_post, el.value().id()) {
        (Some(value), _) => state.offsets.by_post.take(value),
        (None, Some(id)) => state.offsets.by_id.take(id),
        (None, None) => (0, 0),
    };
    let locator = match (data_post, &username, id) {
        (Some(value), _, _) => format!("data-post={value}"),
        (None, Some(u), Some(i)) => format!("t.me/{u}/{i}"),
        _ => format!("message element {}", state.ordinal),
    };
    // Lines of the element's first and last bytes (unknown when the element was not found).
    let (line_start, line_end) = if byte_end > byte_start {
        (
            state.lines.line_of(byte_start),
            state.lines.line_of(byte_end - 1),
        )
    } else {
        (0, 0)
    };
    Identity {
        username,
        id,
        location: Location {
            line_start,
            line_end,
            byte_start,
            byte_end,
            locator: Some(locator.clone()),
        },
        place: locator,
    }
}

/// Reads one message element into a post or a service event, with its warnings.
pub fn read_message(el: ElementRef<'_>, state: &mut PageState<'_>) {
    let parts = collect(el);
    let who = identity(el, &parts, state);
    if who.id.is_none() {
        let why = match el.value().attr("data-post") {
            Some(value) => format!("its data-post {value:?} holds no post id"),
            None => "it has no data-post attribute".to_string(),
        };
        state.warn_at(
            &who.place,
            &format!("a message without a post id: {why}, and no date link names one"),
        );
    }
    let channel = who.username.as_deref().map(|u| state.channel_of(u));
    let date = time_of(&parts, &who.place, state);
    if has_class(el.value(), "service_message") {
        let event = service_event(&parts, &who, channel, date);
        state.items.push_back(Ok(ReadItem::Event(Box::new(event))));
        return;
    }
    let mut post = CapturedPost {
        channel,
        message_id: who.id,
        date,
        location: who.location.clone(),
        ..CapturedPost::default()
    };
    fill_post(&mut post, parts, who.username.as_deref());
    state.items.push_back(Ok(ReadItem::Post(Box::new(post))));
}

/// The observed time of a message, with a warning when it has none or an unreadable one.
fn time_of(parts: &Parts<'_>, place: &str, state: &mut PageState<'_>) -> Option<String> {
    let Some(datetime) = parts
        .time
        .or(parts.other_time)
        .and_then(|t| t.value().attr("datetime"))
    else {
        state.warn_at(place, "no time (no time[datetime] element)");
        return None;
    };
    let utc = utc_time(datetime);
    if utc.is_none() {
        state.warn_at(place, &format!("unreadable time {datetime:?}"));
    }
    utc
}

/// Fills a post from the parts of its message: text, forward, reply, media, footer.
pub fn fill_post(post: &mut CapturedPost, parts: Parts<'_>, username: Option<&str>) {
    if let Some(text_el) = parts.text {
        let rich = body_rich(text_el);
        fill_text(post, &rich);
        post.raw_text = tgscope_model::source_text(&rich.raw).0.trim().to_string();
    }
    post.forward = parts.forwarded.map(forward_of);
    post.reply_to = parts.reply.map(|reply| {
        let link = reply.value().attr("href").and_then(parse_tme_link);
        // A reply to a post of another chat keeps no id: ids are per channel.
        let same_channel = |l: &TmeLink| {
            l.username
                .as_deref()
                .zip(username)
                .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
        };
        Reply {
            message_id: link.filter(same_channel).and_then(|l| l.message_id),
            chat_id: None,
        }
    });
    post.sender = parts.author_name.map(|a| Sender {
        name: Some(flat_text(a, |_| false)).filter(|n| !n.is_empty()),
        id: None,
    });
    post.views = parts
        .views
        .and_then(|v| parse_count(&flat_text(v, |_| false)));
    post.author = parts
        .from_author
        .map(|a| flat_text(a, |_| false))
        .filter(|a| !a.is_empty());
    post.edited = Some(parts.meta.is_some_and(|meta| {
        let words = flat_text(meta, |e| {
            has_class(e, "tgme_widget_message_from_author")
                || has_class(e, "tgme_widget_message_date")
        })
        .to_lowercase();
        words
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w == "edited" || w == "изменено")
    }));
    post.reactions = parts.reactions.map(reactions_of).unwrap_or_default();
    let voters = parts
        .voters
        .and_then(|v| parse_count(&flat_text(v, |_| false)));
    post.media = parts.media;
    for m in &mut post.media {
        if let Some(poll) = m.poll.as_mut() {
            poll.total_voters = voters;
        }
    }
    post.unviewable = post.text.is_empty()
        && !post.media.is_empty()
        && post
            .media
            .iter()
            .all(|m| m.placeholder == Some(Placeholder::OpenInTelegram));
}

/// The forward header: the origin's name, and its username and post id when the name links to
/// `https://t.me/<origin>/<id>` (a hidden user's name has no link). The origin post's author
/// (`.tgme_widget_message_forwarded_from_author`) has no place in a [`Forward`] and is not
/// kept in it.
fn forward_of(fwd: ElementRef<'_>) -> Forward {
    let name_el = first_with_class(fwd, "tgme_widget_message_forwarded_from_name");
    let title = match name_el {
        Some(n) => flat_text(n, |_| false),
        None => {
            let text = flat_text(fwd, |e| {
                has_class(e, "tgme_widget_message_forwarded_from_author")
            });
            text.strip_prefix("Forwarded from")
                .unwrap_or(&text)
                .trim()
                .to_string()
        }
    };
    let link = name_el
        .and_then(|n| n.value().attr("href"))
        .and_then(parse_tme_link)
        .unwrap_or_default();
    Forward {
        title: Some(title).filter(|t| !t.is_empty()),
        username: link.username,
        message_id: link.message_id,
        date: None,
        sender_id: link.channel_id.map(|id| format!("channel{id}")),
    }
}

/// A service message ("Channel photo updated") as an event.
fn service_event(
    parts: &Parts<'_>,
    who: &Identity,
    channel: Option<ChannelRef>,
    date: Option<String>,
) -> ServiceEvent {
    let text = match parts.text {
        Some(t) => crate::desktop_html::rich::finish(&body_rich(t)).0,
        None => String::new(),
    };
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // A link in the sentence to a post of the same channel is the post it concerns.
    let linked = parts.text.and_then(|t| {
        t.descendent_elements()
            .filter_map(|a| a.value().attr("href"))
            .filter_map(parse_tme_link)
            .find(|l| {
                l.username
                    .as_deref()
                    .zip(who.username.as_deref())
                    .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
            })
            .and_then(|l| l.message_id)
    });
    let action = classify_service(&flat, linked);
    let mut details = action.details;
    if let Some(photo) = &parts.service_photo {
        details.push(("photo".to_string(), photo.clone()));
    }
    ServiceEvent {
        channel,
        message_id: who.id,
        date,
        actor: action.actor.map(|name| Sender {
            name: Some(name),
            id: None,
        }),
        action: action.action,
        text,
        details,
        location: who.location.clone(),
    }
}
