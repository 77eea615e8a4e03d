//! The one table of error codes, and errors as RFC 9457 `application/problem+json`.
//!
//! Every error the API gives is a problem document with a stable `code` from [`ErrorCode`]:
//!
//! | code | status | when |
//! |---|---|---|
//! | `bad_query` | 400 | the query cannot be read (`position`: where, in characters from 0) |
//! | `query_too_long` | 400 | the query is longer than the server accepts (`max_length`) |
//! | `bad_request` | 400 | a malformed parameter (`sort`, `by`, `limit`, `format`, a post id) |
//! | `bad_cursor` | 400 | the `cursor` was not given by this API for this request |
//! | `unauthorized` | 401 | team mode: the request is not signed in (no session, or no working API token) |
//! | `forbidden` | 403 | team mode: the account's role does not allow this |
//! | `csrf` | 403 | team mode: a form without its session's CSRF token, or sent from another site |
//! | `not_found` | 404 | no such post, channel, hashtag, cluster, entity or route |
//! | `method_not_allowed` | 405 | the route does not answer this method (the embedded archive's server answers `GET` only) |
//! | `conflict` | 409 | team mode: a saved search of that name exists, or a collection of that channel is running |
//! | `body_too_large` | 413 | the request has a body larger than the server accepts |
//! | `range_not_satisfiable` | 416 | the `Range` of a download starts past the file's end |
//! | `timeout` | 503 | the query took longer than the server allows, or every engine (or every download place) was busy |
//! | `internal` | 500 | the archive or the server failed (the server's log says why) |
//!
//! `type` is `/api/problems#<code>` (relative to the server), which the server describes at
//! `/api/problems`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tgscope_engine::{EngineError, ErrorKind, QueryProblem};

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A stable error code of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The search query cannot be read.
    BadQuery,
    /// The search query is too long.
    QueryTooLong,
    /// A malformed parameter.
    BadRequest,
    /// A cursor this API did not give for this request.
    BadCursor,
    /// Team mode: not signed in.
    Unauthorized,
    /// Team mode: the role does not allow it.
    Forbidden,
    /// Team mode: a form without its CSRF token, or from another site.
    Csrf,
    /// No such thing.
    NotFound,
    /// A method the route does not answer.
    MethodNotAllowed,
    /// Team mode: the thing exists already, or is at work.
    Conflict,
    /// A request body over the limit.
    BodyTooLarge,
    /// A download's `Range` holds none of the file.
    RangeNotSatisfiable,
    /// Cut off: too slow, or no engine free in time.
    Timeout,
    /// The archive or the server failed.
    Internal,
}

/// One row of the table of error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRow {
    /// The stable code (`bad_query`, ...).
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The problem's title (the same for every occurrence of the code).
    pub title: &'static str,
    /// When the code is given.
    pub when: &'static str,
}

impl ErrorCode {
    /// Every code, in the order of the table.
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::BadQuery,
        ErrorCode::QueryTooLong,
        ErrorCode::BadRequest,
        ErrorCode::BadCursor,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::Csrf,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Conflict,
        ErrorCode::BodyTooLarge,
        ErrorCode::RangeNotSatisfiable,
        ErrorCode::Timeout,
        ErrorCode::Internal,
    ];

    /// The code's row of the table: the only place codes, statuses and titles are written.
    pub const fn row(self) -> CodeRow {
        let (code, status, title, when) = match self {
            ErrorCode::BadQuery => (
                "bad_query",
                400,
                "The search query cannot be read",
                "The query breaks the query language (docs/search.md); `position` says where, \
                 in characters from 0.",
            ),
            ErrorCode::QueryTooLong => (
                "query_too_long",
                400,
                "The search query is too long",
                "The query has more characters than the server accepts (`max_length`).",
            ),
            ErrorCode::BadRequest => (
                "bad_request",
                400,
                "A parameter is malformed",
                "A parameter has a value the route does not take (`sort`, `by`, `limit`, \
                 `format`, a post or cluster id, a date).",
            ),
            ErrorCode::BadCursor => (
                "bad_cursor",
                400,
                "The cursor is not valid for this request",
                "The `cursor` was not given by this API as `next_cursor` for the same request.",
            ),
            ErrorCode::Unauthorized => (
                "unauthorized",
                401,
                "Sign-in required",
                "Team mode: the request carries no session of a signed-in account and no working \
                 API token (`Authorization: Bearer ...`); sign in at /sign-in.",
            ),
            ErrorCode::Forbidden => (
                "forbidden",
                403,
                "Not allowed for this account",
                "Team mode: the account's role does not allow this (readers browse, search and \
                 export; editors also ingest, collect, and edit narratives and saved searches; \
                 admins also manage accounts and read the audit log).",
            ),
            ErrorCode::Csrf => (
                "csrf",
                403,
                "The form's CSRF token is missing or wrong",
                "Team mode: a request of a signed-in browser that changes something must carry \
                 its session's CSRF token (the form's hidden `csrf` field, or the `X-CSRF-Token` \
                 header) and come from this site; reload the page and send it again.",
            ),
            ErrorCode::NotFound => (
                "not_found",
                404,
                "Not found",
                "No post, channel, hashtag, cluster or entity by that name or id, or no such \
                 route.",
            ),
            ErrorCode::MethodNotAllowed => (
                "method_not_allowed",
                405,
                "Method not allowed",
                "The route does not answer this method: the embedded archive's server answers \
                 GET (and HEAD) only and never changes the archive; in team mode the routes that \
                 change it say which methods they answer (`Allow`).",
            ),
            ErrorCode::Conflict => (
                "conflict",
                409,
                "It exists already, or is at work",
                "Team mode: a saved search of that name exists (edit it, or choose another \
                 name), or a collection of that channel is running (wait for it: \
                 GET /api/v1/collections).",
            ),
            ErrorCode::BodyTooLarge => (
                "body_too_large",
                413,
                "The request body is too large",
                "The request carries a body larger than the server accepts.",
            ),
            ErrorCode::RangeNotSatisfiable => (
                "range_not_satisfiable",
                416,
                "The range is outside the file",
                "The `Range` of a download starts at or past the file's end; `Content-Range` \
                 gives the file's size.",
            ),
            ErrorCode::Timeout => (
                "timeout",
                503,
                "The query took too long",
                "The query ran longer than the server allows, or every engine (or every place for \
                 a download) stayed busy that long; try a narrower query or later.",
            ),
            ErrorCode::Internal => (
                "internal",
                500,
                "The server failed",
                "The archive or the server failed; the server's log says why.",
            ),
        };
        CodeRow {
            code,
            status,
            title,
            when,
        }
    }

    /// The stable code.
    pub const fn code(self) -> &'static str {
        self.row().code
    }

    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        StatusCode::from_u16(self.row().status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The problem type URI (relative to the server).
    pub fn type_uri(self) -> String {
        format!("/api/problems#{}", self.code())
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "/api/problems#bad_query",
    "title": "The search query cannot be read",
    "status": 400,
    "detail": "unclosed quote: add a closing '\"' (at character 8)",
    "code": "bad_query",
    "position": 7,
    "query": "Россия \"коллективный Запад"
}))]
pub struct Problem {
    /// `/api/problems#<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// The same for every problem with this code.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// This occurrence, for a person.
    pub detail: String,
    /// The stable error code (see `/api/problems`).
    pub code: String,
    /// `bad_query`: where the query goes wrong, in characters (code points) from 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    /// `bad_query`: the query as received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// `query_too_long`: the longest query accepted, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
}

/// An error answered to a request: a code from the table, and what happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code:?}: {detail}")]
pub struct ApiError {
    /// The code.
    pub code: ErrorCode,
    /// This occurrence, for a person.
    pub detail: String,
    /// For `bad_query`: the place and the query.
    pub query_problem: Option<(usize, String)>,
    /// For `query_too_long`: the limit.
    pub max_length: Option<usize>,
}

impl ApiError {
    /// An error with a code and a detail.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            code,
            detail: detail.into(),
            query_problem: None,
            max_length: None,
        }
    }

    /// A malformed parameter.
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::BadRequest, detail)
    }

    /// Team mode: not signed in.
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            ErrorCode::Unauthorized,
            "sign in first (/sign-in), or send an API token as `Authorization: Bearer <token>`",
        )
    }

    /// Team mode: the account's role does not allow this.
    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Forbidden, detail)
    }

    /// Nothing by that name.
    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::NotFound, detail)
    }

    /// A query the language cannot read.
    pub fn bad_query(problem: &QueryProblem, query: &str) -> ApiError {
        ApiError {
            query_problem: Some((problem.position, query.to_string())),
            ..ApiError::new(ErrorCode::BadQuery, problem.display.clone())
        }
    }

    /// A query over the length limit.
    pub fn query_too_long(chars: usize, max: usize) -> ApiError {
        ApiError {
            max_length: Some(max),
            ..ApiError::new(
                ErrorCode::QueryTooLong,
                format!("the query has {chars} characters; at most {max} are accepted"),
            )
        }
    }

    /// Cut off after `seconds`.
    pub fn timeout(seconds: f64) -> ApiError {
        ApiError::new(
            ErrorCode::Timeout,
            format!(
                "the query was cut off after {seconds} s; narrow it (a channel, a date range) or \
                 try again later"
            ),
        )
    }

    /// The server failed; the cause goes to the log, not to the client.
    pub fn internal(cause: &dyn std::fmt::Display) -> ApiError {
        tracing::error!("request failed: {cause}");
        ApiError::new(
            ErrorCode::Internal,
            "the archive or the server failed; the server's log says why",
        )
    }

    /// The problem document.
    pub fn problem(&self) -> Problem {
        let row = self.code.row();
        Problem {
            type_uri: self.code.type_uri(),
            title: row.title.to_string(),
            status: row.status,
            detail: self.detail.clone(),
            code: row.code.to_string(),
            position: self.query_problem.as_ref().map(|(p, _)| *p),
            query: self.query_problem.as_ref().map(|(_, q)| q.clone()),
            max_length: self.max_length,
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        match e.kind() {
            ErrorKind::User => match e {
                EngineError::Query(message) => ApiError::new(ErrorCode::BadQuery, message),
                other => ApiError::bad_request(other.to_string()),
            },
            ErrorKind::NotFound => ApiError::not_found(e.to_string()),
            ErrorKind::Internal => ApiError::internal(&e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (self.code.status(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if self.code == ErrorCode::Timeout {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_unique_and_maps_to_its_status() {
        let mut codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            assert_eq!(code.status().as_u16(), code.row().status);
        }
    }

    #[test]
    fn a_problem_names_its_code_type_and_status() {
        let p = ApiError::query_too_long(1200, 1000).problem();
        assert_eq!(p.code, "query_too_long");
        assert_eq!(p.type_uri, "/api/problems#query_too_long");
        assert_eq!(p.status, 400);
        assert_eq!(p.max_length, Some(1000));
    }
}
