//! The network analysis's state on disk: an update in steps (with posts edited again, handed
//! over out of order) equals a rebuild, a saved state reads back the same, a damaged one is
//! refused, and a network computed with its shares sorted in runs on disk equals one sorted in
//! memory.

use proptest::prelude::*;
use tgscope_analyze::network::{
    ChannelFacts, CopyMember, EdgeKind, NetworkPost, NetworkQuery, NetworkState, ObjectKind,
};

/// A small random archive: channels 1..=6 (usernames `c1`..), posts over a day, forwards,
/// mentions (some of channels the archive does not hold), links with tracking parameters, tags.
fn posts(seed: u64, n: usize) -> Vec<NetworkPost> {
    let mut x = seed | 1;
    let mut next = move |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    (1..=n as i64)
        .map(|id| {
            let channel = 1 + next(6) as i64;
            let date = (next(10) != 0).then(|| 1_700_000_000 + next(86_400) as i64);
            let forward = (next(4) == 0).then(|| {
                (
                    (next(5) != 0).then(|| 1 + next(8) as i64),
                    (next(5) != 0).then(|| next(20) as i64),
                )
            });
            let mentions = (0..next(3)).map(|_| format!("c{}", 1 + next(9))).collect();
            let links = (0..next(3))
                .map(|_| match next(4) {
                    0 => format!("https://t.me/c{}", 1 + next(9)),
                    1 => format!("https://example.org/a{}?utm_source=tg", next(15)),
                    _ => format!("https://example.org/a{}", next(15)),
                })
                .collect();
            let hashtags = (0..next(3)).map(|_| format!("Tag{}", next(6))).collect();
            NetworkPost {
                post_id: id,
                channel_id: channel,
                date,
                date_inferred: date.is_some() && next(7) == 0,
                forward,
                mentions,
                links,
                hashtags,
            }
        })
        .collect()
}

fn channels() -> Vec<ChannelFacts> {
    (1..=8)
        .map(|id| ChannelFacts {
            id,
            title: Some(format!("Channel {id}")),
            username: Some(format!("c{id}")),
            posts: if id <= 6 { 10 } else { 0 },
            first: None,
            last: None,
        })
        .collect()
}

/// Copy clusters over the posts: every fifth post joins a cluster of its id modulo 4.
fn copies(all: &[NetworkPost]) -> Vec<CopyMember> {
    let mut out = Vec::new();
    for p in all.iter().filter(|p| p.post_id % 5 == 0) {
        let cluster = p.post_id % 4;
        let first = all
            .iter()
            .filter(|q| q.post_id % 5 == 0 && q.post_id % 4 == cluster)
            .map(|q| q.post_id)
            .min()
            .unwrap();
        out.push(CopyMember {
            post_id: p.post_id,
            cluster,
            first_post: first,
            relation: if p.post_id == first {
                "first"
            } else if p.post_id % 3 == 0 {
                "attributed"
            } else {
                "unattributed"
            },
        });
    }
    out
}

fn queries() -> Vec<NetworkQuery> {
    let all = NetworkQuery {
        kinds: EdgeKind::CHANNEL_KINDS.to_vec(),
        window: 3_600,
        min_shared: 2,
        ..NetworkQuery::default()
    };
    vec![
        all.clone(),
        NetworkQuery {
            since: Some(1_700_020_000),
            until: Some(1_700_060_000),
            ..all.clone()
        },
        NetworkQuery {
            kinds: vec![EdgeKind::Coordination],
            objects: vec![ObjectKind::Link, ObjectKind::Hashtag],
            max_sharers: 4,
            min_shared: 1,
            ..all.clone()
        },
        NetworkQuery {
            kinds: vec![EdgeKind::Hashtag],
            min_tag_posts: 2,
            ..NetworkQuery::default()
        },
    ]
}

fn rebuilt(all: &[NetworkPost], mark: i64) -> NetworkState {
    let mut state = NetworkState::new();
    state.update(mark, all.iter().cloned()).unwrap();
    state
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Posts arrive in steps, some edited again later (handed over anew, out of order): the
    /// state, and every network computed from it, equals a rebuild from the final posts.
    #[test]
    fn an_update_in_steps_equals_a_rebuild(seed in 1u64.., steps in 1usize..5, n in 1usize..160) {
        let first = posts(seed, n);
        let edited = posts(seed.wrapping_mul(31).wrapping_add(7), n);
        let mut state = NetworkState::new();
        let mut fin = first.clone();
        let chunk = n.div_ceil(steps);
        // The number of steps taken (fewer than asked when there are few posts): the mark.
        let taken = first.chunks(chunk).count();
        for (i, part) in first.chunks(chunk).enumerate() {
            let mut part: Vec<NetworkPost> = part.to_vec();
            // Every third post of an earlier step comes back edited, in reverse order.
            for p in edited.iter().take(i * chunk).filter(|p| p.post_id % 3 == 0).rev() {
                part.push(p.clone());
                fin[p.post_id as usize - 1] = p.clone();
            }
            part.reverse();
            state.update(i as i64 + 1, part).unwrap();
        }
        let rebuild = rebuilt(&fin, taken as i64);
        prop_assert_eq!(state.fingerprint().unwrap(), rebuild.fingerprint().unwrap());
        prop_assert_eq!(state.post_count(), n);
        let members = copies(&fin);
        for q in queries() {
            prop_assert_eq!(
                state.network(&q, &channels(), &members).unwrap(),
                rebuild.network(&q, &channels(), &members).unwrap()
            );
        }
        let by_day = |s: i64| (s / 86_400).to_string();
        prop_assert_eq!(
            state.hashtags(None, None, None, &by_day).unwrap(),
            rebuild.hashtags(None, None, None, &by_day).unwrap()
        );
    }
}

#[test]
fn shares_sorted_in_runs_on_disk_give_the_network_sorted_in_memory() {
    let all = posts(99, 3_000);
    let members = copies(&all);
    let state = rebuilt(&all, 1);
    let spilled = state.clone().with_share_budget(100);
    let mut edges = 0;
    for q in queries() {
        let a = state.network(&q, &channels(), &members).unwrap();
        let b = spilled.network(&q, &channels(), &members).unwrap();
        edges += a.graph.edges.len();
        assert_eq!(a, b);
    }
    assert!(edges > 50, "the queries find edges ({edges})");
}

#[test]
fn a_saved_state_reads_back_the_same_and_a_damaged_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.bin");
    let all = posts(5, 400);
    let state = rebuilt(&all, 9);
    state.save(&path).unwrap();
    let loaded = NetworkState::load(&path).unwrap().unwrap();
    assert_eq!(loaded.mark(), 9);
    assert_eq!(loaded.post_count(), 400);
    assert_eq!(loaded.fingerprint().unwrap(), state.fingerprint().unwrap());
    let q = &queries()[0];
    assert_eq!(
        loaded.network(q, &channels(), &copies(&all)).unwrap(),
        state.network(q, &channels(), &copies(&all)).unwrap()
    );

    // A state written by the engine's way (a writer onto the file) replaces it; the state
    // read before still reads its own version.
    let mut w = loaded.writer(&path).unwrap();
    let mut changed = all[10].clone();
    changed.hashtags = vec!["Fresh".into()];
    w.push(&changed).unwrap();
    let newer = w.finish(10).unwrap();
    assert!(newer.fingerprint().unwrap().contains("[\"fresh\"]"));
    assert_eq!(loaded.fingerprint().unwrap(), state.fingerprint().unwrap());
    assert_eq!(
        NetworkState::load(&path)
            .unwrap()
            .unwrap()
            .fingerprint()
            .unwrap(),
        newer.fingerprint().unwrap()
    );

    // One byte changed: refused as unusable (the engine rebuilds it).
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    let err = NetworkState::load(&path).unwrap_err().to_string();
    assert!(err.contains("checksum"), "{err}");
    std::fs::write(&path, b"not a state").unwrap();
    let err = NetworkState::load(&path).unwrap_err().to_string();
    assert!(err.contains("not a network analysis file"), "{err}");
    assert!(
        NetworkState::load(&dir.path().join("missing.bin"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn posts_handed_to_a_writer_out_of_order_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let empty = NetworkState::new();
    let mut w = empty.writer(&dir.path().join("state.bin")).unwrap();
    let all = posts(3, 3);
    w.push(&all[1]).unwrap();
    let err = w.push(&all[0]).unwrap_err().to_string();
    assert!(err.contains("post order"), "{err}");
}
