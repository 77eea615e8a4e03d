//! Channel and forward-source names: every command, the search language and every filter name
//! channels the same way (the keys of `tgscope_text::names`), a name is a whole name (never a
//! part of one), and a name that fits several channels is an error that lists them.

use crate::common::{Archive, ids, stderr, stdout};

/// A message dump of four channels whose names contain one another, and forwards from three
/// sources whose names do: `test` (posts 1-2), `test_channel` (3-4), `Test Channel` (5) and
/// `testchannel` (6, the same name as the last two in letters and digits). Posts 1, 3 and 5 are
/// forwards from `OnlineVerdan`, `OnlineVerdan Reserve` and `onlineverdan_bot`.
fn archive() -> Archive {
    let a = Archive::new();
    let line = |id: u32, channel: &str, from: Option<&str>, text: &str| {
        let from = from
            .map(|f| format!(", \"forwarded_from\": \"{f}\""))
            .unwrap_or_default();
        format!(
            "{{\"id\": {id}, \"date\": \"2024-03-0{id}T10:00:00Z\", \"channel\": \"{channel}\"{from}, \
             \"text\": \"{text} number {id}\"}}\n"
        )
    };
    let dump = [
        line(1, "test", Some("OnlineVerdan"), "Statement on the summit"),
        line(2, "test", None, "Statement on the summit"),
        line(3, "test_channel", Some("OnlineVerdan Reserve"), "Statement"),
        line(4, "test_channel", None, "Statement"),
        line(5, "Test Channel", Some("onlineverdan_bot"), "Statement"),
        line(6, "testchannel", None, "Statement"),
    ]
    .concat();
    let path = a.write("channels.jsonl", dump);
    a.ok(["ingest".as_ref(), path.as_os_str()]);
    a
}

fn listed(a: &Archive, filter: &[&str]) -> Vec<i64> {
    let mut args = vec!["posts", "--format", "jsonl"];
    args.extend_from_slice(filter);
    ids(&a.jsonl(&args))
}

fn searched(a: &Archive, query: &str) -> Vec<i64> {
    let mut found = ids(&a.jsonl(["search", query, "--format", "jsonl"]));
    found.sort_unstable();
    found
}

/// The archive ids of posts by their message ids (the dump's `id`).
fn posts_with_message_ids(a: &Archive, message_ids: &[i64]) -> Vec<i64> {
    let records = a.export();
    let mut found: Vec<i64> = records
        .iter()
        .filter(|r| message_ids.contains(&r["message_id"].as_i64().unwrap_or(-1)))
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    found.sort_unstable();
    found
}

#[test]
fn a_channel_name_is_a_whole_name_never_a_part_of_one() {
    let a = archive();
    let test = posts_with_message_ids(&a, &[1, 2]);
    assert_eq!(
        listed(&a, &["--channel", "test"]),
        test,
        "not test_channel's"
    );
    assert_eq!(listed(&a, &["--channel", "TEST"]), test, "any case");
    assert_eq!(listed(&a, &["--channel", "@test"]), test);
    assert_eq!(listed(&a, &["--channel", "https://t.me/s/test"]), test);
    assert_eq!(
        listed(&a, &["--channel", "test_channel"]),
        posts_with_message_ids(&a, &[3, 4])
    );
    // The search language's channel: names the same channels.
    assert_eq!(searched(&a, "channel:test"), test);
    assert_eq!(searched(&a, "statement channel:test"), test);
    assert_eq!(
        searched(&a, "channel:test_channel"),
        posts_with_message_ids(&a, &[3, 4])
    );
}

#[test]
fn a_forward_source_is_named_as_a_whole_too() {
    let a = archive();
    let verdan = posts_with_message_ids(&a, &[1]);
    assert_eq!(listed(&a, &["--from", "OnlineVerdan"]), verdan);
    assert_eq!(listed(&a, &["--from", "onlineverdan"]), verdan);
    assert_eq!(searched(&a, "from:OnlineVerdan"), verdan);
    assert_eq!(
        listed(&a, &["--from", "OnlineVerdan Reserve"]),
        posts_with_message_ids(&a, &[3])
    );
    assert_eq!(
        searched(&a, "from:\"OnlineVerdan Reserve\""),
        posts_with_message_ids(&a, &[3])
    );
}

#[test]
fn a_name_that_fits_several_channels_is_an_error_that_lists_them() {
    let a = archive();
    // "Test Channel", "test_channel" and "testchannel" are the same name in letters and digits:
    // written so, it fits three channels.
    for args in [
        vec!["posts", "--channel", "TESTCHANNEL!"],
        vec!["search", "statement channel:TESTCHANNEL!"],
        vec!["count", "channel:TESTCHANNEL!"],
        vec!["export", "--format", "jsonl", "--channel", "TESTCHANNEL!"],
    ] {
        let out = a.run(&args);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{args:?}: nothing listed");
        let message = stderr(&out);
        assert!(message.contains("names 3 channels"), "{args:?}: {message}");
        for name in ["@test_channel", "\"Test Channel\"", "@testchannel"] {
            assert!(message.contains(name), "{args:?} lists {name}: {message}");
        }
    }
    // Each of them is still reachable by its own name.
    assert_eq!(
        listed(&a, &["--channel", "Test Channel"]),
        posts_with_message_ids(&a, &[5])
    );
    assert_eq!(
        listed(&a, &["--channel", "testchannel"]),
        posts_with_message_ids(&a, &[6])
    );
}

#[test]
fn a_name_that_fits_no_channel_is_not_found() {
    let a = archive();
    for args in [
        vec!["posts", "--channel", "nobody"],
        vec!["posts", "--from", "nobody"],
        vec!["search", "channel:nobody"],
        vec!["changes", "--channel", "nobody"],
    ] {
        let out = a.run(&args);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("\"nobody\""),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}
