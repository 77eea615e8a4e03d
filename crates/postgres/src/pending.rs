//! The writes a [`PgWriter`](crate::write::PgWriter) holds back: posts, versions with their
//! parts, and sightings, sent together in a few multi-row statements (one per table) before the
//! transaction is next read and at commit, instead of one round trip each.
//!
//! A post or version added is known to the caller by a stand-in id (negative: `-1`, `-2`, ...,
//! in the order they were added) until it is sent; then the archive's id takes its place, and
//! every later call that names the stand-in is given the id (see [`Pending::post_id`]). Ids are
//! drawn from the tables' sequences in the order the rows were added, as one row at a time
//! would draw them, so that a serial ingest numbers its posts and versions as the embedded
//! archive does.

use std::collections::{HashMap, HashSet};

use tgscope_archive::{ArchiveError, Result};
use tgscope_model::{CapturedPost, Location};
use tgscope_text::names::tag_key;

use crate::db::{Db, json, signed};

/// How many rows may wait before they are sent.
pub(crate) const MAX_PENDING: usize = 1000;

/// A post waiting to be written.
struct PendingPost {
    channel_id: i64,
    message_id: Option<i64>,
    lead_key: String,
    tail_key: String,
    capture_id: i64,
    created: String,
}

/// A version waiting to be written, with everything its parts need.
struct PendingVersion {
    /// Its post: a stand-in or an id.
    post_id: i64,
    channel_id: i64,
    content_key: String,
    post: CapturedPost,
    capture_id: i64,
    created: String,
    forward_channel_id: Option<i64>,
}

/// A sighting waiting to be written.
struct PendingSighting {
    /// Its version: a stand-in or an id.
    version_id: i64,
    capture_id: i64,
    ordinal: u64,
    location: Location,
    views: Option<u64>,
    edited: Option<bool>,
}

/// A version sent to the database, as its mark is recorded at commit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WrittenVersion {
    pub(crate) id: i64,
    pub(crate) post_id: i64,
    pub(crate) channel_id: i64,
}

/// What a writer holds back, and the ids its stand-ins became.
#[derive(Default)]
pub(crate) struct Pending {
    posts: Vec<PendingPost>,
    versions: Vec<PendingVersion>,
    sightings: Vec<PendingSighting>,
    /// Stand-ins handed out so far (the next is one less).
    post_stand_ins: i64,
    version_stand_ins: i64,
    /// The ids of stand-ins sent.
    post_ids: HashMap<i64, i64>,
    version_ids: HashMap<i64, i64>,
}

impl Pending {
    /// Rows waiting.
    pub(crate) fn len(&self) -> usize {
        self.posts.len() + self.versions.len() + self.sightings.len()
    }

    /// Holds a post back; its stand-in id.
    pub(crate) fn add_post(
        &mut self,
        channel_id: i64,
        message_id: Option<i64>,
        lead_key: &str,
        tail_key: &str,
        capture_id: i64,
        created: String,
    ) -> i64 {
        self.posts.push(PendingPost {
            channel_id,
            message_id,
            lead_key: lead_key.to_string(),
            tail_key: tail_key.to_string(),
            capture_id,
            created,
        });
        self.post_stand_ins -= 1;
        self.post_stand_ins
    }

    /// Holds a version back; its stand-in id.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add_version(
        &mut self,
        post_id: i64,
        channel_id: i64,
        content_key: &str,
        post: &CapturedPost,
        capture_id: i64,
        created: String,
        forward_channel_id: Option<i64>,
    ) -> i64 {
        self.versions.push(PendingVersion {
            post_id,
            channel_id,
            content_key: content_key.to_string(),
            post: post.clone(),
            capture_id,
            created,
            forward_channel_id,
        });
        self.version_stand_ins -= 1;
        self.version_stand_ins
    }

    /// Holds a sighting back.
    pub(crate) fn add_sighting(
        &mut self,
        version_id: i64,
        capture_id: i64,
        ordinal: u64,
        location: &Location,
        views: Option<u64>,
        edited: Option<bool>,
    ) {
        self.sightings.push(PendingSighting {
            version_id,
            capture_id,
            ordinal,
            location: location.clone(),
            views,
            edited,
        });
    }

    /// The archive's id of a post: `id` itself, or the id its stand-in became once sent.
    pub(crate) fn post_id(&self, id: i64) -> Result<i64> {
        if id >= 0 {
            return Ok(id);
        }
        self.post_ids
            .get(&id)
            .copied()
            .ok_or_else(|| ArchiveError::Corrupt(format!("post {id} was not written")))
    }

    /// The archive's id of a version (as [`Pending::post_id`]).
    pub(crate) fn version_id(&self, id: i64) -> Result<i64> {
        if id >= 0 {
            return Ok(id);
        }
        self.version_ids
            .get(&id)
            .copied()
            .ok_or_else(|| ArchiveError::Corrupt(format!("version {id} was not written")))
    }

    /// Sends everything waiting: posts, then versions (each post pointing at its newest), their
    /// parts, then sightings. Returns the versions written (the commit marks them).
    pub(crate) fn flush<C: postgres::GenericClient>(
        &mut self,
        db: &mut Db<'_, C>,
    ) -> Result<Vec<WrittenVersion>> {
        let version_ids = self.draw_version_ids(db)?;
        let pointed = self.flush_posts(db, &version_ids)?;
        let versions = self.flush_versions(db, version_ids, &pointed)?;
        self.flush_sightings(db)?;
        Ok(versions)
    }

    /// The ids of the versions waiting, drawn from their sequence in the order the versions
    /// were added, before any is written: so that a new post goes in already pointing at its
    /// newest version (PostgreSQL writes an updated row anew, whole, which doubled the posts'
    /// writes).
    fn draw_version_ids<C: postgres::GenericClient>(&self, db: &mut Db<'_, C>) -> Result<Vec<i64>> {
        if self.versions.is_empty() {
            return Ok(Vec::new());
        }
        let n = self.versions.len() as i64;
        let mut ids: Vec<i64> = db
            .query(
                "SELECT nextval('versions_id_seq') FROM generate_series(1, $1::bigint)",
                &[&n],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        // One session's draws increase; sorted, the k-th is the k-th version's.
        ids.sort_unstable();
        if ids.len() != self.versions.len() {
            return Err(ArchiveError::Corrupt(format!(
                "{} version ids drawn for {} versions",
                ids.len(),
                self.versions.len()
            )));
        }
        Ok(ids)
    }

    /// Sends the posts waiting, each pointing at its newest version waiting. Returns the
    /// stand-ins of the posts that went in pointing at one.
    fn flush_posts<C: postgres::GenericClient>(
        &mut self,
        db: &mut Db<'_, C>,
        version_ids: &[i64],
    ) -> Result<HashSet<i64>> {
        if self.posts.is_empty() {
            return Ok(HashSet::new());
        }
        let posts = std::mem::take(&mut self.posts);
        // Each new post's newest waiting version (the later of a post's versions has the larger
        // id), by the post's stand-in.
        let mut newest: HashMap<i64, i64> = HashMap::new();
        for (version, &id) in self.versions.iter().zip(version_ids) {
            if version.post_id < 0 {
                newest.insert(version.post_id, id);
            }
        }
        // The stand-ins of these posts: the last ones handed out, in order.
        let first = self.post_stand_ins + posts.len() as i64 - 1;
        let current: Vec<Option<i64>> = (0..posts.len())
            .map(|k| newest.get(&(first - k as i64)).copied())
            .collect();
        let channel: Vec<i64> = posts.iter().map(|p| p.channel_id).collect();
        let message: Vec<Option<i64>> = posts.iter().map(|p| p.message_id).collect();
        let lead: Vec<&str> = posts.iter().map(|p| p.lead_key.as_str()).collect();
        let tail: Vec<&str> = posts.iter().map(|p| p.tail_key.as_str()).collect();
        let capture: Vec<i64> = posts.iter().map(|p| p.capture_id).collect();
        let created: Vec<&str> = posts.iter().map(|p| p.created.as_str()).collect();
        let rows = db.query(
            "INSERT INTO posts (channel_id, message_id, lead_key, tail_key, first_capture_id,
                 created_at, current_version_id)
             SELECT u.channel_id, u.message_id, u.lead_key, u.tail_key, u.capture_id,
                 u.created::timestamptz, u.current
             FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[],
                         $6::text[], $7::bigint[])
                  WITH ORDINALITY AS u (channel_id, message_id, lead_key, tail_key, capture_id,
                      created, current, n)
             ORDER BY u.n
             RETURNING id, channel_id, message_id",
            &[
                &channel, &message, &lead, &tail, &capture, &created, &current,
            ],
        )?;
        let rows = in_id_order(rows, posts.len(), "posts")?;
        for (k, (row, post)) in rows.iter().zip(&posts).enumerate() {
            let (channel_id, message_id): (i64, Option<i64>) = (row.get(1), row.get(2));
            if (channel_id, message_id) != (post.channel_id, post.message_id) {
                return Err(out_of_order("posts"));
            }
            self.post_ids.insert(first - k as i64, row.get(0));
        }
        Ok((0..posts.len())
            .map(|k| first - k as i64)
            .filter(|stand_in| newest.contains_key(stand_in))
            .collect())
    }

    fn flush_versions<C: postgres::GenericClient>(
        &mut self,
        db: &mut Db<'_, C>,
        version_ids: Vec<i64>,
        pointed: &HashSet<i64>,
    ) -> Result<Vec<WrittenVersion>> {
        if self.versions.is_empty() {
            return Ok(Vec::new());
        }
        let versions = std::mem::take(&mut self.versions);
        // The versions of posts that did not go in pointing at them (posts written before):
        // their posts' current version changes here.
        let of_existing: Vec<bool> = versions
            .iter()
            .map(|v| !pointed.contains(&v.post_id))
            .collect();
        let post_ids: Vec<i64> = versions
            .iter()
            .map(|v| self.post_id(v.post_id))
            .collect::<Result<_>>()?;
        let channel: Vec<i64> = versions.iter().map(|v| v.channel_id).collect();
        let key: Vec<&str> = versions.iter().map(|v| v.content_key.as_str()).collect();
        let p = |f: fn(&CapturedPost) -> Option<&str>| -> Vec<Option<&str>> {
            versions.iter().map(|v| f(&v.post)).collect()
        };
        let text: Vec<&str> = versions.iter().map(|v| v.post.text.as_str()).collect();
        // The raw text only when cleaning changed it (migration 6).
        let raw_text: Vec<Option<&str>> = versions
            .iter()
            .map(|v| (v.post.raw_text != v.post.text).then_some(v.post.raw_text.as_str()))
            .collect();
        let date = p(|p| p.date.as_deref());
        let date_inferred = p(|p| p.date_inferred.as_ref().map(|d| d.date.as_str()));
        let basis = p(|p| p.date_inferred.as_ref().map(|d| d.basis.as_str()));
        let evidence = p(|p| p.date_inferred.as_ref().map(|d| d.evidence.as_str()));
        let detail = p(|p| p.date_inferred.as_ref().and_then(|d| d.detail.as_deref()));
        let edited: Vec<Option<bool>> = versions.iter().map(|v| v.post.edited).collect();
        let views: Vec<Option<i64>> = versions.iter().map(|v| v.post.views.map(signed)).collect();
        let author = p(|p| p.author.as_deref());
        let unviewable: Vec<bool> = versions.iter().map(|v| v.post.unviewable).collect();
        let capture: Vec<i64> = versions.iter().map(|v| v.capture_id).collect();
        let created: Vec<&str> = versions.iter().map(|v| v.created.as_str()).collect();
        let edited_at = p(|p| p.edited_at.as_deref());
        let sender_name = p(|p| p.sender.as_ref().and_then(|s| s.name.as_deref()));
        let sender_id = p(|p| p.sender.as_ref().and_then(|s| s.id.as_deref()));
        let reply_message: Vec<Option<i64>> = versions
            .iter()
            .map(|v| v.post.reply_to.as_ref().and_then(|r| r.message_id))
            .collect();
        let reply_chat: Vec<Option<i64>> = versions
            .iter()
            .map(|v| v.post.reply_to.as_ref().and_then(|r| r.chat_id))
            .collect();
        let via_bot = p(|p| p.via_bot.as_deref());
        let saved_from = p(|p| p.saved_from.as_deref());
        // Each version numbered after its post's last (the ones sent before, then these in
        // order); the rows go in in the order they were added, drawing their ids in it.
        let rows = db.query(
            "INSERT INTO versions (id, post_id, channel_id, seq, content_key, text, raw_text,
                 date, date_inferred, date_basis, date_evidence, date_detail, edited, views,
                 author, unviewable, capture_id, created_at, edited_at, sender_name, sender_id,
                 reply_to_message_id, reply_to_chat_id, via_bot, saved_from)
             SELECT u.id, u.post_id, u.channel_id,
                 COALESCE((SELECT MAX(x.seq) FROM versions x
                           WHERE x.post_id = u.post_id AND x.channel_id = u.channel_id), 0)
                     + row_number() OVER (PARTITION BY u.post_id ORDER BY u.n),
                 u.content_key, u.text, u.raw_text, u.date, u.date_inferred, u.basis,
                 u.evidence, u.detail, u.edited, u.views, u.author, u.unviewable, u.capture_id,
                 u.created::timestamptz, u.edited_at, u.sender_name, u.sender_id,
                 u.reply_message, u.reply_chat, u.via_bot, u.saved_from
             FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                         $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                         $11::boolean[], $12::bigint[], $13::text[], $14::boolean[],
                         $15::bigint[], $16::text[], $17::text[], $18::text[], $19::text[],
                         $20::bigint[], $21::bigint[], $22::text[], $23::text[],
                         $24::bigint[])
                  WITH ORDINALITY AS u (post_id, channel_id, content_key, text, raw_text, date,
                      date_inferred, basis, evidence, detail, edited, views, author,
                      unviewable, capture_id, created, edited_at, sender_name, sender_id,
                      reply_message, reply_chat, via_bot, saved_from, id, n)
             ORDER BY u.n
             RETURNING id, post_id, content_key",
            &[
                &post_ids,
                &channel,
                &key,
                &text,
                &raw_text,
                &date,
                &date_inferred,
                &basis,
                &evidence,
                &detail,
                &edited,
                &views,
                &author,
                &unviewable,
                &capture,
                &created,
                &edited_at,
                &sender_name,
                &sender_id,
                &reply_message,
                &reply_chat,
                &via_bot,
                &saved_from,
                &version_ids,
            ],
        )?;
        let rows = in_id_order(rows, versions.len(), "versions")?;
        let first = self.version_stand_ins + versions.len() as i64 - 1;
        let mut ids = Vec::with_capacity(rows.len());
        for (k, ((row, version), post_id)) in rows.iter().zip(&versions).zip(&post_ids).enumerate()
        {
            let (got_post, got_key): (i64, &str) = (row.get(1), row.get(2));
            if (got_post, got_key) != (*post_id, version.content_key.as_str()) {
                return Err(out_of_order("versions"));
            }
            let id: i64 = row.get(0);
            self.version_ids.insert(first - k as i64, id);
            ids.push(id);
        }
        if ids != version_ids {
            return Err(out_of_order("versions"));
        }
        // Each post written before points at its newest version.
        let (mut up_post, mut up_channel, mut up_version) = (vec![], vec![], vec![]);
        for k in (0..ids.len()).filter(|&k| of_existing[k]) {
            up_post.push(post_ids[k]);
            up_channel.push(channel[k]);
            up_version.push(ids[k]);
        }
        if !up_post.is_empty() {
            db.exec(
                "UPDATE posts p SET current_version_id = u.version_id
                 FROM (SELECT DISTINCT ON (post_id) post_id, channel_id, version_id
                       FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])
                            AS x (post_id, channel_id, version_id)
                       ORDER BY post_id, version_id DESC) u
                 WHERE p.id = u.post_id AND p.channel_id = u.channel_id",
                &[&up_post, &up_channel, &up_version],
            )?;
        }
        let parts: Vec<Parts<'_>> = versions
            .iter()
            .zip(&ids)
            .map(|(v, id)| Parts {
                version_id: *id,
                channel_id: v.channel_id,
                post: &v.post,
                forward_channel_id: v.forward_channel_id,
            })
            .collect();
        insert_parts(db, &parts)?;
        Ok(ids
            .iter()
            .zip(&post_ids)
            .zip(&channel)
            .map(|((&id, &post_id), &channel_id)| WrittenVersion {
                id,
                post_id,
                channel_id,
            })
            .collect())
    }

    fn flush_sightings<C: postgres::GenericClient>(&mut self, db: &mut Db<'_, C>) -> Result<()> {
        if self.sightings.is_empty() {
            return Ok(());
        }
        let s = std::mem::take(&mut self.sightings);
        let version: Vec<i64> = s
            .iter()
            .map(|s| self.version_id(s.version_id))
            .collect::<Result<_>>()?;
        let capture: Vec<i64> = s.iter().map(|s| s.capture_id).collect();
        let ordinal: Vec<i64> = s.iter().map(|s| signed(s.ordinal)).collect();
        let line_start: Vec<i64> = s.iter().map(|s| signed(s.location.line_start)).collect();
        let line_end: Vec<i64> = s.iter().map(|s| signed(s.location.line_end)).collect();
        let byte_start: Vec<i64> = s.iter().map(|s| signed(s.location.byte_start)).collect();
        let byte_end: Vec<i64> = s.iter().map(|s| signed(s.location.byte_end)).collect();
        let views: Vec<Option<i64>> = s.iter().map(|s| s.views.map(signed)).collect();
        let locator: Vec<Option<&str>> = s.iter().map(|s| s.location.locator.as_deref()).collect();
        let edited: Vec<Option<bool>> = s.iter().map(|s| s.edited).collect();
        // Each finds its version's channel by the version's key, laterally (a join was planned
        // as a scan of every version); a sighting the capture already has at its place is left
        // alone.
        db.exec(
            "INSERT INTO sightings (channel_id, version_id, capture_id, ordinal, line_start,
                 line_end, byte_start, byte_end, views, locator, edited)
             SELECT v.channel_id, v.id, s.capture_id, s.ordinal, s.line_start, s.line_end,
                 s.byte_start, s.byte_end, s.views, s.locator, s.edited
             FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[],
                         $6::bigint[], $7::bigint[], $8::bigint[], $9::text[], $10::boolean[])
                  WITH ORDINALITY AS s (version_id, capture_id, ordinal, line_start, line_end,
                      byte_start, byte_end, views, locator, edited, n)
             CROSS JOIN LATERAL (SELECT v.id, v.channel_id FROM versions v
                                 WHERE v.id = s.version_id LIMIT 1) v
             ORDER BY s.n
             ON CONFLICT (capture_id, ordinal, channel_id) DO NOTHING",
            &[
                &version,
                &capture,
                &ordinal,
                &line_start,
                &line_end,
                &byte_start,
                &byte_end,
                &views,
                &locator,
                &edited,
            ],
        )?;
        Ok(())
    }
}

/// The rows an insert returned (id first), by id: the order the rows went in, as the sequence
/// hands out increasing ids. Checked to be as many as the rows sent; the caller checks that
/// each is the row it sent at its place.
fn in_id_order(
    mut rows: Vec<postgres::Row>,
    sent: usize,
    table: &str,
) -> Result<Vec<postgres::Row>> {
    if rows.len() != sent {
        return Err(ArchiveError::Corrupt(format!(
            "{} rows of {table} written for {sent} sent",
            rows.len()
        )));
    }
    rows.sort_by_key(|r| r.get::<_, i64>(0));
    Ok(rows)
}

/// The rows of an insert came back in another order than they were sent.
fn out_of_order(table: &str) -> ArchiveError {
    ArchiveError::Corrupt(format!(
        "the ids of the {table} written do not follow the order they were sent in"
    ))
}

/// One version's parts to write.
struct Parts<'p> {
    version_id: i64,
    channel_id: i64,
    post: &'p CapturedPost,
    forward_channel_id: Option<i64>,
}

/// Column arrays of one part table: the version and channel and place of each row.
#[derive(Default)]
struct Keys {
    channel: Vec<i64>,
    version: Vec<i64>,
    ord: Vec<i64>,
}

impl Keys {
    fn push(&mut self, part: &Parts<'_>, ord: usize) {
        self.channel.push(part.channel_id);
        self.version.push(part.version_id);
        self.ord.push(ord as i64);
    }
}

/// Writes the parts of many versions: one statement per table that has rows.
fn insert_parts<C: postgres::GenericClient>(db: &mut Db<'_, C>, parts: &[Parts<'_>]) -> Result<()> {
    // Forwards: one row per version that is a forward.
    {
        let mut k = Keys::default();
        let (mut source, mut title, mut username, mut message, mut date, mut sender) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for part in parts {
            if let Some(f) = &part.post.forward {
                k.push(part, 0);
                source.push(part.forward_channel_id);
                title.push(f.title.as_deref());
                username.push(f.username.as_deref());
                message.push(f.message_id);
                date.push(f.date.as_deref());
                sender.push(f.sender_id.as_deref());
            }
        }
        if !k.version.is_empty() {
            db.exec(
                "INSERT INTO forwards (channel_id, version_id, source_channel_id, title,
                     username, message_id, date, sender_id)
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[],
                     $5::text[], $6::bigint[], $7::text[], $8::text[])",
                &[
                    &k.channel, &k.version, &source, &title, &username, &message, &date, &sender,
                ],
            )?;
        }
    }
    // Media.
    {
        let mut k = Keys::default();
        let mut kind = vec![];
        let mut placeholder = vec![];
        let mut label = vec![];
        let mut file_name = vec![];
        let mut mime = vec![];
        let mut size: Vec<Option<i64>> = vec![];
        let mut duration: Vec<Option<i64>> = vec![];
        let mut width: Vec<Option<i64>> = vec![];
        let mut height: Vec<Option<i64>> = vec![];
        let mut path = vec![];
        let mut sha = vec![];
        let mut attrs: Vec<Option<String>> = vec![];
        let mut poll: Vec<Option<String>> = vec![];
        for part in parts {
            for (i, m) in part.post.media.iter().enumerate() {
                k.push(part, i);
                kind.push(m.kind.as_str());
                placeholder.push(m.placeholder.map(|p| p.as_str()));
                label.push(m.label.as_deref());
                file_name.push(m.file_name.as_deref());
                mime.push(m.mime_type.as_deref());
                size.push(m.size.map(signed));
                duration.push(m.duration.map(i64::from));
                width.push(m.width.map(i64::from));
                height.push(m.height.map(i64::from));
                path.push(m.path.as_deref());
                sha.push(m.sha256.as_deref());
                attrs.push((!m.attrs.is_empty()).then(|| json(&m.attrs)));
                poll.push(m.poll.as_ref().map(json));
            }
        }
        if !k.version.is_empty() {
            db.exec(
                "INSERT INTO media (channel_id, version_id, ord, kind, placeholder, label,
                     file_name, mime_type, size, duration, width, height, path, sha256, attrs,
                     poll)
                 SELECT m.channel_id, m.version_id, m.ord, m.kind, m.placeholder, m.label,
                     m.file_name, m.mime_type, m.size, m.duration, m.width, m.height, m.path,
                     m.sha256, m.attrs::jsonb, m.poll::jsonb
                 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[],
                     $6::text[], $7::text[], $8::text[], $9::bigint[], $10::bigint[],
                     $11::bigint[], $12::bigint[], $13::text[], $14::text[], $15::text[],
                     $16::text[])
                     AS m(channel_id, version_id, ord, kind, placeholder, label, file_name,
                         mime_type, size, duration, width, height, path, sha256, attrs, poll)",
                &[
                    &k.channel,
                    &k.version,
                    &k.ord,
                    &kind,
                    &placeholder,
                    &label,
                    &file_name,
                    &mime,
                    &size,
                    &duration,
                    &width,
                    &height,
                    &path,
                    &sha,
                    &attrs,
                    &poll,
                ],
            )?;
        }
    }
    // Reactions.
    {
        let mut k = Keys::default();
        let (mut kind, mut emoji, mut document, mut count) = (vec![], vec![], vec![], vec![]);
        for part in parts {
            for (i, r) in part.post.reactions.iter().enumerate() {
                k.push(part, i);
                kind.push(r.kind.as_str());
                emoji.push(r.emoji.as_deref());
                document.push(r.document_id.as_deref());
                count.push(signed(r.count));
            }
        }
        if !k.version.is_empty() {
            db.exec(
                "INSERT INTO reactions (channel_id, version_id, ord, kind, emoji, document_id,
                     count)
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[],
                     $5::text[], $6::text[], $7::bigint[])",
                &[
                    &k.channel, &k.version, &k.ord, &kind, &emoji, &document, &count,
                ],
            )?;
        }
    }
    // Entities.
    {
        let mut k = Keys::default();
        let (mut kind, mut start, mut end) = (vec![], vec![], vec![]);
        let mut attrs: Vec<Option<String>> = vec![];
        for part in parts {
            for (i, e) in part.post.entities.iter().enumerate() {
                k.push(part, i);
                kind.push(e.kind.as_str());
                start.push(e.span.start as i64);
                end.push(e.span.end as i64);
                attrs.push((!e.attrs.is_empty()).then(|| json(&e.attrs)));
            }
        }
        if !k.version.is_empty() {
            db.exec(
                "INSERT INTO entities (channel_id, version_id, ord, kind, span_start, span_end,
                     attrs)
                 SELECT e.channel_id, e.version_id, e.ord, e.kind, e.span_start, e.span_end,
                     e.attrs::jsonb
                 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[],
                     $6::bigint[], $7::text[])
                     AS e(channel_id, version_id, ord, kind, span_start, span_end, attrs)",
                &[&k.channel, &k.version, &k.ord, &kind, &start, &end, &attrs],
            )?;
        }
    }
    // Links.
    {
        let mut k = Keys::default();
        let (mut url, mut label, mut start, mut end) = (vec![], vec![], vec![], vec![]);
        for part in parts {
            for (i, l) in part.post.links.iter().enumerate() {
                k.push(part, i);
                url.push(l.url.as_deref());
                label.push(l.label.as_str());
                start.push(l.span.map(|s| s.start as i64));
                end.push(l.span.map(|s| s.end as i64));
            }
        }
        if !k.version.is_empty() {
            db.exec(
                "INSERT INTO links (channel_id, version_id, ord, url, label, span_start,
                     span_end)
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[],
                     $5::text[], $6::bigint[], $7::bigint[])",
                &[&k.channel, &k.version, &k.ord, &url, &label, &start, &end],
            )?;
        }
    }
    // Hashtags and mentions.
    for (table, column, key_column) in [
        ("hashtags", "tag", "tag_key"),
        ("mentions", "username", "username_key"),
    ] {
        let mut k = Keys::default();
        let (mut value, mut key, mut start, mut end) = (vec![], vec![], vec![], vec![]);
        for part in parts {
            let tags = if table == "hashtags" {
                &part.post.hashtags
            } else {
                &part.post.mentions
            };
            for (i, t) in tags.iter().enumerate() {
                k.push(part, i);
                value.push(t.value.as_str());
                key.push(tag_key(&t.value));
                start.push(t.span.start as i64);
                end.push(t.span.end as i64);
            }
        }
        if !k.version.is_empty() {
            db.exec(
                &format!(
                    "INSERT INTO {table} (channel_id, version_id, ord, {column}, {key_column},
                         span_start, span_end)
                     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[],
                         $5::text[], $6::bigint[], $7::bigint[])"
                ),
                &[&k.channel, &k.version, &k.ord, &value, &key, &start, &end],
            )?;
        }
    }
    // Countries.
    {
        let mut k = Keys::default();
        let (mut code, mut start, mut end) = (vec![], vec![], vec![]);
        for part in parts {
            for (i, c) in part.post.countries.iter().enumerate() {
                k.push(part, i);
                code.push(c.code.as_str());
                start.push(c.span.start as i64);
                end.push(c.span.end as i64);
            }
        }
        if !k.version.is_empty() {
            db.exec(
                "INSERT INTO countries (channel_id, version_id, ord, code, span_start, span_end)
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[],
                     $5::bigint[], $6::bigint[])",
                &[&k.channel, &k.version, &k.ord, &code, &start, &end],
            )?;
        }
    }
    Ok(())
}
