//! The evidence itself: the exact bytes of a kept capture and the media files the archive keeps,
//! by SHA-256, streamed.
//!
//! A capture is always an attachment (`application/octet-stream`): a saved page or an export is
//! untrusted markup and is never rendered by this server. A media file is shown inline only
//! when its first bytes are those of a JPEG, PNG, GIF or WebP image; anything else is an
//! attachment too. Both are content-addressed, so their `ETag` is their SHA-256 and they may be
//! cached for good.

use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tgscope_engine::{Engine, is_sha256};

use crate::AppState;
use crate::params::PathText;
use crate::problem::{ApiError, Problem};

/// The bytes of one read of a streamed file.
const CHUNK: usize = 64 * 1024;

/// The SHA-256 of a path: 64 hex digits (any case), else `bad_request`.
fn sha256_of(text: &str) -> Result<String, ApiError> {
    let sha = text.trim().to_ascii_lowercase();
    if is_sha256(&sha) {
        Ok(sha)
    } else {
        Err(ApiError::bad_request(format!(
            "{text:?} is not a SHA-256: give its 64 hex digits"
        )))
    }
}

/// The exact bytes of a capture, as they were ingested.
#[utoipa::path(
    get,
    path = "/api/v1/captures/{sha256}/raw",
    tag = "captures",
    params(("sha256" = String, Path, description = "The capture's SHA-256 (64 hex digits)")),
    responses(
        (status = 200, description = "The capture's bytes; their SHA-256 is the one asked for \
            (also the ETag)", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 304, description = "The client's `If-None-Match` already names it"),
        (status = 400, description = "`bad_request`: not a SHA-256", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such capture, or the archive keeps only \
            its hash (it was ingested with `--no-keep-raw`)", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn capture_raw(
    State(state): State<AppState>,
    request: HeaderMap,
    PathText(sha): PathText,
) -> Result<Response, ApiError> {
    let sha = sha256_of(&sha)?;
    if Engine::raw_capture_kept(state.pool().dir(), &sha)
        && let Some(unchanged) = not_modified(&request, &sha)
    {
        return Ok(unchanged);
    }
    let asked = sha.clone();
    let (capture, reader) = state
        .pool()
        .run(move |engine| {
            let capture = engine.capture(&asked)?;
            let reader = match &capture {
                Some(_) => engine.raw_capture_reader(&asked)?,
                None => None,
            };
            Ok((capture, reader))
        })
        .await?;
    let Some(capture) = capture else {
        return Err(ApiError::not_found(format!(
            "no capture with SHA-256 {sha} in the archive"
        )));
    };
    let Some(reader) = reader else {
        return Err(ApiError::not_found(format!(
            "the archive keeps only the hash of capture {sha} ({}): it was ingested with \
             --no-keep-raw",
            capture.source
        )));
    };
    let file_name = format!("{sha}{}", extension_of(&capture.source));
    let mut response = stream(reader).into_response();
    let headers = response.headers_mut();
    insert(
        headers,
        header::CONTENT_TYPE,
        "application/octet-stream".into(),
    );
    insert(
        headers,
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{file_name}\""),
    );
    insert(headers, header::CONTENT_LENGTH, capture.size.to_string());
    content_addressed(headers, &sha);
    Ok(response)
}

/// A media file the archive keeps (a photo, video or document an export held).
#[utoipa::path(
    get,
    path = "/api/v1/media/{sha256}",
    tag = "posts",
    params(("sha256" = String, Path, description = "The file's SHA-256 (64 hex digits)")),
    responses(
        (status = 200, description = "The file: inline for JPEG, PNG, GIF and WebP images, \
            else an attachment", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 304, description = "The client's `If-None-Match` already names it"),
        (status = 400, description = "`bad_request`: not a SHA-256", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the archive keeps no such file", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn media(
    State(state): State<AppState>,
    request: HeaderMap,
    PathText(sha): PathText,
) -> Result<Response, ApiError> {
    let sha = sha256_of(&sha)?;
    if Engine::media_file(state.pool().dir(), &sha).is_some()
        && let Some(unchanged) = not_modified(&request, &sha)
    {
        return Ok(unchanged);
    }
    let missing = || ApiError::not_found(format!("the archive keeps no media file {sha}"));
    let path = Engine::media_file(state.pool().dir(), &sha).ok_or_else(missing)?;
    let opened = tokio::task::spawn_blocking(move || {
        let mut file = std::fs::File::open(&path)?;
        let size = file.metadata()?.len();
        let mut head = [0u8; 16];
        let mut filled = 0;
        while filled < head.len() {
            match file.read(&mut head[filled..])? {
                0 => break,
                n => filled += n,
            }
        }
        Ok::<_, io::Error>((size, head[..filled].to_vec(), file))
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    let (size, head, file) = opened.map_err(|_| missing())?;
    let image = image_type(&head);
    let mut response = stream(io::Cursor::new(head).chain(file)).into_response();
    let headers = response.headers_mut();
    match image {
        Some(mime) => {
            insert(headers, header::CONTENT_TYPE, mime.into());
            insert(headers, header::CONTENT_DISPOSITION, "inline".into());
        }
        None => {
            insert(
                headers,
                header::CONTENT_TYPE,
                "application/octet-stream".into(),
            );
            insert(
                headers,
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{sha}\""),
            );
        }
    }
    insert(headers, header::CONTENT_LENGTH, size.to_string());
    content_addressed(headers, &sha);
    Ok(response)
}

/// The image type of a file by its first bytes, for the image types a browser shows safely.
pub fn image_type(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// `.ext` of a capture's source path when it is a short plain extension (`.json`, `.html`),
/// else nothing.
fn extension_of(source: &str) -> String {
    let name = source.rsplit(['/', '\\']).next().unwrap_or("");
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && (1..=8).contains(&ext.len())
                && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            format!(".{}", ext.to_ascii_lowercase())
        }
        _ => String::new(),
    }
}

fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: String) {
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(name, value);
    }
}

/// `304 Not Modified` when the client already holds the content named `sha` (its
/// `If-None-Match` names that ETag): content named by its hash never changes.
fn not_modified(request: &HeaderMap, sha: &str) -> Option<Response> {
    let etag = format!("\"{sha}\"");
    let held = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*");
    held.then(|| {
        let mut response = axum::http::StatusCode::NOT_MODIFIED.into_response();
        content_addressed(response.headers_mut(), sha);
        response
    })
}

/// The headers of content named by its hash: the hash as a strong `ETag`, cacheable for good.
fn content_addressed(headers: &mut HeaderMap, sha: &str) {
    insert(headers, header::ETAG, format!("\"{sha}\""));
    insert(
        headers,
        header::CACHE_CONTROL,
        "private, max-age=31536000, immutable".into(),
    );
}

/// A body read from `reader` on a blocking thread, a chunk at a time (a multi-gigabyte export
/// never sits in memory). A read error ends the body with that error, so the client sees a
/// broken transfer, not a short file.
fn stream(reader: impl Read + Send + 'static) -> Body {
    let (chunks, received) = tokio::sync::mpsc::channel::<io::Result<Vec<u8>>>(4);
    tokio::task::spawn_blocking(move || {
        let mut reader = reader;
        loop {
            let mut buffer = vec![0u8; CHUNK];
            let item = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => {
                    buffer.truncate(n);
                    Ok(buffer)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            let failed = item.is_err();
            // The client went away: stop reading.
            if chunks.blocking_send(item).is_err() || failed {
                break;
            }
        }
    });
    Body::from_stream(Chunks(received))
}

/// The chunks of a [`stream`] as they arrive.
struct Chunks(tokio::sync::mpsc::Receiver<io::Result<Vec<u8>>>);

impl futures_core::Stream for Chunks {
    type Item = io::Result<Vec<u8>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_first_bytes() {
        assert_eq!(image_type(b"\xff\xd8\xffjpeg"), Some("image/jpeg"));
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(image_type(b"GIF89a"), Some("image/gif"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"<svg onload=alert(1)>"), None);
        assert_eq!(image_type(b"<html><script>"), None);
        assert_eq!(image_type(b""), None);
    }

    #[test]
    fn a_capture_keeps_a_plain_extension_only() {
        assert_eq!(extension_of("/exports/ChatExport/result.json"), ".json");
        assert_eq!(extension_of("C:\\saved\\mid_russia.HTML"), ".html");
        assert_eq!(extension_of("https://t.me/s/mid_russia?before=100"), "");
        assert_eq!(extension_of("capture"), "");
        assert_eq!(extension_of(".hidden"), "");
        assert_eq!(extension_of("a.\"x"), "");
    }

    #[test]
    fn a_sha256_is_64_hex_digits_in_any_case() {
        let sha = "AB".repeat(32);
        assert_eq!(sha256_of(&sha).expect("sha"), "ab".repeat(32));
        assert!(sha256_of("../../etc/passwd").is_err());
        assert!(sha256_of(&"g".repeat(64)).is_err());
    }
}
