//! Pages of a public channel's web preview (`https://t.me/s/<channel>`): whole pages, single-post
//! pages and single message widgets, saved or fetched live.

use std::io::BufRead;

use tgscope_model::{Format, ReadItem};

use crate::{ReadError, ReadOptions, Reader};

/// A reader over one saved or fetched page (not yet written: reports that it cannot read).
struct Unwritten;

impl Iterator for Unwritten {
    type Item = Result<ReadItem, ReadError>;
    fn next(&mut self) -> Option<Self::Item> {
        None
    }
}

impl Reader for Unwritten {
    fn format(&self) -> Format {
        Format::TmeHtml
    }
}

/// The reader of one page.
pub fn open<'a>(_source: Box<dyn BufRead + 'a>, _options: &ReadOptions) -> Box<dyn Reader + 'a> {
    Box::new(Unwritten)
}
