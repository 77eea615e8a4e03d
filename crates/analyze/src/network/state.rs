//! The network analysis's state: per post what the networks are made of, kept on disk and read
//! through once per question, so that a network costs memory by its nodes and edges, not by the
//! archive's posts.
//!
//! The file (`state_file` framing) holds the archive's mark, the posts' signals in post order
//! (varints, post ids as differences), the strings they name by number (usernames and tags;
//! links are kept as 64-bit hashes of their cleaned form), the post count and where the strings
//! start. An update ([`NetworkState::writer`]) merges the changed posts, handed over in post
//! order, with the old file into a new one.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use tgscope_text::names;
use tgscope_text::urls::{self, TelegramTarget};

use super::graph::Graph;
use super::{ChannelFacts, CopyMember, EdgeKind, NetworkPost, NetworkQuery};
use crate::post_file::{Kind, PostFile, PostRecord, PostWriter, Strings};
use crate::state_file::{FileIn, Out, StateError};

/// The network analysis's file.
const KIND: Kind = Kind {
    magic: b"TGSNETW\0",
    // Bumped whenever the format, or what the state keeps of a post, changes.
    version: 3,
    what: "a network analysis",
};

/// What is kept of a post (one buffer, filled again for each post read).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Signal {
    pub(super) id: i64,
    pub(super) channel: i64,
    pub(super) date: Option<i64>,
    pub(super) inferred: bool,
    pub(super) forward: Option<(Option<i64>, Option<i64>)>,
    /// Username keys of the channels it names (mentions and t.me links), distinct, sorted.
    pub(super) mentions: Vec<u32>,
    /// Hashes of its cleaned URLs, distinct, sorted.
    pub(super) urls: Vec<u64>,
    /// Tag keys, distinct, sorted.
    pub(super) tags: Vec<u32>,
}

impl Signal {
    /// Whether it counts for a period: `None` when a period is asked for and it has no date.
    pub(super) fn in_period(&self, since: Option<i64>, until: Option<i64>) -> Option<bool> {
        if since.is_none() && until.is_none() {
            return Some(true);
        }
        let d = self.date?;
        Some(since.is_none_or(|a| d >= a) && until.is_none_or(|b| d < b))
    }
}

const HAS_DATE: u8 = 1;
const INFERRED: u8 = 2;
const FORWARD: u8 = 4;
const FORWARD_SOURCE: u8 = 8;
const FORWARD_MESSAGE: u8 = 16;

impl PostRecord for Signal {
    fn post_id(&self) -> i64 {
        self.id
    }

    fn write_body(&self, o: &mut Out<BufWriter<File>>) -> std::io::Result<()> {
        o.ivarint(self.channel)?;
        let mut flags = 0;
        if self.date.is_some() {
            flags |= HAS_DATE;
        }
        if self.inferred {
            flags |= INFERRED;
        }
        if let Some((source, message)) = self.forward {
            flags |= FORWARD;
            if source.is_some() {
                flags |= FORWARD_SOURCE;
            }
            if message.is_some() {
                flags |= FORWARD_MESSAGE;
            }
        }
        o.u8(flags)?;
        if let Some(d) = self.date {
            o.ivarint(d)?;
        }
        if let Some((source, message)) = self.forward {
            if let Some(c) = source {
                o.ivarint(c)?;
            }
            if let Some(m) = message {
                o.ivarint(m)?;
            }
        }
        o.uvarint(self.mentions.len() as u64)?;
        for m in &self.mentions {
            o.uvarint(u64::from(*m))?;
        }
        o.uvarint(self.urls.len() as u64)?;
        for u in &self.urls {
            o.u64(*u)?;
        }
        o.uvarint(self.tags.len() as u64)?;
        for t in &self.tags {
            o.uvarint(u64::from(*t))?;
        }
        Ok(())
    }

    fn read_body(&mut self, id: i64, i: &mut FileIn<'_>, strings: usize) -> Result<(), String> {
        self.id = id;
        self.channel = i.ivarint()?;
        let flags = i.u8()?;
        self.date = if flags & HAS_DATE != 0 {
            Some(i.ivarint()?)
        } else {
            None
        };
        self.inferred = flags & INFERRED != 0;
        self.forward = if flags & FORWARD != 0 {
            let source = if flags & FORWARD_SOURCE != 0 {
                Some(i.ivarint()?)
            } else {
                None
            };
            let message = if flags & FORWARD_MESSAGE != 0 {
                Some(i.ivarint()?)
            } else {
                None
            };
            Some((source, message))
        } else {
            None
        };
        read_numbers(i, &mut self.mentions, strings)?;
        self.urls.clear();
        let n = i.uvarint()?;
        for _ in 0..n {
            self.urls.push(i.u64()?);
        }
        read_numbers(i, &mut self.tags, strings)
    }
}

/// A list of string numbers, each below `strings`.
pub(crate) fn read_numbers(
    i: &mut FileIn<'_>,
    v: &mut Vec<u32>,
    strings: usize,
) -> Result<(), String> {
    v.clear();
    let n = i.uvarint()?;
    for _ in 0..n {
        let at = i.pos();
        let x = i.uvarint()?;
        if x >= strings as u64 {
            return Err(format!("a string number out of range at byte {at}"));
        }
        v.push(x as u32);
    }
    Ok(())
}

/// The network analysis of an archive: per post what the networks are made of (on disk), the
/// strings they name, and the archive's mark it is caught up to.
#[derive(Debug, Clone, Default)]
pub struct NetworkState {
    file: PostFile,
    /// Shares of objects sorted in memory before sorted runs go to disk (`None`: the default).
    share_budget: Option<usize>,
}

/// An update of a [`NetworkState`] being written: posts handed over in post order, merged with
/// the old state's, into a new file.
pub struct NetworkWriter<'a> {
    inner: PostWriter<'a, Signal>,
    signal: Signal,
}

impl NetworkState {
    /// An empty analysis (of an empty archive).
    pub fn new() -> NetworkState {
        NetworkState::default()
    }

    /// The archive's mark it is caught up to.
    pub fn mark(&self) -> i64 {
        self.file.mark()
    }

    /// How many posts it holds.
    pub fn post_count(&self) -> usize {
        self.file.posts() as usize
    }

    /// Starts an update written to `path` (through a temporary file, renamed by
    /// [`NetworkWriter::finish`]): the posts with a version newer than the analysis's mark
    /// (their current version) are handed to [`NetworkWriter::push`] in post order; the other
    /// posts are kept. A rebuild is an update of an empty state.
    pub fn writer(&self, path: &Path) -> Result<NetworkWriter<'_>, StateError> {
        Ok(NetworkWriter {
            inner: self.file.writer(KIND, path)?,
            signal: Signal::default(),
        })
    }

    /// Takes in posts with a version newer than the analysis's mark (their current version, in
    /// any order), and the archive's mark now. The new state is an unnamed temporary file
    /// beside this one (for tests and benchmarks; the engine writes with [`Self::writer`]).
    pub fn update(
        &mut self,
        mark: i64,
        posts: impl IntoIterator<Item = NetworkPost>,
    ) -> Result<(), StateError> {
        let mut posts: Vec<NetworkPost> = posts.into_iter().collect();
        // The last of a post handed over twice counts.
        posts.reverse();
        posts.sort_by_key(|p| p.post_id);
        posts.dedup_by_key(|p| p.post_id);
        let mut w = NetworkWriter {
            inner: self.file.unnamed_writer(KIND)?,
            signal: Signal::default(),
        };
        for p in posts {
            w.push(&p)?;
        }
        let next = w.finish(mark)?;
        *self = next;
        Ok(())
    }

    /// Reads every post's signal in post order into one buffer, handing each to `f`.
    pub(super) fn for_each(&self, f: impl FnMut(&Signal)) -> Result<(), StateError> {
        self.file.for_each(f)
    }

    /// The strings the signals name by number.
    pub(super) fn strings(&self) -> &Strings {
        self.file.strings()
    }

    /// Where temporary files of a computation go.
    pub(super) fn spill_dir(&self) -> Option<&Path> {
        self.file.dir()
    }

    /// Sorts at most `shares` shares of objects in memory before sorted runs go to temporary
    /// files (for tests of the merge; the default holds 524,288, 24 MiB).
    pub fn with_share_budget(mut self, shares: usize) -> NetworkState {
        self.share_budget = Some(shares);
        self
    }

    pub(super) fn share_budget(&self) -> Option<usize> {
        self.share_budget
    }

    /// The network asked for. `channels` are the channels the archive knows; `copies` the
    /// posts of copy clusters (for copy edges and co-posting).
    pub fn network(
        &self,
        q: &NetworkQuery,
        channels: &[ChannelFacts],
        copies: &[CopyMember],
    ) -> Result<Network, StateError> {
        if q.kinds == [EdgeKind::Hashtag] {
            return super::hashtags::hashtag_network(self, q);
        }
        super::channels::channel_network(self, q, channels, copies)
    }

    /// The state's content in a canonical order, for comparing an update with a rebuild.
    pub fn fingerprint(&self) -> Result<String, StateError> {
        let mut out = format!("mark {}\n", self.mark());
        self.for_each(|s| {
            let names = |ids: &[u32]| -> Vec<&str> {
                let mut v: Vec<&str> = ids.iter().map(|i| self.strings().get(*i)).collect();
                v.sort_unstable();
                v
            };
            out.push_str(&format!(
                "{} {} {:?} {} {:?} {:?} {:x?} {:?}\n",
                s.id,
                s.channel,
                s.date,
                s.inferred,
                s.forward,
                names(&s.mentions),
                s.urls,
                names(&s.tags)
            ));
        })?;
        Ok(out)
    }

    /// Writes the state to `path` (through a temporary file in the same folder, renamed).
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        // No post changed: the old posts are copied over.
        self.writer(path)?.finish(self.mark()).map(drop)
    }

    /// Opens a state written by [`NetworkWriter::finish`] or [`NetworkState::save`] (its
    /// checksum checked; its posts stay on disk). `Ok(None)` when there is no file.
    pub fn load(path: &Path) -> Result<Option<NetworkState>, StateError> {
        Ok(PostFile::load(KIND, path)?.map(|file| NetworkState {
            file,
            share_budget: None,
        }))
    }
}

impl NetworkWriter<'_> {
    /// Hands over a post's current version. Posts come in ascending post id order.
    pub fn push(&mut self, p: &NetworkPost) -> Result<(), StateError> {
        let mut s = std::mem::take(&mut self.signal);
        signal_of(self.inner.strings(), p, &mut s);
        let pushed = self.inner.push(&s);
        self.signal = s;
        pushed
    }

    /// Copies the rest of the old posts, writes `mark` (the archive's mark now, or the old one
    /// when higher) and renames the file into place: the new state.
    pub fn finish(self, mark: i64) -> Result<NetworkState, StateError> {
        Ok(NetworkState {
            file: self.inner.finish(mark, 0)?,
            share_budget: None,
        })
    }
}

fn signal_of(strings: &mut Strings, p: &NetworkPost, s: &mut Signal) {
    s.id = p.post_id;
    s.channel = p.channel_id;
    s.date = p.date;
    s.inferred = p.date_inferred;
    s.forward = p.forward;
    s.mentions.clear();
    s.urls.clear();
    s.tags.clear();
    for m in &p.mentions {
        let key = names::alias_key(m.trim_start_matches('@'));
        if !key.is_empty() {
            s.mentions.push(strings.id(&key));
        }
    }
    for l in &p.links {
        match urls::telegram_target(l) {
            Some(TelegramTarget::Channel { key, .. }) => {
                s.mentions.push(strings.id(&key));
            }
            Some(_) => {}
            None => {
                if let Some(clean) = urls::clean_url(l) {
                    s.urls
                        .push(xxhash_rust::xxh3::xxh3_64(clean.canonical.as_bytes()));
                }
            }
        }
    }
    for t in &p.hashtags {
        let key = names::tag_key(t);
        if !key.is_empty() {
            s.tags.push(strings.id(&key));
        }
    }
    for v in [&mut s.mentions, &mut s.tags] {
        v.sort_unstable();
        v.dedup();
    }
    s.urls.sort_unstable();
    s.urls.dedup();
}

/// A network computed for a question, with what it left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// The network (nodes with their measures, edges with their evidence).
    pub graph: Graph,
    /// Posts in the period and kinds asked for that made edges.
    pub posts_used: u64,
    /// Posts left out because they have no date while a period was asked for.
    pub undated_left_out: u64,
    /// Forwards whose source the archive does not know by a name (no edge).
    pub unknown_sources: u64,
    /// Shared objects (links, forward origins, clusters, tags) shared by more channels than
    /// [`NetworkQuery::max_sharers`]: they linked no one.
    pub objects_left_out: u64,
}

impl Network {
    pub(super) fn empty() -> Network {
        Network {
            graph: Graph::default(),
            posts_used: 0,
            undated_left_out: 0,
            unknown_sources: 0,
            objects_left_out: 0,
        }
    }
}

/// A set of post ids (a bit per id: the archive's ids are dense from 1).
#[derive(Debug, Default)]
pub(super) struct PostSet {
    bits: Vec<u64>,
    /// Ids a bit cannot hold (negative, or beyond 2^36).
    other: std::collections::BTreeSet<i64>,
    len: u64,
}

impl PostSet {
    pub(super) fn insert(&mut self, id: i64) {
        if !(0..1 << 36).contains(&id) {
            if self.other.insert(id) {
                self.len += 1;
            }
            return;
        }
        let (word, bit) = ((id >> 6) as usize, id & 63);
        if word >= self.bits.len() {
            self.bits.resize((word + 1).next_power_of_two(), 0);
        }
        if self.bits[word] & (1 << bit) == 0 {
            self.bits[word] |= 1 << bit;
            self.len += 1;
        }
    }

    pub(super) fn len(&self) -> u64 {
        self.len
    }
}
