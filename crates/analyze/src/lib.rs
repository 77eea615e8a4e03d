//! Analyses of the archive: derived data computed from the archive's posts and kept beside the
//! search index, caught up to the archive's mark and rebuilt identically from scratch.
//!
//! Place in the pipeline: below the engine, beside `index`; it imports only `text` (the one
//! notion of a word and its folding). The engine reads the posts from the archive, hands them
//! over, stores the result in `<archive>/copies/`, and answers the front ends.
//!
//! Main items:
//! - [`copies`]: near-duplicate detection and copy clusters ([`copies::CopyState`]), the
//!   relation of each copy to the first post seen ([`copies::describe_cluster`]), and
//!   the state's file format.
//! - [`network`]: the channel network (forwards, mentions, copies, shared links,
//!   coordination, hashtags), its measures and its file formats.
//! - [`entities`]: the countries, organisations and people a text names, in Russian and
//!   English ([`entities::Recognizer`], from the lists in `data/entities/`).
//! - [`narratives`]: which posts each narrative's queries match ([`narratives::NarrativeState`]).
//!
//! What it does not do: read or write the archive, know capture formats, or draw anything.

pub mod copies;
pub mod entities;
pub mod narratives;
pub mod network;
mod parallel;
mod post_file;
mod state_file;
