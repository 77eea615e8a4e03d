//! Copies: which posts of the archive carry the same or nearly the same text, in any channel
//! and from any capture format, grouped into clusters (the method is described for users in
//! `docs/copies.md`).
//!
//! Three tiers find the pairs:
//! 1. **exact**: posts whose compared words are the same (after the channel's boilerplate,
//!    URLs and mentions are left out, and every word folded) share a text node;
//! 2. **near**: MinHash signatures of the nodes' shingles, banded (LSH); every candidate pair is
//!    verified exactly ([`features::compare`]): Jaccard at least [`Params::jaccard`] is a full
//!    copy;
//! 3. **partial**: a shared long paragraph, or the smaller text's shingles contained in the
//!    larger's, is a partial copy.
//!
//! [`CopyState`] holds the result as derived data, caught up to the archive's mark
//! ([`CopyState::update`]) and rebuilt identically from scratch ([`CopyState::rebuild`]); the
//! engine stores it beside the search index. Clusters are the connected components of full
//! copies, with posts that only reuse a part attached to the cluster they reuse from.

pub mod features;
pub mod relation;
mod store;

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

pub use features::{Features, Match, Permutations, ShingleKind, Shingles};
pub use relation::{
    Attribution, ClusterView, Member, MemberFacts, PostTime, Relation, describe_cluster,
    first_seen, word_changes,
};
pub use store::StateError;

/// The parameters of the copy analysis (`docs/copies.md` explains each; the command line can
/// change them).
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Posts with fewer compared words are left out ("👍", "Video", a bare link).
    pub min_words: usize,
    /// Posts with fewer words are compared by their exact key only.
    pub near_min_words: usize,
    /// Posts with at least this many words get a signature of word shingles.
    pub word_shingle_min_words: usize,
    /// Posts with fewer words get a signature of character shingles.
    pub char_shingle_max_words: usize,
    /// Words per word shingle.
    pub word_shingle: usize,
    /// Characters per character shingle.
    pub char_shingle: usize,
    /// LSH bands.
    pub bands: usize,
    /// Rows (signature values) per band: a signature has `bands × rows` values.
    pub rows: usize,
    /// Least Jaccard similarity of a full copy.
    pub jaccard: f64,
    /// Least containment of a partial copy.
    pub containment: f64,
    /// Least length (characters of folded words) of a paragraph compared for partial reuse.
    pub paragraph_min_chars: usize,
    /// A bucket (band key or paragraph) shared by more distinct texts than this gives no
    /// candidate pairs (their pairs are left to the other bands and tiers).
    pub max_bucket: usize,
    /// A line is a channel's boilerplate when at least this many of its posts have it...
    pub boilerplate_min_posts: usize,
    /// ...and at least this share of them.
    pub boilerplate_min_share: f64,
    /// Lines with more words than this are never boilerplate.
    pub boilerplate_max_words: usize,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            min_words: 5,
            near_min_words: 8,
            word_shingle_min_words: 22,
            char_shingle_max_words: 40,
            word_shingle: 3,
            char_shingle: 5,
            bands: 32,
            rows: 4,
            jaccard: 0.7,
            containment: 0.9,
            paragraph_min_chars: 60,
            max_bucket: 500,
            boilerplate_min_posts: 3,
            boilerplate_min_share: 0.05,
            boilerplate_max_words: 20,
        }
    }
}

impl Params {
    /// Signature length: `bands × rows`.
    pub fn permutations(&self) -> usize {
        self.bands.max(1) * self.rows.max(1)
    }

    /// The probability that a pair with Jaccard `j` shares at least one band:
    /// `1 − (1 − j^r)^b`.
    pub fn candidate_probability(&self, j: f64) -> f64 {
        1.0 - (1.0 - j.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// Checks the values (a fault of the caller otherwise).
    pub fn validate(&self) -> Result<(), String> {
        if !(self.jaccard > 0.0 && self.jaccard <= 1.0) {
            return Err(format!("jaccard must lie in (0, 1], not {}", self.jaccard));
        }
        if !(self.containment > 0.0 && self.containment <= 1.0) {
            return Err(format!(
                "containment must lie in (0, 1], not {}",
                self.containment
            ));
        }
        if self.bands == 0 || self.rows == 0 || self.permutations() > 1024 {
            return Err(format!(
                "bands × rows must be between 1 and 1024, not {} × {}",
                self.bands, self.rows
            ));
        }
        if self.min_words == 0 || self.near_min_words < self.min_words {
            return Err(
                "min-words must be at least 1, and near-min-words at least min-words".into(),
            );
        }
        if self.word_shingle == 0 || self.char_shingle == 0 || self.max_bucket < 2 {
            return Err("shingle sizes must be at least 1 and max-bucket at least 2".into());
        }
        Ok(())
    }
}

/// One post as the analysis reads it from the archive: its current text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyPost {
    /// The archive's post id.
    pub post_id: i64,
    /// The archive's channel id.
    pub channel_id: i64,
    /// Clean text of the current version.
    pub text: String,
}

/// A channel's boilerplate: how many of its posts have each header or footer line, and the
/// lines that count as boilerplate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Boilerplate {
    posts: u64,
    counts: HashMap<u32, u32>,
    lines: HashSet<u32>,
}

impl Boilerplate {
    fn add(&mut self, lines: &[u32]) {
        self.posts += 1;
        for l in lines {
            *self.counts.entry(*l).or_default() += 1;
        }
    }

    fn remove(&mut self, lines: &[u32]) {
        self.posts = self.posts.saturating_sub(1);
        for l in lines {
            if let Some(c) = self.counts.get_mut(l) {
                *c = c.saturating_sub(1);
                if *c == 0 {
                    self.counts.remove(l);
                }
            }
        }
    }

    /// Recomputes the boilerplate lines from the counts; returns the lines that changed.
    fn relearn(&mut self, params: &Params) -> HashSet<u32> {
        let least = (params.boilerplate_min_posts as f64)
            .max((self.posts as f64 * params.boilerplate_min_share).ceil());
        let lines: HashSet<u32> = self
            .counts
            .iter()
            .filter(|(_, c)| f64::from(**c) >= least)
            .map(|(l, _)| *l)
            .collect();
        let changed = lines.symmetric_difference(&self.lines).copied().collect();
        self.lines = lines;
        changed
    }

    /// How many lines are boilerplate.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether no line is.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// What is kept of a post.
#[derive(Debug, Clone, PartialEq)]
struct PostEntry {
    channel: i64,
    /// The text node (by exact key), `None` for posts too short to compare.
    exact: Option<u64>,
    /// Keys of its header and footer lines (for the channel's boilerplate counts).
    edge_lines: Box<[u32]>,
}

/// One distinct compared text and the posts that have it.
#[derive(Debug, Clone, PartialEq)]
struct Node {
    /// Its posts, ascending.
    posts: Vec<i64>,
    /// LSH band keys of word shingles, when it has a word signature.
    word_bands: Option<Box<[u32]>>,
    /// LSH band keys of character shingles, when it has a character signature.
    char_bands: Option<Box<[u32]>>,
    /// Paragraph hashes of its lowest post.
    paragraphs: Box<[u64]>,
}

impl Node {
    fn first_post(&self) -> i64 {
        self.posts.first().copied().unwrap_or(i64::MAX)
    }

    /// Its band buckets, as [`band_bucket`] keys.
    fn band_buckets(&self) -> impl Iterator<Item = u64> + '_ {
        let words = self.word_bands.iter().flat_map(|b| {
            b.iter()
                .enumerate()
                .map(|(i, k)| band_bucket(ShingleKind::Words, i, *k))
        });
        let chars = self.char_bands.iter().flat_map(|b| {
            b.iter()
                .enumerate()
                .map(|(i, k)| band_bucket(ShingleKind::Chars, i, *k))
        });
        words.chain(chars)
    }
}

/// One u64 for a band bucket: the shingle kind, the band's number and its key.
fn band_bucket(kind: ShingleKind, band: usize, key: u32) -> u64 {
    let tag = match kind {
        ShingleKind::Words => 0u64,
        ShingleKind::Chars => 1u64,
    };
    tag << 63 | (band as u64 & 0x7FFF_FFFF) << 32 | u64::from(key)
}

/// A verified pair of text nodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    /// Whether the texts are full copies (else one reuses a part of the other).
    pub full: bool,
    /// Jaccard similarity of their shingles.
    pub jaccard: f32,
    /// Containment of the smaller in the larger.
    pub containment: f32,
}

/// A copy cluster: posts with the same or nearly the same text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// The cluster's id: the lowest archive id among its posts (so the same archive always
    /// gives the same id; clusters that merge keep the lower one).
    pub id: i64,
    /// Its posts, by archive id.
    pub posts: Vec<i64>,
    /// Those of its posts that reuse only a part of the cluster's text.
    pub partial: Vec<i64>,
}

/// What an update did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateReport {
    /// Posts (re)compared.
    pub compared: u64,
    /// Whether the update could not follow a bucket across the hot-bucket limit exactly: the
    /// state must then be rebuilt ([`CopyState::rebuild`]) before it is used.
    pub needs_rebuild: bool,
}

/// The copy analysis of an archive: text nodes, verified pairs, clusters, and the archive's
/// mark it is caught up to.
#[derive(Debug, Clone)]
pub struct CopyState {
    params: Params,
    mark: i64,
    posts: HashMap<i64, PostEntry>,
    nodes: HashMap<u64, Node>,
    edges: HashMap<(u64, u64), Edge>,
    /// Each node's partners in `edges` (derived from them).
    adjacency: HashMap<u64, Vec<u64>>,
    channels: HashMap<i64, Boilerplate>,
    clusters: Clusters,
}

/// The clusters, computed from the nodes and pairs.
#[derive(Debug, Clone, Default)]
struct Clusters {
    of_post: HashMap<i64, i64>,
    by_id: BTreeMap<i64, Cluster>,
}

fn pair(a: u64, b: u64) -> (u64, u64) {
    if a < b { (a, b) } else { (b, a) }
}

/// Gives the current text of archived posts by id (those the archive still has).
pub type Fetch<'a, E> = dyn FnMut(&[i64]) -> Result<Vec<CopyPost>, E> + 'a;

type Computed = (Features, Vec<(ShingleKind, Vec<u32>)>);

/// `f` of every item, on every core (in order).
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> Option<R> + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(items.len().max(1));
    let chunk = items.len().div_ceil(threads).max(1);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().filter_map(f).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Computes features on every core (posts in order).
fn features_of_all(
    posts: &[CopyPost],
    boilerplate: &HashMap<i64, Boilerplate>,
    params: &Params,
    perms: &Permutations,
) -> Vec<Computed> {
    let empty = HashSet::default();
    parallel_map(posts, |p| {
        let lines = boilerplate
            .get(&p.channel_id)
            .map(|b| &b.lines)
            .unwrap_or(&empty);
        Some(features::features(&p.text, lines, params, perms))
    })
}

/// Pairs of every run of equal keys in sorted `(key, node)` entries, for runs of 2 to `max`
/// members (a larger run is a hot bucket and gives none).
fn pairs_of_runs<K: Ord + Copy>(entries: &mut [(K, u64)], max: usize, out: &mut Vec<(u64, u64)>) {
    entries.sort_unstable();
    let mut i = 0;
    while i < entries.len() {
        let mut j = i + 1;
        while j < entries.len() && entries[j].0 == entries[i].0 {
            j += 1;
        }
        let run = &entries[i..j];
        if run.len() >= 2 && run.len() <= max {
            for (x, a) in run.iter().enumerate() {
                for b in &run[x + 1..] {
                    out.push(pair(a.1, b.1));
                }
            }
        }
        i = j;
    }
}

/// Verifies candidate pairs on every core: the pairs that are copies, with their edge.
fn verify<'f>(
    pairs: &[(u64, u64)],
    features_of: &(dyn Fn(u64) -> Option<&'f Features> + Sync),
    params: &Params,
) -> Vec<((u64, u64), Edge)> {
    parallel_map(pairs, |(a, b)| {
        let m = features::compare(features_of(*a)?, features_of(*b)?, params)?;
        Some(((*a, *b), edge_of(m)))
    })
}

/// A rebuild from scratch, fed one channel at a time (for callers that walk the archive and
/// hand each channel's posts over as they go): [`CopyState::rebuild`] in steps.
pub struct Rebuild {
    state: CopyState,
    perms: Permutations,
    /// Features of each node's lowest post, for the verification at the end.
    node_features: HashMap<u64, (i64, Features)>,
}

impl Rebuild {
    /// A rebuild at the archive's `mark`.
    pub fn new(params: Params, mark: i64) -> Rebuild {
        let mut state = CopyState::new(params);
        state.mark = mark;
        let perms = Permutations::new(state.params.permutations());
        Rebuild {
            state,
            perms,
            node_features: HashMap::default(),
        }
    }

    /// Adds every post of one channel (all of them at once: the channel's boilerplate is
    /// learned from them).
    pub fn add_channel(&mut self, batch: Vec<CopyPost>) {
        let state = &mut self.state;
        let mut lines_of = Vec::with_capacity(batch.len());
        let mut in_batch: BTreeSet<i64> = BTreeSet::new();
        for p in &batch {
            let lines = features::edge_lines(&p.text, state.params.boilerplate_max_words);
            state.channels.entry(p.channel_id).or_default().add(&lines);
            in_batch.insert(p.channel_id);
            lines_of.push(lines);
        }
        for channel in in_batch {
            if let Some(b) = state.channels.get_mut(&channel) {
                b.relearn(&state.params);
            }
        }
        let computed = features_of_all(&batch, &state.channels, &state.params, &self.perms);
        for ((p, lines), (f, bands)) in batch.iter().zip(lines_of).zip(computed) {
            state.add_post(p, lines, f, bands, Some(&mut self.node_features));
        }
    }

    /// Finds and verifies the pairs, and makes the clusters.
    pub fn finish(self) -> CopyState {
        let Rebuild {
            mut state,
            node_features,
            ..
        } = self;
        let pairs = state.all_candidates();
        let features_of = |exact: u64| node_features.get(&exact).map(|(_, f)| f);
        let found = verify(&pairs, &features_of, &state.params);
        let found: Vec<_> = found
            .into_iter()
            .filter(|((a, b), e)| e.full || state.across_channels(*a, *b))
            .collect();
        for (key, edge) in found {
            state.link(key, edge);
        }
        state.recluster();
        state
    }
}

impl CopyState {
    /// An empty analysis (of an empty archive).
    pub fn new(params: Params) -> CopyState {
        CopyState {
            params,
            mark: 0,
            posts: HashMap::default(),
            nodes: HashMap::default(),
            edges: HashMap::default(),
            adjacency: HashMap::default(),
            channels: HashMap::default(),
            clusters: Clusters::default(),
        }
    }

    /// The parameters it was made with.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The archive's mark it is caught up to.
    pub fn mark(&self) -> i64 {
        self.mark
    }

    /// How many posts it holds (compared or too short to compare).
    pub fn post_count(&self) -> usize {
        self.posts.len()
    }

    /// How many distinct compared texts.
    pub fn text_count(&self) -> usize {
        self.nodes.len()
    }

    /// How many verified pairs of distinct texts (full and partial).
    pub fn pair_count(&self) -> usize {
        self.edges.len()
    }

    /// A channel's learned boilerplate.
    pub fn boilerplate(&self, channel_id: i64) -> Option<&Boilerplate> {
        self.channels.get(&channel_id)
    }

    /// Builds the analysis from scratch: `channels` yields every post of the archive, one
    /// channel at a time (all of a channel's posts in one batch: its boilerplate is learned
    /// from them), and `mark` is the archive's mark they were read at.
    pub fn rebuild<E>(
        params: Params,
        mark: i64,
        channels: impl IntoIterator<Item = Result<Vec<CopyPost>, E>>,
    ) -> Result<CopyState, E> {
        let mut builder = Rebuild::new(params, mark);
        for batch in channels {
            builder.add_channel(batch?);
        }
        Ok(builder.finish())
    }

    /// Files a post's computed features: its entry, its node (created when new).
    fn add_post(
        &mut self,
        p: &CopyPost,
        edge_lines: Vec<u32>,
        f: Features,
        bands: Vec<(ShingleKind, Vec<u32>)>,
        node_features: Option<&mut HashMap<u64, (i64, Features)>>,
    ) {
        let exact = f.exact;
        self.posts.insert(
            p.post_id,
            PostEntry {
                channel: p.channel_id,
                exact,
                edge_lines: edge_lines.into_boxed_slice(),
            },
        );
        let Some(exact) = exact else { return };
        let node = self.nodes.entry(exact).or_insert_with(|| {
            let mut node = Node {
                posts: Vec::new(),
                word_bands: None,
                char_bands: None,
                paragraphs: f.paragraphs.clone().into_boxed_slice(),
            };
            for (kind, keys) in bands {
                match kind {
                    ShingleKind::Words => node.word_bands = Some(keys.into_boxed_slice()),
                    ShingleKind::Chars => node.char_bands = Some(keys.into_boxed_slice()),
                }
            }
            node
        });
        if let Err(at) = node.posts.binary_search(&p.post_id) {
            node.posts.insert(at, p.post_id);
        }
        if node.first_post() == p.post_id {
            node.paragraphs = f.paragraphs.clone().into_boxed_slice();
            if let Some(nf) = node_features {
                nf.insert(exact, (p.post_id, f));
            }
        }
    }

    /// Every candidate pair of the archive: nodes sharing a band bucket or a paragraph, in a
    /// bucket of at most [`Params::max_bucket`] nodes. One band at a time (bounded memory).
    fn all_candidates(&self) -> Vec<(u64, u64)> {
        let max = self.params.max_bucket;
        let mut pairs = Vec::new();
        let mut entries: Vec<(u32, u64)> = Vec::with_capacity(self.nodes.len());
        for kind in [ShingleKind::Words, ShingleKind::Chars] {
            for band in 0..self.params.bands {
                entries.clear();
                for (exact, node) in &self.nodes {
                    let keys = match kind {
                        ShingleKind::Words => node.word_bands.as_deref(),
                        ShingleKind::Chars => node.char_bands.as_deref(),
                    };
                    if let Some(k) = keys.and_then(|k| k.get(band)) {
                        entries.push((*k, *exact));
                    }
                }
                pairs_of_runs(&mut entries, max, &mut pairs);
            }
            pairs.sort_unstable();
            pairs.dedup();
        }
        let mut paragraphs: Vec<(u64, u64)> = self
            .nodes
            .iter()
            .flat_map(|(e, n)| n.paragraphs.iter().map(move |p| (*p, *e)))
            .collect();
        pairs_of_runs(&mut paragraphs, max, &mut pairs);
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }

    /// Every node in these buckets (all nodes are scanned once): band buckets and paragraph
    /// buckets, each with its members.
    fn members_of(
        &self,
        band_keys: &HashSet<u64>,
        para_keys: &HashSet<u64>,
    ) -> (HashMap<u64, Vec<u64>>, HashMap<u64, Vec<u64>>) {
        let mut bands: HashMap<u64, Vec<u64>> = HashMap::default();
        let mut paras: HashMap<u64, Vec<u64>> = HashMap::default();
        for (exact, node) in &self.nodes {
            for k in node.band_buckets() {
                if band_keys.contains(&k) {
                    bands.entry(k).or_default().push(*exact);
                }
            }
            for p in node.paragraphs.iter() {
                if para_keys.contains(p) {
                    paras.entry(*p).or_default().push(*exact);
                }
            }
        }
        (bands, paras)
    }

    /// Brings the analysis up to the archive: `changed` are the posts with a version newer
    /// than the analysis's mark (their current text), `mark` the archive's mark now, and
    /// `fetch` gives the current text of any archived posts asked for (the partners a changed
    /// post is compared with, and posts whose channel's boilerplate changed).
    ///
    /// The result equals [`CopyState::rebuild`] at the same mark, except when a bucket
    /// crosses [`Params::max_bucket`], which an update cannot follow exactly: the report then
    /// says the state needs a rebuild.
    pub fn update<E>(
        &mut self,
        mark: i64,
        changed: Vec<CopyPost>,
        fetch: &mut Fetch<'_, E>,
    ) -> Result<UpdateReport, E> {
        if changed.is_empty() {
            self.mark = self.mark.max(mark);
            return Ok(UpdateReport::default());
        }
        let perms = Permutations::new(self.params.permutations());
        // 1. The boilerplate counts follow the changed posts' header and footer lines.
        let mut touched: BTreeSet<i64> = BTreeSet::new();
        let mut recompute: BTreeMap<i64, CopyPost> = BTreeMap::new();
        for p in changed {
            let lines = features::edge_lines(&p.text, self.params.boilerplate_max_words);
            if let Some(old) = self.posts.get(&p.post_id) {
                let (old_channel, old_lines) = (old.channel, old.edge_lines.clone());
                if let Some(b) = self.channels.get_mut(&old_channel) {
                    b.remove(&old_lines);
                }
                touched.insert(old_channel);
            }
            self.channels.entry(p.channel_id).or_default().add(&lines);
            touched.insert(p.channel_id);
            recompute.insert(p.post_id, p);
        }
        // 2. Channels whose boilerplate changed: their posts with a changed line, again.
        let mut affected: Vec<i64> = Vec::new();
        for channel in &touched {
            let Some(b) = self.channels.get_mut(channel) else {
                continue;
            };
            let changed_lines = b.relearn(&self.params);
            if changed_lines.is_empty() {
                continue;
            }
            for (id, entry) in &self.posts {
                if entry.channel == *channel
                    && !recompute.contains_key(id)
                    && entry.edge_lines.iter().any(|l| changed_lines.contains(l))
                {
                    affected.push(*id);
                }
            }
        }
        affected.sort_unstable();
        for p in fetch(&affected)? {
            recompute.insert(p.post_id, p);
        }
        let compared = recompute.len() as u64;

        // 3. Recompute their features and move them between nodes.
        let posts: Vec<CopyPost> = recompute.into_values().collect();
        let computed = features_of_all(&posts, &self.channels, &self.params, &perms);
        // Nodes whose pairs must be found again, with their buckets before the change.
        let mut dirty: HashSet<u64> = HashSet::default();
        let mut before_bands: HashMap<u64, usize> = HashMap::default();
        let mut before_paras: HashMap<u64, usize> = HashMap::default();
        let mut seen_before: HashSet<u64> = HashSet::default();
        let mut fresh: HashMap<i64, Features> = HashMap::default();
        let mut note_before = |state: &CopyState, e: u64, seen: &mut HashSet<u64>| {
            if !seen.insert(e) {
                return;
            }
            if let Some(n) = state.nodes.get(&e) {
                for k in n.band_buckets() {
                    *before_bands.entry(k).or_default() += 1;
                }
                for p in n.paragraphs.iter() {
                    *before_paras.entry(*p).or_default() += 1;
                }
            }
        };
        for (p, (f, bands)) in posts.iter().zip(computed) {
            let old = self.posts.get(&p.post_id).and_then(|e| e.exact);
            if let Some(old) = old {
                note_before(self, old, &mut seen_before);
                if let Some(node) = self.nodes.get_mut(&old) {
                    node.posts.retain(|id| *id != p.post_id);
                    if node.posts.is_empty() {
                        self.nodes.remove(&old);
                    }
                }
                dirty.insert(old);
            }
            if let Some(e) = f.exact {
                note_before(self, e, &mut seen_before);
                dirty.insert(e);
            }
            fresh.insert(p.post_id, f.clone());
            let lines = features::edge_lines(&p.text, self.params.boilerplate_max_words);
            self.add_post(p, lines, f, bands, None);
        }
        // Nodes that are gone lose their pairs; the others take the paragraphs of their
        // lowest post.
        // The clusters to recompute are those of the dirty nodes' partners before (a cluster
        // that loses a pair may split) and after.
        let mut seeds: HashSet<u64> = dirty.clone();
        for d in &dirty {
            if let Some(partners) = self.adjacency.get(d) {
                seeds.extend(partners.iter().copied());
            }
        }
        let dirty_list: Vec<u64> = dirty.iter().copied().collect();
        for d in dirty_list {
            self.unlink(d);
        }
        dirty.retain(|e| self.nodes.contains_key(e));
        let need: Vec<i64> = dirty
            .iter()
            .filter_map(|e| self.nodes.get(e).map(Node::first_post))
            .filter(|id| !fresh.contains_key(id))
            .collect();
        let fetched = self.features_of_posts(&need, fetch, &perms)?;
        let mut dirty_features: HashMap<u64, Features> = HashMap::default();
        for e in &dirty {
            let Some(node) = self.nodes.get_mut(e) else {
                continue;
            };
            let first = node.first_post();
            if let Some(f) = fresh.get(&first).or_else(|| fetched.get(&first)) {
                node.paragraphs = f.paragraphs.clone().into_boxed_slice();
                dirty_features.insert(*e, f.clone());
            }
        }

        // 4. Would a bucket cross the hot-bucket limit? Then an update cannot equal a rebuild.
        let limit = self.params.max_bucket;
        let mut after_bands: HashMap<u64, usize> = HashMap::default();
        let mut after_paras: HashMap<u64, usize> = HashMap::default();
        for e in &dirty {
            if let Some(n) = self.nodes.get(e) {
                for k in n.band_buckets() {
                    *after_bands.entry(k).or_default() += 1;
                }
                for p in n.paragraphs.iter() {
                    *after_paras.entry(*p).or_default() += 1;
                }
            }
        }
        let band_keys: HashSet<u64> = before_bands
            .keys()
            .chain(after_bands.keys())
            .copied()
            .collect();
        let para_keys: HashSet<u64> = before_paras
            .keys()
            .chain(after_paras.keys())
            .copied()
            .collect();
        let (bands, paras) = self.members_of(&band_keys, &para_keys);
        let crossed = |members: &HashMap<u64, Vec<u64>>,
                       before: &HashMap<u64, usize>,
                       after: &HashMap<u64, usize>| {
            before.keys().chain(after.keys()).any(|k| {
                let now = members.get(k).map_or(0, Vec::len);
                let was =
                    now + before.get(k).copied().unwrap_or(0) - after.get(k).copied().unwrap_or(0);
                (was > limit) != (now > limit)
            })
        };
        if crossed(&bands, &before_bands, &after_bands)
            || crossed(&paras, &before_paras, &after_paras)
        {
            self.mark = mark;
            return Ok(UpdateReport {
                compared,
                needs_rebuild: true,
            });
        }

        // 5. The dirty nodes' pairs, found and verified again.
        let mut pairs: Vec<(u64, u64)> = Vec::new();
        for members in bands.values().chain(paras.values()) {
            if members.len() < 2 || members.len() > limit {
                continue;
            }
            for d in members.iter().filter(|m| dirty.contains(m)) {
                for o in members {
                    if o != d {
                        pairs.push(pair(*d, *o));
                    }
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let partners: Vec<i64> = pairs
            .iter()
            .flat_map(|(a, b)| [*a, *b])
            .filter(|e| !dirty_features.contains_key(e))
            .filter_map(|e| self.nodes.get(&e).map(Node::first_post))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let partner_features = self.features_of_posts(&partners, fetch, &perms)?;
        let nodes = &self.nodes;
        let features_of = |e: u64| -> Option<&Features> {
            dirty_features.get(&e).or_else(|| {
                nodes
                    .get(&e)
                    .and_then(|n| partner_features.get(&n.first_post()))
            })
        };
        let found = verify(&pairs, &features_of, &self.params);
        let found: Vec<_> = found
            .into_iter()
            .filter(|((a, b), e)| e.full || self.across_channels(*a, *b))
            .collect();
        for (key, edge) in found {
            self.link(key, edge);
        }
        self.mark = mark;
        let moved: Vec<i64> = posts.iter().map(|p| p.post_id).collect();
        self.recluster_around(&seeds, &moved);
        Ok(UpdateReport {
            compared,
            needs_rebuild: false,
        })
    }

    /// Whether two nodes have posts in different channels. Partial reuse is looked for between
    /// channels only: within one channel, a repeated paragraph is the channel's template or
    /// boilerplate (a quiz bot's heading, a daily summary's opening), not a copy.
    fn across_channels(&self, a: u64, b: u64) -> bool {
        let channels = |e: u64| -> BTreeSet<i64> {
            self.nodes
                .get(&e)
                .map(|n| {
                    n.posts
                        .iter()
                        .filter_map(|p| self.posts.get(p).map(|e| e.channel))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (ca, cb) = (channels(a), channels(b));
        !(ca.len() == 1 && ca == cb)
    }

    /// Features of archived posts, fetched and computed with their channel's boilerplate.
    fn features_of_posts<E>(
        &self,
        ids: &[i64],
        fetch: &mut Fetch<'_, E>,
        perms: &Permutations,
    ) -> Result<HashMap<i64, Features>, E> {
        if ids.is_empty() {
            return Ok(HashMap::default());
        }
        let posts = fetch(ids)?;
        let computed = features_of_all(&posts, &self.channels, &self.params, perms);
        Ok(posts
            .iter()
            .zip(computed)
            .map(|(p, (f, _))| (p.post_id, f))
            .collect())
    }

    /// Adds a verified pair.
    fn link(&mut self, key: (u64, u64), edge: Edge) {
        if self.edges.insert(key, edge).is_none() {
            self.adjacency.entry(key.0).or_default().push(key.1);
            self.adjacency.entry(key.1).or_default().push(key.0);
        }
    }

    /// Removes every pair of a node.
    fn unlink(&mut self, node: u64) {
        for partner in self.adjacency.remove(&node).unwrap_or_default() {
            self.edges.remove(&pair(node, partner));
            if let Some(list) = self.adjacency.get_mut(&partner) {
                list.retain(|n| *n != node);
                if list.is_empty() {
                    self.adjacency.remove(&partner);
                }
            }
        }
    }

    /// Derives [`CopyState::adjacency`] from the pairs (after reading them).
    fn relink(&mut self) {
        self.adjacency.clear();
        for (a, b) in self.edges.keys() {
            self.adjacency.entry(*a).or_default().push(*b);
            self.adjacency.entry(*b).or_default().push(*a);
        }
    }

    /// Recomputes every cluster from the nodes and pairs.
    fn recluster(&mut self) {
        // A node alone (one post, no pair) is in no cluster.
        let region: Vec<u64> = self
            .nodes
            .iter()
            .filter(|(e, n)| n.posts.len() > 1 || self.adjacency.contains_key(e))
            .map(|(e, _)| *e)
            .collect();
        let mut clusters = Clusters::default();
        for c in self.clusters_of(region) {
            for p in &c.posts {
                clusters.of_post.insert(*p, c.id);
            }
            clusters.by_id.insert(c.id, c);
        }
        self.clusters = clusters;
    }

    /// Recomputes the clusters an update touched: those of every node connected (by any pair)
    /// to `seeds`, and those that held the `moved` posts. Clusters are decided within each
    /// connected part of the pairs alone, so the others stay as they are.
    fn recluster_around(&mut self, seeds: &HashSet<u64>, moved: &[i64]) {
        let mut region: HashSet<u64> = HashSet::default();
        let mut stack: Vec<u64> = seeds
            .iter()
            .copied()
            .filter(|e| self.nodes.contains_key(e))
            .collect();
        while let Some(e) = stack.pop() {
            if !region.insert(e) {
                continue;
            }
            if let Some(partners) = self.adjacency.get(&e) {
                stack.extend(partners.iter().copied().filter(|p| !region.contains(p)));
            }
        }
        // The old clusters of the region's posts and of the moved posts go.
        let mut old: BTreeSet<i64> = BTreeSet::new();
        for e in &region {
            if let Some(n) = self.nodes.get(e) {
                old.extend(n.posts.iter().filter_map(|p| self.clusters.of_post.get(p)));
            }
        }
        old.extend(moved.iter().filter_map(|p| self.clusters.of_post.get(p)));
        for id in old {
            if let Some(c) = self.clusters.by_id.remove(&id) {
                for p in &c.posts {
                    self.clusters.of_post.remove(p);
                }
            }
        }
        for c in self.clusters_of(region.into_iter().collect()) {
            for p in &c.posts {
                self.clusters.of_post.insert(*p, c.id);
            }
            self.clusters.by_id.insert(c.id, c);
        }
    }

    /// The clusters of a set of nodes closed under the pairs (every partner of a node of the
    /// set is in it): the connected components of the full copies, with the posts that only
    /// reuse a part attached to their best partner's (see `docs/copies.md`).
    fn clusters_of(&self, mut exacts: Vec<u64>) -> Vec<Cluster> {
        exacts.sort_unstable_by_key(|e| (self.nodes[e].first_post(), *e));
        let index: HashMap<u64, usize> = exacts.iter().enumerate().map(|(i, e)| (*e, i)).collect();
        let mut uf = UnionFind::new(exacts.len());
        let mut edges: Vec<((u64, u64), Edge)> = Vec::new();
        for a in &exacts {
            for b in self.adjacency.get(a).into_iter().flatten() {
                if a < b
                    && let Some(e) = self.edges.get(&(*a, *b))
                {
                    edges.push(((*a, *b), *e));
                }
            }
        }
        edges.sort_unstable_by_key(|(k, _)| *k);
        for ((a, b), e) in &edges {
            if e.full
                && let (Some(i), Some(j)) = (index.get(a), index.get(b))
            {
                uf.union(*i, *j);
            }
        }
        // Component sizes in nodes.
        let mut size: HashMap<usize, usize> = HashMap::default();
        for i in 0..exacts.len() {
            *size.entry(uf.find(i)).or_default() += 1;
        }
        let singleton: Vec<bool> = (0..exacts.len()).map(|i| size[&uf.find(i)] == 1).collect();
        // Each singleton's best partial partner: the highest containment, then the lowest
        // first post.
        let mut best: HashMap<usize, (usize, f32, i64)> = HashMap::default();
        for ((a, b), e) in &edges {
            if e.full {
                continue;
            }
            let (Some(&i), Some(&j)) = (index.get(a), index.get(b)) else {
                continue;
            };
            for (me, other) in [(i, j), (j, i)] {
                if !singleton[me] {
                    continue;
                }
                let first = self.nodes[&exacts[other]].first_post();
                let better = match best.get(&me) {
                    None => true,
                    Some((_, c, f)) => e.containment > *c || (e.containment == *c && first < *f),
                };
                if better {
                    best.insert(me, (other, e.containment, first));
                }
            }
        }
        let chosen: HashMap<usize, usize> = best.iter().map(|(me, (o, _, _))| (*me, *o)).collect();
        let hubs: HashSet<usize> = chosen.values().copied().filter(|o| singleton[*o]).collect();
        let mut attached: HashSet<usize> = HashSet::default();
        let mut attach: Vec<(usize, usize)> = Vec::new();
        for (me, other) in &chosen {
            let mutual = chosen.get(other) == Some(me);
            let first_me = self.nodes[&exacts[*me]].first_post();
            let first_other = self.nodes[&exacts[*other]].first_post();
            if hubs.contains(me) && !(mutual && first_me > first_other) {
                continue;
            }
            attach.push((*me, *other));
            attached.insert(*me);
        }
        attach.sort_unstable();
        for (me, other) in attach {
            uf.union(me, other);
        }
        let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..exacts.len() {
            members.entry(uf.find(i)).or_default().push(i);
        }
        let mut out = Vec::new();
        for nodes in members.values() {
            let mut posts: Vec<i64> = Vec::new();
            let mut partial: Vec<i64> = Vec::new();
            for i in nodes {
                let n = &self.nodes[&exacts[*i]];
                posts.extend(n.posts.iter().copied());
                if attached.contains(i) {
                    partial.extend(n.posts.iter().copied());
                }
            }
            if posts.len() < 2 {
                continue;
            }
            posts.sort_unstable();
            partial.sort_unstable();
            let id = posts[0];
            out.push(Cluster { id, posts, partial });
        }
        out
    }

    /// The cluster a post is in (`None` when it has no copies in the archive).
    pub fn cluster_of(&self, post_id: i64) -> Option<&Cluster> {
        self.clusters
            .of_post
            .get(&post_id)
            .and_then(|id| self.clusters.by_id.get(id))
    }

    /// A cluster by id.
    pub fn cluster(&self, id: i64) -> Option<&Cluster> {
        self.clusters.by_id.get(&id)
    }

    /// Every cluster, by id.
    pub fn clusters(&self) -> impl Iterator<Item = &Cluster> {
        self.clusters.by_id.values()
    }

    /// How many clusters.
    pub fn cluster_count(&self) -> usize {
        self.clusters.by_id.len()
    }

    /// The clusters with a post of this channel, by id.
    pub fn clusters_of_channel(&self, channel_id: i64) -> Vec<&Cluster> {
        let ids: BTreeSet<i64> = self
            .clusters
            .of_post
            .iter()
            .filter(|(post, _)| {
                self.posts
                    .get(post)
                    .is_some_and(|e| e.channel == channel_id)
            })
            .map(|(_, id)| *id)
            .collect();
        ids.iter()
            .filter_map(|id| self.clusters.by_id.get(id))
            .collect()
    }

    /// Every post that is in a cluster, by id.
    pub fn clustered_posts(&self) -> Vec<i64> {
        let mut v: Vec<i64> = self.clusters.of_post.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// The verified pair of two posts' texts, when there is one (`None` for the same text:
    /// see [`CopyState::same_text`]).
    pub fn edge(&self, a: i64, b: i64) -> Option<Edge> {
        let ea = self.posts.get(&a)?.exact?;
        let eb = self.posts.get(&b)?.exact?;
        self.edges.get(&pair(ea, eb)).copied()
    }

    /// Whether two posts have the same compared text.
    pub fn same_text(&self, a: i64, b: i64) -> bool {
        match (self.posts.get(&a), self.posts.get(&b)) {
            (Some(x), Some(y)) => x.exact.is_some() && x.exact == y.exact,
            _ => false,
        }
    }

    /// Computes the features of a post's text as this analysis compares it (with its channel's
    /// boilerplate): for similarities shown to users.
    pub fn features_of(&self, post: &CopyPost) -> Features {
        let empty = HashSet::default();
        let lines = self
            .channels
            .get(&post.channel_id)
            .map(|b| &b.lines)
            .unwrap_or(&empty);
        let perms = Permutations::new(self.params.permutations());
        features::features(&post.text, lines, &self.params, &perms).0
    }

    /// The state's content in a canonical order, for comparing an update with a rebuild.
    pub fn fingerprint(&self) -> String {
        let mut out = String::new();
        for c in self.clusters() {
            out.push_str(&format!("{}:{:?}/{:?}\n", c.id, c.posts, c.partial));
        }
        let mut edges: Vec<_> = self.edges.iter().collect();
        edges.sort_by_key(|(k, _)| **k);
        for (k, e) in edges {
            out.push_str(&format!("{k:?}={e:?}\n"));
        }
        out
    }
}

fn edge_of(m: Match) -> Edge {
    Edge {
        full: matches!(m, Match::Full { .. }),
        jaccard: m.jaccard() as f32,
        containment: m.containment() as f32,
    }
}

/// Union-find with path halving; the lower index wins, so that results never depend on order.
struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi] = lo;
        }
    }
}
