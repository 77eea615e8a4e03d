//! The archive behind traits: what the engine asks of any backend. [`Archive`] is an open
//! archive: what it answers, grouped by topic ([`PostReads`], [`BrowseReads`], [`FeedReads`],
//! [`NarrativeStore`], [`SettingStore`], [`WatchReads`]), and its write transactions
//! ([`ArchiveWriter`]: [`PostWrites`], [`WatchWrites`]). [`ArchiveWalks`] wraps the walks over
//! posts for callbacks that fail with their own errors. Every trait is object-safe (the engine
//! holds a `Box<dyn Archive>`); bring them into scope with `use tgscope_archive::prelude::*`.

use std::ops::ControlFlow;
use std::path::Path;

use tgscope_model::{
    CaptureTime, CaptureTimeBasis, CapturedPost, ChannelRef, Location, ServiceEvent,
};

use crate::{
    AbsenceRecord, ArchiveError, Capture, ChangeFilter, ChangeRecord, ChannelCount, ChannelInfo,
    ChannelSummary, ChannelTexts, CollectRun, Interrupter, MediaStore, NarrativePostFacts,
    NarrativeRecord, NetworkRow, NewCapture, PostCount, PostDate, PostDetail, PostForIndex,
    PostQuery, PostRecord, PostText, RawStore, Result, SourceCount, Stats, TagCount,
};

/// One captured post whose identity [`PostWrites::identify`] looks up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityAsk {
    /// Its position in the capture.
    pub ordinal: u64,
    /// Its channel (archive id).
    pub channel_id: i64,
    /// Telegram's message id, when the capture gives one.
    pub message_id: Option<i64>,
    /// The identity key of its text.
    pub content_key: String,
}

/// What the archive knows of a captured post ([`PostWrites::identify`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Identity {
    /// The capture already has a sighting at this position.
    pub sighted: bool,
    /// The archived post with its message id in its channel.
    pub post_id: Option<i64>,
    /// The archived version with its content key, `(post_id, version_id)`.
    pub version: Option<(i64, i64)>,
}

/// Which posts a walk reads.
#[derive(Debug, Clone, Copy)]
pub enum PostSelection<'a> {
    /// Those with a version newer than the mark (every post for 0).
    AfterMark(i64),
    /// These, by archive id.
    Posts(&'a [i64]),
}

/// Posts, channels, captures and counts, in the shapes the front ends show.
pub trait PostReads {
    /// How many posts `filter` matches, whatever its limit and offset, and how many undated
    /// posts its date range leaves out.
    fn count_posts(&self, filter: &PostQuery) -> Result<PostCount>;

    /// The posts matching `filter`.
    fn posts(&self, filter: &PostQuery) -> Result<Vec<PostRecord>>;

    /// One post with all its versions and sightings.
    fn post(&self, id: i64) -> Result<Option<PostDetail>>;

    /// One post with its current version, without its history.
    fn post_record(&self, id: i64) -> Result<Option<PostRecord>>;

    /// Every channel with its counts, the most posts first.
    fn channels(&self) -> Result<Vec<ChannelSummary>>;

    /// Counts over the whole archive.
    fn stats(&self) -> Result<Stats>;

    /// The archive id of the channel a reference names, if the archive knows it.
    fn find_channel(&self, r: &tgscope_model::ChannelRef) -> Result<Option<i64>>;

    /// One channel by its archive id.
    fn channel(&self, id: i64) -> Result<Option<ChannelInfo>>;

    /// Every capture, in ingest order.
    fn captures(&self) -> Result<Vec<Capture>>;

    /// The `limit` captures ingested last, newest first, and how many captures there are.
    fn newest_captures(&self, limit: u64) -> Result<(u64, Vec<Capture>)>;

    /// The ids of the posts `filter` matches (its limit and offset applied), in id order.
    fn post_ids(&self, filter: &PostQuery) -> Result<Vec<i64>>;

    /// The records of these posts (those the archive has), in the order asked: one call for a
    /// batch, so that a backend over a network answers in one round trip.
    fn post_records(&self, ids: &[i64]) -> Result<Vec<PostRecord>>;
}

/// Browsing: channels by name, a channel's summary, top hashtags and forward sources, a
/// hashtag's channels; and cutting off a running query.
pub trait BrowseReads {
    /// A handle that interrupts this archive's running query.
    fn interrupter(&self) -> Interrupter;

    /// The channels `name` names, the rules of [`tgscope_text::names`] applied in order, the
    /// first that finds any winning: its archive id (digits); one of its usernames or titles
    /// (any case, `@` and `t.me/` links allowed: [`alias_key`](tgscope_text::names::alias_key)); a name equal to one of them
    /// once both are folded to letters and digits ([`name_key`](tgscope_text::names::name_key): "Russian MFA" for "Russian MFA
    /// 🇷🇺"). Empty when none; several when the name fits several channels (the caller decides:
    /// never a silent union).
    fn channels_named(&self, name: &str) -> Result<Vec<ChannelInfo>>;

    /// One channel with its counts and names.
    fn channel_summary(&self, id: i64) -> Result<Option<ChannelSummary>>;

    /// The hashtags most used by the current versions of posts (of one channel, or of the
    /// whole archive), most posts first, then by name.
    fn top_hashtags(
        &self,
        channel_id: Option<i64>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<TagCount>>;

    /// The sources the current versions of posts (of one channel, or of the whole archive)
    /// were forwarded from most, most posts first.
    fn top_forward_sources(
        &self,
        channel_id: Option<i64>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<SourceCount>>;

    /// How many posts (current versions) use a hashtag (`#` and case ignored), and its form
    /// as first written; `None` when no post uses it.
    fn hashtag(&self, tag: &str) -> Result<Option<TagCount>>;

    /// The channels whose posts (current versions) use a hashtag most, most posts first.
    fn hashtag_channels(&self, tag: &str, limit: u64) -> Result<Vec<ChannelCount>>;
}

/// What derived data is fed with: the archive's mark, and posts as the search index, the
/// network analysis and the copy analysis read them. The walks stop when their callback says
/// [`ControlFlow::Break`]; [`ArchiveWalks`] wraps them for callbacks that fail with an error.
pub trait FeedReads {
    /// The archive's mark for the index: the newest version's id. Versions are only ever
    /// added, so an index that recorded this mark holds every version up to it.
    fn index_mark(&self) -> Result<i64>;

    /// The current text of these posts (those the archive has), in post order.
    fn post_texts(&self, post_ids: &[i64]) -> Result<Vec<PostText>>;

    /// The dates of these posts' current versions (those the archive has), in post order.
    fn post_dates(&self, post_ids: &[i64]) -> Result<Vec<PostDate>>;

    /// The current text of the posts with a version newer than `after_mark` and not newer than
    /// `up_to` (a window of the archive's marks), in post order.
    fn post_texts_after(&self, after_mark: i64, up_to: i64) -> Result<Vec<PostText>>;

    /// The end of the next window of marks after `after_mark` whose versions hold about
    /// `text_bytes` of text: the newest mark, not beyond `up_to`, such that the versions after
    /// `after_mark` up to it are at most `max_versions` and hold at most `text_bytes` of text
    /// (in UTF-8) — though always the first of them, however large. `up_to` when the versions
    /// left fit. Read from the versions' sizes alone, not their texts: a reader walks a long
    /// way behind the archive in windows of bounded size ([`FeedReads::post_texts_after`]).
    fn window_end(
        &self,
        after_mark: i64,
        up_to: i64,
        text_bytes: u64,
        max_versions: u32,
    ) -> Result<i64>;

    /// Calls `f` for each selected post as the index needs it, in post order, until it breaks.
    fn walk_posts_for_index(
        &self,
        which: PostSelection<'_>,
        f: &mut dyn FnMut(PostForIndex) -> ControlFlow<()>,
    ) -> Result<()>;

    /// Calls `f` with the current text of every post, a page of one channel at a time (a
    /// channel's posts in post order, its last page marked; channels by id; see
    /// [`ChannelTexts`]), until it breaks: the copy analysis learns each channel's boilerplate
    /// from its posts.
    fn walk_channel_texts(&self, f: &mut dyn FnMut(ChannelTexts) -> ControlFlow<()>) -> Result<()>;

    /// Calls `f` for each selected post as the network analysis needs it, in post order,
    /// until it breaks.
    fn walk_network_posts(
        &self,
        which: PostSelection<'_>,
        f: &mut dyn FnMut(NetworkRow) -> ControlFlow<()>,
    ) -> Result<()>;
}

/// Narratives (user data: every version of each definition kept) and the facts of posts a
/// narrative's report needs.
pub trait NarrativeStore {
    /// The narrative with this name (any case), with its versions, removed or not.
    fn narrative(&self, name: &str) -> Result<Option<NarrativeRecord>>;

    /// Every narrative with its versions, by name (removed ones too when `removed` is true).
    fn narratives(&self, removed: bool) -> Result<Vec<NarrativeRecord>>;

    /// Adds a version of the narrative called `name` (made when the archive has none by that
    /// name; restored when it was removed), in one transaction; returns the narrative as it is
    /// now. The caller checks the queries first.
    fn add_narrative_version(
        &self,
        name: &str,
        description: &str,
        queries: &[String],
    ) -> Result<NarrativeRecord>;

    /// Marks the narrative called `name` removed (its versions are kept); false when there is
    /// no current narrative by that name.
    fn remove_narrative(&self, name: &str) -> Result<bool>;

    /// The posts with a version newer than `after_mark` (new or edited since), in post order.
    fn posts_changed_after(&self, after_mark: i64) -> Result<Vec<i64>>;

    /// The facts of these posts' current versions that a narrative's report needs, in post
    /// order (the posts the archive has).
    fn narrative_post_facts(&self, post_ids: &[i64]) -> Result<Vec<NarrativePostFacts>>;
}

/// The settings users choose (kept in the archive, read by every process on it).
pub trait SettingStore {
    /// The value of a setting, when one was chosen.
    fn setting(&self, key: &str) -> Result<Option<String>>;

    /// Sets a setting (replacing its value), or removes it (`None`: the default again).
    fn set_setting(&self, key: &str, value: Option<&str>) -> Result<()>;
}

/// Watching channels over time: when each capture was made, collection runs to resume,
/// absences and the changes they show.
pub trait WatchReads {
    /// When a capture was made and how that is known (`None` when there is no such capture).
    fn capture_time(&self, capture_id: i64) -> Result<Option<CaptureTime>>;

    /// When every capture was made, by capture id, in ingest order.
    fn capture_times(&self) -> Result<Vec<(i64, CaptureTime)>>;

    /// The unfinished collection run of a channel from a site, if one was interrupted.
    fn unfinished_collect_run(&self, channel: &str, base_url: &str) -> Result<Option<CollectRun>>;

    /// The newest message id archived for a channel.
    fn newest_message_id(&self, channel_id: i64) -> Result<Option<i64>>;

    /// The message ids and observed dates of the posts a capture showed, in capture order.
    fn capture_posts(&self, sha256: &str) -> Result<Vec<(i64, Option<String>)>>;

    /// The absences of a post, oldest first.
    fn absences(&self, post_id: i64) -> Result<Vec<AbsenceRecord>>;

    /// Edits (versions after the first) and deletions (absences) observed, oldest first.
    fn changes(&self, filter: &ChangeFilter) -> Result<Vec<ChangeRecord>>;
}

/// Writing captures, channels, posts, versions and sightings inside one transaction, with the
/// look-ups the engine decides identity with.
///
/// The ids [`PostWrites::insert_post`] and [`PostWrites::insert_version`] return name the new
/// post or version to the same writer's later calls (as `post_id` or `version_id`), whatever
/// they are: a backend may hold such writes back and send them together, handing out stand-in
/// ids (negative) that it replaces before anything is read or committed (the PostgreSQL
/// archive does; the embedded archive writes at once). They are not to be kept past the
/// writer's commit.
pub trait PostWrites {
    /// Records a new capture as partial; returns its id.
    fn insert_capture(&self, c: &NewCapture<'_>) -> Result<i64>;

    /// Marks a capture as read to its end.
    fn complete_capture(&self, id: i64, posts_seen: u64, warnings: u64) -> Result<()>;

    /// Records progress of a capture that is still partial.
    fn update_capture_progress(&self, id: i64, posts_seen: u64, warnings: u64) -> Result<()>;

    /// Records that a capture's raw bytes are now kept (a re-run that keeps them).
    fn set_raw_kept(&self, id: i64) -> Result<()>;

    /// Finds the channel a reference names (by numeric id, then username, then title), without
    /// creating one.
    fn find_channel(&self, r: &ChannelRef) -> Result<Option<i64>>;

    /// The channel a reference names, created when new; every name it carries is recorded as
    /// an alias.
    fn ensure_channel(&self, r: &ChannelRef) -> Result<i64>;

    /// True when the capture already has a sighting at this position (an earlier, interrupted
    /// run of the same capture got that far).
    fn sighting_exists(&self, capture_id: i64, ordinal: u64) -> Result<bool>;

    /// The identity look-ups of a batch of captured posts in one call (one round trip on a
    /// database over a network): for each, whether the capture already has its sighting, the
    /// archived post with its message id, and the archived version with its content key (in
    /// that post when one was found by message id; else, for a post without message id,
    /// anywhere in its channel). Answers are as the archive stands before the batch is written;
    /// the engine adds what the batch itself writes. The default asks each question alone.
    fn identify(&self, capture_id: i64, asks: &[IdentityAsk]) -> Result<Vec<Identity>> {
        asks.iter()
            .map(|ask| {
                let sighted = self.sighting_exists(capture_id, ask.ordinal)?;
                let post_id = match ask.message_id {
                    Some(message_id) => self.post_by_message_id(ask.channel_id, message_id)?,
                    None => None,
                };
                let version = match (ask.message_id, post_id) {
                    (Some(_), Some(post)) => {
                        self.version_by_key(ask.channel_id, Some(post), &ask.content_key)?
                    }
                    (Some(_), None) => None,
                    (None, _) => self.version_by_key(ask.channel_id, None, &ask.content_key)?,
                };
                Ok(Identity {
                    sighted,
                    post_id,
                    version,
                })
            })
            .collect()
    }

    /// The post with this message id in this channel.
    fn post_by_message_id(&self, channel_id: i64, message_id: i64) -> Result<Option<i64>>;

    /// The version with this content key: within one post when `post_id` is given, else
    /// anywhere in the channel. Returns `(post_id, version_id)`.
    fn version_by_key(
        &self,
        channel_id: i64,
        post_id: Option<i64>,
        content_key: &str,
    ) -> Result<Option<(i64, i64)>>;

    /// A version with this content key of a post of the channel that has no message id yet.
    /// Returns `(post_id, version_id)`.
    fn id_less_version_by_key(
        &self,
        channel_id: i64,
        content_key: &str,
    ) -> Result<Option<(i64, i64)>>;

    /// Whether the channel has any post without a message id (none do in a channel known only
    /// from exports and web pages: then no post can be matched by its text alone).
    fn channel_has_id_less_posts(&self, channel_id: i64) -> Result<bool>;

    /// Gives a post known so far by its text the message id a later capture shows for it.
    fn set_message_id(&self, post_id: i64, message_id: i64) -> Result<()>;

    /// Posts of a channel without message ids whose first or last line matches, and that the
    /// given capture has not already shown: candidates for "the same post, edited". Returns
    /// `(post_id, current clean text)`.
    fn edit_candidates(
        &self,
        channel_id: i64,
        lead_key: &str,
        tail_key: &str,
        capture_id: i64,
    ) -> Result<Vec<(i64, String)>>;

    /// Creates a post; returns its id for this writer's later calls (see the trait).
    fn insert_post(
        &self,
        channel_id: i64,
        message_id: Option<i64>,
        lead_key: &str,
        tail_key: &str,
        capture_id: i64,
    ) -> Result<i64>;

    /// Adds a version of a post with everything it carries, and makes it the post's current
    /// version. `forward_channel_id` is the archive channel of the forward's origin.
    fn insert_version(
        &self,
        post_id: i64,
        channel_id: i64,
        content_key: &str,
        post: &CapturedPost,
        capture_id: i64,
        forward_channel_id: Option<i64>,
    ) -> Result<i64>;

    /// Records that a capture showed a version, at a position and place in the capture.
    fn insert_sighting(
        &self,
        version_id: i64,
        capture_id: i64,
        ordinal: u64,
        location: &Location,
        views: Option<u64>,
        edited: Option<bool>,
    ) -> Result<()>;

    /// Records a service event of a channel, seen at a position of a capture (again: ignored).
    fn insert_event(
        &self,
        channel_id: i64,
        capture_id: i64,
        ordinal: u64,
        event: &ServiceEvent,
    ) -> Result<()>;

    /// Records how many events a capture has shown so far.
    fn set_events_seen(&self, capture_id: i64, events: u64) -> Result<()>;
}

/// Writing what watching channels records (fetches, profiles, absences, collection runs, when
/// captures were made) inside one transaction.
pub trait WatchWrites {
    /// Records an HTTP request of a collector (answered or not); returns its id.
    fn insert_fetch(
        &self,
        url: &str,
        status: Option<u16>,
        fetched_at: &str,
        capture_id: Option<i64>,
        error: Option<&str>,
    ) -> Result<i64>;

    /// Keeps what a channel's page header says about it (the latest capture wins).
    fn set_channel_profile(
        &self,
        channel_id: i64,
        description: Option<&str>,
        subscribers: Option<u64>,
    ) -> Result<()>;

    /// The first and last message id of a channel's posts that a capture showed.
    fn capture_id_range(&self, capture_id: i64, channel_id: i64) -> Result<Option<(i64, i64)>>;

    /// Records as absent every post of the channel with an id in `range` that an earlier
    /// capture of `format` showed and this capture does not. Only captures of the same kind
    /// count as earlier evidence: ids in a range are not all posts (an album takes several
    /// ids, which an export shows as several messages and the web preview as one). Returns
    /// the message ids found absent.
    fn record_absences(
        &self,
        capture_id: i64,
        channel_id: i64,
        range: (i64, i64),
        format: &str,
    ) -> Result<Vec<i64>>;

    /// Starts a collection run; returns it.
    fn start_collect_run(
        &self,
        channel: &str,
        base_url: &str,
        stop_at: Option<i64>,
        full: bool,
        started_at: &str,
    ) -> Result<CollectRun>;

    /// Records how far a run got: the next page to fetch, and the pages fetched.
    fn advance_collect_run(&self, run_id: i64, next_before: Option<i64>, pages: u64) -> Result<()>;

    /// Ends a run with how it ended.
    fn finish_collect_run(&self, run_id: i64, finished_at: &str, outcome: &str) -> Result<()>;

    /// Records when a capture was made and how that is known; `at: None` records its ingest
    /// time (basis `ingested`).
    fn set_capture_time(
        &self,
        capture_id: i64,
        at: Option<&str>,
        basis: CaptureTimeBasis,
        evidence: Option<&str>,
    ) -> Result<()>;

    /// When a capture was made, as recorded.
    fn capture_time(&self, capture_id: i64) -> Result<Option<CaptureTime>>;

    /// Gives every version of a post that has no observed date the observed `date` of the same
    /// message seen in another capture (a Telegram message's date is its send time, the same
    /// in every capture and every version): an inferred date, such as a Desktop HTML export's
    /// time read with a standard-time offset, gives way to it. Returns how many versions
    /// changed. Only for posts with a message id.
    fn observe_post_date(&self, post_id: i64, date: &str) -> Result<usize>;

    /// The observed date a post's versions hold (the earliest version's), if any.
    fn post_observed_date(&self, post_id: i64) -> Result<Option<String>>;
}

/// One write transaction of an archive. Dropping it without [`ArchiveWriter::commit`] rolls
/// everything back.
pub trait ArchiveWriter: PostWrites + WatchWrites {
    /// Commits everything written through this writer.
    fn commit(self: Box<Self>) -> Result<()>;
}

/// An open archive, whatever its backend: everything it answers, and its write transactions.
pub trait Archive:
    PostReads + BrowseReads + FeedReads + NarrativeStore + SettingStore + WatchReads + Send
{
    /// The folder of the archive's files: its raw captures and media, with the derived data
    /// (search index, analyses) beside them.
    fn dir(&self) -> &Path;

    /// The kept raw captures.
    fn raw(&self) -> &RawStore;

    /// The kept media files of exports.
    fn media(&self) -> MediaStore;

    /// Starts a write transaction.
    fn writer(&mut self) -> Result<Box<dyn ArchiveWriter + '_>>;

    /// Whether the archive was found where nothing can be written (read-only media, a folder
    /// without write permission) and opened for reading alone: its derived data (search index,
    /// analyses) is then read as it stands, never brought up to date.
    fn read_only(&self) -> bool {
        false
    }

    /// The capture with this SHA-256, if the archive has it.
    fn capture_by_sha(&self, sha256: &str) -> Result<Option<Capture>>;

    /// How many posts an ingest's batch holds (one identity look-up and one transaction each)
    /// unless the ingest says otherwise. SQLite's commit writes every page its transaction
    /// touched again into its log, so fewer, larger transactions cost less (4,000 posts took a
    /// third less time to write than 500).
    fn ingest_batch(&self) -> usize {
        4000
    }

    /// Another handle on this archive for reading beside this one (a second connection to the
    /// same database), or `None` when the backend has none: what the engine brings the
    /// derived data up to the archive with while this handle writes an ingest. It sees what
    /// this handle commits.
    fn open_reader(&self) -> Result<Option<Box<dyn Archive>>> {
        Ok(None)
    }

    /// Checks the archive's integrity (the database's own check plus the archive's
    /// invariants). Returns the problems found; empty means consistent.
    fn check(&self) -> Result<Vec<String>>;

    /// Brings the database's planner statistics up to date after a run that wrote many posts
    /// (an ingest), so that the queries that follow (derived data catching up, a server's
    /// pages) are planned for the archive as it now is. Nothing to do by default (SQLite plans
    /// by its indexes alone).
    fn refresh_statistics(&self) -> Result<Statistics> {
        Ok(Statistics::NotKept)
    }

    /// The team's accounts, sessions, API tokens and audit log, when the backend keeps them
    /// (team mode, on PostgreSQL); `None` for an archive without accounts (the embedded one).
    fn team(&self) -> Option<&dyn crate::TeamStore> {
        None
    }
}

/// What [`Archive::refresh_statistics`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statistics {
    /// The database keeps no planner statistics (SQLite).
    NotKept,
    /// These tables were analysed (none when none had changed enough).
    Refreshed(Vec<String>),
    /// Another writer of the archive was refreshing them at that moment.
    LeftToAnother,
}

/// The walks over posts with a callback that fails with its own error: an error of the callback
/// stops the walk and is returned as it is; an error of the archive becomes `E`.
pub trait ArchiveWalks {
    /// Calls `each` for every post matching `filter`, in archive order (read in batches).
    fn for_each_post<E: From<ArchiveError>>(
        &self,
        filter: &PostQuery,
        each: impl FnMut(PostRecord) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E>;

    /// Calls `f` for every post with a version newer than `after_mark` (every post when it is
    /// 0), in post order, as the index needs it.
    fn for_each_post_for_index<E: From<ArchiveError>>(
        &self,
        after_mark: i64,
        f: impl FnMut(PostForIndex) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E>;

    /// Calls `f` for each of these posts (by archive id, in post order) as the index needs it:
    /// for posts whose versions changed in place (an observed date replacing an inferred one),
    /// which the archive's mark does not see.
    fn for_each_post_for_index_of<E: From<ArchiveError>>(
        &self,
        post_ids: &[i64],
        f: impl FnMut(PostForIndex) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E>;

    /// Calls `f` with the current text of every post, a page of one channel at a time
    /// ([`FeedReads::walk_channel_texts`]).
    fn for_each_channel_texts<E: From<ArchiveError>>(
        &self,
        f: impl FnMut(ChannelTexts) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E>;

    /// Calls `f` for every post with a version newer than `after_mark` (every post when it is
    /// 0), in post order, as the network analysis needs it.
    fn for_each_network_post<E: From<ArchiveError>>(
        &self,
        after_mark: i64,
        f: impl FnMut(NetworkRow) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E>;

    /// [`ArchiveWalks::for_each_network_post`] for these posts (those the archive has), in
    /// post order.
    fn for_each_network_post_of<E: From<ArchiveError>>(
        &self,
        post_ids: &[i64],
        f: impl FnMut(NetworkRow) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E>;
}

/// Posts read per batch by [`ArchiveWalks::for_each_post`].
const POST_BATCH: usize = 256;

impl<A: PostReads + FeedReads + ?Sized> ArchiveWalks for A {
    fn for_each_post<E: From<ArchiveError>>(
        &self,
        filter: &PostQuery,
        mut each: impl FnMut(PostRecord) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let ids = self.post_ids(filter)?;
        for batch in ids.chunks(POST_BATCH) {
            for record in self.post_records(batch)? {
                each(record)?;
            }
        }
        Ok(())
    }

    fn for_each_post_for_index<E: From<ArchiveError>>(
        &self,
        after_mark: i64,
        f: impl FnMut(PostForIndex) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        drive(
            |g| self.walk_posts_for_index(PostSelection::AfterMark(after_mark), g),
            f,
        )
    }

    fn for_each_post_for_index_of<E: From<ArchiveError>>(
        &self,
        post_ids: &[i64],
        f: impl FnMut(PostForIndex) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        drive(
            |g| self.walk_posts_for_index(PostSelection::Posts(post_ids), g),
            f,
        )
    }

    fn for_each_channel_texts<E: From<ArchiveError>>(
        &self,
        f: impl FnMut(ChannelTexts) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        drive(|g| self.walk_channel_texts(g), f)
    }

    fn for_each_network_post<E: From<ArchiveError>>(
        &self,
        after_mark: i64,
        f: impl FnMut(NetworkRow) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        drive(
            |g| self.walk_network_posts(PostSelection::AfterMark(after_mark), g),
            f,
        )
    }

    fn for_each_network_post_of<E: From<ArchiveError>>(
        &self,
        post_ids: &[i64],
        f: impl FnMut(NetworkRow) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        drive(
            |g| self.walk_network_posts(PostSelection::Posts(post_ids), g),
            f,
        )
    }
}

/// Runs a walk with a callback that fails: the callback's first error breaks the walk and is
/// returned as it is.
fn drive<T, E: From<ArchiveError>>(
    walk: impl FnOnce(&mut dyn FnMut(T) -> ControlFlow<()>) -> Result<()>,
    mut f: impl FnMut(T) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let mut failed = None;
    let walked = walk(&mut |item| match f(item) {
        Ok(()) => ControlFlow::Continue(()),
        Err(e) => {
            failed = Some(e);
            ControlFlow::Break(())
        }
    });
    match failed {
        Some(e) => Err(e),
        None => walked.map_err(E::from),
    }
}
