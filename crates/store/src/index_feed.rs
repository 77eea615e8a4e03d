//! What derived data is fed: for the full-text index, each post's current text and the fields
//! search filters on, read in post order; for the copy analysis, current texts channel by
//! channel or by id; and the archive's mark that says how far derived data has caught up.

use rusqlite::{OptionalExtension, params};

use crate::Store;
use tgscope_archive::{ArchiveError, Result};
use tgscope_archive::{NetworkRow, PostDate, PostForIndex, PostText};

/// Why a walk over the posts stopped: the archive failed, or the caller said so.
enum Stop<E> {
    Store(ArchiveError),
    Callback(E),
}

impl<E> From<rusqlite::Error> for Stop<E> {
    fn from(e: rusqlite::Error) -> Self {
        Stop::Store(ArchiveError::from(e))
    }
}

impl<E> From<ArchiveError> for Stop<E> {
    fn from(e: ArchiveError) -> Self {
        Stop::Store(e)
    }
}

/// Which posts a walk for the index reads.
enum Which<'a> {
    /// Those with a version newer than the mark (every post for 0).
    AfterMark(i64),
    /// These, by archive id.
    Posts(&'a [i64]),
}

impl Store {
    /// The archive's mark for the index: the newest version's id. Versions are only ever
    /// added, so an index that recorded this mark holds every version up to it.
    pub fn index_mark(&self) -> Result<i64> {
        Ok(self
            .conn()
            .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM versions")?
            .query_row([], |r| r.get(0))?)
    }

    /// Calls `f` for every post with a version newer than `after_mark` (every post when it is
    /// 0), in post order; an error of `f` stops the walk and is returned.
    pub fn for_each_post_for_index<E: From<ArchiveError>>(
        &self,
        after_mark: i64,
        mut f: impl FnMut(PostForIndex) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.walk_posts_for_index(Which::AfterMark(after_mark), &mut |post| {
            f(post).map_err(Stop::Callback)
        })
        .map_err(|stop| match stop {
            Stop::Store(e) => E::from(e),
            Stop::Callback(e) => e,
        })
    }

    /// Calls `f` for each of these posts (by archive id, in post order) as the index needs it:
    /// for posts whose versions changed in place (an observed date replacing an inferred one),
    /// which the archive's mark does not see.
    pub fn for_each_post_for_index_of<E: From<ArchiveError>>(
        &self,
        post_ids: &[i64],
        mut f: impl FnMut(PostForIndex) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.walk_posts_for_index(Which::Posts(post_ids), &mut |post| {
            f(post).map_err(Stop::Callback)
        })
        .map_err(|stop| match stop {
            Stop::Store(e) => E::from(e),
            Stop::Callback(e) => e,
        })
    }

    fn walk_posts_for_index<E>(
        &self,
        which: Which<'_>,
        f: &mut dyn FnMut(PostForIndex) -> std::result::Result<(), Stop<E>>,
    ) -> std::result::Result<(), Stop<E>> {
        let conn = self.conn();
        let (filter, param) = match which {
            Which::AfterMark(after_mark) => (
                "?1 = 0 OR EXISTS (SELECT 1 FROM versions n WHERE n.post_id = p.id AND n.id > ?1)",
                rusqlite::types::Value::Integer(after_mark),
            ),
            Which::Posts(ids) => (
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
            f(PostForIndex {
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
            })?;
        }
        Ok(())
    }

    /// Calls `f` with the current text of every post, one channel at a time (a channel's
    /// posts together, in post order; channels by id): the copy analysis learns each
    /// channel's boilerplate from its posts. An error of `f` stops the walk.
    pub fn for_each_channel_texts<E: From<ArchiveError>>(
        &self,
        mut f: impl FnMut(Vec<PostText>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT p.id, p.channel_id, v.text
                 FROM posts p JOIN versions v ON v.id = p.current_version_id
                 ORDER BY p.channel_id, p.id",
            )
            .map_err(|e| E::from(e.into()))?;
        let mut rows = stmt.query([]).map_err(|e| E::from(e.into()))?;
        let mut batch: Vec<PostText> = Vec::new();
        while let Some(r) = rows.next().map_err(|e| E::from(e.into()))? {
            let post = post_text(r).map_err(|e| E::from(e.into()))?;
            if batch
                .last()
                .is_some_and(|b| b.channel_id != post.channel_id)
            {
                f(std::mem::take(&mut batch))?;
            }
            batch.push(post);
        }
        if !batch.is_empty() {
            f(batch)?;
        }
        Ok(())
    }

    /// The current text of these posts (those the archive has), in post order.
    pub fn post_texts(&self, post_ids: &[i64]) -> Result<Vec<PostText>> {
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

    /// The dates of these posts' current versions (those the archive has), in post order.
    pub fn post_dates(&self, post_ids: &[i64]) -> Result<Vec<PostDate>> {
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

    /// The current text of the posts with a version newer than `after_mark`, in post order.
    pub fn post_texts_after(&self, after_mark: i64) -> Result<Vec<PostText>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT p.id, p.channel_id, v.text
             FROM posts p JOIN versions v ON v.id = p.current_version_id
             WHERE EXISTS (SELECT 1 FROM versions n WHERE n.post_id = p.id AND n.id > ?1)
             ORDER BY p.id",
        )?;
        let rows = stmt.query_map(params![after_mark], post_text)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

impl Store {
    /// Calls `f` for every post with a version newer than `after_mark` (every post when it is
    /// 0), in post order, as the network analysis needs it; an error of `f` stops the walk.
    pub fn for_each_network_post<E: From<ArchiveError>>(
        &self,
        after_mark: i64,
        f: impl FnMut(NetworkRow) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.walk_network_posts(Which::AfterMark(after_mark), f)
    }

    /// [`Store::for_each_network_post`] for these posts (those the archive has), in post order.
    pub fn for_each_network_post_of<E: From<ArchiveError>>(
        &self,
        post_ids: &[i64],
        f: impl FnMut(NetworkRow) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.walk_network_posts(Which::Posts(post_ids), f)
    }

    fn walk_network_posts<E: From<ArchiveError>>(
        &self,
        which: Which<'_>,
        mut f: impl FnMut(NetworkRow) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut walk = || -> std::result::Result<(), Stop<E>> {
            let conn = self.conn();
            let (filter, param) = match which {
                Which::AfterMark(mark) => (
                    "?1 = 0 OR EXISTS (SELECT 1 FROM versions n WHERE n.post_id = p.id AND n.id > ?1)",
                    rusqlite::types::Value::Integer(mark),
                ),
                Which::Posts(ids) => (
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
            let mut mentions = conn.prepare_cached(
                "SELECT username FROM mentions WHERE version_id = ?1 ORDER BY ord",
            )?;
            let mut links = conn.prepare_cached(
                "SELECT COALESCE(url, label) FROM links WHERE version_id = ?1 ORDER BY ord",
            )?;
            let mut rows = posts.query(params![param])?;
            while let Some(r) = rows.next()? {
                let version_id: i64 = r.get(2)?;
                let list =
                    |stmt: &mut rusqlite::CachedStatement<'_>| -> rusqlite::Result<Vec<String>> {
                        stmt.query_map(params![version_id], |r| r.get::<_, String>(0))?
                            .collect::<rusqlite::Result<Vec<_>>>()
                    };
                let forwarded: bool = r.get(5)?;
                f(NetworkRow {
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
                .map_err(Stop::Callback)?;
            }
            Ok(())
        };
        walk().map_err(|stop| match stop {
            Stop::Store(e) => E::from(e),
            Stop::Callback(e) => e,
        })
    }
}

fn post_text(r: &rusqlite::Row<'_>) -> rusqlite::Result<PostText> {
    Ok(PostText {
        post_id: r.get(0)?,
        channel_id: r.get(1)?,
        text: r.get(2)?,
    })
}
