//! Errors of the archive, whatever its backend, split into the user's faults and the archive's
//! own.

use std::path::PathBuf;

/// An archive operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The archive does not exist (for commands that only read).
    #[error("no archive at {path} (run `tgscope ingest` first, or pass --archive)")]
    Missing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The archive was written by a newer tgscope.
    #[error(
        "the archive at {path} has schema version {found}, newer than this tgscope ({supported}); upgrade tgscope"
    )]
    TooNew {
        /// The archive.
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
    /// The database behind the archive failed.
    #[error("archive database: {source}")]
    Backend {
        /// The backend's own error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The database rolled the transaction back because a concurrent one conflicted with it (a
    /// deadlock, a serialization failure, a row another writer added with the same key at the
    /// same moment): the same work in a new transaction can succeed. Only a database with
    /// several writers (PostgreSQL) says this; the engine retries what failed so.
    #[error("archive database: {source}")]
    Conflict {
        /// The backend's own error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The archive holds something it should not (a bug or outside tampering).
    #[error("archive is inconsistent: {0}")]
    Corrupt(String),
}

impl ArchiveError {
    /// True when the fault is the user's (a missing archive), not the archive's.
    pub fn is_user_fault(&self) -> bool {
        matches!(self, ArchiveError::Missing { .. })
    }

    /// True when a concurrent writer conflicted with the failed transaction
    /// ([`ArchiveError::Conflict`]): running the same work again can succeed.
    pub fn is_conflict(&self) -> bool {
        matches!(self, ArchiveError::Conflict { .. })
    }

    /// The backend's own error, when the database failed.
    pub fn backend_source(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self {
            ArchiveError::Backend { source } | ArchiveError::Conflict { source } => {
                Some(source.as_ref())
            }
            _ => None,
        }
    }
}

#[cfg(feature = "sqlite")]
impl From<rusqlite::Error> for ArchiveError {
    fn from(e: rusqlite::Error) -> Self {
        ArchiveError::Backend {
            source: Box::new(e),
        }
    }
}

/// Result of archive operations.
pub type Result<T, E = ArchiveError> = std::result::Result<T, E>;
