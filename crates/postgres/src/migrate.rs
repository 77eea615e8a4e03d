//! Versioned schema migrations: each applied once, in its own transaction, while holding an
//! advisory lock, so that several processes opening one archive at once migrate it once.

use std::collections::BTreeMap;

use postgres::Client;

use crate::sql;

/// One migration: its version, its name and its SQL (`src/migrations/NNNN_name.sql`).
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// 1, 2, ...: applied in this order.
    pub version: i64,
    /// Its name, recorded with it in `schema_migrations`.
    pub name: &'static str,
    /// Its statements.
    pub sql: &'static str,
}

/// A [`Migration`] of `src/migrations/<file>`.
macro_rules! migration {
    ($version:literal, $name:literal, $file:literal) => {
        Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!("migrations/", $file)),
        }
    };
}

/// Every migration, in order. Never edit a released one; add the next.
pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "archive", "0001_archive.sql"),
    migration!(2, "team", "0002_team.sql"),
    migration!(3, "marks", "0003_marks.sql"),
    migration!(4, "saved_searches", "0004_saved_searches.sql"),
    migration!(
        5,
        "parts_without_foreign_keys",
        "0005_parts_without_foreign_keys.sql"
    ),
    migration!(6, "raw_text_once", "0006_raw_text_once.sql"),
    migration!(7, "version_marks", "0007_version_marks.sql"),
    migration!(
        8,
        "sightings_without_foreign_key",
        "0008_sightings_without_foreign_key.sql"
    ),
    migration!(
        9,
        "texts_compressed_with_lz4",
        "0009_texts_compressed_with_lz4.sql"
    ),
    migration!(10, "posts_by_channel", "0010_posts_by_channel.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 10;

/// The key of the session advisory lock held while migrating (`tgscope` in ASCII). Any
/// process that changes the schema takes it first.
pub const LOCK_KEY: i64 = 0x0074_6773_636f_7065;

/// The table that records the migrations applied (a Citus reference table).
const CREATE_MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    bigint PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)";

/// Migrating failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// The database was migrated by a newer tgscope.
    #[error(
        "the archive's schema is version {found}, newer than this tgscope's ({supported}); \
         upgrade tgscope"
    )]
    TooNew {
        /// The database's version.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },
    /// `schema_migrations` names a migration otherwise than this build does: the database
    /// holds another schema.
    #[error(
        "schema_migrations records migration {version} as `{found}`, but tgscope's migration \
         {version} is `{expected}`: this database holds another schema"
    )]
    Mismatch {
        /// The migration.
        version: i64,
        /// The name the database records.
        found: String,
        /// The name this build gives it.
        expected: &'static str,
    },
    /// A statement of a migration failed (its transaction was rolled back).
    #[error("migration {version} ({name}), statement {index} at line {line} (`{head}`): {}", crate::describe(.source))]
    Statement {
        /// The migration.
        version: i64,
        /// Its name.
        name: &'static str,
        /// Which statement (1-based).
        index: usize,
        /// Its line in the migration's file.
        line: usize,
        /// Its first line.
        head: String,
        /// The server's error.
        #[source]
        source: postgres::Error,
    },
    /// Taking the lock, reading the applied migrations or committing failed.
    #[error("{action}: {}", crate::describe(.source))]
    Database {
        /// What was being done.
        action: String,
        /// The server's error.
        #[source]
        source: postgres::Error,
    },
}

fn database(action: impl Into<String>) -> impl FnOnce(postgres::Error) -> MigrateError {
    let action = action.into();
    move |source| MigrateError::Database { action, source }
}

/// Brings the database up to [`SCHEMA_VERSION`]: creates `schema_migrations` when missing,
/// then applies every migration newer than the database's version, each in its own
/// transaction, recording it there. Holds the advisory lock [`LOCK_KEY`] throughout, so a
/// second process migrating at the same time waits, then finds nothing left to do. Returns the
/// versions it applied (none when the schema was current).
pub fn migrate(client: &mut Client) -> Result<Vec<i64>, MigrateError> {
    migrate_to(client, SCHEMA_VERSION)
}

/// [`migrate`], up to the schema `version` only (to test a migration on a database of the
/// version before, holding data).
pub fn migrate_to(client: &mut Client, version: i64) -> Result<Vec<i64>, MigrateError> {
    let got_it: bool = client
        .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
        .and_then(|row| row.try_get(0))
        .map_err(database("taking the migration lock"))?;
    if !got_it {
        tracing::info!("waiting for another process migrating the archive");
        client
            .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
            .map_err(database("waiting for the migration lock"))?;
    }
    let migrated = migrate_locked(client, version);
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
        .map_err(database("releasing the migration lock"));
    let applied = migrated?;
    unlocked?;
    Ok(applied)
}

fn migrate_locked(client: &mut Client, version: i64) -> Result<Vec<i64>, MigrateError> {
    client
        .batch_execute(CREATE_MIGRATIONS_TABLE)
        .map_err(database("creating schema_migrations"))?;
    let recorded = applied(client)?;
    let current = recorded.keys().next_back().copied().unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Err(MigrateError::TooNew {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for m in MIGRATIONS {
        if let Some(found) = recorded.get(&m.version)
            && found != m.name
        {
            return Err(MigrateError::Mismatch {
                version: m.version,
                found: found.clone(),
                expected: m.name,
            });
        }
    }
    let mut done = Vec::new();
    for m in MIGRATIONS
        .iter()
        .filter(|m| m.version > current && m.version <= version)
    {
        apply(client, m)?;
        tracing::info!(
            version = m.version,
            name = m.name,
            "applied archive migration"
        );
        done.push(m.version);
    }
    Ok(done)
}

fn apply(client: &mut Client, m: &Migration) -> Result<(), MigrateError> {
    let mut tx = client.transaction().map_err(database(format!(
        "starting migration {} ({})",
        m.version, m.name
    )))?;
    for (i, statement) in sql::statements(m.sql).iter().enumerate() {
        tx.batch_execute(statement.text)
            .map_err(|source| MigrateError::Statement {
                version: m.version,
                name: m.name,
                index: i + 1,
                line: statement.line,
                head: statement.head().to_string(),
                source,
            })?;
    }
    tx.execute(
        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
        &[&m.version, &m.name],
    )
    .map_err(database(format!(
        "recording migration {} ({})",
        m.version, m.name
    )))?;
    tx.commit().map_err(database(format!(
        "committing migration {} ({})",
        m.version, m.name
    )))
}

/// The migrations a database records, by version.
fn applied(client: &mut Client) -> Result<BTreeMap<i64, String>, MigrateError> {
    client
        .query("SELECT version, name FROM schema_migrations", &[])
        .map_err(database("reading schema_migrations"))?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect::<Result<_, postgres::Error>>()
        .map_err(database("reading schema_migrations"))
}

/// The schema version of a database: the newest migration it records, 0 when it has none (or
/// no `schema_migrations` table).
pub fn version(client: &mut Client) -> Result<i64, MigrateError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .and_then(|row| row.try_get(0))
        .map_err(database("looking for schema_migrations"))?;
    if !exists {
        return Ok(0);
    }
    client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .and_then(|row| row.try_get(0))
        .map_err(database("reading schema_migrations"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_count_up_from_one_to_the_schema_version() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.name);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }

    #[test]
    fn the_lock_key_spells_tgscope() {
        assert_eq!(&LOCK_KEY.to_be_bytes()[1..], b"tgscope");
    }
}
