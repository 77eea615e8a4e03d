//! What the copy tests share: posts, a rebuild over posts grouped by channel as the engine
//! reads them, and the generator of news posts ([`news`]).

pub mod news;

use std::collections::BTreeMap;

use tgscope_analyze::copies::{CopyPost, CopyState, Params};

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
        Ok::<_, std::convert::Infallible>(batch)
    });
    match CopyState::rebuild(params.clone(), mark, batches) {
        Ok(state) => state,
        Err(never) => match never {},
    }
}

/// [`rebuild`] with the default parameters.
pub fn analyse(posts: &[CopyPost]) -> CopyState {
    rebuild(&Params::default(), 1, posts)
}

/// The posts of the cluster `post_id` is in (empty when it is in none).
pub fn cluster_posts(state: &CopyState, post_id: i64) -> Vec<i64> {
    state
        .cluster_of(post_id)
        .map(|c| c.posts.clone())
        .unwrap_or_default()
}

/// Every cluster, as its posts.
pub fn all_clusters(state: &CopyState) -> Vec<Vec<i64>> {
    state.clusters().map(|c| c.posts.clone()).collect()
}
