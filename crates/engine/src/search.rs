//! Search: the full-text index kept in the archive directory (`index/`), caught up with the
//! archive whenever the archive is opened or ingested into, and queries over it.
//!
//! Entities: each post's document carries the keys of the countries, organisations and people
//! its text names (`country:KZ`, `org:sco`, `person:lavrov`), recognised with the archive's
//! lists ([`Engine::recognizer`]); the index records the lists' fingerprint and is rebuilt when
//! they change. The `country:`, `org:` and `person:` names of a query are resolved here with the
//! same lists ([`Engine::resolve_entity`]), and [`Engine::search_facets`] gives the most
//! frequent entities among every post a query matches.

use std::path::PathBuf;

use tgscope_analyze::entities::{
    EntityKind, EntityPost, EntityWriter, Mention, Recognizer, fold_name,
};

use crate::entities::capitalised;
use tgscope_archive::PostForIndex;
use tgscope_index::{Index, IndexDoc, Period, PeriodCount, Query, SearchOptions, Sort};

use crate::error::{EngineError, Result};
use crate::{Engine, PostRecord};
use tgscope_archive::prelude::*;

/// The index's folder inside the archive directory.
pub const INDEX_DIR: &str = "index";

/// Posts analysed together (on every core) before they go to the index: this many, or fewer
/// when their texts reach [`INDEX_BATCH_TEXT_BYTES`].
const INDEX_BATCH: usize = 2048;

/// The text a batch of posts for the index holds at most, about: a batch's documents hold
/// several times their texts (each analysed for three fields), so a batch of long posts is
/// smaller than [`INDEX_BATCH`] posts (2,048 posts of 128 KiB would be 256 MiB of text).
pub(crate) const INDEX_BATCH_TEXT_BYTES: usize = 8 << 20;

/// The file in the archive directory whose lock says that writers are at work: each writing
/// engine holds a shared lock on it; a reader catches the index up only when it can hold it
/// exclusively (no writer at work).
pub const WRITERS_LOCK: &str = "writers.lock";

/// How long a writer waits by default for another writer's index update.
pub const INDEX_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// A writer's shared lock on the archive's [`WRITERS_LOCK`] (waits while a reader catches the
/// index up, which is short).
pub(crate) fn lock_as_writer(dir: &std::path::Path) -> Result<std::fs::File> {
    let path = dir.join(WRITERS_LOCK);
    let file = open_writers_lock(&path)
        .map_err(|e| EngineError::Archive(format!("{}: {e}", path.display())))?;
    file.lock_shared()
        .map_err(|e| EngineError::Archive(format!("locking {}: {e}", path.display())))?;
    Ok(file)
}

/// A reader's exclusive lock on the archive's [`WRITERS_LOCK`], if no writer holds it now;
/// `None` when a writer is at work (or the lock file cannot be made: a read-only archive is
/// not written to).
pub(crate) fn lock_as_sole_reader(dir: &std::path::Path) -> Option<std::fs::File> {
    let file = open_writers_lock(&dir.join(WRITERS_LOCK)).ok()?;
    file.try_lock().ok()?;
    Some(file)
}

/// The [`WRITERS_LOCK`] file, made when missing (its content is never read or written).
fn open_writers_lock(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

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
    /// The order of the results: relevance was asked for but the query has no words to rank
    /// by (only filters), the results are newest first (and [`SearchPage::ranked`] is false).
    #[serde(skip)]
    pub sort: SortBy,
    /// Whether the scores rank the results (false when the query has no words: every score is
    /// the same).
    pub ranked: bool,
    /// Whether a writer at work is still bringing the index up to the archive: the results are
    /// those of the posts indexed so far.
    pub index_catching_up: bool,
}

impl SearchPage {
    /// How many matches come after this page.
    pub fn remaining(&self) -> u64 {
        self.total
            .saturating_sub((self.offset as u64).saturating_add(self.hits.len() as u64))
    }
}

/// Counts of the posts a query matches per period, with what the counts leave out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueryCounts {
    /// The period counted by.
    pub period: Period,
    /// Whether the period was chosen to fit the span of the matches (none was asked for).
    pub period_chosen: bool,
    /// Matching posts per period, from the first period with a match to the last.
    pub counts: Vec<PeriodCount>,
    /// Every post the query matches.
    pub matching: u64,
    /// Matching posts with a date (observed or inferred): what the periods add up to.
    pub dated: u64,
    /// Matching posts without a date: in no period, left out of the counts.
    pub undated: u64,
    /// Whether a writer at work is still bringing the index up to the archive: the counts are
    /// those of the posts indexed so far.
    pub index_catching_up: bool,
}

/// The entities among every post a query matches ([`Engine::search_facets`]): per kind, the
/// most frequent ones, for a front end to show beside the results and to narrow them by.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EntityFacets {
    /// Every post the query matches (as [`SearchPage::total`]).
    pub matching: u64,
    /// Countries, organisations and people, in that order (each kind is there, even when no
    /// matching post names one).
    pub kinds: Vec<EntityFacet>,
    /// Whether a writer at work is still bringing the index up to the archive: the counts are
    /// those of the posts indexed so far.
    pub index_catching_up: bool,
}

impl EntityFacets {
    /// The facet of one kind.
    pub fn of(&self, kind: EntityKind) -> Option<&EntityFacet> {
        self.kinds.iter().find(|k| k.kind == kind)
    }
}

/// The entities of one kind among the posts a query matches.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EntityFacet {
    /// The kind (`country`, `org`, `person` in JSON).
    #[serde(serialize_with = "kind_name")]
    pub kind: EntityKind,
    /// Matching posts that name at least one entity of the kind.
    pub posts: u64,
    /// Distinct entities of the kind among the matching posts (`top` has the first of them).
    pub distinct: u64,
    /// The most frequent, most posts first (ties by id).
    pub top: Vec<FacetEntity>,
}

/// One entity of a facet, with the number of matching posts that name it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FacetEntity {
    /// Its index key: `country:KZ`, `org:sco`, `person:lavrov`, `person:~такэси ивая`.
    pub key: String,
    /// Its id: `KZ`, `sco`, `lavrov`; `~` and the folded name for a person on no list.
    pub id: String,
    /// Its name in English (for a person on no list: the name as the posts give it, folded,
    /// with capitals at the start of its words).
    pub name_en: String,
    /// Its name in Russian (the same for a person on no list).
    pub name_ru: String,
    /// Whether it is on the archive's lists (bundled or its own); `false` for a person found
    /// after a role phrase.
    pub listed: bool,
    /// Whether it comes from the archive's own list.
    pub user: bool,
    /// Matching posts that name it.
    pub posts: u64,
    /// The filter that selects its posts, to add to the query: `country:KZ`,
    /// `person:"~такэси ивая"`.
    pub filter: String,
}

fn kind_name<S: serde::Serializer>(
    kind: &EntityKind,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(kind.as_str())
}

/// How many entities of each kind [`Engine::search_facets`] gives by default.
pub const FACETS_PER_KIND: usize = 10;

/// The most periods a chosen period may give while a coarser one is left (the web chart draws
/// at most this many bars).
pub const MAX_CHOSEN_PERIODS: usize = 1_000;

/// Unix seconds of an archived date (observed `2024-03-01T10:00:00Z`, or inferred
/// `2024-03-01T10:00:00` / `2024-03-01`, read as UTC).
pub(crate) fn unix_seconds(date: &str) -> Option<i64> {
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

/// The index's key of an entity: `country:KZ`, `person:~name`.
fn entity_key(kind: EntityKind, id: &str) -> String {
    format!("{}:{id}", kind.as_str())
}

/// The entity kind of the index's kind.
fn entity_kind(kind: tgscope_index::EntityKind) -> EntityKind {
    match kind {
        tgscope_index::EntityKind::Country => EntityKind::Country,
        tgscope_index::EntityKind::Org => EntityKind::Org,
        tgscope_index::EntityKind::Person => EntityKind::Person,
    }
}

/// The distinct entity keys of a text, sorted. A person on no list is keyed by the name as
/// found, folded, with one space between its words ([`fold_name`], as a query writes it).
pub(crate) fn entity_keys(recognizer: &Recognizer, text: &str) -> Vec<String> {
    keys_of(&recognizer.recognize(text))
}

/// The index's entity keys of these mentions (each entity once, in key order).
fn keys_of(mentions: &[Mention]) -> Vec<String> {
    let mut keys: Vec<String> = mentions.iter().map(|m| entity_key(m.kind, &m.id)).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The posts' documents, their entities recognised on every core (recognition is as costly
/// as the index's own analysis of the text).
fn index_docs(posts: Vec<PostForIndex>, recognizer: &Recognizer) -> Vec<IndexDoc> {
    on_every_core(posts, |p| index_doc(p, recognizer))
}

/// [`index_docs`], with the mentions found in each post (for the entity analysis).
fn index_docs_with_mentions(
    posts: Vec<PostForIndex>,
    recognizer: &Recognizer,
) -> Vec<(IndexDoc, Vec<Mention>)> {
    on_every_core(posts, |p| {
        let mentions = recognizer.recognize(&p.text);
        let keys = keys_of(&mentions);
        (doc_with_keys(p, keys), mentions)
    })
}

/// `f` of each post, in their order, the posts shared out among the cores (the process's one
/// pool of threads).
fn on_every_core<T: Send>(
    posts: Vec<PostForIndex>,
    f: impl Fn(PostForIndex) -> T + Sync + Send,
) -> Vec<T> {
    use rayon::prelude::*;
    posts.into_par_iter().map(f).collect()
}

fn index_doc(p: PostForIndex, recognizer: &Recognizer) -> IndexDoc {
    let keys = entity_keys(recognizer, &p.text);
    doc_with_keys(p, keys)
}

/// A post's document, with the keys of the entities it names.
fn doc_with_keys(p: PostForIndex, entities: Vec<String>) -> IndexDoc {
    IndexDoc {
        entities,
        post_id: p.post_id,
        channel_id: p.channel_id,
        forwarded: p.forwarded,
        forward_channel_id: p.forward_channel_id,
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

    /// Whether the archive has an index folder.
    pub(crate) fn index_dir_exists(&self) -> bool {
        self.index_dir().is_dir()
    }

    /// The index, opened (and created) on first use.
    pub(crate) fn index(&mut self) -> Result<&Index> {
        if self.index.is_none() {
            let dir = self.index_dir();
            let index = if self.store.read_only() {
                // Read as it stands: nothing can be created or rebuilt on read-only media.
                Index::open_read_only(&dir)
                    .map_err(EngineError::index)?
                    .ok_or_else(|| {
                        EngineError::Archive(format!(
                            "{}: the archive is read-only and has no search index of this \
                             version of tgscope to read (tgscope reindex makes one where the \
                             archive can be written)",
                            dir.display()
                        ))
                    })?
            } else {
                Index::open_or_create(&dir).map_err(EngineError::index)?
            };
            self.index = Some(index);
        }
        self.index
            .as_ref()
            .ok_or_else(|| EngineError::Archive("the index could not be opened".into()))
    }

    /// On opening the archive: an index that exists but fell behind is caught up now, so that
    /// no command serves stale results. (An archive without an index gets one on its first
    /// search or ingest.) A reader leaves it to a writer at work (see [`Engine::catch_up_index`]).
    pub(crate) fn catch_up_existing_index(&mut self) -> Result<()> {
        if self.index_dir().is_dir() {
            self.catch_up_index()?;
        }
        Ok(())
    }

    /// Whether the index was found behind the archive while a writer (an ingest, a collection
    /// run) was at work: searches then answer from what the index holds so far, and the writer
    /// brings it up to date when it finishes.
    pub fn index_catching_up(&self) -> bool {
        self.index_catching_up
    }

    /// [`Engine::update_index`] before a search. A writer brings the index up to date itself.
    /// A reader does only when no writer is at work: it never takes the index's writer lock
    /// from under an ingest (whose own index update would then fail), and searches the index as
    /// it stands instead.
    fn catch_up_index(&mut self) -> Result<()> {
        match self.update_index() {
            Ok(_) => {
                self.index_catching_up = false;
                Ok(())
            }
            Err(EngineError::IndexBusy(why)) => {
                tracing::debug!("not catching up the index: {why}");
                self.index_catching_up = true;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Whether the index holds every version of the archive (and was built by this version of
    /// tgscope, with the archive's entity lists as they are); else the mark to catch up from and
    /// whether to rebuild.
    pub(crate) fn index_behind(&mut self) -> Result<Option<(i64, bool, i64)>> {
        let mark = self.store.index_mark()?;
        let lists = self.recognizer()?.fingerprint();
        let meta = self.index()?.meta().map_err(EngineError::index)?;
        let current = |m: &tgscope_index::IndexMeta| {
            m.schema_version == tgscope_index::SCHEMA_VERSION && m.derived_with == lists
        };
        Ok(match meta {
            Some(m) if current(&m) && m.archive_mark == mark => None,
            Some(m) if current(&m) && m.archive_mark < mark => Some((m.archive_mark, false, mark)),
            _ => Some((0, true, mark)),
        })
    }

    /// Brings the index up to the archive: nothing when it is current, the posts with newer
    /// versions when it fell behind (a crash between the archive's commit and the index's),
    /// everything when it is new, was built by another version of tgscope, or with other entity
    /// lists (the archive's own list was set, changed or removed).
    ///
    /// A reading engine does it only when no writer is at work (it takes the archive's
    /// [`WRITERS_LOCK`] exclusively for the time, so writers starting meanwhile wait for it);
    /// otherwise, and when another writer holds the index longer than a writer waits, the
    /// answer is [`EngineError::IndexBusy`] and the index stays readable as it stands.
    pub fn update_index(&mut self) -> Result<IndexUpdate> {
        let Some((after, rebuild, mark)) = self.index_behind()? else {
            return Ok(IndexUpdate::default());
        };
        if self.writers_lock.is_some() {
            return self.write_index_waiting(after, rebuild, mark);
        }
        let Some(_alone) = lock_as_sole_reader(self.dir()) else {
            return Err(EngineError::IndexBusy(
                "a writer (an ingest or a collection run) is at work on the archive; it brings \
                 the index up to date"
                    .into(),
            ));
        };
        // The writer may have finished between the first look and the lock.
        let Some((after, rebuild, mark)) = self.index_behind()? else {
            return Ok(IndexUpdate::default());
        };
        self.write_index(after, rebuild, mark)
    }

    /// A writer's index update: when another writer is updating the index, wait for it (up to
    /// the engine's index wait), then update.
    fn write_index_waiting(&mut self, after: i64, rebuild: bool, mark: i64) -> Result<IndexUpdate> {
        let started = std::time::Instant::now();
        let mut pause = std::time::Duration::from_millis(20);
        loop {
            match self.write_index(after, rebuild, mark) {
                Err(EngineError::IndexBusy(why)) if started.elapsed() < self.index_wait => {
                    tracing::debug!("waiting for the index: {why}");
                    std::thread::sleep(
                        pause.min(self.index_wait.saturating_sub(started.elapsed())),
                    );
                    pause = (pause * 2).min(std::time::Duration::from_secs(1));
                    // The other writer may have indexed our versions too.
                    match self.index_behind()? {
                        None => return Ok(IndexUpdate::default()),
                        Some(_) => continue,
                    }
                }
                other => return other,
            }
        }
    }

    /// Re-reads these posts into the index (posts whose versions changed in place, which the
    /// archive's mark does not see); the index keeps its mark. Nothing to do for no posts; a
    /// writer at work on the index makes it [`EngineError::IndexBusy`] (the posts are then
    /// right after the next `reindex`).
    pub fn reindex_posts(&mut self, post_ids: &[i64]) -> Result<u64> {
        if post_ids.is_empty() {
            return Ok(0);
        }
        let Some(meta) = self.index()?.meta().map_err(EngineError::index)? else {
            return Ok(0);
        };
        let recognizer = self.recognizer()?;
        let mut writer = self.index_writer()?;
        let mut posts = Vec::with_capacity(post_ids.len());
        self.store.for_each_post_for_index_of(post_ids, |post| {
            posts.push(post);
            Ok::<(), EngineError>(())
        })?;
        let docs = index_docs(posts, &recognizer);
        writer.add_batch(&docs, true).map_err(EngineError::index)?;
        // The index keeps its mark and what it was made with: made with other lists, it is
        // rebuilt when next caught up.
        writer
            .commit_with(meta.archive_mark, meta.derived_with)
            .map_err(EngineError::index)?;
        Ok(docs.len() as u64)
    }

    /// The index's writer: [`EngineError::IndexBusy`] when another writer holds its lock.
    fn index_writer(&mut self) -> Result<tgscope_index::IndexWriter> {
        self.index()?.writer().map_err(|e| match e {
            tgscope_index::IndexError::Locked { .. } => EngineError::IndexBusy(e.to_string()),
            e => EngineError::index(e),
        })
    }

    /// Rebuilds the whole index from the archive.
    pub fn reindex(&mut self) -> Result<IndexUpdate> {
        let mark = self.store.index_mark()?;
        self.write_index(0, true, mark)
    }

    fn write_index(&mut self, after: i64, rebuild: bool, mark: i64) -> Result<IndexUpdate> {
        self.write_index_feeding(after, rebuild, mark, None)
    }

    /// [`Engine::write_index`], handing each post with the mentions recognised in it to the
    /// entity analysis's writer too, when there is one (`entities`).
    pub(crate) fn write_index_feeding(
        &mut self,
        after: i64,
        rebuild: bool,
        mark: i64,
        mut entities: Option<&mut EntityWriter<'_>>,
    ) -> Result<IndexUpdate> {
        // One recognizer for the whole update; the commit records its lists' fingerprint.
        let recognizer = self.recognizer()?;
        let mut writer = self.index_writer()?;
        if rebuild {
            writer.clear().map_err(EngineError::index)?;
        }
        // Posts go to the index in batches, their entities recognised and their text analysed
        // on every core; a rebuild queues no deletes (the index was cleared), a catch-up
        // replaces each post's document.
        let mut indexed = 0u64;
        let mut batch = Vec::with_capacity(INDEX_BATCH);
        let mut batch_bytes = 0usize;
        let mut docs_of = |posts: Vec<PostForIndex>| -> Result<Vec<IndexDoc>> {
            let Some(entities) = entities.as_deref_mut() else {
                return Ok(index_docs(posts, &recognizer));
            };
            let mut docs = Vec::with_capacity(posts.len());
            for (doc, mentions) in index_docs_with_mentions(posts, &recognizer) {
                let post = EntityPost {
                    post_id: doc.post_id,
                    channel_id: doc.channel_id,
                    date: doc.date,
                    text: String::new(),
                };
                entities
                    .push_recognized(&post, mentions)
                    .map_err(|e| EngineError::Archive(e.to_string()))?;
                docs.push(doc);
            }
            Ok(docs)
        };
        self.store.for_each_post_for_index(after, |post| {
            batch_bytes += post.text.len();
            batch.push(post);
            if batch.len() == INDEX_BATCH || batch_bytes >= INDEX_BATCH_TEXT_BYTES {
                batch_bytes = 0;
                let docs = docs_of(std::mem::take(&mut batch))?;
                writer
                    .add_batch(&docs, !rebuild)
                    .map_err(EngineError::index)?;
                indexed += docs.len() as u64;
            }
            Ok::<(), EngineError>(())
        })?;
        let docs = docs_of(batch)?;
        writer
            .add_batch(&docs, !rebuild)
            .map_err(EngineError::index)?;
        indexed += docs.len() as u64;
        writer
            .commit_with(mark, recognizer.fingerprint())
            .map_err(EngineError::index)?;
        Ok(IndexUpdate {
            indexed,
            rebuilt: rebuild,
        })
    }

    /// Every post as the index is fed it, in post order (for benchmarks and checks).
    pub fn index_documents(&self) -> Result<Vec<IndexDoc>> {
        let recognizer = self.recognizer()?;
        let mut posts = Vec::new();
        self.store.for_each_post_for_index(0, |post| {
            posts.push(post);
            Ok::<(), EngineError>(())
        })?;
        Ok(index_docs(posts, &recognizer))
    }

    /// Documents in the index.
    pub fn index_doc_count(&mut self) -> Result<u64> {
        self.index()?.doc_count().map_err(EngineError::index)
    }

    /// Parses a query and resolves its `channel:` and `from:` names to the archive's channels
    /// (see [`crate::filter`]: an unknown name is not found, an ambiguous one an error), its
    /// `country:`, `org:` and `person:` names to entities ([`Engine::resolve_entity`]: an unknown
    /// name is an error), and its `has:copies` and `cluster:ID` to the posts the copy analysis
    /// puts there (an unknown cluster is not found).
    pub fn parse_query(&mut self, query: &str) -> Result<Query> {
        let mut parsed = tgscope_index::parse_query(query).map_err(EngineError::query)?;
        parsed.resolve_channels(|role, name| self.resolve_channel(name, role.into()))?;
        if parsed.has_entity_filter() {
            let recognizer = self.recognizer()?;
            parsed.resolve_entities(|kind, name| {
                self.resolve_entity_with(&recognizer, entity_kind(kind), name)
            })?;
        }
        if parsed.has_copy_filter() {
            let state = self.copy_state()?;
            parsed.resolve_copies(|selector| match selector {
                tgscope_index::CopySelector::Any => Ok(state.clustered_posts()),
                tgscope_index::CopySelector::Cluster(id) => state
                    .cluster(id)
                    .map(|c| c.posts)
                    .ok_or(EngineError::NoSuchCluster(id)),
            })?;
        }
        Ok(parsed)
    }

    /// The ids of the entities of `kind` that `name` stands for, as a query's `country:`, `org:`
    /// or `person:` filter writes it (docs/search.md), by the archive's lists (bundled and its
    /// own):
    ///
    /// 1. an id (`KZ`, `kz`, `sco`, `lavrov`), or any form of the lists in either language
    ///    (`Казахстан`, `Казахстане`, `казахстанский`, `Kazakhstan`, `ШОС`, `Лаврову`,
    ///    `Сергей Лавров`), or an entity's name; a form that names several entities of the kind
    ///    (`конголезский`: CD and CG) gives them all;
    /// 2. else what the recogniser finds in the name as a text, when that is all the name
    ///    holds: a flag (`🇰🇿`), a possessive (`Russia's`), a hashtag (`#RussiaKyrgyzstan`);
    /// 3. for a person not on the lists: `~name` (the name the posts give them, as facets show
    ///    it), or the name itself when the index has posts naming that person after a role
    ///    phrase.
    ///
    /// A name that stands for no entity of the kind is an error that names it (and the kind it
    /// does name, if another: `org:KZ`), never an empty result.
    pub fn resolve_entity(&mut self, kind: EntityKind, name: &str) -> Result<Vec<String>> {
        let recognizer = self.recognizer()?;
        self.resolve_entity_with(&recognizer, kind, name)
    }

    fn resolve_entity_with(
        &mut self,
        recognizer: &Recognizer,
        kind: EntityKind,
        name: &str,
    ) -> Result<Vec<String>> {
        let spaced = name.split_whitespace().collect::<Vec<_>>().join(" ");
        let name = spaced.as_str();
        let noun = match kind {
            EntityKind::Country => "country",
            EntityKind::Org => "organisation",
            EntityKind::Person => "person",
        };
        if let Some(unlisted) = name.strip_prefix('~') {
            let folded = fold_name(unlisted);
            if kind != EntityKind::Person || folded.is_empty() {
                return Err(EngineError::Query(format!(
                    "{}:{name}: only people not on the entity lists are written with '~' \
                     (person:\"~name\")",
                    kind.as_str()
                )));
            }
            return Ok(vec![format!("~{folded}")]);
        }
        let found = recognizer.lookup(name);
        let mut ids: Vec<String> = found
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.id.clone())
            .collect();
        let mut other: Vec<(EntityKind, String)> = found
            .iter()
            .filter(|e| e.kind != kind)
            .map(|e| (e.kind, e.id.clone()))
            .collect();
        if ids.is_empty() {
            // What the recogniser finds in the name as a text, when that is all it holds.
            let mentions = recognizer.recognize(name);
            let mut rest = name.to_owned();
            for m in mentions.iter().rev() {
                if name.is_char_boundary(m.start) && name.is_char_boundary(m.end) {
                    rest.replace_range(m.start..m.end, " ");
                }
            }
            let rest = rest.replace("'s", " ").replace("’s", " ");
            if !mentions.is_empty() && !rest.chars().any(char::is_alphanumeric) {
                for m in mentions.into_iter().filter(|m| m.listed) {
                    if m.kind == kind {
                        ids.push(m.id);
                    } else {
                        other.push((m.kind, m.id));
                    }
                }
            }
        }
        if ids.is_empty() && kind == EntityKind::Person {
            let id = format!("~{}", fold_name(name));
            let posts = self
                .index()?
                .entity_posts(&entity_key(kind, &id))
                .map_err(EngineError::index)?;
            if posts > 0 {
                ids.push(id);
            }
        }
        if !ids.is_empty() {
            ids.sort_unstable();
            ids.dedup();
            return Ok(ids);
        }
        other.sort_unstable();
        other.dedup();
        let hint = match other.as_slice() {
            [] => match kind {
                EntityKind::Country => {
                    " in the entity lists (write its ISO code, country:KZ, or a name in Russian \
                     or English)"
                        .to_owned()
                }
                EntityKind::Org => {
                    " in the entity lists (write its id, org:sco, or a name or abbreviation in \
                     Russian or English)"
                        .to_owned()
                }
                EntityKind::Person => {
                    " in the entity lists or in the posts (a person on no list is found only \
                     after a role phrase such as «министр иностранных дел»; the facets name \
                     them as person:\"~name\")"
                        .to_owned()
                }
            },
            named => format!(
                " (it names {})",
                named
                    .iter()
                    .map(|(k, id)| filter_text(*k, id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Err(EngineError::Query(format!(
            "no {noun} is called {name:?}{hint}"
        )))
    }

    /// The entities among every post a query matches (not only a page of them): per kind,
    /// the `per_kind` most frequent ([`FACETS_PER_KIND`] is what the front ends show), with
    /// their names and the filter that selects their posts.
    pub fn search_facets(&mut self, query: &str, per_kind: usize) -> Result<EntityFacets> {
        let parsed = self.parse_query(query)?;
        self.catch_up_index()?;
        let counts = self
            .index()?
            .entity_counts(&parsed, per_kind)
            .map_err(EngineError::index)?;
        let recognizer = self.recognizer()?;
        let kinds = counts
            .kinds
            .into_iter()
            .map(|k| {
                let kind = entity_kind(k.kind);
                EntityFacet {
                    kind,
                    posts: k.posts,
                    distinct: k.distinct,
                    top: k
                        .top
                        .into_iter()
                        .map(|c| facet_entity(&recognizer, kind, c.id, c.posts))
                        .collect(),
                }
            })
            .collect();
        Ok(EntityFacets {
            matching: counts.matching,
            kinds,
            index_catching_up: self.index_catching_up,
        })
    }

    /// Searches the archive (query language: docs/search.md). A query of filters only has no
    /// words to rank by: relevance then gives way to newest first, and the page says so.
    pub fn search(
        &mut self,
        query: &str,
        sort: SortBy,
        limit: usize,
        offset: usize,
    ) -> Result<SearchPage> {
        let parsed = self.parse_query(query)?;
        self.catch_up_index()?;
        let ranked = parsed.has_words() && sort == SortBy::Relevance;
        let sort = match sort {
            SortBy::Relevance if !parsed.has_words() => SortBy::Newest,
            other => other,
        };
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
            sort,
            ranked,
            index_catching_up: self.index_catching_up,
        })
    }

    /// Counts of the posts matching a query per `period`, or, without one, per the period that
    /// fits the span of the matches ([`Period::fitting`]: days for a few weeks, weeks up to two
    /// years, months beyond); with the number of matches and of the undated ones the counts
    /// leave out.
    pub fn count(&mut self, query: &str, period: Option<Period>) -> Result<QueryCounts> {
        let periods: &[Period] = match &period {
            Some(p) => std::slice::from_ref(p),
            None => &[Period::Day, Period::Week, Period::Month],
        };
        let counted = self.count_each(query, periods)?;
        let mut lists = counted.per_period.into_iter();
        let (period, counts) = match period {
            Some(p) => (p, lists.next().unwrap_or_default()),
            None => {
                let days = lists.next().unwrap_or_default();
                let weeks = lists.next().unwrap_or_default();
                let months = lists.next().unwrap_or_default();
                match Period::fitting(&days, &weeks, MAX_CHOSEN_PERIODS) {
                    Period::Day => (Period::Day, days),
                    Period::Week => (Period::Week, weeks),
                    Period::Month => (Period::Month, months),
                }
            }
        };
        Ok(QueryCounts {
            period,
            period_chosen: periods.len() > 1,
            counts,
            matching: counted.dated + counted.undated,
            dated: counted.dated,
            undated: counted.undated,
            index_catching_up: self.index_catching_up,
        })
    }

    /// The counts per each of `periods`, from one pass over the matches, with the number of
    /// undated matches (see [`Engine::count`], which also chooses a period).
    fn count_each(&mut self, query: &str, periods: &[Period]) -> Result<tgscope_index::Counts> {
        let parsed = self.parse_query(query)?;
        self.catch_up_index()?;
        self.index()?
            .count_by_each(&parsed, periods)
            .map_err(EngineError::index)
    }
}

/// The filter text of an entity: `country:KZ`, `person:"~такэси ивая"`.
fn filter_text(kind: EntityKind, id: &str) -> String {
    if id
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '(' | ')' | '"'))
    {
        format!("{}:\"{id}\"", kind.as_str())
    } else {
        format!("{}:{id}", kind.as_str())
    }
}

/// A facet's entity, named by the lists (a person on no list by the name the posts give).
fn facet_entity(recognizer: &Recognizer, kind: EntityKind, id: String, posts: u64) -> FacetEntity {
    let listed = recognizer.entity(&id).filter(|e| e.kind == kind);
    let (name_en, name_ru, user) = match listed {
        Some(e) => (e.name_en.clone(), e.name_ru.clone(), e.user),
        None => {
            let name = capitalised(id.trim_start_matches('~'));
            (name.clone(), name, false)
        }
    };
    FacetEntity {
        key: entity_key(kind, &id),
        filter: filter_text(kind, &id),
        listed: listed.is_some(),
        user,
        name_en,
        name_ru,
        posts,
        id,
    }
}

#[cfg(test)]
mod tests {
    use super::{capitalised, filter_text, fold_name, unix_seconds};
    use tgscope_analyze::entities::EntityKind;

    #[test]
    fn names_of_people_on_no_list_are_folded_as_the_recognizer_folds_them() {
        assert_eq!(fold_name("  Такэси   Ивая "), "такэси ивая");
        assert_eq!(fold_name("Пётр Ёлкин"), "петр елкин");
        assert_eq!(capitalised("такэси ивая-сан"), "Такэси Ивая-Сан");
        assert_eq!(
            filter_text(EntityKind::Person, "~такэси ивая"),
            "person:\"~такэси ивая\""
        );
        assert_eq!(filter_text(EntityKind::Country, "KZ"), "country:KZ");
    }

    #[test]
    fn archived_dates_become_unix_seconds() {
        assert_eq!(unix_seconds("1970-01-02T00:00:00Z"), Some(86_400));
        assert_eq!(unix_seconds("1970-01-02T00:00:00"), Some(86_400));
        assert_eq!(unix_seconds("1970-01-02"), Some(86_400));
        assert_eq!(unix_seconds("2 January"), None);
    }
}
