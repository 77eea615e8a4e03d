//! Rough indexing and search rates on synthetic posts (Russian, English and mixed), for the
//! numbers in the crate's report. Not a benchmark of record: run it with `--release`:
//!
//! ```text
//! COMMIT_EVERY=5000 cargo run -p tgscope-index --release --example index_rate -- [posts] [dir]
//! ```

use std::time::Instant;

use tgscope_index::{Index, IndexDoc, Period, SearchOptions, Sort, parse_query};

const RUSSIAN: &[&str] = &[
    "Россия",
    "России",
    "санкции",
    "санкциями",
    "заявил",
    "министр",
    "иностранных",
    "дел",
    "переговоры",
    "Запад",
    "коллективный",
    "ёлка",
    "Москва",
    "Москве",
    "Украина",
    "мир",
    "безопасность",
    "сотрудничество",
    "встреча",
    "президент",
    "визит",
    "делегация",
    "решение",
    "развитие",
    "экономика",
    "вопрос",
    "позиция",
    "страны",
    "международный",
    "договор",
];
const ENGLISH: &[&str] = &[
    "Russia",
    "sanctions",
    "sanctioned",
    "minister",
    "foreign",
    "affairs",
    "talks",
    "West",
    "collective",
    "Moscow",
    "Ukraine",
    "peace",
    "security",
    "cooperation",
    "meeting",
    "president",
    "visit",
    "delegation",
    "decision",
    "development",
    "economy",
    "question",
    "position",
    "countries",
    "international",
    "treaty",
];

/// A small deterministic generator (xorshift), so every run indexes the same posts.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn post(rng: &mut Rng, id: i64) -> IndexDoc {
    let words = 20 + rng.below(80);
    let lang = rng.below(10); // 0..6 Russian, 6..9 English, 9 mixed
    let mut text = String::new();
    for i in 0..words {
        let list = match lang {
            0..=5 => RUSSIAN,
            6..=8 => ENGLISH,
            _ if i % 2 == 0 => RUSSIAN,
            _ => ENGLISH,
        };
        text.push_str(list[rng.below(list.len())]);
        text.push_str(if rng.below(8) == 0 { ". " } else { " " });
    }
    IndexDoc {
        post_id: id,
        channel_id: 1 + rng.below(20) as i64,
        forwarded: rng.below(5) == 0,
        forward_channel_id: None,
        text,
        hashtags: vec!["Россия".into()],
        mentions: Vec::new(),
        date: Some(1_700_000_000 + rng.below(400 * 86_400) as i64),
        media_kinds: if rng.below(3) == 0 {
            vec!["photo".into()]
        } else {
            Vec::new()
        },
        has_link: rng.below(4) == 0,
        edited: rng.below(10) == 0,
        message_id: Some(id),
        entities: Vec::new(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: i64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(20_000);
    let commit_every: usize = std::env::var("COMMIT_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let scratch;
    let dir = match args.next() {
        Some(d) => std::path::PathBuf::from(d),
        None => {
            scratch = tempfile::TempDir::new()?;
            scratch.path().join("index")
        }
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let posts: Vec<IndexDoc> = (1..=n).map(|id| post(&mut rng, id)).collect();
    let bytes: usize = posts.iter().map(|p| p.text.len()).sum();

    let started = Instant::now();
    let mut words = 0usize;
    for p in &posts {
        let analysed = tgscope_index::analysis::words(&p.text);
        words += analysed.iter().filter_map(|w| w.stem()).count();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "analysis alone (words, folding, stems): {:.0} posts/s, {:.1} MB/s ({words} stems)",
        n as f64 / seconds,
        bytes as f64 / 1e6 / seconds
    );

    let index = Index::open_or_create(&dir)?;
    let started = Instant::now();
    let mut writer = index.writer()?;
    for (i, p) in posts.iter().enumerate() {
        writer.upsert(p)?;
        if (i + 1) % commit_every == 0 {
            writer.commit(i as i64)?;
        }
    }
    writer.commit(n)?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "indexed {n} posts ({:.1} MB of text) in {seconds:.2} s: {:.0} posts/s, {:.1} MB/s",
        bytes as f64 / 1e6,
        n as f64 / seconds,
        bytes as f64 / 1e6 / seconds
    );

    for (query, sort) in [
        ("Россия", Sort::Relevance),
        ("sanction", Sort::Relevance),
        ("\"коллективный Запад\"", Sort::Relevance),
        ("санкции -Москва has:media", Sort::DateDesc),
        (
            "(Россия OR Russia) date:2024-01..2024-03 lang:ru",
            Sort::DateDesc,
        ),
    ] {
        let q = parse_query(query)?;
        let opts = SearchOptions {
            sort,
            limit: 20,
            offset: 0,
            snippet_chars: 200,
        };
        index.search(&q, &opts)?;
        let started = Instant::now();
        let rounds = 20;
        let mut total = 0;
        for _ in 0..rounds {
            total = index.search(&q, &opts)?.total;
        }
        println!(
            "{query:?} ({sort:?}): {total} matches, {:.2} ms a search with 20 snippets",
            started.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds)
        );
    }
    let started = Instant::now();
    let weeks = index.count_by(&parse_query("санкции")?, Period::Week)?;
    println!(
        "count_by week over 'санкции': {} weeks in {:.2} ms",
        weeks.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}
