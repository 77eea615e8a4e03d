//! `tgscope network` and `tgscope hashtags`: the networks written in the formats researchers
//! open (through `tgscope_engine::network::format`, the one writer of each format), and the
//! hashtag table.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use tgscope_engine::Engine;
use tgscope_engine::network::{
    self, EdgeKind, HashtagTable, Network, NetworkQuery, ObjectKind, format,
};

use crate::args::{Fmt, HashtagsArgs, NetworkArgs, NetworkFmt, NetworkKind, NetworkObject};

/// `--since` and `--until` as Unix seconds.
fn period(since: Option<&str>, until: Option<&str>) -> anyhow::Result<(Option<i64>, Option<i64>)> {
    Ok((
        since
            .map(|v| network::date_bound("--since", v))
            .transpose()?,
        until
            .map(|v| network::date_bound("--until", v))
            .transpose()?,
    ))
}

/// The question of `tgscope network`.
pub fn query(a: &NetworkArgs) -> anyhow::Result<NetworkQuery> {
    let mut kinds: Vec<EdgeKind> = Vec::new();
    for k in &a.kind {
        let add: &[EdgeKind] = match k {
            NetworkKind::Forward => &[EdgeKind::Forward],
            NetworkKind::Mention => &[EdgeKind::Mention],
            NetworkKind::Copy => &[EdgeKind::Copy],
            NetworkKind::Link => &[EdgeKind::Link],
            NetworkKind::Coordination => &[EdgeKind::Coordination],
            NetworkKind::Hashtag => &[EdgeKind::Hashtag],
            NetworkKind::All => &EdgeKind::CHANNEL_KINDS,
            NetworkKind::Entity => anyhow::bail!(
                "--kind entity is the network of entities; it cannot be combined with other kinds"
            ),
        };
        for k in add {
            if !kinds.contains(k) {
                kinds.push(*k);
            }
        }
    }
    if kinds.contains(&EdgeKind::Hashtag) && kinds.len() > 1 {
        anyhow::bail!(
            "--kind hashtag is the network of tags; it cannot be combined with channel edges"
        );
    }
    let objects = a
        .objects
        .iter()
        .map(|o| match o {
            NetworkObject::Forward => ObjectKind::Forward,
            NetworkObject::Link => ObjectKind::Link,
            NetworkObject::Copy => ObjectKind::Copy,
            NetworkObject::Hashtag => ObjectKind::Hashtag,
        })
        .collect();
    let (since, until) = period(a.since.as_deref(), a.until.as_deref())?;
    Ok(NetworkQuery {
        kinds,
        since,
        until,
        window: network::window_seconds(&a.window)?,
        min_shared: a.min_shared.max(1),
        objects,
        max_sharers: a.max_sharers.max(2),
        min_tag_posts: a.min_tag_posts.max(1),
        ..NetworkQuery::default()
    })
}

/// `NAME.csv` → `NAME-nodes.csv` beside it (`extension`: `csv`, `parquet`).
fn nodes_path(edges: &Path, extension: &str) -> PathBuf {
    let stem = edges
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "network".into());
    edges.with_file_name(format!("{stem}-nodes.{extension}"))
}

fn create(path: &Path) -> anyhow::Result<BufWriter<File>> {
    Ok(BufWriter::new(
        File::create(path).with_context(|| format!("creating {}", path.display()))?,
    ))
}

/// Runs `tgscope network`: writes the file(s), and tells on stderr what the network holds and
/// what it left out.
pub fn run(
    engine: &mut Engine,
    a: &NetworkArgs,
    out: &mut dyn Write,
    quiet: bool,
) -> anyhow::Result<()> {
    if a.format == NetworkFmt::Table {
        let Some(channel) = a.channel.as_deref() else {
            anyhow::bail!(
                "--format table is the amplification table of one channel: name it with --channel"
            );
        };
        let (since, until) = period(a.since.as_deref(), a.until.as_deref())?;
        let amp = engine.amplification(channel, since, until)?;
        return amplification_table(&amp, out);
    }
    let net = if a.kind.contains(&NetworkKind::Entity) {
        if a.kind.iter().any(|k| *k != NetworkKind::Entity) {
            anyhow::bail!(
                "--kind entity is the network of entities; it cannot be combined with other kinds"
            );
        }
        let (since, until) = period(a.since.as_deref(), a.until.as_deref())?;
        let (graph, posts_used, undated_left_out) =
            engine.entity_network(None, since, until, a.min_tag_posts.max(1) as u64)?;
        Network {
            graph,
            posts_used,
            undated_left_out,
            unknown_sources: 0,
            objects_left_out: 0,
        }
    } else {
        let q = query(a)?;
        let around = a.channel.as_deref().map(|c| (c, a.depth));
        engine.network(&q, around)?
    };
    let to_file = a.output.as_ref().filter(|p| p.as_os_str() != "-");
    match (a.format, to_file) {
        (NetworkFmt::Csv, None) => {
            anyhow::bail!("--format csv writes two files: name the edge list with -o FILE.csv")
        }
        (NetworkFmt::Csv, Some(path)) => {
            let nodes = nodes_path(path, "csv");
            let mut w = create(path)?;
            format::write_csv_edges(&net.graph, &mut w)?;
            w.flush()?;
            let mut w = create(&nodes)?;
            format::write_csv_nodes(&net.graph, &mut w)?;
            w.flush()?;
            if !quiet {
                eprintln!(
                    "tgscope: edges in {}, nodes in {}",
                    path.display(),
                    nodes.display()
                );
            }
        }
        (NetworkFmt::Parquet, None) => anyhow::bail!(
            "--format parquet writes two files: name the edge list with -o FILE.parquet"
        ),
        (NetworkFmt::Parquet, Some(path)) => {
            let nodes = nodes_path(path, "parquet");
            let nodes_file = create(&nodes)?;
            let edges_file = create(path)?;
            tgscope_parquet::write_graph(&net.graph, nodes_file, edges_file)
                .with_context(|| format!("writing {} and {}", path.display(), nodes.display()))?;
            if !quiet {
                eprintln!(
                    "tgscope: edges in {}, nodes in {}",
                    path.display(),
                    nodes.display()
                );
            }
        }
        (f, Some(path)) => {
            let mut w = create(path)?;
            write_graph(&net, f, &mut w)?;
            w.flush()?;
        }
        (f, None) => write_graph(&net, f, out)?,
    }
    if !quiet {
        eprintln!("tgscope: {}", summary(&net));
    }
    Ok(())
}

/// Whom a channel amplifies and who amplifies it, as two tables.
fn amplification_table(amp: &network::Amplification, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "{}: forwards, mentions and copies (without forwards) in this archive.",
        amp.name
    )?;
    for (title, rows, none) in [
        (
            "Amplifies (channels whose posts, name or text it passes on):",
            &amp.amplifies,
            "no channel: it passes on no other channel's posts, name or text",
        ),
        (
            "Amplified by (channels that pass on its posts, name or text):",
            &amp.amplified_by,
            "no channel: no other channel passes on its posts, name or text",
        ),
    ] {
        writeln!(out)?;
        writeln!(out, "{title}")?;
        if rows.is_empty() {
            writeln!(out, "  {none}")?;
            continue;
        }
        writeln!(
            out,
            "  {:<30} {:>8} {:>8} {:>6}  {:<11} {:<11} POSTS",
            "CHANNEL", "FORWARDS", "MENTIONS", "COPIES", "FIRST", "LAST"
        )?;
        for c in rows {
            let day = |t: Option<i64>| {
                t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                    .map_or_else(|| "-".to_string(), |d| d.format("%Y-%m-%d").to_string())
            };
            let posts: Vec<String> = c.posts.iter().take(3).map(|p| p.to_string()).collect();
            writeln!(
                out,
                "  {:<30} {:>8} {:>8} {:>6}  {:<11} {:<11} {}",
                c.name,
                c.forwards,
                c.mentions,
                c.copies,
                day(c.first),
                day(c.last),
                posts.join(" ")
            )?;
        }
    }
    Ok(())
}

fn write_graph(net: &Network, f: NetworkFmt, w: &mut dyn Write) -> std::io::Result<()> {
    match f {
        NetworkFmt::Gexf => format::write_gexf(&net.graph, w),
        NetworkFmt::GexfStatic => format::write_gexf_static(&net.graph, w),
        NetworkFmt::Graphml => format::write_graphml(&net.graph, w),
        NetworkFmt::Json => format::write_json(&net.graph, w),
        NetworkFmt::Csv => format::write_csv_edges(&net.graph, w),
        // Table: handled before the network is computed; Parquet: two files, written above.
        NetworkFmt::Table | NetworkFmt::Parquet => Ok(()),
    }
}

/// What a network holds and left out, in one line.
pub fn summary(net: &Network) -> String {
    let mut s = format!(
        "{} nodes, {} edges from {} posts",
        net.graph.nodes.len(),
        net.graph.edges.len(),
        net.posts_used
    );
    if net.undated_left_out > 0 {
        s.push_str(&format!(
            "; {} undated posts left out by the date range",
            net.undated_left_out
        ));
    }
    if net.unknown_sources > 0 {
        s.push_str(&format!(
            "; {} forwards from a source the archive knows by no name (no edge)",
            net.unknown_sources
        ));
    }
    if net.objects_left_out > 0 {
        s.push_str(&format!(
            "; {} shared objects left out: shared by more channels than --max-sharers",
            net.objects_left_out
        ));
    }
    s
}

/// Runs `tgscope hashtags`.
pub fn hashtags(
    engine: &mut Engine,
    a: &HashtagsArgs,
    out: &mut dyn Write,
    quiet: bool,
) -> anyhow::Result<()> {
    let (since, until) = period(a.since.as_deref(), a.until.as_deref())?;
    let table = engine.hashtags(since, until, a.channel.as_deref(), a.by)?;
    let limit = match a.format {
        Fmt::Table => a.limit.or(Some(20)),
        _ => a.limit,
    };
    let shown = limit.unwrap_or(usize::MAX).min(table.tags.len());
    write_hashtags(&table, shown, a.format, out)?;
    if !quiet {
        if shown < table.tags.len() {
            eprintln!(
                "tgscope: {shown} of {} tags shown; --limit N shows more",
                table.tags.len()
            );
        }
        if table.undated_left_out > 0 {
            eprintln!(
                "tgscope: {} undated posts with tags left out by the date range",
                table.undated_left_out
            );
        }
    }
    Ok(())
}

fn channel_name(table: &HashtagTable, id: i64) -> String {
    table
        .channel_names
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("channel {id}"))
}

fn date_text(date: Option<i64>, inferred: bool) -> String {
    match date.and_then(|d| chrono::DateTime::from_timestamp(d, 0)) {
        Some(t) => format!(
            "{}{}",
            if inferred { "~" } else { "" },
            t.format("%Y-%m-%dT%H:%M:%SZ")
        ),
        None => String::new(),
    }
}

fn write_hashtags(
    table: &HashtagTable,
    shown: usize,
    fmt: Fmt,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let tags = &table.tags[..shown];
    let record = |t: &tgscope_engine::network::Hashtag| {
        serde_json::json!({
            "tag": t.tag,
            "posts": t.posts,
            "channels": t.channels.iter().map(|(c, n)| serde_json::json!({
                "id": c, "name": channel_name(table, *c), "posts": n
            })).collect::<Vec<_>>(),
            "first": {
                "post": t.first.post_id,
                "channel": channel_name(table, t.first.channel_id),
                "date": date_text(t.first.date, false),
                "date_inferred": t.first.inferred,
            },
            "periods": t.periods.iter().map(|p| serde_json::json!({
                "period": p.period, "posts": p.posts
            })).collect::<Vec<_>>(),
            "with": t.with.iter().map(|(w, n)| serde_json::json!({"tag": w, "posts": n})).collect::<Vec<_>>(),
        })
    };
    match fmt {
        Fmt::Json => {
            let all: Vec<_> = tags.iter().map(record).collect();
            serde_json::to_writer_pretty(&mut *out, &all)?;
            writeln!(out)?;
        }
        Fmt::Jsonl => {
            for t in tags {
                serde_json::to_writer(&mut *out, &record(t))?;
                writeln!(out)?;
            }
        }
        Fmt::Csv => {
            let mut w = tgscope_engine::export::CsvTable::new(
                &mut *out,
                &[
                    "tag",
                    "posts",
                    "channels",
                    "first_post",
                    "first_channel",
                    "first_date",
                    "first_date_inferred",
                    "top_channels",
                    "with",
                ],
            )?;
            for t in tags {
                w.row(&[
                    t.tag.clone(),
                    t.posts.to_string(),
                    t.channels.len().to_string(),
                    t.first.post_id.to_string(),
                    channel_name(table, t.first.channel_id),
                    date_text(t.first.date, false),
                    t.first.inferred.to_string(),
                    t.channels
                        .iter()
                        .take(5)
                        .map(|(c, n)| format!("{} ({n})", channel_name(table, *c)))
                        .collect::<Vec<_>>()
                        .join("; "),
                    t.with
                        .iter()
                        .take(5)
                        .map(|(w, n)| format!("#{w} ({n})"))
                        .collect::<Vec<_>>()
                        .join("; "),
                ])?;
            }
            w.finish()?;
        }
        Fmt::Parquet => crate::lists::no_parquet("hashtags", "use jsonl or csv"),
        Fmt::Table => {
            writeln!(
                out,
                "{:<24} {:>6} {:>8}  {:<22} BY",
                "TAG", "POSTS", "CHANNELS", "FIRST USE"
            )?;
            for t in tags {
                writeln!(
                    out,
                    "{:<24} {:>6} {:>8}  {:<22} {}",
                    format!("#{}", t.tag),
                    t.posts,
                    t.channels.len(),
                    date_text(t.first.date, t.first.inferred),
                    channel_name(table, t.first.channel_id)
                )?;
            }
        }
    }
    Ok(())
}
