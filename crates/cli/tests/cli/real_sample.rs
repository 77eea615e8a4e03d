//! The real sample capture `mfa-cis-channel.txt` (shared samples, not in the repository):
//! 18 posts with forwards, placeholders, repeats, lost links and inferred dates.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::{Archive, forward_title, inferred_date};

/// The shared samples folder: `/work/shared/samples`, else `../shared/samples` next to the
/// workspace root.
fn samples() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    [
        PathBuf::from("/work/shared/samples"),
        root.join("../shared/samples"),
    ]
    .into_iter()
    .find(|p| p.is_dir())
}

/// Labels that must never be in a clean text.
const LABELS: &[&str] = &[
    "Forwarded from",
    "Media is too big",
    "VIEW IN TELEGRAM",
    "Please open Telegram",
    "Read in full",
    "READ IN FULL",
];

#[test]
fn the_mfa_cis_sample_reads_as_18_clean_dated_posts() {
    let Some(samples) = samples() else {
        eprintln!("skipping: ../shared/samples not found");
        return;
    };
    let capture = samples.join("text/mfa-cis-channel.txt");
    assert!(capture.is_file(), "{} missing", capture.display());
    let a = Archive::new();
    let summary = a.ingest(&capture, "mfa_cis");
    assert!(
        summary.contains("18 new, 0 updated, 0 unchanged"),
        "{summary}"
    );
    let posts = a.export();
    assert_eq!(posts.len(), 18);

    // Capture order: the sightings' lines increase with the ids.
    let mut last_line = 0;
    for (i, p) in posts.iter().enumerate() {
        assert_eq!(p["id"], i as i64 + 1);
        assert_eq!(p["channel"], "mfa_cis");
        let detail = a.json(["show", &p["id"].to_string(), "--format", "json"]);
        let line = detail["sightings"][0]["line_start"].as_u64().expect("line");
        assert!(line > last_line, "post {} starts at line {line}", i + 1);
        last_line = line;
    }

    // Forwards: all but post 9 (the channel's own) and post 11 (hidden).
    for (i, p) in posts.iter().enumerate() {
        let number = i + 1;
        if number == 9 || number == 11 {
            assert_eq!(p["forwarded_from"], Value::Null, "post {number}: {p}");
        } else {
            assert_eq!(forward_title(p), Some("Russian MFA 🇷🇺"), "post {number}");
        }
    }
    assert!(
        posts[8]["text"]
            .as_str()
            .unwrap()
            .starts_with("✍️ Russia's Deputy Foreign Minister Alexander Pankin"),
        "post 9: {}",
        posts[8]["text"]
    );
    let hidden = &posts[10];
    assert_eq!(hidden["unviewable"], true);
    assert_eq!(hidden["text"], "");
    assert_eq!(hidden["media"][0]["placeholder"], "open_in_telegram");
    for (i, p) in posts.iter().enumerate() {
        if i != 10 {
            assert_eq!(p["unviewable"], false, "post {}", i + 1);
            assert!(!p["text"].as_str().unwrap().is_empty(), "post {}", i + 1);
        }
    }

    // Posts 1 and 7 carry a too-big video.
    for number in [1, 7] {
        let media = posts[number - 1]["media"].as_array().expect("media");
        assert!(
            media
                .iter()
                .any(|m| m["kind"] == "video" && m["placeholder"] == "too_big"),
            "post {number}: {media:?}"
        );
    }

    // Clean texts have no labels and no paragraph twice (except "<...>" lines).
    for (i, p) in posts.iter().enumerate() {
        let text = p["text"].as_str().unwrap();
        for label in LABELS {
            assert!(
                !text.contains(label),
                "post {} has {label:?}:\n{text}",
                i + 1
            );
        }
        let mut seen = std::collections::HashSet::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if line == "<...>" {
                continue;
            }
            assert!(seen.insert(line), "post {} repeats {line:?}", i + 1);
        }
    }
    let sco_plus = posts[16]["text"].as_str().unwrap();
    assert!(sco_plus.contains("SCO Plus"), "post 17: {sco_plus}");
    assert!(
        sco_plus.lines().filter(|l| l.trim() == "<...>").count() >= 2,
        "post 17 keeps its \"<...>\" lines:\n{sco_plus}"
    );

    assert_eq!(
        posts[0]["hashtags"],
        json!(["CSTO", "EAEU", "CIS", "BRICS", "SCO", "UNCharterIsOurRules"])
    );

    // Dates: inferred only, never observed.
    let expected = [
        Some("2023-04-29"),
        Some("2023-05-17"),
        None,
        None,
        None,
        Some("2023-10-31"),
        Some("2023-12-28"),
        Some("2024-01-10"),
        Some("2024-02-05"),
        Some("2024-02-09"),
        None,
        None,
        Some("2024-02-14"),
        Some("2024-05-20"),
        Some("2024-06-11"),
        Some("2024-07-01"),
        None,
        None,
    ];
    let dates: Vec<Option<&str>> = posts.iter().map(inferred_date).collect();
    assert_eq!(dates, expected);
    assert_eq!(
        posts[7]["date_inferred"]["basis"],
        "text_day_month_neighbour_year"
    );
    for (i, p) in posts.iter().enumerate() {
        assert_eq!(
            p["date"],
            Value::Null,
            "post {} has an observed date",
            i + 1
        );
    }
}
