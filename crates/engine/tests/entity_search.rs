//! Entities in search: `country:`, `org:` and `person:` filters written in any language, the
//! entity facets of a query's matches, and the index rebuilt when the archive's entity list
//! changes. A real archive, built by ingesting a Telegram Desktop copy written here.

use std::path::{Path, PathBuf};
use std::time::Instant;

use tempfile::TempDir;
use tgscope_engine::entities::EntityKind;
use tgscope_engine::search::{EntityFacets, FACETS_PER_KIND};
use tgscope_engine::{Engine, ErrorKind, IngestOptions, NoProgress, SortBy};

/// One post per message, each with its date (a Desktop copy: header line, body, blank line).
const POSTS: &[&str] = &[
    // 1: a case form.
    "Сергей Лавров провёл переговоры с коллегой из Казахстана.",
    // 2: an adjective, in capitals too.
    "Казахстанский бизнес расширяет экспорт. КАЗАХСТАНСКИЕ банки тоже.",
    // 3: a flag alone.
    "🇰🇿 Флаги подняты у здания.",
    // 4: an organisation and a person in the dative.
    "Саммит ШОС прошёл в Астане; Лаврову вручили награду.",
    // 5: English.
    "Lavrov met Wang Yi in Beijing.",
    // 6: nothing.
    "Погода в Москве хорошая, дождя не будет.",
    // 7: an English possessive.
    "Kazakhstan's president spoke at the forum.",
    // 8: a person on no list, after a role phrase.
    "Посол Франции Пьер  Лафонтен вручил верительные грамоты.",
    // 9: a person on no list without a role phrase (the archive's own list names him later).
    "Иван Сидоренко встретился с фермерами на выставке.",
];

fn capture(posts: &[&str]) -> String {
    let mut text = String::new();
    for (i, body) in posts.iter().enumerate() {
        text.push_str(&format!(
            "Entity Test, [{:02}/03/2024 10:00]\n{body}\n\n",
            i + 1
        ));
    }
    text
}

fn archive(tmp: &Path) -> Engine {
    let file = tmp.join("entity-test.txt");
    std::fs::write(&file, capture(POSTS)).expect("write capture");
    let mut engine = Engine::open(&tmp.join("archive")).expect("archive");
    let report = engine
        .ingest(
            &[file],
            &IngestOptions {
                channel: Some("entity_test".into()),
                ..IngestOptions::default()
            },
            &mut NoProgress,
        )
        .expect("ingest");
    assert_eq!(report.posts_new(), POSTS.len() as u64, "{report:?}");
    engine
}

fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// The numbers (1-based, in [`POSTS`]) of the posts a query finds.
fn found(engine: &mut Engine, query: &str) -> Vec<usize> {
    let page = engine
        .search(query, SortBy::Oldest, 100, 0)
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    let mut numbers: Vec<usize> = page
        .hits
        .iter()
        .map(|h| {
            POSTS
                .iter()
                .position(|p| words(&h.post.current.text) == words(p))
                .map(|i| i + 1)
                .unwrap_or_else(|| panic!("an unknown post: {:?}", h.post.current.text))
        })
        .collect();
    numbers.sort_unstable();
    assert_eq!(page.total, numbers.len() as u64, "{query}");
    numbers
}

fn query_error(engine: &mut Engine, query: &str) -> String {
    match engine.search(query, SortBy::Relevance, 10, 0) {
        Ok(page) => panic!("{query} found {} posts", page.total),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::User, "{query}: {e}");
            e.to_string()
        }
    }
}

#[test]
fn country_filters_find_every_way_a_post_names_the_country_in_any_language() {
    let tmp = TempDir::new().expect("tmp");
    let mut engine = archive(tmp.path());
    let kz = [1, 2, 3, 7];
    for query in [
        "country:KZ",
        "country:kz",
        "country:Казахстан",
        "country:казахстане",
        "country:Kazakhstan",
        "country:\"Республика Казахстан\"",
        "country:🇰🇿",
        "country:#Казахстан",
        "country:Kazakhstan's",
        "country:Kazakhstani",
        "country:казахстанцы",
    ] {
        assert_eq!(found(&mut engine, query), kz, "{query}");
    }
    // Negated, and combined with words and other filters.
    assert_eq!(found(&mut engine, "-country:KZ"), [4, 5, 6, 8, 9]);
    assert_eq!(found(&mut engine, "country:KZ бизнес"), [2]);
    assert_eq!(found(&mut engine, "country:KZ -person:lavrov"), [2, 3, 7]);
    assert_eq!(
        found(
            &mut engine,
            "(country:KZ OR org:sco) date:2024-03-01..2024-03-04"
        ),
        [1, 2, 3, 4]
    );
    assert_eq!(found(&mut engine, "country:FR"), [8]);
}

#[test]
fn people_and_organisations_by_id_or_by_any_of_their_names() {
    let tmp = TempDir::new().expect("tmp");
    let mut engine = archive(tmp.path());
    let lavrov = [1, 4, 5];
    for query in [
        "person:lavrov",
        "person:Лавров",
        "person:Лаврову",
        "person:\"Сергей Лавров\"",
        "person:Lavrov",
        "person:\"Sergey Lavrov\"",
        "person:\"Sergei Lavrov\"",
        "person:\" сергей   лавров \"",
    ] {
        assert_eq!(found(&mut engine, query), lavrov, "{query}");
    }
    for query in [
        "org:sco",
        "org:ШОС",
        "org:SCO",
        "org:\"Шанхайская организация сотрудничества\"",
    ] {
        assert_eq!(found(&mut engine, query), [4], "{query}");
    }
    assert_eq!(found(&mut engine, "person:wang_yi"), [5]);
    // A person on no list: by the name the posts give (as the facets write it), or by the
    // name itself once the posts have it.
    assert_eq!(found(&mut engine, "person:\"~пьер лафонтен\""), [8]);
    assert_eq!(found(&mut engine, "person:\"Пьер Лафонтен\""), [8]);
    assert_eq!(
        found(&mut engine, "person:\"~Никто Никакой\""),
        Vec::<usize>::new()
    );
}

#[test]
fn a_name_that_names_nothing_is_an_error_that_names_it() {
    let tmp = TempDir::new().expect("tmp");
    let mut engine = archive(tmp.path());
    let narnia = query_error(&mut engine, "санкции country:Narnia");
    assert!(
        narnia.starts_with("no country is called \"Narnia\""),
        "{narnia}"
    );
    let nobody = query_error(&mut engine, "person:\"Иван Сидоренко\"");
    assert!(
        nobody.starts_with("no person is called \"Иван Сидоренко\""),
        "{nobody}"
    );
    // The right name for the wrong kind says which kind it names.
    let kz = query_error(&mut engine, "org:KZ");
    assert!(
        kz.contains("no organisation is called \"KZ\"") && kz.contains("country:KZ"),
        "{kz}"
    );
    let lavrov = query_error(&mut engine, "-country:Лавров");
    assert!(lavrov.contains("person:lavrov"), "{lavrov}");
    let tilde = query_error(&mut engine, "country:~kz");
    assert!(tilde.contains("'~'"), "{tilde}");
    // Counts and facets refuse it the same way.
    assert!(engine.count("country:Narnia", None).is_err());
    assert!(engine.search_facets("country:Narnia", 10).is_err());
    assert!(kz.contains("(it names country:KZ)"), "{kz}");
    // A form that names two entities stands for both.
    assert_eq!(
        engine
            .resolve_entity(EntityKind::Country, "конголезский")
            .expect("resolves"),
        ["CD", "CG"]
    );
    // The resolver is there for front ends too.
    assert_eq!(
        engine
            .resolve_entity(EntityKind::Country, "Казахстана")
            .expect("resolves"),
        ["KZ"]
    );
}

fn top(facets: &EntityFacets, kind: EntityKind) -> Vec<(String, u64)> {
    facets
        .of(kind)
        .expect("every kind")
        .top
        .iter()
        .map(|e| (e.key.clone(), e.posts))
        .collect()
}

#[test]
fn facets_count_the_entities_of_every_match_and_their_filters_find_as_many() {
    let tmp = TempDir::new().expect("tmp");
    let mut engine = archive(tmp.path());
    let all = engine
        .search_facets("has:date OR -has:date", FACETS_PER_KIND)
        .expect("facets");
    assert_eq!(all.matching, POSTS.len() as u64);
    assert_eq!(
        top(&all, EntityKind::Country),
        [("country:KZ".to_owned(), 4), ("country:FR".to_owned(), 1)]
    );
    assert_eq!(top(&all, EntityKind::Org), [("org:sco".to_owned(), 1)]);
    assert_eq!(
        top(&all, EntityKind::Person),
        [
            ("person:lavrov".to_owned(), 3),
            ("person:wang_yi".to_owned(), 1),
            ("person:~пьер лафонтен".to_owned(), 1)
        ]
    );
    let people = all.of(EntityKind::Person).expect("people");
    assert_eq!((people.posts, people.distinct), (4, 3));
    let lavrov = &people.top[0];
    assert_eq!(
        (
            lavrov.id.as_str(),
            lavrov.name_en.as_str(),
            lavrov.name_ru.as_str(),
            lavrov.listed
        ),
        ("lavrov", "Sergey Lavrov", "Сергей Лавров", true)
    );
    let unlisted = &people.top[2];
    assert_eq!(
        (
            unlisted.name_ru.as_str(),
            unlisted.listed,
            unlisted.filter.as_str()
        ),
        ("Пьер Лафонтен", false, "person:\"~пьер лафонтен\"")
    );
    // Each entity's filter finds as many posts as its count says.
    for facet in &all.kinds {
        for entity in &facet.top {
            let page = engine
                .search(&entity.filter, SortBy::Newest, 0, 0)
                .expect("search");
            assert_eq!(page.total, entity.posts, "{}", entity.filter);
        }
    }
    // The facets of a filter count what the filter finds.
    let kz = engine
        .search_facets("country:Казахстан", 10)
        .expect("facets");
    let page = engine
        .search("country:Казахстан", SortBy::Newest, 0, 0)
        .expect("search");
    assert_eq!(kz.matching, page.total);
    assert_eq!(
        top(&kz, EntityKind::Country),
        [("country:KZ".to_owned(), 4)]
    );
    assert_eq!(
        top(&kz, EntityKind::Person),
        [("person:lavrov".to_owned(), 1)]
    );
    let none = engine.search_facets("дождь", 10).expect("facets");
    assert_eq!(none.matching, 1);
    assert!(none.kinds.iter().all(|k| k.top.is_empty()));
    // As JSON for the front ends.
    let json = serde_json::to_value(&kz).expect("json");
    assert_eq!(json["kinds"][0]["kind"], "country");
    assert_eq!(json["kinds"][0]["top"][0]["filter"], "country:KZ");
    assert_eq!(json["kinds"][0]["top"][0]["name_ru"], "Казахстан");
}

const USER_LIST: &str = "\
id\tkind\tname\tlang\tform\tvia\tdecline\tflags
sidorenko\tperson\tIvan Sidorenko\tru\tИван Сидоренко\tfullname\tno\t-
sidorenko\tperson\t\tru\tИвана Сидоренко\tfullname\tno\t-
sidorenko\tperson\t\ten\tIvan Sidorenko\tfullname\tno\t-
";

#[test]
fn changing_the_archives_entity_list_rebuilds_the_index() {
    let tmp = TempDir::new().expect("tmp");
    let mut engine = archive(tmp.path());
    assert!(query_error(&mut engine, "person:sidorenko").contains("no person is called"));
    let list = tmp.path().join("my-entities.tsv");
    std::fs::write(&list, USER_LIST).expect("write list");
    engine.set_entity_list(Some(&list)).expect("set the list");
    // The next catch-up sees other lists and rebuilds.
    let update = engine.update_index().expect("update");
    assert!(update.rebuilt, "{update:?}");
    assert_eq!(update.indexed, POSTS.len() as u64);
    assert_eq!(engine.update_index().expect("update"), Default::default());
    for query in [
        "person:sidorenko",
        "person:\"Ивана Сидоренко\"",
        "person:\"Ivan Sidorenko\"",
    ] {
        assert_eq!(found(&mut engine, query), [9], "{query}");
    }
    let facets = engine.search_facets("выставке", 10).expect("facets");
    let sidorenko = &facets.of(EntityKind::Person).expect("people").top[0];
    assert_eq!(
        (
            sidorenko.key.as_str(),
            sidorenko.name_en.as_str(),
            sidorenko.user
        ),
        ("person:sidorenko", "Ivan Sidorenko", true)
    );
    // Another process opening the archive finds the index current; removing the list
    // rebuilds it again on the next open.
    drop(engine);
    let mut reader = Engine::open_existing(&tmp.path().join("archive")).expect("reopen");
    assert_eq!(found(&mut reader, "person:sidorenko"), [9]);
    reader.set_entity_list(None).expect("remove the list");
    drop(reader);
    let mut engine = Engine::open(&tmp.path().join("archive")).expect("reopen");
    assert!(query_error(&mut engine, "person:sidorenko").contains("no person is called"));
    assert_eq!(found(&mut engine, "country:KZ"), [1, 2, 3, 7]);
}

/// The gold set's texts, as the measurement's posts.
fn gold_texts() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../analyze/tests/entities");
    let mut texts = Vec::new();
    for name in ["gold-ru.jsonl", "gold-en.jsonl"] {
        let lines = std::fs::read_to_string(dir.join(name)).expect("the gold set");
        for line in lines.lines().filter(|l| !l.trim().is_empty()) {
            let record: serde_json::Value = serde_json::from_str(line).expect("a gold record");
            if let Some(text) = record["text"].as_str() {
                texts.push(text.to_owned());
            }
        }
    }
    texts
}

/// Indexing with entities and facets over 100,000 posts (the gold set's texts, repeated, in a
/// Telegram Desktop JSON export). Run with
/// `cargo test --release -p tgscope-engine --test entity_search -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement: ingests 100,000 posts"]
fn facets_over_100k_posts_measured() {
    const POSTS: usize = 100_000;
    let texts = gold_texts();
    let tmp = TempDir::new().expect("tmp");
    let export = tmp.path().join("export");
    std::fs::create_dir_all(&export).expect("export dir");
    let start = 1_704_067_200i64; // 2024-01-01
    let messages: Vec<serde_json::Value> = (0..POSTS)
        .map(|i| {
            let at = start + i as i64 * 300;
            let date = chrono::DateTime::from_timestamp(at, 0)
                .expect("date")
                .naive_utc()
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string();
            let text = format!("{} ({i})", texts[i % texts.len()]);
            serde_json::json!({
                "id": i + 1,
                "type": "message",
                "date": date,
                "date_unixtime": at.to_string(),
                "from": "Measure",
                "from_id": "channel1000000077",
                "text": text,
                "text_entities": [{"type": "plain", "text": text}],
            })
        })
        .collect();
    let file = export.join("result.json");
    std::fs::write(
        &file,
        serde_json::to_vec(&serde_json::json!({
            "name": "Measure",
            "type": "public_channel",
            "id": 1_000_000_077i64,
            "messages": messages,
        }))
        .expect("json"),
    )
    .expect("write export");
    let mut engine = Engine::open(&tmp.path().join("archive")).expect("archive");
    let at = Instant::now();
    engine.recognizer().expect("recognizer");
    println!(
        "the bundled lists' recognizer, built once per process: {:.0} ms",
        at.elapsed().as_secs_f64() * 1000.0
    );
    let at = Instant::now();
    engine
        .ingest(&[file], &IngestOptions::default(), &mut NoProgress)
        .expect("ingest");
    println!(
        "ingest (with the index) of {POSTS} posts: {:.1} s",
        at.elapsed().as_secs_f64()
    );
    let recognizer = engine.recognizer().expect("recognizer");
    let at = Instant::now();
    let mentions: usize = (0..POSTS)
        .map(|i| recognizer.recognize(&texts[i % texts.len()]).len())
        .sum();
    println!(
        "recognition alone, on one core: {:.1} s ({mentions} mentions)",
        at.elapsed().as_secs_f64()
    );
    let at = Instant::now();
    let update = engine.reindex().expect("reindex");
    println!(
        "reindex of {} posts (entities recognised on every core): {:.1} s",
        update.indexed,
        at.elapsed().as_secs_f64()
    );
    for query in [
        "has:date OR -has:date",
        "country:RU",
        "санкции OR sanctions",
        "person:lavrov",
    ] {
        engine.search_facets(query, 10).expect("facets");
        let mut best = f64::MAX;
        let mut facets = None;
        for _ in 0..5 {
            let at = Instant::now();
            facets = Some(engine.search_facets(query, 10).expect("facets"));
            best = best.min(at.elapsed().as_secs_f64() * 1000.0);
        }
        let mut search = f64::MAX;
        for _ in 0..5 {
            let at = Instant::now();
            engine
                .search(query, SortBy::Relevance, 20, 0)
                .expect("search");
            search = search.min(at.elapsed().as_secs_f64() * 1000.0);
        }
        let facets = facets.expect("facets");
        println!(
            "{query:>22}: {:>6} matches; facets {best:>6.1} ms, a page of 20 {search:>6.1} ms; \
             top country {:?}",
            facets.matching,
            facets.kinds[0].top.first().map(|e| (&e.key, e.posts))
        );
    }
}
