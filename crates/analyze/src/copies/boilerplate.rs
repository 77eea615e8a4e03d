//! Each channel's boilerplate: how many of its posts have each header or footer line, and the
//! lines that count as boilerplate (those in at least [`Params::boilerplate_min_posts`] of its
//! posts and [`Params::boilerplate_min_share`] of them).
//!
//! The counts of every channel are one table of sorted records ([`SortedRecords`]) keyed by the
//! channel's number and the line's key, so that they live in the analysis's scratch files with
//! the rest: most lines are seen once, and a large archive has millions of them. In memory stay
//! each channel's post count, its boilerplate lines, and the counts of its frequent lines: those
//! in at least `boilerplate_min_posts` posts, the only ones that can be boilerplate. A frequent
//! line's count is counted there and not in the table (whose record of it is then out of date),
//! so that counting it reads nothing and learning the boilerplate looks at the frequent lines
//! alone; a line that falls below takes its count back to the table. A line whose count falls
//! to zero keeps a record of zero until the analysis is next loaded or rebuilt.

use std::path::{Path, PathBuf};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::Params;
use super::sorted_records::{Record, SortedRecords, u32_at};

/// A channel's boilerplate: how many of its posts the analysis holds, and the lines that
/// count as boilerplate (the counts of its lines are kept beside, in the analysis).
#[derive(Debug, Clone, Default)]
pub struct Boilerplate {
    posts: u64,
    lines: HashSet<u32>,
    /// Its number in the table of counts.
    number: u32,
    /// The counts of its frequent lines (those the table's records are out of date for).
    frequent: HashMap<u32, u32>,
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
        LineCount(u32_at(bytes, 0))
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
    /// The count from which a line is frequent: no line below it is boilerplate.
    frequent_from: u32,
}

impl Channels {
    /// No channel yet, for the analysis made with `params`.
    pub(super) fn new(params: &Params) -> Channels {
        Channels {
            by_id: HashMap::default(),
            counts: SortedRecords::new("boilerplate counts'"),
            frequent_from: u32::try_from(params.boilerplate_min_posts)
                .unwrap_or(u32::MAX)
                .max(1),
        }
    }

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
        let frequent_from = self.frequent_from;
        let number = self.entry(channel).number;
        let Some(b) = self.by_id.get_mut(&channel) else {
            return;
        };
        b.posts += 1;
        for l in lines {
            if let Some(count) = b.frequent.get_mut(l) {
                *count = count.saturating_add(1);
                continue;
            }
            let key = key(number, *l);
            let place = self.counts.place(key);
            let count = place.value().map_or(0, |c| c.0).saturating_add(1);
            if count >= frequent_from {
                b.frequent.insert(*l, count);
            } else {
                self.counts.put(key, LineCount(count), &place);
            }
        }
    }

    /// Takes back a post counted with these lines.
    pub(super) fn remove(&mut self, channel: i64, lines: &[u32]) {
        let frequent_from = self.frequent_from;
        let Some(b) = self.by_id.get_mut(&channel) else {
            return;
        };
        b.posts = b.posts.saturating_sub(1);
        for l in lines {
            let key = key(b.number, *l);
            if let Some(count) = b.frequent.get_mut(l) {
                *count -= 1;
                if *count < frequent_from {
                    // Back to the table.
                    let count = LineCount(*count);
                    b.frequent.remove(l);
                    self.counts.insert(key, count);
                }
                continue;
            }
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
        let mut frequent: Vec<(u32, u32)> = b.frequent.iter().map(|(l, c)| (*l, *c)).collect();
        frequent.sort_unstable();
        let mut frequent = frequent.into_iter().peekable();
        let (from, to) = (key(b.number, 0), key(b.number, u32::MAX));
        self.counts.for_each_in(from, to, &mut |k, c| {
            let line = k as u32;
            while let Some((l, count)) = frequent.next_if(|(l, _)| *l < line) {
                f(l, count);
            }
            if let Some((l, count)) = frequent.next_if(|(l, _)| *l == line) {
                // The table's record is out of date: counted among the frequent lines.
                f(l, count);
            } else if c.0 > 0 {
                f(line, c.0);
            }
        });
        for (l, count) in frequent {
            f(l, count);
        }
    }

    /// Recomputes a channel's boilerplate lines from its counts; returns the lines that
    /// changed.
    pub(super) fn relearn(&mut self, channel: i64, params: &Params) -> HashSet<u32> {
        let Some(b) = self.by_id.get(&channel) else {
            return HashSet::default();
        };
        let least = (params.boilerplate_min_posts as f64)
            .max((b.posts as f64 * params.boilerplate_min_share).ceil());
        // No line below the frequent ones' least count is boilerplate.
        let lines: HashSet<u32> = b
            .frequent
            .iter()
            .filter(|(_, count)| f64::from(**count) >= least)
            .map(|(line, _)| *line)
            .collect();
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
        let frequent_from = self.frequent_from;
        let number = self.entry(channel).number;
        let Some(b) = self.by_id.get_mut(&channel) else {
            return;
        };
        b.posts = posts;
        b.lines = lines.iter().copied().collect();
        for (line, count) in counts {
            if *count >= frequent_from {
                b.frequent.insert(*line, *count);
            } else {
                self.counts.insert(key(number, *line), LineCount(*count));
            }
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
        let lines: usize = self
            .by_id
            .values()
            .map(|b| b.lines.capacity() * 5 + b.frequent.capacity() * 9)
            .sum();
        self.by_id.capacity() * 50 + lines + self.counts.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn counts_and_lines_are_those_of_a_map_whether_frequent_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let params = Params::default();
        for on_file in [false, true] {
            let mut channels = Channels::new(&params);
            if on_file {
                assert!(channels.set_block_rows(2));
                channels.keep_on_file(tempfile::tempfile_in(dir.path()).unwrap(), dir.path());
            }
            // By channel: its posts' lines, as a map counts them.
            let mut posts: Vec<(i64, Vec<u32>)> = Vec::new();
            let mut x: u64 = 5;
            for step in 0..3000 {
                if step == 1500 {
                    // As a save and a load make it again: frequent lines without a record.
                    let mut loaded = Channels::new(&params);
                    if on_file {
                        assert!(loaded.set_block_rows(2));
                        let file = tempfile::tempfile_in(dir.path()).unwrap();
                        loaded.keep_on_file(file, dir.path());
                    }
                    for (channel, b) in channels.sorted() {
                        let mut counts = Vec::new();
                        channels.for_each_count(channel, &mut |l, c| counts.push((l, c)));
                        let lines: Vec<u32> = b.lines.iter().copied().collect();
                        loaded.load(channel, b.posts, &counts, &lines);
                    }
                    channels = loaded;
                }
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let r = (x >> 33) as u32;
                if r.is_multiple_of(4) && !posts.is_empty() {
                    let (channel, lines) = posts.swap_remove(r as usize % posts.len());
                    channels.remove(channel, &lines);
                } else {
                    // Lines of one to four, most of them from a few dozen keys.
                    let channel = i64::from(r % 3);
                    let lines: Vec<u32> = (0..1 + r % 4)
                        .map(|i| (r >> (4 + 3 * i)) % if i == 0 { 40 } else { 4000 })
                        .collect();
                    channels.add(channel, &lines);
                    posts.push((channel, lines));
                }
                if step % 97 == 0 || step == 2999 {
                    for channel in 0..3 {
                        let mut want: BTreeMap<u32, u32> = BTreeMap::new();
                        let mut count: u32 = 0;
                        for (_, lines) in posts.iter().filter(|(c, _)| *c == channel) {
                            count += 1;
                            for l in lines {
                                *want.entry(*l).or_default() += 1;
                            }
                        }
                        let mut got: Vec<(u32, u32)> = Vec::new();
                        channels.for_each_count(channel, &mut |l, c| got.push((l, c)));
                        let want_counts: Vec<(u32, u32)> = want.clone().into_iter().collect();
                        assert_eq!(got, want_counts, "channel {channel} at step {step}");
                        channels.relearn(channel, &params);
                        let least = (params.boilerplate_min_posts as f64)
                            .max((f64::from(count) * params.boilerplate_min_share).ceil());
                        let want_lines: HashSet<u32> = want
                            .iter()
                            .filter(|(_, c)| f64::from(**c) >= least)
                            .map(|(l, _)| *l)
                            .collect();
                        let Some(b) = channels.get(channel) else {
                            assert_eq!(count, 0, "channel {channel} has posts");
                            continue;
                        };
                        assert_eq!(b.lines, want_lines, "channel {channel} at step {step}");
                        assert_eq!(b.posts, u64::from(count));
                    }
                }
            }
            assert!(channels.scratch_failure().is_none());
            let frequent: usize = channels.by_id.values().map(|b| b.frequent.len()).sum();
            assert!(frequent > 20, "{frequent} frequent lines");
        }
    }
}
