//! `tgscope entities` (the entities named in the posts, over time) and `tgscope entity NAME`
//! (one entity's mentions over time, its channels and the entities named with it).

use std::io::Write;

use tgscope_engine::Engine;
use tgscope_engine::entities::{EntityCount, EntityTableView, split_key};

use tgscope_engine::export::EntityRecord;

use crate::lists::{RowFormat, write_rows};

use crate::args::{EntitiesArgs, EntityArgs, Fmt};

fn period(since: Option<&str>, until: Option<&str>) -> anyhow::Result<(Option<i64>, Option<i64>)> {
    let bound = |name: &str, v: Option<&str>| {
        v.map(|v| tgscope_engine::network::date_bound(name, v))
            .transpose()
    };
    Ok((bound("--since", since)?, bound("--until", until)?))
}

fn name(view: &EntityTableView, key: &str) -> String {
    view.names
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.to_string())
}

fn channel(view: &EntityTableView, id: i64) -> String {
    view.channel_names
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("channel {id}"))
}

use tgscope_engine::export::records::day_of as day;

/// One entity as a record: the shape of the API's (`/api/v1/entities`), so that the command
/// line and the server write the same JSON and CSV.
fn record(view: &EntityTableView, e: &EntityCount) -> EntityRecord {
    EntityRecord::new(
        view,
        e,
        tgscope_engine::export::records::ENTITY_WITH_IN_TABLE,
    )
}

fn write(
    view: &EntityTableView,
    rows: &[&EntityCount],
    fmt: Fmt,
    output: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match fmt {
        Fmt::Json => {
            let all: Vec<_> = rows.iter().map(|e| record(view, e)).collect();
            serde_json::to_writer_pretty(&mut *out, &all)?;
            writeln!(out)?;
        }
        Fmt::Jsonl | Fmt::Csv | Fmt::Parquet => {
            let rows_format = RowFormat::of(fmt).unwrap_or(RowFormat::Jsonl);
            let records: Vec<EntityRecord> = rows.iter().map(|e| record(view, e)).collect();
            write_rows("entities", rows_format, output, out, &records)?;
        }
        Fmt::Table => {
            writeln!(
                out,
                "{:<34} {:<8} {:>6} {:>8} {:>8}  {:<10} NAMED WITH",
                "ENTITY", "KIND", "POSTS", "MENTIONS", "CHANNELS", "FIRST"
            )?;
            for e in rows {
                let kind = split_key(&e.key).map_or("", |(k, _)| k.as_str());
                let with: Vec<String> = e.with.iter().take(3).map(|(k, _)| name(view, k)).collect();
                writeln!(
                    out,
                    "{:<34} {:<8} {:>6} {:>8} {:>8}  {:<10} {}",
                    name(view, &e.key),
                    kind,
                    e.posts,
                    e.mentions,
                    e.channels.len(),
                    day(e.first.0),
                    with.join(", ")
                )?;
            }
        }
    }
    Ok(())
}

/// Runs `tgscope entities`.
pub fn entities(
    engine: &mut Engine,
    a: &EntitiesArgs,
    out: &mut dyn Write,
    quiet: bool,
) -> anyhow::Result<()> {
    let (since, until) = period(a.since.as_deref(), a.until.as_deref())?;
    let view = engine.entities(
        a.kind.map(Into::into),
        a.channel.as_deref(),
        since,
        until,
        a.by,
    )?;
    let limit = match a.format {
        Fmt::Table => a.limit.or(Some(30)),
        _ => a.limit,
    };
    let all = &view.table.entities;
    let shown = limit.unwrap_or(usize::MAX).min(all.len());
    let rows: Vec<&EntityCount> = all[..shown].iter().collect();
    write(&view, &rows, a.format, a.output.as_deref(), out)?;
    if !quiet {
        eprintln!(
            "tgscope: {} entities in {} of {} posts",
            all.len(),
            view.table.posts_with_entities,
            view.table.posts
        );
        if shown < all.len() {
            eprintln!(
                "tgscope: {shown} of {} entities shown; --limit N shows more",
                all.len()
            );
        }
        if view.table.undated_left_out > 0 {
            eprintln!(
                "tgscope: {} undated posts naming entities left out by the date range",
                view.table.undated_left_out
            );
        }
    }
    Ok(())
}

/// Runs `tgscope entity NAME`.
pub fn entity(
    engine: &mut Engine,
    a: &EntityArgs,
    out: &mut dyn Write,
    quiet: bool,
) -> anyhow::Result<()> {
    let key = engine.entity_key(&a.name)?;
    let (since, until) = period(a.since.as_deref(), a.until.as_deref())?;
    let kind = split_key(&key).map(|(k, _)| k);
    let view = engine.entities(None, a.channel.as_deref(), since, until, a.by)?;
    let Some(e) = view.table.entities.iter().find(|e| e.key == key) else {
        if matches!(a.format, Fmt::Json | Fmt::Jsonl) {
            writeln!(out, "null")?;
        }
        if !quiet {
            eprintln!(
                "tgscope: {} ({key}) is named in none of the {} posts read{}",
                name(&view, &key),
                view.table.posts,
                if view.table.undated_left_out > 0 {
                    format!(
                        " ({} undated posts naming entities left out by the date range)",
                        view.table.undated_left_out
                    )
                } else {
                    String::new()
                }
            );
        }
        let _ = kind;
        return Ok(());
    };
    match a.format {
        Fmt::Table => {
            writeln!(
                out,
                "{} ({}): {} posts, {} mentions, {} channel{}; first {} (post {})",
                name(&view, &key),
                key,
                e.posts,
                e.mentions,
                e.channels.len(),
                if e.channels.len() == 1 { "" } else { "s" },
                if e.first.0.is_some() {
                    day(e.first.0)
                } else {
                    "undated".into()
                },
                e.first.1
            )?;
            writeln!(out)?;
            writeln!(out, "Posts per {}:", a.by.as_str())?;
            for (p, n) in &e.periods {
                writeln!(out, "  {p:<12} {n:>6}")?;
            }
            writeln!(out)?;
            writeln!(out, "Channels:")?;
            for (c, n) in e.channels.iter().take(a.limit.unwrap_or(20)) {
                writeln!(out, "  {:<40} {n:>6}", channel(&view, *c))?;
            }
            writeln!(out)?;
            writeln!(out, "Named with:")?;
            for (k, n) in e.with.iter().take(a.limit.unwrap_or(20)) {
                writeln!(out, "  {:<40} {n:>6}", name(&view, k))?;
            }
        }
        Fmt::Json => {
            serde_json::to_writer_pretty(&mut *out, &record(&view, e))?;
            writeln!(out)?;
        }
        Fmt::Parquet => crate::lists::no_parquet(
            "entity",
            "`tgscope entities --format parquet -o FILE` writes the table of entities",
        ),
        fmt => write(&view, &[e], fmt, None, out)?,
    }
    if !quiet && view.table.undated_left_out > 0 {
        eprintln!(
            "tgscope: {} undated posts naming entities left out by the date range",
            view.table.undated_left_out
        );
    }
    Ok(())
}
