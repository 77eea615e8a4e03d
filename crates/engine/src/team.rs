//! Team mode's accounts, sign-in, API tokens, audit log and saved searches, and its view of
//! collection runs, over an archive that keeps them
//! ([`tgscope_archive::TeamStore`]: the PostgreSQL archive). [`Engine::team`] gives the handle,
//! [`Team`], or says that accounts exist only in team mode.
//!
//! - Passwords: at least [`MIN_PASSWORD_CHARS`] characters, hashed with argon2id (the `argon2`
//!   crate's default parameters, a random salt from the operating system), stored as PHC
//!   strings and verified in constant time. Signing in with an unknown name costs the same
//!   hash as with a known one, and fails with the same answer.
//! - Sessions and API tokens: 32 random bytes from the operating system, handed out once as
//!   hex; the archive keeps only their SHA-256. A session lasts [`SESSION_HOURS`] hours and
//!   carries its own CSRF token. Every request looks its token up in the archive (no cache), so
//!   disabling an account or revoking a token takes effect at once.
//! - The audit log: [`Team::audit`] appends who did what, with particulars that never hold a
//!   password or token.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tgscope_archive::team::{CollectRunStatus, NewSavedSearch, SavedSearch, saved_search_key};
use tgscope_archive::{
    Account, ApiToken, ArchiveError, AuditEntry, AuditPage, NewAuditEntry, Role, TeamStore,
    sha256_hex,
};

use crate::{Engine, ErrorKind};

/// The fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// How long a session lasts, in hours.
pub const SESSION_HOURS: i64 = 12;

/// The longest account or token name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// What API tokens begin with, so that a leaked one is recognised for what it is.
pub const TOKEN_PREFIX: &str = "tgs_";

/// The longest query string of a saved search, in characters.
pub const MAX_SAVED_QUERY_CHARS: usize = 4000;

/// The longest note of a saved search, in characters.
pub const MAX_SAVED_NOTE_CHARS: usize = 2000;

/// The collection runs [`Team::collect_runs`] lists at most.
pub const MAX_COLLECT_RUNS: u64 = 200;

/// A team operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TeamError {
    /// The archive keeps no accounts (the embedded archive).
    #[error("accounts exist only in team mode (--database postgres://...)")]
    NotTeam,
    /// A name that cannot be an account's or a token's.
    #[error("{0}")]
    BadName(String),
    /// An account of that name exists.
    #[error("an account called {0:?} exists")]
    NameTaken(String),
    /// A saved search of that name exists (names differing only in case are one).
    #[error("a saved search called {0:?} exists; edit it, or choose another name")]
    SavedSearchTaken(String),
    /// No saved search of that name.
    #[error("no saved search is called {0:?} (the /saved page lists them)")]
    NoSuchSavedSearch(String),
    /// A saved search's query that cannot be kept.
    #[error("{0}")]
    BadSavedSearch(String),
    /// A password too short.
    #[error("the password has {chars} characters; at least {MIN_PASSWORD_CHARS} are needed")]
    ShortPassword {
        /// How many it has.
        chars: usize,
    },
    /// No account of that name.
    #[error("no account is called {0:?} (`tgscope user list` lists them)")]
    NoSuchAccount(String),
    /// The account has no working token with that id.
    #[error(
        "{account:?} has no working API token with id {id} (`tgscope user token list` lists them)"
    )]
    NoSuchToken {
        /// The account's name.
        account: String,
        /// The token id asked for.
        id: i64,
    },
    /// Hashing a password or drawing random bytes failed.
    #[error("{0}")]
    Crypto(String),
    /// The archive failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

impl TeamError {
    /// Whose fault it is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            TeamError::NotTeam
            | TeamError::BadName(_)
            | TeamError::NameTaken(_)
            | TeamError::SavedSearchTaken(_)
            | TeamError::BadSavedSearch(_)
            | TeamError::ShortPassword { .. } => ErrorKind::User,
            TeamError::NoSuchAccount(_)
            | TeamError::NoSuchToken { .. }
            | TeamError::NoSuchSavedSearch(_) => ErrorKind::NotFound,
            TeamError::Crypto(_) => ErrorKind::Internal,
            TeamError::Archive(e) if e.is_user_fault() => ErrorKind::User,
            TeamError::Archive(_) => ErrorKind::Internal,
        }
    }
}

/// Result of team operations.
pub type TeamResult<T> = std::result::Result<T, TeamError>;

/// Who acts, as the audit log names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account, when an account acts.
    pub account_id: Option<i64>,
    /// The account's name, or `cli:<system user>`.
    pub name: String,
}

impl Actor {
    /// A signed-in account.
    pub fn account(account: &Account) -> Actor {
        Actor {
            account_id: Some(account.id),
            name: account.name.clone(),
        }
    }

    /// The command line, run by the system user `user`.
    pub fn cli(user: &str) -> Actor {
        Actor {
            account_id: None,
            name: format!("cli:{user}"),
        }
    }
}

/// A session handed out at sign-in: the cookie's token and the CSRF token of its forms.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The session's secret (the cookie's value); the archive keeps its SHA-256.
    pub token: String,
    /// The token every form of the session sends back.
    pub csrf: String,
    /// The account signed in.
    pub account: Account,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("account", &self.account.name)
            .finish_non_exhaustive()
    }
}

/// A request's signed-in session, found by its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The account (never a disabled one).
    pub account: Account,
    /// The session's CSRF token.
    pub csrf: String,
}

/// Team mode over an archive with accounts ([`Engine::team`]).
pub struct Team<'a> {
    store: &'a dyn TeamStore,
}

impl Engine {
    /// The team's accounts, sessions, tokens and audit log, or [`TeamError::NotTeam`] when the
    /// archive keeps none (the embedded archive).
    pub fn team(&self) -> TeamResult<Team<'_>> {
        self.store
            .team()
            .map(|store| Team { store })
            .ok_or(TeamError::NotTeam)
    }

    /// Whether the archive keeps accounts (team mode).
    pub fn has_accounts(&self) -> bool {
        self.store.team().is_some()
    }
}

/// Fills `bytes` with random bytes from the operating system.
pub fn random_bytes(bytes: &mut [u8]) -> TeamResult<()> {
    getrandom::fill(bytes)
        .map_err(|e| TeamError::Crypto(format!("the system's random numbers failed: {e}")))
}

/// `n` random bytes from the operating system, as hex.
fn random_hex(n: usize) -> TeamResult<String> {
    let mut bytes = vec![0u8; n];
    random_bytes(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// The SHA-256 (hex) of a token, as the archive keeps it.
pub fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// Hashes a password with argon2id (default parameters, a random salt), as a PHC string;
/// refuses one shorter than [`MIN_PASSWORD_CHARS`].
pub fn hash_password(password: &str) -> TeamResult<String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(TeamError::ShortPassword { chars });
    }
    let mut salt = [0u8; 16];
    random_bytes(&mut salt)?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| TeamError::Crypto(format!("password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| TeamError::Crypto(format!("hashing the password: {e}")))
}

/// Whether `password` is the one `hash` (a PHC string) was made from (compared in constant
/// time); false for a hash that cannot be read.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// An argon2id hash of no one's password, verified against when the name is unknown so that a
/// failed sign-in takes as long whichever part was wrong.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2lnbi1pbi1kdW1teS1zYWx0$\
                          2B0b0kz1iKJhVmHXWnLvjqK6Ra1bNZiv3oR5rVt2ZVQ";

/// Checks an account's or token's name: not empty, at most [`MAX_NAME_CHARS`] characters, no
/// control characters; an account's name also without spaces.
fn check_name(what: &str, name: &str, spaces: bool) -> TeamResult<()> {
    if name.trim().is_empty() {
        return Err(TeamError::BadName(format!("the {what} name is empty")));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(TeamError::BadName(format!(
            "the {what} name is longer than {MAX_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(TeamError::BadName(format!(
            "the {what} name {name:?} holds control characters"
        )));
    }
    if !spaces && name.chars().any(char::is_whitespace) {
        return Err(TeamError::BadName(format!(
            "the {what} name {name:?} holds spaces"
        )));
    }
    Ok(())
}

impl<'a> Team<'a> {
    /// Team mode over an archive's accounts directly, without an engine (the command line's
    /// `tgscope user`, which needs no search index).
    pub fn over(store: &'a dyn TeamStore) -> Team<'a> {
        Team { store }
    }
}

impl Team<'_> {
    /// Adds an account (the password hashed here, never stored or logged in clear); audited as
    /// `user.add`.
    pub fn add_user(
        &self,
        actor: &Actor,
        name: &str,
        role: Role,
        password: &str,
    ) -> TeamResult<Account> {
        check_name("account", name, false)?;
        let hash = hash_password(password)?;
        let account = self
            .store
            .add_account(name, &hash, role)?
            .ok_or_else(|| TeamError::NameTaken(name.to_string()))?;
        self.audit(
            actor,
            "user.add",
            serde_json::json!({"account": account.name, "role": role.as_str()}),
        )?;
        Ok(account)
    }

    /// Every account, by name.
    pub fn list_users(&self) -> TeamResult<Vec<Account>> {
        Ok(self.store.accounts()?)
    }

    /// The account of this name.
    pub fn user(&self, name: &str) -> TeamResult<Account> {
        self.store
            .account_by_name(name)?
            .map(|(account, _)| account)
            .ok_or_else(|| TeamError::NoSuchAccount(name.to_string()))
    }

    /// Disables an account and ends its sessions (its tokens stop working with it); audited as
    /// `user.disable`.
    pub fn disable_user(&self, actor: &Actor, name: &str) -> TeamResult<Account> {
        self.set_disabled(actor, name, true)
    }

    /// Enables a disabled account again; audited as `user.enable`.
    pub fn enable_user(&self, actor: &Actor, name: &str) -> TeamResult<Account> {
        self.set_disabled(actor, name, false)
    }

    fn set_disabled(&self, actor: &Actor, name: &str, disabled: bool) -> TeamResult<Account> {
        let mut account = self.user(name)?;
        self.store.set_disabled(account.id, disabled)?;
        if disabled {
            self.store.delete_sessions_of(account.id)?;
        }
        account.disabled = disabled;
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        self.audit(actor, action, serde_json::json!({"account": account.name}))?;
        Ok(account)
    }

    /// Sets an account's password; audited as `user.password` (without the password).
    pub fn set_password(&self, actor: &Actor, name: &str, password: &str) -> TeamResult<()> {
        let account = self.user(name)?;
        let hash = hash_password(password)?;
        self.store.set_password_hash(account.id, &hash)?;
        self.store.delete_sessions_of(account.id)?;
        self.audit(
            actor,
            "user.password",
            serde_json::json!({"account": account.name}),
        )?;
        Ok(())
    }

    /// Signs in: a new session when the name and password are those of an enabled account,
    /// else `None`, the same whichever part was wrong. Audited as `session.start`.
    pub fn sign_in(&self, name: &str, password: &str) -> TeamResult<Option<Session>> {
        let found = self.store.account_by_name(name)?;
        let (account, ok) = match found {
            Some((account, hash)) => {
                let ok = verify_password(password, &hash);
                (Some(account), ok)
            }
            None => {
                // The same work as for a known name.
                let _ = verify_password(password, DUMMY_HASH);
                (None, false)
            }
        };
        let account = match account {
            Some(a) if ok && !a.disabled => a,
            _ => return Ok(None),
        };
        let token = random_hex(32)?;
        let csrf = random_hex(32)?;
        let expires = (chrono::Utc::now() + chrono::Duration::hours(SESSION_HOURS))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        self.store
            .insert_session(&token_hash(&token), account.id, &csrf, &expires)?;
        self.audit(
            &Actor::account(&account),
            "session.start",
            serde_json::json!({}),
        )?;
        Ok(Some(Session {
            token,
            csrf,
            account,
        }))
    }

    /// The session a token opens, while it lasts and its account is enabled.
    pub fn session(&self, token: &str) -> TeamResult<Option<Signed>> {
        Ok(self.store.session(&token_hash(token))?.map(|s| Signed {
            account: s.account,
            csrf: s.csrf_token,
        }))
    }

    /// Ends the session a token opens; audited as `session.end` when there was one.
    pub fn sign_out(&self, token: &str) -> TeamResult<bool> {
        let hash = token_hash(token);
        let signed = self.store.session(&hash)?;
        let ended = self.store.delete_session(&hash)?;
        if let Some(s) = signed.filter(|_| ended) {
            self.audit(
                &Actor::account(&s.account),
                "session.end",
                serde_json::json!({}),
            )?;
        }
        Ok(ended)
    }

    /// The account a working API token acts for (records that it was used).
    pub fn bearer(&self, token: &str) -> TeamResult<Option<Account>> {
        Ok(self.store.account_by_api_token(&token_hash(token))?)
    }

    /// Creates an API token for `account`: the token as listed, and its secret, shown once
    /// (the archive keeps only its SHA-256). Audited as `token.create`.
    pub fn create_token(
        &self,
        actor: &Actor,
        account: &Account,
        name: &str,
    ) -> TeamResult<(ApiToken, String)> {
        check_name("token", name, true)?;
        let secret = format!("{TOKEN_PREFIX}{}", random_hex(32)?);
        let token = self
            .store
            .insert_api_token(account.id, name.trim(), &token_hash(&secret))?;
        self.audit(
            actor,
            "token.create",
            serde_json::json!({"account": account.name, "token_id": token.id, "name": token.name}),
        )?;
        Ok((token, secret))
    }

    /// The API tokens of an account, revoked ones too, oldest first.
    pub fn list_tokens(&self, account: &Account) -> TeamResult<Vec<ApiToken>> {
        Ok(self.store.api_tokens(account.id)?)
    }

    /// Revokes a working token of `account`: it stops working at the next request. Audited as
    /// `token.revoke`.
    pub fn revoke_token(&self, actor: &Actor, account: &Account, token_id: i64) -> TeamResult<()> {
        if !self.store.revoke_api_token(account.id, token_id)? {
            return Err(TeamError::NoSuchToken {
                account: account.name.clone(),
                id: token_id,
            });
        }
        self.audit(
            actor,
            "token.revoke",
            serde_json::json!({"account": account.name, "token_id": token_id}),
        )?;
        Ok(())
    }

    /// Appends to the audit log: who did what, with `details` (a JSON object; never a
    /// password or token).
    pub fn audit(
        &self,
        actor: &Actor,
        action: &str,
        details: serde_json::Value,
    ) -> TeamResult<AuditEntry> {
        let details = details.to_string();
        Ok(self.store.append_audit(&NewAuditEntry {
            account_id: actor.account_id,
            actor: &actor.name,
            action,
            details: &details,
        })?)
    }

    /// At most `limit` entries of the audit log older than the entry `before` (the newest
    /// when `None`), newest first, and whether more exist.
    pub fn audit_log(&self, limit: u64, before: Option<i64>) -> TeamResult<AuditPage> {
        Ok(self.store.audit_entries(limit, before)?)
    }

    /// Every saved search, by name.
    pub fn saved_searches(&self) -> TeamResult<Vec<SavedSearch>> {
        Ok(self.store.saved_searches()?)
    }

    /// The saved search of this name (any case).
    pub fn saved_search(&self, name: &str) -> TeamResult<SavedSearch> {
        self.store
            .saved_search(&saved_search_key(name))?
            .ok_or_else(|| TeamError::NoSuchSavedSearch(name.trim().to_string()))
    }

    /// Saves a search: a name (as an API token's: at most [`MAX_NAME_CHARS`] characters, no
    /// control characters; unique whatever the case), the search page's query string (the
    /// caller checks that the search page takes it), a note. Audited as `saved_search.add`.
    pub fn add_saved_search(
        &self,
        actor: &Actor,
        name: &str,
        query: &str,
        note: &str,
    ) -> TeamResult<SavedSearch> {
        let name = name.trim();
        check_name("saved search", name, true)?;
        if name.contains('/') {
            return Err(TeamError::BadName(format!(
                "the saved search name {name:?} holds '/', which its address cannot"
            )));
        }
        let (query, note) = check_saved(query, note)?;
        let key = saved_search_key(name);
        let saved = self
            .store
            .add_saved_search(&NewSavedSearch {
                name,
                key: &key,
                query: &query,
                note: &note,
                account_id: actor.account_id,
                actor: &actor.name,
            })?
            .ok_or_else(|| TeamError::SavedSearchTaken(name.to_string()))?;
        self.audit(actor, "saved_search.add", saved_details(&saved))?;
        Ok(saved)
    }

    /// Changes a saved search's query string or note (what is `None` is kept). Audited as
    /// `saved_search.edit`.
    pub fn edit_saved_search(
        &self,
        actor: &Actor,
        name: &str,
        query: Option<&str>,
        note: Option<&str>,
    ) -> TeamResult<SavedSearch> {
        let old = self.saved_search(name)?;
        let (query, note) = check_saved(query.unwrap_or(&old.query), note.unwrap_or(&old.note))?;
        let saved = self
            .store
            .update_saved_search(&saved_search_key(name), &query, &note)?
            .ok_or_else(|| TeamError::NoSuchSavedSearch(name.trim().to_string()))?;
        self.audit(actor, "saved_search.edit", saved_details(&saved))?;
        Ok(saved)
    }

    /// Deletes a saved search; what it was. Audited as `saved_search.delete`.
    pub fn delete_saved_search(&self, actor: &Actor, name: &str) -> TeamResult<SavedSearch> {
        let saved = self
            .store
            .delete_saved_search(&saved_search_key(name))?
            .ok_or_else(|| TeamError::NoSuchSavedSearch(name.trim().to_string()))?;
        self.audit(actor, "saved_search.delete", saved_details(&saved))?;
        Ok(saved)
    }

    /// The newest collection runs of the archive (every process's), newest first: at most
    /// `limit`, itself at most [`MAX_COLLECT_RUNS`].
    pub fn collect_runs(&self, limit: u64) -> TeamResult<Vec<CollectRunStatus>> {
        Ok(self
            .store
            .recent_collect_runs(limit.clamp(1, MAX_COLLECT_RUNS))?)
    }
}

/// A saved search's query string and note, checked: the query not empty, without a leading
/// `?`, and neither over its length.
fn check_saved(query: &str, note: &str) -> TeamResult<(String, String)> {
    let query = query.trim().trim_start_matches('?').trim();
    if query.is_empty() {
        return Err(TeamError::BadSavedSearch(
            "the saved search has no query: give the search page's query string (q=...)".into(),
        ));
    }
    if query.chars().count() > MAX_SAVED_QUERY_CHARS {
        return Err(TeamError::BadSavedSearch(format!(
            "the saved search's query is longer than {MAX_SAVED_QUERY_CHARS} characters"
        )));
    }
    if query.chars().any(char::is_control) {
        return Err(TeamError::BadSavedSearch(
            "the saved search's query holds control characters".into(),
        ));
    }
    let note = note.trim();
    if note.chars().count() > MAX_SAVED_NOTE_CHARS {
        return Err(TeamError::BadSavedSearch(format!(
            "the note is longer than {MAX_SAVED_NOTE_CHARS} characters"
        )));
    }
    Ok((query.to_string(), note.to_string()))
}

/// The audit log's particulars of a saved search as it is now.
fn saved_details(saved: &SavedSearch) -> serde_json::Value {
    serde_json::json!({
        "saved_search": saved.name,
        "query": saved.query,
        "note": saved.note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_hash_is_argon2id_and_verifies_only_its_password() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        // Salted: the same password hashes differently each time.
        assert_ne!(hash, hash_password("correct horse battery").expect("hash"));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn a_short_password_is_refused() {
        let e = hash_password("short pass").expect_err("too short");
        assert!(matches!(e, TeamError::ShortPassword { chars: 10 }), "{e}");
        assert_eq!(e.kind(), ErrorKind::User);
    }

    #[test]
    fn the_dummy_hash_is_readable() {
        let parsed = PasswordHash::new(DUMMY_HASH).expect("a PHC string");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert!(!verify_password("", DUMMY_HASH));
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("account", "ana", false).is_ok());
        assert!(check_name("account", "", false).is_err());
        assert!(check_name("account", "a b", false).is_err());
        assert!(check_name("account", "a\u{7}", false).is_err());
        assert!(check_name("token", "nightly export", true).is_ok());
        assert!(check_name("token", &"x".repeat(65), true).is_err());
    }

    #[test]
    fn a_saved_searchs_query_and_note_are_checked() {
        assert_eq!(
            check_saved(" ?q=harbor ", " note ").expect("fine"),
            ("q=harbor".to_string(), "note".to_string())
        );
        assert!(check_saved("?", "").is_err());
        assert!(check_saved(&"q".repeat(MAX_SAVED_QUERY_CHARS + 1), "").is_err());
        assert!(check_saved("q=a\nb", "").is_err());
        assert!(check_saved("q=a", &"n".repeat(MAX_SAVED_NOTE_CHARS + 1)).is_err());
    }

    #[test]
    fn tokens_are_random_hex() {
        let a = random_hex(32).expect("random");
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_hex(32).expect("random"));
        assert_eq!(token_hash("x").len(), 64);
    }
}
