//! Posts as the archive holds them: the current version with everything it carries, every
//! version and every sighting, and which posts a list selects.

use serde::Serialize;
use tgscope_model::{
    Country, Entity, Forward, InferredDate, Link, Media, Reaction, Reply, Sender, Tag,
};

use crate::channel::ChannelInfo;
use crate::watch::AbsenceRecord;

/// Which posts to list, with channels already resolved to archive ids (the engine resolves the
/// names a user writes, so that an ambiguous name is an error, never a union).
#[derive(Debug, Clone, Default)]
pub struct PostQuery {
    /// Only posts of this channel (archive id).
    pub channel_id: Option<i64>,
    /// Only forwards from this channel (archive id).
    pub forwarded_from_id: Option<i64>,
    /// Only posts with a hashtag of this key (`tgscope_text::names::tag_key`).
    pub tag_key: Option<String>,
    /// First day (`YYYY-MM-DD`, inclusive) of the post's date (observed, else inferred).
    pub since: Option<String>,
    /// Last day (inclusive).
    pub until: Option<String>,
    /// At most this many posts.
    pub limit: Option<u64>,
    /// Skip this many posts first.
    pub offset: u64,
}

/// How many posts a [`PostQuery`] matches (its limit and offset aside).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PostCount {
    /// Posts matching every filter.
    pub matching: u64,
    /// Posts matching every filter but the date range, which have no date (observed or
    /// inferred) and so are left out by it; 0 without a date range.
    pub undated_left_out: u64,
}

/// One version of a post with everything it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionRecord {
    /// Archive id of the version.
    pub id: i64,
    /// 1 for the first version seen, 2 for the next, ...
    pub seq: i64,
    /// Identity key of its clean text.
    pub content_key: String,
    /// Clean text.
    pub text: String,
    /// Raw text as the capture had it.
    pub raw_text: String,
    /// Observed date (RFC 3339 UTC).
    pub date: Option<String>,
    /// Inferred date with its basis.
    pub date_inferred: Option<InferredDate>,
    /// Edited mark, where the format has one.
    pub edited: Option<bool>,
    /// Views, where the format has them.
    pub views: Option<u64>,
    /// Signature (or, for a Desktop copy, the header's name).
    pub author: Option<String>,
    /// Who sent it.
    pub sender: Option<Sender>,
    /// When it was last edited (RFC 3339 UTC).
    pub edited_at: Option<String>,
    /// The message it replies to.
    pub reply_to: Option<Reply>,
    /// The bot it was sent via.
    pub via_bot: Option<String>,
    /// Where a saved message was saved from.
    pub saved_from: Option<String>,
    /// Reactions.
    pub reactions: Vec<Reaction>,
    /// Formatting and meaning entities.
    pub entities: Vec<Entity>,
    /// True when the capture showed only "Please open Telegram to view this post".
    pub unviewable: bool,
    /// Forward source.
    pub forward: Option<Forward>,
    /// Media and placeholders.
    pub media: Vec<Media>,
    /// Links.
    pub links: Vec<Link>,
    /// Hashtags.
    pub hashtags: Vec<Tag>,
    /// Mentions.
    pub mentions: Vec<Tag>,
    /// Countries named by flags.
    pub countries: Vec<Country>,
    /// SHA-256 of the capture that first showed this version.
    pub first_capture: String,
    /// When the version entered the archive.
    pub archived_at: String,
}

/// Where a capture showed a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SightingRecord {
    /// Which version (its `seq`).
    pub version_seq: i64,
    /// SHA-256 of the capture.
    pub capture_sha256: String,
    /// The capture's source (path or URL).
    pub capture_source: String,
    /// The capture's format.
    pub format: String,
    /// Position of the post in the capture (0-based).
    pub ordinal: u64,
    /// First line.
    pub line_start: Option<u64>,
    /// Last line.
    pub line_end: Option<u64>,
    /// First byte.
    pub byte_start: Option<u64>,
    /// One past the last byte.
    pub byte_end: Option<u64>,
    /// Views at that sighting.
    pub views: Option<u64>,
    /// The element path in a structured capture.
    pub locator: Option<String>,
    /// When the capture was ingested.
    pub ingested_at: String,
    /// The "edited" mark as that capture showed it, where the format has one.
    pub edited: Option<bool>,
    /// When the capture was made: its fetch time when it was fetched, else its ingest time.
    pub observed_at: String,
}

/// A post with its current version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostRecord {
    /// Archive id of the post.
    pub id: i64,
    /// Its channel.
    pub channel: ChannelInfo,
    /// Telegram's message id, when the format gives one.
    pub message_id: Option<i64>,
    /// The current (latest) version.
    pub current: VersionRecord,
    /// How many versions the post has.
    pub version_count: i64,
    /// SHA-256 of every capture that showed any version, in ingest order.
    pub captures: Vec<String>,
}

/// A post with all its versions and sightings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostDetail {
    /// The post and its current version.
    pub post: PostRecord,
    /// Every version, oldest first.
    pub versions: Vec<VersionRecord>,
    /// Every sighting, in ingest order.
    pub sightings: Vec<SightingRecord>,
    /// Captures covering its id that did not show it, oldest first.
    pub absences: Vec<AbsenceRecord>,
}
