//! Entities: the countries, organisations and people posts name ([`tgscope_analyze::entities`]),
//! with the archive's own list beside the bundled ones (`<archive>/entities/list.tsv`, set with
//! [`Engine::set_entity_list`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tgscope_analyze::entities::{EntityPost, EntityQuery, EntityState};
use tgscope_analyze::network::graph::Graph;

use crate::error::{EngineError, Result};
use crate::search::unix_seconds;
use crate::{Engine, Period};
use tgscope_archive::prelude::*;

pub use tgscope_analyze::entities::{
    Entity, EntityCount, EntityKind, EntityTable, Mention, Recognizer, Via, entity_key, fold_name,
    split_key,
};

/// The folder of the entity analysis inside an archive.
pub const ENTITIES_DIR: &str = "entities";
/// The archive's own list in [`ENTITIES_DIR`].
const LIST_FILE: &str = "list.tsv";

/// Recognizers with a user's list, by the list's content, for the process.
static WITH_LISTS: Mutex<Vec<(u64, Arc<Recognizer>)>> = Mutex::new(Vec::new());

/// A recognizer for a user's list (read and checked), shared by content for the process.
fn with_list(text: &str, source: &Path) -> Result<Arc<Recognizer>> {
    let key = {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        text.hash(&mut h);
        h.finish()
    };
    if let Ok(cache) = WITH_LISTS.lock()
        && let Some((_, r)) = cache.iter().find(|(k, _)| *k == key)
    {
        return Ok(Arc::clone(r));
    }
    let r = Arc::new(
        Recognizer::with_user_list(text, &source.display().to_string())
            .map_err(|e| EngineError::BadRequest(e.to_string()))?,
    );
    if let Ok(mut cache) = WITH_LISTS.lock() {
        cache.push((key, Arc::clone(&r)));
    }
    Ok(r)
}

/// Makes `file` the own entity list of the archive in `archive` (checked first; copied into
/// the archive), or removes it with `None`. Derived data recognised with other lists (the
/// search index's entity filters, the entity analysis) is rebuilt when next caught up.
pub fn set_entity_list(archive: &Path, file: Option<&Path>) -> Result<()> {
    let dir = archive.join(ENTITIES_DIR);
    let path = dir.join(LIST_FILE);
    match file {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| EngineError::BadRequest(format!("{}: {e}", file.display())))?;
            with_list(&text, file)?;
            std::fs::create_dir_all(&dir)
                .map_err(|e| EngineError::Archive(format!("{}: {e}", dir.display())))?;
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, text.as_bytes())
                .and_then(|()| std::fs::rename(&tmp, &path))
                .map_err(|e| EngineError::Archive(format!("{}: {e}", path.display())))
        }
        None => match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(EngineError::Archive(format!("{}: {e}", path.display()))),
        },
    }
}

impl Engine {
    fn entity_list_path(&self) -> PathBuf {
        self.dir().join(ENTITIES_DIR).join(LIST_FILE)
    }

    /// Makes `file` this archive's own entity list, or removes it (see [`set_entity_list`]).
    pub fn set_entity_list(&mut self, file: Option<&Path>) -> Result<()> {
        set_entity_list(self.dir(), file)
    }

    /// The archive's recognizer: the bundled lists, and the archive's own list when it has one.
    pub fn recognizer(&self) -> Result<Arc<Recognizer>> {
        let path = self.entity_list_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => with_list(&text, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Recognizer::bundled()),
            Err(e) => Err(EngineError::Archive(format!("{}: {e}", path.display()))),
        }
    }
}

/// The analysis's file in [`ENTITIES_DIR`].
const STATE_FILE: &str = "state.bin";

/// Posts recognised at once (on every core) while the analysis is brought up to the archive:
/// this many, or fewer when their texts reach the index's batch of text
/// ([`crate::search::INDEX_BATCH_TEXT_BYTES`]).
const ENTITY_BATCH: usize = 4_096;

/// Analyses in memory, one per file for the process.
static SHARED: crate::derived::SharedStates<EntityState> = crate::derived::SharedStates::new();

/// What bringing the entity analysis up to the archive did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct EntityUpdate {
    /// Posts read again.
    pub read: u64,
    /// Whether it was built from scratch (missing, damaged, or made with other lists).
    pub rebuilt: bool,
}

/// Entities counted over posts, with their names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityTableView {
    /// The counts.
    pub table: EntityTable,
    /// The period posts are counted by.
    pub period: Period,
    /// Display names by key (English; for people not on the lists, the name as found).
    pub names: BTreeMap<String, String>,
    /// Channel names by archive id, for the channels the table names.
    pub channel_names: BTreeMap<i64, String>,
}

/// A folded name with a capital at the start of each word (and after a hyphen): how a person
/// not on the lists is shown.
pub(crate) fn capitalised(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut start = true;
    for c in name.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = c.is_whitespace() || c == '-';
    }
    out
}

/// The display name of an entity key: the lists' English name, or for a person not on the
/// lists the name as found (title case).
pub fn display_name(recognizer: &Recognizer, key: &str) -> String {
    let Some((_, id)) = split_key(key) else {
        return key.to_string();
    };
    if let Some(name) = id.strip_prefix('~') {
        return capitalised(name);
    }
    recognizer
        .entity(id)
        .map_or_else(|| id.to_string(), |e| e.name_en.clone())
}

impl Engine {
    fn entities_dir(&self) -> PathBuf {
        self.dir().join(ENTITIES_DIR)
    }

    /// Brings the entity analysis up to the archive: built when missing, damaged or made with
    /// other lists; else the posts with newer versions read again. A reader does it only when
    /// no writer is at work; otherwise it answers from the analysis as it stands.
    pub fn update_entities(&mut self) -> Result<EntityUpdate> {
        let recognizer = self.recognizer()?;
        let mark = self.store.index_mark()?;
        if self.entities.is_none() {
            self.entities = self.load_entities()?;
        }
        if self
            .entities
            .as_ref()
            .is_some_and(|s| s.mark() == mark && s.lists() == recognizer.fingerprint())
        {
            return Ok(EntityUpdate::default());
        }
        let _alone = if self.writers_lock.is_none() {
            match crate::search::lock_as_sole_reader(self.dir()) {
                Some(lock) => Some(lock),
                None => return Ok(EntityUpdate::default()),
            }
        } else {
            None
        };
        let dir = self.entities_dir();
        let lock = crate::derived::lock_updates(&dir)?;
        self.entities = self.load_entities()?;
        let mark = self.store.index_mark()?;
        let mut report = EntityUpdate::default();
        let old = match self.entities.take() {
            Some(state) if state.mark() <= mark && state.lists() == recognizer.fingerprint() => {
                state
            }
            _ => {
                report.rebuilt = true;
                Arc::new(EntityState::new())
            }
        };
        let path = dir.join(STATE_FILE);
        let state_error =
            |e: tgscope_analyze::copies::StateError| EngineError::Archive(e.to_string());
        let mut writer = old.writer(&path, &recognizer).map_err(state_error)?;
        // Posts are recognised a batch at a time on every core.
        let mut batch: Vec<EntityPost> = Vec::with_capacity(ENTITY_BATCH);
        let mut batch_bytes = 0usize;
        self.store
            .for_each_post_for_index(old.mark(), |p| -> Result<()> {
                report.read += 1;
                batch_bytes += p.text.len();
                batch.push(EntityPost {
                    post_id: p.post_id,
                    channel_id: p.channel_id,
                    date: p.date.as_deref().and_then(unix_seconds),
                    text: p.text,
                });
                if batch.len() >= ENTITY_BATCH
                    || batch_bytes >= crate::search::INDEX_BATCH_TEXT_BYTES
                {
                    writer.push_all(&batch).map_err(state_error)?;
                    batch.clear();
                    batch_bytes = 0;
                }
                Ok(())
            })?;
        writer.push_all(&batch).map_err(state_error)?;
        let state = Arc::new(writer.finish(mark).map_err(state_error)?);
        SHARED.put(&path, &state);
        drop(lock);
        self.entities = Some(state);
        Ok(report)
    }

    /// Brings the search index and the entity analysis up to the archive with one read of the
    /// posts, each post's entities recognised once for both, when both are behind from the same
    /// mark (after an ingest: both were current before it, or neither exists yet); otherwise
    /// each on its own ([`Engine::update_index`], [`Engine::update_entities`]). What each holds
    /// after is the same either way.
    pub(crate) fn update_index_and_entities(&mut self) -> Result<()> {
        let separately = |engine: &mut Engine| -> Result<()> {
            engine.update_index()?;
            engine.update_entities()?;
            Ok(())
        };
        if self.writers_lock.is_none() {
            return separately(self);
        }
        let Some((after, rebuild, mark)) = self.index_behind()? else {
            return separately(self);
        };
        let recognizer = self.recognizer()?;
        let dir = self.entities_dir();
        let lock = crate::derived::lock_updates(&dir)?;
        let old = match self.load_entities()? {
            Some(state) if state.mark() == after && state.lists() == recognizer.fingerprint() => {
                state
            }
            None if after == 0 => Arc::new(EntityState::new()),
            _ => {
                drop(lock);
                return separately(self);
            }
        };
        let path = dir.join(STATE_FILE);
        let state_error =
            |e: tgscope_analyze::copies::StateError| EngineError::Archive(e.to_string());
        let mut writer = old.writer(&path, &recognizer).map_err(state_error)?;
        match self.write_index_feeding(after, rebuild, mark, Some(&mut writer)) {
            Ok(_) => {}
            // Another writer holds the index: wait for it as a writer does, each on its own.
            Err(EngineError::IndexBusy(_)) => {
                drop(writer);
                drop(lock);
                return separately(self);
            }
            Err(e) => return Err(e),
        }
        let state = Arc::new(writer.finish(mark).map_err(state_error)?);
        SHARED.put(&path, &state);
        drop(lock);
        self.entities = Some(state);
        Ok(())
    }

    /// Reads these posts again into the entity analysis (their current versions), whatever the
    /// mark: for posts whose date an observed one replaced in place, without a new version.
    /// Nothing to do when there is no analysis yet.
    pub(crate) fn rederive_entities(&mut self, post_ids: &[i64]) -> Result<()> {
        if post_ids.is_empty() {
            return Ok(());
        }
        self.update_entities()?;
        let Some(old) = self.entities.clone() else {
            return Ok(());
        };
        let recognizer = self.recognizer()?;
        if old.lists() != recognizer.fingerprint() {
            // Not caught up (a reader while a writer works): the writer's update reads them.
            return Ok(());
        }
        let dir = self.entities_dir();
        let lock = crate::derived::lock_updates(&dir)?;
        let path = dir.join(STATE_FILE);
        let state_error =
            |e: tgscope_analyze::copies::StateError| EngineError::Archive(e.to_string());
        let mut ids = post_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut posts = Vec::with_capacity(ids.len());
        self.store
            .for_each_post_for_index_of(&ids, |p| -> Result<()> {
                posts.push(EntityPost {
                    post_id: p.post_id,
                    channel_id: p.channel_id,
                    date: p.date.as_deref().and_then(unix_seconds),
                    text: p.text,
                });
                Ok(())
            })?;
        posts.sort_by_key(|p| p.post_id);
        let mut writer = old.writer(&path, &recognizer).map_err(state_error)?;
        writer.push_all(&posts).map_err(state_error)?;
        let state = Arc::new(writer.finish(old.mark()).map_err(state_error)?);
        SHARED.put(&path, &state);
        drop(lock);
        self.entities = Some(state);
        Ok(())
    }

    fn load_entities(&self) -> Result<Option<Arc<EntityState>>> {
        let path = self.entities_dir().join(STATE_FILE);
        SHARED.load(&path, "the entity analysis", EntityState::load)
    }

    /// On opening the archive: an entity analysis that exists but fell behind is caught up.
    pub(crate) fn catch_up_existing_entities(&mut self) -> Result<()> {
        if self.entities_dir().join(STATE_FILE).is_file() {
            self.update_entities()?;
        }
        Ok(())
    }

    /// The entity analysis, caught up first.
    fn entity_state(&mut self) -> Result<Arc<EntityState>> {
        self.update_entities()?;
        Ok(self
            .entities
            .clone()
            .unwrap_or_else(|| Arc::new(EntityState::new())))
    }

    /// The entities named in the posts asked for (a channel by name, a period), counted by
    /// `period`, the most named first.
    pub fn entities(
        &mut self,
        kind: Option<EntityKind>,
        channel: Option<&str>,
        since: Option<i64>,
        until: Option<i64>,
        period: Period,
    ) -> Result<EntityTableView> {
        let channel = match channel {
            Some(name) => Some(self.resolve_channel(name, crate::ChannelRole::Channel)?),
            None => None,
        };
        let q = EntityQuery {
            kind,
            channel,
            since,
            until,
            unlisted: true,
        };
        let state = self.entity_state()?;
        let table = state
            .table(&q, &|s| crate::network::period_name(period, s))
            .map_err(|e| EngineError::Archive(e.to_string()))?;
        let recognizer = self.recognizer()?;
        let mut names = BTreeMap::new();
        let mut channel_ids = std::collections::BTreeSet::new();
        for e in &table.entities {
            names.insert(e.key.clone(), display_name(&recognizer, &e.key));
            for (k, _) in &e.with {
                names
                    .entry(k.clone())
                    .or_insert_with(|| display_name(&recognizer, k));
            }
            channel_ids.extend(e.channels.iter().map(|(c, _)| *c));
        }
        let channel_names = self
            .store
            .channels()?
            .into_iter()
            .filter(|c| channel_ids.contains(&c.channel.id))
            .map(|c| (c.channel.id, c.channel.name()))
            .collect();
        Ok(EntityTableView {
            table,
            period,
            names,
            channel_names,
        })
    }

    /// The key of the entity a user names (`KZ`, `Лавров`, "ШОС", `country:KZ`), or an error
    /// that says no entity has that name (or which ones it could be).
    pub fn entity_key(&self, name: &str) -> Result<String> {
        if let Some((kind, id)) = split_key(name)
            && (id.starts_with('~')
                || self
                    .recognizer()?
                    .entity(id)
                    .is_some_and(|e| e.kind == kind))
        {
            return Ok(entity_key(
                kind,
                &self
                    .recognizer()?
                    .entity(id)
                    .map_or(id.to_string(), |e| e.id.clone()),
            ));
        }
        let recognizer = self.recognizer()?;
        let found = recognizer.lookup(name);
        match found.as_slice() {
            [] => Err(EngineError::BadRequest(format!(
                "no country, organisation or person of the lists is called {name:?}"
            ))),
            [e] => Ok(entity_key(e.kind, &e.id)),
            many => Err(EngineError::BadRequest(format!(
                "{name:?} names {}: write one of their ids",
                many.iter()
                    .map(|e| format!("{} ({})", entity_key(e.kind, &e.id), e.name_en))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// The co-occurrence network of entities (named together in at least `min_posts` posts),
    /// with the posts naming two or more entities and the posts left out for want of a date
    /// when a period was asked for.
    pub fn entity_network(
        &mut self,
        kind: Option<EntityKind>,
        since: Option<i64>,
        until: Option<i64>,
        min_posts: u64,
    ) -> Result<(Graph, u64, u64)> {
        let q = EntityQuery {
            kind,
            channel: None,
            since,
            until,
            unlisted: true,
        };
        let state = self.entity_state()?;
        let recognizer = self.recognizer()?;
        state
            .cooccurrence(&q, min_posts, 3, &|k| display_name(&recognizer, k))
            .map_err(|e| EngineError::Archive(e.to_string()))
    }
}
