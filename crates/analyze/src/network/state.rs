//! What the networks are made of, per post, and the networks computed from it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use rustc_hash::FxHashMap as HashMap;
use tgscope_text::names;
use tgscope_text::urls::{self, TelegramTarget};

use super::graph::{AttrDef, AttrType, Edge, Graph, Node, Value};
use super::{ChannelFacts, CopyMember, EdgeKind, NetworkPost, NetworkQuery, ObjectKind, measures};
use crate::state_file::{self, In, Out, StateError};

const MAGIC: &[u8; 8] = b"TGSNETW\0";
/// Bumped whenever the format, or what the state keeps of a post, changes.
const FORMAT_VERSION: u32 = 1;

/// Strings kept once (usernames, URLs, tags), by number.
#[derive(Debug, Clone, Default)]
struct Strings {
    all: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Strings {
    fn id(&mut self, s: String) -> u32 {
        if let Some(id) = self.ids.get(&s) {
            return *id;
        }
        let id = self.all.len() as u32;
        self.ids.insert(s.clone(), id);
        self.all.push(s);
        id
    }

    fn get(&self, id: u32) -> &str {
        self.all.get(id as usize).map_or("", String::as_str)
    }
}

/// What is kept of a post.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Signal {
    channel: i64,
    date: Option<i64>,
    inferred: bool,
    forward: Option<(Option<i64>, Option<i64>)>,
    /// Username keys of the channels it names (mentions and t.me links), distinct.
    mentions: Box<[u32]>,
    /// Cleaned URLs, distinct.
    urls: Box<[u32]>,
    /// Tag keys, distinct.
    tags: Box<[u32]>,
}

/// The network analysis of an archive: per post what the networks are made of, and the
/// archive's mark it is caught up to.
#[derive(Debug, Clone, Default)]
pub struct NetworkState {
    mark: i64,
    posts: BTreeMap<i64, Signal>,
    strings: Strings,
}

/// A network computed for a question, with what it left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// The network (nodes with their measures, edges with their evidence).
    pub graph: Graph,
    /// Posts in the period and kinds asked for that made edges.
    pub posts_used: u64,
    /// Posts left out because they have no date while a period was asked for.
    pub undated_left_out: u64,
    /// Forwards whose source the archive does not know by a name (no edge).
    pub unknown_sources: u64,
    /// Shared objects (links, forward origins, clusters, tags) shared by more channels than
    /// [`NetworkQuery::max_sharers`]: they linked no one.
    pub objects_left_out: u64,
}

/// A hashtag's use, for `tgscope hashtags`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hashtag {
    /// The tag's key (folded).
    pub tag: String,
    /// Posts with it.
    pub posts: u64,
    /// Channels that used it, the most first: (channel id, posts).
    pub channels: Vec<(i64, u64)>,
    /// Its first use (the earliest dated post; the lowest id among undated ones when none
    /// is dated).
    pub first: HashtagUse,
    /// Posts per period, in period order.
    pub periods: Vec<HashtagPeriod>,
    /// Other tags used in the same posts, the most first: (tag, posts).
    pub with: Vec<(String, u64)>,
}

/// Where and when a tag was used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashtagUse {
    /// The post.
    pub post_id: i64,
    /// Its channel.
    pub channel_id: i64,
    /// Its date (Unix seconds), when known.
    pub date: Option<i64>,
    /// Whether that date is inferred.
    pub inferred: bool,
}

/// Posts with a tag in one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashtagPeriod {
    /// The period's name (as the caller's `period_of` gives it).
    pub period: String,
    /// Posts.
    pub posts: u64,
}

/// Accumulates one edge.
#[derive(Debug, Clone, Default)]
struct Acc {
    weight: f64,
    first: Option<i64>,
    last: Option<i64>,
    /// (date or i64::MAX, post) of the posts behind it; the earliest `examples` are kept.
    examples: Vec<(i64, i64)>,
    counts: BTreeMap<&'static str, i64>,
    min_delay: Option<i64>,
}

impl Acc {
    fn add(&mut self, weight: f64, date: Option<i64>, posts: &[i64], keep: usize) {
        self.weight += weight;
        if let Some(d) = date {
            self.first = Some(self.first.map_or(d, |f| f.min(d)));
            self.last = Some(self.last.map_or(d, |l| l.max(d)));
        }
        for p in posts {
            self.examples.push((date.unwrap_or(i64::MAX), *p));
        }
        if self.examples.len() > keep.max(1) * 4 {
            self.trim(keep);
        }
    }

    fn trim(&mut self, keep: usize) {
        self.examples.sort_unstable();
        self.examples.dedup();
        self.examples.truncate(keep);
    }
}

/// One channel's share of an object: (channel, date, post).
type Share = (i64, Option<i64>, i64);

/// A dated share, ordered by time: (date, channel, post).
type Timed = (i64, i64, i64);

/// A tag's posts, channels, and first use as (date or `i64::MAX`, post).
type TagCount = (u64, BTreeSet<i64>, Option<(i64, i64)>);

/// A node of the channel network: an archived (or referenced) channel, or a username that
/// only mentions name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum NodeKey {
    Channel(i64),
    Username(u32),
}

impl NetworkState {
    /// An empty analysis (of an empty archive).
    pub fn new() -> NetworkState {
        NetworkState::default()
    }

    /// The archive's mark it is caught up to.
    pub fn mark(&self) -> i64 {
        self.mark
    }

    /// How many posts it holds.
    pub fn post_count(&self) -> usize {
        self.posts.len()
    }

    /// Takes in posts with a version newer than the analysis's mark (their current version),
    /// and the archive's mark now. A rebuild is an update of every post onto an empty state.
    pub fn update(&mut self, mark: i64, posts: impl IntoIterator<Item = NetworkPost>) {
        for p in posts {
            let signal = self.signal_of(p.channel_id, &p);
            self.posts.insert(p.post_id, signal);
        }
        self.mark = self.mark.max(mark);
    }

    fn signal_of(&mut self, channel: i64, p: &NetworkPost) -> Signal {
        let mut mentions: BTreeSet<u32> = BTreeSet::new();
        let mut links: BTreeSet<u32> = BTreeSet::new();
        for m in &p.mentions {
            let key = names::alias_key(m.trim_start_matches('@'));
            if !key.is_empty() {
                mentions.insert(self.strings.id(key));
            }
        }
        for l in &p.links {
            match urls::telegram_target(l) {
                Some(TelegramTarget::Channel { key, .. }) => {
                    mentions.insert(self.strings.id(key));
                }
                Some(_) => {}
                None => {
                    if let Some(clean) = urls::clean_url(l) {
                        links.insert(self.strings.id(clean.canonical));
                    }
                }
            }
        }
        let mut tags: BTreeSet<u32> = BTreeSet::new();
        for t in &p.hashtags {
            let key = names::tag_key(t);
            if !key.is_empty() {
                tags.insert(self.strings.id(key));
            }
        }
        Signal {
            channel,
            date: p.date,
            inferred: p.date_inferred,
            forward: p.forward,
            mentions: mentions.into_iter().collect(),
            urls: links.into_iter().collect(),
            tags: tags.into_iter().collect(),
        }
    }

    /// Whether a post counts for a period.
    fn in_period(s: &Signal, q: &NetworkQuery) -> Option<bool> {
        if q.since.is_none() && q.until.is_none() {
            return Some(true);
        }
        let d = s.date?;
        Some(q.since.is_none_or(|a| d >= a) && q.until.is_none_or(|b| d < b))
    }

    /// The network asked for. `channels` are the channels the archive knows; `copies` the
    /// posts of copy clusters (for copy edges and co-posting).
    pub fn network(
        &self,
        q: &NetworkQuery,
        channels: &[ChannelFacts],
        copies: &[CopyMember],
    ) -> Network {
        if q.kinds == [EdgeKind::Hashtag] {
            return self.hashtag_network(q);
        }
        let mut out = Network {
            graph: Graph::default(),
            posts_used: 0,
            undated_left_out: 0,
            unknown_sources: 0,
            objects_left_out: 0,
        };
        let by_username: HashMap<String, i64> = channels
            .iter()
            .filter_map(|c| {
                let u = c.username.as_deref()?;
                Some((names::alias_key(u), c.id))
            })
            .collect();
        let resolve = |key: u32| -> NodeKey {
            match by_username.get(self.strings.get(key)) {
                Some(id) => NodeKey::Channel(*id),
                None => NodeKey::Username(key),
            }
        };
        let kinds: BTreeSet<EdgeKind> = q.kinds.iter().copied().collect();
        let mut edges: BTreeMap<(EdgeKind, NodeKey, NodeKey), Acc> = BTreeMap::new();
        let keep = q.examples;
        let mut used: BTreeSet<i64> = BTreeSet::new();
        // Shares of objects: object → (channel, date, post) of every post sharing it.
        let mut shares: BTreeMap<(ObjectKind, u64, u64), Vec<Share>> = BTreeMap::new();
        let wants_links = kinds.contains(&EdgeKind::Link);
        let coordination = kinds.contains(&EdgeKind::Coordination);
        let objects: BTreeSet<ObjectKind> = q.objects.iter().copied().collect();
        for (id, s) in &self.posts {
            match Self::in_period(s, q) {
                None => {
                    out.undated_left_out += 1;
                    continue;
                }
                Some(false) => continue,
                Some(true) => {}
            }
            let me = NodeKey::Channel(s.channel);
            if let Some((source, message)) = s.forward {
                if kinds.contains(&EdgeKind::Forward) {
                    match source {
                        Some(src) if src != s.channel => {
                            edges
                                .entry((EdgeKind::Forward, NodeKey::Channel(src), me.clone()))
                                .or_default()
                                .add(1.0, s.date, &[*id], keep);
                            used.insert(*id);
                        }
                        Some(_) => {}
                        None => out.unknown_sources += 1,
                    }
                }
                if coordination
                    && objects.contains(&ObjectKind::Forward)
                    && let (Some(src), Some(msg)) = (source, message)
                {
                    shares
                        .entry((ObjectKind::Forward, src as u64, msg as u64))
                        .or_default()
                        .push((s.channel, s.date, *id));
                }
            }
            if kinds.contains(&EdgeKind::Mention) {
                for m in s.mentions.iter() {
                    let target = resolve(*m);
                    if target != me {
                        edges
                            .entry((EdgeKind::Mention, target, me.clone()))
                            .or_default()
                            .add(1.0, s.date, &[*id], keep);
                        used.insert(*id);
                    }
                }
            }
            if wants_links || (coordination && objects.contains(&ObjectKind::Link)) {
                for u in s.urls.iter() {
                    shares
                        .entry((ObjectKind::Link, u64::from(*u), 0))
                        .or_default()
                        .push((s.channel, s.date, *id));
                }
            }
            if coordination && objects.contains(&ObjectKind::Hashtag) {
                for t in s.tags.iter() {
                    shares
                        .entry((ObjectKind::Hashtag, u64::from(*t), 0))
                        .or_default()
                        .push((s.channel, s.date, *id));
                }
            }
        }
        // Copies: the first post seen of a cluster → each later copy in another channel.
        let mut first_of: HashMap<i64, i64> = HashMap::default();
        for m in copies {
            first_of.insert(m.cluster, m.first_post);
        }
        for m in copies {
            let Some(s) = self.posts.get(&m.post_id) else {
                continue;
            };
            if Self::in_period(s, q) != Some(true) {
                continue;
            }
            // A forward passes its source on; it is not a second posting of the text (the
            // forward origin is the object forwards share).
            if coordination && objects.contains(&ObjectKind::Copy) && m.relation != "forward" {
                shares
                    .entry((ObjectKind::Copy, m.cluster as u64, 0))
                    .or_default()
                    .push((s.channel, s.date, m.post_id));
            }
            if !kinds.contains(&EdgeKind::Copy) || matches!(m.relation, "first" | "forward") {
                continue;
            }
            let Some(first) = self.posts.get(&m.first_post) else {
                continue;
            };
            if first.channel == s.channel {
                continue;
            }
            let acc = edges
                .entry((
                    EdgeKind::Copy,
                    NodeKey::Channel(first.channel),
                    NodeKey::Channel(s.channel),
                ))
                .or_default();
            acc.add(1.0, s.date, &[m.first_post, m.post_id], keep * 2);
            *acc.counts.entry(m.relation).or_default() += 1;
            used.insert(m.post_id);
        }
        // Shared links, and coordination.
        let mut windows: Vec<(ObjectKind, Vec<Timed>)> = Vec::new();
        for ((kind, _, _), list) in &mut shares {
            // Each channel's first share of the object (undated shares last).
            list.sort_unstable_by_key(|(c, d, p)| (*c, d.unwrap_or(i64::MAX), *p));
            list.dedup_by_key(|(c, _, _)| *c);
            if list.len() < 2 {
                continue;
            }
            if list.len() > q.max_sharers {
                out.objects_left_out += 1;
                continue;
            }
            if *kind == ObjectKind::Link && wants_links {
                for (i, a) in list.iter().enumerate() {
                    for b in &list[i + 1..] {
                        let (x, y) = if a.0 < b.0 { (a, b) } else { (b, a) };
                        let acc = edges
                            .entry((EdgeKind::Link, NodeKey::Channel(x.0), NodeKey::Channel(y.0)))
                            .or_default();
                        acc.add(1.0, x.1, &[x.2], keep * 2);
                        acc.add(0.0, y.1, &[y.2], keep * 2);
                        used.insert(x.2);
                        used.insert(y.2);
                    }
                }
            }
            if !coordination || !objects.contains(kind) {
                continue;
            }
            // The dated shares, in time order, for the sliding window below.
            let mut timed: Vec<Timed> = list
                .iter()
                .filter_map(|(c, d, p)| d.map(|d| (d, *c, *p)))
                .collect();
            timed.sort_unstable();
            windows.push((*kind, timed));
        }
        // Coordination in two passes over the sliding windows: first each pair's count of
        // shared objects, then the evidence of the pairs with at least the least number only
        // (most pairs that share an object once never do again).
        let pairs_in = |timed: &[Timed], f: &mut dyn FnMut(&Timed, &Timed)| {
            for (i, a) in timed.iter().enumerate() {
                for b in &timed[i + 1..] {
                    if b.0 - a.0 > q.window {
                        break;
                    }
                    f(a, b);
                }
            }
        };
        let mut counts: HashMap<(i64, i64), u32> = HashMap::default();
        for (_, timed) in &windows {
            pairs_in(timed, &mut |a, b| {
                *counts.entry((a.1.min(b.1), a.1.max(b.1))).or_default() += 1;
            });
        }
        counts.retain(|_, n| *n as usize >= q.min_shared);
        for (kind, timed) in &windows {
            pairs_in(timed, &mut |a, b| {
                let (x, y) = if a.1 < b.1 { (a, b) } else { (b, a) };
                if !counts.contains_key(&(x.1, y.1)) {
                    return;
                }
                let acc = edges
                    .entry((
                        EdgeKind::Coordination,
                        NodeKey::Channel(x.1),
                        NodeKey::Channel(y.1),
                    ))
                    .or_default();
                acc.add(1.0, Some(a.0), &[a.2, b.2], keep * 2);
                acc.add(0.0, Some(b.0), &[], keep * 2);
                let delay = b.0 - a.0;
                acc.min_delay = Some(acc.min_delay.map_or(delay, |m| m.min(delay)));
                let leader = if a.0 == b.0 {
                    "simultaneous"
                } else if a.1 == x.1 {
                    "source_first"
                } else {
                    "target_first"
                };
                *acc.counts.entry(leader).or_default() += 1;
                *acc.counts.entry(kind.as_str()).or_default() += 1;
            });
        }
        edges.retain(|(kind, _, _), acc| {
            *kind != EdgeKind::Coordination || acc.weight >= q.min_shared as f64
        });
        for ((kind, _, _), acc) in &edges {
            if *kind == EdgeKind::Coordination {
                used.extend(acc.examples.iter().map(|(_, p)| *p));
            }
        }
        out.posts_used = used.len() as u64;
        out.graph = self.channel_graph(q, channels, edges, &resolve_label(&self.strings));
        out
    }

    fn channel_graph(
        &self,
        q: &NetworkQuery,
        channels: &[ChannelFacts],
        mut edges: BTreeMap<(EdgeKind, NodeKey, NodeKey), Acc>,
        username: &dyn Fn(u32) -> String,
    ) -> Graph {
        let mut node_attrs = vec![
            AttrDef {
                id: "username",
                title: "Username",
                kind: AttrType::Text,
            },
            AttrDef {
                id: "title",
                title: "Title",
                kind: AttrType::Text,
            },
            AttrDef {
                id: "posts",
                title: "Posts archived",
                kind: AttrType::Integer,
            },
            AttrDef {
                id: "first_post",
                title: "First post",
                kind: AttrType::Time,
            },
            AttrDef {
                id: "last_post",
                title: "Last post",
                kind: AttrType::Time,
            },
            AttrDef {
                id: "archived",
                title: "Archived",
                kind: AttrType::Boolean,
            },
        ];
        let mut nodes: Vec<Node> = Vec::new();
        let mut index: BTreeMap<NodeKey, usize> = BTreeMap::new();
        for c in channels {
            index.insert(NodeKey::Channel(c.id), nodes.len());
            nodes.push(Node {
                id: c.id.to_string(),
                label: c
                    .title
                    .clone()
                    .or_else(|| c.username.as_ref().map(|u| format!("@{u}")))
                    .unwrap_or_else(|| format!("channel {}", c.id)),
                values: vec![
                    c.username.clone().map(Value::Text),
                    c.title.clone().map(Value::Text),
                    Some(Value::Integer(c.posts as i64)),
                    c.first.map(Value::Time),
                    c.last.map(Value::Time),
                    Some(Value::Boolean(c.posts > 0)),
                ],
            });
        }
        for (_, a, b) in edges.keys() {
            for k in [a, b] {
                if let NodeKey::Username(u) = k
                    && !index.contains_key(k)
                {
                    let name = username(*u);
                    index.insert(k.clone(), nodes.len());
                    nodes.push(Node {
                        id: format!("@{name}"),
                        label: format!("@{name}"),
                        values: vec![
                            Some(Value::Text(name)),
                            None,
                            Some(Value::Integer(0)),
                            None,
                            None,
                            Some(Value::Boolean(false)),
                        ],
                    });
                }
            }
        }
        // Edges whose channel the caller did not list (not expected) get a node too.
        for (_, a, b) in edges.keys() {
            for k in [a, b] {
                if let NodeKey::Channel(id) = k
                    && !index.contains_key(k)
                {
                    index.insert(k.clone(), nodes.len());
                    nodes.push(Node {
                        id: id.to_string(),
                        label: format!("channel {id}"),
                        values: vec![None, None, Some(Value::Integer(0)), None, None, None],
                    });
                }
            }
        }
        let edge_attrs = vec![
            AttrDef {
                id: "relations",
                title: "Copy relations",
                kind: AttrType::Text,
            },
            AttrDef {
                id: "objects",
                title: "Shared objects by kind",
                kind: AttrType::Text,
            },
            AttrDef {
                id: "source_first",
                title: "Source went first",
                kind: AttrType::Integer,
            },
            AttrDef {
                id: "target_first",
                title: "Target went first",
                kind: AttrType::Integer,
            },
            AttrDef {
                id: "simultaneous",
                title: "At the same second",
                kind: AttrType::Integer,
            },
            AttrDef {
                id: "min_delay",
                title: "Least delay (s)",
                kind: AttrType::Integer,
            },
        ];
        let mut out_edges = Vec::new();
        let mut weighted: Vec<(usize, usize, f64, EdgeKind, bool)> = Vec::new();
        for ((kind, a, b), acc) in &mut edges {
            acc.trim(
                if matches!(
                    kind,
                    EdgeKind::Copy | EdgeKind::Link | EdgeKind::Coordination
                ) {
                    q.examples * 2
                } else {
                    q.examples
                },
            );
            let directed = matches!(kind, EdgeKind::Forward | EdgeKind::Mention | EdgeKind::Copy);
            let (ia, ib) = (index[a], index[b]);
            weighted.push((ia, ib, acc.weight, *kind, directed));
            let text = |keys: &[&str]| -> Option<Value> {
                let parts: Vec<String> = keys
                    .iter()
                    .filter_map(|k| acc.counts.get(k).map(|n| format!("{k}:{n}")))
                    .collect();
                (!parts.is_empty()).then(|| Value::Text(parts.join(" ")))
            };
            let count = |k: &str| -> Option<Value> {
                (*kind == EdgeKind::Coordination)
                    .then(|| Value::Integer(acc.counts.get(k).copied().unwrap_or(0)))
            };
            out_edges.push(Edge {
                source: nodes[ia].id.clone(),
                target: nodes[ib].id.clone(),
                kind: kind.as_str().to_string(),
                directed,
                weight: acc.weight,
                first: acc.first,
                last: acc.last,
                posts: acc.examples.iter().map(|(_, p)| *p).collect(),
                values: vec![
                    text(&["attributed", "unattributed", "partial"]),
                    text(&["forward", "link", "copy", "hashtag"]),
                    count("source_first"),
                    count("target_first"),
                    count("simultaneous"),
                    acc.min_delay.map(Value::Integer),
                ],
            });
        }
        // Measures.
        let n = nodes.len();
        let all: Vec<(usize, usize, f64)> = weighted
            .iter()
            .flat_map(|(a, b, w, _, directed)| {
                let back = (!directed).then_some((*b, *a, *w));
                std::iter::once((*a, *b, *w)).chain(back)
            })
            .collect();
        let kinds: BTreeSet<EdgeKind> = weighted.iter().map(|e| e.3).collect();
        let mut per_kind: Vec<(EdgeKind, Vec<measures::Degree>)> = Vec::new();
        for kind in &kinds {
            let of_kind: Vec<(usize, usize, f64)> = weighted
                .iter()
                .filter(|e| e.3 == *kind)
                .flat_map(|(a, b, w, _, directed)| {
                    let back = (!directed).then_some((*b, *a, *w));
                    std::iter::once((*a, *b, *w)).chain(back)
                })
                .collect();
            per_kind.push((*kind, measures::degrees(n, &of_kind)));
        }
        let total = measures::degrees(n, &all);
        let rank = measures::pagerank(n, &all, 0.85);
        let community = measures::louvain(n, &all, 1.0);
        node_attrs.extend([
            AttrDef {
                id: "in_degree",
                title: "In-degree",
                kind: AttrType::Integer,
            },
            AttrDef {
                id: "out_degree",
                title: "Out-degree",
                kind: AttrType::Integer,
            },
            AttrDef {
                id: "in_weight",
                title: "Weighted in-degree",
                kind: AttrType::Float,
            },
            AttrDef {
                id: "out_weight",
                title: "Weighted out-degree",
                kind: AttrType::Float,
            },
            AttrDef {
                id: "pagerank",
                title: "PageRank",
                kind: AttrType::Float,
            },
            AttrDef {
                id: "community",
                title: "Community (Louvain)",
                kind: AttrType::Integer,
            },
        ]);
        for (kind, _) in &per_kind {
            node_attrs.extend(kind_degree_attrs(*kind));
        }
        for (i, node) in nodes.iter_mut().enumerate() {
            let d = &total[i];
            node.values.extend([
                Some(Value::Integer(i64::from(d.in_degree))),
                Some(Value::Integer(i64::from(d.out_degree))),
                Some(Value::Float(d.in_weight)),
                Some(Value::Float(d.out_weight)),
                Some(Value::Float(rank[i])),
                Some(Value::Integer(i64::from(community[i]))),
            ]);
            for (kind, degrees) in &per_kind {
                node.values.extend(kind_degree_values(*kind, &degrees[i]));
            }
        }
        let kinds_text: Vec<&str> = q.kinds.iter().map(|k| k.as_str()).collect();
        Graph {
            description: format!(
                "tgscope channel network: edges {}; every directed edge points from the channel \
                 whose post, name or text is passed on to the channel that passes it on; \
                 coordination within {} s, at least {} shared objects",
                kinds_text.join(", "),
                q.window,
                q.min_shared
            ),
            node_attrs,
            edge_attrs,
            nodes,
            edges: out_edges,
        }
    }

    /// The hashtag network: tags used in at least [`NetworkQuery::min_tag_posts`] posts, linked
    /// when used together in at least that many posts.
    fn hashtag_network(&self, q: &NetworkQuery) -> Network {
        let mut out = Network {
            graph: Graph::default(),
            posts_used: 0,
            undated_left_out: 0,
            unknown_sources: 0,
            objects_left_out: 0,
        };
        let mut tag_posts: BTreeMap<u32, TagCount> = BTreeMap::new();
        let mut pairs: BTreeMap<(u32, u32), Acc> = BTreeMap::new();
        for (id, s) in &self.posts {
            match Self::in_period(s, q) {
                None => {
                    out.undated_left_out += 1;
                    continue;
                }
                Some(false) => continue,
                Some(true) => {}
            }
            if s.tags.is_empty() {
                continue;
            }
            out.posts_used += 1;
            for (i, t) in s.tags.iter().enumerate() {
                let e = tag_posts.entry(*t).or_default();
                e.0 += 1;
                e.1.insert(s.channel);
                let when = (s.date.unwrap_or(i64::MAX), *id);
                if e.2.is_none_or(|w| when < w) {
                    e.2 = Some(when);
                }
                for u in &s.tags[i + 1..] {
                    pairs.entry((*t.min(u), *t.max(u))).or_default().add(
                        1.0,
                        s.date,
                        &[*id],
                        q.examples,
                    );
                }
            }
        }
        let least = q.min_tag_posts.max(1) as u64;
        let kept: BTreeMap<u32, usize> = tag_posts
            .iter()
            .filter(|(_, (n, _, _))| *n >= least)
            .enumerate()
            .map(|(i, (t, _))| (*t, i))
            .collect();
        let node_attrs = vec![
            AttrDef {
                id: "posts",
                title: "Posts",
                kind: AttrType::Integer,
            },
            AttrDef {
                id: "channels",
                title: "Channels",
                kind: AttrType::Integer,
            },
            AttrDef {
                id: "first_use",
                title: "First use",
                kind: AttrType::Time,
            },
        ];
        let nodes: Vec<Node> = kept
            .keys()
            .map(|t| {
                let (n, chans, first) = &tag_posts[t];
                let tag = self.strings.get(*t);
                Node {
                    id: format!("#{tag}"),
                    label: format!("#{tag}"),
                    values: vec![
                        Some(Value::Integer(*n as i64)),
                        Some(Value::Integer(chans.len() as i64)),
                        first.and_then(|(d, _)| (d != i64::MAX).then_some(Value::Time(d))),
                    ],
                }
            })
            .collect();
        let mut edges = Vec::new();
        for ((a, b), acc) in &mut pairs {
            let (Some(ia), Some(ib)) = (kept.get(a), kept.get(b)) else {
                continue;
            };
            if acc.weight < least as f64 {
                continue;
            }
            acc.trim(q.examples);
            edges.push(Edge {
                source: nodes[*ia].id.clone(),
                target: nodes[*ib].id.clone(),
                kind: EdgeKind::Hashtag.as_str().to_string(),
                directed: false,
                weight: acc.weight,
                first: acc.first,
                last: acc.last,
                posts: acc.examples.iter().map(|(_, p)| *p).collect(),
                values: Vec::new(),
            });
        }
        out.graph = Graph {
            description: format!(
                "tgscope hashtag network: tags used in at least {least} posts, linked when used \
                 together in at least {least} posts (weight: posts with both)"
            ),
            node_attrs,
            edge_attrs: Vec::new(),
            nodes,
            edges,
        };
        out
    }

    /// Hashtags used in the period (by `channel` alone when given): posts, channels, first use,
    /// posts per period (`period_of` names the period of a date), and co-used tags; the most
    /// used first.
    pub fn hashtags(
        &self,
        since: Option<i64>,
        until: Option<i64>,
        channel: Option<i64>,
        period_of: &dyn Fn(i64) -> String,
    ) -> (Vec<Hashtag>, u64) {
        let q = NetworkQuery {
            since,
            until,
            ..NetworkQuery::default()
        };
        let mut undated = 0;
        let mut by_tag: BTreeMap<u32, Hashtag> = BTreeMap::new();
        let mut periods: BTreeMap<u32, BTreeMap<String, u64>> = BTreeMap::new();
        let mut channels: BTreeMap<u32, BTreeMap<i64, u64>> = BTreeMap::new();
        let mut with: BTreeMap<u32, BTreeMap<u32, u64>> = BTreeMap::new();
        for (id, s) in &self.posts {
            if channel.is_some_and(|c| c != s.channel) || s.tags.is_empty() {
                continue;
            }
            match Self::in_period(s, &q) {
                None => {
                    undated += 1;
                    continue;
                }
                Some(false) => continue,
                Some(true) => {}
            }
            for t in s.tags.iter() {
                let use_here = HashtagUse {
                    post_id: *id,
                    channel_id: s.channel,
                    date: s.date,
                    inferred: s.inferred,
                };
                let h = by_tag.entry(*t).or_insert_with(|| Hashtag {
                    tag: self.strings.get(*t).to_string(),
                    posts: 0,
                    channels: Vec::new(),
                    first: use_here.clone(),
                    periods: Vec::new(),
                    with: Vec::new(),
                });
                h.posts += 1;
                let key = |u: &HashtagUse| (u.date.unwrap_or(i64::MAX), u.post_id);
                if key(&use_here) < key(&h.first) {
                    h.first = use_here;
                }
                *channels
                    .entry(*t)
                    .or_default()
                    .entry(s.channel)
                    .or_default() += 1;
                if let Some(d) = s.date {
                    *periods
                        .entry(*t)
                        .or_default()
                        .entry(period_of(d))
                        .or_default() += 1;
                }
                for u in s.tags.iter().filter(|u| *u != t) {
                    *with.entry(*t).or_default().entry(*u).or_default() += 1;
                }
            }
        }
        let mut out: Vec<Hashtag> = by_tag
            .into_iter()
            .map(|(t, mut h)| {
                let mut cs: Vec<(i64, u64)> = channels
                    .remove(&t)
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                cs.sort_by_key(|(c, n)| (std::cmp::Reverse(*n), *c));
                h.channels = cs;
                h.periods = periods
                    .remove(&t)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(period, posts)| HashtagPeriod { period, posts })
                    .collect();
                let mut w: Vec<(String, u64)> = with
                    .remove(&t)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(u, n)| (self.strings.get(u).to_string(), n))
                    .collect();
                w.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                h.with = w;
                h
            })
            .collect();
        out.sort_by(|a, b| b.posts.cmp(&a.posts).then_with(|| a.tag.cmp(&b.tag)));
        (out, undated)
    }

    /// The state's content in a canonical order, for comparing an update with a rebuild.
    pub fn fingerprint(&self) -> String {
        let mut out = format!("mark {}\n", self.mark);
        for (id, s) in &self.posts {
            let names = |ids: &[u32]| -> Vec<&str> {
                let mut v: Vec<&str> = ids.iter().map(|i| self.strings.get(*i)).collect();
                v.sort_unstable();
                v
            };
            out.push_str(&format!(
                "{id} {} {:?} {} {:?} {:?} {:?} {:?}\n",
                s.channel,
                s.date,
                s.inferred,
                s.forward,
                names(&s.mentions),
                names(&s.urls),
                names(&s.tags)
            ));
        }
        out
    }

    /// Writes the state to `path` (through a temporary file in the same folder, renamed).
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        state_file::save(path, MAGIC, FORMAT_VERSION, |o| self.write_to(o))
    }

    fn write_to<W: Write>(&self, o: &mut Out<W>) -> std::io::Result<()> {
        o.i64(self.mark)?;
        o.len(self.strings.all.len())?;
        for s in &self.strings.all {
            o.len(s.len())?;
            o.bytes(s.as_bytes())?;
        }
        o.len(self.posts.len())?;
        let opt = |o: &mut Out<W>, v: Option<i64>| -> std::io::Result<()> {
            match v {
                Some(v) => {
                    o.u8(1)?;
                    o.i64(v)
                }
                None => o.u8(0),
            }
        };
        for (id, s) in &self.posts {
            o.i64(*id)?;
            o.i64(s.channel)?;
            opt(o, s.date)?;
            o.u8(u8::from(s.inferred))?;
            match s.forward {
                Some((c, m)) => {
                    o.u8(1)?;
                    opt(o, c)?;
                    opt(o, m)?;
                }
                None => o.u8(0)?,
            }
            for list in [&s.mentions, &s.urls, &s.tags] {
                o.len(list.len())?;
                for v in list.iter() {
                    o.u32(*v)?;
                }
            }
        }
        Ok(())
    }

    /// Reads a state written by [`NetworkState::save`]. `Ok(None)` when there is no file.
    pub fn load(path: &Path) -> Result<Option<NetworkState>, StateError> {
        state_file::load(
            path,
            MAGIC,
            FORMAT_VERSION,
            "a network analysis",
            Self::read_from,
        )
    }

    fn read_from(i: &mut In<'_>) -> Result<NetworkState, String> {
        let mut state = NetworkState {
            mark: i.i64()?,
            ..NetworkState::default()
        };
        let n = i.len(8)?;
        for _ in 0..n {
            let len = i.len(1)?;
            let at = i.at;
            let s = std::str::from_utf8(i.take(len)?)
                .map_err(|e| format!("a string at byte {at}: {e}"))?
                .to_string();
            state.strings.id(s);
        }
        let strings = state.strings.all.len() as u32;
        let n = i.len(30)?;
        let opt = |i: &mut In<'_>| -> Result<Option<i64>, String> {
            Ok(match i.u8()? {
                0 => None,
                _ => Some(i.i64()?),
            })
        };
        for _ in 0..n {
            let id = i.i64()?;
            let channel = i.i64()?;
            let date = opt(i)?;
            let inferred = i.u8()? != 0;
            let forward = match i.u8()? {
                0 => None,
                _ => Some((opt(i)?, opt(i)?)),
            };
            let mut lists: [Box<[u32]>; 3] = Default::default();
            for list in &mut lists {
                let k = i.len(4)?;
                let mut v = Vec::with_capacity(k);
                for _ in 0..k {
                    let s = i.u32()?;
                    if s >= strings {
                        return Err(format!("a string number out of range at byte {}", i.at));
                    }
                    v.push(s);
                }
                *list = v.into_boxed_slice();
            }
            let [mentions, urls, tags] = lists;
            state.posts.insert(
                id,
                Signal {
                    channel,
                    date,
                    inferred,
                    forward,
                    mentions,
                    urls,
                    tags,
                },
            );
        }
        Ok(state)
    }
}

/// The degree attributes of one edge kind: in and out (counts, weights) for a directed kind,
/// the degree and its weight for an undirected one.
fn kind_degree_attrs(kind: EdgeKind) -> Vec<AttrDef> {
    let (ids, titles): (&[&'static str], &[&'static str]) = match kind {
        EdgeKind::Forward => (
            &[
                "forward_in",
                "forward_out",
                "forward_in_weight",
                "forward_out_weight",
            ],
            &[
                "Forward in-degree",
                "Forward out-degree",
                "Forwards in",
                "Forwards out",
            ],
        ),
        EdgeKind::Mention => (
            &[
                "mention_in",
                "mention_out",
                "mention_in_weight",
                "mention_out_weight",
            ],
            &[
                "Mention in-degree",
                "Mention out-degree",
                "Mentions in",
                "Mentions out",
            ],
        ),
        EdgeKind::Copy => (
            &["copy_in", "copy_out", "copy_in_weight", "copy_out_weight"],
            &[
                "Copy in-degree",
                "Copy out-degree",
                "Copies in",
                "Copies out",
            ],
        ),
        EdgeKind::Link => (
            &["link_degree", "link_weight"],
            &["Shared-link degree", "Shared links"],
        ),
        EdgeKind::Coordination => (
            &["coordination_degree", "coordination_weight"],
            &["Coordination degree", "Coordinated objects"],
        ),
        EdgeKind::Hashtag => (&["hashtag_degree", "hashtag_weight"], &["Degree", "Posts"]),
    };
    let half = ids.len() / 2;
    ids.iter()
        .zip(titles)
        .enumerate()
        .map(|(i, (id, title))| AttrDef {
            id,
            title,
            kind: if i < half {
                AttrType::Integer
            } else {
                AttrType::Float
            },
        })
        .collect()
}

/// The values of [`kind_degree_attrs`] for a node.
fn kind_degree_values(kind: EdgeKind, d: &measures::Degree) -> Vec<Option<Value>> {
    if matches!(kind, EdgeKind::Forward | EdgeKind::Mention | EdgeKind::Copy) {
        vec![
            Some(Value::Integer(i64::from(d.in_degree))),
            Some(Value::Integer(i64::from(d.out_degree))),
            Some(Value::Float(d.in_weight)),
            Some(Value::Float(d.out_weight)),
        ]
    } else {
        // Undirected edges are counted both ways: in = out.
        vec![
            Some(Value::Integer(i64::from(d.in_degree))),
            Some(Value::Float(d.in_weight)),
        ]
    }
}

/// Usernames by their number, for the nodes of channels known only by a mention.
fn resolve_label(strings: &Strings) -> impl Fn(u32) -> String + '_ {
    move |id| strings.get(id).to_string()
}
