//! Team mode: editors ingest captures they upload, from the `/ingest` page's form
//! (`multipart/form-data`: the file, the channel for plain text, the form's CSRF token) or with
//! `POST /api/v1/captures` (the capture as the body; `name` and `channel` as parameters).
//!
//! An upload is written to a folder of its own under `<archive>/uploads/` and ingested from
//! there by a writing engine opened for it (as `tgscope ingest` would), then the folder is
//! removed; the capture's raw bytes are kept in the archive as every ingest keeps them. Every
//! upload is written to the audit log (`ingest`, with the file's name, SHA-256, format,
//! channel and counts). An upload's body may be as large as
//! [`ServerConfig::max_upload_bytes`](crate::ServerConfig); every other body stays small.

use std::path::PathBuf;

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tgscope_engine::{Engine, EngineError, IngestOptions, IngestReport, NoProgress};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{CSRF_FIELD, CsrfExpected, Identity, same_secret};
use crate::narrative_edits::audit_in;
use crate::pages::{error_page, render};
use crate::params::Params;
use crate::problem::{ApiError, ErrorCode, Problem};

/// What one uploaded capture gave.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadReport {
    /// The file's name as uploaded.
    pub file: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// The format it was read as.
    pub format: String,
    /// The channel it was filed under.
    pub channel: String,
    /// True when the archive already held this exact capture (nothing was read again).
    pub already_archived: bool,
    /// Posts the archive did not have.
    pub posts_new: u64,
    /// Posts the archive had, seen with other text (a new version).
    pub posts_updated: u64,
    /// Posts the archive had with the same text.
    pub posts_unchanged: u64,
    /// Warnings, each naming the place in the file.
    pub warnings: Vec<String>,
}

/// Parameters of an upload through the API.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The file's name (shown in the capture's source; default `upload`).
    pub name: Option<String>,
    /// The channel, for formats that do not name one (plain text).
    pub channel: Option<String>,
}

/// A file name of an upload without any folder (nothing outside the upload's own folder can
/// be named), at most 100 characters; `upload` when nothing is left.
fn file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).take(100).collect();
    let clean = clean.trim().trim_start_matches('.').to_string();
    if clean.is_empty() {
        "upload".into()
    } else {
        clean
    }
}

/// Ingests an upload with a writing engine and writes it to the audit log.
async fn ingest(
    state: &AppState,
    identity: Identity,
    name: &str,
    channel: Option<String>,
    bytes: Bytes,
) -> Result<UploadReport, ApiError> {
    let Some(opener) = state.config().opener.clone() else {
        return Err(ApiError::not_found("uploads are taken in team mode only"));
    };
    if bytes.is_empty() {
        return Err(ApiError::bad_request("the upload is empty"));
    }
    let dir = state.config().archive.clone();
    let file = file_name(name);
    let channel = channel
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    let work = tokio::task::spawn_blocking(move || -> Result<UploadReport, ApiError> {
        let uploads = dir.join("uploads");
        let folder = std::fs::create_dir_all(&uploads)
            .and_then(|()| {
                tempfile::Builder::new()
                    .prefix("upload-")
                    .tempdir_in(&uploads)
            })
            .map_err(|e| ApiError::internal(&format!("{}: {e}", uploads.display())))?;
        let path: PathBuf = folder.path().join(&file);
        std::fs::write(&path, &bytes)
            .map_err(|e| ApiError::internal(&format!("{}: {e}", path.display())))?;
        let archive = opener.open().map_err(EngineError::from)?;
        let mut engine = Engine::open_archive(archive)?;
        let options = IngestOptions {
            channel: channel.clone(),
            ..IngestOptions::default()
        };
        let report: IngestReport = engine.ingest(&[path], &options, &mut NoProgress)?;
        let Some(capture) = report.captures.first() else {
            let reason = report
                .skipped
                .first()
                .map_or("it is not a capture tgscope reads".to_string(), |s| {
                    s.reason.clone()
                });
            return Err(ApiError::bad_request(format!("{file}: {reason}")));
        };
        let uploaded = UploadReport {
            file: file.clone(),
            sha256: capture.sha256.clone(),
            format: capture.format.clone(),
            channel: capture.channel.clone(),
            already_archived: capture.already_archived,
            posts_new: capture.posts_new,
            posts_updated: capture.posts_updated,
            posts_unchanged: capture.posts_unchanged,
            warnings: capture.warnings.clone(),
        };
        audit_in(
            &engine,
            &identity,
            "ingest",
            serde_json::json!({
                "file": uploaded.file,
                "sha256": uploaded.sha256,
                "format": uploaded.format,
                "channel": uploaded.channel,
                "already_archived": uploaded.already_archived,
                "posts_new": uploaded.posts_new,
                "posts_updated": uploaded.posts_updated,
                "skipped": report.skipped.iter().map(|s| s.reason.clone()).collect::<Vec<_>>(),
            }),
        )?;
        drop(folder);
        Ok(uploaded)
    });
    work.await
        .map_err(|e| ApiError::internal(&format!("the upload's ingest failed: {e}")))?
}

/// Ingests the capture in the request's body (editors).
#[utoipa::path(
    post,
    path = "/api/v1/captures",
    tag = "captures",
    params(UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The capture's bytes, any format tgscope reads"),
    responses(
        (status = 201, description = "Ingested (or already archived)", body = UploadReport),
        (status = 400, description = "`bad_request`: empty, or not a capture tgscope reads",
            body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (not an editor) or `csrf`", body = Problem,
            content_type = "application/problem+json"),
        (status = 413, description = "`body_too_large`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn upload_api(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Params(p): Params<UploadParams>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|e| too_large(&state, &e))?;
    let report = ingest(
        &state,
        identity,
        p.name.as_deref().unwrap_or("upload"),
        p.channel,
        body,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(report)).into_response())
}

fn too_large(state: &AppState, e: &dyn std::fmt::Display) -> ApiError {
    ApiError::new(
        ErrorCode::BodyTooLarge,
        format!(
            "the upload could not be read ({e}); at most {} bytes are accepted",
            state.config().max_upload_bytes
        ),
    )
}

#[derive(Template)]
#[template(path = "ingest.html")]
struct IngestPage {
    csrf: String,
    max_mib: u64,
    report: Option<UploadReport>,
    error: Option<String>,
}

/// `GET /ingest`: the upload form (editors).
pub async fn page(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
) -> Response {
    render(
        &IngestPage {
            csrf: identity.csrf().unwrap_or_default().to_string(),
            max_mib: state.config().max_upload_bytes / (1024 * 1024),
            report: None,
            error: None,
        },
        StatusCode::OK,
    )
}

/// `POST /ingest`: ingests the form's file and shows what it gave.
pub async fn upload_form(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    expected: Option<Extension<CsrfExpected>>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let mut form = match form {
        Ok(form) => form,
        Err(e) => return error_page(&ApiError::bad_request(e.body_text())),
    };
    let mut csrf = None;
    let mut channel = None;
    let mut file = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return error_page(&too_large(&state, &e)),
        };
        match field.name().unwrap_or_default() {
            CSRF_FIELD => csrf = field.text().await.ok(),
            "channel" => channel = field.text().await.ok(),
            "file" => {
                let name = field.file_name().unwrap_or("upload").to_string();
                match field.bytes().await {
                    Ok(bytes) => file = Some((name, bytes)),
                    Err(e) => return error_page(&too_large(&state, &e)),
                }
            }
            _ => {}
        }
    }
    // A browser's form carries the session's CSRF token (an API token's request has none to
    // carry, and needs none).
    if let Some(Extension(CsrfExpected(expected))) = expected
        && !csrf
            .as_deref()
            .is_some_and(|sent| same_secret(sent, &expected))
    {
        return error_page(&ApiError::new(
            ErrorCode::Csrf,
            "the form carries no csrf field, or not this session's; reload the page and send it \
             again",
        ));
    }
    let csrf_value = identity.csrf().unwrap_or_default().to_string();
    let max_mib = state.config().max_upload_bytes / (1024 * 1024);
    let Some((name, bytes)) = file else {
        return render(
            &IngestPage {
                csrf: csrf_value,
                max_mib,
                report: None,
                error: Some("choose a file to upload".into()),
            },
            StatusCode::BAD_REQUEST,
        );
    };
    match ingest(&state, identity, &name, channel, bytes).await {
        Ok(report) => render(
            &IngestPage {
                csrf: csrf_value,
                max_mib,
                report: Some(report),
                error: None,
            },
            StatusCode::OK,
        ),
        Err(e) if e.code == ErrorCode::BadRequest => render(
            &IngestPage {
                csrf: csrf_value,
                max_mib,
                report: None,
                error: Some(e.detail),
            },
            StatusCode::BAD_REQUEST,
        ),
        Err(e) => error_page(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uploads_name_names_no_folder() {
        assert_eq!(file_name("result.json"), "result.json");
        assert_eq!(file_name("../../etc/passwd"), "passwd");
        assert_eq!(file_name("C:\\exports\\chat.html"), "chat.html");
        assert_eq!(file_name(".."), "upload");
        assert_eq!(file_name(""), "upload");
    }
}
