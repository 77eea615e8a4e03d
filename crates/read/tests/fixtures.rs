//! One snapshot test per fixture file: each capture in `tests/fixtures/<format>/` is read and
//! the posts it gives are compared with `tests/snapshots/fixtures__<name>.snap`.
//!
//! Plain-text captures (`text/`) snapshot their posts whole; t.me pages (`tme/`) snapshot the
//! page's channel and every item (posts, service events, warnings) with empty fields left out.
//! Beside the snapshots: dates across undated posts and countries once per post, on a fixture
//! and on the real seed capture `mfa-cis-channel.txt` of `../shared/samples/text/` (skipped when
//! the samples are missing, unless `TGSCOPE_REQUIRE_SAMPLES` is set).

#[path = "support/samples.rs"]
mod samples;

use std::path::Path;

use serde_json::{Value, json};
use tgscope_model::{Format, ReadItem};
use tgscope_read::ReadOptions;
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
fixture!(
    dates_across_undated_posts,
    "text",
    "dates_across_undated_posts.txt"
);

/// The end of the seed capture in small: a post of June 11, 2024; "On July 1" (its year from
/// June 11); an undated post; "... on July 31." inside the first sentence. The last post takes
/// its year from the nearest dated post, across the undated one: 2024-07-31, inferred.
#[test]
fn a_day_month_takes_its_year_from_the_nearest_dated_post_across_undated_ones() {
    let posts = read_fixture("text", "dates_across_undated_posts.txt");
    assert_eq!(posts.len(), 4);
    let dates: Vec<Option<&str>> = posts
        .iter()
        .map(|p| p.date_inferred.as_ref().map(|d| d.date.as_str()))
        .collect();
    assert_eq!(
        dates,
        [
            Some("2024-06-11"),
            Some("2024-07-01"),
            None,
            Some("2024-07-31")
        ]
    );
    assert!(posts.iter().all(|p| p.date.is_none()), "never observed");
    let last = posts[3].date_inferred.as_ref().expect("dated");
    assert_eq!(
        last.basis,
        tgscope_model::DateBasis::TextDayMonthNeighbourYear
    );
    assert_eq!(last.evidence, "July 31");
    assert_eq!(
        last.detail.as_deref(),
        Some(
            "written inside the first sentence; year from the nearest dated posts: \
             2024-07-01 (post at line 7)"
        )
    );
    assert_eq!(posts[2].location.line_start, 17);
    assert_eq!(posts[3].location.line_start, 27);
}

/// The real seed capture: its last post ("... on July 31.", after an undated post that follows
/// "On July 1" of 2024) is dated 2024-07-31, inferred from the nearest dated post; flags name
/// Russia once per post and the UN not at all.
#[test]
fn the_seed_capture_dates_its_last_post_from_the_nearest_dated_post() {
    let Some(samples) = samples::dir("") else {
        return;
    };
    let path = samples.join("text/mfa-cis-channel.txt");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let posts = TextReader::new(&bytes[..], TextOptions::default())
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(posts.len(), 18);
    let dates: Vec<Option<&str>> = posts[15..]
        .iter()
        .map(|p| p.date_inferred.as_ref().map(|d| d.date.as_str()))
        .collect();
    assert_eq!(dates, [Some("2024-07-01"), None, Some("2024-07-31")]);
    let last = posts[17].date_inferred.as_ref().expect("dated");
    assert_eq!(
        last.basis,
        tgscope_model::DateBasis::TextDayMonthNeighbourYear
    );
    assert_eq!(last.evidence, "July 31");
    let detail = last.detail.as_deref().unwrap_or_default();
    assert!(
        detail.ends_with("year from the nearest dated posts: 2024-07-01 (post at line 235)"),
        "{detail}"
    );
    // Post 16 flags 🇷🇺🇺🇳 and 🇷🇺 again; post 18 only 🇺🇳, twice (before: UN, UN).
    let codes = |number: usize| -> Vec<&str> {
        posts[number - 1]
            .countries
            .iter()
            .map(|c| c.code.as_str())
            .collect()
    };
    assert_eq!(codes(16), ["RU"]);
    assert!(codes(18).is_empty(), "{:?}", codes(18));
}

/// Flags of organisations are not countries, and a country is listed once per post.
#[test]
fn countries_are_listed_once_without_the_un() {
    let posts = read_fixture("text", "dates_across_undated_posts.txt");
    let codes: Vec<Vec<&str>> = posts
        .iter()
        .map(|p| p.countries.iter().map(|c| c.code.as_str()).collect())
        .collect();
    // Post 2 has 🇷🇺🇺🇳 and a later 🇷🇺; post 4 has 🇺🇳 twice and 🇷🇺 (its forward header's 🇷🇺
    // is not its text).
    assert_eq!(codes, [vec![], vec!["RU"], vec![], vec!["RU"]]);
    let post = &posts[1];
    let first = post.countries[0].span;
    assert_eq!((first.start, &post.text[first.start..first.end]), (0, "🇷🇺"));
}

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
        "dates_across_undated_posts.txt",
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

/// Drops what carries nothing (nulls, empty lists and strings, `false`) so that a snapshot
/// shows what the reader found; an object left empty stays (`"reply_to": {}` is a reply).
fn compact(v: Value) -> Option<Value> {
    match v {
        Value::Null | Value::Bool(false) => None,
        Value::String(s) if s.is_empty() => None,
        Value::Array(a) if a.is_empty() => None,
        Value::Array(a) => Some(Value::Array(a.into_iter().filter_map(compact).collect())),
        Value::Object(o) => {
            let o: serde_json::Map<String, Value> = o
                .into_iter()
                .filter_map(|(k, v)| compact(v).map(|v| (k, v)))
                .collect();
            Some(Value::Object(o))
        }
        other => Some(other),
    }
}

/// Reads a t.me page fixture through [`tgscope_read::open`]: the page's channel and its items,
/// after checking that every span lies on char boundaries inside its post's clean text and that
/// a link's span covers its label.
fn read_tme_fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tme")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let options = ReadOptions {
        source_name: name.to_string(),
        ..ReadOptions::default()
    };
    let mut reader = tgscope_read::open(Format::TmeHtml, Box::new(&bytes[..]), &options);
    let mut items = Vec::new();
    for item in reader.by_ref() {
        items.push(item.unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    }
    for item in &items {
        let ReadItem::Post(p) = item else { continue };
        let spans = p
            .hashtags
            .iter()
            .chain(&p.mentions)
            .map(|t| t.span)
            .chain(p.countries.iter().map(|c| c.span))
            .chain(p.entities.iter().map(|e| e.span));
        for s in spans {
            assert!(
                p.text.get(s.start..s.end).is_some(),
                "span {s:?} outside {:?}",
                p.text
            );
        }
        for l in &p.links {
            if let Some(s) = l.span {
                assert_eq!(p.text.get(s.start..s.end), Some(l.label.as_str()));
            }
        }
    }
    let items: Vec<Value> = items
        .iter()
        .map(|i| match i {
            ReadItem::Post(p) => json!({ "post": compact(json!(p)) }),
            ReadItem::Event(e) => json!({ "event": compact(json!(e)) }),
            ReadItem::Warning(w) => json!({ "warning": w }),
        })
        .collect();
    json!({
        "channel_info": compact(json!(reader.channel_info())),
        "items": items,
    })
}

macro_rules! tme_fixture {
    ($test:ident, $file:literal) => {
        #[test]
        fn $test() {
            insta::assert_json_snapshot!(stringify!($test), read_tme_fixture($file));
        }
    };
}

tme_fixture!(tme_page, "page.html");
tme_fixture!(tme_single_post, "single_post.html");
tme_fixture!(
    tme_widget_without_data_post,
    "widget_without_data_post.html"
);
tme_fixture!(tme_saved_page, "saved_page.html");
tme_fixture!(tme_damaged_page, "damaged_page.html");

/// Every t.me fixture file has its snapshot test above (a new fixture without one fails here).
#[test]
fn every_tme_fixture_file_has_a_test() {
    let listed = [
        "damaged_page.html",
        "page.html",
        "saved_page.html",
        "single_post.html",
        "widget_without_data_post.html",
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tme");
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(found, listed);
}
