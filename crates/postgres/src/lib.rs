//! The team archive on PostgreSQL: the archive itself ([`PgArchive`]), its schema, the
//! migrations that build it, the plan that spreads it over a Citus cluster, and a throwaway
//! PostgreSQL server for tests.
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
//! - [`PgArchive`]: an open archive on PostgreSQL, implementing every trait of
//!   `tgscope_archive::backend` with the behaviour of the SQLite store (`tgscope-store`), whose
//!   SQL each module translates (`query`, `browse`, `feed`, `narratives`, `watch`, `write`).
//!   [`PgWriter`] is one write transaction; its commit gives the versions it added their
//!   marks in commit order ([`write::MARK_LOCK_KEY`]), so that derived data caught up by the
//!   archive's mark misses no version committed late. A conflict with a concurrent transaction
//!   fails with an error that says to retry ([`PgError::retryable`], [`is_retryable`]).
//!
//! What it does not do: decide identity (the engine does, with the look-ups offered here), or
//! keep the raw captures and derived data (files in the archive's folder, as on SQLite).

pub mod archive;
mod browse;
pub mod citus;
mod db;
mod feed;
pub mod migrate;
mod narratives;
mod pending;
mod query;
pub mod sql;
mod team;
pub mod testing;
mod watch;
pub mod write;

pub use archive::PgArchive;
pub use db::{PgError, is_retryable};
pub use migrate::{MigrateError, SCHEMA_VERSION, migrate};
pub use write::PgWriter;

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
