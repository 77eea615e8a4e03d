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

mod boilerplate;
mod candidates;
mod clusters;
pub mod features;
mod nodes;
mod pairs;
pub mod relation;
mod rows;
mod runs;
mod scratch;
mod sorted_records;
mod store;

use crate::parallel::parallel_map;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use boilerplate::Channels;
use candidates::CandidatePairs;
use clusters::Clusters;
use nodes::{NodeId, Nodes, le_bytes, u32s_from_le};
use pairs::Pairs;
use sorted_records::PostTable;

pub use boilerplate::Boilerplate;
pub use features::{EdgeLines, Features, Match, Permutations, ShingleKind, Shingles, Sketch};
pub use relation::{
    Attribution, ClusterBasis, ClusterView, Member, MemberFacts, PostTime, Relation,
    describe_cluster, first_seen, word_changes,
};
pub use store::{ClusterIndex, StateError};

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

/// What is kept of a post.
#[derive(Debug, Clone, PartialEq)]
struct PostEntry {
    channel: i64,
    /// Its text node, `NO_NODE` for posts too short to compare.
    node: NodeId,
    /// Keys of its header and footer lines (for the channel's boilerplate counts): the first
    /// `line_count`.
    lines: [u32; features::EDGE_LINES],
    line_count: u8,
    /// The cluster it is in, `NO_CLUSTER` for none (derived from the nodes and pairs with the
    /// clusters, and never saved).
    cluster: i64,
}

/// A post's node when it has none.
const NO_NODE: NodeId = NodeId::MAX;

/// A post's cluster when it is in none.
const NO_CLUSTER: i64 = i64::MIN;

impl PostEntry {
    fn new(channel: i64, node: NodeId, edge_lines: &[u32]) -> PostEntry {
        let mut lines = [0; features::EDGE_LINES];
        let n = edge_lines.len().min(lines.len());
        lines[..n].copy_from_slice(&edge_lines[..n]);
        PostEntry {
            channel,
            node,
            lines,
            line_count: n as u8,
            cluster: NO_CLUSTER,
        }
    }

    fn node(&self) -> Option<NodeId> {
        (self.node != NO_NODE).then_some(self.node)
    }

    fn cluster(&self) -> Option<i64> {
        (self.cluster != NO_CLUSTER).then_some(self.cluster)
    }

    fn edge_lines(&self) -> &[u32] {
        &self.lines[..usize::from(self.line_count)]
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
#[derive(Debug)]
pub struct CopyState {
    params: Params,
    mark: i64,
    posts: PostTable,
    nodes: Nodes,
    /// Verified pairs of nodes, each under both (a node's partners are one range of them).
    pairs: Pairs,
    channels: Channels,
    clusters: Clusters,
}

fn pair<T: Ord>(a: T, b: T) -> (T, T) {
    if a < b { (a, b) } else { (b, a) }
}

/// Gives the current text of archived posts by id (those the archive still has).
pub type Fetch<'a, E> = dyn FnMut(&[i64]) -> Result<Vec<CopyPost>, E> + 'a;

type Computed = (Features, Vec<(ShingleKind, Vec<u32>)>);

/// Computes features on every core (posts in order), given each post's header and footer
/// lines.
fn features_of_all(
    posts: &[(CopyPost, EdgeLines)],
    boilerplate: &Channels,
    params: &Params,
    perms: &Permutations,
) -> Vec<Computed> {
    let empty = HashSet::default();
    parallel_map(posts, |(p, edges)| {
        let lines = boilerplate.lines(p.channel_id).unwrap_or(&empty);
        Some(features::features_with_edges(
            &p.text, edges, lines, params, perms,
        ))
    })
}

/// Each post with its header and footer lines, on every core.
fn with_edges(posts: Vec<CopyPost>, params: &Params) -> Vec<(CopyPost, EdgeLines)> {
    let edges = parallel_map(&posts, |p| {
        Some(EdgeLines::of(&p.text, params.boilerplate_max_words))
    });
    posts.into_iter().zip(edges).collect()
}

/// What an update counts of a bucket: the dirty nodes in it before the change and after, and
/// all its nodes now.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    before: u32,
    after: u32,
    now: u32,
}

/// Adds the pairs of each dirty node of a bucket (its `members`, when listed) with the bucket's
/// other nodes to `pairs`.
fn pairs_in_bucket(
    members: Option<&[NodeId]>,
    dirty: &HashSet<NodeId>,
    pairs: &mut HashSet<(NodeId, NodeId)>,
) {
    let Some(members) = members.filter(|m| m.len() >= 2) else {
        return;
    };
    for d in members.iter().filter(|m| dirty.contains(m)) {
        for o in members {
            if o != d {
                pairs.insert(pair(*d, *o));
            }
        }
    }
}

/// Calls `f` with the pairs of every run of equal keys in sorted `(key, node)` entries, for
/// runs of 2 to `max` members (a larger run is a hot bucket and gives none).
fn pairs_of_runs<K: Ord + Copy>(
    entries: &[(K, NodeId)],
    max: usize,
    f: &mut dyn FnMut(NodeId, NodeId),
) {
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
                    let (a, b) = pair(a.1, b.1);
                    f(a, b);
                }
            }
        }
        i = j;
    }
}

/// Verifies candidate pairs on every core: the pairs that are copies, with their edge.
fn verify<'f>(
    pairs: &[(NodeId, NodeId)],
    sketch_of: &(dyn Fn(NodeId) -> Option<Sketch<'f>> + Sync),
    params: &Params,
) -> Vec<((NodeId, NodeId), Edge)> {
    parallel_map(pairs, |(a, b)| {
        let m = features::compare_sketches(&sketch_of(*a)?, &sketch_of(*b)?, params)?;
        Some(((*a, *b), edge_of(m)))
    })
}

/// A rebuild from scratch, fed one channel at a time (for callers that walk the archive and
/// hand each channel's posts over as they go): [`CopyState::rebuild`] in steps.
///
/// Until the pairs are verified at the end, a rebuild keeps what verification compares of each
/// text's lowest post in packed form ([`Sketch::pack`]): in memory, or, with
/// [`Rebuild::spilling`], in an unnamed temporary file. At the end it finds the candidate pairs
/// (written out in sorted runs beside it when there are many) and verifies them
/// in ascending order, a piece at a time: each piece reads back the sketches of its texts only,
/// up to 64 MiB of them, so that memory stays bounded whatever the archive's size.
pub struct Rebuild {
    state: CopyState,
    perms: Permutations,
    sketches: Sketches,
    /// Posts of channels handed over and not yet computed: channels are computed together,
    /// a few thousand posts at a time, so that the cores share out large pieces of work.
    pending: Vec<CopyPost>,
    /// The channel taken a page at a time ([`Rebuild::add_learned`]) whose boilerplate was
    /// settled from everything [`Rebuild::learn_channel`] saw of it.
    learned: Option<i64>,
    /// Where the candidate pairs are written out when there are many (with
    /// [`Rebuild::spilling`]).
    dir: Option<PathBuf>,
    /// The budgets of the verification (smaller in tests).
    budget: VerifyBudget,
}

/// How many posts a rebuild gathers before it computes them.
const REBUILD_STEP: usize = 16_384;

/// Bytes of packed sketches a piece of a rebuild's verification reads back, at the most (a
/// piece's last pair may take it past them by two sketches)...
const VERIFY_BYTES: usize = 64 << 20;
/// ...and pairs in a piece, at the most.
const VERIFY_PAIRS: usize = 1 << 18;

/// The budgets of a rebuild's verification.
#[derive(Debug, Clone, Copy)]
struct VerifyBudget {
    /// Candidate pairs buffered before they are sorted ([`CandidatePairs::set_buffer_pairs`]).
    candidate_pairs: Option<usize>,
    /// Sketch bytes and pairs of a piece.
    bytes: usize,
    pairs: usize,
}

impl Default for VerifyBudget {
    fn default() -> VerifyBudget {
        VerifyBudget {
            candidate_pairs: None,
            bytes: VERIFY_BYTES,
            pairs: VERIFY_PAIRS,
        }
    }
}

/// Where a rebuild keeps the packed sketches.
enum Sketches {
    /// By node: its lowest post's packed sketch.
    Memory(Vec<Box<[u32]>>),
    /// In a temporary file: by node, where its lowest post's packed sketch starts, and how
    /// many values it has.
    File {
        out: Option<BufWriter<std::fs::File>>,
        file: Option<std::fs::File>,
        written: u64,
        at: Vec<u64>,
        len: Vec<u32>,
        /// The folder, for errors.
        dir: PathBuf,
    },
}

/// A node without a sketch in the file.
const NO_SKETCH: u64 = u64::MAX;

/// Bytes of the file read at once for sketches close together, at the most, and the gap
/// between two sketches that still lets one read take both.
const SKETCH_SPAN: u64 = 4 << 20;
const SKETCH_GAP: u64 = 64 << 10;

impl Sketches {
    fn io_error(dir: &Path) -> impl Fn(std::io::Error) -> StateError + '_ {
        move |source| StateError::Io {
            path: dir.to_path_buf(),
            source,
        }
    }

    fn put(&mut self, node: NodeId, packed: Vec<u32>) -> Result<(), StateError> {
        let i = node as usize;
        match self {
            Sketches::Memory(v) => {
                if v.len() <= i {
                    v.resize(i + 1, Box::default());
                }
                v[i] = packed.into_boxed_slice();
            }
            Sketches::File {
                out,
                written,
                at,
                len,
                dir,
                ..
            } => {
                if at.len() <= i {
                    at.resize(i + 1, NO_SKETCH);
                    len.resize(i + 1, 0);
                }
                at[i] = *written;
                len[i] = packed.len() as u32;
                let bytes = le_bytes(&packed);
                if let Some(out) = out {
                    out.write_all(&bytes).map_err(Self::io_error(dir))?;
                }
                *written += bytes.len() as u64;
            }
        }
        Ok(())
    }

    /// Bytes of a node's packed sketch (none without one).
    fn size(&self, node: NodeId) -> usize {
        let i = node as usize;
        match self {
            Sketches::Memory(v) => v.get(i).map_or(0, |s| s.len() * 4),
            Sketches::File { at, len, .. } => match at.get(i) {
                Some(a) if *a != NO_SKETCH => len[i] as usize * 4,
                _ => 0,
            },
        }
    }

    /// The file, written out and ready to be read (`None` in memory).
    fn file(&mut self) -> Result<Option<&std::fs::File>, StateError> {
        let Sketches::File { out, file, dir, .. } = self else {
            return Ok(None);
        };
        if let Some(w) = out.take() {
            let f = w
                .into_inner()
                .map_err(|e| Self::io_error(dir)(e.into_error()))?;
            *file = Some(f);
        }
        Ok(file.as_ref())
    }

    /// The packed sketches of these nodes, as one block of values and each node's range in it:
    /// from the file, in the order they are there, sketches close together in one read.
    fn take(&mut self, nodes: &[NodeId]) -> Result<Packed, StateError> {
        let mut packed = Packed::default();
        let (wanted, dir): (Vec<(u64, u32, NodeId)>, PathBuf) = match self {
            Sketches::Memory(v) => {
                for n in nodes {
                    if let Some(s) = v.get(*n as usize).filter(|s| !s.is_empty()) {
                        packed.push(*n, s);
                    }
                }
                return Ok(packed);
            }
            Sketches::File { at, len, dir, .. } => {
                let mut w: Vec<(u64, u32, NodeId)> = nodes
                    .iter()
                    .filter_map(|n| {
                        let i = *n as usize;
                        let a = *at.get(i)?;
                        (a != NO_SKETCH).then(|| (a, len[i], *n))
                    })
                    .collect();
                w.sort_unstable();
                (w, dir.clone())
            }
        };
        let Some(file) = self.file()? else {
            return Ok(packed);
        };
        let io = Sketches::io_error(&dir);
        let mut bytes: Vec<u8> = Vec::new();
        let mut values: Vec<u32> = Vec::new();
        let end_of = |(at, len, _): &(u64, u32, NodeId)| at + u64::from(*len) * 4;
        let mut k = 0;
        while k < wanted.len() {
            // This sketch and those after it close enough to be read with it.
            let start = wanted[k].0;
            let mut end = end_of(&wanted[k]);
            let mut j = k + 1;
            while j < wanted.len()
                && wanted[j].0 <= end + SKETCH_GAP
                && end_of(&wanted[j]) <= start + SKETCH_SPAN
            {
                end = end.max(end_of(&wanted[j]));
                j += 1;
            }
            bytes.resize((end - start) as usize, 0);
            std::os::unix::fs::FileExt::read_exact_at(file, &mut bytes, start).map_err(&io)?;
            for w in &wanted[k..j] {
                let from = (w.0 - start) as usize;
                values.clear();
                values.extend(u32s_from_le(&bytes[from..from + w.1 as usize * 4]));
                packed.push(w.2, &values);
            }
            k = j;
        }
        Ok(packed)
    }
}

/// Packed sketches of some nodes, in blocks of a few megabytes (so that gathering them never
/// copies what is gathered, nor holds it twice).
#[derive(Default)]
struct Packed {
    blocks: Vec<Vec<u32>>,
    /// By node: its block and range in it.
    range: HashMap<NodeId, (u32, u32, u32)>,
}

/// Values per block of [`Packed`].
const PACKED_BLOCK: usize = 1 << 20;

impl Packed {
    fn push(&mut self, node: NodeId, values: &[u32]) {
        let fits = self
            .blocks
            .last()
            .is_some_and(|b| b.capacity() - b.len() >= values.len());
        if !fits {
            self.blocks
                .push(Vec::with_capacity(PACKED_BLOCK.max(values.len())));
        }
        let block = self.blocks.len() - 1;
        let b = &mut self.blocks[block];
        let start = b.len();
        b.extend_from_slice(values);
        self.range
            .insert(node, (block as u32, start as u32, b.len() as u32));
    }

    fn get(&self, node: NodeId) -> Option<&[u32]> {
        self.range
            .get(&node)
            .map(|(b, s, e)| &self.blocks[*b as usize][*s as usize..*e as usize])
    }
}

impl Rebuild {
    /// A rebuild at the archive's `mark` that keeps the sketches in memory.
    pub fn new(params: Params, mark: i64) -> Rebuild {
        let mut state = CopyState::new(params);
        state.mark = mark;
        let perms = Permutations::new(state.params.permutations());
        Rebuild {
            state,
            perms,
            sketches: Sketches::Memory(Vec::new()),
            pending: Vec::new(),
            learned: None,
            dir: None,
            budget: VerifyBudget::default(),
        }
    }

    /// A rebuild that keeps the sketches in an unnamed temporary file in `dir` (removed when
    /// the rebuild ends, however it ends).
    pub fn spilling(params: Params, mark: i64, dir: &Path) -> Result<Rebuild, StateError> {
        let file = tempfile::tempfile_in(dir).map_err(|source| StateError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut rebuild = Rebuild::new(params, mark);
        rebuild.state.keep_scratch_files_in(dir)?;
        rebuild.sketches = Sketches::File {
            out: Some(BufWriter::with_capacity(1 << 20, file)),
            file: None,
            written: 0,
            at: Vec::new(),
            len: Vec::new(),
            dir: dir.to_path_buf(),
        };
        rebuild.dir = Some(dir.to_path_buf());
        Ok(rebuild)
    }

    /// [`CopyState::set_scratch_block_rows`] of the analysis being rebuilt (before any post),
    /// and candidate pairs written out `8 × rows` at a time and verified in pieces of `8 ×
    /// rows` pairs or `1024 × rows` bytes of sketches (so that a test's small rebuild writes
    /// several runs of candidates and verifies them in several pieces).
    #[doc(hidden)]
    pub fn set_scratch_block_rows(&mut self, rows: usize) -> bool {
        if !self.state.set_scratch_block_rows(rows) {
            return false;
        }
        self.budget = VerifyBudget {
            candidate_pairs: Some(rows * 8),
            bytes: rows * 1024,
            pairs: rows * 8,
        };
        true
    }

    /// Adds every post of one channel (all of them at once: the channel's boilerplate is
    /// learned from them).
    pub fn add_channel(&mut self, batch: Vec<CopyPost>) -> Result<(), StateError> {
        if self.pending.is_empty() {
            self.pending = batch;
        } else {
            self.pending.extend(batch);
        }
        if self.pending.len() >= REBUILD_STEP {
            self.compute_pending()?;
        }
        Ok(())
    }

    /// Learns the boilerplate of one channel too large to hand over at once from a page of its
    /// posts (their header and footer lines only; the texts are dropped). The channel's pages
    /// come one after another, each once, in post order; then [`Rebuild::add_learned`] takes
    /// the same posts again, a page at a time. The analysis is the same as had the channel's
    /// posts come together to [`Rebuild::add_channel`].
    pub fn learn_channel(&mut self, page: Vec<CopyPost>) -> Result<(), StateError> {
        // The channels before it are computed with what they learned.
        if !self.pending.is_empty() {
            self.compute_pending()?;
        }
        let state = &mut self.state;
        for (p, edges) in with_edges(page, &state.params) {
            state.channels.add(p.channel_id, edges.keys());
        }
        self.learned = None;
        Ok(())
    }

    /// Adds posts of a channel whose boilerplate [`Rebuild::learn_channel`] learned from all
    /// of its posts: a page at a time, in post order.
    pub fn add_learned(&mut self, page: Vec<CopyPost>) -> Result<(), StateError> {
        let state = &mut self.state;
        let batch = with_edges(page, &state.params);
        for channel in batch.iter().map(|(p, _)| p.channel_id) {
            if self.learned != Some(channel) {
                state.channels.relearn(channel, &state.params);
                self.learned = Some(channel);
            }
        }
        let computed = features_of_all(&batch, &state.channels, &state.params, &self.perms);
        for ((p, _), (f, bands)) in batch.iter().zip(computed) {
            if let Some(node) = state.add_post(p, &f, &bands) {
                self.sketches.put(node, f.sketch().pack())?;
            }
        }
        Ok(())
    }

    /// Computes the posts gathered so far: their channels' boilerplate, their features, their
    /// nodes.
    fn compute_pending(&mut self) -> Result<(), StateError> {
        let state = &mut self.state;
        let batch = with_edges(std::mem::take(&mut self.pending), &state.params);
        let mut in_batch: BTreeSet<i64> = BTreeSet::new();
        for (p, edges) in &batch {
            state.channels.add(p.channel_id, edges.keys());
            in_batch.insert(p.channel_id);
        }
        for channel in in_batch {
            state.channels.relearn(channel, &state.params);
        }
        let computed = features_of_all(&batch, &state.channels, &state.params, &self.perms);
        for ((p, _), (f, bands)) in batch.iter().zip(computed) {
            if let Some(node) = state.add_post(p, &f, &bands) {
                self.sketches.put(node, f.sketch().pack())?;
            }
        }
        Ok(())
    }

    /// Finds and verifies the pairs, and makes the clusters.
    pub fn finish(mut self) -> Result<CopyState, StateError> {
        self.compute_pending()?;
        let Rebuild {
            mut state,
            mut sketches,
            dir,
            budget,
            ..
        } = self;
        let mut candidates =
            CandidatePairs::new(dir.as_deref()).map_err(|source| StateError::Io {
                path: dir.clone().unwrap_or_default(),
                source,
            })?;
        if let Some(pairs) = budget.candidate_pairs {
            candidates.set_buffer_pairs(pairs);
        }
        state
            .nodes
            .candidates(state.params.max_bucket, &mut candidates);
        // In ascending order, a piece at a time: a piece's first nodes are close together,
        // and so are their sketches.
        let mut sorted = candidates.into_sorted();
        let mut piece: Vec<(NodeId, NodeId)> = Vec::new();
        let mut held: HashSet<NodeId> = HashSet::default();
        let mut bytes = 0usize;
        loop {
            let next = sorted.next();
            if let Some((a, b)) = next {
                piece.push((a, b));
                for n in [a, b] {
                    if held.insert(n) {
                        bytes += sketches.size(n);
                    }
                }
            }
            if next.is_none() || bytes >= budget.bytes || piece.len() >= budget.pairs {
                state.verify_piece(&piece, &held, &mut sketches)?;
                piece.clear();
                held.clear();
                bytes = 0;
            }
            if next.is_none() {
                break;
            }
        }
        if let Some((path, what)) = sorted.scratch_failure() {
            return Err(StateError::Io {
                path,
                source: std::io::Error::other(what),
            });
        }
        drop((sorted, sketches));
        state.recluster();
        state.scratch_failure()?;
        Ok(state)
    }
}

impl CopyState {
    /// An empty analysis (of an empty archive).
    pub fn new(params: Params) -> CopyState {
        CopyState {
            nodes: Nodes::new(params.bands),
            channels: Channels::new(&params),
            params,
            mark: 0,
            posts: PostTable::new("posts'"),
            pairs: Pairs::default(),
            clusters: Clusters::default(),
        }
    }

    /// From now on, keeps the texts' band keys and paragraph hashes (the largest parts of the
    /// analysis: about 250 bytes a text, and 8 bytes a paragraph), the texts' rows (32 bytes a
    /// text) and exact keys (12), the posts' records (48 bytes a post), the verified pairs (34
    /// bytes a pair) and the channels' line counts (12 bytes a line) in unnamed scratch files
    /// in `dir`, removed when the analysis is dropped, with only a block of each in memory; an
    /// update reads them back a block at a time. Once a read or write of them failed,
    /// [`CopyState::scratch_failure`] says so.
    pub fn keep_scratch_files_in(&mut self, dir: &Path) -> Result<(), StateError> {
        let io = |source| StateError::Io {
            path: dir.to_path_buf(),
            source,
        };
        self.nodes.keep_keys_on_file(dir).map_err(io)?;
        let (posts, pairs, counts) = (
            tempfile::tempfile_in(dir).map_err(io)?,
            tempfile::tempfile_in(dir).map_err(io)?,
            tempfile::tempfile_in(dir).map_err(io)?,
        );
        self.posts.keep_on_file(posts, dir);
        self.pairs.keep_on_file(pairs, dir);
        self.channels.keep_on_file(counts, dir);
        self.clusters.keep_on_file(dir).map_err(io)?;
        Ok(())
    }

    /// Blocks of `rows` texts' band keys, of `rows` paragraph hashes and of `rows` posts'
    /// records (posts merged into the records `rows` at a time) instead of 4,096, 65,536 and 64
    /// (65,536), on an analysis that holds no post yet: for tests, so that a small analysis
    /// keeps most of them in its scratch files ([`CopyState::keep_scratch_files_in`]). `false`
    /// when it already holds some.
    #[doc(hidden)]
    pub fn set_scratch_block_rows(&mut self, rows: usize) -> bool {
        self.posts.len() == 0
            && self.nodes.set_key_block_rows(rows)
            && self.posts.set_block_rows(rows)
            && self.pairs.set_block_rows(rows)
            && self.channels.set_block_rows(rows)
            && self.clusters.set_block_rows(rows)
    }

    /// The first failure to read or write the scratch files: the analysis must then not be used
    /// or saved (what was read of them is not what was written), but rebuilt.
    pub fn scratch_failure(&self) -> Result<(), StateError> {
        match self
            .nodes
            .scratch_failure()
            .or_else(|| self.posts.scratch_failure())
            .or_else(|| self.pairs.scratch_failure())
            .or_else(|| self.channels.scratch_failure())
            .or_else(|| self.clusters.scratch_failure())
        {
            None => Ok(()),
            Some((path, what)) => Err(StateError::Io {
                path,
                source: std::io::Error::other(what),
            }),
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
        self.pairs.len()
    }

    /// A channel's learned boilerplate.
    pub fn boilerplate(&self, channel_id: i64) -> Option<&Boilerplate> {
        self.channels.get(channel_id)
    }

    /// How many of a channel's posts have each of their header and footer lines, by line (the
    /// counts its boilerplate is learned from; for tests).
    #[doc(hidden)]
    pub fn boilerplate_counts(&self, channel_id: i64) -> Vec<(u32, u32)> {
        let mut counts = Vec::new();
        self.channels
            .for_each_count(channel_id, &mut |line, count| counts.push((line, count)));
        counts
    }

    /// Builds the analysis from scratch in memory: `channels` yields every post of the
    /// archive, one channel at a time (all of a channel's posts in one batch: its boilerplate
    /// is learned from them), and `mark` is the archive's mark they were read at. (A caller
    /// that walks a large archive uses [`Rebuild::spilling`].)
    pub fn rebuild<E: From<StateError>>(
        params: Params,
        mark: i64,
        channels: impl IntoIterator<Item = Result<Vec<CopyPost>, E>>,
    ) -> Result<CopyState, E> {
        let mut builder = Rebuild::new(params, mark);
        for batch in channels {
            builder.add_channel(batch?)?;
        }
        Ok(builder.finish()?)
    }

    /// Files a post's computed features: its entry, its node (created when new). Returns its
    /// node when the post is now that node's lowest post (whose features the node keeps).
    fn add_post(
        &mut self,
        p: &CopyPost,
        f: &Features,
        bands: &[(ShingleKind, Vec<u32>)],
    ) -> Option<NodeId> {
        let node =
            f.exact.map(
                |exact| match self.nodes.get_or_insert(exact, bands, &f.paragraphs) {
                    Ok(id) | Err(id) => id,
                },
            );
        // Looked up once: the post keeps its cluster until the clusters are made again.
        let place = self.posts.place(p.post_id);
        let mut entry = PostEntry::new(p.channel_id, node.unwrap_or(NO_NODE), &f.edge_lines);
        if let Some(old) = place.value() {
            entry.cluster = old.cluster;
        }
        self.posts.put(p.post_id, entry, &place);
        let node = node?;
        if self.nodes.add_post(node, p.post_id) {
            self.nodes.set_paragraphs(node, &f.paragraphs);
            Some(node)
        } else {
            None
        }
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
        let report = self.update_nodes(mark, changed, fetch);
        self.nodes.release_emptied();
        report
    }

    fn update_nodes<E>(
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
        let mut recompute: BTreeMap<i64, (CopyPost, EdgeLines)> = BTreeMap::new();
        for (p, edges) in with_edges(changed, &self.params) {
            if let Some(old) = self.posts.get(&p.post_id) {
                let (old_channel, old_lines) = (old.channel, old.edge_lines().to_vec());
                self.channels.remove(old_channel, &old_lines);
                touched.insert(old_channel);
            }
            self.channels.add(p.channel_id, edges.keys());
            touched.insert(p.channel_id);
            recompute.insert(p.post_id, (p, edges));
        }
        // 2. Channels whose boilerplate changed: their posts with a changed line, again.
        let mut changed_lines: HashMap<i64, HashSet<u32>> = HashMap::default();
        for channel in &touched {
            let lines = self.channels.relearn(*channel, &self.params);
            if !lines.is_empty() {
                changed_lines.insert(*channel, lines);
            }
        }
        let mut affected: Vec<i64> = Vec::new();
        if !changed_lines.is_empty() {
            self.posts.for_each(&mut |id, entry| {
                if let Some(lines) = changed_lines.get(&entry.channel)
                    && !recompute.contains_key(&id)
                    && entry.edge_lines().iter().any(|l| lines.contains(l))
                {
                    affected.push(id);
                }
            });
        }
        affected.sort_unstable();
        let fetched_affected = fetch(&affected)?;
        for (p, edges) in with_edges(fetched_affected, &self.params) {
            recompute.insert(p.post_id, (p, edges));
        }
        let compared = recompute.len() as u64;

        // 3. Recompute their features and move them between nodes.
        let posts: Vec<(CopyPost, EdgeLines)> = recompute.into_values().collect();
        let computed = features_of_all(&posts, &self.channels, &self.params, &perms);
        // Nodes whose pairs must be found again, with their buckets before the change.
        let mut dirty: HashSet<NodeId> = HashSet::default();
        // Per bucket the dirty nodes in it before and after, and its nodes now: one table of
        // band buckets and one of paragraphs (an update's largest tables: a few dozen buckets
        // per changed post).
        let mut bands: HashMap<u64, Tally> = HashMap::default();
        let mut paras: HashMap<u64, Tally> = HashMap::default();
        // By exact key, noted once, whether or not the text had a node before: a node that
        // this update creates is never counted as there before.
        let mut seen_before: HashSet<u64> = HashSet::default();
        let mut fresh: HashMap<i64, Features> = HashMap::default();
        let mut note_before = |nodes: &Nodes, exact: u64, seen: &mut HashSet<u64>| {
            if !seen.insert(exact) {
                return;
            }
            let Some(n) = nodes.get(exact) else {
                return;
            };
            for k in nodes.band_buckets(n) {
                bands.entry(k).or_default().before += 1;
            }
            for p in nodes.paragraphs(n) {
                paras.entry(p).or_default().before += 1;
            }
        };
        for ((p, _), (f, bands)) in posts.iter().zip(computed) {
            if let Some(old) = self
                .posts
                .get(&p.post_id)
                .as_ref()
                .and_then(PostEntry::node)
            {
                note_before(&self.nodes, self.nodes.exact(old), &mut seen_before);
                self.nodes.remove_post(old, p.post_id);
                dirty.insert(old);
            }
            if let Some(e) = f.exact {
                note_before(&self.nodes, e, &mut seen_before);
            }
            self.add_post(p, &f, &bands);
            if let Some(n) = f.exact.and_then(|e| self.nodes.get(e)) {
                dirty.insert(n);
            }
            fresh.insert(p.post_id, f);
        }
        // Nodes that are gone lose their pairs; the others take the paragraphs of their
        // lowest post.
        // The clusters to recompute are those of the dirty nodes' partners before (a cluster
        // that loses a pair may split) and after.
        let mut seeds: HashSet<NodeId> = dirty.clone();
        for d in &dirty {
            seeds.extend(self.pairs.partners(*d));
        }
        let dirty_list: Vec<NodeId> = dirty.iter().copied().collect();
        for d in dirty_list {
            self.unlink(d);
        }
        dirty.retain(|n| self.nodes.is_live(*n));
        // Of the features computed, only those of the dirty nodes' first posts are compared.
        let firsts: HashSet<i64> = dirty.iter().map(|n| self.nodes.first_post(*n)).collect();
        fresh.retain(|id, _| firsts.contains(id));
        drop(firsts);
        let need: Vec<i64> = dirty
            .iter()
            .map(|n| self.nodes.first_post(*n))
            .filter(|id| !fresh.contains_key(id))
            .collect();
        let fetched = self.features_of_posts(&need, fetch, &perms)?;
        // Borrowed from the features just computed or fetched (a window's features are the
        // largest thing an update holds: a copy would double them).
        let mut dirty_features: HashMap<NodeId, &Features> = HashMap::default();
        for n in &dirty {
            let first = self.nodes.first_post(*n);
            if let Some(f) = fresh.get(&first).or_else(|| fetched.get(&first)) {
                self.nodes.set_paragraphs(*n, &f.paragraphs);
                dirty_features.insert(*n, f);
            }
        }

        // 4. Would a bucket cross the hot-bucket limit? Then an update cannot equal a rebuild.
        let limit = self.params.max_bucket;
        for n in &dirty {
            for k in self.nodes.band_buckets(*n) {
                bands.entry(k).or_default().after += 1;
            }
            for p in self.nodes.paragraphs(*n) {
                paras.entry(p).or_default().after += 1;
            }
        }
        // The buckets' members now, a band at a time: their counts for the hot-bucket test,
        // and the dirty nodes' pairs in buckets within the limit (past it a bucket pairs
        // nothing, so its members are only counted).
        let mut found_pairs: HashSet<(NodeId, NodeId)> = HashSet::default();
        let wanted = self.nodes.band_buckets_wanted(bands.keys().copied());
        self.nodes
            .for_each_band_bucket(&wanted, limit, &mut |key, count, members| {
                if let Some(t) = bands.get_mut(&key) {
                    t.now = u32::try_from(count).unwrap_or(u32::MAX);
                }
                pairs_in_bucket(members, &dirty, &mut found_pairs);
            });
        drop(wanted);
        let wanted: HashSet<u64> = paras.keys().copied().collect();
        self.nodes
            .for_each_paragraph_bucket(&wanted, limit, &mut |key, count, members| {
                if let Some(t) = paras.get_mut(&key) {
                    t.now = u32::try_from(count).unwrap_or(u32::MAX);
                }
                pairs_in_bucket(members, &dirty, &mut found_pairs);
            });
        drop(wanted);
        let crossed = |t: &Tally| {
            let (now, before, after) = (t.now as usize, t.before as usize, t.after as usize);
            let was = now + before - after;
            (was > limit) != (now > limit)
        };
        if bands.values().any(crossed) || paras.values().any(crossed) {
            self.mark = mark;
            return Ok(UpdateReport {
                compared,
                needs_rebuild: true,
            });
        }
        drop((bands, paras));

        // 5. The dirty nodes' pairs, verified again.
        let mut pairs: Vec<(NodeId, NodeId)> = found_pairs.into_iter().collect();
        pairs.sort_unstable();
        let partners: Vec<i64> = pairs
            .iter()
            .flat_map(|(a, b)| [*a, *b])
            .filter(|n| !dirty_features.contains_key(n))
            .map(|n| self.nodes.first_post(n))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let partner_features = self.features_of_posts(&partners, fetch, &perms)?;
        let nodes = &self.nodes;
        let sketch_of = |n: NodeId| -> Option<Sketch<'_>> {
            dirty_features
                .get(&n)
                .copied()
                .or_else(|| partner_features.get(&nodes.first_post(n)))
                .map(Features::sketch)
        };
        let found = verify(&pairs, &sketch_of, &self.params);
        let found: Vec<_> = found
            .into_iter()
            .filter(|((a, b), e)| e.full || self.across_channels(*a, *b))
            .collect();
        for (key, edge) in found {
            self.link(key, edge);
        }
        self.mark = mark;
        let moved: Vec<i64> = posts.iter().map(|(p, _)| p.post_id).collect();
        self.recluster_around(&seeds, &moved);
        Ok(UpdateReport {
            compared,
            needs_rebuild: false,
        })
    }

    /// Verifies a piece of a rebuild's candidate pairs (`nodes` are theirs) and files those that
    /// are copies: full copies, and partial ones across channels.
    fn verify_piece(
        &mut self,
        pairs: &[(NodeId, NodeId)],
        nodes: &HashSet<NodeId>,
        sketches: &mut Sketches,
    ) -> Result<(), StateError> {
        if pairs.is_empty() {
            return Ok(());
        }
        let mut needed: Vec<NodeId> = nodes.iter().copied().collect();
        needed.sort_unstable();
        let packed = sketches.take(&needed)?;
        let paragraphs = self.nodes.gather_paragraphs(&needed);
        drop(needed);
        let sketch_of = |n: NodeId| Sketch::unpack(packed.get(n)?, paragraphs.get(n));
        let found = verify(pairs, &sketch_of, &self.params);
        drop((packed, paragraphs));
        let found: Vec<_> = found
            .into_iter()
            .filter(|((a, b), e)| e.full || self.across_channels(*a, *b))
            .collect();
        // Each pair once (the candidates are), and the analysis has none of them yet.
        self.pairs.extend_absent(found);
        Ok(())
    }

    /// Whether two nodes have posts in different channels. Partial reuse is looked for between
    /// channels only: within one channel, a repeated paragraph is the channel's template or
    /// boilerplate (a quiz bot's heading, a daily summary's opening), not a copy.
    fn across_channels(&self, a: NodeId, b: NodeId) -> bool {
        // Up to two of a node's channels (a node in two or more is across channels).
        let mut reader = self.posts.reader();
        let mut channels = |n: NodeId| -> BTreeSet<i64> {
            let mut found = BTreeSet::new();
            for p in self.nodes.posts(n) {
                if let Some(e) = reader.get(p) {
                    found.insert(e.channel);
                    if found.len() > 1 {
                        break;
                    }
                }
            }
            found
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
        let posts = with_edges(fetch(ids)?, &self.params);
        let computed = features_of_all(&posts, &self.channels, &self.params, perms);
        Ok(posts
            .iter()
            .zip(computed)
            .map(|((p, _), (f, _))| (p.post_id, f))
            .collect())
    }

    /// Adds a verified pair.
    fn link(&mut self, (a, b): (NodeId, NodeId), edge: Edge) {
        self.pairs.insert(a, b, edge);
    }

    /// Removes every pair of a node.
    fn unlink(&mut self, node: NodeId) {
        self.pairs.remove_node(node);
    }

    /// Recomputes every cluster from the nodes and pairs (of an analysis that has none yet:
    /// one rebuilt or loaded), a connected part of the pairs at a time.
    fn recluster(&mut self) {
        let CopyState {
            nodes,
            pairs,
            posts,
            clusters,
            ..
        } = self;
        // A node alone (one post, no pair) is in no cluster.
        let mut paired = NodeBits::default();
        pairs.for_each(&mut |a, b, _| {
            paired.set(a);
            paired.set(b);
        });
        let mut done = NodeBits::default();
        // Each clustered post's cluster, set a chunk at a time.
        let mut of_post: Vec<(i64, i64)> = Vec::new();
        nodes.for_each_node(&mut |n, more_posts| {
            if done.get(n) || !(more_posts || paired.get(n)) {
                return;
            }
            let (members, edges) = connected(pairs, nodes, [n]);
            for m in &members {
                done.set(*m);
            }
            for c in clusters_of(nodes, members, edges) {
                of_post.extend(c.posts.iter().map(|p| (*p, c.id)));
                clusters.insert(&c);
            }
            if of_post.len() >= clusters.posts_held {
                set_clusters_in_walk(posts, &mut of_post);
            }
        });
        set_clusters_in_walk(posts, &mut of_post);
    }

    /// Sets the cluster of posts (those the analysis holds).
    fn set_clusters(&mut self, changes: BTreeMap<i64, i64>) {
        for (post, cluster) in changes {
            let place = self.posts.place(post);
            if let Some(entry) = place.value().filter(|e| e.cluster != cluster) {
                let mut entry = entry.clone();
                entry.cluster = cluster;
                self.posts.put(post, entry, &place);
            }
        }
    }

    /// Recomputes the clusters an update touched: those of every node connected (by any pair)
    /// to `seeds`, and those that held the `moved` posts. Clusters are decided within each
    /// connected part of the pairs alone, so the others stay as they are.
    fn recluster_around(&mut self, seeds: &HashSet<NodeId>, moved: &[i64]) {
        let (region, edges) = connected(&self.pairs, &self.nodes, seeds.iter().copied());
        // The old clusters of the region's posts and of the moved posts go.
        let mut in_old: Vec<i64> = region.iter().flat_map(|n| self.nodes.posts(*n)).collect();
        in_old.extend_from_slice(moved);
        in_old.sort_unstable();
        let mut reader = self.posts.reader();
        let old: BTreeSet<i64> = in_old
            .into_iter()
            .filter_map(|p| reader.get(p)?.cluster())
            .collect();
        // Each post's cluster after: none for the old clusters' posts, unless a new one has it.
        let mut changes: BTreeMap<i64, i64> = BTreeMap::new();
        for id in old {
            if let Some(c) = self.clusters.remove(id) {
                changes.extend(c.posts.iter().map(|p| (*p, NO_CLUSTER)));
            }
        }
        for c in clusters_of(&self.nodes, region, edges) {
            changes.extend(c.posts.iter().map(|p| (*p, c.id)));
            self.clusters.insert(&c);
        }
        self.set_clusters(changes);
    }

    /// The cluster a post is in (`None` when it has no copies in the archive).
    pub fn cluster_of(&self, post_id: i64) -> Option<Cluster> {
        let id = self.posts.get(&post_id)?.cluster()?;
        self.clusters.get(id)
    }

    /// A cluster by id.
    pub fn cluster(&self, id: i64) -> Option<Cluster> {
        self.clusters.get(id)
    }

    /// Calls `f` with every cluster, by id (read back from the scratch files a few thousand at
    /// a time: the clusters are not held in memory).
    pub fn for_each_cluster(&self, f: &mut dyn FnMut(&Cluster)) {
        self.clusters.for_each(f);
    }

    /// How many clusters.
    pub fn cluster_count(&self) -> usize {
        self.clusters.len()
    }

    /// The clusters with a post of this channel, by id.
    pub fn clusters_of_channel(&self, channel_id: i64) -> Vec<Cluster> {
        let mut ids: BTreeSet<i64> = BTreeSet::new();
        self.posts.for_each(&mut |_, entry| {
            if entry.channel == channel_id
                && let Some(id) = entry.cluster()
            {
                ids.insert(id);
            }
        });
        ids.iter().filter_map(|id| self.clusters.get(*id)).collect()
    }

    /// Every post that is in a cluster, by id.
    pub fn clustered_posts(&self) -> Vec<i64> {
        let mut v: Vec<i64> = Vec::new();
        self.posts.for_each(&mut |id, entry| {
            if entry.cluster().is_some() {
                v.push(id);
            }
        });
        v
    }

    /// The verified pair of two posts' texts, when there is one (`None` for the same text:
    /// see [`CopyState::same_text`]).
    pub fn edge(&self, a: i64, b: i64) -> Option<Edge> {
        let na = self.posts.get(&a)?.node()?;
        let nb = self.posts.get(&b)?.node()?;
        let (a, b) = pair(na, nb);
        self.pairs.get(a, b)
    }

    /// Whether two posts have the same compared text.
    pub fn same_text(&self, a: i64, b: i64) -> bool {
        match (self.posts.get(&a), self.posts.get(&b)) {
            (Some(x), Some(y)) => x.node().is_some() && x.node == y.node,
            _ => false,
        }
    }

    /// Approximate heap bytes of the analysis by part (what a benchmark reports of its memory).
    pub fn heap_bytes(&self) -> Vec<(&'static str, usize)> {
        let mut out = vec![
            ("posts", self.posts.heap_bytes()),
            ("pairs", self.pairs.heap_bytes()),
            ("channels", self.channels.heap_bytes()),
            ("clusters", self.clusters.heap_bytes()),
        ];
        out.extend(self.nodes.heap_bytes());
        out
    }

    /// The state's content in a canonical order, for comparing an update with a rebuild.
    pub fn fingerprint(&self) -> String {
        let mut out = String::new();
        self.clusters.for_each(&mut |c| {
            out.push_str(&format!("{}:{:?}/{:?}\n", c.id, c.posts, c.partial));
        });
        for ((a, b), e) in self.exact_edges() {
            out.push_str(&format!("{:?}={e:?}\n", (a, b)));
        }
        // Each clustered post's cluster as the post's entry has it.
        self.posts.for_each(&mut |id, entry| {
            if let Some(c) = entry.cluster() {
                out.push_str(&format!("{id}>{c}\n"));
            }
        });
        out
    }

    /// The verified pairs by the nodes' exact keys, sorted (what a fingerprint or the saved
    /// file holds: independent of the nodes' numbers).
    fn exact_edges(&self) -> Vec<((u64, u64), Edge)> {
        let mut edges: Vec<((u64, u64), Edge)> = Vec::with_capacity(self.pairs.len());
        self.pairs.for_each(&mut |a, b, e| {
            edges.push((pair(self.nodes.exact(a), self.nodes.exact(b)), *e));
        });
        edges.sort_unstable_by_key(|(k, _)| *k);
        edges
    }
}

/// The clusters of a set of nodes closed under the pairs (every partner of a node of the set
/// is in it), given their pairs: the connected components of the full copies, with the posts
/// that only reuse a part attached to their best partner's (see `docs/copies.md`).
fn clusters_of(
    nodes: &Nodes,
    mut members: Vec<NodeId>,
    pairs: Vec<(NodeId, NodeId, Edge)>,
) -> Vec<Cluster> {
    // Each member's first post and exact key (and whether it has other posts) read once, in
    // the order of their numbers.
    members.sort_unstable();
    let mut keyed: Vec<(i64, u64, NodeId, bool)> = members
        .iter()
        .map(|n| {
            let (first, exact, more) = nodes.first_and_exact(*n);
            (first, exact, *n, more)
        })
        .collect();
    keyed.sort_unstable();
    let members: Vec<NodeId> = keyed.iter().map(|k| k.2).collect();
    let firsts: Vec<i64> = keyed.iter().map(|k| k.0).collect();
    let mores: Vec<bool> = keyed.iter().map(|k| k.3).collect();
    drop(keyed);
    let index: HashMap<NodeId, usize> = members.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let mut uf = UnionFind::new(members.len());
    // The pairs by the members' places (independent of the nodes' numbers).
    let mut edges: Vec<((usize, usize), Edge)> = pairs
        .into_iter()
        .filter_map(|(a, b, e)| Some((pair(*index.get(&a)?, *index.get(&b)?), e)))
        .collect();
    edges.sort_unstable_by_key(|(k, _)| *k);
    for ((i, j), e) in &edges {
        if e.full {
            uf.union(*i, *j);
        }
    }
    // Component sizes in nodes.
    let mut size: HashMap<usize, usize> = HashMap::default();
    for i in 0..members.len() {
        *size.entry(uf.find(i)).or_default() += 1;
    }
    let singleton: Vec<bool> = (0..members.len()).map(|i| size[&uf.find(i)] == 1).collect();
    // Each singleton's best partial partner: the highest containment, then the lowest
    // first post.
    let mut best: HashMap<usize, (usize, f32, i64)> = HashMap::default();
    for ((i, j), e) in &edges {
        if e.full {
            continue;
        }
        for (me, other) in [(*i, *j), (*j, *i)] {
            if !singleton[me] {
                continue;
            }
            let first = firsts[other];
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
        let (first_me, first_other) = (firsts[*me], firsts[*other]);
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
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..members.len() {
        groups.entry(uf.find(i)).or_default().push(i);
    }
    let mut out = Vec::new();
    for group in groups.values() {
        let mut posts: Vec<i64> = Vec::new();
        let mut partial: Vec<i64> = Vec::new();
        for i in group {
            let of_node = nodes.posts_with_first(members[*i], firsts[*i], mores[*i]);
            if attached.contains(i) {
                let from = posts.len();
                posts.extend(of_node);
                partial.extend_from_slice(&posts[from..]);
            } else {
                posts.extend(of_node);
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

/// Sets the clusters of posts (the posts of `changes`, in any order) in one walk of the posts'
/// records, and empties `changes`.
fn set_clusters_in_walk(posts: &mut PostTable, changes: &mut Vec<(i64, i64)>) {
    if changes.is_empty() {
        return;
    }
    changes.sort_unstable();
    let mut of_post = changes.iter().peekable();
    posts.update_each(&mut |id, entry| {
        while of_post.next_if(|(p, _)| *p < id).is_some() {}
        match of_post.next_if(|(p, _)| *p == id) {
            Some((_, c)) if entry.cluster != *c => {
                entry.cluster = *c;
                true
            }
            _ => false,
        }
    });
    changes.clear();
}

/// Bits by node number (those never set read as unset).
#[derive(Debug, Default)]
struct NodeBits(Vec<u64>);

impl NodeBits {
    fn set(&mut self, n: NodeId) {
        let word = n as usize / 64;
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << (n % 64);
    }

    fn get(&self, n: NodeId) -> bool {
        self.0
            .get(n as usize / 64)
            .is_some_and(|w| w & (1 << (n % 64)) != 0)
    }
}

/// The live nodes connected to `seeds` by the pairs (the seeds too), by number, and their
/// pairs, each once.
fn connected(
    pairs: &Pairs,
    nodes: &Nodes,
    seeds: impl IntoIterator<Item = NodeId>,
) -> (Vec<NodeId>, Vec<(NodeId, NodeId, Edge)>) {
    let mut region: HashSet<NodeId> = HashSet::default();
    let mut edges: Vec<(NodeId, NodeId, Edge)> = Vec::new();
    let mut stack: Vec<NodeId> = seeds.into_iter().collect();
    while let Some(n) = stack.pop() {
        // A node met again is not read again.
        if region.contains(&n) || !nodes.is_live(n) {
            continue;
        }
        region.insert(n);
        pairs.for_each_partner(n, &mut |p, e| {
            if n < p {
                edges.push((n, p, *e));
            }
            if !region.contains(&p) {
                stack.push(p);
            }
        });
    }
    let mut region: Vec<NodeId> = region.into_iter().collect();
    region.sort_unstable();
    (region, edges)
}

/// The numbers the copy analysis's tests draw their random steps from (a 64-bit linear
/// congruential generator: the same seed gives the same steps on every machine).
#[cfg(test)]
pub(super) struct TestNumbers(u64);

#[cfg(test)]
impl TestNumbers {
    pub(super) fn new(seed: u64) -> TestNumbers {
        TestNumbers(seed)
    }

    /// The next number, of 31 bits.
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// The next number below `m`.
    pub(super) fn below(&mut self, m: u64) -> u64 {
        self.next() % m
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
