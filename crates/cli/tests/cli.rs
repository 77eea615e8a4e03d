//! Integration tests of the `tgscope` binary: each test builds its own archive in a temporary
//! directory and checks what a user would check (counts, fields, messages, exit codes).

/// The arguments of a command as `OsString`s, from anything path- or string-like.
macro_rules! args {
    ($($a:expr),* $(,)?) => {
        vec![$(::std::ffi::OsString::from(
            ::std::convert::AsRef::<::std::ffi::OsStr>::as_ref(&$a)
        )),*]
    };
}

#[path = "cli/archive_location.rs"]
mod archive_location; // --archive before/after the subcommand, TGSCOPE_ARCHIVE, the default
#[path = "cli/bad_input.rs"]
mod bad_input; // unreadable inputs, usage errors, bad filters, missing archive or post
#[path = "cli/collect.rs"]
mod collect; // collect, history and changes against a loopback server
#[path = "cli/common.rs"]
mod common; // helpers: the binary, a temporary archive, fixtures, JSON readers
#[path = "cli/copies.rs"]
mod copies; // copy clusters across channels and formats: copies, clusters, export, search
#[path = "cli/export.rs"]
mod export; // export records: every field, CSV columns, --bom, -o
#[path = "cli/feeds.rs"]
mod feeds; // feed: read back by feedparser as intended, before and after an edit; errors
#[path = "cli/folders.rs"]
mod folders; // a folder's notes passed over and listed; --captured-at and the captures list
#[path = "cli/heavy.rs"]
mod heavy; // pages nested to make parsing slow: refused in bounded time, the archive kept
#[path = "cli/hostile.rs"]
mod hostile; // CSV cells defused as formulas, control characters escaped on the terminal
#[path = "cli/ingest.rs"]
mod ingest; // idempotence, edited copies as versions, the ingest summary
#[path = "cli/kill.rs"]
mod kill; // SIGKILL part-way through an ingest, then check and resume
#[path = "cli/limits.rs"]
mod limits; // nothing cut off silently: totals, --limit, undated posts left out of counts
#[path = "cli/lists.rs"]
mod lists; // one shape per list: the command line's and the API's CSV and JSON are the same
#[path = "cli/names.rs"]
mod names; // channel and forward-source names: whole names, ambiguity, the same in search
#[path = "cli/narratives.rs"]
mod narratives; // narrative add, edit, remove, list, show and report on planted themes
#[path = "cli/network.rs"]
mod network; // network and hashtags: the samples' forwards as edges, formats, what is left out
#[path = "cli/overview.rs"]
mod overview; // stats, channels, captures, check
#[path = "cli/parquet.rs"]
mod parquet_export; // export and search as Parquet, read back and compared with JSON Lines

#[path = "cli/posts.rs"]
mod posts; // posts filters (channel, from, tag, dates, paging) and formats
#[path = "cli/raw.rs"]
mod raw; // raw captures kept under raw/<aa>/<sha>.zst, or not with --no-keep-raw
#[path = "cli/read_only.rs"]
mod read_only; // archives on read-only media: reading commands and serve work, staleness is said
#[path = "cli/real_sample.rs"]
mod real_sample; // the shared samples (skipped when absent, unless TGSCOPE_REQUIRE_SAMPLES)
#[path = "cli/search.rs"]
mod search; // search, count and reindex: word forms, filters, formats, bad queries
#[path = "cli/show.rs"]
mod show;
#[path = "cli/starving.rs"]
mod starving; // serve against clients that would starve it: Ctrl-C, --max-connections
#[path = "cli/team.rs"]
mod team; // the archive in PostgreSQL: the same commands give what the embedded archive gives // show ID: clean and raw text, forward, lost links, dates, versions, sightings
#[path = "cli/users.rs"]
mod users; // tgscope user on PostgreSQL: accounts, API tokens, the audit log; serve with sign-in
