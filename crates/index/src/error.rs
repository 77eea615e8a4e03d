//! The index's errors.

use std::path::PathBuf;

/// What can go wrong with the index (query errors are [`crate::QueryError`]).
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The index directory cannot be created, read or cleared.
    #[error("index directory {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Another writer (in this or another process) holds the index's lock.
    #[error(
        "the index in {path} is being written by another process (or a crashed one left its \
         lock file .tantivy-writer.lock)"
    )]
    Locked {
        /// The index directory.
        path: PathBuf,
    },
    /// tantivy failed: a damaged index or a failing disk.
    #[error("index in {path}: {source}")]
    Tantivy {
        /// The index directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: tantivy::TantivyError,
    },
    /// A document of the index has no post id: the index is damaged (rebuild it).
    #[error(
        "index in {path}: a document has no post id (segment {segment}, doc {doc}); rebuild the index"
    )]
    MissingPostId {
        /// The index directory.
        path: PathBuf,
        /// The segment's ordinal.
        segment: u32,
        /// The document's id in the segment.
        doc: u32,
    },
    /// A query's `channel:` or `from:` name was not resolved to a channel id by the archive
    /// before the search (a fault of the caller: see [`crate::Query::resolve_channels`]).
    #[error("the channel name {0:?} of the query was not resolved to a channel of the archive")]
    UnresolvedChannel(String),
    /// A query's `has:copies` or `cluster:ID` was not resolved to posts by the archive's copy
    /// analysis before the search (a fault of the caller: see
    /// [`crate::Query::resolve_copies`]).
    #[error(
        "the copy filter {0} of the query was not resolved to posts by the archive's copy analysis"
    )]
    UnresolvedCopies(crate::query::CopySelector),
    /// A query's `country:`, `org:` or `person:` name was not resolved to entities by the
    /// archive before the search (a fault of the caller: see [`crate::Query::resolve_entities`]).
    #[error("the {kind} name {name:?} of the query was not resolved to entities by the archive")]
    UnresolvedEntity {
        /// The filter's kind.
        kind: crate::EntityKind,
        /// The name as written.
        name: String,
    },
}
