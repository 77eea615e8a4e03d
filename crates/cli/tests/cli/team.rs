//! The archive in PostgreSQL (`--database`, `TGSCOPE_DATABASE`): the same commands on the same
//! captures give what the embedded archive gives. Each test gets a fresh database on a
//! throwaway PostgreSQL server (skipped, with a message, when PostgreSQL is not installed and
//! `TGSCOPE_REQUIRE_POSTGRES` is unset).

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::common::{Archive, fixture, parse_jsonl, stderr, stdout, tgscope};

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

#[test]
fn serve_refuses_a_database_until_team_mode_has_sign_in() {
    let a = Archive::new();
    let out = run_on_postgres("postgres://ana@127.0.0.1:1/tgscope", &a.dir, &["serve"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("sign-in"), "{}", stderr(&out));
}
