//! Deeply nested JSON (docs/bad-input.md), 100,000 levels: what a reader steps over is stepped
//! over at any depth; a value it reads is parsed by serde_json, which stops at 128 levels, and
//! that is a warning about the message or, in a dump, damage that ends the file after the
//! records before it; never a stack overflow. (The fuzz targets `read_desktop_json` and
//! `read_dump` try nesting of every shape within 8 KiB.)

use tgscope_model::ReadItem;
use tgscope_read::desktop_json::{DesktopJsonReader, JsonOptions};
use tgscope_read::dump::{DumpOptions, DumpReader};
use tgscope_read::{ReadError, fuzzing};

const DEPTH: usize = 100_000;

fn lists(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

fn objects(depth: usize) -> String {
    format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth))
}

/// A message of the export; `fields` ends it (`, "name": value`), or gives its text.
fn message(id: u32, fields: &str) -> String {
    let text = if fields.contains(r#""text":"#) {
        String::new()
    } else {
        format!(r#", "text": "Post {id}""#)
    };
    format!(
        r#"{{"id": {id}, "type": "message", "date": "2024-03-01T10:00:00",
            "date_unixtime": "1709287200", "from": "Deep", "from_id": "channel77"{text}{fields}}}"#
    )
}

fn export(before_messages: &str, messages: &[String]) -> String {
    format!(
        r#"{{"name": "Deep", "type": "public_channel", "id": 77, {before_messages}
            "messages": [{}]}}"#,
        messages.join(",")
    )
}

/// What a reader gave: the posts' texts and the warnings, in order, and the error that ended
/// the stream, if any.
fn outcome(
    items: impl Iterator<Item = Result<ReadItem, ReadError>>,
) -> (Vec<String>, Vec<String>, Option<String>) {
    let (mut texts, mut warnings) = (Vec::new(), Vec::new());
    for item in items {
        match item {
            Ok(ReadItem::Post(post)) => texts.push(post.text),
            Ok(ReadItem::Warning(warning)) => warnings.push(warning),
            Ok(ReadItem::Event(_)) => {}
            Err(e) => return (texts, warnings, Some(e.to_string())),
        }
    }
    (texts, warnings, None)
}

fn read_export(file: &str) -> (Vec<String>, Vec<String>, Option<String>) {
    fuzzing::read_desktop_json(file.as_bytes());
    outcome(DesktopJsonReader::new(
        file.as_bytes(),
        JsonOptions::default(),
    ))
}

#[test]
fn sections_and_fields_the_reader_does_not_read_are_stepped_over_at_any_depth() {
    let file = export(
        &format!(r#""about": {}, "more": {},"#, lists(DEPTH), objects(DEPTH)),
        &[
            message(1, ""),
            message(2, &format!(r#", "unknown": {}"#, objects(DEPTH))),
            message(3, &format!(r#", "unknown": {}"#, lists(DEPTH))),
        ],
    );
    let (texts, warnings, error) = read_export(&file);
    assert_eq!(
        texts,
        ["Post 1", "Post 2", "Post 3"],
        "{warnings:?} {error:?}"
    );
    assert_eq!((warnings.len(), error), (0, None));
}

#[test]
fn a_field_read_nested_too_deep_is_a_warning_naming_the_message() {
    // A field of another type (a photo is a path): the message is left out.
    let file = export(
        "",
        &[
            message(1, ""),
            message(2, &format!(r#", "photo": {}"#, objects(DEPTH))),
            message(3, ""),
        ],
    );
    let (texts, warnings, error) = read_export(&file);
    assert_eq!(texts, ["Post 1", "Post 3"]);
    assert_eq!(error, None);
    assert!(
        warnings.len() == 1 && warnings[0].starts_with("message 2 (messages[1])"),
        "{warnings:?}"
    );
    // The text itself, an object or a list of runs: the message is kept without it.
    for (text, says) in [
        (objects(DEPTH), "its text is an object"),
        (
            lists(DEPTH),
            "its text, a list, cannot be read (recursion limit exceeded",
        ),
    ] {
        let deep = message(2, &format!(r#", "text": {text}"#));
        let (texts, warnings, error) =
            read_export(&export("", &[message(1, ""), deep, message(3, "")]));
        assert_eq!(texts, ["Post 1", "", "Post 3"], "{says}");
        assert_eq!(error, None);
        assert!(
            warnings.len() == 1
                && warnings[0].starts_with("message 2 (messages[1])")
                && warnings[0].contains(says),
            "{warnings:?}"
        );
    }
}

#[test]
fn a_dump_record_nested_too_deep_ends_the_file_after_the_records_before() {
    let first = r#"{"id": 1, "text": "Post 1", "date": "2024-03-01T10:00:00Z"}"#;
    let deep = format!(
        r#"{{"id": 2, "text": "Post 2", "extra": {}}}"#,
        lists(DEPTH)
    );
    for file in [format!("{first}\n{deep}\n"), format!("[{first}, {deep}]")] {
        fuzzing::read_dump(file.as_bytes());
        let (texts, _, error) = outcome(DumpReader::new(file.as_bytes(), DumpOptions::default()));
        assert_eq!(texts, ["Post 1"], "{error:?}");
        let error = error.expect("the deep record is damage");
        assert!(
            error.contains("recursion limit exceeded") && error.contains("record"),
            "{error}"
        );
    }
}
