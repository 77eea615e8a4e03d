//! The feeds under `/feeds/`: a search query (`/feeds/search.atom?q=…`), a channel
//! (`/feeds/channels/{name}.rss`) or a hashtag (`/feeds/hashtags/{tag}.json`) as Atom 1.0, RSS
//! 2.0 or JSON Feed 1.1, made by the engine ([`tgscope_engine::feed`]), with their media types,
//! an `ETag` (a request whose `If-None-Match` has it gets 304) and `Last-Modified`; and the
//! links the search, channel and hashtag pages give to them ([`FeedLink`]).
//!
//! Links inside a feed are absolute: made from the configured base URL
//! ([`crate::ServerConfig::base_url`]) or else from the request's `Host` (and
//! `X-Forwarded-Proto: https` from a proxy in front).
//!
//! Does not: cache feeds (each request makes its page from the archive), or know how a feed is
//! written (the engine does).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tgscope_engine::feed::{DEFAULT_FEED_LIMIT, Feed, FeedFormat, FeedRequest, FeedSource};

use crate::AppState;
use crate::links;
use crate::params::{self, Params, PathText};
use crate::problem::ApiError;

/// The query string of a feed.
#[derive(Debug, Default, Deserialize)]
pub struct FeedParams {
    /// The search query (`/feeds/search.*` only).
    #[serde(default)]
    pub q: Option<String>,
    /// Entries per page (default 50, at most the server's page size).
    #[serde(default)]
    pub limit: Option<usize>,
    /// The page, from 1.
    #[serde(default)]
    pub page: Option<usize>,
}

/// A feed a page links to: its format's name, media type and path.
pub struct FeedLink {
    /// `Atom`, `RSS`, `JSON Feed`.
    pub name: &'static str,
    /// `application/atom+xml`, ...
    pub media_type: &'static str,
    /// The path with its query string.
    pub href: String,
    /// The link's title (what the feed follows).
    pub title: String,
}

/// The feeds of a page in every format: `path` without its extension, `q` for a search.
fn feed_links(path: &str, q: Option<&str>, title: &str) -> Vec<FeedLink> {
    FeedFormat::ALL
        .into_iter()
        .map(|format| {
            let file = format!("{path}.{}", format.extension());
            FeedLink {
                name: format.name(),
                media_type: format.media_type(),
                href: match q {
                    Some(q) => links::with_query(&file, &[("q", q)]),
                    None => file,
                },
                title: format!("{title} ({})", format.name()),
            }
        })
        .collect()
}

/// The feeds of a search query.
pub fn search_links(query: &str) -> Vec<FeedLink> {
    feed_links(
        "/feeds/search",
        Some(query),
        &format!("Posts matching {query}"),
    )
}

/// The feeds of a channel, named by its key in the server's paths ([`links::channel_key`]).
pub fn channel_links(key: &str, name: &str) -> Vec<FeedLink> {
    feed_links(
        &format!("/feeds/channels/{}", links::path_segment(key)),
        None,
        &format!("Posts of {name}"),
    )
}

/// The feeds of a hashtag (without `#`).
pub fn hashtag_links(tag: &str) -> Vec<FeedLink> {
    feed_links(
        &format!("/feeds/hashtags/{}", links::path_segment(tag)),
        None,
        &format!("Posts with #{tag}"),
    )
}

/// The feeds of a narrative.
pub fn narrative_links(name: &str) -> Vec<FeedLink> {
    feed_links(
        &format!("/feeds/narratives/{}", links::path_segment(name)),
        None,
        &format!("Posts of the narrative {name}"),
    )
}

/// The name and format of `NAME.EXT`; a file without a feed extension is not found.
fn split_file(file: &str) -> Result<(&str, FeedFormat), ApiError> {
    file.rsplit_once('.')
        .and_then(|(name, ext)| Some((name, FeedFormat::from_extension(ext)?)))
        .filter(|(name, _)| !name.is_empty())
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no feed is called {file:?}: feeds end in .atom, .rss or .json"
            ))
        })
}

/// The address links in a feed start with: the configured base URL, else the request's host.
fn base_url(state: &AppState, headers: &HeaderMap) -> Option<String> {
    if let Some(base) = &state.config().base_url {
        return Some(base.trim_end_matches('/').to_owned());
    }
    let host = headers.get(header::HOST)?.to_str().ok()?.trim();
    // A host, a port, an IPv6 literal: nothing that could break out of a URL.
    let plausible = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !plausible {
        return None;
    }
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    Some(format!("{}://{host}", if https { "https" } else { "http" }))
}

/// `/feeds/{file}`: `search.atom`, `search.rss` or `search.json` with `q`.
pub async fn search(
    State(state): State<AppState>,
    file: Result<PathText, ApiError>,
    query: Result<Params<FeedParams>, ApiError>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let PathText(file) = file?;
        let Params(query) = query?;
        let (name, format) = split_file(&file)?;
        if name != "search" {
            return Err(ApiError::not_found(format!(
                "no feed at /feeds/{file}: feeds are /feeds/search.atom?q=…, \
                 /feeds/channels/NAME.atom and /feeds/hashtags/TAG.atom (or .rss, .json)"
            )));
        }
        let q = query.q.clone().unwrap_or_default();
        if q.trim().is_empty() {
            return Err(ApiError::bad_request(
                "a search feed needs a query: /feeds/search.atom?q=…",
            ));
        }
        params::query(&q, state.config())?;
        make(&state, FeedSource::Query(q), format, &query, &headers).await
    }
    .await;
    answer(result, &headers)
}

/// `/feeds/channels/{name}.{ext}`: a channel's posts.
pub async fn channel(
    State(state): State<AppState>,
    file: Result<PathText, ApiError>,
    query: Result<Params<FeedParams>, ApiError>,
    headers: HeaderMap,
) -> Response {
    named(state, file, query, headers, |name| {
        Ok(FeedSource::Channel(name.to_owned()))
    })
    .await
}

/// `/feeds/narratives/{name}.{ext}`: the posts a narrative matches.
pub async fn narrative(
    State(state): State<AppState>,
    file: Result<PathText, ApiError>,
    query: Result<Params<FeedParams>, ApiError>,
    headers: HeaderMap,
) -> Response {
    named(state, file, query, headers, |name| {
        Ok(FeedSource::Narrative(name.to_owned()))
    })
    .await
}

/// The feed of `NAME.EXT` whose source `source` makes from the name.
async fn named(
    state: AppState,
    file: Result<PathText, ApiError>,
    query: Result<Params<FeedParams>, ApiError>,
    headers: HeaderMap,
    source: impl FnOnce(&str) -> Result<FeedSource, ApiError>,
) -> Response {
    let result = async {
        let PathText(file) = file?;
        let Params(query) = query?;
        let (name, format) = split_file(&file)?;
        make(&state, source(name)?, format, &query, &headers).await
    }
    .await;
    answer(result, &headers)
}

/// `/feeds/hashtags/{tag}.{ext}`: the posts with a hashtag.
pub async fn hashtag(
    State(state): State<AppState>,
    file: Result<PathText, ApiError>,
    query: Result<Params<FeedParams>, ApiError>,
    headers: HeaderMap,
) -> Response {
    named(state, file, query, headers, |tag| {
        let tag = tag.trim_start_matches('#');
        if !params::plausible_hashtag(tag) {
            return Err(ApiError::bad_request(format!("{tag:?} is not a hashtag")));
        }
        Ok(FeedSource::Hashtag(tag.to_owned()))
    })
    .await
}

async fn make(
    state: &AppState,
    source: FeedSource,
    format: FeedFormat,
    query: &FeedParams,
    headers: &HeaderMap,
) -> Result<Feed, ApiError> {
    let limit = params::limit(
        query.limit,
        DEFAULT_FEED_LIMIT,
        state.config().max_limit.max(1),
    )?;
    let request = FeedRequest {
        source,
        format,
        limit,
        page: query.page.unwrap_or(1),
        base_url: base_url(state, headers),
    };
    Ok(state
        .pool()
        .run(move |engine| engine.feed(&request))
        .await?)
}

/// The feed with its media type and caching headers; 304 when the client has this version.
fn answer(result: Result<Feed, ApiError>, request: &HeaderMap) -> Response {
    let feed = match result {
        Ok(feed) => feed,
        Err(e) => return e.into_response(),
    };
    let etag = HeaderValue::from_str(&feed.etag).ok();
    let cached = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim() == feed.etag || t.trim() == "*")
        });
    let modified = chrono::DateTime::parse_from_rfc3339(&feed.updated)
        .ok()
        .map(|at| {
            at.with_timezone(&chrono::Utc)
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string()
        })
        .and_then(|text| HeaderValue::from_str(&text).ok());
    let mut response = if cached {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let media = match feed.format {
            FeedFormat::Json => "application/feed+json; charset=utf-8",
            FeedFormat::Atom => "application/atom+xml; charset=utf-8",
            FeedFormat::Rss => "application/rss+xml; charset=utf-8",
        };
        let mut response = feed.body.into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
        response
    };
    let headers = response.headers_mut();
    if let Some(etag) = etag {
        headers.insert(header::ETAG, etag);
    }
    if let Some(modified) = modified {
        headers.insert(header::LAST_MODIFIED, modified);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_files_are_a_name_and_a_feed_extension() {
        assert_eq!(
            split_file("mfa.news.atom")
                .map(|(n, f)| (n.to_owned(), f))
                .ok(),
            Some(("mfa.news".to_owned(), FeedFormat::Atom))
        );
        assert!(split_file("mfa.xml").is_err());
        assert!(split_file(".rss").is_err());
        assert!(split_file("mfa").is_err());
    }

    #[test]
    fn pages_link_to_the_feeds_in_every_format() {
        let links = search_links("a&b #СНГ");
        let hrefs: Vec<&str> = links.iter().map(|l| l.href.as_str()).collect();
        assert_eq!(
            hrefs,
            [
                "/feeds/search.atom?q=a%26b+%23%D0%A1%D0%9D%D0%93",
                "/feeds/search.rss?q=a%26b+%23%D0%A1%D0%9D%D0%93",
                "/feeds/search.json?q=a%26b+%23%D0%A1%D0%9D%D0%93",
            ]
        );
        assert_eq!(hashtag_links("a/b")[2].href, "/feeds/hashtags/a%2Fb.json");
        assert_eq!(
            channel_links("mfa_test", "MFA")[1].media_type,
            "application/rss+xml"
        );
    }
}
