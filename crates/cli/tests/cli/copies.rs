//! Copies across channels and capture formats: `copies POST`, `copies --channel`, `clusters`,
//! the export's `cluster` and `copy_of`, search's `has:copies` and `cluster:ID`, rebuilds and
//! parameters.
//!
//! The fixtures (`tests/fixtures/copies/`) are small synthetic captures in the exact shapes of
//! the formats:
//! - `mfa_russia/`: the source channel "МИД России 🇷🇺" as a Telegram Desktop JSON export
//!   (posts 101-106), the same chat as a Desktop HTML export, and its `t.me/s/mfa_russia` page
//!   (103, 104 and 107): one chat in three formats, whose posts must be one post each;
//! - `mfa_cis/`: the `t.me/s/mfa_cis` page of "СНГ сегодня": Telegram forwards of 101 and 102,
//!   an unattributed copy of 103 (its own footer and emoji), an attributed copy of 104 (a link
//!   to `t.me/mfa_russia/104`), a post quoting one paragraph of 103 (partial), a post on the
//!   topic of 101 in other words (not a copy), and short posts;
//! - `copycat/`: a Desktop HTML export of "Новости Копикэт": a later unattributed copy of 101
//!   (Latin look-alike letters, "е" for "ё", one word changed), a near copy of 102 (one word
//!   changed in each long line), and short posts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

use crate::common::{Archive, fixture, n, parse_jsonl, stderr, stdout};

const SOURCE: &str = "mfa_russia";
const CIS: &str = "mfa_cis";
const COPYCAT: &str = "Новости Копикэт";

/// The source channel's footer (boilerplate: 3 of its posts carry it).
const SOURCE_FOOTER: &str = "Подписаться на канал МИД России";
/// The footer of `mfa_cis` (boilerplate there: 4 of its posts carry it).
const CIS_FOOTER: &str = "Подписывайтесь на канал «СНГ сегодня»";

/// A copy of a source post, as the fixtures make it.
struct Copy {
    channel: &'static str,
    message_id: i64,
    relation: &'static str,
    /// Seconds after the source post (from the dates the fixtures give).
    delay: i64,
}

/// A source post of `mfa_russia` and its copies.
struct Expected {
    message_id: i64,
    date: &'static str,
    copies: &'static [Copy],
}

const CLUSTERS: &[Expected] = &[
    Expected {
        message_id: 101,
        date: "2024-03-04T09:00:00Z",
        copies: &[
            // 10:15Z
            Copy {
                channel: CIS,
                message_id: 2001,
                relation: "forward",
                delay: 4500,
            },
            // 18:30 UTC+03:00 in the HTML export: 15:30Z
            Copy {
                channel: COPYCAT,
                message_id: 412,
                relation: "unattributed",
                delay: 23_400,
            },
        ],
    },
    Expected {
        message_id: 102,
        date: "2024-03-05T10:00:00Z",
        copies: &[
            // 12:00Z
            Copy {
                channel: CIS,
                message_id: 2004,
                relation: "forward",
                delay: 7200,
            },
            // 2024-03-06 10:00 UTC+03:00: 07:00Z the next day
            Copy {
                channel: COPYCAT,
                message_id: 416,
                relation: "unattributed",
                delay: 75_600,
            },
        ],
    },
    Expected {
        message_id: 103,
        date: "2024-03-06T08:30:00Z",
        copies: &[
            // 11:45Z
            Copy {
                channel: CIS,
                message_id: 2005,
                relation: "unattributed",
                delay: 11_700,
            },
            // 2024-03-08 07:00Z
            Copy {
                channel: CIS,
                message_id: 2008,
                relation: "partial",
                delay: 167_400,
            },
        ],
    },
    Expected {
        message_id: 104,
        date: "2024-03-07T12:00:00Z",
        copies: &[
            // 14:30Z
            Copy {
                channel: CIS,
                message_id: 2006,
                relation: "attributed",
                delay: 9000,
            },
        ],
    },
];

/// Posts that must be in no cluster: short posts ("Видео" and "👍" in two channels each, the
/// same four words in two channels), the post on the topic of 101 in other words, and posts
/// no other channel has.
const UNCLUSTERED: &[(&str, i64)] = &[
    (SOURCE, 105),
    (SOURCE, 106),
    (SOURCE, 107),
    (CIS, 2002),
    (CIS, 2003),
    (CIS, 2007),
    (COPYCAT, 413),
    (COPYCAT, 414),
    (COPYCAT, 415),
];

/// A capture of the fixtures.
fn capture(path: &str) -> PathBuf {
    fixture(&format!("copies/{path}"))
}

/// The source channel's three captures.
fn source_captures() -> Vec<PathBuf> {
    vec![
        capture("mfa_russia/ChatExport_2024-03-10/result.json"),
        capture("mfa_russia/ChatExport_2024-03-12/messages.html"),
        capture("mfa_russia/s_mfa_russia.html"),
    ]
}

/// The captures of the two channels that copy.
fn copy_captures() -> Vec<PathBuf> {
    vec![
        capture("mfa_cis/s_mfa_cis.html"),
        capture("copycat/ChatExport_2024-03-11/messages.html"),
    ]
}

/// Ingests `paths` in one run; every input must be read.
fn ingest(a: &Archive, paths: &[PathBuf]) {
    let mut command = args!["ingest", "--report", "json"];
    command.extend(paths.iter().map(|p| p.as_os_str().to_owned()));
    let report = a.json(command);
    assert_eq!(report["skipped"], 0, "{report:#}");
    assert_eq!(
        report["skipped_inputs"],
        serde_json::json!([]),
        "{report:#}"
    );
}

/// An archive of every fixture, ingested together (the whole folder in one run).
fn archive() -> Archive {
    let a = Archive::new();
    ingest(&a, &[fixture("copies")]);
    a
}

/// The archive's posts as `export` gives them, looked up by channel and message id.
struct Posts(Vec<Value>);

impl Posts {
    fn of(a: &Archive) -> Posts {
        Posts(a.export())
    }

    /// The archive id of the one post of `channel` with Telegram's `message_id`.
    fn id(&self, channel: &str, message_id: i64) -> i64 {
        let found: Vec<i64> = self
            .0
            .iter()
            .filter(|r| r["channel"] == channel && r["message_id"] == message_id)
            .map(|r| r["id"].as_i64().expect("id"))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "one post of {channel} with message id {message_id}"
        );
        found[0]
    }

    fn record(&self, id: i64) -> &Value {
        self.0
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("post {id} in the export"))
    }

    fn ids(&self) -> BTreeSet<i64> {
        self.0
            .iter()
            .map(|r| r["id"].as_i64().expect("id"))
            .collect()
    }
}

/// `copies ID --format json`.
fn copies_of(a: &Archive, id: i64) -> Value {
    a.json(args!["copies", id.to_string(), "--format", "json"])
}

/// The post ids of a JSON array field (`posts` of a cluster, `hits` of a search).
fn ids_of(list: &Value, key: &str) -> BTreeSet<i64> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|v| {
            if key.is_empty() {
                v.as_i64()
            } else {
                v[key].as_i64()
            }
            .unwrap_or_else(|| panic!("no id in {v}"))
        })
        .collect()
}

/// `clusters --format json` (with more arguments), as its list of clusters.
fn clusters(a: &Archive, more: &[&str]) -> Vec<Value> {
    let mut command = vec!["clusters", "--format", "json"];
    command.extend(more);
    let page = a.json(command);
    page["clusters"].as_array().expect("clusters").clone()
}

/// The item of a post in a `copies` answer.
fn item(copies: &Value, id: i64) -> &Value {
    copies["posts"]
        .as_array()
        .expect("posts")
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("post {id} in {copies:#}"))
}

/// The words of a text (letters and digits), as written.
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// The strings of a JSON array (`added`, `removed`).
fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|w| w.as_str().expect("a string"))
        .collect()
}

/// An upper bound of the words the copy analysis compares in a text: URLs, @mentions and
/// `t.me` links left out, then every run of letters and digits one word (every CJK ideograph
/// one), so that fewer than 5 here is fewer than 5 there.
fn compared_words_at_most(text: &str) -> usize {
    text.split_whitespace()
        .filter(|t| {
            !(t.starts_with("http://")
                || t.starts_with("https://")
                || t.starts_with('@')
                || t.contains("t.me/"))
        })
        .flat_map(|t| t.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(|w| {
            let ideographs = w
                .chars()
                .filter(
                    |c| matches!(*c as u32, 0x3040..=0x30FF | 0x3400..=0x9FFF | 0xAC00..=0xD7AF),
                )
                .count();
            ideographs.max(1)
        })
        .sum()
}

/// Every forward whose source channel (by username) and message id are archived as a post:
/// the forward and the source are in one cluster, with the source first seen and the forward
/// related as `forward`; a forward of fewer than 5 words is in no cluster. Returns how many
/// such pairs there are.
fn check_forwards_land_with_their_sources(records: &[Value]) -> usize {
    let by_message: BTreeMap<(String, i64), &Value> = records
        .iter()
        .filter_map(|r| {
            let username = r["channel_username"].as_str()?.to_lowercase();
            Some(((username, r["message_id"].as_i64()?), r))
        })
        .collect();
    let mut pairs = 0;
    for forward in records {
        let from = &forward["forwarded_from"];
        let (Some(username), Some(message_id)) =
            (from["username"].as_str(), from["message_id"].as_i64())
        else {
            continue;
        };
        let Some(source) = by_message.get(&(username.to_lowercase(), message_id)) else {
            continue;
        };
        pairs += 1;
        let text = forward["text"].as_str().unwrap_or_default();
        if compared_words_at_most(text) < 5 {
            assert_eq!(
                forward["cluster"],
                Value::Null,
                "a forward of fewer than 5 words is in no cluster: {forward}"
            );
            continue;
        }
        assert!(
            forward["cluster"].is_i64(),
            "post {} forwards {username}/{message_id} (post {}) and is in no cluster",
            forward["id"],
            source["id"]
        );
        assert_eq!(
            forward["cluster"], source["cluster"],
            "post {} forwards {username}/{message_id} (post {})",
            forward["id"], source["id"]
        );
        assert_eq!(
            forward["copy_of"]["post"], source["id"],
            "the source is first seen: {forward}"
        );
        assert_eq!(forward["copy_of"]["relation"], "forward", "{forward}");
        assert_eq!(source["copy_of"]["relation"], "first", "{source}");
    }
    pairs
}

#[test]
fn one_chat_in_three_formats_and_its_copies_give_one_cluster_per_source_post() {
    let a = archive();
    let posts = Posts::of(&a);

    // The JSON export, the HTML export and the t.me page of mfa_russia are one channel whose
    // posts are one post each (101-106 from the exports, 107 from the page only).
    let source_posts: Vec<&Value> = posts.0.iter().filter(|r| r["channel"] == SOURCE).collect();
    assert_eq!(source_posts.len(), 7, "{source_posts:#?}");
    for message_id in [103, 104] {
        let record = posts.record(posts.id(SOURCE, message_id));
        assert_eq!(
            record["captures"].as_array().map(Vec::len),
            Some(3),
            "{record}"
        );
    }

    for expected in CLUSTERS {
        let source = posts.id(SOURCE, expected.message_id);
        let copies: Vec<(i64, &Copy)> = expected
            .copies
            .iter()
            .map(|c| (posts.id(c.channel, c.message_id), c))
            .collect();
        let members: BTreeSet<i64> = copies.iter().map(|(id, _)| *id).chain([source]).collect();
        let answer = copies_of(&a, source);
        let what = format!("cluster of {SOURCE}/{}: {answer:#}", expected.message_id);
        assert_eq!(answer["post"], source, "{what}");
        assert_eq!(
            ids_of(&answer["posts"], "id"),
            members,
            "members of the {what}"
        );
        assert_eq!(
            answer["cluster"].as_i64(),
            members.first().copied(),
            "the id is the lowest post id: {what}"
        );
        assert_eq!(answer["first_post"], source, "{what}");
        assert_eq!(answer["first_seen_basis"], "observed", "{what}");
        let channels: BTreeSet<&str> = expected
            .copies
            .iter()
            .map(|c| c.channel)
            .chain([SOURCE])
            .collect();
        assert_eq!(n(&answer, "channel_count"), channels.len() as u64, "{what}");

        // The first post leads, the others follow by date.
        let list = answer["posts"].as_array().expect("posts");
        let first = &list[0];
        assert_eq!(first["id"], source, "{what}");
        assert_eq!(first["first_seen"], true, "{what}");
        assert_eq!(first["relation"], "first", "{what}");
        assert_eq!(first["delay_seconds"], Value::Null, "{what}");
        assert_eq!(first["date"], expected.date, "{what}");
        assert_eq!(first["date_inferred"], false, "{what}");
        assert_eq!(first["message_id"], expected.message_id, "{what}");
        assert_eq!(first["channel"]["username"], SOURCE, "{what}");
        let delays: Vec<i64> = list[1..]
            .iter()
            .map(|p| p["delay_seconds"].as_i64().expect("a delay"))
            .collect();
        assert!(delays.is_sorted(), "by date: {what}");

        for (id, copy) in &copies {
            let it = item(&answer, *id);
            let label = format!("{}/{} in the {what}", copy.channel, copy.message_id);
            assert_eq!(it["relation"], copy.relation, "{label}");
            assert_eq!(it["first_seen"], false, "{label}");
            assert_eq!(it["delay_seconds"], copy.delay, "{label}");
            assert_eq!(it["message_id"], copy.message_id, "{label}");
            let similarity = it["similarity"].as_f64().expect("similarity");
            assert!(similarity > 0.0 && similarity <= 1.0, "{label}");
            match copy.relation {
                "forward" => {
                    assert_eq!(it["attribution"]["kind"], "forward_header", "{label}");
                    assert_eq!(it["attribution"]["names"], SOURCE, "{label}");
                    assert!(similarity >= 0.7, "a full copy: {label}");
                }
                "attributed" => {
                    // "Источник: МИД России" linking to t.me/mfa_russia/104.
                    assert_eq!(it["attribution"]["kind"], "link", "{label}");
                    assert_eq!(it["attribution"]["names"], SOURCE, "{label}");
                    assert!(similarity >= 0.7, "a full copy: {label}");
                }
                "unattributed" => {
                    assert_eq!(it["attribution"], Value::Null, "{label}");
                    assert!(similarity >= 0.7, "a full copy: {label}");
                }
                _ => {}
            }
            // Any post of the cluster gives the same cluster, with the same first post.
            let from_copy = copies_of(&a, *id);
            assert_eq!(from_copy["post"], *id);
            assert_eq!(from_copy["cluster"], answer["cluster"], "{label}");
            assert_eq!(from_copy["first_post"], source, "{label}");
            assert_eq!(from_copy["posts"], answer["posts"], "{label}");
        }
    }

    // The copycat's copy of 101: look-alike Latin letters ("Mинистр", "Лaвров"), "провел" for
    // "провёл" and an emoji are no change; one word is, and the source's footer is missing.
    let s1 = copies_of(&a, posts.id(SOURCE, 101));
    let copycat = item(&s1, posts.id(COPYCAT, 412));
    assert_eq!(strings(&copycat["added"]), ["встречу"], "{copycat}");
    assert_eq!(
        strings(&copycat["removed"]),
        ["переговоры", "Подписаться", "канал", "МИД"],
        "{copycat}"
    );
    assert_eq!(
        copycat["date_inferred"], true,
        "an HTML export's time: {copycat}"
    );

    // mfa_cis's copy of 103 changes only the footer (boilerplate in both channels) and adds
    // emoji: the same text as far as copies go.
    let s3 = copies_of(&a, posts.id(SOURCE, 103));
    let footer_swap = item(&s3, posts.id(CIS, 2005));
    assert_eq!(footer_swap["similarity"], 1.0, "{footer_swap}");
    let cis_footer = words(CIS_FOOTER);
    let source_footer = words(SOURCE_FOOTER);
    assert!(!strings(&footer_swap["added"]).is_empty(), "{footer_swap}");
    for w in strings(&footer_swap["added"]) {
        assert!(cis_footer.contains(&w), "{w} added: {footer_swap}");
    }
    for w in strings(&footer_swap["removed"]) {
        assert!(source_footer.contains(&w), "{w} removed: {footer_swap}");
    }
    // The post quoting one paragraph of 103 is far from a full copy.
    let partial = item(&s3, posts.id(CIS, 2008));
    assert!(
        partial["similarity"].as_f64().expect("similarity") < 0.7,
        "{partial}"
    );

    // Short posts, the same topic in other words, and posts without a copy: no cluster.
    for (channel, message_id) in UNCLUSTERED {
        let id = posts.id(channel, *message_id);
        let answer = copies_of(&a, id);
        assert_eq!(answer["post"], id);
        assert_eq!(
            answer["cluster"],
            Value::Null,
            "{channel}/{message_id}: {answer:#}"
        );
        assert_eq!(
            answer["posts"],
            serde_json::json!([]),
            "{channel}/{message_id}"
        );
        let table = a.ok(args!["copies", id.to_string()]);
        assert!(table.contains("has no copies"), "{table}");
    }

    // Every forward whose source is archived is in its source's cluster.
    assert_eq!(check_forwards_land_with_their_sources(&posts.0), 2);

    // A table for people names the first post and every relation.
    let table = a.ok(args!["copies", posts.id(CIS, 2006).to_string()]);
    assert!(table.contains("First seen in this archive"), "{table}");
    assert!(table.contains("attributed (link mfa_russia)"), "{table}");
}

#[test]
fn a_backfilled_source_becomes_first_seen_and_the_cluster_keeps_the_lowest_id() {
    let a = Archive::new();
    ingest(&a, &copy_captures());
    let before = Posts::of(&a);
    let forward = before.id(CIS, 2001);
    let copycat = before.id(COPYCAT, 412);

    // Without the source, the first seen is the earliest copy: the forward (10:15Z; the
    // copycat's copy is 15:30Z).
    let answer = copies_of(&a, copycat);
    assert_eq!(
        ids_of(&answer["posts"], "id"),
        BTreeSet::from([forward, copycat])
    );
    assert_eq!(answer["cluster"], forward.min(copycat));
    assert_eq!(answer["first_post"], forward, "{answer:#}");
    assert_eq!(answer["first_seen_basis"], "observed");
    assert_eq!(item(&answer, forward)["relation"], "first");
    assert_eq!(item(&answer, copycat)["delay_seconds"], 23_400 - 4500);
    // Two posts of one channel sharing a paragraph are no copies (the copy of 103 and the
    // post quoting it are both of mfa_cis).
    assert_eq!(copies_of(&a, before.id(CIS, 2005))["cluster"], Value::Null);
    assert_eq!(copies_of(&a, before.id(CIS, 2008))["cluster"], Value::Null);

    // The source's captures come later: its posts get higher ids.
    ingest(&a, &source_captures());
    let after = Posts::of(&a);
    let source = after.id(SOURCE, 101);
    assert!(source > forward && source > copycat);
    let answer = copies_of(&a, copycat);
    assert_eq!(
        ids_of(&answer["posts"], "id"),
        BTreeSet::from([forward, copycat, source])
    );
    assert_eq!(
        answer["cluster"],
        forward.min(copycat),
        "the id stays the lowest post id: {answer:#}"
    );
    assert_eq!(answer["first_post"], source, "{answer:#}");
    assert_eq!(answer["first_seen_basis"], "observed");
    assert_eq!(item(&answer, forward)["relation"], "forward");
    assert_eq!(item(&answer, forward)["delay_seconds"], 4500);
    assert_eq!(item(&answer, copycat)["delay_seconds"], 23_400);
    // 103's copies now meet in its cluster.
    let s3 = copies_of(&a, after.id(SOURCE, 103));
    assert_eq!(
        ids_of(&s3["posts"], "id"),
        BTreeSet::from([
            after.id(SOURCE, 103),
            after.id(CIS, 2005),
            after.id(CIS, 2008)
        ])
    );
    assert_eq!(check_forwards_land_with_their_sources(&after.0), 2);

    // Every cluster's id is its lowest post id, and the analysis kept up to date over two
    // ingests is the one built from scratch.
    let kept = a.ok(["clusters", "--format", "json"]);
    for c in clusters(&a, &[]) {
        assert_eq!(
            c["cluster"].as_i64(),
            ids_of(&c["posts"], "").first().copied(),
            "{c}"
        );
    }
    std::fs::remove_dir_all(a.dir.join("copies")).expect("copies/ removed");
    assert_eq!(a.ok(["clusters", "--format", "json"]), kept);
}

#[test]
fn a_channel_s_copying_counts_each_relation() {
    let a = archive();
    let cis = a.json(["copies", "--channel", CIS, "--format", "json"]);
    assert_eq!(cis["channel"]["username"], CIS, "{cis:#}");
    assert_eq!(cis["clusters"], 4, "{cis:#}");
    assert_eq!(cis["copied_by"], serde_json::json!([]), "{cis:#}");
    let from = cis["copies_from"].as_array().expect("copies_from");
    assert_eq!(from.len(), 1, "{cis:#}");
    let russia = &from[0];
    assert_eq!(russia["channel"]["username"], SOURCE);
    assert_eq!(russia["channel"]["title"], "МИД России 🇷🇺");
    assert_eq!(russia["posts"], 5);
    assert_eq!(russia["forward"], 2);
    assert_eq!(russia["attributed"], 1);
    assert_eq!(russia["unattributed"], 1);
    assert_eq!(russia["partial"], 1);
    // The delays: 4500, 7200, 9000, 11700, 167400.
    assert_eq!(russia["median_delay_seconds"], 9000);

    let source = a.json(["copies", "--channel", SOURCE, "--format", "json"]);
    assert_eq!(source["clusters"], 4, "{source:#}");
    assert_eq!(source["copies_from"], serde_json::json!([]), "{source:#}");
    let by = source["copied_by"].as_array().expect("copied_by");
    let names: Vec<String> = by
        .iter()
        .map(|c| {
            c["channel"]["username"]
                .as_str()
                .or(c["channel"]["title"].as_str())
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(names, [CIS, COPYCAT], "the most posts first: {source:#}");
    assert_eq!(by[0]["posts"], 5);
    assert_eq!(by[0]["forward"], 2);
    assert_eq!(by[1]["posts"], 2);
    assert_eq!(by[1]["unattributed"], 2);
    assert_eq!(by[1]["forward"], 0);
    let median = by[1]["median_delay_seconds"].as_i64().expect("a median");
    assert!((23_400..=75_600).contains(&median), "{}", by[1]);

    // The copycat, named by its title, copies from mfa_russia.
    let copycat = a.json(["copies", "--channel", COPYCAT, "--format", "json"]);
    assert_eq!(copycat["clusters"], 2, "{copycat:#}");
    assert_eq!(copycat["copies_from"][0]["channel"]["username"], SOURCE);
    assert_eq!(copycat["copies_from"][0]["unattributed"], 2);

    // The same in CSV, and in a table for people.
    let csv = a.ok(["copies", "--channel", SOURCE, "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "direction,channel,channel_id,posts,forward,attributed,unattributed,partial,\
             median_delay_seconds"
        )
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(rows[0].starts_with("copied_by,mfa_cis,"), "{csv}");
    let table = a.ok(["copies", "--channel", CIS]);
    assert!(table.contains("Copies from"), "{table}");
    assert!(table.contains("mfa_russia"), "{table}");
    // A channel the archive does not have.
    let out = a.run(["copies", "--channel", "no_such_channel"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
}

#[test]
fn clusters_list_their_fields_counts_and_orders() {
    let a = archive();
    let posts = Posts::of(&a);
    let page = a.json(["clusters", "--min-channels", "2", "--format", "json"]);
    assert_eq!(page["total"], 4, "{page:#}");
    assert_eq!(page["offset"], 0);
    assert_eq!(page["returned"], 4);
    assert_eq!(page["limit"], Value::Null);
    assert_eq!(page["undated_left_out"], 0);
    let list = page["clusters"].as_array().expect("clusters");
    for expected in CLUSTERS {
        let source = posts.id(SOURCE, expected.message_id);
        let c = list
            .iter()
            .find(|c| c["first_post"] == source)
            .unwrap_or_else(|| panic!("a cluster first seen at post {source}: {page:#}"));
        let members: BTreeSet<i64> = expected
            .copies
            .iter()
            .map(|cp| posts.id(cp.channel, cp.message_id))
            .chain([source])
            .collect();
        assert_eq!(ids_of(&c["posts"], ""), members, "{c}");
        assert_eq!(n(c, "size"), members.len() as u64, "{c}");
        assert_eq!(c["cluster"].as_i64(), members.first().copied(), "{c}");
        let channels: BTreeSet<&str> = expected
            .copies
            .iter()
            .map(|cp| cp.channel)
            .chain([SOURCE])
            .collect();
        assert_eq!(
            c["channels"].as_array().map(Vec::len),
            Some(channels.len()),
            "{c}"
        );
        assert_eq!(c["first_seen_basis"], "observed", "{c}");
        assert_eq!(c["first_date"], expected.date, "{c}");
        // The last copy's date (inferred for the copycat's HTML export).
        let last = expected
            .copies
            .iter()
            .max_by_key(|cp| cp.delay)
            .expect("a copy");
        let last = posts.record(posts.id(last.channel, last.message_id));
        let last_date = match &last["date"] {
            Value::Null => &last["date_inferred"]["date"],
            date => date,
        };
        assert_eq!(&c["last_date"], last_date, "{c}");
        assert_eq!(c["undated_posts"], 0, "{c}");
    }
    // By size (the default), ties by id.
    let keys: Vec<(i64, i64)> = list
        .iter()
        .map(|c| (-(n(c, "size") as i64), c["cluster"].as_i64().expect("id")))
        .collect();
    assert!(keys.is_sorted(), "{keys:?}");

    // Three channels: the clusters of 101 and 102 only.
    let three = clusters(&a, &["--min-channels", "3"]);
    let firsts: BTreeSet<i64> = three
        .iter()
        .map(|c| c["first_post"].as_i64().expect("first_post"))
        .collect();
    assert_eq!(
        firsts,
        BTreeSet::from([posts.id(SOURCE, 101), posts.id(SOURCE, 102)])
    );

    // By the first post's date; by the number of channels.
    let by_first: Vec<Value> = clusters(&a, &["--sort", "first"])
        .iter()
        .map(|c| c["first_date"].clone())
        .collect();
    let dates: Vec<&str> = CLUSTERS.iter().map(|e| e.date).collect();
    assert_eq!(by_first, dates);
    let by_channels: Vec<usize> = clusters(&a, &["--sort", "channels"])
        .iter()
        .map(|c| c["channels"].as_array().map_or(0, Vec::len))
        .collect();
    assert!(by_channels.is_sorted_by(|x, y| x >= y), "{by_channels:?}");

    // First seen in a date range.
    let since = clusters(&a, &["--since", "2024-03-06"]);
    let since: Vec<&Value> = since.iter().map(|c| &c["first_date"]).collect();
    assert_eq!(since, [dates[2], dates[3]]);
    let until = clusters(&a, &["--until", "2024-03-06", "--sort", "first"]);
    let until: Vec<&Value> = until.iter().map(|c| &c["first_date"]).collect();
    assert_eq!(until, [dates[0], dates[1]]);

    // --limit cuts the lines and says on stderr how to get the rest.
    let out = a.run(["clusters", "--limit", "1", "--format", "jsonl"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = parse_jsonl(&stdout(&out));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0], list[0]);
    let note = stderr(&out);
    assert!(note.contains("1 of 4"), "{note}");
    assert!(note.contains("--offset 1"), "{note}");
    let next = a.jsonl([
        "clusters", "--limit", "1", "--offset", "1", "--format", "jsonl",
    ]);
    assert_eq!(next, [list[1].clone()]);
    // Without --limit, every cluster and no note.
    let out = a.run(["clusters", "--format", "jsonl"]);
    assert_eq!(parse_jsonl(&stdout(&out)).len(), 4);
    assert_eq!(stderr(&out), "");
    // JSON says it in the page itself.
    let page = a.json(["clusters", "--limit", "1", "--format", "json"]);
    assert_eq!(page["total"], 4);
    assert_eq!(page["returned"], 1);
    assert_eq!(page["limit"], 1);

    // CSV: one row per cluster, posts joined by ';'.
    let csv = a.ok(["clusters", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().expect("header").clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}: {header:?}"))
    };
    let (cluster_at, size_at, channels_at, posts_at) = (
        column("cluster"),
        column("size"),
        column("channels"),
        column("posts"),
    );
    for name in [
        "first_post",
        "first_seen_basis",
        "first_date",
        "last_date",
        "undated_posts",
    ] {
        column(name);
    }
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 4);
    for (row, c) in rows.iter().zip(list) {
        assert_eq!(row[cluster_at], c["cluster"].to_string());
        assert_eq!(row[size_at], c["size"].to_string());
        let members: Vec<String> = ids_of(&c["posts"], "").iter().map(i64::to_string).collect();
        assert_eq!(row[posts_at], members.join(";"));
        let channels = c["channels"].as_array().expect("channels");
        assert_eq!(row[channels_at].split(';').count(), channels.len());
    }

    // The table for people.
    let table = a.ok(["clusters"]);
    assert!(table.starts_with("4 copy clusters"), "{table}");
    assert!(table.contains("Новости Копикэт"), "{table}");
}

#[test]
fn export_and_search_carry_the_clusters() {
    let a = archive();
    let posts = Posts::of(&a);
    let all = clusters(&a, &[]);
    // Each clustered post: its cluster and first post, and its relation as `copies` says.
    let mut expected: BTreeMap<i64, (i64, i64, String)> = BTreeMap::new();
    for c in &all {
        let id = c["cluster"].as_i64().expect("id");
        let first = c["first_post"].as_i64().expect("first_post");
        let detail = copies_of(&a, first);
        for p in detail["posts"].as_array().expect("posts") {
            let relation = p["relation"].as_str().expect("relation").to_string();
            expected.insert(p["id"].as_i64().expect("id"), (id, first, relation));
        }
    }
    assert_eq!(expected.len(), 11, "{expected:?}");
    for r in &posts.0 {
        let id = r["id"].as_i64().expect("id");
        match expected.get(&id) {
            Some((cluster, first, relation)) => {
                assert_eq!(r["cluster"], *cluster, "{r}");
                assert_eq!(r["copy_of"]["post"], *first, "{r}");
                assert_eq!(r["copy_of"]["relation"], relation.as_str(), "{r}");
            }
            None => {
                assert_eq!(r["cluster"], Value::Null, "{r}");
                assert_eq!(r["copy_of"], Value::Null, "{r}");
            }
        }
    }

    // CSV: the columns cluster, copy_of and copy_relation.
    let csv = a.ok(["export", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().expect("header").clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}: {header:?}"))
    };
    let (id_at, cluster_at, copy_of_at, relation_at) = (
        column("id"),
        column("cluster"),
        column("copy_of"),
        column("copy_relation"),
    );
    let mut rows = 0;
    for row in reader.records() {
        let row = row.expect("row");
        rows += 1;
        let id: i64 = row[id_at].parse().expect("id");
        match expected.get(&id) {
            Some((cluster, first, relation)) => {
                assert_eq!(row[cluster_at], cluster.to_string(), "{row:?}");
                assert_eq!(row[copy_of_at], first.to_string(), "{row:?}");
                assert_eq!(&row[relation_at], relation, "{row:?}");
            }
            None => {
                assert_eq!(&row[cluster_at], "", "{row:?}");
                assert_eq!(&row[copy_of_at], "", "{row:?}");
                assert_eq!(&row[relation_at], "", "{row:?}");
            }
        }
    }
    assert_eq!(rows, posts.0.len());

    // has:copies: exactly the clustered posts; -has:copies: the others.
    let search = |query: &str| -> BTreeSet<i64> {
        let page = a.json(args!["search", "--format", "json", "--", query]);
        let hits = ids_of(&page["hits"], "id");
        assert_eq!(n(&page, "total"), hits.len() as u64, "{query}: {page:#}");
        hits
    };
    let clustered: BTreeSet<i64> = expected.keys().copied().collect();
    assert_eq!(search("has:copies"), clustered);
    let rest: BTreeSet<i64> = posts.ids().difference(&clustered).copied().collect();
    assert_eq!(search("-has:copies"), rest);
    // cluster:ID: the posts of that cluster.
    for c in &all {
        let id = c["cluster"].as_i64().expect("id");
        assert_eq!(search(&format!("cluster:{id}")), ids_of(&c["posts"], ""));
    }
    // Combined with other filters and words.
    let cis_copies: BTreeSet<i64> = clustered
        .iter()
        .copied()
        .filter(|id| posts.record(*id)["channel"] == CIS)
        .collect();
    assert_eq!(cis_copies.len(), 5);
    assert_eq!(search("has:copies channel:mfa_cis"), cis_copies);
    // "Лавров": the source, its forward and the copycat's copy (look-alike letters and all);
    // the post on the same topic in other words has no copies.
    assert_eq!(
        search("Лавров -has:copies"),
        BTreeSet::from([posts.id(CIS, 2003)])
    );
    // A cluster id that is no cluster's.
    let unknown = posts.ids().last().copied().unwrap_or_default() + 100;
    let out = a.run(args!["search", format!("cluster:{unknown}")]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&unknown.to_string()),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_rebuild_from_scratch_gives_the_same_clusters_and_ids() {
    let a = archive();
    let before = a.ok(["clusters", "--format", "json"]);
    let relations = a.ok(["export", "--format", "jsonl"]);
    let copies = a.dir.join("copies");
    assert!(
        copies.is_dir(),
        "the analysis lives in {}",
        copies.display()
    );
    std::fs::remove_dir_all(&copies).expect("copies/ removed");
    assert_eq!(a.ok(["clusters", "--format", "json"]), before);
    assert!(copies.is_dir(), "rebuilt in {}", copies.display());
    assert_eq!(a.ok(["export", "--format", "jsonl"]), relations);
    // The same again from a damaged analysis.
    let state = std::fs::read_dir(&copies)
        .expect("copies/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.is_file() && std::fs::metadata(p).is_ok_and(|m| m.len() > 64))
        .expect("the analysis's file");
    let mut bytes = std::fs::read(&state).expect("state");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    std::fs::write(&state, bytes).expect("state damaged");
    assert_eq!(a.ok(["clusters", "--format", "json"]), before);
}

#[test]
fn a_stricter_jaccard_rebuilds_and_drops_near_copies_and_default_params_restore() {
    let a = archive();
    let posts = Posts::of(&a);
    let before = a.ok(["clusters", "--format", "json"]);
    let s1 = posts.id(SOURCE, 101);
    let s2 = posts.id(SOURCE, 102);
    let near = posts.id(COPYCAT, 416);
    let lookalike = posts.id(COPYCAT, 412);
    // The copycat's copy of 102 is a near copy, far below 0.95.
    let answer = copies_of(&a, near);
    let similarity = item(&answer, near)["similarity"]
        .as_f64()
        .expect("similarity");
    assert!((0.7..0.95).contains(&similarity), "{answer:#}");
    let lookalike_similarity = item(&copies_of(&a, lookalike), lookalike)["similarity"]
        .as_f64()
        .expect("similarity");
    assert!(lookalike_similarity < 0.95, "{lookalike_similarity}");

    let out = a.run(["clusters", "--jaccard", "0.95", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let note = stderr(&out);
    assert!(
        note.contains("rebuilt") && note.contains("jaccard 0.95"),
        "{note}"
    );
    let strict: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_ne!(stdout(&out), before);
    // The near copy leaves the cluster of 102 (it shares no long paragraph with it).
    assert_eq!(copies_of(&a, near)["cluster"], Value::Null);
    let s2_cluster = copies_of(&a, s2);
    assert_eq!(
        ids_of(&s2_cluster["posts"], "id"),
        BTreeSet::from([s2, posts.id(CIS, 2004)])
    );
    assert!(
        strict["clusters"]
            .as_array()
            .expect("clusters")
            .iter()
            .all(|c| !ids_of(&c["posts"], "").contains(&near)),
        "{strict:#}"
    );
    // The look-alike copy of 101 shares two whole paragraphs with it: it stays, as partial.
    let s1_cluster = copies_of(&a, s1);
    assert_eq!(item(&s1_cluster, lookalike)["relation"], "partial");
    // Copies of the same text stay what they were.
    assert_eq!(
        item(&s2_cluster, posts.id(CIS, 2004))["relation"],
        "forward"
    );

    // The setting is the archive's: later commands and ingests keep it.
    assert_eq!(copies_of(&a, near)["cluster"], Value::Null);
    let later = a.write(
        "later.txt",
        "Синоптики обещают в Москве тёплые выходные без осадков и слабый южный ветер.\n",
    );
    a.ingest(&later, "weather_notes");
    assert_eq!(copies_of(&a, near)["cluster"], Value::Null);
    // A value out of range is refused and changes nothing.
    let out = a.run(["clusters", "--jaccard", "1.5"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("jaccard"), "{}", stderr(&out));
    assert_eq!(copies_of(&a, near)["cluster"], Value::Null);

    // --default-params goes back, and the clusters are those of the start.
    let out = a.run(["clusters", "--default-params", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("jaccard 0.7"), "{}", stderr(&out));
    assert_eq!(stdout(&out), before);
    // Asked again, nothing changes and nothing is rebuilt.
    let out = a.run(["clusters", "--default-params", "--format", "json"]);
    assert_eq!(stderr(&out), "");
    assert_eq!(stdout(&out), before);
}

/// The first seen of a forward and the post it forwards, when the source's date is an
/// inferred one (a Desktop HTML export's time) and the forward's an observed one (a t.me page):
/// the forward names its source, so the source came first.
#[test]
fn a_forward_is_never_first_seen_before_the_post_it_forwards() {
    let a = Archive::new();
    ingest(
        &a,
        &[
            capture("mfa_russia/ChatExport_2024-03-12/messages.html"),
            capture("mfa_cis/s_mfa_cis.html"),
        ],
    );
    let posts = Posts::of(&a);
    for (source, forward) in [(101, 2001), (102, 2004)] {
        let source = posts.id(SOURCE, source);
        let forward = posts.id(CIS, forward);
        let answer = copies_of(&a, forward);
        assert_eq!(answer["first_post"], source, "{answer:#}");
        assert_eq!(item(&answer, forward)["relation"], "forward", "{answer:#}");
    }
    assert_eq!(check_forwards_land_with_their_sources(&posts.0), 2);
}

#[test]
fn the_real_samples_together_keep_forwards_with_their_sources() {
    let Some(samples) = super::real_sample::samples() else {
        return;
    };
    let folders: Vec<PathBuf> = ["desktop-html", "desktop-json", "tme-html", "text"]
        .iter()
        .map(|f| samples.join(f))
        .filter(|p| p.is_dir())
        .collect();
    assert!(
        !folders.is_empty(),
        "no sample folders in {}",
        samples.display()
    );
    let a = Archive::new();
    let mut command = args!["ingest", "-q"];
    command.extend(folders.iter().map(|p| p.as_os_str().to_owned()));
    a.ok(command);
    let records = a.export();

    // Forwards whose source post is archived too.
    let with_message_id = records
        .iter()
        .filter(|r| r["forwarded_from"]["message_id"].is_i64())
        .count();
    let pairs = check_forwards_land_with_their_sources(&records);
    if pairs == 0 {
        eprintln!(
            "note: none of the {with_message_id} forwards of the samples that name their \
             source's message id has its source post in the samples: the forward/source check \
             had nothing to check"
        );
    }

    // Whatever the samples hold: every cluster's id is its lowest post id, its first post is
    // one of its posts, no post is in two clusters, and the export agrees.
    let all = clusters(&a, &[]);
    let mut cluster_of: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for c in &all {
        let members = ids_of(&c["posts"], "");
        let id = c["cluster"].as_i64().expect("id");
        let first = c["first_post"].as_i64().expect("first_post");
        assert_eq!(members.first().copied(), Some(id), "{c}");
        assert!(members.contains(&first), "{c}");
        assert_eq!(n(c, "size"), members.len() as u64, "{c}");
        assert!(members.len() >= 2, "{c}");
        for m in members {
            assert!(
                cluster_of.insert(m, (id, first)).is_none(),
                "post {m} in two clusters"
            );
        }
    }
    for r in &records {
        let id = r["id"].as_i64().expect("id");
        match cluster_of.get(&id) {
            Some((cluster, first)) => {
                assert_eq!(r["cluster"], *cluster, "{r}");
                assert_eq!(r["copy_of"]["post"], *first, "{r}");
                // Fewer than 5 words are never compared.
                let text = r["text"].as_str().unwrap_or_default();
                assert!(
                    compared_words_at_most(text) >= 5,
                    "post {id} of fewer than 5 words is clustered: {text:?}"
                );
            }
            None => {
                assert_eq!(r["cluster"], Value::Null, "{r}");
                assert_eq!(r["copy_of"], Value::Null, "{r}");
            }
        }
    }
    let page = a.json(["search", "has:copies", "--format", "json", "--limit", "1"]);
    assert_eq!(n(&page, "total"), cluster_of.len() as u64);

    // Built again from scratch: the same clusters with the same ids.
    let kept = a.ok(["clusters", "--format", "json"]);
    std::fs::remove_dir_all(a.dir.join("copies")).expect("copies/ removed");
    assert_eq!(a.ok(["clusters", "--format", "json"]), kept);
}
