//! Team mode's vocabulary: the accounts of a shared archive with their roles, the sessions of
//! signed-in browsers, API tokens, the audit log of every change and export, the team's saved
//! searches and its view of collection runs; and
//! [`TeamStore`], what a backend that keeps them answers (only the PostgreSQL archive does: the
//! embedded archive's `serve` is a local viewer without accounts).
//!
//! No secret crosses this module in clear: passwords arrive as argon2 hashes (PHC strings),
//! session and API tokens as the SHA-256 (hex) of the token handed out.

use serde::Serialize;

use crate::Result;

/// What an account may do. Roles are ordered: each allows what the ones before it allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Browse, search, export.
    Reader,
    /// Also ingest uploads, collect, narratives and saved searches.
    Editor,
    /// Also accounts.
    Admin,
}

impl Role {
    /// Every role, from the least to the most allowed.
    pub const ALL: [Role; 3] = [Role::Reader, Role::Editor, Role::Admin];

    /// The role's stable name (`reader`, `editor`, `admin`), as the archive stores it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// The role of a stable name (any case); `None` for a name of none.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// Whether this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An account of the team (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// Its id in the archive.
    pub id: i64,
    /// The sign-in name.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// A disabled account cannot sign in, and its sessions and tokens no longer work.
    pub disabled: bool,
    /// When it was added (RFC 3339 UTC).
    pub created_at: String,
}

/// An API token as listed (never its secret, which is shown once when it is created).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    /// Its id in the archive.
    pub id: i64,
    /// The account it acts for.
    pub account_id: i64,
    /// What its owner called it.
    pub name: String,
    /// When it was created (RFC 3339 UTC).
    pub created_at: String,
    /// When it was revoked; `None` while it works.
    pub revoked_at: Option<String>,
    /// When a request last used it.
    pub last_used_at: Option<String>,
}

/// One entry of the audit log: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Its id (entries are numbered in the order they were written).
    pub id: i64,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// The account that acted; `None` for the command line run on the server itself.
    pub account_id: Option<i64>,
    /// Who, as named at the time (an account's name, or `cli:<system user>`).
    pub actor: String,
    /// What, as a stable name (`ingest`, `export`, `user.add`, `token.revoke`, ...).
    pub action: String,
    /// The particulars, as a JSON object's text; never a password or token.
    pub details: String,
}

/// An entry to append to the audit log.
#[derive(Debug, Clone, Copy)]
pub struct NewAuditEntry<'a> {
    /// The account that acted, if an account did.
    pub account_id: Option<i64>,
    /// Who, as named now.
    pub actor: &'a str,
    /// What.
    pub action: &'a str,
    /// The particulars, as a JSON object's text.
    pub details: &'a str,
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditPage {
    /// The entries, newest first.
    pub entries: Vec<AuditEntry>,
    /// Whether older entries exist beyond this page.
    pub more: bool,
}

/// A signed-in browser's session, found by its token's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The account signed in (never a disabled one).
    pub account: Account,
    /// The token every form of the session sends back (CSRF protection).
    pub csrf_token: String,
    /// When the session ends (RFC 3339 UTC).
    pub expires_at: String,
}

/// A team's saved search: a name for a search of the search page, with a note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedSearch {
    /// Its id in the archive.
    pub id: i64,
    /// Its name, as written (unique whatever the case).
    pub name: String,
    /// The search page's query string (`q=...&channel=...`), without the `?`.
    pub query: String,
    /// What it is for.
    pub note: String,
    /// The account that saved it, while the account exists.
    pub created_by_id: Option<i64>,
    /// Who saved it, as named then.
    pub created_by: String,
    /// When it was saved (RFC 3339 UTC).
    pub created_at: String,
    /// When it was last changed (RFC 3339 UTC; `created_at` until it is).
    pub updated_at: String,
}

/// A saved search to add.
#[derive(Debug, Clone, Copy)]
pub struct NewSavedSearch<'a> {
    /// Its name.
    pub name: &'a str,
    /// The name's key ([`saved_search_key`]), unique in the archive.
    pub key: &'a str,
    /// The search page's query string.
    pub query: &'a str,
    /// What it is for.
    pub note: &'a str,
    /// The account saving it, if an account does.
    pub account_id: Option<i64>,
    /// Who saves it, as named now.
    pub actor: &'a str,
}

/// The key a saved search's name is found and kept unique by: trimmed, lower case.
pub fn saved_search_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// A collection run as the team's server lists it: the archive's record of the run, with
/// whether and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectRunStatus {
    /// The run.
    pub run: crate::CollectRun,
    /// When it ended (RFC 3339 UTC); `None` while it runs, or when it was interrupted (the
    /// next collection of the channel resumes it).
    pub finished_at: Option<String>,
    /// Why it stopped (`reached_archived`, `reached_since`, `reached_beginning`, `max_pages`,
    /// `no_progress`), once it has.
    pub outcome: Option<String>,
}

/// What a backend with accounts answers: accounts, sessions, API tokens and the audit log.
/// Every look-up reads the database: disabling an account or revoking a token takes effect at
/// the next request.
pub trait TeamStore {
    /// Adds an account with an argon2 hash (PHC string) of its password; `None` when an
    /// account of that name exists.
    fn add_account(&self, name: &str, password_hash: &str, role: Role) -> Result<Option<Account>>;

    /// The account of this name (exactly as written) with its password hash.
    fn account_by_name(&self, name: &str) -> Result<Option<(Account, String)>>;

    /// Every account, by name.
    fn accounts(&self) -> Result<Vec<Account>>;

    /// Disables or enables an account; false when there is no such account.
    fn set_disabled(&self, account_id: i64, disabled: bool) -> Result<bool>;

    /// Replaces an account's password hash; false when there is no such account.
    fn set_password_hash(&self, account_id: i64, password_hash: &str) -> Result<bool>;

    /// Records a session: the hash of its token, its account, its CSRF token and when it ends
    /// (RFC 3339 UTC).
    fn insert_session(
        &self,
        token_hash: &str,
        account_id: i64,
        csrf_token: &str,
        expires_at: &str,
    ) -> Result<()>;

    /// The session with this token hash, while it has not ended and its account is enabled.
    fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>>;

    /// Ends a session; false when there was none.
    fn delete_session(&self, token_hash: &str) -> Result<bool>;

    /// Ends every session of an account; how many.
    fn delete_sessions_of(&self, account_id: i64) -> Result<u64>;

    /// Records an API token of an account by the hash of its secret.
    fn insert_api_token(&self, account_id: i64, name: &str, token_hash: &str) -> Result<ApiToken>;

    /// The API tokens of an account, revoked ones too, oldest first.
    fn api_tokens(&self, account_id: i64) -> Result<Vec<ApiToken>>;

    /// Revokes a token of this account; false when the account has no such working token.
    fn revoke_api_token(&self, account_id: i64, token_id: i64) -> Result<bool>;

    /// The account a working API token (not revoked, its account enabled) acts for, found by
    /// the hash of its secret; records when it was last used (to the minute: at most one write a minute).
    fn account_by_api_token(&self, token_hash: &str) -> Result<Option<Account>>;

    /// Appends an entry to the audit log.
    fn append_audit(&self, entry: &NewAuditEntry<'_>) -> Result<AuditEntry>;

    /// At most `limit` entries of the audit log older than the entry `before` (the newest when
    /// `None`), newest first, and whether more exist.
    fn audit_entries(&self, limit: u64, before: Option<i64>) -> Result<AuditPage>;

    /// Every saved search, by name.
    fn saved_searches(&self) -> Result<Vec<SavedSearch>>;

    /// The saved search whose name has this key ([`saved_search_key`]).
    fn saved_search(&self, key: &str) -> Result<Option<SavedSearch>>;

    /// Adds a saved search; `None` when one of that key exists.
    fn add_saved_search(&self, search: &NewSavedSearch<'_>) -> Result<Option<SavedSearch>>;

    /// Replaces the query and the note of the saved search with this key (its update time
    /// now); `None` when there is none.
    fn update_saved_search(
        &self,
        key: &str,
        query: &str,
        note: &str,
    ) -> Result<Option<SavedSearch>>;

    /// Deletes the saved search with this key; what it was, `None` when there was none.
    fn delete_saved_search(&self, key: &str) -> Result<Option<SavedSearch>>;

    /// The newest `limit` collection runs (by every process: the server's and the command
    /// line's), newest first.
    fn recent_collect_runs(&self, limit: u64) -> Result<Vec<CollectRunStatus>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_named() {
        assert!(Role::Admin.allows(Role::Editor));
        assert!(Role::Editor.allows(Role::Reader));
        assert!(Role::Editor.allows(Role::Editor));
        assert!(!Role::Reader.allows(Role::Editor));
        assert!(!Role::Editor.allows(Role::Admin));
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse(" Admin "), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }
}
