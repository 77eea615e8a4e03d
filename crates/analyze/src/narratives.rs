//! Which posts each narrative matches: derived data the engine keeps in
//! `<archive>/narratives/state.bin` (one file in the framing of every derived-data file),
//! caught up to the archive's mark like the other analyses.
//!
//! Main type: [`NarrativeState`], per narrative ([`NarrativeMatches`]) the fingerprint of the
//! definition it was evaluated with, why a query could not run (if one could not), and each
//! matching post with the queries it matched (a bit per query, so at most
//! [`MAX_QUERIES`] queries a narrative).
//!
//! What it does not do: run queries (the engine asks the search index) or read the archive.

use std::collections::BTreeMap;
use std::path::Path;

use crate::state_file::{self, StateError};

/// The most queries one narrative may have (one bit each in a post's match).
pub const MAX_QUERIES: usize = 64;

const MAGIC: &[u8; 8] = b"TGSNARR\0";
const FORMAT: u32 = 1;

/// The matches of every narrative, as of the archive's mark.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NarrativeState {
    /// The archive's mark (newest version id) the matches are current to.
    pub mark: i64,
    /// What the evaluation depended on besides the definitions (the engine's to interpret: the
    /// search index's schema and the entity lists); a state made with another is rebuilt.
    pub made_with: u64,
    /// Per narrative (by its name key), its matches.
    pub narratives: BTreeMap<String, NarrativeMatches>,
}

/// The matches of one narrative's current version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NarrativeMatches {
    /// The fingerprint of the definition (version, queries as resolved) they were made with: a
    /// narrative whose fingerprint differs is evaluated again from scratch.
    pub fingerprint: u64,
    /// Per query, in order: why it could not be run when last evaluated (a channel it names
    /// became ambiguous, say), or `None`.
    pub problems: Vec<Option<String>>,
    /// Each matching post (archive id) with the queries it matches (bit `i`: query `i`).
    pub posts: BTreeMap<i64, u64>,
}

impl NarrativeState {
    /// Writes the state to `path` (a temporary file renamed into place).
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        state_file::save(path, MAGIC, FORMAT, |out| {
            out.i64(self.mark)?;
            out.u64(self.made_with)?;
            out.len(self.narratives.len())?;
            for (key, n) in &self.narratives {
                out.len(key.len())?;
                out.bytes(key.as_bytes())?;
                out.u64(n.fingerprint)?;
                out.len(n.problems.len())?;
                for p in &n.problems {
                    match p {
                        Some(text) => {
                            out.u8(1)?;
                            out.len(text.len())?;
                            out.bytes(text.as_bytes())?;
                        }
                        None => out.u8(0)?,
                    }
                }
                out.len(n.posts.len())?;
                for (&post, &queries) in &n.posts {
                    out.i64(post)?;
                    out.u64(queries)?;
                }
            }
            Ok(())
        })
    }

    /// Reads the state at `path`; `Ok(None)` when there is none, [`StateError::Unusable`]
    /// when it is damaged or of another format (the engine then rebuilds it).
    pub fn load(path: &Path) -> Result<Option<NarrativeState>, StateError> {
        state_file::load(path, MAGIC, FORMAT, "a narratives", |i| {
            let string = |i: &mut state_file::In<'_>| -> Result<String, String> {
                let n = i.len(1)?;
                String::from_utf8(i.take(n)?.to_vec())
                    .map_err(|_| format!("a string that is not UTF-8 before byte {}", i.at))
            };
            let mark = i.i64()?;
            let made_with = i.u64()?;
            let mut narratives = BTreeMap::new();
            for _ in 0..i.len(8)? {
                let key = string(i)?;
                let fingerprint = i.u64()?;
                let mut problems = Vec::new();
                for _ in 0..i.len(1)? {
                    problems.push(match i.u8()? {
                        0 => None,
                        _ => Some(string(i)?),
                    });
                }
                let mut posts = BTreeMap::new();
                for _ in 0..i.len(16)? {
                    let post = i.i64()?;
                    posts.insert(post, i.u64()?);
                }
                narratives.insert(
                    key,
                    NarrativeMatches {
                        fingerprint,
                        problems,
                        posts,
                    },
                );
            }
            Ok(NarrativeState {
                mark,
                made_with,
                narratives,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_is_read_back_as_written_and_a_damaged_one_is_unusable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.bin");
        assert_eq!(NarrativeState::load(&path).unwrap(), None);
        let mut state = NarrativeState {
            mark: 42,
            made_with: 7,
            ..NarrativeState::default()
        };
        state.narratives.insert(
            "west".into(),
            NarrativeMatches {
                fingerprint: 9,
                problems: vec![None, Some("channel:x names two channels".into())],
                posts: BTreeMap::from([(3, 0b01), (17, 0b11)]),
            },
        );
        state
            .narratives
            .insert("empty".into(), NarrativeMatches::default());
        state.save(&path).unwrap();
        assert_eq!(NarrativeState::load(&path).unwrap(), Some(state));
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[20] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
        assert!(matches!(
            NarrativeState::load(&path),
            Err(StateError::Unusable { .. })
        ));
    }
}
