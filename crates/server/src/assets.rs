//! The style sheet and icon, embedded in the binary and served under `/static/`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::params::PathText;
use crate::problem::ApiError;

/// Every embedded file: (name, media type, content).
const FILES: &[(&str, &str, &str)] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../static/style.css"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_str!("../static/icon.svg"),
    ),
];

/// `/static/{file}`.
pub async fn file(name: Result<PathText, ApiError>) -> Response {
    let Ok(PathText(name)) = name else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some((_, media_type, content)) = FILES.iter().find(|(n, _, _)| *n == name) else {
        return ApiError::not_found(format!("no file {name:?} under /static/")).into_response();
    };
    let mut response = (*content).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}
