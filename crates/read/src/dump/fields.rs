//! Which fields of a dump's records hold what: the `--map` option and detection of common names.

use serde_json::{Map, Value};

/// Field names tried for the message id, in order.
pub(crate) const ID: &[&str] = &["message_id", "id", "msg_id", "messageId", "post_id"];
/// Field names tried for the text.
pub(crate) const TEXT: &[&str] = &[
    "text",
    "message",
    "content",
    "body",
    "raw_text",
    "caption",
    "message_text",
];
/// Field names tried for the time.
pub(crate) const DATE: &[&str] = &[
    "date_unixtime",
    "date",
    "timestamp",
    "datetime",
    "time",
    "created_at",
    "posted_at",
    "published_at",
];
/// Field names tried for the channel (all that are present add to what is known of it).
pub(crate) const CHANNEL: &[&str] = &[
    "channel",
    "channel_username",
    "chat",
    "channel_name",
    "channel_title",
    "chat_title",
    "chat_name",
    "peer",
    "peer_id",
    "to_id",
    "channel_id",
    "chat_id",
];
/// Field names tried for the view count.
pub(crate) const VIEWS: &[&str] = &["views", "view_count", "views_count", "viewCount"];
/// Field names tried for the sender.
pub(crate) const SENDER: &[&str] = &[
    "sender_id",
    "from_id",
    "sender",
    "from_user",
    "from",
    "user_id",
    "author_id",
    "sender_chat",
];
/// Field names tried for the replied-to message.
pub(crate) const REPLY_TO: &[&str] = &[
    "reply_to_msg_id",
    "reply_to_message_id",
    "reply_to",
    "reply_to_id",
    "reply_id",
];
/// Field names tried for the forward origin.
pub(crate) const FORWARDED_FROM: &[&str] = &[
    "fwd_from",
    "forwarded_from",
    "forward_from_chat",
    "forward_from",
    "forward_sender_name",
    "forward",
];
/// Field names tried for media.
pub(crate) const MEDIA: &[&str] = &["media", "media_type"];
/// Fields holding a `t.me` link to the message (its id and channel when no field gives them).
pub(crate) const URL: &[&str] = &["url", "link", "post_url", "message_link", "permalink"];

/// Which record fields hold what. Every field left `None` is looked for under its common names
/// in each record; a field given (by [`FieldMap::parse`], from `--map`) is read from that name
/// only. A name may be a dotted path into nested objects (`peer_id.channel_id`) when no field has
/// the name as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldMap {
    /// The message id (`message_id`, `id`, `msg_id`, ...).
    pub id: Option<String>,
    /// The text (`text`, `message`, `content`, `body`, ...).
    pub text: Option<String>,
    /// The time (`date`, `timestamp`, `datetime`, ...): RFC 3339, ISO without offset, or unix
    /// seconds.
    pub date: Option<String>,
    /// The channel (`channel`, `chat`, `channel_username`, `peer_id`, ...): a username, title,
    /// numeric id or object.
    pub channel: Option<String>,
    /// The view count (`views`, ...).
    pub views: Option<String>,
    /// The sender (`sender_id`, `from_id`, ...).
    pub sender: Option<String>,
    /// The replied-to message (`reply_to_msg_id`, `reply_to`, ...).
    pub reply_to: Option<String>,
    /// The forward origin (`fwd_from`, `forwarded_from`, ...).
    pub forwarded_from: Option<String>,
    /// Media (`media`, `media_type`).
    pub media: Option<String>,
}

/// `--map` names and the field each sets.
const NAMES: &[&str] = &[
    "id",
    "text",
    "date",
    "channel",
    "views",
    "sender",
    "reply_to",
    "forwarded_from",
    "media",
];

impl FieldMap {
    /// Parses `--map id=msg_id,text=message,date=ts`. Names: `id`, `text`, `date`, `channel`,
    /// `views`, `sender`, `reply_to`, `forwarded_from` (also `forward`), `media`. An unknown
    /// name, a pair without `=`, an empty field name or a name given twice is an error
    /// message.
    pub fn parse(spec: &str) -> Result<FieldMap, String> {
        let mut map = FieldMap::default();
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, field)) = pair.split_once('=') else {
                return Err(format!(
                    "`{pair}` in the field map is not NAME=FIELD (e.g. text=message)"
                ));
            };
            let (name, field) = (name.trim(), field.trim());
            if field.is_empty() {
                return Err(format!("`{pair}` in the field map names no field"));
            }
            let slot = match name {
                "id" | "message_id" => &mut map.id,
                "text" => &mut map.text,
                "date" | "time" => &mut map.date,
                "channel" | "chat" => &mut map.channel,
                "views" => &mut map.views,
                "sender" | "from" => &mut map.sender,
                "reply_to" | "reply" => &mut map.reply_to,
                "forwarded_from" | "forward" | "fwd_from" => &mut map.forwarded_from,
                "media" => &mut map.media,
                _ => {
                    return Err(format!(
                        "unknown name `{name}` in the field map (known: {})",
                        NAMES.join(", ")
                    ));
                }
            };
            if slot.is_some() {
                return Err(format!("`{name}` is given twice in the field map"));
            }
            *slot = Some(field.to_string());
        }
        Ok(map)
    }

    /// Guesses the fields from one record (the first of a dump): for each, the first common
    /// name the record holds with a value (for the id, a whole number).
    pub fn detect(record: &Map<String, Value>) -> FieldMap {
        let first = |names: &[&str]| {
            names
                .iter()
                .find(|n| record.get(**n).is_some_and(|v| !v.is_null()))
                .map(|n| n.to_string())
        };
        FieldMap {
            id: ID
                .iter()
                .find(|n| record.get(**n).and_then(super::values::int).is_some())
                .map(|n| n.to_string()),
            text: first(TEXT),
            date: first(DATE),
            channel: first(CHANNEL),
            views: first(VIEWS),
            sender: first(SENDER),
            reply_to: first(REPLY_TO),
            forwarded_from: first(FORWARDED_FROM),
            media: first(MEDIA),
        }
    }

    /// The fields given, as `(name, field)` pairs.
    pub(crate) fn given(&self) -> Vec<(&'static str, &str)> {
        [
            ("id", &self.id),
            ("text", &self.text),
            ("date", &self.date),
            ("channel", &self.channel),
            ("views", &self.views),
            ("sender", &self.sender),
            ("reply_to", &self.reply_to),
            ("forwarded_from", &self.forwarded_from),
            ("media", &self.media),
        ]
        .into_iter()
        .filter_map(|(n, f)| f.as_deref().map(|f| (n, f)))
        .collect()
    }
}

/// The value of `field` in `record`: the field of that name, else a dotted path into nested
/// objects.
pub(crate) fn lookup<'a>(record: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    if let Some(v) = record.get(field) {
        return Some(v);
    }
    let mut parts = field.split('.');
    let mut value = record.get(parts.next()?)?;
    for part in parts {
        value = match value {
            Value::Object(o) => o.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// The value for a field: from the given name when there is one, else from the first of
/// `names` the record holds that `accept` takes.
pub(crate) fn pick<'a>(
    record: &'a Map<String, Value>,
    given: Option<&str>,
    names: &[&str],
    accept: impl Fn(&Value) -> bool,
) -> Option<&'a Value> {
    match given {
        Some(field) => lookup(record, field).filter(|v| !v.is_null()),
        None => names
            .iter()
            .filter_map(|n| record.get(*n))
            .find(|v| !v.is_null() && accept(v)),
    }
}
