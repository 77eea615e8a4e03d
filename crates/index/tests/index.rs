//! The index as the engine uses it: posts in, queries out, in Russian and English.

use std::collections::BTreeSet;

use proptest::prelude::*;
use tempfile::TempDir;
use tgscope_index::analysis::fold_word;
use tgscope_index::{
    CopySelector, Index, IndexDoc, IndexError, IndexMeta, Period, Query, SCHEMA_VERSION,
    SearchOptions, SearchResults, Sort, parse_query,
};

/// 2024-03-01T12:00:00Z.
const MARCH_1: i64 = 1_709_294_400;
const DAY: i64 = 86_400;

fn post(post_id: i64, text: &str) -> IndexDoc {
    IndexDoc {
        post_id,
        channel_id: 1,
        text: text.into(),
        ..IndexDoc::default()
    }
}

fn index_of(posts: &[IndexDoc]) -> (TempDir, Index) {
    let dir = TempDir::new().expect("temporary directory");
    let index = Index::open_or_create(&dir.path().join("index")).expect("index opens");
    let mut writer = index.writer().expect("writer");
    for p in posts {
        writer.upsert(p).expect("upsert");
    }
    writer.commit(1).expect("commit");
    (dir, index)
}

/// The channels of these tests as the archive would resolve their names: an archive id (digits)
/// or a name key of one of its usernames and titles.
fn channel_id_of(name: &str) -> Result<i64, String> {
    if let Ok(id) = name.parse::<i64>() {
        return Ok(id);
    }
    match tgscope_index::analysis::name_key(name).as_str() {
        "mfarussia" | "мидроссии" => Ok(10),
        "mfarussiaen" | "russianmfa" => Ok(11),
        "rianru" | "риановости" => Ok(12),
        _ => Err(format!("no channel is named {name:?}")),
    }
}

fn query_result(text: &str) -> Result<Query, String> {
    let mut query = parse_query(text).map_err(|e| e.to_string())?;
    query.resolve_channels(|_, name| channel_id_of(name))?;
    Ok(query)
}

fn query(text: &str) -> Query {
    let mut query = parse_query(text).unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"));
    query
        .resolve_channels(|_, name| channel_id_of(name))
        .unwrap_or_else(|e| panic!("{text:?}: {e}"));
    query
}

fn search(index: &Index, text: &str, opts: &SearchOptions) -> SearchResults {
    index.search(&query(text), opts).expect("search")
}

/// The ids of every post the query finds, sorted.
fn ids(index: &Index, text: &str) -> Vec<i64> {
    let opts = SearchOptions {
        limit: 1000,
        ..SearchOptions::default()
    };
    let results = search(index, text, &opts);
    let mut ids: Vec<i64> = results.hits.iter().map(|h| h.post_id).collect();
    assert_eq!(
        results.total as usize,
        ids.len(),
        "{text}: total and hits differ"
    );
    ids.sort_unstable();
    ids
}

fn highlighted(results: &SearchResults, post_id: i64) -> Vec<String> {
    let hit = results
        .hits
        .iter()
        .find(|h| h.post_id == post_id)
        .unwrap_or_else(|| panic!("post {post_id} not found"));
    hit.snippet
        .highlights
        .iter()
        .map(|&(a, b)| hit.snippet.text[a..b].to_owned())
        .collect()
}

#[test]
fn a_russian_word_finds_its_forms_and_an_exact_word_only_itself() {
    let (_dir, index) = index_of(&[
        post(1, "Россия заявила о своей позиции."),
        post(2, "Визит в России завершён."),
        post(3, "Переговоры с Россией продолжатся."),
        post(4, "Российский флаг поднят."),
        post(5, "РОССИЯ — страна."),
        post(6, "Российская делегация прибыла."),
        post(7, "Россию пригласили."),
    ]);
    assert_eq!(ids(&index, "Россия"), [1, 2, 3, 5, 7]);
    assert_eq!(ids(&index, "россией"), [1, 2, 3, 5, 7]);
    assert_eq!(ids(&index, "=Россия"), [1, 5]);
    assert_eq!(ids(&index, "=России"), [2]);
    assert_eq!(ids(&index, "российский"), [4, 6]);
    assert_eq!(ids(&index, "=российский"), [4]);
}

#[test]
fn an_english_word_finds_its_forms_and_an_exact_word_only_itself() {
    let (_dir, index) = index_of(&[
        post(1, "New sanctions were announced."),
        post(2, "The EU sanctioned three banks."),
        post(3, "A sanction on exports."),
        post(4, "A sanctimonious statement."),
        post(5, "Sanctioning more entities."),
    ]);
    assert_eq!(ids(&index, "sanction"), [1, 2, 3, 5]);
    assert_eq!(ids(&index, "SANCTIONS"), [1, 2, 3, 5]);
    assert_eq!(ids(&index, "=sanction"), [3]);
    assert_eq!(ids(&index, "=Sanctions"), [1]);
    assert!(!ids(&index, "sanction").contains(&4));
}

#[test]
fn possessives_are_forms_of_the_english_word() {
    let (_dir, index) = index_of(&[post(1, "Russia’s position"), post(2, "Russia said")]);
    assert_eq!(ids(&index, "Russia"), [1, 2]);
    assert_eq!(ids(&index, "=Russia"), [2]);
    assert_eq!(ids(&index, "=russia's"), [1]);
}

#[test]
fn the_exact_form_ranks_above_another_form() {
    let (_dir, index) = index_of(&[
        post(1, "Визит в России"),
        post(2, "Визит в Россия"),
        post(3, "Visits of sanctions"),
        post(4, "Visits of sanction"),
    ]);
    let first = |q: &str| search(&index, q, &SearchOptions::default()).hits[0].post_id;
    assert_eq!(first("Россия"), 2);
    assert_eq!(first("России"), 1);
    assert_eq!(first("sanction"), 4);
    assert_eq!(first("sanctions"), 3);
}

#[test]
fn yo_and_ye_are_the_same_letter() {
    let (_dir, index) = index_of(&[post(1, "Новогодняя Ёлка"), post(2, "Купили елку")]);
    assert_eq!(ids(&index, "ёлка"), [1, 2]);
    assert_eq!(ids(&index, "=елка"), [1]);
    assert_eq!(ids(&index, "=ЁЛКУ"), [2]);
}

#[test]
fn short_i_is_not_folded_to_i() {
    let (_dir, index) = index_of(&[post(1, "Йод в аптеке"), post(2, "Иод — старое написание")]);
    assert_eq!(ids(&index, "=йод"), [1]);
    assert_eq!(ids(&index, "=иод"), [2]);
}

#[test]
fn latin_diacritics_are_folded() {
    let (_dir, index) = index_of(&[post(1, "Meeting at the Café de Paris"), post(2, "Naïve")]);
    assert_eq!(ids(&index, "cafe"), [1]);
    assert_eq!(ids(&index, "=CAFÉ"), [1]);
    assert_eq!(ids(&index, "naive"), [2]);
}

#[test]
fn lookalike_letters_are_folded_to_the_word_s_script() {
    let (_dir, index) = index_of(&[
        // Cyrillic С in an English word.
        post(1, "Сhina responded"),
        // Latin P in a Russian word.
        post(2, "Pоссия ответила"),
        // Cyrillic о and а in an English word.
        post(3, "Wаshingtоn said"),
        post(4, "China and Russia"),
    ]);
    assert_eq!(ids(&index, "china"), [1, 4]);
    assert_eq!(ids(&index, "=china"), [1, 4]);
    assert_eq!(ids(&index, "россия"), [2]);
    assert_eq!(ids(&index, "=россия"), [2]);
    assert_eq!(ids(&index, "washington"), [3]);
    // The query is folded the same way: a spoofed query finds the plain word.
    assert_eq!(ids(&index, "Сhina"), [1, 4]);
}

#[test]
fn posts_in_both_languages_are_found_by_both_stemmers() {
    let (_dir, index) = index_of(&[post(1, "Москва ответила на sanctions против банков")]);
    assert_eq!(ids(&index, "sanction"), [1]);
    assert_eq!(ids(&index, "москвы"), [1]);
    assert_eq!(ids(&index, "банк"), [1]);
}

#[test]
fn hashtags_and_mentions_are_searchable_as_such() {
    let mut tagged = post(1, "#Россия новости дня @MID_Russia");
    tagged.hashtags = vec!["Россия".into()];
    tagged.mentions = vec!["MID_Russia".into()];
    let plain = post(2, "Россия и новости");
    let mut other_tag = post(3, "#новости");
    other_tag.hashtags = vec!["новости".into()];
    let (_dir, index) = index_of(&[tagged, plain, other_tag]);
    assert_eq!(ids(&index, "#Россия"), [1]);
    assert_eq!(ids(&index, "#россия"), [1]);
    assert_eq!(ids(&index, "tag:РОССИЯ"), [1]);
    assert_eq!(ids(&index, "tag:новости"), [3]);
    assert_eq!(ids(&index, "@mid_russia"), [1]);
    assert_eq!(ids(&index, "mention:MID_Russia"), [1]);
    // The hashtag's word is also a word of the text.
    assert_eq!(ids(&index, "Россия"), [1, 2]);
}

#[test]
fn a_phrase_does_not_match_its_words_apart() {
    let (_dir, index) = index_of(&[
        post(1, "The collective West imposed sanctions."),
        post(2, "The West is not collective."),
        post(3, "Коллективный Запад ввёл санкции."),
        post(4, "Запад не коллективный."),
        post(5, "The Collective  west, again"),
    ]);
    assert_eq!(ids(&index, "\"collective West\""), [1, 5]);
    assert_eq!(ids(&index, "collective West"), [1, 2, 5]);
    assert_eq!(ids(&index, "\"коллективный Запад\""), [3]);
    assert_eq!(ids(&index, "коллективный запад"), [3, 4]);
    assert_eq!(ids(&index, "-\"collective West\" West"), [2]);
}

#[test]
fn excluded_phrases_work_across_segments() {
    let dir = TempDir::new().expect("temporary directory");
    let index = Index::open_or_create(&dir.path().join("index")).expect("index opens");
    let mut writer = index.writer().expect("writer");
    // One commit per post: a segment each, so the phrase is absent from some segments.
    for (id, text) in [
        (1, "The collective West imposed sanctions."),
        (2, "The West is not collective."),
        (3, "Nothing here."),
        (4, "collective West again, collective"),
        (5, "West"),
    ] {
        writer.upsert(&post(id, text)).expect("upsert");
        writer.commit(id).expect("commit");
    }
    assert_eq!(ids(&index, "-\"collective West\""), [2, 3, 5]);
    assert_eq!(ids(&index, "West -\"collective West\""), [2, 5]);
    assert_eq!(ids(&index, "collective -\"collective West\""), [2]);
    assert_eq!(ids(&index, "-(West \"imposed sanctions\")"), [2, 3, 4, 5]);
    assert_eq!(ids(&index, "West -collective -Nothing"), [5]);
}

#[test]
fn a_query_word_that_splits_matches_its_parts_in_a_row() {
    let (_dir, index) = index_of(&[
        post(1, "COVID-19 cases"),
        post(2, "19 new COVID cases"),
        post(3, "Северо-Западный округ"),
    ]);
    assert_eq!(ids(&index, "covid-19"), [1]);
    assert_eq!(ids(&index, "северо-западный"), [3]);
}

/// Posts with every kind of metadata the filters look at.
fn filter_posts() -> Vec<IndexDoc> {
    let mut p1 = post(1, "Заявление МИД России о санкциях");
    p1.channel_id = 10;
    p1.date = Some(MARCH_1);
    p1.media_kinds = vec!["photo".into()];

    let mut p2 = post(2, "Statement on sanctions by the Russian MFA");
    p2.channel_id = 11;
    p2.date = Some(MARCH_1 + 40 * DAY);
    p2.has_link = true;
    p2.edited = true;

    let mut p3 = post(3, "Пересылка: санкции против банков");
    p3.channel_id = 12;
    p3.forwarded = true;
    p3.forward_channel_id = Some(10);
    p3.date = Some(MARCH_1 - 70 * DAY);
    p3.media_kinds = vec!["video".into(), "document".into()];

    let mut p4 = post(4, "Forwarded: sanctions и санкции против банков");
    p4.channel_id = 12;
    p4.forwarded = true;
    p4.forward_channel_id = Some(11);
    p4.media_kinds = vec!["poll".into()];
    p4.has_link = true;

    vec![p1, p2, p3, p4]
}

#[test]
fn every_filter_narrows_the_results() {
    let (_dir, index) = index_of(&filter_posts());
    let all = [1, 2, 3, 4];
    assert_eq!(ids(&index, "санкции OR sanctions"), all);

    // channel: by username, by title, by numeric id, as a link.
    assert_eq!(ids(&index, "channel:mfarussia"), [1]);
    assert_eq!(ids(&index, "channel:@MFARussia"), [1]);
    assert_eq!(ids(&index, "channel:\"МИД России\""), [1]);
    assert_eq!(ids(&index, "channel:\"Russian MFA\""), [2]);
    assert_eq!(ids(&index, "channel:12"), [3, 4]);
    assert_eq!(ids(&index, "channel:https://t.me/s/rian_ru"), [3, 4]);
    // A name the archive does not know is the archive's error (see channel_id_of); a query
    // whose names were never resolved is refused, not run as if it matched nothing.
    assert!(query_result("channel:nobody").is_err());
    let unresolved = parse_query("санкции channel:mfarussia").expect("parses");
    assert_eq!(unresolved.unresolved_channel(), Some("mfarussia"));
    assert!(matches!(
        index.search(&unresolved, &SearchOptions::default()),
        Err(IndexError::UnresolvedChannel(name)) if name == "mfarussia"
    ));
    assert!(index.count_by(&unresolved, Period::Day).is_err());
    // from: the forward's source.
    assert_eq!(ids(&index, "from:MFARussia"), [3]);
    assert_eq!(ids(&index, "from:\"Russian MFA 🇷🇺\""), [4]);
    assert_eq!(ids(&index, "from:\"russian mfa\""), [4]);
    // lang:
    assert_eq!(ids(&index, "lang:ru"), [1, 3, 4]);
    assert_eq!(ids(&index, "lang:en"), [2, 4]);
    // has:
    assert_eq!(ids(&index, "has:media"), [1, 3, 4]);
    assert_eq!(ids(&index, "has:link"), [2, 4]);
    assert_eq!(ids(&index, "has:forward"), [3, 4]);
    assert_eq!(ids(&index, "has:date"), [1, 2, 3]);
    // media: any kind.
    assert_eq!(ids(&index, "media:video"), [3]);
    assert_eq!(ids(&index, "media:Document"), [3]);
    assert_eq!(ids(&index, "media:poll"), [4]);
    assert_eq!(ids(&index, "media:photo OR media:poll"), [1, 4]);
    // edited:
    assert_eq!(ids(&index, "edited:yes"), [2]);
    assert_eq!(ids(&index, "edited:no"), [1, 3, 4]);
    // date: March 1 (p1), April 10 (p2), December 22, 2023 (p3); p4 has no date.
    assert_eq!(ids(&index, "date:2024-03-01"), [1]);
    assert_eq!(ids(&index, "date:2024-03"), [1]);
    assert_eq!(ids(&index, "date:2024"), [1, 2]);
    assert_eq!(ids(&index, "date:2023"), [3]);
    assert_eq!(ids(&index, "date:2024-03-01..2024-04-10"), [1, 2]);
    assert_eq!(ids(&index, "date:2024-03-01..2024-04-09"), [1]);
    assert_eq!(ids(&index, "date:2023-12..2024-03"), [1, 3]);
    assert_eq!(ids(&index, "date:..2024-02-29"), [3]);
    assert_eq!(ids(&index, "date:2024-03-02.."), [2]);
    assert_eq!(ids(&index, "date:2025.."), Vec::<i64>::new());
    // Filters with words, and with each other.
    assert_eq!(ids(&index, "санкции lang:ru"), [1, 3, 4]);
    assert_eq!(ids(&index, "sanction has:link -has:forward"), [2]);
    assert_eq!(ids(&index, "channel:rian_ru has:media -media:poll"), [3]);
}

#[test]
fn or_exclusion_and_grouping() {
    let (_dir, index) = index_of(&[
        post(1, "Россия ввела санкции"),
        post(2, "США ввели санкции"),
        post(3, "Россия и США провели переговоры"),
        post(4, "sanctions on banks"),
        post(5, "Погода в Москве"),
    ]);
    assert_eq!(ids(&index, "Россия OR sanctions"), [1, 3, 4]);
    assert_eq!(ids(&index, "Россия -санкции"), [3]);
    assert_eq!(ids(&index, "(Россия OR США) санкции"), [1, 2]);
    assert_eq!(ids(&index, "Россия OR США санкции"), [1, 2, 3]);
    assert_eq!(ids(&index, "санкции -(Россия OR США)"), Vec::<i64>::new());
    // AND binds tighter than OR.
    assert_eq!(ids(&index, "санкции OR sanctions -США"), [1, 2, 4]);
    assert_eq!(ids(&index, "(санкции OR sanctions) -США"), [1, 4]);
    assert_eq!(ids(&index, "Россия AND США"), [3]);
    // Only exclusions: everything else.
    assert_eq!(ids(&index, "-Россия"), [2, 4, 5]);
    assert_eq!(ids(&index, "-Россия -США"), [4, 5]);
    assert_eq!(ids(&index, "москва OR -санкции"), [3, 4, 5]);
}

/// The copy clusters of [`copy_posts`] as the archive's copy analysis would give them: cluster 2
/// holds posts 2 and 3, cluster 5 posts 5, 7, 8 and 9 (9 is not in the index: a post the index
/// has not caught up with).
fn copies_of(selector: CopySelector) -> Result<Vec<i64>, String> {
    match selector {
        CopySelector::Any => Ok(vec![2, 3, 5, 7, 8, 9]),
        CopySelector::Cluster(2) => Ok(vec![3, 2]),
        CopySelector::Cluster(5) => Ok(vec![8, 5, 7, 9]),
        CopySelector::Cluster(id) => Err(format!("no copy cluster {id}")),
    }
}

/// Posts 1 to 8, in two segments, post N dated March N + 1, 2024; posts 1, 3, 5 and 6 have the
/// hashtag `#x`, the odd ones the word `санкции`.
fn copy_posts() -> (TempDir, Index) {
    let posts: Vec<IndexDoc> = (1..=8)
        .map(|id| {
            let word = if id % 2 == 1 {
                "санкции"
            } else {
                "погода"
            };
            let mut p = post(id, &format!("Пост {id}: {word}"));
            if [1, 3, 5, 6].contains(&id) {
                p.hashtags = vec!["x".into()];
            }
            p.date = Some(MARCH_1 + id * DAY);
            p
        })
        .collect();
    let (dir, index) = index_of(&posts[..4]);
    let mut writer = index.writer().expect("writer");
    for p in &posts[4..] {
        writer.upsert(p).expect("upsert");
    }
    writer.commit(2).expect("commit");
    (dir, index)
}

/// The ids of every post the query finds, its copy filters resolved by `resolve`.
fn ids_with_copies(
    index: &Index,
    text: &str,
    resolve: impl FnMut(CopySelector) -> Result<Vec<i64>, String>,
) -> Vec<i64> {
    let mut query = query(text);
    query
        .resolve_copies(resolve)
        .unwrap_or_else(|e| panic!("{text:?}: {e}"));
    let opts = SearchOptions {
        limit: 1000,
        ..SearchOptions::default()
    };
    let results = index.search(&query, &opts).expect("search");
    let mut ids: Vec<i64> = results.hits.iter().map(|h| h.post_id).collect();
    assert_eq!(
        results.total as usize,
        ids.len(),
        "{text}: total and hits differ"
    );
    ids.sort_unstable();
    ids
}

#[test]
fn copy_filters_find_the_posts_the_copy_analysis_resolves_them_to() {
    let (_dir, index) = copy_posts();
    let found = |text: &str| ids_with_copies(&index, text, copies_of);
    assert_eq!(found("cluster:5"), [5, 7, 8]);
    assert_eq!(found("cluster:2"), [2, 3]);
    assert_eq!(found("has:copies"), [2, 3, 5, 7, 8]);
    assert_eq!(found("-has:copies"), [1, 4, 6]);
    assert_eq!(found("-cluster:5"), [1, 2, 3, 4, 6]);
    // With other filters, words and each other.
    assert_eq!(found("has:copies tag:x"), [3, 5]);
    assert_eq!(found("-has:copies #x"), [1, 6]);
    assert_eq!(found("санкции cluster:5"), [5, 7]);
    assert_eq!(found("cluster:2 OR cluster:5"), [2, 3, 5, 7, 8]);
    assert_eq!(found("has:copies -cluster:2"), [5, 7, 8]);
    assert_eq!(found("-(cluster:5 OR tag:x)"), [2, 4]);
    assert_eq!(found("date:2024-03-05..2024-03-07 -has:copies"), [4, 6]);
    // Counts over time see the same posts.
    let mut query = query("санкции has:copies");
    query.resolve_copies(copies_of).expect("resolves");
    let counts = index.count_by_each(&query, &[Period::Day]).expect("counts");
    assert_eq!((counts.dated, counts.undated), (3, 0));
    // A cluster the analysis does not know is its error, not an empty result.
    let mut unknown = parse_query("cluster:4").expect("parses");
    assert_eq!(
        unknown.resolve_copies(copies_of),
        Err("no copy cluster 4".to_owned())
    );
}

#[test]
fn a_copy_filter_resolved_to_no_posts_matches_nothing() {
    let (_dir, index) = copy_posts();
    let none = |_| Ok(Vec::new());
    assert_eq!(
        ids_with_copies(&index, "has:copies", none),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids_with_copies(&index, "санкции OR has:copies", none),
        [1, 3, 5, 7]
    );
    assert_eq!(
        ids_with_copies(&index, "-has:copies", none),
        [1, 2, 3, 4, 5, 6, 7, 8]
    );
}

#[test]
fn a_query_with_unresolved_copy_filters_is_refused() {
    let (_dir, index) = copy_posts();
    let unresolved = query("санкции -cluster:5");
    assert!(unresolved.has_copy_filter());
    assert!(!query("санкции channel:mfarussia").has_copy_filter());
    let refused = index.search(&unresolved, &SearchOptions::default());
    match refused {
        Err(e @ IndexError::UnresolvedCopies(CopySelector::Cluster(5))) => {
            assert!(e.to_string().contains("cluster:5"), "{e}");
        }
        other => panic!("not refused: {other:?}"),
    }
    assert!(matches!(
        index.count_by(&unresolved, Period::Day),
        Err(IndexError::UnresolvedCopies(CopySelector::Cluster(5)))
    ));
    // An unresolved channel name is still reported as such.
    let both = parse_query("channel:mfarussia has:copies").expect("parses");
    assert!(matches!(
        index.search(&both, &SearchOptions::default()),
        Err(IndexError::UnresolvedChannel(name)) if name == "mfarussia"
    ));
}

#[test]
fn a_malformed_query_is_an_error_with_its_place_never_an_empty_result() {
    for (text, position) in [
        ("Россия \"коллективный Запад", 7),
        ("(Россия OR США", 0),
        ("Россия OR", 7),
        ("Россия foo:bar", 7),
        ("date:2024-02-30", 5),
        ("()", 0),
        ("санкции cluster:x", 16),
        ("has:copy", 4),
    ] {
        let e = parse_query(text).expect_err(text);
        assert_eq!(e.position, position, "{text}: {e}");
        assert!(e.to_string().contains('^'), "{e}");
    }
}

#[test]
fn results_sort_by_relevance_or_by_date_with_undated_posts_last() {
    let mut posts = vec![
        post(1, "санкции объявлены сегодня"),
        post(2, "санкции, санкции и санкции"),
        post(
            3,
            "санкции и погода, и новости, и спорт, и многое другое сегодня",
        ),
        post(4, "санкции без даты"),
    ];
    posts[0].date = Some(MARCH_1);
    posts[1].date = Some(MARCH_1 - DAY);
    posts[2].date = Some(MARCH_1 + DAY);
    let (_dir, index) = index_of(&posts);
    let order = |sort| -> Vec<i64> {
        let opts = SearchOptions {
            sort,
            limit: 10,
            ..SearchOptions::default()
        };
        search(&index, "санкции", &opts)
            .hits
            .iter()
            .map(|h| h.post_id)
            .collect()
    };
    assert_eq!(order(Sort::DateDesc), [3, 1, 2, 4]);
    assert_eq!(order(Sort::DateAsc), [2, 1, 3, 4]);
    let by_relevance = order(Sort::Relevance);
    assert_eq!(
        by_relevance[0], 2,
        "most occurrences first: {by_relevance:?}"
    );
    assert_eq!(by_relevance[3], 3, "longest text last: {by_relevance:?}");

    let opts = SearchOptions {
        sort: Sort::DateDesc,
        ..SearchOptions::default()
    };
    let dates: Vec<_> = search(&index, "санкции", &opts)
        .hits
        .iter()
        .map(|h| h.date)
        .collect();
    assert_eq!(
        dates,
        [
            Some(MARCH_1 + DAY),
            Some(MARCH_1),
            Some(MARCH_1 - DAY),
            None
        ]
    );
    let relevance = search(&index, "санкции", &SearchOptions::default());
    assert!(relevance.hits.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(relevance.hits.iter().all(|h| h.score > 0.0));
}

#[test]
fn paging_covers_every_hit_once_and_the_total_is_the_full_count() {
    let mut posts: Vec<IndexDoc> = (1..=25)
        .map(|i| {
            let mut p = post(i, &format!("новости номер {i}"));
            p.date = Some(MARCH_1 + i * DAY);
            p
        })
        .collect();
    posts.push(post(100, "другое"));
    let (_dir, index) = index_of(&posts);
    for sort in [Sort::Relevance, Sort::DateDesc, Sort::DateAsc] {
        let mut seen = Vec::new();
        for offset in [0, 10, 20] {
            let opts = SearchOptions {
                sort,
                limit: 10,
                offset,
                snippet_chars: 50,
            };
            let page = search(&index, "новости", &opts);
            assert_eq!(page.total, 25);
            assert_eq!(page.hits.len(), if offset == 20 { 5 } else { 10 });
            seen.extend(page.hits.iter().map(|h| h.post_id));
        }
        if sort == Sort::DateDesc {
            assert_eq!(seen, (1..=25).rev().collect::<Vec<_>>());
        }
        seen.sort_unstable();
        assert_eq!(seen, (1..=25).collect::<Vec<_>>(), "{sort:?}");
    }
    let past_the_end = SearchOptions {
        offset: 30,
        ..SearchOptions::default()
    };
    let page = search(&index, "новости", &past_the_end);
    assert_eq!((page.total, page.hits.len()), (25, 0));
    let only_total = SearchOptions {
        limit: 0,
        ..SearchOptions::default()
    };
    let page = search(&index, "новости", &only_total);
    assert_eq!((page.total, page.hits.len()), (25, 0));
    assert_eq!(index.doc_count().expect("count"), 26);
}

#[test]
fn snippets_highlight_every_matched_form() {
    let long_start = "Вступление. ".repeat(40);
    let (_dir, index) = index_of(&[
        post(
            1,
            &format!("{long_start}Визит в России. Переговоры с Россией. Российский флаг."),
        ),
        post(2, "Sanctions, sanctioned, sanction; sanctimonious."),
        post(3, "The collective West and the West collective."),
    ]);
    let opts = SearchOptions {
        snippet_chars: 80,
        ..SearchOptions::default()
    };
    let results = search(&index, "Россия", &opts);
    assert_eq!(highlighted(&results, 1), ["России", "Россией"]);
    let snippet = &results.hits[0].snippet;
    assert!(snippet.text.starts_with('…'), "{}", snippet.text);
    assert!(snippet.text.chars().count() <= 82, "{}", snippet.text);
    assert!(
        snippet
            .marked("[", "]")
            .contains("в [России]. Переговоры с [Россией]."),
        "{}",
        snippet.marked("[", "]")
    );

    let results = search(&index, "sanction", &opts);
    assert_eq!(
        highlighted(&results, 2),
        ["Sanctions", "sanctioned", "sanction"]
    );
    let results = search(&index, "=sanction", &opts);
    assert_eq!(highlighted(&results, 2), ["sanction"]);
    let results = search(&index, "\"collective West\"", &opts);
    assert_eq!(highlighted(&results, 3), ["collective", "West"]);
    assert_eq!(
        results.hits[0].snippet.html("<mark>", "</mark>"),
        "The <mark>collective</mark> <mark>West</mark> and the West collective."
    );
}

#[test]
fn counts_per_day_week_and_month() {
    // 2024-03-01 is a Friday.
    let dated = |id, text, at| {
        let mut p = post(id, text);
        p.date = Some(at);
        p
    };
    let (_dir, index) = index_of(&[
        dated(1, "санкции", MARCH_1),
        dated(2, "санкции", MARCH_1 + 3600),
        dated(3, "санкции", MARCH_1 + 3 * DAY),
        dated(4, "санкции", MARCH_1 + 35 * DAY),
        dated(5, "погода", MARCH_1 + DAY),
        post(6, "санкции без даты"),
    ]);
    let counts = |period| -> Vec<(String, u64)> {
        index
            .count_by(&query("санкции"), period)
            .expect("counts")
            .into_iter()
            .map(|c| (c.start, c.count))
            .collect()
    };
    let day = counts(Period::Day);
    assert_eq!(day.len(), 36);
    assert_eq!(day[0], ("2024-03-01".to_owned(), 2));
    assert_eq!(day[1], ("2024-03-02".to_owned(), 0));
    assert_eq!(day[3], ("2024-03-04".to_owned(), 1));
    assert_eq!(day[35], ("2024-04-05".to_owned(), 1));
    assert_eq!(day.iter().map(|c| c.1).sum::<u64>(), 4);

    let week = counts(Period::Week);
    assert_eq!(
        week,
        [
            ("2024-02-26".to_owned(), 2),
            ("2024-03-04".to_owned(), 1),
            ("2024-03-11".to_owned(), 0),
            ("2024-03-18".to_owned(), 0),
            ("2024-03-25".to_owned(), 0),
            ("2024-04-01".to_owned(), 1),
        ]
    );
    let month = counts(Period::Month);
    assert_eq!(
        month,
        [("2024-03-01".to_owned(), 3), ("2024-04-01".to_owned(), 1)]
    );
    assert!(
        index
            .count_by(&query("несуществующее"), Period::Day)
            .expect("counts")
            .is_empty()
    );
    // One pass, the three periods: the same counts as three passes.
    let periods = [Period::Day, Period::Week, Period::Month];
    let each = index
        .count_by_each(&query("санкции"), &periods)
        .expect("counts");
    assert_eq!(each.per_period.len(), 3);
    // Four dated matches are in the periods; the undated fifth (post 6) is counted apart, so
    // that a count can say what it leaves out.
    assert_eq!((each.dated, each.undated), (4, 1));
    for (counted, period) in each.per_period.iter().zip(periods) {
        let one: Vec<(String, u64)> = counted.iter().map(|c| (c.start.clone(), c.count)).collect();
        assert_eq!(one, counts(period), "{period:?}");
    }
}

#[test]
fn upserts_replace_deletes_remove_and_clear_empties() {
    let (_dir, index) = index_of(&[post(1, "первая версия"), post(2, "другой пост")]);
    let mut writer = index.writer().expect("writer");
    writer.upsert(&post(1, "вторая версия")).expect("upsert");
    writer.commit(2).expect("commit");
    assert_eq!(ids(&index, "первая"), Vec::<i64>::new());
    assert_eq!(ids(&index, "вторая"), [1]);
    assert_eq!(index.doc_count().expect("count"), 2);

    writer.delete(2).expect("delete");
    writer.delete(99).expect("deleting nothing");
    writer.commit(3).expect("commit");
    assert_eq!(ids(&index, "другой"), Vec::<i64>::new());
    assert_eq!(index.doc_count().expect("count"), 1);

    writer.clear().expect("clear");
    writer.upsert(&post(3, "после очистки")).expect("upsert");
    writer.commit(4).expect("commit");
    assert_eq!(ids(&index, "-несуществующее"), [3]);
}

#[test]
fn batches_are_analysed_in_parallel_and_index_like_single_posts() {
    // Enough posts to be split between threads, in both languages.
    let posts: Vec<IndexDoc> = (1..=500)
        .map(|i| {
            let text = if i % 2 == 0 {
                format!("Пост {i}: санкции против России")
            } else {
                format!("Post {i}: sanctions and the collective West")
            };
            post(i, &text)
        })
        .collect();
    let dir = tempfile::tempdir().expect("tmp");
    let index = Index::open_or_create(dir.path()).expect("index");
    let mut writer = index.writer().expect("writer");
    writer.add_batch(&posts, false).expect("batch");
    writer.commit(1).expect("commit");
    assert_eq!(index.doc_count().expect("count"), 500);
    assert_eq!(ids(&index, "Россия").len(), 250);
    assert_eq!(ids(&index, "\"collective West\"").len(), 250);
    // With replace, a batch replaces the documents of the same posts: no duplicates.
    let edited: Vec<IndexDoc> = (1..=100).map(|i| post(i, "исправленный текст")).collect();
    writer.add_batch(&edited, true).expect("replace");
    writer.commit(2).expect("commit");
    assert_eq!(index.doc_count().expect("count"), 500);
    assert_eq!(ids(&index, "исправленный").len(), 100);
    assert_eq!(ids(&index, "Россия").len(), 200);
}

#[test]
fn meta_records_the_schema_version_and_the_archive_mark_across_reopening() {
    let dir = TempDir::new().expect("temporary directory");
    let path = dir.path().join("index");
    {
        let index = Index::open_or_create(&path).expect("index");
        assert_eq!(index.meta().expect("meta"), None);
        assert_eq!(index.doc_count().expect("count"), 0);
        let mut writer = index.writer().expect("writer");
        writer
            .upsert(&post(1, "сохранено на диске"))
            .expect("upsert");
        writer.commit(42).expect("commit");
        assert_eq!(
            index.meta().expect("meta"),
            Some(IndexMeta {
                schema_version: SCHEMA_VERSION,
                archive_mark: 42,
                derived_with: 0,
            })
        );
    }
    let reopened = Index::open_or_create(&path).expect("index reopens");
    assert_eq!(
        reopened.meta().expect("meta"),
        Some(IndexMeta {
            schema_version: SCHEMA_VERSION,
            archive_mark: 42,
            derived_with: 0,
        })
    );
    assert_eq!(ids(&reopened, "диск"), [1]);
}

#[test]
fn a_second_writer_is_refused_while_the_first_is_open() {
    let (_dir, index) = index_of(&[]);
    let first = index.writer().expect("first writer");
    assert!(matches!(index.writer(), Err(IndexError::Locked { .. })));
    drop(first);
    assert!(index.writer().is_ok());
}

#[test]
fn an_empty_index_answers_with_nothing() {
    let (_dir, index) = index_of(&[]);
    let results = search(&index, "санкции", &SearchOptions::default());
    assert_eq!((results.total, results.hits.len()), (0, 0));
    assert!(
        index
            .count_by(&Query::all(), Period::Month)
            .expect("counts")
            .is_empty()
    );
}

#[test]
fn commits_of_another_handle_are_seen() {
    let dir = TempDir::new().expect("temporary directory");
    let path = dir.path().join("index");
    let reading = Index::open_or_create(&path).expect("index");
    let writing = Index::open_or_create(&path).expect("index");
    let mut writer = writing.writer().expect("writer");
    writer.upsert(&post(1, "новое")).expect("upsert");
    writer.commit(1).expect("commit");
    assert_eq!(ids(&reading, "новое"), [1]);
}

const VOCABULARY: &[&str] = &[
    "Россия",
    "России",
    "ёлка",
    "елки",
    "Ёж",
    "мир",
    "миру",
    "санкции",
    "Запад",
    "йод",
    "иод",
    "sanctions",
    "sanction",
    "West",
    "world",
    "words",
    "Russia",
    "café",
    "cafe",
    "Naïve",
];

const SEPARATORS: &[&str] = &[" ", ", ", ". ", "\n", " — ", "! ", " («", "» "];

/// A vocabulary word in random case, sometimes with `ё` written for `е` (and `е` for `ё`).
fn word_variant() -> impl Strategy<Value = String> {
    (
        prop::sample::select(VOCABULARY),
        prop::collection::vec(any::<bool>(), 12),
        any::<bool>(),
    )
        .prop_map(|(word, upper, swap_yo)| {
            word.chars()
                .zip(upper.iter().cycle())
                .map(|(c, &up)| {
                    let c = match (swap_yo, c) {
                        (true, 'е') => 'ё',
                        (true, 'ё') => 'е',
                        (true, 'Ё') => 'Е',
                        _ => c,
                    };
                    if up {
                        c.to_uppercase().collect::<String>()
                    } else {
                        c.to_lowercase().collect::<String>()
                    }
                })
                .collect()
        })
}

fn post_text() -> impl Strategy<Value = String> {
    prop::collection::vec((word_variant(), prop::sample::select(SEPARATORS)), 1..10).prop_map(
        |words| {
            words
                .into_iter()
                .map(|(w, sep)| format!("{w}{sep}"))
                .collect()
        },
    )
}

/// The posts whose text has a word that folds like `word`, by a plain scan of the text.
fn naive_exact_matches(posts: &[String], word: &str) -> Vec<i64> {
    let wanted = fold_word(word);
    posts
        .iter()
        .enumerate()
        .filter(|(_, text)| {
            text.split(|c: char| !c.is_alphanumeric())
                .any(|w| !w.is_empty() && fold_word(w) == wanted)
        })
        .map(|(i, _)| i as i64 + 1)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn exact_word_queries_find_what_a_scan_of_the_texts_finds(
        texts in prop::collection::vec(post_text(), 1..8),
        queries in prop::collection::vec(word_variant(), 1..6),
    ) {
        let posts: Vec<IndexDoc> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| post(i as i64 + 1, text))
            .collect();
        let (_dir, index) = index_of(&posts);
        for word in &queries {
            let found = ids(&index, &format!("={word}"));
            let expected = naive_exact_matches(&texts, word);
            prop_assert_eq!(&found, &expected, "query ={} over {:?}", word, texts);
        }
        let distinct: BTreeSet<i64> = (1..=texts.len() as i64).collect();
        prop_assert_eq!(index.doc_count().expect("count"), distinct.len() as u64);
    }
}
