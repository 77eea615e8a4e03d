//! `tgscope narrative`: add, edit, list, show, remove and report on the planted fixture
//! (`fixtures/narratives/planted.jsonl`: the "west" theme first posted by alpha on 2024-03-02,
//! joined by beta on the 3rd and gamma on the 12th (an inferred date), and once undated in
//! delta), in every format, and the errors a user meets.

use crate::common::{Archive, fixture, n, s, stderr};

fn planted() -> Archive {
    let a = Archive::new();
    a.ok(args!["ingest", fixture("narratives/planted.jsonl"), "-q"]);
    a.ok(args![
        "narrative",
        "add",
        "west",
        "--query",
        "коллективный Запад",
        "--query",
        "\"collective West\"",
        "--description",
        "the collective West, RU and EN"
    ]);
    a
}

#[test]
fn a_report_in_json_gives_the_planted_first_post_channels_and_counts() {
    let a = planted();
    let r = a.json(args![
        "narrative",
        "report",
        "West",
        "--by",
        "day",
        "--format",
        "json"
    ]);
    assert_eq!(s(&r["narrative"], "name"), "west");
    assert_eq!(n(&r["narrative"], "version"), 1);
    assert_eq!(
        (
            n(&r, "matching"),
            n(&r, "dated"),
            n(&r, "undated"),
            n(&r, "inferred_dates")
        ),
        (5, 4, 1, 1)
    );
    let first = &r["first_post"];
    assert_eq!(s(&first["channel"], "name"), "alpha");
    assert_eq!(first["message_id"], 1);
    assert_eq!(s(first, "date"), "2024-03-02T08:00:00Z");
    assert_eq!(first["date_inferred"], false);
    assert_eq!(s(&r["first_channel"], "name"), "alpha");
    let joined: Vec<(String, bool)> = r["joined"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                s(&p["channel"], "name").to_string(),
                p["date_inferred"] == true,
            )
        })
        .collect();
    assert_eq!(
        joined,
        [
            ("alpha".into(), false),
            ("beta".into(), false),
            ("gamma".into(), true)
        ]
    );
    let per_day: Vec<(String, u64)> = r["counts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| n(c, "count") > 0)
        .map(|c| (s(c, "start").to_string(), n(c, "count")))
        .collect();
    assert_eq!(
        per_day,
        [
            ("2024-03-02".into(), 1),
            ("2024-03-03".into(), 2),
            ("2024-03-12".into(), 1)
        ]
    );
    let top: Vec<i64> = r["top_posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["message_id"].as_i64().unwrap())
        .collect();
    assert_eq!(top, [11, 1, 21, 12, 31], "by views");
}

#[test]
fn the_table_names_what_it_leaves_out_and_csv_is_the_series() {
    let a = planted();
    let out = a.run(args!["narrative", "report", "west", "--by", "week"]);
    assert!(out.status.success());
    let table = crate::common::stdout(&out);
    assert!(
        table.contains("5 posts matching: 4 dated (1 of them inferred), 1 undated"),
        "{table}"
    );
    assert!(table.contains("first post: 2024-03-02 in alpha"), "{table}");
    assert!(table.contains("2024-03-12 (inferred)"), "{table}");
    assert!(
        stderr(&out).contains("1 post without a date"),
        "{}",
        stderr(&out)
    );

    let csv = a.ok(args![
        "narrative",
        "report",
        "west",
        "--by",
        "week",
        "--format",
        "csv"
    ]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("period,start,channel_id,channel,posts,channels")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(
        &rows[..3],
        [
            "week,2024-02-26,,,3,2",
            "week,2024-03-04,,,0,0",
            "week,2024-03-11,,,1,1"
        ]
    );
    assert!(rows.iter().any(|r| r.ends_with(",beta,2,")), "{csv}");
    let jsonl = a.jsonl(args![
        "narrative",
        "report",
        "west",
        "--by",
        "week",
        "--format",
        "jsonl"
    ]);
    assert_eq!(jsonl.len(), rows.len());
}

#[test]
fn edits_make_versions_and_removal_keeps_them() {
    let a = planted();
    let edited = a.json(args![
        "narrative",
        "edit",
        "west",
        "--query",
        "\"collective West\"",
        "--format",
        "json"
    ]);
    assert_eq!(
        (n(&edited[0], "version"), n(&edited[0], "matching")),
        (2, 2)
    );
    assert_eq!(
        s(&edited[0], "description"),
        "the collective West, RU and EN"
    );
    let shown = a.json(args!["narrative", "show", "west", "--format", "json"]);
    assert_eq!(shown["versions"].as_array().unwrap().len(), 2);
    let list = a.ok(args!["narrative", "list", "--format", "csv"]);
    assert!(
        list.starts_with(
            "name,version,matching,queries,description,created_at,updated_at,removed_at\nwest,2,2,"
        ),
        "{list}"
    );

    a.ok(args!["narrative", "remove", "west"]);
    assert!(
        a.json(args!["narrative", "list", "--format", "json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    let all = a.json(args!["narrative", "list", "--all", "--format", "json"]);
    assert!(all[0]["removed_at"].is_string());
    let gone = a.run(args!["narrative", "report", "west"]);
    assert_eq!(gone.status.code(), Some(4));
    assert!(
        stderr(&gone).contains("it was removed"),
        "{}",
        stderr(&gone)
    );
}

#[test]
fn unknown_narratives_and_bad_queries_are_clear_errors() {
    let a = planted();
    let missing = a.run(args!["narrative", "report", "east"]);
    assert_eq!(missing.status.code(), Some(4));
    assert!(stderr(&missing).contains("no narrative is called \"east\""));
    let bad = a.run(args![
        "narrative",
        "add",
        "east",
        "--query",
        "Восток",
        "--query",
        "(unclosed"
    ]);
    assert_eq!(bad.status.code(), Some(3));
    assert!(
        stderr(&bad).contains("query 2 (\"(unclosed\")"),
        "{}",
        stderr(&bad)
    );
    let list = a.json(args!["narrative", "list", "--format", "json"]);
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "the bad narrative was not stored"
    );
    let usage = a.run(args!["narrative", "add", "east"]);
    assert_eq!(usage.status.code(), Some(2), "--query is required");
}
