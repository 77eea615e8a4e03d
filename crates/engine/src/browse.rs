//! Browsing: channels by name, top hashtags and forward sources, queries checked or cut off.

use std::path::Path;

pub use tgscope_store::browse::{ChannelCount, Interrupter, SourceCount, TagCount};

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

impl Engine {
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
    /// [`tgscope_store::Store::channel_id_by_name`]) with its counts, if the archive knows it.
    pub fn channel(&self, name: &str) -> Result<Option<ChannelSummary>> {
        match self.store.channel_id_by_name(name)? {
            Some(id) => Ok(self.store.channel_summary(id)?),
            None => Ok(None),
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
