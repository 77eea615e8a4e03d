//! `show ID`: clean and raw text, forward, lost links, the inferred date with its basis and
//! evidence, versions, and sightings with the capture's hash and lines.

use crate::common::{Archive, fixture, fixture_text, s};

/// Byte offset of the end of line `n` (1-based, line break excluded) in `text`.
fn end_of_line(text: &str, n: usize) -> usize {
    text.match_indices('\n').nth(n - 1).expect("line exists").0
}

#[test]
fn show_prints_the_post_and_its_evidence() {
    let a = Archive::new();
    let capture = fixture("web-mfa.txt");
    a.ingest(&capture, "mfa_test");
    let sha = s(&a.captures()[0], "sha256").to_string();
    let out = a.ok(["show", "1"]);
    let text = fixture_text("web-mfa.txt");
    let raw: Vec<&str> = text.lines().take(12).collect();

    let expected_head = "post 1 in channel mfa_test\n\
         date: 2024-03-14 (inferred: text_date, from \"March 14, 2024\")\n\
         forwarded from: Russian MFA 🇷🇺\n\
         media: video (placeholder: too_big) \"Media is too big\"\n\
         link: \"Read in full\" (target not in the capture)\n\
         hashtags: #BRICS #SCO\n";
    assert!(out.starts_with(expected_head), "{out}");
    let clean = "\n--- clean text (version 1 of 1) ---\n\
         🎙 Minister's address to the Forum on Cooperation (Moscow, March 14, 2024)\n\
         Key points:\n\
         🌐 Partnership with #BRICS and the #SCO keeps growing.\n\
         ☝️ Trade between our countries rose by a third.\n";
    assert!(out.contains(clean), "clean text:\n{out}");
    let raw_section = format!("\n--- raw text, as captured ---\n{}\n", raw.join("\n"));
    assert!(out.contains(&raw_section), "raw text:\n{out}");
    let sighting = format!(
        "version 1 in {} (text), lines 1-12 bytes 0-{}, sha256 {sha}",
        capture.display(),
        end_of_line(&text, 12)
    );
    assert!(out.contains(&sighting), "no {sighting:?} in:\n{out}");
    assert!(!out.contains("--- versions ---"), "one version only");
}

#[test]
fn show_explains_a_year_taken_from_neighbours() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa_test");
    let out = a.ok(["show", "2"]);
    assert!(
        out.contains(
            "date: 2024-03-20 (inferred: text_day_month_neighbour_year, from \"March 20\")\n      \
             year from the nearest dated posts: 2024-03-14 (post at line 1) and 2024-04-02 \
             (post at line 22)\n"
        ),
        "{out}"
    );
    assert!(out.contains("countries: RU KZ\n"), "{out}");
    assert!(out.contains("hashtags: #CIS\n"), "{out}");
    assert!(out.contains(", lines 13-18 bytes "), "{out}");
}

#[test]
fn show_marks_hidden_posts_views_edits_and_desktop_authors() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa_test");
    a.ingest(&fixture("desktop-ru.txt"), "mid_ru");
    let hidden = a.ok(["show", "3"]);
    assert!(
        hidden.contains("only viewable in Telegram (the capture shows a placeholder)"),
        "{hidden}"
    );
    assert!(
        hidden.contains("date: unknown (the capture gives none)"),
        "{hidden}"
    );
    assert!(
        hidden.contains("forwarded from: Zakharova Channel"),
        "{hidden}"
    );
    assert!(
        hidden.contains(
            "media: unknown (placeholder: open_in_telegram) \"Please open Telegram to view this post\""
        ),
        "{hidden}"
    );
    let note = a.ok(["show", "5"]);
    assert!(note.contains("views: 12300\n"), "{note}");
    assert!(note.contains("edited mark: yes\n"), "{note}");
    assert!(!note.contains("forwarded from"), "{note}");
    let china = a.ok(["show", "6"]);
    assert!(china.contains("mentions: @MFARussia\n"), "{china}");
    assert!(
        china.contains("link: https://mid.ru/en/foreign_policy/news/\n"),
        "{china}"
    );
    let desktop = a.ok(["show", "7"]);
    assert!(desktop.contains("post 7 in channel mid_ru\n"), "{desktop}");
    assert!(desktop.contains("author: МИД России\n"), "{desktop}");
    assert!(
        desktop.contains(
            "date: 2022-06-25T07:25 (inferred: desktop_copy_header, from \"25/06/2022 07:25\")"
        ),
        "{desktop}"
    );
    assert!(
        desktop.contains("forwarded from: Посольство России в Казахстане\n"),
        "{desktop}"
    );
    assert!(desktop.contains("hashtags: #МИД #СНГ\n"), "{desktop}");
}

#[test]
fn show_lists_every_version_and_sighting_of_an_edited_post() {
    let a = Archive::new();
    let original = fixture("web-mfa.txt");
    let edited = fixture("web-mfa-edited.txt");
    a.ingest(&original, "mfa_test");
    a.ingest(&edited, "mfa_test");
    let captures = a.captures();
    let (sha1, sha2) = (s(&captures[0], "sha256"), s(&captures[1], "sha256"));
    let out = a.ok(["show", "1"]);
    assert!(out.contains("--- clean text (version 2 of 2) ---"), "{out}");
    assert!(out.contains("rose by a half."), "{out}");
    assert!(out.contains("\n--- versions ---\n"), "{out}");
    assert!(
        out.contains(&format!("version 1: first seen in capture {}", &sha1[..12])),
        "{out}"
    );
    assert!(
        out.contains(&format!("version 2: first seen in capture {}", &sha2[..12])),
        "{out}"
    );
    let edited_text = fixture_text("web-mfa-edited.txt");
    let original_text = fixture_text("web-mfa.txt");
    for (version, path, text, sha) in [
        (1, &original, &original_text, sha1),
        (2, &edited, &edited_text, sha2),
    ] {
        let line = format!(
            "version {version} in {} (text), lines 1-12 bytes 0-{}, sha256 {sha}",
            path.display(),
            end_of_line(text, 12)
        );
        assert!(out.contains(&line), "no {line:?} in:\n{out}");
    }
    // An unchanged post has one version and two sightings.
    let out = a.ok(["show", "2"]);
    assert!(out.contains("--- clean text (version 1 of 1) ---"), "{out}");
    assert!(!out.contains("--- versions ---"), "{out}");
    let sightings = out
        .lines()
        .filter(|l| l.starts_with("version 1 in "))
        .count();
    assert_eq!(sightings, 2, "{out}");
}
