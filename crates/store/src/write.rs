//! Writing to the archive: captures, channels, posts, versions and sightings, inside one
//! transaction per batch.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use tgscope_model::{CapturedPost, ChannelRef, Location, ServiceEvent};
use tgscope_text::names::{alias_key, name_key, tag_key};

use crate::now;
use tgscope_archive::NewCapture;
use tgscope_archive::Result;
use tgscope_archive::prelude::*;

/// One write transaction. Dropping it without committing it ([`ArchiveWriter::commit`]) rolls
/// everything back.
pub struct Writer<'a> {
    tx: Transaction<'a>,
}

impl Writer<'_> {
    /// Brings `content_keys` up to the versions table: the versions written since the last
    /// look-up by text key, added in one statement (nothing to do when none were). Look-ups by
    /// text key are rare (posts without a message id), version writes are not: this keeps the
    /// cost of the random keys off every write.
    fn catch_up_content_keys(&self) -> Result<()> {
        let covered: i64 = self
            .tx
            .prepare_cached("SELECT covered FROM content_keys_mark")?
            .query_row([], |r| r.get(0))?;
        let newest: i64 = self
            .tx
            .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM versions")?
            .query_row([], |r| r.get(0))?;
        if newest > covered {
            self.tx
                .prepare_cached(
                    "INSERT INTO content_keys (channel_id, content_key, version_id)
                     SELECT channel_id, content_key, id FROM versions WHERE id > ?1 AND id <= ?2
                     ORDER BY channel_id, content_key, id",
                )?
                .execute(params![covered, newest])?;
            self.tx
                .prepare_cached("UPDATE content_keys_mark SET covered = ?1")?
                .execute(params![newest])?;
        }
        Ok(())
    }
}

impl ArchiveWriter for Writer<'_> {
    fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit()?;
        Ok(())
    }
}

impl PostWrites for Writer<'_> {
    fn insert_capture(&self, c: &NewCapture<'_>) -> Result<i64> {
        self.tx
            .prepare_cached(
                "INSERT INTO captures (sha256, size, format, reader_version, source, channel_id,
                     raw_kept, ingested_at, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'partial')",
            )?
            .execute(params![
                c.sha256,
                c.size as i64,
                c.format,
                c.reader_version,
                c.source,
                c.channel_id,
                c.raw_kept,
                now()
            ])?;
        Ok(self.tx.last_insert_rowid())
    }

    fn complete_capture(&self, id: i64, posts_seen: u64, warnings: u64) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE captures SET status = 'complete', completed_at = ?2, posts_seen = ?3,
                     warnings = ?4
                 WHERE id = ?1",
            )?
            .execute(params![id, now(), posts_seen as i64, warnings as i64])?;
        Ok(())
    }

    fn update_capture_progress(&self, id: i64, posts_seen: u64, warnings: u64) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE captures SET posts_seen = ?2, warnings = ?3 WHERE id = ?1")?
            .execute(params![id, posts_seen as i64, warnings as i64])?;
        Ok(())
    }

    fn set_raw_kept(&self, id: i64) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE captures SET raw_kept = 1 WHERE id = ?1")?
            .execute(params![id])?;
        Ok(())
    }

    fn find_channel(&self, r: &ChannelRef) -> Result<Option<i64>> {
        find_channel(&self.tx, r)
    }

    fn ensure_channel(&self, r: &ChannelRef) -> Result<i64> {
        let id = match self.find_channel(r)? {
            Some(id) => id,
            None => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO channels (tg_id, username, title, created_at)
                         VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![r.tg_id, r.username, r.title, now()])?;
                self.tx.last_insert_rowid()
            }
        };
        if let Some(tg_id) = r.tg_id {
            self.tx
                .prepare_cached("UPDATE channels SET tg_id = ?2 WHERE id = ?1 AND tg_id IS NULL")?
                .execute(params![id, tg_id])?;
        }
        if let Some(kind) = &r.kind {
            self.tx
                .prepare_cached("UPDATE channels SET kind = ?2 WHERE id = ?1 AND kind IS NULL")?
                .execute(params![id, kind])?;
        }
        for (kind, value) in [("username", &r.username), ("title", &r.title)] {
            if let Some(v) = value {
                self.tx
                    .prepare_cached(
                        "INSERT OR IGNORE INTO channel_aliases
                             (channel_id, kind, alias, alias_key, alias_loose, first_seen)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )?
                    .execute(params![id, kind, v, alias_key(v), name_key(v), now()])?;
                let column = if kind == "username" {
                    "username"
                } else {
                    "title"
                };
                self.tx
                    .prepare_cached(&format!(
                        "UPDATE channels SET {column} = ?2 WHERE id = ?1 AND {column} IS NULL"
                    ))?
                    .execute(params![id, v])?;
            }
        }
        Ok(id)
    }

    fn sighting_exists(&self, capture_id: i64, ordinal: u64) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM sightings WHERE capture_id = ?1 AND ordinal = ?2")?
            .query_row(params![capture_id, ordinal as i64], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn post_by_message_id(&self, channel_id: i64, message_id: i64) -> Result<Option<i64>> {
        Ok(self
            .tx
            .prepare_cached("SELECT id FROM posts WHERE channel_id = ?1 AND message_id = ?2")?
            .query_row(params![channel_id, message_id], |row| row.get(0))
            .optional()?)
    }

    fn version_by_key(
        &self,
        channel_id: i64,
        post_id: Option<i64>,
        content_key: &str,
    ) -> Result<Option<(i64, i64)>> {
        let found = match post_id {
            Some(post) => self
                .tx
                .prepare_cached(
                    "SELECT post_id, id FROM versions WHERE post_id = ?1 AND content_key = ?2",
                )?
                .query_row(params![post, content_key], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?,
            None => {
                self.catch_up_content_keys()?;
                self.tx
                    .prepare_cached(
                        "SELECT v.post_id, v.id FROM content_keys k
                         JOIN versions v ON v.id = k.version_id
                         WHERE k.channel_id = ?1 AND k.content_key = ?2
                         ORDER BY k.version_id LIMIT 1",
                    )?
                    .query_row(params![channel_id, content_key], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()?
            }
        };
        Ok(found)
    }

    fn id_less_version_by_key(
        &self,
        channel_id: i64,
        content_key: &str,
    ) -> Result<Option<(i64, i64)>> {
        self.catch_up_content_keys()?;
        Ok(self
            .tx
            .prepare_cached(
                "SELECT v.post_id, v.id FROM content_keys k
                 JOIN versions v ON v.id = k.version_id
                 JOIN posts p ON p.id = v.post_id
                 WHERE k.channel_id = ?1 AND k.content_key = ?2 AND p.message_id IS NULL
                 ORDER BY k.version_id LIMIT 1",
            )?
            .query_row(params![channel_id, content_key], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    fn channel_has_id_less_posts(&self, channel_id: i64) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM posts WHERE channel_id = ?1 AND message_id IS NULL)",
            )?
            .query_row(params![channel_id], |r| r.get(0))?)
    }

    fn set_message_id(&self, post_id: i64, message_id: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE posts SET message_id = ?2 WHERE id = ?1 AND message_id IS NULL",
            )?
            .execute(params![post_id, message_id])?;
        Ok(())
    }

    fn edit_candidates(
        &self,
        channel_id: i64,
        lead_key: &str,
        tail_key: &str,
        capture_id: i64,
    ) -> Result<Vec<(i64, String)>> {
        // Two plain index lookups (a subquery with UNION would be planned anew at every call).
        let mut rows: Vec<(i64, String)> = Vec::new();
        // `INDEXED BY`: without statistics the planner would rather walk the (channel_id,
        // message_id) index, which holds every post of the channel without a message id.
        for (column, index, key) in [
            ("lead_key", "posts_lead", lead_key),
            ("tail_key", "posts_tail", tail_key),
        ] {
            let mut stmt = self.tx.prepare_cached(&format!(
                "SELECT p.id, v.text FROM posts p INDEXED BY {index}
                 JOIN versions v ON v.id = p.current_version_id
                 WHERE p.channel_id = ?1 AND p.{column} = ?2 AND p.message_id IS NULL
                 ORDER BY p.id LIMIT 50"
            ))?;
            let found = stmt
                .query_map(params![channel_id, key], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<(i64, String)>>>()?;
            for row in found {
                if !rows.iter().any(|(id, _)| *id == row.0) {
                    rows.push(row);
                }
            }
        }
        let mut seen = self.tx.prepare_cached(
            "SELECT 1 FROM versions v JOIN sightings s ON s.version_id = v.id
             WHERE v.post_id = ?1 AND s.capture_id = ?2 LIMIT 1",
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, text) in rows {
            if !seen.exists(params![id, capture_id])? {
                out.push((id, text));
            }
        }
        Ok(out)
    }

    fn insert_post(
        &self,
        channel_id: i64,
        message_id: Option<i64>,
        lead_key: &str,
        tail_key: &str,
        capture_id: i64,
    ) -> Result<i64> {
        self.tx
            .prepare_cached(
                "INSERT INTO posts (channel_id, message_id, lead_key, tail_key, first_capture_id,
                     created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                channel_id,
                message_id,
                lead_key,
                tail_key,
                capture_id,
                now()
            ])?;
        Ok(self.tx.last_insert_rowid())
    }

    fn insert_version(
        &self,
        post_id: i64,
        channel_id: i64,
        content_key: &str,
        post: &CapturedPost,
        capture_id: i64,
        forward_channel_id: Option<i64>,
    ) -> Result<i64> {
        let seq: i64 = self
            .tx
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM versions WHERE post_id = ?1")?
            .query_row(params![post_id], |r| r.get(0))?;
        let inferred = post.date_inferred.as_ref();
        self.tx
            .prepare_cached(
                "INSERT INTO versions (post_id, channel_id, seq, content_key, text, raw_text, date,
                     date_inferred, date_basis, date_evidence, date_detail, edited, views, author,
                     unviewable, capture_id, created_at, edited_at, sender_name, sender_id,
                     reply_to_message_id, reply_to_chat_id, via_bot, saved_from)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
            )?
            .execute(params![
                post_id,
                channel_id,
                seq,
                content_key,
                post.text,
                post.raw_text,
                post.date,
                inferred.map(|d| d.date.as_str()),
                inferred.map(|d| d.basis.as_str()),
                inferred.map(|d| d.evidence.as_str()),
                inferred.and_then(|d| d.detail.as_deref()),
                post.edited,
                post.views.map(|v| v as i64),
                post.author,
                post.unviewable,
                capture_id,
                now(),
                post.edited_at,
                post.sender.as_ref().and_then(|s| s.name.as_deref()),
                post.sender.as_ref().and_then(|s| s.id.as_deref()),
                post.reply_to.as_ref().and_then(|r| r.message_id),
                post.reply_to.as_ref().and_then(|r| r.chat_id),
                post.via_bot,
                post.saved_from,
            ])?;
        let version_id = self.tx.last_insert_rowid();
        self.tx
            .prepare_cached("UPDATE posts SET current_version_id = ?2 WHERE id = ?1")?
            .execute(params![post_id, version_id])?;
        self.insert_parts(version_id, post, forward_channel_id)?;
        Ok(version_id)
    }

    fn insert_sighting(
        &self,
        version_id: i64,
        capture_id: i64,
        ordinal: u64,
        location: &Location,
        views: Option<u64>,
        edited: Option<bool>,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO sightings (version_id, capture_id, ordinal, line_start,
                     line_end, byte_start, byte_end, views, locator, edited)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                version_id,
                capture_id,
                ordinal as i64,
                location.line_start as i64,
                location.line_end as i64,
                location.byte_start as i64,
                location.byte_end as i64,
                views.map(|v| v as i64),
                location.locator,
                edited
            ])?;
        Ok(())
    }

    fn insert_event(
        &self,
        channel_id: i64,
        capture_id: i64,
        ordinal: u64,
        event: &ServiceEvent,
    ) -> Result<()> {
        let loc = &event.location;
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO events (channel_id, capture_id, ordinal, message_id, date,
                     actor_name, actor_id, action, text, details, locator, line_start, line_end,
                     byte_start, byte_end)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?
            .execute(params![
                channel_id,
                capture_id,
                ordinal as i64,
                event.message_id,
                event.date,
                event.actor.as_ref().and_then(|a| a.name.as_deref()),
                event.actor.as_ref().and_then(|a| a.id.as_deref()),
                event.action,
                event.text,
                (!event.details.is_empty()).then(|| json(&event.details)),
                loc.locator,
                loc.line_start as i64,
                loc.line_end as i64,
                loc.byte_start as i64,
                loc.byte_end as i64
            ])?;
        Ok(())
    }

    fn set_events_seen(&self, capture_id: i64, events: u64) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE captures SET events_seen = ?2 WHERE id = ?1")?
            .execute(params![capture_id, events as i64])?;
        Ok(())
    }
}

impl<'a> Writer<'a> {
    pub(crate) fn tx(&self) -> &Transaction<'a> {
        &self.tx
    }

    pub(crate) fn begin(conn: &'a mut Connection) -> Result<Writer<'a>> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(Writer { tx })
    }

    fn insert_parts(
        &self,
        version_id: i64,
        post: &CapturedPost,
        forward_channel_id: Option<i64>,
    ) -> Result<()> {
        if let Some(f) = &post.forward {
            self.tx
                .prepare_cached(
                    "INSERT INTO forwards (version_id, channel_id, title, username, message_id, date,
                         sender_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    version_id,
                    forward_channel_id,
                    f.title,
                    f.username,
                    f.message_id,
                    f.date,
                    f.sender_id
                ])?;
        }
        let mut media = self.tx.prepare_cached(
            "INSERT INTO media (version_id, ord, kind, placeholder, label, file_name, mime_type,
                 size, duration, width, height, path, sha256, attrs, poll)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?;
        for (i, m) in post.media.iter().enumerate() {
            let attrs = (!m.attrs.is_empty()).then(|| json(&m.attrs));
            let poll = m.poll.as_ref().map(json);
            media.execute(params![
                version_id,
                i as i64,
                m.kind.as_str(),
                m.placeholder.map(|p| p.as_str()),
                m.label,
                m.file_name,
                m.mime_type,
                m.size.map(|s| s as i64),
                m.duration,
                m.width,
                m.height,
                m.path,
                m.sha256,
                attrs,
                poll
            ])?;
        }
        let mut reactions = self.tx.prepare_cached(
            "INSERT INTO reactions (version_id, ord, kind, emoji, document_id, count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (i, r) in post.reactions.iter().enumerate() {
            reactions.execute(params![
                version_id,
                i as i64,
                r.kind,
                r.emoji,
                r.document_id,
                r.count as i64
            ])?;
        }
        let mut entities = self.tx.prepare_cached(
            "INSERT INTO entities (version_id, ord, kind, span_start, span_end, attrs)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (i, e) in post.entities.iter().enumerate() {
            entities.execute(params![
                version_id,
                i as i64,
                e.kind,
                e.span.start as i64,
                e.span.end as i64,
                (!e.attrs.is_empty()).then(|| json(&e.attrs))
            ])?;
        }
        let mut links = self.tx.prepare_cached(
            "INSERT INTO links (version_id, ord, url, label, span_start, span_end)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (i, l) in post.links.iter().enumerate() {
            links.execute(params![
                version_id,
                i as i64,
                l.url,
                l.label,
                l.span.map(|s| s.start as i64),
                l.span.map(|s| s.end as i64)
            ])?;
        }
        let mut tags = self.tx.prepare_cached(
            "INSERT INTO hashtags (version_id, ord, tag, tag_key, span_start, span_end)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (i, t) in post.hashtags.iter().enumerate() {
            tags.execute(params![
                version_id,
                i as i64,
                t.value,
                tag_key(&t.value),
                t.span.start as i64,
                t.span.end as i64
            ])?;
        }
        let mut mentions = self.tx.prepare_cached(
            "INSERT INTO mentions (version_id, ord, username, username_key, span_start, span_end)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (i, t) in post.mentions.iter().enumerate() {
            mentions.execute(params![
                version_id,
                i as i64,
                t.value,
                tag_key(&t.value),
                t.span.start as i64,
                t.span.end as i64
            ])?;
        }
        let mut countries = self.tx.prepare_cached(
            "INSERT INTO countries (version_id, ord, code, span_start, span_end)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (i, c) in post.countries.iter().enumerate() {
            countries.execute(params![
                version_id,
                i as i64,
                c.code,
                c.span.start as i64,
                c.span.end as i64
            ])?;
        }
        Ok(())
    }
}

/// Finds the channel a reference names: by numeric id, then username, then title (each
/// case-insensitive).
pub(crate) fn find_channel(conn: &Connection, r: &ChannelRef) -> Result<Option<i64>> {
    if let Some(tg_id) = r.tg_id {
        let found = conn
            .prepare_cached("SELECT id FROM channels WHERE tg_id = ?1")?
            .query_row(params![tg_id], |row| row.get(0))
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    for (kind, value) in [("username", &r.username), ("title", &r.title)] {
        if let Some(v) = value {
            let found = conn
                .prepare_cached(
                    "SELECT channel_id FROM channel_aliases WHERE kind = ?1 AND alias_key = ?2",
                )?
                .query_row(params![kind, alias_key(v)], |row| row.get(0))
                .optional()?;
            if found.is_some() {
                return Ok(found);
            }
        }
    }
    Ok(None)
}

/// A value as JSON text, for the columns that hold small structures.
fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
