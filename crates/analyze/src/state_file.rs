//! Files of derived data (one home for their framing): each analysis is one file, written whole
//! to a temporary name and renamed (a reader never sees half of it), starting with the
//! analysis's magic bytes and format version and ending with a checksum of everything before.
//! A file that is damaged, or written by another version of the format, is reported as
//! [`StateError::Unusable`]: the analysis is derived data and is rebuilt from the archive.

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
}

impl<W: Write> Out<W> {
    pub(crate) fn bytes(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.hash.update(b);
        self.w.write_all(b)
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

/// A reader over a file's bytes that reports where it failed.
pub(crate) struct In<'a> {
    pub(crate) b: &'a [u8],
    pub(crate) at: usize,
}

impl In<'_> {
    pub(crate) fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.b.len())
            .ok_or_else(|| format!("ends early at byte {}", self.at))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
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
        let left = (self.b.len() - self.at) as u64;
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
    let tmp = path.with_extension("tmp");
    let file = std::fs::File::create(&tmp).map_err(io)?;
    let mut o = Out {
        w: BufWriter::with_capacity(1 << 20, file),
        hash: Xxh3::new(),
    };
    o.bytes(magic).map_err(io)?;
    o.u32(version).map_err(io)?;
    body(&mut o).map_err(io)?;
    let sum = o.hash.digest();
    o.w.write_all(&sum.to_le_bytes()).map_err(io)?;
    let file = o.w.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io)
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
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StateError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let unusable = |what: String| StateError::Unusable {
        path: path.to_path_buf(),
        what,
    };
    if bytes.len() < magic.len() + 12 || &bytes[..magic.len()] != magic {
        return Err(unusable(format!("not {what} file")));
    }
    let (data, sum) = bytes.split_at(bytes.len() - 8);
    let mut expected = [0u8; 8];
    expected.copy_from_slice(sum);
    if xxhash_rust::xxh3::xxh3_64(data) != u64::from_le_bytes(expected) {
        return Err(unusable(
            "the checksum does not match: the file is damaged".into(),
        ));
    }
    let mut i = In {
        b: data,
        at: magic.len(),
    };
    let found = i.u32().map_err(unusable)?;
    if found != version {
        return Err(unusable(format!(
            "written in format {found}; this tgscope reads format {version}"
        )));
    }
    let value = body(&mut i).map_err(unusable)?;
    if i.at != i.b.len() {
        return Err(unusable(format!(
            "{} bytes after the end",
            i.b.len() - i.at
        )));
    }
    Ok(Some(value))
}
