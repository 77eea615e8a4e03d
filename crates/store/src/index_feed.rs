//! What derived data is fed: for the full-text index, each post's current text and the fields
//! search filters on, read in post order; for the copy analysis, current texts channel by
//! channel or by id; and the archive's mark that says how far derived data has caught up.

use rusqlite::{OptionalExtension, params};

use crate::Store;
use std::ops::ControlFlow;

use tgscope_archive::prelude::*;
use tgscope_archive::{ChannelPager, ChannelTexts, NetworkRow, PostDate, PostForIndex, PostText};
use tgscope_archive::{PostSelection, Result};

/// The posts with a version newer than the mark `?1`: found from the versions after the mark (a
/// range of their ids), not by asking each post of the archive (which made every round of an
/// index that follows an ingest read the whole posts table).
const AFTER_MARK: &str = "p.id IN (SELECT n.post_id FROM versions n WHERE n.id > ?1)";

impl FeedReads for Store {
    fn index_mark(&self) -> Result<i64> {
        Ok(self
            .conn()
            .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM versions")?
            .query_row([], |r| r.get(0))?)
    }

    fn post_texts(&self, post_ids: &[i64]) -> Result<Vec<PostText>> {
        let mut out = Vec::with_capacity(post_ids.len());
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT p.id, p.channel_id, v.text
             FROM posts p JOIN versions v ON v.id = p.current_version_id
             WHERE p.id IN (SELECT value FROM json_each(?1))
             ORDER BY p.id",
        )?;
        // In slices, so that a statement's parameter stays small.
        for ids in post_ids.chunks(10_000) {
            let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
            let rows = stmt.query_map(params![json], post_text)?;
            for row in rows {
                out.push(row?);
            }
        }
        out.sort_by_key(|p| p.post_id);
        Ok(out)
    }

    fn post_dates(&self, post_ids: &[i64]) -> Result<Vec<PostDate>> {
        let mut out = Vec::with_capacity(post_ids.len());
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT p.id, p.channel_id, v.date, CASE WHEN v.date IS NULL THEN v.date_inferred END,
                    p.message_id, f.channel_id, f.message_id
             FROM posts p JOIN versions v ON v.id = p.current_version_id
             LEFT JOIN forwards f ON f.version_id = v.id
             WHERE p.id IN (SELECT value FROM json_each(?1))",
        )?;
        for ids in post_ids.chunks(10_000) {
            let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
            let rows = stmt.query_map(params![json], |r| {
                Ok(PostDate {
                    post_id: r.get(0)?,
                    channel_id: r.get(1)?,
                    date: r.get(2)?,
                    date_inferred: r.get(3)?,
                    message_id: r.get(4)?,
                    forward_channel_id: r.get(5)?,
                    forward_message_id: r.get(6)?,
                })
            })?;
            for row in rows {
                out.push(row?);
            }
        }
        out.sort_by_key(|p| p.post_id);
        Ok(out)
    }

    fn post_texts_after(&self, after_mark: i64, up_to: i64) -> Result<Vec<PostText>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT p.id, p.channel_id, v.text
             FROM posts p JOIN versions v ON v.id = p.current_version_id
             WHERE p.id IN (SELECT n.post_id FROM versions n WHERE n.id > ?1 AND n.id <= ?2)
             ORDER BY p.id",
        )?;
        let rows = stmt.query_map(params![after_mark, up_to], post_text)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
    fn window_end(
        &self,
        after_mark: i64,
        up_to: i64,
        text_bytes: u64,
        max_versions: u32,
    ) -> Result<i64> {
        // `octet_length` reads a text's size from its record header, not the text itself.
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, octet_length(text) FROM versions WHERE id > ?1 AND id <= ?2
             ORDER BY id LIMIT ?3",
        )?;
        let sizes = stmt
            .query_map(params![after_mark, up_to, max_versions], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(tgscope_archive::feed::window_end(
            &sizes,
            up_to,
            text_bytes,
            max_versions,
        ))
    }

    fn walk_posts_for_index(
        &self,
        which: PostSelection<'_>,
        f: &mut dyn FnMut(PostForIndex) -> ControlFlow<()>,
    ) -> Result<()> {
        let conn = self.conn();
        let (filter, param) = match which {
            PostSelection::AfterMark(after_mark) => {
                (AFTER_MARK, rusqlite::types::Value::Integer(after_mark))
            }
            PostSelection::Posts(ids) => (
                "p.id IN (SELECT value FROM json_each(?1))",
                rusqlite::types::Value::Text(
                    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()),
                ),
            ),
        };
        let mut posts = conn.prepare(&format!(
            "SELECT p.id, p.channel_id, p.message_id, v.id, v.text, COALESCE(v.date, v.date_inferred),
                    COALESCE(v.edited, 0), (SELECT COUNT(*) FROM versions w WHERE w.post_id = p.id)
             FROM posts p JOIN versions v ON v.id = p.current_version_id
             WHERE {filter}
             ORDER BY p.id"
        ))?;
        let mut forward =
            conn.prepare_cached("SELECT f.channel_id FROM forwards f WHERE f.version_id = ?1")?;
        let mut tags =
            conn.prepare_cached("SELECT tag FROM hashtags WHERE version_id = ?1 ORDER BY ord")?;
        let mut mentions = conn
            .prepare_cached("SELECT username FROM mentions WHERE version_id = ?1 ORDER BY ord")?;
        let mut media =
            conn.prepare_cached("SELECT kind FROM media WHERE version_id = ?1 ORDER BY ord")?;
        let mut links =
            conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM links WHERE version_id = ?1)")?;
        let mut rows = posts.query(params![param])?;
        while let Some(r) = rows.next()? {
            let post_id: i64 = r.get(0)?;
            let channel_id: i64 = r.get(1)?;
            let version_id: i64 = r.get(3)?;
            let forward_of: Option<Option<i64>> = forward
                .query_row(params![version_id], |r| r.get(0))
                .optional()?;
            let list = |stmt: &mut rusqlite::CachedStatement<'_>| -> rusqlite::Result<Vec<String>> {
                stmt.query_map(params![version_id], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            };
            let edited_mark: bool = r.get(6)?;
            let versions: i64 = r.get(7)?;
            if f(PostForIndex {
                post_id,
                channel_id,
                forwarded: forward_of.is_some(),
                forward_channel_id: forward_of.flatten(),
                text: r.get(4)?,
                hashtags: list(&mut tags)?,
                mentions: list(&mut mentions)?,
                date: r.get(5)?,
                media_kinds: list(&mut media)?,
                has_link: links.query_row(params![version_id], |r| r.get(0))?,
                edited: edited_mark || versions > 1,
                message_id: r.get(2)?,
            })
            .is_break()
            {
                break;
            }
        }
        Ok(())
    }

    fn walk_channel_texts(&self, f: &mut dyn FnMut(ChannelTexts) -> ControlFlow<()>) -> Result<()> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT p.id, p.channel_id, v.text
                 FROM posts p JOIN versions v ON v.id = p.current_version_id
                 ORDER BY p.channel_id, p.id",
        )?;
        let mut rows = stmt.query([])?;
        let mut page = ChannelPager::default();
        while let Some(r) = rows.next()? {
            if page.push(post_text(r)?, f).is_break() {
                return Ok(());
            }
        }
        page.finish(f);
        Ok(())
    }

    fn walk_network_posts(
        &self,
        which: PostSelection<'_>,
        f: &mut dyn FnMut(NetworkRow) -> ControlFlow<()>,
    ) -> Result<()> {
        let conn = self.conn();
        let (filter, param) = match which {
            PostSelection::AfterMark(mark) => (AFTER_MARK, rusqlite::types::Value::Integer(mark)),
            PostSelection::Posts(ids) => (
                "p.id IN (SELECT value FROM json_each(?1))",
                rusqlite::types::Value::Text(
                    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()),
                ),
            ),
        };
        let mut posts = conn.prepare(&format!(
            "SELECT p.id, p.channel_id, v.id, v.date,
                        CASE WHEN v.date IS NULL THEN v.date_inferred END,
                        f.version_id IS NOT NULL, f.channel_id, f.message_id
                 FROM posts p JOIN versions v ON v.id = p.current_version_id
                 LEFT JOIN forwards f ON f.version_id = v.id
                 WHERE {filter}
                 ORDER BY p.id"
        ))?;
        let mut tags =
            conn.prepare_cached("SELECT tag FROM hashtags WHERE version_id = ?1 ORDER BY ord")?;
        let mut mentions = conn
            .prepare_cached("SELECT username FROM mentions WHERE version_id = ?1 ORDER BY ord")?;
        let mut links = conn.prepare_cached(
            "SELECT COALESCE(url, label) FROM links WHERE version_id = ?1 ORDER BY ord",
        )?;
        let mut rows = posts.query(params![param])?;
        while let Some(r) = rows.next()? {
            let version_id: i64 = r.get(2)?;
            let list = |stmt: &mut rusqlite::CachedStatement<'_>| -> rusqlite::Result<Vec<String>> {
                stmt.query_map(params![version_id], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            };
            let forwarded: bool = r.get(5)?;
            if f(NetworkRow {
                post_id: r.get(0)?,
                channel_id: r.get(1)?,
                date: r.get(3)?,
                date_inferred: r.get(4)?,
                forward: if forwarded {
                    Some((r.get(6)?, r.get(7)?))
                } else {
                    None
                },
                mentions: list(&mut mentions)?,
                links: list(&mut links)?,
                hashtags: list(&mut tags)?,
            })
            .is_break()
            {
                break;
            }
        }
        Ok(())
    }
}

fn post_text(r: &rusqlite::Row<'_>) -> rusqlite::Result<PostText> {
    Ok(PostText {
        post_id: r.get(0)?,
        channel_id: r.get(1)?,
        text: r.get(2)?,
    })
}
