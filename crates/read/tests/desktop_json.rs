//! The Desktop JSON reader: one snapshot test per fixture file the project writes, and a test
//! over every real export in `../shared/samples/desktop-json/` (skipped when absent, unless
//! `TGSCOPE_REQUIRE_SAMPLES` is set).

#[path = "support/samples.rs"]
mod samples;

use std::path::{Path, PathBuf};

use tgscope_model::ReadItem;
use tgscope_read::desktop_json::{DesktopJsonReader, JsonOptions};

fn read(path: &Path) -> Vec<ReadItem> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    DesktopJsonReader::new(&bytes[..], JsonOptions::default())
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/desktop-json")
        .join(name)
}

macro_rules! fixture {
    ($test:ident, $file:literal) => {
        #[test]
        fn $test() {
            let items: Vec<String> = read(&fixture($file))
                .iter()
                .map(|item| format!("{item:#?}"))
                .collect();
            insta::assert_snapshot!(stringify!($test), items.join("\n"));
        }
    };
}

fixture!(single_channel, "single_channel.json");
fixture!(full_export_old, "full_export_old.json");

#[test]
fn every_fixture_file_has_a_test() {
    let mut found: Vec<String> = std::fs::read_dir(fixture(""))
        .expect("fixtures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(found, ["full_export_old.json", "single_channel.json"]);
}

/// The real exports: (file, posts, service events, forwards, media items), counted from the
/// files themselves.
const SAMPLES: &[(&str, usize, usize, usize, usize)] = &[
    ("chat-analytics_DM_2A_7M.json", 6, 2, 0, 2),
    ("frozenspider_2020-01_full-export.json", 42, 8, 10, 21),
    ("frozenspider_2021-06_supergroup.json", 3, 1, 0, 1),
    ("frozenspider_2023-10_audio-video.json", 4, 0, 0, 4),
    (
        "frozenspider_2024-02_create-channel_saved-from.json",
        1,
        1,
        1,
        0,
    ),
    ("frozenspider_2024-06_blockquote-collapsed.json", 1, 0, 0, 0),
    ("langchain_personal-chat_result.json", 4, 0, 0, 0),
    ("pachumarchive_ru_public-channel.json", 6, 0, 0, 6),
    ("tg2md_private-channel_2020.json", 18, 1, 0, 9),
    (
        "uponthepathofsalaf_ar-en_public-channel.json",
        208,
        5,
        27,
        73,
    ),
];

#[test]
fn every_real_export_reads_with_its_messages_events_forwards_and_media() {
    let Some(dir) = samples::dir("desktop-json") else {
        return;
    };
    let mut listed: Vec<&str> = SAMPLES.iter().map(|s| s.0).collect();
    listed.sort();
    let mut present: Vec<String> = std::fs::read_dir(&dir)
        .expect("samples")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    present.sort();
    assert_eq!(present, listed, "every sample export is checked");
    for (file, posts, events, forwards, media) in SAMPLES {
        let items = read(&dir.join(file));
        let got_posts: Vec<_> = items
            .iter()
            .filter_map(|i| match i {
                ReadItem::Post(p) => Some(p),
                _ => None,
            })
            .collect();
        let got_events = items
            .iter()
            .filter(|i| matches!(i, ReadItem::Event(_)))
            .count();
        assert_eq!(got_posts.len(), *posts, "{file}: posts");
        assert_eq!(got_events, *events, "{file}: service events");
        assert_eq!(
            got_posts.iter().filter(|p| p.forward.is_some()).count(),
            *forwards,
            "{file}: forwards"
        );
        assert_eq!(
            got_posts.iter().map(|p| p.media.len()).sum::<usize>(),
            *media,
            "{file}: media"
        );
        for p in &got_posts {
            assert!(p.message_id.is_some(), "{file}: every post has its id");
            assert!(
                p.date.is_some() || p.date_inferred.is_some(),
                "{file}: message {:?} has a time",
                p.message_id
            );
            for e in &p.entities {
                assert!(
                    p.text.get(e.span.start..e.span.end).is_some(),
                    "{file}: entity span"
                );
            }
        }
    }
}
