//! Output of `copies` and `clusters`: tables for people, JSON, JSON Lines and CSV for machines
//! (the fields are documented in docs/export.md).

use std::io::Write;

use serde::Serialize;
use tgscope_engine::copies::{COPY_COLUMNS, COUNTERPART_COLUMNS};
use tgscope_engine::export::CsvTable;
use tgscope_engine::{ChannelCopies, ClustersPage, CopyCounterpart, CopyItem, PostCopies};

use crate::args::Fmt;

type Out<'a> = &'a mut dyn Write;

/// A delay in seconds for people: `+2h 05m`, `+3d 4h`, `-10m` (before the first).
fn delay(seconds: Option<i64>) -> String {
    let Some(s) = seconds else {
        return "-".into();
    };
    let sign = if s < 0 { "-" } else { "+" };
    let s = s.unsigned_abs();
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    if d > 0 {
        format!("{sign}{d}d {h}h")
    } else if h > 0 {
        format!("{sign}{h}h {m:02}m")
    } else if m > 0 {
        format!("{sign}{m}m {sec:02}s")
    } else {
        format!("{sign}{sec}s")
    }
}

fn date_text(item: &CopyItem) -> String {
    match &item.date {
        Some(d) if item.date_inferred => format!("~{d}"),
        Some(d) => d.clone(),
        None => "undated".into(),
    }
}

fn relation_text(item: &CopyItem) -> String {
    match &item.attribution {
        Some(a) if item.relation != "forward" => {
            format!(
                "{} ({} {})",
                item.relation,
                a.kind.replace('_', " "),
                a.names
            )
        }
        Some(a) => format!("{} from {}", item.relation, a.names),
        None => item.relation.to_string(),
    }
}

fn changes_text(item: &CopyItem, width: usize) -> String {
    let mut parts: Vec<String> = Vec::new();
    parts.extend(item.added.iter().map(|w| format!("+{w}")));
    parts.extend(item.removed.iter().map(|w| format!("-{w}")));
    let all = parts.join(" ");
    if all.chars().count() <= width {
        all
    } else {
        let mut cut: String = all.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

fn basis_text(basis: &str) -> &'static str {
    match basis {
        "observed" => "the earliest observed date",
        "inferred" => "an inferred date: no post of the cluster has an observed one",
        _ => "the lowest archive id: no post of the cluster is dated",
    }
}

/// A post's copies: JSON, JSON Lines (one post per line), CSV or a table.
pub fn post_copies(
    out: Out<'_>,
    post: i64,
    copies: Option<&PostCopies>,
    format: Fmt,
) -> anyhow::Result<()> {
    match format {
        Fmt::Json => {
            let value = match copies {
                Some(c) => serde_json::to_value(c)?,
                None => serde_json::json!({ "post": post, "cluster": null, "posts": [] }),
            };
            crate::output::json(out, &value)
        }
        Fmt::Jsonl => {
            for item in copies.iter().flat_map(|c| &c.detail.posts) {
                serde_json::to_writer(
                    &mut *out,
                    &Line {
                        cluster: copies.map(|c| c.detail.cluster),
                        item,
                    },
                )?;
                writeln!(out)?;
            }
            Ok(())
        }
        Fmt::Csv => {
            let mut table = CsvTable::new(&mut *out, COPY_COLUMNS)?;
            if let Some(c) = copies {
                for item in &c.detail.posts {
                    table.row(&item.csv_row(c.detail.cluster))?;
                }
            }
            table.finish()?;
            Ok(())
        }
        Fmt::Table => post_copies_table(out, post, copies),
        Fmt::Parquet => crate::lists::no_parquet(
            "copies",
            "use jsonl or csv; `clusters --format parquet -o FILE` writes the clusters",
        ),
    }
}

#[derive(Serialize)]
struct Line<'a> {
    cluster: Option<i64>,
    #[serde(flatten)]
    item: &'a CopyItem,
}

fn post_copies_table(out: Out<'_>, post: i64, copies: Option<&PostCopies>) -> anyhow::Result<()> {
    let Some(c) = copies else {
        writeln!(
            out,
            "Post {post} has no copies in this archive: no other post has the same or nearly the \
             same text (docs/copies.md says what counts)."
        )?;
        return Ok(());
    };
    let d = &c.detail;
    writeln!(
        out,
        "Post {post} is in copy cluster {}: {} posts in {} channel{}.",
        d.cluster,
        d.posts.len(),
        d.channel_count,
        if d.channel_count == 1 { "" } else { "s" }
    )?;
    if let Some(first) = d.posts.first() {
        writeln!(
            out,
            "First seen in this archive: post {} in {}, {} (by {}).",
            first.id,
            first.channel.name(),
            date_text(first),
            basis_text(d.first_seen_basis)
        )?;
    }
    writeln!(out)?;
    let channel_width = d
        .posts
        .iter()
        .map(|i| i.channel.name().chars().count())
        .max()
        .unwrap_or(7)
        .clamp(7, 28);
    let date_width = d
        .posts
        .iter()
        .map(|i| date_text(i).chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let relation_width = d
        .posts
        .iter()
        .map(|i| relation_text(i).chars().count())
        .max()
        .unwrap_or(8)
        .clamp(8, 48);
    writeln!(
        out,
        "{:>7}  {:<channel_width$}  {:<date_width$}  {:>9}  {:>5}  {:<relation_width$}  CHANGED",
        "POST", "CHANNEL", "DATE", "DELAY", "SIM", "RELATION"
    )?;
    for item in &d.posts {
        let mark = if item.id == post { "*" } else { " " };
        let name: String = item.channel.name().chars().take(channel_width).collect();
        let relation: String = relation_text(item).chars().take(relation_width).collect();
        writeln!(
            out,
            "{:>6}{mark}  {:<channel_width$}  {:<date_width$}  {:>9}  {:>4.0}%  {:<relation_width$}  {}",
            item.id,
            name,
            date_text(item),
            if item.first_seen {
                "-".into()
            } else {
                delay(item.delay_seconds)
            },
            item.similarity * 100.0,
            relation,
            changes_text(item, 40)
        )?;
    }
    writeln!(
        out,
        "\n* the post asked about; ~ an inferred date; SIM: similarity to the first post \
         (Jaccard over the shingles of the normalised text)."
    )?;
    Ok(())
}

/// A channel's copying: whom it copies from, who copies it.
pub fn channel_copies(out: Out<'_>, c: &ChannelCopies, format: Fmt) -> anyhow::Result<()> {
    match format {
        Fmt::Parquet => crate::lists::no_parquet(
            "copies",
            "use jsonl or csv; `clusters --format parquet -o FILE` writes the clusters",
        ),
        Fmt::Json => crate::output::json(out, c),
        Fmt::Jsonl => {
            for (direction, list) in [("copies_from", &c.copies_from), ("copied_by", &c.copied_by)]
            {
                for cp in list {
                    serde_json::to_writer(
                        &mut *out,
                        &CounterpartLine {
                            direction,
                            counterpart: cp,
                        },
                    )?;
                    writeln!(out)?;
                }
            }
            Ok(())
        }
        Fmt::Csv => {
            let mut table = CsvTable::new(&mut *out, COUNTERPART_COLUMNS)?;
            for row in c.csv_rows() {
                table.row(&row)?;
            }
            table.finish()?;
            Ok(())
        }
        Fmt::Table => {
            writeln!(
                out,
                "{}: posts in {} copy cluster{} of this archive.",
                c.channel.name(),
                c.clusters,
                if c.clusters == 1 { "" } else { "s" }
            )?;
            for (title, list, none) in [
                (
                    "Copies from (channels first seen with a text this channel posted later)",
                    &c.copies_from,
                    "no channel: none of its clustered posts came after another channel's",
                ),
                (
                    "Copied by (channels that posted its texts later)",
                    &c.copied_by,
                    "no channel: no other channel posted its texts later",
                ),
            ] {
                writeln!(out, "\n{title}:")?;
                if list.is_empty() {
                    writeln!(out, "  {none}")?;
                    continue;
                }
                writeln!(
                    out,
                    "  {:<28}  {:>6}  {:>8}  {:>10}  {:>12}  {:>7}  MEDIAN DELAY",
                    "CHANNEL", "POSTS", "FORWARD", "ATTRIBUTED", "UNATTRIBUTED", "PARTIAL"
                )?;
                for cp in list {
                    let share =
                        |n: u64| format!("{:.0}%", n as f64 * 100.0 / cp.posts.max(1) as f64);
                    let name: String = cp.channel.name().chars().take(28).collect();
                    writeln!(
                        out,
                        "  {:<28}  {:>6}  {:>8}  {:>10}  {:>12}  {:>7}  {}",
                        name,
                        cp.posts,
                        share(cp.forward),
                        share(cp.attributed),
                        share(cp.unattributed),
                        share(cp.partial),
                        delay(cp.median_delay_seconds)
                    )?;
                }
            }
            writeln!(
                out,
                "\n\"First\" is first seen in this archive; shares are of the posts counted."
            )?;
            Ok(())
        }
    }
}

#[derive(Serialize)]
struct CounterpartLine<'a> {
    direction: &'a str,
    #[serde(flatten)]
    counterpart: &'a CopyCounterpart,
}

/// A page of clusters.
pub fn clusters(
    out: Out<'_>,
    page: &ClustersPage,
    limit: Option<usize>,
    format: Fmt,
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    match format {
        Fmt::Json => crate::output::json(
            out,
            &serde_json::json!({
                "total": page.total,
                "offset": page.offset,
                "returned": page.clusters.len(),
                "limit": limit,
                "undated_left_out": page.undated_left_out,
                "clusters": page.clusters,
            }),
        ),
        Fmt::Jsonl | Fmt::Csv | Fmt::Parquet => {
            let rows =
                crate::lists::RowFormat::of(format).unwrap_or(crate::lists::RowFormat::Jsonl);
            crate::lists::write_rows("clusters", rows, output, out, &page.clusters)?;
            Ok(())
        }
        Fmt::Table => {
            let shown = page.clusters.len();
            let first = if shown == 0 { 0 } else { page.offset + 1 };
            writeln!(
                out,
                "{} copy cluster{}; showing {first}-{}",
                page.total,
                if page.total == 1 { "" } else { "s" },
                page.offset + shown
            )?;
            if page.undated_left_out > 0 {
                writeln!(
                    out,
                    "({} cluster{} left out by the date range: no post of {} is dated)",
                    page.undated_left_out,
                    if page.undated_left_out == 1 { "" } else { "s" },
                    if page.undated_left_out == 1 {
                        "it"
                    } else {
                        "them"
                    }
                )?;
            }
            if shown > 0 {
                writeln!(
                    out,
                    "\n{:>8}  {:>5}  {:>8}  {:>10}  {:<21}  {:<21}  CHANNELS",
                    "CLUSTER", "POSTS", "CHANNELS", "FIRST POST", "FIRST SEEN", "LAST"
                )?;
            }
            for c in &page.clusters {
                let first_date = match (&c.first_date, c.first_seen_basis) {
                    (Some(d), "inferred") => format!("~{d}"),
                    (Some(d), _) => d.clone(),
                    (None, _) => "undated".into(),
                };
                let names: Vec<String> = c.channels.iter().map(|ch| ch.name()).collect();
                let mut names = names.join(", ");
                if names.chars().count() > 60 {
                    names = names.chars().take(59).collect::<String>() + "…";
                }
                writeln!(
                    out,
                    "{:>8}  {:>5}  {:>8}  {:>10}  {:<21}  {:<21}  {}",
                    c.cluster,
                    c.size,
                    c.channels.len(),
                    c.first_post,
                    first_date,
                    match (&c.last_date, c.last_date_inferred) {
                        (Some(d), true) => format!("~{d}"),
                        (Some(d), false) => d.clone(),
                        (None, _) => "-".into(),
                    },
                    names
                )?;
            }
            let rest = page.total.saturating_sub(page.offset + shown);
            if rest > 0 {
                writeln!(
                    out,
                    "\n{rest} more: --offset {} for the next ones (--limit N for more at once; \
                     --format jsonl or csv gives every cluster)",
                    page.offset + shown
                )?;
            }
            if shown > 0 {
                writeln!(
                    out,
                    "\n\"First seen\" is first seen in this archive (~ an inferred date); \
                     `tgscope copies POST` shows a cluster's posts."
                )?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_read_at_a_glance() {
        assert_eq!(delay(None), "-");
        assert_eq!(delay(Some(42)), "+42s");
        assert_eq!(delay(Some(125)), "+2m 05s");
        assert_eq!(delay(Some(7500)), "+2h 05m");
        assert_eq!(delay(Some(3 * 86_400 + 4 * 3600)), "+3d 4h");
        assert_eq!(delay(Some(-600)), "-10m 00s");
    }
}
