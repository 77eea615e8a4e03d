//! Narratives in the API and on the pages (added and edited with `tgscope narrative`, see
//! docs/narratives.md; in team mode also by editors, with the forms these pages show them and
//! the routes of [`crate::narrative_edits`]).
//!
//! - `/api/v1/narratives`: every narrative with its current version and matching posts (the
//!   list `tgscope narrative list --format json` writes).
//! - `/api/v1/narratives/{name}`: a narrative's report (what `tgscope narrative report NAME
//!   --format json` writes: the engine's [`NarrativeReport`], one shape for both), with `by`,
//!   `since`, `until` and `top`.
//! - `/narratives`: the list; `/narratives/{name}`: the definition and its versions, the curve,
//!   the first post, the channels that joined, the spread, the top posts and the copy clusters.
//!
//! The OpenAPI document's schemas of both are the engine's types themselves (its `openapi`
//! feature): [`NarrativeSummary`] and [`NarrativeReport`] with their parts.

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tgscope_engine::narratives::{
    NarrativeRecord, NarrativeReport, NarrativeSummary, ReportOptions, joined_query,
};
use utoipa::IntoParams;

use crate::AppState;
use crate::chart::{self, Chart};
use crate::links;
use crate::network::date_param;
use crate::pages::{error_page, render};
use crate::params::{self, Params, PathText};
use crate::problem::{ApiError, Problem};

/// Parameters of the list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `true`: removed narratives too (with `removed_at`).
    pub all: Option<bool>,
}

/// Parameters of a report.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// `day`, `week` or `month` (default: the period that fits the span of the matches).
    pub by: Option<String>,
    /// Only posts dated on or after this day (`YYYY-MM-DD`) or time (RFC 3339); undated posts
    /// are counted apart whatever the range.
    pub since: Option<String>,
    /// Only posts dated before this day or time.
    pub until: Option<String>,
    /// How many top posts (default 10, at most 100).
    pub top: Option<usize>,
}

impl ReportParams {
    fn options(&self) -> Result<ReportOptions, ApiError> {
        Ok(ReportOptions {
            period: params::period(self.by.as_deref(), None)?,
            since: date_param("since", self.since.as_deref().unwrap_or(""))?,
            until: date_param("until", self.until.as_deref().unwrap_or(""))?,
            top: self
                .top
                .unwrap_or(tgscope_engine::narratives::TOP_POSTS)
                .min(100),
        })
    }
}

/// Every narrative with its current version and the posts matching it now, by name.
#[utoipa::path(
    get,
    path = "/api/v1/narratives",
    tag = "narratives",
    params(ListParams),
    responses(
        (status = 200, description = "The narratives", body = Vec<NarrativeSummary>),
        (status = 400, description = "`bad_request`", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn narratives_api(
    State(state): State<AppState>,
    Params(p): Params<ListParams>,
) -> Result<Response, ApiError> {
    let all = p.all.unwrap_or(false);
    let list = list(&state, all).await?;
    Ok(Json(list).into_response())
}

/// A narrative's report: its posts over time in total and per channel, the first post and
/// channel, the channels that joined and when, the spread, the top posts and the copy clusters
/// (docs/narratives.md). A removed narrative or a name of none is `404 not_found`.
#[utoipa::path(
    get,
    path = "/api/v1/narratives/{name}",
    tag = "narratives",
    params(("name" = String, Path, description = "The narrative's name (any case)"), ReportParams),
    responses(
        (status = 200, description = "The report", body = NarrativeReport),
        (status = 400, description = "`bad_request`: `by`, a date, or a range that ends \
            before it starts", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no current narrative of that name", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn narrative_api(
    State(state): State<AppState>,
    PathText(name): PathText,
    Params(p): Params<ReportParams>,
) -> Result<Response, ApiError> {
    let options = p.options()?;
    let (report, _) = report(&state, name, options).await?;
    Ok(Json(report).into_response())
}

async fn list(state: &AppState, all: bool) -> Result<Vec<NarrativeSummary>, ApiError> {
    Ok(state
        .pool()
        .run(move |engine| engine.narratives(all))
        .await?)
}

async fn report(
    state: &AppState,
    name: String,
    options: ReportOptions,
) -> Result<(NarrativeReport, NarrativeRecord), ApiError> {
    Ok(state
        .pool()
        .run(move |engine| {
            let report = engine.narrative_report(&name, &options)?;
            let record = engine.narrative(&name)?;
            Ok((report, record))
        })
        .await?)
}

/// The page of a narrative.
fn narrative_page(name: &str) -> String {
    format!("/narratives/{}", links::path_segment(name))
}

/// A narrative in the list page.
struct ListRow {
    name: String,
    href: String,
    version: i64,
    description: String,
    queries: Vec<String>,
    matching: u64,
}

#[derive(Template)]
#[template(path = "narratives.html")]
struct ListPage {
    rows: Vec<ListRow>,
    /// Team mode, an editor: the session's CSRF token for the form that adds a narrative.
    csrf: Option<String>,
}

/// `/narratives`: every narrative with its version, queries and matching posts.
pub async fn index(State(state): State<AppState>) -> Response {
    match list(&state, false).await {
        Ok(list) => render(
            &ListPage {
                rows: list
                    .into_iter()
                    .map(|n| ListRow {
                        href: narrative_page(&n.name),
                        name: n.name,
                        version: n.version,
                        description: n.description,
                        queries: n.queries,
                        matching: n.matching,
                    })
                    .collect(),
                csrf: crate::auth::editor_csrf(),
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&e),
    }
}

/// A post of the page, linked.
struct PostRow {
    id: i64,
    href: String,
    channel: String,
    channel_href: String,
    date: String,
    views: String,
}

/// A channel's row, linked.
struct ChannelRow {
    name: String,
    href: String,
    posts: u64,
    undated: u64,
    /// Its first dated post's day, or that it has only undated posts.
    joined: String,
    /// Its first dated post's page.
    joined_href: Option<String>,
}

/// A version of the definition.
struct VersionRow {
    version: i64,
    created_at: String,
    description: String,
    queries: Vec<String>,
}

#[derive(Template)]
#[template(path = "narrative.html")]
struct NarrativePage {
    name: String,
    feeds: Vec<crate::feeds::FeedLink>,
    version: i64,
    description: String,
    queries: Vec<(String, u64, Option<String>)>,
    search_href: String,
    json_url: String,
    matching: u64,
    dated: u64,
    inferred: u64,
    undated: u64,
    chart: Option<Chart>,
    spread: Vec<(String, u64)>,
    first: Option<PostRow>,
    channels: Vec<ChannelRow>,
    top: Vec<PostRow>,
    clusters: Vec<(i64, String, u64, u64, u64)>,
    versions: Vec<VersionRow>,
    catching_up: bool,
    /// Team mode, an editor: the session's CSRF token for the forms that edit and remove it.
    csrf: Option<String>,
    /// The edit form's action.
    edit_href: String,
    /// The remove form's action.
    remove_href: String,
    /// The current queries, one per line, for the edit form.
    queries_text: String,
}

fn day_of(date: Option<&str>, inferred: bool) -> String {
    match date {
        Some(d) if inferred => format!("{} (inferred)", d.get(..10).unwrap_or(d)),
        Some(d) => d.get(..10).unwrap_or(d).to_string(),
        None => "undated".into(),
    }
}

fn post_row(p: &tgscope_engine::narratives::NarrativePost) -> PostRow {
    PostRow {
        id: p.post_id,
        href: format!("/posts/{}", p.post_id),
        channel: p.channel.name.clone(),
        channel_href: format!("/channels/{}", p.channel.id),
        date: day_of(p.date.as_deref(), p.date_inferred),
        views: p.views.map_or(String::new(), |v| v.to_string()),
    }
}

/// `/narratives/{name}`: the definition and its versions, the curve, the first post, the
/// channels that joined, the spread, the top posts and the copy clusters.
pub async fn narrative(
    State(state): State<AppState>,
    name: Result<PathText, ApiError>,
    p: Result<Params<ReportParams>, ApiError>,
) -> Response {
    match page(&state, name, p).await {
        Ok(page) => render(&page, StatusCode::OK),
        Err(e) => error_page(&e),
    }
}

async fn page(
    state: &AppState,
    name: Result<PathText, ApiError>,
    p: Result<Params<ReportParams>, ApiError>,
) -> Result<NarrativePage, ApiError> {
    let PathText(name) = name?;
    let Params(p) = p?;
    let (r, record) = report(state, name, p.options()?).await?;
    let n = &r.narrative;
    let query = joined_query(&n.queries);
    let chart = chart::chart(
        format!("Posts of {} per {}", n.name, r.period.as_str()),
        r.period,
        &r.counts,
        &[("q", &query), ("sort", "date")],
    )
    .map(|c| c.of_posts(r.matching));
    let channels = r
        .channels
        .iter()
        .map(|c| {
            let first = r.joined.iter().find(|p| p.channel.id == c.channel.id);
            ChannelRow {
                name: c.channel.name.clone(),
                href: format!("/channels/{}", c.channel.id),
                posts: c.posts,
                undated: c.undated,
                joined: first.map_or("only undated posts".to_string(), |p| {
                    day_of(p.date.as_deref(), p.date_inferred)
                }),
                joined_href: first.map(|p| format!("/posts/{}", p.post_id)),
            }
        })
        .collect();
    Ok(NarrativePage {
        name: n.name.clone(),
        version: n.version,
        description: n.description.clone(),
        queries: r
            .queries
            .iter()
            .map(|q| (q.query.clone(), q.matching, q.problem.clone()))
            .collect(),
        search_href: links::with_query("/search", &[("q", &query), ("sort", "date")]),
        feeds: crate::feeds::narrative_links(&n.name),
        json_url: format!("/api/v1/narratives/{}", links::path_segment(&n.name)),
        matching: r.matching,
        dated: r.dated,
        inferred: r.inferred_dates,
        undated: r.undated,
        chart,
        spread: r
            .spread
            .iter()
            .filter(|s| s.count > 0)
            .map(|s| (s.start.clone(), s.count))
            .collect(),
        first: r.first_post.as_ref().map(post_row),
        channels,
        top: r.top_posts.iter().map(post_row).collect(),
        clusters: r
            .clusters
            .iter()
            .map(|c| {
                (
                    c.cluster_id,
                    format!("/clusters/{}", c.cluster_id),
                    c.posts,
                    c.matching,
                    c.channels,
                )
            })
            .collect(),
        versions: record
            .versions
            .iter()
            .rev()
            .map(|v| VersionRow {
                version: v.version,
                created_at: v.created_at.clone(),
                description: v.description.clone(),
                queries: v.queries.clone(),
            })
            .collect(),
        catching_up: r.catching_up,
        csrf: crate::auth::editor_csrf(),
        edit_href: format!("{}/edit", narrative_page(&n.name)),
        remove_href: format!("{}/remove", narrative_page(&n.name)),
        queries_text: n.queries.join("\n"),
    })
}
