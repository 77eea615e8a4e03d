//! The network analysis as derived data, on an archive whose network is known by construction:
//! forwards, mentions, t.me links, shared links (written differently) and posting in step
//! planted at known times among four channels, with background posts.

use std::collections::BTreeMap;
use std::path::Path;

use tgscope_engine::network::{EdgeKind, NetworkQuery, ObjectKind};
use tgscope_engine::{Engine, IngestOptions, NoProgress};

/// One post of the planted dump.
fn line(id: u32, minute: u32, channel: &str, text: &str, forwarded_from: Option<&str>) -> String {
    let mut v = serde_json::json!({
        "id": id,
        "date": format!("2024-03-01T{:02}:{:02}:00Z", 8 + minute / 60, minute % 60),
        "channel": channel,
        "text": text,
    });
    if let Some(f) = forwarded_from {
        v["forwarded_from"] = serde_json::json!(f);
    }
    v.to_string()
}

/// The planted archive: `alpha` is forwarded three times by `beta`; `gamma` mentions @alpha
/// twice and links one of beta's posts; beta and gamma post three stories (their links
/// written with different tracking parameters) within 30 seconds of each other, and delta
/// posts the same links hours later.
fn planted(dir: &Path) -> Engine {
    let mut lines = Vec::new();
    for i in 0..3 {
        lines.push(line(
            10 + i,
            i * 10,
            "alpha",
            &format!("Official statement number {i} on the summit in Astana #summit"),
            None,
        ));
        lines.push(line(
            20 + i,
            i * 10 + 5,
            "beta",
            &format!("Official statement number {i} on the summit in Astana #summit"),
            Some("@alpha"),
        ));
    }
    lines.push(line(
        30,
        40,
        "gamma",
        "As @alpha said this morning: talks go on",
        None,
    ));
    lines.push(line(
        31,
        41,
        "gamma",
        "Read @alpha and https://t.me/beta/21 too",
        None,
    ));
    for i in 0..3u32 {
        let story = format!("https://example.org/news/story-{i}");
        // beta at the minute, gamma half a minute later (different tracking), delta 3 hours on.
        lines.push(line(
            40 + i,
            60 + i * 5,
            "beta",
            &format!("Breaking: {story}?utm_source=beta"),
            None,
        ));
        lines.push(
            line(
                50 + i,
                60 + i * 5,
                "gamma",
                &format!("Look: https://www.example.org/news/story-{i}/?fbclid=abc"),
                None,
            )
            .replace(":00Z", ":30Z"),
        );
        lines.push(line(
            60 + i,
            240 + i * 5,
            "delta",
            &format!("Old news {story}"),
            None,
        ));
    }
    // Background: posts that share nothing.
    for i in 0..5u32 {
        lines.push(line(
            70 + i,
            300 + i,
            "delta",
            &format!("Weather report {i}: sunny"),
            None,
        ));
    }
    let file = dir.join("planted.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let mut engine = Engine::open(&dir.join("archive")).unwrap();
    engine
        .ingest(&[file], &IngestOptions::default(), &mut NoProgress)
        .expect("ingest runs");
    engine
}

/// Edges as (kind, source label, target label) → weight.
fn edges(engine: &mut Engine, q: &NetworkQuery) -> BTreeMap<(String, String, String), f64> {
    let net = engine.network(q, None).expect("network");
    let label: BTreeMap<String, String> = net
        .graph
        .nodes
        .iter()
        .map(|n| (n.id.clone(), n.label.clone()))
        .collect();
    net.graph
        .edges
        .iter()
        .map(|e| {
            (
                (
                    e.kind.to_string(),
                    label[&e.source].clone(),
                    label[&e.target].clone(),
                ),
                e.weight,
            )
        })
        .collect()
}

#[test]
fn planted_forwards_mentions_links_and_coordination_are_found_with_their_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let mut engine = planted(tmp.path());
    assert!(tmp.path().join("archive/networks/state.bin").is_file());

    let q = NetworkQuery {
        kinds: EdgeKind::CHANNEL_KINDS.to_vec(),
        ..NetworkQuery::default()
    };
    let found = edges(&mut engine, &q);
    let weight = |kind: &str, a: &str, b: &str| {
        found
            .get(&(kind.to_string(), a.to_string(), b.to_string()))
            .copied()
    };
    // Three forwards of alpha's posts by beta: the dump names the origin `@alpha`, which is
    // the archived channel alpha (one node, not a second one named after the header).
    assert_eq!(
        weight("forward", "@alpha", "@beta"),
        Some(3.0),
        "{found:#?}"
    );
    let net = engine.network(&q, None).unwrap();
    let alphas: Vec<_> = net
        .graph
        .nodes
        .iter()
        .filter(|n| n.label == "@alpha")
        .collect();
    assert_eq!(alphas.len(), 1, "{alphas:#?}");
    assert_eq!(
        alphas[0].values[5],
        Some(tgscope_engine::network::graph::Value::Boolean(true))
    );
    // gamma names @alpha twice and links a post of beta once.
    assert_eq!(
        weight("mention", "@alpha", "@gamma"),
        Some(2.0),
        "{found:#?}"
    );
    assert_eq!(
        weight("mention", "@beta", "@gamma"),
        Some(1.0),
        "{found:#?}"
    );
    // The three stories, written three ways, are one link each: beta, gamma and delta share
    // three links pairwise.
    for (a, b) in [
        ("@beta", "@gamma"),
        ("@beta", "@delta"),
        ("@gamma", "@delta"),
    ] {
        assert_eq!(weight("link", a, b), Some(3.0), "{a} {b}: {found:#?}");
    }
    // Coordination at 60 s: beta and gamma only (delta posted hours later). Their three
    // stories are links, and the hashtag #summit is used by alpha and beta 5 minutes apart
    // (outside the window).
    let coordination: Vec<_> = found.keys().filter(|k| k.0 == "coordination").collect();
    assert_eq!(coordination.len(), 1, "{found:#?}");
    assert_eq!(weight("coordination", "@beta", "@gamma"), Some(3.0));

    // At a 10-second window nothing is in step. On hashtags alone at a 10-minute window,
    // alpha and beta share one object (#summit, each channel's first use counts once).
    let narrow = NetworkQuery {
        kinds: vec![EdgeKind::Coordination],
        window: 10,
        ..NetworkQuery::default()
    };
    assert!(edges(&mut engine, &narrow).is_empty());
    let tags_only = NetworkQuery {
        kinds: vec![EdgeKind::Coordination],
        objects: vec![ObjectKind::Hashtag],
        window: 600,
        min_shared: 1,
        ..NetworkQuery::default()
    };
    let by_tag = edges(&mut engine, &tags_only);
    assert_eq!(
        by_tag.get(&(
            "coordination".to_string(),
            "@alpha".to_string(),
            "@beta".to_string()
        )),
        Some(&1.0),
        "{by_tag:#?}"
    );
}

#[test]
fn every_edge_names_posts_of_its_two_channels_and_a_period_leaves_posts_out() {
    let tmp = tempfile::tempdir().unwrap();
    let mut engine = planted(tmp.path());
    let q = NetworkQuery {
        kinds: EdgeKind::CHANNEL_KINDS.to_vec(),
        ..NetworkQuery::default()
    };
    let net = engine.network(&q, None).unwrap();
    for e in &net.graph.edges {
        assert!(!e.posts.is_empty(), "{e:?}");
        assert!(e.first.is_some() && e.first <= e.last, "{e:?}");
    }
    // Before the link stories (09:00), only forwards and mentions remain.
    let morning = NetworkQuery {
        until: Some(1_709_283_600),
        ..q.clone()
    };
    let net = engine.network(&morning, None).unwrap();
    let kinds: std::collections::BTreeSet<&str> = net.graph.edges.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        ["forward", "mention"].into_iter().collect(),
        "{:#?}",
        net.graph.edges
    );
}

#[test]
fn a_deleted_analysis_is_rebuilt_identically_and_hashtags_are_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let mut engine = planted(tmp.path());
    let q = NetworkQuery {
        kinds: EdgeKind::CHANNEL_KINDS.to_vec(),
        ..NetworkQuery::default()
    };
    let before = engine.network(&q, None).unwrap();
    drop(engine);
    std::fs::remove_file(tmp.path().join("archive/networks/state.bin")).unwrap();
    let mut reader = Engine::open_existing(&tmp.path().join("archive")).unwrap();
    let after = reader.network(&q, None).unwrap();
    assert_eq!(before, after);

    let table = reader
        .hashtags(None, None, None, tgscope_engine::Period::Day)
        .unwrap();
    let summit = table
        .tags
        .iter()
        .find(|t| t.tag == "summit")
        .expect("#summit");
    assert_eq!(summit.posts, 6);
    assert_eq!(summit.channels.len(), 2);
    assert_eq!(
        summit.first.post_id, 1,
        "alpha's first post is the first use"
    );
}
