//! Where the archive is: `--archive` before or after the subcommand, `TGSCOPE_ARCHIVE`, and the
//! default `./tgscope-archive`.

use crate::common::{Archive, fixture, n, stdout, tgscope};

#[test]
fn archive_option_goes_before_or_after_the_subcommand() {
    let a = Archive::new();
    // Before the subcommand.
    tgscope()
        .arg("--archive")
        .arg(&a.dir)
        .args(args![
            "ingest",
            fixture("web-mfa.txt"),
            "--channel",
            "mfa_test"
        ])
        .assert()
        .success();
    // After the subcommand, and after its own options.
    let out = tgscope()
        .args(["stats", "--format", "json", "--archive"])
        .arg(&a.dir)
        .output()
        .expect("runs");
    assert!(out.status.success());
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(n(&stats, "posts"), 6);
    // Ingest with it after the subcommand adds to the same archive.
    tgscope()
        .args(args![
            "ingest",
            fixture("desktop-ru.txt"),
            "--archive",
            a.dir
        ])
        .assert()
        .success();
    assert_eq!(n(&a.stats(), "posts"), 9);
}

#[test]
fn the_archive_can_come_from_tgscope_archive() {
    let a = Archive::new();
    tgscope()
        .env("TGSCOPE_ARCHIVE", &a.dir)
        .args(args![
            "ingest",
            fixture("web-mfa.txt"),
            "--channel",
            "mfa_test"
        ])
        .assert()
        .success();
    assert!(a.dir.join("archive.sqlite").is_file());
    assert_eq!(n(&a.stats(), "posts"), 6);
    let out = tgscope()
        .env("TGSCOPE_ARCHIVE", &a.dir)
        .args(["posts", "--format", "jsonl"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert_eq!(stdout(&out).lines().count(), 6);

    // --archive wins over the variable.
    let other = a.path("other");
    tgscope()
        .env("TGSCOPE_ARCHIVE", &a.dir)
        .arg("--archive")
        .arg(&other)
        .args(args!["ingest", fixture("desktop-ru.txt")])
        .assert()
        .success();
    assert_eq!(n(&a.stats(), "posts"), 6, "the variable's archive was used");
    let out = tgscope()
        .arg("--archive")
        .arg(&other)
        .args(["stats", "--format", "json"])
        .output()
        .expect("runs");
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(n(&stats, "posts"), 3);
}

#[test]
fn the_default_archive_is_tgscope_archive_in_the_current_folder() {
    let a = Archive::new();
    let cwd = a.tmp.path();
    tgscope()
        .current_dir(cwd)
        .args(args![
            "ingest",
            fixture("web-mfa.txt"),
            "--channel",
            "mfa_test"
        ])
        .assert()
        .success();
    let default = cwd.join("tgscope-archive");
    assert!(
        default.join("archive.sqlite").is_file(),
        "no ./tgscope-archive"
    );
    let out = tgscope()
        .current_dir(cwd)
        .args(["stats"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("archive: tgscope-archive"), "{text}");
    assert!(
        text.contains("posts: 6 (4 forwards, 1 only viewable in Telegram)"),
        "{text}"
    );
}

#[test]
fn ingesting_the_current_folder_skips_the_default_archive_inside_it() {
    let a = Archive::new();
    let cwd = a.tmp.path();
    a.write(
        "captures/web-mfa.txt",
        crate::common::fixture_text("web-mfa.txt"),
    );
    a.write(
        "captures/desktop-ru.txt",
        crate::common::fixture_text("desktop-ru.txt"),
    );
    let first = tgscope()
        .current_dir(cwd)
        .args(["ingest", "."])
        .output()
        .expect("runs");
    assert!(first.status.success(), "{}", stdout(&first));
    assert!(
        stdout(&first).ends_with(
            "captures: 2; posts: 9 new, 0 updated, 0 unchanged; warnings: 0; skipped: 0\n"
        ),
        "{}",
        stdout(&first)
    );
    // Now ./tgscope-archive exists inside the folder being ingested: its files are not inputs.
    let second = tgscope()
        .current_dir(cwd)
        .args(["ingest", "."])
        .output()
        .expect("runs");
    assert!(second.status.success(), "{}", stdout(&second));
    let text = stdout(&second);
    assert!(!text.contains("tgscope-archive"), "{text}");
    assert!(
        text.ends_with(
            "captures: 2; posts: 0 new, 0 updated, 9 unchanged; warnings: 0; skipped: 0\n"
        ),
        "{text}"
    );
    // The channel defaults to the file name without extension.
    let out = tgscope()
        .current_dir(cwd)
        .args(["channels", "--format", "json"])
        .output()
        .expect("runs");
    let channels: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let mut names: Vec<&str> = channels
        .as_array()
        .expect("array")
        .iter()
        .filter(|c| c["posts"].as_u64() > Some(0))
        .map(|c| c["aliases"][0].as_str().expect("alias"))
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["desktop-ru", "web-mfa"]);
}
