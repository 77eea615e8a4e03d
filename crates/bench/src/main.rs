//! `tgscope-bench`: synthetic Telegram Desktop exports, the JSON read benchmark (issue 3) and
//! the search benchmark (issue 5).
//!
//! - `gen` writes a realistic single-chat `public_channel` `result.json` of any size,
//!   deterministic from a seed and streamed to disk (see [`synth`] for what it holds).
//! - `read` runs tgscope's streaming Desktop JSON reader over a file and reports its throughput.
//! - `raw` parses the same file with serde_json into `IgnoredAny` (no allocation, no meaning):
//!   the ceiling for any reader built on serde_json's streaming parser.
//! - `search-index` indexes an archive's posts with tgscope's index and with a plain tantivy
//!   indexer of the same documents; `search-latency` times a mixed query set ([`search`]).
//! - `load` load-tests a running `tgscope serve` ([`load`]).
//! - `copies-corpus` writes a labelled corpus of posts with copy chains and hard negatives, and
//!   its ground truth; `copies-run` measures tgscope's copy analysis on it ([`copies`]).
//! - `network-corpus` writes a synthetic archive with planted coordination, and the
//!   coordination-network-toolkit's CSV of it; `network-run` measures tgscope's network
//!   analysis on it ([`network`]).
//! - `entities-run` runs tgscope's entity recogniser over the entity gold set and reports its
//!   mentions and speed ([`entities`]); `benches/entities/run.py` scores it against natasha.
//!
//! Each measuring command prints one JSON object (`bytes`, `posts`, `events`, `seconds`,
//! `mb_per_s`, `posts_per_s`; MB means 2^20 bytes). Peak memory is left to the harness
//! (`benches/desktop-json/run.py` runs these under `/usr/bin/time`). Timings are never part of
//! the test suite.

/// The allocator tgscope's binary uses too (see `crates/cli`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod copies;
mod entities;
mod load;
mod network;
mod rng;
mod search;
mod synth;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use serde::Serialize;
use tgscope_model::ReadItem;
use tgscope_read::desktop_json::{DesktopJsonReader, JsonOptions};

/// The read buffer, as the engine uses it.
const BUFFER: usize = 256 * 1024;
const MB: f64 = (1u64 << 20) as f64;

/// Synthetic Telegram Desktop exports and the JSON read benchmark.
#[derive(Debug, Parser)]
#[command(name = "tgscope-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write DIR/result.json: a synthetic single-chat public_channel export.
    Gen {
        /// About how big: bytes, or with a unit (KB, MB, GB; powers of 1024), e.g. 100MB.
        #[arg(long, value_parser = parse_size)]
        size: u64,
        /// The seed: the same seed and size give the same bytes.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// The folder to write result.json into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Which channel: 0 (the default) or another one, with its own id and name.
        #[arg(long, default_value_t = 0)]
        channel: u64,
    },
    /// Read an export with tgscope's Desktop JSON reader and report the throughput.
    Read {
        /// The export (result.json).
        file: PathBuf,
    },
    /// Index an archive's posts with tgscope's index and with a plain tantivy indexer (same
    /// documents, in memory), then time a full reindex of the archive.
    SearchIndex {
        /// The archive directory.
        archive: PathBuf,
    },
    /// Time a mixed set of queries (search and counts per month) against an archive.
    SearchLatency {
        /// The archive directory.
        archive: PathBuf,
        /// Times each query runs (after one warm-up run).
        #[arg(long, default_value_t = 10)]
        rounds: usize,
    },
    /// Load-test a running `tgscope serve`: concurrent clients asking for search pages, post
    /// pages and API searches.
    Load {
        /// The server's address (`http://127.0.0.1:8080`).
        #[arg(long)]
        url: String,
        /// Concurrent clients.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Requests in all.
        #[arg(long, default_value_t = 3000)]
        requests: u64,
        /// Post ids are taken from 1 to this.
        #[arg(long, default_value_t = 1000)]
        posts: i64,
        /// Path of a search page; `{q}` is replaced by the encoded query.
        #[arg(long, default_value = "/search?q={q}")]
        search_path: String,
        /// Path of a post page; `{id}` is replaced by the post's id.
        #[arg(long, default_value = "/posts/{id}")]
        post_path: String,
        /// Path of an API search; `{q}` is replaced by the encoded query.
        #[arg(long, default_value = "/api/v1/search?q={q}")]
        api_path: String,
        /// Send only the plain words of each query (no operators or filters), for a peer that
        /// does not speak tgscope's query language.
        #[arg(long)]
        plain_queries: bool,
        /// An API token for a team server (sent as `Authorization: Bearer ...`).
        #[arg(long, env = "TGSCOPE_BENCH_TOKEN")]
        bearer: Option<String>,
    },
    /// Write a labelled corpus for the copies benchmark: DIR/posts.jsonl with copy chains and
    /// hard negatives, and (unless --no-truth) DIR/shingles.jsonl and DIR/truth_pairs.jsonl.
    CopiesCorpus {
        /// Posts.
        #[arg(long)]
        posts: usize,
        /// The seed: the same seed and count give the same corpus.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// The folder to write into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Write only the posts (for time and memory runs at scale).
        #[arg(long)]
        no_truth: bool,
    },
    /// Measure tgscope's copy analysis on a corpus: signatures and candidates (one thread),
    /// the full rebuild (every core), accuracy against the truth, and an update.
    CopiesRun {
        /// The corpus folder (from copies-corpus).
        #[arg(long, value_name = "DIR")]
        corpus: PathBuf,
        /// The newest posts held back from the rebuild and added by an update.
        #[arg(long, default_value_t = 1000)]
        update_posts: usize,
        /// Time and memory only: stream the posts one channel at a time, no ground truth.
        #[arg(long)]
        scale: bool,
    },
    /// Write a synthetic archive with planted coordination for the network benchmark:
    /// DIR/posts.jsonl, channels.jsonl, toolkit.csv, toolkit-clean-urls.csv, truth.json.
    NetworkCorpus {
        /// Posts.
        #[arg(long)]
        posts: usize,
        /// The seed: the same seed and count give the same corpus.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// The folder to write into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Measure tgscope's network analysis on a corpus: the build, the graph of forwards,
    /// mentions and links, and coordination by object kind; writes the coordination edges.
    NetworkRun {
        /// The corpus folder (from network-corpus).
        #[arg(long, value_name = "DIR")]
        corpus: PathBuf,
        /// Coordination window in seconds.
        #[arg(long, default_value_t = 60)]
        window: i64,
        /// Least distinct shared objects of a coordination edge.
        #[arg(long, default_value_t = 3)]
        min_shared: usize,
        /// Objects shared by more channels link none (default: no limit, as the
        /// coordination-network-toolkit has none).
        #[arg(long)]
        max_sharers: Option<usize>,
        /// Where the edge files go (default: the corpus folder).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Measure tgscope's entity recogniser on the gold set: per post its mentions (spans in
    /// code points), the build time and the time of recognising every text, best and median of
    /// N passes (benches/entities/run.py scores it).
    EntitiesRun {
        /// A gold JSONL file (`crates/analyze/tests/entities/gold-ru.jsonl`); repeat for more.
        #[arg(long, value_name = "FILE", required = true)]
        gold: Vec<PathBuf>,
        /// Timed passes over all texts.
        #[arg(long, default_value_t = 50)]
        repeat: usize,
    },
    /// Parse an export with serde_json into IgnoredAny (the raw-parse ceiling).
    Raw {
        /// The export (result.json).
        file: PathBuf,
        /// Load the whole file into memory first (untimed) and parse from the slice: serde_json
        /// at its fastest, with memory as large as the file.
        #[arg(long)]
        slice: bool,
    },
}

/// What a measuring command prints.
#[derive(Debug, Serialize)]
struct Measure {
    tool: &'static str,
    bytes: u64,
    posts: Option<u64>,
    events: Option<u64>,
    warnings: Option<u64>,
    seconds: f64,
    mb_per_s: f64,
    posts_per_s: Option<f64>,
}

impl Measure {
    fn new(tool: &'static str, bytes: u64, seconds: f64) -> Measure {
        Measure {
            tool,
            bytes,
            posts: None,
            events: None,
            warnings: None,
            seconds,
            mb_per_s: round1(bytes as f64 / MB / seconds),
            posts_per_s: None,
        }
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (write 100MB, 1GB or a number of bytes)"))?;
    let factor: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(format!("{s:?}: unknown unit (use B, KB, MB or GB)")),
    };
    Ok((n * factor as f64) as u64)
}

fn open(file: &PathBuf) -> anyhow::Result<(File, u64)> {
    let f = File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let bytes = f.metadata()?.len();
    Ok((f, bytes))
}

fn read(file: &PathBuf) -> anyhow::Result<Measure> {
    let (f, bytes) = open(file)?;
    let start = Instant::now();
    let reader =
        DesktopJsonReader::new(BufReader::with_capacity(BUFFER, f), JsonOptions::default());
    let (mut posts, mut events, mut warnings) = (0u64, 0u64, 0u64);
    for item in reader {
        match item.with_context(|| format!("reading {}", file.display()))? {
            ReadItem::Post(_) => posts += 1,
            ReadItem::Event(_) => events += 1,
            ReadItem::Warning(_) => warnings += 1,
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let mut m = Measure::new("tgscope read", bytes, seconds);
    m.posts = Some(posts);
    m.events = Some(events);
    m.warnings = Some(warnings);
    m.posts_per_s = Some((posts as f64 / seconds).round());
    Ok(m)
}

fn raw(file: &PathBuf, slice: bool) -> anyhow::Result<Measure> {
    let (mut f, bytes) = open(file)?;
    let parse_err = |e: serde_json::Error| anyhow::anyhow!("parsing {}: {e}", file.display());
    if slice {
        let mut all = Vec::with_capacity(bytes as usize);
        f.read_to_end(&mut all)?;
        let start = Instant::now();
        let _: serde::de::IgnoredAny = serde_json::from_slice(&all).map_err(parse_err)?;
        return Ok(Measure::new(
            "serde_json from_slice",
            bytes,
            start.elapsed().as_secs_f64(),
        ));
    }
    let start = Instant::now();
    let _: serde::de::IgnoredAny =
        serde_json::from_reader(BufReader::with_capacity(BUFFER, f)).map_err(parse_err)?;
    Ok(Measure::new(
        "serde_json from_reader",
        bytes,
        start.elapsed().as_secs_f64(),
    ))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let out = match &cli.command {
        Command::Gen {
            size,
            seed,
            out,
            channel,
        } => {
            let written = synth::generate(out, *size, *seed, *channel)?;
            serde_json::to_string(&written)?
        }
        Command::Read { file } => serde_json::to_string(&read(file)?)?,
        Command::Raw { file, slice } => serde_json::to_string(&raw(file, *slice)?)?,
        Command::Load {
            url,
            clients,
            requests,
            posts,
            search_path,
            post_path,
            api_path,
            plain_queries,
            bearer,
        } => {
            let target = load::Target {
                base: url.clone(),
                search_path: search_path.clone(),
                post_path: post_path.clone(),
                api_path: api_path.clone(),
                plain_queries: *plain_queries,
                bearer: bearer.clone(),
            };
            serde_json::to_string(&load::run(&target, *clients, *requests, *posts)?)?
        }
        Command::CopiesCorpus {
            posts,
            seed,
            out,
            no_truth,
        } => serde_json::to_string(&copies::generate(out, *posts, *seed, !*no_truth)?)?,
        Command::CopiesRun {
            corpus,
            update_posts,
            scale,
        } => serde_json::to_string(&copies::run(corpus, *update_posts, *scale)?)?,
        Command::NetworkCorpus { posts, seed, out } => {
            serde_json::to_string(&network::generate(out, *posts, *seed)?)?
        }
        Command::NetworkRun {
            corpus,
            window,
            min_shared,
            max_sharers,
            out,
        } => serde_json::to_string(&network::run(
            corpus,
            *window,
            *min_shared,
            max_sharers.unwrap_or(usize::MAX),
            out.as_deref(),
        )?)?,
        Command::EntitiesRun { gold, repeat } => {
            serde_json::to_string(&entities::run(gold, *repeat)?)?
        }
        Command::SearchIndex { archive } => serde_json::to_string(&search::index(archive)?)?,
        Command::SearchLatency { archive, rounds } => {
            serde_json::to_string(&search::latency(archive, *rounds)?)?
        }
    };
    println!("{out}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100MB"), Ok(100 << 20));
        assert_eq!(parse_size("1GB"), Ok(1 << 30));
        assert_eq!(parse_size("5gib"), Ok(5 << 30));
        assert_eq!(parse_size("1234"), Ok(1234));
        assert_eq!(parse_size("1.5KB"), Ok(1536));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5TB").is_err());
    }
}
