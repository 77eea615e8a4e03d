//! A parsed [`Query`](crate::Query) as a tantivy query over the index's fields.

use std::ops::Bound;

use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, PhraseQuery, Query as TantivyQuery, RangeQuery,
    TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};

use crate::exclusion::Excluded;
use crate::query::{ChannelName, CopyFilter, EntityFilter, Expr, Filter};
use crate::schema::{Fields, flags};

/// The tantivy query of an expression. Words score by BM25 over the exact and stemmed fields;
/// filters only narrow (they add nothing to the score).
pub(crate) fn to_tantivy(expr: &Expr, fields: &Fields) -> Box<dyn TantivyQuery> {
    match expr {
        Expr::All => Box::new(AllQuery),
        Expr::And(items) => {
            let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Expr::Not(inner) => clauses.push((Occur::MustNot, excluded(inner, fields))),
                    other => clauses.push((Occur::Must, to_tantivy(other, fields))),
                }
            }
            if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
                clauses.push((Occur::Must, everything()));
            }
            Box::new(BooleanQuery::new(clauses))
        }
        Expr::Or(items) => Box::new(BooleanQuery::new(
            items
                .iter()
                .map(|item| (Occur::Should, to_tantivy(item, fields)))
                .collect(),
        )),
        Expr::Not(inner) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, everything()),
            (Occur::MustNot, excluded(inner, fields)),
        ])),
        Expr::Word(words) => match words.as_slice() {
            [word] => {
                let exact = scored_term(fields.exact, &word.folded);
                match &word.stem {
                    Some((lang, stem)) => Box::new(BooleanQuery::new(vec![
                        (Occur::Should, exact),
                        (Occur::Should, scored_term(fields.stem(*lang), stem)),
                    ])),
                    None => exact,
                }
            }
            _ => phrase(
                fields.exact,
                words.iter().map(|w| (w.offset, w.folded.as_str())),
            ),
        },
        Expr::Exact(words) => match words.as_slice() {
            [(_, folded)] => scored_term(fields.exact, folded),
            _ => phrase(fields.exact, words.iter().map(|(o, f)| (*o, f.as_str()))),
        },
        Expr::Filter(filter) => Box::new(ConstScoreQuery::new(filter_query(filter, fields), 0.0)),
    }
}

fn excluded(expr: &Expr, fields: &Fields) -> Box<dyn TantivyQuery> {
    Box::new(Excluded(to_tantivy(expr, fields)))
}

fn everything() -> Box<dyn TantivyQuery> {
    Box::new(ConstScoreQuery::new(Box::new(AllQuery), 0.0))
}

fn scored_term(field: Field, text: &str) -> Box<dyn TantivyQuery> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn key_term(field: Field, text: &str) -> Box<dyn TantivyQuery> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::Basic,
    ))
}

fn phrase<'a>(
    field: Field,
    words: impl Iterator<Item = (usize, &'a str)>,
) -> Box<dyn TantivyQuery> {
    let terms: Vec<(usize, Term)> = words
        .map(|(offset, text)| (offset, Term::from_field_text(field, text)))
        .collect();
    match terms.len() {
        0 => Box::new(BooleanQuery::new(Vec::new())),
        1 => Box::new(TermQuery::new(
            terms[0].1.clone(),
            IndexRecordOption::WithFreqs,
        )),
        _ => Box::new(PhraseQuery::new_with_offset(terms)),
    }
}

/// A channel filter: the channel's archive id. A name not resolved by the archive matches
/// nothing (the index's search refuses such a query before it gets here).
fn channel_term(field: Field, name: &ChannelName) -> Box<dyn TantivyQuery> {
    match name {
        ChannelName::Id(id) => key_term(field, &id.to_string()),
        ChannelName::Written(_) => Box::new(BooleanQuery::new(Vec::new())),
    }
}

/// A copy filter: the posts the copy analysis resolved it to, by their `post_id` terms. No
/// posts (or a filter not resolved, which the index's search refuses before it gets here)
/// match nothing.
fn copy_posts(field: Field, filter: &CopyFilter) -> Box<dyn TantivyQuery> {
    match filter.posts.as_deref() {
        Some(posts) if !posts.is_empty() => Box::new(TermSetQuery::new(
            posts.iter().map(|&id| Term::from_field_i64(field, id)),
        )),
        _ => Box::new(BooleanQuery::new(Vec::new())),
    }
}

/// An entity filter: the keys the engine resolved it to, any of them. No keys (or a filter not
/// resolved, which the index's search refuses before it gets here) match nothing.
fn entity_keys(field: Field, filter: &EntityFilter) -> Box<dyn TantivyQuery> {
    match filter.keys.as_deref() {
        Some([key]) => key_term(field, key),
        Some(keys) if !keys.is_empty() => Box::new(TermSetQuery::new(
            keys.iter().map(|key| Term::from_field_text(field, key)),
        )),
        _ => Box::new(BooleanQuery::new(Vec::new())),
    }
}

fn filter_query(filter: &Filter, fields: &Fields) -> Box<dyn TantivyQuery> {
    match filter {
        Filter::Channel(name) => channel_term(fields.channel, name),
        Filter::From(name) => channel_term(fields.from, name),
        Filter::Tag(key) => key_term(fields.tag, key),
        Filter::Mention(key) => key_term(fields.mention, key),
        Filter::Lang(lang) => key_term(fields.lang, lang.code()),
        Filter::Has(flag) => key_term(fields.flag, flag),
        Filter::Copies(filter) => copy_posts(fields.post_id, filter),
        Filter::Entity(filter) => entity_keys(fields.entity, filter),
        Filter::Media(kind) => key_term(fields.media, kind),
        Filter::Edited(true) => key_term(fields.flag, flags::EDITED),
        Filter::Edited(false) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, Box::new(AllQuery) as Box<dyn TantivyQuery>),
            (
                Occur::MustNot,
                Box::new(Excluded(key_term(fields.flag, flags::EDITED))),
            ),
        ])),
        Filter::Date { from, until } => {
            let bound = |value: &Option<i64>, make: fn(Term) -> Bound<Term>| match value {
                Some(v) => make(Term::from_field_i64(fields.date, *v)),
                None => Bound::Unbounded,
            };
            let lower = bound(from, Bound::Included);
            let upper = bound(until, Bound::Excluded);
            if matches!((&lower, &upper), (Bound::Unbounded, Bound::Unbounded)) {
                // Not produced by the parser; every dated post.
                return key_term(fields.flag, flags::DATE);
            }
            Box::new(RangeQuery::new(lower, upper))
        }
    }
}
