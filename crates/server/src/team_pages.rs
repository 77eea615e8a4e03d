//! Team mode's own routes: signing in and out, the account page with its API tokens, the
//! admins' pages of accounts and of the audit log, and their JSON API.
//!
//! - `GET /sign-in`, `POST /sign-in`: the form (its CSRF token tied to the browser by the
//!   cookie [`SIGN_IN_COOKIE`]), then the session cookie and a redirect to the page asked for.
//!   A failed sign-in says only that the name or the password is wrong; too many failures of
//!   a name or from an address answer `429` without checking the password
//!   ([`crate::sign_in_limit`]), each lock-out written to the audit log (`sign_in.locked`).
//! - `POST /sign-out`: ends the session.
//! - `/account`: the account, its API tokens (create: the secret shown once; revoke).
//! - `/admin/users` (admins): accounts listed, added, disabled and enabled.
//! - `/admin/audit` (admins): the audit log, newest first, paged.
//! - API: `GET /api/v1/account`, `GET|POST /api/v1/account/tokens`,
//!   `DELETE /api/v1/account/tokens/{id}`, `GET /api/v1/audit` (admins).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Extension, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, http::HeaderMap};
use serde::{Deserialize, Serialize};
use tgscope_engine::Actor;
use tgscope_engine::archive::{Account, ApiToken, AuditEntry, Role};
use tgscope_engine::team::MIN_PASSWORD_CHARS;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{
    self, CSRF_FIELD, Identity, SESSION_COOKIE, SIGN_IN_COOKIE, Via, form_fields, same_secret,
    set_cookie, with_team,
};
use crate::links;
use crate::pages::{error_page, render};
use crate::params::Params;
use crate::problem::{ApiError, ErrorCode, Problem};
use crate::sign_in_limit::{self, Lockout};

/// What a failed sign-in says, whichever part was wrong.
pub const SIGN_IN_FAILED: &str = "The name or the password is wrong.";

/// Entries per page of the audit log.
const AUDIT_PAGE: u64 = 50;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    csrf: String,
    next: String,
    error: Option<String>,
}

/// Where to go after signing in: a path of this server (never another site), else `/`.
fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.starts_with("/sign-in")
        && !next.chars().any(char::is_control);
    if ok { next.to_string() } else { "/".into() }
}

/// A random token for the sign-in form (hex of 32 bytes from the system).
fn form_token() -> String {
    let mut bytes = [0u8; 32];
    // Without the system's random numbers nobody can sign in: the form's token is empty, which
    // no sign-in is accepted with.
    match tgscope_engine::team::random_bytes(&mut bytes) {
        Ok(()) => hex::encode(bytes),
        Err(e) => {
            tracing::error!("{e}");
            String::new()
        }
    }
}

/// The sign-in form with `status` (401 for a request that was not signed in), going to `next`
/// afterwards, with an error to show; sets the form's cookie.
pub fn sign_in_page(status: StatusCode, next: &str, error: Option<&str>) -> Response {
    let csrf = form_token();
    let page = SignInPage {
        csrf: csrf.clone(),
        next: safe_next(next),
        error: error.map(str::to_string),
    };
    let mut response = render(&page, status);
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SIGN_IN_COOKIE, &csrf, "/sign-in", 3600),
    );
    response
}

/// `GET /sign-in`: the form.
pub async fn sign_in_form(Params(p): Params<NextParam>) -> Response {
    sign_in_page(StatusCode::OK, p.next.as_deref().unwrap_or("/"), None)
}

/// The page to go to after signing in.
#[derive(Debug, Default, Deserialize)]
pub struct NextParam {
    /// A path of this server.
    pub next: Option<String>,
}

/// What the sign-in form says to a name or address locked out by too many failures (the same
/// whether or not the account exists), with the minutes to wait.
pub fn sign_in_locked_message(wait: Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    format!(
        "Too many failed sign-ins: signing in is paused for this name or this address. Try \
         again in {minutes} {unit}."
    )
}

/// The sign-in form answered `429` during a lock-out, with `Retry-After` in seconds.
fn locked_out_page(next: &str, wait: Duration) -> Response {
    let mut response = sign_in_page(
        StatusCode::TOO_MANY_REQUESTS,
        next,
        Some(&sign_in_locked_message(wait)),
    );
    let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Writes each lock-out to the audit log (`sign_in.locked`: the name tried, the address, which
/// limit; never the password). The sign-in's own answer does not wait on it failing.
async fn audit_lockouts(
    state: &AppState,
    name: &str,
    address: Option<IpAddr>,
    locked: Vec<Lockout>,
) {
    let limits = state.sign_ins().limits();
    for lockout in locked {
        let (limit, failures) = match &lockout {
            Lockout::Name(_) => ("name", limits.per_name),
            Lockout::Address(_) => ("address", limits.per_address),
        };
        let address_text = address.map_or_else(|| "unknown".to_string(), |a| a.to_string());
        let actor = Actor {
            account_id: None,
            name: format!("sign-in:{address_text}"),
        };
        let details = serde_json::json!({
            "name": sign_in_limit::name_key(name),
            "address": address_text,
            "limit": limit,
            "failures": failures,
            "window_seconds": limits.window.as_secs(),
        });
        if let Err(e) = with_team(state, move |team| {
            team.audit(&actor, "sign_in.locked", details).map(|_| ())
        })
        .await
        {
            tracing::error!(
                "the audit log did not take a sign-in lock-out: {}",
                e.detail
            );
        }
    }
}

/// `POST /sign-in`: signs in and goes to the page asked for, or shows the form again; while
/// the name or the client's address is locked out by failed sign-ins, `429` without checking
/// the password ([`crate::sign_in_limit`]).
pub async fn sign_in(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let address = sign_in_limit::client_address(
        peer.map(|Extension(ConnectInfo(addr))| addr.ip()),
        &headers,
        &state.config().trusted_proxies,
    );
    let mut fields = form_fields(&body);
    let next = fields.remove("next").unwrap_or_default();
    let expected = auth::cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    let sent = fields.remove(CSRF_FIELD).unwrap_or_default();
    if expected.is_empty() || !same_secret(&sent, &expected) {
        return sign_in_page(
            StatusCode::FORBIDDEN,
            &next,
            Some("The form expired or was sent from elsewhere: sign in again."),
        );
    }
    let name = fields.remove("name").unwrap_or_default();
    let password = fields.remove("password").unwrap_or_default();
    if let Err(wait) = state.sign_ins().check(&name, address, Instant::now()) {
        return locked_out_page(&next, wait);
    }
    let tried = name.clone();
    let signed = with_team(&state, move |team| team.sign_in(name.trim(), &password)).await;
    match signed {
        Ok(Some(session)) => {
            state.sign_ins().succeeded(&tried);
            let mut response = (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, safe_next(&next))],
            )
                .into_response();
            let headers = response.headers_mut();
            headers.append(header::SET_COOKIE, auth::session_cookie(&session.token));
            headers.append(
                header::SET_COOKIE,
                set_cookie(SIGN_IN_COOKIE, "", "/sign-in", 0),
            );
            response
        }
        Ok(None) => {
            let locked = state.sign_ins().failed(&tried, address, Instant::now());
            audit_lockouts(&state, &tried, address, locked).await;
            sign_in_page(StatusCode::UNAUTHORIZED, &next, Some(SIGN_IN_FAILED))
        }
        Err(e) => error_page(&e),
    }
}

/// `POST /sign-out`: ends the session and removes its cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
) -> Response {
    if let Via::Session { token, .. } = identity.via
        && let Err(e) = with_team(&state, move |team| team.sign_out(&token)).await
    {
        return error_page(&e);
    }
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/sign-in")]).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", "/", 0));
    response
}

/// An API token as the account page lists it.
struct TokenRow {
    id: i64,
    name: String,
    created_at: String,
    last_used: String,
    revoked_at: Option<String>,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    name: String,
    role: &'static str,
    csrf: String,
    tokens: Vec<TokenRow>,
    /// A token just created: its name and secret, shown once.
    new_secret: Option<(String, String)>,
    error: Option<String>,
}

async fn account_page(
    state: &AppState,
    identity: &Identity,
    new_secret: Option<(String, String)>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let account = identity.account.clone();
    let tokens = match with_team(state, move |team| team.list_tokens(&account)).await {
        Ok(tokens) => tokens,
        Err(e) => return error_page(&e),
    };
    let page = AccountPage {
        name: identity.account.name.clone(),
        role: identity.account.role.as_str(),
        csrf: identity.csrf().unwrap_or_default().to_string(),
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                name: t.name,
                created_at: t.created_at,
                last_used: t.last_used_at.unwrap_or_else(|| "never".into()),
                revoked_at: t.revoked_at,
            })
            .collect(),
        new_secret,
        error,
    };
    render(&page, status)
}

/// `GET /account`: the account, its API tokens and the sign-out button.
pub async fn account(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
) -> Response {
    account_page(&state, &identity, None, None, StatusCode::OK).await
}

/// `POST /account/tokens`: creates an API token and shows its secret once.
pub async fn create_token_form(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    body: Bytes,
) -> Response {
    let name = form_fields(&body).remove("name").unwrap_or_default();
    let (actor, account) = (identity.actor(), identity.account.clone());
    match with_team(&state, move |team| {
        team.create_token(&actor, &account, &name)
    })
    .await
    {
        Ok((token, secret)) => {
            account_page(
                &state,
                &identity,
                Some((token.name, secret)),
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(e) if e.code == ErrorCode::BadRequest => {
            account_page(
                &state,
                &identity,
                None,
                Some(e.detail),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => error_page(&e),
    }
}

/// `POST /account/tokens/{id}/revoke`: revokes one of the account's tokens.
pub async fn revoke_token_form(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<i64>,
) -> Response {
    let (actor, account) = (identity.actor(), identity.account.clone());
    match with_team(&state, move |team| team.revoke_token(&actor, &account, id)).await {
        Ok(()) => (StatusCode::SEE_OTHER, [(header::LOCATION, "/account")]).into_response(),
        Err(e) => error_page(&e),
    }
}

/// An account as the API gives it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    /// Its id.
    pub id: i64,
    /// The sign-in name.
    pub name: String,
    /// `reader`, `editor` or `admin`.
    pub role: String,
    /// Whether it is disabled.
    pub disabled: bool,
    /// When it was added (RFC 3339 UTC).
    pub created_at: String,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        AccountView {
            id: a.id,
            name: a.name.clone(),
            role: a.role.as_str().to_string(),
            disabled: a.disabled,
            created_at: a.created_at.clone(),
        }
    }
}

/// An API token as the API lists it (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// Its id.
    pub id: i64,
    /// What its owner called it.
    pub name: String,
    /// When it was created.
    pub created_at: String,
    /// When it was revoked; null while it works.
    pub revoked_at: Option<String>,
    /// When a request last used it.
    pub last_used_at: Option<String>,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> Self {
        TokenView {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            revoked_at: t.revoked_at,
            last_used_at: t.last_used_at,
        }
    }
}

/// A new API token: the token, and its secret, given this once only.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenView {
    /// The token as listed.
    pub token: TokenView,
    /// The secret to send as `Authorization: Bearer <secret>`; not shown again.
    pub secret: String,
}

/// What a new API token is called.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTokenBody {
    /// What the token is for ("nightly export").
    pub name: String,
}

/// The account the request is signed in as.
#[utoipa::path(
    get,
    path = "/api/v1/account",
    tag = "team",
    responses(
        (status = 200, description = "The account", body = AccountView),
        (status = 401, description = "`unauthorized`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn account_api(Extension(identity): Extension<Identity>) -> Json<AccountView> {
    Json(AccountView::from(&identity.account))
}

/// The API tokens of the account signed in, revoked ones too, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/account/tokens",
    tag = "team",
    responses(
        (status = 200, description = "The tokens", body = Vec<TokenView>),
        (status = 401, description = "`unauthorized`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn tokens_api(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let account = identity.account.clone();
    let tokens = with_team(&state, move |team| team.list_tokens(&account)).await?;
    Ok(Json(tokens.into_iter().map(TokenView::from).collect()))
}

/// Creates an API token for the account signed in; its secret is in this answer only.
#[utoipa::path(
    post,
    path = "/api/v1/account/tokens",
    tag = "team",
    request_body = NewTokenBody,
    responses(
        (status = 201, description = "The token and its secret", body = NewTokenView),
        (status = 400, description = "`bad_request`: a name that cannot be a token's",
            body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "`csrf`: a browser's request without its CSRF token",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_token_api(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: NewTokenBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body is not {{\"name\": ...}}: {e}")))?;
    let (actor, account) = (identity.actor(), identity.account.clone());
    let (token, secret) = with_team(&state, move |team| {
        team.create_token(&actor, &account, &body.name)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenView {
            token: TokenView::from(token),
            secret,
        }),
    )
        .into_response())
}

/// Revokes one of the account's API tokens: it stops working at the next request.
#[utoipa::path(
    delete,
    path = "/api/v1/account/tokens/{id}",
    tag = "team",
    params(("id" = i64, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "`unauthorized`", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the account has no working token with this id",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke_token_api(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path(id) = id.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let (actor, account) = (identity.actor(), identity.account.clone());
    with_team(&state, move |team| team.revoke_token(&actor, &account, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An account in the admins' list.
struct UserRow {
    id: i64,
    name: String,
    role: &'static str,
    created_at: String,
    disabled: bool,
    disable_href: String,
    enable_href: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    users: Vec<UserRow>,
    csrf: String,
    roles: Vec<&'static str>,
    min_password: usize,
    error: Option<String>,
}

async fn users_page(
    state: &AppState,
    identity: &Identity,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let users = match with_team(state, |team| team.list_users()).await {
        Ok(users) => users,
        Err(e) => return error_page(&e),
    };
    let page = UsersPage {
        users: users
            .into_iter()
            .map(|u| {
                let base = format!("/admin/users/{}", links::path_segment(&u.name));
                UserRow {
                    id: u.id,
                    role: u.role.as_str(),
                    created_at: u.created_at,
                    disabled: u.disabled,
                    disable_href: format!("{base}/disable"),
                    enable_href: format!("{base}/enable"),
                    name: u.name,
                }
            })
            .collect(),
        csrf: identity.csrf().unwrap_or_default().to_string(),
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        min_password: MIN_PASSWORD_CHARS,
        error,
    };
    render(&page, status)
}

/// `GET /admin/users`: every account, with the forms to add, disable and enable.
pub async fn users(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
) -> Response {
    users_page(&state, &identity, None, StatusCode::OK).await
}

/// `POST /admin/users`: adds an account.
pub async fn add_user_form(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    body: Bytes,
) -> Response {
    let mut fields = form_fields(&body);
    let name = fields.remove("name").unwrap_or_default();
    let password = fields.remove("password").unwrap_or_default();
    let role_name = fields.remove("role").unwrap_or_default();
    let Some(role) = Role::parse(&role_name) else {
        return users_page(
            &state,
            &identity,
            Some(format!(
                "{role_name:?} is not a role: reader, editor or admin"
            )),
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let actor = identity.actor();
    match with_team(&state, move |team| {
        team.add_user(&actor, name.trim(), role, &password)
    })
    .await
    {
        Ok(_) => (StatusCode::SEE_OTHER, [(header::LOCATION, "/admin/users")]).into_response(),
        Err(e) if e.code == ErrorCode::BadRequest => {
            users_page(&state, &identity, Some(e.detail), StatusCode::BAD_REQUEST).await
        }
        Err(e) => error_page(&e),
    }
}

async fn set_disabled(
    state: AppState,
    identity: Identity,
    name: String,
    disabled: bool,
) -> Response {
    if disabled && name == identity.account.name {
        return users_page(
            &state,
            &identity,
            Some("an admin cannot disable their own account here".into()),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let actor = identity.actor();
    let done = with_team(&state, move |team| {
        if disabled {
            team.disable_user(&actor, &name)
        } else {
            team.enable_user(&actor, &name)
        }
    })
    .await;
    match done {
        Ok(_) => (StatusCode::SEE_OTHER, [(header::LOCATION, "/admin/users")]).into_response(),
        Err(e) => error_page(&e),
    }
}

/// `POST /admin/users/{name}/disable`: disables an account (its sessions and tokens stop
/// working at once).
pub async fn disable_user_form(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(name): Path<String>,
) -> Response {
    set_disabled(state, identity, name, true).await
}

/// `POST /admin/users/{name}/enable`: enables a disabled account.
pub async fn enable_user_form(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(name): Path<String>,
) -> Response {
    set_disabled(state, identity, name, false).await
}

/// An entry of the audit log as the API gives it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    /// Its id (newer entries have larger ids).
    pub id: i64,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// The account that acted; null for the command line.
    pub account_id: Option<i64>,
    /// Who: the account's name, or `cli:<system user>`.
    pub actor: String,
    /// What: `session.start`, `session.end`, `sign_in.locked`, `user.add`, `user.disable`,
    /// `user.enable`, `user.password`, `token.create`, `token.revoke`, `narrative.add`,
    /// `narrative.edit`, `narrative.remove`, `saved_search.add`, `saved_search.edit`,
    /// `saved_search.delete`, `ingest`, `collect`, `export`.
    pub action: String,
    /// The particulars (never a password or token).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(e: AuditEntry) -> Self {
        AuditEntryView {
            id: e.id,
            at: e.at,
            account_id: e.account_id,
            actor: e.actor,
            action: e.action,
            details: serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// A page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditResponse {
    /// The entries, newest first.
    pub entries: Vec<AuditEntryView>,
    /// Pass as `before` for the next (older) page; null on the last.
    pub next_before: Option<i64>,
}

/// Parameters of the audit log.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Entries older than this entry's id (the newest when left out).
    pub before: Option<i64>,
    /// How many (default and most: 50).
    pub limit: Option<u64>,
}

async fn audit_page_of(state: &AppState, p: &AuditParams) -> Result<AuditResponse, ApiError> {
    let limit = p.limit.unwrap_or(AUDIT_PAGE).clamp(1, AUDIT_PAGE);
    let before = p.before;
    let page = with_team(state, move |team| team.audit_log(limit, before)).await?;
    let next_before = if page.more {
        page.entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(AuditResponse {
        entries: page.entries.into_iter().map(AuditEntryView::from).collect(),
        next_before,
    })
}

/// The audit log, newest first: every change and export with who and when (admins only).
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "team",
    params(AuditParams),
    responses(
        (status = 200, description = "A page of the log", body = AuditResponse),
        (status = 401, description = "`unauthorized`", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: not an admin", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn audit_api(
    State(state): State<AppState>,
    Params(p): Params<AuditParams>,
) -> Result<Json<AuditResponse>, ApiError> {
    Ok(Json(audit_page_of(&state, &p).await?))
}

/// An entry as the page shows it.
struct AuditRow {
    id: i64,
    at: String,
    actor: String,
    action: String,
    details: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    entries: Vec<AuditRow>,
    older: Option<String>,
}

/// `GET /admin/audit`: the audit log, newest first, 50 entries a page.
pub async fn audit(
    State(state): State<AppState>,
    p: Result<Params<AuditParams>, ApiError>,
) -> Response {
    let page = match p {
        Ok(Params(p)) => audit_page_of(&state, &p).await,
        Err(e) => Err(e),
    };
    match page {
        Ok(page) => render(
            &AuditPage {
                older: page
                    .next_before
                    .map(|id| format!("/admin/audit?before={id}")),
                entries: page
                    .entries
                    .into_iter()
                    .map(|e| AuditRow {
                        id: e.id,
                        at: e.at,
                        actor: e.actor,
                        action: e.action,
                        details: e.details.to_string(),
                    })
                    .collect(),
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&e),
    }
}

/// A redirect after a form (`303 See Other`).
pub fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_signing_in_only_this_servers_pages_are_gone_to() {
        assert_eq!(safe_next("/search?q=x"), "/search?q=x");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("/\\evil.example/"), "/");
        assert_eq!(safe_next("/sign-in"), "/");
        assert_eq!(safe_next(""), "/");
        assert_eq!(safe_next("/a\r\nSet-Cookie: x=1"), "/");
    }
}
