//! What the derived analyses beside the search index share (copies, networks): their states in
//! memory, one per file for the whole process (the engines of a server share it), and the lock
//! that lets one process at a time bring a state up to the archive and save it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tgscope_analyze::copies::StateError;

use crate::error::{EngineError, Result};

/// What identifies one version of a file: its size and modification time.
type FileStamp = (u64, Option<std::time::SystemTime>);

fn stamp(path: &Path) -> Option<FileStamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()))
}

/// States in memory, by file, with the file's stamp when read or written.
pub(crate) struct SharedStates<T> {
    entries: Mutex<Vec<(PathBuf, FileStamp, Arc<T>)>>,
}

impl<T> SharedStates<T> {
    /// None yet.
    pub(crate) const fn new() -> SharedStates<T> {
        SharedStates {
            entries: Mutex::new(Vec::new()),
        }
    }

    /// The state in memory for this file, when the file has not changed since.
    pub(crate) fn get(&self, path: &Path) -> Option<Arc<T>> {
        let now = stamp(path)?;
        let entries = self.entries.lock().ok()?;
        entries
            .iter()
            .find(|(p, s, _)| p == path && *s == now)
            .map(|(_, _, state)| Arc::clone(state))
    }

    /// The state of this file: the one in memory when the file has not changed, else read
    /// with `load` (and kept). A file that cannot be used (damaged, another format) is `None`,
    /// logged with `what` ("the copy analysis"): the caller rebuilds it.
    pub(crate) fn load(
        &self,
        path: &Path,
        what: &str,
        load: impl FnOnce(&Path) -> std::result::Result<Option<T>, StateError>,
    ) -> Result<Option<Arc<T>>> {
        if let Some(state) = self.get(path) {
            return Ok(Some(state));
        }
        match load(path) {
            Ok(Some(state)) => {
                let state = Arc::new(state);
                self.put(path, &state);
                Ok(Some(state))
            }
            Ok(None) => Ok(None),
            Err(StateError::Unusable { path, what: why }) => {
                tracing::info!("rebuilding {what}: {}: {why}", path.display());
                Ok(None)
            }
            Err(e) => Err(EngineError::Archive(e.to_string())),
        }
    }

    /// Lets go of the state kept for this file (before it is changed in place).
    pub(crate) fn forget(&self, path: &Path) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|(p, _, _)| p != path);
        }
    }

    /// Keeps the state just read or written for this file (one per file).
    pub(crate) fn put(&self, path: &Path, state: &Arc<T>) {
        let Some(now) = stamp(path) else { return };
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|(p, _, _)| p != path);
            entries.push((path.to_path_buf(), now, Arc::clone(state)));
        }
    }
}

/// Creates the folder of a derived state and takes its update lock (`update.lock` in it):
/// held while the state is brought up to the archive and saved, one process at a time.
pub(crate) fn lock_updates(dir: &Path) -> Result<std::fs::File> {
    std::fs::create_dir_all(dir)
        .map_err(|e| EngineError::Archive(format!("{}: {e}", dir.display())))?;
    let lock_path = dir.join("update.lock");
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| EngineError::Archive(format!("{}: {e}", lock_path.display())))?;
    lock.lock()
        .map_err(|e| EngineError::Archive(format!("locking {}: {e}", lock_path.display())))?;
    Ok(lock)
}
