//! Network file formats: the [`Graph`] written to the files researchers open in Gephi,
//! networkx, igraph and pandas.
//!
//! - [`write_gexf`]: GEXF 1.3 (Gephi's own format). Static, or dynamic with a closed
//!   `start`/`end` interval on every edge whose first or last time is known;
//!   [`write_gexf_static`] always static, for networkx `read_gexf` (which reads no `dateTime`
//!   intervals).
//! - [`write_graphml`]: GraphML with a typed `<key>` per attribute (networkx `read_graphml`,
//!   igraph `Graph.Read_GraphML`, Gephi).
//! - [`write_csv_nodes`] and [`write_csv_edges`]: RFC 4180 tables with the column names of
//!   Gephi's spreadsheet import (`Id`, `Label`, `Source`, `Target`, `Type`, `Weight`), which
//!   pandas reads as they are.
//! - [`write_json`]: one JSON document with the description, the nodes and the edges.
//!
//! Every format writes every declared attribute with one type on every node and edge: times as
//! ISO 8601 date-times in UTC ([`iso_datetime`]), the example posts of an edge joined by
//! spaces (a JSON array in JSON). A missing value ([`None`], or a float that is not finite) is
//! left out (XML), left empty (CSV) or `null` (JSON). The output depends on the graph alone (no
//! date of writing), so the same graph gives the same bytes.
//!
//! XML is written by hand: text and attribute values are escaped, tabs and line breaks inside
//! values are written as character references (so that a parser does not turn them into
//! spaces), and characters XML 1.0 does not allow (control characters, U+FFFE, U+FFFF) become
//! U+FFFD, so that a channel title with a control character never makes an invalid file.
//!
//! The edges' default direction (GEXF `defaultedgetype`, GraphML `edgedefault`) is
//! `undirected` when every edge is undirected and `directed` otherwise; an edge that differs
//! from the default says so itself. networkx reads no graph that mixes both (it stops at the
//! first edge that differs); Gephi and igraph do.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, BufWriter, Write};

use super::graph::{AttrDef, AttrType, Edge, Graph, Value};

/// Names of the attributes every edge has, beyond its weight (GEXF attribute ids, GraphML
/// `attr.name`s and JSON keys).
const EDGE_KIND: &str = "kind";
/// See [`EDGE_KIND`].
const EDGE_FIRST: &str = "first";
/// See [`EDGE_KIND`].
const EDGE_LAST: &str = "last";
/// See [`EDGE_KIND`].
const EDGE_POSTS: &str = "posts";

/// Writes `graph` as GEXF 1.3.
///
/// Nodes carry `id`, `label` and an `attvalue` per known value of [`Graph::node_attrs`]. Edges
/// carry their index as `id`, `weight` (read by Gephi from the element, so not declared as an
/// attribute), `kind` (so that parallel edges of different kinds stay apart), `type` when the
/// edge's direction differs from the default, and the declared attributes `kind`, `first`,
/// `last`, `posts` and [`Graph::edge_attrs`]. When any edge has a first or last time, the graph
/// is dynamic (`timeformat="dateTime"`, closed intervals, UTC) and every edge with a time gets
/// `start` and `end` (an edge with one known time uses it for both); otherwise it is static.
///
/// networkx 3.6 `read_gexf` cannot read the dynamic form (it knows no `dateTime` time format
/// and stops with `KeyError: 'dateTime'`): [`write_gexf_static`] writes a file it reads.
pub fn write_gexf<W: Write + ?Sized>(graph: &Graph, out: &mut W) -> io::Result<()> {
    let dynamic = graph
        .edges
        .iter()
        .any(|edge| edge.first.is_some() || edge.last.is_some());
    write_gexf_in_mode(graph, out, dynamic)
}

/// Writes `graph` as static GEXF 1.3: as [`write_gexf`], without the graph's time format and
/// the edges' `start` and `end` (the first and last times stay as the edges' `first` and `last`
/// attributes). For readers that know no `dateTime` intervals, such as networkx `read_gexf`.
pub fn write_gexf_static<W: Write + ?Sized>(graph: &Graph, out: &mut W) -> io::Result<()> {
    write_gexf_in_mode(graph, out, false)
}

/// Writes GEXF, dynamic (with the edges' intervals) or static.
fn write_gexf_in_mode<W: Write + ?Sized>(
    graph: &Graph,
    out: &mut W,
    dynamic: bool,
) -> io::Result<()> {
    let mut out = BufWriter::new(out);
    let default_directed = default_directed(graph);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<gexf xmlns="http://gexf.net/1.3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">"#
    )?;
    writeln!(out, "  <meta>")?;
    writeln!(out, "    <creator>tgscope</creator>")?;
    writeln!(
        out,
        "    <description>{}</description>",
        Xml(&graph.description)
    )?;
    writeln!(out, "  </meta>")?;
    let default_edge_type = if default_directed {
        "directed"
    } else {
        "undirected"
    };
    if dynamic {
        writeln!(
            out,
            r#"  <graph defaultedgetype="{default_edge_type}" mode="dynamic" timeformat="dateTime" timerepresentation="interval" timezone="UTC">"#
        )?;
    } else {
        writeln!(
            out,
            r#"  <graph defaultedgetype="{default_edge_type}" mode="static">"#
        )?;
    }

    if !graph.node_attrs.is_empty() {
        writeln!(out, r#"    <attributes class="node" mode="static">"#)?;
        for attr in &graph.node_attrs {
            write_gexf_attribute(&mut out, attr.id, attr.title, attr.kind)?;
        }
        writeln!(out, "    </attributes>")?;
    }
    writeln!(out, r#"    <attributes class="edge" mode="static">"#)?;
    for builtin in [EDGE_KIND, EDGE_FIRST, EDGE_LAST, EDGE_POSTS] {
        write_gexf_attribute(&mut out, builtin, builtin, AttrType::Text)?;
    }
    for attr in &graph.edge_attrs {
        write_gexf_attribute(&mut out, attr.id, attr.title, attr.kind)?;
    }
    writeln!(out, "    </attributes>")?;

    writeln!(out, "    <nodes>")?;
    for node in &graph.nodes {
        write!(
            out,
            r#"      <node id="{}" label="{}""#,
            Xml(&node.id),
            Xml(&node.label)
        )?;
        let known: Vec<(&str, Cow<'_, str>)> = graph
            .node_attrs
            .iter()
            .enumerate()
            .filter_map(|(index, attr)| {
                value_at(&node.values, index, attr)
                    .and_then(value_text)
                    .map(|text| (attr.id, text))
            })
            .collect();
        if known.is_empty() {
            writeln!(out, "/>")?;
            continue;
        }
        writeln!(out, ">")?;
        write_gexf_attvalues(&mut out, &known)?;
        writeln!(out, "      </node>")?;
    }
    writeln!(out, "    </nodes>")?;

    writeln!(out, "    <edges>")?;
    for (index, edge) in graph.edges.iter().enumerate() {
        write!(
            out,
            r#"      <edge id="{index}" source="{}" target="{}" kind="{}""#,
            Xml(&edge.source),
            Xml(&edge.target),
            Xml(edge.kind)
        )?;
        if let Some(weight) = float_text(edge.weight) {
            write!(out, r#" weight="{weight}""#)?;
        }
        if edge.directed != default_directed {
            let edge_type = if edge.directed {
                "directed"
            } else {
                "undirected"
            };
            write!(out, r#" type="{edge_type}""#)?;
        }
        if let Some((start, end)) = edge_interval(edge).filter(|_| dynamic) {
            write!(
                out,
                r#" start="{}" end="{}""#,
                iso_datetime(start),
                iso_datetime(end)
            )?;
        }
        writeln!(out, ">")?;
        let mut known: Vec<(&str, Cow<'_, str>)> = vec![(EDGE_KIND, Cow::Borrowed(edge.kind))];
        if let Some(first) = edge.first {
            known.push((EDGE_FIRST, Cow::Owned(iso_datetime(first))));
        }
        if let Some(last) = edge.last {
            known.push((EDGE_LAST, Cow::Owned(iso_datetime(last))));
        }
        known.push((EDGE_POSTS, Cow::Owned(posts_text(&edge.posts))));
        known.extend(
            graph
                .edge_attrs
                .iter()
                .enumerate()
                .filter_map(|(index, attr)| {
                    value_at(&edge.values, index, attr)
                        .and_then(value_text)
                        .map(|text| (attr.id, text))
                }),
        );
        write_gexf_attvalues(&mut out, &known)?;
        writeln!(out, "      </edge>")?;
    }
    writeln!(out, "    </edges>")?;
    writeln!(out, "  </graph>")?;
    writeln!(out, "</gexf>")?;
    out.flush()
}

/// Writes `graph` as GraphML.
///
/// A `<key>` per attribute with its type (`n_<id>` for node attributes; `e_kind`, `e_weight`,
/// `e_first`, `e_last`, `e_posts` and `e_<id>` for edge attributes; `g_description` for the
/// graph), the description both as the graph's `<desc>` and as its `description` data (which
/// networkx and igraph read as a graph attribute), nodes with their ids, edges in order with
/// `directed="false"` or `"true"` when their direction differs from the default. Edges carry no
/// `id` (optional in GraphML): python-igraph 1.0 reads edge ids into an edge attribute `id`
/// filled with vertex ids instead; networkx numbers parallel edges itself.
pub fn write_graphml<W: Write + ?Sized>(graph: &Graph, out: &mut W) -> io::Result<()> {
    let mut out = BufWriter::new(out);
    let default_directed = default_directed(graph);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">"#
    )?;
    writeln!(
        out,
        r#"  <key id="g_description" for="graph" attr.name="description" attr.type="string"/>"#
    )?;
    for attr in &graph.node_attrs {
        writeln!(
            out,
            r#"  <key id="n_{}" for="node" attr.name="{}" attr.type="{}"/>"#,
            Xml(attr.id),
            Xml(attr.id),
            declared_type(attr.kind)
        )?;
    }
    for (name, kind) in [
        (EDGE_KIND, "string"),
        ("weight", "double"),
        (EDGE_FIRST, "string"),
        (EDGE_LAST, "string"),
        (EDGE_POSTS, "string"),
    ] {
        writeln!(
            out,
            r#"  <key id="e_{name}" for="edge" attr.name="{name}" attr.type="{kind}"/>"#
        )?;
    }
    for attr in &graph.edge_attrs {
        writeln!(
            out,
            r#"  <key id="e_{}" for="edge" attr.name="{}" attr.type="{}"/>"#,
            Xml(attr.id),
            Xml(attr.id),
            declared_type(attr.kind)
        )?;
    }
    let edgedefault = if default_directed {
        "directed"
    } else {
        "undirected"
    };
    writeln!(out, r#"  <graph id="G" edgedefault="{edgedefault}">"#)?;
    writeln!(out, "    <desc>{}</desc>", Xml(&graph.description))?;
    writeln!(
        out,
        r#"    <data key="g_description">{}</data>"#,
        Xml(&graph.description)
    )?;
    for node in &graph.nodes {
        write!(out, r#"    <node id="{}""#, Xml(&node.id))?;
        let known: Vec<(&str, Cow<'_, str>)> = graph
            .node_attrs
            .iter()
            .enumerate()
            .filter_map(|(index, attr)| {
                value_at(&node.values, index, attr)
                    .and_then(value_text)
                    .map(|text| (attr.id, text))
            })
            .collect();
        if known.is_empty() {
            writeln!(out, "/>")?;
            continue;
        }
        writeln!(out, ">")?;
        for (id, text) in &known {
            writeln!(
                out,
                r#"      <data key="n_{}">{}</data>"#,
                Xml(id),
                Xml(text)
            )?;
        }
        writeln!(out, "    </node>")?;
    }
    for edge in &graph.edges {
        write!(
            out,
            r#"    <edge source="{}" target="{}""#,
            Xml(&edge.source),
            Xml(&edge.target)
        )?;
        if edge.directed != default_directed {
            write!(out, r#" directed="{}""#, edge.directed)?;
        }
        writeln!(out, ">")?;
        let mut known: Vec<(&str, Cow<'_, str>)> = vec![(EDGE_KIND, Cow::Borrowed(edge.kind))];
        if let Some(weight) = float_text(edge.weight) {
            known.push(("weight", Cow::Owned(weight)));
        }
        if let Some(first) = edge.first {
            known.push((EDGE_FIRST, Cow::Owned(iso_datetime(first))));
        }
        if let Some(last) = edge.last {
            known.push((EDGE_LAST, Cow::Owned(iso_datetime(last))));
        }
        known.push((EDGE_POSTS, Cow::Owned(posts_text(&edge.posts))));
        known.extend(
            graph
                .edge_attrs
                .iter()
                .enumerate()
                .filter_map(|(index, attr)| {
                    value_at(&edge.values, index, attr)
                        .and_then(value_text)
                        .map(|text| (attr.id, text))
                }),
        );
        for (id, text) in &known {
            writeln!(
                out,
                r#"      <data key="e_{}">{}</data>"#,
                Xml(id),
                Xml(text)
            )?;
        }
        writeln!(out, "    </edge>")?;
    }
    writeln!(out, "  </graph>")?;
    writeln!(out, "</graphml>")?;
    out.flush()
}

/// Writes the nodes of `graph` as an RFC 4180 CSV table: a header `Id,Label,<attribute ids>`,
/// then a row per node (CRLF line ends; a missing value is an empty field).
pub fn write_csv_nodes<W: Write + ?Sized>(graph: &Graph, out: &mut W) -> io::Result<()> {
    let mut out = BufWriter::new(out);
    write!(out, "Id,Label")?;
    for attr in &graph.node_attrs {
        write!(out, ",{}", Csv(attr.id))?;
    }
    write!(out, "\r\n")?;
    for node in &graph.nodes {
        write!(out, "{},{}", Csv(&node.id), Csv(&node.label))?;
        for (index, attr) in graph.node_attrs.iter().enumerate() {
            let text = value_at(&node.values, index, attr).and_then(value_text);
            write!(out, ",{}", Csv(text.as_deref().unwrap_or("")))?;
        }
        write!(out, "\r\n")?;
    }
    out.flush()
}

/// Writes the edges of `graph` as an RFC 4180 CSV table: a header
/// `Source,Target,Type,Kind,Weight,First,Last,Posts,<attribute ids>` (`Type` is `Directed` or
/// `Undirected`, as Gephi's spreadsheet import wants it; times ISO 8601 UTC; posts joined by
/// spaces), then a row per edge (CRLF line ends; a missing value is an empty field).
pub fn write_csv_edges<W: Write + ?Sized>(graph: &Graph, out: &mut W) -> io::Result<()> {
    let mut out = BufWriter::new(out);
    write!(out, "Source,Target,Type,Kind,Weight,First,Last,Posts")?;
    for attr in &graph.edge_attrs {
        write!(out, ",{}", Csv(attr.id))?;
    }
    write!(out, "\r\n")?;
    for edge in &graph.edges {
        let edge_type = if edge.directed {
            "Directed"
        } else {
            "Undirected"
        };
        let weight = float_text(edge.weight).unwrap_or_default();
        let first = edge.first.map(iso_datetime).unwrap_or_default();
        let last = edge.last.map(iso_datetime).unwrap_or_default();
        write!(
            out,
            "{},{},{edge_type},{},{weight},{first},{last},{}",
            Csv(&edge.source),
            Csv(&edge.target),
            Csv(edge.kind),
            posts_text(&edge.posts)
        )?;
        for (index, attr) in graph.edge_attrs.iter().enumerate() {
            let text = value_at(&edge.values, index, attr).and_then(value_text);
            write!(out, ",{}", Csv(text.as_deref().unwrap_or("")))?;
        }
        write!(out, "\r\n")?;
    }
    out.flush()
}

/// Writes `graph` as one JSON document:
///
/// ```text
/// {"description": "...",
/// "nodes": [
/// {"id": "...", "label": "...", <attribute id>: value, ...},
/// ...],
/// "edges": [
/// {"source": "...", "target": "...", "kind": "...", "directed": true, "weight": 1.0,
///  "first": "ISO or null", "last": "ISO or null", "posts": [1, 2], <attribute id>: value, ...},
/// ...]}
/// ```
///
/// One line per node and per edge. Integers and floats are JSON numbers (a float that is not
/// finite is `null`), booleans are booleans, texts and times (ISO 8601 UTC) are strings, a
/// missing value is `null`: every declared attribute is present on every node and edge.
pub fn write_json<W: Write + ?Sized>(graph: &Graph, out: &mut W) -> io::Result<()> {
    let mut out = BufWriter::new(out);
    writeln!(out, "{{\"description\": {},", Json(&graph.description))?;
    write!(out, "\"nodes\": [")?;
    for (position, node) in graph.nodes.iter().enumerate() {
        let separator = if position == 0 { "\n" } else { ",\n" };
        write!(
            out,
            "{separator}{{\"id\": {}, \"label\": {}",
            Json(&node.id),
            Json(&node.label)
        )?;
        write_json_values(&mut out, &graph.node_attrs, &node.values)?;
        write!(out, "}}")?;
    }
    write!(out, "],\n\"edges\": [")?;
    for (position, edge) in graph.edges.iter().enumerate() {
        let separator = if position == 0 { "\n" } else { ",\n" };
        write!(
            out,
            "{separator}{{\"source\": {}, \"target\": {}, \"kind\": {}, \"directed\": {}, \"weight\": {}, \"first\": {}, \"last\": {}, \"posts\": [",
            Json(&edge.source),
            Json(&edge.target),
            Json(edge.kind),
            edge.directed,
            JsonFloat(edge.weight),
            JsonTime(edge.first),
            JsonTime(edge.last)
        )?;
        for (position, post) in edge.posts.iter().enumerate() {
            let separator = if position == 0 { "" } else { ", " };
            write!(out, "{separator}{post}")?;
        }
        write!(out, "]")?;
        write_json_values(&mut out, &graph.edge_attrs, &edge.values)?;
        write!(out, "}}")?;
    }
    writeln!(out, "]}}")?;
    out.flush()
}

/// A point in time (Unix seconds) as an ISO 8601 date-time in UTC without an offset,
/// `YYYY-MM-DDTHH:MM:SS` (proleptic Gregorian calendar; a year before 1 or after 9999 is
/// written with a sign or more digits, as ISO 8601's expanded years).
pub fn iso_datetime(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let second_of_day = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
    );
    let year = if year < 0 {
        format!("-{:04}", year.unsigned_abs())
    } else {
        format!("{year:04}")
    };
    format!("{year}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}")
}

/// The date (year, month 1-12, day 1-31) of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, proleptic Gregorian calendar; exact over the whole `i64` range of
/// seconds, whose days stay far from overflow).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Days from 0000-03-01, the start of a 400-year era whose years begin in March (so that the
    // leap day is the last day of a year).
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

/// Whether the formats' default edge direction is "directed": unless every edge is undirected.
fn default_directed(graph: &Graph) -> bool {
    graph.edges.is_empty() || graph.edges.iter().any(|edge| edge.directed)
}

/// The closed interval of an edge's existence, when any of its times is known: (first, last),
/// in order, an edge with one known time using it for both bounds.
fn edge_interval(edge: &Edge) -> Option<(i64, i64)> {
    match (edge.first, edge.last) {
        (Some(first), Some(last)) => Some((first.min(last), first.max(last))),
        (Some(time), None) | (None, Some(time)) => Some((time, time)),
        (None, None) => None,
    }
}

/// The type name GEXF and GraphML declare for an attribute type (a time is its ISO text).
fn declared_type(kind: AttrType) -> &'static str {
    match kind {
        AttrType::Integer => "long",
        AttrType::Float => "double",
        AttrType::Boolean => "boolean",
        AttrType::Text | AttrType::Time => "string",
    }
}

/// Writes one GEXF `<attribute>` declaration.
fn write_gexf_attribute<W: Write>(
    out: &mut W,
    id: &str,
    title: &str,
    kind: AttrType,
) -> io::Result<()> {
    writeln!(
        out,
        r#"      <attribute id="{}" title="{}" type="{}"/>"#,
        Xml(id),
        Xml(title),
        declared_type(kind)
    )
}

/// Writes a GEXF `<attvalues>` block with the given (attribute id, value text) pairs.
fn write_gexf_attvalues<W: Write>(out: &mut W, known: &[(&str, Cow<'_, str>)]) -> io::Result<()> {
    writeln!(out, "        <attvalues>")?;
    for (id, text) in known {
        writeln!(
            out,
            r#"          <attvalue for="{}" value="{}"/>"#,
            Xml(id),
            Xml(text)
        )?;
    }
    writeln!(out, "        </attvalues>")
}

/// Writes `, "<attribute id>": value` for every declared attribute (`null` when missing).
fn write_json_values<W: Write>(
    out: &mut W,
    attrs: &[AttrDef],
    values: &[Option<Value>],
) -> io::Result<()> {
    for (index, attr) in attrs.iter().enumerate() {
        write!(out, ", {}: ", Json(attr.id))?;
        match value_at(values, index, attr) {
            None => write!(out, "null")?,
            Some(Value::Integer(number)) => write!(out, "{number}")?,
            Some(Value::Float(number)) => write!(out, "{}", JsonFloat(*number))?,
            Some(Value::Boolean(flag)) => write!(out, "{flag}")?,
            Some(Value::Text(text)) => write!(out, "{}", Json(text))?,
            Some(Value::Time(time)) => write!(out, "{}", Json(&iso_datetime(*time)))?,
        }
    }
    Ok(())
}

/// The value of the attribute at `index` (`None` when missing, also when `values` is short).
fn value_at<'a>(values: &'a [Option<Value>], index: usize, attr: &AttrDef) -> Option<&'a Value> {
    let value = values.get(index).and_then(Option::as_ref)?;
    debug_assert!(
        matches!(
            (value, attr.kind),
            (Value::Integer(_), AttrType::Integer)
                | (Value::Float(_), AttrType::Float)
                | (Value::Boolean(_), AttrType::Boolean)
                | (Value::Text(_), AttrType::Text)
                | (Value::Time(_), AttrType::Time)
        ),
        "attribute {} is declared {:?} but holds {value:?}",
        attr.id,
        attr.kind
    );
    Some(value)
}

/// A value as text in the XML and CSV formats (`None` for a float that is not finite).
fn value_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::Integer(number) => Some(Cow::Owned(number.to_string())),
        Value::Float(number) => float_text(*number).map(Cow::Owned),
        Value::Boolean(flag) => Some(Cow::Borrowed(if *flag { "true" } else { "false" })),
        Value::Text(text) => Some(Cow::Borrowed(text)),
        Value::Time(time) => Some(Cow::Owned(iso_datetime(*time))),
    }
}

/// A float as the shortest text that reads back to it (`1.0`, `0.25`, `1e-7`), valid as an
/// XML Schema double, a JSON number and a Python, Java or C float; `None` when not finite.
fn float_text(number: f64) -> Option<String> {
    number.is_finite().then(|| format!("{number:?}"))
}

/// Post ids joined by single spaces.
fn posts_text(posts: &[i64]) -> String {
    let mut text = String::new();
    for (position, post) in posts.iter().enumerate() {
        if position > 0 {
            text.push(' ');
        }
        text.push_str(&post.to_string());
    }
    text
}

/// Text escaped for XML text and attribute values (see the module documentation).
struct Xml<'a>(&'a str);

impl fmt::Display for Xml<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut unwritten_from = 0;
        for (index, character) in self.0.char_indices() {
            let replacement = match character {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&apos;",
                '\t' => "&#9;",
                '\n' => "&#10;",
                '\r' => "&#13;",
                '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'.. => continue,
                _ => "\u{FFFD}",
            };
            formatter.write_str(&self.0[unwritten_from..index])?;
            formatter.write_str(replacement)?;
            unwritten_from = index + character.len_utf8();
        }
        formatter.write_str(&self.0[unwritten_from..])
    }
}

/// Text as a quoted JSON string (control characters, U+2028 and U+2029 escaped).
struct Json<'a>(&'a str);

impl fmt::Display for Json<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("\"")?;
        let mut unwritten_from = 0;
        for (index, character) in self.0.char_indices() {
            let replacement: Cow<'_, str> = match character {
                '"' => Cow::Borrowed("\\\""),
                '\\' => Cow::Borrowed("\\\\"),
                '\n' => Cow::Borrowed("\\n"),
                '\r' => Cow::Borrowed("\\r"),
                '\t' => Cow::Borrowed("\\t"),
                '\u{8}' => Cow::Borrowed("\\b"),
                '\u{C}' => Cow::Borrowed("\\f"),
                '\u{0}'..='\u{1F}' | '\u{2028}' | '\u{2029}' => {
                    Cow::Owned(format!("\\u{:04x}", u32::from(character)))
                }
                _ => continue,
            };
            formatter.write_str(&self.0[unwritten_from..index])?;
            formatter.write_str(&replacement)?;
            unwritten_from = index + character.len_utf8();
        }
        formatter.write_str(&self.0[unwritten_from..])?;
        formatter.write_str("\"")
    }
}

/// A float as a JSON number, `null` when not finite.
struct JsonFloat(f64);

impl fmt::Display for JsonFloat {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match float_text(self.0) {
            Some(text) => formatter.write_str(&text),
            None => formatter.write_str("null"),
        }
    }
}

/// A time as a JSON string (ISO 8601 UTC), `null` when unknown.
struct JsonTime(Option<i64>);

impl fmt::Display for JsonTime {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(time) => write!(formatter, "{}", Json(&iso_datetime(time))),
            None => formatter.write_str("null"),
        }
    }
}

/// A CSV field, quoted (with doubled quotes) when it holds a comma, a quote or a line break.
struct Csv<'a>(&'a str);

impl fmt::Display for Csv<'_> {
    /// The cell made spreadsheet-safe (tgscope's one CSV policy,
    /// [`tgscope_text::spreadsheet::spreadsheet_safe`]), then quoted as RFC 4180 asks.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cell = tgscope_text::spreadsheet::spreadsheet_safe(self.0);
        if !cell.contains([',', '"', '\r', '\n']) {
            return formatter.write_str(&cell);
        }
        formatter.write_str("\"")?;
        let mut pieces = cell.split('"');
        if let Some(first) = pieces.next() {
            formatter.write_str(first)?;
        }
        for piece in pieces {
            formatter.write_str("\"\"")?;
            formatter.write_str(piece)?;
        }
        formatter.write_str("\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::graph::Node;

    /// A network with every attribute type, a missing value, a float that is not finite, a
    /// title with markup characters, a tab and a control character, directed and undirected
    /// edges, two parallel edges of different kinds, edges with two, one and no times.
    fn sample_graph() -> Graph {
        Graph {
            description: "forward & mention network <2024>, edges point from the citing channel"
                .to_owned(),
            node_attrs: vec![
                AttrDef {
                    id: "posts",
                    title: "Posts",
                    kind: AttrType::Integer,
                },
                AttrDef {
                    id: "pagerank",
                    title: "PageRank",
                    kind: AttrType::Float,
                },
                AttrDef {
                    id: "in_archive",
                    title: "In archive",
                    kind: AttrType::Boolean,
                },
                AttrDef {
                    id: "username",
                    title: "Username",
                    kind: AttrType::Text,
                },
                AttrDef {
                    id: "first_post",
                    title: "First post",
                    kind: AttrType::Time,
                },
            ],
            edge_attrs: vec![AttrDef {
                id: "share",
                title: "Share",
                kind: AttrType::Float,
            }],
            nodes: vec![
                Node {
                    id: "100".to_owned(),
                    label: "Канал <&\"'> bad\u{1}\ttitle".to_owned(),
                    values: vec![
                        Some(Value::Integer(42)),
                        Some(Value::Float(0.25)),
                        Some(Value::Boolean(true)),
                        Some(Value::Text("bad_chan".to_owned())),
                        Some(Value::Time(951_782_400)),
                    ],
                },
                Node {
                    id: "200".to_owned(),
                    label: "Second, \"quoted\"\nline".to_owned(),
                    values: vec![
                        Some(Value::Integer(-7)),
                        Some(Value::Float(f64::NAN)),
                        Some(Value::Boolean(false)),
                        None,
                        Some(Value::Time(-1)),
                    ],
                },
                Node {
                    id: "@mentioned".to_owned(),
                    label: "@mentioned".to_owned(),
                    values: vec![None; 5],
                },
            ],
            edges: vec![
                Edge {
                    source: "100".to_owned(),
                    target: "200".to_owned(),
                    kind: "forward",
                    directed: true,
                    weight: 3.0,
                    first: Some(951_782_400),
                    last: Some(1_735_689_599),
                    posts: vec![11, 12],
                    values: vec![Some(Value::Float(0.5))],
                },
                Edge {
                    source: "100".to_owned(),
                    target: "200".to_owned(),
                    kind: "mention",
                    directed: true,
                    weight: 1.0,
                    first: Some(0),
                    last: None,
                    posts: vec![13],
                    values: vec![None],
                },
                Edge {
                    source: "200".to_owned(),
                    target: "@mentioned".to_owned(),
                    kind: "coordination",
                    directed: false,
                    weight: 2.5,
                    first: None,
                    last: None,
                    posts: Vec::new(),
                    values: vec![Some(Value::Float(1e-7))],
                },
            ],
        }
    }

    /// The title of node 100 as an XML reader must read it back.
    const BAD_TITLE_READ_BACK: &str = "Канал <&\"'> bad\u{FFFD}\ttitle";

    /// One of the writers, writing into memory.
    type Writer = fn(&Graph, &mut Vec<u8>) -> io::Result<()>;

    fn written(write: Writer, graph: &Graph) -> String {
        let mut bytes = Vec::new();
        write(graph, &mut bytes).unwrap();
        String::from_utf8(bytes).unwrap()
    }

    /// An element of a parsed XML document.
    #[derive(Debug)]
    struct Element {
        name: String,
        attributes: Vec<(String, String)>,
        children: Vec<Element>,
        text: String,
    }

    impl Element {
        fn attribute(&self, name: &str) -> Option<&str> {
            self.attributes
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        }

        fn children_named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Element> {
            let name = name.to_owned();
            self.children.iter().filter(move |child| child.name == name)
        }

        fn child(&self, name: &str) -> &Element {
            self.children_named(name)
                .next()
                .unwrap_or_else(|| panic!("<{}> has no <{name}>", self.name))
        }
    }

    /// A strict reader of the XML this module writes: a prolog, one root element, balanced
    /// tags, quoted and unique attributes, no raw `<` or `&` outside markup and references,
    /// only the five predefined entities and character references, only XML 1.0 characters.
    /// Panics on anything else. Attribute values are normalized as a conforming parser does
    /// (a raw tab or line break becomes a space), so that escaping is checked by what a reader
    /// gets.
    struct XmlReader<'a> {
        text: &'a str,
        position: usize,
    }

    fn parse_xml(text: &str) -> Element {
        for character in text.chars() {
            assert!(
                matches!(character, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..),
                "character {character:?} is not allowed in XML 1.0"
            );
        }
        let mut reader = XmlReader { text, position: 0 };
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        reader.position = text.find("?>").unwrap() + 2;
        reader.skip_whitespace();
        let root = reader.element();
        reader.skip_whitespace();
        assert_eq!(
            reader.position,
            text.len(),
            "content after the root element"
        );
        root
    }

    impl XmlReader<'_> {
        fn rest(&self) -> &str {
            &self.text[self.position..]
        }

        fn skip_whitespace(&mut self) {
            let rest = self.rest();
            self.position += rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r']).len();
        }

        fn expect(&mut self, token: &str) {
            assert!(
                self.rest().starts_with(token),
                "expected {token:?} at {:?}",
                &self.rest()[..self.rest().len().min(40)]
            );
            self.position += token.len();
        }

        fn name(&mut self) -> String {
            let rest = self.rest();
            let length = rest
                .find(|character: char| {
                    !(character.is_ascii_alphanumeric()
                        || matches!(character, '_' | ':' | '.' | '-'))
                })
                .unwrap_or(rest.len());
            assert!(
                length > 0,
                "expected a name at {:?}",
                &rest[..rest.len().min(40)]
            );
            let name = rest[..length].to_owned();
            self.position += length;
            name
        }

        fn element(&mut self) -> Element {
            self.expect("<");
            let name = self.name();
            let mut element = Element {
                name,
                attributes: Vec::new(),
                children: Vec::new(),
                text: String::new(),
            };
            loop {
                self.skip_whitespace();
                if self.rest().starts_with("/>") {
                    self.position += 2;
                    return element;
                }
                if self.rest().starts_with('>') {
                    self.position += 1;
                    break;
                }
                let attribute = self.name();
                self.expect("=\"");
                let length = self.rest().find('"').expect("unterminated attribute value");
                let raw = &self.rest()[..length];
                assert!(!raw.contains('<'), "raw < in attribute {attribute}");
                let value = unescape(&raw.replace(['\t', '\n', '\r'], " "));
                self.position += length + 1;
                assert!(
                    element.attribute(&attribute).is_none(),
                    "attribute {attribute} twice on <{}>",
                    element.name
                );
                element.attributes.push((attribute, value));
            }
            loop {
                if self.rest().starts_with("</") {
                    self.position += 2;
                    let closing = self.name();
                    assert_eq!(closing, element.name, "tags not balanced");
                    self.skip_whitespace();
                    self.expect(">");
                    return element;
                }
                if self.rest().starts_with('<') {
                    let child = self.element();
                    element.children.push(child);
                    continue;
                }
                let length = self.rest().find('<').expect("unterminated element");
                element.text.push_str(&unescape(&self.rest()[..length]));
                self.position += length;
            }
        }
    }

    /// Resolves the predefined entities and character references; panics on a raw `&`.
    fn unescape(raw: &str) -> String {
        let mut text = String::new();
        let mut rest = raw;
        while let Some(ampersand) = rest.find('&') {
            text.push_str(&rest[..ampersand]);
            let semicolon = rest[ampersand..].find(';').expect("raw & in XML") + ampersand;
            let reference = &rest[ampersand + 1..semicolon];
            let character = match reference {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let code = if let Some(hex) = reference.strip_prefix("#x") {
                        u32::from_str_radix(hex, 16)
                    } else {
                        reference
                            .strip_prefix('#')
                            .unwrap_or_else(|| panic!("unknown entity &{reference};"))
                            .parse()
                    }
                    .unwrap();
                    let character = char::from_u32(code).unwrap();
                    assert!(
                        matches!(character, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..),
                        "reference to a character XML does not allow"
                    );
                    character
                }
            };
            text.push(character);
            rest = &rest[semicolon + 1..];
        }
        text.push_str(rest);
        text
    }

    fn declared(attributes: &Element) -> Vec<(String, String, String)> {
        attributes
            .children_named("attribute")
            .map(|attribute| {
                (
                    attribute.attribute("id").unwrap().to_owned(),
                    attribute.attribute("title").unwrap().to_owned(),
                    attribute.attribute("type").unwrap().to_owned(),
                )
            })
            .collect()
    }

    fn attvalues(element: &Element) -> Vec<(String, String)> {
        element
            .children_named("attvalues")
            .flat_map(|attvalues| attvalues.children_named("attvalue"))
            .map(|attvalue| {
                (
                    attvalue.attribute("for").unwrap().to_owned(),
                    attvalue.attribute("value").unwrap().to_owned(),
                )
            })
            .collect()
    }

    fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn iso_datetime_matches_known_dates() {
        assert_eq!(iso_datetime(0), "1970-01-01T00:00:00");
        assert_eq!(iso_datetime(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(iso_datetime(1_735_689_599), "2024-12-31T23:59:59");
        assert_eq!(iso_datetime(1_709_210_096), "2024-02-29T12:34:56");
        assert_eq!(iso_datetime(4_107_542_400), "2100-03-01T00:00:00");
        assert_eq!(iso_datetime(-1), "1969-12-31T23:59:59");
        assert_eq!(iso_datetime(-86_400), "1969-12-31T00:00:00");
        assert_eq!(iso_datetime(-31_536_000), "1969-01-01T00:00:00");
        assert_eq!(iso_datetime(-2_208_988_800), "1900-01-01T00:00:00");
        assert_eq!(iso_datetime(-62_135_596_800), "0001-01-01T00:00:00");
        assert_eq!(iso_datetime(253_402_300_799), "9999-12-31T23:59:59");
        assert_eq!(iso_datetime(-62_135_596_801), "0000-12-31T23:59:59");
        assert_eq!(iso_datetime(-62_198_755_200), "-0001-01-01T00:00:00");
        // The extremes neither overflow nor panic.
        assert!(iso_datetime(i64::MIN).starts_with('-'));
        assert!(iso_datetime(i64::MAX).ends_with("T15:30:07"));
    }

    #[test]
    fn iso_datetime_agrees_with_counting_days_one_by_one() {
        fn month_length(year: i64, month: u32) -> u32 {
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
            match month {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            }
        }
        // Forward from 1970 to 2400 and backward to 1600, a day at a time.
        let (mut year, mut month, mut day) = (1970_i64, 1_u32, 1_u32);
        for days in 0..157_000_i64 {
            let expected = format!("{year:04}-{month:02}-{day:02}T00:00:00");
            assert_eq!(iso_datetime(days * 86_400), expected);
            assert_eq!(
                iso_datetime(days * 86_400 + 86_399),
                format!("{year:04}-{month:02}-{day:02}T23:59:59")
            );
            day += 1;
            if day > month_length(year, month) {
                day = 1;
                month += 1;
                if month > 12 {
                    month = 1;
                    year += 1;
                }
            }
        }
        let (mut year, mut month, mut day) = (1969_i64, 12_u32, 31_u32);
        for days in 1..135_000_i64 {
            assert_eq!(
                iso_datetime(-days * 86_400),
                format!("{year:04}-{month:02}-{day:02}T00:00:00")
            );
            day -= 1;
            if day == 0 {
                if month == 1 {
                    month = 12;
                    year -= 1;
                } else {
                    month -= 1;
                }
                day = month_length(year, month);
            }
        }
    }

    #[test]
    fn gexf_declares_typed_attributes_and_writes_their_values() {
        let graph = sample_graph();
        let text = written(write_gexf, &graph);
        let gexf = parse_xml(&text);
        assert_eq!(gexf.name, "gexf");
        assert_eq!(gexf.attribute("xmlns"), Some("http://gexf.net/1.3"));
        assert_eq!(gexf.attribute("version"), Some("1.3"));
        let meta = gexf.child("meta");
        assert_eq!(meta.child("creator").text, "tgscope");
        assert_eq!(meta.child("description").text, graph.description);
        assert!(meta.attribute("lastmodifieddate").is_none());

        let graph_element = gexf.child("graph");
        let classes: Vec<&str> = graph_element
            .children_named("attributes")
            .map(|attributes| attributes.attribute("class").unwrap())
            .collect();
        assert_eq!(classes, ["node", "edge"]);
        let node_attributes = graph_element.children_named("attributes").next().unwrap();
        let edge_attributes = graph_element.children_named("attributes").nth(1).unwrap();
        let triple =
            |id: &str, title: &str, kind: &str| (id.to_owned(), title.to_owned(), kind.to_owned());
        assert_eq!(
            declared(node_attributes),
            [
                triple("posts", "Posts", "long"),
                triple("pagerank", "PageRank", "double"),
                triple("in_archive", "In archive", "boolean"),
                triple("username", "Username", "string"),
                triple("first_post", "First post", "string"),
            ]
        );
        assert_eq!(
            declared(edge_attributes),
            [
                triple("kind", "kind", "string"),
                triple("first", "first", "string"),
                triple("last", "last", "string"),
                triple("posts", "posts", "string"),
                triple("share", "Share", "double"),
            ]
        );

        let nodes: Vec<&Element> = graph_element
            .child("nodes")
            .children_named("node")
            .collect();
        assert_eq!(nodes.len(), 3);
        assert_eq!(nodes[0].attribute("id"), Some("100"));
        assert_eq!(nodes[0].attribute("label"), Some(BAD_TITLE_READ_BACK));
        assert_eq!(
            attvalues(nodes[0]),
            pairs(&[
                ("posts", "42"),
                ("pagerank", "0.25"),
                ("in_archive", "true"),
                ("username", "bad_chan"),
                ("first_post", "2000-02-29T00:00:00"),
            ])
        );
        // The NaN and the missing username are left out.
        assert_eq!(
            nodes[1].attribute("label"),
            Some("Second, \"quoted\"\nline")
        );
        assert_eq!(
            attvalues(nodes[1]),
            pairs(&[
                ("posts", "-7"),
                ("in_archive", "false"),
                ("first_post", "1969-12-31T23:59:59"),
            ])
        );
        assert_eq!(nodes[2].attribute("id"), Some("@mentioned"));
        assert!(attvalues(nodes[2]).is_empty());

        // The raw text shows the escapes; the control character is gone.
        assert!(text.contains(r#"label="Канал &lt;&amp;&quot;&apos;&gt; bad�&#9;title""#));
        assert!(!text.contains('\u{1}'));
    }

    #[test]
    fn gexf_with_times_is_dynamic_with_closed_intervals_and_edge_kinds() {
        let text = written(write_gexf, &sample_graph());
        let gexf = parse_xml(&text);
        let graph_element = gexf.child("graph");
        assert_eq!(graph_element.attribute("defaultedgetype"), Some("directed"));
        assert_eq!(graph_element.attribute("mode"), Some("dynamic"));
        assert_eq!(graph_element.attribute("timeformat"), Some("dateTime"));
        assert_eq!(
            graph_element.attribute("timerepresentation"),
            Some("interval")
        );
        assert_eq!(graph_element.attribute("timezone"), Some("UTC"));

        let edges: Vec<&Element> = graph_element
            .child("edges")
            .children_named("edge")
            .collect();
        assert_eq!(edges.len(), 3);
        let ids: Vec<&str> = edges
            .iter()
            .map(|edge| edge.attribute("id").unwrap())
            .collect();
        assert_eq!(ids, ["0", "1", "2"]);

        // Two parallel edges of different kinds between 100 and 200.
        for (edge, kind) in edges.iter().zip(["forward", "mention", "coordination"]) {
            assert_eq!(edge.attribute("kind"), Some(kind));
            assert!(attvalues(edge).contains(&("kind".to_owned(), kind.to_owned())));
        }
        assert_eq!(edges[0].attribute("source"), Some("100"));
        assert_eq!(edges[1].attribute("source"), Some("100"));
        assert_eq!(edges[0].attribute("target"), Some("200"));
        assert_eq!(edges[1].attribute("target"), Some("200"));

        assert_eq!(edges[0].attribute("weight"), Some("3.0"));
        assert_eq!(edges[0].attribute("type"), None);
        assert_eq!(edges[0].attribute("start"), Some("2000-02-29T00:00:00"));
        assert_eq!(edges[0].attribute("end"), Some("2024-12-31T23:59:59"));
        assert_eq!(
            attvalues(edges[0]),
            pairs(&[
                ("kind", "forward"),
                ("first", "2000-02-29T00:00:00"),
                ("last", "2024-12-31T23:59:59"),
                ("posts", "11 12"),
                ("share", "0.5"),
            ])
        );
        // One known time: both bounds.
        assert_eq!(edges[1].attribute("weight"), Some("1.0"));
        assert_eq!(edges[1].attribute("start"), Some("1970-01-01T00:00:00"));
        assert_eq!(edges[1].attribute("end"), Some("1970-01-01T00:00:00"));
        assert_eq!(
            attvalues(edges[1]),
            pairs(&[
                ("kind", "mention"),
                ("first", "1970-01-01T00:00:00"),
                ("posts", "13"),
            ])
        );
        // No time: no interval; undirected in a directed graph.
        assert_eq!(edges[2].attribute("weight"), Some("2.5"));
        assert_eq!(edges[2].attribute("type"), Some("undirected"));
        assert_eq!(edges[2].attribute("start"), None);
        assert_eq!(edges[2].attribute("end"), None);
        assert_eq!(
            attvalues(edges[2]),
            pairs(&[("kind", "coordination"), ("posts", ""), ("share", "1e-7")])
        );

        // Every attvalue refers to a declared attribute of its class; weight is not declared.
        let declared_ids = |index: usize| -> Vec<String> {
            declared(
                graph_element
                    .children_named("attributes")
                    .nth(index)
                    .unwrap(),
            )
            .into_iter()
            .map(|(id, _, _)| id)
            .collect()
        };
        let (node_ids, edge_ids) = (declared_ids(0), declared_ids(1));
        assert!(!edge_ids.contains(&"weight".to_owned()));
        for node in graph_element.child("nodes").children_named("node") {
            assert!(attvalues(node).iter().all(|(id, _)| node_ids.contains(id)));
        }
        for edge in &edges {
            assert!(attvalues(edge).iter().all(|(id, _)| edge_ids.contains(id)));
        }
    }

    #[test]
    fn gexf_without_times_is_static_and_all_undirected_is_undirected_by_default() {
        let mut graph = sample_graph();
        for edge in &mut graph.edges {
            edge.first = None;
            edge.last = None;
        }
        let gexf = parse_xml(&written(write_gexf, &graph));
        let graph_element = gexf.child("graph");
        assert_eq!(graph_element.attribute("mode"), Some("static"));
        assert_eq!(graph_element.attribute("timeformat"), None);
        assert_eq!(graph_element.attribute("defaultedgetype"), Some("directed"));
        for edge in graph_element.child("edges").children_named("edge") {
            assert_eq!(edge.attribute("start"), None);
            assert_eq!(edge.attribute("end"), None);
        }

        for edge in &mut graph.edges {
            edge.directed = false;
        }
        let gexf = parse_xml(&written(write_gexf, &graph));
        let graph_element = gexf.child("graph");
        assert_eq!(
            graph_element.attribute("defaultedgetype"),
            Some("undirected")
        );
        for edge in graph_element.child("edges").children_named("edge") {
            assert_eq!(edge.attribute("type"), None);
        }

        // One directed edge among undirected ones says so.
        graph.edges[0].directed = true;
        let gexf = parse_xml(&written(write_gexf, &graph));
        let graph_element = gexf.child("graph");
        assert_eq!(graph_element.attribute("defaultedgetype"), Some("directed"));
        let types: Vec<Option<&str>> = graph_element
            .child("edges")
            .children_named("edge")
            .map(|edge| edge.attribute("type"))
            .collect();
        assert_eq!(types, [None, Some("undirected"), Some("undirected")]);
    }

    #[test]
    fn static_gexf_keeps_times_as_attributes_without_intervals() {
        let graph = sample_graph();
        let gexf = parse_xml(&written(write_gexf_static, &graph));
        let graph_element = gexf.child("graph");
        assert_eq!(graph_element.attribute("mode"), Some("static"));
        assert_eq!(graph_element.attribute("timeformat"), None);
        assert_eq!(graph_element.attribute("timerepresentation"), None);
        let edges: Vec<&Element> = graph_element
            .child("edges")
            .children_named("edge")
            .collect();
        assert_eq!(edges.len(), 3);
        for edge in &edges {
            assert_eq!(edge.attribute("start"), None);
            assert_eq!(edge.attribute("end"), None);
        }
        assert_eq!(edges[1].attribute("kind"), Some("mention"));
        assert_eq!(
            attvalues(edges[0]),
            pairs(&[
                ("kind", "forward"),
                ("first", "2000-02-29T00:00:00"),
                ("last", "2024-12-31T23:59:59"),
                ("posts", "11 12"),
                ("share", "0.5"),
            ])
        );
        // Apart from the graph element and the intervals, the same file as the dynamic one.
        let without_intervals: String = written(write_gexf, &graph)
            .lines()
            .map(|line| match line.find(" start=") {
                Some(at) => format!("{}>\n", &line[..at]),
                None => format!("{line}\n"),
            })
            .collect();
        let static_text = written(write_gexf_static, &graph);
        let differing: Vec<(&str, &str)> = without_intervals
            .lines()
            .zip(static_text.lines())
            .filter(|(dynamic, fixed)| dynamic != fixed)
            .collect();
        assert_eq!(
            differing,
            [(
                r#"  <graph defaultedgetype="directed" mode="dynamic" timeformat="dateTime" timerepresentation="interval" timezone="UTC">"#,
                r#"  <graph defaultedgetype="directed" mode="static">"#
            )]
        );
    }

    #[test]
    fn empty_graph_gives_valid_files() {
        let graph = Graph::default();
        let gexf = parse_xml(&written(write_gexf, &graph));
        assert_eq!(gexf.child("graph").attribute("mode"), Some("static"));
        let graphml = parse_xml(&written(write_graphml, &graph));
        assert_eq!(graphml.child("graph").children_named("node").count(), 0);
        assert_eq!(written(write_csv_nodes, &graph), "Id,Label\r\n");
        assert_eq!(
            written(write_csv_edges, &graph),
            "Source,Target,Type,Kind,Weight,First,Last,Posts\r\n"
        );
        assert_eq!(
            written(write_json, &graph),
            "{\"description\": \"\",\n\"nodes\": [],\n\"edges\": []}\n"
        );
    }

    #[test]
    fn graphml_declares_typed_keys_for_every_data() {
        let graph = sample_graph();
        let graphml = parse_xml(&written(write_graphml, &graph));
        assert_eq!(graphml.name, "graphml");
        assert_eq!(
            graphml.attribute("xmlns"),
            Some("http://graphml.graphdrawing.org/xmlns")
        );
        let keys: Vec<[&str; 4]> = graphml
            .children_named("key")
            .map(|key| {
                ["id", "for", "attr.name", "attr.type"].map(|name| key.attribute(name).unwrap())
            })
            .collect();
        assert_eq!(
            keys,
            [
                ["g_description", "graph", "description", "string"],
                ["n_posts", "node", "posts", "long"],
                ["n_pagerank", "node", "pagerank", "double"],
                ["n_in_archive", "node", "in_archive", "boolean"],
                ["n_username", "node", "username", "string"],
                ["n_first_post", "node", "first_post", "string"],
                ["e_kind", "edge", "kind", "string"],
                ["e_weight", "edge", "weight", "double"],
                ["e_first", "edge", "first", "string"],
                ["e_last", "edge", "last", "string"],
                ["e_posts", "edge", "posts", "string"],
                ["e_share", "edge", "share", "double"],
            ]
        );
        let key_for = |id: &str| -> &str {
            keys.iter()
                .find(|key| key[0] == id)
                .unwrap_or_else(|| panic!("data refers to the undeclared key {id}"))[1]
        };
        let data = |element: &Element| -> Vec<(String, String)> {
            element
                .children_named("data")
                .map(|data| (data.attribute("key").unwrap().to_owned(), data.text.clone()))
                .collect()
        };

        let graph_element = graphml.child("graph");
        assert_eq!(graph_element.attribute("edgedefault"), Some("directed"));
        assert_eq!(graph_element.child("desc").text, graph.description);
        assert_eq!(
            data(graph_element),
            [("g_description".to_owned(), graph.description.clone())]
        );

        let nodes: Vec<&Element> = graph_element.children_named("node").collect();
        let node_ids: Vec<&str> = nodes
            .iter()
            .map(|node| node.attribute("id").unwrap())
            .collect();
        assert_eq!(node_ids, ["100", "200", "@mentioned"]);
        for node in &nodes {
            for (key, _) in data(node) {
                assert_eq!(key_for(&key), "node");
            }
        }
        assert_eq!(
            data(nodes[0]),
            pairs(&[
                ("n_posts", "42"),
                ("n_pagerank", "0.25"),
                ("n_in_archive", "true"),
                ("n_username", "bad_chan"),
                ("n_first_post", "2000-02-29T00:00:00"),
            ])
        );
        assert_eq!(
            data(nodes[1]),
            pairs(&[
                ("n_posts", "-7"),
                ("n_in_archive", "false"),
                ("n_first_post", "1969-12-31T23:59:59"),
            ])
        );
        assert!(data(nodes[2]).is_empty());

        let edges: Vec<&Element> = graph_element.children_named("edge").collect();
        assert_eq!(edges.len(), 3);
        for edge in &edges {
            for (key, _) in data(edge) {
                assert_eq!(key_for(&key), "edge");
            }
            let source = edge.attribute("source").unwrap();
            let target = edge.attribute("target").unwrap();
            assert!(node_ids.contains(&source) && node_ids.contains(&target));
        }
        assert!(edges.iter().all(|edge| edge.attribute("id").is_none()));
        let directed: Vec<Option<&str>> = edges
            .iter()
            .map(|edge| edge.attribute("directed"))
            .collect();
        assert_eq!(directed, [None, None, Some("false")]);
        assert_eq!(
            data(edges[0]),
            pairs(&[
                ("e_kind", "forward"),
                ("e_weight", "3.0"),
                ("e_first", "2000-02-29T00:00:00"),
                ("e_last", "2024-12-31T23:59:59"),
                ("e_posts", "11 12"),
                ("e_share", "0.5"),
            ])
        );
        assert_eq!(
            data(edges[1]),
            pairs(&[
                ("e_kind", "mention"),
                ("e_weight", "1.0"),
                ("e_first", "1970-01-01T00:00:00"),
                ("e_posts", "13"),
            ])
        );
        assert_eq!(
            data(edges[2]),
            pairs(&[
                ("e_kind", "coordination"),
                ("e_weight", "2.5"),
                ("e_posts", ""),
                ("e_share", "1e-7"),
            ])
        );
    }

    #[test]
    fn csv_has_gephi_headers_and_quotes_fields_that_need_it() {
        // Every cell is spreadsheet-safe, as in every CSV tgscope writes: `@mentioned` would
        // run as a formula, so it is written `'@mentioned` in both files (the ids still join);
        // the negative number stays a number.
        let graph = sample_graph();
        assert_eq!(
            written(write_csv_nodes, &graph),
            "Id,Label,posts,pagerank,in_archive,username,first_post\r\n\
             100,\"Канал <&\"\"'> bad\u{1}\ttitle\",42,0.25,true,bad_chan,2000-02-29T00:00:00\r\n\
             200,\"Second, \"\"quoted\"\"\nline\",-7,,false,,1969-12-31T23:59:59\r\n\
             '@mentioned,'@mentioned,,,,,\r\n"
        );
        assert_eq!(
            written(write_csv_edges, &graph),
            "Source,Target,Type,Kind,Weight,First,Last,Posts,share\r\n\
             100,200,Directed,forward,3.0,2000-02-29T00:00:00,2024-12-31T23:59:59,11 12,0.5\r\n\
             100,200,Directed,mention,1.0,1970-01-01T00:00:00,,13,\r\n\
             200,'@mentioned,Undirected,coordination,2.5,,,,1e-7\r\n"
        );
    }

    #[test]
    fn json_follows_the_contract() {
        let expected = r##"{"description": "forward & mention network <2024>, edges point from the citing channel",
"nodes": [
{"id": "100", "label": "Канал <&\"'> bad\u0001\ttitle", "posts": 42, "pagerank": 0.25, "in_archive": true, "username": "bad_chan", "first_post": "2000-02-29T00:00:00"},
{"id": "200", "label": "Second, \"quoted\"\nline", "posts": -7, "pagerank": null, "in_archive": false, "username": null, "first_post": "1969-12-31T23:59:59"},
{"id": "@mentioned", "label": "@mentioned", "posts": null, "pagerank": null, "in_archive": null, "username": null, "first_post": null}],
"edges": [
{"source": "100", "target": "200", "kind": "forward", "directed": true, "weight": 3.0, "first": "2000-02-29T00:00:00", "last": "2024-12-31T23:59:59", "posts": [11, 12], "share": 0.5},
{"source": "100", "target": "200", "kind": "mention", "directed": true, "weight": 1.0, "first": "1970-01-01T00:00:00", "last": null, "posts": [13], "share": null},
{"source": "200", "target": "@mentioned", "kind": "coordination", "directed": false, "weight": 2.5, "first": null, "last": null, "posts": [], "share": 1e-7}]}
"##;
        assert_eq!(written(write_json, &sample_graph()), expected);
    }

    #[test]
    fn json_strings_escape_quotes_backslashes_and_control_characters() {
        assert_eq!(
            Json("a\"b\\c\u{0}\u{8}\u{c}\r\n\t\u{1f}\u{2028}\u{2029}é€😀/").to_string(),
            r#""a\"b\\c\u0000\b\f\r\n\t\u001f\u2028\u2029é€😀/""#
        );
        assert_eq!(JsonFloat(f64::INFINITY).to_string(), "null");
        assert_eq!(JsonFloat(f64::NAN).to_string(), "null");
        assert_eq!(JsonFloat(-0.5).to_string(), "-0.5");
        assert_eq!(JsonFloat(1e300).to_string(), "1e300");
    }

    #[test]
    fn xml_escaping_keeps_line_breaks_and_drops_characters_xml_does_not_allow() {
        let original = "a&b<c>d\"e'f\tg\nh\ri\u{0}j\u{b}k\u{1f}l\u{7f}m\u{fffe}n\u{ffff}o\u{10000}";
        let escaped = Xml(original).to_string();
        assert_eq!(
            escaped,
            "a&amp;b&lt;c&gt;d&quot;e&apos;f&#9;g&#10;h&#13;i\u{fffd}j\u{fffd}k\u{fffd}l\u{7f}m\u{fffd}n\u{fffd}o\u{10000}"
        );
        // Read back through an element attribute, a reader gets the text with the replacements.
        let document = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a b=\"{escaped}\">{escaped}</a>\n"
        );
        let element = parse_xml(&document);
        let read_back =
            "a&b<c>d\"e'f\tg\nh\ri\u{fffd}j\u{fffd}k\u{fffd}l\u{7f}m\u{fffd}n\u{fffd}o\u{10000}";
        assert_eq!(element.attribute("b"), Some(read_back));
        assert_eq!(element.text, read_back);
    }

    #[test]
    fn every_format_writes_the_same_bytes_for_the_same_graph() {
        let graph = sample_graph();
        let writers: [Writer; 6] = [
            write_gexf,
            write_gexf_static,
            write_graphml,
            write_csv_nodes,
            write_csv_edges,
            write_json,
        ];
        for write in writers {
            let first = written(write, &graph);
            assert_eq!(first, written(write, &graph.clone()));
        }
    }

    #[test]
    fn writers_report_errors_of_the_output() {
        struct Failing;
        impl Write for Failing {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let graph = sample_graph();
        assert!(write_gexf(&graph, &mut Failing).is_err());
        assert!(write_gexf_static(&graph, &mut Failing).is_err());
        assert!(write_graphml(&graph, &mut Failing).is_err());
        assert!(write_csv_nodes(&graph, &mut Failing).is_err());
        assert!(write_csv_edges(&graph, &mut Failing).is_err());
        assert!(write_json(&graph, &mut Failing).is_err());
    }
}
