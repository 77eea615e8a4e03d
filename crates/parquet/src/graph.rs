//! Networks as Parquet: a graph's edges in one file and its nodes in another, with the columns
//! of its CSV and JSON forms (`docs/networks.md`) and the attributes' own types.
//!
//! A network's attributes depend on its kinds (a channel network has `pagerank`, a hashtag
//! network `first_use`), so the columns are made from the graph's declared attributes rather
//! than from a fixed record: INT64 for integers, DOUBLE for floats, BOOLEAN for booleans,
//! UTF-8 for texts, and times as the ISO 8601 UTC text of the CSV and JSON forms
//! (`2024-03-01T09:30:00`). Every attribute column is nullable (a value a node or edge lacks
//! is null). The graph's description (kinds, period, edge orientation) is in the files'
//! metadata as `tgscope.description`.

use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, ListBuilder, StringBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use tgscope_engine::network::format::iso_datetime;
use tgscope_engine::network::graph::{AttrDef, AttrType, Graph, Value};

use crate::{Result, RowGroups, properties};

/// Rows turned into Arrow columns at a time.
const CHUNK: usize = 8192;

/// What [`write_graph`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphRows {
    /// Nodes written.
    pub nodes: u64,
    /// Edges written.
    pub edges: u64,
}

/// Writes `graph`'s edges to `edges` and its nodes to `nodes`, each a Parquet file.
///
/// Nodes: `id`, `label`, then the node attributes. Edges: `source`, `target`, `kind`,
/// `directed`, `weight` (null when not finite, as in JSON), `first`, `last` (ISO 8601 UTC,
/// null when unknown), `posts` (example posts, a list of INT64), then the edge attributes.
pub fn write_graph<N: Write + Send, E: Write + Send>(
    graph: &Graph,
    nodes: N,
    edges: E,
) -> Result<GraphRows> {
    let node_rows = write_nodes(graph, nodes)?;
    let edge_rows = write_edges(graph, edges)?;
    Ok(GraphRows {
        nodes: node_rows,
        edges: edge_rows,
    })
}

fn attr_type(kind: AttrType) -> DataType {
    match kind {
        AttrType::Integer => DataType::Int64,
        AttrType::Float => DataType::Float64,
        AttrType::Boolean => DataType::Boolean,
        AttrType::Text | AttrType::Time => DataType::Utf8,
    }
}

/// A column of one attribute being filled.
enum AttrColumn {
    Integer(Int64Builder),
    Float(Float64Builder),
    Boolean(BooleanBuilder),
    Text(StringBuilder),
}

impl AttrColumn {
    fn new(kind: AttrType) -> AttrColumn {
        match kind {
            AttrType::Integer => AttrColumn::Integer(Int64Builder::new()),
            AttrType::Float => AttrColumn::Float(Float64Builder::new()),
            AttrType::Boolean => AttrColumn::Boolean(BooleanBuilder::new()),
            AttrType::Text | AttrType::Time => AttrColumn::Text(StringBuilder::new()),
        }
    }

    /// Appends the value (null when missing or of another type than declared).
    fn append(&mut self, value: Option<&Value>) {
        match (self, value) {
            (AttrColumn::Integer(b), Some(Value::Integer(n))) => b.append_value(*n),
            (AttrColumn::Float(b), Some(Value::Float(x))) if x.is_finite() => b.append_value(*x),
            (AttrColumn::Boolean(b), Some(Value::Boolean(flag))) => b.append_value(*flag),
            (AttrColumn::Text(b), Some(Value::Text(t))) => b.append_value(t),
            (AttrColumn::Text(b), Some(Value::Time(t))) => b.append_value(iso_datetime(*t)),
            (AttrColumn::Integer(b), _) => b.append_null(),
            (AttrColumn::Float(b), _) => b.append_null(),
            (AttrColumn::Boolean(b), _) => b.append_null(),
            (AttrColumn::Text(b), _) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            AttrColumn::Integer(b) => Arc::new(b.finish()),
            AttrColumn::Float(b) => Arc::new(b.finish()),
            AttrColumn::Boolean(b) => Arc::new(b.finish()),
            AttrColumn::Text(b) => Arc::new(b.finish()),
        }
    }
}

fn attr_fields(attrs: &[AttrDef]) -> impl Iterator<Item = Field> + '_ {
    attrs
        .iter()
        .map(|a| Field::new(a.id, attr_type(a.kind), true))
}

fn writer<W: Write + Send>(
    out: W,
    schema: &Arc<Schema>,
    kind: &str,
    graph: &Graph,
) -> Result<ArrowWriter<W>> {
    let props = properties(
        kind,
        RowGroups::default(),
        &[("tgscope.description", graph.description.as_str())],
    );
    Ok(ArrowWriter::try_new(out, schema.clone(), Some(props))?)
}

fn write_nodes<W: Write + Send>(graph: &Graph, out: W) -> Result<u64> {
    let mut fields = vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("label", DataType::Utf8, false),
    ];
    fields.extend(attr_fields(&graph.node_attrs));
    let schema = Arc::new(Schema::new(fields));
    let mut writer = writer(out, &schema, "node", graph)?;
    for chunk in graph.nodes.chunks(CHUNK) {
        let mut id = StringBuilder::new();
        let mut label = StringBuilder::new();
        let mut attrs: Vec<AttrColumn> = graph
            .node_attrs
            .iter()
            .map(|a| AttrColumn::new(a.kind))
            .collect();
        for node in chunk {
            id.append_value(&node.id);
            label.append_value(&node.label);
            for (index, column) in attrs.iter_mut().enumerate() {
                column.append(node.values.get(index).and_then(Option::as_ref));
            }
        }
        let mut columns: Vec<ArrayRef> = vec![Arc::new(id.finish()), Arc::new(label.finish())];
        columns.extend(attrs.iter_mut().map(AttrColumn::finish));
        writer.write(&RecordBatch::try_new(schema.clone(), columns)?)?;
    }
    let mut out = writer.into_inner()?;
    out.flush().map_err(parquet::errors::ParquetError::from)?;
    Ok(graph.nodes.len() as u64)
}

fn write_edges<W: Write + Send>(graph: &Graph, out: W) -> Result<u64> {
    let post_item = Field::new("element", DataType::Int64, false);
    let mut fields = vec![
        Field::new("source", DataType::Utf8, false),
        Field::new("target", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("directed", DataType::Boolean, false),
        Field::new("weight", DataType::Float64, true),
        Field::new("first", DataType::Utf8, true),
        Field::new("last", DataType::Utf8, true),
        Field::new_list("posts", post_item.clone(), false),
    ];
    fields.extend(attr_fields(&graph.edge_attrs));
    let schema = Arc::new(Schema::new(fields));
    let mut writer = writer(out, &schema, "edge", graph)?;
    for chunk in graph.edges.chunks(CHUNK) {
        let mut source = StringBuilder::new();
        let mut target = StringBuilder::new();
        let mut kind = StringBuilder::new();
        let mut directed = BooleanBuilder::new();
        let mut weight = Float64Builder::new();
        let mut first = StringBuilder::new();
        let mut last = StringBuilder::new();
        let mut posts = ListBuilder::new(Int64Builder::new()).with_field(post_item.clone());
        let mut attrs: Vec<AttrColumn> = graph
            .edge_attrs
            .iter()
            .map(|a| AttrColumn::new(a.kind))
            .collect();
        for edge in chunk {
            source.append_value(&edge.source);
            target.append_value(&edge.target);
            kind.append_value(edge.kind);
            directed.append_value(edge.directed);
            weight.append_option(edge.weight.is_finite().then_some(edge.weight));
            first.append_option(edge.first.map(iso_datetime));
            last.append_option(edge.last.map(iso_datetime));
            posts.values().append_slice(&edge.posts);
            posts.append(true);
            for (index, column) in attrs.iter_mut().enumerate() {
                column.append(edge.values.get(index).and_then(Option::as_ref));
            }
        }
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(source.finish()),
            Arc::new(target.finish()),
            Arc::new(kind.finish()),
            Arc::new(directed.finish()),
            Arc::new(weight.finish()),
            Arc::new(first.finish()),
            Arc::new(last.finish()),
            Arc::new(posts.finish()),
        ];
        columns.extend(attrs.iter_mut().map(AttrColumn::finish));
        writer.write(&RecordBatch::try_new(schema.clone(), columns)?)?;
    }
    let mut out = writer.into_inner()?;
    out.flush().map_err(parquet::errors::ParquetError::from)?;
    Ok(graph.edges.len() as u64)
}
