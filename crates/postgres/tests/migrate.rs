//! Migrations on a real PostgreSQL database: a fresh database gets every migration once,
//! migrating again changes nothing, two processes migrating at once both succeed and apply each
//! migration once, a newer or foreign schema is refused, a failing migration names its
//! statement and leaves nothing behind; and the migrated schema holds what the archive stores
//! (exact times, ordered JSON lists, a post's rows on its channel only).

use std::sync::Barrier;

use postgres::{Client, NoTls};
use tgscope_postgres::migrate::{self, MIGRATIONS, MigrateError, SCHEMA_VERSION};
use tgscope_postgres::testing;

/// A fresh, empty database's URL, or `None` when the test skips.
fn fresh() -> anyhow::Result<Option<String>> {
    Ok(testing::database()?)
}

fn connect(url: &str) -> anyhow::Result<Client> {
    Ok(Client::connect(url, NoTls)?)
}

/// The migrations a database records, in order.
fn recorded(client: &mut Client) -> anyhow::Result<Vec<(i64, String)>> {
    Ok(client
        .query(
            "SELECT version, name FROM schema_migrations ORDER BY version",
            &[],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Every column of the public schema, as `table.column type`, in order.
fn columns(client: &mut Client) -> anyhow::Result<Vec<String>> {
    Ok(client
        .query(
            "SELECT table_name || '.' || column_name || ' ' || data_type
             FROM information_schema.columns WHERE table_schema = 'public'
             ORDER BY table_name, ordinal_position",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

fn all_versions() -> Vec<i64> {
    MIGRATIONS.iter().map(|m| m.version).collect()
}

#[test]
fn a_fresh_database_gets_every_migration_and_a_second_run_is_a_no_op() -> anyhow::Result<()> {
    let Some(url) = fresh()? else {
        return Ok(());
    };
    let mut client = connect(&url)?;
    assert_eq!(migrate::version(&mut client)?, 0);
    assert_eq!(migrate::migrate(&mut client)?, all_versions());
    assert_eq!(migrate::version(&mut client)?, SCHEMA_VERSION);
    let expected: Vec<(i64, String)> = MIGRATIONS
        .iter()
        .map(|m| (m.version, m.name.to_string()))
        .collect();
    assert_eq!(recorded(&mut client)?, expected);
    let schema = columns(&mut client)?;
    assert!(schema.contains(&"posts.channel_id bigint".to_string()));
    assert!(schema.contains(&"versions.created_at timestamp with time zone".to_string()));
    // Observed times are kept as the captures wrote them (migration 3).
    assert!(schema.contains(&"versions.date text".to_string()));
    // Marks have a table of their own (migration 7), and a version's raw text is kept only
    // when it differs from its text (migration 6).
    assert!(schema.contains(&"version_marks.mark bigint".to_string()));
    assert!(!schema.contains(&"versions.mark bigint".to_string()));
    let raw_text_nullable: String = client
        .query_one(
            "SELECT is_nullable FROM information_schema.columns
             WHERE table_name = 'versions' AND column_name = 'raw_text'",
            &[],
        )?
        .get(0);
    assert_eq!(raw_text_nullable, "YES");
    // Texts are compressed with LZ4 where the server was built with it (migration 9); this
    // server (Debian's PostgreSQL) was.
    let lz4: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_attribute
                 WHERE attrelid = 'versions'::regclass AND attname = 'text'
                   AND attcompression = 'l')",
            &[],
        )?
        .get(0);
    assert!(lz4, "versions.text is not compressed with lz4");
    assert!(schema.contains(&"audit_log.details jsonb".to_string()));

    // Again, on the same connection and on a new one: nothing applied, nothing changed.
    assert_eq!(migrate::migrate(&mut client)?, Vec::<i64>::new());
    let mut other = connect(&url)?;
    assert_eq!(migrate::migrate(&mut other)?, Vec::<i64>::new());
    assert_eq!(recorded(&mut other)?, expected);
    assert_eq!(columns(&mut other)?, schema);
    Ok(())
}

#[test]
fn two_processes_migrating_at_once_both_succeed_and_apply_each_migration_once() -> anyhow::Result<()>
{
    for _ in 0..3 {
        let Some(url) = fresh()? else {
            return Ok(());
        };
        let start = Barrier::new(2);
        let applied: Vec<Vec<i64>> = std::thread::scope(|scope| {
            let runs: Vec<_> = (0..2)
                .map(|_| {
                    scope.spawn(|| -> anyhow::Result<Vec<i64>> {
                        let mut client = connect(&url)?;
                        start.wait();
                        Ok(migrate::migrate(&mut client)?)
                    })
                })
                .collect();
            runs.into_iter()
                .map(|r| r.join().expect("no panic"))
                .collect::<anyhow::Result<_>>()
        })?;
        // One of them applied everything, the other waited for the lock and found nothing to do.
        let mut all: Vec<i64> = applied.concat();
        all.sort();
        assert_eq!(all, all_versions(), "applied: {applied:?}");
        assert!(applied.iter().any(Vec::is_empty), "applied: {applied:?}");
        let mut client = connect(&url)?;
        assert_eq!(recorded(&mut client)?.len(), MIGRATIONS.len());
        // The lock is free again.
        let free: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&migrate::LOCK_KEY])?
            .get(0);
        assert!(free);
    }
    Ok(())
}

#[test]
fn a_database_with_a_newer_schema_is_refused() -> anyhow::Result<()> {
    let Some(url) = fresh()? else {
        return Ok(());
    };
    let mut client = connect(&url)?;
    migrate::migrate(&mut client)?;
    client.execute(
        "INSERT INTO schema_migrations (version, name) VALUES ($1, 'from the future')",
        &[&(SCHEMA_VERSION + 1)],
    )?;
    let before = columns(&mut client)?;
    match migrate::migrate(&mut client) {
        Err(e @ MigrateError::TooNew { found, supported }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
            let message = e.to_string();
            assert!(
                message.contains("newer") && message.contains("upgrade tgscope"),
                "{message}"
            );
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    assert_eq!(migrate::version(&mut client)?, SCHEMA_VERSION + 1);
    assert_eq!(columns(&mut client)?, before);
    // Refusing released the lock: another session takes it at once.
    let free: bool = connect(&url)?
        .query_one("SELECT pg_try_advisory_lock($1)", &[&migrate::LOCK_KEY])?
        .get(0);
    assert!(free);
    Ok(())
}

#[test]
fn a_database_holding_another_schema_is_refused() -> anyhow::Result<()> {
    let Some(url) = fresh()? else {
        return Ok(());
    };
    let mut client = connect(&url)?;
    client.batch_execute(
        "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, name text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now());
         INSERT INTO schema_migrations (version, name) VALUES (1, 'create_users');",
    )?;
    match migrate::migrate(&mut client) {
        Err(e @ MigrateError::Mismatch { .. }) => {
            let message = e.to_string();
            assert!(
                message.contains("create_users") && message.contains("archive"),
                "{message}"
            );
        }
        other => panic!("expected Mismatch, got {other:?}"),
    }
    Ok(())
}

#[test]
fn a_failing_migration_names_its_statement_and_leaves_nothing_behind() -> anyhow::Result<()> {
    let Some(url) = fresh()? else {
        return Ok(());
    };
    let mut client = connect(&url)?;
    // A table in the way of migration 1's `CREATE TABLE captures`.
    client.batch_execute("CREATE TABLE captures (x int)")?;
    let error = migrate::migrate(&mut client).expect_err("captures is in the way");
    let message = error.to_string();
    match &error {
        MigrateError::Statement {
            version,
            name,
            index,
            line,
            head,
            ..
        } => {
            assert_eq!((*version, *name), (1, "archive"));
            assert_eq!(head, "CREATE TABLE captures (");
            assert_eq!(*index, 5, "{message}");
            let sql = MIGRATIONS[0].sql;
            assert_eq!(
                sql.lines().nth(line - 1),
                Some("CREATE TABLE captures ("),
                "line {line}"
            );
        }
        other => panic!("expected Statement, got {other:?}"),
    }
    assert!(
        message.contains("migration 1 (archive), statement 5")
            && message.contains("relation \"captures\" already exists"),
        "{message}"
    );
    // The migration's transaction was rolled back: no table of it stayed, none is recorded.
    let channels: bool = client
        .query_one("SELECT to_regclass('channels') IS NOT NULL", &[])?
        .get(0);
    assert!(!channels, "channels outlived the failed migration");
    assert_eq!(migrate::version(&mut client)?, 0);
    // With the obstacle gone, the migration goes through.
    client.batch_execute("DROP TABLE captures")?;
    assert_eq!(migrate::migrate(&mut client)?, all_versions());
    Ok(())
}

#[test]
fn the_schema_holds_times_exactly_and_json_lists_in_order() -> anyhow::Result<()> {
    let Some(url) = fresh()? else {
        return Ok(());
    };
    let mut client = connect(&url)?;
    migrate::migrate(&mut client)?;
    // Whatever the session's time zone, the times come back as they were written.
    client.batch_execute("SET TIME ZONE 'Asia/Vladivostok'")?;
    let channel: i64 = client
        .query_one(
            "INSERT INTO channels (username, created_at) VALUES ('mfa', '2024-03-02T07:15:00Z')
             RETURNING id",
            &[],
        )?
        .get(0);
    let capture: i64 = client
        .query_one(
            "INSERT INTO captures (sha256, size, format, reader_version, source, raw_kept,
                 ingested_at, status)
             VALUES ('ab', 1, 'text', 'text/1', 'a.txt', false, '2024-03-02T07:15:00Z', 'partial')
             RETURNING id",
            &[],
        )?
        .get(0);
    let post: i64 = client
        .query_one(
            "INSERT INTO posts (channel_id, message_id, first_capture_id, created_at)
             VALUES ($1, 7, $2, '2024-03-02T07:15:00Z') RETURNING id",
            &[&channel, &capture],
        )?
        .get(0);
    for date in [
        "2023-02-28T14:17:15Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
    ] {
        let version: i64 = client
            .query_one(
                "INSERT INTO versions (post_id, channel_id, seq, content_key, text, raw_text,
                     date, unviewable, capture_id, created_at)
                 VALUES ($1, $2, (SELECT COUNT(*) + 1 FROM versions WHERE post_id = $1), $3,
                     'text', 'text', $3, false, $4, $3::text::timestamptz)
                 RETURNING id",
                &[&post, &channel, &date, &capture],
            )?
            .get(0);
        let back: String = client
            .query_one(
                "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
                 FROM versions WHERE id = $1",
                &[&version],
            )?
            .get(0);
        assert_eq!(back, date);
    }
    // Name-value lists keep their order (jsonb sorts an object's keys, not an array).
    let version: i64 = client
        .query_one("SELECT MIN(id) FROM versions", &[])?
        .get(0);
    let attrs = r#"[["zeta", "1"], ["alpha", "2"], ["zeta", "3"]]"#;
    client.execute(
        "INSERT INTO media (channel_id, version_id, ord, kind, attrs)
         VALUES ($1, $2, 0, 'photo', $3::text::jsonb)",
        &[&channel, &version, &attrs],
    )?;
    let back: String = client
        .query_one("SELECT attrs::text FROM media", &[])?
        .get(0);
    assert_eq!(back, attrs);

    // A version must name its post's own channel: the foreign key includes channel_id, so a
    // row cannot land on another channel's shard than its post's. (Sightings and a version's
    // parts have no foreign key to their version since migrations 5 and 8: `tgscope check`
    // finds one filed under another channel, `tests/archive.rs`.)
    let other: i64 = client
        .query_one(
            "INSERT INTO channels (username, created_at) VALUES ('other', now()) RETURNING id",
            &[],
        )?
        .get(0);
    let misplaced = client.execute(
        "INSERT INTO versions (post_id, channel_id, seq, content_key, text, unviewable,
             capture_id, created_at)
         VALUES ($1, $2, 99, 'misplaced', 'misplaced', false, $3, now())",
        &[&post, &other, &capture],
    );
    let error = misplaced.expect_err("a version on another channel than its post's");
    assert_eq!(
        error.code(),
        Some(&postgres::error::SqlState::FOREIGN_KEY_VIOLATION)
    );
    Ok(())
}

#[test]
fn marks_move_to_their_table_and_raw_texts_stay_when_an_archive_of_schema_5_is_migrated()
-> anyhow::Result<()> {
    let Some(url) = fresh()? else {
        return Ok(());
    };
    let mut client = connect(&url)?;
    assert_eq!(migrate::migrate_to(&mut client, 5)?, vec![1, 2, 3, 4, 5]);
    // An archive of schema 5: two posts, their versions marked in commit order (not in id
    // order), and raw texts kept for every version.
    client.batch_execute(
        "INSERT INTO channels (id, username, created_at) VALUES (1, 'mfa', now());
         INSERT INTO captures (id, sha256, size, format, reader_version, source, raw_kept,
             ingested_at, status)
         VALUES (1, 'aa', 1, 'text', 'test', 'a.txt', false, now(), 'complete');
         INSERT INTO posts (id, channel_id, message_id, first_capture_id, created_at)
         VALUES (1, 1, 1, 1, now()), (2, 1, 2, 1, now());
         INSERT INTO versions (id, post_id, channel_id, seq, content_key, text, raw_text,
             unviewable, capture_id, created_at, mark)
         VALUES (1, 1, 1, 1, 'a', 'a', 'a', false, 1, now(), 2),
                (2, 2, 1, 1, 'b', 'b', 'b raw', false, 1, now(), 1);
         SELECT setval('versions_mark_seq', 3, false);",
    )?;
    assert_eq!(migrate::migrate(&mut client)?, vec![6, 7, 8, 9, 10]);
    let marks: Vec<(i64, i64, i64, i64)> = client
        .query(
            "SELECT channel_id, version_id, post_id, mark FROM version_marks ORDER BY mark",
            &[],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(marks, vec![(1, 2, 2, 1), (1, 1, 1, 2)]);
    // The next commit draws marks after them.
    let next: i64 = client
        .query_one("SELECT nextval('versions_mark_seq')", &[])?
        .get(0);
    assert_eq!(next, 3);
    let raw: Vec<Option<String>> = client
        .query("SELECT raw_text FROM versions ORDER BY id", &[])?
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(raw, vec![Some("a".to_string()), Some("b raw".to_string())]);
    Ok(())
}
