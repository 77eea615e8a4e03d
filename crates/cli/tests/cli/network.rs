//! `tgscope network` and `tgscope hashtags` as a user runs them: every forward of the real
//! samples is an edge of the forward network with the right count; the CSV lists, the formats
//! and the notes of what a network left out.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::common::{Archive, stderr};

/// A node's name as the export names channels and forward origins: its username, else title.
fn node_name(n: &Value) -> String {
    n["username"]
        .as_str()
        .or_else(|| n["title"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn every_forward_of_the_real_samples_is_an_edge_with_its_count() {
    let Some(samples) = super::real_sample::samples() else {
        return;
    };
    let folders: Vec<PathBuf> = ["desktop-html", "desktop-json", "tme-html", "text"]
        .iter()
        .map(|f| samples.join(f))
        .filter(|p| p.is_dir())
        .collect();
    let a = Archive::new();
    let mut command = args!["ingest", "-q"];
    command.extend(folders.iter().map(|p| p.as_os_str().to_owned()));
    a.ok(command);

    // Forwards as the export records them: (origin, forwarder) → posts.
    let mut expected: BTreeMap<(String, String), u64> = BTreeMap::new();
    for r in a.export() {
        let f = &r["forwarded_from"];
        if !f.is_object() {
            continue;
        }
        let Some(origin) = f["username"].as_str().or_else(|| f["title"].as_str()) else {
            continue;
        };
        let channel = r["channel"].as_str().unwrap_or_default().to_string();
        if origin == channel {
            continue;
        }
        *expected.entry((origin.to_string(), channel)).or_default() += 1;
    }
    assert!(
        expected.values().sum::<u64>() > 50,
        "the samples hold forwards: {expected:?}"
    );

    let net = a.json(args!["network", "--kind", "forward", "--format", "json"]);
    let names: BTreeMap<&str, String> = net["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| (n["id"].as_str().expect("id"), node_name(n)))
        .collect();
    let mut found: BTreeMap<(String, String), u64> = BTreeMap::new();
    for e in net["edges"].as_array().expect("edges") {
        assert_eq!(e["kind"], "forward");
        assert_eq!(e["directed"], true);
        let key = (
            names[e["source"].as_str().expect("source")].clone(),
            names[e["target"].as_str().expect("target")].clone(),
        );
        let weight = e["weight"].as_f64().expect("weight") as u64;
        assert!(!e["posts"].as_array().expect("posts").is_empty(), "{e}");
        *found.entry(key).or_default() += weight;
    }
    assert_eq!(found, expected);
}

/// A small dump with forwards, mentions, shared links and tags at known times.
fn planted(a: &Archive) {
    let lines = [
        r#"{"id": 1, "date": "2024-03-01T10:00:00Z", "channel": "alpha", "text": "Statement on the summit #summit https://example.org/a"}"#,
        r#"{"id": 2, "date": "2024-03-01T10:00:20Z", "channel": "beta", "text": "Statement on the summit #summit", "forwarded_from": "@alpha"}"#,
        r#"{"id": 3, "date": "2024-03-01T10:00:30Z", "channel": "beta", "text": "See https://www.example.org/a/?utm_source=tg and @alpha #summit"}"#,
        r#"{"id": 4, "channel": "gamma", "text": "Undated: https://example.org/a #summit"}"#,
    ];
    let file = a.write("planted.jsonl", lines.join("\n"));
    a.ok(args!["ingest", "-q", file]);
}

#[test]
fn csv_writes_edges_and_nodes_and_a_period_says_what_it_left_out() {
    let a = Archive::new();
    planted(&a);
    let edges = a.path("net.csv");
    let out = a.run(args![
        "network",
        "--kind",
        "all",
        "--format",
        "csv",
        "-o",
        &edges,
        "--since",
        "2024-03-01"
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("1 undated posts left out"), "{err}");
    let edges_csv = std::fs::read_to_string(&edges).unwrap();
    let nodes_csv = std::fs::read_to_string(a.path("net-nodes.csv")).unwrap();
    assert!(
        edges_csv.starts_with("Source,Target,Type,Kind,Weight,First,Last,Posts"),
        "{edges_csv}"
    );
    assert!(nodes_csv.starts_with("Id,Label,"), "{nodes_csv}");
    // alpha → beta forward, alpha → beta mention, alpha — beta link (gamma's is undated).
    let kinds: Vec<&str> = edges_csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap_or_default())
        .collect();
    assert_eq!(kinds, vec!["forward", "mention", "link"], "{edges_csv}");

    // Without a period, gamma's undated post shares the link too.
    let all = a.json(args!["network", "--kind", "link", "--format", "json"]);
    assert_eq!(all["edges"].as_array().unwrap().len(), 3, "{all}");

    // csv needs a file.
    let out = a.run(args!["network", "--format", "csv"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("-o FILE.csv"), "{}", stderr(&out));
}

#[test]
fn gexf_and_graphml_declare_their_attributes_and_hashtags_count_first_use() {
    let a = Archive::new();
    planted(&a);
    let gexf = a.ok(args!["network", "--kind", "all", "--format", "gexf"]);
    assert!(gexf.contains(r#"xmlns="http://gexf.net/1.3""#), "{gexf}");
    assert!(gexf.contains(r#"<attribute id="pagerank""#), "{gexf}");
    assert!(gexf.contains(r#"mode="dynamic""#), "{gexf}");
    let graphml = a.ok(args!["network", "--kind", "all", "--format", "graphml"]);
    assert!(
        graphml.contains(r#"attr.name="pagerank" attr.type="double""#),
        "{graphml}"
    );

    let tags = a.json(args!["hashtags", "--format", "json"]);
    let summit = &tags[0];
    assert_eq!(summit["tag"], "summit");
    assert_eq!(summit["posts"], 4);
    assert_eq!(summit["first"]["channel"], "alpha");
    assert_eq!(summit["channels"].as_array().unwrap().len(), 3);
    let by_since = a.run(args![
        "hashtags",
        "--since",
        "2024-03-01",
        "--format",
        "json"
    ]);
    assert!(
        stderr(&by_since).contains("1 undated posts with tags left out"),
        "{}",
        stderr(&by_since)
    );
}

/// Reads the files with networkx (static GEXF, GraphML) and igraph (GraphML) and prints, per
/// reader, the node and edge counts, the sum of the weights and the Python types of some
/// attributes, as JSON.
const ROUND_TRIP: &str = r#"
import json, sys
import networkx as nx
import igraph as ig
gexf, graphml = sys.argv[1], sys.argv[2]
out = {}
g = nx.read_gexf(gexf)
out["networkx_gexf"] = {
    "nodes": g.number_of_nodes(), "edges": g.number_of_edges(),
    "weight": round(sum(d.get("weight", 0) for _, _, d in g.edges(data=True)), 6),
    "pagerank": sorted({type(d.get("PageRank")).__name__ for _, d in g.nodes(data=True)}),
    "posts": sorted({type(d.get("Posts archived")).__name__ for _, d in g.nodes(data=True)}),
}
g = nx.read_graphml(graphml)
out["networkx_graphml"] = {
    "nodes": g.number_of_nodes(), "edges": g.number_of_edges(),
    "weight": round(sum(d.get("weight", 0) for _, _, d in g.edges(data=True)), 6),
    "pagerank": sorted({type(d.get("pagerank")).__name__ for _, d in g.nodes(data=True)}),
    "posts": sorted({type(d.get("posts")).__name__ for _, d in g.nodes(data=True)}),
}
g = ig.Graph.Read_GraphML(graphml)
out["igraph_graphml"] = {
    "nodes": g.vcount(), "edges": g.ecount(),
    "weight": round(sum(g.es["weight"]), 6),
    "pagerank": sorted({type(v).__name__ for v in g.vs["pagerank"]}),
    "posts": sorted({type(v).__name__ for v in g.vs["posts"]}),
}
print(json.dumps(out))
"#;

#[test]
fn the_files_read_back_in_networkx_and_igraph_with_the_counts_weights_and_types_tgscope_reports() {
    let Some(python) = super::common::python_with("TGSCOPE_NETWORK_PYTHON", "networkx and igraph")
    else {
        return;
    };
    let a = Archive::new();
    planted(&a);
    // Forward and mention edges only: networkx reads a graph with directed edges only.
    let kinds = ["--kind", "forward,mention"];
    let json = a.json(args!["network", kinds[0], kinds[1], "--format", "json"]);
    let nodes = json["nodes"].as_array().unwrap().len();
    let edges = json["edges"].as_array().unwrap();
    assert!(!edges.is_empty());
    let weight: f64 = edges.iter().map(|e| e["weight"].as_f64().unwrap()).sum();
    let gexf = a.path("net.gexf");
    let graphml = a.path("net.graphml");
    a.ok(args![
        "network",
        kinds[0],
        kinds[1],
        "--format",
        "gexf-static",
        "-o",
        &gexf
    ]);
    a.ok(args![
        "network", kinds[0], kinds[1], "--format", "graphml", "-o", &graphml
    ]);
    let out = std::process::Command::new(&python)
        .args(["-c", ROUND_TRIP])
        .arg(&gexf)
        .arg(&graphml)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: Value = serde_json::from_slice(&out.stdout).expect("json");
    for reader in ["networkx_gexf", "networkx_graphml", "igraph_graphml"] {
        let r = &read[reader];
        assert_eq!(r["nodes"], nodes, "{reader}: {read}");
        assert_eq!(r["edges"], edges.len(), "{reader}: {read}");
        assert!(
            (r["weight"].as_f64().unwrap() - weight).abs() < 1e-6,
            "{reader}: {read}"
        );
        assert_eq!(
            r["pagerank"],
            serde_json::json!(["float"]),
            "{reader}: {read}"
        );
    }
    // Integers stay integers where the reader keeps them (igraph reads every number as float).
    assert_eq!(
        read["networkx_gexf"]["posts"],
        serde_json::json!(["int"]),
        "{read}"
    );
    assert_eq!(
        read["networkx_graphml"]["posts"],
        serde_json::json!(["int"]),
        "{read}"
    );
}

#[test]
fn the_amplification_table_names_whom_a_channel_passes_on_and_who_passes_it_on() {
    let a = Archive::new();
    planted(&a);
    let beta = a.ok(args!["network", "--channel", "beta", "--format", "table"]);
    let amplifies = beta.split("Amplified by").next().expect("the first table");
    let alpha_row = amplifies
        .lines()
        .find(|l| l.trim_start().starts_with("@alpha") || l.trim_start().starts_with("alpha"))
        .unwrap_or_else(|| panic!("alpha is amplified by beta: {beta}"));
    let cells: Vec<&str> = alpha_row.split_whitespace().collect();
    // CHANNEL FORWARDS MENTIONS COPIES: one forward and one mention.
    assert_eq!(&cells[1..4], &["1", "1", "0"], "{beta}");
    assert!(
        beta.contains("no other channel passes on its posts"),
        "{beta}"
    );
    let alpha = a.ok(args!["network", "--channel", "alpha", "--format", "table"]);
    assert!(alpha.contains("it passes on no other channel"), "{alpha}");
    let out = a.run(args!["network", "--format", "table"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--channel"), "{}", stderr(&out));
}
