//! The style sheet, icon and scripts, embedded in the binary and served under `/static/`: the
//! network page's script and the graph library it draws with (vendored under
//! `static/vendor/`, see its README), so no page loads anything from another site.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::params::PathText;
use crate::problem::ApiError;

/// Every embedded file: (path under `/static/`, media type, content).
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
    (
        "network.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/network.js"),
    ),
    (
        "vendor/cytoscape.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/vendor/cytoscape.min.js"),
    ),
    (
        "vendor/cytoscape.LICENSE",
        "text/plain; charset=utf-8",
        include_str!("../static/vendor/cytoscape.LICENSE"),
    ),
];

/// `/static/{file}`.
pub async fn file(name: Result<PathText, ApiError>) -> Response {
    match name {
        Ok(PathText(name)) => serve(&name),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `/static/vendor/{file}`: the vendored libraries and their licences.
pub async fn vendor_file(name: Result<PathText, ApiError>) -> Response {
    match name {
        Ok(PathText(name)) => serve(&format!("vendor/{name}")),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

fn serve(path: &str) -> Response {
    let Some((_, media_type, content)) = FILES.iter().find(|(n, _, _)| *n == path) else {
        return ApiError::not_found(format!("no file {path:?} under /static/")).into_response();
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
