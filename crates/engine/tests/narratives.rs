//! Narratives on an archive with planted themes: four channels, a theme whose first post,
//! first channel, joined channels and counts per day are known by construction (observed,
//! inferred and missing dates among them), a second theme, background posts, and edits that
//! bring posts into a theme and take them out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tgscope_engine::narratives::{NarrativeUpdate, ReportOptions};
use tgscope_engine::{Engine, EngineError, ErrorKind, IngestOptions, NoProgress, Period, SortBy};

/// One post of a dump: `date` as written (`Z`: observed; no offset: inferred; none: undated).
fn post(id: u32, channel: &str, date: Option<&str>, text: &str, views: u64) -> String {
    let mut v = serde_json::json!({"id": id, "channel": channel, "text": text, "views": views});
    if let Some(d) = date {
        v["date"] = serde_json::json!(d);
    }
    v.to_string()
}

/// The first capture: the "west" theme in three channels plus an undated post in a fourth,
/// the "multipolar" theme, and background.
fn first_capture() -> Vec<String> {
    vec![
        post(
            1,
            "alpha",
            Some("2024-03-02T08:00:00Z"),
            "Коллективный Запад снова угрожает",
            500,
        ),
        post(
            2,
            "alpha",
            Some("2024-03-05T08:00:00Z"),
            "Многополярный мир уже наступил",
            300,
        ),
        post(
            3,
            "alpha",
            Some("2024-03-06T08:00:00Z"),
            "Погода в Москве: солнечно",
            100,
        ),
        post(
            11,
            "beta",
            Some("2024-03-03T12:00:00Z"),
            "The collective West is divided",
            900,
        ),
        post(
            12,
            "beta",
            Some("2024-03-03T18:00:00Z"),
            "Again the collective West lies",
            50,
        ),
        post(
            13,
            "beta",
            Some("2024-03-08T08:00:00Z"),
            "Sports results of the week",
            10,
        ),
        post(
            21,
            "gamma",
            Some("2024-03-12T10:00:00"),
            "коллективного Запада больше нет",
            70,
        ),
        post(31, "delta", None, "Мифы коллективного Запада", 40),
        post(
            32,
            "delta",
            Some("2024-03-01T07:00:00Z"),
            "A multipolar world is coming",
            20,
        ),
    ]
}

/// The second capture: new posts, an edit that brings alpha's post 3 into the theme, and one
/// that takes beta's post 12 out of it.
fn second_capture() -> Vec<String> {
    vec![
        post(
            3,
            "alpha",
            Some("2024-03-06T08:00:00Z"),
            "Погода: коллективный Запад мёрзнет",
            120,
        ),
        post(
            12,
            "beta",
            Some("2024-03-03T18:00:00Z"),
            "Again the weather is fine",
            55,
        ),
        post(
            14,
            "beta",
            Some("2024-03-09T08:00:00Z"),
            "collective West summit",
            30,
        ),
        post(
            41,
            "epsilon",
            Some("2024-03-15T08:00:00Z"),
            "Коллективный Запад и санкции",
            2000,
        ),
    ]
}

fn write(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, lines.join("\n")).unwrap();
    file
}

fn ingest(engine: &mut Engine, file: PathBuf) {
    engine
        .ingest(&[file], &IngestOptions::default(), &mut NoProgress)
        .expect("ingest runs");
}

fn west_queries() -> Vec<String> {
    vec!["коллективный Запад".into(), "\"collective West\"".into()]
}

/// The message ids of posts, by archive id.
fn message_ids(engine: &Engine, posts: &[i64]) -> Vec<i64> {
    let mut ids: Vec<i64> = posts
        .iter()
        .map(|p| engine.post(*p).unwrap().post.message_id.unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

#[test]
fn a_report_gives_the_planted_counts_first_post_and_joined_channels() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = Engine::open(&dir.path().join("archive")).unwrap();
    ingest(
        &mut engine,
        write(dir.path(), "one.jsonl", &first_capture()),
    );
    let added = engine
        .add_narrative("West", "the collective West, RU and EN", &west_queries())
        .unwrap();
    assert_eq!(added.version, 1);
    assert_eq!(added.matching, 5);
    let posts = engine.narrative_posts("west").unwrap();
    assert_eq!(message_ids(&engine, &posts), [1, 11, 12, 21, 31]);

    let report = engine
        .narrative_report(
            "WEST",
            &ReportOptions {
                period: Some(Period::Day),
                ..ReportOptions::default()
            },
        )
        .unwrap();
    assert_eq!(report.narrative.name, "West");
    assert_eq!(report.matching, 5);
    assert_eq!(
        (report.dated, report.undated, report.inferred_dates),
        (4, 1, 1)
    );
    let counts: Vec<(&str, u64)> = report
        .counts
        .iter()
        .filter(|c| c.count > 0)
        .map(|c| (c.start.as_str(), c.count))
        .collect();
    assert_eq!(
        counts,
        [("2024-03-02", 1), ("2024-03-03", 2), ("2024-03-12", 1)]
    );
    assert_eq!(
        report.counts.len(),
        11,
        "every day from the 2nd to the 12th"
    );
    let first = report.first_post.as_ref().unwrap();
    assert_eq!(
        (first.channel.name.as_str(), first.message_id),
        ("alpha", Some(1))
    );
    assert!(!first.date_inferred);
    assert_eq!(report.first_channel.as_ref().unwrap().name, "alpha");
    let joined: Vec<(&str, Option<i64>, bool, u64)> = report
        .joined
        .iter()
        .map(|p| {
            (
                p.channel.name.as_str(),
                p.message_id,
                p.date_inferred,
                p.posts,
            )
        })
        .collect();
    assert_eq!(
        joined,
        [
            ("alpha", Some(1), false, 1),
            ("beta", Some(11), false, 2),
            ("gamma", Some(21), true, 1)
        ]
    );
    // The undated post's channel is counted, after those that joined, with no period.
    let delta = report
        .channels
        .iter()
        .find(|c| c.channel.name == "delta")
        .unwrap();
    assert_eq!((delta.posts, delta.undated, delta.counts.len()), (1, 1, 0));
    assert_eq!(report.channels.last().unwrap().channel.name, "delta");
    let spread: Vec<(&str, u64)> = report
        .spread
        .iter()
        .filter(|c| c.count > 0)
        .map(|c| (c.start.as_str(), c.count))
        .collect();
    assert_eq!(
        spread,
        [("2024-03-02", 1), ("2024-03-03", 1), ("2024-03-12", 1)]
    );
    let per_query: Vec<u64> = report.queries.iter().map(|q| q.matching).collect();
    assert_eq!(per_query, [3, 2]);
    let top: Vec<Option<i64>> = report.top_posts.iter().map(|p| p.message_id).collect();
    assert_eq!(top, [Some(11), Some(1), Some(21), Some(12), Some(31)]);

    // A range: by date; the undated post is still counted apart.
    let march_3 = chrono::NaiveDate::from_ymd_opt(2024, 3, 3).unwrap();
    let day = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
    let ranged = engine
        .narrative_report(
            "west",
            &ReportOptions {
                period: Some(Period::Week),
                since: Some(day(march_3)),
                until: Some(day(march_3.succ_opt().unwrap())),
                ..ReportOptions::default()
            },
        )
        .unwrap();
    assert_eq!(
        (ranged.dated, ranged.undated, ranged.out_of_range),
        (2, 1, 2)
    );
    assert_eq!(ranged.first_post.unwrap().message_id, Some(11));
    assert_eq!(ranged.counts.len(), 1);
    assert_eq!(ranged.counts[0].start, "2024-02-26", "the week's Monday");
    // A range that ends before it starts is refused in words that fit the command line and
    // the API alike.
    let backwards = engine.narrative_report(
        "west",
        &ReportOptions {
            since: Some(day(march_3.succ_opt().unwrap())),
            until: Some(day(march_3)),
            ..ReportOptions::default()
        },
    );
    match backwards {
        Err(tgscope_engine::EngineError::BadRequest(why)) => assert_eq!(
            why,
            "the period's start (since) must be before its end (until)"
        ),
        other => panic!("a backwards range: {other:?}"),
    }

    // The feed's view: newest first, every match.
    let page = engine
        .narrative_search("west", SortBy::Newest, 10, 0)
        .unwrap();
    assert_eq!(page.total, 5);
    let newest: Vec<Option<i64>> = page.hits.iter().map(|h| h.post.message_id).collect();
    assert_eq!(newest, [Some(21), Some(12), Some(11), Some(1), Some(31)]);
}

#[test]
fn matches_kept_current_through_ingests_and_edits_equal_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let mut engine = Engine::open(&archive).unwrap();
    engine.add_narrative("west", "", &west_queries()).unwrap();
    engine
        .add_narrative(
            "multipolar",
            "",
            &["многополярный OR multipolar".to_string()],
        )
        .unwrap();
    assert!(engine.narrative_posts("west").unwrap().is_empty());
    ingest(
        &mut engine,
        write(dir.path(), "one.jsonl", &first_capture()),
    );
    ingest(
        &mut engine,
        write(dir.path(), "two.jsonl", &second_capture()),
    );
    let mut kept = BTreeMap::new();
    for name in ["west", "multipolar"] {
        let posts = engine.narrative_posts(name).unwrap();
        kept.insert(name, message_ids(&engine, &posts));
    }
    assert_eq!(kept["west"], [1, 3, 11, 14, 21, 31, 41]);
    assert_eq!(kept["multipolar"], [2, 32]);
    let report = engine
        .narrative_report("west", &ReportOptions::default())
        .unwrap();
    let joined: Vec<&str> = report
        .joined
        .iter()
        .map(|p| p.channel.name.as_str())
        .collect();
    assert_eq!(joined, ["alpha", "beta", "gamma", "epsilon"]);
    assert_eq!(report.top_posts[0].message_id, Some(41));
    let per_query: Vec<u64> = report.queries.iter().map(|q| q.matching).collect();
    assert_eq!(per_query, [5, 2], "posts 1, 3, 21, 31, 41; posts 11, 14");
    drop(engine);

    // A rebuild from scratch (here by a reading engine, as the server's, which rebuilds the
    // search index first) gives the same matches, and the same report to the last field.
    std::fs::remove_dir_all(archive.join("narratives")).unwrap();
    std::fs::remove_dir_all(archive.join("index")).unwrap();
    let mut reader = Engine::open_existing(&archive).unwrap();
    assert!(archive.join("narratives").is_dir(), "rebuilt on open");
    for name in ["west", "multipolar"] {
        let posts = reader.narrative_posts(name).unwrap();
        assert_eq!(message_ids(&reader, &posts), kept[name], "{name}");
    }
    let rebuilt = reader
        .narrative_report("west", &ReportOptions::default())
        .unwrap();
    assert!(!rebuilt.catching_up);
    assert_eq!(rebuilt, report);
    drop(reader);
    let mut engine = Engine::open(&archive).unwrap();

    // An edit is a new version, evaluated from scratch; the old one is kept.
    let edited = engine
        .edit_narrative("west", None, Some(&["\"collective West\"".to_string()]))
        .unwrap();
    assert_eq!((edited.version, edited.matching), (2, 2));
    let record = engine.narrative("west").unwrap();
    assert_eq!(record.versions.len(), 2);
    assert_eq!(record.versions[0].queries, west_queries());

    // Removed: not listed, not reported; its history kept.
    engine.remove_narrative("west").unwrap();
    let names: Vec<String> = engine
        .narratives(false)
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert_eq!(names, ["multipolar"]);
    assert_eq!(engine.narratives(true).unwrap().len(), 2);
    let err = engine
        .narrative_report("west", &ReportOptions::default())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.to_string().contains("removed"), "{err}");
}

#[test]
fn bad_definitions_are_refused_naming_the_query() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = Engine::open(&dir.path().join("archive")).unwrap();
    ingest(
        &mut engine,
        write(dir.path(), "one.jsonl", &first_capture()),
    );
    let bad = engine
        .add_narrative(
            "west",
            "",
            &["\"collective West\"".into(), "(unclosed".into()],
        )
        .unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::User);
    assert!(bad.to_string().contains("query 2 (\"(unclosed\")"), "{bad}");
    let unknown = engine
        .add_narrative("west", "", &["channel:nosuch".into()])
        .unwrap_err();
    assert!(unknown.to_string().contains("query 1"), "{unknown}");
    let copies = engine
        .add_narrative("west", "", &["has:copies".into()])
        .unwrap_err();
    assert!(
        copies.to_string().contains("cannot be part of a narrative"),
        "{copies}"
    );
    assert!(matches!(
        engine.add_narrative("the west", "", &west_queries()),
        Err(EngineError::BadRequest(_))
    ));
    assert!(
        engine.narratives(true).unwrap().is_empty(),
        "nothing was stored"
    );
    engine.add_narrative("west", "", &west_queries()).unwrap();
    assert!(
        engine.add_narrative("WEST", "", &west_queries()).is_err(),
        "exists"
    );
    let missing = engine
        .narrative_report("east", &ReportOptions::default())
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
}

#[test]
fn a_collected_page_brings_the_matches_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = Engine::open(&dir.path().join("archive")).unwrap();
    engine
        .add_narrative("boats", "", &["ferry OR boat".to_string()])
        .unwrap();
    let page = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../read/tests/fixtures/tme/page.html"),
    )
    .unwrap();
    engine
        .ingest_page(
            &tgscope_engine::FetchedPage {
                url: "https://t.me/s/harbor_notes".into(),
                status: 200,
                fetched_at: "2024-03-20T10:00:00Z".into(),
                body: page,
                channel: "harbor_notes".into(),
            },
            &IngestOptions::default(),
        )
        .unwrap();
    // The page's ingest brought the matches up to date: nothing is left to do.
    assert_eq!(
        engine.update_narratives().unwrap(),
        NarrativeUpdate::default()
    );
    // What the narrative matches is what a search of its query finds.
    let posts = engine.narrative_posts("boats").unwrap();
    let search = engine
        .search("ferry OR boat", SortBy::Oldest, 100, 0)
        .unwrap();
    let mut found: Vec<i64> = search.hits.iter().map(|h| h.post.id).collect();
    found.sort_unstable();
    assert!(!posts.is_empty());
    assert_eq!(posts, found);
}
