//! Filters as users write them, and the one place where the names in them become channels.
//!
//! Every front end (the command line's `--channel`, `--from` and `--tag`, the API's filters,
//! the search query language's `channel:` and `from:`) names channels the same way, and this
//! module resolves them all with
//! [`BrowseReads::channels_named`](tgscope_archive::backend::BrowseReads::channels_named) over
//! the keys of `tgscope_text::names`: an archive id, a username or title (any case, `@` or a
//! `t.me` link), or the same name in letters and digits. A name that fits no channel is "not found"; a name
//! that fits several is an error that lists them, never a silent union of their posts.

use tgscope_archive::{ChannelInfo, PostCount, PostQuery};

use crate::error::{EngineError, Result};
use crate::{Engine, PostRecord};

/// Which posts to list, as a user writes it (names, not ids).
#[derive(Debug, Clone, Default)]
pub struct PostFilter {
    /// The channel: archive id, username, title or `t.me` link.
    pub channel: Option<String>,
    /// The forward source: archive id, username, title or `t.me` link.
    pub forwarded_from: Option<String>,
    /// Hashtag, with or without `#` (any case, `ё` as `е`).
    pub hashtag: Option<String>,
    /// First day (`YYYY-MM-DD`, inclusive) of the post's date (observed, else inferred).
    pub since: Option<String>,
    /// Last day (inclusive).
    pub until: Option<String>,
    /// At most this many posts (`None`: every match).
    pub limit: Option<u64>,
    /// Skip this many posts first.
    pub offset: u64,
}

impl PostFilter {
    /// Whether the filter has a date range (which leaves undated posts out).
    pub fn has_date_range(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }
}

/// What a name in a filter stands for: the post's own channel, or a forward's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelRole {
    /// The channel that published the post (`--channel`, `channel:`).
    Channel,
    /// The channel a forward came from (`--from`, `from:`).
    ForwardSource,
}

impl ChannelRole {
    /// How messages name the role.
    pub fn noun(self) -> &'static str {
        match self {
            ChannelRole::Channel => "channel",
            ChannelRole::ForwardSource => "forward source",
        }
    }
}

impl From<tgscope_index::ChannelRole> for ChannelRole {
    fn from(role: tgscope_index::ChannelRole) -> ChannelRole {
        match role {
            tgscope_index::ChannelRole::Channel => ChannelRole::Channel,
            tgscope_index::ChannelRole::From => ChannelRole::ForwardSource,
        }
    }
}

/// One page of posts, with how many there are in all.
#[derive(Debug, Clone)]
pub struct PostsPage {
    /// The posts of the page, in archive order.
    pub posts: Vec<PostRecord>,
    /// How many posts the filter matches (limit and offset aside), and the undated ones its
    /// date range leaves out.
    pub count: PostCount,
    /// The offset of the page's first post.
    pub offset: u64,
}

impl PostsPage {
    /// How many matching posts come after this page.
    pub fn remaining(&self) -> u64 {
        self.count
            .matching
            .saturating_sub(self.offset.saturating_add(self.posts.len() as u64))
    }
}

/// The text of a channel for lists in messages: `12 (@mfarussia, "Russian MFA")`.
pub fn describe_channel(c: &ChannelInfo) -> String {
    let mut names = Vec::new();
    if let Some(u) = &c.username {
        names.push(format!("@{u}"));
    }
    if let Some(t) = &c.title {
        names.push(format!("{t:?}"));
    }
    if names.is_empty() {
        format!("{}", c.id)
    } else {
        format!("{} ({})", c.id, names.join(", "))
    }
}

impl Engine {
    /// The archive id of the one channel `name` names in `role`: an error that says so when
    /// no channel has that name, and an error listing them when several have it.
    pub fn resolve_channel(&self, name: &str, role: ChannelRole) -> Result<i64> {
        let mut found = self.store.channels_named(name)?;
        match found.len() {
            0 => Err(EngineError::NoSuchChannel {
                name: name.trim().to_owned(),
                role,
            }),
            1 => Ok(found.remove(0).id),
            _ => Err(EngineError::AmbiguousChannel {
                name: name.trim().to_owned(),
                role,
                candidates: found,
            }),
        }
    }

    /// A user's filter as the archive runs it: dates checked, names resolved to channels.
    pub(crate) fn post_query(&self, filter: &PostFilter) -> Result<PostQuery> {
        let (since, until) = check_dates(filter)?;
        let channel_id = match &filter.channel {
            Some(name) => Some(self.resolve_channel(name, ChannelRole::Channel)?),
            None => None,
        };
        let forwarded_from_id = match &filter.forwarded_from {
            Some(name) => Some(self.resolve_channel(name, ChannelRole::ForwardSource)?),
            None => None,
        };
        Ok(PostQuery {
            channel_id,
            forwarded_from_id,
            tag_key: filter.hashtag.as_deref().map(tgscope_text::names::tag_key),
            since,
            until,
            limit: filter.limit,
            offset: filter.offset,
        })
    }

    /// Posts matching a filter, in archive order, with how many match in all.
    pub fn posts_page(&self, filter: &PostFilter) -> Result<PostsPage> {
        let query = self.post_query(filter)?;
        let count = self.store.count_posts(&query)?;
        let posts = self.store.posts(&query)?;
        Ok(PostsPage {
            posts,
            count,
            offset: filter.offset,
        })
    }

    /// How many posts a filter matches (its limit and offset aside), and how many undated ones
    /// its date range leaves out.
    pub fn count_posts(&self, filter: &PostFilter) -> Result<PostCount> {
        let query = self.post_query(filter)?;
        Ok(self.store.count_posts(&query)?)
    }
}

/// Checks a filter's dates and writes them as `YYYY-MM-DD` (the archive compares them as
/// text).
fn check_dates(filter: &PostFilter) -> Result<(Option<String>, Option<String>)> {
    // The message names the filter by its name, which every front end uses (`--since`,
    // `since=`).
    let check = |name: &str, value: &Option<String>| -> Result<Option<String>> {
        match value {
            None => Ok(None),
            Some(v) => match chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d") {
                Ok(date) => Ok(Some(date.format("%Y-%m-%d").to_string())),
                Err(_) => Err(EngineError::BadRequest(format!(
                    "{name} {v:?} is not a date; write YYYY-MM-DD"
                ))),
            },
        }
    };
    Ok((
        check("since", &filter.since)?,
        check("until", &filter.until)?,
    ))
}
