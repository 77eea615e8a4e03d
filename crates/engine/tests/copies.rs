//! The copy analysis as derived data: built by ingest, caught up when the archive grows,
//! rebuilt identically when deleted or damaged, its parameters kept in the archive.

use std::path::{Path, PathBuf};

use tgscope_engine::{ClusterFilter, CopyParams, Engine, IngestOptions, NoProgress};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/captures")
        .join(name)
}

fn ingest(engine: &mut Engine, file: &str, channel: &str) {
    let options = IngestOptions {
        channel: Some(channel.to_string()),
        ..IngestOptions::default()
    };
    engine
        .ingest(&[example(file)], &options, &mut NoProgress)
        .expect("ingest runs");
}

/// Every cluster as (id, posts), in id order.
fn clusters(engine: &mut Engine) -> Vec<(i64, Vec<i64>)> {
    let page = engine
        .clusters(&ClusterFilter::default())
        .expect("clusters");
    let mut v: Vec<(i64, Vec<i64>)> = page
        .clusters
        .into_iter()
        .map(|c| (c.cluster, c.posts))
        .collect();
    v.sort();
    v
}

#[test]
fn ingest_builds_the_analysis_and_a_later_capture_joins_its_clusters() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("archive");
    let mut engine = Engine::open(&dir).unwrap();
    ingest(&mut engine, "mfa-digest.txt", "mfa_digest");
    assert!(dir.join("copies").join("state.bin").is_file());
    assert!(
        clusters(&mut engine).is_empty(),
        "one channel without repeats"
    );

    ingest(&mut engine, "cis-echo.txt", "cis_echo");
    let found = clusters(&mut engine);
    assert_eq!(found.len(), 3, "{found:?}");
    // Every cluster pairs one digest post with one echo post (ids 1-9 and 10-13).
    for (id, posts) in &found {
        assert_eq!(posts.len(), 2);
        assert_eq!(*id, posts[0]);
        assert!(posts[0] <= 9 && posts[1] >= 10, "{posts:?}");
    }
    // The echo's "👍" (post 13) is in none.
    assert!(engine.copies_of(13).unwrap().is_none());
}

#[test]
fn a_deleted_or_damaged_analysis_is_rebuilt_identically() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("archive");
    let mut engine = Engine::open(&dir).unwrap();
    ingest(&mut engine, "mfa-digest.txt", "mfa_digest");
    ingest(&mut engine, "cis-echo.txt", "cis_echo");
    let before = clusters(&mut engine);
    let detail = serde_json::to_value(engine.copies_of(11).unwrap().unwrap()).unwrap();
    drop(engine);

    let state = dir.join("copies").join("state.bin");
    let mut bytes = std::fs::read(&state).unwrap();
    let at = bytes.len() / 3;
    bytes[at] ^= 0x5A;
    std::fs::write(&state, &bytes).unwrap();
    let mut reader = Engine::open_existing(&dir).unwrap();
    assert_eq!(clusters(&mut reader), before);
    assert_eq!(
        serde_json::to_value(reader.copies_of(11).unwrap().unwrap()).unwrap(),
        detail
    );
    drop(reader);

    std::fs::remove_dir_all(dir.join("copies")).unwrap();
    let mut reader = Engine::open_existing(&dir).unwrap();
    assert_eq!(clusters(&mut reader), before);
    assert!(state.is_file(), "a reader alone rebuilds and keeps it");
}

#[test]
fn chosen_parameters_are_kept_in_the_archive_and_survive_a_rebuild() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("archive");
    let mut engine = Engine::open(&dir).unwrap();
    ingest(&mut engine, "mfa-digest.txt", "mfa_digest");
    ingest(&mut engine, "cis-echo.txt", "cis_echo");
    assert_eq!(clusters(&mut engine).len(), 3);

    assert_eq!(relation_of(&mut engine, 10), "unattributed");

    // At 0.99 the echo's copy with its own headline and footer is no full copy any more: what
    // it shares is a paragraph (partial reuse).
    let strict = CopyParams {
        jaccard: 0.99,
        ..CopyParams::default()
    };
    assert!(engine.set_copy_params(Some(strict.clone())).unwrap());
    assert_eq!(relation_of(&mut engine, 10), "partial");
    let strict_clusters = clusters(&mut engine);
    drop(engine);

    std::fs::remove_dir_all(dir.join("copies")).unwrap();
    let mut engine = Engine::open(&dir).unwrap();
    assert_eq!(engine.copy_params().unwrap(), strict);
    assert_eq!(clusters(&mut engine), strict_clusters);

    let bad = CopyParams {
        jaccard: 1.5,
        ..CopyParams::default()
    };
    let err = engine.set_copy_params(Some(bad)).unwrap_err();
    assert_eq!(err.kind(), tgscope_engine::ErrorKind::User);

    assert!(engine.set_copy_params(None).unwrap());
    assert_eq!(engine.copy_params().unwrap(), CopyParams::default());
    assert_eq!(relation_of(&mut engine, 10), "unattributed");
}

/// A post's relation to its cluster's first post.
fn relation_of(engine: &mut Engine, post: i64) -> &'static str {
    let copies = engine
        .copies_of(post)
        .unwrap()
        .expect("the post has copies");
    copies
        .detail
        .posts
        .iter()
        .find(|p| p.id == post)
        .expect("the post is in its cluster")
        .relation
}

#[test]
fn an_unknown_cluster_is_not_found_in_search_and_by_id() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("archive");
    let mut engine = Engine::open(&dir).unwrap();
    ingest(&mut engine, "mfa-digest.txt", "mfa_digest");
    ingest(&mut engine, "cis-echo.txt", "cis_echo");
    let err = engine
        .search("cluster:999", tgscope_engine::SortBy::Relevance, 10, 0)
        .unwrap_err();
    assert_eq!(err.kind(), tgscope_engine::ErrorKind::NotFound);
    let err = engine.cluster(999).unwrap_err();
    assert_eq!(err.kind(), tgscope_engine::ErrorKind::NotFound);
    let page = engine
        .search("has:copies", tgscope_engine::SortBy::Oldest, 100, 0)
        .unwrap();
    let ids: Vec<i64> = page.hits.iter().map(|h| h.post.id).collect();
    let mut clustered: Vec<i64> = clusters(&mut engine)
        .into_iter()
        .flat_map(|(_, p)| p)
        .collect();
    clustered.sort();
    let mut found = ids.clone();
    found.sort();
    assert_eq!(found, clustered);
}

/// A reader exports the posts' clusters from the small cluster index beside the analysis,
/// without loading the analysis itself (the export of a million posts would otherwise hold the
/// whole analysis in memory): with the analysis's file made unreadable, the export is the same.
#[test]
fn the_export_reads_the_clusters_from_the_cluster_index() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("archive");
    let mut engine = Engine::open(&dir).unwrap();
    ingest(&mut engine, "mfa-digest.txt", "mfa_digest");
    ingest(&mut engine, "cis-echo.txt", "cis_echo");
    let export = |engine: &mut Engine| {
        let mut out = Vec::new();
        engine
            .export(
                &tgscope_engine::PostFilter::default(),
                tgscope_engine::ExportFormat::Jsonl,
                &mut out,
            )
            .unwrap();
        String::from_utf8(out).unwrap()
    };
    let before = export(&mut engine);
    assert!(before.contains("\"cluster\":"), "{before}");
    assert!(
        before.lines().any(|l| !l.contains("\"cluster\":null")),
        "some posts are in clusters"
    );
    drop(engine);
    assert!(dir.join("copies").join("clusters.bin").is_file());

    // The analysis cannot be read any more; its cluster index is current.
    let state = dir.join("copies").join("state.bin");
    let mut bytes = std::fs::read(&state).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x5A;
    std::fs::write(&state, &bytes).unwrap();
    let mut reader = Engine::open_existing(&dir).unwrap();
    assert_eq!(export(&mut reader), before);
    assert_eq!(
        std::fs::read(&state).unwrap(),
        bytes,
        "the analysis was not loaded (a load would have found it damaged and rebuilt it)"
    );
    drop(reader);

    // A question that needs the analysis itself still finds it damaged and rebuilds it.
    let mut reader = Engine::open_existing(&dir).unwrap();
    assert!(!clusters(&mut reader).is_empty());
    assert_ne!(std::fs::read(&state).unwrap(), bytes, "rebuilt");
}
