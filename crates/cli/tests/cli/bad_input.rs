//! Bad input: every unreadable input is skipped with a message naming the file (and the byte or
//! line where it matters), the run goes on with the other inputs, the exit code is 3, and what
//! the archive already held is unchanged. Also usage errors, bad filters and missing things.

use std::path::Path;

use crate::common::{Archive, fixture, stderr, stdout};

/// An archive holding `web-mfa.txt` under channel `mfa_test`.
fn archive_with_posts() -> Archive {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa_test");
    a
}

/// Checks one bad input on an archive made by [`archive_with_posts`]:
/// 1. `ingest <bad>` exits 3 with `skipped <named>: <reason>` and changes nothing;
/// 2. `ingest <bad> desktop-ru.txt` still ingests the second input, exits 3, and leaves the
///    posts already archived as they were.
fn assert_skipped(a: &Archive, bad: &Path, named: &Path, reasons: &[&str]) {
    let before = a.snapshot();
    let out = a.run(args!["ingest", bad, "--channel", "mfa_test"]);
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(3),
        "exit code for {}:\n{text}{}",
        bad.display(),
        stderr(&out)
    );
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("skipped {}: ", named.display())))
        .unwrap_or_else(|| panic!("no `skipped {}: ...` line in:\n{text}", named.display()));
    for reason in reasons {
        assert!(line.contains(reason), "{line:?} does not say {reason:?}");
    }
    assert!(
        text.ends_with(
            "captures: 0; posts: 0 new, 0 updated, 0 unchanged; warnings: 0; skipped: 1\n"
        ),
        "summary:\n{text}"
    );
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert_eq!(a.snapshot(), before, "a skipped input changed the archive");

    // The run goes on with the next input.
    let desktop = fixture("desktop-ru.txt");
    let out = a.run(args!["ingest", bad, desktop, "--channel", "mid_ru"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains(&format!("skipped {}: ", named.display())),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("{}: ", desktop.display()))
                && l.ends_with("3 new, 0 updated, 0 unchanged")),
        "the good input after the bad one was not ingested:\n{text}"
    );
    assert!(
        text.ends_with(
            "captures: 1; posts: 3 new, 0 updated, 0 unchanged; warnings: 0; skipped: 1\n"
        ),
        "summary:\n{text}"
    );
    let posts_before = before.0;
    let posts_after = a.ok(["export", "--format", "jsonl", "--channel", "mfa_test"]);
    assert_eq!(posts_after, posts_before, "archived posts changed");
}

#[test]
fn a_missing_path_is_skipped() {
    let a = archive_with_posts();
    let missing = a.path("no-such-capture.txt");
    assert_skipped(&a, &missing, &missing, &["no such file or folder"]);
}

#[test]
fn an_empty_folder_is_skipped() {
    let a = archive_with_posts();
    let dir = a.path("empty-folder");
    std::fs::create_dir(&dir).expect("folder");
    assert_skipped(&a, &dir, &dir, &["folder holds no files"]);
}

#[test]
fn a_folder_holding_only_hidden_files_is_skipped() {
    let a = archive_with_posts();
    a.write(
        "hidden-only/.capture.txt",
        "Forwarded from X\nHidden text\n",
    );
    let dir = a.path("hidden-only");
    assert_skipped(&a, &dir, &dir, &["folder holds no files"]);
}

#[test]
fn a_folder_holding_only_a_binary_file_names_the_file() {
    let a = archive_with_posts();
    a.write("binary-folder/blob.bin", b"abc\x00\x01\x02\xff\xfe");
    let dir = a.path("binary-folder");
    // A folder is walked for captures: the binary file is passed over, and a folder that holds
    // no capture at all is an input that could not be read.
    assert_skipped(
        &a,
        &dir,
        &dir,
        &["holds no capture", "blob.bin", "binary data", "a NUL byte"],
    );
    // Named on the command line, the file itself is read as asked and refused with the place.
    let b = archive_with_posts();
    let blob = b.write("blob.bin", b"abc\x00\x01\x02\xff\xfe");
    assert_skipped(
        &b,
        &blob,
        &blob,
        &["binary data", "a NUL byte", "at byte 3"],
    );
}

#[test]
fn an_empty_file_is_skipped() {
    let a = archive_with_posts();
    let empty = a.write("empty.txt", b"");
    assert_skipped(&a, &empty, &empty, &["the file is empty"]);
}

#[test]
fn a_file_of_blank_lines_is_empty() {
    let a = archive_with_posts();
    let blank = a.write("blank.txt", b"   \n\n \t \n");
    assert_skipped(&a, &blank, &blank, &["the file is empty"]);
}

#[test]
fn a_binary_file_names_the_nul_byte() {
    let a = archive_with_posts();
    // "Forwarded from X\n" is 17 bytes, "hello" 5 more: the NUL is byte 22.
    let bin = a.write("capture.txt", b"Forwarded from X\nhello\x00world\n");
    assert_skipped(&a, &bin, &bin, &["binary data", "a NUL byte", "at byte 22"]);
}

#[test]
fn a_pdf_is_named_as_such() {
    let a = archive_with_posts();
    let pdf = a.write("capture.pdf", b"%PDF-1.4\nsome text\n");
    assert_skipped(&a, &pdf, &pdf, &["binary data", "a PDF document"]);
}

#[test]
fn invalid_utf8_names_the_byte_and_line() {
    let a = archive_with_posts();
    let bad = a.write("latin1.txt", b"ok\nok\nbad \xff here\n");
    assert_skipped(
        &a,
        &bad,
        &bad,
        &["not valid UTF-8", "at byte 10", "(line 3)"],
    );
}

#[test]
fn a_windows_1251_capture_names_the_first_bad_byte() {
    let a = archive_with_posts();
    // "Привет" in Windows-1251 after a first line of 17 bytes.
    let mut bytes = b"Forwarded from X\n".to_vec();
    bytes.extend_from_slice(&[0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2, b'\n']);
    let bad = a.write("cp1251.txt", bytes);
    assert_skipped(
        &a,
        &bad,
        &bad,
        &["not valid UTF-8", "at byte 17", "(line 2)"],
    );
}

#[test]
fn invalid_utf8_far_into_a_large_file_names_the_right_byte_and_line() {
    let a = archive_with_posts();
    let mut bytes = Vec::new();
    for i in 0..6000 {
        bytes.extend_from_slice(
            format!("Forwarded from Source\nLine {i} of some text for padding purposes\n")
                .as_bytes(),
        );
    }
    let at = 300_000; // past the first 256 KiB read
    bytes[at] = 0xFF;
    let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    let bad = a.write("late.txt", bytes);
    assert_skipped(
        &a,
        &bad,
        &bad,
        &[
            "not valid UTF-8",
            &format!("at byte {at}"),
            &format!("(line {line})"),
        ],
    );
}

#[test]
fn a_100_mb_file_without_line_breaks_is_a_line_too_long() {
    let a = archive_with_posts();
    let size = 100 * 1024 * 1024;
    let huge = a.write("one-line.txt", vec![b'a'; size]);
    assert_skipped(
        &a,
        &huge,
        &huge,
        &[
            &format!("line 1 is {size} bytes long"),
            "more than 1048576",
            "not a text capture",
        ],
    );
}

#[test]
fn a_long_line_later_in_a_file_is_named() {
    let a = archive_with_posts();
    let mut text = String::from("Forwarded from X\nhello there\n");
    text.push_str(&"b".repeat(2 * 1024 * 1024));
    text.push_str("\nmore\n");
    let long = a.write("long-line.txt", text);
    assert_skipped(
        &a,
        &long,
        &long,
        &["line 3 is 2097152 bytes long", "not a text capture"],
    );
}

#[test]
fn a_json_object_is_an_unknown_format() {
    let a = archive_with_posts();
    let json = a.write("data.json", "{\"name\": \"x\", \"values\": [1, 2, 3]}\n");
    assert_skipped(&a, &json, &json, &["unknown format", "JSON"]);
}

#[test]
fn a_csv_of_numbers_is_an_unknown_format() {
    let a = archive_with_posts();
    let csv = a.write("numbers.csv", "1,2,3\n4,5,6\n7,8,9\n10,11,12\n");
    assert_skipped(&a, &csv, &csv, &["unknown format"]);
}

#[test]
fn several_bad_inputs_in_one_run_are_each_named_and_the_good_one_is_ingested() {
    let a = archive_with_posts();
    let before = a.snapshot();
    let missing = a.path("missing.txt");
    let empty = a.write("empty.txt", b"");
    let bad = a.write("bad.txt", b"ok\nbad \xff\n");
    let json = a.write("obj.json", "{\"a\": 1}\n");
    let desktop = fixture("desktop-ru.txt");
    let out = a.run(args![
        "ingest",
        missing,
        empty,
        bad,
        desktop,
        json,
        "--channel",
        "mid_ru"
    ]);
    assert_eq!(out.status.code(), Some(3));
    let text = stdout(&out);
    for (path, reason) in [
        (&missing, "no such file or folder"),
        (&empty, "the file is empty"),
        (&bad, "not valid UTF-8 at byte 7 (line 2)"),
        (&json, "unknown format: JSON"),
    ] {
        assert!(
            text.contains(&format!("skipped {}: {reason}", path.display())),
            "no message for {} in:\n{text}",
            path.display()
        );
    }
    assert!(
        text.ends_with(
            "captures: 1; posts: 3 new, 0 updated, 0 unchanged; warnings: 0; skipped: 4\n"
        ),
        "{text}"
    );
    assert_eq!(
        a.ok(["export", "--format", "jsonl", "--channel", "mfa_test"]),
        before.0
    );
}

#[test]
fn skipped_inputs_leave_no_raw_bytes_in_the_archive() {
    let a = archive_with_posts();
    let bad = a.write("bad.txt", b"ok\nbad \xff\n");
    let empty = a.write("empty.txt", b"");
    let out = a.run(args!["ingest", bad, empty]);
    assert_eq!(out.status.code(), Some(3));
    let kept: Vec<String> = crate::raw::kept_blobs(&a.dir);
    let archived: Vec<String> = a
        .captures()
        .iter()
        .map(|c| format!("{}.zst", crate::common::s(c, "sha256")))
        .collect();
    assert_eq!(
        kept, archived,
        "raw/ holds blobs of inputs that were skipped"
    );
}

#[test]
fn usage_errors_exit_2() {
    let a = archive_with_posts();
    let out = a.run(["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unrecognized subcommand 'frobnicate'"),
        "{}",
        stderr(&out)
    );
    let out = a.run(["ingest"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("required arguments were not provided"),
        "{}",
        stderr(&out)
    );
    let out = a.run(["export"]);
    assert_eq!(out.status.code(), Some(2), "export needs --format");
    let out = a.run(["posts", "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2));
    let out = a.run(args![
        "ingest",
        fixture("desktop-ru.txt"),
        "--utc-offset",
        "3"
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("+03:00"), "{}", stderr(&out));
    let out = a.run(["show", "not-a-number"]);
    assert_eq!(out.status.code(), Some(2));
    // A server with no engine could answer nothing; nothing is bound.
    let out = a.run(["serve", "--bind", "127.0.0.1:0", "--engines", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--engines"), "{}", stderr(&out));
    let out = a.run(["serve", "--bind", "not-an-address"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn show_of_a_missing_post_exits_4() {
    let a = archive_with_posts();
    let out = a.run(["show", "99999"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("no post with id 99999"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn a_malformed_date_filter_exits_3_with_a_message() {
    let a = archive_with_posts();
    let out = a.run(["posts", "--since", "2024-13-01"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("since \"2024-13-01\" is not a date; write YYYY-MM-DD"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    let out = a.run(["export", "--format", "jsonl", "--until", "2024-02-30"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("until \"2024-02-30\" is not a date"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
}

#[test]
fn reading_commands_on_a_missing_archive_say_so() {
    let a = Archive::new();
    let commands: &[&[&str]] = &[
        &["posts"],
        &["posts", "--format", "json"],
        &["show", "1"],
        &["channels"],
        &["stats"],
        &["captures"],
        &["export", "--format", "jsonl"],
        &["check"],
    ];
    for args in commands {
        let out = a.run(*args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
        assert!(
            err.contains(&format!("no archive at {}", a.dir.display())),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(stdout(&out).is_empty(), "{args:?}");
    }
    assert!(!a.dir.exists(), "a reading command created the archive");
}

#[test]
fn an_archive_path_that_is_a_file_is_an_error_naming_it() {
    let a = Archive::new();
    let file = a.write("not-a-dir", "x");
    let out = tgscope_with_archive(&file, args!["ingest", fixture("desktop-ru.txt")]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(&file.display().to_string()), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let out = tgscope_with_archive(&file, args!["stats"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains(&format!("no archive at {}", file.display())),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_corrupt_archive_database_is_an_error_not_a_panic() {
    let a = archive_with_posts();
    std::fs::write(a.dir.join("archive.sqlite"), "garbage, not a database").expect("write");
    for args in [&["check"][..], &["stats"][..], &["posts"][..]] {
        let out = a.run(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("not a database"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn error_messages_give_their_cause_once() {
    let a = Archive::new();
    let file = a.write("not-a-dir", "x");
    let out = tgscope_with_archive(&file, args!["ingest", fixture("desktop-ru.txt")]);
    let err = stderr(&out);
    assert_eq!(err.matches("File exists").count(), 1, "{err}");

    let b = archive_with_posts();
    std::fs::write(b.dir.join("archive.sqlite"), "garbage, not a database").expect("write");
    let out = b.run(["stats"]);
    let err = stderr(&out);
    assert_eq!(err.matches("not a database").count(), 1, "{err}");
}

fn tgscope_with_archive(archive: &Path, args: Vec<std::ffi::OsString>) -> std::process::Output {
    crate::common::tgscope()
        .arg("--archive")
        .arg(archive)
        .args(args)
        .output()
        .expect("tgscope runs")
}
