//! `collect`, `history` and `changes` against a real HTTP server on loopback.

use crate::common::{Archive, stderr};

#[path = "../../../collect/tests/server/mod.rs"]
#[allow(dead_code)]
pub(crate) mod server;

use server::{Answer, Post, Server, channel_page};

fn serve(server: &Server, newest: &[Post]) {
    server.route(
        "/s/watched_chan",
        vec![Answer::page(channel_page(
            "watched_chan",
            "Watched",
            newest,
            Some(1),
        ))],
    );
    server.route(
        "/s/watched_chan?before=1",
        vec![Answer::page(channel_page(
            "watched_chan",
            "Watched",
            &[],
            None,
        ))],
    );
}

#[test]
fn collect_then_history_and_changes_show_an_edit_and_a_deletion() {
    let server = Server::start();
    let first: Vec<Post> = (1..=5)
        .map(|id| Post::new(id, &format!("Post {id} text")))
        .collect();
    serve(&server, &first);
    let archive = Archive::new();
    let base = server.base.clone();
    let report = archive.json(args![
        "collect",
        "watched_chan",
        "--base-url",
        &base,
        "--delay",
        "0",
        "--report",
        "json"
    ]);
    assert_eq!(report[0]["channel"], "watched_chan");
    assert_eq!(report[0]["posts_new"], 5);
    assert_eq!(report[0]["stop"], "reached_beginning");

    // Post 3 is edited, post 4 is gone.
    let mut later: Vec<Post> = first.iter().filter(|p| p.id != 4).cloned().collect();
    later[2].text = "Post 3 text, corrected".into();
    later[2].edited = true;
    later[2].views = "3K";
    serve(&server, &later);
    let table = archive.ok(args![
        "collect",
        "watched_chan",
        "--base-url",
        &base,
        "--delay",
        "0"
    ]);
    assert!(table.contains("1 updated"), "{table}");
    assert!(table.contains("absent: 4"), "{table}");

    let changes = archive.json(args!["changes", "--format", "json"]);
    let kinds: Vec<(String, i64)> = changes
        .as_array()
        .expect("array")
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap_or_default().to_string(),
                c["message_id"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert!(kinds.contains(&("edited".to_string(), 3)), "{kinds:?}");
    assert!(kinds.contains(&("deleted".to_string(), 4)), "{kinds:?}");

    let posts = archive.json(args!["posts", "--format", "json"]);
    let id = posts["posts"]
        .as_array()
        .expect("array")
        .iter()
        .find(|p| p["message_id"] == 3)
        .and_then(|p| p["id"].as_i64())
        .expect("post 3");
    let history = archive.ok(args!["history", id.to_string()]);
    assert!(history.contains("version 2 first seen"), "{history}");
    assert!(history.contains("1200"), "{history}");
    assert!(history.contains("3000"), "{history}");
    assert!(history.contains("yes"), "the edited mark: {history}");
}

#[test]
fn a_channel_without_a_preview_exits_with_4_and_says_why() {
    let server = Server::start();
    server.route("/s/hidden_chan", vec![Answer::redirect("/hidden_chan")]);
    let archive = Archive::new();
    let out = archive.run(args![
        "collect",
        "hidden_chan",
        "--base-url",
        &server.base,
        "--delay",
        "0"
    ]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("no public web preview"),
        "{}",
        stderr(&out)
    );
}
