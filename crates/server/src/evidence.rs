//! The evidence itself: the exact bytes of a kept capture and the media files the archive keeps,
//! by SHA-256, streamed.
//!
//! A capture is always an attachment (`application/octet-stream`): a saved page or an export is
//! untrusted markup and is never rendered by this server. A media file is shown inline only
//! when its first bytes are those of a JPEG, PNG, GIF or WebP image; anything else is an
//! attachment too. Both are content-addressed, so their `ETag` is their SHA-256 and they may be
//! cached for good.

use std::future::Future;
use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tgscope_engine::{Engine, is_sha256};
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinHandle;

use crate::AppState;
use crate::params::PathText;
use crate::problem::{ApiError, ErrorCode, Problem};
use crate::range::Asked;

/// The most bytes of one read of a streamed file.
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
    params(
        ("sha256" = String, Path, description = "The capture's SHA-256 (64 hex digits)",
            pattern = "^[0-9a-fA-F]{64}$"),
        ("Range" = Option<String>, Header, description = "One byte range (`bytes=1000-`), to \
            resume a download; several ranges or an `If-Range` other than the ETag get the \
            whole file"),
    ),
    responses(
        (status = 200, description = "The capture's bytes; their SHA-256 is the one asked for \
            (also the ETag)", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "The one byte range the `Range` header asks for \
            (`Content-Range` says which)", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 304, description = "The client's `If-None-Match` already names it"),
        (status = 416, description = "`range_not_satisfiable`: the range starts past the end",
            body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "`bad_request`: not a SHA-256", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such capture, or the archive keeps only \
            its hash (it was ingested with `--no-keep-raw`)", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`: no engine, or no place for a download, was \
            free in time", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn capture_raw(
    State(state): State<AppState>,
    request: HeaderMap,
    PathText(sha): PathText,
) -> Result<Response, ApiError> {
    let sha = sha256_of(&sha)?;
    let dir = state.pool().dir().to_path_buf();
    let asked = sha.clone();
    let kept = tokio::task::spawn_blocking(move || Engine::raw_capture_kept(&dir, &asked))
        .await
        .map_err(|e| ApiError::internal(&e))?;
    if kept && let Some(unchanged) = not_modified(&request, &sha) {
        return Ok(unchanged);
    }
    let place = state.download_place().await?;
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
    let served = Served {
        content_type: "application/octet-stream",
        disposition: format!("attachment; filename=\"{file_name}\""),
    };
    ranged(&request, reader, capture.size, place, &sha, served)
}

/// A media file the archive keeps (a photo, video or document an export held).
#[utoipa::path(
    get,
    path = "/api/v1/media/{sha256}",
    tag = "posts",
    params(
        ("sha256" = String, Path, description = "The file's SHA-256 (64 hex digits)",
            pattern = "^[0-9a-fA-F]{64}$"),
        ("Range" = Option<String>, Header, description = "One byte range (`bytes=1000-`)"),
    ),
    responses(
        (status = 200, description = "The file: inline for JPEG, PNG, GIF and WebP images (by \
            their bytes), else an attachment", content((Vec<u8> = "application/octet-stream"),
            (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/gif"),
            (Vec<u8> = "image/webp"))),
        (status = 206, description = "The one byte range the `Range` header asks for \
            (`Content-Range` says which), of the type the whole file has", content(
            (Vec<u8> = "application/octet-stream"), (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "image/png"), (Vec<u8> = "image/gif"), (Vec<u8> = "image/webp"))),
        (status = 304, description = "The client's `If-None-Match` already names it"),
        (status = 416, description = "`range_not_satisfiable`: the range starts past the end",
            body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "`bad_request`: not a SHA-256", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the archive keeps no such file", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`: every place for a download stayed busy",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn media(
    State(state): State<AppState>,
    request: HeaderMap,
    PathText(sha): PathText,
) -> Result<Response, ApiError> {
    let sha = sha256_of(&sha)?;
    let missing = || ApiError::not_found(format!("the archive keeps no media file {sha}"));
    let dir = state.pool().dir().to_path_buf();
    let asked = sha.clone();
    let kept = tokio::task::spawn_blocking(move || Engine::media_file(&dir, &asked))
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let path = kept.ok_or_else(missing)?;
    if let Some(unchanged) = not_modified(&request, &sha) {
        return Ok(unchanged);
    }
    let place = state.download_place().await?;
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
    let reader = io::Cursor::new(head).chain(file);
    let served = match image {
        Some(mime) => Served {
            content_type: mime,
            disposition: "inline".into(),
        },
        None => Served {
            content_type: "application/octet-stream",
            disposition: format!("attachment; filename=\"{sha}\""),
        },
    };
    ranged(&request, reader, size, place, &sha, served)
}

/// How a file is sent: its media type and `Content-Disposition`.
struct Served {
    content_type: &'static str,
    disposition: String,
}

/// The response for the `size` bytes of `reader`, named `sha`: the whole file (`200`), or the
/// one range the request asks for (`206` with `Content-Range`), both sent as `served` says, or
/// `416` when that range holds none of it (a problem, in its own media type: the file's type on
/// it once made the answer contradict the OpenAPI document). The status line and the length,
/// range and cache headers are set.
fn ranged(
    request: &HeaderMap,
    reader: impl Read + Send + Unpin + 'static,
    size: u64,
    place: OwnedSemaphorePermit,
    sha: &str,
    served: Served,
) -> Result<Response, ApiError> {
    let asked = Asked::of(request, size, &format!("\"{sha}\""));
    let mut response = match asked {
        Asked::Unsatisfiable => {
            let mut response = ApiError::new(
                ErrorCode::RangeNotSatisfiable,
                format!("the file has {size} bytes; the range asked for starts past its end"),
            )
            .into_response();
            insert(
                response.headers_mut(),
                header::CONTENT_RANGE,
                format!("bytes */{size}"),
            );
            return Ok(response);
        }
        Asked::Whole => Body::from_stream(FileBody::new(reader, size, place)).into_response(),
        Asked::Part { start, end } => {
            let part = Skipping::new(reader, start).take(asked.len(size));
            let mut response =
                Body::from_stream(FileBody::new(part, asked.len(size), place)).into_response();
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            insert(
                response.headers_mut(),
                header::CONTENT_RANGE,
                format!("bytes {start}-{end}/{size}"),
            );
            response
        }
    };
    let headers = response.headers_mut();
    insert(headers, header::CONTENT_LENGTH, asked.len(size).to_string());
    insert(headers, header::ACCEPT_RANGES, "bytes".into());
    insert(headers, header::CONTENT_TYPE, served.content_type.into());
    insert(headers, header::CONTENT_DISPOSITION, served.disposition);
    content_addressed(headers, sha);
    Ok(response)
}

/// A reader that first passes over `skip` bytes of `inner` (a range's start; a compressed
/// capture cannot seek), on the blocking thread of its first read.
struct Skipping<R> {
    inner: R,
    skip: u64,
}

impl<R: Read> Skipping<R> {
    fn new(inner: R, skip: u64) -> Skipping<R> {
        Skipping { inner, skip }
    }
}

impl<R: Read> Read for Skipping<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.skip > 0 {
            let skipped = io::copy(&mut (&mut self.inner).take(self.skip), &mut io::sink())?;
            if skipped < self.skip {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the file ended after {skipped} bytes, before the range's start"),
                ));
            }
            self.skip = 0;
        }
        self.inner.read(buffer)
    }
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

/// A streamed body: `reader` read a chunk at a time (a multi-gigabyte export never sits in
/// memory), each read on a blocking thread that is let go as soon as the chunk is read. The
/// next chunk is read only when the connection asks for it, so a client that reads slowly (or
/// stops reading) holds no thread, only its download place, until it goes away.
///
/// The body must be exactly the `expected` bytes its `Content-Length` announces: a read error,
/// a file that ends early or one that goes on past them ends the body with an error, so the
/// client sees a broken transfer, never a short or a wrong file.
pub struct FileBody<R> {
    state: ReadState<R>,
    expected: u64,
    sent: u64,
    _place: OwnedSemaphorePermit,
}

enum ReadState<R> {
    /// Waiting to be asked for the next chunk.
    Idle(R),
    /// A chunk being read on a blocking thread.
    Reading(JoinHandle<(R, io::Result<Vec<u8>>)>),
    /// Ended, well or not.
    Done,
}

impl<R: Read + Send + Unpin + 'static> FileBody<R> {
    /// The body of the `expected` bytes of `reader`, holding a download `place` until it is
    /// done or dropped.
    pub fn new(reader: R, expected: u64, place: OwnedSemaphorePermit) -> FileBody<R> {
        FileBody {
            state: ReadState::Idle(reader),
            expected,
            sent: 0,
            _place: place,
        }
    }
}

/// Reads up to `want` bytes (fewer at the end).
fn read_chunk(reader: &mut impl Read, want: usize) -> io::Result<Vec<u8>> {
    let mut buffer = vec![0u8; want];
    loop {
        match reader.read(&mut buffer) {
            Ok(n) => {
                buffer.truncate(n);
                return Ok(buffer);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

impl<R: Read + Send + Unpin + 'static> futures_core::Stream for FileBody<R> {
    type Item = io::Result<Vec<u8>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let body = &mut *self;
        loop {
            match std::mem::replace(&mut body.state, ReadState::Done) {
                ReadState::Done => return Poll::Ready(None),
                ReadState::Idle(mut reader) => {
                    // One byte past the announced end, to notice a file that goes on.
                    let left = body.expected.saturating_sub(body.sent);
                    let want = usize::try_from(left.saturating_add(1))
                        .unwrap_or(CHUNK)
                        .min(CHUNK);
                    body.state = ReadState::Reading(tokio::task::spawn_blocking(move || {
                        let chunk = read_chunk(&mut reader, want);
                        (reader, chunk)
                    }));
                }
                ReadState::Reading(mut task) => {
                    let (reader, chunk) = match Pin::new(&mut task).poll(cx) {
                        Poll::Pending => {
                            body.state = ReadState::Reading(task);
                            return Poll::Pending;
                        }
                        Poll::Ready(Err(join)) => {
                            return Poll::Ready(Some(Err(io::Error::other(join))));
                        }
                        Poll::Ready(Ok(done)) => done,
                    };
                    let chunk = match chunk {
                        Ok(chunk) => chunk,
                        Err(e) => return Poll::Ready(Some(Err(e))),
                    };
                    if chunk.is_empty() {
                        if body.sent < body.expected {
                            return Poll::Ready(Some(Err(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                format!(
                                    "the file ended after {} of its {} bytes",
                                    body.sent, body.expected
                                ),
                            ))));
                        }
                        return Poll::Ready(None);
                    }
                    body.sent += chunk.len() as u64;
                    if body.sent > body.expected {
                        return Poll::Ready(Some(Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "the file is longer than its recorded {} bytes",
                                body.expected
                            ),
                        ))));
                    }
                    body.state = ReadState::Idle(reader);
                    return Poll::Ready(Some(Ok(chunk)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_core::Stream;
    use std::sync::Arc;
    use tokio::sync::Semaphore;

    /// Everything `body` yields: its bytes, or the error it ended with.
    async fn drain(mut body: FileBody<impl Read + Send + Unpin + 'static>) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        while let Some(chunk) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_next(cx)).await {
            bytes.extend(chunk?);
        }
        Ok(bytes)
    }

    fn place(places: &Arc<Semaphore>) -> OwnedSemaphorePermit {
        places.clone().try_acquire_owned().expect("a free place")
    }

    #[tokio::test]
    async fn a_body_is_exactly_its_announced_bytes() {
        let places = Arc::new(Semaphore::new(1));
        let file: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let whole = drain(FileBody::new(
            io::Cursor::new(file.clone()),
            200_000,
            place(&places),
        ))
        .await
        .expect("the whole file");
        assert_eq!(whole, file);
        assert_eq!(places.available_permits(), 1, "the place is given back");

        let short = drain(FileBody::new(
            io::Cursor::new(file.clone()),
            200_001,
            place(&places),
        ))
        .await
        .expect_err("a file shorter than announced");
        assert_eq!(short.kind(), io::ErrorKind::UnexpectedEof);
        assert!(
            short.to_string().contains("200000 of its 200001"),
            "{short}"
        );

        let long = drain(FileBody::new(
            io::Cursor::new(file),
            199_999,
            place(&places),
        ))
        .await
        .expect_err("a file longer than announced");
        assert_eq!(long.kind(), io::ErrorKind::InvalidData);

        let empty = drain(FileBody::new(
            io::Cursor::new(Vec::new()),
            0,
            place(&places),
        ))
        .await
        .expect("an empty file");
        assert!(empty.is_empty());
    }

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
