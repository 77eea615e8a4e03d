//! The real sample captures (shared samples, not in the repository): the plain-text capture
//! `mfa-cis-channel.txt` (18 posts with forwards, placeholders, repeats, lost links and inferred
//! dates), every Desktop JSON export and every saved t.me page.
//!
//! The samples are looked up in `TGSCOPE_SAMPLES_DIR` when it is set, else in
//! `/work/shared/samples` or `../shared/samples` beside the repository. A user's checkout has none:
//! the tests then skip with a message, except when `TGSCOPE_REQUIRE_SAMPLES` is set (`.ci/run`
//! sets it), where a missing folder fails them, so that CI cannot pass without having run them.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::{Archive, forward_title, inferred_date};

/// Whether a missing samples folder is a failure: `TGSCOPE_REQUIRE_SAMPLES` is set to anything
/// but empty or `0`.
fn samples_required() -> bool {
    std::env::var_os("TGSCOPE_REQUIRE_SAMPLES").is_some_and(|v| !v.is_empty() && v != "0")
}

/// The shared samples folder: `TGSCOPE_SAMPLES_DIR` when set, else `/work/shared/samples`, else
/// `../shared/samples` next to the workspace root. `None` (the test skips) when there is none;
/// a panic when there is none and [`samples_required`].
pub(crate) fn samples() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = match std::env::var_os("TGSCOPE_SAMPLES_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => vec![PathBuf::from(dir)],
        None => vec![
            PathBuf::from("/work/shared/samples"),
            root.join("../shared/samples"),
        ],
    };
    let found = candidates.iter().find(|p| p.is_dir()).cloned();
    if found.is_none() {
        let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        assert!(
            !samples_required(),
            "TGSCOPE_REQUIRE_SAMPLES is set but the samples folder is missing (looked in {})",
            looked.join(", ")
        );
        eprintln!(
            "skipping: the samples folder is missing (looked in {}); set TGSCOPE_SAMPLES_DIR",
            looked.join(", ")
        );
    }
    found
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
        // "on July 31", no year: the nearest dated post before it, across the undated one
        // between them, is 2024-07-01.
        Some("2024-07-31"),
    ];
    let dates: Vec<Option<&str>> = posts.iter().map(inferred_date).collect();
    assert_eq!(dates, expected);
    assert_eq!(
        posts[17]["date_inferred"]["basis"],
        "text_day_month_neighbour_year"
    );
    assert_eq!(posts[17]["date_inferred"]["evidence"], "July 31");
    assert!(
        posts[17]["date_inferred"]["detail"]
            .as_str()
            .unwrap_or_default()
            .ends_with("year from the nearest dated posts: 2024-07-01 (post at line 235)"),
        "{}",
        posts[17]["date_inferred"]
    );
    // The countries the text names (flags, names, adjectives), each once in the order of its
    // first mention; the UN flag is the organisation, not a country.
    assert_eq!(
        posts[15]["countries"],
        serde_json::json!(["RU", "PS", "HT", "CD", "YE", "CY", "CO", "LB", "SY", "CF"])
    );
    let named: Vec<(String, String)> = posts[15]["named_entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().into(),
                e["id"].as_str().unwrap().into(),
            )
        })
        .collect();
    for (kind, id) in [
        ("org", "un"),
        ("org", "unsc"),
        ("org", "csto"),
        ("org", "cis"),
        ("org", "sco"),
        ("person", "lavrov"),
    ] {
        assert!(
            named.contains(&(kind.to_string(), id.to_string())),
            "{kind}:{id} in {named:?}"
        );
    }
    // No flag in this one: the countries it names in words («DR Congo», "CAR", "Israeli").
    assert_eq!(
        posts[17]["countries"],
        serde_json::json!([
            "RU", "PS", "IL", "LB", "SY", "YE", "CD", "HT", "CY", "UA", "CF"
        ])
    );
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

/// The real Desktop JSON exports (file, messages that are posts, service events), counted from
/// the files themselves.
const DESKTOP_JSON: &[(&str, u64, u64)] = &[
    ("chat-analytics_DM_2A_7M.json", 6, 2),
    ("frozenspider_2020-01_full-export.json", 42, 8),
    ("frozenspider_2021-06_supergroup.json", 3, 1),
    ("frozenspider_2023-10_audio-video.json", 4, 0),
    ("frozenspider_2024-02_create-channel_saved-from.json", 1, 1),
    ("frozenspider_2024-06_blockquote-collapsed.json", 1, 0),
    ("langchain_personal-chat_result.json", 4, 0),
    ("pachumarchive_ru_public-channel.json", 6, 0),
    ("tg2md_private-channel_2020.json", 18, 1),
    ("uponthepathofsalaf_ar-en_public-channel.json", 208, 5),
];

#[test]
fn every_real_desktop_json_export_ingests_whole() {
    let Some(samples) = samples() else {
        return;
    };
    let a = Archive::new();
    let files: Vec<String> = DESKTOP_JSON
        .iter()
        .map(|d| samples.join("desktop-json").join(d.0).display().to_string())
        .collect();
    let args = || {
        ["ingest", "--report", "json"]
            .map(String::from)
            .into_iter()
            .chain(files.clone())
    };
    let out = a.run(args());
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert_eq!(report["skipped"], 0, "{report}");
    let inputs = report["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), DESKTOP_JSON.len());
    for (file, posts, _) in DESKTOP_JSON {
        let input = inputs
            .iter()
            .find(|i| i["path"].as_str().is_some_and(|p| p.ends_with(file)))
            .unwrap_or_else(|| panic!("{file} in the report"));
        assert_eq!(input["format"], "desktop-json", "{file}");
        let seen = ["posts_new", "posts_updated", "posts_unchanged"]
            .iter()
            .map(|k| input[k].as_u64().expect("count"))
            .sum::<u64>();
        assert_eq!(seen, *posts, "{file}: every message is a post");
    }
    let stats = a.stats();
    let events: u64 = DESKTOP_JSON.iter().map(|d| d.2).sum();
    assert_eq!(stats["events"], json!(events));
    assert!(a.ok(["check"]).contains("is consistent"));
    // A second run adds nothing.
    let again: Value = a.json(args());
    assert_eq!(again["posts_new"], 0);
    assert_eq!(again["posts_updated"], 0);
}

#[test]
fn every_saved_tme_page_ingests_with_its_posts_views_and_forwards() {
    let Some(samples) = samples() else {
        return;
    };
    let folder = samples.join("tme-html");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&folder)
        .expect("folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    pages.sort();
    assert_eq!(pages.len(), 12, "{pages:?}");
    let a = Archive::new();
    let mut command = vec![std::ffi::OsString::from("ingest")];
    command.extend(pages.iter().map(|p| p.as_os_str().to_owned()));
    command.extend(["--report".into(), "json".into()]);
    let report = a.json(command);
    assert_eq!(report["skipped_inputs"], json!([]), "{report:#}");
    let inputs = report["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), pages.len());
    assert!(
        inputs.iter().all(|i| i["format"] == "tme-html"),
        "{inputs:#?}"
    );

    // The whole page of topwar_official, alone in an archive: 12 posts, 5 of them forwards;
    // 70989 has 37.2K views.
    let a = Archive::new();
    a.ok(args!["ingest", folder.join("any2feed_full_topwar_ru.html")]);
    let posts = a.json(args!["posts", "--limit", "100", "--format", "json"]);
    assert_eq!(posts["total"], 12);
    let page = posts["posts"].as_array().expect("posts");
    assert_eq!(page.len(), 12, "{page:#?}");
    assert_eq!(
        page.iter().filter(|p| forward_title(p).is_some()).count(),
        5
    );
    let first = page
        .iter()
        .find(|p| p["message_id"] == 70989)
        .expect("post 70989");
    assert_eq!(first["views"], 37200);
    assert_eq!(first["date"], "2023-02-28T07:47:53Z");
}
