//! CSV downloads of the lists (`format=csv`), the next page in a `Link` header.
//!
//! Every cell comes from untrusted posts, and researchers open these files in spreadsheets:
//! a text cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a
//! tab or a carriage return) is written with a leading `'`, as OWASP advises against CSV
//! injection. Numbers (`-1001234`, `-2.5`) are left as they are. The JSON of the same list has
//! the text unchanged.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tgscope_engine::export::{CSV_COLUMNS, CsvTable};

use crate::problem::ApiError;
use crate::views::{
    CaptureView, ChannelView, ClusterSummaryView, CopyCounterpartView, CopyItemView, Counts, Hit,
    SourceView, TagView,
};

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

/// Search results: the export's columns, then `score` and `snippet`; `X-Total-Count` says how
/// many posts match in all (the next page's URL is in the `Link` header).
pub fn hits(
    hits: &[Hit],
    total: u64,
    file: &str,
    next: Option<String>,
) -> Result<Response, ApiError> {
    let mut columns: Vec<&str> = CSV_COLUMNS.to_vec();
    columns.extend(["score", "snippet"]);
    let mut table = Table::new(&columns)?;
    for hit in hits {
        let mut row = hit.record.csv_row();
        row.push(hit.score.to_string());
        row.push(hit.snippet.clone());
        table.row(&row)?;
    }
    table.response_with(file, next, &[(TOTAL_COUNT, total)])
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

/// Clusters of copies: one row each, its channels and posts joined by `;`.
pub fn clusters(
    clusters: &[ClusterSummaryView],
    file: &str,
    next: Option<String>,
) -> Result<Response, ApiError> {
    let mut table = Table::new(&[
        "cluster",
        "size",
        "channel_count",
        "channels",
        "first_post",
        "first_seen_basis",
        "first_date",
        "last_date",
        "undated_posts",
        "posts",
    ])?;
    for c in clusters {
        let channels: Vec<&str> = c.channels.iter().map(|ch| ch.name.as_str()).collect();
        let posts: Vec<String> = c.posts.iter().map(ToString::to_string).collect();
        table.row(&[
            c.cluster.to_string(),
            c.size.to_string(),
            c.channel_count.to_string(),
            channels.join(";"),
            c.first_post.to_string(),
            c.first_seen_basis.clone(),
            opt(&c.first_date),
            opt(&c.last_date),
            c.undated_posts.to_string(),
            posts.join(";"),
        ])?;
    }
    table.response(file, next)
}

/// The posts of a cluster, in time order (the words added and removed joined by spaces).
pub fn copy_items(items: &[CopyItemView], file: &str) -> Result<Response, ApiError> {
    let mut table = Table::new(&[
        "id",
        "channel",
        "channel_id",
        "message_id",
        "date",
        "date_inferred",
        "first_seen",
        "relation",
        "attribution_kind",
        "attribution_names",
        "similarity",
        "containment",
        "delay_seconds",
        "added",
        "removed",
        "excerpt",
    ])?;
    for c in items {
        table.row(&[
            c.id.to_string(),
            c.channel.name.clone(),
            c.channel.id.to_string(),
            opt(&c.message_id),
            opt(&c.date),
            c.date_inferred.to_string(),
            c.first_seen.to_string(),
            c.relation.clone(),
            c.attribution
                .as_ref()
                .map(|a| a.kind.clone())
                .unwrap_or_default(),
            c.attribution
                .as_ref()
                .map(|a| a.names.clone())
                .unwrap_or_default(),
            format!("{:.4}", c.similarity),
            format!("{:.4}", c.containment),
            opt(&c.delay_seconds),
            c.added.join(" "),
            c.removed.join(" "),
            c.excerpt.clone(),
        ])?;
    }
    table.response_with(file, None, &[(TOTAL_COUNT, items.len() as u64)])
}

/// A channel's copying: `direction` is `copies_from` (it copied them) or `copied_by` (they
/// copied it).
pub fn counterparts(
    copies_from: &[CopyCounterpartView],
    copied_by: &[CopyCounterpartView],
    file: &str,
) -> Result<Response, ApiError> {
    let mut table = Table::new(&[
        "direction",
        "channel",
        "channel_id",
        "posts",
        "forward",
        "attributed",
        "unattributed",
        "partial",
        "median_delay_seconds",
    ])?;
    let rows = copies_from
        .iter()
        .map(|c| ("copies_from", c))
        .chain(copied_by.iter().map(|c| ("copied_by", c)));
    for (direction, c) in rows {
        table.row(&[
            direction.to_string(),
            c.channel.name.clone(),
            c.channel.id.to_string(),
            c.posts.to_string(),
            c.forward.to_string(),
            c.attributed.to_string(),
            c.unattributed.to_string(),
            c.partial.to_string(),
            opt(&c.median_delay_seconds),
        ])?;
    }
    let total = (copies_from.len() + copied_by.len()) as u64;
    table.response_with(file, None, &[(TOTAL_COUNT, total)])
}
