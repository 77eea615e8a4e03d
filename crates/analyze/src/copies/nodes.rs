//! The text nodes of the copy analysis in a dense table: one row per distinct compared text,
//! numbered, with its posts, its LSH band keys and its paragraph hashes.
//!
//! Band keys live in two arenas of fixed-width slots (one for word signatures, one for
//! character signatures), so that a million texts cost a few hundred bytes each, and so that
//! finding the members of a bucket is one pass over contiguous memory. A node's number is an
//! internal handle: nothing that leaves the analysis (clusters, pairs in a fingerprint, the
//! saved file) depends on it.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::{ShingleKind, band_bucket, pairs_of_runs, parallel_map};

/// A node's number in the table.
pub(super) type NodeId = u32;

/// No slot / no post.
const NONE: u32 = u32::MAX;
const NO_POST: i64 = i64::MAX;

/// Slots per block of a [`KeyArena`].
const BLOCK_ROWS: usize = 4096;

/// Fixed-width slots of band keys, reused when freed, in blocks of [`BLOCK_ROWS`] slots (an
/// arena that grows never copies or doubles what it holds).
#[derive(Debug, Clone, Default)]
struct KeyArena {
    blocks: Vec<Box<[u32]>>,
    /// The node of each slot (`NONE` when free).
    owner: Vec<NodeId>,
    free: Vec<u32>,
}

impl KeyArena {
    fn put(&mut self, width: usize, node: NodeId, keys: &[u32]) -> u32 {
        let slot = match self.free.pop() {
            Some(s) => {
                self.owner[s as usize] = node;
                s
            }
            None => {
                let s = self.owner.len();
                if s.is_multiple_of(BLOCK_ROWS) {
                    self.blocks
                        .push(vec![0u32; BLOCK_ROWS * width].into_boxed_slice());
                }
                self.owner.push(node);
                s as u32
            }
        };
        let block = &mut self.blocks[slot as usize / BLOCK_ROWS];
        let at = (slot as usize % BLOCK_ROWS) * width;
        let row = &mut block[at..at + width];
        row.fill(0);
        for (cell, k) in row.iter_mut().zip(keys) {
            *cell = *k;
        }
        slot
    }

    fn release(&mut self, slot: u32) {
        if let Some(o) = self.owner.get_mut(slot as usize) {
            *o = NONE;
            self.free.push(slot);
        }
    }

    fn row(&self, width: usize, slot: u32) -> &[u32] {
        let block = &self.blocks[slot as usize / BLOCK_ROWS];
        let at = (slot as usize % BLOCK_ROWS) * width;
        &block[at..at + width]
    }
}

/// The band keys of every node, taken out of the table for a while ([`Nodes::park_keys`]).
pub(super) struct ParkedKeys {
    /// The blocks of the word arena, then those of the character arena.
    pub(super) blocks: Vec<Box<[u32]>>,
    /// How many of the blocks are the word arena's.
    pub(super) words: usize,
}

/// What is told of each bucket looked up: its key, how many nodes it has, and the nodes when
/// they are listed.
pub(super) type OnBucket<'a, K> = dyn FnMut(K, usize, Option<&[NodeId]>) + 'a;

/// Band buckets to look up, by band: the keys of each band of word and of char shingles.
pub(super) struct WantedBands {
    words: Vec<HashSet<u32>>,
    chars: Vec<HashSet<u32>>,
}

/// Calls `f` for each run of equal keys in `entries` (sorted here): the key, the run's length,
/// and its nodes when there are at most `cap`.
fn for_each_run<K: Ord + Copy>(entries: &mut [(K, NodeId)], cap: usize, f: &mut OnBucket<'_, K>) {
    entries.sort_unstable();
    let mut members: Vec<NodeId> = Vec::new();
    for run in entries.chunk_by(|a, b| a.0 == b.0) {
        let listed = (run.len() <= cap).then(|| {
            members.clear();
            members.extend(run.iter().map(|(_, n)| *n));
            &members[..]
        });
        f(run[0].0, run.len(), listed);
    }
}

/// The text nodes.
#[derive(Debug, Clone, Default)]
pub(super) struct Nodes {
    /// Keys per signature (the number of bands).
    width: usize,
    index: HashMap<u64, NodeId>,
    /// By node: its exact key.
    exact: Vec<u64>,
    /// By node: its lowest post (`NO_POST` when the row is free).
    first: Vec<i64>,
    /// By node: its other posts, ascending (only nodes with more than one post).
    more: HashMap<NodeId, Vec<i64>>,
    /// By node: its slot in `word_keys` / `char_keys` (`NONE` for none).
    word_slot: Vec<u32>,
    char_slot: Vec<u32>,
    word_keys: KeyArena,
    char_keys: KeyArena,
    /// By node: the paragraph hashes of its lowest post, in `paragraph_values`.
    paragraphs: Vec<(u32, u32)>,
    /// Every node's paragraph hashes, one run after another (with the runs of replaced lists
    /// left behind until [`Nodes::compact_paragraphs`]).
    paragraph_values: Vec<u64>,
    /// How many values of `paragraph_values` no node uses.
    paragraph_garbage: usize,
    /// Free rows, reusable.
    free: Vec<NodeId>,
    /// Rows emptied since the last [`Nodes::release_emptied`]: not reused until then, so that a
    /// number held during an update never names another text.
    emptied: Vec<NodeId>,
}

impl Nodes {
    pub(super) fn new(bands: usize) -> Nodes {
        Nodes {
            width: bands.max(1),
            ..Nodes::default()
        }
    }

    /// How many nodes.
    pub(super) fn len(&self) -> usize {
        self.index.len()
    }

    /// The node of an exact key.
    pub(super) fn get(&self, exact: u64) -> Option<NodeId> {
        self.index.get(&exact).copied()
    }

    /// Whether a number names a node now.
    pub(super) fn is_live(&self, id: NodeId) -> bool {
        self.first.get(id as usize).is_some_and(|f| *f != NO_POST)
    }

    /// Every node, in no particular order.
    pub(super) fn ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.first
            .iter()
            .enumerate()
            .filter(|(_, f)| **f != NO_POST)
            .map(|(i, _)| i as NodeId)
    }

    pub(super) fn exact(&self, id: NodeId) -> u64 {
        self.exact[id as usize]
    }

    pub(super) fn first_post(&self, id: NodeId) -> i64 {
        self.first.get(id as usize).copied().unwrap_or(NO_POST)
    }

    /// Its posts, ascending.
    pub(super) fn posts(&self, id: NodeId) -> impl Iterator<Item = i64> + '_ {
        let first = self.first_post(id);
        (first != NO_POST)
            .then_some(first)
            .into_iter()
            .chain(self.more.get(&id).into_iter().flatten().copied())
    }

    pub(super) fn post_count(&self, id: NodeId) -> usize {
        usize::from(self.first_post(id) != NO_POST) + self.more.get(&id).map_or(0, Vec::len)
    }

    pub(super) fn paragraphs(&self, id: NodeId) -> &[u64] {
        self.paragraphs.get(id as usize).map_or(&[], |(at, len)| {
            &self.paragraph_values[*at as usize..(*at + *len) as usize]
        })
    }

    pub(super) fn set_paragraphs(&mut self, id: NodeId, paragraphs: &[u64]) {
        let Some((at, len)) = self.paragraphs.get(id as usize).copied() else {
            return;
        };
        if self.paragraphs(id) == paragraphs {
            return;
        }
        if paragraphs.len() <= len as usize {
            // In place (what is left of the old run is garbage).
            let at = at as usize;
            self.paragraph_values[at..at + paragraphs.len()].copy_from_slice(paragraphs);
            self.paragraph_garbage += len as usize - paragraphs.len();
            self.paragraphs[id as usize].1 = paragraphs.len() as u32;
        } else {
            self.paragraph_garbage += len as usize;
            let at = self.paragraph_values.len() as u32;
            self.paragraph_values.extend_from_slice(paragraphs);
            self.paragraphs[id as usize] = (at, paragraphs.len() as u32);
        }
        if self.paragraph_garbage > 4096 && self.paragraph_garbage * 2 > self.paragraph_values.len()
        {
            self.compact_paragraphs();
        }
    }

    /// Rewrites the paragraph values without the runs no node uses.
    fn compact_paragraphs(&mut self) {
        let mut values = Vec::with_capacity(self.paragraph_values.len() - self.paragraph_garbage);
        for (at, len) in &mut self.paragraphs {
            let start = values.len() as u32;
            values.extend_from_slice(&self.paragraph_values[*at as usize..(*at + *len) as usize]);
            *at = start;
        }
        self.paragraph_values = values;
        self.paragraph_garbage = 0;
    }

    /// The band keys of a kind.
    pub(super) fn band_keys(&self, id: NodeId, kind: ShingleKind) -> Option<&[u32]> {
        let (slot, arena) = match kind {
            ShingleKind::Words => (self.word_slot[id as usize], &self.word_keys),
            ShingleKind::Chars => (self.char_slot[id as usize], &self.char_keys),
        };
        (slot != NONE).then(|| arena.row(self.width, slot))
    }

    /// Its band buckets, as `band_bucket` keys.
    pub(super) fn band_buckets(&self, id: NodeId) -> impl Iterator<Item = u64> + '_ {
        [ShingleKind::Words, ShingleKind::Chars]
            .into_iter()
            .flat_map(move |kind| {
                self.band_keys(id, kind).into_iter().flat_map(move |keys| {
                    keys.iter()
                        .enumerate()
                        .map(move |(band, k)| band_bucket(kind, band, *k))
                })
            })
    }

    /// A new node (no posts yet: [`Nodes::add_post`] gives it its first).
    pub(super) fn insert(
        &mut self,
        exact: u64,
        bands: &[(ShingleKind, Vec<u32>)],
        paragraphs: &[u64],
    ) -> NodeId {
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.exact.push(0);
                self.first.push(NO_POST);
                self.word_slot.push(NONE);
                self.char_slot.push(NONE);
                self.paragraphs.push((0, 0));
                (self.first.len() - 1) as NodeId
            }
        };
        let i = id as usize;
        self.exact[i] = exact;
        self.paragraphs[i] = (0, 0);
        self.set_paragraphs(id, paragraphs);
        for (kind, keys) in bands {
            match kind {
                ShingleKind::Words => {
                    self.word_slot[i] = self.word_keys.put(self.width, id, keys);
                }
                ShingleKind::Chars => {
                    self.char_slot[i] = self.char_keys.put(self.width, id, keys);
                }
            }
        }
        self.index.insert(exact, id);
        id
    }

    /// Adds a post to a node; whether it is now the node's lowest.
    pub(super) fn add_post(&mut self, id: NodeId, post: i64) -> bool {
        let i = id as usize;
        let first = self.first[i];
        if first == NO_POST {
            self.first[i] = post;
            return true;
        }
        if post == first {
            return false;
        }
        let more = self.more.entry(id).or_default();
        if post < first {
            more.insert(0, first);
            self.first[i] = post;
            return true;
        }
        if let Err(at) = more.binary_search(&post) {
            more.insert(at, post);
        }
        false
    }

    /// Takes a post out of a node; a node left without posts is removed (its number is not
    /// reused before [`Nodes::release_emptied`]). Whether the node is gone.
    pub(super) fn remove_post(&mut self, id: NodeId, post: i64) -> bool {
        let i = id as usize;
        if self.first.get(i).is_none_or(|f| *f == NO_POST) {
            return false;
        }
        if self.first[i] == post {
            match self.more.get_mut(&id) {
                Some(more) if !more.is_empty() => {
                    self.first[i] = more.remove(0);
                    if more.is_empty() {
                        self.more.remove(&id);
                    }
                }
                _ => {
                    self.remove(id);
                    return true;
                }
            }
        } else if let Some(more) = self.more.get_mut(&id) {
            more.retain(|p| *p != post);
            if more.is_empty() {
                self.more.remove(&id);
            }
        }
        false
    }

    fn remove(&mut self, id: NodeId) {
        let i = id as usize;
        self.index.remove(&self.exact[i]);
        self.first[i] = NO_POST;
        self.more.remove(&id);
        for (slot, arena) in [
            (&mut self.word_slot[i], &mut self.word_keys),
            (&mut self.char_slot[i], &mut self.char_keys),
        ] {
            if *slot != NONE {
                arena.release(*slot);
                *slot = NONE;
            }
        }
        self.set_paragraphs(id, &[]);
        self.emptied.push(id);
    }

    /// Takes the band keys out (to be written elsewhere while memory is needed for other
    /// work): until [`Nodes::unpark_keys`], no band key may be read.
    pub(super) fn park_keys(&mut self) -> ParkedKeys {
        let words = self.word_keys.blocks.len();
        let mut blocks = std::mem::take(&mut self.word_keys.blocks);
        blocks.append(&mut self.char_keys.blocks);
        ParkedKeys { blocks, words }
    }

    /// Puts parked band keys back.
    pub(super) fn unpark_keys(&mut self, mut parked: ParkedKeys) {
        self.char_keys.blocks = parked.blocks.split_off(parked.words);
        self.word_keys.blocks = parked.blocks;
    }

    /// Approximate heap bytes by part (for benchmarks).
    pub(super) fn heap_bytes(&self) -> Vec<(&'static str, usize)> {
        let slot = |n: usize, each: usize| n * (each + 1);
        vec![
            ("nodes.index", slot(self.index.capacity(), 12)),
            (
                "nodes.rows",
                self.exact.capacity() * 8
                    + self.first.capacity() * 8
                    + self.word_slot.capacity() * 4
                    + self.char_slot.capacity() * 4
                    + self.paragraphs.capacity() * 8,
            ),
            ("nodes.paragraphs", self.paragraph_values.capacity() * 8),
            (
                "nodes.word_keys",
                self.word_keys.blocks.len() * BLOCK_ROWS * self.width * 4
                    + self.word_keys.owner.capacity() * 4,
            ),
            (
                "nodes.char_keys",
                self.char_keys.blocks.len() * BLOCK_ROWS * self.width * 4
                    + self.char_keys.owner.capacity() * 4,
            ),
            ("nodes.more", slot(self.more.capacity(), 28)),
        ]
    }

    /// Makes the rows emptied since the last call reusable.
    pub(super) fn release_emptied(&mut self) {
        self.free.append(&mut self.emptied);
    }

    /// Band buckets (`band_bucket` keys) to look up with [`Nodes::for_each_band_bucket`], by
    /// kind and band.
    pub(super) fn band_buckets_wanted(&self, keys: impl Iterator<Item = u64>) -> WantedBands {
        let mut wanted = WantedBands {
            words: vec![HashSet::default(); self.width],
            chars: vec![HashSet::default(); self.width],
        };
        for bucket in keys {
            let (kind, band) = bucket_band(bucket);
            let sets = match kind {
                ShingleKind::Words => &mut wanted.words,
                ShingleKind::Chars => &mut wanted.chars,
            };
            if let Some(set) = sets.get_mut(band) {
                set.insert(bucket as u32);
            }
        }
        wanted
    }

    /// Calls `f` with each of the band buckets asked for (`wanted`) that has
    /// nodes: its key, how many nodes it has, and the nodes when there are at most `cap` (a hot
    /// bucket, which pairs nothing, may hold most of the archive). The arenas are read a band
    /// at a time, so that no more than one band's members of the buckets asked for are held.
    pub(super) fn for_each_band_bucket(
        &self,
        wanted: &WantedBands,
        cap: usize,
        f: &mut OnBucket<'_, u64>,
    ) {
        for (kind, arena, wanted) in [
            (ShingleKind::Words, &self.word_keys, &wanted.words),
            (ShingleKind::Chars, &self.char_keys, &wanted.chars),
        ] {
            let mut entries: Vec<(u32, NodeId)> = Vec::new();
            for (band, set) in wanted.iter().enumerate() {
                if set.is_empty() {
                    continue;
                }
                entries.clear();
                for (slot, owner) in arena.owner.iter().enumerate() {
                    if *owner == NONE {
                        continue;
                    }
                    let key = arena.row(self.width, slot as u32)[band];
                    if set.contains(&key) {
                        entries.push((key, *owner));
                    }
                }
                for_each_run(&mut entries, cap, &mut |key, count, members| {
                    f(band_bucket(kind, band, key), count, members)
                });
            }
        }
    }

    /// [`Nodes::for_each_band_bucket`] for paragraph hashes: each of `para_keys` that nodes
    /// hold, with how many nodes hold it, and the nodes when there are at most `cap`.
    pub(super) fn for_each_paragraph_bucket(
        &self,
        para_keys: &HashSet<u64>,
        cap: usize,
        f: &mut OnBucket<'_, u64>,
    ) {
        if para_keys.is_empty() {
            return;
        }
        let mut entries: Vec<(u64, NodeId)> = Vec::new();
        for id in 0..self.paragraphs.len() as NodeId {
            for p in self.paragraphs(id) {
                if para_keys.contains(p) {
                    entries.push((*p, id));
                }
            }
        }
        for_each_run(&mut entries, cap, f);
    }

    /// Every candidate pair: nodes sharing a band bucket or a paragraph, in a bucket of at most
    /// `max` nodes. Bands are sorted on every core, one band per thread at a time.
    pub(super) fn candidates(&self, max: usize) -> Vec<(NodeId, NodeId)> {
        let mut found: HashSet<(NodeId, NodeId)> = HashSet::default();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let columns: Vec<(ShingleKind, usize)> = [ShingleKind::Words, ShingleKind::Chars]
            .into_iter()
            .flat_map(|kind| (0..self.width).map(move |band| (kind, band)))
            .collect();
        for group in columns.chunks(threads) {
            let pairs = parallel_map(group, |(kind, band)| {
                let arena = match kind {
                    ShingleKind::Words => &self.word_keys,
                    ShingleKind::Chars => &self.char_keys,
                };
                let mut entries: Vec<(u32, NodeId)> = arena
                    .owner
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| **o != NONE)
                    .map(|(slot, o)| (arena.row(self.width, slot as u32)[*band], *o))
                    .collect();
                let mut out = Vec::new();
                pairs_of_runs(&mut entries, max, &mut out);
                Some(out)
            });
            for p in pairs.into_iter().flatten() {
                found.insert(p);
            }
        }
        let mut paragraphs: Vec<(u64, NodeId)> = (0..self.paragraphs.len() as NodeId)
            .flat_map(|id| self.paragraphs(id).iter().map(move |p| (*p, id)))
            .collect();
        let mut out = Vec::new();
        pairs_of_runs(&mut paragraphs, max, &mut out);
        drop(paragraphs);
        found.extend(out);
        let mut pairs: Vec<(NodeId, NodeId)> = found.into_iter().collect();
        pairs.sort_unstable();
        pairs
    }
}

/// The kind and band of a `band_bucket` key.
fn bucket_band(bucket: u64) -> (ShingleKind, usize) {
    let kind = if bucket >> 63 == 0 {
        ShingleKind::Words
    } else {
        ShingleKind::Chars
    };
    (kind, ((bucket >> 32) & 0x7FFF_FFFF) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_move_between_nodes_and_rows_are_reused_only_after_release() {
        let mut nodes = Nodes::new(2);
        let a = nodes.insert(10, &[(ShingleKind::Words, vec![1, 2])], &[7]);
        assert!(nodes.add_post(a, 5));
        assert!(!nodes.add_post(a, 9));
        assert!(nodes.add_post(a, 3));
        assert_eq!(nodes.posts(a).collect::<Vec<_>>(), vec![3, 5, 9]);
        assert!(!nodes.remove_post(a, 3));
        assert_eq!(nodes.first_post(a), 5);
        assert!(!nodes.remove_post(a, 9));
        assert!(nodes.remove_post(a, 5));
        assert!(!nodes.is_live(a));
        assert_eq!(nodes.get(10), None);
        let b = nodes.insert(11, &[(ShingleKind::Chars, vec![4, 5])], &[]);
        assert_ne!(a, b, "an emptied row waits for the release");
        nodes.release_emptied();
        let c = nodes.insert(12, &[(ShingleKind::Words, vec![1, 3])], &[]);
        assert_eq!(c, a);
        nodes.add_post(b, 1);
        nodes.add_post(c, 2);
        assert_eq!(nodes.band_keys(c, ShingleKind::Words), Some(&[1, 3][..]));
        assert_eq!(nodes.band_keys(c, ShingleKind::Chars), None);
        let want: HashSet<u64> = [band_bucket(ShingleKind::Words, 0, 1)]
            .into_iter()
            .collect();
        let mut found = Vec::new();
        let want = nodes.band_buckets_wanted(want.into_iter());
        nodes.for_each_band_bucket(&want, 10, &mut |key, count, members| {
            found.push((key, count, members.map(<[NodeId]>::to_vec)));
        });
        assert_eq!(
            found,
            vec![(band_bucket(ShingleKind::Words, 0, 1), 1, Some(vec![c]))]
        );
    }

    #[test]
    fn a_bucket_past_its_cap_is_counted_and_lists_no_members() {
        let mut nodes = Nodes::new(2);
        let keys = [(ShingleKind::Words, vec![7, 8])];
        let ids: Vec<NodeId> = (0..5).map(|e| nodes.insert(e, &keys, &[])).collect();
        let want: HashSet<u64> = [
            band_bucket(ShingleKind::Words, 0, 7),
            band_bucket(ShingleKind::Words, 1, 8),
            band_bucket(ShingleKind::Words, 1, 9),
        ]
        .into_iter()
        .collect();
        let want = nodes.band_buckets_wanted(want.into_iter());
        let buckets = |cap: usize| {
            let mut found = Vec::new();
            nodes.for_each_band_bucket(&want, cap, &mut |key, count, members| {
                found.push((key, count, members.map(<[NodeId]>::to_vec)));
            });
            found.sort();
            found
        };
        assert_eq!(
            buckets(5),
            vec![
                (band_bucket(ShingleKind::Words, 0, 7), 5, Some(ids.clone())),
                (band_bucket(ShingleKind::Words, 1, 8), 5, Some(ids.clone())),
            ],
            "a key no node holds is not reported"
        );
        assert_eq!(
            buckets(4),
            vec![
                (band_bucket(ShingleKind::Words, 0, 7), 5, None),
                (band_bucket(ShingleKind::Words, 1, 8), 5, None),
            ]
        );
    }
}
