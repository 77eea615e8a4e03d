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
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;
use tgscope_text::names;
use tgscope_text::urls::{self, TelegramTarget};

use super::graph::Graph;
use super::{ChannelFacts, CopyMember, EdgeKind, NetworkPost, NetworkQuery};
use crate::state_file::{self, FileIn, StateError, Writer};

const MAGIC: &[u8; 8] = b"TGSNETW\0";
/// Bumped whenever the format, or what the state keeps of a post, changes.
const FORMAT_VERSION: u32 = 2;
/// What the analysis is called in errors.
const WHAT: &str = "a network analysis";

/// Strings kept once (usernames and tags), by number.
#[derive(Debug, Clone, Default)]
pub(super) struct Strings {
    all: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Strings {
    fn id(&mut self, s: String) -> u32 {
        if let Some(id) = self.ids.get(&s) {
            return *id;
        }
        let id = self.all.len() as u32;
        self.ids.insert(s.clone(), id);
        self.all.push(s);
        id
    }

    pub(super) fn get(&self, id: u32) -> &str {
        self.all.get(id as usize).map_or("", String::as_str)
    }

    fn len(&self) -> usize {
        self.all.len()
    }
}

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

/// The open file of a state.
#[derive(Debug)]
struct Body {
    file: File,
    /// Where the posts end and the strings start.
    posts_end: u64,
}

/// The network analysis of an archive: per post what the networks are made of (on disk), the
/// strings they name, and the archive's mark it is caught up to.
#[derive(Debug, Clone, Default)]
pub struct NetworkState {
    mark: i64,
    posts: u64,
    strings: Strings,
    /// `None` for the empty state.
    body: Option<Arc<Body>>,
    /// Where temporary files go (the folder of the state's file).
    dir: Option<PathBuf>,
    /// Shares of objects sorted in memory before sorted runs go to disk (`None`: the default).
    share_budget: Option<usize>,
}

/// An update of a [`NetworkState`] being written: posts handed over in post order, merged with
/// the old state's, into a new file.
pub struct NetworkWriter<'a> {
    old: Option<(FileIn<'a>, Signal)>,
    old_left: u64,
    strings: Strings,
    out: Writer,
    mark: i64,
    posts: u64,
    last_written: Option<i64>,
    last_pushed: Option<i64>,
    signal: Signal,
    dir: Option<PathBuf>,
}

impl NetworkState {
    /// An empty analysis (of an empty archive).
    pub fn new() -> NetworkState {
        NetworkState::default()
    }

    /// The archive's mark it is caught up to.
    pub fn mark(&self) -> i64 {
        self.mark
    }

    /// How many posts it holds.
    pub fn post_count(&self) -> usize {
        self.posts as usize
    }

    /// Starts an update written to `path` (through a temporary file, renamed by
    /// [`NetworkWriter::finish`]): the posts with a version newer than the analysis's mark
    /// (their current version) are handed to [`NetworkWriter::push`] in post order; the other
    /// posts are kept. A rebuild is an update of an empty state.
    pub fn writer(&self, path: &Path) -> Result<NetworkWriter<'_>, StateError> {
        let out = Writer::create(path, MAGIC, FORMAT_VERSION)?;
        self.start_writer(out, path.parent().map(Path::to_path_buf))
    }

    fn start_writer(
        &self,
        out: Writer,
        dir: Option<PathBuf>,
    ) -> Result<NetworkWriter<'_>, StateError> {
        // The posts start right after the header; the mark is written at the end, when known.
        let mut w = NetworkWriter {
            old: None,
            old_left: self.posts,
            strings: self.strings.clone(),
            out,
            mark: self.mark,
            posts: 0,
            last_written: None,
            last_pushed: None,
            signal: Signal::default(),
            dir,
        };
        if let Some(body) = &self.body
            && self.posts > 0
        {
            let mut input = FileIn::new(&body.file, state_file::HEADER, body.posts_end);
            let mut first = Signal::default();
            let mut prev = 0;
            read_signal(&mut input, &mut prev, &mut first, self.strings.len())
                .map_err(|what| self.unusable(what))?;
            w.old = Some((input, first));
            w.old_left -= 1;
        }
        Ok(w)
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
        let out = Writer::unnamed(self.dir.as_deref(), MAGIC, FORMAT_VERSION)?;
        let mut w = self.start_writer(out, self.dir.clone())?;
        for p in posts {
            w.push(&p)?;
        }
        let next = w.finish(mark)?;
        *self = next;
        Ok(())
    }

    fn unusable(&self, what: String) -> StateError {
        StateError::Unusable {
            path: self
                .dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("(network analysis)")),
            what,
        }
    }

    /// Reads every post's signal in post order into one buffer, handing each to `f`.
    pub(super) fn for_each(&self, mut f: impl FnMut(&Signal)) -> Result<(), StateError> {
        let Some(body) = &self.body else {
            return Ok(());
        };
        let mut input = FileIn::new(&body.file, state_file::HEADER, body.posts_end);
        let mut s = Signal::default();
        let mut prev = 0;
        for _ in 0..self.posts {
            read_signal(&mut input, &mut prev, &mut s, self.strings.len())
                .map_err(|what| self.unusable(what))?;
            f(&s);
        }
        Ok(())
    }

    /// The strings the signals name by number.
    pub(super) fn strings(&self) -> &Strings {
        &self.strings
    }

    /// Where temporary files of a computation go.
    pub(super) fn spill_dir(&self) -> Option<&Path> {
        self.dir.as_deref()
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
        let mut out = format!("mark {}\n", self.mark);
        self.for_each(|s| {
            let names = |ids: &[u32]| -> Vec<&str> {
                let mut v: Vec<&str> = ids.iter().map(|i| self.strings.get(*i)).collect();
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
        self.writer(path)?.finish(self.mark).map(drop)
    }

    /// Opens a state written by [`NetworkWriter::finish`] or [`NetworkState::save`] (its
    /// checksum checked; its posts stay on disk). `Ok(None)` when there is no file.
    pub fn load(path: &Path) -> Result<Option<NetworkState>, StateError> {
        let Some((file, len)) = state_file::open(path, MAGIC, FORMAT_VERSION, WHAT)? else {
            return Ok(None);
        };
        let dir = path.parent().map(Path::to_path_buf);
        let unusable = |what: String| StateError::Unusable {
            path: path.to_path_buf(),
            what,
        };
        read_state(file, len, dir).map_err(unusable).map(Some)
    }
}

/// Reads the footer and strings of a state file of `len` bytes (without the checksum).
fn read_state(file: File, len: u64, dir: Option<PathBuf>) -> Result<NetworkState, String> {
    // Footer: mark, posts, where the strings start.
    const FOOTER: u64 = 24;
    if len < state_file::HEADER + FOOTER {
        return Err("ends early".into());
    }
    let mut tail = FileIn::new(&file, len - FOOTER, len);
    let mark = tail.i64()?;
    let posts = tail.u64()?;
    let posts_end = tail.u64()?;
    if posts_end < state_file::HEADER || posts_end > len - FOOTER {
        return Err(format!(
            "the strings' start {posts_end} is outside the file"
        ));
    }
    let mut strings = Strings::default();
    let mut input = FileIn::new(&file, posts_end, len - FOOTER);
    while !input.done() {
        let n = input.uvarint()?;
        if n > len {
            return Err(format!("a string of {n} bytes at byte {}", input.pos()));
        }
        let mut bytes = vec![0u8; n as usize];
        let at = input.pos();
        input.take(&mut bytes)?;
        let s = String::from_utf8(bytes).map_err(|e| format!("a string at byte {at}: {e}"))?;
        let id = strings.id(s);
        if id as usize + 1 != strings.len() {
            return Err(format!("a string repeated at byte {at}"));
        }
    }
    if posts > (posts_end - state_file::HEADER) {
        return Err(format!("{posts} posts cannot fit in {posts_end} bytes"));
    }
    drop(input);
    drop(tail);
    Ok(NetworkState {
        mark,
        posts,
        strings,
        body: Some(Arc::new(Body { file, posts_end })),
        dir,
        share_budget: None,
    })
}

/// Reads one signal (`prev`: the post id before it, updated).
fn read_signal(
    i: &mut FileIn<'_>,
    prev: &mut i64,
    s: &mut Signal,
    strings: usize,
) -> Result<(), String> {
    let id = prev.wrapping_add(i.ivarint()?);
    *prev = id;
    s.id = id;
    s.channel = i.ivarint()?;
    let flags = i.u8()?;
    s.date = if flags & HAS_DATE != 0 {
        Some(i.ivarint()?)
    } else {
        None
    };
    s.inferred = flags & INFERRED != 0;
    s.forward = if flags & FORWARD != 0 {
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
    let string_list = |i: &mut FileIn<'_>, v: &mut Vec<u32>| -> Result<(), String> {
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
    };
    string_list(i, &mut s.mentions)?;
    s.urls.clear();
    let n = i.uvarint()?;
    for _ in 0..n {
        s.urls.push(i.u64()?);
    }
    string_list(i, &mut s.tags)?;
    Ok(())
}

impl NetworkWriter<'_> {
    /// Hands over a post's current version. Posts come in ascending post id order.
    pub fn push(&mut self, p: &NetworkPost) -> Result<(), StateError> {
        if self.last_pushed.is_some_and(|last| p.post_id <= last) {
            return Err(StateError::Unusable {
                path: PathBuf::from("(network update)"),
                what: format!(
                    "post {} handed over after post {}: posts must come in post order",
                    p.post_id,
                    self.last_pushed.unwrap_or_default()
                ),
            });
        }
        self.last_pushed = Some(p.post_id);
        self.copy_old_before(Some(p.post_id))?;
        let mut s = std::mem::take(&mut self.signal);
        self.signal_of(p, &mut s);
        let written = self.write(&s);
        self.signal = s;
        written
    }

    /// Copies the old posts before `id` (all when `None`), and drops the old version of `id`.
    fn copy_old_before(&mut self, id: Option<i64>) -> Result<(), StateError> {
        while let Some((mut input, mut old)) = self.old.take() {
            if id.is_some_and(|id| old.id > id) {
                self.old = Some((input, old));
                break;
            }
            if id != Some(old.id) {
                self.write(&old)?;
            }
            if self.old_left == 0 {
                break;
            }
            let mut prev = old.id;
            read_signal(&mut input, &mut prev, &mut old, self.strings.len()).map_err(|what| {
                StateError::Unusable {
                    path: PathBuf::from("(network analysis)"),
                    what,
                }
            })?;
            self.old_left -= 1;
            self.old = Some((input, old));
        }
        Ok(())
    }

    fn write(&mut self, s: &Signal) -> Result<(), StateError> {
        let prev = self.last_written.unwrap_or(0);
        self.last_written = Some(s.id);
        self.posts += 1;
        let o = self.out.out();
        let r = (|| {
            o.ivarint(s.id.wrapping_sub(prev))?;
            o.ivarint(s.channel)?;
            let mut flags = 0;
            if s.date.is_some() {
                flags |= HAS_DATE;
            }
            if s.inferred {
                flags |= INFERRED;
            }
            if let Some((source, message)) = s.forward {
                flags |= FORWARD;
                if source.is_some() {
                    flags |= FORWARD_SOURCE;
                }
                if message.is_some() {
                    flags |= FORWARD_MESSAGE;
                }
            }
            o.u8(flags)?;
            if let Some(d) = s.date {
                o.ivarint(d)?;
            }
            if let Some((source, message)) = s.forward {
                if let Some(c) = source {
                    o.ivarint(c)?;
                }
                if let Some(m) = message {
                    o.ivarint(m)?;
                }
            }
            o.uvarint(s.mentions.len() as u64)?;
            for m in &s.mentions {
                o.uvarint(u64::from(*m))?;
            }
            o.uvarint(s.urls.len() as u64)?;
            for u in &s.urls {
                o.u64(*u)?;
            }
            o.uvarint(s.tags.len() as u64)?;
            for t in &s.tags {
                o.uvarint(u64::from(*t))?;
            }
            Ok(())
        })();
        r.map_err(|e| self.out.error(e))
    }

    fn signal_of(&mut self, p: &NetworkPost, s: &mut Signal) {
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
                s.mentions.push(self.strings.id(key));
            }
        }
        for l in &p.links {
            match urls::telegram_target(l) {
                Some(TelegramTarget::Channel { key, .. }) => {
                    s.mentions.push(self.strings.id(key));
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
                s.tags.push(self.strings.id(key));
            }
        }
        for v in [&mut s.mentions, &mut s.tags] {
            v.sort_unstable();
            v.dedup();
        }
        s.urls.sort_unstable();
        s.urls.dedup();
    }

    /// Copies the rest of the old posts, writes the strings, `mark` (the archive's mark now, or
    /// the old one when higher) and the checksum, and renames the file into place: the new
    /// state.
    pub fn finish(mut self, mark: i64) -> Result<NetworkState, StateError> {
        self.copy_old_before(None)?;
        let mark = self.mark.max(mark);
        let o = self.out.out();
        let posts_end = o.pos();
        let r = (|| {
            for s in &self.strings.all {
                o.uvarint(s.len() as u64)?;
                o.bytes(s.as_bytes())?;
            }
            o.i64(mark)?;
            o.u64(self.posts)?;
            o.u64(posts_end)
        })();
        r.map_err(|e| self.out.error(e))?;
        let (file, _) = self.out.finish()?;
        Ok(NetworkState {
            mark,
            posts: self.posts,
            strings: self.strings,
            body: Some(Arc::new(Body { file, posts_end })),
            dir: self.dir,
            share_budget: None,
        })
    }
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
