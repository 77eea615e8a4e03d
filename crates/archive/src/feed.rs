//! What derived data is fed with: each post as the search index, the network analysis and the
//! copy analysis need it.

/// One post as the index needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostForIndex {
    /// Archive id of the post.
    pub post_id: i64,
    /// Its channel.
    pub channel_id: i64,
    /// Whether the current version is a forward.
    pub forwarded: bool,
    /// The forward source's channel (archive id), when the current version is a forward from
    /// a source the archive knows by a name.
    pub forward_channel_id: Option<i64>,
    /// Clean text of the current version.
    pub text: String,
    /// Hashtags of the current version (without '#').
    pub hashtags: Vec<String>,
    /// Mentions of the current version (without '@').
    pub mentions: Vec<String>,
    /// Observed date (RFC 3339 UTC), else the inferred one (as stored).
    pub date: Option<String>,
    /// Media kinds of the current version.
    pub media_kinds: Vec<String>,
    /// Whether the current version has a link.
    pub has_link: bool,
    /// Whether the post was edited: more than one version, or an edited mark.
    pub edited: bool,
    /// Telegram's message id.
    pub message_id: Option<i64>,
}

/// One post as the network analysis needs it: its current version's date, forward source,
/// mentions, links and hashtags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkRow {
    /// Archive id of the post.
    pub post_id: i64,
    /// Its channel.
    pub channel_id: i64,
    /// Observed date (RFC 3339 UTC).
    pub date: Option<String>,
    /// Inferred date, as stored, when there is no observed one.
    pub date_inferred: Option<String>,
    /// When the current version is a forward: the source's channel (archive id), when the
    /// archive knows it by a name, and the source post's message id, when known.
    pub forward: Option<(Option<i64>, Option<i64>)>,
    /// Usernames of its mentions (without `@`).
    pub mentions: Vec<String>,
    /// Its links' URLs (the label when a link has no separate URL).
    pub links: Vec<String>,
    /// Its hashtags (without `#`).
    pub hashtags: Vec<String>,
}

/// When a post was published, as its current version says, for the copy analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostDate {
    /// Archive id of the post.
    pub post_id: i64,
    /// Its channel.
    pub channel_id: i64,
    /// Observed date (RFC 3339 UTC).
    pub date: Option<String>,
    /// Inferred date, as stored, when there is no observed one.
    pub date_inferred: Option<String>,
    /// Telegram's message id, when known.
    pub message_id: Option<i64>,
    /// When the current version is a forward: the source's channel (archive id), when the
    /// archive knows it by a name...
    pub forward_channel_id: Option<i64>,
    /// ...and the source post's message id, when known.
    pub forward_message_id: Option<i64>,
}

/// A post's current text, for the copy analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostText {
    /// Archive id of the post.
    pub post_id: i64,
    /// Its channel.
    pub channel_id: i64,
    /// Clean text of its current version.
    pub text: String,
}

/// A page of one channel's current texts, as the copy analysis walks the archive: a channel's
/// posts in post order, handed over a page at a time (a page holds about
/// [`ChannelTexts::PAGE_TEXT_BYTES`] of text, or the rest of the channel), the last page of a
/// channel saying so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelTexts {
    /// The posts, all of one channel, in post order.
    pub posts: Vec<PostText>,
    /// Whether the channel's posts end with this page.
    pub channel_ends: bool,
}

impl ChannelTexts {
    /// The text a page holds before it is handed over, about (a page ends after the post that
    /// reaches it).
    pub const PAGE_TEXT_BYTES: usize = 16 << 20;
}

/// Gathers walked posts (in channel and post order) into [`ChannelTexts`] pages: hands a page
/// over when the next post is of another channel (the channel ends) or when its text reached
/// [`ChannelTexts::PAGE_TEXT_BYTES`]; [`ChannelPager::finish`] hands over the last one.
#[derive(Debug, Default)]
pub struct ChannelPager {
    page: ChannelTexts,
    bytes: usize,
}

impl ChannelPager {
    /// Takes the next post, handing `f` the page under way first when it is complete.
    pub fn push(
        &mut self,
        post: PostText,
        f: &mut dyn FnMut(ChannelTexts) -> std::ops::ControlFlow<()>,
    ) -> std::ops::ControlFlow<()> {
        if let Some(last) = self.page.posts.last() {
            let ends = last.channel_id != post.channel_id;
            if ends || self.bytes >= ChannelTexts::PAGE_TEXT_BYTES {
                self.bytes = 0;
                f(ChannelTexts {
                    posts: std::mem::take(&mut self.page.posts),
                    channel_ends: ends,
                })?;
            }
        }
        self.bytes += post.text.len();
        self.page.posts.push(post);
        std::ops::ControlFlow::Continue(())
    }

    /// Hands over the last page, when there is one.
    pub fn finish(self, f: &mut dyn FnMut(ChannelTexts) -> std::ops::ControlFlow<()>) {
        if !self.page.posts.is_empty() {
            let _ = f(ChannelTexts {
                posts: self.page.posts,
                channel_ends: true,
            });
        }
    }
}

/// The end of a window of marks ([`crate::backend::FeedReads::window_end`]), given the next
/// versions after the window's start as `(mark, text size)` in mark order (at most
/// `max_versions` of them): the mark of the last version that keeps the texts within
/// `text_bytes` (the first is always taken), or `up_to` when they all fit and fewer than
/// `max_versions` were left.
pub fn window_end(sizes: &[(i64, i64)], up_to: i64, text_bytes: u64, max_versions: u32) -> i64 {
    let mut held: u64 = 0;
    for (i, &(_, size)) in sizes.iter().enumerate() {
        held = held.saturating_add(u64::try_from(size).unwrap_or(0));
        if held > text_bytes && i > 0 {
            return sizes[i - 1].0;
        }
    }
    match sizes.last() {
        Some(&(mark, _)) if sizes.len() >= max_versions as usize => mark,
        _ => up_to,
    }
}

#[cfg(test)]
mod tests {
    use super::window_end;

    #[test]
    fn a_window_ends_where_its_texts_reach_the_budget() {
        let sizes = [(11, 40), (12, 40), (15, 40), (16, 40)];
        // 100 bytes: the first two versions (80), not the third (120).
        assert_eq!(window_end(&sizes, 20, 100, 100), 12);
        // Exactly at the budget: taken.
        assert_eq!(window_end(&sizes, 20, 120, 100), 15);
        // All fit, and fewer than the limit were left: up to the end asked for.
        assert_eq!(window_end(&sizes, 20, 1_000, 100), 20);
        // The first version alone is over the budget: the window still holds it.
        assert_eq!(window_end(&[(11, 500), (12, 1)], 20, 100, 100), 11);
        // Nothing after the start: up to the end.
        assert_eq!(window_end(&[], 20, 100, 100), 20);
    }

    #[test]
    fn a_window_holds_at_most_its_versions() {
        let sizes = [(11, 1), (12, 1), (13, 1)];
        // The backend read at most three versions: the window ends at the third, though the
        // archive goes further.
        assert_eq!(window_end(&sizes, 20, 1_000, 3), 13);
        assert_eq!(window_end(&sizes, 13, 1_000, 3), 13);
    }
}
