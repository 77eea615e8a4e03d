//! The driver of the query fuzz target in `fuzz/` (see `docs/fuzzing.md`): arbitrary bytes as a
//! query, taken through what a search from the command line or the API does with it: parsed,
//! its names resolved, run against a small index in memory (results in each order, counts per
//! period, entity counts, the matching posts), with snippets. It panics when an invariant a user
//! relies on breaks. The fuzz target calls [`parse_query`], and `tests/fuzz_corpus.rs` replays
//! every committed input of `fuzz/corpus/parse_query/` and `fuzz/regressions/parse_query/`
//! through it, so a query that once crashed the parser fails `cargo test` until it is fixed.
//!
//! What it checks, beyond "no panic":
//! - a query that cannot be read is an error whose place lies within the query (a char
//!   offset no greater than its length), with a message, written out with its caret;
//! - a query that parses runs once its names are resolved: no search, count or list fails;
//! - the total of a search is the number of posts it matches, the counts per day, week and
//!   month add up to the dated ones, and dated and undated add up to the total;
//! - a page has at most the asked number of hits, in the asked order;
//! - a snippet's highlights lie in its text, on character boundaries, in order and apart.
//!
//! Not part of the API: hidden from the documentation, and free to change with the fuzz target.

use std::sync::OnceLock;

use crate::query::CopySelector;
use crate::{Index, IndexDoc, Period, SearchOptions, Snippet, Sort};

/// A driver: takes a fuzzed input, panics when it breaks an invariant.
pub type Driver = fn(&[u8]);

/// The fuzz target of the query language: its name (of `fuzz/fuzz_targets/` and of the folder
/// under `fuzz/corpus/`) and its driver.
pub const TARGETS: &[(&str, Driver)] = &[("parse_query", parse_query)];

/// The posts of the index the fuzzed queries run against: Russian and English, tags,
/// mentions, links, forwards, media, entities, and dates around a year's end and a leap day,
/// or none (within a few months: counts per day list every day between the first and last).
fn posts() -> Vec<IndexDoc> {
    let post = |post_id: i64, channel_id: i64, date: Option<i64>, text: &str| IndexDoc {
        post_id,
        channel_id,
        text: text.to_string(),
        date,
        ..IndexDoc::default()
    };
    vec![
        IndexDoc {
            hashtags: vec!["BRICS".into(), "СНГ".into()],
            mentions: vec!["MFARussia".into()],
            entities: vec!["country:KZ".into(), "org:sco".into()],
            media_kinds: vec!["photo".into()],
            has_link: true,
            ..post(
                1,
                1,
                Some(1_700_000_000),
                "Министр провёл переговоры с партнёрами из Казахстана. #BRICS #СНГ @MFARussia \
                 https://mid.ru/en/1/ 🇰🇿 🤝",
            )
        },
        IndexDoc {
            forwarded: true,
            forward_channel_id: Some(1),
            edited: true,
            entities: vec!["person:lavrov".into(), "person:~name".into()],
            ..post(
                2,
                2,
                Some(1_704_067_199),
                "Forwarded: the minister held talks with partners on cooperation, COVID-19 and \
                 t.me/mfa; «мир» — ёлка, e\u{301}té.",
            )
        },
        IndexDoc {
            media_kinds: vec!["video".into(), "poll".into()],
            ..post(
                3,
                3,
                None,
                "Без даты: сотрудничество и переговоры продолжаются.",
            )
        },
        post(
            4,
            1,
            Some(1_704_067_200),
            "The first second of 2024, and a word repeated: talks talks talks.",
        ),
        post(
            5,
            2,
            Some(1_709_164_800),
            &"The leap day of 2024. A long text for snippets: ".repeat(12),
        ),
        post(6, 3, Some(1_709_251_200), ""),
    ]
}

/// The index of [`posts`], made once per process.
fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let index = Index::in_memory().expect("an index in memory");
        let mut writer = index
            .writer_with_heap(64 << 20)
            .expect("the writer of an index in memory");
        writer.add_batch(&posts(), false).expect("posts indexed");
        writer.commit(6).expect("a commit in memory");
        index
    })
}

/// A query from `data` (read as UTF-8, bad bytes replaced), parsed, resolved, run and checked.
pub fn parse_query(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut query = match crate::parse_query(&text) {
        Ok(query) => query,
        Err(error) => {
            let chars = text.chars().count();
            assert!(
                error.position <= chars,
                "an error at character {} of a query of {chars}: {error:?}",
                error.position
            );
            assert_eq!(error.query, text, "an error about another query");
            assert!(!error.message.is_empty(), "an error without a message");
            let _ = error.to_string();
            return;
        }
    };
    let _ = (query.has_words(), query.has_copy_filter());
    let _ = query.has_entity_filter();
    // Every name resolves (to one of the index's three channels, or to an entity key of the
    // name as written), as the engine's resolvers do for names the archive knows.
    query
        .resolve_channels(|_, name| Ok::<_, ()>(1 + name.len() as i64 % 3))
        .expect("channels resolved");
    query
        .resolve_copies(|selector| {
            Ok::<_, ()>(match selector {
                CopySelector::Any => vec![1, 2, 3],
                CopySelector::Cluster(id) => vec![id.rem_euclid(7)],
            })
        })
        .expect("copy filters resolved");
    query
        .resolve_entities(|kind, name| Ok::<_, ()>(vec![kind.key(name), kind.key("KZ")]))
        .expect("entities resolved");
    assert!(query.unresolved_channel().is_none(), "a channel left");
    assert!(query.unresolved_entity().is_none(), "an entity left");
    assert!(query.unresolved_copies().is_none(), "a copy filter left");

    let index = index();
    let matching = index
        .matching_posts(&query, None)
        .expect("the matching posts");
    assert!(
        matching.windows(2).all(|w| w[0] < w[1]),
        "matching posts unsorted"
    );
    let total = matching.len() as u64;
    for sort in [Sort::Relevance, Sort::DateDesc, Sort::DateAsc] {
        let options = SearchOptions {
            sort,
            limit: 4,
            offset: 1,
            snippet_chars: 60,
        };
        let results = index.search(&query, &options).expect("a search");
        assert_eq!(results.total, total, "a total other than the matches");
        assert!(results.hits.len() <= 4, "more hits than asked");
        assert_eq!(
            results.hits.len() as u64,
            total.saturating_sub(1).min(4),
            "a page of the wrong size"
        );
        for hit in &results.hits {
            assert!(matching.contains(&hit.post_id), "a hit that does not match");
            check_snippet(&hit.snippet);
        }
        let dates: Vec<Option<i64>> = results.hits.iter().map(|h| h.date).collect();
        let ordered = dates.windows(2).all(|w| match (w[0], w[1]) {
            (Some(a), Some(b)) => match sort {
                Sort::DateDesc => a >= b,
                Sort::DateAsc => a <= b,
                Sort::Relevance => true,
            },
            (None, Some(_)) => sort == Sort::Relevance,
            _ => true,
        });
        assert!(ordered, "hits out of {sort:?} order: {dates:?}");
    }
    let counts = index
        .count_by_each(&query, &[Period::Day, Period::Week, Period::Month])
        .expect("counts per period");
    assert_eq!(counts.dated + counts.undated, total, "{counts:?}");
    for list in &counts.per_period {
        let sum: u64 = list.iter().map(|c| c.count).sum();
        assert_eq!(sum, counts.dated, "a period list that does not add up");
    }
    let entities = index.entity_counts(&query, 3).expect("entity counts");
    assert_eq!(entities.matching, total, "entity counts of other posts");
}

fn check_snippet(snippet: &Snippet) {
    let text = &snippet.text;
    let mut at = 0;
    for &(start, end) in &snippet.highlights {
        assert!(
            at <= start && start < end && text.get(start..end).is_some(),
            "highlight {start}..{end} is not a slice of {text:?} after {at}"
        );
        at = end;
    }
    let _ = snippet.html("<mark>", "</mark>");
}
