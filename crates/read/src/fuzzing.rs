//! The drivers of the fuzz targets in `fuzz/` (see `docs/fuzzing.md`): each takes arbitrary
//! bytes, reads them the way the engine's ingest does ([`crate::open`] over a buffered source,
//! every item given `drop_nul` and `cut_long_text`, the stream stopped at its first error, then
//! the reader asked for its channel, carry and capture time) and panics when an invariant a user
//! relies on breaks. The fuzz targets call these functions, and `tests/fuzz_corpus.rs` replays
//! every committed input of `fuzz/corpus/` and `fuzz/regressions/` through them, so an input that
//! once crashed a reader fails `cargo test` until it is fixed.
//!
//! What every driver checks, beyond "no panic" (an error is a [`ReadError`] by its type):
//! - a post's spans (entities, links, hashtags, mentions, countries) lie inside its clean text,
//!   on character boundaries, before and after the engine's cut of long texts;
//! - a post's clean text holds no U+0000 and is in the clean form (`clean_text` leaves it as
//!   it is);
//! - a post's or event's place lies inside the input (`byte_start <= byte_end <= len`, lines in
//!   order);
//! - every observed time (a post's date, a forward's date) is an RFC 3339 time of the years 1
//!   to 9999, an inferred date one of the shapes [`tgscope_model::InferredDate`] documents (as
//!   are an event's date and an edit time, which an old export gives in local time when its
//!   offset is not known), and the capture's own time RFC 3339 or a day;
//! - every error's message can be written;
//! - the plain-text and dump readers, which read through [`std::io::BufRead`], give the same
//!   items whatever the size of the reads (a capture is read in blocks of 256 KiB, so a post
//!   may straddle two).
//!
//! The options a reader is given depend on the input's length (its remainder by 3): none, a
//! UTC offset of +14:00, or one of -12:00 (the extremes, where date arithmetic overflows first),
//! and for a Desktop HTML page a carry from a previous page; a dump whose length leaves 3 by 4
//! is read with a field map. So a committed input replays exactly as it was found, and every
//! file of a corpus is still a capture `tgscope ingest` reads.
//!
//! Not part of the API: hidden from the documentation, and free to change with the fuzz targets.

use std::io::{BufRead, BufReader};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime};
use tgscope_model::{CapturedPost, Format, Location, ReadItem, Sender, Span};

use crate::desktop_html::Carry;
use crate::detect::{self, ContentScan};
use crate::dump::FieldMap;
use crate::{ReadError, ReadOptions, open};

/// A driver: takes a fuzzed input, panics when it breaks an invariant.
pub type Driver = fn(&[u8]);

/// The fuzz targets of the readers and detection, by name (the names of `fuzz/fuzz_targets/`
/// and of the folders under `fuzz/corpus/`), each with its driver.
pub const TARGETS: &[(&str, Driver)] = &[
    ("read_text", read_text),
    ("read_desktop_json", read_desktop_json),
    ("read_desktop_html", read_desktop_html),
    ("read_dump", read_dump),
    ("read_tme", read_tme),
    ("detect", detect),
];

/// The plain-text reader over `data`, checked, and read again in small reads.
pub fn read_text(data: &[u8]) {
    read_twice(Format::Text, data, &options_for(Format::Text, data));
}

/// The Desktop JSON reader over `data`, checked.
pub fn read_desktop_json(data: &[u8]) {
    read_checked(
        Format::DesktopJson,
        data,
        Box::new(data),
        &options_for(Format::DesktopJson, data),
    );
}

/// The Desktop HTML reader over `data` (one page of an export), checked.
pub fn read_desktop_html(data: &[u8]) {
    read_checked(
        Format::DesktopHtml,
        data,
        Box::new(data),
        &options_for(Format::DesktopHtml, data),
    );
}

/// The message dump reader (JSON array or JSON Lines) over `data`, checked, and read again in
/// small reads.
pub fn read_dump(data: &[u8]) {
    read_twice(Format::Dump, data, &options_for(Format::Dump, data));
}

/// The reader of t.me web preview pages over `data`, checked.
pub fn read_tme(data: &[u8]) {
    read_checked(
        Format::TmeHtml,
        data,
        Box::new(data),
        &options_for(Format::TmeHtml, data),
    );
}

/// Format detection over `data` as the engine does it (scan, then detect), checked: the scan
/// gives the same answer whether it is fed the input whole or in small pieces, what it refuses
/// names a place inside the input, and an input it accepts is read by the reader it names.
pub fn detect(data: &[u8]) {
    let mut whole = ContentScan::new();
    whole.feed(data);
    whole.finish();
    let mut pieces = ContentScan::new();
    // Pieces of 1, 2, 3, 5, 8 and 13 bytes in turn: a character or a line break split between
    // two reads anywhere.
    let sizes = [1, 2, 3, 5, 8, 13];
    let mut rest = data;
    let mut turn = 0;
    while !rest.is_empty() {
        let (piece, after) = rest.split_at(sizes[turn % sizes.len()].min(rest.len()));
        pieces.feed(piece);
        rest = after;
        turn += 1;
    }
    pieces.finish();
    assert_eq!(
        whole.size(),
        data.len() as u64,
        "the scan counts every byte"
    );
    assert_eq!(pieces.size(), whole.size(), "the scan counts every byte");
    let found = detect::detect(&whole);
    assert_eq!(
        detect::detect(&pieces),
        found,
        "detection depends on how the input was cut into pieces"
    );
    for forced in [detect::check_encoding(&whole), detect::check_text(&whole)] {
        if let Err(refused) = forced {
            check_detect_error(&refused, data);
        }
    }
    if let Some(refused) = detect::refusal_in_head(&whole) {
        check_detect_error(&refused, data);
    }
    match found {
        Ok(found) => {
            if let Some(note) = &found.note {
                assert!(!note.is_empty(), "an empty note");
            }
            read_checked(
                found.format,
                data,
                Box::new(BufReader::new(data)),
                &options_for(found.format, data),
            );
        }
        Err(refused) => check_detect_error(&refused, data),
    }
}

/// A detection error names a place inside the input and can be written.
fn check_detect_error(refused: &crate::DetectError, data: &[u8]) {
    use crate::DetectError;
    let message = refused.to_string();
    assert!(!message.is_empty(), "an empty message for {refused:?}");
    let lines = 1 + data.iter().filter(|&&b| b == b'\n').count() as u64;
    match refused {
        DetectError::Binary { byte, .. } | DetectError::NotUtf8 { byte, .. } => {
            assert!(
                *byte < data.len() as u64,
                "{refused:?} past the input's end"
            );
        }
        _ => {}
    }
    match refused {
        DetectError::NotUtf8 { line, .. } | DetectError::LineTooLong { line, .. } => {
            assert!(
                (1..=lines).contains(line),
                "{refused:?}: the input has {lines} lines"
            );
        }
        _ => {}
    }
}

/// The options a reader is given for `data` (see the module's documentation).
fn options_for(format: Format, data: &[u8]) -> ReadOptions {
    let offset = match data.len() % 3 {
        0 => None,
        1 => FixedOffset::east_opt(14 * 3600),
        _ => FixedOffset::west_opt(12 * 3600),
    };
    let mut options = ReadOptions {
        source_name: "messages2.html".to_string(),
        ..ReadOptions::default()
    };
    options.text.desktop_utc_offset = offset;
    options.json.utc_offset = offset;
    options.html.utc_offset = offset;
    options.dump.utc_offset = offset;
    if format == Format::DesktopHtml && data.len() % 3 == 2 {
        options.html.carry = Some(Carry {
            sender: Some(Sender {
                name: Some("Previous Page".to_string()),
                id: Some("user1".to_string()),
            }),
            chat_title: Some("Carried Chat".to_string()),
            forward: Some(tgscope_model::Forward {
                title: Some("Carried Origin".to_string()),
                ..tgscope_model::Forward::default()
            }),
            via_bot: Some("carried_bot".to_string()),
        });
    }
    if format == Format::Dump && data.len() % 4 == 3 {
        options.dump.map = FieldMap::parse("id=n,text=msg,date=ts,channel=src.name,views=seen")
            .expect("a valid field map");
    }
    options
}

/// Reads `data` whole and in reads of 7 bytes, each checked, and asserts that both give the
/// same items and the same error.
fn read_twice(format: Format, data: &[u8], options: &ReadOptions) {
    let whole = read_checked(format, data, Box::new(data), options);
    let small = read_checked(
        format,
        data,
        Box::new(BufReader::with_capacity(7, data)),
        options,
    );
    assert!(
        whole == small,
        "reads of 7 bytes give other items than one read:\n{whole:#?}\nagainst\n{small:#?}"
    );
}

/// What a reader gave: its items as the engine keeps them, and its error written out.
#[derive(Debug, PartialEq)]
struct Outcome {
    items: Vec<ReadItem>,
    error: Option<String>,
}

/// Reads `source` (the bytes of `data`) as `format`, as the engine does, checking every item.
fn read_checked(
    format: Format,
    data: &[u8],
    source: Box<dyn BufRead + Send + '_>,
    options: &ReadOptions,
) -> Outcome {
    let mut reader = open(format, source, options);
    assert_eq!(reader.format(), format, "a reader of another format");
    let mut outcome = Outcome {
        items: Vec::new(),
        error: None,
    };
    for item in reader.by_ref() {
        match item {
            Ok(mut item) => {
                check_item(&item, data);
                item.drop_nul();
                let cut = item.cut_long_text();
                check_item(&item, data);
                outcome.items.push(item);
                if let Some(warning) = cut {
                    outcome.items.push(ReadItem::Warning(warning));
                }
            }
            Err(error) => {
                outcome.error = Some(check_error(&error));
                break;
            }
        }
    }
    // What the engine asks once the stream has ended.
    if let Some(channel) = reader.channel() {
        let _ = channel.display_name();
    }
    if let Some(mut info) = reader.channel_info() {
        info.drop_nul();
    }
    let _ = reader.carry();
    if let Some(made) = reader.made_at() {
        let day = NaiveDate::parse_from_str(&made.at, "%Y-%m-%d").ok();
        assert!(
            day.is_some() || rfc3339_in_range(&made.at),
            "the capture's time {:?} is neither RFC 3339 nor a day",
            made.at
        );
    }
    outcome
}

/// An error's message can be written and says something.
fn check_error(error: &ReadError) -> String {
    let message = error.to_string();
    assert!(!message.is_empty(), "an empty message for {error:?}");
    message
}

fn check_item(item: &ReadItem, data: &[u8]) {
    match item {
        ReadItem::Post(post) => check_post(post, data),
        ReadItem::Event(event) => {
            check_location(&event.location, data);
            // An event has no inferred date of its own: an old export's local time (no
            // offset) stands in its date.
            if let Some(date) = &event.date {
                assert!(
                    rfc3339_in_range(date) || inferred_in_range(date),
                    "an event's date {date:?} of no documented shape"
                );
            }
        }
        ReadItem::Warning(_) => {}
    }
}

fn check_post(post: &CapturedPost, data: &[u8]) {
    let text = &post.text;
    assert!(!text.contains('\0'), "a clean text holds U+0000: {text:?}");
    assert_eq!(
        &tgscope_text::normalize::clean_text(text),
        text,
        "a post's text is not in the clean form"
    );
    let spans = post
        .entities
        .iter()
        .map(|e| e.span)
        .chain(post.links.iter().filter_map(|l| l.span))
        .chain(post.hashtags.iter().map(|t| t.span))
        .chain(post.mentions.iter().map(|t| t.span))
        .chain(post.countries.iter().map(|c| c.span));
    for span in spans {
        check_span(span, text);
    }
    check_location(&post.location, data);
    check_observed(post.date.as_deref(), "a post's date");
    // An old export's edit time, its offset unknown, is a local time (as its date is an
    // inferred one).
    if let Some(edited) = &post.edited_at {
        assert!(
            rfc3339_in_range(edited) || inferred_in_range(edited),
            "a post's edit time {edited:?} of no documented shape"
        );
    }
    if let Some(forward) = &post.forward {
        check_observed(forward.date.as_deref(), "a forward's date");
    }
    if let Some(inferred) = &post.date_inferred {
        assert!(
            inferred_in_range(&inferred.date) || rfc3339_in_range(&inferred.date),
            "an inferred date of no documented shape: {inferred:?}"
        );
    }
}

fn check_span(span: Span, text: &str) {
    assert!(
        span.start <= span.end
            && span.end <= text.len()
            && text.is_char_boundary(span.start)
            && text.is_char_boundary(span.end),
        "span {span:?} is not a slice of the text {text:?}"
    );
}

fn check_location(at: &Location, data: &[u8]) {
    assert!(
        at.byte_start <= at.byte_end && at.byte_end <= data.len() as u64,
        "{at:?} is not a place in an input of {} bytes",
        data.len()
    );
    assert!(at.line_start <= at.line_end, "{at:?}: lines out of order");
}

/// An observed time, when there is one, is RFC 3339 within the years 1 to 9999.
fn check_observed(time: Option<&str>, what: &str) {
    if let Some(time) = time {
        assert!(
            rfc3339_in_range(time),
            "{what} {time:?} is not an RFC 3339 time of the years 1 to 9999"
        );
    }
}

/// A day (`YYYY-MM-DD`) or a local time without offset (`YYYY-MM-DDTHH:MM`, with or without
/// seconds) of the years 1 to 9999, as an inferred date is written.
fn inferred_in_range(date: &str) -> bool {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map(|d| d.year())
        .or_else(|_| NaiveDateTime::parse_from_str(date, "%Y-%m-%dT%H:%M").map(|d| d.year()))
        .or_else(|_| NaiveDateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%S").map(|d| d.year()))
        .is_ok_and(|year| (1..=9999).contains(&year))
}

fn rfc3339_in_range(time: &str) -> bool {
    DateTime::parse_from_rfc3339(time).is_ok_and(|t| (1..=9999).contains(&t.year()))
}
