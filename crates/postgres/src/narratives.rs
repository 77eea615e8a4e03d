//! Narratives as the archive keeps them (user data), the settings users choose, and the facts
//! of posts a narrative's report needs: the SQLite store's `narratives.rs` and `settings.rs`
//! translated.

use postgres::GenericClient;
use tgscope_archive::prelude::*;
use tgscope_archive::{ArchiveError, Result};
use tgscope_archive::{NarrativePostFacts, NarrativeRecord, NarrativeVersion, narrative_key};

use crate::PgArchive;
use crate::db::{Db, now, pg, ts};
use crate::query::ID_CHUNK;

impl NarrativeStore for PgArchive {
    fn narrative(&self, name: &str) -> Result<Option<NarrativeRecord>> {
        self.db(|db| narrative(db, name))
    }

    fn narratives(&self, removed: bool) -> Result<Vec<NarrativeRecord>> {
        self.db(|db| {
            let rows = db.query(
                concat!(
                    "SELECT id, name, ",
                    ts!("created_at"),
                    ", ",
                    ts!("removed_at"),
                    " FROM narratives WHERE $1 OR removed_at IS NULL
                     ORDER BY name_key COLLATE \"C\""
                ),
                &[&removed],
            )?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let id: i64 = r.get(0);
                out.push(NarrativeRecord {
                    versions: narrative_versions(db, id)?,
                    id,
                    name: r.get(1),
                    created_at: r.get(2),
                    removed_at: r.get(3),
                });
            }
            Ok(out)
        })
    }

    fn add_narrative_version(
        &self,
        name: &str,
        description: &str,
        queries: &[String],
    ) -> Result<NarrativeRecord> {
        let key = narrative_key(name);
        let now = now();
        let queries = serde_json::to_string(queries)
            .map_err(|e| ArchiveError::Corrupt(format!("queries as JSON: {e}")))?;
        self.db(|db| {
            let mut tx = db.client.transaction().map_err(pg)?;
            let mut tdb = Db {
                client: &mut tx,
                statements: db.statements,
            };
            // Restored when removed, else made (not an upsert, which would draw an id from the
            // sequence for nothing: ids follow the SQLite archive's). The row stays locked
            // until the commit, so that two processes adding versions at once number them one
            // after the other; two adding the same new name at once conflict, to retry.
            let found = tdb.opt(
                "SELECT id FROM narratives WHERE name_key = $1 FOR UPDATE",
                &[&key],
            )?;
            let id: i64 = match found {
                Some(row) => {
                    let id: i64 = row.get(0);
                    tdb.exec(
                        "UPDATE narratives SET removed_at = NULL WHERE id = $1",
                        &[&id],
                    )?;
                    id
                }
                None => tdb
                    .one(
                        "INSERT INTO narratives (name, name_key, created_at)
                         VALUES ($1, $2, $3::text::timestamptz) RETURNING id",
                        &[&name.trim(), &key, &now],
                    )?
                    .get(0),
            };
            tdb.exec(
                "INSERT INTO narrative_versions (narrative_id, version, description, queries,
                     created_at)
                 SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3::text::jsonb,
                     $4::text::timestamptz
                 FROM narrative_versions WHERE narrative_id = $1",
                &[&id, &description, &queries, &now],
            )?;
            tx.commit().map_err(pg)?;
            narrative(db, name)?
                .ok_or_else(|| ArchiveError::Corrupt(format!("narrative {name:?} vanished")))
        })
    }

    fn remove_narrative(&self, name: &str) -> Result<bool> {
        self.db(|db| {
            let changed = db.exec(
                "UPDATE narratives SET removed_at = $2::text::timestamptz
                 WHERE name_key = $1 AND removed_at IS NULL",
                &[&narrative_key(name), &now()],
            )?;
            Ok(changed > 0)
        })
    }

    fn posts_changed_after(&self, after_mark: i64) -> Result<Vec<i64>> {
        self.db(|db| {
            Ok(db
                .query(
                    "SELECT DISTINCT post_id FROM version_marks WHERE mark > $1 ORDER BY post_id",
                    &[&after_mark],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect())
        })
    }

    fn narrative_post_facts(&self, post_ids: &[i64]) -> Result<Vec<NarrativePostFacts>> {
        self.db(|db| {
            let mut out = Vec::with_capacity(post_ids.len());
            for ids in post_ids.chunks(ID_CHUNK) {
                let ids = ids.to_vec();
                for r in db.query(
                    "SELECT p.id, p.channel_id, p.message_id, v.date,
                            CASE WHEN v.date IS NULL THEN v.date_inferred END, v.views
                     FROM posts p JOIN versions v ON v.id = p.current_version_id
                         AND v.channel_id = p.channel_id
                     WHERE p.id = ANY($1)",
                    &[&ids],
                )? {
                    out.push(NarrativePostFacts {
                        post_id: r.get(0),
                        channel_id: r.get(1),
                        message_id: r.get(2),
                        date: r.get(3),
                        date_inferred: r.get(4),
                        views: r.get::<_, Option<i64>>(5).map(|v| v.max(0) as u64),
                    });
                }
            }
            out.sort_by_key(|p| p.post_id);
            Ok(out)
        })
    }
}

impl SettingStore for PgArchive {
    fn setting(&self, key: &str) -> Result<Option<String>> {
        self.db(|db| {
            Ok(db
                .opt("SELECT value FROM settings WHERE key = $1", &[&key])?
                .map(|r| r.get(0)))
        })
    }

    fn set_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        self.db(|db| {
            match value {
                Some(v) => db.exec(
                    "INSERT INTO settings (key, value, updated_at)
                     VALUES ($1, $2, $3::text::timestamptz)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                                                     updated_at = excluded.updated_at",
                    &[&key, &v, &now()],
                )?,
                None => db.exec("DELETE FROM settings WHERE key = $1", &[&key])?,
            };
            Ok(())
        })
    }
}

/// The narrative with this name (any case), with its versions.
fn narrative<C: GenericClient>(db: &mut Db<'_, C>, name: &str) -> Result<Option<NarrativeRecord>> {
    let Some(r) = db.opt(
        concat!(
            "SELECT id, name, ",
            ts!("created_at"),
            ", ",
            ts!("removed_at"),
            " FROM narratives WHERE name_key = $1"
        ),
        &[&narrative_key(name)],
    )?
    else {
        return Ok(None);
    };
    let id: i64 = r.get(0);
    Ok(Some(NarrativeRecord {
        versions: narrative_versions(db, id)?,
        id,
        name: r.get(1),
        created_at: r.get(2),
        removed_at: r.get(3),
    }))
}

fn narrative_versions<C: GenericClient>(
    db: &mut Db<'_, C>,
    id: i64,
) -> Result<Vec<NarrativeVersion>> {
    db.query(
        concat!(
            "SELECT version, description, queries::text, ",
            ts!("created_at"),
            " FROM narrative_versions WHERE narrative_id = $1 ORDER BY version"
        ),
        &[&id],
    )?
    .iter()
    .map(|r| {
        let version: i64 = r.get(0);
        let queries: Vec<String> = serde_json::from_str(r.get(2)).map_err(|e| {
            ArchiveError::Corrupt(format!(
                "narrative {id} version {version}: queries are not a JSON list: {e}"
            ))
        })?;
        Ok(NarrativeVersion {
            version,
            description: r.get(1),
            queries,
            created_at: r.get(3),
        })
    })
    .collect()
}
