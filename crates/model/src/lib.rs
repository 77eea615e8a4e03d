//! Domain types of tgscope: the words the rest of the pipeline speaks.
//!
//! Place in the pipeline: the bottom. Every other crate imports these types; this crate imports
//! none of them and does no I/O.
//!
//! Main types:
//! - [`CapturedPost`]: one post as a reader saw it in one capture (clean and raw text, forward,
//!   media, links, tags, dates, and where in the capture it came from). Readers produce these; the
//!   engine reconciles them into the archive.
//! - [`ChannelRef`]: how a capture names a channel (numeric id, username, title).
//! - [`Forward`], [`Media`], [`Link`], [`Tag`], [`Country`]: what a post carries besides its text.
//! - [`InferredDate`]: a date derived from a post's text or context, always with its basis.
//! - [`CaptureTime`]: when a capture was made, with its [`CaptureTimeBasis`] (the user, a fetch,
//!   the file itself, or only the ingest time).
//! - [`Format`]: the capture formats tgscope knows.
//!
//! What it does not do: parse, clean, store or search anything.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A capture format that tgscope can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Plain text copied or scraped from a channel page, or Telegram Desktop's copy of messages.
    Text,
    /// Telegram Desktop's JSON export (`result.json`), single chat or whole account.
    DesktopJson,
    /// Telegram Desktop's HTML export (`messages.html`, `messages2.html`, ...).
    DesktopHtml,
    /// A JSON or JSON Lines list of messages as scraping scripts write them (Telethon-style).
    Dump,
    /// A page of a public channel's web preview (`https://t.me/s/<channel>`), saved or fetched
    /// live, a single-post page, or a single message widget.
    TmeHtml,
}

impl Format {
    /// Every format, in the order detection tries them.
    pub const ALL: &'static [Format] = &[
        Format::DesktopJson,
        Format::DesktopHtml,
        Format::TmeHtml,
        Format::Dump,
        Format::Text,
    ];

    /// The stable name used on the command line and in the archive.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::DesktopJson => "desktop-json",
            Format::DesktopHtml => "desktop-html",
            Format::Dump => "dump",
            Format::TmeHtml => "tme-html",
        }
    }

    /// Parses a stable name (as written by [`Format::as_str`]).
    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.iter().copied().find(|f| f.as_str() == name)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a capture names a channel. Any field may be unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChannelRef {
    /// Telegram's numeric id (bare, without the Bot API's `-100` prefix).
    pub tg_id: Option<i64>,
    /// Public username without `@` (case-insensitive; can change over time).
    pub username: Option<String>,
    /// Display title ("Russian MFA 🇷🇺").
    pub title: Option<String>,
    /// What kind of chat it is, as the capture says (`public_channel`, `private_supergroup`,
    /// `personal_chat`, ...).
    pub kind: Option<String>,
}

/// What a capture shows about a channel beyond its name: a web preview page's header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelInfo {
    /// The channel (username and title as the page shows them).
    pub channel: ChannelRef,
    /// Its description, as clean text.
    pub description: Option<String>,
    /// Its subscriber count as the page shows it ("12.3K subscribers" -> 12300).
    pub subscribers: Option<u64>,
}

impl ChannelRef {
    /// A channel known only by a name given by the user or taken from a file name.
    pub fn named(name: &str) -> ChannelRef {
        let name = name.trim().trim_start_matches('@');
        if looks_like_username(name) {
            ChannelRef {
                username: Some(name.to_string()),
                ..ChannelRef::default()
            }
        } else {
            ChannelRef {
                title: Some(name.to_string()),
                ..ChannelRef::default()
            }
        }
    }

    /// The best human name: username, else title, else the numeric id.
    pub fn display_name(&self) -> String {
        if let Some(u) = &self.username {
            return u.clone();
        }
        if let Some(t) = &self.title {
            return t.clone();
        }
        match self.tg_id {
            Some(id) => id.to_string(),
            None => "(unknown)".to_string(),
        }
    }
}

/// True when `s` has the shape of a Telegram username: 4 to 32 ASCII letters, digits and
/// underscores, starting with a letter.
pub fn looks_like_username(s: &str) -> bool {
    let b = s.as_bytes();
    (4..=32).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Where a post was forwarded from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forward {
    /// Display name of the origin ("Russian MFA 🇷🇺"), when the capture shows it.
    pub title: Option<String>,
    /// Username of the origin channel, when known.
    pub username: Option<String>,
    /// The origin post's id in its own channel, when known.
    pub message_id: Option<i64>,
    /// The origin post's date (RFC 3339 UTC), when known.
    pub date: Option<String>,
    /// The origin's Telegram id as the capture writes it (`channel123`, `user456`), when known.
    pub sender_id: Option<String>,
}

/// Who sent a message: a name and a Telegram id as the capture writes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    /// Display name; `None` for deleted or hidden accounts.
    pub name: Option<String>,
    /// Prefixed id (`user123`, `channel123`, `chat123`), when the capture gives one.
    pub id: Option<String>,
}

/// The message a post replies to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// Its message id.
    pub message_id: Option<i64>,
    /// The chat it is in, when that is another chat than the post's.
    pub chat_id: Option<i64>,
}

/// A reaction and how many gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    /// `emoji`, `custom_emoji` or `paid`, as the capture says.
    pub kind: String,
    /// The emoji, for emoji reactions.
    pub emoji: Option<String>,
    /// The custom emoji's document id, for custom emoji reactions.
    pub document_id: Option<String>,
    /// How many reacted so.
    pub count: u64,
}

/// A formatting or meaning entity of the clean text (bold, a text link, a blockquote, ...).
/// Types tgscope does not know are kept with the name the capture gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// The entity's type as the capture names it (`bold`, `text_link`, `pre`, `custom_emoji`).
    pub kind: String,
    /// Where it sits in the clean text.
    pub span: Span,
    /// Extra attributes (`href`, `language`, `document_id`, `collapsed`, `user_id`).
    pub attrs: Vec<(String, String)>,
}

/// A poll and its answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poll {
    /// The question.
    pub question: String,
    /// Whether it is closed.
    pub closed: Option<bool>,
    /// How many voted.
    pub total_voters: Option<u64>,
    /// The answers in order.
    pub answers: Vec<PollAnswer>,
}

/// One answer of a poll.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollAnswer {
    /// Its text.
    pub text: String,
    /// Votes for it, when known.
    pub voters: Option<u64>,
    /// Whether the exporting account chose it.
    pub chosen: Option<bool>,
}

/// The kind of a media item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// A photo.
    Photo,
    /// A video file.
    Video,
    /// A round video message.
    VideoMessage,
    /// A GIF-like animation.
    Animation,
    /// A voice message.
    Voice,
    /// A music or audio file.
    Audio,
    /// Any other file.
    Document,
    /// A sticker.
    Sticker,
    /// A poll.
    Poll,
    /// A map location or venue.
    Location,
    /// A shared contact.
    Contact,
    /// An album of several items.
    Album,
    /// A link preview (web page card): `attrs` hold `url`, `site_name`, `title`,
    /// `description` as the capture shows them.
    LinkPreview,
    /// Media whose kind the capture does not reveal.
    Unknown,
}

impl MediaKind {
    /// The stable name written to the archive and exports.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Photo => "photo",
            MediaKind::Video => "video",
            MediaKind::VideoMessage => "video_message",
            MediaKind::Animation => "animation",
            MediaKind::Voice => "voice",
            MediaKind::Audio => "audio",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
            MediaKind::Poll => "poll",
            MediaKind::Location => "location",
            MediaKind::Contact => "contact",
            MediaKind::Album => "album",
            MediaKind::LinkPreview => "link_preview",
            MediaKind::Unknown => "unknown",
        }
    }

    /// Parses a stable name.
    pub fn parse(s: &str) -> MediaKind {
        match s {
            "photo" => MediaKind::Photo,
            "video" => MediaKind::Video,
            "video_message" => MediaKind::VideoMessage,
            "animation" => MediaKind::Animation,
            "voice" => MediaKind::Voice,
            "audio" => MediaKind::Audio,
            "document" => MediaKind::Document,
            "sticker" => MediaKind::Sticker,
            "poll" => MediaKind::Poll,
            "location" => MediaKind::Location,
            "contact" => MediaKind::Contact,
            "album" => MediaKind::Album,
            "link_preview" => MediaKind::LinkPreview,
            _ => MediaKind::Unknown,
        }
    }
}

/// Why a capture shows a placeholder instead of a media item or a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placeholder {
    /// "Media is too big" (the web preview does not play it).
    TooBig,
    /// "This media is not supported in your browser".
    NotSupported,
    /// "Please open Telegram to view this post": the whole post is hidden from the web view.
    OpenInTelegram,
    /// The capture names the media ("\[ Photo \]", "(File not included...)") but does not hold
    /// it.
    NotIncluded,
    /// The file was over the export's size limit ("(File exceeds maximum size...)").
    ExceedsLimit,
    /// The file was unavailable when the export was made.
    Unavailable,
}

impl Placeholder {
    /// The stable name written to the archive and exports.
    pub fn as_str(self) -> &'static str {
        match self {
            Placeholder::TooBig => "too_big",
            Placeholder::NotSupported => "not_supported",
            Placeholder::OpenInTelegram => "open_in_telegram",
            Placeholder::NotIncluded => "not_included",
            Placeholder::ExceedsLimit => "exceeds_limit",
            Placeholder::Unavailable => "unavailable",
        }
    }

    /// Parses a stable name.
    pub fn parse(s: &str) -> Option<Placeholder> {
        Some(match s {
            "too_big" => Placeholder::TooBig,
            "not_supported" => Placeholder::NotSupported,
            "open_in_telegram" => Placeholder::OpenInTelegram,
            "not_included" => Placeholder::NotIncluded,
            "exceeds_limit" => Placeholder::ExceedsLimit,
            "unavailable" => Placeholder::Unavailable,
            _ => return None,
        })
    }
}

/// One media item of a post, or a placeholder standing where the capture lacks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Media {
    /// What kind of media it is.
    pub kind: MediaKind,
    /// Set when the capture holds a placeholder instead of the media.
    pub placeholder: Option<Placeholder>,
    /// The interface text the capture shows for it ("Media is too big", "\[ Photo \]").
    pub label: Option<String>,
    /// File name, when known.
    pub file_name: Option<String>,
    /// MIME type, when known.
    pub mime_type: Option<String>,
    /// Size in bytes, when known.
    pub size: Option<u64>,
    /// Duration in seconds, when known.
    pub duration: Option<u32>,
    /// Width in pixels, when known.
    pub width: Option<u32>,
    /// Height in pixels, when known.
    pub height: Option<u32>,
    /// Where the capture holds the file, relative to the capture (an export's `photos/...`).
    pub path: Option<String>,
    /// SHA-256 of the file's bytes, once the archive keeps it.
    pub sha256: Option<String>,
    /// The emoji of a sticker; performer and title of a song; other small facts.
    pub attrs: Vec<(String, String)>,
    /// The poll, for a poll.
    pub poll: Option<Poll>,
}

impl Media {
    /// A media item of `kind` with nothing else known.
    pub fn of_kind(kind: MediaKind) -> Media {
        Media {
            kind,
            placeholder: None,
            label: None,
            file_name: None,
            mime_type: None,
            size: None,
            duration: None,
            width: None,
            height: None,
            path: None,
            sha256: None,
            attrs: Vec::new(),
            poll: None,
        }
    }

    /// A media item of `kind` known only by a placeholder.
    pub fn placeholder(kind: MediaKind, placeholder: Placeholder, label: &str) -> Media {
        Media {
            placeholder: Some(placeholder),
            label: Some(label.to_string()),
            ..Media::of_kind(kind)
        }
    }
}

/// A byte range `[start, end)` in a post's clean text. Both ends lie on char boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// A link in a post. `url` is `None` when the capture kept the label but lost the target
/// ("Read in full", "Watch").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The target, when the capture has it.
    pub url: Option<String>,
    /// The visible text of the link (for a bare URL, the URL itself).
    pub label: String,
    /// Where the link sits in the clean text; `None` for labels kept out of the clean text.
    pub span: Option<Span>,
}

/// A hashtag (without `#`) or a mention (without `@`), with where it sits in the clean text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// The tag as written, without its sigil.
    pub value: String,
    /// Where it sits in the clean text (sigil included).
    pub span: Span,
}

/// A country named by a flag emoji (🇷🇺 -> `RU`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code.
    pub code: String,
    /// Where the flag sits in the clean text.
    pub span: Span,
}

/// How a date was inferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateBasis {
    /// A full date (day, month, year) written in the post's opening lines.
    TextDate,
    /// A day and month in the post's opening lines; the year from the nearest dated posts
    /// around it in the capture (captures list posts in time order).
    TextDayMonthNeighbourYear,
    /// A day separator line of the web view ("February 27") above the post; a separator without
    /// a year takes it from the nearest dated posts around it.
    DaySeparator,
    /// The `Name, [date time]` header of a Telegram Desktop copy: the copier's local time,
    /// offset unknown.
    DesktopCopyHeader,
    /// The `date` of an old Telegram Desktop export that lacks `date_unixtime`: the exporting
    /// computer's local time, offset unknown.
    ExportLocalTime,
    /// The time in a Telegram Desktop HTML export's `title` (`02.03.2024 09:15:00 UTC+02:00`),
    /// read with the offset it writes. Telegram Desktop writes the exporting computer's
    /// *standard-time* offset, also for times in daylight saving time, so in a zone with summer
    /// time a summer time may read an hour late: it is never shown as observed. A JSON export of
    /// the same message (its `date_unixtime`) replaces it.
    HtmlExportTime,
}

impl DateBasis {
    /// The stable name written to the archive and exports.
    pub fn as_str(self) -> &'static str {
        match self {
            DateBasis::TextDate => "text_date",
            DateBasis::TextDayMonthNeighbourYear => "text_day_month_neighbour_year",
            DateBasis::DaySeparator => "day_separator",
            DateBasis::DesktopCopyHeader => "desktop_copy_header",
            DateBasis::ExportLocalTime => "export_local_time",
            DateBasis::HtmlExportTime => "html_export_time",
        }
    }

    /// Parses a stable name.
    pub fn parse(s: &str) -> Option<DateBasis> {
        Some(match s {
            "text_date" => DateBasis::TextDate,
            "text_day_month_neighbour_year" => DateBasis::TextDayMonthNeighbourYear,
            "day_separator" => DateBasis::DaySeparator,
            "desktop_copy_header" => DateBasis::DesktopCopyHeader,
            "export_local_time" => DateBasis::ExportLocalTime,
            "html_export_time" => DateBasis::HtmlExportTime,
            _ => return None,
        })
    }
}

/// A date that the capture does not state as the post's time but that its text or context
/// supports. Never shown as observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InferredDate {
    /// `YYYY-MM-DD`; `YYYY-MM-DDTHH:MM` (local time, no offset) for a Desktop copy header;
    /// `YYYY-MM-DDTHH:MM:SS` (local time, no offset) for an export's local time; an RFC 3339 UTC
    /// time (`2024-03-02T07:15:00Z`) for [`DateBasis::HtmlExportTime`], as read with the
    /// written offset.
    pub date: String,
    /// How it was inferred.
    pub basis: DateBasis,
    /// The text it was inferred from, as written ("Moscow, May 17, 2023").
    pub evidence: String,
    /// More detail on the inference (which neighbours gave the year), when there is any.
    pub detail: Option<String>,
}

/// How the time a capture was made is known, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureTimeBasis {
    /// The user said when it was made (`ingest --captured-at`).
    User,
    /// A collector fetched it over HTTP at that time.
    Fetched,
    /// The capture says it itself (a saved page's own date, the day in an export folder's
    /// name); [`CaptureTime::evidence`] says what.
    File,
    /// Nothing says: the time it was ingested, a last resort (a saved file may be much older).
    Ingested,
}

impl CaptureTimeBasis {
    /// The stable name written to the archive and shown to users.
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureTimeBasis::User => "user",
            CaptureTimeBasis::Fetched => "fetched",
            CaptureTimeBasis::File => "file",
            CaptureTimeBasis::Ingested => "ingested",
        }
    }

    /// Parses a stable name.
    pub fn parse(s: &str) -> Option<CaptureTimeBasis> {
        Some(match s {
            "user" => CaptureTimeBasis::User,
            "fetched" => CaptureTimeBasis::Fetched,
            "file" => CaptureTimeBasis::File,
            "ingested" => CaptureTimeBasis::Ingested,
            _ => return None,
        })
    }
}

/// When a capture was made, and how that is known: the time its view counts and what it shows
/// were observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureTime {
    /// RFC 3339 UTC (`2023-02-28T14:17:15Z`), or a day (`2024-03-01`) when only the day is
    /// known.
    pub at: String,
    /// How it is known.
    pub basis: CaptureTimeBasis,
    /// What says so, as written (`saved date: ...` of a saved page, the export folder's name,
    /// the URL fetched); `None` for the ingest time.
    pub evidence: Option<String>,
}

/// Where in a capture a post was seen: lines for text formats, bytes for every format, and an
/// element path for structured ones (`chats.list[2].messages[17]`, `#message123`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// First line (1-based) of the post in the capture.
    pub line_start: u64,
    /// Last line (1-based, inclusive).
    pub line_end: u64,
    /// First byte of the post in the capture.
    pub byte_start: u64,
    /// One past the last byte.
    pub byte_end: u64,
    /// A path to the element in a structured capture, when there is one.
    pub locator: Option<String>,
}

/// One post as a reader saw it in one capture.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturedPost {
    /// The channel it belongs to when the capture says so; `None` means the capture's channel.
    pub channel: Option<ChannelRef>,
    /// Telegram's message id, when the format gives one.
    pub message_id: Option<i64>,
    /// Observed time of the post (RFC 3339 UTC), when the format gives one.
    pub date: Option<String>,
    /// A date inferred from text or context, when there is one and no observed date.
    pub date_inferred: Option<InferredDate>,
    /// Whether the post was edited (`None` when the format cannot tell).
    pub edited: Option<bool>,
    /// When it was last edited (RFC 3339 UTC), when the format says.
    pub edited_at: Option<String>,
    /// Who sent it (`from` / `from_id` of an export), when the capture says.
    pub sender: Option<Sender>,
    /// The message it replies to.
    pub reply_to: Option<Reply>,
    /// The bot it was sent via.
    pub via_bot: Option<String>,
    /// Where a saved message was saved from.
    pub saved_from: Option<String>,
    /// Reactions with their counts.
    pub reactions: Vec<Reaction>,
    /// Formatting and meaning entities of the clean text.
    pub entities: Vec<Entity>,
    /// View count, when the format shows one.
    pub views: Option<u64>,
    /// Sender or signature, when the capture shows one.
    pub author: Option<String>,
    /// The post's lines exactly as the capture has them (labels and repeats included).
    pub raw_text: String,
    /// The clean text: no interface labels, no repeated blocks, lost link labels removed.
    pub text: String,
    /// Where it was forwarded from, when it is a forward.
    pub forward: Option<Forward>,
    /// Media items and placeholders.
    pub media: Vec<Media>,
    /// Links (with or without a target).
    pub links: Vec<Link>,
    /// Hashtags in the clean text.
    pub hashtags: Vec<Tag>,
    /// Mentions in the clean text.
    pub mentions: Vec<Tag>,
    /// Countries named by flag emoji in the clean text.
    pub countries: Vec<Country>,
    /// True when the capture shows only "Please open Telegram to view this post".
    pub unviewable: bool,
    /// Where in the capture it was seen.
    pub location: Location,
    /// The length in bytes of the text the capture holds, when the reader cut it before
    /// cleaning (to [`MAX_SOURCE_TEXT_BYTES`]); the warning that the text was cut names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_text_bytes: Option<usize>,
}

/// A service message of a chat (created, title changed, message pinned, ...): kept as an event
/// of the channel, not as a post.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceEvent {
    /// The channel it belongs to when the capture says so.
    pub channel: Option<ChannelRef>,
    /// Its message id.
    pub message_id: Option<i64>,
    /// When (RFC 3339 UTC).
    pub date: Option<String>,
    /// Who did it.
    pub actor: Option<Sender>,
    /// What was done (`create_channel`, `edit_group_title`, `pin_message`, ...).
    pub action: String,
    /// The text the capture shows for it.
    pub text: String,
    /// The action's own fields (`title`, `message_id`, `members`, ...), as text.
    pub details: Vec<(String, String)>,
    /// Where in the capture it was seen.
    pub location: Location,
}

/// What a reader yields, in capture order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadItem {
    /// A post.
    Post(Box<CapturedPost>),
    /// A service event.
    Event(Box<ServiceEvent>),
    /// Something the reader met that did not stop it, with its place.
    Warning(String),
}

/// Removes U+0000 from a string, in place (nothing to do, and no allocation, in the usual case).
fn drop_nul(s: &mut String) {
    if s.contains('\0') {
        s.retain(|c| c != '\0');
    }
}

fn drop_nul_opt(s: &mut Option<String>) {
    if let Some(s) = s {
        drop_nul(s);
    }
}

fn drop_nul_pairs(pairs: &mut [(String, String)]) {
    for (k, v) in pairs {
        drop_nul(k);
        drop_nul(v);
    }
}

impl ChannelRef {
    fn drop_nul(&mut self) {
        drop_nul_opt(&mut self.username);
        drop_nul_opt(&mut self.title);
        drop_nul_opt(&mut self.kind);
    }
}

impl Sender {
    fn drop_nul(&mut self) {
        drop_nul_opt(&mut self.name);
        drop_nul_opt(&mut self.id);
    }
}

impl ChannelInfo {
    /// Removes U+0000 from every string (see [`ReadItem::drop_nul`]).
    pub fn drop_nul(&mut self) {
        self.channel.drop_nul();
        drop_nul_opt(&mut self.description);
    }
}

impl ReadItem {
    /// Removes U+0000 from every string the item holds. No PostgreSQL text or JSON value can
    /// hold it and it carries no content, so the engine applies this to everything a reader
    /// yields, whichever archive it writes to (both keep the same posts); the raw capture keeps
    /// the input's bytes. A post's clean text never holds it (`clean_text` removes it
    /// too), so spans into it stay where they are.
    pub fn drop_nul(&mut self) {
        match self {
            ReadItem::Post(p) => p.drop_nul(),
            ReadItem::Event(e) => {
                if let Some(c) = &mut e.channel {
                    c.drop_nul();
                }
                drop_nul_opt(&mut e.date);
                if let Some(a) = &mut e.actor {
                    a.drop_nul();
                }
                drop_nul(&mut e.action);
                drop_nul(&mut e.text);
                drop_nul_pairs(&mut e.details);
                drop_nul_opt(&mut e.location.locator);
            }
            ReadItem::Warning(w) => drop_nul(w),
        }
    }
}

/// The longest text a post keeps, in bytes. Telegram allows 4,096 characters in a message and
/// as many in a caption: at most 16 KiB of UTF-8, and 8 KiB for Cyrillic. Eight times the most
/// is kept; a longer text is cut (see [`CapturedPost::cut_to_limit`]) and the capture's raw
/// bytes keep all of it. Every later stage (cleaning, extraction, identity, the index, the
/// analyses) then works on bounded texts, whatever the input.
pub const MAX_POST_TEXT_BYTES: usize = 128 << 10;

/// The most of a post's text in the capture that a reader cleans, in bytes: twice
/// [`MAX_POST_TEXT_BYTES`], so that what cleaning removes (blank lines, trailing spaces,
/// invisible characters) still leaves a full post's worth. Readers cut the source text here
/// before cleaning ([`source_text`]): cleaning and aligning formatting with the clean text cost
/// several times a text's size, and a reader's memory then stays bounded whatever a message's
/// length.
pub const MAX_SOURCE_TEXT_BYTES: usize = 2 * MAX_POST_TEXT_BYTES;

/// `text` cut to [`MAX_SOURCE_TEXT_BYTES`] at the last character boundary within it, and the
/// whole text's length in bytes when it was cut (for [`CapturedPost::source_text_bytes`]).
pub fn source_text(text: &str) -> (&str, Option<usize>) {
    if text.len() <= MAX_SOURCE_TEXT_BYTES {
        return (text, None);
    }
    let end = text.floor_char_boundary(MAX_SOURCE_TEXT_BYTES);
    (&text[..end], Some(text.len()))
}

impl ReadItem {
    /// A post whose text is longer than [`MAX_POST_TEXT_BYTES`] cut to it, and the warning
    /// that says so, naming the post (its message id, locator and lines); `None` when nothing
    /// was cut.
    pub fn cut_long_text(&mut self) -> Option<String> {
        let ReadItem::Post(post) = self else {
            return None;
        };
        let before = post.cut_to_limit()?;
        let at = &post.location;
        let mut name = match post.message_id {
            Some(id) => format!("message {id}"),
            None => "a post".to_string(),
        };
        if let Some(locator) = at.locator.as_deref().filter(|l| !l.starts_with("line ")) {
            name.push_str(&format!(" at {locator}"));
        }
        if at.line_start > 0 {
            name.push_str(&format!(" (line {})", at.line_start));
        }
        Some(format!(
            "{name}: its text of {before} bytes is cut to the first {} KiB (Telegram allows \
             4,096 characters); the raw capture keeps every byte",
            MAX_POST_TEXT_BYTES >> 10
        ))
    }
}

impl CapturedPost {
    /// Cuts a text longer than [`MAX_POST_TEXT_BYTES`] at the last character boundary within
    /// it, with the raw text, and drops what pointed past the cut (formatting, links, tags,
    /// flags). Returns the text's length in bytes before, when it was cut.
    /// A reader that cut the source text before cleaning said so
    /// ([`CapturedPost::source_text_bytes`]): that length is the one returned.
    pub fn cut_to_limit(&mut self) -> Option<usize> {
        if self.text.len() <= MAX_POST_TEXT_BYTES
            && self.raw_text.len() <= MAX_POST_TEXT_BYTES
            && self.source_text_bytes.is_none()
        {
            return None;
        }
        let before =
            (self.text.len().max(self.raw_text.len())).max(self.source_text_bytes.unwrap_or(0));
        let end = cut_at_char(&mut self.text);
        cut_at_char(&mut self.raw_text);
        self.entities.retain(|e| e.span.end <= end);
        self.links.retain(|l| l.span.is_none_or(|s| s.end <= end));
        self.hashtags.retain(|t| t.span.end <= end);
        self.mentions.retain(|t| t.span.end <= end);
        self.countries.retain(|c| c.span.end <= end);
        Some(before)
    }

    fn drop_nul(&mut self) {
        if let Some(c) = &mut self.channel {
            c.drop_nul();
        }
        drop_nul_opt(&mut self.date);
        if let Some(d) = &mut self.date_inferred {
            drop_nul(&mut d.date);
            drop_nul(&mut d.evidence);
            drop_nul_opt(&mut d.detail);
        }
        drop_nul_opt(&mut self.edited_at);
        if let Some(s) = &mut self.sender {
            s.drop_nul();
        }
        drop_nul_opt(&mut self.via_bot);
        drop_nul_opt(&mut self.saved_from);
        for r in &mut self.reactions {
            drop_nul(&mut r.kind);
            drop_nul_opt(&mut r.emoji);
            drop_nul_opt(&mut r.document_id);
        }
        for e in &mut self.entities {
            drop_nul(&mut e.kind);
            drop_nul_pairs(&mut e.attrs);
        }
        drop_nul_opt(&mut self.author);
        drop_nul(&mut self.raw_text);
        drop_nul(&mut self.text);
        if let Some(f) = &mut self.forward {
            drop_nul_opt(&mut f.title);
            drop_nul_opt(&mut f.username);
            drop_nul_opt(&mut f.date);
            drop_nul_opt(&mut f.sender_id);
        }
        for m in &mut self.media {
            drop_nul_opt(&mut m.label);
            drop_nul_opt(&mut m.file_name);
            drop_nul_opt(&mut m.mime_type);
            drop_nul_opt(&mut m.path);
            drop_nul_opt(&mut m.sha256);
            drop_nul_pairs(&mut m.attrs);
            if let Some(poll) = &mut m.poll {
                drop_nul(&mut poll.question);
                for a in &mut poll.answers {
                    drop_nul(&mut a.text);
                }
            }
        }
        for l in &mut self.links {
            drop_nul_opt(&mut l.url);
            drop_nul(&mut l.label);
        }
        for t in self.hashtags.iter_mut().chain(self.mentions.iter_mut()) {
            drop_nul(&mut t.value);
        }
        for c in &mut self.countries {
            drop_nul(&mut c.code);
        }
        drop_nul_opt(&mut self.location.locator);
    }
}

/// Cuts `text` to at most [`MAX_POST_TEXT_BYTES`] at a character boundary and frees the rest;
/// returns its length after.
fn cut_at_char(text: &mut String) -> usize {
    if text.len() > MAX_POST_TEXT_BYTES {
        let end = text.floor_char_boundary(MAX_POST_TEXT_BYTES);
        text.truncate(end);
        text.shrink_to_fit();
    }
    text.len()
}
