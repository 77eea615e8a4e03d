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
         DELETE FROM version_marks
             WHERE version_id = (SELECT id FROM versions WHERE text = 'post 2');
         INSERT INTO channels (username, created_at) VALUES ('elsewhere', now());
         INSERT INTO sightings (channel_id, version_id, capture_id, ordinal)
         SELECT (SELECT id FROM channels WHERE username = 'elsewhere'), v.id, v.capture_id, 99
         FROM versions v WHERE v.text = 'post 0';
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
            "1 rows of sightings of versions that do not exist",
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

#[test]
fn a_new_post_points_at_its_newest_version_however_its_rows_were_sent() -> anyhow::Result<()> {
    let Some(url) = testing::database()? else {
        return Ok(());
    };
    let tmp = tempfile::tempdir()?;
    let mut archive = PgArchive::open(&url, tmp.path())?;
    let w = archive.writer()?;
    let channel = w.ensure_channel(&ChannelRef::named("pointers"))?;
    let capture = w.insert_capture(&capture("ff"))?;
    let captured = |text: &str, raw: &str| CapturedPost {
        text: text.to_string(),
        raw_text: raw.to_string(),
        ..CapturedPost::default()
    };
    let mut ordinal = 0;
    let mut sight = |version: i64| -> anyhow::Result<()> {
        w.insert_sighting(version, capture, ordinal, &Location::default(), None, None)?;
        ordinal += 1;
        Ok(())
    };
    // A new post with two versions, sent together.
    let a = w.insert_post(channel, Some(1), "a", "a", capture)?;
    sight(w.insert_version(a, channel, "a1", &captured("a1", "a1"), capture, None)?)?;
    sight(w.insert_version(a, channel, "a2", &captured("a2", "a2 raw"), capture, None)?)?;
    // A new post sent before its version: a read in between sends what waits.
    let b = w.insert_post(channel, Some(2), "b", "b", capture)?;
    assert_eq!(
        w.find_channel(&ChannelRef::named("pointers"))?,
        Some(channel)
    );
    sight(w.insert_version(b, channel, "b1", &captured("b1", "b1"), capture, None)?)?;
    // The first post again, with a third version, after it was sent.
    sight(w.insert_version(a, channel, "a3", &captured("a3", "a3"), capture, None)?)?;
    w.complete_capture(capture, 4, 0)?;
    w.commit()?;
    assert_eq!(archive.check()?, Vec::<String>::new());
    let mut sql = Client::connect(&url, NoTls)?;
    let current: Vec<(i64, String, Option<String>)> = sql
        .query(
            "SELECT p.message_id, v.text, v.raw_text FROM posts p
             JOIN versions v ON v.id = p.current_version_id ORDER BY p.message_id",
            &[],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        current,
        vec![(1, "a3".to_string(), None), (2, "b1".to_string(), None)]
    );
    // The raw text is kept only where cleaning changed it, and read back whole either way.
    let first: i64 = sql
        .query_one("SELECT id FROM posts WHERE message_id = 1", &[])?
        .get(0);
    let post = archive.post(first)?.expect("the first post");
    let raws: Vec<String> = post.versions.into_iter().map(|v| v.raw_text).collect();
    assert_eq!(raws, ["a1", "a2 raw", "a3"]);
    Ok(())
}
