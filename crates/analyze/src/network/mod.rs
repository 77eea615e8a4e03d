//! Networks: which channels forward, mention, copy, link to the same pages as and move in step
//! with which others, and which hashtags travel together (the definitions, exactly as computed,
//! are in `docs/networks.md`).
//!
//! [`NetworkState`] keeps what the networks are made of: per post of the archive its channel,
//! date, forward source, the channels it names (@mentions and t.me links), its links (cleaned
//! with [`tgscope_text::urls`]) and its hashtags. It is derived data like the copy analysis:
//! caught up to the archive's mark ([`NetworkState::writer`]), rebuilt identically from scratch,
//! kept in one checksummed file that stays on disk: each question reads the posts through once,
//! so memory goes with the network asked for, not with the archive. A network is computed from
//! it on demand
//! ([`NetworkState::network`]) for the kinds, period and parameters asked for, with the channels'
//! facts and the copy clusters handed over by the engine; [`measures`] adds degrees, PageRank and
//! communities, and [`format`](mod@format) writes GEXF, GraphML, CSV and JSON.
//!
//! Every directed edge points the way content travels: from the channel whose post, name or text
//! is passed on to the channel that passes it on (a forward's source → the forwarder; a mentioned
//! channel → the channel that mentions it; the first post of a copy cluster → a later copy).

mod channels;
pub mod format;
pub mod graph;
mod hashtags;
pub mod measures;
mod shares;
mod state;

pub use graph::{AttrDef, AttrType, Edge, Graph, Node, Value};
pub use hashtags::{Hashtag, HashtagPeriod, HashtagUse};
pub use state::{Network, NetworkState, NetworkWriter};

/// One post as the network analysis reads it from the archive (its current version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkPost {
    /// The archive's post id.
    pub post_id: i64,
    /// The archive's channel id.
    pub channel_id: i64,
    /// When it was posted (Unix seconds): the observed date, else the inferred one.
    pub date: Option<i64>,
    /// Whether `date` is inferred.
    pub date_inferred: bool,
    /// When it is a forward: the source channel (archive id), when the archive knows it by a
    /// name, and the source post's message id, when known.
    pub forward: Option<(Option<i64>, Option<i64>)>,
    /// Usernames of its @mentions, as written (without `@`).
    pub mentions: Vec<String>,
    /// Its links' URLs, as written (t.me links among them name channels).
    pub links: Vec<String>,
    /// Its hashtags, as written (without `#`).
    pub hashtags: Vec<String>,
}

/// The kinds of edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeKind {
    /// A forward's source → the forwarder.
    Forward,
    /// A channel named by @username or a t.me link → the channel that names it.
    Mention,
    /// The first post seen of a copy cluster → a later copy in another channel (forwards
    /// excluded).
    Copy,
    /// Two channels that posted the same cleaned URL (undirected).
    Link,
    /// Two channels that shared the same objects within the time window, at least the least
    /// number of times (undirected; who went first how often on the edge).
    Coordination,
    /// Two hashtags used in one post (the hashtag network; its nodes are hashtags).
    Hashtag,
}

impl EdgeKind {
    /// Every kind of the channel network (not [`EdgeKind::Hashtag`], whose nodes are tags).
    pub const CHANNEL_KINDS: [EdgeKind; 5] = [
        EdgeKind::Forward,
        EdgeKind::Mention,
        EdgeKind::Copy,
        EdgeKind::Link,
        EdgeKind::Coordination,
    ];

    /// Its name in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Forward => "forward",
            EdgeKind::Mention => "mention",
            EdgeKind::Copy => "copy",
            EdgeKind::Link => "link",
            EdgeKind::Coordination => "coordination",
            EdgeKind::Hashtag => "hashtag",
        }
    }

    /// The kind of a name.
    pub fn parse(name: &str) -> Option<EdgeKind> {
        Some(match name {
            "forward" => EdgeKind::Forward,
            "mention" => EdgeKind::Mention,
            "copy" => EdgeKind::Copy,
            "link" => EdgeKind::Link,
            "coordination" => EdgeKind::Coordination,
            "hashtag" => EdgeKind::Hashtag,
            _ => return None,
        })
    }
}

/// What shared objects coordination looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// The same forward origin (the source channel and post): co-forwarding.
    Forward,
    /// The same cleaned URL: co-linking.
    Link,
    /// The same copy cluster: co-posting of similar text.
    Copy,
    /// The same hashtag.
    Hashtag,
}

impl ObjectKind {
    /// Every kind.
    pub const ALL: [ObjectKind; 4] = [
        ObjectKind::Forward,
        ObjectKind::Link,
        ObjectKind::Copy,
        ObjectKind::Hashtag,
    ];

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Forward => "forward",
            ObjectKind::Link => "link",
            ObjectKind::Copy => "copy",
            ObjectKind::Hashtag => "hashtag",
        }
    }
}

/// The question: which edges, over which period, with which parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkQuery {
    /// The edge kinds (the hashtag network when it is `[Hashtag]`).
    pub kinds: Vec<EdgeKind>,
    /// Posts from this time (Unix seconds, inclusive)...
    pub since: Option<i64>,
    /// ...until this time (exclusive).
    pub until: Option<i64>,
    /// Coordination: the time window in seconds (two shares at most this far apart).
    pub window: i64,
    /// Coordination: the least number of distinct shared objects of an edge.
    pub min_shared: usize,
    /// Coordination: the objects looked at.
    pub objects: Vec<ObjectKind>,
    /// Coordination and shared links: an object shared by more channels than this (a viral
    /// link, a common hashtag) links none of them (it is counted as left out).
    pub max_sharers: usize,
    /// The hashtag network: the least number of posts of a tag, and of a pair of tags.
    pub min_tag_posts: usize,
    /// Example posts kept per edge.
    pub examples: usize,
}

impl Default for NetworkQuery {
    fn default() -> NetworkQuery {
        NetworkQuery {
            kinds: vec![
                EdgeKind::Forward,
                EdgeKind::Mention,
                EdgeKind::Copy,
                EdgeKind::Link,
            ],
            since: None,
            until: None,
            window: 60,
            min_shared: 3,
            objects: ObjectKind::ALL.to_vec(),
            max_sharers: 50,
            min_tag_posts: 5,
            examples: 3,
        }
    }
}

/// A channel as the network shows it (handed over by the engine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelFacts {
    /// The archive's channel id.
    pub id: i64,
    /// Its title, when known.
    pub title: Option<String>,
    /// Its username, when known.
    pub username: Option<String>,
    /// Posts archived of it.
    pub posts: u64,
    /// Its first and last post (Unix seconds), when dated.
    pub first: Option<i64>,
    /// See `first`.
    pub last: Option<i64>,
}

/// A post's place in a copy cluster (handed over by the engine from the copy analysis).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyMember {
    /// The post.
    pub post_id: i64,
    /// Its cluster.
    pub cluster: i64,
    /// The cluster's first post seen.
    pub first_post: i64,
    /// Its relation to that post (`first`, `forward`, `attributed`, `unattributed`,
    /// `partial`).
    pub relation: &'static str,
}
