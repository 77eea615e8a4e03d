//! The ids of every post a query matches (not a page of them): for derived data that keeps
//! which posts match a saved query, such as the engine's narratives.

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::schema::names;

/// Collects the `post_id` of every matching document.
pub(crate) struct PostIds;

/// [`PostIds`] over one segment.
pub(crate) struct SegmentPostIds {
    ids: Column<i64>,
    found: Vec<i64>,
}

impl Collector for PostIds {
    type Fruit = Vec<i64>;
    type Child = SegmentPostIds;

    fn for_segment(
        &self,
        _segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentPostIds> {
        Ok(SegmentPostIds {
            ids: segment.fast_fields().i64(names::POST_ID)?,
            found: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<i64>>) -> tantivy::Result<Vec<i64>> {
        let mut all: Vec<i64> = fruits.into_iter().flatten().collect();
        all.sort_unstable();
        all.dedup();
        Ok(all)
    }
}

impl SegmentCollector for SegmentPostIds {
    type Fruit = Vec<i64>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if let Some(id) = self.ids.first(doc) {
            self.found.push(id);
        }
    }

    fn harvest(self) -> Vec<i64> {
        self.found
    }
}
