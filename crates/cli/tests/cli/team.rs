//! The archive in PostgreSQL (`--database`, `TGSCOPE_DATABASE`): the same commands on the same
//! captures give what the embedded archive gives. Each test gets a fresh database on a
//! throwaway PostgreSQL server (skipped, with a message, when PostgreSQL is not installed and
//! `TGSCOPE_REQUIRE_POSTGRES` is unset).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Archive, fixture, n, numbered_capture, parse_jsonl, stderr, stdout, tgscope};

use crate::collect::server::{Answer, Post, Server, channel_page};

/// `tgscope --database URL --archive DIR ARGS`, which must succeed; its stdout.
fn on_postgres(url: &str, dir: &Path, args: &[&str]) -> String {
    let out = run_on_postgres(url, dir, args);
    assert!(
        out.status.success(),
        "tgscope --database {args:?} failed:\n{}",
        stderr(&out)
    );
    stdout(&out)
}

fn run_on_postgres(url: &str, dir: &Path, args: &[&str]) -> Output {
    tgscope()
        .arg("--database")
        .arg(url)
        .arg("--archive")
        .arg(dir)
        .args(args)
        .output()
        .expect("tgscope runs")
}

/// The export's records with the times of the run blanked (when a capture was ingested, when a
/// version entered the archive): they differ between any two runs.
fn without_run_times(rows: Vec<Value>) -> Vec<Value> {
    fn blank(v: Value) -> Value {
        match v {
            Value::Object(o) => Value::Object(
                o.into_iter()
                    .map(|(k, v)| {
                        if matches!(k.as_str(), "archived_at" | "ingested_at") {
                            (k, Value::Null)
                        } else {
                            (k, blank(v))
                        }
                    })
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.into_iter().map(blank).collect()),
            other => other,
        }
    }
    rows.into_iter().map(blank).collect()
}

#[test]
fn the_same_commands_on_postgres_give_what_the_embedded_archive_gives() {
    let Some(url) = tgscope_postgres::testing::database().expect("a throwaway PostgreSQL") else {
        return;
    };
    let embedded = Archive::new();
    let team = Archive::new();
    let inputs = [
        ("web-mfa.txt", "mfa_web"),
        ("web-mfa-edited.txt", "mfa_web"),
        ("web-ru.txt", "ru_web"),
        ("desktop-ru.txt", "ru_web"),
    ];
    for (name, channel) in inputs {
        let path = fixture(name);
        let path = path.to_str().unwrap();
        embedded.ingest(Path::new(path), channel);
        on_postgres(&url, &team.dir, &["ingest", path, "--channel", channel]);
    }
    // Idempotent on PostgreSQL too.
    let again = on_postgres(
        &url,
        &team.dir,
        &[
            "ingest",
            fixture("web-mfa.txt").to_str().unwrap(),
            "--channel",
            "mfa_web",
        ],
    );
    assert!(again.contains("0 new"), "{again}");

    let export = without_run_times(embedded.export());
    let team_export = without_run_times(parse_jsonl(&on_postgres(
        &url,
        &team.dir,
        &["export", "--format", "jsonl"],
    )));
    assert!(export.len() > 5, "{} posts", export.len());
    assert_eq!(team_export, export);

    // Counts, channels and search hits, read from the database and its search index.
    let json = |out: String| -> Value { serde_json::from_str(&out).expect("JSON") };
    let stats = embedded.json(["stats", "--format", "json"]);
    assert_eq!(
        json(on_postgres(&url, &team.dir, &["stats", "--format", "json"])),
        stats
    );
    let hits = |v: &Value| -> Vec<(i64, String)> {
        v["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .map(|h| {
                (
                    h["id"].as_i64().unwrap(),
                    h["text"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    for query in ["министерство", "#BRICS", "trade"] {
        let found = embedded.json(["search", query, "--format", "json"]);
        let team_found = json(on_postgres(
            &url,
            &team.dir,
            &["search", query, "--format", "json"],
        ));
        assert!(!hits(&found).is_empty(), "{query}: {found:#}");
        assert_eq!(hits(&team_found), hits(&found), "{query}");
    }
    let check = on_postgres(&url, &team.dir, &["check"]);
    assert!(check.contains("consistent"), "{check}");

    // TGSCOPE_DATABASE says the same as --database.
    let by_env = tgscope()
        .env("TGSCOPE_DATABASE", &url)
        .arg("--archive")
        .arg(&team.dir)
        .args(["stats", "--format", "json"])
        .output()
        .expect("tgscope runs");
    assert!(by_env.status.success(), "{}", stderr(&by_env));
    assert_eq!(json(stdout(&by_env)), stats);
}

#[test]
fn a_database_that_cannot_be_reached_is_named_without_its_password() {
    let a = Archive::new();
    let out = run_on_postgres(
        "postgres://ana:s3cret@127.0.0.1:1/tgscope",
        &a.dir,
        &["stats"],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("postgres://ana:***@127.0.0.1:1/tgscope"),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
}

/// The export as a set: every record without what depends on which writer got there first
/// (archive ids, the cluster and copy ids that are post ids, and a version's views and raw text,
/// which it keeps from the capture that showed it first: of two captures of the same version
/// with other view counts, whichever committed first) or on the run (`archived_at`,
/// `ingested_at`), with each post's captures in SHA-256 order, sorted. What stays is what the
/// archive says: each post's channel, message id, text, dates, forward, parts, version and
/// version count, and which captures saw it.
fn export_as_set(url: &str, dir: &Path) -> Vec<String> {
    fn canonical(v: Value) -> Value {
        match v {
            Value::Object(o) => Value::Object(
                o.into_iter()
                    .map(|(k, v)| match k.as_str() {
                        "id" | "cluster" | "copy_of" | "views" | "raw_text" | "archived_at"
                        | "ingested_at" => (k, Value::Null),
                        "captures" => {
                            let mut shas: Vec<Value> = v.as_array().cloned().unwrap_or_default();
                            shas.sort_by_key(|s| s.as_str().unwrap_or_default().to_string());
                            (k, Value::Array(shas))
                        }
                        _ => (k, canonical(v)),
                    })
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.into_iter().map(canonical).collect()),
            other => other,
        }
    }
    let mut rows: Vec<String> =
        parse_jsonl(&on_postgres(url, dir, &["export", "--format", "jsonl"]))
            .into_iter()
            .map(|r| canonical(r).to_string())
            .collect();
    rows.sort();
    rows
}

/// `tgscope captures --format json` of a database: each capture's SHA-256 with its status.
/// Asserts two exports (as sets) are the same, showing the records only one of them has.
fn assert_same_posts(found: &[String], expected: &[String]) {
    let only = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter()
            .filter(|r| !b.contains(r))
            .take(3)
            .cloned()
            .collect()
    };
    assert!(
        found == expected,
        "{} records, {} expected\nonly found:\n{}\nonly expected:\n{}",
        found.len(),
        expected.len(),
        only(found, expected).join("\n"),
        only(expected, found).join("\n")
    );
}

fn captures(url: &str, dir: &Path) -> Vec<(String, String)> {
    let list: Value =
        serde_json::from_str(&on_postgres(url, dir, &["captures", "--format", "json"]))
            .expect("captures as JSON");
    let mut out: Vec<(String, String)> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| {
            (
                c["sha256"].as_str().unwrap_or_default().to_string(),
                c["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn assert_consistent(url: &str, dir: &Path) {
    let out = run_on_postgres(url, dir, &["check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "check: {}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("is consistent"), "{}", stdout(&out));
}

/// A Telegram Desktop export (result.json) of a channel: posts `from..to` with message ids, each
/// with a text that names its id, the ones divisible by 5 forwarded from another channel.
fn desktop_export(channel: &str, from: i64, to: i64) -> String {
    let messages: Vec<Value> = (from..to)
        .map(|id| {
            let mut m = serde_json::json!({
                "id": id,
                "type": "message",
                "date": format!("2024-04-{:02}T{:02}:{:02}:00", 1 + id / 1440 % 28, id / 60 % 24, id % 60),
                "date_unixtime": (1_711_929_600 + id * 60).to_string(),
                "from": channel,
                "from_id": "channel1000000001",
                "text": format!("Post {id} of the shared channel on #topic{} and trade", id % 7),
                "text_entities": [{"type": "plain", "text": format!("Post {id} of the shared channel on #topic{} and trade", id % 7)}],
            });
            if id % 5 == 0 {
                m["forwarded_from"] = Value::from("Source Channel");
            }
            m
        })
        .collect();
    // In the order Telegram Desktop writes them: the chat's name and id before its messages.
    let messages: Vec<String> = messages.iter().map(Value::to_string).collect();
    format!(
        r#"{{"name": {}, "type": "public_channel", "id": 1000000001, "messages": [{}]}}"#,
        Value::from(channel),
        messages.join(",\n")
    )
}

/// Writes the captures the writers share: Desktop exports of one channel that overlap (posts
/// 1-400, 200-600, 1-600 again as a later export, 500-700), and the text fixtures.
fn overlapping_captures(a: &Archive) -> Vec<(PathBuf, &'static str)> {
    let mut out = Vec::new();
    for (i, (from, to)) in [(1, 400), (200, 600), (1, 600), (500, 700)]
        .iter()
        .enumerate()
    {
        let dir = a.path(&format!("export-{i}"));
        std::fs::create_dir_all(&dir).expect("export folder");
        std::fs::write(
            dir.join("result.json"),
            desktop_export("Shared", *from, *to),
        )
        .expect("result.json");
        out.push((dir, "shared"));
    }
    for (name, channel) in [
        ("web-mfa.txt", "mfa_web"),
        ("web-mfa-later.txt", "mfa_web"),
        ("web-mfa-edited.txt", "mfa_web"),
        ("web-ru.txt", "ru_web"),
        ("desktop-ru.txt", "ru_web"),
    ] {
        out.push((fixture(name), channel));
    }
    out
}

#[test]
fn four_ingests_at_once_give_what_one_serial_ingest_gives() {
    let (Some(serial), Some(shared)) = (
        tgscope_postgres::testing::database().expect("a throwaway PostgreSQL"),
        tgscope_postgres::testing::database().expect("a throwaway PostgreSQL"),
    ) else {
        return;
    };
    let a = Archive::new();
    let inputs = overlapping_captures(&a);
    let ingest = |url: &str, dir: &Path, (path, channel): &(PathBuf, &str)| {
        on_postgres(
            url,
            dir,
            &["ingest", path.to_str().unwrap(), "--channel", channel, "-q"],
        );
    };
    let serial_dir = a.path("serial");
    for input in &inputs {
        ingest(&serial, &serial_dir, input);
    }
    // Four processes at once, each ingesting every capture, each in another order; they share
    // the folder of raw captures (one machine, or a shared directory).
    let folder = a.path("team");
    std::thread::scope(|scope| {
        for writer in 0..4 {
            let (inputs, folder, shared) = (&inputs, &folder, &shared);
            scope.spawn(move || {
                let mut order: Vec<&(PathBuf, &str)> = inputs.iter().collect();
                order.rotate_left(writer * 2);
                if writer % 2 == 1 {
                    order.reverse();
                }
                for input in order {
                    ingest(shared, folder, input);
                }
            });
        }
    });
    let expected = export_as_set(&serial, &serial_dir);
    assert!(expected.len() > 700, "{} posts", expected.len());
    let reader = a.path("reader");
    assert_same_posts(&export_as_set(&shared, &reader), &expected);
    // Each capture recorded once, complete.
    let recorded = captures(&shared, &reader);
    assert_eq!(recorded, captures(&serial, &serial_dir));
    assert_eq!(recorded.len(), inputs.len());
    assert!(
        recorded.iter().all(|(_, status)| status == "complete"),
        "{recorded:?}"
    );
    // The counts agree, and the archive is consistent.
    let stats = |url: &str, dir: &Path| -> Value {
        serde_json::from_str(&on_postgres(url, dir, &["stats", "--format", "json"])).expect("JSON")
    };
    let (team, alone) = (stats(&shared, &reader), stats(&serial, &serial_dir));
    for key in [
        "posts",
        "versions",
        "sightings",
        "channels",
        "captures_complete",
    ] {
        assert_eq!(n(&team, key), n(&alone, key), "{key}: {team} {alone}");
    }
    assert_consistent(&shared, &reader);
    // The search index of a new server's folder is caught up from the database.
    let found: Value = serde_json::from_str(&on_postgres(
        &shared,
        &a.path("another-server"),
        &["search", "trade", "--format", "json"],
    ))
    .expect("JSON");
    let serial_found: Value = serde_json::from_str(&on_postgres(
        &serial,
        &serial_dir,
        &["search", "trade", "--format", "json"],
    ))
    .expect("JSON");
    assert_eq!(found["total"], serial_found["total"], "{found}");
    assert!(n(&found, "total") > 600, "{found}");
}

/// Serves a channel of `posts` posts, 20 to a page, as t.me/s does.
fn serve_channel(server: &Server, channel: &str, posts: i64) {
    let all: Vec<Post> = (1..=posts)
        .map(|id| Post::new(id, &format!("Collected post {id} about trade and #watch")))
        .collect();
    let mut newest = posts;
    let mut path = format!("/s/{channel}");
    loop {
        let oldest = (newest - 19).max(1);
        let page = &all[(oldest - 1) as usize..newest as usize];
        let more = (oldest > 1).then_some(oldest);
        server.route(
            &path,
            vec![Answer::page(channel_page(channel, "Watched", page, more))],
        );
        match more {
            Some(before) => {
                path = format!("/s/{channel}?before={before}");
                newest = before - 1;
            }
            None => break,
        }
    }
}

#[test]
fn a_collection_and_an_ingest_at_once_lose_nothing() {
    let (Some(serial), Some(shared)) = (
        tgscope_postgres::testing::database().expect("a throwaway PostgreSQL"),
        tgscope_postgres::testing::database().expect("a throwaway PostgreSQL"),
    ) else {
        return;
    };
    let server = Server::start();
    serve_channel(&server, "watched_chan", 300);
    let a = Archive::new();
    let inputs = overlapping_captures(&a);
    let collect_args = |base: &str| -> Vec<String> {
        [
            "collect",
            "watched_chan",
            "--base-url",
            base,
            "--delay",
            "0",
            "-q",
        ]
        .map(String::from)
        .to_vec()
    };
    let base = server.base.clone();
    let serial_dir = a.path("serial");
    let args = collect_args(&base);
    on_postgres(
        &serial,
        &serial_dir,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    for (path, channel) in &inputs {
        on_postgres(
            &serial,
            &serial_dir,
            &["ingest", path.to_str().unwrap(), "--channel", channel, "-q"],
        );
    }
    let folder = a.path("team");
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let args = collect_args(&base);
            on_postgres(
                &shared,
                &folder,
                &args.iter().map(String::as_str).collect::<Vec<_>>(),
            );
        });
        scope.spawn(|| {
            for (path, channel) in &inputs {
                on_postgres(
                    &shared,
                    &folder,
                    &["ingest", path.to_str().unwrap(), "--channel", channel, "-q"],
                );
            }
        });
    });
    let reader = a.path("reader");
    let expected = export_as_set(&serial, &serial_dir);
    assert!(expected.len() > 1000, "{} posts", expected.len());
    assert_same_posts(&export_as_set(&shared, &reader), &expected);
    assert_eq!(captures(&shared, &reader), captures(&serial, &serial_dir));
    assert_consistent(&shared, &reader);
}

#[test]
fn an_ingest_killed_mid_capture_leaves_the_database_consistent_and_resumes() {
    const POSTS: u64 = 20_000;
    let Some(url) = tgscope_postgres::testing::database().expect("a throwaway PostgreSQL") else {
        return;
    };
    let a = Archive::new();
    let capture = a.write("big-capture.txt", numbered_capture(POSTS));
    let folder = a.path("team");
    let ingest_args = [
        "ingest",
        capture.to_str().unwrap(),
        "--channel",
        "big_channel",
        "-q",
    ];
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("tgscope"))
        .env_remove("TGSCOPE_ARCHIVE")
        .env_remove("TGSCOPE_DATABASE")
        .env_remove("RUST_LOG")
        .arg("--database")
        .arg(&url)
        .arg("--archive")
        .arg(&folder)
        .args(ingest_args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tgscope starts");
    let the_capture = || -> Option<Value> {
        let out = run_on_postgres(&url, &a.path("watcher"), &["captures", "--format", "json"]);
        let list: Value = serde_json::from_slice(&out.stdout).ok()?;
        list.as_array()?.first().cloned()
    };
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("child status") {
            eprintln!("skipping: the ingest finished ({status}) before a partial capture was seen");
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "no partial capture with posts within 180 s"
        );
        if let Some(c) = the_capture()
            && c["status"] == "partial"
            && n(&c, "posts_seen") > 0
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("child reaped");
    let killed = the_capture().expect("the capture after the kill");
    if killed["status"] == "complete" {
        eprintln!("skipping: the ingest completed before it was killed");
        return;
    }
    let seen = n(&killed, "posts_seen");
    assert!(seen > 0 && seen < POSTS, "posts_seen {seen}");
    // What the capture says it committed is what the database holds, and it is consistent.
    assert_consistent(&url, &a.path("watcher"));
    let stats: Value =
        serde_json::from_str(&on_postgres(&url, &folder, &["stats", "--format", "json"]))
            .expect("JSON");
    assert_eq!(n(&stats, "posts"), seen, "{stats}");
    assert_eq!(n(&stats, "sightings"), seen, "{stats}");
    assert_eq!(n(&stats, "captures_partial"), 1, "{stats}");
    // The same ingest again completes it.
    let summary = on_postgres(&url, &folder, &ingest_args[..4]);
    assert!(summary.contains("resumed"), "{summary}");
    let stats: Value =
        serde_json::from_str(&on_postgres(&url, &folder, &["stats", "--format", "json"]))
            .expect("JSON");
    assert_eq!(n(&stats, "posts"), POSTS, "{stats}");
    assert_eq!(n(&stats, "sightings"), POSTS, "{stats}");
    assert_eq!(n(&stats, "captures_complete"), 1, "{stats}");
    assert_consistent(&url, &folder);
}
