//! Versioned schema migrations, applied in order inside one transaction each.

use rusqlite::Connection;
use std::path::Path;

use tgscope_archive::{ArchiveError, Result};

/// A step of a migration that SQL cannot express (keys computed by tgscope-text), run in the
/// migration's transaction after its SQL.
type Step = fn(&rusqlite::Transaction<'_>) -> Result<()>;

/// Every migration, in order: (version, name, SQL, a Rust step after the SQL). Never edit a
/// released one; add the next.
const MIGRATIONS: &[(i64, &str, &str, Option<Step>)] = &[
    (
        1,
        "archive",
        include_str!("migrations/0001_archive.sql"),
        None,
    ),
    (
        2,
        "exports",
        include_str!("migrations/0002_exports.sql"),
        None,
    ),
    (
        3,
        "web_preview",
        include_str!("migrations/0003_web_preview.sql"),
        None,
    ),
    (
        4,
        "name_keys",
        include_str!("migrations/0004_name_keys.sql"),
        Some(rekey_names),
    ),
    (
        5,
        "capture_time",
        include_str!("migrations/0005_capture_time.sql"),
        None,
    ),
    (
        6,
        "settings",
        include_str!("migrations/0006_settings.sql"),
        None,
    ),
    (
        7,
        "narratives",
        include_str!("migrations/0007_narratives.sql"),
        None,
    ),
    (
        8,
        "ingest_indexes",
        include_str!("migrations/0008_ingest_indexes.sql"),
        None,
    ),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 8;

/// Brings the database up to [`SCHEMA_VERSION`].
pub fn migrate(conn: &mut Connection, dir: &Path) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY,
             name TEXT NOT NULL,
             applied_at TEXT NOT NULL
         );",
    )?;
    let current: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?;
    if current > SCHEMA_VERSION {
        return Err(ArchiveError::TooNew {
            path: dir.to_path_buf(),
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for (version, name, sql, step) in MIGRATIONS.iter().filter(|(v, ..)| *v > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        if let Some(step) = step {
            step(&tx)?;
        }
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![version, name, crate::now()],
        )?;
        tx.commit()?;
        tracing::info!(version, name, "applied archive migration");
    }
    Ok(())
}

/// Migration 4: the name, tag and mention keys of rows written before the keys came from
/// tgscope-text's `names` module, recomputed.
fn rekey_names(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    use tgscope_text::names::{name_key, tag_key};
    for (table, value, key) in [
        ("channel_aliases", "alias", "alias_loose"),
        ("hashtags", "tag", "tag_key"),
        ("mentions", "username", "username_key"),
    ] {
        let rows = tx
            .prepare(&format!("SELECT rowid, {value} FROM {table}"))?
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut update = tx.prepare(&format!("UPDATE {table} SET {key} = ?2 WHERE rowid = ?1"))?;
        for (rowid, text) in rows {
            let new = if table == "channel_aliases" {
                name_key(&text)
            } else {
                tag_key(&text)
            };
            update.execute(rusqlite::params![rowid, new])?;
        }
    }
    Ok(())
}

/// The schema version of an open database.
pub fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?)
}
