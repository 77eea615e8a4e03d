//! The archive's vocabulary, whatever holds it: what the engine reads from and writes to an
//! archive (posts with their versions and sightings, channels, captures, fetches and absences,
//! narratives, and what derived data is fed with), the archive's errors, and the folder of raw
//! captures and media that every backend shares.
//!
//! Place in the pipeline: between the engine and the backends. The engine and the front ends
//! speak these types; each backend (`tgscope-store`, the embedded SQLite archive) produces them.
//! No backend's types cross this crate: a backend's errors become [`ArchiveError::Backend`], and
//! cancelling its running query is an [`Interrupter`] it builds.
//!
//! Main types:
//! - [`PostRecord`], [`VersionRecord`], [`SightingRecord`], [`PostDetail`]: a post, its versions
//!   and where each capture showed it; [`PostQuery`] selects posts.
//! - [`ChannelInfo`], [`ChannelSummary`]: channels; [`TagCount`], [`SourceCount`],
//!   [`ChannelCount`], [`Counted`], [`Stats`]: counts.
//! - [`Capture`], [`NewCapture`], [`CaptureStatus`]: the captures read.
//! - [`AbsenceRecord`], [`CollectRun`], [`ChangeRecord`]: watching channels over time.
//! - [`NarrativeRecord`]: narratives (user data).
//! - [`team`]: team mode's accounts ([`Account`], [`Role`]), sessions, API tokens and audit
//!   log, kept by a backend that implements [`TeamStore`].
//! - [`PostForIndex`], [`NetworkRow`], [`PostDate`], [`PostText`], [`ChannelTexts`]: the feed of
//!   derived data.
//! - [`RawStore`], [`MediaStore`]: `raw/` and `media/`, content-addressed by SHA-256.
//!
//! What it does not do: speak SQL, decide identity (the engine does), or read captures.

pub mod backend;
pub mod capture;
pub mod channel;
pub mod error;
pub mod feed;
pub mod interrupt;
pub mod narrative;
pub mod post;
pub mod raw;
pub mod stats;
pub mod team;
pub mod watch;

pub use backend::{Identity, IdentityAsk, PostSelection, Statistics};

/// The archive's traits, for `use tgscope_archive::prelude::*` where an archive is read.
pub mod prelude {
    pub use crate::backend::{
        Archive, ArchiveWalks, ArchiveWriter, BrowseReads, FeedReads, NarrativeStore, PostReads,
        PostWrites, SettingStore, WatchReads, WatchWrites,
    };
    pub use crate::team::TeamStore;
}
pub use capture::{Capture, CaptureStatus, NewCapture};
pub use channel::{ChannelCount, ChannelInfo, ChannelSummary, SourceCount, TagCount};
pub use error::{ArchiveError, Result};
pub use feed::{ChannelPager, ChannelTexts, NetworkRow, PostDate, PostForIndex, PostText};
pub use interrupt::Interrupter;
pub use narrative::{NarrativePostFacts, NarrativeRecord, NarrativeVersion, narrative_key};
pub use post::{PostCount, PostDetail, PostQuery, PostRecord, SightingRecord, VersionRecord};
pub use raw::{MediaStore, RawReader, RawStore, RawWriter, sha256_hex};
pub use stats::{Counted, Stats};
pub use team::{
    Account, ApiToken, AuditEntry, AuditPage, NewAuditEntry, Role, SessionRecord, TeamStore,
};
pub use watch::{AbsenceRecord, ChangeFilter, ChangeRecord, CollectRun};
