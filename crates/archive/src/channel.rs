//! Channels as posts name them, with their counts, and the counts of what their posts carry
//! (hashtags, forward sources).

use serde::Serialize;

/// A channel as posts name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelInfo {
    /// Archive id.
    pub id: i64,
    /// Telegram's numeric id, when known.
    pub tg_id: Option<i64>,
    /// Username, when known.
    pub username: Option<String>,
    /// Title, when known.
    pub title: Option<String>,
    /// The chat's kind (`public_channel`, ...), when a capture said.
    pub kind: Option<String>,
}

impl ChannelInfo {
    /// The best name to show.
    pub fn name(&self) -> String {
        self.username
            .clone()
            .or_else(|| self.title.clone())
            .unwrap_or_else(|| format!("#{}", self.id))
    }
}

/// A channel with counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelSummary {
    /// The channel.
    pub channel: ChannelInfo,
    /// Every name it is known by.
    pub aliases: Vec<String>,
    /// Posts archived for it.
    pub posts: u64,
    /// Of which forwards.
    pub forwards: u64,
    /// Posts of other channels forwarded from it.
    pub forwarded_by_others: u64,
    /// Earliest post date (observed or inferred).
    pub first_date: Option<String>,
    /// Latest post date.
    pub last_date: Option<String>,
}

/// A hashtag with the number of posts (current versions) using it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagCount {
    /// The hashtag without `#`, as first written in the archive.
    pub tag: String,
    /// Its key (`tgscope_text::names::tag_key`: what `#X`, `#x` and `#Ё`/`#Е` share).
    pub key: String,
    /// Posts using it.
    pub posts: u64,
}

/// A forward source with the number of posts forwarded from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceCount {
    /// Archive id of the source channel, when the archive knows it as a channel.
    pub channel_id: Option<i64>,
    /// The best name to show (username, else title).
    pub name: String,
    /// Its username, when known.
    pub username: Option<String>,
    /// Its title, when known.
    pub title: Option<String>,
    /// Posts forwarded from it.
    pub posts: u64,
}

/// A channel with the number of its posts that use something (a hashtag).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelCount {
    /// The channel.
    pub channel: ChannelInfo,
    /// How many of its posts.
    pub posts: u64,
}
