//! Integration tests of the engine API: ingest reports, identity and versions, raw captures,
//! export, errors by whose fault they are, and progress.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use tgscope_engine::model::Format;
use tgscope_engine::{
    CaptureStatus, Engine, ErrorKind, ExportFormat, IngestOptions, IngestReport, NoProgress,
    PostFilter, Progress,
};

/// A web-view capture of three posts (a forward with a placeholder and a lost link, a forward
/// dated from its neighbours, and the channel's own post with views).
const CAPTURE: &str = "\
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

/// A Telegram Desktop copy in Russian.
const DESKTOP: &str = "\
МИД России, [25/06/2022 07:25]
[Forwarded from Посольство России в Казахстане]
[ Photo ]
Сегодня министр провёл переговоры с коллегой из Казахстана. #МИД #СНГ

МИД России, [26/06/2022 19:05]
Брифинг официального представителя. #Брифинг
";

struct Fixture {
    tmp: TempDir,
    archive: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().expect("temporary directory");
        let archive = tmp.path().join("archive");
        Fixture { tmp, archive }
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.tmp.path().join(name);
        std::fs::write(&path, bytes).expect("write input");
        path
    }

    fn engine(&self) -> Engine {
        Engine::open(&self.archive).expect("archive opens")
    }
}

fn options(channel: &str) -> IngestOptions {
    IngestOptions {
        channel: Some(channel.to_string()),
        ..IngestOptions::default()
    }
}

fn ingest(engine: &mut Engine, paths: &[&Path], options: &IngestOptions) -> IngestReport {
    let paths: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
    engine
        .ingest(&paths, options, &mut NoProgress)
        .expect("ingest runs")
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn all() -> PostFilter {
    PostFilter::default()
}

fn export_jsonl(engine: &mut Engine, filter: &PostFilter) -> Vec<Value> {
    let mut out = Vec::new();
    let count = engine
        .export(filter, ExportFormat::Jsonl, &mut out)
        .expect("export");
    let text = String::from_utf8(out).expect("UTF-8");
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(
        records.len() as u64,
        count,
        "the count is the records written"
    );
    records
}

#[test]
fn ingest_reports_each_capture_with_its_hash_and_counts() {
    let f = Fixture::new();
    let path = f.write("capture.txt", CAPTURE);
    let mut engine = f.engine();
    let report = ingest(&mut engine, &[&path], &options("mfa_test"));
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(report.captures.len(), 1);
    let c = &report.captures[0];
    assert_eq!(c.path, path);
    assert_eq!(c.sha256, sha256(CAPTURE.as_bytes()));
    assert_eq!(c.format, "text");
    assert_eq!(c.channel, "mfa_test");
    assert!(!c.already_archived && !c.resumed);
    assert_eq!((c.posts_new, c.posts_updated, c.posts_unchanged), (3, 0, 0));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(report.posts_new(), 3);
    assert_eq!(report.warnings(), 0);

    let captures = engine.captures().expect("captures");
    assert_eq!(captures.len(), 1);
    assert_eq!(captures[0].sha256, c.sha256);
    assert_eq!(captures[0].size, CAPTURE.len() as u64);
    assert_eq!(captures[0].status, CaptureStatus::Complete);
    assert_eq!(captures[0].posts_seen, 3);
    assert!(captures[0].raw_kept);
    assert_eq!(captures[0].source, path.display().to_string());
}

#[test]
fn the_same_bytes_again_add_nothing() {
    let f = Fixture::new();
    let path = f.write("capture.txt", CAPTURE);
    let copy = f.write("copy under another name.txt", CAPTURE);
    let mut engine = f.engine();
    ingest(&mut engine, &[&path], &options("mfa_test"));
    let before = export_jsonl(&mut engine, &all());
    let stats_before = engine.stats().expect("stats");

    let report = ingest(&mut engine, &[&path, &copy], &options("other_name"));
    assert_eq!(report.captures.len(), 2);
    for c in &report.captures {
        assert!(c.already_archived, "{c:?}");
        assert_eq!((c.posts_new, c.posts_updated), (0, 0));
    }
    assert_eq!(export_jsonl(&mut engine, &all()), before);
    assert_eq!(engine.stats().expect("stats"), stats_before);
    assert_eq!(engine.captures().expect("captures").len(), 1);
}

#[test]
fn a_changed_word_gives_a_second_version_and_keeps_the_first() {
    let f = Fixture::new();
    let original = f.write("capture.txt", CAPTURE);
    let changed = CAPTURE.replace("rose by a third", "rose by a half");
    let edited = f.write("capture-later.txt", &changed);
    let mut engine = f.engine();
    ingest(&mut engine, &[&original], &options("mfa_test"));
    let report = ingest(&mut engine, &[&edited], &options("mfa_test"));
    let c = &report.captures[0];
    assert_eq!((c.posts_new, c.posts_updated, c.posts_unchanged), (0, 1, 2));

    let posts = engine.posts(&all()).expect("posts");
    assert_eq!(posts.len(), 3);
    let detail = engine.post(posts[0].id).expect("post 1");
    assert_eq!(detail.versions.len(), 2);
    assert_eq!(detail.versions[0].seq, 1);
    assert!(detail.versions[0].text.ends_with("rose by a third."));
    assert_eq!(detail.versions[1].seq, 2);
    assert!(detail.versions[1].text.ends_with("rose by a half."));
    assert_eq!(detail.versions[0].first_capture, sha256(CAPTURE.as_bytes()));
    assert_eq!(detail.versions[1].first_capture, sha256(changed.as_bytes()));
    assert_eq!(detail.post.version_count, 2);
    assert_eq!(detail.post.current.seq, 2);
    let seen: Vec<(i64, Option<u64>, Option<u64>)> = detail
        .sightings
        .iter()
        .map(|s| (s.version_seq, s.line_start, s.line_end))
        .collect();
    assert_eq!(seen, [(1, Some(1), Some(12)), (2, Some(1), Some(12))]);

    for post in &posts[1..] {
        let d = engine.post(post.id).expect("post");
        assert_eq!(d.versions.len(), 1);
        assert_eq!(d.sightings.len(), 2);
        assert_eq!(post.captures.len(), 2);
    }
    let stats = engine.stats().expect("stats");
    assert_eq!((stats.posts, stats.versions, stats.edited_posts), (3, 4, 1));
    assert!(engine.check().expect("check").is_empty());
}

#[test]
fn raw_bytes_are_kept_exactly_unless_asked_not_to() {
    let f = Fixture::new();
    let path = f.write("capture.txt", CAPTURE);
    let desktop = f.write("desktop.txt", DESKTOP);
    let mut engine = f.engine();
    ingest(&mut engine, &[&path], &options("mfa_test"));
    let sha = sha256(CAPTURE.as_bytes());
    assert_eq!(
        engine.raw_capture(&sha).expect("raw kept"),
        CAPTURE.as_bytes()
    );
    let raw_file = f
        .archive
        .join("raw")
        .join(&sha[..2])
        .join(format!("{sha}.zst"));
    assert!(raw_file.is_file());

    let no_raw = IngestOptions {
        keep_raw: false,
        ..options("mid_ru")
    };
    ingest(&mut engine, &[&desktop], &no_raw);
    let desktop_sha = sha256(DESKTOP.as_bytes());
    let captures = engine.captures().expect("captures");
    let kept = captures
        .iter()
        .find(|c| c.sha256 == desktop_sha)
        .expect("capture");
    assert!(!kept.raw_kept);
    assert!(engine.raw_capture(&desktop_sha).is_err());
    assert!(
        !f.archive
            .join("raw")
            .join(&desktop_sha[..2])
            .join(format!("{desktop_sha}.zst"))
            .exists()
    );
}

#[test]
fn skipped_inputs_are_reported_and_the_run_goes_on() {
    let f = Fixture::new();
    let missing = f.tmp.path().join("missing.txt");
    let empty = f.write("empty.txt", b"");
    let latin1 = f.write("latin1.txt", b"ok\nbad \xe9\n");
    let good = f.write("capture.txt", CAPTURE);
    let mut engine = f.engine();
    let report = ingest(
        &mut engine,
        &[&missing, &empty, &latin1, &good],
        &options("mfa_test"),
    );
    assert_eq!(report.captures.len(), 1);
    assert_eq!(report.captures[0].posts_new, 3);
    let skipped: Vec<(&Path, &str)> = report
        .skipped
        .iter()
        .map(|s| (s.path.as_path(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            (missing.as_path(), "no such file or folder"),
            (empty.as_path(), "the file is empty"),
            (
                latin1.as_path(),
                "not valid UTF-8 at byte 7 (line 2); save the capture as UTF-8"
            ),
        ]
    );
    assert_eq!(engine.captures().expect("captures").len(), 1);
    assert!(engine.check().expect("check").is_empty());
}

#[test]
fn export_writes_jsonl_and_csv_records() {
    let f = Fixture::new();
    let path = f.write("capture.txt", CAPTURE);
    let desktop = f.write("desktop.txt", DESKTOP);
    let mut engine = f.engine();
    ingest(&mut engine, &[&path], &options("mfa_test"));
    ingest(&mut engine, &[&desktop], &options("mid_ru"));

    let records = export_jsonl(&mut engine, &all());
    assert_eq!(records.len(), 5);
    let first = &records[0];
    assert_eq!(first["forwarded_from"]["title"], "Russian MFA 🇷🇺");
    assert_eq!(first["media"][0]["placeholder"], "too_big");
    assert_eq!(first["links"][0]["label"], "Read in full");
    assert_eq!(first["links"][0]["url"], Value::Null);
    assert_eq!(first["date_inferred"]["date"], "2024-03-14");
    assert_eq!(
        first["captures"],
        serde_json::json!([sha256(CAPTURE.as_bytes())])
    );
    assert_eq!(
        records[1]["date_inferred"]["basis"],
        "text_day_month_neighbour_year"
    );
    assert_eq!(records[1]["date_inferred"]["date"], "2024-03-20");
    assert_eq!(records[2]["views"], 214_400);
    assert_eq!(records[2]["forwarded_from"], Value::Null);
    assert_eq!(records[3]["author"], "МИД России");
    assert_eq!(records[3]["hashtags"], serde_json::json!(["МИД", "СНГ"]));

    let mut csv_bytes = Vec::new();
    let count = engine
        .export(&all(), ExportFormat::Csv, &mut csv_bytes)
        .expect("CSV export");
    assert_eq!(count, 5);
    let mut reader = csv::Reader::from_reader(&csv_bytes[..]);
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header, tgscope_engine::export::CSV_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 5);
    let text = header
        .iter()
        .position(|h| h == "text")
        .expect("text column");
    assert_eq!(&rows[0][text], records[0]["text"].as_str().unwrap());

    // Filters apply to export.
    let tagged = export_jsonl(
        &mut engine,
        &PostFilter {
            hashtag: Some("#мид".into()),
            ..all()
        },
    );
    assert_eq!(tagged.len(), 1);
    assert_eq!(tagged[0]["channel"], "mid_ru");
    let dated = export_jsonl(
        &mut engine,
        &PostFilter {
            since: Some("2022-06-26".into()),
            until: Some("2024-03-19".into()),
            ..all()
        },
    );
    let ids: Vec<i64> = dated.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [1, 5]);
    let paged = engine
        .posts(&PostFilter {
            limit: Some(2),
            offset: 1,
            ..all()
        })
        .expect("posts");
    assert_eq!(paged.iter().map(|p| p.id).collect::<Vec<_>>(), [2, 3]);
    let from = engine
        .posts(&PostFilter {
            forwarded_from: Some("russian mfa 🇷🇺".into()),
            ..all()
        })
        .expect("posts");
    assert_eq!(from.iter().map(|p| p.id).collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn batch_size_does_not_change_what_is_archived() {
    let one = Fixture::new();
    let many = Fixture::new();
    let a = one.write("capture.txt", CAPTURE);
    let b = many.write("capture.txt", CAPTURE);
    let mut e1 = one.engine();
    let mut e2 = many.engine();
    ingest(
        &mut e1,
        &[&a],
        &IngestOptions {
            batch: Some(1),
            ..options("mfa_test")
        },
    );
    ingest(&mut e2, &[&b], &options("mfa_test"));
    assert_eq!(export_jsonl(&mut e1, &all()), export_jsonl(&mut e2, &all()));
    assert_eq!(e1.stats().expect("stats"), e2.stats().expect("stats"));
}

#[test]
fn errors_say_whose_fault_they_are() {
    let f = Fixture::new();
    let missing = f.tmp.path().join("no-archive-here");
    let err = Engine::open_existing(&missing)
        .err()
        .expect("no archive there");
    assert_eq!(err.kind(), ErrorKind::User);
    assert!(err.to_string().contains("no archive at"), "{err}");
    assert!(!missing.exists(), "open_existing created the archive");

    let path = f.write("capture.txt", CAPTURE);
    let mut engine = f.engine();
    ingest(&mut engine, &[&path], &options("mfa_test"));
    let err = engine.post(99_999).expect_err("no such post");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.to_string(), "no post with id 99999 in the archive");

    let bad = PostFilter {
        since: Some("2024-13-01".into()),
        ..all()
    };
    let err = engine.posts(&bad).expect_err("bad date");
    assert_eq!(err.kind(), ErrorKind::User);
    assert_eq!(
        err.to_string(),
        "since \"2024-13-01\" is not a date; write YYYY-MM-DD"
    );
    let mut out = Vec::new();
    let bad = PostFilter {
        until: Some("2024-02-30".into()),
        ..all()
    };
    let err = engine
        .export(&bad, ExportFormat::Csv, &mut out)
        .expect_err("bad date");
    assert_eq!(err.kind(), ErrorKind::User);
    assert!(out.is_empty(), "nothing written for a bad filter");
}

#[test]
fn an_archive_reopens_with_its_posts_and_reads_while_open_for_reading() {
    let f = Fixture::new();
    let path = f.write("capture.txt", CAPTURE);
    {
        let mut engine = f.engine();
        ingest(&mut engine, &[&path], &options("mfa_test"));
        assert_eq!(engine.dir(), f.archive);
    }
    let reader = Engine::open_existing(&f.archive).expect("opens");
    assert_eq!(reader.posts(&all()).expect("posts").len(), 3);
    assert!(reader.check().expect("check").is_empty());
    let channels = reader.channels().expect("channels");
    let own = channels
        .iter()
        .find(|c| c.channel.username.as_deref() == Some("mfa_test"))
        .expect("own channel");
    assert_eq!((own.posts, own.forwards), (3, 2));
    let source = channels
        .iter()
        .find(|c| c.channel.title.as_deref() == Some("Russian MFA 🇷🇺"))
        .expect("forward source");
    assert_eq!(source.forwarded_by_others, 2);
    let mut engine = f.engine();
    let report = ingest(&mut engine, &[&path], &options("mfa_test"));
    assert!(report.captures[0].already_archived);
}

#[test]
fn detection_notes_prose_and_a_forced_format_does_not() {
    let f = Fixture::new();
    let prose = f.write(
        "notes.txt",
        "Just some words a channel wrote about the weather today.\n\
         And more words about the rain tomorrow.\n",
    );
    let mut engine = f.engine();
    let report = ingest(&mut engine, &[&prose], &options("notes"));
    assert_eq!(report.captures[0].warnings.len(), 1);
    assert!(report.captures[0].warnings[0].contains("no Telegram markers"));

    let g = Fixture::new();
    let prose = g.write("notes.txt", std::fs::read(&prose).expect("read"));
    let mut engine = g.engine();
    let forced = IngestOptions {
        format: Some(Format::Text),
        ..options("notes")
    };
    let report = ingest(&mut engine, &[&prose], &forced);
    assert!(report.captures[0].warnings.is_empty());
    assert_eq!(report.captures[0].posts_new, 1);
    // A forced format still refuses what is not text.
    let binary = g.write("blob.bin", b"abc\x00def");
    let report = ingest(&mut engine, &[&binary], &forced);
    assert_eq!(report.skipped.len(), 1);
    assert!(
        report.skipped[0].reason.contains("NUL"),
        "{:?}",
        report.skipped
    );
}

#[test]
fn a_utc_offset_makes_desktop_headers_observed_times() {
    let f = Fixture::new();
    let path = f.write("desktop.txt", DESKTOP);
    let mut engine = f.engine();
    let mut with_offset = options("mid_ru");
    with_offset.read.text.desktop_utc_offset = chrono::FixedOffset::east_opt(3 * 3600);
    ingest(&mut engine, &[&path], &with_offset);
    let posts = engine.posts(&all()).expect("posts");
    let dates: Vec<Option<&str>> = posts.iter().map(|p| p.current.date.as_deref()).collect();
    assert_eq!(
        dates,
        [Some("2022-06-25T04:25:00Z"), Some("2022-06-26T16:05:00Z")]
    );
    assert!(posts.iter().all(|p| p.current.date_inferred.is_none()));
    assert_eq!(engine.stats().expect("stats").dated_observed, 2);
}

/// Records the calls a progress receiver gets.
#[derive(Default)]
struct Recorder {
    events: Vec<String>,
    hashing: u64,
    reading: u64,
}

impl Progress for Recorder {
    fn input(&mut self, path: &Path, bytes: u64) {
        self.events.push(format!(
            "input {} {bytes}",
            path.file_name().unwrap().to_string_lossy()
        ));
    }
    fn advance(&mut self, phase: &'static str, bytes: u64) {
        match phase {
            "hashing" => self.hashing += bytes,
            "reading" => self.reading += bytes,
            other => panic!("unknown phase {other}"),
        }
    }
    fn input_done(&mut self) {
        self.events.push("done".to_string());
    }
}

#[test]
fn progress_follows_each_input_through_hashing_and_reading() {
    let f = Fixture::new();
    let path = f.write("capture.txt", CAPTURE);
    let mut engine = f.engine();
    let mut progress = Recorder::default();
    engine
        .ingest(
            std::slice::from_ref(&path),
            &options("mfa_test"),
            &mut progress,
        )
        .expect("ingest");
    let size = CAPTURE.len() as u64;
    assert_eq!(
        progress.events,
        [format!("input capture.txt {size}"), "done".into()]
    );
    assert_eq!(progress.hashing, size);
    assert_eq!(progress.reading, size);

    // Already archived: hashed again, not read.
    let mut progress = Recorder::default();
    engine
        .ingest(&[path], &options("mfa_test"), &mut progress)
        .expect("ingest");
    assert_eq!(
        progress.events,
        [format!("input capture.txt {size}"), "done".into()]
    );
    assert_eq!(progress.hashing, size);
    assert_eq!(progress.reading, 0);
}

#[test]
fn progress_closes_every_input_it_opens() {
    let f = Fixture::new();
    let empty = f.write("empty.txt", b"");
    let latin1 = f.write("latin1.txt", b"ok\nbad \xe9\n");
    let good = f.write("capture.txt", CAPTURE);
    let mut engine = f.engine();
    let mut progress = Recorder::default();
    let report = engine
        .ingest(&[empty, latin1, good], &options("mfa_test"), &mut progress)
        .expect("ingest");
    assert_eq!(report.skipped.len(), 2);
    let inputs = progress
        .events
        .iter()
        .filter(|e| e.starts_with("input "))
        .count();
    let done = progress.events.iter().filter(|e| *e == "done").count();
    assert_eq!(inputs, 3, "{:?}", progress.events);
    assert_eq!(done, inputs, "every input is closed: {:?}", progress.events);
}

#[test]
fn an_already_archived_capture_reports_the_channel_it_is_filed_under() {
    let f = Fixture::new();
    let path = f.write("capture.txt", CAPTURE);
    let mut engine = f.engine();
    ingest(&mut engine, &[&path], &options("mfa_test"));
    let report = ingest(&mut engine, &[&path], &options("other_channel"));
    assert!(report.captures[0].already_archived);
    assert_eq!(report.captures[0].channel, "mfa_test");
    assert_eq!(
        report.captures[0].warnings.len(),
        1,
        "the ignored --channel is named"
    );
    assert!(report.captures[0].warnings[0].contains("other_channel"));
    let channels = engine.channels().expect("channels");
    assert!(
        channels
            .iter()
            .all(|c| c.channel.username.as_deref() != Some("other_channel")),
        "no channel was made for the ignored name"
    );
}

/// A small Desktop JSON export of a public channel: a service event, a post with a photo the
/// export holds, a forward, an edit.
fn export_json(text_of_2: &str) -> String {
    format!(
        r#"{{
 "name": "Test Channel",
 "type": "public_channel",
 "id": 1000000001,
 "messages": [
  {{"id": 1, "type": "service", "date": "2024-03-01T09:00:00", "date_unixtime": "1709283600",
    "actor": "Test Channel", "actor_id": "channel1000000001", "action": "create_channel",
    "title": "Test Channel", "text": ""}},
  {{"id": 2, "type": "message", "date": "2024-03-01T10:00:00", "date_unixtime": "1709287200",
    "from": "Test Channel", "from_id": "channel1000000001",
    "photo": "photos/photo_2.jpg", "width": 10, "height": 10,
    "text": "{text_of_2}", "text_entities": [{{"type": "plain", "text": "{text_of_2}"}}]}},
  {{"id": 3, "type": "message", "date": "2024-03-01T11:00:00", "date_unixtime": "1709290800",
    "from": "Test Channel", "from_id": "channel1000000001",
    "forwarded_from": "МИД России", "forwarded_from_id": "channel1000000002",
    "file": "../outside.txt", "text": "Forwarded statement #СНГ"}}
 ]
}}"#
    )
}

#[test]
fn a_desktop_json_export_files_its_chat_events_and_media() {
    let f = Fixture::new();
    let dir = f.tmp.path().join("export");
    std::fs::create_dir_all(dir.join("photos")).expect("dirs");
    std::fs::write(dir.join("photos/photo_2.jpg"), b"\xff\xd8\xffjpeg bytes").expect("photo");
    std::fs::write(f.tmp.path().join("outside.txt"), b"secret").expect("outside");
    let result = dir.join("result.json");
    std::fs::write(&result, export_json("Statement of the day")).expect("export");
    let mut engine = f.engine();
    let report = ingest(&mut engine, &[&result], &IngestOptions::default());
    let capture = &report.captures[0];
    assert_eq!(capture.format, "desktop-json");
    assert_eq!(capture.channel, "Test Channel");
    assert_eq!(capture.posts_new, 2);
    assert!(
        capture
            .warnings
            .iter()
            .any(|w| w.contains("../outside.txt")),
        "{:?}",
        capture.warnings
    );
    let stats = engine.stats().expect("stats");
    assert_eq!(stats.events, 1);
    let channels = engine.channels().expect("channels");
    let own = channels
        .iter()
        .find(|c| c.channel.tg_id == Some(1000000001))
        .expect("the chat is a channel with its id");
    assert_eq!(own.channel.kind.as_deref(), Some("public_channel"));
    assert_eq!(own.posts, 2);
    let posts = engine.posts(&PostFilter::default()).expect("posts");
    let photo = &posts[0].current.media[0];
    let expected = hex::encode(Sha256::digest(b"\xff\xd8\xffjpeg bytes"));
    assert_eq!(photo.sha256.as_deref(), Some(expected.as_str()));
    let kept = f.archive.join("media").join(&expected[..2]).join(&expected);
    assert_eq!(
        std::fs::read(kept).expect("kept media"),
        b"\xff\xd8\xffjpeg bytes"
    );
    // Nothing from outside the export's folder was copied.
    assert_eq!(posts[1].current.media[0].path, None);
    assert_eq!(posts[1].current.media[0].sha256, None);
    assert_eq!(posts[1].message_id, Some(3));
    assert_eq!(
        posts[1]
            .current
            .forward
            .as_ref()
            .and_then(|f| f.sender_id.as_deref()),
        Some("channel1000000002")
    );

    // The same export again adds nothing; an export where message 2 was edited adds a version.
    let again = ingest(&mut engine, &[&result], &IngestOptions::default());
    assert!(again.captures[0].already_archived);
    let later = dir.join("result-later.json");
    std::fs::write(&later, export_json("Statement of the day, corrected")).expect("export");
    let report = ingest(&mut engine, &[&later], &IngestOptions::default());
    assert_eq!(
        (
            report.captures[0].posts_new,
            report.captures[0].posts_updated,
            report.captures[0].posts_unchanged
        ),
        (0, 1, 1)
    );
    let detail = engine.post(posts[0].id).expect("post");
    let texts: Vec<&str> = detail.versions.iter().map(|v| v.text.as_str()).collect();
    assert_eq!(
        texts,
        ["Statement of the day", "Statement of the day, corrected"]
    );
}

#[test]
fn a_media_link_that_leaves_the_export_is_not_followed() {
    let f = Fixture::new();
    let dir = f.tmp.path().join("export");
    std::fs::create_dir_all(dir.join("photos")).expect("dirs");
    std::fs::write(f.tmp.path().join("secret.jpg"), b"not yours").expect("secret");
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        f.tmp.path().join("secret.jpg"),
        dir.join("photos/photo_2.jpg"),
    )
    .expect("symlink");
    let result = dir.join("result.json");
    std::fs::write(&result, export_json("Text")).expect("export");
    let mut engine = f.engine();
    let report = ingest(&mut engine, &[&result], &IngestOptions::default());
    #[cfg(unix)]
    {
        assert!(
            report.captures[0]
                .warnings
                .iter()
                .any(|w| w.contains("photos/photo_2.jpg") && w.contains("outside")),
            "{:?}",
            report.captures[0].warnings
        );
        let posts = engine.posts(&PostFilter::default()).expect("posts");
        assert_eq!(posts[0].current.media[0].sha256, None);
        assert!(!f.archive.join("media").exists() || walk_files(&f.archive.join("media")) == 0);
    }
}

fn walk_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() { walk_files(&p) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn a_truncated_export_archives_what_came_before_and_names_the_offset() {
    let f = Fixture::new();
    let full = export_json("Statement of the day");
    let cut = full.find("\"id\": 3").expect("third message");
    let path = f.write("result.json", &full[..cut]);
    let mut engine = f.engine();
    let report = ingest(&mut engine, &[&path], &IngestOptions::default());
    assert_eq!(report.skipped.len(), 1);
    let reason = &report.skipped[0].reason;
    assert!(reason.contains(&format!("byte {cut}")), "{reason}");
    assert!(reason.contains("partial"), "{reason}");
    let posts = engine.posts(&PostFilter::default()).expect("posts");
    assert_eq!(posts.len(), 1, "the message before the damage is archived");
    assert_eq!(posts[0].message_id, Some(2));
    let captures = engine.captures().expect("captures");
    assert_eq!(captures[0].status, CaptureStatus::Partial);
    assert!(engine.check().expect("check").is_empty());
}

#[test]
fn a_post_first_seen_in_plain_text_takes_its_id_from_a_later_export() {
    let f = Fixture::new();
    let text = f.write(
        "copy.txt",
        "Forwarded from МИД России\nForwarded statement #СНГ\nForwarded statement #СНГ\n",
    );
    let mut engine = f.engine();
    ingest(&mut engine, &[&text], &options("Test Channel"));
    let before = engine.posts(&all()).expect("posts");
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].message_id, None);

    let result = f.write("result.json", export_json("Statement of the day"));
    let report = ingest(&mut engine, &[&result], &IngestOptions::default());
    assert_eq!(report.captures[0].posts_new, 1, "message 2 is new");
    assert_eq!(
        report.captures[0].posts_unchanged, 1,
        "message 3 is the text post"
    );
    let posts = engine.posts(&all()).expect("posts");
    assert_eq!(posts.len(), 2);
    let linked = engine.post(before[0].id).expect("the text post");
    assert_eq!(linked.post.message_id, Some(3));
    assert_eq!(linked.post.channel.tg_id, Some(1000000001));
    assert_eq!(
        linked.sightings.len(),
        2,
        "seen in the text copy and in the export"
    );
    assert_eq!(linked.versions.len(), 1);
}

/// One chat exported twice, as HTML and as JSON: two messages (formatted text with a link and a
/// hashtag; a forward with its photo).
const PAIR_HTML: &str = r#"<!DOCTYPE html>
<html>
 <head><meta charset="utf-8"/><title>Exported Data</title></head>
 <body>
  <div class="page_wrap">
   <div class="page_header"><div class="content"><div class="text bold">
Baltic Wire
   </div></div></div>
   <div class="page_body chat_page">
    <div class="history">
     <div class="message service" id="message-1"><div class="body details">
2 March 2024
     </div></div>
     <div class="message default clearfix" id="message2">
      <div class="body">
       <div class="pull_right date details" title="02.03.2024 09:15:00 UTC+02:00">
09:15
       </div>
       <div class="from_name">
Baltic Wire
       </div>
       <div class="text">
<strong>Polls open</strong><br>Turnout was <em>31 percent</em>. Read the <a href="https://example.org/r">full report</a> <a href="" onclick="return ShowHashtag(&quot;elections&quot;)">#elections</a>
       </div>
      </div>
     </div>
     <div class="message default clearfix joined" id="message3">
      <div class="body">
       <div class="pull_right date details" title="02.03.2024 09:20:00 UTC+02:00">
09:20
       </div>
       <div class="forwarded body">
        <div class="from_name">
Helsinki Desk<span class="date details" title="01.03.2024 18:05:00 UTC+02:00"> 01.03.2024 18:05:00</span>
        </div>
        <div class="media_wrap clearfix">
         <a class="photo_wrap clearfix pull_left" href="photos/photo_1.jpg">
          <img class="photo" src="photos/photo_1_thumb.jpg" style="width: 260px; height: 173px"/>
         </a>
        </div>
        <div class="text">
Queue at a polling station.
        </div>
       </div>
      </div>
     </div>
    </div>
   </div>
  </div>
 </body>
</html>
"#;

const PAIR_JSON: &str = r##"{
 "name": "Baltic Wire",
 "type": "public_channel",
 "id": 1000000077,
 "messages": [
  {"id": 2, "type": "message", "date": "2024-03-02T09:15:00", "date_unixtime": "1709363700",
   "from": "Baltic Wire", "from_id": "channel1000000077",
   "text": [{"type": "bold", "text": "Polls open"}, "\nTurnout was ",
            {"type": "italic", "text": "31 percent"}, ". Read the ",
            {"type": "text_link", "text": "full report", "href": "https://example.org/r"}, " ",
            {"type": "hashtag", "text": "#elections"}],
   "text_entities": [{"type": "bold", "text": "Polls open"}, {"type": "plain", "text": "\nTurnout was "},
            {"type": "italic", "text": "31 percent"}, {"type": "plain", "text": ". Read the "},
            {"type": "text_link", "text": "full report", "href": "https://example.org/r"},
            {"type": "plain", "text": " "}, {"type": "hashtag", "text": "#elections"}]},
  {"id": 3, "type": "message", "date": "2024-03-02T09:20:00", "date_unixtime": "1709364000",
   "from": "Baltic Wire", "from_id": "channel1000000077",
   "forwarded_from": "Helsinki Desk", "photo": "photos/photo_1.jpg", "width": 1280, "height": 853,
   "text": "Queue at a polling station.",
   "text_entities": [{"type": "plain", "text": "Queue at a polling station."}]}
 ]
}"##;

#[test]
fn the_json_and_html_exports_of_one_chat_give_the_same_posts() {
    let f = Fixture::new();
    let html_dir = f.tmp.path().join("html");
    let json_dir = f.tmp.path().join("json");
    std::fs::create_dir_all(&html_dir).expect("dirs");
    std::fs::create_dir_all(&json_dir).expect("dirs");
    std::fs::write(html_dir.join("messages.html"), PAIR_HTML).expect("html");
    std::fs::write(json_dir.join("result.json"), PAIR_JSON).expect("json");
    let options = IngestOptions {
        keep_media: false,
        ..IngestOptions::default()
    };

    // Each export alone, in its own archive: the same posts field by field.
    let read = |dir: &Path, name: &str| {
        let archive = f.tmp.path().join(name);
        let mut engine = Engine::open(&archive).expect("archive");
        let report = engine
            .ingest(&[dir.to_path_buf()], &options, &mut NoProgress)
            .expect("ingest");
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
        engine.posts(&all()).expect("posts")
    };
    let from_html = read(&html_dir, "html-archive");
    let from_json = read(&json_dir, "json-archive");
    assert_eq!(from_html.len(), 2);
    assert_eq!(from_json.len(), 2);
    for (h, j) in from_html.iter().zip(&from_json) {
        let (hv, jv) = (&h.current, &j.current);
        assert_eq!(h.message_id, j.message_id);
        // The HTML export's time is read as inferred (it may be an hour off in summer), the
        // JSON's as observed: the same instant.
        assert_eq!(
            hv.date_inferred.as_ref().map(|d| d.date.as_str()),
            jv.date.as_deref(),
            "message {:?}",
            h.message_id
        );
        assert_eq!(
            hv.date_inferred.as_ref().map(|d| d.basis),
            Some(tgscope_engine::model::DateBasis::HtmlExportTime)
        );
        assert_eq!(hv.text, jv.text, "message {:?}", h.message_id);
        assert_eq!(
            hv.sender.as_ref().and_then(|s| s.name.clone()),
            jv.sender.as_ref().and_then(|s| s.name.clone())
        );
        let links = |v: &tgscope_engine::VersionRecord| {
            v.links
                .iter()
                .map(|l| (l.url.clone(), l.label.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(links(hv), links(jv), "message {:?}", h.message_id);
        let kinds =
            |v: &tgscope_engine::VersionRecord| v.media.iter().map(|m| m.kind).collect::<Vec<_>>();
        assert_eq!(kinds(hv), kinds(jv), "message {:?}", h.message_id);
        assert_eq!(
            hv.forward.as_ref().and_then(|f| f.title.clone()),
            jv.forward.as_ref().and_then(|f| f.title.clone())
        );
    }
    assert_eq!(
        from_json[0].current.date.as_deref(),
        Some("2024-03-02T07:15:00Z")
    );

    // Both into one archive: one post per message, each seen twice, one version.
    let mut engine = f.engine();
    engine
        .ingest(&[json_dir, html_dir], &options, &mut NoProgress)
        .expect("ingest");
    let posts = engine.posts(&all()).expect("posts");
    assert_eq!(posts.len(), 2, "the same chat's posts are merged");
    for p in &posts {
        let detail = engine.post(p.id).expect("post");
        assert_eq!(detail.sightings.len(), 2);
        assert_eq!(detail.versions.len(), 1);
        assert_eq!(detail.post.captures.len(), 2);
    }
}
