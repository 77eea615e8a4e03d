//! One record of a dump and the post it becomes.

use chrono::FixedOffset;
use serde_json::{Map, Value};
use tgscope_model::{
    CapturedPost, ChannelRef, DateBasis, Forward, InferredDate, Location, MAX_SOURCE_TEXT_BYTES,
    Media, MediaKind, Poll, PollAnswer, Reaction, ReadItem, Reply, Sender, source_text,
};

use super::fields::{self, FieldMap, lookup, pick};
use super::markdown;
use super::spans::{Mark, Utf16Index, finish_text};
use super::values::{self, When, int, text};

/// Longest text read as markdown. A Telegram message holds at most 4096 chars; a longer text is
/// not a message as Telethon writes it and is kept as written.
const MAX_MARKDOWN_BYTES: usize = 64 * 1024;

/// Turns records into posts, remembering what it has warned about.
#[derive(Debug)]
pub(crate) struct Converter {
    map: FieldMap,
    utc_offset: Option<FixedOffset>,
    seen_first: bool,
    warned_local: bool,
    warned_bad_date: bool,
    warned_out_of_range: bool,
    warned_long: bool,
}

/// What a value is, for messages.
fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A record's field names, for messages (at most 20).
fn keys(record: &Map<String, Value>) -> String {
    let mut names: Vec<&str> = record.keys().map(String::as_str).take(20).collect();
    if record.len() > 20 {
        names.push("...");
    }
    names.join(", ")
}

/// A value shortened for a message.
fn shown(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(60) {
        Some((at, _)) => format!("{}...", s.get(..at).unwrap_or_default()),
        None => s,
    }
}

impl Converter {
    /// A converter reading fields by `map` (and by common names for fields it does not give).
    pub fn new(map: FieldMap, utc_offset: Option<FixedOffset>) -> Converter {
        Converter {
            map,
            utc_offset,
            seen_first: false,
            warned_local: false,
            warned_bad_date: false,
            warned_out_of_range: false,
            warned_long: false,
        }
    }

    /// The items one record gives: warnings, then its post (none when it is not a message).
    pub fn convert(&mut self, value: Value, location: Location) -> Vec<ReadItem> {
        let mut items = Vec::new();
        let locator = location.locator.clone().unwrap_or_default();
        let record = match value {
            Value::Object(o) => o,
            other => {
                items.push(ReadItem::Warning(format!(
                    "record {locator} (byte {}): {}, not a message object; skipped",
                    location.byte_start,
                    describe(&other)
                )));
                return items;
            }
        };
        if !self.seen_first {
            self.seen_first = true;
            self.check_first(&record, &locator, &mut items);
        }
        let map = self.map.clone();
        let link = fields::URL
            .iter()
            .filter_map(|k| record.get(*k).and_then(Value::as_str))
            .find_map(values::tme_link);
        let mut post = CapturedPost {
            location,
            ..CapturedPost::default()
        };
        post.message_id = pick(&record, map.id.as_deref(), fields::ID, |v| int(v).is_some())
            .and_then(int)
            .or_else(|| link.as_ref().and_then(|l| l.message_id));
        let place = match post.message_id {
            Some(id) => format!("record {locator} (message {id})"),
            None => format!("record {locator}"),
        };
        post.channel = self.channel(&record);
        if let Some(link) = &link
            && (link.username.is_some() || link.tg_id.is_some())
        {
            let from_link = ChannelRef {
                tg_id: link.tg_id,
                username: link.username.clone(),
                ..ChannelRef::default()
            };
            match &mut post.channel {
                Some(c) => values::merge_channel(c, from_link),
                None => post.channel = Some(from_link),
            }
        }
        self.dates(&record, &mut post, &place, &mut items);
        post.views = pick(&record, map.views.as_deref(), fields::VIEWS, |v| {
            int(v).is_some()
        })
        .and_then(int)
        .and_then(|n| u64::try_from(n).ok());
        post.sender = self.sender(&record);
        post.reply_to = pick(&record, map.reply_to.as_deref(), fields::REPLY_TO, |v| {
            reply(v).is_some()
        })
        .and_then(reply);
        post.forward = self.forward(&record);
        post.author = ["post_author", "author", "signature"]
            .iter()
            .find_map(|k| record.get(*k).and_then(text));
        post.via_bot = record.get("via_bot").and_then(text);
        post.reactions = record.get("reactions").map(reactions).unwrap_or_default();
        post.media = self.media(&record);
        let (raw, plain, marks, source_bytes) = self.text(&record, &place, &mut items);
        if post.message_id.is_none()
            && raw.trim().is_empty()
            && post.date.is_none()
            && post.date_inferred.is_none()
            && post.media.is_empty()
        {
            let list = record.iter().find_map(|(k, v)| match v {
                Value::Array(a) if a.first().is_some_and(Value::is_object) => Some((k, a.len())),
                _ => None,
            });
            items.push(ReadItem::Warning(match list {
                Some((key, n)) => format!(
                    "{place}: an object holding a list `{key}` of {n} objects, not a message: \
                     dumps wrapped in an object are not read; take the list out first \
                     (jq '.{key}')"
                ),
                None => format!(
                    "{place}: no message id, text or time among its fields ({}); skipped",
                    keys(&record)
                ),
            }));
            return items;
        }
        finish_text(&mut post, &plain, marks);
        post.raw_text = raw;
        post.source_text_bytes = (source_bytes > MAX_SOURCE_TEXT_BYTES).then_some(source_bytes);
        items.push(ReadItem::Post(Box::new(post)));
        items
    }

    /// Warns when the first record lacks the id, text or time field the map names, or has no
    /// id or text field under a common name.
    fn check_first(&self, record: &Map<String, Value>, locator: &str, items: &mut Vec<ReadItem>) {
        // Fields every message has; the others (a reply, a forward) come and go.
        for (name, field) in self.map.given() {
            if matches!(name, "id" | "text" | "date") && lookup(record, field).is_none() {
                items.push(ReadItem::Warning(format!(
                    "record {locator}: no field `{field}` for {name}=, as the field map says \
                     (its fields: {})",
                    keys(record)
                )));
            }
        }
        let detected = FieldMap::detect(record);
        let has_link = fields::URL
            .iter()
            .filter_map(|k| record.get(*k).and_then(Value::as_str))
            .any(|u| values::tme_link(u).is_some_and(|l| l.message_id.is_some()));
        if self.map.id.is_none() && detected.id.is_none() && !has_link {
            items.push(ReadItem::Warning(format!(
                "record {locator}: no message id field (looked for {}; its fields: {}); name it \
                 with a field map (id=FIELD)",
                fields::ID.join(", "),
                keys(record)
            )));
        }
        if self.map.text.is_none()
            && detected.text.is_none()
            && !record.contains_key("text_entities")
        {
            items.push(ReadItem::Warning(format!(
                "record {locator}: no text field (looked for {}; its fields: {}); name it with a \
                 field map (text=FIELD)",
                fields::TEXT.join(", "),
                keys(record)
            )));
        }
    }

    /// The channel: from the field the map names, else from every common channel field the
    /// record holds (a title from one, an id from another).
    fn channel(&self, record: &Map<String, Value>) -> Option<ChannelRef> {
        if let Some(field) = &self.map.channel {
            return lookup(record, field).and_then(values::channel);
        }
        let mut found: Option<ChannelRef> = None;
        for name in fields::CHANNEL {
            if let Some(c) = record.get(*name).and_then(values::channel) {
                match &mut found {
                    Some(f) => values::merge_channel(f, c),
                    None => found = Some(c),
                }
            }
        }
        found
    }

    /// The post's time (observed, or inferred for a local time) and edit time.
    fn dates(
        &mut self,
        record: &Map<String, Value>,
        post: &mut CapturedPost,
        place: &str,
        items: &mut Vec<ReadItem>,
    ) {
        let given = self.map.date.as_deref();
        let value = pick(record, given, fields::DATE, |v| values::when(v).is_time())
            .or_else(|| pick(record, given, fields::DATE, |_| true));
        if let Some(v) = value {
            match values::when(v) {
                When::Utc(at) => post.date = Some(at),
                When::Local(local) => {
                    match self.utc_offset.and_then(|o| values::local_to_utc(local, o)) {
                        Some(at) => post.date = Some(at),
                        None => {
                            self.warn_local(place, v, items);
                            post.date_inferred = Some(InferredDate {
                                date: local.format("%Y-%m-%dT%H:%M:%S").to_string(),
                                basis: DateBasis::ExportLocalTime,
                                evidence: v.as_str().unwrap_or_default().to_string(),
                                detail: Some(
                                    "the dump's time has no UTC offset: local time of the \
                                 machine that wrote it, offset unknown"
                                        .into(),
                                ),
                            });
                        }
                    }
                }
                When::Day(day) => {
                    self.warn_local(place, v, items);
                    post.date_inferred = Some(InferredDate {
                        date: day.format("%Y-%m-%d").to_string(),
                        basis: DateBasis::ExportLocalTime,
                        evidence: v.as_str().unwrap_or_default().to_string(),
                        detail: Some("the dump gives a day without a time".into()),
                    });
                }
                When::OutOfRange { past } => {
                    if !self.warned_out_of_range {
                        self.warned_out_of_range = true;
                        items.push(ReadItem::Warning(format!(
                            "{place}: the time {} is {}, which RFC 3339 cannot write; posts with \
                             times outside the years 1 to 9999 are kept without one (further \
                             ones are not reported)",
                            shown(v),
                            if past {
                                "past the year 9999"
                            } else {
                                "before the year 1"
                            }
                        )));
                    }
                }
                When::Unknown => {
                    if !self.warned_bad_date {
                        self.warned_bad_date = true;
                        items.push(ReadItem::Warning(format!(
                            "{place}: the time {} is not one tgscope reads (RFC 3339, ISO \
                             8601 or unix seconds); posts with such times are kept without \
                             one (further ones are not reported)",
                            shown(v)
                        )));
                    }
                }
            }
        }
        let edited = [
            "edit_date",
            "edited_at",
            "edited",
            "edited_unixtime",
            "edit_time",
        ]
        .iter()
        .filter_map(|k| record.get(*k))
        .find(|v| !v.is_null());
        match edited {
            Some(Value::Bool(b)) => post.edited = Some(*b),
            Some(v) => {
                post.edited = Some(true);
                if let When::Utc(at) = values::when(v) {
                    post.edited_at = Some(at);
                }
            }
            None => {}
        }
    }

    fn warn_local(&mut self, place: &str, v: &Value, items: &mut Vec<ReadItem>) {
        if !self.warned_local {
            self.warned_local = true;
            items.push(ReadItem::Warning(format!(
                "{place}: the dump's times have no UTC offset ({}); they are kept as local \
                 times of unknown offset, not as observed times (give the offset to read them \
                 as UTC)",
                shown(v)
            )));
        }
    }

    /// The sender: an id or object from the sender field, with a name from a name field.
    fn sender(&self, record: &Map<String, Value>) -> Option<Sender> {
        let mut sender = pick(record, self.map.sender.as_deref(), fields::SENDER, |v| {
            values::sender(v).is_some()
        })
        .and_then(values::sender);
        let name = ["sender_name", "from_name", "author_name", "from"]
            .iter()
            .filter_map(|k| record.get(*k).and_then(text))
            .find(|n| n.parse::<i64>().is_err() && !values::is_prefixed(n));
        match (&mut sender, name) {
            (Some(s), Some(n)) if s.name.is_none() => s.name = Some(n),
            (None, Some(n)) if self.map.sender.is_none() => {
                sender = Some(Sender {
                    name: Some(n),
                    id: None,
                })
            }
            _ => {}
        }
        sender
    }

    /// The forward origin: a name, an id, Telethon's `fwd_from` header or a chat or user
    /// object, with Pyrogram's `forward_from_message_id` and `forward_date` beside it.
    fn forward(&self, record: &Map<String, Value>) -> Option<Forward> {
        let value = pick(
            record,
            self.map.forwarded_from.as_deref(),
            fields::FORWARDED_FROM,
            |v| match v {
                Value::Bool(b) => *b,
                Value::String(s) => !s.trim().is_empty(),
                Value::Number(_) | Value::Object(_) => true,
                _ => false,
            },
        )?;
        let mut forward = match value {
            Value::String(s) if s.trim().is_empty() => return None,
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(n) => Forward {
                    sender_id: Some(values::prefixed(values::peer(n))),
                    ..Forward::default()
                },
                // `@name` names the origin by its username (the archive then knows it as
                // the channel of that username); any other text is a display name.
                Err(_) => match s.trim().strip_prefix('@') {
                    Some(name) if tgscope_model::looks_like_username(name) => Forward {
                        username: Some(name.to_string()),
                        ..Forward::default()
                    },
                    _ => Forward {
                        title: Some(s.trim().to_string()),
                        ..Forward::default()
                    },
                },
            },
            Value::Number(_) => Forward {
                sender_id: int(value).map(|n| values::prefixed(values::peer(n))),
                ..Forward::default()
            },
            Value::Bool(true) => Forward::default(),
            Value::Object(o) => forward_object(o),
            _ => return None,
        };
        if forward.message_id.is_none() {
            forward.message_id = record.get("forward_from_message_id").and_then(int);
        }
        if forward.date.is_none()
            && let Some(When::Utc(at)) = record.get("forward_date").map(values::when)
        {
            forward.date = Some(at);
        }
        if forward.title.is_none() {
            forward.title = record.get("forward_sender_name").and_then(text);
        }
        Some(forward)
    }

    /// Media: from the media field (a kind's name, Telethon's `MessageMedia...` object, a
    /// list), else from keys named after a kind (`photo`, `video`, ...), else `has_media`.
    fn media(&self, record: &Map<String, Value>) -> Vec<Media> {
        let mut out = Vec::new();
        if let Some(v) = pick(record, self.map.media.as_deref(), fields::MEDIA, |_| true) {
            media_value(v, &mut out);
            return out;
        }
        if self.map.media.is_some() {
            return out;
        }
        for (key, kind) in [
            ("photo", MediaKind::Photo),
            ("video", MediaKind::Video),
            ("video_note", MediaKind::VideoMessage),
            ("animation", MediaKind::Animation),
            ("voice", MediaKind::Voice),
            ("audio", MediaKind::Audio),
            ("document", MediaKind::Document),
            ("sticker", MediaKind::Sticker),
            ("poll", MediaKind::Poll),
        ] {
            let present = match record.get(key) {
                Some(Value::Bool(b)) => *b,
                Some(Value::String(s)) => !s.trim().is_empty(),
                Some(Value::Object(_)) => true,
                _ => false,
            };
            if present {
                out.push(Media::of_kind(kind));
            }
        }
        if out.is_empty() && record.get("has_media").and_then(Value::as_bool) == Some(true) {
            out.push(Media::of_kind(MediaKind::Unknown));
        }
        out
    }

    /// The text as in the dump, the text without markup, and the marks over the latter.
    /// The record's text as written, its plain text, the plain text's formatting marks, and the
    /// length in bytes of the longer of the two texts before they were cut to
    /// [`MAX_SOURCE_TEXT_BYTES`] (a text is cut before it is copied, parsed or cleaned).
    fn text(
        &mut self,
        record: &Map<String, Value>,
        place: &str,
        items: &mut Vec<ReadItem>,
    ) -> (String, String, Vec<Mark>, usize) {
        if self.map.text.is_none()
            && let Some(Value::Array(runs)) = record.get("text_entities")
        {
            return runs_text(runs);
        }
        let value = pick(record, self.map.text.as_deref(), fields::TEXT, |v| {
            matches!(v, Value::String(_) | Value::Array(_) | Value::Object(_))
        });
        let (value, entities) = match value {
            Some(Value::Object(o)) => (o.get("text"), o.get("entities")),
            other => (
                other,
                ["entities", "caption_entities"]
                    .iter()
                    .find_map(|k| record.get(*k)),
            ),
        };
        match value {
            Some(Value::String(whole)) => {
                if let Some(Value::Array(list)) = entities
                    && list.iter().any(|e| e.get("offset").is_some())
                {
                    // Telegram's own entities over plain text (Telethon's `to_dict()` keeps
                    // them with `message`, Pyrogram with `text`).
                    let whole = match (self.map.text.is_none(), record.get("message")) {
                        (true, Some(Value::String(m))) => m,
                        _ => whole,
                    };
                    let plain = source_text(whole).0;
                    let marks = api_marks(plain, list);
                    return (plain.to_string(), plain.to_string(), marks, whole.len());
                }
                let s = source_text(whole).0;
                if s.len() > MAX_MARKDOWN_BYTES {
                    if !self.warned_long {
                        self.warned_long = true;
                        items.push(ReadItem::Warning(format!(
                            "{place}: a text of {} bytes, longer than any Telegram message; \
                             kept as written, without reading its markup (further ones are \
                             not reported)",
                            whole.len()
                        )));
                    }
                    return (s.to_string(), s.to_string(), Vec::new(), whole.len());
                }
                let (plain, marks) = markdown::parse(s);
                (s.to_string(), plain, marks, whole.len())
            }
            Some(Value::Array(runs)) => runs_text(runs),
            Some(Value::Number(n)) => (n.to_string(), n.to_string(), Vec::new(), 0),
            _ => (String::new(), String::new(), Vec::new(), 0),
        }
    }
}

/// A replied-to message: an id, or an object (`reply_to_msg_id`, `message_id`, `id`, with
/// `reply_to_peer_id` for another chat).
fn reply(v: &Value) -> Option<Reply> {
    match v {
        Value::Object(o) => {
            let message_id = ["reply_to_msg_id", "message_id", "msg_id", "id"]
                .iter()
                .find_map(|k| o.get(*k).and_then(int));
            let chat_id = o.get("reply_to_peer_id").and_then(|p| match p {
                Value::Object(p) => values::peer_of_object(p).map(|p| p.1),
                other => int(other).map(|n| values::peer(n).1),
            });
            (message_id.is_some() || chat_id.is_some()).then_some(Reply {
                message_id,
                chat_id,
            })
        }
        other => int(other).map(|id| Reply {
            message_id: Some(id),
            chat_id: None,
        }),
    }
}

/// A forward header object: Telethon's `MessageFwdHeader` (`from_id`, `from_name`,
/// `channel_post`, `date`, `post_author`) or a chat or user object (`id`, `title`,
/// `username`).
fn forward_object(o: &Map<String, Value>) -> Forward {
    let sender_id = match o.get("from_id") {
        Some(Value::Object(p)) => values::peer_of_object(p).map(values::prefixed),
        Some(Value::String(s)) if values::is_prefixed(s.trim()) => Some(s.trim().to_string()),
        Some(other) => int(other).map(|n| values::prefixed(values::peer(n))),
        None => values::peer_of_object(o).map(values::prefixed),
    };
    Forward {
        title: o
            .get("from_name")
            .and_then(text)
            .or_else(|| values::object_name(o)),
        username: o
            .get("username")
            .and_then(text)
            .map(|u| u.trim_start_matches('@').to_string()),
        message_id: ["channel_post", "message_id", "msg_id"]
            .iter()
            .find_map(|k| o.get(*k).and_then(int)),
        date: match o.get("date").map(values::when) {
            Some(When::Utc(at)) => Some(at),
            _ => None,
        },
        sender_id,
    }
}

/// Media items of a media value.
fn media_value(v: &Value, out: &mut Vec<Media>) {
    match v {
        Value::Bool(true) => out.push(Media::of_kind(MediaKind::Unknown)),
        Value::String(s) => {
            if let Some(kind) = values::media_kind(s) {
                out.push(Media::of_kind(kind));
            }
        }
        Value::Array(list) => list.iter().for_each(|m| media_value(m, out)),
        Value::Object(o) => {
            if let Some(m) = media_object(o) {
                out.push(m);
            }
        }
        _ => {}
    }
}

/// A media object: Telethon's `MessageMedia...` (the document's MIME type and attributes tell
/// a video from a voice message or a sticker), or any object with a `type`.
fn media_object(o: &Map<String, Value>) -> Option<Media> {
    let name = ["_", "type", "media_type"]
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str))
        .unwrap_or("unknown");
    let kind = values::media_kind(name)?;
    let mut media = Media::of_kind(kind);
    if let Some(Value::Object(doc)) = o.get("document") {
        media.mime_type = doc.get("mime_type").and_then(text);
        media.size = doc
            .get("size")
            .and_then(int)
            .and_then(|n| u64::try_from(n).ok());
        let mime = media.mime_type.clone().unwrap_or_default();
        media.kind = if mime.starts_with("video/") {
            MediaKind::Video
        } else if mime.starts_with("audio/") {
            MediaKind::Audio
        } else {
            MediaKind::Document
        };
        let attributes = doc.get("attributes").and_then(Value::as_array);
        for a in attributes.into_iter().flatten() {
            let Some(a) = a.as_object() else { continue };
            let flag = |k: &str| a.get(k).and_then(Value::as_bool) == Some(true);
            let number = |k: &str| a.get(k).and_then(int).and_then(|n| u32::try_from(n).ok());
            match a.get("_").and_then(Value::as_str).unwrap_or_default() {
                "DocumentAttributeFilename" => media.file_name = a.get("file_name").and_then(text),
                "DocumentAttributeSticker" => {
                    media.kind = MediaKind::Sticker;
                    if let Some(e) = a.get("alt").and_then(text) {
                        media.attrs.push(("emoji".into(), e));
                    }
                }
                "DocumentAttributeAnimated" => media.kind = MediaKind::Animation,
                "DocumentAttributeVideo" => {
                    if media.kind != MediaKind::Animation && media.kind != MediaKind::Sticker {
                        media.kind = if flag("round_message") {
                            MediaKind::VideoMessage
                        } else {
                            MediaKind::Video
                        };
                    }
                    media.duration = a
                        .get("duration")
                        .and_then(Value::as_f64)
                        .filter(|d| *d >= 0.0 && *d < f64::from(u32::MAX))
                        .map(|d| d.round() as u32);
                    media.width = number("w");
                    media.height = number("h");
                }
                "DocumentAttributeAudio" => {
                    media.kind = if flag("voice") {
                        MediaKind::Voice
                    } else {
                        MediaKind::Audio
                    };
                    media.duration = number("duration");
                    for (k, attr) in [("performer", "performer"), ("title", "title")] {
                        if let Some(v) = a.get(k).and_then(text) {
                            media.attrs.push((attr.into(), v));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if kind == MediaKind::Poll
        && let Some(Value::Object(p)) = o.get("poll")
    {
        let plain = |v: Option<&Value>| match v {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(t)) => t
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .into(),
            _ => String::new(),
        };
        media.poll = Some(Poll {
            question: plain(p.get("question")),
            closed: p.get("closed").and_then(Value::as_bool),
            total_voters: None,
            answers: p
                .get("answers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|a| PollAnswer {
                    text: plain(a.get("text")),
                    voters: None,
                    chosen: None,
                })
                .collect(),
        });
    }
    Some(media)
}

/// Reactions: Telethon's `MessageReactions` (`results` of `ReactionCount`), Pyrogram's
/// (`reactions`), or a Desktop-style list (`type`, `emoji`, `count`).
fn reactions(v: &Value) -> Vec<Reaction> {
    let list = match v {
        Value::Array(list) => list,
        Value::Object(o) => match o.get("results").or_else(|| o.get("reactions")) {
            Some(Value::Array(list)) => list,
            _ => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    list.iter()
        .filter_map(|r| {
            let r = r.as_object()?;
            let inner = r.get("reaction").and_then(Value::as_object);
            let field = |k: &str| {
                r.get(k)
                    .or_else(|| inner.and_then(|i| i.get(k)))
                    .filter(|v| !v.is_null())
            };
            let emoji = field("emoticon").or_else(|| field("emoji")).and_then(text);
            let document_id = field("document_id")
                .or_else(|| field("custom_emoji_id"))
                .and_then(|d| match d {
                    Value::Number(n) => Some(n.to_string()),
                    other => text(other),
                });
            let kind = if emoji.is_some() {
                "emoji"
            } else if document_id.is_some() {
                "custom_emoji"
            } else {
                "paid"
            };
            Some(Reaction {
                kind: r
                    .get("type")
                    .and_then(Value::as_str)
                    .filter(|t| !t.contains('.'))
                    .unwrap_or(kind)
                    .to_string(),
                emoji,
                document_id,
                count: r
                    .get("count")
                    .and_then(int)
                    .and_then(|n| u64::try_from(n).ok())?,
            })
        })
        .collect()
}

/// The entity type Telegram's entity names stand for, as the Desktop export names it:
/// `MessageEntityTextUrl`, `MessageEntityType.TEXT_LINK` and `text_link` all give `text_link`.
fn entity_kind(raw: &str) -> String {
    let name = raw.rsplit('.').next().unwrap_or(raw);
    let name = name
        .strip_prefix("InputMessageEntity")
        .or_else(|| name.strip_prefix("MessageEntity"))
        .unwrap_or(name);
    let mut snake = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_uppercase() && prev_lower {
            snake.push('_');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        snake.extend(c.to_lowercase());
    }
    match snake.as_str() {
        "url" => "link".into(),
        "text_url" => "text_link".into(),
        "strike" => "strikethrough".into(),
        "text_mention" => "mention_name".into(),
        "phone_number" => "phone".into(),
        "expandable_blockquote" => "blockquote".into(),
        _ => snake,
    }
}

/// Marks from Telegram entities (`offset` and `length` in UTF-16 code units) over `plain`.
fn api_marks(plain: &str, list: &[Value]) -> Vec<Mark> {
    let index = Utf16Index::new(plain);
    list.iter()
        .filter_map(|e| {
            let e = e.as_object()?;
            let offset = usize::try_from(e.get("offset").and_then(int)?).ok()?;
            let length = usize::try_from(e.get("length").and_then(int)?).ok()?;
            // Pyrogram writes `"_": "MessageEntity"` and the kind in `type`.
            let raw_kind = e
                .get("type")
                .or_else(|| e.get("_"))
                .and_then(Value::as_str)?;
            let kind = entity_kind(raw_kind);
            if kind.is_empty() {
                return None;
            }
            let mut attrs = Vec::new();
            if let Some(url) = e.get("url").and_then(text) {
                attrs.push(("href".to_string(), url));
            }
            let user = e
                .get("user_id")
                .or_else(|| e.get("user").and_then(|u| u.get("id")))
                .and_then(int);
            if let Some(user) = user {
                attrs.push(("user_id".to_string(), user.to_string()));
            }
            if let Some(l) = e.get("language").and_then(text) {
                attrs.push(("language".to_string(), l));
            }
            if let Some(d) = e
                .get("document_id")
                .or_else(|| e.get("custom_emoji_id"))
                .and_then(|d| match d {
                    Value::Number(n) => Some(n.to_string()),
                    other => text(other),
                })
            {
                attrs.push(("document_id".to_string(), d));
            }
            let collapsed = e
                .get("collapsed")
                .and_then(Value::as_bool)
                .or_else(|| (raw_kind.to_ascii_lowercase().contains("expandable")).then_some(true));
            if let Some(c) = collapsed {
                attrs.push(("collapsed".to_string(), c.to_string()));
            }
            Some(Mark {
                kind,
                start: index.byte(offset),
                end: index.byte(offset.saturating_add(length)),
                attrs,
            })
        })
        .collect()
}

/// The text of Desktop-style runs (strings, and objects with `type`, `text` and `href`) and
/// the marks of the runs that are not plain.
fn runs_text(runs: &[Value]) -> (String, String, Vec<Mark>, usize) {
    let mut plain = String::new();
    let mut marks = Vec::new();
    for run in runs {
        match run {
            Value::String(s) => plain.push_str(s),
            Value::Object(o) => {
                let piece = o.get("text").and_then(Value::as_str).unwrap_or_default();
                let start = plain.len();
                plain.push_str(piece);
                let kind = o.get("type").and_then(Value::as_str).unwrap_or("plain");
                if kind == "plain" || piece.is_empty() {
                    continue;
                }
                let mut attrs = Vec::new();
                for (key, attr) in [
                    ("href", "href"),
                    ("language", "language"),
                    ("user_id", "user_id"),
                    ("document_id", "document_id"),
                    ("collapsed", "collapsed"),
                ] {
                    match o.get(key) {
                        Some(Value::String(s)) => attrs.push((attr.to_string(), s.clone())),
                        Some(v @ (Value::Number(_) | Value::Bool(_))) => {
                            attrs.push((attr.to_string(), v.to_string()))
                        }
                        _ => {}
                    }
                }
                marks.push(Mark {
                    kind: entity_kind(kind),
                    start,
                    end: plain.len(),
                    attrs,
                });
            }
            _ => {}
        }
    }
    let whole = plain.len();
    let end = source_text(&plain).0.len();
    plain.truncate(end);
    (plain.clone(), plain, marks, whole)
}
