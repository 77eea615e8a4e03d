//! The copy clusters: each cluster's posts (and those of them that reuse only a part) as one
//! run of a [`Runs`] column, found by the cluster's id in a [`SortedRecords`] table. In
//! scratch files ([`Clusters::keep_on_file`]), a cluster takes 20 bytes and 8 a post there,
//! and almost nothing in memory; a cluster is read back when it is asked for, and the walk of
//! every cluster ([`Clusters::for_each`]) reads them a few thousand at a time.
//!
//! Which cluster a post is in is not here but in the post's own record
//! ([`super::PostEntry`]).

use std::path::{Path, PathBuf};

use super::Cluster;
use super::runs::{Run, Runs};
use super::sorted_records::{Record, SortedRecords, u32_at};

/// Clustered posts whose cluster a reclustering holds before it sets them in the posts'
/// records (16 MiB).
const POSTS_HELD: usize = 1 << 20;

/// Clusters read at once by a walk, at the most...
const WALK_CLUSTERS: usize = 4096;
/// ...and posts, unless one cluster has more.
const WALK_POSTS: usize = 1 << 20;

/// Where a cluster's posts are: its run (its posts, then its partial posts, each in
/// ascending order), and how many of the run are its posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Members {
    run: Run,
    posts: u32,
}

/// A cluster's members (`None` where a cluster was removed).
impl Record for Option<Members> {
    const BYTES: usize = 12;
    // Clusters are asked for by the ids their posts name.
    const FILTERED: bool = false;

    fn put(&self, out: &mut [u8]) {
        let (at, len, posts) = match self {
            Some(m) => (m.run.0, m.run.1, m.posts),
            None => (0, 0, u32::MAX),
        };
        out[0..4].copy_from_slice(&at.to_le_bytes());
        out[4..8].copy_from_slice(&len.to_le_bytes());
        out[8..12].copy_from_slice(&posts.to_le_bytes());
    }

    fn take(bytes: &[u8]) -> Option<Members> {
        let posts = u32_at(bytes, 8);
        (posts != u32::MAX).then(|| Members {
            run: (u32_at(bytes, 0), u32_at(bytes, 4)),
            posts,
        })
    }
}

/// The clusters, by id.
#[derive(Debug)]
pub(super) struct Clusters {
    /// Each cluster's members, by its id.
    records: SortedRecords<Option<Members>>,
    /// The posts of every cluster, a run per cluster.
    members: Runs,
    /// How many clusters.
    count: usize,
    /// The scratch files' folder (for errors).
    dir: Option<PathBuf>,
    /// Clustered posts whose cluster a reclustering holds at once ([`POSTS_HELD`]).
    pub(super) posts_held: usize,
}

impl Default for Clusters {
    fn default() -> Clusters {
        Clusters {
            records: SortedRecords::new("clusters'"),
            members: Runs::new("clusters' posts'"),
            count: 0,
            dir: None,
            posts_held: POSTS_HELD,
        }
    }
}

/// A cluster from its id and its run's values.
fn cluster(id: i64, m: &Members, values: &[u64]) -> Cluster {
    let (posts, partial) = values.split_at((m.posts as usize).min(values.len()));
    Cluster {
        id,
        posts: posts.iter().map(|p| *p as i64).collect(),
        partial: partial.iter().map(|p| *p as i64).collect(),
    }
}

impl Clusters {
    /// How many clusters.
    pub(super) fn len(&self) -> usize {
        self.count
    }

    /// A cluster by id.
    pub(super) fn get(&self, id: i64) -> Option<Cluster> {
        let m = self.records.get(&id).flatten()?;
        Some(cluster(id, &m, &self.members.read(m.run)))
    }

    /// Files a cluster (replacing the one with its id).
    pub(super) fn insert(&mut self, c: &Cluster) {
        let values: Vec<u64> = c
            .posts
            .iter()
            .chain(&c.partial)
            .map(|p| *p as u64)
            .collect();
        let place = self.records.place(c.id);
        let run = match place.value().copied().flatten() {
            Some(old) => self.members.replace(old.run, &values),
            None => {
                self.count += 1;
                self.members.append(&values)
            }
        };
        let members = Members {
            run,
            posts: c.posts.len() as u32,
        };
        self.records.put(c.id, Some(members), &place);
        self.compact_if_worth_it();
    }

    /// Removes a cluster; the cluster it was.
    pub(super) fn remove(&mut self, id: i64) -> Option<Cluster> {
        let m = self.records.get(&id).flatten()?;
        let removed = cluster(id, &m, &self.members.read(m.run));
        self.records.remove(id, None);
        self.members.drop_run(m.run);
        self.count -= 1;
        self.compact_if_worth_it();
        Some(removed)
    }

    /// Rewrites the members without the runs no cluster uses, when they are most of them.
    fn compact_if_worth_it(&mut self) {
        if !self.members.wants_compaction() {
            return;
        }
        // Every record's run (none for a removed one), in the order of the ids, and each put
        // back where it moved, in the same order.
        let mut runs: Vec<Run> = Vec::with_capacity(self.records.len());
        self.records
            .for_each(&mut |_, m| runs.push(m.map_or((0, 0), |m| m.run)));
        self.members.compact(&mut runs);
        let mut moved = runs.into_iter();
        self.records.update_each(&mut |_, m| {
            let run = moved.next().unwrap_or_default();
            match m {
                Some(m) if m.run != run => {
                    m.run = run;
                    true
                }
                _ => false,
            }
        });
    }

    /// Calls `f` with every cluster, in the order of their ids: the runs of a few thousand
    /// clusters at a time, read in the order the scratch file holds them.
    pub(super) fn for_each(&self, f: &mut dyn FnMut(&Cluster)) {
        let mut chunk: Vec<(i64, Members)> = Vec::new();
        let mut posts = 0usize;
        let mut emit = |chunk: &mut Vec<(i64, Members)>| {
            let runs: Vec<Run> = chunk.iter().map(|(_, m)| m.run).collect();
            let mut read: Vec<Option<Cluster>> = vec![None; chunk.len()];
            self.members.for_each_run(&runs, &mut |i, values| {
                let (id, m) = &chunk[i];
                read[i] = Some(cluster(*id, m, values));
            });
            for (c, (id, m)) in read.into_iter().zip(chunk.iter()) {
                // A run without values (none is filed) reads as an empty cluster.
                f(&c.unwrap_or_else(|| cluster(*id, m, &[])));
            }
            chunk.clear();
        };
        self.records.for_each(&mut |id, m| {
            if let Some(m) = m {
                chunk.push((id, *m));
                posts += m.run.1 as usize;
                if chunk.len() >= WALK_CLUSTERS || posts >= WALK_POSTS {
                    emit(&mut chunk);
                    posts = 0;
                }
            }
        });
        emit(&mut chunk);
    }

    /// From now on, keeps the clusters in unnamed scratch files in `dir` (those held so far
    /// are written there at once).
    pub(super) fn keep_on_file(&mut self, dir: &Path) -> std::io::Result<()> {
        let (records, members) = (tempfile::tempfile_in(dir)?, tempfile::tempfile_in(dir)?);
        self.records.keep_on_file(records, dir);
        self.members.keep_on_file(members);
        self.dir = Some(dir.to_path_buf());
        Ok(())
    }

    /// Blocks of `rows` records, at most `rows` posts in memory past their file, and `rows`
    /// posts' clusters held by a reclustering, on a table that holds none yet (for tests);
    /// `false` when it holds some.
    pub(super) fn set_block_rows(&mut self, rows: usize) -> bool {
        if !(self.records.set_block_rows(rows) && self.members.set_tail_values(rows)) {
            return false;
        }
        self.posts_held = rows;
        true
    }

    /// The first failure to read or write the scratch files, with their folder.
    pub(super) fn scratch_failure(&self) -> Option<(PathBuf, String)> {
        self.records.scratch_failure().or_else(|| {
            let failed = self.members.failure()?;
            Some((self.dir.clone().unwrap_or_default(), failed.clone()))
        })
    }

    /// Bytes held.
    pub(super) fn heap_bytes(&self) -> usize {
        self.records.heap_bytes() + self.members.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Clusters filed, replaced and removed at random: the table must answer as a map of the
    /// same clusters does, in memory and on file in small blocks (so that it compacts its runs
    /// many times), and its walk must give every cluster once, in order.
    #[test]
    fn clusters_filed_replaced_and_removed_are_found_as_a_map_finds_them() {
        for (on_file, rows) in [(false, 4096), (true, 4096), (false, 3), (true, 3)] {
            let dir = tempfile::tempdir().unwrap();
            let mut clusters = Clusters::default();
            assert!(clusters.set_block_rows(rows));
            if on_file {
                clusters.keep_on_file(dir.path()).unwrap();
            }
            let mut map: BTreeMap<i64, Cluster> = BTreeMap::new();
            let mut numbers = super::super::TestNumbers::new(11);
            let mut next = |m: u64| numbers.below(m);
            for step in 0..3_000u32 {
                let id = next(400) as i64 * 7 - 1_000;
                if step % 4 == 0 {
                    assert_eq!(clusters.remove(id), map.remove(&id), "removing {id}");
                } else {
                    let n = 1 + next(if step % 50 == 0 { 300 } else { 6 }) as i64;
                    let posts: Vec<i64> = (0..n).map(|i| id + i * 3).collect();
                    let partial: Vec<i64> = posts.iter().copied().filter(|p| p % 2 == 0).collect();
                    let c = Cluster { id, posts, partial };
                    clusters.insert(&c);
                    map.insert(id, c);
                }
                if step % 500 == 0 {
                    for id in map.keys().take(20) {
                        assert_eq!(clusters.get(*id).as_ref(), map.get(id));
                    }
                }
            }
            assert_eq!(clusters.len(), map.len());
            for id in (0..400).map(|i| i * 7 - 1_000) {
                assert_eq!(clusters.get(id).as_ref(), map.get(&id), "cluster {id}");
            }
            let mut walked: Vec<Cluster> = Vec::new();
            clusters.for_each(&mut |c| walked.push(c.clone()));
            assert_eq!(walked, map.values().cloned().collect::<Vec<_>>());
            assert!(clusters.scratch_failure().is_none());
            if on_file {
                let (filed, held) = clusters.members.on_file_and_in_memory();
                assert!(filed > held, "{filed} on file, {held} in memory");
            }
        }
    }
}
