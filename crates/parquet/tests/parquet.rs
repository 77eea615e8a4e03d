//! The Parquet export read back: the same rows and values as the JSON Lines export of the same
//! archive, field by field, with the documented types; row groups that stay bounded.

#[path = "common/read_back.rs"]
mod read_back;

use std::fs::File;
use std::path::{Path, PathBuf};

use parquet::basic::{Compression, ConvertedType, LogicalType, Repetition, Type as Physical};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::schema::types::Type;
use tempfile::TempDir;
use tgscope_engine::export::{ExportForward, ExportLink, ExportNamedEntity, ExportRecord};
use tgscope_engine::{Engine, ExportFormat, IngestOptions, NoProgress, PostFilter};
use tgscope_parquet::{ParquetSink, RowGroups, export_fields};

use read_back::{Json, assert_same, parse_jsonl, read_rows};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// The bundled examples (two channels with copies of each other's posts, a Desktop copy) and a
/// Desktop JSON export (senders, replies, reactions, formatting entities, a poll, a sticker),
/// in one archive.
fn archive() -> (TempDir, Engine) {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let mut engine = Engine::open(&tmp.path().join("archive")).expect("archive");
    for (path, channel) in [
        ("examples/captures/mfa-digest.txt", Some("mfa_digest")),
        ("examples/captures/cis-echo.txt", Some("cis_echo")),
        ("examples/captures/desktop-copy.txt", None),
        (
            "crates/read/tests/fixtures/desktop-json/single_channel.json",
            None,
        ),
    ] {
        let options = IngestOptions {
            channel: channel.map(str::to_string),
            ..IngestOptions::default()
        };
        engine
            .ingest(&[repo(path)], &options, &mut NoProgress)
            .expect("ingest");
    }
    (tmp, engine)
}

fn export_jsonl(engine: &mut Engine) -> Vec<Json> {
    let mut out = Vec::new();
    engine
        .export(&PostFilter::default(), ExportFormat::Jsonl, &mut out)
        .expect("export");
    parse_jsonl(&String::from_utf8(out).expect("UTF-8"))
}

fn export_parquet(engine: &mut Engine, path: &Path) -> u64 {
    let mut sink =
        ParquetSink::<_, ExportRecord>::new(File::create(path).expect("create")).expect("sink");
    let count = engine
        .for_each_export_record(&PostFilter::default(), |r| {
            sink.push(r)
                .map_err(|e| tgscope_engine::EngineError::Output(std::io::Error::other(e)))
        })
        .expect("export");
    let finished = sink.finish().expect("finish");
    assert_eq!(finished.rows, count);
    count
}

/// Whether any record has a value other than null, `[]` or `{}` at this path of fields
/// (lists are looked into).
fn somewhere(records: &[Json], path: &[&str]) -> bool {
    fn filled(v: &Json, path: &[&str]) -> bool {
        match (v, path.split_first()) {
            (Json::List(items), _) => items.iter().any(|i| filled(i, path)),
            (Json::Null, _) => false,
            (Json::Object(fields), None) => !fields.is_empty(),
            (_, None) => true,
            (Json::Object(_), Some((first, rest))) => filled(v.get(first), rest),
            (_, Some(_)) => false,
        }
    }
    records.iter().any(|r| filled(r, path))
}

#[test]
fn parquet_rows_are_the_jsonl_records_field_by_field() {
    let (tmp, mut engine) = archive();
    let jsonl = export_jsonl(&mut engine);
    let path = tmp.path().join("posts.parquet");
    let count = export_parquet(&mut engine, &path);
    let rows = read_rows(&path);

    assert_eq!(rows.len() as u64, count);
    assert_eq!(rows.len(), jsonl.len());
    assert!(jsonl.len() >= 20, "{} records", jsonl.len());
    for (i, (line, row)) in jsonl.iter().zip(&rows).enumerate() {
        assert_same(&format!("record {i}"), line, row);
    }

    // The comparison above covered every kind of value: the archive has each of these.
    for path in [
        &["date_inferred", "detail"][..],
        &["date_inferred", "basis"],
        &["date"],
        &["forwarded_from", "title"],
        &["forwarded_from", "sender_id"],
        &["hashtags"],
        &["mentions"],
        &["links", "url"],
        &["links", "label"],
        &["media", "placeholder"],
        &["media", "attrs"],
        &["media", "poll", "answers", "voters"],
        &["countries"],
        &["named_entities", "spans"],
        &["views"],
        &["edited"],
        &["channel_tg_id"],
        &["channel_kind"],
        &["sender", "name"],
        &["sender", "id"],
        &["reply_to", "message_id"],
        &["via_bot"],
        &["reactions", "count"],
        &["entities", "attrs"],
        &["cluster"],
        &["copy_of", "relation"],
    ] {
        assert!(
            somewhere(&jsonl, path),
            "no record has {path:?}: the test archive should"
        );
    }
    // And nulls: a post with no forward, no inferred date, no copies.
    assert!(jsonl.iter().any(|r| r.get("forwarded_from") == &Json::Null));
    assert!(jsonl.iter().any(|r| r.get("copy_of") == &Json::Null));
    assert!(jsonl.iter().any(|r| r.get("date_inferred") == &Json::Null));
}

/// The top-level columns of the file are the JSON Lines fields in their order, and every leaf
/// has a documented type: INT64, BOOLEAN or UTF-8 strings, zstd-compressed.
#[test]
fn the_schema_has_the_jsonl_fields_and_the_documented_types() {
    let (tmp, mut engine) = archive();
    let jsonl = export_jsonl(&mut engine);
    let path = tmp.path().join("posts.parquet");
    export_parquet(&mut engine, &path);

    let reader = SerializedFileReader::new(File::open(&path).expect("open")).expect("parquet");
    let meta = reader.metadata();
    let root = meta.file_metadata().schema();
    let columns: Vec<&str> = root.get_fields().iter().map(|f| f.name()).collect();
    assert_eq!(columns, jsonl[0].keys());
    let declared: Vec<String> = export_fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(columns, declared);

    let kv = meta
        .file_metadata()
        .key_value_metadata()
        .expect("key/value metadata");
    assert!(
        kv.iter()
            .any(|e| e.key == "tgscope.record" && e.value.as_deref() == Some("post")),
        "{kv:?}"
    );

    let top = |name: &str| {
        root.get_fields()
            .iter()
            .find(|f| f.name() == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    // Nullable where JSON Lines has null; lists never null.
    assert_eq!(
        top("id").get_basic_info().repetition(),
        Repetition::REQUIRED
    );
    assert_eq!(
        top("message_id").get_basic_info().repetition(),
        Repetition::OPTIONAL
    );
    assert_eq!(
        top("forwarded_from").get_basic_info().repetition(),
        Repetition::OPTIONAL
    );
    assert_eq!(
        top("hashtags").get_basic_info().repetition(),
        Repetition::REQUIRED
    );
    assert_eq!(
        top("hashtags").get_basic_info().logical_type_ref(),
        Some(&LogicalType::List)
    );
    assert!(matches!(
        top("media").get_fields()[0].get_fields()[0]
            .get_fields()
            .iter()
            .find(|f| f.name() == "attrs")
            .expect("attrs")
            .get_basic_info()
            .converted_type(),
        ConvertedType::MAP
    ));

    let mut leaves = Vec::new();
    fn walk<'a>(t: &'a Type, path: String, leaves: &mut Vec<(String, &'a Type)>) {
        for f in t.get_fields() {
            let p = format!("{path}{}", f.name());
            if f.is_primitive() {
                leaves.push((p, f.as_ref()));
            } else {
                walk(f, format!("{p}."), leaves);
            }
        }
    }
    walk(root, String::new(), &mut leaves);
    for (path, leaf) in &leaves {
        match leaf.get_physical_type() {
            Physical::INT64 | Physical::BOOLEAN => {
                assert_eq!(leaf.get_basic_info().logical_type_ref(), None, "{path}")
            }
            Physical::BYTE_ARRAY => assert_eq!(
                leaf.get_basic_info().logical_type_ref(),
                Some(&LogicalType::String),
                "{path}"
            ),
            other => panic!("{path} is {other:?}"),
        }
    }
    assert_eq!(
        leaves
            .iter()
            .find(|(p, _)| p == "named_entities.list.element.spans.list.element.list.element")
            .map(|(_, t)| t.get_physical_type()),
        Some(Physical::INT64),
        "{:?}",
        leaves.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for rg in meta.row_groups() {
        for c in rg.columns() {
            assert!(
                matches!(c.compression(), Compression::ZSTD(_)),
                "{:?}",
                c.column_path()
            );
        }
    }
}

/// A small record with every list filled, for the volume tests.
fn synthetic(id: i64, text: String) -> ExportRecord {
    ExportRecord {
        id,
        channel: format!("channel_{}", id % 7),
        channel_title: (id % 2 == 0).then(|| format!("Channel {}", id % 7)),
        channel_username: Some(format!("channel_{}", id % 7)),
        message_id: Some(id * 10),
        permalink: None,
        date: Some(format!("2024-03-{:02}T12:00:00Z", id % 28 + 1)),
        date_inferred: None,
        raw_text: text.clone(),
        text,
        forwarded_from: (id % 3 == 0).then(|| ExportForward {
            title: Some("Russian MFA 🇷🇺".into()),
            username: None,
            message_id: Some(id),
            date: None,
            sender_id: None,
        }),
        author: None,
        hashtags: vec!["BRICS".into(); (id % 3) as usize],
        mentions: Vec::new(),
        links: vec![ExportLink {
            url: None,
            label: "Read in full".into(),
        }],
        media: Vec::new(),
        countries: vec!["RU".into(), "IN".into()],
        named_entities: vec![ExportNamedEntity {
            kind: "country".into(),
            id: "RU".into(),
            name: "Russia".into(),
            listed: true,
            spans: vec![[0, 2], [5, 7]],
        }],
        views: Some(id as u64 * 3),
        edited: None,
        unviewable: false,
        version: 1,
        versions: 1,
        captures: vec!["ab".repeat(32)],
        channel_tg_id: None,
        channel_kind: None,
        sender: None,
        edited_at: None,
        reply_to: None,
        via_bot: None,
        saved_from: None,
        reactions: Vec::new(),
        entities: Vec::new(),
        cluster: None,
        copy_of: None,
    }
}

#[test]
fn a_large_export_is_written_in_several_row_groups() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let path = tmp.path().join("large.parquet");
    let n = 50_000i64;
    let mut sink =
        ParquetSink::<_, ExportRecord>::new(File::create(&path).expect("create")).expect("sink");
    // The writer's memory does not grow with the number of rows: it holds one row group.
    let mut most = [0usize; 2];
    for id in 1..=n {
        sink.push(&synthetic(id, format!("Post {id} about #BRICS")))
            .expect("push");
        let half = usize::from(id > n / 2);
        most[half] = most[half].max(sink.memory_size());
    }
    assert!(most[1] <= most[0] * 2, "{most:?} bytes");
    assert!(most[1] < RowGroups::default().bytes, "{most:?} bytes");
    assert_eq!(sink.rows(), n as u64);
    let finished = sink.finish().expect("finish");
    assert_eq!(finished.rows, n as u64);
    let per_group = RowGroups::default().rows;
    let expected_groups = (n as usize).div_ceil(per_group);
    assert_eq!(finished.row_groups, expected_groups);

    let reader = SerializedFileReader::new(File::open(&path).expect("open")).expect("parquet");
    let meta = reader.metadata();
    assert_eq!(meta.num_row_groups(), expected_groups);
    assert_eq!(meta.file_metadata().num_rows(), n);
    for rg in meta.row_groups() {
        assert!(rg.num_rows() as usize <= per_group, "{}", rg.num_rows());
    }
    let rows = read_rows(&path);
    assert_eq!(rows.len(), n as usize);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.get("id"), &Json::Int(i as i64 + 1));
    }
    let last = &rows[n as usize - 1];
    let expected: Json = serde_json::from_str(
        &serde_json::to_string(&synthetic(n, format!("Post {n} about #BRICS"))).expect("json"),
    )
    .expect("parse");
    assert_same("last row", &expected, last);
}

/// Long posts close row groups by their size before the row limit: the writer holds one row
/// group of about `bytes` at a time.
#[test]
fn row_groups_are_cut_by_size_too() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let path = tmp.path().join("long.parquet");
    let limits = RowGroups {
        rows: 100_000,
        bytes: 1 << 20,
    };
    let mut sink = ParquetSink::<_, ExportRecord>::with_row_groups(
        File::create(&path).expect("create"),
        limits,
    )
    .expect("sink");
    // 20,000 posts of 300 random letters (6 MB of text, twice: `text` and `raw_text`), each
    // different so that compression does not shrink them to nothing.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for id in 1..=20_000 {
        let text: String = (0..300)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                char::from(b'a' + (seed % 26) as u8)
            })
            .collect();
        sink.push(&synthetic(id, text)).expect("push");
    }
    let finished = sink.finish().expect("finish");
    assert_eq!(finished.rows, 20_000);
    let reader = SerializedFileReader::new(File::open(&path).expect("open")).expect("parquet");
    let groups = reader.metadata().row_groups();
    let sizes: Vec<(i64, i64)> = groups
        .iter()
        .map(|rg| (rg.num_rows(), rg.compressed_size()))
        .collect();
    assert!(groups.len() >= 5, "{sizes:?}");
    assert_eq!(finished.row_groups, groups.len());
    assert_eq!(sizes.iter().map(|(rows, _)| rows).sum::<i64>(), 20_000);
    for (rows, bytes) in &sizes {
        assert!(*bytes <= 1 << 20, "{rows} rows in {bytes} bytes: {sizes:?}");
    }
}

#[test]
fn an_empty_export_is_a_file_with_the_columns_and_no_rows() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let path = tmp.path().join("empty.parquet");
    let sink =
        ParquetSink::<_, ExportRecord>::new(File::create(&path).expect("create")).expect("sink");
    let finished = sink.finish().expect("finish");
    assert_eq!((finished.rows, finished.row_groups), (0, 0));
    let reader = SerializedFileReader::new(File::open(&path).expect("open")).expect("parquet");
    assert_eq!(reader.metadata().file_metadata().num_rows(), 0);
    assert_eq!(
        reader
            .metadata()
            .file_metadata()
            .schema()
            .get_fields()
            .len(),
        export_fields().len()
    );
}

/// An output that fails once `limit` bytes have been written (a full disk).
#[derive(Debug)]
struct FullDisk {
    written: usize,
    limit: usize,
}

impl std::io::Write for FullDisk {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written + buf.len() > self.limit {
            return Err(std::io::Error::other("no space left on the test disk"));
        }
        self.written += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The writer thread's failure comes back to the caller as an error (not a panic, not a
/// silently short file), and a sink dropped before it is finished leaves no footer.
#[test]
fn a_failing_output_is_an_error_and_an_abandoned_file_has_no_footer() {
    let mut sink = ParquetSink::<_, ExportRecord>::with_row_groups(
        FullDisk {
            written: 0,
            limit: 64 << 10,
        },
        RowGroups {
            rows: 1024,
            bytes: 1 << 20,
        },
    )
    .expect("sink");
    let mut failed = None;
    for id in 1..=20_000 {
        if let Err(e) = sink.push(&synthetic(id, format!("Post {id} with some text #BRICS"))) {
            failed = Some(e.to_string());
            break;
        }
    }
    let message = match failed {
        Some(m) => m,
        None => sink.finish().expect_err("the disk is full").to_string(),
    };
    assert!(message.contains("no space left"), "{message}");

    let tmp = tempfile::tempdir().expect("temporary directory");
    let path = tmp.path().join("abandoned.parquet");
    let mut sink =
        ParquetSink::<_, ExportRecord>::new(File::create(&path).expect("create")).expect("sink");
    for id in 1..=3000 {
        sink.push(&synthetic(id, format!("Post {id}")))
            .expect("push");
    }
    drop(sink);
    let bytes = std::fs::read(&path).expect("the file");
    // A footer is its metadata, its length and the magic `PAR1` after the leading `PAR1`.
    assert!(
        bytes.len() < 12 || !bytes.ends_with(b"PAR1"),
        "an abandoned file has no footer ({} bytes)",
        bytes.len()
    );
    assert!(SerializedFileReader::new(File::open(&path).expect("open")).is_err());
}
