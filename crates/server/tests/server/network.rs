//! Networks in the API: `/network` in every format (the documented JSON, GEXF and GraphML with
//! the same nodes and edges), `/channels/{name}/amplification` and `/network/hashtags`, and the
//! problems of bad parameters, over an archive whose network is known by construction
//! ([`network_dump`](crate::support::network_dump)).

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use serde_json::Value;
use tgscope_engine::Engine;
use tgscope_engine::network::{EdgeKind, NetworkQuery, format};

use crate::support::{IMG, RELAYS, Reply, SCRIPT, config, get, network_archive, router};

fn problem(reply: &Reply) -> (String, String) {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.header("content-type"), "application/problem+json");
    let json = reply.json();
    (
        json["code"].as_str().unwrap_or_default().to_string(),
        json["detail"].as_str().unwrap_or_default().to_string(),
    )
}

/// The edges of a network's JSON as (kind, source label, target label) → weight.
fn edges_by_label(json: &Value) -> BTreeMap<(String, String, String), f64> {
    let label: BTreeMap<&str, &str> = json["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| {
            (
                n["id"].as_str().expect("id"),
                n["label"].as_str().expect("label"),
            )
        })
        .collect();
    json["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            let name = |key: &str| {
                let id = e[key].as_str().expect("node id");
                label.get(id).map_or(id, |l| *l).to_string()
            };
            (
                (
                    e["kind"].as_str().expect("kind").to_string(),
                    name("source"),
                    name("target"),
                ),
                e["weight"].as_f64().expect("weight"),
            )
        })
        .collect()
}

/// A small XML reader for the tests: checks that a document is well-formed (one root, every
/// element closed in order, attribute values quoted, `&` only in references, no `<` in text or
/// values) and gives each element's name and attributes, in document order.
fn xml_elements(xml: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        .expect("an XML declaration");
    let mut elements = Vec::new();
    let mut open: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut rest = body;
    let check_text = |t: &str| {
        assert!(!t.contains('<'), "a raw < in {t:?}");
        let mut pieces = t.split('&');
        pieces.next();
        for piece in pieces {
            let reference = piece.split(';').next().unwrap_or("");
            assert!(
                piece.contains(';')
                    && (["lt", "gt", "amp", "quot", "apos"].contains(&reference)
                        || reference.starts_with('#')),
                "a raw & in {t:?}"
            );
        }
    };
    while let Some(start) = rest.find('<') {
        let (before, after) = rest.split_at(start);
        if open.is_empty() {
            assert!(
                before.trim().is_empty(),
                "text outside the root: {before:?}"
            );
        } else {
            check_text(before);
        }
        if let Some(comment) = after.strip_prefix("<!--") {
            let end = comment.find("-->").expect("a closed comment");
            rest = &comment[end + 3..];
            continue;
        }
        let end = after.find('>').expect("a closed tag");
        let tag = &after[1..end];
        rest = &after[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(name.trim()), "closing {name}");
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
        let name = tag[..name_end].to_string();
        assert!(!name.is_empty(), "a tag without a name");
        let mut attributes = BTreeMap::new();
        let mut attrs = tag[name_end..].trim();
        while !attrs.is_empty() {
            let eq = attrs.find("=\"").expect("attribute=\"value\"");
            let key = attrs[..eq].trim().to_string();
            let value_end = attrs[eq + 2..].find('"').expect("a closed value") + eq + 2;
            let value = &attrs[eq + 2..value_end];
            check_text(value);
            assert!(
                attributes.insert(key, value.to_string()).is_none(),
                "an attribute twice"
            );
            attrs = attrs[value_end + 1..].trim_start();
        }
        if open.is_empty() {
            roots += 1;
        }
        elements.push((name.clone(), attributes));
        if !self_closing {
            open.push(name);
        }
    }
    assert!(rest.trim().is_empty(), "text after the root");
    assert!(open.is_empty(), "unclosed elements: {open:?}");
    assert_eq!(roots, 1, "one root element");
    elements
}

/// (source, target) of every `edge` element, and how many `node` elements there are.
fn xml_counts(xml: &str) -> (usize, BTreeMap<(String, String), usize>) {
    let elements = xml_elements(xml);
    let nodes = elements.iter().filter(|(n, _)| n == "node").count();
    let mut edges = BTreeMap::new();
    for (_, a) in elements.iter().filter(|(n, _)| n == "edge") {
        *edges
            .entry((a["source"].clone(), a["target"].clone()))
            .or_insert(0) += 1;
    }
    (nodes, edges)
}

fn json_counts(json: &Value) -> (usize, BTreeMap<(String, String), usize>) {
    let mut edges = BTreeMap::new();
    for e in json["edges"].as_array().expect("edges") {
        *edges
            .entry((
                e["source"].as_str().expect("source").to_string(),
                e["target"].as_str().expect("target").to_string(),
            ))
            .or_insert(0) += 1;
    }
    (json["nodes"].as_array().expect("nodes").len(), edges)
}

#[tokio::test]
async fn the_network_is_the_documented_json_with_the_planted_edges() {
    let a = network_archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/api/v1/network?kind=forward,mention").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("content-type"), "application/json");
    assert_eq!(
        reply.header("content-disposition"),
        "",
        "JSON is shown, not downloaded"
    );
    let json = reply.json();
    let edges = edges_by_label(&json);
    let edge = |kind: &str, from: &str, to: &str| {
        edges
            .get(&(kind.to_string(), from.to_string(), to.to_string()))
            .copied()
    };
    assert_eq!(edge("forward", "@alpha", "@beta"), Some(3.0), "{edges:?}");
    assert_eq!(edge("forward", "@alpha", IMG), Some(1.0), "{edges:?}");
    assert_eq!(edge("mention", "@alpha", "@gamma"), Some(2.0), "{edges:?}");
    assert_eq!(edge("mention", "@beta", "@gamma"), Some(1.0), "{edges:?}");
    assert_eq!(
        edge("mention", "@ghost_news", "@gamma"),
        Some(1.0),
        "{edges:?}"
    );
    for r in 0..RELAYS {
        assert_eq!(
            edge("forward", "@alpha", &format!("@relay_{r:02}")),
            Some(1.0)
        );
    }
    assert_eq!(edges.len(), 5 + RELAYS, "only the planted edges: {edges:?}");
    // The contract: every edge and node with its fields; every node has the measures.
    for e in json["edges"].as_array().expect("edges") {
        for key in [
            "source", "target", "kind", "directed", "weight", "first", "last", "posts",
        ] {
            assert!(e.get(key).is_some(), "{key} in {e}");
        }
        assert!(!e["posts"].as_array().expect("posts").is_empty(), "{e}");
        assert!(e["first"].is_string(), "dated: {e}");
    }
    let ghost = json["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["id"] == "@ghost_news")
        .expect("a node for the channel known only by its mention");
    assert_eq!(ghost["archived"], false);
    for n in json["nodes"].as_array().expect("nodes") {
        for key in [
            "id",
            "label",
            "username",
            "posts",
            "archived",
            "pagerank",
            "in_weight",
            "out_weight",
            "community",
        ] {
            assert!(n.get(key).is_some(), "{key} in {n}");
        }
    }
    // Exactly what the engine's JSON writer writes for the same question.
    let mut engine = Engine::open_existing(&a.dir).expect("engine");
    let query = NetworkQuery {
        kinds: vec![EdgeKind::Forward, EdgeKind::Mention],
        ..NetworkQuery::default()
    };
    let net = engine.network(&query, None).expect("network");
    let mut expected = Vec::new();
    format::write_json(&net.graph, &mut expected).expect("written");
    assert_eq!(reply.body.as_bytes(), expected.as_slice());
    assert_eq!(reply.header("x-network-unknown-sources"), "0");
    assert_eq!(reply.header("x-network-undated-left-out"), "0");
    let posts_used: u64 = reply
        .header("x-network-posts-used")
        .parse()
        .expect("a count");
    assert_eq!(posts_used, net.posts_used);
    // The default kinds are forward, mention, copy and link: the two shared stories link beta
    // and gamma.
    let default = get(&app, "/api/v1/network").await.json();
    let shared = edges_by_label(&default);
    assert_eq!(
        shared.get(&("link".into(), "@beta".into(), "@gamma".into())),
        Some(&2.0),
        "{shared:?}"
    );
}

#[tokio::test]
async fn gexf_and_graphml_downloads_are_well_formed_and_hold_the_same_network() {
    let a = network_archive();
    let app = router(config(&a.dir));
    let json = get(&app, "/api/v1/network?kind=all").await.json();
    let (nodes, edges) = json_counts(&json);
    assert!(nodes > RELAYS && edges.len() > RELAYS, "{nodes} nodes");
    for (format, media_type, file) in [
        ("gexf", "application/gexf+xml", "network.gexf"),
        ("gexf-static", "application/gexf+xml", "network-static.gexf"),
        ("graphml", "application/graphml+xml", "network.graphml"),
    ] {
        let reply = get(&app, &format!("/api/v1/network?kind=all&format={format}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{format}: {}", reply.body);
        assert_eq!(reply.header("content-type"), media_type, "{format}");
        assert_eq!(
            reply.header("content-disposition"),
            format!("attachment; filename=\"{file}\""),
            "{format}"
        );
        assert_eq!(xml_counts(&reply.body), (nodes, edges.clone()), "{format}");
        // The channel named with markup is escaped, not markup.
        assert!(!reply.body.contains(IMG), "{format}");
        assert!(!reply.body.contains(SCRIPT), "{format}");
    }
    let gexf = get(&app, "/api/v1/network?kind=forward&format=gexf")
        .await
        .body;
    let elements = xml_elements(&gexf);
    assert_eq!(elements[0].0, "gexf");
    assert_eq!(elements[0].1["version"], "1.3");
    assert!(
        elements
            .iter()
            .any(|(n, a)| n == "graph" && a.get("mode").map(String::as_str) == Some("dynamic")),
        "edges with times make a dynamic graph"
    );
}

#[tokio::test]
async fn bad_network_parameters_are_problems_that_name_them() {
    let a = network_archive();
    let app = router(config(&a.dir));
    for (query, named) in [
        ("kind=retweet", "kind \"retweet\""),
        ("kind=forward,hashtag", "kind hashtag"),
        ("window=soon", "window \"soon\""),
        ("window=3y&kind=coordination", "window \"3y\""),
        ("since=yesterday", "since \"yesterday\""),
        ("until=2024-02-30", "until \"2024-02-30\""),
        ("min_shared=many", "min_shared \"many\""),
        ("objects=text", "objects \"text\""),
        ("format=xml", "format \"xml\""),
        ("depth=far&channel=alpha", "depth \"far\""),
        ("since=2024-03-01&since=2024-03-02", "since is given twice"),
    ] {
        let (code, detail) = problem(&get(&app, &format!("/api/v1/network?{query}")).await);
        assert_eq!(code, "bad_request", "{query}");
        assert!(detail.starts_with(named), "{query}: {detail}");
    }
    let missing = get(&app, "/api/v1/network?channel=nobody_here").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
}

#[tokio::test]
async fn a_period_and_a_channel_narrow_the_network() {
    let a = network_archive();
    let app = router(config(&a.dir));
    // The relays forwarded on March 2: a period before it leaves them out.
    let reply = get(&app, "/api/v1/network?kind=forward&until=2024-03-02").await;
    let edges = edges_by_label(&reply.json());
    assert_eq!(
        edges.len(),
        2,
        "beta and the channel named with markup: {edges:?}"
    );
    assert_eq!(reply.header("x-network-undated-left-out"), "1");
    // Around gamma, one step: the channels it names and no relay.
    let around = get(
        &app,
        "/api/v1/network?kind=forward,mention&channel=gamma&depth=1",
    )
    .await;
    let json = around.json();
    let labels: BTreeSet<&str> = json["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["label"].as_str())
        .collect();
    assert_eq!(
        labels,
        BTreeSet::from(["@alpha", "@beta", "@gamma", "@ghost_news"])
    );
}

#[tokio::test]
async fn a_channel_is_amplified_by_those_passing_it_on() {
    let a = network_archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/api/v1/channels/alpha/amplification").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("content-type"), "application/json");
    let json = reply.json();
    assert_eq!(json["name"], "alpha");
    assert!(json["channel"].is_i64());
    assert_eq!(json["amplifies"], Value::Array(Vec::new()));
    let by = json["amplified_by"].as_array().expect("amplified_by");
    assert_eq!(by.len(), RELAYS + 3, "{json}");
    assert_eq!(by[0]["name"], "@beta", "the most first: {json}");
    assert_eq!(by[0]["forwards"], 3);
    assert_eq!(by[0]["total"], 3);
    assert_eq!(by[0]["first"], "2024-03-01T08:05:00Z");
    assert_eq!(by[0]["last"], "2024-03-01T08:25:00Z");
    assert_eq!(by[0]["posts"].as_array().map(Vec::len), Some(3));
    let gamma = by.iter().find(|c| c["name"] == "@gamma").expect("gamma");
    assert_eq!(
        (gamma["mentions"].as_u64(), gamma["forwards"].as_u64()),
        (Some(2), Some(0))
    );
    assert!(
        gamma["api_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("/api/v1/channels/"))
    );
    // gamma amplifies alpha, beta and a channel known only by its mention.
    let gamma = get(&app, "/api/v1/channels/gamma/amplification")
        .await
        .json();
    let names: Vec<&str> = gamma["amplifies"]
        .as_array()
        .expect("amplifies")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["@alpha", "@beta", "@ghost_news"]);
    assert_eq!(gamma["amplifies"][2]["id"], "@ghost_news");
    assert_eq!(gamma["amplifies"][2]["api_url"], Value::Null);
    // A period, a bad date, an unknown channel.
    let later = get(
        &app,
        "/api/v1/channels/alpha/amplification?since=2024-03-02",
    )
    .await
    .json();
    assert_eq!(later["amplified_by"].as_array().map(Vec::len), Some(RELAYS));
    let (code, detail) =
        problem(&get(&app, "/api/v1/channels/alpha/amplification?since=soon").await);
    assert_eq!(code, "bad_request");
    assert!(detail.starts_with("since \"soon\""), "{detail}");
    let missing = get(&app, "/api/v1/channels/nobody_here/amplification").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn hashtag_uses_have_channels_first_use_periods_and_co_used_tags() {
    let a = network_archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/api/v1/network/hashtags").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let json = reply.json();
    assert_eq!(json["by"], "month");
    assert_eq!(json["total"], 2);
    assert_eq!(json["undated_left_out"], 0);
    let summit = &json["hashtags"][0];
    assert_eq!(summit["tag"], "summit");
    assert_eq!(
        summit["posts"], 7,
        "alpha's, beta's forwards, delta's undated: {summit}"
    );
    let channels: Vec<(&str, u64)> = summit["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or(""),
                c["posts"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(channels, [("alpha", 3), ("beta", 3), ("delta", 1)]);
    assert!(summit["channels"][0]["id"].is_i64());
    assert_eq!(summit["first"]["channel"], "alpha");
    assert_eq!(summit["first"]["date"], "2024-03-01T08:00:00Z");
    assert_eq!(summit["first"]["date_inferred"], false);
    assert!(summit["first"]["post"].is_i64());
    assert_eq!(
        summit["periods"],
        serde_json::json!([{"period": "2024-03", "posts": 6}])
    );
    assert_eq!(
        summit["with"],
        serde_json::json!([{"tag": "astana", "posts": 6}])
    );
    assert_eq!(summit["api_url"], "/api/v1/hashtags/summit");
    // By week, of one channel, in a period (the undated post left out), paged.
    let week = get(&app, "/api/v1/network/hashtags?by=week&channel=beta")
        .await
        .json();
    assert_eq!(week["hashtags"][0]["periods"][0]["period"], "2024-W09");
    assert_eq!(week["hashtags"][0]["posts"], 3);
    let dated = get(&app, "/api/v1/network/hashtags?since=2024-03-01")
        .await
        .json();
    assert_eq!(dated["undated_left_out"], 1);
    assert_eq!(dated["hashtags"][0]["posts"], 6);
    let first = get(&app, "/api/v1/network/hashtags?limit=1").await.json();
    assert_eq!(first["hashtags"].as_array().map(Vec::len), Some(1));
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = get(
        &app,
        &format!("/api/v1/network/hashtags?limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(second.json()["hashtags"][0]["tag"], "astana");
    let (code, _) = problem(&get(&app, "/api/v1/network/hashtags?by=year").await);
    assert_eq!(code, "bad_request");
}
