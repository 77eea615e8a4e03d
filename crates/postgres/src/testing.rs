//! A throwaway PostgreSQL server for tests: `initdb` in a temporary folder, a free port on
//! 127.0.0.1, stopped and removed when dropped (and by a watchdog when the test process dies).
//!
//! Finding PostgreSQL: the folder `TGSCOPE_POSTGRES_BIN` names (only it, when set), else the
//! folders of `PATH`, else `/usr/lib/postgresql/<version>/bin` (Debian's, newest first); the
//! folder must hold `initdb`, `pg_ctl` and `postgres`. When none does, [`ThrowawayServer::start`]
//! and [`database`] return `Ok(None)` and print why the test skips, unless
//! `TGSCOPE_REQUIRE_POSTGRES` is set (to anything but empty or `0`: `.ci/run` sets it), which
//! makes the absence an error.
//!
//! PostgreSQL refuses to run as root: when the process's effective user is root, `initdb` and
//! `pg_ctl` run as the `postgres` system user (Debian's package creates it), and the folder
//! is handed to that user.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, PipeWriter};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

/// The environment variable naming the folder of `initdb`, `pg_ctl` and `postgres` (only that
/// folder is searched when it is set; `/nonexistent` makes PostgreSQL absent).
pub const BIN_ENV: &str = "TGSCOPE_POSTGRES_BIN";

/// The environment variable that makes a missing PostgreSQL an error instead of a skip.
pub const REQUIRE_ENV: &str = "TGSCOPE_REQUIRE_POSTGRES";

/// The superuser of a throwaway server (trusted, no password).
pub const SUPERUSER: &str = "tgscope";

/// The system user that runs the server when the tests run as root.
const SYSTEM_USER: &str = "postgres";

/// Where Debian installs each PostgreSQL version's programs.
const DEBIAN_ROOT: &str = "/usr/lib/postgresql";

/// How long a server may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Tries at a free port: another process may take the port between its choice and the
/// server's start.
const PORT_TRIES: usize = 5;

/// A throwaway server failed to start or stop, or PostgreSQL is missing while required.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The programs were not found and `TGSCOPE_REQUIRE_POSTGRES` is set.
    #[error(
        "{REQUIRE_ENV} is set but PostgreSQL's initdb, pg_ctl and postgres were not found \
         (looked in {searched}); install PostgreSQL (Debian: apt-get install postgresql) or \
         name their folder in {BIN_ENV}"
    )]
    Missing {
        /// The folders searched, as a list.
        searched: String,
    },
    /// A file or folder could not be made, read or handed over.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// Which file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A PostgreSQL program failed.
    #[error("{command} failed ({status}): {output}")]
    Command {
        /// The command line.
        command: String,
        /// How it ended.
        status: String,
        /// What it printed (and the server's log, for a start).
        output: String,
    },
    /// Running as root without the `postgres` system user to run the server as.
    #[error(
        "the tests run as root and PostgreSQL refuses to; the `{SYSTEM_USER}` system user to run \
         it as was not found in /etc/passwd (Debian's postgresql package creates it)"
    )]
    NoSystemUser,
    /// The server started but a client could not connect, or a statement failed.
    #[error("{action} ({url}): {}", crate::describe(.source))]
    Database {
        /// What was being done.
        action: &'static str,
        /// The connection.
        url: String,
        /// The client's error.
        #[source]
        source: postgres::Error,
    },
    /// The shared server of [`database`] failed to start earlier in this process.
    #[error("the shared test server failed to start: {0}")]
    Shared(String),
}

/// Where to look for PostgreSQL and whether it must be there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// The only folder to search, when given (`TGSCOPE_POSTGRES_BIN`).
    pub bin_dir: Option<PathBuf>,
    /// Whether a missing PostgreSQL is an error (`TGSCOPE_REQUIRE_POSTGRES`).
    pub required: bool,
}

impl Settings {
    /// The settings the environment gives.
    pub fn from_env() -> Settings {
        Settings {
            bin_dir: std::env::var_os(BIN_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            required: std::env::var_os(REQUIRE_ENV).is_some_and(|v| !v.is_empty() && v != "0"),
        }
    }
}

/// The PostgreSQL programs a server is made and run with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    /// Their folder.
    pub dir: PathBuf,
}

impl Binaries {
    /// The folder holding `initdb`, `pg_ctl` and `postgres`, searched as the module says; on
    /// failure, the folders searched.
    pub fn find(settings: &Settings) -> Result<Binaries, Vec<PathBuf>> {
        let candidates: Vec<PathBuf> = match &settings.bin_dir {
            Some(dir) => vec![dir.clone()],
            None => {
                let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
                    .map(|p| std::env::split_paths(&p).collect())
                    .unwrap_or_default();
                dirs.extend(debian_bins());
                dirs
            }
        };
        candidates
            .iter()
            .find(|dir| {
                ["initdb", "pg_ctl", "postgres"]
                    .iter()
                    .all(|p| is_executable(&dir.join(p)))
            })
            .map(|dir| Binaries { dir: dir.clone() })
            .ok_or(candidates)
    }

    /// One of the programs.
    pub fn program(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// `/usr/lib/postgresql/<version>/bin`, newest version first.
fn debian_bins() -> Vec<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = fs::read_dir(DEBIAN_ROOT)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    found.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    found.into_iter().map(|(_, dir)| dir).collect()
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A PostgreSQL server of its own in a temporary folder, listening on 127.0.0.1 (and on a unix
/// socket in the folder), with trusted local connections, UTF-8 and the C locale, and no
/// durability (fsync off: it is thrown away). It starts with one database, whose URL
/// [`ThrowawayServer::url`] gives; [`ThrowawayServer::create_database`] makes more.
///
/// Dropping it stops the server (`pg_ctl stop -m immediate`) and removes the folder. Should
/// the process die first (an abort, a kill), a watchdog process does both when it sees the
/// process gone.
pub struct ThrowawayServer {
    /// The temporary folder, until it is removed.
    dir: Option<tempfile::TempDir>,
    /// Its path.
    root: PathBuf,
    data: PathBuf,
    port: u16,
    binaries: Binaries,
    /// The user and group the server runs as, when the tests run as root.
    run_as: Option<(u32, u32)>,
    version: String,
    url: String,
    /// The watchdog's end of the pipe (it cleans up when this closes) and the watchdog.
    watchdog: Option<(PipeWriter, Child)>,
}

impl std::fmt::Debug for ThrowawayServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThrowawayServer")
            .field("data", &self.data)
            .field("port", &self.port)
            .field("version", &self.version)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl ThrowawayServer {
    /// Starts a server as the environment says ([`Settings::from_env`]). `Ok(None)` when
    /// PostgreSQL is not installed and not required; a message on stderr then says that the
    /// calling test skips, and why.
    pub fn start() -> Result<Option<ThrowawayServer>, ServerError> {
        let settings = Settings::from_env();
        let server = ThrowawayServer::start_with(&settings)?;
        if server.is_none() {
            print_skip(&settings);
        }
        Ok(server)
    }

    /// Starts a server with explicit settings, quietly: `Ok(None)` when PostgreSQL is missing
    /// and not required.
    pub fn start_with(settings: &Settings) -> Result<Option<ThrowawayServer>, ServerError> {
        let binaries = match Binaries::find(settings) {
            Ok(binaries) => binaries,
            Err(searched) if settings.required => {
                return Err(ServerError::Missing {
                    searched: list(&searched),
                });
            }
            Err(_) => return Ok(None),
        };
        let run_as = if effective_uid_is_root() {
            Some(system_user()?)
        } else {
            None
        };
        let dir = tempfile::Builder::new()
            .prefix("tgscope-pg-")
            .tempdir()
            .map_err(|source| ServerError::Io {
                action: "creating a temporary folder in",
                path: std::env::temp_dir(),
                source,
            })?;
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).map_err(|source| {
                ServerError::Io {
                    action: "handing to the postgres user",
                    path: dir.path().to_path_buf(),
                    source,
                }
            })?;
        }
        let root = dir.path().to_path_buf();
        let mut server = ThrowawayServer {
            data: root.join("data"),
            root,
            port: 0,
            binaries,
            run_as,
            version: String::new(),
            url: String::new(),
            watchdog: None,
            dir: Some(dir),
        };
        server.version = server
            .run(&server.binaries.program("pg_ctl"), &["--version"])?
            .trim()
            .to_string();
        server.init()?;
        server.watchdog = Some(server.spawn_watchdog()?);
        server.launch()?;
        server.url = server.create_database_named("tgscope")?;
        Ok(Some(server))
    }

    /// The URL of the database made when the server started
    /// (`postgres://tgscope@127.0.0.1:PORT/tgscope`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's folder (data directory in `data/`, log in `server.log`, the unix socket).
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// What `pg_ctl --version` says (`pg_ctl (PostgreSQL) 15.14 ...`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The URL of a database on this server.
    pub fn database_url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }

    /// Makes a new, empty database and returns its URL.
    pub fn create_database(&self) -> Result<String, ServerError> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        self.create_database_named(&format!("test_{n}"))
    }

    /// Connects to a database of this server given by its URL.
    pub fn connect(url: &str) -> Result<Client, ServerError> {
        Client::connect(url, NoTls).map_err(|source| ServerError::Database {
            action: "connecting",
            url: url.to_string(),
            source,
        })
    }

    /// Stops the server and removes its folder, reporting what failed (dropping does the
    /// same silently).
    pub fn stop(mut self) -> Result<(), ServerError> {
        self.shutdown()
    }

    fn create_database_named(&self, name: &str) -> Result<String, ServerError> {
        let admin = self.database_url("postgres");
        let mut client = ThrowawayServer::connect(&admin)?;
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(|source| ServerError::Database {
                action: "creating a database",
                url: admin.clone(),
                source,
            })?;
        Ok(self.database_url(name))
    }

    /// `initdb`, then the settings of a throwaway server.
    fn init(&self) -> Result<(), ServerError> {
        let data = self.data.to_string_lossy();
        self.run(
            &self.binaries.program("initdb"),
            &[
                "-D",
                &data,
                "-U",
                SUPERUSER,
                "-E",
                "UTF8",
                "--locale=C",
                "--auth=trust",
                "--no-sync",
            ],
        )?;
        let conf = self.data.join("postgresql.conf");
        let mut text = fs::read_to_string(&conf).map_err(|source| ServerError::Io {
            action: "reading",
            path: conf.clone(),
            source,
        })?;
        let socket_dir = self.dir().to_string_lossy().replace('\'', "''");
        // Appended settings win over initdb's. No durability: the server is thrown away.
        let _ = write!(
            text,
            "\n# tgscope throwaway test server\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{socket_dir}'\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n\
             shared_buffers = 32MB\n\
             max_connections = 50\n"
        );
        fs::write(&conf, text).map_err(|source| ServerError::Io {
            action: "writing",
            path: conf,
            source,
        })
    }

    /// Starts the server on a free port (another one when that port was taken meanwhile) and
    /// waits until it accepts connections.
    fn launch(&mut self) -> Result<(), ServerError> {
        let log = self.dir().join("server.log");
        let data = self.data.to_string_lossy().into_owned();
        let log_arg = log.to_string_lossy().into_owned();
        let timeout = START_TIMEOUT.as_secs().to_string();
        let mut last = None;
        for _ in 0..PORT_TRIES {
            let port = free_port().map_err(|source| ServerError::Io {
                action: "finding a free port on",
                path: PathBuf::from("127.0.0.1"),
                source,
            })?;
            let options = format!("-p {port}");
            let started = self.run(
                &self.binaries.program("pg_ctl"),
                &[
                    "-D", &data, "-l", &log_arg, "-w", "-t", &timeout, "-o", &options, "start",
                ],
            );
            match started {
                Ok(_) => {
                    self.port = port;
                    return self.wait_ready();
                }
                Err(ServerError::Command {
                    command,
                    status,
                    output,
                }) => {
                    let log_text = fs::read_to_string(&log).unwrap_or_default();
                    let taken = log_text.contains("Address already in use");
                    last = Some(ServerError::Command {
                        command,
                        status,
                        output: format!("{output}\nserver log:\n{}", tail(&log_text, 30)),
                    });
                    if !taken {
                        break;
                    }
                }
                Err(other) => return Err(other),
            }
        }
        Err(last.expect("at least one try"))
    }

    /// Connects until the server answers (pg_ctl -w has waited already; this makes sure).
    fn wait_ready(&self) -> Result<(), ServerError> {
        let url = self.database_url("postgres");
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match Client::connect(&url, NoTls) {
                Ok(mut client) => {
                    return client.batch_execute("SELECT 1").map_err(|source| {
                        ServerError::Database {
                            action: "asking the new server",
                            url,
                            source,
                        }
                    });
                }
                Err(source) if Instant::now() >= deadline => {
                    return Err(ServerError::Database {
                        action: "waiting for the new server",
                        url,
                        source,
                    });
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// A process that waits for this process's end of a pipe to close, then stops the server
    /// and removes the folder: the clean-up of servers never dropped (a shared one, or any when
    /// the test process dies). It ignores the terminal's interrupt so that Ctrl-C still cleans up.
    fn spawn_watchdog(&self) -> Result<(PipeWriter, Child), ServerError> {
        let (reader, writer) = io::pipe().map_err(|source| ServerError::Io {
            action: "making a pipe for the watchdog of",
            path: self.dir().to_path_buf(),
            source,
        })?;
        let mut command = self.command(Path::new("/bin/sh"));
        command
            .arg("-c")
            .arg(
                "trap '' INT TERM HUP; cat >/dev/null; \
                 \"$0\" -D \"$1\" stop -m immediate >/dev/null 2>&1; rm -rf \"$2\"",
            )
            .arg(self.binaries.program("pg_ctl"))
            .arg(&self.data)
            .arg(self.dir())
            .stdin(Stdio::from(reader))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = command.spawn().map_err(|source| ServerError::Io {
            action: "starting the watchdog of",
            path: self.dir().to_path_buf(),
            source,
        })?;
        Ok((writer, child))
    }

    fn shutdown(&mut self) -> Result<(), ServerError> {
        let Some(dir) = self.dir.take() else {
            return Ok(());
        };
        let data = self.data.to_string_lossy().into_owned();
        // A server runs (or was started and may still come up) while its pid file exists.
        let stopped = if self.data.join("postmaster.pid").exists() {
            self.run(
                &self.binaries.program("pg_ctl"),
                &["-D", &data, "stop", "-m", "immediate", "-w"],
            )
            .map(|_| ())
        } else {
            Ok(())
        };
        let path = dir.path().to_path_buf();
        let removed = dir.close().map_err(|source| ServerError::Io {
            action: "removing",
            path,
            source,
        });
        if let Some((writer, mut child)) = self.watchdog.take() {
            drop(writer);
            let _ = child.wait();
        }
        stopped.and(removed)
    }

    /// A command for a PostgreSQL program, as the user the server runs as, in the server's
    /// folder, with a plain environment (no PG* variables, messages in English).
    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(self.dir())
            .env("LC_ALL", "C")
            .env("LANG", "C");
        for var in [
            "PGDATA",
            "PGPORT",
            "PGHOST",
            "PGUSER",
            "PGDATABASE",
            "PGOPTIONS",
            "PGPASSWORD",
        ] {
            command.env_remove(var);
        }
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid);
        }
        command
    }

    /// Runs a program to its end; its output, or what it printed when it failed.
    fn run(&self, program: &Path, args: &[&str]) -> Result<String, ServerError> {
        let line = std::iter::once(program.to_string_lossy().into_owned())
            .chain(args.iter().map(|a| a.to_string()))
            .collect::<Vec<_>>()
            .join(" ");
        let output = self
            .command(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|source| ServerError::Io {
                action: "running",
                path: program.to_path_buf(),
                source,
            })?;
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        if output.status.success() {
            Ok(text)
        } else {
            Err(ServerError::Command {
                command: line,
                status: output.status.to_string(),
                output: text.trim().to_string(),
            })
        }
    }
}

impl Drop for ThrowawayServer {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// A fresh, empty database on a server shared by every test of this process (started by the
/// first call; stopped and removed by its watchdog when the process ends), as a URL.
/// `Ok(None)` when PostgreSQL is missing and not required: a message on stderr then says that
/// the calling test skips, and why.
pub fn database() -> Result<Option<String>, ServerError> {
    static SHARED: OnceLock<Result<Option<ThrowawayServer>, String>> = OnceLock::new();
    let settings = Settings::from_env();
    let shared =
        SHARED.get_or_init(|| ThrowawayServer::start_with(&settings).map_err(|e| e.to_string()));
    match shared {
        Err(message) => Err(ServerError::Shared(message.clone())),
        Ok(None) => {
            print_skip(&settings);
            Ok(None)
        }
        Ok(Some(server)) => server.create_database().map(Some),
    }
}

/// Tells on stderr that the current test skips for want of PostgreSQL. Written to the stream
/// itself rather than through `eprintln!`, which the test harness captures and hides for a
/// passing test: a skip shows in every run.
fn print_skip(settings: &Settings) {
    use std::io::Write as _;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let searched = match &settings.bin_dir {
        Some(dir) => format!("{BIN_ENV}={}", dir.display()),
        None => format!("PATH and {DEBIAN_ROOT}/*/bin"),
    };
    let _ = writeln!(
        io::stderr(),
        "skipping {test}: PostgreSQL's initdb, pg_ctl and postgres were not found (looked in \
         {searched}); install PostgreSQL to run it, and set {REQUIRE_ENV}=1 to make this a \
         failure"
    );
}

/// A port on 127.0.0.1 that nothing listens on now and that this process has not handed out.
fn free_port() -> io::Result<u16> {
    static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    loop {
        let port = TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port();
        let mut handed = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        if handed.get_or_insert_with(HashSet::new).insert(port) {
            return Ok(port);
        }
    }
}

/// Whether this process runs as root (its effective user id, from /proc/self/status).
fn effective_uid_is_root() -> bool {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
        .unwrap_or(false)
}

/// The user and group ids of the `postgres` system user.
fn system_user() -> Result<(u32, u32), ServerError> {
    let passwd = fs::read_to_string("/etc/passwd").map_err(|source| ServerError::Io {
        action: "reading",
        path: PathBuf::from("/etc/passwd"),
        source,
    })?;
    passwd
        .lines()
        .find_map(|line| {
            let mut fields = line.split(':');
            (fields.next()? == SYSTEM_USER).then_some(())?;
            let _password = fields.next()?;
            let uid = fields.next()?.parse().ok()?;
            let gid = fields.next()?.parse().ok()?;
            Some((uid, gid))
        })
        .ok_or(ServerError::NoSystemUser)
}

fn list(dirs: &[PathBuf]) -> String {
    if dirs.is_empty() {
        return "no folder: PATH is empty".to_string();
    }
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The last `lines` lines of a text.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_is_not_found_and_named() {
        let settings = Settings {
            bin_dir: Some(PathBuf::from("/nonexistent")),
            required: false,
        };
        assert_eq!(
            Binaries::find(&settings),
            Err(vec![PathBuf::from("/nonexistent")])
        );
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
        assert_eq!(tail("", 5), "");
    }
}
