//! What the copy analysis keeps of each post, by archive id, in sorted columns: about 40 bytes
//! a post, where a hash map of the same entries takes 50 to 100 (its table doubles).
//!
//! Archive ids mostly arrive in ascending order (an update reads the posts changed since its
//! mark, a rebuild each channel's posts by id), so a new post is most often appended. Posts that
//! arrive out of order wait in a small map until it holds a sixteenth of the table, and are then
//! merged into the columns.

use rustc_hash::FxHashMap as HashMap;

use super::PostEntry;

/// Posts out of order that are merged into the columns at once, at the least.
const MERGE_AT_LEAST: usize = 4096;

/// The posts, by archive id.
#[derive(Debug, Default)]
pub(super) struct PostTable {
    /// Ascending.
    ids: Vec<i64>,
    entries: Vec<PostEntry>,
    /// Posts whose ids are not in `ids`, waiting to be merged in.
    recent: HashMap<i64, PostEntry>,
}

impl PostTable {
    /// How many posts.
    pub(super) fn len(&self) -> usize {
        self.ids.len() + self.recent.len()
    }

    fn position(&self, id: i64) -> Option<usize> {
        self.ids.binary_search(&id).ok()
    }

    pub(super) fn get(&self, id: &i64) -> Option<&PostEntry> {
        match self.position(*id) {
            Some(at) => Some(&self.entries[at]),
            None => self.recent.get(id),
        }
    }

    pub(super) fn get_mut(&mut self, id: &i64) -> Option<&mut PostEntry> {
        match self.position(*id) {
            Some(at) => Some(&mut self.entries[at]),
            None => self.recent.get_mut(id),
        }
    }

    /// Files a post's entry (replacing the one it had).
    pub(super) fn insert(&mut self, id: i64, entry: PostEntry) {
        if let Some(at) = self.position(id) {
            self.entries[at] = entry;
            return;
        }
        if let Some(waiting) = self.recent.get_mut(&id) {
            *waiting = entry;
            return;
        }
        if self.ids.last().is_none_or(|last| *last < id) {
            if self.ids.len() == self.ids.capacity() {
                // Grown by an eighth, not doubled.
                let more = (self.ids.len() / 8).max(1024);
                self.ids.reserve_exact(more);
                self.entries.reserve_exact(more);
            }
            self.ids.push(id);
            self.entries.push(entry);
            return;
        }
        self.recent.insert(id, entry);
        if self.recent.len() >= MERGE_AT_LEAST.max(self.ids.len() / 16) {
            self.merge();
        }
    }

    /// Merges the posts waiting in `recent` into the columns.
    fn merge(&mut self) {
        let mut recent: Vec<(i64, PostEntry)> = self.recent.drain().collect();
        self.recent = HashMap::default();
        recent.sort_unstable_by_key(|(id, _)| *id);
        let n = self.ids.len() + recent.len();
        let mut ids = Vec::with_capacity(n);
        let mut entries = Vec::with_capacity(n);
        let mut old = std::mem::take(&mut self.ids)
            .into_iter()
            .zip(std::mem::take(&mut self.entries))
            .peekable();
        for (id, entry) in recent {
            while let Some((o, e)) = old.next_if(|(o, _)| *o < id) {
                ids.push(o);
                entries.push(e);
            }
            ids.push(id);
            entries.push(entry);
        }
        for (o, e) in old {
            ids.push(o);
            entries.push(e);
        }
        self.ids = ids;
        self.entries = entries;
    }

    /// Every post, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&i64, &PostEntry)> {
        self.ids.iter().zip(&self.entries).chain(self.recent.iter())
    }

    /// Room for `n` more posts.
    pub(super) fn reserve(&mut self, n: usize) {
        self.ids.reserve_exact(n);
        self.entries.reserve_exact(n);
    }

    /// Bytes held.
    pub(super) fn heap_bytes(&self) -> usize {
        self.ids.capacity() * 8
            + self.entries.capacity() * std::mem::size_of::<PostEntry>()
            + self.recent.capacity() * (9 + std::mem::size_of::<PostEntry>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn posts_in_any_order_are_found_as_a_map_finds_them() {
        let mut table = PostTable::default();
        let mut map: BTreeMap<i64, PostEntry> = BTreeMap::new();
        let mut x: u64 = 11;
        for step in 0..40_000u32 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let r = (x >> 33) as i64;
            // Mostly ascending, some out of order, some replaced.
            let id = match r % 10 {
                0..=6 => i64::from(step) * 3,
                7 | 8 => r % 120_000,
                _ => *map.keys().nth(r as usize % map.len().max(1)).unwrap_or(&0),
            };
            let entry = PostEntry::new(r % 5, step, &[step, 1]);
            table.insert(id, entry.clone());
            map.insert(id, entry);
            if step % 997 == 0 {
                if let Some(e) = table.get_mut(&id) {
                    e.node = 7;
                }
                map.get_mut(&id).unwrap().node = 7;
            }
        }
        assert_eq!(table.len(), map.len());
        for (id, entry) in &map {
            assert_eq!(table.get(id), Some(entry), "post {id}");
        }
        assert_eq!(table.get(&-1), None);
        let mut all: Vec<(i64, PostEntry)> = table.iter().map(|(id, e)| (*id, e.clone())).collect();
        all.sort_unstable_by_key(|(id, _)| *id);
        assert_eq!(all, map.into_iter().collect::<Vec<_>>());
        assert!(table.recent.len() < MERGE_AT_LEAST.max(table.ids.len() / 16));
        assert!(table.ids.is_sorted_by(|a, b| a < b));
    }
}
