//! The text nodes of the copy analysis in a dense table: one row per distinct compared text,
//! numbered, with its posts, its LSH band keys and its paragraph hashes.
//!
//! A text's row ([`NodeRow`]: its exact key, lowest post, key slots and paragraph run) is in a
//! [`Rows`] table; its band keys live in two arenas of fixed-width slots (one for word
//! signatures, one for character signatures), each slot's row beginning with its node, and
//! paragraph hashes in one run after another, so that finding the members of the buckets an
//! update asks for is one pass over each. Once the table is given a folder for scratch files
//! ([`Nodes::keep_keys_on_file`]), all of them live in unnamed files there, with a block of
//! each (and the blocks of rows read last) in memory, and so does the index of the texts'
//! exact keys (a [`super::sorted_records::ExactIndex`]): the table then holds only the other
//! posts of texts with more than one, and free rows. A node's number is an internal handle:
//! nothing that leaves the analysis (clusters, pairs in a fingerprint, the saved file) depends
//! on it.

use std::path::{Path, PathBuf};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::candidates::CandidatePairs;
use super::rows::{Row, Rows};
use super::runs::Runs;
use super::scratch::Scratch;
use super::sorted_records::{ExactIndex, SortedRecords, i64_at, u32_at};
use super::{ShingleKind, band_bucket, pairs_of_runs};
use crate::parallel::parallel_map_owned;
use rayon::slice::ParallelSliceMut;

/// A node's number in the table.
pub(super) type NodeId = u32;

/// No slot / no post.
pub(super) const NONE: u32 = u32::MAX;
const NO_POST: i64 = i64::MAX;

/// Keys held at once while the candidates are found ([`Nodes::candidates`]): 32 MiB of band
/// keys, 64 MiB of paragraph hashes.
const CANDIDATE_ENTRIES: usize = 1 << 22;

/// Slots per block of a [`KeyArena`].
const BLOCK_ROWS: usize = 4096;

/// Fixed-width slots of band keys, reused when freed, in blocks of `block_rows` slots (an
/// arena that grows never copies or doubles what it holds). A slot's row is its node (`NONE`
/// when the slot is free) and then its `width` keys.
///
/// The blocks are in memory until [`KeyArena::keep_on_file`] gives the arena an unnamed scratch
/// file: from then on every full block is written there and only the block being filled stays
/// in memory, so that the keys of a large archive are not held by the process but read back
/// (from the system's page cache, most of the time) when an update looks for the members of its
/// buckets or a save writes them out.
#[derive(Debug)]
struct KeyArena {
    /// Slots per block.
    block_rows: usize,
    /// The blocks; those before `on_file` are in the file, and empty here.
    blocks: Vec<Box<[u32]>>,
    on_file: usize,
    file: Scratch,
    /// How many slots (free or not).
    slots: usize,
    free: Vec<u32>,
}

impl Default for KeyArena {
    fn default() -> KeyArena {
        KeyArena {
            block_rows: BLOCK_ROWS,
            blocks: Vec::new(),
            on_file: 0,
            file: Scratch::new("band keys'"),
            slots: 0,
            free: Vec::new(),
        }
    }
}

impl KeyArena {
    /// Where a slot's row starts in the file, in bytes (a row is the node and `width` keys).
    fn offset(&self, width: usize, slot: u32) -> u64 {
        (slot as u64) * (width as u64 + 1) * 4
    }

    /// How many slots are used.
    fn used(&self) -> usize {
        self.slots - self.free.len()
    }

    fn put(&mut self, width: usize, node: NodeId, keys: &[u32]) -> u32 {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                let s = self.slots;
                if s.is_multiple_of(self.block_rows) {
                    self.spill_full_blocks(width);
                    self.blocks
                        .push(vec![0u32; self.block_rows * (width + 1)].into_boxed_slice());
                }
                self.slots += 1;
                s as u32
            }
        };
        let mut row = vec![0u32; width + 1];
        row[0] = node;
        for (cell, k) in row[1..].iter_mut().zip(keys) {
            *cell = *k;
        }
        self.write_row(width, slot, &row);
        slot
    }

    /// Writes a slot's row (its node and keys, or only its node).
    fn write_row(&mut self, width: usize, slot: u32, row: &[u32]) {
        let block = slot as usize / self.block_rows;
        if block < self.on_file {
            self.file.write(&le_bytes(row), self.offset(width, slot));
            return;
        }
        let at = (slot as usize % self.block_rows) * (width + 1);
        self.blocks[block][at..at + row.len()].copy_from_slice(row);
    }

    /// Writes the full blocks held in memory out to the file (when there is one). A block that
    /// cannot be written stays in memory.
    fn spill_full_blocks(&mut self, width: usize) {
        if !self.file.is_open() {
            return;
        }
        let full = self.slots / self.block_rows;
        while self.on_file < full {
            let b = self.on_file;
            let at = self.offset(width, (b * self.block_rows) as u32);
            if !self.file.write(&le_bytes(&self.blocks[b]), at) {
                return;
            }
            self.blocks[b] = Box::default();
            self.on_file += 1;
        }
    }

    /// Keeps the full blocks in `file` from now on (those held so far are written at once).
    fn keep_on_file(&mut self, width: usize, file: std::fs::File) {
        self.file.open(file);
        self.spill_full_blocks(width);
    }

    fn release(&mut self, width: usize, slot: u32) {
        if (slot as usize) < self.slots {
            self.write_row(width, slot, &[NONE]);
            self.free.push(slot);
        }
    }

    fn row(&self, width: usize, slot: u32) -> Vec<u32> {
        let block = slot as usize / self.block_rows;
        if block >= self.on_file {
            let at = (slot as usize % self.block_rows) * (width + 1);
            return self.blocks[block][at + 1..at + 1 + width].to_vec();
        }
        let mut bytes = vec![0u8; width * 4];
        self.file.read(&mut bytes, self.offset(width, slot) + 4);
        u32s_from_le(&bytes).collect()
    }

    /// The keys of `slots` (`NONE`: none, left zeros), one row after another in the order
    /// given: read in the order they are stored, each block of the file once.
    fn gather(&self, width: usize, slots: &[u32]) -> Vec<u32> {
        let stride = width + 1;
        let mut out = vec![0u32; slots.len() * width];
        let mut order: Vec<(u32, usize)> = slots
            .iter()
            .enumerate()
            .filter(|(_, s)| **s != NONE)
            .map(|(i, s)| (*s, i))
            .collect();
        order.sort_unstable();
        let mut bytes: Vec<u8> = Vec::new();
        let mut held: (usize, Vec<u32>) = (usize::MAX, Vec::new());
        for (slot, i) in order {
            let b = slot as usize / self.block_rows;
            let at = (slot as usize % self.block_rows) * stride;
            let row: &[u32] = if b >= self.on_file {
                &self.blocks[b][at + 1..at + stride]
            } else {
                if held.0 != b {
                    bytes.resize(self.block_rows * stride * 4, 0);
                    let first = (b * self.block_rows) as u32;
                    self.file.read(&mut bytes, self.offset(width, first));
                    held.1.clear();
                    held.1.extend(u32s_from_le(&bytes));
                    held.0 = b;
                }
                &held.1[at + 1..at + stride]
            };
            out[i * width..(i + 1) * width].copy_from_slice(row);
        }
        out
    }

    /// Calls `f` with every used slot's node and keys, a block at a time (blocks in the file
    /// are read one after another).
    fn for_each_row(&self, width: usize, f: &mut dyn FnMut(NodeId, &[u32])) {
        let stride = width + 1;
        let mut bytes: Vec<u8> = Vec::new();
        let mut values: Vec<u32> = Vec::new();
        for (b, block) in self.blocks.iter().enumerate() {
            let first = b * self.block_rows;
            let count = self.block_rows.min(self.slots - first);
            let rows: &[u32] = if b < self.on_file {
                bytes.resize(self.block_rows * stride * 4, 0);
                if !self.file.read(&mut bytes, self.offset(width, first as u32)) {
                    continue;
                }
                values.clear();
                values.extend(u32s_from_le(&bytes));
                &values
            } else {
                block
            };
            for row in rows.chunks_exact(stride).take(count) {
                if row[0] != NONE {
                    f(row[0], &row[1..]);
                }
            }
        }
    }

    /// Bytes held in memory.
    fn heap_bytes(&self, width: usize) -> usize {
        (self.blocks.len() - self.on_file) * self.block_rows * (width + 1) * 4
            + self.blocks.capacity() * std::mem::size_of::<Box<[u32]>>()
            + self.free.capacity() * 4
    }
}

/// Reads little-endian `u64`s.
pub(super) fn u64s_from_le(bytes: &[u8]) -> impl Iterator<Item = u64> + '_ {
    bytes
        .chunks_exact(8)
        .map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
}

/// Reads little-endian `u32`s.
pub(super) fn u32s_from_le(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Writes little-endian `u32`s.
pub(super) fn le_bytes(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Paragraph hashes of some nodes, gathered in one block ([`Nodes::gather_paragraphs`]).
#[derive(Debug, Default)]
pub(super) struct GatheredParagraphs {
    values: Vec<u64>,
    range: HashMap<NodeId, (u32, u32)>,
}

impl GatheredParagraphs {
    /// A node's hashes (none when it was not gathered or has none).
    pub(super) fn get(&self, id: NodeId) -> &[u64] {
        self.range.get(&id).map_or(&[], |(at, len)| {
            &self.values[*at as usize..(*at + *len) as usize]
        })
    }
}

/// What is told of each bucket looked up: its key, how many nodes it has, and the nodes when
/// they are listed.
pub(super) type OnBucket<'a, K> = dyn FnMut(K, usize, Option<&[NodeId]>) + 'a;

/// What is told of each text read back for a save: its number, its band keys of words and of
/// characters (when it has them), and its paragraph hashes.
pub(super) type OnStored<'a> = dyn FnMut(NodeId, Option<&[u32]>, Option<&[u32]>, &[u64]) + 'a;

/// Band buckets to look up, by band: the keys of each band of word and of char shingles.
pub(super) struct WantedBands {
    words: Vec<HashSet<u32>>,
    chars: Vec<HashSet<u32>>,
}

/// Buckets looked up in one pass over the nodes: each key's count and, while it is within the
/// cap, its nodes (past it a bucket's members are only counted, so that no more than `cap` + 1
/// members of a bucket are held).
struct Buckets<K> {
    cap: usize,
    found: HashMap<K, (usize, Vec<NodeId>)>,
}

impl<K: std::hash::Hash + Ord + Copy> Buckets<K> {
    fn new(cap: usize) -> Buckets<K> {
        Buckets {
            cap,
            found: HashMap::default(),
        }
    }

    fn add(&mut self, key: K, node: NodeId) {
        let (count, members) = self.found.entry(key).or_default();
        *count += 1;
        if *count <= self.cap {
            members.push(node);
        } else if !members.is_empty() {
            *members = Vec::new();
        }
    }

    /// Calls `f` for each bucket, by key: its key, its count, and its nodes (ascending) when
    /// within the cap.
    fn report(self, f: &mut OnBucket<'_, K>) {
        let mut found: Vec<(K, (usize, Vec<NodeId>))> = self.found.into_iter().collect();
        found.sort_unstable_by_key(|(key, _)| *key);
        for (key, (count, mut members)) in found {
            let listed = (count <= self.cap).then(|| {
                members.sort_unstable();
                &members[..]
            });
            f(key, count, listed);
        }
    }
}

/// An exact key as the key of the [`ExactIndex`]: its order kept (so that a load, which files
/// the texts by exact key, appends).
fn index_key(exact: u64) -> i64 {
    (exact ^ (1 << 63)) as i64
}

/// A text's row of the table: its exact key, its lowest post, its slots of band keys, and the
/// run of its paragraph hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct NodeRow {
    exact: u64,
    /// `NO_POST` when the row is free.
    first: i64,
    /// Its slot in `word_keys` / `char_keys` (`NONE` for none).
    word_slot: u32,
    char_slot: u32,
    /// Where its paragraph hashes start in `paragraph_values`, and how many.
    paragraphs: (u32, u32),
    /// How many posts it has besides the lowest (in [`MorePosts`]).
    more: u32,
}

impl NodeRow {
    const FREE: NodeRow = NodeRow {
        exact: 0,
        first: NO_POST,
        word_slot: NONE,
        char_slot: NONE,
        paragraphs: (0, 0),
        more: 0,
    };

    fn is_live(&self) -> bool {
        self.first != NO_POST
    }
}

impl Row for NodeRow {
    const BYTES: usize = 36;

    fn write_to(&self, out: &mut [u8]) {
        out[0..8].copy_from_slice(&self.exact.to_le_bytes());
        out[8..16].copy_from_slice(&self.first.to_le_bytes());
        out[16..20].copy_from_slice(&self.word_slot.to_le_bytes());
        out[20..24].copy_from_slice(&self.char_slot.to_le_bytes());
        out[24..28].copy_from_slice(&self.paragraphs.0.to_le_bytes());
        out[28..32].copy_from_slice(&self.paragraphs.1.to_le_bytes());
        out[32..36].copy_from_slice(&self.more.to_le_bytes());
    }

    fn read_from(bytes: &[u8]) -> NodeRow {
        NodeRow {
            exact: i64_at(bytes, 0) as u64,
            first: i64_at(bytes, 8),
            word_slot: u32_at(bytes, 16),
            char_slot: u32_at(bytes, 20),
            paragraphs: (u32_at(bytes, 24), u32_at(bytes, 28)),
            more: u32_at(bytes, 32),
        }
    }
}

/// The posts of texts with more than one, besides each text's lowest (which is in its row):
/// sorted records keyed by the text's node and the post, so that a text's posts are one range
/// of keys (in a scratch file with the rest of the table's parts). A post whose id does not fit
/// in 32 bits (none of an archive numbered from 1 with fewer than four billion posts) is kept
/// in memory instead.
#[derive(Debug)]
struct MorePosts {
    /// `true` for a post of the node; a removed one is left `false`.
    table: SortedRecords<bool>,
    /// Posts outside `0..2^32`, by node, ascending.
    wide: HashMap<NodeId, Vec<i64>>,
}

impl Default for MorePosts {
    fn default() -> MorePosts {
        MorePosts {
            table: SortedRecords::new("texts' other posts'"),
            wide: HashMap::default(),
        }
    }
}

/// A post's key under its node (keys in the order of the nodes, then of the posts); `None` for
/// a post outside `0..2^32`.
fn more_key(node: NodeId, post: i64) -> Option<i64> {
    let post = u32::try_from(post).ok()?;
    Some(((u64::from(node ^ (1 << 31)) << 32) | u64::from(post)) as i64)
}

impl MorePosts {
    /// Files a post of a node; whether it is new.
    fn insert(&mut self, node: NodeId, post: i64) -> bool {
        let Some(key) = more_key(node, post) else {
            let wide = self.wide.entry(node).or_default();
            return match wide.binary_search(&post) {
                Ok(_) => false,
                Err(at) => {
                    wide.insert(at, post);
                    true
                }
            };
        };
        let place = self.table.place(key);
        if place.value() == Some(&true) {
            return false;
        }
        self.table.put(key, true, &place);
        true
    }

    /// Takes a post of a node out; whether it was there.
    fn remove(&mut self, node: NodeId, post: i64) -> bool {
        let Some(key) = more_key(node, post) else {
            let Some(wide) = self.wide.get_mut(&node) else {
                return false;
            };
            let before = wide.len();
            wide.retain(|p| *p != post);
            let removed = wide.len() < before;
            if wide.is_empty() {
                self.wide.remove(&node);
            }
            return removed;
        };
        if self.table.get(&key) != Some(true) {
            return false;
        }
        self.table.remove(key, false);
        true
    }

    /// A node's posts, ascending.
    fn posts(&self, node: NodeId) -> Vec<i64> {
        let mut posts: Vec<i64> = self.wide.get(&node).cloned().unwrap_or_default();
        let (from, to) = (more_key(node, 0), more_key(node, u32::MAX.into()));
        if let (Some(from), Some(to)) = (from, to) {
            self.table.for_each_in(from, to, &mut |key, there| {
                if *there {
                    posts.push(i64::from(key as u32));
                }
            });
        }
        posts.sort_unstable();
        posts
    }

    fn heap_bytes(&self) -> usize {
        self.table.heap_bytes()
            + self.wide.capacity() * 28
            + self.wide.values().map(|v| v.capacity() * 8).sum::<usize>()
    }
}

/// Texts whose paragraph runs are read together by a walk of every text's paragraphs.
const PARAGRAPH_WALK_TEXTS: usize = 1 << 16;

/// The text nodes.
#[derive(Debug)]
pub(super) struct Nodes {
    /// Keys per signature (the number of bands).
    width: usize,
    /// By exact key: its node.
    index: ExactIndex,
    /// How many nodes.
    count: usize,
    /// By node: its row.
    rows: Rows<NodeRow>,
    /// By node: its other posts (only nodes with more than one post).
    more: MorePosts,
    word_keys: KeyArena,
    char_keys: KeyArena,
    /// Every node's paragraph hashes, one run after another.
    paragraph_values: Runs,
    /// Free rows, reusable.
    free: Vec<NodeId>,
    /// Rows emptied since the last [`Nodes::release_emptied`]: not reused until then, so that a
    /// number held during an update never names another text.
    emptied: Vec<NodeId>,
    /// Where the band keys' scratch files are ([`Nodes::keep_keys_on_file`]).
    scratch: Option<PathBuf>,
    /// Keys held at once while the candidates are found ([`CANDIDATE_ENTRIES`]).
    candidate_entries: usize,
}

impl Nodes {
    pub(super) fn new(bands: usize) -> Nodes {
        Nodes {
            width: bands.max(1),
            index: ExactIndex::new("exact keys'"),
            count: 0,
            rows: Rows::new("text rows'"),
            more: MorePosts::default(),
            word_keys: KeyArena::default(),
            char_keys: KeyArena::default(),
            paragraph_values: Runs::new("paragraph hashes'"),
            free: Vec::new(),
            emptied: Vec::new(),
            scratch: None,
            candidate_entries: CANDIDATE_ENTRIES,
        }
    }

    /// How many nodes.
    pub(super) fn len(&self) -> usize {
        self.count
    }

    /// The node of an exact key.
    pub(super) fn get(&self, exact: u64) -> Option<NodeId> {
        self.index.get(&index_key(exact)).filter(|n| *n != NONE)
    }

    /// A node's row (a free row for a number past the table's).
    fn row(&self, id: NodeId) -> NodeRow {
        if (id as usize) < self.rows.len() {
            self.rows.get(id as usize)
        } else {
            NodeRow::FREE
        }
    }

    /// Whether a number names a node now.
    pub(super) fn is_live(&self, id: NodeId) -> bool {
        self.row(id).is_live()
    }

    /// Calls `f` with every node and whether it has more than one post, by number.
    pub(super) fn for_each_node(&self, f: &mut dyn FnMut(NodeId, bool)) {
        self.rows.for_each(&mut |i, row| {
            if row.is_live() {
                let id = i as NodeId;
                f(id, row.more > 0);
            }
        });
    }

    /// Calls `f` with every node, by exact key.
    pub(super) fn for_each_by_exact(&self, f: &mut dyn FnMut(u64, NodeId)) {
        self.index.for_each(&mut |key, node| {
            if *node != NONE {
                f(key as u64 ^ (1 << 63), *node);
            }
        });
    }

    pub(super) fn exact(&self, id: NodeId) -> u64 {
        self.row(id).exact
    }

    pub(super) fn first_post(&self, id: NodeId) -> i64 {
        self.row(id).first
    }

    /// Its lowest post, exact key, and whether it has other posts (one read of its row).
    pub(super) fn first_and_exact(&self, id: NodeId) -> (i64, u64, bool) {
        let row = self.row(id);
        (row.first, row.exact, row.more > 0)
    }

    /// Its posts, ascending.
    pub(super) fn posts(&self, id: NodeId) -> Vec<i64> {
        let row = self.row(id);
        self.posts_with_first(id, row.first, row.more > 0)
    }

    /// [`Nodes::posts`] of a node whose lowest post, and whether it has others, the caller has
    /// read ([`Nodes::first_and_exact`]).
    pub(super) fn posts_with_first(&self, id: NodeId, first: i64, more: bool) -> Vec<i64> {
        if first == NO_POST {
            return Vec::new();
        }
        let mut posts = vec![first];
        if more {
            posts.extend(self.more.posts(id));
        }
        posts
    }

    pub(super) fn post_count(&self, id: NodeId) -> usize {
        let row = self.row(id);
        usize::from(row.is_live()) + row.more as usize
    }

    pub(super) fn paragraphs(&self, id: NodeId) -> Vec<u64> {
        self.paragraph_values.read(self.row(id).paragraphs)
    }

    /// Calls `f` with every node's paragraph hashes (nodes without any left out): the runs of
    /// a few thousand nodes at a time, in the order the scratch file holds them.
    fn for_each_paragraph_run(&self, f: &mut dyn FnMut(NodeId, &[u64])) {
        let mut ids: Vec<NodeId> = Vec::new();
        let mut runs: Vec<(u32, u32)> = Vec::new();
        let values = &self.paragraph_values;
        let mut read = |ids: &mut Vec<NodeId>, runs: &mut Vec<(u32, u32)>| {
            values.for_each_run(runs, &mut |i, hashes| f(ids[i], hashes));
            ids.clear();
            runs.clear();
        };
        self.rows.for_each(&mut |i, row| {
            if row.is_live() && row.paragraphs.1 > 0 {
                ids.push(i as NodeId);
                runs.push(row.paragraphs);
                if ids.len() == PARAGRAPH_WALK_TEXTS {
                    read(&mut ids, &mut runs);
                }
            }
        });
        read(&mut ids, &mut runs);
    }

    /// Calls `f` for each of `ids`, in their order, with its band keys of words and of
    /// characters and its paragraph hashes: read a few thousand texts at a time, each chunk in
    /// the order the scratch files hold them (a save reads every text this way).
    pub(super) fn for_each_stored(&self, ids: &[NodeId], f: &mut OnStored<'_>) {
        let width = self.width;
        for chunk in ids.chunks(1 << 16) {
            let rows: Vec<NodeRow> = chunk.iter().map(|id| self.row(*id)).collect();
            let word_slots: Vec<u32> = rows.iter().map(|r| r.word_slot).collect();
            let char_slots: Vec<u32> = rows.iter().map(|r| r.char_slot).collect();
            drop(rows);
            let words = self.word_keys.gather(width, &word_slots);
            let chars = self.char_keys.gather(width, &char_slots);
            let paragraphs = self.gather_paragraphs(chunk);
            for (i, id) in chunk.iter().enumerate() {
                let at = i * width..(i + 1) * width;
                let word_row = (word_slots[i] != NONE).then(|| &words[at.clone()]);
                let char_row = (char_slots[i] != NONE).then(|| &chars[at]);
                f(*id, word_row, char_row, paragraphs.get(*id));
            }
        }
    }

    /// The paragraph hashes of these nodes, read in the order they are stored.
    pub(super) fn gather_paragraphs(&self, ids: &[NodeId]) -> GatheredParagraphs {
        let runs: Vec<(u32, u32)> = ids.iter().map(|id| self.row(*id).paragraphs).collect();
        let mut gathered = GatheredParagraphs::default();
        gathered
            .values
            .reserve_exact(runs.iter().map(|(_, len)| *len as usize).sum());
        self.paragraph_values.for_each_run(&runs, &mut |i, values| {
            let at = gathered.values.len() as u32;
            gathered.values.extend_from_slice(values);
            gathered.range.insert(ids[i], (at, values.len() as u32));
        });
        gathered
    }

    pub(super) fn set_paragraphs(&mut self, id: NodeId, paragraphs: &[u64]) {
        if id as usize >= self.rows.len() {
            return;
        }
        let mut row = self.rows.get(id as usize);
        if self.paragraph_values.read(row.paragraphs) == paragraphs {
            return;
        }
        row.paragraphs = self.paragraph_values.replace(row.paragraphs, paragraphs);
        self.rows.set(id as usize, row);
        if self.paragraph_values.wants_compaction() {
            // Rewritten without the runs no node uses (every node's run taken out of its row,
            // and put back where it moved).
            let mut runs: Vec<(u32, u32)> = Vec::with_capacity(self.rows.len());
            self.rows.for_each(&mut |_, row| runs.push(row.paragraphs));
            self.paragraph_values.compact(&mut runs);
            for (i, run) in runs.into_iter().enumerate() {
                let mut row = self.rows.get(i);
                if row.paragraphs != run {
                    row.paragraphs = run;
                    self.rows.set(i, row);
                }
            }
        }
    }

    /// From now on, keeps the texts' rows, the band keys, the paragraph hashes and the
    /// exact-key index in unnamed scratch files in `dir` (removed when the table is dropped,
    /// however the process ends), with only a block of each in memory (and the blocks of rows
    /// read last); those held so far are written there at once.
    pub(super) fn keep_keys_on_file(&mut self, dir: &Path) -> std::io::Result<()> {
        if self.scratch.is_some() {
            return Ok(());
        }
        let (words, chars) = (tempfile::tempfile_in(dir)?, tempfile::tempfile_in(dir)?);
        let paragraphs = tempfile::tempfile_in(dir)?;
        let index = tempfile::tempfile_in(dir)?;
        let rows = tempfile::tempfile_in(dir)?;
        self.word_keys.keep_on_file(self.width, words);
        self.char_keys.keep_on_file(self.width, chars);
        self.paragraph_values.keep_on_file(paragraphs);
        self.index.keep_on_file(index, dir);
        self.more
            .table
            .keep_on_file(tempfile::tempfile_in(dir)?, dir);
        self.rows.keep_on_file(rows);
        self.scratch = Some(dir.to_path_buf());
        Ok(())
    }

    /// Blocks of `rows` texts' band keys instead of 4,096, and at most `rows` paragraph hashes
    /// in memory past their file (instead of 65,536) with compactions from `rows` unused ones
    /// (instead of 4,096), blocks of `rows` exact keys merged `rows` at a time, and candidates
    /// found `64 × rows` keys at a time, on a table that holds none yet (so that a test's small
    /// table keeps most of them in its scratch files, compacts them, and finds its candidates in
    /// several passes); `false` when it already holds some.
    pub(super) fn set_key_block_rows(&mut self, rows: usize) -> bool {
        let arenas = [&mut self.word_keys, &mut self.char_keys];
        if rows == 0 || arenas.iter().any(|a| a.slots > 0) {
            return false;
        }
        if !self.paragraph_values.set_tail_values(rows)
            || !self.index.set_block_rows(rows)
            || !self.rows.set_block_rows(rows)
            || !self.more.table.set_block_rows(rows)
        {
            return false;
        }
        for arena in arenas {
            arena.block_rows = rows;
        }
        self.candidate_entries = rows * 64;
        true
    }

    /// The first failure to read or write the scratch files, with their folder: what could not
    /// be read was taken as zeros, so the table must not be used.
    pub(super) fn scratch_failure(&self) -> Option<(PathBuf, String)> {
        let failed = [&self.word_keys.file, &self.char_keys.file]
            .into_iter()
            .find_map(Scratch::failure)
            .or_else(|| self.paragraph_values.failure())
            .or_else(|| self.rows.failure());
        match failed {
            Some(failed) => Some((self.scratch.clone().unwrap_or_default(), failed.clone())),
            None => self
                .index
                .scratch_failure()
                .or_else(|| self.more.table.scratch_failure()),
        }
    }

    /// The band keys of a kind.
    pub(super) fn band_keys(&self, id: NodeId, kind: ShingleKind) -> Option<Vec<u32>> {
        let row = self.row(id);
        let (slot, arena) = match kind {
            ShingleKind::Words => (row.word_slot, &self.word_keys),
            ShingleKind::Chars => (row.char_slot, &self.char_keys),
        };
        (slot != NONE).then(|| arena.row(self.width, slot))
    }

    /// Its band buckets, as `band_bucket` keys.
    pub(super) fn band_buckets(&self, id: NodeId) -> Vec<u64> {
        let mut out = Vec::new();
        for kind in [ShingleKind::Words, ShingleKind::Chars] {
            if let Some(keys) = self.band_keys(id, kind) {
                out.extend(
                    keys.iter()
                        .enumerate()
                        .map(|(band, k)| band_bucket(kind, band, *k)),
                );
            }
        }
        out
    }

    /// The node of `exact`: a new one (no posts yet: [`Nodes::add_post`] gives it its first)
    /// as `Ok`, or the one the table has as `Err` (the index looked up once either way).
    pub(super) fn get_or_insert(
        &mut self,
        exact: u64,
        bands: &[(ShingleKind, Vec<u32>)],
        paragraphs: &[u64],
    ) -> Result<NodeId, NodeId> {
        let key = index_key(exact);
        let place = self.index.place(key);
        if let Some(node) = place.value().filter(|n| **n != NONE) {
            return Err(*node);
        }
        let id = match self.free.pop() {
            Some(id) => id,
            None => self.rows.push(NodeRow::FREE) as NodeId,
        };
        let mut row = NodeRow {
            exact,
            ..NodeRow::FREE
        };
        for (kind, keys) in bands {
            match kind {
                ShingleKind::Words => row.word_slot = self.word_keys.put(self.width, id, keys),
                ShingleKind::Chars => row.char_slot = self.char_keys.put(self.width, id, keys),
            }
        }
        self.rows.set(id as usize, row);
        self.set_paragraphs(id, paragraphs);
        self.index.put(key, id, &place);
        self.count += 1;
        Ok(id)
    }

    /// Adds a post to a node; whether it is now the node's lowest.
    pub(super) fn add_post(&mut self, id: NodeId, post: i64) -> bool {
        let i = id as usize;
        let mut row = self.rows.get(i);
        if row.first == NO_POST {
            row.first = post;
            self.rows.set(i, row);
            return true;
        }
        if post == row.first {
            return false;
        }
        let lowest = post < row.first;
        let other = if lowest { row.first } else { post };
        if self.more.insert(id, other) {
            row.more += 1;
        }
        if lowest {
            row.first = post;
        }
        self.rows.set(i, row);
        lowest
    }

    /// Takes a post out of a node; a node left without posts is removed (its number is not
    /// reused before [`Nodes::release_emptied`]). Whether the node is gone.
    pub(super) fn remove_post(&mut self, id: NodeId, post: i64) -> bool {
        let i = id as usize;
        let mut row = self.row(id);
        if !row.is_live() {
            return false;
        }
        if row.first == post {
            if row.more == 0 {
                self.remove(id, row);
                return true;
            }
            // The next lowest takes its place.
            let next = self.more.posts(id).first().copied().unwrap_or(NO_POST);
            self.more.remove(id, next);
            row.first = next;
            row.more -= 1;
            self.rows.set(i, row);
        } else if row.more > 0 && self.more.remove(id, post) {
            row.more -= 1;
            self.rows.set(i, row);
        }
        false
    }

    fn remove(&mut self, id: NodeId, row: NodeRow) {
        self.index.remove(index_key(row.exact), NONE);
        self.count -= 1;
        for post in self.more.posts(id) {
            self.more.remove(id, post);
        }
        let width = self.width;
        for (slot, arena) in [
            (row.word_slot, &mut self.word_keys),
            (row.char_slot, &mut self.char_keys),
        ] {
            if slot != NONE {
                arena.release(width, slot);
            }
        }
        // Its paragraphs become garbage; the row is free.
        self.set_paragraphs(id, &[]);
        let mut row = self.rows.get(id as usize);
        row.first = NO_POST;
        row.word_slot = NONE;
        row.char_slot = NONE;
        row.more = 0;
        self.rows.set(id as usize, row);
        self.emptied.push(id);
    }

    /// Approximate heap bytes by part (for benchmarks).
    pub(super) fn heap_bytes(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("nodes.index", self.index.heap_bytes()),
            ("nodes.rows", self.rows.heap_bytes()),
            ("nodes.paragraphs", self.paragraph_values.heap_bytes()),
            ("nodes.word_keys", self.word_keys.heap_bytes(self.width)),
            ("nodes.char_keys", self.char_keys.heap_bytes(self.width)),
            ("nodes.more", self.more.heap_bytes()),
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

    /// Calls `f` with each of the band buckets asked for (`wanted`) that has nodes: its key,
    /// how many nodes it has, and its nodes (ascending) when there are at most `cap`. A hot
    /// bucket, which pairs nothing, may hold most of the archive: past `cap` its members are
    /// only counted, so that no more than `cap` + 1 members of a bucket are ever held. Each
    /// arena is read once.
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
            let bands: Vec<usize> = (0..wanted.len())
                .filter(|b| !wanted[*b].is_empty())
                .collect();
            if bands.is_empty() {
                continue;
            }
            let mut found: Vec<Buckets<u32>> =
                (0..wanted.len()).map(|_| Buckets::new(cap)).collect();
            arena.for_each_row(self.width, &mut |node, row| {
                for band in &bands {
                    let key = row[*band];
                    if wanted[*band].contains(&key) {
                        found[*band].add(key, node);
                    }
                }
            });
            for (band, buckets) in found.into_iter().enumerate() {
                buckets.report(&mut |key, count, members| {
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
        let mut found: Buckets<u64> = Buckets::new(cap);
        self.for_each_paragraph_run(&mut |id, values| {
            for p in values {
                if para_keys.contains(p) {
                    found.add(*p, id);
                }
            }
        });
        found.report(f);
    }

    /// Every candidate pair: nodes sharing a band bucket or a paragraph, in a bucket of at most
    /// `max` nodes, handed to `out` (with repeats, in no order). Bands are sorted on every
    /// core, one band per thread at a time (the columns of as many bands as there are threads
    /// taken in one read of their arena). At most about [`CANDIDATE_ENTRIES`] keys are held at
    /// once: past that, a group of bands, or the paragraphs, are taken in several passes, each
    /// over a share of the keys.
    pub(super) fn candidates(&self, max: usize, out: &mut CandidatePairs) {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let bands: Vec<usize> = (0..self.width).collect();
        for arena in [&self.word_keys, &self.char_keys] {
            let rows = arena.used();
            for group in bands.chunks(threads) {
                let passes = (rows * group.len()).div_ceil(self.candidate_entries).max(1);
                for pass in 0..passes {
                    let mut columns: Vec<Vec<(u32, NodeId)>> = vec![Vec::new(); group.len()];
                    arena.for_each_row(self.width, &mut |node, row| {
                        for (column, band) in columns.iter_mut().zip(group) {
                            let key = row[*band];
                            if share_of(u64::from(key), passes) == pass {
                                column.push((key, node));
                            }
                        }
                    });
                    let sorted = parallel_map_owned(columns, |mut entries| {
                        entries.sort_unstable();
                        Some(entries)
                    });
                    for column in sorted {
                        pairs_of_runs(&column, max, &mut |a, b| out.push(a, b));
                    }
                }
            }
        }
        let values = self.paragraph_values.live();
        let passes = values.div_ceil(self.candidate_entries).max(1);
        for pass in 0..passes {
            let mut paragraphs: Vec<(u64, NodeId)> = Vec::new();
            self.for_each_paragraph_run(&mut |id, values| {
                paragraphs.extend(
                    values
                        .iter()
                        .filter(|p| share_of(**p, passes) == pass)
                        .map(|p| (*p, id)),
                );
            });
            paragraphs.par_sort_unstable();
            pairs_of_runs(&paragraphs, max, &mut |a, b| out.push(a, b));
        }
    }
}

/// Which of `passes` shares of the keys a key is in (by the top bits of its Fibonacci hash, so
/// that keys of any spread are shared out evenly).
fn share_of(key: u64, passes: usize) -> usize {
    (((key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) * passes as u64) >> 32) as usize
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
    use std::collections::{BTreeMap, BTreeSet};

    /// A new node of a key the table does not have.
    fn insert(
        nodes: &mut Nodes,
        exact: u64,
        bands: &[(ShingleKind, Vec<u32>)],
        paragraphs: &[u64],
    ) -> NodeId {
        nodes
            .get_or_insert(exact, bands, paragraphs)
            .expect("a key the table does not have")
    }

    #[test]
    fn posts_move_between_nodes_and_rows_are_reused_only_after_release() {
        let mut nodes = Nodes::new(2);
        let a = insert(&mut nodes, 10, &[(ShingleKind::Words, vec![1, 2])], &[7]);
        assert!(nodes.add_post(a, 5));
        assert!(!nodes.add_post(a, 9));
        assert!(nodes.add_post(a, 3));
        assert_eq!(nodes.posts(a), vec![3, 5, 9]);
        assert!(!nodes.remove_post(a, 3));
        assert_eq!(nodes.first_post(a), 5);
        assert!(!nodes.remove_post(a, 9));
        assert!(nodes.remove_post(a, 5));
        assert!(!nodes.is_live(a));
        assert_eq!(nodes.get(10), None);
        let b = insert(&mut nodes, 11, &[(ShingleKind::Chars, vec![4, 5])], &[]);
        assert_ne!(a, b, "an emptied row waits for the release");
        nodes.release_emptied();
        let c = insert(&mut nodes, 12, &[(ShingleKind::Words, vec![1, 3])], &[]);
        assert_eq!(c, a);
        nodes.add_post(b, 1);
        nodes.add_post(c, 2);
        assert_eq!(nodes.band_keys(c, ShingleKind::Words), Some(vec![1, 3]));
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

    /// Posts added to and taken from a few texts at random (ids that fit in 32 bits and some
    /// that do not): each text's posts, count, lowest post and whether it has more than one
    /// must be those of a map of sets, in memory and with its other posts on file in blocks of
    /// two, and a text whose last post goes must go with it.
    #[test]
    fn texts_posts_added_and_taken_out_are_those_of_a_map() {
        for on_file in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let mut nodes = Nodes::new(2);
            if on_file {
                assert!(nodes.set_key_block_rows(2));
                nodes.keep_keys_on_file(dir.path()).unwrap();
            }
            let mut map: BTreeMap<u64, (NodeId, BTreeSet<i64>)> = BTreeMap::new();
            let mut numbers = super::super::TestNumbers::new(5);
            let mut next = |m: u64| numbers.below(m);
            for step in 0..3_000u32 {
                let exact = next(12);
                let post = match next(10) {
                    0 => (1 << 32) + next(40) as i64,
                    1 => -(next(5) as i64) - 1,
                    _ => next(200) as i64,
                };
                if step % 3 == 0 {
                    let Some((id, posts)) = map.get_mut(&exact) else {
                        continue;
                    };
                    let id = *id;
                    // A post of the text, or one it does not have.
                    let post = if next(4) == 0 {
                        post
                    } else {
                        *posts.iter().nth(next(posts.len() as u64) as usize).unwrap()
                    };
                    posts.remove(&post);
                    let gone = posts.is_empty();
                    assert_eq!(nodes.remove_post(id, post), gone, "{post} of {exact}");
                    if gone {
                        map.remove(&exact);
                        nodes.release_emptied();
                    }
                } else {
                    let id = match map.get(&exact) {
                        Some((id, _)) => *id,
                        None => insert(&mut nodes, exact, &[], &[]),
                    };
                    let posts = &mut map.entry(exact).or_insert((id, BTreeSet::new())).1;
                    let lowest = posts.first().is_none_or(|first| post < *first);
                    posts.insert(post);
                    assert_eq!(nodes.add_post(id, post), lowest, "{post} to {exact}");
                }
            }
            let mut live: Vec<(NodeId, bool)> = Vec::new();
            nodes.for_each_node(&mut |id, more| live.push((id, more)));
            let mut want: Vec<(NodeId, bool)> =
                map.values().map(|(id, p)| (*id, p.len() > 1)).collect();
            want.sort_unstable();
            assert_eq!(live, want);
            for (exact, (id, posts)) in &map {
                assert_eq!(nodes.get(*exact), Some(*id));
                let posts: Vec<i64> = posts.iter().copied().collect();
                assert_eq!(nodes.posts(*id), posts, "the posts of {exact}");
                assert_eq!(nodes.post_count(*id), posts.len());
                assert_eq!(nodes.first_post(*id), posts[0]);
            }
            assert!(nodes.scratch_failure().is_none());
            if on_file {
                assert!(nodes.more.table.len() > 10, "{}", nodes.more.table.len());
                assert!(!nodes.more.wide.is_empty());
            }
        }
    }

    /// What a table answers of its band keys: each node's keys, every bucket of a small key
    /// space with its members, and the candidate pairs.
    fn answers(nodes: &Nodes, keys: u32) -> String {
        let mut out = String::new();
        let mut ids: Vec<NodeId> = Vec::new();
        nodes.for_each_node(&mut |id, _| ids.push(id));
        let mut by_exact: Vec<(u64, NodeId)> = Vec::new();
        nodes.for_each_by_exact(&mut |exact, id| by_exact.push((exact, id)));
        let mut want: Vec<(u64, NodeId)> = ids.iter().map(|id| (nodes.exact(*id), *id)).collect();
        want.sort_unstable();
        assert_eq!(by_exact, want, "the nodes by exact key");
        for id in ids.iter().copied() {
            out += &format!(
                "{id}: {:?} {:?} {:?}\n",
                nodes.band_keys(id, ShingleKind::Words),
                nodes.band_keys(id, ShingleKind::Chars),
                nodes.paragraphs(id)
            );
        }
        let gathered = nodes.gather_paragraphs(&ids);
        for id in &ids {
            assert_eq!(gathered.get(*id), &nodes.paragraphs(*id)[..]);
        }
        let paragraphs: HashSet<u64> = (0..keys as u64).collect();
        nodes.for_each_paragraph_bucket(&paragraphs, 6, &mut |key, count, members| {
            out += &format!("paragraph {key}: {count} {members:?}\n");
        });
        let all = [ShingleKind::Words, ShingleKind::Chars]
            .into_iter()
            .flat_map(|kind| {
                (0..3).flat_map(move |band| (0..keys).map(move |k| band_bucket(kind, band, k)))
            });
        let wanted = nodes.band_buckets_wanted(all);
        // The buckets as the live nodes' own keys make them.
        let mut model: BTreeMap<u64, Vec<NodeId>> = BTreeMap::new();
        for id in &ids {
            for bucket in nodes.band_buckets(*id) {
                model.entry(bucket).or_default().push(*id);
            }
        }
        let mut reported: BTreeMap<u64, Vec<NodeId>> = BTreeMap::new();
        nodes.for_each_band_bucket(&wanted, 6, &mut |key, count, members| {
            out += &format!("{key}: {count} {members:?}\n");
            let want = model.get(&key).map_or(0, Vec::len);
            assert_eq!(count, want, "bucket {key}: the nodes whose keys are in it");
            if let Some(members) = members {
                reported.insert(key, members.to_vec());
            }
        });
        model.retain(|_, members| members.len() <= 6);
        assert_eq!(reported, model, "the listed buckets");
        let mut candidates = CandidatePairs::new(None).unwrap();
        nodes.candidates(6, &mut candidates);
        out += &format!("{:?}", candidates.into_sorted().collect::<Vec<_>>());
        out
    }

    #[test]
    fn candidates_found_in_passes_are_every_pair_of_a_small_bucket() {
        // 400 texts with band keys of one of 300 values (buckets of a few texts, some past
        // the cap of 6), some with character keys too, and paragraphs of one of 500.
        type Text = (Vec<(ShingleKind, Vec<u32>)>, Vec<u64>);
        let texts: Vec<Text> = {
            let mut numbers = super::super::TestNumbers::new(11);
            let mut next = move || numbers.next();
            (0..400)
                .map(|t| {
                    let mut bands = vec![(
                        ShingleKind::Words,
                        (0..4).map(|_| (next() % 300) as u32).collect(),
                    )];
                    if t % 3 == 0 {
                        let keys = (0..4).map(|_| (next() % 300) as u32).collect();
                        bands.push((ShingleKind::Chars, keys));
                    }
                    let mut paragraphs: Vec<u64> = (0..next() % 3).map(|_| next() % 500).collect();
                    paragraphs.sort_unstable();
                    paragraphs.dedup();
                    (bands, paragraphs)
                })
                .collect()
        };
        // Every pair of texts that share a bucket of 2 to 6 texts.
        let mut buckets: BTreeMap<(u8, usize, u64), Vec<NodeId>> = BTreeMap::new();
        for (i, (bands, paragraphs)) in texts.iter().enumerate() {
            for (kind, keys) in bands {
                for (band, key) in keys.iter().enumerate() {
                    let kind = u8::from(*kind == ShingleKind::Chars);
                    buckets
                        .entry((kind, band, u64::from(*key)))
                        .or_default()
                        .push(i as NodeId);
                }
            }
            for p in paragraphs {
                buckets.entry((2, 0, *p)).or_default().push(i as NodeId);
            }
        }
        let mut want: BTreeSet<(NodeId, NodeId)> = BTreeSet::new();
        for members in buckets.values().filter(|m| m.len() <= 6) {
            for (x, a) in members.iter().enumerate() {
                want.extend(members[x + 1..].iter().map(|b| (*a, *b)));
            }
        }
        assert!(want.len() > 300, "{} pairs", want.len());
        for entries in [usize::MAX, 200, 7] {
            let mut nodes = Nodes::new(4);
            nodes.candidate_entries = entries;
            for (i, (bands, paragraphs)) in texts.iter().enumerate() {
                let id = insert(&mut nodes, i as u64, bands, paragraphs);
                assert_eq!(id, i as NodeId);
                nodes.add_post(id, i as i64);
            }
            let mut candidates = CandidatePairs::new(None).unwrap();
            nodes.candidates(6, &mut candidates);
            let got: BTreeSet<(NodeId, NodeId)> = candidates.into_sorted().collect();
            assert_eq!(got, want, "{entries} keys at a time");
        }
    }

    #[test]
    fn keys_kept_in_scratch_files_answer_as_keys_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let mut held = Nodes::new(3);
        let mut filed = Nodes::new(3);
        assert!(held.set_key_block_rows(2));
        assert!(filed.set_key_block_rows(2));
        let mut numbers = super::super::TestNumbers::new(7);
        let mut next = move || numbers.next() as u32;
        let mut live: Vec<(NodeId, i64)> = Vec::new();
        for step in 0..600i64 {
            if step == 40 {
                // Keys held so far go to the file at once.
                filed.keep_keys_on_file(dir.path()).unwrap();
            }
            let r = next();
            if r % 3 == 0 && !live.is_empty() {
                let (id, post) = live.swap_remove(next() as usize % live.len());
                assert!(held.remove_post(id, post));
                assert!(filed.remove_post(id, post));
            } else if r % 5 == 0 && !live.is_empty() {
                // Another lowest post, with other paragraphs (longer or shorter: replaced in
                // place or moved, leaving garbage to compact).
                let (id, _) = live[next() as usize % live.len()];
                let mut paragraphs: Vec<u64> =
                    (0..next() % 6).map(|_| u64::from(next() % 9)).collect();
                paragraphs.sort_unstable();
                paragraphs.dedup();
                held.set_paragraphs(id, &paragraphs);
                filed.set_paragraphs(id, &paragraphs);
            } else {
                let mut bands = vec![(ShingleKind::Words, (0..3).map(|_| next() % 9).collect())];
                if r % 2 == 0 {
                    bands.push((ShingleKind::Chars, (0..3).map(|_| next() % 9).collect()));
                }
                let mut paragraphs: Vec<u64> =
                    (0..next() % 4).map(|_| u64::from(next() % 9)).collect();
                paragraphs.sort_unstable();
                paragraphs.dedup();
                let a = insert(&mut held, step as u64, &bands, &paragraphs);
                let b = insert(&mut filed, step as u64, &bands, &paragraphs);
                assert_eq!(a, b);
                held.add_post(a, step);
                filed.add_post(b, step);
                live.push((a, step));
            }
            if r % 7 == 0 {
                held.release_emptied();
                filed.release_emptied();
            }
        }
        assert_eq!(answers(&filed, 9), answers(&held, 9));
        assert!(filed.scratch_failure().is_none());
        // The candidates found in several passes (a few hundred keys, 128 at a time) are those
        // found in one.
        let in_passes = answers(&filed, 9);
        filed.candidate_entries = usize::MAX;
        assert_eq!(answers(&filed, 9), in_passes);
        assert!(
            filed.word_keys.on_file > 50 && filed.char_keys.on_file > 20,
            "most keys are in the files ({} and {} blocks)",
            filed.word_keys.on_file,
            filed.char_keys.on_file
        );
        let blocks_held = |a: &KeyArena| a.blocks.iter().filter(|b| !b.is_empty()).count();
        assert_eq!(blocks_held(&filed.word_keys), 1, "the block being filled");
        let (on_file, in_memory) = filed.paragraph_values.on_file_and_in_memory();
        assert!(on_file > 100, "{on_file}");
        assert!(in_memory < 2);
        assert!(
            blocks_held(&held.word_keys) > 50,
            "{}",
            blocks_held(&held.word_keys)
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "the scratch files have no name: {left:?}");
    }

    #[test]
    fn keys_that_cannot_be_written_stay_in_memory_and_the_failure_is_told() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("read-only");
        std::fs::write(&path, b"").unwrap();
        let mut nodes = Nodes::new(2);
        assert!(nodes.set_key_block_rows(2));
        let ids: Vec<NodeId> = (0..5)
            .map(|e| {
                insert(
                    &mut nodes,
                    e,
                    &[(ShingleKind::Words, vec![e as u32, 1])],
                    &[],
                )
            })
            .collect();
        nodes
            .word_keys
            .keep_on_file(2, std::fs::File::open(&path).unwrap());
        nodes.scratch = Some(dir.path().to_path_buf());
        let (at, failure) = nodes.scratch_failure().expect("the write failed");
        assert_eq!(at, dir.path());
        assert!(failure.contains("could not write"), "{failure}");
        for (e, id) in ids.iter().enumerate() {
            assert_eq!(
                nodes.band_keys(*id, ShingleKind::Words),
                Some(vec![e as u32, 1])
            );
        }
    }

    #[test]
    fn a_bucket_past_its_cap_is_counted_and_lists_no_members() {
        let mut nodes = Nodes::new(2);
        let keys = [(ShingleKind::Words, vec![7, 8])];
        let ids: Vec<NodeId> = (0..5).map(|e| insert(&mut nodes, e, &keys, &[])).collect();
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
