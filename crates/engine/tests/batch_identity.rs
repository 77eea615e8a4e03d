//! The identity of posts is looked up a batch at a time (`PostWrites::identify`), with what the
//! batch itself wrote added by the engine. Whatever the batch size, the archive must come out
//! the same as when every post is its own batch: the same posts, versions, sightings and ids.
//! The inputs hold what makes batches hard: a message seen twice in one capture (the second time
//! edited), a post without message id repeated, edits across captures, posts without ids that a
//! later capture with ids adopts, forwards that create channels, and the real samples.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;
use tgscope_engine::{Engine, ExportFormat, IngestOptions, NoProgress, PostFilter};

/// A message dump (one JSON object per line) that repeats messages inside itself: message 2
/// twice with the same text, message 3 again with an edited text, and a message without id
/// twice.
const DUMP: &str = r#"{"id": 1, "date": "2024-03-01T10:00:00+00:00", "message": "The ministers met in Astana to discuss transport corridors and trade."}
{"id": 2, "date": "2024-03-01T11:00:00+00:00", "message": "A plan of consultations on regional affairs was signed today."}
{"id": 3, "date": "2024-03-01T12:00:00+00:00", "message": "The delegation arrived in Minsk for two days of talks."}
{"id": 2, "date": "2024-03-01T11:00:00+00:00", "message": "A plan of consultations on regional affairs was signed today."}
{"id": 3, "date": "2024-03-01T12:00:00+00:00", "message": "The delegation arrived in Minsk for three days of talks."}
{"date": "2024-03-02T09:00:00+00:00", "message": "A statement without a message id, posted twice by the channel."}
{"date": "2024-03-02T09:00:00+00:00", "message": "A statement without a message id, posted twice by the channel."}
{"id": 4, "date": "2024-03-02T10:00:00+00:00", "message": "The ministers met in Astana to discuss transport corridors and trade."}
"#;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The inputs, in the order they are ingested.
fn inputs(dump: &Path) -> Vec<(PathBuf, Option<&'static str>)> {
    let root = workspace();
    let fixtures = root.join("crates/cli/tests/fixtures");
    let mut out = vec![
        (dump.to_path_buf(), Some("dump_channel")),
        (
            root.join("examples/captures/mfa-digest.txt"),
            Some("mfa_digest"),
        ),
        (
            root.join("examples/captures/cis-echo.txt"),
            Some("cis_echo"),
        ),
        (
            root.join("examples/captures/desktop-copy.txt"),
            Some("mfa_digest"),
        ),
        (fixtures.join("web-mfa.txt"), Some("mfa_web")),
        (fixtures.join("web-mfa-edited.txt"), Some("mfa_web")),
        (fixtures.join("web-mfa-later.txt"), Some("mfa_web")),
        (fixtures.join("web-ru.txt"), Some("ru_web")),
        (fixtures.join("desktop-ru.txt"), Some("ru_web")),
        (fixtures.join("copies"), None),
    ];
    if let Some(samples) = samples() {
        for folder in ["text", "desktop-json", "tme-html"] {
            out.push((samples.join(folder), None));
        }
    }
    out
}

/// The shared samples folder, when there is one (`TGSCOPE_REQUIRE_SAMPLES` makes it required).
fn samples() -> Option<PathBuf> {
    let candidates = match std::env::var_os("TGSCOPE_SAMPLES_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => vec![PathBuf::from(dir)],
        None => vec![
            PathBuf::from("/work/shared/samples"),
            workspace().join("../shared/samples"),
        ],
    };
    let found = candidates.into_iter().find(|p| p.is_dir());
    if found.is_none() {
        assert!(
            std::env::var_os("TGSCOPE_REQUIRE_SAMPLES").is_none(),
            "TGSCOPE_REQUIRE_SAMPLES is set but the samples folder is missing"
        );
        eprintln!("the samples folder is missing: only the project's own inputs are ingested");
    }
    found
}

/// Ingests every input with this batch size; returns the JSON Lines export with the times of
/// the run (when a capture was ingested, when a version entered the archive) blanked, and the
/// ingest reports' counts.
fn archive_with_batch(batch: usize, dump: &Path) -> (Vec<Value>, Vec<(u64, u64, u64)>) {
    let tmp = TempDir::new().unwrap();
    let mut engine = Engine::open(&tmp.path().join("archive")).unwrap();
    let mut counts = Vec::new();
    for (path, channel) in inputs(dump) {
        let options = IngestOptions {
            channel: channel.map(str::to_string),
            batch: Some(batch),
            ..IngestOptions::default()
        };
        let report = engine
            .ingest(std::slice::from_ref(&path), &options, &mut NoProgress)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        counts.push((
            report.posts_new(),
            report.posts_updated(),
            report.posts_unchanged(),
        ));
    }
    let mut out = Vec::new();
    engine
        .export(&PostFilter::default(), ExportFormat::Jsonl, &mut out)
        .unwrap();
    let rows = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| blank_run_times(serde_json::from_str(l).unwrap()))
        .collect();
    (rows, counts)
}

/// Blanks the values that say when this run wrote something (they differ between runs).
fn blank_run_times(value: Value) -> Value {
    match value {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| {
                    if matches!(k.as_str(), "archived_at" | "ingested_at" | "first_seen_at") {
                        (k, Value::Null)
                    } else {
                        (k, blank_run_times(v))
                    }
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(blank_run_times).collect()),
        other => other,
    }
}

#[test]
fn any_batch_size_gives_the_archive_that_one_post_at_a_time_gives() {
    let tmp = TempDir::new().unwrap();
    let dump = tmp.path().join("dump_channel.jsonl");
    std::fs::write(&dump, DUMP).unwrap();

    let (one_at_a_time, counts) = archive_with_batch(1, &dump);
    // The dump's repeats are recognised inside the capture: messages 1 to 4 and the post
    // without id are new (5), message 2's repeat is unchanged, message 3's edit updates it,
    // and the repeat without id is the same post again.
    assert_eq!(counts[0], (5, 1, 2), "the dump's counts: {counts:?}");
    let edited = one_at_a_time
        .iter()
        .find(|r| r["text"].as_str().is_some_and(|t| t.contains("three days")))
        .expect("message 3's edited text");
    assert_eq!(edited["versions"], 2, "{edited}");
    assert!(one_at_a_time.len() > 20, "{} posts", one_at_a_time.len());

    for batch in [2, 3, 500] {
        let (batched, batched_counts) = archive_with_batch(batch, &dump);
        assert_eq!(batched_counts, counts, "reports with batches of {batch}");
        assert_eq!(
            batched.len(),
            one_at_a_time.len(),
            "posts with batches of {batch}"
        );
        for (a, b) in one_at_a_time.iter().zip(&batched) {
            assert_eq!(a, b, "batches of {batch}");
        }
    }
}
