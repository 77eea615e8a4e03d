//! When a capture was made: the user's `--captured-at`, else what the file says (a saved t.me
//! page's own time, an export folder's day), else the ingest time; the capture records which,
//! and its view counts and sightings are dated by it. Desktop HTML times, read with a
//! standard-time offset, are never observed dates: a JSON export of the same message wins in
//! either order of ingest.

use std::path::{Path, PathBuf};

use tgscope_engine::ingest::{self, parse_captured_at};
use tgscope_engine::model::{CaptureTime, CaptureTimeBasis, DateBasis};
use tgscope_engine::{Engine, IngestOptions, IngestReport, NoProgress, PostFilter};

struct Fixture {
    tmp: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            tmp: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.tmp.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(&path, bytes).expect("write");
        path
    }

    fn engine(&self, name: &str) -> Engine {
        Engine::open(&self.tmp.path().join(name)).expect("archive")
    }
}

fn run(engine: &mut Engine, paths: &[&Path], options: &IngestOptions) -> IngestReport {
    let paths: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
    let report = ingest::run(engine, &paths, options, &mut NoProgress).expect("ingest");
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    report
}

fn fixture_page(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../read/tests/fixtures/tme")
            .join(name),
    )
    .expect("fixture page")
}

fn only_time(engine: &Engine) -> CaptureTime {
    let times = engine.capture_times().expect("capture times");
    assert_eq!(times.len(), 1, "{times:?}");
    times[0].1.clone()
}

/// Every sighting's observed time, over all posts.
fn observed_times(engine: &Engine) -> Vec<String> {
    let mut out = Vec::new();
    for p in engine.posts(&PostFilter::default()).expect("posts") {
        for s in engine.post(p.id).expect("post").sightings {
            out.push(s.observed_at);
        }
    }
    out
}

#[test]
fn a_saved_page_dates_its_view_counts_by_when_telegram_served_it_not_by_today() {
    let f = Fixture::new();
    let page = f.write("harbor.html", fixture_page("saved_page.html"));
    let mut engine = f.engine("archive");
    let report = run(&mut engine, &[&page], &IngestOptions::default());
    let time = only_time(&engine);
    assert_eq!(time.at, "2024-05-16T22:53:20Z");
    assert_eq!(time.basis, CaptureTimeBasis::File);
    assert!(
        time.evidence
            .as_deref()
            .is_some_and(|e| e.contains("data-view")),
        "{time:?}"
    );
    assert_eq!(report.captures[0].captured.as_ref(), Some(&time));
    let observed = observed_times(&engine);
    assert!(!observed.is_empty());
    assert!(
        observed.iter().all(|o| o == "2024-05-16T22:53:20Z"),
        "{observed:?}"
    );
    // The views themselves are those of the page.
    let posts = engine.posts(&PostFilter::default()).expect("posts");
    let viewed = posts
        .iter()
        .find(|p| p.current.views.is_some())
        .expect("views");
    let detail = engine.post(viewed.id).expect("post");
    assert_eq!(detail.sightings[0].views, viewed.current.views);
    assert_eq!(detail.sightings[0].observed_at, "2024-05-16T22:53:20Z");
}

#[test]
fn the_user_s_captured_at_outranks_what_the_file_says_and_is_recorded_as_theirs() {
    let f = Fixture::new();
    let page = f.write("harbor.html", fixture_page("saved_page.html"));
    let mut engine = f.engine("archive");
    let options = IngestOptions {
        captured_at: Some(parse_captured_at("2024-05-18T12:00:00+03:00").expect("time")),
        ..IngestOptions::default()
    };
    let report = run(&mut engine, &[&page], &options);
    let time = only_time(&engine);
    assert_eq!(
        (time.at.as_str(), time.basis),
        ("2024-05-18T09:00:00Z", CaptureTimeBasis::User)
    );
    assert!(
        report.captures[0]
            .warnings
            .iter()
            .any(|w| w.contains("the capture says it was made 2024-05-16T22:53:20Z")),
        "{:?}",
        report.captures[0].warnings
    );
    assert!(
        observed_times(&engine)
            .iter()
            .all(|o| o == "2024-05-18T09:00:00Z")
    );

    // Given again for a capture already archived, the new word is recorded.
    let options = IngestOptions {
        captured_at: Some("2024-05-17".to_string()),
        ..IngestOptions::default()
    };
    let report = run(&mut engine, &[&page], &options);
    assert!(report.captures[0].already_archived);
    let time = only_time(&engine);
    assert_eq!(
        (time.at.as_str(), time.basis),
        ("2024-05-17", CaptureTimeBasis::User)
    );
    assert!(observed_times(&engine).iter().all(|o| o == "2024-05-17"));
}

/// A Telegram Desktop export of one message, dated by `unix`.
fn export(id: i64, unix: i64, text: &str) -> String {
    format!(
        r#"{{"name": "Baltic Wire", "type": "public_channel", "id": 1000000077, "messages": [
  {{"id": {id}, "type": "message", "date": "2024-07-02T10:15:00", "date_unixtime": "{unix}",
   "from": "Baltic Wire", "from_id": "channel1000000077", "text": "{text}",
   "text_entities": [{{"type": "plain", "text": "{text}"}}]}}]}}"#
    )
}

/// A Desktop HTML page of one message, its time written as `title`.
fn page(id: i64, title: &str, text: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"/><title>Exported Data</title></head><body>
<div class="page_wrap"><div class="page_header"><div class="content"><div class="text bold">
Baltic Wire
</div></div></div>
<div class="page_body chat_page"><div class="history">
<div class="message default clearfix" id="message{id}"><div class="body">
<div class="pull_right date details" title="{title}">10:15</div>
<div class="from_name">Baltic Wire</div>
<div class="text">{text}</div>
</div></div>
</div></div></div>
</body></html>
"#
    )
}

#[test]
fn an_export_folder_s_day_dates_the_capture_and_a_plain_copy_is_dated_by_its_ingest() {
    let f = Fixture::new();
    // 2024-07-02T07:15:00Z.
    let json = f.write(
        "ChatExport_2024-07-05 (2)/result.json",
        export(2, 1_719_904_500, "Polls open"),
    );
    let mut engine = f.engine("archive");
    run(&mut engine, &[&json], &IngestOptions::default());
    let time = only_time(&engine);
    assert_eq!(
        (time.at.as_str(), time.basis),
        ("2024-07-05", CaptureTimeBasis::File)
    );
    assert!(
        time.evidence
            .as_deref()
            .is_some_and(|e| e.contains("ChatExport_2024-07-05 (2)")),
        "{time:?}"
    );
    assert_eq!(observed_times(&engine), ["2024-07-05"]);

    // Nothing says when a plain copy was made: the ingest time stands in, and says so.
    let f = Fixture::new();
    let copy = f.write(
        "copy.txt",
        "Forwarded from A\nA statement.\nA statement.\n12 views\n",
    );
    let mut engine = f.engine("archive");
    let report = run(&mut engine, &[&copy], &IngestOptions::default());
    let time = only_time(&engine);
    assert_eq!(time.basis, CaptureTimeBasis::Ingested);
    assert_eq!(time.evidence, None);
    let captures = engine.captures().expect("captures");
    assert_eq!(time.at, captures[0].ingested_at);
    assert_eq!(report.captures[0].captured.as_ref(), Some(&time));
}

#[test]
fn a_folder_day_before_the_capture_s_newest_post_is_not_believed() {
    let f = Fixture::new();
    let json = f.write(
        "ChatExport_2024-01-01/result.json",
        export(2, 1_719_904_500, "Polls open"),
    );
    let mut engine = f.engine("archive");
    let report = run(&mut engine, &[&json], &IngestOptions::default());
    let time = only_time(&engine);
    assert_eq!(time.basis, CaptureTimeBasis::Ingested);
    assert!(
        report.captures[0]
            .warnings
            .iter()
            .any(|w| w.contains("before its newest post")),
        "{:?}",
        report.captures[0].warnings
    );
}

#[test]
fn captured_at_is_read_in_utc_or_as_a_day_and_a_time_without_offset_is_refused() {
    assert_eq!(
        parse_captured_at("2023-05-17T12:00:00+03:00").as_deref(),
        Ok("2023-05-17T09:00:00Z")
    );
    assert_eq!(
        parse_captured_at("2023-05-17 09:30Z").as_deref(),
        Ok("2023-05-17T09:30:00Z")
    );
    assert_eq!(
        parse_captured_at(" 2023-05-17 ").as_deref(),
        Ok("2023-05-17")
    );
    let no_offset = parse_captured_at("2023-05-17T09:00:00").expect_err("no offset");
    assert!(no_offset.contains("no UTC offset"), "{no_offset}");
    let garbage = parse_captured_at("last Tuesday").expect_err("not a time");
    assert!(garbage.contains("RFC 3339"), "{garbage}");
    assert!(parse_captured_at("2999-01-01").is_err());
    // The engine refuses a malformed one as the user's fault.
    let f = Fixture::new();
    let copy = f.write("copy.txt", "Forwarded from A\nA statement.\n");
    let mut engine = f.engine("archive");
    let options = IngestOptions {
        captured_at: Some("yesterday".to_string()),
        ..IngestOptions::default()
    };
    let err = ingest::run(&mut engine, &[copy], &options, &mut NoProgress).expect_err("refused");
    assert_eq!(err.kind(), tgscope_engine::ErrorKind::User);
}

/// In summer a computer in UTC+03:00 whose standard offset is UTC+02:00 writes 10:15 local
/// (07:15Z) as "10:15:00 UTC+02:00": read as 08:15Z, an hour late.
const SUMMER_TITLE: &str = "02.07.2024 10:15:00 UTC+02:00";
const SUMMER_UNIX: i64 = 1_719_904_500;

#[test]
fn an_html_only_post_s_date_says_how_it_was_read() {
    let f = Fixture::new();
    let html = f.write("html/messages.html", page(2, SUMMER_TITLE, "Polls open"));
    let mut engine = f.engine("archive");
    run(&mut engine, &[&html], &IngestOptions::default());
    let posts = engine.posts(&PostFilter::default()).expect("posts");
    assert_eq!(posts.len(), 1);
    let v = &posts[0].current;
    assert_eq!(v.date, None, "never an observed date");
    let read = v.date_inferred.as_ref().expect("the time as read");
    assert_eq!(read.date, "2024-07-02T08:15:00Z");
    assert_eq!(read.basis, DateBasis::HtmlExportTime);
    assert_eq!(read.evidence, SUMMER_TITLE);
    assert!(
        read.detail
            .as_deref()
            .is_some_and(|d| d.contains("an hour off")),
        "{read:?}"
    );
}

#[test]
fn a_json_export_s_date_wins_over_the_html_one_in_both_orders() {
    let f = Fixture::new();
    let html = f.write("html/messages.html", page(2, SUMMER_TITLE, "Polls open"));
    let json = f.write("json/result.json", export(2, SUMMER_UNIX, "Polls open"));
    for (name, order) in [
        ("html-first", [&html, &json]),
        ("json-first", [&json, &html]),
    ] {
        let mut engine = f.engine(name);
        for input in order {
            run(&mut engine, &[input.as_path()], &IngestOptions::default());
        }
        let posts = engine.posts(&PostFilter::default()).expect("posts");
        assert_eq!(posts.len(), 1, "{name}: one message, one post");
        let v = &posts[0].current;
        assert_eq!(v.date.as_deref(), Some("2024-07-02T07:15:00Z"), "{name}");
        assert_eq!(v.date_inferred, None, "{name}");
        let detail = engine.post(posts[0].id).expect("post");
        assert_eq!(detail.sightings.len(), 2, "{name}");
        for version in &detail.versions {
            assert_eq!(
                version.date.as_deref(),
                Some("2024-07-02T07:15:00Z"),
                "{name}"
            );
        }
    }
}

#[test]
fn the_index_follows_a_date_that_an_observed_one_replaced() {
    // Sent 2024-07-01T23:30:00Z: the HTML export, written with the standard-time offset in
    // summer, reads an hour late and on the next day; the JSON export then gives the observed
    // time, and searches and counts by day follow it.
    let f = Fixture::new();
    let html = f.write(
        "html/messages.html",
        page(2, "02.07.2024 02:30:00 UTC+02:00", "Polls open"),
    );
    let json = f.write("json/result.json", export(2, 1_719_876_600, "Polls open"));
    let mut engine = f.engine("archive");
    run(&mut engine, &[&html], &IngestOptions::default());
    let total = |engine: &mut Engine, query: &str| {
        engine
            .search(query, tgscope_engine::SortBy::Newest, 10, 0)
            .expect("search")
            .total
    };
    assert_eq!(
        total(&mut engine, "polls date:2024-07-02"),
        1,
        "as the HTML reads"
    );
    run(&mut engine, &[&json], &IngestOptions::default());
    assert_eq!(total(&mut engine, "polls date:2024-07-01"), 1);
    assert_eq!(total(&mut engine, "polls date:2024-07-02"), 0);
    let counts = engine
        .count("polls", Some(tgscope_engine::Period::Day))
        .expect("count");
    assert_eq!(counts.counts.len(), 1);
    assert_eq!(counts.counts[0].start, "2024-07-01");
}

#[test]
fn the_network_and_entity_analyses_follow_a_date_that_an_observed_one_replaced() {
    // As above: the HTML export reads the post a day late, the JSON export then gives the
    // observed time without a new version; the analyses that keep a post's date read it again.
    let f = Fixture::new();
    let text = "Polls open in Kazakhstan #vote";
    let html = f.write(
        "html/messages.html",
        page(2, "02.07.2024 02:30:00 UTC+02:00", text),
    );
    let json = f.write("json/result.json", export(2, 1_719_876_600, text));
    let mut engine = f.engine("archive");
    let july = |day: u32| {
        tgscope_engine::network::date_bound("--since", &format!("2024-07-{day:02}")).unwrap()
    };
    let kazakhstan_on = |engine: &mut Engine, day: u32| -> u64 {
        let view = engine
            .entities(
                None,
                None,
                Some(july(day)),
                Some(july(day + 1)),
                tgscope_engine::Period::Day,
            )
            .expect("entities");
        view.table
            .entities
            .iter()
            .find(|e| e.key == "country:KZ")
            .map_or(0, |e| e.posts)
    };
    let tag_periods = |engine: &mut Engine| -> Vec<String> {
        let table = engine
            .hashtags(None, None, None, tgscope_engine::Period::Day)
            .expect("hashtags");
        table.tags[0]
            .periods
            .iter()
            .map(|p| p.period.clone())
            .collect()
    };
    run(&mut engine, &[&html], &IngestOptions::default());
    assert_eq!(kazakhstan_on(&mut engine, 2), 1, "as the HTML reads");
    assert_eq!(tag_periods(&mut engine), ["2024-07-02"]);
    run(&mut engine, &[&json], &IngestOptions::default());
    assert_eq!(kazakhstan_on(&mut engine, 1), 1, "the observed date");
    assert_eq!(kazakhstan_on(&mut engine, 2), 0);
    assert_eq!(tag_periods(&mut engine), ["2024-07-01"]);
}

#[test]
fn a_new_html_version_of_a_message_takes_the_observed_date() {
    // The HTML export shows another text (an edit): a new version, dated by the message's
    // observed date, not by the page's reading.
    let f = Fixture::new();
    let json = f.write("json/result.json", export(2, SUMMER_UNIX, "Polls open"));
    let html = f.write(
        "html/messages.html",
        page(2, SUMMER_TITLE, "Polls open at eight"),
    );
    let mut engine = f.engine("archive");
    run(&mut engine, &[&json], &IngestOptions::default());
    let report = run(&mut engine, &[&html], &IngestOptions::default());
    assert_eq!(report.captures[0].posts_updated, 1);
    let posts = engine.posts(&PostFilter::default()).expect("posts");
    assert_eq!(posts[0].current.text, "Polls open at eight");
    assert_eq!(
        posts[0].current.date.as_deref(),
        Some("2024-07-02T07:15:00Z")
    );
}

#[test]
fn every_html_page_warns_of_its_standard_time_offset() {
    let f = Fixture::new();
    let dir = f.tmp.path().join("ChatExport_2024-07-05");
    f.write(
        "ChatExport_2024-07-05/messages.html",
        page(2, SUMMER_TITLE, "Polls open"),
    );
    f.write(
        "ChatExport_2024-07-05/messages2.html",
        page(3, "02.07.2024 10:20:00 UTC+02:00", "Turnout"),
    );
    let mut engine = f.engine("archive");
    let report = run(&mut engine, &[&dir], &IngestOptions::default());
    assert_eq!(report.captures.len(), 2);
    for c in &report.captures {
        let notes = c
            .warnings
            .iter()
            .filter(|w| w.contains("standard-time offset"))
            .count();
        assert_eq!(notes, 1, "{}: {:?}", c.path.display(), c.warnings);
    }
}

/// The real personal chat exported both ways: the HTML times are an hour late (summer, a
/// standard offset written); with the JSON ingested after, every post has the JSON's time.
#[test]
fn the_real_chat_exported_both_ways_keeps_the_json_times() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples");
    if !dir.is_dir() {
        assert!(
            std::env::var_os("TGSCOPE_REQUIRE_SAMPLES").is_none(),
            "TGSCOPE_REQUIRE_SAMPLES is set and ../shared/samples is missing"
        );
        eprintln!("skipping: ../shared/samples not found");
        return;
    }
    let f = Fixture::new();
    let html = f.write(
        "html/messages.html",
        std::fs::read(dir.join("desktop-html/langchain_personal-chat_messages.html"))
            .expect("html sample"),
    );
    let json_text =
        std::fs::read_to_string(dir.join("desktop-json/langchain_personal-chat_result.json"))
            .expect("json sample");
    // The two files of the pair name the chat differently ("Jimmeny" in the JSON, the page
    // header "Jimmeny Marvelton"): named alike, they are one chat, as two exports of it are.
    let json_text = json_text.replacen("\"Jimmeny\"", "\"Jimmeny Marvelton\"", 1);
    let json = f.write("json/result.json", &json_text);
    let mut engine = f.engine("archive");
    run(&mut engine, &[&html], &IngestOptions::default());
    let before = engine.posts(&PostFilter::default()).expect("posts");
    assert!(before.iter().all(|p| p.current.date.is_none()));
    run(&mut engine, &[&json], &IngestOptions::default());
    let value: serde_json::Value = serde_json::from_str(&json_text).expect("json");
    let messages = value["messages"].as_array().expect("messages");
    let posts = engine.posts(&PostFilter::default()).expect("posts");
    assert_eq!(posts.len(), messages.len());
    for m in messages {
        let unix: i64 = m["date_unixtime"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("unix");
        let want = chrono::DateTime::from_timestamp(unix, 0)
            .expect("time")
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let p = posts
            .iter()
            .find(|p| p.message_id == m["id"].as_i64())
            .expect("post");
        assert_eq!(p.current.date.as_deref(), Some(want.as_str()));
        assert_eq!(p.current.date_inferred, None);
    }
}
