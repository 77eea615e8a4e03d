//! `tgscope narrative add|edit|remove|list|show|report`: narratives (named, versioned sets of
//! queries kept in the archive) and their reports. The JSON shapes are the engine's
//! ([`tgscope_engine::narratives`]), the same as the API's; CSV goes through the engine's one
//! CSV writer ([`tgscope_engine::export::CsvTable`]).

use std::io::Write;
use std::path::Path;

use clap::{Args, Subcommand};
use tgscope_engine::export::CsvTable;
use tgscope_engine::narratives::{
    NarrativeRecord, NarrativeReport, NarrativeSummary, ReportOptions,
};

use crate::args::Fmt;
use crate::terminal::ForPeople;

/// Arguments of `narrative`.
#[derive(Debug, Args)]
pub struct NarrativeArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: NarrativeCommand,
}

impl NarrativeArgs {
    /// Whether the subcommand changes the archive (add, edit, remove), not only reads it.
    pub fn changes(&self) -> bool {
        matches!(
            self.command,
            NarrativeCommand::Add { .. }
                | NarrativeCommand::Edit { .. }
                | NarrativeCommand::Remove { .. }
        )
    }
}

/// The `narrative` subcommands.
#[derive(Debug, Subcommand)]
pub enum NarrativeCommand {
    /// Add a narrative: a name and queries in the query language (a post matching any of them
    /// matches the narrative); its matches are found now and kept current on every ingest.
    Add {
        /// Its name: letters, digits, '-', '_' and '.' (any case; found in any case).
        #[arg(value_name = "NAME")]
        name: String,
        /// A query (repeat for more: any match counts). See docs/search.md.
        #[arg(long = "query", value_name = "QUERY", required = true)]
        queries: Vec<String>,
        /// What the narrative is about.
        #[arg(long, value_name = "TEXT", default_value = "")]
        description: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Fmt,
    },
    /// Make a new version of a narrative (the old versions are kept): new queries, replacing
    /// the old ones, and/or a new description.
    Edit {
        /// The narrative's name.
        #[arg(value_name = "NAME")]
        name: String,
        /// The new queries (repeat for more); without it the queries stay.
        #[arg(long = "query", value_name = "QUERY")]
        queries: Vec<String>,
        /// The new description; without it the description stays.
        #[arg(long, value_name = "TEXT")]
        description: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Fmt,
    },
    /// Remove a narrative: no longer listed or kept current; its versions stay in the archive
    /// (`list --all`), and adding its name again continues them.
    Remove {
        /// The narrative's name.
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// List the narratives with their current version and matching posts.
    List {
        /// Removed narratives too.
        #[arg(long)]
        all: bool,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Fmt,
    },
    /// Show a narrative with every version of its definition.
    Show {
        /// The narrative's name.
        #[arg(value_name = "NAME")]
        name: String,
        /// Output format (table or json).
        #[arg(long, value_enum, default_value = "table")]
        format: Fmt,
    },
    /// Report on a narrative: posts over time in total and per channel, the first post and
    /// channel, the channels that joined and when, the spread (channels per period), the top
    /// posts, and the copy clusters its posts are in. See docs/narratives.md.
    Report(ReportArgs),
}

/// Arguments of `narrative report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The narrative's name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Count posts per day, week or month (default: the one that fits the span).
    #[arg(long, value_name = "PERIOD")]
    pub by: Option<tgscope_engine::Period>,
    /// Only posts dated on or after this date (YYYY-MM-DD or RFC 3339); undated posts are
    /// counted apart whatever the range.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only posts dated before this date.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// How many top posts (most viewed) to list.
    #[arg(long, value_name = "N", default_value_t = tgscope_engine::narratives::TOP_POSTS)]
    pub top: usize,
    /// Output format: table; json (the whole report); jsonl and csv (the series: one row per
    /// period in total, then per channel and period).
    #[arg(long, value_enum, default_value = "table")]
    pub format: Fmt,
}

/// Runs `tgscope narrative ...`.
pub fn run(
    archive: &Path,
    a: NarrativeArgs,
    out: &mut dyn Write,
    quiet: bool,
) -> anyhow::Result<()> {
    let writer = || crate::backend::open_writer(archive);
    match a.command {
        NarrativeCommand::Add {
            name,
            queries,
            description,
            format,
        } => {
            let mut engine = writer()?;
            let n = engine.add_narrative(&name, &description, &queries)?;
            summaries(&[n], format, out)?;
        }
        NarrativeCommand::Edit {
            name,
            queries,
            description,
            format,
        } => {
            let mut engine = writer()?;
            let queries = (!queries.is_empty()).then_some(queries.as_slice());
            let n = engine.edit_narrative(&name, description.as_deref(), queries)?;
            summaries(&[n], format, out)?;
        }
        NarrativeCommand::Remove { name } => {
            let mut engine = writer()?;
            let n = engine.remove_narrative(&name)?;
            writeln!(
                ForPeople::new(out),
                "removed narrative {} (its {} versions stay in the archive: `tgscope narrative \
                 list --all`)",
                n.name,
                n.version
            )?;
        }
        NarrativeCommand::List { all, format } => {
            let mut engine = crate::backend::open_reader(archive)?;
            let list = engine.narratives(all)?;
            summaries(&list, format, out)?;
            if !quiet && list.is_empty() && matches!(format, Fmt::Table) {
                eprintln!("tgscope: no narratives yet (`tgscope narrative add NAME --query Q`)");
            }
        }
        NarrativeCommand::Show { name, format } => {
            let engine = crate::backend::open_reader(archive)?;
            let record = engine.narrative(&name)?;
            show(&record, format, out)?;
        }
        NarrativeCommand::Report(r) => {
            let mut engine = crate::backend::open_reader(archive)?;
            let bound = |name: &str, v: Option<&str>| {
                v.map(|v| tgscope_engine::network::date_bound(name, v))
                    .transpose()
            };
            let options = ReportOptions {
                period: r.by,
                since: bound("--since", r.since.as_deref())?,
                until: bound("--until", r.until.as_deref())?,
                top: r.top,
            };
            let report = engine.narrative_report(&r.name, &options)?;
            report_out(&report, r.format, out)?;
            if !quiet {
                notes(&report);
            }
        }
    }
    Ok(())
}

/// `1 post`, `2 posts`.
fn posts(n: u64) -> String {
    if n == 1 {
        "1 post".into()
    } else {
        format!("{n} posts")
    }
}

/// What a report leaves out, on stderr.
fn notes(r: &NarrativeReport) {
    if r.undated > 0 {
        eprintln!(
            "tgscope: {} without a date: counted, but in no period, and not candidates for \
             the first post",
            posts(r.undated)
        );
    }
    if r.out_of_range > 0 {
        eprintln!(
            "tgscope: {} dated outside --since/--until left out",
            posts(r.out_of_range)
        );
    }
    if r.catching_up {
        eprintln!(
            "tgscope: note: an ingest or collection run is at work: these are the matches as \
             they stand"
        );
    }
}

const LIST_COLUMNS: &[&str] = &[
    "name",
    "version",
    "matching",
    "queries",
    "description",
    "created_at",
    "updated_at",
    "removed_at",
];

fn summaries(list: &[NarrativeSummary], format: Fmt, out: &mut dyn Write) -> anyhow::Result<()> {
    match format {
        Fmt::Parquet => crate::lists::no_parquet("narrative", "use json, jsonl or csv"),
        Fmt::Json => {
            serde_json::to_writer_pretty(&mut *out, list)?;
            writeln!(out)?;
        }
        Fmt::Jsonl => {
            for n in list {
                serde_json::to_writer(&mut *out, n)?;
                writeln!(out)?;
            }
        }
        Fmt::Csv => {
            let mut t = CsvTable::new(&mut *out, LIST_COLUMNS)?;
            for n in list {
                t.row(&[
                    n.name.clone(),
                    n.version.to_string(),
                    n.matching.to_string(),
                    n.queries.join("\n"),
                    n.description.clone(),
                    n.created_at.clone(),
                    n.updated_at.clone(),
                    n.removed_at.clone().unwrap_or_default(),
                ])?;
            }
            t.finish()?;
        }
        Fmt::Table => {
            let mut out = ForPeople::new(out);
            writeln!(
                out,
                "{:<24} {:>7} {:>8}  QUERIES",
                "NARRATIVE", "VERSION", "MATCHING"
            )?;
            for n in list {
                let name = match &n.removed_at {
                    Some(_) => format!("{} (removed)", n.name),
                    None => n.name.clone(),
                };
                writeln!(
                    out,
                    "{:<24} {:>7} {:>8}  {}",
                    name,
                    n.version,
                    n.matching,
                    n.queries.join(" | ")
                )?;
            }
        }
    }
    Ok(())
}

fn show(record: &NarrativeRecord, format: Fmt, out: &mut dyn Write) -> anyhow::Result<()> {
    match format {
        Fmt::Parquet => crate::lists::no_parquet("narrative", "use json, jsonl or csv"),
        Fmt::Table => {
            let mut out = ForPeople::new(out);
            writeln!(out, "narrative {}", record.name)?;
            writeln!(out, "added     {}", record.created_at)?;
            if let Some(at) = &record.removed_at {
                writeln!(out, "removed   {at}")?;
            }
            for v in record.versions.iter().rev() {
                writeln!(out)?;
                writeln!(out, "version {} ({})", v.version, v.created_at)?;
                if !v.description.is_empty() {
                    writeln!(out, "  {}", v.description)?;
                }
                for (i, q) in v.queries.iter().enumerate() {
                    writeln!(out, "  query {}: {q}", i + 1)?;
                }
            }
        }
        Fmt::Jsonl => {
            serde_json::to_writer(&mut *out, record)?;
            writeln!(out)?;
        }
        Fmt::Json => {
            serde_json::to_writer_pretty(&mut *out, record)?;
            writeln!(out)?;
        }
        Fmt::Csv => {
            let mut t = CsvTable::new(
                &mut *out,
                &["name", "version", "created_at", "description", "query"],
            )?;
            for v in &record.versions {
                for q in &v.queries {
                    t.row(&[
                        record.name.clone(),
                        v.version.to_string(),
                        v.created_at.clone(),
                        v.description.clone(),
                        q.clone(),
                    ])?;
                }
            }
            t.finish()?;
        }
    }
    Ok(())
}

/// The columns of the report's series (CSV and JSON Lines).
pub const SERIES_COLUMNS: &[&str] = &[
    "period",
    "start",
    "channel_id",
    "channel",
    "posts",
    "channels",
];

/// The report's series: one row per period in total (no channel; `channels` is the spread),
/// then one per channel and period with posts.
#[derive(Debug, serde::Serialize)]
struct SeriesRow<'a> {
    period: &'a str,
    start: &'a str,
    channel_id: Option<i64>,
    channel: Option<&'a str>,
    posts: u64,
    channels: Option<u64>,
}

fn series(r: &NarrativeReport) -> Vec<SeriesRow<'_>> {
    let period = r.period.as_str();
    let mut rows: Vec<SeriesRow<'_>> = r
        .counts
        .iter()
        .zip(&r.spread)
        .map(|(c, s)| SeriesRow {
            period,
            start: &c.start,
            channel_id: None,
            channel: None,
            posts: c.count,
            channels: Some(s.count),
        })
        .collect();
    for ch in &r.channels {
        for c in &ch.counts {
            rows.push(SeriesRow {
                period,
                start: &c.start,
                channel_id: Some(ch.channel.id),
                channel: Some(&ch.channel.name),
                posts: c.count,
                channels: None,
            });
        }
    }
    rows
}

fn report_out(r: &NarrativeReport, format: Fmt, out: &mut dyn Write) -> anyhow::Result<()> {
    match format {
        Fmt::Parquet => crate::lists::no_parquet("narrative", "use json, jsonl or csv"),
        Fmt::Json => {
            serde_json::to_writer_pretty(&mut *out, r)?;
            writeln!(out)?;
        }
        Fmt::Jsonl => {
            for row in series(r) {
                serde_json::to_writer(&mut *out, &row)?;
                writeln!(out)?;
            }
        }
        Fmt::Csv => {
            let mut t = CsvTable::new(&mut *out, SERIES_COLUMNS)?;
            for row in series(r) {
                t.row(&[
                    row.period.to_string(),
                    row.start.to_string(),
                    row.channel_id.map(|c| c.to_string()).unwrap_or_default(),
                    row.channel.unwrap_or_default().to_string(),
                    row.posts.to_string(),
                    row.channels.map(|c| c.to_string()).unwrap_or_default(),
                ])?;
            }
            t.finish()?;
        }
        Fmt::Table => report_table(r, &mut ForPeople::new(out))?,
    }
    Ok(())
}

fn date(d: Option<&str>, inferred: bool) -> String {
    match d {
        Some(d) if inferred => format!("{} (inferred)", d.get(..10).unwrap_or(d)),
        Some(d) => d.get(..10).unwrap_or(d).to_string(),
        None => "undated".into(),
    }
}

fn report_table(r: &NarrativeReport, out: &mut dyn Write) -> anyhow::Result<()> {
    let n = &r.narrative;
    writeln!(out, "narrative {} (version {})", n.name, n.version)?;
    if !n.description.is_empty() {
        writeln!(out, "  {}", n.description)?;
    }
    for q in &r.queries {
        match &q.problem {
            Some(p) => writeln!(
                out,
                "  query: {}  ({}; cannot run now: {p})",
                q.query,
                posts(q.matching)
            )?,
            None => writeln!(out, "  query: {}  ({})", q.query, posts(q.matching))?,
        }
    }
    writeln!(
        out,
        "{} matching: {} dated ({} of them inferred), {} undated (left out of the curve)",
        posts(r.matching),
        r.dated,
        r.inferred_dates,
        r.undated
    )?;
    if r.out_of_range > 0 {
        writeln!(
            out,
            "{} more dated outside the range asked for",
            r.out_of_range
        )?;
    }
    if let Some(p) = &r.first_post {
        writeln!(
            out,
            "first post: {} in {}, post {}{}",
            date(p.date.as_deref(), p.date_inferred),
            p.channel.name,
            p.post_id,
            p.message_id
                .map_or(String::new(), |m| format!(" (message {m})"))
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<12} {:>6} {:>9}",
        r.period.as_str().to_uppercase(),
        "POSTS",
        "CHANNELS"
    )?;
    for (c, s) in r.counts.iter().zip(&r.spread) {
        writeln!(out, "{:<12} {:>6} {:>9}", c.start, c.count, s.count)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<24} {:>6} {:>8}  JOINED",
        "CHANNEL", "POSTS", "UNDATED"
    )?;
    for ch in &r.channels {
        let joined = r
            .joined
            .iter()
            .find(|p| p.channel.id == ch.channel.id)
            .map_or("-".to_string(), |p| {
                format!(
                    "{} (post {})",
                    date(p.date.as_deref(), p.date_inferred),
                    p.post_id
                )
            });
        writeln!(
            out,
            "{:<24} {:>6} {:>8}  {}",
            ch.channel.name, ch.posts, ch.undated, joined
        )?;
    }
    writeln!(out)?;
    let unranked = match r.without_views {
        0 => String::new(),
        n => format!("; {} without a view count not ranked", posts(n)),
    };
    if r.top_posts.is_empty() {
        writeln!(out, "top posts: none (no matching post has a view count)")?;
    } else {
        writeln!(out, "top posts (most views, then earliest{unranked}):")?;
        writeln!(
            out,
            "{:>8} {:<24} {:<22} {:>8}",
            "POST", "CHANNEL", "DATE", "VIEWS"
        )?;
        for p in &r.top_posts {
            writeln!(
                out,
                "{:>8} {:<24} {:<22} {:>8}",
                p.post_id,
                p.channel.name,
                date(p.date.as_deref(), p.date_inferred),
                p.views.map_or(String::new(), |v| v.to_string())
            )?;
        }
    }
    if r.clusters.is_empty() {
        writeln!(out)?;
        writeln!(out, "copy clusters: none of the matching posts has copies")?;
    } else {
        writeln!(out)?;
        writeln!(
            out,
            "{:>8} {:>6} {:>9} {:>9}  copy clusters (`tgscope search cluster:ID`)",
            "CLUSTER", "POSTS", "MATCHING", "CHANNELS"
        )?;
        for c in &r.clusters {
            writeln!(
                out,
                "{:>8} {:>6} {:>9} {:>9}",
                c.cluster_id, c.posts, c.matching, c.channels
            )?;
        }
    }
    Ok(())
}
