//! A small pool of engines, each request's work on a blocking thread under a deadline.
//!
//! An [`Engine`] holds a database connection (SQLite's, or PostgreSQL's in team mode, opened
//! through the [`ArchiveOpener`]) and is not `Sync`, so engines are not shared: the
//! pool keeps `engines` of them, each used by one request at a time. A request waits for a free
//! engine (a semaphore counts them), takes it out of the free list, and runs its closure under
//! `spawn_blocking`. The whole wait-and-run has one deadline (`query_timeout`): when it passes,
//! the request is answered with the problem `timeout` and the engine's running SQLite statement
//! is interrupted, so a slow query stops instead of tying the engine up (the blocking thread
//! returns the engine to the pool when it ends). Engines are opened on first use, so a server
//! started before the first ingest serves the archive once it exists; an engine that failed is
//! opened afresh by its next request.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tgscope_engine::{Engine, EngineError, ErrorKind, Interrupter};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::config::ArchiveOpener;
use crate::problem::ApiError;

/// Why a request could not use an engine.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// The directory holds no archive yet (nothing ingested).
    #[error("no archive in {0} yet")]
    NoArchive(PathBuf),
    /// The work failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Cut off at the deadline.
    #[error("cut off after {0:?}")]
    Timeout(Duration),
    /// The blocking thread panicked.
    #[error("the engine's thread failed: {0}")]
    Panicked(String),
}

impl From<PoolError> for ApiError {
    fn from(e: PoolError) -> ApiError {
        match e {
            // Callers that can answer "nothing yet" handle this before; elsewhere nothing by
            // that name exists.
            PoolError::NoArchive(_) => ApiError::not_found("nothing is archived yet"),
            PoolError::Engine(e) => ApiError::from(e),
            PoolError::Timeout(d) => ApiError::timeout(d.as_secs_f64()),
            PoolError::Panicked(why) => ApiError::internal(&why),
        }
    }
}

/// One engine's place in the pool.
#[derive(Default)]
struct Slot {
    engine: Option<Engine>,
    interrupter: Option<Interrupter>,
}

impl Slot {
    /// Opens the slot's engine over `dir` (or through `opener`) if it is not open yet.
    fn open(&mut self, dir: &Path, opener: Option<&ArchiveOpener>) -> Result<(), PoolError> {
        if self.engine.is_none() {
            let engine = match opener {
                Some(opener) => {
                    Engine::open_existing_archive(opener.open().map_err(EngineError::from)?)?
                }
                None => {
                    if !Engine::archive_exists(dir) {
                        return Err(PoolError::NoArchive(dir.to_path_buf()));
                    }
                    Engine::open_existing(dir)?
                }
            };
            self.interrupter = Some(engine.interrupter());
            self.engine = Some(engine);
        }
        Ok(())
    }

    /// The slot's engine, opened over `dir` (or through `opener`) if need be.
    fn engine(
        &mut self,
        dir: &Path,
        opener: Option<&ArchiveOpener>,
    ) -> Result<&mut Engine, PoolError> {
        self.open(dir, opener)?;
        self.engine
            .as_mut()
            .ok_or_else(|| PoolError::NoArchive(dir.to_path_buf()))
    }
}

/// Engines over one archive, for requests to borrow.
pub struct EnginePool {
    dir: PathBuf,
    opener: Option<ArchiveOpener>,
    free: Arc<Mutex<Vec<Slot>>>,
    available: Arc<Semaphore>,
    timeout: Duration,
}

impl EnginePool {
    /// A pool of `size` engines (at least one) over the archive in `dir`, each request cut off
    /// after `timeout`. Nothing is opened yet.
    pub fn new(dir: &Path, size: usize, timeout: Duration) -> EnginePool {
        EnginePool::with_opener(dir, None, size, timeout)
    }

    /// A pool of `size` engines (at least one) over the archive `opener` opens (the embedded
    /// archive in `dir` when `None`), each request cut off after `timeout`. Nothing is opened
    /// yet.
    pub fn with_opener(
        dir: &Path,
        opener: Option<ArchiveOpener>,
        size: usize,
        timeout: Duration,
    ) -> EnginePool {
        let size = size.max(1);
        EnginePool {
            dir: dir.to_path_buf(),
            opener,
            free: Arc::new(Mutex::new((0..size).map(|_| Slot::default()).collect())),
            available: Arc::new(Semaphore::new(size)),
            timeout,
        }
    }

    /// The archive directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Prepares the archive for serving, without a deadline: opens one engine and brings the
    /// search index, the copy analysis, the network analysis and the entity analysis up to the
    /// archive (building them if they are missing), so that requests never wait on a rebuild
    /// and engines opened later share current ones. Does nothing when there is no archive yet.
    pub fn warm_up(&self) -> Result<(), PoolError> {
        let mut slot = self.take_slot();
        let result = match slot.engine(&self.dir, self.opener.as_ref()) {
            Ok(engine) => match engine.update_index() {
                // An ingest in another process is writing the index and brings it up to date.
                Ok(_) | Err(EngineError::IndexBusy(_)) => {
                    // The copy analysis too (a writer at work brings it up itself); a failure
                    // here is left for the pages about copies to report.
                    if let Err(e) = engine.update_copies() {
                        tracing::warn!("bringing the copy analysis up to date failed: {e}");
                    }
                    // And the network analysis, for the network page and routes.
                    if let Err(e) = engine.update_networks() {
                        tracing::warn!("bringing the network analysis up to date failed: {e}");
                    }
                    // And the entity analysis, for the entity pages and routes.
                    if let Err(e) = engine.update_entities() {
                        tracing::warn!("bringing the entity analysis up to date failed: {e}");
                    }
                    // And the narratives' matches, for the narrative pages and routes.
                    if let Err(e) = engine.update_narratives() {
                        tracing::warn!("bringing the narratives' matches up to date failed: {e}");
                    }
                    Ok(())
                }
                Err(e) => Err(PoolError::from(e)),
            },
            Err(PoolError::NoArchive(_)) => Ok(()),
            Err(e) => Err(e),
        };
        self.put_back(slot);
        result
    }

    /// Runs `work` on an engine at once on this thread, without a deadline (for setting up,
    /// before requests are served).
    pub fn with_engine<T>(&self, work: impl FnOnce(&mut Engine) -> T) -> Result<T, PoolError> {
        let mut slot = self.take_slot();
        let result = slot.engine(&self.dir, self.opener.as_ref()).map(work);
        self.put_back(slot);
        result
    }

    fn take_slot(&self) -> Slot {
        // A slot lost to a panic is replaced by a fresh one.
        self.free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .unwrap_or_default()
    }

    fn put_back(&self, slot: Slot) {
        put_back(&self.free, slot);
    }

    /// Runs `work` on a free engine on a blocking thread, cut off at the deadline.
    pub async fn run<T, F>(&self, work: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Engine) -> Result<T, EngineError> + Send + 'static,
    {
        let deadline = Instant::now() + self.timeout;
        let permit = tokio::time::timeout_at(deadline, self.available.clone().acquire_owned())
            .await
            .map_err(|_| PoolError::Timeout(self.timeout))?
            .map_err(|_| PoolError::Panicked("the engine pool was closed".into()))?;
        let mut slot = self.take_slot();
        let running = Arc::new(Mutex::new(Running::default()));
        let dir = self.dir.clone();
        let opener = self.opener.clone();
        let free = self.free.clone();
        let task_running = running.clone();
        let timeout = self.timeout;
        let task = tokio::task::spawn_blocking(move || {
            let result = slot.open(&dir, opener.as_ref()).and_then(|()| {
                {
                    let mut running = lock(&task_running);
                    // The request was answered while the engine opened: nobody waits for
                    // the work, so it is not done.
                    if running.timed_out {
                        return Err(PoolError::Timeout(timeout));
                    }
                    // The engine may have just been opened: only now is its interrupter known.
                    running.interrupter = slot.interrupter.clone();
                }
                match slot.engine.as_mut() {
                    Some(engine) => work(engine).map_err(PoolError::from),
                    None => Err(PoolError::NoArchive(dir.clone())),
                }
            });
            // From here no interrupt can reach the engine, before or after it is lent again.
            lock(&task_running).finished = true;
            if let Err(PoolError::Engine(e)) = &result
                && e.kind() == ErrorKind::Internal
            {
                // The archive failed (or the query was interrupted): open it afresh next time.
                slot = Slot::default();
            }
            put_back(&free, slot);
            drop(permit);
            result
        });
        match tokio::time::timeout_at(deadline, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(PoolError::Panicked(join.to_string())),
            Err(_) => {
                let mut running = lock(&running);
                running.timed_out = true;
                if !running.finished
                    && let Some(interrupter) = &running.interrupter
                {
                    interrupter.interrupt();
                }
                Err(PoolError::Timeout(self.timeout))
            }
        }
    }
}

/// What a request's deadline may interrupt: the engine's interrupter once it is open, unless
/// the work has finished; and whether the deadline has passed, so that work not begun by then
/// is never begun.
#[derive(Default)]
struct Running {
    interrupter: Option<Interrupter>,
    finished: bool,
    timed_out: bool,
}

fn lock(running: &Mutex<Running>) -> std::sync::MutexGuard<'_, Running> {
    running.lock().unwrap_or_else(PoisonError::into_inner)
}

fn put_back(free: &Mutex<Vec<Slot>>, slot: Slot) {
    free.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(slot);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_directory_without_an_archive_says_so() {
        let tmp = tempfile::TempDir::new().expect("tmp");
        let pool = EnginePool::new(tmp.path(), 2, Duration::from_secs(5));
        pool.warm_up().expect("nothing to warm up");
        let result = pool.run(|engine| engine.stats()).await;
        assert!(matches!(result, Err(PoolError::NoArchive(_))));
    }

    #[tokio::test]
    async fn slow_work_is_cut_off_and_the_engine_comes_back() {
        let tmp = tempfile::TempDir::new().expect("tmp");
        let dir = tmp.path().join("archive");
        drop(Engine::open(&dir).expect("archive"));
        let pool = EnginePool::new(&dir, 1, Duration::from_millis(200));
        let slow = pool
            .run(|_| {
                std::thread::sleep(Duration::from_millis(600));
                Ok(())
            })
            .await;
        assert!(matches!(slow, Err(PoolError::Timeout(_))));
        // The only engine is still busy: the next request waits, then is served.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let stats = pool.run(|engine| engine.stats()).await.expect("served");
        assert_eq!(stats.posts, 0);
    }

    #[test]
    fn work_that_did_not_begin_by_the_deadline_never_begins() {
        // One blocking thread, kept busy past the deadline: the request's task starts only
        // after it was answered.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let tmp = tempfile::TempDir::new().expect("tmp");
        let dir = tmp.path().join("archive");
        drop(Engine::open(&dir).expect("archive"));
        let pool = EnginePool::new(&dir, 1, Duration::from_millis(100));
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        runtime.block_on(async {
            let busy =
                tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(400)));
            let flag = ran.clone();
            let late = pool
                .run(move |_| {
                    flag.store(true, std::sync::atomic::Ordering::SeqCst);
                    Ok(())
                })
                .await;
            assert!(
                matches!(late, Err(PoolError::Timeout(_))),
                "answered at the deadline"
            );
            busy.await.expect("the busy thread");
            // The late task runs now: it opens the engine and gives it back.
            for _ in 0..500 {
                if pool.available.available_permits() == 1 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        assert_eq!(
            pool.available.available_permits(),
            1,
            "the engine came back"
        );
        let free = pool.free.lock().expect("free list");
        assert!(
            free.iter().any(|slot| slot.engine.is_some()),
            "the late task opened its engine"
        );
        assert!(
            !ran.load(std::sync::atomic::Ordering::SeqCst),
            "the work of a request already answered was run"
        );
    }
}
