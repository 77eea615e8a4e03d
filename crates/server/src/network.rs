//! Networks in the API: who forwards, mentions, copies, links to the same pages as and moves in
//! step with whom (the definitions are in `docs/networks.md`), and the parameters of a network
//! (shared with the network page, [`crate::network_pages`]).
//!
//! - `/api/v1/network`: the network in the files researchers open (JSON, the contract of
//!   `docs/networks.md`, written by the engine's one writer of each format; GEXF with or
//!   without time intervals; GraphML), with what it left out in response headers.
//! - `/api/v1/channels/{name}/amplification`: whom a channel amplifies and who amplifies it.
//! - `/api/v1/network/hashtags`: hashtag uses (posts, channels, first use, periods, co-used tags).

use std::collections::BTreeSet;
use std::io;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tgscope_engine::Period;
use tgscope_engine::network::graph::Graph;
use tgscope_engine::network::{
    self, Amplification, Counterpart, EdgeKind, HashtagTable, NetworkQuery, ObjectKind, format,
};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::archive;
use crate::cursor::Paging;
use crate::links;
use crate::params::{self, Params, PathText};
use crate::problem::{ApiError, Problem};

/// Response headers with what a network left out (the JSON itself is the documented contract).
pub const POSTS_USED: &str = "x-network-posts-used";
/// See [`POSTS_USED`].
pub const UNDATED_LEFT_OUT: &str = "x-network-undated-left-out";
/// See [`POSTS_USED`].
pub const UNKNOWN_SOURCES: &str = "x-network-unknown-sources";
/// See [`POSTS_USED`].
pub const OBJECTS_LEFT_OUT: &str = "x-network-objects-left-out";

/// The files `/api/v1/network` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkFormat {
    /// JSON, the contract of `docs/networks.md` (the default).
    Json,
    /// GEXF 1.3, dynamic (edges with closed time intervals) when the edges have times.
    Gexf,
    /// GEXF 1.3 without time intervals (networkx reads it).
    GexfStatic,
    /// GraphML with typed keys.
    Graphml,
}

impl NetworkFormat {
    /// Every format, as `format` names it.
    pub const ALL: [(NetworkFormat, &'static str); 4] = [
        (NetworkFormat::Json, "json"),
        (NetworkFormat::Gexf, "gexf"),
        (NetworkFormat::GexfStatic, "gexf-static"),
        (NetworkFormat::Graphml, "graphml"),
    ];

    /// The `format` parameter: `json` (the default), `gexf`, `gexf-static` or `graphml`.
    pub fn parse(value: &str) -> Result<NetworkFormat, ApiError> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(NetworkFormat::Json);
        }
        NetworkFormat::ALL
            .iter()
            .find(|(_, name)| *name == value)
            .map(|(f, _)| *f)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "format {value:?} is not offered: use json, gexf, gexf-static or graphml"
                ))
            })
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        NetworkFormat::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("json", |(_, name)| name)
    }

    /// Its media type.
    pub fn media_type(self) -> &'static str {
        match self {
            NetworkFormat::Json => "application/json",
            NetworkFormat::Gexf | NetworkFormat::GexfStatic => "application/gexf+xml",
            NetworkFormat::Graphml => "application/graphml+xml",
        }
    }

    /// The name of the file it is downloaded as (JSON is shown, not downloaded).
    pub fn file_name(self) -> Option<&'static str> {
        match self {
            NetworkFormat::Json => None,
            NetworkFormat::Gexf => Some("network.gexf"),
            NetworkFormat::GexfStatic => Some("network-static.gexf"),
            NetworkFormat::Graphml => Some("network.graphml"),
        }
    }

    /// Writes `graph` in this format (the engine's writer of it).
    pub fn write(self, graph: &Graph) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        match self {
            NetworkFormat::Json => format::write_json(graph, &mut out)?,
            NetworkFormat::Gexf => format::write_gexf(graph, &mut out)?,
            NetworkFormat::GexfStatic => format::write_gexf_static(graph, &mut out)?,
            NetworkFormat::Graphml => format::write_graphml(graph, &mut out)?,
        }
        Ok(out)
    }
}

/// The parameters of a network as a request gives them: text, as typed. `kind` and `objects`
/// may be repeated (the page's checkboxes) or hold names separated by commas.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkForm {
    /// Edge kinds.
    pub kind: Vec<String>,
    /// From this day or time.
    pub since: String,
    /// Before this day or time.
    pub until: String,
    /// Only the channels around this one.
    pub channel: String,
    /// ...within this many steps.
    pub depth: String,
    /// Coordination's time window.
    pub window: String,
    /// Coordination's least number of shared objects.
    pub min_shared: String,
    /// Coordination's objects.
    pub objects: Vec<String>,
    /// Objects shared by more channels link none.
    pub max_sharers: String,
    /// The hashtag network's (and the entity network's) least number of posts.
    pub min_tag_posts: String,
    /// The entity network: entities of this kind only (`country`, `org`, `person`).
    pub entity_kind: String,
    /// The file format (the API).
    pub format: String,
    /// The measure nodes are sized by (the page).
    pub size: String,
}

impl NetworkForm {
    /// The parameters of a query string; a parameter that takes one value and is given twice
    /// is the problem `bad_request` (as on every route); others are ignored.
    pub fn from_query(raw: Option<&str>) -> Result<NetworkForm, ApiError> {
        let mut form = NetworkForm::default();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let list = match name.as_ref() {
                "kind" => Some(&mut form.kind),
                "objects" => Some(&mut form.objects),
                _ => None,
            };
            if let Some(list) = list {
                list.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(str::to_string),
                );
                continue;
            }
            let field = match name.as_ref() {
                "since" => &mut form.since,
                "until" => &mut form.until,
                "channel" => &mut form.channel,
                "depth" => &mut form.depth,
                "window" => &mut form.window,
                "min_shared" => &mut form.min_shared,
                "max_sharers" => &mut form.max_sharers,
                "min_tag_posts" => &mut form.min_tag_posts,
                "entity_kind" => &mut form.entity_kind,
                "format" => &mut form.format,
                "size" => &mut form.size,
                _ => continue,
            };
            if !seen.insert(name.to_string()) {
                return Err(ApiError::bad_request(format!(
                    "{name} is given twice; give it once"
                )));
            }
            *field = value.trim().to_string();
        }
        Ok(form)
    }
}

/// A network question, checked: the engine's query, the channel to centre on, and the
/// parameters in a normal form (for URLs with the same filters).
#[derive(Debug, Clone)]
pub struct NetworkAsk {
    /// The engine's query.
    pub query: NetworkQuery,
    /// Only the channels within this many steps of this one.
    pub around: Option<(String, usize)>,
    /// The parameters as given, in a normal form (empty ones left out), `kind` always.
    pub pairs: Vec<(&'static str, String)>,
}

impl NetworkAsk {
    /// A URL of `path` with these parameters and `extra` ones.
    pub fn url(&self, path: &str, extra: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        pairs.extend_from_slice(extra);
        links::with_query(path, &pairs)
    }

    /// The edge kinds asked for.
    pub fn kinds(&self) -> &[EdgeKind] {
        &self.query.kinds
    }
}

/// A whole number parameter, at least `least` (a smaller one is raised to it, as the command
/// line does).
fn count_param(name: &str, value: &str, default: usize, least: usize) -> Result<usize, ApiError> {
    if value.is_empty() {
        return Ok(default);
    }
    value
        .parse::<usize>()
        .map(|n| n.max(least))
        .map_err(|_| ApiError::bad_request(format!("{name} {value:?} is not a whole number")))
}

/// A date bound of the network (`since`, `until`) in Unix seconds.
pub fn date_param(name: &str, value: &str) -> Result<Option<i64>, ApiError> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    network::date_bound(name, value)
        .map(Some)
        .map_err(ApiError::from)
}

/// Checks the parameters of a network.
pub fn ask(form: &NetworkForm) -> Result<NetworkAsk, ApiError> {
    let defaults = NetworkQuery::default();
    let mut kinds: BTreeSet<EdgeKind> = BTreeSet::new();
    for name in &form.kind {
        if name == "all" {
            kinds.extend(EdgeKind::CHANNEL_KINDS);
            continue;
        }
        if name == ENTITY_KIND {
            return Err(ApiError::bad_request(
                "kind entity is the network of entities (countries, organisations and people \
                 named together): /api/v1/network?kind=entity gives it as a file, alone; the \
                 network page draws channels and hashtags",
            ));
        }
        let kind = EdgeKind::parse(name).ok_or_else(|| {
            ApiError::bad_request(format!(
                "kind {name:?} is not an edge kind: use forward, mention, copy, link, \
                 coordination, hashtag, all, or entity alone"
            ))
        })?;
        kinds.insert(kind);
    }
    if kinds.is_empty() {
        kinds.extend(defaults.kinds.iter().copied());
    }
    if kinds.contains(&EdgeKind::Hashtag) && kinds.len() > 1 {
        return Err(ApiError::bad_request(
            "kind hashtag is the network of tags: it cannot be combined with the edges between \
             channels",
        ));
    }
    let mut objects: BTreeSet<ObjectKind> = BTreeSet::new();
    for name in &form.objects {
        let object = ObjectKind::ALL
            .into_iter()
            .find(|o| o.as_str() == name)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "objects {name:?} is not an object of coordination: use forward, link, \
                     copy or hashtag"
                ))
            })?;
        objects.insert(object);
    }
    let since = date_param("since", &form.since)?;
    let until = date_param("until", &form.until)?;
    let window = if form.window.is_empty() {
        defaults.window
    } else {
        network::window_seconds(&form.window).map_err(ApiError::from)?
    };
    let min_shared = count_param("min_shared", &form.min_shared, defaults.min_shared, 1)?;
    let max_sharers = count_param("max_sharers", &form.max_sharers, defaults.max_sharers, 2)?;
    let min_tag_posts = count_param(
        "min_tag_posts",
        &form.min_tag_posts,
        defaults.min_tag_posts,
        1,
    )?;
    let depth = count_param("depth", &form.depth, 1, 0)?;
    let channel = form.channel.trim().to_string();
    let kind_names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let object_names: Vec<&str> = objects.iter().map(|o| o.as_str()).collect();
    let mut pairs: Vec<(&'static str, String)> = vec![("kind", kind_names.join(","))];
    for (name, value) in [
        ("since", &form.since),
        ("until", &form.until),
        ("channel", &channel),
    ] {
        if !value.is_empty() {
            pairs.push((name, value.clone()));
        }
    }
    if !channel.is_empty() && !form.depth.is_empty() {
        pairs.push(("depth", form.depth.clone()));
    }
    for (name, value) in [("window", &form.window), ("min_shared", &form.min_shared)] {
        if !value.is_empty() {
            pairs.push((name, value.clone()));
        }
    }
    if !object_names.is_empty() {
        pairs.push(("objects", object_names.join(",")));
    }
    for (name, value) in [
        ("max_sharers", &form.max_sharers),
        ("min_tag_posts", &form.min_tag_posts),
    ] {
        if !value.is_empty() {
            pairs.push((name, value.clone()));
        }
    }
    Ok(NetworkAsk {
        query: NetworkQuery {
            kinds: kinds.into_iter().collect(),
            since,
            until,
            window,
            min_shared,
            objects: if objects.is_empty() {
                defaults.objects.clone()
            } else {
                objects.into_iter().collect()
            },
            max_sharers,
            min_tag_posts,
            ..defaults
        },
        around: (!channel.is_empty()).then_some((channel, depth)),
        pairs,
    })
}

/// The `kind` of the entity co-occurrence network.
pub const ENTITY_KIND: &str = "entity";

/// The entity network asked for: the entity kind, the period, the least number of posts.
struct EntityNetworkAsk {
    kind: Option<tgscope_engine::entities::EntityKind>,
    since: Option<i64>,
    until: Option<i64>,
    min_posts: u64,
}

/// `kind=entity`: alone, without the parameters of the channel network.
fn entity_ask(form: &NetworkForm) -> Result<Option<EntityNetworkAsk>, ApiError> {
    if !form.kind.iter().any(|k| k == ENTITY_KIND) {
        if !form.entity_kind.is_empty() {
            return Err(ApiError::bad_request(
                "entity_kind is a parameter of the entity network: give it with kind=entity",
            ));
        }
        return Ok(None);
    }
    if form.kind.iter().any(|k| k != ENTITY_KIND) {
        return Err(ApiError::bad_request(
            "kind entity is the network of entities: it cannot be combined with other kinds",
        ));
    }
    for (name, value) in [
        ("channel", &form.channel),
        ("depth", &form.depth),
        ("window", &form.window),
        ("min_shared", &form.min_shared),
        ("max_sharers", &form.max_sharers),
    ] {
        if !value.is_empty() {
            return Err(ApiError::bad_request(format!(
                "{name} is not a parameter of the entity network (it takes since, until, \
                 min_tag_posts and entity_kind)"
            )));
        }
    }
    if !form.objects.is_empty() {
        return Err(ApiError::bad_request(
            "objects is not a parameter of the entity network (it takes since, until, \
             min_tag_posts and entity_kind)",
        ));
    }
    let kind = crate::entities::kind_param(Some(&form.entity_kind))
        .map_err(|e| ApiError::bad_request(format!("entity_{}", e.detail)))?;
    let defaults = NetworkQuery::default();
    let min_posts = count_param(
        "min_tag_posts",
        &form.min_tag_posts,
        defaults.min_tag_posts,
        1,
    )?;
    Ok(Some(EntityNetworkAsk {
        kind,
        since: date_param("since", &form.since)?,
        until: date_param("until", &form.until)?,
        min_posts: min_posts as u64,
    }))
}

/// The parameters of `/api/v1/network` (read from the query string by [`NetworkForm`]; listed
/// here for the OpenAPI document).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NetworkParams {
    /// Edge kinds, separated by commas (or the parameter repeated): `forward`, `mention`,
    /// `copy`, `link`, `coordination`, `all` (those five), or `hashtag` alone (the network of
    /// tags), or `entity` alone (the network of countries, organisations and people named
    /// together: it takes `since`, `until`, `min_tag_posts` and `entity_kind`). Default:
    /// `forward,mention,copy,link`.
    pub kind: Option<String>,
    /// Posts from this day (`YYYY-MM-DD`, its first second in UTC) or time (RFC 3339). With a
    /// date range, posts without a date are left out (`X-Network-Undated-Left-Out`).
    pub since: Option<String>,
    /// ...before this day or time (not included).
    pub until: Option<String>,
    /// Only the channels within `depth` steps of this one (username, title or archive id;
    /// along any edge, either way) and the edges among them.
    pub channel: Option<String>,
    /// Steps from `channel` (default 1).
    pub depth: Option<usize>,
    /// Coordination: two shares at most this far apart (`60s`, `5m`, `1h`, `2d` or seconds;
    /// default 60 s).
    pub window: Option<String>,
    /// Coordination: the least number of distinct shared objects of an edge (default 3).
    pub min_shared: Option<usize>,
    /// Coordination: the objects looked at, separated by commas: `forward` (the same forward
    /// origin), `link` (the same cleaned URL), `copy` (the same copy cluster), `hashtag`.
    /// Default: all four.
    pub objects: Option<String>,
    /// Coordination and shared links: an object shared by more channels than this links none
    /// (default 50; `X-Network-Objects-Left-Out` counts them).
    pub max_sharers: Option<usize>,
    /// The hashtag network: the least number of posts of a tag, and of a pair (default 5); the
    /// entity network: of an entity, and of a pair (default 5).
    pub min_tag_posts: Option<usize>,
    /// The entity network: entities of this kind only (`country`, `org` or `person`; default
    /// all three).
    pub entity_kind: Option<String>,
    /// `json` (the default), `gexf` (GEXF 1.3 with time intervals, for Gephi's timeline),
    /// `gexf-static` (without intervals, for networkx) or `graphml`.
    pub format: Option<String>,
}

/// The network as JSON: the contract of `docs/networks.md`, the same bytes as `tgscope
/// network --format json`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkDocument {
    /// What the network is: the kinds, the period, the edge orientation, the parameters.
    pub description: String,
    /// Every node: channels (or tags in the hashtag network).
    pub nodes: Vec<NetworkNode>,
    /// Every edge.
    pub edges: Vec<NetworkEdge>,
}

/// A node of the network. Every declared attribute is present on every node (`null` when
/// unknown); beside those listed, the degrees per edge kind (`forward_in`, `forward_out`,
/// `forward_in_weight`, `forward_out_weight`, the same for `mention` and `copy`,
/// `link_degree`, `link_weight`, `coordination_degree`, `coordination_weight`) of the kinds
/// asked for. In the hashtag network the nodes are tags (`#tag`) with `posts`, `channels` and
/// `first_use`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkNode {
    /// The archive's channel id, `@username` for a channel known only by a mention, or `#tag`.
    pub id: String,
    /// Title, else `@username`.
    pub label: String,
    /// Username, when known.
    pub username: Option<String>,
    /// Title, when known.
    pub title: Option<String>,
    /// Posts archived.
    pub posts: Option<i64>,
    /// The first post (ISO 8601 in UTC, without an offset), when dated.
    pub first_post: Option<String>,
    /// The last post.
    pub last_post: Option<String>,
    /// False for a channel seen only as a forward source or a mention.
    pub archived: Option<bool>,
    /// Distinct neighbours along edges into it.
    pub in_degree: Option<i64>,
    /// Distinct neighbours along edges out of it.
    pub out_degree: Option<i64>,
    /// The summed weights of the edges into it.
    pub in_weight: Option<f64>,
    /// The summed weights of the edges out of it.
    pub out_weight: Option<f64>,
    /// Weighted PageRank (damping 0.85) over every edge.
    pub pagerank: Option<f64>,
    /// Louvain community of the undirected weighted graph.
    pub community: Option<i64>,
}

/// An edge of the network (directed edges point from the channel whose post, name or text is
/// passed on to the channel that passes it on).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkEdge {
    /// Source node id.
    pub source: String,
    /// Target node id.
    pub target: String,
    /// `forward`, `mention`, `copy`, `link`, `coordination` or `hashtag`.
    pub kind: String,
    /// Whether it has a direction (forward, mention, copy).
    pub directed: bool,
    /// Forwarded posts, posts naming, copies, shared URLs, shared objects, or posts with both
    /// tags.
    pub weight: f64,
    /// When the first post behind it was posted (ISO 8601 in UTC, without an offset).
    pub first: Option<String>,
    /// When the last post behind it was posted.
    pub last: Option<String>,
    /// Example posts behind it (archive ids), the earliest first.
    pub posts: Vec<i64>,
    /// Copy edges: copies by relation (`attributed:2 unattributed:1`).
    pub relations: Option<String>,
    /// Coordination edges: shared objects by kind (`forward:3 link:1`).
    pub objects: Option<String>,
    /// Coordination: how often the source went first.
    pub source_first: Option<i64>,
    /// Coordination: how often the target went first.
    pub target_first: Option<i64>,
    /// Coordination: how often both shared at the same second.
    pub simultaneous: Option<i64>,
    /// Coordination: the least delay between two shares (seconds).
    pub min_delay: Option<i64>,
}

fn count_header(response: &mut Response, name: &'static str, value: u64) {
    response
        .headers_mut()
        .insert(name, HeaderValue::from(value));
}

/// The network of the kinds, period and channels asked for, as JSON (the contract of
/// `docs/networks.md`) or as a GEXF or GraphML file; with `kind=entity`, the network of the
/// countries, organisations and people named together in posts (`docs/entities.md`), whose
/// nodes are entity keys (`country:KZ`) with `kind`, `posts` and `channels`, and whose edges
/// weigh the posts naming both. What it left out is in the headers
/// `X-Network-Posts-Used` (posts behind its edges), `X-Network-Undated-Left-Out` (posts without
/// a date, left out by a date range), `X-Network-Unknown-Sources` (forwards from a source the
/// archive knows by no name: no edge) and `X-Network-Objects-Left-Out` (objects shared by more
/// than `max_sharers` channels).
#[utoipa::path(
    get,
    path = "/api/v1/network",
    tag = "network",
    params(NetworkParams),
    responses(
        (status = 200, description = "The network: JSON, or a GEXF or GraphML file as an \
            attachment (`network.gexf`, `network-static.gexf`, `network.graphml`)",
            content((NetworkDocument = "application/json"),
                (String = "application/gexf+xml"), (String = "application/graphml+xml"))),
        (status = 400, description = "`bad_request`: a parameter the route does not take \
            (an unknown `kind`, `objects` or `format`, `hashtag` with other kinds, a date, \
            a `window`, a number); the detail names it", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such `channel`", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn network_api(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let form = NetworkForm::from_query(raw.as_deref())?;
    let format = NetworkFormat::parse(&form.format)?;
    let (net, bytes) = match entity_ask(&form)? {
        Some(e) => {
            archive::entity_network(&state, e.kind, e.since, e.until, e.min_posts, move |net| {
                format.write(&net.graph)
            })
            .await?
        }
        None => {
            let ask = ask(&form)?;
            archive::network_with(&state, ask.query, ask.around, move |net| {
                format.write(&net.graph)
            })
            .await?
        }
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    if let Some(file) = format.file_name() {
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&format!("attachment; filename=\"{file}\""))
                .map_err(|e| ApiError::internal(&e))?,
        );
    }
    count_header(&mut response, POSTS_USED, net.posts_used);
    count_header(&mut response, UNDATED_LEFT_OUT, net.undated_left_out);
    count_header(&mut response, UNKNOWN_SOURCES, net.unknown_sources);
    count_header(&mut response, OBJECTS_LEFT_OUT, net.objects_left_out);
    Ok(response)
}

/// A time (Unix seconds) as this API writes times: RFC 3339 in UTC.
fn rfc3339(seconds: Option<i64>) -> Option<String> {
    let t = chrono::DateTime::from_timestamp(seconds?, 0)?;
    Some(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Parameters of a period.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// Posts from this day (`YYYY-MM-DD`, UTC) or time (RFC 3339).
    pub since: Option<String>,
    /// ...before this day or time (not included).
    pub until: Option<String>,
}

/// A channel that a channel amplifies, or that amplifies it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CounterpartView {
    /// Its node id in the network: the archive's channel id, or `@username` for a channel known
    /// only by a mention.
    pub id: String,
    /// Its name (title, else `@username`).
    pub name: String,
    /// Forwarded posts.
    pub forwards: u64,
    /// Posts naming the channel (@mentions, t.me links).
    pub mentions: u64,
    /// Copies of texts (forwards excluded).
    pub copies: u64,
    /// All passed on: forwards, mentions and copies.
    pub total: u64,
    /// When the first post behind these edges was posted, when dated.
    pub first: Option<String>,
    /// When the last one was.
    pub last: Option<String>,
    /// Example posts behind them (archive ids).
    pub posts: Vec<i64>,
    /// Its API path, when it is a channel of the archive.
    pub api_url: Option<String>,
}

impl From<&Counterpart> for CounterpartView {
    fn from(c: &Counterpart) -> Self {
        CounterpartView {
            id: c.id.clone(),
            name: c.name.clone(),
            forwards: c.forwards,
            mentions: c.mentions,
            copies: c.copies,
            total: c.total(),
            first: rfc3339(c.first),
            last: rfc3339(c.last),
            posts: c.posts.clone(),
            api_url: c
                .id
                .parse::<i64>()
                .ok()
                .map(|id| format!("/api/v1/channels/{id}")),
        }
    }
}

/// Whom a channel amplifies and who amplifies it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AmplificationResponse {
    /// The channel's archive id.
    pub channel: i64,
    /// Its name.
    pub name: String,
    /// Channels whose posts, name or text it passes on, the most first.
    pub amplifies: Vec<CounterpartView>,
    /// Channels that pass on its posts, name or text, the most first.
    pub amplified_by: Vec<CounterpartView>,
}

impl From<&Amplification> for AmplificationResponse {
    fn from(a: &Amplification) -> Self {
        AmplificationResponse {
            channel: a.channel,
            name: a.name.clone(),
            amplifies: a.amplifies.iter().map(Into::into).collect(),
            amplified_by: a.amplified_by.iter().map(Into::into).collect(),
        }
    }
}

/// Whom a channel amplifies (the channels whose posts it forwards, that it names, whose texts
/// it copies) and who amplifies it, each counterpart with its forwards, mentions and copies,
/// first and last time and example posts; over the archive or a period.
#[utoipa::path(
    get,
    path = "/api/v1/channels/{name}/amplification",
    tag = "network",
    params(
        ("name" = String, Path, description = "Username, title or archive id of the channel"),
        PeriodParams
    ),
    responses(
        (status = 200, description = "Amplifies and amplified by", body = AmplificationResponse),
        (status = 400, description = "`bad_request`: a date", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn amplification_api(
    State(state): State<AppState>,
    PathText(name): PathText,
    Params(p): Params<PeriodParams>,
) -> Result<Response, ApiError> {
    let since = date_param("since", p.since.as_deref().unwrap_or(""))?;
    let until = date_param("until", p.until.as_deref().unwrap_or(""))?;
    let found = archive::amplification(&state, name, since, until).await?;
    Ok(Json(AmplificationResponse::from(&found)).into_response())
}

/// Parameters of the hashtag table.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HashtagTableParams {
    /// Only the posts of this channel (username, title or archive id).
    pub channel: Option<String>,
    /// Posts from this day (`YYYY-MM-DD`, UTC) or time (RFC 3339); posts without a date are
    /// then left out (`undated_left_out`).
    pub since: Option<String>,
    /// ...before this day or time (not included).
    pub until: Option<String>,
    /// Count posts per `day`, `week` or `month` (the default).
    pub by: Option<String>,
    /// Tags per page (default 20, at most the server's maximum).
    #[param(minimum = 1)]
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A channel using a tag.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TagUserView {
    /// Its archive id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its posts with the tag.
    pub posts: u64,
}

/// A tag's first use.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FirstUseView {
    /// The post (archive id).
    pub post: i64,
    /// Its channel's name.
    pub channel: String,
    /// Its channel's archive id.
    pub channel_id: i64,
    /// When it was posted, when dated.
    pub date: Option<String>,
    /// Whether that date is inferred.
    pub date_inferred: bool,
}

/// Posts with a tag in one period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TagPeriodView {
    /// The period: `2024-03-05`, `2024-W10` or `2024-03`.
    pub period: String,
    /// Posts.
    pub posts: u64,
}

/// A tag used in the same posts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoTagView {
    /// The tag (folded, without `#`).
    pub tag: String,
    /// Posts with both.
    pub posts: u64,
}

/// One hashtag's use.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HashtagUseView {
    /// The tag, folded (`#X`, `#x` and `#Ё`/`#Е` are one), without `#`.
    pub tag: String,
    /// Posts with it.
    pub posts: u64,
    /// The channels using it, the most first.
    pub channels: Vec<TagUserView>,
    /// Its first use: the earliest dated post (the lowest id when none is dated).
    pub first: FirstUseView,
    /// Posts per period, in period order (dated posts only).
    pub periods: Vec<TagPeriodView>,
    /// Tags used in the same posts, the most first.
    pub with: Vec<CoTagView>,
    /// Its API path (its posts).
    pub api_url: String,
}

fn channel_name(table: &HashtagTable, id: i64) -> String {
    table
        .channel_names
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("channel {id}"))
}

fn hashtag_use(table: &HashtagTable, t: &tgscope_engine::network::Hashtag) -> HashtagUseView {
    HashtagUseView {
        tag: t.tag.clone(),
        posts: t.posts,
        channels: t
            .channels
            .iter()
            .map(|(id, posts)| TagUserView {
                id: *id,
                name: channel_name(table, *id),
                posts: *posts,
            })
            .collect(),
        first: FirstUseView {
            post: t.first.post_id,
            channel: channel_name(table, t.first.channel_id),
            channel_id: t.first.channel_id,
            date: rfc3339(t.first.date),
            date_inferred: t.first.inferred,
        },
        periods: t
            .periods
            .iter()
            .map(|p| TagPeriodView {
                period: p.period.clone(),
                posts: p.posts,
            })
            .collect(),
        with: t
            .with
            .iter()
            .map(|(tag, posts)| CoTagView {
                tag: tag.clone(),
                posts: *posts,
            })
            .collect(),
        api_url: format!("/api/v1/hashtags/{}", links::path_segment(&t.tag)),
    }
}

/// Hashtag uses, the most used first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HashtagTableResponse {
    /// The period posts are counted by: `day`, `week` or `month`.
    pub by: String,
    /// Tags used (in the period, by the channel).
    pub total: u64,
    /// Posts with tags left out because they have no date while a period was asked for.
    pub undated_left_out: u64,
    /// Tags before this page.
    pub offset: usize,
    /// The page size.
    pub limit: usize,
    /// This page.
    pub hashtags: Vec<HashtagUseView>,
    /// The cursor of the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Hashtag uses from the network analysis: per tag its posts, the channels using it, its first
/// use (by whom, when), posts per period and the tags used with it; of one channel or all, over
/// the archive or a period; the most used first.
#[utoipa::path(
    get,
    path = "/api/v1/network/hashtags",
    tag = "network",
    params(HashtagTableParams),
    responses(
        (status = 200, description = "A page of hashtags", body = HashtagTableResponse),
        (status = 400, description = "`bad_request` (a date, `by`, `limit`) or `bad_cursor`",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such `channel`", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "`timeout`", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn hashtag_table_api(
    State(state): State<AppState>,
    Params(p): Params<HashtagTableParams>,
) -> Result<Response, ApiError> {
    let since_text = p.since.as_deref().unwrap_or("").trim().to_string();
    let until_text = p.until.as_deref().unwrap_or("").trim().to_string();
    let since = date_param("since", &since_text)?;
    let until = date_param("until", &until_text)?;
    let by = params::period(p.by.as_deref(), Some(Period::Month))?.unwrap_or(Period::Month);
    let limit = params::limit(
        p.limit,
        crate::config::DEFAULT_LIMIT,
        state.config.max_limit,
    )?;
    let channel = p
        .channel
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    let paging = Paging::from_cursor(
        p.cursor.as_deref(),
        &[
            "network-hashtags",
            channel.as_deref().unwrap_or(""),
            &since_text,
            &until_text,
            by.as_str(),
        ],
    )?;
    let table = archive::hashtag_table(&state, since, until, channel, by).await?;
    let page: Vec<HashtagUseView> = table
        .tags
        .iter()
        .skip(paging.offset)
        .take(limit)
        .map(|t| hashtag_use(&table, t))
        .collect();
    Ok(Json(HashtagTableResponse {
        by: by.as_str().to_string(),
        total: table.tags.len() as u64,
        undated_left_out: table.undated_left_out,
        offset: paging.offset,
        limit,
        hashtags: page,
        next_cursor: paging.next(limit, table.tags.len() as u64),
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::ErrorCode;

    fn form(query: &str) -> Result<NetworkForm, ApiError> {
        NetworkForm::from_query(Some(query))
    }

    #[test]
    fn kinds_come_repeated_or_separated_by_commas_and_default_to_four() {
        let a = ask(&form("kind=mention&kind=forward,link").expect("form")).expect("ask");
        assert_eq!(
            a.query.kinds,
            [EdgeKind::Forward, EdgeKind::Mention, EdgeKind::Link]
        );
        assert_eq!(a.pairs[0], ("kind", "forward,mention,link".to_string()));
        let all = ask(&form("kind=all").expect("form")).expect("ask");
        assert_eq!(all.query.kinds, EdgeKind::CHANNEL_KINDS);
        let none = ask(&form("").expect("form")).expect("ask");
        assert_eq!(none.query.kinds, NetworkQuery::default().kinds);
        assert_eq!(
            none.url("/api/v1/network", &[]),
            "/api/v1/network?kind=forward%2Cmention%2Ccopy%2Clink"
        );
    }

    #[test]
    fn bad_parameters_are_named() {
        for (query, named) in [
            ("kind=retweet", "kind \"retweet\""),
            ("kind=hashtag,forward", "kind hashtag"),
            ("window=soon", "window \"soon\""),
            ("window=5y", "window \"5y\""),
            ("since=yesterday", "since \"yesterday\""),
            ("until=2024-13-01", "until \"2024-13-01\""),
            ("min_shared=-1", "min_shared \"-1\""),
            ("depth=two", "depth \"two\""),
            ("objects=url", "objects \"url\""),
        ] {
            let e = ask(&form(query).expect("form")).expect_err(query);
            assert_eq!(e.code, ErrorCode::BadRequest, "{query}");
            assert!(e.detail.starts_with(named), "{query}: {}", e.detail);
        }
        let twice = form("since=2024-01-01&since=2024-02-01").expect_err("twice");
        assert!(twice.detail.starts_with("since is given twice"));
        assert!(NetworkFormat::parse("xml").is_err());
        assert_eq!(
            NetworkFormat::parse("gexf-static").map(NetworkFormat::name),
            Ok("gexf-static")
        );
    }

    #[test]
    fn parameters_come_back_in_one_form() {
        let a = ask(&form(
            "since=2024-03-01&channel=%20alpha%20&depth=2&window=1h&min_shared=2&objects=link",
        )
        .expect("form"))
        .expect("ask");
        assert_eq!(a.query.window, 3600);
        assert_eq!(a.query.min_shared, 2);
        assert_eq!(a.query.objects, [ObjectKind::Link]);
        assert_eq!(a.around, Some(("alpha".to_string(), 2)));
        assert_eq!(
            a.url("/network", &[]),
            "/network?kind=forward%2Cmention%2Ccopy%2Clink&since=2024-03-01&channel=alpha&depth=2\
             &window=1h&min_shared=2&objects=link"
        );
    }

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(
            rfc3339(Some(1_709_287_200)).as_deref(),
            Some("2024-03-01T10:00:00Z")
        );
        assert_eq!(rfc3339(None), None);
    }
}
