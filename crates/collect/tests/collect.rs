//! The collector end to end against a real HTTP server on loopback serving recorded t.me/s
//! pages: paging (with and without the "more" link), politeness, 429 and 5xx, redirects off the
//! site and away from the preview, edits and deletions on a later run, resuming an
//! interrupted run, and failing at once where no retry can succeed (a refused connection, a
//! host that does not resolve).

mod server;

use std::time::Duration;

use server::{Answer, Post, Server, channel_page};
use tgscope_collect::{
    Bound, CollectError, CollectOptions, Quiet, Stop, collect, fetch::FetchPolicy,
};
use tgscope_engine::Engine;

const CHANNEL: &str = "test_channel";
const TITLE: &str = "Тестовый канал";

/// Options for tests: no delay, quick retries.
fn options(server: &Server) -> CollectOptions {
    options_at(&server.base)
}

/// Options for tests against the site at `base_url`.
fn options_at(base_url: &str) -> CollectOptions {
    CollectOptions {
        base_url: base_url.to_string(),
        policy: FetchPolicy {
            delay: Duration::ZERO,
            retries: 2,
            backoff: Duration::from_millis(20),
            max_wait: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            ..FetchPolicy::default()
        },
        ..CollectOptions::default()
    }
}

fn posts(ids: std::ops::RangeInclusive<i64>) -> Vec<Post> {
    ids.map(|id| {
        Post::new(
            id,
            &format!("Пост номер {id} #тест https://example.org/{id}"),
        )
    })
    .collect()
}

/// A channel of 45 posts (ids 101..=145) on four pages: the newest page links to the next;
/// the second page has no "more" link (the collector steps by the oldest id it saw); the
/// third links to an empty page.
fn serve_channel(server: &Server, newest: Vec<Post>) {
    let base = format!("/s/{CHANNEL}");
    server.route(
        &base,
        vec![Answer::page(channel_page(
            CHANNEL,
            TITLE,
            &newest,
            Some(126),
        ))],
    );
    server.route(
        &format!("{base}?before=126"),
        vec![Answer::page(channel_page(
            CHANNEL,
            TITLE,
            &posts(106..=125),
            None,
        ))],
    );
    server.route(
        &format!("{base}?before=106"),
        vec![Answer::page(channel_page(
            CHANNEL,
            TITLE,
            &posts(101..=105),
            Some(101),
        ))],
    );
    server.route(
        &format!("{base}?before=101"),
        vec![Answer::page(channel_page(CHANNEL, TITLE, &[], None))],
    );
}

fn archive() -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(&dir.path().join("archive")).expect("archive");
    (dir, engine)
}

fn post_id(engine: &Engine, message_id: i64) -> i64 {
    engine
        .posts(&Default::default())
        .expect("posts")
        .into_iter()
        .find(|p| p.message_id == Some(message_id))
        .unwrap_or_else(|| panic!("message {message_id} archived"))
        .id
}

#[test]
fn a_channel_is_collected_newest_to_oldest_including_a_page_without_a_more_link() {
    let server = Server::start();
    serve_channel(&server, posts(126..=145));
    let (_dir, mut engine) = archive();
    let report = collect(&mut engine, CHANNEL, &options(&server), &mut Quiet).expect("collects");
    assert_eq!(
        server.requests(),
        [
            "/s/test_channel",
            "/s/test_channel?before=126",
            "/s/test_channel?before=106",
            "/s/test_channel?before=101"
        ]
    );
    assert_eq!(report.pages, 4);
    assert_eq!(report.posts_new, 45);
    assert_eq!(report.stop, Stop::ReachedBeginning);
    assert!(!report.resumed);
    let archived = engine.posts(&Default::default()).expect("posts");
    let mut ids: Vec<i64> = archived.iter().filter_map(|p| p.message_id).collect();
    ids.sort();
    assert_eq!(ids, (101..=145).collect::<Vec<_>>());
    // Each page is a capture with its URL; a post keeps its views and its observed time.
    let captures = engine.captures().expect("captures");
    assert_eq!(captures.len(), 4);
    assert!(captures.iter().all(|c| c.format == "tme-html"));
    assert!(
        captures[1].source.ends_with("/s/test_channel?before=126"),
        "{}",
        captures[1].source
    );
    let detail = engine.post(post_id(&engine, 140)).expect("post");
    assert_eq!(detail.post.current.views, Some(1200));
    assert_eq!(
        detail.post.current.date.as_deref(),
        Some("2024-03-03T10:20:00Z")
    );
    assert!(detail.post.current.text.starts_with("Пост номер 140 #тест"));
    assert_eq!(detail.sightings.len(), 1);
    assert!(detail.sightings[0].capture_source.starts_with(&server.base));

    // A second run reaches the archived posts on its first page and stops there.
    server.clear_log();
    let again = collect(&mut engine, CHANNEL, &options(&server), &mut Quiet).expect("again");
    assert_eq!(server.requests(), ["/s/test_channel"]);
    assert_eq!(again.stop, Stop::ReachedArchived);
    assert_eq!(again.posts_new, 0);
    assert!(again.absent.is_empty());
}

#[test]
fn requests_are_spaced_by_the_delay() {
    let server = Server::start();
    serve_channel(&server, posts(126..=145));
    let (_dir, mut engine) = archive();
    let mut opts = options(&server);
    opts.policy.delay = Duration::from_millis(300);
    opts.max_pages = Some(3);
    let report = collect(&mut engine, CHANNEL, &opts, &mut Quiet).expect("collects");
    assert_eq!(report.pages, 3);
    assert_eq!(report.stop, Stop::MaxPages);
    let times = server.request_times();
    assert_eq!(times.len(), 3);
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= Duration::from_millis(290), "requests {gap:?} apart");
    }
}

#[test]
fn a_429_is_waited_out_as_retry_after_says_and_a_500_is_retried() {
    let server = Server::start();
    serve_channel(&server, posts(126..=145));
    server.route(
        "/s/test_channel",
        vec![
            Answer::status(429).with_header("Retry-After", "1"),
            Answer::status(500),
            Answer::page(channel_page(CHANNEL, TITLE, &posts(126..=145), Some(126))),
        ],
    );
    let (_dir, mut engine) = archive();
    let mut opts = options(&server);
    opts.max_pages = Some(1);
    struct Waits(Vec<(Duration, String)>);
    impl tgscope_collect::CollectProgress for Waits {
        fn waiting(&mut self, wait: Duration, why: &str) {
            self.0.push((wait, why.to_string()));
        }
    }
    let mut waits = Waits(Vec::new());
    let report = collect(&mut engine, CHANNEL, &opts, &mut waits).expect("collects");
    assert_eq!(report.posts_new, 20);
    assert_eq!(server.requests(), ["/s/test_channel"; 3]);
    let times = server.request_times();
    assert!(
        times[1] - times[0] >= Duration::from_millis(990),
        "Retry-After honoured"
    );
    assert_eq!(waits.0.len(), 2, "{:?}", waits.0);
    assert_eq!(waits.0[0].0, Duration::from_secs(1));
    assert!(waits.0[0].1.contains("429"), "{:?}", waits.0);
    assert!(waits.0[1].1.contains("500"), "{:?}", waits.0);
}

#[test]
fn a_redirect_to_another_site_is_not_followed() {
    let server = Server::start();
    let elsewhere = Server::start();
    server.route(
        "/s/test_channel",
        vec![Answer::redirect(&format!(
            "{}/s/test_channel",
            elsewhere.base
        ))],
    );
    let (_dir, mut engine) = archive();
    let err = collect(&mut engine, CHANNEL, &options(&server), &mut Quiet).expect_err("refused");
    assert!(matches!(err, CollectError::OffSite { .. }), "{err}");
    assert!(err.to_string().contains("not followed"), "{err}");
    assert!(
        elsewhere.requests().is_empty(),
        "nothing was fetched from the other site"
    );
    assert!(engine.captures().expect("captures").is_empty());
}

#[test]
fn a_channel_whose_preview_redirects_away_gets_a_clear_error() {
    let server = Server::start();
    // Telegram sends /s/<channel> of a private channel, a channel without a preview, or no
    // channel at all, to /<channel>.
    server.route(
        "/s/closed_channel",
        vec![Answer::redirect("/closed_channel")],
    );
    let (_dir, mut engine) = archive();
    let err =
        collect(&mut engine, "closed_channel", &options(&server), &mut Quiet).expect_err("refused");
    assert!(
        matches!(err, CollectError::PreviewUnavailable { .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(message.contains("no public web preview"), "{message}");
    assert_eq!(server.requests(), ["/s/closed_channel"]);
}

#[test]
fn a_later_run_records_an_edit_and_a_deletion() {
    let server = Server::start();
    serve_channel(&server, posts(126..=145));
    let (_dir, mut engine) = archive();
    collect(&mut engine, CHANNEL, &options(&server), &mut Quiet).expect("first run");

    // Later: post 140 was edited (new text, the "edited" mark, more views) and post 135 was
    // deleted: the newest page now shows 125..=145 without 135.
    let mut newest: Vec<Post> = posts(125..=145)
        .into_iter()
        .filter(|p| p.id != 135)
        .collect();
    for p in &mut newest {
        if p.id == 140 {
            p.text = "Пост номер 140, исправленный #тест".to_string();
            p.edited = true;
            p.views = "2.5K";
        }
    }
    serve_channel(&server, newest);
    server.clear_log();
    let report = collect(&mut engine, CHANNEL, &options(&server), &mut Quiet).expect("second run");
    assert_eq!(server.requests(), ["/s/test_channel"]);
    assert_eq!(report.stop, Stop::ReachedArchived);
    assert_eq!(report.posts_updated, 1);
    assert_eq!(report.absent, [135]);

    let edited = engine.post(post_id(&engine, 140)).expect("post 140");
    assert_eq!(edited.versions.len(), 2);
    assert_eq!(
        edited.post.current.text,
        "Пост номер 140, исправленный #тест"
    );
    let views: Vec<Option<u64>> = edited.sightings.iter().map(|s| s.views).collect();
    assert_eq!(views, [Some(1200), Some(2500)]);
    let marks: Vec<Option<bool>> = edited.sightings.iter().map(|s| s.edited).collect();
    assert_eq!(marks, [Some(false), Some(true)]);

    let deleted = engine.post(post_id(&engine, 135)).expect("post 135");
    assert_eq!(deleted.absences.len(), 1);
    assert_eq!(deleted.absences[0].range, (125, 145));

    let changes = engine.changes(Some(CHANNEL), None).expect("changes");
    let summary: Vec<(String, Option<i64>)> = changes
        .iter()
        .map(|c| (c.kind.clone(), c.message_id))
        .collect();
    assert!(
        summary.contains(&("edited".to_string(), Some(140))),
        "{summary:?}"
    );
    assert!(
        summary.contains(&("deleted".to_string(), Some(135))),
        "{summary:?}"
    );
    assert_eq!(summary.len(), 2, "{summary:?}");
    // A post not covered by the later page (older than 125) is not called deleted.
    assert!(
        engine
            .post(post_id(&engine, 110))
            .expect("post 110")
            .absences
            .is_empty()
    );
}

#[test]
fn an_interrupted_run_is_resumed_where_it_stopped() {
    let server = Server::start();
    serve_channel(&server, posts(126..=145));
    // The second page fails every time: the run gives up after its retries.
    server.route("/s/test_channel?before=126", vec![Answer::status(503)]);
    let (_dir, mut engine) = archive();
    let err = collect(&mut engine, CHANNEL, &options(&server), &mut Quiet).expect_err("gives up");
    assert!(
        matches!(err, CollectError::GaveUp { attempts: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("run again to resume"), "{err}");
    assert_eq!(engine.posts(&Default::default()).expect("posts").len(), 20);

    // The server recovers; the next run starts at the page that failed, not at the newest.
    serve_channel(&server, posts(126..=145));
    server.clear_log();
    let report = collect(&mut engine, CHANNEL, &options(&server), &mut Quiet).expect("resumes");
    assert!(report.resumed);
    assert_eq!(
        server.requests(),
        [
            "/s/test_channel?before=126",
            "/s/test_channel?before=106",
            "/s/test_channel?before=101"
        ]
    );
    assert_eq!(report.posts_new, 25);
    assert_eq!(report.stop, Stop::ReachedBeginning);
    assert_eq!(engine.posts(&Default::default()).expect("posts").len(), 45);
}

#[test]
fn since_and_until_bound_the_run() {
    let server = Server::start();
    serve_channel(&server, posts(126..=145));
    let (_dir, mut engine) = archive();
    let mut opts = options(&server);
    opts.until = Some(Bound::Id(125));
    opts.since = Some(Bound::Id(110));
    let report = collect(&mut engine, CHANNEL, &opts, &mut Quiet).expect("collects");
    // --until 125 starts below 126; the page shows 106..=125, which reaches --since 110.
    assert_eq!(server.requests(), ["/s/test_channel?before=126"]);
    assert_eq!(report.stop, Stop::ReachedSince);
    assert_eq!(report.posts_new, 20);
}

/// Records the client's waits before retries.
#[derive(Default)]
struct Waits(Vec<(Duration, String)>);
impl tgscope_collect::CollectProgress for Waits {
    fn waiting(&mut self, wait: Duration, why: &str) {
        self.0.push((wait, why.to_string()));
    }
}

/// The archive's record of fetches: (url, status, error), oldest first.
fn fetch_log(dir: &tempfile::TempDir) -> Vec<(String, Option<u16>, Option<String>)> {
    let db = rusqlite::Connection::open(dir.path().join("archive").join("archive.sqlite"))
        .expect("archive database");
    let mut query = db
        .prepare("SELECT url, status, error FROM fetches ORDER BY id")
        .expect("fetches");
    query
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .expect("fetch rows")
        .collect::<Result<_, _>>()
        .expect("fetch rows")
}

/// Options that would retry five times, with a wait before each retry that the progress sees.
fn retrying(base_url: &str) -> CollectOptions {
    let mut opts = options_at(base_url);
    opts.policy.retries = 5;
    opts
}

#[test]
fn a_refused_connection_ends_the_run_at_once_after_one_attempt() {
    // A port nobody listens on: bound, then let go.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let address = listener.local_addr().expect("address");
    drop(listener);
    let (dir, mut engine) = archive();
    let mut waits = Waits::default();
    let err = collect(
        &mut engine,
        CHANNEL,
        &retrying(&format!("http://{address}")),
        &mut waits,
    )
    .expect_err("nothing listens");
    assert!(
        matches!(err, CollectError::ConnectionRefused { .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&format!("connection refused by {address}")),
        "{message}"
    );
    assert!(waits.0.is_empty(), "no retry: {:?}", waits.0);
    let log = fetch_log(&dir);
    assert_eq!(log.len(), 1, "one attempt: {log:?}");
    assert_eq!(log[0].0, format!("http://{address}/s/{CHANNEL}"));
    assert_eq!(log[0].1, None);
    assert!(
        log[0]
            .2
            .as_deref()
            .is_some_and(|e| e.contains("connection refused")),
        "{log:?}"
    );
}

#[test]
fn a_host_that_does_not_resolve_ends_the_run_at_once_after_one_attempt() {
    // RFC 2606: names under .invalid never resolve, with or without a network.
    let host = "tgscope-test.invalid";
    let (dir, mut engine) = archive();
    let mut opts = retrying(&format!("http://{host}"));
    // Room for a resolver with no network to give its answer rather than time out.
    opts.policy.timeout = Duration::from_secs(120);
    let mut waits = Waits::default();
    let err = collect(&mut engine, CHANNEL, &opts, &mut waits).expect_err("no such host");
    assert!(matches!(err, CollectError::HostNotFound { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("could not resolve host {host}: ")),
        "{message}"
    );
    assert!(waits.0.is_empty(), "no retry: {:?}", waits.0);
    let log = fetch_log(&dir);
    assert_eq!(log.len(), 1, "one attempt: {log:?}");
    assert!(
        log[0].2.as_deref().is_some_and(|e| e.contains(host)),
        "{log:?}"
    );
}

#[test]
fn a_server_error_is_still_retried_up_to_the_retries() {
    let server = Server::start();
    server.route("/s/test_channel", vec![Answer::status(502)]);
    let (dir, mut engine) = archive();
    let mut waits = Waits::default();
    let err = collect(&mut engine, CHANNEL, &options(&server), &mut waits).expect_err("gives up");
    assert!(
        matches!(err, CollectError::GaveUp { attempts: 3, .. }),
        "{err}"
    );
    assert_eq!(server.requests(), ["/s/test_channel"; 3]);
    assert_eq!(waits.0.len(), 2, "{:?}", waits.0);
    assert_eq!(fetch_log(&dir).len(), 3);
}
