//! The feeds under `/feeds/`: their media types, caching headers, absolute links made from the
//! request's host (or the configured base URL) that lead to the next page, the errors, and the
//! `<link rel="alternate">` and visible links of the search, channel and hashtag pages.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use scraper::{Html, Selector};
use tower::ServiceExt;

use crate::support::{Reply, archive, config, enc, router};

const ATOM: &str = "http://www.w3.org/2005/Atom";

/// GETs `uri` with a `Host` header and any other headers.
async fn get_from(app: &Router, uri: &str, host: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = Request::builder().uri(uri).header("host", host);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    Reply {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).expect("UTF-8 body"),
    }
}

/// The `href` of the Atom feed's link with `rel`.
fn atom_link(body: &str, rel: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(body).expect("well-formed XML");
    doc.root_element()
        .children()
        .find(|c| c.has_tag_name((ATOM, "link")) && c.attribute("rel") == Some(rel))
        .and_then(|l| l.attribute("href"))
        .map(str::to_owned)
}

fn atom_ids(body: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(body).expect("well-formed XML");
    doc.root_element()
        .children()
        .filter(|c| c.has_tag_name((ATOM, "entry")))
        .filter_map(|e| {
            e.children()
                .find(|c| c.has_tag_name((ATOM, "id")))
                .and_then(|i| i.text())
                .map(str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn feeds_are_served_in_three_formats_with_their_media_types_and_caching_headers() {
    let a = archive();
    let app = router(config(&a.dir));
    let host = "archive.test:8080";
    let atom = get_from(&app, "/feeds/channels/harbor_notes.atom", host, &[]).await;
    assert_eq!(atom.status, StatusCode::OK, "{}", atom.body);
    assert!(
        atom.header("content-type")
            .starts_with("application/atom+xml"),
        "{}",
        atom.header("content-type")
    );
    assert_eq!(
        atom_ids(&atom.body),
        [
            "tag:tgscope,2026:tme/harbor_notes/104",
            "tag:tgscope,2026:tme/harbor_notes/103",
            "tag:tgscope,2026:tme/harbor_notes/102",
            "tag:tgscope,2026:tme/harbor_notes/101",
        ]
    );
    assert_eq!(
        atom_link(&atom.body, "self").as_deref(),
        Some("http://archive.test:8080/feeds/channels/harbor_notes.atom")
    );
    assert_eq!(
        atom_link(&atom.body, "alternate").as_deref(),
        Some("http://archive.test:8080/channels/harbor_notes")
    );
    // The newest post's date (2024-04-02 08:00 UTC), not the time of the request.
    assert_eq!(
        atom.header("last-modified"),
        "Tue, 02 Apr 2024 08:00:00 GMT"
    );
    let etag = atom.header("etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag:?}");
    // The same feed again is the same version; a client holding it gets 304.
    let again = get_from(&app, "/feeds/channels/harbor_notes.atom", host, &[]).await;
    assert_eq!(again.header("etag"), etag);
    let cached = get_from(
        &app,
        "/feeds/channels/harbor_notes.atom",
        host,
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    assert!(cached.body.is_empty());

    let rss = get_from(&app, "/feeds/hashtags/tides.rss", host, &[]).await;
    assert_eq!(rss.status, StatusCode::OK, "{}", rss.body);
    assert!(
        rss.header("content-type")
            .starts_with("application/rss+xml")
    );
    roxmltree::Document::parse(&rss.body).expect("RSS is well-formed XML");
    assert!(
        rss.body
            .contains("<guid isPermaLink=\"false\">tag:tgscope,2026:tme/harbor_notes/101</guid>")
    );

    let json = get_from(
        &app,
        &format!("/feeds/search.json?q={}", enc("#tides")),
        host,
        &[],
    )
    .await;
    assert_eq!(json.status, StatusCode::OK, "{}", json.body);
    assert!(
        json.header("content-type")
            .starts_with("application/feed+json")
    );
    let feed = json.json();
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(feed["items"].as_array().map(Vec::len), Some(3));
    // The hostile post's text is escaped HTML inside the JSON string.
    assert!(
        feed["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["content_html"]
                .as_str()
                .is_some_and(|c| c.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))),
        "{feed}"
    );
}

#[tokio::test]
async fn paging_links_are_absolute_and_lead_to_the_next_page() {
    let a = archive();
    let app = router(config(&a.dir));
    let host = "127.0.0.1:9999";
    let first = get_from(&app, "/feeds/search.atom?q=%23tides&limit=2", host, &[]).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let next = atom_link(&first.body, "next").expect("a next link");
    assert_eq!(
        next,
        "http://127.0.0.1:9999/feeds/search.atom?q=%23tides&limit=2&page=2"
    );
    let path = next.trim_start_matches("http://127.0.0.1:9999");
    let second = get_from(&app, path, host, &[]).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(atom_link(&second.body, "next"), None, "the last page");
    assert_eq!(
        atom_link(&second.body, "previous").as_deref(),
        Some("http://127.0.0.1:9999/feeds/search.atom?q=%23tides&limit=2")
    );
    let mut ids = atom_ids(&first.body);
    ids.extend(atom_ids(&second.body));
    assert_eq!(ids.len(), 3);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "every post once");

    // A configured base URL wins over the request's host; a proxy's https is kept.
    let mut with_base = config(&a.dir);
    with_base.base_url = Some("https://archive.example/".into());
    let app = router(with_base);
    let page = get_from(&app, "/feeds/search.atom?q=%23tides&limit=2", host, &[]).await;
    assert_eq!(
        atom_link(&page.body, "next").as_deref(),
        Some("https://archive.example/feeds/search.atom?q=%23tides&limit=2&page=2")
    );
    let app = router(config(&a.dir));
    let proxied = get_from(
        &app,
        "/feeds/search.atom?q=%23tides",
        "archive.example",
        &[("x-forwarded-proto", "https")],
    )
    .await;
    assert_eq!(
        atom_link(&proxied.body, "self").as_deref(),
        Some("https://archive.example/feeds/search.atom?q=%23tides")
    );
}

#[tokio::test]
async fn bad_feed_requests_are_problems() {
    let a = archive();
    let app = router(config(&a.dir));
    let host = "archive.test";
    for (uri, status) in [
        (
            "/feeds/channels/no_such_channel.atom",
            StatusCode::NOT_FOUND,
        ),
        ("/feeds/channels/harbor_notes.xml", StatusCode::NOT_FOUND),
        ("/feeds/other.atom?q=x", StatusCode::NOT_FOUND),
        ("/feeds/search.atom", StatusCode::BAD_REQUEST),
        ("/feeds/search.atom?q=%28unclosed", StatusCode::BAD_REQUEST),
        ("/feeds/search.atom?q=x&limit=0", StatusCode::BAD_REQUEST),
        ("/feeds/search.atom?q=x&page=0", StatusCode::BAD_REQUEST),
    ] {
        let reply = get_from(&app, uri, host, &[]).await;
        assert_eq!(reply.status, status, "{uri}: {}", reply.body);
        assert!(
            reply
                .header("content-type")
                .starts_with("application/problem+json"),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn the_search_channel_and_hashtag_pages_link_to_their_feeds() {
    let a = archive();
    let app = router(config(&a.dir));
    let host = "archive.test";
    let alternates = Selector::parse("head link[rel=alternate]").expect("selector");
    let visible = Selector::parse("main a.feed").expect("selector");
    for (page, atom) in [
        (
            "/channels/harbor_notes",
            "/feeds/channels/harbor_notes.atom",
        ),
        ("/hashtags/tides", "/feeds/hashtags/tides.atom"),
        ("/search?q=%23tides", "/feeds/search.atom?q=%23tides"),
    ] {
        let reply = get_from(&app, page, host, &[]).await;
        assert_eq!(reply.status, StatusCode::OK, "{page}");
        let html = Html::parse_document(&reply.body);
        let links: Vec<(String, String)> = html
            .select(&alternates)
            .map(|l| {
                (
                    l.value().attr("type").unwrap_or_default().to_owned(),
                    l.value().attr("href").unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let types: Vec<&str> = links.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            types,
            [
                "application/atom+xml",
                "application/rss+xml",
                "application/feed+json"
            ],
            "{page}"
        );
        assert_eq!(links[0].1, atom, "{page}");
        assert_eq!(
            html.select(&visible).count(),
            3,
            "{page}: visible feed links"
        );
        // Every linked feed answers in its own type.
        for (media_type, href) in &links {
            let feed = get_from(&app, href, host, &[]).await;
            assert_eq!(feed.status, StatusCode::OK, "{href}: {}", feed.body);
            assert!(
                feed.header("content-type").starts_with(media_type),
                "{href}"
            );
        }
    }
    // A search page without a query offers no feed.
    let reply = get_from(&app, "/search", host, &[]).await;
    let html = Html::parse_document(&reply.body);
    assert_eq!(html.select(&alternates).count(), 0);
}
