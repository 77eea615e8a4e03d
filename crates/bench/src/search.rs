//! The search benchmark (issue 5): indexing throughput of tgscope's index next to a plain
//! tantivy indexer of the same documents, and query latency for a mixed set of queries.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;
use tantivy::schema::{
    FAST, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};
use tantivy::{TantivyDocument, doc};
use tgscope_engine::Engine;
use tgscope_index::{Index, IndexDoc};

/// The writer heap both indexers get.
const HEAP: usize = 256 << 20;

/// What `search-index` prints.
#[derive(Debug, Serialize)]
pub struct IndexMeasure {
    /// Posts indexed.
    pub docs: u64,
    /// Bytes of text indexed.
    pub text_bytes: u64,
    /// Reading the posts from the archive into memory (untimed for both indexers below).
    pub load_seconds: f64,
    /// tgscope's index (its analysis: folding, language detection, RU+EN stems, exact and
    /// phrase fields, tags, filters) from the documents in memory, one commit.
    pub tgscope_seconds: f64,
    /// tgscope's docs/s.
    pub tgscope_docs_per_s: f64,
    /// A plain tantivy index of the same documents: text with tantivy's simple tokenizer,
    /// lower-casing and Snowball stemmers (Russian and English fields), plus a raw field,
    /// channel and tag strings, a fast date; one commit.
    pub plain_seconds: f64,
    /// The plain indexer's docs/s.
    pub plain_docs_per_s: f64,
    /// tgscope's throughput over the plain indexer's.
    pub ratio: f64,
    /// `tgscope reindex` end to end: the archive read and the index rebuilt.
    pub reindex_seconds: f64,
}

fn load_docs(archive: &Path) -> anyhow::Result<Vec<IndexDoc>> {
    let engine = Engine::open_existing(archive)
        .with_context(|| format!("opening archive {}", archive.display()))?;
    Ok(engine.index_documents()?)
}

fn plain_index(dir: &Path, docs: &[IndexDoc]) -> anyhow::Result<()> {
    let mut sb = Schema::builder();
    let stemmed = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let post_id = sb.add_i64_field("post_id", INDEXED | STORED | FAST);
    let text_ru = sb.add_text_field("text_ru", stemmed("ru_stem"));
    let text_en = sb.add_text_field("text_en", stemmed("en_stem"));
    let text_raw = sb.add_text_field("text", stemmed("raw"));
    let channel = sb.add_text_field("channel", STRING);
    let tag = sb.add_text_field("tag", STRING);
    let date = sb.add_i64_field("date", INDEXED | FAST);
    let index = tantivy::Index::create_in_dir(dir, sb.build())?;
    let analyzer = |language: Option<Language>| {
        let builder = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser);
        match language {
            Some(l) => builder.filter(Stemmer::new(l)).build(),
            None => builder.build(),
        }
    };
    index
        .tokenizers()
        .register("ru_stem", analyzer(Some(Language::Russian)));
    index
        .tokenizers()
        .register("en_stem", analyzer(Some(Language::English)));
    index.tokenizers().register("raw", analyzer(None));
    let mut writer = index.writer::<TantivyDocument>(HEAP)?;
    for d in docs {
        let mut document = doc!(
            post_id => d.post_id,
            text_ru => d.text.as_str(),
            text_en => d.text.as_str(),
            text_raw => d.text.as_str(),
            date => d.date.unwrap_or(0),
        );
        document.add_text(channel, d.channel_id.to_string());
        for t in &d.hashtags {
            document.add_text(tag, t.to_lowercase());
        }
        writer.add_document(document)?;
    }
    writer.commit()?;
    Ok(())
}

/// Indexes the archive's posts with tgscope's index and with a plain tantivy indexer, from the
/// same documents in memory, then times a full `reindex` of the archive.
pub fn index(archive: &Path) -> anyhow::Result<IndexMeasure> {
    let start = Instant::now();
    let docs = load_docs(archive)?;
    let load_seconds = start.elapsed().as_secs_f64();
    let text_bytes = docs.iter().map(|d| d.text.len() as u64).sum();
    let scratch = tempfile::tempdir()?;

    let ours = scratch.path().join("tgscope");
    std::fs::create_dir_all(&ours)?;
    let start = Instant::now();
    {
        let index = Index::open_or_create(&ours)?;
        let mut writer = index.writer()?;
        // As the engine's rebuild feeds it: batches of 2,048 posts, analysed on every core.
        for batch in docs.chunks(2048) {
            writer.add_batch(batch, false)?;
        }
        writer.commit(0)?;
    }
    let tgscope_seconds = start.elapsed().as_secs_f64();

    let plain = scratch.path().join("plain");
    std::fs::create_dir_all(&plain)?;
    let start = Instant::now();
    plain_index(&plain, &docs)?;
    let plain_seconds = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut engine = Engine::open(archive)?;
    engine.reindex()?;
    let reindex_seconds = start.elapsed().as_secs_f64();

    let n = docs.len() as f64;
    Ok(IndexMeasure {
        docs: docs.len() as u64,
        text_bytes,
        load_seconds,
        tgscope_seconds,
        tgscope_docs_per_s: (n / tgscope_seconds).round(),
        plain_seconds,
        plain_docs_per_s: (n / plain_seconds).round(),
        ratio: (plain_seconds / tgscope_seconds * 100.0).round() / 100.0,
        reindex_seconds,
    })
}

/// The mixed query set: words in both languages, word forms, exact forms, phrases, OR,
/// exclusions, tags, channels, forwards, media, languages and date ranges.
pub const QUERIES: &[&str] = &[
    "санкции",
    "Петербург",
    "=Петербурга",
    "sanctions",
    "инфляция ставка",
    "\"прямой эфир\"",
    "\"more than\"",
    "переговоры OR negotiations",
    "санкции -выборы",
    "(Москвы OR Казани) экономика",
    "#Россия",
    "tag:sanctions",
    "from:Readovka",
    "has:forward санкции",
    "has:media",
    "media:video",
    "lang:en economy",
    "date:2024-01-01..2024-03-31",
    "date:2024-02 экономика",
    "edited:yes",
];

/// What `search-latency` prints.
#[derive(Debug, Serialize)]
pub struct LatencyMeasure {
    /// Posts in the index.
    pub docs: u64,
    /// Queries run (each query of the set, `rounds` times, after one warm-up round).
    pub runs: u64,
    /// Median latency of a search (first page of 20, with snippets and the posts read from
    /// the archive), in milliseconds.
    pub search_p50_ms: f64,
    /// 99th percentile.
    pub search_p99_ms: f64,
    /// Slowest.
    pub search_max_ms: f64,
    /// Median latency of counts per month for the same queries.
    pub count_p50_ms: f64,
    /// 99th percentile.
    pub count_p99_ms: f64,
    /// Per query: its median search latency (ms) and its total hits.
    pub per_query: Vec<(String, f64, u64)>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    (sorted[rank.min(sorted.len() - 1)] * 1000.0).round() / 1000.0
}

/// Runs the query set against the archive's index.
pub fn latency(archive: &Path, rounds: usize) -> anyhow::Result<LatencyMeasure> {
    let mut engine = Engine::open_existing(archive)
        .with_context(|| format!("opening archive {}", archive.display()))?;
    engine.update_index()?;
    let docs = engine.index_doc_count()?;
    let mut search_ms = Vec::new();
    let mut count_ms = Vec::new();
    let mut per_query = Vec::new();
    for query in QUERIES {
        // Warm-up.
        engine.search(query, tgscope_engine::SortBy::Relevance, 20, 0)?;
        let mut mine = Vec::new();
        let mut total = 0;
        for _ in 0..rounds {
            let start = Instant::now();
            let page = engine.search(query, tgscope_engine::SortBy::Relevance, 20, 0)?;
            mine.push(start.elapsed().as_secs_f64() * 1000.0);
            total = page.total;
            let start = Instant::now();
            engine.count(query, Some(tgscope_engine::Period::Month))?;
            count_ms.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        mine.sort_by(f64::total_cmp);
        per_query.push((query.to_string(), percentile(&mine, 50.0), total));
        search_ms.extend(mine);
    }
    search_ms.sort_by(f64::total_cmp);
    count_ms.sort_by(f64::total_cmp);
    Ok(LatencyMeasure {
        docs,
        runs: search_ms.len() as u64,
        search_p50_ms: percentile(&search_ms, 50.0),
        search_p99_ms: percentile(&search_ms, 99.0),
        search_max_ms: percentile(&search_ms, 100.0),
        count_p50_ms: percentile(&count_ms, 50.0),
        count_p99_ms: percentile(&count_ms, 99.0),
        per_query,
    })
}
