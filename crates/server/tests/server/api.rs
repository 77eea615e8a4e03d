//! The JSON API: responses (snapshots with volatile fields redacted), problems, paging,
//! downloads, the OpenAPI document.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use insta::assert_json_snapshot;
use serde_json::Value;
use tgscope_server::{AppState, PoolError, ServerConfig};

use crate::support::{self, archive, config, enc, get, router, send};

/// Redacts what changes from run to run (times, temporary paths) and hashes.
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ sort_maps => true }, {
            assert_json_snapshot!($name, $value, {
                ".**.captures[]" => "[sha256]",
                ".**.first_capture" => "[sha256]",
                ".**.capture_sha256" => "[sha256]",
                ".captures[].sha256" => "[sha256]",
                ".**.capture_source" => "[path]",
                ".captures[].source" => "[path]",
                ".**.ingested_at" => "[time]",
                ".**.completed_at" => "[time]",
                ".**.archived_at" => "[time]",
                ".**.observed_at" => "[time]",
                ".**.score" => "[score]",
                ".captures[].size" => "[size]",
                ".captures[].reader_version" => "[version]",
            });
        });
    };
}

fn problem(reply: &support::Reply) -> Value {
    assert_eq!(
        reply.header("content-type"),
        "application/problem+json",
        "{}",
        reply.body
    );
    let p = reply.json();
    assert_eq!(p["status"].as_u64(), Some(u64::from(reply.status.as_u16())));
    let code = p["code"].as_str().expect("code");
    assert_eq!(p["type"], format!("/api/problems#{code}"));
    assert!(p["title"].is_string() && p["detail"].is_string(), "{p}");
    p
}

#[tokio::test]
async fn search_gives_export_records_with_snippets_totals_and_counts() {
    let a = archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/api/v1/search?q=BRICS&sort=date&by=month").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("content-type"), "application/json");
    let json = reply.json();
    assert_eq!(json["total"], 1);
    let hit = &json["hits"][0];
    assert_eq!(hit["channel"], "mfa_test");
    assert!(hit["snippet"].as_str().expect("snippet").contains("BRICS"));
    snapshot!("search_brics", json);
}

#[tokio::test]
async fn a_post_has_its_versions_sightings_with_capture_hashes_and_absences() {
    let a = archive();
    let app = router(config(&a.dir));
    let found = get(&app, "/api/v1/search?q=Forum&sort=date").await.json();
    let id = found["hits"][0]["id"].as_i64().expect("post id");
    let reply = get(&app, &format!("/api/v1/posts/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let json = reply.json();
    let versions = json["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    assert!(
        versions[1]["text"]
            .as_str()
            .expect("text")
            .contains("rose by a half")
    );
    let sightings = json["sightings"].as_array().expect("sightings");
    assert_eq!(sightings.len(), 2);
    for s in sightings {
        let sha = s["capture_sha256"].as_str().expect("sha256");
        assert_eq!(sha.len(), 64, "the full SHA-256");
        assert!(s["observed_at"].as_str().expect("time").ends_with('Z'));
    }
    assert!(json["absences"].as_array().expect("absences").is_empty());
    snapshot!("post_edited", json);
}

#[tokio::test]
async fn channels_and_one_channel_with_its_activity_hashtags_and_forwards() {
    let a = archive();
    let app = router(config(&a.dir));
    let channels = get(&app, "/api/v1/channels").await;
    assert_eq!(channels.status, StatusCode::OK);
    snapshot!("channels", channels.json());

    let one = get(&app, "/api/v1/channels/mfa_test?by=month").await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    snapshot!("channel_mfa_test", one.json());
    // Any of its names finds it; an unknown one is a problem.
    let by_link = get(&app, "/api/v1/channels/%40MFA_TEST").await.json();
    assert_eq!(by_link["channel"]["name"], "mfa_test");
    let missing = get(&app, "/api/v1/channels/nobody_here").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(problem(&missing)["code"], "not_found");

    let activity = get(&app, "/api/v1/channels/harbor_notes/activity?by=week").await;
    snapshot!("harbor_activity", activity.json());
    let csv = get(
        &app,
        "/api/v1/channels/harbor_notes/activity?by=month&format=csv",
    )
    .await;
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(csv.body, "period,count\n2024-03-01,3\n2024-04-01,1\n");

    let tags = get(&app, "/api/v1/channels/mfa_test/hashtags").await;
    snapshot!("mfa_hashtags", tags.json());
    let forwards = get(&app, "/api/v1/channels/harbor_notes/forwards").await;
    snapshot!("harbor_forwards", forwards.json());
}

#[tokio::test]
async fn hashtags_across_the_archive_and_one_with_its_posts_and_use_over_time() {
    let a = archive();
    let app = router(config(&a.dir));
    let top = get(&app, "/api/v1/hashtags").await;
    assert_eq!(top.status, StatusCode::OK);
    snapshot!("hashtags", top.json());
    let tides = get(&app, "/api/v1/hashtags/TIDES?by=month").await;
    assert_eq!(tides.status, StatusCode::OK, "{}", tides.body);
    let json = tides.json();
    assert_eq!(json["total"], 3);
    snapshot!("hashtag_tides", json);
    let arabic = get(&app, &format!("/api/v1/hashtags/{}", enc("ميناء"))).await;
    assert_eq!(arabic.json()["total"], 1, "{}", arabic.body);
    let unknown = get(&app, "/api/v1/hashtags/nothing_uses_this").await;
    assert_eq!(problem(&unknown)["code"], "not_found");
    let odd = get(&app, "/api/v1/hashtags/%22%3E").await;
    assert_eq!(problem(&odd)["code"], "not_found");
}

#[tokio::test]
async fn captures_list_with_their_hashes() {
    let a = archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/api/v1/captures").await;
    assert_eq!(reply.status, StatusCode::OK);
    let json = reply.json();
    assert_eq!(json["total"], 3);
    for c in json["captures"].as_array().expect("captures") {
        assert_eq!(c["sha256"].as_str().expect("sha256").len(), 64);
        assert!(c["ingested_at"].as_str().expect("time").ends_with('Z'));
        // Files ingested from disk: made at the latest when ingested, and said so.
        assert_eq!(c["captured_basis"], "ingested");
        assert_eq!(c["captured_at"], c["ingested_at"]);
    }
    // Its own redactions: the macro's `.**.captures[]` (a hit's list of hashes) would hide
    // every capture here.
    insta::with_settings!({ sort_maps => true }, {
        assert_json_snapshot!("captures", json, {
            ".captures[].sha256" => "[sha256]",
            ".captures[].raw_url" => "[raw_url]",
            ".captures[].source" => "[path]",
            ".captures[].ingested_at" => "[time]",
            ".captures[].completed_at" => "[time]",
            ".captures[].captured_at" => "[time]",
            ".captures[].reader_version" => "[version]",
        });
    });
    for c in json["captures"].as_array().expect("captures") {
        let sha = c["sha256"].as_str().expect("sha256");
        assert_eq!(c["raw_url"], format!("/api/v1/captures/{sha}/raw"));
    }
}

#[tokio::test]
async fn errors_are_problems_with_stable_codes() {
    let a = archive();
    let app = router(ServerConfig {
        max_query_len: 50,
        ..config(&a.dir)
    });
    // A query that cannot be read says where.
    let bad = get(
        &app,
        &format!("/api/v1/search?q={}", enc("Россия \"коллективный Запад")),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let p = problem(&bad);
    assert_eq!(p["code"], "bad_query");
    assert_eq!(p["position"], 7);
    assert_eq!(p["query"], "Россия \"коллективный Запад");
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("unclosed quote")
    );

    let long = get(&app, &format!("/api/v1/search?q={}", "word+".repeat(20))).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST);
    let p = problem(&long);
    assert_eq!(
        (p["code"].as_str(), p["max_length"].as_u64()),
        (Some("query_too_long"), Some(50))
    );

    let unknown = get(&app, "/api/v1/posts/999999").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(problem(&unknown)["code"], "not_found");
    let not_a_number = get(&app, "/api/v1/posts/abc").await;
    assert_eq!(problem(&not_a_number)["code"], "bad_request");

    for uri in [
        "/api/v1/search?q=harbor&sort=sideways",
        "/api/v1/search?q=harbor&by=year",
        "/api/v1/search?q=harbor&limit=0",
        "/api/v1/search?q=harbor&limit=many",
        "/api/v1/channels?format=xml",
    ] {
        let reply = get(&app, uri).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(problem(&reply)["code"], "bad_request", "{uri}");
    }
    let cursor = get(&app, "/api/v1/search?q=harbor&cursor=not-ours").await;
    assert_eq!(problem(&cursor)["code"], "bad_cursor");
    let route = get(&app, "/api/v1/nothing").await;
    assert_eq!(route.status, StatusCode::NOT_FOUND);
    assert_eq!(problem(&route)["code"], "not_found");
    let post = send(&app, Method::POST, "/api/v1/search?q=harbor", Vec::new()).await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(problem(&post)["code"], "method_not_allowed");
    let big = send(&app, Method::GET, "/api/v1/channels", vec![b'x'; 100_000]).await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem(&big)["code"], "body_too_large");
}

#[tokio::test]
async fn a_request_that_cannot_finish_in_time_is_cut_off_with_503() {
    let a = archive();
    let state = AppState::new(ServerConfig {
        engines: 1,
        query_timeout: Duration::from_millis(300),
        ..config(&a.dir)
    });
    state.warm_up().expect("warm up");
    let app = tgscope_server::app(state.clone());
    // The only engine is tied up by slow work (cut off itself, but still running)...
    let slow = state
        .pool()
        .run(|_| {
            std::thread::sleep(Duration::from_millis(1500));
            Ok(())
        })
        .await;
    assert!(matches!(slow, Err(PoolError::Timeout(_))));
    // ...so a search waits for it no longer than the timeout, and says so.
    let started = std::time::Instant::now();
    let reply = get(&app, "/api/v1/search?q=harbor").await;
    assert!(started.elapsed() < Duration::from_millis(1000));
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.body
    );
    assert_eq!(problem(&reply)["code"], "timeout");
    assert_eq!(reply.header("retry-after"), "5");
    // Once the engine is back, requests are served again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        get(&app, "/api/v1/search?q=harbor").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn limits_are_capped() {
    let a = archive();
    let app = router(ServerConfig {
        max_limit: 2,
        ..config(&a.dir)
    });
    let json = get(&app, "/api/v1/search?q=harbor&limit=500").await.json();
    assert_eq!(json["limit"], 2);
    assert_eq!(json["hits"].as_array().expect("hits").len(), 2);
    assert_eq!(json["total"], 3);
}

/// Follows `next_cursor` from the first page to the last.
async fn every_page(app: &axum::Router, first: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut uri = first.to_string();
    for _ in 0..100 {
        let json = get(app, &uri).await.json();
        let list = json
            .get("hits")
            .or_else(|| json.get("channels"))
            .or_else(|| json.get("hashtags"))
            .or_else(|| json.get("captures"))
            .and_then(Value::as_array)
            .cloned()
            .expect("a list");
        items.extend(list);
        match json["next_cursor"].as_str() {
            Some(cursor) => uri = format!("{first}&cursor={}", enc(cursor)),
            None => return items,
        }
    }
    panic!("paging did not end");
}

#[tokio::test]
async fn paging_with_cursors_visits_every_hit_once() {
    let a = archive();
    let app = router(config(&a.dir));
    for sort in ["relevance", "date", "date-asc"] {
        let all = get(
            &app,
            &format!(
                "/api/v1/search?q={}&sort={sort}&limit=100",
                enc("harbor OR BRICS OR CIS")
            ),
        )
        .await
        .json();
        let expected: Vec<i64> = all["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .filter_map(|h| h["id"].as_i64())
            .collect();
        assert_eq!(expected.len(), 5, "{all}");
        let paged: Vec<i64> = every_page(
            &app,
            &format!(
                "/api/v1/search?q={}&sort={sort}&limit=2",
                enc("harbor OR BRICS OR CIS")
            ),
        )
        .await
        .iter()
        .filter_map(|h| h["id"].as_i64())
        .collect();
        assert_eq!(paged, expected, "sort {sort}");
        let unique: BTreeSet<i64> = paged.iter().copied().collect();
        assert_eq!(unique.len(), paged.len());
    }
    let channels = every_page(&app, "/api/v1/channels?limit=1").await;
    let all_channels = get(&app, "/api/v1/channels?limit=100").await.json();
    assert_eq!(
        channels.len() as u64,
        all_channels["total"].as_u64().expect("total")
    );
    let tags = every_page(&app, "/api/v1/hashtags?limit=2").await;
    assert_eq!(tags.len(), 6);
    let captures = every_page(&app, "/api/v1/captures?limit=2").await;
    assert_eq!(captures.len(), 3);
    // A cursor of one search does not page another.
    let first = get(&app, "/api/v1/search?q=harbor&limit=1").await.json();
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let other = get(
        &app,
        &format!("/api/v1/search?q=BRICS&limit=1&cursor={}", enc(cursor)),
    )
    .await;
    assert_eq!(problem(&other)["code"], "bad_cursor");
}

#[tokio::test]
async fn lists_download_as_csv_with_the_next_page_in_a_link_header() {
    let a = archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/api/v1/search?q=harbor&sort=date&format=csv&limit=2").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), "text/csv; charset=utf-8");
    assert!(reply.header("content-disposition").contains("search.csv"));
    let mut rows = csv::Reader::from_reader(reply.body.as_bytes());
    let header = rows.headers().expect("header").clone();
    assert_eq!(&header[0], "id");
    assert_eq!(&header[header.len() - 2], "score");
    assert_eq!(rows.records().count(), 2);
    let link = reply.header("link");
    assert!(
        link.starts_with("</api/v1/search?") && link.ends_with("rel=\"next\""),
        "{link}"
    );
    let next = &link[1..link.find('>').expect("link end")];
    let rest = get(&app, next).await;
    let mut rows = csv::Reader::from_reader(rest.body.as_bytes());
    assert_eq!(rows.records().count(), 1);
    assert_eq!(rest.header("link"), "");
    for uri in [
        "/api/v1/channels?format=csv",
        "/api/v1/hashtags?format=csv",
        "/api/v1/captures?format=csv",
        "/api/v1/channels/mfa_test/hashtags?format=csv",
        "/api/v1/channels/harbor_notes/forwards?format=csv",
        "/api/v1/hashtags/tides?format=csv",
    ] {
        let reply = get(&app, uri).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.body);
        assert_eq!(
            reply.header("content-type"),
            "text/csv; charset=utf-8",
            "{uri}"
        );
        assert!(reply.body.lines().count() >= 2, "{uri}: {}", reply.body);
    }
}

/// Found by schemathesis (.ci/schemathesis): the document allowed `limit=0` (and
/// `per_kind=0`), which the server refuses, and any text as a SHA-256. A parameter's schema
/// says what the server takes: a page of at least one, and 64 hexadecimal digits.
#[tokio::test]
async fn parameters_are_documented_as_the_server_takes_them() {
    let a = archive();
    let app = router(config(&a.dir));
    let doc = get(&app, "/api/openapi.json").await.json();
    let mut pages = 0;
    let mut hashes = 0;
    for (path, methods) in doc["paths"].as_object().expect("paths") {
        for parameter in methods["get"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let name = parameter["name"].as_str().expect("a name");
            let schema = &parameter["schema"];
            if matches!(name, "limit" | "per_kind") {
                pages += 1;
                assert_eq!(schema["minimum"], 1, "{path} {name}: {schema}");
                let zero = if path.contains('{') {
                    continue;
                } else if path.ends_with("/search") || path.ends_with("/search/facets") {
                    format!("{path}?q=harbor&{name}=0")
                } else {
                    format!("{path}?{name}=0")
                };
                assert_eq!(
                    get_status(&app, &zero).await,
                    StatusCode::BAD_REQUEST,
                    "{zero}"
                );
            }
            if name == "sha256" {
                hashes += 1;
                assert_eq!(schema["pattern"], "^[0-9a-fA-F]{64}$", "{path}: {schema}");
            }
        }
    }
    assert!(
        pages >= 9 && hashes == 2,
        "{pages} page sizes, {hashes} hashes"
    );
}

#[tokio::test]
async fn the_openapi_document_parses_and_lists_every_route() {
    let a = archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/api/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), "application/json");
    let doc = reply.json();
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    let paths: BTreeSet<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = [
        "/api/v1/search",
        "/api/v1/posts/{id}",
        "/api/v1/posts/{id}/copies",
        "/api/v1/clusters",
        "/api/v1/clusters/{id}",
        "/api/v1/channels",
        "/api/v1/channels/{name}",
        "/api/v1/channels/{name}/activity",
        "/api/v1/channels/{name}/hashtags",
        "/api/v1/channels/{name}/forwards",
        "/api/v1/channels/{name}/copies",
        "/api/v1/hashtags",
        "/api/v1/hashtags/{tag}",
        "/api/v1/captures",
        "/api/v1/captures/{sha256}/raw",
        "/api/v1/media/{sha256}",
        "/api/v1/network",
        "/api/v1/channels/{name}/amplification",
        "/api/v1/network/hashtags",
        "/api/v1/entities",
        "/api/v1/entities/{name}",
        "/api/v1/search/facets",
        "/api/v1/narratives",
        "/api/v1/narratives/{name}",
    ]
    .into_iter()
    .collect();
    assert_eq!(paths, expected);
    let captures = get(&app, "/api/v1/captures").await.json();
    let capture_sha = captures["captures"][0]["sha256"]
        .as_str()
        .expect("a capture")
        .to_string();
    for path in &expected {
        let get = &doc["paths"][path]["get"];
        assert!(get["responses"]["200"].is_object(), "{path}");
        // Every documented path answers (placeholders filled with real names; this archive
        // keeps no media file, no copies and no narratives, so those routes answer their documented
        // 404).
        let uri = path
            .replace("/entities/{name}", "/entities/Kazakhstan")
            .replace("{id}", "1")
            .replace("{name}", "mfa_test")
            .replace("{tag}", "tides")
            .replace("{sha256}", &capture_sha);
        let uri = if uri.ends_with("/search") || uri.ends_with("/search/facets") {
            format!("{uri}?q=harbor")
        } else {
            uri
        };
        let expected_status = if path.starts_with("/api/v1/media/")
            || path.starts_with("/api/v1/clusters/")
            || path.starts_with("/api/v1/narratives/")
        {
            assert!(
                get["responses"]["404"].is_object(),
                "{path} documents its 404"
            );
            StatusCode::NOT_FOUND
        } else {
            StatusCode::OK
        };
        assert_eq!(get_status(&app, &uri).await, expected_status, "{uri}");
        // Every route takes parameters, and documents the 400 a malformed one gets.
        let bad = match *path {
            "/api/v1/posts/{id}" | "/api/v1/posts/{id}/copies" | "/api/v1/clusters/{id}" => {
                path.replace("{id}", "not-a-number")
            }
            "/api/v1/search" => format!("{uri}&sort=sideways"),
            "/api/v1/channels/{name}" => format!("{uri}?by=year"),
            "/api/v1/channels/{name}/amplification" => format!("{uri}?since=yesterday"),
            "/api/v1/network/hashtags" => format!("{uri}?by=year"),
            "/api/v1/entities/{name}" => format!("{uri}?by=year"),
            "/api/v1/search/facets" => format!("{uri}&per_kind=0"),
            "/api/v1/narratives" => format!("{uri}?all=maybe"),
            "/api/v1/narratives/{name}" => format!("{uri}?by=year"),
            p if p.contains("{sha256}") => p.replace("{sha256}", "not-a-sha"),
            _ => format!("{uri}?format=xml"),
        };
        assert_eq!(
            get_status(&app, &bad).await,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
        assert!(
            get["responses"]["400"].is_object(),
            "{path} documents its 400"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    assert!(schemas.contains_key("Problem") && schemas.contains_key("SearchResponse"));
    for entities in [
        "EntitiesResponse",
        "EntityResponse",
        "EntityRecord",
        "FacetsResponse",
    ] {
        assert!(schemas.contains_key(entities), "{entities}");
    }
    for copies in [
        "PostCopiesResponse",
        "ClustersResponse",
        "ClusterResponse",
        "ChannelCopiesResponse",
        "CopyItemView",
    ] {
        assert!(schemas.contains_key(copies), "{copies}");
    }
    // The narratives' schemas are the engine's types (the channel under its own name: the
    // API's `ChannelRef` is another shape).
    for narratives in [
        "NarrativeSummary",
        "NarrativeReport",
        "NarrativePost",
        "NarrativeChannel",
        "PeriodCount",
        "Period",
    ] {
        assert!(schemas.contains_key(narratives), "{narratives}");
    }
    assert!(schemas["ChannelRef"]["properties"].get("api_url").is_some());
    let item = &schemas["CopyItemView"]["properties"];
    for field in [
        "id",
        "channel",
        "date",
        "relation",
        "similarity",
        "first_seen",
    ] {
        assert!(item.get(field).is_some(), "CopyItemView.{field}");
    }
    let description = doc["info"]["description"].as_str().expect("description");
    for code in [
        "bad_query",
        "not_found",
        "query_too_long",
        "timeout",
        "internal",
    ] {
        assert!(description.contains(&format!("`{code}`")), "{code}");
    }
    let problems = get(&app, "/api/problems").await;
    assert!(problems.body.contains("id=\"bad_query\""));
}

async fn get_status(app: &axum::Router, uri: &str) -> StatusCode {
    get(app, uri).await.status
}

#[tokio::test]
async fn a_directory_without_an_archive_answers_with_empty_lists() {
    let tmp = tempfile::TempDir::new().expect("tmp");
    let app = router(config(tmp.path()));
    let search = get(&app, "/api/v1/search?q=harbor").await;
    assert_eq!(search.status, StatusCode::OK);
    assert_eq!(search.json()["total"], 0);
    assert_eq!(get(&app, "/api/v1/channels").await.json()["total"], 0);
    let post = get(&app, "/api/v1/posts/1").await;
    assert_eq!(problem(&post)["code"], "not_found");
}

#[tokio::test]
async fn searches_go_on_while_another_process_writes_the_index() {
    let a = archive();
    let app = router(config(&a.dir));
    let total = |reply: &support::Reply| reply.json()["total"].as_u64();
    let before = get(&app, "/api/v1/search?q=Bergen").await;
    assert_eq!(total(&before), Some(0), "{}", before.body);

    // An ingest in another process: it has committed a new post to the archive and holds the
    // index's writer lock (tantivy's lock file) while it indexes.
    let lock =
        std::fs::File::create(a.dir.join("index").join(".tantivy-writer.lock")).expect("lock file");
    lock.lock().expect("hold the writer lock");
    let capture = a.dir.parent().expect("tmp").join("bergen.jsonl");
    std::fs::write(
        &capture,
        "{\"id\": 105, \"date\": \"2024-04-09T08:00:00Z\", \"channel\": \"harbor_notes\", \
         \"text\": \"Bergen harbor reopened\"}\n",
    )
    .expect("capture");
    let mut other = tgscope_engine::Engine::open(&a.dir).expect("archive");
    // A writer waits for another writer's index update; here it gives up at once.
    other.set_index_wait(std::time::Duration::ZERO);
    let ingest = other.ingest(
        &[capture],
        &tgscope_engine::IngestOptions::default(),
        &mut tgscope_engine::NoProgress,
    );
    assert!(
        matches!(ingest, Err(tgscope_engine::EngineError::IndexBusy(_))),
        "this ingest could not index: {ingest:?}"
    );
    drop(other);

    // The server answers from the index as it stands: no error, the post not found yet.
    let during = get(&app, "/api/v1/search?q=harbor").await;
    assert_eq!(during.status, StatusCode::OK, "{}", during.body);
    assert_eq!(total(&during), Some(3), "{}", during.body);
    let page = get(&app, "/search?q=Bergen").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);

    // The lock released, the next search catches the index up and finds the new post.
    lock.unlock().expect("unlock");
    let after = get(&app, "/api/v1/search?q=Bergen").await;
    assert_eq!(total(&after), Some(1), "{}", after.body);
}

/// Ingests a message dump into the test archive.
fn ingest_dump(a: &support::Archive, dump: &str) {
    let mut engine = tgscope_engine::Engine::open(&a.dir).expect("archive");
    let capture = a.dir.parent().expect("tmp").join("more.jsonl");
    std::fs::write(&capture, dump).expect("capture");
    engine
        .ingest(
            &[capture],
            &tgscope_engine::IngestOptions::default(),
            &mut tgscope_engine::NoProgress,
        )
        .expect("ingest");
}

#[tokio::test]
async fn a_channel_name_that_fits_several_channels_is_a_problem_that_lists_them() {
    let a = archive();
    // A second channel whose name is harbor_notes's in letters and digits.
    ingest_dump(
        &a,
        "{\"id\": 7, \"date\": \"2024-03-02T08:00:00Z\", \"channel\": \"Harbor Notes!\", \
         \"text\": \"Another harbor\"}\n",
    );
    let app = router(config(&a.dir));

    for uri in [
        "/api/v1/channels/harbornotes".to_string(),
        format!("/api/v1/search?q={}", enc("harbor channel:harbornotes")),
    ] {
        let reply = get(&app, &uri).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            reply.body
        );
        let detail = problem(&reply)["detail"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(detail.contains("names 2 channels"), "{uri}: {detail}");
        assert!(
            detail.contains("harbor_notes") && detail.contains("Harbor Notes!"),
            "{uri}: {detail}"
        );
    }
    // Each is reachable by its own name; a part of a name is no name.
    let own = get(&app, "/api/v1/channels/harbor_notes").await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    let part = get(&app, "/api/v1/channels/harbor").await;
    assert_eq!(part.status, StatusCode::NOT_FOUND, "{}", part.body);
    let search = get(
        &app,
        &format!("/api/v1/search?q={}", enc("channel:harbor_notes")),
    )
    .await;
    assert_eq!(search.json()["total"], 4, "{}", search.body);
}

#[tokio::test]
async fn counts_and_downloads_say_what_they_leave_out() {
    let a = archive();
    // A post of harbor_notes without a date.
    ingest_dump(
        &a,
        "{\"id\": 110, \"channel\": \"harbor_notes\", \"text\": \"harbor log without a date\"}\n",
    );
    let app = router(config(&a.dir));

    let reply = get(&app, "/api/v1/search?q=harbor&by=month").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let json = reply.json();
    assert_eq!(
        json["total"], 4,
        "three dated posts say harbor, and the undated one"
    );
    let counts = &json["counts"];
    assert_eq!(counts["matching"], 4);
    assert_eq!(counts["undated"], 1, "{counts}");
    let periods: u64 = counts["periods"]
        .as_array()
        .expect("periods")
        .iter()
        .map(|p| p["count"].as_u64().expect("count"))
        .sum();
    assert_eq!(periods, 3, "the dated matches: {counts}");
    // The chart's data as CSV carries the same in its headers.
    let csv = get(&app, "/api/v1/search?q=harbor&by=month&format=csv").await;
    assert_eq!(csv.header("x-total-count"), "4");
    assert_eq!(csv.header("x-undated-count"), "1");
    // A page of a CSV download says how many match in all.
    let page = get(&app, "/api/v1/search?q=harbor&format=csv&limit=1").await;
    assert_eq!(page.body.lines().count(), 2, "{}", page.body);
    assert_eq!(page.header("x-total-count"), "4");
    assert!(page.header("link").contains("rel=\"next\""));
    // Lists too: a page of one row, and the whole list's size, as the JSON gives it.
    for list in ["channels", "captures"] {
        let csv = get(&app, &format!("/api/v1/{list}?format=csv&limit=1")).await;
        assert_eq!(csv.body.lines().count(), 2, "{list}: {}", csv.body);
        let total = get(&app, &format!("/api/v1/{list}")).await.json()["total"].clone();
        assert!(total.as_u64().unwrap_or(0) > 1, "{list}: {total}");
        assert_eq!(csv.header("x-total-count"), total.to_string(), "{list}");
    }
}
