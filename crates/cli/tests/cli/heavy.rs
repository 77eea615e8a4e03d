//! Heavy input: pages built to make parsing slow are refused in bounded time with an error that
//! names the file and why, and the archive keeps what it held; a post longer than Telegram could
//! make is cut with a warning, and a text without post markers is read in post-sized pieces,
//! while the raw capture keeps every byte.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Archive, s, stderr, stdout};

/// A fixture of the readers' own tests.
fn read_fixture(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../read/tests/fixtures")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `page` with `depth` nested `div`s put into its first element that opens with `marker`.
fn with_nesting(page: &str, marker: &str, depth: usize) -> String {
    let at = page.find(marker).unwrap_or_else(|| panic!("no {marker}"));
    let inside = at + page[at..].find('>').expect("the element's tag ends") + 1;
    let mut out = String::with_capacity(page.len() + depth * 11);
    out.push_str(&page[..inside]);
    out.push_str(&"<div>".repeat(depth));
    out.push_str(&"</div>".repeat(depth));
    out.push_str(&page[inside..]);
    out
}

/// Runs `cmd`, killing it when it runs longer than `limit` (then the test fails: the command
/// hung on its input).
fn run_within(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tgscope starts");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "still running after {limit:?} (killed)\nstderr:\n{}",
                stderr(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Ingests a page nested 100,000 deep into an archive holding the page as it was, and checks
/// the refusal and that the archive is as before.
fn deeply_nested_page_is_refused(fixture: &str, marker: &str, name: &str) {
    let a = Archive::new();
    let page = read_fixture(fixture);
    let plain: PathBuf = a.write(&format!("plain-{name}"), &page);
    a.ok(["ingest".as_ref(), plain.as_os_str()]);
    let before = a.ok(["export", "--format", "jsonl"]);

    // 1.1 MB: on the parser alone, 20 to 50 s in release builds (and no end in debug ones).
    let deep = a.write(name, with_nesting(&page, marker, 100_000));
    let mut ingest = Command::new(env!("CARGO_BIN_EXE_tgscope"));
    ingest.arg("--archive").arg(&a.dir).arg("ingest").arg(&deep);
    let out = run_within(ingest, Duration::from_secs(120));
    let err = stdout(&out) + &stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains(name), "the error names the file: {err}");
    assert!(
        err.contains("elements nested more than 512 deep"),
        "the error says why: {err}"
    );
    assert!(
        a.ok(["export", "--format", "jsonl"]) == before,
        "the archive holds what it held"
    );
    // The refused page is listed as a capture that was not read whole.
    assert_eq!(a.stats()["captures_partial"], 1);
}

#[test]
fn a_tme_page_nested_a_hundred_thousand_deep_is_refused_in_bounded_time() {
    deeply_nested_page_is_refused("tme/page.html", "tgme_widget_message_text", "deep.html");
}

#[test]
fn a_desktop_html_page_nested_a_hundred_thousand_deep_is_refused_in_bounded_time() {
    deeply_nested_page_is_refused(
        "desktop-html/channel_messages.html",
        "class=\"text\"",
        "messages.html",
    );
}

#[test]
fn pages_nested_within_the_budget_are_read_whole() {
    let a = Archive::new();
    let page = with_nesting(
        &read_fixture("tme/page.html"),
        "tgme_widget_message_text",
        400,
    );
    let path = a.write("nested-400.html", page);
    a.ok(["ingest".as_ref(), path.as_os_str()]);
    let plain = Archive::new();
    let original = plain.write("page.html", read_fixture("tme/page.html"));
    plain.ok(["ingest".as_ref(), original.as_os_str()]);
    assert_eq!(
        a.stats()["posts"],
        plain.stats()["posts"],
        "the nested page gives every post of the page"
    );
}

/// The longest text a post keeps (`tgscope_model::MAX_POST_TEXT_BYTES`).
const POST_LIMIT: usize = 128 << 10;

/// The capture's bytes as the archive keeps them (its raw file, decompressed).
fn raw_capture(a: &Archive) -> Vec<u8> {
    let captures = a.captures();
    let sha = s(&captures[0], "sha256");
    let path = a.dir.join("raw").join(&sha[..2]).join(format!("{sha}.zst"));
    zstd::decode_all(std::fs::File::open(&path).expect("raw capture")).expect("zstd")
}

#[test]
fn a_post_longer_than_telegram_allows_is_cut_with_a_warning_and_the_raw_capture_keeps_it() {
    let a = Archive::new();
    // 10 MB of text in one message, a hashtag at its very end.
    let long = "Заявление министерства о переговорах. ".repeat(150_000) + "#конец";
    let lines = [
        r#"{"id": 1, "date": "2024-03-01T10:00:00Z", "message": "Before the long one."}"#
            .to_string(),
        format!(r#"{{"id": 2, "date": "2024-03-01T11:00:00Z", "message": "{long}"}}"#),
        r#"{"id": 3, "date": "2024-03-01T12:00:00Z", "message": "After the long one."}"#
            .to_string(),
    ];
    let bytes = lines.join("\n") + "\n";
    let path = a.write("long.jsonl", &bytes);
    let out = a.run([
        "ingest".as_ref(),
        path.as_os_str(),
        "--channel".as_ref(),
        "long".as_ref(),
    ]);
    let err = stdout(&out) + &stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "message 2 (line 2): its text of {} bytes is cut to the first 128 KiB",
            long.len()
        )),
        "the warning names the post and says what was kept: {err}"
    );
    let records = a.export();
    assert_eq!(records.len(), 3);
    let text = s(&records[1], "text");
    assert!(
        text.len() <= POST_LIMIT && text.len() > POST_LIMIT - 4,
        "{}",
        text.len()
    );
    assert!(
        long.starts_with(text),
        "the post keeps the start of its text"
    );
    assert_eq!(
        records[1]["hashtags"],
        serde_json::json!([]),
        "nothing past the cut"
    );
    assert_eq!(s(&records[2], "text"), "After the long one.");
    assert_eq!(
        raw_capture(&a),
        bytes.as_bytes(),
        "the raw capture keeps every byte"
    );
}

#[test]
fn a_text_without_post_markers_is_read_in_pieces_no_longer_than_a_post() {
    let a = Archive::new();
    // 2 MiB of numbered paragraphs, without a date, a footer or any other post marker.
    let mut text = String::new();
    let mut n = 0;
    while text.len() < 2 << 20 {
        n += 1;
        text.push_str(&format!(
            "Paragraph {n}: the text goes on without any of the marks a channel's posts carry.\n\n"
        ));
    }
    let path = a.write("unmarked.txt", &text);
    a.ok([
        "ingest".as_ref(),
        path.as_os_str(),
        "--channel".as_ref(),
        "unmarked".as_ref(),
    ]);
    let records = a.export();
    assert!(records.len() >= 16, "{} pieces", records.len());
    let mut seen = 0;
    for r in &records {
        let piece = s(r, "text");
        assert!(
            piece.len() <= POST_LIMIT,
            "a piece of {} bytes",
            piece.len()
        );
        seen += piece.matches("Paragraph ").count();
    }
    assert_eq!(seen, n, "every paragraph is in a piece");
    assert_eq!(raw_capture(&a), text.as_bytes());
}
