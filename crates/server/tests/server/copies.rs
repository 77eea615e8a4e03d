//! Copies: the API's routes (`/posts/{id}/copies`, `/clusters`, `/clusters/{id}`,
//! `/channels/{name}/copies`) and the pages (a post's "Copies" section, the cluster page, the
//! list of clusters, a channel's "Copies from" and "Copied by"), over an archive where five
//! channels carry one storm warning and two carry a lighthouse notice dated only in its text.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use scraper::{Html, Selector};
use serde_json::Value;

use crate::support::{IMG, Reply, SCRIPT, config, copies_archive, enc, get, router};

/// The archive id of the post of `channel` that a search for `words` finds.
async fn post_of(app: &axum::Router, words: &str, channel: &str) -> i64 {
    let found = get(app, &format!("/api/v1/search?q={}&limit=100", enc(words)))
        .await
        .json();
    found["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .find(|h| h["channel"] == channel)
        .and_then(|h| h["id"].as_i64())
        .unwrap_or_else(|| panic!("no post of {channel} says {words}: {found}"))
}

fn problem_code(reply: &Reply) -> String {
    assert_eq!(reply.header("content-type"), "application/problem+json");
    reply.json()["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn names(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| {
            i["channel"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn a_post_has_its_copies_in_time_order_against_the_first_seen() {
    let a = copies_archive();
    let app = router(config(&a.dir));
    let first = post_of(&app, "storm warning", "coast_watch").await;
    let copy = post_of(&app, "storm warning", "bay_relay").await;
    let reply = get(&app, &format!("/api/v1/posts/{copy}/copies")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("content-type"), "application/json");
    let json = reply.json();
    assert_eq!(json["post"], copy);
    assert_eq!(json["first_post"], first);
    assert_eq!(json["first_seen_basis"], "observed");
    assert_eq!(json["channel_count"], 5);
    let posts = json["posts"].as_array().expect("posts");
    assert_eq!(
        names(posts),
        ["coast_watch", "bay_relay", "night_desk", IMG, "tide_echo"],
        "by date: {json}"
    );
    let cluster = json["cluster"].as_i64().expect("a cluster");
    let ids: Vec<i64> = posts.iter().filter_map(|p| p["id"].as_i64()).collect();
    assert_eq!(Some(&cluster), ids.iter().min(), "named by its lowest id");
    assert_eq!(json["cluster_url"], format!("/api/v1/clusters/{cluster}"));
    for p in posts {
        for field in [
            "id",
            "channel",
            "date",
            "relation",
            "similarity",
            "first_seen",
        ] {
            assert!(p.get(field).is_some(), "{field} in {p}");
        }
        assert_eq!(p["date_inferred"], false);
    }
    let by_channel = |name: &str| {
        posts
            .iter()
            .find(|p| p["channel"]["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {json}"))
    };
    let head = by_channel("coast_watch");
    assert_eq!(
        (&head["first_seen"], &head["relation"]),
        (&Value::Bool(true), &Value::from("first"))
    );
    assert!(head["delay_seconds"].is_null());
    let relay = by_channel("bay_relay");
    assert_eq!(relay["relation"], "attributed");
    assert_eq!(relay["attribution"]["kind"], "mention");
    assert_eq!(relay["attribution"]["names"], "coast_watch");
    assert_eq!(relay["delay_seconds"], 90 * 60);
    assert_eq!(relay["channel"]["username"], "bay_relay");
    assert_eq!(relay["api_url"], format!("/api/v1/posts/{copy}"));
    let forward = by_channel("tide_echo");
    assert_eq!(forward["relation"], "forward");
    assert_eq!(forward["similarity"], 1.0);
    let silent = by_channel("night_desk");
    assert_eq!(silent["relation"], "unattributed");
    assert!(silent["attribution"].is_null());
    let similarity = silent["similarity"].as_f64().expect("similarity");
    assert!(similarity > 0.7 && similarity < 1.0, "{similarity}");
    let added: Vec<&str> = silent["added"]
        .as_array()
        .expect("added")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(added.contains(&"script"), "{added:?}");
    let sourced = by_channel(IMG);
    assert_eq!(sourced["relation"], "attributed");
    assert_eq!(sourced["attribution"]["kind"], "source_line");
    assert_eq!(sourced["attribution"]["names"], SCRIPT);
    // The export records of the posts (in a search, or alone) say the same.
    let found = get(&app, "/api/v1/search?q=storm&limit=100").await.json();
    let hits = found["hits"].as_array().expect("hits");
    assert_eq!(hits.len(), 5);
    for hit in hits {
        let item = posts
            .iter()
            .find(|p| p["id"] == hit["id"])
            .expect("in the cluster");
        assert_eq!(hit["cluster"], cluster, "{hit}");
        assert_eq!(hit["copy_of"]["post"], first, "{hit}");
        assert_eq!(hit["copy_of"]["relation"], item["relation"], "{hit}");
    }
    let record = get(&app, &format!("/api/v1/posts/{copy}")).await.json();
    assert_eq!(record["post"]["cluster"], cluster);
    assert_eq!(record["post"]["copy_of"]["relation"], "attributed");
    // Asked from any post of the cluster, the answer is the same cluster.
    let from_first = get(&app, &format!("/api/v1/posts/{first}/copies"))
        .await
        .json();
    assert_eq!(from_first["cluster"], cluster);
    assert_eq!(from_first["posts"], json["posts"]);
}

#[tokio::test]
async fn a_post_without_copies_answers_an_empty_cluster_and_a_missing_post_is_a_problem() {
    let a = copies_archive();
    let app = router(config(&a.dir));
    let alone = post_of(&app, "harbour office", "coast_watch").await;
    let reply = get(&app, &format!("/api/v1/posts/{alone}/copies")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let json = reply.json();
    assert_eq!(json["post"], alone);
    assert!(json["cluster"].is_null(), "{json}");
    assert!(json["first_post"].is_null() && json["first_seen_basis"].is_null());
    assert_eq!(json["posts"], Value::Array(Vec::new()));
    let record = get(&app, &format!("/api/v1/posts/{alone}")).await.json();
    assert!(record["post"]["cluster"].is_null() && record["post"]["copy_of"].is_null());

    let missing = get(&app, "/api/v1/posts/999999/copies").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(problem_code(&missing), "not_found");
    let bad = get(&app, "/api/v1/posts/abc/copies").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(problem_code(&bad), "bad_request");
}

/// The clusters of a list, by the channels of each.
fn cluster_channels(json: &Value) -> Vec<BTreeSet<String>> {
    json["clusters"]
        .as_array()
        .expect("clusters")
        .iter()
        .map(|c| {
            c["channels"]
                .as_array()
                .expect("channels")
                .iter()
                .filter_map(|ch| ch["name"].as_str().map(str::to_string))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn clusters_list_with_filters_orders_and_paging() {
    let a = copies_archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/api/v1/clusters").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let json = reply.json();
    assert_eq!(json["total"], 2);
    assert_eq!(json["sort"], "size");
    assert_eq!(json["undated_left_out"], 0);
    let clusters = json["clusters"].as_array().expect("clusters");
    let sizes: Vec<u64> = clusters.iter().filter_map(|c| c["size"].as_u64()).collect();
    assert_eq!(sizes, [5, 2], "the largest first");
    let storm = &clusters[0];
    assert_eq!(storm["channel_count"], 5);
    assert_eq!(storm["first_seen_basis"], "observed");
    assert_eq!(storm["first_date"], "2024-05-01T08:00:00Z");
    assert_eq!(storm["last_date"], "2024-05-02T07:15:00Z");
    let lighthouse = &clusters[1];
    assert_eq!(lighthouse["first_seen_basis"], "inferred");
    assert_eq!(lighthouse["first_date"], "2024-04-09");
    let id = storm["cluster"].as_i64().expect("id");
    assert_eq!(storm["api_url"], format!("/api/v1/clusters/{id}"));

    let first = get(&app, "/api/v1/clusters?sort=first").await.json();
    let lanes = cluster_channels(&first);
    assert!(
        lanes[0].contains("fjord_wire"),
        "the earliest first: {first}"
    );
    let wide = get(&app, "/api/v1/clusters?min_channels=3").await.json();
    assert_eq!(wide["total"], 1);
    assert!(cluster_channels(&wide)[0].contains("coast_watch"));
    let may = get(&app, "/api/v1/clusters?since=2024-04-20").await.json();
    assert_eq!(
        (
            may["total"].as_u64(),
            may["clusters"][0]["cluster"].as_i64()
        ),
        (Some(1), Some(id))
    );
    let april = get(&app, "/api/v1/clusters?until=2024-04-20T00:00:00Z")
        .await
        .json();
    assert_eq!(april["total"], 1);
    assert!(cluster_channels(&april)[0].contains("valley_post"));

    // Paged by cursor, each cluster once.
    let page = get(&app, "/api/v1/clusters?limit=1").await.json();
    assert_eq!(page["clusters"].as_array().map(Vec::len), Some(1));
    let cursor = page["next_cursor"].as_str().expect("a second page");
    let rest = get(
        &app,
        &format!("/api/v1/clusters?limit=1&cursor={}", enc(cursor)),
    )
    .await
    .json();
    assert_eq!(rest["offset"], 1);
    assert_ne!(
        rest["clusters"][0]["cluster"],
        page["clusters"][0]["cluster"]
    );
    assert!(rest["next_cursor"].is_null());
    let other = get(
        &app,
        &format!("/api/v1/clusters?limit=1&sort=first&cursor={}", enc(cursor)),
    )
    .await;
    assert_eq!(problem_code(&other), "bad_cursor");

    for uri in [
        "/api/v1/clusters?sort=sideways",
        "/api/v1/clusters?since=May",
        "/api/v1/clusters?until=2024-13-01",
        "/api/v1/clusters?min_channels=many",
        "/api/v1/clusters?format=xml",
        "/api/v1/clusters?limit=0",
    ] {
        let reply = get(&app, uri).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(problem_code(&reply), "bad_request", "{uri}");
    }
}

#[tokio::test]
async fn clusters_download_as_csv_with_the_whole_count() {
    let a = copies_archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/api/v1/clusters?format=csv&limit=1").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("content-type"), "text/csv; charset=utf-8");
    assert!(reply.header("content-disposition").contains("clusters.csv"));
    assert_eq!(reply.header("x-total-count"), "2");
    let mut rows = csv::Reader::from_reader(reply.body.as_bytes());
    let header: Vec<String> = rows
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    // The columns the command line writes too (docs/export.md, "Copies").
    assert_eq!(
        header,
        [
            "cluster",
            "size",
            "channel_count",
            "channels",
            "channel_ids",
            "first_post",
            "first_seen_basis",
            "first_date",
            "last_date",
            "last_date_inferred",
            "undated_posts",
            "posts"
        ]
    );
    let records: Vec<csv::StringRecord> = rows.records().map(|r| r.expect("row")).collect();
    assert_eq!(records.len(), 1);
    assert_eq!(&records[0][1], "5");
    // The channel whose name is markup is a text cell, as it is.
    assert!(
        records[0][3].contains("coast_watch;bay_relay"),
        "{:?}",
        records[0]
    );
    let link = reply.header("link");
    assert!(
        link.starts_with("</api/v1/clusters?") && link.contains("format=csv"),
        "{link}"
    );
    let next = &link[1..link.find('>').expect("link end")];
    let rest = get(&app, next).await;
    assert_eq!(rest.status, StatusCode::OK, "{}", rest.body);
    assert_eq!(
        csv::Reader::from_reader(rest.body.as_bytes())
            .records()
            .count(),
        1
    );
    assert_eq!(rest.header("link"), "");
}

#[tokio::test]
async fn one_cluster_by_id_as_json_and_csv() {
    let a = copies_archive();
    let app = router(config(&a.dir));
    let listed = get(&app, "/api/v1/clusters?sort=first").await.json();
    let id = listed["clusters"][0]["cluster"].as_i64().expect("id");
    let reply = get(&app, &format!("/api/v1/clusters/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let json = reply.json();
    assert_eq!(json["cluster"], id);
    assert_eq!(json["first_seen_basis"], "inferred");
    assert_eq!(json["search_query"], format!("cluster:{id}"));
    let posts = json["posts"].as_array().expect("posts");
    assert_eq!(names(posts), ["fjord_wire", "valley_post"]);
    for p in posts {
        assert_eq!(p["date"], "2024-04-09");
        assert_eq!(p["date_inferred"], true);
    }
    assert_eq!(posts[1]["relation"], "unattributed");
    assert_eq!(posts[1]["similarity"], 1.0);

    let csv = get(&app, &format!("/api/v1/clusters/{id}?format=csv")).await;
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(csv.header("x-total-count"), "2");
    let mut rows = csv::Reader::from_reader(csv.body.as_bytes());
    let header = rows.headers().expect("header").clone();
    assert_eq!(
        header.iter().take(9).collect::<Vec<_>>(),
        [
            "cluster",
            "id",
            "channel",
            "channel_id",
            "message_id",
            "date",
            "date_inferred",
            "first_seen",
            "relation"
        ]
    );
    let relations: Vec<String> = rows
        .records()
        .map(|r| r.expect("row")[8].to_string())
        .collect();
    assert_eq!(relations, ["first", "unattributed"]);

    // A post that is in no cluster is no cluster's id.
    let alone = post_of(&app, "harbour office", "coast_watch").await;
    for (uri, status, code) in [
        (
            format!("/api/v1/clusters/{alone}"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/v1/clusters/999999".into(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/v1/clusters/abc".into(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            format!("/api/v1/clusters/{id}?format=xml"),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ] {
        let reply = get(&app, &uri).await;
        assert_eq!(reply.status, status, "{uri}: {}", reply.body);
        assert_eq!(problem_code(&reply), code, "{uri}");
    }
}

#[tokio::test]
async fn a_channel_copies_from_and_is_copied_by_other_channels() {
    let a = copies_archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/api/v1/channels/coast_watch/copies").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let json = reply.json();
    assert_eq!(json["channel"]["name"], "coast_watch");
    assert_eq!(json["clusters"], 1);
    assert_eq!(json["copies_from"], Value::Array(Vec::new()));
    let by = json["copied_by"].as_array().expect("copied_by");
    let copied_by: BTreeSet<String> = names(by).into_iter().collect();
    let expected: BTreeSet<String> = ["bay_relay", "tide_echo", "night_desk", IMG]
        .into_iter()
        .map(str::to_string)
        .collect();
    assert_eq!(copied_by, expected);
    let echo = by
        .iter()
        .find(|c| c["channel"]["name"] == "tide_echo")
        .expect("tide_echo");
    assert_eq!(
        (echo["posts"].as_u64(), echo["forward"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(echo["median_delay_seconds"], 23 * 3600 + 15 * 60);

    let relay = get(&app, "/api/v1/channels/bay_relay/copies").await.json();
    let from = relay["copies_from"].as_array().expect("copies_from");
    assert_eq!(names(from), ["coast_watch"]);
    assert_eq!(from[0]["attributed"], 1);
    assert_eq!(from[0]["median_delay_seconds"], 5400);
    assert_eq!(relay["copied_by"], Value::Array(Vec::new()));

    let csv = get(&app, "/api/v1/channels/coast_watch/copies?format=csv").await;
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    let mut rows = csv::Reader::from_reader(csv.body.as_bytes());
    assert_eq!(
        rows.headers().expect("header").iter().collect::<Vec<_>>(),
        [
            "direction",
            "channel",
            "channel_id",
            "posts",
            "forward",
            "attributed",
            "unattributed",
            "partial",
            "median_delay_seconds"
        ]
    );
    let directions: Vec<String> = rows
        .records()
        .map(|r| r.expect("row")[0].to_string())
        .collect();
    assert_eq!(directions, ["copied_by"; 4]);

    let missing = get(&app, "/api/v1/channels/nobody_here/copies").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(problem_code(&missing), "not_found");
}

// ---- Pages ----

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let selector = Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e:?}"));
    doc.select(&selector).collect()
}

fn text(e: &scraper::ElementRef<'_>) -> String {
    e.text().collect()
}

fn href<'a>(e: &scraper::ElementRef<'a>) -> &'a str {
    e.value().attr("href").unwrap_or_default()
}

/// A page, checked as the other page tests do: HTML, and the payloads only as text.
fn page(reply: &Reply) -> Html {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("content-type"), "text/html; charset=utf-8");
    assert!(!reply.body.contains(SCRIPT), "the script payload unescaped");
    assert!(
        !reply.body.contains("<img src=x"),
        "the image payload unescaped"
    );
    let doc = Html::parse_document(&reply.body);
    assert!(select(&doc, "script").is_empty(), "a live <script>");
    assert!(select(&doc, "img").is_empty(), "a live <img>");
    for element in select(&doc, "*") {
        for (name, _) in element.value().attrs() {
            assert!(!name.starts_with("on"), "an event handler {name}");
        }
    }
    doc
}

#[tokio::test]
async fn a_post_page_shows_who_posted_its_text_when_and_links_to_the_cluster() {
    let a = copies_archive();
    let app = router(config(&a.dir));
    let copy = post_of(&app, "storm warning", "night_desk").await;
    let doc = page(&get(&app, &format!("/posts/{copy}")).await);
    let section = select(&doc, "section#copies");
    assert_eq!(section.len(), 1);
    let said = text(&section[0]);
    assert!(said.contains("posted 5 times in 5 channels"), "{said}");
    assert!(said.contains("in this archive"), "{said}");
    assert!(said.contains("earliest date a capture gave"), "{said}");
    let rows = select(&doc, "section#copies table.copies tbody tr");
    assert_eq!(rows.len(), 5);
    // In time order, the first first; this post's row marked; each links to its post.
    let channels: Vec<String> = select(&doc, "section#copies table.copies a.copy-channel")
        .iter()
        .map(text)
        .collect();
    assert_eq!(
        channels,
        ["coast_watch", "bay_relay", "night_desk", IMG, "tide_echo"]
    );
    let this = select(&doc, "section#copies tr.this");
    assert_eq!(this.len(), 1);
    assert!(text(&this[0]).contains(&format!("#{copy}")));
    assert!(text(&this[0]).contains("+4 h 45 min"), "{}", text(&this[0]));
    assert!(text(&this[0]).contains("without attribution"));
    assert!(
        select(&doc, "section#copies tr.this ins")
            .iter()
            .any(|i| text(i) == "script")
    );
    for link in select(&doc, "section#copies a.copy-post") {
        let reply = get(&app, href(&link)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", href(&link));
    }
    let first_row = text(&rows[0]);
    assert!(first_row.contains("first seen"), "{first_row}");
    // The attribution read from a source line is shown as the text it is.
    let sourced = rows
        .iter()
        .map(text)
        .find(|r| r.contains("source line"))
        .expect("the source-line copy");
    assert!(sourced.contains(SCRIPT), "{sourced}");
    let cluster = select(&doc, "a#cluster-link");
    assert_eq!(cluster.len(), 1);
    let cluster_href = href(&cluster[0]).to_string();
    assert!(cluster_href.starts_with("/clusters/"), "{cluster_href}");
    assert_eq!(get(&app, &cluster_href).await.status, StatusCode::OK);

    let alone = post_of(&app, "harbour office", "coast_watch").await;
    let doc = page(&get(&app, &format!("/posts/{alone}")).await);
    let said = text(&select(&doc, "section#copies")[0]);
    assert!(
        said.contains("No copies of this post in the archive"),
        "{said}"
    );
    assert!(select(&doc, "section#copies table").is_empty());
}

#[tokio::test]
async fn the_cluster_page_has_its_timeline_channels_and_every_post() {
    let a = copies_archive();
    let app = router(config(&a.dir));
    let listed = get(&app, "/api/v1/clusters").await.json();
    let storm = listed["clusters"][0]["cluster"].as_i64().expect("id");
    let lighthouse = listed["clusters"][1]["cluster"].as_i64().expect("id");

    let doc = page(&get(&app, &format!("/clusters/{storm}")).await);
    let h1 = text(&select(&doc, "h1")[0]);
    assert!(
        h1.contains(&format!("Cluster #{storm}")) && h1.contains("5 channels"),
        "{h1}"
    );
    // The timeline: a lane per channel, a mark per post linking to it.
    assert_eq!(select(&doc, "svg#timeline").len(), 1);
    let lanes: Vec<String> = select(&doc, "figure.timeline .lanes span")
        .iter()
        .map(text)
        .collect();
    assert_eq!(lanes.len(), 5);
    assert_eq!(lanes[0], "coast_watch");
    assert!(lanes.contains(&IMG.to_string()), "{lanes:?}");
    let marks = select(&doc, "svg#timeline line.mark");
    assert_eq!(marks.len(), 5);
    assert_eq!(
        select(&doc, "svg#timeline line.mark.first").len(),
        1,
        "one first post"
    );
    assert!(
        !select(&doc, "svg.x-axis text").is_empty(),
        "times under the lanes"
    );
    // The channels and the full table.
    let channels: Vec<String> = select(&doc, "table#channels-table tbody tr td:first-child a")
        .iter()
        .map(text)
        .collect();
    assert_eq!(channels.len(), 5);
    assert_eq!(channels[0], "coast_watch");
    assert_eq!(select(&doc, "table.copies tbody tr").len(), 5);
    let first_seen = text(&select(&doc, "p.first-seen")[0]);
    assert!(
        first_seen.contains("in this archive") && first_seen.contains("coast_watch"),
        "{first_seen}"
    );
    // The search for its posts finds them all.
    let search = select(&doc, "a#cluster-search");
    assert_eq!(href(&search[0]), format!("/search?q=cluster%3A{storm}"));
    let found = get(&app, href(&search[0])).await;
    let found = Html::parse_document(&found.body);
    assert_eq!(text(&select(&found, "#total")[0]), "5 posts match");

    // A cluster dated only by inferred dates says so.
    let doc = page(&get(&app, &format!("/clusters/{lighthouse}")).await);
    let first_seen = text(&select(&doc, "p.first-seen")[0]);
    assert!(
        first_seen.contains("~2024-04-09 (inferred date)"),
        "{first_seen}"
    );
    assert!(
        first_seen.contains("rests on an inferred date"),
        "{first_seen}"
    );
    assert_eq!(select(&doc, "svg#timeline line.mark.inferred").len(), 2);
    let rows: Vec<String> = select(&doc, "table.copies tbody tr")
        .iter()
        .map(text)
        .collect();
    assert!(
        rows[1].contains("~+0 s"),
        "a delay between inferred dates is rough: {}",
        rows[1]
    );

    for (uri, status) in [
        ("/clusters/999999", StatusCode::NOT_FOUND),
        ("/clusters/abc", StatusCode::NOT_FOUND),
    ] {
        let reply = get(&app, uri).await;
        assert_eq!(reply.status, status, "{uri}");
        assert_eq!(reply.header("content-type"), "text/html; charset=utf-8");
    }
}

#[tokio::test]
async fn the_list_of_clusters_says_how_many_and_follows_its_form() {
    let a = copies_archive();
    let app = router(config(&a.dir));
    let doc = page(&get(&app, "/clusters").await);
    assert_eq!(text(&select(&doc, "#total")[0]), "2 clusters of copies");
    let form = select(&doc, "form#clusters-form");
    assert_eq!(form[0].value().attr("action"), Some("/clusters"));
    for field in ["sort", "min_channels", "since", "until"] {
        assert_eq!(
            select(&doc, &format!("form#clusters-form [name={field}]")).len(),
            1,
            "{field}"
        );
    }
    let rows = select(&doc, "table#clusters tbody tr");
    assert_eq!(rows.len(), 2);
    assert!(
        text(&rows[0]).contains("Storm warning"),
        "{}",
        text(&rows[0])
    );
    assert!(
        text(&rows[0]).contains("5: coast_watch"),
        "{}",
        text(&rows[0])
    );
    assert!(text(&rows[0]).contains("and 1 more"), "four channels named");
    assert!(
        text(&rows[1]).contains("(inferred date)"),
        "{}",
        text(&rows[1])
    );
    for link in select(&doc, "table#clusters a.cluster-link") {
        assert_eq!(get(&app, href(&link)).await.status, StatusCode::OK);
    }
    assert!(reply_has_downloads(&doc));

    let doc = page(&get(&app, "/clusters?sort=first").await);
    let rows = select(&doc, "table#clusters tbody tr");
    assert!(text(&rows[0]).contains("lighthouse"), "{}", text(&rows[0]));
    let selected = select(&doc, "select[name=sort] option[selected]");
    assert_eq!(selected[0].value().attr("value"), Some("first"));

    let doc = page(&get(&app, "/clusters?min_channels=3").await);
    assert_eq!(text(&select(&doc, "#total")[0]), "1 cluster of copies");
    let doc = page(&get(&app, "/clusters?since=2024-06-01").await);
    assert_eq!(text(&select(&doc, "#total")[0]), "No clusters of copies");

    let bad = get(&app, "/clusters?since=June").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.header("content-type"), "text/html; charset=utf-8");
}

fn reply_has_downloads(doc: &Html) -> bool {
    select(doc, "p.downloads a")
        .iter()
        .any(|a| href(a).starts_with("/api/v1/clusters?") && href(a).contains("format=csv"))
}

#[tokio::test]
async fn a_channel_page_has_copies_from_and_copied_by() {
    let a = copies_archive();
    let app = router(config(&a.dir));
    let doc = page(&get(&app, "/channels/coast_watch").await);
    assert_eq!(select(&doc, "section#copies").len(), 1);
    assert!(select(&doc, "table#copies-from").is_empty());
    let rows = select(&doc, "table#copied-by tbody tr");
    assert_eq!(rows.len(), 4);
    let echo = rows
        .iter()
        .map(text)
        .find(|r| r.starts_with("tide_echo"))
        .expect("tide_echo's row");
    assert!(
        echo.contains("1 (100%)") && echo.contains("23 h 15 min"),
        "{echo}"
    );
    for link in select(&doc, "table#copied-by a") {
        assert_eq!(
            get(&app, href(&link)).await.status,
            StatusCode::OK,
            "{}",
            href(&link)
        );
    }
    let with_copies = select(&doc, "a#posts-with-copies");
    let found = get(&app, href(&with_copies[0])).await;
    let found = Html::parse_document(&found.body);
    assert_eq!(text(&select(&found, "#total")[0]), "1 post matches");

    let doc = page(&get(&app, "/channels/bay_relay").await);
    let rows = select(&doc, "table#copies-from tbody tr");
    assert_eq!(rows.len(), 1);
    let row = text(&rows[0]);
    assert!(
        row.contains("coast_watch") && row.contains("1 h 30 min"),
        "{row}"
    );
    assert_eq!(
        href(&select(&doc, "table#copies-from a")[0]),
        "/channels/coast_watch"
    );
    assert!(select(&doc, "table#copied-by").is_empty());
}
