//! The message dump reader: one snapshot test per fixture file in `tests/fixtures/dump/`, the
//! real Telethon dumps in `../shared/samples/text/` (skipped when absent, unless
//! `TGSCOPE_REQUIRE_SAMPLES` is set), a truncated dump, streaming, format sniffing, the field
//! map, times out of range, and inputs that must not make it panic.

#[path = "support/samples.rs"]
mod samples;

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{Value, json};
use tgscope_model::{CapturedPost, ReadItem};
use tgscope_read::ReadError;
use tgscope_read::dump::{DumpOptions, DumpReader, FieldMap, looks_like_dump};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dump")
        .join(name)
}

fn read_bytes(bytes: &[u8], options: DumpOptions) -> Vec<Result<ReadItem, ReadError>> {
    DumpReader::new(bytes, options).collect()
}

fn read_file(path: &Path, options: DumpOptions) -> Vec<Result<ReadItem, ReadError>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    read_bytes(&bytes, options)
}

fn posts(items: &[Result<ReadItem, ReadError>]) -> Vec<&CapturedPost> {
    items
        .iter()
        .filter_map(|i| match i {
            Ok(ReadItem::Post(p)) => Some(&**p),
            _ => None,
        })
        .collect()
}

/// Drops nulls and empty lists, and writes beside every span the text it covers.
fn tidy(value: Value, text: &str) -> Value {
    match value {
        Value::Object(o) => {
            let mut out = serde_json::Map::new();
            for (k, v) in o {
                if v.is_null() || v.as_array().is_some_and(Vec::is_empty) {
                    continue;
                }
                if k == "span"
                    && let (Some(s), Some(e)) = (v["start"].as_u64(), v["end"].as_u64())
                {
                    let covered = text
                        .get(s as usize..e as usize)
                        .expect("span inside the text");
                    out.insert("covers".into(), json!(covered));
                }
                out.insert(k, tidy(v, text));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(|v| tidy(v, text)).collect()),
        other => other,
    }
}

/// Every item of a read as JSON: posts (tidied), warnings and the error that ended it.
fn snapshot_items(items: &[Result<ReadItem, ReadError>]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|item| match item {
                Ok(ReadItem::Post(p)) => tidy(
                    serde_json::to_value(&**p).expect("post serialises"),
                    &p.text,
                ),
                Ok(ReadItem::Warning(w)) => json!({ "warning": w }),
                Ok(other) => json!({ "other": format!("{other:?}") }),
                Err(e) => json!({ "error": e.to_string() }),
            })
            .collect(),
    )
}

macro_rules! fixture {
    ($test:ident, $file:literal) => {
        fixture!($test, $file, "");
    };
    ($test:ident, $file:literal, $map:literal) => {
        #[test]
        fn $test() {
            let options = DumpOptions {
                map: FieldMap::parse($map).expect("field map"),
                ..DumpOptions::default()
            };
            let items = read_file(&fixture($file), options);
            insta::assert_json_snapshot!(stringify!($test), snapshot_items(&items));
        }
    };
}

fixture!(telethon_array, "telethon_array.json");
fixture!(lines, "lines.jsonl");
fixture!(telethon_to_dict, "telethon_to_dict.json");
fixture!(other_names, "other_names.jsonl");
fixture!(pyrogram, "pyrogram.json");
fixture!(truncated, "truncated.json");
fixture!(
    mapped,
    "mapped.jsonl",
    "id=n,text=msg,date=ts,channel=src.name,views=seen,reply_to=re"
);

#[test]
fn every_fixture_file_has_a_test() {
    let mut found: Vec<String> = std::fs::read_dir(fixture(""))
        .expect("fixtures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            "lines.jsonl",
            "mapped.jsonl",
            "other_names.jsonl",
            "pyrogram.json",
            "telethon_array.json",
            "telethon_to_dict.json",
            "truncated.json",
        ]
    );
}

#[test]
fn markdown_becomes_clean_text_entities_and_links() {
    let items = read_file(&fixture("telethon_array.json"), DumpOptions::default());
    let posts = posts(&items);
    assert_eq!(posts.len(), 6, "the empty post is a post too");
    let first = posts[0];
    assert_eq!(first.message_id, Some(4107));
    assert_eq!(first.date.as_deref(), Some("2024-11-22T18:12:19Z"));
    assert_eq!(
        first.text,
        "🇷🇺 Погода в Москве: на выходных до +5 градусов\n\nБерите зонт! Подробнее на сайте #погода"
    );
    assert!(
        first.raw_text.contains("**Погода в Москве:**"),
        "raw text as in the dump"
    );
    let covered = |p: &CapturedPost, kind: &str| -> Vec<String> {
        p.entities
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| p.text[e.span.start..e.span.end].to_string())
            .collect()
    };
    assert_eq!(covered(first, "bold"), ["Погода в Москве:"]);
    assert_eq!(covered(first, "italic"), ["Берите зонт!"]);
    assert_eq!(first.links.len(), 1);
    assert_eq!(first.links[0].label, "на сайте");
    assert_eq!(
        first.links[0].url.as_deref(),
        Some("https://meteo.example.ru/moscow?utm_source=tg")
    );
    assert_eq!(first.hashtags[0].value, "погода");
    assert_eq!(first.countries[0].code, "RU");
    let channel = first.channel.as_ref().expect("channel");
    assert_eq!(channel.title.as_deref(), Some("Example News"));
    assert_eq!(
        first.sender.as_ref().and_then(|s| s.id.as_deref()),
        Some("channel1234567890")
    );
    // A crossed bold link, and a bare URL whose underscores are not italics.
    let second = posts[1];
    assert_eq!(
        second.text,
        "Read in full — mirror: https://files.example.org/a__b__c.pdf"
    );
    assert_eq!(covered(second, "bold"), ["Read in full"]);
    assert_eq!(covered(second, "text_link"), ["Read in full"]);
    let urls: Vec<_> = second
        .links
        .iter()
        .filter_map(|l| l.url.as_deref())
        .collect();
    assert_eq!(
        urls,
        [
            "https://example.org/report",
            "https://files.example.org/a__b__c.pdf"
        ]
    );
    // Code, pre, strikethrough and a mention by user id.
    let third = posts[2];
    assert_eq!(covered(third, "code"), ["SPRING24"]);
    assert_eq!(covered(third, "strikethrough"), ["until May"]);
    assert_eq!(covered(third, "pre"), ["print(\"**not bold**\")"]);
    assert_eq!(covered(third, "mention_name"), ["the editor"]);
    assert_eq!(third.mentions[0].value, "example_support");
    // Empty text.
    assert_eq!(posts[3].text, "");
    assert_eq!(posts[3].message_id, Some(4104));
    // Markup without a partner stays.
    assert_eq!(
        posts[4].text,
        "2 ** 3 = 8, see note [1] and snake__case names"
    );
    assert!(posts[4].entities.is_empty());
    // CRLF, bold over nothing but a line break, trailing spaces in bold, blank lines.
    let last = posts[5];
    assert_eq!(
        last.text,
        "🚙 Rules changed today\n\nThey apply from March 1\n\nSource: ministry"
    );
    assert_eq!(covered(last, "bold"), ["March 1"]);
    assert_eq!(covered(last, "italic"), ["ministry"]);
}

#[test]
fn truncated_dump_keeps_what_comes_before_and_names_the_offset() {
    let path = fixture("truncated.json");
    let text = std::fs::read_to_string(&path).expect("fixture");
    let items = read_file(&path, DumpOptions::default());
    let ids: Vec<_> = posts(&items).iter().map(|p| p.message_id).collect();
    assert_eq!(ids, [Some(11), Some(10)]);
    let Some(Err(ReadError::Malformed { byte, reason })) = items.last() else {
        panic!("the read ends with an error: {items:?}");
    };
    let third = text.rfind('{').expect("third record") as u64;
    assert_eq!(
        *byte, third,
        "the error names where the damaged record starts"
    );
    assert!(reason.contains("[2]"), "{reason}");
    assert!(reason.contains(&format!("byte {}", text.len())), "{reason}");
    assert_eq!(items.len(), 3);
}

#[test]
fn damage_between_records_and_after_the_list() {
    let cases: &[(&str, usize, &str)] = &[
        (
            r#"[{"id": 1, "text": "a"} {"id": 2, "text": "b"}]"#,
            1,
            "expected ',' or ']'",
        ),
        (r#"[{"id": 1, "text": "a"},"#, 1, "ends inside the list"),
        (r#"[{"id": 1, "text": "a"}"#, 1, "before the list's closing"),
        (
            r#"[{"id": 1, "text": "a"}] trailing"#,
            1,
            "after the list's closing",
        ),
        (
            r#"[{"id": 1, "text": "a"}, {"id": 2, "text": x}]"#,
            1,
            "not valid JSON",
        ),
        (
            "{\"id\": 1, \"text\": \"a\"}\n{\"id\": 2, \"te",
            1,
            "cut off",
        ),
        ("garbage", 0, "starts with '['"),
    ];
    for (input, n, message) in cases {
        let items = read_bytes(input.as_bytes(), DumpOptions::default());
        assert_eq!(posts(&items).len(), *n, "{input}");
        match items.last() {
            Some(Err(e)) => assert!(e.to_string().contains(message), "{input}: {e}"),
            other => panic!("{input}: ends with {other:?}"),
        }
    }
    // A trailing comma and an empty list are let pass.
    let items = read_bytes(br#"[{"id": 1, "text": "a"},]"#, DumpOptions::default());
    assert!(items.iter().all(Result::is_ok) && posts(&items).len() == 1);
    assert!(read_bytes(b"  [ ]  ", DumpOptions::default()).is_empty());
    assert!(read_bytes(b"", DumpOptions::default()).is_empty());
}

#[test]
fn locations_point_at_records() {
    let bytes =
        b"\xEF\xBB\xBF[\n {\"id\": 1, \"text\": \"a\"},\n {\"id\": 2,\n  \"text\": \"b\"}\n]\n";
    let items = read_bytes(bytes, DumpOptions::default());
    let posts = posts(&items);
    let at = |p: &CapturedPost| {
        let l = &p.location;
        (
            &bytes[l.byte_start as usize..l.byte_end as usize],
            l.line_start,
            l.line_end,
            l.locator.clone().unwrap_or_default(),
        )
    };
    assert_eq!(
        at(posts[0]),
        (&br#"{"id": 1, "text": "a"}"#[..], 2, 2, "[0]".to_string())
    );
    assert_eq!(
        at(posts[1]),
        (
            &b"{\"id\": 2,\n  \"text\": \"b\"}"[..],
            3,
            4,
            "[1]".to_string()
        )
    );
    let lines = read_bytes(b"{\"id\": 1}\n\n{\"id\": 2}\n", DumpOptions::default());
    let locators: Vec<_> = crate::posts(&lines)
        .iter()
        .map(|p| p.location.locator.clone().unwrap_or_default())
        .collect();
    assert_eq!(locators, ["line 1", "line 3"]);
}

#[test]
fn times_without_offset_are_inferred_once_warned_or_read_with_an_offset() {
    let input = b"{\"id\": 1, \"text\": \"a\", \"date\": \"2024-05-01 09:30:00\"}\n{\"id\": 2, \"text\": \"b\", \"date\": \"2024-05-01T09:45:00\"}\n";
    let items = read_bytes(input, DumpOptions::default());
    let warnings = items
        .iter()
        .filter(|i| matches!(i, Ok(ReadItem::Warning(_))))
        .count();
    assert_eq!(warnings, 1, "{items:?}");
    let inferred: Vec<_> = posts(&items)
        .iter()
        .map(|p| {
            assert!(p.date.is_none());
            let d = p.date_inferred.as_ref().expect("inferred");
            assert_eq!(d.basis, tgscope_model::DateBasis::ExportLocalTime);
            d.date.clone()
        })
        .collect();
    assert_eq!(inferred, ["2024-05-01T09:30:00", "2024-05-01T09:45:00"]);
    let options = DumpOptions {
        utc_offset: chrono::FixedOffset::east_opt(3 * 3600),
        ..DumpOptions::default()
    };
    let items = read_bytes(input, options);
    assert!(items.iter().all(|i| matches!(i, Ok(ReadItem::Post(_)))));
    let dates: Vec<_> = posts(&items).iter().map(|p| p.date.clone()).collect();
    assert_eq!(
        dates,
        [
            Some("2024-05-01T06:30:00Z".to_string()),
            Some("2024-05-01T06:45:00Z".to_string())
        ]
    );
}

#[test]
fn times_outside_the_years_1_to_9999_are_refused_with_a_warning() {
    // Numbers this large are milliseconds: 253402300800000 is 10000-01-01T00:00:00Z, and
    // 253402300799000 the last second of the year 9999; 1e300 and -1e300 are far outside.
    let input = b"{\"id\": 1, \"text\": \"a\", \"date\": 253402300800000}\n\
{\"id\": 2, \"text\": \"b\", \"date\": 1e300}\n\
{\"id\": 3, \"text\": \"c\", \"date\": -1e300}\n\
{\"id\": 4, \"text\": \"d\", \"date\": 253402300799000}\n\
{\"id\": 5, \"text\": \"e\", \"date\": 1732299139}\n";
    let items = read_bytes(input, DumpOptions::default());
    let warnings: Vec<&str> = items
        .iter()
        .filter_map(|i| match i {
            Ok(ReadItem::Warning(w)) => Some(w.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("the time 253402300800000 is past the year 9999"),
        "{}",
        warnings[0]
    );
    assert!(
        !warnings[0].contains("not one tgscope reads"),
        "{}",
        warnings[0]
    );
    let got: Vec<(Option<i64>, Option<&str>)> = posts(&items)
        .iter()
        .map(|p| (p.message_id, p.date.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (Some(1), None),
            (Some(2), None),
            (Some(3), None),
            (Some(4), Some("9999-12-31T23:59:59Z")),
            (Some(5), Some("2024-11-22T18:12:19Z")),
        ]
    );
    assert!(posts(&items).iter().all(|p| p.date_inferred.is_none()));
}

#[test]
fn field_map_parses_and_refuses() {
    let map = FieldMap::parse("id=msg_id, text=message,date=ts,forward=fwd.name").expect("parses");
    assert_eq!(map.id.as_deref(), Some("msg_id"));
    assert_eq!(map.text.as_deref(), Some("message"));
    assert_eq!(map.date.as_deref(), Some("ts"));
    assert_eq!(map.forwarded_from.as_deref(), Some("fwd.name"));
    assert_eq!(FieldMap::parse("").expect("empty"), FieldMap::default());
    for (bad, says) in [
        ("idd=x", "unknown name `idd`"),
        ("id", "not NAME=FIELD"),
        ("id=", "names no field"),
        ("id=a,id=b", "given twice"),
    ] {
        let e = FieldMap::parse(bad).expect_err(bad);
        assert!(e.contains(says), "{bad}: {e}");
    }
    let record = json!({"msg_id": "7", "id": "uuid-1", "body": "x", "timestamp": 1, "chat": "c"});
    let detected = FieldMap::detect(record.as_object().expect("object"));
    assert_eq!(detected.id.as_deref(), Some("msg_id"));
    assert_eq!(detected.text.as_deref(), Some("body"));
    assert_eq!(detected.date.as_deref(), Some("timestamp"));
    assert_eq!(detected.channel.as_deref(), Some("chat"));
}

#[test]
fn a_mapped_field_missing_from_the_first_record_is_warned_about() {
    let options = DumpOptions {
        map: FieldMap::parse("text=body_md").expect("map"),
        ..DumpOptions::default()
    };
    let items = read_bytes(br#"[{"id": 1, "text": "not read"}]"#, options);
    assert!(
        matches!(&items[0], Ok(ReadItem::Warning(w)) if w.contains("`body_md`")),
        "{items:?}"
    );
    assert_eq!(posts(&items)[0].text, "");
}

#[test]
fn sniffing() {
    for name in [
        "telethon_array.json",
        "lines.jsonl",
        "telethon_to_dict.json",
        "other_names.jsonl",
        "pyrogram.json",
        "truncated.json",
    ] {
        let head = std::fs::read_to_string(fixture(name)).expect("fixture");
        assert!(looks_like_dump(&head), "{name}");
        // Cut inside the first record, just after its text field's name and colon.
        let key = ["\"text\"", "\"message\"", "\"body\"", "\"caption\""]
            .iter()
            .filter_map(|k| head.find(k).map(|at| at + k.len() + 2))
            .min()
            .expect("a text field");
        assert!(
            looks_like_dump(&head[..key]),
            "{name} (cut after the text field)"
        );
    }
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for other in [
        "desktop-json/single_channel.json",
        "desktop-json/full_export_old.json",
        "text/russian_web_copy.txt",
    ] {
        let head = std::fs::read_to_string(fixtures.join(other)).expect("fixture");
        assert!(!looks_like_dump(&head), "{other}");
    }
    for not_dump in [
        "",
        "[1, 2, 3]",
        r#"{"a": 1}"#,
        r#"{"name": "x", "id": 1, "messages": [{"id": 1, "text": "a"}]}"#,
        "<html><body>",
        r#"[{"id": 1, "nested": {"text": "a"}}]"#,
    ] {
        assert!(!looks_like_dump(not_dump), "{not_dump}");
    }
}

/// A dump without an end: `[` and then records forever.
struct Endless {
    next: u64,
    buffer: Vec<u8>,
}

impl Read for Endless {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.buffer.is_empty() {
            if self.next == 0 {
                self.buffer.extend_from_slice(b"[\n");
            }
            self.next += 1;
            let record = json!({"message_id": self.next, "text": "**x**", "date": 1714550400});
            self.buffer
                .extend_from_slice(format!("{record},\n").as_bytes());
        }
        let n = out.len().min(self.buffer.len());
        out[..n].copy_from_slice(&self.buffer[..n]);
        self.buffer.drain(..n);
        Ok(n)
    }
}

#[test]
fn records_stream_without_the_whole_file() {
    let source = BufReader::with_capacity(
        64,
        Endless {
            next: 0,
            buffer: Vec::new(),
        },
    );
    let reader = DumpReader::new(source, DumpOptions::default());
    let ids: Vec<_> = reader
        .take(1000)
        .map(|item| match item {
            Ok(ReadItem::Post(p)) => p.message_id,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids.len(), 1000);
    assert_eq!(ids[999], Some(1000));
}

/// The real Telethon dumps: (file, messages, channel title, sender id), counted from the files.
const SAMPLES: &[(&str, usize, &str, &str)] = &[
    (
        "newsclassifier_naked-science_ru_telethon-dump.json",
        967,
        "Naked Science",
        "channel1000724666",
    ),
    (
        "newsclassifier_moscow-news_ru_telethon-dump.json",
        672,
        "Новости Москвы",
        "channel1003313758",
    ),
];

#[test]
fn real_telethon_dumps() {
    let Some(dir) = samples::dir("text") else {
        return;
    };
    let link = regex::Regex::new(r"\[([^\]]+)\]\((https?://[^)\s]+)\)").expect("pattern");
    for (file, count, title, sender) in SAMPLES {
        let path = dir.join(file);
        let source: Vec<Value> =
            serde_json::from_slice(&std::fs::read(&path).expect("sample")).expect("JSON");
        assert_eq!(source.len(), *count, "{file}: messages in the file");
        let items: Vec<_> = DumpReader::new(
            BufReader::new(std::fs::File::open(&path).expect("sample")),
            DumpOptions::default(),
        )
        .collect();
        for item in &items {
            assert!(
                matches!(item, Ok(ReadItem::Post(_))),
                "{file}: only posts, no warnings or errors: {item:?}"
            );
        }
        let posts = posts(&items);
        assert_eq!(posts.len(), *count, "{file}: posts");
        let mut markdown_links = 0;
        for (post, raw) in posts.iter().zip(&source) {
            let raw_text = raw["text"].as_str().expect("text");
            assert_eq!(
                post.message_id,
                raw["message_id"].as_i64(),
                "{file}: ids in order"
            );
            let raw_date = raw["date"].as_str().expect("date");
            assert_eq!(
                post.date.as_deref(),
                Some(raw_date.replace("+00:00", "Z").as_str()),
                "{file}: message {:?}",
                post.message_id
            );
            assert_eq!(post.raw_text, raw_text);
            let channel = post.channel.as_ref().expect("channel");
            assert_eq!(channel.title.as_deref(), Some(*title));
            assert_eq!(
                post.sender.as_ref().and_then(|s| s.id.as_deref()),
                Some(*sender)
            );
            let id = post.message_id;
            for markup in ["**", "__", "]("] {
                assert!(
                    !post.text.contains(markup),
                    "{file}: message {id:?} keeps {markup}: {}",
                    post.text
                );
            }
            assert_eq!(
                tgscope_text::normalize::clean_text(&post.text),
                post.text,
                "{file}: message {id:?}: clean"
            );
            for e in &post.entities {
                assert!(post.text.get(e.span.start..e.span.end).is_some());
            }
            // Every markdown link is a link of the post, in order, with its label at its span.
            let text_links: Vec<_> = post
                .links
                .iter()
                .filter(|l| {
                    post.entities
                        .iter()
                        .any(|e| e.kind == "text_link" && Some(e.span) == l.span)
                })
                .collect();
            let written: Vec<_> = link.captures_iter(raw_text).collect();
            assert_eq!(
                text_links.len(),
                written.len(),
                "{file}: message {id:?}: links"
            );
            for (found, caps) in text_links.iter().zip(&written) {
                markdown_links += 1;
                assert_eq!(found.url.as_deref(), Some(&caps[2]));
                let span = found.span.expect("span");
                assert_eq!(post.text[span.start..span.end], found.label);
                assert_eq!(
                    caps[1].replace("**", "").replace("__", "").trim(),
                    found.label,
                    "{file}: message {id:?}: label of {}",
                    &caps[2]
                );
            }
        }
        assert!(markdown_links > 0, "{file}: has markdown links");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// No input makes the reader panic.
    #[test]
    fn any_bytes_read_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = read_bytes(&bytes, DumpOptions::default());
        let mut array = b"[{\"id\": 1, \"text\": \"".to_vec();
        array.extend_from_slice(&bytes);
        let _ = read_bytes(&array, DumpOptions::default());
    }

    /// Any text, markup or not, gives a clean text whose spans lie inside it.
    #[test]
    fn any_text_gives_spans_inside_the_clean_text(
        parts in prop::collection::vec(prop::sample::select(vec![
            "**", "__", "~~", "`", "```", "[", "]", "(", ")", "](", "https://e.org/a_b",
            "tg://user?id=1", "word", "слово", " ", "\n", "\r\n", "\u{a0}", "\u{200b}",
            "e\u{301}", "😀", "🇷🇺", "#tag", "@name",
        ]), 0..40),
        entities in prop::collection::vec((0usize..60, 0usize..20), 0..4),
    ) {
        let text: String = parts.concat();
        let as_markdown = json!([{"id": 1, "text": text}]).to_string();
        let entity_list: Vec<Value> = entities
            .iter()
            .map(|(offset, length)| json!({"_": "MessageEntityBold", "offset": offset, "length": length}))
            .collect();
        let with_entities = json!([{"id": 2, "message": text, "entities": entity_list}]).to_string();
        for input in [as_markdown, with_entities] {
            let items = read_bytes(input.as_bytes(), DumpOptions::default());
            let posts = posts(&items);
            prop_assert_eq!(posts.len(), 1);
            let p = posts[0];
            prop_assert_eq!(&tgscope_text::normalize::clean_text(&p.text), &p.text);
            let spans = p
                .entities
                .iter()
                .map(|e| e.span)
                .chain(p.links.iter().filter_map(|l| l.span))
                .chain(p.hashtags.iter().chain(&p.mentions).map(|t| t.span));
            for s in spans {
                prop_assert!(s.start < s.end && p.text.get(s.start..s.end).is_some(), "{:?} in {:?}", s, p.text);
            }
        }
    }
}

#[test]
fn a_forward_origin_written_as_at_username_is_a_username_and_other_text_a_title() {
    let dump = br#"{"id": 1, "date": 1709287200, "text": "a", "forwarded_from": "@mid_russia"}
{"id": 2, "date": 1709287260, "text": "b", "forwarded_from": "MFA Russia"}
{"id": 3, "date": 1709287320, "text": "c", "forwarded_from": "@no"}
"#;
    let items = read_bytes(dump, DumpOptions::default());
    let forwards: Vec<(Option<String>, Option<String>)> = posts(&items)
        .iter()
        .map(|p| {
            let f = p.forward.as_ref().expect("a forward");
            (f.username.clone(), f.title.clone())
        })
        .collect();
    assert_eq!(
        forwards,
        vec![
            (Some("mid_russia".into()), None),
            (None, Some("MFA Russia".into())),
            // Too short for a username: kept as written.
            (None, Some("@no".into())),
        ]
    );
}
