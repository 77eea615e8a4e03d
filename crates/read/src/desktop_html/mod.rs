//! Telegram Desktop HTML exports (`messages.html`, `messages2.html`, ...).
//!
//! Telegram Desktop writes a chat's history as pages of at most 1,000 messages each. A page is
//! read whole (its tree is bounded by that limit) and turned into posts, service events and
//! warnings; the tree is dropped before the first item is handed out. What one page needs from
//! the page before it (the sender of a first `joined` message, the chat's title) travels in a
//! [`Carry`].
//!
//! Facts of the format this reader relies on (from Telegram Desktop's `export_output_html.cpp`
//! and real exports):
//! - a message is `div.message.default#message<ID>`; a service message is
//!   `div.message.service#message<ID>`, and a day separator is a service message with a
//!   negative id;
//! - a `joined` message omits `div.from_name` (same sender, same day, within 15 minutes), and a
//!   joined forward also omits the forward's name and date;
//! - the time is in `div.pull_right.date.details[title]` as `DD.MM.YYYY HH:MM:SS UTC+HH:MM`
//!   (older exports: no offset). The offset written is the exporting computer's standard-time
//!   offset even when daylight saving time was in effect (Qt's
//!   `displayName(QTimeZone::StandardTime, ...)`), so in a zone with daylight saving time the
//!   summer times read one hour late. Such a time is never given as observed: it is an
//!   [`InferredDate`] with basis [`DateBasis::HtmlExportTime`] (the UTC time as read, the
//!   `title` as evidence), and the reader warns once per page (each page is a capture of its
//!   own);
//! - a forward is `div.forwarded.body` holding its own `div.from_name` with the original date
//!   in `span.date.details[title]`, and the forwarded content (reply, media, text, signature);
//! - the HTML export marks no edits and no reactions (these stay unknown here).

pub mod media;
pub mod offsets;
pub mod rich;
pub mod service;
pub mod stamp;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use chrono::FixedOffset;
use scraper::{ElementRef, Html, Selector};
use tgscope_model::{
    CapturedPost, ChannelRef, DateBasis, Forward, InferredDate, Location, Media, MediaKind,
    ReadItem, Reply, Sender, ServiceEvent,
};

use crate::error::ReadError;
use media::{child, media_of};
use offsets::Offsets;
use rich::{flat_text, has_class};
use stamp::{Stamp, parse_day, parse_stamp};

/// The largest page read (a page of 1,000 messages is a few megabytes).
pub const MAX_PAGE_BYTES: usize = 64 << 20;

/// The name Telegram Desktop writes for an account or chat without a name.
const DELETED_NAMES: &[&str] = &["Deleted Account", "Deleted"];

/// Options of the Desktop HTML reader.
#[derive(Debug, Clone, Default)]
pub struct HtmlOptions {
    /// State carried from the previous page of the same export.
    pub carry: Option<Carry>,
    /// UTC offset of the computer that made an old export (one whose dates carry no offset):
    /// with it, those dates become observed UTC times.
    pub utc_offset: Option<FixedOffset>,
}

/// State carried from the previous page of the same export (`messages.html` ->
/// `messages2.html`): the last sender (for a first `joined` message), the chat title.
#[derive(Debug, Clone, Default)]
pub struct Carry {
    /// The sender of the last message read.
    pub sender: Option<Sender>,
    /// The chat's title as the pages name it.
    pub chat_title: Option<String>,
    /// The forward of the last message read (name only), for a joined forward.
    pub forward: Option<Forward>,
    /// The bot the last message was sent via.
    pub via_bot: Option<String>,
}

/// Reads one page of a Telegram Desktop HTML export.
#[derive(Debug)]
pub struct DesktopHtmlReader {
    items: VecDeque<Result<ReadItem, ReadError>>,
    channel: Option<ChannelRef>,
    carry: Carry,
}

/// True when the start of a file looks like a page of a Telegram Desktop HTML chat export.
pub fn looks_like_page(head: &str) -> bool {
    let chat = head.contains("chat_page")
        || head.contains("class=\"message default")
        || head.contains("class=\"message service");
    let export = head.contains("Exported Data")
        || head.contains("class=\"page_wrap\"")
        || head.contains("class=\"history\"");
    chat && export
}

/// Selectors used on every page.
struct Selectors {
    header: Selector,
    history: Selector,
    message: Selector,
}

impl Selectors {
    fn new() -> Option<Selectors> {
        Some(Selectors {
            header: Selector::parse(".page_header .text").ok()?,
            history: Selector::parse("div.history").ok()?,
            message: Selector::parse("div.message").ok()?,
        })
    }
}

impl DesktopHtmlReader {
    /// Reads one page from its bytes (a page holds at most 1,000 messages, so a tree per page
    /// is bounded). `file_name` names the page in locators (`messages2.html#message123`).
    pub fn new(page: &[u8], file_name: &str, options: HtmlOptions) -> DesktopHtmlReader {
        let mut carry = options.carry.clone().unwrap_or_default();
        let mut items = VecDeque::new();
        if page.len() > MAX_PAGE_BYTES {
            items.push_back(Err(ReadError::Malformed {
                byte: MAX_PAGE_BYTES as u64,
                reason: format!(
                    "{file_name}: a page of {} bytes is larger than any Telegram Desktop page \
                     ({MAX_PAGE_BYTES} bytes at most are read)",
                    page.len()
                ),
            }));
            return DesktopHtmlReader {
                items,
                channel: carry.chat_title.as_deref().map(channel_titled),
                carry,
            };
        }
        let (text, warning) = offsets::page_text(page, file_name);
        if let Some(w) = warning {
            items.push_back(Ok(ReadItem::Warning(w)));
        }
        let mut page_reader = Page {
            file_name,
            options: &options,
            carry: &mut carry,
            items: &mut items,
            offsets: Offsets::scan(page),
            day: None,
            warned_local: false,
            warned_offset: false,
        };
        let title = page_reader.read(&text);
        if !page.trim_ascii_end().ends_with(b"</html>") {
            items.push_back(Ok(ReadItem::Warning(format!(
                "{file_name}: the page does not end with </html>: it may be truncated, and its \
                 last message incomplete"
            ))));
        }
        if title.is_some() {
            carry.chat_title = title;
        }
        DesktopHtmlReader {
            items,
            channel: carry.chat_title.as_deref().map(channel_titled),
            carry,
        }
    }

    /// The chat as the page header names it (`.page_header .text`), kind unknown.
    pub fn channel(&self) -> Option<ChannelRef> {
        self.channel.clone()
    }

    /// The state to pass to the next page's reader.
    pub fn carry(&self) -> Carry {
        self.carry.clone()
    }
}

impl Iterator for DesktopHtmlReader {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.items.pop_front()
    }
}

/// A channel known by its title only.
fn channel_titled(title: &str) -> ChannelRef {
    ChannelRef {
        title: Some(title.to_string()),
        ..ChannelRef::default()
    }
}

/// A name as the export writes it: `None` for deleted accounts and empty names.
fn name_of(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty() && !DELETED_NAMES.contains(&t)).then(|| t.to_string())
}

/// Splits `Name via @bot` into the name and the bot's username.
fn split_via(text: &str) -> (String, Option<String>) {
    let t = text.trim();
    if let Some((name, bot)) = t.rsplit_once(" via @")
        && !bot.is_empty()
        && bot.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return (name.trim().to_string(), Some(bot.to_string()));
    }
    (t.to_string(), None)
}

/// The reading of one page.
struct Page<'p> {
    file_name: &'p str,
    options: &'p HtmlOptions,
    carry: &'p mut Carry,
    items: &'p mut VecDeque<Result<ReadItem, ReadError>>,
    offsets: Offsets,
    /// The day of the last day separator.
    day: Option<chrono::NaiveDate>,
    /// Whether the "no UTC offset" warning was given on this page.
    warned_local: bool,
    /// Whether the note on standard-time offsets was given on this page.
    warned_offset: bool,
}

impl Page<'_> {
    /// A warning about the page as a whole, prefixed with the page's name.
    fn warn(&mut self, text: String) {
        self.items
            .push_back(Ok(ReadItem::Warning(format!("{}: {text}", self.file_name))));
    }

    /// A warning about one element, prefixed with its locator (`messages.html#message12`).
    fn warn_at(&mut self, place: &str, text: &str) {
        self.items
            .push_back(Ok(ReadItem::Warning(format!("{place}: {text}"))));
    }

    /// Reads the page; returns the chat title its header gives.
    fn read(&mut self, text: &str) -> Option<String> {
        let Some(sel) = Selectors::new() else {
            self.items.push_back(Err(ReadError::Malformed {
                byte: 0,
                reason: "internal: a selector did not parse".to_string(),
            }));
            return None;
        };
        if let Err(deep) = crate::nesting::check(text) {
            self.items.push_back(Err(ReadError::TooDeep(deep)));
            return None;
        }
        let doc = Html::parse_document(text);
        let title = doc
            .select(&sel.header)
            .next()
            .map(|h| flat_text(h, |_| false))
            .filter(|t| !t.is_empty());
        if doc.select(&sel.history).next().is_none() {
            self.items.push_back(Err(ReadError::Malformed {
                byte: 0,
                reason: format!(
                    "{}: not a Telegram Desktop chat page (no div.history element)",
                    self.file_name
                ),
            }));
            return title;
        }
        for el in doc.select(&sel.message) {
            let v = el.value();
            if has_class(v, "service") {
                self.service(el);
            } else if has_class(v, "default") {
                self.message(el);
            } else {
                let place = format!("{}#{}", self.file_name, v.id().unwrap_or("?"));
                let text = format!(
                    "a message of an unknown kind (classes {:?}); skipped",
                    v.attr("class").unwrap_or_default()
                );
                self.warn_at(&place, &text);
            }
        }
        title
    }

    /// The message id of an element (`message123` -> 123), and its place in the page.
    fn place(&mut self, el: ElementRef<'_>) -> (Option<i64>, Location) {
        let id_attr = el.value().id().unwrap_or_default().to_string();
        let id = id_attr
            .strip_prefix("message")
            .and_then(|n| n.parse::<i64>().ok());
        let (byte_start, byte_end) = if id_attr.is_empty() {
            (0, 0)
        } else {
            self.offsets.take(&id_attr)
        };
        let locator = if id_attr.is_empty() {
            None
        } else {
            Some(format!("{}#{id_attr}", self.file_name))
        };
        (
            id,
            Location {
                line_start: 0,
                line_end: 0,
                byte_start,
                byte_end,
                locator,
            },
        )
    }

    /// A service message: a day separator (skipped), an unsupported message, or an event.
    fn service(&mut self, el: ElementRef<'_>) {
        let (id, location) = self.place(el);
        let body = child(el, &["body"]).unwrap_or(el);
        let text = flat_text(body, |_| false);
        if let Some(day) = parse_day(&text) {
            self.day = Some(day);
            return;
        }
        if id.is_none_or(|i| i <= 0) || stamp::looks_like_day(&text) {
            // Day separators and "No exported messages" carry negative ids.
            return;
        }
        if text.starts_with("This message is not supported") {
            let post = CapturedPost {
                message_id: id,
                raw_text: text.clone(),
                media: vec![Media {
                    label: Some("unsupported message".to_string()),
                    ..Media::of_kind(MediaKind::Unknown)
                }],
                location,
                ..CapturedPost::default()
            };
            self.items.push_back(Ok(ReadItem::Post(Box::new(post))));
            return;
        }
        let linked = body
            .descendent_elements()
            .filter(|a| a.value().name() == "a")
            .find_map(|a| {
                service::linked_message(a.value().attr("href"), a.value().attr("onclick"))
            });
        let action = service::classify(&text, linked);
        let mut details = action.details;
        if let Some(day) = self.day {
            details.push(("day".to_string(), day.format("%Y-%m-%d").to_string()));
        }
        let event = ServiceEvent {
            channel: None,
            message_id: id,
            date: None,
            actor: action
                .actor
                .as_deref()
                .and_then(name_of)
                .map(|name| Sender {
                    name: Some(name),
                    id: None,
                }),
            action: action.action,
            text,
            details,
            location,
        };
        self.items.push_back(Ok(ReadItem::Event(Box::new(event))));
        // A service message ends a run of joined messages.
        self.carry.sender = None;
        self.carry.forward = None;
        self.carry.via_bot = None;
    }

    /// Observed or inferred time of a stamp, with the warnings it calls for.
    fn time_of(&mut self, stamp: &Stamp, title: &str) -> (Option<String>, Option<InferredDate>) {
        if let Some(offset) = &stamp.offset_text {
            if !self.warned_offset {
                self.warned_offset = true;
                self.warn(format!(
                    "times are read with the offset the export writes ({offset}); Telegram \
                     Desktop writes the exporting computer's standard-time offset even for \
                     times in daylight saving time, so if that computer's time zone observes \
                     daylight saving time, its summer times read one hour later than they were: \
                     they are kept as inferred dates (basis html_export_time), and a JSON export \
                     of the same messages replaces them with their exact times"
                ));
            }
            let inferred = stamp.utc(None).map(|utc| InferredDate {
                date: utc,
                basis: DateBasis::HtmlExportTime,
                evidence: title.trim().to_string(),
                detail: Some(format!(
                    "Desktop HTML export time read with its written offset {offset}, the \
                     exporting computer's standard-time offset: may be an hour off in summer"
                )),
            });
            return (None, inferred);
        }
        if let Some(utc) = stamp.utc(self.options.utc_offset) {
            return (Some(utc), None);
        }
        if !self.warned_local {
            self.warned_local = true;
            self.warn(
                "the dates of this page carry no UTC offset: they are the exporting computer's \
                 local time, offset unknown (give the offset to read them as observed times); \
                 forward dates are left out"
                    .to_string(),
            );
        }
        (
            None,
            Some(InferredDate {
                date: stamp.local_text(),
                basis: DateBasis::ExportLocalTime,
                evidence: title.trim().to_string(),
                detail: Some("local time of the exporting computer, offset unknown".to_string()),
            }),
        )
    }

    /// A message: sender (carried for a joined one), time, forward, reply, media, text,
    /// signature.
    fn message(&mut self, el: ElementRef<'_>) {
        let (id, location) = self.place(el);
        let place = location
            .locator
            .clone()
            .unwrap_or_else(|| "a message".to_string());
        let joined = has_class(el.value(), "joined");
        let body = child(el, &["body"]).unwrap_or(el);
        let mut post = CapturedPost {
            message_id: id,
            location,
            ..CapturedPost::default()
        };
        if id.is_none() {
            self.warn_at(&place, "a message without a numeric id");
        }
        // Time.
        match child(body, &["date", "details"]).and_then(|d| d.value().attr("title")) {
            Some(title) => match parse_stamp(title) {
                Some(stamp) => {
                    let (date, inferred) = self.time_of(&stamp, title);
                    post.date = date;
                    post.date_inferred = inferred;
                }
                None => self.warn_at(&place, &format!("unreadable date {title:?}")),
            },
            None => self.warn_at(&place, "no date"),
        }
        // Sender: the from_name, else (joined) the one before.
        match child(body, &["from_name"]) {
            Some(from) => {
                let (name, via) = split_via(&flat_text(from, |_| false));
                post.sender = Some(Sender {
                    name: name_of(&name),
                    id: None,
                });
                post.via_bot = via;
            }
            None if joined => {
                post.sender = self.carry.sender.clone();
                post.via_bot = self.carry.via_bot.clone();
                if post.sender.is_none() {
                    self.warn_at(
                        &place,
                        "a joined message with no message before it to take its sender from",
                    );
                }
            }
            None => {}
        }
        // Forward: its own from_name and original date, or (joined) the one before.
        let forwarded = child(body, &["forwarded", "body"]);
        if let Some(fwd) = forwarded {
            let (forward, via) = self.forward_of(fwd, &place);
            post.forward = Some(forward);
            // A forward names its bot in its own header, not in the sender's.
            if via.is_some() {
                post.via_bot = via;
            }
        }
        let container = forwarded.unwrap_or(body);
        let part = |classes: &[&str]| child(container, classes).or_else(|| child(body, classes));
        // Reply.
        if let Some(reply) = part(&["reply_to"]) {
            let linked = reply
                .descendent_elements()
                .filter(|a| a.value().name() == "a")
                .find_map(|a| {
                    service::linked_message(a.value().attr("href"), a.value().attr("onclick"))
                });
            post.reply_to = Some(Reply {
                message_id: linked,
                chat_id: None,
            });
        }
        // Media.
        let mut warnings = Vec::new();
        for wrap in container
            .child_elements()
            .filter(|c| has_class(c.value(), "media_wrap"))
        {
            post.media.extend(media_of(wrap, &mut |w| warnings.push(w)));
        }
        for w in warnings {
            self.warn_at(&place, &w);
        }
        // Text.
        if let Some(text_el) = part(&["text"]) {
            let rich = rich::rich(text_el);
            rich::fill_text(&mut post, &rich);
            post.raw_text = layout_trimmed(tgscope_model::source_text(&rich.raw).0).to_string();
        }
        // Signature.
        if let Some(sig) = part(&["signature"]) {
            post.author = Some(flat_text(sig, |_| false)).filter(|s| !s.is_empty());
        }
        self.carry.sender = post.sender.clone();
        self.carry.via_bot = post.via_bot.clone();
        self.carry.forward = post.forward.as_ref().map(|f| Forward {
            date: None,
            ..f.clone()
        });
        self.items.push_back(Ok(ReadItem::Post(Box::new(post))));
    }

    /// The forward of a `div.forwarded.body`: its name (without the date span and any
    /// `via @bot`) and original date, and the bot it names; a joined forward takes the name of
    /// the one before.
    fn forward_of(&mut self, fwd: ElementRef<'_>, place: &str) -> (Forward, Option<String>) {
        let Some(from) = child(fwd, &["from_name"]) else {
            let carried = self.carry.forward.clone();
            if carried.is_none() {
                self.warn_at(
                    place,
                    "a joined forward with no forward before it to take its source from",
                );
            }
            return (carried.unwrap_or_default(), None);
        };
        let name = flat_text(from, |el| has_class(el, "date") || has_class(el, "details"));
        let (name, via) = split_via(&name);
        let mut forward = Forward {
            title: name_of(&name),
            ..Forward::default()
        };
        if let Some(stamp) = from
            .descendent_elements()
            .find(|e| has_class(e.value(), "date"))
            .and_then(|e| e.value().attr("title"))
            .and_then(parse_stamp)
        {
            forward.date = stamp.utc(self.options.utc_offset);
        }
        (forward, via)
    }
}

/// The text of a `div.text` without the line break and indentation the export puts around it.
fn layout_trimmed(raw: &str) -> &str {
    let s = raw.strip_prefix('\n').unwrap_or(raw);
    let s = s.strip_prefix("\r\n").unwrap_or(s);
    let end = s.trim_end_matches([' ', '\t']);
    end.strip_suffix('\n').unwrap_or(end)
}
