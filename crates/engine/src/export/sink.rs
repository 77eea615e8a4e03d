//! Sinks: where lists of records go, one record at a time, in every file format tgscope writes.
//!
//! Every list tgscope hands out (posts, search hits, channels, captures, copy clusters,
//! entities, network edges and nodes) is a list of one record type, and every record type has
//! one shape: its `serde` form for JSON, JSON Lines and Parquet, and its [`TableRecord`] columns
//! for CSV. The command line and the server write them through the same sinks, so a list reads
//! the same whichever front end wrote it.
//!
//! Main types:
//! - [`TableRecord`]: a record type with its name and CSV columns.
//! - [`RecordSink`]: takes records one at a time and finishes the file; [`JsonlSink`] and
//!   [`CsvSink`] here, `tgscope_parquet::ParquetSink` in its own crate (Arrow and Parquet stay
//!   out of the engine).
//! - [`text_sink`]: the sink of a [`SinkFormat`] over any writer.
//!
//! CSV has one policy: every cell of every CSV goes through [`super::CsvTable`], which makes it
//! [`super::spreadsheet_safe`]. JSON and JSON Lines keep the text as it is.
//!
//! What this module does not do: choose which records a list holds (the engine's queries do),
//! write JSON documents with a list inside (front ends wrap the same records in their pages).

use std::io::Write;

use serde::Serialize;

use super::CsvTable;
use crate::error::Result;

/// A record type that lists are made of: its `serde` form is its JSON and JSON Lines shape, and
/// [`TableRecord::csv_columns`] with [`TableRecord::csv_row`] its CSV shape.
pub trait TableRecord: Serialize {
    /// What one record is (`post`, `search_hit`, `channel`, `capture`, `cluster`, `entity`,
    /// `edge`, `node`): written in a Parquet file's metadata.
    const KIND: &'static str;

    /// The CSV header.
    fn csv_columns() -> Vec<&'static str>;

    /// The record as a CSV row, one cell per column: nulls as empty cells, lists of names
    /// joined by `;`, nested objects as JSON.
    fn csv_row(&self) -> Vec<String>;
}

/// Where records go, one at a time. [`RecordSink::finish`] completes the file (a CSV's last
/// bytes, a Parquet footer) and says how many records it holds; a sink that is dropped
/// without finishing may leave an incomplete file.
pub trait RecordSink<R: ?Sized> {
    /// Writes one record.
    fn push(&mut self, record: &R) -> Result<()>;

    /// Writes one record the caller no longer needs: a sink may hand it to another thread
    /// (the Parquet sink does) instead of writing it before it returns.
    fn push_owned(&mut self, record: R) -> Result<()>
    where
        R: Sized,
    {
        self.push(&record)
    }

    /// Completes the file; returns how many records were written. Pushing after this is an
    /// error.
    fn finish(&mut self) -> Result<u64>;
}

/// The file formats the engine writes itself (Parquet is `tgscope_parquet::ParquetSink`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkFormat {
    /// JSON Lines: one object per line, UTF-8, no BOM.
    Jsonl,
    /// CSV with a header row, every cell spreadsheet-safe.
    Csv,
}

/// A sink of `format` over `out`.
pub fn text_sink<'w, R: TableRecord + 'w>(
    format: SinkFormat,
    out: impl Write + 'w,
) -> Result<Box<dyn RecordSink<R> + 'w>> {
    Ok(match format {
        SinkFormat::Jsonl => Box::new(JsonlSink::new(out)),
        SinkFormat::Csv => Box::new(CsvSink::new(out)?),
    })
}

/// JSON Lines: each record's `serde` form on a line of its own.
pub struct JsonlSink<W: Write> {
    out: Option<W>,
    rows: u64,
}

impl<W: Write> JsonlSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> JsonlSink<W> {
        JsonlSink {
            out: Some(out),
            rows: 0,
        }
    }

    /// Gives back the output (after [`RecordSink::finish`]: `None` once taken).
    pub fn into_inner(self) -> Option<W> {
        self.out
    }
}

impl<R: Serialize + ?Sized, W: Write> RecordSink<R> for JsonlSink<W> {
    fn push(&mut self, record: &R) -> Result<()> {
        let out = self.out.as_mut().ok_or_else(finished)?;
        serde_json::to_writer(&mut *out, record).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
        self.rows += 1;
        Ok(())
    }

    fn finish(&mut self) -> Result<u64> {
        if let Some(out) = self.out.as_mut() {
            out.flush()?;
        }
        Ok(self.rows)
    }
}

/// CSV: the record type's header, then one row per record, every cell spreadsheet-safe.
pub struct CsvSink<W: Write, R> {
    table: Option<CsvTable<W>>,
    rows: u64,
    record: std::marker::PhantomData<fn(&R)>,
}

impl<W: Write, R: TableRecord> CsvSink<W, R> {
    /// A sink writing to `out`; the header row is written at once.
    pub fn new(out: W) -> Result<CsvSink<W, R>> {
        Ok(CsvSink {
            table: Some(CsvTable::new(out, &R::csv_columns())?),
            rows: 0,
            record: std::marker::PhantomData,
        })
    }

    /// Completes the table and gives back its output.
    pub fn into_inner(mut self) -> Result<W> {
        self.table.take().ok_or_else(finished)?.finish()
    }
}

impl<W: Write, R: TableRecord> RecordSink<R> for CsvSink<W, R> {
    fn push(&mut self, record: &R) -> Result<()> {
        self.table
            .as_mut()
            .ok_or_else(finished)?
            .row(&record.csv_row())?;
        self.rows += 1;
        Ok(())
    }

    fn finish(&mut self) -> Result<u64> {
        if let Some(table) = self.table.take() {
            table.finish()?.flush()?;
        }
        Ok(self.rows)
    }
}

fn finished() -> crate::EngineError {
    crate::EngineError::Output(std::io::Error::other("the sink is already finished"))
}

/// Writes every record of `records` to `sink` and finishes it; returns how many.
pub fn write_all<'a, R: 'a>(
    sink: &mut dyn RecordSink<R>,
    records: impl IntoIterator<Item = &'a R>,
) -> Result<u64> {
    for r in records {
        sink.push(r)?;
    }
    sink.finish()
}
