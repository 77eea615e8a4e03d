//! One shape per list: the command line and the server write the same records (the engine's
//! sinks and records), so a list downloaded from the API and the same list from the command
//! line are the same bytes in CSV and the same objects in JSON Lines / JSON.

use crate::common::{Archive, fixture, serve};

fn get(url: &str) -> String {
    ureq::get(url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .into_body()
        .read_to_string()
        .expect("a text body")
}

fn archive() -> Archive {
    let a = Archive::new();
    a.ingest(&fixture("desktop-ru.txt"), "mid_ru");
    a.ingest(&fixture("web-ru.txt"), "=cmd|' /C calc'!A0");
    a
}

#[test]
fn channels_and_captures_are_the_same_csv_from_the_command_line_and_the_api() {
    let a = archive();
    let server = serve(&a.dir, &[]);
    let base = server.base();
    for (command, path) in [
        ("channels", "/api/v1/channels"),
        ("captures", "/api/v1/captures"),
    ] {
        let cli = a.ok([command, "--format", "csv"]);
        let api = get(&format!("{base}{path}?format=csv&limit=1000"));
        assert_eq!(
            cli, api,
            "{command}: the command line's CSV, then the API's"
        );
        assert!(cli.lines().count() >= 3, "{command}: {cli}");
    }
    // The CSV policy applies to both: a channel named like a formula is defused.
    let channels = a.ok(["channels", "--format", "csv"]);
    assert!(
        channels.contains("'=cmd|' /C calc'!A0"),
        "the formula-like name is written with a leading quote: {channels}"
    );
}

#[test]
fn channel_and_capture_records_are_the_same_objects_in_json() {
    let a = archive();
    let server = serve(&a.dir, &[]);
    let base = server.base();
    for (command, path, list, link) in [
        ("channels", "/api/v1/channels", "channels", "api_url"),
        ("captures", "/api/v1/captures", "captures", "raw_url"),
    ] {
        let cli: serde_json::Value =
            serde_json::from_str(&a.ok([command, "--format", "json"])).expect("JSON");
        let api: serde_json::Value =
            serde_json::from_str(&get(&format!("{base}{path}?limit=1000"))).expect("JSON");
        let cli = cli.as_array().expect("a list");
        let api = api[list].as_array().expect("a list");
        assert_eq!(cli.len(), api.len(), "{command}");
        for (c, s) in cli.iter().zip(api) {
            // The API adds its own link and nothing else.
            let mut s = s.clone();
            let removed = s.as_object_mut().expect("an object").remove(link);
            assert!(removed.is_some(), "{command}: the API's {link}");
            assert_eq!(
                c, &s,
                "{command}: the command line's record, then the API's"
            );
        }
    }
}

#[test]
fn search_hits_are_the_same_csv_from_the_command_line_and_the_api() {
    let a = archive();
    let server = serve(&a.dir, &[]);
    let base = server.base();
    let cli = a.ok(["search", "Россия", "--format", "csv"]);
    let api = get(&format!(
        "{base}/api/v1/search?q=%D0%A0%D0%BE%D1%81%D1%81%D0%B8%D1%8F&format=csv&limit=1000"
    ));
    assert!(cli.lines().count() >= 2, "{cli}");
    assert_eq!(cli, api, "the command line's CSV, then the API's");
}
