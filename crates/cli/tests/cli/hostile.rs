//! Output that cannot harm its reader: CSV cells a spreadsheet would run as formulas are
//! defused (the same policy as the API's downloads), and control characters in post texts,
//! channel names and file names never reach a terminal raw (JSON keeps the data as it is).

use crate::common::{Archive, parse_jsonl, stderr, stdout};

const FORMULA: &str = "=HYPERLINK(\"http://evil.example/\",\"click\")";

/// A dump whose texts and channel name carry formulas and terminal escapes.
fn archive() -> Archive {
    let a = Archive::new();
    let lines = [
        format!(
            "{{\"id\": 1, \"date\": \"2024-03-01T10:00:00Z\", \"channel\": \"evil\\u001b]0;owned\\u0007\", \
             \"text\": {}}}",
            serde_json::to_string(FORMULA).expect("json")
        ),
        "{\"id\": 2, \"date\": \"2024-03-02T10:00:00Z\", \"channel\": \"evil\\u001b]0;owned\\u0007\", \
         \"text\": \"=cmd|' /C calc'!A0 then \\u001b[2J cleared\\rover\\u0007 rung\"}"
            .to_string(),
        "{\"id\": 3, \"date\": \"2024-03-03T10:00:00Z\", \"channel\": \"evil\\u001b]0;owned\\u0007\", \
         \"text\": \"@mention first, +7 495 000 second\"}"
            .to_string(),
    ];
    let path = a.write("hostile\u{1b}[31m.jsonl", lines.join("\n") + "\n");
    a.ok(["ingest".as_ref(), path.as_os_str()]);
    a
}

fn csv_cells(text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| r.expect("row").iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn csv_cells_that_a_spreadsheet_would_run_are_defused() {
    let a = archive();
    for args in [
        vec!["export", "--format", "csv"],
        vec!["export", "--format", "csv", "--bom"],
        vec!["posts", "--format", "csv"],
        vec!["search", "channel:1", "--format", "csv"],
    ] {
        let text = a.ok(&args);
        let rows = csv_cells(text.trim_start_matches('\u{feff}'));
        assert_eq!(rows.len(), 3, "{args:?}");
        for row in &rows {
            for cell in row {
                let formula = cell.starts_with(['=', '+', '@', '\t', '\r'])
                    || (cell.starts_with('-') && cell.parse::<f64>().is_err());
                assert!(
                    !formula,
                    "{args:?}: a cell a spreadsheet would run: {cell:?}"
                );
            }
        }
        let texts: Vec<&str> = rows
            .iter()
            .flat_map(|r| r.iter().map(String::as_str))
            .collect();
        assert!(
            texts.contains(&format!("'{FORMULA}").as_str()),
            "{args:?}: {texts:?}"
        );
        assert!(
            texts.contains(&"'@mention first, +7 495 000 second"),
            "{args:?}: {texts:?}"
        );
    }
    // JSON keeps the text as it is.
    let records = parse_jsonl(&a.ok(["export", "--format", "jsonl"]));
    assert_eq!(records[0]["text"], FORMULA);
}

#[test]
fn terminal_output_shows_control_characters_escaped() {
    let a = archive();
    let ingest_again = a.run([
        "ingest".as_ref(),
        a.path("hostile\u{1b}[31m.jsonl").as_os_str(),
    ]);
    for (what, text) in [
        ("ingest", stdout(&ingest_again)),
        ("posts", a.ok(["posts"])),
        ("show", a.ok(["show", "2"])),
        ("history", a.ok(["history", "2"])),
        ("search", a.ok(["search", "cleared"])),
        ("captures", a.ok(["captures"])),
        ("channels", a.ok(["channels"])),
    ] {
        assert!(
            !text.contains(['\u{1b}', '\u{7}', '\r']),
            "{what} writes a raw control character: {text:?}"
        );
        assert!(text.contains("\\x1b"), "{what} shows the escape: {text}");
    }
    let shown = a.ok(["show", "2"]);
    assert!(
        shown.contains("\\x1b[2J cleared\\x0dover\\x07 rung"),
        "{shown}"
    );
    // An error naming a hostile channel is escaped too.
    let out = a.run(["posts", "--channel", "nobody\u{1b}[2J"]);
    assert!(!stderr(&out).contains('\u{1b}'), "{:?}", stderr(&out));
    // JSON keeps the data as it is.
    let json = a.json(["show", "2", "--format", "json"]);
    assert!(
        json["post"]["current"]["text"]
            .as_str()
            .expect("text")
            .contains('\u{1b}'),
        "{json}"
    );
}
