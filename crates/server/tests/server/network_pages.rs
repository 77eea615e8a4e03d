//! The network on the pages: `/network` (the API URL the script draws from, the count line,
//! the downloads, the heaviest edges without JavaScript, a bad filter beside the form), a
//! channel's "Amplifies" and "Amplified by", a hashtag's co-used tags, over the archive of
//! [`network_dump`](crate::support::network_dump).

use std::collections::BTreeSet;

use axum::http::StatusCode;
use scraper::{Html, Selector};

use crate::support::{IMG, RELAYS, Reply, SCRIPT, config, get, network_archive, router};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let selector = Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e:?}"));
    doc.select(&selector).collect()
}

fn text(e: &scraper::ElementRef<'_>) -> String {
    e.text().collect()
}

/// An HTML page with the Content-Security-Policy.
fn page(reply: &Reply) -> Html {
    assert_eq!(
        reply.header("content-type"),
        "text/html; charset=utf-8",
        "{}",
        reply.body
    );
    assert_eq!(reply.header("content-security-policy"), CSP);
    Html::parse_document(&reply.body)
}

#[tokio::test]
async fn the_network_page_has_the_graphs_url_counts_downloads_and_the_heaviest_edges() {
    let a = network_archive();
    let app = router(config(&a.dir));
    let home = page(&get(&app, "/").await);
    assert!(
        select(&home, "header.site nav a")
            .iter()
            .any(|l| l.value().attr("href") == Some("/network")),
        "the site's navigation links to the network"
    );
    let reply = get(&app, "/network?kind=forward&kind=mention&size=in_weight").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let doc = page(&reply);
    // The drawing: the API URL with the page's filters, read by the page's own script.
    let graph = select(&doc, "#network-graph");
    assert_eq!(graph.len(), 1);
    let url = graph[0]
        .value()
        .attr("data-graph-url")
        .expect("data-graph-url");
    assert_eq!(url, "/api/v1/network?kind=forward%2Cmention");
    assert_eq!(graph[0].value().attr("data-size"), Some("in_weight"));
    let api = get(&app, url).await.json();
    let (nodes, edges) = (
        api["nodes"].as_array().expect("nodes").len(),
        api["edges"].as_array().expect("edges").len(),
    );
    assert_eq!(
        graph[0].value().attr("data-nodes"),
        Some(nodes.to_string().as_str())
    );
    assert_eq!(edges, 5 + RELAYS);
    // Scripts from the server only, no inline script; the figure waits for the script.
    let scripts: Vec<&str> = select(&doc, "script")
        .iter()
        .map(|s| {
            assert!(text(s).trim().is_empty(), "an inline script");
            s.value().attr("src").expect("a script file")
        })
        .collect();
    assert_eq!(
        scripts,
        ["/static/vendor/cytoscape.min.js", "/static/network.js"]
    );
    for src in scripts {
        let file = get(&app, src).await;
        assert_eq!(file.status, StatusCode::OK, "{src}");
        assert_eq!(
            file.header("content-type"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(file.header("content-security-policy"), CSP);
    }
    assert!(
        select(&doc, "#network-figure")[0]
            .value()
            .attr("hidden")
            .is_some()
    );
    // The count line, and the checked kinds.
    let counts = text(&select(&doc, "#network-counts")[0]);
    assert!(
        counts.starts_with(&format!("{nodes} nodes, {edges} edges from ")),
        "{counts}"
    );
    let checked: Vec<&str> = select(&doc, "input[name=kind][checked]")
        .iter()
        .filter_map(|i| i.value().attr("value"))
        .collect();
    assert_eq!(checked, ["forward", "mention"]);
    // Downloads with the same filters, each answering its file.
    let downloads: Vec<&str> = select(&doc, "#network-downloads a")
        .iter()
        .filter_map(|l| l.value().attr("href"))
        .collect();
    assert_eq!(downloads.len(), 4);
    for href in downloads {
        assert!(
            href.starts_with("/api/v1/network?kind=forward%2Cmention"),
            "{href}"
        );
        assert_eq!(get(&app, href).await.status, StatusCode::OK, "{href}");
    }
    // Without JavaScript: the heaviest edges as a table, cut at 50 and saying so.
    let rows = select(&doc, "table#edges tbody tr");
    assert_eq!(rows.len(), 50);
    let first: Vec<String> = select(&doc, "table#edges tbody tr:first-child td")
        .iter()
        .map(text)
        .collect();
    assert_eq!(first[..4], ["@alpha", "@beta", "forward", "3"]);
    assert_eq!(first[4], "2024-03-01 08:05 UTC");
    assert_eq!(first[5], "2024-03-01 08:25 UTC");
    assert_eq!(
        text(&select(&doc, "#edges-cut")[0]),
        format!("The 50 heaviest of {edges} edges; the downloads have them all.")
    );
    let channel_links: BTreeSet<&str> = select(&doc, "table#edges tbody td a[href^='/channels/']")
        .iter()
        .filter_map(|l| l.value().attr("href"))
        .collect();
    assert!(channel_links.contains("/channels/alpha") && channel_links.contains("/channels/beta"));
    for href in channel_links.iter().take(5) {
        assert_eq!(get(&app, href).await.status, StatusCode::OK, "{href}");
    }
    let posts = select(&doc, "table#edges a.edge-post");
    assert!(!posts.is_empty());
    // The channel known only by its mention is named, with no page.
    let mentions = page(&get(&app, "/network?kind=mention").await);
    assert!(
        select(&mentions, "#edges-cut").is_empty(),
        "a whole list says nothing"
    );
    let ghost: Vec<String> = select(&mentions, "table#edges td span.referenced")
        .iter()
        .map(text)
        .collect();
    assert_eq!(ghost, ["@ghost_news"]);
    // The channel named with markup is text.
    assert!(select(&doc, "img").is_empty());
    assert!(!reply.body.contains(IMG) && !reply.body.contains(SCRIPT));
}

#[tokio::test]
async fn the_network_page_shows_a_bad_filter_beside_the_form() {
    let a = network_archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/network?kind=forward&kind=hashtag").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let doc = page(&reply);
    assert_eq!(select(&doc, "form#network-form").len(), 1);
    let error = text(&select(&doc, "section.error")[0]);
    assert!(error.contains("kind hashtag"), "{error}");
    assert!(select(&doc, "#network-graph").is_empty());
    // The network of tags alone is fine: its nodes link to the tags' pages.
    let tags = get(&app, "/network?kind=hashtag&min_tag_posts=1").await;
    assert_eq!(tags.status, StatusCode::OK, "{}", tags.body);
    let doc = page(&tags);
    let links: BTreeSet<&str> = select(&doc, "table#edges tbody td a[href^='/hashtags/']")
        .iter()
        .filter_map(|l| l.value().attr("href"))
        .collect();
    assert_eq!(
        links,
        BTreeSet::from(["/hashtags/astana", "/hashtags/summit"])
    );
}

#[tokio::test]
async fn a_channel_page_shows_whom_it_amplifies_and_who_amplifies_it() {
    let a = network_archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/channels/alpha").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let doc = page(&reply);
    let section = text(&select(&doc, "section#amplification")[0]);
    assert!(section.contains("Amplified by"), "{section}");
    assert!(select(&doc, "table#amplifies").is_empty());
    let rows = select(&doc, "table#amplified-by tbody tr");
    assert_eq!(rows.len(), 20, "cut to 20");
    assert!(
        section.contains(&format!("20 of {} channels shown", RELAYS + 3)),
        "{section}"
    );
    let first: Vec<String> = select(&doc, "table#amplified-by tbody tr:first-child td")
        .iter()
        .map(text)
        .collect();
    assert_eq!(first[..4], ["@beta", "3", "0", "0"]);
    let posts: Vec<&str> = select(
        &doc,
        "table#amplified-by tbody tr:first-child a.amplify-post",
    )
    .iter()
    .filter_map(|l| l.value().attr("href"))
    .collect();
    assert_eq!(posts.len(), 3);
    for href in posts {
        assert_eq!(get(&app, href).await.status, StatusCode::OK, "{href}");
    }
    let counterpart = select(&doc, "table#amplified-by tbody tr:first-child td a")[0]
        .value()
        .attr("href")
        .expect("a link");
    assert_eq!(get(&app, counterpart).await.status, StatusCode::OK);
    let json = select(&doc, "section#amplification .downloads a")[0]
        .value()
        .attr("href")
        .expect("JSON");
    assert_eq!(json, "/api/v1/channels/alpha/amplification");
    let network = select(&doc, "a#channel-network")[0]
        .value()
        .attr("href")
        .expect("link");
    assert_eq!(get(&app, network).await.status, StatusCode::OK, "{network}");
    // gamma amplifies a channel known only by its mention: named, not linked.
    let gamma = page(&get(&app, "/channels/gamma").await);
    let names: Vec<String> = select(&gamma, "table#amplifies tbody tr td:first-child")
        .iter()
        .map(text)
        .collect();
    assert_eq!(names, ["@alpha", "@beta", "@ghost_news"]);
    assert_eq!(
        select(
            &gamma,
            "table#amplifies tbody tr td:first-child span.referenced"
        )
        .len(),
        1
    );
    assert!(select(&gamma, "table#amplified-by").is_empty());
}

#[tokio::test]
async fn a_hashtag_page_shows_the_tags_used_with_it() {
    let a = network_archive();
    let app = router(config(&a.dir));
    let doc = page(&get(&app, "/hashtags/summit").await);
    let with: Vec<(String, Option<&str>)> = select(&doc, "section#tag-with li a")
        .iter()
        .map(|l| (text(l), l.value().attr("href")))
        .collect();
    assert_eq!(with, [("#astana".to_string(), Some("/hashtags/astana"))]);
    let counts = text(&select(&doc, "section#tag-with li .counts")[0]);
    assert_eq!(counts, "6");
    let lonely = page(&get(&app, "/hashtags/astana").await);
    let with: Vec<String> = select(&lonely, "section#tag-with li a")
        .iter()
        .map(text)
        .collect();
    assert_eq!(with, ["#summit"]);
}
