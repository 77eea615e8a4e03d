//! How the posts of a cluster relate to the one first seen: which post was first in the
//! archive (observed dates before inferred ones, ties by archive id), and for every other post
//! its relation (forward, attributed, unattributed, partial), similarity, delay and the words
//! that changed.

use std::collections::HashSet;

use tgscope_text::fold;

use super::features::{self, Features, Permutations};
use super::{CopyPost, CopyState, Match, Params};

/// What describing a cluster needs of the analysis that found it: its parameters and each
/// channel's boilerplate lines, so that texts are compared exactly as they were when the
/// cluster was found. The whole analysis ([`CopyState`]) has them, and so has its small
/// [`ClusterIndex`](super::ClusterIndex).
pub trait ClusterBasis {
    /// The analysis's parameters.
    fn params(&self) -> &Params;

    /// The lines that count as boilerplate in a channel's posts (`None`: none).
    fn boilerplate_lines(&self, channel_id: i64) -> Option<&super::HashSet<u32>>;

    /// A post's features as the analysis sees them (its channel's boilerplate set aside).
    fn features_of(&self, post: &CopyPost) -> Features {
        let empty = super::HashSet::default();
        let lines = self.boilerplate_lines(post.channel_id).unwrap_or(&empty);
        let params = self.params();
        let perms = Permutations::new(params.permutations());
        features::features(&post.text, lines, params, &perms).0
    }
}

impl ClusterBasis for CopyState {
    fn params(&self) -> &Params {
        CopyState::params(self)
    }

    fn boilerplate_lines(&self, channel_id: i64) -> Option<&super::HashSet<u32>> {
        self.channels.lines(channel_id)
    }
}

/// What the archive knows of a post that the relation needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberFacts {
    /// Archive id of the post.
    pub post_id: i64,
    /// Archive id of its channel.
    pub channel_id: i64,
    /// The channel's usernames and titles (to recognise a copy naming it).
    pub channel_names: Vec<String>,
    /// The post's date in Unix seconds, observed or inferred.
    pub date: Option<i64>,
    /// Whether the date was observed (else it was inferred).
    pub date_observed: bool,
    /// The forward header's source, as named (title or username), when the post is a forward.
    pub forward_from: Option<String>,
    /// The URLs the post links to.
    pub links: Vec<String>,
    /// The usernames it mentions (without `@`).
    pub mentions: Vec<String>,
    /// Its clean text.
    pub text: String,
    /// Whether the cluster holds it as a partial copy (it reuses a part).
    pub partial: bool,
    /// Telegram's message id, when known.
    pub message_id: Option<i64>,
    /// When it is a forward: the source's channel (archive id) and message id, as far as
    /// known.
    pub forward_of: Option<(i64, Option<i64>)>,
}

/// A post's relation to the first post of its cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relation {
    /// The first post seen in the archive.
    First,
    /// A Telegram forward: its header names the source.
    Forward,
    /// A copy that names its source (a link to it, an @mention, or a "Source:" line).
    Attributed,
    /// The same text with no attribution.
    Unattributed,
    /// A paragraph or more of one post reused inside another.
    Partial,
}

impl Relation {
    /// The stable name (exports, the API).
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::First => "first",
            Relation::Forward => "forward",
            Relation::Attributed => "attributed",
            Relation::Unattributed => "unattributed",
            Relation::Partial => "partial",
        }
    }
}

/// How a copy names its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribution {
    /// Telegram's forward header, naming this source.
    ForwardHeader(String),
    /// A `t.me` link to this channel (or a post of it).
    Link(String),
    /// An @mention of this channel.
    Mention(String),
    /// A line such as "Source: ..." ("Источник: ...").
    SourceLine(String),
}

impl Attribution {
    /// The stable name of the kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Attribution::ForwardHeader(_) => "forward_header",
            Attribution::Link(_) => "link",
            Attribution::Mention(_) => "mention",
            Attribution::SourceLine(_) => "source_line",
        }
    }

    /// What it names.
    pub fn names(&self) -> &str {
        match self {
            Attribution::ForwardHeader(s)
            | Attribution::Link(s)
            | Attribution::Mention(s)
            | Attribution::SourceLine(s) => s,
        }
    }
}

/// One post of a cluster, described against the first.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Archive id.
    pub post_id: i64,
    /// Channel's archive id.
    pub channel_id: i64,
    /// Its date (Unix seconds), observed or inferred.
    pub date: Option<i64>,
    /// Whether that date was inferred.
    pub date_inferred: bool,
    /// Whether it is the first post seen in the archive.
    pub first_seen: bool,
    /// Its relation to the first post.
    pub relation: Relation,
    /// How it names its source, when it does.
    pub attribution: Option<Attribution>,
    /// Jaccard similarity of its shingles and the first post's (1 for the same text).
    pub similarity: f64,
    /// Containment of the smaller text's shingles in the larger's.
    pub containment: f64,
    /// Seconds after the first post (when both are dated).
    pub delay_seconds: Option<i64>,
    /// Words it has that the first post lacks (as written, each once, in order).
    pub added: Vec<String>,
    /// Words the first post has that it lacks.
    pub removed: Vec<String>,
}

/// A cluster described in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterView {
    /// Archive id of the first post seen in the archive.
    pub first: i64,
    /// How the first was decided: `observed` (the earliest observed date), `inferred` (no
    /// post has an observed date: the earliest inferred one), or `undated` (no post is dated:
    /// the lowest archive id).
    pub first_basis: &'static str,
    /// Every post: the first, then the others by date (undated last), ties by archive id.
    pub members: Vec<Member>,
}

/// Words of `b` missing from `a`, as written in `b`, each once, in order (compared folded).
fn missing_words(a: &str, b: &str) -> Vec<String> {
    let have: HashSet<String> = fold::words(a).map(|w| w.folded).collect();
    let mut seen: HashSet<String> = HashSet::new();
    fold::words(b)
        .filter(|w| !have.contains(&w.folded) && seen.insert(w.folded.clone()))
        .map(|w| w.raw.to_string())
        .collect()
}

/// The words added to `copy` and removed from `source` (compared folded; as written).
pub fn word_changes(source: &str, copy: &str) -> (Vec<String>, Vec<String>) {
    (missing_words(source, copy), missing_words(copy, source))
}

/// Prefixes of a line that names a source, in the languages of the archive (lower case).
const SOURCE_PREFIXES: &[&str] = &[
    "source:",
    "sources:",
    "via:",
    "via @",
    "источник:",
    "источники:",
    "по материалам",
    "по данным",
    "оригинал:",
    "первоисточник:",
    "джерело:",
];

/// A line of `text` naming a source ("Source: ..."), if any: the rest of the line.
fn source_line(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let trimmed = line.trim_start_matches(|c: char| !c.is_alphanumeric() && c != '@');
        let lower = trimmed.to_lowercase();
        SOURCE_PREFIXES.iter().find_map(|p| {
            lower.starts_with(p).then(|| {
                let rest: String = trimmed.chars().skip(p.chars().count()).collect();
                let rest = rest.trim();
                let rest = if rest.is_empty() {
                    trimmed.trim()
                } else {
                    rest
                };
                rest.chars().take(80).collect()
            })
        })
    })
}

/// The username a `t.me` (or `telegram.me`) URL points at, lower case.
fn tme_username(url: &str) -> Option<String> {
    let rest = url
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_start_matches("www.");
    let path = rest
        .strip_prefix("t.me/")
        .or_else(|| rest.strip_prefix("telegram.me/"))?;
    let path = path.strip_prefix("s/").unwrap_or(path);
    let name = path.split(['/', '?', '#']).next()?;
    (!name.is_empty()).then(|| name.to_lowercase())
}

/// How `m` names one of `sources` (the channels of the posts before it), if it does.
fn attribution(m: &MemberFacts, sources: &[&MemberFacts]) -> Option<Attribution> {
    if let Some(from) = &m.forward_from {
        return Some(Attribution::ForwardHeader(from.clone()));
    }
    let names_of = |s: &MemberFacts| -> Vec<String> {
        s.channel_names
            .iter()
            .map(|n| n.trim_start_matches('@').to_lowercase())
            .filter(|n| !n.is_empty())
            .collect()
    };
    let earlier: Vec<(String, &MemberFacts)> = sources
        .iter()
        .filter(|s| s.channel_id != m.channel_id)
        .flat_map(|s| names_of(s).into_iter().map(move |n| (n, *s)))
        .collect();
    for url in &m.links {
        if let Some(user) = tme_username(url)
            && earlier.iter().any(|(n, _)| *n == user)
        {
            return Some(Attribution::Link(user));
        }
    }
    for mention in &m.mentions {
        let mention = mention.to_lowercase();
        if earlier.iter().any(|(n, _)| *n == mention) {
            return Some(Attribution::Mention(mention));
        }
    }
    source_line(&m.text).map(Attribution::SourceLine)
}

/// When a post was published, as far as the archive knows, and what it forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostTime {
    /// Archive id.
    pub post_id: i64,
    /// Unix seconds, observed or inferred.
    pub date: Option<i64>,
    /// Whether the date was observed (else inferred).
    pub observed: bool,
    /// Its channel (archive id).
    pub channel_id: i64,
    /// Telegram's message id, when known.
    pub message_id: Option<i64>,
    /// When it is a forward: the source's channel (archive id) and message id, as far as
    /// known.
    pub forward_of: Option<(i64, Option<i64>)>,
}

impl PostTime {
    /// Whether this post is a forward of `other` (its header names `other`'s channel, and
    /// `other`'s message id when it gives one).
    fn forwards(&self, other: &PostTime) -> bool {
        match self.forward_of {
            Some((channel, message)) => {
                channel == other.channel_id
                    && other.post_id != self.post_id
                    && message.is_none_or(|m| other.message_id == Some(m))
            }
            None => false,
        }
    }
}

/// The post first seen in the archive among `posts`, and what that rests on: the earliest
/// observed date (`observed`); when no post has one, the earliest inferred date (`inferred`);
/// when none is dated, the lowest archive id (`undated`). Ties go to the lowest archive id, so
/// the same archive always gives the same answer. A forward of another of the posts is never
/// first, whatever its date says (the post it forwards came before it). `None` for no posts.
pub fn first_seen(posts: &[PostTime]) -> Option<(i64, &'static str)> {
    let not_forwards: Vec<&PostTime> = posts
        .iter()
        .filter(|p| !posts.iter().any(|o| p.forwards(o)))
        .collect();
    let candidates: Vec<&PostTime> = if not_forwards.is_empty() {
        posts.iter().collect()
    } else {
        not_forwards
    };
    let key = |p: &&&PostTime| (p.date, p.post_id);
    if let Some(p) = candidates
        .iter()
        .filter(|p| p.date.is_some() && p.observed)
        .min_by_key(key)
    {
        return Some((p.post_id, "observed"));
    }
    if let Some(p) = candidates
        .iter()
        .filter(|p| p.date.is_some())
        .min_by_key(key)
    {
        return Some((p.post_id, "inferred"));
    }
    candidates
        .iter()
        .map(|p| p.post_id)
        .min()
        .map(|id| (id, "undated"))
}

/// Sorting key of a post in time: dated first by date, then undated; ties by archive id.
fn time_key(m: &MemberFacts) -> (bool, i64, i64) {
    (m.date.is_none(), m.date.unwrap_or(0), m.post_id)
}

/// Describes a cluster: its first post seen in the archive and every post's relation to it.
/// `facts` are the cluster's posts (any order); `state` supplies the comparison (the same
/// normalisation and parameters the cluster was found with).
pub fn describe_cluster(state: &impl ClusterBasis, mut facts: Vec<MemberFacts>) -> ClusterView {
    facts.sort_by_key(time_key);
    let times: Vec<PostTime> = facts
        .iter()
        .map(|m| PostTime {
            post_id: m.post_id,
            date: m.date,
            observed: m.date_observed,
            channel_id: m.channel_id,
            message_id: m.message_id,
            forward_of: m.forward_of,
        })
        .collect();
    let (first, basis) = first_seen(&times).unwrap_or((0, "undated"));
    // The first post leads; the others follow in time order.
    if let Some(at) = facts.iter().position(|m| m.post_id == first) {
        let f = facts.remove(at);
        facts.insert(0, f);
    }
    let Some(head) = facts.first().cloned() else {
        return ClusterView {
            first,
            first_basis: basis,
            members: Vec::new(),
        };
    };
    let features_of = |m: &MemberFacts| {
        state.features_of(&CopyPost {
            post_id: m.post_id,
            channel_id: m.channel_id,
            text: m.text.clone(),
        })
    };
    let head_features = features_of(&head);
    let params = state.params();
    let mut members = Vec::with_capacity(facts.len());
    for (i, m) in facts.iter().enumerate() {
        let is_first = i == 0;
        let (similarity, containment, full) = if is_first {
            (1.0, 1.0, true)
        } else {
            match super::features::compare(&head_features, &features_of(m), params) {
                Some(Match::Full {
                    jaccard,
                    containment,
                }) => (jaccard, containment, true),
                Some(Match::Partial {
                    jaccard,
                    containment,
                }) => (jaccard, containment, false),
                None => {
                    // Related through the cluster's other posts, not directly.
                    let f = features_of(m);
                    match f.common_kind(&head_features) {
                        Some(kind) => match (f.shingles(kind), head_features.shingles(kind)) {
                            (Some(a), Some(b)) => (a.jaccard(b), a.containment(b), true),
                            _ => (0.0, 0.0, true),
                        },
                        None => (0.0, 0.0, true),
                    }
                }
            }
        };
        let sources: Vec<&MemberFacts> = facts[..i].iter().collect();
        let attribution = if is_first {
            None
        } else {
            attribution(m, &sources)
        };
        let relation = if is_first {
            Relation::First
        } else if m.forward_from.is_some() {
            Relation::Forward
        } else if m.partial || !full {
            Relation::Partial
        } else if attribution.is_some() {
            Relation::Attributed
        } else {
            Relation::Unattributed
        };
        let (added, removed) = if is_first || head.text == m.text {
            (Vec::new(), Vec::new())
        } else {
            word_changes(&head.text, &m.text)
        };
        members.push(Member {
            post_id: m.post_id,
            channel_id: m.channel_id,
            date: m.date,
            date_inferred: m.date.is_some() && !m.date_observed,
            first_seen: is_first,
            relation,
            attribution,
            similarity,
            containment,
            delay_seconds: match (m.date, head.date) {
                (Some(a), Some(b)) if !is_first => Some(a - b),
                _ => None,
            },
            added,
            removed,
        });
    }
    ClusterView {
        first,
        first_basis: basis,
        members,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_changes_compare_folded_words_and_keep_them_as_written() {
        let (added, removed) = word_changes(
            "Лавров провёл переговоры. Подписаться: @mid",
            "ЛАВРОВ провел переговоры в Москве",
        );
        assert_eq!(added, vec!["в", "Москве"]);
        assert_eq!(removed, vec!["Подписаться", "mid"]);
    }

    #[test]
    fn source_lines_in_both_languages() {
        assert_eq!(
            source_line("Text\n\nИсточник: МИД России").as_deref(),
            Some("МИД России")
        );
        assert_eq!(
            source_line("Text\n👉 Source: @MFARussia").as_deref(),
            Some("@MFARussia")
        );
        assert_eq!(source_line("No source named here"), None);
    }

    #[test]
    fn tme_links_name_a_channel() {
        assert_eq!(
            tme_username("https://t.me/MFARussia/123").as_deref(),
            Some("mfarussia")
        );
        assert_eq!(tme_username("t.me/s/mid_rf").as_deref(), Some("mid_rf"));
        assert_eq!(tme_username("https://example.com/x"), None);
    }
}
