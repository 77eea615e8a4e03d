//! The JSON API's response types with their OpenAPI schemas, built from engine records.

use serde::Serialize;
use tgscope_engine::export::{CaptureRecord, ChannelRecord, ExportRecord, SearchRecord};
use tgscope_engine::export::{ExportForward, ExportLink, ExportMedia};
use tgscope_engine::{
    AbsenceRecord, ChannelCopies, ChannelCount, ChannelInfo, ChannelSummary, ClusterDetail,
    ClusterSummary, CopyCounterpart, CopyItem, QueryCounts, SightingRecord, SourceCount, TagCount,
    VersionRecord,
};
use utoipa::ToSchema;

use crate::links;

/// One search result: the post as an export record (every field of `docs/export.md`), with
/// why it matched: the engine's [`SearchRecord`], the shape of `tgscope search --format jsonl`.
pub type Hit = SearchRecord;

/// Posts per period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Counts {
    /// `day`, `week` (from Monday) or `month`.
    pub by: String,
    /// Whether the period was chosen to fit the span of the matches (none was asked for).
    pub by_chosen: bool,
    /// Every post matching.
    pub matching: u64,
    /// Matching posts without a date (observed or inferred): in no period, so left out of
    /// `periods`, which add up to `matching - undated`.
    pub undated: u64,
    /// Every period from the first with a post to the last, 0 where none.
    pub periods: Vec<PeriodView>,
}

/// Posts in one period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodView {
    /// The period's first day, `YYYY-MM-DD`.
    pub start: String,
    /// Posts dated in it.
    pub count: u64,
}

impl Counts {
    /// Counts from the engine's.
    pub fn new(counts: &QueryCounts) -> Counts {
        Counts {
            by: counts.period.as_str().to_string(),
            by_chosen: counts.period_chosen,
            matching: counts.matching,
            undated: counts.undated,
            periods: counts
                .counts
                .iter()
                .map(|p| PeriodView {
                    start: p.start.clone(),
                    count: p.count,
                })
                .collect(),
        }
    }
}

/// A page of search results.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResponse {
    /// The query as run.
    pub query: String,
    /// `relevance`, `date` (newest first) or `date-asc`, as asked.
    pub sort: String,
    /// Whether the hits are ranked by relevance: false when another order was asked for, or
    /// when the query has only filters (no words to rank by), whose hits are then newest first.
    pub ranked: bool,
    /// Whether an ingest at work is still bringing the search index up to the archive: the
    /// hits are those of the posts indexed so far.
    pub index_catching_up: bool,
    /// Every post the query matches (not only this page).
    pub total: u64,
    /// Results skipped before this page.
    pub offset: usize,
    /// The page size used (the request's `limit`, capped by the server).
    pub limit: usize,
    /// This page's results.
    pub hits: Vec<Hit>,
    /// The cursor of the next page; null on the last.
    pub next_cursor: Option<String>,
    /// Matching posts per period, when `by` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<Counts>,
}

/// An inferred date with its basis.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InferredDateView {
    /// `YYYY-MM-DD` (or `YYYY-MM-DDTHH:MM` local time for a Desktop copy header).
    pub date: String,
    /// How it was inferred (`text_date`, `day_separator`, ...).
    pub basis: String,
    /// The text it came from.
    pub evidence: String,
    /// More detail, when there is any.
    pub detail: Option<String>,
}

/// One version of a post: its text as one or more captures showed it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionView {
    /// 1 for the first version seen, 2 for the next, ...
    pub seq: i64,
    /// Clean text.
    pub text: String,
    /// Raw text as the capture had it.
    pub raw_text: String,
    /// Observed date, RFC 3339 UTC.
    pub date: Option<String>,
    /// Inferred date with its basis.
    pub date_inferred: Option<InferredDateView>,
    /// Edited mark, where the format has one.
    pub edited: Option<bool>,
    /// When it was last edited (RFC 3339 UTC), when the capture says.
    pub edited_at: Option<String>,
    /// Views, where the format has them.
    pub views: Option<u64>,
    /// Signature or sender shown.
    pub author: Option<String>,
    /// Forward source (`title`, `username`, `message_id`, `date`, `sender_id`).
    #[schema(value_type = Option<Object>)]
    pub forwarded_from: Option<ExportForward>,
    /// Hashtags without `#`.
    pub hashtags: Vec<String>,
    /// Links (`url` null when the capture lost it, `label`).
    #[schema(value_type = Vec<Object>)]
    pub links: Vec<ExportLink>,
    /// Media and placeholders (the export's media objects).
    #[schema(value_type = Vec<Object>)]
    pub media: Vec<ExportMedia>,
    /// SHA-256 of the capture that first showed this version.
    pub first_capture: String,
    /// When the version entered the archive (RFC 3339 UTC).
    pub archived_at: String,
}

impl From<&VersionRecord> for VersionView {
    fn from(v: &VersionRecord) -> Self {
        VersionView {
            seq: v.seq,
            text: v.text.clone(),
            raw_text: v.raw_text.clone(),
            date: v.date.clone(),
            date_inferred: v.date_inferred.as_ref().map(|d| InferredDateView {
                date: d.date.clone(),
                basis: d.basis.as_str().to_string(),
                evidence: d.evidence.clone(),
                detail: d.detail.clone(),
            }),
            edited: v.edited,
            edited_at: v.edited_at.clone(),
            views: v.views,
            author: v.author.clone(),
            forwarded_from: v.forward.as_ref().map(ExportForward::from),
            hashtags: v.hashtags.iter().map(|t| t.value.clone()).collect(),
            links: v.links.iter().map(ExportLink::from).collect(),
            media: v.media.iter().map(ExportMedia::from).collect(),
            first_capture: v.first_capture.clone(),
            archived_at: v.archived_at.clone(),
        }
    }
}

/// Where a capture showed a version of the post.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SightingView {
    /// Which version (its `seq`).
    pub version: i64,
    /// SHA-256 of the capture.
    pub capture_sha256: String,
    /// The capture's source (path or URL).
    pub capture_source: String,
    /// The capture's format.
    pub format: String,
    /// Position of the post in the capture (from 0).
    pub ordinal: u64,
    /// First line.
    pub line_start: Option<u64>,
    /// Last line.
    pub line_end: Option<u64>,
    /// First byte.
    pub byte_start: Option<u64>,
    /// One past the last byte.
    pub byte_end: Option<u64>,
    /// The element path in a structured capture.
    pub locator: Option<String>,
    /// Views at that sighting.
    pub views: Option<u64>,
    /// The "edited" mark as that capture showed it.
    pub edited: Option<bool>,
    /// When the capture was made (fetch time, else ingest time), RFC 3339 UTC.
    pub observed_at: String,
    /// When the capture was ingested, RFC 3339 UTC.
    pub ingested_at: String,
}

impl From<&SightingRecord> for SightingView {
    fn from(s: &SightingRecord) -> Self {
        SightingView {
            version: s.version_seq,
            capture_sha256: s.capture_sha256.clone(),
            capture_source: s.capture_source.clone(),
            format: s.format.clone(),
            ordinal: s.ordinal,
            line_start: s.line_start,
            line_end: s.line_end,
            byte_start: s.byte_start,
            byte_end: s.byte_end,
            locator: s.locator.clone(),
            views: s.views,
            edited: s.edited,
            observed_at: s.observed_at.clone(),
            ingested_at: s.ingested_at.clone(),
        }
    }
}

/// A capture that covered the post's id and did not show it (evidence of a deletion).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AbsenceView {
    /// SHA-256 of the capture.
    pub capture_sha256: String,
    /// Its source.
    pub capture_source: String,
    /// When it was made, RFC 3339 UTC.
    pub observed_at: String,
    /// The first message id it covered.
    pub first_id: i64,
    /// The last message id it covered.
    pub last_id: i64,
}

impl From<&AbsenceRecord> for AbsenceView {
    fn from(a: &AbsenceRecord) -> Self {
        AbsenceView {
            capture_sha256: a.capture_sha256.clone(),
            capture_source: a.capture_source.clone(),
            observed_at: a.observed_at.clone(),
            first_id: a.range.0,
            last_id: a.range.1,
        }
    }
}

/// A post with its history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PostResponse {
    /// The export record of its current version (docs/export.md).
    #[schema(value_type = Object)]
    pub post: ExportRecord,
    /// Every version, oldest first.
    pub versions: Vec<VersionView>,
    /// Every sighting, in ingest order.
    pub sightings: Vec<SightingView>,
    /// Captures covering its id that did not show it, oldest first.
    pub absences: Vec<AbsenceView>,
}

/// A channel with its counts: the engine's [`ChannelRecord`] (what `tgscope channels` writes)
/// and its API path.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelView {
    /// The channel's record.
    #[serde(flatten)]
    pub record: ChannelRecord,
    /// Its API path.
    pub api_url: String,
}

impl From<&ChannelSummary> for ChannelView {
    fn from(c: &ChannelSummary) -> Self {
        ChannelView {
            record: ChannelRecord::from(c),
            api_url: format!("/api/v1/channels/{}", links::channel_key(&c.channel)),
        }
    }
}

/// Channels, most posts first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelsResponse {
    /// Every channel in the archive (also those known only as forward sources).
    pub total: u64,
    /// This page.
    pub channels: Vec<ChannelView>,
    /// The cursor of the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A hashtag with its number of posts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TagView {
    /// The hashtag without `#`, as first written.
    pub tag: String,
    /// Posts using it (current versions).
    pub posts: u64,
    /// Its API path.
    pub api_url: String,
}

impl From<&TagCount> for TagView {
    fn from(t: &TagCount) -> Self {
        TagView {
            tag: t.tag.clone(),
            posts: t.posts,
            api_url: format!("/api/v1/hashtags/{}", links::path_segment(&t.tag)),
        }
    }
}

/// A forward source with its number of posts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourceView {
    /// The best name (username, else title).
    pub name: String,
    /// Archive id of the source, when the archive knows it as a channel.
    pub channel_id: Option<i64>,
    /// Username, when known.
    pub username: Option<String>,
    /// Title, when known.
    pub title: Option<String>,
    /// Posts forwarded from it.
    pub posts: u64,
}

impl From<&SourceCount> for SourceView {
    fn from(s: &SourceCount) -> Self {
        SourceView {
            name: s.name.clone(),
            channel_id: s.channel_id,
            username: s.username.clone(),
            title: s.title.clone(),
            posts: s.posts,
        }
    }
}

/// One channel with its counts, activity, top hashtags and forward sources.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelResponse {
    /// The channel.
    pub channel: ChannelView,
    /// Its posts per period (`by`, weeks by default).
    pub activity: Counts,
    /// Its most used hashtags (10).
    pub top_hashtags: Vec<TagView>,
    /// The sources it forwards most (10).
    pub top_forward_sources: Vec<SourceView>,
}

/// A channel's posts per period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityResponse {
    /// The channel's name.
    pub channel: String,
    /// Its posts per period.
    pub activity: Counts,
}

/// A channel's most used hashtags.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelHashtagsResponse {
    /// The channel's name.
    pub channel: String,
    /// Most posts first.
    pub hashtags: Vec<TagView>,
}

/// The sources a channel forwards most.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ForwardsResponse {
    /// The channel's name.
    pub channel: String,
    /// Most posts first.
    pub sources: Vec<SourceView>,
}

/// The hashtags used most across the archive.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HashtagsResponse {
    /// This page, most posts first.
    pub hashtags: Vec<TagView>,
    /// The cursor of the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A channel using a hashtag.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TagChannelView {
    /// The channel's best name.
    pub name: String,
    /// Its archive id.
    pub channel_id: i64,
    /// Its posts using the hashtag.
    pub posts: u64,
}

impl From<&ChannelCount> for TagChannelView {
    fn from(c: &ChannelCount) -> Self {
        TagChannelView {
            name: c.channel.name(),
            channel_id: c.channel.id,
            posts: c.posts,
        }
    }
}

/// A hashtag: its posts (newest first) and its use over time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HashtagResponse {
    /// The hashtag without `#`, as first written.
    pub tag: String,
    /// Posts using it.
    pub total: u64,
    /// The channels using it most (10).
    pub channels: Vec<TagChannelView>,
    /// Its posts per period (`by`, weeks by default).
    pub counts: Counts,
    /// This page of its posts, newest first.
    pub hits: Vec<Hit>,
    /// The cursor of the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// One ingested capture: the engine's [`CaptureRecord`] (what `tgscope captures` writes) and
/// where to download its bytes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaptureView {
    /// The capture's record.
    #[serde(flatten)]
    pub record: CaptureRecord,
    /// Where to download its exact bytes (`/api/v1/captures/SHA/raw`), when they are kept.
    pub raw_url: Option<String>,
}

impl From<CaptureRecord> for CaptureView {
    fn from(record: CaptureRecord) -> Self {
        let raw_url = record
            .raw_kept
            .then(|| format!("/api/v1/captures/{}/raw", record.sha256));
        CaptureView { record, raw_url }
    }
}

/// Captures, in ingest order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CapturesResponse {
    /// Every capture.
    pub total: u64,
    /// This page.
    pub captures: Vec<CaptureView>,
    /// The cursor of the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A channel as the copy analysis names it (the engine's channel fields, with its name and
/// API path).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelRef {
    /// Archive id.
    pub id: i64,
    /// The best name (username, else title), as used in this API's paths.
    pub name: String,
    /// Username, when known.
    pub username: Option<String>,
    /// Title, when known.
    pub title: Option<String>,
    /// Telegram's numeric id, when known.
    pub tg_id: Option<i64>,
    /// The chat's kind (`public_channel`, ...), when a capture said.
    pub kind: Option<String>,
    /// Its API path.
    pub api_url: String,
}

impl From<&ChannelInfo> for ChannelRef {
    fn from(c: &ChannelInfo) -> Self {
        ChannelRef {
            id: c.id,
            name: c.name(),
            username: c.username.clone(),
            title: c.title.clone(),
            tg_id: c.tg_id,
            kind: c.kind.clone(),
            api_url: format!(
                "/api/v1/channels/{}",
                links::path_segment(&links::channel_key(c))
            ),
        }
    }
}

/// How a copy names its source.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CopyAttributionView {
    /// `forward_header`, `link` (a `t.me` link), `mention` (an @mention) or `source_line`
    /// (a line such as "Source: ...").
    pub kind: String,
    /// What it names.
    pub names: String,
}

/// One post of a cluster, described against the first post seen in the archive.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CopyItemView {
    /// Archive id of the post.
    pub id: i64,
    /// Its channel.
    pub channel: ChannelRef,
    /// Its date: RFC 3339 UTC when observed; when inferred, as the archive keeps it
    /// (`YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM` local time) and `date_inferred` is true.
    pub date: Option<String>,
    /// Whether `date` was inferred (not given by a capture).
    pub date_inferred: bool,
    /// Whether it is the first post seen in this archive (not necessarily the first
    /// anywhere).
    pub first_seen: bool,
    /// Its relation to the first post: `first`, `forward`, `attributed` (names its source),
    /// `unattributed` or `partial` (reuses a part).
    pub relation: String,
    /// How it names its source, when it does.
    pub attribution: Option<CopyAttributionView>,
    /// Jaccard similarity of its text and the first post's (0 to 1; shingles after
    /// normalisation).
    pub similarity: f64,
    /// Containment of the smaller text in the larger (0 to 1).
    pub containment: f64,
    /// Seconds after the first post, when both are dated (negative when its own date, an
    /// inferred one, is earlier).
    pub delay_seconds: Option<i64>,
    /// Words it adds to the first post's text (as written, each once).
    pub added: Vec<String>,
    /// Words of the first post's text it lacks.
    pub removed: Vec<String>,
    /// Telegram's message id, when known.
    pub message_id: Option<i64>,
    /// The start of its text.
    pub excerpt: String,
    /// Its API path.
    pub api_url: String,
}

impl From<&CopyItem> for CopyItemView {
    fn from(c: &CopyItem) -> Self {
        CopyItemView {
            id: c.id,
            channel: ChannelRef::from(&c.channel),
            date: c.date.clone(),
            date_inferred: c.date_inferred,
            first_seen: c.first_seen,
            relation: c.relation.to_string(),
            attribution: c.attribution.as_ref().map(|a| CopyAttributionView {
                kind: a.kind.to_string(),
                names: a.names.clone(),
            }),
            similarity: c.similarity,
            containment: c.containment,
            delay_seconds: c.delay_seconds,
            added: c.added.clone(),
            removed: c.removed.clone(),
            message_id: c.message_id,
            excerpt: c.excerpt.clone(),
            api_url: format!("/api/v1/posts/{}", c.id),
        }
    }
}

/// A post's copies: its cluster, in time order. A post without copies has `cluster`,
/// `first_post` and `first_seen_basis` null and no `posts`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PostCopiesResponse {
    /// The post asked about.
    pub post: i64,
    /// Its cluster's id (the lowest archive id among its posts); null when it has no copies.
    pub cluster: Option<i64>,
    /// The first post seen in this archive.
    pub first_post: Option<i64>,
    /// What "first" rests on: `observed` (the earliest observed date), `inferred` (no post
    /// has an observed date: the earliest inferred one) or `undated` (no post is dated: the
    /// lowest archive id).
    pub first_seen_basis: Option<String>,
    /// How many channels posted it.
    pub channel_count: usize,
    /// Every post of the cluster (this one too): the first, then the others by date, undated
    /// last. Empty when the post has no copies.
    pub posts: Vec<CopyItemView>,
    /// Its cluster's API path.
    pub cluster_url: Option<String>,
    /// Whether an ingest at work is still bringing the copy analysis up to the archive (the
    /// answer is that of the analysis as it stands).
    pub copies_catching_up: bool,
}

impl PostCopiesResponse {
    /// The answer for `post`: its cluster, or none.
    pub fn new(post: i64, detail: Option<&ClusterDetail>, catching_up: bool) -> Self {
        PostCopiesResponse {
            post,
            cluster: detail.map(|d| d.cluster),
            first_post: detail.map(|d| d.first_post),
            first_seen_basis: detail.map(|d| d.first_seen_basis.to_string()),
            channel_count: detail.map_or(0, |d| d.channel_count),
            posts: detail
                .map(|d| d.posts.iter().map(CopyItemView::from).collect())
                .unwrap_or_default(),
            cluster_url: detail.map(|d| format!("/api/v1/clusters/{}", d.cluster)),
            copies_catching_up: catching_up,
        }
    }
}

/// A cluster of copies in time order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClusterResponse {
    /// The cluster's id (the lowest archive id among its posts).
    pub cluster: i64,
    /// The first post seen in this archive.
    pub first_post: i64,
    /// What "first" rests on: `observed`, `inferred` or `undated` (see `/posts/{id}/copies`).
    pub first_seen_basis: String,
    /// How many channels.
    pub channel_count: usize,
    /// Every post: the first, then the others by date, undated last.
    pub posts: Vec<CopyItemView>,
    /// The search query that finds its posts (`cluster:ID`).
    pub search_query: String,
    /// Whether an ingest at work is still bringing the copy analysis up to the archive.
    pub copies_catching_up: bool,
}

impl ClusterResponse {
    /// The answer for a cluster.
    pub fn new(detail: &ClusterDetail, catching_up: bool) -> Self {
        ClusterResponse {
            cluster: detail.cluster,
            first_post: detail.first_post,
            first_seen_basis: detail.first_seen_basis.to_string(),
            channel_count: detail.channel_count,
            posts: detail.posts.iter().map(CopyItemView::from).collect(),
            search_query: format!("cluster:{}", detail.cluster),
            copies_catching_up: catching_up,
        }
    }
}

/// One cluster in a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClusterSummaryView {
    /// The cluster's id.
    pub cluster: i64,
    /// Its posts, by archive id.
    pub posts: Vec<i64>,
    /// How many posts.
    pub size: usize,
    /// How many channels.
    pub channel_count: usize,
    /// Its channels.
    pub channels: Vec<ChannelRef>,
    /// The first post seen in this archive.
    pub first_post: i64,
    /// What that rests on (`observed`, `inferred`, `undated`).
    pub first_seen_basis: String,
    /// The first post's date (observed, else inferred).
    pub first_date: Option<String>,
    /// The latest dated post's date.
    pub last_date: Option<String>,
    /// Whether that date was inferred (not observed).
    pub last_date_inferred: bool,
    /// Posts without a date (outside the span from `first_date` to `last_date`).
    pub undated_posts: usize,
    /// Its API path.
    pub api_url: String,
}

impl From<&ClusterSummary> for ClusterSummaryView {
    fn from(c: &ClusterSummary) -> Self {
        ClusterSummaryView {
            cluster: c.cluster,
            posts: c.posts.clone(),
            size: c.size,
            channel_count: c.channels.len(),
            channels: c.channels.iter().map(ChannelRef::from).collect(),
            first_post: c.first_post,
            first_seen_basis: c.first_seen_basis.to_string(),
            first_date: c.first_date.clone(),
            last_date: c.last_date.clone(),
            last_date_inferred: c.last_date_inferred,
            undated_posts: c.undated_posts,
            api_url: format!("/api/v1/clusters/{}", c.cluster),
        }
    }
}

/// A page of clusters.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClustersResponse {
    /// Every cluster matching the filters (not only this page).
    pub total: usize,
    /// Clusters a date range left out because their first post has no date.
    pub undated_left_out: usize,
    /// Clusters skipped before this page.
    pub offset: usize,
    /// The page size used.
    pub limit: usize,
    /// `size` (the most posts first), `channels` (the most channels first) or `first` (the
    /// earliest first post first), as asked.
    pub sort: String,
    /// This page.
    pub clusters: Vec<ClusterSummaryView>,
    /// The cursor of the next page; null on the last.
    pub next_cursor: Option<String>,
    /// Whether an ingest at work is still bringing the copy analysis up to the archive.
    pub copies_catching_up: bool,
}

/// Who a channel copies from, or who copies it, and how.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CopyCounterpartView {
    /// The other channel.
    pub channel: ChannelRef,
    /// Posts copied (of the channel's, or from it).
    pub posts: u64,
    /// Of which forwards.
    pub forward: u64,
    /// Copies that name their source.
    pub attributed: u64,
    /// Copies that do not.
    pub unattributed: u64,
    /// Partial copies (a part reused).
    pub partial: u64,
    /// The median delay after the first post, in seconds, over the pairs with both dates.
    pub median_delay_seconds: Option<i64>,
}

impl From<&CopyCounterpart> for CopyCounterpartView {
    fn from(c: &CopyCounterpart) -> Self {
        CopyCounterpartView {
            channel: ChannelRef::from(&c.channel),
            posts: c.posts,
            forward: c.forward,
            attributed: c.attributed,
            unattributed: c.unattributed,
            partial: c.partial,
            median_delay_seconds: c.median_delay_seconds,
        }
    }
}

/// A channel's copying: whom it copies from and who copies it, over every cluster with a post
/// of it (the first post seen in this archive against the others).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelCopiesResponse {
    /// The channel.
    pub channel: ChannelRef,
    /// Clusters with a post of the channel.
    pub clusters: usize,
    /// Channels whose posts it has copies of (it was not first), the most first.
    pub copies_from: Vec<CopyCounterpartView>,
    /// Channels that have copies of its posts (it was first), the most first.
    pub copied_by: Vec<CopyCounterpartView>,
    /// Whether an ingest at work is still bringing the copy analysis up to the archive.
    pub copies_catching_up: bool,
}

impl ChannelCopiesResponse {
    /// The answer for a channel.
    pub fn new(c: &ChannelCopies, catching_up: bool) -> Self {
        ChannelCopiesResponse {
            channel: ChannelRef::from(&c.channel),
            clusters: c.clusters,
            copies_from: c.copies_from.iter().map(Into::into).collect(),
            copied_by: c.copied_by.iter().map(Into::into).collect(),
            copies_catching_up: catching_up,
        }
    }
}
