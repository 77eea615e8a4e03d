//! The query language: its parser, the parsed [`Query`], and [`QueryError`] with the place
//! where a query goes wrong (the language is described in `docs/search.md`).

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use chrono::{Datelike, Months, NaiveDate};

use crate::analysis::{self, Lang};
use crate::entity::EntityKind;
use crate::schema::flags;

/// How deep parentheses may nest.
const MAX_DEPTH: usize = 32;

/// A parsed query, ready for [`crate::Index::search`] and [`crate::Index::count_by`].
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub(crate) root: Expr,
}

impl Query {
    /// The query that matches every post.
    pub fn all() -> Query {
        Query { root: Expr::All }
    }

    /// Resolves every `channel:` and `from:` name of the query to the archive id of the channel
    /// it names, with `resolve` (the archive decides what a name names: the index keeps only
    /// channel ids, so that search and every other filter of tgscope agree). A query must be
    /// resolved before it is run; the first error of `resolve` is returned.
    pub fn resolve_channels<E>(
        &mut self,
        mut resolve: impl FnMut(ChannelRole, &str) -> Result<i64, E>,
    ) -> Result<(), E> {
        resolve_in(&mut self.root, &mut resolve)
    }

    /// The first `channel:` or `from:` name not yet resolved to a channel id, if any.
    pub fn unresolved_channel(&self) -> Option<&str> {
        unresolved_in(&self.root)
    }

    /// Resolves every `has:copies` and `cluster:ID` to the post ids they select, with `resolve`
    /// (the index does not store copy clusters: they change whenever a later copy arrives, so
    /// the archive's copy analysis says which posts a filter selects when the query runs).
    /// `resolve` is asked once for each distinct selector of the query; filters resolved before
    /// are resolved again. A query must be resolved before it is run; the first error of
    /// `resolve` is returned.
    pub fn resolve_copies<E>(
        &mut self,
        mut resolve: impl FnMut(CopySelector) -> Result<Vec<i64>, E>,
    ) -> Result<(), E> {
        let mut resolved = Vec::new();
        resolve_copies_in(&mut self.root, &mut resolve, &mut resolved)
    }

    /// Whether the query has a copy filter, `has:copies` or `cluster:ID`, resolved or not (so
    /// the engine knows it must load the copy analysis to resolve it).
    pub fn has_copy_filter(&self) -> bool {
        copy_filter_in(&self.root, &|_| true).is_some()
    }

    /// The first copy filter not yet resolved to post ids, if any.
    pub(crate) fn unresolved_copies(&self) -> Option<CopySelector> {
        copy_filter_in(&self.root, &|filter| filter.posts.is_none())
    }

    /// Resolves every `country:`, `org:` and `person:` filter of the query to the ids of the
    /// entities its name stands for, with `resolve` (given the kind and the name as written:
    /// `KZ`, `Казахстан`, `"Сергей Лавров"`). The index keeps only entity ids, and what a name
    /// stands for depends on the archive's entity lists, so the engine decides. `resolve` is
    /// asked once for each distinct (kind, name) of the query; filters resolved before are
    /// resolved again. A filter resolved to several ids matches a post that names any of them;
    /// to none, no post (a resolver should rather fail for a name it does not know). A query
    /// must be resolved before it is run; the first error of `resolve` is returned.
    pub fn resolve_entities<E>(
        &mut self,
        mut resolve: impl FnMut(EntityKind, &str) -> Result<Vec<String>, E>,
    ) -> Result<(), E> {
        let mut resolved = Vec::new();
        resolve_entities_in(&mut self.root, &mut resolve, &mut resolved)
    }

    /// Whether the query has a `country:`, `org:` or `person:` filter, resolved or not (so the
    /// engine knows it needs the archive's entity lists to resolve it).
    pub fn has_entity_filter(&self) -> bool {
        entity_filter_in(&self.root, &|_| true).is_some()
    }

    /// The first entity filter not yet resolved to entity ids, if any: its kind and its name
    /// as written.
    pub fn unresolved_entity(&self) -> Option<(EntityKind, &str)> {
        entity_filter_in(&self.root, &|filter| filter.keys.is_none())
    }

    /// Whether the query has words to rank posts by (a query of filters only gives every post
    /// the same score: such results are best ordered by date).
    pub fn has_words(&self) -> bool {
        has_words_in(&self.root)
    }
}

/// What a channel name of a query names: the post's own channel, or a forward's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelRole {
    /// `channel:NAME`.
    Channel,
    /// `from:NAME`.
    From,
}

/// What a copy filter of a query selects (resolved by the archive's copy analysis). Its
/// `Display` is the filter as a query writes it: `has:copies`, `cluster:12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CopySelector {
    /// `has:copies`: the posts in any copy cluster.
    Any,
    /// `cluster:ID`: the posts of the copy cluster with that id.
    Cluster(i64),
}

impl fmt::Display for CopySelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CopySelector::Any => f.write_str("has:copies"),
            CopySelector::Cluster(id) => write!(f, "cluster:{id}"),
        }
    }
}

/// A copy filter of a query: what it selects and, once the copy analysis has resolved it, the
/// archive ids of the posts it selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CopyFilter {
    /// What it selects.
    pub selector: CopySelector,
    /// The posts it selects; `None` until resolved.
    pub posts: Option<Arc<[i64]>>,
}

/// An entity filter of a query (`country:X`, `org:X`, `person:X`): the kind, the name as
/// written, and, once the engine has resolved it, the index keys of the entities it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntityFilter {
    /// The kind the filter names.
    pub kind: EntityKind,
    /// The name as written (trimmed).
    pub written: String,
    /// The keys (`country:KZ`) of the entities it stands for; `None` until resolved.
    pub keys: Option<Arc<[String]>>,
}

/// A channel named in a query: as written (a name or link, not yet resolved) or as the
/// archive's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ChannelName {
    /// As written, with a `t.me` link or `@` taken off.
    Written(String),
    /// The archive id it was resolved to.
    Id(i64),
}

fn resolve_in<E>(
    expr: &mut Expr,
    resolve: &mut impl FnMut(ChannelRole, &str) -> Result<i64, E>,
) -> Result<(), E> {
    match expr {
        Expr::And(items) | Expr::Or(items) => {
            for item in items {
                resolve_in(item, resolve)?;
            }
        }
        Expr::Not(inner) => resolve_in(inner, resolve)?,
        Expr::Filter(Filter::Channel(name)) => resolve_name(ChannelRole::Channel, name, resolve)?,
        Expr::Filter(Filter::From(name)) => resolve_name(ChannelRole::From, name, resolve)?,
        Expr::All | Expr::Word(_) | Expr::Exact(_) | Expr::Filter(_) => {}
    }
    Ok(())
}

fn resolve_name<E>(
    role: ChannelRole,
    name: &mut ChannelName,
    resolve: &mut impl FnMut(ChannelRole, &str) -> Result<i64, E>,
) -> Result<(), E> {
    if let ChannelName::Written(written) = name {
        *name = ChannelName::Id(resolve(role, written)?);
    }
    Ok(())
}

/// Resolves the copy filters of `expr`, asking `resolve` once per selector (`resolved` holds
/// the answers so far).
fn resolve_copies_in<E>(
    expr: &mut Expr,
    resolve: &mut impl FnMut(CopySelector) -> Result<Vec<i64>, E>,
    resolved: &mut Vec<(CopySelector, Arc<[i64]>)>,
) -> Result<(), E> {
    match expr {
        Expr::And(items) | Expr::Or(items) => {
            for item in items {
                resolve_copies_in(item, resolve, resolved)?;
            }
        }
        Expr::Not(inner) => resolve_copies_in(inner, resolve, resolved)?,
        Expr::Filter(Filter::Copies(filter)) => {
            let known = resolved
                .iter()
                .find(|(selector, _)| *selector == filter.selector)
                .map(|(_, posts)| Arc::clone(posts));
            let posts = match known {
                Some(posts) => posts,
                None => {
                    let posts: Arc<[i64]> = resolve(filter.selector)?.into();
                    resolved.push((filter.selector, Arc::clone(&posts)));
                    posts
                }
            };
            filter.posts = Some(posts);
        }
        Expr::All | Expr::Word(_) | Expr::Exact(_) | Expr::Filter(_) => {}
    }
    Ok(())
}

/// Resolves the entity filters of `expr`, asking `resolve` once per kind and name (`resolved`
/// holds the answers so far).
fn resolve_entities_in<E>(
    expr: &mut Expr,
    resolve: &mut impl FnMut(EntityKind, &str) -> Result<Vec<String>, E>,
    resolved: &mut Vec<(EntityKind, String, Arc<[String]>)>,
) -> Result<(), E> {
    match expr {
        Expr::And(items) | Expr::Or(items) => {
            for item in items {
                resolve_entities_in(item, resolve, resolved)?;
            }
        }
        Expr::Not(inner) => resolve_entities_in(inner, resolve, resolved)?,
        Expr::Filter(Filter::Entity(filter)) => {
            let known = resolved
                .iter()
                .find(|(kind, written, _)| *kind == filter.kind && *written == filter.written)
                .map(|(_, _, keys)| Arc::clone(keys));
            let keys = match known {
                Some(keys) => keys,
                None => {
                    let mut keys: Vec<String> = resolve(filter.kind, &filter.written)?
                        .iter()
                        .map(|id| filter.kind.key(id))
                        .collect();
                    keys.sort_unstable();
                    keys.dedup();
                    let keys: Arc<[String]> = keys.into();
                    resolved.push((filter.kind, filter.written.clone(), Arc::clone(&keys)));
                    keys
                }
            };
            filter.keys = Some(keys);
        }
        Expr::All | Expr::Word(_) | Expr::Exact(_) | Expr::Filter(_) => {}
    }
    Ok(())
}

/// The kind and written name of the first entity filter of `expr` that `wanted` accepts.
fn entity_filter_in<'a>(
    expr: &'a Expr,
    wanted: &impl Fn(&EntityFilter) -> bool,
) -> Option<(EntityKind, &'a str)> {
    match expr {
        Expr::And(items) | Expr::Or(items) => {
            items.iter().find_map(|item| entity_filter_in(item, wanted))
        }
        Expr::Not(inner) => entity_filter_in(inner, wanted),
        Expr::Filter(Filter::Entity(filter)) if wanted(filter) => {
            Some((filter.kind, filter.written.as_str()))
        }
        _ => None,
    }
}

/// The selector of the first copy filter of `expr` that `wanted` accepts.
fn copy_filter_in(expr: &Expr, wanted: &impl Fn(&CopyFilter) -> bool) -> Option<CopySelector> {
    match expr {
        Expr::And(items) | Expr::Or(items) => {
            items.iter().find_map(|item| copy_filter_in(item, wanted))
        }
        Expr::Not(inner) => copy_filter_in(inner, wanted),
        Expr::Filter(Filter::Copies(filter)) if wanted(filter) => Some(filter.selector),
        _ => None,
    }
}

fn unresolved_in(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::And(items) | Expr::Or(items) => items.iter().find_map(unresolved_in),
        Expr::Not(inner) => unresolved_in(inner),
        Expr::Filter(Filter::Channel(ChannelName::Written(w)))
        | Expr::Filter(Filter::From(ChannelName::Written(w))) => Some(w),
        _ => None,
    }
}

fn has_words_in(expr: &Expr) -> bool {
    match expr {
        Expr::And(items) | Expr::Or(items) => items.iter().any(has_words_in),
        Expr::Word(_) | Expr::Exact(_) => true,
        Expr::Not(_) | Expr::All | Expr::Filter(_) => false,
    }
}

/// A query that cannot be read: where (a char offset into the query text) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct QueryError {
    /// Char offset (not byte) in the query text where the problem is.
    pub position: usize,
    /// What is wrong, for a person.
    pub message: String,
    /// The query text, to show the place.
    pub query: String,
}

impl fmt::Display for QueryError {
    /// `message (at character N)`, then the query and a caret under the place:
    ///
    /// ```text
    /// unclosed quote: add a closing " (at character 5)
    ///   rt "collective West
    ///      ^
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.position + 1)?;
        if !self.query.is_empty() && !self.query.contains('\n') {
            let line: String = self
                .query
                .chars()
                .map(|c| if c.is_whitespace() { ' ' } else { c })
                .collect();
            write!(f, "\n  {line}\n  {}^", " ".repeat(self.position))?;
        }
        Ok(())
    }
}

/// The parsed form of a query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// Every post.
    All,
    /// Every part matches.
    And(Vec<Expr>),
    /// At least one part matches.
    Or(Vec<Expr>),
    /// The part does not match.
    Not(Box<Expr>),
    /// A plain word: any of its forms. A query word that splits into several words
    /// (`COVID-19`, `t.me/mfa`) matches them in a row, exactly.
    Word(Vec<QueryWord>),
    /// `=word` or `"a phrase"`: exact (folded) forms in a row, with their offsets.
    Exact(Vec<(usize, String)>),
    /// A filter on what a post is or has.
    Filter(Filter),
}

/// One analysed word of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryWord {
    /// Its position among the words of the query word (for phrases).
    pub offset: usize,
    /// Its folded form.
    pub folded: String,
    /// Its stem and the language of the stem, when it has one.
    pub stem: Option<(Lang, String)>,
}

/// A filter of the query language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Filter {
    /// `channel:NAME`: the post's channel.
    Channel(ChannelName),
    /// `from:NAME`: the forward's source.
    From(ChannelName),
    /// `tag:X`, `#X`: a folded hashtag.
    Tag(String),
    /// `@name`, `mention:name`: a folded mention.
    Mention(String),
    /// `lang:ru|en`.
    Lang(Lang),
    /// `has:media|link|forward|date`: a value of the `flag` field.
    Has(&'static str),
    /// `has:copies`, `cluster:ID`: posts of the archive's copy clusters.
    Copies(CopyFilter),
    /// `country:X`, `org:X`, `person:X`: posts naming the entity.
    Entity(EntityFilter),
    /// `media:KIND`: a media kind, lower case.
    Media(String),
    /// `date:...`: unix seconds, `from` included, `until` excluded.
    Date {
        from: Option<i64>,
        until: Option<i64>,
    },
    /// `edited:yes|no`.
    Edited(bool),
}

/// The forms a search matched, for highlighting: words not under a `-`.
#[derive(Debug, Clone, Default)]
pub(crate) struct MatchedForms {
    /// Folded forms matched as they are.
    pub exact: HashSet<String>,
    /// Stems matched (any form of the word).
    pub stems: HashSet<(Lang, String)>,
    /// Runs of folded forms matched in a row (phrases), with their offsets.
    pub phrases: Vec<Vec<(usize, String)>>,
    /// Hashtags (`#` and the folded word) and mentions (`@` and the folded word) matched.
    pub marked: HashSet<(char, String)>,
}

impl Query {
    /// The word forms this query looks for (not those it excludes).
    pub(crate) fn matched_forms(&self) -> MatchedForms {
        let mut forms = MatchedForms::default();
        collect_forms(&self.root, &mut forms);
        forms
    }
}

fn collect_forms(expr: &Expr, forms: &mut MatchedForms) {
    match expr {
        Expr::And(items) | Expr::Or(items) => {
            for item in items {
                collect_forms(item, forms);
            }
        }
        Expr::Word(words) => match words.as_slice() {
            [word] => {
                forms.exact.insert(word.folded.clone());
                if let Some(stem) = &word.stem {
                    forms.stems.insert(stem.clone());
                }
            }
            _ => forms
                .phrases
                .push(words.iter().map(|w| (w.offset, w.folded.clone())).collect()),
        },
        Expr::Exact(words) => match words.as_slice() {
            [(_, folded)] => {
                forms.exact.insert(folded.clone());
            }
            _ => forms.phrases.push(words.clone()),
        },
        Expr::Filter(Filter::Tag(key)) => {
            forms.marked.insert(('#', key.clone()));
        }
        Expr::Filter(Filter::Mention(key)) => {
            forms.marked.insert(('@', key.clone()));
        }
        Expr::All | Expr::Not(_) | Expr::Filter(_) => {}
    }
}

/// Parses a query (see `docs/search.md`). A query that cannot be read is an error naming the char
/// offset where it goes wrong; it never silently matches nothing.
pub fn parse_query(text: &str) -> Result<Query, QueryError> {
    let mut parser = Parser {
        text,
        chars: text.chars().collect(),
        pos: 0,
        depth: 0,
    };
    let root = parser.parse_or()?;
    parser.skip_whitespace();
    if parser.peek() == Some(')') {
        return Err(parser.error(parser.pos, "unmatched ')': no '(' opens it"));
    }
    match root {
        Some(root) => Ok(Query { root }),
        None => Err(parser.error(0, "the query is empty: nothing to search for")),
    }
}

/// The filters, as written before the colon.
const FILTER_NAMES: &str = "channel:, from:, tag:, mention:, lang:, has:, media:, date:, \
                            edited:, cluster:, country:, org:, person:";

#[derive(Debug, Clone, Copy)]
enum FilterKind {
    Channel,
    From,
    Tag,
    Mention,
    Lang,
    Has,
    Media,
    Date,
    Edited,
    Cluster,
    Entity(EntityKind),
}

impl FilterKind {
    fn from_name(name: &str) -> Option<FilterKind> {
        Some(match name.to_ascii_lowercase().as_str() {
            "channel" => FilterKind::Channel,
            "from" => FilterKind::From,
            "tag" => FilterKind::Tag,
            "mention" => FilterKind::Mention,
            "lang" => FilterKind::Lang,
            "has" => FilterKind::Has,
            "media" => FilterKind::Media,
            "date" => FilterKind::Date,
            "edited" => FilterKind::Edited,
            "cluster" => FilterKind::Cluster,
            "country" => FilterKind::Entity(EntityKind::Country),
            "org" => FilterKind::Entity(EntityKind::Org),
            "person" => FilterKind::Entity(EntityKind::Person),
            _ => return None,
        })
    }
}

type Parsed<T> = Result<T, QueryError>;

struct Parser<'a> {
    text: &'a str,
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, position: usize, message: impl Into<String>) -> QueryError {
        QueryError {
            position,
            message: message.into(),
            query: self.text.to_owned(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// Whether a term ends before `c`.
    fn ends_term(c: char) -> bool {
        c.is_whitespace() || matches!(c, '(' | ')' | '"')
    }

    /// Whether the keyword (`OR`, `AND`) stands at the current place as a word of its own.
    fn at_keyword(&self, keyword: &str) -> bool {
        let n = keyword.chars().count();
        let matches = self
            .chars
            .get(self.pos..self.pos + n)
            .is_some_and(|s| s.iter().copied().eq(keyword.chars()));
        matches
            && self
                .chars
                .get(self.pos + n)
                .is_none_or(|&c| Self::ends_term(c))
    }

    /// Whether nothing that can start a term follows (the end, `)`, or a keyword).
    fn at_term_end(&self) -> bool {
        matches!(self.peek(), None | Some(')')) || self.at_keyword("OR") || self.at_keyword("AND")
    }

    /// `and ( OR and )*`; `None` when there is no term at all before the end or a `)`.
    fn parse_or(&mut self) -> Parsed<Option<Expr>> {
        let mut branches = Vec::new();
        loop {
            self.skip_whitespace();
            if self.at_keyword("OR") {
                let message = if branches.is_empty() {
                    "OR needs a term before it"
                } else {
                    "OR twice: put a term between them"
                };
                return Err(self.error(self.pos, message));
            }
            let Some(branch) = self.parse_and()? else {
                break;
            };
            branches.push(branch);
            self.skip_whitespace();
            if !self.at_keyword("OR") {
                break;
            }
            let or_at = self.pos;
            self.pos += 2;
            self.skip_whitespace();
            if matches!(self.peek(), None | Some(')')) {
                return Err(self.error(or_at, "OR needs a term after it"));
            }
        }
        Ok(match branches.len() {
            0 => None,
            1 => branches.pop(),
            _ => Some(Expr::Or(branches)),
        })
    }

    /// Terms side by side (all must match), optionally joined by `AND`.
    fn parse_and(&mut self) -> Parsed<Option<Expr>> {
        let mut items = Vec::new();
        loop {
            self.skip_whitespace();
            if matches!(self.peek(), None | Some(')')) || self.at_keyword("OR") {
                break;
            }
            if self.at_keyword("AND") {
                let and_at = self.pos;
                if items.is_empty() {
                    return Err(self.error(and_at, "AND needs a term before it"));
                }
                self.pos += 3;
                self.skip_whitespace();
                if self.at_term_end() {
                    return Err(self.error(and_at, "AND needs a term after it"));
                }
                continue;
            }
            items.push(self.parse_unary()?);
        }
        Ok(match items.len() {
            0 => None,
            1 => items.pop(),
            _ => Some(Expr::And(items)),
        })
    }

    /// `-term` or a term.
    fn parse_unary(&mut self) -> Parsed<Expr> {
        if self.peek() != Some('-') {
            return self.parse_atom();
        }
        let minus_at = self.pos;
        self.pos += 1;
        match self.peek() {
            Some(c) if c.is_whitespace() || c == ')' => Err(self.error(
                minus_at,
                "'-' must be followed by the term to exclude, with no space",
            )),
            None => Err(self.error(minus_at, "'-' must be followed by the term to exclude")),
            Some('-') => Err(self.error(minus_at, "'--': exclude a term with a single '-'")),
            _ if self.at_term_end() => Err(self.error(
                minus_at,
                "'-' must be followed by the term to exclude, not by a keyword",
            )),
            _ => Ok(Expr::Not(Box::new(self.parse_atom()?))),
        }
    }

    fn parse_atom(&mut self) -> Parsed<Expr> {
        let start = self.pos;
        match self.peek() {
            Some('(') => self.parse_group(),
            Some('"') => {
                let phrase = self.read_quoted()?;
                self.exact_words(&phrase, start, "phrase")
            }
            Some('=') => {
                self.pos += 1;
                match self.peek() {
                    Some('"') => {
                        let phrase = self.read_quoted()?;
                        self.exact_words(&phrase, start, "phrase")
                    }
                    Some('(') => {
                        Err(self.error(start, "'=' applies to a word or a phrase, not to a group"))
                    }
                    Some(c) if !Self::ends_term(c) => {
                        let word = self.read_word();
                        self.exact_words(&word, start, "word")
                    }
                    _ => Err(self.error(
                        start,
                        "'=' must be followed by a word (its exact form), with no space",
                    )),
                }
            }
            Some('#') | Some('@') => {
                let mention = self.peek() == Some('@');
                self.pos += 1;
                let word = self.read_word();
                let key = analysis::tag_key(trim_trailing_punctuation(&word));
                if key.is_empty() {
                    let what = if mention {
                        "'@' must be followed by a username"
                    } else {
                        "'#' must be followed by a hashtag"
                    };
                    return Err(self.error(start, what));
                }
                Ok(Expr::Filter(if mention {
                    Filter::Mention(key)
                } else {
                    Filter::Tag(key)
                }))
            }
            _ => {
                let word = self.read_word();
                if let Some(filter) = self.filter(&word, start)? {
                    return Ok(filter);
                }
                let words = analysis::words(&word);
                if words.is_empty() {
                    return Err(self.error(
                        start,
                        format!("'{word}' has no letters or digits to search for"),
                    ));
                }
                let first = words[0].position;
                Ok(Expr::Word(
                    words
                        .into_iter()
                        .map(|w| QueryWord {
                            offset: w.position - first,
                            stem: w.stem(),
                            folded: w.folded,
                        })
                        .collect(),
                ))
            }
        }
    }

    fn parse_group(&mut self) -> Parsed<Expr> {
        let open_at = self.pos;
        if self.depth >= MAX_DEPTH {
            return Err(self.error(open_at, "parentheses nest too deep"));
        }
        self.pos += 1;
        self.depth += 1;
        let inner = self.parse_or()?;
        self.depth -= 1;
        self.skip_whitespace();
        if self.peek() != Some(')') {
            return Err(self.error(open_at, "unclosed parenthesis: add a ')'"));
        }
        self.pos += 1;
        inner.ok_or_else(|| self.error(open_at, "empty parentheses: put a term inside"))
    }

    /// Reads a term up to a space, a parenthesis or a quote.
    fn read_word(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|c| !Self::ends_term(c)) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// Reads `"..."` from the opening quote at the current place.
    fn read_quoted(&mut self) -> Parsed<String> {
        let open_at = self.pos;
        let close = self.chars[open_at + 1..]
            .iter()
            .position(|&c| c == '"')
            .map(|i| open_at + 1 + i)
            .ok_or_else(|| self.error(open_at, "unclosed quote: add a closing '\"'"))?;
        self.pos = close + 1;
        Ok(self.chars[open_at + 1..close].iter().collect())
    }

    fn exact_words(&self, text: &str, start: usize, what: &str) -> Parsed<Expr> {
        let words = analysis::words(text);
        if words.is_empty() {
            let message = if text.trim().is_empty() {
                format!("empty {what}: nothing to search for")
            } else {
                format!("the {what} has no letters or digits to search for")
            };
            return Err(self.error(start, message));
        }
        let first = words[0].position;
        Ok(Expr::Exact(
            words
                .into_iter()
                .map(|w| (w.position - first, w.folded))
                .collect(),
        ))
    }

    /// A `name:value` filter, when `word` is one. An unknown name is an error, except when the
    /// word is a link (`https://...`) or ends with its colon (`Note:`).
    fn filter(&mut self, word: &str, start: usize) -> Parsed<Option<Expr>> {
        let Some((name, value)) = word.split_once(':') else {
            return Ok(None);
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphabetic()) {
            return Ok(None);
        }
        let Some(kind) = FilterKind::from_name(name) else {
            if value.is_empty() || value.starts_with("//") {
                return Ok(None);
            }
            return Err(self.error(
                start,
                format!("unknown filter '{name}:'; the filters are {FILTER_NAMES}"),
            ));
        };
        let mut value_at = start + name.chars().count() + 1;
        let value = if value.is_empty() && self.peek() == Some('"') {
            value_at = self.pos + 1;
            self.read_quoted()?
        } else {
            value.to_owned()
        };
        let value = value.trim();
        if value.is_empty() {
            return Err(self.error(
                start,
                format!("'{name}:' needs a value, with no space after the colon"),
            ));
        }
        self.filter_value(kind, name, value, value_at).map(Some)
    }

    fn filter_value(
        &self,
        kind: FilterKind,
        name: &str,
        value: &str,
        value_at: usize,
    ) -> Parsed<Expr> {
        let filter = match kind {
            FilterKind::Channel | FilterKind::From => {
                let written = tgscope_text::names::bare_name(value);
                if tgscope_text::names::name_key(written).is_empty() {
                    return Err(self.error(
                        value_at,
                        format!("'{name}:' needs a name with letters or digits"),
                    ));
                }
                let written = ChannelName::Written(written.to_owned());
                if matches!(kind, FilterKind::Channel) {
                    Filter::Channel(written)
                } else {
                    Filter::From(written)
                }
            }
            FilterKind::Tag | FilterKind::Mention => {
                let key = analysis::tag_key(value);
                if key.is_empty() {
                    return Err(self.error(value_at, format!("'{name}:' needs a value")));
                }
                if matches!(kind, FilterKind::Tag) {
                    Filter::Tag(key)
                } else {
                    Filter::Mention(key)
                }
            }
            FilterKind::Lang => Filter::Lang(Lang::from_code(value).ok_or_else(|| {
                self.error(
                    value_at,
                    format!("unknown language '{value}': write lang:ru or lang:en"),
                )
            })?),
            FilterKind::Has => match value.to_ascii_lowercase().as_str() {
                "media" => Filter::Has(flags::MEDIA),
                "link" => Filter::Has(flags::LINK),
                "forward" => Filter::Has(flags::FORWARD),
                "date" => Filter::Has(flags::DATE),
                "copies" => Filter::Copies(CopyFilter {
                    selector: CopySelector::Any,
                    posts: None,
                }),
                _ => {
                    return Err(self.error(
                        value_at,
                        format!(
                            "unknown has:{value}: write has:media, has:link, has:forward, \
                             has:date or has:copies"
                        ),
                    ));
                }
            },
            FilterKind::Cluster => {
                let id = Some(value)
                    .filter(|v| v.chars().all(|c| c.is_ascii_digit()))
                    .and_then(|v| v.parse::<i64>().ok())
                    .filter(|id| *id > 0)
                    .ok_or_else(|| {
                        self.error(
                            value_at,
                            format!(
                                "cluster:{value}: write the cluster's number, as `tgscope \
                                 clusters` shows it (cluster:12)"
                            ),
                        )
                    })?;
                Filter::Copies(CopyFilter {
                    selector: CopySelector::Cluster(id),
                    posts: None,
                })
            }
            FilterKind::Media => Filter::Media(value.to_lowercase()),
            FilterKind::Edited => Filter::Edited(match value.to_ascii_lowercase().as_str() {
                "yes" | "true" => true,
                "no" | "false" => false,
                _ => {
                    return Err(self.error(
                        value_at,
                        format!("edited:{value}: write edited:yes or edited:no"),
                    ));
                }
            }),
            FilterKind::Date => self.date_range(value, value_at)?,
            FilterKind::Entity(kind) => Filter::Entity(EntityFilter {
                kind,
                written: value.to_owned(),
                keys: None,
            }),
        };
        Ok(Expr::Filter(filter))
    }

    /// `A..B`, `A..`, `..B` or `A`, each end `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (UTC).
    fn date_range(&self, value: &str, value_at: usize) -> Parsed<Filter> {
        let Some((a, b)) = value.split_once("..") else {
            let (from, until) = self.date_span(value, value_at)?;
            return Ok(Filter::Date {
                from: Some(from),
                until: Some(until),
            });
        };
        if a.is_empty() && b.is_empty() {
            return Err(self.error(
                value_at,
                "a date range needs at least one end: date:2024-01-01..2024-03-31, \
                 date:..2024-03-31 or date:2024-01-01..",
            ));
        }
        let b_at = value_at + a.chars().count() + 2;
        let from = if a.is_empty() {
            None
        } else {
            Some(self.date_span(a, value_at)?.0)
        };
        let until = if b.is_empty() {
            None
        } else {
            Some(self.date_span(b, b_at)?.1)
        };
        if let (Some(from), Some(until)) = (from, until)
            && from >= until
        {
            return Err(self.error(value_at, "the date range ends before it starts"));
        }
        Ok(Filter::Date { from, until })
    }

    /// The span a date names, `[start, end)` in unix seconds: a year, a month or a day.
    fn date_span(&self, text: &str, at: usize) -> Parsed<(i64, i64)> {
        let bad = || {
            self.error(
                at,
                format!("bad date '{text}': write YYYY, YYYY-MM or YYYY-MM-DD"),
            )
        };
        let no_such = || self.error(at, format!("no such date '{text}'"));
        let parts: Vec<&str> = text.split('-').collect();
        let number = |s: &str, digits: std::ops::RangeInclusive<usize>| {
            if digits.contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit()) {
                s.parse::<u32>().ok()
            } else {
                None
            }
        };
        let year = parts
            .first()
            .and_then(|y| number(y, 4..=4))
            .ok_or_else(bad)?;
        let year = i32::try_from(year).map_err(|_| bad())?;
        let (start, end) = match parts.as_slice() {
            [_] => {
                let start = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(no_such)?;
                (start, start.with_year(year + 1).ok_or_else(no_such)?)
            }
            [_, month] => {
                let month = number(month, 1..=2).ok_or_else(bad)?;
                let start = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(no_such)?;
                (
                    start,
                    start
                        .checked_add_months(Months::new(1))
                        .ok_or_else(no_such)?,
                )
            }
            [_, month, day] => {
                let month = number(month, 1..=2).ok_or_else(bad)?;
                let day = number(day, 1..=2).ok_or_else(bad)?;
                let start = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(no_such)?;
                (start, start.succ_opt().ok_or_else(no_such)?)
            }
            _ => return Err(bad()),
        };
        let seconds = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp();
        Ok((seconds(start), seconds(end)))
    }
}

fn trim_trailing_punctuation(word: &str) -> &str {
    word.trim_end_matches(['.', ',', ';', ':', '!', '?'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Expr {
        match parse_query(text) {
            Ok(q) => q.root,
            Err(e) => panic!("{text:?} did not parse: {e}"),
        }
    }

    fn error(text: &str) -> QueryError {
        match parse_query(text) {
            Ok(q) => panic!("{text:?} parsed as {q:?}"),
            Err(e) => e,
        }
    }

    fn exact(words: &[&str]) -> Expr {
        Expr::Exact(
            words
                .iter()
                .enumerate()
                .map(|(i, w)| (i, (*w).to_owned()))
                .collect(),
        )
    }

    fn folded_word(expr: &Expr) -> &str {
        match expr {
            Expr::Word(words) if words.len() == 1 => &words[0].folded,
            other => panic!("not a single word: {other:?}"),
        }
    }

    #[test]
    fn words_side_by_side_all_match() {
        let Expr::And(items) = parsed("Россия  sanctions") else {
            panic!("not an AND");
        };
        assert_eq!(folded_word(&items[0]), "россия");
        assert_eq!(folded_word(&items[1]), "sanctions");
        let Expr::Word(words) = &items[0] else {
            panic!()
        };
        assert_eq!(words[0].stem, Some((Lang::Ru, "росс".to_owned())));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let Expr::Or(branches) = parsed("a b OR c") else {
            panic!("not an OR");
        };
        assert!(matches!(&branches[0], Expr::And(items) if items.len() == 2));
        assert_eq!(folded_word(&branches[1]), "c");
        // Explicit AND is the same as a space.
        assert_eq!(parsed("a AND b"), parsed("a b"));
        // Lower-case or is a word.
        assert!(matches!(parsed("a or b"), Expr::And(items) if items.len() == 3));
    }

    #[test]
    fn groups_exclusions_and_exact_forms() {
        let Expr::And(items) = parsed("-(a OR b) =Россия -\"collective West\" -=x") else {
            panic!("not an AND");
        };
        assert!(matches!(&items[0], Expr::Not(inner) if matches!(**inner, Expr::Or(_))));
        assert_eq!(items[1], exact(&["россия"]));
        assert_eq!(
            items[2],
            Expr::Not(Box::new(exact(&["collective", "west"])))
        );
        assert_eq!(items[3], Expr::Not(Box::new(exact(&["x"]))));
        assert_eq!(parsed("=\"Ёлка\""), exact(&["елка"]));
    }

    #[test]
    fn a_word_that_splits_is_a_row_of_words() {
        let Expr::Word(words) = parsed("COVID-19") else {
            panic!()
        };
        let forms: Vec<_> = words
            .iter()
            .map(|w| (w.offset, w.folded.as_str()))
            .collect();
        assert_eq!(forms, [(0, "covid"), (1, "19")]);
    }

    #[test]
    fn filters() {
        assert_eq!(
            parsed("channel:@MFARussia"),
            Expr::Filter(Filter::Channel(ChannelName::Written("MFARussia".into())))
        );
        assert_eq!(
            parsed("channel:https://t.me/s/MFARussia/"),
            Expr::Filter(Filter::Channel(ChannelName::Written("MFARussia".into())))
        );
        assert_eq!(
            parsed("from:\"Russian MFA 🇷🇺\""),
            Expr::Filter(Filter::From(ChannelName::Written("Russian MFA 🇷🇺".into())))
        );
        assert_eq!(
            parsed("#Россия"),
            Expr::Filter(Filter::Tag("россия".into()))
        );
        assert_eq!(parsed("tag:РОССИЯ"), parsed("#россия"));
        assert_eq!(
            parsed("@MID_Russia"),
            Expr::Filter(Filter::Mention("mid_russia".into()))
        );
        assert_eq!(parsed("LANG:EN"), Expr::Filter(Filter::Lang(Lang::En)));
        assert_eq!(
            parsed("has:forward"),
            Expr::Filter(Filter::Has(flags::FORWARD))
        );
        assert_eq!(
            parsed("media:Video"),
            Expr::Filter(Filter::Media("video".into()))
        );
        assert_eq!(parsed("edited:no"), Expr::Filter(Filter::Edited(false)));
        assert_eq!(parsed("has:copies"), unresolved_copies(CopySelector::Any));
        assert_eq!(parsed("HAS:Copies"), unresolved_copies(CopySelector::Any));
        assert_eq!(
            parsed("cluster:12"),
            unresolved_copies(CopySelector::Cluster(12))
        );
        assert_eq!(
            parsed("Cluster:\"007\""),
            unresolved_copies(CopySelector::Cluster(7))
        );
        // Not filters: a link, a word ending with a colon, a time.
        assert!(matches!(parsed("https://t.me/mfa"), Expr::Word(_)));
        assert!(matches!(parsed("Note:"), Expr::Word(_)));
        assert!(matches!(parsed("10:30"), Expr::Word(_)));
    }

    fn unresolved_copies(selector: CopySelector) -> Expr {
        Expr::Filter(Filter::Copies(CopyFilter {
            selector,
            posts: None,
        }))
    }

    /// The copy filters of a query, in order, with the posts each was resolved to.
    fn copy_filters(expr: &Expr) -> Vec<(CopySelector, Option<Vec<i64>>)> {
        match expr {
            Expr::And(items) | Expr::Or(items) => items.iter().flat_map(copy_filters).collect(),
            Expr::Not(inner) => copy_filters(inner),
            Expr::Filter(Filter::Copies(f)) => {
                vec![(f.selector, f.posts.as_deref().map(<[i64]>::to_vec))]
            }
            _ => Vec::new(),
        }
    }

    #[test]
    fn copy_filters_combine_and_negate_like_any_filter() {
        let Expr::And(items) = parsed("-has:copies санкции (cluster:5 OR #россия)")
        else {
            panic!("not an AND");
        };
        assert_eq!(
            items[0],
            Expr::Not(Box::new(unresolved_copies(CopySelector::Any)))
        );
        assert!(matches!(&items[2], Expr::Or(branches)
            if branches[0] == unresolved_copies(CopySelector::Cluster(5))));
        assert_eq!(CopySelector::Any.to_string(), "has:copies");
        assert_eq!(CopySelector::Cluster(5).to_string(), "cluster:5");
    }

    #[test]
    fn copy_filters_are_resolved_to_post_ids_once_per_selector() {
        let mut query = parse_query("has:copies (cluster:5 OR -cluster:9) -(cluster:5 санкции)")
            .expect("parses");
        assert!(query.has_copy_filter());
        assert_eq!(query.unresolved_copies(), Some(CopySelector::Any));
        let mut asked = Vec::new();
        let resolved: Result<(), String> = query.resolve_copies(|selector| {
            asked.push(selector);
            Ok(match selector {
                CopySelector::Any => vec![1, 2, 3, 4],
                CopySelector::Cluster(5) => vec![1, 2],
                CopySelector::Cluster(_) => Vec::new(),
            })
        });
        assert_eq!(resolved, Ok(()));
        assert_eq!(
            asked,
            [
                CopySelector::Any,
                CopySelector::Cluster(5),
                CopySelector::Cluster(9)
            ]
        );
        assert_eq!(
            copy_filters(&query.root),
            [
                (CopySelector::Any, Some(vec![1, 2, 3, 4])),
                (CopySelector::Cluster(5), Some(vec![1, 2])),
                (CopySelector::Cluster(9), Some(vec![])),
                (CopySelector::Cluster(5), Some(vec![1, 2])),
            ]
        );
        assert_eq!(query.unresolved_copies(), None);
        // Still a query with a copy filter once resolved; channel names are left alone.
        assert!(query.has_copy_filter());
        let mut other = parse_query("channel:mfa санкции").expect("parses");
        assert!(!other.has_copy_filter());
        assert_eq!(other.resolve_copies(|_| Err("not asked")), Ok(()));
        assert_eq!(other.unresolved_channel(), Some("mfa"));
    }

    #[test]
    fn the_first_error_of_resolving_copies_is_returned() {
        let mut query = parse_query("cluster:5 OR cluster:6").expect("parses");
        let resolved = query.resolve_copies(|selector| match selector {
            CopySelector::Cluster(6) => Err(format!("no copy cluster {selector}")),
            _ => Ok(vec![5]),
        });
        assert_eq!(resolved, Err("no copy cluster cluster:6".to_owned()));
        assert_eq!(query.unresolved_copies(), Some(CopySelector::Cluster(6)));
    }

    fn unresolved_entity(kind: EntityKind, written: &str) -> Expr {
        Expr::Filter(Filter::Entity(EntityFilter {
            kind,
            written: written.into(),
            keys: None,
        }))
    }

    /// The entity filters of a query, in order, with the keys each was resolved to.
    fn entity_filters(expr: &Expr) -> Vec<(EntityKind, String, Option<Vec<String>>)> {
        match expr {
            Expr::And(items) | Expr::Or(items) => items.iter().flat_map(entity_filters).collect(),
            Expr::Not(inner) => entity_filters(inner),
            Expr::Filter(Filter::Entity(f)) => vec![(
                f.kind,
                f.written.clone(),
                f.keys.as_deref().map(<[String]>::to_vec),
            )],
            _ => Vec::new(),
        }
    }

    #[test]
    fn entity_filters_keep_the_name_as_written() {
        assert_eq!(
            parsed("country:KZ"),
            unresolved_entity(EntityKind::Country, "KZ")
        );
        assert_eq!(
            parsed("Country:Казахстан"),
            unresolved_entity(EntityKind::Country, "Казахстан")
        );
        assert_eq!(parsed("org:ШОС"), unresolved_entity(EntityKind::Org, "ШОС"));
        assert_eq!(
            parsed("person:\"Сергей Лавров\""),
            unresolved_entity(EntityKind::Person, "Сергей Лавров")
        );
        assert_eq!(
            parsed("country:🇰🇿"),
            unresolved_entity(EntityKind::Country, "🇰🇿")
        );
        let Expr::And(items) = parsed("санкции -country:US (org:sco OR person:lavrov)")
        else {
            panic!("not an AND");
        };
        assert_eq!(
            items[1],
            Expr::Not(Box::new(unresolved_entity(EntityKind::Country, "US")))
        );
        assert!(matches!(&items[2], Expr::Or(branches)
            if branches[1] == unresolved_entity(EntityKind::Person, "lavrov")));
        assert_eq!(
            error("country:").message,
            "'country:' needs a value, with no space after the colon"
        );
        assert!(
            error("x city:Moscow")
                .message
                .contains("country:, org:, person:")
        );
    }

    #[test]
    fn entity_filters_are_resolved_to_keys_once_per_kind_and_name() {
        let mut query =
            parse_query("country:kz -(country:kz org:kz) person:Лавров OR person:\"Конго\"")
                .expect("parses");
        assert!(query.has_entity_filter());
        assert_eq!(query.unresolved_entity(), Some((EntityKind::Country, "kz")));
        let mut asked = Vec::new();
        let resolved: Result<(), String> = query.resolve_entities(|kind, name| {
            asked.push((kind, name.to_owned()));
            Ok(match (kind, name) {
                (EntityKind::Country, "kz") => vec!["KZ".to_owned()],
                (EntityKind::Org, _) => Vec::new(),
                (EntityKind::Person, "Лавров") => {
                    vec!["lavrov".to_owned(), "lavrov".to_owned()]
                }
                _ => vec!["CG".to_owned(), "CD".to_owned()],
            })
        });
        assert_eq!(resolved, Ok(()));
        assert_eq!(
            asked,
            [
                (EntityKind::Country, "kz".to_owned()),
                (EntityKind::Org, "kz".to_owned()),
                (EntityKind::Person, "Лавров".to_owned()),
                (EntityKind::Person, "Конго".to_owned()),
            ]
        );
        let keys = |list: &[&str]| Some(list.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>());
        assert_eq!(
            entity_filters(&query.root),
            [
                (EntityKind::Country, "kz".to_owned(), keys(&["country:KZ"])),
                (EntityKind::Country, "kz".to_owned(), keys(&["country:KZ"])),
                (EntityKind::Org, "kz".to_owned(), keys(&[])),
                (
                    EntityKind::Person,
                    "Лавров".to_owned(),
                    keys(&["person:lavrov"])
                ),
                (
                    EntityKind::Person,
                    "Конго".to_owned(),
                    keys(&["person:CD", "person:CG"])
                ),
            ]
        );
        assert_eq!(query.unresolved_entity(), None);
        assert!(query.has_entity_filter());
        let mut failing = parse_query("org:sco OR org:Нарния").expect("parses");
        let resolved = failing.resolve_entities(|kind, name| match name {
            "sco" => Ok(vec!["sco".to_owned()]),
            _ => Err(format!("no {kind} is called {name:?}")),
        });
        assert_eq!(resolved, Err("no org is called \"Нарния\"".to_owned()));
        assert_eq!(
            failing.unresolved_entity(),
            Some((EntityKind::Org, "Нарния"))
        );
        assert!(!parse_query("санкции").expect("parses").has_entity_filter());
    }

    fn day(y: i32, m: u32, d: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc().timestamp())
            .unwrap_or(i64::MIN)
    }

    fn dates(text: &str) -> (Option<i64>, Option<i64>) {
        match parsed(text) {
            Expr::Filter(Filter::Date { from, until }) => (from, until),
            other => panic!("not a date: {other:?}"),
        }
    }

    #[test]
    fn date_ranges() {
        assert_eq!(
            dates("date:2024-01-01..2024-03-31"),
            (Some(day(2024, 1, 1)), Some(day(2024, 4, 1)))
        );
        assert_eq!(
            dates("date:2024-01..2024-03"),
            (Some(day(2024, 1, 1)), Some(day(2024, 4, 1)))
        );
        assert_eq!(
            dates("date:2024"),
            (Some(day(2024, 1, 1)), Some(day(2025, 1, 1)))
        );
        assert_eq!(
            dates("date:2024-02"),
            (Some(day(2024, 2, 1)), Some(day(2024, 3, 1)))
        );
        assert_eq!(
            dates("date:2023-12"),
            (Some(day(2023, 12, 1)), Some(day(2024, 1, 1)))
        );
        assert_eq!(dates("date:..2024-03-31"), (None, Some(day(2024, 4, 1))));
        assert_eq!(dates("date:2024-01-01.."), (Some(day(2024, 1, 1)), None));
        assert_eq!(
            dates("date:2024-2-9"),
            (Some(day(2024, 2, 9)), Some(day(2024, 2, 10)))
        );
    }

    #[test]
    fn malformed_queries_say_where_and_what() {
        let cases: &[(&str, usize, &str)] = &[
            ("rt \"collective West", 3, "unclosed quote"),
            ("a (b OR c", 2, "unclosed parenthesis"),
            ("a b)", 3, "unmatched ')'"),
            ("a () b", 2, "empty parentheses"),
            ("OR a", 0, "OR needs a term before it"),
            ("a OR", 2, "OR needs a term after it"),
            ("a OR OR b", 5, "OR twice"),
            ("(a OR) b", 3, "OR needs a term after it"),
            ("a AND", 2, "AND needs a term after it"),
            ("- a", 0, "'-' must be followed"),
            ("a -", 2, "'-' must be followed"),
            ("--a", 0, "single '-'"),
            ("= a", 0, "'=' must be followed"),
            ("\"\"", 0, "empty phrase"),
            ("x foo:bar", 2, "unknown filter 'foo:'"),
            ("channel:", 0, "needs a value"),
            ("lang:de", 5, "unknown language 'de'"),
            ("has:video", 4, "unknown has:video"),
            ("has:video", 4, "has:date or has:copies"),
            ("x foo:bar", 2, "edited:, cluster:"),
            ("cluster:x", 8, "cluster:x: write the cluster's number"),
            ("a cluster:12b", 10, "cluster:12b"),
            ("-cluster:0", 9, "cluster:0"),
            ("cluster:-3", 8, "cluster:-3"),
            ("cluster:+3", 8, "cluster:+3"),
            ("cluster:99999999999999999999", 8, "cluster's number"),
            ("cluster:", 0, "needs a value"),
            ("edited:maybe", 7, "edited:yes or edited:no"),
            ("date:2024-13", 5, "no such date '2024-13'"),
            ("date:2024-02-30", 5, "no such date"),
            ("date:24-01-01", 5, "bad date '24-01-01'"),
            ("date:2024-01-01..2024-99", 17, "no such date '2024-99'"),
            ("date:2024-03..2024-01", 5, "ends before it starts"),
            ("date:..", 5, "at least one end"),
            ("#", 0, "'#' must be followed by a hashtag"),
            ("—", 0, "no letters or digits"),
            ("", 0, "the query is empty"),
            ("   ", 0, "the query is empty"),
            ("Россия \"a", 7, "unclosed quote"),
        ];
        for (query, position, message) in cases {
            let e = error(query);
            assert_eq!(e.position, *position, "{query:?}: {e}");
            assert!(e.message.contains(message), "{query:?}: {e}");
        }
    }

    #[test]
    fn error_positions_count_chars_not_bytes() {
        // "Россия " is 7 chars but 13 bytes.
        assert_eq!(error("Россия (").position, 7);
    }

    #[test]
    fn errors_show_the_place_with_a_caret() {
        let shown = error("rt \"collective West").to_string();
        assert_eq!(
            shown,
            "unclosed quote: add a closing '\"' (at character 4)\n  rt \"collective West\n     ^"
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let query = "(".repeat(10_000);
        assert!(error(&query).message.contains("nest too deep"));
    }

    #[test]
    fn only_negative_terms_are_allowed() {
        assert!(matches!(parsed("-a"), Expr::Not(_)));
        assert!(matches!(parsed("-has:media -lang:en"), Expr::And(_)));
    }

    #[test]
    fn matched_forms_leave_out_what_is_excluded() {
        let q = parse_query("санкции (=Россия OR \"collective West\") -нато").expect("parses");
        let forms = q.matched_forms();
        assert!(forms.exact.contains("санкции"));
        assert!(forms.exact.contains("россия"));
        assert!(!forms.exact.contains("нато"));
        assert!(forms.stems.contains(&(Lang::Ru, "санкц".to_owned())));
        assert!(!forms.stems.contains(&(Lang::Ru, "росс".to_owned())));
        assert_eq!(
            forms.phrases,
            [vec![(0, "collective".to_owned()), (1, "west".to_owned())]]
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_fails_at_a_place_inside_it(
            text in "([a-zа-яё:()\"=#@ .\\-]|OR|AND|date:|channel:|cluster:|has:copies|country:|person:|\\PC){0,40}",
        ) {
            match parse_query(&text) {
                Ok(_) => {}
                Err(e) => proptest::prop_assert!(e.position <= text.chars().count(), "{}", e),
            }
        }
    }
}
