//! Feeds: the posts of a search query, a channel or a hashtag as an Atom 1.0 (RFC 4287), RSS
//! 2.0 or JSON Feed 1.1 document, newest first, a page at a time (RFC 5005 paging links), for
//! feed readers.
//!
//! Main items: [`FeedSource`] (what a feed follows), [`FeedRequest`] (the source, the format,
//! the page and the base URL links are made from), [`Engine::feed`] (the document, with what a
//! server needs for caching), and [`entry_id`] (the permanent `tag:` URI of a post).
//!
//! A channel or hashtag feed is a search with the query language's `channel:` and `tag:`
//! filters (docs/search.md), titled and linked as the channel's or the hashtag's. Every value
//! comes from the archive (never from the clock), so the same archive gives the same bytes: a
//! post's `updated` time is its edit time, or the time the archive first saw its current text,
//! or its date; a post without any date gets the time the archive first captured it, and says
//! so. The documents are written here by hand (the XML escaped, and characters XML 1.0 does not
//! allow replaced by U+FFFD); JSON Feed through serde. The rules are documented for users in
//! docs/feeds.md.
//!
//! A narrative's feed ([`FeedSource::Narrative`]) lists the posts its current version matches
//! ([`Engine::narrative_search`]); its id is the narrative's name, so an edit of the definition
//! keeps the subscription.
//!
//! What it does not do: serve HTTP (the server mounts the same paths the links here name,
//! `/feeds/...`), write files (the CLI does), or decide what matches (the index does).

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tgscope_model::looks_like_username;

use crate::error::{EngineError, Result};
use crate::{ChannelInfo, Engine, PostDetail, SearchPage, SortBy, VersionRecord};

/// The start of every id tgscope mints (RFC 4151 `tag:` URIs): the authority `tgscope` and the
/// year the scheme was set. What follows the last colon identifies the post or the feed.
pub const TAG_PREFIX: &str = "tag:tgscope,2026:";

/// Entries per page when the request does not say.
pub const DEFAULT_FEED_LIMIT: usize = 50;

/// The most entries one page may hold.
pub const MAX_FEED_LIMIT: usize = 1000;

/// The time an empty feed of an archive without a completed capture says it was updated.
pub const EMPTY_FEED_UPDATED: &str = "1970-01-01T00:00:00Z";

/// How long an entry's title may be, in characters (a longer first line is cut, with `…`).
const TITLE_CHARS: usize = 100;

/// A feed's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedFormat {
    /// Atom 1.0 (RFC 4287), `.atom`.
    Atom,
    /// RSS 2.0, `.rss`.
    Rss,
    /// JSON Feed 1.1, `.json`.
    Json,
}

impl FeedFormat {
    /// Every format, in the order pages offer them.
    pub const ALL: [FeedFormat; 3] = [FeedFormat::Atom, FeedFormat::Rss, FeedFormat::Json];

    /// The file extension (and the last part of the server's route): `atom`, `rss`, `json`.
    pub fn extension(self) -> &'static str {
        match self {
            FeedFormat::Atom => "atom",
            FeedFormat::Rss => "rss",
            FeedFormat::Json => "json",
        }
    }

    /// The format of an extension (`atom`, `rss`, `json`).
    pub fn from_extension(extension: &str) -> Option<FeedFormat> {
        FeedFormat::ALL
            .into_iter()
            .find(|f| f.extension() == extension)
    }

    /// The media type: `application/atom+xml`, `application/rss+xml`, `application/feed+json`.
    pub fn media_type(self) -> &'static str {
        match self {
            FeedFormat::Atom => "application/atom+xml",
            FeedFormat::Rss => "application/rss+xml",
            FeedFormat::Json => "application/feed+json",
        }
    }

    /// The name people know the format by.
    pub fn name(self) -> &'static str {
        match self {
            FeedFormat::Atom => "Atom",
            FeedFormat::Rss => "RSS",
            FeedFormat::Json => "JSON Feed",
        }
    }
}

/// What a feed follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedSource {
    /// The posts a search query matches (the query language of docs/search.md).
    Query(String),
    /// The posts of a channel, named as `channel:` names it (archive id, username, title,
    /// `t.me` link).
    Channel(String),
    /// The posts with a hashtag (with or without `#`).
    Hashtag(String),
    /// The posts a narrative matches (its current version's queries, any of them:
    /// docs/narratives.md).
    Narrative(String),
}

/// A feed to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRequest {
    /// What it follows.
    pub source: FeedSource,
    /// Its format.
    pub format: FeedFormat,
    /// Entries per page (1 to [`MAX_FEED_LIMIT`]).
    pub limit: usize,
    /// The page, from 1 (the newest posts).
    pub page: usize,
    /// The address of a `tgscope serve` of this archive (`http://127.0.0.1:8080`): the feed's
    /// own, paging and page links, and the links of posts without a `t.me` link, are made
    /// from it. Without it the feed has only `t.me` links.
    pub base_url: Option<String>,
}

impl FeedRequest {
    /// The first page of `source` in `format`, [`DEFAULT_FEED_LIMIT`] entries, no base URL.
    pub fn new(source: FeedSource, format: FeedFormat) -> FeedRequest {
        FeedRequest {
            source,
            format,
            limit: DEFAULT_FEED_LIMIT,
            page: 1,
            base_url: None,
        }
    }
}

/// A feed document with what front ends tell about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// The document.
    pub body: String,
    /// Its format.
    pub format: FeedFormat,
    /// The feed's title.
    pub title: String,
    /// Every post the feed follows (on every page).
    pub total: u64,
    /// Entries on this page.
    pub entries: usize,
    /// This page (from 1).
    pub page: usize,
    /// Pages in all (at least 1).
    pub pages: usize,
    /// The feed's `updated` time (RFC 3339): the newest `updated` of its entries, or for an
    /// empty page the completion time of the archive's newest capture (else
    /// [`EMPTY_FEED_UPDATED`]).
    pub updated: String,
    /// A strong HTTP entity tag of the body (quoted).
    pub etag: String,
    /// The path of this feed on a server (`/feeds/channels/mfarussia.atom`), without its
    /// paging parameters.
    pub path: String,
    /// Whether a writer at work was still bringing the index up to the archive: posts may be
    /// missing.
    pub index_catching_up: bool,
}

impl Feed {
    /// Whether later pages hold more posts.
    pub fn has_next(&self) -> bool {
        self.page < self.pages
    }
}

/// The permanent id of a post's entry (the same in every format and on every page, and after
/// edits): `tag:tgscope,2026:` and
///
/// - `tg/<telegram id>/<message id>` when the channel's Telegram id is known;
/// - `tme/<username, lower case>/<message id>` when its username is known instead;
/// - `archive/post/<archive id>` otherwise (a post without a message id, from a plain-text
///   capture, or a channel known by its title only): stable within this archive, not across
///   archives.
pub fn entry_id(channel: &ChannelInfo, message_id: Option<i64>, post_id: i64) -> String {
    match (message_id, channel_identity(channel)) {
        (Some(message), Some(identity)) => format!("{TAG_PREFIX}{identity}/{message}"),
        _ => format!("{TAG_PREFIX}archive/post/{post_id}"),
    }
}

/// The part of an id that names a channel: `tg/<id>` or `tme/<username>`; `None` for a channel
/// known by neither.
fn channel_identity(channel: &ChannelInfo) -> Option<String> {
    if let Some(tg) = channel.tg_id {
        return Some(format!("tg/{tg}"));
    }
    channel
        .username
        .as_deref()
        .filter(|u| looks_like_username(u))
        .map(|u| format!("tme/{}", u.to_ascii_lowercase()))
}

/// The name of a channel in the server's paths: its username when it looks like one, else its
/// archive id (as the server's pages name it).
fn channel_key(channel: &ChannelInfo) -> String {
    match &channel.username {
        Some(u) if looks_like_username(u) => u.clone(),
        _ => channel.id.to_string(),
    }
}

/// What a source is, for the feed's title, id and links, once resolved.
struct Described {
    /// The feed's id.
    id: String,
    /// Its title.
    title: String,
    /// What it follows, in words ("posts matching …").
    what: String,
    /// Its path on a server, without the extension (`/feeds/channels/mfarussia`).
    path: String,
    /// Its query-string pairs besides paging (`q` of a search).
    params: Vec<(&'static str, String)>,
    /// The server's page of the same posts, with its query string.
    page: String,
    /// The author of the feed: the channel, or the archive.
    author: Author,
}

/// An author: a name and a page.
#[derive(Debug, Clone, Serialize)]
struct Author {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

impl FeedSource {
    /// Resolves the source (an unknown channel is an error) and runs its search: newest first,
    /// `limit` posts after `offset`.
    fn describe_and_search(
        &self,
        engine: &mut Engine,
        limit: usize,
        offset: usize,
    ) -> Result<(Described, SearchPage)> {
        match self {
            FeedSource::Query(query) => {
                let query = query.trim();
                if query.is_empty() {
                    return Err(EngineError::BadRequest(
                        "a query feed needs a query (the query language of docs/search.md)".into(),
                    ));
                }
                let page = engine.search(query, SortBy::Newest, limit, offset)?;
                let described = Described {
                    id: format!("{TAG_PREFIX}feed/search?q={}", percent_encoded(query)),
                    title: format!("{query} — tgscope search"),
                    what: format!("posts matching the query {query}"),
                    path: "/feeds/search".into(),
                    params: vec![("q", query.to_owned())],
                    page: format!("/search?q={}&sort=date", percent_encoded(query)),
                    author: archive_author(),
                };
                Ok((described, page))
            }
            FeedSource::Channel(name) => {
                let id = engine.resolve_channel(name, crate::ChannelRole::Channel)?;
                let summary = engine
                    .store
                    .channel_summary(id)?
                    .ok_or_else(|| EngineError::Archive(format!("channel {id} vanished")))?;
                let channel = summary.channel;
                let page =
                    engine.search(&format!("channel:{id}"), SortBy::Newest, limit, offset)?;
                let key = channel_key(&channel);
                let identity = channel_identity(&channel)
                    .unwrap_or_else(|| format!("archive/channel/{}", channel.id));
                let name = channel.name();
                let described = Described {
                    id: format!("{TAG_PREFIX}feed/channel/{identity}"),
                    title: match (&channel.title, &channel.username) {
                        (Some(title), Some(username))
                            if title != username && looks_like_username(username) =>
                        {
                            format!("{title} (@{username}) — tgscope")
                        }
                        _ => format!("{name} — tgscope"),
                    },
                    what: format!("posts of the channel {name}"),
                    path: format!("/feeds/channels/{}", percent_encoded(&key)),
                    params: Vec::new(),
                    page: format!("/channels/{}", percent_encoded(&key)),
                    author: Author {
                        name,
                        url: telegram_channel(&channel),
                    },
                };
                Ok((described, page))
            }
            FeedSource::Hashtag(tag) => {
                let tag = tag.trim().trim_start_matches('#');
                if tag.is_empty()
                    || tag
                        .chars()
                        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\\'))
                {
                    return Err(EngineError::BadRequest(format!(
                        "{tag:?} is not a hashtag (a hashtag has no spaces, quotes or \
                         backslashes)"
                    )));
                }
                // The archive's spelling of the tag, when a post uses it.
                let shown = engine
                    .hashtag(tag)?
                    .map(|t| t.tag)
                    .unwrap_or_else(|| tag.to_owned());
                let page =
                    engine.search(&format!("tag:\"{tag}\""), SortBy::Newest, limit, offset)?;
                let key = tgscope_text::names::tag_key(tag);
                let described = Described {
                    id: format!("{TAG_PREFIX}feed/hashtag/{}", percent_encoded(&key)),
                    title: format!("#{shown} — tgscope"),
                    what: format!("posts with the hashtag #{shown}"),
                    path: format!("/feeds/hashtags/{}", percent_encoded(&shown)),
                    params: Vec::new(),
                    page: format!("/hashtags/{}", percent_encoded(&shown)),
                    author: archive_author(),
                };
                Ok((described, page))
            }
            FeedSource::Narrative(name) => {
                let record = engine.narrative(name.trim())?;
                let page = engine.narrative_search(&record.name, SortBy::Newest, limit, offset)?;
                let version = record.current().map_or(0, |v| v.version);
                let description = record
                    .current()
                    .map(|v| v.description.trim().to_owned())
                    .filter(|d| !d.is_empty());
                let key = record.name.to_lowercase();
                let described = Described {
                    // The narrative's name, not its version: an edit of the definition keeps
                    // the feed (its entries follow the current version's matches).
                    id: format!("{TAG_PREFIX}feed/narrative/{}", percent_encoded(&key)),
                    title: format!("{} — tgscope narrative", record.name),
                    what: match description {
                        Some(d) => format!(
                            "posts matching the narrative {} (version {version}): {d}",
                            record.name
                        ),
                        None => format!(
                            "posts matching the narrative {} (version {version})",
                            record.name
                        ),
                    },
                    path: format!("/feeds/narratives/{}", percent_encoded(&record.name)),
                    params: Vec::new(),
                    page: format!("/narratives/{}", percent_encoded(&record.name)),
                    author: archive_author(),
                };
                Ok((described, page))
            }
        }
    }
}

fn archive_author() -> Author {
    Author {
        name: "tgscope archive".into(),
        url: None,
    }
}

/// `https://t.me/s/<username>` of a channel with a username.
fn telegram_channel(channel: &ChannelInfo) -> Option<String> {
    crate::export::records::telegram_channel_url(channel.username.as_deref())
}

use crate::export::records::telegram_post_url as telegram_post;

impl Engine {
    /// A page of a feed (see the module documentation and docs/feeds.md): an unknown channel is
    /// not found, a bad query or hashtag, a limit of 0 or above [`MAX_FEED_LIMIT`] or a page of 0
    /// a user's error. A page past the last is a feed without entries that says so.
    pub fn feed(&mut self, request: &FeedRequest) -> Result<Feed> {
        if request.limit == 0 || request.limit > MAX_FEED_LIMIT {
            return Err(EngineError::BadRequest(format!(
                "a feed page holds 1 to {MAX_FEED_LIMIT} entries, not {}",
                request.limit
            )));
        }
        if request.page == 0 {
            return Err(EngineError::BadRequest(
                "feed pages are numbered from 1".into(),
            ));
        }
        let offset = (request.page - 1)
            .checked_mul(request.limit)
            .ok_or_else(|| EngineError::BadRequest(format!("no page {}", request.page)))?;
        let base = request
            .base_url
            .as_deref()
            .map(|b| b.trim().trim_end_matches('/').to_owned())
            .filter(|b| !b.is_empty());
        let (described, found) = request
            .source
            .describe_and_search(self, request.limit, offset)?;
        let mut entries = Vec::with_capacity(found.hits.len());
        for hit in &in_stable_order(&found) {
            let detail = self.post(hit.post.id)?;
            entries.push(entry(&detail, base.as_deref()));
        }
        let total = found.total;
        let pages = usize::try_from(total.div_ceil(request.limit as u64))
            .unwrap_or(usize::MAX)
            .max(1);
        let updated = match entries.iter().map(|e| &e.updated).max() {
            Some(newest) => newest.clone(),
            None => self.empty_feed_updated()?,
        };
        let links = Links::new(&described, request, base.as_deref(), pages);
        let document = Document {
            described: &described,
            request,
            total,
            pages,
            offset,
            updated: &updated,
            links: &links,
            entries: &entries,
            catching_up: found.index_catching_up,
        };
        let body = match request.format {
            FeedFormat::Atom => atom(&document),
            FeedFormat::Rss => rss(&document),
            FeedFormat::Json => json(&document)?,
        };
        let etag = format!(
            "\"{}\"",
            &hex::encode(Sha256::digest(body.as_bytes()))[..32]
        );
        Ok(Feed {
            body,
            format: request.format,
            title: described.title.clone(),
            total,
            entries: entries.len(),
            page: request.page,
            pages,
            updated,
            etag,
            path: format!("{}.{}", described.path, request.format.extension()),
            index_catching_up: found.index_catching_up,
        })
    }

    /// The `updated` time of a page without entries: when the archive's newest capture was
    /// completed (the archive as the feed saw it), else [`EMPTY_FEED_UPDATED`].
    fn empty_feed_updated(&self) -> Result<String> {
        let newest = self
            .store
            .captures()?
            .into_iter()
            .filter_map(|c| c.completed_at.as_deref().and_then(parse_time))
            .max();
        Ok(newest.map_or_else(|| EMPTY_FEED_UPDATED.to_owned(), rfc3339))
    }
}

/// The page's hits, newest first as the index gave them, with each run of hits of the same date
/// put in one order (by post id: the order they were archived in, as the index breaks ties), so
/// that the order within a page does not depend on how the index lays out its documents. Hits
/// of other dates are never moved.
fn in_stable_order(page: &SearchPage) -> Vec<&crate::SearchHit> {
    let date = |hit: &crate::SearchHit| {
        let v = &hit.post.current;
        v.date
            .as_deref()
            .or(v.date_inferred.as_ref().map(|d| d.date.as_str()))
            .and_then(crate::search::unix_seconds)
    };
    let mut hits: Vec<&crate::SearchHit> = page.hits.iter().collect();
    let mut start = 0;
    while start < hits.len() {
        let key = date(hits[start]);
        let end = start + hits[start..].iter().take_while(|h| date(h) == key).count();
        hits[start..end].sort_by_key(|h| h.post.id);
        start = end;
    }
    hits
}

/// The links of a feed page: its own, the server's page, and paging (RFC 5005).
struct Links {
    this: Option<String>,
    page: Option<String>,
    first: Option<String>,
    previous: Option<String>,
    next: Option<String>,
    last: Option<String>,
}

impl Links {
    fn new(
        described: &Described,
        request: &FeedRequest,
        base: Option<&str>,
        pages: usize,
    ) -> Links {
        let Some(base) = base else {
            return Links {
                this: None,
                page: None,
                first: None,
                previous: None,
                next: None,
                last: None,
            };
        };
        let at = |page: usize| {
            let mut pairs: Vec<(&str, String)> = described
                .params
                .iter()
                .map(|(k, v)| (*k, v.clone()))
                .collect();
            if request.limit != DEFAULT_FEED_LIMIT {
                pairs.push(("limit", request.limit.to_string()));
            }
            if page > 1 {
                pairs.push(("page", page.to_string()));
            }
            let mut url = format!("{base}{}.{}", described.path, request.format.extension());
            for (i, (k, v)) in pairs.iter().enumerate() {
                url.push(if i == 0 { '?' } else { '&' });
                url.push_str(k);
                url.push('=');
                url.push_str(&percent_encoded(v));
            }
            url
        };
        Links {
            this: Some(at(request.page)),
            page: Some(format!("{base}{}", described.page)),
            first: Some(at(1)),
            previous: (request.page > 1).then(|| at((request.page - 1).min(pages))),
            next: (request.page < pages).then(|| at(request.page + 1)),
            last: Some(at(pages)),
        }
    }
}

/// Everything a renderer writes.
struct Document<'a> {
    described: &'a Described,
    request: &'a FeedRequest,
    total: u64,
    pages: usize,
    offset: usize,
    updated: &'a str,
    links: &'a Links,
    entries: &'a [Entry],
    catching_up: bool,
}

impl Document<'_> {
    /// What the feed holds, in a sentence or two: which posts of how many, and where the rest
    /// are.
    fn description(&self) -> String {
        let d = self.described;
        let mut text = format!(
            "The {} in a tgscope archive, newest first.",
            d.what.trim_end_matches('.')
        );
        let shown = self.entries.len();
        let page = self.request.page;
        if shown == 0 && self.total > 0 {
            let _ = write!(
                text,
                " Page {page} is past the last page ({} posts on {} pages).",
                self.total, self.pages
            );
        } else if self.total == 0 {
            text.push_str(" No post matches yet.");
        } else if self.total == 1 {
            text.push_str(" Its one post is here.");
        } else if self.pages == 1 {
            let _ = write!(text, " All {} posts are here.", self.total);
        } else {
            let _ = write!(
                text,
                " Page {page} of {}: posts {}–{} of {}.",
                self.pages,
                self.offset + 1,
                self.offset + shown,
                self.total
            );
            if page < self.pages {
                match &self.links.next {
                    Some(next) => {
                        let _ = write!(text, " Older posts: {next}");
                    }
                    None => {
                        let _ = write!(text, " Older posts are on page {}.", page + 1);
                    }
                }
            }
        }
        if self.catching_up {
            text.push_str(
                " An ingest was at work and the search index was catching up with it: posts \
                 may be missing.",
            );
        }
        text
    }
}

/// How an entry's `updated` time is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum UpdatedFrom {
    /// The capture gave the time of the edit.
    EditTime,
    /// The post has several versions and the capture gave no edit time: the time the archive
    /// first saw the current text.
    EditSeen,
    /// The post's own date (observed or inferred): it was not edited as far as the archive
    /// knows.
    PostDate,
    /// The post has no date: the time the archive first captured it.
    FirstCaptured,
}

/// The post's date as the feed writes it.
#[derive(Debug, Clone, Serialize)]
struct PostDate {
    /// RFC 3339 UTC.
    date: String,
    /// `observed` or `inferred`.
    basis: &'static str,
    /// For an inferred date: how (`text_date`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    inferred_from: Option<String>,
    /// For an inferred date: the text it was inferred from.
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<String>,
}

/// One entry, the same for every format.
struct Entry {
    id: String,
    title: String,
    link: Option<String>,
    published: Option<PostDate>,
    updated: String,
    content_html: String,
    categories: Vec<String>,
    author: Author,
    extension: EntryExtension,
}

/// JSON Feed's `_tgscope` object of an item.
#[derive(Debug, Clone, Serialize)]
struct EntryExtension {
    /// The post's archive id.
    post_id: i64,
    /// Telegram's message id, when known.
    message_id: Option<i64>,
    /// Its channel.
    channel: ChannelExtension,
    /// The post's date and how it is known (`null`: no date).
    date: Option<PostDate>,
    /// Where `updated` (`date_modified`) comes from.
    updated_from: UpdatedFrom,
    /// When the archive first captured the post (RFC 3339).
    first_captured_at: Option<String>,
    /// Versions of the post in the archive.
    versions: i64,
    /// The forward's source, for a forward.
    forward: Option<ForwardExtension>,
}

#[derive(Debug, Clone, Serialize)]
struct ChannelExtension {
    id: i64,
    telegram_id: Option<i64>,
    username: Option<String>,
    title: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct ForwardExtension {
    title: Option<String>,
    username: Option<String>,
    message_id: Option<i64>,
    date: Option<String>,
    url: Option<String>,
}

/// A time as RFC 3339 UTC with seconds: `2024-03-01T10:00:00Z`.
fn rfc3339(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A time as the archive writes it: RFC 3339 (any offset), or a local time without an offset
/// (`2024-03-01T10:00:00`, `2024-03-01T10:00`) or a day (`2024-03-01`), both read as UTC.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(at.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

/// The post's date: the current version's observed date, else any version's, else an
/// inferred one the same way.
fn post_date(detail: &PostDetail) -> Option<PostDate> {
    let versions = || std::iter::once(&detail.post.current).chain(detail.versions.iter());
    if let Some(at) = versions().find_map(|v| v.date.as_deref().and_then(parse_time)) {
        return Some(PostDate {
            date: rfc3339(at),
            basis: "observed",
            inferred_from: None,
            evidence: None,
        });
    }
    versions().find_map(|v: &VersionRecord| {
        let inferred = v.date_inferred.as_ref()?;
        let at = parse_time(&inferred.date)?;
        Some(PostDate {
            date: rfc3339(at),
            basis: "inferred",
            inferred_from: Some(inferred.basis.as_str().to_owned()),
            evidence: Some(clean(&inferred.evidence)).filter(|e| !e.is_empty()),
        })
    })
}

/// One post as an entry.
fn entry(detail: &PostDetail, base: Option<&str>) -> Entry {
    let post = &detail.post;
    let v = &post.current;
    let channel = &post.channel;
    let published = post_date(detail);
    let first_captured = detail
        .sightings
        .iter()
        .filter_map(|s| parse_time(&s.observed_at))
        .min();
    let current_seen = detail
        .sightings
        .iter()
        .filter(|s| s.version_seq == v.seq)
        .filter_map(|s| parse_time(&s.observed_at))
        .min();
    let published_at = published.as_ref().and_then(|d| parse_time(&d.date));
    let edit_time = v.edited_at.as_deref().and_then(parse_time);
    let (updated_at, updated_from) = match (edit_time, current_seen, published_at) {
        (Some(at), _, _) => (Some(at), UpdatedFrom::EditTime),
        (None, Some(seen), date) if post.version_count > 1 => {
            // The edit was made by the time the archive first saw its text (and never before
            // the post itself).
            (
                Some(date.map_or(seen, |d| d.max(seen))),
                UpdatedFrom::EditSeen,
            )
        }
        (None, _, Some(date)) => (Some(date), UpdatedFrom::PostDate),
        (None, _, None) => (first_captured, UpdatedFrom::FirstCaptured),
    };
    // A post is always sighted by some capture; an archive time that cannot be read is the
    // one thing left, and then the epoch says "unknown" rather than the clock saying "now".
    let updated = updated_at.map_or_else(|| EMPTY_FEED_UPDATED.to_owned(), rfc3339);
    let name = clean(&channel.name());
    let post_url = telegram_post(channel.username.as_deref(), post.message_id);
    let archive_url = base.map(|b| format!("{b}/posts/{}", post.id));
    let forward = v.forward.as_ref().map(|f| ForwardExtension {
        title: f.title.as_deref().map(clean),
        username: f.username.as_deref().map(clean),
        message_id: f.message_id,
        date: f.date.as_deref().and_then(parse_time).map(rfc3339),
        url: telegram_post(f.username.as_deref(), f.message_id),
    });
    let mut categories: Vec<String> = Vec::new();
    for tag in &v.hashtags {
        let tag = clean(&tag.value);
        if !categories.contains(&tag) {
            categories.push(tag);
        }
    }
    let content_html = content_html(
        detail,
        &name,
        post_url.as_deref(),
        archive_url.as_deref(),
        published.as_ref(),
        (updated_from, &updated),
        first_captured.map(rfc3339).as_deref(),
        forward.as_ref(),
    );
    Entry {
        id: entry_id(channel, post.message_id, post.id),
        title: title(&v.text, v, &name),
        link: post_url.or(archive_url),
        updated,
        content_html,
        categories,
        author: Author {
            name: name.clone(),
            url: telegram_channel(channel),
        },
        extension: EntryExtension {
            post_id: post.id,
            message_id: post.message_id,
            channel: ChannelExtension {
                id: channel.id,
                telegram_id: channel.tg_id,
                username: channel.username.as_deref().map(clean),
                title: channel.title.as_deref().map(clean),
            },
            date: published.clone(),
            updated_from,
            first_captured_at: first_captured.map(rfc3339),
            versions: post.version_count,
            forward,
        },
        published,
    }
}

/// The entry's title: the first line with text, cut to [`TITLE_CHARS`]; for a post without
/// text, what it holds.
fn title(text: &str, v: &VersionRecord, channel: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty());
    match line {
        Some(line) => {
            let line = clean(line);
            if line.chars().count() > TITLE_CHARS {
                let cut: String = line.chars().take(TITLE_CHARS - 1).collect();
                format!("{}…", cut.trim_end())
            } else {
                line
            }
        }
        None => {
            let kinds = media_kinds(v);
            if v.unviewable {
                format!("A post of {channel} that only Telegram's apps show")
            } else if kinds.is_empty() {
                format!("A post of {channel} without text")
            } else {
                format!("{} ({channel}, no text)", kinds.join(", "))
            }
        }
    }
}

fn media_kinds(v: &VersionRecord) -> Vec<&'static str> {
    let mut kinds: Vec<&'static str> = Vec::new();
    for m in &v.media {
        let kind = match m.kind {
            tgscope_model::MediaKind::Unknown => "media",
            other => other.as_str(),
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    kinds
}

/// The entry's content: the post's text as HTML (escaped, line breaks, its links), its media,
/// and a provenance paragraph: channel, Telegram link, archive page, forward source, date and
/// how it is known, edits.
#[allow(clippy::too_many_arguments)]
fn content_html(
    detail: &PostDetail,
    channel: &str,
    post_url: Option<&str>,
    archive_url: Option<&str>,
    published: Option<&PostDate>,
    (updated_from, updated): (UpdatedFrom, &str),
    first_captured: Option<&str>,
    forward: Option<&ForwardExtension>,
) -> String {
    let post = &detail.post;
    let v = &post.current;
    let mut html = String::new();
    if !v.text.trim().is_empty() {
        html.push_str("<p>");
        html.push_str(&text_html(&v.text, &v.links));
        html.push_str("</p>\n");
    }
    if v.unviewable {
        html.push_str("<p>The capture showed only “Please open Telegram to view this post”.</p>\n");
    }
    let kinds = media_kinds(v);
    if !kinds.is_empty() {
        let _ = writeln!(html, "<p>Media: {}.</p>", html_escaped(&kinds.join(", ")));
    }
    let mut facts: Vec<String> = Vec::new();
    let channel_html = match telegram_channel(&post.channel) {
        Some(url) => format!(
            "<a href=\"{}\">{}</a>",
            html_escaped(&url),
            html_escaped(channel)
        ),
        None => html_escaped(channel),
    };
    facts.push(format!("Channel: {channel_html}"));
    match post_url {
        Some(url) => facts.push(format!(
            "on Telegram: <a href=\"{}\">{}</a>",
            html_escaped(url),
            html_escaped(url.trim_start_matches("https://"))
        )),
        None => facts.push(
            match post.message_id {
                None => "no Telegram link (the captures gave no message id)",
                Some(_) => "no Telegram link (the channel's username is not known)",
            }
            .to_owned(),
        ),
    }
    if let Some(url) = archive_url {
        facts.push(format!(
            "<a href=\"{}\">in the archive (post {})</a>",
            html_escaped(url),
            post.id
        ));
    }
    if let Some(f) = forward {
        let name = f
            .title
            .clone()
            .or_else(|| f.username.clone())
            .unwrap_or_else(|| "an unknown source".into());
        let mut text = format!("Forwarded from {}", html_escaped(&name));
        if let Some(url) = &f.url {
            let _ = write!(
                text,
                " (<a href=\"{}\">original post</a>)",
                html_escaped(url)
            );
        }
        if let Some(date) = &f.date {
            let _ = write!(text, ", first posted {}", html_escaped(date));
        }
        facts.push(text);
    }
    match published {
        Some(d) if d.basis == "observed" => facts.push(format!("Posted {}", d.date)),
        Some(d) => {
            let mut text = format!(
                "Date inferred: {} (from {}",
                d.date,
                basis_words(d.inferred_from.as_deref().unwrap_or(""))
            );
            if let Some(evidence) = &d.evidence {
                let _ = write!(text, ": “{}”", html_escaped(evidence));
            }
            text.push(')');
            facts.push(text);
        }
        None => facts.push(format!(
            "Date unknown: no capture or text gave it; the archive first captured the post at \
             {}, the time given as updated",
            first_captured.unwrap_or("an unknown time")
        )),
    }
    match updated_from {
        UpdatedFrom::EditTime => facts.push(format!("edited {updated}")),
        UpdatedFrom::EditSeen => facts.push(format!(
            "edited: the archive first saw this text at {updated} (the capture gave no edit time)"
        )),
        UpdatedFrom::PostDate | UpdatedFrom::FirstCaptured => {}
    }
    if post.version_count > 1 {
        facts.push(format!(
            "{} versions in the archive (this is the latest)",
            post.version_count
        ));
    }
    let _ = writeln!(html, "<p>{}.</p>", facts.join(" · "));
    html
}

/// How an inferred date was inferred, in words.
fn basis_words(basis: &str) -> &'static str {
    match basis {
        "text_date" => "a date written in the text; a day alone is written as its midnight UTC",
        "text_day_month_neighbour_year" => {
            "a day and month in the text, the year from neighbouring posts"
        }
        "day_separator" => "the day separator above it in the capture",
        "desktop_copy_header" => {
            "the Telegram Desktop copy header, the copying computer's clock read as UTC"
        }
        "export_local_time" => "the export's local time, its UTC offset unknown, read as UTC",
        "html_export_time" => "the time of a Desktop HTML export",
        _ => "the capture",
    }
}

/// A post's text as HTML: escaped, line breaks as `<br>`, its links (http and https only) as
/// anchors over their labels.
fn text_html(text: &str, links: &[tgscope_model::Link]) -> String {
    let mut spans: Vec<(usize, usize, &str)> = links
        .iter()
        .filter_map(|l| {
            let span = l.span?;
            let url = l.url.as_deref().map(str::trim)?;
            let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
            let web = lower.starts_with("https://") || lower.starts_with("http://");
            (web && span.start < span.end
                && span.end <= text.len()
                && text.is_char_boundary(span.start)
                && text.is_char_boundary(span.end))
            .then_some((span.start, span.end, url))
        })
        .collect();
    spans.sort_by_key(|(start, end, _)| (*start, std::cmp::Reverse(*end)));
    let mut html = String::with_capacity(text.len() + 16);
    let mut at = 0;
    for (start, end, url) in spans {
        if start < at {
            continue; // overlaps the link before
        }
        html.push_str(&lines_html(&text[at..start]));
        let _ = write!(
            html,
            "<a href=\"{}\">{}</a>",
            html_escaped(&clean(url)),
            lines_html(&text[start..end])
        );
        at = end;
    }
    html.push_str(&lines_html(&text[at..]));
    html
}

/// Text escaped for HTML, its line breaks as `<br>`.
fn lines_html(text: &str) -> String {
    html_escaped(&clean(text)).replace('\n', "<br>\n")
}

/// Text escaped for HTML text and attribute values.
fn html_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text with the characters XML 1.0 does not allow (control characters other than tab, line
/// feed and carriage return; U+FFFE, U+FFFF) replaced by U+FFFD, so that every format carries
/// the same text.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t'
            | '\n'
            | '\r'
            | '\u{20}'..='\u{D7FF}'
            | '\u{E000}'..='\u{FFFD}'
            | '\u{10000}'.. => c,
            _ => '\u{FFFD}',
        })
        .collect()
}

/// Text escaped for XML text and attribute values (after [`clean`]).
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in clean(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// Everything but the unreserved characters of RFC 3986 percent-encoded (UTF-8).
fn percent_encoded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A time as RSS writes it (RFC 822, as RFC 1123 with a four-digit year): `Fri, 01 Mar 2024
/// 10:00:00 +0000`.
fn rfc822(rfc3339_time: &str) -> String {
    parse_time(rfc3339_time)
        .map(|at| at.format("%a, %d %b %Y %H:%M:%S +0000").to_string())
        .unwrap_or_default()
}

/// The Atom 1.0 document.
fn atom(d: &Document<'_>) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(out, "  <id>{}</id>", xml(&d.described.id));
    let _ = writeln!(
        out,
        "  <title type=\"text\">{}</title>",
        xml(&d.described.title)
    );
    let _ = writeln!(
        out,
        "  <subtitle type=\"text\">{}</subtitle>",
        xml(&d.description())
    );
    let _ = writeln!(out, "  <updated>{}</updated>", xml(d.updated));
    atom_author(&mut out, "  ", &d.described.author);
    let _ = writeln!(
        out,
        "  <generator version=\"{}\">tgscope</generator>",
        env!("CARGO_PKG_VERSION")
    );
    let link = |out: &mut String, rel: &str, url: &Option<String>, media: &str| {
        if let Some(url) = url {
            let _ = writeln!(
                out,
                "  <link rel=\"{rel}\" type=\"{media}\" href=\"{}\"/>",
                xml(url)
            );
        }
    };
    let own = d.request.format.media_type();
    link(&mut out, "self", &d.links.this, own);
    link(&mut out, "alternate", &d.links.page, "text/html");
    link(&mut out, "first", &d.links.first, own);
    link(&mut out, "previous", &d.links.previous, own);
    link(&mut out, "next", &d.links.next, own);
    link(&mut out, "last", &d.links.last, own);
    for e in d.entries {
        out.push_str("  <entry>\n");
        let _ = writeln!(out, "    <id>{}</id>", xml(&e.id));
        let _ = writeln!(out, "    <title type=\"text\">{}</title>", xml(&e.title));
        let _ = writeln!(out, "    <updated>{}</updated>", xml(&e.updated));
        if let Some(p) = &e.published {
            let _ = writeln!(out, "    <published>{}</published>", xml(&p.date));
        }
        atom_author(&mut out, "    ", &e.author);
        if let Some(link) = &e.link {
            let _ = writeln!(
                out,
                "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
                xml(link)
            );
        }
        for c in &e.categories {
            let _ = writeln!(
                out,
                "    <category term=\"{}\" label=\"#{}\"/>",
                xml(c),
                xml(c)
            );
        }
        let _ = writeln!(
            out,
            "    <content type=\"html\">{}</content>",
            xml(&e.content_html)
        );
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

fn atom_author(out: &mut String, indent: &str, author: &Author) {
    let _ = write!(out, "{indent}<author><name>{}</name>", xml(&author.name));
    if let Some(url) = &author.url {
        let _ = write!(out, "<uri>{}</uri>", xml(url));
    }
    out.push_str("</author>\n");
}

/// The RSS 2.0 document (with Atom's `link` for its own address and paging).
fn rss(d: &Document<'_>) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str(
        "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n",
    );
    out.push_str("  <channel>\n");
    let _ = writeln!(out, "    <title>{}</title>", xml(&d.described.title));
    // RSS requires a link to the channel's web page: the server's page, else the Telegram
    // channel's, else (a file made without a base URL) none.
    let home = d
        .links
        .page
        .clone()
        .or_else(|| d.described.author.url.clone());
    if let Some(home) = &home {
        let _ = writeln!(out, "    <link>{}</link>", xml(home));
    }
    let _ = writeln!(
        out,
        "    <description>{}</description>",
        xml(&d.description())
    );
    let _ = writeln!(
        out,
        "    <lastBuildDate>{}</lastBuildDate>",
        rfc822(d.updated)
    );
    let _ = writeln!(
        out,
        "    <generator>tgscope {}</generator>",
        env!("CARGO_PKG_VERSION")
    );
    out.push_str("    <docs>https://www.rssboard.org/rss-specification</docs>\n");
    let own = d.request.format.media_type();
    for (rel, url) in [
        ("self", &d.links.this),
        ("first", &d.links.first),
        ("previous", &d.links.previous),
        ("next", &d.links.next),
        ("last", &d.links.last),
    ] {
        if let Some(url) = url {
            let _ = writeln!(
                out,
                "    <atom:link rel=\"{rel}\" type=\"{own}\" href=\"{}\"/>",
                xml(url)
            );
        }
    }
    for e in d.entries {
        out.push_str("    <item>\n");
        let _ = writeln!(out, "      <title>{}</title>", xml(&e.title));
        if let Some(link) = &e.link {
            let _ = writeln!(out, "      <link>{}</link>", xml(link));
        }
        let _ = writeln!(
            out,
            "      <guid isPermaLink=\"false\">{}</guid>",
            xml(&e.id)
        );
        if let Some(p) = &e.published {
            let _ = writeln!(out, "      <pubDate>{}</pubDate>", rfc822(&p.date));
        }
        let _ = writeln!(
            out,
            "      <dc:creator>{}</dc:creator>",
            xml(&e.author.name)
        );
        for c in &e.categories {
            let _ = writeln!(out, "      <category>{}</category>", xml(c));
        }
        let _ = writeln!(
            out,
            "      <description>{}</description>",
            xml(&e.content_html)
        );
        out.push_str("    </item>\n");
    }
    out.push_str("  </channel>\n</rss>\n");
    out
}

/// JSON Feed 1.1, in the order of the specification.
#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    home_page_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    feed_url: Option<&'a str>,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<&'a str>,
    authors: Vec<&'a Author>,
    _tgscope: FeedExtension<'a>,
    items: Vec<JsonItem<'a>>,
}

/// JSON Feed's `_tgscope` object of the feed.
#[derive(Serialize)]
struct FeedExtension<'a> {
    id: &'a str,
    updated: &'a str,
    total: u64,
    page: usize,
    pages: usize,
    limit: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_url: Option<&'a str>,
    index_catching_up: bool,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    title: &'a str,
    content_html: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_published: Option<&'a str>,
    date_modified: &'a str,
    authors: [&'a Author; 1],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    _tgscope: &'a EntryExtension,
}

fn json(d: &Document<'_>) -> Result<String> {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &d.described.title,
        home_page_url: d.links.page.as_deref(),
        feed_url: d.links.this.as_deref(),
        description: d.description(),
        next_url: d.links.next.as_deref(),
        authors: vec![&d.described.author],
        _tgscope: FeedExtension {
            id: &d.described.id,
            updated: d.updated,
            total: d.total,
            page: d.request.page,
            pages: d.pages,
            limit: d.request.limit,
            first_url: d.links.first.as_deref(),
            previous_url: d.links.previous.as_deref(),
            last_url: d.links.last.as_deref(),
            index_catching_up: d.catching_up,
        },
        items: d
            .entries
            .iter()
            .map(|e| JsonItem {
                id: &e.id,
                url: e.link.as_deref(),
                title: &e.title,
                content_html: &e.content_html,
                date_published: e.published.as_ref().map(|p| p.date.as_str()),
                date_modified: &e.updated,
                authors: [&e.author],
                tags: &e.categories,
                _tgscope: &e.extension,
            })
            .collect(),
    };
    let mut body = serde_json::to_string_pretty(&feed)
        .map_err(|e| EngineError::Archive(format!("writing a JSON feed: {e}")))?;
    body.push('\n');
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(tg_id: Option<i64>, username: Option<&str>) -> ChannelInfo {
        ChannelInfo {
            id: 7,
            tg_id,
            username: username.map(str::to_owned),
            title: Some("Russian MFA 🇷🇺".into()),
            kind: None,
        }
    }

    #[test]
    fn entry_ids_name_the_channel_by_its_telegram_id_else_its_username() {
        assert_eq!(
            entry_id(&channel(Some(1000000001), Some("MFARussia")), Some(5), 3),
            "tag:tgscope,2026:tg/1000000001/5"
        );
        assert_eq!(
            entry_id(&channel(None, Some("MFARussia")), Some(5), 3),
            "tag:tgscope,2026:tme/mfarussia/5"
        );
        assert_eq!(
            entry_id(&channel(None, Some("MFARussia")), None, 3),
            "tag:tgscope,2026:archive/post/3"
        );
        assert_eq!(
            entry_id(&channel(None, Some("Russian MFA")), Some(5), 3),
            "tag:tgscope,2026:archive/post/3"
        );
    }

    #[test]
    fn archive_times_are_read_as_utc_and_written_with_seconds() {
        let at = |s: &str| parse_time(s).map(rfc3339);
        assert_eq!(
            at("2024-03-01T10:00:00Z").as_deref(),
            Some("2024-03-01T10:00:00Z")
        );
        assert_eq!(
            at("2024-03-01T13:00:00+03:00").as_deref(),
            Some("2024-03-01T10:00:00Z")
        );
        assert_eq!(
            at("2024-03-01T10:00").as_deref(),
            Some("2024-03-01T10:00:00Z")
        );
        assert_eq!(at("2024-03-01").as_deref(), Some("2024-03-01T00:00:00Z"));
        assert_eq!(at("1 March"), None);
        assert_eq!(
            rfc822("2024-03-01T10:00:00Z"),
            "Fri, 01 Mar 2024 10:00:00 +0000"
        );
    }

    #[test]
    fn hostile_text_is_escaped_and_characters_xml_forbids_are_replaced() {
        assert_eq!(
            xml("<script>a&b\"c'\u{0}\u{1b}\u{fffe}\r"),
            "&lt;script&gt;a&amp;b&quot;c&apos;\u{fffd}\u{fffd}\u{fffd}&#13;"
        );
        assert_eq!(
            lines_html("<b>x</b>\nnext & \u{7}"),
            "&lt;b&gt;x&lt;/b&gt;<br>\nnext &amp; \u{fffd}"
        );
        assert_eq!(percent_encoded("#СНГ a/b"), "%23%D0%A1%D0%9D%D0%93%20a%2Fb");
    }

    #[test]
    fn links_become_anchors_only_for_the_web() {
        let link = |url: &str, start: usize, end: usize| tgscope_model::Link {
            url: Some(url.into()),
            label: String::new(),
            span: Some(tgscope_model::Span { start, end }),
        };
        let text = "see here and there";
        assert_eq!(
            text_html(
                text,
                &[
                    link("https://a.example/?x=1&y=2", 4, 8),
                    link("javascript:alert(1)", 13, 18)
                ]
            ),
            "see <a href=\"https://a.example/?x=1&amp;y=2\">here</a> and there"
        );
    }
}
