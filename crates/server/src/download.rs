//! CSV downloads of the lists (`format=csv`), the next page in a `Link` header.
//!
//! Every cell comes from untrusted posts, and researchers open these files in spreadsheets:
//! a text cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a
//! tab or a carriage return) is written with a leading `'`, as OWASP advises against CSV
//! injection. Numbers (`-1001234`, `-2.5`) are left as they are. The JSON of the same list has
//! the text unchanged.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tgscope_engine::copies::{CLUSTER_COLUMNS, COPY_COLUMNS, COUNTERPART_COLUMNS};
use tgscope_engine::export::{CsvTable, TableRecord};
use tgscope_engine::{ChannelCopies, ClusterDetail, ClusterSummary};

use crate::problem::ApiError;
use crate::views::{CaptureView, ChannelView, Counts, Hit, SourceView, TagView};

/// A CSV table being written: the engine's [`CsvTable`], whose every cell is made
/// spreadsheet-safe (tgscope's one CSV policy, `tgscope_engine::export::spreadsheet_safe`).
pub struct Table {
    table: CsvTable<Vec<u8>>,
}

impl Table {
    /// A table with these columns.
    pub fn new<S: AsRef<str>>(columns: &[S]) -> Result<Table, ApiError> {
        let table = CsvTable::new(Vec::new(), columns).map_err(|e| ApiError::internal(&e))?;
        Ok(Table { table })
    }

    /// Adds a row, each cell made spreadsheet-safe.
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), ApiError> {
        self.table.row(cells).map_err(|e| ApiError::internal(&e))
    }

    /// The response: `text/csv` as an attachment named `file`, with the next page's URL.
    pub fn response(self, file: &str, next: Option<String>) -> Result<Response, ApiError> {
        self.response_with(file, next, &[])
    }

    /// [`Table::response`] with more headers: what the rows leave out (`X-Total-Count`, the
    /// number of matches of which the rows are a page; `X-Undated-Count`, matches in no period).
    pub fn response_with(
        self,
        file: &str,
        next: Option<String>,
        counts: &[(&'static str, u64)],
    ) -> Result<Response, ApiError> {
        let bytes = self.table.finish().map_err(|e| ApiError::internal(&e))?;
        let mut response = bytes.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        let disposition = format!("attachment; filename=\"{file}\"");
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        if let Some(next) = next
            && let Ok(value) = HeaderValue::from_str(&format!("<{next}>; rel=\"next\""))
        {
            headers.insert(header::LINK, value);
        }
        for (name, count) in counts {
            headers.insert(*name, HeaderValue::from(*count));
        }
        Ok(response)
    }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// The header with the number of matches a CSV page is part of.
pub const TOTAL_COUNT: &str = "x-total-count";

/// A download with the number of items of the whole list in `X-Total-Count` (its rows are one
/// page of it; the next page's URL is in the `Link` header).
pub fn with_total(mut response: Response, total: u64) -> Result<Response, ApiError> {
    response
        .headers_mut()
        .insert(TOTAL_COUNT, HeaderValue::from(total));
    Ok(response)
}

/// The header with the number of matches without a date, which counts per period leave out.
pub const UNDATED_COUNT: &str = "x-undated-count";

/// Search results: the export's columns, then `score` and `snippet` (the engine's
/// [`tgscope_engine::export::SearchRecord`] CSV, as `tgscope search --format csv` writes it); `X-Total-Count` says how
/// many posts match in all (the next page's URL is in the `Link` header).
pub fn hits(
    hits: &[Hit],
    total: u64,
    file: &str,
    next: Option<String>,
) -> Result<Response, ApiError> {
    records(hits)?.response_with(file, next, &[(TOTAL_COUNT, total)])
}

/// A table of records of one kind, in the engine's CSV shape of that record (the command
/// line's).
pub fn records<R: TableRecord>(records: &[R]) -> Result<Table, ApiError> {
    let mut table = Table::new(&R::csv_columns())?;
    for r in records {
        table.row(&r.csv_row())?;
    }
    Ok(table)
}

/// Posts per period: `period,count`; `X-Total-Count` says how many posts match and
/// `X-Undated-Count` how many of them have no date and are in no period.
pub fn counts(counts: &Counts, file: &str) -> Result<Response, ApiError> {
    let mut table = Table::new(&["period", "count"])?;
    for p in &counts.periods {
        table.row(&[p.start.clone(), p.count.to_string()])?;
    }
    table.response_with(
        file,
        None,
        &[
            (TOTAL_COUNT, counts.matching),
            (UNDATED_COUNT, counts.undated),
        ],
    )
}

/// Channels with their counts: the engine's [`tgscope_engine::export::ChannelRecord`]
/// columns, as `tgscope channels --format csv` writes them.
pub fn channels(
    channels: &[ChannelView],
    file: &str,
    next: Option<String>,
) -> Result<Response, ApiError> {
    let rows: Vec<_> = channels.iter().map(|c| c.record.clone()).collect();
    records(&rows)?.response(file, next)
}

/// Hashtags with their posts.
pub fn tags(tags: &[TagView], file: &str, next: Option<String>) -> Result<Response, ApiError> {
    let mut table = Table::new(&["hashtag", "posts"])?;
    for t in tags {
        table.row(&[t.tag.clone(), t.posts.to_string()])?;
    }
    table.response(file, next)
}

/// Forward sources with their posts.
pub fn sources(sources: &[SourceView], file: &str) -> Result<Response, ApiError> {
    let mut table = Table::new(&["source", "channel_id", "username", "title", "posts"])?;
    for s in sources {
        table.row(&[
            s.name.clone(),
            opt(&s.channel_id),
            opt(&s.username),
            opt(&s.title),
            s.posts.to_string(),
        ])?;
    }
    table.response(file, None)
}

/// Captures: the engine's [`tgscope_engine::export::CaptureRecord`] columns, as
/// `tgscope captures --format csv` writes them.
pub fn captures(
    captures: &[CaptureView],
    file: &str,
    next: Option<String>,
) -> Result<Response, ApiError> {
    let rows: Vec<_> = captures.iter().map(|c| c.record.clone()).collect();
    records(&rows)?.response(file, next)
}

/// Clusters of copies: one row each, its channels and posts joined by `;` (the engine's
/// [`CLUSTER_COLUMNS`], as the command line writes them).
pub fn clusters(
    clusters: &[ClusterSummary],
    file: &str,
    next: Option<String>,
) -> Result<Response, ApiError> {
    let mut table = Table::new(CLUSTER_COLUMNS)?;
    for c in clusters {
        table.row(&c.csv_row())?;
    }
    table.response(file, next)
}

/// The posts of a cluster, in time order (the engine's [`COPY_COLUMNS`]).
pub fn copy_items(detail: &ClusterDetail, file: &str) -> Result<Response, ApiError> {
    let mut table = Table::new(COPY_COLUMNS)?;
    for item in &detail.posts {
        table.row(&item.csv_row(detail.cluster))?;
    }
    let total = detail.posts.len() as u64;
    table.response_with(file, None, &[(TOTAL_COUNT, total)])
}

/// A channel's copying: `direction` is `copies_from` (it copied them) or `copied_by` (they
/// copied it) (the engine's [`COUNTERPART_COLUMNS`]).
pub fn counterparts(copies: &ChannelCopies, file: &str) -> Result<Response, ApiError> {
    let mut table = Table::new(COUNTERPART_COLUMNS)?;
    let rows = copies.csv_rows();
    for row in &rows {
        table.row(row)?;
    }
    table.response_with(file, None, &[(TOTAL_COUNT, rows.len() as u64)])
}
