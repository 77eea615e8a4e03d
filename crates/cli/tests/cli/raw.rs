//! Raw captures: kept compressed under `raw/<first two hex digits>/<sha256>.zst`, or not kept
//! with `--no-keep-raw`.

use std::path::Path;

use crate::common::{Archive, fixture, s};

/// The names of every `.zst` file under the archive's `raw/` folder, sorted, after checking
/// each sits in the folder named by the first two characters of its name.
pub fn kept_blobs(archive: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let raw = archive.join("raw");
    let Ok(prefixes) = std::fs::read_dir(&raw) else {
        return found;
    };
    for prefix in prefixes {
        let prefix = prefix.expect("entry").path();
        if !prefix.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&prefix).expect("prefix folder") {
            let file = file.expect("entry").path();
            let name = file
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            if name.ends_with(".zst") {
                let dir = prefix.file_name().expect("name").to_string_lossy();
                assert_eq!(
                    &name[..2],
                    dir,
                    "{} is not in its prefix folder",
                    file.display()
                );
                found.push(name);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn the_raw_capture_is_kept_under_its_hash() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa_test");
    let captures = a.captures();
    assert_eq!(captures.len(), 1);
    let sha = s(&captures[0], "sha256");
    assert_eq!(sha.len(), 64);
    assert!(
        sha.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert_eq!(captures[0]["raw_kept"], true);
    assert_eq!(
        captures[0]["size"],
        std::fs::metadata(fixture("web-mfa.txt"))
            .expect("fixture")
            .len()
    );
    let path = a.dir.join("raw").join(&sha[..2]).join(format!("{sha}.zst"));
    assert!(path.is_file(), "{} missing", path.display());
    let blob = std::fs::read(&path).expect("raw blob");
    assert_eq!(
        &blob[..4],
        b"\x28\xb5\x2f\xfd",
        "the raw blob is zstd-compressed"
    );
    assert_eq!(kept_blobs(&a.dir), vec![format!("{sha}.zst")]);
}

#[test]
fn no_keep_raw_keeps_no_bytes_and_a_later_ingest_can_keep_them() {
    let a = Archive::new();
    let out = a.ok(args![
        "ingest",
        fixture("web-mfa.txt"),
        "--channel",
        "mfa_test",
        "--no-keep-raw"
    ]);
    assert!(out.contains("6 new"), "{out}");
    let captures = a.captures();
    assert_eq!(captures[0]["raw_kept"], false);
    assert!(
        kept_blobs(&a.dir).is_empty(),
        "raw bytes kept: {:?}",
        kept_blobs(&a.dir)
    );
    assert_eq!(crate::common::n(&a.stats(), "posts"), 6);

    // The same capture again, keeping raw bytes: nothing new, but the bytes are now kept.
    let out = a.ingest(&fixture("web-mfa.txt"), "mfa_test");
    assert!(out.contains("already archived"), "{out}");
    let captures = a.captures();
    assert_eq!(captures.len(), 1);
    assert_eq!(captures[0]["raw_kept"], true);
    let sha = s(&captures[0], "sha256");
    assert_eq!(kept_blobs(&a.dir), vec![format!("{sha}.zst")]);
}
