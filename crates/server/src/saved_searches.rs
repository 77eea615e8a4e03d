//! Team mode: the team's saved searches. A saved search names a search of the search page: its
//! query string (the query box and the filters, as `/search` takes them), with a note, who
//! saved it and when. Everyone signed in reads them; editors add, edit and delete them, each
//! change written to the audit log (`saved_search.add`, `saved_search.edit`,
//! `saved_search.delete`).
//!
//! - Pages: `/saved` lists them, each a link to its search and to the Atom feed of its query
//!   (the search feed, [`crate::feeds`]); editors get the forms: `POST /saved` (also the "Save
//!   this search" form beside the search page's results), `POST /saved/{name}/edit`,
//!   `POST /saved/{name}/delete`.
//! - API: `GET` and `POST /api/v1/saved-searches`, `GET`, `PUT` and `DELETE
//!   /api/v1/saved-searches/{name}`.
//!
//! A query string is kept in one form ([`canonical_query`]): the search page's own fields in
//! the page's order, empty ones and the paging cursor left out; a field the page does not take,
//! or a query the page would refuse, is refused.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tgscope_engine::TeamError;
use tgscope_engine::archive::team::SavedSearch;
use tgscope_engine::team::{MAX_NAME_CHARS, MAX_SAVED_NOTE_CHARS};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{self, Identity, editor_csrf, form_fields, with_team};
use crate::config::ServerConfig;
use crate::form::SearchForm;
use crate::links;
use crate::pages::{error_page, render};
use crate::params::{self, PathText};
use crate::problem::{ApiError, ErrorCode, Problem};
use crate::team_pages::see_other;

/// What the embedded archive's server says of saved searches.
pub const NOT_IN_EMBEDDED: &str = "saved searches are kept only in team mode (the team's archive \
     in PostgreSQL: tgscope --database postgres://... serve); the embedded archive's server is a \
     read-only viewer";

/// The fields of the search page a saved search keeps, in the page's order.
const SEARCH_FIELDS: [&str; 9] = [
    "q", "channel", "from", "tag", "since", "until", "media", "sort", "by",
];

/// The search page's form of a query string: `q=...&channel=...`, `?q=...`, `/search?q=...`,
/// or a whole address of the search page.
fn search_form(given: &str) -> Result<SearchForm, ApiError> {
    let given = given.trim();
    let query = match given.split_once('?') {
        Some((path, query)) => {
            let path = path.split_once("://").map_or(path, |(_, rest)| {
                rest.find('/').map_or("", |at| &rest[at..])
            });
            if !(path.is_empty() || path == "/search") {
                return Err(ApiError::bad_request(format!(
                    "{path:?} is not the search page: a saved search is a query string of \
                     /search (q=...&channel=...)"
                )));
            }
            query
        }
        None => given,
    };
    let mut form = SearchForm::default();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = value.into_owned();
        let field = match name.as_ref() {
            "q" => &mut form.q,
            "channel" => &mut form.channel,
            "from" => &mut form.from,
            "tag" => &mut form.tag,
            "since" => &mut form.since,
            "until" => &mut form.until,
            "media" => &mut form.media,
            "sort" => &mut form.sort,
            "by" => &mut form.by,
            // A page of the results is not part of the search.
            "cursor" => continue,
            other => {
                return Err(ApiError::bad_request(format!(
                    "the search page takes no field {other:?}: its fields are {}",
                    SEARCH_FIELDS.join(", ")
                )));
            }
        };
        *field = value;
    }
    Ok(form)
}

/// A query string as a saved search keeps it: checked as the search page checks it (the
/// filters, the query language, its length, the order and the period), then written in the
/// page's field order without empty fields or the cursor.
pub fn canonical_query(given: &str, config: &ServerConfig) -> Result<String, ApiError> {
    let form = search_form(given)?;
    let combined = form.combined().map_err(ApiError::bad_request)?;
    if combined.is_empty() {
        return Err(ApiError::bad_request(
            "the saved search asks nothing: give words or a filter (q=...)",
        ));
    }
    params::query(&combined, config)?;
    params::sort(Some(&form.sort))?;
    params::period(Some(&form.by), None)?;
    Ok(query_string(&form))
}

/// The form's fields as a query string (empty ones left out), without the `?`.
pub fn query_string(form: &SearchForm) -> String {
    let pairs = form.pairs();
    links::with_query("", &pairs)
        .trim_start_matches('?')
        .to_string()
}

/// A saved search as the API gives it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedSearchView {
    /// Its name.
    pub name: String,
    /// The search page's query string (`q=...&channel=...`).
    pub query: String,
    /// The whole search in the query language (the query box and the filters), as `tgscope
    /// search` takes it; null when the search page would no longer take the query string.
    pub search: Option<String>,
    /// The search page of it.
    pub search_url: String,
    /// The JSON results of it (`/api/v1/search`).
    pub api_url: Option<String>,
    /// Its Atom feed (`/feeds/search.atom`; RSS and JSON Feed by changing the extension).
    pub feed_url: Option<String>,
    /// What it is for.
    pub note: String,
    /// Who saved it.
    pub created_by: String,
    /// When it was saved (RFC 3339 UTC).
    pub created_at: String,
    /// When it was last changed (RFC 3339 UTC).
    pub updated_at: String,
    /// This saved search in the API.
    pub saved_url: String,
}

impl SavedSearchView {
    fn of(saved: SavedSearch) -> SavedSearchView {
        let form = search_form(&saved.query).ok();
        let search = form
            .as_ref()
            .and_then(|f| f.combined().ok())
            .filter(|q| !q.is_empty());
        let api_url = form.as_ref().zip(search.as_deref()).map(|(f, q)| {
            links::with_query("/api/v1/search", &[("q", q), ("sort", f.sort.as_str())])
        });
        let feed_url = search.as_deref().and_then(|q| {
            crate::feeds::search_links(q)
                .into_iter()
                .find(|l| l.href.starts_with("/feeds/search.atom"))
                .map(|l| l.href)
        });
        SavedSearchView {
            search_url: format!("/search?{}", saved.query),
            saved_url: format!(
                "/api/v1/saved-searches/{}",
                links::path_segment(&saved.name)
            ),
            search,
            api_url,
            feed_url,
            name: saved.name,
            query: saved.query,
            note: saved.note,
            created_by: saved.created_by,
            created_at: saved.created_at,
            updated_at: saved.updated_at,
        }
    }
}

/// A team error of saved searches as the API's: a name taken is a conflict, no team archive
/// is "not found" (as uploads), the rest as every team error.
fn saved_error(e: TeamError) -> ApiError {
    match e {
        TeamError::SavedSearchTaken(_) => ApiError::new(ErrorCode::Conflict, e.to_string()),
        TeamError::NotTeam => ApiError::not_found(NOT_IN_EMBEDDED),
        other => auth::team_error(other),
    }
}

/// Runs `work` on the team with an engine of the pool, errors as [`saved_error`].
async fn with_saved<T, F>(state: &AppState, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&tgscope_engine::Team<'_>) -> Result<T, TeamError> + Send + 'static,
{
    // The archive's failures go through the pool (which retires a failed engine); the
    // team's answers are told apart here.
    let result = with_team(state, move |team| match work(team) {
        Err(TeamError::Archive(e)) => Err(TeamError::Archive(e)),
        other => Ok(other),
    })
    .await?;
    result.map_err(saved_error)
}

/// What changes a saved search.
enum Change {
    Add {
        name: String,
        query: String,
        note: String,
    },
    Edit {
        name: String,
        query: Option<String>,
        note: Option<String>,
    },
    Delete {
        name: String,
    },
}

/// Makes a change (the query string made canonical first), audited by the engine.
async fn apply(
    state: &AppState,
    identity: &Identity,
    change: Change,
) -> Result<SavedSearch, ApiError> {
    let config = state.config();
    let change = match change {
        Change::Add { name, query, note } => Change::Add {
            name,
            query: canonical_query(&query, config)?,
            note,
        },
        Change::Edit { name, query, note } => Change::Edit {
            name,
            query: query.map(|q| canonical_query(&q, config)).transpose()?,
            note,
        },
        delete @ Change::Delete { .. } => delete,
    };
    let actor = identity.actor();
    with_saved(state, move |team| match &change {
        Change::Add { name, query, note } => team.add_saved_search(&actor, name, query, note),
        Change::Edit { name, query, note } => {
            team.edit_saved_search(&actor, name, query.as_deref(), note.as_deref())
        }
        Change::Delete { name } => team.delete_saved_search(&actor, name),
    })
    .await
}

/// A saved search as the page lists it.
struct SavedRow {
    name: String,
    note: String,
    query: String,
    search: Option<String>,
    search_href: String,
    feed_href: Option<String>,
    created_by: String,
    created_at: String,
    updated_at: String,
    edit_href: String,
    delete_href: String,
}

#[derive(Template)]
#[template(path = "saved.html")]
struct SavedPage {
    rows: Vec<SavedRow>,
    /// The session's CSRF token when the account may edit (the forms are shown).
    csrf: Option<String>,
    error: Option<String>,
    /// What the add form holds again after an error.
    name: String,
    query: String,
    note: String,
    max_name: usize,
    max_note: usize,
}

/// The add form's values shown again after an error.
#[derive(Default)]
struct Refill {
    name: String,
    query: String,
    note: String,
}

async fn saved_page(
    state: &AppState,
    error: Option<String>,
    refill: Refill,
    status: StatusCode,
) -> Response {
    let saved = match with_saved(state, |team| team.saved_searches()).await {
        Ok(saved) => saved,
        Err(e) => return error_page(&e),
    };
    let rows = saved
        .into_iter()
        .map(|s| {
            let base = format!("/saved/{}", links::path_segment(&s.name));
            let view = SavedSearchView::of(s);
            SavedRow {
                edit_href: format!("{base}/edit"),
                delete_href: format!("{base}/delete"),
                name: view.name,
                note: view.note,
                query: view.query,
                search: view.search,
                search_href: view.search_url,
                feed_href: view.feed_url,
                created_by: view.created_by,
                created_at: view.created_at,
                updated_at: view.updated_at,
            }
        })
        .collect();
    render(
        &SavedPage {
            rows,
            csrf: editor_csrf(),
            error,
            name: refill.name,
            query: refill.query,
            note: refill.note,
            max_name: MAX_NAME_CHARS,
            max_note: MAX_SAVED_NOTE_CHARS,
        },
        status,
    )
}

/// `GET /saved`: the team's saved searches (and, for editors, the forms).
pub async fn page(State(state): State<AppState>) -> Response {
    saved_page(&state, None, Refill::default(), StatusCode::OK).await
}

/// A form's error: shown on the list page (the add form refilled) when it is the user's, else
/// the error page.
async fn form_error(state: &AppState, e: ApiError, refill: Refill) -> Response {
    match e.code {
        ErrorCode::BadRequest
        | ErrorCode::BadQuery
        | ErrorCode::QueryTooLong
        | ErrorCode::Conflict => {
            let status = e.code.status();
            saved_page(state, Some(e.detail), refill, status).await
        }
        _ => error_page(&e),
    }
}

/// `POST /saved`: saves a search (the list page's form, or "Save this search" on the search
/// page); to the list.
pub async fn add_form(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    body: Bytes,
) -> Response {
    let mut fields = form_fields(&body);
    let refill = Refill {
        name: fields.remove("name").unwrap_or_default(),
        query: fields.remove("query").unwrap_or_default(),
        note: fields.remove("note").unwrap_or_default(),
    };
    let change = Change::Add {
        name: refill.name.clone(),
        query: refill.query.clone(),
        note: refill.note.clone(),
    };
    match apply(&state, &identity, change).await {
        Ok(_) => see_other("/saved"),
        Err(e) => form_error(&state, e, refill).await,
    }
}

/// `POST /saved/{name}/edit`: a new query string or note; to the list.
pub async fn edit_form(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    PathText(name): PathText,
    body: Bytes,
) -> Response {
    let mut fields = form_fields(&body);
    let change = Change::Edit {
        name,
        query: fields.remove("query"),
        note: fields.remove("note"),
    };
    match apply(&state, &identity, change).await {
        Ok(_) => see_other("/saved"),
        Err(e) => form_error(&state, e, Refill::default()).await,
    }
}

/// `POST /saved/{name}/delete`: deletes a saved search; to the list.
pub async fn delete_form(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    PathText(name): PathText,
) -> Response {
    match apply(&state, &identity, Change::Delete { name }).await {
        Ok(_) => see_other("/saved"),
        Err(e) => form_error(&state, e, Refill::default()).await,
    }
}

/// A new saved search.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewSavedSearchBody {
    /// Its name: at most 64 characters, no control characters or '/'; unique whatever the
    /// case.
    pub name: String,
    /// The search page's query string (`q=...&channel=...`; a leading `?` or `/search?` is
    /// fine).
    pub query: String,
    /// What it is for.
    #[serde(default)]
    pub note: String,
}

/// A change of a saved search: what is left out is kept.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SavedSearchEdit {
    /// The new query string.
    pub query: Option<String>,
    /// The new note.
    pub note: Option<String>,
}

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the body is not the JSON expected: {e}")))
}

/// The team's saved searches, by name.
#[utoipa::path(
    get,
    path = "/api/v1/saved-searches",
    tag = "team",
    responses(
        (status = 200, description = "Every saved search", body = Vec<SavedSearchView>),
        (status = 401, description = "`unauthorized`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn list_api(
    State(state): State<AppState>,
) -> Result<Json<Vec<SavedSearchView>>, ApiError> {
    let saved = with_saved(&state, |team| team.saved_searches()).await?;
    Ok(Json(saved.into_iter().map(SavedSearchView::of).collect()))
}

/// One saved search.
#[utoipa::path(
    get,
    path = "/api/v1/saved-searches/{name}",
    tag = "team",
    params(("name" = String, Path, description = "The saved search's name (any case)")),
    responses(
        (status = 200, description = "The saved search", body = SavedSearchView),
        (status = 401, description = "`unauthorized`", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no saved search of that name",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_api(
    State(state): State<AppState>,
    PathText(name): PathText,
) -> Result<Json<SavedSearchView>, ApiError> {
    let saved = with_saved(&state, move |team| team.saved_search(&name)).await?;
    Ok(Json(SavedSearchView::of(saved)))
}

/// Saves a search (editors).
#[utoipa::path(
    post,
    path = "/api/v1/saved-searches",
    tag = "team",
    request_body = NewSavedSearchBody,
    responses(
        (status = 201, description = "The saved search", body = SavedSearchView),
        (status = 400, description = "`bad_request`, `bad_query` or `query_too_long`: a name \
            or query string the search page would not take", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (not an editor) or `csrf`", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: a saved search of that name exists",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_api(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: NewSavedSearchBody = json_body(&body)?;
    let change = Change::Add {
        name: b.name,
        query: b.query,
        note: b.note,
    };
    let saved = apply(&state, &identity, change).await?;
    Ok((StatusCode::CREATED, Json(SavedSearchView::of(saved))).into_response())
}

/// Changes a saved search's query string or note (editors).
#[utoipa::path(
    put,
    path = "/api/v1/saved-searches/{name}",
    tag = "team",
    params(("name" = String, Path, description = "The saved search's name (any case)")),
    request_body = SavedSearchEdit,
    responses(
        (status = 200, description = "The saved search", body = SavedSearchView),
        (status = 400, description = "`bad_request`, `bad_query` or `query_too_long`",
            body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (not an editor) or `csrf`", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no saved search of that name",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn edit_api(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    PathText(name): PathText,
    body: Bytes,
) -> Result<Json<SavedSearchView>, ApiError> {
    let e: SavedSearchEdit = json_body(&body)?;
    let change = Change::Edit {
        name,
        query: e.query,
        note: e.note,
    };
    Ok(Json(SavedSearchView::of(
        apply(&state, &identity, change).await?,
    )))
}

/// Deletes a saved search (editors); the answer is what it was.
#[utoipa::path(
    delete,
    path = "/api/v1/saved-searches/{name}",
    tag = "team",
    params(("name" = String, Path, description = "The saved search's name (any case)")),
    responses(
        (status = 200, description = "The saved search as it was deleted", body = SavedSearchView),
        (status = 403, description = "`forbidden` (not an editor) or `csrf`", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no saved search of that name",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_api(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    PathText(name): PathText,
) -> Result<Json<SavedSearchView>, ApiError> {
    Ok(Json(SavedSearchView::of(
        apply(&state, &identity, Change::Delete { name }).await?,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_string_is_kept_in_the_search_pages_form() {
        let config = ServerConfig::default();
        assert_eq!(
            canonical_query("?channel=mfa_test&q=harbor&cursor=abc&media=", &config).expect("fine"),
            "q=harbor&channel=mfa_test"
        );
        assert_eq!(
            canonical_query(
                "https://archive.example/search?q=%23tides&sort=date",
                &config
            )
            .expect("a whole address"),
            "q=%23tides&sort=date"
        );
        assert_eq!(
            canonical_query("/search?tag=tides", &config).expect("filters alone"),
            "tag=tides"
        );
    }

    #[test]
    fn what_the_search_page_refuses_is_refused() {
        let config = ServerConfig::default();
        for bad in [
            "",
            "q=",
            "page=2&q=x",
            "/posts?q=x",
            "q=%22unclosed",
            "q=x&since=March",
            "q=x&sort=sideways",
            "q=x&by=year",
            "q=x&media=hologram",
        ] {
            assert!(canonical_query(bad, &config).is_err(), "{bad:?}");
        }
    }
}
