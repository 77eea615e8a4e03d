//! Ingest: idempotence, edited copies becoming versions, overlapping captures, and the summary.

use serde_json::Value;

use crate::common::{Archive, fixture, fixture_text, id_of, n, s};

/// The word that `web-mfa-edited.txt` changes in the first post of `web-mfa.txt`.
const ORIGINAL: &str = "rose by a third";
const EDITED: &str = "rose by a half";

#[test]
fn the_edited_fixture_differs_from_the_original_by_one_word_of_one_post() {
    let original = fixture_text("web-mfa.txt");
    let edited = fixture_text("web-mfa-edited.txt");
    assert_ne!(original, edited);
    assert_eq!(original.replace(ORIGINAL, EDITED), edited);
    // The word occurs in the body and in its repeat, both of the first post.
    assert_eq!(original.matches(ORIGINAL).count(), 2);
}

#[test]
fn ingesting_the_same_capture_twice_adds_nothing() {
    let a = Archive::new();
    let capture = fixture("web-mfa.txt");
    let first = a.ingest(&capture, "mfa_test");
    assert!(
        first.contains("6 new, 0 updated, 0 unchanged"),
        "first summary: {first}"
    );
    let before = a.snapshot();
    let stats = a.stats();
    assert_eq!(n(&stats, "posts"), 6);
    assert_eq!(n(&stats, "versions"), 6);

    let second = a.ingest(&capture, "mfa_test");
    assert!(
        second.contains("already archived"),
        "second summary: {second}"
    );
    assert!(
        second.contains("captures: 1; posts: 0 new, 0 updated, 6 unchanged"),
        "second summary: {second}"
    );
    assert_eq!(a.snapshot(), before, "a second ingest changed the archive");
    let stats = a.stats();
    assert_eq!(n(&stats, "posts"), 6);
    assert_eq!(n(&stats, "versions"), 6);
    assert_eq!(n(&stats, "sightings"), 6);
    assert_eq!(a.captures().len(), 1);
}

#[test]
fn a_copy_of_a_capture_under_another_name_is_already_archived() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa_test");
    let before = a.snapshot();
    let copy = a.write("renamed copy.txt", fixture_text("web-mfa.txt"));
    let summary = a.ingest(&copy, "mfa_test");
    assert!(summary.contains("already archived"), "{summary}");
    assert!(summary.contains("renamed copy.txt"), "{summary}");
    assert_eq!(a.snapshot(), before);
}

#[test]
fn the_same_file_given_twice_in_one_run_is_archived_once() {
    let a = Archive::new();
    let capture = fixture("web-mfa.txt");
    let summary = a.ok(args!["ingest", capture, capture, "--channel", "mfa_test",]);
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines.len(), 3, "{summary}");
    assert!(
        lines[0].contains("6 new, 0 updated, 0 unchanged"),
        "{summary}"
    );
    assert!(lines[1].contains("already archived"), "{summary}");
    assert_eq!(
        lines[2],
        "captures: 2; posts: 6 new, 0 updated, 6 unchanged; warnings: 0; skipped: 0"
    );
    assert_eq!(a.captures().len(), 1);
    assert_eq!(n(&a.stats(), "posts"), 6);
}

#[test]
fn an_edited_copy_gives_one_updated_post_with_two_versions() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa_test");
    let before = a.export();
    let summary = a.ingest(&fixture("web-mfa-edited.txt"), "mfa_test");
    assert!(
        summary.contains("0 new, 1 updated, 5 unchanged"),
        "summary: {summary}"
    );

    let stats = a.stats();
    assert_eq!(n(&stats, "posts"), 6);
    assert_eq!(n(&stats, "versions"), 7);
    assert_eq!(n(&stats, "edited_posts"), 1);
    assert_eq!(n(&stats, "sightings"), 12);

    let captures = a.captures();
    assert_eq!(captures.len(), 2);
    let sha_original = s(&captures[0], "sha256").to_string();
    let sha_edited = s(&captures[1], "sha256").to_string();

    let after = a.export();
    assert_eq!(after.len(), 6);
    let id = id_of(&after, EDITED);
    assert_eq!(id, id_of(&before, ORIGINAL), "the edit kept the post's id");

    // `show --format json` has both versions, oldest first, with both texts.
    let detail = a.json(["show", &id.to_string(), "--format", "json"]);
    let versions = detail["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2, "{detail}");
    assert_eq!(versions[0]["seq"], 1);
    assert_eq!(versions[1]["seq"], 2);
    let v1 = s(&versions[0], "text");
    let v2 = s(&versions[1], "text");
    assert!(
        v1.contains(ORIGINAL) && !v1.contains(EDITED),
        "version 1: {v1}"
    );
    assert!(
        v2.contains(EDITED) && !v2.contains(ORIGINAL),
        "version 2: {v2}"
    );
    assert_eq!(s(&versions[0], "first_capture"), sha_original);
    assert_eq!(s(&versions[1], "first_capture"), sha_edited);
    assert_eq!(detail["post"]["version_count"], 2);
    assert_eq!(detail["post"]["current"]["seq"], 2);
    let sightings = detail["sightings"].as_array().expect("sightings");
    assert_eq!(sightings.len(), 2);
    assert_eq!(sightings[0]["version_seq"], 1);
    assert_eq!(s(&sightings[0], "capture_sha256"), sha_original);
    assert_eq!(sightings[1]["version_seq"], 2);
    assert_eq!(s(&sightings[1], "capture_sha256"), sha_edited);

    // The export shows the current version and counts both.
    let record = after.iter().find(|r| r["id"] == id).expect("record");
    assert_eq!(record["version"], 2);
    assert_eq!(record["versions"], 2);
    assert_eq!(
        record["captures"],
        Value::from(vec![sha_original.clone(), sha_edited.clone()])
    );

    // Every other post is unchanged: same record but for the list of captures that saw it.
    for old in before.iter().filter(|r| r["id"] != id) {
        let new = after
            .iter()
            .find(|r| r["id"] == old["id"])
            .expect("post kept");
        assert_eq!(new["version"], 1, "{new}");
        assert_eq!(new["versions"], 1, "{new}");
        assert_eq!(
            new["captures"],
            Value::from(vec![sha_original.clone(), sha_edited.clone()])
        );
        let mut old = old.clone();
        let mut new = new.clone();
        old["captures"] = Value::Null;
        new["captures"] = Value::Null;
        assert_eq!(old, new, "an unchanged post changed");
    }
}

#[test]
fn a_later_overlapping_capture_adds_only_its_new_posts() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa_test");
    let summary = a.ingest(&fixture("web-mfa-later.txt"), "mfa_test");
    assert!(
        summary.contains("1 new, 0 updated, 2 unchanged"),
        "summary: {summary}"
    );
    let records = a.export();
    assert_eq!(records.len(), 7);
    let captures = a.captures();
    let briefing = records
        .iter()
        .find(|r| r["id"] == id_of(&records, "Briefing by the Spokeswoman"))
        .expect("briefing");
    assert_eq!(
        briefing["captures"],
        Value::from(vec![s(&captures[0], "sha256"), s(&captures[1], "sha256")])
    );
    let new = records
        .iter()
        .find(|r| r["id"] == id_of(&records, "Central Asian ministers"))
        .expect("new post");
    assert_eq!(
        new["captures"],
        Value::from(vec![s(&captures[1], "sha256")])
    );
}

#[test]
fn ingest_summary_counts_captures_posts_warnings_and_skips() {
    let a = Archive::new();
    let table = a.ok(args![
        "ingest",
        fixture("web-mfa.txt"),
        fixture("desktop-ru.txt"),
        "--channel",
        "mfa_test",
    ]);
    assert_eq!(
        table.lines().last(),
        Some("captures: 2; posts: 9 new, 0 updated, 0 unchanged; warnings: 0; skipped: 0"),
        "{table}"
    );

    // Second run: an edited copy (1 updated, 5 unchanged), a capture without Telegram markers (1
    // new post and a warning), and a missing path (skipped).
    let prose = a.write(
        "notes.txt",
        "Just some words a channel wrote about the weather today.\n\
         And more words about the rain tomorrow.\n",
    );
    let missing = a.path("missing.txt");
    let out = a.run(args![
        "ingest",
        fixture("web-mfa-edited.txt"),
        prose,
        missing,
        "--channel",
        "mfa_test",
        "--report",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(3), "a skipped input gives exit 3");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["posts_new"], 1, "{report}");
    assert_eq!(report["posts_updated"], 1, "{report}");
    assert_eq!(report["posts_unchanged"], 5, "{report}");
    assert_eq!(report["warnings"], 1, "{report}");

    // The same as a table.
    let b = Archive::new();
    b.ingest(&fixture("web-mfa.txt"), "mfa_test");
    let out = b.run(args![
        "ingest",
        fixture("web-mfa-edited.txt"),
        prose,
        missing,
        "--channel",
        "mfa_test",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let table = crate::common::stdout(&out);
    assert!(
        table.contains("  warning: no Telegram markers"),
        "the warning is listed under its capture: {table}"
    );
    assert!(
        table.contains(&format!(
            "skipped {}: no such file or folder",
            missing.display()
        )),
        "{table}"
    );
    assert_eq!(
        table.lines().last(),
        Some("captures: 2; posts: 1 new, 1 updated, 5 unchanged; warnings: 1; skipped: 1"),
        "{table}"
    );
}

#[test]
fn ingest_report_json_gives_totals_and_each_input() {
    let a = Archive::new();
    let missing = a.path("missing.txt");
    let out = a.run(args![
        "ingest",
        fixture("web-mfa.txt"),
        fixture("desktop-ru.txt"),
        missing,
        "--report",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let text = crate::common::stdout(&out);
    let report: Value = serde_json::from_str(&text).expect("JSON report");
    for key in [
        "captures",
        "posts_new",
        "posts_updated",
        "posts_unchanged",
        "warnings",
        "skipped",
        "inputs",
        "skipped_inputs",
    ] {
        assert_eq!(
            text.matches(&format!("\n  \"{key}\":")).count(),
            1,
            "key {key} once at the top level:\n{text}"
        );
    }
    assert_eq!(report["captures"], 2, "{text}");
    assert_eq!(report["posts_new"], 9);
    assert_eq!(report["posts_updated"], 0);
    assert_eq!(report["posts_unchanged"], 0);
    assert_eq!(report["warnings"], 0);
    assert_eq!(report["skipped"], 1, "{text}");
    let inputs = report["inputs"].as_array().expect("inputs list");
    assert_eq!(inputs.len(), 2, "{text}");
    assert_eq!(inputs[0]["posts_new"], 6);
    assert_eq!(
        inputs[0]["channel"], "web-mfa",
        "the file name names the channel"
    );
    assert_eq!(inputs[1]["posts_new"], 3);
    for c in inputs {
        assert_eq!(s(c, "sha256").len(), 64);
        assert_eq!(c["format"], "text");
        assert_eq!(c["already_archived"], false);
        assert_eq!(c["resumed"], false);
    }
    let skipped = report["skipped_inputs"].as_array().expect("skipped list");
    assert_eq!(skipped.len(), 1, "{text}");
    assert_eq!(s(&skipped[0], "path"), missing.display().to_string());
    assert_eq!(skipped[0]["reason"], "no such file or folder");
}

#[test]
fn a_capture_seen_before_stays_under_its_first_channel() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa_test");
    let before = a.snapshot();
    let summary = a.ingest(&fixture("web-mfa.txt"), "another_channel");
    assert!(
        summary.contains("into channel \"mfa_test\": already archived"),
        "{summary}"
    );
    assert!(
        summary.contains("  warning: ") && summary.contains("another_channel"),
        "the ignored --channel is named: {summary}"
    );
    assert_eq!(a.snapshot(), before);
    // No channel of that name was made.
    let out = a.run(["posts", "--format", "jsonl", "--channel", "another_channel"]);
    assert_eq!(out.status.code(), Some(4), "no such channel");
}

#[test]
fn a_windows_copy_with_crlf_and_a_bom_finds_the_same_posts() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa_test");
    let before = a.export();
    let windows = format!(
        "\u{feff}{}",
        fixture_text("web-mfa.txt").replace('\n', "\r\n")
    );
    let copy = a.write("web-mfa-windows.txt", windows);
    let summary = a.ingest(&copy, "mfa_test");
    assert!(
        summary.contains("0 new, 0 updated, 6 unchanged"),
        "{summary}"
    );
    let after = a.export();
    for (old, new) in before.iter().zip(&after) {
        assert_eq!(old["text"], new["text"]);
        assert_eq!(new["versions"], 1);
    }
    assert_eq!(a.captures().len(), 2, "different bytes, another capture");
}

#[test]
fn case_spacing_and_invisible_characters_are_not_edits() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa_test");
    let variant = fixture_text("web-mfa.txt")
        .replace("Key points:", "KEY  POINTS:")
        .replace("They agreed to meet", "They  agreed to\u{200b} meet");
    let copy = a.write("variant.txt", variant);
    let summary = a.ingest(&copy, "mfa_test");
    assert!(
        summary.contains("0 new, 0 updated, 6 unchanged"),
        "{summary}"
    );
    assert_eq!(n(&a.stats(), "versions"), 6);
}

#[test]
fn a_channel_spelled_with_at_or_in_another_case_is_the_same_channel() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa_test");
    let summary = a.ingest(&fixture("web-mfa-later.txt"), "@MFA_TEST");
    assert!(
        summary.contains("1 new, 0 updated, 2 unchanged"),
        "{summary}"
    );
    let with_posts: Vec<Value> = a
        .json(["channels", "--format", "json"])
        .as_array()
        .expect("array")
        .iter()
        .filter(|c| c["posts"].as_u64() > Some(0))
        .cloned()
        .collect();
    assert_eq!(with_posts.len(), 1, "{with_posts:?}");
    assert_eq!(with_posts[0]["posts"], 7);
    assert_eq!(
        a.jsonl(["posts", "--format", "jsonl", "--channel", "mfa_test"])
            .len(),
        7
    );
}

#[test]
fn the_same_channel_spelled_otherwise_gives_no_warning() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa_test");
    for spelling in ["@mfa_test", "MFA_Test"] {
        let summary = a.ingest(&fixture("web-mfa.txt"), spelling);
        assert!(summary.contains("already archived"), "{summary}");
        assert!(
            !summary.contains("warning:"),
            "--channel {spelling}: {summary}"
        );
        assert!(
            summary.contains("warnings: 0;"),
            "--channel {spelling}: {summary}"
        );
    }
}
