//! Team mode over the archive in PostgreSQL, on a real socket: every route but sign-in and the
//! static files answers 401 to an anonymous request; sign-in, its cookies and what a failed one
//! says; roles (a reader neither ingests, edits narratives nor manages accounts); CSRF tokens
//! on forms; API tokens revoked and accounts disabled stop working at the next request; every
//! change and export is in the audit log; no password or token is stored in clear; failed
//! sign-ins are limited per name and per address (429 with `Retry-After`, the password
//! unchecked, each lock-out audited once, free again after the window); editors save, edit
//! and delete saved searches that everyone reads (their links give the same search and its
//! feed); editors collect a channel in the background from a stand-in for t.me on loopback
//! (one collection per channel at a time, progress and runs listed, audited). Each test gets a
//! fresh database on a throwaway PostgreSQL server (skipped, with a message, when PostgreSQL
//! is not installed and `TGSCOPE_REQUIRE_POSTGRES` is unset). The embedded archive's server
//! has none of the team's routes.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use tgscope_collect::fetch::FetchPolicy;
use tgscope_engine::archive::Role;
use tgscope_engine::archive::backend::Archive;
use tgscope_engine::{Actor, Engine, IngestOptions, NoProgress, Team};
use tgscope_postgres::PgArchive;
use tgscope_postgres::testing::ThrowawayServer;
use tgscope_server::config::ArchiveOpener;
use tgscope_server::sign_in_limit::SignInLimits;
use tgscope_server::{AppState, ServerConfig, app};

use crate::support::{self, CAPTURE, DUMP, archive, router, send};

/// The accounts of every test: (name, role, password).
const ADMIN: (&str, Role, &str) = ("ada", Role::Admin, "ada's long admin passphrase");
const EDITOR: (&str, Role, &str) = ("eddie", Role::Editor, "eddie edits narratives daily");
const READER: (&str, Role, &str) = ("rita", Role::Reader, "rita reads every single post");

/// A team server on a free port over a fresh database holding the test captures and the three
/// accounts.
struct TeamServer {
    addr: SocketAddr,
    url: String,
    _tmp: TempDir,
}

/// The team server, or `None` when PostgreSQL is not installed (the test skips).
fn team_server() -> Option<TeamServer> {
    team_server_with(|_| {})
}

/// The team server with its settings changed by `change`.
fn team_server_with(change: impl FnOnce(&mut ServerConfig)) -> Option<TeamServer> {
    let url = tgscope_postgres::testing::database().expect("PostgreSQL")?;
    let tmp = TempDir::new().expect("temporary directory");
    let dir = tmp.path().join("archive");
    {
        let archive = PgArchive::open(&url, &dir).expect("the archive in PostgreSQL");
        let mut engine = Engine::open_archive(Box::new(archive)).expect("engine");
        let text = tmp.path().join("capture.txt");
        std::fs::write(&text, CAPTURE).expect("capture");
        let dump = tmp.path().join("harbor.jsonl");
        std::fs::write(&dump, DUMP).expect("dump");
        let options = IngestOptions {
            channel: Some("mfa_test".into()),
            ..IngestOptions::default()
        };
        engine
            .ingest(&[text], &options, &mut NoProgress)
            .expect("ingest text");
        engine
            .ingest(&[dump], &IngestOptions::default(), &mut NoProgress)
            .expect("ingest dump");
    }
    let archive = PgArchive::open(&url, &dir).expect("archive");
    let team = Team::over(&archive);
    for (name, role, password) in [ADMIN, EDITOR, READER] {
        team.add_user(&Actor::cli("test"), name, role, password)
            .expect("account");
    }
    drop(archive);
    let mut config = team_config(&url, &dir);
    change(&mut config);
    let addr = start(config);
    Some(TeamServer {
        addr,
        url,
        _tmp: tmp,
    })
}

/// The settings of a team server over the database at `url` with its folder `dir`.
fn team_config(url: &str, dir: &Path) -> ServerConfig {
    let (url, folder) = (url.to_string(), dir.to_path_buf());
    ServerConfig {
        opener: Some(ArchiveOpener::new(move || {
            PgArchive::open(&url, &folder).map(|a| Box::new(a) as Box<dyn Archive>)
        })),
        team: true,
        max_upload_bytes: 1024 * 1024,
        ..support::config(dir)
    }
}

/// Serves `config` on a free loopback port from a thread of its own (for the rest of the test
/// process); its address.
fn start(config: ServerConfig) -> SocketAddr {
    let (ready, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let state = AppState::new(config);
            let warm = state.clone();
            tokio::task::spawn_blocking(move || warm.warm_up())
                .await
                .expect("warm-up thread")
                .expect("warm up");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            ready
                .send(listener.local_addr().expect("address"))
                .expect("say where");
            axum::serve(
                listener,
                app(state).into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .expect("serve");
        });
    });
    address
        .recv_timeout(Duration::from_secs(120))
        .expect("the server started")
}

/// A response read off the socket.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value a `Set-Cookie` of this response gives the cookie `name`.
    fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().into_iter().find_map(|c| {
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| v.to_string())
        })
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// The value of the first hidden `csrf` field of the page.
    fn csrf_field(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no csrf field in {}", self.body))
            + marker.len();
        let end = self.body[start..].find('"').expect("closing quote") + start;
        self.body[start..end].to_string()
    }
}

/// Sends a request over a new connection and reads the whole response.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .expect("timeout");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("request");
    // A server may answer before the whole body is sent (413) and close: the answer is still
    // read, as a client such as curl reads it.
    if let Err(e) = stream.write_all(body) {
        assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ),
            "body: {e}"
        );
    }
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw) {
        assert!(
            e.kind() == std::io::ErrorKind::ConnectionReset && !raw.is_empty(),
            "response: {e}"
        );
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut payload = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        payload = dechunk(&payload);
    }
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&payload).to_string(),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
}

/// An urlencoded form body.
fn form(fields: &[(&str, &str)]) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
        .into_bytes()
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

/// A signed-in browser: its session cookie and the CSRF token of its forms.
struct Browser {
    addr: SocketAddr,
    cookie: String,
    csrf: String,
}

impl Browser {
    fn get(&self, path: &str) -> Reply {
        http(self.addr, "GET", path, &[("Cookie", &self.cookie)], b"")
    }

    /// POSTs a form with the session's CSRF token added.
    fn post(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all = fields.to_vec();
        all.push(("csrf", &self.csrf));
        self.post_raw(path, &form(&all))
    }

    /// POSTs a form as it is (no CSRF token added).
    fn post_raw(&self, path: &str, body: &[u8]) -> Reply {
        http(
            self.addr,
            "POST",
            path,
            &[("Cookie", &self.cookie), FORM],
            body,
        )
    }
}

/// Shows the sign-in form and sends it; the response to the form.
fn try_sign_in(addr: SocketAddr, name: &str, password: &str) -> Reply {
    try_sign_in_from(addr, None, name, password)
}

/// Shows the sign-in form and sends it as the client `client` (an `X-Forwarded-For` address,
/// which the server believes of a proxy on loopback); the response to the form.
fn try_sign_in_from(addr: SocketAddr, client: Option<&str>, name: &str, password: &str) -> Reply {
    let page = http(addr, "GET", "/sign-in", &[], b"");
    assert_eq!(page.status, 200, "{}", page.body);
    let form_cookie = page.cookie("tgscope_sign_in").expect("the form's cookie");
    let csrf = page.csrf_field();
    let cookie = format!("tgscope_sign_in={form_cookie}");
    let mut headers = vec![("Cookie", cookie.as_str()), FORM];
    if let Some(client) = client {
        headers.push(("X-Forwarded-For", client));
    }
    http(
        addr,
        "POST",
        "/sign-in",
        &headers,
        &form(&[
            ("name", name),
            ("password", password),
            ("csrf", &csrf),
            ("next", "/search?q=harbor"),
        ]),
    )
}

/// Signs in as one of the accounts.
fn sign_in(addr: SocketAddr, (name, _, password): (&str, Role, &str)) -> Browser {
    let signed = try_sign_in(addr, name, password);
    assert_eq!(signed.status, 303, "{}", signed.body);
    assert_eq!(signed.header("location"), Some("/search?q=harbor"));
    let token = signed.cookie("tgscope_session").expect("session cookie");
    let cookie = format!("tgscope_session={token}");
    let account = http(addr, "GET", "/account", &[("Cookie", &cookie)], b"");
    assert_eq!(account.status, 200, "{}", account.body);
    Browser {
        addr,
        cookie,
        csrf: account.csrf_field(),
    }
}

/// A new API token of the browser's account, made with the account page's form; (id, secret).
fn new_token(browser: &Browser, name: &str) -> (i64, String) {
    let page = browser.post("/account/tokens", &[("name", name)]);
    assert_eq!(page.status, 200, "{}", page.body);
    let marker = "<code id=\"new-token-secret\">";
    let start = page.body.find(marker).expect("the secret is shown") + marker.len();
    let end = page.body[start..].find('<').expect("end") + start;
    let secret = page.body[start..end].to_string();
    let tokens = http(
        browser.addr,
        "GET",
        "/api/v1/account/tokens",
        &[("Authorization", &format!("Bearer {secret}"))],
        b"",
    );
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let id = tokens
        .json()
        .as_array()
        .expect("list")
        .iter()
        .find(|t| t["name"] == name)
        .and_then(|t| t["id"].as_i64())
        .expect("the token is listed");
    (id, secret)
}

fn bearer(secret: &str) -> String {
    format!("Bearer {secret}")
}

/// Every route of the API (from its OpenAPI document in team mode), with its path parameters
/// filled in.
fn api_routes() -> Vec<(String, String)> {
    let (_, doc) = tgscope_server::api::router(true);
    let doc: Value = serde_json::from_str(&doc.to_json().expect("JSON")).expect("document");
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let filled = path
            .replace("{id}", "1")
            .replace("{name}", "harbor_notes")
            .replace("{tag}", "tides")
            .replace("{sha256}", &"0".repeat(64))
            .replace("{key}", "x");
        for method in item.as_object().expect("operations").keys() {
            routes.push((method.to_uppercase(), filled.clone()));
        }
    }
    routes
}

/// The pages and the other routes outside the API.
const PAGE_ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/search?q=harbor"),
    ("GET", "/posts/1"),
    ("GET", "/channels/harbor_notes"),
    ("GET", "/hashtags/tides"),
    ("GET", "/clusters"),
    ("GET", "/clusters/1"),
    ("GET", "/network"),
    ("GET", "/entities"),
    ("GET", "/entities/x"),
    ("GET", "/narratives"),
    ("GET", "/narratives/x"),
    ("GET", "/account"),
    ("GET", "/admin/users"),
    ("GET", "/admin/audit"),
    ("GET", "/ingest"),
    ("GET", "/saved"),
    ("GET", "/collect"),
    ("GET", "/nothing/here"),
    ("POST", "/sign-out"),
    ("POST", "/account/tokens"),
    ("POST", "/account/tokens/1/revoke"),
    ("POST", "/admin/users"),
    ("POST", "/admin/users/rita/disable"),
    ("POST", "/admin/users/rita/enable"),
    ("POST", "/narratives"),
    ("POST", "/narratives/x/edit"),
    ("POST", "/narratives/x/remove"),
    ("POST", "/ingest"),
    ("POST", "/saved"),
    ("POST", "/saved/x/edit"),
    ("POST", "/saved/x/delete"),
    ("POST", "/collect"),
];

/// Routes that answer with a problem document, not a page.
const OTHER_ROUTES: &[(&str, &str)] = &[
    ("GET", "/feeds/search.atom?q=harbor"),
    ("GET", "/feeds/channels/harbor_notes.atom"),
    ("GET", "/feeds/hashtags/tides.rss"),
    ("GET", "/feeds/narratives/x.json"),
    ("GET", "/api/problems"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/v1/nothing"),
];

#[test]
fn an_anonymous_request_gets_401_on_every_route_but_sign_in_and_static_files() {
    let Some(server) = team_server() else { return };
    let addr = server.addr;
    let api = api_routes();
    assert!(api.len() > 30, "{api:?}");
    assert!(api.contains(&("POST".into(), "/api/v1/captures".into())));
    assert!(api.contains(&("DELETE".into(), "/api/v1/narratives/harbor_notes".into())));
    for (method, path) in api
        .iter()
        .map(|(m, p)| (m.as_str(), p.as_str()))
        .chain(OTHER_ROUTES.iter().copied())
    {
        let reply = http(addr, method, path, &[], b"");
        assert_eq!(reply.status, 401, "{method} {path}: {}", reply.body);
        assert_eq!(reply.json()["code"], "unauthorized", "{method} {path}");
        assert!(
            reply
                .set_cookies()
                .iter()
                .all(|c| !c.starts_with("tgscope_session"))
        );
    }
    for (method, path) in PAGE_ROUTES {
        let reply = http(addr, method, path, &[FORM], b"x=1");
        assert_eq!(reply.status, 401, "{method} {path}: {}", reply.body);
        assert!(
            reply
                .body
                .contains("<form method=\"post\" action=\"/sign-in\""),
            "{method} {path}: the sign-in form"
        );
    }
    // A token or cookie that opens nothing is no better than none.
    let forged = http(
        addr,
        "GET",
        "/api/v1/channels",
        &[("Authorization", "Bearer tgs_0000")],
        b"",
    );
    assert_eq!(forged.status, 401);
    let forged = http(addr, "GET", "/", &[("Cookie", "tgscope_session=abc")], b"");
    assert_eq!(forged.status, 401);
    // The OpenAPI document (for those signed in) says how: a bearer token.
    let (_, doc) = tgscope_server::api::router(true);
    let doc: Value = serde_json::from_str(&doc.to_json().expect("JSON")).expect("document");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(doc["security"][0]["bearer"], serde_json::json!([]));
    // Open to anyone: the sign-in form and the static files.
    assert_eq!(http(addr, "GET", "/sign-in", &[], b"").status, 200);
    let css = http(addr, "GET", "/static/style.css", &[], b"");
    assert_eq!(css.status, 200);
    assert!(css.body.contains("body"));
}

#[test]
fn a_failed_sign_in_says_nothing_of_which_part_was_wrong() {
    let Some(server) = team_server() else { return };
    let wrong_password = try_sign_in(server.addr, "rita", "not rita's password at all");
    let unknown_name = try_sign_in(server.addr, "nobody", READER.2);
    for reply in [&wrong_password, &unknown_name] {
        assert_eq!(reply.status, 401, "{}", reply.body);
        assert!(reply.body.contains("The name or the password is wrong."));
        assert!(reply.cookie("tgscope_session").is_none());
    }
    let message = |r: &Reply| {
        let start = r.body.find("id=\"sign-in-error\"").expect("an error");
        r.body[start..start + 80].to_string()
    };
    assert_eq!(message(&wrong_password), message(&unknown_name));
    // The form is tied to the browser that asked for it.
    let page = http(server.addr, "GET", "/sign-in", &[], b"");
    let forged = http(
        server.addr,
        "POST",
        "/sign-in",
        &[FORM],
        &form(&[
            ("name", READER.0),
            ("password", READER.2),
            ("csrf", &page.csrf_field()),
        ]),
    );
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(forged.cookie("tgscope_session").is_none());
}

#[test]
fn the_session_cookie_is_http_only_secure_and_same_site_strict_and_sign_out_ends_it() {
    let Some(server) = team_server() else { return };
    let signed = try_sign_in(server.addr, READER.0, READER.2);
    assert_eq!(signed.status, 303);
    let cookie = signed
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("tgscope_session="))
        .expect("session cookie")
        .to_string();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(
            cookie.split(';').any(|a| a.trim() == attribute),
            "{attribute} missing from {cookie}"
        );
    }
    let token = signed.cookie("tgscope_session").expect("token");
    assert!(token.len() >= 64, "a long random token: {token}");
    let browser = sign_in(server.addr, READER);
    let search = browser.get("/search?q=harbor");
    assert_eq!(search.status, 200, "{}", search.body);
    assert!(
        search.body.contains("id=\"signed-in\""),
        "the page names the account"
    );
    assert!(
        search.body.contains("<p id=\"total\">3 posts match</p>"),
        "{}",
        search.body
    );
    assert!(!search.body.contains("Nothing archived yet"));
    // The session is stored only as a hash.
    let mut db = ThrowawayServer::connect(&server.url).expect("connect");
    let stored: Vec<String> = db
        .query("SELECT token_hash FROM sessions", &[])
        .expect("sessions")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let session = browser.cookie.trim_start_matches("tgscope_session=");
    assert!(!stored.iter().any(|h| h == session));
    let out = browser.post("/sign-out", &[]);
    assert_eq!(out.status, 303, "{}", out.body);
    assert!(
        out.set_cookies()
            .iter()
            .any(|c| c.starts_with("tgscope_session=;") && c.contains("Max-Age=0"))
    );
    assert_eq!(browser.get("/search?q=harbor").status, 401);
}

#[test]
fn a_reader_cannot_ingest_edit_narratives_or_manage_accounts() {
    let Some(server) = team_server() else { return };
    let reader = sign_in(server.addr, READER);
    let (_, secret) = new_token(&reader, "reader's script");
    // What a reader may do.
    assert_eq!(reader.get("/search?q=harbor").status, 200);
    let csv = http(
        server.addr,
        "GET",
        "/api/v1/search?q=harbor&format=csv",
        &[("Authorization", &bearer(&secret))],
        b"",
    );
    assert_eq!(csv.status, 200, "{}", csv.body);
    // What it may not.
    for (path, fields) in [
        (
            "/narratives",
            vec![("name", "grain"), ("queries", "harbor")],
        ),
        (
            "/admin/users",
            vec![
                ("name", "mallory"),
                ("role", "admin"),
                ("password", "mallory's long password"),
            ],
        ),
        ("/admin/users/eddie/disable", vec![]),
    ] {
        let reply = reader.post(path, &fields);
        assert_eq!(reply.status, 403, "POST {path}: {}", reply.body);
        assert!(
            reply.body.contains("<code>forbidden</code>"),
            "{}",
            reply.body
        );
    }
    for path in ["/admin/users", "/admin/audit", "/ingest"] {
        assert_eq!(reader.get(path).status, 403, "GET {path}");
    }
    let upload = http(
        server.addr,
        "POST",
        "/api/v1/captures?name=more.jsonl",
        &[("Authorization", &bearer(&secret))],
        DUMP.as_bytes(),
    );
    assert_eq!(upload.status, 403, "{}", upload.body);
    assert_eq!(upload.json()["code"], "forbidden");
    let narrative = http(
        server.addr,
        "POST",
        "/api/v1/narratives",
        &[
            ("Authorization", &bearer(&secret)),
            ("Content-Type", "application/json"),
        ],
        br#"{"name": "grain", "queries": ["harbor"]}"#,
    );
    assert_eq!(narrative.status, 403);
    let audit = http(
        server.addr,
        "GET",
        "/api/v1/audit",
        &[("Authorization", &bearer(&secret))],
        b"",
    );
    assert_eq!(audit.status, 403);
    let archive =
        PgArchive::open(&server.url, server._tmp.path().join("check").as_path()).expect("archive");
    use tgscope_engine::archive::prelude::*;
    assert!(archive.narratives(true).expect("narratives").is_empty());
    assert_eq!(
        Team::over(&archive).list_users().expect("accounts").len(),
        3,
        "no account was added"
    );
}

#[test]
fn an_editor_adds_edits_and_removes_a_narrative_with_the_forms_and_the_csrf_token_is_required() {
    let Some(server) = team_server() else { return };
    let editor = sign_in(server.addr, EDITOR);
    let fields = [
        ("name", "harbor-alerts"),
        ("description", "Alerts about the harbor"),
        ("queries", "harbor alert\n#tides"),
    ];
    // Without its CSRF token, with another one, or from another site: refused.
    let missing = editor.post_raw("/narratives", &form(&fields));
    assert_eq!(missing.status, 403, "{}", missing.body);
    assert!(
        missing.body.contains("<code>csrf</code>"),
        "{}",
        missing.body
    );
    let mut wrong = fields.to_vec();
    wrong.push(("csrf", "0123456789abcdef"));
    assert_eq!(editor.post_raw("/narratives", &form(&wrong)).status, 403);
    let mut right = fields.to_vec();
    right.push(("csrf", &editor.csrf));
    let elsewhere = http(
        server.addr,
        "POST",
        "/narratives",
        &[
            ("Cookie", &editor.cookie),
            FORM,
            ("Origin", "https://elsewhere.example"),
        ],
        &form(&right),
    );
    assert_eq!(elsewhere.status, 403, "{}", elsewhere.body);
    // A multipart form is taken by the upload alone: elsewhere it carries no token checked.
    let multipart = http(
        server.addr,
        "POST",
        "/narratives",
        &[
            ("Cookie", &editor.cookie),
            ("Content-Type", "multipart/form-data; boundary=b"),
        ],
        b"--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--b--\r\n",
    );
    assert_eq!(multipart.status, 403, "{}", multipart.body);
    let check_dir = server._tmp.path().join("check");
    let archive = PgArchive::open(&server.url, &check_dir).expect("archive");
    use tgscope_engine::archive::prelude::*;
    assert!(archive.narratives(true).expect("narratives").is_empty());
    // With it: added, in the archive, on its page.
    let added = editor.post("/narratives", &fields);
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(added.header("location"), Some("/narratives/harbor-alerts"));
    let record = archive
        .narrative("harbor-alerts")
        .expect("read")
        .expect("the narrative is in the archive");
    assert_eq!(
        record.current().expect("version").queries,
        vec!["harbor alert".to_string(), "#tides".to_string()]
    );
    let page = editor.get("/narratives/harbor-alerts");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"narrative-edit-form\""));
    let edited = editor.post(
        "/narratives/harbor-alerts/edit",
        &[("description", "Harbor alerts"), ("queries", "harbor")],
    );
    assert_eq!(edited.status, 303, "{}", edited.body);
    let record = archive
        .narrative("harbor-alerts")
        .expect("read")
        .expect("kept");
    assert_eq!(record.versions.len(), 2);
    let removed = editor.post("/narratives/harbor-alerts/remove", &[]);
    assert_eq!(removed.status, 303, "{}", removed.body);
    let record = archive
        .narrative("harbor-alerts")
        .expect("read")
        .expect("kept");
    assert!(record.removed_at.is_some());
    // A reader sees no forms.
    let reader = sign_in(server.addr, READER);
    assert!(
        !reader
            .get("/narratives")
            .body
            .contains("narrative-add-form")
    );
}

#[test]
fn a_revoked_token_stops_working_at_once_and_a_disabled_account_too() {
    let Some(server) = team_server() else { return };
    let reader = sign_in(server.addr, READER);
    let (id, secret) = new_token(&reader, "nightly export");
    assert!(secret.starts_with("tgs_"));
    let channels = |secret: &str| {
        http(
            server.addr,
            "GET",
            "/api/v1/channels",
            &[("Authorization", &bearer(secret))],
            b"",
        )
        .status
    };
    assert_eq!(channels(&secret), 200);
    let revoked = reader.post(&format!("/account/tokens/{id}/revoke"), &[]);
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    assert_eq!(channels(&secret), 401, "the very next request");
    // Listed as revoked, never with its secret.
    let page = reader.get("/account");
    assert!(page.body.contains("revoked"));
    assert!(!page.body.contains(&secret));

    // An admin disables the reader: its session and its other tokens stop at once.
    let (_, second) = new_token(&reader, "second");
    assert_eq!(channels(&second), 200);
    let admin = sign_in(server.addr, ADMIN);
    let disabled = admin.post("/admin/users/rita/disable", &[]);
    assert_eq!(disabled.status, 303, "{}", disabled.body);
    assert_eq!(reader.get("/search?q=harbor").status, 401);
    assert_eq!(channels(&second), 401);
    assert_eq!(try_sign_in(server.addr, READER.0, READER.2).status, 401);
    // Enabled again: it signs in again (its old session stays ended).
    assert_eq!(admin.post("/admin/users/rita/enable", &[]).status, 303);
    assert_eq!(reader.get("/").status, 401);
    assert_eq!(try_sign_in(server.addr, READER.0, READER.2).status, 303);
}

#[test]
fn every_change_and_export_is_in_the_audit_log_and_no_secret_is_stored_in_clear() {
    let Some(server) = team_server() else { return };
    let admin = sign_in(server.addr, ADMIN);
    let editor = sign_in(server.addr, EDITOR);
    let added = admin.post(
        "/admin/users",
        &[
            ("name", "newcomer"),
            ("role", "reader"),
            ("password", "newcomer's fresh passphrase"),
        ],
    );
    assert_eq!(added.status, 303, "{}", added.body);
    let short = admin.post(
        "/admin/users",
        &[
            ("name", "shorty"),
            ("role", "reader"),
            ("password", "short"),
        ],
    );
    assert_eq!(short.status, 400);
    assert!(short.body.contains("at least 12"), "{}", short.body);
    assert_eq!(admin.post("/admin/users/newcomer/disable", &[]).status, 303);
    let own = admin.post("/admin/users/ada/disable", &[]);
    assert_eq!(
        own.status, 400,
        "an admin does not lock themselves out: {}",
        own.body
    );
    let (token_id, secret) = new_token(&editor, "uploads");
    assert_eq!(
        editor
            .post("/narratives", &[("name", "tides"), ("queries", "#tides")])
            .status,
        303
    );
    let upload = http(
        server.addr,
        "POST",
        "/api/v1/captures?name=later.jsonl",
        &[("Authorization", &bearer(&secret))],
        DUMP.replace("harbor alert", "harbor warning").as_bytes(),
    );
    assert_eq!(upload.status, 201, "{}", upload.body);
    assert_eq!(upload.json()["posts_updated"], 1, "{}", upload.body);
    let csv = editor.get("/api/v1/channels?format=csv");
    assert_eq!(csv.status, 200, "{}", csv.body);
    let post = editor.get("/api/v1/posts/1");
    assert_eq!(post.status, 200);
    let sha = upload.json()["sha256"].as_str().expect("sha").to_string();
    let raw = editor.get(&format!("/api/v1/captures/{sha}/raw"));
    assert_eq!(raw.status, 200, "{}", raw.body);
    assert!(raw.body.contains("harbor warning"));
    assert_eq!(
        editor
            .post(&format!("/account/tokens/{token_id}/revoke"), &[])
            .status,
        303
    );
    let out = editor.post("/sign-out", &[]);
    assert_eq!(out.status, 303);

    let log = admin.get("/api/v1/audit?limit=50");
    assert_eq!(log.status, 200, "{}", log.body);
    let entries = log.json()["entries"].as_array().expect("entries").clone();
    let find = |actor: &str, action: &str| {
        entries
            .iter()
            .find(|e| e["actor"] == actor && e["action"] == action)
            .unwrap_or_else(|| panic!("no {action} by {actor} in {entries:#?}"))
            .clone()
    };
    assert_eq!(find("cli:test", "user.add")["details"]["account"], "rita");
    assert_eq!(find("ada", "user.add")["details"]["account"], "newcomer");
    assert_eq!(
        find("ada", "user.disable")["details"]["account"],
        "newcomer"
    );
    assert_eq!(find("eddie", "token.create")["details"]["name"], "uploads");
    assert_eq!(
        find("eddie", "token.revoke")["details"]["token_id"],
        token_id
    );
    assert_eq!(
        find("eddie", "narrative.add")["details"]["narrative"],
        "tides"
    );
    let ingest = find("eddie", "ingest");
    assert_eq!(ingest["details"]["file"], "later.jsonl");
    assert_eq!(ingest["details"]["sha256"], sha.as_str());
    let exports: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "export" && e["actor"] == "eddie")
        .collect();
    assert!(exports.iter().any(
        |e| e["details"]["path"] == "/api/v1/channels" && e["details"]["query"] == "format=csv"
    ));
    assert!(
        exports
            .iter()
            .any(|e| e["details"]["path"] == format!("/api/v1/captures/{sha}/raw"))
    );
    assert!(
        !exports
            .iter()
            .any(|e| e["details"]["path"] == "/api/v1/posts/1"),
        "a read is not an export"
    );
    find("eddie", "session.start");
    find("eddie", "session.end");
    // Newest first, with their ids and times.
    let ids: Vec<i64> = entries
        .iter()
        .map(|e| e["id"].as_i64().expect("id"))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    let page = admin.get("/admin/audit");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("narrative.add"));
    let older = admin.get("/api/v1/audit?limit=2");
    assert_eq!(older.json()["entries"].as_array().map(Vec::len), Some(2));
    let before = older.json()["next_before"].as_i64().expect("more entries");
    let next = admin.get(&format!("/api/v1/audit?limit=2&before={before}"));
    assert!(
        next.json()["entries"][0]["id"].as_i64().expect("id") < before,
        "{}",
        next.body
    );

    // No password or token in clear: argon2id hashes, SHA-256 of tokens, nothing in the log.
    let mut db = ThrowawayServer::connect(&server.url).expect("connect");
    let secrets = [
        ADMIN.2,
        EDITOR.2,
        READER.2,
        "newcomer's fresh passphrase",
        secret.as_str(),
    ];
    for row in db
        .query("SELECT password_hash FROM accounts", &[])
        .expect("accounts")
    {
        let hash: String = row.get(0);
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
    }
    let dump: String = db
        .query_one(
            "SELECT (SELECT string_agg(a::text, ' ') FROM accounts a) || \
                    (SELECT string_agg(t::text, ' ') FROM api_tokens t) || \
                    (SELECT string_agg(l::text, ' ') FROM audit_log l) || \
                    COALESCE((SELECT string_agg(s::text, ' ') FROM sessions s), '')",
            &[],
        )
        .expect("tables")
        .get(0);
    for secret in secrets {
        assert!(!dump.contains(secret), "{secret} is stored in clear");
    }
    assert!(!log.body.contains(&secret));
}

#[test]
fn an_editor_uploads_a_capture_with_the_form_and_it_is_searchable() {
    let Some(server) = team_server() else { return };
    let editor = sign_in(server.addr, EDITOR);
    let page = editor.get("/ingest");
    assert_eq!(page.status, 200, "{}", page.body);
    let boundary = "tgscopeboundary42";
    let text = "Lighthouse keepers report fog over the fjord tonight.\n";
    let body = |csrf: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"channel\"\r\n\r\nfjord_news\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"fog.txt\"\r\n\
             Content-Type: text/plain\r\n\r\n{text}\r\n--{boundary}--\r\n"
        )
    };
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let refused = http(
        server.addr,
        "POST",
        "/ingest",
        &[("Cookie", &editor.cookie), ("Content-Type", &content_type)],
        body("not the token").as_bytes(),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    let done = http(
        server.addr,
        "POST",
        "/ingest",
        &[("Cookie", &editor.cookie), ("Content-Type", &content_type)],
        body(&editor.csrf).as_bytes(),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("1 new"), "{}", done.body);
    let found = editor.get("/api/v1/search?q=fjord");
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.json()["total"], 1, "{}", found.body);
    assert!(found.body.contains("fjord_news"), "{}", found.body);
    // Too large for the server's limit.
    let big = http(
        server.addr,
        "POST",
        "/api/v1/captures?name=big.txt",
        &[("Cookie", &editor.cookie), ("X-CSRF-Token", &editor.csrf)],
        &vec![b'a'; 2 * 1024 * 1024],
    );
    assert_eq!(big.status, 413, "{}", big.body);
}

#[tokio::test]
async fn the_embedded_archive_has_no_sign_in_and_no_routes_that_change_it() {
    let a = archive();
    let app = router(support::config(&a.dir));
    for (method, path) in [
        (Method::POST, "/narratives"),
        (Method::POST, "/api/v1/narratives"),
        (Method::POST, "/api/v1/captures"),
        (Method::DELETE, "/api/v1/narratives/x"),
    ] {
        let reply = send(&app, method.clone(), path, Vec::new()).await;
        assert_eq!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert!(reply.body.contains("every route is GET"), "{}", reply.body);
    }
    for path in [
        "/sign-in",
        "/account",
        "/admin/users",
        "/ingest",
        "/api/v1/audit",
        "/collect",
        "/api/v1/collections",
    ] {
        let reply = support::get(&app, path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
    }
    // Saved searches are the team's: the embedded archive says where they are.
    for path in [
        "/saved",
        "/api/v1/saved-searches",
        "/api/v1/saved-searches/x",
    ] {
        let reply = support::get(&app, path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            reply
                .body
                .contains("saved searches are kept only in team mode"),
            "{path}: {}",
            reply.body
        );
    }

    let home = support::get(&app, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("read-only view of the archive"));
    assert!(!home.body.contains("signed-in"));
    let doc = support::get(&app, "/api/openapi.json").await.json();
    assert!(doc["components"]["securitySchemes"].is_null());
    assert!(doc["paths"]["/api/v1/narratives"]["post"].is_null());
    assert!(doc["paths"]["/api/v1/saved-searches"].is_null());
}

#[test]
fn a_signed_in_reader_is_answered_on_every_route_it_may_read() {
    let Some(server) = team_server() else { return };
    let reader = sign_in(server.addr, READER);
    let (_, secret) = new_token(&reader, "every route");
    // Editors' pages and routes (ingest, collect) and admins' are not a reader's.
    for (method, path) in PAGE_ROUTES.iter().filter(|(m, p)| {
        *m == "GET"
            && !p.starts_with("/admin")
            && !["/ingest", "/collect", "/nothing/here"].contains(p)
    }) {
        let reply = reader.get(path);
        assert!(
            reply.status < 500 && reply.status != 401 && reply.status != 403,
            "{method} {path}: {} {}",
            reply.status,
            reply.body
        );
    }
    for (method, path) in api_routes() {
        if method != "GET" || path == "/api/v1/audit" || path == "/api/v1/collections" {
            continue;
        }
        let reply = http(
            server.addr,
            "GET",
            &path,
            &[("Authorization", &bearer(&secret))],
            b"",
        );
        assert!(
            reply.status < 500 && reply.status != 401 && reply.status != 403,
            "GET {path}: {} {}",
            reply.status,
            reply.body
        );
    }
    let home = reader.get("/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("harbor_notes"), "{}", home.body);
    assert!(home.body.contains("the team's archive"), "{}", home.body);
}

/// The error the sign-in form shows.
fn sign_in_error(reply: &Reply) -> String {
    let marker = "id=\"sign-in-error\"";
    let start = reply
        .body
        .find(marker)
        .unwrap_or_else(|| panic!("no error shown: {}", reply.body));
    let rest = &reply.body[start..];
    let from = rest.find('>').expect("end of tag") + 1;
    let to = rest[from..].find('<').expect("end of text") + from;
    rest[from..to].to_string()
}

#[test]
fn failed_sign_ins_are_limited_per_name_and_per_address() {
    let window = Duration::from_secs(10);
    let Some(server) = team_server_with(|config| {
        config.sign_in_limits = SignInLimits {
            per_name: 5,
            per_address: 8,
            window,
        };
    }) else {
        return;
    };
    let addr = server.addr;
    let wrong = "not the right passphrase";
    // Five failures of a name: each an ordinary failure.
    for _ in 0..5 {
        let reply = try_sign_in_from(addr, Some("198.51.100.1"), READER.0, wrong);
        assert_eq!(reply.status, 401, "{}", reply.body);
    }
    // The sixth try, with the right password and from another address: refused unchecked.
    let locked = try_sign_in_from(addr, Some("198.51.100.2"), READER.0, READER.2);
    let locked_at = std::time::Instant::now();
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert!(locked.cookie("tgscope_session").is_none());
    let retry_after: u64 = locked
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!(
        (1..=window.as_secs()).contains(&retry_after),
        "{retry_after}"
    );
    let message = sign_in_error(&locked);
    assert!(message.contains("Too many failed sign-ins"), "{message}");
    assert!(!message.contains("password is wrong"), "{message}");
    // A name no account has is locked out the same way, with the same words.
    for _ in 0..5 {
        let reply = try_sign_in_from(addr, Some("198.51.100.3"), "nobody", wrong);
        assert_eq!(reply.status, 401, "{}", reply.body);
    }
    let nobody = try_sign_in_from(addr, Some("198.51.100.3"), "nobody", wrong);
    assert_eq!(nobody.status, 429);
    let minutes = |m: &str| m.split(" Try again").next().unwrap_or_default().to_string();
    assert_eq!(minutes(&sign_in_error(&nobody)), minutes(&message));
    // Another name still signs in, even from the address the failures came from.
    let other = try_sign_in_from(addr, Some("198.51.100.1"), EDITOR.0, EDITOR.2);
    assert_eq!(other.status, 303, "{}", other.body);

    // An address: failures of many names lock it out, for every name; other addresses not.
    for i in 0..8 {
        let reply = try_sign_in_from(addr, Some("198.51.100.4"), &format!("guess{i}"), wrong);
        assert_eq!(reply.status, 401, "{}", reply.body);
    }
    let from_locked = try_sign_in_from(addr, Some("198.51.100.4"), EDITOR.0, EDITOR.2);
    assert_eq!(from_locked.status, 429, "{}", from_locked.body);
    assert!(from_locked.header("retry-after").is_some());
    let elsewhere = try_sign_in_from(addr, Some("198.51.100.5"), EDITOR.0, EDITOR.2);
    assert_eq!(elsewhere.status, 303, "{}", elsewhere.body);

    // A success clears the name's failures: four, a success, four more still sign in.
    for round in 0..2 {
        let client = format!("198.51.100.{}", 10 + round);
        for _ in 0..4 {
            let reply = try_sign_in_from(addr, Some(&client), ADMIN.0, wrong);
            assert_eq!(reply.status, 401, "{}", reply.body);
        }
        let reply = try_sign_in_from(addr, Some(&client), ADMIN.0, ADMIN.2);
        assert_eq!(reply.status, 303, "round {round}: {}", reply.body);
    }

    // Each lock-out is in the audit log once, with the name and never a password.
    let admin = sign_in(addr, ADMIN);
    let log = admin.get("/api/v1/audit?limit=50");
    assert_eq!(log.status, 200, "{}", log.body);
    let entries = log.json()["entries"].as_array().expect("entries").clone();
    let locks: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "sign_in.locked")
        .collect();
    let of = |limit: &str, key: &str, value: &str| {
        locks
            .iter()
            .filter(|e| e["details"]["limit"] == limit && e["details"][key] == value)
            .count()
    };
    assert_eq!(of("name", "name", "rita"), 1, "{locks:#?}");
    assert_eq!(of("name", "name", "nobody"), 1, "{locks:#?}");
    assert_eq!(of("address", "address", "198.51.100.4"), 1, "{locks:#?}");
    assert_eq!(locks.len(), 3, "{locks:#?}");
    assert!(locks.iter().all(|e| e["account_id"].is_null()));
    assert!(!log.body.contains(wrong) && !log.body.contains(READER.2));

    // After the window the name signs in again.
    std::thread::sleep(Duration::from_secs(retry_after + 1).saturating_sub(locked_at.elapsed()));
    let again = try_sign_in_from(addr, Some("198.51.100.2"), READER.0, READER.2);
    assert_eq!(again.status, 303, "{}", again.body);
}

/// The `href` of the first element of the page whose class is `class`, unescaped.
fn href_of_class(body: &str, class: &str) -> String {
    let marker = format!("class=\"{class}\" href=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {class} in {body}"))
        + marker.len();
    let end = body[start..].find('"').expect("closing quote") + start;
    body[start..end]
        .replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

#[test]
fn editors_save_searches_everyone_reads_them_and_every_change_is_audited() {
    let Some(server) = team_server() else { return };
    let editor = sign_in(server.addr, EDITOR);
    let reader = sign_in(server.addr, READER);
    // Beside an editor's results, the form that saves the search (its query string, the
    // page of results left out); a reader's results have none.
    let search = editor.get("/search?q=harbor&tag=tides&cursor=");
    assert_eq!(search.status, 200, "{}", search.body);
    assert!(search.body.contains("<p id=\"total\">2 posts match</p>"));
    assert!(search.body.contains("id=\"save-search-form\""));
    assert!(
        search
            .body
            .contains("name=\"query\" value=\"q=harbor&#38;tag=tides\""),
        "{}",
        search.body
    );
    assert!(
        !reader
            .get("/search?q=harbor&tag=tides")
            .body
            .contains("save-search-form")
    );
    // Saved with that form.
    let saved = editor.post(
        "/saved",
        &[
            ("name", "Harbor tides"),
            ("query", "q=harbor&tag=tides"),
            ("note", "tide alerts in port"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(saved.header("location"), Some("/saved"));

    // Everyone reads it: a link to the same search, and to its feed.
    let list = reader.get("/saved");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("Harbor tides"), "{}", list.body);
    assert!(list.body.contains("tide alerts in port"));
    assert!(
        !list.body.contains("saved-add-form"),
        "a reader sees no forms"
    );
    assert!(!list.body.contains("saved-delete-form"));
    let link = href_of_class(&list.body, "saved-link");
    assert_eq!(link, "/search?q=harbor&tag=tides");
    let again = reader.get(&link);
    assert!(again.body.contains("<p id=\"total\">2 posts match</p>"));
    let feed = href_of_class(&list.body, "saved-feed");
    assert!(feed.starts_with("/feeds/search.atom?q="), "{feed}");
    let atom = reader.get(&feed);
    assert_eq!(atom.status, 200, "{}", atom.body);
    assert_eq!(atom.body.matches("<entry>").count(), 2, "{}", atom.body);
    assert!(editor.get("/saved").body.contains("saved-add-form"));

    // The API: readers list and read; only editors change.
    let (_, reader_token) = new_token(&reader, "reader's script");
    let (_, editor_token) = new_token(&editor, "editor's script");
    let api = |method: &str, path: &str, token: &str, body: &str| {
        http(
            server.addr,
            method,
            path,
            &[
                ("Authorization", &bearer(token)),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        )
    };
    let listed = api("GET", "/api/v1/saved-searches", &reader_token, "");
    assert_eq!(listed.status, 200, "{}", listed.body);
    let first = &listed.json()[0];
    assert_eq!(first["name"], "Harbor tides");
    assert_eq!(first["query"], "q=harbor&tag=tides");
    assert_eq!(first["search"], "harbor tag:\"tides\"");
    assert_eq!(first["search_url"], "/search?q=harbor&tag=tides");
    assert_eq!(first["feed_url"].as_str(), Some(feed.as_str()));
    assert_eq!(first["created_by"], "eddie");
    let results = api(
        "GET",
        first["api_url"].as_str().expect("api_url"),
        &reader_token,
        "",
    );
    assert_eq!(results.json()["total"], 2, "{}", results.body);
    let one = api(
        "GET",
        "/api/v1/saved-searches/HARBOR%20TIDES",
        &reader_token,
        "",
    );
    assert_eq!(one.status, 200, "any case: {}", one.body);
    let new = r#"{"name": "Oslo", "query": "q=oslo", "note": ""}"#;
    let refused = api("POST", "/api/v1/saved-searches", &reader_token, new);
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.json()["code"], "forbidden");
    assert_eq!(
        reader
            .post("/saved", &[("name", "x"), ("query", "q=x")])
            .status,
        403
    );
    assert_eq!(
        api(
            "DELETE",
            "/api/v1/saved-searches/harbor%20tides",
            &reader_token,
            ""
        )
        .status,
        403
    );
    // An editor adds one; a name taken (whatever its case) is a conflict; what the search
    // page would refuse is refused.
    let added = api("POST", "/api/v1/saved-searches", &editor_token, new);
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(added.json()["search_url"], "/search?q=oslo");
    let taken = api(
        "POST",
        "/api/v1/saved-searches",
        &editor_token,
        r#"{"name": "harbor TIDES", "query": "q=x"}"#,
    );
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert_eq!(taken.json()["code"], "conflict");
    for (body, code) in [
        (r#"{"name": "bad", "query": "q=%22unclosed"}"#, "bad_query"),
        (r#"{"name": "bad", "query": "q=x&page=2"}"#, "bad_request"),
        (
            r#"{"name": "bad", "query": "q=x&since=March"}"#,
            "bad_request",
        ),
        (r#"{"name": "", "query": "q=x"}"#, "bad_request"),
        (r#"{"name": "a/b", "query": "q=x"}"#, "bad_request"),
    ] {
        let reply = api("POST", "/api/v1/saved-searches", &editor_token, body);
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
        assert_eq!(reply.json()["code"], code, "{body}");
    }
    let edited = api(
        "PUT",
        "/api/v1/saved-searches/oslo",
        &editor_token,
        r#"{"note": "the Oslo table"}"#,
    );
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.json()["note"], "the Oslo table");
    assert_eq!(edited.json()["query"], "q=oslo", "what is left out is kept");
    // The forms: edit and delete, each with the session's CSRF token.
    let no_token = editor.post_raw(
        "/saved/Harbor%20tides/delete",
        &form(&[("csrf", "not the token")]),
    );
    assert_eq!(no_token.status, 403, "{}", no_token.body);
    let edit = editor.post(
        "/saved/Harbor%20tides/edit",
        &[
            ("query", "/search?q=harbor&sort=date"),
            ("note", "newest first"),
        ],
    );
    assert_eq!(edit.status, 303, "{}", edit.body);
    let one = api(
        "GET",
        "/api/v1/saved-searches/harbor%20tides",
        &editor_token,
        "",
    );
    assert_eq!(one.json()["query"], "q=harbor&sort=date", "{}", one.body);
    assert_eq!(one.json()["note"], "newest first");
    let bad_edit = editor.post("/saved/Harbor%20tides/edit", &[("query", "q=x&by=year")]);
    assert_eq!(bad_edit.status, 400, "{}", bad_edit.body);
    assert!(
        bad_edit.body.contains("id=\"saved-error\""),
        "{}",
        bad_edit.body
    );
    let deleted = editor.post("/saved/Harbor%20tides/delete", &[]);
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    let gone = api(
        "GET",
        "/api/v1/saved-searches/harbor%20tides",
        &editor_token,
        "",
    );
    assert_eq!(gone.status, 404, "{}", gone.body);
    let removed = api("DELETE", "/api/v1/saved-searches/oslo", &editor_token, "");
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(removed.json()["name"], "Oslo");
    assert_eq!(
        api("DELETE", "/api/v1/saved-searches/oslo", &editor_token, "").status,
        404
    );
    assert!(reader.get("/saved").body.contains("id=\"saved-none\""));

    // Every change is in the audit log, by whom.
    let admin = sign_in(server.addr, ADMIN);
    let log = admin.get("/api/v1/audit?limit=50").json();
    let entries = log["entries"].as_array().expect("entries");
    let actions: Vec<(String, String)> = entries
        .iter()
        .filter(|e| {
            e["action"]
                .as_str()
                .is_some_and(|a| a.starts_with("saved_search."))
        })
        .map(|e| {
            assert_eq!(e["actor"], "eddie");
            (
                e["action"].as_str().unwrap_or_default().to_string(),
                e["details"]["saved_search"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .rev()
        .collect();
    let expected: Vec<(String, String)> = [
        ("saved_search.add", "Harbor tides"),
        ("saved_search.add", "Oslo"),
        ("saved_search.edit", "Oslo"),
        ("saved_search.edit", "Harbor tides"),
        ("saved_search.delete", "Harbor tides"),
        ("saved_search.delete", "Oslo"),
    ]
    .iter()
    .map(|(a, n)| (a.to_string(), n.to_string()))
    .collect();
    assert_eq!(actions, expected);
}

#[path = "../../../collect/tests/server/mod.rs"]
#[allow(dead_code)]
mod tme_stub;

/// Waits until this server's collection `id` has ended; the listing then.
fn collection_ended(addr: SocketAddr, token: &str, id: u64) -> (Value, Value) {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let listed = http(
            addr,
            "GET",
            "/api/v1/collections",
            &[("Authorization", &bearer(token))],
            b"",
        );
        assert_eq!(listed.status, 200, "{}", listed.body);
        let all = listed.json();
        let job = all["collections"]
            .as_array()
            .expect("collections")
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("collection {id} is listed: {all:#}"))
            .clone();
        if job["status"] == "finished" || job["status"] == "failed" {
            return (job, all);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "collection {id} did not end: {job:#}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn an_editor_collects_a_channel_in_the_background_and_a_reader_may_not() {
    use tme_stub::{Answer, Post, channel_page};
    // A stand-in for t.me on loopback: two pages of a channel.
    let stub = tme_stub::Server::start();
    let posts: Vec<Post> = (1..=6)
        .map(|id| Post::new(id, &format!("Lighthouse log {id}: calm seas")))
        .collect();
    let page = |posts: &[Post], more| {
        vec![Answer::page(channel_page(
            "lighthouse_log",
            "Lighthouse Log",
            posts,
            more,
        ))]
    };
    stub.route("/s/lighthouse_log", page(&posts[3..], Some(4)));
    stub.route("/s/lighthouse_log?before=4", page(&posts[..3], Some(1)));
    let base = stub.base.clone();
    let Some(server) = team_server_with(|config| {
        config.collect_base_url = base;
        config.collect_policy = FetchPolicy {
            // A pause between the two pages keeps the first collection running while the
            // test asks for a second.
            delay: Duration::from_millis(1500),
            retries: 0,
            backoff: Duration::from_millis(10),
            timeout: Duration::from_secs(20),
            ..FetchPolicy::default()
        };
    }) else {
        return;
    };
    let addr = server.addr;
    let editor = sign_in(addr, EDITOR);
    let reader = sign_in(addr, READER);
    let (_, editor_token) = new_token(&editor, "collector");
    let (_, reader_token) = new_token(&reader, "reader");
    let start = |token: &str, body: &str| {
        http(
            addr,
            "POST",
            "/api/v1/collections",
            &[
                ("Authorization", &bearer(token)),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        )
    };
    // Readers do not collect, nor see the collections.
    let refused = start(&reader_token, r#"{"channel": "lighthouse_log"}"#);
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.json()["code"], "forbidden");
    assert_eq!(reader.get("/collect").status, 403);
    assert!(!reader.get("/").body.contains("href=\"/collect\""));
    // What `tgscope collect` would refuse is refused.
    for body in [
        r#"{"channel": "a b"}"#,
        r#"{"channel": "lighthouse_log", "since": "March"}"#,
        r#"{"channel": "lighthouse_log", "max_pages": 0}"#,
        r#"{"name": "lighthouse_log"}"#,
    ] {
        let reply = start(&editor_token, body);
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
        assert_eq!(reply.json()["code"], "bad_request", "{body}");
    }
    // An editor starts one: it runs in the background.
    let started = start(&editor_token, r#"{"channel": "@lighthouse_log"}"#);
    assert_eq!(started.status, 202, "{}", started.body);
    let job = started.json();
    assert_eq!(job["channel"], "lighthouse_log");
    assert_eq!(job["started_by"], "eddie");
    let id = job["id"].as_u64().expect("id");
    // A second start of the same channel while it runs, under another spelling: 409.
    let twice = start(
        &editor_token,
        r#"{"channel": "https://t.me/s/Lighthouse_Log"}"#,
    );
    assert_eq!(twice.status, 409, "{}", twice.body);
    assert_eq!(twice.json()["code"], "conflict");
    let running = editor.get("/collect");
    assert_eq!(running.status, 200, "{}", running.body);
    assert!(running.body.contains("id=\"collect-form\""));
    assert!(running.body.contains("lighthouse_log"), "{}", running.body);

    let (job, all) = collection_ended(addr, &editor_token, id);
    assert_eq!(job["status"], "finished", "{job:#}");
    assert_eq!(job["pages"], 2, "{job:#}");
    assert_eq!(job["posts_new"], 6, "{job:#}");
    assert_eq!(job["stop"], "reached_beginning");
    let run_id = job["run_id"].as_i64().expect("the archive's run");
    let run = all["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .find(|r| r["id"] == run_id)
        .unwrap_or_else(|| panic!("run {run_id} in {all:#}"));
    assert_eq!(run["status"], "finished");
    assert_eq!(run["pages"], 2);
    assert_eq!(run["outcome"], "reached_beginning");
    assert_eq!(run["base_url"], stub.base.as_str());
    // Only the stand-in was asked, page by page.
    assert_eq!(
        stub.requests(),
        vec!["/s/lighthouse_log", "/s/lighthouse_log?before=4"]
    );
    // The posts are archived and searchable.
    let found = editor.get("/api/v1/search?q=lighthouse");
    assert_eq!(found.json()["total"], 6, "{}", found.body);

    // The form: with the session's CSRF token only; again, it stops at the posts archived.
    let no_token = editor.post_raw("/collect", &form(&[("channel", "lighthouse_log")]));
    assert_eq!(no_token.status, 403, "{}", no_token.body);
    let again = editor.post(
        "/collect",
        &[("channel", "lighthouse_log"), ("max_pages", "3")],
    );
    assert_eq!(again.status, 303, "{}", again.body);
    assert_eq!(again.header("location"), Some("/collect"));
    let (second, _) = collection_ended(addr, &editor_token, id + 1);
    assert_eq!(second["status"], "finished", "{second:#}");
    assert_eq!(second["max_pages"], 3);
    assert_eq!(second["posts_new"], 0);
    assert_eq!(second["stop"], "reached_archived");
    // A channel the site does not serve: the collection fails and says why.
    let missing = start(&editor_token, r#"{"channel": "missing_chan"}"#);
    assert_eq!(missing.status, 202, "{}", missing.body);
    let (failed, _) = collection_ended(addr, &editor_token, id + 2);
    assert_eq!(failed["status"], "failed", "{failed:#}");
    assert!(
        failed["error"].as_str().is_some_and(|e| e.contains("404")),
        "{failed:#}"
    );

    // Each collection is in the audit log, with its channel, pages and new posts.
    let admin = sign_in(addr, ADMIN);
    let log = admin.get("/api/v1/audit?limit=50").json();
    let collects: Vec<&Value> = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "collect")
        .rev()
        .collect();
    assert_eq!(collects.len(), 3, "{collects:#?}");
    assert!(collects.iter().all(|e| e["actor"] == "eddie"));
    let first = &collects[0]["details"];
    assert_eq!(first["channel"], "lighthouse_log");
    assert_eq!(first["pages"], 2);
    assert_eq!(first["posts_new"], 6);
    assert_eq!(first["run"], run_id);
    assert_eq!(collects[1]["details"]["max_pages"], 3);
    assert_eq!(collects[2]["details"]["channel"], "missing_chan");
    assert!(collects[2]["details"]["error"].is_string());
    // Each was also written when it started, before its end.
    let entries: Vec<&Value> = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .rev()
        .collect();
    let order: Vec<(String, String)> = entries
        .iter()
        .filter(|e| e["action"] == "collect" || e["action"] == "collect.start")
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_string(),
                e["details"]["channel"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(order.len(), 6, "{order:?}");
    for pair in order.chunks(2) {
        assert_eq!(pair[0].0, "collect.start", "{order:?}");
        assert_eq!(pair[1].0, "collect", "{order:?}");
        assert_eq!(pair[0].1, pair[1].1, "{order:?}");
    }
}
