//! Entities in the API: the countries, organisations and people posts name
//! (`docs/entities.md`), counted over the archive, a channel or a period; one entity by any name;
//! the entities of every post a search matches (facets). The entity co-occurrence network is
//! `/api/v1/network?kind=entity` ([`crate::network`]); the pages are in
//! [`crate::entity_pages`].
//!
//! - `/api/v1/entities`: the table (what `tgscope entities --format json` writes, a page of it).
//! - `/api/v1/entities/{name}`: one entity (what `tgscope entity NAME --format json` writes),
//!   with its names, the search filter of its posts and the links to them.
//! - `/api/v1/search/facets`: the entities of the matches, per kind.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tgscope_engine::Period;
use tgscope_engine::entities::{EntityKind, split_key};
use tgscope_engine::export::TableRecord;
use tgscope_engine::search::{EntityFacets, FACETS_PER_KIND};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::archive::{self, EntityAsk};
use crate::cursor::Paging;
use crate::download::{self, TOTAL_COUNT};
use crate::links;
use crate::network::date_param;
use crate::params::{self, Format, Params, PathText};
use crate::problem::{ApiError, Problem};

/// How many entities named with another an entity record of the table lists (as the command
/// line's); one entity's own record lists them all.
pub const WITH_IN_TABLE: usize = tgscope_engine::export::records::ENTITY_WITH_IN_TABLE;

/// The kinds in the order the pages and facets give them, with their names.
pub const KINDS: [(EntityKind, &str, &str); 3] = [
    (EntityKind::Country, "country", "Countries"),
    (EntityKind::Org, "organisation", "Organisations"),
    (EntityKind::Person, "person", "People"),
];

/// A kind's name for a reader: `country`, `organisation`, `person`.
pub fn kind_noun(kind: EntityKind) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map_or("entity", |(_, noun, _)| noun)
}

/// The class of an entity's links: `entity entity-country`, `entity entity-org`,
/// `entity entity-person`.
pub fn kind_class(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Country => "entity entity-country",
        EntityKind::Org => "entity entity-org",
        EntityKind::Person => "entity entity-person",
    }
}

/// The `kind` parameter: `country`, `org` (or `organisation`), `person`; none when empty.
pub fn kind_param(value: Option<&str>) -> Result<Option<EntityKind>, ApiError> {
    let value = value.map(str::trim).unwrap_or("");
    if value.is_empty() {
        return Ok(None);
    }
    EntityKind::parse(value).map(Some).ok_or_else(|| {
        ApiError::bad_request(format!(
            "kind {value:?} is not a kind of entity: use country, org or person"
        ))
    })
}

/// A time (Unix seconds) as a day, `YYYY-MM-DD` (empty when undated), as the command line
/// writes an entity's first mention.
pub use tgscope_engine::export::records::day_of as day;
pub use tgscope_engine::export::{
    EntityChannelView, EntityFirstView, EntityPeriodView, EntityRecord, EntityWithView,
};

/// Parameters of the entity table.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntitiesParams {
    /// Entities of one kind: `country`, `org` or `person`.
    pub kind: Option<String>,
    /// Only the posts of this channel (username, title or archive id).
    pub channel: Option<String>,
    /// Posts from this day (`YYYY-MM-DD`, UTC) or time (RFC 3339); posts without a date are
    /// then left out (`undated_left_out`).
    pub since: Option<String>,
    /// ...before this day or time (not included).
    pub until: Option<String>,
    /// Count posts per `day`, `week` or `month` (the default) in `periods`.
    pub by: Option<String>,
    /// Entities per page (default 20, at most the server's maximum; with `format=csv`, every
    /// entity up to the server's download maximum).
    #[param(minimum = 1)]
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `json` (the default) or `csv` (the columns of `tgscope entities --format csv`).
    pub format: Option<String>,
}

/// The entities named in the posts asked for, the most named first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntitiesResponse {
    /// The period `periods` count by: `day`, `week` or `month`.
    pub by: String,
    /// Posts read (of the channel, in the period).
    pub posts: u64,
    /// Of them, the posts naming at least one entity (of the kind asked for).
    pub posts_with_entities: u64,
    /// Posts naming entities left out because they have no date while a period was asked for.
    pub undated_left_out: u64,
    /// Entities named (of the kind asked for).
    pub total: u64,
    /// Entities before this page.
    pub offset: usize,
    /// The page size.
    pub limit: usize,
    /// This page, the most named first (each with the first 20 entities named with it).
    pub entities: Vec<EntityRecord>,
    /// The cursor of the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A period of the entity routes: the bounds as given (for cursors) and in Unix seconds.
struct Bounds {
    since_text: String,
    until_text: String,
    since: Option<i64>,
    until: Option<i64>,
}

fn bounds(since: Option<&str>, until: Option<&str>) -> Result<Bounds, ApiError> {
    let since_text = since.unwrap_or("").trim().to_string();
    let until_text = until.unwrap_or("").trim().to_string();
    Ok(Bounds {
        since: date_param("since", &since_text)?,
        until: date_param("until", &until_text)?,
        since_text,
        until_text,
    })
}

fn channel_param(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
}

/// The countries, organisations and people named in the posts (of one channel or all, over
/// the archive or a period, of one kind or all), the most named first: per entity its posts,
/// mentions, channels, first mention, posts per period and the entities named with it (the
/// records of `tgscope entities --format json`).
#[utoipa::path(
    get,
    path = "/api/v1/entities",
    tag = "entities",
    params(EntitiesParams),
    responses(
        (status = 200, description = "A page of entities (CSV: `X-Total-Count` is every \
            entity)",
            content((EntitiesResponse = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`bad_request` (`kind`, a date, `by`, `limit`, \
            `format`) or `bad_cursor`", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such `channel`", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn entities_api(
    State(state): State<AppState>,
    Params(p): Params<EntitiesParams>,
) -> Result<Response, ApiError> {
    let kind = kind_param(p.kind.as_deref())?;
    let b = bounds(p.since.as_deref(), p.until.as_deref())?;
    let by = params::period(p.by.as_deref(), Some(Period::Month))?.unwrap_or(Period::Month);
    let format = params::format(p.format.as_deref())?;
    let limit = params::list_limit(p.limit, format, &state.config)?;
    let channel = channel_param(p.channel.as_deref());
    let kind_text = kind.map(EntityKind::as_str).unwrap_or("");
    let channel_text = channel.clone().unwrap_or_default();
    let paging = Paging::from_cursor(
        p.cursor.as_deref(),
        &[
            "entities",
            kind_text,
            &channel_text,
            &b.since_text,
            &b.until_text,
            by.as_str(),
        ],
    )?;
    let found = archive::entities(
        &state,
        EntityAsk {
            kind,
            channel,
            since: b.since,
            until: b.until,
            by,
        },
    )
    .await?;
    let view = &found.view;
    let all = &view.table.entities;
    let page: Vec<EntityRecord> = all
        .iter()
        .skip(paging.offset)
        .take(limit)
        .map(|e| EntityRecord::new(view, e, WITH_IN_TABLE))
        .collect();
    let total = all.len() as u64;
    let next_cursor = paging.next(limit, total);
    if format == Format::Csv {
        let next = next_cursor.as_deref().map(|cursor| {
            links::with_query(
                "/api/v1/entities",
                &[
                    ("kind", kind_text),
                    ("channel", &channel_text),
                    ("since", &b.since_text),
                    ("until", &b.until_text),
                    ("by", by.as_str()),
                    ("limit", &limit.to_string()),
                    ("format", "csv"),
                    ("cursor", cursor),
                ],
            )
        });
        let mut table = download::Table::new(&EntityRecord::csv_columns())?;
        for r in &page {
            table.row(&r.csv_row())?;
        }
        return table.response_with("entities.csv", next, &[(TOTAL_COUNT, total)]);
    }
    Ok(Json(EntitiesResponse {
        by: by.as_str().to_string(),
        posts: view.table.posts,
        posts_with_entities: view.table.posts_with_entities,
        undated_left_out: view.table.undated_left_out,
        total,
        offset: paging.offset,
        limit,
        entities: page,
        next_cursor,
    })
    .into_response())
}

/// Parameters of one entity.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntityParams {
    /// Only the posts of this channel (username, title or archive id).
    pub channel: Option<String>,
    /// Posts from this day (`YYYY-MM-DD`, UTC) or time (RFC 3339); posts without a date are
    /// then left out (`undated_left_out`).
    pub since: Option<String>,
    /// ...before this day or time (not included).
    pub until: Option<String>,
    /// Count posts per `day`, `week` or `month` (the default) in `periods`.
    pub by: Option<String>,
}

/// One entity: the record of `tgscope entity NAME --format json` (every entity named with
/// it), its names, and where its posts are.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntityResponse {
    /// The counts (`first` null and the lists empty when no post asked about names it).
    #[serde(flatten)]
    pub record: EntityRecord,
    /// Its name in Russian (for a person on no list, the name as the posts give it).
    pub name_ru: String,
    /// A person's country (ISO code), when the lists know it.
    pub country: Option<String>,
    /// Whether it comes from the archive's own list.
    pub user: bool,
    /// The period `periods` count by.
    pub by: String,
    /// Posts read (of the channel, in the period).
    pub posts_read: u64,
    /// Posts naming entities left out because they have no date while a period was asked for.
    pub undated_left_out: u64,
    /// The search filter that selects its posts (`country:KZ`, `person:"~такэси ивая"`).
    pub filter: String,
    /// Its posts: the search of `filter`.
    pub search_url: String,
    /// Its page.
    pub page_url: String,
}

/// One entity by any name (a key `country:KZ`, an id `KZ`, a form of the lists in Russian or
/// English: `Казахстане`, `Лавров`, `ШОС`; a person on no list by the name the posts give):
/// its posts, mentions, channels, first mention, posts per period and every entity named with
/// it; of one channel or all, over the archive or a period. An entity of the lists that no post
/// names is answered with zero counts; a name of no entity is `404 not_found`, whose detail
/// says so (or names the entities it could be).
#[utoipa::path(
    get,
    path = "/api/v1/entities/{name}",
    tag = "entities",
    params(
        ("name" = String, Path, description = "A key, an id or any name of the entity"),
        EntityParams
    ),
    responses(
        (status = 200, description = "The entity", body = EntityResponse),
        (status = 400, description = "`bad_request`: a date or `by`", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no entity of that name, or no such \
            `channel`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn entity_api(
    State(state): State<AppState>,
    PathText(name): PathText,
    Params(p): Params<EntityParams>,
) -> Result<Response, ApiError> {
    let b = bounds(p.since.as_deref(), p.until.as_deref())?;
    let by = params::period(p.by.as_deref(), Some(Period::Month))?.unwrap_or(Period::Month);
    let (key, found) = archive::entity(
        &state,
        name,
        EntityAsk {
            kind: None,
            channel: channel_param(p.channel.as_deref()),
            since: b.since,
            until: b.until,
            by,
        },
    )
    .await?;
    Ok(Json(entity_response(&key, &found)).into_response())
}

/// The answer about the entity `key` from the table `found`.
pub fn entity_response(key: &str, found: &archive::EntitiesFound) -> EntityResponse {
    let view = &found.view;
    let id = split_key(key).map_or(key, |(_, id)| id);
    let listed = (!id.starts_with('~'))
        .then(|| found.recognizer.entity(id))
        .flatten();
    let name = tgscope_engine::entities::display_name(&found.recognizer, key);
    let record = view
        .table
        .entities
        .iter()
        .find(|e| e.key == key)
        .map_or_else(
            || EntityRecord::unnamed(key, name.clone()),
            |e| EntityRecord::new(view, e, usize::MAX),
        );
    let filter = links::entity_filter(key);
    EntityResponse {
        name_ru: listed.map_or_else(|| name.clone(), |e| e.name_ru.clone()),
        country: listed.and_then(|e| e.country.clone()),
        user: listed.is_some_and(|e| e.user),
        record,
        by: view.period.as_str().to_string(),
        posts_read: view.table.posts,
        undated_left_out: view.table.undated_left_out,
        search_url: links::with_query("/search", &[("q", &filter)]),
        page_url: links::entity_page(key),
        filter,
    }
}

/// Parameters of the facets of a search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FacetsParams {
    /// The query, in the query language of docs/search.md (as `/api/v1/search` takes it).
    pub q: Option<String>,
    /// Entities of each kind (default 10, at most the server's page maximum).
    #[param(minimum = 1)]
    pub per_kind: Option<usize>,
}

/// An entity among the matches of a search.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetEntityView {
    /// Its key: `country:KZ`, `org:sco`, `person:lavrov`, `person:~такэси ивая`.
    pub key: String,
    /// Its id: `KZ`, `sco`, `lavrov`; `~` and the folded name for a person on no list.
    pub id: String,
    /// Its name in English (for a person on no list, the name as the posts give it).
    pub name_en: String,
    /// Its name in Russian.
    pub name_ru: String,
    /// Whether it is on the archive's lists (false: a person found after a role phrase).
    pub listed: bool,
    /// Whether it comes from the archive's own list.
    pub user: bool,
    /// Matching posts that name it.
    pub posts: u64,
    /// The filter that selects its posts (`country:KZ`): added to the query, the results are
    /// these `posts` posts.
    pub filter: String,
    /// The search with `filter` added to the query.
    pub search_url: String,
    /// Its page.
    pub page_url: String,
}

/// The entities of one kind among the matches.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetKindView {
    /// `country`, `org` or `person`.
    pub kind: String,
    /// Matching posts naming at least one entity of the kind.
    pub posts: u64,
    /// Distinct entities of the kind among the matches (`top` has the first of them).
    pub distinct: u64,
    /// The most frequent, most posts first.
    pub top: Vec<FacetEntityView>,
}

/// The entities among every post a query matches (not only a page of them).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetsResponse {
    /// The query as run.
    pub query: String,
    /// Every post the query matches.
    pub matching: u64,
    /// Countries, organisations and people, in that order (each kind is there, even when no
    /// matching post names one).
    pub kinds: Vec<FacetKindView>,
    /// Whether an ingest at work is still bringing the search index up to the archive: the
    /// counts are those of the posts indexed so far.
    pub index_catching_up: bool,
}

/// `query` with `filter` added (the query the facet's link runs).
pub fn narrowed(query: &str, filter: &str) -> String {
    let query = query.trim();
    if query.is_empty() {
        filter.to_string()
    } else {
        format!("{query} {filter}")
    }
}

impl FacetsResponse {
    /// The answer from the engine's facets of `query`.
    pub fn new(query: &str, facets: &EntityFacets) -> FacetsResponse {
        FacetsResponse {
            query: query.to_string(),
            matching: facets.matching,
            kinds: facets
                .kinds
                .iter()
                .map(|k| FacetKindView {
                    kind: k.kind.as_str().to_string(),
                    posts: k.posts,
                    distinct: k.distinct,
                    top: k
                        .top
                        .iter()
                        .map(|e| FacetEntityView {
                            key: e.key.clone(),
                            id: e.id.clone(),
                            name_en: e.name_en.clone(),
                            name_ru: e.name_ru.clone(),
                            listed: e.listed,
                            user: e.user,
                            posts: e.posts,
                            filter: e.filter.clone(),
                            search_url: links::with_query(
                                "/api/v1/search",
                                &[("q", &narrowed(query, &e.filter))],
                            ),
                            page_url: links::entity_page(&e.key),
                        })
                        .collect(),
                })
                .collect(),
            index_catching_up: facets.index_catching_up,
        }
    }
}

/// The entities among every post a query matches: per kind (countries, organisations,
/// people), how many matching posts name one, how many distinct ones they name, and the most
/// frequent, each with the filter that narrows the search to its posts.
#[utoipa::path(
    get,
    path = "/api/v1/search/facets",
    tag = "search",
    params(FacetsParams),
    responses(
        (status = 200, description = "The entities of the matches", body = FacetsResponse),
        (status = 400, description = "`bad_query` (with `position`; an unknown entity in a \
            `country:`, `org:` or `person:` filter), `query_too_long` or `bad_request` \
            (`per_kind`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn facets_api(
    State(state): State<AppState>,
    Params(p): Params<FacetsParams>,
) -> Result<Response, ApiError> {
    let query = p.q.unwrap_or_default();
    params::query(&query, &state.config)?;
    let per_kind = params::limit(p.per_kind, FACETS_PER_KIND, state.config.max_limit)
        .map_err(|_| ApiError::bad_request("per_kind must be at least 1"))?;
    let facets = archive::facets(&state, query.clone(), per_kind).await?;
    Ok(Json(FacetsResponse::new(&query, &facets)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_named_and_checked() {
        assert_eq!(kind_param(Some("")), Ok(None));
        assert_eq!(kind_param(Some("org")), Ok(Some(EntityKind::Org)));
        assert_eq!(
            kind_param(Some(" organisation ")),
            Ok(Some(EntityKind::Org))
        );
        let e = kind_param(Some("city")).expect_err("city");
        assert!(e.detail.starts_with("kind \"city\""), "{}", e.detail);
        assert_eq!(kind_noun(EntityKind::Org), "organisation");
        assert_eq!(kind_class(EntityKind::Person), "entity entity-person");
    }

    #[test]
    fn a_filter_is_added_to_the_query() {
        assert_eq!(narrowed(" санкции ", "country:KZ"), "санкции country:KZ");
        assert_eq!(narrowed("", "org:sco"), "org:sco");
        assert_eq!(day(Some(1_709_287_200)), "2024-03-01");
        assert_eq!(day(None), "");
    }
}
