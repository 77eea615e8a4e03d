//! Reading the archive: posts with their versions and sightings, channels, captures and
//! counts, in the shapes the front ends show.

use rusqlite::{Connection, OptionalExtension, Row, params};
use tgscope_model::{
    Country, DateBasis, Entity, Forward, InferredDate, Link, Media, MediaKind, Placeholder, Poll,
    Reaction, Reply, Sender, Span, Tag,
};

use crate::Store;
use tgscope_archive::prelude::*;
use tgscope_archive::{ArchiveError, Result};
use tgscope_archive::{
    Capture, CaptureStatus, ChannelInfo, ChannelSummary, Counted, PostCount, PostDetail, PostQuery,
    PostRecord, SightingRecord, Stats, VersionRecord,
};

/// The `WHERE` clause of a [`PostQuery`] over `posts p JOIN versions v` (current version),
/// with parameters ?1 channel, ?2 forward source, ?3 tag key, ?4 since, ?5 until.
const POST_QUERY_WHERE: &str = "
     WHERE (?1 IS NULL OR p.channel_id = ?1)
       AND (?2 IS NULL OR EXISTS (SELECT 1 FROM forwards f WHERE f.version_id = v.id
                AND f.channel_id = ?2))
       AND (?3 IS NULL OR EXISTS (SELECT 1 FROM hashtags h WHERE h.version_id = v.id
                AND h.tag_key = ?3))
       AND (?4 IS NULL OR substr(COALESCE(v.date, v.date_inferred), 1, 10) >= ?4)
       AND (?5 IS NULL OR substr(COALESCE(v.date, v.date_inferred), 1, 10) <= ?5)";

impl PostReads for Store {
    fn count_posts(&self, filter: &PostQuery) -> Result<PostCount> {
        let conn = self.conn();
        let count = |since: Option<&str>, until: Option<&str>, undated_only: bool| {
            let undated = if undated_only {
                "AND v.date IS NULL AND v.date_inferred IS NULL"
            } else {
                ""
            };
            conn.prepare_cached(&format!(
                "SELECT COUNT(*) FROM posts p JOIN versions v ON v.id = p.current_version_id
                 {POST_QUERY_WHERE} {undated}"
            ))?
            .query_row(
                params![
                    filter.channel_id,
                    filter.forwarded_from_id,
                    filter.tag_key,
                    since,
                    until,
                ],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
        };
        let matching = count(filter.since.as_deref(), filter.until.as_deref(), false)?;
        let undated_left_out = if filter.since.is_some() || filter.until.is_some() {
            count(None, None, true)?
        } else {
            0
        };
        Ok(PostCount {
            matching,
            undated_left_out,
        })
    }

    fn posts(&self, filter: &PostQuery) -> Result<Vec<PostRecord>> {
        let mut out = Vec::new();
        self.for_each_post(filter, |p| {
            out.push(p);
            Ok::<(), ArchiveError>(())
        })?;
        Ok(out)
    }

    fn post(&self, id: i64) -> Result<Option<PostDetail>> {
        let conn = self.conn();
        let Some(post) = post_record(conn, id)? else {
            return Ok(None);
        };
        let version_ids = conn
            .prepare_cached("SELECT id FROM versions WHERE post_id = ?1 ORDER BY seq")?
            .query_map(params![id], |r| r.get::<_, i64>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut versions = Vec::new();
        for vid in version_ids {
            versions.push(version_record(conn, vid)?);
        }
        let sightings = conn
            .prepare_cached(&format!(
                "SELECT v.seq, c.sha256, c.source, c.format, s.ordinal, s.line_start, s.line_end,
                        s.byte_start, s.byte_end, s.views, c.ingested_at, s.locator, s.edited,
                        {}
                 FROM sightings s JOIN versions v ON v.id = s.version_id
                 JOIN captures c ON c.id = s.capture_id
                 WHERE v.post_id = ?1 ORDER BY s.id",
                crate::watch::OBSERVED_AT
            ))?
            .query_map(params![id], |r| {
                Ok(SightingRecord {
                    version_seq: r.get(0)?,
                    capture_sha256: r.get(1)?,
                    capture_source: r.get(2)?,
                    format: r.get(3)?,
                    ordinal: r.get::<_, i64>(4)? as u64,
                    line_start: opt_u64(r, 5)?,
                    line_end: opt_u64(r, 6)?,
                    byte_start: opt_u64(r, 7)?,
                    byte_end: opt_u64(r, 8)?,
                    views: opt_u64(r, 9)?,
                    locator: r.get(11)?,
                    ingested_at: r.get(10)?,
                    edited: r.get(12)?,
                    observed_at: r.get(13)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let absences = self.absences(id)?;
        Ok(Some(PostDetail {
            post,
            versions,
            sightings,
            absences,
        }))
    }

    fn post_record(&self, id: i64) -> Result<Option<PostRecord>> {
        post_record(self.conn(), id)
    }

    fn channels(&self) -> Result<Vec<ChannelSummary>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT c.id, c.tg_id, c.username, c.title, c.kind,
                (SELECT COUNT(*) FROM posts p WHERE p.channel_id = c.id),
                (SELECT COUNT(*) FROM posts p JOIN forwards f ON f.version_id = p.current_version_id
                    WHERE p.channel_id = c.id),
                (SELECT COUNT(*) FROM posts p JOIN forwards f ON f.version_id = p.current_version_id
                    WHERE f.channel_id = c.id),
                (SELECT MIN(substr(COALESCE(v.date, v.date_inferred), 1, 10)) FROM posts p
                    JOIN versions v ON v.id = p.current_version_id WHERE p.channel_id = c.id),
                (SELECT MAX(substr(COALESCE(v.date, v.date_inferred), 1, 10)) FROM posts p
                    JOIN versions v ON v.id = p.current_version_id WHERE p.channel_id = c.id)
             FROM channels c ORDER BY 6 DESC, 8 DESC, c.id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(ChannelSummary {
                    channel: ChannelInfo {
                        id: r.get(0)?,
                        tg_id: r.get(1)?,
                        username: r.get(2)?,
                        title: r.get(3)?,
                        kind: r.get(4)?,
                    },
                    aliases: Vec::new(),
                    posts: r.get::<_, i64>(5)? as u64,
                    forwards: r.get::<_, i64>(6)? as u64,
                    forwarded_by_others: r.get::<_, i64>(7)? as u64,
                    first_date: r.get(8)?,
                    last_date: r.get(9)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for mut row in rows {
            row.aliases = conn
                .prepare_cached(
                    "SELECT alias FROM channel_aliases WHERE channel_id = ?1
                     ORDER BY kind DESC, first_seen",
                )?
                .query_map(params![row.channel.id], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            out.push(row);
        }
        Ok(out)
    }

    fn stats(&self) -> Result<Stats> {
        let conn = self.conn();
        let count = |sql: &str| -> Result<u64> {
            Ok(conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
        };
        let counted = |sql: &str| -> Result<Vec<Counted>> {
            Ok(conn
                .prepare(sql)?
                .query_map([], |r| {
                    Ok(Counted {
                        name: r.get(0)?,
                        count: r.get::<_, i64>(1)? as u64,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?)
        };
        Ok(Stats {
            channels: count("SELECT COUNT(*) FROM channels")?,
            posts: count("SELECT COUNT(*) FROM posts")?,
            versions: count("SELECT COUNT(*) FROM versions")?,
            edited_posts: count(
                "SELECT COUNT(*) FROM (SELECT post_id FROM versions GROUP BY post_id
                 HAVING COUNT(*) > 1)",
            )?,
            captures_complete: count("SELECT COUNT(*) FROM captures WHERE status = 'complete'")?,
            captures_partial: count("SELECT COUNT(*) FROM captures WHERE status = 'partial'")?,
            sightings: count("SELECT COUNT(*) FROM sightings")?,
            forwards: count(
                "SELECT COUNT(*) FROM posts p JOIN forwards f ON f.version_id = p.current_version_id",
            )?,
            dated_observed: count(
                "SELECT COUNT(*) FROM posts p JOIN versions v ON v.id = p.current_version_id
                 WHERE v.date IS NOT NULL",
            )?,
            dated_inferred: count(
                "SELECT COUNT(*) FROM posts p JOIN versions v ON v.id = p.current_version_id
                 WHERE v.date IS NULL AND v.date_inferred IS NOT NULL",
            )?,
            undated: count(
                "SELECT COUNT(*) FROM posts p JOIN versions v ON v.id = p.current_version_id
                 WHERE v.date IS NULL AND v.date_inferred IS NULL",
            )?,
            unviewable: count(
                "SELECT COUNT(*) FROM posts p JOIN versions v ON v.id = p.current_version_id
                 WHERE v.unviewable",
            )?,
            events: count("SELECT COUNT(*) FROM events")?,
            media: counted(
                "SELECT m.kind || COALESCE(' (' || m.placeholder || ')', ''), COUNT(*)
                 FROM posts p JOIN media m ON m.version_id = p.current_version_id
                 GROUP BY 1 ORDER BY 2 DESC, 1",
            )?,
            top_hashtags: counted(
                "SELECT '#' || MIN(h.tag), COUNT(DISTINCT p.id) FROM posts p
                 JOIN hashtags h ON h.version_id = p.current_version_id
                 GROUP BY h.tag_key ORDER BY 2 DESC, 1 LIMIT 10",
            )?,
            top_forward_sources: counted(
                "SELECT COALESCE(c.username, c.title, f.title), COUNT(*) FROM posts p
                 JOIN forwards f ON f.version_id = p.current_version_id
                 LEFT JOIN channels c ON c.id = f.channel_id
                 GROUP BY f.channel_id ORDER BY 2 DESC, 1 LIMIT 10",
            )?,
        })
    }

    fn find_channel(&self, r: &tgscope_model::ChannelRef) -> Result<Option<i64>> {
        crate::write::find_channel(self.conn(), r)
    }

    fn channel(&self, id: i64) -> Result<Option<ChannelInfo>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT id, tg_id, username, title, kind FROM channels WHERE id = ?1")?
            .query_row(params![id], |r| {
                Ok(ChannelInfo {
                    id: r.get(0)?,
                    tg_id: r.get(1)?,
                    username: r.get(2)?,
                    title: r.get(3)?,
                    kind: r.get(4)?,
                })
            })
            .optional()?)
    }

    fn captures(&self) -> Result<Vec<Capture>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{CAPTURE_SELECT} ORDER BY id"))?;
        let rows = stmt
            .query_map([], capture_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    fn newest_captures(&self, limit: u64) -> Result<(u64, Vec<Capture>)> {
        let conn = self.conn();
        let total: i64 = conn.query_row("SELECT COUNT(*) FROM captures", [], |r| r.get(0))?;
        let mut stmt =
            conn.prepare_cached(&format!("{CAPTURE_SELECT} ORDER BY id DESC LIMIT ?1"))?;
        let rows = stmt
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], capture_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((total as u64, rows))
    }

    fn post_records(&self, ids: &[i64]) -> Result<Vec<PostRecord>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(record) = post_record(self.conn(), *id)? {
                out.push(record);
            }
        }
        Ok(out)
    }

    fn post_ids(&self, filter: &PostQuery) -> Result<Vec<i64>> {
        let conn = self.conn();
        let limit = filter
            .limit
            .map(|l| l.min(i64::MAX as u64) as i64)
            .unwrap_or(-1);
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT p.id FROM posts p JOIN versions v ON v.id = p.current_version_id
             {POST_QUERY_WHERE}
             ORDER BY p.id
             LIMIT ?6 OFFSET ?7"
        ))?;
        let ids = stmt
            .query_map(
                params![
                    filter.channel_id,
                    filter.forwarded_from_id,
                    filter.tag_key,
                    filter.since,
                    filter.until,
                    limit,
                    filter.offset.min(i64::MAX as u64) as i64,
                ],
                |r| r.get::<_, i64>(0),
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ids)
    }
}

const CAPTURE_SELECT: &str = "SELECT id, sha256, size, format, reader_version, source, channel_id,
    raw_kept, ingested_at, completed_at, status, posts_seen, warnings FROM captures";

fn capture_from_row(r: &Row<'_>) -> rusqlite::Result<Capture> {
    Ok(Capture {
        id: r.get(0)?,
        sha256: r.get(1)?,
        size: r.get::<_, i64>(2)? as u64,
        format: r.get(3)?,
        reader_version: r.get(4)?,
        source: r.get(5)?,
        channel_id: r.get(6)?,
        raw_kept: r.get(7)?,
        ingested_at: r.get(8)?,
        completed_at: r.get(9)?,
        status: CaptureStatus::from_stored(&r.get::<_, String>(10)?),
        posts_seen: r.get::<_, i64>(11)? as u64,
        warnings: r.get::<_, i64>(12)? as u64,
    })
}

pub(crate) fn capture_by_sha(conn: &Connection, sha256: &str) -> Result<Option<Capture>> {
    Ok(conn
        .prepare_cached(&format!("{CAPTURE_SELECT} WHERE sha256 = ?1"))?
        .query_row(params![sha256], capture_from_row)
        .optional()?)
}

fn opt_u64(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<u64>> {
    Ok(r.get::<_, Option<i64>>(i)?.map(|v| v as u64))
}

fn post_record(conn: &Connection, id: i64) -> Result<Option<PostRecord>> {
    let row = conn
        .prepare_cached(
            "SELECT p.channel_id, c.tg_id, c.username, c.title, p.message_id, p.current_version_id,
                    (SELECT COUNT(*) FROM versions v WHERE v.post_id = p.id), c.kind
             FROM posts p JOIN channels c ON c.id = p.channel_id WHERE p.id = ?1",
        )?
        .query_row(params![id], |r| {
            Ok((
                ChannelInfo {
                    id: r.get(0)?,
                    tg_id: r.get(1)?,
                    username: r.get(2)?,
                    title: r.get(3)?,
                    kind: r.get(7)?,
                },
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })
        .optional()?;
    let Some((channel, message_id, Some(current_id), version_count)) = row else {
        return Ok(None);
    };
    let captures = conn
        .prepare_cached(
            "SELECT c.sha256 FROM captures c WHERE c.id IN (
                 SELECT s.capture_id FROM sightings s JOIN versions v ON v.id = s.version_id
                 WHERE v.post_id = ?1)
             ORDER BY c.id",
        )?
        .query_map(params![id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(Some(PostRecord {
        id,
        channel,
        message_id,
        current: version_record(conn, current_id)?,
        version_count,
        captures,
    }))
}

fn version_record(conn: &Connection, id: i64) -> Result<VersionRecord> {
    let mut v = conn
        .prepare_cached(
            "SELECT v.id, v.seq, v.content_key, v.text, v.raw_text, v.date, v.date_inferred,
                    v.date_basis, v.date_evidence, v.date_detail, v.edited, v.views, v.author,
                    v.unviewable, c.sha256, v.created_at, v.edited_at, v.sender_name, v.sender_id,
                    v.reply_to_message_id, v.reply_to_chat_id, v.via_bot, v.saved_from
             FROM versions v JOIN captures c ON c.id = v.capture_id WHERE v.id = ?1",
        )?
        .query_row(params![id], |r| {
            let inferred = match (
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
            ) {
                (Some(date), Some(basis)) => DateBasis::parse(&basis).map(|basis| InferredDate {
                    date,
                    basis,
                    evidence: r
                        .get::<_, Option<String>>(8)
                        .ok()
                        .flatten()
                        .unwrap_or_default(),
                    detail: r.get(9).ok().flatten(),
                }),
                _ => None,
            };
            Ok(VersionRecord {
                id: r.get(0)?,
                seq: r.get(1)?,
                content_key: r.get(2)?,
                text: r.get(3)?,
                raw_text: r.get(4)?,
                date: r.get(5)?,
                date_inferred: inferred,
                edited: r.get(10)?,
                views: opt_u64(r, 11)?,
                author: r.get(12)?,
                sender: match (
                    r.get::<_, Option<String>>(17)?,
                    r.get::<_, Option<String>>(18)?,
                ) {
                    (None, None) => None,
                    (name, id) => Some(Sender { name, id }),
                },
                edited_at: r.get(16)?,
                reply_to: match (r.get::<_, Option<i64>>(19)?, r.get::<_, Option<i64>>(20)?) {
                    (None, None) => None,
                    (message_id, chat_id) => Some(Reply {
                        message_id,
                        chat_id,
                    }),
                },
                via_bot: r.get(21)?,
                saved_from: r.get(22)?,
                reactions: Vec::new(),
                entities: Vec::new(),
                unviewable: r.get(13)?,
                forward: None,
                media: Vec::new(),
                links: Vec::new(),
                hashtags: Vec::new(),
                mentions: Vec::new(),
                countries: Vec::new(),
                first_capture: r.get(14)?,
                archived_at: r.get(15)?,
            })
        })?;
    v.forward = conn
        .prepare_cached(
            "SELECT title, username, message_id, date, sender_id FROM forwards
             WHERE version_id = ?1",
        )?
        .query_row(params![id], |r| {
            Ok(Forward {
                title: r.get(0)?,
                username: r.get(1)?,
                message_id: r.get(2)?,
                date: r.get(3)?,
                sender_id: r.get(4)?,
            })
        })
        .optional()?;
    v.media = conn
        .prepare_cached(
            "SELECT kind, placeholder, label, file_name, mime_type, size, duration, width, height,
                    path, sha256, attrs, poll
             FROM media WHERE version_id = ?1 ORDER BY ord",
        )?
        .query_map(params![id], |r| {
            Ok(Media {
                kind: MediaKind::parse(&r.get::<_, String>(0)?),
                placeholder: r
                    .get::<_, Option<String>>(1)?
                    .and_then(|p| Placeholder::parse(&p)),
                label: r.get(2)?,
                file_name: r.get(3)?,
                mime_type: r.get(4)?,
                size: opt_u64(r, 5)?,
                duration: r.get(6)?,
                width: r.get(7)?,
                height: r.get(8)?,
                path: r.get(9)?,
                sha256: r.get(10)?,
                attrs: from_json(r.get(11)?).unwrap_or_default(),
                poll: from_json::<Poll>(r.get(12)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    v.links = conn
        .prepare_cached(
            "SELECT url, label, span_start, span_end FROM links WHERE version_id = ?1 ORDER BY ord",
        )?
        .query_map(params![id], |r| {
            Ok(Link {
                url: r.get(0)?,
                label: r.get(1)?,
                span: span(r.get(2)?, r.get(3)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let tags = |table: &str, column: &str| -> Result<Vec<Tag>> {
        Ok(conn
            .prepare_cached(&format!(
                "SELECT {column}, span_start, span_end FROM {table} WHERE version_id = ?1
                 ORDER BY ord"
            ))?
            .query_map(params![id], |r| {
                Ok(Tag {
                    value: r.get(0)?,
                    span: span(r.get(1)?, r.get(2)?).unwrap_or(Span { start: 0, end: 0 }),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    };
    v.reactions = conn
        .prepare_cached(
            "SELECT kind, emoji, document_id, count FROM reactions WHERE version_id = ?1
             ORDER BY ord",
        )?
        .query_map(params![id], |r| {
            Ok(Reaction {
                kind: r.get(0)?,
                emoji: r.get(1)?,
                document_id: r.get(2)?,
                count: r.get::<_, i64>(3)? as u64,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    v.entities = conn
        .prepare_cached(
            "SELECT kind, span_start, span_end, attrs FROM entities WHERE version_id = ?1
             ORDER BY ord",
        )?
        .query_map(params![id], |r| {
            Ok(Entity {
                kind: r.get(0)?,
                span: span(r.get(1)?, r.get(2)?).unwrap_or(Span { start: 0, end: 0 }),
                attrs: from_json(r.get(3)?).unwrap_or_default(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    v.hashtags = tags("hashtags", "tag")?;
    v.mentions = tags("mentions", "username")?;
    v.countries = conn
        .prepare_cached(
            "SELECT code, span_start, span_end FROM countries WHERE version_id = ?1 ORDER BY ord",
        )?
        .query_map(params![id], |r| {
            Ok(Country {
                code: r.get(0)?,
                span: span(r.get(1)?, r.get(2)?).unwrap_or(Span { start: 0, end: 0 }),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// A small structure from its JSON column.
fn from_json<T: serde::de::DeserializeOwned>(text: Option<String>) -> Option<T> {
    serde_json::from_str(&text?).ok()
}

fn span(start: Option<i64>, end: Option<i64>) -> Option<Span> {
    Some(Span {
        start: start? as usize,
        end: end? as usize,
    })
}

/// SQLite's integrity check plus the archive's own invariants.
pub(crate) fn check(conn: &Connection) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if integrity != "ok" {
        problems.push(format!("SQLite integrity check: {integrity}"));
    }
    let fk: Vec<String> = conn
        .prepare("PRAGMA foreign_key_check")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for table in fk {
        problems.push(format!("dangling reference in table {table}"));
    }
    let checks: &[(&str, &str)] = &[
        (
            "posts without a current version",
            "SELECT COUNT(*) FROM posts p WHERE p.current_version_id IS NULL
                 OR NOT EXISTS (SELECT 1 FROM versions v WHERE v.id = p.current_version_id
                                AND v.post_id = p.id)",
        ),
        (
            "versions never sighted",
            "SELECT COUNT(*) FROM versions v WHERE NOT EXISTS
                 (SELECT 1 FROM sightings s WHERE s.version_id = v.id)",
        ),
        (
            "complete captures with no sightings",
            "SELECT COUNT(*) FROM captures c WHERE c.status = 'complete' AND c.posts_seen > 0
                 AND NOT EXISTS (SELECT 1 FROM sightings s WHERE s.capture_id = c.id)",
        ),
        (
            "text keys of versions that do not match their version (content_keys)",
            "SELECT COUNT(*) FROM content_keys k WHERE NOT EXISTS
                 (SELECT 1 FROM versions v WHERE v.id = k.version_id
                  AND v.channel_id = k.channel_id AND v.content_key = k.content_key)",
        ),
        (
            "versions missing from the text keys they are marked as covered by (content_keys)",
            "SELECT COUNT(*) FROM versions v
                 WHERE v.id <= (SELECT covered FROM content_keys_mark)
                 AND NOT EXISTS (SELECT 1 FROM content_keys k WHERE k.channel_id = v.channel_id
                                 AND k.content_key = v.content_key AND k.version_id = v.id)",
        ),
    ];
    for (what, sql) in checks {
        let n: i64 = conn.query_row(sql, [], |r| r.get(0))?;
        if n > 0 {
            problems.push(format!("{n} {what}"));
        }
    }
    Ok(problems)
}
