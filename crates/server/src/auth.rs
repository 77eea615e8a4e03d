//! Team mode's access control: who a request is, what their role allows, CSRF protection of
//! every form, and the audit of exports. The embedded archive's server has none of it (a
//! local viewer without sign-in); with [`ServerConfig::team`](crate::ServerConfig) every
//! request goes through [`require`]:
//!
//! - Public: `GET`/`POST /sign-in` and `/static/*`. Everything else, pages and API alike,
//!   needs the session cookie [`SESSION_COOKIE`] of a signed-in account or an API token
//!   (`Authorization: Bearer ...`); without one: 401 (the problem `unauthorized` for the API
//!   and feeds, the sign-in form for pages).
//! - Every request looks its session or token up in the archive (no cache): a disabled account
//!   or a revoked token stops working at the next request.
//! - Roles ([`needed_role`]): readers browse, search, export and read the saved searches;
//!   editors also ingest uploads, collect channels (`/collect`, `/api/v1/collections`, reading
//!   the runs too) and add, edit and remove narratives and saved searches; admins also manage
//!   accounts and read the audit log.
//!   A role too low: 403 `forbidden`.
//! - CSRF: a request of a signed-in browser that changes something (any method but `GET`,
//!   `HEAD`, `OPTIONS`) must carry the session's CSRF token, as the form field [`CSRF_FIELD`]
//!   (checked here for `application/x-www-form-urlencoded`, by the upload route for its
//!   `multipart/form-data`, which no other route takes) or the header [`CSRF_HEADER`]; and when the browser says where it
//!   comes from (`Sec-Fetch-Site`, `Origin`), from this site. Otherwise 403 `csrf`. Requests
//!   with an API token carry no cookie and need no CSRF token.
//! - Exports ([`is_export`]: CSV and network file downloads, a capture's raw bytes, a media
//!   file) are written to the audit log with who asked for what; an export whose entry cannot
//!   be written is not given out.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tgscope_engine::archive::{Account, Role};
use tgscope_engine::team::{SESSION_HOURS, TeamResult};
use tgscope_engine::{EngineError, ErrorKind, Team, TeamError};

use crate::AppState;
use crate::problem::{ApiError, ErrorCode};

/// The cookie of a signed-in browser's session.
pub const SESSION_COOKIE: &str = "tgscope_session";

/// The cookie that ties the sign-in form to the browser that asked for it (its CSRF token
/// before there is a session).
pub const SIGN_IN_COOKIE: &str = "tgscope_sign_in";

/// The hidden field of every form that carries the session's CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// The header that may carry the CSRF token instead of the form field.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How a request is signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A browser's session: its token (the cookie) and its CSRF token.
    Session {
        /// The cookie's token.
        token: String,
        /// The token its forms carry.
        csrf: String,
    },
    /// An API token.
    Token,
}

/// Who a request is (team mode), in the request's extensions for the handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The account.
    pub account: Account,
    /// How it signed in.
    pub via: Via,
}

impl Identity {
    /// The session's CSRF token (`None` for an API token).
    pub fn csrf(&self) -> Option<&str> {
        match &self.via {
            Via::Session { csrf, .. } => Some(csrf),
            Via::Token => None,
        }
    }

    /// The audit log's name of the actor.
    pub fn actor(&self) -> tgscope_engine::Actor {
        tgscope_engine::Actor::account(&self.account)
    }
}

/// The CSRF token a `multipart/form-data` request must carry in its field [`CSRF_FIELD`],
/// which its route checks as it reads the form.
#[derive(Debug, Clone)]
pub struct CsrfExpected(pub String);

tokio::task_local! {
    /// The identity of the request being answered, for the pages' navigation.
    static CURRENT: Identity;
    /// Whether the request is answered in team mode, for the pages' footer.
    static TEAM: bool;
}

/// Whether the request being answered is answered in team mode.
pub fn team_mode() -> bool {
    TEAM.try_with(|t| *t).unwrap_or(false)
}

/// The identity of the request being answered (team mode), if any.
pub fn current() -> Option<Identity> {
    CURRENT.try_with(Identity::clone).ok()
}

/// What the navigation of every page shows of the account signed in.
pub struct NavView {
    /// The account's name.
    pub name: String,
    /// Whether it may ingest and edit narratives.
    pub editor: bool,
    /// Whether it may manage accounts and read the audit log.
    pub admin: bool,
}

/// The navigation's view of the account signed in (`None` outside team mode).
pub fn nav() -> Option<NavView> {
    current().map(|i| NavView {
        name: i.account.name.clone(),
        editor: i.account.role.allows(Role::Editor),
        admin: i.account.role.allows(Role::Admin),
    })
}

/// The session's CSRF token when the account signed in may edit (for the forms of the
/// narrative pages); `None` otherwise.
pub fn editor_csrf() -> Option<String> {
    current()
        .filter(|i| i.account.role.allows(Role::Editor))
        .and_then(|i| i.csrf().map(str::to_string))
}

/// Whether a route is open to anyone: the sign-in form and the static files.
fn is_public(path: &str) -> bool {
    path == "/sign-in" || path.starts_with("/static/")
}

/// Whether a method changes something (and so needs a CSRF token from a browser).
fn changes(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether a route uploads a capture (its body may be up to `max_upload_bytes`).
pub fn is_upload(method: &Method, path: &str) -> bool {
    *method == Method::POST && (path == "/ingest" || path == "/api/v1/captures")
}

/// The role a request needs.
pub fn needed_role(method: &Method, path: &str) -> Role {
    if path == "/admin" || path.starts_with("/admin/") || path == "/api/v1/audit" {
        return Role::Admin;
    }
    let under = |root: &str| {
        path == root
            || path
                .strip_prefix(root)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    if path == "/ingest" || is_upload(method, path) {
        return Role::Editor;
    }
    if under("/collect") || under("/api/v1/collections") {
        return Role::Editor;
    }
    let editable = under("/narratives")
        || under("/api/v1/narratives")
        || under("/saved")
        || under("/api/v1/saved-searches");
    if editable && changes(method) {
        return Role::Editor;
    }
    Role::Reader
}

/// Whether a response is an export, which the audit log records: a download of a list or
/// network as a file (`Content-Disposition: attachment`), a capture's raw bytes, a media file.
pub fn is_export(method: &Method, path: &str, response: &Response) -> bool {
    if *method != Method::GET || !response.status().is_success() {
        return false;
    }
    let attachment = response
        .headers()
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("attachment"));
    let evidence = (path.starts_with("/api/v1/captures/") && path.ends_with("/raw"))
        || path.starts_with("/api/v1/media/");
    attachment || evidence
}

/// Whether the request's answer is a page (else a problem document): not the API, not a feed.
fn wants_page(path: &str) -> bool {
    !(path.starts_with("/api/") || path.starts_with("/feeds/"))
}

/// An error as the request's kind of answer: a page or a problem document.
pub fn answer(error: ApiError, path: &str) -> Response {
    if wants_page(path) {
        crate::pages::error_page(&error)
    } else {
        error.into_response()
    }
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The API token of `Authorization: Bearer <token>`, if the request sends one.
fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// A `Set-Cookie` value: HTTP only, secure, same-site strict, for `path`; `max_age` seconds
/// (0 removes it).
pub fn set_cookie(name: &str, value: &str, path: &str, max_age: i64) -> HeaderValue {
    let text = format!(
        "{name}={value}; Path={path}; HttpOnly; Secure; SameSite=Strict; Max-Age={max_age}"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The session cookie for a new session.
pub fn session_cookie(token: &str) -> HeaderValue {
    set_cookie(SESSION_COOKIE, token, "/", SESSION_HOURS * 3600)
}

/// Compares two secrets in time that depends only on their lengths.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The fields of an `application/x-www-form-urlencoded` body (the last of a repeated name).
pub fn form_fields(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// Every value of a repeated field of an urlencoded body, in order.
pub fn form_values(body: &[u8], name: &str) -> Vec<String> {
    form_urlencoded::parse(body)
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .collect()
}

/// Whether a request's content type is `essence` (parameters ignored).
fn content_type_is(headers: &HeaderMap, essence: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(essence))
}

/// Whether the browser says the request comes from another site (`Sec-Fetch-Site`), or its
/// `Origin` names another host than the one it was sent to.
fn from_elsewhere(headers: &HeaderMap) -> bool {
    let site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    if matches!(site, Some("cross-site" | "same-site")) {
        return true;
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            !origin_host.eq_ignore_ascii_case(host)
        }
        _ => false,
    }
}

/// A team error as the API's: the user's faults as 400 or 404, the rest as 500.
pub fn team_error(e: TeamError) -> ApiError {
    match e.kind() {
        ErrorKind::User => ApiError::bad_request(e.to_string()),
        ErrorKind::NotFound => ApiError::not_found(e.to_string()),
        ErrorKind::Internal => ApiError::internal(&e),
    }
}

/// Runs `work` on the team's accounts with an engine of the pool (on a blocking thread, under
/// the query timeout). An archive that failed retires its engine, as any archive error does.
pub async fn with_team<T, F>(state: &AppState, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Team<'_>) -> TeamResult<T> + Send + 'static,
{
    let result = state
        .pool()
        .run(
            move |engine| match engine.team().and_then(|team| work(&team)) {
                Ok(value) => Ok(Ok(value)),
                Err(TeamError::Archive(e)) => Err(EngineError::Store(e)),
                Err(e) => Ok(Err(e)),
            },
        )
        .await?;
    result.map_err(team_error)
}

/// Who a request is: its API token when it sends one, else its session cookie; `None` when
/// neither opens anything.
async fn identify(state: &AppState, headers: &HeaderMap) -> Result<Option<Identity>, ApiError> {
    if let Some(token) = bearer(headers) {
        return with_team(state, move |team| {
            Ok(team.bearer(&token)?.map(|account| Identity {
                account,
                via: Via::Token,
            }))
        })
        .await;
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    with_team(state, move |team| {
        Ok(team.session(&token)?.map(|s| Identity {
            account: s.account,
            via: Via::Session {
                token,
                csrf: s.csrf,
            },
        }))
    })
    .await
}

/// Refuses a request without the CSRF token of its session (see the module's description);
/// the request again (its body read when the token was in it).
async fn check_csrf(state: &AppState, request: Request, csrf: &str) -> Result<Request, ApiError> {
    let refused = |detail: &str| ApiError::new(ErrorCode::Csrf, detail.to_string());
    if from_elsewhere(request.headers()) {
        return Err(refused(
            "the request comes from another site; send the form from this server's pages",
        ));
    }
    if let Some(sent) = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        return if same_secret(sent.trim(), csrf) {
            Ok(request)
        } else {
            Err(refused("the X-CSRF-Token header is not this session's"))
        };
    }
    // Only the upload of a capture takes a multipart form, whose token its route checks.
    if content_type_is(request.headers(), "multipart/form-data")
        && is_upload(request.method(), request.uri().path())
    {
        let mut request = request;
        request
            .extensions_mut()
            .insert(CsrfExpected(csrf.to_string()));
        return Ok(request);
    }
    if !content_type_is(request.headers(), "application/x-www-form-urlencoded") {
        return Err(refused(
            "a signed-in browser's request that changes something must send its form's csrf \
             field or the X-CSRF-Token header",
        ));
    }
    let (parts, body) = request.into_parts();
    let limit = usize::try_from(state.config().max_body_bytes).unwrap_or(usize::MAX);
    let bytes: Bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            ErrorCode::BodyTooLarge,
            format!("the form is larger than {limit} bytes"),
        )
    })?;
    let sent = form_fields(&bytes).remove(CSRF_FIELD).unwrap_or_default();
    if sent.is_empty() {
        return Err(refused("the form carries no csrf field"));
    }
    if !same_secret(&sent, csrf) {
        return Err(refused(
            "the form's csrf field is not this session's (the page is older than the session?); \
             reload the page and send it again",
        ));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Team mode's gate in front of every route (does nothing outside team mode): sign-in, roles,
/// CSRF, and the audit of exports.
pub async fn require(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !state.config().team {
        return next.run(request).await;
    }
    TEAM.scope(true, gate(state, request, next)).await
}

async fn gate(state: AppState, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if is_public(&path) {
        return next.run(request).await;
    }
    let identity = match identify(&state, request.headers()).await {
        Ok(Some(identity)) => identity,
        Ok(None) => {
            return if wants_page(&path) {
                crate::team_pages::sign_in_page(
                    StatusCode::UNAUTHORIZED,
                    request.uri().path_and_query().map_or("/", |p| p.as_str()),
                    None,
                )
            } else {
                ApiError::unauthorized().into_response()
            };
        }
        Err(e) => return answer(e, &path),
    };
    let method = request.method().clone();
    let needed = needed_role(&method, &path);
    if !identity.account.role.allows(needed) {
        return answer(
            ApiError::forbidden(format!(
                "{} is a {}; this needs an {} account or higher",
                identity.account.name,
                identity.account.role,
                needed.as_str()
            )),
            &path,
        );
    }
    let mut request = request;
    if changes(&method)
        && let Some(csrf) = identity.csrf()
    {
        request = match check_csrf(&state, request, csrf).await {
            Ok(request) => request,
            Err(e) => return answer(e, &path),
        };
    }
    let query = request.uri().query().unwrap_or_default().to_string();
    request.extensions_mut().insert(identity.clone());
    let response = CURRENT.scope(identity.clone(), next.run(request)).await;
    if is_export(&method, &path, &response) {
        let actor = identity.actor();
        let details = serde_json::json!({"path": path, "query": query});
        if let Err(e) = with_team(&state, move |team| {
            team.audit(&actor, "export", details).map(|_| ())
        })
        .await
        {
            // An export the audit log does not hold is not given out.
            return answer(e, &path);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_needed_by_routes() {
        assert_eq!(needed_role(&Method::GET, "/search"), Role::Reader);
        assert_eq!(needed_role(&Method::GET, "/narratives"), Role::Reader);
        assert_eq!(needed_role(&Method::POST, "/narratives"), Role::Editor);
        assert_eq!(
            needed_role(&Method::DELETE, "/api/v1/narratives/x"),
            Role::Editor
        );
        assert_eq!(needed_role(&Method::GET, "/ingest"), Role::Editor);
        assert_eq!(needed_role(&Method::POST, "/api/v1/captures"), Role::Editor);
        assert_eq!(needed_role(&Method::GET, "/api/v1/captures"), Role::Reader);
        assert_eq!(needed_role(&Method::GET, "/admin/users"), Role::Admin);
        assert_eq!(needed_role(&Method::GET, "/api/v1/audit"), Role::Admin);
        assert_eq!(needed_role(&Method::POST, "/account/tokens"), Role::Reader);
        assert_eq!(needed_role(&Method::GET, "/saved"), Role::Reader);
        assert_eq!(
            needed_role(&Method::GET, "/api/v1/saved-searches/x"),
            Role::Reader
        );
        assert_eq!(needed_role(&Method::POST, "/saved"), Role::Editor);
        assert_eq!(needed_role(&Method::POST, "/saved/x/delete"), Role::Editor);
        assert_eq!(
            needed_role(&Method::PUT, "/api/v1/saved-searches/x"),
            Role::Editor
        );
        assert_eq!(needed_role(&Method::GET, "/collect"), Role::Editor);
        assert_eq!(
            needed_role(&Method::GET, "/api/v1/collections"),
            Role::Editor
        );
        assert_eq!(
            needed_role(&Method::POST, "/api/v1/collections"),
            Role::Editor
        );
        assert_eq!(needed_role(&Method::GET, "/savedx"), Role::Reader);
    }

    #[test]
    fn cookies_and_bearer_tokens_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tgscope_session=abc; b=2"),
        );
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer tgs_123"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "c"), None);
        assert_eq!(bearer(&headers).as_deref(), Some("tgs_123"));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }

    #[test]
    fn requests_from_another_site_are_told_apart() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("archive.example"));
        assert!(!from_elsewhere(&headers));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://archive.example"),
        );
        assert!(!from_elsewhere(&headers));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(from_elsewhere(&headers));
        headers.remove(header::ORIGIN);
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(from_elsewhere(&headers));
    }
}
