//! Narratives: named, described, versioned sets of queries in the query language (a post that
//! matches any of them matches the narrative), their matches kept current, and their reports.
//!
//! Definitions are user data in the archive (`store::narratives`: every version kept; removing
//! a narrative marks it removed). Which posts each current narrative matches is derived data in
//! `<archive>/narratives/state.bin` ([`NarrativeState`]), caught up like the other analyses: on
//! open, after every ingest and collected page, the posts with versions newer than the state's
//! mark are evaluated again (each query run against the search index among those posts only),
//! the rest kept; a narrative whose definition changed (added, edited, or a name its queries
//! give now standing for another channel or entity) is evaluated again from scratch; a state
//! made with another index schema or other entity lists is rebuilt whole.
//!
//! Main items: [`Engine::add_narrative`], [`Engine::edit_narrative`],
//! [`Engine::remove_narrative`], [`Engine::narratives`], [`Engine::narrative`],
//! [`Engine::update_narratives`], [`Engine::narrative_report`] ([`NarrativeReport`], one shape
//! for the command line and the API) and [`Engine::narrative_search`] (the matches as a search
//! page, for feeds).
//!
//! What it does not do: SQL (the store), run queries itself (the index), or format output.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tgscope_analyze::narratives::{MAX_QUERIES, NarrativeMatches, NarrativeState};
use tgscope_archive::NarrativePostFacts;
use tgscope_index::{Period, PeriodCount};

use crate::Engine;
use crate::error::{EngineError, Result};
use crate::search::{SearchPage, SortBy, unix_seconds};

pub use tgscope_archive::{NarrativeRecord, NarrativeVersion};

/// The folder of the narratives' matches inside an archive.
pub const NARRATIVES_DIR: &str = "narratives";
/// The matches' file in [`NARRATIVES_DIR`].
const STATE_FILE: &str = "state.bin";
/// The longest name of a narrative, in chars.
pub const MAX_NAME_CHARS: usize = 64;
/// How many top posts a report lists by default.
pub const TOP_POSTS: usize = 10;

/// States in memory, one per file for the process.
static SHARED: crate::derived::SharedStates<NarrativeState> = crate::derived::SharedStates::new();

/// A narrative as lists show it (`tgscope narrative list`, `/api/v1/narratives`): its current
/// version and how many posts match it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NarrativeSummary {
    /// Its name (letters, digits, `-`, `_` and `.`; found in any case).
    pub name: String,
    /// Its current version (1, 2, ...).
    pub version: i64,
    /// What it is about (may be empty).
    pub description: String,
    /// Its queries in the query language (docs/search.md); a post matching any of them matches
    /// the narrative.
    pub queries: Vec<String>,
    /// When it was first added (RFC 3339 UTC).
    pub created_at: String,
    /// When its current version was made (RFC 3339 UTC).
    pub updated_at: String,
    /// When it was removed (RFC 3339 UTC), for a removed narrative (which matches nothing);
    /// null while it is current.
    pub removed_at: Option<String>,
    /// Posts that match it now (0 for a removed one).
    pub matching: u64,
}

/// What bringing the narratives' matches up to the archive did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct NarrativeUpdate {
    /// Posts evaluated again because they changed (per narrative kept incrementally).
    pub changed_posts: u64,
    /// Narratives evaluated from scratch (new, edited, or the whole state rebuilt).
    pub evaluated: u64,
    /// Whether the whole state was rebuilt (missing, damaged, or made with another index or
    /// other entity lists).
    pub rebuilt: bool,
}

/// How a report is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOptions {
    /// The period to count by; `None`: the one that fits the span of the matches.
    pub period: Option<Period>,
    /// Only posts dated on or after this moment (unix seconds, UTC).
    pub since: Option<i64>,
    /// Only posts dated before this moment (unix seconds, UTC).
    pub until: Option<i64>,
    /// How many top posts to list.
    pub top: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            period: None,
            since: None,
            until: None,
            top: TOP_POSTS,
        }
    }
}

/// The report of a narrative (`tgscope narrative report NAME --format json`,
/// `/api/v1/narratives/{name}`; every field in docs/narratives.md): its curve, where it
/// started, how it spread.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NarrativeReport {
    /// The definition reported on (its current version).
    pub narrative: NarrativeSummary,
    /// The period counted by.
    pub period: Period,
    /// Whether the period was chosen to fit the span of the matches (none was asked for).
    pub period_chosen: bool,
    /// The start of the range asked for (RFC 3339 UTC, `YYYY-MM-DDTHH:MM:SSZ`), or null.
    pub since: Option<String>,
    /// The end of the range asked for (exclusive; RFC 3339 UTC), or null.
    pub until: Option<String>,
    /// Matching posts reported on: the dated ones in the range and the undated ones.
    pub matching: u64,
    /// Of which dated (observed or inferred) and in the range: what the curve adds up to.
    pub dated: u64,
    /// Of the dated, those whose date is inferred (from the text or the capture).
    pub inferred_dates: u64,
    /// Matching posts without a date: in no period and left out of the curve, of the first
    /// post, of `joined` and of `spread`; counted here whatever the range.
    pub undated: u64,
    /// Matching posts with a date outside the range asked for (not reported on).
    pub out_of_range: u64,
    /// Per query, in the order of the definition: how many of the reported posts it matches.
    pub queries: Vec<QueryMatches>,
    /// Matching posts per period, from the first period with a post to the last (the empty
    /// periods between them with 0).
    pub counts: Vec<PeriodCount>,
    /// Per channel, its reported posts per period: the channels in the order they joined (by
    /// their first dated matching post), then those with undated posts only.
    pub channels: Vec<ChannelSeries>,
    /// The earliest dated matching post (by date, observed or inferred; ties by id), or null
    /// when no reported post is dated.
    pub first_post: Option<NarrativePost>,
    /// The channel of the first post, or null.
    pub first_channel: Option<ChannelRef>,
    /// Each channel's first dated matching post, in the order the channels joined.
    pub joined: Vec<NarrativePost>,
    /// Distinct channels with a dated matching post per period (the periods of `counts`).
    pub spread: Vec<PeriodCount>,
    /// The most viewed reported posts (by views, most first; then the earliest, undated last;
    /// then by id), at most the number asked for; posts without views are not listed.
    pub top_posts: Vec<NarrativePost>,
    /// Reported posts without a view count (plain-text captures, exports): never top posts.
    pub without_views: u64,
    /// Copy clusters (docs/copies.md) with reported matching posts, the most matching posts
    /// first (ties by cluster id).
    pub clusters: Vec<ClusterInvolved>,
    /// Whether a writer at work is still bringing the matches up to the archive: the report is
    /// of the matches as they stand.
    pub catching_up: bool,
}

/// How many reported posts one query of a narrative matches.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueryMatches {
    /// The query as written.
    pub query: String,
    /// Reported posts it matches (a post can match several queries).
    pub matching: u64,
    /// Why the query could not be run when the matches were last brought up to date (it then
    /// matches nothing), or null.
    pub problem: Option<String>,
}

/// A channel as a narrative's report names it: archive id and name.
// In the OpenAPI document `NarrativeChannel`: the server's `ChannelRef` is another shape.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = NarrativeChannel))]
pub struct ChannelRef {
    /// Archive id.
    pub id: i64,
    /// Its name: the username (without `@`), else the title, else `#` and the archive id.
    pub name: String,
}

/// One channel's reported matching posts over time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelSeries {
    /// The channel.
    pub channel: ChannelRef,
    /// Its reported matching posts (dated in the range, and undated).
    pub posts: u64,
    /// Of which undated (in no period).
    pub undated: u64,
    /// Its posts per period, only the periods with posts.
    pub counts: Vec<PeriodCount>,
}

/// A matching post as a narrative's report names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NarrativePost {
    /// Archive id (`/api/v1/posts/{id}`).
    pub post_id: i64,
    /// Its channel.
    pub channel: ChannelRef,
    /// Telegram's message id, when known.
    pub message_id: Option<i64>,
    /// Its date: RFC 3339 UTC when observed; when inferred (`date_inferred`), as the archive
    /// keeps it; null for an undated post.
    pub date: Option<String>,
    /// Whether the date is inferred (from the text or the capture), not observed.
    pub date_inferred: bool,
    /// Views, when a capture gave them.
    pub views: Option<u64>,
    /// In `joined`: the channel's reported matching posts; elsewhere 1.
    pub posts: u64,
}

/// A copy cluster with reported matching posts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClusterInvolved {
    /// The cluster's id (`/api/v1/clusters/{id}`, `tgscope cluster ID`).
    pub cluster_id: i64,
    /// Posts of the cluster, matching or not.
    pub posts: u64,
    /// Of which reported matching posts.
    pub matching: u64,
    /// Distinct channels of its reported matching posts.
    pub channels: u64,
}

/// Checks a narrative's name: 1 to [`MAX_NAME_CHARS`] letters, digits, `-`, `_` or `.`, so
/// that it is one word on a command line and one segment of a URL.
fn check_name(name: &str) -> Result<()> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(EngineError::BadRequest(format!(
            "a narrative's name has 1 to {MAX_NAME_CHARS} characters; {name:?} has {chars}"
        )));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(EngineError::BadRequest(format!(
            "a narrative's name is letters, digits, '-', '_' and '.' (put the rest in \
             --description); {name:?} has {c:?}"
        )));
    }
    Ok(())
}

/// A fingerprint of bytes (the first 8 bytes of their SHA-256), stable across builds.
fn fingerprint(parts: &[&[u8]]) -> u64 {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_le_bytes(b)
}

/// A narrative's queries as one query of the search language, `(q1) OR (q2)`: what a search
/// page or a feed of the narrative runs.
pub fn joined_query(queries: &[String]) -> String {
    match queries {
        [one] => one.clone(),
        many => many
            .iter()
            .map(|q| format!("({q})"))
            .collect::<Vec<_>>()
            .join(" OR "),
    }
}

/// A narrative's queries, each parsed and resolved now, or why it cannot be run.
struct Resolved {
    key: String,
    queries: Vec<std::result::Result<tgscope_index::Query, String>>,
    fingerprint: u64,
}

impl Engine {
    fn narratives_dir(&self) -> PathBuf {
        self.dir().join(NARRATIVES_DIR)
    }

    /// Parses and resolves a query of a narrative as a search would (channel and entity names
    /// included); copy filters are refused (clusters change as copies arrive, which would make
    /// the matches of posts that did not change go stale).
    fn narrative_query(&mut self, query: &str) -> Result<tgscope_index::Query> {
        let syntax = tgscope_index::parse_query(query).map_err(EngineError::query)?;
        if syntax.has_copy_filter() {
            return Err(EngineError::Query(
                "has:copies and cluster:ID cannot be part of a narrative (copy clusters change \
                 as copies arrive); the report lists the clusters its posts are in"
                    .into(),
            ));
        }
        self.parse_query(query)
    }

    /// Checks a narrative's queries: at least one, at most [`MAX_QUERIES`], each one that
    /// parses and whose names the archive resolves; an error names the query.
    fn check_queries(&mut self, queries: &[String]) -> Result<()> {
        if queries.is_empty() {
            return Err(EngineError::BadRequest(
                "a narrative needs at least one query (--query)".into(),
            ));
        }
        if queries.len() > MAX_QUERIES {
            return Err(EngineError::BadRequest(format!(
                "a narrative has at most {MAX_QUERIES} queries; {} were given",
                queries.len()
            )));
        }
        for (i, q) in queries.iter().enumerate() {
            if q.trim().is_empty() {
                return Err(EngineError::BadRequest(format!("query {} is empty", i + 1)));
            }
            self.narrative_query(q).map_err(|e| match e {
                EngineError::Query(m) | EngineError::BadRequest(m) => {
                    EngineError::Query(format!("query {} ({q:?}): {m}", i + 1))
                }
                other => EngineError::Query(format!("query {} ({q:?}): {other}", i + 1)),
            })?;
        }
        Ok(())
    }

    /// Adds a narrative (or brings back a removed one, as its next version), after checking
    /// its name and queries, and finds its matches. A current narrative of that name is an
    /// error (edit it instead).
    pub fn add_narrative(
        &mut self,
        name: &str,
        description: &str,
        queries: &[String],
    ) -> Result<NarrativeSummary> {
        check_name(name)?;
        if let Some(old) = self.store.narrative(name)?
            && old.removed_at.is_none()
        {
            return Err(EngineError::BadRequest(format!(
                "a narrative called {:?} exists (version {}); `tgscope narrative edit` makes a \
                 new version of it",
                old.name,
                old.current().map_or(0, |v| v.version)
            )));
        }
        self.check_queries(queries)?;
        let record = self
            .store
            .add_narrative_version(name, description.trim(), queries)?;
        self.update_narratives()?;
        self.summary(&record)
    }

    /// Makes a new version of a narrative: new queries (replacing the old ones) and/or a new
    /// description; what is not given is kept. The old versions stay in the archive.
    pub fn edit_narrative(
        &mut self,
        name: &str,
        description: Option<&str>,
        queries: Option<&[String]>,
    ) -> Result<NarrativeSummary> {
        let old = self.current_narrative(name)?;
        let current = old
            .current()
            .cloned()
            .ok_or_else(|| EngineError::Archive(format!("narrative {name:?} has no version")))?;
        if description.is_none() && queries.is_none() {
            return Err(EngineError::BadRequest(
                "nothing to change: give --query (the new queries, replacing the old ones) \
                 and/or --description"
                    .into(),
            ));
        }
        let queries = queries.map_or(current.queries.clone(), <[String]>::to_vec);
        let description = description.map_or(current.description.clone(), |d| d.trim().into());
        if queries == current.queries && description == current.description {
            return Err(EngineError::BadRequest(format!(
                "version {} of {:?} already has these queries and this description",
                current.version, old.name
            )));
        }
        self.check_queries(&queries)?;
        let record = self
            .store
            .add_narrative_version(&old.name, &description, &queries)?;
        self.update_narratives()?;
        self.summary(&record)
    }

    /// Removes a narrative: it is no longer listed, reported or kept current; its versions
    /// stay in the archive (`list --all`), and adding its name again continues them.
    pub fn remove_narrative(&mut self, name: &str) -> Result<NarrativeSummary> {
        let old = self.current_narrative(name)?;
        self.store.remove_narrative(&old.name)?;
        self.update_narratives()?;
        let record = self
            .store
            .narrative(&old.name)?
            .ok_or_else(|| EngineError::Archive(format!("narrative {name:?} vanished")))?;
        self.summary(&record)
    }

    /// The current (not removed) narrative of this name, or [`EngineError::NoSuchNarrative`].
    fn current_narrative(&self, name: &str) -> Result<NarrativeRecord> {
        match self.store.narrative(name)? {
            Some(r) if r.removed_at.is_none() => Ok(r),
            found => Err(EngineError::NoSuchNarrative {
                name: name.to_string(),
                removed: found.is_some(),
            }),
        }
    }

    /// The narrative of this name with every version (a removed one too, saying so).
    pub fn narrative(&self, name: &str) -> Result<NarrativeRecord> {
        self.store
            .narrative(name)?
            .ok_or_else(|| EngineError::NoSuchNarrative {
                name: name.to_string(),
                removed: false,
            })
    }

    /// Every narrative (removed ones too with `removed`), by name, with its current matches.
    pub fn narratives(&mut self, removed: bool) -> Result<Vec<NarrativeSummary>> {
        self.update_narratives()?;
        let records = self.store.narratives(removed)?;
        records.iter().map(|r| self.summary(r)).collect()
    }

    fn summary(&self, record: &NarrativeRecord) -> Result<NarrativeSummary> {
        let current = record.current().cloned().unwrap_or(NarrativeVersion {
            version: 0,
            description: String::new(),
            queries: Vec::new(),
            created_at: record.created_at.clone(),
        });
        let matching = if record.removed_at.is_some() {
            0
        } else {
            self.load_narratives()?
                .and_then(|s| {
                    s.narratives
                        .get(&tgscope_archive::narrative_key(&record.name))
                        .map(|m| m.posts.len() as u64)
                })
                .unwrap_or(0)
        };
        Ok(NarrativeSummary {
            name: record.name.clone(),
            version: current.version,
            description: current.description,
            queries: current.queries,
            created_at: record.created_at.clone(),
            updated_at: current.created_at,
            removed_at: record.removed_at.clone(),
            matching,
        })
    }

    fn load_narratives(&self) -> Result<Option<Arc<NarrativeState>>> {
        let path = self.narratives_dir().join(STATE_FILE);
        SHARED.load(&path, "the narratives' matches", NarrativeState::load)
    }

    /// What the matches depend on besides the definitions: the index's schema and the entity
    /// lists the index recognised entities with.
    fn narratives_made_with(&self) -> Result<u64> {
        let lists = self.recognizer()?.fingerprint();
        Ok(fingerprint(&[
            &tgscope_index::SCHEMA_VERSION.to_le_bytes(),
            &lists.to_le_bytes(),
        ]))
    }

    /// Each current narrative's queries resolved now, with its fingerprint.
    fn resolve_narratives(&mut self) -> Result<Vec<Resolved>> {
        let records = self.store.narratives(false)?;
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            let Some(v) = r.current() else { continue };
            let mut parts: Vec<Vec<u8>> = vec![v.version.to_le_bytes().to_vec()];
            let mut queries = Vec::with_capacity(v.queries.len());
            for q in &v.queries {
                let resolved = self.narrative_query(q).map_err(|e| e.to_string());
                parts.push(q.as_bytes().to_vec());
                parts.push(format!("{resolved:?}").into_bytes());
                queries.push(resolved);
            }
            let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
            out.push(Resolved {
                key: tgscope_archive::narrative_key(&r.name),
                fingerprint: fingerprint(&refs),
                queries,
            });
        }
        Ok(out)
    }

    /// Brings the narratives' matches up to the archive (see the module's doc). A reader does
    /// it only when no writer is at work; otherwise the matches stand as they are (and reports
    /// say so).
    pub fn update_narratives(&mut self) -> Result<NarrativeUpdate> {
        self.update_narratives_with(&[])
    }

    /// Evaluates these posts again for every narrative, whatever the mark: posts whose date an
    /// observed one replaced in place (`date:` and `has:date` depend on it).
    pub(crate) fn rederive_narratives(&mut self, post_ids: &[i64]) -> Result<()> {
        if !post_ids.is_empty() {
            self.update_narratives_with(post_ids)?;
        }
        Ok(())
    }

    /// On opening the archive: matches that exist but fell behind, or narratives without
    /// matches yet, are caught up.
    pub(crate) fn catch_up_existing_narratives(&mut self) -> Result<()> {
        if self.narratives_dir().join(STATE_FILE).is_file()
            || !self.store.narratives(false)?.is_empty()
        {
            self.update_narratives()?;
        }
        Ok(())
    }

    /// Whether the matches are current: made up to the archive's mark, with this index schema
    /// and these entity lists, for exactly the current narratives as their queries resolve now.
    fn narratives_current(&mut self, old: Option<&NarrativeState>) -> Result<bool> {
        let Some(old) = old else {
            return Ok(self.store.narratives(false)?.is_empty());
        };
        if old.mark != self.store.index_mark()? || old.made_with != self.narratives_made_with()? {
            return Ok(false);
        }
        let resolved = self.resolve_narratives()?;
        Ok(resolved.len() == old.narratives.len()
            && resolved.iter().all(|r| {
                old.narratives
                    .get(&r.key)
                    .is_some_and(|m| m.fingerprint == r.fingerprint)
            }))
    }

    fn update_narratives_with(&mut self, extra: &[i64]) -> Result<NarrativeUpdate> {
        let old = self.load_narratives()?;
        if extra.is_empty() && self.narratives_current(old.as_deref())? {
            return Ok(NarrativeUpdate::default());
        }
        // The index first: the queries run against it. (A reader brings it up itself only when
        // no writer is at work, taking the writers' lock for the time, so before taking it
        // here.) The mark is read before: posts changed after it are evaluated again next time.
        let mark = self.store.index_mark()?;
        match self.update_index() {
            Ok(_) => {}
            Err(EngineError::IndexBusy(why)) => {
                tracing::debug!("not bringing the narratives' matches up to date: {why}");
                return Ok(NarrativeUpdate::default());
            }
            Err(e) => return Err(e),
        }
        let _alone = if self.writers_lock.is_none() {
            match crate::search::lock_as_sole_reader(self.dir()) {
                Some(lock) => Some(lock),
                None => return Ok(NarrativeUpdate::default()),
            }
        } else {
            None
        };
        let dir = self.narratives_dir();
        let lock = crate::derived::lock_updates(&dir)?;
        let old = self.load_narratives()?;
        let made_with = self.narratives_made_with()?;
        let mut report = NarrativeUpdate::default();
        let old = match old {
            Some(s) if s.made_with == made_with && s.mark <= mark => s,
            _ => {
                report.rebuilt = true;
                Arc::new(NarrativeState {
                    mark: 0,
                    made_with,
                    narratives: BTreeMap::new(),
                })
            }
        };
        let mut changed = if report.rebuilt {
            Vec::new()
        } else {
            self.store.posts_changed_after(old.mark)?
        };
        changed.extend_from_slice(extra);
        changed.sort_unstable();
        changed.dedup();
        let resolved = self.resolve_narratives()?;
        let mut state = NarrativeState {
            mark,
            made_with,
            narratives: BTreeMap::new(),
        };
        for r in resolved {
            let kept = old
                .narratives
                .get(&r.key)
                .filter(|m| m.fingerprint == r.fingerprint);
            let matches = match kept {
                Some(m) => {
                    report.changed_posts += changed.len() as u64;
                    let mut m = m.clone();
                    for id in &changed {
                        m.posts.remove(id);
                    }
                    self.evaluate(&r, Some(&changed), &mut m)?;
                    m
                }
                None => {
                    report.evaluated += 1;
                    let mut m = NarrativeMatches {
                        fingerprint: r.fingerprint,
                        ..NarrativeMatches::default()
                    };
                    self.evaluate(&r, None, &mut m)?;
                    m
                }
            };
            state.narratives.insert(r.key, matches);
        }
        let path = dir.join(STATE_FILE);
        state
            .save(&path)
            .map_err(|e| EngineError::Archive(e.to_string()))?;
        SHARED.put(&path, &Arc::new(state));
        drop(lock);
        Ok(report)
    }

    /// Runs a narrative's queries (among `among` posts only, when given) and records the posts
    /// each matches, with each query's problem.
    fn evaluate(
        &mut self,
        r: &Resolved,
        among: Option<&[i64]>,
        into: &mut NarrativeMatches,
    ) -> Result<()> {
        into.problems = r
            .queries
            .iter()
            .map(|q| q.as_ref().err().cloned())
            .collect();
        for (i, q) in r.queries.iter().enumerate() {
            let Ok(q) = q else { continue };
            let found = self
                .index()?
                .matching_posts(q, among)
                .map_err(EngineError::index)?;
            for id in found {
                *into.posts.entry(id).or_default() |= 1u64 << i;
            }
        }
        Ok(())
    }

    /// The matches of the current narrative of this name, caught up first, with whether they
    /// may be behind (a writer at work).
    fn narrative_matches(
        &mut self,
        name: &str,
    ) -> Result<(NarrativeRecord, NarrativeMatches, bool)> {
        let record = self.current_narrative(name)?;
        self.update_narratives()?;
        let state = self.load_narratives()?;
        let catching_up = !self.narratives_current(state.as_deref())?;
        let matches = state
            .and_then(|s| {
                s.narratives
                    .get(&tgscope_archive::narrative_key(&record.name))
                    .cloned()
            })
            .unwrap_or_default();
        Ok((record, matches, catching_up))
    }

    /// The ids of the posts the current narrative of this name matches, in post order.
    pub fn narrative_posts(&mut self, name: &str) -> Result<Vec<i64>> {
        let (_, m, _) = self.narrative_matches(name)?;
        Ok(m.posts.keys().copied().collect())
    }

    /// The posts a narrative matches as a page of search results (sorted as asked; relevance
    /// ranks by the narrative's words), for feeds and front ends: one search of the index with
    /// the narrative's queries joined by OR (those that can be run now).
    pub fn narrative_search(
        &mut self,
        name: &str,
        sort: SortBy,
        limit: usize,
        offset: usize,
    ) -> Result<SearchPage> {
        let record = self.current_narrative(name)?;
        let queries = record
            .current()
            .map(|v| v.queries.clone())
            .unwrap_or_default();
        let mut runnable = Vec::new();
        for q in &queries {
            if self.narrative_query(q).is_ok() {
                runnable.push(q.clone());
            }
        }
        if runnable.is_empty() {
            return Ok(SearchPage {
                total: 0,
                offset,
                hits: Vec::new(),
                sort,
                ranked: false,
                index_catching_up: self.index_catching_up(),
            });
        }
        self.search(&joined_query(&runnable), sort, limit, offset)
    }

    /// The report of the current narrative of this name (see [`NarrativeReport`]).
    pub fn narrative_report(
        &mut self,
        name: &str,
        options: &ReportOptions,
    ) -> Result<NarrativeReport> {
        if let (Some(s), Some(u)) = (options.since, options.until)
            && s >= u
        {
            // Said in words both the command line (`--since`, `--until`) and the API
            // (`since`, `until`) fit.
            return Err(EngineError::BadRequest(
                "the period's start (since) must be before its end (until)".into(),
            ));
        }
        let (record, matches, catching_up) = self.narrative_matches(name)?;
        let summary = self.summary(&record)?;
        let ids: Vec<i64> = matches.posts.keys().copied().collect();
        let facts = self.store.narrative_post_facts(&ids)?;
        let names: HashMap<i64, String> = self
            .store
            .channels()?
            .into_iter()
            .map(|c| (c.channel.id, c.channel.name()))
            .collect();
        let channel = |id: i64| ChannelRef {
            id,
            name: names.get(&id).cloned().unwrap_or_else(|| format!("#{id}")),
        };

        // The reported posts: dated in the range, and undated ones.
        struct Row<'a> {
            f: &'a NarrativePostFacts,
            at: Option<i64>,
            queries: u64,
        }
        let mut rows: Vec<Row<'_>> = Vec::with_capacity(facts.len());
        let mut out_of_range = 0u64;
        for f in &facts {
            let at = f
                .date
                .as_deref()
                .or(f.date_inferred.as_deref())
                .and_then(unix_seconds);
            if let Some(t) = at
                && (options.since.is_some_and(|s| t < s) || options.until.is_some_and(|u| t >= u))
            {
                out_of_range += 1;
                continue;
            }
            rows.push(Row {
                f,
                at,
                queries: matches.posts.get(&f.post_id).copied().unwrap_or(0),
            });
        }
        let post = |r: &Row<'_>, posts: u64| NarrativePost {
            post_id: r.f.post_id,
            channel: channel(r.f.channel_id),
            message_id: r.f.message_id,
            date: r.f.date.clone().or_else(|| r.f.date_inferred.clone()),
            date_inferred: r.f.date.is_none() && r.f.date_inferred.is_some(),
            views: r.f.views,
            posts,
        };

        // Per day, in total and per channel.
        let mut days: HashMap<i64, u64> = HashMap::new();
        let mut channel_days: BTreeMap<i64, HashMap<i64, u64>> = BTreeMap::new();
        let mut channel_posts: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
        for r in &rows {
            let e = channel_posts.entry(r.f.channel_id).or_default();
            e.0 += 1;
            match r.at {
                Some(t) => {
                    let day = t.div_euclid(86_400);
                    *days.entry(day).or_default() += 1;
                    *channel_days
                        .entry(r.f.channel_id)
                        .or_default()
                        .entry(day)
                        .or_default() += 1;
                }
                None => e.1 += 1,
            }
        }
        let (period, period_chosen) = match options.period {
            Some(p) => (p, false),
            None => (
                Period::fitting(
                    &tgscope_index::group_days(&days, Period::Day),
                    &tgscope_index::group_days(&days, Period::Week),
                    crate::search::MAX_CHOSEN_PERIODS,
                ),
                true,
            ),
        };
        let counts = tgscope_index::group_days(&days, period);

        // First posts: overall and per channel (by date, ties by id).
        let mut dated: Vec<&Row<'_>> = rows.iter().filter(|r| r.at.is_some()).collect();
        dated.sort_by_key(|r| (r.at, r.f.post_id));
        let first_post = dated.first().map(|r| post(r, 1));
        let first_channel = first_post.as_ref().map(|p| p.channel.clone());
        let mut joined = Vec::new();
        let mut seen = BTreeSet::new();
        for r in &dated {
            if seen.insert(r.f.channel_id) {
                let n = channel_posts.get(&r.f.channel_id).map_or(0, |c| c.0);
                joined.push(post(r, n));
            }
        }
        // Channels in the order they joined, then those with undated posts only.
        let mut order: Vec<i64> = joined.iter().map(|p| p.channel.id).collect();
        for id in channel_posts.keys() {
            if !seen.contains(id) {
                order.push(*id);
            }
        }
        let channels = order
            .into_iter()
            .map(|id| {
                let (posts, undated) = channel_posts.get(&id).copied().unwrap_or_default();
                let counts = channel_days
                    .get(&id)
                    .map(|d| {
                        tgscope_index::group_days(d, period)
                            .into_iter()
                            .filter(|c| c.count > 0)
                            .collect()
                    })
                    .unwrap_or_default();
                ChannelSeries {
                    channel: channel(id),
                    posts,
                    undated,
                    counts,
                }
            })
            .collect();

        // Spread: distinct channels per period, over the same periods as the counts.
        let mut per_period: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
        for r in &dated {
            if let Some(start) = r.at.and_then(|t| tgscope_index::period_start(period, t)) {
                per_period.entry(start).or_default().insert(r.f.channel_id);
            }
        }
        let spread = counts
            .iter()
            .map(|c| PeriodCount {
                start: c.start.clone(),
                count: per_period.get(&c.start).map_or(0, |s| s.len() as u64),
            })
            .collect();

        // Top posts: most views, then earliest (undated last), then id.
        let mut top: Vec<&Row<'_>> = rows.iter().filter(|r| r.f.views.is_some()).collect();
        top.sort_by_key(|r| {
            (
                std::cmp::Reverse(r.f.views),
                r.at.is_none(),
                r.at,
                r.f.post_id,
            )
        });
        let top_posts = top.iter().take(options.top).map(|r| post(r, 1)).collect();

        // Per query.
        let queries = summary
            .queries
            .iter()
            .enumerate()
            .map(|(i, q)| QueryMatches {
                query: q.clone(),
                matching: rows.iter().filter(|r| r.queries & (1u64 << i) != 0).count() as u64,
                problem: matches.problems.get(i).cloned().flatten(),
            })
            .collect();

        // Copy clusters of the reported posts.
        let mut clusters: Vec<ClusterInvolved> = Vec::new();
        if !rows.is_empty() {
            let state = self.copy_state()?;
            let mut by_cluster: BTreeMap<i64, (u64, BTreeSet<i64>, u64)> = BTreeMap::new();
            for r in &rows {
                if let Some(c) = state.cluster_of(r.f.post_id) {
                    let e = by_cluster
                        .entry(c.id)
                        .or_insert_with(|| (c.posts.len() as u64, BTreeSet::new(), 0));
                    e.1.insert(r.f.channel_id);
                    e.2 += 1;
                }
            }
            clusters = by_cluster
                .into_iter()
                .map(|(id, (posts, chans, matching))| ClusterInvolved {
                    cluster_id: id,
                    posts,
                    matching,
                    channels: chans.len() as u64,
                })
                .collect();
            clusters.sort_by_key(|c| (std::cmp::Reverse(c.matching), c.cluster_id));
        }

        let undated = rows.iter().filter(|r| r.at.is_none()).count() as u64;
        let inferred_dates = rows
            .iter()
            .filter(|r| r.at.is_some() && r.f.date.is_none())
            .count() as u64;
        let bound = |t: Option<i64>| {
            t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        };
        Ok(NarrativeReport {
            narrative: summary,
            period,
            period_chosen,
            since: bound(options.since),
            until: bound(options.until),
            matching: rows.len() as u64,
            dated: rows.len() as u64 - undated,
            inferred_dates,
            undated,
            out_of_range,
            queries,
            counts,
            channels,
            first_post,
            first_channel,
            joined,
            spread,
            top_posts,
            without_views: rows.iter().filter(|r| r.f.views.is_none()).count() as u64,
            clusters,
            catching_up,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::check_name;

    #[test]
    fn names_are_one_word_of_letters_digits_and_a_few_marks() {
        assert!(check_name("collective-west").is_ok());
        assert!(check_name("многополярный_мир.2").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("collective West").is_err());
        assert!(check_name("a/b").is_err());
        assert!(check_name(&"x".repeat(65)).is_err());
    }
}
