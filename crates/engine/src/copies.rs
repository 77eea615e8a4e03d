//! Copies: the copy analysis ([`tgscope_analyze::copies`]) kept as derived data in
//! `<archive>/copies/`, caught up to the archive's mark like the search index, and the questions
//! front ends ask of it: a post's copies, a channel's copying, the largest clusters.
//!
//! "First seen" is always first seen *in this archive* (the earliest observed date, then
//! inferred dates, then the lowest archive id), and every answer says what it rests on.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use tgscope_analyze::copies::{
    self, Cluster, ClusterBasis, ClusterIndex, CopyPost, CopyState, MemberFacts, Params, PostTime,
    Rebuild, StateError,
};
use tgscope_archive::{ChannelTexts, PostDate, PostText};

use crate::derived::{self, SharedStates};
use crate::error::{EngineError, Result};
use crate::search::unix_seconds;
use crate::{ChannelInfo, Engine, PostRecord};
use tgscope_archive::prelude::*;

pub use tgscope_analyze::copies::{Params as CopyParams, Relation};

/// The folder of the copy analysis inside an archive.
pub const COPIES_DIR: &str = "copies";
/// The analysis's file in [`COPIES_DIR`].
const STATE_FILE: &str = "state.bin";
/// The clusters alone, beside the state ([`copies::ClusterIndex`]): what the export reads, and
/// what tells a reader that the analysis is current without loading it.
const CLUSTERS_FILE: &str = "clusters.bin";
/// The archive setting that holds the parameters a user chose.
const PARAMS_SETTING: &str = "copies.params";

/// Analyses in memory, one per file for the process.
static SHARED: SharedStates<CopyState> = SharedStates::new();

/// What bringing the copy analysis up to the archive did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CopyUpdate {
    /// Posts (re)compared.
    pub compared: u64,
    /// Whether it was built from scratch.
    pub rebuilt: bool,
}

/// The most text of one channel a rebuild of the copy analysis holds at once; a larger
/// channel is read twice, a page at a time (its boilerplate first, then its posts).
const CHANNEL_TEXT_BYTES: usize = 64 << 20;

/// Posts read at once when a large channel is read again (at most 32 MiB of text: a post's
/// text is at most `MAX_POST_TEXT_BYTES`).
const PAGE_POSTS: usize = 256;

/// The windows of marks an update of the copy analysis reads its changed posts in: the archive
/// ends each window where its versions' texts reach [`CopyWindow::text_bytes`], or after
/// [`CopyWindow::versions`] versions ([`FeedReads::window_end`]), so that the texts an update
/// holds at once, and the features it derives from them (shingles, band keys, each version's
/// tally of candidate partners: a few times the text), stay bounded whatever the posts' sizes
/// and however far behind the analysis is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CopyWindow {
    /// The texts one window holds, at most (but always its first version).
    pub(crate) text_bytes: u64,
    /// The versions one window holds, at most.
    pub(crate) versions: u32,
}

impl CopyWindow {
    /// 24 MiB of text, 16,384 versions. Each window scans the candidate buckets of the whole
    /// analysis once, so a window much narrower costs time (8,192 versions made a 1 GB ingest
    /// 15% slower).
    pub(crate) const DEFAULT: CopyWindow = CopyWindow {
        text_bytes: 24 << 20,
        versions: 1 << 14,
    };
}

fn params_to_json(p: &Params) -> String {
    serde_json::json!({
        "jaccard": p.jaccard,
        "containment": p.containment,
        "min_words": p.min_words,
        "near_min_words": p.near_min_words,
        "word_shingle": p.word_shingle,
        "char_shingle": p.char_shingle,
        "bands": p.bands,
        "rows": p.rows,
        "paragraph_min_chars": p.paragraph_min_chars,
        "max_bucket": p.max_bucket,
        "boilerplate_min_posts": p.boilerplate_min_posts,
        "boilerplate_min_share": p.boilerplate_min_share,
    })
    .to_string()
}

fn params_from_json(json: &str) -> Option<Params> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let mut p = Params::default();
    let f = |k: &str| v.get(k).and_then(serde_json::Value::as_f64);
    let u = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
    };
    if let Some(x) = f("jaccard") {
        p.jaccard = x;
    }
    if let Some(x) = f("containment") {
        p.containment = x;
    }
    if let Some(x) = f("boilerplate_min_share") {
        p.boilerplate_min_share = x;
    }
    for (key, slot) in [
        ("min_words", &mut p.min_words),
        ("near_min_words", &mut p.near_min_words),
        ("word_shingle", &mut p.word_shingle),
        ("char_shingle", &mut p.char_shingle),
        ("bands", &mut p.bands),
        ("rows", &mut p.rows),
        ("paragraph_min_chars", &mut p.paragraph_min_chars),
        ("max_bucket", &mut p.max_bucket),
        ("boilerplate_min_posts", &mut p.boilerplate_min_posts),
    ] {
        if let Some(x) = u(key) {
            *slot = x;
        }
    }
    p.validate().ok().map(|()| p)
}

fn copy_post(p: PostText) -> CopyPost {
    CopyPost {
        post_id: p.post_id,
        channel_id: p.channel_id,
        text: p.text,
    }
}

/// One post of a cluster as front ends show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopyItem {
    /// Archive id of the post.
    pub id: i64,
    /// Its channel.
    pub channel: ChannelInfo,
    /// Its date (RFC 3339 UTC, observed; else inferred, as stored).
    pub date: Option<String>,
    /// Whether that date was inferred (not observed).
    pub date_inferred: bool,
    /// Whether it is the first post seen in this archive.
    pub first_seen: bool,
    /// `first`, `forward`, `attributed`, `unattributed` or `partial`.
    pub relation: &'static str,
    /// How it names its source (`forward_header`, `link`, `mention`, `source_line`), when it
    /// does.
    pub attribution: Option<CopyAttribution>,
    /// Jaccard similarity of its text and the first post's (shingles, after normalisation).
    pub similarity: f64,
    /// Containment of the smaller text in the larger.
    pub containment: f64,
    /// Seconds after the first post, when both are dated.
    pub delay_seconds: Option<i64>,
    /// Words it adds to the first post's text.
    pub added: Vec<String>,
    /// Words of the first post's text it lacks.
    pub removed: Vec<String>,
    /// Telegram's message id, when known.
    pub message_id: Option<i64>,
    /// The start of its text (for tables).
    pub excerpt: String,
}

/// How a copy names its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopyAttribution {
    /// `forward_header`, `link`, `mention` or `source_line`.
    pub kind: &'static str,
    /// What it names.
    pub names: String,
}

/// A cluster in time order, described against its first post.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterDetail {
    /// The cluster's id (the lowest archive id among its posts).
    pub cluster: i64,
    /// Archive id of the first post seen in this archive.
    pub first_post: i64,
    /// What "first" rests on: `observed` (the earliest observed date), `inferred` (no post
    /// has an observed date) or `undated` (none is dated: the lowest archive id).
    pub first_seen_basis: &'static str,
    /// How many channels.
    pub channel_count: usize,
    /// Every post: the first, then the others by date (undated last).
    pub posts: Vec<CopyItem>,
}

/// A post's copies: its cluster, from the post's side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostCopies {
    /// The post asked about.
    pub post: i64,
    /// Its cluster.
    #[serde(flatten)]
    pub detail: ClusterDetail,
}

/// One cluster in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterSummary {
    /// The cluster's id.
    pub cluster: i64,
    /// Its posts, by archive id.
    pub posts: Vec<i64>,
    /// How many posts.
    pub size: usize,
    /// Its channels.
    pub channels: Vec<ChannelInfo>,
    /// The first post seen in this archive.
    pub first_post: i64,
    /// What that rests on (`observed`, `inferred`, `undated`).
    pub first_seen_basis: &'static str,
    /// The first post's date.
    pub first_date: Option<String>,
    /// The latest dated post's date.
    pub last_date: Option<String>,
    /// Whether that date was inferred (not observed).
    pub last_date_inferred: bool,
    /// Posts with no date (not in the time span).
    pub undated_posts: usize,
}

/// How clusters are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClusterSort {
    /// The most posts first.
    #[default]
    Size,
    /// The most channels first.
    Channels,
    /// The earliest first post first.
    First,
}

/// Which clusters to list.
#[derive(Debug, Clone, Default)]
pub struct ClusterFilter {
    /// Clusters with at least this many channels.
    pub min_channels: usize,
    /// Clusters first seen at or after this date (`YYYY-MM-DD` or RFC 3339).
    pub since: Option<String>,
    /// ...and before this one.
    pub until: Option<String>,
    /// The order.
    pub sort: ClusterSort,
    /// At most this many.
    pub limit: Option<usize>,
    /// Skipping this many.
    pub offset: usize,
}

/// A page of clusters, with how many there are.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClustersPage {
    /// Clusters matching the filter.
    pub total: usize,
    /// Clusters left out by a date range because their first post has no date.
    pub undated_left_out: usize,
    /// Where this page starts.
    pub offset: usize,
    /// The page.
    pub clusters: Vec<ClusterSummary>,
}

/// Who a channel copies from, or who copies it, with how.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopyCounterpart {
    /// The other channel.
    pub channel: ChannelInfo,
    /// Posts copied (of this channel's, or from it).
    pub posts: u64,
    /// Of which forwards.
    pub forward: u64,
    /// Attributed copies.
    pub attributed: u64,
    /// Unattributed copies.
    pub unattributed: u64,
    /// Partial copies.
    pub partial: u64,
    /// The median delay after the first post, in seconds, over the dated pairs.
    pub median_delay_seconds: Option<i64>,
}

/// A channel's copying.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelCopies {
    /// The channel.
    pub channel: ChannelInfo,
    /// Clusters with a post of the channel.
    pub clusters: usize,
    /// Channels whose posts it has copies of (it was not first), the most first.
    pub copies_from: Vec<CopyCounterpart>,
    /// Channels that have copies of its posts (it was first), the most first.
    pub copied_by: Vec<CopyCounterpart>,
}

/// A post's place among copies, for the export record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopyOf {
    /// The first post seen in the archive of the post's cluster.
    pub post: i64,
    /// The post's relation to it.
    pub relation: &'static str,
}

/// The CSV columns of a cluster's posts (the command line's `copies --format csv` and the
/// API's cluster download): [`CopyItem::csv_row`].
pub const COPY_COLUMNS: &[&str] = &[
    "cluster",
    "id",
    "channel",
    "channel_id",
    "message_id",
    "date",
    "date_inferred",
    "first_seen",
    "relation",
    "attribution",
    "attributed_to",
    "similarity",
    "containment",
    "delay_seconds",
    "added",
    "removed",
    "excerpt",
];

/// The CSV columns of a channel's copying: [`CopyCounterpart::csv_row`].
pub const COUNTERPART_COLUMNS: &[&str] = &[
    "direction",
    "channel",
    "channel_id",
    "posts",
    "forward",
    "attributed",
    "unattributed",
    "partial",
    "median_delay_seconds",
];

/// The CSV columns of a list of clusters: [`ClusterSummary::csv_row`].
pub const CLUSTER_COLUMNS: &[&str] = &[
    "cluster",
    "size",
    "channel_count",
    "channels",
    "channel_ids",
    "first_post",
    "first_seen_basis",
    "first_date",
    "last_date",
    "last_date_inferred",
    "undated_posts",
    "posts",
];

fn cell<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn joined<T: ToString>(items: impl Iterator<Item = T>, sep: &str) -> String {
    items.map(|t| t.to_string()).collect::<Vec<_>>().join(sep)
}

impl CopyItem {
    /// The post as a row of [`COPY_COLUMNS`] (`added` and `removed` joined by spaces).
    pub fn csv_row(&self, cluster: i64) -> Vec<String> {
        vec![
            cluster.to_string(),
            self.id.to_string(),
            self.channel.name(),
            self.channel.id.to_string(),
            cell(&self.message_id),
            cell(&self.date),
            self.date_inferred.to_string(),
            self.first_seen.to_string(),
            self.relation.to_string(),
            cell(&self.attribution.as_ref().map(|a| a.kind)),
            cell(&self.attribution.as_ref().map(|a| a.names.clone())),
            format!("{:.4}", self.similarity),
            format!("{:.4}", self.containment),
            cell(&self.delay_seconds),
            self.added.join(" "),
            self.removed.join(" "),
            self.excerpt.clone(),
        ]
    }
}

impl CopyCounterpart {
    /// The channel as a row of [`COUNTERPART_COLUMNS`]; `direction` is `copies_from` or
    /// `copied_by`.
    pub fn csv_row(&self, direction: &str) -> Vec<String> {
        vec![
            direction.to_string(),
            self.channel.name(),
            self.channel.id.to_string(),
            self.posts.to_string(),
            self.forward.to_string(),
            self.attributed.to_string(),
            self.unattributed.to_string(),
            self.partial.to_string(),
            cell(&self.median_delay_seconds),
        ]
    }
}

impl ChannelCopies {
    /// Both lists as rows of [`COUNTERPART_COLUMNS`]: `copies_from` first, then `copied_by`.
    pub fn csv_rows(&self) -> Vec<Vec<String>> {
        self.copies_from
            .iter()
            .map(|c| c.csv_row("copies_from"))
            .chain(self.copied_by.iter().map(|c| c.csv_row("copied_by")))
            .collect()
    }
}

impl crate::export::TableRecord for ClusterSummary {
    const KIND: &'static str = "cluster";

    fn csv_columns() -> Vec<&'static str> {
        CLUSTER_COLUMNS.to_vec()
    }

    fn csv_row(&self) -> Vec<String> {
        ClusterSummary::csv_row(self)
    }
}

impl ClusterSummary {
    /// The cluster as a row of [`CLUSTER_COLUMNS`] (lists joined by `;`).
    pub fn csv_row(&self) -> Vec<String> {
        vec![
            self.cluster.to_string(),
            self.size.to_string(),
            self.channels.len().to_string(),
            joined(self.channels.iter().map(ChannelInfo::name), ";"),
            joined(self.channels.iter().map(|c| c.id), ";"),
            self.first_post.to_string(),
            self.first_seen_basis.to_string(),
            cell(&self.first_date),
            cell(&self.last_date),
            self.last_date_inferred.to_string(),
            self.undated_posts.to_string(),
            joined(self.posts.iter(), ";"),
        ]
    }
}

fn excerpt(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut out: String = line.chars().take(80).collect();
    if line.chars().count() > 80 {
        out.push('…');
    }
    out
}

fn record_date(r: &PostRecord) -> (Option<String>, bool) {
    match (&r.current.date, &r.current.date_inferred) {
        (Some(d), _) => (Some(d.clone()), false),
        (None, Some(i)) => (Some(i.date.clone()), true),
        (None, None) => (None, false),
    }
}

/// When a post was published and what it forwards, from its dates in the archive.
fn post_time(post_id: i64, d: Option<&PostDate>) -> PostTime {
    let observed = d.and_then(|d| d.date.as_deref());
    let any = observed.or_else(|| d.and_then(|d| d.date_inferred.as_deref()));
    PostTime {
        post_id,
        date: any.and_then(unix_seconds),
        observed: observed.is_some(),
        channel_id: d.map_or(0, |d| d.channel_id),
        message_id: d.and_then(|d| d.message_id),
        forward_of: d.and_then(|d| d.forward_channel_id.map(|c| (c, d.forward_message_id))),
    }
}

fn member_facts(r: &PostRecord, partial: bool, time: Option<&PostDate>) -> MemberFacts {
    let (date, inferred) = record_date(r);
    let mut channel_names = Vec::new();
    channel_names.extend(r.channel.username.clone());
    channel_names.extend(r.channel.title.clone());
    MemberFacts {
        post_id: r.id,
        channel_id: r.channel.id,
        channel_names,
        date: date.as_deref().and_then(unix_seconds),
        date_observed: !inferred,
        forward_from: r.current.forward.as_ref().map(|f| {
            f.username
                .clone()
                .or_else(|| f.title.clone())
                .unwrap_or_else(|| "a hidden source".into())
        }),
        links: r
            .current
            .links
            .iter()
            .filter_map(|l| l.url.clone())
            .collect(),
        mentions: r.current.mentions.iter().map(|m| m.value.clone()).collect(),
        text: r.current.text.clone(),
        partial,
        message_id: r.message_id,
        forward_of: time.and_then(|d| d.forward_channel_id.map(|c| (c, d.forward_message_id))),
    }
}

fn median(mut v: Vec<i64>) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    })
}

/// Each clustered post's cluster id and its relation to the cluster's first post, by post id.
pub type CopyRelations = HashMap<i64, (i64, CopyOf)>;

impl Engine {
    fn copies_dir(&self) -> PathBuf {
        self.dir().join(COPIES_DIR)
    }

    /// The copy analysis's parameters: those chosen for the archive, else the defaults.
    pub fn copy_params(&self) -> Result<Params> {
        Ok(self
            .store
            .setting(PARAMS_SETTING)?
            .and_then(|json| params_from_json(&json))
            .unwrap_or_default())
    }

    /// Chooses the copy analysis's parameters for the archive (`None`: the defaults again) and
    /// rebuilds the analysis with them when they changed. Needs a writing engine.
    pub fn set_copy_params(&mut self, params: Option<Params>) -> Result<bool> {
        if let Some(p) = &params {
            p.validate().map_err(EngineError::BadCopyParams)?;
        }
        let current = self.copy_params()?;
        let wanted = params.clone().unwrap_or_default();
        let json = params
            .filter(|p| *p != Params::default())
            .map(|p| params_to_json(&p));
        self.store.set_setting(PARAMS_SETTING, json.as_deref())?;
        if current == wanted {
            return Ok(false);
        }
        self.copies = None;
        self.update_copies()?;
        Ok(true)
    }

    /// Brings the copy analysis up to the archive (built when missing, or when it was made
    /// with other parameters or by another version of tgscope; else the posts with newer
    /// versions compared again). A reader does it only when no writer is at work; otherwise
    /// it answers from the analysis as it stands (see [`Engine::copies_catching_up`]).
    pub fn update_copies(&mut self) -> Result<CopyUpdate> {
        let mark = self.store.index_mark()?;
        let params = self.copy_params()?;
        if self.copies.is_none() {
            self.copies = self.load_copies()?;
        }
        if let Some(state) = &self.copies
            && state.mark() == mark
            && *state.params() == params
        {
            self.copies_catching_up = false;
            // An analysis written before cluster indexes existed gets its index now (derived
            // data: when it cannot be written, readers load the whole analysis instead).
            let index = self.copies_dir().join(CLUSTERS_FILE);
            if !index.is_file()
                && let Err(e) = state.save_cluster_index(&index)
            {
                tracing::debug!("the copy analysis's cluster index was not written: {e}");
            }
            return Ok(CopyUpdate::default());
        }
        // Readers leave the work to a writer at work.
        let _alone = if self.writers_lock.is_none() {
            match crate::search::lock_as_sole_reader(self.dir()) {
                Some(lock) => Some(lock),
                None => {
                    self.copies_catching_up = true;
                    return Ok(CopyUpdate::default());
                }
            }
        } else {
            None
        };
        let dir = self.copies_dir();
        let lock = derived::lock_updates(&dir)?;
        // Another process (or another engine of this one) may have brought it up meanwhile.
        self.copies = self.load_copies()?;
        let mark = self.store.index_mark()?;
        if let Some(state) = &self.copies
            && state.mark() == mark
            && *state.params() == params
        {
            self.copies_catching_up = false;
            return Ok(CopyUpdate::default());
        }
        let mut report = CopyUpdate::default();
        // The state is changed in place: the process's shared copy lets go of it first, so
        // that it is not copied whole when no other engine holds it (the file on disk stays
        // until the new state replaces it, and other engines read it again from there).
        SHARED.forget(&dir.join(STATE_FILE));
        let held = match self.copies.take().map(Arc::try_unwrap) {
            Some(Ok(state)) => Some(state),
            // Another engine of this process still reads it: this one reads its own from the
            // file (the same analysis; a file that cannot be read is rebuilt below).
            Some(Err(_)) => CopyState::load(&dir.join(STATE_FILE)).ok().flatten(),
            None => None,
        };
        let state = match held {
            Some(mut state) if *state.params() == params && state.mark() <= mark => {
                // The posts changed since the analysis's mark, a window of marks at a time, so
                // that no more than a window's texts are held (an ingest's follower catches up
                // half the archive at once). The analysis after each window is the one a
                // rebuild at that window's end would give.
                let window = self.copy_window;
                while state.mark() < mark {
                    let from = state.mark();
                    let to =
                        self.store
                            .window_end(from, mark, window.text_bytes, window.versions)?;
                    let changed: Vec<CopyPost> = self
                        .store
                        .post_texts_after(from, to)?
                        .into_iter()
                        .map(copy_post)
                        .collect();
                    let store = &self.store;
                    let mut fetch = |ids: &[i64]| -> Result<Vec<CopyPost>> {
                        Ok(store.post_texts(ids)?.into_iter().map(copy_post).collect())
                    };
                    let done = state.update(to, changed, &mut fetch)?;
                    report.compared += done.compared;
                    let failed = state.scratch_failure().err();
                    if let Some(e) = &failed {
                        tracing::warn!("the copy analysis is rebuilt: {e}");
                    }
                    if done.needs_rebuild || failed.is_some() {
                        state = self.rebuild_copies(params, mark)?;
                        report.rebuilt = true;
                        report.compared = state.post_count() as u64;
                        break;
                    }
                }
                state
            }
            _ => {
                let state = self.rebuild_copies(params, mark)?;
                report.rebuilt = true;
                report.compared = state.post_count() as u64;
                state
            }
        };
        let path = dir.join(STATE_FILE);
        state
            .save(&path)
            .map_err(|e| EngineError::Archive(e.to_string()))?;
        state
            .save_cluster_index(&dir.join(CLUSTERS_FILE))
            .map_err(|e| EngineError::Archive(e.to_string()))?;
        let state = Arc::new(state);
        SHARED.put(&path, &state);
        drop(lock);
        self.copies = Some(state);
        self.copies_catching_up = false;
        Ok(report)
    }

    fn rebuild_copies(&self, params: Params, mark: i64) -> Result<CopyState> {
        self.rebuild_copies_holding(params, mark, CHANNEL_TEXT_BYTES)
    }

    /// [`Engine::rebuild_copies`] holding at most `channel_bytes` of one channel's texts.
    fn rebuild_copies_holding(
        &self,
        params: Params,
        mark: i64,
        channel_bytes: usize,
    ) -> Result<CopyState> {
        // A channel at a time; what the verification compares of each text waits in a
        // temporary file beside the analysis. A channel whose texts pass `channel_bytes` is
        // read twice a page at a time instead (its boilerplate learned from every post first),
        // so that no more than that many bytes of text are held.
        let state_error = |e: StateError| EngineError::Archive(e.to_string());
        let mut rebuild =
            Rebuild::spilling(params, mark, &self.copies_dir()).map_err(state_error)?;
        let mut held: Vec<CopyPost> = Vec::new();
        let mut held_bytes = 0usize;
        // The posts of the channel being read twice.
        let mut paged: Option<Vec<i64>> = None;
        self.store
            .for_each_channel_texts(|page: ChannelTexts| -> Result<()> {
                let posts: Vec<CopyPost> = page.posts.into_iter().map(copy_post).collect();
                match &mut paged {
                    Some(ids) => {
                        ids.extend(posts.iter().map(|p| p.post_id));
                        rebuild.learn_channel(posts).map_err(state_error)?;
                    }
                    None => {
                        held_bytes += posts.iter().map(|p| p.text.len()).sum::<usize>();
                        held.extend(posts);
                        if held_bytes > channel_bytes {
                            let ids = held.iter().map(|p| p.post_id).collect();
                            rebuild
                                .learn_channel(std::mem::take(&mut held))
                                .map_err(state_error)?;
                            held_bytes = 0;
                            paged = Some(ids);
                        }
                    }
                }
                if !page.channel_ends {
                    return Ok(());
                }
                match paged.take() {
                    Some(ids) => {
                        for chunk in ids.chunks(PAGE_POSTS) {
                            let texts = self.store.post_texts(chunk)?;
                            rebuild
                                .add_learned(texts.into_iter().map(copy_post).collect())
                                .map_err(state_error)?;
                        }
                    }
                    None => {
                        held_bytes = 0;
                        rebuild
                            .add_channel(std::mem::take(&mut held))
                            .map_err(state_error)?;
                    }
                }
                Ok(())
            })?;
        rebuild.finish().map_err(state_error)
    }

    /// The analysis on disk: the one already in memory in this process when the file is the
    /// same (the engines of a server share it), else read (and shared).
    fn load_copies(&self) -> Result<Option<Arc<CopyState>>> {
        let path = self.copies_dir().join(STATE_FILE);
        SHARED.load(&path, "the copy analysis", CopyState::load)
    }

    /// On opening the archive: a copy analysis that exists but fell behind is caught up now.
    /// (An archive without one gets it on its first ingest or question about copies.)
    pub(crate) fn catch_up_existing_copies(&mut self) -> Result<()> {
        if !self.cluster_index_is_current()? && self.copies_dir().join(STATE_FILE).is_file() {
            self.update_copies()?;
        }
        Ok(())
    }

    /// Whether the copy analysis was found behind the archive while a writer was at work (the
    /// answers come from the analysis as it stands; the writer brings it up to date).
    pub fn copies_catching_up(&self) -> bool {
        self.copies_catching_up
    }

    /// The copy analysis, caught up first.
    pub fn copy_state(&mut self) -> Result<&CopyState> {
        self.update_copies()?;
        if self.copies.is_none() {
            // A writer at work and no analysis yet: an empty one answers for now.
            self.copies = Some(Arc::new(CopyState::new(self.copy_params()?)));
        }
        self.copies
            .as_deref()
            .ok_or_else(|| EngineError::Archive("the copy analysis could not be opened".into()))
    }

    /// A cluster's first post and every post's relation to it, compared as the whole analysis
    /// compares texts.
    fn describe(&mut self, cluster: &Cluster) -> Result<ClusterDetail> {
        self.copy_state()?;
        let state = self
            .copies
            .clone()
            .ok_or_else(|| EngineError::Archive("the copy analysis could not be opened".into()))?;
        self.describe_with(cluster, &*state)
    }

    /// [`Engine::describe`] with what the comparison needs taken from `basis` (the analysis or
    /// its cluster index).
    fn describe_with(&self, cluster: &Cluster, basis: &impl ClusterBasis) -> Result<ClusterDetail> {
        let partial: BTreeSet<i64> = cluster.partial.iter().copied().collect();
        let mut records: HashMap<i64, PostRecord> = HashMap::new();
        for id in &cluster.posts {
            if let Some(r) = self.store.post_record(*id)? {
                records.insert(*id, r);
            }
        }
        let times: HashMap<i64, PostDate> = self
            .store
            .post_dates(&cluster.posts)?
            .into_iter()
            .map(|d| (d.post_id, d))
            .collect();
        let facts: Vec<MemberFacts> = records
            .values()
            .map(|r| member_facts(r, partial.contains(&r.id), times.get(&r.id)))
            .collect();
        let view = copies::describe_cluster(basis, facts);
        let channels: BTreeSet<i64> = records.values().map(|r| r.channel.id).collect();
        let posts = view
            .members
            .iter()
            .filter_map(|m| {
                let r = records.get(&m.post_id)?;
                let (date, inferred) = record_date(r);
                Some(CopyItem {
                    id: m.post_id,
                    channel: r.channel.clone(),
                    date,
                    date_inferred: inferred,
                    first_seen: m.first_seen,
                    relation: m.relation.as_str(),
                    attribution: m.attribution.as_ref().map(|a| CopyAttribution {
                        kind: a.kind(),
                        names: a.names().to_string(),
                    }),
                    similarity: m.similarity,
                    containment: m.containment,
                    delay_seconds: m.delay_seconds,
                    added: m.added.clone(),
                    removed: m.removed.clone(),
                    message_id: r.message_id,
                    excerpt: excerpt(&r.current.text),
                })
            })
            .collect();
        Ok(ClusterDetail {
            cluster: cluster.id,
            first_post: view.first,
            first_seen_basis: view.first_basis,
            channel_count: channels.len(),
            posts,
        })
    }

    /// A post's copies: its cluster in time order, described against the first post seen in
    /// the archive. `None` when the post has no copies in the archive.
    pub fn copies_of(&mut self, post_id: i64) -> Result<Option<PostCopies>> {
        if self.store.post_record(post_id)?.is_none() {
            return Err(EngineError::NoSuchPost(post_id));
        }
        let Some(cluster) = self.copy_state()?.cluster_of(post_id) else {
            return Ok(None);
        };
        Ok(Some(PostCopies {
            post: post_id,
            detail: self.describe(&cluster)?,
        }))
    }

    /// A cluster by id, described.
    pub fn cluster(&mut self, id: i64) -> Result<ClusterDetail> {
        let cluster = self
            .copy_state()?
            .cluster(id)
            .ok_or(EngineError::NoSuchCluster(id))?;
        self.describe(&cluster)
    }

    /// The clusters matching a filter, with how many there are.
    pub fn clusters(&mut self, filter: &ClusterFilter) -> Result<ClustersPage> {
        let mut clusters: Vec<Cluster> = Vec::new();
        self.copy_state()?
            .for_each_cluster(&mut |c| clusters.push(c.clone()));
        let ids: Vec<i64> = clusters
            .iter()
            .flat_map(|c| c.posts.iter().copied())
            .collect();
        let dates: HashMap<i64, PostDate> = self
            .store
            .post_dates(&ids)?
            .into_iter()
            .map(|d| (d.post_id, d))
            .collect();
        let since = filter.since.as_deref().and_then(unix_seconds);
        let until = filter.until.as_deref().and_then(unix_seconds);
        let mut channel_infos: HashMap<i64, ChannelInfo> = HashMap::new();
        let mut out = Vec::new();
        let mut undated_left_out = 0;
        for c in &clusters {
            let times: Vec<PostTime> = c
                .posts
                .iter()
                .map(|id| post_time(*id, dates.get(id)))
                .collect();
            let channels: BTreeSet<i64> = c
                .posts
                .iter()
                .filter_map(|id| dates.get(id).map(|d| d.channel_id))
                .collect();
            if channels.len() < filter.min_channels {
                continue;
            }
            let Some((first, basis)) = copies::first_seen(&times) else {
                continue;
            };
            let first_time = times
                .iter()
                .find(|t| t.post_id == first)
                .and_then(|t| t.date);
            if since.is_some() || until.is_some() {
                match first_time {
                    None => {
                        undated_left_out += 1;
                        continue;
                    }
                    Some(t) => {
                        if since.is_some_and(|s| t < s) || until.is_some_and(|u| t >= u) {
                            continue;
                        }
                    }
                }
            }
            let date_of = |id: i64| {
                dates
                    .get(&id)
                    .and_then(|d| d.date.clone().or_else(|| d.date_inferred.clone()))
            };
            let last = times
                .iter()
                .filter(|t| t.date.is_some())
                .max_by_key(|t| (t.date, t.post_id))
                .map(|t| t.post_id);
            let mut infos = Vec::new();
            for ch in &channels {
                if !channel_infos.contains_key(ch)
                    && let Some(info) = self.store.channel(*ch)?
                {
                    channel_infos.insert(*ch, info);
                }
                if let Some(info) = channel_infos.get(ch) {
                    infos.push(info.clone());
                }
            }
            out.push(ClusterSummary {
                cluster: c.id,
                posts: c.posts.clone(),
                size: c.posts.len(),
                channels: infos,
                first_post: first,
                first_seen_basis: basis,
                first_date: date_of(first),
                last_date: last.and_then(date_of),
                last_date_inferred: last
                    .and_then(|id| dates.get(&id))
                    .is_some_and(|d| d.date.is_none()),
                undated_posts: times.iter().filter(|t| t.date.is_none()).count(),
            });
        }
        match filter.sort {
            ClusterSort::Size => {
                out.sort_by(|a, b| b.size.cmp(&a.size).then(a.cluster.cmp(&b.cluster)))
            }
            ClusterSort::Channels => out.sort_by(|a, b| {
                b.channels
                    .len()
                    .cmp(&a.channels.len())
                    .then(b.size.cmp(&a.size))
                    .then(a.cluster.cmp(&b.cluster))
            }),
            ClusterSort::First => out.sort_by(|a, b| {
                let ka = (
                    a.first_date.is_none(),
                    a.first_date.as_deref().and_then(unix_seconds),
                );
                let kb = (
                    b.first_date.is_none(),
                    b.first_date.as_deref().and_then(unix_seconds),
                );
                ka.cmp(&kb).then(a.cluster.cmp(&b.cluster))
            }),
        }
        let total = out.len();
        let page: Vec<ClusterSummary> = out
            .into_iter()
            .skip(filter.offset)
            .take(filter.limit.unwrap_or(usize::MAX))
            .collect();
        Ok(ClustersPage {
            total,
            undated_left_out,
            offset: filter.offset,
            clusters: page,
        })
    }

    /// Whom a channel copies from and who copies it: over every cluster with a post of the
    /// channel, the channel of the first post seen against the channels of the others.
    pub fn channel_copies(&mut self, channel: &str) -> Result<ChannelCopies> {
        let channel_id = self.resolve_channel(channel, crate::ChannelRole::Channel)?;
        let info = self
            .store
            .channel(channel_id)?
            .ok_or_else(|| EngineError::NoSuchChannel {
                name: channel.to_string(),
                role: crate::ChannelRole::Channel,
            })?;
        let of_channel: BTreeMap<i64, Cluster> = self
            .copy_state()?
            .clusters_of_channel(channel_id)
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        #[derive(Default)]
        struct Tally {
            posts: u64,
            by: BTreeMap<&'static str, u64>,
            delays: Vec<i64>,
        }
        let mut from: BTreeMap<i64, Tally> = BTreeMap::new();
        let mut by: BTreeMap<i64, Tally> = BTreeMap::new();
        let mut infos: HashMap<i64, ChannelInfo> = HashMap::new();
        for cluster in of_channel.values() {
            let detail = self.describe(cluster)?;
            let Some(first) = detail.posts.first() else {
                continue;
            };
            let first_channel = first.channel.clone();
            for item in detail.posts.iter().skip(1) {
                let (key, tally_map, other) =
                    if item.channel.id == channel_id && first_channel.id != channel_id {
                        (first_channel.id, &mut from, first_channel.clone())
                    } else if first_channel.id == channel_id && item.channel.id != channel_id {
                        (item.channel.id, &mut by, item.channel.clone())
                    } else {
                        continue;
                    };
                infos.entry(key).or_insert(other);
                let t = tally_map.entry(key).or_default();
                t.posts += 1;
                *t.by.entry(item.relation).or_default() += 1;
                if let Some(d) = item.delay_seconds {
                    t.delays.push(d);
                }
            }
        }
        let counterparts = |m: BTreeMap<i64, Tally>, infos: &HashMap<i64, ChannelInfo>| {
            let mut v: Vec<CopyCounterpart> = m
                .into_iter()
                .filter_map(|(id, t)| {
                    Some(CopyCounterpart {
                        channel: infos.get(&id)?.clone(),
                        posts: t.posts,
                        forward: t.by.get("forward").copied().unwrap_or(0),
                        attributed: t.by.get("attributed").copied().unwrap_or(0),
                        unattributed: t.by.get("unattributed").copied().unwrap_or(0),
                        partial: t.by.get("partial").copied().unwrap_or(0),
                        median_delay_seconds: median(t.delays),
                    })
                })
                .collect();
            v.sort_by(|a, b| b.posts.cmp(&a.posts).then(a.channel.id.cmp(&b.channel.id)));
            v
        };
        Ok(ChannelCopies {
            channel: info,
            clusters: of_channel.len(),
            copies_from: counterparts(from, &infos),
            copied_by: counterparts(by, &infos),
        })
    }

    /// For the export record: each clustered post's cluster and its relation to the first
    /// post seen (every cluster described once).
    pub fn copy_relations(&mut self) -> Result<CopyRelations> {
        if let Some(index) = self.current_cluster_index()? {
            return self.relations_in(index.clusters().values(), &index);
        }
        let ids = self.copy_state()?.clustered_posts();
        self.copy_relations_of(&ids)
    }

    /// For the export records of these posts: the cluster of each post that has copies and
    /// its relation to the cluster's first post seen (each cluster described once, however
    /// many of its posts are asked about; posts without copies are not in the map).
    pub fn copy_relations_of(&mut self, post_ids: &[i64]) -> Result<CopyRelations> {
        if let Some(index) = self.current_cluster_index()? {
            let clusters = clusters_of(post_ids, |id| index.cluster_of(id).cloned());
            return self.relations_in(clusters.values(), &index);
        }
        self.copy_state()?;
        let state = self
            .copies
            .clone()
            .ok_or_else(|| EngineError::Archive("the copy analysis could not be opened".into()))?;
        let clusters = clusters_of(post_ids, |id| state.cluster_of(id));
        self.relations_in(clusters.values(), &*state)
    }

    /// The cluster index beside the analysis when it answers for the analysis: when the
    /// analysis is not in memory already, and the index is current (the archive's mark, the
    /// archive's parameters) and readable. `None` otherwise: the analysis is then loaded.
    fn current_cluster_index(&self) -> Result<Option<ClusterIndex>> {
        if self.copies.is_some() {
            return Ok(None);
        }
        let dir = self.copies_dir();
        if !dir.join(STATE_FILE).is_file() {
            return Ok(None);
        }
        let index = match ClusterIndex::load(&dir.join(CLUSTERS_FILE)) {
            Ok(Some(index)) => index,
            Ok(None) => return Ok(None),
            Err(e) => {
                tracing::debug!("the copy analysis's cluster index is not used: {e}");
                return Ok(None);
            }
        };
        let current =
            index.mark() == self.store.index_mark()? && index.params() == &self.copy_params()?;
        Ok(current.then_some(index))
    }

    /// The archive's mark the copy analysis is current at, caught up first (from its cluster
    /// index when that says it is current, without loading it).
    pub(crate) fn copies_mark(&mut self) -> Result<i64> {
        match self.current_cluster_index()? {
            Some(index) => Ok(index.mark()),
            None => Ok(self.copy_state()?.mark()),
        }
    }

    /// Whether the cluster index says that the analysis on disk is current (it is then not
    /// loaded until a question needs more than its clusters).
    fn cluster_index_is_current(&self) -> Result<bool> {
        Ok(self.current_cluster_index()?.is_some())
    }

    /// Each post of these clusters with its cluster and relation to the cluster's first post.
    fn relations_in<'a>(
        &self,
        clusters: impl Iterator<Item = &'a Cluster>,
        basis: &impl ClusterBasis,
    ) -> Result<CopyRelations> {
        let mut out = HashMap::new();
        for c in clusters {
            let detail = self.describe_with(c, basis)?;
            for item in &detail.posts {
                out.insert(
                    item.id,
                    (
                        c.id,
                        CopyOf {
                            post: detail.first_post,
                            relation: item.relation,
                        },
                    ),
                );
            }
        }
        Ok(out)
    }
}

/// The distinct clusters of these posts, by id (each looked up once: the posts of a cluster
/// found are not asked about again).
fn clusters_of(
    post_ids: &[i64],
    cluster_of: impl Fn(i64) -> Option<Cluster>,
) -> BTreeMap<i64, Cluster> {
    let mut out: BTreeMap<i64, Cluster> = BTreeMap::new();
    let mut found: HashSet<i64> = HashSet::new();
    for id in post_ids {
        if found.contains(id) {
            continue;
        }
        if let Some(c) = cluster_of(*id) {
            found.extend(c.posts.iter().copied());
            out.insert(c.id, c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dump of `n` posts of `channel`: news items of a few shapes with a shared footer, so
    /// that there are copies, near copies and boilerplate to learn.
    fn dump(channel: &str, n: usize) -> String {
        (1..=n)
            .map(|i| {
                let body = match i % 4 {
                    0 => format!("Talks on the {} corridor resumed in Astana today", i % 7),
                    1 => "The ministry denied the report about the border closure".to_string(),
                    2 => format!("Exchange rate {i}: the tenge fell against the rouble again"),
                    _ => format!("{channel} item {i} about grain exports and the new harvest"),
                };
                format!(
                    r#"{{"id": {i}, "date": "2024-03-01T10:{:02}:00Z", "message": "{body}\n\nSubscribe: @{channel}"}}"#,
                    i % 60
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    }

    /// Ingests [`dump`]`(channel, n)`, written into `folder`, as `channel`.
    fn ingest_dump(engine: &mut Engine, folder: &std::path::Path, channel: &str, n: usize) {
        let file = folder.join(format!("{channel}.jsonl"));
        std::fs::write(&file, dump(channel, n)).unwrap();
        let options = crate::IngestOptions {
            channel: Some(channel.into()),
            ..crate::IngestOptions::default()
        };
        let report = engine
            .ingest(&[file], &options, &mut crate::NoProgress)
            .unwrap();
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    }

    #[test]
    fn a_rebuild_reading_large_channels_twice_equals_one_holding_them() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("archive");
        let mut engine = Engine::open(&dir).unwrap();
        for (channel, n) in [("first", 120), ("second", 40), ("third", 200)] {
            ingest_dump(&mut engine, tmp.path(), channel, n);
        }
        let params = engine.copy_params().unwrap();
        let mark = engine.store.index_mark().unwrap();
        let held = engine.rebuild_copies(params.clone(), mark).unwrap();
        assert!(held.cluster_count() > 0, "the posts make clusters");
        // Every channel past 2 KiB of text is read twice, a page at a time.
        let paged = engine
            .rebuild_copies_holding(params, mark, 2 << 10)
            .unwrap();
        assert_eq!(paged.fingerprint(), held.fingerprint());
        assert_eq!(paged.post_count(), 360);
    }

    #[test]
    fn an_update_read_in_small_windows_of_text_equals_a_rebuild() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("archive");
        let mut engine = Engine::open(&dir).unwrap();
        ingest_dump(&mut engine, tmp.path(), "first", 40);
        engine.update_copies().unwrap();
        let before = engine.copies_mark().unwrap();

        // Windows of 1 KiB of text and at most 16 versions.
        let small = CopyWindow {
            text_bytes: 1 << 10,
            versions: 16,
        };
        engine.copy_window = small;
        ingest_dump(&mut engine, tmp.path(), "second", 120);
        ingest_dump(&mut engine, tmp.path(), "third", 200);
        let mark = engine.store.index_mark().unwrap();
        let (mut windows, mut at) = (0, before);
        while at < mark {
            let end = engine
                .store
                .window_end(at, mark, small.text_bytes, small.versions)
                .unwrap();
            assert!(end > at && end <= mark, "{at} < {end} <= {mark}");
            let texts: usize = engine
                .store
                .post_texts_after(at, end)
                .unwrap()
                .iter()
                .map(|p| p.text.len())
                .sum();
            let versions = end - at;
            assert!(versions <= 16, "{versions} versions in one window");
            assert!(
                texts <= 1 << 10 || versions == 1,
                "{texts} bytes of text in a window of {versions} versions"
            );
            (windows, at) = (windows + 1, end);
        }
        // 320 posts of about 70 bytes each: about 14 to a window.
        assert!(windows >= 20, "320 posts in {windows} windows");

        engine.update_copies().unwrap();
        let params = engine.copy_params().unwrap();
        let rebuilt = engine.rebuild_copies(params, mark).unwrap();
        let updated = engine.copy_state().unwrap();
        assert_eq!(updated.mark(), mark);
        assert!(rebuilt.cluster_count() > 0, "the posts make clusters");
        assert_eq!(updated.fingerprint(), rebuilt.fingerprint());
        assert_eq!(updated.post_count(), 360);
    }

    #[test]
    fn chosen_parameters_survive_the_round_trip_and_bad_ones_are_refused() {
        let p = Params {
            jaccard: 0.8,
            bands: 16,
            rows: 8,
            ..Params::default()
        };
        assert_eq!(params_from_json(&params_to_json(&p)), Some(p));
        assert_eq!(params_from_json(r#"{"jaccard": 3.0}"#), None);
        assert_eq!(params_from_json("{}"), Some(Params::default()));
    }

    #[test]
    fn medians() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5, 1, 3]), Some(3));
        assert_eq!(median(vec![4, 1, 3, 2]), Some(2));
    }
}
