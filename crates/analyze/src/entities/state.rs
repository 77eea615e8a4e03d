//! The entity analysis: per post the entities it names (kept on disk in post order, like the
//! network analysis), caught up to the archive's mark, rebuilt when the lists change; and the
//! questions asked of it: entities over time, one entity's mentions, channels and companions,
//! and the co-occurrence network.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use super::{EntityKind, Recognizer, Via};
use crate::network::graph::{AttrDef, AttrType, Edge, Graph, Node, Value};
use crate::network::measures;
use crate::post_file::{Kind, PostFile, PostRecord, PostWriter, Strings};
use crate::state_file::{FileIn, Out, StateError};

const KIND: Kind = Kind {
    magic: b"TGSENTS\0",
    version: 1,
    what: "an entity analysis",
};

/// One post as the entity analysis reads it from the archive (its current version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityPost {
    /// The archive's post id.
    pub post_id: i64,
    /// The archive's channel id.
    pub channel_id: i64,
    /// When it was posted (Unix seconds), observed or inferred.
    pub date: Option<i64>,
    /// Its clean text.
    pub text: String,
}

/// What is kept of a post: its channel, date, and mentions (entity key number, span, via).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EntityRecord {
    id: i64,
    channel: i64,
    date: Option<i64>,
    mentions: Vec<(u32, u32, u32, u8)>,
}

const VIAS: [Via; 12] = [
    Via::Name,
    Via::Official,
    Via::Abbr,
    Via::Adjective,
    Via::AdjectivePrefix,
    Via::Demonym,
    Via::Fullname,
    Via::Surname,
    Via::Initials,
    Via::Flag,
    Via::Hashtag,
    Via::Role,
];

impl PostRecord for EntityRecord {
    fn post_id(&self) -> i64 {
        self.id
    }

    fn write_body(&self, o: &mut Out<BufWriter<File>>) -> std::io::Result<()> {
        o.ivarint(self.channel)?;
        match self.date {
            Some(d) => {
                o.u8(1)?;
                o.ivarint(d)?;
            }
            None => o.u8(0)?,
        }
        o.uvarint(self.mentions.len() as u64)?;
        for (key, start, end, via) in &self.mentions {
            o.uvarint(u64::from(*key))?;
            o.uvarint(u64::from(*start))?;
            o.uvarint(u64::from(end - start))?;
            o.u8(*via)?;
        }
        Ok(())
    }

    fn read_body(&mut self, id: i64, i: &mut FileIn<'_>, strings: usize) -> Result<(), String> {
        self.id = id;
        self.channel = i.ivarint()?;
        self.date = match i.u8()? {
            0 => None,
            _ => Some(i.ivarint()?),
        };
        self.mentions.clear();
        let n = i.uvarint()?;
        for _ in 0..n {
            let at = i.pos();
            let key = i.uvarint()?;
            if key >= strings as u64 {
                return Err(format!("an entity number out of range at byte {at}"));
            }
            let start = i.uvarint()? as u32;
            let len = i.uvarint()? as u32;
            let via = i.u8()?;
            if usize::from(via) >= VIAS.len() {
                return Err(format!("an unknown kind of mention at byte {at}"));
            }
            self.mentions
                .push((key as u32, start, start.saturating_add(len), via));
        }
        Ok(())
    }
}

/// An entity's key in the analysis and in search filters: `country:KZ`, `org:sco`,
/// `person:lavrov`, `person:~такэси ивая`.
pub fn entity_key(kind: EntityKind, id: &str) -> String {
    format!("{}:{id}", kind.as_str())
}

/// The kind and id of a key.
pub fn split_key(key: &str) -> Option<(EntityKind, &str)> {
    let (kind, id) = key.split_once(':')?;
    Some((EntityKind::parse(kind)?, id))
}

/// The entity analysis of an archive.
#[derive(Debug, Clone, Default)]
pub struct EntityState {
    file: PostFile,
}

/// An update of an [`EntityState`] being written (posts in post order).
pub struct EntityWriter<'a> {
    inner: PostWriter<'a, EntityRecord>,
    recognizer: &'a Recognizer,
    record: EntityRecord,
}

/// Which posts count: a kind of entity, a channel, a period, posts naming one entity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityQuery {
    /// Entities of this kind only.
    pub kind: Option<EntityKind>,
    /// Posts of this channel only.
    pub channel: Option<i64>,
    /// Posts from this time (Unix seconds, inclusive)...
    pub since: Option<i64>,
    /// ...until this time (exclusive).
    pub until: Option<i64>,
    /// People not on the lists (found after role phrases) counted too.
    pub unlisted: bool,
}

/// One entity's counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityCount {
    /// Its key (`country:KZ`).
    pub key: String,
    /// Posts naming it.
    pub posts: u64,
    /// Mentions (a post may name it several times).
    pub mentions: u64,
    /// Channels naming it, the most first: (channel id, posts).
    pub channels: Vec<(i64, u64)>,
    /// Its first mention: (date, post), the earliest dated post (the lowest id among undated
    /// ones when none is dated).
    pub first: (Option<i64>, i64),
    /// Posts per period, in period order.
    pub periods: Vec<(String, u64)>,
    /// Other entities named in the same posts, the most first: (key, posts).
    pub with: Vec<(String, u64)>,
}

/// Entities counted over the posts asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityTable {
    /// The entities, the most named first.
    pub entities: Vec<EntityCount>,
    /// Posts read (in the channel and period).
    pub posts: u64,
    /// Of them naming at least one entity of the kind asked for.
    pub posts_with_entities: u64,
    /// Posts naming entities left out because they have no date while a period was asked for.
    pub undated_left_out: u64,
}

impl EntityState {
    /// An empty analysis.
    pub fn new() -> EntityState {
        EntityState::default()
    }

    /// The archive's mark it is caught up to.
    pub fn mark(&self) -> i64 {
        self.file.mark()
    }

    /// The fingerprint of the lists it was recognised with ([`Recognizer::fingerprint`]).
    pub fn lists(&self) -> u64 {
        self.file.param()
    }

    /// Posts it holds.
    pub fn post_count(&self) -> usize {
        self.file.posts() as usize
    }

    /// Starts an update written to `path` with `recognizer` (which must be the one the state
    /// was made with: else start from [`EntityState::new`]). Posts come in post order.
    pub fn writer<'a>(
        &'a self,
        path: &Path,
        recognizer: &'a Recognizer,
    ) -> Result<EntityWriter<'a>, StateError> {
        Ok(EntityWriter {
            inner: self.file.writer(KIND, path)?,
            recognizer,
            record: EntityRecord::default(),
        })
    }

    /// Takes in posts (in any order) with `recognizer`, into an unnamed temporary file (for
    /// tests; the engine writes with [`Self::writer`]).
    pub fn update(
        &mut self,
        mark: i64,
        recognizer: &Recognizer,
        posts: impl IntoIterator<Item = EntityPost>,
    ) -> Result<(), StateError> {
        let mut posts: Vec<EntityPost> = posts.into_iter().collect();
        posts.reverse();
        posts.sort_by_key(|p| p.post_id);
        posts.dedup_by_key(|p| p.post_id);
        let mut w = EntityWriter {
            inner: self.file.unnamed_writer(KIND)?,
            recognizer,
            record: EntityRecord::default(),
        };
        w.push_all(&posts)?;
        *self = w.finish(mark)?;
        Ok(())
    }

    /// Opens a state written by [`EntityWriter::finish`]. `Ok(None)` when there is no file.
    pub fn load(path: &Path) -> Result<Option<EntityState>, StateError> {
        Ok(PostFile::load(KIND, path)?.map(|file| EntityState { file }))
    }

    /// The state's content in a canonical order, for comparing an update with a rebuild.
    pub fn fingerprint(&self) -> Result<String, StateError> {
        let strings = self.file.strings();
        let mut out = format!("mark {} lists {:x}\n", self.mark(), self.lists());
        self.file.for_each(|r: &EntityRecord| {
            let m: Vec<String> = r
                .mentions
                .iter()
                .map(|(k, s, e, v)| format!("{}@{s}-{e}/{v}", strings.get(*k)))
                .collect();
            out.push_str(&format!(
                "{} {} {:?} {}\n",
                r.id,
                r.channel,
                r.date,
                m.join(" ")
            ));
        })?;
        Ok(out)
    }

    /// Reads the posts the query asks for, with each post's distinct entity keys (numbers) of
    /// the kind asked for and their mention counts.
    fn each_post(
        &self,
        q: &EntityQuery,
        mut f: impl FnMut(&EntityRecord, &[(u32, u64)], Option<bool>),
    ) -> Result<(), StateError> {
        let strings = self.file.strings();
        let wanted: Vec<bool> = (0..strings.len() as u32)
            .map(|k| {
                let key = strings.get(k);
                let Some((kind, id)) = split_key(key) else {
                    return false;
                };
                q.kind.is_none_or(|want| want == kind) && (q.unlisted || !id.starts_with('~'))
            })
            .collect();
        let mut keys: Vec<(u32, u64)> = Vec::new();
        self.file.for_each(|r: &EntityRecord| {
            if q.channel.is_some_and(|c| c != r.channel) {
                return;
            }
            let in_period = if q.since.is_none() && q.until.is_none() {
                Some(true)
            } else {
                r.date
                    .map(|d| q.since.is_none_or(|a| d >= a) && q.until.is_none_or(|b| d < b))
            };
            if in_period == Some(false) {
                return;
            }
            keys.clear();
            for (k, _, _, _) in &r.mentions {
                if !wanted[*k as usize] {
                    continue;
                }
                match keys.iter_mut().find(|(x, _)| x == k) {
                    Some(e) => e.1 += 1,
                    None => keys.push((*k, 1)),
                }
            }
            keys.sort_unstable();
            f(r, &keys, in_period);
        })
    }

    /// The entities named in the posts asked for, the most named first, with their posts per
    /// period (`period_of` names the period of a date), channels and companions.
    pub fn table(
        &self,
        q: &EntityQuery,
        period_of: &dyn Fn(i64) -> String,
    ) -> Result<EntityTable, StateError> {
        let strings = self.file.strings();
        let mut table = EntityTable {
            entities: Vec::new(),
            posts: 0,
            posts_with_entities: 0,
            undated_left_out: 0,
        };
        let mut acc: BTreeMap<u32, Acc> = BTreeMap::new();
        self.each_post(q, |r, keys, in_period| {
            if in_period.is_none() {
                if !keys.is_empty() {
                    table.undated_left_out += 1;
                }
                return;
            }
            table.posts += 1;
            if keys.is_empty() {
                return;
            }
            table.posts_with_entities += 1;
            for (k, n) in keys {
                let a = acc.entry(*k).or_default();
                a.add(r, *n, period_of);
                for (other, _) in keys {
                    if other != k {
                        *a.with.entry(*other).or_default() += 1;
                    }
                }
            }
        })?;
        table.entities = acc
            .into_iter()
            .map(|(k, a)| a.finish(strings.get(k), strings))
            .collect();
        table
            .entities
            .sort_by(|a, b| b.posts.cmp(&a.posts).then_with(|| a.key.cmp(&b.key)));
        Ok(table)
    }

    /// The co-occurrence network: entities named in at least `min_posts` posts, linked when
    /// named together in at least `min_posts` posts (weight: posts naming both). `name` gives
    /// an entity's display name from its key. Also: the posts naming two or more entities (what
    /// the edges are made of), and the posts naming entities left out for want of a date.
    pub fn cooccurrence(
        &self,
        q: &EntityQuery,
        min_posts: u64,
        examples: usize,
        name: &dyn Fn(&str) -> String,
    ) -> Result<(Graph, u64, u64), StateError> {
        let strings = self.file.strings();
        let least = min_posts.max(1);
        let mut posts_of: BTreeMap<u32, (u64, BTreeSet<i64>)> = BTreeMap::new();
        let mut pairs: BTreeMap<(u32, u32), PairAcc> = BTreeMap::new();
        let mut undated = 0;
        let mut together = 0;
        self.each_post(q, |r, keys, in_period| {
            if in_period.is_none() {
                if !keys.is_empty() {
                    undated += 1;
                }
                return;
            }
            if keys.len() >= 2 {
                together += 1;
            }
            for (i, (a, _)) in keys.iter().enumerate() {
                let e = posts_of.entry(*a).or_default();
                e.0 += 1;
                e.1.insert(r.channel);
                for (b, _) in &keys[i + 1..] {
                    pairs.entry((*a, *b)).or_default().add(r, examples);
                }
            }
        })?;
        let mut kept: Vec<u32> = posts_of
            .iter()
            .filter(|(_, (n, _))| *n >= least)
            .map(|(k, _)| *k)
            .collect();
        kept.sort_by_key(|k| strings.get(*k));
        let index: BTreeMap<u32, usize> = kept.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let mut nodes: Vec<Node> = kept
            .iter()
            .map(|k| {
                let key = strings.get(*k);
                let (n, channels) = &posts_of[k];
                Node {
                    id: key.to_string(),
                    label: name(key),
                    values: vec![
                        split_key(key).map(|(kind, _)| Value::Text(kind.as_str().into())),
                        Some(Value::Integer(*n as i64)),
                        Some(Value::Integer(channels.len() as i64)),
                    ],
                }
            })
            .collect();
        let mut edges = Vec::new();
        let mut weighted = Vec::new();
        for ((a, b), acc) in pairs {
            let (Some(ia), Some(ib)) = (index.get(&a), index.get(&b)) else {
                continue;
            };
            if acc.posts < least {
                continue;
            }
            let (ia, ib) = (*ia.min(ib), *ia.max(ib));
            weighted.push((ia, ib, acc.posts as f64));
            weighted.push((ib, ia, acc.posts as f64));
            edges.push((
                (ia, ib),
                Edge {
                    source: nodes[ia].id.clone(),
                    target: nodes[ib].id.clone(),
                    kind: "entity",
                    directed: false,
                    weight: acc.posts as f64,
                    first: acc.first,
                    last: acc.last,
                    posts: acc.examples.iter().map(|(_, p)| *p).collect(),
                    values: Vec::new(),
                },
            ));
        }
        edges.sort_by_key(|(k, _)| *k);
        let n = nodes.len();
        let degrees = measures::degrees(n, &weighted);
        let rank = measures::pagerank(n, &weighted, 0.85);
        let community = measures::louvain(n, &weighted, 1.0);
        for (i, node) in nodes.iter_mut().enumerate() {
            node.values.extend([
                Some(Value::Integer(i64::from(degrees[i].in_degree))),
                Some(Value::Float(degrees[i].in_weight)),
                Some(Value::Float(rank[i])),
                Some(Value::Integer(i64::from(community[i]))),
            ]);
        }
        let attr = |id, title, kind| AttrDef { id, title, kind };
        let graph = Graph {
            description: format!(
                "tgscope entity co-occurrence network: entities named in at least {least} \
                 posts, linked when named together in at least {least} posts (weight: posts \
                 naming both)"
            ),
            node_attrs: vec![
                attr("kind", "Kind", AttrType::Text),
                attr("posts", "Posts", AttrType::Integer),
                attr("channels", "Channels", AttrType::Integer),
                attr("degree", "Degree", AttrType::Integer),
                attr("weighted_degree", "Posts with others", AttrType::Float),
                attr("pagerank", "PageRank", AttrType::Float),
                attr("community", "Community (Louvain)", AttrType::Integer),
            ],
            edge_attrs: Vec::new(),
            nodes,
            edges: edges.into_iter().map(|(_, e)| e).collect(),
        };
        Ok((graph, together, undated))
    }
}

#[derive(Debug, Default)]
struct Acc {
    posts: u64,
    mentions: u64,
    channels: BTreeMap<i64, u64>,
    first: Option<(i64, i64)>,
    periods: BTreeMap<String, u64>,
    with: BTreeMap<u32, u64>,
}

impl Acc {
    fn add(&mut self, r: &EntityRecord, mentions: u64, period_of: &dyn Fn(i64) -> String) {
        self.posts += 1;
        self.mentions += mentions;
        *self.channels.entry(r.channel).or_default() += 1;
        let when = (r.date.unwrap_or(i64::MAX), r.id);
        if self.first.is_none_or(|f| when < f) {
            self.first = Some(when);
        }
        if let Some(d) = r.date {
            *self.periods.entry(period_of(d)).or_default() += 1;
        }
    }

    fn finish(self, key: &str, strings: &Strings) -> EntityCount {
        let mut channels: Vec<(i64, u64)> = self.channels.into_iter().collect();
        channels.sort_by_key(|(c, n)| (std::cmp::Reverse(*n), *c));
        let mut with: Vec<(String, u64)> = self
            .with
            .into_iter()
            .map(|(k, n)| (strings.get(k).to_string(), n))
            .collect();
        with.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let (date, post) = self.first.unwrap_or((i64::MAX, 0));
        EntityCount {
            key: key.to_string(),
            posts: self.posts,
            mentions: self.mentions,
            channels,
            first: ((date != i64::MAX).then_some(date), post),
            periods: self.periods.into_iter().collect(),
            with,
        }
    }
}

#[derive(Debug, Default)]
struct PairAcc {
    posts: u64,
    first: Option<i64>,
    last: Option<i64>,
    examples: Vec<(i64, i64)>,
}

impl PairAcc {
    fn add(&mut self, r: &EntityRecord, keep: usize) {
        self.posts += 1;
        if let Some(d) = r.date {
            self.first = Some(self.first.map_or(d, |f| f.min(d)));
            self.last = Some(self.last.map_or(d, |l| l.max(d)));
        }
        let e = (r.date.unwrap_or(i64::MAX), r.id);
        if let Err(at) = self.examples.binary_search(&e)
            && at < keep.max(1)
        {
            if self.examples.len() == keep.max(1) {
                self.examples.pop();
            }
            self.examples.insert(at, e);
        }
    }
}

impl EntityWriter<'_> {
    /// Hands over a post's current version (posts in ascending id order).
    pub fn push(&mut self, p: &EntityPost) -> Result<(), StateError> {
        let mentions = self.recognizer.recognize(&p.text);
        self.push_recognized(p, mentions)
    }

    /// Hands over posts (in ascending id order), their texts recognised on every core.
    pub fn push_all(&mut self, posts: &[EntityPost]) -> Result<(), StateError> {
        let recognizer = self.recognizer;
        let found = crate::parallel::parallel_map(posts, |p| Some(recognizer.recognize(&p.text)));
        for (p, mentions) in posts.iter().zip(found) {
            self.push_recognized(p, mentions)?;
        }
        Ok(())
    }

    /// Hands over a post with the mentions this writer's recognizer found in its text (posts in
    /// ascending id order; the post's text is not read again): for a caller that recognised
    /// them for something else too, as the engine does for the search index.
    pub fn push_recognized(
        &mut self,
        p: &EntityPost,
        mentions: Vec<super::Mention>,
    ) -> Result<(), StateError> {
        let mut r = std::mem::take(&mut self.record);
        r.id = p.post_id;
        r.channel = p.channel_id;
        r.date = p.date;
        r.mentions.clear();
        for m in mentions {
            let key = self.inner.strings().id(&entity_key(m.kind, &m.id));
            let via = VIAS.iter().position(|v| *v == m.via).unwrap_or(0) as u8;
            r.mentions.push((
                key,
                u32::try_from(m.start).unwrap_or(u32::MAX),
                u32::try_from(m.end).unwrap_or(u32::MAX),
                via,
            ));
        }
        let pushed = self.inner.push(&r);
        self.record = r;
        pushed
    }

    /// Copies the rest of the old posts, writes `mark` and the lists' fingerprint, and renames
    /// the file into place: the new state.
    pub fn finish(self, mark: i64) -> Result<EntityState, StateError> {
        let lists = self.recognizer.fingerprint();
        Ok(EntityState {
            file: self.inner.finish(mark, lists)?,
        })
    }
}
