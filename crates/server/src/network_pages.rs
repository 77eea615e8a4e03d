//! The network on the pages: `/network` (the filters, the count line, the downloads, the graph
//! drawn in the browser by the vendored Cytoscape.js with `static/network.js`, which read it
//! from the API URL in the page's `data-graph-url`, and without JavaScript the heaviest edges
//! as a table), a channel page's "Amplifies" and "Amplified by", and a hashtag page's co-used
//! tags. The API's routes and the parameters are in [`crate::network`].

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use tgscope_engine::Period;
use tgscope_engine::model::looks_like_username;
use tgscope_engine::network::graph::{Graph, Node, Value};
use tgscope_engine::network::{Counterpart, EdgeKind, Network, ObjectKind};

use crate::AppState;
use crate::archive;
use crate::links;
use crate::network::{NetworkAsk, NetworkForm, NetworkFormat, ask};
use crate::pages::{Choice, ErrorView, error_page, render};
use crate::problem::ApiError;

/// How many edges the network page lists as a table (the downloads have them all).
pub const PAGE_EDGES: usize = 50;
/// How many counterparts each amplification table of a channel page lists (the JSON has them
/// all).
pub const PAGE_COUNTERPARTS: usize = 20;
/// How many co-used tags a hashtag page lists.
pub const PAGE_CO_TAGS: usize = 30;

/// The edge kinds by name, in the order the page offers them, with what they are.
const KINDS: &[(EdgeKind, &str)] = &[
    (EdgeKind::Forward, "forwards"),
    (EdgeKind::Mention, "mentions and t.me links"),
    (EdgeKind::Copy, "copies"),
    (EdgeKind::Link, "the same links"),
    (EdgeKind::Coordination, "coordination"),
    (
        EdgeKind::Hashtag,
        "hashtags used together (alone: a network of tags)",
    ),
];

/// The objects coordination looks at, in the order the page offers them.
const OBJECTS: &[(ObjectKind, &str)] = &[
    (ObjectKind::Forward, "forward origins"),
    (ObjectKind::Link, "links"),
    (ObjectKind::Copy, "copied texts"),
    (ObjectKind::Hashtag, "hashtags"),
];

/// The measures a node can be sized by on the page: (value, label).
const SIZES: &[(&str, &str)] = &[
    ("pagerank", "PageRank"),
    ("in_weight", "passed on from others (weighted in-degree)"),
    ("out_weight", "passed on by others (weighted out-degree)"),
    ("posts", "posts archived"),
];

/// A time (Unix seconds) as the pages show it.
fn page_time(seconds: Option<i64>) -> String {
    seconds
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map_or_else(
            || "–".to_string(),
            |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
        )
}

/// A checkbox of a form.
pub struct Check {
    pub(crate) value: &'static str,
    pub(crate) label: &'static str,
    pub(crate) checked: bool,
}

/// A node as a table cell: its name, and its page when it has one.
pub struct NodeLink {
    pub(crate) name: String,
    pub(crate) href: Option<String>,
    /// A channel known only by a mention (no page).
    pub(crate) referenced: bool,
}

/// A post behind an edge, linked.
pub struct PostLink {
    pub(crate) id: i64,
    pub(crate) href: String,
}

fn post_links(posts: &[i64]) -> Vec<PostLink> {
    posts
        .iter()
        .map(|id| PostLink {
            id: *id,
            href: format!("/posts/{id}"),
        })
        .collect()
}

/// An edge as a row of the page's table.
pub struct EdgeRow {
    pub(crate) source: NodeLink,
    pub(crate) target: NodeLink,
    pub(crate) kind: String,
    pub(crate) directed: bool,
    pub(crate) weight: String,
    pub(crate) first: String,
    pub(crate) last: String,
    pub(crate) posts: Vec<PostLink>,
}

/// A download of the network.
pub struct DownloadLink {
    pub(crate) label: &'static str,
    pub(crate) href: String,
    pub(crate) media_type: &'static str,
    pub(crate) class: &'static str,
}

/// A number as the pages show it: whole numbers without a fraction.
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        format!("{n:.3}")
    }
}

/// The page of a node: a channel's (by username when it looks like one, else by archive id),
/// a tag's; none for a channel known only by a mention.
pub fn node_href(graph: &Graph, node: &Node) -> Option<String> {
    if node.id.starts_with('@') {
        return None;
    }
    if let Some(tag) = node.id.strip_prefix('#') {
        return Some(links::hashtag_page(tag));
    }
    let username = graph
        .node_attrs
        .iter()
        .position(|a| a.id == "username")
        .and_then(|at| node.values.get(at))
        .and_then(|v| match v {
            Some(Value::Text(u)) if looks_like_username(u) => Some(u.as_str()),
            _ => None,
        });
    Some(match username {
        Some(u) => links::channel_page_by_name(u),
        None => links::channel_page_by_name(&node.id),
    })
}

fn node_link(graph: &Graph, id: &str) -> NodeLink {
    match graph.nodes.iter().find(|n| n.id == id) {
        Some(node) => NodeLink {
            name: node.label.clone(),
            href: node_href(graph, node),
            referenced: node.id.starts_with('@'),
        },
        None => NodeLink {
            name: id.to_string(),
            href: None,
            referenced: id.starts_with('@'),
        },
    }
}

/// The heaviest `limit` edges, as rows (the heaviest first; ties by kind, then source and
/// target).
fn edge_rows(graph: &Graph, limit: usize) -> Vec<EdgeRow> {
    let mut order: Vec<usize> = (0..graph.edges.len()).collect();
    order.sort_by(|a, b| {
        let (a, b) = (&graph.edges[*a], &graph.edges[*b]);
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| a.kind.cmp(b.kind))
            .then_with(|| a.source.cmp(&b.source))
            .then_with(|| a.target.cmp(&b.target))
    });
    order
        .into_iter()
        .take(limit)
        .map(|i| {
            let e = &graph.edges[i];
            EdgeRow {
                source: node_link(graph, &e.source),
                target: node_link(graph, &e.target),
                kind: e.kind.to_string(),
                directed: e.directed,
                weight: number_text(e.weight),
                first: page_time(e.first),
                last: page_time(e.last),
                posts: post_links(&e.posts),
            }
        })
        .collect()
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// What a network holds and left out, in one line.
pub fn count_line(net: &Network, max_sharers: usize) -> String {
    let mut s = format!(
        "{}, {}",
        plural(net.graph.nodes.len() as u64, "node", "nodes"),
        plural(net.graph.edges.len() as u64, "edge", "edges"),
    );
    if net.posts_used > 0 {
        s.push_str(&format!(
            " from {}",
            plural(net.posts_used, "post", "posts")
        ));
    }
    if net.undated_left_out > 0 {
        s.push_str(&format!(
            "; {} left out by the dates",
            plural(net.undated_left_out, "undated post", "undated posts")
        ));
    }
    if net.unknown_sources > 0 {
        s.push_str(&format!(
            "; {} from a source the archive knows by no name (no edge)",
            plural(net.unknown_sources, "forward", "forwards")
        ));
    }
    if net.objects_left_out > 0 {
        s.push_str(&format!(
            "; {} left out: shared by more than {max_sharers} channels",
            plural(net.objects_left_out, "shared object", "shared objects")
        ));
    }
    s
}

#[derive(Template)]
#[template(path = "network.html")]
struct NetworkPage {
    kinds: Vec<Check>,
    objects: Vec<Check>,
    since: String,
    until: String,
    channel: String,
    depth: String,
    window: String,
    min_shared: String,
    max_sharers: String,
    min_tag_posts: String,
    sizes: Vec<Choice>,
    size: &'static str,
    error: Option<ErrorView>,
    /// The answer, when the parameters were good.
    shown: Option<NetworkShown>,
}

/// The network as the page shows it.
struct NetworkShown {
    counts: String,
    description: String,
    nodes: usize,
    edges: usize,
    graph_url: String,
    downloads: Vec<DownloadLink>,
    rows: Vec<EdgeRow>,
    /// Edges not in the table.
    rows_more: usize,
    hashtags: bool,
}

fn checks<T: PartialEq + Copy>(
    all: &[(T, &'static str)],
    name: impl Fn(T) -> &'static str,
    chosen: &[T],
) -> Vec<Check> {
    all.iter()
        .map(|(value, label)| Check {
            value: name(*value),
            label,
            checked: chosen.contains(value),
        })
        .collect()
}

/// `/network`: the network of the kinds, period and channels chosen: how many nodes and edges
/// (and what was left out), downloads for Gephi and other tools, the graph drawn in the browser
/// (nodes sized by a measure; a click opens a channel's page), and the heaviest edges as a table
/// for reading without JavaScript.
pub async fn page(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let form = match NetworkForm::from_query(raw.as_deref()) {
        Ok(form) => form,
        Err(e) => return error_page(&e),
    };
    let size = SIZES
        .iter()
        .find(|(v, _)| *v == form.size)
        .map_or(SIZES[0].0, |(v, _)| *v);
    let asked = ask(&form);
    let (chosen_kinds, chosen_objects) = match &asked {
        Ok(a) => (a.query.kinds.clone(), a.query.objects.clone()),
        Err(_) => (
            form.kind
                .iter()
                .filter_map(|k| EdgeKind::parse(k))
                .collect(),
            form.objects
                .iter()
                .filter_map(|o| ObjectKind::ALL.into_iter().find(|x| x.as_str() == o))
                .collect(),
        ),
    };
    let mut page = NetworkPage {
        kinds: checks(KINDS, EdgeKind::as_str, &chosen_kinds),
        objects: checks(OBJECTS, ObjectKind::as_str, &chosen_objects),
        since: form.since.clone(),
        until: form.until.clone(),
        channel: form.channel.clone(),
        depth: if form.depth.is_empty() {
            "1".into()
        } else {
            form.depth.clone()
        },
        window: if form.window.is_empty() {
            "60s".into()
        } else {
            form.window.clone()
        },
        min_shared: form.min_shared.clone(),
        max_sharers: form.max_sharers.clone(),
        min_tag_posts: form.min_tag_posts.clone(),
        sizes: SIZES
            .iter()
            .map(|(value, label)| Choice {
                value,
                label,
                selected: *value == size,
            })
            .collect(),
        size,
        error: None,
        shown: None,
    };
    let result = match asked {
        Ok(a) => shown(&state, a).await,
        Err(e) => Err(e),
    };
    let status = match result {
        Ok(shown) => {
            page.shown = Some(shown);
            StatusCode::OK
        }
        Err(e) => {
            let status = e.code.status();
            page.error = Some(ErrorView::from(&e));
            status
        }
    };
    render(&page, status)
}

async fn shown(state: &AppState, ask: NetworkAsk) -> Result<NetworkShown, ApiError> {
    let net = archive::network(state, ask.query.clone(), ask.around.clone()).await?;
    let graph = &net.graph;
    let downloads = [
        (NetworkFormat::Gexf, "GEXF (Gephi, with times)", "gexf"),
        (
            NetworkFormat::GexfStatic,
            "GEXF without times",
            "gexf-static",
        ),
        (NetworkFormat::Graphml, "GraphML", "graphml"),
        (NetworkFormat::Json, "JSON", "json"),
    ]
    .into_iter()
    .map(|(f, label, class)| DownloadLink {
        label,
        href: ask.url("/api/v1/network", &[("format", f.name())]),
        media_type: f.media_type(),
        class,
    })
    .collect();
    Ok(NetworkShown {
        counts: count_line(&net, ask.query.max_sharers),
        description: graph.description.clone(),
        nodes: graph.nodes.len(),
        edges: graph.edges.len(),
        graph_url: ask.url("/api/v1/network", &[]),
        downloads,
        rows: edge_rows(graph, PAGE_EDGES),
        rows_more: graph.edges.len().saturating_sub(PAGE_EDGES),
        hashtags: ask.kinds() == [EdgeKind::Hashtag],
    })
}

/// A counterpart as a row of a channel page.
pub struct AmplifyRow {
    pub(crate) name: String,
    pub(crate) href: Option<String>,
    pub(crate) forwards: u64,
    pub(crate) mentions: u64,
    pub(crate) copies: u64,
    pub(crate) first: String,
    pub(crate) last: String,
    pub(crate) posts: Vec<PostLink>,
}

fn amplify_row(c: &Counterpart) -> AmplifyRow {
    AmplifyRow {
        name: c.name.clone(),
        href: (!c.id.starts_with('@')).then(|| links::channel_page_by_name(&c.id)),
        forwards: c.forwards,
        mentions: c.mentions,
        copies: c.copies,
        first: page_time(c.first),
        last: page_time(c.last),
        posts: post_links(&c.posts),
    }
}

/// A channel's "Amplifies" and "Amplified by".
pub struct AmplificationView {
    pub(crate) amplifies: Vec<AmplifyRow>,
    /// Counterparts not listed.
    pub(crate) amplifies_more: usize,
    pub(crate) amplified_by: Vec<AmplifyRow>,
    /// Counterparts not listed.
    pub(crate) amplified_by_more: usize,
    pub(crate) json_url: String,
    pub(crate) network_href: String,
}

/// What a channel page shows of the network: its amplification, or why there is none.
pub struct AmplificationSection {
    /// The answer, when there is one.
    pub view: Option<AmplificationView>,
    /// Why there is none (the analysis failed).
    pub note: Option<String>,
}

/// A channel's "Amplifies" and "Amplified by" (`key`: the channel's name in this server's
/// paths); the rest of the page is shown whatever the analysis answers.
pub async fn channel_section(state: &AppState, channel_id: i64, key: &str) -> AmplificationSection {
    match archive::amplification(state, channel_id.to_string(), None, None).await {
        Ok(a) => AmplificationSection {
            view: Some(AmplificationView {
                amplifies: a
                    .amplifies
                    .iter()
                    .take(PAGE_COUNTERPARTS)
                    .map(amplify_row)
                    .collect(),
                amplifies_more: a.amplifies.len().saturating_sub(PAGE_COUNTERPARTS),
                amplified_by: a
                    .amplified_by
                    .iter()
                    .take(PAGE_COUNTERPARTS)
                    .map(amplify_row)
                    .collect(),
                amplified_by_more: a.amplified_by.len().saturating_sub(PAGE_COUNTERPARTS),
                json_url: format!(
                    "/api/v1/channels/{}/amplification",
                    links::path_segment(key)
                ),
                network_href: links::with_query(
                    "/network",
                    &[("channel", key), ("kind", "forward,mention,copy")],
                ),
            }),
            note: None,
        },
        Err(e) => AmplificationSection {
            view: None,
            note: Some(format!("The network analysis did not answer: {}", e.detail)),
        },
    }
}

/// A tag used with another, linked.
pub struct CoTagRow {
    pub(crate) tag: String,
    pub(crate) href: String,
    pub(crate) posts: u64,
}

/// A hashtag page's co-used tags.
pub struct CoTagsSection {
    /// The tags used in the same posts, the most first (up to [`PAGE_CO_TAGS`]).
    pub tags: Vec<CoTagRow>,
    /// Tags not listed.
    pub more: usize,
    /// Why there are none (none, or the analysis failed).
    pub note: Option<String>,
}

/// The tags used in the same posts as the tag with key `key`.
pub async fn co_tags(state: &AppState, key: &str) -> CoTagsSection {
    match archive::hashtag_table(state, None, None, None, Period::Month).await {
        Ok(table) => {
            let with = table
                .tags
                .iter()
                .find(|t| t.tag == key)
                .map(|t| t.with.clone())
                .unwrap_or_default();
            CoTagsSection {
                note: with
                    .is_empty()
                    .then(|| "No other tag is used in its posts.".to_string()),
                more: with.len().saturating_sub(PAGE_CO_TAGS),
                tags: with
                    .into_iter()
                    .take(PAGE_CO_TAGS)
                    .map(|(tag, posts)| CoTagRow {
                        href: links::hashtag_page(&tag),
                        tag,
                        posts,
                    })
                    .collect(),
            }
        }
        Err(e) => CoTagsSection {
            tags: Vec::new(),
            more: 0,
            note: Some(format!("The network analysis did not answer: {}", e.detail)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(number_text(3.0), "3");
        assert_eq!(number_text(0.125), "0.125");
        assert_eq!(page_time(Some(0)), "1970-01-01 00:00 UTC");
        assert_eq!(page_time(None), "–");
    }
}
