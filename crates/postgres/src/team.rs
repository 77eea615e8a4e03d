//! Team mode's accounts, sessions, API tokens and audit log on PostgreSQL (the tables of
//! migration `0002_team.sql`), its saved searches (`0004_saved_searches.sql`) and its view of
//! collection runs: [`TeamStore`] for [`PgArchive`]. Only hashes of secrets are
//! stored (argon2 PHC strings for passwords, SHA-256 hex for session and API tokens), and every
//! look-up reads the tables, so that a disabled account or a revoked token stops working at the
//! next request.

use postgres::Row;
use tgscope_archive::team::{CollectRunStatus, NewSavedSearch, SavedSearch};
use tgscope_archive::{
    Account, ApiToken, ArchiveError, AuditEntry, AuditPage, NewAuditEntry, Result, Role,
    SessionRecord, TeamStore,
};

use crate::PgArchive;
use crate::db::{now, signed, ts};

/// The columns of an account, as [`account`] reads them (prefixed by the table's alias `a`).
macro_rules! account_columns {
    () => {
        concat!("a.id, a.name, a.role, a.disabled, ", ts!("a.created_at"))
    };
}

/// The columns of an API token, as [`api_token`] reads them.
macro_rules! token_columns {
    () => {
        concat!(
            "id, account_id, name, ",
            ts!("created_at"),
            ", ",
            ts!("revoked_at"),
            ", ",
            ts!("last_used_at")
        )
    };
}

/// The columns of an audit entry, as [`audit_entry`] reads them.
macro_rules! audit_columns {
    () => {
        concat!(
            "id, ",
            ts!("at"),
            ", account_id, actor, action, details::text"
        )
    };
}

/// The columns of a saved search, as [`saved_search`] reads them.
macro_rules! saved_search_columns {
    () => {
        concat!(
            "id, name, query, note, created_by_id, created_by, ",
            ts!("created_at"),
            ", ",
            ts!("updated_at")
        )
    };
}

fn saved_search(row: &Row) -> SavedSearch {
    SavedSearch {
        id: row.get(0),
        name: row.get(1),
        query: row.get(2),
        note: row.get(3),
        created_by_id: row.get(4),
        created_by: row.get(5),
        created_at: row.get(6),
        updated_at: row.get(7),
    }
}

/// An account from [`account_columns`] starting at column `at`.
fn account(row: &Row, at: usize) -> Result<Account> {
    let role: String = row.get(at + 2);
    Ok(Account {
        id: row.get(at),
        name: row.get(at + 1),
        role: Role::parse(&role)
            .ok_or_else(|| ArchiveError::Corrupt(format!("account with role {role:?}")))?,
        disabled: row.get(at + 3),
        created_at: row.get(at + 4),
    })
}

fn api_token(row: &Row) -> ApiToken {
    ApiToken {
        id: row.get(0),
        account_id: row.get(1),
        name: row.get(2),
        created_at: row.get(3),
        revoked_at: row.get(4),
        last_used_at: row.get(5),
    }
}

fn audit_entry(row: &Row) -> AuditEntry {
    AuditEntry {
        id: row.get(0),
        at: row.get(1),
        account_id: row.get(2),
        actor: row.get(3),
        action: row.get(4),
        details: row.get(5),
    }
}

impl TeamStore for PgArchive {
    fn add_account(&self, name: &str, password_hash: &str, role: Role) -> Result<Option<Account>> {
        self.db(|db| {
            // A name taken is an answer, not a conflict to retry.
            let row = db.opt(
                concat!(
                    "INSERT INTO accounts AS a (name, password_hash, role, created_at)
                     VALUES ($1, $2, $3, $4::text::timestamptz)
                     ON CONFLICT (name) DO NOTHING
                     RETURNING ",
                    account_columns!()
                ),
                &[&name, &password_hash, &role.as_str(), &now()],
            )?;
            row.map(|r| account(&r, 0)).transpose()
        })
    }

    fn account_by_name(&self, name: &str) -> Result<Option<(Account, String)>> {
        self.db(|db| {
            let row = db.opt(
                concat!(
                    "SELECT ",
                    account_columns!(),
                    ", a.password_hash FROM accounts a WHERE a.name = $1"
                ),
                &[&name],
            )?;
            row.map(|r| Ok((account(&r, 0)?, r.get(5)))).transpose()
        })
    }

    fn accounts(&self) -> Result<Vec<Account>> {
        self.db(|db| {
            db.query(
                concat!(
                    "SELECT ",
                    account_columns!(),
                    " FROM accounts a ORDER BY a.name COLLATE \"C\""
                ),
                &[],
            )?
            .iter()
            .map(|r| account(r, 0))
            .collect()
        })
    }

    fn set_disabled(&self, account_id: i64, disabled: bool) -> Result<bool> {
        self.db(|db| {
            Ok(db.exec(
                "UPDATE accounts SET disabled = $2 WHERE id = $1",
                &[&account_id, &disabled],
            )? > 0)
        })
    }

    fn set_password_hash(&self, account_id: i64, password_hash: &str) -> Result<bool> {
        self.db(|db| {
            Ok(db.exec(
                "UPDATE accounts SET password_hash = $2 WHERE id = $1",
                &[&account_id, &password_hash],
            )? > 0)
        })
    }

    fn insert_session(
        &self,
        token_hash: &str,
        account_id: i64,
        csrf_token: &str,
        expires_at: &str,
    ) -> Result<()> {
        self.db(|db| {
            // Ended sessions are removed as new ones begin.
            db.exec("DELETE FROM sessions WHERE expires_at <= now()", &[])?;
            db.exec(
                "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at)
                 VALUES ($1, $2, $3, $4::text::timestamptz, $5::text::timestamptz)",
                &[&token_hash, &account_id, &csrf_token, &now(), &expires_at],
            )?;
            Ok(())
        })
    }

    fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>> {
        self.db(|db| {
            let row = db.opt(
                concat!(
                    "SELECT ",
                    account_columns!(),
                    ", s.csrf_token, ",
                    ts!("s.expires_at"),
                    " FROM sessions s JOIN accounts a ON a.id = s.account_id
                     WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT a.disabled"
                ),
                &[&token_hash],
            )?;
            row.map(|r| {
                Ok(SessionRecord {
                    account: account(&r, 0)?,
                    csrf_token: r.get(5),
                    expires_at: r.get(6),
                })
            })
            .transpose()
        })
    }

    fn delete_session(&self, token_hash: &str) -> Result<bool> {
        self.db(|db| Ok(db.exec("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])? > 0))
    }

    fn delete_sessions_of(&self, account_id: i64) -> Result<u64> {
        self.db(|db| db.exec("DELETE FROM sessions WHERE account_id = $1", &[&account_id]))
    }

    fn insert_api_token(&self, account_id: i64, name: &str, token_hash: &str) -> Result<ApiToken> {
        self.db(|db| {
            let row = db.one(
                concat!(
                    "INSERT INTO api_tokens (account_id, name, token_hash, created_at)
                     VALUES ($1, $2, $3, $4::text::timestamptz) RETURNING ",
                    token_columns!()
                ),
                &[&account_id, &name, &token_hash, &now()],
            )?;
            Ok(api_token(&row))
        })
    }

    fn api_tokens(&self, account_id: i64) -> Result<Vec<ApiToken>> {
        self.db(|db| {
            Ok(db
                .query(
                    concat!(
                        "SELECT ",
                        token_columns!(),
                        " FROM api_tokens WHERE account_id = $1 ORDER BY id"
                    ),
                    &[&account_id],
                )?
                .iter()
                .map(api_token)
                .collect())
        })
    }

    fn revoke_api_token(&self, account_id: i64, token_id: i64) -> Result<bool> {
        self.db(|db| {
            Ok(db.exec(
                "UPDATE api_tokens SET revoked_at = $3::text::timestamptz
                 WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL",
                &[&token_id, &account_id, &now()],
            )? > 0)
        })
    }

    fn account_by_api_token(&self, token_hash: &str) -> Result<Option<Account>> {
        self.db(|db| {
            let row = db.opt(
                // The token's last use is written at most once a minute: a write (and its
                // commit's flush to disk) on every request cost each API call a few ms.
                concat!(
                    "WITH touched AS (
                         UPDATE api_tokens t SET last_used_at = $2::text::timestamptz
                         FROM accounts a
                         WHERE t.token_hash = $1 AND t.revoked_at IS NULL
                           AND a.id = t.account_id AND NOT a.disabled
                           AND (t.last_used_at IS NULL
                                OR t.last_used_at < $2::text::timestamptz - interval '1 minute')
                     )
                     SELECT ",
                    account_columns!(),
                    " FROM api_tokens t JOIN accounts a ON a.id = t.account_id
                     WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT a.disabled"
                ),
                &[&token_hash, &now()],
            )?;
            row.map(|r| account(&r, 0)).transpose()
        })
    }

    fn append_audit(&self, entry: &NewAuditEntry<'_>) -> Result<AuditEntry> {
        self.db(|db| {
            let row = db.one(
                concat!(
                    "INSERT INTO audit_log (at, account_id, actor, action, details)
                     VALUES ($1::text::timestamptz, $2, $3, $4, $5::text::jsonb) RETURNING ",
                    audit_columns!()
                ),
                &[
                    &now(),
                    &entry.account_id,
                    &entry.actor,
                    &entry.action,
                    &entry.details,
                ],
            )?;
            Ok(audit_entry(&row))
        })
    }

    fn audit_entries(&self, limit: u64, before: Option<i64>) -> Result<AuditPage> {
        self.db(|db| {
            // One more than asked says whether more exist.
            let rows = db.query(
                concat!(
                    "SELECT ",
                    audit_columns!(),
                    " FROM audit_log WHERE $1::bigint IS NULL OR id < $1
                     ORDER BY id DESC LIMIT $2"
                ),
                &[&before, &signed(limit.saturating_add(1))],
            )?;
            let more = rows.len() as u64 > limit;
            Ok(AuditPage {
                entries: rows
                    .iter()
                    .take(usize::try_from(limit).unwrap_or(usize::MAX))
                    .map(audit_entry)
                    .collect(),
                more,
            })
        })
    }

    fn saved_searches(&self) -> Result<Vec<SavedSearch>> {
        self.db(|db| {
            Ok(db
                .query(
                    concat!(
                        "SELECT ",
                        saved_search_columns!(),
                        " FROM saved_searches ORDER BY name_key COLLATE \"C\", id"
                    ),
                    &[],
                )?
                .iter()
                .map(saved_search)
                .collect())
        })
    }

    fn saved_search(&self, key: &str) -> Result<Option<SavedSearch>> {
        self.db(|db| {
            Ok(db
                .opt(
                    concat!(
                        "SELECT ",
                        saved_search_columns!(),
                        " FROM saved_searches WHERE name_key = $1"
                    ),
                    &[&key],
                )?
                .map(|r| saved_search(&r)))
        })
    }

    fn add_saved_search(&self, search: &NewSavedSearch<'_>) -> Result<Option<SavedSearch>> {
        self.db(|db| {
            // A name taken is an answer, not a conflict to retry.
            let at = now();
            Ok(db
                .opt(
                    concat!(
                        "INSERT INTO saved_searches
                             (name, name_key, query, note, created_by_id, created_by,
                              created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7::text::timestamptz,
                                 $7::text::timestamptz)
                         ON CONFLICT (name_key) DO NOTHING
                         RETURNING ",
                        saved_search_columns!()
                    ),
                    &[
                        &search.name,
                        &search.key,
                        &search.query,
                        &search.note,
                        &search.account_id,
                        &search.actor,
                        &at,
                    ],
                )?
                .map(|r| saved_search(&r)))
        })
    }

    fn update_saved_search(
        &self,
        key: &str,
        query: &str,
        note: &str,
    ) -> Result<Option<SavedSearch>> {
        self.db(|db| {
            Ok(db
                .opt(
                    concat!(
                        "UPDATE saved_searches
                         SET query = $2, note = $3, updated_at = $4::text::timestamptz
                         WHERE name_key = $1
                         RETURNING ",
                        saved_search_columns!()
                    ),
                    &[&key, &query, &note, &now()],
                )?
                .map(|r| saved_search(&r)))
        })
    }

    fn delete_saved_search(&self, key: &str) -> Result<Option<SavedSearch>> {
        self.db(|db| {
            Ok(db
                .opt(
                    concat!(
                        "DELETE FROM saved_searches WHERE name_key = $1 RETURNING ",
                        saved_search_columns!()
                    ),
                    &[&key],
                )?
                .map(|r| saved_search(&r)))
        })
    }

    fn recent_collect_runs(&self, limit: u64) -> Result<Vec<CollectRunStatus>> {
        self.db(|db| {
            Ok(db
                .query(
                    concat!(
                        "SELECT ",
                        crate::watch::collect_run_columns!(),
                        ", ",
                        ts!("finished_at"),
                        ", outcome FROM collect_runs ORDER BY id DESC LIMIT $1"
                    ),
                    &[&signed(limit)],
                )?
                .iter()
                .map(|r| CollectRunStatus {
                    run: crate::watch::collect_run(r),
                    finished_at: r.get(8),
                    outcome: r.get(9),
                })
                .collect())
        })
    }
}
