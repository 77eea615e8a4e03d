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

#[test]
fn links_leading_out_of_a_folder_are_passed_over_and_links_within_it_are_read() {
    let a = Archive::new();
    let capture = std::fs::read(fixture("web-mfa.txt")).expect("fixture");
    a.write("evidence/web-mfa.txt", &capture);
    // Outside the folder: a capture-like file and a folder, both reached by links.
    a.write("elsewhere/secret.txt", "not for the archive\n");
    a.write(
        "elsewhere/more/also-secret.txt",
        "not for the archive either\n",
    );
    let link = |target: &str, at: &str| {
        std::os::unix::fs::symlink(a.path(target), a.path(at)).expect("symlink");
    };
    link("elsewhere/secret.txt", "evidence/secret.txt");
    link("elsewhere/more", "evidence/more");
    link("evidence/nowhere.txt", "evidence/broken.txt");
    // Within the folder: a link to its own capture (read, and found already archived).
    link("evidence/web-mfa.txt", "evidence/same.txt");
    let out = a.run(["ingest".as_ref(), a.path("evidence").as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = stdout(&out);
    for (name, why) in [
        ("secret.txt", "outside the folder"),
        ("more", "outside the folder"),
        ("broken.txt", "a link that leads nowhere"),
    ] {
        assert!(
            summary
                .lines()
                .any(|l| l.starts_with("passed over") && l.contains(name) && l.contains(why)),
            "{name}: {summary}"
        );
    }
    assert!(!summary.contains("also-secret"), "{summary}");
    assert!(
        !summary.contains("skipped ") || summary.contains("skipped: 0"),
        "{summary}"
    );
    let sources: Vec<String> = a
        .captures()
        .iter()
        .map(|c| c["source"].as_str().unwrap_or_default().to_string())
        .collect();
    // One capture: the folder's own, read once (through the link within the folder first, in
    // name order; the file itself is then the same capture).
    assert_eq!(a.captures().len(), 1, "{sources:?}");
    assert!(
        sources[0].ends_with("evidence/same.txt") || sources[0].ends_with("evidence/web-mfa.txt"),
        "{sources:?}"
    );
    let posts = a.ok(["search", "archive"]);
    assert!(!posts.contains("not for the archive"), "{posts}");

    // A file outside named on the command line is read as asked.
    let named = a.run(["ingest".as_ref(), a.path("evidence/secret.txt").as_os_str()]);
    assert_eq!(named.status.code(), Some(0), "{}", stderr(&named));
    assert_eq!(a.captures().len(), 2);
}

#[test]
fn a_pipe_or_a_device_named_is_refused_at_once_as_not_a_file() {
    let a = Archive::new();
    let fifo = a.path("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    for (path, kind) in [
        (fifo.as_os_str(), "a named pipe"),
        ("/dev/zero".as_ref(), "a character device"),
        ("/dev/urandom".as_ref(), "a character device"),
    ] {
        // Nothing writes to the pipe: reading it would wait for ever, reading a device would
        // not end.
        let out = a.run(["ingest".as_ref(), path]);
        assert_ne!(out.status.code(), Some(0), "{}", stdout(&out));
        let said = stdout(&out);
        assert!(
            said.contains(&format!("{kind}, not a file")),
            "{path:?}: {said}{}",
            stderr(&out)
        );
    }
    assert!(a.captures().is_empty());
    assert!(
        std::fs::read_dir(a.path("archive/raw/tmp"))
            .map(|d| d.count() == 0)
            .unwrap_or(true),
        "nothing was copied into the archive's raw folder"
    );
}

#[test]
fn a_capture_over_the_size_limit_or_binary_from_its_head_is_refused_before_it_is_copied() {
    let a = Archive::new();
    // 3 MiB of a plain-text capture: over a limit of 2 MiB, read under one of 4.
    let capture = std::fs::read(fixture("web-mfa.txt")).expect("fixture");
    let mut big = Vec::new();
    while big.len() < 3 << 20 {
        big.extend_from_slice(&capture);
    }
    let path = a.write("big.txt", &big);
    let refused = a.run([
        "ingest".as_ref(),
        path.as_os_str(),
        "--max-capture-size".as_ref(),
        "2".as_ref(),
    ]);
    assert_ne!(refused.status.code(), Some(0));
    let said = stdout(&refused);
    assert!(
        said.contains("over the largest capture read (2 MiB): raise it with --max-capture-size"),
        "{said}{}",
        stderr(&refused)
    );
    assert!(a.captures().is_empty());
    let taken = a.run([
        "ingest".as_ref(),
        path.as_os_str(),
        "--max-capture-size".as_ref(),
        "4".as_ref(),
    ]);
    assert_eq!(taken.status.code(), Some(0), "{}", stderr(&taken));
    assert_eq!(a.captures().len(), 1);

    // A regular file without end whose head is binary: the kernel's map of the process's
    // pages (`/proc/self/pagemap`: eight bytes per page of the address space, hundreds of
    // gigabytes, mostly NULs; its size says 0). Read in full it would never finish: it is
    // refused at its first block, as binary data.
    #[cfg(target_os = "linux")]
    {
        let out = a.run(["ingest", "/proc/self/pagemap"]);
        assert_ne!(out.status.code(), Some(0));
        let said = stdout(&out);
        assert!(said.contains("a NUL byte"), "{said}{}", stderr(&out));
        assert_eq!(a.captures().len(), 1);
    }
}
