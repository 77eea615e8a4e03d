//! The archive behind traits: what the engine asks of any backend, grouped by topic
//! ([`PostReads`], [`BrowseReads`], [`FeedReads`], [`NarrativeStore`], [`SettingStore`],
//! [`WatchReads`]), and [`ArchiveWalks`], the walks over posts for callbacks that fail with
//! their own errors. Bring them into scope with `use tgscope_archive::backend::*`.

use std::ops::ControlFlow;

use tgscope_model::CaptureTime;

use crate::{
    AbsenceRecord, ArchiveError, Capture, ChangeFilter, ChangeRecord, ChannelCount, ChannelInfo,
    ChannelSummary, CollectRun, Interrupter, NarrativePostFacts, NarrativeRecord, NetworkRow,
    PostCount, PostDate, PostDetail, PostForIndex, PostQuery, PostRecord, PostText, Result,
    SourceCount, Stats, TagCount,
};

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

    /// The current text of the posts with a version newer than `after_mark`, in post order.
    fn post_texts_after(&self, after_mark: i64) -> Result<Vec<PostText>>;

    /// Calls `f` for each selected post as the index needs it, in post order, until it breaks.
    fn walk_posts_for_index(
        &self,
        which: PostSelection<'_>,
        f: &mut dyn FnMut(PostForIndex) -> ControlFlow<()>,
    ) -> Result<()>;

    /// Calls `f` with the current text of every post, one channel at a time (a channel's
    /// posts together, in post order; channels by id), until it breaks: the copy analysis
    /// learns each channel's boilerplate from its posts.
    fn walk_channel_texts(&self, f: &mut dyn FnMut(Vec<PostText>) -> ControlFlow<()>)
    -> Result<()>;

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

    /// Calls `f` with the current text of every post, one channel at a time
    /// ([`FeedReads::walk_channel_texts`]).
    fn for_each_channel_texts<E: From<ArchiveError>>(
        &self,
        f: impl FnMut(Vec<PostText>) -> std::result::Result<(), E>,
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
        f: impl FnMut(Vec<PostText>) -> std::result::Result<(), E>,
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
