//! Browsing queries: a channel by name, top hashtags and forward sources, a hashtag's channels.
//!
//! Also a handle that interrupts a running query.

use rusqlite::{OptionalExtension, params};

use crate::Store;
use tgscope_archive::Result;
use tgscope_archive::prelude::*;
use tgscope_archive::{
    ChannelCount, ChannelInfo, ChannelSummary, Interrupter, SourceCount, TagCount,
};
use tgscope_text::names::{alias_key, bare_name, name_key, tag_key};

impl BrowseReads for Store {
    fn interrupter(&self) -> Interrupter {
        let handle = self.conn().get_interrupt_handle();
        Interrupter::new(move || handle.interrupt())
    }

    fn channels_named(&self, name: &str) -> Result<Vec<ChannelInfo>> {
        let conn = self.conn();
        let name = name.trim();
        if !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_digit())
            && let Ok(id) = name.parse::<i64>()
            && let Some(found) = self.channel(id)?
        {
            return Ok(vec![found]);
        }
        let bare = bare_name(name);
        for (column, key) in [
            ("alias_key", alias_key(bare)),
            ("alias_loose", name_key(bare)),
        ] {
            if key.is_empty() {
                continue;
            }
            let ids = conn
                .prepare_cached(&format!(
                    "SELECT DISTINCT channel_id FROM channel_aliases WHERE {column} = ?1
                     ORDER BY channel_id"
                ))?
                .query_map(params![key], |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            if !ids.is_empty() {
                let mut found = Vec::with_capacity(ids.len());
                for id in ids {
                    found.extend(self.channel(id)?);
                }
                return Ok(found);
            }
        }
        Ok(Vec::new())
    }

    fn channel_summary(&self, id: i64) -> Result<Option<ChannelSummary>> {
        let conn = self.conn();
        let summary = conn
            .prepare_cached(
                "SELECT c.id, c.tg_id, c.username, c.title, c.kind,
                    (SELECT COUNT(*) FROM posts p WHERE p.channel_id = c.id),
                    (SELECT COUNT(*) FROM posts p
                        JOIN forwards f ON f.version_id = p.current_version_id
                        WHERE p.channel_id = c.id),
                    (SELECT COUNT(*) FROM posts p
                        JOIN forwards f ON f.version_id = p.current_version_id
                        WHERE f.channel_id = c.id),
                    (SELECT MIN(substr(COALESCE(v.date, v.date_inferred), 1, 10)) FROM posts p
                        JOIN versions v ON v.id = p.current_version_id WHERE p.channel_id = c.id),
                    (SELECT MAX(substr(COALESCE(v.date, v.date_inferred), 1, 10)) FROM posts p
                        JOIN versions v ON v.id = p.current_version_id WHERE p.channel_id = c.id)
                 FROM channels c WHERE c.id = ?1",
            )?
            .query_row(params![id], |r| {
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
            })
            .optional()?;
        let Some(mut summary) = summary else {
            return Ok(None);
        };
        summary.aliases = conn
            .prepare_cached(
                "SELECT alias FROM channel_aliases WHERE channel_id = ?1
                 ORDER BY kind DESC, first_seen",
            )?
            .query_map(params![id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Some(summary))
    }

    fn top_hashtags(
        &self,
        channel_id: Option<i64>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<TagCount>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT MIN(h.tag), h.tag_key, COUNT(DISTINCT p.id) FROM posts p
                 JOIN hashtags h ON h.version_id = p.current_version_id
                 WHERE (?1 IS NULL OR p.channel_id = ?1)
                 GROUP BY h.tag_key ORDER BY 3 DESC, 2 LIMIT ?2 OFFSET ?3",
            )?
            .query_map(params![channel_id, clamp(limit), clamp(offset)], |r| {
                Ok(TagCount {
                    tag: r.get(0)?,
                    key: r.get(1)?,
                    posts: r.get::<_, i64>(2)? as u64,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn top_forward_sources(
        &self,
        channel_id: Option<i64>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<SourceCount>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT f.channel_id, c.username, c.title, MIN(f.title), COUNT(*) FROM posts p
                 JOIN forwards f ON f.version_id = p.current_version_id
                 LEFT JOIN channels c ON c.id = f.channel_id
                 WHERE (?1 IS NULL OR p.channel_id = ?1)
                 GROUP BY COALESCE(CAST(f.channel_id AS TEXT), 'title:' || f.title)
                 ORDER BY 5 DESC, 1 LIMIT ?2 OFFSET ?3",
            )?
            .query_map(params![channel_id, clamp(limit), clamp(offset)], |r| {
                let username: Option<String> = r.get(1)?;
                let title: Option<String> = r.get(2)?;
                let forward_title: Option<String> = r.get(3)?;
                let title = title.or(forward_title);
                let channel_id: Option<i64> = r.get(0)?;
                let name = username
                    .clone()
                    .or_else(|| title.clone())
                    .or_else(|| channel_id.map(|id| format!("#{id}")))
                    .unwrap_or_else(|| "(unknown)".to_string());
                Ok(SourceCount {
                    channel_id,
                    name,
                    username,
                    title,
                    posts: r.get::<_, i64>(4)? as u64,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn hashtag(&self, tag: &str) -> Result<Option<TagCount>> {
        let key = tag_key(tag);
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT MIN(h.tag), h.tag_key, COUNT(DISTINCT p.id) FROM posts p
                 JOIN hashtags h ON h.version_id = p.current_version_id
                 WHERE h.tag_key = ?1 GROUP BY h.tag_key",
            )?
            .query_row(params![key], |r| {
                Ok(TagCount {
                    tag: r.get(0)?,
                    key: r.get(1)?,
                    posts: r.get::<_, i64>(2)? as u64,
                })
            })
            .optional()?)
    }

    fn hashtag_channels(&self, tag: &str, limit: u64) -> Result<Vec<ChannelCount>> {
        let key = tag_key(tag);
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT c.id, c.tg_id, c.username, c.title, c.kind, COUNT(DISTINCT p.id)
                 FROM posts p JOIN hashtags h ON h.version_id = p.current_version_id
                 JOIN channels c ON c.id = p.channel_id
                 WHERE h.tag_key = ?1 GROUP BY c.id ORDER BY 6 DESC, c.id LIMIT ?2",
            )?
            .query_map(params![key, clamp(limit)], |r| {
                Ok(ChannelCount {
                    channel: ChannelInfo {
                        id: r.get(0)?,
                        tg_id: r.get(1)?,
                        username: r.get(2)?,
                        title: r.get(3)?,
                        kind: r.get(4)?,
                    },
                    posts: r.get::<_, i64>(5)? as u64,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

/// SQLite integers are signed: a limit beyond `i64::MAX` is "no limit" anyway.
fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
