//! Entities in the index: the `entity` field holds a post's distinct entity keys
//! (`country:KZ`, `org:sco`, `person:lavrov`, `person:~name` for a person on no list), which the
//! `country:`, `org:` and `person:` filters match and [`crate::Index::entity_counts`] counts
//! over every post a query matches.
//!
//! The index does not recognise entities (the engine does, with the archive's lists, and hands
//! the keys over in [`crate::IndexDoc::entities`]), nor does it know what a name written in a
//! query stands for ([`crate::Query::resolve_entities`]).

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::schema::names;

/// What an entity is, as the index keys it (the kinds of `tgscope_analyze::entities`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    /// A country (`country:KZ`, by its ISO 3166-1 alpha-2 code).
    Country,
    /// An international organisation (`org:sco`).
    Org,
    /// A person (`person:lavrov`; `person:~name` for one on no list).
    Person,
}

impl EntityKind {
    /// Every kind, in the order of keys (and of [`EntityCounts::kinds`]).
    pub const ALL: [EntityKind; 3] = [EntityKind::Country, EntityKind::Org, EntityKind::Person];

    /// Its name in keys and queries: `country`, `org`, `person`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Country => "country",
            EntityKind::Org => "org",
            EntityKind::Person => "person",
        }
    }

    /// The kind of a key's or filter's name (`country`, `org`, `person`, any case).
    pub fn from_name(name: &str) -> Option<EntityKind> {
        EntityKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(name))
    }

    /// The index key of an entity of this kind: `country:KZ`.
    pub fn key(self, id: &str) -> String {
        format!("{}:{id}", self.as_str())
    }

    /// A key's kind and id: `country:KZ` gives `(Country, "KZ")`.
    pub fn split_key(key: &str) -> Option<(EntityKind, &str)> {
        let (kind, id) = key.split_once(':')?;
        let kind = EntityKind::from_name(kind)?;
        (!id.is_empty()).then_some((kind, id))
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The entities of the posts a query matches: per kind, the most frequent ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EntityCounts {
    /// Every post the query matches.
    pub matching: u64,
    /// Per kind, in the order of [`EntityKind::ALL`] (every kind, even one no post names).
    pub kinds: Vec<KindCounts>,
}

impl EntityCounts {
    /// The counts of one kind.
    pub fn of(&self, kind: EntityKind) -> Option<&KindCounts> {
        self.kinds.iter().find(|k| k.kind == kind)
    }
}

/// The entities of one kind among the posts a query matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindCounts {
    /// The kind.
    pub kind: EntityKind,
    /// Matching posts that name at least one entity of the kind.
    pub posts: u64,
    /// Distinct entities of the kind among the matching posts.
    pub distinct: u64,
    /// The most frequent ones, most posts first (ties by id), at most as many as asked for.
    pub top: Vec<EntityCount>,
}

/// One entity and the number of matching posts that name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntityCount {
    /// Its id (`KZ`, `sco`, `lavrov`, `~name`).
    pub id: String,
    /// Matching posts that name it.
    pub posts: u64,
}

/// Counts, per entity key, the posts a query matches (and per kind the posts with any entity
/// of the kind), reading the `entity` fast field of each match.
pub(crate) struct EntityTally;

/// What [`EntityTally`] gives.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Matching posts.
    pub matching: u64,
    /// Posts per key.
    pub keys: HashMap<String, u64>,
    /// Posts with at least one entity of each kind (in the order of [`EntityKind::ALL`]).
    pub with_kind: [u64; 3],
}

impl Tally {
    /// The counts, with the `per_kind` most frequent entities of each kind.
    pub fn into_counts(self, per_kind: usize) -> EntityCounts {
        let mut by_kind: [Vec<EntityCount>; 3] = Default::default();
        for (key, posts) in self.keys {
            if let Some((kind, id)) = EntityKind::split_key(&key) {
                by_kind[kind_index(kind)].push(EntityCount {
                    id: id.to_owned(),
                    posts,
                });
            }
        }
        let kinds = EntityKind::ALL
            .into_iter()
            .zip(by_kind)
            .zip(self.with_kind)
            .map(|((kind, mut top), posts)| {
                let distinct = top.len() as u64;
                if top.len() > per_kind {
                    // Only the top needs sorting.
                    top.select_nth_unstable_by(per_kind, by_posts_then_id);
                    top.truncate(per_kind);
                }
                top.sort_unstable_by(by_posts_then_id);
                KindCounts {
                    kind,
                    posts,
                    distinct,
                    top,
                }
            })
            .collect();
        EntityCounts {
            matching: self.matching,
            kinds,
        }
    }
}

fn by_posts_then_id(a: &EntityCount, b: &EntityCount) -> std::cmp::Ordering {
    b.posts.cmp(&a.posts).then_with(|| a.id.cmp(&b.id))
}

fn kind_index(kind: EntityKind) -> usize {
    match kind {
        EntityKind::Country => 0,
        EntityKind::Org => 1,
        EntityKind::Person => 2,
    }
}

/// [`EntityTally`] over one segment: posts per term ordinal of the segment's `entity` column.
pub(crate) struct SegmentEntityTally {
    /// The segment's column of keys (`None` when no post of the segment has an entity).
    column: Option<StrColumn>,
    /// Posts per term ordinal.
    per_ord: Vec<u32>,
    /// The first ordinal of each kind after the first (keys sort by kind: `country:` <
    /// `org:` < `person:`).
    org_from: u64,
    person_from: u64,
    matching: u64,
    with_kind: [u64; 3],
}

impl Collector for EntityTally {
    type Fruit = Tally;
    type Child = SegmentEntityTally;

    fn for_segment(
        &self,
        _segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentEntityTally> {
        let column = segment.fast_fields().str(names::ENTITY)?;
        let (per_ord, org_from, person_from) = match &column {
            Some(column) => {
                let dictionary = column.dictionary();
                let first_from = |prefix: &str| -> tantivy::Result<u64> {
                    let mut stream = dictionary.range().ge(prefix).into_stream()?;
                    Ok(if stream.advance() {
                        stream.term_ord()
                    } else {
                        dictionary.num_terms() as u64
                    })
                };
                (
                    vec![0u32; dictionary.num_terms()],
                    first_from("org:")?,
                    first_from("person:")?,
                )
            }
            None => (Vec::new(), 0, 0),
        };
        Ok(SegmentEntityTally {
            column,
            per_ord,
            org_from,
            person_from,
            matching: 0,
            with_kind: [0; 3],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Tally>) -> tantivy::Result<Tally> {
        let mut all = Tally::default();
        for fruit in fruits {
            all.matching += fruit.matching;
            for (i, n) in fruit.with_kind.into_iter().enumerate() {
                all.with_kind[i] += n;
            }
            if all.keys.is_empty() {
                all.keys = fruit.keys;
                continue;
            }
            for (key, posts) in fruit.keys {
                *all.keys.entry(key).or_default() += posts;
            }
        }
        Ok(all)
    }
}

impl SegmentCollector for SegmentEntityTally {
    type Fruit = Tally;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.matching += 1;
        let Some(column) = &self.column else {
            return;
        };
        let mut kinds = [false; 3];
        for ord in column.term_ords(doc) {
            if let Some(n) = self.per_ord.get_mut(ord as usize) {
                *n += 1;
            }
            let kind = if ord < self.org_from {
                0
            } else if ord < self.person_from {
                1
            } else {
                2
            };
            kinds[kind] = true;
        }
        for (i, has) in kinds.into_iter().enumerate() {
            self.with_kind[i] += u64::from(has);
        }
    }

    fn harvest(self) -> Tally {
        let mut keys = HashMap::new();
        if let Some(column) = &self.column {
            let (ords, counts): (Vec<u64>, Vec<u32>) = self
                .per_ord
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(ord, n)| (ord as u64, *n))
                .unzip();
            keys.reserve(ords.len());
            let mut counts = counts.into_iter();
            // The keys in one pass over the dictionary's blocks (a term the dictionary does not
            // give back cannot be counted under its name).
            let _complete = column.dictionary().sorted_ords_to_term_cb(&ords, |key| {
                if let Some(n) = counts.next() {
                    keys.insert(String::from_utf8_lossy(key).into_owned(), u64::from(n));
                }
            });
        }
        Tally {
            matching: self.matching,
            keys,
            with_kind: self.with_kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_their_kind_and_id() {
        assert_eq!(EntityKind::Country.key("KZ"), "country:KZ");
        assert_eq!(
            EntityKind::split_key("person:~такэси ивая"),
            Some((EntityKind::Person, "~такэси ивая"))
        );
        assert_eq!(
            EntityKind::split_key("org:sco"),
            Some((EntityKind::Org, "sco"))
        );
        assert_eq!(EntityKind::split_key("city:moscow"), None);
        assert_eq!(EntityKind::split_key("org:"), None);
        assert_eq!(EntityKind::from_name("Country"), Some(EntityKind::Country));
        // Keys sort by kind, as the tally expects.
        let mut keys = ["person:a", "org:z", "country:ZW", "org:a", "country:AD"];
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["country:AD", "country:ZW", "org:a", "org:z", "person:a"]
        );
    }

    #[test]
    fn the_top_is_the_most_frequent_ties_by_id() {
        let tally = Tally {
            matching: 10,
            keys: [
                ("country:KZ", 5),
                ("country:RU", 7),
                ("country:AM", 5),
                ("country:BY", 1),
                ("org:sco", 2),
            ]
            .into_iter()
            .map(|(k, n)| (k.to_owned(), n))
            .collect(),
            with_kind: [9, 2, 0],
        };
        let counts = tally.into_counts(3);
        let countries = counts.of(EntityKind::Country).expect("countries");
        assert_eq!(countries.distinct, 4);
        assert_eq!(countries.posts, 9);
        let top: Vec<(&str, u64)> = countries
            .top
            .iter()
            .map(|c| (c.id.as_str(), c.posts))
            .collect();
        assert_eq!(top, [("RU", 7), ("AM", 5), ("KZ", 5)]);
        let people = counts.of(EntityKind::Person).expect("people");
        assert_eq!((people.distinct, people.top.len()), (0, 0));
        assert_eq!(counts.kinds.len(), 3);
    }
}
