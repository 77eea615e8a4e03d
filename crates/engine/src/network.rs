//! Networks: the network analysis ([`tgscope_analyze::network`]) kept as derived data in
//! `<archive>/networks/`, caught up to the archive's mark like the search index and the copy
//! analysis, and the questions front ends ask of it: a channel network of the kinds asked for
//! (with the copy clusters of the copy analysis), the hashtag network, hashtag uses.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Datelike};
use serde::Serialize;
use tgscope_analyze::network::{ChannelFacts, CopyMember, NetworkPost, NetworkState};
use tgscope_archive::NetworkRow;

use crate::derived::{self, SharedStates};
use crate::error::{EngineError, Result};
use crate::search::unix_seconds;
use crate::{ChannelRole, CopyParams, Engine, Period};
use tgscope_archive::prelude::*;

pub use tgscope_analyze::network::{
    EdgeKind, Hashtag, Network, NetworkQuery, ObjectKind, format, graph,
};

/// The folder of the network analysis inside an archive.
pub const NETWORKS_DIR: &str = "networks";
/// The analysis's file in [`NETWORKS_DIR`].
const STATE_FILE: &str = "state.bin";

/// Analyses in memory, one per file for the process.
static SHARED: SharedStates<NetworkState> = SharedStates::new();

/// The clustered posts with their relations, per archive, by the copy analysis's mark and
/// parameters they were described at.
type CopyMembersCache = Vec<(PathBuf, i64, CopyParams, Arc<Vec<CopyMember>>)>;
static COPY_MEMBERS: std::sync::Mutex<CopyMembersCache> = std::sync::Mutex::new(Vec::new());

/// What bringing the network analysis up to the archive did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NetworkUpdate {
    /// Posts read again.
    pub read: u64,
    /// Whether it was built from scratch.
    pub rebuilt: bool,
}

/// Whom a channel amplifies and who amplifies it: the forward, mention and copy edges that
/// touch it, by counterpart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Amplification {
    /// The channel (archive id).
    pub channel: i64,
    /// Its name.
    pub name: String,
    /// Channels whose posts, name or text it passes on, the most first.
    pub amplifies: Vec<Counterpart>,
    /// Channels that pass on its posts, name or text, the most first.
    pub amplified_by: Vec<Counterpart>,
}

/// One counterpart of [`Amplification`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Counterpart {
    /// Its node id (the archive's channel id, or `@username` for a channel known only by a
    /// mention).
    pub id: String,
    /// Its label.
    pub name: String,
    /// Forwarded posts.
    pub forwards: u64,
    /// Posts naming it (or naming the channel).
    pub mentions: u64,
    /// Copies (without forwards).
    pub copies: u64,
    /// The first and last time (Unix seconds), when dated.
    pub first: Option<i64>,
    /// See `first`.
    pub last: Option<i64>,
    /// Example posts behind the edges.
    pub posts: Vec<i64>,
}

impl Counterpart {
    /// All passed on: forwards, mentions and copies.
    pub fn total(&self) -> u64 {
        self.forwards + self.mentions + self.copies
    }
}

/// Hashtag uses, for `tgscope hashtags`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashtagTable {
    /// The tags, the most used first.
    pub tags: Vec<Hashtag>,
    /// The period tags are counted by.
    pub period: Period,
    /// Posts with tags left out because they have no date while a period was asked for.
    pub undated_left_out: u64,
    /// Channel names by archive id, for the channels the tags name.
    pub channel_names: BTreeMap<i64, String>,
}

fn network_post(r: NetworkRow) -> NetworkPost {
    let observed = r.date.as_deref();
    let any = observed.or(r.date_inferred.as_deref());
    NetworkPost {
        post_id: r.post_id,
        channel_id: r.channel_id,
        date: any.and_then(unix_seconds),
        date_inferred: observed.is_none() && any.is_some(),
        forward: r.forward,
        mentions: r.mentions,
        links: r.links,
        hashtags: r.hashtags,
    }
}

/// The name of the period (UTC) that holds a time: `2024-03-05`, `2024-W10`, `2024-03`.
pub fn period_name(period: Period, seconds: i64) -> String {
    let Some(t) = DateTime::from_timestamp(seconds, 0) else {
        return String::from("?");
    };
    let d = t.date_naive();
    match period {
        Period::Day => d.format("%Y-%m-%d").to_string(),
        Period::Week => {
            let w = d.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
        Period::Month => d.format("%Y-%m").to_string(),
    }
}

/// A date bound as a user writes it (`2024-03-01`, or RFC 3339) in Unix seconds (a date is its
/// first second, UTC); `name` names the option in the error.
pub fn date_bound(name: &str, value: &str) -> Result<i64> {
    let v = value.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp());
    }
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.timestamp())
        .map_err(|_| {
            EngineError::BadRequest(format!(
                "{name} {value:?} is not a date; write YYYY-MM-DD or an RFC 3339 date-time"
            ))
        })
}

/// A time window as a user writes it (`60s`, `5m`, `1h`, `2d`, or seconds) in seconds.
pub fn window_seconds(value: &str) -> Result<i64> {
    let v = value.trim();
    let (number, unit) = match v.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => v.split_at(at),
        None => (v, "s"),
    };
    let n: i64 = number.parse().map_err(|_| {
        EngineError::BadRequest(format!(
            "window {value:?} is not a time; write 60s, 5m, 1h, 2d or seconds"
        ))
    })?;
    let scale = match unit.trim() {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hour" | "hours" => 3_600,
        "d" | "day" | "days" => 86_400,
        _ => {
            return Err(EngineError::BadRequest(format!(
                "window {value:?}: unknown unit {unit:?}; write s, m, h or d"
            )));
        }
    };
    Ok(n.saturating_mul(scale))
}

impl Engine {
    fn networks_dir(&self) -> PathBuf {
        self.dir().join(NETWORKS_DIR)
    }

    /// Brings the network analysis up to the archive (built when missing or written by another
    /// version of tgscope; else the posts with newer versions read again). A reader does it
    /// only when no writer is at work; otherwise it answers from the analysis as it stands.
    pub fn update_networks(&mut self) -> Result<NetworkUpdate> {
        let mark = self.store.index_mark()?;
        if self.networks.is_none() {
            self.networks = self.load_networks()?;
        }
        if self.networks.as_ref().is_some_and(|s| s.mark() == mark) {
            return Ok(NetworkUpdate::default());
        }
        let _alone = if self.writers_lock.is_none() {
            match crate::search::lock_as_sole_reader(self.dir()) {
                Some(lock) => Some(lock),
                None => return Ok(NetworkUpdate::default()),
            }
        } else {
            None
        };
        let dir = self.networks_dir();
        let lock = derived::lock_updates(&dir)?;
        // Another process may have brought it up meanwhile.
        self.networks = self.load_networks()?;
        let mark = self.store.index_mark()?;
        let mut report = NetworkUpdate::default();
        let old = match self.networks.take() {
            Some(state) if state.mark() <= mark => state,
            _ => {
                report.rebuilt = true;
                Arc::new(NetworkState::new())
            }
        };
        let path = dir.join(STATE_FILE);
        let state_error =
            |e: tgscope_analyze::copies::StateError| EngineError::Archive(e.to_string());
        let mut writer = old.writer(&path).map_err(state_error)?;
        self.store
            .for_each_network_post(old.mark(), |row| -> Result<()> {
                report.read += 1;
                writer.push(&network_post(row)).map_err(state_error)
            })?;
        let state = Arc::new(writer.finish(mark).map_err(state_error)?);
        SHARED.put(&path, &state);
        drop(lock);
        self.networks = Some(state);
        Ok(report)
    }

    /// Reads these posts again into the network analysis (their current versions), whatever
    /// the mark: for posts whose date an observed one replaced in place, without a new version
    /// (the mark does not see them). Nothing to do when there is no analysis yet.
    pub(crate) fn rederive_networks(&mut self, post_ids: &[i64]) -> Result<()> {
        if post_ids.is_empty() {
            return Ok(());
        }
        self.update_networks()?;
        let Some(old) = self.networks.clone() else {
            return Ok(());
        };
        let dir = self.networks_dir();
        let lock = derived::lock_updates(&dir)?;
        let path = dir.join(STATE_FILE);
        let state_error =
            |e: tgscope_analyze::copies::StateError| EngineError::Archive(e.to_string());
        let mut ids = post_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut writer = old.writer(&path).map_err(state_error)?;
        self.store
            .for_each_network_post_of(&ids, |row| -> Result<()> {
                writer.push(&network_post(row)).map_err(state_error)
            })?;
        let state = Arc::new(writer.finish(old.mark()).map_err(state_error)?);
        SHARED.put(&path, &state);
        drop(lock);
        self.networks = Some(state);
        Ok(())
    }

    /// The analysis on disk: the one in memory in this process when the file is the same,
    /// else read (and shared). A file that cannot be used is rebuilt.
    fn load_networks(&self) -> Result<Option<Arc<NetworkState>>> {
        let path = self.networks_dir().join(STATE_FILE);
        SHARED.load(&path, "the network analysis", NetworkState::load)
    }

    /// On opening the archive: a network analysis that exists but fell behind is caught up.
    pub(crate) fn catch_up_existing_networks(&mut self) -> Result<()> {
        if self.networks_dir().join(STATE_FILE).is_file() {
            self.update_networks()?;
        }
        Ok(())
    }

    /// The network analysis, caught up first.
    fn network_state(&mut self) -> Result<Arc<NetworkState>> {
        self.update_networks()?;
        Ok(self
            .networks
            .clone()
            .unwrap_or_else(|| Arc::new(NetworkState::new())))
    }

    /// The channels as the network shows them.
    fn channel_facts(&self) -> Result<Vec<ChannelFacts>> {
        Ok(self
            .store
            .channels()?
            .into_iter()
            .map(|c| ChannelFacts {
                id: c.channel.id,
                title: c.channel.title.clone(),
                username: c.channel.username.clone(),
                posts: c.posts,
                first: c.first_date.as_deref().and_then(unix_seconds),
                last: c.last_date.as_deref().and_then(unix_seconds),
            })
            .collect())
    }

    /// The network asked for; with `around`, only the channels within `depth` steps (any
    /// edge, either way) of that channel, and the edges among them.
    pub fn network(
        &mut self,
        query: &NetworkQuery,
        around: Option<(&str, usize)>,
    ) -> Result<Network> {
        let centre = match around {
            Some((name, depth)) => Some((self.resolve_channel(name, ChannelRole::Channel)?, depth)),
            None => None,
        };
        let state = self.network_state()?;
        let channels = self.channel_facts()?;
        let wants_copies = query.kinds.contains(&EdgeKind::Copy)
            || query.kinds.contains(&EdgeKind::Coordination)
                && query
                    .objects
                    .contains(&tgscope_analyze::network::ObjectKind::Copy);
        let copies = if wants_copies {
            self.copy_members()?
        } else {
            Arc::new(Vec::new())
        };
        let mut network = state
            .network(query, &channels, &copies)
            .map_err(|e| EngineError::Archive(e.to_string()))?;
        if let Some((id, depth)) = centre {
            keep_around(&mut network, &id.to_string(), depth);
        }
        Ok(network)
    }

    /// Whom a channel amplifies and who amplifies it (forwards, mentions, copies), over the
    /// whole archive or a period.
    pub fn amplification(
        &mut self,
        channel: &str,
        since: Option<i64>,
        until: Option<i64>,
    ) -> Result<Amplification> {
        let id = self.resolve_channel(channel, ChannelRole::Channel)?;
        let query = NetworkQuery {
            kinds: vec![EdgeKind::Forward, EdgeKind::Mention, EdgeKind::Copy],
            since,
            until,
            examples: 3,
            ..NetworkQuery::default()
        };
        let net = self.network(&query, None)?;
        let me = id.to_string();
        let label: BTreeMap<&str, &str> = net
            .graph
            .nodes
            .iter()
            .map(|n| (n.id.as_str(), n.label.as_str()))
            .collect();
        let mut amplifies: BTreeMap<String, Counterpart> = BTreeMap::new();
        let mut amplified_by: BTreeMap<String, Counterpart> = BTreeMap::new();
        for e in &net.graph.edges {
            let (side, other) = if e.target == me {
                (&mut amplifies, &e.source)
            } else if e.source == me {
                (&mut amplified_by, &e.target)
            } else {
                continue;
            };
            let c = side.entry(other.clone()).or_insert_with(|| Counterpart {
                id: other.clone(),
                name: label
                    .get(other.as_str())
                    .map_or_else(|| other.clone(), |l| l.to_string()),
                forwards: 0,
                mentions: 0,
                copies: 0,
                first: None,
                last: None,
                posts: Vec::new(),
            });
            let n = e.weight as u64;
            match e.kind {
                "forward" => c.forwards += n,
                "mention" => c.mentions += n,
                _ => c.copies += n,
            }
            c.first = match (c.first, e.first) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            c.last = match (c.last, e.last) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            c.posts.extend(&e.posts);
        }
        let sorted = |m: BTreeMap<String, Counterpart>| {
            let mut v: Vec<Counterpart> = m.into_values().collect();
            v.sort_by(|a, b| b.total().cmp(&a.total()).then_with(|| a.id.cmp(&b.id)));
            for c in &mut v {
                c.posts.sort_unstable();
                c.posts.dedup();
            }
            v
        };
        let name = self
            .store
            .channels()?
            .into_iter()
            .find(|c| c.channel.id == id)
            .map_or_else(|| format!("channel {id}"), |c| c.channel.name());
        Ok(Amplification {
            channel: id,
            name,
            amplifies: sorted(amplifies),
            amplified_by: sorted(amplified_by),
        })
    }

    /// Every clustered post with its cluster and relation, for the copy edges: described once
    /// per state of the copy analysis for the whole process (every cluster is described, which
    /// a channel page must not pay for on each view).
    fn copy_members(&mut self) -> Result<Arc<Vec<CopyMember>>> {
        let mark = self.copies_mark()?;
        let params = self.copy_params()?;
        let dir = self.dir().to_path_buf();
        if let Ok(cache) = COPY_MEMBERS.lock()
            && let Some((_, _, _, members)) = cache
                .iter()
                .find(|(d, m, p, _)| *d == dir && *m == mark && *p == params)
        {
            return Ok(Arc::clone(members));
        }
        let relations = self.copy_relations()?;
        let mut out: Vec<CopyMember> = relations
            .into_iter()
            .map(|(post, (cluster, of))| CopyMember {
                post_id: post,
                cluster,
                first_post: of.post,
                relation: of.relation,
            })
            .collect();
        out.sort_by_key(|m| m.post_id);
        let out = Arc::new(out);
        if let Ok(mut cache) = COPY_MEMBERS.lock() {
            cache.retain(|(d, _, _, _)| *d != dir);
            cache.push((dir, mark, params, Arc::clone(&out)));
        }
        Ok(out)
    }

    /// Hashtag uses in the period, by channel when one is named, counted by `period`.
    pub fn hashtags(
        &mut self,
        since: Option<i64>,
        until: Option<i64>,
        channel: Option<&str>,
        period: Period,
    ) -> Result<HashtagTable> {
        let channel_id = match channel {
            Some(name) => Some(self.resolve_channel(name, ChannelRole::Channel)?),
            None => None,
        };
        let state = self.network_state()?;
        let (tags, undated_left_out) = state
            .hashtags(since, until, channel_id, &|s| period_name(period, s))
            .map_err(|e| EngineError::Archive(e.to_string()))?;
        let ids: BTreeSet<i64> = tags
            .iter()
            .flat_map(|t| {
                t.channels
                    .iter()
                    .map(|(c, _)| *c)
                    .chain([t.first.channel_id])
            })
            .collect();
        let channel_names = self
            .store
            .channels()?
            .into_iter()
            .filter(|c| ids.contains(&c.channel.id))
            .map(|c| (c.channel.id, c.channel.name()))
            .collect();
        Ok(HashtagTable {
            tags,
            period,
            undated_left_out,
            channel_names,
        })
    }
}

/// Keeps the nodes within `depth` steps of `centre` (any edge, either way) and the edges
/// among them.
fn keep_around(network: &mut Network, centre: &str, depth: usize) {
    let mut adjacent: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in &network.graph.edges {
        adjacent.entry(&e.source).or_default().push(&e.target);
        adjacent.entry(&e.target).or_default().push(&e.source);
    }
    let mut keep: BTreeSet<String> = BTreeSet::new();
    let mut queue: VecDeque<(&str, usize)> = VecDeque::from([(centre, 0)]);
    while let Some((node, d)) = queue.pop_front() {
        if !keep.insert(node.to_string()) || d == depth {
            continue;
        }
        for next in adjacent.get(node).into_iter().flatten() {
            if !keep.contains(*next) {
                queue.push_back((next, d + 1));
            }
        }
    }
    network.graph.nodes.retain(|n| keep.contains(&n.id));
    network
        .graph
        .edges
        .retain(|e| keep.contains(&e.source) && keep.contains(&e.target));
    network.graph.description.push_str(&format!(
        "; channels within {depth} steps of channel {centre}"
    ));
}
