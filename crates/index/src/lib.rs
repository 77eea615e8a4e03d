//! The full-text index of the archive's posts: text analysis for Russian and English, the query
//! language, search and counts over time. The only library crate that imports tantivy (the
//! benchmark tool `tgscope-bench` also does, to compare it with a plain tantivy indexer).
//!
//! Place in the pipeline: below the engine, which feeds it, and above `text`, whose word folding
//! and name keys it uses so that a word or a name means the same here as everywhere else. After each ingest the engine hands
//! every new or changed post to an [`IndexWriter`] as an [`IndexDoc`] (keyed by the archive's
//! post id) and commits with the archive's mark (and what the derived parts of the documents
//! were made with: the fingerprint of the entity lists, [`IndexWriter::commit_with`]);
//! [`Index::meta`] tells it later how far the index got, with which [`SCHEMA_VERSION`] and which
//! lists, so it can catch up or rebuild. A search returns
//! post ids, which the engine maps back to archived posts.
//!
//! Main items:
//! - [`Index`] (`open_or_create`, `open_read_only` for read-only media, `meta`, `writer`, `search`, `count_by`, `count_by_each`,
//!   `doc_count`) and [`IndexWriter`] (`upsert`, `add_batch`, which analyses a batch of posts
//!   on every core, `delete`, `clear`, `commit`).
//! - [`parse_query`] → [`Query`], or a [`QueryError`] with the char position of the problem;
//!   the language is described in `docs/search.md`. The `channel:` and `from:` names of a query
//!   are resolved to archive ids by the engine ([`Query::resolve_channels`]) before it runs, and
//!   its copy filters (`has:copies`, `cluster:ID`: the index does not store copy clusters) to
//!   the ids of the posts they select ([`Query::resolve_copies`]).
//! - Entities: [`IndexDoc::entities`] holds the keys of the countries, organisations and people
//!   a post names (the engine recognises them); `country:`, `org:` and `person:` filters match
//!   them once the engine has resolved the names a query writes to entity ids
//!   ([`Query::resolve_entities`]), and [`Index::entity_counts`] counts the most frequent ones
//!   over every post a query matches ([`EntityCounts`]).
//! - [`SearchOptions`] (relevance or date order, paging, snippet length) → [`SearchResults`]
//!   with the total and [`Hit`]s, each with a [`Snippet`] whose highlights cover every matched
//!   form of a word.
//! - [`Period`] and [`PeriodCount`]: matching posts per day, week or month; [`Counts`]: the
//!   counts for several periods from one pass, with the matches that have no date and so are
//!   in no period; [`group_days`] and [`period_start`], the same calendar for callers that
//!   count posts themselves.
//! - [`Index::matching_posts`]: the ids of every post a query matches, optionally among given
//!   posts (for derived data that keeps the matches of saved queries current).
//! - [`analysis`]: how text becomes words (folding, stems, languages), also for callers that
//!   need the same notion of a word.
//!
//! What it does not do: read the archive, know SQL or the store's types, decide which posts
//! need indexing (the engine does), or store anything that cannot be rebuilt from the archive.

pub mod analysis;
mod compile;
pub mod entity;
pub mod error;
mod exclusion;
#[doc(hidden)]
pub mod fuzzing;
mod index;
mod matching;
pub mod period;
pub mod query;
mod read_only;
mod schema;
pub mod snippet;

pub use entity::{EntityCount, EntityCounts, EntityKind, KindCounts};
pub use error::IndexError;
pub use index::{
    Hit, Index, IndexMeta, IndexWriter, SearchOptions, SearchResults, Sort, WRITER_HEAP_BYTES,
};
pub use period::{
    Counts, MAX_FILLED_PERIODS, Period, PeriodCount, UnknownPeriod, group_days, period_start,
};
pub use query::{ChannelRole, CopySelector, Query, QueryError, parse_query};
pub use snippet::Snippet;

/// The version of the index's schema and analysis. Bump it whenever either changes (fields,
/// folding, stemming, tokenizing): the engine then rebuilds the index from the archive.
pub const SCHEMA_VERSION: u32 = 4;

/// One post as the index needs it (the engine builds it from the archive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexDoc {
    /// The archive's post id: the document's key (unique).
    pub post_id: i64,
    /// The archive's channel id (`channel:` filters match it, once the archive has resolved
    /// the name a query gives).
    pub channel_id: i64,
    /// Whether the post is a forward.
    pub forwarded: bool,
    /// The archive's channel id of the forward's source, when the archive knows it as a
    /// channel (`from:` filters match it).
    pub forward_channel_id: Option<i64>,
    /// The post's clean current text.
    pub text: String,
    /// Hashtags, without `#`.
    pub hashtags: Vec<String>,
    /// Mentions, without `@`.
    pub mentions: Vec<String>,
    /// Unix seconds, UTC (observed or inferred date); `None` when unknown.
    pub date: Option<i64>,
    /// Media kinds: `photo`, `video`, `document`, `poll`, `link_preview`, ...
    pub media_kinds: Vec<String>,
    /// Whether the post has a link.
    pub has_link: bool,
    /// Whether the post was edited.
    pub edited: bool,
    /// The post's message id in its channel, when known (not indexed: the engine keeps it).
    pub message_id: Option<i64>,
    /// The entities the text names, as keys `kind:id` ([`EntityKind::key`]): `country:KZ`,
    /// `org:sco`, `person:lavrov`, `person:~name` for a person on no list. Each once is
    /// enough (duplicates are dropped).
    pub entities: Vec<String>,
}
