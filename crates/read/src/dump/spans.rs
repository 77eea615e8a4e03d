//! Clean text from a dump's text and its formatting marks, with each mark's span moved onto it.
//!
//! A message's text is cleaned with [`normalize::clean_text`] (line endings, invisible
//! characters, trailing spaces, blank lines, NFC), which moves text around; marks found on the
//! text before cleaning are carried over by aligning the two texts char by char.

use std::sync::LazyLock;

use regex::Regex;
use tgscope_model::{CapturedPost, Entity, Link, Span};
use tgscope_text::{extract, normalize};

/// A formatting mark over a text before cleaning (byte offsets into it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mark {
    /// The entity type as the Desktop export names it (`bold`, `text_link`, `mention_name`).
    pub kind: String,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// Attributes (`href`, `user_id`, `document_id`, `language`, `collapsed`).
    pub attrs: Vec<(String, String)>,
}

/// A combining mark (which NFC may fold into the char before it).
static COMBINING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\p{M}$").expect("combining mark pattern compiles"));

fn is_combining(c: char) -> bool {
    let mut buf = [0u8; 4];
    COMBINING.is_match(c.encode_utf8(&mut buf))
}

/// The clean form of a text and, for every byte offset of the text, the offset it lands on in
/// the clean form.
#[derive(Debug)]
pub(crate) struct Cleaned {
    /// The clean text ([`normalize::clean_text`]).
    pub text: String,
    map: Vec<usize>,
}

impl Cleaned {
    /// Cleans `plain` and aligns it with its clean form.
    pub fn new(plain: &str) -> Cleaned {
        let text = normalize::clean_text(plain);
        let mut map = vec![0usize; plain.len() + 1];
        let mut j = 0usize;
        let mut chars = plain.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if let Some(slots) = map.get_mut(i..i + c.len_utf8()) {
                slots.fill(j);
            }
            // What clean_text makes of the char before NFC and line trimming.
            if c == '\r' && chars.peek().is_some_and(|&(_, n)| n == '\n') {
                continue;
            }
            let Some(mapped) = normalize::clean_char(c) else {
                continue;
            };
            let next = text.get(j..).and_then(|r| r.chars().next());
            if next == Some(mapped) {
                j += mapped.len_utf8();
            } else if mapped.is_whitespace() || is_combining(mapped) {
                // Trimmed whitespace, a dropped blank line, or a mark NFC composed away.
            } else if let Some(n) = next {
                // NFC replaced this char (and perhaps the marks after it) by another.
                j += n.len_utf8();
            }
        }
        if let Some(last) = map.last_mut() {
            *last = j.min(text.len());
        }
        Cleaned { text, map }
    }

    /// Where `[start, end)` of the text before cleaning lies in the clean text, without
    /// whitespace at its ends; `None` when it holds nothing there but whitespace.
    pub fn span(&self, start: usize, end: usize) -> Option<Span> {
        let s = *self.map.get(start)?;
        let e = *self.map.get(end)?;
        let covered = self.text.get(s..e)?;
        let trimmed = covered.trim_start();
        let s = s + (covered.len() - trimmed.len());
        let e = s + trimmed.trim_end().len();
        (e > s).then_some(Span { start: s, end: e })
    }
}

/// Byte offsets of a text from the UTF-16 offsets Telegram's entities use.
pub(crate) struct Utf16Index {
    /// UTF-16 offset of each char's start, and that char's byte offset.
    starts: Vec<(usize, usize)>,
    len: usize,
}

impl Utf16Index {
    /// The index of `text`.
    pub fn new(text: &str) -> Utf16Index {
        let mut units = 0usize;
        let starts = text
            .char_indices()
            .map(|(b, c)| {
                let at = (units, b);
                units += c.len_utf16();
                at
            })
            .collect();
        Utf16Index {
            starts,
            len: text.len(),
        }
    }

    /// The byte offset of UTF-16 offset `units` (inside a surrogate pair: the char after it;
    /// past the end: the end).
    pub fn byte(&self, units: usize) -> usize {
        let k = self.starts.partition_point(|&(u, _)| u < units);
        self.starts.get(k).map_or(self.len, |&(_, b)| b)
    }
}

/// Sets the clean text, entities, links, hashtags, mentions and countries of `post` from a text
/// before cleaning and its marks.
pub(crate) fn finish_text(post: &mut CapturedPost, plain: &str, marks: Vec<Mark>) {
    let cleaned = Cleaned::new(plain);
    let mut links: Vec<Link> = Vec::new();
    let mut entities = Vec::new();
    for mark in marks {
        let Some(span) = cleaned.span(mark.start, mark.end) else {
            continue;
        };
        let label = cleaned
            .text
            .get(span.start..span.end)
            .unwrap_or_default()
            .to_string();
        match mark.kind.as_str() {
            "text_link" => links.push(Link {
                url: mark
                    .attrs
                    .iter()
                    .find(|(k, _)| k == "href")
                    .map(|(_, v)| v.clone()),
                label,
                span: Some(span),
            }),
            "link" => links.push(Link {
                url: Some(if label.contains("://") {
                    label.clone()
                } else {
                    format!("https://{label}")
                }),
                label,
                span: Some(span),
            }),
            _ => {}
        }
        entities.push(Entity {
            kind: mark.kind,
            span,
            attrs: mark.attrs,
        });
    }
    entities.sort_by(|a, b| {
        a.span
            .start
            .cmp(&b.span.start)
            .then(b.span.end.cmp(&a.span.end))
    });
    let found = extract::all(&cleaned.text);
    // Links the dump marks win; URLs written out in the text are links too.
    for url in found.links {
        let overlaps = links.iter().any(|l| {
            l.span
                .zip(url.span)
                .is_some_and(|(a, b)| a.start < b.end && b.start < a.end)
        });
        if !overlaps {
            links.push(url);
        }
    }
    links.sort_by_key(|l| l.span.map(|s| s.start));
    post.hashtags = found.hashtags;
    post.mentions = found.mentions;
    post.countries = found.countries;
    post.links = links;
    post.entities = entities;
    post.text = cleaned.text;
}
