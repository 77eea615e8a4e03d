//! Nothing cut off without saying so, and counts that say what they leave out: machine formats
//! give every match unless `--limit` is given, tables say how many there are and how to see the
//! rest, JSON carries the total, and a count says how many undated matches it leaves out.

use serde_json::Value;

use crate::common::{Archive, ids, stderr, stdout};

/// A dump of `dated + undated` posts of one channel, each with #CIS: the first `dated` dated a
/// day apart from 2024-03-01, the rest without a date.
fn archive(dated: u32, undated: u32) -> Archive {
    let a = Archive::new();
    let mut dump = String::new();
    for i in 0..dated + undated {
        let date = if i < dated {
            let day = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).expect("date")
                + chrono::Days::new(u64::from(i));
            format!(", \"date\": \"{day}T10:00:00Z\"")
        } else {
            String::new()
        };
        dump.push_str(&format!(
            "{{\"id\": {}, \"channel\": \"cis_digest\"{date}, \"text\": \"Meeting of the #CIS \
             council, item {i}\"}}\n",
            i + 1
        ));
    }
    let path = a.write("digest.jsonl", dump);
    a.ok(["ingest".as_ref(), path.as_os_str()]);
    a
}

#[test]
fn posts_machine_formats_give_every_match_and_tables_say_how_to_see_the_rest() {
    let a = archive(130, 0);
    assert_eq!(
        ids(&a.jsonl(["posts", "--format", "jsonl"])).len(),
        130,
        "jsonl: every post, not 100"
    );
    let csv = a.ok(["posts", "--format", "csv"]);
    assert_eq!(csv.lines().count(), 131, "csv: a header and every post");

    let json = a.json(["posts", "--format", "json"]);
    assert_eq!(json["total"], 130);
    assert_eq!(json["posts"].as_array().expect("posts").len(), 130);

    let table = a.ok(["posts"]);
    assert_eq!(
        table.lines().count(),
        102,
        "a header, a page of 100 posts and a footer:\n{table}"
    );
    let footer = table.lines().last().expect("footer");
    assert!(footer.contains("130 posts match"), "{footer}");
    assert!(footer.contains("showing 1-100"), "{footer}");
    assert!(footer.contains("--offset 100"), "{footer}");

    // The last page says nothing more is left.
    let last = a.ok(["posts", "--offset", "100"]);
    let footer = last.lines().last().expect("footer");
    assert!(footer.contains("showing 101-130"), "{footer}");
    assert!(!footer.contains("--offset"), "{footer}");
}

#[test]
fn a_limit_cuts_machine_formats_and_says_so() {
    let a = archive(30, 0);
    let out = a.run(["posts", "--format", "jsonl", "--limit", "10"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out).lines().count(), 10);
    let note = stderr(&out);
    assert!(note.contains("wrote 10 of 30"), "{note}");
    assert!(note.contains("--offset 10"), "{note}");

    let json = a.json([
        "posts", "--format", "json", "--limit", "10", "--offset", "25",
    ]);
    assert_eq!(json["total"], 30);
    assert_eq!(json["offset"], 25);
    assert_eq!(json["returned"], 5);
}

#[test]
fn search_machine_formats_give_every_match() {
    let a = archive(25, 0);
    let hits = a.jsonl(["search", "council", "--format", "jsonl"]);
    assert_eq!(hits.len(), 25, "jsonl: every match, not 20");
    let json = a.json(["search", "council", "--format", "json"]);
    assert_eq!(json["total"], 25);
    assert_eq!(json["hits"].as_array().expect("hits").len(), 25);
    let csv = a.ok(["search", "council", "--format", "csv"]);
    assert_eq!(csv.lines().count(), 26);

    let table = a.ok(["search", "council"]);
    assert!(table.starts_with("25 posts match; showing 1-20"), "{table}");
    assert!(table.contains("5 more: --offset 20"), "{table}");

    let out = a.run(["search", "council", "--format", "jsonl", "--limit", "5"]);
    assert_eq!(stdout(&out).lines().count(), 5);
    assert!(stderr(&out).contains("wrote 5 of 25"), "{}", stderr(&out));
}

#[test]
fn a_search_of_filters_only_is_sorted_by_date_and_says_so() {
    let a = archive(5, 0);
    let table = a.ok(["search", "#CIS"]);
    assert!(table.contains("newest first"), "{table}");
    assert!(table.contains("no words to rank"), "{table}");
    assert!(!table.contains("score"), "{table}");
    let order: Vec<i64> = ids(&a.jsonl(["search", "#CIS", "--format", "jsonl"]));
    let mut newest_first = order.clone();
    newest_first.sort_unstable_by(|x, y| y.cmp(x));
    assert_eq!(order, newest_first, "posts dated a day apart, in id order");
}

#[test]
fn counts_say_how_many_undated_matches_they_leave_out() {
    let a = archive(11, 6);
    let json = a.json(["count", "#CIS", "--format", "json"]);
    assert_eq!(json["matching"], 17);
    assert_eq!(json["dated"], 11);
    assert_eq!(json["undated"], 6);
    let counted: u64 = json["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .map(|c| c["count"].as_u64().expect("count"))
        .sum();
    assert_eq!(counted, 11);

    let table = a.ok(["count", "#CIS"]);
    assert!(table.starts_with("17 posts match"), "{table}");
    assert!(
        table.contains("6 of the 17 matches have no date"),
        "{table}"
    );

    let out = a.run(["count", "#CIS", "--format", "csv"]);
    assert_eq!(stdout(&out).lines().count(), 12, "a header and 11 days");
    assert!(
        stderr(&out).contains("6 of the 17 matches have no date"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn count_by_defaults_to_a_period_that_fits_the_span() {
    // Eleven days: counted per day.
    let a = archive(11, 0);
    let json = a.json(["count", "#CIS", "--format", "json"]);
    assert_eq!(json["by"], "day");
    assert_eq!(json["by_chosen"], true);
    // A year: per week.
    let a = archive(365, 0);
    let json = a.json(["count", "#CIS", "--format", "json"]);
    assert_eq!(json["by"], "week");
    let weeks = json["counts"].as_array().expect("counts").len();
    assert!((52..=54).contains(&weeks), "{weeks} weeks");
    // Asked for, a period is kept.
    let json = a.json(["count", "#CIS", "--format", "json", "--by", "month"]);
    assert_eq!(json["by"], "month");
    assert_eq!(json["by_chosen"], false);
    assert_eq!(json["counts"].as_array().map(Vec::len), Some(12));
}

#[test]
fn posts_say_how_many_undated_posts_a_date_range_leaves_out() {
    let a = archive(10, 4);
    let table = a.ok(["posts", "--since", "2024-03-05"]);
    assert!(
        table.contains("4 undated posts are left out by the date range"),
        "{table}"
    );
    let json: Value = a.json(["posts", "--format", "json", "--since", "2024-03-05"]);
    assert_eq!(json["total"], 6);
    assert_eq!(json["undated_left_out"], 4);
}
