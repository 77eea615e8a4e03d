//! What a dump's field values mean, in the shapes scraping scripts write them.
//!
//! Numbers, Telegram peer ids, channels, senders, times, `t.me` links and media kinds.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value};
use tgscope_model::{ChannelRef, MediaKind, Sender};

/// A whole number: a JSON integer, a float without a fraction, or a string of digits.
pub(crate) fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A string value, trimmed, when not empty.
pub(crate) fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The kind (`user`, `chat`, `channel`) and bare id of a Telegram peer id as Telethon and the
/// Bot API write it: a channel as `-100` and its id (also without the minus sign, as in file
/// names), a basic group as the negative id, a user as the positive id. Channel ids have at
/// least ten digits, so only a `100` prefix followed by ten or more digits is taken as one.
pub(crate) fn peer(n: i64) -> (&'static str, i64) {
    let digits = n.unsigned_abs().to_string();
    if digits.len() >= 13
        && digits.starts_with("100")
        && let Some(bare) = digits.get(3..).and_then(|d| d.parse().ok())
    {
        return ("channel", bare);
    }
    if n < 0 {
        ("chat", n.saturating_neg())
    } else {
        ("user", n)
    }
}

/// A peer object: Telethon's `{"_": "PeerChannel", "channel_id": N}` (and `PeerUser`,
/// `PeerChat`), or any object with an `id`.
pub(crate) fn peer_of_object(o: &Map<String, Value>) -> Option<(&'static str, i64)> {
    if let Some(id) = o.get("channel_id").and_then(int) {
        return Some(("channel", peer(id).1));
    }
    if let Some(id) = o.get("chat_id").and_then(int) {
        return Some(if id < 0 { peer(id) } else { ("chat", id) });
    }
    if let Some(id) = o.get("user_id").and_then(int) {
        return Some(("user", id));
    }
    o.get("id").and_then(int).map(peer)
}

/// A peer as a prefixed id (`user1`, `chat2`, `channel3`), as Desktop exports write `from_id`.
pub(crate) fn prefixed((kind, id): (&'static str, i64)) -> String {
    format!("{kind}{id}")
}

/// An id string already in the prefixed form (`user123`, `channel123`, `chat123`).
pub(crate) fn is_prefixed(s: &str) -> bool {
    ["user", "channel", "chat"].iter().any(|p| {
        s.strip_prefix(p)
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// The display name of a user or chat object (`title`, `first_name last_name`, `name`,
/// `username`).
pub(crate) fn object_name(o: &Map<String, Value>) -> Option<String> {
    if let Some(t) = o.get("title").and_then(text) {
        return Some(t);
    }
    let first = o.get("first_name").and_then(text);
    let last = o.get("last_name").and_then(text);
    match (first, last) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (Some(n), None) | (None, Some(n)) => Some(n),
        (None, None) => o
            .get("name")
            .and_then(text)
            .or_else(|| o.get("username").and_then(text)),
    }
}

/// A sender: a peer id (number or digits), a prefixed id, a peer or user object, or a name.
pub(crate) fn sender(v: &Value) -> Option<Sender> {
    match v {
        Value::Number(_) => int(v).map(|n| Sender {
            name: None,
            id: Some(prefixed(peer(n))),
        }),
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                None
            } else if let Ok(n) = s.parse::<i64>() {
                Some(Sender {
                    name: None,
                    id: Some(prefixed(peer(n))),
                })
            } else if is_prefixed(s) {
                Some(Sender {
                    name: None,
                    id: Some(s.to_string()),
                })
            } else {
                Some(Sender {
                    name: Some(s.to_string()),
                    id: None,
                })
            }
        }
        Value::Object(o) => {
            let s = Sender {
                name: object_name(o),
                id: peer_of_object(o).map(prefixed),
            };
            (s.name.is_some() || s.id.is_some()).then_some(s)
        }
        _ => None,
    }
}

/// What a `t.me` link to a message says: the channel's username or (for `t.me/c/...`) bare id,
/// and the message id.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TmeLink {
    pub username: Option<String>,
    pub tg_id: Option<i64>,
    pub message_id: Option<i64>,
}

/// Reads `https://t.me/name/123`, `t.me/s/name/123`, `t.me/c/1234567890/123`,
/// `telegram.me/name` (query and fragment ignored).
pub(crate) fn tme_link(url: &str) -> Option<TmeLink> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    let path = ["t.me/", "telegram.me/", "telegram.dog/"]
        .iter()
        .find_map(|host| {
            rest.get(..host.len())
                .filter(|h| h.eq_ignore_ascii_case(host))
                .and_then(|_| rest.get(host.len()..))
        })?;
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let mut parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    if parts.first() == Some(&"s") {
        parts.remove(0);
    }
    let mut link = TmeLink::default();
    match parts.as_slice() {
        ["c", id, rest @ ..] => {
            link.tg_id = id.parse().ok();
            link.message_id = rest.last().and_then(|m| m.parse().ok());
        }
        [name, rest @ ..] if tgscope_model::looks_like_username(name) => {
            link.username = Some(name.to_string());
            link.message_id = rest.last().and_then(|m| m.parse().ok());
        }
        _ => return None,
    }
    Some(link)
}

/// A channel: a numeric id (with or without `-100`), `@name`, a `t.me` link, a title, a peer
/// object (`{"_": "PeerChannel", "channel_id": N}`) or a chat object (`id`, `title`,
/// `username`, `type`).
pub(crate) fn channel(v: &Value) -> Option<ChannelRef> {
    match v {
        Value::Number(_) => int(v).map(|n| ChannelRef {
            tg_id: Some(peer(n).1),
            ..ChannelRef::default()
        }),
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                return None;
            }
            if let Ok(n) = s.parse::<i64>() {
                return Some(ChannelRef {
                    tg_id: Some(peer(n).1),
                    ..ChannelRef::default()
                });
            }
            if let Some(link) = tme_link(s) {
                return Some(ChannelRef {
                    tg_id: link.tg_id,
                    username: link.username,
                    ..ChannelRef::default()
                });
            }
            Some(ChannelRef::named(s))
        }
        Value::Object(o) => {
            let c = ChannelRef {
                tg_id: peer_of_object(o).map(|p| p.1),
                username: o
                    .get("username")
                    .and_then(text)
                    .map(|u| u.trim_start_matches('@').to_string()),
                title: o.get("title").and_then(text).or_else(|| object_name(o)),
                kind: o.get("type").and_then(text).map(|t| {
                    t.rsplit('.')
                        .next()
                        .unwrap_or_default()
                        .to_ascii_lowercase()
                }),
            };
            (c != ChannelRef::default()).then_some(c)
        }
        _ => None,
    }
}

/// Fills what `into` lacks from `from`.
pub(crate) fn merge_channel(into: &mut ChannelRef, from: ChannelRef) {
    into.tg_id = into.tg_id.or(from.tg_id);
    if into.username.is_none() {
        into.username = from.username;
    }
    if into.title.is_none() {
        into.title = from.title;
    }
    if into.kind.is_none() {
        into.kind = from.kind;
    }
}

/// A time as a dump writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum When {
    /// With a UTC offset or as unix seconds: RFC 3339 UTC.
    Utc(String),
    /// Without an offset: a local time of unknown offset.
    Local(NaiveDateTime),
    /// A day without a time.
    Day(NaiveDate),
    /// A time outside the years 1 to 9999, which RFC 3339 cannot write: `past` when after the
    /// year 9999, else before the year 1.
    OutOfRange {
        /// After the year 9999.
        past: bool,
    },
    /// Not a time tgscope reads.
    Unknown,
}

impl When {
    /// True for a time tgscope reads (in range).
    pub(crate) fn is_time(&self) -> bool {
        !matches!(self, When::Unknown | When::OutOfRange { .. })
    }
}

/// The years RFC 3339 writes.
const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// RFC 3339 UTC with whole seconds, as every reader writes observed times; `None` outside the
/// years 1 to 9999.
pub(crate) fn utc_text(at: DateTime<Utc>) -> Option<String> {
    YEARS
        .contains(&at.year())
        .then(|| at.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// A UTC time, or out of range.
fn utc(at: DateTime<Utc>) -> When {
    match utc_text(at) {
        Some(text) => When::Utc(text),
        None => When::OutOfRange {
            past: at.year() > *YEARS.end(),
        },
    }
}

/// A local time or day, or out of range.
fn local(at: NaiveDateTime, day_only: bool) -> When {
    match (YEARS.contains(&at.year()), day_only) {
        (true, false) => When::Local(at),
        (true, true) => When::Day(at.date()),
        (false, _) => When::OutOfRange {
            past: at.year() > *YEARS.end(),
        },
    }
}

/// Unix seconds (milliseconds when the number is too large to be seconds: beyond the year
/// 5000); out of range outside the years 1 to 9999.
fn unix(secs: f64) -> When {
    // The first second of the year 1 and the last of the year 9999.
    const FIRST: f64 = -62_135_596_800.0;
    const LAST: f64 = 253_402_300_799.0;
    let secs = if secs.abs() >= 1.0e11 {
        secs / 1000.0
    } else {
        secs
    };
    if !secs.is_finite() {
        return When::Unknown;
    }
    let secs = secs.floor();
    if !(FIRST..=LAST).contains(&secs) {
        return When::OutOfRange { past: secs > LAST };
    }
    DateTime::<Utc>::from_timestamp(secs as i64, 0).map_or(When::Unknown, utc)
}

/// Reads a time: unix seconds (number or digits), RFC 3339 / ISO 8601 with an offset (`T` or a
/// space between date and time, `Z`, `+00:00`, `+0000`, ` UTC`), ISO without an offset, or a
/// bare date.
pub(crate) fn when(v: &Value) -> When {
    match v {
        Value::Number(n) => n.as_f64().map_or(When::Unknown, unix),
        Value::String(s) => when_text(s),
        _ => When::Unknown,
    }
}

fn when_text(s: &str) -> When {
    let s = s.trim();
    // Unix seconds in a string: at least nine digits (from 1973 on), so a year is not one.
    if s.split('.').next().is_some_and(|whole| whole.len() >= 9)
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        return s.parse::<f64>().map_or(When::Unknown, unix);
    }
    let mut t = s.to_string();
    if t.as_bytes().get(10) == Some(&b' ') {
        t.replace_range(10..11, "T");
    }
    for zone in [" UTC", " GMT", "UTC", " Z"] {
        if let Some(stripped) = t.strip_suffix(zone) {
            t = format!("{}+00:00", stripped.trim_end());
            break;
        }
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(&t) {
        return utc(at.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f %z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
    ] {
        if let Ok(at) = DateTime::<FixedOffset>::parse_from_str(&t, format) {
            return utc(at.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(&t, format) {
            return local(at, false);
        }
    }
    match NaiveDate::parse_from_str(&t, "%Y-%m-%d") {
        Ok(day) => local(day.and_time(chrono::NaiveTime::MIN), true),
        Err(_) => When::Unknown,
    }
}

/// A local time read with a known offset, as RFC 3339 UTC.
pub(crate) fn local_to_utc(local: NaiveDateTime, offset: FixedOffset) -> Option<String> {
    offset
        .from_local_datetime(&local)
        .single()
        .and_then(|at| utc_text(at.with_timezone(&Utc)))
}

/// The media kind a name gives (`photo`, `MessageMediaPhoto`, `MessageMediaType.VIDEO_NOTE`,
/// `video_note`, `gif`); `None` for no media (`web_page`, `none`, empty).
pub(crate) fn media_kind(name: &str) -> Option<MediaKind> {
    let lower = name.trim().to_ascii_lowercase();
    let lower = lower.rsplit('.').next().unwrap_or_default();
    let lower = lower.strip_prefix("messagemedia").unwrap_or(lower);
    let kind = match lower.replace('_', "").as_str() {
        "" | "none" | "empty" | "null" | "false" | "webpage" => return None,
        "photo" | "image" | "picture" => MediaKind::Photo,
        "video" => MediaKind::Video,
        "videonote" | "round" | "videomessage" | "roundvideo" => MediaKind::VideoMessage,
        "animation" | "gif" => MediaKind::Animation,
        "voice" | "voicenote" | "voicemessage" => MediaKind::Voice,
        "audio" | "music" => MediaKind::Audio,
        "document" | "file" => MediaKind::Document,
        "sticker" => MediaKind::Sticker,
        "poll" => MediaKind::Poll,
        "geo" | "geolive" | "venue" | "location" => MediaKind::Location,
        "contact" => MediaKind::Contact,
        "album" | "groupedmedia" | "mediagroup" => MediaKind::Album,
        _ => MediaKind::Unknown,
    };
    Some(kind)
}
