//! Ingest: hash and keep a capture, detect its format, read it, and reconcile every post into
//! the archive (identity, versions, provenance) in batched transactions.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use tgscope_archive::{CaptureStatus, Identity, IdentityAsk, NewCapture, Statistics};
use tgscope_model::{
    CaptureTime, CaptureTimeBasis, CapturedPost, ChannelInfo, ChannelRef, DateBasis, Format,
    ReadItem, ServiceEvent,
};
use tgscope_read::detect::{self, ContentScan};
use tgscope_read::text::labels::{Label, classify};
use tgscope_read::{DetectError, ReadOptions, reader_version};
use tgscope_text::normalize;

use crate::Engine;
use crate::error::{EngineError, InputError, Result};
use crate::follow::{self, Follower};
use tgscope_archive::prelude::*;

/// How many posts a batch holds at most when the options do not say
/// ([`IngestOptions::batch`]): the archive's own choice ([`Archive::ingest_batch`]).
pub fn default_batch(store: &dyn Archive) -> usize {
    store.ingest_batch().max(1)
}

/// How many bytes of text a batch holds at most, whatever its number of posts: long posts make
/// shorter batches, so that the memory a batch takes stays bounded.
pub const BATCH_TEXT_BYTES: usize = 16 << 20;

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
    /// Posts per batch at most (one identity look-up and one transaction each; a batch also
    /// ends at [`BATCH_TEXT_BYTES`] of text). `None`: the archive's own ([`default_batch`]).
    pub batch: Option<usize>,
    /// When the captures of this run were made, as the user states it (`ingest --captured-at`):
    /// RFC 3339 UTC (`2023-05-17T09:00:00Z`) or a day (`2023-05-17`), as
    /// [`parse_captured_at`] writes it. It outranks what a file says of itself; `None`: what
    /// the file says, else the ingest time.
    pub captured_at: Option<String>,
    /// The largest capture read, in bytes (`ingest --max-capture-size`): a file over it is
    /// refused before a byte of it is read or copied, a stream when it grows past it.
    pub max_capture_bytes: u64,
    /// How many new versions the search index and the analyses wait for before each round of
    /// following the ingest on a thread of their own (`None`: 16,384).
    /// Smaller, they are more current during the ingest and cost more commits.
    pub follow_every: Option<u64>,
}

/// The default of [`IngestOptions::max_capture_bytes`]: 2 GiB, twice the 1 GB benchmark
/// export (about 470,000 posts). A larger export is read when the user raises the limit.
pub const DEFAULT_MAX_CAPTURE_BYTES: u64 = 2 << 30;

/// Why a capture of `size` bytes (or more) is refused under the limit `max`.
fn over_the_limit(size: u64, max: u64) -> String {
    format!(
        "{size} bytes or more, over the largest capture read ({} MiB): raise it with \
         --max-capture-size",
        max >> 20
    )
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            format: None,
            channel: None,
            keep_raw: true,
            keep_media: true,
            read: ReadOptions::default(),
            batch: None,
            captured_at: None,
            max_capture_bytes: DEFAULT_MAX_CAPTURE_BYTES,
            follow_every: None,
        }
    }
}

/// Reads a capture time as a user writes it: an RFC 3339 time with its offset
/// (`2023-05-17T12:00:00+03:00`, `2023-05-17 09:00Z`), written back in UTC
/// (`2023-05-17T09:00:00Z`), or a day (`2023-05-17`), kept as the day. A time without an offset
/// is refused (whose clock?), and so is a time in the future. The error says what to write.
pub fn parse_captured_at(text: &str) -> std::result::Result<String, String> {
    let t = text.trim();
    if let Ok(day) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        if day > chrono::Utc::now().date_naive() + chrono::Days::new(1) {
            return Err(format!("{t:?} is in the future"));
        }
        return Ok(day.format("%Y-%m-%d").to_string());
    }
    let with_t = t.replacen(' ', "T", 1);
    let parsed = chrono::DateTime::parse_from_rfc3339(&with_t).or_else(|_| {
        // Seconds may be left out: 2023-05-17T12:00+03:00.
        chrono::DateTime::parse_from_str(&with_t, "%Y-%m-%dT%H:%M%#z")
    });
    match parsed {
        Ok(at) => {
            let utc = at.with_timezone(&chrono::Utc);
            if utc > chrono::Utc::now() + chrono::Duration::hours(1) {
                return Err(format!("{t:?} is in the future"));
            }
            Ok(utc.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        }
        Err(_)
            if chrono::NaiveDateTime::parse_from_str(&with_t, "%Y-%m-%dT%H:%M:%S").is_ok()
                || chrono::NaiveDateTime::parse_from_str(&with_t, "%Y-%m-%dT%H:%M").is_ok() =>
        {
            Err(format!(
                "{t:?} has no UTC offset: add one (Z for UTC, +03:00, -05:00) or give only the \
                 day (YYYY-MM-DD)"
            ))
        }
        Err(_) => Err(format!(
            "{t:?} is not a time: write RFC 3339 (2023-05-17T09:00:00Z, \
             2023-05-17T12:00:00+03:00) or a day (2023-05-17)"
        )),
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
    /// When the capture was made and how that is known (the user, a fetch, the file itself,
    /// or only the ingest time): the time its view counts and sightings are dated by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captured: Option<CaptureTime>,
    /// Posts of the archive whose versions took an observed date from this capture in place
    /// (an HTML export's inferred time giving way to a JSON export's): the index re-reads them.
    #[serde(skip)]
    pub redated_posts: Vec<i64>,
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
    /// Inputs skipped, with the reason: inputs that are captures (or were named) and could not
    /// be read, or only in part. Any of them makes the run a failure for its input.
    pub skipped: Vec<Skipped>,
    /// Files found in a folder that are not captures (notes, READMEs, scripts, tables), left
    /// out with the reason. Not a failure: a folder walk takes only what is recognisably a
    /// capture. A file named on the command line is never passed over.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub passed_over: Vec<Skipped>,
    /// Rounds in which the search index and the analyses caught up while the ingest wrote
    /// (see [`IngestOptions::follow_every`]); they are caught up to the end either way.
    #[serde(skip)]
    pub following_rounds: u32,
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

/// Expands the paths given on the command line into the captures to read, in a stable order.
/// A file named is read as asked, whatever it holds. A folder gives the files it holds that are
/// recognisably captures: the pages and `result.json` of a Telegram Desktop export folder, a
/// file whose content is a format tgscope reads (a Desktop JSON export or HTML page, a message
/// dump, a t.me page), a plain text with the marks of a channel copy (see
/// [`has_channel_copy_marks`]), or any file named `.txt`. The other files of a folder (notes,
/// READMEs, scripts, tables) go to `passed_over` with the reason; paths that do not exist, and
/// folders with no files, to `skipped`. Files inside `archive` are never inputs.
pub fn gather_inputs(
    paths: &[PathBuf],
    archive: &Path,
    skipped: &mut Vec<Skipped>,
    passed_over: &mut Vec<Skipped>,
) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for named in paths {
        let (taken, passed) = (files.len(), passed_over.len());
        for (path, found) in expand(std::slice::from_ref(named), archive, skipped, passed_over) {
            match found {
                Found::Named | Found::ExportFile => files.push(path),
                Found::InFolder => match not_a_capture(&path) {
                    None => files.push(path),
                    Some(reason) => passed_over.push(Skipped { path, reason }),
                },
            }
        }
        // A folder named that holds no capture at all is an input that could not be read:
        // the run says so (and fails), naming the files it passed over in the reason.
        if files.len() == taken && passed_over.len() > passed {
            let of_folder: Vec<Skipped> = passed_over.drain(passed..).collect();
            let named_files: Vec<String> = of_folder
                .iter()
                .take(3)
                .map(|s| {
                    let name = s.path.file_name().unwrap_or_default().to_string_lossy();
                    format!("{name}: {}", s.reason)
                })
                .collect();
            let more = of_folder.len().saturating_sub(named_files.len());
            skipped.push(Skipped {
                path: named.clone(),
                reason: format!(
                    "the folder holds no capture ({} passed over: {}{})",
                    match of_folder.len() {
                        1 => "1 file".to_string(),
                        n => format!("{n} files"),
                    },
                    named_files.join("; "),
                    if more > 0 {
                        format!("; and {more} more")
                    } else {
                        String::new()
                    }
                ),
            });
        }
    }
    files
}

/// How an input was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// Named on the command line.
    Named,
    /// `result.json` or a page of a Telegram Desktop export folder.
    ExportFile,
    /// Any other file found in a folder.
    InFolder,
}

fn expand(
    paths: &[PathBuf],
    archive: &Path,
    skipped: &mut Vec<Skipped>,
    passed_over: &mut Vec<Skipped>,
) -> Vec<(PathBuf, Found)> {
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
                // Links are followed only within the folder named (canonical: a folder named
                // through a link is the folder it leads to).
                let root = fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                let before_passed = passed_over.len();
                let walked = Walk {
                    root: &root,
                    archive: archive.as_deref(),
                };
                if let Err(e) = walked.walk(path, &mut files, passed_over) {
                    skipped.push(Skipped {
                        path: path.clone(),
                        reason: format!("folder cannot be read: {e}"),
                    });
                } else if files.len() == before && passed_over.len() == before_passed {
                    skipped.push(Skipped {
                        path: path.clone(),
                        reason: "folder holds no files".to_string(),
                    });
                }
            }
            Ok(meta) if !meta.is_file() => skipped.push(Skipped {
                path: path.clone(),
                reason: format!(
                    "{}, not a file: only files and folders are read (a device or a pipe \
                     would be read without end)",
                    special_file_kind(&meta)
                ),
            }),
            Ok(_) => files.push((path.clone(), Found::Named)),
        }
    }
    files
}

/// What a path that is neither a file nor a folder is, in words.
fn special_file_kind(meta: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = meta.file_type();
        if kind.is_fifo() {
            return "a named pipe";
        } else if kind.is_char_device() {
            return "a character device";
        } else if kind.is_block_device() {
            return "a block device";
        } else if kind.is_socket() {
            return "a socket";
        }
    }
    let _ = meta;
    "a special file"
}

/// How much of a file found in a folder is read to tell whether it is a capture.
const SNIFF_BYTES: u64 = 64 * 1024;

/// Why a file found in a folder is not a capture; `None` when it is one (see
/// [`gather_inputs`]). A file that cannot be opened counts as a capture, so that its ingest
/// says why it cannot be read.
fn not_a_capture(path: &Path) -> Option<String> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("txt"))
    {
        return None;
    }
    let mut head = Vec::new();
    File::open(path)
        .and_then(|f| f.take(SNIFF_BYTES).read_to_end(&mut head))
        .ok()?;
    if head.len() as u64 == SNIFF_BYTES {
        // The cut may split a character: end the head on the last whole one.
        if let Err(e) = std::str::from_utf8(&head)
            && e.error_len().is_none()
        {
            head.truncate(e.valid_up_to());
        }
    }
    let mut scan = ContentScan::new();
    scan.feed(&head);
    scan.finish();
    match detect::detect(&scan) {
        Ok(found) if found.format != Format::Text => None,
        Ok(_) if has_channel_copy_marks(&String::from_utf8_lossy(&head)) => None,
        Ok(_) => Some(
            "not a capture: plain text without the marks of a channel copy and not named .txt \
             (name the file itself to read it anyway)"
                .to_string(),
        ),
        Err(DetectError::Binary { what, .. }) => {
            Some(format!("not a capture: binary data ({what})"))
        }
        Err(e) => Some(format!("not a capture: {e}")),
    }
}

/// True when a text carries the interface labels of a copied channel: "Forwarded from X", a
/// view count ("214.4K views"), "Media is too big", "VIEW IN TELEGRAM", "Please open Telegram
/// to view this post", a Telegram Desktop copy's `Name, [25/06/2022 07:25]` header or its
/// `[ Photo ]`, `[Forwarded from X]`, `[In reply to X]` lines. Day separators, link labels
/// ("Read more") and footers with only a time or "edited" are left out: notes have such lines
/// too. (The text reader's labels, English and Russian, decide each line.)
pub fn has_channel_copy_marks(text: &str) -> bool {
    text.lines().take(5000).any(|line| {
        matches!(
            classify(line.trim()),
            Some(
                Label::ForwardedFrom { .. }
                    | Label::InReplyTo(_)
                    | Label::DesktopHeader(_)
                    | Label::Media(..)
                    | Label::OpenInTelegram
                    | Label::ViewInTelegram
                    | Label::Footer { views: Some(_), .. }
            )
        )
    })
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

/// Why a folder's entry that is a symbolic link is not followed: it is broken, or it leads out
/// of the folder named (to `/etc/passwd`, say: a folder from a stranger must not make the
/// archive copy, and a server serve, files from elsewhere). `None` for an entry that is not a
/// link, or a link to a file within the folder.
fn link_leaving(path: &Path, root: &Path) -> Option<String> {
    let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return None;
    }
    match fs::canonicalize(path) {
        Err(e) => Some(format!("a link that leads nowhere ({e})")),
        Ok(target) if !target.starts_with(root) => Some(format!(
            "a link to {}, outside the folder {}; not followed (name the file itself to read it)",
            target.display(),
            root.display()
        )),
        Ok(_) => None,
    }
}

/// A walk of a folder named on the command line.
struct Walk<'a> {
    /// The folder named, canonical: links leading out of it are not followed.
    root: &'a Path,
    /// The archive's own folder (canonical), never walked.
    archive: Option<&'a Path>,
}

impl Walk<'_> {
    fn walk(
        &self,
        dir: &Path,
        out: &mut Vec<(PathBuf, Found)>,
        passed_over: &mut Vec<Skipped>,
    ) -> io::Result<()> {
        if self.archive.is_some() && fs::canonicalize(dir).ok().as_deref() == self.archive {
            return Ok(());
        }
        let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<io::Result<Vec<_>>>()?;
        entries.sort_by_key(|e| e.file_name());
        // A Telegram Desktop export folder: its result.json and its pages are the captures;
        // the media folders beside them are read through them, not as captures of their own.
        let export_files = export_files(&entries);
        if !export_files.is_empty() {
            for path in export_files {
                match link_leaving(&path, self.root) {
                    Some(reason) => {
                        tracing::warn!("{}: {reason}", path.display());
                        passed_over.push(Skipped { path, reason });
                    }
                    None => out.push((path, Found::ExportFile)),
                }
            }
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
                self.walk(&path, out, passed_over)?;
            } else if kind.is_file() {
                out.push((path, Found::InFolder));
            } else if kind.is_symlink() {
                if let Some(reason) = link_leaving(&path, self.root) {
                    tracing::warn!("{}: {reason}", path.display());
                    passed_over.push(Skipped { path, reason });
                } else if path.is_file() {
                    // A link to a folder within the folder is not followed: that folder is
                    // walked as itself.
                    out.push((path, Found::InFolder));
                }
            }
        }
        Ok(())
    }
}

/// Ingests files and folders into the engine's archive: what [`Engine::ingest`] does, with a
/// folder walk that takes only the captures ([`gather_inputs`]) and lists the other files in
/// [`IngestReport::passed_over`]. Inputs that cannot be read are skipped with the reason and the
/// run goes on; only a failing archive stops it. The search index follows in the same run.
pub fn run(
    engine: &mut Engine,
    paths: &[PathBuf],
    options: &IngestOptions,
    progress: &mut dyn Progress,
) -> Result<IngestReport> {
    if let Some(given) = &options.captured_at {
        parse_captured_at(given)
            .map_err(|e| EngineError::BadRequest(format!("--captured-at: {e}")))?;
    }
    let mut report = IngestReport::default();
    let files = gather_inputs(
        paths,
        engine.store.dir(),
        &mut report.skipped,
        &mut report.passed_over,
    );
    let mut pages = PageChain::default();
    let started = std::time::Instant::now();
    // The index and the entity analysis follow the ingest on a second handle of the archive
    // (none on an archive without one: they catch up after it, as below).
    let follower = match engine.beside() {
        Ok(Some(other)) if !files.is_empty() => Some(Follower::start(
            other,
            options.follow_every.unwrap_or(follow::ROUND_VERSIONS),
        )),
        Ok(_) => None,
        Err(e) => {
            tracing::info!("the index waits for the ingest: no second handle ({e})");
            None
        }
    };
    if follower.is_some() {
        // The follower changes the copy analysis in place; a copy of it held here would make
        // it copy the whole state first. It is read again when the ingest catches up.
        engine.copies = None;
    }
    for file in files {
        let result = ingest_file_retrying(
            &mut *engine.store,
            Source::File(&file),
            options,
            progress,
            &mut pages,
        );
        progress.input_done();
        match result? {
            FileOutcome::Ingested(capture) => report.captures.push(capture),
            FileOutcome::Skipped(reason) => report.skipped.push(Skipped { path: file, reason }),
            FileOutcome::Damaged(capture, reason) => {
                report.captures.push(capture);
                report.skipped.push(Skipped { path: file, reason });
            }
        }
    }
    let mut phase = Phases::new(started);
    phase.done("captures read and reconciled into the archive");
    // After many writes the database plans better with fresh statistics (PostgreSQL).
    if report.posts_new() + report.posts_updated() >= REFRESH_STATISTICS_AFTER {
        match engine.store.refresh_statistics()? {
            Statistics::NotKept => {}
            Statistics::Refreshed(tables) if tables.is_empty() => {
                phase.done("database statistics (none had changed enough to refresh)")
            }
            Statistics::Refreshed(tables) => {
                phase.done(&format!("database statistics of {}", tables.join(", ")))
            }
            Statistics::LeftToAnother => {
                phase.done("database statistics (left to another writer refreshing them now)")
            }
        }
    }
    // The index follows in the same run (a crash before this is caught up on next open), and
    // re-reads the posts whose dates changed in place, which the archive's mark does not see.
    let mut redated: Vec<i64> = report
        .captures
        .iter()
        .flat_map(|c| c.redated_posts.iter().copied())
        .collect();
    redated.sort_unstable();
    redated.dedup();
    // So does the copy analysis, on the follower's handle of the archive when there was one
    // (it holds the analysis as the follower left it), after the index: not beside it, so that
    // the peak of memory is the larger of theirs and not their sum (beside the index, the 1 GB
    // export peaked at up to 740 MiB when much of both was left; after it, at most 600 MiB, for
    // 2 to 3 s more).
    let beside = follower.and_then(|follower| {
        follower.finish().map(|(other, rounds)| {
            report.following_rounds = rounds;
            other
        })
    });
    phase.done(&format!(
        "the index following the ingest ({} rounds), its round under way",
        report.following_rounds
    ));
    // With the entity analysis: one read of the new posts, their entities recognised once.
    engine.update_index_and_entities()?;
    engine.reindex_posts(&redated)?;
    phase.done("search index and entity analysis");
    if let Some(mut other) = beside {
        other.update_copies()?;
    }
    // Caught up on the follower's handle, or here when there was no follower.
    engine.update_copies()?;
    phase.done("copy analysis");
    engine.update_networks()?;
    phase.done("network analysis");
    engine.update_entities()?;
    phase.done("entity analysis (when not with the index)");
    // The network and entity analyses keep a post's date: they read the redated ones again.
    engine.rederive_networks(&redated)?;
    engine.rederive_entities(&redated)?;
    // The narratives' matches follow the index (`date:` filters see the redated posts).
    engine.update_narratives()?;
    engine.rederive_narratives(&redated)?;
    phase.done("narratives");
    Ok(report)
}

/// The time each phase of an ingest took, logged at info level (`tgscope -v ingest`).
struct Phases {
    last: std::time::Instant,
}

impl Phases {
    fn new(started: std::time::Instant) -> Phases {
        Phases { last: started }
    }

    fn done(&mut self, what: &str) {
        let now = std::time::Instant::now();
        tracing::info!("ingest: {what} in {:.2} s", (now - self.last).as_secs_f64());
        self.last = now;
    }
}

impl Engine {
    /// When each capture was made and how that is known, by capture id in ingest order (the
    /// ids of [`Engine::captures`]).
    pub fn capture_times(&self) -> Result<Vec<(i64, CaptureTime)>> {
        Ok(self.store.capture_times()?)
    }
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

    fn open(&self) -> io::Result<Box<dyn Read + Send + 'a>> {
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
    raw: Option<tgscope_archive::RawWriter>,
}

impl Scanned {
    /// Files the raw copy (if one was made) under its hash; true when the archive now keeps the
    /// capture's bytes.
    fn keep_raw(&mut self, store: &dyn Archive) -> Result<bool> {
        match self.raw.take() {
            Some(w) => {
                w.finish(store.raw(), &self.sha256)?;
                Ok(true)
            }
            None => Ok(store.raw().contains(&self.sha256)),
        }
    }
}

/// Hashes an input, scans its content and (optionally) keeps its raw bytes, in one pass: this
/// thread reads and scans, another hashes and compresses what was read.
fn scan_input(
    store: &dyn Archive,
    source: Source<'_>,
    options: &IngestOptions,
    progress: &mut dyn Progress,
) -> Result<Scanned, InputError> {
    let keep_raw = options.keep_raw;
    let mut file = source.open().map_err(|e| InputError::Open(e.to_string()))?;
    let mut scan = ContentScan::new();
    let raw = if keep_raw {
        Some(
            store
                .raw()
                .writer()
                .map_err(|e| InputError::Archive(e.to_string()))?,
        )
    } else {
        None
    };
    let mut size = 0u64;
    let (sha256, raw) = std::thread::scope(|scope| {
        // Chunks go to the hashing thread and come back to be filled again.
        let (to_hash, chunks) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let (give_back, returned) = std::sync::mpsc::channel::<Vec<u8>>();
        let hashing = scope.spawn(move || -> Result<_, InputError> {
            let mut hasher = Sha256::new();
            let mut raw = raw;
            for chunk in chunks {
                hasher.update(&chunk);
                if let Some(w) = raw.as_mut() {
                    w.write_all(&chunk)
                        .map_err(|e| InputError::Archive(format!("keeping raw bytes: {e}")))?;
                }
                let _ = give_back.send(chunk);
            }
            Ok((hex::encode(hasher.finalize()), raw))
        });
        let read = (|| -> Result<(), InputError> {
            loop {
                let mut buf = returned.try_recv().unwrap_or_default();
                buf.resize(SCAN_CHUNK, 0);
                let n = match file.read(&mut buf) {
                    Ok(0) => return Ok(()),
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(InputError::Read(format!("at byte {size}: {e}"))),
                };
                buf.truncate(n);
                let head_was_short = !scan.head_complete();
                scan.feed(&buf);
                size += n as u64;
                if size > options.max_capture_bytes {
                    return Err(InputError::Refused(over_the_limit(
                        size,
                        options.max_capture_bytes,
                    )));
                }
                // Binary data (or an endless device) is refused from its first block, before
                // the rest is read and before it is copied (nothing was sent to the copy yet).
                if head_was_short
                    && scan.head_complete()
                    && let Some(refused) = detect::refusal_in_head(&scan)
                {
                    return Err(InputError::Refused(refused.to_string()));
                }
                progress.advance("hashing", n as u64);
                if to_hash.send(buf).is_err() {
                    // The hashing thread stopped: its error is the one to report.
                    return Ok(());
                }
            }
        })();
        drop(to_hash);
        let hashed = hashing
            .join()
            .unwrap_or_else(|_| Err(InputError::Read("the hashing thread panicked".into())));
        read?;
        hashed
    })?;
    scan.finish();
    Ok(Scanned {
        sha256,
        size,
        scan,
        raw,
    })
}

/// How many bytes of an input the first pass reads at a time.
const SCAN_CHUNK: usize = 256 * 1024;

/// What one page of a Desktop HTML export passes to the next page of the same export (read in
/// page order within one run).
#[derive(Default, Clone)]
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

/// How many posts (new or updated) an ingest writes before it refreshes the database's planner
/// statistics ([`tgscope_archive::Archive::refresh_statistics`]).
const REFRESH_STATISTICS_AFTER: u64 = 1000;

/// How many times a capture is read again after a concurrent writer conflicted with it.
const CONFLICT_RETRIES: u32 = 8;

/// [`ingest_file`], read again when a concurrent writer of the archive (another `ingest` or
/// `collect` on the same PostgreSQL archive) conflicted with one of its transactions
/// ([`EngineError::is_conflict`]): what committed before the conflict stays, and the capture is
/// resumed from there, after a pause that grows with each attempt (with jitter, so that the
/// writers that collided do not collide again). A conflict that persists past
/// [`CONFLICT_RETRIES`] attempts stops the run with its error.
pub(crate) fn ingest_file_retrying(
    store: &mut dyn Archive,
    source: Source<'_>,
    options: &IngestOptions,
    progress: &mut dyn Progress,
    pages: &mut PageChain,
) -> Result<FileOutcome> {
    let before = pages.clone();
    let mut attempt = 0;
    loop {
        match ingest_file(store, source, options, progress, pages) {
            Err(e) if e.is_conflict() && attempt < CONFLICT_RETRIES => {
                attempt += 1;
                tracing::info!(
                    "{}: a concurrent writer conflicted ({e}); reading it again (attempt {})",
                    source.label(),
                    attempt + 1
                );
                *pages = before.clone();
                std::thread::sleep(conflict_pause(attempt));
            }
            outcome => return outcome.map_err(|e| e.writing(&source.path())),
        }
    }
}

/// The pause before the `attempt`th retry: 20 ms doubled each time, up to about 2.5 s, with up
/// to half again added at random.
fn conflict_pause(attempt: u32) -> std::time::Duration {
    let base = 20u64 << attempt.min(7);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    let jitter = (nanos ^ u64::from(std::process::id()).wrapping_mul(0x9e37_79b9)) % (base / 2 + 1);
    std::time::Duration::from_millis(base + jitter)
}

/// Ingests one file. Problems of the input come back as a [`FileOutcome`] so that the run goes
/// on; errors of the archive itself stop the run.
pub(crate) fn ingest_file(
    store: &mut dyn Archive,
    source: Source<'_>,
    options: &IngestOptions,
    progress: &mut dyn Progress,
    pages: &mut PageChain,
) -> Result<FileOutcome> {
    let path_buf = source.path();
    let path = path_buf.as_path();
    let size = source.size();
    progress.input(path, size);
    if size > options.max_capture_bytes {
        return Ok(FileOutcome::Skipped(over_the_limit(
            size,
            options.max_capture_bytes,
        )));
    }
    let mut scanned = match scan_input(store, source, options, progress) {
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
        let captured = retime_archived(store, capture, source, options, &mut warnings)?;
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
            captured,
            redated_posts: Vec::new(),
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
    let read_bytes = AtomicU64::new(0);
    let counting = CountingReader {
        inner: file,
        read: &read_bytes,
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
        captured: None,
        redated_posts: Vec::new(),
    };
    // When the capture was made: the user's word, else the fetch, else what the file says.
    let stated = match source {
        Source::File(path) if matches!(format, Format::DesktopJson | Format::DesktopHtml) => {
            export_folder_day(path)
        }
        _ => None,
    }
    .or_else(|| reader.made_at());
    let chosen = match (&options.captured_at, source) {
        (Some(given), _) => {
            let at = parse_captured_at(given)
                .map_err(|e| EngineError::BadRequest(format!("--captured-at: {e}")))?;
            if let Some(said) = &stated
                && said.at.get(..10) != at.get(..10)
            {
                report.warnings.push(format!(
                    "the capture says it was made {} ({}); --captured-at {at} is recorded",
                    said.at,
                    said.evidence.as_deref().unwrap_or_default()
                ));
            }
            Some(CaptureTime {
                at,
                basis: CaptureTimeBasis::User,
                evidence: Some("ingest --captured-at".to_string()),
            })
        }
        (None, Source::Fetched(page)) => Some(CaptureTime {
            at: page.fetched_at.clone(),
            basis: CaptureTimeBasis::Fetched,
            evidence: Some(page.url.clone()),
        }),
        (None, Source::File(_)) => stated,
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
        newest: None,
        redated: Vec::new(),
        written: WrittenInBatch::default(),
    };
    let batch_posts = options.batch.unwrap_or_else(|| default_batch(store)).max(1);
    let mut batch: Vec<ReadItem> = Vec::with_capacity(batch_posts.min(4096));
    let mut batch_bytes = 0usize;
    let mut ordinal = 0u64;
    // The capture is read on a thread of its own, a few dozen items ahead, while this one
    // reconciles and writes what was read (the reader stops at its first error, as the
    // reconciler does).
    let (failure, carry, channel_info) = std::thread::scope(|scope| -> Result<_> {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<ReadResult>>(READ_AHEAD);
        let reading = scope.spawn(move || {
            let mut chunk = Vec::with_capacity(READ_CHUNK);
            for mut item in reader.by_ref() {
                let failed = item.is_err();
                let mut cut = None;
                if let Ok(item) = &mut item {
                    item.drop_nul();
                    cut = item.cut_long_text();
                }
                chunk.push(item);
                if let Some(warning) = cut {
                    chunk.push(Ok(ReadItem::Warning(warning)));
                }
                if (chunk.len() >= READ_CHUNK || failed)
                    && sender.send(std::mem::take(&mut chunk)).is_err()
                {
                    break;
                }
                if failed {
                    break;
                }
            }
            if !chunk.is_empty() {
                let _ = sender.send(chunk);
            }
            reader
        });
        let mut counted = 0u64;
        let mut failure = None;
        'read: for chunk in receiver.iter() {
            let now = read_bytes.load(Ordering::Relaxed);
            progress.advance("reading", now - counted);
            counted = now;
            for item in chunk {
                match item {
                    Ok(ReadItem::Warning(w)) => report.warnings.push(w),
                    Ok(item) => {
                        if let ReadItem::Post(post) = &item {
                            batch_bytes += post.text.len() + post.raw_text.len();
                        }
                        batch.push(item);
                        if batch.len() >= batch_posts || batch_bytes >= BATCH_TEXT_BYTES {
                            batch_bytes = 0;
                            reconciler.write_batch(
                                store,
                                &mut batch,
                                &mut ordinal,
                                &mut report,
                                None,
                            )?;
                        }
                    }
                    Err(e) => {
                        failure = Some(e.to_string());
                        break 'read;
                    }
                }
            }
        }
        drop(receiver);
        let reader = reading.join().map_err(|_| EngineError::Input {
            path: path.to_path_buf(),
            reason: "the reader of this capture stopped unexpectedly".into(),
        })?;
        progress.advance("reading", read_bytes.load(Ordering::Relaxed) - counted);
        let mut channel_info = reader.channel_info();
        if let Some(info) = &mut channel_info {
            info.drop_nul();
        }
        Ok((failure, reader.carry(), channel_info))
    })?;
    if let Some(carry) = carry {
        pages.last = Some((folder, carry));
    }
    let done = failure.is_none();
    reconciler.write_batch(store, &mut batch, &mut ordinal, &mut report, Some(done))?;
    let chosen = check_capture_time(chosen, reconciler.newest.as_deref(), &mut report.warnings);
    {
        let w = store.writer()?;
        match &chosen {
            Some(t) => {
                w.set_capture_time(capture_id, Some(&t.at), t.basis, t.evidence.as_deref())?
            }
            None => w.set_capture_time(capture_id, None, CaptureTimeBasis::Ingested, None)?,
        }
        w.commit()?;
    }
    report.captured = store.capture_time(capture_id)?;
    if done {
        reconciler.after_capture(store, format, channel_info.as_ref(), &mut report)?;
    }
    report.redated_posts = std::mem::take(&mut reconciler.redated);
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

/// What the place of an export's file says of when it was made: Telegram Desktop names an
/// export folder by the day it was made (`ChatExport_2024-03-01`, `DataExport_2024-03-01`, with
/// ` (2)` for a second one that day), in the exporting computer's local date. The folder holding
/// the file, or one above it (a whole-account export's `chats/chat_001/`), is looked at.
pub fn export_folder_day(path: &Path) -> Option<CaptureTime> {
    path.ancestors().skip(1).take(4).find_map(|dir| {
        let name = dir.file_name()?.to_str()?;
        let rest = name
            .strip_prefix("ChatExport_")
            .or_else(|| name.strip_prefix("DataExport_"))?;
        let day = chrono::NaiveDate::parse_from_str(rest.get(..10)?, "%Y-%m-%d").ok()?;
        let tail = rest[10..].trim();
        let numbered = tail.is_empty()
            || (tail.starts_with('(')
                && tail.ends_with(')')
                && tail[1..tail.len() - 1].chars().all(|c| c.is_ascii_digit()));
        numbered.then(|| CaptureTime {
            at: day.format("%Y-%m-%d").to_string(),
            basis: CaptureTimeBasis::File,
            evidence: Some(format!(
                "the export folder's name {name:?} (Telegram Desktop names an export by its \
                 day, the exporting computer's local date)"
            )),
        })
    })
}

/// Checks a capture time against the newest post the capture holds: a capture cannot be made
/// before its newest post. What a file says is then not used (`None`: the ingest time stands
/// in); what the user says is kept, with a warning. A day is compared with a day's slack (an
/// export folder's day is a local date).
fn check_capture_time(
    chosen: Option<CaptureTime>,
    newest: Option<&str>,
    warnings: &mut Vec<String>,
) -> Option<CaptureTime> {
    let (Some(time), Some(newest)) = (&chosen, newest) else {
        return chosen;
    };
    let too_early = if time.at.len() == 10 {
        let day = chrono::NaiveDate::parse_from_str(&time.at, "%Y-%m-%d").ok();
        let newest_day = newest
            .get(..10)
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        match (day, newest_day) {
            (Some(day), Some(newest_day)) => day + chrono::Days::new(1) < newest_day,
            _ => false,
        }
    } else {
        time.at.as_str() < newest
    };
    if !too_early {
        return chosen;
    }
    match time.basis {
        CaptureTimeBasis::File => {
            warnings.push(format!(
                "the capture says it was made {} ({}), before its newest post ({newest}): not \
                 used; its ingest time stands in (give --captured-at to say when it was made)",
                time.at,
                time.evidence.as_deref().unwrap_or_default()
            ));
            None
        }
        _ => {
            warnings.push(format!(
                "the capture time {} ({}) is before the capture's newest post ({newest})",
                time.at,
                time.basis.as_str()
            ));
            chosen
        }
    }
}

/// For a capture already archived: records the time the user now gives, or what the export
/// folder's name says when only the ingest time was known; returns the capture's time.
fn retime_archived(
    store: &mut dyn Archive,
    capture: &tgscope_archive::Capture,
    source: Source<'_>,
    options: &IngestOptions,
    warnings: &mut Vec<String>,
) -> Result<Option<CaptureTime>> {
    let before = store.capture_time(capture.id)?;
    let better = match (&options.captured_at, source) {
        (Some(given), _) => {
            let at = parse_captured_at(given)
                .map_err(|e| EngineError::BadRequest(format!("--captured-at: {e}")))?;
            Some(CaptureTime {
                at,
                basis: CaptureTimeBasis::User,
                evidence: Some("ingest --captured-at".to_string()),
            })
        }
        (None, Source::File(path))
            if before
                .as_ref()
                .is_none_or(|b| b.basis == CaptureTimeBasis::Ingested)
                && matches!(
                    Format::parse(&capture.format),
                    Some(Format::DesktopJson | Format::DesktopHtml)
                ) =>
        {
            export_folder_day(path)
        }
        _ => None,
    };
    let Some(better) = better else {
        return Ok(before);
    };
    if before
        .as_ref()
        .is_some_and(|b| b.at == better.at && b.basis == better.basis)
    {
        return Ok(before);
    }
    if let Some(b) = &before
        && b.basis != CaptureTimeBasis::Ingested
    {
        warnings.push(format!(
            "the capture time recorded before ({}, {}) is replaced by {} ({})",
            b.at,
            b.basis.as_str(),
            better.at,
            better.basis.as_str()
        ));
    }
    let w = store.writer()?;
    w.set_capture_time(
        capture.id,
        Some(&better.at),
        better.basis,
        better.evidence.as_deref(),
    )?;
    w.commit()?;
    Ok(store.capture_time(capture.id)?)
}

/// Counts bytes read for the progress bar.
struct CountingReader<'p, R> {
    inner: R,
    read: &'p AtomicU64,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// What the reader thread hands over: a post, an event or a warning, or the error that ended
/// the capture.
type ReadResult = std::result::Result<ReadItem, tgscope_read::ReadError>;

/// Items the reader thread hands over at once.
const READ_CHUNK: usize = 64;

/// Chunks the reader thread may read ahead of the reconciler.
const READ_AHEAD: usize = 4;

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
    /// The newest time a post of this capture carries (RFC 3339 UTC, observed or read from an
    /// HTML export): the capture cannot have been made before it.
    newest: Option<String>,
    /// Posts whose versions took an observed date in place (see
    /// [`CaptureReport::redated_posts`]).
    redated: Vec<i64>,
    /// What the batch being written wrote so far (the batch's identity look-ups answer as the
    /// archive stood before it).
    written: WrittenInBatch,
}

/// The posts and versions a batch wrote, for the identity of its later posts.
#[derive(Debug, Default)]
struct WrittenInBatch {
    /// Posts by channel and message id (new ones, and those that took a message id).
    posts: std::collections::HashMap<(i64, i64), i64>,
    /// Versions by post and content key.
    versions: std::collections::HashMap<(i64, String), i64>,
    /// The first version written per channel and content key: `(post_id, version_id)`.
    channel_versions: std::collections::HashMap<(i64, String), (i64, i64)>,
}

/// The channel a forward comes from, when the header names it.
fn forward_origin(post: &CapturedPost) -> Option<ChannelRef> {
    match &post.forward {
        Some(f) if f.title.is_some() || f.username.is_some() => Some(ChannelRef {
            tg_id: None,
            username: f.username.clone(),
            title: f.title.clone(),
            kind: None,
        }),
        _ => None,
    }
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
        store: &mut dyn Archive,
        batch: &mut Vec<ReadItem>,
        ordinal: &mut u64,
        report: &mut CaptureReport,
        complete: Option<bool>,
    ) -> Result<()> {
        let store_media = self.media_base.as_ref().map(|_| store.media());
        let w = store.writer()?;
        // First the batch's channels (in the order the items name them, so that new channels
        // get the ids they would get one post at a time) and keys, then what the archive knows
        // of its posts, asked in one call.
        let mut asks = Vec::new();
        for item in batch.iter() {
            match item {
                ReadItem::Post(post) => {
                    let channel_id = self.channel_id(&*w, &self.own_channel(post))?;
                    if let Some(origin) = forward_origin(post) {
                        self.channel_id(&*w, &origin)?;
                    }
                    asks.push(IdentityAsk {
                        ordinal: *ordinal + asks.len() as u64,
                        channel_id,
                        message_id: post.message_id,
                        content_key: self.content_key(post),
                    });
                }
                ReadItem::Event(event) => {
                    self.channel_id(&*w, &self.event_channel(event))?;
                }
                ReadItem::Warning(_) => {}
            }
        }
        let identities = w.identify(self.capture_id, &asks)?;
        self.written = WrittenInBatch::default();
        let mut asked = asks.into_iter().zip(identities);
        for item in batch.drain(..) {
            let mut post = match item {
                ReadItem::Post(post) => post,
                ReadItem::Event(event) => {
                    self.write_event(&*w, &event)?;
                    continue;
                }
                ReadItem::Warning(warning) => {
                    report.warnings.push(warning);
                    continue;
                }
            };
            let Some((ask, identity)) = asked.next() else {
                return Err(EngineError::Archive(
                    "the archive answered fewer identity look-ups than it was asked".into(),
                ));
            };
            let key = ask.content_key;
            let this = ask.ordinal;
            *ordinal += 1;
            if identity.sighted {
                // An interrupted earlier run already wrote this one.
                continue;
            }
            self.keep_media_files(store_media.as_ref(), &mut post, report)?;
            let time = post.date.as_deref().or_else(|| {
                post.date_inferred
                    .as_ref()
                    .filter(|d| d.basis == DateBasis::HtmlExportTime)
                    .map(|d| d.date.as_str())
            });
            if let Some(time) = time
                && self.newest.as_deref().is_none_or(|n| n < time)
            {
                self.newest = Some(time.to_string());
            }
            match self.reconcile(&*w, &post, &key, this, &identity)? {
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
        media_store: Option<&tgscope_archive::MediaStore>,
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
    fn write_event(&mut self, w: &dyn ArchiveWriter, event: &ServiceEvent) -> Result<()> {
        let channel_id = self.channel_id(w, &self.event_channel(event))?;
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

    /// The channel a post belongs to: the one it names, else the capture's.
    fn own_channel(&self, post: &CapturedPost) -> ChannelRef {
        post.channel
            .clone()
            .unwrap_or_else(|| self.channel_ref.clone())
    }

    /// The channel a service event belongs to: the one it names, else the capture's.
    fn event_channel(&self, event: &ServiceEvent) -> ChannelRef {
        event
            .channel
            .clone()
            .unwrap_or_else(|| self.channel_ref.clone())
    }

    /// The archive id of a channel, created when new (remembered for the rest of the capture).
    fn channel_id(&mut self, w: &dyn ArchiveWriter, r: &ChannelRef) -> Result<i64> {
        if let Some(id) = self.channels.get(r) {
            return Ok(*id);
        }
        let id = w.ensure_channel(r)?;
        self.channels.insert(r.clone(), id);
        Ok(id)
    }

    /// Whether the channel may hold posts without message ids (see `id_less`).
    fn may_have_id_less(&mut self, w: &dyn ArchiveWriter, channel_id: i64) -> Result<bool> {
        if let Some(&known) = self.id_less.get(&channel_id) {
            return Ok(known);
        }
        let has = w.channel_has_id_less_posts(channel_id)?;
        self.id_less.insert(channel_id, has);
        Ok(has)
    }

    /// Reconciles one post, with what the archive knew of it before the batch (`known`) and
    /// what the batch wrote before it.
    fn reconcile(
        &mut self,
        w: &dyn ArchiveWriter,
        post: &CapturedPost,
        key: &str,
        ordinal: u64,
        known: &Identity,
    ) -> Result<Outcome> {
        let channel_id = self.channel_id(w, &self.own_channel(post))?;
        self.own_channels.insert(channel_id);
        let forward_channel = match forward_origin(post) {
            Some(origin) => Some(self.channel_id(w, &origin)?),
            None => None,
        };
        let (lead, tail) = anchor_keys(&post.text);
        // Which archived post this is, and whether this text is already one of its versions.
        let by_message_id = post.message_id.and_then(|message_id| {
            self.written
                .posts
                .get(&(channel_id, message_id))
                .copied()
                .or(known.post_id)
        });
        let (post_id, known_version) = match post.message_id {
            Some(message_id) => match by_message_id {
                Some(post_id) => (
                    Some(post_id),
                    self.written
                        .versions
                        .get(&(post_id, key.to_string()))
                        .copied()
                        .or(known.version.filter(|(p, _)| *p == post_id).map(|(_, v)| v)),
                ),
                // The same post seen before without an id (a plain-text capture of the
                // channel) takes this id.
                // (Only for posts with text: the key of an empty post says nothing.)
                None if post.text.trim().is_empty() => (None, None),
                None if !self.may_have_id_less(w, channel_id)? => (None, None),
                None => match w.id_less_version_by_key(channel_id, key)? {
                    Some((post_id, version)) => {
                        w.set_message_id(post_id, message_id)?;
                        self.written.posts.insert((channel_id, message_id), post_id);
                        (Some(post_id), Some(version))
                    }
                    None => (None, None),
                },
            },
            // The first version of the channel with this key: one archived before the batch
            // is older than any the batch wrote.
            None => match known.version.or_else(|| {
                self.written
                    .channel_versions
                    .get(&(channel_id, key.to_string()))
                    .copied()
            }) {
                Some((post_id, version)) => (Some(post_id), Some(version)),
                None => (self.edited_post(w, channel_id, post, &lead, &tail)?, None),
            },
        };
        // A message's date is its send time, the same in every capture: an observed one fills
        // in the versions that had only an inferred one (a Desktop HTML export's time, read
        // with a standard-time offset, gives way to the JSON export's `date_unixtime`), and a
        // new version of a message whose date was observed takes that date.
        let mut dated = None;
        if post.message_id.is_some()
            && let Some(existing) = post_id
        {
            match &post.date {
                // (A post this batch created, known by a stand-in id, is new to the derived
                // data anyway: it is not kept.)
                Some(date) if w.observe_post_date(existing, date)? > 0 && existing >= 0 => {
                    self.redated.push(existing);
                }
                Some(_) => {}
                None if known_version.is_none() => {
                    if let Some(date) = w.post_observed_date(existing)? {
                        dated = Some(CapturedPost {
                            date: Some(date),
                            date_inferred: None,
                            ..post.clone()
                        });
                    }
                }
                None => {}
            }
        }
        let post = dated.as_ref().unwrap_or(post);
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
                if let (Outcome::New, Some(message_id)) = (&outcome, post.message_id) {
                    self.written.posts.insert((channel_id, message_id), post_id);
                }
                self.written
                    .versions
                    .insert((post_id, key.to_string()), version);
                self.written
                    .channel_versions
                    .entry((channel_id, key.to_string()))
                    .or_insert((post_id, version));
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
        store: &mut dyn Archive,
        format: Format,
        info: Option<&ChannelInfo>,
        report: &mut CaptureReport,
    ) -> Result<()> {
        let w = store.writer()?;
        if let Some(info) = info
            && (info.description.is_some() || info.subscribers.is_some())
        {
            let channel_id = self.channel_id(&*w, &info.channel)?;
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
        w: &dyn ArchiveWriter,
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
        let files = gather_inputs(
            &[root.to_path_buf(), root.join("missing.txt")],
            &root.join("archive"),
            &mut skipped,
            &mut Vec::new(),
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
        let files = gather_inputs(
            &[dir.path().to_path_buf()],
            &dir.path().join("archive"),
            &mut skipped,
            &mut Vec::new(),
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
