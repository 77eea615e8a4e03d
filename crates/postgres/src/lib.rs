//! The team archive on PostgreSQL: its schema, the migrations that build it, the plan that
//! spreads it over a Citus cluster, and a throwaway PostgreSQL server for tests.
//!
//! Place in the pipeline: beside `tgscope-store` (the embedded SQLite archive), below the
//! engine. A team shares one archive in PostgreSQL; the raw captures and media stay in a
//! content-addressed folder the servers share (`tgscope_archive::RawStore`), and each `serve`
//! keeps its own search index and derived data, caught up from the archive's mark
//! (`docs/team.md`).
//!
//! Main items:
//! - [`migrate::migrate`]: brings a database up to [`migrate::SCHEMA_VERSION`] (each migration
//!   once, in its own transaction, under an advisory lock so that processes starting together
//!   do not collide; a newer schema is refused). The migrations are `src/migrations/*.sql`:
//!   everything the SQLite archive holds after its migration 7, and the team mode's accounts,
//!   sessions, API tokens and audit log.
//! - [`citus`]: which tables are distributed by `channel_id` and which are reference tables
//!   ([`citus::DISTRIBUTED`], [`citus::REFERENCE`]), and the statements that distribute the
//!   schema on a Citus cluster ([`citus::statements`], quoted in `docs/team.md`).
//! - [`testing::ThrowawayServer`]: a PostgreSQL server in a temporary folder on a free port,
//!   for tests (this crate's and other crates' as a dev-dependency), and
//!   [`testing::database`], a fresh database on a server shared by a test binary.
//!
//! What it does not do yet: read or write the archive. The backend's reads and writes come with
//! the store's traits (issue 16); until then no command opens a PostgreSQL archive.

pub mod citus;
pub mod migrate;
pub mod sql;
pub mod testing;

pub use migrate::{MigrateError, SCHEMA_VERSION, migrate};

/// A client error as one line for messages: the server's own message (with its detail and
/// hint) for a database error, else the error and its causes. `postgres::Error` alone prints
/// only `db error`.
pub(crate) fn describe(error: &postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        let mut text = format!("{}: {}", db.severity(), db.message());
        if let Some(detail) = db.detail() {
            text.push_str(&format!(" ({detail})"));
        }
        if let Some(hint) = db.hint() {
            text.push_str(&format!(" (hint: {hint})"));
        }
        return text;
    }
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}
