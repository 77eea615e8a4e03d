//! Versioned schema migrations, applied in order inside one transaction each.

use rusqlite::Connection;
use std::path::Path;

use crate::error::{Result, StoreError};

/// Every migration, in order: (version, name, SQL). Never edit a released one; add the next.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "archive", include_str!("migrations/0001_archive.sql")),
    (2, "exports", include_str!("migrations/0002_exports.sql")),
    (
        3,
        "web_preview",
        include_str!("migrations/0003_web_preview.sql"),
    ),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 3;

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
        return Err(StoreError::TooNew {
            path: dir.to_path_buf(),
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![version, name, crate::now()],
        )?;
        tx.commit()?;
        tracing::info!(version, name, "applied archive migration");
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
