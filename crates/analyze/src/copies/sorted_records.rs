//! A table of fixed-size records sorted by a 64-bit key, for the parts of the copy analysis
//! that grow with the archive and are looked up by key: what is kept of each post, by archive
//! id ([`PostTable`], 48 bytes a post), and the texts' exact keys ([`ExactIndex`], 12 bytes a
//! text). The first key of every block of records is a sparse index in memory, and the
//! records filed since the last merge wait in a small ordered map.
//!
//! The records are in memory until the table is given an unnamed scratch file
//! ([`SortedRecords::keep_on_file`]); from then on they live there, and a look-up reads the one
//! block that holds its key (from the system's page cache, most of the time): the table itself
//! then holds about 0.2 bytes a record, and the records waiting to be merged.
//!
//! Archive ids mostly arrive in ascending order (an update reads the posts changed since its
//! mark, a rebuild each channel's posts by id), so that a merge of posts is most often an
//! append. Records that arrive out of order (as exact keys, hashes, always do) are merged in
//! place from the back: only the records after the lowest of them move, and a merge waits for
//! at least a sixty-fourth of the table, so that each record moves a few dozen times at most.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::features::EDGE_LINES;
use super::nodes::NodeId;
use super::scratch::Scratch;
use super::{Edge, PostEntry};

/// Records per block of the sparse index (what a look-up reads).
const BLOCK_RECORDS: usize = 64;

/// Records waiting that are merged into the table at once, at the least...
const MERGE_AT_LEAST: usize = 65_536;
/// ...and at least this share of the table, so that records out of order do not rewrite the
/// table too often (a merge moves the records after the lowest of them).
const MERGE_SHARE: usize = 64;

/// Records read or written at once by a merge or a walk.
const CHUNK_RECORDS: usize = 4096;

/// Bits of the key filter per stored record, and the bits a key sets: about one look-up in a
/// hundred of a key that is not stored reads a block all the same.
const FILTER_BITS_PER_KEY: usize = 10;
const FILTER_HASHES: u64 = 5;
/// Keys the key filter is made for at the least (it is made again, twice as large, when the
/// table outgrows it).
const FILTER_AT_LEAST: usize = 65_536;
/// Bits of a key filter at the most (8 MiB: 1% of the look-ups of absent keys read a block up
/// to 6.7 million keys, 10% at 13 million, 40% at 27 million), so that what the filters hold
/// does not grow with the archive past that: a larger table's filter answers "may be there"
/// more often, and more of those look-ups read their block.
const FILTER_MAX_BITS: usize = 8 << 23;

/// A Bloom filter of the stored keys, so that looking up a key the table does not hold (a new
/// text's exact key, most of the time) reads no block. Keys of removed records stay in it (it
/// may say a key is there that is not; never the other way).
#[derive(Debug, Default)]
struct KeyFilter {
    bits: Vec<u64>,
    /// How many keys it is made for.
    capacity: usize,
}

/// A 64-bit mix of a key (splitmix64's finaliser).
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl KeyFilter {
    /// A filter for `keys` keys, of `max_bits` bits at the most.
    fn with_capacity(keys: usize, max_bits: usize) -> KeyFilter {
        KeyFilter {
            bits: vec![0; (keys * FILTER_BITS_PER_KEY).min(max_bits).div_ceil(64)],
            capacity: keys,
        }
    }

    /// The bits of a key.
    fn positions(&self, key: i64) -> impl Iterator<Item = usize> + use<> {
        let n = (self.bits.len() * 64) as u64;
        let h1 = mix(key as u64);
        let h2 = mix(h1) | 1;
        (0..FILTER_HASHES).map(move |i| (h1.wrapping_add(i.wrapping_mul(h2)) % n) as usize)
    }

    /// Adds a key (to a filter made for some: before the first merge there is none).
    fn add(&mut self, key: i64) {
        if self.bits.is_empty() {
            return;
        }
        for p in self.positions(key) {
            self.bits[p / 64] |= 1 << (p % 64);
        }
    }

    /// Whether the key may be stored (always, before the first merge).
    fn may_hold(&self, key: i64) -> bool {
        self.bits.is_empty()
            || self
                .positions(key)
                .all(|p| self.bits[p / 64] & (1 << (p % 64)) != 0)
    }
}

/// A value of a [`SortedRecords`] table, in a fixed number of bytes.
pub(super) trait Record: Clone {
    /// Bytes of the value in a record (after its 8-byte key).
    const BYTES: usize;
    /// Whether the table keeps a filter of its stored keys: for a table often asked for keys it
    /// does not hold, whose reads the filter saves.
    const FILTERED: bool;
    fn put(&self, out: &mut [u8]);
    fn take(bytes: &[u8]) -> Self;
}

/// The little-endian `u32` at `at` (the records' and rows' fields).
pub(super) fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default())
}

/// The little-endian `i64` at `at`.
pub(super) fn i64_at(bytes: &[u8], at: usize) -> i64 {
    i64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default())
}

/// A post's channel, node, header and footer lines' keys, and their count.
impl Record for PostEntry {
    const BYTES: usize = 8 + 4 + 4 * EDGE_LINES + 4 + 8;
    // Posts asked for are mostly held, or past the last one.
    const FILTERED: bool = false;

    fn put(&self, out: &mut [u8]) {
        out[0..8].copy_from_slice(&self.channel.to_le_bytes());
        out[8..12].copy_from_slice(&self.node.to_le_bytes());
        for (i, l) in self.lines.iter().enumerate() {
            out[12 + 4 * i..16 + 4 * i].copy_from_slice(&l.to_le_bytes());
        }
        let count = 12 + 4 * EDGE_LINES;
        out[count..count + 4].copy_from_slice(&u32::from(self.line_count).to_le_bytes());
        out[count + 4..count + 12].copy_from_slice(&self.cluster.to_le_bytes());
    }

    fn take(bytes: &[u8]) -> PostEntry {
        let mut lines = [0u32; EDGE_LINES];
        for (i, l) in lines.iter_mut().enumerate() {
            *l = u32_at(bytes, 12 + 4 * i);
        }
        let count = u32_at(bytes, 12 + 4 * EDGE_LINES);
        PostEntry {
            channel: i64_at(bytes, 0),
            node: u32_at(bytes, 8),
            lines,
            line_count: count.min(EDGE_LINES as u32) as u8,
            cluster: i64_at(bytes, 16 + 4 * EDGE_LINES),
        }
    }
}

/// A text's node.
impl Record for NodeId {
    const BYTES: usize = 4;
    // A new text's exact key is asked for, and is not there.
    const FILTERED: bool = true;

    fn put(&self, out: &mut [u8]) {
        out[0..4].copy_from_slice(&self.to_le_bytes());
    }

    fn take(bytes: &[u8]) -> NodeId {
        u32_at(bytes, 0)
    }
}

/// A verified pair of texts (`None` where a pair was removed).
impl Record for Option<Edge> {
    const BYTES: usize = 9;
    // Pairs are asked for by node, a range of keys, or where there is one.
    const FILTERED: bool = false;

    fn put(&self, out: &mut [u8]) {
        let (tag, jaccard, containment) = match self {
            None => (0u8, 0.0f32, 0.0f32),
            Some(e) => (1 + u8::from(e.full), e.jaccard, e.containment),
        };
        out[0] = tag;
        out[1..5].copy_from_slice(&jaccard.to_bits().to_le_bytes());
        out[5..9].copy_from_slice(&containment.to_bits().to_le_bytes());
    }

    fn take(bytes: &[u8]) -> Option<Edge> {
        (bytes[0] != 0).then(|| Edge {
            full: bytes[0] == 2,
            jaccard: f32::from_bits(u32_at(bytes, 1)),
            containment: f32::from_bits(u32_at(bytes, 5)),
        })
    }
}

/// A text's other post (`false` where it was removed).
impl Record for bool {
    const BYTES: usize = 1;
    // A text's posts are read as a range of keys.
    const FILTERED: bool = false;

    fn put(&self, out: &mut [u8]) {
        out[0] = u8::from(*self);
    }

    fn take(bytes: &[u8]) -> bool {
        bytes[0] != 0
    }
}

/// What the copy analysis keeps of each post, by archive id.
pub(super) type PostTable = SortedRecords<PostEntry>;

/// The texts' nodes by exact key (as an `i64` in the same order; a removed text's key is left
/// with [`super::nodes::NONE`]).
pub(super) type ExactIndex = SortedRecords<NodeId>;

/// Where the records are: in memory, or in a scratch file.
#[derive(Debug)]
struct Records {
    held: Vec<u8>,
    file: Scratch,
    on_file: bool,
}

impl Records {
    /// Bytes from `at`: a slice of the records in memory, or read into `buf`.
    fn bytes<'a>(&'a self, at: usize, len: usize, buf: &'a mut Vec<u8>) -> &'a [u8] {
        if !self.on_file {
            return &self.held[at..at + len];
        }
        buf.resize(len, 0);
        self.file.read(buf, at as u64);
        buf
    }

    fn write(&mut self, bytes: &[u8], at: usize) {
        if self.on_file {
            self.file.write(bytes, at as u64);
        } else {
            self.held[at..at + bytes.len()].copy_from_slice(bytes);
        }
    }

    fn set_len(&mut self, len: usize) {
        if self.on_file {
            self.file.set_len(len as u64);
            return;
        }
        let v = &mut self.held;
        if v.capacity() < len {
            // Grown by an eighth, not doubled.
            v.reserve_exact((len - v.len()).max(v.len() / 8));
        }
        v.resize(len, 0);
    }
}

/// Records sorted by key.
#[derive(Debug)]
pub(super) struct SortedRecords<V> {
    records: Records,
    /// The scratch file's folder (for errors).
    dir: Option<PathBuf>,
    /// How many records there are (sorted by key, each key once).
    stored: usize,
    /// The key of the last record.
    last: Option<i64>,
    /// The key of the first record of every block of `block_records`.
    firsts: Vec<i64>,
    block_records: usize,
    /// Records not among those stored, waiting to be merged in.
    recent: BTreeMap<i64, V>,
    merge_at_least: usize,
    /// Records read or written at once by a merge or a walk.
    chunk_records: usize,
    /// The stored keys.
    filter: KeyFilter,
    filter_at_least: usize,
    filter_max_bits: usize,
}

impl<V: Record> SortedRecords<V> {
    /// An empty table in memory; `holds` says what it holds, for failures' messages (as
    /// "posts'").
    pub(super) fn new(holds: &'static str) -> SortedRecords<V> {
        SortedRecords {
            records: Records {
                held: Vec::new(),
                file: Scratch::new(holds),
                on_file: false,
            },
            dir: None,
            stored: 0,
            last: None,
            firsts: Vec::new(),
            block_records: BLOCK_RECORDS,
            recent: BTreeMap::new(),
            merge_at_least: MERGE_AT_LEAST,
            chunk_records: CHUNK_RECORDS,
            filter: KeyFilter::default(),
            filter_at_least: FILTER_AT_LEAST,
            filter_max_bits: FILTER_MAX_BITS,
        }
    }
}

impl<V: Record> Default for SortedRecords<V> {
    fn default() -> SortedRecords<V> {
        SortedRecords::new("records'")
    }
}

/// Where a key's record is in a [`SortedRecords`] table, with its value.
pub(super) enum Place<V> {
    /// Waiting to be merged.
    Waiting(V),
    /// Stored, from this byte.
    Stored(usize, V),
    Absent,
}

impl<V> Place<V> {
    pub(super) fn value(&self) -> Option<&V> {
        match self {
            Place::Waiting(v) | Place::Stored(_, v) => Some(v),
            Place::Absent => None,
        }
    }
}

/// Reads records of a [`SortedRecords`] table one after another, keeping the last block it
/// read (keys asked for in ascending order read each block once).
pub(super) struct Reader<'t, V> {
    table: &'t SortedRecords<V>,
    block: Option<usize>,
    buf: Vec<u8>,
}

impl<V: Record> Reader<'_, V> {
    pub(super) fn get(&mut self, key: i64) -> Option<V> {
        match self.table.recent.get(&key) {
            Some(waiting) => Some(waiting.clone()),
            None => self.stored(key).map(|(_, value)| value),
        }
    }

    /// The stored record of `key`: where it starts, in bytes, and its value.
    fn stored(&mut self, key: i64) -> Option<(usize, V)> {
        let table = self.table;
        if !table.filter.may_hold(key) {
            return None;
        }
        let block = table.block_of(key)?;
        let (at, len) = table.block_range(block);
        let records = if !table.records.on_file {
            &table.records.held[at..at + len]
        } else {
            if self.block != Some(block) {
                self.buf.resize(len, 0);
                table.records.file.read(&mut self.buf, at as u64);
                self.block = Some(block);
            }
            &self.buf[..]
        };
        let record = SortedRecords::<V>::RECORD;
        let i = SortedRecords::<V>::find(records, key)?;
        Some((
            at + i * record,
            V::take(&records[i * record + 8..(i + 1) * record]),
        ))
    }
}

impl<V: Record> SortedRecords<V> {
    /// Bytes of a record: its key, then its value.
    const RECORD: usize = 8 + V::BYTES;

    /// The index of the record with `key` among the sorted `records`.
    fn find(records: &[u8], key: i64) -> Option<usize> {
        let (mut lo, mut hi) = (0, records.len() / Self::RECORD);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match i64_at(records, mid * Self::RECORD).cmp(&key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    fn encode(key: i64, value: &V, out: &mut [u8]) {
        out[0..8].copy_from_slice(&key.to_le_bytes());
        value.put(&mut out[8..Self::RECORD]);
    }

    /// How many records (removed ones too, see [`SortedRecords::remove`]).
    pub(super) fn len(&self) -> usize {
        self.stored + self.recent.len()
    }

    /// From now on, keeps the records in `file` (an unnamed scratch file in `dir`). Where the
    /// records cannot be written there, they stay in memory, and the failure is told
    /// ([`PostTable::scratch_failure`]).
    pub(super) fn keep_on_file(&mut self, file: std::fs::File, dir: &Path) {
        let records = &mut self.records;
        if records.file.is_open() {
            return;
        }
        records.file.open(file);
        self.dir = Some(dir.to_path_buf());
        let written = records
            .held
            .chunks(CHUNK_RECORDS * Self::RECORD)
            .enumerate()
            .all(|(i, chunk)| {
                records
                    .file
                    .write(chunk, (i * CHUNK_RECORDS * Self::RECORD) as u64)
            });
        if written {
            records.on_file = true;
            records.held = Vec::new();
        }
    }

    /// The first failure to read or write the scratch file, with its folder.
    pub(super) fn scratch_failure(&self) -> Option<(PathBuf, String)> {
        let failure = self.records.file.failure()?;
        Some((self.dir.clone().unwrap_or_default(), failure.clone()))
    }

    /// Blocks of `rows` records, merged when `rows` records wait and a chunk of `rows + 1` at a
    /// time, with a key filter made for `rows` keys at the least and of `64 × rows` bits at the
    /// most, on a table that holds none yet (for tests, so that a small table has many blocks,
    /// chunks, merges and filters, and filters past their cap). `false` when it holds some.
    pub(super) fn set_block_rows(&mut self, rows: usize) -> bool {
        if rows == 0 || self.len() > 0 {
            return false;
        }
        self.block_records = rows;
        self.merge_at_least = rows;
        self.chunk_records = rows + 1;
        self.filter_at_least = rows;
        self.filter_max_bits = rows * 64;
        true
    }

    /// The block whose records would hold `id`.
    fn block_of(&self, id: i64) -> Option<usize> {
        if self.last.is_none_or(|last| id > last) {
            return None;
        }
        self.firsts.partition_point(|f| *f <= id).checked_sub(1)
    }

    /// A block's bytes: where they start and how many.
    fn block_range(&self, block: usize) -> (usize, usize) {
        let first = block * self.block_records;
        let n = self.block_records.min(self.stored - first);
        (first * Self::RECORD, n * Self::RECORD)
    }

    /// A reader for many look-ups.
    pub(super) fn reader(&self) -> Reader<'_, V> {
        Reader {
            table: self,
            block: None,
            buf: Vec::new(),
        }
    }

    pub(super) fn get(&self, id: &i64) -> Option<V> {
        self.reader().get(*id)
    }

    /// Where the record of `key` is.
    pub(super) fn place(&self, key: i64) -> Place<V> {
        if let Some(waiting) = self.recent.get(&key) {
            return Place::Waiting(waiting.clone());
        }
        match self.reader().stored(key) {
            Some((at, value)) => Place::Stored(at, value),
            None => Place::Absent,
        }
    }

    /// Files `value` under `key` where `place` says (what [`SortedRecords::place`] gave for
    /// it, nothing filed since), replacing the record it had.
    pub(super) fn put(&mut self, key: i64, value: V, place: &Place<V>) {
        match place {
            Place::Stored(at, _) => {
                let mut record = vec![0u8; Self::RECORD];
                Self::encode(key, &value, &mut record);
                self.records.write(&record, *at);
            }
            Place::Waiting(_) => {
                self.recent.insert(key, value);
            }
            Place::Absent => {
                self.recent.insert(key, value);
                if self.recent.len() >= self.merge_at_least.max(self.stored / MERGE_SHARE) {
                    self.merge();
                }
            }
        }
    }

    /// Files the record of a key the table does not hold, without looking for it (a table
    /// being filled with new keys: the caller knows none is there).
    pub(super) fn insert_absent(&mut self, key: i64, value: V) {
        self.put(key, value, &Place::Absent);
    }

    /// Files a record (replacing the one it had).
    pub(super) fn insert(&mut self, key: i64, value: V) {
        let place = self.place(key);
        self.put(key, value, &place);
    }

    /// Removes a record: one waiting is dropped, one stored is left with `tombstone` (read as
    /// the key's absence by the caller).
    pub(super) fn remove(&mut self, key: i64, tombstone: V) {
        match self.place(key) {
            Place::Waiting(_) => {
                self.recent.remove(&key);
            }
            stored @ Place::Stored(..) => self.put(key, tombstone, &stored),
            Place::Absent => {}
        }
    }

    /// Merges the posts waiting in `recent` into the records, in place from the back: the
    /// records after the lowest of them move up, a chunk at a time, the others stay.
    fn merge(&mut self) {
        let mut recent: Vec<(i64, V)> = std::mem::take(&mut self.recent).into_iter().collect();
        let Some((highest, _)) = recent.last() else {
            return;
        };
        let old = self.stored;
        let n = old + recent.len();
        let last = self.last.max(Some(*highest));
        self.records.set_len(n * Self::RECORD);
        self.firsts.resize(n.div_ceil(self.block_records), 0);
        // Old records not yet moved: [0, left); those of them read: [read_from, left).
        let mut left = old;
        let mut read_from = old;
        let mut read: Vec<u8> = Vec::new();
        // The records to write, filled from the back, to end at `write_end`.
        let chunk = self.chunk_records;
        let mut out = vec![0u8; chunk * Self::RECORD];
        let mut out_at = chunk;
        let mut write_end = n;
        // Where the next record goes.
        let mut next = n;
        while let Some((id, entry)) = recent.last() {
            if left > 0 && left == read_from {
                read_from = left.saturating_sub(chunk);
                let mut buf = Vec::new();
                let bytes = self.records.bytes(
                    read_from * Self::RECORD,
                    (left - read_from) * Self::RECORD,
                    &mut buf,
                );
                read.clear();
                read.extend_from_slice(bytes);
            }
            out_at -= 1;
            next -= 1;
            let slot = &mut out[out_at * Self::RECORD..(out_at + 1) * Self::RECORD];
            let old_record = (left > 0).then(|| {
                let i = left - 1 - read_from;
                &read[i * Self::RECORD..(i + 1) * Self::RECORD]
            });
            let moved_id = match old_record.filter(|r| i64_at(r, 0) > *id) {
                Some(r) => {
                    slot.copy_from_slice(r);
                    left -= 1;
                    i64_at(r, 0)
                }
                None => {
                    Self::encode(*id, entry, slot);
                    let id = *id;
                    recent.pop();
                    self.filter.add(id);
                    id
                }
            };
            if next.is_multiple_of(self.block_records) {
                self.firsts[next / self.block_records] = moved_id;
            }
            if out_at == 0 {
                self.records.write(&out, (write_end - chunk) * Self::RECORD);
                write_end -= chunk;
                out_at = chunk;
            }
        }
        if out_at < chunk {
            let count = chunk - out_at;
            self.records.write(
                &out[out_at * Self::RECORD..],
                (write_end - count) * Self::RECORD,
            );
        }
        self.stored = n;
        self.last = last;
        if V::FILTERED && n > self.filter.capacity {
            // Made again for twice the keys (a walk of the table).
            let mut filter =
                KeyFilter::with_capacity((2 * n).max(self.filter_at_least), self.filter_max_bits);
            self.for_each(&mut |key, _| filter.add(key));
            self.filter = filter;
        }
    }

    /// Calls `f` with every post, in the order of their ids.
    pub(super) fn for_each(&self, f: &mut dyn FnMut(i64, &V)) {
        let mut recent = self.recent.iter().peekable();
        let mut buf = Vec::new();
        let mut at = 0;
        while at < self.stored {
            let n = self.chunk_records.min(self.stored - at);
            let records = self
                .records
                .bytes(at * Self::RECORD, n * Self::RECORD, &mut buf);
            for record in records.chunks_exact(Self::RECORD) {
                let id = i64_at(record, 0);
                while let Some((r, e)) = recent.next_if(|(r, _)| **r < id) {
                    f(*r, e);
                }
                f(id, &V::take(&record[8..]));
            }
            at += n;
        }
        for (r, e) in recent {
            f(*r, e);
        }
    }

    /// Calls `f` with every record whose key is in `from..=to`, in the order of their keys.
    pub(super) fn for_each_in(&self, from: i64, to: i64, f: &mut dyn FnMut(i64, &V)) {
        let record = Self::RECORD;
        let mut waiting = self.recent.range(from..=to).peekable();
        let mut buf = Vec::new();
        let mut block = self
            .firsts
            .partition_point(|k| *k <= from)
            .saturating_sub(1);
        'blocks: while block < self.firsts.len() && self.firsts[block] <= to {
            let (at, len) = self.block_range(block);
            for bytes in self.records.bytes(at, len, &mut buf).chunks_exact(record) {
                let key = i64_at(bytes, 0);
                if key > to {
                    break 'blocks;
                }
                if key >= from {
                    while let Some((k, v)) = waiting.next_if(|(k, _)| **k < key) {
                        f(*k, v);
                    }
                    f(key, &V::take(&bytes[8..]));
                }
            }
            block += 1;
        }
        for (k, v) in waiting {
            f(*k, v);
        }
    }

    /// Calls `f` with every record, in the order of their keys, to change its value; `f` says
    /// whether it did (the chunks with a change are written back).
    pub(super) fn update_each(&mut self, f: &mut dyn FnMut(i64, &mut V) -> bool) {
        let record = Self::RECORD;
        let mut recent = std::mem::take(&mut self.recent);
        let mut waiting = recent.iter_mut().peekable();
        let mut buf = Vec::new();
        let mut chunk: Vec<u8> = Vec::new();
        let mut at = 0;
        while at < self.stored {
            let n = self.chunk_records.min(self.stored - at);
            chunk.clear();
            chunk.extend_from_slice(self.records.bytes(at * record, n * record, &mut buf));
            let mut changed = false;
            for bytes in chunk.chunks_exact_mut(record) {
                let key = i64_at(bytes, 0);
                while let Some((k, v)) = waiting.next_if(|(k, _)| **k < key) {
                    f(*k, v);
                }
                let mut value = V::take(&bytes[8..]);
                if f(key, &mut value) {
                    value.put(&mut bytes[8..]);
                    changed = true;
                }
            }
            if changed {
                self.records.write(&chunk, at * record);
            }
            at += n;
        }
        for (k, v) in waiting {
            f(*k, v);
        }
        self.recent = recent;
    }

    /// Room for `n` more posts (records in memory).
    pub(super) fn reserve(&mut self, n: usize) {
        if !self.records.on_file {
            self.records.held.reserve_exact(n * Self::RECORD);
        }
    }

    /// Bytes held.
    pub(super) fn heap_bytes(&self) -> usize {
        let records = self.records.held.capacity();
        // An entry of the ordered map, with its share of the map's nodes.
        let waiting = 8 + std::mem::size_of::<V>() + 24;
        records
            + self.firsts.capacity() * 8
            + self.recent.len() * waiting
            + self.filter.bits.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A filter never says that a key it holds is absent, at its size for the keys or capped
    /// far below it; capped, it says "may be there" of more absent keys.
    #[test]
    fn a_key_filter_holds_every_key_it_was_given_even_past_its_cap() {
        let keys: Vec<i64> = (0..20_000i64).map(|i| i * 7_919 - 50_000).collect();
        let absent = |filter: &KeyFilter| {
            (0..10_000i64)
                .filter(|i| filter.may_hold(i * 7_919 - 50_000 + 3))
                .count()
        };
        let mut sized = KeyFilter::with_capacity(keys.len(), FILTER_MAX_BITS);
        let mut capped = KeyFilter::with_capacity(keys.len(), keys.len() * 2);
        assert_eq!(sized.bits.len() * 64, (keys.len() * 10).div_ceil(64) * 64);
        assert_eq!(capped.bits.len() * 64, keys.len() * 2);
        for k in &keys {
            sized.add(*k);
            capped.add(*k);
        }
        assert!(
            keys.iter()
                .all(|k| sized.may_hold(*k) && capped.may_hold(*k))
        );
        let (sized, capped) = (absent(&sized), absent(&capped));
        assert!(sized < 300, "{sized} of 10,000 absent keys pass the filter");
        assert!(capped > 3 * sized, "{capped} against {sized}");
    }

    /// Random posts filed, mostly in ascending order, some out of order, some again: the table
    /// must answer as an ordered map of the same entries does, in memory and on file.
    fn files_as_a_map(on_file: bool, block_rows: usize) {
        let dir = tempfile::tempdir().unwrap();
        let mut table = PostTable::new("posts'");
        assert!(table.set_block_rows(block_rows));
        let mut map: BTreeMap<i64, PostEntry> = BTreeMap::new();
        let mut numbers = super::super::TestNumbers::new(11);
        let mut next = || numbers.next();
        for step in 0..6_000u32 {
            if on_file && step == 700 {
                table.keep_on_file(tempfile::tempfile_in(dir.path()).unwrap(), dir.path());
            }
            let r = next() as i64;
            let id = match r % 10 {
                0..=5 => i64::from(step) * 3,
                6..=8 => r % 20_000 - 50,
                _ => *map.keys().nth(r as usize % map.len().max(1)).unwrap_or(&0),
            };
            let lines: Vec<u32> = (0..(r % 5) as u32).map(|l| l * 7 + step).collect();
            let entry = PostEntry::new(r % 5 - 2, step, &lines);
            table.insert(id, entry.clone());
            map.insert(id, entry);
            if step % 331 == 0 {
                assert_eq!(table.len(), map.len());
                let mut reader = table.reader();
                for (id, entry) in &map {
                    assert_eq!(reader.get(*id).as_ref(), Some(entry), "post {id}");
                }
            }
        }
        assert_eq!(table.len(), map.len());
        assert!(table.stored > map.len() / 2, "most posts merged");
        let mut reader = table.reader();
        for (id, entry) in &map {
            assert_eq!(table.get(id).as_ref(), Some(entry), "post {id}");
            assert_eq!(reader.get(*id).as_ref(), Some(entry), "post {id}");
        }
        for missing in [-10_000, -51, 1, 20_000 * 3, i64::MAX, i64::MIN] {
            if !map.contains_key(&missing) {
                assert_eq!(table.get(&missing), None, "post {missing}");
            }
        }
        // Every third post's cluster changed in one walk.
        table.update_each(&mut |id, e| {
            let third = id % 3 == 0;
            if third {
                e.cluster = id + 7;
            }
            third
        });
        for (id, e) in map.iter_mut().filter(|(id, _)| *id % 3 == 0) {
            e.cluster = id + 7;
        }
        let mut all: Vec<(i64, PostEntry)> = Vec::new();
        table.for_each(&mut |id, e| all.push((id, e.clone())));
        assert_eq!(all, map.into_iter().collect::<Vec<_>>());
        assert_eq!(table.records.on_file, on_file);
        assert_eq!(table.scratch_failure(), None);
    }

    #[test]
    fn posts_in_any_order_are_found_as_a_map_finds_them() {
        files_as_a_map(false, BLOCK_RECORDS);
        files_as_a_map(false, 3);
    }

    #[test]
    fn posts_kept_on_file_are_found_as_a_map_finds_them() {
        files_as_a_map(true, BLOCK_RECORDS);
        files_as_a_map(true, 3);
        files_as_a_map(true, 1);
    }

    #[test]
    fn exact_keys_removed_and_filed_again_are_found_as_a_map_finds_them() {
        use super::super::nodes::NONE;
        for (on_file, rows) in [(false, BLOCK_RECORDS), (true, BLOCK_RECORDS), (true, 2)] {
            let dir = tempfile::tempdir().unwrap();
            let mut index = ExactIndex::new("exact keys'");
            assert!(index.set_block_rows(rows));
            if on_file {
                index.keep_on_file(tempfile::tempfile_in(dir.path()).unwrap(), dir.path());
            }
            let mut map: BTreeMap<u64, NodeId> = BTreeMap::new();
            let mut x: u64 = 5;
            for step in 0..5_000u32 {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                // Hashes over the whole range, some of them again.
                let key = if step % 7 == 0 {
                    *map.keys().nth(x as usize % map.len().max(1)).unwrap_or(&x)
                } else {
                    x ^ (x << 17)
                };
                if step % 3 == 0 {
                    index.remove(key as i64, NONE);
                    map.remove(&key);
                } else {
                    index.insert(key as i64, step);
                    map.insert(key, step);
                }
            }
            let mut reader = index.reader();
            for (key, node) in &map {
                assert_eq!(reader.get(*key as i64), Some(*node), "key {key}");
            }
            let mut live = 0;
            index.for_each(&mut |key, node| {
                if *node != NONE {
                    live += 1;
                    assert_eq!(map.get(&(key as u64)), Some(node), "key {key}");
                }
            });
            assert_eq!(live, map.len());
            assert!(index.stored > 0 && index.scratch_failure().is_none());
        }
    }

    #[test]
    fn posts_that_cannot_be_moved_to_the_file_stay_in_memory_and_the_failure_is_told() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("read-only");
        std::fs::write(&path, b"").unwrap();
        let mut table = PostTable::new("posts'");
        assert!(table.set_block_rows(2));
        for id in 0..9 {
            table.insert(id, PostEntry::new(id, 1, &[]));
        }
        table.keep_on_file(std::fs::File::open(&path).unwrap(), dir.path());
        let (at, failure) = table.scratch_failure().expect("the write failed");
        assert_eq!(at, dir.path());
        assert!(failure.contains("could not write the posts'"), "{failure}");
        for id in 0..9 {
            assert_eq!(table.get(&id).map(|e| e.channel), Some(id));
        }
    }
}
