//! Errors of the archive, split into the user's faults and the archive's own.

use std::path::PathBuf;

/// An archive operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The archive directory does not exist (for commands that only read).
    #[error("no archive at {path} (run `tgscope ingest` first, or pass --archive)")]
    Missing {
        /// The directory looked for.
        path: PathBuf,
    },
    /// The archive was written by a newer tgscope.
    #[error(
        "the archive at {path} has schema version {found}, newer than this tgscope ({supported}); upgrade tgscope"
    )]
    TooNew {
        /// The archive directory.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },
    /// A file of the archive could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("writing", "creating").
        action: &'static str,
        /// Which file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// SQLite failed.
    #[error("archive database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The archive holds something it should not (a bug or outside tampering).
    #[error("archive is inconsistent: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// True when the fault is the user's (a missing archive), not the archive's.
    pub fn is_user_fault(&self) -> bool {
        matches!(self, StoreError::Missing { .. })
    }
}

/// Result of archive operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
