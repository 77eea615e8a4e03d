//! Writing to the archive: captures, channels, posts, versions and sightings, inside one
//! transaction per [`PgWriter`], translated from the SQLite store's writes (`tgscope-store`,
//! `write.rs`). A version's parts (media, links, hashtags, ...) go in one multi-row statement
//! per table; a batch's identity look-ups in one statement ([`PostWrites::identify`]); its
//! sightings wait and go together, in one statement, before the transaction is next read.
//!
//! Concurrency (several processes writing one archive):
//! - the identity look-ups of a channel's posts first take a transaction-level advisory lock on
//!   the channel, so that two writers never both decide that a post is new: writers of one
//!   channel take turns, one transaction at a time; writers of different channels do not wait;
//! - a channel created by name takes advisory locks on its keys first, so that two writers do
//!   not create it twice;
//! - [`ArchiveWriter::commit`] gives the versions the transaction added their marks under
//!   another advisory lock, so that marks follow commit order (see [`MARK_LOCK_KEY`]).
//!
//! A conflict the server detects (a deadlock, a serialization failure, a row added at the same
//! time by another transaction) fails with an error that says to retry
//! ([`crate::PgError::retryable`]).

use std::cell::RefCell;
use std::collections::HashSet;

use postgres::Transaction;
use tgscope_model::{CapturedPost, ChannelRef, Location, ServiceEvent};
use tgscope_text::names::{alias_key, name_key};

use crate::db::{Db, Statements, json, now, pg, signed};
use crate::pending::{MAX_PENDING, Pending, WrittenVersion};
use tgscope_archive::prelude::*;
use tgscope_archive::{ArchiveError, Identity, IdentityAsk, NewCapture, Result};

/// The key of the transaction-level advisory lock under which a committing transaction gives
/// its versions their marks (`tgsmark` in ASCII). Held from the marks' assignment to the
/// commit, it makes marks follow commit order: a transaction that commits later draws larger
/// marks, and one that drew smaller marks has committed (is visible) before a later one can draw
/// any. A reader that caught up to mark `m` therefore misses nothing by reading `mark > m`
/// next time, whatever order the versions' ids were handed out in.
pub const MARK_LOCK_KEY: i64 = 0x0074_6773_6d61_726b;

/// The first key of the two-key advisory locks on a channel's posts (`tgsc`).
const CHANNEL_LOCK_SPACE: i32 = 0x7467_7363;

/// The second key of the advisory lock on a channel's posts: the channel id's low 31 bits (two
/// channels sharing them only wait for each other).
fn channel_lock_key(channel_id: i64) -> i32 {
    (channel_id & 0x7fff_ffff) as i32
}

/// The first key of the two-key advisory locks on a channel's names while it is created
/// (`tgsn`).
const NAME_LOCK_SPACE: i32 = 0x7467_736e;

/// One write transaction. Dropping it without committing it ([`ArchiveWriter::commit`]) rolls
/// everything back.
pub struct PgWriter<'a> {
    tx: RefCell<Transaction<'a>>,
    statements: &'a Statements,
    /// The channels whose posts this transaction has locked.
    locked: RefCell<HashSet<i64>>,
    /// The versions this transaction added (marked at commit).
    inserted: RefCell<Vec<WrittenVersion>>,
    /// Posts, versions (with their parts) and sightings not yet sent: written together, a
    /// statement per table, before anything else reads the transaction (see [`PgWriter::db`]),
    /// when many are waiting, and at commit.
    pending: RefCell<Pending>,
}

impl<'a> PgWriter<'a> {
    pub(crate) fn new(tx: Transaction<'a>, statements: &'a Statements) -> PgWriter<'a> {
        PgWriter {
            tx: RefCell::new(tx),
            statements,
            locked: RefCell::new(HashSet::new()),
            inserted: RefCell::new(Vec::new()),
            pending: RefCell::new(Pending::default()),
        }
    }

    /// Runs `f` on the transaction, after writing what is still waiting (so that `f` reads
    /// every write made before it; stand-in ids given to `f` are resolved with
    /// [`PgWriter::post_id`]). Not to be nested.
    pub(crate) fn db<T>(
        &self,
        f: impl FnOnce(&mut Db<'_, Transaction<'a>>) -> Result<T>,
    ) -> Result<T> {
        let mut tx = self.tx.borrow_mut();
        let mut db = Db {
            client: &mut *tx,
            statements: self.statements,
        };
        let written = self.pending.borrow_mut().flush(&mut db)?;
        self.inserted.borrow_mut().extend(written);
        f(&mut db)
    }

    /// The archive's id of a post known by a stand-in while it waited (any other id as it is).
    pub(crate) fn post_id(&self, id: i64) -> Result<i64> {
        self.pending.borrow().post_id(id)
    }

    /// Sends what waits once enough waits.
    fn send_when_full(&self) -> Result<()> {
        if self.pending.borrow().len() >= MAX_PENDING {
            self.db(|_| Ok(()))?;
        }
        Ok(())
    }

    /// Runs `f`, which reads nothing that waits (it takes a lock), on the transaction, leaving
    /// what waits waiting.
    fn db_adding<T>(&self, f: impl FnOnce(&mut Db<'_, Transaction<'a>>) -> Result<T>) -> Result<T> {
        let mut tx = self.tx.borrow_mut();
        f(&mut Db {
            client: &mut *tx,
            statements: self.statements,
        })
    }

    /// Takes the lock on a channel's posts for the rest of the transaction (once).
    fn lock_channel(&self, db: &mut Db<'_, Transaction<'a>>, channel_id: i64) -> Result<()> {
        if self.locked.borrow().contains(&channel_id) {
            return Ok(());
        }
        db.exec(
            "SELECT pg_advisory_xact_lock($1, $2)",
            &[&CHANNEL_LOCK_SPACE, &channel_lock_key(channel_id)],
        )?;
        self.locked.borrow_mut().insert(channel_id);
        Ok(())
    }
}

impl ArchiveWriter for PgWriter<'_> {
    fn commit(self: Box<Self>) -> Result<()> {
        let PgWriter {
            tx,
            inserted,
            pending,
            statements,
            ..
        } = *self;
        let mut tx = tx.into_inner();
        let mut inserted = inserted.into_inner();
        inserted.extend(pending.into_inner().flush(&mut Db {
            client: &mut tx,
            statements,
        })?);
        if !inserted.is_empty() {
            // Marks in commit order: drawn under a lock that the commit releases.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MARK_LOCK_KEY])
                .map_err(pg)?;
            let channel: Vec<i64> = inserted.iter().map(|v| v.channel_id).collect();
            let version: Vec<i64> = inserted.iter().map(|v| v.id).collect();
            let post: Vec<i64> = inserted.iter().map(|v| v.post_id).collect();
            tx.execute(
                "INSERT INTO version_marks (channel_id, version_id, post_id, mark)
                 SELECT u.channel_id, u.version_id, u.post_id, nextval('versions_mark_seq')
                 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])
                      WITH ORDINALITY AS u (channel_id, version_id, post_id, n)
                 ORDER BY u.n",
                &[&channel, &version, &post],
            )
            .map_err(pg)?;
        }
        tx.commit().map_err(pg)
    }
}

impl PostWrites for PgWriter<'_> {
    fn insert_capture(&self, c: &NewCapture<'_>) -> Result<i64> {
        self.db(|db| {
            Ok(db
                .one(
                    "INSERT INTO captures (sha256, size, format, reader_version, source,
                         channel_id, raw_kept, ingested_at, status)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::timestamptz, 'partial')
                     RETURNING id",
                    &[
                        &c.sha256,
                        &signed(c.size),
                        &c.format,
                        &c.reader_version,
                        &c.source,
                        &c.channel_id,
                        &c.raw_kept,
                        &now(),
                    ],
                )?
                .get(0))
        })
    }

    fn complete_capture(&self, id: i64, posts_seen: u64, warnings: u64) -> Result<()> {
        self.db(|db| {
            db.exec(
                "UPDATE captures SET status = 'complete', completed_at = $2::text::timestamptz,
                     posts_seen = $3, warnings = $4
                 WHERE id = $1",
                &[&id, &now(), &signed(posts_seen), &signed(warnings)],
            )
        })?;
        Ok(())
    }

    fn update_capture_progress(&self, id: i64, posts_seen: u64, warnings: u64) -> Result<()> {
        self.db(|db| {
            db.exec(
                "UPDATE captures SET posts_seen = $2, warnings = $3 WHERE id = $1",
                &[&id, &signed(posts_seen), &signed(warnings)],
            )
        })?;
        Ok(())
    }

    fn set_raw_kept(&self, id: i64) -> Result<()> {
        self.db(|db| db.exec("UPDATE captures SET raw_kept = true WHERE id = $1", &[&id]))?;
        Ok(())
    }

    fn find_channel(&self, r: &ChannelRef) -> Result<Option<i64>> {
        self.db(|db| find_channel(db, r))
    }

    fn ensure_channel(&self, r: &ChannelRef) -> Result<i64> {
        self.db(|db| {
            let id = match find_channel(db, r)? {
                Some(id) => id,
                None => {
                    // Another writer may be creating it: wait for it on the channel's keys,
                    // then look again.
                    let mut keys: Vec<String> = Vec::new();
                    if let Some(tg_id) = r.tg_id {
                        keys.push(format!("tg_id:{tg_id}"));
                    }
                    for (kind, value) in [("username", &r.username), ("title", &r.title)] {
                        if let Some(v) = value {
                            keys.push(format!("{kind}:{}", alias_key(v)));
                        }
                    }
                    db.exec(
                        "SELECT pg_advisory_xact_lock($1, k.key)
                         FROM (SELECT DISTINCT hashtext(x) AS key FROM unnest($2::text[]) x
                               ORDER BY 1) k",
                        &[&NAME_LOCK_SPACE, &keys],
                    )?;
                    match find_channel(db, r)? {
                        Some(id) => id,
                        None => db
                            .one(
                                "INSERT INTO channels (tg_id, username, title, created_at)
                                 VALUES ($1, $2, $3, $4::text::timestamptz) RETURNING id",
                                &[&r.tg_id, &r.username, &r.title, &now()],
                            )?
                            .get(0),
                    }
                }
            };
            if r.tg_id.is_some() || r.kind.is_some() {
                db.exec(
                    "UPDATE channels SET tg_id = COALESCE(tg_id, $2), kind = COALESCE(kind, $3)
                     WHERE id = $1 AND ((tg_id IS NULL AND $2::bigint IS NOT NULL)
                                        OR (kind IS NULL AND $3::text IS NOT NULL))",
                    &[&id, &r.tg_id, &r.kind],
                )?;
            }
            let mut kinds: Vec<&str> = Vec::new();
            let mut aliases: Vec<&str> = Vec::new();
            for (kind, value) in [("username", &r.username), ("title", &r.title)] {
                if let Some(v) = value {
                    kinds.push(kind);
                    aliases.push(v);
                }
            }
            if !aliases.is_empty() {
                let keys: Vec<String> = aliases.iter().map(|a| alias_key(a)).collect();
                let loose: Vec<String> = aliases.iter().map(|a| name_key(a)).collect();
                db.exec(
                    "INSERT INTO channel_aliases (channel_id, kind, alias, alias_key, alias_loose,
                         first_seen)
                     SELECT $1, a.kind, a.alias, a.key, a.loose, $6::text::timestamptz
                     FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
                         WITH ORDINALITY AS a(kind, alias, key, loose, ord)
                     ORDER BY a.ord
                     ON CONFLICT (kind, alias_key) DO NOTHING",
                    &[&id, &kinds, &aliases, &keys, &loose, &now()],
                )?;
                db.exec(
                    "UPDATE channels SET username = COALESCE(username, $2),
                         title = COALESCE(title, $3)
                     WHERE id = $1 AND ((username IS NULL AND $2::text IS NOT NULL)
                                        OR (title IS NULL AND $3::text IS NOT NULL))",
                    &[&id, &r.username, &r.title],
                )?;
            }
            Ok(id)
        })
    }

    /// The whole batch in one statement (one round trip whatever its size), after the locks
    /// on its channels (taken together, in the order of their keys).
    fn identify(&self, capture_id: i64, asks: &[IdentityAsk]) -> Result<Vec<Identity>> {
        if asks.is_empty() {
            return Ok(Vec::new());
        }
        self.db(|db| {
            let mut keys: Vec<i32> = Vec::new();
            {
                let mut locked = self.locked.borrow_mut();
                for ask in asks {
                    if locked.insert(ask.channel_id) {
                        keys.push(channel_lock_key(ask.channel_id));
                    }
                }
            }
            if !keys.is_empty() {
                keys.sort_unstable();
                keys.dedup();
                db.exec(
                    "SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::int[]) AS k ORDER BY k",
                    &[&CHANNEL_LOCK_SPACE, &keys],
                )?;
            }
            let ordinals: Vec<i64> = asks.iter().map(|a| signed(a.ordinal)).collect();
            let channels: Vec<i64> = asks.iter().map(|a| a.channel_id).collect();
            let messages: Vec<Option<i64>> = asks.iter().map(|a| a.message_id).collect();
            let keys: Vec<&str> = asks.iter().map(|a| a.content_key.as_str()).collect();
            // Per ask: whether the capture already has a sighting at its place (a lateral
            // look-up by its key: as `EXISTS` it was planned as a scan of every sighting of the
            // capture, once per batch, which grew with the capture); the post with its
            // message id; the version with its key, within that post when the ask has a
            // message id (by the post's own key: posts without text share keys by the
            // hundred), none when that post does not exist, else the channel's first.
            let rows = db.query(
                "SELECT a.n, s.sighted IS NOT NULL, p.id, v.post_id, v.id
                 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[])
                      WITH ORDINALITY AS a (ordinal, channel_id, message_id, content_key, n)
                 LEFT JOIN LATERAL (
                     SELECT true AS sighted FROM sightings s
                     WHERE s.capture_id = $5 AND s.ordinal = a.ordinal LIMIT 1
                 ) s ON true
                 LEFT JOIN posts p
                        ON p.channel_id = a.channel_id AND p.message_id = a.message_id
                 LEFT JOIN LATERAL (
                     SELECT v.post_id, v.id FROM versions v
                     WHERE a.message_id IS NOT NULL AND v.post_id = p.id
                       AND v.content_key = a.content_key
                       -- `+ 0`: by the post's unique key, not the channel's (shared) one.
                       AND v.channel_id + 0 = a.channel_id
                     UNION ALL
                     (SELECT v.post_id, v.id FROM versions v
                      WHERE a.message_id IS NULL AND v.channel_id = a.channel_id
                        AND v.content_key = a.content_key
                      ORDER BY v.id LIMIT 1)
                     LIMIT 1
                 ) v ON true
                 ORDER BY a.n",
                &[&ordinals, &channels, &messages, &keys, &capture_id],
            )?;
            if rows.len() != asks.len() {
                return Err(ArchiveError::Corrupt(format!(
                    "{} identities answered for {} posts asked",
                    rows.len(),
                    asks.len()
                )));
            }
            Ok(rows
                .iter()
                .map(|r| {
                    let post: Option<i64> = r.get(3);
                    let version: Option<i64> = r.get(4);
                    Identity {
                        sighted: r.get(1),
                        post_id: r.get(2),
                        version: post.zip(version),
                    }
                })
                .collect())
        })
    }

    fn sighting_exists(&self, capture_id: i64, ordinal: u64) -> Result<bool> {
        self.db(|db| {
            Ok(db
                .opt(
                    "SELECT 1 FROM sightings WHERE capture_id = $1 AND ordinal = $2 LIMIT 1",
                    &[&capture_id, &signed(ordinal)],
                )?
                .is_some())
        })
    }

    fn post_by_message_id(&self, channel_id: i64, message_id: i64) -> Result<Option<i64>> {
        self.db(|db| {
            self.lock_channel(db, channel_id)?;
            Ok(db
                .opt(
                    "SELECT id FROM posts WHERE channel_id = $1 AND message_id = $2",
                    &[&channel_id, &message_id],
                )?
                .map(|r| r.get(0)))
        })
    }

    fn version_by_key(
        &self,
        channel_id: i64,
        post_id: Option<i64>,
        content_key: &str,
    ) -> Result<Option<(i64, i64)>> {
        self.db(|db| {
            self.lock_channel(db, channel_id)?;
            let row = match post_id {
                Some(post) => db.opt(
                    "SELECT post_id, id FROM versions
                     WHERE post_id = $1 AND content_key = $2 AND channel_id = $3",
                    &[&post, &content_key, &channel_id],
                )?,
                None => db.opt(
                    "SELECT post_id, id FROM versions WHERE channel_id = $1 AND content_key = $2
                     ORDER BY id LIMIT 1",
                    &[&channel_id, &content_key],
                )?,
            };
            Ok(row.map(|r| (r.get(0), r.get(1))))
        })
    }

    fn id_less_version_by_key(
        &self,
        channel_id: i64,
        content_key: &str,
    ) -> Result<Option<(i64, i64)>> {
        self.db(|db| {
            self.lock_channel(db, channel_id)?;
            Ok(db
                .opt(
                    "SELECT v.post_id, v.id FROM versions v
                     JOIN posts p ON p.id = v.post_id AND p.channel_id = v.channel_id
                     WHERE v.channel_id = $1 AND v.content_key = $2 AND p.message_id IS NULL
                     ORDER BY v.id LIMIT 1",
                    &[&channel_id, &content_key],
                )?
                .map(|r| (r.get(0), r.get(1))))
        })
    }

    fn channel_has_id_less_posts(&self, channel_id: i64) -> Result<bool> {
        self.db(|db| {
            self.lock_channel(db, channel_id)?;
            Ok(db
                .one(
                    "SELECT EXISTS (SELECT 1 FROM posts WHERE channel_id = $1
                                    AND message_id IS NULL)",
                    &[&channel_id],
                )?
                .get(0))
        })
    }

    fn set_message_id(&self, post_id: i64, message_id: i64) -> Result<()> {
        self.db(|db| {
            let post_id = self.post_id(post_id)?;
            db.exec(
                "UPDATE posts SET message_id = $2 WHERE id = $1 AND message_id IS NULL",
                &[&post_id, &message_id],
            )
        })?;
        Ok(())
    }

    fn edit_candidates(
        &self,
        channel_id: i64,
        lead_key: &str,
        tail_key: &str,
        capture_id: i64,
    ) -> Result<Vec<(i64, String)>> {
        self.db(|db| {
            self.lock_channel(db, channel_id)?;
            // At most 50 posts by their first line, then 50 by their last, as on SQLite; those
            // the capture has shown already left out.
            let rows = db.query(
                "SELECT c.id, c.text FROM (
                     (SELECT 0 AS k, p.id, v.text FROM posts p
                      JOIN versions v ON v.id = p.current_version_id
                          AND v.channel_id = p.channel_id
                      WHERE p.channel_id = $1 AND p.lead_key = $2 AND p.message_id IS NULL
                      ORDER BY p.id LIMIT 50)
                     UNION ALL
                     (SELECT 1 AS k, p.id, v.text FROM posts p
                      JOIN versions v ON v.id = p.current_version_id
                          AND v.channel_id = p.channel_id
                      WHERE p.channel_id = $1 AND p.tail_key = $3 AND p.message_id IS NULL
                      ORDER BY p.id LIMIT 50)
                 ) c
                 WHERE NOT EXISTS (SELECT 1 FROM versions v
                                   JOIN sightings s ON s.version_id = v.id
                                       AND s.channel_id = v.channel_id
                                   WHERE v.post_id = c.id AND v.channel_id = $1
                                     AND s.capture_id = $4)
                 ORDER BY c.k, c.id",
                &[&channel_id, &lead_key, &tail_key, &capture_id],
            )?;
            let mut out: Vec<(i64, String)> = Vec::with_capacity(rows.len());
            for row in rows {
                let id: i64 = row.get(0);
                if !out.iter().any(|(seen, _)| *seen == id) {
                    out.push((id, row.get(1)));
                }
            }
            Ok(out)
        })
    }

    fn insert_post(
        &self,
        channel_id: i64,
        message_id: Option<i64>,
        lead_key: &str,
        tail_key: &str,
        capture_id: i64,
    ) -> Result<i64> {
        self.db_adding(|db| self.lock_channel(db, channel_id))?;
        let id = self.pending.borrow_mut().add_post(
            channel_id,
            message_id,
            lead_key,
            tail_key,
            capture_id,
            now(),
        );
        self.send_when_full()?;
        Ok(id)
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
        self.db_adding(|db| self.lock_channel(db, channel_id))?;
        let id = self.pending.borrow_mut().add_version(
            post_id,
            channel_id,
            content_key,
            post,
            capture_id,
            now(),
            forward_channel_id,
        );
        self.send_when_full()?;
        Ok(id)
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
        self.pending
            .borrow_mut()
            .add_sighting(version_id, capture_id, ordinal, location, views, edited);
        self.send_when_full()
    }

    fn insert_event(
        &self,
        channel_id: i64,
        capture_id: i64,
        ordinal: u64,
        event: &ServiceEvent,
    ) -> Result<()> {
        let loc = &event.location;
        let details = (!event.details.is_empty()).then(|| json(&event.details));
        self.db(|db| {
            db.exec(
                "INSERT INTO events (channel_id, capture_id, ordinal, message_id, date,
                     actor_name, actor_id, action, text, details, locator, line_start, line_end,
                     byte_start, byte_end)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb, $11, $12, $13,
                     $14, $15)
                 ON CONFLICT (capture_id, ordinal, channel_id) DO NOTHING",
                &[
                    &channel_id,
                    &capture_id,
                    &signed(ordinal),
                    &event.message_id,
                    &event.date,
                    &event.actor.as_ref().and_then(|a| a.name.as_deref()),
                    &event.actor.as_ref().and_then(|a| a.id.as_deref()),
                    &event.action,
                    &event.text,
                    &details,
                    &loc.locator,
                    &signed(loc.line_start),
                    &signed(loc.line_end),
                    &signed(loc.byte_start),
                    &signed(loc.byte_end),
                ],
            )
        })?;
        Ok(())
    }

    fn set_events_seen(&self, capture_id: i64, events: u64) -> Result<()> {
        self.db(|db| {
            db.exec(
                "UPDATE captures SET events_seen = $2 WHERE id = $1",
                &[&capture_id, &signed(events)],
            )
        })?;
        Ok(())
    }
}

/// Finds the channel a reference names: by numeric id, then username, then title (each by its
/// key, case-insensitive).
pub(crate) fn find_channel<C: postgres::GenericClient>(
    db: &mut Db<'_, C>,
    r: &ChannelRef,
) -> Result<Option<i64>> {
    if let Some(tg_id) = r.tg_id
        && let Some(row) = db.opt("SELECT id FROM channels WHERE tg_id = $1", &[&tg_id])?
    {
        return Ok(Some(row.get(0)));
    }
    for (kind, value) in [("username", &r.username), ("title", &r.title)] {
        if let Some(v) = value
            && let Some(row) = db.opt(
                "SELECT channel_id FROM channel_aliases WHERE kind = $1 AND alias_key = $2",
                &[&kind, &alias_key(v)],
            )?
        {
            return Ok(Some(row.get(0)));
        }
    }
    Ok(None)
}
