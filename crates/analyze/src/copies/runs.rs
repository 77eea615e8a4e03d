//! Runs of 64-bit values, one after another in one column: the texts' paragraph hashes (a run
//! per text, [`super::nodes::Nodes`]) and the clusters' posts (a run per cluster,
//! [`super::clusters::Clusters`]). A run is named by where it starts and how many values it
//! holds, `(at, len)`; the owner keeps that pair in its own rows. A run that is replaced by a
//! shorter one is overwritten in place, a longer one goes to the end, and the values no run
//! uses any more are garbage until a compaction rewrites the runs without them.
//!
//! The values are in memory until [`Runs::keep_on_file`] gives the column an unnamed scratch
//! file: from then on they live there, with only the values written last (at most
//! [`TAIL`]) in memory.

use super::nodes::u64s_from_le;
use super::scratch::Scratch;

/// Values kept in memory past the file before they are written to it.
const TAIL: usize = 1 << 16;

/// Values no run uses that make a compaction worth its while, at the least.
const COMPACT_AT_LEAST: usize = 4096;

/// A run: where it starts in the column, and how many values.
pub(super) type Run = (u32, u32);

/// Writes little-endian `u64`s.
fn u64s_le_bytes(values: &[u64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Runs of values, one after another (with the runs replaced or dropped left behind until they
/// are compacted).
#[derive(Debug)]
pub(super) struct Runs {
    /// Values kept in memory past the file before they are written to it.
    tail_at_most: usize,
    /// Values no run uses that make a compaction worth its while, at the least.
    compact_at_least: usize,
    /// How many values are in the file (those before `tail`).
    on_file: usize,
    tail: Vec<u64>,
    /// How many values no run uses.
    garbage: usize,
    file: Scratch,
}

impl Runs {
    /// An empty column in memory; `holds` says what it holds, for failures' messages (as
    /// "paragraph hashes'").
    pub(super) fn new(holds: &'static str) -> Runs {
        Runs {
            tail_at_most: TAIL,
            compact_at_least: COMPACT_AT_LEAST,
            on_file: 0,
            tail: Vec::new(),
            garbage: 0,
            file: Scratch::new(holds),
        }
    }

    /// Values in the column, garbage too.
    pub(super) fn len(&self) -> usize {
        self.on_file + self.tail.len()
    }

    /// Values some run uses.
    pub(super) fn live(&self) -> usize {
        self.len() - self.garbage
    }

    /// At most `values` values in memory past the file, and compactions from `values` unused
    /// ones, on a column that holds none yet (for tests, so that a small column is mostly on
    /// file and compacted often); `false` when it holds some.
    pub(super) fn set_tail_values(&mut self, values: usize) -> bool {
        if values == 0 || self.len() > 0 {
            return false;
        }
        self.tail_at_most = values;
        self.compact_at_least = values;
        true
    }

    /// The values of a run (a run is in the file or in the tail, never in both).
    pub(super) fn read(&self, (at, len): Run) -> Vec<u64> {
        let (at, len) = (at as usize, len as usize);
        if len == 0 {
            return Vec::new();
        }
        if at >= self.on_file {
            return self.tail[at - self.on_file..at - self.on_file + len].to_vec();
        }
        let mut bytes = vec![0u8; len * 8];
        self.file.read(&mut bytes, at as u64 * 8);
        u64s_from_le(&bytes).collect()
    }

    /// Writes `values` over the run at `at` (at least as long).
    fn overwrite(&mut self, at: usize, values: &[u64]) {
        if at >= self.on_file {
            let at = at - self.on_file;
            self.tail[at..at + values.len()].copy_from_slice(values);
        } else {
            self.file.write(&u64s_le_bytes(values), at as u64 * 8);
        }
    }

    /// Adds a run at the end.
    pub(super) fn append(&mut self, values: &[u64]) -> Run {
        let at = self.len();
        if self.tail.capacity() - self.tail.len() < values.len() {
            // Grown by an eighth, not doubled (a column in memory holds a value per text).
            self.tail
                .reserve_exact(values.len().max(self.tail.len() / 8).max(1024));
        }
        self.tail.extend_from_slice(values);
        if self.file.is_open() && self.tail.len() >= self.tail_at_most {
            self.flush();
        }
        (at as u32, values.len() as u32)
    }

    /// The run that holds `values` in place of `run`: `run` itself, overwritten, when they fit
    /// in it (what is left of it is garbage), else a new run at the end (and all of `run` is
    /// garbage).
    pub(super) fn replace(&mut self, run: Run, values: &[u64]) -> Run {
        let (at, len) = run;
        if values.len() <= len as usize {
            self.overwrite(at as usize, values);
            self.garbage += len as usize - values.len();
            (at, values.len() as u32)
        } else {
            self.garbage += len as usize;
            self.append(values)
        }
    }

    /// A run no one uses any more: its values are garbage.
    pub(super) fn drop_run(&mut self, (_, len): Run) {
        self.garbage += len as usize;
    }

    /// Whether the garbage makes a compaction worth its while: more than half the values, and
    /// a few thousand at the least.
    pub(super) fn wants_compaction(&self) -> bool {
        self.garbage > self.compact_at_least && self.garbage * 2 > self.len()
    }

    /// Writes the tail to the file (a tail that cannot be written stays in memory).
    fn flush(&mut self) {
        if !self.file.is_open()
            || !self
                .file
                .write(&u64s_le_bytes(&self.tail), self.on_file as u64 * 8)
        {
            return;
        }
        self.on_file += self.tail.len();
        self.tail = Vec::new();
    }

    /// From now on, keeps the values in `file` (an unnamed scratch file); those held so far are
    /// written there at once.
    pub(super) fn keep_on_file(&mut self, file: std::fs::File) {
        self.file.open(file);
        self.flush();
    }

    /// The first failure to read or write the scratch file.
    pub(super) fn failure(&self) -> Option<&String> {
        self.file.failure()
    }

    /// Calls `f` with each run of `runs` that has values, with its index in `runs`: runs in the
    /// file are read in the order they are there, those close together in one read of up to a
    /// few megabytes (and runs far apart each on its own, so that a few runs cost a few small
    /// reads).
    pub(super) fn for_each_run(&self, runs: &[Run], f: &mut dyn FnMut(usize, &[u64])) {
        let mut order: Vec<(u32, u32)> = runs
            .iter()
            .enumerate()
            .filter(|(_, (_, len))| *len > 0)
            .map(|(i, (at, _))| (*at, i as u32))
            .collect();
        order.sort_unstable();
        // A window of the file: the values from `start`.
        const WINDOW: usize = 1 << 19;
        let (mut start, mut window): (usize, Vec<u64>) = (0, Vec::new());
        let mut bytes: Vec<u8> = Vec::new();
        let end_of = |k: usize| {
            let (at, i) = order[k];
            at as usize + runs[i as usize].1 as usize
        };
        for k in 0..order.len() {
            let (at, i) = order[k];
            let (at, len) = (at as usize, runs[i as usize].1 as usize);
            if at >= self.on_file {
                let from = at - self.on_file;
                f(i as usize, &self.tail[from..from + len]);
                continue;
            }
            if at < start || at + len > start + window.len() {
                // This run and those after it that end within the window's reach.
                let mut end = at + len;
                for (next, (next_at, _)) in order.iter().enumerate().skip(k + 1) {
                    let next_end = end_of(next);
                    if *next_at as usize >= self.on_file || next_end > at + WINDOW {
                        break;
                    }
                    end = end.max(next_end);
                }
                bytes.resize((end - at) * 8, 0);
                self.file.read(&mut bytes, at as u64 * 8);
                window.clear();
                window.extend(u64s_from_le(&bytes));
                start = at;
            }
            f(i as usize, &window[at - start..at - start + len]);
        }
    }

    /// The runs (every run in use: the values of no other are kept) rewritten without the
    /// garbage, in place: in the order they are stored, each moves towards the start, read
    /// whole before it is written, and written where no run still to be read is. Each run of
    /// `runs` is set to where it moved.
    pub(super) fn compact(&mut self, runs: &mut [Run]) {
        let on_file = self.on_file;
        let mut written = 0usize;
        let mut tail: Vec<u64> = Vec::new();
        let mut moved: Vec<(usize, u32)> = Vec::with_capacity(runs.len());
        let this = &*self;
        this.for_each_run(runs, &mut |i, values| {
            let old = runs[i].0 as usize;
            if old < on_file {
                this.file.write(&u64s_le_bytes(values), written as u64 * 8);
                moved.push((i, written as u32));
                written += values.len();
            } else {
                // The tail's runs come after the file's: `written` is final by then.
                moved.push((i, (written + tail.len()) as u32));
                tail.extend_from_slice(values);
            }
        });
        for (at, len) in runs.iter_mut() {
            if *len == 0 {
                *at = 0;
            }
        }
        for (i, at) in moved {
            runs[i].0 = at;
        }
        self.file.set_len(written as u64 * 8);
        self.on_file = written;
        self.tail = tail;
        self.garbage = 0;
    }

    /// Bytes held.
    pub(super) fn heap_bytes(&self) -> usize {
        self.tail.capacity() * 8
    }

    /// How many values are in the file and in memory (for tests).
    #[cfg(test)]
    pub(super) fn on_file_and_in_memory(&self) -> (usize, usize) {
        (self.on_file, self.tail.len())
    }
}
