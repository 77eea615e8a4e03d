//! An ingest killed with SIGKILL part-way leaves a consistent archive holding whole posts, and
//! running the same ingest again completes it.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Archive, n, numbered_capture, s, stderr, stdout};

const POSTS: u64 = 60_000;

/// The overall time allowed for the ingest to show a partial capture with posts.
const WAIT: Duration = Duration::from_secs(120);

/// The one capture of the archive, when `captures --format json` can be read.
fn the_capture(a: &Archive) -> Option<Value> {
    let out = a.run(["captures", "--format", "json"]);
    if !out.status.success() {
        return None;
    }
    let list: Value = serde_json::from_slice(&out.stdout).ok()?;
    list.as_array()?.first().cloned()
}

#[test]
fn a_killed_ingest_leaves_whole_posts_and_resumes() {
    let a = Archive::new();
    let capture = a.write("big-capture.txt", numbered_capture(POSTS));
    let ingest_args = args!["ingest", capture, "--channel", "big_channel", "-q"];

    let mut child = Command::new(assert_cmd::cargo::cargo_bin("tgscope"))
        .env_remove("TGSCOPE_ARCHIVE")
        .env_remove("RUST_LOG")
        .arg("--archive")
        .arg(&a.dir)
        .args(&ingest_args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tgscope starts");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("child status") {
            eprintln!("skipping: the ingest finished ({status}) before a partial capture was seen");
            return;
        }
        if start.elapsed() > WAIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no partial capture with posts within {WAIT:?}");
        }
        if let Some(c) = the_capture(&a)
            && c["status"] == "partial"
            && n(&c, "posts_seen") > 0
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("child reaped");

    let killed = the_capture(&a).expect("captures readable after the kill");
    if killed["status"] == "complete" {
        eprintln!("skipping: the ingest completed before it was killed");
        return;
    }
    assert_eq!(killed["status"], "partial", "{killed}");
    let seen = n(&killed, "posts_seen");
    assert!(seen > 0 && seen < POSTS, "posts_seen {seen}");
    eprintln!("killed after {seen} posts");

    // The archive is consistent and holds exactly the posts the capture says it committed.
    let out = a.run(["check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("is consistent"), "{}", stdout(&out));
    let stats = a.stats();
    assert_eq!(n(&stats, "captures_partial"), 1, "{stats}");
    assert_eq!(n(&stats, "captures_complete"), 0, "{stats}");
    assert_eq!(n(&stats, "posts"), seen, "{stats}");
    assert_eq!(n(&stats, "versions"), seen, "{stats}");
    assert_eq!(n(&stats, "sightings"), seen, "{stats}");
    let table = a.ok(["captures"]);
    assert!(table.contains("partial"), "{table}");

    // The same ingest again completes it.
    let out = a.run(&ingest_args);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let summary = stdout(&out);
    assert!(summary.contains("resumed"), "{summary}");
    assert!(
        summary.contains(&format!(
            "{} new, 0 updated, 0 unchanged (resumed an interrupted ingest)",
            POSTS - seen
        )),
        "{summary}"
    );
    let captures = a.captures();
    assert_eq!(captures.len(), 1);
    assert_eq!(s(&captures[0], "status"), "complete");
    assert_eq!(n(&captures[0], "posts_seen"), POSTS);
    let stats = a.stats();
    assert_eq!(n(&stats, "posts"), POSTS, "{stats}");
    assert_eq!(n(&stats, "versions"), POSTS, "{stats}");
    assert_eq!(n(&stats, "sightings"), POSTS, "{stats}");
    assert_eq!(n(&stats, "captures_complete"), 1);
    assert_eq!(n(&stats, "captures_partial"), 0);
    let out = a.run(["check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );

    // The last post is whole, and the first and the last are where the capture has them.
    let last = a.jsonl(["posts", "--format", "jsonl", "--offset", "59999"]);
    assert_eq!(last.len(), 1);
    assert_eq!(
        last[0]["text"],
        "Post number 59999 opens with a unique line\n\
         Body of post 59999 says something about topic 419993"
    );
    assert_eq!(last[0]["forwarded_from"]["title"], "Source Channel");
    let first = a.jsonl(["posts", "--format", "jsonl", "--limit", "1"]);
    assert!(
        s(&first[0], "text").starts_with("Post number 0 opens"),
        "{}",
        first[0]
    );

    // A third run adds nothing.
    let out = a.run(&ingest_args);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("already archived"),
        "{}",
        stdout(&out)
    );
}
