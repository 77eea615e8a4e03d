//! Errors of the engine, with the user's faults kept apart from the archive's own.

use std::path::PathBuf;

use tgscope_archive::ArchiveError;
use tgscope_archive::ChannelInfo;

use crate::filter::{ChannelRole, describe_channel};

/// Whose fault an error is: the CLI maps it to an exit code, a server to a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad input or a bad request (exit code 3, HTTP 4xx).
    User,
    /// Something asked for does not exist (exit code 4, HTTP 404).
    NotFound,
    /// The archive or the machine failed (exit code 1, HTTP 5xx).
    Internal,
}

/// An engine operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The archive failed.
    #[error(transparent)]
    Store(#[from] ArchiveError),
    /// The archive's files failed.
    #[error("archive: {0}")]
    Archive(String),
    /// An input could not be read.
    #[error("{path}: {reason}", path = path.display())]
    Input {
        /// The input.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// No post with this id.
    #[error("no post with id {0} in the archive")]
    NoSuchPost(i64),
    /// No copy cluster with this id.
    #[error(
        "no copy cluster with id {0} in the archive (`tgscope clusters` lists them; a cluster's \
         id is the lowest post id among its posts)"
    )]
    NoSuchCluster(i64),
    /// No current narrative has this name.
    #[error(
        "no narrative is called {name:?}{}",
        if *removed {
            " now: it was removed (`tgscope narrative list --all` shows it; `tgscope narrative \
             add` with its name brings it back as a new version)"
        } else {
            " (`tgscope narrative list` lists them)"
        }
    )]
    NoSuchNarrative {
        /// The name as given.
        name: String,
        /// Whether a narrative of that name was removed.
        removed: bool,
    },
    /// Parameters of the copy analysis that cannot be used.
    #[error("copy analysis: {0}")]
    BadCopyParams(String),
    /// No channel of the archive has this name.
    #[error(
        "no {noun} is named {name:?} in the archive (`tgscope channels` lists every channel \
         and forward source with its names)",
        noun = role.noun()
    )]
    NoSuchChannel {
        /// The name as given.
        name: String,
        /// What the name was to stand for.
        role: ChannelRole,
    },
    /// Several channels of the archive have this name: which one is meant must be said.
    #[error(
        "{name:?} names {n} channels: {list}; name the {noun} by its archive id (the number \
         first) or its @username",
        n = candidates.len(),
        list = candidates.iter().map(describe_channel).collect::<Vec<_>>().join("; "),
        noun = role.noun()
    )]
    AmbiguousChannel {
        /// The name as given.
        name: String,
        /// What the name was to stand for.
        role: ChannelRole,
        /// The channels it names.
        candidates: Vec<ChannelInfo>,
    },
    /// The archive failed while a capture was being written into it (what committed before
    /// stays; the same ingest again resumes).
    #[error("{path}: the archive failed while writing this capture: {source}", path = path.display())]
    Writing {
        /// The capture (a file's path, a fetched page's URL).
        path: PathBuf,
        /// What failed.
        source: ArchiveError,
    },
    /// A request that makes no sense (a bad date in a filter, say).
    #[error("{0}")]
    BadRequest(String),
    /// Writing output failed.
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
    /// A search query that cannot be read.
    #[error("{0}")]
    Query(String),
    /// The full-text index failed.
    #[error("full-text index: {0}")]
    Index(String),
    /// Another process (an ingest, say) is writing the full-text index, so it cannot be
    /// brought up to date now; it is readable as it stands.
    #[error("full-text index: {0}")]
    IndexBusy(String),
}

impl EngineError {
    /// Whose fault it is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            EngineError::Store(e) | EngineError::Writing { source: e, .. } if e.is_user_fault() => {
                ErrorKind::User
            }
            EngineError::Input { .. }
            | EngineError::BadRequest(_)
            | EngineError::Query(_)
            | EngineError::AmbiguousChannel { .. }
            | EngineError::BadCopyParams(_) => ErrorKind::User,
            EngineError::NoSuchPost(_)
            | EngineError::NoSuchCluster(_)
            | EngineError::NoSuchNarrative { .. }
            | EngineError::NoSuchChannel { .. } => ErrorKind::NotFound,
            _ => ErrorKind::Internal,
        }
    }
}

impl EngineError {
    /// True when a concurrent writer of the archive conflicted with the failed transaction:
    /// the same work again can succeed ([`ArchiveError::Conflict`]).
    pub fn is_conflict(&self) -> bool {
        matches!(self, EngineError::Store(e) | EngineError::Writing { source: e, .. } if e.is_conflict())
    }

    /// This error, naming the capture being written when the archive failed.
    pub(crate) fn writing(self, path: &std::path::Path) -> EngineError {
        match self {
            EngineError::Store(source) => EngineError::Writing {
                path: path.to_path_buf(),
                source,
            },
            other => other,
        }
    }

    /// An error of the full-text index.
    pub(crate) fn index(e: impl std::fmt::Display) -> EngineError {
        EngineError::Index(e.to_string())
    }

    /// A query that cannot be read, with the place where it goes wrong.
    pub(crate) fn query(e: impl std::fmt::Display) -> EngineError {
        EngineError::Query(e.to_string())
    }
}

/// Result of engine operations.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// Why the first pass over an input failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InputError {
    #[error("cannot be opened: {0}")]
    Open(String),
    #[error("cannot be read {0}")]
    Read(String),
    #[error("{0}")]
    Archive(String),
    /// Refused from what was read so far (binary data, a capture over the size limit).
    #[error("{0}")]
    Refused(String),
}
