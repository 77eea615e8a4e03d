//! Request parameters: extractors whose failures are problems, and the shared checks.

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use tgscope_engine::{ClusterSort, Period, SortBy, check_query};

use crate::config::{DEFAULT_LIMIT, ServerConfig};
use crate::problem::ApiError;

/// Query-string parameters; a malformed one is the problem `bad_request`.
pub struct Params<T>(pub T);

impl<T, S> FromRequestParts<S> for Params<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Params(value))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// One path parameter as text; a malformed one is the problem `bad_request`.
pub struct PathText(pub String);

impl<S> FromRequestParts<S> for PathText
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| PathText(value))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// The orders of results: `relevance` (the default), `date` (newest first), `date-asc`.
pub fn sort(value: Option<&str>) -> Result<(SortBy, &'static str), ApiError> {
    match value.map(str::trim).unwrap_or("") {
        "" | "relevance" => Ok((SortBy::Relevance, "relevance")),
        "date" | "date-desc" | "newest" => Ok((SortBy::Newest, "date")),
        "date-asc" | "oldest" => Ok((SortBy::Oldest, "date-asc")),
        other => Err(ApiError::bad_request(format!(
            "sort {other:?} is not an order: use relevance, date (newest first) or date-asc"
        ))),
    }
}

/// A period: `day`, `week` or `month`; `default` when not given.
pub fn period(value: Option<&str>, default: Option<Period>) -> Result<Option<Period>, ApiError> {
    match value.map(str::trim).unwrap_or("") {
        "" => Ok(default),
        "day" => Ok(Some(Period::Day)),
        "week" => Ok(Some(Period::Week)),
        "month" => Ok(Some(Period::Month)),
        other => Err(ApiError::bad_request(format!(
            "by {other:?} is not a period: use day, week or month"
        ))),
    }
}

/// The size of a page: the request's `limit` (at least 1), lowered to `max`.
pub fn limit(value: Option<usize>, default: usize, max: usize) -> Result<usize, ApiError> {
    match value {
        Some(0) => Err(ApiError::bad_request("limit must be at least 1")),
        Some(n) => Ok(n.min(max)),
        None => Ok(default.min(max)),
    }
}

/// What a list answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON (the default).
    Json,
    /// CSV with a header row.
    Csv,
}

/// The `format` parameter: `json` (the default) or `csv`.
pub fn format(value: Option<&str>) -> Result<Format, ApiError> {
    match value.map(str::trim).unwrap_or("") {
        "" | "json" => Ok(Format::Json),
        "csv" => Ok(Format::Csv),
        other => Err(ApiError::bad_request(format!(
            "format {other:?} is not offered: use json or csv"
        ))),
    }
}

/// The page size of a list in `format`: pages of JSON up to `max_limit`, CSV downloads up to
/// `max_download_rows` (all of them by default).
pub fn list_limit(
    value: Option<usize>,
    format: Format,
    config: &ServerConfig,
) -> Result<usize, ApiError> {
    match format {
        Format::Json => limit(value, DEFAULT_LIMIT, config.max_limit),
        Format::Csv => limit(
            value,
            config.max_download_rows,
            config.max_download_rows.max(1),
        ),
    }
}

/// The orders of clusters: `size` (the most posts first, the default), `channels` (the most
/// channels first), `first` (the earliest first post first).
pub fn cluster_sort(value: Option<&str>) -> Result<(ClusterSort, &'static str), ApiError> {
    match value.map(str::trim).unwrap_or("") {
        "" | "size" => Ok((ClusterSort::Size, "size")),
        "channels" => Ok((ClusterSort::Channels, "channels")),
        "first" | "date" => Ok((ClusterSort::First, "first")),
        other => Err(ApiError::bad_request(format!(
            "sort {other:?} is not an order of clusters: use size, channels or first"
        ))),
    }
}

/// A date bound (`since`, `until`): a day `YYYY-MM-DD` (its midnight, UTC) or an RFC 3339 time;
/// `None` when not given.
pub fn date_bound(name: &str, value: Option<&str>) -> Result<Option<String>, ApiError> {
    let value = value.map(str::trim).unwrap_or("");
    if value.is_empty() {
        return Ok(None);
    }
    let day = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok();
    if day || chrono::DateTime::parse_from_rfc3339(value).is_ok() {
        Ok(Some(value.to_string()))
    } else {
        Err(ApiError::bad_request(format!(
            "{name} {value:?} is not a date: use YYYY-MM-DD or an RFC 3339 time"
        )))
    }
}

/// Checks a search query before it runs: not longer than the server accepts, and readable by
/// the query language (else the problem says where it goes wrong).
pub fn query(text: &str, config: &ServerConfig) -> Result<(), ApiError> {
    let chars = text.chars().count();
    if chars > config.max_query_len {
        return Err(ApiError::query_too_long(chars, config.max_query_len));
    }
    check_query(text).map_err(|problem| ApiError::bad_query(&problem, text))
}

/// Whether `tag` could be a hashtag of the archive and can be put in a `tag:"…"` query as it
/// is: not empty, at most 256 characters, without spaces, control characters, `"` or `\`.
/// (Which tags exist is the archive's answer; hashtags carry letters, digits and marks of every
/// script, such as the virama of `#हिन्दी` or the tone mark of `#ข่าว`.)
pub fn plausible_hashtag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.chars().count() <= 256
        && !tag
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\\'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::ErrorCode;

    #[test]
    fn limits_are_capped_and_never_zero() {
        assert_eq!(limit(Some(1000), 20, 100), Ok(100));
        assert_eq!(limit(None, 20, 100), Ok(20));
        assert_eq!(
            limit(Some(0), 20, 100).map_err(|e| e.code),
            Err(ErrorCode::BadRequest)
        );
    }

    #[test]
    fn queries_are_checked_for_length_then_syntax() {
        let config = ServerConfig {
            max_query_len: 10,
            ..ServerConfig::default()
        };
        let long = query("россия россия", &config).map_err(|e| e.code);
        assert_eq!(long, Err(ErrorCode::QueryTooLong));
        let bad = query("a \"b", &config).expect_err("unclosed quote");
        assert_eq!(bad.code, ErrorCode::BadQuery);
        assert_eq!(bad.problem().position, Some(2));
        assert!(query("россия", &config).is_ok());
    }

    #[test]
    fn cluster_orders_and_date_bounds() {
        assert_eq!(cluster_sort(None).map(|s| s.1), Ok("size"));
        assert_eq!(cluster_sort(Some("channels")).map(|s| s.1), Ok("channels"));
        assert_eq!(cluster_sort(Some(" first ")).map(|s| s.1), Ok("first"));
        assert!(cluster_sort(Some("sideways")).is_err());
        assert_eq!(date_bound("since", Some("")), Ok(None));
        assert_eq!(
            date_bound("since", Some("2024-05-01")),
            Ok(Some("2024-05-01".into()))
        );
        assert!(date_bound("since", Some("2024-05-01T08:00:00Z")).is_ok());
        for bad in ["May 1", "2024-13-01", "2024-05-01 08:00"] {
            let e = date_bound("until", Some(bad)).map_err(|e| e.code);
            assert_eq!(e, Err(ErrorCode::BadRequest), "{bad}");
        }
    }

    #[test]
    fn hashtags_are_words() {
        assert!(plausible_hashtag("БРИКС_2024"));
        assert!(plausible_hashtag("हिन्दी") && plausible_hashtag("ข่าว"));
        assert!(plausible_hashtag("ударéние") && plausible_hashtag("مرحبًا"));
        assert!(!plausible_hashtag("a\"b") && !plausible_hashtag("a\\b"));
        assert!(!plausible_hashtag("a b") && !plausible_hashtag("a\nb"));
        assert!(!plausible_hashtag(""));
    }
}
