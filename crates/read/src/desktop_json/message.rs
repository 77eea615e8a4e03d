//! One message object of a Desktop JSON export, and how it becomes a post or a service event.

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use tgscope_model::{
    CapturedPost, ChannelRef, DateBasis, Entity, Forward, InferredDate, Link, Location,
    MAX_SOURCE_TEXT_BYTES, Media, MediaKind, Placeholder, Poll, PollAnswer, Reaction, ReadItem,
    Reply, Sender, ServiceEvent, Span,
};
use tgscope_text::{extract, normalize};

/// Options of the Desktop JSON reader.
#[derive(Debug, Clone, Default)]
pub struct JsonOptions {
    /// UTC offset of the computer that made an old export (one without `date_unixtime`): with
    /// it, the `date` fields become observed UTC times.
    pub utc_offset: Option<FixedOffset>,
}

/// What the reader remembers between messages.
#[derive(Debug, Default)]
pub struct ReaderState {
    /// Whether the "local time, offset unknown" warning was given.
    warned_local_time: bool,
}

/// A message object as the export writes it (absent keys are `None`; names may be `null`).
#[derive(Debug, Deserialize)]
pub struct RawMessage<'a> {
    /// Read whatever its type, so that a wrong one is a warning, not the end of the file.
    id: Option<IdOrText>,
    #[serde(rename = "type", default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    date: Option<Cow<'a, str>>,
    date_unixtime: Option<IdOrText>,
    #[serde(borrow)]
    edited: Option<Cow<'a, str>>,
    edited_unixtime: Option<IdOrText>,
    #[serde(default, deserialize_with = "present")]
    from: Option<Option<String>>,
    from_id: Option<IdOrText>,
    author: Option<String>,
    #[serde(default, deserialize_with = "present")]
    forwarded_from: Option<Option<String>>,
    forwarded_from_id: Option<IdOrText>,
    saved_from: Option<String>,
    reply_to_message_id: Option<i64>,
    reply_to_peer_id: Option<IdOrText>,
    via_bot: Option<String>,
    reactions: Option<Vec<RawReaction>>,
    photo: Option<String>,
    photo_file_size: Option<u64>,
    width: Option<u32>,
    height: Option<u32>,
    file: Option<String>,
    file_name: Option<String>,
    file_size: Option<u64>,
    thumbnail: Option<String>,
    media_type: Option<String>,
    mime_type: Option<String>,
    duration_seconds: Option<u32>,
    sticker_emoji: Option<String>,
    performer: Option<String>,
    title: Option<String>,
    media_spoiler: Option<bool>,
    poll: Option<RawPoll>,
    location_information: Option<RawLocation>,
    place_name: Option<String>,
    address: Option<String>,
    live_location_period_seconds: Option<u64>,
    contact_information: Option<RawContact>,
    contact_vcard: Option<String>,
    /// Kept unparsed: `text_entities` says the same in one form, so `text` is parsed only when
    /// an (old) export has no `text_entities`.
    #[serde(borrow)]
    text: Option<&'a RawValue>,
    #[serde(borrow)]
    text_entities: Option<Vec<RawEntity<'a>>>,
    actor: Option<String>,
    actor_id: Option<IdOrText>,
    action: Option<String>,
    members: Option<Vec<Option<String>>>,
    message_id: Option<i64>,
    discard_reason: Option<String>,
    inviter: Option<String>,
}

/// A name that may be absent (`None`) or `null` (`Some(None)`: a deleted or hidden account).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
struct RawReaction {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    count: Option<u64>,
    emoji: Option<String>,
    document_id: Option<IdOrText>,
}

#[derive(Debug, Deserialize)]
struct RawPoll {
    question: Option<Value>,
    closed: Option<bool>,
    total_voters: Option<u64>,
    #[serde(default)]
    answers: Vec<RawAnswer>,
}

#[derive(Debug, Deserialize)]
struct RawAnswer {
    text: Option<Value>,
    voters: Option<u64>,
    chosen: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct RawLocation {
    latitude: Option<f64>,
    longitude: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct RawContact {
    first_name: Option<String>,
    last_name: Option<String>,
    phone_number: Option<String>,
}

/// A run of text with its entity type (`plain` for none) and attributes.
#[derive(Debug, Deserialize)]
pub struct RawEntity<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    text: Cow<'a, str>,
    href: Option<String>,
    language: Option<String>,
    document_id: Option<IdOrText>,
    collapsed: Option<bool>,
    user_id: Option<IdOrText>,
}

/// Placeholder sentences written where a file was not saved.
fn placeholder_of(path: &str) -> Option<Placeholder> {
    let lower = path.to_lowercase();
    if !lower.starts_with('(') {
        return None;
    }
    if lower.contains("exceeds maximum size") {
        Some(Placeholder::ExceedsLimit)
    } else if lower.contains("unavailable") {
        Some(Placeholder::Unavailable)
    } else if lower.contains("not included") {
        Some(Placeholder::NotIncluded)
    } else {
        None
    }
}

/// A path inside the export, or the reason it is refused (absolute, or leaving the folder).
fn safe_path(path: &str) -> Result<String, String> {
    let p = std::path::Path::new(path);
    let escapes = p.components().any(|c| {
        matches!(
            c,
            std::path::Component::ParentDir
                | std::path::Component::RootDir
                | std::path::Component::Prefix(_)
        )
    });
    if escapes || path.starts_with('/') || path.starts_with('\\') || path.contains(":\\") {
        Err(format!(
            "the path {path:?} points outside the export's folder; it is not followed"
        ))
    } else {
        Ok(path.to_string())
    }
}

/// An id or a time that exports write as a number or as a string (`"user123"`, `"1700000000"`).
#[derive(Debug, Clone)]
pub enum IdOrText {
    /// A JSON number (an integer).
    Num(i64),
    /// A JSON string, or a number that is not an integer, as text.
    Text(String),
    /// Anything else, named ("a boolean", "an object", "a list"): kept as nothing, never an
    /// error.
    Other(&'static str),
}

impl<'de> Deserialize<'de> for IdOrText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<IdOrText, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = IdOrText;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an id (a number or a string)")
            }
            fn visit_i64<E>(self, v: i64) -> Result<IdOrText, E> {
                Ok(IdOrText::Num(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<IdOrText, E> {
                Ok(i64::try_from(v).map_or_else(|_| IdOrText::Text(v.to_string()), IdOrText::Num))
            }
            fn visit_f64<E>(self, v: f64) -> Result<IdOrText, E> {
                Ok(IdOrText::Text(v.to_string()))
            }
            fn visit_str<E>(self, v: &str) -> Result<IdOrText, E> {
                Ok(IdOrText::Text(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<IdOrText, E> {
                Ok(IdOrText::Text(v))
            }
            fn visit_bool<E>(self, _: bool) -> Result<IdOrText, E> {
                Ok(IdOrText::Other("a boolean"))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<IdOrText, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(IdOrText::Other("a list"))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<IdOrText, A::Error> {
                while a
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(IdOrText::Other("an object"))
            }
        }
        d.deserialize_any(Visit)
    }
}

fn id_text(v: &IdOrText) -> Option<String> {
    match v {
        IdOrText::Text(s) => Some(s.clone()),
        IdOrText::Num(n) => Some(n.to_string()),
        IdOrText::Other(_) => None,
    }
}

/// An old numeric `from_id` (before 2021) was a user id.
fn sender_id(v: &Option<IdOrText>) -> Option<String> {
    match v.as_ref()? {
        IdOrText::Num(n) => Some(format!("user{n}")),
        other => id_text(other),
    }
}

/// The message's id, and what was wrong with it when it is not a whole number.
fn message_id(v: Option<&IdOrText>) -> (Option<i64>, Option<String>) {
    match v {
        None => (None, None),
        Some(IdOrText::Num(n)) => (Some(*n), None),
        Some(IdOrText::Text(s)) => match s.parse::<i64>() {
            Ok(n) => (
                Some(n),
                Some(format!(
                    "its id is the text {s:?}, not a number; read as the id {n}"
                )),
            ),
            Err(_) => (
                None,
                Some(format!(
                    "its id {:?} is not a whole number; the message is read without an id",
                    shown(s)
                )),
            ),
        },
        Some(IdOrText::Other(kind)) => (
            None,
            Some(format!(
                "its id is {kind}, not a number; the message is read without an id"
            )),
        ),
    }
}

/// A value as a warning shows it: cut to 40 characters.
fn shown(s: &str) -> String {
    let mut cut: String = s.chars().take(40).collect();
    if cut.len() < s.len() {
        cut.push('…');
    }
    cut
}

/// Reads a `date_unixtime` or `edited_unixtime`: `Ok(None)` when absent, the time as RFC 3339
/// UTC, or why it is refused (not a whole number of seconds, or outside the years 1 to 9999,
/// which RFC 3339 cannot write).
fn unix_time(v: &Option<IdOrText>) -> Result<Option<String>, String> {
    let secs: i128 = match v {
        None => return Ok(None),
        Some(IdOrText::Num(n)) => i128::from(*n),
        Some(IdOrText::Text(s)) => s
            .trim()
            .parse()
            .map_err(|_| format!("{:?} is not a whole number of seconds", shown(s)))?,
        Some(IdOrText::Other(kind)) => return Err(format!("is {kind}, not a number of seconds")),
    };
    // The first second of the year 1 and the last of the year 9999.
    const FIRST: i128 = -62_135_596_800;
    const LAST: i128 = 253_402_300_799;
    if secs > LAST {
        return Err(format!("{secs} is past the year 9999"));
    }
    if secs < FIRST {
        return Err(format!("{secs} is before the year 1"));
    }
    i64::try_from(secs)
        .ok()
        .and_then(|secs| DateTime::<Utc>::from_timestamp(secs, 0))
        .and_then(utc_string)
        .map(Some)
        .ok_or_else(|| format!("{secs} is not a time"))
}

/// `at` as `YYYY-MM-DDTHH:MM:SSZ` (what `format("%Y-%m-%dT%H:%M:%SZ")` writes, without parsing
/// a format string for every message); `None` outside the years 1 to 9999, which RFC 3339
/// cannot write.
fn utc_string(at: DateTime<Utc>) -> Option<String> {
    use chrono::{Datelike, Timelike};
    if !(1..=9999).contains(&at.year()) {
        return None;
    }
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    ))
}

/// A local time as exports write it (`2024-07-01T10:00:00`), in the years 1 to 9999.
fn local_time(s: &str) -> Option<NaiveDateTime> {
    use chrono::Datelike;
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .filter(|t| (1..=9999).contains(&t.year()))
}

/// A local time read with a known UTC offset, as RFC 3339 UTC (`None` when that leaves the
/// years 1 to 9999).
fn local_to_utc(local: &NaiveDateTime, offset: Option<FixedOffset>) -> Option<String> {
    let at = offset?.from_local_datetime(local).single()?;
    utc_string(at.with_timezone(&Utc))
}

/// What kind of JSON value `raw` is ("a number", "an object", ...).
fn kind_of(raw: &RawValue) -> &'static str {
    match raw.get().trim_start().as_bytes().first() {
        Some(b'"') => "a string",
        Some(b'[') => "a list",
        Some(b'{') => "an object",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// The plain text of a `text` value (a string, or an array of strings and runs).
fn plain_text(v: &Option<Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .map(|p| match p {
                Value::String(s) => s.clone(),
                Value::Object(o) => o
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                _ => String::new(),
            })
            .collect(),
        _ => String::new(),
    }
}

/// The `text` of a message parsed (`None` when absent or not JSON).
fn text_value(raw: &RawMessage) -> Option<Value> {
    raw.text.and_then(|t| serde_json::from_str(t.get()).ok())
}

/// What is wrong with a message's `text` when the post's text is read from it (no
/// `text_entities`) and it is neither a string nor a list of runs.
fn text_problem(raw: &RawMessage) -> Option<String> {
    if raw.text_entities.is_some() {
        return None;
    }
    let text = raw.text?;
    match kind_of(text) {
        "a string" | "a list" | "null" => None,
        kind => Some(format!(
            "its text is {kind} ({}), not a string or a list of text runs; the message is read \
             without text",
            shown(text.get().trim())
        )),
    }
}

/// Cuts the runs of a text longer than [`MAX_SOURCE_TEXT_BYTES`] to that many bytes (the runs
/// past it dropped, the last one cut at a character boundary), before anything copies or
/// cleans them; the whole text's length when it was cut.
fn cut_runs(runs: &mut Vec<RawEntity<'_>>) -> Option<usize> {
    let whole: usize = runs.iter().map(|r| r.text.len()).sum();
    if whole <= MAX_SOURCE_TEXT_BYTES {
        return None;
    }
    let mut room = MAX_SOURCE_TEXT_BYTES;
    runs.retain_mut(|r| {
        if room == 0 {
            return false;
        }
        if r.text.len() > room {
            let end = r.text.floor_char_boundary(room);
            match &mut r.text {
                Cow::Borrowed(t) => *t = &t[..end],
                Cow::Owned(t) => {
                    t.truncate(end);
                    t.shrink_to_fit();
                }
            }
            // Nothing after the cut, not even a run short enough for the bytes left.
            room = 0;
            return true;
        }
        room -= r.text.len();
        true
    });
    Some(whole)
}

/// The runs of a message's text: `text_entities` when present, else the `text` array; how
/// many parts of a `text` array were neither text nor a run (left out); and why a `text` array
/// could not be read at all, when it could not (nested deeper than serde_json's 128 levels).
fn runs<'a>(raw: &mut RawMessage<'a>) -> (Vec<RawEntity<'a>>, usize, Option<String>) {
    if let Some(entities) = raw.text_entities.take() {
        return (entities, 0, None);
    }
    let mut left_out = 0;
    let parsed = raw.text.map(|t| serde_json::from_str::<Value>(t.get()));
    let unreadable = match (&parsed, raw.text) {
        (Some(Err(e)), Some(text)) if kind_of(text) == "a list" => Some(e.to_string()),
        _ => None,
    };
    let runs = match parsed.and_then(Result::ok) {
        Some(Value::String(s)) => vec![RawEntity {
            kind: Some("plain".into()),
            text: s.into(),
            href: None,
            language: None,
            document_id: None,
            collapsed: None,
            user_id: None,
        }],
        Some(Value::Array(parts)) => parts
            .into_iter()
            .filter_map(|p| match p {
                Value::String(s) => Some(RawEntity {
                    kind: Some("plain".into()),
                    text: s.into(),
                    href: None,
                    language: None,
                    document_id: None,
                    collapsed: None,
                    user_id: None,
                }),
                other => {
                    let run = RawEntity::deserialize(other).ok();
                    left_out += usize::from(run.is_none());
                    run
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    (runs, left_out, unreadable)
}

/// How warnings name a message: by its id and place in the export, or by its place and byte
/// offset when it has no id.
pub fn place_of(id: Option<i64>, locator: Option<&str>, byte: u64) -> String {
    let locator = locator.unwrap_or_default();
    match id {
        Some(id) => format!("message {id} ({locator})"),
        None => format!("the message at {locator} (byte {byte})"),
    }
}

/// The id of a message that cannot be read as a whole, for naming it in a warning.
pub fn id_of_unreadable(object: &str) -> Option<i64> {
    #[derive(Deserialize)]
    struct JustTheId {
        id: Option<IdOrText>,
    }
    let just: JustTheId = serde_json::from_str(object).ok()?;
    message_id(just.id.as_ref()).0
}

/// Turns one message into what it means: a post, or a service event (plus warnings).
pub fn convert(
    mut raw: RawMessage,
    chat: &ChannelRef,
    options: &JsonOptions,
    state: &mut ReaderState,
    location: Location,
) -> Vec<ReadItem> {
    let mut items = Vec::new();
    let (id, id_problem) = message_id(raw.id.as_ref());
    let (locator, byte) = (location.locator.clone(), location.byte_start);
    let place = || place_of(id, locator.as_deref(), byte);
    let warn = |items: &mut Vec<ReadItem>, text: String| items.push(ReadItem::Warning(text));
    for problem in [id_problem, text_problem(&raw)].into_iter().flatten() {
        warn(&mut items, format!("{}: {problem}", place()));
    }
    // Time: `date_unixtime` is UTC; an old export has only the local `date`. A `date_unixtime`
    // that is not a time RFC 3339 can write is refused, and the `date` read instead.
    let unix = unix_time(&raw.date_unixtime);
    let local = raw.date.as_deref().and_then(local_time);
    if let Err(why) = &unix {
        warn(
            &mut items,
            format!(
                "{}: date_unixtime {why}; {}",
                place(),
                if local.is_some() {
                    "the local time of its date field is read instead"
                } else {
                    "the message is read without a date"
                }
            ),
        );
    }
    let (date, date_inferred) = match unix {
        Ok(Some(d)) => (Some(d), None),
        _ => match local {
            Some(local) => match local_to_utc(&local, options.utc_offset) {
                Some(at) => (Some(at), None),
                None => {
                    // Said once per export when the export has no `date_unixtime` at all; a
                    // refused one was just reported.
                    if unix.is_ok() && !state.warned_local_time {
                        state.warned_local_time = true;
                        warn(
                            &mut items,
                            format!(
                                "{}: the export has no date_unixtime; its dates are the exporting \
                                 computer's local time, offset unknown (give --utc-offset to read \
                                 them as observed times)",
                                place()
                            ),
                        );
                    }
                    (
                        None,
                        Some(InferredDate {
                            date: local.format("%Y-%m-%dT%H:%M:%S").to_string(),
                            basis: DateBasis::ExportLocalTime,
                            evidence: raw.date.as_deref().unwrap_or_default().to_string(),
                            detail: Some(
                                "local time of the exporting computer, offset unknown".into(),
                            ),
                        }),
                    )
                }
            },
            None => (None, None),
        },
    };
    if raw.kind.as_deref() == Some("service") {
        let mut details = Vec::new();
        if let Some(t) = &raw.title {
            details.push(("title".to_string(), t.clone()));
        }
        if let Some(members) = &raw.members {
            let names: Vec<String> = members
                .iter()
                .map(|m| m.clone().unwrap_or_else(|| "(deleted)".into()))
                .collect();
            details.push(("members".to_string(), names.join(", ")));
        }
        if let Some(m) = raw.message_id {
            details.push(("message_id".to_string(), m.to_string()));
        }
        if let Some(d) = raw.duration_seconds {
            details.push(("duration_seconds".to_string(), d.to_string()));
        }
        if let Some(r) = &raw.discard_reason {
            details.push(("discard_reason".to_string(), r.clone()));
        }
        if let Some(i) = &raw.inviter {
            details.push(("inviter".to_string(), i.clone()));
        }
        let text = plain_text(&text_value(&raw));
        items.push(ReadItem::Event(Box::new(ServiceEvent {
            channel: Some(chat.clone()),
            message_id: id,
            date: date.or_else(|| date_inferred.map(|d| d.date)),
            actor: match (&raw.actor, &raw.actor_id) {
                (None, None) => None,
                (name, id) => Some(Sender {
                    name: name.clone(),
                    id: sender_id(id),
                }),
            },
            action: raw.action.clone().unwrap_or_else(|| "service".into()),
            text,
            details,
            location,
        })));
        return items;
    }
    let mut post = CapturedPost {
        channel: Some(chat.clone()),
        message_id: id,
        date,
        date_inferred,
        author: raw.author.clone(),
        via_bot: raw.via_bot.clone(),
        saved_from: raw.saved_from.clone(),
        location,
        ..CapturedPost::default()
    };
    // Edits: `edited_unixtime`, else an `edited` local time (exports before 2020-06 always write
    // `edited`, with a 1970 placeholder when the message was not edited).
    let edited_unix = unix_time(&raw.edited_unixtime).unwrap_or_else(|why| {
        warn(
            &mut items,
            format!(
                "{}: edited_unixtime {why}; the edit time is read from its edited field, if any",
                place()
            ),
        );
        None
    });
    post.edited_at = edited_unix.or_else(|| {
        let local = raw.edited.as_deref().and_then(local_time)?;
        (local.and_utc().timestamp() > 0).then(|| {
            local_to_utc(&local, options.utc_offset)
                .unwrap_or_else(|| local.format("%Y-%m-%dT%H:%M:%S").to_string())
        })
    });
    post.edited = Some(post.edited_at.is_some());
    if raw.from.is_some() || raw.from_id.is_some() {
        post.sender = Some(Sender {
            name: raw.from.clone().flatten(),
            id: sender_id(&raw.from_id),
        });
    }
    if raw.forwarded_from.is_some() || raw.forwarded_from_id.is_some() {
        post.forward = Some(Forward {
            title: raw.forwarded_from.clone().flatten(),
            sender_id: sender_id(&raw.forwarded_from_id),
            ..Forward::default()
        });
    }
    if raw.reply_to_message_id.is_some() {
        post.reply_to = Some(Reply {
            message_id: raw.reply_to_message_id,
            chat_id: raw.reply_to_peer_id.as_ref().and_then(|v| {
                id_text(v).and_then(|s| {
                    s.trim_start_matches(|c: char| !c.is_ascii_digit() && c != '-')
                        .parse()
                        .ok()
                })
            }),
        });
    }
    for r in raw.reactions.take().unwrap_or_default() {
        post.reactions.push(Reaction {
            kind: r.kind.unwrap_or_else(|| "emoji".into()),
            emoji: r.emoji,
            document_id: r.document_id.as_ref().and_then(id_text),
            count: r.count.unwrap_or(0),
        });
    }
    let media = media_of(&raw, &mut |w| warn(&mut items, format!("{}: {w}", place())));
    post.media = media;
    // Text: the runs joined give the raw text; clean text and entity spans follow.
    let (mut runs, left_out, unreadable) = runs(&mut raw);
    post.source_text_bytes = cut_runs(&mut runs);
    if let Some(why) = unreadable {
        warn(
            &mut items,
            format!(
                "{}: its text, a list, cannot be read ({why}); the message is read without text",
                place()
            ),
        );
    }
    if left_out > 0 {
        warn(
            &mut items,
            format!(
                "{}: {left_out} part(s) of its text are neither text nor a text run; they are \
                 left out",
                place()
            ),
        );
    }
    let raw_text: String = runs.iter().map(|r| r.text.as_ref()).collect();
    // Most text is already clean: then the clean text is the raw text, and each run's span is
    // where it lies, trimmed as cleaning trims it. Otherwise each run's clean form is looked for
    // in the clean text, in order.
    let already_clean = normalize::is_clean(&raw_text);
    let text = if already_clean {
        raw_text.clone()
    } else {
        normalize::clean_text(&raw_text)
    };
    let mut cursor = 0usize;
    let mut raw_cursor = 0usize;
    let mut links = Vec::new();
    for run in &runs {
        let run_start = raw_cursor;
        raw_cursor += run.text.len();
        let is_plain = matches!(run.kind.as_deref(), None | Some("plain"));
        let (piece, span) = if already_clean {
            let lead = run.text.len() - run.text.trim_start_matches('\n').len();
            let piece = run.text[lead..].trim_end();
            let start = run_start + lead;
            (
                std::borrow::Cow::Borrowed(piece),
                Span {
                    start,
                    end: start + piece.len(),
                },
            )
        } else {
            let piece = normalize::clean_text_cow(&run.text);
            if piece.is_empty() {
                continue;
            }
            let Some(found) = text.get(cursor..).and_then(|rest| {
                if rest.starts_with(piece.as_ref()) {
                    Some(0)
                } else {
                    rest.find(piece.as_ref())
                }
            }) else {
                continue;
            };
            let start = cursor + found;
            let end = start + piece.len();
            (piece, Span { start, end })
        };
        if piece.is_empty() {
            continue;
        }
        cursor = span.end;
        if is_plain {
            continue;
        }
        let kind = run.kind.as_deref().unwrap_or("plain").to_string();
        let piece = piece.into_owned();
        let mut attrs = Vec::new();
        if let Some(h) = &run.href {
            attrs.push(("href".to_string(), h.clone()));
        }
        if let Some(l) = &run.language {
            attrs.push(("language".to_string(), l.clone()));
        }
        if let Some(d) = run.document_id.as_ref().and_then(id_text) {
            attrs.push(("document_id".to_string(), d));
        }
        if let Some(c) = run.collapsed {
            attrs.push(("collapsed".to_string(), c.to_string()));
        }
        if let Some(u) = run.user_id.as_ref().and_then(id_text) {
            attrs.push(("user_id".to_string(), u));
        }
        match kind.as_str() {
            "text_link" => links.push(Link {
                url: run.href.clone(),
                label: piece.clone(),
                span: Some(span),
            }),
            "link" => links.push(Link {
                url: Some(if piece.contains("://") {
                    piece.clone()
                } else {
                    format!("https://{piece}")
                }),
                label: piece.clone(),
                span: Some(span),
            }),
            _ => {}
        }
        post.entities.push(Entity { kind, span, attrs });
    }
    let found = extract::all(&text);
    post.hashtags = found.hashtags;
    post.mentions = found.mentions;
    post.countries = found.countries;
    // Links the export marks win; URLs it left unmarked are still links.
    for url in found.links {
        let overlaps = links.iter().any(|l: &Link| {
            l.span
                .zip(url.span)
                .is_some_and(|(a, b)| a.start < b.end && b.start < a.end)
        });
        if !overlaps {
            links.push(url);
        }
    }
    links.sort_by_key(|l| l.span.map(|s| s.start));
    post.links = links;
    post.text = text;
    post.raw_text = raw_text;
    if raw.kind.as_deref() == Some("unsupported") {
        post.media.push(Media {
            label: Some("unsupported message".into()),
            ..Media::of_kind(MediaKind::Unknown)
        });
    }
    items.push(ReadItem::Post(Box::new(post)));
    items
}

/// The media of a message: photo, file (with its `media_type`), poll, location, contact.
fn media_of(raw: &RawMessage, warn: &mut dyn FnMut(String)) -> Vec<Media> {
    let mut out = Vec::new();
    let mut with_path = |mut m: Media, path: Option<&String>| {
        if let Some(path) = path {
            match placeholder_of(path) {
                Some(p) => {
                    m.placeholder = Some(p);
                    m.label = Some(path.clone());
                }
                None => match safe_path(path) {
                    Ok(p) => m.path = Some(p),
                    Err(why) => warn(why),
                },
            }
        }
        m
    };
    if raw.photo.is_some() {
        let m = Media {
            size: raw.photo_file_size,
            width: raw.width,
            height: raw.height,
            ..Media::of_kind(MediaKind::Photo)
        };
        out.push(with_path(m, raw.photo.as_ref()));
    }
    if raw.file.is_some() || raw.media_type.is_some() {
        let kind = match raw.media_type.as_deref() {
            Some("sticker") => MediaKind::Sticker,
            Some("video_message") => MediaKind::VideoMessage,
            Some("voice_message") => MediaKind::Voice,
            Some("animation") => MediaKind::Animation,
            Some("video_file") => MediaKind::Video,
            Some("audio_file") => MediaKind::Audio,
            Some(_) => MediaKind::Unknown,
            None => MediaKind::Document,
        };
        let mut attrs = Vec::new();
        for (name, value) in [
            ("sticker_emoji", &raw.sticker_emoji),
            ("performer", &raw.performer),
            ("title", &raw.title),
            ("thumbnail", &raw.thumbnail),
            ("media_type", &raw.media_type),
        ] {
            if let Some(v) = value {
                attrs.push((name.to_string(), v.clone()));
            }
        }
        if raw.media_spoiler == Some(true) {
            attrs.push(("spoiler".to_string(), "true".to_string()));
        }
        let m = Media {
            file_name: raw.file_name.clone(),
            mime_type: raw.mime_type.clone(),
            size: raw.file_size,
            duration: raw.duration_seconds,
            width: raw.width,
            height: raw.height,
            attrs,
            ..Media::of_kind(kind)
        };
        out.push(with_path(m, raw.file.as_ref()));
    }
    if let Some(p) = &raw.poll {
        out.push(Media {
            poll: Some(Poll {
                question: plain_text(&p.question),
                closed: p.closed,
                total_voters: p.total_voters,
                answers: p
                    .answers
                    .iter()
                    .map(|a| PollAnswer {
                        text: plain_text(&a.text),
                        voters: a.voters,
                        chosen: a.chosen,
                    })
                    .collect(),
            }),
            ..Media::of_kind(MediaKind::Poll)
        });
    }
    if let Some(l) = &raw.location_information {
        let mut attrs = Vec::new();
        if let (Some(lat), Some(lon)) = (l.latitude, l.longitude) {
            attrs.push(("latitude".to_string(), lat.to_string()));
            attrs.push(("longitude".to_string(), lon.to_string()));
        }
        for (name, value) in [("place_name", &raw.place_name), ("address", &raw.address)] {
            if let Some(v) = value {
                attrs.push((name.to_string(), v.clone()));
            }
        }
        if let Some(p) = raw.live_location_period_seconds {
            attrs.push(("live_period_seconds".to_string(), p.to_string()));
        }
        out.push(Media {
            attrs,
            ..Media::of_kind(MediaKind::Location)
        });
    }
    if let Some(c) = &raw.contact_information {
        let mut attrs = Vec::new();
        for (name, value) in [
            ("first_name", &c.first_name),
            ("last_name", &c.last_name),
            ("phone_number", &c.phone_number),
        ] {
            if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
                attrs.push((name.to_string(), v.clone()));
            }
        }
        let m = Media {
            attrs,
            ..Media::of_kind(MediaKind::Contact)
        };
        out.push(with_path(m, raw.contact_vcard.as_ref()));
    }
    out
}
