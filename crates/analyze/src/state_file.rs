//! Files of derived data (one home for their framing): each analysis is one file, written whole
//! to a temporary name and renamed (a reader never sees half of it), starting with the
//! analysis's magic bytes and format version and ending with a checksum of everything before.
//! A file that is damaged, or written by another version of the format, is reported as
//! [`StateError::Unusable`]: the analysis is derived data and is rebuilt from the archive.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::Xxh3;

/// Why the state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The file is not a copy analysis this version of tgscope wrote, or it is damaged.
    #[error("{path}: {what}")]
    Unusable {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
}

/// A writer that hashes what it writes.
pub(crate) struct Out<W: Write> {
    w: W,
    hash: Xxh3,
    /// Bytes written so far (the magic bytes included).
    pos: u64,
}

impl<W: Write> Out<W> {
    pub(crate) fn bytes(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.hash.update(b);
        self.pos += b.len() as u64;
        self.w.write_all(b)
    }
    /// Where the next byte goes (from the start of the file).
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }
    /// An unsigned LEB128 varint.
    pub(crate) fn uvarint(&mut self, mut v: u64) -> std::io::Result<()> {
        let mut buf = [0u8; 10];
        let mut n = 0;
        loop {
            let low = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                buf[n] = low;
                n += 1;
                break;
            }
            buf[n] = low | 0x80;
            n += 1;
        }
        self.bytes(&buf[..n])
    }
    /// A signed varint (zigzag, then LEB128).
    pub(crate) fn ivarint(&mut self, v: i64) -> std::io::Result<()> {
        self.uvarint(((v << 1) ^ (v >> 63)) as u64)
    }
    pub(crate) fn u8(&mut self, v: u8) -> std::io::Result<()> {
        self.bytes(&[v])
    }
    pub(crate) fn u32(&mut self, v: u32) -> std::io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }
    pub(crate) fn u64(&mut self, v: u64) -> std::io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }
    pub(crate) fn i64(&mut self, v: i64) -> std::io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }
    pub(crate) fn f64(&mut self, v: f64) -> std::io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }
    pub(crate) fn len(&mut self, n: usize) -> std::io::Result<()> {
        self.u64(n as u64)
    }
}

/// A reader over a derived-data file that reports where it failed. It reads the file through a
/// buffer and checksums what it reads as it goes, so that loading an analysis holds the parsed
/// analysis and not the file's bytes as well (a copy analysis of a million posts is a file of
/// about 235 MiB).
pub(crate) struct In<'a> {
    reader: std::io::BufReader<&'a File>,
    hasher: xxhash_rust::xxh3::Xxh3,
    /// Bytes read so far (the position in the file).
    pub(crate) at: usize,
    /// Where the checksummed part ends (the checksum's 8 bytes follow).
    end: usize,
    scratch: Vec<u8>,
}

impl In<'_> {
    pub(crate) fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.end)
            .ok_or_else(|| format!("ends early at byte {}", self.at))?;
        self.scratch.resize(n, 0);
        std::io::Read::read_exact(&mut self.reader, &mut self.scratch)
            .map_err(|e| format!("cannot be read at byte {}: {e}", self.at))?;
        self.hasher.update(&self.scratch);
        self.at = end;
        Ok(&self.scratch)
    }
    pub(crate) fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    pub(crate) fn u32(&mut self) -> Result<u32, String> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(a))
    }
    pub(crate) fn u64(&mut self) -> Result<u64, String> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }
    pub(crate) fn i64(&mut self) -> Result<i64, String> {
        Ok(self.u64()? as i64)
    }
    pub(crate) fn f64(&mut self) -> Result<f64, String> {
        Ok(f64::from_bits(self.u64()?))
    }
    /// A count, checked against what the rest of the file could hold.
    pub(crate) fn len(&mut self, each: usize) -> Result<usize, String> {
        let n = self.u64()?;
        let left = (self.end - self.at) as u64;
        if n.saturating_mul(each.max(1) as u64) > left {
            return Err(format!(
                "a count of {n} at byte {} exceeds the file",
                self.at
            ));
        }
        Ok(n as usize)
    }
}

/// Writes a derived-data file: `magic`, `version`, what `body` writes, and the checksum (through
/// a temporary file in the same folder, renamed).
pub(crate) fn save(
    path: &Path,
    magic: &[u8; 8],
    version: u32,
    body: impl FnOnce(&mut Out<BufWriter<std::fs::File>>) -> std::io::Result<()>,
) -> Result<(), StateError> {
    let io = |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut w = Writer::create(path, magic, version)?;
    body(w.out()).map_err(io)?;
    w.finish().map(drop)
}

/// A derived-data file being written piece by piece (for states too large to build in memory):
/// the magic and version first, the checksum and the rename (or, for an unnamed temporary
/// file, nothing) on [`Writer::finish`].
pub(crate) struct Writer {
    /// The file's path, or the folder of an unnamed temporary file (`None`: the system's).
    path: Option<PathBuf>,
    tmp: Option<PathBuf>,
    out: Out<BufWriter<File>>,
}

impl Writer {
    /// Starts `path` (written to `path` with the extension `tmp`, renamed when finished).
    pub(crate) fn create(path: &Path, magic: &[u8; 8], version: u32) -> Result<Writer, StateError> {
        let tmp = path.with_extension("tmp");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|source| StateError::Io {
                path: tmp.clone(),
                source,
            })?;
        Writer::start(Some(path.to_path_buf()), Some(tmp), file, magic, version)
    }

    /// Starts an unnamed temporary file in `dir` (the system's temporary folder when `None`,
    /// or when `dir` cannot take one: a read-only archive).
    pub(crate) fn unnamed(
        dir: Option<&Path>,
        magic: &[u8; 8],
        version: u32,
    ) -> Result<Writer, StateError> {
        let file = spill_file(dir)?;
        Writer::start(None, None, file, magic, version)
    }

    fn start(
        path: Option<PathBuf>,
        tmp: Option<PathBuf>,
        file: File,
        magic: &[u8; 8],
        version: u32,
    ) -> Result<Writer, StateError> {
        let mut w = Writer {
            path,
            tmp,
            out: Out {
                w: BufWriter::with_capacity(1 << 20, file),
                hash: Xxh3::new(),
                pos: 0,
            },
        };
        w.out.bytes(magic).map_err(|e| w.error(e))?;
        w.out.u32(version).map_err(|e| w.error(e))?;
        Ok(w)
    }

    /// Where the body is written.
    pub(crate) fn out(&mut self) -> &mut Out<BufWriter<File>> {
        &mut self.out
    }

    /// An error writing this file, with its path.
    pub(crate) fn error(&self, source: std::io::Error) -> StateError {
        StateError::Io {
            path: self
                .tmp
                .clone()
                .or_else(|| self.path.clone())
                .unwrap_or_else(|| PathBuf::from("(temporary file)")),
            source,
        }
    }

    /// Writes the checksum and renames the file into place: the file, open for reading, and
    /// its length without the checksum.
    pub(crate) fn finish(mut self) -> Result<(File, u64), StateError> {
        let sum = self.out.hash.digest();
        let len = self.out.pos;
        self.out
            .w
            .write_all(&sum.to_le_bytes())
            .map_err(|e| self.error(e))?;
        let tmp = self.tmp.take();
        let path = self.path.take();
        let io = |p: &Option<PathBuf>, source| StateError::Io {
            path: p
                .clone()
                .unwrap_or_else(|| PathBuf::from("(temporary file)")),
            source,
        };
        let file = self
            .out
            .w
            .into_inner()
            .map_err(|e| io(&tmp, e.into_error()))?;
        if let (Some(tmp), Some(path)) = (&tmp, &path) {
            file.sync_all().map_err(|e| io(&Some(tmp.clone()), e))?;
            std::fs::rename(tmp, path).map_err(|e| io(&Some(path.clone()), e))?;
        }
        Ok((file, len))
    }
}

/// An unnamed temporary file in `dir`, else in the system's temporary folder.
pub(crate) fn spill_file(dir: Option<&Path>) -> Result<File, StateError> {
    if let Some(dir) = dir
        && let Ok(file) = tempfile::tempfile_in(dir)
    {
        return Ok(file);
    }
    tempfile::tempfile().map_err(|source| StateError::Io {
        path: std::env::temp_dir(),
        source,
    })
}

/// Opens a derived-data file written by [`Writer`] with this `magic` and `version` without
/// reading it into memory: its checksum is checked by reading it through once. The file (open:
/// it stays readable when a newer one is renamed over the path) and its length without the
/// checksum; the body starts at [`HEADER`]. `Ok(None)` when there is no file; `what` names the
/// analysis in errors ("a network analysis").
pub(crate) fn open(
    path: &Path,
    magic: &[u8; 8],
    version: u32,
    what: &str,
) -> Result<Option<(File, u64)>, StateError> {
    let io = |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let unusable = |what: String| StateError::Unusable {
        path: path.to_path_buf(),
        what,
    };
    let total = file.metadata().map_err(io)?.len();
    if total < HEADER + 8 {
        return Err(unusable(format!("not {what} file")));
    }
    let len = total - 8;
    let mut hash = Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut at = 0u64;
    let mut head = [0u8; HEADER as usize];
    while at < len {
        let n = ((len - at) as usize).min(buf.len());
        read_exact_at(&file, &mut buf[..n], at).map_err(io)?;
        if at == 0 {
            head.copy_from_slice(&buf[..HEADER as usize]);
        }
        hash.update(&buf[..n]);
        at += n as u64;
    }
    if &head[..8] != magic {
        return Err(unusable(format!("not {what} file")));
    }
    let mut sum = [0u8; 8];
    read_exact_at(&file, &mut sum, len).map_err(io)?;
    if hash.digest() != u64::from_le_bytes(sum) {
        return Err(unusable(
            "the checksum does not match: the file is damaged".into(),
        ));
    }
    let found = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
    if found != version {
        return Err(unusable(format!(
            "written in format {found}; this tgscope reads format {version}"
        )));
    }
    Ok(Some((file, len)))
}

/// Where the body of a file starts: after the magic bytes and the format version.
pub(crate) const HEADER: u64 = 12;

fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, at)
}

/// A reader over a range of an open file (through a buffer, with positional reads, so that
/// several readers share one file), reporting where it failed.
pub(crate) struct FileIn<'a> {
    file: &'a File,
    buf: Box<[u8]>,
    /// The buffer holds the file's bytes `[start, start + filled)`; `at` is the next byte's
    /// index in the buffer.
    start: u64,
    filled: usize,
    at: usize,
    end: u64,
}

impl<'a> FileIn<'a> {
    /// Reads `file` from `from` up to `end`.
    pub(crate) fn new(file: &'a File, from: u64, end: u64) -> FileIn<'a> {
        FileIn {
            file,
            buf: vec![0u8; 1 << 16].into_boxed_slice(),
            start: from,
            filled: 0,
            at: 0,
            end,
        }
    }

    /// Where the next byte comes from.
    pub(crate) fn pos(&self) -> u64 {
        self.start + self.at as u64
    }

    /// Whether the range is read to its end.
    pub(crate) fn done(&self) -> bool {
        self.pos() >= self.end
    }

    fn refill(&mut self) -> Result<(), String> {
        let pos = self.pos();
        if pos >= self.end {
            return Err(format!("ends early at byte {pos}"));
        }
        let n = ((self.end - pos) as usize).min(self.buf.len());
        read_exact_at(self.file, &mut self.buf[..n], pos)
            .map_err(|e| format!("reading at byte {pos}: {e}"))?;
        self.start = pos;
        self.filled = n;
        self.at = 0;
        Ok(())
    }

    pub(crate) fn u8(&mut self) -> Result<u8, String> {
        if self.at >= self.filled {
            self.refill()?;
        }
        let b = self.buf[self.at];
        self.at += 1;
        Ok(b)
    }

    pub(crate) fn take(&mut self, out: &mut [u8]) -> Result<(), String> {
        for b in out.iter_mut() {
            *b = self.u8()?;
        }
        Ok(())
    }

    pub(crate) fn u64(&mut self) -> Result<u64, String> {
        if self.filled - self.at.min(self.filled) >= 8 {
            let mut a = [0u8; 8];
            a.copy_from_slice(&self.buf[self.at..self.at + 8]);
            self.at += 8;
            return Ok(u64::from_le_bytes(a));
        }
        let mut a = [0u8; 8];
        self.take(&mut a)?;
        Ok(u64::from_le_bytes(a))
    }

    pub(crate) fn i64(&mut self) -> Result<i64, String> {
        Ok(self.u64()? as i64)
    }

    pub(crate) fn uvarint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(format!("a number too long at byte {}", self.pos()))
    }

    pub(crate) fn ivarint(&mut self) -> Result<i64, String> {
        let v = self.uvarint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }
}

/// Reads a derived-data file written by [`save`] with this `magic` and `version`: what `body`
/// reads from it, which must be all of it. `Ok(None)` when there is no file; `what` names the
/// analysis in errors ("a copy analysis").
pub(crate) fn load<T>(
    path: &Path,
    magic: &[u8; 8],
    version: u32,
    what: &str,
    body: impl FnOnce(&mut In<'_>) -> Result<T, String>,
) -> Result<Option<T>, StateError> {
    let io_error = |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(io_error(source)),
    };
    let size = file.metadata().map_err(io_error)?.len();
    let unusable = |what: String| StateError::Unusable {
        path: path.to_path_buf(),
        what,
    };
    if size < (magic.len() + 12) as u64 {
        return Err(unusable(format!("not {what} file")));
    }
    let end = usize::try_from(size - 8).map_err(|_| unusable("too large a file".into()))?;
    let mut i = In {
        reader: std::io::BufReader::with_capacity(1 << 16, &file),
        hasher: xxhash_rust::xxh3::Xxh3::new(),
        at: 0,
        end,
        scratch: Vec::new(),
    };
    if i.take(magic.len()).map_err(unusable)? != magic {
        return Err(unusable(format!("not {what} file")));
    }
    let found = i.u32().map_err(unusable)?;
    if found != version {
        return Err(unusable(format!(
            "written in format {found}; this tgscope reads format {version}"
        )));
    }
    // What the body reads is checked against the checksum once it is all read: a damaged file
    // fails there, or earlier, where the body finds something it cannot read.
    let value = body(&mut i).map_err(unusable)?;
    if i.at != i.end {
        return Err(unusable(format!("{} bytes after the end", i.end - i.at)));
    }
    let mut sum = [0u8; 8];
    std::io::Read::read_exact(&mut i.reader, &mut sum).map_err(io_error)?;
    if i.hasher.digest() != u64::from_le_bytes(sum) {
        return Err(unusable(
            "the checksum does not match: the file is damaged".into(),
        ));
    }
    Ok(Some(value))
}
