//! The `tgscope` binary: arguments, progress bars and output formats over the engine.
//!
//! Machine output goes to stdout (`--format table|json|jsonl|csv` where it fits); logs and
//! progress go to stderr. Exit codes: 0 success, 1 internal failure (the archive or the
//! machine), 2 usage error, 3 bad input (some inputs were skipped, or a bad filter), 4 not
//! found.

/// mimalloc: reading and ingesting allocate many small strings, and it serves them faster than
/// the system allocator (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Transparent huge pages off for this process. mimalloc asks for them over the whole of its
/// arena, and ingest's batches (freed and taken again, on several threads) then touch fresh
/// 2 MiB pages that the kernel zeroes in full: an eighth of an ingest's CPU time went to that,
/// for no gain in speed (BENCHMARKS.md, "Ingest"). It applies to faults from now on, so to the
/// arena mimalloc reserved before `main` too.
fn without_huge_pages() {
    // The flag belongs to the process (its memory map), whichever thread sets it. A kernel
    // without it answers with an error, which leaves things as they were.
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::debug!("transparent huge pages left as they are: {e}");
    }
}

mod args;
mod backend;
mod copies;
mod entities;
mod feed;
mod lists;
mod narratives;
mod network;
mod output;
mod progress;
mod terminal;
mod user;

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tgscope_engine::{Engine, EngineError, ErrorKind, ExportFormat, IngestOptions};

use args::{Cli, Command, Fmt, SearchFmt};
use tgscope_engine::export::ExportRecord;

/// Exit codes (documented in README.md and `tgscope --help`).
mod exit {
    pub const INTERNAL: u8 = 1;
    pub const BAD_INPUT: u8 = 3;
    pub const NOT_FOUND: u8 = 4;
}

fn main() -> ExitCode {
    without_huge_pages();
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let kind = e
                .downcast_ref::<EngineError>()
                .map(EngineError::kind)
                .or_else(|| {
                    e.downcast_ref::<tgscope_engine::TeamError>()
                        .map(tgscope_engine::TeamError::kind)
                });
            let code = match kind {
                Some(ErrorKind::User) => exit::BAD_INPUT,
                Some(ErrorKind::NotFound) => exit::NOT_FOUND,
                _ => exit::INTERNAL,
            };
            eprintln!("tgscope: error: {}", terminal::visible(&error_chain(&e)));
            ExitCode::from(code)
        }
    }
}

/// An error and its causes on one line, each cause once: a cause whose text the message
/// already carries, or that only restates the previous cause at more length ("Error code 26:
/// file is not a database" after "file is not a database"), is not repeated.
fn error_chain(e: &anyhow::Error) -> String {
    let mut message = String::new();
    let mut previous = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        let restated = !previous.is_empty() && text.contains(&previous);
        if !message.contains(&text) && !restated {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&text);
        }
        previous = text;
    }
    message
}

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let color = io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(color)
        .with_target(false)
        .without_time()
        .init();
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let archive = cli.archive.clone();
    backend::choose(cli.database.clone());
    if let Some(list) = &cli.entities {
        let creates = matches!(cli.command, Command::Ingest(_) | Command::Collect(_));
        if !creates && !backend::archive_exists(&archive) {
            anyhow::bail!(
                "--entities: no archive at {} (ingest something first)",
                archive.display()
            );
        }
        let file = (list.as_os_str() != "none").then_some(list.as_path());
        tgscope_engine::entities::set_entity_list(&archive, file)
            .with_context(|| format!("--entities {}", list.display()))?;
    }
    // Team mode: every command that changes or exports the archive is in its audit log.
    let audited = match &cli.command {
        Command::Ingest(_) => Some("cli.ingest"),
        Command::Collect(_) => Some("cli.collect"),
        Command::Export(_) => Some("cli.export"),
        Command::Narrative(a) if a.changes() => Some("cli.narrative"),
        _ => None,
    };
    if let Some(action) = audited {
        user::audit_command(&archive, action)?;
    }
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match cli.command {
        Command::Ingest(a) => {
            let mut engine = backend::open_writer(&archive)?;
            let options = IngestOptions {
                format: a.format.format(),
                channel: a.channel.clone(),
                keep_raw: !a.no_keep_raw,
                keep_media: !a.no_media,
                read: tgscope_engine::ReadOptions {
                    text: tgscope_engine::TextOptions {
                        desktop_utc_offset: a.utc_offset,
                    },
                    json: tgscope_engine::JsonOptions {
                        utc_offset: a.utc_offset,
                    },
                    html: tgscope_engine::HtmlOptions {
                        utc_offset: a.utc_offset,
                        ..Default::default()
                    },
                    dump: tgscope_engine::DumpOptions {
                        map: a.map.clone().unwrap_or_default(),
                        utc_offset: a.utc_offset,
                    },
                    ..Default::default()
                },
                captured_at: a.captured_at.clone(),
                max_capture_bytes: a.max_capture_size << 20,
                ..IngestOptions::default()
            };
            let mut bar = progress::Bar::new(cli.quiet);
            let report = engine.ingest(&a.paths, &options, &mut bar)?;
            bar.finish();
            match a.report {
                args::ReportFmt::Table => output::ingest_report(
                    &mut terminal::ForPeople::new(&mut out),
                    &report,
                    a.report,
                )?,
                args::ReportFmt::Json => output::ingest_report(&mut out, &report, a.report)?,
            }
            out.flush()?;
            if !report.skipped.is_empty() {
                return Ok(ExitCode::from(exit::BAD_INPUT));
            }
        }
        Command::Posts(a) => {
            let mut engine = open_existing(&archive)?;
            // Tables show a page; machine formats every match unless a limit is given.
            let limit = match a.format {
                Fmt::Table => Some(a.limit.unwrap_or(DEFAULT_TABLE_POSTS)),
                _ => a.limit,
            };
            let filter = a.filter.to_filter(limit, a.offset);
            match a.format {
                Fmt::Parquet => lists::no_parquet(
                    "posts",
                    "`tgscope export --format parquet -o FILE` writes the posts, with the same \
                     filters",
                ),
                Fmt::Table => {
                    let page = engine.posts_page(&filter)?;
                    output::posts_table(&mut terminal::ForPeople::new(&mut out), &page)?;
                }
                Fmt::Json => {
                    let page = engine.posts_page(&filter)?;
                    let records = records(&mut engine, &page.posts)?;
                    output::json(&mut out, &output::posts_json(&page, limit, records))?;
                }
                Fmt::Jsonl => {
                    let page = engine.posts_page(&filter)?;
                    for r in records(&mut engine, &page.posts)? {
                        serde_json::to_writer(&mut out, &r)?;
                        writeln!(out)?;
                    }
                    note_cut(
                        cli.quiet,
                        page.posts.len() as u64,
                        page.count.matching,
                        a.offset,
                    );
                    note_undated(cli.quiet, page.count.undated_left_out);
                }
                Fmt::Csv => {
                    let written = engine.export(&filter, ExportFormat::Csv, &mut out)?;
                    let count = engine.count_posts(&filter)?;
                    note_cut(cli.quiet, written, count.matching, a.offset);
                    note_undated(cli.quiet, count.undated_left_out);
                }
            }
        }
        Command::Show(a) => {
            let engine = open_existing(&archive)?;
            let detail = engine.post(a.id)?;
            match a.format {
                args::ShowFmt::Text => {
                    output::show(&mut terminal::ForPeople::new(&mut out), &detail)?
                }
                args::ShowFmt::Json => output::json(&mut out, &detail)?,
            }
        }
        Command::Channels(a) => {
            let engine = open_existing(&archive)?;
            match (a.format, lists::RowFormat::of(a.format)) {
                (Fmt::Table, _) => {
                    let channels = engine.channels()?;
                    output::channels_table(&mut terminal::ForPeople::new(&mut out), &channels)?
                }
                (_, Some(rows)) => {
                    let records = engine.channel_records()?;
                    lists::write_rows("channels", rows, a.output.as_deref(), &mut out, &records)?;
                }
                (_, None) => output::json(&mut out, &engine.channel_records()?)?,
            }
        }
        Command::Stats(a) => {
            let engine = open_existing(&archive)?;
            let stats = engine.stats()?;
            match a.format {
                args::StatsFmt::Json => output::json(&mut out, &stats)?,
                args::StatsFmt::Table => output::stats_table(
                    &mut terminal::ForPeople::new(&mut out),
                    &stats,
                    engine.dir(),
                )?,
            }
        }
        Command::Captures(a) => {
            let engine = open_existing(&archive)?;
            let records = engine.capture_records()?;
            match (a.format, lists::RowFormat::of(a.format)) {
                (Fmt::Table, _) => {
                    output::captures_table(&mut terminal::ForPeople::new(&mut out), &records)?
                }
                (_, Some(rows)) => {
                    lists::write_rows("captures", rows, a.output.as_deref(), &mut out, &records)?;
                }
                (_, None) => output::json(&mut out, &records)?,
            }
        }
        Command::Export(a) => {
            let format = match a.format {
                args::ExportFmt::Jsonl => ExportFormat::Jsonl,
                args::ExportFmt::Csv => ExportFormat::Csv,
                args::ExportFmt::Parquet => {
                    if a.bom {
                        usage_error(
                            "export",
                            "--bom is for jsonl and csv; a Parquet file has no text encoding to mark",
                        );
                    }
                    let target = ParquetTarget::new("export", a.output.as_deref());
                    let mut engine = open_existing(&archive)?;
                    // The filter is checked before the file is created.
                    let records = engine.export_records(&a.filter.to_filter(None, 0))?;
                    let count = target.write(|out| {
                        let mut sink = tgscope_parquet::ParquetSink::<_, ExportRecord>::new(out)?;
                        Ok(records.write_to(&mut sink)?)
                    })?;
                    if !cli.quiet {
                        eprintln!("exported {count} posts");
                    }
                    return Ok(ExitCode::SUCCESS);
                }
            };
            let mut engine = open_existing(&archive)?;
            let filter = a.filter.to_filter(None, 0);
            let count = match &a.output {
                Some(path) if path.as_os_str() != "-" => {
                    let file = File::create(path)
                        .with_context(|| format!("creating {}", path.display()))?;
                    let mut w = BufWriter::new(file);
                    if a.bom {
                        w.write_all("\u{feff}".as_bytes())?;
                    }
                    let n = engine.export(&filter, format, &mut w)?;
                    w.flush()?;
                    n
                }
                _ => {
                    if a.bom {
                        out.write_all("\u{feff}".as_bytes())?;
                    }
                    engine.export(&filter, format, &mut out)?
                }
            };
            if !cli.quiet {
                eprintln!("exported {count} posts");
            }
        }
        Command::Check => {
            let engine = open_existing(&archive)?;
            let problems = engine.check()?;
            if problems.is_empty() {
                writeln!(out, "archive {} is consistent", engine.dir().display())?;
            } else {
                for p in &problems {
                    writeln!(out, "problem: {p}")?;
                }
                out.flush()?;
                return Ok(ExitCode::from(exit::INTERNAL));
            }
        }
        Command::Search(a) => {
            // A Parquet file without -o is refused before the archive is opened.
            let parquet = (a.format == SearchFmt::Parquet)
                .then(|| ParquetTarget::new("search", a.output.as_deref()))
                .is_some();
            let mut engine = open_existing(&archive)?;
            let sort = match a.sort {
                args::SearchSort::Relevance => tgscope_engine::SortBy::Relevance,
                args::SearchSort::Date => tgscope_engine::SortBy::Newest,
                args::SearchSort::DateAsc => tgscope_engine::SortBy::Oldest,
            };
            // Tables show a page; machine formats every match unless a limit is given.
            let limit = match a.format {
                SearchFmt::Table => a.limit.unwrap_or(DEFAULT_TABLE_HITS),
                _ => a.limit.unwrap_or(usize::MAX),
            };
            let page = engine.search(&a.query, sort, limit, a.offset)?;
            note_catching_up(cli.quiet, page.index_catching_up);
            let mut file;
            let mut out: &mut dyn Write = match &a.output {
                Some(path) if path.as_os_str() != "-" && !parquet => {
                    file = BufWriter::new(
                        File::create(path)
                            .with_context(|| format!("creating {}", path.display()))?,
                    );
                    &mut file
                }
                _ => &mut out,
            };
            match a.format {
                SearchFmt::Table => {
                    output::search_table(&mut terminal::ForPeople::new(&mut out), &page)?
                }
                SearchFmt::Json => {
                    let copies = copy_relations(&mut engine, page.hits.iter().map(|h| &h.post))?;
                    let recognizer = engine.recognizer()?;
                    output::json(
                        &mut out,
                        &output::search_json(&page, a.limit, &copies, &recognizer),
                    )?
                }
                SearchFmt::Jsonl | SearchFmt::Csv | SearchFmt::Parquet => {
                    let rows = match a.format {
                        SearchFmt::Jsonl => lists::RowFormat::Jsonl,
                        SearchFmt::Csv => lists::RowFormat::Csv,
                        _ => lists::RowFormat::Parquet,
                    };
                    let copies = copy_relations(&mut engine, page.hits.iter().map(|h| &h.post))?;
                    let recognizer = engine.recognizer()?;
                    let records = output::search_records(&page, &copies, &recognizer);
                    // Text goes to `out` (already the -o file); Parquet makes its own file.
                    let file = a.output.as_deref().filter(|_| parquet);
                    lists::write_rows("search", rows, file, out, &records)?;
                }
            }
            out.flush()?;
            if !matches!(a.format, SearchFmt::Table | SearchFmt::Json) {
                note_cut(
                    cli.quiet,
                    page.hits.len() as u64,
                    page.total,
                    a.offset as u64,
                );
            }
        }
        Command::Count(a) => {
            let mut engine = open_existing(&archive)?;
            let period = a.by.map(|by| match by {
                args::CountBy::Day => tgscope_engine::Period::Day,
                args::CountBy::Week => tgscope_engine::Period::Week,
                args::CountBy::Month => tgscope_engine::Period::Month,
            });
            let counts = engine.count(&a.query, period)?;
            note_catching_up(cli.quiet, counts.index_catching_up);
            match a.format {
                args::CountFmt::Table => output::counts(
                    &mut terminal::ForPeople::new(&mut out),
                    &a.query,
                    &counts,
                    a.format,
                )?,
                _ => {
                    output::counts(&mut out, &a.query, &counts, a.format)?;
                    if counts.undated > 0 && !cli.quiet {
                        eprintln!("tgscope: {}", output::undated_note(&counts));
                    }
                }
            }
        }
        Command::Copies(a) => {
            let mut engine = open_for_copies(&archive, &a.params, cli.quiet)?;
            note_copies_catching_up(cli.quiet, &engine);
            match (&a.channel, a.post) {
                (Some(channel), _) => {
                    let c = engine.channel_copies(channel)?;
                    note_copies_catching_up(cli.quiet, &engine);
                    if matches!(a.format, Fmt::Table) {
                        copies::channel_copies(
                            &mut terminal::ForPeople::new(&mut out),
                            &c,
                            a.format,
                        )?;
                    } else {
                        copies::channel_copies(&mut out, &c, a.format)?;
                    }
                }
                (None, Some(post)) => {
                    let c = engine.copies_of(post)?;
                    note_copies_catching_up(cli.quiet, &engine);
                    if matches!(a.format, Fmt::Table) {
                        copies::post_copies(
                            &mut terminal::ForPeople::new(&mut out),
                            post,
                            c.as_ref(),
                            a.format,
                        )?;
                    } else {
                        copies::post_copies(&mut out, post, c.as_ref(), a.format)?;
                    }
                }
                (None, None) => anyhow::bail!("name a post or --channel"),
            }
        }
        Command::Clusters(a) => {
            let mut engine = open_for_copies(&archive, &a.params, cli.quiet)?;
            let limit = match a.format {
                Fmt::Table => a.limit.or(Some(DEFAULT_TABLE_HITS)),
                _ => a.limit,
            };
            let page = engine.clusters(&tgscope_engine::ClusterFilter {
                min_channels: a.min_channels,
                since: a.since.clone(),
                until: a.until.clone(),
                sort: match a.sort {
                    args::ClusterOrder::Size => tgscope_engine::ClusterSort::Size,
                    args::ClusterOrder::Channels => tgscope_engine::ClusterSort::Channels,
                    args::ClusterOrder::First => tgscope_engine::ClusterSort::First,
                },
                limit,
                offset: a.offset,
            })?;
            note_copies_catching_up(cli.quiet, &engine);
            if matches!(a.format, Fmt::Table) {
                copies::clusters(
                    &mut terminal::ForPeople::new(&mut out),
                    &page,
                    a.limit,
                    a.format,
                    None,
                )?;
            } else {
                copies::clusters(&mut out, &page, a.limit, a.format, a.output.as_deref())?;
                if !matches!(a.format, Fmt::Json) {
                    note_cut(
                        cli.quiet,
                        page.clusters.len() as u64,
                        page.total as u64,
                        a.offset as u64,
                    );
                }
                if page.undated_left_out > 0 && !cli.quiet {
                    eprintln!(
                        "tgscope: {} clusters left out by the date range: no post of them is dated",
                        page.undated_left_out
                    );
                }
            }
        }
        Command::Narrative(a) => narratives::run(&archive, a, &mut out, cli.quiet)?,
        Command::Network(a) => {
            let mut engine = open_existing(&archive)?;
            network::run(&mut engine, &a, &mut out, cli.quiet)?;
        }
        Command::Entities(a) => {
            let mut engine = open_existing(&archive)?;
            if matches!(a.format, Fmt::Table) {
                entities::entities(
                    &mut engine,
                    &a,
                    &mut terminal::ForPeople::new(&mut out),
                    cli.quiet,
                )?;
            } else {
                entities::entities(&mut engine, &a, &mut out, cli.quiet)?;
            }
        }
        Command::Entity(a) => {
            let mut engine = open_existing(&archive)?;
            if matches!(a.format, Fmt::Table) {
                entities::entity(
                    &mut engine,
                    &a,
                    &mut terminal::ForPeople::new(&mut out),
                    cli.quiet,
                )?;
            } else {
                entities::entity(&mut engine, &a, &mut out, cli.quiet)?;
            }
        }
        Command::Hashtags(a) => {
            let mut engine = open_existing(&archive)?;
            if matches!(a.format, Fmt::Table) {
                network::hashtags(
                    &mut engine,
                    &a,
                    &mut terminal::ForPeople::new(&mut out),
                    cli.quiet,
                )?;
            } else {
                network::hashtags(&mut engine, &a, &mut out, cli.quiet)?;
            }
        }
        Command::Feed(a) => feed::run(&archive, &a, &mut out, cli.quiet)?,
        Command::Reindex => {
            let mut engine = backend::open_writer(&archive)?;
            let done = engine.reindex()?;
            writeln!(out, "indexed {} posts", done.indexed)?;
        }
        Command::Serve(a) => {
            let team = backend::database().map(|url| {
                let url = url.to_string();
                let dir = archive.clone();
                tgscope_server::config::ArchiveOpener::new(move || {
                    tgscope_postgres::PgArchive::open(&url, &dir)
                        .map(|a| Box::new(a) as Box<dyn tgscope_engine::archive::backend::Archive>)
                })
            });
            let team_mode = team.is_some();
            let config = tgscope_server::ServerConfig {
                archive: archive.clone(),
                query_timeout: seconds(a.query_timeout),
                engines: a.engines.map(usize::from).unwrap_or_else(|| {
                    std::thread::available_parallelism()
                        .map(|n| n.get())
                        .unwrap_or(2)
                        .max(2)
                }),
                base_url: a.base_url.clone(),
                max_upload_bytes: a.max_upload_mib.saturating_mul(1024 * 1024),
                team: team_mode,
                opener: team,
                connections: tgscope_server::listen::ConnectionLimits {
                    max_connections: a.max_connections as usize,
                    header_timeout: seconds(a.header_timeout.max(1.0)),
                    ..Default::default()
                },
                ..tgscope_server::ServerConfig::default()
            };
            let quiet = cli.quiet;
            tgscope_server::run_blocking(config, a.bind, |address| {
                // The first line of stdout is the address (scripts and tests read it).
                println!("http://{address}/");
                if quiet {
                    return;
                }
                if team_mode {
                    eprintln!(
                        "tgscope: serving the team's archive in PostgreSQL at http://{address}/ \
                         (sign-in required; API at /api/v1/ with Authorization: Bearer, OpenAPI \
                         at /api/openapi.json; search index and derived data in {}); put it \
                         behind HTTPS; Ctrl-C stops",
                        archive.display()
                    );
                    return;
                }
                eprintln!(
                    "tgscope: serving {} read-only at http://{address}/ (API at \
                     /api/v1/, OpenAPI at /api/openapi.json); Ctrl-C stops",
                    archive.display()
                );
                if !backend::archive_exists(&archive) {
                    eprintln!(
                        "tgscope: nothing is archived in {} yet: the first page says how to \
                         add captures",
                        archive.display()
                    );
                }
            })
            .with_context(|| format!("serving {}", archive.display()))?;
        }
        Command::User(a) => user::run(backend::database(), &archive, a, &mut out, cli.quiet)?,
        Command::Collect(a) => {
            let mut engine = backend::open_writer(&archive)?;
            return collect(&mut engine, &a, cli.quiet, &mut out);
        }
        Command::History(a) => {
            let engine = open_existing(&archive)?;
            let detail = engine.post(a.id)?;
            match a.format {
                args::ShowFmt::Text => {
                    output::history(&mut terminal::ForPeople::new(&mut out), &detail)?
                }
                args::ShowFmt::Json => output::json(&mut out, &detail)?,
            }
        }
        Command::Changes(a) => {
            let engine = open_existing(&archive)?;
            let changes = engine.changes(a.channel.as_deref(), a.since.as_deref())?;
            match a.format {
                Fmt::Parquet => lists::no_parquet("changes", "use jsonl or csv"),
                Fmt::Table => {
                    output::changes_table(&mut terminal::ForPeople::new(&mut out), &changes)?
                }
                Fmt::Json => output::json(&mut out, &changes)?,
                Fmt::Jsonl => {
                    for c in &changes {
                        serde_json::to_writer(&mut out, c)?;
                        writeln!(out)?;
                    }
                }
                Fmt::Csv => output::changes_csv(&mut out, &changes)?,
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Seconds from the command line as a duration (negative and non-finite values as zero).
fn seconds(s: f64) -> std::time::Duration {
    std::time::Duration::try_from_secs_f64(s.max(0.0)).unwrap_or_default()
}

/// Runs `collect` for every channel given: a channel that fails is reported and the others
/// still run; the exit code is the worst.
fn collect(
    engine: &mut Engine,
    a: &args::CollectArgs,
    quiet: bool,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    use tgscope_collect::{CollectError, CollectOptions, fetch::FetchPolicy};
    let options = CollectOptions {
        base_url: a.base_url.clone(),
        since: a.since.clone(),
        until: a.until.clone(),
        max_pages: a.max_pages,
        full: a.full,
        policy: FetchPolicy {
            delay: seconds(a.delay),
            retries: a.retries,
            backoff: seconds(a.backoff),
            max_wait: seconds(a.max_wait),
            timeout: seconds(a.timeout),
            ..FetchPolicy::default()
        },
        ingest: IngestOptions {
            format: Some(tgscope_engine::model::Format::TmeHtml),
            keep_raw: !a.no_keep_raw,
            keep_media: false,
            ..IngestOptions::default()
        },
    };
    let mut worst = 0u8;
    let mut reports = Vec::new();
    for channel in &a.channels {
        let mut bar = progress::CollectBar::new(quiet, channel);
        let result = tgscope_collect::collect(engine, channel, &options, &mut bar);
        bar.finish();
        match result {
            Ok(report) => reports.push(report),
            Err(e) => {
                let code = match &e {
                    CollectError::BadChannel(_) | CollectError::BadBaseUrl(_) => 2,
                    CollectError::PreviewUnavailable { .. } => exit::NOT_FOUND,
                    CollectError::Engine(inner) if inner.kind() == ErrorKind::Internal => {
                        exit::INTERNAL
                    }
                    _ => exit::BAD_INPUT,
                };
                eprintln!("tgscope: {}", terminal::visible(&format!("{channel}: {e}")));
                worst = worst.max(code);
            }
        }
    }
    match a.report {
        args::ReportFmt::Table => {
            output::collect_reports(&mut terminal::ForPeople::new(&mut *out), &reports, a.report)?
        }
        args::ReportFmt::Json => output::collect_reports(out, &reports, a.report)?,
    }
    out.flush()?;
    Ok(ExitCode::from(worst))
}

/// Rows of a `posts` table when no `--limit` is given.
const DEFAULT_TABLE_POSTS: u64 = 100;

/// Results of a `search` table when no `--limit` is given.
const DEFAULT_TABLE_HITS: usize = 20;

/// Says on stderr when a machine format was cut short by `--limit`, and how to get the rest.
fn note_cut(quiet: bool, written: u64, total: u64, offset: u64) {
    let remaining = total.saturating_sub(offset.saturating_add(written));
    if quiet || remaining == 0 {
        return;
    }
    eprintln!(
        "tgscope: wrote {written} of {total} matches (from --offset {offset}, cut by --limit); \
         the next ones: --offset {}; without --limit every match is written",
        offset + written
    );
}

/// Says on stderr how many undated posts a date range left out.
fn note_undated(quiet: bool, left_out: u64) {
    if !quiet && left_out > 0 {
        eprintln!(
            "tgscope: {left_out} undated posts (no date, observed or inferred) are left out by \
             the date range"
        );
    }
}

/// Says on stderr that a writer is still bringing the index up to the archive.
fn note_catching_up(quiet: bool, catching_up: bool) {
    if !quiet && catching_up {
        eprintln!(
            "tgscope: note: an ingest or collection run is at work and the search index is \
             catching up with it: these results are those of the posts indexed so far"
        );
    }
}

/// Opens the archive for `copies` and `clusters`: for reading, or for writing when the
/// analysis's parameters are to change (they become the archive's setting, and the analysis is
/// rebuilt with them).
fn open_for_copies(
    archive: &std::path::Path,
    params: &args::CopyParamArgs,
    quiet: bool,
) -> anyhow::Result<Engine> {
    if !params.given() {
        return open_existing(archive);
    }
    if !backend::archive_exists(archive) {
        return open_existing(archive);
    }
    let mut engine = backend::open_writer(archive)?;
    let current = engine.copy_params()?;
    let wanted = params.apply(&current);
    if engine.set_copy_params(wanted.clone())? && !quiet {
        let p = wanted.unwrap_or_default();
        eprintln!(
            "tgscope: copy analysis rebuilt with jaccard {}, containment {}, min-words {}, {} \
             bands × {} rows, max-bucket {} (kept for later ingests; --default-params goes back)",
            p.jaccard, p.containment, p.min_words, p.bands, p.rows, p.max_bucket
        );
    }
    Ok(engine)
}

/// Says when the copy analysis is behind the archive because a writer is at work.
fn note_copies_catching_up(quiet: bool, engine: &Engine) {
    if !quiet && engine.copies_catching_up() && !engine.read_only() {
        eprintln!(
            "tgscope: note: an ingest or collection run is at work and the copy analysis is \
             catching up with it: these are the copies found so far"
        );
    }
}

fn open_existing(archive: &std::path::Path) -> anyhow::Result<Engine> {
    let mut engine = backend::open_reader(archive)?;
    if engine.read_only() {
        let stale = engine.stale_derived_data()?;
        if stale.is_empty() {
            tracing::info!("the archive is read-only here: read as it stands");
        } else {
            tracing::warn!(
                "the archive is read-only here: its {} {} behind the archive and {} read as \
                 {} stand{} (it cannot be brought up to date on read-only media)",
                stale.join(", "),
                if stale.len() == 1 { "is" } else { "are" },
                if stale.len() == 1 { "is" } else { "are" },
                if stale.len() == 1 { "it" } else { "they" },
                if stale.len() == 1 { "s" } else { "" },
            );
        }
    }
    Ok(engine)
}

/// Export records of posts, with their clusters (`cluster`, `copy_of`) and entities.
fn records(
    engine: &mut Engine,
    posts: &[tgscope_engine::PostRecord],
) -> anyhow::Result<Vec<tgscope_engine::export::ExportRecord>> {
    let copies = copy_relations(engine, posts.iter())?;
    let recognizer = engine.recognizer()?;
    Ok(posts
        .iter()
        .map(|p| tgscope_engine::export::ExportRecord::with_copies(p, &copies, &recognizer))
        .collect())
}

/// The clusters of these posts and their relations to their clusters' first posts.
fn copy_relations<'a>(
    engine: &mut Engine,
    posts: impl Iterator<Item = &'a tgscope_engine::PostRecord>,
) -> anyhow::Result<output::CopyRelations> {
    let ids: Vec<i64> = posts.map(|p| p.id).collect();
    Ok(engine.copy_relations_of(&ids)?)
}

/// Stops with a usage error of `subcommand` (exit code 2, as for a bad argument) saying
/// `message`.
pub(crate) fn usage_error(subcommand: &str, message: &str) -> ! {
    use clap::CommandFactory;
    let mut cli = Cli::command();
    cli.build();
    match cli.find_subcommand_mut(subcommand) {
        Some(sub) => sub
            .error(clap::error::ErrorKind::ArgumentConflict, message)
            .exit(),
        None => cli
            .error(clap::error::ErrorKind::ArgumentConflict, message)
            .exit(),
    }
}

use lists::ParquetTarget;
