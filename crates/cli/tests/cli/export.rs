//! `export`: every documented field on every JSON Lines record, the CSV columns, `--bom`, `-o`.

use serde_json::{Value, json};

use crate::common::{Archive, fixture, fixture_text, id_of, s, stderr, stdout};

/// The fields of an export record (docs/export.md), in order.
const FIELDS: &[&str] = &[
    "id",
    "channel",
    "channel_title",
    "channel_username",
    "message_id",
    "permalink",
    "date",
    "date_inferred",
    "text",
    "raw_text",
    "forwarded_from",
    "author",
    "hashtags",
    "mentions",
    "links",
    "media",
    "countries",
    "named_entities",
    "views",
    "edited",
    "unviewable",
    "version",
    "versions",
    "captures",
    "channel_tg_id",
    "channel_kind",
    "sender",
    "edited_at",
    "reply_to",
    "via_bot",
    "saved_from",
    "reactions",
    "entities",
    "cluster",
    "copy_of",
];

/// The CSV columns (docs/export.md), in order.
const CSV_COLUMNS: &[&str] = &[
    "id",
    "channel",
    "channel_title",
    "channel_username",
    "message_id",
    "permalink",
    "date",
    "date_inferred",
    "date_inferred_basis",
    "date_inferred_evidence",
    "date_inferred_detail",
    "text",
    "raw_text",
    "forwarded_from_title",
    "forwarded_from_username",
    "forwarded_from_message_id",
    "forwarded_from_date",
    "author",
    "hashtags",
    "mentions",
    "links",
    "media",
    "countries",
    "named_entities",
    "views",
    "edited",
    "unviewable",
    "version",
    "versions",
    "captures",
    "channel_tg_id",
    "channel_kind",
    "sender_name",
    "sender_id",
    "edited_at",
    "reply_to_message_id",
    "reply_to_chat_id",
    "via_bot",
    "saved_from",
    "forwarded_from_sender_id",
    "reactions",
    "entities",
    "cluster",
    "copy_of",
    "copy_relation",
];

/// `web-mfa.txt` then its edited copy as `mfa_test`, and `desktop-ru.txt` as `mid_ru`.
fn archive() -> Archive {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa_test");
    a.ingest(&fixture("web-mfa-edited.txt"), "mfa_test");
    a.ingest(&fixture("desktop-ru.txt"), "mid_ru");
    a
}

fn is_string_or_null(v: &Value) -> bool {
    v.is_string() || v.is_null()
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn assert_has_fields(v: &Value, fields: &[&str]) {
    let present = keys(v);
    for f in fields {
        assert!(present.contains(f), "field {f} missing in {v}");
    }
}

#[test]
fn every_jsonl_record_has_every_documented_field() {
    let a = archive();
    let text = a.ok(["export", "--format", "jsonl"]);
    assert!(text.ends_with('\n'));
    assert!(!text.starts_with('\u{feff}'), "no BOM without --bom");
    assert!(
        text.contains("Russian MFA 🇷🇺") && text.contains("МИД России"),
        "non-ASCII text is written as is"
    );
    assert!(!text.contains("\\u"), "no \\u escapes");
    let records = crate::common::parse_jsonl(&text);
    assert_eq!(records.len(), 9);

    let shas: Vec<String> = a
        .captures()
        .iter()
        .map(|c| s(c, "sha256").to_string())
        .collect();
    assert_eq!(shas.len(), 3);

    for r in &records {
        assert_has_fields(r, FIELDS);
        assert!(r["id"].is_i64(), "{r}");
        assert!(r["channel"].is_string(), "{r}");
        for f in [
            "channel_title",
            "channel_username",
            "permalink",
            "date",
            "author",
        ] {
            assert!(is_string_or_null(&r[f]), "{f} in {r}");
        }
        assert!(r["message_id"].is_i64() || r["message_id"].is_null(), "{r}");
        assert!(r["text"].is_string() && r["raw_text"].is_string(), "{r}");
        match &r["date_inferred"] {
            Value::Null => {}
            d => {
                assert_has_fields(d, &["date", "basis", "evidence", "detail"]);
                assert!(d["date"].is_string() && d["basis"].is_string());
                assert!(d["evidence"].is_string() && is_string_or_null(&d["detail"]));
            }
        }
        match &r["forwarded_from"] {
            Value::Null => {}
            f => {
                assert_has_fields(f, &["title", "username", "message_id", "date"]);
                assert!(is_string_or_null(&f["title"]) && is_string_or_null(&f["username"]));
                assert!(f["message_id"].is_i64() || f["message_id"].is_null());
                assert!(is_string_or_null(&f["date"]));
            }
        }
        for list in ["hashtags", "mentions", "countries"] {
            let items = r[list]
                .as_array()
                .unwrap_or_else(|| panic!("{list} in {r}"));
            assert!(items.iter().all(Value::is_string), "{list} in {r}");
        }
        for link in r["links"].as_array().expect("links") {
            assert_has_fields(link, &["url", "label"]);
            assert!(is_string_or_null(&link["url"]) && link["label"].is_string());
        }
        for m in r["media"].as_array().expect("media") {
            assert_has_fields(
                m,
                &[
                    "kind",
                    "placeholder",
                    "label",
                    "file_name",
                    "mime_type",
                    "size",
                    "duration",
                ],
            );
            assert!(m["kind"].is_string());
        }
        assert!(r["views"].is_u64() || r["views"].is_null(), "{r}");
        assert!(r["edited"].is_boolean() || r["edited"].is_null(), "{r}");
        assert!(r["unviewable"].is_boolean(), "{r}");
        assert!(r["version"].as_i64().unwrap() >= 1);
        assert!(r["versions"].as_i64().unwrap() >= r["version"].as_i64().unwrap());
        let captures = r["captures"].as_array().expect("captures");
        assert!(!captures.is_empty(), "{r}");
        for c in captures {
            let c = c.as_str().expect("sha");
            assert!(shas.iter().any(|s| s == c), "{c} is not a listed capture");
        }
    }

    // Posts 1-6 were seen by both web captures, in ingest order; the Desktop posts by the third.
    for r in &records[..6] {
        assert_eq!(r["captures"], json!([shas[0], shas[1]]), "{r}");
    }
    for r in &records[6..] {
        assert_eq!(r["captures"], json!([shas[2]]), "{r}");
    }
}

#[test]
fn export_records_carry_the_values_of_the_capture() {
    let a = archive();
    let records = a.export();

    let first = &records[(id_of(&records, "Forum on Cooperation") - 1) as usize];
    assert_eq!(first["channel"], "mfa_test");
    assert_eq!(first["channel_username"], "mfa_test");
    assert_eq!(first["channel_title"], Value::Null);
    assert_eq!(first["message_id"], Value::Null);
    assert_eq!(first["permalink"], Value::Null);
    assert_eq!(first["date"], Value::Null);
    assert_eq!(
        first["date_inferred"],
        json!({"date": "2024-03-14", "basis": "text_date", "evidence": "March 14, 2024", "detail": null})
    );
    assert_eq!(
        first["text"],
        "🎙 Minister's address to the Forum on Cooperation (Moscow, March 14, 2024)\n\
         Key points:\n\
         🌐 Partnership with #BRICS and the #SCO keeps growing.\n\
         ☝️ Trade between our countries rose by a half."
    );
    let edited = fixture_text("web-mfa-edited.txt");
    let raw: Vec<&str> = edited.lines().take(12).collect();
    assert_eq!(first["raw_text"], raw.join("\n"));
    assert_eq!(
        first["forwarded_from"],
        json!({"title": "Russian MFA 🇷🇺", "username": null, "message_id": null, "date": null, "sender_id": null})
    );
    assert_eq!(first["hashtags"], json!(["BRICS", "SCO"]));
    assert_eq!(
        first["links"],
        json!([{"url": null, "label": "Read in full"}])
    );
    assert_eq!(
        first["media"],
        json!([{"kind": "video", "placeholder": "too_big", "label": "Media is too big",
                "file_name": null, "mime_type": null, "size": null, "duration": null,
                "width": null, "height": null, "path": null, "sha256": null, "attrs": {},
                "poll": null}])
    );
    assert_eq!(
        first["countries"],
        json!([]),
        "the forward header's flag does not count"
    );
    assert_eq!(first["views"], Value::Null);
    assert_eq!(first["edited"], Value::Null);
    assert_eq!(first["unviewable"], false);
    assert_eq!(first["version"], 2);
    assert_eq!(first["versions"], 2);

    let second = &records[1];
    assert_eq!(second["date_inferred"]["date"], "2024-03-20");
    assert_eq!(
        second["date_inferred"]["basis"],
        "text_day_month_neighbour_year"
    );
    assert_eq!(second["date_inferred"]["evidence"], "March 20");
    assert_eq!(second["countries"], json!(["RU", "KZ"]));
    assert_eq!(second["hashtags"], json!(["CIS"]));

    let hidden = &records[2];
    assert_eq!(hidden["unviewable"], true);
    assert_eq!(hidden["text"], "");
    assert_eq!(hidden["date_inferred"], Value::Null);
    assert_eq!(hidden["forwarded_from"]["title"], "Zakharova Channel");
    assert_eq!(hidden["media"][0]["placeholder"], "open_in_telegram");
    assert_eq!(hidden["media"][0]["kind"], "unknown");

    let briefing = &records[3];
    assert_eq!(briefing["views"], 214_400);
    assert_eq!(briefing["edited"], false);

    let note = &records[4];
    assert_eq!(note["forwarded_from"], Value::Null);
    assert_eq!(note["views"], 12_300);
    assert_eq!(note["edited"], true);

    let china = &records[5];
    assert_eq!(china["mentions"], json!(["MFARussia"]));
    assert_eq!(
        china["links"],
        json!([{"url": "https://mid.ru/en/foreign_policy/news/",
                "label": "https://mid.ru/en/foreign_policy/news/"}])
    );
    assert_eq!(china["countries"], json!(["RU", "CN"]));
    assert_eq!(china["hashtags"], json!(["China"]));
    assert_eq!(china["views"], 1_200_000);

    let desktop = &records[6];
    assert_eq!(desktop["channel"], "mid_ru");
    assert_eq!(desktop["author"], "МИД России");
    assert_eq!(desktop["date"], Value::Null);
    assert_eq!(desktop["date_inferred"]["date"], "2022-06-25T07:25");
    assert_eq!(desktop["date_inferred"]["basis"], "desktop_copy_header");
    assert_eq!(desktop["date_inferred"]["evidence"], "25/06/2022 07:25");
    assert!(
        desktop["date_inferred"]["detail"]
            .as_str()
            .unwrap()
            .contains("day/month/year")
    );
    assert_eq!(
        desktop["text"],
        "Сегодня министр провёл переговоры с коллегой из Казахстана. #МИД #СНГ\n\n\
         Обсуждены вопросы транспорта и энергетики."
    );
    assert_eq!(desktop["hashtags"], json!(["МИД", "СНГ"]));
    assert_eq!(
        desktop["forwarded_from"]["title"],
        "Посольство России в Казахстане"
    );
    assert_eq!(desktop["media"][0]["kind"], "photo");
    assert_eq!(desktop["media"][0]["placeholder"], "not_included");
    assert_eq!(desktop["media"][0]["label"], "[ Photo ]");
    assert_eq!(records[8]["media"][0]["kind"], "video");
}

#[test]
fn a_desktop_copy_with_a_utc_offset_has_observed_dates() {
    let a = Archive::new();
    a.ok(args![
        "ingest",
        fixture("desktop-ru.txt"),
        "--channel",
        "mid_ru",
        "--utc-offset",
        "+03:00"
    ]);
    let records = a.export();
    let dates: Vec<&str> = records.iter().map(|r| s(r, "date")).collect();
    assert_eq!(
        dates,
        [
            "2022-06-25T04:25:00Z",
            "2022-06-26T16:05:00Z",
            "2022-06-28T07:00:00Z"
        ]
    );
    assert!(records.iter().all(|r| r["date_inferred"].is_null()));
    let stats = a.stats();
    assert_eq!(stats["dated_observed"], 3);
    assert_eq!(stats["dated_inferred"], 0);
    let show = a.ok(["show", "1"]);
    assert!(
        show.contains("date: 2022-06-25T04:25:00Z (observed)"),
        "{show}"
    );
    assert_eq!(
        crate::common::ids(&a.jsonl([
            "posts",
            "--format",
            "jsonl",
            "--since",
            "2022-06-26",
            "--until",
            "2022-06-26"
        ])),
        [2]
    );
}

/// The header of a CSV text, parsed.
fn csv_header(text: &[u8]) -> Vec<String> {
    csv::Reader::from_reader(text)
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect()
}

#[test]
fn export_csv_header_is_the_documented_columns() {
    let a = archive();
    let text = a.ok(["export", "--format", "csv"]);
    assert_eq!(text.lines().next(), Some(CSV_COLUMNS.join(",").as_str()));
    assert_eq!(csv_header(text.as_bytes()), CSV_COLUMNS);
}

#[test]
fn export_csv_has_every_documented_column_and_one_row_per_post() {
    let a = archive();
    let text = a.ok(["export", "--format", "csv"]);
    let header = csv_header(text.as_bytes());
    for column in CSV_COLUMNS {
        assert!(
            header.iter().any(|h| h == column),
            "column {column} missing from {header:?}"
        );
    }
    // Documented columns keep their relative order; new ones may only be added.
    let positions: Vec<usize> = CSV_COLUMNS
        .iter()
        .map(|c| header.iter().position(|h| h == c).expect("present"))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "documented columns out of order: {header:?}"
    );
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let records = a.export();
    assert_eq!(rows.len(), records.len());
    assert_eq!(rows.len(), 9);
    let col = |name: &str| header.iter().position(|c| c == name).unwrap();
    for (row, r) in rows.iter().zip(&records) {
        assert_eq!(row.len(), header.len());
        assert_eq!(row[col("id")], r["id"].to_string());
        assert_eq!(
            &row[col("text")],
            r["text"].as_str().unwrap(),
            "multi-line text kept"
        );
        assert_eq!(&row[col("raw_text")], r["raw_text"].as_str().unwrap());
        let tags: Vec<&str> = r["hashtags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(row[col("hashtags")], tags.join(";"));
        let links: Value = serde_json::from_str(&row[col("links")]).expect("links JSON");
        assert_eq!(links, r["links"]);
        let media: Value = serde_json::from_str(&row[col("media")]).expect("media JSON");
        assert_eq!(media, r["media"]);
        let captures: Vec<&str> = r["captures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert_eq!(row[col("captures")], captures.join(";"));
        assert_eq!(row[col("unviewable")], r["unviewable"].to_string());
        let edited = match &r["edited"] {
            Value::Null => String::new(),
            v => v.to_string(),
        };
        assert_eq!(row[col("edited")], edited, "null is an empty cell");
        assert_eq!(
            &row[col("date_inferred")],
            r["date_inferred"]["date"].as_str().unwrap_or("")
        );
        assert_eq!(
            &row[col("date_inferred_detail")],
            r["date_inferred"]["detail"].as_str().unwrap_or("")
        );
        assert_eq!(
            &row[col("forwarded_from_title")],
            r["forwarded_from"]["title"].as_str().unwrap_or("")
        );
        assert_eq!(row[col("version")], r["version"].to_string());
        assert_eq!(row[col("versions")], r["versions"].to_string());
    }
    assert_eq!(&rows[5][col("countries")], "RU;CN");
    assert_eq!(
        &rows[1][col("date_inferred_basis")],
        "text_day_month_neighbour_year"
    );
}

#[test]
fn export_bom_starts_with_ef_bb_bf() {
    let a = archive();
    for format in ["csv", "jsonl"] {
        let out = a.run(["export", "--format", format, "--bom"]);
        assert!(out.status.success());
        assert_eq!(&out.stdout[..3], b"\xEF\xBB\xBF", "--format {format}");
        let plain = a.run(["export", "--format", format]);
        assert_eq!(&out.stdout[3..], &plain.stdout[..], "the rest is the same");
        assert_ne!(&plain.stdout[..3], b"\xEF\xBB\xBF");
    }
}

#[test]
fn export_to_a_file_writes_it_and_counts_on_stderr() {
    let a = archive();
    let expected = a.ok(["export", "--format", "jsonl"]);

    let path = a.path("posts.jsonl");
    let out = a.run(args!["export", "--format", "jsonl", "-o", path]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).is_empty(),
        "nothing on stdout: {}",
        stdout(&out)
    );
    assert_eq!(stderr(&out).trim(), "exported 9 posts");
    assert_eq!(std::fs::read_to_string(&path).expect("written"), expected);

    let csv_path = a.path("posts.csv");
    let out = a.run(args![
        "export", "--format", "csv", "--bom", "--output", csv_path, "--tag", "brics"
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out).trim(), "exported 1 posts");
    let bytes = std::fs::read(&csv_path).expect("written");
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let on_stdout = a.ok(["export", "--format", "csv", "--tag", "brics"]);
    assert_eq!(
        &bytes[3..],
        on_stdout.as_bytes(),
        "the file holds what stdout would"
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(reader.headers().expect("header").get(0), Some("id"));
    assert_eq!(reader.records().count(), 1);

    // `-o -` is stdout; -q silences the count.
    let out = a.run(["export", "--format", "jsonl", "-o", "-", "-q"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), expected);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn export_takes_the_posts_filters() {
    let a = archive();
    let by_tag = a.jsonl(["export", "--format", "jsonl", "--tag", "#мид"]);
    assert_eq!(crate::common::ids(&by_tag), [7, 9]);
    let by_channel = a.jsonl(["export", "--format", "jsonl", "--channel", "mid_ru"]);
    assert_eq!(by_channel.len(), 3);
    let by_date = a.jsonl([
        "export",
        "--format",
        "jsonl",
        "--since",
        "2024-04-01",
        "--until",
        "2024-04-30",
    ]);
    assert_eq!(crate::common::ids(&by_date), [4, 5, 6]);
    let by_from = a.jsonl(["export", "--format", "jsonl", "--from", "zakharova channel"]);
    assert_eq!(crate::common::ids(&by_from), [3, 4]);
    // A channel that is not in the archive is not found: no file with only a header.
    let out = a.run(["export", "--format", "csv", "--channel", "nobody"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("no channel is named \"nobody\""),
        "{}",
        stderr(&out)
    );
    // A filter that matches nothing gives the header alone.
    let out = a.run(["export", "--format", "csv", "--tag", "nosuchtag"]);
    assert!(out.status.success());
    let full = a.ok(["export", "--format", "csv"]);
    let header_line = full.lines().next().expect("header");
    assert_eq!(stdout(&out), format!("{header_line}\n"), "only the header");
    assert_eq!(stderr(&out).trim(), "exported 0 posts");
}
