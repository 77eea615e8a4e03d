//! The channel network: forward, mention, copy, shared-link and coordination edges between
//! channels, computed from the state in one pass over its posts (the shares of objects sorted
//! with bounded memory by [`super::shares`]), with the nodes' measures.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use tgscope_text::names;

use super::graph::{AttrDef, AttrType, Edge, Graph, Node, Value};
use super::shares::{Share, ShareSorter};
use super::state::{Network, NetworkState, PostSet, Signal};
use super::{ChannelFacts, CopyMember, EdgeKind, NetworkQuery, ObjectKind, measures};
use crate::state_file::{self, StateError};

/// What an edge counts beside its weight (copy relations, shared objects by kind, who went
/// first), in the order of [`COUNT_KEYS`].
const COUNT_KEYS: [&str; 10] = [
    "attributed",
    "unattributed",
    "partial",
    "forward",
    "link",
    "copy",
    "hashtag",
    "source_first",
    "target_first",
    "simultaneous",
];

fn count_index(key: &str) -> Option<usize> {
    COUNT_KEYS.iter().position(|k| *k == key)
}

/// Accumulates one edge.
#[derive(Debug, Clone, Default)]
pub(super) struct Acc {
    pub(super) weight: f64,
    pub(super) first: Option<i64>,
    pub(super) last: Option<i64>,
    /// (date or i64::MAX, post) of the earliest posts behind it, sorted, at most the number
    /// asked for.
    pub(super) examples: Vec<(i64, i64)>,
    counts: Option<Box<[i64; COUNT_KEYS.len()]>>,
    min_delay: Option<i64>,
}

impl Acc {
    pub(super) fn add(&mut self, weight: f64, date: Option<i64>, posts: &[i64], keep: usize) {
        self.weight += weight;
        if let Some(d) = date {
            self.first = Some(self.first.map_or(d, |f| f.min(d)));
            self.last = Some(self.last.map_or(d, |l| l.max(d)));
        }
        let keep = keep.max(1);
        if self.examples.capacity() == 0 && !posts.is_empty() {
            self.examples.reserve_exact(keep);
        }
        for p in posts {
            let e = (date.unwrap_or(i64::MAX), *p);
            match self.examples.binary_search(&e) {
                Ok(_) => {}
                Err(at) if at < keep => {
                    if self.examples.len() == keep {
                        self.examples.pop();
                    }
                    self.examples.insert(at, e);
                }
                Err(_) => {}
            }
        }
    }

    fn count(&mut self, key: &str) {
        if let Some(i) = count_index(key) {
            self.counts.get_or_insert_with(Default::default)[i] += 1;
        }
    }

    fn counted(&self, key: &str) -> Option<i64> {
        let i = count_index(key)?;
        self.counts.as_ref().map(|c| c[i]).filter(|n| *n > 0)
    }

    pub(super) fn trim(&mut self, keep: usize) {
        self.examples.truncate(keep);
    }
}

/// A node of the channel network: an archived (or referenced) channel, or a username that
/// only mentions name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum NodeKey {
    Channel(i64),
    Username(u32),
}

type Edges = BTreeMap<(EdgeKind, NodeKey, NodeKey), Acc>;

/// A dated share in a coordination window: (date, channel, post).
type Timed = (i64, i64, i64);

/// The channel network (see [`NetworkState::network`]).
pub(super) fn channel_network(
    state: &NetworkState,
    q: &NetworkQuery,
    channels: &[ChannelFacts],
    copies: &[CopyMember],
) -> Result<Network, StateError> {
    let mut out = Network::empty();
    let strings = state.strings();
    let by_username: HashMap<String, i64> = channels
        .iter()
        .filter_map(|c| {
            let u = c.username.as_deref()?;
            Some((names::alias_key(u), c.id))
        })
        .collect();
    let resolve = |key: u32| -> NodeKey {
        match by_username.get(strings.get(key)) {
            Some(id) => NodeKey::Channel(*id),
            None => NodeKey::Username(key),
        }
    };
    let kinds: BTreeSet<EdgeKind> = q.kinds.iter().copied().collect();
    let objects: BTreeSet<ObjectKind> = q.objects.iter().copied().collect();
    let wants_links = kinds.contains(&EdgeKind::Link);
    let coordination = kinds.contains(&EdgeKind::Coordination);
    let wants = |o: ObjectKind| coordination && objects.contains(&o);
    let wants_copies = kinds.contains(&EdgeKind::Copy) || wants(ObjectKind::Copy);
    let keep = q.examples;
    let mut edges: Edges = BTreeMap::new();
    let mut used = PostSet::default();
    let mut shares = ShareSorter::new(state.spill_dir(), state.share_budget());

    // The copy clusters' posts in post order, to be met while the posts are read.
    let mut sorted_copies: Vec<&CopyMember> = if wants_copies {
        copies.iter().collect()
    } else {
        Vec::new()
    };
    sorted_copies.sort_by_key(|m| m.post_id);
    // The channels of the clusters' first posts, found while reading.
    let mut first_channel: HashMap<i64, Option<i64>> =
        sorted_copies.iter().map(|m| (m.first_post, None)).collect();
    // Copies whose first post comes later in post order: (member, its channel, its date).
    let mut later: Vec<(&CopyMember, i64, Option<i64>)> = Vec::new();
    let mut next_copy = 0;
    let mut failed: Option<StateError> = None;

    state.for_each(|s: &Signal| {
        if failed.is_some() {
            return;
        }
        if let Some(c) = first_channel.get_mut(&s.id) {
            *c = Some(s.channel);
        }
        let in_period = s.in_period(q.since, q.until);
        while next_copy < sorted_copies.len() && sorted_copies[next_copy].post_id < s.id {
            next_copy += 1;
        }
        match in_period {
            None => {
                out.undated_left_out += 1;
                return;
            }
            Some(false) => return,
            Some(true) => {}
        }
        let me = NodeKey::Channel(s.channel);
        let mut share = |kind: ObjectKind, a: u64, b: u64, post: i64| {
            if failed.is_none()
                && let Err(e) = shares.push(Share::new(kind, a, b, s.channel, s.date, post))
            {
                failed = Some(e);
            }
        };
        if let Some((source, message)) = s.forward {
            if kinds.contains(&EdgeKind::Forward) {
                match source {
                    Some(src) if src != s.channel => {
                        edges
                            .entry((EdgeKind::Forward, NodeKey::Channel(src), me))
                            .or_default()
                            .add(1.0, s.date, &[s.id], keep);
                        used.insert(s.id);
                    }
                    Some(_) => {}
                    None => out.unknown_sources += 1,
                }
            }
            if wants(ObjectKind::Forward)
                && let (Some(src), Some(msg)) = (source, message)
            {
                share(ObjectKind::Forward, src as u64, msg as u64, s.id);
            }
        }
        if kinds.contains(&EdgeKind::Mention) {
            for m in &s.mentions {
                let target = resolve(*m);
                if target != me {
                    edges
                        .entry((EdgeKind::Mention, target, me))
                        .or_default()
                        .add(1.0, s.date, &[s.id], keep);
                    used.insert(s.id);
                }
            }
        }
        if wants_links || wants(ObjectKind::Link) {
            for u in &s.urls {
                share(ObjectKind::Link, *u, 0, s.id);
            }
        }
        if wants(ObjectKind::Hashtag) {
            for t in &s.tags {
                share(ObjectKind::Hashtag, u64::from(*t), 0, s.id);
            }
        }
        // Copies: the first post seen of a cluster → each later copy in another channel.
        while next_copy < sorted_copies.len() && sorted_copies[next_copy].post_id == s.id {
            let m = sorted_copies[next_copy];
            next_copy += 1;
            // A forward passes its source on; it is not a second posting of the text (the
            // forward origin is the object forwards share).
            if wants(ObjectKind::Copy) && m.relation != "forward" {
                share(ObjectKind::Copy, m.cluster as u64, 0, m.post_id);
            }
            if !kinds.contains(&EdgeKind::Copy) || matches!(m.relation, "first" | "forward") {
                continue;
            }
            match first_channel.get(&m.first_post).copied().flatten() {
                Some(first) => copy_edge(&mut edges, &mut used, m, first, s.channel, s.date, keep),
                None => later.push((m, s.channel, s.date)),
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    for (m, channel, date) in later {
        if let Some(first) = first_channel.get(&m.first_post).copied().flatten() {
            copy_edge(&mut edges, &mut used, m, first, channel, date, keep);
        }
    }
    drop(first_channel);

    // Shared links, and coordination: one object's shares at a time.
    let mut sorted = shares.finish()?;
    let mut windows = Windows::new(state)?;
    let mut counts: HashMap<(i64, i64), u32> = HashMap::default();
    let mut group: Vec<Share> = Vec::new();
    let mut pending = sorted.next_share()?;
    while let Some(head) = pending {
        group.clear();
        group.push(head);
        pending = None;
        while let Some(s) = sorted.next_share()? {
            if s.object != head.object {
                pending = Some(s);
                break;
            }
            // Each channel's first share of the object (undated shares last).
            if s.channel != group.last().map_or(i64::MIN, |g| g.channel) {
                group.push(s);
            }
        }
        if group.len() < 2 {
            continue;
        }
        if group.len() > q.max_sharers {
            out.objects_left_out += 1;
            continue;
        }
        let kind = head.kind();
        if kind == ObjectKind::Link && wants_links {
            for (i, a) in group.iter().enumerate() {
                for b in &group[i + 1..] {
                    // Channels come in order: a's is the lower.
                    let acc = edges
                        .entry((
                            EdgeKind::Link,
                            NodeKey::Channel(a.channel),
                            NodeKey::Channel(b.channel),
                        ))
                        .or_default();
                    acc.add(1.0, a.date(), &[a.post], keep * 2);
                    acc.add(0.0, b.date(), &[b.post], keep * 2);
                    used.insert(a.post);
                    used.insert(b.post);
                }
            }
        }
        if !wants(kind) {
            continue;
        }
        // The dated shares, in time order, for the sliding window.
        let mut timed: Vec<Timed> = group
            .iter()
            .filter_map(|s| s.date().map(|d| (d, s.channel, s.post)))
            .collect();
        timed.sort_unstable();
        // Coordination in two passes over the sliding windows: first each pair's count of
        // shared objects (here), then the evidence of the pairs with at least the least number
        // only (most pairs that share an object once never do again).
        let mut any = false;
        pairs_in(&timed, q.window, &mut |a, b| {
            any = true;
            *counts.entry((a.1.min(b.1), a.1.max(b.1))).or_default() += 1;
        });
        if any {
            windows.put(kind, &timed)?;
        }
    }
    drop(sorted);
    counts.retain(|_, n| *n as usize >= q.min_shared);
    let mut reader = windows.read()?;
    let mut timed: Vec<Timed> = Vec::new();
    while let Some(kind) = reader.next(&mut timed)? {
        pairs_in(&timed, q.window, &mut |a, b| {
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
            acc.count(leader);
            acc.count(kind.as_str());
        });
    }
    drop(counts);
    edges.retain(|(kind, _, _), acc| {
        *kind != EdgeKind::Coordination || acc.weight >= q.min_shared as f64
    });
    for ((kind, _, _), acc) in &edges {
        if *kind == EdgeKind::Coordination {
            for (_, p) in &acc.examples {
                used.insert(*p);
            }
        }
    }
    out.posts_used = used.len();
    out.graph = channel_graph(q, channels, edges, &|u| strings.get(u).to_string());
    Ok(out)
}

fn copy_edge(
    edges: &mut Edges,
    used: &mut PostSet,
    m: &CopyMember,
    first_channel: i64,
    channel: i64,
    date: Option<i64>,
    keep: usize,
) {
    if first_channel == channel {
        return;
    }
    let acc = edges
        .entry((
            EdgeKind::Copy,
            NodeKey::Channel(first_channel),
            NodeKey::Channel(channel),
        ))
        .or_default();
    acc.add(1.0, date, &[m.first_post, m.post_id], keep * 2);
    acc.count(m.relation);
    used.insert(m.post_id);
}

/// Every pair of shares at most `window` seconds apart, in time order (a sliding window, not
/// fixed bins).
fn pairs_in(timed: &[Timed], window: i64, f: &mut dyn FnMut(&Timed, &Timed)) {
    for (i, a) in timed.iter().enumerate() {
        for b in &timed[i + 1..] {
            if b.0 - a.0 > window {
                break;
            }
            f(a, b);
        }
    }
}

/// The objects' windows kept for the second pass of coordination, in an unnamed temporary file.
struct Windows {
    w: BufWriter<std::fs::File>,
}

impl Windows {
    fn new(state: &NetworkState) -> Result<Windows, StateError> {
        Ok(Windows {
            w: BufWriter::with_capacity(1 << 16, state_file::spill_file(state.spill_dir())?),
        })
    }

    fn io(source: std::io::Error) -> StateError {
        StateError::Io {
            path: std::path::PathBuf::from("(temporary file of a network)"),
            source,
        }
    }

    fn put(&mut self, kind: ObjectKind, timed: &[Timed]) -> Result<(), StateError> {
        let w = &mut self.w;
        let r = (|| {
            w.write_all(&[kind as u8])?;
            w.write_all(&(timed.len() as u64).to_le_bytes())?;
            for (d, c, p) in timed {
                w.write_all(&d.to_le_bytes())?;
                w.write_all(&c.to_le_bytes())?;
                w.write_all(&p.to_le_bytes())?;
            }
            Ok(())
        })();
        r.map_err(Windows::io)
    }

    fn read(self) -> Result<WindowReader, StateError> {
        let mut file = self
            .w
            .into_inner()
            .map_err(|e| Windows::io(e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(Windows::io)?;
        Ok(WindowReader {
            r: BufReader::with_capacity(1 << 16, file),
        })
    }
}

struct WindowReader {
    r: BufReader<std::fs::File>,
}

impl WindowReader {
    /// The next object's kind, with its window in `timed`.
    fn next(&mut self, timed: &mut Vec<Timed>) -> Result<Option<ObjectKind>, StateError> {
        let mut kind = [0u8; 1];
        match self.r.read_exact(&mut kind) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(Windows::io(e)),
        }
        let mut n = [0u8; 8];
        let mut x = || -> Result<i64, StateError> {
            self.r.read_exact(&mut n).map_err(Windows::io)?;
            Ok(i64::from_le_bytes(n))
        };
        let len = x()? as u64;
        timed.clear();
        for _ in 0..len {
            timed.push((x()?, x()?, x()?));
        }
        Ok(ObjectKind::ALL.get(usize::from(kind[0])).copied())
    }
}

fn channel_graph(
    q: &NetworkQuery,
    channels: &[ChannelFacts],
    mut edges: Edges,
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
    let mut index: HashMap<NodeKey, usize> = HashMap::default();
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
    let mut seen: HashSet<NodeKey> = HashSet::default();
    let mut usernames: Vec<NodeKey> = Vec::new();
    let mut unlisted: Vec<NodeKey> = Vec::new();
    for (_, a, b) in edges.keys() {
        for k in [a, b] {
            if !index.contains_key(k) && seen.insert(*k) {
                match k {
                    NodeKey::Username(_) => usernames.push(*k),
                    NodeKey::Channel(_) => unlisted.push(*k),
                }
            }
        }
    }
    // In a canonical order (a string's number depends on the order the state met it).
    usernames.sort_by_cached_key(|k| match k {
        NodeKey::Username(u) => username(*u),
        NodeKey::Channel(_) => String::new(),
    });
    unlisted.sort_unstable();
    for k in usernames {
        let NodeKey::Username(u) = k else { continue };
        let name = username(u);
        index.insert(k, nodes.len());
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
    // Edges whose channel the caller did not list (not expected) get a node too.
    for k in unlisted {
        let NodeKey::Channel(id) = k else { continue };
        index.insert(k, nodes.len());
        nodes.push(Node {
            id: id.to_string(),
            label: format!("channel {id}"),
            values: vec![None, None, Some(Value::Integer(0)), None, None, None],
        });
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
    // Each edge with its place in a canonical order (by kind, then by the nodes' order).
    let mut built: Vec<((EdgeKind, usize, usize), Edge)> = Vec::with_capacity(edges.len());
    for ((kind, a, b), mut acc) in std::mem::take(&mut edges) {
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
        let (ia, ib) = (index[&a], index[&b]);
        let text = |keys: &[&str]| -> Option<Value> {
            let parts: Vec<String> = keys
                .iter()
                .filter_map(|k| acc.counted(k).map(|n| format!("{k}:{n}")))
                .collect();
            (!parts.is_empty()).then(|| Value::Text(parts.join(" ")))
        };
        let count = |k: &str| -> Option<Value> {
            (kind == EdgeKind::Coordination).then(|| Value::Integer(acc.counted(k).unwrap_or(0)))
        };
        let mut values = vec![
            text(&["attributed", "unattributed", "partial"]),
            text(&["forward", "link", "copy", "hashtag"]),
            count("source_first"),
            count("target_first"),
            count("simultaneous"),
            acc.min_delay.map(Value::Integer),
        ];
        // Missing values at the end are not kept (most edges have none).
        while values.last().is_some_and(Option::is_none) {
            values.pop();
        }
        values.shrink_to_fit();
        built.push((
            (kind, ia, ib),
            Edge {
                source: nodes[ia].id.clone(),
                target: nodes[ib].id.clone(),
                kind: kind.as_str(),
                directed,
                weight: acc.weight,
                first: acc.first,
                last: acc.last,
                posts: acc.examples.iter().map(|(_, p)| *p).collect(),
                values,
            },
        ));
    }
    built.sort_unstable_by_key(|(key, _)| *key);
    let weighted: Vec<(usize, usize, f64, EdgeKind, bool)> = built
        .iter()
        .map(|((kind, a, b), e)| (*a, *b, e.weight, *kind, e.directed))
        .collect();
    // In place (the allocation is reused).
    let out_edges: Vec<Edge> = built.into_iter().map(|(_, e)| e).collect();
    // Measures.
    let n = nodes.len();
    let both_ways = |(a, b, w, _, directed): &(usize, usize, f64, EdgeKind, bool)| {
        let back = (!directed).then_some((*b, *a, *w));
        std::iter::once((*a, *b, *w)).chain(back)
    };
    let kinds: BTreeSet<EdgeKind> = weighted.iter().map(|e| e.3).collect();
    let mut per_kind: Vec<(EdgeKind, Vec<measures::Degree>)> = Vec::new();
    for kind in &kinds {
        let of_kind: Vec<(usize, usize, f64)> = weighted
            .iter()
            .filter(|e| e.3 == *kind)
            .flat_map(both_ways)
            .collect();
        per_kind.push((*kind, measures::degrees(n, &of_kind)));
    }
    let all: Vec<(usize, usize, f64)> = weighted.iter().flat_map(both_ways).collect();
    drop(weighted);
    let total = measures::degrees(n, &all);
    let rank = measures::pagerank(n, &all, 0.85);
    let community = measures::louvain(n, &all, 1.0);
    drop(all);
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
