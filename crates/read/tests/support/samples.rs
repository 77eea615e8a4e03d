//! The shared samples: real captures from public repositories, kept beside the repository in
//! `../shared/samples` (never copied into it). A test that reads them skips with a message when
//! they are missing, except when `TGSCOPE_REQUIRE_SAMPLES` is set (`.ci/run` sets it): then a
//! missing folder fails the test. `TGSCOPE_SAMPLES_DIR` points at another folder of samples.

use std::path::{Path, PathBuf};

/// Whether a missing samples folder is a failure: `TGSCOPE_REQUIRE_SAMPLES` is set to anything
/// but empty or `0`.
pub fn required() -> bool {
    std::env::var_os("TGSCOPE_REQUIRE_SAMPLES").is_some_and(|v| !v.is_empty() && v != "0")
}

/// The folder `sub` of the samples (`""` for the samples folder itself): under
/// `TGSCOPE_SAMPLES_DIR` when set, else `../shared/samples` beside the workspace. `None` (the
/// test skips, saying so) when it is missing; a failure when [`required`].
pub fn dir(sub: &str) -> Option<PathBuf> {
    let base = match std::env::var_os("TGSCOPE_SAMPLES_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples"),
    };
    let dir = if sub.is_empty() { base } else { base.join(sub) };
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        !required(),
        "TGSCOPE_REQUIRE_SAMPLES is set but {} is missing",
        dir.display()
    );
    eprintln!("skipping: {} not found", dir.display());
    None
}
