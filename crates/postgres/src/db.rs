//! What every query of the archive goes through: the prepared statements of a connection, kept
//! by their SQL, and the client's errors as the archive's ([`PgError`] inside
//! [`ArchiveError::Backend`]), with a conflict between concurrent transactions told apart as
//! one to retry ([`ArchiveError::Conflict`]).

use std::cell::RefCell;
use std::collections::HashMap;

use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{GenericClient, Row, Statement};
use tgscope_archive::{ArchiveError, Result};

/// A parameter of a statement.
pub(crate) type Param<'a> = &'a (dyn ToSql + Sync);

/// An error of the PostgreSQL archive: the server's message (with its detail and hint), and
/// whether the transaction failed only because a concurrent one conflicted with it, so that
/// running it again can succeed.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct PgError {
    message: String,
    retry: bool,
    #[source]
    source: postgres::Error,
}

impl PgError {
    /// True when the transaction was rolled back because of a concurrent one (a serialization
    /// failure, a deadlock, or a row another transaction added with the same key at the same
    /// time): running the same work again in a new transaction can succeed.
    pub fn retryable(&self) -> bool {
        self.retry
    }

    /// The client's error.
    pub fn client_error(&self) -> &postgres::Error {
        &self.source
    }
}

/// Whether an error of the archive is a [`PgError`] worth retrying ([`PgError::retryable`]).
pub fn is_retryable(error: &ArchiveError) -> bool {
    error
        .backend_source()
        .and_then(|e| e.downcast_ref::<PgError>())
        .is_some_and(PgError::retryable)
}

/// A client error as the archive's: the server's message, and for a conflict with a concurrent
/// transaction, that the transaction was rolled back and can be retried.
pub(crate) fn pg(source: postgres::Error) -> ArchiveError {
    let code = source.code();
    let retry = code.is_some_and(|c| {
        *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
            || *c == SqlState::UNIQUE_VIOLATION
    });
    let mut message = crate::describe(&source);
    if retry {
        message.push_str(
            "; a concurrent transaction conflicted with this one, which was rolled back: \
             retry it",
        );
    }
    let source = Box::new(PgError {
        message,
        retry,
        source,
    });
    if retry {
        ArchiveError::Conflict { source }
    } else {
        ArchiveError::Backend { source }
    }
}

/// The statements prepared on one connection, by their SQL (a statement survives the end of
/// the transaction it was prepared in).
#[derive(Default)]
pub(crate) struct Statements(RefCell<HashMap<String, Statement>>);

/// A connection (a client or a transaction) with its prepared statements.
pub(crate) struct Db<'s, C: GenericClient> {
    pub(crate) client: &'s mut C,
    pub(crate) statements: &'s Statements,
}

impl<C: GenericClient> Db<'_, C> {
    /// The statement of `sql`, prepared once per connection.
    pub(crate) fn prepare(&mut self, sql: &str) -> Result<Statement> {
        if let Some(found) = self.statements.0.borrow().get(sql) {
            return Ok(found.clone());
        }
        let statement = self.client.prepare(sql).map_err(pg)?;
        self.statements
            .0
            .borrow_mut()
            .insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    /// Every row of a query.
    pub(crate) fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
        let statement = self.prepare(sql)?;
        self.client.query(&statement, params).map_err(pg)
    }

    /// The row of a query that returns one.
    pub(crate) fn one(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Row> {
        let statement = self.prepare(sql)?;
        self.client.query_one(&statement, params).map_err(pg)
    }

    /// The row of a query that returns at most one.
    pub(crate) fn opt(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Option<Row>> {
        let statement = self.prepare(sql)?;
        self.client.query_opt(&statement, params).map_err(pg)
    }

    /// Runs a statement; the rows it changed.
    pub(crate) fn exec(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        let statement = self.prepare(sql)?;
        self.client.execute(&statement, params).map_err(pg)
    }
}

/// SQL that reads a `timestamptz` column as the SQLite archive's text: RFC 3339 UTC with whole
/// seconds (`2023-02-28T14:17:15Z`).
macro_rules! ts {
    ($column:literal) => {
        concat!(
            "to_char(",
            $column,
            " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        )
    };
}
pub(crate) use ts;

/// SQL for when a capture `c` was made, as the SQLite store's `OBSERVED_AT`: the time recorded
/// with it (`captured_at`: given by the user, its fetch time, or what the file says), else its
/// first fetch time, else its ingest time; as text.
macro_rules! observed_at {
    () => {
        concat!(
            "COALESCE(c.captured_at, (SELECT ",
            $crate::db::ts!("MIN(f.fetched_at)"),
            " FROM fetches f WHERE f.capture_id = c.id), ",
            $crate::db::ts!("c.ingested_at"),
            ")"
        )
    };
}
pub(crate) use observed_at;

/// A count or size as the archive's records hold it (never negative in the archive).
pub(crate) fn unsigned(n: i64) -> u64 {
    n.max(0) as u64
}

/// An optional count or size.
pub(crate) fn opt_unsigned(n: Option<i64>) -> Option<u64> {
    n.map(unsigned)
}

/// A count or size as PostgreSQL's bigint (saturating).
pub(crate) fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The current time as the archive records it: RFC 3339 UTC with whole seconds (the clock of
/// this process, as the SQLite archive's).
pub(crate) fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A value as JSON text, for the jsonb columns.
pub(crate) fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A small structure from its jsonb column (read as text).
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: Option<String>) -> Option<T> {
    serde_json::from_str(&text?).ok()
}
