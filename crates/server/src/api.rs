//! The JSON API under `/api/v1/`, its generated OpenAPI 3.1 document, and `/api/problems`.

use axum::Json;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use tgscope_engine::Period;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{IntoParams, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::archive::{self, ChannelAsk, SearchAsk};
use crate::cursor::Paging;
use crate::download;
use crate::links;
use crate::params::{self, Format, Params, PathText};
use crate::problem::{ApiError, ErrorCode, Problem};
use crate::views::{
    ActivityResponse, CaptureView, CapturesResponse, ChannelCopiesResponse,
    ChannelHashtagsResponse, ChannelResponse, ChannelView, ChannelsResponse, ClusterResponse,
    ClusterSummaryView, ClustersResponse, Counts, ForwardsResponse, HashtagResponse,
    HashtagsResponse, Hit, PostCopiesResponse, PostResponse, SearchResponse, SightingView,
    SourceView, TagChannelView, TagView, VersionView,
};

/// The OpenAPI document's frame: title, version, tags; the paths come from the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "tgscope",
        description = "The API over a tgscope archive of public Telegram channels: search, \
                       posts with their history and provenance, copies of posts across \
                       channels, networks of channels and hashtags, the countries, \
                       organisations and people posts name, channels, hashtags, captures."
    ),
    tags(
        (name = "search", description = "Full-text search (query language: docs/search.md)"),
        (name = "posts", description = "Posts with their versions, sightings and absences"),
        (name = "channels", description = "Channels, their activity, hashtags and forwards"),
        (name = "copies", description = "Clusters of copies: the same or nearly the same text \
            posted in several places, first seen in this archive"),
        (name = "hashtags", description = "Hashtags and their use over time"),
        (name = "network", description = "Networks: who forwards, mentions, copies, links to \
            the same pages as and moves in step with whom (docs/networks.md), for Gephi, \
            networkx and igraph; whom a channel amplifies; hashtag uses"),
        (name = "entities", description = "The countries, organisations and people posts \
            name (docs/entities.md): counts over time, channels, entities named together; the \
            network of entities is /api/v1/network?kind=entity"),
        (name = "narratives", description = "Narratives: named, versioned sets of queries \
            kept in the archive, and their reports (docs/narratives.md)"),
        (name = "captures", description = "The captures the archive was built from"),
        (name = "team", description = "Team mode: the account signed in, its API tokens, the \
            team's saved searches (editors change them), collections of channels (editors), \
            and the audit log (admins)"),
    ),
    components(schemas(Problem))
)]
struct ApiDoc;

/// The API's routes with their OpenAPI document; in team mode (`team`) also the routes that
/// change the archive and those of accounts, tokens and the audit log, and the bearer token
/// scheme every route needs.
pub fn router(team: bool) -> (axum::Router<AppState>, OpenApiDoc) {
    let mut routes = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(search))
        .routes(routes!(post))
        .routes(routes!(post_copies))
        .routes(routes!(clusters))
        .routes(routes!(cluster))
        .routes(routes!(channels))
        .routes(routes!(channel))
        .routes(routes!(channel_activity))
        .routes(routes!(channel_hashtags))
        .routes(routes!(channel_forwards))
        .routes(routes!(channel_copies))
        .routes(routes!(hashtags))
        .routes(routes!(hashtag))
        .routes(routes!(captures))
        .routes(routes!(crate::evidence::capture_raw))
        .routes(routes!(crate::evidence::media))
        .routes(routes!(crate::network::network_api))
        .routes(routes!(crate::network::amplification_api))
        .routes(routes!(crate::network::hashtag_table_api))
        .routes(routes!(crate::entities::entities_api))
        .routes(routes!(crate::entities::entity_api))
        .routes(routes!(crate::entities::facets_api))
        .routes(routes!(crate::narratives::narratives_api))
        .routes(routes!(crate::narratives::narrative_api));
    if team {
        routes = routes
            .routes(routes!(crate::narrative_edits::add_api))
            .routes(routes!(
                crate::narrative_edits::edit_api,
                crate::narrative_edits::remove_api
            ))
            .routes(routes!(crate::team_pages::account_api))
            .routes(routes!(
                crate::team_pages::tokens_api,
                crate::team_pages::create_token_api
            ))
            .routes(routes!(crate::team_pages::revoke_token_api))
            .routes(routes!(crate::team_pages::audit_api))
            .routes(routes!(
                crate::saved_searches::list_api,
                crate::saved_searches::add_api
            ))
            .routes(routes!(
                crate::saved_searches::get_api,
                crate::saved_searches::edit_api,
                crate::saved_searches::delete_api
            ))
            .routes(routes!(
                crate::collections::list_api,
                crate::collections::start_api
            ));
    }
    let (router, mut doc) = routes.split_for_parts();
    if team {
        // The upload's route is added by `app` with its own body limit.
        doc.merge(UploadDoc::openapi());
    }
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    let mut description = doc.info.description.take().unwrap_or_default();
    if team {
        description.push_str(TEAM_DESCRIPTION);
        add_bearer_scheme(&mut doc);
    } else {
        if let Some(tags) = doc.tags.as_mut() {
            tags.retain(|t| t.name != "team");
        }
        description.push_str(
            "\n\nThe embedded archive's server only reads: every route is GET, and none needs \
             sign-in.",
        );
    }
    description.push_str(
        "\n\nLists are paged by cursor: pass a response's `next_cursor` as `cursor` for the next \
         page (null on the last). Times are RFC 3339 UTC. Lists also come as CSV with \
         `format=csv`. Errors are `application/problem+json` (RFC 9457) with a stable `code`:\n\n\
         | code | status | when |\n|---|---|---|\n",
    );
    for code in ErrorCode::ALL {
        let row = code.row();
        description.push_str(&format!(
            "| `{}` | {} | {} |\n",
            row.code, row.status, row.when
        ));
    }
    doc.info.description = Some(description);
    (router, doc)
}

/// What the OpenAPI document's description says of team mode.
const TEAM_DESCRIPTION: &str = "\n\nTeam mode: the archive is shared by a team. Every route \
     needs an API token (`Authorization: Bearer <token>`; an account's tokens are made on its \
     /account page, with `POST /api/v1/account/tokens`, or with `tgscope user token create`) or \
     the session cookie of a signed-in browser (whose requests that change something also send \
     the session's CSRF token in the `X-CSRF-Token` header); without one the answer is 401 \
     `unauthorized`. Readers browse, search, export and read the saved searches; editors also \
     upload captures (`POST /api/v1/captures`), collect channels (`/api/v1/collections`) and \
     add, edit and remove narratives and saved searches; admins also read the audit log \
     (`GET /api/v1/audit`). A role too low is 403 `forbidden`. Every change and every \
     export is written to the audit log.";

/// The upload of a capture (team mode), whose route `app` adds with its own body limit.
#[derive(OpenApi)]
#[openapi(
    paths(crate::upload::upload_api),
    components(schemas(crate::upload::UploadReport))
)]
struct UploadDoc;

/// Adds the bearer token scheme to the document and makes every operation need it.
fn add_bearer_scheme(doc: &mut OpenApiDoc) {
    use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
    doc.components
        .get_or_insert_with(utoipa::openapi::Components::new)
        .add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    doc.security = Some(vec![SecurityRequirement::new(
        "bearer",
        Vec::<String>::new(),
    )]);
}

/// `/api/problems`: the table of error codes, for people.
pub async fn problems() -> Html<String> {
    let mut rows = String::new();
    for code in ErrorCode::ALL {
        let row = code.row();
        rows.push_str(&format!(
            "<tr id=\"{c}\"><td><code>{c}</code></td><td>{s}</td><td>{t}</td><td>{w}</td></tr>\n",
            c = row.code,
            s = row.status,
            t = row.title,
            w = row.when.replace('`', ""),
        ));
    }
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>tgscope API error codes</title>\
         <link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><main>\
         <h1>Error codes of the tgscope API</h1>\
         <p>Every error is an <code>application/problem+json</code> document (RFC 9457) whose \
         <code>type</code> is <code>/api/problems#CODE</code>.</p>\
         <table><thead><tr><th>code</th><th>status</th><th>title</th><th>when</th></tr></thead>\
         <tbody>\n{rows}</tbody></table></main></body></html>\n"
    ))
}

/// Parameters of a search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query, in the query language of docs/search.md (words, `"phrases"`, `-not`, `OR`,
    /// filters such as `channel:NAME`, `from:NAME`, `#tag`, `date:2024-01..2024-03`,
    /// `has:media`, `media:video`).
    pub q: Option<String>,
    /// `relevance` (the default), `date` (newest first) or `date-asc`.
    pub sort: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Results per page (default 20, at most the server's maximum; with `format=csv`, every
    /// result up to the server's download maximum).
    #[param(minimum = 1)]
    pub limit: Option<usize>,
    /// Also count the matches per `day`, `week` or `month` (`counts` in the response; with
    /// `format=csv`, the CSV is these counts, `period,count`, instead of the results).
    pub by: Option<String>,
    /// `json` (the default) or `csv` (the export's columns plus `score` and `snippet`; the
    /// counts per period when `by` is given).
    pub format: Option<String>,
}

/// Search the archive's posts.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "search",
    params(SearchParams),
    responses(
        (status = 200, description = "A page of results",
            content((SearchResponse = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`bad_query` (with `position`), `query_too_long`, \
            `bad_request` or `bad_cursor`", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
        (status = 500, description = "`internal`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
async fn search(
    State(state): State<AppState>,
    Params(p): Params<SearchParams>,
) -> Result<Response, ApiError> {
    let query = p.q.unwrap_or_default();
    params::query(&query, &state.config)?;
    let (sort, sort_name) = params::sort(p.sort.as_deref())?;
    let by = params::period(p.by.as_deref(), None)?;
    let format = params::format(p.format.as_deref())?;
    let limit = params::list_limit(p.limit, format, &state.config)?;
    let paging = Paging::from_cursor(p.cursor.as_deref(), &["search", &query, sort_name])?;
    if let (Format::Csv, Some(by)) = (format, by) {
        // The data of the chart: matches per period, as `period,count`.
        let found = archive::search(
            &state,
            SearchAsk {
                query: query.clone(),
                sort,
                limit: 1,
                offset: 0,
                by: Some(by),
                copies: false,
            },
        )
        .await?;
        let counts = Counts::new(&found.counts.unwrap_or_else(|| archive::no_counts(Some(by))));
        return download::counts(&counts, "counts.csv");
    }
    let found = archive::search(
        &state,
        SearchAsk {
            query: query.clone(),
            sort,
            limit,
            offset: paging.offset,
            by: if format == Format::Json { by } else { None },
            copies: true,
        },
    )
    .await?;
    let hits: Vec<Hit> = found
        .page
        .hits
        .iter()
        .map(|h| Hit::new(h, &found.copies, &found.recognizer))
        .collect();
    let next_cursor = paging.next(limit, found.page.total);
    if format == Format::Csv {
        let next = next_cursor.as_deref().map(|cursor| {
            links::with_query(
                "/api/v1/search",
                &[
                    ("q", &query),
                    ("sort", sort_name),
                    ("limit", &limit.to_string()),
                    ("format", "csv"),
                    ("cursor", cursor),
                ],
            )
        });
        return download::hits(&hits, found.page.total, "search.csv", next);
    }
    let counts = match (by, found.counts) {
        (Some(_), Some(counts)) => Some(Counts::new(&counts)),
        _ => None,
    };
    Ok(Json(SearchResponse {
        query,
        sort: sort_name.to_string(),
        ranked: found.page.ranked,
        index_catching_up: found.page.index_catching_up,
        total: found.page.total,
        offset: paging.offset,
        limit,
        hits,
        next_cursor,
        counts,
    })
    .into_response())
}

/// A post id from its path segment.
fn post_id(text: &str) -> Result<i64, ApiError> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| ApiError::bad_request(format!("post id {text:?} is not a number")))
}

/// One post with its versions, sightings (with the captures' SHA-256) and absences.
#[utoipa::path(
    get,
    path = "/api/v1/posts/{id}",
    tag = "posts",
    params(("id" = i64, Path, description = "The post's archive id")),
    responses(
        (status = 200, description = "The post", body = PostResponse),
        (status = 400, description = "`bad_request`: the id is not a number", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
async fn post(State(state): State<AppState>, PathText(id): PathText) -> Result<Response, ApiError> {
    let id = post_id(&id)?;
    let (detail, copies, recognizer) = archive::post(&state, id).await?;
    Ok(Json(PostResponse {
        post: tgscope_engine::export::ExportRecord::with_copies(&detail.post, &copies, &recognizer),
        versions: detail.versions.iter().map(VersionView::from).collect(),
        sightings: detail.sightings.iter().map(SightingView::from).collect(),
        absences: detail.absences.iter().map(Into::into).collect(),
    })
    .into_response())
}

/// Parameters of a paged list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page (default 20, at most the server's maximum; with `format=csv`, every item
    /// up to the server's download maximum).
    #[param(minimum = 1)]
    pub limit: Option<usize>,
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
}

/// The page of `items` a request asks for, with the next page's cursor.
fn page_of<T: Clone>(items: &[T], paging: &Paging, limit: usize) -> (Vec<T>, Option<String>) {
    let page = items
        .iter()
        .skip(paging.offset)
        .take(limit)
        .cloned()
        .collect();
    (page, paging.next(limit, items.len() as u64))
}

/// The URL of the next CSV page of a list.
fn next_csv(path: &str, limit: usize, cursor: Option<&str>) -> Option<String> {
    cursor.map(|c| {
        links::with_query(
            path,
            &[
                ("limit", &limit.to_string()),
                ("format", "csv"),
                ("cursor", c),
            ],
        )
    })
}

/// Every channel, with counts; the most posts first.
#[utoipa::path(
    get,
    path = "/api/v1/channels",
    tag = "channels",
    params(ListParams),
    responses(
        (status = 200, description = "A page of channels",
            content((ChannelsResponse = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`bad_request` or `bad_cursor`", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
async fn channels(
    State(state): State<AppState>,
    Params(p): Params<ListParams>,
) -> Result<Response, ApiError> {
    let format = params::format(p.format.as_deref())?;
    let limit = params::list_limit(p.limit, format, &state.config)?;
    let paging = Paging::from_cursor(p.cursor.as_deref(), &["channels"])?;
    let all: Vec<ChannelView> = archive::channels(&state)
        .await?
        .unwrap_or_default()
        .iter()
        .map(ChannelView::from)
        .collect();
    let (page, next_cursor) = page_of(&all, &paging, limit);
    if format == Format::Csv {
        let next = next_csv("/api/v1/channels", limit, next_cursor.as_deref());
        return download::with_total(
            download::channels(&page, "channels.csv", next)?,
            all.len() as u64,
        );
    }
    Ok(Json(ChannelsResponse {
        total: all.len() as u64,
        channels: page,
        next_cursor,
    })
    .into_response())
}

/// Parameters of counts over time.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ByParams {
    /// `day`, `week` (the default) or `month`.
    pub by: Option<String>,
    /// `json` (the default) or `csv` (`period,count`).
    pub format: Option<String>,
}

/// Parameters of one channel.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChannelParams {
    /// Its activity per `day`, `week` (the default) or `month`.
    pub by: Option<String>,
}

/// One channel (by username, title, `@name`, `t.me` link or archive id) with its counts,
/// activity, top hashtags and top forward sources.
#[utoipa::path(
    get,
    path = "/api/v1/channels/{name}",
    tag = "channels",
    params(
        ("name" = String, Path, description = "Username, title or archive id of the channel"),
        ChannelParams
    ),
    responses(
        (status = 200, description = "The channel", body = ChannelResponse),
        (status = 400, description = "`bad_request`", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
async fn channel(
    State(state): State<AppState>,
    PathText(name): PathText,
    Params(p): Params<ChannelParams>,
) -> Result<Response, ApiError> {
    let by = params::period(p.by.as_deref(), Some(Period::Week))?;
    let facts = archive::channel(
        &state,
        name,
        ChannelAsk {
            by,
            hashtags: 10,
            sources: 10,
        },
    )
    .await?;
    Ok(Json(ChannelResponse {
        channel: ChannelView::from(&facts.summary),
        activity: Counts::new(&facts.activity_counts),
        top_hashtags: facts.hashtags.iter().map(TagView::from).collect(),
        top_forward_sources: facts.sources.iter().map(SourceView::from).collect(),
    })
    .into_response())
}

/// A channel's posts per day, week or month.
#[utoipa::path(
    get,
    path = "/api/v1/channels/{name}/activity",
    tag = "channels",
    params(
        ("name" = String, Path, description = "Username, title or archive id of the channel"),
        ByParams
    ),
    responses(
        (status = 200, description = "Posts per period",
            content((ActivityResponse = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`bad_request`", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
async fn channel_activity(
    State(state): State<AppState>,
    PathText(name): PathText,
    Params(p): Params<ByParams>,
) -> Result<Response, ApiError> {
    let by = params::period(p.by.as_deref(), Some(Period::Week))?;
    let format = params::format(p.format.as_deref())?;
    let summary = archive::channel_summary(&state, name).await?;
    let counted = archive::counts(&state, archive::channel_query(summary.channel.id), by).await?;
    let activity = Counts::new(&counted);
    if format == Format::Csv {
        return download::counts(&activity, "activity.csv");
    }
    Ok(Json(ActivityResponse {
        channel: summary.channel.name(),
        activity,
    })
    .into_response())
}

/// Parameters of a top list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TopParams {
    /// How many (default 20, at most the server's maximum).
    #[param(minimum = 1)]
    pub limit: Option<usize>,
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
}

/// The hashtags a channel uses most.
#[utoipa::path(
    get,
    path = "/api/v1/channels/{name}/hashtags",
    tag = "channels",
    params(
        ("name" = String, Path, description = "Username, title or archive id of the channel"),
        TopParams
    ),
    responses(
        (status = 200, description = "Hashtags, most posts first",
            content((ChannelHashtagsResponse = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`bad_request`", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
async fn channel_hashtags(
    State(state): State<AppState>,
    PathText(name): PathText,
    Params(p): Params<TopParams>,
) -> Result<Response, ApiError> {
    let format = params::format(p.format.as_deref())?;
    let limit = params::limit(p.limit, 20, state.config.max_limit)?;
    let summary = archive::channel_summary(&state, name).await?;
    let (tags, _) = archive::channel_tops(&state, summary.channel.id, limit, 0).await?;
    let tags: Vec<TagView> = tags.iter().map(TagView::from).collect();
    if format == Format::Csv {
        return download::tags(&tags, "hashtags.csv", None);
    }
    Ok(Json(ChannelHashtagsResponse {
        channel: summary.channel.name(),
        hashtags: tags,
    })
    .into_response())
}

/// The sources a channel forwards most.
#[utoipa::path(
    get,
    path = "/api/v1/channels/{name}/forwards",
    tag = "channels",
    params(
        ("name" = String, Path, description = "Username, title or archive id of the channel"),
        TopParams
    ),
    responses(
        (status = 200, description = "Forward sources, most posts first",
            content((ForwardsResponse = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`bad_request`", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
async fn channel_forwards(
    State(state): State<AppState>,
    PathText(name): PathText,
    Params(p): Params<TopParams>,
) -> Result<Response, ApiError> {
    let format = params::format(p.format.as_deref())?;
    let limit = params::limit(p.limit, 20, state.config.max_limit)?;
    let summary = archive::channel_summary(&state, name).await?;
    let (_, sources) = archive::channel_tops(&state, summary.channel.id, 0, limit).await?;
    let sources: Vec<SourceView> = sources.iter().map(SourceView::from).collect();
    if format == Format::Csv {
        return download::sources(&sources, "forwards.csv");
    }
    Ok(Json(ForwardsResponse {
        channel: summary.channel.name(),
        sources,
    })
    .into_response())
}

/// The hashtags used most across the archive.
#[utoipa::path(
    get,
    path = "/api/v1/hashtags",
    tag = "hashtags",
    params(ListParams),
    responses(
        (status = 200, description = "Hashtags, most posts first",
            content((HashtagsResponse = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`bad_request` or `bad_cursor`", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
async fn hashtags(
    State(state): State<AppState>,
    Params(p): Params<ListParams>,
) -> Result<Response, ApiError> {
    let format = params::format(p.format.as_deref())?;
    let limit = params::list_limit(p.limit, format, &state.config)?;
    let paging = Paging::from_cursor(p.cursor.as_deref(), &["hashtags"])?;
    let mut tags = archive::top_hashtags(&state, limit + 1, paging.offset).await?;
    let more = tags.len() > limit;
    tags.truncate(limit);
    let tags: Vec<TagView> = tags.iter().map(TagView::from).collect();
    let next_cursor = paging.next_if(limit, more);
    if format == Format::Csv {
        let next = next_csv("/api/v1/hashtags", limit, next_cursor.as_deref());
        return download::tags(&tags, "hashtags.csv", next);
    }
    Ok(Json(HashtagsResponse {
        hashtags: tags,
        next_cursor,
    })
    .into_response())
}

/// Parameters of a hashtag.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HashtagParams {
    /// Count its posts per `day`, `week` (the default) or `month`.
    pub by: Option<String>,
    /// The `next_cursor` of the previous page of posts.
    pub cursor: Option<String>,
    /// Posts per page (default 20, at most the server's maximum).
    #[param(minimum = 1)]
    pub limit: Option<usize>,
    /// `json` (the default) or `csv` (its posts, as search results).
    pub format: Option<String>,
}

/// A hashtag: its posts (newest first), its use over time, and the channels using it most.
#[utoipa::path(
    get,
    path = "/api/v1/hashtags/{tag}",
    tag = "hashtags",
    params(
        ("tag" = String, Path, description = "The hashtag, without `#` (any case)"),
        HashtagParams
    ),
    responses(
        (status = 200, description = "The hashtag",
            content((HashtagResponse = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`bad_request` or `bad_cursor`", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no post uses it", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
async fn hashtag(
    State(state): State<AppState>,
    PathText(tag): PathText,
    Params(p): Params<HashtagParams>,
) -> Result<Response, ApiError> {
    let by = params::period(p.by.as_deref(), Some(Period::Week))?;
    let format = params::format(p.format.as_deref())?;
    let limit = params::list_limit(p.limit, format, &state.config)?;
    let tag = tag.trim().trim_start_matches('#').to_string();
    let missing = || ApiError::not_found(format!("no post uses the hashtag #{tag}"));
    if !params::plausible_hashtag(&tag) {
        return Err(missing());
    }
    let paging = Paging::from_cursor(p.cursor.as_deref(), &["hashtag", &tag.to_lowercase()])?;
    let Some((found, channels)) = archive::hashtag(&state, tag.clone()).await? else {
        return Err(missing());
    };
    let query = archive::hashtag_query(&found.key);
    let result = archive::search(
        &state,
        SearchAsk {
            query,
            sort: tgscope_engine::SortBy::Newest,
            limit,
            offset: paging.offset,
            by,
            copies: true,
        },
    )
    .await?;
    let hits: Vec<Hit> = result
        .page
        .hits
        .iter()
        .map(|h| Hit::new(h, &result.copies, &result.recognizer))
        .collect();
    let next_cursor = paging.next(limit, result.page.total);
    if format == Format::Csv {
        let path = format!("/api/v1/hashtags/{}", links::path_segment(&tag));
        let next = next_csv(&path, limit, next_cursor.as_deref());
        return download::hits(&hits, result.page.total, "hashtag.csv", next);
    }
    Ok(Json(HashtagResponse {
        tag: found.tag,
        total: result.page.total,
        channels: channels.iter().map(TagChannelView::from).collect(),
        counts: Counts::new(&result.counts.unwrap_or_else(|| archive::no_counts(by))),
        hits,
        next_cursor,
    })
    .into_response())
}

/// The captures the archive was built from, in ingest order, with their SHA-256.
#[utoipa::path(
    get,
    path = "/api/v1/captures",
    tag = "captures",
    params(ListParams),
    responses(
        (status = 200, description = "A page of captures",
            content((CapturesResponse = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`bad_request` or `bad_cursor`", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
async fn captures(
    State(state): State<AppState>,
    Params(p): Params<ListParams>,
) -> Result<Response, ApiError> {
    let format = params::format(p.format.as_deref())?;
    let limit = params::list_limit(p.limit, format, &state.config)?;
    let paging = Paging::from_cursor(p.cursor.as_deref(), &["captures"])?;
    let all: Vec<CaptureView> = archive::captures(&state)
        .await?
        .into_iter()
        .map(CaptureView::from)
        .collect();
    let (page, next_cursor) = page_of(&all, &paging, limit);
    if format == Format::Csv {
        let next = next_csv("/api/v1/captures", limit, next_cursor.as_deref());
        return download::with_total(
            download::captures(&page, "captures.csv", next)?,
            all.len() as u64,
        );
    }
    Ok(Json(CapturesResponse {
        total: all.len() as u64,
        captures: page,
        next_cursor,
    })
    .into_response())
}

/// A post's copies: the cluster of posts with the same or nearly the same text, in time order,
/// each described against the first post seen in this archive (its channel, date, delay,
/// similarity, relation and attribution, the words it adds and lacks). A post without copies
/// is answered 200 with `cluster`, `first_post` and `first_seen_basis` null and `posts` empty.
#[utoipa::path(
    get,
    path = "/api/v1/posts/{id}/copies",
    tag = "posts",
    params(("id" = i64, Path, description = "The post's archive id")),
    responses(
        (status = 200, description = "The post's cluster, or none (`cluster: null`, \
            `posts: []`)", body = PostCopiesResponse),
        (status = 400, description = "`bad_request`: the id is not a number", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such post", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
async fn post_copies(
    State(state): State<AppState>,
    PathText(id): PathText,
) -> Result<Response, ApiError> {
    let id = post_id(&id)?;
    let found = archive::copies_of(&state, id).await?;
    let detail = found.answer.as_ref().map(|c| &c.detail);
    Ok(Json(PostCopiesResponse::new(id, detail, found.catching_up)).into_response())
}

/// Parameters of the list of clusters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClustersParams {
    /// Clusters with posts in at least this many channels (default: every cluster).
    pub min_channels: Option<usize>,
    /// Clusters whose first post (first seen in this archive) is dated at or after this day
    /// (`YYYY-MM-DD`, UTC) or time (RFC 3339). A date range leaves out the clusters whose
    /// first post has no date (`undated_left_out` counts them).
    pub since: Option<String>,
    /// ...and before this day or time (not included).
    pub until: Option<String>,
    /// `size` (the most posts first, the default), `channels` (the most channels first) or
    /// `first` (the earliest first post first).
    pub sort: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Clusters per page (default 20, at most the server's maximum; with `format=csv`, every
    /// cluster up to the server's download maximum).
    #[param(minimum = 1)]
    pub limit: Option<usize>,
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
}

/// The clusters of copies, largest first (or by channels, or by date), with how many there
/// are.
#[utoipa::path(
    get,
    path = "/api/v1/clusters",
    tag = "copies",
    params(ClustersParams),
    responses(
        (status = 200, description = "A page of clusters (CSV: `X-Total-Count` is every \
            matching cluster)",
            content((ClustersResponse = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`bad_request` or `bad_cursor`", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
async fn clusters(
    State(state): State<AppState>,
    Params(p): Params<ClustersParams>,
) -> Result<Response, ApiError> {
    let format = params::format(p.format.as_deref())?;
    let limit = params::list_limit(p.limit, format, &state.config)?;
    let (sort, sort_name) = params::cluster_sort(p.sort.as_deref())?;
    let since = params::date_bound("since", p.since.as_deref())?;
    let until = params::date_bound("until", p.until.as_deref())?;
    let min_channels = p.min_channels.unwrap_or(0);
    let min_text = if min_channels > 1 {
        min_channels.to_string()
    } else {
        String::new()
    };
    let since_text = since.clone().unwrap_or_default();
    let until_text = until.clone().unwrap_or_default();
    let paging = Paging::from_cursor(
        p.cursor.as_deref(),
        &["clusters", &min_text, &since_text, &until_text, sort_name],
    )?;
    let found = archive::clusters(
        &state,
        tgscope_engine::ClusterFilter {
            min_channels,
            since,
            until,
            sort,
            limit: Some(limit),
            offset: paging.offset,
        },
        false,
    )
    .await?;
    let (page, _) = found.answer;
    let views: Vec<ClusterSummaryView> = page.clusters.iter().map(Into::into).collect();
    let next_cursor = paging.next(limit, page.total as u64);
    if format == Format::Csv {
        let next = next_cursor.as_deref().map(|cursor| {
            links::with_query(
                "/api/v1/clusters",
                &[
                    ("min_channels", &min_text),
                    ("since", &since_text),
                    ("until", &until_text),
                    ("sort", sort_name),
                    ("limit", &limit.to_string()),
                    ("format", "csv"),
                    ("cursor", cursor),
                ],
            )
        });
        return download::with_total(
            download::clusters(&page.clusters, "clusters.csv", next)?,
            page.total as u64,
        );
    }
    Ok(Json(ClustersResponse {
        total: page.total,
        undated_left_out: page.undated_left_out,
        offset: paging.offset,
        limit,
        sort: sort_name.to_string(),
        clusters: views,
        next_cursor,
        copies_catching_up: found.catching_up,
    })
    .into_response())
}

/// Parameters of a download that is one table.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParams {
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
}

/// One cluster of copies, in time order: every post described against the first post seen in
/// this archive.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{id}",
    tag = "copies",
    params(
        ("id" = i64, Path, description = "The cluster's id (the lowest archive id of its posts)"),
        FormatParams
    ),
    responses(
        (status = 200, description = "The cluster (CSV: its posts)",
            content((ClusterResponse = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`bad_request`: the id is not a number", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such cluster", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
async fn cluster(
    State(state): State<AppState>,
    PathText(id): PathText,
    Params(p): Params<FormatParams>,
) -> Result<Response, ApiError> {
    let format = params::format(p.format.as_deref())?;
    let id = id
        .trim()
        .parse::<i64>()
        .map_err(|_| ApiError::bad_request(format!("cluster id {id:?} is not a number")))?;
    let found = archive::cluster(&state, id).await?;
    let response = ClusterResponse::new(&found.answer, found.catching_up);
    if format == Format::Csv {
        return download::copy_items(&found.answer, &format!("cluster-{id}.csv"));
    }
    Ok(Json(response).into_response())
}

/// A channel's copying: the channels whose posts it has copies of (it was not first) and
/// those that have copies of its posts (it was first), each with how many posts, how
/// (forwards, attributed, unattributed, partial copies) and the median delay.
#[utoipa::path(
    get,
    path = "/api/v1/channels/{name}/copies",
    tag = "channels",
    params(
        ("name" = String, Path, description = "Username, title or archive id of the channel"),
        FormatParams
    ),
    responses(
        (status = 200, description = "Copies from and copied by (CSV: one row per channel \
            and `direction`)",
            content((ChannelCopiesResponse = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`bad_request`", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
async fn channel_copies(
    State(state): State<AppState>,
    PathText(name): PathText,
    Params(p): Params<FormatParams>,
) -> Result<Response, ApiError> {
    let format = params::format(p.format.as_deref())?;
    let found = archive::channel_copies(&state, name).await?;
    let response = ChannelCopiesResponse::new(&found.answer, found.catching_up);
    if format == Format::Csv {
        return download::counterparts(&found.answer, "copies.csv");
    }
    Ok(Json(response).into_response())
}
