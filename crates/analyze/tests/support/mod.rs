//! What the copy tests share: posts, a rebuild over posts grouped by channel as the engine
//! reads them, and the generator of news posts ([`news`]).

pub mod news;

use std::collections::BTreeMap;

use tgscope_analyze::copies::{CopyPost, CopyState, Params, Rebuild, StateError};

/// The blocks of the tests' analyses kept on file: two texts' band keys, two posts' records.
pub const KEY_BLOCK_ROWS: usize = 2;

/// An empty analysis whose band keys and posts are kept in scratch files in `dir`, in blocks of
/// [`KEY_BLOCK_ROWS`].
pub fn empty_on_file(params: &Params, dir: &std::path::Path) -> CopyState {
    let mut state = CopyState::new(params.clone());
    assert!(
        state.set_scratch_block_rows(KEY_BLOCK_ROWS),
        "an empty analysis"
    );
    state.keep_scratch_files_in(dir).expect("scratch files");
    state
}

/// A post of `channel`.
pub fn post(id: i64, channel: i64, text: &str) -> CopyPost {
    CopyPost {
        post_id: id,
        channel_id: channel,
        text: text.to_string(),
    }
}

/// The analysis rebuilt from `posts` as the engine reads an archive: one channel at a time,
/// in channel order, each channel's posts by id.
pub fn rebuild(params: &Params, mark: i64, posts: &[CopyPost]) -> CopyState {
    let mut by_channel: BTreeMap<i64, Vec<CopyPost>> = BTreeMap::new();
    for p in posts {
        by_channel.entry(p.channel_id).or_default().push(p.clone());
    }
    let batches = by_channel.into_values().map(|mut batch| {
        batch.sort_by_key(|p| p.post_id);
        Ok::<_, StateError>(batch)
    });
    CopyState::rebuild(params.clone(), mark, batches).expect("an in-memory rebuild")
}

/// [`rebuild`] as a large archive is rebuilt: the sketches spilled to a temporary file in a
/// folder of its own (checked to be left empty), the band keys and posts kept in scratch files there in
/// blocks of two (so that nearly all of them are read back from the files), and the
/// channels handed over in the reverse order (so that the analysis may not depend on the order
/// of its input).
pub fn rebuild_spilling(params: &Params, mark: i64, posts: &[CopyPost]) -> CopyState {
    let mut by_channel: BTreeMap<i64, Vec<CopyPost>> = BTreeMap::new();
    for p in posts {
        by_channel.entry(p.channel_id).or_default().push(p.clone());
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut rebuild = Rebuild::spilling(params.clone(), mark, dir.path()).expect("a spill file");
    assert!(
        rebuild.set_scratch_block_rows(KEY_BLOCK_ROWS),
        "nothing added yet"
    );
    for mut batch in by_channel.into_values().rev() {
        batch.sort_by_key(|p| std::cmp::Reverse(p.post_id));
        rebuild.add_channel(batch).expect("spilled");
    }
    let state = rebuild.finish().expect("read back");
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("the folder").collect();
    assert!(left.is_empty(), "the rebuild left files behind: {left:?}");
    state
}

/// [`rebuild`] as the engine rebuilds a channel too large to hold at once: the odd channels'
/// posts are read twice, `page` posts at a time, first for their boilerplate
/// ([`Rebuild::learn_channel`]) and then for their features ([`Rebuild::add_learned`]); the
/// even channels are handed over whole between them.
pub fn rebuild_paged(params: &Params, mark: i64, posts: &[CopyPost], page: usize) -> CopyState {
    let mut by_channel: BTreeMap<i64, Vec<CopyPost>> = BTreeMap::new();
    for p in posts {
        by_channel.entry(p.channel_id).or_default().push(p.clone());
    }
    let mut rebuild = Rebuild::new(params.clone(), mark);
    for (channel, mut batch) in by_channel {
        batch.sort_by_key(|p| p.post_id);
        if channel % 2 == 0 {
            rebuild.add_channel(batch).expect("in memory");
            continue;
        }
        for chunk in batch.chunks(page) {
            rebuild.learn_channel(chunk.to_vec()).expect("in memory");
        }
        for chunk in batch.chunks(page) {
            rebuild.add_learned(chunk.to_vec()).expect("in memory");
        }
    }
    rebuild.finish().expect("in memory")
}

/// [`rebuild`] with the default parameters.
pub fn analyse(posts: &[CopyPost]) -> CopyState {
    rebuild(&Params::default(), 1, posts)
}

/// The posts of the cluster `post_id` is in (empty when it is in none).
pub fn cluster_posts(state: &CopyState, post_id: i64) -> Vec<i64> {
    state
        .cluster_of(post_id)
        .map(|c| c.posts)
        .unwrap_or_default()
}

/// Every cluster, as its posts.
pub fn all_clusters(state: &CopyState) -> Vec<Vec<i64>> {
    let mut all = Vec::new();
    state.for_each_cluster(&mut |c| all.push(c.posts.clone()));
    all
}
