//! Every committed input of the query fuzz target, replayed: each file of
//! `fuzz/corpus/parse_query/` (queries the fuzzer found interesting, seeded from the examples of
//! `docs/search.md`) and of `fuzz/regressions/parse_query/` (queries that once crashed the
//! parser or a search) goes through the same driver the fuzz target calls
//! (`tgscope_index::fuzzing::parse_query`), on the stable toolchain. A crash the fuzzer finds
//! becomes a test by committing its input under `fuzz/regressions/parse_query/` (see
//! `docs/fuzzing.md`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

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

#[test]
fn query_corpus_replays_without_a_finding() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    for (target, drive) in tgscope_index::fuzzing::TARGETS {
        assert!(
            fuzz.join("fuzz_targets")
                .join(format!("{target}.rs"))
                .is_file(),
            "fuzz/fuzz_targets/{target}.rs is missing"
        );
        let corpus = inputs(&fuzz.join("corpus").join(target));
        assert!(
            !corpus.is_empty(),
            "fuzz/corpus/{target}/ is empty or missing: the seeds of every fuzz target are \
             committed"
        );
        let regressions = inputs(&fuzz.join("regressions").join(target));
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
            "{} of {} inputs of {target} fail (replay one with `cargo fuzz run {target} FILE` \
             in fuzz/):\n{}",
            failed.len(),
            corpus.len() + regressions.len(),
            failed.join("\n")
        );
    }
}
