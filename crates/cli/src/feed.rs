//! `tgscope feed`: the posts of a query, a channel or a hashtag as an Atom, RSS or JSON Feed
//! document (the engine's [`tgscope_engine::feed`]), on stdout or in a file.
//!
//! Does not: serve feeds (`tgscope serve` does, under `/feeds/`), or fetch anything.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use tgscope_engine::feed::{DEFAULT_FEED_LIMIT, FeedFormat, FeedRequest, FeedSource};

/// Arguments of `feed`.
#[derive(Debug, Args)]
pub struct FeedArgs {
    /// What the feed follows (exactly one).
    #[command(flatten)]
    pub source: SourceArgs,
    /// The feed's format.
    #[arg(long, value_enum, default_value = "atom")]
    pub format: FeedFmt,
    /// Entries per page, newest first (1 to 1000).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_FEED_LIMIT)]
    pub limit: usize,
    /// The page: 1 holds the newest posts, 2 the ones before them, ...
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub page: usize,
    /// The address of a `tgscope serve` of this archive (<http://127.0.0.1:8080>): the feed's own
    /// address, its paging links and the links of posts without a t.me link are made from it.
    /// Without it the feed has only t.me links.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Write the feed to this file instead of stdout (`-` is stdout).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The source of a feed: one of these.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct SourceArgs {
    /// The posts a search query matches (the query language of docs/search.md).
    #[arg(long, value_name = "QUERY")]
    pub query: Option<String>,
    /// The posts of a channel (archive id, username, title or t.me link).
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// The posts with a hashtag (with or without #).
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// The posts a narrative matches (its current version; see `tgscope narrative`).
    #[arg(long, value_name = "NAME")]
    pub narrative: Option<String>,
}

impl SourceArgs {
    fn source(&self) -> FeedSource {
        match (&self.query, &self.channel, &self.tag, &self.narrative) {
            (Some(q), _, _, _) => FeedSource::Query(q.clone()),
            (None, Some(c), _, _) => FeedSource::Channel(c.clone()),
            (None, None, Some(t), _) => FeedSource::Hashtag(t.clone()),
            (None, None, None, Some(n)) => FeedSource::Narrative(n.clone()),
            // clap's group requires one of them.
            (None, None, None, None) => crate::usage_error(
                "feed",
                "name what the feed follows: --query Q, --channel C, --tag T or --narrative N",
            ),
        }
    }
}

/// Formats of `feed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FeedFmt {
    /// Atom 1.0 (RFC 4287).
    Atom,
    /// RSS 2.0.
    Rss,
    /// JSON Feed 1.1.
    Json,
}

/// Runs `feed`: writes the document to `-o FILE` or `out`, and says on stderr when the feed is
/// cut short and how to get the next page.
pub fn run(
    archive: &std::path::Path,
    a: &FeedArgs,
    out: &mut dyn Write,
    quiet: bool,
) -> anyhow::Result<()> {
    let request = FeedRequest {
        source: a.source.source(),
        format: match a.format {
            FeedFmt::Atom => FeedFormat::Atom,
            FeedFmt::Rss => FeedFormat::Rss,
            FeedFmt::Json => FeedFormat::Json,
        },
        limit: a.limit,
        page: a.page,
        base_url: a.base_url.clone(),
    };
    if let Some(base) = &request.base_url
        && !(base.starts_with("http://") || base.starts_with("https://"))
    {
        crate::usage_error(
            "feed",
            &format!("--base-url {base:?} is not an http:// or https:// address"),
        );
    }
    let mut engine = crate::backend::open_reader(archive)?;
    let feed = engine.feed(&request)?;
    match &a.output {
        Some(path) if path.as_os_str() != "-" => {
            std::fs::write(path, &feed.body)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        _ => {
            out.write_all(feed.body.as_bytes())?;
            out.flush()?;
        }
    }
    if quiet {
        return Ok(());
    }
    if feed.index_catching_up {
        eprintln!(
            "tgscope: note: an ingest or collection run is at work and the search index is \
             catching up with it: the feed holds the posts indexed so far"
        );
    }
    if feed.entries == 0 && feed.total > 0 {
        eprintln!(
            "tgscope: page {} is past the last page: {} posts on {} pages of {}",
            feed.page, feed.total, feed.pages, a.limit
        );
    } else if feed.has_next() {
        eprintln!(
            "tgscope: wrote {} of {} posts (page {} of {}, --limit {}); the next ones: --page {}",
            feed.entries,
            feed.total,
            feed.page,
            feed.pages,
            a.limit,
            feed.page + 1
        );
    }
    Ok(())
}
