//! Helpers shared by the CLI tests: a temporary archive per test, the `tgscope` binary, the
//! fixtures, and readers of the JSON outputs.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// The `tgscope` binary with a clean environment (no archive or log settings inherited).
pub fn tgscope() -> Command {
    let mut cmd = Command::cargo_bin("tgscope").expect("the tgscope binary is built");
    cmd.env_remove("TGSCOPE_ARCHIVE")
        .env_remove("TGSCOPE_DATABASE")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1");
    cmd
}

/// A fixture capture of `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

/// The text of a fixture.
pub fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).expect("fixture is readable UTF-8")
}

/// Stdout of a finished command as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// Stderr of a finished command as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// A temporary directory holding an archive (`<tmp>/archive`) and any inputs a test writes.
pub struct Archive {
    /// The temporary directory (removed on drop).
    pub tmp: TempDir,
    /// The archive directory inside it.
    pub dir: PathBuf,
}

impl Archive {
    /// A fresh temporary directory; the archive does not exist until something is ingested.
    pub fn new() -> Archive {
        let tmp = tempfile::tempdir().expect("temporary directory");
        let dir = tmp.path().join("archive");
        Archive { tmp, dir }
    }

    /// A path inside the temporary directory (for inputs the test writes).
    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// Writes an input file into the temporary directory; returns its path.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent directory");
        }
        std::fs::write(&path, bytes).expect("input written");
        path
    }

    /// `tgscope --archive <dir> <args...>`.
    pub fn cmd<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = tgscope();
        cmd.arg("--archive").arg(&self.dir).args(args);
        cmd
    }

    /// Runs a command and returns its output, whatever its exit code.
    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd(args).output().expect("tgscope runs")
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn ok<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let args: Vec<std::ffi::OsString> =
            args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let out = self.run(&args);
        assert!(
            out.status.success(),
            "tgscope {args:?} failed with {:?}\nstdout:\n{}\nstderr:\n{}",
            out.status.code(),
            stdout(&out),
            stderr(&out)
        );
        stdout(&out)
    }

    /// Ingests a capture under a channel; the run must succeed. Returns the summary.
    pub fn ingest(&self, path: &Path, channel: &str) -> String {
        self.ok(args!["ingest", path, "--channel", channel])
    }

    /// Parses the stdout of a command that must succeed as one JSON value.
    pub fn json<I, S>(&self, args: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let text = self.ok(args);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
    }

    /// Parses JSON Lines output of a command that must succeed.
    pub fn jsonl<I, S>(&self, args: I) -> Vec<Value>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        parse_jsonl(&self.ok(args))
    }

    /// `export --format jsonl`, parsed.
    pub fn export(&self) -> Vec<Value> {
        self.jsonl(["export", "--format", "jsonl"])
    }

    /// `stats --format json`.
    pub fn stats(&self) -> Value {
        self.json(["stats", "--format", "json"])
    }

    /// `captures --format json`, as a list.
    pub fn captures(&self) -> Vec<Value> {
        match self.json(["captures", "--format", "json"]) {
            Value::Array(items) => items,
            other => panic!("captures --format json is not an array: {other}"),
        }
    }

    /// Everything a user would compare to see that the archive did not change: the export, the
    /// counts and the captures list (as raw text).
    pub fn snapshot(&self) -> (String, String, String) {
        (
            self.ok(["export", "--format", "jsonl"]),
            self.ok(["stats", "--format", "json"]),
            self.ok(["captures", "--format", "json"]),
        )
    }
}

/// Parses JSON Lines text.
pub fn parse_jsonl(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line ({e}): {l}")))
        .collect()
}

/// A string field of a JSON value (panics with the value when absent or not a string).
pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {v}"))
}

/// A number field of a JSON value.
pub fn n(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

/// The `forwarded_from.title` of an export record, if any.
pub fn forward_title(record: &Value) -> Option<&str> {
    record["forwarded_from"]["title"].as_str()
}

/// The `date_inferred.date` of an export record, if any.
pub fn inferred_date(record: &Value) -> Option<&str> {
    record["date_inferred"]["date"].as_str()
}

/// The ids of export records.
pub fn ids(records: &[Value]) -> Vec<i64> {
    records
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}

/// The id of the single export record whose clean text contains `needle`.
pub fn id_of(records: &[Value], needle: &str) -> i64 {
    let found: Vec<&Value> = records
        .iter()
        .filter(|r| r["text"].as_str().is_some_and(|t| t.contains(needle)))
        .collect();
    assert_eq!(found.len(), 1, "exactly one post contains {needle:?}");
    found[0]["id"].as_i64().expect("id")
}

/// The Python that `.ci/run` makes for a round trip through other tools, named by the variable
/// `var` (`TGSCOPE_NETWORK_PYTHON`), with `packages` installed. `None` (the test skips, with a
/// message) without it, except when `TGSCOPE_REQUIRE_…` of the same name is set (CI), where its
/// absence fails.
pub fn python_with(var: &str, packages: &str) -> Option<std::path::PathBuf> {
    let require = var.replacen("TGSCOPE_", "TGSCOPE_REQUIRE_", 1);
    let python = std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from);
    let required = std::env::var_os(&require).is_some_and(|v| !v.is_empty() && v != "0");
    match python {
        Some(p) if p.is_file() => Some(p),
        other => {
            assert!(
                !required,
                "{require} is set but {var} ({other:?}) is not a Python with {packages}"
            );
            eprintln!("skipping: set {var} to a Python with {packages} (.ci/run makes one)");
            None
        }
    }
}

/// A plain-text capture of `posts` posts, each forwarded from "Source Channel" with a first line
/// of its own: big enough, at tens of thousands of posts, to be interrupted part-way.
pub fn numbered_capture(posts: u64) -> String {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(posts as usize * 140);
    for i in 0..posts {
        writeln!(
            text,
            "Forwarded from Source Channel\n\
             Post number {i} opens with a unique line\n\
             Body of post {i} says something about topic {}",
            i * 7
        )
        .expect("write to a string");
    }
    text
}

/// A running `tgscope serve`, killed when dropped.
pub struct Served {
    /// The server's process.
    pub child: std::process::Child,
    /// Where it listens (`127.0.0.1:PORT`).
    pub address: String,
}

impl Served {
    /// `http://ADDRESS`.
    pub fn base(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tgscope --archive DIR serve --bind 127.0.0.1:0 ARGS`, once it has said where it listens.
pub fn serve(dir: &Path, args: &[&str]) -> Served {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tgscope"))
        .arg("--archive")
        .arg(dir)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut first)
        .expect("the address line");
    let address = first
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .trim_end_matches('/')
        .to_string();
    Served { child, address }
}
