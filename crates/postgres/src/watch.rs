//! What watching a channel over time records (the SQLite store's `watch.rs` translated): HTTP
//! fetches, channel profiles, absences, collection runs, the changes they show, when each
//! capture was made, and observed dates filling in inferred ones.

use postgres::{GenericClient, Row};
use tgscope_model::{CaptureTime, CaptureTimeBasis};

use crate::PgArchive;
use crate::db::{Db, observed_at, signed, ts, unsigned};
use crate::query::channel;
use crate::write::PgWriter;
use tgscope_archive::prelude::*;
use tgscope_archive::{AbsenceRecord, ChangeFilter, ChangeRecord, CollectRun, Result};

impl WatchWrites for PgWriter<'_> {
    fn set_capture_time(
        &self,
        capture_id: i64,
        at: Option<&str>,
        basis: CaptureTimeBasis,
        evidence: Option<&str>,
    ) -> Result<()> {
        self.db(|db| {
            db.exec(
                concat!(
                    "UPDATE captures SET captured_at = COALESCE($2, ",
                    ts!("ingested_at"),
                    "), captured_basis = $3, captured_evidence = $4 WHERE id = $1"
                ),
                &[&capture_id, &at, &basis.as_str(), &evidence],
            )
        })?;
        Ok(())
    }

    fn capture_time(&self, capture_id: i64) -> Result<Option<CaptureTime>> {
        self.db(|db| capture_time(db, capture_id))
    }

    fn observe_post_date(&self, post_id: i64, date: &str) -> Result<usize> {
        self.db(|db| {
            let post_id = self.post_id(post_id)?;
            Ok(db.exec(
                "UPDATE versions v SET date = $2, date_inferred = NULL, date_basis = NULL,
                     date_evidence = NULL, date_detail = NULL
                 FROM posts p
                 WHERE v.post_id = $1 AND v.date IS NULL AND p.id = $1
                   AND p.channel_id = v.channel_id AND p.message_id IS NOT NULL",
                &[&post_id, &date],
            )? as usize)
        })
    }

    fn post_observed_date(&self, post_id: i64) -> Result<Option<String>> {
        self.db(|db| {
            let post_id = self.post_id(post_id)?;
            Ok(db
                .opt(
                    "SELECT date FROM versions WHERE post_id = $1 AND date IS NOT NULL
                     ORDER BY seq LIMIT 1",
                    &[&post_id],
                )?
                .map(|r| r.get(0)))
        })
    }

    fn insert_fetch(
        &self,
        url: &str,
        status: Option<u16>,
        fetched_at: &str,
        capture_id: Option<i64>,
        error: Option<&str>,
    ) -> Result<i64> {
        self.db(|db| {
            Ok(db
                .one(
                    "INSERT INTO fetches (url, status, fetched_at, capture_id, error)
                     VALUES ($1, $2, $3::text::timestamptz, $4, $5) RETURNING id",
                    &[
                        &url,
                        &status.map(i64::from),
                        &fetched_at,
                        &capture_id,
                        &error,
                    ],
                )?
                .get(0))
        })
    }

    fn set_channel_profile(
        &self,
        channel_id: i64,
        description: Option<&str>,
        subscribers: Option<u64>,
    ) -> Result<()> {
        self.db(|db| {
            db.exec(
                "UPDATE channels SET description = COALESCE($2, description),
                     subscribers = COALESCE($3, subscribers) WHERE id = $1",
                &[&channel_id, &description, &subscribers.map(signed)],
            )
        })?;
        Ok(())
    }

    fn capture_id_range(&self, capture_id: i64, channel_id: i64) -> Result<Option<(i64, i64)>> {
        self.db(|db| {
            let r = db.one(
                "SELECT MIN(p.message_id), MAX(p.message_id) FROM sightings s
                 JOIN versions v ON v.id = s.version_id AND v.channel_id = s.channel_id
                 JOIN posts p ON p.id = v.post_id AND p.channel_id = v.channel_id
                 WHERE s.capture_id = $1 AND s.channel_id = $2",
                &[&capture_id, &channel_id],
            )?;
            let range: (Option<i64>, Option<i64>) = (r.get(0), r.get(1));
            Ok(range.0.zip(range.1))
        })
    }

    fn record_absences(
        &self,
        capture_id: i64,
        channel_id: i64,
        range: (i64, i64),
        format: &str,
    ) -> Result<Vec<i64>> {
        self.db(|db| {
            let missing: Vec<(i64, i64)> = db
                .query(
                    "SELECT p.id, p.message_id FROM posts p
                     WHERE p.channel_id = $1 AND p.message_id BETWEEN $2 AND $3
                       AND NOT EXISTS (SELECT 1 FROM versions v
                                       JOIN sightings s ON s.version_id = v.id
                                           AND s.channel_id = v.channel_id
                                       WHERE v.post_id = p.id AND v.channel_id = p.channel_id
                                         AND s.capture_id = $4)
                       AND EXISTS (SELECT 1 FROM versions v
                                   JOIN sightings s ON s.version_id = v.id
                                       AND s.channel_id = v.channel_id
                                   JOIN captures c ON c.id = s.capture_id
                                   WHERE v.post_id = p.id AND v.channel_id = p.channel_id
                                     AND c.format = $5 AND c.id <> $4)
                     ORDER BY p.message_id",
                    &[&channel_id, &range.0, &range.1, &capture_id, &format],
                )?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            if !missing.is_empty() {
                let posts: Vec<i64> = missing.iter().map(|(post, _)| *post).collect();
                db.exec(
                    "INSERT INTO absences (channel_id, post_id, capture_id, range_start,
                         range_end)
                     SELECT $1, a.post_id, $2, $3, $4
                     FROM unnest($5::bigint[]) WITH ORDINALITY AS a(post_id, ord)
                     ORDER BY a.ord
                     ON CONFLICT (post_id, capture_id, channel_id) DO NOTHING",
                    &[&channel_id, &capture_id, &range.0, &range.1, &posts],
                )?;
            }
            Ok(missing.into_iter().map(|(_, id)| id).collect())
        })
    }

    fn start_collect_run(
        &self,
        channel: &str,
        base_url: &str,
        stop_at: Option<i64>,
        full: bool,
        started_at: &str,
    ) -> Result<CollectRun> {
        let id: i64 = self.db(|db| {
            Ok(db
                .one(
                    "INSERT INTO collect_runs (channel, base_url, started_at, stop_at, full_run)
                     VALUES ($1, $2, $3::text::timestamptz, $4, $5) RETURNING id",
                    &[&channel, &base_url, &started_at, &stop_at, &full],
                )?
                .get(0))
        })?;
        Ok(CollectRun {
            id,
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
        self.db(|db| {
            db.exec(
                "UPDATE collect_runs SET next_before = $2, pages = $3 WHERE id = $1",
                &[&run_id, &next_before, &signed(pages)],
            )
        })?;
        Ok(())
    }

    fn finish_collect_run(&self, run_id: i64, finished_at: &str, outcome: &str) -> Result<()> {
        self.db(|db| {
            db.exec(
                "UPDATE collect_runs SET finished_at = $2::text::timestamptz, outcome = $3
                 WHERE id = $1",
                &[&run_id, &finished_at, &outcome],
            )
        })?;
        Ok(())
    }
}

/// When a capture was made, as recorded (`None` when there is no such capture).
fn capture_time<C: GenericClient>(
    db: &mut Db<'_, C>,
    capture_id: i64,
) -> Result<Option<CaptureTime>> {
    Ok(db
        .opt(
            concat!(
                "SELECT ",
                observed_at!(),
                ", c.captured_basis, c.captured_evidence,
                   EXISTS (SELECT 1 FROM fetches f WHERE f.capture_id = c.id)
                 FROM captures c WHERE c.id = $1"
            ),
            &[&capture_id],
        )?
        .map(|r| capture_time_from_row(&r)))
}

/// A capture time from `(at, basis, evidence, fetched)`; a capture recorded without a basis was
/// fetched or only ingested.
fn capture_time_from_row(r: &Row) -> CaptureTime {
    let basis: Option<&str> = r.get(1);
    let fetched: bool = r.get(3);
    CaptureTime {
        at: r.get(0),
        basis: basis
            .and_then(CaptureTimeBasis::parse)
            .unwrap_or(if fetched {
                CaptureTimeBasis::Fetched
            } else {
                CaptureTimeBasis::Ingested
            }),
        evidence: r.get(2),
    }
}

impl WatchReads for PgArchive {
    fn capture_time(&self, capture_id: i64) -> Result<Option<CaptureTime>> {
        self.db(|db| capture_time(db, capture_id))
    }

    fn capture_times(&self) -> Result<Vec<(i64, CaptureTime)>> {
        self.db(|db| {
            Ok(db
                .query(
                    concat!(
                        "SELECT ",
                        observed_at!(),
                        ", c.captured_basis, c.captured_evidence,
                           EXISTS (SELECT 1 FROM fetches f WHERE f.capture_id = c.id), c.id
                         FROM captures c ORDER BY c.id"
                    ),
                    &[],
                )?
                .iter()
                .map(|r| (r.get(4), capture_time_from_row(r)))
                .collect())
        })
    }

    fn unfinished_collect_run(&self, channel: &str, base_url: &str) -> Result<Option<CollectRun>> {
        self.db(|db| {
            Ok(db
                .opt(
                    concat!(
                        "SELECT ",
                        collect_run_columns!(),
                        " FROM collect_runs
                         WHERE lower(channel) = lower($1) AND base_url = $2
                           AND finished_at IS NULL
                         ORDER BY id DESC LIMIT 1"
                    ),
                    &[&channel, &base_url],
                )?
                .map(|r| collect_run(&r)))
        })
    }

    fn newest_message_id(&self, channel_id: i64) -> Result<Option<i64>> {
        self.db(|db| {
            Ok(db
                .one(
                    "SELECT MAX(message_id) FROM posts WHERE channel_id = $1",
                    &[&channel_id],
                )?
                .get(0))
        })
    }

    fn capture_posts(&self, sha256: &str) -> Result<Vec<(i64, Option<String>)>> {
        self.db(|db| {
            Ok(db
                .query(
                    "SELECT p.message_id, v.date FROM sightings s
                     JOIN captures c ON c.id = s.capture_id
                     JOIN versions v ON v.id = s.version_id AND v.channel_id = s.channel_id
                     JOIN posts p ON p.id = v.post_id AND p.channel_id = v.channel_id
                     WHERE c.sha256 = $1 AND p.message_id IS NOT NULL ORDER BY s.ordinal",
                    &[&sha256],
                )?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect())
        })
    }

    fn absences(&self, post_id: i64) -> Result<Vec<AbsenceRecord>> {
        self.db(|db| {
            Ok(db
                .query(
                    concat!(
                        "SELECT c.sha256, c.source, ",
                        observed_at!(),
                        ", a.range_start, a.range_end
                         FROM absences a JOIN captures c ON c.id = a.capture_id
                         WHERE a.post_id = $1 ORDER BY a.id"
                    ),
                    &[&post_id],
                )?
                .iter()
                .map(|r| AbsenceRecord {
                    capture_sha256: r.get(0),
                    capture_source: r.get(1),
                    observed_at: r.get(2),
                    range: (r.get(3), r.get(4)),
                })
                .collect())
        })
    }

    fn changes(&self, filter: &ChangeFilter) -> Result<Vec<ChangeRecord>> {
        // An edit is observed by the first sighting of a version after the first.
        let rows = self.db(|db| {
            db.query(
                concat!(
                    "SELECT kind, post_id, message_id, observed_at, sha256, seq, seen_again,
                            channel_id, text
                     FROM (
                       SELECT 'edited' AS kind, p.id AS post_id, p.message_id, ",
                    observed_at!(),
                    " AS observed_at, c.sha256, v.seq, NULL::boolean AS seen_again,
                              p.channel_id, cv.text
                       FROM versions v
                       JOIN posts p ON p.id = v.post_id AND p.channel_id = v.channel_id
                       JOIN versions cv ON cv.id = p.current_version_id
                           AND cv.channel_id = p.channel_id
                       JOIN sightings s ON s.id = (SELECT MIN(s2.id) FROM sightings s2
                                                   WHERE s2.version_id = v.id
                                                     AND s2.channel_id = v.channel_id)
                           AND s.channel_id = v.channel_id
                       JOIN captures c ON c.id = s.capture_id
                       WHERE v.seq > 1
                       UNION ALL
                       SELECT 'deleted', p.id, p.message_id, ",
                    observed_at!(),
                    ", c.sha256, NULL,
                              EXISTS (SELECT 1 FROM versions v2
                                      JOIN sightings s2 ON s2.version_id = v2.id
                                          AND s2.channel_id = v2.channel_id
                                      WHERE v2.post_id = p.id AND v2.channel_id = p.channel_id
                                        AND s2.capture_id > a.capture_id),
                              p.channel_id, cv.text
                       FROM absences a
                       JOIN posts p ON p.id = a.post_id AND p.channel_id = a.channel_id
                       JOIN versions cv ON cv.id = p.current_version_id
                           AND cv.channel_id = p.channel_id
                       JOIN captures c ON c.id = a.capture_id
                     ) changes
                     WHERE ($1::bigint IS NULL OR channel_id = $1)
                       AND ($2::text IS NULL OR observed_at COLLATE \"C\" >= $2)
                     ORDER BY observed_at COLLATE \"C\", post_id"
                ),
                &[&filter.channel_id, &filter.since],
            )
        })?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let channel_id: i64 = r.get(7);
            let channel = self
                .db(|db| channel(db, channel_id))?
                .map(|c| c.name())
                .unwrap_or_default();
            let text: String = r.get(8);
            let line = text.lines().next().unwrap_or_default();
            let text = match line.char_indices().nth(80) {
                Some((at, _)) => format!("{}…", &line[..at]),
                None => line.to_string(),
            };
            out.push(ChangeRecord {
                kind: r.get(0),
                post_id: r.get(1),
                channel,
                message_id: r.get(2),
                observed_at: r.get(3),
                capture_sha256: r.get(4),
                version_seq: r.get(5),
                seen_again: r.get(6),
                text,
            });
        }
        Ok(out)
    }
}

/// The SQL of a collection run's columns, as [`collect_run`] reads them.
macro_rules! collect_run_columns {
    () => {
        concat!(
            "id, channel, base_url, ",
            ts!("started_at"),
            ", next_before, stop_at, full_run, pages"
        )
    };
}
pub(crate) use collect_run_columns;

/// A collection run from a row of [`collect_run_columns`] (first).
pub(crate) fn collect_run(r: &Row) -> CollectRun {
    CollectRun {
        id: r.get(0),
        channel: r.get(1),
        base_url: r.get(2),
        started_at: r.get(3),
        next_before: r.get(4),
        stop_at: r.get(5),
        full: r.get(6),
        pages: unsigned(r.get(7)),
    }
}
