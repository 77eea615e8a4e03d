//! `search`, `count` and `reindex` over an archive built from the project's fixtures.

use serde_json::Value;

use crate::common::{Archive, fixture, parse_jsonl, stderr};

fn archive() -> Archive {
    let a = Archive::new();
    a.ingest(&fixture("web-ru.txt"), "mid_ru");
    a.ingest(&fixture("web-mfa.txt"), "mfa_en");
    a
}

fn texts(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn search_finds_word_forms_and_reports_totals_scores_and_snippets() {
    let a = archive();
    // "министерство" in a post: "министерства" is found by its base form.
    let page = a.json(args!["search", "министерство", "--format", "json"]);
    assert_eq!(page["total"], 1, "{page:#}");
    let hit = &page["hits"][0];
    assert!(
        hit["text"]
            .as_str()
            .unwrap_or_default()
            .contains("министерства")
    );
    assert!(hit["score"].as_f64().unwrap_or(0.0) > 0.0);
    assert!(
        hit["snippet"]
            .as_str()
            .unwrap_or_default()
            .contains("министерства")
    );
    assert!(!hit["highlights"].as_array().expect("highlights").is_empty());
    // The exact form only.
    let exact = a.json(args!["search", "=министерство", "--format", "json"]);
    assert_eq!(exact["total"], 0, "{exact:#}");
    // Filters narrow: the hashtag, and the channel.
    let tagged = a.json(args!["search", "#брикс", "--format", "json"]);
    assert!(tagged["total"].as_u64().unwrap_or(0) >= 1, "{tagged:#}");
    let other = a.json(args!["search", "#брикс channel:mfa_en", "--format", "json"]);
    assert_eq!(other["total"], 0, "{other:#}");
    assert!(!texts(&tagged).is_empty());
}

#[test]
fn jsonl_gives_export_records_with_score_and_snippet() {
    let a = archive();
    let out = a.ok(args!["search", "МИД", "--format", "jsonl"]);
    let hits = parse_jsonl(&out);
    assert!(!hits.is_empty());
    for h in &hits {
        assert!(h["id"].as_i64().is_some(), "{h:#}");
        assert!(h["channel"].is_string(), "{h:#}");
        assert!(h["score"].as_f64().is_some(), "{h:#}");
        assert!(h["snippet"].is_string(), "{h:#}");
    }
}

#[test]
fn count_gives_matches_per_period_as_csv() {
    let a = archive();
    let csv = a.ok(args!["count", "МИД", "--by", "month", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("period,count"));
    let rows: Vec<&str> = lines.collect();
    assert!(!rows.is_empty(), "{csv}");
    assert!(rows.iter().all(|r| r.starts_with("2024-")), "{csv}");
}

#[test]
fn a_bad_query_exits_3_and_points_at_the_place() {
    let a = archive();
    let out = a.run(args!["search", "МИД (санкции"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(err.contains("parenthes"), "{err}");
    assert!(err.contains('^'), "a caret under the place: {err}");
}

#[test]
fn reindex_rebuilds_and_search_still_finds_the_same() {
    let a = archive();
    let before = a.json(args!["search", "МИД", "--format", "json"]);
    std::fs::remove_dir_all(a.path("archive").join("index")).ok();
    let out = a.ok(args!["reindex"]);
    assert!(out.starts_with("indexed "), "{out}");
    let after = a.json(args!["search", "МИД", "--format", "json"]);
    assert_eq!(before["total"], after["total"]);
}
