//! `tgscope feed`: feeds read back by Python's feedparser (when `TGSCOPE_FEED_PYTHON` names a
//! Python with it; .ci/run makes one and requires it) with the ids, titles, links and dates
//! intended, before and after an edit of a post; the same bytes for the same archive; `-o`;
//! and the errors (no source, two sources, an unknown channel, a bad query).

use serde_json::{Value, json};

use crate::common::{Archive, fixture, stderr, stdout};

const BASE: &str = "http://127.0.0.1:8080";

/// A Desktop JSON export of "Feed Test Channel" (Telegram id 1000000001, messages 2 to 5) and a
/// saved t.me page of `harbor_notes` (messages 120 to 122, with t.me links).
fn archive() -> Archive {
    let a = Archive::new();
    a.ok(args!["ingest", fixture("feeds/export.json")]);
    a.ok(args![
        "ingest",
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../read/tests/fixtures/tme/saved_page.html")
    ]);
    a
}

/// The archive id of each post by its message id.
fn post_id(a: &Archive, message_id: i64) -> i64 {
    a.export()
        .iter()
        .find(|r| r["message_id"].as_i64() == Some(message_id))
        .and_then(|r| r["id"].as_i64())
        .unwrap_or_else(|| panic!("no post with message id {message_id}"))
}

/// An entry as a reader must see it.
fn entry(id: &str, title: &str, link: &str, published: &str, updated: &str) -> Value {
    json!({"id": id, "title": title, "link": link, "published": published, "updated": updated})
}

/// Writes `feed ARGS --format FORMAT -o FILE` and returns the expectation of that file.
fn feed_file(
    a: &Archive,
    name: &str,
    format: &str,
    source: &[&str],
    title: &str,
    links: Value,
    entries: &[Value],
) -> Value {
    let path = a.path(&format!("{name}.{format}"));
    let mut command: Vec<std::ffi::OsString> = args!["feed", "--format", format, "-o", &path];
    command.extend(source.iter().map(std::ffi::OsString::from));
    let out = a.run(&command);
    assert!(out.status.success(), "{command:?}: {}", stderr(&out));
    assert!(stdout(&out).is_empty(), "nothing on stdout with -o");
    json!({
        "path": path,
        "format": format,
        "title": title,
        "links": links,
        "entries": entries,
    })
}

fn read_with_feedparser(a: &Archive, feeds: Vec<Value>) -> Value {
    let Some(python) = super::common::python_with("TGSCOPE_FEED_PYTHON", "feedparser") else {
        return Value::Null;
    };
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/read_feeds_with_feedparser.py");
    let expected = a.write("expected.json", json!({ "feeds": feeds }).to_string());
    let out = std::process::Command::new(&python)
        .arg(&script)
        .arg(&expected)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "feedparser read something else: {}{}",
        stdout(&out),
        stderr(&out)
    );
    serde_json::from_str(&stdout(&out)).expect("the script's summary")
}

#[test]
fn feedparser_reads_the_entries_ids_dates_and_links_intended_before_and_after_an_edit() {
    let a = archive();
    let posts = |m: i64| format!("{BASE}/posts/{}", post_id(&a, m));
    let channel_feed = |f: &str| format!("{BASE}/feeds/channels/1.{f}?limit=3");
    let id = |m: i64| format!("tag:tgscope,2026:tg/1000000001/{m}");
    let hostile = "<script>alert('x')</script> & \"quoted\" \u{fffd} ]]> done";
    let page1 = [
        entry(
            &id(5),
            "Read the statement in full",
            &posts(5),
            "2024-03-01T13:00:00Z",
            "2024-03-01T13:00:00Z",
        ),
        entry(
            &id(4),
            hostile,
            &posts(4),
            "2024-03-01T12:00:00Z",
            "2024-03-01T12:00:00Z",
        ),
        entry(
            &id(3),
            "Forwarded statement on the CIS summit #СНГ",
            &posts(3),
            "2024-03-01T11:00:00Z",
            "2024-03-01T11:00:00Z",
        ),
    ];
    let statement = |title: &str, updated: &str| {
        entry(&id(2), title, &posts(2), "2024-03-01T10:00:00Z", updated)
    };
    let channel = [
        "--channel",
        "Feed Test Channel",
        "--limit",
        "3",
        "--base-url",
        BASE,
    ];
    let channel_title = "Feed Test Channel — tgscope";
    let mut feeds = Vec::new();
    for format in ["atom", "rss", "json"] {
        feeds.push(feed_file(
            &a,
            "channel",
            format,
            &channel,
            channel_title,
            json!({"self": channel_feed(format), "next": format!("{}&page=2", channel_feed(format))}),
            &page1,
        ));
    }
    // The t.me page's posts link to Telegram and are named by the channel's username.
    let harbor = |m: i64, title: &str, published: &str| {
        entry(
            &format!("tag:tgscope,2026:tme/harbor_notes/{m}"),
            title,
            &format!("https://t.me/harbor_notes/{m}"),
            published,
            published,
        )
    };
    let harbor_entries = [
        harbor(
            122,
            "A gull, and a song for the night shift",
            "2024-05-16T22:00:00Z",
        ),
        harbor(
            121,
            "video_message (harbor_notes, no text)",
            "2024-05-16T21:30:00Z",
        ),
        harbor(120, "Harbor closed tonight", "2024-05-16T21:00:00Z"),
    ];
    for format in ["atom", "rss", "json"] {
        feeds.push(feed_file(
            &a,
            "harbor",
            format,
            &["--channel", "harbor_notes", "--base-url", BASE],
            "Harbor Notes ⚓ (@harbor_notes) — tgscope",
            json!({"self": format!("{BASE}/feeds/channels/harbor_notes.{format}"), "next": null}),
            &harbor_entries,
        ));
    }
    let before = statement("Statement on the summit #СНГ", "2024-03-01T10:00:00Z");
    feeds.push(feed_file(
        &a,
        "tag-before",
        "atom",
        &["--tag", "#СНГ", "--base-url", BASE],
        "#СНГ — tgscope",
        json!({"self": format!("{BASE}/feeds/hashtags/%D0%A1%D0%9D%D0%93.atom")}),
        &[page1[2].clone(), before],
    ));

    // Message 2 edited on 2024-03-05 12:00 UTC: the same id, the new title, `updated` the edit.
    a.ok(args!["ingest", fixture("feeds/export-edited.json")]);
    let after = statement(
        "Statement on the summit, corrected #СНГ",
        "2024-03-05T12:00:00Z",
    );
    for format in ["atom", "rss", "json"] {
        feeds.push(feed_file(
            &a,
            "tag-after",
            format,
            &["--tag", "СНГ", "--base-url", BASE],
            "#СНГ — tgscope",
            json!({"self": format!("{BASE}/feeds/hashtags/%D0%A1%D0%9D%D0%93.{format}")}),
            &[page1[2].clone(), after.clone()],
        ));
    }
    // A query feed's page 2 of 2.
    feeds.push(feed_file(
        &a,
        "query-page-2",
        "atom",
        &[
            "--query",
            "channel:\"Feed Test Channel\"",
            "--limit",
            "3",
            "--page",
            "2",
            "--base-url",
            BASE,
        ],
        "channel:\"Feed Test Channel\" — tgscope search",
        json!({
            "self": format!("{BASE}/feeds/search.atom?q=channel%3A%22Feed%20Test%20Channel%22&limit=3&page=2"),
            "previous": format!("{BASE}/feeds/search.atom?q=channel%3A%22Feed%20Test%20Channel%22&limit=3"),
        }),
        std::slice::from_ref(&after),
    ));
    // A narrative's feed: the posts its queries match, titled and linked as the narrative.
    a.ok([
        "narrative",
        "add",
        "summit",
        "--query",
        "summit",
        "--description",
        "the CIS summit",
    ]);
    for format in ["atom", "rss", "json"] {
        feeds.push(feed_file(
            &a,
            "narrative",
            format,
            &["--narrative", "summit", "--base-url", BASE],
            "summit — tgscope narrative",
            json!({"self": format!("{BASE}/feeds/narratives/summit.{format}"), "next": null}),
            &[page1[2].clone(), after.clone()],
        ));
    }
    let seen = read_with_feedparser(&a, feeds);
    if seen.is_null() {
        return;
    }
    assert_eq!(seen["feeds"].as_array().map(Vec::len), Some(14), "{seen}");
    assert!(
        seen["feeds"]
            .as_array()
            .expect("feeds")
            .iter()
            .all(|f| f["bozo"].as_i64().unwrap_or(0) == 0),
        "{seen}"
    );
}

#[test]
fn the_same_archive_writes_the_same_feed_and_says_where_the_rest_is() {
    let a = archive();
    for format in ["atom", "rss", "json"] {
        let command = args![
            "feed",
            "--tag",
            "СНГ",
            "--format",
            format,
            "--limit",
            "1",
            "--base-url",
            BASE
        ];
        let once = a.run(&command);
        let again = a.run(&command);
        assert!(once.status.success(), "{}", stderr(&once));
        assert_eq!(stdout(&once), stdout(&again), "{format}");
        assert_eq!(
            stderr(&once).trim(),
            "tgscope: wrote 1 of 2 posts (page 1 of 2, --limit 1); the next ones: --page 2"
        );
    }
    // -o FILE holds what stdout would.
    let path = a.path("feed.atom");
    let to_stdout = a.ok(["feed", "--query", "summit"]);
    a.ok(args!["feed", "--query", "summit", "-o", &path]);
    assert_eq!(
        std::fs::read_to_string(&path).expect("feed file"),
        to_stdout
    );
    assert!(to_stdout.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed "));
}

#[test]
fn feeds_without_a_source_or_of_unknown_names_are_refused() {
    let a = archive();
    let out = a.run(["feed", "--format", "atom"]);
    assert_eq!(out.status.code(), Some(2), "no source is a usage error");
    assert!(stderr(&out).contains("--query"), "{}", stderr(&out));
    let out = a.run(["feed", "--query", "a", "--tag", "b"]);
    assert_eq!(out.status.code(), Some(2), "two sources are a usage error");
    let out = a.run(["feed", "--channel", "no_such_channel"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("no channel is named \"no_such_channel\""),
        "{}",
        stderr(&out)
    );
    let out = a.run(["feed", "--query", "(unclosed"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stdout(&out).is_empty(), "no half feed on stdout");
    let out = a.run(["feed", "--query", "a", "--limit", "0"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("1 to 1000 entries"),
        "{}",
        stderr(&out)
    );
    let out = a.run(["feed", "--query", "a", "--base-url", "ftp://x"]);
    assert_eq!(out.status.code(), Some(2));
}
