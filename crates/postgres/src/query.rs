//! Reading the archive: posts with their versions and sightings, channels, captures and
//! counts, in the shapes the front ends show; the SQLite store's `query.rs` translated.
//!
//! Posts are read by batches: a batch's posts, their versions and each table of their parts
//! are one query each, whatever the batch's size.
//!
//! Text is ordered and compared byte by byte (`COLLATE "C"`), as SQLite does, whatever the
//! database's collation.

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{Client, GenericClient, Row};
use tgscope_model::{
    Country, DateBasis, Entity, Forward, InferredDate, Link, Media, MediaKind, Placeholder, Poll,
    Reaction, Reply, Sender, Span, Tag,
};

use crate::PgArchive;
use crate::db::{Db, Param, from_json, observed_at, opt_unsigned, ts, unsigned};
use tgscope_archive::prelude::*;
use tgscope_archive::{ArchiveError, Result};
use tgscope_archive::{
    Capture, CaptureStatus, ChannelInfo, ChannelSummary, Counted, PostCount, PostDetail, PostQuery,
    PostRecord, SightingRecord, Stats, VersionRecord,
};

/// Ids per statement when a caller hands over many (the SQLite store's slices).
pub(crate) const ID_CHUNK: usize = 10_000;

/// The `WHERE` clause of a [`PostQuery`] over `posts p JOIN versions v` (current version) and
/// its parameters, numbered from `$1`: only the filters given (so that each combination is
/// planned for itself). `dates`: apply the date range; `undated_only`: only posts without any
/// date.
fn post_query_where(
    filter: &PostQuery,
    dates: bool,
    undated_only: bool,
) -> (String, Vec<Box<dyn ToSql + Sync>>) {
    let mut conditions: Vec<String> = Vec::new();
    let mut params: Vec<Box<dyn ToSql + Sync>> = Vec::new();
    let next = |value: Box<dyn ToSql + Sync>, params: &mut Vec<_>| {
        params.push(value);
        format!("${}", params.len())
    };
    if let Some(channel) = filter.channel_id {
        let p = next(Box::new(channel), &mut params);
        conditions.push(format!("p.channel_id = {p}"));
    }
    if let Some(source) = filter.forwarded_from_id {
        let p = next(Box::new(source), &mut params);
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM forwards f WHERE f.version_id = v.id
                     AND f.channel_id = v.channel_id AND f.source_channel_id = {p})"
        ));
    }
    if let Some(key) = &filter.tag_key {
        let p = next(Box::new(key.clone()), &mut params);
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM hashtags h WHERE h.version_id = v.id
                     AND h.channel_id = v.channel_id AND h.tag_key = {p})"
        ));
    }
    if dates {
        for (bound, op) in [(&filter.since, ">="), (&filter.until, "<=")] {
            if let Some(day) = bound {
                let p = next(Box::new(day.clone()), &mut params);
                conditions.push(format!(
                    "substr(COALESCE(v.date, v.date_inferred), 1, 10) COLLATE \"C\" {op} {p}"
                ));
            }
        }
    }
    if undated_only {
        conditions.push("v.date IS NULL AND v.date_inferred IS NULL".to_string());
    }
    let clause = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    (clause, params)
}

/// The posts and their current versions, joined on their channel too.
const POSTS_CURRENT: &str = "posts p JOIN versions v ON v.id = p.current_version_id
     AND v.channel_id = p.channel_id";

fn refs(params: &[Box<dyn ToSql + Sync>]) -> Vec<Param<'_>> {
    params.iter().map(|b| b.as_ref() as Param<'_>).collect()
}

impl PostReads for PgArchive {
    fn count_posts(&self, filter: &PostQuery) -> Result<PostCount> {
        self.db(|db| {
            let mut count = |dates: bool, undated_only: bool| -> Result<u64> {
                let (clause, params) = post_query_where(filter, dates, undated_only);
                let n: i64 = db
                    .one(
                        &format!("SELECT COUNT(*) FROM {POSTS_CURRENT} {clause}"),
                        &refs(&params),
                    )?
                    .get(0);
                Ok(unsigned(n))
            };
            let matching = count(true, false)?;
            let undated_left_out = if filter.since.is_some() || filter.until.is_some() {
                count(false, true)?
            } else {
                0
            };
            Ok(PostCount {
                matching,
                undated_left_out,
            })
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
        let detail = self.db(|db| {
            let Some(post) = post_records(db, &[id])?.pop() else {
                return Ok(None);
            };
            let version_ids: Vec<i64> = db
                .query(
                    "SELECT id FROM versions WHERE post_id = $1 AND channel_id = $2 ORDER BY seq",
                    &[&id, &post.channel.id],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let mut by_id = version_records(db, &version_ids)?;
            let versions = version_ids.iter().filter_map(|v| by_id.remove(v)).collect();
            let sightings = db
                .query(
                    concat!(
                        "SELECT v.seq, c.sha256, c.source, c.format, s.ordinal, s.line_start,
                                s.line_end, s.byte_start, s.byte_end, s.views, ",
                        ts!("c.ingested_at"),
                        ", s.locator, s.edited, ",
                        observed_at!(),
                        " FROM sightings s JOIN versions v ON v.id = s.version_id
                              AND v.channel_id = s.channel_id
                          JOIN captures c ON c.id = s.capture_id
                          WHERE v.post_id = $1 AND v.channel_id = $2 ORDER BY s.id"
                    ),
                    &[&id, &post.channel.id],
                )?
                .iter()
                .map(|r| SightingRecord {
                    version_seq: r.get(0),
                    capture_sha256: r.get(1),
                    capture_source: r.get(2),
                    format: r.get(3),
                    ordinal: unsigned(r.get(4)),
                    line_start: opt_unsigned(r.get(5)),
                    line_end: opt_unsigned(r.get(6)),
                    byte_start: opt_unsigned(r.get(7)),
                    byte_end: opt_unsigned(r.get(8)),
                    views: opt_unsigned(r.get(9)),
                    ingested_at: r.get(10),
                    locator: r.get(11),
                    edited: r.get(12),
                    observed_at: r.get(13),
                })
                .collect();
            Ok(Some((post, versions, sightings)))
        })?;
        let Some((post, versions, sightings)) = detail else {
            return Ok(None);
        };
        let absences = self.absences(id)?;
        Ok(Some(PostDetail {
            post,
            versions,
            sightings,
            absences,
        }))
    }

    fn post_record(&self, id: i64) -> Result<Option<PostRecord>> {
        self.db(|db| Ok(post_records(db, &[id])?.pop()))
    }

    fn channels(&self) -> Result<Vec<ChannelSummary>> {
        self.db(|db| {
            let mut aliases = aliases(db, None)?;
            let rows = db.query(
                &format!(
                    "SELECT {CHANNEL_SUMMARY_COLUMNS} FROM channels c ORDER BY 6 DESC, 8 DESC, c.id"
                ),
                &[],
            )?;
            Ok(rows
                .iter()
                .map(|r| {
                    let mut summary = channel_summary(r);
                    summary.aliases = aliases.remove(&summary.channel.id).unwrap_or_default();
                    summary
                })
                .collect())
        })
    }

    fn stats(&self) -> Result<Stats> {
        self.db(|db| {
            let mut count = |sql: &str| -> Result<u64> {
                let n: i64 = db.one(sql, &[])?.get(0);
                Ok(unsigned(n))
            };
            let channels = count("SELECT COUNT(*) FROM channels")?;
            let posts = count("SELECT COUNT(*) FROM posts")?;
            let versions = count("SELECT COUNT(*) FROM versions")?;
            let edited_posts = count(
                "SELECT COUNT(*) FROM (SELECT post_id FROM versions GROUP BY post_id
                 HAVING COUNT(*) > 1) edited",
            )?;
            let captures_complete =
                count("SELECT COUNT(*) FROM captures WHERE status = 'complete'")?;
            let captures_partial = count("SELECT COUNT(*) FROM captures WHERE status = 'partial'")?;
            let sightings = count("SELECT COUNT(*) FROM sightings")?;
            let forwards = count(&format!(
                "SELECT COUNT(*) FROM {POSTS_CURRENT}
                 JOIN forwards f ON f.version_id = v.id AND f.channel_id = v.channel_id"
            ))?;
            let dated_observed = count(&format!(
                "SELECT COUNT(*) FROM {POSTS_CURRENT} WHERE v.date IS NOT NULL"
            ))?;
            let dated_inferred = count(&format!(
                "SELECT COUNT(*) FROM {POSTS_CURRENT}
                 WHERE v.date IS NULL AND v.date_inferred IS NOT NULL"
            ))?;
            let undated = count(&format!(
                "SELECT COUNT(*) FROM {POSTS_CURRENT}
                 WHERE v.date IS NULL AND v.date_inferred IS NULL"
            ))?;
            let unviewable = count(&format!(
                "SELECT COUNT(*) FROM {POSTS_CURRENT} WHERE v.unviewable"
            ))?;
            let events = count("SELECT COUNT(*) FROM events")?;
            let mut counted = |sql: &str| -> Result<Vec<Counted>> {
                Ok(db
                    .query(sql, &[])?
                    .iter()
                    .map(|r| Counted {
                        name: r.get::<_, Option<String>>(0).unwrap_or_default(),
                        count: unsigned(r.get(1)),
                    })
                    .collect())
            };
            let media = counted(&format!(
                "SELECT name, n FROM (
                     SELECT m.kind || COALESCE(' (' || m.placeholder || ')', '') AS name,
                            COUNT(*) AS n
                     FROM {POSTS_CURRENT}
                     JOIN media m ON m.version_id = v.id AND m.channel_id = v.channel_id
                     GROUP BY 1) counted
                 ORDER BY n DESC, name COLLATE \"C\""
            ))?;
            let top_hashtags = counted(&format!(
                "SELECT name, n FROM (
                     SELECT '#' || MIN(h.tag COLLATE \"C\") AS name, COUNT(DISTINCT p.id) AS n
                     FROM {POSTS_CURRENT}
                     JOIN hashtags h ON h.version_id = v.id AND h.channel_id = v.channel_id
                     GROUP BY h.tag_key) counted
                 ORDER BY n DESC, name COLLATE \"C\" LIMIT 10"
            ))?;
            let top_forward_sources = counted(&format!(
                "SELECT name, n FROM (
                     SELECT COALESCE(MIN(c.username), MIN(c.title),
                                     MIN(f.title COLLATE \"C\")) AS name,
                            COUNT(*) AS n
                     FROM {POSTS_CURRENT}
                     JOIN forwards f ON f.version_id = v.id AND f.channel_id = v.channel_id
                     LEFT JOIN channels c ON c.id = f.source_channel_id
                     GROUP BY f.source_channel_id) counted
                 ORDER BY n DESC, name COLLATE \"C\" NULLS FIRST LIMIT 10"
            ))?;
            Ok(Stats {
                channels,
                posts,
                versions,
                edited_posts,
                captures_complete,
                captures_partial,
                sightings,
                forwards,
                dated_observed,
                dated_inferred,
                undated,
                unviewable,
                events,
                media,
                top_hashtags,
                top_forward_sources,
            })
        })
    }

    fn find_channel(&self, r: &tgscope_model::ChannelRef) -> Result<Option<i64>> {
        self.db(|db| crate::write::find_channel(db, r))
    }

    fn channel(&self, id: i64) -> Result<Option<ChannelInfo>> {
        self.db(|db| channel(db, id))
    }

    fn captures(&self) -> Result<Vec<Capture>> {
        self.db(|db| {
            Ok(db
                .query(&format!("{CAPTURE_SELECT} ORDER BY id"), &[])?
                .iter()
                .map(capture_from_row)
                .collect())
        })
    }

    fn newest_captures(&self, limit: u64) -> Result<(u64, Vec<Capture>)> {
        self.db(|db| {
            let total: i64 = db.one("SELECT COUNT(*) FROM captures", &[])?.get(0);
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = db.query(
                &format!("{CAPTURE_SELECT} ORDER BY id DESC LIMIT $1"),
                &[&limit],
            )?;
            Ok((unsigned(total), rows.iter().map(capture_from_row).collect()))
        })
    }

    fn post_ids(&self, filter: &PostQuery) -> Result<Vec<i64>> {
        self.db(|db| {
            let (clause, mut params) = post_query_where(filter, true, false);
            let limit: Option<i64> = filter.limit.map(|l| l.min(i64::MAX as u64) as i64);
            params.push(Box::new(limit));
            let limit_at = params.len();
            params.push(Box::new(filter.offset.min(i64::MAX as u64) as i64));
            let offset_at = params.len();
            Ok(db
                .query(
                    &format!(
                        "SELECT p.id FROM {POSTS_CURRENT} {clause}
                         ORDER BY p.id LIMIT ${limit_at} OFFSET ${offset_at}"
                    ),
                    &refs(&params),
                )?
                .iter()
                .map(|r| r.get(0))
                .collect())
        })
    }

    fn post_records(&self, ids: &[i64]) -> Result<Vec<PostRecord>> {
        self.db(|db| {
            let mut out = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(ID_CHUNK) {
                out.extend(post_records(db, chunk)?);
            }
            Ok(out)
        })
    }
}

/// The columns of a [`ChannelSummary`] of `channels c` (its aliases aside).
pub(crate) const CHANNEL_SUMMARY_COLUMNS: &str = "c.id, c.tg_id, c.username, c.title, c.kind,
    (SELECT COUNT(*) FROM posts p WHERE p.channel_id = c.id),
    (SELECT COUNT(*) FROM posts p JOIN forwards f ON f.version_id = p.current_version_id
        AND f.channel_id = p.channel_id WHERE p.channel_id = c.id),
    (SELECT COUNT(*) FROM posts p JOIN forwards f ON f.version_id = p.current_version_id
        AND f.channel_id = p.channel_id WHERE f.source_channel_id = c.id),
    (SELECT MIN(substr(COALESCE(v.date, v.date_inferred), 1, 10) COLLATE \"C\") FROM posts p
        JOIN versions v ON v.id = p.current_version_id AND v.channel_id = p.channel_id
        WHERE p.channel_id = c.id),
    (SELECT MAX(substr(COALESCE(v.date, v.date_inferred), 1, 10) COLLATE \"C\") FROM posts p
        JOIN versions v ON v.id = p.current_version_id AND v.channel_id = p.channel_id
        WHERE p.channel_id = c.id)";

/// A [`ChannelSummary`] from [`CHANNEL_SUMMARY_COLUMNS`], without its aliases.
pub(crate) fn channel_summary(r: &Row) -> ChannelSummary {
    ChannelSummary {
        channel: channel_info(r, 0),
        aliases: Vec::new(),
        posts: unsigned(r.get(5)),
        forwards: unsigned(r.get(6)),
        forwarded_by_others: unsigned(r.get(7)),
        first_date: r.get(8),
        last_date: r.get(9),
    }
}

/// Every name of the channels (of one, or of all), in the order the SQLite store lists them:
/// usernames before titles, each kind in the order seen.
pub(crate) fn aliases<C: GenericClient>(
    db: &mut Db<'_, C>,
    channel_id: Option<i64>,
) -> Result<HashMap<i64, Vec<String>>> {
    let rows = match channel_id {
        Some(id) => db.query(
            "SELECT channel_id, alias FROM channel_aliases WHERE channel_id = $1
             ORDER BY kind COLLATE \"C\" DESC, first_seen, id",
            &[&id],
        )?,
        None => db.query(
            "SELECT channel_id, alias FROM channel_aliases
             ORDER BY channel_id, kind COLLATE \"C\" DESC, first_seen, id",
            &[],
        )?,
    };
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for r in rows {
        out.entry(r.get(0)).or_default().push(r.get(1));
    }
    Ok(out)
}

/// A [`ChannelInfo`] from the columns id, tg_id, username, title, kind starting at `at`.
pub(crate) fn channel_info(r: &Row, at: usize) -> ChannelInfo {
    ChannelInfo {
        id: r.get(at),
        tg_id: r.get(at + 1),
        username: r.get(at + 2),
        title: r.get(at + 3),
        kind: r.get(at + 4),
    }
}

/// One channel by its archive id.
pub(crate) fn channel<C: GenericClient>(
    db: &mut Db<'_, C>,
    id: i64,
) -> Result<Option<ChannelInfo>> {
    Ok(db
        .opt(
            "SELECT id, tg_id, username, title, kind FROM channels WHERE id = $1",
            &[&id],
        )?
        .map(|r| channel_info(&r, 0)))
}

const CAPTURE_SELECT: &str = concat!(
    "SELECT id, sha256, size, format, reader_version, source, channel_id, raw_kept, ",
    ts!("ingested_at"),
    ", ",
    ts!("completed_at"),
    ", status, posts_seen, warnings FROM captures"
);

fn capture_from_row(r: &Row) -> Capture {
    Capture {
        id: r.get(0),
        sha256: r.get(1),
        size: unsigned(r.get(2)),
        format: r.get(3),
        reader_version: r.get(4),
        source: r.get(5),
        channel_id: r.get(6),
        raw_kept: r.get(7),
        ingested_at: r.get(8),
        completed_at: r.get(9),
        status: CaptureStatus::from_stored(r.get(10)),
        posts_seen: unsigned(r.get(11)),
        warnings: unsigned(r.get(12)),
    }
}

/// The capture with this SHA-256.
pub(crate) fn capture_by_sha(db: &mut Db<'_, Client>, sha256: &str) -> Result<Option<Capture>> {
    Ok(db
        .opt(&format!("{CAPTURE_SELECT} WHERE sha256 = $1"), &[&sha256])?
        .map(|r| capture_from_row(&r)))
}

/// The records of these posts (those the archive has, with a current version), in the order
/// asked.
pub(crate) fn post_records<C: GenericClient>(
    db: &mut Db<'_, C>,
    ids: &[i64],
) -> Result<Vec<PostRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids_param: Vec<i64> = ids.to_vec();
    let rows = db.query(
        "SELECT p.id, p.channel_id, c.tg_id, c.username, c.title, c.kind, p.message_id,
                p.current_version_id,
                (SELECT COUNT(*) FROM versions v WHERE v.post_id = p.id
                    AND v.channel_id = p.channel_id)
         FROM posts p JOIN channels c ON c.id = p.channel_id WHERE p.id = ANY($1)",
        &[&ids_param],
    )?;
    // (channel, message id, current version, version count) by post.
    let mut posts: HashMap<i64, (ChannelInfo, Option<i64>, i64, i64)> = HashMap::new();
    for r in &rows {
        if let Some(current) = r.get::<_, Option<i64>>(7) {
            posts.insert(r.get(0), (channel_info(r, 1), r.get(6), current, r.get(8)));
        }
    }
    let found: Vec<i64> = posts.keys().copied().collect();
    let mut captures: HashMap<i64, Vec<String>> = HashMap::new();
    for r in db.query(
        "SELECT x.post_id, c.sha256 FROM (
             SELECT DISTINCT v.post_id, s.capture_id FROM sightings s
             JOIN versions v ON v.id = s.version_id AND v.channel_id = s.channel_id
             WHERE v.post_id = ANY($1)) x
         JOIN captures c ON c.id = x.capture_id
         ORDER BY x.post_id, c.id",
        &[&found],
    )? {
        captures.entry(r.get(0)).or_default().push(r.get(1));
    }
    let current: Vec<i64> = posts.values().map(|p| p.2).collect();
    let versions = version_records(db, &current)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some((channel, message_id, current_id, version_count)) = posts.get(id) else {
            continue;
        };
        let current = versions.get(current_id).cloned().ok_or_else(|| {
            ArchiveError::Corrupt(format!(
                "post {id}: its current version {current_id} is missing"
            ))
        })?;
        out.push(PostRecord {
            id: *id,
            channel: channel.clone(),
            message_id: *message_id,
            current,
            version_count: *version_count,
            captures: captures.get(id).cloned().unwrap_or_default(),
        });
    }
    Ok(out)
}

/// These versions with everything they carry, by id (those the archive has).
pub(crate) fn version_records<C: GenericClient>(
    db: &mut Db<'_, C>,
    ids: &[i64],
) -> Result<HashMap<i64, VersionRecord>> {
    let mut out: HashMap<i64, VersionRecord> = HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(out);
    }
    let ids: Vec<i64> = ids.to_vec();
    let rows = db.query(
        concat!(
            "SELECT v.id, v.seq, v.content_key, v.text, COALESCE(v.raw_text, v.text), v.date,
                    v.date_inferred,
                    v.date_basis, v.date_evidence, v.date_detail, v.edited, v.views, v.author,
                    v.unviewable, c.sha256, ",
            ts!("v.created_at"),
            ", v.edited_at, v.sender_name, v.sender_id, v.reply_to_message_id,
                    v.reply_to_chat_id, v.via_bot, v.saved_from
             FROM versions v JOIN captures c ON c.id = v.capture_id WHERE v.id = ANY($1)"
        ),
        &[&ids],
    )?;
    for r in &rows {
        let inferred = match (r.get::<_, Option<String>>(6), r.get::<_, Option<String>>(7)) {
            (Some(date), Some(basis)) => DateBasis::parse(&basis).map(|basis| InferredDate {
                date,
                basis,
                evidence: r.get::<_, Option<String>>(8).unwrap_or_default(),
                detail: r.get(9),
            }),
            _ => None,
        };
        let sender = match (
            r.get::<_, Option<String>>(17),
            r.get::<_, Option<String>>(18),
        ) {
            (None, None) => None,
            (name, id) => Some(Sender { name, id }),
        };
        let reply_to = match (r.get::<_, Option<i64>>(19), r.get::<_, Option<i64>>(20)) {
            (None, None) => None,
            (message_id, chat_id) => Some(Reply {
                message_id,
                chat_id,
            }),
        };
        let id: i64 = r.get(0);
        out.insert(
            id,
            VersionRecord {
                id,
                seq: r.get(1),
                content_key: r.get(2),
                text: r.get(3),
                raw_text: r.get(4),
                date: r.get(5),
                date_inferred: inferred,
                edited: r.get(10),
                views: opt_unsigned(r.get(11)),
                author: r.get(12),
                sender,
                edited_at: r.get(16),
                reply_to,
                via_bot: r.get(21),
                saved_from: r.get(22),
                reactions: Vec::new(),
                entities: Vec::new(),
                unviewable: r.get(13),
                forward: None,
                media: Vec::new(),
                links: Vec::new(),
                hashtags: Vec::new(),
                mentions: Vec::new(),
                countries: Vec::new(),
                first_capture: r.get(14),
                archived_at: r.get(15),
            },
        );
    }
    for r in db.query(
        "SELECT version_id, title, username, message_id, date, sender_id FROM forwards
         WHERE version_id = ANY($1)",
        &[&ids],
    )? {
        if let Some(v) = out.get_mut(&r.get::<_, i64>(0)) {
            v.forward = Some(Forward {
                title: r.get(1),
                username: r.get(2),
                message_id: r.get(3),
                date: r.get(4),
                sender_id: r.get(5),
            });
        }
    }
    let small = |n: Option<i64>| n.and_then(|n| u32::try_from(n).ok());
    for r in db.query(
        "SELECT version_id, kind, placeholder, label, file_name, mime_type, size, duration,
                width, height, path, sha256, attrs::text, poll::text
         FROM media WHERE version_id = ANY($1) ORDER BY version_id, ord",
        &[&ids],
    )? {
        if let Some(v) = out.get_mut(&r.get::<_, i64>(0)) {
            v.media.push(Media {
                kind: MediaKind::parse(r.get(1)),
                placeholder: r.get::<_, Option<&str>>(2).and_then(Placeholder::parse),
                label: r.get(3),
                file_name: r.get(4),
                mime_type: r.get(5),
                size: opt_unsigned(r.get(6)),
                duration: small(r.get(7)),
                width: small(r.get(8)),
                height: small(r.get(9)),
                path: r.get(10),
                sha256: r.get(11),
                attrs: from_json(r.get(12)).unwrap_or_default(),
                poll: from_json::<Poll>(r.get(13)),
            });
        }
    }
    for r in db.query(
        "SELECT version_id, url, label, span_start, span_end FROM links
         WHERE version_id = ANY($1) ORDER BY version_id, ord",
        &[&ids],
    )? {
        if let Some(v) = out.get_mut(&r.get::<_, i64>(0)) {
            v.links.push(Link {
                url: r.get(1),
                label: r.get(2),
                span: span(r.get(3), r.get(4)),
            });
        }
    }
    for r in db.query(
        "SELECT version_id, kind, emoji, document_id, count FROM reactions
         WHERE version_id = ANY($1) ORDER BY version_id, ord",
        &[&ids],
    )? {
        if let Some(v) = out.get_mut(&r.get::<_, i64>(0)) {
            v.reactions.push(Reaction {
                kind: r.get(1),
                emoji: r.get(2),
                document_id: r.get(3),
                count: unsigned(r.get(4)),
            });
        }
    }
    for r in db.query(
        "SELECT version_id, kind, span_start, span_end, attrs::text FROM entities
         WHERE version_id = ANY($1) ORDER BY version_id, ord",
        &[&ids],
    )? {
        if let Some(v) = out.get_mut(&r.get::<_, i64>(0)) {
            v.entities.push(Entity {
                kind: r.get(1),
                span: span(r.get(2), r.get(3)).unwrap_or(Span { start: 0, end: 0 }),
                attrs: from_json(r.get(4)).unwrap_or_default(),
            });
        }
    }
    for (table, column) in [("hashtags", "tag"), ("mentions", "username")] {
        for r in db.query(
            &format!(
                "SELECT version_id, {column}, span_start, span_end FROM {table}
                 WHERE version_id = ANY($1) ORDER BY version_id, ord"
            ),
            &[&ids],
        )? {
            if let Some(v) = out.get_mut(&r.get::<_, i64>(0)) {
                let tag = Tag {
                    value: r.get(1),
                    span: span(r.get(2), r.get(3)).unwrap_or(Span { start: 0, end: 0 }),
                };
                if table == "hashtags" {
                    v.hashtags.push(tag);
                } else {
                    v.mentions.push(tag);
                }
            }
        }
    }
    for r in db.query(
        "SELECT version_id, code, span_start, span_end FROM countries
         WHERE version_id = ANY($1) ORDER BY version_id, ord",
        &[&ids],
    )? {
        if let Some(v) = out.get_mut(&r.get::<_, i64>(0)) {
            v.countries.push(Country {
                code: r.get(1),
                span: span(r.get(2), r.get(3)).unwrap_or(Span { start: 0, end: 0 }),
            });
        }
    }
    Ok(out)
}

fn span(start: Option<i64>, end: Option<i64>) -> Option<Span> {
    Some(Span {
        start: start? as usize,
        end: end? as usize,
    })
}
