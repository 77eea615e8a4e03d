//! Security headers on every response (CSP, nosniff, no referrer) and the body limit.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::problem::{ApiError, ErrorCode};

/// The Content-Security-Policy of every response.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'";

/// The headers added to every response.
const HEADERS: &[(HeaderName, &str)] = &[
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

/// Refuses bodies declared over the limit (the upload of a capture has its own, larger one; a
/// body that does not declare its length is held to the same limits as it is read), then adds
/// the security headers to whatever the route answered.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // An editor's upload of a capture may be larger (team mode).
    let max = if state.config.team && crate::auth::is_upload(request.method(), request.uri().path())
    {
        state
            .config
            .max_upload_bytes
            .max(state.config.max_body_bytes)
    } else {
        state.config.max_body_bytes
    };
    let mut response = match declared {
        Some(length) if length > max => ApiError::new(
            ErrorCode::BodyTooLarge,
            format!("the request body has {length} bytes; at most {max} are accepted"),
        )
        .into_response(),
        _ => next.run(request).await,
    };
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers.insert(name.clone(), HeaderValue::from_static(value));
    }
    response
}
