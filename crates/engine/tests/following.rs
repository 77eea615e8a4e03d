//! The search index and the analyses follow an ingest while it writes (rounds on a second
//! handle of the archive). Following changes when the work is done, never what it makes: what
//! the index, the copy analysis and the entity analysis hold after an ingest they followed is
//! what each holds when rebuilt from the archive alone.

use std::fmt::Write as _;
use std::path::Path;

use tgscope_engine::{
    ClusterFilter, Engine, IngestOptions, NoProgress, Period, PostFilter, SortBy,
};

/// A message dump (one JSON object per line) of `n` messages: statements naming countries and
/// organisations, every seventh one a repeat of an earlier one with a word changed (copies),
/// and every eleventh edited later in the same dump.
fn dump(n: usize, seed: usize) -> String {
    const PLACES: [&str; 6] = [
        "Russia",
        "Kazakhstan",
        "Armenia",
        "Belarus",
        "China",
        "Serbia",
    ];
    const TOPICS: [&str; 5] = [
        "transport corridors and the supply of grain",
        "a consular agreement on the rights of citizens abroad",
        "cooperation in science, education and culture",
        "the situation in the region and humanitarian aid",
        "energy projects and the construction of a power plant",
    ];
    let statement = |i: usize| {
        let place = PLACES[(i * 7 + seed) % PLACES.len()];
        let other = PLACES[(i * 3 + 1) % PLACES.len()];
        let topic = TOPICS[(i + seed) % TOPICS.len()];
        format!(
            "Statement {i}: the foreign ministers of {place} and {other} discussed {topic}, \
             and agreed to meet again at the United Nations in the autumn of {} to continue \
             the consultations.",
            2000 + i % 24
        )
    };
    let mut out = String::new();
    for i in 1..=n {
        let text = if i % 7 == 0 {
            statement(i / 2).replace("discussed", "examined")
        } else {
            statement(i)
        };
        let day = 1 + i % 28;
        writeln!(
            out,
            r#"{{"id": {i}, "date": "2024-03-{day:02}T10:00:00+00:00", "message": "{text}"}}"#
        )
        .unwrap();
        if i % 11 == 0 {
            writeln!(
                out,
                r#"{{"id": {i}, "date": "2024-03-{day:02}T10:00:00+00:00", "message": "{text} (updated)"}}"#
            )
            .unwrap();
        }
    }
    out
}

/// What the derived data answers: the copy clusters, the entity counts, searches and the
/// index's size.
fn answers(engine: &mut Engine) -> String {
    let mut out = String::new();
    let clusters = engine.clusters(&ClusterFilter::default()).unwrap();
    let mut found: Vec<(i64, Vec<i64>)> = clusters
        .clusters
        .into_iter()
        .map(|c| (c.cluster, c.posts))
        .collect();
    found.sort();
    writeln!(out, "clusters: {found:?}").unwrap();
    let entities = engine
        .entities(None, None, None, None, Period::Month)
        .unwrap();
    writeln!(out, "entities: {entities:?}").unwrap();
    for query in [
        "Armenia",
        "grain",
        "examined",
        "updated",
        "channel:follow_b",
    ] {
        let page = engine.search(query, SortBy::Newest, 5_000, 0).unwrap();
        // Posts of one date come in the order of the index's segments: compared as sets.
        let mut ids: Vec<i64> = page.hits.iter().map(|h| h.post.id).collect();
        ids.sort_unstable();
        writeln!(out, "search {query}: {} {ids:?}", page.total).unwrap();
    }
    writeln!(out, "documents: {}", engine.index_doc_count().unwrap()).unwrap();
    out
}

#[test]
fn the_index_and_analyses_that_followed_an_ingest_equal_their_rebuild() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("archive");
    let (a, b) = (tmp.path().join("a.jsonl"), tmp.path().join("b.jsonl"));
    std::fs::write(&a, dump(900, 0)).unwrap();
    std::fs::write(&b, dump(700, 3)).unwrap();

    let mut engine = Engine::open(&dir).unwrap();
    let mut rounds = 0;
    for (file, channel) in [(&a, "follow_a"), (&b, "follow_b")] {
        let options = IngestOptions {
            channel: Some(channel.into()),
            batch: Some(40),
            follow_every: Some(120),
            ..IngestOptions::default()
        };
        let report = engine
            .ingest(std::slice::from_ref(file), &options, &mut NoProgress)
            .unwrap();
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
        rounds += report.following_rounds;
    }
    assert!(
        rounds >= 2,
        "the derived data followed the ingests in {rounds} rounds"
    );
    assert_eq!(engine.posts(&PostFilter::default()).unwrap().len(), 1_600);
    let followed = answers(&mut engine);
    // Every eleventh message was edited: the index holds the edit of each.
    let edited = 900 / 11 + 700 / 11;
    assert!(
        followed.contains(&format!("search updated: {edited} ")),
        "{followed}"
    );
    drop(engine);

    for derived in ["index", "copies", "entities"] {
        remove(&dir.join(derived));
    }
    let mut rebuilt = Engine::open_existing(&dir).unwrap();
    assert_eq!(answers(&mut rebuilt), followed);
}

fn remove(path: &Path) {
    std::fs::remove_dir_all(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// The copy analysis catches up on what an ingest added a window of marks at a time (so that
/// it holds a window's texts, not the ingest's): 3,000 posts after the analysis was made take
/// more than one window, and what it answers after is what its rebuild answers.
#[test]
fn a_copy_analysis_caught_up_in_windows_equals_its_rebuild() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("archive");
    let (a, b) = (tmp.path().join("a.jsonl"), tmp.path().join("b.jsonl"));
    std::fs::write(&a, dump(50, 1)).unwrap();
    std::fs::write(&b, dump(3_000, 2)).unwrap();
    let mut engine = Engine::open(&dir).unwrap();
    for (file, channel) in [(&a, "follow_a"), (&b, "follow_b")] {
        let options = IngestOptions {
            channel: Some(channel.into()),
            follow_every: Some(u64::MAX),
            ..IngestOptions::default()
        };
        let report = engine
            .ingest(std::slice::from_ref(file), &options, &mut NoProgress)
            .unwrap();
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
        assert_eq!(report.following_rounds, 0);
    }
    let caught_up = answers(&mut engine);
    assert!(caught_up.contains("clusters: [("), "{caught_up}");
    drop(engine);
    remove(&dir.join("copies"));
    let mut rebuilt = Engine::open_existing(&dir).unwrap();
    assert_eq!(answers(&mut rebuilt), caught_up);
}
