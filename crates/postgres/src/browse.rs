//! Browsing queries: a channel by name, top hashtags and forward sources, a hashtag's
//! channels (the SQLite store's `browse.rs` translated); and a handle that cancels the query
//! the archive's connection is running.

use postgres::NoTls;
use tgscope_archive::prelude::*;
use tgscope_archive::{
    ChannelCount, ChannelInfo, ChannelSummary, Interrupter, Result, SourceCount, TagCount,
};
use tgscope_text::names::{alias_key, bare_name, name_key, tag_key};

use crate::PgArchive;
use crate::db::{signed, unsigned};
use crate::query::{CHANNEL_SUMMARY_COLUMNS, aliases, channel, channel_info, channel_summary};

impl BrowseReads for PgArchive {
    fn interrupter(&self) -> Interrupter {
        let token = self.cancel_token();
        Interrupter::new(move || {
            // Cancelling what runs now; nothing to do when it fails (the query ended).
            let _ = token.cancel_query(NoTls);
        })
    }

    fn channels_named(&self, name: &str) -> Result<Vec<ChannelInfo>> {
        self.db(|db| {
            let name = name.trim();
            if !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_digit())
                && let Ok(id) = name.parse::<i64>()
                && let Some(found) = channel(db, id)?
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
                let rows = db.query(
                    &format!(
                        "SELECT c.id, c.tg_id, c.username, c.title, c.kind FROM channels c
                         WHERE c.id IN (SELECT channel_id FROM channel_aliases
                                        WHERE {column} = $1)
                         ORDER BY c.id"
                    ),
                    &[&key],
                )?;
                if !rows.is_empty() {
                    return Ok(rows.iter().map(|r| channel_info(r, 0)).collect());
                }
            }
            Ok(Vec::new())
        })
    }

    fn channel_summary(&self, id: i64) -> Result<Option<ChannelSummary>> {
        self.db(|db| {
            let Some(row) = db.opt(
                &format!("SELECT {CHANNEL_SUMMARY_COLUMNS} FROM channels c WHERE c.id = $1"),
                &[&id],
            )?
            else {
                return Ok(None);
            };
            let mut summary = channel_summary(&row);
            summary.aliases = aliases(db, Some(id))?.remove(&id).unwrap_or_default();
            Ok(Some(summary))
        })
    }

    fn top_hashtags(
        &self,
        channel_id: Option<i64>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<TagCount>> {
        self.db(|db| {
            let sql = format!(
                "SELECT tag, key, n FROM (
                     SELECT MIN(h.tag COLLATE \"C\") AS tag, h.tag_key AS key,
                            COUNT(DISTINCT p.id) AS n
                     FROM posts p
                     JOIN hashtags h ON h.version_id = p.current_version_id
                         AND h.channel_id = p.channel_id
                     {}
                     GROUP BY h.tag_key) counted
                 ORDER BY n DESC, key COLLATE \"C\" LIMIT $1 OFFSET $2",
                if channel_id.is_some() {
                    "WHERE p.channel_id = $3"
                } else {
                    ""
                }
            );
            let (limit, offset) = (signed(limit), signed(offset));
            let rows = match &channel_id {
                Some(c) => db.query(&sql, &[&limit, &offset, c])?,
                None => db.query(&sql, &[&limit, &offset])?,
            };
            Ok(rows
                .iter()
                .map(|r| TagCount {
                    tag: r.get(0),
                    key: r.get(1),
                    posts: unsigned(r.get(2)),
                })
                .collect())
        })
    }

    fn top_forward_sources(
        &self,
        channel_id: Option<i64>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<SourceCount>> {
        self.db(|db| {
            // Sources the archive knows as channels by channel; the others by their title.
            let sql = format!(
                "SELECT source, username, title, forward_title, n FROM (
                     SELECT MIN(f.source_channel_id) AS source, MIN(c.username) AS username,
                            MIN(c.title) AS title, MIN(f.title COLLATE \"C\") AS forward_title,
                            COUNT(*) AS n
                     FROM posts p
                     JOIN forwards f ON f.version_id = p.current_version_id
                         AND f.channel_id = p.channel_id
                     LEFT JOIN channels c ON c.id = f.source_channel_id
                     {}
                     GROUP BY COALESCE(CAST(f.source_channel_id AS text), 'title:' || f.title))
                     counted
                 ORDER BY n DESC, source NULLS FIRST LIMIT $1 OFFSET $2",
                if channel_id.is_some() {
                    "WHERE p.channel_id = $3"
                } else {
                    ""
                }
            );
            let (limit, offset) = (signed(limit), signed(offset));
            let rows = match &channel_id {
                Some(c) => db.query(&sql, &[&limit, &offset, c])?,
                None => db.query(&sql, &[&limit, &offset])?,
            };
            Ok(rows
                .iter()
                .map(|r| {
                    let channel_id: Option<i64> = r.get(0);
                    let username: Option<String> = r.get(1);
                    let title: Option<String> = r.get::<_, Option<String>>(2).or(r.get(3));
                    let name = username
                        .clone()
                        .or_else(|| title.clone())
                        .or_else(|| channel_id.map(|id| format!("#{id}")))
                        .unwrap_or_else(|| "(unknown)".to_string());
                    SourceCount {
                        channel_id,
                        name,
                        username,
                        title,
                        posts: unsigned(r.get(4)),
                    }
                })
                .collect())
        })
    }

    fn hashtag(&self, tag: &str) -> Result<Option<TagCount>> {
        let key = tag_key(tag);
        self.db(|db| {
            Ok(db
                .opt(
                    "SELECT MIN(h.tag COLLATE \"C\"), h.tag_key, COUNT(DISTINCT p.id) FROM posts p
                     JOIN hashtags h ON h.version_id = p.current_version_id
                         AND h.channel_id = p.channel_id
                     WHERE h.tag_key = $1 GROUP BY h.tag_key",
                    &[&key],
                )?
                .map(|r| TagCount {
                    tag: r.get(0),
                    key: r.get(1),
                    posts: unsigned(r.get(2)),
                }))
        })
    }

    fn hashtag_channels(&self, tag: &str, limit: u64) -> Result<Vec<ChannelCount>> {
        let key = tag_key(tag);
        self.db(|db| {
            Ok(db
                .query(
                    "SELECT c.id, c.tg_id, c.username, c.title, c.kind, COUNT(DISTINCT p.id)
                     FROM posts p JOIN hashtags h ON h.version_id = p.current_version_id
                         AND h.channel_id = p.channel_id
                     JOIN channels c ON c.id = p.channel_id
                     WHERE h.tag_key = $1 GROUP BY c.id ORDER BY 6 DESC, c.id LIMIT $2",
                    &[&key, &signed(limit)],
                )?
                .iter()
                .map(|r| ChannelCount {
                    channel: channel_info(r, 0),
                    posts: unsigned(r.get(5)),
                })
                .collect())
        })
    }
}
