//! Entities: the countries, organisations and people posts name ([`tgscope_analyze::entities`]),
//! with the archive's own list beside the bundled ones (`<archive>/entities/list.tsv`, set with
//! [`Engine::set_entity_list`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tgscope_analyze::entities::Recognizer;

use crate::Engine;
use crate::error::{EngineError, Result};

pub use tgscope_analyze::entities::{Entity, EntityKind, Mention, Via};

/// The folder of the entity analysis inside an archive.
pub const ENTITIES_DIR: &str = "entities";
/// The archive's own list in [`ENTITIES_DIR`].
const LIST_FILE: &str = "list.tsv";

/// Recognizers with a user's list, by the list's content, for the process.
static WITH_LISTS: Mutex<Vec<(u64, Arc<Recognizer>)>> = Mutex::new(Vec::new());

/// A recognizer for a user's list (read and checked), shared by content for the process.
fn with_list(text: &str, source: &Path) -> Result<Arc<Recognizer>> {
    let key = {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        text.hash(&mut h);
        h.finish()
    };
    if let Ok(cache) = WITH_LISTS.lock()
        && let Some((_, r)) = cache.iter().find(|(k, _)| *k == key)
    {
        return Ok(Arc::clone(r));
    }
    let r = Arc::new(
        Recognizer::with_user_list(text, &source.display().to_string())
            .map_err(|e| EngineError::BadRequest(e.to_string()))?,
    );
    if let Ok(mut cache) = WITH_LISTS.lock() {
        cache.push((key, Arc::clone(&r)));
    }
    Ok(r)
}

impl Engine {
    fn entity_list_path(&self) -> PathBuf {
        self.dir().join(ENTITIES_DIR).join(LIST_FILE)
    }

    /// The archive's recognizer: the bundled lists, and the archive's own list when it has one.
    pub fn recognizer(&self) -> Result<Arc<Recognizer>> {
        let path = self.entity_list_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => with_list(&text, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Recognizer::bundled()),
            Err(e) => Err(EngineError::Archive(format!("{}: {e}", path.display()))),
        }
    }

    /// Makes `file` the archive's own entity list (checked first; copied into the archive), or
    /// removes it with `None`. Derived data recognised with other lists (the search index's
    /// entity filters, the entity analysis) is rebuilt when next caught up.
    pub fn set_entity_list(&mut self, file: Option<&Path>) -> Result<()> {
        let path = self.entity_list_path();
        match file {
            Some(file) => {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| EngineError::BadRequest(format!("{}: {e}", file.display())))?;
                with_list(&text, file)?;
                let dir = self.dir().join(ENTITIES_DIR);
                std::fs::create_dir_all(&dir)
                    .map_err(|e| EngineError::Archive(format!("{}: {e}", dir.display())))?;
                let tmp = path.with_extension("tmp");
                std::fs::write(&tmp, text.as_bytes())
                    .and_then(|()| std::fs::rename(&tmp, &path))
                    .map_err(|e| EngineError::Archive(format!("{}: {e}", path.display())))
            }
            None => match std::fs::remove_file(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(EngineError::Archive(format!("{}: {e}", path.display()))),
            },
        }
    }
}
