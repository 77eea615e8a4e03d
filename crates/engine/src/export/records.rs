//! The records of tgscope's lists besides posts: search hits, channels, captures and entities.
//! Each has one shape, written by the command line and the server alike (JSON, JSON Lines,
//! CSV through [`super::sink`], Parquet through `tgscope_parquet`); the server's API adds only
//! its own links (`api_url`, `raw_url`) beside them.
//!
//! With the `openapi` feature (the server's), the records carry their OpenAPI schemas.

use serde::Serialize;

use tgscope_analyze::entities::EntityKind;
use tgscope_archive::Capture;
use tgscope_archive::ChannelSummary;
use tgscope_model::CaptureTime;

use super::sink::TableRecord;
use super::{CSV_COLUMNS, ExportRecord};
use crate::entities::{EntityCount, EntityTableView, split_key};
use crate::search::SearchHit;

/// `https://t.me/s/<username>` of a channel with a username.
pub fn telegram_channel_url(username: Option<&str>) -> Option<String> {
    username
        .filter(|u| tgscope_model::looks_like_username(u))
        .map(|u| format!("https://t.me/s/{u}"))
}

/// `https://t.me/<username>/<message_id>` of a post, when both are known.
pub fn telegram_post_url(username: Option<&str>, message_id: Option<i64>) -> Option<String> {
    match (username, message_id) {
        (Some(u), Some(id)) if tgscope_model::looks_like_username(u) => {
            Some(format!("https://t.me/{u}/{id}"))
        }
        _ => None,
    }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// One search result: the post's export record (every field of `docs/export.md`) and why it
/// matched.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchRecord {
    /// The export record of the post's current version (`id`, `channel`, `date`, `text`, ...:
    /// the fields of docs/export.md).
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub record: ExportRecord,
    /// The relevance score (BM25); the same for every hit of a query without words.
    pub score: f32,
    /// A stretch of the text around the matches.
    pub snippet: String,
    /// Byte ranges `[start, end)` of the matched words in `snippet` (UTF-8 bytes).
    pub highlights: Vec<(usize, usize)>,
}

impl SearchRecord {
    /// The record of a hit, with its cluster of copies and named entities.
    pub fn new(
        hit: &SearchHit,
        copies: &crate::copies::CopyRelations,
        recognizer: &tgscope_analyze::entities::Recognizer,
    ) -> SearchRecord {
        SearchRecord {
            record: ExportRecord::with_copies(&hit.post, copies, recognizer),
            score: hit.score,
            snippet: hit.snippet.clone(),
            highlights: hit.highlights.clone(),
        }
    }
}

impl TableRecord for SearchRecord {
    const KIND: &'static str = "search_hit";

    /// The export's columns, then `score` and `snippet` (the highlights are in JSON only).
    fn csv_columns() -> Vec<&'static str> {
        let mut columns = CSV_COLUMNS.to_vec();
        columns.extend(["score", "snippet"]);
        columns
    }

    fn csv_row(&self) -> Vec<String> {
        let mut row = self.record.csv_row();
        row.push(self.score.to_string());
        row.push(self.snippet.clone());
        row
    }
}

impl TableRecord for ExportRecord {
    const KIND: &'static str = "post";

    fn csv_columns() -> Vec<&'static str> {
        CSV_COLUMNS.to_vec()
    }

    fn csv_row(&self) -> Vec<String> {
        ExportRecord::csv_row(self)
    }
}

/// A channel with its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelRecord {
    /// Archive id.
    pub id: i64,
    /// The best name (username, else title), as the API's paths and the command line's
    /// `--channel` take it.
    pub name: String,
    /// Username, when known.
    pub username: Option<String>,
    /// Title, when known.
    pub title: Option<String>,
    /// Telegram's numeric id, when known.
    pub tg_id: Option<i64>,
    /// The chat's kind (`public_channel`, ...), when a capture said.
    pub kind: Option<String>,
    /// Every name it is known by.
    pub aliases: Vec<String>,
    /// Posts archived of it.
    pub posts: u64,
    /// Of which forwards.
    pub forwards: u64,
    /// Posts of other channels forwarded from it.
    pub forwarded_by_others: u64,
    /// Earliest post date (observed or inferred), `YYYY-MM-DD`.
    pub first_date: Option<String>,
    /// Latest post date.
    pub last_date: Option<String>,
    /// `https://t.me/s/<username>` when it has a username.
    pub telegram_url: Option<String>,
}

impl From<&ChannelSummary> for ChannelRecord {
    fn from(c: &ChannelSummary) -> Self {
        ChannelRecord {
            id: c.channel.id,
            name: c.channel.name(),
            username: c.channel.username.clone(),
            title: c.channel.title.clone(),
            tg_id: c.channel.tg_id,
            kind: c.channel.kind.clone(),
            aliases: c.aliases.clone(),
            posts: c.posts,
            forwards: c.forwards,
            forwarded_by_others: c.forwarded_by_others,
            first_date: c.first_date.clone(),
            last_date: c.last_date.clone(),
            telegram_url: telegram_channel_url(c.channel.username.as_deref()),
        }
    }
}

impl TableRecord for ChannelRecord {
    const KIND: &'static str = "channel";

    fn csv_columns() -> Vec<&'static str> {
        vec![
            "id",
            "name",
            "username",
            "title",
            "tg_id",
            "kind",
            "aliases",
            "posts",
            "forwards",
            "forwarded_by_others",
            "first_date",
            "last_date",
            "telegram_url",
        ]
    }

    fn csv_row(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.name.clone(),
            opt(&self.username),
            opt(&self.title),
            opt(&self.tg_id),
            opt(&self.kind),
            self.aliases.join(";"),
            self.posts.to_string(),
            self.forwards.to_string(),
            self.forwarded_by_others.to_string(),
            opt(&self.first_date),
            opt(&self.last_date),
            opt(&self.telegram_url),
        ]
    }
}

/// One ingested capture, with when it was made when the archive knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaptureRecord {
    /// Archive id.
    pub id: i64,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Format (`text`, `desktop-json`, `desktop-html`, `dump`, `tme`).
    pub format: String,
    /// The version of the reader that read it.
    pub reader_version: String,
    /// Where it came from (path or URL).
    pub source: String,
    /// Whether its raw bytes are kept.
    pub raw_kept: bool,
    /// `complete`, or `partial` when its ingest did not finish.
    pub status: String,
    /// Posts read from it.
    pub posts_seen: u64,
    /// Warnings while reading it.
    pub warnings: u64,
    /// When its ingest started, RFC 3339 UTC.
    pub ingested_at: String,
    /// When its ingest finished.
    pub completed_at: Option<String>,
    /// When the capture was made (RFC 3339 UTC, or a day when only the day is known), when
    /// the archive knows.
    pub captured_at: Option<String>,
    /// How `captured_at` is known (`fetched`, `saved_page`, `export_folder`, ...).
    pub captured_basis: Option<String>,
    /// What says so, as written (a saved page's date line, the export folder's name).
    pub captured_evidence: Option<String>,
}

impl CaptureRecord {
    /// The record of a capture, with when it was made when `time` is known.
    pub fn new(c: &Capture, time: Option<&CaptureTime>) -> CaptureRecord {
        CaptureRecord {
            id: c.id,
            sha256: c.sha256.clone(),
            size: c.size,
            format: c.format.clone(),
            reader_version: c.reader_version.clone(),
            source: c.source.clone(),
            raw_kept: c.raw_kept,
            status: c.status.as_str().to_string(),
            posts_seen: c.posts_seen,
            warnings: c.warnings,
            ingested_at: c.ingested_at.clone(),
            completed_at: c.completed_at.clone(),
            captured_at: time.map(|t| t.at.clone()),
            captured_basis: time.map(|t| t.basis.as_str().to_string()),
            captured_evidence: time.and_then(|t| t.evidence.clone()),
        }
    }
}

impl TableRecord for CaptureRecord {
    const KIND: &'static str = "capture";

    fn csv_columns() -> Vec<&'static str> {
        vec![
            "id",
            "sha256",
            "size",
            "format",
            "reader_version",
            "source",
            "raw_kept",
            "status",
            "posts_seen",
            "warnings",
            "ingested_at",
            "completed_at",
            "captured_at",
            "captured_basis",
            "captured_evidence",
        ]
    }

    fn csv_row(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.sha256.clone(),
            self.size.to_string(),
            self.format.clone(),
            self.reader_version.clone(),
            self.source.clone(),
            self.raw_kept.to_string(),
            self.status.clone(),
            self.posts_seen.to_string(),
            self.warnings.to_string(),
            self.ingested_at.clone(),
            opt(&self.completed_at),
            opt(&self.captured_at),
            opt(&self.captured_basis),
            opt(&self.captured_evidence),
        ]
    }
}

/// A channel naming an entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntityChannelView {
    /// Its archive id.
    pub id: i64,
    /// Its name (title, else `@username`).
    pub name: String,
    /// Its posts naming the entity.
    pub posts: u64,
}

/// An entity's first mention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntityFirstView {
    /// The post (archive id): the earliest dated post naming it (the lowest id among undated
    /// ones when none is dated).
    pub post: i64,
    /// Its day, `YYYY-MM-DD`; empty when it has no date.
    pub date: String,
}

/// Posts naming an entity in one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntityPeriodView {
    /// `2024-03-05`, `2024-W10` or `2024-03`.
    pub period: String,
    /// Posts.
    pub posts: u64,
}

/// An entity named in the same posts as another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntityWithView {
    /// Its key (`org:sco`).
    pub key: String,
    /// Its name.
    pub name: String,
    /// Posts naming both.
    pub posts: u64,
}

/// One entity's counts: the record of `tgscope entities` and `/api/v1/entities`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntityRecord {
    /// `country:KZ`, `org:sco`, `person:lavrov`; `person:~такэси ивая` for a person on no list.
    pub key: String,
    /// `country`, `org` or `person`.
    pub kind: String,
    /// `KZ`, `sco`, `lavrov`; `~` and the folded name for a person on no list.
    pub id: String,
    /// Whether it is on the lists (false: a person found after a role phrase).
    pub listed: bool,
    /// Its name in English (for a person on no list, the name as the posts give it).
    pub name: String,
    /// Posts naming it.
    pub posts: u64,
    /// Every mention (a post may name it several times).
    pub mentions: u64,
    /// The channels naming it, the most first.
    pub channels: Vec<EntityChannelView>,
    /// Its first mention; null when no post names it.
    pub first: Option<EntityFirstView>,
    /// Posts naming it per period, in period order (dated posts only).
    pub periods: Vec<EntityPeriodView>,
    /// The entities named in the same posts, the most first (in the table, the first 20).
    pub with: Vec<EntityWithView>,
}

/// How many entities named with another an entity record of the table lists; one entity's
/// own record lists them all.
pub const ENTITY_WITH_IN_TABLE: usize = 20;

/// A time (Unix seconds) as a day, `YYYY-MM-DD` (empty when undated).
pub fn day_of(seconds: Option<i64>) -> String {
    seconds
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string())
}

fn view_name(view: &EntityTableView, key: &str) -> String {
    view.names
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.to_string())
}

fn view_channel(view: &EntityTableView, id: i64) -> String {
    view.channel_names
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("channel {id}"))
}

/// The kind and id of a key (`country`, `KZ`).
fn kind_and_id(key: &str) -> (&str, &str) {
    split_key(key).map_or(("", key), |(k, id): (EntityKind, &str)| (k.as_str(), id))
}

impl EntityRecord {
    /// The record of an entity of the table, with the first `with` entities named with it.
    pub fn new(view: &EntityTableView, e: &EntityCount, with: usize) -> EntityRecord {
        let (kind, id) = kind_and_id(&e.key);
        EntityRecord {
            key: e.key.clone(),
            kind: kind.to_string(),
            id: id.to_string(),
            listed: !id.starts_with('~'),
            name: view_name(view, &e.key),
            posts: e.posts,
            mentions: e.mentions,
            channels: e
                .channels
                .iter()
                .map(|(c, n)| EntityChannelView {
                    id: *c,
                    name: view_channel(view, *c),
                    posts: *n,
                })
                .collect(),
            first: Some(EntityFirstView {
                post: e.first.1,
                date: day_of(e.first.0),
            }),
            periods: e
                .periods
                .iter()
                .map(|(p, n)| EntityPeriodView {
                    period: p.clone(),
                    posts: *n,
                })
                .collect(),
            with: e
                .with
                .iter()
                .take(with)
                .map(|(k, n)| EntityWithView {
                    key: k.clone(),
                    name: view_name(view, k),
                    posts: *n,
                })
                .collect(),
        }
    }

    /// The record of an entity no post (asked about) names.
    pub fn unnamed(key: &str, name: String) -> EntityRecord {
        let (kind, id) = kind_and_id(key);
        EntityRecord {
            key: key.to_string(),
            kind: kind.to_string(),
            id: id.to_string(),
            listed: !id.starts_with('~'),
            name,
            posts: 0,
            mentions: 0,
            channels: Vec::new(),
            first: None,
            periods: Vec::new(),
            with: Vec::new(),
        }
    }
}

impl TableRecord for EntityRecord {
    const KIND: &'static str = "entity";

    /// The counts, then the first five channels and companions as `name (posts)` joined by
    /// `; ` (JSON has them all).
    fn csv_columns() -> Vec<&'static str> {
        vec![
            "key",
            "kind",
            "id",
            "name",
            "posts",
            "mentions",
            "channels",
            "first_post",
            "first_date",
            "top_channels",
            "with",
        ]
    }

    fn csv_row(&self) -> Vec<String> {
        let top = |items: Vec<String>| items.join("; ");
        vec![
            self.key.clone(),
            self.kind.clone(),
            self.id.clone(),
            self.name.clone(),
            self.posts.to_string(),
            self.mentions.to_string(),
            self.channels.len().to_string(),
            self.first
                .as_ref()
                .map(|f| f.post.to_string())
                .unwrap_or_default(),
            self.first
                .as_ref()
                .map(|f| f.date.clone())
                .unwrap_or_default(),
            top(self
                .channels
                .iter()
                .take(5)
                .map(|c| format!("{} ({})", c.name, c.posts))
                .collect()),
            top(self
                .with
                .iter()
                .take(5)
                .map(|w| format!("{} ({})", w.name, w.posts))
                .collect()),
        ]
    }
}
