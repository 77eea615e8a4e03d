//! Archives for the tests, and requests to the router without a socket.

use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use tgscope_engine::{Engine, IngestOptions, NoProgress};
use tgscope_server::{AppState, ServerConfig, app};
use tower::ServiceExt;

/// A web-view capture of three posts of `mfa_test` (a forward with a placeholder and a lost
/// link, a forward dated from its neighbours, and the channel's own post with views).
pub const CAPTURE: &str = "\
Forwarded from Russian MFA 🇷🇺
Media is too big
VIEW IN TELEGRAM
🎙 Minister's address to the Forum on Cooperation (Moscow, March 14, 2024)
Key points:
🌐 Partnership with #BRICS and the #SCO keeps growing.
☝️ Trade between our countries rose by a third.
Read in full
Key points:
🌐 Partnership with #BRICS and the #SCO keeps growing.
☝️ Trade between our countries rose by a third.
Read in full
Forwarded from Russian MFA 🇷🇺
🇷🇺🇰🇿 On March 20, the ministers met in Astana to discuss transport corridors.
They signed a plan of consultations for #CIS affairs.
They agreed to meet again in the autumn.
They signed a plan of consultations for #CIS affairs.
They agreed to meet again in the autumn.
✍️ Our own note on the week (April 5, 2024):
💬 The week was busy with visits of delegations from #EAEU partners.
💬 The week was busy with visits of delegations from #EAEU partners.
214.4K views
";

/// A message dump of `harbor_notes` (ids, dates, views): posts whose text is an attack on the
/// pages, a forward whose source's name is one, and a post in Arabic.
pub const DUMP: &str = r#"{"id": 101, "date": "2024-03-01T10:00:00Z", "channel": "harbor_notes", "views": 1200, "text": "Tide table for Oslo: low water at 14:10 #tides"}
{"id": 102, "date": "2024-03-08T09:30:00Z", "channel": "harbor_notes", "views": 800, "text": "<script>alert(1)</script> harbor alert #tides"}
{"id": 103, "date": "2024-03-15T12:00:00Z", "channel": "harbor_notes", "forwarded_from": "\"><img src=x onerror=alert(1)>", "text": "\"><img src=x onerror=alert(1)> harbor payload [click](javascript:alert(1)) #tides"}
{"id": 104, "date": "2024-04-02T08:00:00Z", "channel": "harbor_notes", "text": "مرحبا بالعالم harbor #ميناء"}
"#;

/// The script payload.
pub const SCRIPT: &str = "<script>alert(1)</script>";
/// The attribute-breaking payload.
pub const IMG: &str = "\"><img src=x onerror=alert(1)>";

/// An archive in a temporary directory.
pub struct Archive {
    /// Holds the directory.
    pub _tmp: TempDir,
    /// The archive directory.
    pub dir: PathBuf,
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write capture");
    path
}

/// The test archive: `mfa_test` (three posts, the first edited in a later capture) and
/// `harbor_notes` (four posts with ids).
pub fn archive() -> Archive {
    let tmp = TempDir::new().expect("temporary directory");
    let dir = tmp.path().join("archive");
    let mut engine = Engine::open(&dir).expect("archive");
    let first = write(tmp.path(), "capture.txt", CAPTURE);
    let edited = write(
        tmp.path(),
        "capture-later.txt",
        &CAPTURE.replace("rose by a third", "rose by a half"),
    );
    let text = IngestOptions {
        channel: Some("mfa_test".into()),
        ..IngestOptions::default()
    };
    engine
        .ingest(&[first, edited], &text, &mut NoProgress)
        .expect("ingest text");
    let dump = write(tmp.path(), "harbor.jsonl", DUMP);
    engine
        .ingest(&[dump], &IngestOptions::default(), &mut NoProgress)
        .expect("ingest dump");
    drop(engine);
    Archive { _tmp: tmp, dir }
}

/// The settings the tests use over `dir`.
pub fn config(dir: &Path) -> ServerConfig {
    ServerConfig {
        archive: dir.to_path_buf(),
        engines: 2,
        query_timeout: Duration::from_secs(30),
        ..ServerConfig::default()
    }
}

/// The router over `config`, warmed up as `serve` does.
pub fn router(config: ServerConfig) -> Router {
    let state = AppState::new(config);
    state.warm_up().expect("warm up");
    app(state)
}

/// A response as the tests read it.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// Sends a request with `method` and `body`; the response's status, headers and bytes.
pub async fn send_bytes(
    app: &Router,
    method: Method,
    uri: &str,
    body: Vec<u8>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::builder().method(method).uri(uri);
    if !body.is_empty() {
        request = request.header("content-length", body.len());
    }
    let request = request.body(Body::from(body)).expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, headers, bytes.to_vec())
}

/// Sends a request with `method` and `body`.
pub async fn send(app: &Router, method: Method, uri: &str, body: Vec<u8>) -> Reply {
    let (status, headers, bytes) = send_bytes(app, method, uri, body).await;
    Reply {
        status,
        headers,
        body: String::from_utf8(bytes).expect("UTF-8 body"),
    }
}

/// GETs `uri`.
pub async fn get(app: &Router, uri: &str) -> Reply {
    send(app, Method::GET, uri, Vec::new()).await
}

/// `s` as a query-string value.
pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A message dump of five channels carrying one storm warning: `coast_watch` posts it first,
/// `bay_relay` copies it naming its source, `tide_echo` forwards it, `night_desk` copies it
/// without saying so and adds a script, and a channel whose name is [`IMG`] copies it with a
/// source line that is [`SCRIPT`]; and a post of `coast_watch` nobody copied.
pub const COPIES_DUMP: &str = r#"{"id": 501, "date": "2024-05-01T08:00:00Z", "channel": "coast_watch", "text": "Storm warning for the northern coast: winds up to ninety kilometres an hour are expected tonight, and the ferries between Tromso and Bodo are cancelled until Friday morning. Harbour masters ask boat owners to double their mooring lines and to stay ashore until the wind drops."}
{"id": 502, "date": "2024-05-01T10:00:00Z", "channel": "coast_watch", "text": "The harbour office is closed on Monday for the national holiday and opens again on Tuesday at nine."}
{"id": 77, "date": "2024-05-01T09:30:00Z", "channel": "bay_relay", "text": "Storm warning for the northern coast: winds up to ninety kilometres an hour are expected tonight, and the ferries between Tromso and Bodo are cancelled until Friday morning. Harbour masters ask boat owners to double their mooring lines and to stay ashore until the wind drops.\nSource: @coast_watch"}
{"id": 12, "date": "2024-05-02T07:15:00Z", "channel": "tide_echo", "forwarded_from": {"username": "coast_watch", "title": "Coast Watch", "channel_post": 501}, "text": "Storm warning for the northern coast: winds up to ninety kilometres an hour are expected tonight, and the ferries between Tromso and Bodo are cancelled until Friday morning. Harbour masters ask boat owners to double their mooring lines and to stay ashore until the wind drops."}
{"id": 5, "date": "2024-05-01T12:45:00Z", "channel": "night_desk", "text": "Storm warning for the northern coast: winds up to ninety kilometres an hour are expected tonight, and the ferries between Tromso and Bodo are cancelled until Friday morning. Harbour masters ask boat owners to double their mooring lines and to stay ashore until the wind drops. <script>alert(1)</script>"}
{"id": 9, "date": "2024-05-01T15:00:00Z", "channel": "\"><img src=x onerror=alert(1)>", "text": "Storm warning for the northern coast: winds up to ninety kilometres an hour are expected tonight, and the ferries between Tromso and Bodo are cancelled until Friday morning. Harbour masters ask boat owners to double their mooring lines and to stay ashore until the wind drops.\nSource: <script>alert(1)</script>"}
"#;

/// A web-view text of a lighthouse notice dated only in its text (the date is inferred), as
/// `fjord_wire` and `valley_post` both posted it.
pub const LIGHTHOUSE: &str = "\
The lighthouse at Skomvaer will be dark for repairs from April 9, 2024 for two weeks; ships passing the southern cape are asked to keep to the marked channel and to listen on channel sixteen for notices.
";

/// An archive of copies: [`COPIES_DUMP`], and [`LIGHTHOUSE`] in two channels.
pub fn copies_archive() -> Archive {
    let tmp = TempDir::new().expect("temporary directory");
    let dir = tmp.path().join("archive");
    let mut engine = Engine::open(&dir).expect("archive");
    let dump = write(tmp.path(), "copies.jsonl", COPIES_DUMP);
    engine
        .ingest(&[dump], &IngestOptions::default(), &mut NoProgress)
        .expect("ingest dump");
    // (Each capture its own bytes: the same bytes are one capture, ingested once.)
    for (channel, views) in [("fjord_wire", "1.2K views"), ("valley_post", "310 views")] {
        let text = format!("{LIGHTHOUSE}{views}\n");
        let capture = write(tmp.path(), &format!("{channel}.txt"), &text);
        let options = IngestOptions {
            channel: Some(channel.into()),
            ..IngestOptions::default()
        };
        engine
            .ingest(&[capture], &options, &mut NoProgress)
            .expect("ingest text");
    }
    drop(engine);
    Archive { _tmp: tmp, dir }
}

/// How many `relay_NN` channels forward one post of `alpha` in [`network_archive`].
pub const RELAYS: usize = 55;

/// One post of the network dump (`date`: minutes after 2024-03-01 08:00 UTC, or none).
fn network_post(
    id: u32,
    minute: Option<u32>,
    channel: &str,
    text: &str,
    from: Option<&str>,
) -> String {
    let mut post = serde_json::json!({"id": id, "channel": channel, "text": text});
    if let Some(m) = minute {
        post["date"] = serde_json::json!(format!(
            "2024-03-{:02}T{:02}:{:02}:00Z",
            1 + m / 1440,
            8 + m % 1440 / 60,
            m % 60
        ));
    }
    if let Some(f) = from {
        post["forwarded_from"] = serde_json::json!(f);
    }
    post.to_string()
}

/// A message dump whose network is known by construction: `beta` forwards three posts of
/// `alpha`; `gamma` mentions @alpha twice, links a post of beta and mentions @ghost_news, a
/// channel the archive does not know; a channel whose name is [`IMG`] forwards alpha once
/// (with [`SCRIPT`] in its text); [`RELAYS`] channels `relay_NN` forward alpha once each; beta
/// and gamma post the same two links; alpha's posts carry `#summit #astana`, and one undated
/// post of `delta` carries `#summit`.
pub fn network_dump() -> String {
    let mut lines = Vec::new();
    for i in 0..3u32 {
        let text = format!("Statement {i} on the summit in Astana #summit #astana");
        lines.push(network_post(10 + i, Some(i * 10), "alpha", &text, None));
        lines.push(network_post(
            20 + i,
            Some(i * 10 + 5),
            "beta",
            &text,
            Some("@alpha"),
        ));
    }
    lines.push(network_post(
        30,
        Some(40),
        "gamma",
        "As @alpha said this morning: talks go on",
        None,
    ));
    lines.push(network_post(
        31,
        Some(41),
        "gamma",
        "Read @alpha and https://t.me/beta/21 too",
        None,
    ));
    lines.push(network_post(
        32,
        Some(42),
        "gamma",
        "Also says @ghost_news",
        None,
    ));
    lines.push(network_post(
        33,
        Some(50),
        IMG,
        &format!("Statement 0 on the summit {SCRIPT}"),
        Some("@alpha"),
    ));
    for i in 0..2u32 {
        let story = format!("https://example.org/news/story-{i}");
        lines.push(network_post(
            40 + i,
            Some(60 + i),
            "beta",
            &format!("Breaking: {story}"),
            None,
        ));
        lines.push(network_post(
            50 + i,
            Some(62 + i),
            "gamma",
            &format!("Look: {story}?utm_source=x"),
            None,
        ));
    }
    lines.push(network_post(
        60,
        None,
        "delta",
        "No date on this one #summit",
        None,
    ));
    for r in 0..RELAYS {
        let channel = format!("relay_{r:02}");
        lines.push(network_post(
            100 + r as u32,
            Some(1440 + r as u32),
            &channel,
            "Statement 1 passed on",
            Some("@alpha"),
        ));
    }
    lines.join("\n") + "\n"
}

/// An archive of [`network_dump`].
pub fn network_archive() -> Archive {
    let tmp = TempDir::new().expect("temporary directory");
    let dir = tmp.path().join("archive");
    let mut engine = Engine::open(&dir).expect("archive");
    let dump = write(tmp.path(), "network.jsonl", &network_dump());
    engine
        .ingest(&[dump], &IngestOptions::default(), &mut NoProgress)
        .expect("ingest dump");
    drop(engine);
    Archive { _tmp: tmp, dir }
}
