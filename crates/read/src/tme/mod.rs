//! Pages of a public channel's web preview (`https://t.me/s/<channel>`): whole pages, single-post
//! pages and single message widgets (`t.me/<channel>/<id>?embed=1`), saved or fetched live.
//!
//! A page holds about 20 posts and is read whole, up to [`MAX_PAGE_BYTES`]; its tree is dropped
//! before the first item is handed out.
//!
//! Facts of the markup this reader relies on (from real pages and the scrapers that read them):
//! - a message is `div.tgme_widget_message[data-post="<channel>/<id>"]` (an old single-message
//!   widget has no `data-post`: its date link `https://t.me/<channel>/<id>` names it); a
//!   service message also has the class `service_message`; day separators
//!   (`.tgme_widget_message_service_date`) sit outside messages and are not read;
//! - the body is the bubble's own `.tgme_widget_message_text`; a reply quote
//!   (`.tgme_widget_message_reply`) holds one of its own, which is never the body; a
//!   re-indented page may nest the body's text element in another, or the body in a
//!   `.media_supported_cont` with the media;
//! - `.media_not_supported_cont` is the hidden fallback of a post the browser can show ("Please
//!   open Telegram to view this post"): it is skipped; a `.message_media_not_supported` block
//!   elsewhere is the post's placeholder;
//! - the footer holds the abbreviated view count ("214.4K"), the literal "edited", the
//!   signature (`.tgme_widget_message_from_author`) and `time[datetime]` in UTC with its offset.
//!
//! When the page says it was made (the time Telegram served it, in its view tokens, or a saver's
//! `saved date:`), [`TmeReader::made_at`] gives it: the engine records it as the capture's time.
//!
//! Albums are read as their members: one media item per photo or video, each marked
//! `album` = `true` with its own message id (`message_id`, from its `?single` link); no
//! separate album item is made.

mod address;
mod body;
mod counts;
mod header;
mod media;
mod message;
mod saved;
mod service;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::io::BufRead;

use scraper::Html;
use tgscope_model::{CaptureTime, CapturedPost, ChannelInfo, ChannelRef, Format, ReadItem};

use crate::desktop_html::offsets::Offsets;
use crate::desktop_html::rich::{flat_text, has_class};
use crate::{ReadError, ReadOptions, Reader};
use header::{PageHeader, first_with_class, read_header};
use message::{ElementOffsets, Lines, PageState, collect, fill_post, read_message};

pub use counts::parse_count;
pub use saved::page_made_at;

/// The largest page read (a page of 20 posts is tens of kilobytes; a page saved by a browser
/// with its images inlined may be a few megabytes).
pub const MAX_PAGE_BYTES: usize = 64 << 20;

/// True when the start of a file looks like a page of t.me's web preview: a message widget or
/// the channel header, or (for a saved page whose `<head>` fills the start) Telegram's widget
/// styles or site name together with a t.me address.
pub fn looks_like_page(head: &str) -> bool {
    let start = head.trim_start_matches('\u{feff}').trim_start();
    if !start.starts_with('<') {
        return false;
    }
    if head.contains("tgme_widget_message") || head.contains("tgme_channel_info") {
        return true;
    }
    let telegram = head.contains("telegram.org/css/widget-frame.css")
        || head.contains("telegram.org/js/widget-frame.js")
        || head.contains("property=\"og:site_name\" content=\"Telegram\"");
    let address = head.contains("tg://resolve?domain=")
        || head.contains("://t.me/")
        || head.contains("href=\"/s/");
    telegram && address
}

/// Reads one page of the web preview.
#[derive(Debug)]
pub struct TmeReader {
    items: VecDeque<Result<ReadItem, ReadError>>,
    channel: Option<ChannelRef>,
    info: Option<ChannelInfo>,
    made_at: Option<CaptureTime>,
}

impl TmeReader {
    /// Reads a page from its bytes. `source_name` (the file's name, may be empty) prefixes the
    /// warnings about the page as a whole.
    pub fn new(page: &[u8], source_name: &str) -> TmeReader {
        let mut reader = TmeReader {
            items: VecDeque::new(),
            channel: None,
            info: None,
            made_at: None,
        };
        let prefix = if source_name.is_empty() {
            "the page".to_string()
        } else {
            source_name.to_string()
        };
        if page.len() > MAX_PAGE_BYTES {
            reader.items.push_back(Err(ReadError::Malformed {
                byte: MAX_PAGE_BYTES as u64,
                reason: format!(
                    "{prefix}: a page of {} bytes is larger than any t.me page \
                     ({MAX_PAGE_BYTES} bytes at most are read)",
                    page.len()
                ),
            }));
            return reader;
        }
        let (text, warning) = crate::desktop_html::offsets::page_text(page, &prefix);
        if let Some(w) = warning {
            reader.items.push_back(Ok(ReadItem::Warning(w)));
        }
        reader.made_at = page_made_at(&text);
        let offsets = ElementOffsets {
            by_post: Offsets::scan_attr(page, "data-post", ""),
            by_id: Offsets::scan_attr(page, "id", "widget_message"),
        };
        reader.read(&text, offsets, Lines::scan(page), &prefix);
        // A whole page (not a widget's fragment) ends with `</html>`, or was cut short.
        let opening: String = text.chars().take(4096).collect::<String>().to_lowercase();
        if opening.contains("<html") && !(text.contains("</html>") || text.contains("</HTML>")) {
            reader.items.push_back(Ok(ReadItem::Warning(format!(
                "{prefix}: the page does not end with </html>: it may be truncated, and its \
                 last post incomplete"
            ))));
        }
        reader
    }

    /// The page's channel (username and title).
    pub fn channel(&self) -> Option<ChannelRef> {
        self.channel.clone()
    }

    /// What the page shows about its channel (title, username, description, subscribers).
    pub fn channel_info(&self) -> Option<ChannelInfo> {
        self.info.clone()
    }

    /// When the page says it was made (see [`page_made_at`]).
    pub fn made_at(&self) -> Option<CaptureTime> {
        self.made_at.clone()
    }

    /// Reads the page's tree: its channel, then its messages in page order.
    fn read(&mut self, text: &str, offsets: ElementOffsets, lines: Lines, prefix: &str) {
        if let Err(deep) = crate::nesting::check(text) {
            self.items.push_back(Err(ReadError::TooDeep(deep)));
            return;
        }
        let doc = Html::parse_document(text);
        let root = doc.root_element();
        let messages: Vec<_> = root
            .descendent_elements()
            .filter(|e| has_class(e.value(), "tgme_widget_message"))
            .collect();
        let history = first_with_class(root, "tgme_channel_history").is_some()
            || first_with_class(root, "tgme_channel_info").is_some()
            || root.descendent_elements().any(|e| {
                e.value().name() == "link"
                    && e.value().attr("rel") == Some("canonical")
                    && e.value().attr("href").is_some_and(|h| h.contains("/s/"))
            });
        let header = read_header(&doc, history);
        let channel = page_channel(&header, &messages);
        if channel.username.is_some() || channel.title.is_some() {
            self.channel = Some(channel.clone());
            self.info = Some(ChannelInfo {
                channel: channel.clone(),
                description: header.description.clone(),
                subscribers: header.subscribers,
            });
        }
        if messages.is_empty() {
            self.read_without_messages(root, &channel, &header, prefix);
            return;
        }
        let mut state = PageState {
            channel: &channel,
            offsets,
            lines,
            items: &mut self.items,
            ordinal: 0,
        };
        for el in messages {
            read_message(el, &mut state);
        }
    }

    /// A page without message elements: a fragment of one (a media widget saved alone) is read
    /// as a post named by its media link; a channel page without posts gives a warning; anything
    /// else is not a page of the web preview.
    fn read_without_messages(
        &mut self,
        root: scraper::ElementRef<'_>,
        channel: &ChannelRef,
        header: &PageHeader,
        prefix: &str,
    ) {
        let parts = collect(root);
        if !parts.media.is_empty() {
            let link = parts.media_link.clone().unwrap_or_default();
            let username = link.username.clone();
            let mut post = CapturedPost {
                channel: username.as_ref().map(|u| ChannelRef {
                    username: Some(u.clone()),
                    ..ChannelRef::default()
                }),
                message_id: link.message_id,
                location: tgscope_model::Location {
                    locator: Some("fragment".to_string()),
                    ..tgscope_model::Location::default()
                },
                ..CapturedPost::default()
            };
            fill_post(&mut post, parts, username.as_deref());
            self.items.push_back(Ok(ReadItem::Warning(format!(
                "{prefix}: no message element, only media widgets: read as one post{}",
                match (&username, link.message_id) {
                    (Some(u), Some(id)) => format!(" ({u}/{id}, from the media's link)"),
                    _ => " without an id".to_string(),
                }
            ))));
            self.items.push_back(Ok(ReadItem::Post(Box::new(post))));
            return;
        }
        if channel.username.is_some() || header.title.is_some() {
            self.items.push_back(Ok(ReadItem::Warning(format!(
                "{prefix}: the page shows no posts"
            ))));
            return;
        }
        self.items.push_back(Err(ReadError::Malformed {
            byte: 0,
            reason: format!(
                "{prefix}: not a page of t.me's web preview (no tgme_widget_message element)"
            ),
        }));
    }
}

/// The page's channel: username and title from the header (or the page's meta tags), else
/// the first post's `data-post` and the name its author line gives.
fn page_channel(header: &PageHeader, messages: &[scraper::ElementRef<'_>]) -> ChannelRef {
    // A post's `data-post`, else the channel its author line or its date link points to.
    let linked = |m: &scraper::ElementRef<'_>, class: &str| {
        first_with_class(*m, class)
            .and_then(|a| a.value().attr("href"))
            .and_then(address::parse_tme_link)
            .and_then(|l| l.username)
    };
    let username = header.username.clone().or_else(|| {
        messages.iter().find_map(|m| {
            m.value()
                .attr("data-post")
                .and_then(address::parse_data_post)
                .map(|(u, _)| u)
                .or_else(|| linked(m, "tgme_widget_message_owner_name"))
                .or_else(|| linked(m, "tgme_widget_message_date"))
        })
    });
    let title = header.title.clone().or_else(|| {
        messages.iter().find_map(|m| {
            let owner = first_with_class(*m, "tgme_widget_message_owner_name")?;
            let named = owner
                .value()
                .attr("href")
                .and_then(address::parse_tme_link)
                .and_then(|l| l.username);
            let same = match (&named, &username) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => true,
            };
            same.then(|| flat_text(owner, |_| false))
                .filter(|t| !t.is_empty())
        })
    });
    ChannelRef {
        username,
        title,
        ..ChannelRef::default()
    }
}

impl Iterator for TmeReader {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.items.pop_front()
    }
}

impl Reader for TmeReader {
    fn format(&self) -> Format {
        Format::TmeHtml
    }
    fn channel(&self) -> Option<ChannelRef> {
        self.channel.clone()
    }
    fn channel_info(&self) -> Option<ChannelInfo> {
        self.info.clone()
    }
    fn made_at(&self) -> Option<CaptureTime> {
        self.made_at.clone()
    }
}

/// The reader of one page: reads it whole, up to [`MAX_PAGE_BYTES`] (and one byte more, to
/// tell a page over the bound).
pub fn open<'a>(
    source: Box<dyn BufRead + Send + 'a>,
    options: &ReadOptions,
) -> Box<dyn Reader + Send + 'a> {
    let mut page = Vec::new();
    let limit = MAX_PAGE_BYTES as u64 + 1;
    if let Err(source) =
        std::io::Read::read_to_end(&mut std::io::Read::take(source, limit), &mut page)
    {
        return Box::new(TmeReader {
            items: VecDeque::from([Err(ReadError::Io { line: 0, source })]),
            channel: None,
            info: None,
            made_at: None,
        });
    }
    Box::new(TmeReader::new(&page, &options.source_name))
}
