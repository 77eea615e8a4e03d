//! `tgscope user` on the archive in PostgreSQL: accounts added (the password from stdin only),
//! listed, disabled and enabled; API tokens created (the secret printed once), listed and
//! revoked; every change in the audit log with the actor `cli:<user>`; and `tgscope serve
//! --database`, which requires sign-in and never writes a password to its log. Each test gets
//! a fresh database on a throwaway PostgreSQL server (skipped, with a message, when PostgreSQL
//! is not installed and `TGSCOPE_REQUIRE_POSTGRES` is unset).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::{Archive, fixture, stderr, stdout, tgscope};

const PASSWORD: &str = "correct horse battery staple";

/// `tgscope --database URL --archive DIR user ARGS`, with `stdin` as its input.
fn user(url: &str, a: &Archive, args: &[&str], stdin: &str) -> Output {
    tgscope()
        .env("USER", "tester")
        .arg("--database")
        .arg(url)
        .arg("--archive")
        .arg(&a.dir)
        .arg("user")
        .args(args)
        .write_stdin(stdin.as_bytes().to_vec())
        .output()
        .expect("tgscope runs")
}

/// [`user`] that must succeed; its stdout.
fn user_ok(url: &str, a: &Archive, args: &[&str], stdin: &str) -> String {
    let out = user(url, a, args, stdin);
    assert!(
        out.status.success(),
        "tgscope user {args:?} failed:\n{}",
        stderr(&out)
    );
    stdout(&out)
}

/// The audit log, oldest first: actor, action and details (as JSON text) of each entry.
fn audit_log(url: &str) -> Vec<(String, String, String)> {
    let mut db = tgscope_postgres::testing::ThrowawayServer::connect(url).expect("connect");
    db.query(
        "SELECT actor, action, details::text FROM audit_log ORDER BY id",
        &[],
    )
    .expect("audit log")
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

fn database() -> Option<String> {
    tgscope_postgres::testing::database().expect("a throwaway PostgreSQL")
}

#[test]
fn accounts_and_tokens_are_managed_from_the_command_line_and_audited() {
    let Some(url) = database() else { return };
    let a = Archive::new();
    let added = user_ok(
        &url,
        &a,
        &["add", "ana", "--role", "editor", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(added.contains("added ana (editor)"), "{added}");
    user_ok(
        &url,
        &a,
        &["add", "bo", "--role", "reader", "--password-stdin"],
        "bo's own long password",
    );
    // A name taken, a short password, a password not from stdin: refused, nothing added.
    let taken = user(
        &url,
        &a,
        &["add", "ana", "--role", "admin", "--password-stdin"],
        "another long password",
    );
    assert_eq!(taken.status.code(), Some(3), "{}", stderr(&taken));
    assert!(stderr(&taken).contains("an account called \"ana\" exists"));
    let short = user(
        &url,
        &a,
        &["add", "cy", "--role", "reader", "--password-stdin"],
        "short",
    );
    assert_eq!(short.status.code(), Some(3));
    assert!(
        stderr(&short).contains("at least 12 are needed"),
        "{}",
        stderr(&short)
    );
    let no_stdin = user(&url, &a, &["add", "cy", "--role", "reader"], PASSWORD);
    assert!(!no_stdin.status.success());
    assert!(
        stderr(&no_stdin).contains("--password-stdin"),
        "{}",
        stderr(&no_stdin)
    );
    let with_argument = user(
        &url,
        &a,
        &["add", "cy", "--role", "reader", "--password", PASSWORD],
        "",
    );
    assert_eq!(
        with_argument.status.code(),
        Some(2),
        "no password argument exists"
    );

    let list: Value =
        serde_json::from_str(&user_ok(&url, &a, &["list", "--format", "json"], "")).expect("JSON");
    let names: Vec<&str> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|u| u["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["ana", "bo"]);
    assert_eq!(list[0]["role"], "editor");
    assert_eq!(list[0]["disabled"], false);
    assert!(list[0].get("password_hash").is_none());
    let table = user_ok(&url, &a, &["list"], "");
    assert!(table.contains("ana") && table.contains("editor") && table.contains("enabled"));

    // A token: the secret printed once, on stdout alone.
    let secret = user_ok(
        &url,
        &a,
        &["token", "create", "ana", "--name", "nightly export"],
        "",
    );
    let secret = secret.trim().to_string();
    assert!(secret.starts_with("tgs_") && secret.len() == 68, "{secret}");
    let tokens: Value = serde_json::from_str(&user_ok(
        &url,
        &a,
        &["token", "list", "ana", "--format", "json"],
        "",
    ))
    .expect("JSON");
    assert_eq!(tokens[0]["name"], "nightly export");
    assert!(tokens[0]["revoked_at"].is_null());
    let id = tokens[0]["id"].as_i64().expect("id").to_string();
    assert!(!user_ok(&url, &a, &["token", "list", "ana"], "").contains(&secret));
    // Revoked by its owner's name only.
    let wrong_owner = user(&url, &a, &["token", "revoke", "bo", &id], "");
    assert_eq!(
        wrong_owner.status.code(),
        Some(4),
        "{}",
        stderr(&wrong_owner)
    );
    user_ok(&url, &a, &["token", "revoke", "ana", &id], "");
    let tokens: Value = serde_json::from_str(&user_ok(
        &url,
        &a,
        &["token", "list", "ana", "--format", "json"],
        "",
    ))
    .expect("JSON");
    assert!(tokens[0]["revoked_at"].is_string());

    let disabled = user_ok(&url, &a, &["disable", "bo"], "");
    assert!(disabled.contains("disabled bo"), "{disabled}");
    let list: Value =
        serde_json::from_str(&user_ok(&url, &a, &["list", "--format", "json"], "")).expect("JSON");
    assert_eq!(list[1]["disabled"], true);
    let missing = user(&url, &a, &["disable", "nobody"], "");
    assert_eq!(missing.status.code(), Some(4));

    // The audit log: every change, by cli:tester, never a password or token.
    let log = audit_log(&url);
    let actions: Vec<&str> = log.iter().map(|(_, action, _)| action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.add",
            "user.add",
            "token.create",
            "token.revoke",
            "user.disable"
        ]
    );
    assert!(
        log.iter().all(|(actor, _, _)| actor == "cli:tester"),
        "{log:?}"
    );
    let everything = format!("{log:?}");
    assert!(!everything.contains(PASSWORD) && !everything.contains(&secret));
    let mut db = tgscope_postgres::testing::ThrowawayServer::connect(&url).expect("connect");
    let hash: String = db
        .query_one("SELECT password_hash FROM accounts WHERE name = 'ana'", &[])
        .expect("account")
        .get(0);
    assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
}

#[test]
fn accounts_need_the_archive_in_postgresql() {
    let a = Archive::new();
    let out = a
        .cmd(["user", "add", "ana", "--role", "admin", "--password-stdin"])
        .write_stdin(PASSWORD)
        .output()
        .expect("tgscope runs");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("accounts exist only in team mode (--database postgres://...)"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(PASSWORD));
}

/// A running `tgscope serve`, stopped when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A request over a new connection; the status and the whole response.
fn http(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let host = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, response)
}

/// The value a `Set-Cookie` of a response gives the cookie `name`.
fn set_cookie(response: &str, name: &str) -> Option<String> {
    response.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        if !k.eq_ignore_ascii_case("set-cookie") {
            return None;
        }
        let pair = v.trim().split(';').next()?;
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

#[test]
fn serve_on_postgresql_requires_sign_in_and_never_logs_a_password() {
    let Some(url) = database() else { return };
    let a = Archive::new();
    let ingested = tgscope()
        .arg("--database")
        .arg(&url)
        .arg("--archive")
        .arg(&a.dir)
        .args(["ingest", "--channel", "mid_ru"])
        .arg(fixture("desktop-ru.txt"))
        .output()
        .expect("tgscope runs");
    assert!(ingested.status.success(), "{}", stderr(&ingested));
    user_ok(
        &url,
        &a,
        &["add", "ana", "--role", "reader", "--password-stdin"],
        PASSWORD,
    );
    let secret = user_ok(
        &url,
        &a,
        &["token", "create", "ana", "--name", "script"],
        "",
    );
    let secret = secret.trim();

    let log = a.path("serve.log");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tgscope"))
        .env_remove("RUST_LOG")
        .arg("--database")
        .arg(&url)
        .arg("--archive")
        .arg(a.path("server-folder"))
        .args(["-vv", "serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("serve starts");
    let out = child.stdout.take().expect("stdout");
    let running = Running(child);
    let mut first = String::new();
    BufReader::new(out)
        .read_line(&mut first)
        .expect("the address line");
    let base = first.trim().trim_end_matches('/').to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{first}");

    let (status, body) = http(&base, "GET", "/", &[], "");
    assert_eq!(status, 401, "{body}");
    let (status, body) = http(&base, "GET", "/api/v1/channels", &[], "");
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("\"code\":\"unauthorized\""), "{body}");
    // The token made on the command line opens the API; its own server folder has its index.
    let (status, body) = http(
        &base,
        "GET",
        &format!(
            "/api/v1/search?q={}",
            form_urlencoded::byte_serialize("министр".as_bytes()).collect::<String>()
        ),
        &[("Authorization", &format!("Bearer {secret}"))],
        "",
    );
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains("\"total\":0"), "{body}");
    // Signing in with the form.
    let (status, page) = http(&base, "GET", "/sign-in", &[], "");
    assert_eq!(status, 200);
    let form_cookie = set_cookie(&page, "tgscope_sign_in").expect("the form's cookie");
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).expect("csrf field") + marker.len();
    let csrf = &page[start..start + 64];
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("name", "ana"),
            ("password", PASSWORD),
            ("csrf", csrf),
            ("next", "/"),
        ])
        .finish();
    let (status, response) = http(
        &base,
        "POST",
        "/sign-in",
        &[
            ("Cookie", &format!("tgscope_sign_in={form_cookie}")),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &body,
    );
    assert_eq!(status, 303, "{response}");
    let session = set_cookie(&response, "tgscope_session").expect("session");
    let (status, home) = http(
        &base,
        "GET",
        "/",
        &[("Cookie", &format!("tgscope_session={session}"))],
        "",
    );
    assert_eq!(status, 200, "{home}");
    assert!(home.contains("the team's archive"));
    drop(running);
    let logged = std::fs::read_to_string(&log).expect("the server's log");
    assert!(logged.contains("sign-in required"), "{logged}");
    for secret in [PASSWORD, secret, &session] {
        assert!(
            !logged.contains(secret),
            "the log holds a secret:\n{logged}"
        );
    }
}

/// Commands run from a shell that change or export the team's archive are in its audit log,
/// by `cli:<user>`, with their command line (the database's password hidden); commands that
/// only read are not.
#[test]
fn shell_commands_that_change_or_export_the_archive_are_audited() {
    let Some(url) = database() else {
        return;
    };
    // The same database, named with a password the server does not need (trust), so that
    // the log can be shown to hide it.
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (user, host) = rest.split_once('@').expect("a user in the URL");
    let with_password = format!("{scheme}://{user}:s3cret-pw@{host}");
    let a = Archive::new();
    let run = |args: &[&str]| {
        let out = tgscope()
            .env("USER", "tester")
            .arg("--database")
            .arg(&with_password)
            .arg("--archive")
            .arg(&a.dir)
            .args(args)
            .output()
            .expect("tgscope runs");
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    };
    let capture = fixture("web-mfa.txt");
    run(&[
        "ingest",
        capture.to_str().expect("UTF-8 path"),
        "--channel",
        "mfa_test",
        "-q",
    ]);
    run(&["posts"]);
    run(&["search", "minister"]);
    let exported = a.dir.join("out.jsonl");
    run(&[
        "export",
        "--format",
        "jsonl",
        "--output",
        exported.to_str().expect("UTF-8 path"),
    ]);
    run(&["narrative", "add", "ministers", "--query", "minister"]);
    run(&["narrative", "list"]);

    let log = audit_log(&url);
    let actions: Vec<&str> = log.iter().map(|(_, action, _)| action.as_str()).collect();
    assert_eq!(
        actions,
        ["cli.ingest", "cli.export", "cli.narrative"],
        "{log:?}"
    );
    assert!(
        log.iter().all(|(actor, _, _)| actor == "cli:tester"),
        "{log:?}"
    );
    assert!(
        log[0].2.contains("web-mfa.txt") && log[0].2.contains("mfa_test"),
        "{log:?}"
    );
    assert!(log[2].2.contains("ministers"), "{log:?}");
    let everything = format!("{log:?}");
    assert!(!everything.contains("s3cret-pw"), "{everything}");
    assert!(everything.contains(&format!("{user}:***@")), "{everything}");
}
