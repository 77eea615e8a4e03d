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
        let mut conn = Connection::open(dir.join(DB_FILE))?;
        configure(&conn)?;
        migrate::migrate(&mut conn, dir)?;
        let raw = RawStore::new(dir);
        raw.remove_stale_temporaries();
        Ok(Store {
            conn,
            dir: dir.to_path_buf(),
            raw,
        })
    }

    /// Opens an existing archive for reading only.
    pub fn open_read_only(dir: &Path) -> Result<Store> {
        let db = dir.join(DB_FILE);
        if !db.is_file() {
            return Err(ArchiveError::Missing {
                path: dir.to_path_buf(),
            });
        }
        let conn = Connection::open_with_flags(
            &db,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
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
        })
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 64 MiB of page cache: lookups during ingest stay off the disk, and memory stays bounded
    // (no memory-mapped I/O, whose pages would count against the process as the archive grows).
    conn.pragma_update(None, "cache_size", -65536)?;
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
