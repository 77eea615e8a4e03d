//! The index directory: opening it, its one writer, search with totals, paging and snippets,
//! and counts per period.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::schema::Value;
use tantivy::{DocAddress, IndexReader, Order, ReloadPolicy, Searcher, TantivyDocument, Term};

use crate::entity::{EntityCounts, EntityTally};
use crate::error::IndexError;
use crate::period::{self, Counts, DayCounts, Period, PeriodCount};
use crate::query::Query;
use crate::schema::{self, Fields, PostDocument, names};
use crate::snippet::{self, Snippet};
use crate::{IndexDoc, SCHEMA_VERSION, compile};

/// The writer's memory budget (all its threads together): segments are written out when it is
/// reached, so it bounds the memory an ingest of any size takes for indexing.
pub const WRITER_HEAP_BYTES: usize = 96 * 1024 * 1024;

/// The bytes of documents the writer hands to tantivy's indexing threads ahead of them, at most
/// (and one document beyond). tantivy's own queue is bounded in operations (10,000), not in
/// bytes: posts of 256 KiB arriving faster than they are indexed would queue 2.5 GiB.
pub const IN_FLIGHT_BYTES: usize = 32 * 1024 * 1024;

/// How long the writer waits for the indexing threads to take documents before it hands over
/// the next one anyway: at worst one document a second beyond [`IN_FLIGHT_BYTES`] while both
/// threads write out segments, and a writer whose threads died is told so by tantivy instead of
/// waiting forever for them.
const IN_FLIGHT_WAIT: Duration = Duration::from_secs(1);

/// The bytes of documents queued for tantivy's indexing threads: a document counts from the
/// moment the writer hands it over until tantivy drops it, indexed.
#[derive(Debug)]
pub(crate) struct InFlight {
    limit: usize,
    bytes: Mutex<Queued>,
    taken: Condvar,
}

/// The bytes queued now, and the most there ever were.
#[derive(Debug, Default, Clone, Copy)]
struct Queued {
    now: usize,
    peak: usize,
}

impl InFlight {
    fn new(limit: usize) -> InFlight {
        InFlight {
            limit,
            bytes: Mutex::default(),
            taken: Condvar::new(),
        }
    }

    /// Counts `bytes` in, first waiting (see [`IN_FLIGHT_WAIT`]) while they would take the
    /// queue past its limit ([`IN_FLIGHT_BYTES`]).
    fn acquire(&self, bytes: usize) {
        let mut queued = self.bytes.lock().unwrap_or_else(PoisonError::into_inner);
        while queued.now > 0 && queued.now + bytes > self.limit {
            let (now, wait) = self
                .taken
                .wait_timeout(queued, IN_FLIGHT_WAIT)
                .unwrap_or_else(PoisonError::into_inner);
            queued = now;
            if wait.timed_out() {
                break;
            }
        }
        queued.now += bytes;
        queued.peak = queued.peak.max(queued.now);
    }

    /// Counts `bytes` out (a document indexed).
    pub(crate) fn release(&self, bytes: usize) {
        let mut queued = self.bytes.lock().unwrap_or_else(PoisonError::into_inner);
        queued.now = queued.now.saturating_sub(bytes);
        self.taken.notify_all();
    }

    #[cfg(test)]
    fn queued(&self) -> Queued {
        *self.bytes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the last commit recorded (tantivy's commit payload, as JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexMeta {
    /// [`SCHEMA_VERSION`] of the code that committed.
    pub schema_version: u32,
    /// The archive's mark the index was brought up to (the engine's to interpret).
    pub archive_mark: i64,
    /// What the derived parts of the documents were made with (the engine's to interpret: it
    /// records the fingerprint of the entity lists that gave [`IndexDoc::entities`], and
    /// rebuilds the index when the lists change). 0 in an index committed without one.
    #[serde(default)]
    pub derived_with: u64,
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum Sort {
    /// Best match first (BM25); ties in index order.
    #[default]
    Relevance,
    /// Newest first; posts without a date last.
    DateDesc,
    /// Oldest first; posts without a date last.
    DateAsc,
}

/// What a search returns and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchOptions {
    /// The order of results.
    pub sort: Sort,
    /// At most this many hits (0: only the total).
    pub limit: usize,
    /// Hits skipped before the first one returned.
    pub offset: usize,
    /// The longest snippet, in chars (0: no snippets).
    pub snippet_chars: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            sort: Sort::Relevance,
            limit: 20,
            offset: 0,
            snippet_chars: 200,
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    /// Every post the query matches (not only this page).
    pub total: u64,
    /// This page's hits, in order.
    pub hits: Vec<Hit>,
}

/// One matching post.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// The archive's post id.
    pub post_id: i64,
    /// The BM25 score when sorted by relevance (filters add nothing to it); 0 when sorted by
    /// date.
    pub score: f32,
    /// The post's date (unix seconds, UTC), when known.
    pub date: Option<i64>,
    /// The text around the first matches.
    pub snippet: Snippet,
}

/// The full-text index of an archive's posts, in its own directory (`<archive>/index`).
pub struct Index {
    dir: PathBuf,
    index: tantivy::Index,
    reader: IndexReader,
    fields: Fields,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index").field("dir", &self.dir).finish()
    }
}

impl Index {
    /// Opens the index in `dir`, creating the directory and an empty index when there is none.
    /// An index with another schema (written by another version of tgscope) is deleted and
    /// created anew, empty: [`Index::meta`] then returns `None` and the engine rebuilds it.
    pub fn open_or_create(dir: &Path) -> Result<Index, IndexError> {
        let (schema, fields) = schema::build();
        let io = |source| IndexError::Io {
            path: dir.to_owned(),
            source,
        };
        let tantivy_error = |source| IndexError::Tantivy {
            path: dir.to_owned(),
            source,
        };
        fs::create_dir_all(dir).map_err(io)?;
        let open = |dir: &Path| -> Result<Option<tantivy::Index>, IndexError> {
            let directory = MmapDirectory::open(dir)
                .map_err(|e| tantivy_error(tantivy::TantivyError::from(e)))?;
            if !tantivy::Index::exists(&directory)
                .map_err(|e| tantivy_error(tantivy::TantivyError::from(e)))?
            {
                return Ok(None);
            }
            tantivy::Index::open(directory)
                .map(Some)
                .map_err(tantivy_error)
        };
        let index = match open(dir)? {
            Some(existing) if existing.schema() == schema => existing,
            found => {
                if found.is_some() {
                    drop(found);
                    fs::remove_dir_all(dir).map_err(io)?;
                    fs::create_dir_all(dir).map_err(io)?;
                }
                let directory = MmapDirectory::open(dir)
                    .map_err(|e| tantivy_error(tantivy::TantivyError::from(e)))?;
                tantivy::Index::create(directory, schema, tantivy::IndexSettings::default())
                    .map_err(tantivy_error)?
            }
        };
        Index::wrap(dir, index, fields)
    }

    /// An empty index in memory, for the query fuzz target's driver ([`crate::fuzzing`]):
    /// nothing on disk, nothing left behind.
    pub(crate) fn in_memory() -> Result<Index, IndexError> {
        let (schema, fields) = schema::build();
        Index::wrap(Path::new(""), tantivy::Index::create_in_ram(schema), fields)
    }

    /// An opened tantivy index as this crate's: the word tokenizer registered, a reader that
    /// reloads when told.
    fn wrap(dir: &Path, index: tantivy::Index, fields: Fields) -> Result<Index, IndexError> {
        crate::schema::WordTokenizer::register(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|source| IndexError::Tantivy {
                path: dir.to_owned(),
                source,
            })?;
        Ok(Index {
            dir: dir.to_owned(),
            index,
            reader,
            fields,
        })
    }

    /// Opens the index in `dir` on read-only media, without writing a byte (tantivy's locks
    /// are held in memory): `None` when there is no index there, or one of another schema
    /// (which only a writer can rebuild).
    pub fn open_read_only(dir: &Path) -> Result<Option<Index>, IndexError> {
        let (schema, fields) = schema::build();
        let tantivy_error = |source| IndexError::Tantivy {
            path: dir.to_owned(),
            source,
        };
        if !dir.is_dir() {
            return Ok(None);
        }
        let directory = crate::read_only::ReadOnlyDirectory::new(
            MmapDirectory::open(dir).map_err(|e| tantivy_error(tantivy::TantivyError::from(e)))?,
        );
        if !tantivy::Index::exists(&directory)
            .map_err(|e| tantivy_error(tantivy::TantivyError::from(e)))?
        {
            return Ok(None);
        }
        let index = tantivy::Index::open(directory).map_err(tantivy_error)?;
        if index.schema() != schema {
            return Ok(None);
        }
        Index::wrap(dir, index, fields).map(Some)
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn error(&self, source: tantivy::TantivyError) -> IndexError {
        IndexError::Tantivy {
            path: self.dir.clone(),
            source,
        }
    }

    /// What the last commit recorded; `None` for a new index (or one committed without a
    /// readable record, which the engine then rebuilds).
    pub fn meta(&self) -> Result<Option<IndexMeta>, IndexError> {
        let metas = self.index.load_metas().map_err(|e| self.error(e))?;
        Ok(metas
            .payload
            .as_deref()
            .and_then(|payload| serde_json::from_str(payload).ok()))
    }

    /// The index's one writer, with a memory budget of [`WRITER_HEAP_BYTES`]. Fails with
    /// [`IndexError::Locked`] while another writer is open.
    pub fn writer(&self) -> Result<IndexWriter, IndexError> {
        self.writer_with_heap(WRITER_HEAP_BYTES)
    }

    /// The writer with another memory budget (at least 15 MB per thread; one or two threads).
    pub fn writer_with_heap(&self, heap_bytes: usize) -> Result<IndexWriter, IndexError> {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 2);
        let writer = self
            .index
            .writer_with_num_threads(threads, heap_bytes)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => IndexError::Locked {
                    path: self.dir.clone(),
                },
                other => self.error(other),
            })?;
        Ok(IndexWriter {
            dir: self.dir.clone(),
            writer,
            in_flight: Arc::new(InFlight::new(IN_FLIGHT_BYTES)),
            reader: self.reader.clone(),
            fields: self.fields.clone(),
        })
    }

    /// A searcher over the last commit (of this process or another).
    fn searcher(&self) -> Result<Searcher, IndexError> {
        self.reader.reload().map_err(|e| self.error(e))?;
        Ok(self.reader.searcher())
    }

    /// The posts matching `query`: the total, and one page of hits with snippets.
    pub fn search(&self, query: &Query, opts: &SearchOptions) -> Result<SearchResults, IndexError> {
        self.check_resolved(query)?;
        let searcher = self.searcher()?;
        let tantivy_query = compile::to_tantivy(&query.root, &self.fields);
        let num_docs = usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX);
        let limit = opts.limit.min(num_docs.saturating_sub(opts.offset));
        if limit == 0 {
            let total = searcher
                .search(&tantivy_query, &Count)
                .map_err(|e| self.error(e))?;
            return Ok(SearchResults {
                total: total as u64,
                hits: Vec::new(),
            });
        }
        let top = TopDocs::with_limit(limit).and_offset(opts.offset);
        let (total, found): (usize, Vec<(f32, DocAddress)>) = match opts.sort {
            Sort::Relevance => searcher
                .search(&tantivy_query, &(Count, top.order_by_score()))
                .map_err(|e| self.error(e))?,
            Sort::DateDesc | Sort::DateAsc => {
                let order = if opts.sort == Sort::DateDesc {
                    Order::Desc
                } else {
                    Order::Asc
                };
                let (total, by_date) = searcher
                    .search(
                        &tantivy_query,
                        &(Count, top.order_by_fast_field::<i64>(names::DATE, order)),
                    )
                    .map_err(|e| self.error(e))?;
                (total, by_date.into_iter().map(|(_, a)| (0.0, a)).collect())
            }
        };
        let forms = query.matched_forms();
        let mut hits = Vec::with_capacity(found.len());
        for (score, address) in found {
            let segment = searcher.segment_reader(address.segment_ord);
            let fast = segment.fast_fields();
            let post_id = fast
                .i64(names::POST_ID)
                .map_err(|e| self.error(e))?
                .first(address.doc_id)
                .ok_or_else(|| IndexError::MissingPostId {
                    path: self.dir.clone(),
                    segment: address.segment_ord,
                    doc: address.doc_id,
                })?;
            let date = fast
                .i64(names::DATE)
                .map_err(|e| self.error(e))?
                .first(address.doc_id);
            let snippet = if opts.snippet_chars == 0 {
                Snippet::default()
            } else {
                let doc: TantivyDocument = searcher.doc(address).map_err(|e| self.error(e))?;
                let text = doc
                    .get_first(self.fields.body)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                snippet::build(text, &forms, opts.snippet_chars)
            };
            hits.push(Hit {
                post_id,
                score,
                date,
                snippet,
            });
        }
        Ok(SearchResults {
            total: total as u64,
            hits,
        })
    }

    /// Counts of the posts matching `query` per period, from the first period with a post to
    /// the last (empty periods between them as 0). Posts without a date are not counted.
    pub fn count_by(&self, query: &Query, period: Period) -> Result<Vec<PeriodCount>, IndexError> {
        let mut counts = self.count_by_each(query, &[period])?;
        Ok(counts.per_period.pop().unwrap_or_default())
    }

    /// The counts of [`Index::count_by`] per each of `periods`, from one pass over the matches,
    /// with the number of matching posts that have no date (and so are in no period).
    pub fn count_by_each(&self, query: &Query, periods: &[Period]) -> Result<Counts, IndexError> {
        self.check_resolved(query)?;
        let searcher = self.searcher()?;
        let tantivy_query = compile::to_tantivy(&query.root, &self.fields);
        let tally = searcher
            .search(&tantivy_query, &DayCounts)
            .map_err(|e| self.error(e))?;
        Ok(Counts {
            per_period: periods
                .iter()
                .map(|p| period::group(&tally.days, *p))
                .collect(),
            dated: tally.days.values().sum(),
            undated: tally.undated,
        })
    }

    /// The ids of every post `query` matches, sorted; with `among`, only of those posts (the
    /// posts a caller re-evaluates after they changed). Posts of `among` the index does not hold
    /// are not in the answer.
    pub fn matching_posts(
        &self,
        query: &Query,
        among: Option<&[i64]>,
    ) -> Result<Vec<i64>, IndexError> {
        self.check_resolved(query)?;
        if among.is_some_and(<[i64]>::is_empty) {
            return Ok(Vec::new());
        }
        let searcher = self.searcher()?;
        let matching = compile::to_tantivy(&query.root, &self.fields);
        let tantivy_query: Box<dyn tantivy::query::Query> = match among {
            Some(ids) => Box::new(tantivy::query::BooleanQuery::new(vec![
                (tantivy::query::Occur::Must, matching),
                (
                    tantivy::query::Occur::Must,
                    Box::new(tantivy::query::TermSetQuery::new(
                        ids.iter()
                            .map(|&id| Term::from_field_i64(self.fields.post_id, id)),
                    )),
                ),
            ])),
            None => matching,
        };
        searcher
            .search(&tantivy_query, &crate::matching::PostIds)
            .map_err(|e| self.error(e))
    }

    /// The entities of every post `query` matches (not only a page of them): per kind, how many
    /// matching posts name one, how many distinct ones they name, and the `per_kind` most
    /// frequent, with the number of matching posts naming each. One pass over the matches,
    /// reading the `entity` fast field of each.
    pub fn entity_counts(
        &self,
        query: &Query,
        per_kind: usize,
    ) -> Result<EntityCounts, IndexError> {
        self.check_resolved(query)?;
        let searcher = self.searcher()?;
        let tantivy_query = compile::to_tantivy(&query.root, &self.fields);
        let tally = searcher
            .search(&tantivy_query, &EntityTally)
            .map_err(|e| self.error(e))?;
        Ok(tally.into_counts(per_kind))
    }

    /// How many posts of the index have this entity key (`country:KZ`, `person:~name`): so
    /// that a resolver can tell a name the posts have from one they do not.
    pub fn entity_posts(&self, key: &str) -> Result<u64, IndexError> {
        let searcher = self.searcher()?;
        searcher
            .doc_freq(&Term::from_field_text(self.fields.entity, key))
            .map_err(|e| self.error(e))
    }

    /// A query whose channel names, copy filters or entity names the archive has not resolved
    /// cannot be run.
    fn check_resolved(&self, query: &Query) -> Result<(), IndexError> {
        if let Some(name) = query.unresolved_channel() {
            return Err(IndexError::UnresolvedChannel(name.to_owned()));
        }
        if let Some((kind, name)) = query.unresolved_entity() {
            return Err(IndexError::UnresolvedEntity {
                kind,
                name: name.to_owned(),
            });
        }
        match query.unresolved_copies() {
            Some(selector) => Err(IndexError::UnresolvedCopies(selector)),
            None => Ok(()),
        }
    }

    /// The number of posts in the index (as of the last commit).
    pub fn doc_count(&self) -> Result<u64, IndexError> {
        Ok(self.searcher()?.num_docs())
    }
}

/// The index's writer: upserts and deletes, made visible (and durable) by [`IndexWriter::commit`].
/// Dropping it without a commit discards what it did since the last one.
pub struct IndexWriter {
    dir: PathBuf,
    writer: tantivy::IndexWriter<PostDocument>,
    in_flight: Arc<InFlight>,
    reader: IndexReader,
    fields: Fields,
}

impl std::fmt::Debug for IndexWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexWriter")
            .field("dir", &self.dir)
            .finish()
    }
}

impl IndexWriter {
    fn error(&self, source: tantivy::TantivyError) -> IndexError {
        IndexError::Tantivy {
            path: self.dir.clone(),
            source,
        }
    }

    /// Indexes a post, replacing the document with the same post id if there is one.
    pub fn upsert(&mut self, doc: &IndexDoc) -> Result<(), IndexError> {
        self.delete(doc.post_id)?;
        self.send(schema::document(&self.fields, doc))
    }

    /// Hands a document to tantivy's indexing threads, once the queue has room for it.
    fn send(&mut self, mut document: PostDocument) -> Result<(), IndexError> {
        self.in_flight.acquire(document.bytes());
        document.in_flight = Some(self.in_flight.clone());
        self.writer
            .add_document(document)
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Indexes many posts: their text is analysed on every core at once (analysis is most of
    /// the cost of indexing), then the documents go to tantivy in order. With `replace`, each
    /// replaces the document with the same post id; without it (a rebuild after
    /// [`IndexWriter::clear`], or posts never indexed), no delete is queued at all.
    pub fn add_batch(&mut self, docs: &[IndexDoc], replace: bool) -> Result<(), IndexError> {
        use rayon::prelude::*;
        let fields = &self.fields;
        let built: Vec<PostDocument> = docs
            .par_iter()
            .map(|d| schema::document(fields, d))
            .collect();
        for (doc, document) in docs.iter().zip(built) {
            if replace {
                self.delete(doc.post_id)?;
            }
            self.send(document)?;
        }
        Ok(())
    }

    /// Removes a post's document (nothing when it has none).
    pub fn delete(&mut self, post_id: i64) -> Result<(), IndexError> {
        self.writer
            .delete_term(Term::from_field_i64(self.fields.post_id, post_id));
        Ok(())
    }

    /// Removes every document (before a full rebuild).
    pub fn clear(&mut self) -> Result<(), IndexError> {
        self.writer
            .delete_all_documents()
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Makes everything since the last commit durable and visible to searches, recording
    /// [`IndexMeta`] `{ SCHEMA_VERSION, archive_mark, derived_with }` with it, `derived_with` as
    /// the last commit recorded it (0 for the first): see [`IndexWriter::commit_with`].
    pub fn commit(&mut self, archive_mark: i64) -> Result<(), IndexError> {
        let metas = self
            .writer
            .index()
            .load_metas()
            .map_err(|e| self.error(e))?;
        let derived_with = metas
            .payload
            .as_deref()
            .and_then(|payload| serde_json::from_str::<IndexMeta>(payload).ok())
            .map_or(0, |meta| meta.derived_with);
        self.commit_with(archive_mark, derived_with)
    }

    /// [`IndexWriter::commit`], recording what the documents' derived parts were made with (the
    /// fingerprint of the entity lists, for the engine).
    pub fn commit_with(&mut self, archive_mark: i64, derived_with: u64) -> Result<(), IndexError> {
        let meta = IndexMeta {
            schema_version: SCHEMA_VERSION,
            archive_mark,
            derived_with,
        };
        let payload = serde_json::to_string(&meta).map_err(|e| {
            self.error(tantivy::TantivyError::InternalError(format!(
                "commit payload: {e}"
            )))
        })?;
        let dir = &self.dir;
        let error = |source| IndexError::Tantivy {
            path: dir.clone(),
            source,
        };
        let mut prepared = self.writer.prepare_commit().map_err(error)?;
        prepared.set_payload(&payload);
        prepared.commit().map_err(error)?;
        self.reader.reload().map_err(|e| self.error(e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use tantivy::schema::{STORED, TEXT};

    use super::*;

    #[test]
    fn an_index_with_another_schema_is_replaced_by_an_empty_one() -> anyhow::Result<()> {
        let dir = tempfile::TempDir::new()?;
        let path = dir.path().join("index");
        fs::create_dir_all(&path)?;
        {
            let mut builder = tantivy::schema::Schema::builder();
            let old_field = builder.add_text_field("old", TEXT | STORED);
            let old = tantivy::Index::create_in_dir(&path, builder.build())?;
            let mut writer: tantivy::IndexWriter = old.writer_with_num_threads(1, 15_000_000)?;
            let mut doc = TantivyDocument::new();
            doc.add_text(old_field, "an old document");
            writer.add_document(doc)?;
            writer.commit()?;
        }
        let index = Index::open_or_create(&path)?;
        assert_eq!(index.meta()?, None);
        assert_eq!(index.doc_count()?, 0);
        let mut writer = index.writer()?;
        writer.upsert(&IndexDoc {
            post_id: 7,
            text: "новый документ".into(),
            ..IndexDoc::default()
        })?;
        writer.commit(5)?;
        let found = index.search(&crate::parse_query("документ")?, &SearchOptions::default())?;
        assert_eq!(
            found.hits.iter().map(|h| h.post_id).collect::<Vec<_>>(),
            [7]
        );
        Ok(())
    }

    #[test]
    fn every_matching_post_is_found_and_among_narrows_to_given_posts() -> anyhow::Result<()> {
        let dir = tempfile::TempDir::new()?;
        let index = Index::open_or_create(&dir.path().join("index"))?;
        let mut writer = index.writer()?;
        let texts = [
            (1, "коллективный Запад снова"),
            (2, "the collective West again"),
            (3, "многополярный мир"),
            (4, "коллективного Запада нет"),
        ];
        for (post_id, text) in texts {
            writer.upsert(&IndexDoc {
                post_id,
                text: text.into(),
                ..IndexDoc::default()
            })?;
        }
        writer.commit(4)?;
        let west = crate::parse_query("коллективный Запад")?;
        assert_eq!(index.matching_posts(&west, None)?, [1, 4]);
        assert_eq!(index.matching_posts(&west, Some(&[2, 4, 9]))?, [4]);
        assert!(index.matching_posts(&west, Some(&[]))?.is_empty());
        let either = crate::parse_query("(коллективный Запад) OR \"collective West\"")?;
        assert_eq!(index.matching_posts(&either, None)?, [1, 2, 4]);
        Ok(())
    }

    #[test]
    fn the_writer_queues_at_most_its_in_flight_bytes_and_indexes_every_document()
    -> anyhow::Result<()> {
        let dir = tempfile::TempDir::new()?;
        let index = Index::open_or_create(&dir.path().join("index"))?;
        let mut writer = index.writer_with_heap(30_000_000)?;
        // A queue of 1 MiB for 16 posts of 256 KiB: without the bound, the batch is handed over
        // at once and tantivy queues it whole.
        let limit = 1 << 20;
        writer.in_flight = Arc::new(InFlight::new(limit));
        let docs: Vec<IndexDoc> = (0..16)
            .map(|i| IndexDoc {
                post_id: i,
                text: format!("пост{i} ") + &"заявление министерства ".repeat(256 * 1024 / 44),
                ..IndexDoc::default()
            })
            .collect();
        let largest = docs
            .iter()
            .map(|d| schema::document(&writer.fields, d).bytes())
            .max()
            .unwrap_or(0);
        assert!(largest > 256 * 1024, "each post weighs its text: {largest}");
        writer.add_batch(&docs, false)?;
        writer.commit(1)?;
        let queued = writer.in_flight.queued();
        assert_eq!(queued.now, 0, "every document indexed is counted out");
        assert!(
            queued.peak >= largest && queued.peak <= limit + largest,
            "queued at most {limit} bytes and one post beyond: {}",
            queued.peak
        );
        assert_eq!(index.doc_count()?, 16);
        let found = index.search(&crate::parse_query("пост15")?, &SearchOptions::default())?;
        assert_eq!(
            found.hits.iter().map(|h| h.post_id).collect::<Vec<_>>(),
            [15]
        );
        Ok(())
    }
}
