//! A folder's notes are not captures, and a capture says when it was made.

use crate::common::{Archive, fixture, stderr, stdout};

#[test]
fn a_folder_walk_passes_over_notes_and_lists_them_without_failing() {
    let a = Archive::new();
    let capture = std::fs::read(fixture("web-mfa.txt")).expect("fixture");
    a.write("evidence/web-mfa.txt", &capture);
    a.write(
        "evidence/SOURCES.md",
        "# Sources\n\nweb-mfa.txt: copied from the channel's web view on 2024-04-10.\n",
    );
    a.write("evidence/README.md", "Notes on this folder.\n");
    a.write("evidence/notes.csv", "post,comment\n1,check the date\n");
    let out = a.run(["ingest".as_ref(), a.path("evidence").as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = stdout(&out);
    for note in ["SOURCES.md", "README.md", "notes.csv"] {
        assert!(
            summary
                .lines()
                .any(|l| l.starts_with("passed over") && l.contains(note)),
            "{note}: {summary}"
        );
    }
    assert!(summary.contains("passed over: 3 files"), "{summary}");
    let channels = a.ok(["channels", "--format", "csv"]);
    assert!(!channels.contains("SOURCES"), "{channels}");
    assert!(!channels.contains("README"), "{channels}");
    assert_eq!(a.captures().len(), 1, "only the capture is archived");

    // A note named on the command line is read as asked.
    let named = a.run(["ingest".as_ref(), a.path("evidence/SOURCES.md").as_os_str()]);
    assert!(
        stdout(&named).contains("into channel \"SOURCES\""),
        "{}",
        stdout(&named)
    );
}

#[test]
fn captured_at_dates_a_capture_and_the_captures_list_says_how_it_is_known() {
    let a = Archive::new();
    let out = a.run([
        "ingest".as_ref(),
        fixture("web-mfa.txt").as_os_str(),
        "--channel".as_ref(),
        "mfa_test".as_ref(),
        "--captured-at".as_ref(),
        "2023-05-14T12:30:00+03:00".as_ref(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("captured 2023-05-14T09:30:00Z (user"),
        "{}",
        stdout(&out)
    );
    let captures = a.captures();
    assert_eq!(captures[0]["captured_at"], "2023-05-14T09:30:00Z");
    assert_eq!(captures[0]["captured_basis"], "user");
    let table = a.ok(["captures"]);
    assert!(
        table
            .lines()
            .next()
            .unwrap_or_default()
            .contains("CAPTURED"),
        "{table}"
    );
    assert!(table.contains("2023-05-14T09:30:00Z  user"), "{table}");

    // Without it, a plain copy says nothing of itself: its ingest time, said to be so (the
    // summary names only a time the user or the file gave).
    let b = Archive::new();
    let summary = b.ingest(&fixture("web-mfa.txt"), "mfa_test");
    assert!(!summary.contains("captured"), "{summary}");
    assert_eq!(b.captures()[0]["captured_basis"], "ingested");

    // A time that cannot be read is a usage error.
    let bad = a.run([
        "ingest".as_ref(),
        fixture("web-mfa.txt").as_os_str(),
        "--captured-at".as_ref(),
        "last spring".as_ref(),
    ]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("--captured-at"), "{}", stderr(&bad));
}
