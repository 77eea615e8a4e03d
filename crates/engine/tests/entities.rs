//! The entity analysis as derived data on an archive with planted mentions: counts by kind,
//! period and channel; one entity by any of its names; the export record's `named_entities`
//! and `countries`; an archive's own list (the analysis rebuilt with it); a deleted analysis
//! rebuilt identically.

use std::path::Path;

use tgscope_engine::entities::EntityKind;
use tgscope_engine::{Engine, ExportFormat, IngestOptions, NoProgress, Period, PostFilter};

fn line(id: u32, day: u32, channel: &str, text: &str) -> String {
    serde_json::json!({
        "id": id,
        "date": format!("2024-03-{:02}T10:00:00Z", day),
        "channel": channel,
        "text": text,
    })
    .to_string()
}

/// Two channels: `mfa` names Kazakhstan, the SCO and Lavrov in Russian; `wire` in English.
fn planted(dir: &Path) -> Engine {
    let lines = [
        line(
            1,
            1,
            "mfa",
            "Сергей Лавров прибыл в Казахстан 🇰🇿 на заседание СМИД ШОС",
        ),
        line(
            2,
            2,
            "mfa",
            "Переговоры Лаврова с казахстанским коллегой Муратом Нуртлеу",
        ),
        line(
            3,
            3,
            "mfa",
            "Кроме того, министры обсудили работу ШОС и СНГ #RussiaKazakhstan",
        ),
        line(
            4,
            20,
            "wire",
            "Kazakhstan's foreign minister met Lavrov at the SCO meeting",
        ),
        line(5, 21, "wire", "Turkey Day sales start early this year"),
        line(6, 22, "wire", "Nothing to see here"),
    ];
    let file = dir.join("planted.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let mut engine = Engine::open(&dir.join("archive")).unwrap();
    engine
        .ingest(&[file], &IngestOptions::default(), &mut NoProgress)
        .expect("ingest runs");
    engine
}

fn posts_of(engine: &mut Engine, key: &str, channel: Option<&str>) -> u64 {
    let view = engine
        .entities(None, channel, None, None, Period::Month)
        .unwrap();
    view.table
        .entities
        .iter()
        .find(|e| e.key == key)
        .map_or(0, |e| e.posts)
}

#[test]
fn planted_mentions_are_counted_by_kind_channel_and_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = planted(dir.path());
    // Kazakhstan: posts 1 (name and flag), 2 (adjective), 3 (hashtag), 4 (English).
    assert_eq!(posts_of(&mut engine, "country:KZ", None), 4);
    assert_eq!(posts_of(&mut engine, "country:KZ", Some("wire")), 1);
    assert_eq!(posts_of(&mut engine, "org:sco", None), 3);
    assert_eq!(posts_of(&mut engine, "person:lavrov", None), 3);
    // "Turkey Day" is a holiday, not a country.
    assert_eq!(posts_of(&mut engine, "country:TR", None), 0);

    let orgs = engine
        .entities(Some(EntityKind::Org), None, None, None, Period::Month)
        .unwrap();
    assert!(
        orgs.table
            .entities
            .iter()
            .all(|e| e.key.starts_with("org:"))
    );
    let sco = orgs
        .table
        .entities
        .iter()
        .find(|e| e.key == "org:sco")
        .unwrap();
    assert_eq!(sco.periods, vec![("2024-03".to_string(), 3)]);
    assert_eq!(orgs.names["org:sco"], "Shanghai Cooperation Organisation");

    // One entity by any of its names, in either language.
    for name in [
        "lavrov",
        "Лавров",
        "Лаврову",
        "Sergei Lavrov",
        "person:lavrov",
    ] {
        assert_eq!(engine.entity_key(name).unwrap(), "person:lavrov", "{name}");
    }
    assert_eq!(engine.entity_key("ШОС").unwrap(), "org:sco");
    assert_eq!(engine.entity_key("kz").unwrap(), "country:KZ");
    let err = engine.entity_key("Narnia").unwrap_err().to_string();
    assert!(err.contains("\"Narnia\""), "{err}");

    // The co-occurrence network links Lavrov and Kazakhstan (three posts).
    let (graph, together, _) = engine.entity_network(None, None, None, 2).unwrap();
    // Posts 1 to 4 name two entities or more.
    assert_eq!(together, 4);
    let edge = graph
        .edges
        .iter()
        .find(|e| e.source == "country:KZ" && e.target == "person:lavrov")
        .expect("an edge between Kazakhstan and Lavrov");
    assert_eq!(edge.weight, 3.0);
}

#[test]
fn the_export_record_names_entities_with_spans() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = planted(dir.path());
    let mut out = Vec::new();
    engine
        .export(&PostFilter::default(), ExportFormat::Jsonl, &mut out)
        .unwrap();
    let records: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let first = records
        .iter()
        .find(|r| r["text"].as_str().unwrap().starts_with("Сергей Лавров"))
        .unwrap();
    assert_eq!(first["countries"], serde_json::json!(["KZ"]));
    let named = first["named_entities"].as_array().unwrap();
    let ids: Vec<&str> = named.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["lavrov", "KZ", "sco"]);
    let kz = &named[1];
    assert_eq!(kz["kind"], "country");
    // «Казахстан» at code points 21..30 and the flag after it.
    let text: Vec<char> = first["text"].as_str().unwrap().chars().collect();
    let spans: Vec<String> = kz["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let (a, b) = (
                s[0].as_u64().unwrap() as usize,
                s[1].as_u64().unwrap() as usize,
            );
            text[a..b].iter().collect()
        })
        .collect();
    assert_eq!(spans, ["Казахстан", "🇰🇿"]);
    let turkey = records
        .iter()
        .find(|r| r["text"].as_str().unwrap().starts_with("Turkey Day"))
        .unwrap();
    assert_eq!(turkey["named_entities"], serde_json::json!([]));
    assert_eq!(turkey["countries"], serde_json::json!([]));
}

#[test]
fn an_archives_own_list_rebuilds_the_analysis_and_a_deleted_one_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = planted(dir.path());
    assert_eq!(posts_of(&mut engine, "org:nothing_to_see", None), 0);
    let state = dir.path().join("archive/entities/state.bin");
    assert!(state.is_file());
    let before = std::fs::read(&state).unwrap();

    let list = dir.path().join("mine.tsv");
    std::fs::write(
        &list,
        "id\tkind\tname\tlang\tform\tvia\tdecline\tflags\n\
         nothing_to_see\torg\tNothing To See\ten\tNothing to see\tname\tno\t-\n",
    )
    .unwrap();
    engine.set_entity_list(Some(&list)).unwrap();
    assert_eq!(posts_of(&mut engine, "org:nothing_to_see", None), 1);
    assert_eq!(
        engine.entity_key("Nothing to see").unwrap(),
        "org:nothing_to_see"
    );

    // Removed: the analysis is rebuilt with the bundled lists, byte for byte as before.
    engine.set_entity_list(None).unwrap();
    assert_eq!(posts_of(&mut engine, "org:nothing_to_see", None), 0);
    assert_eq!(std::fs::read(&state).unwrap(), before);

    // Deleted: rebuilt identically when the archive is next opened.
    drop(engine);
    std::fs::remove_file(&state).unwrap();
    let mut engine = Engine::open(&dir.path().join("archive")).unwrap();
    assert_eq!(posts_of(&mut engine, "country:KZ", None), 4);
    assert_eq!(std::fs::read(&state).unwrap(), before);

    // A list with an error is refused with its file and line; the archive keeps its lists.
    std::fs::write(
        &list,
        "id\tkind\tname\tlang\tform\tvia\tdecline\tflags\nx\tplanet\tX\ten\tX\tname\tno\t-\n",
    )
    .unwrap();
    let err = engine.set_entity_list(Some(&list)).unwrap_err().to_string();
    assert!(
        err.contains("mine.tsv, line 2: unknown kind \"planet\""),
        "{err}"
    );
    assert!(!dir.path().join("archive/entities/list.tsv").exists());
}

#[test]
fn an_ingest_into_an_analysed_archive_counts_what_a_rebuild_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = planted(dir.path());
    // A second capture: new posts, and a post of the first one edited (a new version). The
    // ingest's catch-up reads them once for the index and the analysis together.
    let more = dir.path().join("more.jsonl");
    let lines = [
        line(3, 3, "mfa", "Министры обсудили работу ШОС, СНГ и БРИКС"),
        line(
            7,
            23,
            "wire",
            "Lavrov and Wang Yi discussed BRICS in Beijing",
        ),
        line(8, 24, "wire", "Kazakhstan hosts the SCO summit"),
    ];
    std::fs::write(&more, lines.join("\n")).unwrap();
    let report = engine
        .ingest(&[more], &IngestOptions::default(), &mut NoProgress)
        .unwrap();
    assert_eq!(
        (report.posts_new(), report.posts_updated()),
        (2, 1),
        "two new posts and one edited"
    );
    // Kazakhstan: post 8 is new, and the edit of post 3 dropped its hashtag.
    assert_eq!(posts_of(&mut engine, "country:KZ", None), 4);
    assert_eq!(posts_of(&mut engine, "org:sco", None), 4);
    // The index names the entities of the new posts too.
    let hits = engine
        .search("org:sco", tgscope_engine::SortBy::Newest, 10, 0)
        .unwrap();
    assert_eq!(hits.total, 4);
    let caught_up = engine
        .entities(None, None, None, None, Period::Day)
        .unwrap();
    // Rebuilt from nothing, the analysis counts the same posts, days, channels and examples.
    drop(engine);
    std::fs::remove_file(dir.path().join("archive/entities/state.bin")).unwrap();
    let mut engine = Engine::open(&dir.path().join("archive")).unwrap();
    let rebuilt = engine
        .entities(None, None, None, None, Period::Day)
        .unwrap();
    assert_eq!(rebuilt, caught_up);
}
