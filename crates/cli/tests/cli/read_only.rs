//! Archives on read-only media (a snapshot, evidence on a write-protected disk): every reading
//! command and `serve` work and answer as on the writable archive, derived data that is
//! behind is read as it stands and the user is told so, and writing commands say why they
//! cannot run.
//!
//! The read-only view is a read-only bind mount when the tests run as root, else the archive
//! with its write permissions removed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::{Archive, fixture, serve, stderr, stdout};

/// A read-only view of an archive folder, undone when dropped.
struct ReadOnlyView {
    path: PathBuf,
    mounted: bool,
}

impl ReadOnlyView {
    /// The view of `dir` at `at` (a bind mount), or `dir` itself made unwritable.
    fn of(dir: &Path, at: &Path) -> Option<ReadOnlyView> {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        if root {
            std::fs::create_dir_all(at).ok()?;
            let run = |args: &[&std::ffi::OsStr]| {
                Command::new("mount")
                    .args(args)
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            };
            if run(&["--bind".as_ref(), dir.as_os_str(), at.as_os_str()]) {
                let view = ReadOnlyView {
                    path: at.to_path_buf(),
                    mounted: true,
                };
                if run(&["-o".as_ref(), "remount,ro,bind".as_ref(), at.as_os_str()]) {
                    return Some(view);
                }
                return None;
            }
            return None;
        }
        let status = Command::new("chmod").arg("-R").arg("a-w").arg(dir).status();
        status.is_ok_and(|s| s.success()).then(|| ReadOnlyView {
            path: dir.to_path_buf(),
            mounted: false,
        })
    }
}

impl Drop for ReadOnlyView {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg(&self.path).status();
        } else {
            let _ = Command::new("chmod")
                .arg("-R")
                .arg("u+w")
                .arg(&self.path)
                .status();
        }
    }
}

/// The view, or `None` with a message when this machine cannot make one (required in CI).
fn read_only_view(a: &Archive) -> Option<ReadOnlyView> {
    let view = ReadOnlyView::of(&a.dir, &a.path("read-only"));
    if view.is_none() {
        assert!(
            std::env::var_os("TGSCOPE_REQUIRE_READ_ONLY").is_none(),
            "TGSCOPE_REQUIRE_READ_ONLY is set but no read-only view could be made"
        );
        eprintln!("no read-only mount or permissions here: the read-only archive is not tested");
    }
    view
}

/// `tgscope --archive DIR ARGS`, its stdout and stderr, and whether it succeeded.
fn run(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tgscope"))
        .arg("--archive")
        .arg(dir)
        .args(args)
        .output()
        .expect("tgscope runs");
    (out.status.success(), stdout(&out), stderr(&out))
}

const READING: &[&[&str]] = &[
    &["stats", "--format", "json"],
    &["posts", "--format", "jsonl"],
    &["channels", "--format", "json"],
    &["captures", "--format", "json"],
    &["export", "--format", "jsonl"],
    &["search", "Russia", "--format", "jsonl"],
    &["count", "Russia"],
    &["clusters", "--format", "json"],
    &["entities", "--format", "json"],
    &["hashtags", "--format", "json"],
    &["check"],
];

#[test]
fn reading_commands_and_serve_work_on_a_read_only_archive() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa");
    a.ingest(&fixture("web-ru.txt"), "ru_web");
    let writable: Vec<String> = READING.iter().map(|args| a.ok(*args)).collect();
    let Some(view) = read_only_view(&a) else {
        return;
    };
    for (args, expected) in READING.iter().zip(&writable) {
        let (ok, out, err) = run(&view.path, args);
        assert!(ok, "{args:?} on the read-only archive: {err}");
        // `check` names the folder it was given.
        let out = out.replace(
            view.path.to_str().expect("path"),
            a.dir.to_str().expect("path"),
        );
        assert_eq!(
            &out, expected,
            "{args:?} answers as on the writable archive"
        );
        assert!(!err.contains("read-only"), "nothing is behind: {err}");
    }

    // The server too.
    let server = serve(&view.path, &[]);
    let address = server.address.clone();
    for path in ["/", "/search?q=Russia", "/api/v1/search?q=Russia"] {
        let mut client = TcpStream::connect(&address).expect("connect");
        write!(
            client,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .expect("request");
        let mut answer = String::new();
        client.read_to_string(&mut answer).expect("answer");
        assert!(answer.starts_with("HTTP/1.1 200"), "{path}: {answer}");
    }
    drop(server);

    // Writing commands say why they cannot run.
    for args in [
        vec![
            "ingest",
            fixture("web-mfa-later.txt").to_str().expect("path"),
            "--channel",
            "mfa",
        ],
        vec!["reindex"],
    ] {
        let (ok, _, err) = run(&view.path, &args);
        assert!(!ok, "{args:?} on a read-only archive");
        assert!(err.contains("it is read-only here"), "{args:?}: {err}");
    }
}

#[test]
fn derived_data_behind_a_read_only_archive_is_read_as_it_stands_and_the_user_is_told() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa");
    // The index as it was before a later ingest (a snapshot taken between the two).
    let kept = a.path("index-before");
    let copied = Command::new("cp")
        .arg("-a")
        .arg(a.dir.join("index"))
        .arg(&kept)
        .status()
        .expect("cp");
    assert!(copied.success());
    let before = a.ok(["search", "date:1990..2100", "--format", "jsonl"]);
    a.ingest(&fixture("web-ru.txt"), "ru_web");
    let after = a.ok(["search", "date:1990..2100", "--format", "jsonl"]);
    assert_ne!(
        before, after,
        "the later ingest adds posts the query matches"
    );
    std::fs::remove_dir_all(a.dir.join("index")).expect("index removed");
    let moved = Command::new("cp")
        .arg("-a")
        .arg(&kept)
        .arg(a.dir.join("index"))
        .status()
        .expect("cp");
    assert!(moved.success());
    let Some(view) = read_only_view(&a) else {
        return;
    };
    let (ok, out, err) = run(
        &view.path,
        &["search", "date:1990..2100", "--format", "jsonl"],
    );
    assert!(ok, "{err}");
    assert_eq!(
        out, before,
        "the search answers from the index as it stands"
    );
    assert!(
        err.contains("the archive is read-only here: its search index is behind the archive"),
        "the user is told: {err}"
    );
    // What does not need the index still sees every post.
    let (ok, out, _) = run(
        &view.path,
        &["posts", "--channel", "ru_web", "--format", "jsonl"],
    );
    assert!(ok);
    assert!(!out.is_empty());
}
