//! The throwaway PostgreSQL server of `tgscope_postgres::testing`: servers started side by side
//! are separate and work, dropping one stops it and removes its folder, the shared server
//! hands out separate databases, and a missing PostgreSQL skips or fails as the settings say.

use std::path::PathBuf;
use std::sync::Barrier;

use anyhow::Context;
use tgscope_postgres::testing::{self, ServerError, Settings, ThrowawayServer};

#[test]
fn servers_started_side_by_side_are_separate_and_go_away_when_dropped() -> anyhow::Result<()> {
    let barrier = Barrier::new(2);
    let servers = std::thread::scope(|scope| {
        let starts: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    ThrowawayServer::start()
                })
            })
            .collect();
        starts
            .into_iter()
            .map(|s| s.join().expect("no panic"))
            .collect::<Result<Vec<_>, _>>()
    })?;
    let servers: Vec<ThrowawayServer> = servers.into_iter().flatten().collect();
    if servers.is_empty() {
        return Ok(());
    }
    let (a, b) = (&servers[0], &servers[1]);
    assert_ne!(a.port(), b.port());
    assert_ne!(a.dir(), b.dir());
    assert!(a.version().contains("PostgreSQL"), "{}", a.version());

    for server in &servers {
        let mut client = ThrowawayServer::connect(server.url())?;
        let row = client.query_one(
            "SELECT current_setting('server_encoding'), current_setting('lc_collate'),
                    current_setting('data_directory'), inet_server_port()",
            &[],
        )?;
        assert_eq!(row.get::<_, String>(0), "UTF8");
        assert_eq!(row.get::<_, String>(1), "C");
        assert_eq!(
            PathBuf::from(row.get::<_, String>(2)),
            server.dir().join("data")
        );
        assert_eq!(row.get::<_, i32>(3), i32::from(server.port()));
    }
    // What one server holds, the other does not.
    ThrowawayServer::connect(a.url())?.batch_execute("CREATE TABLE only_in_a (x int)")?;
    let in_b: bool = ThrowawayServer::connect(b.url())?
        .query_one("SELECT to_regclass('only_in_a') IS NOT NULL", &[])?
        .get(0);
    assert!(!in_b);

    // When the tests run as root, the server runs as the postgres system user.
    let status = std::fs::read_to_string("/proc/self/status")?;
    if status
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
    {
        use std::os::unix::fs::MetadataExt;
        let owner = std::fs::metadata(a.dir().join("data"))?.uid();
        assert_ne!(owner, 0, "the data directory belongs to root");
    }

    let (dir, url) = (a.dir().to_path_buf(), a.url().to_string());
    let mut servers = servers;
    let first = servers.remove(0);
    first.stop().context("stopping the first server")?;
    assert!(!dir.exists(), "{} is still there", dir.display());
    assert!(
        ThrowawayServer::connect(&url).is_err(),
        "the stopped server still answers"
    );

    let second = servers.remove(0);
    let (dir, url) = (second.dir().to_path_buf(), second.url().to_string());
    drop(second);
    assert!(!dir.exists(), "{} is still there", dir.display());
    assert!(ThrowawayServer::connect(&url).is_err());
    Ok(())
}

#[test]
fn the_shared_server_hands_out_separate_databases() -> anyhow::Result<()> {
    let (Some(one), Some(two)) = (testing::database()?, testing::database()?) else {
        return Ok(());
    };
    assert_ne!(one, two);
    ThrowawayServer::connect(&one)?
        .batch_execute("CREATE TABLE t (x int); INSERT INTO t VALUES (1)")?;
    let mut other = ThrowawayServer::connect(&two)?;
    let found: bool = other
        .query_one("SELECT to_regclass('t') IS NOT NULL", &[])?
        .get(0);
    assert!(!found, "a table of one database shows in another");
    other.batch_execute("CREATE TABLE t (x int)")?;
    Ok(())
}

#[test]
fn a_missing_postgresql_skips_unless_required() {
    let missing = Settings {
        bin_dir: Some(PathBuf::from("/nonexistent")),
        required: false,
    };
    assert!(matches!(ThrowawayServer::start_with(&missing), Ok(None)));

    let required = Settings {
        required: true,
        ..missing
    };
    match ThrowawayServer::start_with(&required) {
        Err(e @ ServerError::Missing { .. }) => {
            let message = e.to_string();
            assert!(message.contains("/nonexistent"), "{message}");
            assert!(message.contains("TGSCOPE_REQUIRE_POSTGRES"), "{message}");
        }
        other => panic!("expected Missing, got {other:?}"),
    }
}
