//! The engine: the one API that front ends (the CLI, the server and `collect`) use. It runs
//! ingest (hash and keep, detect, read, reconcile into the archive), keeps the search index
//! caught up with the archive, and answers questions about the archive.
//!
//! Place in the pipeline: on top of `read`, `text`, `store` and `index`; below the front ends.
//!
//! Main items:
//! - [`Engine`]: an open archive; [`Engine::ingest`] takes files and folders
//!   ([`ingest::run`]: a folder gives the files that are recognisably captures).
//! - [`IngestOptions`], [`IngestReport`]: what to do and what happened, input by input.
//! - [`filter`]: filters as users write them ([`PostFilter`]) and the one place where channel
//!   names become channels ([`Engine::resolve_channel`]: a whole name, never a part of one; an
//!   ambiguous name is an error listing the channels).
//! - [`search`]: [`Engine::search`] and [`Engine::count`] over the index, with what a count
//!   leaves out; readers never take the index from a writer at work (`writers.lock`).
//! - [`feed`]: Atom, RSS and JSON Feed documents of a query, a channel or a hashtag.
//! - [`watch`]: pages a collector fetched, absences, collection runs, edits and deletions.
//! - [`narratives`]: named, versioned sets of queries, their matches kept current, reports.
//! - [`export::ExportRecord`]: one post as exported (a stable contract, see `docs/export.md`),
//!   and [`export::CsvTable`]: the one CSV policy (cells a spreadsheet would run defused).
//! - [`EngineError`] with [`ErrorKind`]: the user's faults apart from the archive's.
//!
//! Identity: a post with a message id is `(channel, message_id)`. A post without one (plain
//! text) is found by the content key of its clean text within its channel; failing that, an
//! archived post with the same first or last line and similar text (see
//! [`ingest::EDIT_SIMILARITY`]) that this capture has not already shown is the same post,
//! edited, and gets a new version. Nothing is ever overwritten.
//!
//! What it does not do: SQL (the store), parsing (the readers), drawing progress or formatting
//! tables (the CLI).

pub mod browse;
pub mod copies;
mod derived;
pub mod entities;
pub mod error;
pub mod export;
pub mod feed;
pub mod filter;
mod follow;
pub mod ingest;
pub mod narratives;
pub mod network;
pub mod search;
pub mod team;
pub mod watch;

use std::io::Write;
use std::path::{Path, PathBuf};

pub use browse::{
    ChannelCount, Interrupter, QueryProblem, RawReader, SourceCount, TagCount, check_query,
    is_sha256,
};
pub use copies::{
    ChannelCopies, ClusterDetail, ClusterFilter, ClusterSort, ClusterSummary, ClustersPage,
    CopyAttribution, CopyCounterpart, CopyItem, CopyOf, CopyParams, CopyRelations, CopyUpdate,
    PostCopies,
};
pub use error::{EngineError, ErrorKind, Result};
pub use filter::{ChannelRole, PostFilter, PostsPage};
pub use ingest::{
    CaptureReport, FetchedPage, IngestOptions, IngestReport, NoProgress, Progress, Skipped,
};
pub use search::{IndexUpdate, QueryCounts, SearchHit, SearchPage, SortBy};
pub use team::{Actor, Session, Signed, Team, TeamError};
pub use tgscope_archive as archive;
pub use tgscope_archive::{AbsenceRecord, ChangeRecord, CollectRun};
pub use tgscope_archive::{Capture, CaptureStatus};
pub use tgscope_archive::{
    ChannelInfo, ChannelSummary, Counted, PostCount, PostDetail, PostRecord, SightingRecord, Stats,
    VersionRecord,
};
pub use tgscope_index::{Period, PeriodCount};
pub use tgscope_model as model;
pub use tgscope_read::desktop_html::HtmlOptions;
pub use tgscope_read::desktop_json::JsonOptions;
pub use tgscope_read::dump::{DumpOptions, FieldMap};
pub use tgscope_read::{ReadOptions, TextOptions};
use tgscope_store::Store;
pub use watch::PageReport;

use export::ExportRecord;
use tgscope_archive::prelude::*;

/// The default archive directory.
pub const DEFAULT_ARCHIVE: &str = "tgscope-archive";

/// An open archive.
pub struct Engine {
    store: Box<dyn Archive>,
    /// The full-text index in `<archive>/index`, opened on first use.
    index: Option<tgscope_index::Index>,
    /// A writing engine's shared lock on [`search::WRITERS_LOCK`]: while any writer holds it,
    /// readers leave the index to the writers (`None` for a reading engine).
    writers_lock: Option<std::fs::File>,
    /// How long a writer waits for another writer's index update before it gives up.
    index_wait: std::time::Duration,
    /// Whether the last search found the index behind the archive while a writer was at work
    /// (it searched what the index holds so far).
    index_catching_up: bool,
    /// The copy analysis of `<archive>/copies`, loaded on first use.
    copies: Option<std::sync::Arc<tgscope_analyze::copies::CopyState>>,
    /// Whether the copy analysis was found behind the archive while a writer was at work.
    copies_catching_up: bool,
    /// The windows of marks the copy analysis's updates read the archive in.
    copy_window: copies::CopyWindow,
    /// The network analysis of `<archive>/networks`, loaded on first use.
    networks: Option<std::sync::Arc<tgscope_analyze::network::NetworkState>>,
    /// The entity analysis of `<archive>/entities`, loaded on first use.
    entities: Option<std::sync::Arc<tgscope_analyze::entities::EntityState>>,
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// JSON Lines.
    Jsonl,
    /// CSV with a header row.
    Csv,
}

impl Engine {
    /// Opens (creating if needed) the archive in `dir` for ingest.
    ///
    /// The engine is a writer: it holds a shared lock on the archive's
    /// [`search::WRITERS_LOCK`] until it is dropped, so that readers never take the index's
    /// writer lock from under it (several writers may work at once).
    pub fn open(dir: &Path) -> Result<Engine> {
        Engine::open_archive(Box::new(Store::open(dir)?))
    }

    /// Opens an archive of any backend for ingest (a writer, as [`Engine::open`]); its derived
    /// data (search index, analyses) lives in the archive's folder ([`Archive::dir`]).
    pub fn open_archive(store: Box<dyn Archive>) -> Result<Engine> {
        let writers_lock = Some(search::lock_as_writer(store.dir())?);
        Engine::on(store, writers_lock).caught_up()
    }

    /// Opens an existing archive for reading. A reader brings the search index up to the
    /// archive only when no writer is at work; otherwise it searches what the index holds
    /// (and [`Engine::index_catching_up`] says so).
    pub fn open_existing(dir: &Path) -> Result<Engine> {
        Engine::open_existing_archive(Box::new(Store::open_read_only(dir)?))
    }

    /// Opens an archive of any backend for reading (a reader, as [`Engine::open_existing`]).
    pub fn open_existing_archive(store: Box<dyn Archive>) -> Result<Engine> {
        Engine::on(store, None).caught_up()
    }

    /// An engine on this archive handle, nothing loaded or caught up yet; a writer when it
    /// holds the writers' lock.
    fn on(store: Box<dyn Archive>, writers_lock: Option<std::fs::File>) -> Engine {
        Engine {
            store,
            index: None,
            writers_lock,
            index_wait: search::INDEX_WAIT,
            index_catching_up: false,
            copies: None,
            copies_catching_up: false,
            copy_window: copies::CopyWindow::DEFAULT,
            networks: None,
            entities: None,
        }
    }

    /// This engine with the derived data that exists brought up to the archive (a writer's
    /// always; a reader's when no writer is at work).
    fn caught_up(mut self) -> Result<Engine> {
        self.catch_up_existing_index()?;
        self.catch_up_existing_copies()?;
        self.catch_up_existing_networks()?;
        self.catch_up_existing_entities()?;
        self.catch_up_existing_narratives()?;
        Ok(self)
    }

    /// A writer's engine on another handle of this archive ([`Archive::open_reader`]), to
    /// bring derived data up to the archive on another thread, beside this engine's own work
    /// (an ingest's follower, and then its copy analysis, which the follower's handle holds);
    /// it does not wait for the index when another writer holds it. `None` when the backend
    /// has no second handle.
    pub(crate) fn beside(&self) -> Result<Option<Engine>> {
        let Some(store) = self.store.open_reader()? else {
            return Ok(None);
        };
        let writers_lock = Some(search::lock_as_writer(store.dir())?);
        let mut engine = Engine::on(store, writers_lock);
        engine.index_wait = std::time::Duration::ZERO;
        Ok(Some(engine))
    }

    /// How long a writing engine waits for another writer's index update before its own ends
    /// with [`EngineError::IndexBusy`] (the archive is committed either way; the index catches
    /// up later).
    pub fn set_index_wait(&mut self, wait: std::time::Duration) {
        self.index_wait = wait;
    }

    /// Whether the archive is read-only here (read-only media, a folder without write
    /// permission): it is read, and its derived data read as it stands.
    pub fn read_only(&self) -> bool {
        self.store.read_only()
    }

    /// On a read-only archive, the derived data found behind the archive, which answers from
    /// what it holds (it cannot be brought up to date here); empty when all is current, and
    /// always on an archive that can be written (its derived data is caught up on open).
    pub fn stale_derived_data(&mut self) -> Result<Vec<&'static str>> {
        if !self.read_only() {
            return Ok(Vec::new());
        }
        let mark = self.store.index_mark()?;
        let mut stale = Vec::new();
        if self.index_dir_exists() && self.index_behind()?.is_some() {
            stale.push("search index");
        }
        if self.copies_catching_up || self.copies.as_ref().is_some_and(|c| c.mark() != mark) {
            stale.push("copy analysis");
        }
        if self.networks.as_ref().is_some_and(|n| n.mark() != mark) {
            stale.push("network analysis");
        }
        if self.entities.as_ref().is_some_and(|e| e.mark() != mark) {
            stale.push("entity analysis");
        }
        Ok(stale)
    }

    /// The archive directory.
    pub fn dir(&self) -> &Path {
        self.store.dir()
    }

    /// Ingests files and folders (see [`ingest::run`]): a folder gives the files that are
    /// recognisably captures, and lists the others it passed over with why. Inputs that cannot
    /// be read are skipped with the reason and the run goes on; only a failing archive stops it.
    pub fn ingest(
        &mut self,
        paths: &[PathBuf],
        options: &IngestOptions,
        progress: &mut dyn Progress,
    ) -> Result<IngestReport> {
        ingest::run(self, paths, options, progress)
    }

    /// Posts matching a filter, in archive order (see [`Engine::posts_page`] for the count).
    pub fn posts(&self, filter: &PostFilter) -> Result<Vec<PostRecord>> {
        let query = self.post_query(filter)?;
        Ok(self.store.posts(&query)?)
    }

    /// One post with its versions and sightings.
    pub fn post(&self, id: i64) -> Result<PostDetail> {
        self.store.post(id)?.ok_or(EngineError::NoSuchPost(id))
    }

    /// Every channel with its counts.
    pub fn channels(&self) -> Result<Vec<ChannelSummary>> {
        Ok(self.store.channels()?)
    }

    /// The archive's mark: it moves whenever a version is added (what derived data and caches
    /// of the archive's answers are kept up to).
    pub fn archive_mark(&self) -> Result<i64> {
        Ok(self.store.index_mark()?)
    }

    /// Counts over the archive.
    pub fn stats(&self) -> Result<Stats> {
        Ok(self.store.stats()?)
    }

    /// Every capture.
    pub fn captures(&self) -> Result<Vec<Capture>> {
        Ok(self.store.captures()?)
    }

    /// Every channel as its list record (the shape of `tgscope channels` and
    /// `/api/v1/channels`), most posts first.
    pub fn channel_records(&self) -> Result<Vec<export::ChannelRecord>> {
        Ok(self
            .channels()?
            .iter()
            .map(export::ChannelRecord::from)
            .collect())
    }

    /// Every capture as its list record (the shape of `tgscope captures` and
    /// `/api/v1/captures`), with when it was made when the archive knows, in ingest order.
    pub fn capture_records(&self) -> Result<Vec<export::CaptureRecord>> {
        let times: std::collections::HashMap<i64, tgscope_model::CaptureTime> =
            self.capture_times()?.into_iter().collect();
        Ok(self
            .captures()?
            .iter()
            .map(|c| export::CaptureRecord::new(c, times.get(&c.id)))
            .collect())
    }

    /// The `limit` captures ingested last, newest first, and how many captures there are.
    pub fn newest_captures(&self, limit: u64) -> Result<(u64, Vec<Capture>)> {
        Ok(self.store.newest_captures(limit)?)
    }

    /// Problems with the archive's consistency (empty when consistent).
    pub fn check(&self) -> Result<Vec<String>> {
        Ok(self.store.check()?)
    }

    /// The raw bytes of a kept capture.
    pub fn raw_capture(&self, sha256: &str) -> Result<Vec<u8>> {
        Ok(self.store.raw().read(sha256)?)
    }

    /// Writes the posts matching `filter` to `out`; returns how many.
    pub fn export(
        &mut self,
        filter: &PostFilter,
        format: ExportFormat,
        out: &mut dyn Write,
    ) -> Result<u64> {
        // The filter is checked before anything is written: an unknown channel writes no
        // CSV header.
        let records = self.export_records(filter)?;
        let format = match format {
            ExportFormat::Jsonl => export::SinkFormat::Jsonl,
            ExportFormat::Csv => export::SinkFormat::Csv,
        };
        let mut sink = export::text_sink::<ExportRecord>(format, out)?;
        records.write_to(&mut *sink)
    }

    /// The export records of the posts matching `filter`, ready to be walked with
    /// [`ExportRecords::for_each`]. The filter is checked here (an unknown channel, a bad date
    /// range) and the copy analysis and entity lists loaded, so that a writer can fail before
    /// it writes anything.
    pub fn export_records(&mut self, filter: &PostFilter) -> Result<ExportRecords<'_>> {
        let copies = self.copy_relations()?;
        let recognizer = self.recognizer()?;
        let query = self.post_query(filter)?;
        Ok(ExportRecords {
            store: &*self.store,
            query,
            copies,
            recognizer,
        })
    }

    /// Calls `each` with the export record of every post matching `filter`, in archive order;
    /// returns how many ([`Engine::export_records`], then [`ExportRecords::for_each`]).
    pub fn for_each_export_record(
        &mut self,
        filter: &PostFilter,
        each: impl FnMut(&ExportRecord) -> Result<()>,
    ) -> Result<u64> {
        self.export_records(filter)?.for_each(each)
    }
}

/// The export records of the posts matching a filter, from [`Engine::export_records`].
pub struct ExportRecords<'a> {
    store: &'a dyn Archive,
    query: tgscope_archive::PostQuery,
    copies: std::collections::HashMap<i64, (i64, copies::CopyOf)>,
    recognizer: std::sync::Arc<tgscope_analyze::entities::Recognizer>,
}

impl ExportRecords<'_> {
    /// Calls `each` with the record of every post, in archive order (by `id`), one at a time,
    /// so that a writer of any format keeps only what it buffers itself; returns how many. The
    /// first error `each` returns stops the walk and is returned.
    pub fn for_each(self, mut each: impl FnMut(&ExportRecord) -> Result<()>) -> Result<u64> {
        self.for_each_owned(|r| each(&r))
    }

    /// [`ExportRecords::for_each`] giving each record away.
    fn for_each_owned(self, mut each: impl FnMut(ExportRecord) -> Result<()>) -> Result<u64> {
        let mut count = 0u64;
        self.store.for_each_post(&self.query, |post| {
            each(ExportRecord::with_copies(
                &post,
                &self.copies,
                &self.recognizer,
            ))?;
            count += 1;
            Ok::<(), EngineError>(())
        })?;
        Ok(count)
    }

    /// Writes every record to `sink` (handing each over: [`export::RecordSink::push_owned`])
    /// and finishes it; returns how many.
    pub fn write_to(self, sink: &mut dyn export::RecordSink<ExportRecord>) -> Result<u64> {
        self.for_each_owned(|r| sink.push_owned(r))?;
        sink.finish()
    }
}
