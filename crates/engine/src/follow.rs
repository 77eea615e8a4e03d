//! The search index, the entity analysis and the copy analysis following an ingest while it writes: on another
//! handle of the archive and another thread, each round reads what the ingest committed since
//! the index's mark, so that the derived data is mostly current when the last batch commits and
//! the ingest's reading (about one core) and the index's analysis (both cores) overlap.
//!
//! Following changes only when the work is done, never what it makes: each round is the
//! ordinary catch-up ([`Engine::update_index_and_entities`]) to the mark of its moment, and the
//! ingest ends with the same catch-up as ever, for the rest. A round that fails (another writer
//! holds the index, say) ends the following; the ingest's own catch-up then meets the problem
//! and reports it as it always has.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use crate::Engine;
use crate::error::Result;

/// A round waits for at least this many new versions (the default of
/// [`IngestOptions::follow_every`](crate::IngestOptions::follow_every)): each round commits the
/// index (a new segment, merged later) and rewrites the entity analysis's file, so rounds are
/// not per batch.
pub const ROUND_VERSIONS: u64 = 16_384;

/// How often the follower looks at the archive's mark between rounds.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// The index and entity analysis following an ingest, on a thread of their own.
pub(crate) struct Follower {
    /// Dropped to stop the follower (its thread wakes at once).
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<(Engine, u32)>>,
}

impl Follower {
    /// Starts following on `engine` (a second handle of the archive being written), a round
    /// each time the archive is `every` versions ahead.
    pub(crate) fn start(mut engine: Engine, every: u64) -> Follower {
        let every = i64::try_from(every.max(1)).unwrap_or(i64::MAX);
        let (stop, stopping) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("index-follower".into())
            .spawn(move || {
                let mut rounds = 0;
                loop {
                    match engine.follow_round(every) {
                        Ok(true) => rounds += 1,
                        Ok(false) => match stopping.recv_timeout(LOOK_EVERY) {
                            Err(RecvTimeoutError::Timeout) => continue,
                            _ => break,
                        },
                        Err(e) => {
                            tracing::debug!("the index stops following the ingest: {e}");
                            break;
                        }
                    }
                    if let Err(RecvTimeoutError::Disconnected) =
                        stopping.recv_timeout(Duration::ZERO)
                    {
                        break;
                    }
                }
                (engine, rounds)
            });
        match thread {
            Ok(thread) => Follower {
                stop: Some(stop),
                thread: Some(thread),
            },
            Err(e) => {
                tracing::debug!("the index does not follow the ingest: no thread ({e})");
                Follower {
                    stop: None,
                    thread: None,
                }
            }
        }
    }

    /// Stops following after the round under way, and gives the handle back (for the copy
    /// analysis) with the number of rounds done; `None` when the thread could not start or
    /// panicked.
    pub(crate) fn finish(mut self) -> Option<(Engine, u32)> {
        self.stop = None;
        match self.thread.take()?.join() {
            Ok(done) => Some(done),
            Err(_) => {
                tracing::debug!("the index follower stopped unexpectedly");
                None
            }
        }
    }
}

impl Drop for Follower {
    /// An ingest that fails still waits for the round under way (which holds the index's lock).
    fn drop(&mut self) {
        self.stop = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Engine {
    /// One round of following: the index and entity analysis caught up when the archive is
    /// at least `every` versions ahead of the index, and the copy analysis when it is that
    /// far and half its own size behind (it rewrites its whole file each time); `true` when
    /// either was.
    fn follow_round(&mut self, every: i64) -> Result<bool> {
        let mut worked = false;
        if let Some((after, _, mark)) = self.index_behind()?
            && mark - after >= every
        {
            self.update_index_and_entities()?;
            worked = true;
        }
        let mark = self.store.index_mark()?;
        let (copies_mark, copies_posts) = self
            .copies
            .as_ref()
            .map_or((0, 0), |c| (c.mark(), c.post_count() as i64));
        if mark - copies_mark >= every.max(copies_posts / 2) {
            self.update_copies()?;
            worked = true;
        }
        Ok(worked)
    }
}
