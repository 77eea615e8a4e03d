//! What watching a channel over time records: HTTP fetches, channel profiles, posts found
//! missing from a capture that covers their ids (absences), collection runs to resume, and the
//! changes (edits, deletions) these show; when each capture was made (its time and the basis of
//! it: the user, a fetch, the file itself, or only the ingest time), which dates what it shows;
//! and the observed date of a message filling in the versions that had only an inferred one.

use rusqlite::{OptionalExtension, params};

use tgscope_model::{CaptureTime, CaptureTimeBasis};

use crate::{Store, Writer};
use tgscope_archive::Result;
use tgscope_archive::prelude::*;
use tgscope_archive::{AbsenceRecord, ChangeFilter, ChangeRecord, CollectRun};

/// When a capture was made: the time recorded with it (`captured_at`: given by the user, its
/// fetch time, or what the file says), else its first fetch time, else its ingest time.
pub(crate) const OBSERVED_AT: &str = "COALESCE(c.captured_at,
    (SELECT MIN(f.fetched_at) FROM fetches f WHERE f.capture_id = c.id), c.ingested_at)";

impl WatchWrites for Writer<'_> {
    fn set_capture_time(
        &self,
        capture_id: i64,
        at: Option<&str>,
        basis: CaptureTimeBasis,
        evidence: Option<&str>,
    ) -> Result<()> {
        self.tx()
            .prepare_cached(
                "UPDATE captures SET captured_at = COALESCE(?2, ingested_at), captured_basis = ?3,
                     captured_evidence = ?4
                 WHERE id = ?1",
            )?
            .execute(params![capture_id, at, basis.as_str(), evidence])?;
        Ok(())
    }

    fn capture_time(&self, capture_id: i64) -> Result<Option<CaptureTime>> {
        capture_time(self.tx(), capture_id)
    }

    fn observe_post_date(&self, post_id: i64, date: &str) -> Result<usize> {
        Ok(self
            .tx()
            .prepare_cached(
                "UPDATE versions SET date = ?2, date_inferred = NULL, date_basis = NULL,
                     date_evidence = NULL, date_detail = NULL
                 WHERE post_id = ?1 AND date IS NULL
                   AND EXISTS (SELECT 1 FROM posts p WHERE p.id = ?1
                               AND p.message_id IS NOT NULL)",
            )?
            .execute(params![post_id, date])?)
    }

    fn post_observed_date(&self, post_id: i64) -> Result<Option<String>> {
        Ok(self
            .tx()
            .prepare_cached(
                "SELECT date FROM versions WHERE post_id = ?1 AND date IS NOT NULL
                 ORDER BY seq LIMIT 1",
            )?
            .query_row(params![post_id], |r| r.get(0))
            .optional()?)
    }

    fn insert_fetch(
        &self,
        url: &str,
        status: Option<u16>,
        fetched_at: &str,
        capture_id: Option<i64>,
        error: Option<&str>,
    ) -> Result<i64> {
        self.tx()
            .prepare_cached(
                "INSERT INTO fetches (url, status, fetched_at, capture_id, error)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![url, status, fetched_at, capture_id, error])?;
        Ok(self.tx().last_insert_rowid())
    }

    fn set_channel_profile(
        &self,
        channel_id: i64,
        description: Option<&str>,
        subscribers: Option<u64>,
    ) -> Result<()> {
        self.tx()
            .prepare_cached(
                "UPDATE channels SET description = COALESCE(?2, description),
                     subscribers = COALESCE(?3, subscribers) WHERE id = ?1",
            )?
            .execute(params![
                channel_id,
                description,
                subscribers.map(|s| s as i64)
            ])?;
        Ok(())
    }

    fn capture_id_range(&self, capture_id: i64, channel_id: i64) -> Result<Option<(i64, i64)>> {
        let range: (Option<i64>, Option<i64>) = self
            .tx()
            .prepare_cached(
                "SELECT MIN(p.message_id), MAX(p.message_id) FROM sightings s
                 JOIN versions v ON v.id = s.version_id JOIN posts p ON p.id = v.post_id
                 WHERE s.capture_id = ?1 AND p.channel_id = ?2",
            )?
            .query_row(params![capture_id, channel_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        Ok(range.0.zip(range.1))
    }

    fn record_absences(
        &self,
        capture_id: i64,
        channel_id: i64,
        range: (i64, i64),
        format: &str,
    ) -> Result<Vec<i64>> {
        let missing = self
            .tx()
            .prepare_cached(
                "SELECT p.id, p.message_id FROM posts p
                 WHERE p.channel_id = ?1 AND p.message_id BETWEEN ?2 AND ?3
                   AND NOT EXISTS (SELECT 1 FROM versions v JOIN sightings s ON s.version_id = v.id
                                   WHERE v.post_id = p.id AND s.capture_id = ?4)
                   AND EXISTS (SELECT 1 FROM versions v JOIN sightings s ON s.version_id = v.id
                               JOIN captures c ON c.id = s.capture_id
                               WHERE v.post_id = p.id AND c.format = ?5 AND c.id <> ?4)
                 ORDER BY p.message_id",
            )?
            .query_map(
                params![channel_id, range.0, range.1, capture_id, format],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut insert = self.tx().prepare_cached(
            "INSERT OR IGNORE INTO absences (post_id, capture_id, range_start, range_end)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (post_id, _) in &missing {
            insert.execute(params![post_id, capture_id, range.0, range.1])?;
        }
        Ok(missing.into_iter().map(|(_, id)| id).collect())
    }

    fn start_collect_run(
        &self,
        channel: &str,
        base_url: &str,
        stop_at: Option<i64>,
        full: bool,
        started_at: &str,
    ) -> Result<CollectRun> {
        self.tx()
            .prepare_cached(
                "INSERT INTO collect_runs (channel, base_url, started_at, stop_at, full)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![channel, base_url, started_at, stop_at, full])?;
        Ok(CollectRun {
            id: self.tx().last_insert_rowid(),
            channel: channel.to_string(),
            base_url: base_url.to_string(),
            started_at: started_at.to_string(),
            next_before: None,
            stop_at,
            full,
            pages: 0,
        })
    }

    fn advance_collect_run(&self, run_id: i64, next_before: Option<i64>, pages: u64) -> Result<()> {
        self.tx()
            .prepare_cached("UPDATE collect_runs SET next_before = ?2, pages = ?3 WHERE id = ?1")?
            .execute(params![run_id, next_before, pages as i64])?;
        Ok(())
    }

    fn finish_collect_run(&self, run_id: i64, finished_at: &str, outcome: &str) -> Result<()> {
        self.tx()
            .prepare_cached("UPDATE collect_runs SET finished_at = ?2, outcome = ?3 WHERE id = ?1")?
            .execute(params![run_id, finished_at, outcome])?;
        Ok(())
    }
}

/// When a capture was made, as recorded (`None` when there is no such capture).
fn capture_time(conn: &rusqlite::Connection, capture_id: i64) -> Result<Option<CaptureTime>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {OBSERVED_AT}, c.captured_basis, c.captured_evidence,
                    EXISTS (SELECT 1 FROM fetches f WHERE f.capture_id = c.id)
             FROM captures c WHERE c.id = ?1"
        ))?
        .query_row(params![capture_id], capture_time_from_row)
        .optional()?)
}

/// A capture time from `(at, basis, evidence, fetched)`; a capture recorded without a basis (by
/// a build before migration 5's columns were written) was fetched or only ingested.
fn capture_time_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CaptureTime> {
    let basis: Option<String> = r.get(1)?;
    let fetched: bool = r.get(3)?;
    Ok(CaptureTime {
        at: r.get(0)?,
        basis: basis
            .as_deref()
            .and_then(CaptureTimeBasis::parse)
            .unwrap_or(if fetched {
                CaptureTimeBasis::Fetched
            } else {
                CaptureTimeBasis::Ingested
            }),
        evidence: r.get(2)?,
    })
}

impl WatchReads for Store {
    fn capture_time(&self, capture_id: i64) -> Result<Option<CaptureTime>> {
        capture_time(self.conn(), capture_id)
    }

    fn capture_times(&self) -> Result<Vec<(i64, CaptureTime)>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {OBSERVED_AT}, c.captured_basis, c.captured_evidence,
                        EXISTS (SELECT 1 FROM fetches f WHERE f.capture_id = c.id), c.id
                 FROM captures c ORDER BY c.id"
            ))?
            .query_map([], |r| Ok((r.get(4)?, capture_time_from_row(r)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn unfinished_collect_run(&self, channel: &str, base_url: &str) -> Result<Option<CollectRun>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT id, channel, base_url, started_at, next_before, stop_at, full, pages
                 FROM collect_runs
                 WHERE lower(channel) = lower(?1) AND base_url = ?2 AND finished_at IS NULL
                 ORDER BY id DESC LIMIT 1",
            )?
            .query_row(params![channel, base_url], |r| {
                Ok(CollectRun {
                    id: r.get(0)?,
                    channel: r.get(1)?,
                    base_url: r.get(2)?,
                    started_at: r.get(3)?,
                    next_before: r.get(4)?,
                    stop_at: r.get(5)?,
                    full: r.get(6)?,
                    pages: r.get::<_, i64>(7)? as u64,
                })
            })
            .optional()?)
    }

    fn newest_message_id(&self, channel_id: i64) -> Result<Option<i64>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT MAX(message_id) FROM posts WHERE channel_id = ?1")?
            .query_row(params![channel_id], |r| r.get(0))?)
    }

    fn capture_posts(&self, sha256: &str) -> Result<Vec<(i64, Option<String>)>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT p.message_id, v.date FROM sightings s
                 JOIN captures c ON c.id = s.capture_id
                 JOIN versions v ON v.id = s.version_id JOIN posts p ON p.id = v.post_id
                 WHERE c.sha256 = ?1 AND p.message_id IS NOT NULL ORDER BY s.ordinal",
            )?
            .query_map(params![sha256], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn absences(&self, post_id: i64) -> Result<Vec<AbsenceRecord>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT c.sha256, c.source, {OBSERVED_AT}, a.range_start, a.range_end
                 FROM absences a JOIN captures c ON c.id = a.capture_id
                 WHERE a.post_id = ?1 ORDER BY a.id"
            ))?
            .query_map(params![post_id], |r| {
                Ok(AbsenceRecord {
                    capture_sha256: r.get(0)?,
                    capture_source: r.get(1)?,
                    observed_at: r.get(2)?,
                    range: (r.get(3)?, r.get(4)?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn changes(&self, filter: &ChangeFilter) -> Result<Vec<ChangeRecord>> {
        let conn = self.conn();
        // An edit is observed by the first sighting of a version after the first.
        let sql = format!(
            "SELECT kind, post_id, message_id, observed_at, sha256, seq, seen_again, channel_id,
                    text
             FROM (
               SELECT 'edited' AS kind, p.id AS post_id, p.message_id, {OBSERVED_AT} AS observed_at,
                      c.sha256, v.seq, NULL AS seen_again, p.channel_id, cv.text
               FROM versions v JOIN posts p ON p.id = v.post_id
               JOIN versions cv ON cv.id = p.current_version_id
               JOIN sightings s ON s.id = (SELECT MIN(s2.id) FROM sightings s2
                                           WHERE s2.version_id = v.id)
               JOIN captures c ON c.id = s.capture_id
               WHERE v.seq > 1
               UNION ALL
               SELECT 'deleted', p.id, p.message_id, {OBSERVED_AT}, c.sha256, NULL,
                      EXISTS (SELECT 1 FROM versions v2 JOIN sightings s2 ON s2.version_id = v2.id
                              WHERE v2.post_id = p.id AND s2.capture_id > a.capture_id),
                      p.channel_id, cv.text
               FROM absences a JOIN posts p ON p.id = a.post_id
               JOIN versions cv ON cv.id = p.current_version_id
               JOIN captures c ON c.id = a.capture_id
             )
             WHERE (?1 IS NULL OR channel_id = ?1) AND (?2 IS NULL OR observed_at >= ?2)
             ORDER BY observed_at, post_id"
        );
        let rows = conn
            .prepare(&sql)?
            .query_map(params![filter.channel_id, filter.since], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, Option<bool>>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, String>(8)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for (kind, post_id, message_id, observed_at, sha, seq, seen_again, channel_id, text) in rows
        {
            let channel = self
                .channel(channel_id)?
                .map(|c| c.name())
                .unwrap_or_default();
            let line = text.lines().next().unwrap_or_default();
            let text = match line.char_indices().nth(80) {
                Some((at, _)) => format!("{}…", &line[..at]),
                None => line.to_string(),
            };
            out.push(ChangeRecord {
                kind,
                post_id,
                channel,
                message_id,
                observed_at,
                capture_sha256: sha,
                version_seq: seq,
                seen_again,
                text,
            });
        }
        Ok(out)
    }
}
