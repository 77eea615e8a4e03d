//! Each channel's boilerplate: how many of its posts have each header or footer line, and the
//! lines that count as boilerplate (those in at least [`Params::boilerplate_min_posts`] of its
//! posts and [`Params::boilerplate_min_share`] of them).
//!
//! The counts of every channel are one table of sorted records ([`SortedRecords`]) keyed by the
//! channel's number and the line's key, so that they live in the analysis's scratch files with
//! the rest: most lines are seen once, and a large archive has millions of them. In memory stay
//! each channel's post count and its boilerplate lines. A line whose count falls to zero keeps
//! a record of zero until the analysis is next loaded or rebuilt.

use std::path::{Path, PathBuf};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::Params;
use super::sorted_records::{Record, SortedRecords};

/// A channel's boilerplate: how many of its posts the analysis holds, and the lines that
/// count as boilerplate (the counts of its lines are kept beside, in the analysis).
#[derive(Debug, Clone, Default)]
pub struct Boilerplate {
    posts: u64,
    lines: HashSet<u32>,
    /// Its number in the table of counts.
    number: u32,
}

impl PartialEq for Boilerplate {
    /// The same posts and lines (whatever number the analysis gave the channel).
    fn eq(&self, other: &Boilerplate) -> bool {
        self.posts == other.posts && self.lines == other.lines
    }
}

impl Boilerplate {
    /// How many lines are boilerplate.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether no line is.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// How many posts of the channel the analysis holds.
    pub fn posts(&self) -> u64 {
        self.posts
    }

    /// The lines that are boilerplate.
    pub(super) fn lines(&self) -> &HashSet<u32> {
        &self.lines
    }
}

/// How many posts of a channel have a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LineCount(u32);

impl Record for LineCount {
    const BYTES: usize = 4;
    // A line is most often new.
    const FILTERED: bool = true;

    fn put(&self, out: &mut [u8]) {
        out[0..4].copy_from_slice(&self.0.to_le_bytes());
    }

    fn take(bytes: &[u8]) -> LineCount {
        LineCount(u32::from_le_bytes(
            bytes[0..4].try_into().unwrap_or_default(),
        ))
    }
}

/// A line's key in the table: the channel's number, then the line's (so that a channel's lines
/// are one range, in the order of their keys).
fn key(number: u32, line: u32) -> i64 {
    (i64::from(number) << 32) | i64::from(line)
}

/// Every channel's boilerplate, and the counts of their lines.
#[derive(Debug)]
pub(super) struct Channels {
    by_id: HashMap<i64, Boilerplate>,
    counts: SortedRecords<LineCount>,
}

impl Default for Channels {
    fn default() -> Channels {
        Channels {
            by_id: HashMap::default(),
            counts: SortedRecords::new("boilerplate counts'"),
        }
    }
}

impl Channels {
    /// A channel's boilerplate.
    pub(super) fn get(&self, channel: i64) -> Option<&Boilerplate> {
        self.by_id.get(&channel)
    }

    /// A channel's boilerplate lines.
    pub(super) fn lines(&self, channel: i64) -> Option<&HashSet<u32>> {
        self.by_id.get(&channel).map(|b| &b.lines)
    }

    fn entry(&mut self, channel: i64) -> &mut Boilerplate {
        let number = self.by_id.len() as u32;
        self.by_id.entry(channel).or_insert_with(|| Boilerplate {
            number,
            ..Boilerplate::default()
        })
    }

    /// Counts a post of a channel with these header and footer lines.
    pub(super) fn add(&mut self, channel: i64, lines: &[u32]) {
        let b = self.entry(channel);
        b.posts += 1;
        let number = b.number;
        for l in lines {
            let key = key(number, *l);
            let place = self.counts.place(key);
            let count = place.value().map_or(0, |c| c.0);
            self.counts
                .put(key, LineCount(count.saturating_add(1)), &place);
        }
    }

    /// Takes back a post counted with these lines.
    pub(super) fn remove(&mut self, channel: i64, lines: &[u32]) {
        let Some(b) = self.by_id.get_mut(&channel) else {
            return;
        };
        b.posts = b.posts.saturating_sub(1);
        let number = b.number;
        for l in lines {
            let key = key(number, *l);
            let place = self.counts.place(key);
            if let Some(count) = place.value().map(|c| c.0).filter(|c| *c > 0) {
                self.counts.put(key, LineCount(count - 1), &place);
            }
        }
    }

    /// Calls `f` with each line of a channel's posts and how many of them have it, in the
    /// order of the lines' keys.
    pub(super) fn for_each_count(&self, channel: i64, f: &mut dyn FnMut(u32, u32)) {
        let Some(b) = self.by_id.get(&channel) else {
            return;
        };
        let (from, to) = (key(b.number, 0), key(b.number, u32::MAX));
        self.counts.for_each_in(from, to, &mut |k, c| {
            if c.0 > 0 {
                f(k as u32, c.0);
            }
        });
    }

    /// Recomputes a channel's boilerplate lines from its counts; returns the lines that
    /// changed.
    pub(super) fn relearn(&mut self, channel: i64, params: &Params) -> HashSet<u32> {
        let Some(b) = self.by_id.get(&channel) else {
            return HashSet::default();
        };
        let least = (params.boilerplate_min_posts as f64)
            .max((b.posts as f64 * params.boilerplate_min_share).ceil());
        let mut lines: HashSet<u32> = HashSet::default();
        self.for_each_count(channel, &mut |line, count| {
            if f64::from(count) >= least {
                lines.insert(line);
            }
        });
        let Some(b) = self.by_id.get_mut(&channel) else {
            return HashSet::default();
        };
        let changed = lines.symmetric_difference(&b.lines).copied().collect();
        b.lines = lines;
        changed
    }

    /// Every channel, by id.
    pub(super) fn sorted(&self) -> Vec<(i64, &Boilerplate)> {
        let mut all: Vec<(i64, &Boilerplate)> = self.by_id.iter().map(|(i, b)| (*i, b)).collect();
        all.sort_unstable_by_key(|(id, _)| *id);
        all
    }

    /// A channel as a saved analysis holds it: its post count, its lines' counts (ascending by
    /// line, each once) and its boilerplate lines.
    pub(super) fn load(&mut self, channel: i64, posts: u64, counts: &[(u32, u32)], lines: &[u32]) {
        let b = self.entry(channel);
        b.posts = posts;
        b.lines = lines.iter().copied().collect();
        let number = b.number;
        for (line, count) in counts {
            self.counts.insert(key(number, *line), LineCount(*count));
        }
    }

    /// [`SortedRecords::keep_on_file`] of the counts.
    pub(super) fn keep_on_file(&mut self, file: std::fs::File, dir: &Path) {
        self.counts.keep_on_file(file, dir);
    }

    /// [`SortedRecords::set_block_rows`] of the counts.
    pub(super) fn set_block_rows(&mut self, rows: usize) -> bool {
        self.counts.set_block_rows(rows)
    }

    /// [`SortedRecords::scratch_failure`] of the counts.
    pub(super) fn scratch_failure(&self) -> Option<(PathBuf, String)> {
        self.counts.scratch_failure()
    }

    /// Bytes held in memory.
    pub(super) fn heap_bytes(&self) -> usize {
        let lines: usize = self.by_id.values().map(|b| b.lines.capacity() * 5).sum();
        self.by_id.capacity() * 50 + lines + self.counts.heap_bytes()
    }
}
