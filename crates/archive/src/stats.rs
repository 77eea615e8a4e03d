//! What the archive holds, in numbers.

use serde::Serialize;

/// A name with a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counted {
    /// The name.
    pub name: String,
    /// How many.
    pub count: u64,
}

/// What the archive holds, in numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Channels (including forward origins).
    pub channels: u64,
    /// Posts.
    pub posts: u64,
    /// Versions (more than posts when posts were edited).
    pub versions: u64,
    /// Posts with more than one version.
    pub edited_posts: u64,
    /// Captures read to the end.
    pub captures_complete: u64,
    /// Captures whose ingest did not finish.
    pub captures_partial: u64,
    /// Sightings.
    pub sightings: u64,
    /// Posts that are forwards.
    pub forwards: u64,
    /// Posts with an observed date.
    pub dated_observed: u64,
    /// Posts with an inferred date only.
    pub dated_inferred: u64,
    /// Posts with no date.
    pub undated: u64,
    /// Posts only viewable in Telegram.
    pub unviewable: u64,
    /// Service events of channels (created, renamed, pinned, ...).
    pub events: u64,
    /// Media items by kind.
    pub media: Vec<Counted>,
    /// Most used hashtags.
    pub top_hashtags: Vec<Counted>,
    /// Channels most forwarded from.
    pub top_forward_sources: Vec<Counted>,
}
