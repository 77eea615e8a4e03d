//! Captures: the files and pages the archive read, each recorded once by its SHA-256.

/// Whether a capture was read to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureStatus {
    /// Ingest started but did not finish (killed, or the input was damaged part-way).
    Partial,
    /// Every post of the capture is in the archive.
    Complete,
}

impl CaptureStatus {
    /// The stable name stored in the archive.
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureStatus::Partial => "partial",
            CaptureStatus::Complete => "complete",
        }
    }

    /// The status a stored name stands for (anything but `complete` is partial).
    pub fn from_stored(s: &str) -> CaptureStatus {
        if s == "complete" {
            CaptureStatus::Complete
        } else {
            CaptureStatus::Partial
        }
    }
}

/// A capture about to be recorded.
#[derive(Debug, Clone)]
pub struct NewCapture<'a> {
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: &'a str,
    /// Size in bytes.
    pub size: u64,
    /// Format name.
    pub format: &'a str,
    /// Version of the reader that read it.
    pub reader_version: &'a str,
    /// Where it came from (a path as given, or a URL).
    pub source: &'a str,
    /// The channel it belongs to, when known before reading.
    pub channel_id: Option<i64>,
    /// Whether its raw bytes are kept in the raw store.
    pub raw_kept: bool,
}

/// A recorded capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// Archive id.
    pub id: i64,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Format name.
    pub format: String,
    /// Reader version.
    pub reader_version: String,
    /// Where it came from.
    pub source: String,
    /// Its channel, when known.
    pub channel_id: Option<i64>,
    /// Whether the raw bytes are kept.
    pub raw_kept: bool,
    /// When ingest started (RFC 3339 UTC).
    pub ingested_at: String,
    /// When ingest finished.
    pub completed_at: Option<String>,
    /// Whether ingest finished.
    pub status: CaptureStatus,
    /// Posts read from it.
    pub posts_seen: u64,
    /// Warnings while reading it.
    pub warnings: u64,
}
