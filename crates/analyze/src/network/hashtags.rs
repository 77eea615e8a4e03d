//! Hashtags: the hashtag network (tags used together) and the uses of tags (posts, channels,
//! first use, posts per period, co-used tags), each computed in one pass over the state's posts.

use std::collections::{BTreeMap, BTreeSet};

use super::channels::Acc;
use super::graph::{AttrDef, AttrType, Edge, Graph, Node, Value};
use super::state::{Network, NetworkState};
use super::{EdgeKind, NetworkQuery};
use crate::state_file::StateError;

/// A tag's posts, channels, and first use as (date or `i64::MAX`, post).
type TagCount = (u64, BTreeSet<i64>, Option<(i64, i64)>);

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

/// The hashtag network: tags used in at least [`NetworkQuery::min_tag_posts`] posts, linked
/// when used together in at least that many posts.
pub(super) fn hashtag_network(
    state: &NetworkState,
    q: &NetworkQuery,
) -> Result<Network, StateError> {
    let mut out = Network::empty();
    let mut tag_posts: BTreeMap<u32, TagCount> = BTreeMap::new();
    let mut pairs: BTreeMap<(u32, u32), Acc> = BTreeMap::new();
    state.for_each(|s| {
        let id = &s.id;
        match s.in_period(q.since, q.until) {
            None => {
                out.undated_left_out += 1;
                return;
            }
            Some(false) => return,
            Some(true) => {}
        }
        if s.tags.is_empty() {
            return;
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
    })?;
    let strings = state.strings();
    let least = q.min_tag_posts.max(1) as u64;
    // Tags by name (a string's number depends on the order the state met it).
    let mut by_name: Vec<u32> = tag_posts
        .iter()
        .filter(|(_, (n, _, _))| *n >= least)
        .map(|(t, _)| *t)
        .collect();
    by_name.sort_by_key(|t| strings.get(*t));
    let kept: BTreeMap<u32, usize> = by_name.iter().enumerate().map(|(i, t)| (*t, i)).collect();
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
    let nodes: Vec<Node> = by_name
        .iter()
        .map(|t| {
            let (n, chans, first) = &tag_posts[t];
            let tag = strings.get(*t);
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
    let mut found: Vec<(usize, usize, Acc)> = Vec::new();
    for ((a, b), acc) in pairs {
        let (Some(ia), Some(ib)) = (kept.get(&a), kept.get(&b)) else {
            continue;
        };
        found.push((*ia.min(ib), *ia.max(ib), acc));
    }
    found.sort_by_key(|(a, b, _)| (*a, *b));
    for (ia, ib, mut acc) in found {
        if acc.weight < least as f64 {
            continue;
        }
        acc.trim(q.examples);
        edges.push(Edge {
            source: nodes[ia].id.clone(),
            target: nodes[ib].id.clone(),
            kind: EdgeKind::Hashtag.as_str(),
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
    Ok(out)
}

impl NetworkState {
    /// Hashtags used in the period (by `channel` alone when given): posts, channels, first use,
    /// posts per period (`period_of` names the period of a date), and co-used tags; the most
    /// used first.
    pub fn hashtags(
        &self,
        since: Option<i64>,
        until: Option<i64>,
        channel: Option<i64>,
        period_of: &dyn Fn(i64) -> String,
    ) -> Result<(Vec<Hashtag>, u64), StateError> {
        let mut undated = 0;
        let mut by_tag: BTreeMap<u32, Hashtag> = BTreeMap::new();
        let mut periods: BTreeMap<u32, BTreeMap<String, u64>> = BTreeMap::new();
        let mut channels: BTreeMap<u32, BTreeMap<i64, u64>> = BTreeMap::new();
        let mut with: BTreeMap<u32, BTreeMap<u32, u64>> = BTreeMap::new();
        let strings = self.strings();
        self.for_each(|s| {
            let id = &s.id;
            if channel.is_some_and(|c| c != s.channel) || s.tags.is_empty() {
                return;
            }
            match s.in_period(since, until) {
                None => {
                    undated += 1;
                    return;
                }
                Some(false) => return,
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
                    tag: strings.get(*t).to_string(),
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
        })?;
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
                    .map(|(u, n)| (strings.get(u).to_string(), n))
                    .collect();
                w.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                h.with = w;
                h
            })
            .collect();
        out.sort_by(|a, b| b.posts.cmp(&a.posts).then_with(|| a.tag.cmp(&b.tag)));
        Ok((out, undated))
    }
}
