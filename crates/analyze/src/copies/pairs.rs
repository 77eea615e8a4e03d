//! The verified pairs of text nodes, as sorted records (a [`SortedRecords`] table): each pair
//! under both of its nodes, so that a node's partners are one range of keys and no list of
//! partners is kept beside the pairs. In a scratch file ([`Pairs::keep_on_file`]) the pairs
//! take 34 bytes each there and almost none in memory.

use std::path::{Path, PathBuf};

use super::Edge;
use super::nodes::NodeId;
use super::sorted_records::SortedRecords;

/// The key of a pair under its node `a` (keys in the order of the nodes).
fn key(a: NodeId, b: NodeId) -> i64 {
    ((u64::from(a ^ (1 << 31)) << 32) | u64::from(b)) as i64
}

/// The pair of a key.
fn nodes(key: i64) -> (NodeId, NodeId) {
    let k = key as u64;
    (((k >> 32) as NodeId) ^ (1 << 31), k as NodeId)
}

/// The verified pairs.
#[derive(Debug)]
pub(super) struct Pairs {
    /// Each pair twice, `(a, b)` and `(b, a)`; a removed pair's records are left `None`.
    table: SortedRecords<Option<Edge>>,
    /// How many pairs.
    count: usize,
}

impl Default for Pairs {
    fn default() -> Pairs {
        Pairs {
            table: SortedRecords::new("pairs'"),
            count: 0,
        }
    }
}

impl Pairs {
    /// How many pairs.
    pub(super) fn len(&self) -> usize {
        self.count
    }

    /// The pair of two nodes.
    pub(super) fn get(&self, a: NodeId, b: NodeId) -> Option<Edge> {
        self.table.get(&key(a, b)).flatten()
    }

    /// Files a pair (replacing the edge it had); whether it is new.
    pub(super) fn insert(&mut self, a: NodeId, b: NodeId, edge: Edge) -> bool {
        let place = self.table.place(key(a, b));
        let new = place.value().is_none_or(Option::is_none);
        self.table.put(key(a, b), Some(edge), &place);
        self.table.insert(key(b, a), Some(edge));
        if new {
            self.count += 1;
        }
        new
    }

    /// Files pairs the table does not hold, without looking for them (a rebuild's: each pair
    /// once, in a table that had none of them).
    pub(super) fn extend_absent(
        &mut self,
        pairs: impl IntoIterator<Item = ((NodeId, NodeId), Edge)>,
    ) {
        for ((a, b), edge) in pairs {
            self.table.insert_absent(key(a, b), Some(edge));
            self.table.insert_absent(key(b, a), Some(edge));
            self.count += 1;
        }
    }

    /// Calls `f` with each partner of a node and their pair.
    pub(super) fn for_each_partner(&self, a: NodeId, f: &mut dyn FnMut(NodeId, &Edge)) {
        self.table
            .for_each_in(key(a, 0), key(a, NodeId::MAX), &mut |k, edge| {
                if let Some(edge) = edge {
                    f(nodes(k).1, edge);
                }
            });
    }

    /// The partners of a node.
    pub(super) fn partners(&self, a: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        self.for_each_partner(a, &mut |b, _| out.push(b));
        out
    }

    /// Removes every pair of a node.
    pub(super) fn remove_node(&mut self, a: NodeId) {
        for b in self.partners(a) {
            self.table.remove(key(a, b), None);
            self.table.remove(key(b, a), None);
            self.count -= 1;
        }
    }

    /// Calls `f` with every pair once, lower node first, in the order of the nodes.
    pub(super) fn for_each(&self, f: &mut dyn FnMut(NodeId, NodeId, &Edge)) {
        self.table.for_each(&mut |k, edge| {
            let (a, b) = nodes(k);
            if let Some(edge) = edge
                && a < b
            {
                f(a, b, edge);
            }
        });
    }

    /// See [`SortedRecords::keep_on_file`].
    pub(super) fn keep_on_file(&mut self, file: std::fs::File, dir: &Path) {
        self.table.keep_on_file(file, dir);
    }

    /// See [`SortedRecords::set_block_rows`].
    pub(super) fn set_block_rows(&mut self, rows: usize) -> bool {
        self.table.set_block_rows(rows)
    }

    /// See [`SortedRecords::scratch_failure`].
    pub(super) fn scratch_failure(&self) -> Option<(PathBuf, String)> {
        self.table.scratch_failure()
    }

    /// Bytes held.
    pub(super) fn heap_bytes(&self) -> usize {
        self.table.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Random pairs filed and nodes removed: the table must answer as a map of the same pairs
    /// does, in memory and on file in small blocks.
    #[test]
    fn pairs_filed_and_removed_are_found_as_a_map_finds_them() {
        for (on_file, rows) in [(false, 64), (true, 64), (true, 2)] {
            let dir = tempfile::tempdir().unwrap();
            let mut pairs = Pairs::default();
            assert!(pairs.set_block_rows(rows));
            if on_file {
                pairs.keep_on_file(tempfile::tempfile_in(dir.path()).unwrap(), dir.path());
            }
            let mut map: BTreeMap<(NodeId, NodeId), Edge> = BTreeMap::new();
            let mut numbers = super::super::TestNumbers::new(3);
            let mut next = |m: u64| numbers.below(m);
            for step in 0..4_000u32 {
                // Nodes from a small range, and the highest numbers.
                let node = |r: u64| {
                    if r.is_multiple_of(11) {
                        NodeId::MAX - 1 - r as NodeId % 3
                    } else {
                        r as NodeId % 300
                    }
                };
                let (a, b) = (node(next(1000)), node(next(1000)));
                if a == b {
                    continue;
                }
                let (a, b) = (a.min(b), a.max(b));
                if step % 5 == 0 {
                    pairs.remove_node(a);
                    map.retain(|(x, y), _| *x != a && *y != a);
                } else {
                    let edge = Edge {
                        full: step % 2 == 0,
                        jaccard: step as f32 / 4000.0,
                        containment: 0.5,
                    };
                    let new = pairs.insert(a, b, edge);
                    assert_eq!(new, map.insert((a, b), edge).is_none());
                }
            }
            assert_eq!(pairs.len(), map.len());
            let mut all = Vec::new();
            pairs.for_each(&mut |a, b, e| all.push(((a, b), *e)));
            assert_eq!(all, map.iter().map(|(k, e)| (*k, *e)).collect::<Vec<_>>());
            for n in (0..300).chain([NodeId::MAX - 3, NodeId::MAX - 2, NodeId::MAX - 1]) {
                let mut want: Vec<NodeId> = map
                    .keys()
                    .filter_map(|(a, b)| {
                        (*a == n).then_some(*b).or_else(|| (*b == n).then_some(*a))
                    })
                    .collect();
                want.sort_unstable();
                let mut got = pairs.partners(n);
                got.sort_unstable();
                assert_eq!(got, want, "partners of {n}");
                for b in &want {
                    assert_eq!(pairs.get(n, *b), map.get(&(n.min(*b), n.max(*b))).copied());
                }
            }
            assert!(pairs.scratch_failure().is_none());
        }
    }
}
