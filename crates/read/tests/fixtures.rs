//! One snapshot test per fixture file: each capture in `tests/fixtures/<format>/` is read and
//! the posts it gives are compared with `tests/snapshots/fixtures__<name>.snap`.

use std::path::Path;

use tgscope_read::text::{TextOptions, TextReader};

fn read_fixture(format: &str, name: &str) -> Vec<tgscope_model::CapturedPost> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format)
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    TextReader::new(&bytes[..], TextOptions::default())
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every span of every post lies on char boundaries inside the post's clean text.
fn assert_spans_inside(posts: &[tgscope_model::CapturedPost]) {
    for p in posts {
        let spans = p
            .hashtags
            .iter()
            .chain(&p.mentions)
            .map(|t| t.span)
            .chain(p.countries.iter().map(|c| c.span))
            .chain(p.links.iter().filter_map(|l| l.span));
        for s in spans {
            assert!(
                p.text.get(s.start..s.end).is_some(),
                "span {s:?} outside {:?}",
                p.text
            );
        }
    }
}

macro_rules! fixture {
    ($test:ident, $format:literal, $file:literal) => {
        #[test]
        fn $test() {
            let posts = read_fixture($format, $file);
            assert_spans_inside(&posts);
            insta::assert_json_snapshot!(stringify!($test), posts);
        }
    };
}

fixture!(
    web_forwards_with_repeats,
    "text",
    "web_forwards_with_repeats.txt"
);
fixture!(
    web_footer_views_separators,
    "text",
    "web_footer_views_separators.txt"
);
fixture!(russian_web_copy, "text", "russian_web_copy.txt");
fixture!(desktop_copy_en_us, "text", "desktop_copy_en_us.txt");
fixture!(desktop_copy_ru, "text", "desktop_copy_ru.txt");
fixture!(lines_occurring_twice, "text", "lines_occurring_twice.txt");
fixture!(no_markers_prose, "text", "no_markers_prose.txt");

/// Every fixture file has its snapshot test above (a new fixture without one fails here).
#[test]
fn every_fixture_file_has_a_test() {
    let listed = [
        "web_forwards_with_repeats.txt",
        "web_footer_views_separators.txt",
        "russian_web_copy.txt",
        "desktop_copy_en_us.txt",
        "desktop_copy_ru.txt",
        "lines_occurring_twice.txt",
        "no_markers_prose.txt",
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/text");
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut listed: Vec<String> = listed.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(found, listed);
}
