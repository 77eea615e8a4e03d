//! Team mode: editors add, edit and remove narratives, from the narrative pages' forms and
//! through the API; each change is written to the audit log (`narrative.add`,
//! `narrative.edit`, `narrative.remove`) with the narrative's name, version and queries.
//!
//! - Forms: `POST /narratives` (name, description, queries one per line),
//!   `POST /narratives/{name}/edit` (description, queries), `POST /narratives/{name}/remove`;
//!   each answered with a redirect to the page changed.
//! - API: `POST /api/v1/narratives`, `PUT /api/v1/narratives/{name}`,
//!   `DELETE /api/v1/narratives/{name}`, answered with the narrative as listed.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tgscope_engine::narratives::NarrativeSummary;
use tgscope_engine::{Engine, EngineError, TeamError};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{Identity, form_fields};
use crate::links;
use crate::pages::error_page;
use crate::params::PathText;
use crate::problem::{ApiError, Problem};
use crate::team_pages::see_other;

/// Appends to the audit log inside an engine's work, failing the work when it cannot.
pub fn audit_in(
    engine: &Engine,
    identity: &Identity,
    action: &str,
    details: serde_json::Value,
) -> Result<(), EngineError> {
    let written = engine
        .team()
        .and_then(|team| team.audit(&identity.actor(), action, details));
    match written {
        Ok(_) => Ok(()),
        Err(TeamError::Archive(e)) => Err(EngineError::Store(e)),
        Err(e) => Err(EngineError::Archive(e.to_string())),
    }
}

/// The audit log's particulars of a narrative as it is now.
fn details(n: &NarrativeSummary) -> serde_json::Value {
    serde_json::json!({
        "narrative": n.name,
        "version": n.version,
        "description": n.description,
        "queries": n.queries,
    })
}

/// The queries of a form's text box: one per line, blank lines left out.
fn queries_of(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_string)
        .collect()
}

/// What changes a narrative.
enum Change {
    Add {
        name: String,
        description: String,
        queries: Vec<String>,
    },
    Edit {
        name: String,
        description: Option<String>,
        queries: Option<Vec<String>>,
    },
    Remove {
        name: String,
    },
}

/// Makes a change with an engine of the pool and writes it to the audit log.
async fn apply(
    state: &AppState,
    identity: Identity,
    change: Change,
) -> Result<NarrativeSummary, ApiError> {
    Ok(state
        .pool()
        .run(move |engine| {
            let (summary, action) = match &change {
                Change::Add {
                    name,
                    description,
                    queries,
                } => (
                    engine.add_narrative(name, description, queries)?,
                    "narrative.add",
                ),
                Change::Edit {
                    name,
                    description,
                    queries,
                } => (
                    engine.edit_narrative(name, description.as_deref(), queries.as_deref())?,
                    "narrative.edit",
                ),
                Change::Remove { name } => (engine.remove_narrative(name)?, "narrative.remove"),
            };
            audit_in(engine, &identity, action, details(&summary))?;
            Ok(summary)
        })
        .await?)
}

/// The page of a narrative.
fn page_of(name: &str) -> String {
    format!("/narratives/{}", links::path_segment(name))
}

/// `POST /narratives`: adds a narrative from the list page's form.
pub async fn add_form(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    body: Bytes,
) -> Response {
    let mut fields = form_fields(&body);
    let change = Change::Add {
        name: fields.remove("name").unwrap_or_default().trim().to_string(),
        description: fields.remove("description").unwrap_or_default(),
        queries: queries_of(&fields.remove("queries").unwrap_or_default()),
    };
    match apply(&state, identity, change).await {
        Ok(n) => see_other(&page_of(&n.name)),
        Err(e) => error_page(&e),
    }
}

/// `POST /narratives/{name}/edit`: a new version from the narrative page's form.
pub async fn edit_form(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    PathText(name): PathText,
    body: Bytes,
) -> Response {
    let mut fields = form_fields(&body);
    let change = Change::Edit {
        name,
        description: fields.remove("description"),
        queries: fields.remove("queries").map(|q| queries_of(&q)),
    };
    match apply(&state, identity, change).await {
        Ok(n) => see_other(&page_of(&n.name)),
        Err(e) => error_page(&e),
    }
}

/// `POST /narratives/{name}/remove`: removes a narrative (its versions are kept).
pub async fn remove_form(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    PathText(name): PathText,
) -> Response {
    match apply(&state, identity, Change::Remove { name }).await {
        Ok(_) => see_other("/narratives"),
        Err(e) => error_page(&e),
    }
}

/// A new narrative.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewNarrative {
    /// Its name: letters, digits, '-', '_' and '.'.
    pub name: String,
    /// What it is about.
    #[serde(default)]
    pub description: String,
    /// Its queries (a post matching any of them matches the narrative).
    pub queries: Vec<String>,
}

/// A new version of a narrative: what is left out is kept.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NarrativeEdit {
    /// The new description.
    pub description: Option<String>,
    /// The new queries, replacing the old ones.
    pub queries: Option<Vec<String>>,
}

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the body is not the JSON expected: {e}")))
}

/// Adds a narrative (editors).
#[utoipa::path(
    post,
    path = "/api/v1/narratives",
    tag = "narratives",
    request_body = NewNarrative,
    responses(
        (status = 201, description = "The narrative as listed", body = NarrativeSummary),
        (status = 400, description = "`bad_request` or `bad_query`: a name taken or malformed, \
            a query that cannot be read", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (not an editor) or `csrf`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn add_api(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let n: NewNarrative = json_body(&body)?;
    let change = Change::Add {
        name: n.name.trim().to_string(),
        description: n.description,
        queries: n.queries,
    };
    let summary = apply(&state, identity, change).await?;
    Ok((StatusCode::CREATED, Json(summary)).into_response())
}

/// Makes a new version of a narrative (editors).
#[utoipa::path(
    put,
    path = "/api/v1/narratives/{name}",
    tag = "narratives",
    params(("name" = String, Path, description = "The narrative's name (any case)")),
    request_body = NarrativeEdit,
    responses(
        (status = 200, description = "The narrative as listed", body = NarrativeSummary),
        (status = 400, description = "`bad_request` or `bad_query`", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (not an editor) or `csrf`", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no current narrative of that name",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn edit_api(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    PathText(name): PathText,
    body: Bytes,
) -> Result<Json<NarrativeSummary>, ApiError> {
    let e: NarrativeEdit = json_body(&body)?;
    let change = Change::Edit {
        name,
        description: e.description,
        queries: e.queries,
    };
    Ok(Json(apply(&state, identity, change).await?))
}

/// Removes a narrative (editors); its versions stay in the archive.
#[utoipa::path(
    delete,
    path = "/api/v1/narratives/{name}",
    tag = "narratives",
    params(("name" = String, Path, description = "The narrative's name (any case)")),
    responses(
        (status = 200, description = "The narrative as it was removed", body = NarrativeSummary),
        (status = 403, description = "`forbidden` (not an editor) or `csrf`", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no current narrative of that name",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn remove_api(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    PathText(name): PathText,
) -> Result<Json<NarrativeSummary>, ApiError> {
    Ok(Json(
        apply(&state, identity, Change::Remove { name }).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_box_gives_one_query_per_line() {
        assert_eq!(
            queries_of("  sanctions \n\n#BRICS\r\n"),
            vec!["sanctions".to_string(), "#BRICS".to_string()]
        );
    }
}
