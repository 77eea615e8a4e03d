//! Concurrent writers on one PostgreSQL archive: the archive's mark follows commit order, so a
//! reader catching up by the mark misses no version committed late; a conflict between
//! writers fails with an error that says to retry; and ingests running at once, each retried
//! when told to, give the archive a serial ingest gives.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Barrier;
use std::time::Duration;

use tgscope_engine::archive::prelude::*;
use tgscope_engine::archive::{NewCapture, PostSelection};
use tgscope_engine::model::{CapturedPost, ChannelRef, Location};
use tgscope_engine::{Engine, ExportFormat, IngestOptions, NoProgress, PostFilter};
use tgscope_postgres::{PgArchive, is_retryable, testing};

fn capture(sha: &str) -> NewCapture<'_> {
    NewCapture {
        sha256: sha,
        size: 1,
        format: "text",
        reader_version: "test",
        source: "test.txt",
        channel_id: None,
        raw_kept: false,
    }
}

/// Writes one post with its version and sighting in `channel`; returns the version's id.
fn write_post(
    w: &dyn ArchiveWriter,
    channel: i64,
    capture: i64,
    text: &str,
) -> anyhow::Result<i64> {
    let post = w.insert_post(channel, None, text, text, capture)?;
    let captured = CapturedPost {
        text: text.to_string(),
        raw_text: text.to_string(),
        ..CapturedPost::default()
    };
    let version = w.insert_version(post, channel, text, &captured, capture, None)?;
    w.insert_sighting(version, capture, 0, &Location::default(), None, None)?;
    // The writer holds its writes back until it next reads: this read sends them (drawing
    // their ids now) and gives the version's id in the archive.
    let (_, version) = w
        .version_by_key(channel, None, text)?
        .expect("the writer reads its own version");
    Ok(version)
}

/// The posts a reader catching up from `mark` reads, with their texts.
fn caught_up(reader: &PgArchive, mark: i64) -> anyhow::Result<Vec<String>> {
    let mut texts = Vec::new();
    reader.walk_posts_for_index(PostSelection::AfterMark(mark), &mut |p| {
        texts.push(p.text);
        ControlFlow::Continue(())
    })?;
    Ok(texts)
}

#[test]
fn a_reader_catching_up_by_the_mark_misses_no_version_committed_late() -> anyhow::Result<()> {
    let Some(url) = testing::database()? else {
        return Ok(());
    };
    let tmp = tempfile::tempdir()?;
    let mut first = PgArchive::open(&url, &tmp.path().join("first"))?;
    let mut second = PgArchive::open(&url, &tmp.path().join("second"))?;
    let reader = PgArchive::open(&url, &tmp.path().join("reader"))?;

    // Two channels and a capture each, committed.
    let (a_channel, a_capture, b_channel, b_capture) = {
        let w = first.writer()?;
        let ids = (
            w.ensure_channel(&ChannelRef::named("channel_a"))?,
            w.insert_capture(&capture("aa"))?,
            w.ensure_channel(&ChannelRef::named("channel_b"))?,
            w.insert_capture(&capture("bb"))?,
        );
        w.commit()?;
        ids
    };
    assert_eq!(reader.index_mark()?, 0);

    // The first writer adds a version and does not commit yet; the second adds one, with a
    // larger id, and commits.
    let a = first.writer()?;
    let a_version = write_post(&*a, a_channel, a_capture, "written first, committed last")?;
    let b = second.writer()?;
    let b_version = write_post(&*b, b_channel, b_capture, "written second, committed first")?;
    b.commit()?;
    assert!(
        a_version < b_version,
        "ids in the order they were handed out"
    );

    // The reader catches up: it sees the committed version, and records the mark.
    let mark = reader.index_mark()?;
    assert_eq!(caught_up(&reader, 0)?, ["written second, committed first"]);

    // The first writer commits: its version's mark is above the reader's mark, though its id
    // is below the id of the version the reader has read.
    a.commit()?;
    let later = reader.index_mark()?;
    assert!(later > mark, "{later} > {mark}");
    assert!(
        a_version < mark.max(b_version),
        "by ids the reader would have skipped it"
    );
    assert_eq!(caught_up(&reader, mark)?, ["written first, committed last"]);
    let changed = reader.posts_changed_after(mark)?;
    assert_eq!(changed.len(), 1);
    assert_eq!(
        reader
            .post_texts_after(mark, later)?
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>(),
        ["written first, committed last"]
    );
    // Windows of marks, by the sizes of the versions' texts in commit order: the version
    // committed first fills a window of its own size.
    let first_size = "written second, committed first".len() as u64;
    assert_eq!(reader.window_end(0, later, first_size, 16)?, mark);
    assert_eq!(reader.window_end(0, later, 1_000, 16)?, later);
    assert_eq!(reader.window_end(0, later, 1_000, 1)?, mark);
    assert_eq!(
        reader.window_end(mark, later, 1, 16)?,
        later,
        "a window holds its first version, however large"
    );
    assert!(caught_up(&reader, later)?.is_empty());
    assert_eq!(reader.check()?, Vec::<String>::new());
    Ok(())
}

#[test]
fn a_capture_added_by_two_writers_at_once_fails_once_with_an_error_to_retry() -> anyhow::Result<()>
{
    let Some(url) = testing::database()? else {
        return Ok(());
    };
    let tmp = tempfile::tempdir()?;
    let mut first = PgArchive::open(&url, &tmp.path().join("first"))?;
    let mut second = PgArchive::open(&url, &tmp.path().join("second"))?;
    let started = Barrier::new(2);
    let failure = std::thread::scope(|scope| -> anyhow::Result<_> {
        let w = first.writer()?;
        w.insert_capture(&capture("cc"))?;
        let other = scope.spawn(|| -> anyhow::Result<_> {
            let w = second.writer()?;
            started.wait();
            // Waits for the first transaction, then finds the same key taken.
            Ok(w.insert_capture(&capture("cc")).err())
        });
        started.wait();
        std::thread::sleep(Duration::from_millis(300));
        w.commit()?;
        other.join().expect("the second writer's thread")
    })?;
    let error = failure.expect("the second insert of the capture fails");
    assert!(is_retryable(&error), "{error}");
    assert!(error.is_conflict(), "{error:?}");
    assert!(error.to_string().contains("retry"), "{error}");
    assert!(error.to_string().contains("duplicate key"), "{error}");
    // The archive holds the capture once.
    assert_eq!(first.captures()?.len(), 1);
    Ok(())
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../cli/tests/fixtures")
        .join(name)
}

/// Ingests a capture; a conflict with a concurrent writer is the engine's to retry, so the
/// ingest succeeds.
fn ingest(engine: &mut Engine, path: &Path) -> anyhow::Result<()> {
    let options = IngestOptions {
        channel: Some("mfa_test".into()),
        ..IngestOptions::default()
    };
    engine.ingest(&[path.to_path_buf()], &options, &mut NoProgress)?;
    Ok(())
}

fn export(engine: &mut Engine) -> anyhow::Result<String> {
    let mut out = Vec::new();
    engine.export(&PostFilter::default(), ExportFormat::Jsonl, &mut out)?;
    Ok(String::from_utf8(out)?)
}

/// The posts of an export by what identifies them (channel, message id, text), with their
/// versions and how many captures saw them; without the ids, which depend on which writer got
/// there first, and the views, which a version keeps from the capture that showed it first.
fn posts(export: &str) -> anyhow::Result<Vec<String>> {
    let mut out: Vec<String> = export
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line)?;
            Ok(format!(
                "{} {} {} v{}/{} seen by {}",
                v["channel"],
                v["message_id"],
                v["text"],
                v["version"],
                v["versions"],
                v["captures"].as_array().map_or(0, Vec::len)
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    out.sort();
    Ok(out)
}

#[test]
fn ingests_at_once_of_overlapping_captures_give_what_a_serial_ingest_gives() -> anyhow::Result<()> {
    let (Some(serial_url), Some(url)) = (testing::database()?, testing::database()?) else {
        return Ok(());
    };
    let tmp = tempfile::tempdir()?;
    let captures = [
        fixture("web-mfa.txt"),
        fixture("web-mfa-later.txt"),
        fixture("web-ru.txt"),
    ];
    let mut serial = Engine::open_archive(Box::new(PgArchive::open(
        &serial_url,
        &tmp.path().join("serial"),
    )?))?;
    for c in &captures {
        ingest(&mut serial, c)?;
    }
    // Three writers at once, each with every capture, in different orders.
    let orders: [[usize; 3]; 3] = [[0, 1, 2], [1, 2, 0], [2, 0, 1]];
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let runs: Vec<_> = orders
            .iter()
            .enumerate()
            .map(|(i, order)| {
                let url = url.clone();
                let dir = tmp.path().join(format!("writer-{i}"));
                let captures = &captures;
                scope.spawn(move || -> anyhow::Result<()> {
                    let mut engine = Engine::open_archive(Box::new(PgArchive::open(&url, &dir)?))?;
                    for &c in order {
                        ingest(&mut engine, &captures[c])?;
                    }
                    Ok(())
                })
            })
            .collect();
        for run in runs {
            run.join().expect("a writer's thread")?;
        }
        Ok(())
    })?;
    let mut shared =
        Engine::open_archive(Box::new(PgArchive::open(&url, &tmp.path().join("reader"))?))?;
    assert_eq!(posts(&export(&mut shared)?)?, posts(&export(&mut serial)?)?);
    assert_eq!(
        shared.captures()?.len(),
        captures.len(),
        "each capture once"
    );
    assert_eq!(shared.check()?, Vec::<String>::new());
    Ok(())
}
