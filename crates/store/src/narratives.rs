//! Narratives as the archive keeps them (user data): a name with its key, and every version of
//! its definition (description and queries), never updated or deleted; and the facts of posts
//! that a narrative's report needs ([`Store::narrative_post_facts`]).
//!
//! What it does not do: check queries (the engine parses them before they are stored) or know
//! which posts a narrative matches (derived data the engine keeps beside the index).

use rusqlite::{OptionalExtension, params};

use crate::Store;
use tgscope_archive::prelude::*;
use tgscope_archive::{ArchiveError, Result};
use tgscope_archive::{NarrativePostFacts, NarrativeRecord, NarrativeVersion, narrative_key};

impl NarrativeStore for Store {
    fn narrative(&self, name: &str) -> Result<Option<NarrativeRecord>> {
        if !self.has_narratives()? {
            return Ok(None);
        }
        let row = self
            .conn()
            .prepare_cached(
                "SELECT id, name, created_at, removed_at FROM narratives WHERE name_key = ?1",
            )?
            .query_row(params![narrative_key(name)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        match row {
            Some((id, name, created_at, removed_at)) => Ok(Some(NarrativeRecord {
                versions: self.narrative_versions(id)?,
                id,
                name,
                created_at,
                removed_at,
            })),
            None => Ok(None),
        }
    }

    fn narratives(&self, removed: bool) -> Result<Vec<NarrativeRecord>> {
        if !self.has_narratives()? {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, String, String, Option<String>)> = self
            .conn()
            .prepare_cached(
                "SELECT id, name, created_at, removed_at FROM narratives
                 WHERE ?1 OR removed_at IS NULL ORDER BY name_key",
            )?
            .query_map(params![removed], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(id, name, created_at, removed_at)| {
                Ok(NarrativeRecord {
                    versions: self.narrative_versions(id)?,
                    id,
                    name,
                    created_at,
                    removed_at,
                })
            })
            .collect()
    }

    fn add_narrative_version(
        &self,
        name: &str,
        description: &str,
        queries: &[String],
    ) -> Result<NarrativeRecord> {
        let key = narrative_key(name);
        let now = crate::now();
        let queries = serde_json::to_string(queries)
            .map_err(|e| ArchiveError::Corrupt(format!("queries as JSON: {e}")))?;
        let tx = self.conn().unchecked_transaction()?;
        let id: i64 = match tx
            .query_row(
                "SELECT id FROM narratives WHERE name_key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()?
        {
            Some(id) => {
                tx.execute(
                    "UPDATE narratives SET removed_at = NULL WHERE id = ?1",
                    params![id],
                )?;
                id
            }
            None => {
                tx.execute(
                    "INSERT INTO narratives (name, name_key, created_at) VALUES (?1, ?2, ?3)",
                    params![name.trim(), key, now],
                )?;
                tx.last_insert_rowid()
            }
        };
        tx.execute(
            "INSERT INTO narrative_versions (narrative_id, version, description, queries, created_at)
             SELECT ?1, COALESCE(MAX(version), 0) + 1, ?2, ?3, ?4
             FROM narrative_versions WHERE narrative_id = ?1",
            params![id, description, queries, now],
        )?;
        tx.commit()?;
        self.narrative(name)?
            .ok_or_else(|| ArchiveError::Corrupt(format!("narrative {name:?} vanished")))
    }

    fn remove_narrative(&self, name: &str) -> Result<bool> {
        let changed = self.conn().execute(
            "UPDATE narratives SET removed_at = ?2 WHERE name_key = ?1 AND removed_at IS NULL",
            params![narrative_key(name), crate::now()],
        )?;
        Ok(changed > 0)
    }

    fn posts_changed_after(&self, after_mark: i64) -> Result<Vec<i64>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT DISTINCT post_id FROM versions WHERE id > ?1 ORDER BY post_id")?
            .query_map(params![after_mark], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    fn narrative_post_facts(&self, post_ids: &[i64]) -> Result<Vec<NarrativePostFacts>> {
        let mut out = Vec::with_capacity(post_ids.len());
        let mut stmt = self.conn().prepare_cached(
            "SELECT p.id, p.channel_id, p.message_id, v.date,
                    CASE WHEN v.date IS NULL THEN v.date_inferred END, v.views
             FROM posts p JOIN versions v ON v.id = p.current_version_id
             WHERE p.id IN (SELECT value FROM json_each(?1))",
        )?;
        for ids in post_ids.chunks(10_000) {
            let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
            let rows = stmt.query_map(params![json], |r| {
                Ok(NarrativePostFacts {
                    post_id: r.get(0)?,
                    channel_id: r.get(1)?,
                    message_id: r.get(2)?,
                    date: r.get(3)?,
                    date_inferred: r.get(4)?,
                    views: r.get::<_, Option<i64>>(5)?.map(|v| v.max(0) as u64),
                })
            })?;
            for row in rows {
                out.push(row?);
            }
        }
        out.sort_by_key(|p| p.post_id);
        Ok(out)
    }
}

impl Store {
    /// Whether the archive's schema has narratives (an archive of an older schema opened for
    /// reading only has none).
    fn has_narratives(&self) -> Result<bool> {
        Ok(crate::migrate::version(self.conn())? >= 7)
    }

    fn narrative_versions(&self, id: i64) -> Result<Vec<NarrativeVersion>> {
        let rows: Vec<(i64, String, String, String)> = self
            .conn()
            .prepare_cached(
                "SELECT version, description, queries, created_at FROM narrative_versions
                 WHERE narrative_id = ?1 ORDER BY version",
            )?
            .query_map(params![id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(version, description, queries, created_at)| {
                let queries: Vec<String> = serde_json::from_str(&queries).map_err(|e| {
                    ArchiveError::Corrupt(format!(
                        "narrative {id} version {version}: queries are not a JSON list: {e}"
                    ))
                })?;
                Ok(NarrativeVersion {
                    version,
                    description,
                    queries,
                    created_at,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queries(q: &[&str]) -> Vec<String> {
        q.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn versions_are_kept_and_a_removed_narrative_continues_its_history() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.narrative("west").unwrap(), None);
        let first = store
            .add_narrative_version(
                "West",
                "the collective West",
                &queries(&["\"collective West\""]),
            )
            .unwrap();
        assert_eq!(first.name, "West");
        assert_eq!(first.versions.len(), 1);
        assert_eq!(first.versions[0].version, 1);
        // An edit is a new version; the name is found in any case.
        let second = store
            .add_narrative_version(
                "WEST",
                "the collective West, both languages",
                &queries(&["\"collective West\"", "\"коллективный Запад\""]),
            )
            .unwrap();
        assert_eq!(second.id, first.id);
        assert_eq!(second.name, "West");
        let versions: Vec<i64> = second.versions.iter().map(|v| v.version).collect();
        assert_eq!(versions, [1, 2]);
        assert_eq!(
            second.versions[0].queries,
            queries(&["\"collective West\""])
        );
        assert_eq!(second.current().unwrap().queries.len(), 2);
        // Removing keeps the history; listing leaves it out unless asked.
        assert!(store.remove_narrative("west").unwrap());
        assert!(!store.remove_narrative("west").unwrap());
        assert!(store.narratives(false).unwrap().is_empty());
        let all = store.narratives(true).unwrap();
        assert_eq!(all.len(), 1);
        assert!(all[0].removed_at.is_some());
        assert_eq!(all[0].versions.len(), 2);
        // Adding it again continues its versions.
        let again = store
            .add_narrative_version("west", "", &queries(&["Запад"]))
            .unwrap();
        assert_eq!(again.id, first.id);
        assert_eq!(again.removed_at, None);
        assert_eq!(again.current().unwrap().version, 3);
        drop(store);
        let store = Store::open_read_only(dir.path()).unwrap();
        let read = store.narrative("West").unwrap().unwrap();
        assert_eq!(read, again);
    }
}
