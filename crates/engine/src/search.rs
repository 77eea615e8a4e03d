//! Search: the full-text index kept in the archive directory (`index/`), caught up with the
//! archive whenever the archive is opened or ingested into, and queries over it.

use std::path::PathBuf;

use tgscope_index::{Index, IndexDoc, Period, PeriodCount, SearchOptions, Sort};
use tgscope_store::index_feed::PostForIndex;

use crate::error::{EngineError, Result};
use crate::{Engine, PostRecord};

/// The index's folder inside the archive directory.
pub const INDEX_DIR: &str = "index";

/// Posts analysed together (on every core) before they go to the index.
const INDEX_BATCH: usize = 2048;

/// What bringing the index up to the archive did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct IndexUpdate {
    /// Posts (re)indexed.
    pub indexed: u64,
    /// Whether the whole index was rebuilt (new, from an older schema, or asked for).
    pub rebuilt: bool,
}

/// How search results are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortBy {
    /// Best match first.
    #[default]
    Relevance,
    /// Newest first.
    Newest,
    /// Oldest first.
    Oldest,
}

/// One search result: the post and why it matched.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchHit {
    /// The post (current version).
    pub post: PostRecord,
    /// The relevance score (BM25).
    pub score: f32,
    /// A stretch of the text around the matches.
    pub snippet: String,
    /// Byte ranges of the matched words in `snippet`.
    pub highlights: Vec<(usize, usize)>,
}

/// A page of search results.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchPage {
    /// Every post the query matches.
    pub total: u64,
    /// Results skipped before this page.
    pub offset: usize,
    /// The page's results.
    pub hits: Vec<SearchHit>,
}

/// Unix seconds of an archived date (observed `2024-03-01T10:00:00Z`, or inferred
/// `2024-03-01T10:00:00` / `2024-03-01`, read as UTC).
fn unix_seconds(date: &str) -> Option<i64> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(date) {
        return Some(at.timestamp());
    }
    if let Ok(at) = chrono::NaiveDateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%S") {
        return Some(at.and_utc().timestamp());
    }
    chrono::NaiveDate::parse_from_str(date.get(..10)?, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

fn index_doc(p: PostForIndex) -> IndexDoc {
    IndexDoc {
        post_id: p.post_id,
        channel_id: p.channel_id,
        channel_names: p.channel_names,
        forward_names: p.forward_names,
        date: p.date.as_deref().and_then(unix_seconds),
        text: p.text,
        hashtags: p.hashtags,
        mentions: p.mentions,
        media_kinds: p.media_kinds,
        has_link: p.has_link,
        edited: p.edited,
        message_id: p.message_id,
    }
}

impl Engine {
    fn index_dir(&self) -> PathBuf {
        self.dir().join(INDEX_DIR)
    }

    /// The index, opened (and created) on first use.
    fn index(&mut self) -> Result<&Index> {
        if self.index.is_none() {
            let index = Index::open_or_create(&self.index_dir()).map_err(EngineError::index)?;
            self.index = Some(index);
        }
        self.index
            .as_ref()
            .ok_or_else(|| EngineError::Archive("the index could not be opened".into()))
    }

    /// On opening the archive: an index that exists but fell behind is caught up now, so that
    /// no command serves stale results. (An archive without an index gets one on its first
    /// search or ingest.)
    ///
    /// When another process holds the index's writer lock (an ingest running beside a search
    /// or a server), that process brings the index up to date itself: the archive opens with
    /// the index as it stands.
    pub(crate) fn catch_up_existing_index(&mut self) -> Result<()> {
        if self.index_dir().is_dir() {
            self.catch_up_index()?;
        }
        Ok(())
    }

    /// [`Engine::update_index`] before a search: when another process holds the writer lock,
    /// it is the one bringing the index up to date, and the search reads the index as it
    /// stands.
    fn catch_up_index(&mut self) -> Result<()> {
        match self.update_index() {
            Ok(_) => Ok(()),
            Err(EngineError::IndexBusy(why)) => {
                tracing::debug!("not catching up the index: {why}");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Brings the index up to the archive: nothing when it is current, the posts with newer
    /// versions when it fell behind (a crash between the archive's commit and the index's),
    /// everything when it is new or was built by another version of tgscope.
    pub fn update_index(&mut self) -> Result<IndexUpdate> {
        let mark = self.store.index_mark()?;
        let meta = self.index()?.meta().map_err(EngineError::index)?;
        let (after, rebuilt) = match meta {
            Some(m)
                if m.schema_version == tgscope_index::SCHEMA_VERSION && m.archive_mark == mark =>
            {
                return Ok(IndexUpdate::default());
            }
            Some(m)
                if m.schema_version == tgscope_index::SCHEMA_VERSION && m.archive_mark < mark =>
            {
                (m.archive_mark, false)
            }
            _ => (0, true),
        };
        self.write_index(after, rebuilt, mark)
    }

    /// Rebuilds the whole index from the archive.
    pub fn reindex(&mut self) -> Result<IndexUpdate> {
        let mark = self.store.index_mark()?;
        self.write_index(0, true, mark)
    }

    fn write_index(&mut self, after: i64, rebuild: bool, mark: i64) -> Result<IndexUpdate> {
        let mut writer = match self.index()?.writer() {
            Ok(writer) => writer,
            Err(e @ tgscope_index::IndexError::Locked { .. }) => {
                return Err(EngineError::IndexBusy(e.to_string()));
            }
            Err(e) => return Err(EngineError::index(e)),
        };
        if rebuild {
            writer.clear().map_err(EngineError::index)?;
        }
        // Posts go to the index in batches, analysed on every core; a rebuild queues no
        // deletes (the index was cleared), a catch-up replaces each post's document.
        let mut indexed = 0u64;
        let mut batch = Vec::with_capacity(INDEX_BATCH);
        self.store.for_each_post_for_index(after, |post| {
            batch.push(index_doc(post));
            if batch.len() == INDEX_BATCH {
                writer
                    .add_batch(&batch, !rebuild)
                    .map_err(EngineError::index)?;
                indexed += batch.len() as u64;
                batch.clear();
            }
            Ok::<(), EngineError>(())
        })?;
        writer
            .add_batch(&batch, !rebuild)
            .map_err(EngineError::index)?;
        indexed += batch.len() as u64;
        writer.commit(mark).map_err(EngineError::index)?;
        Ok(IndexUpdate {
            indexed,
            rebuilt: rebuild,
        })
    }

    /// Every post as the index is fed it, in post order (for benchmarks and checks).
    pub fn index_documents(&self) -> Result<Vec<IndexDoc>> {
        let mut docs = Vec::new();
        self.store.for_each_post_for_index(0, |post| {
            docs.push(index_doc(post));
            Ok::<(), EngineError>(())
        })?;
        Ok(docs)
    }

    /// Documents in the index.
    pub fn index_doc_count(&mut self) -> Result<u64> {
        self.index()?.doc_count().map_err(EngineError::index)
    }

    /// Searches the archive (query language: docs/search.md).
    pub fn search(
        &mut self,
        query: &str,
        sort: SortBy,
        limit: usize,
        offset: usize,
    ) -> Result<SearchPage> {
        let parsed = tgscope_index::parse_query(query).map_err(EngineError::query)?;
        self.catch_up_index()?;
        let options = SearchOptions {
            sort: match sort {
                SortBy::Relevance => Sort::Relevance,
                SortBy::Newest => Sort::DateDesc,
                SortBy::Oldest => Sort::DateAsc,
            },
            limit,
            offset,
            snippet_chars: 200,
        };
        let results = self
            .index()?
            .search(&parsed, &options)
            .map_err(EngineError::index)?;
        let mut hits = Vec::with_capacity(results.hits.len());
        for hit in results.hits {
            // A post the index names but the archive does not have would be a stale index.
            let Some(post) = self.store.post_record(hit.post_id)? else {
                continue;
            };
            hits.push(SearchHit {
                post,
                score: hit.score,
                snippet: hit.snippet.text,
                highlights: hit.snippet.highlights,
            });
        }
        Ok(SearchPage {
            total: results.total,
            offset,
            hits,
        })
    }

    /// Counts of posts matching a query per day, week or month.
    pub fn count(&mut self, query: &str, period: Period) -> Result<Vec<PeriodCount>> {
        let mut counts = self.count_each(query, &[period])?;
        Ok(counts.pop().unwrap_or_default())
    }

    /// The counts of [`Engine::count`] per each of `periods`, from one pass over the matches
    /// (a chart that picks its period by the span of the posts asks for several).
    pub fn count_each(&mut self, query: &str, periods: &[Period]) -> Result<Vec<Vec<PeriodCount>>> {
        let parsed = tgscope_index::parse_query(query).map_err(EngineError::query)?;
        self.catch_up_index()?;
        self.index()?
            .count_by_each(&parsed, periods)
            .map_err(EngineError::index)
    }
}

#[cfg(test)]
mod tests {
    use super::unix_seconds;

    #[test]
    fn archived_dates_become_unix_seconds() {
        assert_eq!(unix_seconds("1970-01-02T00:00:00Z"), Some(86_400));
        assert_eq!(unix_seconds("1970-01-02T00:00:00"), Some(86_400));
        assert_eq!(unix_seconds("1970-01-02"), Some(86_400));
        assert_eq!(unix_seconds("2 January"), None);
    }
}
