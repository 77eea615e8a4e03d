//! Shares of objects (a forward origin, a cleaned URL, a copy cluster, a tag) by posts, sorted by
//! object with bounded memory: up to [`BUDGET`] shares are sorted in memory; beyond that, sorted
//! runs go to unnamed temporary files and are merged when read. A computation over a large
//! archive thus holds one object's shares at a time, not every post's.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::ObjectKind;
use crate::state_file::{self, StateError};

/// Shares sorted in memory at once (48 bytes each: 24 MiB).
const BUDGET: usize = 1 << 19;

/// One post's share of an object. The order (object, channel, date, post) puts each object's
/// shares together and each channel's first share first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Share {
    /// The object: its kind and two numbers (a forward origin's channel and message; a URL's
    /// hash; a cluster; a tag).
    pub(super) object: (u8, u64, u64),
    pub(super) channel: i64,
    /// Unix seconds; `i64::MAX` when unknown (sorts last).
    pub(super) date: i64,
    pub(super) post: i64,
}

const SHARE_BYTES: usize = 41;

impl Share {
    pub(super) fn new(
        kind: ObjectKind,
        a: u64,
        b: u64,
        channel: i64,
        date: Option<i64>,
        post: i64,
    ) -> Share {
        Share {
            object: (kind as u8, a, b),
            channel,
            date: date.unwrap_or(i64::MAX),
            post,
        }
    }

    /// The object's kind.
    pub(super) fn kind(&self) -> ObjectKind {
        ObjectKind::ALL[usize::from(self.object.0)]
    }

    /// Its date, when known.
    pub(super) fn date(&self) -> Option<i64> {
        (self.date != i64::MAX).then_some(self.date)
    }

    fn write(&self, w: &mut impl Write) -> std::io::Result<()> {
        let mut b = [0u8; SHARE_BYTES];
        b[0] = self.object.0;
        b[1..9].copy_from_slice(&self.object.1.to_le_bytes());
        b[9..17].copy_from_slice(&self.object.2.to_le_bytes());
        b[17..25].copy_from_slice(&self.channel.to_le_bytes());
        b[25..33].copy_from_slice(&self.date.to_le_bytes());
        b[33..41].copy_from_slice(&self.post.to_le_bytes());
        w.write_all(&b)
    }

    fn read(r: &mut impl Read) -> std::io::Result<Share> {
        let mut b = [0u8; SHARE_BYTES];
        r.read_exact(&mut b)?;
        let n = |at: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[at..at + 8]);
            a
        };
        Ok(Share {
            object: (b[0], u64::from_le_bytes(n(1)), u64::from_le_bytes(n(9))),
            channel: i64::from_le_bytes(n(17)),
            date: i64::from_le_bytes(n(25)),
            post: i64::from_le_bytes(n(33)),
        })
    }
}

// `ObjectKind as u8` indexes `ObjectKind::ALL`.
const _: () = {
    assert!(ObjectKind::ALL[ObjectKind::Forward as usize] as u8 == ObjectKind::Forward as u8);
    assert!(ObjectKind::ALL[ObjectKind::Link as usize] as u8 == ObjectKind::Link as u8);
    assert!(ObjectKind::ALL[ObjectKind::Copy as usize] as u8 == ObjectKind::Copy as u8);
    assert!(ObjectKind::ALL[ObjectKind::Hashtag as usize] as u8 == ObjectKind::Hashtag as u8);
};

/// Shares being collected.
pub(super) struct ShareSorter {
    buf: Vec<Share>,
    runs: Vec<(File, u64)>,
    dir: Option<PathBuf>,
    budget: usize,
}

impl ShareSorter {
    /// Temporary files (when needed) go into `dir`; `budget`: shares sorted in memory at once
    /// (the default when `None`).
    pub(super) fn new(dir: Option<&Path>, budget: Option<usize>) -> ShareSorter {
        ShareSorter::with_budget(dir, budget.unwrap_or(BUDGET))
    }

    pub(super) fn with_budget(dir: Option<&Path>, budget: usize) -> ShareSorter {
        ShareSorter {
            buf: Vec::new(),
            runs: Vec::new(),
            dir: dir.map(Path::to_path_buf),
            budget: budget.max(2),
        }
    }

    pub(super) fn push(&mut self, s: Share) -> Result<(), StateError> {
        if self.buf.len() >= self.budget {
            self.spill()?;
        }
        self.buf.push(s);
        Ok(())
    }

    fn io(&self) -> impl Fn(std::io::Error) -> StateError + '_ {
        |source| StateError::Io {
            path: self.dir.clone().unwrap_or_else(std::env::temp_dir),
            source,
        }
    }

    fn spill(&mut self) -> Result<(), StateError> {
        self.buf.sort_unstable();
        let file = state_file::spill_file(self.dir.as_deref())?;
        let mut w = BufWriter::with_capacity(1 << 16, file);
        for s in &self.buf {
            s.write(&mut w).map_err(self.io())?;
        }
        let file = w.into_inner().map_err(|e| (self.io())(e.into_error()))?;
        self.runs.push((file, self.buf.len() as u64));
        self.buf.clear();
        Ok(())
    }

    /// The shares in order.
    pub(super) fn finish(mut self) -> Result<SortedShares, StateError> {
        self.buf.sort_unstable();
        if self.runs.is_empty() {
            return Ok(SortedShares::Memory(
                std::mem::take(&mut self.buf).into_iter(),
            ));
        }
        if !self.buf.is_empty() {
            self.spill()?;
        }
        let runs = std::mem::take(&mut self.runs);
        let io = self.io();
        let mut readers = Vec::new();
        let mut heap = BinaryHeap::new();
        for (i, (mut file, n)) in runs.into_iter().enumerate() {
            file.seek(SeekFrom::Start(0)).map_err(&io)?;
            let mut r = BufReader::with_capacity(1 << 16, file);
            if n > 0 {
                heap.push(Reverse((Share::read(&mut r).map_err(&io)?, i)));
            }
            readers.push((r, n.saturating_sub(1)));
        }
        Ok(SortedShares::Merge {
            readers,
            heap,
            dir: self.dir.clone(),
        })
    }
}

/// Shares in order, from memory or merged from runs on disk.
pub(super) enum SortedShares {
    Memory(std::vec::IntoIter<Share>),
    Merge {
        readers: Vec<(BufReader<File>, u64)>,
        heap: BinaryHeap<Reverse<(Share, usize)>>,
        dir: Option<PathBuf>,
    },
}

impl SortedShares {
    /// The next share.
    pub(super) fn next_share(&mut self) -> Result<Option<Share>, StateError> {
        match self {
            SortedShares::Memory(it) => Ok(it.next()),
            SortedShares::Merge { readers, heap, dir } => {
                let Some(Reverse((share, i))) = heap.pop() else {
                    return Ok(None);
                };
                let (r, left) = &mut readers[i];
                if *left > 0 {
                    *left -= 1;
                    let next = Share::read(r).map_err(|source| StateError::Io {
                        path: dir.clone().unwrap_or_else(std::env::temp_dir),
                        source,
                    })?;
                    heap.push(Reverse((next, i)));
                }
                Ok(Some(share))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spilled_runs_merge_into_the_order_of_a_sort_in_memory() {
        let mut shares = Vec::new();
        let mut x: u64 = 12345;
        for post in 0..10_000i64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let kind = ObjectKind::ALL[(x % 4) as usize];
            let date = (!x.is_multiple_of(5)).then_some((x % 1000) as i64);
            shares.push(Share::new(kind, x % 97, x % 3, (x % 13) as i64, date, post));
        }
        let dir = tempfile::tempdir().unwrap();
        let mut sorter = ShareSorter::with_budget(Some(dir.path()), 777);
        for s in &shares {
            sorter.push(*s).unwrap();
        }
        let mut sorted = sorter.finish().unwrap();
        assert!(matches!(sorted, SortedShares::Merge { .. }));
        let mut got = Vec::new();
        while let Some(s) = sorted.next_share().unwrap() {
            got.push(s);
        }
        shares.sort_unstable();
        assert_eq!(got, shares);
        assert_eq!(got[0].kind(), ObjectKind::ALL[usize::from(got[0].object.0)]);
    }
}
