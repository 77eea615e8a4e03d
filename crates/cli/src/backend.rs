//! Which archive a command opens: the embedded SQLite archive in `--archive DIR` (the default),
//! or, with `--database postgres://...` (or `TGSCOPE_DATABASE`), the team's archive in
//! PostgreSQL, with `--archive DIR` as this machine's folder for the raw captures and media it
//! shares and the derived data it keeps (search index, analyses).
//!
//! The database is chosen once for the whole run (`choose`), before any command opens the
//! archive; every command opens it through [`open_writer`] and [`open_reader`].

use std::path::Path;
use std::sync::OnceLock;

use anyhow::Context;
use tgscope_engine::Engine;

/// The run's database URL, when the archive is in PostgreSQL.
static DATABASE: OnceLock<Option<String>> = OnceLock::new();

/// Chooses the run's database (`None`: the embedded archive). Called once, from `main`.
pub fn choose(database: Option<String>) {
    let _ = DATABASE.set(database.filter(|d| !d.is_empty()));
}

/// The run's database URL, when there is one.
pub fn database() -> Option<&'static str> {
    DATABASE.get().and_then(|d| d.as_deref())
}

/// Whether there is an archive to read: a database always is (connecting says otherwise); an
/// embedded archive is when its folder holds one.
pub fn archive_exists(dir: &Path) -> bool {
    database().is_some() || Engine::archive_exists(dir)
}

/// Opens the archive for writing (created when new).
pub fn open_writer(dir: &Path) -> anyhow::Result<Engine> {
    match database() {
        Some(url) => {
            let archive = tgscope_postgres::PgArchive::open(url, dir)
                .with_context(|| format!("opening the archive in {}", redacted(url)))?;
            Ok(Engine::open_archive(Box::new(archive))?)
        }
        None => Engine::open(dir).with_context(|| format!("opening archive {}", dir.display())),
    }
}

/// Opens the archive for reading.
pub fn open_reader(dir: &Path) -> anyhow::Result<Engine> {
    match database() {
        Some(url) => {
            let archive = tgscope_postgres::PgArchive::open(url, dir)
                .with_context(|| format!("opening the archive in {}", redacted(url)))?;
            Ok(Engine::open_existing_archive(Box::new(archive))?)
        }
        None => Ok(Engine::open_existing(dir)?),
    }
}

/// A database URL or key=value connection string without its password, for messages.
pub fn redacted(url: &str) -> String {
    let mut shown = match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    };
    // `password=...` as a URL parameter (`?password=`, `&password=`) or a key=value word.
    let mut from = 0;
    while let Some(found) = shown[from..].find("password=") {
        let start = from + found;
        let preceded = shown[..start]
            .chars()
            .next_back()
            .is_none_or(|c| matches!(c, '?' | '&' | ' ' | '\t'));
        let value = start + "password=".len();
        if !preceded {
            from = value;
            continue;
        }
        let quoted = shown[value..].starts_with('\'');
        let end = if quoted {
            shown[value + 1..]
                .find('\'')
                .map_or(shown.len(), |close| value + 1 + close + 1)
        } else {
            shown[value..]
                .find(['&', ' ', '\t'])
                .map_or(shown.len(), |stop| value + stop)
        };
        shown.replace_range(value..end, "***");
        from = value + 3;
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redacted("postgres://ana:s3cret@db.example:5432/tg"),
            "postgres://ana:***@db.example:5432/tg"
        );
        assert_eq!(
            redacted("postgres://ana@db.example/tg"),
            "postgres://ana@db.example/tg"
        );
        assert_eq!(redacted("postgres:///tg"), "postgres:///tg");
        assert_eq!(
            redacted("postgres://db.example/tg?user=ana&password=s3cret&sslmode=require"),
            "postgres://db.example/tg?user=ana&password=***&sslmode=require"
        );
        assert_eq!(
            redacted("host=db.example user=ana password='s e cret' dbname=tg"),
            "host=db.example user=ana password=*** dbname=tg"
        );
        assert_eq!(
            redacted("host=db.example password=s3cret"),
            "host=db.example password=***"
        );
    }
}
