//! CSV downloads of the lists (`format=csv`), the next page in a `Link` header.
//!
//! Every cell comes from untrusted posts, and researchers open these files in spreadsheets:
//! a text cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a
//! tab or a carriage return) is written with a leading `'`, as OWASP advises against CSV
//! injection. Numbers (`-1001234`, `-2.5`) are left as they are. The JSON of the same list has
//! the text unchanged.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tgscope_engine::export::CSV_COLUMNS;

use crate::problem::ApiError;
use crate::views::{CaptureView, ChannelView, Counts, Hit, SourceView, TagView};

/// A CSV table being written.
pub struct Table {
    writer: csv::Writer<Vec<u8>>,
}

impl Table {
    /// A table with these columns.
    pub fn new<S: AsRef<str>>(columns: &[S]) -> Result<Table, ApiError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer
            .write_record(columns.iter().map(AsRef::as_ref))
            .map_err(|e| ApiError::internal(&e))?;
        Ok(Table { writer })
    }

    /// Adds a row, each cell made [`spreadsheet_safe`].
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), ApiError> {
        self.writer
            .write_record(
                cells
                    .iter()
                    .map(|c| spreadsheet_safe(c.as_ref()).into_owned()),
            )
            .map_err(|e| ApiError::internal(&e))
    }

    /// The response: `text/csv` as an attachment named `file`, with the next page's URL.
    pub fn response(self, file: &str, next: Option<String>) -> Result<Response, ApiError> {
        let bytes = self
            .writer
            .into_inner()
            .map_err(|e| ApiError::internal(&e.error().to_string()))?;
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
        Ok(response)
    }
}

/// `cell`, with a `'` before it when a spreadsheet would read it as a formula: it starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return and is not a plain number.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// Search results: the export's columns, then `score` and `snippet`.
pub fn hits(hits: &[Hit], file: &str, next: Option<String>) -> Result<Response, ApiError> {
    let mut columns: Vec<&str> = CSV_COLUMNS.to_vec();
    columns.extend(["score", "snippet"]);
    let mut table = Table::new(&columns)?;
    for hit in hits {
        let mut row = hit.record.csv_row();
        row.push(hit.score.to_string());
        row.push(hit.snippet.clone());
        table.row(&row)?;
    }
    table.response(file, next)
}

/// Posts per period: `period,count`.
pub fn counts(counts: &Counts, file: &str) -> Result<Response, ApiError> {
    let mut table = Table::new(&["period", "count"])?;
    for p in &counts.periods {
        table.row(&[p.start.clone(), p.count.to_string()])?;
    }
    table.response(file, None)
}

/// Channels with their counts.
pub fn channels(
    channels: &[ChannelView],
    file: &str,
    next: Option<String>,
) -> Result<Response, ApiError> {
    let mut table = Table::new(&[
        "id",
        "name",
        "username",
        "title",
        "tg_id",
        "kind",
        "posts",
        "forwards",
        "forwarded_by_others",
        "first_date",
        "last_date",
        "aliases",
    ])?;
    for c in channels {
        table.row(&[
            c.id.to_string(),
            c.name.clone(),
            opt(&c.username),
            opt(&c.title),
            opt(&c.tg_id),
            opt(&c.kind),
            c.posts.to_string(),
            c.forwards.to_string(),
            c.forwarded_by_others.to_string(),
            opt(&c.first_date),
            opt(&c.last_date),
            c.aliases.join(";"),
        ])?;
    }
    table.response(file, next)
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

/// Captures.
pub fn captures(
    captures: &[CaptureView],
    file: &str,
    next: Option<String>,
) -> Result<Response, ApiError> {
    let mut table = Table::new(&[
        "sha256",
        "size",
        "format",
        "reader_version",
        "source",
        "raw_kept",
        "status",
        "posts_seen",
        "warnings",
        "ingested_at",
        "completed_at",
    ])?;
    for c in captures {
        table.row(&[
            c.sha256.clone(),
            c.size.to_string(),
            c.format.clone(),
            c.reader_version.clone(),
            c.source.clone(),
            c.raw_kept.to_string(),
            c.status.clone(),
            c.posts_seen.to_string(),
            c.warnings.to_string(),
            c.ingested_at.clone(),
            opt(&c.completed_at),
        ])?;
    }
    table.response(file, next)
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn formulas_are_written_as_text_and_numbers_are_kept() {
        assert_eq!(
            spreadsheet_safe("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(spreadsheet_safe("+7 495 000"), "'+7 495 000");
        assert_eq!(spreadsheet_safe("-США"), "'-США");
        assert_eq!(spreadsheet_safe("@mid_ru"), "'@mid_ru");
        assert_eq!(spreadsheet_safe("\tcmd"), "'\tcmd");
        assert_eq!(spreadsheet_safe("-1001234567890"), "-1001234567890");
        assert_eq!(spreadsheet_safe("-2.5"), "-2.5");
        assert_eq!(spreadsheet_safe("санкции = 5"), "санкции = 5");
        assert_eq!(spreadsheet_safe(""), "");
    }
}
