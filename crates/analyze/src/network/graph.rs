//! A network as it is handed to the file formats ([`super::format`]): nodes and edges with
//! declared, typed attributes (a static registry, so that every node has every attribute with
//! one type: what Gephi and igraph need), edge kinds, weights, first and last times, and the
//! posts behind each edge.

/// The type of an attribute, as the file formats declare it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    /// A 64-bit integer (GEXF `long`, GraphML `long`).
    Integer,
    /// A double (GEXF `double`, GraphML `double`).
    Float,
    /// `true` or `false` (GEXF and GraphML `boolean`).
    Boolean,
    /// Text (GEXF and GraphML `string`).
    Text,
    /// A point in time, Unix seconds: written as an ISO 8601 date-time in UTC in every format
    /// (declared as `string` where the format has no date type).
    Time,
}

/// A declared attribute: its id (the key in files and JSON), a title for humans, its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrDef {
    /// Key in files and JSON (`posts`, `pagerank`, `username`).
    pub id: &'static str,
    /// Title (Gephi shows it as the column name).
    pub title: &'static str,
    /// Its type.
    pub kind: AttrType,
}

/// An attribute's value (`None` in [`Node::values`] and [`Edge::values`] when unknown).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// For [`AttrType::Integer`].
    Integer(i64),
    /// For [`AttrType::Float`].
    Float(f64),
    /// For [`AttrType::Boolean`].
    Boolean(bool),
    /// For [`AttrType::Text`].
    Text(String),
    /// For [`AttrType::Time`]: Unix seconds.
    Time(i64),
}

/// A node: a channel (or a hashtag in the hashtag network).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Its id in every format (the archive's channel id as text, or `@username` for a channel
    /// known only by a mention, or `#tag` for a hashtag).
    pub id: String,
    /// What Gephi shows.
    pub label: String,
    /// Values of [`Graph::node_attrs`], in their order.
    pub values: Vec<Option<Value>>,
}

/// An edge of one kind between two nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// Source node id.
    pub source: String,
    /// Target node id.
    pub target: String,
    /// The edge kind (`forward`, `mention`, `copy`, `link`, `coordination`, `hashtag`).
    pub kind: &'static str,
    /// Whether the edge has a direction (source → target) or not.
    pub directed: bool,
    /// Its weight.
    pub weight: f64,
    /// When the first and the last post behind it were posted (Unix seconds), when known.
    pub first: Option<i64>,
    /// See `first`.
    pub last: Option<i64>,
    /// Example posts behind the edge (archive post ids), the earliest first.
    pub posts: Vec<i64>,
    /// Values of [`Graph::edge_attrs`], in their order.
    pub values: Vec<Option<Value>>,
}

/// A network ready to be written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Graph {
    /// What the network is: written into the files' metadata (GEXF `<description>`, a GraphML
    /// comment/`<desc>`), e.g. the kinds, the period, the edge orientation.
    pub description: String,
    /// Declared node attributes.
    pub node_attrs: Vec<AttrDef>,
    /// Declared edge attributes (beyond kind, weight, first, last, posts, which every edge has).
    pub edge_attrs: Vec<AttrDef>,
    /// The nodes.
    pub nodes: Vec<Node>,
    /// The edges.
    pub edges: Vec<Edge>,
}
