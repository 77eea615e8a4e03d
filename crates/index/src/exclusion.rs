//! Excluded sub-queries (`-term`) run through a wrapper that only ever seeks forward.
//!
//! tantivy 0.27's exclusion asks its excluded scorer whether it holds a document that can lie
//! before the scorer's current one; its phrase scorer answers correctly but trips a debug
//! assertion on that (quickwit-oss/tantivy#2811), so `-"a phrase"` would panic in debug builds.
//! The wrapper answers such look-ups itself from the current document, which is exact for a
//! scorer kept in a valid state (it is only ever advanced or sought forward).

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

/// A query whose scorers are only ever moved forward.
#[derive(Debug)]
pub(crate) struct Excluded(pub Box<dyn Query>);

impl Clone for Excluded {
    fn clone(&self) -> Self {
        Excluded(self.0.box_clone())
    }
}

impl Query for Excluded {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(ExcludedWeight(self.0.weight(enable_scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct ExcludedWeight(Box<dyn Weight>);

impl Weight for ExcludedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(ForwardOnly(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

/// Forwards to the scorer, except that a seek to a document at or before the current one
/// stays where it is; `seek_danger` is tantivy's default, built on `doc` and `seek`.
struct ForwardOnly(Box<dyn Scorer>);

impl DocSet for ForwardOnly {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let doc = self.0.doc();
        if target <= doc {
            return doc;
        }
        self.0.seek(target)
    }

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }
}

impl Scorer for ForwardOnly {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}
