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
    assert!(s["country"].f1() >= 0.95, "countries {:?}", s["country"]);
    assert!(s["org"].f1() >= 0.95, "organisations {:?}", s["org"]);
}

#[test]
fn english_gold_set() {
    let posts = gold("en");
    assert!(posts.len() >= 200, "{} English posts", posts.len());
    let s = report("en", &posts);
    assert!(s["country"].f1() >= 0.95, "countries {:?}", s["country"]);
    assert!(s["org"].f1() >= 0.95, "organisations {:?}", s["org"]);
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
    }
}
