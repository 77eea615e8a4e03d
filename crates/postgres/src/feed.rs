//! What derived data is fed (the SQLite store's `index_feed.rs` translated): for the full-text
//! index, each post's current text and the fields search filters on, in post order; for the
//! copy analysis, current texts channel by channel or by id; for the network analysis, each
//! post's forward, mentions, links and tags; and the archive's mark, which here is the
//! versions' commit-ordered `mark` (migration 3), not their ids.
//!
//! The walks read in batches of [`WALK_BATCH`] posts (keyset pagination by post id) and call
//! their callback between batches, with the connection free: a callback may read the archive.

use std::collections::HashMap;
use std::ops::ControlFlow;

use postgres::{Client, Row};
use tgscope_archive::prelude::*;
use tgscope_archive::{
    ChannelPager, ChannelTexts, NetworkRow, PostDate, PostForIndex, PostSelection, PostText, Result,
};

use crate::PgArchive;
use crate::db::Db;
use crate::query::ID_CHUNK;

/// Posts read per statement by a walk.
pub(crate) const WALK_BATCH: i64 = 1_000;

/// The posts with a version newer than the mark `$1` (every post for 0), over `posts p`.
pub(crate) const AFTER_MARK: &str = "($1::bigint = 0 OR (p.id, p.channel_id) IN
     (SELECT n.post_id, n.channel_id FROM version_marks n WHERE n.mark > $1))";

impl FeedReads for PgArchive {
    fn index_mark(&self) -> Result<i64> {
        self.db(|db| {
            Ok(db
                .one(
                    "SELECT COALESCE(MAX(mark), 0)::bigint FROM version_marks",
                    &[],
                )?
                .get(0))
        })
    }

    fn post_texts(&self, post_ids: &[i64]) -> Result<Vec<PostText>> {
        self.db(|db| {
            let mut out = Vec::with_capacity(post_ids.len());
            for ids in post_ids.chunks(ID_CHUNK) {
                let ids = ids.to_vec();
                for r in db.query(
                    "SELECT p.id, p.channel_id, v.text
                     FROM posts p JOIN versions v ON v.id = p.current_version_id
                         AND v.channel_id = p.channel_id
                     WHERE p.id = ANY($1)",
                    &[&ids],
                )? {
                    out.push(post_text(&r));
                }
            }
            out.sort_by_key(|p| p.post_id);
            Ok(out)
        })
    }

    fn post_dates(&self, post_ids: &[i64]) -> Result<Vec<PostDate>> {
        self.db(|db| {
            let mut out = Vec::with_capacity(post_ids.len());
            for ids in post_ids.chunks(ID_CHUNK) {
                let ids = ids.to_vec();
                for r in db.query(
                    "SELECT p.id, p.channel_id, v.date,
                            CASE WHEN v.date IS NULL THEN v.date_inferred END,
                            p.message_id, f.source_channel_id, f.message_id
                     FROM posts p JOIN versions v ON v.id = p.current_version_id
                         AND v.channel_id = p.channel_id
                     LEFT JOIN forwards f ON f.version_id = v.id AND f.channel_id = v.channel_id
                     WHERE p.id = ANY($1)",
                    &[&ids],
                )? {
                    out.push(PostDate {
                        post_id: r.get(0),
                        channel_id: r.get(1),
                        date: r.get(2),
                        date_inferred: r.get(3),
                        message_id: r.get(4),
                        forward_channel_id: r.get(5),
                        forward_message_id: r.get(6),
                    });
                }
            }
            out.sort_by_key(|p| p.post_id);
            Ok(out)
        })
    }

    fn post_texts_after(&self, after_mark: i64, up_to: i64) -> Result<Vec<PostText>> {
        self.db(|db| {
            Ok(db
                .query(
                    "SELECT p.id, p.channel_id, v.text
                     FROM posts p JOIN versions v ON v.id = p.current_version_id
                         AND v.channel_id = p.channel_id
                     WHERE (p.id, p.channel_id) IN
                         (SELECT n.post_id, n.channel_id FROM version_marks n
                          WHERE n.mark > $1 AND n.mark <= $2)
                     ORDER BY p.id",
                    &[&after_mark, &up_to],
                )?
                .iter()
                .map(post_text)
                .collect())
        })
    }

    fn window_end(
        &self,
        after_mark: i64,
        up_to: i64,
        text_bytes: u64,
        max_versions: u32,
    ) -> Result<i64> {
        // `octet_length` of a stored text reads its size, without decompressing it.
        let sizes: Vec<(i64, i64)> = self.db(|db| {
            Ok(db
                .query(
                    "SELECT n.mark, octet_length(v.text)::bigint
                     FROM version_marks n JOIN versions v
                         ON v.id = n.version_id AND v.channel_id = n.channel_id
                     WHERE n.mark > $1 AND n.mark <= $2
                     ORDER BY n.mark LIMIT $3",
                    &[&after_mark, &up_to, &i64::from(max_versions)],
                )?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect())
        })?;
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
        walk(self, which, index_batch, f)
    }

    fn walk_channel_texts(&self, f: &mut dyn FnMut(ChannelTexts) -> ControlFlow<()>) -> Result<()> {
        // Keyset pagination over (channel, post), handed over in pages of one channel.
        let mut after: (i64, i64) = (i64::MIN, i64::MIN);
        let mut page = ChannelPager::default();
        loop {
            let rows = self.db(|db| {
                Ok(db
                    .query(
                        "SELECT p.id, p.channel_id, v.text
                         FROM posts p JOIN versions v ON v.id = p.current_version_id
                             AND v.channel_id = p.channel_id
                         WHERE (p.channel_id, p.id) > ($1, $2)
                         ORDER BY p.channel_id, p.id LIMIT $3",
                        &[&after.0, &after.1, &WALK_BATCH],
                    )?
                    .iter()
                    .map(post_text)
                    .collect::<Vec<_>>())
            })?;
            let done = (rows.len() as i64) < WALK_BATCH;
            for post in rows {
                after = (post.channel_id, post.post_id);
                if page.push(post, f).is_break() {
                    return Ok(());
                }
            }
            if done {
                break;
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
        walk(self, which, network_batch, f)
    }
}

fn post_text(r: &Row) -> PostText {
    PostText {
        post_id: r.get(0),
        channel_id: r.get(1),
        text: r.get(2),
    }
}

/// Which posts of a batch: those after a post id (keyset), or these ids.
enum Batch<'a> {
    AfterMark { mark: i64, after_id: i64 },
    Ids(&'a [i64]),
}

/// Reads a batch of posts, each with its id.
type ReadBatch<T> = fn(&mut Db<'_, Client>, Batch<'_>) -> Result<Vec<(i64, T)>>;

/// Walks the selected posts in batches read by `read` (in post order), calling `f` for each
/// until it breaks; the connection is free while `f` runs.
fn walk<T>(
    archive: &PgArchive,
    which: PostSelection<'_>,
    read: ReadBatch<T>,
    f: &mut dyn FnMut(T) -> ControlFlow<()>,
) -> Result<()> {
    match which {
        PostSelection::AfterMark(mark) => {
            let mut after_id = i64::MIN;
            loop {
                let rows = archive.db(|db| read(db, Batch::AfterMark { mark, after_id }))?;
                let done = (rows.len() as i64) < WALK_BATCH;
                for (id, item) in rows {
                    after_id = id;
                    if f(item).is_break() {
                        return Ok(());
                    }
                }
                if done {
                    return Ok(());
                }
            }
        }
        PostSelection::Posts(ids) => {
            let mut ids = ids.to_vec();
            ids.sort_unstable();
            ids.dedup();
            for chunk in ids.chunks(WALK_BATCH as usize) {
                let rows = archive.db(|db| read(db, Batch::Ids(chunk)))?;
                for (_, item) in rows {
                    if f(item).is_break() {
                        return Ok(());
                    }
                }
            }
            Ok(())
        }
    }
}

/// The posts of a batch, with `columns` of `posts p JOIN versions v` (and what `joins` adds),
/// in post order.
fn batch_rows(
    db: &mut Db<'_, Client>,
    batch: Batch<'_>,
    columns: &str,
    joins: &str,
) -> Result<Vec<Row>> {
    let from = format!(
        "SELECT {columns} FROM posts p JOIN versions v ON v.id = p.current_version_id
             AND v.channel_id = p.channel_id {joins}"
    );
    match batch {
        Batch::AfterMark { mark, after_id } => db.query(
            &format!("{from} WHERE {AFTER_MARK} AND p.id > $2 ORDER BY p.id LIMIT $3"),
            &[&mark, &after_id, &WALK_BATCH],
        ),
        Batch::Ids(ids) => {
            let ids = ids.to_vec();
            db.query(
                &format!("{from} WHERE p.id = ANY($1) ORDER BY p.id"),
                &[&ids],
            )
        }
    }
}

/// The values of one column of a version's part table, by version, in order.
fn lists(
    db: &mut Db<'_, Client>,
    sql: &str,
    versions: &[i64],
) -> Result<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if versions.is_empty() {
        return Ok(out);
    }
    let versions = versions.to_vec();
    for r in db.query(sql, &[&versions])? {
        out.entry(r.get(0)).or_default().push(r.get(1));
    }
    Ok(out)
}

fn index_batch(db: &mut Db<'_, Client>, batch: Batch<'_>) -> Result<Vec<(i64, PostForIndex)>> {
    let rows = batch_rows(
        db,
        batch,
        "p.id, p.channel_id, p.message_id, v.id, v.text, COALESCE(v.date, v.date_inferred),
         COALESCE(v.edited, false),
         (SELECT COUNT(*) FROM versions w WHERE w.post_id = p.id AND w.channel_id = p.channel_id),
         f.version_id IS NOT NULL, f.source_channel_id,
         EXISTS (SELECT 1 FROM links l WHERE l.version_id = v.id AND l.channel_id = v.channel_id)",
        "LEFT JOIN forwards f ON f.version_id = v.id AND f.channel_id = v.channel_id",
    )?;
    let versions: Vec<i64> = rows.iter().map(|r| r.get(3)).collect();
    let mut tags = lists(
        db,
        "SELECT version_id, tag FROM hashtags WHERE version_id = ANY($1)
         ORDER BY version_id, ord",
        &versions,
    )?;
    let mut mentions = lists(
        db,
        "SELECT version_id, username FROM mentions WHERE version_id = ANY($1)
         ORDER BY version_id, ord",
        &versions,
    )?;
    let mut media = lists(
        db,
        "SELECT version_id, kind FROM media WHERE version_id = ANY($1) ORDER BY version_id, ord",
        &versions,
    )?;
    Ok(rows
        .iter()
        .map(|r| {
            let post_id: i64 = r.get(0);
            let version_id: i64 = r.get(3);
            let edited_mark: bool = r.get(6);
            let count: i64 = r.get(7);
            (
                post_id,
                PostForIndex {
                    post_id,
                    channel_id: r.get(1),
                    forwarded: r.get(8),
                    forward_channel_id: r.get(9),
                    text: r.get(4),
                    hashtags: tags.remove(&version_id).unwrap_or_default(),
                    mentions: mentions.remove(&version_id).unwrap_or_default(),
                    date: r.get(5),
                    media_kinds: media.remove(&version_id).unwrap_or_default(),
                    has_link: r.get(10),
                    edited: edited_mark || count > 1,
                    message_id: r.get(2),
                },
            )
        })
        .collect())
}

fn network_batch(db: &mut Db<'_, Client>, batch: Batch<'_>) -> Result<Vec<(i64, NetworkRow)>> {
    let rows = batch_rows(
        db,
        batch,
        "p.id, p.channel_id, v.id, v.date, CASE WHEN v.date IS NULL THEN v.date_inferred END,
         f.version_id IS NOT NULL, f.source_channel_id, f.message_id",
        "LEFT JOIN forwards f ON f.version_id = v.id AND f.channel_id = v.channel_id",
    )?;
    let versions: Vec<i64> = rows.iter().map(|r| r.get(2)).collect();
    let mut tags = lists(
        db,
        "SELECT version_id, tag FROM hashtags WHERE version_id = ANY($1)
         ORDER BY version_id, ord",
        &versions,
    )?;
    let mut mentions = lists(
        db,
        "SELECT version_id, username FROM mentions WHERE version_id = ANY($1)
         ORDER BY version_id, ord",
        &versions,
    )?;
    let mut links = lists(
        db,
        "SELECT version_id, COALESCE(url, label) FROM links WHERE version_id = ANY($1)
         ORDER BY version_id, ord",
        &versions,
    )?;
    Ok(rows
        .iter()
        .map(|r| {
            let post_id: i64 = r.get(0);
            let version_id: i64 = r.get(2);
            let forwarded: bool = r.get(5);
            (
                post_id,
                NetworkRow {
                    post_id,
                    channel_id: r.get(1),
                    date: r.get(3),
                    date_inferred: r.get(4),
                    forward: forwarded.then(|| (r.get(6), r.get(7))),
                    mentions: mentions.remove(&version_id).unwrap_or_default(),
                    links: links.remove(&version_id).unwrap_or_default(),
                    hashtags: tags.remove(&version_id).unwrap_or_default(),
                },
            )
        })
        .collect())
}
