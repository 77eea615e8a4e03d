//! Lists in machine formats: every list the command line writes as JSON Lines, CSV or Parquet
//! goes through the engine's sinks (`tgscope_engine::export::sink`) here, so that a channel,
//! a capture, a cluster, an entity or a search hit has one shape whichever front end writes it
//! (the server writes the same records).

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use tgscope_engine::export::{SinkFormat, text_sink};
use tgscope_parquet::{ParquetRecord, ParquetSink};

use crate::args::Fmt;

/// The formats of a list written one record at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFormat {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row, every cell spreadsheet-safe.
    Csv,
    /// An Apache Parquet file (needs -o FILE).
    Parquet,
}

impl RowFormat {
    /// The row format of a listing format (none for a table or one JSON document).
    pub fn of(format: Fmt) -> Option<RowFormat> {
        match format {
            Fmt::Jsonl => Some(RowFormat::Jsonl),
            Fmt::Csv => Some(RowFormat::Csv),
            Fmt::Parquet => Some(RowFormat::Parquet),
            Fmt::Table | Fmt::Json => None,
        }
    }
}

/// Writes `records` as `format` to `-o FILE` (`output`), or to `stdout` without one (a Parquet
/// file needs `-o`: without it, or to a terminal, it is a usage error of `subcommand`);
/// returns how many records were written.
pub fn write_rows<'r, R: ParquetRecord + Clone + Send + 'static>(
    subcommand: &str,
    format: RowFormat,
    output: Option<&Path>,
    stdout: &mut dyn Write,
    records: impl IntoIterator<Item = &'r R>,
) -> anyhow::Result<u64> {
    let records = records.into_iter();
    match (format, output.filter(|p| p.as_os_str() != "-")) {
        (RowFormat::Parquet, _) => ParquetTarget::new(subcommand, output).write(|out| {
            let mut sink = ParquetSink::<_, R>::new(out)?;
            Ok(tgscope_engine::export::sink::write_all(&mut sink, records)?)
        }),
        (text, Some(path)) => {
            let file =
                File::create(path).with_context(|| format!("creating {}", path.display()))?;
            let mut sink = text_sink::<R>(sink_format(text), BufWriter::new(file))?;
            tgscope_engine::export::sink::write_all(&mut *sink, records)
                .with_context(|| format!("writing {}", path.display()))
        }
        (text, None) => {
            let mut sink = text_sink::<R>(sink_format(text), stdout)?;
            Ok(tgscope_engine::export::sink::write_all(
                &mut *sink, records,
            )?)
        }
    }
}

fn sink_format(format: RowFormat) -> SinkFormat {
    match format {
        RowFormat::Csv => SinkFormat::Csv,
        RowFormat::Jsonl | RowFormat::Parquet => SinkFormat::Jsonl,
    }
}

/// Stops with a usage error: `subcommand` offers no Parquet file (`instead` says what does).
pub fn no_parquet(subcommand: &str, instead: &str) -> ! {
    crate::usage_error(
        subcommand,
        &format!("--format parquet is not offered by {subcommand}: {instead}"),
    )
}

/// Where a Parquet file goes: the file of `-o FILE`, or stdout for `-o -` when stdout is not a
/// terminal. Parquet is binary: without `-o`, or to a terminal, it is refused (a usage error)
/// before the archive is opened.
pub enum ParquetTarget {
    /// `-o FILE`.
    File(PathBuf),
    /// `-o -` into a pipe or a file.
    Stdout,
}

impl ParquetTarget {
    /// The target of `-o` (a usage error of `subcommand` when there is none).
    pub fn new(subcommand: &str, output: Option<&Path>) -> ParquetTarget {
        match output {
            Some(path) if path.as_os_str() != "-" => ParquetTarget::File(path.to_path_buf()),
            Some(_) if !io::stdout().is_terminal() => ParquetTarget::Stdout,
            Some(_) => crate::usage_error(
                subcommand,
                "--format parquet writes a binary file, not text for a terminal: send `-o -` \
                 to a pipe or a file, or name the file with -o FILE",
            ),
            None => crate::usage_error(
                subcommand,
                "--format parquet writes a binary file: name it with -o FILE (or `-o -` for \
                 stdout into a pipe)",
            ),
        }
    }

    /// Runs `write` on the output; a file left unfinished by an error (it would have no
    /// footer, so no reader could open it) is removed.
    pub fn write(
        self,
        write: impl FnOnce(Box<dyn Write + Send>) -> anyhow::Result<u64>,
    ) -> anyhow::Result<u64> {
        match self {
            ParquetTarget::Stdout => {
                // The file descriptor itself, not `io::stdout()`: the Parquet writer writes from
                // a thread of its own, and the main thread holds the lock of `io::stdout()`
                // for the whole command (nothing else goes to stdout meanwhile).
                use std::os::fd::AsFd;
                let fd = io::stdout()
                    .as_fd()
                    .try_clone_to_owned()
                    .context("duplicating stdout")?;
                write(Box::new(BufWriter::new(File::from(fd))))
            }
            ParquetTarget::File(path) => {
                let file =
                    File::create(&path).with_context(|| format!("creating {}", path.display()))?;
                let written = write(Box::new(BufWriter::new(file)));
                if written.is_err() {
                    let _ = std::fs::remove_file(&path);
                }
                written.with_context(|| format!("writing {}", path.display()))
            }
        }
    }
}
