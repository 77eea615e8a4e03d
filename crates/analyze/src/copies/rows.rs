//! A dense table of fixed-size rows numbered from 0: the copy analysis's table of texts
//! ([`super::nodes::NodeRow`], 32 bytes a text), read by a text's number at every step of a
//! rebuild or an update.
//!
//! The rows are in memory until the table is given an unnamed scratch file
//! ([`Rows::keep_on_file`]); from then on every full block of [`BLOCK_ROWS`] rows is written
//! there, and the table holds only the rows added since the last full block and the
//! [`CACHED_BLOCKS`] blocks read last (each in the slot of its number, so a block read again
//! soon is not read twice: the newest texts, and texts close in number, are read together). A
//! row changed in the file is written there at once. This module knows nothing of what a row
//! means.

use std::sync::{Mutex, PoisonError};

use super::scratch::Scratch;

/// Rows per block of the file (4 KiB of 32-byte rows).
const BLOCK_ROWS: usize = 128;

/// Blocks of the file held in memory after they were read (512 KiB of 32-byte rows).
const CACHED_BLOCKS: usize = 128;

/// Blocks read at once by a walk of the whole table.
const WALK_BLOCKS: usize = 64;

/// A row of fixed size, as the table writes it to its file.
pub(super) trait Row: Copy + Send {
    /// Its size in the file.
    const BYTES: usize;
    /// Writes it to `out` (`BYTES` long).
    fn write_to(&self, out: &mut [u8]);
    /// Reads it from `bytes` (`BYTES` long).
    fn read_from(bytes: &[u8]) -> Self;
}

/// Blocks read lately, each in the slot of its number modulo the slots.
type Cache<R> = Vec<Option<(usize, Box<[R]>)>>;

/// Rows numbered from 0, in memory or in a scratch file.
pub(super) struct Rows<R: Row> {
    block_rows: usize,
    /// Blocks in the file: the rows before `on_file × block_rows`.
    on_file: usize,
    /// The rows after those in the file.
    tail: Vec<R>,
    file: Scratch,
    cache: Mutex<Cache<R>>,
}

impl<R: Row> std::fmt::Debug for Rows<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("len", &self.len())
            .field("on_file", &self.on_file)
            .finish_non_exhaustive()
    }
}

impl<R: Row> Rows<R> {
    /// An empty table; `holds` names what it holds in a failure's message.
    pub(super) fn new(holds: &'static str) -> Rows<R> {
        Rows {
            block_rows: BLOCK_ROWS,
            on_file: 0,
            tail: Vec::new(),
            file: Scratch::new(holds),
            cache: Mutex::new(Vec::new()),
        }
    }

    /// How many rows.
    pub(super) fn len(&self) -> usize {
        self.on_file * self.block_rows + self.tail.len()
    }

    /// Where the rows of the tail start.
    fn base(&self) -> usize {
        self.on_file * self.block_rows
    }

    /// Adds a row at the end; its number.
    pub(super) fn push(&mut self, row: R) -> usize {
        let i = self.len();
        if self.tail.len() == self.tail.capacity() {
            // Growing by an eighth, not doubling, when the table is in memory.
            let more = (self.tail.len() / 8).max(self.block_rows);
            self.tail.reserve_exact(more);
        }
        self.tail.push(row);
        if self.tail.len() >= self.block_rows {
            self.spill();
        }
        i
    }

    /// Writes the full blocks of the tail to the file (when there is one; blocks that cannot
    /// be written stay in memory). The last one written stays in the cache.
    fn spill(&mut self) {
        let full = self.tail.len() / self.block_rows;
        if !self.file.is_open() || full == 0 {
            return;
        }
        let rows = full * self.block_rows;
        let mut bytes = vec![0u8; rows * R::BYTES];
        for (row, out) in self.tail[..rows]
            .iter()
            .zip(bytes.chunks_exact_mut(R::BYTES))
        {
            row.write_to(out);
        }
        if !self.file.write(&bytes, (self.base() * R::BYTES) as u64) {
            return;
        }
        let last: Box<[R]> = self.tail[rows - self.block_rows..rows].into();
        self.tail.drain(..rows);
        if self.tail.capacity() > 2 * self.block_rows {
            self.tail.shrink_to(2 * self.block_rows);
        }
        self.on_file += full;
        let block = self.on_file - 1;
        let cache = self.cache.get_mut().unwrap_or_else(PoisonError::into_inner);
        put_in(cache, block, last);
    }

    /// Block `b` of the file.
    fn read_block(&self, b: usize) -> Box<[R]> {
        let mut bytes = vec![0u8; self.block_rows * R::BYTES];
        self.file
            .read(&mut bytes, (b * self.block_rows * R::BYTES) as u64);
        bytes.chunks_exact(R::BYTES).map(R::read_from).collect()
    }

    /// Row `i` (of those there are).
    pub(super) fn get(&self, i: usize) -> R {
        let base = self.base();
        if i >= base {
            return self.tail[i - base];
        }
        let (b, at) = (i / self.block_rows, i % self.block_rows);
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((held, rows)) = slot_of(&mut cache, b)
            && *held == b
        {
            return rows[at];
        }
        let rows = self.read_block(b);
        let row = rows[at];
        put_in(&mut cache, b, rows);
        row
    }

    /// Sets row `i` (of those there are).
    pub(super) fn set(&mut self, i: usize, row: R) {
        let base = self.base();
        if i >= base {
            self.tail[i - base] = row;
            return;
        }
        let mut bytes = vec![0u8; R::BYTES];
        row.write_to(&mut bytes);
        self.file.write(&bytes, (i * R::BYTES) as u64);
        let b = i / self.block_rows;
        let cache = self.cache.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some((held, rows)) = slot_of(cache, b)
            && *held == b
        {
            rows[i % self.block_rows] = row;
        }
    }

    /// Calls `f` with every row and its number, in order: the file read a few hundred
    /// kilobytes at a time.
    pub(super) fn for_each(&self, f: &mut dyn FnMut(usize, &R)) {
        let mut bytes: Vec<u8> = Vec::new();
        let mut b = 0;
        while b < self.on_file {
            let blocks = WALK_BLOCKS.min(self.on_file - b);
            let first = b * self.block_rows;
            bytes.resize(blocks * self.block_rows * R::BYTES, 0);
            self.file.read(&mut bytes, (first * R::BYTES) as u64);
            for (k, row) in bytes.chunks_exact(R::BYTES).enumerate() {
                f(first + k, &R::read_from(row));
            }
            b += blocks;
        }
        let base = self.base();
        for (k, row) in self.tail.iter().enumerate() {
            f(base + k, row);
        }
    }

    /// Keeps the full blocks in `file` from now on (those held so far are written at once).
    pub(super) fn keep_on_file(&mut self, file: std::fs::File) {
        self.file.open(file);
        let cache = self.cache.get_mut().unwrap_or_else(PoisonError::into_inner);
        cache.resize_with(CACHED_BLOCKS, || None);
        self.spill();
    }

    /// Blocks of `rows` rows instead of [`BLOCK_ROWS`], on a table that holds none yet (for
    /// tests); `false` when it holds some.
    pub(super) fn set_block_rows(&mut self, rows: usize) -> bool {
        if rows == 0 || self.len() > 0 {
            return false;
        }
        self.block_rows = rows;
        true
    }

    /// The first failure to read or write the file.
    pub(super) fn failure(&self) -> Option<&String> {
        self.file.failure()
    }

    /// Bytes held in memory.
    pub(super) fn heap_bytes(&self) -> usize {
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let cached = cache.iter().flatten().count() * self.block_rows;
        (self.tail.capacity() + cached) * std::mem::size_of::<R>()
            + cache.capacity() * std::mem::size_of::<Option<(usize, Box<[R]>)>>()
    }
}

/// The cache's slot of block `b` (`None` when the cache has no slots: a table in memory).
fn slot_of<R>(cache: &mut Cache<R>, b: usize) -> Option<&mut (usize, Box<[R]>)> {
    let n = cache.len();
    if n == 0 {
        return None;
    }
    cache[b % n].as_mut()
}

/// Puts block `b` in its slot of the cache (when it has slots).
fn put_in<R>(cache: &mut Cache<R>, b: usize, rows: Box<[R]>) {
    let n = cache.len();
    if n > 0 {
        cache[b % n] = Some((b, rows));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Row for (u64, u32) {
        const BYTES: usize = 12;
        fn write_to(&self, out: &mut [u8]) {
            out[..8].copy_from_slice(&self.0.to_le_bytes());
            out[8..12].copy_from_slice(&self.1.to_le_bytes());
        }
        fn read_from(bytes: &[u8]) -> (u64, u32) {
            let mut a = [0u8; 8];
            a.copy_from_slice(&bytes[..8]);
            let mut b = [0u8; 4];
            b.copy_from_slice(&bytes[8..12]);
            (u64::from_le_bytes(a), u32::from_le_bytes(b))
        }
    }

    #[test]
    fn rows_on_file_read_and_change_as_rows_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        for (block_rows, file_at) in [(3, 0), (3, 50), (1, 10), (128, 0), (7, 5000)] {
            let mut rows: Rows<(u64, u32)> = Rows::new("test rows'");
            assert!(rows.set_block_rows(block_rows));
            let mut want: Vec<(u64, u32)> = Vec::new();
            let mut x: u64 = 3;
            for step in 0..3000u64 {
                if step == file_at {
                    rows.keep_on_file(tempfile::tempfile_in(dir.path()).unwrap());
                }
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let r = x >> 33;
                if r.is_multiple_of(3) && !want.is_empty() {
                    // A change anywhere, read back at once and later.
                    let i = (r as usize / 3) % want.len();
                    want[i] = (step, r as u32);
                    rows.set(i, want[i]);
                    assert_eq!(rows.get(i), want[i]);
                } else {
                    assert_eq!(rows.push((step, 0)), want.len());
                    want.push((step, 0));
                }
                let i = (r as usize) % want.len();
                assert_eq!(rows.get(i), want[i], "row {i} at step {step}");
            }
            assert_eq!(rows.len(), want.len());
            for (i, w) in want.iter().enumerate().rev() {
                assert_eq!(rows.get(i), *w);
            }
            let mut walked = Vec::new();
            rows.for_each(&mut |i, row| {
                assert_eq!(i, walked.len());
                walked.push(*row);
            });
            assert_eq!(walked, want);
            assert!(rows.failure().is_none());
            if file_at < 3000 {
                assert!(rows.on_file * block_rows + block_rows > want.len());
                assert!(rows.tail.len() < block_rows, "{}", rows.tail.len());
            }
        }
    }
}
