//! Per-post derived data on disk (one home for the networks' and the entities' states): a record
//! per post in post order, read through once per question instead of held in memory, and
//! updated by merging the changed posts with the old file into a new one.
//!
//! The file (`state_file` framing) holds the records (post ids as varint differences, the rest
//! as the record writes it), the strings the records name by number, and a footer: the
//! archive's mark, a parameter the analysis keeps with its data (the entity lists' fingerprint),
//! the record count and where the strings start.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use crate::state_file::{self, FileIn, Out, StateError, Writer};

/// Strings kept once (usernames, tags, entity ids), by number.
#[derive(Debug, Clone, Default)]
pub(crate) struct Strings {
    all: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Strings {
    /// The number of a string (added when new).
    pub(crate) fn id(&mut self, s: &str) -> u32 {
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        let id = self.all.len() as u32;
        self.ids.insert(s.to_string(), id);
        self.all.push(s.to_string());
        id
    }

    /// The string of a number (`""` when out of range).
    pub(crate) fn get(&self, id: u32) -> &str {
        self.all.get(id as usize).map_or("", String::as_str)
    }

    pub(crate) fn len(&self) -> usize {
        self.all.len()
    }
}

/// What a per-post record is: its post id, and how the rest is written and read.
pub(crate) trait PostRecord: Default {
    fn post_id(&self) -> i64;
    /// Writes what follows the post id.
    fn write_body(&self, o: &mut Out<BufWriter<File>>) -> std::io::Result<()>;
    /// Reads what follows the post id (`id`); string numbers must be below `strings`.
    fn read_body(&mut self, id: i64, i: &mut FileIn<'_>, strings: usize) -> Result<(), String>;
}

/// What a file is: its magic bytes, format version and name in errors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kind {
    pub magic: &'static [u8; 8],
    pub version: u32,
    pub what: &'static str,
}

#[derive(Debug)]
struct Body {
    file: File,
    /// Where the records end and the strings start.
    records_end: u64,
}

/// A per-post file (or the empty one).
#[derive(Debug, Clone, Default)]
pub(crate) struct PostFile {
    mark: i64,
    param: u64,
    posts: u64,
    strings: Strings,
    body: Option<Arc<Body>>,
    /// Where temporary files go (the folder of the file).
    dir: Option<PathBuf>,
}

/// The footer: mark, parameter, records, where the strings start.
const FOOTER: u64 = 32;

impl PostFile {
    pub(crate) fn mark(&self) -> i64 {
        self.mark
    }

    pub(crate) fn param(&self) -> u64 {
        self.param
    }

    pub(crate) fn posts(&self) -> u64 {
        self.posts
    }

    pub(crate) fn strings(&self) -> &Strings {
        &self.strings
    }

    pub(crate) fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    fn unusable(&self, what: String) -> StateError {
        StateError::Unusable {
            path: self
                .dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("(derived data)")),
            what,
        }
    }

    /// Reads every record in post order into one buffer, handing each to `f`.
    pub(crate) fn for_each<R: PostRecord>(&self, mut f: impl FnMut(&R)) -> Result<(), StateError> {
        let Some(body) = &self.body else {
            return Ok(());
        };
        let mut input = FileIn::new(&body.file, state_file::HEADER, body.records_end);
        let mut r = R::default();
        let mut prev = 0;
        for _ in 0..self.posts {
            read_record(&mut input, &mut prev, &mut r, self.strings.len())
                .map_err(|what| self.unusable(what))?;
            f(&r);
        }
        Ok(())
    }

    /// Starts an update written to `path` (through a temporary file, renamed when finished).
    pub(crate) fn writer<R: PostRecord>(
        &self,
        kind: Kind,
        path: &Path,
    ) -> Result<PostWriter<'_, R>, StateError> {
        let out = Writer::create(path, kind.magic, kind.version)?;
        self.start_writer(out, path.parent().map(Path::to_path_buf))
    }

    /// Starts an update written to an unnamed temporary file beside this one.
    pub(crate) fn unnamed_writer<R: PostRecord>(
        &self,
        kind: Kind,
    ) -> Result<PostWriter<'_, R>, StateError> {
        let out = Writer::unnamed(self.dir.as_deref(), kind.magic, kind.version)?;
        self.start_writer(out, self.dir.clone())
    }

    fn start_writer<R: PostRecord>(
        &self,
        out: Writer,
        dir: Option<PathBuf>,
    ) -> Result<PostWriter<'_, R>, StateError> {
        let mut w = PostWriter {
            old: None,
            old_left: self.posts,
            strings: self.strings.clone(),
            out,
            mark: self.mark,
            posts: 0,
            last_written: None,
            last_pushed: None,
            dir,
        };
        if let Some(body) = &self.body
            && self.posts > 0
        {
            let mut input = FileIn::new(&body.file, state_file::HEADER, body.records_end);
            let mut first = R::default();
            let mut prev = 0;
            read_record(&mut input, &mut prev, &mut first, self.strings.len())
                .map_err(|what| self.unusable(what))?;
            w.old = Some((input, first));
            w.old_left -= 1;
        }
        Ok(w)
    }

    /// Opens a file written by [`PostWriter::finish`] (its checksum checked; its records stay
    /// on disk). `Ok(None)` when there is no file.
    pub(crate) fn load(kind: Kind, path: &Path) -> Result<Option<PostFile>, StateError> {
        let Some((file, len)) = state_file::open(path, kind.magic, kind.version, kind.what)? else {
            return Ok(None);
        };
        let dir = path.parent().map(Path::to_path_buf);
        read_footer(file, len, dir)
            .map(Some)
            .map_err(|what| StateError::Unusable {
                path: path.to_path_buf(),
                what,
            })
    }
}

/// Reads the footer and strings of a file of `len` bytes (without the checksum).
fn read_footer(file: File, len: u64, dir: Option<PathBuf>) -> Result<PostFile, String> {
    if len < state_file::HEADER + FOOTER {
        return Err("ends early".into());
    }
    let mut tail = FileIn::new(&file, len - FOOTER, len);
    let mark = tail.i64()?;
    let param = tail.u64()?;
    let posts = tail.u64()?;
    let records_end = tail.u64()?;
    if records_end < state_file::HEADER || records_end > len - FOOTER {
        return Err(format!(
            "the strings' start {records_end} is outside the file"
        ));
    }
    if posts > records_end - state_file::HEADER {
        return Err(format!("{posts} records cannot fit in {records_end} bytes"));
    }
    let mut strings = Strings::default();
    let mut input = FileIn::new(&file, records_end, len - FOOTER);
    while !input.done() {
        let n = input.uvarint()?;
        if n > len {
            return Err(format!("a string of {n} bytes at byte {}", input.pos()));
        }
        let mut bytes = vec![0u8; n as usize];
        let at = input.pos();
        input.take(&mut bytes)?;
        let s = String::from_utf8(bytes).map_err(|e| format!("a string at byte {at}: {e}"))?;
        let before = strings.len();
        strings.id(&s);
        if strings.len() == before {
            return Err(format!("a string repeated at byte {at}"));
        }
    }
    drop(input);
    drop(tail);
    Ok(PostFile {
        mark,
        param,
        posts,
        strings,
        body: Some(Arc::new(Body { file, records_end })),
        dir,
    })
}

/// Reads one record (`prev`: the post id before it, updated).
fn read_record<R: PostRecord>(
    i: &mut FileIn<'_>,
    prev: &mut i64,
    r: &mut R,
    strings: usize,
) -> Result<(), String> {
    let id = prev.wrapping_add(i.ivarint()?);
    *prev = id;
    r.read_body(id, i, strings)
}

/// An update being written: records handed over in post order, merged with the old file's.
pub(crate) struct PostWriter<'a, R: PostRecord> {
    old: Option<(FileIn<'a>, R)>,
    old_left: u64,
    strings: Strings,
    out: Writer,
    mark: i64,
    posts: u64,
    last_written: Option<i64>,
    last_pushed: Option<i64>,
    dir: Option<PathBuf>,
}

impl<R: PostRecord> PostWriter<'_, R> {
    /// The strings records name by number (a new record's strings are added here first).
    pub(crate) fn strings(&mut self) -> &mut Strings {
        &mut self.strings
    }

    /// Hands over a post's record (its current version). Posts come in ascending id order.
    pub(crate) fn push(&mut self, r: &R) -> Result<(), StateError> {
        let id = r.post_id();
        if let Some(last) = self.last_pushed
            && id <= last
        {
            return Err(StateError::Unusable {
                path: PathBuf::from("(update of derived data)"),
                what: format!(
                    "post {id} handed over after post {last}: posts must come in post order"
                ),
            });
        }
        self.last_pushed = Some(id);
        self.copy_old_before(Some(id))?;
        self.write(r)
    }

    /// Copies the old records before `id` (all when `None`), and drops the old one of `id`.
    fn copy_old_before(&mut self, id: Option<i64>) -> Result<(), StateError> {
        while let Some((mut input, mut old)) = self.old.take() {
            if id.is_some_and(|id| old.post_id() > id) {
                self.old = Some((input, old));
                break;
            }
            if id != Some(old.post_id()) {
                self.write(&old)?;
            }
            if self.old_left == 0 {
                break;
            }
            let mut prev = old.post_id();
            read_record(&mut input, &mut prev, &mut old, self.strings.len()).map_err(|what| {
                StateError::Unusable {
                    path: self
                        .dir
                        .clone()
                        .unwrap_or_else(|| PathBuf::from("(derived data)")),
                    what,
                }
            })?;
            self.old_left -= 1;
            self.old = Some((input, old));
        }
        Ok(())
    }

    fn write(&mut self, r: &R) -> Result<(), StateError> {
        let prev = self.last_written.unwrap_or(0);
        self.last_written = Some(r.post_id());
        self.posts += 1;
        let o = self.out.out();
        let written = o
            .ivarint(r.post_id().wrapping_sub(prev))
            .and_then(|()| r.write_body(o));
        written.map_err(|e| self.out.error(e))
    }

    /// Copies the rest of the old records, writes the strings, `mark` (or the old mark when
    /// higher), `param` and the checksum, and renames the file into place: the new file.
    pub(crate) fn finish(mut self, mark: i64, param: u64) -> Result<PostFile, StateError> {
        self.copy_old_before(None)?;
        let mark = self.mark.max(mark);
        let o = self.out.out();
        let records_end = o.pos();
        let written = (|| {
            for s in &self.strings.all {
                o.uvarint(s.len() as u64)?;
                o.bytes(s.as_bytes())?;
            }
            o.i64(mark)?;
            o.u64(param)?;
            o.u64(self.posts)?;
            o.u64(records_end)
        })();
        written.map_err(|e| self.out.error(e))?;
        let (file, _) = self.out.finish()?;
        Ok(PostFile {
            mark,
            param,
            posts: self.posts,
            strings: self.strings,
            body: Some(Arc::new(Body { file, records_end })),
            dir: self.dir,
        })
    }
}
