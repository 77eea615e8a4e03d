//! Command-line arguments.

use std::path::PathBuf;

use chrono::FixedOffset;
use clap::{Args, Parser, Subcommand, ValueEnum};
use tgscope_engine::PostFilter;
use tgscope_engine::model::Format;

const AFTER_HELP: &str = "\
Exit codes: 0 success; 1 internal failure (archive or machine); 2 usage error;
3 bad input (an input was skipped, or a filter is malformed); 4 not found.

Environment: TGSCOPE_ARCHIVE (archive directory), TGSCOPE_DATABASE (a PostgreSQL archive), RUST_LOG
(log filter), NO_COLOR.";

/// tgscope: archive and search public Telegram channels.
///
/// Ingest captures of channels (Telegram Desktop's JSON and HTML exports, message dumps of
/// scraping scripts, saved t.me/s web-preview pages, plain text copied from a channel's web view
/// or from Telegram Desktop) or collect them live from t.me/s, into an archive of clean,
/// deduplicated, dated posts that keeps the raw evidence and says where every post came from;
/// then list, read, search, count and export them, or browse them with `tgscope serve` (a web
/// interface and a JSON API).
#[derive(Debug, Parser)]
#[command(name = "tgscope", version, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    /// The archive directory.
    #[arg(
        long,
        global = true,
        env = "TGSCOPE_ARCHIVE",
        default_value = tgscope_engine::DEFAULT_ARCHIVE,
        value_name = "DIR"
    )]
    pub archive: PathBuf,

    /// The team's archive in PostgreSQL (`postgres://user@host/db`) instead of the embedded
    /// one; `--archive DIR` is then this machine's folder for raw captures, media and the
    /// search index.
    #[arg(long, global = true, env = "TGSCOPE_DATABASE", value_name = "URL")]
    pub database: Option<String>,

    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors on stderr; no progress bar.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Make FILE the archive's own entity list (countries, organisations and people beside
    /// the bundled ones; format in docs/entities.md), kept in the archive for every later
    /// command; `none` removes it. The entity analysis and the search index's entity filters
    /// are rebuilt with it.
    #[arg(long, global = true, value_name = "FILE")]
    pub entities: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest capture files or folders into the archive.
    ///
    /// Each file is hashed (SHA-256) and its raw bytes kept, compressed, in the archive; its
    /// format is detected by content; its posts are cleaned, deduplicated, dated where the text
    /// allows, and reconciled with the posts already archived: a capture seen before adds
    /// nothing, a post seen again with changed text gets a new version. Inputs that cannot be
    /// read are skipped with the reason, and the run goes on (exit code 3 at the end).
    Ingest(IngestArgs),
    /// List posts, with filters.
    Posts(PostsArgs),
    /// Show one post: clean and raw text, forward, media, links, dates and how they were
    /// inferred, every version and every sighting with its capture's hash and lines.
    Show(ShowArgs),
    /// List channels (including the channels posts were forwarded from) with counts.
    Channels(FormatArgs),
    /// Counts over the whole archive.
    Stats(StatsArgs),
    /// List the captures ingested, with their hashes and status.
    Captures(FormatArgs),
    /// Export posts, one record per post (fields documented in docs/export.md).
    Export(ExportArgs),
    /// Check the archive's consistency.
    Check,
    /// Collect channels live from their public web preview (https://t.me/s/CHANNEL).
    ///
    /// Pages are fetched newest to oldest (`?before=<id>`) until posts already archived are
    /// reached (or --since, --max-pages; --full goes back to the first post). Every page is a
    /// capture (raw bytes, URL, status, fetch time): posts seen again with other text become
    /// new versions, view counts and "edited" marks are kept per fetch, and posts archived
    /// before that a page covering their ids no longer shows are recorded as absent. One
    /// request at a time, with a delay; errors are retried with backoff, 429 Retry-After is
    /// honoured, and nothing is fetched outside the site. An interrupted run is resumed by the
    /// next one. See docs/collect.md.
    Collect(CollectArgs),
    /// Show a post's history: its versions, its view counts and edited marks at every
    /// capture, and the captures that covered its id without showing it.
    History(ShowArgs),
    /// List the edits and deletions observed, oldest first.
    Changes(ChangesArgs),
    /// Search the archive's posts (Russian and English word forms, phrases, filters).
    ///
    /// Words must all match, in any form ("Россия" finds "России", "=Россия" only that form);
    /// "quoted phrases" match words in order; OR, -exclude and (grouping) combine them; filters:
    /// channel:, from: (forward source), tag: or #tag, lang:ru|en, has:media|link|forward|copies,
    /// cluster:ID (a copy cluster), media:video, date:2024-01-01..2024-03-31, edited:yes. See
    /// docs/search.md.
    Search(SearchArgs),
    /// Count the posts matching a query per day, week or month (the curve to plot).
    Count(CountArgs),
    /// Show where a post's text appears in other posts, or whom a channel copies and who
    /// copies it.
    ///
    /// `tgscope copies POST_ID`: the post's copy cluster in time order: the first post seen in
    /// this archive, then every copy with its channel, date, delay after the first, similarity,
    /// relation (forward, attributed, unattributed, partial) and the words that changed.
    /// `tgscope copies --channel NAME`: the channels it copies from and those that copy it,
    /// with counts, the share of each relation and the median delay. See docs/copies.md.
    Copies(CopiesArgs),
    /// List the largest copy clusters: posts of the archive with the same or nearly the same
    /// text, each with its first post seen in this archive, channels, size and time span.
    Clusters(ClustersArgs),
    /// Write the channel network (who forwards, mentions, copies, links to the same pages as
    /// and moves in step with whom) or the hashtag network, for Gephi, networkx, igraph or a
    /// spreadsheet.
    ///
    /// Every directed edge points from the channel whose post, name or text is passed on to
    /// the channel that passes it on. Coordination links two channels that shared at least
    /// --min-shared objects (forward origins, cleaned links, copy clusters, hashtags), each
    /// within --window of each other. See docs/networks.md.
    Network(NetworkArgs),
    /// Count hashtags: posts per period and channel, first use, the channels using each tag,
    /// and the tags used with it.
    Hashtags(HashtagsArgs),
    /// Count the countries, organisations and people the posts name (Russian and English,
    /// every case form, flags, hashtags): posts per period, channels, first mention, and the
    /// entities named with each.
    Entities(EntitiesArgs),
    /// One entity's mentions over time, its channels and the entities named with it.
    Entity(EntityArgs),
    /// Write the posts of a query, a channel or a hashtag as a feed (Atom, RSS or JSON Feed),
    /// newest first, for a feed reader.
    ///
    /// Entry ids are permanent (tag: URIs that stay the same when a post is edited); the dates
    /// come from the archive, never from the clock; long feeds are paged (--limit, --page).
    /// `tgscope serve` serves the same feeds under /feeds/. See docs/feeds.md.
    Feed(crate::feed::FeedArgs),
    /// Narratives: named, versioned sets of queries kept in the archive, their matches kept
    /// current on every ingest, and reports of their spread (add, edit, remove, list, show,
    /// report). See docs/narratives.md.
    Narrative(crate::narratives::NarrativeArgs),
    /// Rebuild the full-text index from the archive.
    Reindex,
    /// Serve the web interface and the JSON API over the archive.
    ///
    /// Prints the address on its first line; Ctrl-C stops it. Pages: search with filters and a
    /// chart of matches over time, posts with their evidence, channels, hashtags. The API is
    /// under /api/v1/ and described at /api/openapi.json. The embedded archive is served
    /// read-only without sign-in; the archive in PostgreSQL (`--database`) needs every request
    /// signed in (an account of `tgscope user`, or an API token), and editors can ingest
    /// uploads and edit narratives (put the server behind HTTPS).
    Serve(ServeArgs),
    /// The team's accounts and API tokens, on the archive in PostgreSQL (`--database`):
    /// add, list, disable, enable, password, token create|list|revoke. Passwords are read from
    /// stdin (`--password-stdin`); every change goes to the audit log. See docs/team.md.
    User(crate::user::UserArgs),
}

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on (loopback by default; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub bind: std::net::SocketAddr,
    /// Seconds a query may run before it is cut off with an error.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub query_timeout: f64,
    /// Queries answered at once, each by its own open archive (default: one per core, at
    /// least two).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub engines: Option<u16>,
    /// The address people reach the server at (<https://archive.example> behind a proxy): the
    /// links inside feeds start with it (default: the Host of each request).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The largest capture an editor may upload, in MiB (team mode).
    #[arg(long, default_value_t = 64, value_name = "MIB")]
    pub max_upload_mib: u64,
    /// Connections served at once; one more is answered 503 (Retry-After) and closed.
    #[arg(long, default_value_t = 512, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub max_connections: u32,
    /// Seconds a request's head may take to arrive, and a connection may stay idle.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub header_timeout: f64,
}

/// Orders of search results.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SearchSort {
    /// Best match first.
    Relevance,
    /// Newest first.
    Date,
    /// Oldest first.
    DateAsc,
}

/// Arguments of `search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query (quote it for the shell: 'Россия "коллективный Запад" date:2024').
    pub query: String,
    /// Order of the results.
    #[arg(long, value_enum, default_value = "relevance")]
    pub sort: SearchSort,
    /// At most this many results (default: 20 in a table; every match in json, jsonl and csv).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Skip this many results first.
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Output format (jsonl: the export record of each post with `score` and `snippet`;
    /// parquet: the same as an Apache Parquet file, which needs -o FILE).
    #[arg(long, value_enum, default_value = "table")]
    pub format: SearchFmt,
    /// Write the results to this file instead of stdout (`-` is stdout, for parquet only when
    /// it is not a terminal).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Output formats of `search`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SearchFmt {
    /// Aligned columns for people.
    Table,
    /// One JSON object.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row.
    Csv,
    /// Apache Parquet (needs -o FILE): the jsonl fields as columns (docs/export.md).
    Parquet,
}

/// Periods of `count`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CountBy {
    /// Calendar days (UTC).
    Day,
    /// Weeks starting on Monday.
    Week,
    /// Calendar months.
    Month,
}

/// Output formats of `count`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CountFmt {
    /// Aligned columns with a bar.
    Table,
    /// CSV: period,count (the undated matches left out are said on stderr).
    Csv,
    /// One JSON object: the period, the matches, the undated ones left out, and the counts.
    Json,
}

/// Arguments of `count`.
#[derive(Debug, Args)]
pub struct CountArgs {
    /// The query (as for `search`).
    pub query: String,
    /// The period (default: the one that fits the span of the matches: days for up to six
    /// weeks, weeks up to two years, months beyond).
    #[arg(long, value_enum)]
    pub by: Option<CountBy>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: CountFmt,
}

/// The copy analysis's parameters (docs/copies.md). Given, they become the archive's
/// settings (kept for every later ingest) and the analysis is rebuilt with them.
#[derive(Debug, Args, Default)]
pub struct CopyParamArgs {
    /// Least Jaccard similarity of two texts' shingles for a full copy (default 0.7).
    #[arg(long, value_name = "X")]
    pub jaccard: Option<f64>,
    /// Least containment of the smaller text in the larger for a partial copy (default 0.9).
    #[arg(long, value_name = "X")]
    pub containment: Option<f64>,
    /// Posts with fewer words are never compared (default 5).
    #[arg(long, value_name = "N")]
    pub min_words: Option<usize>,
    /// LSH bands (default 32); more bands find more pairs at lower similarity.
    #[arg(long, value_name = "N")]
    pub bands: Option<usize>,
    /// Signature values per band (default 4); more rows find fewer, closer pairs.
    #[arg(long, value_name = "N")]
    pub rows: Option<usize>,
    /// Buckets shared by more distinct texts give no pairs (default 500).
    #[arg(long, value_name = "N")]
    pub max_bucket: Option<usize>,
    /// Go back to the default parameters.
    #[arg(long, conflicts_with_all = ["jaccard", "containment", "min_words", "bands", "rows", "max_bucket"])]
    pub default_params: bool,
}

impl CopyParamArgs {
    /// Whether any parameter was given.
    pub fn given(&self) -> bool {
        self.default_params
            || self.jaccard.is_some()
            || self.containment.is_some()
            || self.min_words.is_some()
            || self.bands.is_some()
            || self.rows.is_some()
            || self.max_bucket.is_some()
    }

    /// The parameters given, over `current`; `None` for the defaults.
    pub fn apply(
        &self,
        current: &tgscope_engine::CopyParams,
    ) -> Option<tgscope_engine::CopyParams> {
        if self.default_params {
            return None;
        }
        let mut p = current.clone();
        if let Some(x) = self.jaccard {
            p.jaccard = x;
        }
        if let Some(x) = self.containment {
            p.containment = x;
        }
        if let Some(x) = self.min_words {
            p.min_words = x;
            p.near_min_words = p.near_min_words.max(x);
        }
        if let Some(x) = self.bands {
            p.bands = x;
        }
        if let Some(x) = self.rows {
            p.rows = x;
        }
        if let Some(x) = self.max_bucket {
            p.max_bucket = x;
        }
        Some(p)
    }
}

/// Arguments of `copies`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["post", "channel"])))]
pub struct CopiesArgs {
    /// The post (its archive id, as `posts` and `search` show it).
    pub post: Option<i64>,
    /// A channel (username, title or archive id) instead of a post.
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Fmt,
    /// Parameters of the analysis.
    #[command(flatten)]
    pub params: CopyParamArgs,
}

/// Orders of `clusters`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ClusterOrder {
    /// The most posts first.
    Size,
    /// The most channels first.
    Channels,
    /// The earliest first post first.
    First,
}

/// Arguments of `clusters`.
#[derive(Debug, Args)]
pub struct ClustersArgs {
    /// Only clusters with posts in at least this many channels.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub min_channels: usize,
    /// Only clusters first seen on or after this date (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only clusters first seen before this date.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Order.
    #[arg(long, value_enum, default_value = "size")]
    pub sort: ClusterOrder,
    /// At most this many (default: 20 in a table; every cluster in json, jsonl and csv).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Skip this many first.
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Fmt,
    /// Write to this file instead of stdout (needed for parquet).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Parameters of the analysis.
    #[command(flatten)]
    pub params: CopyParamArgs,
}

/// Edge kinds of `network`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NetworkKind {
    /// A forward's source → the forwarder.
    Forward,
    /// A channel named by @username or a t.me link → the channel naming it.
    Mention,
    /// The first post seen of a copy cluster → a later copy (forwards excluded).
    Copy,
    /// Channels that posted the same cleaned URL (undirected).
    Link,
    /// Channels that shared the same objects within the window (undirected).
    Coordination,
    /// The hashtag network (tags used together); not combined with the others.
    Hashtag,
    /// The entity network (countries, organisations and people named together, linked by
    /// posts naming both, at least --min-tag-posts); not combined with the others.
    Entity,
    /// forward, mention, copy, link and coordination.
    All,
}

/// Objects coordination compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NetworkObject {
    /// The same forward origin (source channel and post).
    Forward,
    /// The same cleaned URL.
    Link,
    /// The same copy cluster.
    Copy,
    /// The same hashtag.
    Hashtag,
}

/// File formats of `network`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NetworkFmt {
    /// GEXF 1.3 (Gephi), with time intervals on edges.
    Gexf,
    /// GEXF 1.3 without time intervals (networkx reads it).
    GexfStatic,
    /// GraphML with typed keys (networkx, igraph, Gephi).
    Graphml,
    /// Edge list to the file, node list beside it (`NAME-nodes.csv`).
    Csv,
    /// `{"nodes": [...], "edges": [...]}` (see docs/networks.md).
    Json,
    /// Apache Parquet: the edges to the file, the nodes beside it (`NAME-nodes.parquet`),
    /// the columns of the CSV with the attributes' types.
    Parquet,
    /// With --channel: whom the channel amplifies and who amplifies it (forwards, mentions,
    /// copies), as tables.
    Table,
}

/// Arguments of `network`.
#[derive(Debug, Args)]
pub struct NetworkArgs {
    /// Edge kinds (comma-separated or repeated).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "forward,mention,copy,link"
    )]
    pub kind: Vec<NetworkKind>,
    /// Only posts on or after this date (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only posts before this date.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Only the channels within --depth steps of this one (username, title or archive id).
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// Steps from --channel.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub depth: usize,
    /// Coordination: the most time between two shares (`60s`, `5m`, `1h`, or seconds).
    #[arg(long, default_value = "60s", value_name = "TIME")]
    pub window: String,
    /// Coordination: the least number of distinct shared objects of an edge.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub min_shared: usize,
    /// Coordination: the objects compared (comma-separated).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "forward,link,copy,hashtag"
    )]
    pub objects: Vec<NetworkObject>,
    /// Coordination and shared links: objects shared by more channels than this link none.
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub max_sharers: usize,
    /// The hashtag network: the least posts of a tag and of a pair of tags.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub min_tag_posts: usize,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub format: NetworkFmt,
    /// Write to this file instead of stdout (needed for csv and parquet).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Arguments of `hashtags`.
#[derive(Debug, Args)]
pub struct HashtagsArgs {
    /// Only this channel's posts (username, title or archive id).
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// Only posts on or after this date (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only posts before this date.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Count posts per day, week or month.
    #[arg(long, default_value = "month", value_name = "PERIOD")]
    pub by: tgscope_engine::Period,
    /// At most this many tags (default: 20 in a table; every tag in json, jsonl and csv).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Fmt,
}

/// Kinds of entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EntityKindArg {
    /// Countries (and territories with an ISO code).
    Country,
    /// International organisations and formats.
    Org,
    /// People.
    Person,
}

impl From<EntityKindArg> for tgscope_engine::entities::EntityKind {
    fn from(k: EntityKindArg) -> Self {
        match k {
            EntityKindArg::Country => tgscope_engine::entities::EntityKind::Country,
            EntityKindArg::Org => tgscope_engine::entities::EntityKind::Org,
            EntityKindArg::Person => tgscope_engine::entities::EntityKind::Person,
        }
    }
}

/// Arguments of `entities`.
#[derive(Debug, Args)]
pub struct EntitiesArgs {
    /// Only entities of this kind.
    #[arg(long, value_enum, value_name = "KIND")]
    pub kind: Option<EntityKindArg>,
    /// Only this channel's posts (username, title or archive id).
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// Only posts on or after this date (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only posts before this date.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Count posts per day, week or month.
    #[arg(long, default_value = "month", value_name = "PERIOD")]
    pub by: tgscope_engine::Period,
    /// At most this many entities (default: 30 in a table; every entity in json, jsonl, csv).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Fmt,
    /// Write to this file instead of stdout (needed for parquet).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Arguments of `entity`.
#[derive(Debug, Args)]
pub struct EntityArgs {
    /// The entity: an id (KZ, sco, lavrov), or a name in either language, any case form
    /// («Лаврову», ШОС, Kazakhstan).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Only this channel's posts.
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// Only posts on or after this date.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only posts before this date.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Count posts per day, week or month.
    #[arg(long, default_value = "month", value_name = "PERIOD")]
    pub by: tgscope_engine::Period,
    /// At most this many channels and companions in a table.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Fmt,
}

/// Arguments of `collect`.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Channels: usernames (`mid_russia`, `@mid_russia`) or links (`https://t.me/s/mid_russia`).
    #[arg(required = true, value_name = "CHANNEL")]
    pub channels: Vec<String>,
    /// The site to collect from (a mirror, or a test server).
    #[arg(long, default_value = tgscope_collect::DEFAULT_BASE_URL, value_name = "URL")]
    pub base_url: String,
    /// Stop at this message id or date (2024-03-01) instead of at posts already archived.
    #[arg(long, value_name = "ID|DATE", value_parser = tgscope_collect::Bound::parse)]
    pub since: Option<tgscope_collect::Bound>,
    /// Start at this message id (or walk down to this date) instead of at the newest post.
    #[arg(long, value_name = "ID|DATE", value_parser = tgscope_collect::Bound::parse)]
    pub until: Option<tgscope_collect::Bound>,
    /// Fetch at most this many pages per channel in this run.
    #[arg(long, value_name = "N")]
    pub max_pages: Option<u64>,
    /// Go back to the channel's first post, past posts already archived.
    #[arg(long)]
    pub full: bool,
    /// Seconds between two requests.
    #[arg(long, default_value_t = 3.0, value_name = "SECONDS")]
    pub delay: f64,
    /// Retries of a failed request (timeout, dropped connection, 5xx, 429) before giving up; a
    /// host that does not resolve or a refused connection ends the run at once.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub retries: u32,
    /// Seconds before the first retry (doubled at each retry; a 429's Retry-After wins).
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub backoff: f64,
    /// The longest wait accepted (a longer Retry-After gives up instead).
    #[arg(long, default_value_t = 600.0, value_name = "SECONDS")]
    pub max_wait: f64,
    /// Seconds allowed for one request.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Do not keep the pages' raw bytes in the archive.
    #[arg(long)]
    pub no_keep_raw: bool,
    /// Summary format.
    #[arg(long, value_enum, default_value = "table")]
    pub report: ReportFmt,
}

/// Arguments of `changes`.
#[derive(Debug, Args)]
pub struct ChangesArgs {
    /// Only this channel.
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// Only changes observed at or after this date or time (2024-03-01).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Fmt,
}

/// Input formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InputFormat {
    /// Detect each file's format from its content.
    Auto,
    /// Plain text copied or scraped from a channel (web view or Telegram Desktop copy).
    Text,
    /// Telegram Desktop's JSON export (result.json).
    DesktopJson,
    /// A page of Telegram Desktop's HTML export (messages.html, messages2.html, ...).
    DesktopHtml,
    /// A JSON or JSON Lines list of messages as scraping scripts write them (Telethon, ...).
    Dump,
    /// A saved page of a channel's web preview (t.me/s/CHANNEL), a post page or widget.
    TmeHtml,
}

impl InputFormat {
    /// The format to force, if any.
    pub fn format(self) -> Option<Format> {
        match self {
            InputFormat::Auto => None,
            InputFormat::Text => Some(Format::Text),
            InputFormat::DesktopJson => Some(Format::DesktopJson),
            InputFormat::DesktopHtml => Some(Format::DesktopHtml),
            InputFormat::Dump => Some(Format::Dump),
            InputFormat::TmeHtml => Some(Format::TmeHtml),
        }
    }
}

/// Arguments of `ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files or folders. A file named is read as asked; a folder gives the files that are
    /// recognisably captures (by their content, or plain text with a channel copy's marks, or a
    /// .txt name) and lists the others it passed over (notes, READMEs, scripts) with why; hidden
    /// files are skipped.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The format of the inputs.
    #[arg(long, value_enum, default_value = "auto")]
    pub format: InputFormat,
    /// The channel the captures belong to (plain text names none; default: the file's name).
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// Do not keep the captures' raw bytes in the archive.
    #[arg(long)]
    pub no_keep_raw: bool,
    /// Do not keep the media files an export holds (photos, videos, ...) in the archive.
    #[arg(long)]
    pub no_media: bool,
    /// UTC offset of the computer that made a Telegram Desktop copy or an old Desktop export
    /// without `date_unixtime` (e.g. +03:00): their local times then become observed times;
    /// without it they stay inferred.
    #[arg(long, value_name = "OFFSET", value_parser = parse_offset)]
    pub utc_offset: Option<FixedOffset>,
    /// Which fields of a message dump hold what, for dumps whose names tgscope does not guess:
    /// `id=msg_id,text=message,date=ts,channel=chat,views=views,sender=from,reply_to=reply,
    /// forwarded_from=fwd` (a dotted path reaches into objects: `channel=peer.name`).
    #[arg(long, value_name = "SPEC", value_parser = parse_map)]
    pub map: Option<tgscope_engine::FieldMap>,
    /// When the captures were made (a saved page saved, an export exported): RFC 3339 with an
    /// offset (2023-05-14T09:30:00Z, 2023-05-14T12:30:00+03:00) or a day (2023-05-14). It dates
    /// the view counts and edited marks the captures show, and outranks what a file says of
    /// itself (a t.me page's serving time, a Desktop export folder's day); without it, what the
    /// file says, else the ingest time, and each capture records which.
    #[arg(long, value_name = "TIME", value_parser = parse_captured_at)]
    pub captured_at: Option<String>,
    /// The largest capture read, in MiB: a larger file is refused before a byte of it is read
    /// or copied into the archive.
    #[arg(long, value_name = "MIB",
          default_value_t = tgscope_engine::ingest::DEFAULT_MAX_CAPTURE_BYTES >> 20,
          value_parser = clap::value_parser!(u64).range(1..=(1 << 24)))]
    pub max_capture_size: u64,
    /// How to print the summary.
    #[arg(long, value_enum, default_value = "table")]
    pub report: ReportFmt,
}

fn parse_captured_at(s: &str) -> Result<String, String> {
    tgscope_engine::ingest::parse_captured_at(s)
}

/// Summary formats of `ingest`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFmt {
    /// Human-readable.
    Table,
    /// One JSON object.
    Json,
}

fn parse_map(s: &str) -> Result<tgscope_engine::FieldMap, String> {
    tgscope_engine::FieldMap::parse(s)
}

fn parse_offset(s: &str) -> Result<FixedOffset, String> {
    let bad = || format!("{s:?} is not a UTC offset; write it like +03:00 or -05:30");
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let h: i32 = h.parse().map_err(|_| bad())?;
    let m: i32 = m.parse().map_err(|_| bad())?;
    if h > 14 || m > 59 {
        return Err(bad());
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60)).ok_or_else(bad)
}

/// Filters shared by `posts` and `export`.
#[derive(Debug, Args, Clone)]
pub struct FilterArgs {
    /// Only posts of this channel: its archive id, a username or title (any case, `@` or a
    /// t.me link), or the same name in letters and digits. A name that fits several channels is
    /// an error that lists them.
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// Only posts forwarded from this channel (named as for --channel).
    #[arg(long = "from", value_name = "NAME")]
    pub from: Option<String>,
    /// Only posts with this hashtag (with or without #, any case, ё as е).
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// Only posts dated on or after this day (observed date, else inferred; undated posts are
    /// left out when a date range is given).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub since: Option<String>,
    /// Only posts dated on or before this day.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub until: Option<String>,
}

impl FilterArgs {
    /// The engine's filter.
    pub fn to_filter(&self, limit: Option<u64>, offset: u64) -> PostFilter {
        PostFilter {
            channel: self.channel.clone(),
            forwarded_from: self.from.clone(),
            hashtag: self.tag.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
            limit,
            offset,
        }
    }
}

/// Output formats of listings.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Fmt {
    /// Aligned columns for people.
    Table,
    /// One JSON array.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row.
    Csv,
    /// An Apache Parquet file (needs -o FILE): the jsonl fields as columns (channels,
    /// captures, clusters and entities; posts with `export`).
    Parquet,
}

/// Arguments of `posts`.
#[derive(Debug, Args)]
pub struct PostsArgs {
    /// Filters.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// At most this many posts (default: 100 in a table; every match in json, jsonl and csv).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Skip this many posts first.
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
    /// Output format (json, jsonl and csv give export records).
    #[arg(long, value_enum, default_value = "table")]
    pub format: Fmt,
}

/// Output formats of `show`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ShowFmt {
    /// For people.
    Text,
    /// The whole record as JSON.
    Json,
}

/// Arguments of `show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The post's archive id (as `posts` lists it).
    pub id: i64,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ShowFmt,
}

/// Arguments of listings with a format only.
#[derive(Debug, Args)]
pub struct FormatArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Fmt,
    /// Write to this file instead of stdout (needed for parquet).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Output formats of `stats` and `captures`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatsFmt {
    /// For people.
    Table,
    /// JSON.
    Json,
}

/// Arguments of `stats` and `captures`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: StatsFmt,
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFmt {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row.
    Csv,
    /// Apache Parquet (needs -o FILE): the jsonl fields as columns, nested objects as
    /// structs, arrays as lists (docs/export.md).
    Parquet,
}

/// Arguments of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Export format.
    #[arg(long, value_enum)]
    pub format: ExportFmt,
    /// Write to this file instead of stdout (`-` is stdout, for parquet only when it is not a
    /// terminal).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Start with a UTF-8 byte-order mark (for Excel and Cyrillic text; jsonl and csv only).
    #[arg(long)]
    pub bom: bool,
    /// Filters.
    #[command(flatten)]
    pub filter: FilterArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse_and_bad_ones_explain() {
        assert_eq!(
            parse_offset("+03:00"),
            Ok(FixedOffset::east_opt(10800).expect("valid"))
        );
        assert_eq!(
            parse_offset("-05:30"),
            Ok(FixedOffset::west_opt(19800).expect("valid"))
        );
        assert!(parse_offset("3").unwrap_err().contains("+03:00"));
    }

    #[test]
    fn the_archive_option_goes_before_or_after_the_subcommand() {
        let before = Cli::try_parse_from(["tgscope", "--archive", "a", "stats"]).expect("parses");
        let after = Cli::try_parse_from(["tgscope", "stats", "--archive", "a"]).expect("parses");
        assert_eq!(before.archive, PathBuf::from("a"));
        assert_eq!(after.archive, PathBuf::from("a"));
    }
}
