//! Entity keys in the index: the `country:`, `org:` and `person:` filters once resolved, and
//! the entity counts over every post a query matches.

use std::time::Instant;

use tempfile::TempDir;
use tgscope_index::{
    EntityCounts, EntityKind, Index, IndexDoc, IndexError, IndexMeta, Query, SCHEMA_VERSION,
    SearchOptions, parse_query,
};

fn post(post_id: i64, text: &str, entities: &[&str]) -> IndexDoc {
    IndexDoc {
        post_id,
        channel_id: 1,
        text: text.into(),
        entities: entities.iter().map(|e| (*e).to_owned()).collect(),
        ..IndexDoc::default()
    }
}

fn posts() -> Vec<IndexDoc> {
    vec![
        post(
            1,
            "Лавров прибыл в Астану",
            &["person:lavrov", "country:KZ"],
        ),
        post(
            2,
            "Саммит ШОС в Казахстане",
            &["org:sco", "country:KZ", "country:KZ"],
        ),
        post(
            3,
            "Lavrov met Wang Yi",
            &["person:lavrov", "person:wang_yi"],
        ),
        post(4, "Погода в Москве", &[]),
        post(
            5,
            "министр Такэси Ивая и Казахстан",
            &["person:~такэси ивая", "country:KZ"],
        ),
        post(6, "Congolese delegation", &["country:CD", "country:CG"]),
    ]
}

fn index_of(docs: &[IndexDoc]) -> (TempDir, Index) {
    let dir = TempDir::new().expect("temporary directory");
    let index = Index::open_or_create(&dir.path().join("index")).expect("index opens");
    let mut writer = index.writer().expect("writer");
    writer.add_batch(docs, false).expect("add");
    writer.commit_with(1, 77).expect("commit");
    (dir, index)
}

/// Resolves ids as written (the engine resolves names with the archive's lists).
fn resolved(text: &str) -> Query {
    let mut query = parse_query(text).expect("parses");
    query
        .resolve_entities(|_, name| Ok::<_, String>(name.split('|').map(str::to_owned).collect()))
        .expect("resolves");
    query
}

fn ids(index: &Index, text: &str) -> Vec<i64> {
    let mut found: Vec<i64> = index
        .search(
            &resolved(text),
            &SearchOptions {
                limit: 100,
                ..SearchOptions::default()
            },
        )
        .expect("search")
        .hits
        .into_iter()
        .map(|h| h.post_id)
        .collect();
    found.sort_unstable();
    found
}

#[test]
fn entity_filters_match_the_keys_and_combine_like_any_filter() {
    let (_dir, index) = index_of(&posts());
    assert_eq!(ids(&index, "country:KZ"), [1, 2, 5]);
    assert_eq!(ids(&index, "person:lavrov"), [1, 3]);
    assert_eq!(ids(&index, "org:sco"), [2]);
    assert_eq!(ids(&index, "-country:KZ"), [3, 4, 6]);
    assert_eq!(ids(&index, "country:KZ -person:lavrov"), [2, 5]);
    assert_eq!(ids(&index, "country:KZ person:lavrov"), [1]);
    assert_eq!(ids(&index, "org:sco OR person:wang_yi"), [2, 3]);
    assert_eq!(ids(&index, "саммит country:KZ"), [2]);
    // A name that stands for several entities matches any of them.
    assert_eq!(ids(&index, "country:CD|CG"), [6]);
    assert_eq!(ids(&index, "country:CG"), [6]);
    // Keys are whole: the kind is part of them, and so is the case of the id.
    assert_eq!(ids(&index, "org:lavrov"), Vec::<i64>::new());
    assert_eq!(ids(&index, "country:kz"), Vec::<i64>::new());
    // People on no list are keyed by their folded name.
    assert_eq!(ids(&index, "person:\"~такэси ивая\""), [5]);
    assert_eq!(index.entity_posts("country:KZ").expect("posts"), 3);
    assert_eq!(index.entity_posts("person:~такэси ивая").expect("posts"), 1);
    assert_eq!(index.entity_posts("country:FR").expect("posts"), 0);
}

#[test]
fn an_entity_filter_must_be_resolved_before_it_runs() {
    let (_dir, index) = index_of(&posts());
    let query = parse_query("санкции person:Лавров").expect("parses");
    let refused = index.search(&query, &SearchOptions::default());
    assert!(
        matches!(&refused, Err(IndexError::UnresolvedEntity { kind: EntityKind::Person, name })
            if name == "Лавров"),
        "{refused:?}"
    );
    assert!(index.entity_counts(&query, 10).is_err());
    assert!(index.count_by_each(&query, &[]).is_err());
    // Resolved to nothing: no post.
    let mut nothing = parse_query("person:Лавров").expect("parses");
    nothing
        .resolve_entities(|_, _| Ok::<_, String>(Vec::new()))
        .expect("resolves");
    let found = index
        .search(&nothing, &SearchOptions::default())
        .expect("search");
    assert_eq!(found.total, 0);
}

fn top(counts: &EntityCounts, kind: EntityKind) -> Vec<(String, u64)> {
    counts
        .of(kind)
        .expect("every kind is there")
        .top
        .iter()
        .map(|c| (c.id.clone(), c.posts))
        .collect()
}

#[test]
fn entity_counts_cover_every_match_per_kind() {
    let (_dir, index) = index_of(&posts());
    let all = index
        .entity_counts(&Query::all(), 10)
        .expect("entity counts");
    assert_eq!(all.matching, 6);
    assert_eq!(
        top(&all, EntityKind::Country),
        [
            ("KZ".to_owned(), 3),
            ("CD".to_owned(), 1),
            ("CG".to_owned(), 1)
        ]
    );
    assert_eq!(top(&all, EntityKind::Org), [("sco".to_owned(), 1)]);
    assert_eq!(
        top(&all, EntityKind::Person),
        [
            ("lavrov".to_owned(), 2),
            ("wang_yi".to_owned(), 1),
            ("~такэси ивая".to_owned(), 1)
        ]
    );
    let countries = all.of(EntityKind::Country).expect("countries");
    assert_eq!((countries.posts, countries.distinct), (4, 3));
    let people = all.of(EntityKind::Person).expect("people");
    assert_eq!((people.posts, people.distinct), (3, 3));

    // What a filter finds is what its entity counts.
    let kz = index
        .entity_counts(&resolved("country:KZ"), 1)
        .expect("entity counts");
    assert_eq!(kz.matching, 3);
    assert_eq!(top(&kz, EntityKind::Country), [("KZ".to_owned(), 3)]);
    assert_eq!(top(&kz, EntityKind::Person), [("lavrov".to_owned(), 1)]);
    assert_eq!(kz.of(EntityKind::Person).map(|p| p.distinct), Some(2));
    let none = index
        .entity_counts(&resolved("country:FR"), 10)
        .expect("entity counts");
    assert_eq!(none.matching, 0);
    assert!(none.kinds.iter().all(|k| k.top.is_empty() && k.posts == 0));
    assert_eq!(none.kinds.len(), 3);
}

#[test]
fn entity_counts_add_up_across_segments_and_replacements() {
    let dir = TempDir::new().expect("temporary directory");
    let index = Index::open_or_create(&dir.path().join("index")).expect("index opens");
    let mut writer = index.writer().expect("writer");
    // Three commits: three segments with their own dictionaries.
    for round in 0..3i64 {
        let docs: Vec<IndexDoc> = (0..50)
            .map(|i| {
                let id = round * 100 + i;
                let mut keys = vec!["country:RU"];
                if i % 2 == 0 {
                    keys.push("org:un");
                }
                if round == 1 {
                    keys.push("person:lavrov");
                }
                post(id, "текст", &keys)
            })
            .collect();
        writer.add_batch(&docs, false).expect("add");
        writer.commit(round).expect("commit");
    }
    // Replacing a post replaces its keys.
    writer
        .upsert(&post(0, "текст", &["country:KZ"]))
        .expect("upsert");
    writer.commit(3).expect("commit");
    let counts = index
        .entity_counts(&Query::all(), 10)
        .expect("entity counts");
    assert_eq!(counts.matching, 150);
    assert_eq!(
        top(&counts, EntityKind::Country),
        [("RU".to_owned(), 149), ("KZ".to_owned(), 1)]
    );
    assert_eq!(top(&counts, EntityKind::Org), [("un".to_owned(), 74)]);
    assert_eq!(
        top(&counts, EntityKind::Person),
        [("lavrov".to_owned(), 50)]
    );
}

#[test]
fn the_commit_records_what_the_entities_were_made_with() {
    let dir = TempDir::new().expect("temporary directory");
    let path = dir.path().join("index");
    let index = Index::open_or_create(&path).expect("index opens");
    let mut writer = index.writer().expect("writer");
    writer.add_batch(&posts(), false).expect("add");
    writer.commit_with(5, 0xfeed).expect("commit");
    let meta = |index: &Index| index.meta().expect("meta");
    assert_eq!(
        meta(&index),
        Some(IndexMeta {
            schema_version: SCHEMA_VERSION,
            archive_mark: 5,
            derived_with: 0xfeed,
        })
    );
    // A plain commit keeps it.
    writer.commit(6).expect("commit");
    assert_eq!(meta(&index).map(|m| m.derived_with), Some(0xfeed));
    drop(writer);
    let reopened = Index::open_or_create(&path).expect("index reopens");
    assert_eq!(
        meta(&reopened).map(|m| (m.archive_mark, m.derived_with)),
        Some((6, 0xfeed))
    );
}

/// Entity counts over many matches. Run with
/// `cargo test --release -p tgscope-index --test entities -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement: builds an index of 200,000 posts"]
fn entity_counts_over_200k_matches_measured() {
    const POSTS: i64 = 200_000;
    let countries = ["RU", "KZ", "US", "CN", "UA", "BY", "KG", "UZ", "TR", "IR"];
    let dir = TempDir::new().expect("temporary directory");
    let index = Index::open_or_create(&dir.path().join("index")).expect("index opens");
    let mut writer = index.writer().expect("writer");
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let mut docs = Vec::with_capacity(POSTS as usize);
    for id in 0..POSTS {
        // About 3 keys a post: one or two countries (a long tail among 250), an organisation
        // every third post, a person every other post (a quarter of them on no list).
        let mut keys = Vec::new();
        let country = |n: u64| match n {
            0..=9 => countries[n as usize].to_owned(),
            n => format!("X{n}"),
        };
        keys.push(format!("country:{}", country(next(250).min(next(250)))));
        if next(2) == 0 {
            keys.push(format!("country:{}", country(next(250))));
        }
        if next(3) == 0 {
            keys.push(format!("org:o{}", next(120)));
        }
        if next(2) == 0 {
            if next(4) == 0 {
                keys.push(format!("person:~unlisted {}", next(20_000)));
            } else {
                keys.push(format!("person:p{}", next(300)));
            }
        }
        docs.push(IndexDoc {
            post_id: id,
            channel_id: 1,
            text: if id % 2 == 0 {
                "санкции против России".into()
            } else {
                "переговоры в Астане".into()
            },
            entities: keys,
            ..IndexDoc::default()
        });
    }
    let started = Instant::now();
    for chunk in docs.chunks(20_000) {
        writer.add_batch(chunk, false).expect("add");
    }
    writer.commit(1).expect("commit");
    let built = started.elapsed();
    drop(writer);
    let searcher_segments = index.doc_count().expect("count");
    assert_eq!(searcher_segments, POSTS as u64);
    let measure = |text: &str| {
        let query = resolved(text);
        // Warm once, then the best of five.
        let counts = index.entity_counts(&query, 10).expect("counts");
        let mut best = f64::MAX;
        for _ in 0..5 {
            let at = Instant::now();
            index.entity_counts(&query, 10).expect("counts");
            best = best.min(at.elapsed().as_secs_f64() * 1000.0);
        }
        let mut plain = f64::MAX;
        for _ in 0..5 {
            let at = Instant::now();
            index
                .search(
                    &query,
                    &SearchOptions {
                        limit: 0,
                        ..SearchOptions::default()
                    },
                )
                .expect("count");
            plain = plain.min(at.elapsed().as_secs_f64() * 1000.0);
        }
        println!(
            "{text:>22}: {:>7} matches, entity counts {best:>6.1} ms (counting alone {plain:>5.1} ms); \
             distinct {}/{}/{}",
            counts.matching,
            counts.kinds[0].distinct,
            counts.kinds[1].distinct,
            counts.kinds[2].distinct
        );
        counts
    };
    println!("indexed {POSTS} posts in {:.1} s", built.as_secs_f64());
    let all = measure("-country:none");
    assert_eq!(all.matching, POSTS as u64);
    measure("санкции");
    measure("country:KZ");
    measure("country:RU|US|CN -org:o1");
}
