//! A folder walk takes the files that are recognisably captures and lists the others (notes,
//! READMEs, scripts, tables) with the reason, without failing the run; a file named on the
//! command line is read as asked.

use std::path::{Path, PathBuf};

use tgscope_engine::ingest::{self, has_channel_copy_marks};
use tgscope_engine::{Engine, IngestOptions, NoProgress, PostFilter};

const EXPORT: &str = r#"{
 "name": "Baltic Wire",
 "type": "public_channel",
 "id": 1000000077,
 "messages": [
  {"id": 2, "type": "message", "date": "2024-03-02T09:15:00", "date_unixtime": "1709363700",
   "from": "Baltic Wire", "from_id": "channel1000000077", "text": "Polls open",
   "text_entities": [{"type": "plain", "text": "Polls open"}]}
 ]
}"#;

const COPY: &str = "\
Forwarded from Russian MFA 🇷🇺
The ministers met in Astana to discuss transport corridors.
The ministers met in Astana to discuss transport corridors.
1.2K views
";

const NOTES: &str = "\
# Sources

- mfa-cis-channel.txt | copied from the channel's web page on 2024-04-06
- result.json | a Telegram Desktop export of Baltic Wire
Each file is described with where it came from and its licence.
";

fn tme_page() -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../read/tests/fixtures/tme/saved_page.html"),
    )
    .expect("fixture page")
}

fn write(root: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
    std::fs::write(&path, bytes).expect("write");
    path
}

fn names(list: &[tgscope_engine::Skipped], root: &Path) -> Vec<String> {
    list.iter()
        .map(|s| {
            s.path
                .strip_prefix(root)
                .expect("inside")
                .display()
                .to_string()
        })
        .collect()
}

#[test]
fn a_folder_gives_its_captures_and_lists_its_notes_without_failing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("captures");
    write(&root, "ChatExport_2024-03-05/result.json", EXPORT);
    write(&root, "copy.txt", COPY);
    write(&root, "pasted-copy.md", COPY);
    write(&root, "web/page.html", tme_page());
    write(&root, "SOURCES.md", NOTES);
    write(
        &root,
        "README.md",
        "# Captures\n\nThe captures of the study, by channel.\n",
    );
    write(
        &root,
        "notes.csv",
        "file,channel,date\ncopy.txt,mfa,2024-04-06\n",
    );
    write(&root, "tools/fetch.py", "import sys\n\nprint(sys.argv)\n");
    write(
        &root,
        "LICENSE",
        "Permission is hereby granted, free of charge, to any person.\n",
    );
    write(&root, "photo.png", b"\x89PNG\r\n\x1a\nrest of an image");

    let mut engine = Engine::open(&tmp.path().join("archive")).expect("archive");
    let report = ingest::run(
        &mut engine,
        std::slice::from_ref(&root),
        &IngestOptions::default(),
        &mut NoProgress,
    )
    .expect("ingest");

    let mut read: Vec<String> = report
        .captures
        .iter()
        .map(|c| {
            c.path
                .strip_prefix(&root)
                .expect("inside")
                .display()
                .to_string()
        })
        .collect();
    read.sort();
    assert_eq!(
        read,
        [
            "ChatExport_2024-03-05/result.json",
            "copy.txt",
            "pasted-copy.md",
            "web/page.html"
        ]
    );
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(
        names(&report.passed_over, &root),
        [
            "LICENSE",
            "README.md",
            "SOURCES.md",
            "notes.csv",
            "photo.png",
            "tools/fetch.py"
        ]
    );
    let reason = |name: &str| {
        report
            .passed_over
            .iter()
            .find(|s| s.path.ends_with(name))
            .map(|s| s.reason.clone())
            .expect("listed")
    };
    assert_eq!(
        reason("SOURCES.md"),
        "not a capture: plain text without the marks of a channel copy and not named .txt \
         (name the file itself to read it anyway)"
    );
    assert!(
        reason("photo.png").contains("PNG image"),
        "{}",
        reason("photo.png")
    );
    for p in &report.passed_over {
        assert!(p.reason.starts_with("not a capture: "), "{p:?}");
    }
    // No channel is named after a note.
    let channels: Vec<String> = engine
        .channels()
        .expect("channels")
        .iter()
        .map(|c| c.channel.name())
        .collect();
    for note in ["SOURCES", "README", "notes", "fetch", "LICENSE"] {
        assert!(!channels.iter().any(|c| c == note), "{channels:?}");
    }
    assert!(channels.iter().any(|c| c == "copy"), "{channels:?}");
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["passed_over"].as_array().map(Vec::len), Some(6));
}

#[test]
fn a_file_named_on_the_command_line_is_read_as_asked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let notes = write(tmp.path(), "SOURCES.md", NOTES);
    let mut engine = Engine::open(&tmp.path().join("archive")).expect("archive");
    let report = ingest::run(
        &mut engine,
        std::slice::from_ref(&notes),
        &IngestOptions::default(),
        &mut NoProgress,
    )
    .expect("ingest");
    assert!(report.passed_over.is_empty());
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(report.captures.len(), 1);
    assert_eq!(report.captures[0].channel, "SOURCES");
    assert!(
        !engine
            .posts(&PostFilter::default())
            .expect("posts")
            .is_empty()
    );
}

#[test]
fn the_marks_of_a_channel_copy_are_its_interface_labels() {
    assert!(has_channel_copy_marks(COPY));
    assert!(has_channel_copy_marks(
        "МИД России, [25/06/2022 07:25]\nСегодня министр провёл переговоры.\n"
    ));
    assert!(has_channel_copy_marks(
        "Text\nMedia is too big\nVIEW IN TELEGRAM\n"
    ));
    assert!(!has_channel_copy_marks(NOTES));
    // A time alone, a day or "Read more" are in notes too.
    assert!(!has_channel_copy_marks(
        "Agenda\n10:30\nMarch 12\nRead more\nedited\n"
    ));
}
