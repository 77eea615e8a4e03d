//! `posts`: the filters (--channel, --from, --tag, --since/--until, --limit/--offset) and the
//! formats (table, json, jsonl, csv).

use serde_json::Value;

use crate::common::{Archive, fixture, ids, parse_jsonl, stdout};

/// An archive of three captures: `web-mfa.txt` as `mfa_test` (posts 1-6), `desktop-ru.txt` as
/// `mid_ru` (posts 7-9), `web-ru.txt` as `mid_web` (posts 10-12).
fn archive() -> Archive {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa_test");
    a.ingest(&fixture("desktop-ru.txt"), "mid_ru");
    a.ingest(&fixture("web-ru.txt"), "mid_web");
    a
}

/// The ids `posts <filter> --format jsonl` lists.
fn listed(a: &Archive, filter: &[&str]) -> Vec<i64> {
    let mut args = vec!["posts", "--format", "jsonl"];
    args.extend_from_slice(filter);
    ids(&a.jsonl(&args))
}

#[test]
fn the_fixture_archive_holds_the_expected_posts() {
    let a = archive();
    let all = a.export();
    assert_eq!(ids(&all), (1..=12).collect::<Vec<_>>());
    let channels: Vec<&str> = all.iter().map(|r| r["channel"].as_str().unwrap()).collect();
    assert_eq!(
        channels,
        [
            "mfa_test", "mfa_test", "mfa_test", "mfa_test", "mfa_test", "mfa_test", "mid_ru",
            "mid_ru", "mid_ru", "mid_web", "mid_web", "mid_web"
        ]
    );
}

#[test]
fn posts_filter_by_channel() {
    let a = archive();
    assert_eq!(listed(&a, &["--channel", "mfa_test"]), [1, 2, 3, 4, 5, 6]);
    assert_eq!(listed(&a, &["--channel", "MID_RU"]), [7, 8, 9], "any case");
    assert_eq!(listed(&a, &["--channel", "@mid_web"]), [10, 11, 12]);
    let mfa_id = a.json(["channels", "--format", "json"])[0]["id"]
        .as_i64()
        .expect("channel id");
    assert_eq!(
        listed(&a, &["--channel", &mfa_id.to_string()]),
        [1, 2, 3, 4, 5, 6],
        "by archive id"
    );
    // A name that names no channel is not found, not an empty list.
    let out = a.run(["posts", "--channel", "no_such_channel"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        crate::common::stderr(&out).contains("no channel is named \"no_such_channel\""),
        "{}",
        crate::common::stderr(&out)
    );
    // A forward source is a channel too, but holds no posts of its own here.
    assert_eq!(
        listed(&a, &["--channel", "Russian MFA 🇷🇺"]),
        Vec::<i64>::new()
    );
}

#[test]
fn posts_filter_by_forward_source() {
    let a = archive();
    assert_eq!(listed(&a, &["--from", "Russian MFA 🇷🇺"]), [1, 2]);
    assert_eq!(
        listed(&a, &["--from", "RUSSIAN mfa 🇷🇺"]),
        [1, 2],
        "any case"
    );
    assert_eq!(listed(&a, &["--from", "Zakharova Channel"]), [3, 4]);
    assert_eq!(
        listed(&a, &["--from", "Посольство России в Казахстане"]),
        [7]
    );
    assert_eq!(listed(&a, &["--from", "мид россии 🇷🇺"]), [10, 12]);
    // Filters also match names without their emoji and punctuation.
    assert_eq!(listed(&a, &["--from", "Russian MFA"]), [1, 2]);
}

#[test]
fn posts_filter_by_hashtag_with_or_without_hash_in_any_case() {
    let a = archive();
    for tag in ["BRICS", "brics", "#BRICS", "#Brics"] {
        assert_eq!(listed(&a, &["--tag", tag]), [1], "--tag {tag}");
    }
    for tag in ["брикс", "#БРИКС", "Брикс", "#брикс"] {
        assert_eq!(listed(&a, &["--tag", tag]), [10, 11], "--tag {tag}");
    }
    for tag in ["мид", "#МИД", "Мид"] {
        assert_eq!(listed(&a, &["--tag", tag]), [7, 9], "--tag {tag}");
    }
    assert_eq!(listed(&a, &["--tag", "CIS"]), [2]);
    assert_eq!(listed(&a, &["--tag", "Заявление"]), [11]);
    assert_eq!(listed(&a, &["--tag", "OTD"]), Vec::<i64>::new());
}

#[test]
fn posts_filter_by_inferred_dates() {
    let a = archive();
    // Dates: 1 2024-03-14, 2 2024-03-20, 3 none, 4 2024-04-02, 5 2024-04-05, 6 2024-04-08,
    // 7-9 2022-06-25/26/28 (with times), 10 2024-03-14, 11-12 2024-03-16.
    assert_eq!(
        listed(&a, &["--since", "2024-03-15", "--until", "2024-04-05"]),
        [2, 4, 5, 11, 12]
    );
    assert_eq!(listed(&a, &["--since", "2024-04-05"]), [5, 6]);
    assert_eq!(listed(&a, &["--until", "2022-12-31"]), [7, 8, 9]);
    // The bounds are whole days, also for a Desktop header's date and time.
    assert_eq!(
        listed(&a, &["--since", "2022-06-26", "--until", "2022-06-26"]),
        [8]
    );
    assert_eq!(
        listed(&a, &["--since", "2024-03-14", "--until", "2024-03-14"]),
        [1, 10]
    );
    // Undated posts are left out of any range.
    let all_dated = listed(&a, &["--since", "1900-01-01"]);
    assert_eq!(all_dated.len(), 11);
    assert!(!all_dated.contains(&3));
}

#[test]
fn posts_filters_combine() {
    let a = archive();
    assert_eq!(
        listed(
            &a,
            &[
                "--channel",
                "mfa_test",
                "--from",
                "Zakharova Channel",
                "--since",
                "2024-04-01"
            ]
        ),
        [4]
    );
    assert_eq!(
        listed(&a, &["--channel", "mid_web", "--tag", "БРИКС"]),
        [10, 11]
    );
}

#[test]
fn posts_page_with_limit_and_offset() {
    let a = archive();
    assert_eq!(listed(&a, &["--limit", "2", "--offset", "1"]), [2, 3]);
    assert_eq!(listed(&a, &["--limit", "5"]), [1, 2, 3, 4, 5]);
    assert_eq!(listed(&a, &["--offset", "10"]), [11, 12]);
    assert_eq!(listed(&a, &["--offset", "12"]), Vec::<i64>::new());
    assert_eq!(
        listed(
            &a,
            &["--channel", "mfa_test", "--limit", "2", "--offset", "4"]
        ),
        [5, 6]
    );
}

#[test]
fn posts_formats_list_the_same_posts() {
    let a = archive();
    let filter = ["--channel", "mfa_test", "--limit", "4", "--offset", "1"];
    let run = |format: &str| {
        let mut args = vec!["posts", "--format", format];
        args.extend_from_slice(&filter);
        a.ok(&args)
    };

    let jsonl = parse_jsonl(&run("jsonl"));
    assert_eq!(ids(&jsonl), [2, 3, 4, 5]);

    let json: Value = serde_json::from_str(&run("json")).expect("JSON object");
    assert_eq!(json["total"], 6, "every post of the channel");
    assert_eq!(json["offset"], 1);
    assert_eq!(json["returned"], 4);
    let json = json["posts"].as_array().expect("array").clone();
    assert_eq!(json, jsonl, "json and jsonl give the same records");

    // The records are export records.
    let exported = a.export();
    for record in &jsonl {
        let same = exported
            .iter()
            .find(|r| r["id"] == record["id"])
            .expect("exported");
        assert_eq!(same, record);
    }

    let csv_text = run("csv");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header[0], "id");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let csv_ids: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(csv_ids, ["2", "3", "4", "5"]);
    let text_column = header
        .iter()
        .position(|h| h == "text")
        .expect("text column");
    for (row, record) in rows.iter().zip(&jsonl) {
        assert_eq!(&row[text_column], record["text"].as_str().unwrap());
    }

    let table = run("table");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 6, "a header, four rows and a footer:\n{table}");
    assert!(
        lines[5].starts_with("6 posts match; showing 2-5; the next 1: --offset 5"),
        "{table}"
    );
    assert!(lines[0].trim_start().starts_with("ID  CHANNEL"), "{table}");
    assert!(lines[0].contains("FORWARDED FROM") && lines[0].contains("TEXT"));
    let row = |id: i64| {
        *lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(&id.to_string()))
            .unwrap_or_else(|| panic!("no row for {id}:\n{table}"))
    };
    assert!(row(2).contains("~2024-03-20"), "{}", row(2));
    assert!(row(2).contains("Russian MFA 🇷🇺"), "{}", row(2));
    assert!(
        row(2).contains("On March 20, the ministers met"),
        "{}",
        row(2)
    );
    assert!(row(3).contains("[only viewable in Telegram]"), "{}", row(3));
    assert!(row(3).contains("Zakharova Channel"), "{}", row(3));
    assert!(row(5).contains("~2024-04-05"), "{}", row(5));
    // A post that is not a forward shows "-" as its source.
    assert_eq!(
        row(5).split("  ").filter(|c| c.trim() == "-").count(),
        1,
        "{}",
        row(5)
    );
}

#[test]
fn posts_prints_a_table_by_default() {
    let a = archive();
    let out = a.run(["posts"]);
    assert!(out.status.success());
    let table = stdout(&out);
    assert_eq!(
        table.lines().count(),
        14,
        "a header, 12 rows, a footer:\n{table}"
    );
    assert_eq!(
        table.lines().last(),
        Some("12 posts match; showing 1-12"),
        "{table}"
    );
}

#[test]
fn a_day_separator_after_a_footer_dates_the_post_below_it() {
    let a = archive();
    let records = a.export();
    let statement = &records[10];
    assert!(
        statement["text"]
            .as_str()
            .unwrap()
            .starts_with("📄 Заявление МИД России"),
        "{statement}"
    );
    assert_eq!(statement["date_inferred"]["date"], "2024-03-16");
    assert_eq!(statement["date_inferred"]["basis"], "day_separator");
    assert_eq!(statement["date_inferred"]["evidence"], "16 марта");
    assert_eq!(statement["views"], 3_000_000);
    assert_eq!(statement["edited"], true);
    assert_eq!(statement["forwarded_from"], Value::Null);
    assert_eq!(
        statement["links"],
        serde_json::json!([{"url": null, "label": "Читать полностью"}])
    );
}

#[test]
fn a_day_separator_after_a_hidden_post_dates_the_post_below_it() {
    let a = Archive::new();
    let capture = a.write(
        "hidden-then-separator.txt",
        "Переслано от МИД России 🇷🇺\n\
         🎙 Брифинг официального представителя (Москва, 14 марта 2024 года)\n\
         Основные темы брифинга.\n\
         Основные темы брифинга.\n\
         1,2 тыс. просмотров\n\
         Переслано от МИД России 🇷🇺\n\
         Откройте Telegram, чтобы посмотреть этот пост\n\
         Открыть в Telegram\n\
         16 марта\n\
         📄 Заявление МИД России о ситуации в регионе #Заявление\n\
         Текст заявления опубликован на сайте министерства.\n\
         Текст заявления опубликован на сайте министерства.\n\
         3 млн просмотров\n",
    );
    a.ingest(&capture, "mid_ru");
    let records = a.export();
    assert_eq!(records.len(), 3);
    assert_eq!(records[1]["unviewable"], true);
    let statement = &records[2];
    assert_eq!(
        statement["text"],
        "📄 Заявление МИД России о ситуации в регионе #Заявление\n\
         Текст заявления опубликован на сайте министерства.",
        "the separator line is not the post's text"
    );
    assert_eq!(statement["date_inferred"]["basis"], "day_separator");
    assert_eq!(statement["date_inferred"]["date"], "2024-03-16");
}

#[test]
fn a_lost_link_after_a_repeat_belongs_to_the_post_above() {
    let a = Archive::new();
    let capture = a.write(
        "lost-link-after-repeat.txt",
        "Forwarded from Russian MFA 🇷🇺\n\
         🎙 Minister's remarks at the press conference (Moscow, May 3, 2024)\n\
         💬 We value our partnership with the #SCO countries.\n\
         💬 Cooperation in transport keeps growing.\n\
         💬 We value our partnership with the #SCO countries.\n\
         💬 Cooperation in transport keeps growing.\n\
         Read in full\n\
         Forwarded from Russian MFA 🇷🇺\n\
         🎙 Another statement of the week (Moscow, May 6, 2024)\n",
    );
    a.ingest(&capture, "mfa_test");
    let records = a.export();
    let texts: Vec<&str> = records
        .iter()
        .map(|r| r["text"].as_str().unwrap())
        .collect();
    assert_eq!(records.len(), 2, "posts: {texts:?}");
    assert!(
        records
            .iter()
            .all(|r| !r["text"].as_str().unwrap().is_empty()),
        "a post with empty text that is not a hidden post: {texts:?}"
    );
    assert_eq!(
        records[0]["links"],
        serde_json::json!([{"url": null, "label": "Read in full"}])
    );
}
