//! `stats`, `channels`, `captures` and `check` on a small archive.

use serde_json::json;

use crate::common::{Archive, fixture, n, s};

#[test]
fn stats_count_posts_forwards_dates_media_and_tags() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa_test");
    let stats = a.stats();
    assert_eq!(n(&stats, "channels"), 3, "mfa_test and two forward sources");
    assert_eq!(n(&stats, "posts"), 6);
    assert_eq!(n(&stats, "versions"), 6);
    assert_eq!(n(&stats, "edited_posts"), 0);
    assert_eq!(n(&stats, "captures_complete"), 1);
    assert_eq!(n(&stats, "captures_partial"), 0);
    assert_eq!(n(&stats, "sightings"), 6);
    assert_eq!(n(&stats, "forwards"), 4);
    assert_eq!(n(&stats, "dated_observed"), 0);
    assert_eq!(n(&stats, "dated_inferred"), 5);
    assert_eq!(n(&stats, "undated"), 1);
    assert_eq!(n(&stats, "unviewable"), 1);
    let media = stats["media"].as_array().expect("media");
    assert!(
        media.contains(&json!({"name": "video (too_big)", "count": 1})),
        "{stats}"
    );
    assert!(
        media.contains(&json!({"name": "unknown (open_in_telegram)", "count": 1})),
        "{stats}"
    );
    assert!(
        stats["top_forward_sources"]
            .as_array()
            .expect("sources")
            .contains(&json!({"name": "Russian MFA 🇷🇺", "count": 2})),
        "{stats}"
    );
    let table = a.ok(["stats"]);
    assert!(
        table.contains("posts: 6 (4 forwards, 1 only viewable in Telegram)"),
        "{table}"
    );
    assert!(
        table.contains("dates: 0 observed, 5 inferred, 1 unknown"),
        "{table}"
    );
    assert!(
        table.contains("captures: 1 complete, 0 partial; sightings: 6"),
        "{table}"
    );
}

#[test]
fn channels_list_forward_sources_with_counts() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa_test");
    let channels = a.json(["channels", "--format", "json"]);
    let channels = channels.as_array().expect("array");
    assert_eq!(channels.len(), 3);
    let find = |name: &str| {
        channels
            .iter()
            .find(|c| c["aliases"].as_array().unwrap().iter().any(|x| x == name))
            .unwrap_or_else(|| panic!("no channel {name}"))
    };
    let own = find("mfa_test");
    assert_eq!(own["posts"], 6);
    assert_eq!(own["forwards"], 4);
    assert_eq!(own["first_date"], "2024-03-14");
    assert_eq!(own["last_date"], "2024-04-08");
    assert_eq!(find("Russian MFA 🇷🇺")["forwarded_by_others"], 2);
    assert_eq!(find("Zakharova Channel")["forwarded_by_others"], 2);
    assert_eq!(find("Zakharova Channel")["posts"], 0);

    let jsonl = a.jsonl(["channels", "--format", "jsonl"]);
    assert_eq!(&jsonl[..], &channels[..]);
    let csv_text = a.ok(["channels", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(reader.records().count(), 3);
}

#[test]
fn captures_and_check_describe_the_archive() {
    let a = Archive::new();
    let capture = fixture("web-mfa.txt");
    a.ingest(&capture, "mfa_test");
    let captures = a.captures();
    assert_eq!(captures.len(), 1);
    let c = &captures[0];
    assert_eq!(s(c, "status"), "complete");
    assert_eq!(n(c, "posts_seen"), 6);
    assert_eq!(s(c, "format"), "text");
    assert_eq!(s(c, "source"), capture.display().to_string());
    assert_eq!(n(c, "warnings"), 0);
    assert!(c["completed_at"].is_string());
    let table = a.ok(["captures"]);
    assert!(table.contains(&s(c, "sha256")[..16]), "{table}");
    assert!(table.contains("complete"), "{table}");

    let out = a.ok(["check"]);
    assert_eq!(out, format!("archive {} is consistent\n", a.dir.display()));
}
