//! Parquet export: the export record (`docs/export.md`) as an Apache Parquet file, for pandas,
//! Polars, R, DuckDB and Spark.
//!
//! Its place: the engine walks the archive and builds one [`ExportRecord`] per post
//! ([`tgscope_engine::Engine::export_records`], then
//! [`tgscope_engine::ExportRecords::for_each`]); JSON Lines and CSV are written by the engine
//! itself, Parquet here. The command line's `export --format parquet -o FILE` and
//! `search QUERY --format parquet -o FILE` feed a [`ParquetSink`] one record at a time.
//!
//! Main types:
//! - [`ParquetSink`]: takes records one at a time and hands them, 1,024 at a time, to a writer
//!   thread that turns them into Arrow columns and writes them as row groups of at most
//!   [`RowGroups::rows`] rows and about [`RowGroups::bytes`] encoded bytes, so memory stays
//!   bounded whatever the archive's size and the Parquet work runs beside the walk over the
//!   archive; [`ParquetSink::finish`] writes the footer.
//! - [`ParquetRecord`]: a record type (the engine's [`TableRecord`]s) with its Parquet
//!   columns: posts ([`ExportRecord`], [`export_fields`]), search hits ([`search_fields`]: the
//!   export columns, then `score`, `snippet` and `highlights`), channels, captures, entities
//!   and copy clusters (`records`). A [`ParquetSink`] is the engine's
//!   [`RecordSink`] for Parquet, so a list goes to any format through one interface.
//! - [`write_graph`]: a network's nodes and edges as two files, with columns made from the
//!   graph's declared attributes.
//!
//! One mapping: a record's values come from its `serde` form, the same one JSON Lines writes
//! (`arrow-json` turns it into Arrow arrays), so a Parquet row and a JSON Lines line of the same
//! post cannot say different things. What this crate declares is the column types, in
//! [`export_fields`]; the decoder runs in strict mode, so a field added to the record but not
//! to the columns fails the export (and the tests) instead of being left out.
//!
//! The types (every column is in `docs/export.md`, "Parquet"): integers are INT64, strings
//! UTF-8 (`BYTE_ARRAY` annotated `STRING`), booleans BOOLEAN; dates stay the RFC 3339 strings
//! of JSON Lines (some are local times without an offset, and inferred dates may be a day only,
//! so no single timestamp type fits them all); objects are structs (groups) and arrays lists
//! (Parquet's three-level `LIST`, items named `element`). `attrs` (of media and entities) is a
//! Parquet `MAP` of strings to strings: physically a repeated group of key/value pairs, which
//! pyarrow reads as a list of `(key, value)` tuples and DuckDB as a `MAP`. `spans` (named
//! entities) and `highlights` (search hits) are lists of two-item INT64 lists `[start, end]`, as
//! in JSON Lines. A column is nullable exactly where the JSON Lines field may be null; lists are
//! never null (an empty list is empty).
//!
//! Compression: zstd at level 1 for every column, and no other codec compiled in. zstd because
//! the archive already links the zstd library (its raw captures are zstd files: the `zstd-sys`
//! build is shared), because it compresses text better than snappy, the other codec every
//! reader has, and because every current reader (pyarrow, DuckDB, Polars, Spark, R's arrow)
//! reads it. On a synthetic Desktop export of 9,195 posts the Parquet file was 3.9 MB against
//! 24.6 MB of JSON Lines (snappy was not measured).
//!
//! What it does not do: read Parquet (the tests read files back with the `parquet` crate's
//! row reader, readers are the user's tools), partition files or write asynchronously.

use std::io::Write;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;

use arrow_json::ReaderBuilder;
use arrow_schema::{Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use tgscope_engine::export::{RecordSink, TableRecord};

/// A column (Arrow's field type, which the Parquet schema is made from).
pub use arrow_schema::Field;
pub use graph::{GraphRows, write_graph};
pub use records::{export_fields, search_fields};
pub use tgscope_engine::export::ExportRecord;

mod graph;
mod records;

/// Writing a Parquet file failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParquetError {
    /// A record could not be turned into the file's columns (a field the columns lack, or a
    /// value of another type): a mismatch between the record and [`ParquetRecord::fields`].
    #[error("parquet: a record does not fit the columns: {0}")]
    Record(#[from] arrow_schema::ArrowError),
    /// The Parquet writer or its output failed.
    #[error("parquet: {0}")]
    Write(#[from] parquet::errors::ParquetError),
}

/// A result of this crate.
pub type Result<T> = std::result::Result<T, ParquetError>;

/// A record that can be written as a Parquet row: its `serde` form (the JSON Lines one) gives
/// the values, [`ParquetRecord::fields`] the columns; what the file holds is its
/// [`TableRecord::KIND`], written in the file's key/value metadata as `tgscope.record`.
pub trait ParquetRecord: TableRecord {
    /// The columns, in the order of the record's JSON Lines fields.
    fn fields() -> Vec<Field>;
}

/// How large row groups grow before they are written: the first limit reached closes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowGroups {
    /// At most this many rows in a row group.
    pub rows: usize,
    /// A row group is closed once its encoded size before compression is estimated at this
    /// many bytes (the writer splits a batch of records where the row group's average row
    /// size says it would pass the limit). The writer keeps one row group in memory, so this
    /// bounds the memory it takes; records are turned into columns 1,024 at a time, so a
    /// row group of posts longer than `bytes / 1024` each may hold one such batch.
    pub bytes: usize,
}

impl Default for RowGroups {
    /// 8,192 rows or 32 MiB: a million posts make about 120 row groups, enough for readers to
    /// read them in parallel and skip by statistics, and an archive of long posts still keeps
    /// the writer's memory to tens of megabytes.
    fn default() -> Self {
        RowGroups {
            rows: 8192,
            bytes: 32 << 20,
        }
    }
}

/// Records are turned into Arrow columns this many at a time: the decoder's buffer holds at
/// most this many records (about a megabyte of typical posts).
const BATCH_ROWS: usize = 1024;

/// A Parquet file being written: records go in one at a time ([`ParquetSink::push`]) and are
/// written out in row groups; [`ParquetSink::finish`] writes the footer. Dropping a sink
/// without finishing it leaves a file without a footer, which no reader opens.
///
/// Two threads share the work: the caller's gathers records, 1,024 at a time; a writer thread
/// turns them into Arrow columns, encodes and compresses those into row groups and writes them
/// out. A bounded channel holds at most two batches between them, so memory stays one row
/// group and four batches of records, and on two cores the Parquet work costs no wall time
/// beside the walk over the archive that feeds the sink. A record given by reference
/// ([`ParquetSink::push`]) is cloned; [`RecordSink::push_owned`] hands it over.
pub struct ParquetSink<W: Write + Send + 'static, T: ParquetRecord + Clone + Send + 'static> {
    /// Records gathered for the next batch.
    pending: Vec<T>,
    rows: u64,
    /// Batches of records to the writer thread; `None` once finished.
    batches: Option<mpsc::SyncSender<Vec<T>>>,
    /// The writer thread: the output and the number of row groups, or why it failed.
    writer: Option<thread::JoinHandle<Result<(W, usize)>>>,
    /// What the writer holds for the row group in progress, updated after each batch.
    memory: Arc<AtomicUsize>,
    /// Set when the sink is dropped unfinished: the writer then stops without a footer.
    abandoned: Arc<AtomicBool>,
    record: PhantomData<fn(&T)>,
}

/// What [`ParquetSink::finish`] wrote.
#[derive(Debug)]
pub struct Finished<W> {
    /// The output, flushed.
    pub out: W,
    /// How many rows.
    pub rows: u64,
    /// How many row groups.
    pub row_groups: usize,
}

impl<W: Write + Send + 'static, T: ParquetRecord + Clone + Send + 'static> ParquetSink<W, T> {
    /// A file of `T` records written to `out`, with the default [`RowGroups`].
    pub fn new(out: W) -> Result<Self> {
        Self::with_row_groups(out, RowGroups::default())
    }

    /// A file of `T` records written to `out`, with row groups of at most `limits`.
    pub fn with_row_groups(out: W, limits: RowGroups) -> Result<Self> {
        let schema: SchemaRef = Arc::new(Schema::new(T::fields()));
        let mut decoder = ReaderBuilder::new(schema.clone())
            .with_strict_mode(true)
            .with_batch_size(BATCH_ROWS)
            .build_decoder()?;
        let mut writer = ArrowWriter::try_new(out, schema, Some(properties(T::KIND, limits, &[])))?;
        let (batches, received) = mpsc::sync_channel::<Vec<T>>(2);
        let memory = Arc::new(AtomicUsize::new(0));
        let abandoned = Arc::new(AtomicBool::new(false));
        let (memory_seen, abandoned_seen) = (memory.clone(), abandoned.clone());
        let handle = thread::Builder::new()
            .name("parquet-writer".into())
            .spawn(move || -> Result<(W, usize)> {
                for records in received {
                    decoder.serialize(&records)?;
                    drop(records);
                    if let Some(batch) = decoder.flush()? {
                        writer.write(&batch)?;
                    }
                    memory_seen.store(writer.memory_size(), Ordering::Relaxed);
                }
                if abandoned_seen.load(Ordering::Relaxed) {
                    return Err(ParquetError::Write(parquet::errors::ParquetError::General(
                        "the file was abandoned before it was finished".into(),
                    )));
                }
                writer.flush()?;
                let row_groups = writer.flushed_row_groups().len();
                let mut out = writer.into_inner()?;
                out.flush().map_err(parquet::errors::ParquetError::from)?;
                Ok((out, row_groups))
            })
            .map_err(|e| ParquetError::Write(parquet::errors::ParquetError::External(e.into())))?;
        Ok(ParquetSink {
            pending: Vec::with_capacity(BATCH_ROWS),
            rows: 0,
            batches: Some(batches),
            writer: Some(handle),
            memory,
            abandoned,
            record: PhantomData,
        })
    }

    /// Adds a record as the next row (a copy of it goes to the writer thread).
    pub fn push(&mut self, record: &T) -> Result<()> {
        self.push_record(record.clone())
    }

    /// Adds a record as the next row, handing it to the writer thread.
    pub fn push_record(&mut self, record: T) -> Result<()> {
        self.pending.push(record);
        if self.pending.len() >= BATCH_ROWS {
            self.write_batch()?;
        }
        Ok(())
    }

    /// How many records were pushed.
    pub fn rows(&self) -> u64 {
        self.rows + self.pending.len() as u64
    }

    /// The bytes the writer holds for the row group in progress (its encoded pages and
    /// buffers, as of the last batch it wrote; the records gathered for the next batch, at
    /// most 1,024, and the two batches on their way to the writer are not counted).
    pub fn memory_size(&self) -> usize {
        self.memory.load(Ordering::Relaxed)
    }

    /// Writes the rows still buffered, the last row group and the footer; gives back the
    /// output (flushed) with what was written.
    pub fn finish(mut self) -> Result<Finished<W>> {
        let (out, row_groups) = self.close()?;
        Ok(Finished {
            out,
            rows: self.rows,
            row_groups,
        })
    }

    /// Sends the last batch, lets the writer write the footer, and waits for it.
    fn close(&mut self) -> Result<(W, usize)> {
        self.write_batch()?;
        self.batches = None;
        self.join()
    }

    /// The writer thread's result (it has ended or is ending).
    fn join(&mut self) -> Result<(W, usize)> {
        let handle = self.writer.take().ok_or_else(|| {
            ParquetError::Write(parquet::errors::ParquetError::General(
                "the Parquet file is already finished".into(),
            ))
        })?;
        handle.join().unwrap_or_else(|_| {
            Err(ParquetError::Write(parquet::errors::ParquetError::General(
                "the Parquet writer thread stopped unexpectedly".into(),
            )))
        })
    }

    /// Hands the gathered records to the writer thread, which turns them into Arrow columns
    /// and closes a row group whenever one reaches its limits.
    fn write_batch(&mut self) -> Result<()> {
        if !self.pending.is_empty() {
            let count = self.pending.len() as u64;
            let batch = std::mem::replace(&mut self.pending, Vec::with_capacity(BATCH_ROWS));
            let sent = match &self.batches {
                Some(batches) => batches.send(batch).is_ok(),
                None => false,
            };
            if !sent {
                // The writer stopped: its error says why.
                self.batches = None;
                return Err(match self.join() {
                    Err(e) => e,
                    Ok(_) => ParquetError::Write(parquet::errors::ParquetError::General(
                        "the Parquet writer stopped before the end".into(),
                    )),
                });
            }
            self.rows += count;
        }
        Ok(())
    }
}

impl<W: Write + Send + 'static, T: ParquetRecord + Clone + Send + 'static> Drop
    for ParquetSink<W, T>
{
    /// An unfinished sink stops its writer without a footer (and waits for it, so that the
    /// output is closed when the sink is gone).
    fn drop(&mut self) {
        if self.writer.is_some() {
            self.abandoned.store(true, Ordering::Relaxed);
            self.batches = None;
            let _ = self.join();
        }
    }
}

impl<W: Write + Send + 'static, T: ParquetRecord + Clone + Send + 'static> RecordSink<T>
    for ParquetSink<W, T>
{
    fn push(&mut self, record: &T) -> tgscope_engine::Result<()> {
        ParquetSink::push(self, record).map_err(output_error)
    }

    fn push_owned(&mut self, record: T) -> tgscope_engine::Result<()> {
        self.push_record(record).map_err(output_error)
    }

    /// Writes the rows still buffered, the last row group and the footer, and flushes the
    /// output.
    fn finish(&mut self) -> tgscope_engine::Result<u64> {
        self.close().map_err(output_error)?;
        Ok(self.rows)
    }
}

/// A Parquet error as the engine's output error (the sink's callers speak the engine's
/// errors).
fn output_error(e: ParquetError) -> tgscope_engine::EngineError {
    tgscope_engine::EngineError::Output(std::io::Error::other(e))
}

/// The writer's settings: zstd level 1, the row group limits, no dictionary for the text
/// columns whose values nearly all differ, what the file holds (`tgscope.record`) and more
/// `metadata` in the file's key/value metadata.
pub(crate) fn properties(
    kind: &str,
    limits: RowGroups,
    metadata: &[(&str, &str)],
) -> WriterProperties {
    let mut pairs = vec![
        KeyValue::new("tgscope.record".to_string(), kind.to_string()),
        KeyValue::new(
            "tgscope.version".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        ),
    ];
    pairs.extend(
        metadata
            .iter()
            .map(|(k, v)| KeyValue::new(k.to_string(), v.to_string())),
    );
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default())) // level 1
        .set_max_row_group_row_count(Some(limits.rows.max(1)))
        .set_max_row_group_bytes(Some(limits.bytes.max(1)))
        .set_key_value_metadata(Some(pairs));
    for column in ["text", "raw_text", "snippet"] {
        builder = builder.set_column_dictionary_enabled(ColumnPath::from(column), false);
    }
    builder.build()
}
