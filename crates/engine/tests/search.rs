//! The full-text index beside the archive: kept current by ingest, caught up on open after a
//! crash left it behind, rebuilt when missing, and searched in Russian and English.

use std::path::Path;

use tempfile::TempDir;
use tgscope_engine::{Engine, ErrorKind, IngestOptions, NoProgress, Period, SortBy};

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write capture");
    path
}

fn options() -> IngestOptions {
    IngestOptions {
        channel: Some("mid_test".into()),
        ..IngestOptions::default()
    }
}

/// Two plain-text captures of one channel, each a dated post.
const FIRST: &str = "\
Россия и Китай обсудили торговлю (March 14, 2024)
Министры встретились в Москве.
";
const SECOND: &str = "\
Санкции против России не работают, заявил министр (April 2, 2024)
Sanctions hurt Europe first.
";

fn matches(engine: &mut Engine, query: &str) -> Vec<String> {
    engine
        .search(query, SortBy::Oldest, 20, 0)
        .expect("search")
        .hits
        .into_iter()
        .map(|h| {
            h.post
                .current
                .text
                .lines()
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn ingest_keeps_the_index_current_and_search_finds_every_word_form() {
    let tmp = TempDir::new().expect("tmp");
    let mut engine = Engine::open(&tmp.path().join("archive")).expect("archive");
    let a = write(tmp.path(), "a.txt", FIRST);
    let b = write(tmp.path(), "b.txt", SECOND);
    engine
        .ingest(&[a, b], &options(), &mut NoProgress)
        .expect("ingest");
    // "Россия" finds "России" in the second post too; "=Россия" only the exact form.
    assert_eq!(matches(&mut engine, "Россия").len(), 2);
    assert_eq!(
        matches(&mut engine, "=Россия"),
        ["Россия и Китай обсудили торговлю (March 14, 2024)"]
    );
    assert_eq!(matches(&mut engine, "sanction").len(), 1);
    let counts = engine.count("Россия", Some(Period::Month)).expect("count");
    let months: Vec<(String, u64)> = counts
        .counts
        .into_iter()
        .map(|c| (c.start, c.count))
        .collect();
    assert_eq!(
        months,
        [("2024-03-01".to_string(), 1), ("2024-04-01".to_string(), 1)]
    );
}

#[test]
fn an_index_left_behind_by_a_crash_is_caught_up_on_the_next_open() {
    let tmp = TempDir::new().expect("tmp");
    let dir = tmp.path().join("archive");
    let a = write(tmp.path(), "a.txt", FIRST);
    let b = write(tmp.path(), "b.txt", SECOND);
    {
        let mut engine = Engine::open(&dir).expect("archive");
        engine
            .ingest(&[a], &options(), &mut NoProgress)
            .expect("first");
    }
    // Keep the index as it was after the first ingest...
    let saved = tmp.path().join("index-after-first");
    copy_dir(&dir.join("index"), &saved);
    {
        let mut engine = Engine::open(&dir).expect("archive");
        engine
            .ingest(&[b], &options(), &mut NoProgress)
            .expect("second");
    }
    // ...and put it back: the archive committed the second capture, the index did not (as
    // when the process dies between the two commits).
    std::fs::remove_dir_all(dir.join("index")).expect("remove index");
    copy_dir(&saved, &dir.join("index"));

    // A read-only open notices and catches up before anything is served.
    let mut engine = Engine::open_existing(&dir).expect("reopen");
    assert_eq!(matches(&mut engine, "санкции").len(), 1);
    assert_eq!(matches(&mut engine, "Россия").len(), 2);
}

#[test]
fn an_index_another_process_is_writing_is_read_as_it_stands() {
    let tmp = TempDir::new().expect("tmp");
    let dir = tmp.path().join("archive");
    let a = write(tmp.path(), "a.txt", FIRST);
    let b = write(tmp.path(), "b.txt", SECOND);
    {
        let mut engine = Engine::open(&dir).expect("archive");
        engine
            .ingest(&[a], &options(), &mut NoProgress)
            .expect("first");
    }
    let saved = tmp.path().join("index-after-first");
    copy_dir(&dir.join("index"), &saved);
    {
        let mut engine = Engine::open(&dir).expect("archive");
        engine
            .ingest(&[b], &options(), &mut NoProgress)
            .expect("second");
    }
    std::fs::remove_dir_all(dir.join("index")).expect("remove index");
    copy_dir(&saved, &dir.join("index"));

    // An ingest in another process holds the index's writer lock: opening the archive to read
    // does not fail, and searches the index as it stands.
    let index = tgscope_index::Index::open_or_create(&dir.join("index")).expect("index");
    let writer = index.writer().expect("the lock");
    let mut engine = Engine::open_existing(&dir).expect("opens while the index is locked");
    assert_eq!(matches(&mut engine, "Россия").len(), 1);
    drop(engine);

    // Once the lock is released, the next open catches up.
    drop(writer);
    let mut engine = Engine::open_existing(&dir).expect("reopen");
    assert_eq!(matches(&mut engine, "Россия").len(), 2);
}

/// An archive of the first capture, and a writer that has committed the second capture to the
/// archive but not to the index (another writer held the index when it tried).
fn writer_behind_the_archive(tmp: &Path, dir: &Path) -> Engine {
    let a = write(tmp, "a.txt", FIRST);
    let b = write(tmp, "b.txt", SECOND);
    {
        let mut engine = Engine::open(dir).expect("archive");
        engine
            .ingest(&[a], &options(), &mut NoProgress)
            .expect("first");
    }
    let mut writer = Engine::open(dir).expect("writer");
    writer.set_index_wait(std::time::Duration::ZERO);
    let index = tgscope_index::Index::open_or_create(&dir.join("index")).expect("index");
    let held = index.writer().expect("the index's lock");
    let ingest = writer.ingest(&[b], &options(), &mut NoProgress);
    assert!(
        matches!(ingest, Err(tgscope_engine::EngineError::IndexBusy(_))),
        "{ingest:?}"
    );
    drop(held);
    writer
}

#[test]
fn a_reader_never_takes_the_index_from_a_writer_at_work() {
    let tmp = TempDir::new().expect("tmp");
    let dir = tmp.path().join("archive");
    // A writer at work: it has committed the second capture to the archive and not yet to the
    // index (here because another writer held the index when it tried).
    let mut writer = writer_behind_the_archive(tmp.path(), &dir);

    // Readers (search, stats, check, a starting server) leave the index to the writer: they
    // search what it holds and say that it is catching up.
    let mut reader = Engine::open_existing(&dir).expect("reader");
    assert_eq!(matches(&mut reader, "Россия").len(), 1);
    assert!(reader.index_catching_up());
    let page = reader
        .search("Россия", SortBy::Relevance, 10, 0)
        .expect("search");
    assert!(page.index_catching_up);
    assert!(
        matches!(
            reader.update_index(),
            Err(tgscope_engine::EngineError::IndexBusy(_))
        ),
        "a reader does not write the index while a writer is at work"
    );
    drop(reader);

    // The writer's own update is never refused by a reader, and finishes the job.
    let done = writer.update_index().expect("the writer indexes");
    assert_eq!(done.indexed, 1);
    drop(writer);
    let mut reader = Engine::open_existing(&dir).expect("reader");
    assert_eq!(matches(&mut reader, "Россия").len(), 2);
    assert!(!reader.index_catching_up());
}

#[test]
fn a_reader_catches_a_lagging_index_up_when_no_writer_is_at_work() {
    let tmp = TempDir::new().expect("tmp");
    let dir = tmp.path().join("archive");
    drop(writer_behind_the_archive(tmp.path(), &dir));
    // The writer died before indexing: the next reader catches the index up itself.
    let mut reader = Engine::open_existing(&dir).expect("reader");
    assert!(!reader.index_catching_up());
    assert_eq!(matches(&mut reader, "Россия").len(), 2);
}

#[test]
fn counts_say_how_many_matches_have_no_date() {
    let tmp = TempDir::new().expect("tmp");
    let mut engine = Engine::open(&tmp.path().join("archive")).expect("archive");
    let a = write(tmp.path(), "a.txt", FIRST);
    let undated = write(
        tmp.path(),
        "c.txt",
        "Россия и Индия подписали соглашение\nБез даты в тексте.\n",
    );
    engine
        .ingest(&[a, undated], &options(), &mut NoProgress)
        .expect("ingest");
    let counts = engine.count("Россия", None).expect("count");
    assert_eq!((counts.matching, counts.dated, counts.undated), (2, 1, 1));
    assert_eq!(counts.period, Period::Day, "one day: counted per day");
    assert!(counts.period_chosen);
    assert_eq!(counts.counts.iter().map(|c| c.count).sum::<u64>(), 1);
}

#[test]
fn a_missing_index_is_rebuilt_and_reindex_rebuilds_it() {
    let tmp = TempDir::new().expect("tmp");
    let dir = tmp.path().join("archive");
    let a = write(tmp.path(), "a.txt", FIRST);
    {
        let mut engine = Engine::open(&dir).expect("archive");
        engine
            .ingest(&[a], &options(), &mut NoProgress)
            .expect("ingest");
    }
    std::fs::remove_dir_all(dir.join("index")).expect("remove index");
    let mut engine = Engine::open_existing(&dir).expect("reopen");
    assert_eq!(matches(&mut engine, "Китай").len(), 1);
    let done = engine.reindex().expect("reindex");
    assert!(done.rebuilt);
    assert_eq!(done.indexed, 1);
    assert_eq!(matches(&mut engine, "Китай").len(), 1);
}

#[test]
fn a_bad_query_is_the_users_fault_and_says_where() {
    let tmp = TempDir::new().expect("tmp");
    let mut engine = Engine::open(&tmp.path().join("archive")).expect("archive");
    let err = engine
        .search("Россия \"коллективный Запад", SortBy::Relevance, 10, 0)
        .expect_err("unclosed quote");
    assert_eq!(err.kind(), ErrorKind::User);
    let message = err.to_string();
    assert!(message.contains("unclosed quote"), "{message}");
    assert!(
        message.contains("character 8"),
        "names the position: {message}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
