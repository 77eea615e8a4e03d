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
