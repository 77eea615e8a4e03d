//! The PostgreSQL archive itself: `check` finds each broken invariant, the interrupter cancels
//! the running query (and the archive stays usable), a database of a newer schema is refused,
//! and what the archive writes stays in its transaction until the commit.

use std::time::Duration;

use postgres::{Client, NoTls};
use tgscope_engine::archive::prelude::*;
use tgscope_engine::archive::{ArchiveError, NewCapture};
use tgscope_engine::model::{CapturedPost, ChannelRef, Location};
use tgscope_postgres::{PgArchive, testing};

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

/// An archive with `n` posts of one channel, each with a version and a sighting, in a capture
/// marked complete.
fn archive_with_posts(url: &str, dir: &std::path::Path, n: u64) -> anyhow::Result<PgArchive> {
    let mut archive = PgArchive::open(url, dir)?;
    let w = archive.writer()?;
    let channel = w.ensure_channel(&ChannelRef::named("checked"))?;
    let capture = w.insert_capture(&capture("dd"))?;
    for i in 0..n {
        let text = format!("post {i}");
        let post = w.insert_post(channel, Some(i as i64 + 1), &text, &text, capture)?;
        let captured = CapturedPost {
            text: text.clone(),
            raw_text: text.clone(),
            ..CapturedPost::default()
        };
        let version = w.insert_version(post, channel, &text, &captured, capture, None)?;
        w.insert_sighting(version, capture, i, &Location::default(), None, None)?;
    }
    w.complete_capture(capture, n, 0)?;
    w.commit()?;
    Ok(archive)
}

#[test]
fn check_finds_each_broken_invariant() -> anyhow::Result<()> {
    let Some(url) = testing::database()? else {
        return Ok(());
    };
    let tmp = tempfile::tempdir()?;
    let archive = archive_with_posts(&url, tmp.path(), 3)?;
    assert_eq!(archive.check()?, Vec::<String>::new());
    let mut sql = Client::connect(&url, NoTls)?;
    sql.batch_execute(
        "UPDATE posts SET current_version_id = NULL WHERE message_id = 1;
         DELETE FROM sightings WHERE version_id = (SELECT id FROM versions WHERE text = 'post 1');
         UPDATE versions SET mark = NULL WHERE text = 'post 2';
         INSERT INTO captures (sha256, size, format, reader_version, source, raw_kept,
             ingested_at, status, posts_seen)
         VALUES ('ee', 1, 'text', 'test', 'empty.txt', false, now(), 'complete', 4);
         INSERT INTO hashtags (channel_id, version_id, ord, tag, tag_key, span_start, span_end)
         SELECT channel_id, max(id) + 1000, 0, '#orphan', 'orphan', 0, 7 FROM versions
         GROUP BY channel_id;",
    )?;
    assert_eq!(
        archive.check()?,
        [
            "1 rows of hashtags of versions that do not exist",
            "1 posts without a current version",
            "1 versions never sighted",
            "1 complete captures with no sightings",
            "1 committed versions without a mark",
        ]
    );
    Ok(())
}

#[test]
fn the_interrupter_cancels_the_running_query() -> anyhow::Result<()> {
    let Some(url) = testing::database()? else {
        return Ok(());
    };
    let tmp = tempfile::tempdir()?;
    let archive = archive_with_posts(&url, tmp.path(), 2)?;
    // Another connection holds the posts, so that a count of them waits until cancelled.
    let mut locker = Client::connect(&url, NoTls)?;
    let mut lock = locker.transaction()?;
    lock.batch_execute("LOCK TABLE posts IN ACCESS EXCLUSIVE MODE")?;
    let interrupter = archive.interrupter();
    let cancel = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        interrupter.interrupt();
    });
    let cut = archive.stats();
    cancel.join().expect("the cancelling thread");
    let error = cut.expect_err("the query was cancelled");
    assert!(matches!(error, ArchiveError::Backend { .. }), "{error:?}");
    assert!(error.to_string().contains("canceling statement"), "{error}");
    lock.rollback()?;
    // The archive answers the next query.
    assert_eq!(archive.stats()?.posts, 2);
    Ok(())
}

#[test]
fn a_database_of_a_newer_schema_is_refused() -> anyhow::Result<()> {
    let Some(url) = testing::database()? else {
        return Ok(());
    };
    let tmp = tempfile::tempdir()?;
    drop(PgArchive::open(&url, tmp.path())?);
    let mut sql = Client::connect(&url, NoTls)?;
    sql.batch_execute("INSERT INTO schema_migrations (version, name) VALUES (99, 'future')")?;
    match PgArchive::open(&url, tmp.path()) {
        Err(ArchiveError::TooNew {
            found, supported, ..
        }) => assert_eq!((found, supported), (99, tgscope_postgres::SCHEMA_VERSION)),
        Err(other) => panic!("expected TooNew, got {other}"),
        Ok(_) => panic!("a newer schema was opened"),
    }
    Ok(())
}

#[test]
fn writes_show_only_once_committed_and_not_at_all_when_dropped() -> anyhow::Result<()> {
    let Some(url) = testing::database()? else {
        return Ok(());
    };
    let tmp = tempfile::tempdir()?;
    let mut archive = archive_with_posts(&url, &tmp.path().join("a"), 1)?;
    let reader = PgArchive::open(&url, &tmp.path().join("b"))?;
    let mark = reader.index_mark()?;
    {
        let w = archive.writer()?;
        let channel = w.ensure_channel(&ChannelRef::named("dropped"))?;
        let capture = w.insert_capture(&capture("ff"))?;
        let post = w.insert_post(channel, Some(1), "x", "x", capture)?;
        let captured = CapturedPost {
            text: "x".into(),
            raw_text: "x".into(),
            ..CapturedPost::default()
        };
        let version = w.insert_version(post, channel, "x", &captured, capture, None)?;
        w.insert_sighting(version, capture, 0, &Location::default(), None, None)?;
        // The writer reads its own writes (held back ones are sent first, under their ids)...
        let written = w
            .post_by_message_id(channel, 1)?
            .expect("the writer sees its post");
        assert!(written > 0, "an archive id, not a stand-in: {written}");
        assert!(w.sighting_exists(capture, 0)?);
        // ... and no one else does.
        assert_eq!(reader.stats()?.posts, 1, "not committed yet");
        // Dropped without a commit: rolled back.
    }
    assert_eq!(reader.stats()?.posts, 1);
    assert_eq!(reader.channels()?.len(), 1);
    assert!(reader.capture_by_sha("ff")?.is_none());
    assert_eq!(reader.index_mark()?, mark);
    // The connection is usable after the rollback.
    assert_eq!(archive.stats()?.channels, 1);
    Ok(())
}
