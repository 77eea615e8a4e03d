//! The raw bytes of every capture, zstd-compressed and named by their SHA-256.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{ArchiveError, Result};

/// The bytes of a kept capture, decompressed as they are read ([`RawStore::reader`]).
pub type RawReader = zstd::stream::read::Decoder<'static, io::BufReader<File>>;

/// The folder of raw captures inside an archive: `raw/<first two hex digits>/<sha256>.zst`.
#[derive(Debug, Clone)]
pub struct RawStore {
    dir: PathBuf,
}

impl RawStore {
    /// The raw store under an archive directory.
    pub fn new(archive: &Path) -> RawStore {
        RawStore {
            dir: archive.join("raw"),
        }
    }

    /// Where the capture with this SHA-256 is (or would be) kept.
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("xx");
        self.dir.join(prefix).join(format!("{sha256}.zst"))
    }

    /// True when the capture's bytes are kept.
    pub fn contains(&self, sha256: &str) -> bool {
        self.path_of(sha256).is_file()
    }

    /// Starts writing a capture whose hash is not known yet; bytes are hashed as they pass.
    pub fn writer(&self) -> Result<RawWriter> {
        let tmp_dir = self.dir.join("tmp");
        fs::create_dir_all(&tmp_dir).map_err(|source| ArchiveError::Io {
            action: "creating",
            path: tmp_dir.clone(),
            source,
        })?;
        let tmp = tempfile_in(&tmp_dir)?;
        let file = File::create(&tmp).map_err(|source| ArchiveError::Io {
            action: "creating",
            path: tmp.clone(),
            source,
        })?;
        let encoder = zstd::stream::Encoder::new(BufWriter::new(file), 3).map_err(|source| {
            ArchiveError::Io {
                action: "compressing into",
                path: tmp.clone(),
                source,
            }
        })?;
        Ok(RawWriter {
            tmp,
            encoder: Some(encoder),
        })
    }

    /// Removes temporary files left by ingests that were killed while writing them (their
    /// process is gone). Run when the archive is opened for writing.
    pub fn remove_stale_temporaries(&self) {
        let Ok(entries) = fs::read_dir(self.dir.join("tmp")) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name.split('-').next().and_then(|p| p.parse::<u32>().ok());
            let alive = match pid {
                Some(pid) if pid == std::process::id() => true,
                Some(pid) => Path::new("/proc").join(pid.to_string()).exists(),
                None => false,
            };
            if name.ends_with(".part") && !alive {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// A reader of a kept capture's bytes, decompressed as they are read (for captures too
    /// large to hold in memory).
    pub fn reader(&self, sha256: &str) -> Result<RawReader> {
        let path = self.path_of(sha256);
        let file = File::open(&path).map_err(|source| ArchiveError::Io {
            action: "opening",
            path: path.clone(),
            source,
        })?;
        zstd::stream::read::Decoder::new(file).map_err(|source| ArchiveError::Io {
            action: "decompressing",
            path,
            source,
        })
    }

    /// Reads back a kept capture's bytes.
    pub fn read(&self, sha256: &str) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        io::Read::read_to_end(&mut self.reader(sha256)?, &mut bytes).map_err(|source| {
            ArchiveError::Io {
                action: "decompressing",
                path: self.path_of(sha256),
                source,
            }
        })?;
        Ok(bytes)
    }

    /// Moves a finished temporary file to its content address.
    fn place(&self, tmp: &Path, sha256: &str) -> Result<PathBuf> {
        let path = self.path_of(sha256);
        if path.is_file() {
            let _ = fs::remove_file(tmp);
            return Ok(path);
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|source| ArchiveError::Io {
                action: "creating",
                path: parent.to_path_buf(),
                source,
            })?;
        }
        fs::rename(tmp, &path).map_err(|source| ArchiveError::Io {
            action: "moving raw capture to",
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }
}

fn tempfile_in(dir: &Path) -> Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    Ok(dir.join(format!("{}-{nanos}.part", std::process::id())))
}

/// Compresses a capture into the raw store while hashing it. Finish with [`RawWriter::finish`];
/// dropping it unfinished removes the temporary file.
pub struct RawWriter {
    tmp: PathBuf,
    encoder: Option<zstd::stream::Encoder<'static, BufWriter<File>>>,
}

impl Write for RawWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.encoder {
            Some(e) => e.write(buf),
            None => Err(io::Error::other("raw writer already finished")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.encoder {
            Some(e) => e.flush(),
            None => Ok(()),
        }
    }
}

impl RawWriter {
    /// Closes the compressed file and files it under `sha256` (computed by the caller over the
    /// same bytes). Returns where it is kept.
    pub fn finish(mut self, store: &RawStore, sha256: &str) -> Result<PathBuf> {
        let encoder = self.encoder.take().expect("finish is called once");
        let tmp = self.tmp.clone();
        let io_err = |source| ArchiveError::Io {
            action: "writing",
            path: tmp.clone(),
            source,
        };
        let mut inner = encoder.finish().map_err(io_err)?;
        inner.flush().map_err(io_err)?;
        let file = inner.into_inner().map_err(|e| io_err(e.into_error()))?;
        file.sync_all().map_err(io_err)?;
        store.place(&self.tmp, sha256)
    }
}

impl Drop for RawWriter {
    fn drop(&mut self) {
        if self.encoder.is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// SHA-256 of bytes as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The media files that exports hold, kept as they are (they are compressed already) and named
/// by their SHA-256: `media/<first two hex digits>/<sha256>`.
#[derive(Debug, Clone)]
pub struct MediaStore {
    dir: PathBuf,
}

impl MediaStore {
    /// The media store under an archive directory.
    pub fn new(archive: &Path) -> MediaStore {
        MediaStore {
            dir: archive.join("media"),
        }
    }

    /// Where the file with this SHA-256 is (or would be) kept.
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("xx");
        self.dir.join(prefix).join(sha256)
    }

    /// Copies a file into the store (once per content); returns its SHA-256 and size.
    pub fn keep(&self, file: &Path) -> Result<(String, u64)> {
        let io = |action: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| ArchiveError::Io {
                action,
                path,
                source,
            }
        };
        let tmp_dir = self.dir.join("tmp");
        fs::create_dir_all(&tmp_dir).map_err(io("creating", &tmp_dir))?;
        let tmp = tempfile_in(&tmp_dir)?;
        let mut input = File::open(file).map_err(io("opening", file))?;
        let mut output = BufWriter::new(File::create(&tmp).map_err(io("creating", &tmp))?);
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut size = 0u64;
        loop {
            let n = io::Read::read(&mut input, &mut buf).map_err(io("reading", file))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            output.write_all(&buf[..n]).map_err(io("writing", &tmp))?;
            size += n as u64;
        }
        output.flush().map_err(io("writing", &tmp))?;
        drop(output);
        let sha256 = hex::encode(hasher.finalize());
        let path = self.path_of(&sha256);
        if path.is_file() {
            let _ = fs::remove_file(&tmp);
        } else {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(io("creating", parent))?;
            }
            fs::rename(&tmp, &path).map_err(io("moving media file to", &path))?;
        }
        Ok((sha256, size))
    }
}
