//! What the copy analysis keeps of each post, by archive id: fixed-size records sorted by id
//! (40 bytes a post), the first id of every block of records as a sparse index, and the posts
//! filed since the last merge in a small ordered map.
//!
//! The records are in memory until the table is given an unnamed scratch file
//! ([`PostTable::keep_on_file`]); from then on they live there, and a look-up reads the one block
//! that holds its post (from the system's page cache, most of the time): the table itself then
//! holds about 0.2 bytes a post, and the posts waiting to be merged.
//!
//! Archive ids mostly arrive in ascending order (an update reads the posts changed since its
//! mark, a rebuild each channel's posts by id), so that a merge is most often an append. Posts
//! that arrive out of order are merged in place from the back: only the records after the
//! lowest of them move.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::PostEntry;
use super::features::EDGE_LINES;
use super::scratch::Scratch;

/// Bytes of a record: id, channel, node, the header and footer lines' keys and their count.
const RECORD: usize = 8 + 8 + 4 + 4 * EDGE_LINES + 4;

/// Records per block of the sparse index (what a look-up reads).
const BLOCK_RECORDS: usize = 64;

/// Posts waiting that are merged into the records at once, at the least...
const MERGE_AT_LEAST: usize = 65_536;
/// ...and at least this share of the records, so that posts out of order do not rewrite the
/// records too often (a merge moves the records after the lowest of them).
const MERGE_SHARE: usize = 64;

/// Records read or written at once by a merge or a walk.
const CHUNK_RECORDS: usize = 4096;

fn encode(id: i64, e: &PostEntry, out: &mut [u8]) {
    out[0..8].copy_from_slice(&id.to_le_bytes());
    out[8..16].copy_from_slice(&e.channel.to_le_bytes());
    out[16..20].copy_from_slice(&e.node.to_le_bytes());
    for (i, l) in e.lines.iter().enumerate() {
        out[20 + 4 * i..24 + 4 * i].copy_from_slice(&l.to_le_bytes());
    }
    let count = 20 + 4 * EDGE_LINES;
    out[count..RECORD].copy_from_slice(&u32::from(e.line_count).to_le_bytes());
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default())
}

fn id_of(record: &[u8]) -> i64 {
    i64::from_le_bytes(record[0..8].try_into().unwrap_or_default())
}

fn decode(record: &[u8]) -> PostEntry {
    let mut lines = [0u32; EDGE_LINES];
    for (i, l) in lines.iter_mut().enumerate() {
        *l = u32_at(record, 20 + 4 * i);
    }
    let count = u32_at(record, 20 + 4 * EDGE_LINES);
    PostEntry {
        channel: i64::from_le_bytes(record[8..16].try_into().unwrap_or_default()),
        node: u32_at(record, 16),
        lines,
        line_count: count.min(EDGE_LINES as u32) as u8,
    }
}

/// The index of the record with `id` among the sorted `records`.
fn find(records: &[u8], id: i64) -> Option<usize> {
    let (mut lo, mut hi) = (0, records.len() / RECORD);
    while lo < hi {
        let mid = (lo + hi) / 2;
        match id_of(&records[mid * RECORD..]).cmp(&id) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Some(mid),
        }
    }
    None
}

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

/// The posts, by archive id.
#[derive(Debug)]
pub(super) struct PostTable {
    records: Records,
    /// The scratch file's folder (for errors).
    dir: Option<PathBuf>,
    /// How many records there are (sorted by id, each id once).
    stored: usize,
    /// The id of the last record.
    last: Option<i64>,
    /// The id of the first record of every block of `block_records`.
    firsts: Vec<i64>,
    block_records: usize,
    /// Posts not among the records, waiting to be merged in.
    recent: BTreeMap<i64, PostEntry>,
    merge_at_least: usize,
    /// Records read or written at once by a merge or a walk.
    chunk_records: usize,
}

impl Default for PostTable {
    fn default() -> PostTable {
        PostTable {
            records: Records {
                held: Vec::new(),
                file: Scratch::new("posts'"),
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
        }
    }
}

/// Reads posts of a [`PostTable`] one after another, keeping the last block it read (posts
/// asked for in ascending order read each block once).
pub(super) struct PostReader<'t> {
    table: &'t PostTable,
    block: Option<usize>,
    buf: Vec<u8>,
}

impl PostReader<'_> {
    pub(super) fn get(&mut self, id: i64) -> Option<PostEntry> {
        let table = self.table;
        if let Some(e) = table.recent.get(&id) {
            return Some(e.clone());
        }
        let block = table.block_of(id)?;
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
        let i = find(records, id)?;
        Some(decode(&records[i * RECORD..(i + 1) * RECORD]))
    }
}

impl PostTable {
    /// How many posts.
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
            .chunks(CHUNK_RECORDS * RECORD)
            .enumerate()
            .all(|(i, chunk)| {
                records
                    .file
                    .write(chunk, (i * CHUNK_RECORDS * RECORD) as u64)
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

    /// Blocks of `rows` records, merged when `rows` posts wait and a chunk of `rows + 1` at a
    /// time, on a table that holds no post yet (for tests, so that a small table has many
    /// blocks, chunks and merges). `false` when it holds some.
    pub(super) fn set_block_rows(&mut self, rows: usize) -> bool {
        if rows == 0 || self.len() > 0 {
            return false;
        }
        self.block_records = rows;
        self.merge_at_least = rows;
        self.chunk_records = rows + 1;
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
        (first * RECORD, n * RECORD)
    }

    /// Where the record of `id` is, in bytes, and its entry.
    fn stored_entry(&self, id: i64) -> Option<(usize, PostEntry)> {
        let block = self.block_of(id)?;
        let (at, len) = self.block_range(block);
        let mut buf = Vec::new();
        let records = self.records.bytes(at, len, &mut buf);
        let i = find(records, id)?;
        Some((
            at + i * RECORD,
            decode(&records[i * RECORD..(i + 1) * RECORD]),
        ))
    }

    /// A reader for many look-ups.
    pub(super) fn reader(&self) -> PostReader<'_> {
        PostReader {
            table: self,
            block: None,
            buf: Vec::new(),
        }
    }

    pub(super) fn get(&self, id: &i64) -> Option<PostEntry> {
        self.reader().get(*id)
    }

    /// Files a post's entry (replacing the one it had).
    pub(super) fn insert(&mut self, id: i64, entry: PostEntry) {
        if let Some(waiting) = self.recent.get_mut(&id) {
            *waiting = entry;
            return;
        }
        if let Some((at, _)) = self.stored_entry(id) {
            let mut record = [0u8; RECORD];
            encode(id, &entry, &mut record);
            self.records.write(&record, at);
            return;
        }
        self.recent.insert(id, entry);
        if self.recent.len() >= self.merge_at_least.max(self.stored / MERGE_SHARE) {
            self.merge();
        }
    }

    /// Merges the posts waiting in `recent` into the records, in place from the back: the
    /// records after the lowest of them move up, a chunk at a time, the others stay.
    fn merge(&mut self) {
        let mut recent: Vec<(i64, PostEntry)> =
            std::mem::take(&mut self.recent).into_iter().collect();
        let Some((highest, _)) = recent.last() else {
            return;
        };
        let old = self.stored;
        let n = old + recent.len();
        let last = self.last.max(Some(*highest));
        self.records.set_len(n * RECORD);
        self.firsts.resize(n.div_ceil(self.block_records), 0);
        // Old records not yet moved: [0, left); those of them read: [read_from, left).
        let mut left = old;
        let mut read_from = old;
        let mut read: Vec<u8> = Vec::new();
        // The records to write, filled from the back, to end at `write_end`.
        let chunk = self.chunk_records;
        let mut out = vec![0u8; chunk * RECORD];
        let mut out_at = chunk;
        let mut write_end = n;
        // Where the next record goes.
        let mut next = n;
        while let Some((id, entry)) = recent.last() {
            if left > 0 && left == read_from {
                read_from = left.saturating_sub(chunk);
                let mut buf = Vec::new();
                let bytes =
                    self.records
                        .bytes(read_from * RECORD, (left - read_from) * RECORD, &mut buf);
                read.clear();
                read.extend_from_slice(bytes);
            }
            out_at -= 1;
            next -= 1;
            let slot = &mut out[out_at * RECORD..(out_at + 1) * RECORD];
            let old_record = (left > 0).then(|| {
                let i = left - 1 - read_from;
                &read[i * RECORD..(i + 1) * RECORD]
            });
            let moved_id = match old_record.filter(|r| id_of(r) > *id) {
                Some(r) => {
                    slot.copy_from_slice(r);
                    left -= 1;
                    id_of(r)
                }
                None => {
                    encode(*id, entry, slot);
                    let id = *id;
                    recent.pop();
                    id
                }
            };
            if next.is_multiple_of(self.block_records) {
                self.firsts[next / self.block_records] = moved_id;
            }
            if out_at == 0 {
                self.records.write(&out, (write_end - chunk) * RECORD);
                write_end -= chunk;
                out_at = chunk;
            }
        }
        if out_at < chunk {
            let count = chunk - out_at;
            self.records
                .write(&out[out_at * RECORD..], (write_end - count) * RECORD);
        }
        self.stored = n;
        self.last = last;
    }

    /// Calls `f` with every post, in the order of their ids.
    pub(super) fn for_each(&self, f: &mut dyn FnMut(i64, &PostEntry)) {
        let mut recent = self.recent.iter().peekable();
        let mut buf = Vec::new();
        let mut at = 0;
        while at < self.stored {
            let n = self.chunk_records.min(self.stored - at);
            let records = self.records.bytes(at * RECORD, n * RECORD, &mut buf);
            for record in records.chunks_exact(RECORD) {
                let id = id_of(record);
                while let Some((r, e)) = recent.next_if(|(r, _)| **r < id) {
                    f(*r, e);
                }
                f(id, &decode(record));
            }
            at += n;
        }
        for (r, e) in recent {
            f(*r, e);
        }
    }

    /// Room for `n` more posts (records in memory).
    pub(super) fn reserve(&mut self, n: usize) {
        if !self.records.on_file {
            self.records.held.reserve_exact(n * RECORD);
        }
    }

    /// Bytes held.
    pub(super) fn heap_bytes(&self) -> usize {
        let records = self.records.held.capacity();
        // An entry of the ordered map, with its share of the map's nodes.
        let waiting = 8 + std::mem::size_of::<PostEntry>() + 24;
        records + self.firsts.capacity() * 8 + self.recent.len() * waiting
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random posts filed, mostly in ascending order, some out of order, some again: the table
    /// must answer as an ordered map of the same entries does, in memory and on file.
    fn files_as_a_map(on_file: bool, block_rows: usize) {
        let dir = tempfile::tempdir().unwrap();
        let mut table = PostTable::default();
        assert!(table.set_block_rows(block_rows));
        let mut map: BTreeMap<i64, PostEntry> = BTreeMap::new();
        let mut x: u64 = 11;
        let mut next = || {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            x >> 33
        };
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
    fn posts_that_cannot_be_moved_to_the_file_stay_in_memory_and_the_failure_is_told() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("read-only");
        std::fs::write(&path, b"").unwrap();
        let mut table = PostTable::default();
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
