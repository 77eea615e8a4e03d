//! An open archive on PostgreSQL: one connection (its client behind a `RefCell`, since the
//! archive's traits read through `&self`), the folder of its raw captures, media and derived
//! data, and the archive's own checks.

use std::cell::RefCell;
use std::fs;
use std::path::{Path, PathBuf};

use postgres::{CancelToken, Client, NoTls};
use tgscope_archive::prelude::*;
use tgscope_archive::{ArchiveError, Capture, MediaStore, RawStore, Result, Statistics};

use crate::db::{Db, Statements, pg};
use crate::write::PgWriter;

/// An open archive on PostgreSQL, with the same behaviour as the embedded SQLite archive
/// (`tgscope-store`): every trait of [`tgscope_archive::backend`], answered by SQL that
/// translates the SQLite store's.
///
/// The archive is `Send` (not `Sync`): one connection, used by one thread at a time.
pub struct PgArchive {
    client: RefCell<Client>,
    statements: Statements,
    cancel: CancelToken,
    dir: PathBuf,
    raw: RawStore,
    /// The connection URL, for [`Archive::open_reader`]'s second connection.
    url: String,
}

impl PgArchive {
    /// Connects to the database at `url` (`postgres://user@host:port/database`), brings its
    /// schema up to date ([`crate::migrate()`]), and makes `dir`, the folder of the raw captures,
    /// media and this process's derived data (search index, analyses).
    pub fn open(url: &str, dir: &Path) -> Result<PgArchive> {
        fs::create_dir_all(dir).map_err(|source| ArchiveError::Io {
            action: "creating archive directory",
            path: dir.to_path_buf(),
            source,
        })?;
        let mut client = connect(url)?;
        crate::migrate(&mut client).map_err(|e| match e {
            crate::MigrateError::TooNew { found, supported } => ArchiveError::TooNew {
                path: PathBuf::from(redact(url)),
                found,
                supported,
            },
            other => ArchiveError::Backend {
                source: Box::new(other),
            },
        })?;
        let archive = PgArchive::on(client, url, dir);
        archive.raw.remove_stale_temporaries();
        Ok(archive)
    }

    fn on(client: Client, url: &str, dir: &Path) -> PgArchive {
        PgArchive {
            cancel: client.cancel_token(),
            client: RefCell::new(client),
            statements: Statements::default(),
            dir: dir.to_path_buf(),
            raw: RawStore::new(dir),
            url: url.to_string(),
        }
    }

    /// Runs `f` on the archive's connection. Not to be nested: `f` must not call back into the
    /// archive.
    pub(crate) fn db<T>(&self, f: impl FnOnce(&mut Db<'_, Client>) -> Result<T>) -> Result<T> {
        let mut client = self.client.borrow_mut();
        f(&mut Db {
            client: &mut *client,
            statements: &self.statements,
        })
    }

    /// A handle that cancels the query this archive's connection is running.
    pub(crate) fn cancel_token(&self) -> CancelToken {
        self.cancel.clone()
    }
}

/// A connection to the database at `url`, in the session the archive expects.
fn connect(url: &str) -> Result<Client> {
    let mut client = Client::connect(url, NoTls).map_err(pg)?;
    // The archive reads and writes its times with explicit UTC; the session's zone only
    // matters to what a person reads with psql.
    client
        .batch_execute("SET TIME ZONE 'UTC'; SET application_name = 'tgscope'")
        .map_err(pg)?;
    Ok(client)
}

/// A connection URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user_info = &url[scheme + 3..at];
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

impl Archive for PgArchive {
    fn dir(&self) -> &Path {
        &self.dir
    }

    fn raw(&self) -> &RawStore {
        &self.raw
    }

    fn media(&self) -> MediaStore {
        MediaStore::new(&self.dir)
    }

    fn ingest_batch(&self) -> usize {
        // Writers at once each hold their transaction's locks and rows while it lasts: four
        // writers of 4,000-post transactions took a fifth longer than of 500
        // (BENCHMARKS.md, "Team mode").
        500
    }

    fn open_reader(&self) -> Result<Option<Box<dyn Archive>>> {
        // The schema is this connection's: no migrations to check.
        let client = connect(&self.url)?;
        Ok(Some(Box::new(PgArchive::on(client, &self.url, &self.dir))))
    }

    fn writer(&mut self) -> Result<Box<dyn ArchiveWriter + '_>> {
        let tx = self.client.get_mut().transaction().map_err(pg)?;
        Ok(Box::new(PgWriter::new(tx, &self.statements)))
    }

    fn capture_by_sha(&self, sha256: &str) -> Result<Option<Capture>> {
        self.db(|db| crate::query::capture_by_sha(db, sha256))
    }

    fn check(&self) -> Result<Vec<String>> {
        self.db(check)
    }

    /// `ANALYZE` of the tables an ingest wrote enough into: right after a bulk load the planner
    /// has no statistics (autovacuum comes later), and it then plans look-ups of a page of posts
    /// as scans of every sighting (a search page took 200 ms instead of 50).
    ///
    /// A table is analysed when the rows changed since its last analysis pass autovacuum's
    /// own rule (50 plus a tenth of the table), so a writer that added little to a big archive
    /// analyses nothing. Writers finishing together do it once: the one that takes
    /// [`STATISTICS_LOCK_KEY`] does it, the others leave it to that one (its `ANALYZE` reads
    /// what they committed) and say so.
    fn refresh_statistics(&self) -> Result<Statistics> {
        self.db(|db| {
            let locked: bool = db
                .one("SELECT pg_try_advisory_lock($1)", &[&STATISTICS_LOCK_KEY])?
                .get(0);
            if !locked {
                return Ok(Statistics::LeftToAnother);
            }
            let analysed = stale_tables(db).and_then(|tables| {
                if !tables.is_empty() {
                    db.exec(&format!("ANALYZE {}", tables.join(", ")), &[])?;
                }
                Ok(tables)
            });
            db.exec("SELECT pg_advisory_unlock($1)", &[&STATISTICS_LOCK_KEY])?;
            Ok(Statistics::Refreshed(analysed?))
        })
    }

    fn team(&self) -> Option<&dyn tgscope_archive::TeamStore> {
        Some(self)
    }
}

/// The key of the session advisory lock held by the writer that refreshes the planner's
/// statistics (`tgsstat` in ASCII).
pub const STATISTICS_LOCK_KEY: i64 = 0x0074_6773_7374_6174;

/// The tables an ingest writes, beside [`VERSION_ROW_TABLES`].
const INGEST_TABLES: [&str; 4] = ["channels", "captures", "posts", "versions"];

/// Which of the tables an ingest writes ([`INGEST_TABLES`], [`VERSION_ROW_TABLES`]) changed
/// enough since their last analysis (by hand or by autovacuum) to be analysed again: by
/// autovacuum's rule, more than 50 rows plus a tenth of the table. This session's own counts are sent first (PostgreSQL 15 and later keep them back
/// up to a second); other sessions' counts may lag as long, which costs at most a tenth more.
fn stale_tables(db: &mut Db<'_, Client>) -> Result<Vec<String>> {
    let version: i32 = db
        .one("SELECT current_setting('server_version_num')::int", &[])?
        .get(0);
    if version >= 150_000 {
        db.exec("SELECT pg_stat_force_next_flush()", &[])?;
    }
    let tables: Vec<&str> = INGEST_TABLES
        .iter()
        .chain(&VERSION_ROW_TABLES)
        .copied()
        .collect();
    Ok(db
        .query(
            "SELECT s.relname::text FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
             WHERE s.schemaname = current_schema() AND s.relname = ANY($1)
               AND s.n_mod_since_analyze > 50 + 0.1 * GREATEST(c.reltuples, 0)
             ORDER BY s.relname",
            &[&tables],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// The tables of rows of a version that have no foreign key to versions (a version's parts
/// since migration 5, sightings since migration 8): [`check`] looks for rows whose version
/// does not exist in their channel.
const VERSION_ROW_TABLES: [&str; 9] = [
    "sightings",
    "forwards",
    "media",
    "links",
    "hashtags",
    "mentions",
    "countries",
    "reactions",
    "entities",
];

/// The archive's invariants, as the SQLite store checks them (PostgreSQL enforces the other
/// foreign keys itself, and has no integrity check to run), the parts of versions that do not
/// exist, and the marks of committed versions.
fn check(db: &mut Db<'_, Client>) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for table in VERSION_ROW_TABLES {
        let n: i64 = db
            .one(
                &format!(
                    "SELECT COUNT(*) FROM {table} t WHERE NOT EXISTS
                         (SELECT 1 FROM versions v WHERE v.id = t.version_id
                          AND v.channel_id = t.channel_id)"
                ),
                &[],
            )?
            .get(0);
        if n > 0 {
            problems.push(format!("{n} rows of {table} of versions that do not exist"));
        }
    }
    let checks: &[(&str, &str)] = &[
        (
            "posts without a current version",
            "SELECT COUNT(*) FROM posts p WHERE p.current_version_id IS NULL
                 OR NOT EXISTS (SELECT 1 FROM versions v WHERE v.id = p.current_version_id
                                AND v.post_id = p.id AND v.channel_id = p.channel_id)",
        ),
        (
            "versions never sighted",
            "SELECT COUNT(*) FROM versions v WHERE NOT EXISTS
                 (SELECT 1 FROM sightings s WHERE s.version_id = v.id
                  AND s.channel_id = v.channel_id)",
        ),
        (
            "complete captures with no sightings",
            "SELECT COUNT(*) FROM captures c WHERE c.status = 'complete' AND c.posts_seen > 0
                 AND NOT EXISTS (SELECT 1 FROM sightings s WHERE s.capture_id = c.id)",
        ),
        (
            "committed versions without a mark",
            "SELECT COUNT(*) FROM versions v WHERE NOT EXISTS
                 (SELECT 1 FROM version_marks m WHERE m.version_id = v.id
                  AND m.channel_id = v.channel_id)",
        ),
    ];
    for (what, sql) in checks {
        let n: i64 = db.one(sql, &[])?.get(0);
        if n > 0 {
            problems.push(format!("{n} {what}"));
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_left_out_of_messages() {
        assert_eq!(
            redact("postgres://ann:secret@db:5432/archive"),
            "postgres://ann@db:5432/archive"
        );
        assert_eq!(
            redact("postgres://ann@db/archive"),
            "postgres://ann@db/archive"
        );
        assert_eq!(redact("host=db user=ann"), "host=db user=ann");
    }
}
