//! Ingest: hash and keep a capture, detect its format, read it, and reconcile every post into
//! the archive (identity, versions, provenance) in batched transactions.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tgscope_model::{CapturedPost, ChannelInfo, ChannelRef, Format, ReadItem, ServiceEvent};
use tgscope_read::detect::{self, ContentScan};
use tgscope_read::{ReadOptions, reader_version};
use tgscope_store::{CaptureStatus, NewCapture, Store, Writer};
use tgscope_text::normalize;

use crate::error::{EngineError, InputError, Result};

/// How long a batch of posts written in one transaction is.
pub const DEFAULT_BATCH: usize = 500;

/// A post without message id is the same post, edited, when its text is at least this similar
/// to an archived one with the same first or last line.
pub const EDIT_SIMILARITY: f64 = 0.5;

/// Options of an ingest run.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Read every input as this format (`None`: detect by content).
    pub format: Option<Format>,
    /// The channel the captures belong to, for formats that do not name one (plain text).
    /// `None`: the file's name.
    pub channel: Option<String>,
    /// Keep each capture's raw bytes in the archive.
    pub keep_raw: bool,
    /// Keep the media files an export holds (photos, videos, ...) in the archive.
    pub keep_media: bool,
    /// Options passed to readers.
    pub read: ReadOptions,
    /// Posts per transaction.
    pub batch: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            format: None,
            channel: None,
            keep_raw: true,
            keep_media: true,
            read: ReadOptions::default(),
            batch: DEFAULT_BATCH,
        }
    }
}

/// Receives progress of an ingest run (the CLI draws a bar from it).
pub trait Progress {
    /// A new input starts; `bytes` is its size.
    fn input(&mut self, _path: &Path, _bytes: u64) {}
    /// `bytes` more of the current input were read in the named phase ("hashing", "reading").
    fn advance(&mut self, _phase: &'static str, _bytes: u64) {}
    /// The current input is done (ingested, recognised, or skipped).
    fn input_done(&mut self) {}
}

/// Progress that goes nowhere.
pub struct NoProgress;
impl Progress for NoProgress {}

/// What happened to one input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CaptureReport {
    /// The input's path.
    pub path: PathBuf,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// The format it was read as.
    pub format: String,
    /// The channel it was filed under.
    pub channel: String,
    /// True when the archive already held this exact capture (nothing was read again).
    pub already_archived: bool,
    /// True when an interrupted earlier ingest of it was completed.
    pub resumed: bool,
    /// Posts the archive did not have.
    pub posts_new: u64,
    /// Posts the archive had, seen with different text (a new version).
    pub posts_updated: u64,
    /// Posts the archive had with the same text.
    pub posts_unchanged: u64,
    /// Warnings, each naming the place.
    pub warnings: Vec<String>,
    /// Message ids of archived posts that this capture covers and does not show (web
    /// preview pages): recorded as absences.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub absent: Vec<i64>,
}

/// An input that could not be ingested.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// The path given or found.
    pub path: PathBuf,
    /// Why, naming the place in the file where it matters.
    pub reason: String,
}

/// What an ingest run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IngestReport {
    /// Inputs ingested (or recognised as already archived).
    pub captures: Vec<CaptureReport>,
    /// Inputs skipped, with the reason.
    pub skipped: Vec<Skipped>,
}

impl IngestReport {
    /// Sum of new posts.
    pub fn posts_new(&self) -> u64 {
        self.captures.iter().map(|c| c.posts_new).sum()
    }
    /// Sum of updated posts.
    pub fn posts_updated(&self) -> u64 {
        self.captures.iter().map(|c| c.posts_updated).sum()
    }
    /// Sum of unchanged posts.
    pub fn posts_unchanged(&self) -> u64 {
        self.captures.iter().map(|c| c.posts_unchanged).sum()
    }
    /// Sum of warnings.
    pub fn warnings(&self) -> usize {
        self.captures.iter().map(|c| c.warnings.len()).sum()
    }
}

/// Expands the paths given on the command line into files, in a stable order. Paths that do not
/// exist, and folders with no files, are reported as skipped. Files inside `archive` (the
/// archive's own database and raw captures) are never inputs.
pub fn expand_inputs(
    paths: &[PathBuf],
    archive: &Path,
    skipped: &mut Vec<Skipped>,
) -> Vec<PathBuf> {
    let archive = fs::canonicalize(archive).ok();
    let mut files = Vec::new();
    for path in paths {
        match fs::metadata(path) {
            Err(e) => skipped.push(Skipped {
                path: path.clone(),
                reason: match e.kind() {
                    io::ErrorKind::NotFound => "no such file or folder".to_string(),
                    _ => format!("cannot be opened: {e}"),
                },
            }),
            Ok(meta) if meta.is_dir() => {
                let before = files.len();
                if let Err(e) = walk(path, archive.as_deref(), &mut files) {
                    skipped.push(Skipped {
                        path: path.clone(),
                        reason: format!("folder cannot be read: {e}"),
                    });
                } else if files.len() == before {
                    skipped.push(Skipped {
                        path: path.clone(),
                        reason: "folder holds no files".to_string(),
                    });
                }
            }
            Ok(_) => files.push(path.clone()),
        }
    }
    files
}

/// The captures of a Telegram Desktop export folder, in reading order: `result.json`, then
/// `messages.html`, `messages2.html`, ... by page number. Empty for any other folder.
fn export_files(entries: &[fs::DirEntry]) -> Vec<PathBuf> {
    let mut pages: Vec<(u64, PathBuf)> = Vec::new();
    let mut json = Vec::new();
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "result.json" {
            json.push(entry.path());
        } else if let Some(number) = name
            .strip_prefix("messages")
            .and_then(|rest| rest.strip_suffix(".html"))
            .and_then(|n| {
                if n.is_empty() {
                    Some(1)
                } else {
                    n.parse().ok()
                }
            })
        {
            pages.push((number, entry.path()));
        }
    }
    if json.is_empty() && !pages.iter().any(|(n, _)| *n == 1) {
        return Vec::new();
    }
    pages.sort();
    json.extend(pages.into_iter().map(|(_, p)| p));
    json
}

fn walk(dir: &Path, archive: Option<&Path>, out: &mut Vec<PathBuf>) -> io::Result<()> {
    if archive.is_some() && fs::canonicalize(dir).ok().as_deref() == archive {
        return Ok(());
    }
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<io::Result<Vec<_>>>()?;
    entries.sort_by_key(|e| e.file_name());
    // A Telegram Desktop export folder: its result.json and its pages are the captures; the
    // media folders beside them are read through them, not as captures of their own.
    let export_files = export_files(&entries);
    if !export_files.is_empty() {
        out.extend(export_files);
        return Ok(());
    }
    for entry in entries {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&path, archive, out)?;
        } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
            out.push(path);
        }
    }
    Ok(())
}

/// A page fetched over HTTP by a collector: a capture that is not a file.
#[derive(Debug, Clone)]
pub struct FetchedPage {
    /// The URL it was fetched from (the capture's source).
    pub url: String,
    /// The HTTP status it came with.
    pub status: u16,
    /// When it was fetched (RFC 3339 UTC).
    pub fetched_at: String,
    /// Its bytes.
    pub body: Vec<u8>,
    /// The channel it was fetched for (files it when the page does not name one).
    pub channel: String,
}

/// Where a capture's bytes come from.
#[derive(Clone, Copy)]
pub(crate) enum Source<'a> {
    /// A file given or found on disk.
    File(&'a Path),
    /// A page a collector fetched.
    Fetched(&'a FetchedPage),
}

impl<'a> Source<'a> {
    /// The path reported for it (a fetched page's URL).
    fn path(&self) -> PathBuf {
        match self {
            Source::File(path) => path.to_path_buf(),
            Source::Fetched(page) => PathBuf::from(&page.url),
        }
    }

    /// How the capture records where it came from.
    fn label(&self) -> String {
        match self {
            Source::File(path) => path.display().to_string(),
            Source::Fetched(page) => page.url.clone(),
        }
    }

    fn size(&self) -> u64 {
        match self {
            Source::File(path) => fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            Source::Fetched(page) => page.body.len() as u64,
        }
    }

    fn open(&self) -> io::Result<Box<dyn Read + 'a>> {
        match *self {
            Source::File(path) => Ok(Box::new(File::open(path)?)),
            Source::Fetched(page) => Ok(Box::new(&page.body[..])),
        }
    }

    /// The folder an export's media paths are relative to (none for a fetched page).
    fn folder(&self) -> Option<PathBuf> {
        match self {
            Source::File(path) => path.parent().map(Path::to_path_buf),
            Source::Fetched(_) => None,
        }
    }
}

/// The result of the first pass over an input.
struct Scanned {
    sha256: String,
    size: u64,
    scan: ContentScan,
    /// The compressed copy, filed into the raw store only once the input proves readable.
    raw: Option<tgscope_store::RawWriter>,
}

impl Scanned {
    /// Files the raw copy (if one was made) under its hash; true when the archive now keeps the
    /// capture's bytes.
    fn keep_raw(&mut self, store: &Store) -> Result<bool> {
        match self.raw.take() {
            Some(w) => {
                w.finish(store.raw(), &self.sha256)?;
                Ok(true)
            }
            None => Ok(store.raw().contains(&self.sha256)),
        }
    }
}

/// Hashes an input, scans its content and (optionally) keeps its raw bytes, in one pass.
fn scan_input(
    store: &Store,
    source: Source<'_>,
    keep_raw: bool,
    progress: &mut dyn Progress,
) -> Result<Scanned, InputError> {
    let mut file = source.open().map_err(|e| InputError::Open(e.to_string()))?;
    let mut hasher = Sha256::new();
    let mut scan = ContentScan::new();
    let mut raw = if keep_raw {
        Some(
            store
                .raw()
                .writer()
                .map_err(|e| InputError::Archive(e.to_string()))?,
        )
    } else {
        None
    };
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(InputError::Read(format!("at byte {size}: {e}"))),
        };
        let chunk = &buf[..n];
        hasher.update(chunk);
        scan.feed(chunk);
        if let Some(w) = raw.as_mut() {
            w.write_all(chunk)
                .map_err(|e| InputError::Archive(format!("keeping raw bytes: {e}")))?;
        }
        size += n as u64;
        progress.advance("hashing", n as u64);
    }
    scan.finish();
    Ok(Scanned {
        sha256: hex::encode(hasher.finalize()),
        size,
        scan,
        raw,
    })
}

/// What one page of a Desktop HTML export passes to the next page of the same export (read in
/// page order within one run).
#[derive(Default)]
pub(crate) struct PageChain {
    last: Option<(PathBuf, tgscope_read::desktop_html::Carry)>,
}

/// What became of one input file.
pub(crate) enum FileOutcome {
    /// Read to its end (or recognised as already archived).
    Ingested(CaptureReport),
    /// Not read: the reason.
    Skipped(String),
    /// Read up to damage: what was archived before it, and the reason.
    Damaged(CaptureReport, String),
}

/// Ingests one file. Problems of the input come back as a [`FileOutcome`] so that the run goes
/// on; errors of the archive itself stop the run.
pub(crate) fn ingest_file(
    store: &mut Store,
    source: Source<'_>,
    options: &IngestOptions,
    progress: &mut dyn Progress,
    pages: &mut PageChain,
) -> Result<FileOutcome> {
    let path_buf = source.path();
    let path = path_buf.as_path();
    let size = source.size();
    progress.input(path, size);
    let mut scanned = match scan_input(store, source, options.keep_raw, progress) {
        Ok(s) => s,
        Err(InputError::Archive(e)) => return Err(EngineError::Archive(e)),
        Err(e) => return Ok(FileOutcome::Skipped(e.to_string())),
    };
    let mut channel_name = match source {
        Source::Fetched(page) => page.channel.clone(),
        Source::File(path) => options
            .channel
            .clone()
            .unwrap_or_else(|| channel_from_path(path)),
    };
    let existing = store.capture_by_sha(&scanned.sha256)?;
    let mut warnings = Vec::new();
    // A capture seen before stays filed under the channel it was first filed under.
    if let Some(capture) = &existing
        && let Some(id) = capture.channel_id
        && let Some(filed) = store.channel(id)?
    {
        let named = store.find_channel(&ChannelRef::named(&channel_name))?;
        if options.channel.is_some() && named != Some(id) {
            warnings.push(format!(
                "this capture is already filed under channel {:?}; --channel {:?} is not applied",
                filed.name(),
                channel_name
            ));
        }
        channel_name = filed.name();
    }
    if let Some(capture) = &existing
        && capture.status == CaptureStatus::Complete
    {
        if scanned.keep_raw(store)? && !capture.raw_kept {
            let w = store.writer()?;
            w.set_raw_kept(capture.id)?;
            w.commit()?;
        }
        if let Source::Fetched(page) = source {
            let w = store.writer()?;
            w.insert_fetch(
                &page.url,
                Some(page.status),
                &page.fetched_at,
                Some(capture.id),
                None,
            )?;
            w.commit()?;
        }
        return Ok(FileOutcome::Ingested(CaptureReport {
            path: path.to_path_buf(),
            sha256: scanned.sha256,
            format: capture.format.clone(),
            channel: channel_name,
            already_archived: true,
            resumed: false,
            posts_new: 0,
            posts_updated: 0,
            posts_unchanged: capture.posts_seen,
            warnings,
            absent: Vec::new(),
        }));
    }
    let format = match options.format {
        Some(format) => {
            let checked = match format {
                Format::Text => detect::check_text(&scanned.scan),
                _ => detect::check_encoding(&scanned.scan),
            };
            if let Err(e) = checked {
                return Ok(FileOutcome::Skipped(e.to_string()));
            }
            format
        }
        None => match detect::detect(&scanned.scan) {
            Ok(found) => {
                if let Some(note) = found.note {
                    warnings.push(note);
                }
                found.format
            }
            Err(e) => return Ok(FileOutcome::Skipped(e.to_string())),
        },
    };
    // Only a readable input's bytes join the archive.
    let raw_kept = scanned.keep_raw(store)?;
    let channel_ref = ChannelRef::named(&channel_name);
    // Plain text names no channel: the capture is filed under --channel or its file name.
    // Exports name their chats; --channel is then only the fallback for messages without one.
    let files_under_channel = format == Format::Text;
    let names_its_chats = matches!(
        format,
        Format::DesktopJson | Format::DesktopHtml | Format::TmeHtml
    );
    if names_its_chats && options.channel.is_some() {
        warnings.push(format!(
            "--channel does not apply to a {} capture: an export names its own chats",
            format.as_str()
        ));
    }
    let (capture_id, resumed) = {
        let w = store.writer()?;
        let channel_id = if files_under_channel {
            Some(w.ensure_channel(&channel_ref)?)
        } else {
            None
        };
        let result = match &existing {
            Some(c) => (c.id, true),
            None => (
                w.insert_capture(&NewCapture {
                    sha256: &scanned.sha256,
                    size: scanned.size,
                    format: format.as_str(),
                    reader_version: reader_version(format),
                    source: &source.label(),
                    channel_id,
                    raw_kept,
                })?,
                false,
            ),
        };
        if let Source::Fetched(page) = source {
            w.insert_fetch(
                &page.url,
                Some(page.status),
                &page.fetched_at,
                Some(result.0),
                None,
            )?;
        }
        w.commit()?;
        // Report the channel as the archive names it ("@MFA_Test" is filed as "MFA_Test").
        if let Some(id) = channel_id
            && let Some(filed) = store.channel(id)?
        {
            channel_name = filed.name();
        }
        result
    };
    let file = source.open().map_err(|e| EngineError::Input {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let counting = CountingReader {
        inner: file,
        progress: &mut *progress,
    };
    let folder = source.folder().unwrap_or_default();
    let mut read_options = options.read.clone();
    read_options.source_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if format == Format::DesktopHtml {
        read_options.html.carry = match pages.last.take() {
            Some((dir, carry)) if dir == folder => Some(carry),
            _ => None,
        };
    }
    let mut reader = tgscope_read::open(
        format,
        Box::new(BufReader::with_capacity(256 * 1024, counting)),
        &read_options,
    );
    let mut report = CaptureReport {
        path: path.to_path_buf(),
        sha256: scanned.sha256.clone(),
        format: format.as_str().to_string(),
        channel: channel_name,
        already_archived: false,
        resumed,
        posts_new: 0,
        posts_updated: 0,
        posts_unchanged: 0,
        warnings,
        absent: Vec::new(),
    };
    let mut reconciler = Reconciler {
        capture_id,
        media_base: (options.keep_media && format != Format::Text)
            .then(|| source.folder())
            .flatten(),
        own_channels: Default::default(),
        missing_media: 0,
        channel_ref,
        prev_key: String::new(),
        empty_run: 0,
        channels: Default::default(),
        events: 0,
        id_less: Default::default(),
    };
    let mut batch: Vec<ReadItem> = Vec::with_capacity(options.batch);
    let mut ordinal = 0u64;
    let mut failure = None;
    for item in reader.by_ref() {
        match item {
            Ok(ReadItem::Warning(w)) => report.warnings.push(w),
            Ok(item) => {
                batch.push(item);
                if batch.len() >= options.batch {
                    reconciler.write_batch(store, &mut batch, &mut ordinal, &mut report, None)?;
                }
            }
            Err(e) => {
                failure = Some(e.to_string());
                break;
            }
        }
    }
    if let Some(carry) = reader.carry() {
        pages.last = Some((folder, carry));
    }
    let channel_info = reader.channel_info();
    drop(reader);
    let done = failure.is_none();
    reconciler.write_batch(store, &mut batch, &mut ordinal, &mut report, Some(done))?;
    if done {
        reconciler.after_capture(store, format, channel_info.as_ref(), &mut report)?;
    }
    if reconciler.missing_media > 0 {
        report.warnings.push(format!(
            "{} media files that the export names are not in its folder (exported without \
             media, or moved); their records are kept without the files",
            reconciler.missing_media
        ));
    }
    if !files_under_channel {
        let mut names = Vec::new();
        for id in &reconciler.own_channels {
            if let Some(c) = store.channel(*id)? {
                names.push(c.name());
            }
        }
        report.channel = match names.len() {
            0 => "(no messages)".to_string(),
            1 => names.remove(0),
            n => format!("{n} chats"),
        };
    }
    report.warnings.sort();
    report.warnings.dedup();
    match failure {
        Some(reason) => {
            let archived = report.posts_new + report.posts_updated + report.posts_unchanged;
            Ok(FileOutcome::Damaged(
                report,
                format!(
                    "{reason}; posts before it, archived: {archived}; the capture stays partial"
                ),
            ))
        }
        None => Ok(FileOutcome::Ingested(report)),
    }
}

/// The default channel name of a capture: its file name without extension.
fn channel_from_path(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unnamed".to_string())
}

/// Counts bytes read for the progress bar.
struct CountingReader<'p, R> {
    inner: R,
    progress: &'p mut dyn Progress,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance("reading", n as u64);
        Ok(n)
    }
}

/// Decides which archived post each captured post is, and writes it.
struct Reconciler {
    capture_id: i64,
    /// The folder media paths are relative to, when media files are kept.
    media_base: Option<PathBuf>,
    /// The channels whose posts this capture holds (not forward origins).
    own_channels: std::collections::BTreeSet<i64>,
    /// Media files the export names but does not hold.
    missing_media: u64,
    channel_ref: ChannelRef,
    /// Content key of the previous post with text (keys posts without text by position).
    prev_key: String,
    /// Posts without text since the previous post with text.
    empty_run: u64,
    /// Archive ids of the channels met so far (the capture's own and forward origins).
    channels: std::collections::HashMap<ChannelRef, i64>,
    /// Service events read so far (their own sequence of positions in the capture).
    events: u64,
    /// Per channel, whether it may hold posts without message ids (asked once, then kept
    /// true as this capture adds such posts): when it holds none, a post with an id that is
    /// new skips the lookup by text that would adopt one.
    id_less: std::collections::HashMap<i64, bool>,
}

/// How a post was reconciled.
enum Outcome {
    New,
    Updated,
    Unchanged,
}

impl Reconciler {
    /// Writes a batch in one transaction. `complete`: `Some(true)` marks the capture complete,
    /// `Some(false)` records progress of a capture left partial.
    fn write_batch(
        &mut self,
        store: &mut Store,
        batch: &mut Vec<ReadItem>,
        ordinal: &mut u64,
        report: &mut CaptureReport,
        complete: Option<bool>,
    ) -> Result<()> {
        let store_media = self.media_base.as_ref().map(|_| store.media());
        let w = store.writer()?;
        for item in batch.drain(..) {
            let mut post = match item {
                ReadItem::Post(post) => post,
                ReadItem::Event(event) => {
                    self.write_event(&w, &event)?;
                    continue;
                }
                ReadItem::Warning(warning) => {
                    report.warnings.push(warning);
                    continue;
                }
            };
            let key = self.content_key(&post);
            let this = *ordinal;
            *ordinal += 1;
            if w.sighting_exists(self.capture_id, this)? {
                // An interrupted earlier run already wrote this one.
                continue;
            }
            self.keep_media_files(store_media.as_ref(), &mut post, report)?;
            match self.reconcile(&w, &post, &key, this)? {
                Outcome::New => report.posts_new += 1,
                Outcome::Updated => report.posts_updated += 1,
                Outcome::Unchanged => report.posts_unchanged += 1,
            }
        }
        let warnings = report.warnings.len() as u64;
        w.set_events_seen(self.capture_id, self.events)?;
        match complete {
            Some(true) => w.complete_capture(self.capture_id, *ordinal, warnings)?,
            _ => w.update_capture_progress(self.capture_id, *ordinal, warnings)?,
        }
        w.commit()?;
        Ok(())
    }

    /// Copies the files a post's media name into the archive (content-addressed) and records
    /// their hashes. A path that resolves outside the export's folder (through a link, say) is
    /// refused; a file the export does not hold is noted.
    fn keep_media_files(
        &mut self,
        media_store: Option<&tgscope_store::MediaStore>,
        post: &mut CapturedPost,
        report: &mut CaptureReport,
    ) -> Result<()> {
        let (Some(media_store), Some(base)) = (media_store, &self.media_base) else {
            return Ok(());
        };
        let Ok(root) = fs::canonicalize(base) else {
            return Ok(());
        };
        for media in post.media.iter_mut() {
            let Some(relative) = &media.path else {
                continue;
            };
            let place = format!(
                "message {} ({})",
                post.message_id.map(|i| i.to_string()).unwrap_or_default(),
                post.location.locator.clone().unwrap_or_default()
            );
            let Ok(file) = fs::canonicalize(base.join(relative)) else {
                self.missing_media += 1;
                continue;
            };
            if !file.starts_with(&root) {
                report.warnings.push(format!(
                    "{place}: the media path {relative:?} leads outside the export's folder; \
                     it is not followed"
                ));
                media.path = None;
                continue;
            }
            if !file.is_file() {
                continue;
            }
            let (sha256, size) = media_store.keep(&file)?;
            media.sha256 = Some(sha256);
            media.size = media.size.or(Some(size));
        }
        Ok(())
    }

    /// Records a service event under its channel (a re-run of the capture adds nothing).
    fn write_event(&mut self, w: &Writer<'_>, event: &ServiceEvent) -> Result<()> {
        let own = event
            .channel
            .clone()
            .unwrap_or_else(|| self.channel_ref.clone());
        let channel_id = self.channel_id(w, &own)?;
        w.insert_event(channel_id, self.capture_id, self.events, event)?;
        self.events += 1;
        Ok(())
    }

    /// The identity key of a post's text. A post without text is keyed by its media when it has
    /// a message id (which is its identity), else by its place after the previous post with
    /// text.
    fn content_key(&mut self, post: &CapturedPost) -> String {
        if post.text.trim().is_empty() && post.message_id.is_some() {
            let kinds: Vec<&str> = post.media.iter().map(|m| m.kind.as_str()).collect();
            normalize::content_key(&format!("\u{0}empty [{}]", kinds.join(",")))
        } else if post.text.trim().is_empty() {
            self.empty_run += 1;
            let kinds: Vec<&str> = post.media.iter().map(|m| m.kind.as_str()).collect();
            normalize::content_key(&format!(
                "\u{0}empty after {} #{} [{}]",
                self.prev_key,
                self.empty_run,
                kinds.join(",")
            ))
        } else {
            let key = normalize::content_key(&post.text);
            self.prev_key = key.clone();
            self.empty_run = 0;
            key
        }
    }

    /// The archive id of a channel, created when new (remembered for the rest of the capture).
    fn channel_id(&mut self, w: &Writer<'_>, r: &ChannelRef) -> Result<i64> {
        if let Some(id) = self.channels.get(r) {
            return Ok(*id);
        }
        let id = w.ensure_channel(r)?;
        self.channels.insert(r.clone(), id);
        Ok(id)
    }

    /// Whether the channel may hold posts without message ids (see `id_less`).
    fn may_have_id_less(&mut self, w: &Writer<'_>, channel_id: i64) -> Result<bool> {
        if let Some(&known) = self.id_less.get(&channel_id) {
            return Ok(known);
        }
        let has = w.channel_has_id_less_posts(channel_id)?;
        self.id_less.insert(channel_id, has);
        Ok(has)
    }

    fn reconcile(
        &mut self,
        w: &Writer<'_>,
        post: &CapturedPost,
        key: &str,
        ordinal: u64,
    ) -> Result<Outcome> {
        let own = post
            .channel
            .clone()
            .unwrap_or_else(|| self.channel_ref.clone());
        let channel_id = self.channel_id(w, &own)?;
        self.own_channels.insert(channel_id);
        let forward_channel = match &post.forward {
            Some(f) if f.title.is_some() || f.username.is_some() => {
                let origin = ChannelRef {
                    tg_id: None,
                    username: f.username.clone(),
                    title: f.title.clone(),
                    kind: None,
                };
                Some(self.channel_id(w, &origin)?)
            }
            _ => None,
        };
        let (lead, tail) = anchor_keys(&post.text);
        // Which archived post this is, and whether this text is already one of its versions.
        let (post_id, known_version) = match post.message_id {
            Some(message_id) => match w.post_by_message_id(channel_id, message_id)? {
                Some(post_id) => (
                    Some(post_id),
                    w.version_by_key(channel_id, Some(post_id), key)?
                        .map(|(_, v)| v),
                ),
                // The same post seen before without an id (a plain-text capture of the
                // channel) takes this id.
                // (Only for posts with text: the key of an empty post says nothing.)
                None if post.text.trim().is_empty() => (None, None),
                None if !self.may_have_id_less(w, channel_id)? => (None, None),
                None => match w.id_less_version_by_key(channel_id, key)? {
                    Some((post_id, version)) => {
                        w.set_message_id(post_id, message_id)?;
                        (Some(post_id), Some(version))
                    }
                    None => (None, None),
                },
            },
            None => match w.version_by_key(channel_id, None, key)? {
                Some((post_id, version)) => (Some(post_id), Some(version)),
                None => (self.edited_post(w, channel_id, post, &lead, &tail)?, None),
            },
        };
        let (version_id, outcome) = match (post_id, known_version) {
            (_, Some(version)) => (version, Outcome::Unchanged),
            (existing, None) => {
                let (post_id, outcome) = match existing {
                    Some(id) => (id, Outcome::Updated),
                    None => {
                        if post.message_id.is_none() {
                            self.id_less.insert(channel_id, true);
                        }
                        (
                            w.insert_post(
                                channel_id,
                                post.message_id,
                                &lead,
                                &tail,
                                self.capture_id,
                            )?,
                            Outcome::New,
                        )
                    }
                };
                let version = w.insert_version(
                    post_id,
                    channel_id,
                    key,
                    post,
                    self.capture_id,
                    forward_channel,
                )?;
                (version, outcome)
            }
        };
        w.insert_sighting(
            version_id,
            self.capture_id,
            ordinal,
            &post.location,
            post.views,
            post.edited,
        )?;
        Ok(outcome)
    }
}

impl Reconciler {
    /// Once a capture is read to its end: what it says of its channel, and, for a web preview
    /// page, the posts archived before inside the ids it covers that it no longer shows.
    fn after_capture(
        &mut self,
        store: &mut Store,
        format: Format,
        info: Option<&ChannelInfo>,
        report: &mut CaptureReport,
    ) -> Result<()> {
        let w = store.writer()?;
        if let Some(info) = info
            && (info.description.is_some() || info.subscribers.is_some())
        {
            let channel_id = self.channel_id(&w, &info.channel)?;
            w.set_channel_profile(channel_id, info.description.as_deref(), info.subscribers)?;
        }
        if format == Format::TmeHtml {
            for &channel_id in &self.own_channels {
                let Some(range) = w.capture_id_range(self.capture_id, channel_id)? else {
                    continue;
                };
                let missing =
                    w.record_absences(self.capture_id, channel_id, range, format.as_str())?;
                report.absent.extend(missing);
            }
        }
        w.commit()?;
        Ok(())
    }

    /// For a post without message id whose text is not archived: the archived post of the
    /// channel it is an edit of (same first or last line, similar enough text, not already
    /// shown by this capture), if any.
    fn edited_post(
        &self,
        w: &Writer<'_>,
        channel_id: i64,
        post: &CapturedPost,
        lead: &str,
        tail: &str,
    ) -> Result<Option<i64>> {
        if post.text.trim().is_empty() {
            return Ok(None);
        }
        Ok(w.edit_candidates(channel_id, lead, tail, self.capture_id)?
            .into_iter()
            .map(|(id, text)| (id, normalize::similarity(&text, &post.text)))
            .filter(|(_, s)| *s >= EDIT_SIMILARITY)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(id, _)| id))
    }
}

/// Keys of a text's first and last non-blank lines, for finding edited versions of posts that
/// have no message id.
fn anchor_keys(text: &str) -> (String, String) {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("");
    let last = lines.next_back().unwrap_or(first);
    let key = |l: &str| -> String { l.to_lowercase().chars().take(200).collect() };
    (key(first), key(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_walked_in_order_without_hidden_files_or_the_archive() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        fs::create_dir_all(root.join("b/sub")).expect("dirs");
        fs::create_dir_all(root.join("archive/raw")).expect("dirs");
        for f in [
            "a.txt",
            "b/sub/c.txt",
            "b/d.txt",
            ".hidden.txt",
            "archive/archive.sqlite",
        ] {
            fs::write(root.join(f), "x").expect("write");
        }
        let mut skipped = Vec::new();
        let files = expand_inputs(
            &[root.to_path_buf(), root.join("missing.txt")],
            &root.join("archive"),
            &mut skipped,
        );
        let names: Vec<String> = files
            .iter()
            .map(|p| p.strip_prefix(root).expect("inside").display().to_string())
            .collect();
        assert_eq!(names, ["a.txt", "b/d.txt", "b/sub/c.txt"]);
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].reason, "no such file or folder");
    }

    #[test]
    fn an_export_folder_gives_its_json_and_pages_in_page_order_not_its_media() {
        let dir = tempfile::tempdir().expect("tempdir");
        let export = dir.path().join("ChatExport_2024-03-01");
        fs::create_dir_all(export.join("photos")).expect("dirs");
        for f in [
            "messages.html",
            "messages2.html",
            "messages10.html",
            "result.json",
            "photos/photo_1.jpg",
            "css/style.css",
        ] {
            let path = export.join(f);
            fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
            fs::write(path, "x").expect("write");
        }
        let mut skipped = Vec::new();
        let files = expand_inputs(
            &[dir.path().to_path_buf()],
            &dir.path().join("archive"),
            &mut skipped,
        );
        let names: Vec<String> = files
            .iter()
            .map(|p| {
                p.strip_prefix(&export)
                    .expect("inside")
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(
            names,
            [
                "result.json",
                "messages.html",
                "messages2.html",
                "messages10.html"
            ]
        );
        assert!(skipped.is_empty());
    }

    #[test]
    fn anchor_keys_are_the_first_and_last_lines_folded() {
        assert_eq!(
            anchor_keys("\n  Title LINE \nmiddle\n Last\n"),
            ("title line".to_string(), "last".to_string())
        );
        assert_eq!(
            anchor_keys("Only"),
            ("only".to_string(), "only".to_string())
        );
    }
}
