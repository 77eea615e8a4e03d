//! The web pages: the stable hooks a browser test relies on, the first page of an empty
//! archive, and untrusted post content shown as text everywhere (with the CSP on every page).

use axum::http::StatusCode;
use scraper::{Html, Selector};

use crate::support::{IMG, Reply, SCRIPT, archive, config, enc, get, router};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let selector = Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e:?}"));
    doc.select(&selector).collect()
}

fn text(e: &scraper::ElementRef<'_>) -> String {
    e.text().collect()
}

/// An HTML page with the security headers.
fn page(reply: &Reply) -> Html {
    assert_eq!(
        reply.header("content-type"),
        "text/html; charset=utf-8",
        "{}",
        reply.body
    );
    assert_eq!(reply.header("content-security-policy"), CSP);
    assert_eq!(reply.header("x-content-type-options"), "nosniff");
    assert_eq!(reply.header("referrer-policy"), "no-referrer");
    assert!(reply.body.contains("<meta name=\"viewport\""));
    Html::parse_document(&reply.body)
}

/// The payloads appear (if at all) as text only: no script, no image, no event handler, no
/// `javascript:` link, anywhere in the page.
fn assert_inert(reply: &Reply) {
    let doc = page(reply);
    assert!(select(&doc, "script").is_empty(), "a live <script>");
    assert!(select(&doc, "img").is_empty(), "a live <img>");
    for element in select(&doc, "*") {
        for (name, value) in element.value().attrs() {
            assert!(!name.starts_with("on"), "an event handler {name}={value}");
            assert!(
                !value
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("javascript:"),
                "a javascript: URL in {name}"
            );
        }
    }
    assert!(!reply.body.contains(SCRIPT), "the script payload unescaped");
    assert!(
        !reply.body.contains("<img src=x"),
        "the image payload unescaped"
    );
}

#[tokio::test]
async fn the_home_page_lists_the_channels_and_has_the_search_form() {
    let a = archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/").await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = page(&reply);
    let form = select(&doc, "form#search");
    assert_eq!(form.len(), 1);
    assert_eq!(form[0].value().attr("action"), Some("/search"));
    assert_eq!(form[0].value().attr("method"), Some("get"));
    assert_eq!(select(&doc, "form#search input[name=q]").len(), 1);
    let links: Vec<&str> = select(&doc, "ul#channels > li a")
        .iter()
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(links, ["/channels/harbor_notes", "/channels/mfa_test"]);
    assert!(select(&doc, "section#empty").is_empty());
    // Every list can be downloaded.
    assert!(reply.body.contains("/api/v1/channels?format=csv"));
    // The captures, newest first, each with its hash and a link to its bytes.
    let rows = select(&doc, "table#captures tbody tr");
    assert_eq!(rows.len(), 3);
    assert!(
        text(&rows[0]).contains("harbor.jsonl"),
        "{}",
        text(&rows[0])
    );
    let raw: Vec<&str> = select(&doc, "table#captures a.raw-capture")
        .iter()
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(raw.len(), 3);
    for href in raw {
        assert_eq!(get(&app, href).await.status, StatusCode::OK, "{href}");
    }
    assert!(
        select(&doc, "link[rel=stylesheet]")[0].value().attr("href") == Some("/static/style.css")
    );
    let css = get(&app, "/static/style.css").await;
    assert_eq!(css.header("content-type"), "text/css; charset=utf-8");
    assert_eq!(css.header("content-security-policy"), CSP);
}

#[tokio::test]
async fn the_home_page_follows_the_archive_when_it_changes() {
    // The home page's counts are kept between requests; a later ingest shows at once.
    let a = archive();
    let app = router(config(&a.dir));
    let channels = |reply: &Reply| -> Vec<String> {
        let doc = page(reply);
        select(&doc, "ul#channels > li a")
            .iter()
            .filter_map(|a| a.value().attr("href").map(str::to_string))
            .collect()
    };
    let first = get(&app, "/").await;
    assert_eq!(
        get(&app, "/").await.body,
        first.body,
        "the same archive, the same page"
    );
    assert_eq!(
        channels(&first),
        ["/channels/harbor_notes", "/channels/mfa_test"]
    );
    let later = a.dir.parent().expect("tmp").join("later.txt");
    std::fs::write(
        &later,
        "Ferry news\nThe night ferry runs again from Friday.\n1.2K views 10:00\n",
    )
    .expect("capture");
    let mut engine = tgscope_engine::Engine::open(&a.dir).expect("archive");
    let options = tgscope_engine::IngestOptions {
        channel: Some("ferry_news".into()),
        ..tgscope_engine::IngestOptions::default()
    };
    engine
        .ingest(&[later], &options, &mut tgscope_engine::NoProgress)
        .expect("ingest");
    drop(engine);
    let after = get(&app, "/").await;
    assert_eq!(
        channels(&after),
        [
            "/channels/harbor_notes",
            "/channels/mfa_test",
            "/channels/ferry_news"
        ]
    );
    assert_eq!(select(&page(&after), "table#captures tbody tr").len(), 4);
}

#[tokio::test]
async fn an_empty_archive_shows_the_first_steps_not_an_error() {
    // A directory without an archive, and an archive without posts.
    let tmp = tempfile::TempDir::new().expect("tmp");
    let made = tmp.path().join("made");
    drop(tgscope_engine::Engine::open(&made).expect("empty archive"));
    for dir in [tmp.path().to_path_buf(), made] {
        let app = router(config(&dir));
        let reply = get(&app, "/").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let doc = page(&reply);
        let empty = select(&doc, "section#empty");
        assert_eq!(empty.len(), 1);
        assert!(text(&empty[0]).contains("tgscope ingest"));
        assert_eq!(select(&doc, "form#search").len(), 1);
        let search = get(&app, "/search?q=harbor").await;
        assert_eq!(search.status, StatusCode::OK);
        let doc = page(&search);
        assert_eq!(text(&select(&doc, "p#total")[0]), "No posts match");
    }
}

#[tokio::test]
async fn the_search_page_shows_results_with_marked_snippets_a_chart_and_downloads() {
    let a = archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/search?q=partnership").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let doc = page(&reply);
    assert_eq!(
        select(&doc, "form#search input[name=q]")[0]
            .value()
            .attr("value"),
        Some("partnership")
    );
    assert_eq!(text(&select(&doc, "p#total")[0]), "1 post matches");
    let hits = select(&doc, "ol#results > li.hit");
    assert_eq!(hits.len(), 1);
    let link = select(&doc, "li.hit a.post-link")[0]
        .value()
        .attr("href")
        .expect("href");
    assert!(link.starts_with("/posts/"));
    let snippet = select(&doc, "li.hit p.snippet[dir=auto]");
    assert_eq!(snippet.len(), 1);
    let marks: Vec<String> = select(&doc, "p.snippet mark").iter().map(text).collect();
    assert!(
        marks.iter().all(|m| m.eq_ignore_ascii_case("partnership")),
        "{marks:?}"
    );
    assert!(!marks.is_empty());
    assert_eq!(select(&doc, "svg#chart").len(), 1);
    assert!(!select(&doc, "svg#chart rect").is_empty());
    assert!(reply.body.contains("/api/v1/search?q=partnership"));
    assert!(reply.body.contains("format=csv"));
    // The chart's data downloads as CSV: one row per period, adding up to the total.
    let chart_csv = select(&doc, "a.chart-csv")[0]
        .value()
        .attr("href")
        .expect("href")
        .to_string();
    let counts = get(&app, &chart_csv).await;
    assert_eq!(
        counts.status,
        StatusCode::OK,
        "{chart_csv}: {}",
        counts.body
    );
    assert_eq!(counts.header("content-type"), "text/csv; charset=utf-8");
    let mut rows = csv::Reader::from_reader(counts.body.as_bytes());
    assert_eq!(rows.headers().expect("header"), vec!["period", "count"]);
    let total: u64 = rows
        .records()
        .map(|r| r.expect("row")[1].parse::<u64>().expect("count"))
        .sum();
    assert_eq!(total, 1, "{}", counts.body);

    // Filters are fields combined into the query.
    let filtered = get(
        &app,
        "/search?q=&channel=harbor_notes&since=2024-03-05&until=2024-03-31",
    )
    .await;
    let doc = page(&filtered);
    assert_eq!(
        text(&select(&doc, "p#total")[0]),
        "2 posts match",
        "{}",
        filtered.body
    );
    assert!(
        filtered
            .body
            .contains("channel:&#34;harbor_notes&#34; date:2024-03-05..2024-03-31")
            || filtered
                .body
                .contains("channel:&quot;harbor_notes&quot; date:2024-03-05..2024-03-31")
    );

    // Paging: one result a page would need a cursor; the next link carries it.
    let many = get(&app, "/search?q=harbor").await;
    let doc = page(&many);
    assert_eq!(select(&doc, "ol#results > li.hit").len(), 3);
}

#[tokio::test]
async fn a_bad_query_on_the_search_page_says_where_with_status_400() {
    let a = archive();
    let app = router(config(&a.dir));
    let reply = get(
        &app,
        &format!("/search?q={}", enc("Россия \"коллективный Запад")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let doc = page(&reply);
    let error = text(&select(&doc, "section.error")[0]);
    assert!(error.contains("unclosed quote"), "{error}");
    assert!(error.contains("^"), "the caret under the place: {error}");
    assert!(select(&doc, "ol#results").is_empty());
}

#[tokio::test]
async fn the_post_page_shows_versions_with_differences_sightings_and_the_permalink() {
    let a = archive();
    let app = router(config(&a.dir));
    let found = get(&app, "/api/v1/search?q=Forum").await.json();
    let id = found["hits"][0]["id"].as_i64().expect("id");
    let captures: Vec<String> = found["hits"][0]["captures"]
        .as_array()
        .expect("captures")
        .iter()
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect();
    let reply = get(&app, &format!("/posts/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = page(&reply);
    let body = text(&select(&doc, "div#post-text[dir=auto]")[0]);
    assert!(body.contains("rose by a half"), "{body}");
    let versions = select(&doc, "section#versions article.version");
    assert_eq!(versions.len(), 2);
    let ins: Vec<String> = select(&doc, "section#versions ins")
        .iter()
        .map(text)
        .collect();
    let del: Vec<String> = select(&doc, "section#versions del")
        .iter()
        .map(text)
        .collect();
    assert_eq!(
        (ins.join("|"), del.join("|")),
        ("half".to_string(), "third".to_string())
    );
    let sightings = text(&select(&doc, "section#sightings")[0]);
    assert_eq!(captures.len(), 2);
    for sha in &captures {
        assert!(sightings.contains(sha.as_str()), "{sha} in {sightings}");
    }
    // A plain-text capture gives no message id: no permalink, and the page says why.
    assert!(select(&doc, "a#permalink").is_empty());
    assert!(reply.body.contains("no message id"));
    // The forward source links to its channel's page; the inferred date says its basis.
    assert!(reply.body.contains("href=\"/channels/Russian%20MFA%20"));
    assert!(
        reply
            .body
            .contains("inferred from a date written in the text")
    );

    // A post of a channel with a username and a message id has its permalink.
    let tide = get(&app, "/api/v1/search?q=Oslo").await.json();
    let id = tide["hits"][0]["id"].as_i64().expect("id");
    let doc = page(&get(&app, &format!("/posts/{id}")).await);
    let permalink = select(&doc, "a#permalink");
    assert_eq!(
        permalink[0].value().attr("href"),
        Some("https://t.me/harbor_notes/101")
    );
    let forward = get(&app, "/channels/Russian%20MFA%20%F0%9F%87%B7%F0%9F%87%BA").await;
    assert_eq!(forward.status, StatusCode::OK, "the forward source's page");
    let missing = get(&app, "/posts/999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    page(&missing);
}

#[tokio::test]
async fn the_channel_and_hashtag_pages_show_charts_tops_and_posts() {
    let a = archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/channels/mfa_test").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let doc = page(&reply);
    assert_eq!(select(&doc, "svg#chart").len(), 1);
    let tags: Vec<String> = select(&doc, "#top-hashtags li a")
        .iter()
        .map(text)
        .collect();
    assert!(tags.contains(&"#BRICS".to_string()), "{tags:?}");
    let sources: Vec<String> = select(&doc, "#top-forwards li a")
        .iter()
        .map(text)
        .collect();
    assert_eq!(sources, ["Russian MFA 🇷🇺"]);
    assert_eq!(select(&doc, "#recent li.hit").len(), 3);
    assert!(
        reply
            .body
            .contains("/api/v1/channels/mfa_test/hashtags?format=csv")
    );

    let reply = get(&app, "/hashtags/tides").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let doc = page(&reply);
    assert_eq!(text(&select(&doc, "p#total")[0]), "3 posts use it");
    assert_eq!(select(&doc, "svg#chart").len(), 1);
    assert_eq!(select(&doc, "ol#results li.hit").len(), 3);
    let missing = get(&app, "/hashtags/nothing_uses_this").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let arabic = get(&app, &format!("/hashtags/{}", enc("ميناء"))).await;
    assert_eq!(arabic.status, StatusCode::OK);
    let doc = page(&arabic);
    let snippet = select(&doc, "p.snippet[dir=auto]");
    assert!(text(&snippet[0]).contains("مرحبا"));
}

#[tokio::test]
async fn untrusted_text_is_escaped_on_every_page() {
    let a = archive();
    let app = router(config(&a.dir));
    // Search results (snippets, the query in the box, the chart's title, the links).
    let reply = get(&app, &format!("/search?q={}", enc("alert OR payload"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_inert(&reply);
    let doc = Html::parse_document(&reply.body);
    let snippets: Vec<String> = select(&doc, "p.snippet").iter().map(text).collect();
    assert!(
        snippets.iter().any(|s| s.contains(SCRIPT)),
        "shown as text: {snippets:?}"
    );
    assert!(
        snippets.iter().any(|s| s.contains(IMG)),
        "shown as text: {snippets:?}"
    );
    // The payload as the query itself: in the box, the title, the chart, the links.
    for q in [SCRIPT, &format!("{SCRIPT} harbor"), IMG] {
        let reply = get(&app, &format!("/search?q={}", enc(q))).await;
        assert_inert(&reply);
        let doc = Html::parse_document(&reply.body);
        let value = select(&doc, "input[name=q]")[0]
            .value()
            .attr("value")
            .map(str::to_string);
        assert_eq!(
            value.as_deref(),
            Some(q),
            "the query stays inside its attribute"
        );
    }
    let titled = get(
        &app,
        &format!("/search?q={}", enc(&format!("{SCRIPT} harbor"))),
    )
    .await;
    let doc = Html::parse_document(&titled.body);
    let title = text(&select(&doc, "svg#chart title")[0]);
    assert!(
        title.contains(SCRIPT),
        "the SVG title shows the query as text: {title}"
    );
    // Filter fields too.
    let reply = get(&app, &format!("/search?channel={}", enc(IMG))).await;
    assert_inert(&reply);

    // The posts themselves, and their forward source.
    let ids = get(
        &app,
        &format!("/api/v1/search?q={}&sort=date-asc", enc("alert OR payload")),
    )
    .await
    .json();
    for hit in ids["hits"].as_array().expect("hits") {
        let id = hit["id"].as_i64().expect("id");
        let reply = get(&app, &format!("/posts/{id}")).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_inert(&reply);
        let doc = Html::parse_document(&reply.body);
        let shown = text(&select(&doc, "div#post-text")[0]);
        assert!(
            shown.contains(SCRIPT) || shown.contains(IMG),
            "shown as text: {shown}"
        );
    }
    // The channel page (snippets and its forward sources) and the hashtag page.
    for uri in [
        "/channels/harbor_notes",
        "/hashtags/tides",
        "/",
        &format!("/channels/{}", enc(IMG)),
    ] {
        let reply = get(&app, uri).await;
        assert_inert(&reply);
    }
}

#[tokio::test]
async fn a_forged_cursor_is_refused_on_every_paged_page() {
    use tgscope_server::cursor::{encode, fingerprint};
    let a = archive();
    let app = router(config(&a.dir));
    let search = encode(usize::MAX, fingerprint(&["search", "harbor", "relevance"]));
    let reply = get(&app, &format!("/search?q=harbor&cursor={search}")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.contains("cursor"), "{}", reply.body);
    for path in ["/channels/harbor_notes", "/hashtags/tides"] {
        // Whatever the page's fingerprint, an offset past every list is refused.
        let reply = get(&app, &format!("{path}?cursor={}", encode(usize::MAX, 0))).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn hashtags_with_marks_of_any_script_have_their_pages() {
    let tmp = tempfile::TempDir::new().expect("tmp");
    let dir = tmp.path().join("archive");
    let dump = tmp.path().join("scripts.jsonl");
    std::fs::write(
        &dump,
        "{\"id\": 1, \"date\": \"2024-05-01T10:00:00Z\", \"channel\": \"scripts_test\", \
         \"text\": \"समाचार #हिन्दी\"}\n\
         {\"id\": 2, \"date\": \"2024-05-02T10:00:00Z\", \"channel\": \"scripts_test\", \
         \"text\": \"วันนี้ #ข่าว\"}\n",
    )
    .expect("dump");
    let mut engine = tgscope_engine::Engine::open(&dir).expect("archive");
    engine
        .ingest(
            &[dump],
            &tgscope_engine::IngestOptions::default(),
            &mut tgscope_engine::NoProgress,
        )
        .expect("ingest");
    drop(engine);
    let app = router(config(&dir));
    let home = get(&app, "/").await;
    for tag in ["हिन्दी", "ข่าว"] {
        let href = format!("/hashtags/{}", enc(tag).replace('+', "%20"));
        assert!(
            home.body.contains(&href),
            "the home page links {href}: {}",
            home.body
        );
        let page = get(&app, &href).await;
        assert_eq!(page.status, StatusCode::OK, "{href}: {}", page.body);
        let doc = self::page(&page);
        assert_eq!(text(&select(&doc, "p#total")[0]), "1 post uses it");
        let api = get(&app, &format!("/api/v1/hashtags/{}", enc(tag))).await;
        assert_eq!(api.status, StatusCode::OK, "{}", api.body);
        assert_eq!(api.json()["total"], 1, "{}", api.body);
    }
}

#[tokio::test]
async fn posts_misdated_by_centuries_keep_charts_and_counts_small() {
    let tmp = tempfile::TempDir::new().expect("tmp");
    let dir = tmp.path().join("archive");
    let dump = tmp.path().join("misdated.jsonl");
    std::fs::write(
        &dump,
        "{\"id\": 1, \"date\": \"1000-01-01T10:00:00Z\", \"channel\": \"boats\", \"text\": \"boat one\"}\n\
         {\"id\": 2, \"date\": \"2024-05-02T10:00:00Z\", \"channel\": \"boats\", \"text\": \"boat two\"}\n\
         {\"id\": 3, \"date\": \"2024-05-09T10:00:00Z\", \"channel\": \"boats\", \"text\": \"boat three\"}\n\
         {\"id\": 4, \"date\": \"9999-12-31T10:00:00Z\", \"channel\": \"boats\", \"text\": \"boat four\"}\n",
    )
    .expect("dump");
    let mut engine = tgscope_engine::Engine::open(&dir).expect("archive");
    engine
        .ingest(
            &[dump],
            &tgscope_engine::IngestOptions::default(),
            &mut tgscope_engine::NoProgress,
        )
        .expect("ingest");
    drop(engine);
    let app = router(config(&dir));

    // The counts list the periods with posts only: the series is too long to fill.
    let api = get(&app, "/api/v1/search?q=boat&by=day").await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let periods = api.json()["counts"]["periods"]
        .as_array()
        .expect("periods")
        .len();
    assert_eq!(periods, 4, "{}", api.body);

    for uri in ["/search?q=boat", "/search?q=boat&by=day", "/channels/boats"] {
        let page = get(&app, uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}: {}", page.body);
        assert!(
            page.body.len() < 200_000,
            "{uri}: {} bytes",
            page.body.len()
        );
        let doc = self::page(&page);
        let bars = select(&doc, "svg#chart rect").len();
        assert!((1..=1000).contains(&bars), "{uri}: {bars} bars");
        let caption = text(&select(&doc, "figure.chart figcaption")[0]);
        assert!(caption.contains("4 in all"), "{uri}: {caption}");
        assert!(caption.contains("not evenly spaced"), "{uri}: {caption}");
    }
}

#[tokio::test]
async fn a_chart_says_how_many_posts_it_cannot_place_in_time() {
    let tmp = tempfile::TempDir::new().expect("tmp");
    let dir = tmp.path().join("archive");
    let dump = tmp.path().join("undated.jsonl");
    std::fs::write(
        &dump,
        "{\"id\": 1, \"date\": \"2024-05-01T10:00:00Z\", \"channel\": \"ferries\", \"text\": \"ferry one #port\"}\n\
         {\"id\": 2, \"date\": \"2024-05-03T10:00:00Z\", \"channel\": \"ferries\", \"text\": \"ferry two #port\"}\n\
         {\"id\": 3, \"channel\": \"ferries\", \"text\": \"ferry three #port\"}\n",
    )
    .expect("dump");
    let mut engine = tgscope_engine::Engine::open(&dir).expect("archive");
    engine
        .ingest(
            &[dump],
            &tgscope_engine::IngestOptions::default(),
            &mut tgscope_engine::NoProgress,
        )
        .expect("ingest");
    drop(engine);
    let app = router(config(&dir));
    for uri in ["/search?q=ferry", "/channels/ferries", "/hashtags/port"] {
        let page = get(&app, uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}: {}", page.body);
        let doc = self::page(&page);
        let caption = text(&select(&doc, "figure.chart figcaption")[0]);
        assert!(caption.contains("2 in all"), "{uri}: {caption}");
        assert!(
            caption.contains("1 post without a date is not counted"),
            "{uri}: {caption}"
        );
    }
}

/// An archive of one message dump (JSON Lines) in a temporary directory.
fn dump_archive(lines: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::TempDir::new().expect("tmp");
    let dir = tmp.path().join("archive");
    let dump = tmp.path().join("dump.jsonl");
    std::fs::write(&dump, lines).expect("dump");
    let mut engine = tgscope_engine::Engine::open(&dir).expect("archive");
    engine
        .ingest(
            &[dump],
            &tgscope_engine::IngestOptions::default(),
            &mut tgscope_engine::NoProgress,
        )
        .expect("ingest");
    drop(engine);
    (tmp, dir)
}

/// The id of the one post `q` finds.
async fn post_found(app: &axum::Router, q: &str) -> i64 {
    let found = get(app, &format!("/api/v1/search?q={}", enc(q)))
        .await
        .json();
    assert_eq!(found["total"], 1, "{q}: {found}");
    found["hits"][0]["id"].as_i64().expect("id")
}

#[tokio::test]
async fn a_post_seen_in_one_version_shows_its_text_once_and_its_marks_in_words() {
    let (_tmp, dir) = dump_archive(
        "{\"id\": 1, \"date\": \"2024-05-01T10:00:00Z\", \"channel\": \"lighthouse\", \
         \"edited\": true, \"views\": 40, \"text\": \"Lamp repaired at the northern cape\"}\n\
         {\"id\": 2, \"date\": \"2024-05-02T10:00:00Z\", \"channel\": \"lighthouse\", \
         \"edited\": false, \"text\": \"Fog horn tested at dawn\"}\n",
    );
    let app = router(config(&dir));
    let id = post_found(&app, "lamp").await;
    let reply = get(&app, &format!("/posts/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let doc = page(&reply);
    assert_eq!(
        text(&select(&doc, "div#post-text")[0]),
        "Lamp repaired at the northern cape"
    );
    // One version: said in words, the text not shown a second time.
    assert!(select(&doc, "section#versions article.version").is_empty());
    assert!(select(&doc, ".version-text").is_empty());
    let versions = text(&select(&doc, "section#versions")[0]);
    assert!(versions.contains("One version"), "{versions}");
    assert!(!versions.contains("Lamp repaired"), "{versions}");
    // Telegram's "edited" mark in words, never true or false.
    assert_eq!(
        text(&select(&doc, "dd#edited")[0]),
        "marked “edited” by Telegram"
    );
    // Every fact and every cell of the sightings, each on its own.
    let cells = |doc: &Html| -> Vec<String> {
        select(doc, "dl.facts dd, section#sightings td, section#versions p")
            .iter()
            .map(|e| text(e).trim().to_string())
            .collect()
    };
    let shown = cells(&doc);
    for word in ["true", "false"] {
        assert!(
            !shown
                .iter()
                .any(|cell| cell.split_whitespace().any(|w| w == word)),
            "{word:?} in {shown:?}"
        );
    }
    assert!(shown.iter().any(|cell| cell == "yes"), "{shown:?}");

    let id = post_found(&app, "horn").await;
    let doc = page(&get(&app, &format!("/posts/{id}")).await);
    assert_eq!(text(&select(&doc, "dd#edited")[0]), "not marked “edited”");
    let shown = cells(&doc);
    assert!(shown.iter().any(|cell| cell == "no"), "{shown:?}");
}

#[tokio::test]
async fn a_post_seen_in_two_versions_shows_both_with_their_marks_in_words() {
    let a = archive();
    let app = router(config(&a.dir));
    let id = post_found(&app, "Forum").await;
    let doc = page(&get(&app, &format!("/posts/{id}")).await);
    assert_eq!(
        text(&select(&doc, "section#versions h2")[0]),
        "Versions (2)"
    );
    assert_eq!(select(&doc, "section#versions article.version").len(), 2);
    assert!(select(&doc, "p.one-version").is_empty());
    let versions = text(&select(&doc, "section#versions")[0]);
    assert!(
        !versions.contains("true") && !versions.contains("false"),
        "{versions}"
    );
}

#[tokio::test]
async fn a_search_of_filters_only_is_newest_first_and_says_why() {
    let a = archive();
    let app = router(config(&a.dir));
    // The dump's posts of harbor_notes, newest first.
    let newest_first = [
        "2024-04-02 08:00 UTC",
        "2024-03-15 12:00 UTC",
        "2024-03-08 09:30 UTC",
        "2024-03-01 10:00 UTC",
    ];
    for uri in [
        format!("/search?q={}", enc("channel:harbor_notes")),
        format!("/search?q={}&sort=relevance", enc("channel:harbor_notes")),
        "/search?channel=harbor_notes".to_string(),
        format!("/search?q={}", enc("#tides OR #ميناء")),
    ] {
        let reply = get(&app, &uri).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.body);
        let doc = page(&reply);
        let dates: Vec<String> = select(&doc, "li.hit .date").iter().map(text).collect();
        assert_eq!(dates, newest_first, "{uri}");
        let note = select(&doc, "p#order");
        assert_eq!(note.len(), 1, "{uri}: the page says how it is sorted");
        assert_eq!(
            text(&note[0]),
            "Sorted by date, newest first: the query has no words to rank by (only filters).",
            "{uri}"
        );
        let results = text(&select(&doc, "ol#results")[0]);
        assert!(!results.contains("score"), "{uri}: {results}");
    }
    // Asked for oldest first: as asked, nothing to explain.
    let doc = page(&get(&app, "/search?channel=harbor_notes&sort=date-asc").await);
    let dates: Vec<String> = select(&doc, "li.hit .date").iter().map(text).collect();
    let oldest_first: Vec<&str> = newest_first.iter().rev().copied().collect();
    assert_eq!(dates, oldest_first);
    assert!(select(&doc, "p#order").is_empty());
    // Words rank the results: no note.
    let doc = page(&get(&app, "/search?q=harbor").await);
    assert!(select(&doc, "p#order").is_empty());
}

#[tokio::test]
async fn a_chart_has_a_y_axis_of_round_counts_and_dates_at_regular_intervals() {
    // Fifteen months from November 2023, a post a month, and seven on a day of March 2024.
    let mut lines = String::new();
    let mut id = 0;
    for (year, month, posts) in [
        (2023, 11, 1),
        (2023, 12, 1),
        (2024, 1, 1),
        (2024, 2, 1),
        (2024, 3, 7),
        (2024, 4, 1),
        (2024, 5, 1),
        (2024, 6, 1),
        (2024, 7, 1),
        (2024, 8, 1),
        (2024, 9, 1),
        (2024, 10, 1),
        (2024, 11, 1),
        (2024, 12, 1),
        (2025, 1, 1),
    ] {
        for n in 0..posts {
            id += 1;
            // The month's posts on one day: seven in a day, a week and a month.
            lines.push_str(&format!(
                "{{\"id\": {id}, \"date\": \"{year}-{month:02}-15T{:02}:00:00Z\", \
                 \"channel\": \"tides_log\", \"text\": \"tide report {id} #tides\"}}\n",
                8 + n
            ));
        }
    }
    let (_tmp, dir) = dump_archive(&lines);
    let app = router(config(&dir));
    for uri in [
        "/search?q=tide&by=month",
        "/channels/tides_log",
        "/hashtags/tides",
    ] {
        let reply = get(&app, uri).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.body);
        let doc = page(&reply);
        // A y-axis from the top of the scale down to 0 in round steps, a gridline each.
        let ys: Vec<String> = select(&doc, "figure.chart .y-axis span")
            .iter()
            .map(text)
            .collect();
        assert_eq!(ys, ["8", "6", "4", "2", "0"], "{uri}");
        assert_eq!(select(&doc, "svg#chart line.grid").len(), 5, "{uri}");
        // Dates at every quarter, not only the two ends (the last quarter, at the right edge,
        // would touch the one before it).
        let xs: Vec<String> = select(&doc, "figure.chart svg.x-axis text")
            .iter()
            .map(text)
            .collect();
        assert_eq!(xs, ["2024-01", "2024-04", "2024-07", "2024-10"], "{uri}");
        // Still accessible: a title, a description, each bar's count in its own title.
        assert_eq!(select(&doc, "svg#chart > title#chart-title").len(), 1);
        let desc = text(&select(&doc, "svg#chart > desc#chart-desc")[0]);
        assert!(desc.contains("the highest holds 7 posts"), "{uri}: {desc}");
        let bar_titles: Vec<String> = select(&doc, "svg#chart rect > title")
            .iter()
            .map(text)
            .collect();
        assert!(
            bar_titles.iter().any(|t| t.ends_with(": 7 posts")),
            "{uri}: {bar_titles:?}"
        );
    }
}
