//! Feeds of an archive, read back with a strict XML parser (roxmltree) and serde_json: Atom's
//! required elements (RFC 4287), the same permanent ids in the three formats and across an edit
//! of a post, `updated` from the post's versions, no clock time for an undated post, paging
//! links, hostile text escaped, and the same bytes for the same archive.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use tempfile::TempDir;
use tgscope_engine::feed::{FeedFormat, FeedRequest, FeedSource};
use tgscope_engine::{Engine, ErrorKind, IngestOptions, NoProgress};

const ATOM: &str = "http://www.w3.org/2005/Atom";
const BASE: &str = "http://feeds.test:8080";

/// A Desktop JSON export of a public channel (Telegram id 1000000001): message 2 with the
/// given text (edited at `edited_unixtime` when given), a forward, a post with hostile text and
/// a post with a link.
fn export_json(text_of_2: &str, edited_unixtime: Option<&str>) -> String {
    let edited = edited_unixtime
        .map(|t| format!(r#""edited": "2024-03-05T12:00:00", "edited_unixtime": "{t}","#))
        .unwrap_or_default();
    format!(
        r##"{{
 "name": "Test Channel",
 "type": "public_channel",
 "id": 1000000001,
 "messages": [
  {{"id": 2, "type": "message", "date": "2024-03-01T10:00:00", "date_unixtime": "1709287200",
    {edited}
    "from": "Test Channel", "from_id": "channel1000000001",
    "text": "{text_of_2} #СНГ", "text_entities": [{{"type": "plain", "text": "{text_of_2} "}},
      {{"type": "hashtag", "text": "#СНГ"}}]}},
  {{"id": 3, "type": "message", "date": "2024-03-01T11:00:00", "date_unixtime": "1709290800",
    "from": "Test Channel", "from_id": "channel1000000001",
    "forwarded_from": "МИД России", "forwarded_from_id": "channel1000000002",
    "text": "Forwarded statement #СНГ"}},
  {{"id": 4, "type": "message", "date": "2024-03-01T12:00:00", "date_unixtime": "1709294400",
    "from": "Test Channel", "from_id": "channel1000000001",
    "text": "<script>alert('x')</script> & \"quoted\" \u0001\u001b]8;;evil\u0007 done"}},
  {{"id": 5, "type": "message", "date": "2024-03-01T13:00:00", "date_unixtime": "1709298000",
    "from": "Test Channel", "from_id": "channel1000000001",
    "text": [{{"type": "text_link", "text": "read the statement", "href": "https://mid.example/a?b=1&c=2"}}, " in full"],
    "text_entities": [{{"type": "text_link", "text": "read the statement", "href": "https://mid.example/a?b=1&c=2"}},
      {{"type": "plain", "text": " in full"}}]}}
 ]
}}"##
    )
}

struct Fixture {
    tmp: TempDir,
    archive: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = TempDir::new().expect("tmp");
        let archive = tmp.path().join("archive");
        Fixture { tmp, archive }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.tmp.path().join(name);
        std::fs::write(&path, text).expect("write capture");
        path
    }

    fn ingest(&self, path: &Path, options: &IngestOptions) {
        let mut engine = Engine::open(&self.archive).expect("archive");
        let report = engine
            .ingest(&[path.to_path_buf()], options, &mut NoProgress)
            .expect("ingest");
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    }

    fn feed(&self, source: FeedSource, format: FeedFormat) -> String {
        self.feed_page(source, format, 50, 1)
    }

    fn feed_page(
        &self,
        source: FeedSource,
        format: FeedFormat,
        limit: usize,
        page: usize,
    ) -> String {
        let mut engine = Engine::open_existing(&self.archive).expect("open");
        let request = FeedRequest {
            limit,
            page,
            base_url: Some(BASE.into()),
            ..FeedRequest::new(source, format)
        };
        engine.feed(&request).expect("feed").body
    }
}

fn channel() -> FeedSource {
    FeedSource::Channel("Test Channel".into())
}

/// What a reader takes from an Atom entry.
#[derive(Debug, Clone, PartialEq)]
struct AtomEntry {
    id: String,
    title: String,
    updated: String,
    published: Option<String>,
    alternate: Option<String>,
    content: String,
    categories: Vec<String>,
}

/// The one child of `node` named `name` in the Atom namespace (panics unless exactly one).
fn one<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> roxmltree::Node<'a, 'a> {
    let found: Vec<_> = node
        .children()
        .filter(|c| c.has_tag_name((ATOM, name)))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "<{}> must have exactly one <{name}>",
        node.tag_name().name()
    );
    found[0]
}

fn text(node: roxmltree::Node<'_, '_>) -> String {
    node.text().unwrap_or_default().to_owned()
}

fn is_rfc3339(date: &str) -> bool {
    DateTime::parse_from_rfc3339(date).is_ok()
}

/// Checks an Atom document against RFC 4287's required elements and returns its entries.
/// (`feed`: exactly one `id`, `title`, `updated`; an `author` unless every entry has one; a
/// `link rel="self"`, which the RFC recommends and tgscope writes when it knows its address.
/// `entry`: exactly one `id`, `title`, `updated`; `content` or `link rel="alternate"`; dates in
/// RFC 3339; ids IRIs.)
fn read_atom(body: &str) -> (roxmltree::Document<'_>, Vec<AtomEntry>) {
    let doc = roxmltree::Document::parse(body).expect("the Atom feed is well-formed XML");
    let feed = doc.root_element();
    assert!(feed.has_tag_name((ATOM, "feed")), "the root is atom:feed");
    assert!(text(one(feed, "id")).starts_with("tag:tgscope,2026:"));
    assert!(!text(one(feed, "title")).is_empty());
    assert!(is_rfc3339(&text(one(feed, "updated"))));
    let links: Vec<_> = feed
        .children()
        .filter(|c| c.has_tag_name((ATOM, "link")))
        .collect();
    assert_eq!(
        links
            .iter()
            .filter(|l| l.attribute("rel") == Some("self"))
            .count(),
        1,
        "one link rel=self"
    );
    let feed_author = feed.children().any(|c| c.has_tag_name((ATOM, "author")));
    let mut entries = Vec::new();
    for e in feed.children().filter(|c| c.has_tag_name((ATOM, "entry"))) {
        let updated = text(one(e, "updated"));
        assert!(is_rfc3339(&updated), "updated {updated:?}");
        let published = e
            .children()
            .find(|c| c.has_tag_name((ATOM, "published")))
            .map(text);
        if let Some(p) = &published {
            assert!(is_rfc3339(p), "published {p:?}");
        }
        let alternate = e
            .children()
            .find(|c| c.has_tag_name((ATOM, "link")) && c.attribute("rel") == Some("alternate"))
            .and_then(|l| l.attribute("href"))
            .map(str::to_owned);
        let content = e
            .children()
            .find(|c| c.has_tag_name((ATOM, "content")))
            .map(text);
        assert!(
            content.is_some() || alternate.is_some(),
            "an entry has content or a link rel=alternate"
        );
        assert!(
            feed_author || e.children().any(|c| c.has_tag_name((ATOM, "author"))),
            "an author for the feed or for every entry"
        );
        entries.push(AtomEntry {
            id: text(one(e, "id")),
            title: text(one(e, "title")),
            updated,
            published,
            alternate,
            content: content.unwrap_or_default(),
            categories: e
                .children()
                .filter(|c| c.has_tag_name((ATOM, "category")))
                .filter_map(|c| c.attribute("term").map(str::to_owned))
                .collect(),
        });
    }
    (doc, entries)
}

/// The paging links of an Atom feed (`rel` to `href`).
fn atom_links(body: &str) -> Vec<(String, String)> {
    let doc = roxmltree::Document::parse(body).expect("XML");
    doc.root_element()
        .children()
        .filter(|c| c.has_tag_name((ATOM, "link")))
        .map(|l| {
            (
                l.attribute("rel").unwrap_or_default().to_owned(),
                l.attribute("href").unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn find<'a>(entries: &'a [AtomEntry], id: &str) -> &'a AtomEntry {
    entries
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("no entry {id} in {entries:#?}"))
}

#[test]
fn an_atom_feed_has_what_rfc_4287_requires_and_the_posts_as_intended() {
    let f = Fixture::new();
    let export = f.write("result.json", &export_json("Statement of the day", None));
    f.ingest(&export, &IngestOptions::default());
    let body = f.feed(channel(), FeedFormat::Atom);
    let (doc, entries) = read_atom(&body);
    let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    // Newest first; ids from the channel's Telegram id and the message id.
    assert_eq!(
        ids,
        [
            "tag:tgscope,2026:tg/1000000001/5",
            "tag:tgscope,2026:tg/1000000001/4",
            "tag:tgscope,2026:tg/1000000001/3",
            "tag:tgscope,2026:tg/1000000001/2",
        ]
    );
    let first = find(&entries, "tag:tgscope,2026:tg/1000000001/2");
    assert_eq!(first.title, "Statement of the day #СНГ");
    assert_eq!(first.published.as_deref(), Some("2024-03-01T10:00:00Z"));
    assert_eq!(
        first.updated, "2024-03-01T10:00:00Z",
        "not edited: its date"
    );
    assert_eq!(first.categories, ["СНГ"]);
    // The feed's own time is its newest entry's, never the clock's.
    let feed = doc.root_element();
    assert_eq!(text(one(feed, "updated")), "2024-03-01T13:00:00Z");
    assert_eq!(text(one(feed, "title")), "Test Channel — tgscope");
    // No username: no t.me link; the archive's page is the alternate link.
    assert!(
        first
            .alternate
            .as_deref()
            .is_some_and(|l| l.starts_with(&format!("{BASE}/posts/"))),
        "{first:?}"
    );
    // The forward names its source.
    let forward = find(&entries, "tag:tgscope,2026:tg/1000000001/3");
    assert!(
        forward.content.contains("Forwarded from МИД России"),
        "{}",
        forward.content
    );
    // The link of the post is an anchor, its & escaped once more inside the HTML.
    let linked = find(&entries, "tag:tgscope,2026:tg/1000000001/5");
    assert!(
        linked
            .content
            .contains("<a href=\"https://mid.example/a?b=1&amp;c=2\">read the statement</a>"),
        "{}",
        linked.content
    );
}

#[test]
fn hostile_text_stays_text_in_every_format() {
    let f = Fixture::new();
    let export = f.write("result.json", &export_json("Statement of the day", None));
    f.ingest(&export, &IngestOptions::default());
    let (_, entries) = read_atom(&f.feed(channel(), FeedFormat::Atom));
    let hostile = find(&entries, "tag:tgscope,2026:tg/1000000001/4");
    // The title is text: the markup is there as characters, for a reader to show as such.
    assert!(
        hostile
            .title
            .starts_with("<script>alert('x')</script> & \"quoted\""),
        "{:?}",
        hostile.title
    );
    // The content is HTML in which the post's markup is escaped: no element comes from it.
    assert!(
        hostile
            .content
            .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;"),
        "{}",
        hostile.content
    );
    assert!(!hostile.content.contains("<script"));
    // The control characters the post carries, which XML 1.0 does not allow, are U+FFFD.
    assert!(hostile.title.contains('\u{fffd}'), "{:?}", hostile.title);
    for c in hostile.title.chars().chain(hostile.content.chars()) {
        assert!(
            !c.is_control() || matches!(c, '\n' | '\t' | '\r'),
            "control character {c:?} in {hostile:?}"
        );
    }
    // RSS is well-formed XML too, and JSON Feed carries the same escaped HTML.
    let rss = f.feed(channel(), FeedFormat::Rss);
    roxmltree::Document::parse(&rss).expect("the RSS feed is well-formed XML");
    let json: serde_json::Value =
        serde_json::from_str(&f.feed(channel(), FeedFormat::Json)).expect("JSON");
    let item = json["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == "tag:tgscope,2026:tg/1000000001/4")
        .expect("the hostile post");
    assert_eq!(
        item["content_html"].as_str(),
        Some(hostile.content.as_str())
    );
    assert_eq!(item["title"].as_str(), Some(hostile.title.as_str()));
}

#[test]
fn ids_stay_and_updated_moves_when_a_post_is_edited() {
    let f = Fixture::new();
    let before = f.write("result.json", &export_json("Statement of the day", None));
    f.ingest(&before, &IngestOptions::default());
    let (_, first) = read_atom(&f.feed(channel(), FeedFormat::Atom));
    let json_before: serde_json::Value =
        serde_json::from_str(&f.feed(channel(), FeedFormat::Json)).expect("JSON");

    // A later export: message 2 edited on 2024-03-05 12:00 UTC (1709640000).
    let after = f.write(
        "result-later.json",
        &export_json("Statement of the day, corrected", Some("1709640000")),
    );
    f.ingest(&after, &IngestOptions::default());
    let (_, second) = read_atom(&f.feed(channel(), FeedFormat::Atom));
    let ids = |entries: &[AtomEntry]| entries.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&first), ids(&second), "the same ids after the edit");
    let id = "tag:tgscope,2026:tg/1000000001/2";
    let (old, new) = (find(&first, id), find(&second, id));
    assert_eq!(old.updated, "2024-03-01T10:00:00Z");
    assert_eq!(new.updated, "2024-03-05T12:00:00Z", "the edit time");
    assert_eq!(
        new.published, old.published,
        "published stays the post's date"
    );
    assert_eq!(new.title, "Statement of the day, corrected #СНГ");
    assert!(
        new.content.contains("edited 2024-03-05T12:00:00Z"),
        "{}",
        new.content
    );
    assert!(
        new.content.contains("2 versions in the archive"),
        "{}",
        new.content
    );

    // The same ids in RSS and JSON Feed, before and after.
    let json_after: serde_json::Value =
        serde_json::from_str(&f.feed(channel(), FeedFormat::Json)).expect("JSON");
    let json_ids = |v: &serde_json::Value| {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["id"].as_str().expect("id").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(json_ids(&json_before), ids(&first));
    assert_eq!(json_ids(&json_after), ids(&second));
    let edited = &json_after["items"][3];
    assert_eq!(edited["id"], id);
    assert_eq!(edited["date_modified"], "2024-03-05T12:00:00Z");
    assert_eq!(edited["date_published"], "2024-03-01T10:00:00Z");
    assert_eq!(edited["_tgscope"]["updated_from"], "edit_time");
    assert_eq!(edited["_tgscope"]["versions"], 2);
    let rss = f.feed(channel(), FeedFormat::Rss);
    let doc = roxmltree::Document::parse(&rss).expect("RSS");
    let guids: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("guid"))
        .map(|g| {
            assert_eq!(g.attribute("isPermaLink"), Some("false"));
            text(g)
        })
        .collect();
    assert_eq!(guids, ids(&second));
}

#[test]
fn an_undated_post_gets_its_first_capture_time_never_the_clock() {
    let f = Fixture::new();
    let capture = f.write(
        "undated.txt",
        "A statement without any date in it #CIS\nSecond line of it.\n",
    );
    let options = IngestOptions {
        channel: Some("plain_channel".into()),
        captured_at: Some("2021-05-01T12:00:00Z".into()),
        ..IngestOptions::default()
    };
    f.ingest(&capture, &options);
    let started = Utc::now();
    let body = f.feed(FeedSource::Hashtag("#cis".into()), FeedFormat::Atom);
    let (doc, entries) = read_atom(&body);
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e.published, None, "no date is made up");
    assert_eq!(e.updated, "2021-05-01T12:00:00Z", "the capture's time");
    assert!(
        DateTime::parse_from_rfc3339(&e.updated).expect("date") < started,
        "never the time of the run"
    );
    assert!(
        e.content
            .contains("Date unknown: no capture or text gave it; the archive first captured"),
        "{}",
        e.content
    );
    // A post without a message id: the archive's post id.
    assert!(
        e.id.starts_with("tag:tgscope,2026:archive/post/"),
        "{}",
        e.id
    );
    assert_eq!(
        text(one(doc.root_element(), "updated")),
        "2021-05-01T12:00:00Z"
    );
    assert_eq!(text(one(doc.root_element(), "title")), "#CIS — tgscope");

    // RSS leaves pubDate out; JSON Feed leaves date_published out and says why.
    let rss = f.feed(FeedSource::Hashtag("CIS".into()), FeedFormat::Rss);
    let rss = roxmltree::Document::parse(&rss).expect("RSS");
    assert!(!rss.descendants().any(|n| n.has_tag_name("pubDate")));
    let json: serde_json::Value =
        serde_json::from_str(&f.feed(FeedSource::Hashtag("CIS".into()), FeedFormat::Json))
            .expect("JSON");
    let item = &json["items"][0];
    assert!(item.get("date_published").is_none(), "{item}");
    assert_eq!(item["date_modified"], "2021-05-01T12:00:00Z");
    assert_eq!(item["_tgscope"]["updated_from"], "first_captured");
    assert_eq!(item["_tgscope"]["date"], serde_json::Value::Null);
    assert_eq!(
        item["_tgscope"]["first_captured_at"],
        "2021-05-01T12:00:00Z"
    );
}

#[test]
fn an_inferred_date_says_it_is_inferred() {
    let f = Fixture::new();
    let capture = f.write(
        "dated.txt",
        "Talks in Moscow (March 14, 2024)\nThe ministers met.\n",
    );
    let options = IngestOptions {
        channel: Some("plain_channel".into()),
        captured_at: Some("2024-04-01T00:00:00Z".into()),
        ..IngestOptions::default()
    };
    f.ingest(&capture, &options);
    let json: serde_json::Value =
        serde_json::from_str(&f.feed(FeedSource::Query("Moscow".into()), FeedFormat::Json))
            .expect("JSON");
    let item = &json["items"][0];
    assert_eq!(item["date_published"], "2024-03-14T00:00:00Z");
    assert_eq!(item["_tgscope"]["date"]["basis"], "inferred");
    assert!(
        item["content_html"]
            .as_str()
            .is_some_and(|c| c.contains("Date inferred: 2024-03-14T00:00:00Z")),
        "{item}"
    );
}

#[test]
fn long_feeds_are_paged_with_links_and_say_so() {
    let f = Fixture::new();
    let export = f.write("result.json", &export_json("Statement of the day", None));
    f.ingest(&export, &IngestOptions::default());
    let page1 = f.feed_page(channel(), FeedFormat::Atom, 3, 1);
    let page2 = f.feed_page(channel(), FeedFormat::Atom, 3, 2);
    let (_, first) = read_atom(&page1);
    let (_, second) = read_atom(&page2);
    assert_eq!((first.len(), second.len()), (3, 1));
    let path = format!("{BASE}/feeds/channels/1.atom");
    let links = atom_links(&page1);
    let rel = |links: &[(String, String)], rel: &str| {
        links.iter().find(|(r, _)| r == rel).map(|(_, h)| h.clone())
    };
    assert_eq!(rel(&links, "self"), Some(format!("{path}?limit=3")));
    assert_eq!(rel(&links, "first"), Some(format!("{path}?limit=3")));
    assert_eq!(rel(&links, "next"), Some(format!("{path}?limit=3&page=2")));
    assert_eq!(rel(&links, "last"), Some(format!("{path}?limit=3&page=2")));
    assert_eq!(rel(&links, "previous"), None);
    assert_eq!(rel(&links, "alternate"), Some(format!("{BASE}/channels/1")));
    let links = atom_links(&page2);
    assert_eq!(rel(&links, "previous"), Some(format!("{path}?limit=3")));
    assert_eq!(rel(&links, "next"), None);
    // The feed says it is cut short, and where the rest is.
    let doc = roxmltree::Document::parse(&page1).expect("XML");
    let subtitle = text(one(doc.root_element(), "subtitle"));
    assert!(
        subtitle.contains("Page 1 of 2: posts 1–3 of 4. Older posts: "),
        "{subtitle}"
    );
    // The two pages hold every post once.
    let mut all: Vec<String> = first.iter().chain(&second).map(|e| e.id.clone()).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 4);
    // JSON Feed's next_url; RSS's atom:link next.
    let json: serde_json::Value =
        serde_json::from_str(&f.feed_page(channel(), FeedFormat::Json, 3, 1)).expect("JSON");
    assert_eq!(
        json["next_url"].as_str(),
        Some(format!("{BASE}/feeds/channels/1.json?limit=3&page=2").as_str())
    );
    let rss = f.feed_page(channel(), FeedFormat::Rss, 3, 1);
    let rss = roxmltree::Document::parse(&rss).expect("RSS");
    let next = rss
        .descendants()
        .find(|n| n.has_tag_name((ATOM, "link")) && n.attribute("rel") == Some("next"))
        .and_then(|n| n.attribute("href"));
    assert_eq!(
        next,
        Some(format!("{BASE}/feeds/channels/1.rss?limit=3&page=2").as_str())
    );
}

#[test]
fn the_same_archive_gives_the_same_bytes() {
    let f = Fixture::new();
    let export = f.write("result.json", &export_json("Statement of the day", None));
    f.ingest(&export, &IngestOptions::default());
    for format in FeedFormat::ALL {
        for source in [
            channel(),
            FeedSource::Hashtag("СНГ".into()),
            FeedSource::Query("statement".into()),
            FeedSource::Query("nothing-matches-this".into()),
        ] {
            let once = f.feed(source.clone(), format);
            // Later, from another engine, after the index is rebuilt.
            let mut engine = Engine::open(&f.archive).expect("open");
            engine.reindex().expect("reindex");
            drop(engine);
            let again = f.feed(source.clone(), format);
            assert_eq!(once, again, "{source:?} as {format:?}");
        }
    }
}

#[test]
fn an_empty_feed_is_dated_by_the_archive_not_the_clock() {
    let f = Fixture::new();
    let export = f.write("result.json", &export_json("Statement of the day", None));
    f.ingest(&export, &IngestOptions::default());
    let body = f.feed(
        FeedSource::Query("nothing-matches-this".into()),
        FeedFormat::Atom,
    );
    let (doc, entries) = read_atom(&body);
    assert!(entries.is_empty());
    let updated = text(one(doc.root_element(), "updated"));
    let captures = Engine::open_existing(&f.archive)
        .expect("open")
        .captures()
        .expect("captures");
    let completed = captures[0].completed_at.clone().expect("completed");
    assert_eq!(
        DateTime::parse_from_rfc3339(&updated).expect("date"),
        DateTime::parse_from_rfc3339(&completed).expect("date")
    );
    let subtitle = text(one(doc.root_element(), "subtitle"));
    assert!(subtitle.contains("No post matches yet."), "{subtitle}");
}

#[test]
fn bad_sources_are_refused_with_the_reason() {
    let f = Fixture::new();
    let export = f.write("result.json", &export_json("Statement of the day", None));
    f.ingest(&export, &IngestOptions::default());
    let mut engine = Engine::open_existing(&f.archive).expect("open");
    let mut error = |source: FeedSource, limit: usize, page: usize| {
        let request = FeedRequest {
            limit,
            page,
            ..FeedRequest::new(source, FeedFormat::Atom)
        };
        engine.feed(&request).expect_err("refused")
    };
    let e = error(FeedSource::Channel("no_such_channel".into()), 50, 1);
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.to_string().contains("no_such_channel"), "{e}");
    let e = error(FeedSource::Query("(unclosed".into()), 50, 1);
    assert_eq!(e.kind(), ErrorKind::User);
    let e = error(FeedSource::Hashtag("two words".into()), 50, 1);
    assert_eq!(e.kind(), ErrorKind::User);
    assert_eq!(
        error(FeedSource::Query("x".into()), 0, 1).kind(),
        ErrorKind::User
    );
    assert_eq!(
        error(FeedSource::Query("x".into()), 5, 0).kind(),
        ErrorKind::User
    );
    assert_eq!(
        error(FeedSource::Query(" ".into()), 5, 1).kind(),
        ErrorKind::User
    );
}

#[test]
fn an_edit_without_an_edit_time_is_dated_when_the_archive_first_saw_it() {
    let f = Fixture::new();
    let text = |middle: &str| {
        format!("Our note on the week (April 5, 2024):\n{middle}\nThey agreed to meet again.\n")
    };
    let capture = |name: &str, middle: &str, at: &str| {
        let path = f.write(name, &text(middle));
        let options = IngestOptions {
            channel: Some("plain_channel".into()),
            captured_at: Some(at.into()),
            ..IngestOptions::default()
        };
        f.ingest(&path, &options);
    };
    let source = || FeedSource::Channel("plain_channel".into());
    capture(
        "first.txt",
        "The week was busy with visits of delegations.",
        "2024-04-06T08:00:00Z",
    );
    let (_, before) = read_atom(&f.feed(source(), FeedFormat::Atom));
    capture(
        "later.txt",
        "The week was busy with many visits of delegations.",
        "2024-04-10T09:00:00Z",
    );
    let (_, after) = read_atom(&f.feed(source(), FeedFormat::Atom));
    assert_eq!(before.len(), 1);
    assert_eq!(
        after.len(),
        1,
        "the edited text is a version of the same post"
    );
    // No message id: the archive's post id, the same after the edit.
    assert!(before[0].id.starts_with("tag:tgscope,2026:archive/post/"));
    assert_eq!(after[0].id, before[0].id);
    assert_eq!(
        before[0].updated, "2024-04-05T00:00:00Z",
        "its inferred date"
    );
    assert_eq!(
        after[0].updated, "2024-04-10T09:00:00Z",
        "when the archive first saw the edited text"
    );
    assert_eq!(after[0].published.as_deref(), Some("2024-04-05T00:00:00Z"));
    assert!(
        after[0]
            .content
            .contains("edited: the archive first saw this text at 2024-04-10T09:00:00Z"),
        "{}",
        after[0].content
    );
}

/// A narrative's feed lists the posts the narrative matches (the same as its materialised
/// matches), keeps its id when the definition is edited, follows the new version, and an
/// unknown narrative is not found.
#[test]
fn a_narrative_feed_lists_its_matches_and_keeps_its_id_across_an_edit() {
    let f = Fixture::new();
    let export = f.write("result.json", &export_json("Statement of the day", None));
    f.ingest(&export, &IngestOptions::default());
    let mut engine = Engine::open(&f.archive).expect("archive");
    engine
        .add_narrative("statements", "", &["statement".to_string()])
        .expect("narrative");
    let matched = engine.narrative_posts("statements").expect("matches");
    drop(engine);
    let narrative = || FeedSource::Narrative("statements".into());
    let body = f.feed(narrative(), FeedFormat::Atom);
    let (doc, entries) = read_atom(&body);
    assert_eq!(
        entries.len(),
        matched.len(),
        "one entry per matching post: {entries:?}"
    );
    assert!(matched.len() >= 3, "the statement posts: {matched:?}");
    let feed_id = text(one(doc.root_element(), "id"));
    assert_eq!(feed_id, "tag:tgscope,2026:feed/narrative/statements");
    let alternate = atom_links(&body)
        .into_iter()
        .find(|(rel, _)| rel == "alternate")
        .map(|(_, href)| href);
    assert_eq!(
        alternate.as_deref(),
        Some("http://feeds.test:8080/narratives/statements")
    );

    // An edit: a new version with another query; the feed keeps its id and follows it.
    let mut engine = Engine::open(&f.archive).expect("archive");
    engine
        .edit_narrative("statements", None, Some(&["alert".to_string()]))
        .expect("edit");
    let matched = engine.narrative_posts("statements").expect("matches");
    drop(engine);
    assert_eq!(matched.len(), 1, "the post with <script>alert");
    let body = f.feed(narrative(), FeedFormat::Atom);
    let (doc, entries) = read_atom(&body);
    assert_eq!(text(one(doc.root_element(), "id")), feed_id);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].id, "tag:tgscope,2026:tg/1000000001/4");

    let mut engine = Engine::open_existing(&f.archive).expect("open");
    let err = engine
        .feed(&FeedRequest::new(
            FeedSource::Narrative("nothing".into()),
            FeedFormat::Atom,
        ))
        .expect_err("an unknown narrative");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}
