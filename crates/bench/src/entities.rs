//! The entity benchmark: tgscope's entity recogniser on the gold set
//! (`crates/analyze/tests/entities/gold-*.jsonl`), for the comparison with natasha that
//! `benches/entities/run.py` makes on the same posts.
//!
//! `entities-run --gold FILE [--gold FILE ...] [--repeat N]` reads the gold files (one post per
//! line: `id`, `text` and more, which are ignored), builds [`Recognizer::bundled`] (timed: the
//! first call builds it), recognises every text once for the predictions, then recognises all
//! the texts of each file `N` times (the passes; each file timed apart within a pass). It prints
//! one JSON object: the build time, per file and for all files the time of each pass (best and
//! median, texts and MB of text per second; MB means 2^20 bytes of UTF-8), and per post its
//! mentions with their spans in code points (Python `str` indices, as the gold has them).
//! The scoring is `run.py`'s.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tgscope_analyze::entities::{Mention, Recognizer};

use crate::MB;

/// The fields of a gold post the benchmark reads.
#[derive(Debug, Deserialize)]
struct GoldPost {
    id: String,
    text: String,
}

/// What `entities-run` prints.
#[derive(Debug, Serialize)]
pub struct Report {
    tool: &'static str,
    /// Seconds to build the bundled recogniser (the first `Recognizer::bundled()`).
    build_seconds: f64,
    /// Seconds of the first recognition of every text (the predictions), after the build.
    first_pass_seconds: f64,
    repeat: usize,
    files: Vec<Timing>,
    all: Timing,
    mentions: usize,
    posts: Vec<PostMentions>,
}

/// The passes over one file (or over all of them).
#[derive(Debug, Serialize)]
struct Timing {
    file: String,
    texts: usize,
    bytes: usize,
    pass_seconds: Vec<f64>,
    best_seconds: f64,
    median_seconds: f64,
    texts_per_s: f64,
    mb_per_s: f64,
}

impl Timing {
    fn new(file: String, texts: usize, bytes: usize, pass_seconds: Vec<f64>) -> Timing {
        let mut sorted = pass_seconds.clone();
        sorted.sort_by(f64::total_cmp);
        let best = sorted.first().copied().unwrap_or(0.0);
        let median = match sorted.len() {
            0 => 0.0,
            n if n % 2 == 1 => sorted[n / 2],
            n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        let per_s = |x: f64| if best > 0.0 { x / best } else { 0.0 };
        Timing {
            file,
            texts,
            bytes,
            pass_seconds,
            best_seconds: best,
            median_seconds: median,
            texts_per_s: per_s(texts as f64).round(),
            mb_per_s: (per_s(bytes as f64 / MB) * 1000.0).round() / 1000.0,
        }
    }
}

#[derive(Debug, Serialize)]
struct PostMentions {
    id: String,
    file: String,
    mentions: Vec<MentionOut>,
}

/// A mention as the scorer reads it: spans in code points.
#[derive(Debug, Serialize)]
struct MentionOut {
    kind: &'static str,
    id: String,
    listed: bool,
    name: String,
    start: usize,
    end: usize,
    surface: String,
    via: &'static str,
}

impl MentionOut {
    fn new(text: &str, m: &Mention) -> MentionOut {
        let start = text[..m.start].chars().count();
        let surface = &text[m.start..m.end];
        MentionOut {
            kind: m.kind.as_str(),
            id: m.id.clone(),
            listed: m.listed,
            name: m.name.clone(),
            start,
            end: start + surface.chars().count(),
            surface: surface.to_string(),
            via: m.via.as_str(),
        }
    }
}

fn read_gold(path: &Path) -> anyhow::Result<Vec<GoldPost>> {
    let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut posts = Vec::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        posts.push(
            serde_json::from_str(&line)
                .with_context(|| format!("{}:{}: not a gold post", path.display(), i + 1))?,
        );
    }
    Ok(posts)
}

/// Recognises the gold texts: predictions, then `repeat` timed passes.
pub fn run(gold: &[PathBuf], repeat: usize) -> anyhow::Result<Report> {
    anyhow::ensure!(!gold.is_empty(), "give at least one --gold file");
    anyhow::ensure!(repeat > 0, "--repeat must be at least 1");
    let files: Vec<(String, Vec<GoldPost>)> = gold
        .iter()
        .map(|p| Ok((p.display().to_string(), read_gold(p)?)))
        .collect::<anyhow::Result<_>>()?;

    let start = Instant::now();
    let recognizer = Recognizer::bundled();
    let build_seconds = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let found: Vec<Vec<Vec<Mention>>> = files
        .iter()
        .map(|(_, posts)| {
            posts
                .iter()
                .map(|p| recognizer.recognize(&p.text))
                .collect()
        })
        .collect();
    let first_pass_seconds = start.elapsed().as_secs_f64();

    let mut passes = vec![Vec::with_capacity(repeat); files.len()];
    for _ in 0..repeat {
        for ((_, posts), seconds) in files.iter().zip(passes.iter_mut()) {
            let start = Instant::now();
            for p in posts {
                black_box(recognizer.recognize(black_box(&p.text)));
            }
            seconds.push(start.elapsed().as_secs_f64());
        }
    }

    let sizes: Vec<(usize, usize)> = files
        .iter()
        .map(|(_, posts)| (posts.len(), posts.iter().map(|p| p.text.len()).sum()))
        .collect();
    let all = Timing::new(
        "all".to_string(),
        sizes.iter().map(|s| s.0).sum(),
        sizes.iter().map(|s| s.1).sum(),
        (0..repeat)
            .map(|i| passes.iter().map(|p| p[i]).sum())
            .collect(),
    );
    let timings = files
        .iter()
        .zip(sizes)
        .zip(passes)
        .map(|(((name, _), (texts, bytes)), seconds)| {
            Timing::new(name.clone(), texts, bytes, seconds)
        })
        .collect();

    let mut posts = Vec::new();
    let mut mentions = 0;
    for ((name, gold_posts), found) in files.iter().zip(found) {
        for (p, ms) in gold_posts.iter().zip(found) {
            mentions += ms.len();
            posts.push(PostMentions {
                id: p.id.clone(),
                file: name.clone(),
                mentions: ms.iter().map(|m| MentionOut::new(&p.text, m)).collect(),
            });
        }
    }
    Ok(Report {
        tool: "tgscope entities",
        build_seconds,
        first_pass_seconds,
        repeat,
        files: timings,
        all,
        mentions,
        posts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_rates() {
        let t = Timing::new("f".into(), 100, 1 << 20, vec![0.5, 0.25, 1.0, 2.0]);
        assert_eq!(t.best_seconds, 0.25);
        assert_eq!(t.median_seconds, 0.75);
        assert_eq!(t.texts_per_s, 400.0);
        assert_eq!(t.mb_per_s, 4.0);
    }

    #[test]
    fn spans_in_code_points() {
        let text = "🇷🇺 Лавров и Russia";
        let found = Recognizer::bundled().recognize(text);
        let ids: Vec<&str> = found.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["RU", "lavrov", "RU"]);
        for m in &found {
            let out = MentionOut::new(text, m);
            let chars: String = text
                .chars()
                .skip(out.start)
                .take(out.end - out.start)
                .collect();
            assert_eq!(chars, out.surface);
        }
    }
}
