//! What watching a channel over time records: absences, collection runs and the changes they
//! show.

use serde::Serialize;

/// A post archived before that a capture covering its id did not show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AbsenceRecord {
    /// SHA-256 of the capture that did not show it.
    pub capture_sha256: String,
    /// The capture's source (a URL for fetched pages).
    pub capture_source: String,
    /// When that capture was made (the fetch time of a fetched page, else its ingest time).
    pub observed_at: String,
    /// The ids the capture covered (first, last).
    pub range: (i64, i64),
}

/// A collection run of one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectRun {
    /// Archive id of the run.
    pub id: i64,
    /// The channel's username as given.
    pub channel: String,
    /// The site it was collected from.
    pub base_url: String,
    /// When it started (RFC 3339 UTC).
    pub started_at: String,
    /// The `before` of the next page to fetch; `None` before the first page.
    pub next_before: Option<i64>,
    /// The run stops at a page reaching this id (the newest post archived when it started).
    pub stop_at: Option<i64>,
    /// Collecting the whole history (not stopping at archived posts).
    pub full: bool,
    /// Pages fetched so far.
    pub pages: u64,
}

/// An edit or deletion observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeRecord {
    /// `edited` (a new version of the text) or `deleted` (missing from a capture covering its
    /// id).
    pub kind: String,
    /// Archive id of the post.
    pub post_id: i64,
    /// Its channel (best name).
    pub channel: String,
    /// Its Telegram message id.
    pub message_id: Option<i64>,
    /// When the change was observed (the capture's fetch or ingest time).
    pub observed_at: String,
    /// SHA-256 of the capture that shows it.
    pub capture_sha256: String,
    /// For an edit: the new version's number; for a deletion: `None`.
    pub version_seq: Option<i64>,
    /// For a deletion: whether a later capture showed the post again.
    pub seen_again: Option<bool>,
    /// The post's current text, shortened to one line.
    pub text: String,
}

/// Which changes a list of edits and deletions shows.
#[derive(Debug, Clone, Default)]
pub struct ChangeFilter {
    /// Only posts of the channel with this archive id.
    pub channel_id: Option<i64>,
    /// Only changes observed at or after this time (RFC 3339 UTC, or a prefix like `2024-01`).
    pub since: Option<String>,
}
