//! Entities on the pages and in the API, over an archive of a message dump whose entities are
//! planted: Kazakhstan named in six posts of two channels (once by its flag and its name in one
//! post, once in an undated post, once in a hashtag), Lavrov and the SCO with it in one post,
//! Russia in one, a minister of Vanuatu on no list after a role phrase, and a post whose text puts
//! the attribute-breaking payload right before «Казахстане».

use std::collections::BTreeSet;

use axum::http::StatusCode;
use scraper::{Html, Selector};
use serde_json::Value;
use tempfile::TempDir;
use tgscope_engine::{Engine, IngestOptions, NoProgress};

use crate::support::{Archive, IMG, Reply, SCRIPT, config, enc, get, router};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The texts of the dump, by message id: (id, date, channel, text).
fn posts() -> Vec<(u32, Option<&'static str>, &'static str, String)> {
    vec![
        (
            1,
            Some("2024-03-01T10:00:00Z"),
            "steppe_news",
            "Министр провёл переговоры в Казахстане. Лавров отметил роль ШОС.".into(),
        ),
        (
            2,
            Some("2024-03-08T10:00:00Z"),
            "steppe_news",
            "🇰🇿 Казахстан и Россия подписали соглашение о транзите.".into(),
        ),
        (
            3,
            Some("2024-03-15T10:00:00Z"),
            "east_desk",
            format!("{IMG}Казахстане прошла встреча {SCRIPT}"),
        ),
        (
            4,
            Some("2024-04-02T10:00:00Z"),
            "east_desk",
            "Обзор недели #Казахстан https://example.org/news и @steppe_news".into(),
        ),
        (
            5,
            None,
            "steppe_news",
            "Без даты: снова о Казахстане.".into(),
        ),
        (
            6,
            Some("2024-04-10T10:00:00Z"),
            "east_desk",
            "Погода на выходные: тепло и сухо.".into(),
        ),
        (
            7,
            Some("2024-04-12T10:00:00Z"),
            "steppe_news",
            "Министр иностранных дел Вануату Джотам Напат посетил Казахстан.".into(),
        ),
    ]
}

/// Posts naming Kazakhstan: 1, 2, 3, 4 (in its hashtag), 5 (undated) and 7.
const KZ_POSTS: u64 = 6;
/// Its mentions: one in each, two in post 2 (the flag and the name).
const KZ_MENTIONS: u64 = 7;

fn entities_archive() -> Archive {
    let tmp = TempDir::new().expect("temporary directory");
    let dir = tmp.path().join("archive");
    let mut engine = Engine::open(&dir).expect("archive");
    let lines: Vec<String> = posts()
        .into_iter()
        .map(|(id, date, channel, text)| {
            let mut post = serde_json::json!({"id": id, "channel": channel, "text": text});
            if let Some(d) = date {
                post["date"] = serde_json::json!(d);
            }
            post.to_string()
        })
        .collect();
    let path = tmp.path().join("entities.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write dump");
    engine
        .ingest(&[path], &IngestOptions::default(), &mut NoProgress)
        .expect("ingest dump");
    drop(engine);
    Archive { _tmp: tmp, dir }
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let selector = Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e:?}"));
    doc.select(&selector).collect()
}

fn text(e: &scraper::ElementRef<'_>) -> String {
    e.text().collect()
}

fn hrefs(doc: &Html, css: &str) -> Vec<String> {
    select(doc, css)
        .iter()
        .filter_map(|a| a.value().attr("href"))
        .map(str::to_string)
        .collect()
}

/// An HTML page with the Content-Security-Policy, and nothing live from the posts in it.
fn page(reply: &Reply) -> Html {
    assert_eq!(
        reply.header("content-type"),
        "text/html; charset=utf-8",
        "{}",
        reply.body
    );
    assert_eq!(reply.header("content-security-policy"), CSP);
    let doc = Html::parse_document(&reply.body);
    assert!(select(&doc, "script").is_empty(), "a live <script>");
    assert!(select(&doc, "img").is_empty(), "a live <img>");
    for element in select(&doc, "*") {
        for (name, _) in element.value().attrs() {
            assert!(!name.starts_with("on"), "an event handler {name}");
        }
    }
    assert!(!reply.body.contains(SCRIPT) && !reply.body.contains("<img src=x"));
    doc
}

/// The archive id of the post with message id `message`.
async fn post_id(app: &axum::Router, message: u32) -> i64 {
    let all = get(
        app,
        "/api/v1/search?q=channel:steppe_news+OR+channel:east_desk&limit=50",
    )
    .await
    .json();
    all["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .find(|h| h["message_id"] == message)
        .and_then(|h| h["id"].as_i64())
        .unwrap_or_else(|| panic!("no post with message id {message}: {all}"))
}

fn problem(reply: &Reply, status: StatusCode) -> Value {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.header("content-type"), "application/problem+json");
    reply.json()
}

#[tokio::test]
async fn an_entitys_page_shows_its_counts_chart_channels_companions_and_first_mention() {
    let a = entities_archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/entities/country:KZ").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let doc = page(&reply);
    assert_eq!(text(&select(&doc, "h1")[0]), "Kazakhstan country");
    assert_eq!(
        text(&select(&doc, "#entity-posts")[0]),
        KZ_POSTS.to_string()
    );
    assert_eq!(
        text(&select(&doc, "#entity-mentions")[0]),
        KZ_MENTIONS.to_string()
    );
    assert_eq!(text(&select(&doc, "#entity-channels")[0]), "2");
    // The chart of its posts over time: the dated five, the undated one said.
    assert_eq!(select(&doc, "#activity svg#chart").len(), 1);
    let caption = text(&select(&doc, "#activity figcaption")[0]);
    assert!(caption.contains("5 in all"), "{caption}");
    assert!(
        caption.contains("1 post without a date is not counted"),
        "{caption}"
    );
    for bar in hrefs(&doc, "svg#chart a") {
        assert!(bar.starts_with("/search?q=country%3AKZ"), "{bar}");
    }
    // Its channels, the most first, linked to their pages.
    let channels: Vec<(String, String)> = select(&doc, "#entity-channels-list li")
        .iter()
        .map(|li| {
            let a = li
                .select(&Selector::parse("a").expect("a"))
                .next()
                .expect("a");
            (
                a.value().attr("href").unwrap_or_default().to_string(),
                text(li),
            )
        })
        .collect();
    assert_eq!(channels[0].0, "/channels/steppe_news");
    assert!(channels[0].1.ends_with(" 4"), "{:?}", channels);
    assert_eq!(channels[1].0, "/channels/east_desk");
    assert!(channels[1].1.ends_with(" 2"), "{:?}", channels);
    // The entities named with it, linked to their pages.
    let with: BTreeSet<String> = hrefs(&doc, "#entity-with a").into_iter().collect();
    for key in [
        "/entities/person:lavrov",
        "/entities/org:sco",
        "/entities/country:RU",
        "/entities/country:VU",
    ] {
        assert!(with.contains(key), "{key} in {with:?}");
    }
    // The first mention is the earliest dated post.
    let first = post_id(&app, 1).await;
    assert_eq!(
        hrefs(&doc, "#first-mention"),
        [format!("/posts/{first}")],
        "the first mention"
    );
    // The search of its posts finds as many as the page counts; so does the post list.
    let search = hrefs(&doc, "#entity-search");
    assert_eq!(search, ["/search?q=country%3AKZ"]);
    let found = page(&get(&app, &search[0]).await);
    assert_eq!(
        text(&select(&found, "p#total")[0]),
        format!("{KZ_POSTS} posts match")
    );
    assert_eq!(
        select(&doc, "#posts li.hit").len(),
        KZ_POSTS as usize,
        "its posts"
    );
    // Its JSON.
    let json = get(&app, &hrefs(&doc, "a[type='application/json']")[0]).await;
    assert_eq!(json.status, StatusCode::OK);
    assert_eq!(json.json()["key"], "country:KZ");
}

#[tokio::test]
async fn any_name_of_an_entity_leads_to_its_page_and_a_name_of_none_is_not_found() {
    let a = entities_archive();
    let app = router(config(&a.dir));
    for (name, key) in [
        ("Казахстане", "/entities/country:KZ"),
        ("KZ", "/entities/country:KZ"),
        ("country:kz", "/entities/country:KZ"),
        ("country:Казахстан", "/entities/country:KZ"),
        ("Лавров", "/entities/person:lavrov"),
        ("ШОС", "/entities/org:sco"),
        (
            "Джотам Напат",
            "/entities/person:~%D0%B4%D0%B6%D0%BE%D1%82%D0%B0%D0%BC%20%D0%BD%D0%B0%D0%BF%D0%B0%D1%82",
        ),
    ] {
        let reply = get(
            &app,
            &format!("/entities/{}", enc(name).replace('+', "%20")),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{name}: {}",
            reply.body
        );
        assert_eq!(reply.header("location"), key, "{name}");
        let there = get(&app, key).await;
        assert_eq!(there.status, StatusCode::OK, "{key}: {}", there.body);
    }
    // The page's other parameters go along.
    let paged = get(&app, "/entities/KZ?cursor=abc").await;
    assert_eq!(paged.header("location"), "/entities/country:KZ?cursor=abc");
    // A person on no list: counted under the name the posts give, and said so.
    let ivaya = get(
        &app,
        "/entities/person:~%D0%B4%D0%B6%D0%BE%D1%82%D0%B0%D0%BC%20%D0%BD%D0%B0%D0%BF%D0%B0%D1%82",
    )
    .await;
    let doc = page(&ivaya);
    assert_eq!(text(&select(&doc, "h1")[0]), "Джотам Напат person");
    assert!(text(&select(&doc, "dl.facts")[0]).contains("a person on no list"));
    assert_eq!(text(&select(&doc, "#entity-posts")[0]), "1");
    // An entity of the lists no post names: its page says so.
    let none = page(&get(&app, "/entities/country:PE").await);
    assert!(text(&select(&none, "#entity-none")[0]).contains("No post of the 7 archived"));
    // Names of nothing.
    for name in ["Нарния", "country:XX", "person:~nobody%20at%20all"] {
        let reply = get(&app, &format!("/entities/{name}")).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{name}: {}",
            reply.body
        );
        let doc = page(&reply);
        assert_eq!(text(&select(&doc, "h1")[0]), "Not found", "{name}");
    }
}

#[tokio::test]
async fn a_posts_text_links_the_entities_it_names_and_keeps_its_other_markup() {
    let a = entities_archive();
    let app = router(config(&a.dir));
    // «в Казахстане» and «Лавров», «ШОС» in the first post.
    let first = post_id(&app, 1).await;
    let doc = page(&get(&app, &format!("/posts/{first}")).await);
    let marks: Vec<(String, String, String)> = select(&doc, "#post-text a.entity")
        .iter()
        .map(|a| {
            (
                text(a),
                a.value().attr("href").unwrap_or_default().to_string(),
                a.value().attr("class").unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        marks,
        [
            (
                "Казахстане".to_string(),
                "/entities/country:KZ".to_string(),
                "entity entity-country".to_string()
            ),
            (
                "Лавров".to_string(),
                "/entities/person:lavrov".to_string(),
                "entity entity-person".to_string()
            ),
            (
                "ШОС".to_string(),
                "/entities/org:sco".to_string(),
                "entity entity-org".to_string()
            ),
        ]
    );
    let title = select(&doc, "#post-text a.entity-country")[0]
        .value()
        .attr("title")
        .unwrap_or_default()
        .to_string();
    assert_eq!(title, "Kazakhstan (country:KZ)");
    assert_eq!(
        text(&select(&doc, "#post-text")[0]),
        posts()[0].3,
        "the text is whole"
    );
    let named = hrefs(&doc, "#post-entities a");
    assert_eq!(
        named,
        [
            "/entities/country:KZ",
            "/entities/person:lavrov",
            "/entities/org:sco"
        ]
    );
    // The payload right before «Казахстане» stays text, the entity a link after it.
    let hostile = post_id(&app, 3).await;
    let reply = get(&app, &format!("/posts/{hostile}")).await;
    let doc = page(&reply);
    let body = &select(&doc, "#post-text")[0];
    assert_eq!(text(body), posts()[2].3);
    let links: Vec<&str> = select(&doc, "#post-text a")
        .iter()
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(links, ["/entities/country:KZ"]);
    assert!(
        reply
            .body
            .contains("&#34;&#62;&#60;img src=x onerror=alert(1)&#62;<a class=\"entity entity-country\" href=\"/entities/country:KZ\""),
        "{}",
        reply.body
    );
    // The hashtag #Казахстан stays one link to its tag (no link inside a link), and the web
    // link and the mention keep theirs.
    let tagged = post_id(&app, 4).await;
    let doc = page(&get(&app, &format!("/posts/{tagged}")).await);
    assert!(
        select(&doc, "#post-text a a").is_empty(),
        "a link in a link"
    );
    assert!(select(&doc, "#post-text a.entity").is_empty());
    let links: Vec<String> = select(&doc, "#post-text a").iter().map(text).collect();
    assert_eq!(
        links,
        ["#Казахстан", "https://example.org/news", "@steppe_news"]
    );
    assert_eq!(text(&select(&doc, "#post-text")[0]), posts()[3].3);
    // The entities the text names are listed even when no mark could be drawn.
    assert_eq!(hrefs(&doc, "#post-entities a"), ["/entities/country:KZ"]);
    // A post naming nothing has no list.
    let plain = post_id(&app, 6).await;
    let doc = page(&get(&app, &format!("/posts/{plain}")).await);
    assert!(select(&doc, "#post-entities").is_empty());
}

#[tokio::test]
async fn a_channel_page_lists_the_entities_its_posts_name() {
    let a = entities_archive();
    let app = router(config(&a.dir));
    let doc = page(&get(&app, "/channels/steppe_news").await);
    let countries: Vec<String> = select(&doc, "#channel-entities #entities-countries li")
        .iter()
        .map(text)
        .collect();
    // Ties by key.
    assert_eq!(countries, ["Kazakhstan 4", "Russia 1", "Vanuatu 1"]);
    assert_eq!(
        hrefs(&doc, "#channel-entities #entities-countries a"),
        [
            "/entities/country:KZ",
            "/entities/country:RU",
            "/entities/country:VU"
        ]
    );
    let people: Vec<String> = select(&doc, "#channel-entities #entities-people li")
        .iter()
        .map(text)
        .collect();
    assert_eq!(people, ["Sergey Lavrov 1", "Джотам Напат 1"]);
    let all = hrefs(&doc, "#channel-entities-all");
    assert_eq!(all, ["/entities?channel=steppe_news"]);
    let index = page(&get(&app, &all[0]).await);
    assert!(
        text(&select(&index, "#entities-summary")[0]).starts_with("4 posts read; 4 name an entity")
    );
    // A channel whose posts name nothing says so.
    let quiet = entities_archive_with_quiet_channel();
    let app = router(config(&quiet.dir));
    let doc = page(&get(&app, "/channels/quiet_one").await);
    assert!(text(&select(&doc, "#channel-entities")[0]).contains("name no country"));
}

fn entities_archive_with_quiet_channel() -> Archive {
    let tmp = TempDir::new().expect("temporary directory");
    let dir = tmp.path().join("archive");
    let mut engine = Engine::open(&dir).expect("archive");
    let path = tmp.path().join("quiet.jsonl");
    std::fs::write(
        &path,
        r#"{"id": 1, "date": "2024-03-01T10:00:00Z", "channel": "quiet_one", "text": "Nothing but weather"}"#,
    )
    .expect("write");
    engine
        .ingest(&[path], &IngestOptions::default(), &mut NoProgress)
        .expect("ingest");
    drop(engine);
    Archive { _tmp: tmp, dir }
}

#[tokio::test]
async fn the_entities_page_lists_each_kind_and_filters_by_kind_period_and_channel() {
    let a = entities_archive();
    let app = router(config(&a.dir));
    let home = page(&get(&app, "/").await);
    assert!(hrefs(&home, "header.site nav a").contains(&"/entities".to_string()));
    let doc = page(&get(&app, "/entities").await);
    let first_rows = |doc: &Html, kind: &str| -> Vec<String> {
        select(doc, &format!("#entities-{kind} tbody tr td:first-child"))
            .iter()
            .map(text)
            .collect()
    };
    assert_eq!(first_rows(&doc, "countries")[0], "Kazakhstan");
    assert_eq!(
        first_rows(&doc, "organisations"),
        ["Shanghai Cooperation Organisation"]
    );
    assert_eq!(first_rows(&doc, "people").len(), 2);
    let kz = &select(&doc, "#entities-countries tbody tr")[0];
    let cells: Vec<String> = kz
        .select(&Selector::parse("td").expect("td"))
        .map(|td| text(&td))
        .collect();
    assert_eq!(cells[1], KZ_POSTS.to_string());
    assert_eq!(cells[2], KZ_MENTIONS.to_string());
    assert_eq!(cells[3], "2");
    // One kind; a period (the undated post left out, and said so); a bad kind.
    let doc = page(&get(&app, "/entities?kind=person").await);
    assert_eq!(select(&doc, "section.entity-table").len(), 1);
    assert_eq!(first_rows(&doc, "people").len(), 2);
    let doc = page(&get(&app, "/entities?since=2024-04-01").await);
    assert_eq!(
        text(&select(&doc, "#entities-countries tbody tr td:nth-child(2)")[0]),
        "2"
    );
    let summary = text(&select(&doc, "#entities-summary")[0]);
    assert!(
        summary.contains("1 undated post naming entities left out by the dates"),
        "{summary}"
    );
    let bad = get(&app, "/entities?kind=city").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(text(&select(&page(&bad), "section.error")[0]).contains("kind \"city\""));
    // The downloads answer.
    let doc = page(&get(&app, "/entities?kind=country").await);
    for href in hrefs(&doc, "p.downloads a") {
        assert_eq!(get(&app, &href).await.status, StatusCode::OK, "{href}");
    }
}

#[tokio::test]
async fn facets_beside_the_results_narrow_the_search_to_the_posts_they_count() {
    let a = entities_archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/search?channel=steppe_news").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let doc = page(&reply);
    assert_eq!(select(&doc, ".with-facets aside#facets").len(), 1);
    let entries = select(&doc, "#facets li");
    assert!(entries.len() >= 5, "{}", reply.body);
    let mut checked = 0;
    for li in entries {
        let link = li
            .select(&Selector::parse("a.facet-filter").expect("a"))
            .next()
            .expect("a facet's search");
        let count: u64 = text(
            &li.select(&Selector::parse(".counts").expect("counts"))
                .next()
                .expect("count"),
        )
        .parse()
        .expect("a number");
        let href = link.value().attr("href").expect("href");
        assert!(href.contains("channel=steppe_news"), "{href}");
        let narrowed = page(&get(&app, href).await);
        let total = text(&select(&narrowed, "p#total")[0]);
        let expected = match count {
            1 => "1 post matches".to_string(),
            n => format!("{n} posts match"),
        };
        assert_eq!(total, expected, "{href}");
        // In the narrowed search, its own facet is the query's and links nowhere.
        assert!(!select(&narrowed, "#facets .facet-on").is_empty(), "{href}");
        checked += 1;
    }
    assert!(checked >= 5);
    let kz = select(&doc, "#facet-countries li")[0];
    assert!(text(&kz).starts_with("Kazakhstan 4"), "{}", text(&kz));
    // No matches, no facets.
    let none = page(&get(&app, "/search?q=nothingatallhere").await);
    assert!(select(&none, "#facets").is_empty());
}

#[tokio::test]
async fn the_entity_routes_answer_the_documented_json() {
    let a = entities_archive();
    let app = router(config(&a.dir));
    // The table: the records of `tgscope entities --format json`, paged.
    let table = get(&app, "/api/v1/entities?limit=2").await;
    assert_eq!(table.status, StatusCode::OK, "{}", table.body);
    let t = table.json();
    assert_eq!(t["by"], "month");
    assert_eq!(t["posts"], 7);
    assert_eq!(t["posts_with_entities"], 6);
    assert_eq!(t["undated_left_out"], 0);
    assert_eq!(t["entities"].as_array().expect("entities").len(), 2);
    let kz = &t["entities"][0];
    let fields: BTreeSet<&str> = kz
        .as_object()
        .expect("record")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "key", "kind", "id", "listed", "name", "posts", "mentions", "channels", "first",
            "periods", "with"
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(kz["key"], "country:KZ");
    assert_eq!(kz["kind"], "country");
    assert_eq!(kz["id"], "KZ");
    assert_eq!(kz["listed"], true);
    assert_eq!(kz["posts"], KZ_POSTS);
    assert_eq!(kz["mentions"], KZ_MENTIONS);
    assert_eq!(kz["channels"][0]["name"], "steppe_news");
    assert_eq!(kz["channels"][0]["posts"], 4);
    assert_eq!(kz["first"]["date"], "2024-03-01");
    assert_eq!(
        kz["periods"],
        serde_json::json!([{"period": "2024-03", "posts": 3}, {"period": "2024-04", "posts": 2}])
    );
    let total = t["total"].as_u64().expect("total");
    let mut seen = 2;
    let mut cursor = t["next_cursor"].as_str().map(str::to_string);
    while let Some(c) = cursor {
        let next = get(
            &app,
            &format!("/api/v1/entities?limit=2&cursor={}", enc(&c)),
        )
        .await
        .json();
        seen += next["entities"].as_array().expect("entities").len() as u64;
        cursor = next["next_cursor"].as_str().map(str::to_string);
    }
    assert_eq!(seen, total);
    // Filters: a kind, a channel, a period; CSV.
    let people = get(&app, "/api/v1/entities?kind=person").await.json();
    let keys: Vec<&str> = people["entities"]
        .as_array()
        .expect("entities")
        .iter()
        .filter_map(|e| e["key"].as_str())
        .collect();
    assert_eq!(keys, ["person:lavrov", "person:~джотам напат"]);
    assert_eq!(people["entities"][1]["listed"], false);
    let east = get(&app, "/api/v1/entities?channel=east_desk&kind=country")
        .await
        .json();
    assert_eq!(east["entities"][0]["posts"], 2);
    let april = get(&app, "/api/v1/entities?since=2024-04-01&by=day")
        .await
        .json();
    assert_eq!(april["undated_left_out"], 1);
    assert_eq!(april["by"], "day");
    assert_eq!(april["entities"][0]["periods"][0]["period"], "2024-04-02");
    let csv = get(&app, "/api/v1/entities?format=csv").await;
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(csv.header("x-total-count"), total.to_string());
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some("key,kind,id,name,posts,mentions,channels,first_post,first_date,top_channels,with")
    );
    assert!(
        lines
            .next()
            .is_some_and(|l| l.starts_with("country:KZ,country,KZ,Kazakhstan,6,7,2,")),
        "{}",
        csv.body
    );
    // Problems.
    let bad = problem(
        &get(&app, "/api/v1/entities?kind=city").await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(bad["code"], "bad_request");
    let missing = problem(
        &get(&app, "/api/v1/entities?channel=no_such_channel").await,
        StatusCode::NOT_FOUND,
    );
    assert_eq!(missing["code"], "not_found");

    // One entity by any name.
    let one = get(&app, &format!("/api/v1/entities/{}", enc("Казахстан"))).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    let e = one.json();
    assert_eq!(e["key"], "country:KZ");
    assert_eq!(e["name"], "Kazakhstan");
    assert_eq!(e["name_ru"], "Казахстан");
    assert_eq!(e["posts"], KZ_POSTS);
    assert_eq!(e["posts_read"], 7);
    assert_eq!(e["filter"], "country:KZ");
    assert_eq!(e["page_url"], "/entities/country:KZ");
    let search = get(&app, e["search_url"].as_str().expect("search_url")).await;
    assert_eq!(search.status, StatusCode::OK);
    let with: Vec<&str> = e["with"]
        .as_array()
        .expect("with")
        .iter()
        .filter_map(|w| w["key"].as_str())
        .collect();
    assert!(with.contains(&"person:lavrov") && with.contains(&"country:VU"));
    let lavrov = get(&app, "/api/v1/entities/lavrov").await.json();
    assert_eq!(lavrov["key"], "person:lavrov");
    assert_eq!(lavrov["country"], "RU");
    // An entity of the lists no post names: zero counts, first null.
    let peru = get(&app, "/api/v1/entities/country:PE").await.json();
    assert_eq!(peru["posts"], 0);
    assert_eq!(peru["first"], Value::Null);
    // A name of nothing: 404 with the lists' message.
    let narnia = problem(
        &get(&app, &format!("/api/v1/entities/{}", enc("Нарния"))).await,
        StatusCode::NOT_FOUND,
    );
    assert!(
        narnia["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Нарния")),
        "{narnia}"
    );
    let bad = problem(
        &get(&app, "/api/v1/entities/KZ?by=year").await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(bad["code"], "bad_request");
}

#[tokio::test]
async fn the_facets_route_counts_every_match_and_its_links_narrow_to_them() {
    let a = entities_archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/api/v1/search/facets?q=channel:steppe_news").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let f = reply.json();
    assert_eq!(f["query"], "channel:steppe_news");
    assert_eq!(f["matching"], 4);
    let kinds: Vec<&str> = f["kinds"]
        .as_array()
        .expect("kinds")
        .iter()
        .filter_map(|k| k["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["country", "org", "person"]);
    let kz = &f["kinds"][0]["top"][0];
    assert_eq!(kz["key"], "country:KZ");
    assert_eq!(kz["posts"], 4);
    assert_eq!(kz["filter"], "country:KZ");
    assert_eq!(kz["page_url"], "/entities/country:KZ");
    for kind in f["kinds"].as_array().expect("kinds") {
        for e in kind["top"].as_array().expect("top") {
            let url = e["search_url"].as_str().expect("search_url");
            let narrowed = get(&app, url).await.json();
            assert_eq!(narrowed["total"], e["posts"], "{url}");
        }
    }
    let one = get(
        &app,
        "/api/v1/search/facets?q=channel:steppe_news&per_kind=1",
    )
    .await
    .json();
    assert_eq!(one["kinds"][0]["top"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["kinds"][0]["distinct"], 3);
    let bad = problem(
        &get(&app, "/api/v1/search/facets?q=country:Narnia").await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(bad["code"], "bad_query");
    problem(
        &get(&app, "/api/v1/search/facets?q=x&per_kind=0").await,
        StatusCode::BAD_REQUEST,
    );
}

#[tokio::test]
async fn the_entity_network_comes_from_the_network_route() {
    let a = entities_archive();
    let app = router(config(&a.dir));
    let reply = get(&app, "/api/v1/network?kind=entity&min_tag_posts=1").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("content-type"), "application/json");
    // The posts behind its edges: 1 (Kazakhstan, Lavrov, the SCO), 2 (Kazakhstan, Russia) and 7
    // (Kazakhstan, Vanuatu, the minister).
    assert_eq!(reply.header("x-network-posts-used"), "3");
    let net = reply.json();
    let nodes: BTreeSet<&str> = net["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["id"].as_str())
        .collect();
    for key in ["country:KZ", "person:lavrov", "org:sco", "country:RU"] {
        assert!(nodes.contains(key), "{key} in {nodes:?}");
    }
    let edge = net["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| {
            let pair = [e["source"].as_str(), e["target"].as_str()];
            pair.contains(&Some("country:KZ")) && pair.contains(&Some("person:lavrov"))
        })
        .expect("Kazakhstan and Lavrov named together");
    assert_eq!(edge["kind"], "entity");
    assert_eq!(edge["weight"], 1.0);
    // Of one kind; in a period (the undated post said in a header); as GEXF.
    let countries = get(
        &app,
        "/api/v1/network?kind=entity&min_tag_posts=1&entity_kind=country",
    )
    .await
    .json();
    assert!(
        countries["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .all(|n| n["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("country:")))
    );
    let dated = get(&app, "/api/v1/network?kind=entity&since=2024-01-01").await;
    assert_eq!(dated.header("x-network-undated-left-out"), "1");
    let gexf = get(
        &app,
        "/api/v1/network?kind=entity&min_tag_posts=1&format=gexf",
    )
    .await;
    assert_eq!(gexf.header("content-type"), "application/gexf+xml");
    assert!(gexf.body.contains("country:KZ"));
    // What the entity network does not take.
    for bad in [
        "kind=entity,forward",
        "kind=entity&channel=steppe_news",
        "kind=entity&entity_kind=city",
        "kind=forward&entity_kind=country",
    ] {
        let reply = get(&app, &format!("/api/v1/network?{bad}")).await;
        assert_eq!(
            problem(&reply, StatusCode::BAD_REQUEST)["code"],
            "bad_request",
            "{bad}"
        );
    }
    // The network page draws channels and hashtags, and says where the entity network is.
    let page = get(&app, "/network?kind=entity").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("/api/v1/network?kind=entity"));
}
