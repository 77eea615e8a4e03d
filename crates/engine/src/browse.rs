//! Browsing: channels by name, top hashtags and forward sources, queries checked or cut off.

use std::path::{Path, PathBuf};

use tgscope_archive::Capture;
pub use tgscope_archive::RawReader;
pub use tgscope_archive::{ChannelCount, Interrupter, SourceCount, TagCount};

use crate::error::Result;
use crate::{ChannelSummary, Engine};

/// Why a search query cannot be read, with the place.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueryProblem {
    /// Where the problem is: an offset in characters (Unicode scalar values, not bytes), from 0.
    pub position: usize,
    /// What is wrong, for a person.
    pub message: String,
    /// The message with the query and a caret under the place (as the CLI prints it).
    pub display: String,
}

/// Checks a query against the query language (docs/search.md) without running it.
pub fn check_query(query: &str) -> std::result::Result<(), QueryProblem> {
    match tgscope_index::parse_query(query) {
        Ok(_) => Ok(()),
        Err(e) => Err(QueryProblem {
            position: e.position,
            message: e.message.clone(),
            display: e.to_string(),
        }),
    }
}

/// Whether `text` is a SHA-256 as the archive names captures and media by: 64 lowercase hex
/// digits (so that it is safe to use as a file name).
pub fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Engine {
    /// Where the archive in `dir` keeps the media file with this SHA-256, if it keeps it.
    pub fn media_file(dir: &Path, sha256: &str) -> Option<PathBuf> {
        if !is_sha256(sha256) {
            return None;
        }
        let path = tgscope_archive::MediaStore::new(dir).path_of(sha256);
        path.is_file().then_some(path)
    }

    /// Whether the archive in `dir` keeps the bytes of the capture with this SHA-256 (a capture
    /// ingested with `--no-keep-raw` is known by its hash only).
    pub fn raw_capture_kept(dir: &Path, sha256: &str) -> bool {
        is_sha256(sha256) && tgscope_archive::RawStore::new(dir).contains(sha256)
    }

    /// The capture with this SHA-256, if the archive has it.
    pub fn capture(&self, sha256: &str) -> Result<Option<Capture>> {
        Ok(self.store.capture_by_sha(sha256)?)
    }

    /// The exact bytes of the capture with this SHA-256, decompressed as they are read; `None`
    /// when the archive does not keep them.
    pub fn raw_capture_reader(&self, sha256: &str) -> Result<Option<RawReader>> {
        if !Engine::raw_capture_kept(self.dir(), sha256) {
            return Ok(None);
        }
        Ok(Some(
            tgscope_archive::RawStore::new(self.dir()).reader(sha256)?,
        ))
    }

    /// Whether `dir` holds an archive (an archive database; it may hold no posts yet).
    pub fn archive_exists(dir: &Path) -> bool {
        dir.join(tgscope_store::DB_FILE).is_file()
    }

    /// A handle that cuts off the archive query this engine is running, from another thread
    /// (the query then fails with an archive error). Queries started later are not affected.
    pub fn interrupter(&self) -> Interrupter {
        self.store.interrupter()
    }

    /// The channel `name` names (archive id, username, title, `@name` or a `t.me` link; see
    /// [`crate::filter`]) with its counts; `None` when no channel has the name, an error listing
    /// them when several have it.
    pub fn channel(&self, name: &str) -> Result<Option<ChannelSummary>> {
        match self.resolve_channel(name, crate::ChannelRole::Channel) {
            Ok(id) => Ok(self.store.channel_summary(id)?),
            Err(crate::EngineError::NoSuchChannel { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The hashtags used most, in one channel (by archive id) or in the whole archive.
    pub fn top_hashtags(
        &self,
        channel_id: Option<i64>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<TagCount>> {
        Ok(self.store.top_hashtags(channel_id, limit, offset)?)
    }

    /// The sources forwarded from most, by one channel (by archive id) or in the whole archive.
    pub fn top_forward_sources(
        &self,
        channel_id: Option<i64>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<SourceCount>> {
        Ok(self.store.top_forward_sources(channel_id, limit, offset)?)
    }

    /// A hashtag (`#` and case ignored) with its number of posts, if any post uses it.
    pub fn hashtag(&self, tag: &str) -> Result<Option<TagCount>> {
        Ok(self.store.hashtag(tag)?)
    }

    /// The channels using a hashtag most.
    pub fn hashtag_channels(&self, tag: &str, limit: u64) -> Result<Vec<ChannelCount>> {
        Ok(self.store.hashtag_channels(tag, limit)?)
    }
}
