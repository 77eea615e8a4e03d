//! Browsing as the web interface does: a channel by any of its names, top hashtags and forward
//! sources (of the archive and of one channel), a hashtag with its channels, checking a query,
//! and interrupting a running archive query.

use std::path::Path;

use tempfile::TempDir;
use tgscope_engine::{Engine, IngestOptions, NoProgress, check_query};

/// Two channels: `mfa_test` forwarding from "Russian MFA 🇷🇺" twice and from "МИД России"
/// once, with hashtags; `other_chan` with one post using #BRICS.
const MFA: &str = "\
Forwarded from Russian MFA 🇷🇺
Partnership with #BRICS and the #SCO keeps growing (March 14, 2024)
Forwarded from Russian MFA 🇷🇺
The ministers met in Astana about #BRICS and #CIS affairs (March 20, 2024)
Forwarded from МИД России
Брифинг официального представителя #БРИКС (Москва, 21 марта 2024 года)
";
const OTHER: &str = "\
Our own view of the #brics summit (April 2, 2024)
";

fn archive() -> (TempDir, Engine) {
    let tmp = TempDir::new().expect("tmp");
    let dir = tmp.path().join("archive");
    let mut engine = Engine::open(&dir).expect("archive");
    for (name, text, channel) in [
        ("mfa.txt", MFA, "mfa_test"),
        ("other.txt", OTHER, "other_chan"),
    ] {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).expect("capture");
        let options = IngestOptions {
            channel: Some(channel.into()),
            ..IngestOptions::default()
        };
        engine
            .ingest(&[path], &options, &mut NoProgress)
            .expect("ingest");
    }
    (tmp, engine)
}

#[test]
fn a_channel_is_found_by_any_of_its_names_with_its_counts() {
    let (_tmp, engine) = archive();
    let mfa = engine.channel("mfa_test").expect("query").expect("found");
    assert_eq!((mfa.posts, mfa.forwards), (3, 3));
    assert_eq!(mfa.aliases, ["mfa_test"]);
    for name in [
        "MFA_TEST",
        "@mfa_test",
        "https://t.me/s/mfa_test",
        &mfa.channel.id.to_string(),
    ] {
        let found = engine.channel(name).expect("query").expect(name);
        assert_eq!(found.channel.id, mfa.channel.id, "{name}");
    }
    // A forward source is a channel too, by its title or letters and digits of it.
    let source = engine
        .channel("Russian MFA")
        .expect("query")
        .expect("loose title");
    assert_eq!(source.channel.title.as_deref(), Some("Russian MFA 🇷🇺"));
    assert_eq!((source.posts, source.forwarded_by_others), (0, 2));
    assert!(engine.channel("nobody").expect("query").is_none());
    assert!(engine.channel("").expect("query").is_none());
}

#[test]
fn top_hashtags_and_forward_sources_of_a_channel_and_of_the_archive() {
    let (_tmp, engine) = archive();
    let mfa = engine
        .channel("mfa_test")
        .expect("query")
        .expect("found")
        .channel
        .id;
    let tags: Vec<(String, u64)> = engine
        .top_hashtags(Some(mfa), 10, 0)
        .expect("tags")
        .into_iter()
        .map(|t| (t.tag, t.posts))
        .collect();
    assert_eq!(tags[0], ("BRICS".to_string(), 2));
    assert_eq!(tags.len(), 4, "{tags:?}");
    // Across the archive, #brics and #BRICS are one hashtag.
    let all = engine.top_hashtags(None, 1, 0).expect("tags");
    assert_eq!((all[0].key.as_str(), all[0].posts), ("brics", 3));
    let second_page = engine.top_hashtags(None, 10, 1).expect("tags");
    assert_eq!(second_page.len(), 3);

    let sources: Vec<(String, u64)> = engine
        .top_forward_sources(Some(mfa), 10, 0)
        .expect("sources")
        .into_iter()
        .map(|s| (s.name, s.posts))
        .collect();
    assert_eq!(
        sources,
        [
            ("Russian MFA 🇷🇺".to_string(), 2),
            ("МИД России".to_string(), 1)
        ]
    );
    let other = engine
        .channel("other_chan")
        .expect("query")
        .expect("found")
        .channel
        .id;
    assert!(
        engine
            .top_forward_sources(Some(other), 10, 0)
            .expect("sources")
            .is_empty()
    );
}

#[test]
fn a_hashtag_with_its_posts_and_channels() {
    let (_tmp, engine) = archive();
    let brics = engine.hashtag("#Brics").expect("query").expect("used");
    assert_eq!((brics.key.as_str(), brics.posts), ("brics", 3));
    let channels: Vec<(String, u64)> = engine
        .hashtag_channels("brics", 10)
        .expect("channels")
        .into_iter()
        .map(|c| (c.channel.name(), c.posts))
        .collect();
    assert_eq!(
        channels,
        [("mfa_test".to_string(), 2), ("other_chan".to_string(), 1)]
    );
    assert!(engine.hashtag("nothing").expect("query").is_none());
}

#[test]
fn a_query_is_checked_with_the_place_of_its_problem() {
    assert!(check_query("Россия \"коллективный Запад\"").is_ok());
    let problem = check_query("Россия \"коллективный Запад").expect_err("unclosed quote");
    assert_eq!(problem.position, 7);
    assert!(problem.message.contains("unclosed quote"));
    assert!(problem.display.contains('^'));
}

#[test]
fn the_archive_exists_once_it_has_a_database_and_an_interrupt_between_queries_is_harmless() {
    let tmp = TempDir::new().expect("tmp");
    assert!(!Engine::archive_exists(tmp.path()));
    assert!(!Engine::archive_exists(&tmp.path().join("missing")));
    let (_keep, engine) = archive();
    assert!(Engine::archive_exists(engine.dir()));
    let dir: &Path = engine.dir();
    let reader = Engine::open_existing(dir).expect("read only");
    // Interrupting when nothing runs does not fail the next query.
    reader.interrupter().interrupt();
    assert_eq!(reader.channels().expect("channels").len(), 4);
}
