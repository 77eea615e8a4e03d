//! The evidence itself: a capture's exact bytes and the media files the archive keeps, by
//! SHA-256, and the post page's links to them.

use axum::http::{Method, StatusCode};
use scraper::{Html, Selector};
use sha2::{Digest, Sha256};
use tgscope_engine::{Engine, IngestOptions, NoProgress};

use crate::support::{CAPTURE, archive, config, get, router, send_bytes};

use std::pin::Pin;
use std::time::Duration;

use futures_core::Stream;
use tgscope_server::ServerConfig;
use tower::ServiceExt;

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn a_capture_downloads_as_its_exact_bytes() {
    let a = archive();
    let app = router(config(&a.dir));
    let captures = get(&app, "/api/v1/captures").await.json();
    let capture = captures["captures"]
        .as_array()
        .expect("captures")
        .iter()
        .find(|c| {
            c["source"]
                .as_str()
                .is_some_and(|s| s.ends_with("capture.txt"))
        })
        .expect("the first text capture")
        .clone();
    let sha = capture["sha256"].as_str().expect("sha");
    let url = capture["raw_url"].as_str().expect("raw kept");
    assert_eq!(url, format!("/api/v1/captures/{sha}/raw"));

    let (status, headers, body) = send_bytes(&app, Method::GET, url, Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, CAPTURE.as_bytes(), "the bytes as ingested");
    assert_eq!(sha256(&body), sha, "their hash is the capture's name");
    let header = |name: &str| headers[name].to_str().expect("header").to_string();
    assert_eq!(header("content-type"), "application/octet-stream");
    assert_eq!(
        header("content-disposition"),
        format!("attachment; filename=\"{sha}.txt\"")
    );
    assert_eq!(header("content-length"), CAPTURE.len().to_string());
    assert_eq!(header("etag"), format!("\"{sha}\""));
    assert!(header("content-security-policy").starts_with("default-src 'self'"));

    // A client that holds it already is told so, without the bytes.
    let request = axum::http::Request::builder()
        .uri(url)
        .header("if-none-match", format!("W/\"x\", \"{sha}\""))
        .body(axum::body::Body::empty())
        .expect("request");
    let response = tower::ServiceExt::oneshot(app.clone(), request)
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(response.headers()["etag"], format!("\"{sha}\"").as_str());

    // Upper case is the same hash; anything else is not one.
    let upper = get(
        &app,
        &format!("/api/v1/captures/{}/raw", sha.to_uppercase()),
    )
    .await;
    assert_eq!(upper.status, StatusCode::OK);
    let unknown = get(&app, &format!("/api/v1/captures/{}/raw", "0".repeat(64))).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json()["code"], "not_found");
    let traversal = get(&app, "/api/v1/captures/..%2F..%2Farchive.sqlite/raw").await;
    assert_eq!(
        traversal.status,
        StatusCode::BAD_REQUEST,
        "{}",
        traversal.body
    );
    assert_eq!(traversal.json()["code"], "bad_request");
}

#[tokio::test]
async fn a_capture_kept_by_its_hash_only_says_so() {
    let tmp = tempfile::TempDir::new().expect("tmp");
    let dir = tmp.path().join("archive");
    let capture = tmp.path().join("capture.txt");
    std::fs::write(&capture, CAPTURE).expect("capture");
    let mut engine = Engine::open(&dir).expect("archive");
    let options = IngestOptions {
        channel: Some("mfa_test".into()),
        keep_raw: false,
        ..IngestOptions::default()
    };
    engine
        .ingest(&[capture], &options, &mut NoProgress)
        .expect("ingest");
    drop(engine);
    let app = router(config(&dir));
    let captures = get(&app, "/api/v1/captures").await.json();
    let first = &captures["captures"][0];
    assert_eq!(first["raw_kept"], false);
    assert!(first["raw_url"].is_null());
    let sha = first["sha256"].as_str().expect("sha");
    let reply = get(&app, &format!("/api/v1/captures/{sha}/raw")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(
        reply.json()["detail"]
            .as_str()
            .is_some_and(|d| d.contains("--no-keep-raw")),
        "{}",
        reply.body
    );
    // The post page names the capture's hash but offers no download.
    let post = get(&app, "/posts/1").await;
    assert!(post.body.contains(sha));
    assert!(!post.body.contains("raw-capture"), "{}", post.body);
}

/// A Desktop export of one channel: a photo and a document that is an HTML page with a script.
const EXPORT: &str = r#"{
 "name": "Media Test",
 "type": "public_channel",
 "id": 1000000009,
 "messages": [
  {"id": 1, "type": "message", "date": "2024-03-01T10:00:00", "date_unixtime": "1709287200",
   "from": "Media Test", "from_id": "channel1000000009",
   "photo": "photos/photo_1.jpg", "width": 1, "height": 1,
   "text": "A photo of the harbour", "text_entities": [{"type": "plain", "text": "A photo of the harbour"}]},
  {"id": 2, "type": "message", "date": "2024-03-01T11:00:00", "date_unixtime": "1709290800",
   "from": "Media Test", "from_id": "channel1000000009",
   "file": "files/page.html", "mime_type": "text/html",
   "text": "A page", "text_entities": [{"type": "plain", "text": "A page"}]}
 ]
}"#;

/// The smallest GIF: one transparent pixel.
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
const PAGE: &[u8] = b"<html><script>alert(1)</script></html>";

#[tokio::test]
async fn kept_media_are_served_images_inline_and_the_rest_as_attachments() {
    let tmp = tempfile::TempDir::new().expect("tmp");
    let export = tmp.path().join("export");
    std::fs::create_dir_all(export.join("photos")).expect("photos");
    std::fs::create_dir_all(export.join("files")).expect("files");
    std::fs::write(export.join("photos/photo_1.jpg"), GIF).expect("photo");
    std::fs::write(export.join("files/page.html"), PAGE).expect("page");
    std::fs::write(export.join("result.json"), EXPORT).expect("export");
    let dir = tmp.path().join("archive");
    let mut engine = Engine::open(&dir).expect("archive");
    engine
        .ingest(
            &[export.join("result.json")],
            &IngestOptions::default(),
            &mut NoProgress,
        )
        .expect("ingest");
    drop(engine);
    let app = router(config(&dir));

    let photo = sha256(GIF);
    let (status, headers, body) = send_bytes(
        &app,
        Method::GET,
        &format!("/api/v1/media/{photo}"),
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, GIF);
    assert_eq!(
        headers["content-type"], "image/gif",
        "by its bytes, not its name"
    );
    assert_eq!(headers["content-disposition"], "inline");

    let page = sha256(PAGE);
    let (status, headers, body) = send_bytes(
        &app,
        Method::GET,
        &format!("/api/v1/media/{page}"),
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, PAGE);
    assert_eq!(
        headers["content-type"], "application/octet-stream",
        "markup is never served to be rendered"
    );
    assert_eq!(
        headers["content-disposition"].to_str().expect("header"),
        format!("attachment; filename=\"{page}\"")
    );
    let missing = get(&app, &format!("/api/v1/media/{}", "f".repeat(64))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // The post page shows the photo from the server, and offers the capture's bytes.
    let post = get(&app, "/posts/1").await;
    let doc = Html::parse_document(&post.body);
    let img = Selector::parse("#media img.media-image").expect("selector");
    let src: Vec<&str> = doc
        .select(&img)
        .filter_map(|e| e.value().attr("src"))
        .collect();
    assert_eq!(src, [format!("/api/v1/media/{photo}")]);
    let raw = Selector::parse("#sightings a.raw-capture").expect("selector");
    let href = doc
        .select(&raw)
        .next()
        .and_then(|e| e.value().attr("href"))
        .expect("a link to the capture's bytes")
        .to_string();
    let (status, _, bytes) = send_bytes(&app, Method::GET, &href, Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, EXPORT.as_bytes());
    // The document is offered for download, not shown.
    let doc_page = get(&app, "/posts/2").await;
    assert!(doc_page.body.contains(&format!("/api/v1/media/{page}")));
    assert!(
        !doc_page.body.contains("<img class=\"media-image\""),
        "{}",
        doc_page.body
    );
}

/// The media types the OpenAPI document lists for the answer `status` of `GET path`.
fn documented_types(doc: &serde_json::Value, path: &str, status: u16) -> Vec<String> {
    doc["paths"][path]["get"]["responses"][status.to_string()]["content"]
        .as_object()
        .map(|content| content.keys().cloned().collect())
        .unwrap_or_default()
}

/// Found by schemathesis (.ci/schemathesis): a kept image was served as `image/gif` or
/// `image/png` while the OpenAPI document listed only `application/octet-stream` for media; and
/// the `416` problem for a range past a file's end was sent as the file's type
/// (`image/png`, `application/octet-stream`) and as an attachment, not as
/// `application/problem+json`.
#[tokio::test]
async fn media_and_captures_are_served_in_a_type_the_openapi_document_lists() {
    let tmp = tempfile::TempDir::new().expect("tmp");
    let export = tmp.path().join("export");
    std::fs::create_dir_all(export.join("photos")).expect("photos");
    std::fs::create_dir_all(export.join("files")).expect("files");
    std::fs::write(export.join("photos/photo_1.jpg"), GIF).expect("photo");
    std::fs::write(export.join("files/page.html"), PAGE).expect("page");
    std::fs::write(export.join("result.json"), EXPORT).expect("export");
    let dir = tmp.path().join("archive");
    let mut engine = Engine::open(&dir).expect("archive");
    engine
        .ingest(
            &[export.join("result.json")],
            &IngestOptions::default(),
            &mut NoProgress,
        )
        .expect("ingest");
    drop(engine);
    let app = router(config(&dir));
    let doc = get(&app, "/api/openapi.json").await.json();
    let media = "/api/v1/media/{sha256}";
    let capture = "/api/v1/captures/{sha256}/raw";
    let asked = [
        (media, format!("/api/v1/media/{}", sha256(GIF))),
        (media, format!("/api/v1/media/{}", sha256(PAGE))),
        (
            capture,
            format!("/api/v1/captures/{}/raw", sha256(EXPORT.as_bytes())),
        ),
    ];
    let mut statuses = Vec::new();
    for (route, uri) in &asked {
        for range in [None, Some("bytes=2-5"), Some("bytes=100000-")] {
            let headers: Vec<(&str, &str)> = range.map(|r| ("range", r)).into_iter().collect();
            let (status, headers, _) = get_with(&app, uri, &headers).await;
            let sent = headers["content-type"].to_str().expect("a content type");
            let listed = documented_types(&doc, route, status.as_u16());
            assert!(
                listed.iter().any(|t| t == sent),
                "{uri} {range:?}: {status} as {sent}, the document lists {listed:?}"
            );
            if status == StatusCode::RANGE_NOT_SATISFIABLE {
                assert!(
                    !headers.contains_key("content-disposition"),
                    "{uri}: a problem is no attachment"
                );
            }
            statuses.push(status.as_u16());
        }
    }
    assert_eq!(statuses, [200, 206, 416, 200, 206, 416, 200, 206, 416]);
}

/// A Desktop export whose one post carries a document of `size` bytes; the archive it was
/// ingested into, and the document's bytes.
fn archive_with_document(root: &std::path::Path, size: usize) -> (std::path::PathBuf, Vec<u8>) {
    let export = root.join("export");
    std::fs::create_dir_all(export.join("files")).expect("files");
    // Bytes that are no image, and do not compress to nothing.
    let mut state = 0x2545_f491_u32;
    let document: Vec<u8> = (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect();
    std::fs::write(export.join("files/data.bin"), &document).expect("document");
    let json = EXPORT
        .replace("files/page.html", "files/data.bin")
        .replace("text/html", "application/octet-stream");
    std::fs::write(export.join("result.json"), json).expect("export");
    let dir = root.join("archive");
    let mut engine = Engine::open(&dir).expect("archive");
    engine
        .ingest(
            &[export.join("result.json")],
            &IngestOptions::default(),
            &mut NoProgress,
        )
        .expect("ingest");
    (dir, document)
}

/// The next chunk of a body, as a client reading it would get it.
async fn next_chunk(body: &mut axum::body::BodyDataStream) -> Option<Vec<u8>> {
    std::future::poll_fn(|cx| Pin::new(&mut *body).poll_next(cx))
        .await
        .map(|chunk| chunk.expect("a chunk").to_vec())
}

async fn request(app: &axum::Router, uri: &str) -> axum::response::Response {
    let request = axum::http::Request::builder()
        .uri(uri)
        .body(axum::body::Body::empty())
        .expect("request");
    app.clone().oneshot(request).await.expect("response")
}

#[test]
fn clients_that_stop_reading_hold_no_thread_and_the_archive_still_answers() {
    // Three blocking threads: before, three stalled downloads held them all, and every
    // question to the archive then waited for its deadline.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(3)
        .enable_all()
        .build()
        .expect("runtime");
    let tmp = tempfile::TempDir::new().expect("tmp");
    let (dir, document) = archive_with_document(tmp.path(), 1 << 20);
    let sha = sha256(&document);
    let url = format!("/api/v1/media/{sha}");
    runtime.block_on(async {
        let app = router(ServerConfig {
            max_downloads: 6,
            query_timeout: Duration::from_secs(2),
            ..config(&dir)
        });
        // Six clients read the first chunk of the megabyte, then stop reading.
        let mut stalled = Vec::new();
        for _ in 0..6 {
            let response = request(&app, &url).await;
            assert_eq!(response.status(), StatusCode::OK);
            let mut body = response.into_body().into_data_stream();
            let first = next_chunk(&mut body).await.expect("a first chunk");
            assert!(first.len() < document.len(), "streamed, not sent whole");
            stalled.push((first, body));
        }
        let channels = get(&app, "/api/v1/channels").await;
        assert_eq!(channels.status, StatusCode::OK, "{}", channels.body);
        let post = get(&app, "/posts/1").await;
        assert_eq!(post.status, StatusCode::OK);

        // Every place for a download is taken: a seventh waits its deadline, then is told so.
        let seventh = get(&app, &url).await;
        assert_eq!(seventh.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(seventh.json()["code"], "timeout");

        // One stalled client reads on to the end and has the whole file.
        let (mut bytes, mut resumed) = stalled.pop().expect("a stalled download");
        while let Some(chunk) = next_chunk(&mut resumed).await {
            bytes.extend(chunk);
        }
        assert_eq!(sha256(&bytes), sha, "the whole file, by its hash");
        drop(resumed);

        // The others go away; their places are free again.
        drop(stalled);
        let (status, _, bytes) = send_bytes(&app, Method::GET, &url, Vec::new()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(sha256(&bytes), sha, "the whole file, by its hash");
    });
}

/// GETs `uri` with `headers`; the status, headers and bytes.
async fn get_with(
    app: &axum::Router,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut request = axum::http::Request::builder().uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(axum::body::Body::empty()).expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, headers, bytes.to_vec())
}

#[tokio::test]
async fn a_broken_download_resumes_from_a_byte_range() {
    let tmp = tempfile::TempDir::new().expect("tmp");
    let (dir, document) = archive_with_document(tmp.path(), 300_000);
    let app = router(config(&dir));
    let header = |headers: &axum::http::HeaderMap, name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().expect("header").to_string())
            .unwrap_or_default()
    };

    // A media file: the first 100,000 bytes arrive, then the rest is asked for.
    let sha = sha256(&document);
    let url = format!("/api/v1/media/{sha}");
    let (status, headers, first) = get_with(&app, &url, &[("range", "bytes=0-99999")]).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&headers, "content-range"), "bytes 0-99999/300000");
    assert_eq!(header(&headers, "content-length"), "100000");
    assert_eq!(first, document[..100_000]);
    let etag = header(&headers, "etag");
    let (status, headers, rest) = get_with(
        &app,
        &url,
        &[("range", "bytes=100000-"), ("if-range", etag.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&headers, "content-range"),
        "bytes 100000-299999/300000"
    );
    assert_eq!(
        sha256(&[first, rest].concat()),
        sha,
        "the two parts are the file"
    );

    // A capture, kept compressed: a range of its bytes as ingested.
    let captures = get(&app, "/api/v1/captures").await.json();
    let raw = captures["captures"][0]["raw_url"]
        .as_str()
        .expect("raw kept")
        .to_string();
    let (status, headers, whole) = get_with(&app, &raw, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "accept-ranges"), "bytes");
    let size = whole.len();
    let (status, headers, middle) = get_with(&app, &raw, &[("range", "bytes=10-19")]).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&headers, "content-range"),
        format!("bytes 10-19/{size}")
    );
    assert_eq!(middle, whole[10..20]);
    let (status, _, tail) = get_with(&app, &raw, &[("range", "bytes=-7")]).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail, whole[size - 7..]);

    // Past the end: 416, with the file's size.
    let past = format!("bytes={size}-");
    let (status, headers, body) = get_with(&app, &raw, &[("range", past.as_str())]).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&headers, "content-range"), format!("bytes */{size}"));
    let problem: serde_json::Value = serde_json::from_slice(&body).expect("problem");
    assert_eq!(problem["code"], "range_not_satisfiable");

    // A range under another file's ETag, or several ranges: the whole file.
    for asked in [
        vec![("range", "bytes=10-19"), ("if-range", "\"another\"")],
        vec![("range", "bytes=0-1,5-6")],
    ] {
        let (status, _, body) = get_with(&app, &raw, &asked).await;
        assert_eq!(status, StatusCode::OK, "{asked:?}");
        assert_eq!(body, whole);
    }
}
