//! Watching channels over time: ingesting pages a collector fetched, recording failed fetches,
//! collection runs, and the edits and deletions observed.

use std::path::PathBuf;

use tgscope_archive::{ChangeFilter, ChangeRecord, CollectRun};
use tgscope_model::ChannelRef;

use crate::Engine;
use crate::error::{EngineError, Result};
use crate::ingest::{self, CaptureReport, FetchedPage, FileOutcome, IngestOptions, NoProgress};

/// What became of a fetched page.
#[derive(Debug, Clone)]
pub struct PageReport {
    /// The capture it became (also when the archive already held these exact bytes).
    pub capture: CaptureReport,
    /// Message ids and observed dates of the posts it showed, in page order.
    pub posts: Vec<(i64, Option<String>)>,
    /// Why it could not be read to its end, when it could not (what came before is kept).
    pub damage: Option<String>,
}

impl Engine {
    /// Ingests a page a collector fetched: a capture like a file, with its URL, status and
    /// fetch time recorded. For a web preview page, posts archived before whose ids the page
    /// covers and that it does not show are recorded as absences.
    pub fn ingest_page(
        &mut self,
        page: &FetchedPage,
        options: &IngestOptions,
    ) -> Result<PageReport> {
        let outcome = ingest::ingest_file_retrying(
            &mut *self.store,
            ingest::Source::Fetched(page),
            options,
            &mut NoProgress,
            &mut ingest::PageChain::default(),
        )?;
        let (capture, damage) = match outcome {
            FileOutcome::Ingested(capture) => (capture, None),
            FileOutcome::Damaged(capture, reason) => (capture, Some(reason)),
            FileOutcome::Skipped(reason) => {
                let w = self.store.writer()?;
                w.insert_fetch(
                    &page.url,
                    Some(page.status),
                    &page.fetched_at,
                    None,
                    Some(&reason),
                )?;
                w.commit()?;
                return Err(EngineError::Input {
                    path: PathBuf::from(&page.url),
                    reason,
                });
            }
        };
        self.update_index()?;
        self.update_copies()?;
        self.update_networks()?;
        self.update_entities()?;
        self.update_narratives()?;
        let posts = self.store.capture_posts(&capture.sha256)?;
        Ok(PageReport {
            capture,
            posts,
            damage,
        })
    }

    /// Records a request that gave no page to read (an error status, a network failure).
    pub fn record_failed_fetch(
        &mut self,
        url: &str,
        status: Option<u16>,
        fetched_at: &str,
        error: &str,
    ) -> Result<()> {
        let w = self.store.writer()?;
        w.insert_fetch(url, status, fetched_at, None, Some(error))?;
        w.commit()?;
        Ok(())
    }

    /// The newest message id archived for a channel (by username or title), if any.
    pub fn newest_message_id(&self, channel: &str) -> Result<Option<i64>> {
        match self.store.find_channel(&ChannelRef::named(channel))? {
            Some(id) => Ok(self.store.newest_message_id(id)?),
            None => Ok(None),
        }
    }

    /// The interrupted collection run of a channel from a site, if there is one.
    pub fn unfinished_collect_run(
        &self,
        channel: &str,
        base_url: &str,
    ) -> Result<Option<CollectRun>> {
        Ok(self.store.unfinished_collect_run(channel, base_url)?)
    }

    /// Starts a collection run.
    pub fn start_collect_run(
        &mut self,
        channel: &str,
        base_url: &str,
        stop_at: Option<i64>,
        full: bool,
        started_at: &str,
    ) -> Result<CollectRun> {
        let w = self.store.writer()?;
        let run = w.start_collect_run(channel, base_url, stop_at, full, started_at)?;
        w.commit()?;
        Ok(run)
    }

    /// Records how far a run got.
    pub fn advance_collect_run(
        &mut self,
        run_id: i64,
        next_before: Option<i64>,
        pages: u64,
    ) -> Result<()> {
        let w = self.store.writer()?;
        w.advance_collect_run(run_id, next_before, pages)?;
        w.commit()?;
        Ok(())
    }

    /// Ends a run.
    pub fn finish_collect_run(
        &mut self,
        run_id: i64,
        finished_at: &str,
        outcome: &str,
    ) -> Result<()> {
        let w = self.store.writer()?;
        w.finish_collect_run(run_id, finished_at, outcome)?;
        w.commit()?;
        Ok(())
    }

    /// Edits and deletions observed, oldest first, optionally for one channel and since a time.
    pub fn changes(&self, channel: Option<&str>, since: Option<&str>) -> Result<Vec<ChangeRecord>> {
        let channel_id = match channel {
            Some(name) => Some(self.resolve_channel(name, crate::ChannelRole::Channel)?),
            None => None,
        };
        if let Some(s) = since
            && !looks_like_time(s)
        {
            return Err(EngineError::BadRequest(format!(
                "--since {s:?}: give a date or time like 2024-03-01 or 2024-03-01T12:00:00Z"
            )));
        }
        Ok(self.store.changes(&ChangeFilter {
            channel_id,
            since: since.map(str::to_string),
        })?)
    }
}

/// True for `YYYY`, `YYYY-MM`, `YYYY-MM-DD` and RFC 3339 times (compared as text prefixes).
fn looks_like_time(s: &str) -> bool {
    let date = s.get(..10).unwrap_or(s);
    let shape_ok = date.chars().enumerate().all(|(i, c)| {
        if i == 4 || i == 7 {
            c == '-'
        } else {
            c.is_ascii_digit()
        }
    });
    shape_ok && matches!(s.len(), 4 | 7 | 10 | 16..=30)
}
