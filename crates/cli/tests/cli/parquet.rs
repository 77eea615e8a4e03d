//! `export --format parquet -o FILE` and `search QUERY --format parquet -o FILE`: the files
//! read back with the `parquet` crate's row reader hold the JSON Lines records of the same
//! command, field by field; Parquet is refused without `-o` and with `--bom`.

#[path = "../../../parquet/tests/common/read_back.rs"]
mod read_back;

use read_back::{Json, assert_same, parse_jsonl, read_rows};

use crate::common::{Archive, fixture, stderr, stdout};

fn example(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/captures")
        .join(name)
}

/// The bundled example as `mfa_digest`, the CIS channel that copies it, and a Desktop copy in
/// Russian.
fn archive() -> Archive {
    let a = Archive::new();
    a.ingest(&example("mfa-digest.txt"), "mfa_digest");
    a.ingest(&example("cis-echo.txt"), "cis_echo");
    a.ingest(&fixture("desktop-ru.txt"), "mid_ru");
    a
}

fn assert_rows_match(jsonl: &[Json], rows: &[Json]) {
    assert_eq!(rows.len(), jsonl.len(), "rows, then JSON Lines records");
    for (i, (line, row)) in jsonl.iter().zip(rows).enumerate() {
        assert_same(&format!("record {i}"), line, row);
    }
}

fn is_parquet(bytes: &[u8]) -> bool {
    bytes.len() > 8 && bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1")
}

#[test]
fn export_parquet_holds_the_jsonl_records() {
    let a = archive();
    let jsonl = parse_jsonl(&a.ok(["export", "--format", "jsonl"]));
    assert!(jsonl.len() > 5, "{} records", jsonl.len());
    let path = a.path("posts.parquet");
    let out = a.run(args!["export", "--format", "parquet", "-o", &path]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "nothing on stdout with -o");
    assert_eq!(
        stderr(&out).trim(),
        format!("exported {} posts", jsonl.len())
    );
    let rows = read_rows(&path);
    assert_rows_match(&jsonl, &rows);
    assert!(
        rows.iter().any(|r| r.get("copy_of") != &Json::Null),
        "the archive has copies, so copy_of is filled somewhere"
    );

    // The filters apply as for the other formats.
    let filtered = parse_jsonl(&a.ok(["export", "--format", "jsonl", "--tag", "BRICS"]));
    let path = a.path("brics.parquet");
    a.ok(args![
        "export", "--format", "parquet", "--tag", "BRICS", "--output", &path
    ]);
    assert!(!filtered.is_empty() && filtered.len() < jsonl.len());
    assert_rows_match(&filtered, &read_rows(&path));
}

#[test]
fn search_parquet_holds_the_jsonl_hits_with_score_snippet_and_highlights() {
    let a = archive();
    let jsonl = parse_jsonl(&a.ok(["search", "BRICS", "--format", "jsonl"]));
    assert!(jsonl.len() >= 2, "{} hits", jsonl.len());
    let path = a.path("hits.parquet");
    let out = a.run(args!["search", "BRICS", "--format", "parquet", "-o", &path]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let rows = read_rows(&path);
    assert_rows_match(&jsonl, &rows);
    let keys = rows[0].keys();
    assert_eq!(
        keys[keys.len() - 3..],
        ["score", "snippet", "highlights"],
        "the export columns, then the search's"
    );
    assert!(matches!(rows[0].get("score"), Json::Float(s) if *s > 0.0));
    assert!(!rows[0].get("highlights").items().is_empty());

    // --limit and --offset cut the file as they cut JSON Lines.
    let page = parse_jsonl(&a.ok([
        "search", "BRICS", "--format", "jsonl", "--limit", "1", "--offset", "1",
    ]));
    let path = a.path("page.parquet");
    a.ok(args![
        "search", "BRICS", "--format", "parquet", "--limit", "1", "--offset", "1", "-o", &path
    ]);
    assert_rows_match(&page, &read_rows(&path));
}

#[test]
fn search_writes_its_other_formats_to_a_file_with_o() {
    let a = archive();
    let printed = a.ok(["search", "BRICS", "--format", "csv"]);
    let path = a.path("hits.csv");
    let out = a.run(args!["search", "BRICS", "--format", "csv", "-o", &path]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert_eq!(
        std::fs::read_to_string(&path).expect("the CSV file"),
        printed
    );
}

#[test]
fn parquet_needs_a_file_and_takes_no_bom() {
    let a = archive();
    for command in [
        args!["export", "--format", "parquet"],
        args!["search", "BRICS", "--format", "parquet"],
    ] {
        let out = a.run(&command);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{command:?} wrote to stdout");
        assert!(
            stderr(&out).contains("--format parquet writes a binary file: name it with -o FILE"),
            "{}",
            stderr(&out)
        );
    }
    let path = a.path("bom.parquet");
    let out = a.run(args!["export", "--format", "parquet", "--bom", "-o", &path]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--bom is for jsonl and csv"),
        "{}",
        stderr(&out)
    );
    assert!(!path.exists(), "no file is written after a usage error");

    // A channel that is not in the archive is not found, and no file is created.
    let path = a.path("nobody.parquet");
    let out = a.run(args![
        "export",
        "--format",
        "parquet",
        "--channel",
        "nobody",
        "-o",
        &path
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no channel is named \"nobody\""),
        "{}",
        stderr(&out)
    );
    assert!(!path.exists(), "no file for a filter that names no channel");
}

/// `-o -` sends the file to stdout when stdout is not a terminal (here, a pipe).
#[test]
fn parquet_goes_to_a_pipe_with_o_dash() {
    let a = archive();
    let out = a.run(["export", "--format", "parquet", "-o", "-"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(is_parquet(&out.stdout), "{} bytes", out.stdout.len());
    let path = a.write("piped.parquet", &out.stdout);
    let jsonl = parse_jsonl(&a.ok(["export", "--format", "jsonl"]));
    assert_rows_match(&jsonl, &read_rows(&path));
}

/// The lists of `channels`, `captures`, `clusters` and `entities` as Parquet: the JSON Lines
/// records of the same command, row by row; and as CSV, the columns the API's downloads have.
#[test]
fn analysis_tables_in_parquet_hold_the_jsonl_records() {
    let a = archive();
    for command in [
        vec!["channels"],
        vec!["captures"],
        vec!["clusters"],
        vec!["entities"],
        vec!["entities", "--kind", "country"],
    ] {
        let name = command.join("-");
        let jsonl = parse_jsonl(
            &a.ok(command
                .iter()
                .map(std::ffi::OsString::from)
                .chain(args!["--format", "jsonl"])),
        );
        assert!(!jsonl.is_empty(), "{name}: no records");
        let path = a.path(&format!("{name}.parquet"));
        let out = a.run(
            command
                .iter()
                .map(std::ffi::OsString::from)
                .chain(args!["--format", "parquet", "-o", &path]),
        );
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{name}: nothing on stdout with -o");
        let rows = read_rows(&path);
        assert_eq!(
            rows.len(),
            jsonl.len(),
            "{name}: rows, then JSON Lines records"
        );
        for (i, (line, row)) in jsonl.iter().zip(&rows).enumerate() {
            assert_same(&format!("{name} record {i}"), line, row);
        }
        // The CSV of the same list has one row per record.
        let csv = a.ok(command
            .iter()
            .map(std::ffi::OsString::from)
            .chain(args!["--format", "csv"]));
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        assert_eq!(reader.records().count(), jsonl.len(), "{name}: CSV rows");
    }
    // Clusters: the archive holds copies, so the table is not empty and names its posts.
    let clusters = parse_jsonl(&a.ok(["clusters", "--format", "jsonl"]));
    assert!(
        clusters.iter().all(|c| c.get("posts").items().len() >= 2),
        "every cluster has two posts or more"
    );
}

/// A network as Parquet: the edges to the file, the nodes beside it, each row the object of
/// the JSON form, with the attributes' types.
#[test]
fn a_network_in_parquet_holds_the_json_nodes_and_edges() {
    let a = archive();
    // The JSON form read with its keys in order (one document over many lines).
    let json = parse_jsonl(
        &a.ok([
            "network",
            "--kind",
            "forward,mention,copy,link",
            "--format",
            "json",
        ])
        .replace('\n', " "),
    )
    .remove(0);
    let path = a.path("net.parquet");
    let out = a.run(args![
        "network",
        "--kind",
        "forward,mention,copy,link",
        "--format",
        "parquet",
        "-o",
        &path
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let nodes_path = a.path("net-nodes.parquet");
    assert!(
        stderr(&out).contains(&format!(
            "edges in {}, nodes in {}",
            path.display(),
            nodes_path.display()
        )),
        "{}",
        stderr(&out)
    );
    for (list, file) in [("edges", &path), ("nodes", &nodes_path)] {
        let expected = json.get(list).items();
        assert!(!expected.is_empty(), "the archive's network has {list}");
        let rows = read_rows(file);
        assert_eq!(
            rows.len(),
            expected.len(),
            "{list}: rows, then JSON objects"
        );
        for (i, (e, r)) in expected.iter().zip(&rows).enumerate() {
            assert_same(&format!("{list}[{i}]"), e, r);
        }
    }
    // Without -o there is nowhere to put two files.
    let out = a.run(["network", "--format", "parquet"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--format parquet writes two files"),
        "{}",
        stderr(&out)
    );
}

/// Lists that have no Parquet form say which command has one.
#[test]
fn lists_without_parquet_say_where_it_is() {
    let a = archive();
    let out = a.run(["posts", "--format", "parquet"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("`tgscope export --format parquet -o FILE` writes the posts"),
        "{}",
        stderr(&out)
    );
    let out = a.run(["hashtags", "--format", "parquet"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// Runs the pyarrow/DuckDB script on `jsonl` and `parquet` (the check named `what`), which
/// must find them the same; returns its summary.
fn compare_with_python(
    python: &std::path::Path,
    script: &std::path::Path,
    jsonl: &std::path::Path,
    parquet: &std::path::Path,
    what: &str,
) -> serde_json::Value {
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(jsonl)
        .arg(parquet)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{what}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    serde_json::from_str(&stdout(&out)).expect("the script's summary")
}

/// pyarrow and DuckDB read the export and a search's hits with the documented types and the
/// JSON Lines values (`crates/parquet/tests/read_with_pyarrow_duckdb.py` checks field by field).
#[test]
fn pyarrow_and_duckdb_read_the_jsonl_values_with_the_documented_types() {
    let Some(python) = super::common::python_with("TGSCOPE_PARQUET_PYTHON", "pyarrow and duckdb")
    else {
        return;
    };
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../parquet/tests/read_with_pyarrow_duckdb.py");
    let a = archive();
    a.ingest(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../read/tests/fixtures/desktop-json/single_channel.json"),
        "desktop_json",
    );
    for (name, command) in [
        ("export", vec!["export"]),
        ("search", vec!["search", "BRICS OR Москва OR poll"]),
        ("channels", vec!["channels"]),
        ("captures", vec!["captures"]),
        ("clusters", vec!["clusters"]),
        ("entities", vec!["entities"]),
    ] {
        let jsonl = a.path(&format!("{name}.jsonl"));
        let parquet = a.path(&format!("{name}.parquet"));
        a.ok(command
            .iter()
            .map(std::ffi::OsString::from)
            .chain(args!["--format", "jsonl", "-o", &jsonl]));
        a.ok(command
            .iter()
            .map(std::ffi::OsString::from)
            .chain(args!["--format", "parquet", "-o", &parquet]));
        let seen = compare_with_python(&python, &script, &jsonl, &parquet, name);
        let lines = std::fs::read_to_string(&jsonl)
            .expect("jsonl")
            .lines()
            .count();
        assert_eq!(seen["rows"], lines as u64, "{name}: {seen}");
        assert!(lines >= 2, "{name}: {lines} records");
        assert_eq!(
            seen["codecs"],
            serde_json::json!(["ZSTD"]),
            "{name}: {seen}"
        );
    }
    // A network's edges and nodes, against the objects of its JSON form (split into JSON
    // Lines by Python's json, which keeps the keys in order).
    let network = a.path("net.json");
    a.ok(args!["network", "--format", "json", "-o", &network]);
    let edges = a.path("net.parquet");
    a.ok(args!["network", "--format", "parquet", "-o", &edges]);
    for (list, parquet) in [
        ("edges", edges.clone()),
        ("nodes", a.path("net-nodes.parquet")),
    ] {
        let jsonl = a.path(&format!("{list}.jsonl"));
        let split = std::process::Command::new(&python)
            .args([
                "-c",
                "import json, sys\n\
                 doc = json.load(open(sys.argv[1], encoding='utf-8'))\n\
                 with open(sys.argv[2], 'w', encoding='utf-8') as f:\n\
                 \x20   f.writelines(json.dumps(x, ensure_ascii=False) + '\\n' for x in doc[sys.argv[3]])\n",
            ])
            .arg(&network)
            .arg(&jsonl)
            .arg(list)
            .output()
            .expect("python runs");
        assert!(split.status.success(), "{}", stderr(&split));
        let lines = std::fs::read_to_string(&jsonl)
            .expect("jsonl")
            .lines()
            .count();
        assert!(lines >= 2, "{list}: {lines} objects");
        compare_with_python(&python, &script, &jsonl, &parquet, list);
    }
}
