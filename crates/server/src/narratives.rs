//! Narratives in the API and on the pages (read only: narratives are added and edited with
//! `tgscope narrative`, see docs/narratives.md).
//!
//! - `/api/v1/narratives`: every narrative with its current version and matching posts (the
//!   list `tgscope narrative list --format json` writes).
//! - `/api/v1/narratives/{name}`: a narrative's report (what `tgscope narrative report NAME
//!   --format json` writes: the engine's [`NarrativeReport`], one shape for both), with `by`,
//!   `since`, `until` and `top`.
//! - `/narratives`: the list; `/narratives/{name}`: the definition and its versions, the curve,
//!   the first post, the channels that joined, the spread, the top posts and the copy clusters.
//!
//! The OpenAPI document describes the engine's JSON with the schema-only types of this module
//! ([`NarrativeReportSchema`] and its parts); a test checks that they name the same fields.

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tgscope_engine::narratives::{
    NarrativeRecord, NarrativeReport, NarrativeSummary, ReportOptions, joined_query,
};
use utoipa::{IntoParams, ToSchema};

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

/// A narrative in the list (the engine's `NarrativeSummary`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NarrativeSummarySchema {
    /// Its name.
    pub name: String,
    /// Its current version (1, 2, ...).
    pub version: i64,
    /// What it is about (may be empty).
    pub description: String,
    /// Its queries (docs/search.md); a post matching any matches the narrative.
    pub queries: Vec<String>,
    /// When it was first added (RFC 3339 UTC).
    pub created_at: String,
    /// When its current version was made.
    pub updated_at: String,
    /// When it was removed (null while current).
    pub removed_at: Option<String>,
    /// Posts matching it now (0 for a removed one).
    pub matching: u64,
}

/// Posts in one period (the engine's `PeriodCount`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodCountSchema {
    /// The period's first day, `YYYY-MM-DD`.
    pub start: String,
    /// Posts (or, in `spread`, channels).
    pub count: u64,
}

/// A channel by archive id and name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelRefSchema {
    /// Archive id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// How many reported posts one query matches.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueryMatchesSchema {
    /// The query.
    pub query: String,
    /// Reported posts it matches.
    pub matching: u64,
    /// Why it could not run when the matches were last brought up to date (it then matches
    /// nothing), or null.
    pub problem: Option<String>,
}

/// One channel's posts over time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelSeriesSchema {
    /// The channel.
    pub channel: ChannelRefSchema,
    /// Its reported posts (dated in the range, and undated).
    pub posts: u64,
    /// Of which undated.
    pub undated: u64,
    /// Its posts per period (only periods with posts).
    pub counts: Vec<PeriodCountSchema>,
}

/// A matching post as a report names it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NarrativePostSchema {
    /// Archive id (`/api/v1/posts/{id}`).
    pub post_id: i64,
    /// Its channel.
    pub channel: ChannelRefSchema,
    /// Telegram's message id, when known.
    pub message_id: Option<i64>,
    /// Its date (observed, else inferred), as archived.
    pub date: Option<String>,
    /// Whether the date is inferred, not observed.
    pub date_inferred: bool,
    /// Views, when known.
    pub views: Option<u64>,
    /// In `joined`: the channel's reported posts; else 1.
    pub posts: u64,
}

/// A copy cluster with matching posts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClusterInvolvedSchema {
    /// The cluster's id (`/api/v1/clusters/{id}`).
    pub cluster_id: i64,
    /// Its posts.
    pub posts: u64,
    /// Of which reported matching posts.
    pub matching: u64,
    /// Distinct channels of its matching posts.
    pub channels: u64,
}

/// A narrative's report (the engine's `NarrativeReport`; every field in docs/narratives.md).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NarrativeReportSchema {
    /// The definition reported on (its current version).
    pub narrative: NarrativeSummarySchema,
    /// `day`, `week` or `month`.
    pub period: String,
    /// Whether the period was chosen to fit the span.
    pub period_chosen: bool,
    /// The start of the range asked for (RFC 3339 UTC), or null.
    pub since: Option<String>,
    /// The end of the range asked for (exclusive), or null.
    pub until: Option<String>,
    /// Reported posts: dated in the range, and undated.
    pub matching: u64,
    /// Of which dated (the curve adds up to it).
    pub dated: u64,
    /// Of the dated, those with inferred dates.
    pub inferred_dates: u64,
    /// Matching posts without a date: in no period, not the first post, not in `joined` or
    /// `spread`.
    pub undated: u64,
    /// Matching posts dated outside the range (not reported on).
    pub out_of_range: u64,
    /// Per query, in order.
    pub queries: Vec<QueryMatchesSchema>,
    /// Posts per period, from the first period with a post to the last.
    pub counts: Vec<PeriodCountSchema>,
    /// Per channel, in the order they joined (channels with undated posts only last).
    pub channels: Vec<ChannelSeriesSchema>,
    /// The earliest dated matching post (ties by id), or null.
    pub first_post: Option<NarrativePostSchema>,
    /// Its channel.
    pub first_channel: Option<ChannelRefSchema>,
    /// Each channel's first dated matching post, in order.
    pub joined: Vec<NarrativePostSchema>,
    /// Distinct channels per period (the periods of `counts`).
    pub spread: Vec<PeriodCountSchema>,
    /// The most viewed posts (then the earliest); posts without views are not listed.
    pub top_posts: Vec<NarrativePostSchema>,
    /// Reported posts without a view count: never top posts.
    pub without_views: u64,
    /// Copy clusters with matching posts, the most first.
    pub clusters: Vec<ClusterInvolvedSchema>,
    /// Whether a writer at work is still bringing the matches up to the archive.
    pub catching_up: bool,
}

/// Every narrative with its current version and the posts matching it now, by name.
#[utoipa::path(
    get,
    path = "/api/v1/narratives",
    tag = "narratives",
    params(ListParams),
    responses(
        (status = 200, description = "The narratives", body = Vec<NarrativeSummarySchema>),
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
        (status = 200, description = "The report", body = NarrativeReportSchema),
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
    })
}
