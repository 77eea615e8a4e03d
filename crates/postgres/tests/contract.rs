//! The backend contract: the same scenarios run through the engine on an SQLite archive
//! (`Engine::open`) and on a PostgreSQL one (`Engine::open_archive` of a `PgArchive`), and
//! what the two archives then answer is compared: the JSONL export byte for byte, and the
//! posts with their versions, sightings and absences, channels, captures, counts, browsing,
//! changes, search hits and `check`.
//!
//! Scenarios: ingest of every capture format (the repository's fixtures and example captures,
//! and the real samples in `../shared/samples`, read from there), re-ingest idempotence,
//! versions (an edited capture), sightings (a later capture of the same posts), absences
//! (fetched t.me pages, the second missing a post), and search catch-up (an index brought up to
//! the archive after each ingest, and by a new process opening the archive).
//!
//! What legitimately differs, and is normalised (exactly that): the times each archive took
//! from its own clock while ingesting (`archived_at` of versions, `ingested_at` and
//! `completed_at` of captures, and an `observed_at` or capture time that falls back to the
//! ingest time). Ids are not normalised: both archives hand them out in the same order.
//!
//! Each test takes a fresh PostgreSQL database (`testing::database`); without PostgreSQL the
//! tests skip with a message, unless `TGSCOPE_REQUIRE_POSTGRES` is set. Without the samples
//! folder the sample test skips with a message, unless `TGSCOPE_REQUIRE_SAMPLES` is set.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;
use serde_json::Value;
use tempfile::TempDir;
use tgscope_engine::narratives::ReportOptions;
use tgscope_engine::network::{EdgeKind, NetworkQuery};
use tgscope_engine::{
    Capture, Engine, ExportFormat, FetchedPage, IngestOptions, IngestReport, NoProgress,
    PostFilter, SortBy,
};
use tgscope_postgres::{PgArchive, testing};

#[path = "../../collect/tests/server/mod.rs"]
#[allow(dead_code)]
mod server;

/// The workspace's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    root().join("crates/cli/tests/fixtures").join(name)
}

/// The same archive twice: on SQLite and on PostgreSQL.
struct Backends {
    tmp: TempDir,
    url: String,
    sqlite: Engine,
    pg: Engine,
}

/// Both archives, new; `None` when PostgreSQL is missing (the test skips).
fn backends() -> anyhow::Result<Option<Backends>> {
    let Some(url) = testing::database()? else {
        return Ok(None);
    };
    let tmp = tempfile::tempdir()?;
    let sqlite = Engine::open(&tmp.path().join("sqlite"))?;
    let pg = open_pg(&url, &tmp.path().join("pg"))?;
    Ok(Some(Backends {
        tmp,
        url,
        sqlite,
        pg,
    }))
}

fn open_pg(url: &str, dir: &Path) -> anyhow::Result<Engine> {
    Ok(Engine::open_archive(Box::new(PgArchive::open(url, dir)?))?)
}

fn options(channel: Option<&str>) -> IngestOptions {
    IngestOptions {
        channel: channel.map(str::to_string),
        ..IngestOptions::default()
    }
}

/// A value as JSON, for comparisons that name the field that differs.
fn json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).expect("records serialise")
}

/// What a capture report says, without the paths' folders and the ingest time.
fn report_summary(report: &IngestReport) -> Value {
    let captures: Vec<Value> = report
        .captures
        .iter()
        .map(|c| {
            serde_json::json!({
                "file": c.path.file_name().map(|n| n.to_string_lossy().into_owned()),
                "sha256": c.sha256,
                "format": c.format,
                "channel": c.channel,
                "already_archived": c.already_archived,
                "resumed": c.resumed,
                "new": c.posts_new,
                "updated": c.posts_updated,
                "unchanged": c.posts_unchanged,
                "warnings": c.warnings,
                "absent": c.absent,
                "redated": c.redated_posts,
                "captured_basis": c.captured.as_ref().map(|t| t.basis.as_str()),
                // The time itself, unless it is the ingest time (each archive's own clock).
                "captured_at": c.captured.as_ref().filter(|t| t.basis.as_str() != "ingested")
                    .map(|t| (&t.at, &t.evidence)),
            })
        })
        .collect();
    serde_json::json!({
        "captures": captures,
        "skipped": report.skipped.iter().map(|s| s.path.file_name()
            .map(|n| n.to_string_lossy().into_owned())).collect::<Vec<_>>(),
    })
}

/// The times an archive took from its own clock: when its captures were ingested and
/// completed, and when its versions were archived.
fn clock_times(engine: &Engine) -> anyhow::Result<BTreeSet<String>> {
    let mut times = BTreeSet::new();
    for c in engine.captures()? {
        times.insert(c.ingested_at.clone());
        times.extend(c.completed_at.clone());
    }
    for p in engine.posts(&PostFilter::default())? {
        for v in engine.post(p.id)?.versions {
            times.insert(v.archived_at);
        }
    }
    Ok(times)
}

/// Replaces the times of the archive's clock where records carry them: always under
/// `archived_at`, `ingested_at` and `completed_at`; under `observed_at` and `at` only when the
/// value is one of them (a capture made at an unknown time is observed at its ingest).
fn normalise(value: &mut Value, clock: &BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match (key.as_str(), &*v) {
                    ("archived_at" | "ingested_at" | "completed_at", Value::String(_)) => {
                        *v = Value::String("<clock>".into());
                    }
                    ("observed_at" | "at", Value::String(s)) if clock.contains(s) => {
                        *v = Value::String("<clock>".into());
                    }
                    _ => normalise(v, clock),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                normalise(item, clock);
            }
        }
        _ => {}
    }
}

/// A capture without its ingest times.
fn capture_summary(c: &Capture) -> Value {
    serde_json::json!({
        "id": c.id,
        "sha256": c.sha256,
        "size": c.size,
        "format": c.format,
        "reader_version": c.reader_version,
        "source_file": Path::new(&c.source).file_name().map(|n| n.to_string_lossy().into_owned()),
        "channel_id": c.channel_id,
        "raw_kept": c.raw_kept,
        "completed": c.completed_at.is_some(),
        "status": c.status.as_str(),
        "posts_seen": c.posts_seen,
        "warnings": c.warnings,
    })
}

/// A page of posts: its posts, count and offset.
fn page(page: &tgscope_engine::PostsPage) -> Value {
    serde_json::json!({"posts": json(&page.posts), "count": json(&page.count),
                       "offset": page.offset})
}

/// A search hit as compared: the post, its snippet and the highlights in it.
type Hit<'a> = (i64, &'a str, &'a [(usize, usize)]);

/// The JSONL export of the whole archive.
fn export(engine: &mut Engine) -> anyhow::Result<String> {
    let mut out = Vec::new();
    engine.export(&PostFilter::default(), ExportFormat::Jsonl, &mut out)?;
    Ok(String::from_utf8(out)?)
}

/// Everything compared between the two archives, normalised, by what it is.
fn answers(engine: &mut Engine, queries: &[&str]) -> anyhow::Result<Vec<(String, Value)>> {
    let clock = clock_times(engine)?;
    let mut out: Vec<(String, Value)> = Vec::new();
    let mut add = |what: String, mut value: Value| {
        normalise(&mut value, &clock);
        out.push((what, value));
    };
    let all = engine.posts(&PostFilter::default())?;
    for p in &all {
        add(format!("post {}", p.id), json(&engine.post(p.id)?));
    }
    add("stats".into(), json(&engine.stats()?));
    let channels = engine.channels()?;
    add("channels".into(), json(&channels));
    add(
        "captures".into(),
        Value::Array(engine.captures()?.iter().map(capture_summary).collect()),
    );
    add(
        "newest captures".into(),
        Value::Array(
            engine
                .newest_captures(3)?
                .1
                .iter()
                .map(capture_summary)
                .collect(),
        ),
    );
    // Changes come in the order they were observed; changes observed at ingest times of the
    // same second or the next depend on each archive's clock, so the list is compared as a set
    // here (the absences test compares the order of changes observed at fetch times).
    let mut changes: Vec<Value> = engine.changes(None, None)?.iter().map(json).collect();
    for c in &mut changes {
        normalise(c, &clock);
    }
    changes.sort_by_key(|c| c.to_string());
    add("changes".into(), Value::Array(changes));
    add(
        "top hashtags".into(),
        json(&engine.top_hashtags(None, 50, 0)?),
    );
    add(
        "top forward sources".into(),
        json(&engine.top_forward_sources(None, 50, 0)?),
    );
    for c in &channels {
        let id = c.channel.id;
        let name = c.channel.name();
        add(
            format!("channel {name}"),
            json(&engine.channel(&id.to_string())?),
        );
        add(
            format!("top hashtags of {name}"),
            json(&engine.top_hashtags(Some(id), 5, 1)?),
        );
        add(
            format!("top forward sources of {name}"),
            json(&engine.top_forward_sources(Some(id), 5, 0)?),
        );
        let filter = PostFilter {
            channel: Some(id.to_string()),
            since: Some("2020-01-01".into()),
            until: Some("2024-03-31".into()),
            ..PostFilter::default()
        };
        add(
            format!("dated posts of {name}"),
            page(&engine.posts_page(&filter)?),
        );
    }
    for tag in engine.top_hashtags(None, 5, 0)? {
        add(
            format!("hashtag {}", tag.tag),
            json(&engine.hashtag(&tag.tag)?),
        );
        add(
            format!("channels of hashtag {}", tag.tag),
            json(&engine.hashtag_channels(&tag.tag, 10)?),
        );
        let filter = PostFilter {
            hashtag: Some(tag.tag.clone()),
            limit: Some(3),
            offset: 1,
            ..PostFilter::default()
        };
        add(
            format!("posts with #{}", tag.tag),
            page(&engine.posts_page(&filter)?),
        );
    }
    // A search's hits, all of them, in post order: the scores (and so the order by relevance) depend on
    // when tantivy merged its segments in the background (its BM25 statistics count an edited
    // post's replaced document until a merge drops it), so that two SQLite archives of the same
    // captures rank them differently too. By date, hits of equal date come in no fixed order:
    // they are put in post order.
    for query in queries {
        let page = engine.search(query, SortBy::Relevance, 10_000, 0)?;
        let mut hits: Vec<Hit<'_>> = page
            .hits
            .iter()
            .map(|h| (h.post.id, h.snippet.as_str(), h.highlights.as_slice()))
            .collect();
        hits.sort();
        add(
            format!("search {query}"),
            serde_json::json!({"total": page.total, "hits": json(&hits)}),
        );
        let oldest = engine.search(query, SortBy::Oldest, 10_000, 0)?;
        let mut dated: Vec<(Option<String>, i64)> = oldest
            .hits
            .iter()
            .map(|h| {
                let v = &h.post.current;
                let date = v
                    .date
                    .clone()
                    .or_else(|| v.date_inferred.as_ref().map(|d| d.date.clone()));
                (date, h.post.id)
            })
            .collect();
        for run in dated.chunk_by_mut(|a, b| a.0 == b.0) {
            run.sort();
        }
        add(format!("search {query}, oldest first"), json(&dated));
    }
    add("check".into(), json(&engine.check()?));
    Ok(out)
}

impl Backends {
    /// Ingests the same inputs into both archives; the two reports, after checking that they
    /// say the same.
    fn ingest(
        &mut self,
        paths: &[PathBuf],
        channel: Option<&str>,
    ) -> anyhow::Result<(IngestReport, IngestReport)> {
        let options = options(channel);
        let a = self
            .sqlite
            .ingest(paths, &options, &mut NoProgress)
            .context("ingest into SQLite")?;
        let b = self
            .pg
            .ingest(paths, &options, &mut NoProgress)
            .context("ingest into PostgreSQL")?;
        assert_eq!(report_summary(&a), report_summary(&b), "ingest reports");
        Ok((a, b))
    }

    /// Asserts that both archives answer alike, and that both are consistent.
    fn assert_same(&mut self, queries: &[&str]) -> anyhow::Result<()> {
        let a = export(&mut self.sqlite)?;
        let b = export(&mut self.pg)?;
        assert!(!a.is_empty(), "the archive exports posts");
        for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
            assert_eq!(x, y, "JSONL export, line {}", i + 1);
        }
        assert_eq!(a.lines().count(), b.lines().count(), "JSONL export lines");
        assert_eq!(a, b, "JSONL export");
        let a = answers(&mut self.sqlite, queries)?;
        let b = answers(&mut self.pg, queries)?;
        for ((what, x), (_, y)) in a.iter().zip(&b) {
            assert_eq!(x, y, "{what}");
        }
        assert_eq!(
            a.iter().map(|(w, _)| w).collect::<Vec<_>>(),
            b.iter().map(|(w, _)| w).collect::<Vec<_>>()
        );
        assert_eq!(self.sqlite.check()?, Vec::<String>::new(), "SQLite check");
        assert_eq!(self.pg.check()?, Vec::<String>::new(), "PostgreSQL check");
        Ok(())
    }

    /// The PostgreSQL archive opened again by a new engine (a new process), with a folder of
    /// its own for derived data.
    fn reopen_pg(&mut self, folder: &str) -> anyhow::Result<Engine> {
        open_pg(&self.url, &self.tmp.path().join(folder))
    }
}

/// Every file of the repository's fixtures and example captures, ingested alike, with a
/// channel named where the format cannot tell it.
#[test]
fn the_repository_captures_ingest_alike() -> anyhow::Result<()> {
    let Some(mut b) = backends()? else {
        return Ok(());
    };
    let examples = root().join("examples/captures");
    for (file, channel) in [
        ("mfa-digest.txt", "mfa_russia"),
        ("cis-echo.txt", "cis_echo"),
        ("desktop-copy.txt", "mfa_russia"),
    ] {
        b.ingest(&[examples.join(file)], Some(channel))?;
    }
    for (file, channel) in [
        ("desktop-ru.txt", "mfa_ru"),
        ("web-ru.txt", "mfa_ru"),
        ("web-mfa.txt", "mfa_test"),
    ] {
        b.ingest(&[fixture(file)], Some(channel))?;
    }
    // Desktop JSON and HTML exports and saved t.me pages of three channels (a folder each).
    b.ingest(&[fixture("copies")], None)?;
    // Desktop JSON exports (one edited) and a message dump.
    b.ingest(&[fixture("feeds/export.json")], None)?;
    b.ingest(&[fixture("feeds/export-edited.json")], None)?;
    b.ingest(&[fixture("narratives/planted.jsonl")], Some("planted"))?;
    b.assert_same(&[
        "minister",
        "Казахстан",
        "#BRICS",
        "ferry OR boat",
        "has:forward",
    ])?;
    Ok(())
}

/// A second ingest of the same captures adds nothing, on both.
#[test]
fn ingesting_again_adds_nothing() -> anyhow::Result<()> {
    let Some(mut b) = backends()? else {
        return Ok(());
    };
    let inputs = [fixture("web-mfa.txt"), fixture("copies")];
    b.ingest(&inputs, Some("mfa_test"))?;
    let before = export(&mut b.pg)?;
    let (again_sqlite, again_pg) = b.ingest(&inputs, Some("mfa_test"))?;
    for report in [&again_sqlite, &again_pg] {
        assert!(!report.captures.is_empty());
        for c in &report.captures {
            assert!(c.already_archived, "{c:?}");
            assert_eq!((c.posts_new, c.posts_updated), (0, 0), "{c:?}");
        }
        assert_eq!(report.posts_new(), 0);
        assert_eq!(report.posts_updated(), 0);
    }
    assert_eq!(export(&mut b.pg)?, before, "nothing changed");
    b.assert_same(&["minister"])?;
    Ok(())
}

/// An edited capture gives posts a second version; a later one sights them again.
#[test]
fn versions_and_sightings_are_kept_alike() -> anyhow::Result<()> {
    let Some(mut b) = backends()? else {
        return Ok(());
    };
    let (first, _) = b.ingest(&[fixture("web-mfa.txt")], Some("mfa_test"))?;
    assert!(first.posts_new() > 0);
    let (edited, _) = b.ingest(&[fixture("web-mfa-edited.txt")], Some("mfa_test"))?;
    assert!(edited.posts_updated() > 0, "{edited:?}");
    let (later, _) = b.ingest(&[fixture("web-mfa-later.txt")], Some("mfa_test"))?;
    assert!(later.posts_unchanged() > 0, "{later:?}");
    // Posts with several versions and several sightings exist, and read alike.
    let posts = b.pg.posts(&PostFilter::default())?;
    let detail = posts
        .iter()
        .map(|p| b.pg.post(p.id))
        .collect::<Result<Vec<_>, _>>()?;
    assert!(
        detail.iter().any(|d| d.versions.len() > 1),
        "an edited post"
    );
    assert!(
        detail.iter().any(|d| d.sightings.len() > 1),
        "a post seen twice"
    );
    b.assert_same(&["minister", "Astana"])?;
    Ok(())
}

/// Two fetched pages of a channel, the second without one of the posts it covers: an absence,
/// and an edit, alike on both.
#[test]
fn absences_of_fetched_pages_are_recorded_alike() -> anyhow::Result<()> {
    let Some(mut b) = backends()? else {
        return Ok(());
    };
    let first: Vec<server::Post> = (1..=5)
        .map(|id| server::Post::new(id, &format!("Post {id} about the harbour ferry")))
        .collect();
    let mut later: Vec<server::Post> = first.iter().filter(|p| p.id != 4).cloned().collect();
    later[2].text = "Post 3 about the harbour ferry, corrected".into();
    later[2].edited = true;
    later[2].views = "3K";
    for (posts, fetched_at) in [
        (&first, "2024-03-20T10:00:00Z"),
        (&later, "2024-03-21T09:30:00Z"),
    ] {
        let page = FetchedPage {
            url: "https://t.me/s/watched_chan".into(),
            status: 200,
            fetched_at: fetched_at.into(),
            body: server::channel_page("watched_chan", "Watched", posts, None).into_bytes(),
            channel: "watched_chan".into(),
        };
        let a = b.sqlite.ingest_page(&page, &IngestOptions::default())?;
        let p = b.pg.ingest_page(&page, &IngestOptions::default())?;
        assert_eq!(a.posts, p.posts, "the page's posts");
        assert_eq!(a.capture.absent, p.capture.absent, "absent");
        assert_eq!(a.damage, p.damage);
    }
    let changes = b.pg.changes(None, None)?;
    let kinds: Vec<(&str, Option<i64>)> = changes
        .iter()
        .map(|c| (c.kind.as_str(), c.message_id))
        .collect();
    assert!(kinds.contains(&("deleted", Some(4))), "{kinds:?}");
    assert!(kinds.contains(&("edited", Some(3))), "{kinds:?}");
    assert_eq!(
        json(&b.sqlite.changes(Some("watched_chan"), Some("2024-03-21"))?),
        json(&b.pg.changes(Some("watched_chan"), Some("2024-03-21"))?)
    );
    b.assert_same(&["ferry", "corrected"])?;
    Ok(())
}

/// The search index follows the archive: caught up after each ingest, and by a new process
/// that opens the archive with an index of its own; the hits are the same on both.
#[test]
fn search_catches_up_alike() -> anyhow::Result<()> {
    let Some(mut b) = backends()? else {
        return Ok(());
    };
    let queries = ["minister", "Astana OR Казахстан", "#CIS"];
    b.ingest(&[fixture("web-mfa.txt")], Some("mfa_test"))?;
    b.assert_same(&queries)?;
    b.ingest(&[fixture("web-mfa-edited.txt")], Some("mfa_test"))?;
    b.ingest(
        &[fixture("desktop-ru.txt"), fixture("web-ru.txt")],
        Some("mfa_ru"),
    )?;
    b.assert_same(&queries)?;
    // A second process: its own folder, so its index is built from the archive's mark 0.
    let mut other = b.reopen_pg("pg-second")?;
    for query in queries {
        let here = b.pg.search(query, SortBy::Oldest, 50, 0)?;
        let there = other.search(query, SortBy::Oldest, 50, 0)?;
        let ids = |p: &tgscope_engine::SearchPage| {
            let mut ids: Vec<i64> = p.hits.iter().map(|h| h.post.id).collect();
            ids.sort_unstable();
            ids
        };
        assert_eq!(ids(&here), ids(&there), "{query}");
    }
    // It sees what is ingested after it opened, through the mark.
    b.ingest(&[fixture("web-mfa-later.txt")], Some("mfa_test"))?;
    let mark_before = other.search("minister", SortBy::Oldest, 50, 0)?.total;
    let here = b.pg.search("minister", SortBy::Oldest, 50, 0)?.total;
    assert_eq!(mark_before, here);
    b.assert_same(&queries)?;
    Ok(())
}

/// The network analysis (fed by its own walk of the archive) as compared: edges by kind and
/// channel names with their weights, the nodes' names, and what it used and left out.
fn network(engine: &mut Engine, query: &NetworkQuery) -> anyhow::Result<Value> {
    let net = engine.network(query, None)?;
    let label = |id: &str| {
        net.graph
            .nodes
            .iter()
            .find(|n| n.id == id)
            .map(|n| n.label.clone())
            .unwrap_or_default()
    };
    let mut edges: Vec<(String, String, String, String)> = net
        .graph
        .edges
        .iter()
        .map(|e| {
            (
                e.kind.to_string(),
                label(&e.source),
                label(&e.target),
                format!("{:.6}", e.weight),
            )
        })
        .collect();
    edges.sort();
    let mut nodes: Vec<String> = net.graph.nodes.iter().map(|n| n.label.clone()).collect();
    nodes.sort();
    Ok(serde_json::json!({
        "edges": edges,
        "nodes": nodes,
        "posts_used": net.posts_used,
        "undated_left_out": net.undated_left_out,
        "unknown_sources": net.unknown_sources,
        "objects_left_out": net.objects_left_out,
    }))
}

/// What the analyses and the user's data read from the archive alike: the networks, the copy
/// analysis's settings, narratives (versions kept, removed, restored) with their matches and
/// reports, and collection runs.
#[test]
fn user_data_and_analyses_are_kept_alike() -> anyhow::Result<()> {
    let Some(mut b) = backends()? else {
        return Ok(());
    };
    b.ingest(&[fixture("copies")], None)?;
    b.ingest(&[fixture("web-mfa.txt")], Some("mfa_test"))?;
    let hashtags = NetworkQuery {
        kinds: vec![EdgeKind::Hashtag],
        min_tag_posts: 1,
        ..NetworkQuery::default()
    };
    for engine in [&mut b.sqlite, &mut b.pg] {
        // The copy analysis's parameters are a setting of the archive.
        let mut params = engine.copy_params()?;
        params.min_words = 4;
        assert!(engine.set_copy_params(Some(params))?);
        // A narrative, edited, removed and restored (its versions continue).
        engine.add_narrative("cis", "", &["CIS OR СНГ".to_string()])?;
        engine.edit_narrative("CIS", Some("the CIS"), Some(&["#CIS".to_string()]))?;
        engine.add_narrative("minister", "who met whom", &["minister".to_string()])?;
        engine.remove_narrative("cis")?;
        engine.add_narrative("cis", "again", &["Astana".to_string()])?;
        // A collection run, advanced, and one finished.
        let run = engine.start_collect_run(
            "Watched_Chan",
            "https://t.me",
            Some(7),
            false,
            "2024-03-20T10:00:00Z",
        )?;
        engine.advance_collect_run(run.id, Some(40), 3)?;
        let done = engine.start_collect_run(
            "other",
            "https://t.me",
            None,
            true,
            "2024-03-20T11:00:00Z",
        )?;
        engine.finish_collect_run(done.id, "2024-03-20T11:05:00Z", "reached_beginning")?;
        engine.record_failed_fetch(
            "https://t.me/s/other",
            Some(429),
            "2024-03-20T11:06:00Z",
            "too many requests",
        )?;
    }
    let mut clock = clock_times(&b.sqlite)?;
    clock.extend(clock_times(&b.pg)?);
    let mut compare = |what: &str, f: &dyn Fn(&mut Engine) -> anyhow::Result<Value>| {
        let mut x = f(&mut b.sqlite)?;
        let mut y = f(&mut b.pg)?;
        // The narratives' own times come from each archive's clock too.
        for v in [&mut x, &mut y] {
            normalise_narrative_times(v);
            normalise(v, &clock);
        }
        assert_eq!(x, y, "{what}");
        anyhow::Ok(())
    };
    compare("copy parameters", &|e| {
        Ok(Value::String(format!("{:?}", e.copy_params()?)))
    })?;
    compare("narratives", &|e| Ok(json(&e.narratives(true)?)))?;
    compare("narrative records", &|e| {
        Ok(json(&[e.narrative("cis")?, e.narrative("minister")?]))
    })?;
    compare("narrative posts", &|e| {
        Ok(json(&[
            e.narrative_posts("cis")?,
            e.narrative_posts("minister")?,
        ]))
    })?;
    compare("narrative report", &|e| {
        Ok(json(
            &e.narrative_report("minister", &ReportOptions::default())?,
        ))
    })?;
    compare("unfinished run", &|e| {
        Ok(json(
            &e.unfinished_collect_run("watched_chan", "https://t.me")?,
        ))
    })?;
    compare("finished run", &|e| {
        Ok(json(&e.unfinished_collect_run("other", "https://t.me")?))
    })?;
    compare("forward, mention, copy and link network", &|e| {
        network(e, &NetworkQuery::default())
    })?;
    compare("hashtag network", &|e| network(e, &hashtags))?;
    compare("newest message id", &|e| {
        Ok(json(&e.newest_message_id("mfa_russia")?))
    })?;
    // None of these comparisons is of nothing.
    for query in [NetworkQuery::default(), hashtags] {
        let net = network(&mut b.pg, &query)?;
        assert!(
            net["edges"].as_array().is_some_and(|e| !e.is_empty()),
            "{net}"
        );
    }
    assert!(!b.pg.narrative_posts("minister")?.is_empty());
    assert!(
        b.pg.unfinished_collect_run("watched_chan", "https://t.me")?
            .is_some()
    );
    b.assert_same(&["minister"])?;
    Ok(())
}

/// A narrative's `created_at`, `updated_at` and `removed_at` (and its versions'
/// `created_at`): times of the archive's clock.
fn normalise_narrative_times(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let narrative = map.contains_key("queries") || map.contains_key("versions");
            for (key, v) in map.iter_mut() {
                if narrative
                    && matches!(key.as_str(), "created_at" | "updated_at" | "removed_at")
                    && v.is_string()
                {
                    *v = Value::String("<clock>".into());
                } else {
                    normalise_narrative_times(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalise_narrative_times),
        _ => {}
    }
}

/// The real samples (every format: plain text, message dumps, Desktop JSON and HTML exports,
/// saved t.me pages), read from the shared folder, ingested alike; then again, adding nothing.
#[test]
fn the_real_samples_ingest_alike() -> anyhow::Result<()> {
    let Some(samples) = samples() else {
        return Ok(());
    };
    let Some(mut b) = backends()? else {
        return Ok(());
    };
    let folders: Vec<PathBuf> = ["text", "desktop-json", "desktop-html", "tme-html"]
        .iter()
        .map(|f| samples.join(f))
        .collect();
    for folder in &folders {
        assert!(folder.is_dir(), "{} is missing", folder.display());
    }
    let (report, _) = b.ingest(&folders, None)?;
    assert!(report.posts_new() > 300, "{}", report.posts_new());
    b.assert_same(&["minister", "Россия", "telegram", "has:media"])?;
    let (again, _) = b.ingest(&folders, None)?;
    assert_eq!((again.posts_new(), again.posts_updated()), (0, 0));
    Ok(())
}

/// The shared samples folder (`TGSCOPE_SAMPLES_DIR`, else `/work/shared/samples` or
/// `../shared/samples` beside the repository); `None`, with a message, when there is none,
/// and a failure then when `TGSCOPE_REQUIRE_SAMPLES` is set.
fn samples() -> Option<PathBuf> {
    let candidates = match std::env::var_os("TGSCOPE_SAMPLES_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => vec![PathBuf::from(dir)],
        None => vec![
            PathBuf::from("/work/shared/samples"),
            root().join("../shared/samples"),
        ],
    };
    let found = candidates.iter().find(|p| p.is_dir()).cloned();
    if found.is_none() {
        let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        let required =
            std::env::var_os("TGSCOPE_REQUIRE_SAMPLES").is_some_and(|v| !v.is_empty() && v != "0");
        assert!(
            !required,
            "TGSCOPE_REQUIRE_SAMPLES is set but the samples folder is missing (looked in {})",
            looked.join(", ")
        );
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "skipping the real samples: the folder is missing (looked in {}); set \
             TGSCOPE_SAMPLES_DIR",
            looked.join(", ")
        );
    }
    found
}

/// U+0000 in a Desktop export's text, names, file names and links: no PostgreSQL text or JSON
/// value can hold it, so both archives keep the posts without it (alike), and the raw capture
/// still holds the bytes as they came.
#[test]
fn nul_characters_are_dropped_alike_and_kept_in_the_raw_capture() -> anyhow::Result<()> {
    let Some(mut b) = backends()? else {
        return Ok(());
    };
    let export_json = r#"{
 "name": "Nul\u0000 Channel",
 "type": "public_channel",
 "id": 4242,
 "messages": [
  {
   "id": 1,
   "type": "message",
   "date": "2024-03-01T10:00:00",
   "date_unixtime": "1709287200",
   "from": "Nul\u0000 Channel",
   "from_id": "channel4242",
   "author": "An\u0000na",
   "forwarded_from": "Other\u0000 Channel",
   "file": "files/a\u0000b.pdf",
   "file_name": "a\u0000b.pdf",
   "mime_type": "application/pdf",
   "text": [
    "Minister\u0000 said ",
    {"type": "text_link", "text": "this", "href": "https://example.com/\u0000x"},
    " #tag\u0000"
   ],
   "text_entities": [
    {"type": "plain", "text": "Minister\u0000 said "},
    {"type": "text_link", "text": "this", "href": "https://example.com/\u0000x"},
    {"type": "plain", "text": " #tag\u0000"}
   ]
  }
 ]
}
"#;
    let path = b.tmp.path().join("result.json");
    std::fs::write(&path, export_json)?;
    let (report, _) = b.ingest(std::slice::from_ref(&path), None)?;
    assert_eq!(report.posts_new(), 1, "{report:?}");
    let exported = export(&mut b.pg)?;
    assert!(!exported.contains("\\u0000"), "{exported}");
    assert!(exported.contains("Minister said this #tag"), "{exported}");
    assert!(exported.contains("Anna"), "{exported}");
    assert!(exported.contains("Other Channel"), "{exported}");
    b.assert_same(&["minister"])?;
    let sha256 = &report.captures[0].sha256;
    for engine in [&b.sqlite, &b.pg] {
        assert_eq!(engine.raw_capture(sha256)?, export_json.as_bytes());
    }
    Ok(())
}
