//! The embedded archive: one directory holding an SQLite database (channels, posts, versions,
//! captures, sightings and what posts carry) beside the raw bytes of every capture
//! (`tgscope_archive::RawStore`).
//!
//! Place in the pipeline: below the engine, which reconciles read posts into it; it speaks the
//! archive's vocabulary (`tgscope-archive`: the records it returns, its errors, the interrupter)
//! and is the only crate that speaks SQL.
//!
//! Main types:
//! - [`Store`]: an open archive (WAL mode, versioned migrations, prepared statements).
//! - [`Writer`]: one write transaction; the engine batches many posts into one.
//! - [`query`]: what the archive holds, as the front ends ask for it.
//! - [`watch`]: fetches, absences, collection runs and the changes they show.
//!
//! What it does not do: decide identity (which captured post is which archived post: the
//! engine does, with the lookups offered here), read captures, or search text.

pub mod browse;
pub mod index_feed;
pub mod migrate;
pub mod narratives;
pub mod query;
pub mod settings;
pub mod watch;
mod write;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tgscope_archive::{Capture, MediaStore, RawStore};

use tgscope_archive::prelude::*;
pub use tgscope_archive::{ArchiveError, Result};
pub use write::Writer;

/// The database file inside an archive directory.
pub const DB_FILE: &str = "archive.sqlite";

/// An open archive.
pub struct Store {
    conn: Connection,
    dir: PathBuf,
    raw: RawStore,
    /// Opened on read-only media (see [`Store::open_read_only`]).
    read_only: bool,
}

impl Store {
    /// Opens the archive in `dir` for writing, creating it (and bringing its schema up to date)
    /// as needed.
    pub fn open(dir: &Path) -> Result<Store> {
        fs::create_dir_all(dir).map_err(|source| ArchiveError::Io {
            action: "creating archive directory",
            path: dir.to_path_buf(),
            source,
        })?;
        let db = dir.join(DB_FILE);
        if cannot_write(&db) {
            return Err(ArchiveError::Io {
                action: "opening the archive for writing",
                path: dir.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::ReadOnlyFilesystem,
                    "it is read-only here (read-only media, or a folder without write \
                     permission): commands that read it work, while ingest, collect and \
                     reindex need a copy that can be written",
                ),
            });
        }
        let mut conn = Connection::open(&db)?;
        configure(&conn)?;
        migrate::migrate(&mut conn, dir)?;
        let raw = RawStore::new(dir);
        raw.remove_stale_temporaries();
        Ok(Store {
            conn,
            dir: dir.to_path_buf(),
            raw,
            read_only: false,
        })
    }

    /// Opens an existing archive for reading only. On read-only media (a snapshot, a
    /// write-protected disk), where SQLite cannot make the files its log needs, the database
    /// is opened as immutable: nothing is written or locked, and [`Archive::read_only`] says so.
    pub fn open_read_only(dir: &Path) -> Result<Store> {
        let db = dir.join(DB_FILE);
        if !db.is_file() {
            return Err(ArchiveError::Missing {
                path: dir.to_path_buf(),
            });
        }
        let (conn, read_only) = if cannot_write(&db) {
            (open_immutable(dir, &db)?, true)
        } else {
            let conn = Connection::open_with_flags(
                &db,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            (conn, false)
        };
        conn.busy_timeout(Duration::from_secs(10))?;
        tune_statements(&conn)?;
        let found = migrate::version(&conn)?;
        if found > migrate::SCHEMA_VERSION {
            return Err(ArchiveError::TooNew {
                path: dir.to_path_buf(),
                found,
                supported: migrate::SCHEMA_VERSION,
            });
        }
        Ok(Store {
            conn,
            dir: dir.to_path_buf(),
            raw: RawStore::new(dir),
            read_only,
        })
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Whether the archive's database cannot be written here (read-only media, or no permission):
/// opening it for appending (which changes nothing) is refused.
fn cannot_write(db: &Path) -> bool {
    let refused = |e: std::io::Error| {
        matches!(
            e.kind(),
            std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
        )
    };
    fs::OpenOptions::new()
        .append(true)
        .open(db)
        .is_err_and(refused)
}

/// The database of an archive on read-only media, opened as immutable (no log, no locks). A
/// write-ahead log left beside it (an archive copied while it was written, or whose last writer
/// was killed) holds commits an immutable database would not see: SQLite reads it when its
/// index (`-shm`) is there too, and otherwise the archive is refused with what to do.
fn open_immutable(dir: &Path, db: &Path) -> Result<Connection> {
    let beside = |suffix: &str| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    let wal = beside("-wal");
    let log_waits = fs::metadata(&wal).is_ok_and(|m| m.len() > 0);
    if log_waits {
        if beside("-shm").is_file() {
            return Ok(Connection::open_with_flags(
                db,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?);
        }
        return Err(ArchiveError::Io {
            action: "reading an archive on read-only media",
            path: wal,
            source: std::io::Error::other(format!(
                "this log holds changes not yet in the database, and without its index \
                 (-shm) they cannot be read here: open the archive once where it can be \
                 written (tgscope --archive {} check), then copy it again",
                dir.display()
            )),
        });
    }
    let mut uri = String::from("file:");
    for byte in db.as_os_str().as_encoded_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                uri.push(char::from(*byte))
            }
            other => uri.push_str(&format!("%{other:02X}")),
        }
    }
    uri.push_str("?immutable=1");
    Ok(Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )?)
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 16 MiB of page cache per connection: lookups during ingest stay off the disk, and memory
    // stays bounded (no memory-mapped I/O, whose pages would count against the process as the
    // archive grows). A larger cache made a 1 GB ingest no faster and 150 MB larger.
    conn.pragma_update(None, "cache_size", -16384)?;
    // Checkpoint the WAL every 32 MiB rather than every 4 MiB: fewer fsyncs during ingest.
    conn.pragma_update(None, "wal_autocheckpoint", 8192)?;
    tune_statements(conn)?;
    Ok(())
}

impl Archive for Store {
    fn dir(&self) -> &Path {
        &self.dir
    }

    fn raw(&self) -> &RawStore {
        &self.raw
    }

    fn media(&self) -> MediaStore {
        MediaStore::new(&self.dir)
    }

    fn open_reader(&self) -> Result<Option<Box<dyn Archive>>> {
        // In WAL mode a reader's connection reads the last commit while this one writes.
        Ok(Some(Box::new(Store::open_read_only(&self.dir)?)))
    }

    fn writer(&mut self) -> Result<Box<dyn ArchiveWriter + '_>> {
        Ok(Box::new(Writer::begin(&mut self.conn)?))
    }

    fn read_only(&self) -> bool {
        self.read_only
    }

    fn capture_by_sha(&self, sha256: &str) -> Result<Option<Capture>> {
        query::capture_by_sha(&self.conn, sha256)
    }

    fn check(&self) -> Result<Vec<String>> {
        query::check(&self.conn)
    }
}

/// Settings of the prepared statements, for writing and reading connections alike.
///
/// - A cache of 64 statements: every query the store runs per post stays prepared.
/// - The query planner stability guarantee (`SQLITE_DBCONFIG_ENABLE_QPSG`): without it SQLite
///   marks statements whose plan could depend on a bound value (`WHERE id = ?1` is enough) and
///   compiles them again after their bindings are cleared, which rusqlite's statement cache does
///   every time a statement goes back to it; so every cached per-post query was compiled again
///   at each run (10 of the 11 queries of `post_record`: about 60% of an export's time, found by
///   the export benchmark, `benches/export`). With it a statement keeps the plan it was
///   prepared with; the store's queries have one good plan whatever the values (lookups by id
///   and key through their indexes).
fn tune_statements(conn: &Connection) -> Result<()> {
    conn.set_prepared_statement_cache_capacity(64);
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

/// The current time as RFC 3339 UTC with seconds.
pub(crate) fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
