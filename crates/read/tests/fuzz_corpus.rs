//! Every committed input of the readers' fuzz targets, replayed: each file of
//! `fuzz/corpus/<target>/` (the inputs the fuzzers found interesting, seeded from the fixtures)
//! and of `fuzz/regressions/<target>/` (inputs that once crashed a reader) goes through the
//! same driver the fuzz target calls (`tgscope_read::fuzzing`), on the stable toolchain. A crash
//! the fuzzers find becomes a test by committing its input under `fuzz/regressions/<target>/`
//! (see `docs/fuzzing.md`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use tgscope_read::fuzzing::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `dir`, by name; none when it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Replays every input of `target`, and names every input that panics (with the panic's
/// message), not only the first.
fn replay(target: &str, drive: fn(&[u8])) {
    let corpus = inputs(&fuzz_dir().join("corpus").join(target));
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{target}/ is empty or missing: the seeds of every fuzz target are committed"
    );
    let regressions = inputs(&fuzz_dir().join("regressions").join(target));
    let mut failed = Vec::new();
    for path in corpus.iter().chain(&regressions) {
        let data = std::fs::read(path).expect("a readable corpus file");
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| drive(&data))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failed.push(format!("{}: {message}", path.display()));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} inputs of {target} fail (replay one with `cargo fuzz run {target} FILE` in \
         fuzz/):\n{}",
        failed.len(),
        corpus.len() + regressions.len(),
        failed.join("\n")
    );
}

#[test]
fn every_target_has_a_driver_and_a_fuzz_target() {
    let names: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    for name in &names {
        let target = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(target.is_file(), "{} is missing", target.display());
    }
    let loose = inputs(&fuzz_dir().join("regressions"));
    assert!(
        loose.is_empty(),
        "{loose:?} lie outside a target's folder (fuzz/regressions/<target>/), where no test \
         replays them"
    );
}

#[test]
fn plain_text_corpus_replays_without_a_finding() {
    replay("read_text", tgscope_read::fuzzing::read_text);
}

#[test]
fn desktop_json_corpus_replays_without_a_finding() {
    replay(
        "read_desktop_json",
        tgscope_read::fuzzing::read_desktop_json,
    );
}

#[test]
fn desktop_html_corpus_replays_without_a_finding() {
    replay(
        "read_desktop_html",
        tgscope_read::fuzzing::read_desktop_html,
    );
}

#[test]
fn dump_corpus_replays_without_a_finding() {
    replay("read_dump", tgscope_read::fuzzing::read_dump);
}

#[test]
fn tme_corpus_replays_without_a_finding() {
    replay("read_tme", tgscope_read::fuzzing::read_tme);
}

#[test]
fn detection_corpus_replays_without_a_finding() {
    replay("detect", tgscope_read::fuzzing::detect);
}
