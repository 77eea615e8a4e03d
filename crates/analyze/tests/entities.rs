//! The recognizer against the project's gold set (`tests/entities/gold-*.jsonl`, written and
//! annotated for the project by the guide in `docs/entities-annotation.md`): document-level
//! precision, recall and F1 per kind and language, and precision on the ambiguity traps. The
//! scores the tests hold are the ones `BENCHMARKS.md` reports.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use tgscope_analyze::entities::{EntityKind, Mention, Recognizer};

struct GoldPost {
    id: String,
    style: String,
    text: String,
    /// (kind, id or None for an unlisted person, start, end in chars).
    entities: Vec<(String, Option<String>, usize, usize)>,
}

fn gold(lang: &str) -> Vec<GoldPost> {
    let path = format!(
        "{}/tests/entities/gold-{lang}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            GoldPost {
                id: v["id"].as_str().unwrap().to_string(),
                style: v["style"].as_str().unwrap().to_string(),
                text: v["text"].as_str().unwrap().to_string(),
                entities: v["entities"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| {
                        (
                            e["kind"].as_str().unwrap().to_string(),
                            e["id"].as_str().map(str::to_string),
                            e["start"].as_u64().unwrap() as usize,
                            e["end"].as_u64().unwrap() as usize,
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Counts of one kind: true positives, false positives, false negatives.
#[derive(Debug, Default, Clone, Copy)]
struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Score {
    fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
    fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Document-level scores per kind: a listed entity counts once per post; a person not on the
/// list counts when a predicted unlisted person overlaps its gold span (each at most once).
fn score(posts: &[GoldPost], errors: &mut Vec<String>) -> BTreeMap<String, Score> {
    let r = Recognizer::bundled();
    let mut scores: BTreeMap<String, Score> = BTreeMap::new();
    for p in posts {
        let found: Vec<Mention> = r.recognize(&p.text);
        // Byte offsets to char offsets.
        let char_of = |b: usize| p.text[..b].chars().count();
        for kind in ["country", "org", "person"] {
            let gold_ids: BTreeSet<&str> = p
                .entities
                .iter()
                .filter(|e| e.0 == kind)
                .filter_map(|e| e.1.as_deref())
                .collect();
            let found_ids: BTreeSet<&str> = found
                .iter()
                .filter(|m| m.kind.as_str() == kind && m.listed)
                .map(|m| m.id.as_str())
                .collect();
            let s = scores.entry(kind.to_string()).or_default();
            for id in gold_ids.union(&found_ids) {
                match (gold_ids.contains(id), found_ids.contains(id)) {
                    (true, true) => s.tp += 1,
                    (true, false) => {
                        s.fn_ += 1;
                        errors.push(format!("{} missed {kind} {id}", p.id));
                    }
                    (false, true) => {
                        s.fp += 1;
                        let m = found.iter().find(|m| m.id == *id).unwrap();
                        errors.push(format!(
                            "{} wrong {kind} {id} ({:?} via {})",
                            p.id,
                            &p.text[m.start..m.end],
                            m.via.as_str()
                        ));
                    }
                    _ => {}
                }
            }
            if kind == "person" {
                let gold_unlisted: Vec<(usize, usize)> = p
                    .entities
                    .iter()
                    .filter(|e| e.0 == kind && e.1.is_none())
                    .map(|e| (e.2, e.3))
                    .collect();
                let mut used = vec![false; gold_unlisted.len()];
                for m in found
                    .iter()
                    .filter(|m| m.kind == EntityKind::Person && !m.listed)
                {
                    let (a, b) = (char_of(m.start), char_of(m.end));
                    match gold_unlisted
                        .iter()
                        .enumerate()
                        .find(|(i, (s, e))| !used[*i] && *s < b && a < *e)
                    {
                        Some((i, _)) => {
                            used[i] = true;
                            s.tp += 1;
                        }
                        None => {
                            s.fp += 1;
                            errors.push(format!("{} wrong unlisted {:?}", p.id, m.name));
                        }
                    }
                }
                for (i, u) in used.iter().enumerate() {
                    if !u {
                        s.fn_ += 1;
                        let (a, b) = gold_unlisted[i];
                        let name: String = p.text.chars().skip(a).take(b - a).collect();
                        errors.push(format!("{} missed unlisted {name:?}", p.id));
                    }
                }
            }
        }
    }
    scores
}

fn report(lang: &str, posts: &[GoldPost]) -> BTreeMap<String, Score> {
    let mut errors = Vec::new();
    let scores = score(posts, &mut errors);
    for (kind, s) in &scores {
        println!(
            "{lang} {kind}: P {:.3} R {:.3} F1 {:.3} (tp {} fp {} fn {})",
            s.precision(),
            s.recall(),
            s.f1(),
            s.tp,
            s.fp,
            s.fn_
        );
    }
    for e in &errors {
        println!("  {e}");
    }
    scores
}

#[test]
fn russian_gold_set() {
    let posts = gold("ru");
    assert!(posts.len() >= 400, "{} Russian posts", posts.len());
    let s = report("ru", &posts);
    // The targets are 0.95 for countries and organisations and natasha's F1 for
    // people (0.875 on this gold, BENCHMARKS.md); the floors hold what the recognizer reaches.
    assert!(s["country"].f1() >= 0.99, "countries {:?}", s["country"]);
    assert!(s["org"].f1() >= 0.98, "organisations {:?}", s["org"]);
    assert!(s["person"].f1() >= 0.93, "people {:?}", s["person"]);
}

#[test]
fn english_gold_set() {
    let posts = gold("en");
    assert!(posts.len() >= 200, "{} English posts", posts.len());
    let s = report("en", &posts);
    assert!(s["country"].f1() >= 0.98, "countries {:?}", s["country"]);
    assert!(s["org"].f1() >= 0.98, "organisations {:?}", s["org"]);
    assert!(s["person"].f1() >= 0.96, "people {:?}", s["person"]);
}

#[test]
fn ambiguity_traps() {
    for lang in ["ru", "en"] {
        let traps: Vec<GoldPost> = gold(lang)
            .into_iter()
            .filter(|p| p.style == "trap")
            .collect();
        assert!(traps.len() >= 40);
        let s = report(&format!("{lang} traps"), &traps);
        let all = s.values().fold(Score::default(), |a, b| Score {
            tp: a.tp + b.tp,
            fp: a.fp + b.fp,
            fn_: a.fn_ + b.fn_,
        });
        println!("{lang} traps, all kinds: precision {:.3}", all.precision());
        assert!(all.precision() >= 0.93, "{lang} traps {all:?}");
    }
}

mod state {
    use tgscope_analyze::entities::{EntityKind, EntityPost, EntityQuery, EntityState, Recognizer};

    fn post(id: i64, channel: i64, day: i64, text: &str) -> EntityPost {
        EntityPost {
            post_id: id,
            channel_id: channel,
            date: (day >= 0).then_some(1_704_067_200 + day * 86_400),
            text: text.into(),
        }
    }

    fn posts() -> Vec<EntityPost> {
        vec![
            post(1, 1, 0, "Сергей Лавров прибыл в Казахстан 🇰🇿"),
            post(2, 1, 1, "Переговоры в Астане: Лавров и Токаев обсудили ШОС"),
            post(3, 2, 40, "Kazakhstan and the SCO: Lavrov's visit"),
            post(4, 2, -1, "Без даты: Казахстан и Россия"),
            post(5, 3, 41, "Погода хорошая"),
        ]
    }

    #[test]
    fn counts_periods_channels_and_companions() {
        let r = Recognizer::bundled();
        let mut state = EntityState::new();
        state.update(7, &r, posts()).unwrap();
        assert_eq!(state.post_count(), 5);
        assert_eq!(state.lists(), r.fingerprint());
        let month = |s: i64| chrono_like_month(s);
        let all = state.table(&EntityQuery::default(), &month).unwrap();
        let kz = all.entities.iter().find(|e| e.key == "country:KZ").unwrap();
        // Posts 1 (twice: the name and the flag), 3 and 4.
        assert_eq!((kz.posts, kz.mentions), (3, 4));
        assert_eq!(kz.channels, vec![(2, 2), (1, 1)]);
        let lavrov = all
            .entities
            .iter()
            .find(|e| e.key == "person:lavrov")
            .unwrap();
        assert_eq!(lavrov.posts, 3);
        assert_eq!(lavrov.first, (Some(1_704_067_200), 1));
        assert_eq!(
            lavrov.periods,
            vec![("2024-01".into(), 2), ("2024-02".into(), 1)]
        );
        assert!(
            lavrov
                .with
                .iter()
                .any(|(k, n)| k == "country:KZ" && *n == 2)
        );
        assert_eq!(all.posts, 5);
        assert_eq!(all.posts_with_entities, 4);

        // A period leaves the undated post out, and says so.
        let january = EntityQuery {
            since: Some(1_704_067_200),
            until: Some(1_706_745_600),
            kind: Some(EntityKind::Country),
            ..EntityQuery::default()
        };
        let t = state.table(&january, &month).unwrap();
        assert_eq!(t.undated_left_out, 1);
        let keys: Vec<&str> = t.entities.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["country:KZ"]);
        assert_eq!(t.entities[0].posts, 1);

        // The co-occurrence network: Lavrov and Kazakhstan together in three posts.
        let (graph, together, undated) = state
            .cooccurrence(&EntityQuery::default(), 2, 3, &|k| k.to_string())
            .unwrap();
        assert_eq!(undated, 0);
        // Posts 1 to 4 name two entities or more (post 4: Kazakhstan and Russia).
        assert_eq!(together, 4);
        let edge = graph
            .edges
            .iter()
            .find(|e| e.source == "country:KZ" && e.target == "person:lavrov")
            .unwrap();
        assert_eq!(edge.weight, 2.0);
        assert_eq!(edge.posts, vec![1, 3]);
    }

    fn chrono_like_month(s: i64) -> String {
        // Days since 2024-01-01 → the month of 2024 (the test's dates are in January and
        // February 2024).
        let day = (s - 1_704_067_200) / 86_400;
        if day < 31 {
            "2024-01".into()
        } else {
            "2024-02".into()
        }
    }

    #[test]
    fn an_update_with_edits_equals_a_rebuild_and_other_lists_are_told() {
        let r = Recognizer::bundled();
        let mut state = EntityState::new();
        state.update(1, &r, posts()[..3].to_vec()).unwrap();
        let mut edited = posts()[3..].to_vec();
        edited.push(post(2, 1, 1, "Отредактировано: только Китай"));
        state.update(2, &r, edited).unwrap();
        let mut all = posts();
        all[1] = post(2, 1, 1, "Отредактировано: только Китай");
        let mut rebuilt = EntityState::new();
        rebuilt.update(2, &r, all).unwrap();
        assert_eq!(state.fingerprint().unwrap(), rebuilt.fingerprint().unwrap());
        assert!(state.fingerprint().unwrap().contains("country:CN"));

        let user = Recognizer::with_user_list(
            "id\tkind\tname\tlang\tform\tvia\tdecline\tflags\n\
             astana_hub\torg\tAstana Hub\ten\tAstana Hub\tname\tno\t-\n",
            "my.tsv",
        )
        .unwrap();
        assert_ne!(user.fingerprint(), r.fingerprint());
        assert_eq!(user.recognize("Astana Hub opened")[0].id, "astana_hub");
        let err = Recognizer::with_user_list(
            "id\tkind\tname\tlang\tform\tvia\tdecline\tflags\nx\tplanet\tX\ten\tX\tname\tno\t-\n",
            "my.tsv",
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "my.tsv, line 2: unknown kind \"planet\"");
        // A file that is not such a list is refused, not read as an empty one.
        let err = Recognizer::with_user_list("bad\n", "bad.tsv").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("bad.tsv, line 1: the header must be"),
            "{err}"
        );
    }
}
