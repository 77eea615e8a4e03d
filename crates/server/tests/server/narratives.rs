//! Narratives on the pages and in the API, over an archive of a message dump with a planted
//! theme: "west" first posted by alpha (2024-03-02), joined by beta (the 3rd, with the same
//! text: a copy cluster of two) and gamma (the 12th), and once undated in delta; a narrative
//! whose description carries markup that must stay text.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use scraper::{Html, Selector};
use serde_json::Value;
use tempfile::TempDir;
use tgscope_engine::{Engine, IngestOptions, NoProgress};

use crate::support::{Archive, SCRIPT, config, get, router};

const COPIED: &str = "Коллективный Запад снова угрожает суверенным странам санкциями, давлением \
                      и вмешательством во внутренние дела, заявил министр на брифинге в среду";

fn narratives_archive() -> Archive {
    let tmp = TempDir::new().expect("temporary directory");
    let dir = tmp.path().join("archive");
    let mut engine = Engine::open(&dir).expect("archive");
    let posts = [
        (
            1,
            Some("2024-03-02T08:00:00Z"),
            "alpha",
            COPIED.to_string(),
            500,
        ),
        (
            2,
            Some("2024-03-02T09:00:00Z"),
            "alpha",
            "Погода: солнечно".into(),
            10,
        ),
        (
            11,
            Some("2024-03-03T12:00:00Z"),
            "beta",
            COPIED.to_string(),
            900,
        ),
        (
            21,
            Some("2024-03-12T10:00:00Z"),
            "gamma",
            "The collective West is divided".into(),
            70,
        ),
        (31, None, "delta", "Мифы коллективного Запада".into(), 40),
    ];
    let lines: Vec<String> = posts
        .iter()
        .map(|(id, date, channel, text, views)| {
            let mut post =
                serde_json::json!({"id": id, "channel": channel, "text": text, "views": views});
            if let Some(d) = date {
                post["date"] = serde_json::json!(d);
            }
            post.to_string()
        })
        .collect();
    let path = tmp.path().join("narratives.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write dump");
    engine
        .ingest(&[path], &IngestOptions::default(), &mut NoProgress)
        .expect("ingest dump");
    engine
        .add_narrative(
            "west",
            &format!("the collective West {SCRIPT}"),
            &["коллективный Запад".into(), "\"collective West\"".into()],
        )
        .expect("add");
    engine
        .edit_narrative("west", Some("the collective West, RU and EN"), None)
        .expect("edit");
    drop(engine);
    Archive { _tmp: tmp, dir }
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let selector = Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e:?}"));
    doc.select(&selector).collect()
}

fn text(e: &scraper::ElementRef<'_>) -> String {
    e.text().collect()
}

/// Checks that `value` has exactly the fields `schema` documents (a `$ref` followed into the
/// document's components, a nullable one-of by the value's kind, an array's items one by one),
/// at every level; gives the names of the component schemas it checked.
fn same_fields(doc: &Value, schema: &Value, value: &Value, at: &str) -> BTreeSet<String> {
    let mut checked = BTreeSet::new();
    let mut schema = schema;
    loop {
        if let Some(r) = schema["$ref"].as_str() {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{at}: reference {r}"));
            checked.insert(name.to_string());
            schema = &doc["components"]["schemas"][name];
            assert!(schema.is_object(), "{at}: no schema {name}");
        } else if let Some(choices) = schema["oneOf"].as_array() {
            let is_null = |s: &Value| s["type"] == "null";
            schema = if value.is_null() {
                choices
                    .iter()
                    .find(|s| is_null(s))
                    .unwrap_or_else(|| panic!("{at}: null where the schema allows none"))
            } else {
                let others: Vec<&Value> = choices.iter().filter(|s| !is_null(s)).collect();
                assert_eq!(others.len(), 1, "{at}: {schema}");
                others[0]
            };
        } else {
            break;
        }
    }
    match value {
        Value::Object(fields) => {
            let documented: BTreeSet<&str> = schema["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("{at}: an object without properties in {schema}"))
                .keys()
                .map(String::as_str)
                .collect();
            let given: BTreeSet<&str> = fields.keys().map(String::as_str).collect();
            assert_eq!(
                documented, given,
                "{at}: the documented fields and the given ones"
            );
            let required: BTreeSet<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for (name, field) in fields {
                let at = format!("{at}.{name}");
                if field.is_null() {
                    assert!(
                        !required.contains(name.as_str()),
                        "{at} is null but required"
                    );
                }
                checked.extend(same_fields(doc, &schema["properties"][name], field, &at));
            }
        }
        Value::Array(items) => {
            assert!(
                schema["items"].is_object(),
                "{at}: an array, documented {schema}"
            );
            for (i, item) in items.iter().enumerate() {
                checked.extend(same_fields(
                    doc,
                    &schema["items"],
                    item,
                    &format!("{at}[{i}]"),
                ));
            }
        }
        Value::String(s) => {
            if let Some(allowed) = schema["enum"].as_array() {
                assert!(
                    allowed.iter().any(|a| a == s),
                    "{at}: {s} is not in {schema}"
                );
            }
            assert!(
                schema["type"] == "string"
                    || schema["type"]
                        .as_array()
                        .is_some_and(|t| t.iter().any(|t| t == "string")),
                "{at}: a string, documented {schema}"
            );
        }
        Value::Bool(_) => assert!(
            schema["type"] == "boolean"
                || schema["type"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t == "boolean")),
            "{at}: a boolean, documented {schema}"
        ),
        Value::Number(_) => assert!(
            ["integer", "number"].iter().any(|k| schema["type"] == *k
                || schema["type"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t == k))),
            "{at}: a number, documented {schema}"
        ),
        Value::Null => {}
    }
    checked
}

#[tokio::test]
async fn the_api_gives_the_list_and_the_report_with_the_planted_facts() {
    let a = narratives_archive();
    let app = router(config(&a.dir));
    let list = get(&app, "/api/v1/narratives").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let list = list.json();
    assert_eq!(list[0]["name"], "west");
    assert_eq!(
        (list[0]["version"].as_i64(), list[0]["matching"].as_u64()),
        (Some(2), Some(4))
    );

    let reply = get(&app, "/api/v1/narratives/WEST?by=day").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let r = reply.json();
    assert_eq!(
        (r["matching"].as_u64(), r["undated"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(r["first_post"]["channel"]["name"], "alpha");
    assert_eq!(r["first_post"]["message_id"], 1);
    assert_eq!(r["first_channel"]["name"], "alpha");
    let joined: Vec<&str> = r["joined"]
        .as_array()
        .expect("joined")
        .iter()
        .map(|p| p["channel"]["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(joined, ["alpha", "beta", "gamma"]);
    let clusters = r["clusters"].as_array().expect("clusters");
    assert_eq!(clusters.len(), 1, "{r}");
    assert_eq!(
        (
            clusters[0]["matching"].as_u64(),
            clusters[0]["channels"].as_u64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(r["top_posts"][0]["message_id"], 11, "most views");

    // The OpenAPI document describes exactly the fields the report and the list have, at
    // every level (the schemas are the engine's types, so this fails if they diverge from the
    // JSON the routes give).
    let doc = get(&app, "/api/openapi.json").await.json();
    let report = &doc["paths"]["/api/v1/narratives/{name}"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    assert_eq!(report["$ref"], "#/components/schemas/NarrativeReport");
    let checked = same_fields(&doc, report, &r, "report");
    for part in [
        "NarrativeReport",
        "NarrativeSummary",
        "Period",
        "QueryMatches",
        "PeriodCount",
        "ChannelSeries",
        "NarrativeChannel",
        "NarrativePost",
        "ClusterInvolved",
    ] {
        assert!(checked.contains(part), "{part} is checked against a value");
    }
    assert_eq!(
        doc["components"]["schemas"]["Period"]["enum"],
        serde_json::json!(["day", "week", "month"])
    );
    let list_schema = &doc["paths"]["/api/v1/narratives"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    assert!(same_fields(&doc, list_schema, &list, "list").contains("NarrativeSummary"));

    let missing = get(&app, "/api/v1/narratives/east").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let problem: Value = missing.json();
    assert_eq!(problem["code"], "not_found");
    let bad = get(&app, "/api/v1/narratives/west?by=year").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_pages_show_the_definition_curve_first_post_channels_and_clusters() {
    let a = narratives_archive();
    let app = router(config(&a.dir));
    let index = get(&app, "/narratives").await;
    assert_eq!(index.status, StatusCode::OK);
    let doc = Html::parse_document(&index.body);
    let links: Vec<&str> = select(&doc, "#narratives a")
        .iter()
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(links, ["/narratives/west"]);

    let reply = get(&app, "/narratives/west").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(!reply.body.contains(SCRIPT), "the description is escaped");
    let doc = Html::parse_document(&reply.body);
    assert!(select(&doc, "script").is_empty());
    assert!(text(&select(&doc, "h1")[0]).contains("version 2"));
    assert!(text(&select(&doc, "#narrative-posts")[0]).starts_with("4: 3 dated"));
    let first = select(&doc, "#first-post")[0];
    assert!(
        first
            .value()
            .attr("href")
            .unwrap_or_default()
            .starts_with("/posts/")
    );
    assert_eq!(text(&select(&doc, "#first-channel")[0]), "alpha");
    let channels: Vec<String> = select(&doc, "#narrative-joined tbody tr td:first-child")
        .iter()
        .map(text)
        .collect();
    assert_eq!(channels, ["alpha", "beta", "gamma", "delta"]);
    assert_eq!(select(&doc, "#activity svg#chart").len(), 1);
    assert_eq!(select(&doc, "#narrative-clusters tbody tr").len(), 1);
    assert_eq!(select(&doc, "#narrative-top tbody tr").len(), 4);
    assert_eq!(select(&doc, "#narrative-versions > ol > li").len(), 2);
    let search = select(&doc, "#narrative-search")[0]
        .value()
        .attr("href")
        .unwrap_or_default();
    assert!(search.starts_with("/search?q="), "{search}");
    // The search link finds the same posts.
    let found = get(&app, &search.replacen("/search", "/api/v1/search", 1))
        .await
        .json();
    assert_eq!(found["total"], 4, "{found}");

    let missing = get(&app, "/narratives/east").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

/// A narrative's page links to its feeds (in the head and visibly), and the feed lists the
/// narrative's posts, newest first; an unknown narrative's feed is not found.
#[tokio::test]
async fn a_narrative_page_links_to_its_feed_which_lists_its_posts() {
    let a = narratives_archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/narratives/west").await;
    assert_eq!(reply.status, StatusCode::OK);
    let html = Html::parse_document(&reply.body);
    let alternates: Vec<(String, String)> = html
        .select(&Selector::parse("head link[rel=alternate]").expect("selector"))
        .map(|l| {
            (
                l.value().attr("type").unwrap_or_default().to_owned(),
                l.value().attr("href").unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        alternates,
        [
            (
                "application/atom+xml".to_string(),
                "/feeds/narratives/west.atom".to_string()
            ),
            (
                "application/rss+xml".to_string(),
                "/feeds/narratives/west.rss".to_string()
            ),
            (
                "application/feed+json".to_string(),
                "/feeds/narratives/west.json".to_string()
            ),
        ]
    );
    let visible = Selector::parse("main a.feed").expect("selector");
    assert_eq!(html.select(&visible).count(), 3, "visible feed links");

    let feed = get(&app, "/feeds/narratives/west.json").await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.body);
    assert!(
        feed.header("content-type")
            .starts_with("application/feed+json")
    );
    let json: Value = serde_json::from_str(&feed.body).expect("JSON Feed");
    let posts: Vec<i64> = json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["_tgscope"]["post_id"].as_i64().expect("post id"))
        .collect();
    // The planted theme: alpha's, beta's and gamma's posts (newest first) and delta's undated
    // one (last: it has no date).
    assert_eq!(posts.len(), 4, "{json}");
    let channels: Vec<&str> = json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            i["_tgscope"]["channel"]["username"]
                .as_str()
                .or(i["_tgscope"]["channel"]["title"].as_str())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(channels, ["gamma", "beta", "alpha", "delta"], "{json}");

    let missing = get(&app, "/feeds/narratives/nothing.atom").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
}
