//! Live collection of public channels from their web preview (`https://t.me/s/<channel>`).
//!
//! Place in the pipeline: a front end's helper beside the engine. It fetches preview pages,
//! newest to oldest, and hands each one to [`Engine::ingest_page`] as a capture (raw bytes, URL,
//! status, fetch time), which records new posts, new versions of edited posts, view counts and
//! edited marks over time, and absences (posts archived before that a page covering their ids
//! no longer shows).
//!
//! Main items: [`collect`] runs one channel; [`CollectOptions`] says where to stop;
//! [`fetch::Fetcher`] is the polite client (one request at a time, a delay between requests,
//! retries with backoff, `429 Retry-After` honoured, nothing fetched off the site; a host that
//! does not resolve or a refused connection ends the run at once).
//!
//! What it does not do: read pages (the `tme` reader of `tgscope-read`, through the engine),
//! write SQL, log in to Telegram or use its API.

pub mod fetch;

use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;
use tgscope_engine::{CollectRun, Engine, EngineError, FetchedPage, IngestOptions};

use fetch::{FetchEvents, FetchPolicy, Fetcher, now_utc};

/// The site collected by default.
pub const DEFAULT_BASE_URL: &str = "https://t.me";

/// Where a run starts or stops: a message id, or a date (`YYYY-MM-DD` or RFC 3339 UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    /// A message id.
    Id(i64),
    /// A date or time, compared with posts' observed dates.
    Date(String),
}

impl Bound {
    /// Parses `123` or `2024-03-01` / `2024-03-01T12:00:00Z`.
    pub fn parse(text: &str) -> Result<Bound, String> {
        let t = text.trim();
        if let Ok(id) = t.parse::<i64>() {
            return if id > 0 {
                Ok(Bound::Id(id))
            } else {
                Err(format!("{text:?}: a message id is a positive number"))
            };
        }
        let date_ok = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").is_ok()
            || chrono::DateTime::parse_from_rfc3339(t).is_ok();
        if date_ok {
            Ok(Bound::Date(t.to_string()))
        } else {
            Err(format!(
                "{text:?}: give a message id (1234) or a date (2024-03-01 or 2024-03-01T12:00:00Z)"
            ))
        }
    }
}

/// What a collection run fetches.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// The site: `https://t.me`, or a mirror or test server with the same paths.
    pub base_url: String,
    /// Stop at posts older than this (by id or date) instead of at archived posts.
    pub since: Option<Bound>,
    /// Start at posts up to this id (or walk down to this date) instead of the newest.
    pub until: Option<Bound>,
    /// Fetch at most this many pages in this run.
    pub max_pages: Option<u64>,
    /// Walk back to the channel's first post, even past posts already archived.
    pub full: bool,
    /// How the client behaves (delay, retries, timeouts).
    pub policy: FetchPolicy,
    /// How fetched pages are ingested.
    pub ingest: IngestOptions,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            base_url: DEFAULT_BASE_URL.to_string(),
            since: None,
            until: None,
            max_pages: None,
            full: false,
            policy: FetchPolicy::default(),
            ingest: IngestOptions::default(),
        }
    }
}

/// Why a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// A page reached posts archived before the run.
    ReachedArchived,
    /// A page reached `--since`.
    ReachedSince,
    /// There are no older posts.
    ReachedBeginning,
    /// `--max-pages` pages were fetched.
    MaxPages,
    /// The pages stopped going back (the same page again): stopped rather than loop.
    NoProgress,
}

impl Stop {
    /// Its stable name (in the archive's record of runs and in reports).
    pub fn as_str(self) -> &'static str {
        match self {
            Stop::ReachedArchived => "reached_archived",
            Stop::ReachedSince => "reached_since",
            Stop::ReachedBeginning => "reached_beginning",
            Stop::MaxPages => "max_pages",
            Stop::NoProgress => "no_progress",
        }
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct CollectReport {
    /// The channel.
    pub channel: String,
    /// Whether it continued an interrupted run.
    pub resumed: bool,
    /// Pages fetched and ingested in this run.
    pub pages: u64,
    /// Posts new to the archive.
    pub posts_new: u64,
    /// Posts seen with different text (a new version).
    pub posts_updated: u64,
    /// Posts seen again unchanged.
    pub posts_unchanged: u64,
    /// Message ids recorded as absent (deleted, or hidden) from a page covering them.
    pub absent: Vec<i64>,
    /// Warnings of the pages' readers.
    pub warnings: Vec<String>,
    /// Why it stopped.
    pub stop: Stop,
}

/// Collection failed; an interrupted run is resumed by the next run of the same channel.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CollectError {
    /// The base URL is not a URL.
    #[error("{0:?} is not a site URL (write https://t.me or http://127.0.0.1:8080)")]
    BadBaseUrl(String),
    /// Not a channel username.
    #[error("{0:?} is not a channel username (letters, digits and '_', 4 to 32 characters)")]
    BadChannel(String),
    /// A redirect pointed off the site: not followed.
    #[error("{url}: a redirect to another site is not followed")]
    OffSite {
        /// Where it pointed.
        url: String,
    },
    /// The site redirected away from the preview: the channel does not exist, is private, or
    /// has its web preview disabled.
    #[error(
        "{url}: redirected to {location}: the channel has no public web preview (it does not \
         exist, is private, or its owner disabled the preview)"
    )]
    PreviewUnavailable {
        /// The URL asked for.
        url: String,
        /// Where the site sent it.
        location: String,
    },
    /// An answer that cannot be retried.
    #[error("{url}: {detail}")]
    Status {
        /// The URL.
        url: String,
        /// Its status.
        status: u16,
        /// What it means.
        detail: String,
    },
    /// The body could not be read.
    #[error("{url}: {error}")]
    Network {
        /// The URL.
        url: String,
        /// What failed.
        error: String,
    },
    /// The site's host name does not resolve: not retried.
    #[error(
        "could not resolve host {host}: {error} (fetching {url}); check the site's name and the network"
    )]
    HostNotFound {
        /// The URL.
        url: String,
        /// The host name.
        host: String,
        /// What the resolver said.
        error: String,
    },
    /// Nothing accepts connections at the site's address: not retried.
    #[error("connection refused by {address} (fetching {url}); check the site's address and port")]
    ConnectionRefused {
        /// The URL.
        url: String,
        /// `host:port` connected to.
        address: String,
    },
    /// Every retry failed.
    #[error("{url}: gave up after {attempts} attempts; the last: {last} (run again to resume)")]
    GaveUp {
        /// The URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// The archive failed, or a page could not be read.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// Receives what a run does (the command line draws a progress bar from it).
pub trait CollectProgress {
    /// A page was fetched and ingested; totals of the run so far.
    fn page(&mut self, _url: &str, _posts_on_page: usize, _pages: u64, _posts: u64) {}
    /// The client waits before retrying.
    fn waiting(&mut self, _wait: Duration, _why: &str) {}
}

/// Progress that goes nowhere.
pub struct Quiet;
impl CollectProgress for Quiet {}

struct Events<'a>(&'a mut dyn CollectProgress);
impl FetchEvents for Events<'_> {
    fn waiting(&mut self, wait: Duration, why: &str) {
        self.0.waiting(wait, why);
    }
}

static USERNAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z][A-Za-z0-9_]{3,31}$").expect("username pattern"));

/// `@name`, `name`, `t.me/name`, `https://t.me/s/name` to `name`.
pub fn channel_username(given: &str) -> Result<String, CollectError> {
    let mut name = given.trim();
    for prefix in ["https://", "http://"] {
        name = name.strip_prefix(prefix).unwrap_or(name);
    }
    for prefix in ["www.t.me/", "t.me/", "telegram.me/"] {
        name = name.strip_prefix(prefix).unwrap_or(name);
    }
    name = name.strip_prefix("s/").unwrap_or(name);
    name = name.trim_start_matches('@').trim_end_matches('/');
    if USERNAME.is_match(name) {
        Ok(name.to_string())
    } else {
        Err(CollectError::BadChannel(given.to_string()))
    }
}

/// The `before` of the page's "more" link (`a.tme_messages_more[data-before]`), if it has one.
fn more_link(body: &[u8]) -> Option<i64> {
    static MORE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"tme_messages_more[^>]*data-before="(\d+)"|data-before="(\d+)"[^>]*tme_messages_more"#)
            .expect("more-link pattern")
    });
    let text = String::from_utf8_lossy(body);
    let caps = MORE.captures(&text)?;
    caps.get(1).or_else(|| caps.get(2))?.as_str().parse().ok()
}

/// Collects one channel: pages newest to oldest (`?before=<id>`) until the run's stop, every
/// page ingested as a capture. A run that fails (network, server) is recorded where it got to
/// and the next `collect` of the channel resumes it.
pub fn collect(
    engine: &mut Engine,
    channel: &str,
    options: &CollectOptions,
    progress: &mut dyn CollectProgress,
) -> Result<CollectReport, CollectError> {
    let channel = channel_username(channel)?;
    let mut fetcher = Fetcher::new(&options.base_url, options.policy.clone())?;
    let base = fetcher.origin().to_string();
    let (run, resumed) = match engine.unfinished_collect_run(&channel, &base)? {
        Some(run) => (run, true),
        None => {
            let stop_at = if options.full {
                None
            } else {
                engine.newest_message_id(&channel)?
            };
            let run =
                engine.start_collect_run(&channel, &base, stop_at, options.full, &now_utc())?;
            (run, false)
        }
    };
    let mut report = CollectReport {
        channel: channel.clone(),
        resumed,
        pages: 0,
        posts_new: 0,
        posts_updated: 0,
        posts_unchanged: 0,
        absent: Vec::new(),
        warnings: Vec::new(),
        stop: Stop::ReachedBeginning,
    };
    let result = walk(
        engine,
        &mut fetcher,
        &channel,
        &run,
        options,
        progress,
        &mut report,
    );
    // Every failed attempt is on record, whatever the outcome.
    for f in fetcher.take_failures() {
        engine.record_failed_fetch(&f.url, f.status, &f.at, &f.error)?;
    }
    let stop = result?;
    report.stop = stop;
    engine.finish_collect_run(run.id, &now_utc(), stop.as_str())?;
    Ok(report)
}

/// The first `before` of a run: where it stopped, or `--until`.
fn first_before(run: &CollectRun, options: &CollectOptions) -> Option<i64> {
    run.next_before.or(match options.until {
        Some(Bound::Id(id)) => Some(id + 1),
        _ => None,
    })
}

fn walk(
    engine: &mut Engine,
    fetcher: &mut Fetcher,
    channel: &str,
    run: &CollectRun,
    options: &CollectOptions,
    progress: &mut dyn CollectProgress,
    report: &mut CollectReport,
) -> Result<Stop, CollectError> {
    let mut before = first_before(run, options);
    let mut pages = run.pages;
    let mut posts_total = 0u64;
    loop {
        if options.max_pages.is_some_and(|max| report.pages >= max) {
            return Ok(Stop::MaxPages);
        }
        let url = match before {
            Some(b) => format!("{}/s/{channel}?before={b}", fetcher.origin()),
            None => format!("{}/s/{channel}", fetcher.origin()),
        };
        let fetched = fetcher.get(&url, &mut Events(progress))?;
        for f in fetcher.take_failures() {
            engine.record_failed_fetch(&f.url, f.status, &f.at, &f.error)?;
        }
        let more = more_link(&fetched.body);
        let page = FetchedPage {
            url: fetched.url.clone(),
            status: fetched.status,
            fetched_at: fetched.fetched_at.clone(),
            body: fetched.body,
            channel: channel.to_string(),
        };
        let ingested = engine.ingest_page(&page, &options.ingest)?;
        report.pages += 1;
        pages += 1;
        let c = &ingested.capture;
        report.posts_new += c.posts_new;
        report.posts_updated += c.posts_updated;
        report.posts_unchanged += c.posts_unchanged;
        report.absent.extend(&c.absent);
        report.warnings.extend(c.warnings.iter().cloned());
        if let Some(damage) = &ingested.damage {
            report.warnings.push(format!("{}: {damage}", page.url));
        }
        let ids: Vec<i64> = ingested.posts.iter().map(|(id, _)| *id).collect();
        posts_total += ids.len() as u64;
        progress.page(&page.url, ids.len(), report.pages, posts_total);
        let Some(&oldest) = ids.iter().min() else {
            engine.advance_collect_run(run.id, before, pages)?;
            return Ok(Stop::ReachedBeginning);
        };
        // Older pages: the "more" link, or (when it is missing) the oldest id seen.
        let mut next = more.filter(|&m| m <= oldest).unwrap_or(oldest);
        if before.is_some_and(|b| next >= b) {
            next = oldest;
        }
        engine.advance_collect_run(run.id, Some(next), pages)?;
        if run.stop_at.is_some_and(|stop| oldest <= stop) {
            return Ok(Stop::ReachedArchived);
        }
        match &options.since {
            Some(Bound::Id(since)) if oldest <= *since => return Ok(Stop::ReachedSince),
            Some(Bound::Date(since)) => {
                let reached = ingested
                    .posts
                    .iter()
                    .filter_map(|(_, date)| date.as_deref())
                    .any(|date| date < since.as_str());
                if reached {
                    return Ok(Stop::ReachedSince);
                }
            }
            _ => {}
        }
        if oldest <= 1 {
            return Ok(Stop::ReachedBeginning);
        }
        if before.is_some_and(|b| next >= b) {
            return Ok(Stop::NoProgress);
        }
        before = Some(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_from_what_users_write() {
        for given in [
            "mid_russia",
            "@mid_russia",
            "t.me/mid_russia",
            "https://t.me/s/mid_russia/",
        ] {
            assert_eq!(channel_username(given).expect(given), "mid_russia");
        }
        assert!(channel_username("a b").is_err());
        assert!(channel_username("../etc").is_err());
        assert!(channel_username("abc").is_err());
    }

    #[test]
    fn bounds() {
        assert_eq!(Bound::parse("120"), Ok(Bound::Id(120)));
        assert_eq!(
            Bound::parse("2024-03-01"),
            Ok(Bound::Date("2024-03-01".into()))
        );
        assert!(Bound::parse("0").is_err());
        assert!(Bound::parse("March").is_err());
    }

    #[test]
    fn more_links() {
        let page = br#"<a class="tme_messages_more js-messages_more" data-before="120" href="/s/x?before=120"></a>"#;
        assert_eq!(more_link(page), Some(120));
        assert_eq!(more_link(b"<div>no link</div>"), None);
    }
}
