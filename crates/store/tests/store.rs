//! The archive on its own: migrations, channels and aliases, versions, sightings, raw captures
//! and the consistency check, against a real SQLite database in a temporary directory.

use std::io::Write;

use tgscope_archive::prelude::*;
use tgscope_archive::{ArchiveError, CaptureStatus, NewCapture, PostQuery, sha256_hex};
use tgscope_model::{CapturedPost, ChannelRef, Forward, Location, Media, MediaKind, Placeholder};
use tgscope_store::Store;

fn capture<'a>(sha: &'a str) -> NewCapture<'a> {
    NewCapture {
        sha256: sha,
        size: 10,
        format: "text",
        reader_version: "text/1",
        source: "capture.txt",
        channel_id: None,
        raw_kept: false,
    }
}

fn post(text: &str) -> CapturedPost {
    CapturedPost {
        text: text.to_string(),
        raw_text: format!("Forwarded from MFA\n{text}"),
        forward: Some(Forward {
            title: Some("MFA".into()),
            ..Forward::default()
        }),
        media: vec![Media::placeholder(
            MediaKind::Video,
            Placeholder::TooBig,
            "Media is too big",
        )],
        location: Location {
            line_start: 1,
            line_end: 2,
            byte_start: 0,
            byte_end: 20,
            locator: None,
        },
        ..CapturedPost::default()
    }
}

#[test]
fn opening_twice_keeps_one_schema_and_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(Store::open(dir.path()).expect("first open"));
    let store = Store::open(dir.path()).expect("second open");
    assert!(store.check().expect("check").is_empty());
    drop(store);
    mark_as_future_schema(dir.path());
    match Store::open_read_only(dir.path()) {
        Err(ArchiveError::TooNew { found, .. }) => assert_eq!(found, 99),
        other => panic!("expected TooNew, got {:?}", other.err()),
    }
}

/// Marks the archive as written by a future schema version.
fn mark_as_future_schema(dir: &std::path::Path) {
    drop(Store::open(dir).expect("open"));
    rusqlite::Connection::open(dir.join(tgscope_store::DB_FILE))
        .expect("the database")
        .execute(
            "INSERT INTO schema_migrations VALUES (99, 'future', '2099-01-01')",
            [],
        )
        .expect("bump");
}

#[test]
fn a_missing_archive_is_the_users_fault() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = Store::open_read_only(&dir.path().join("nothing-here")).err();
    assert!(matches!(err, Some(ArchiveError::Missing { .. })));
    assert!(err.expect("error").is_user_fault());
}

#[test]
fn channels_are_found_by_any_alias_in_any_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path()).expect("open");
    let w = store.writer().expect("writer");
    let a = w
        .ensure_channel(&ChannelRef::named("MFARussia"))
        .expect("a");
    let b = w
        .ensure_channel(&ChannelRef {
            tg_id: None,
            username: Some("mfarussia".into()),
            title: Some("МИД России".into()),
            kind: None,
        })
        .expect("b");
    assert_eq!(a, b, "usernames match case-insensitively");
    let c = w
        .ensure_channel(&ChannelRef::named("мид россии"))
        .expect("c");
    assert_eq!(a, c, "titles match case-insensitively, Cyrillic too");
    w.commit().expect("commit");
    let channels = store.channels().expect("channels");
    assert_eq!(channels.len(), 1);
    assert_eq!(channels[0].aliases, ["MFARussia", "МИД России"]);
}

#[test]
fn versions_are_added_never_overwritten_and_sightings_are_unique_per_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path()).expect("open");
    let sha1 = sha256_hex(b"one");
    let sha2 = sha256_hex(b"two");
    let w = store.writer().expect("writer");
    let channel = w
        .ensure_channel(&ChannelRef::named("mfa_cis"))
        .expect("channel");
    let c1 = w.insert_capture(&capture(&sha1)).expect("capture 1");
    let c2 = w.insert_capture(&capture(&sha2)).expect("capture 2");
    let fwd = w
        .ensure_channel(&ChannelRef::named("MFA"))
        .expect("fwd channel");
    let p = w
        .insert_post(channel, None, "lead", "tail", c1)
        .expect("post");
    let v1 = w
        .insert_version(p, channel, "key1", &post("first text"), c1, Some(fwd))
        .expect("v1");
    w.insert_sighting(v1, c1, 0, &Location::default(), None, None)
        .expect("s1");
    // The same position of the same capture again (a resumed ingest) adds nothing.
    w.insert_sighting(v1, c1, 0, &Location::default(), None, None)
        .expect("s1 again");
    let v2 = w
        .insert_version(p, channel, "key2", &post("edited text"), c2, Some(fwd))
        .expect("v2");
    w.insert_sighting(v2, c2, 0, &Location::default(), Some(5), Some(true))
        .expect("s2");
    assert_eq!(
        w.version_by_key(channel, None, "key1").expect("lookup"),
        Some((p, v1))
    );
    assert_eq!(
        w.version_by_key(channel, Some(p), "key2").expect("lookup"),
        Some((p, v2))
    );
    w.complete_capture(c1, 1, 0).expect("complete");
    w.complete_capture(c2, 1, 0).expect("complete");
    w.commit().expect("commit");

    let detail = store.post(p).expect("query").expect("post exists");
    assert_eq!(detail.versions.len(), 2);
    assert_eq!(detail.versions[0].text, "first text");
    assert_eq!(detail.versions[1].text, "edited text");
    assert_eq!(detail.post.current.seq, 2);
    assert_eq!(detail.sightings.len(), 2);
    assert_eq!(detail.post.captures, [sha1.clone(), sha2.clone()]);
    assert_eq!(
        detail.post.current.media[0].placeholder,
        Some(Placeholder::TooBig)
    );
    let sources = store.channels_named("mfa").expect("names");
    assert_eq!(sources.len(), 1, "one channel is named mfa: {sources:?}");
    assert_eq!(
        store
            .posts(&PostQuery {
                forwarded_from_id: Some(sources[0].id),
                ..PostQuery::default()
            })
            .expect("filter")
            .len(),
        1
    );
    let caps = store.captures().expect("captures");
    assert!(caps.iter().all(|c| c.status == CaptureStatus::Complete));
    let (total, newest) = store.newest_captures(1).expect("newest captures");
    assert_eq!(total, 2);
    assert_eq!(
        newest.iter().map(|c| c.sha256.as_str()).collect::<Vec<_>>(),
        [sha2.as_str()],
        "the capture ingested last"
    );
    assert!(store.check().expect("check").is_empty());
}

/// Posts without a message id are matched by their text's key among every version of their
/// channel: the look-up sees versions written in earlier transactions, in its own, and after it,
/// never one of another channel, and the consistency check vouches for what it read.
#[test]
fn text_key_look_ups_see_every_version_of_the_channel_whenever_it_was_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path()).expect("open");
    let sha = sha256_hex(b"keys");
    let w = store.writer().expect("writer");
    let a = w.ensure_channel(&ChannelRef::named("a")).expect("a");
    let b = w.ensure_channel(&ChannelRef::named("b")).expect("b");
    let c = w.insert_capture(&capture(&sha)).expect("capture");
    let with_id = w.insert_post(a, Some(7), "l", "t", c).expect("post 7");
    let v_with_id = w
        .insert_version(with_id, a, "shared", &post("with id"), c, None)
        .expect("version");
    let other = w.insert_post(b, Some(1), "l", "t", c).expect("post in b");
    let v_other = w
        .insert_version(other, b, "only-b", &post("in b"), c, None)
        .expect("version in b");
    w.commit().expect("commit");

    let w = store.writer().expect("writer");
    assert_eq!(
        w.version_by_key(a, None, "shared").expect("lookup"),
        Some((with_id, v_with_id)),
        "a version committed before the look-up"
    );
    assert_eq!(w.version_by_key(a, None, "only-b").expect("lookup"), None);
    assert_eq!(
        w.version_by_key(b, None, "only-b").expect("lookup"),
        Some((other, v_other))
    );
    assert_eq!(
        w.id_less_version_by_key(a, "shared").expect("lookup"),
        None,
        "the post has a message id"
    );
    // Written after the first look-up, in the same transaction.
    let id_less = w.insert_post(a, None, "l", "t", c).expect("id-less post");
    let v_id_less = w
        .insert_version(id_less, a, "copied", &post("no id"), c, None)
        .expect("version");
    assert_eq!(
        w.id_less_version_by_key(a, "copied").expect("lookup"),
        Some((id_less, v_id_less))
    );
    assert_eq!(
        w.version_by_key(a, None, "copied").expect("lookup"),
        Some((id_less, v_id_less))
    );
    w.commit().expect("commit");
    let problems = store.check().expect("check");
    assert!(
        problems.iter().all(|p| !p.contains("content_keys")),
        "{problems:?}"
    );

    // A lost key is a problem `check` names.
    drop(store);
    rusqlite::Connection::open(dir.path().join(tgscope_store::DB_FILE))
        .expect("the database")
        .execute("DELETE FROM content_keys WHERE content_key = 'copied'", [])
        .expect("delete");
    let store = Store::open(dir.path()).expect("reopen");
    let problems = store.check().expect("check");
    let keys: Vec<&String> = problems
        .iter()
        .filter(|p| p.contains("content_keys"))
        .collect();
    assert_eq!(keys.len(), 1, "{problems:?}");
    assert!(keys[0].starts_with("1 versions missing"), "{problems:?}");
}

#[test]
fn a_rolled_back_writer_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path()).expect("open");
    {
        let w = store.writer().expect("writer");
        w.ensure_channel(&ChannelRef::named("gone"))
            .expect("channel");
        // Dropped without commit.
    }
    assert!(store.channels().expect("channels").is_empty());
}

#[test]
fn raw_captures_are_compressed_content_addressed_and_read_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let bytes = "Forwarded from Russian MFA 🇷🇺\n".repeat(1000);
    let sha = sha256_hex(bytes.as_bytes());
    let mut w = store.raw().writer().expect("raw writer");
    w.write_all(bytes.as_bytes()).expect("write");
    let path = w.finish(store.raw(), &sha).expect("finish");
    assert_eq!(
        path,
        dir.path()
            .join("raw")
            .join(&sha[..2])
            .join(format!("{sha}.zst"))
    );
    assert!(std::fs::metadata(&path).expect("kept").len() < bytes.len() as u64 / 10);
    assert_eq!(store.raw().read(&sha).expect("read back"), bytes.as_bytes());
    // An unfinished writer leaves no file behind.
    let mut w = store.raw().writer().expect("raw writer");
    w.write_all(b"partial").expect("write");
    drop(w);
    let leftovers = std::fs::read_dir(dir.path().join("raw/tmp"))
        .expect("tmp")
        .count();
    assert_eq!(leftovers, 0);
}
