//! Readers: turn a capture's bytes into a stream of
//! [`CapturedPost`](tgscope_model::CapturedPost)s, one module per format behind the [`Reader`]
//! trait, plus format detection by content.
//!
//! Place in the pipeline: after the engine has hashed and kept a capture's raw bytes and before
//! reconciliation into the archive. Readers stream: they hold at most a bounded window of the
//! input, never the whole capture.
//!
//! Main items:
//! - [`detect::ContentScan`] and [`detect::detect`]: one pass over the bytes that checks encoding,
//!   binary data and line lengths, then names the format or says why it cannot be read.
//! - [`open`]: a [`Reader`] for a format over any [`BufRead`].
//! - [`desktop_json::DesktopJsonReader`]: Telegram Desktop JSON exports (a chat or a whole
//!   account), streamed over a window of blocks.
//! - [`desktop_html::DesktopHtmlReader`]: one page of a Desktop HTML export, with the `Carry`
//!   the next page needs.
//! - [`dump::DumpReader`]: JSON and JSON Lines message dumps of scraping scripts, their fields
//!   found or mapped ([`dump::FieldMap`]).
//! - [`text::TextReader`]: plain-text captures (web-view copies and Telegram Desktop copies).
//! - [`nesting::check`]: the nesting budget every HTML page must fit before it is parsed (the
//!   parser's time grows with size times depth).
//! - [`tme::TmeReader`]: pages of t.me's web preview (`t.me/s/<channel>`, single-post widgets),
//!   saved or fetched, and when a page says it was made ([`Reader::made_at`]).
//!
//! What it does not do: identity, versions and storage (the engine and the store), or generic
//! text work like extraction and date recognition (`tgscope-text`, which readers call).
//! Readers never panic on input: every problem is a [`ReadError`] naming the place.

pub mod desktop_html;
pub mod desktop_json;
pub mod detect;
pub mod dump;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod nesting;
pub mod text;
pub mod tme;

use std::io::BufRead;

use tgscope_model::{CaptureTime, ChannelInfo, ChannelRef, Format, ReadItem};

pub use error::{DetectError, ReadError};
pub use text::TextOptions;

/// A stream of posts, service events and warnings read from one capture, in capture order.
pub trait Reader: Iterator<Item = Result<ReadItem, ReadError>> {
    /// The format being read.
    fn format(&self) -> Format;
    /// The channel the capture names for itself, when it names one (a plain-text capture does
    /// not: the user or the file name does).
    fn channel(&self) -> Option<ChannelRef> {
        None
    }
    /// What the capture shows about its channel beyond the name (a web preview page's header),
    /// once read (readers may learn it only after the posts).
    fn channel_info(&self) -> Option<ChannelInfo> {
        None
    }
    /// For a page of a Desktop HTML export: the state to pass to the reader of the next page.
    fn carry(&self) -> Option<desktop_html::Carry> {
        None
    }
    /// When the capture says it was made (a saved t.me page's own time), with what says so
    /// (basis [`tgscope_model::CaptureTimeBasis::File`]); `None` when it does not say.
    fn made_at(&self) -> Option<CaptureTime> {
        None
    }
}

/// The reader of one Desktop HTML page, with its chat filled in on every post and event.
struct HtmlPage {
    reader: desktop_html::DesktopHtmlReader,
    channel: Option<ChannelRef>,
}

impl Iterator for HtmlPage {
    type Item = Result<ReadItem, ReadError>;
    fn next(&mut self) -> Option<Self::Item> {
        let item = self.reader.next()?;
        Some(item.map(|item| match item {
            ReadItem::Post(mut post) => {
                if post.channel.is_none() {
                    post.channel = self.channel.clone();
                }
                ReadItem::Post(post)
            }
            ReadItem::Event(mut event) => {
                if event.channel.is_none() {
                    event.channel = self.channel.clone();
                }
                ReadItem::Event(event)
            }
            other => other,
        }))
    }
}

impl Reader for HtmlPage {
    fn format(&self) -> Format {
        Format::DesktopHtml
    }
    fn channel(&self) -> Option<ChannelRef> {
        self.channel.clone()
    }
    fn carry(&self) -> Option<desktop_html::Carry> {
        Some(self.reader.carry())
    }
}

impl<I: Iterator<Item = Result<ReadItem, ReadError>>> Reader for ReadItems<I> {
    fn format(&self) -> Format {
        self.format
    }
}

/// Any iterator of read items, as a [`Reader`] of a format.
pub struct ReadItems<I> {
    format: Format,
    items: I,
}

impl<I: Iterator<Item = Result<ReadItem, ReadError>>> Iterator for ReadItems<I> {
    type Item = Result<ReadItem, ReadError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.items.next()
    }
}

/// Options of every reader.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Options of the plain-text reader.
    pub text: TextOptions,
    /// Options of the Desktop JSON reader.
    pub json: desktop_json::JsonOptions,
    /// Options of the Desktop HTML reader (with the state carried from the previous page).
    pub html: desktop_html::HtmlOptions,
    /// Options of the message dump reader (which fields hold what).
    pub dump: dump::DumpOptions,
    /// The capture's file name, for readers that name their pages (`messages2.html`).
    pub source_name: String,
}

/// A reader of `format` over `source`.
pub fn open<'a>(
    format: Format,
    source: Box<dyn BufRead + Send + 'a>,
    options: &ReadOptions,
) -> Box<dyn Reader + Send + 'a> {
    match format {
        Format::Text => Box::new(ReadItems {
            format,
            items: text::TextReader::new(source, options.text.clone())
                .map(|post| post.map(|p| ReadItem::Post(Box::new(p)))),
        }),
        Format::DesktopJson => Box::new(ReadItems {
            format,
            items: desktop_json::DesktopJsonReader::new(source, options.json.clone()),
        }),
        Format::DesktopHtml => {
            // A page holds at most 1,000 messages: it is read whole, up to a bound.
            let mut page = Vec::new();
            let limit = desktop_html::MAX_PAGE_BYTES as u64 + 1;
            if let Err(source) =
                std::io::Read::read_to_end(&mut std::io::Read::take(source, limit), &mut page)
            {
                return Box::new(ReadItems {
                    format,
                    items: std::iter::once(Err(ReadError::Io { line: 0, source })),
                });
            }
            let reader = desktop_html::DesktopHtmlReader::new(
                &page,
                &options.source_name,
                options.html.clone(),
            );
            let channel = reader.channel();
            Box::new(HtmlPage { reader, channel })
        }
        Format::Dump => Box::new(ReadItems {
            format,
            items: dump::DumpReader::new(source, options.dump.clone()),
        }),
        Format::TmeHtml => tme::open(source, options),
    }
}

/// The version of the reader of `format`, recorded with every capture so that a post can be
/// traced to the code that read it. Bump it when a reader's output changes.
pub fn reader_version(format: Format) -> &'static str {
    match format {
        Format::Text => "text/2",
        Format::DesktopJson => "desktop-json/3",
        Format::DesktopHtml => "desktop-html/3",
        Format::Dump => "dump/4",
        Format::TmeHtml => "tme-html/3",
    }
}
