//! The candidate pairs of a rebuild: every pair of texts that share a band bucket or a long
//! paragraph, each once and in order, within a fixed budget of memory.
//!
//! A rebuild finds its candidates band after band ([`super::nodes::Nodes::candidates`]), and a
//! pair found in one band is most often found in several. [`CandidatePairs`] gathers them in a
//! buffer of [`BUFFER_PAIRS`] pairs that is sorted and rid of repeats whenever it fills. Once
//! it is more than half full after that, and the analysis has a folder for scratch files, it is
//! written out as a sorted run to an unnamed scratch file there, and emptied.
//! [`CandidatePairs::into_sorted`] then merges the runs (and what the buffer still holds) into
//! one ascending stream without repeats, that the rebuild verifies a piece at a time.
//!
//! Without a scratch file (a rebuild in memory) the buffer grows instead, as a set of the
//! pairs would. This module does not verify pairs, nor know what a band is.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};

use rayon::slice::ParallelSliceMut;

use super::nodes::{NodeId, u64s_from_le};
use super::scratch::Scratch;

/// Pairs buffered before they are sorted and rid of repeats (32 MiB).
const BUFFER_PAIRS: usize = 1 << 22;

/// Pairs read from a run at once while the runs are merged (64 KiB).
const READ_PAIRS: usize = 1 << 13;

/// A pair as one number: ascending numbers are pairs in ascending order.
fn pack(a: NodeId, b: NodeId) -> u64 {
    u64::from(a) << 32 | u64::from(b)
}

fn unpack(p: u64) -> (NodeId, NodeId) {
    ((p >> 32) as NodeId, p as NodeId)
}

/// Candidate pairs gathered in any order and with repeats, handed back sorted and once each.
#[derive(Debug)]
pub(super) struct CandidatePairs {
    buffer: Vec<u64>,
    /// The buffer's length at which it is sorted and rid of repeats.
    limit: usize,
    /// How many of the buffer's first pairs are sorted and without repeats.
    sorted: usize,
    /// The runs written out: where each starts in the file and how many pairs it has.
    runs: Vec<(u64, u64)>,
    file: Scratch,
    /// Pairs in the file.
    written: u64,
    /// The scratch file's folder, for a failure's message.
    dir: Option<PathBuf>,
}

impl CandidatePairs {
    /// Candidates that are written out in sorted runs to an unnamed scratch file in `dir`
    /// when there are many, or held in memory without one.
    pub(super) fn new(dir: Option<&Path>) -> std::io::Result<CandidatePairs> {
        let mut file = Scratch::new("candidate pairs'");
        if let Some(dir) = dir {
            file.open(tempfile::tempfile_in(dir)?);
        }
        Ok(CandidatePairs {
            buffer: Vec::new(),
            limit: BUFFER_PAIRS,
            sorted: 0,
            runs: Vec::new(),
            file,
            written: 0,
            dir: dir.map(Path::to_path_buf),
        })
    }

    /// Buffers of `pairs` pairs instead of [`BUFFER_PAIRS`] (for tests, so that a small
    /// rebuild writes several runs).
    pub(super) fn set_buffer_pairs(&mut self, pairs: usize) {
        self.limit = pairs.max(2);
    }

    /// Adds a pair (`a` < `b`).
    pub(super) fn push(&mut self, a: NodeId, b: NodeId) {
        if self.buffer.capacity() == 0 {
            self.buffer.reserve_exact(self.limit);
        }
        self.buffer.push(pack(a, b));
        if self.buffer.len() >= self.limit {
            self.settle();
            if self.buffer.len() * 2 > self.limit {
                if self.file.is_open() {
                    self.write_run();
                } else {
                    // In memory the buffer holds every pair: it grows.
                    self.limit = self.buffer.len() * 2;
                }
            }
        }
    }

    /// Sorts the buffer and drops its repeats.
    fn settle(&mut self) {
        if self.sorted == self.buffer.len() {
            return;
        }
        self.buffer.par_sort_unstable();
        self.buffer.dedup();
        self.sorted = self.buffer.len();
    }

    /// Writes the (settled) buffer out as a run and empties it (a buffer that cannot be
    /// written is kept, and grows).
    fn write_run(&mut self) {
        let bytes: Vec<u8> = self.buffer.iter().flat_map(|p| p.to_le_bytes()).collect();
        if !self.file.write(&bytes, self.written * 8) {
            self.limit = self.buffer.len() * 2;
            return;
        }
        let len = self.buffer.len() as u64;
        self.runs.push((self.written, len));
        self.written += len;
        self.buffer.clear();
        self.sorted = 0;
    }

    /// The first failure to write or read the scratch file, with its folder: the pairs then
    /// are not all there, and the rebuild must fail.
    pub(super) fn scratch_failure(&self) -> Option<(PathBuf, String)> {
        let failure = self.file.failure()?;
        Some((self.dir.clone().unwrap_or_default(), failure.clone()))
    }

    /// Every pair once, ascending.
    pub(super) fn into_sorted(mut self) -> SortedPairs {
        self.settle();
        let mut heads = BinaryHeap::new();
        let mut runs = Vec::with_capacity(self.runs.len() + 1);
        for (start, len) in std::mem::take(&mut self.runs) {
            let mut run = Run {
                values: Vec::new(),
                next: 0,
                start,
                left: len,
            };
            if let Some(first) = run.next(&self.file) {
                heads.push(Reverse((first, runs.len())));
            }
            runs.push(run);
        }
        // The buffer is the last run, in memory.
        let buffer = std::mem::take(&mut self.buffer);
        if !buffer.is_empty() {
            heads.push(Reverse((buffer[0], runs.len())));
            runs.push(Run {
                values: buffer,
                next: 1,
                start: 0,
                left: 0,
            });
        }
        SortedPairs {
            pairs: self,
            runs,
            heads,
            last: None,
        }
    }
}

/// A sorted run being merged: the values read of it and those left in the file.
#[derive(Debug)]
struct Run {
    values: Vec<u64>,
    /// The next of `values`.
    next: usize,
    /// Where the rest is in the file, and how many.
    start: u64,
    left: u64,
}

impl Run {
    fn next(&mut self, file: &Scratch) -> Option<u64> {
        if self.next == self.values.len() {
            if self.left == 0 {
                self.values = Vec::new();
                return None;
            }
            let n = self.left.min(READ_PAIRS as u64) as usize;
            let mut bytes = vec![0u8; n * 8];
            file.read(&mut bytes, self.start * 8);
            self.values.clear();
            self.values.extend(u64s_from_le(&bytes));
            self.start += n as u64;
            self.left -= n as u64;
            self.next = 0;
        }
        let v = self.values[self.next];
        self.next += 1;
        Some(v)
    }
}

/// The candidate pairs, each once, ascending ([`CandidatePairs::into_sorted`]).
#[derive(Debug)]
pub(super) struct SortedPairs {
    /// What holds the scratch file, and its failure.
    pairs: CandidatePairs,
    runs: Vec<Run>,
    /// Each run's next pair, lowest first.
    heads: BinaryHeap<Reverse<(u64, usize)>>,
    last: Option<u64>,
}

impl SortedPairs {
    /// [`CandidatePairs::scratch_failure`].
    pub(super) fn scratch_failure(&self) -> Option<(PathBuf, String)> {
        self.pairs.scratch_failure()
    }
}

impl Iterator for SortedPairs {
    type Item = (NodeId, NodeId);

    fn next(&mut self) -> Option<(NodeId, NodeId)> {
        loop {
            let Reverse((value, run)) = self.heads.pop()?;
            if let Some(following) = self.runs[run].next(&self.pairs.file) {
                self.heads.push(Reverse((following, run)));
            }
            if self.last != Some(value) {
                self.last = Some(value);
                return Some(unpack(value));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Pairs with many repeats, in a scrambled order.
    fn scrambled(n: u32) -> Vec<(NodeId, NodeId)> {
        (0..n)
            .map(|i| {
                let x = i.wrapping_mul(2_654_435_761) % 997;
                (x % 61, 61 + x % 89)
            })
            .collect()
    }

    #[test]
    fn pairs_come_back_sorted_and_once_in_memory_and_from_runs_on_file() {
        let pairs = scrambled(20_000);
        let want: Vec<(NodeId, NodeId)> = pairs
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let dir = tempfile::tempdir().unwrap();
        for (on_file, buffer) in [
            (false, 16),
            (true, 16),
            (true, 3),
            (true, 5000),
            (false, BUFFER_PAIRS),
        ] {
            let mut candidates = CandidatePairs::new(on_file.then_some(dir.path())).unwrap();
            candidates.set_buffer_pairs(buffer);
            for (a, b) in &pairs {
                candidates.push(*a, *b);
            }
            assert_eq!(
                on_file && buffer < 1000,
                candidates.runs.len() > 1,
                "runs written (on file {on_file}, buffer {buffer})"
            );
            let sorted = candidates.into_sorted();
            assert!(sorted.scratch_failure().is_none());
            let got: Vec<(NodeId, NodeId)> = sorted.collect();
            assert_eq!(got, want, "on file {on_file}, buffer {buffer}");
        }
        let none = CandidatePairs::new(Some(dir.path())).unwrap();
        assert_eq!(none.into_sorted().count(), 0);
    }
}
