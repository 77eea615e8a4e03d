//! Narratives as the archive keeps them (user data): a name with its versions, and the facts of
//! a matching post that a narrative's report needs.

use serde::Serialize;

/// A narrative: its name and its versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NarrativeRecord {
    /// The archive's id of the narrative.
    pub id: i64,
    /// The name as first written.
    pub name: String,
    /// When it was first added (RFC 3339 UTC).
    pub created_at: String,
    /// When it was removed, if it is removed (RFC 3339 UTC).
    pub removed_at: Option<String>,
    /// Its versions, oldest first (the last one is current); at least one.
    pub versions: Vec<NarrativeVersion>,
}

impl NarrativeRecord {
    /// The current (newest) version.
    pub fn current(&self) -> Option<&NarrativeVersion> {
        self.versions.last()
    }
}

/// One version of a narrative's definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NarrativeVersion {
    /// 1 for the first definition, 2 for the next edit, ...
    pub version: i64,
    /// What the narrative is about, as its author wrote it (may be empty).
    pub description: String,
    /// The queries in tgscope's query language, in the order given: a post matching any of
    /// them matches the narrative.
    pub queries: Vec<String>,
    /// When the version was made (RFC 3339 UTC).
    pub created_at: String,
}

/// What the report of a narrative needs of each matching post (its current version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NarrativePostFacts {
    /// Archive id of the post.
    pub post_id: i64,
    /// Its channel's archive id.
    pub channel_id: i64,
    /// Telegram's message id, when known.
    pub message_id: Option<i64>,
    /// Observed date (RFC 3339 UTC).
    pub date: Option<String>,
    /// Inferred date as stored, when there is no observed one.
    pub date_inferred: Option<String>,
    /// Views, when the capture gave them.
    pub views: Option<u64>,
}

/// The key a narrative's name is found by: case-insensitive, trimmed.
pub fn narrative_key(name: &str) -> String {
    tgscope_text::names::alias_key(name)
}
