//! The text of a message body: plain text with `<br>` as line breaks, formatting entities and links.

use std::ops::Deref;

use scraper::node::Element;
use scraper::{CaseSensitivity, ElementRef};
use tgscope_model::{CapturedPost, Entity, Link, Span, source_text};
use tgscope_text::{extract, normalize};

/// A node of the page's tree (the type `ElementRef` dereferences to).
pub type NodeRef<'a> = <ElementRef<'a> as Deref>::Target;

/// Visits the nodes under `root` (not `root` itself) in document order without recursion, so
/// that no nesting depth can overflow the stack. `enter` is called on the way in and says
/// whether to descend; `exit` is called on the way out of every node that was descended into.
pub fn walk<'a>(
    root: ElementRef<'a>,
    mut enter: impl FnMut(NodeRef<'a>) -> bool,
    mut exit: impl FnMut(NodeRef<'a>),
) {
    let top: NodeRef<'a> = *root;
    let mut next = top.first_child();
    while let Some(node) = next {
        if enter(node) {
            if let Some(child) = node.first_child() {
                next = Some(child);
                continue;
            }
            exit(node);
        }
        next = None;
        let mut cur = node;
        loop {
            if let Some(sibling) = cur.next_sibling() {
                next = Some(sibling);
                break;
            }
            match cur.parent() {
                Some(parent) if parent != top => {
                    exit(parent);
                    cur = parent;
                }
                _ => break,
            }
        }
    }
}

/// True when `el` has the class `class`.
pub fn has_class(el: &Element, class: &str) -> bool {
    el.has_class(class, CaseSensitivity::CaseSensitive)
}

/// The text under `root`, `<br>` as a line break, skipping elements for which `skip` is true.
pub fn plain_text(root: ElementRef<'_>, skip: impl Fn(&Element) -> bool) -> String {
    let mut out = String::new();
    walk(
        root,
        |node| match node.value() {
            scraper::Node::Text(t) => {
                out.push_str(t);
                false
            }
            scraper::Node::Element(el) => {
                if el.name() == "br" {
                    out.push('\n');
                    return false;
                }
                !skip(el)
            }
            _ => false,
        },
        |_| {},
    );
    out
}

/// The text under `root` with its runs of whitespace collapsed to one space, trimmed.
pub fn flat_text(root: ElementRef<'_>, skip: impl Fn(&Element) -> bool) -> String {
    plain_text(root, skip)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// An entity of the raw text, by byte offsets in [`Rich::raw`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The entity type (`bold`, `text_link`, ...).
    pub kind: String,
    /// First byte in the raw text.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// Extra attributes (`href`).
    pub attrs: Vec<(String, String)>,
    /// `Some(url)` when the entity is also a link.
    pub link: Option<String>,
}

/// The text of a `div.text` as the export holds it: `<br>` as `\n`, entities by raw offsets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rich {
    /// The text, layout whitespace included.
    pub raw: String,
    /// Its entities, in the order they open.
    pub marks: Vec<Mark>,
}

/// An element being read that may become an entity.
struct Open {
    kind: &'static str,
    start: usize,
    href: Option<String>,
    onclick: Option<String>,
    mark: usize,
}

/// The entity type of an element, `None` for elements that carry none.
fn kind_of(el: &Element) -> Option<&'static str> {
    Some(match el.name() {
        "strong" | "b" => "bold",
        "em" | "i" => "italic",
        "code" => "code",
        "pre" => "pre",
        "u" => "underline",
        "s" | "strike" | "del" => "strikethrough",
        "blockquote" => "blockquote",
        "a" => "a",
        "span" if has_class(el, "spoiler") => "spoiler",
        _ => return None,
    })
}

/// What [`rich`] builds while it walks.
#[derive(Default)]
struct Building {
    raw: String,
    marks: Vec<Mark>,
    open: Vec<Option<Open>>,
}

/// Reads the text and entities under `root`.
pub fn rich(root: ElementRef<'_>) -> Rich {
    // Both closures of the walk write to the same state.
    let state = std::cell::RefCell::new(Building::default());
    walk(
        root,
        |node| {
            let mut b = state.borrow_mut();
            match node.value() {
                scraper::Node::Text(t) => {
                    b.raw.push_str(t);
                    false
                }
                scraper::Node::Element(el) => {
                    if el.name() == "br" {
                        b.raw.push('\n');
                        return false;
                    }
                    let start = b.raw.len();
                    let frame = kind_of(el).map(|kind| {
                        // A placeholder keeps entities in the order they open.
                        b.marks.push(Mark {
                            kind: String::new(),
                            start,
                            end: start,
                            attrs: Vec::new(),
                            link: None,
                        });
                        Open {
                            kind,
                            start,
                            href: el.attr("href").map(str::to_string),
                            onclick: el.attr("onclick").map(str::to_string),
                            mark: b.marks.len() - 1,
                        }
                    });
                    b.open.push(frame);
                    true
                }
                _ => false,
            }
        },
        |node| {
            if !node.value().is_element() {
                return;
            }
            let mut b = state.borrow_mut();
            let Some(Some(frame)) = b.open.pop() else {
                return;
            };
            let end = b.raw.len();
            let mark = finish_mark(&frame, end, b.raw.get(frame.start..end).unwrap_or_default());
            if let Some(slot) = b.marks.get_mut(frame.mark) {
                *slot = mark;
            }
        },
    );
    let Building { raw, mut marks, .. } = state.into_inner();
    // Placeholders of elements never closed (a parsed tree closes them all) are dropped.
    marks.retain(|m| !m.kind.is_empty());
    Rich { raw, marks }
}

/// The entity an element makes, once its text is known.
fn finish_mark(frame: &Open, end: usize, text: &str) -> Mark {
    let mut mark = Mark {
        kind: frame.kind.to_string(),
        start: frame.start,
        end,
        attrs: Vec::new(),
        link: None,
    };
    if frame.kind != "a" {
        return mark;
    }
    let label = text.trim();
    let href = frame.href.clone().unwrap_or_default();
    let onclick = frame.onclick.as_deref().unwrap_or_default();
    let kind = if onclick.contains("ShowHashtag") {
        "hashtag"
    } else if onclick.contains("ShowCashtag") {
        "cashtag"
    } else if onclick.contains("ShowBotCommand") {
        "bot_command"
    } else if onclick.contains("ShowMentionName") {
        "mention_name"
    } else if onclick.contains("Emoji") {
        "custom_emoji"
    } else if let Some(rest) = href.strip_prefix("mailto:") {
        if rest == label { "email" } else { "text_link" }
    } else if let Some(rest) = href.strip_prefix("tel:") {
        if rest == label { "phone" } else { "text_link" }
    } else if label.starts_with('@')
        && label.len() > 1
        && href.ends_with(&format!("/{}", &label[1..]))
    {
        "mention"
    } else if href == label || href.trim() == label {
        "link"
    } else if is_custom_emoji_file(&href, label) {
        "custom_emoji"
    } else {
        "text_link"
    };
    mark.kind = kind.to_string();
    match kind {
        "link" => {
            mark.link = Some(if href.contains("://") {
                href
            } else {
                format!("https://{href}")
            });
        }
        "text_link" if !href.is_empty() => {
            mark.attrs.push(("href".to_string(), href.clone()));
            mark.link = Some(href);
        }
        "custom_emoji" if !href.is_empty() => {
            mark.attrs.push(("path".to_string(), href));
        }
        _ => {}
    }
    mark
}

/// A custom emoji whose image the export saved: a short label without letters or digits, and
/// a link to a local file (no scheme).
fn is_custom_emoji_file(href: &str, label: &str) -> bool {
    !href.is_empty()
        && !href.contains(':')
        && !label.is_empty()
        && label.chars().count() <= 8
        && !label.chars().any(char::is_alphanumeric)
}

/// The clean text of a raw text, with a map from raw byte offsets to clean byte offsets.
#[derive(Debug)]
pub struct Cleaned {
    /// The clean text ([`normalize::clean_text`] of the raw text).
    pub text: String,
    /// Raw byte offset -> clean byte offset; `None` when the mapping could not be made exactly
    /// (text that NFC changes), and pieces are then found by search.
    map: Option<Vec<usize>>,
}

/// Cleans `raw` as [`normalize::clean_text`] does, keeping track of where each raw offset goes.
pub fn clean_mapped(raw: &str) -> Cleaned {
    let text = normalize::clean_text(raw);
    // Stage 1: the char mapping (line ends, space variants, invisible chars).
    let mut mapped = String::with_capacity(raw.len());
    let mut m1 = vec![0usize; raw.len() + 1];
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let here = mapped.len();
        for slot in m1.iter_mut().skip(i).take(c.len_utf8()) {
            *slot = here;
        }
        if c == '\r'
            && let Some(&(j, '\n')) = chars.peek()
        {
            if let Some(slot) = m1.get_mut(j) {
                *slot = here;
            }
            chars.next();
        }
        if let Some(m) = normalize::clean_char(c) {
            mapped.push(m);
        }
    }
    if let Some(last) = m1.last_mut() {
        *last = mapped.len();
    }
    // Stage 2: lines trimmed at the end, blank lines dropped at the ends and collapsed.
    let mut out = String::with_capacity(mapped.len());
    let mut m2 = vec![0usize; mapped.len() + 1];
    let mut blank_pending = false;
    let mut line_start = 0usize;
    for line in mapped.split('\n') {
        let line_end = line_start + line.len();
        let kept = line.trim_end();
        if kept.is_empty() {
            blank_pending = !out.is_empty();
            for slot in m2.iter_mut().take(line_end + 1).skip(line_start) {
                *slot = out.len();
            }
        } else {
            if !out.is_empty() {
                out.push('\n');
                if blank_pending {
                    out.push('\n');
                }
            }
            blank_pending = false;
            let base = out.len();
            for (k, slot) in m2
                .iter_mut()
                .enumerate()
                .take(line_start + kept.len())
                .skip(line_start)
            {
                *slot = base + (k - line_start);
            }
            out.push_str(kept);
            for slot in m2
                .iter_mut()
                .take(line_end + 1)
                .skip(line_start + kept.len())
            {
                *slot = out.len();
            }
        }
        line_start = line_end + 1;
    }
    let map = (out == text).then(|| {
        m1.iter()
            .map(|&m| m2.get(m).copied().unwrap_or(out.len()))
            .collect()
    });
    Cleaned { text, map }
}

impl Cleaned {
    /// Where the raw range `start..end` of `raw` sits in the clean text, without the
    /// whitespace at its ends; `None` when nothing of it is left. `cursor` is where the search
    /// for the piece starts when the map could not be made.
    pub fn span(&self, raw: &str, start: usize, end: usize, cursor: &mut usize) -> Option<Span> {
        let (s, e) = match &self.map {
            Some(map) => (*map.get(start)?, *map.get(end)?),
            None => {
                let piece = normalize::clean_text(raw.get(start..end)?);
                let piece = piece.trim();
                if piece.is_empty() {
                    return None;
                }
                let found = self.text.get(*cursor..)?.find(piece)? + *cursor;
                *cursor = found;
                (found, found + piece.len())
            }
        };
        let inner = self.text.get(s..e)?;
        let lead = inner.len() - inner.trim_start().len();
        let trimmed = inner.trim();
        if trimmed.is_empty() {
            return None;
        }
        Some(Span {
            start: s + lead,
            end: s + lead + trimmed.len(),
        })
    }
}

/// The clean text of a [`Rich`] text, its entities and the links its elements make.
/// A text longer than [`tgscope_model::MAX_SOURCE_TEXT_BYTES`] is cut to it first (entities past the cut are
/// dropped).
pub fn finish(rich: &Rich) -> (String, Vec<Entity>, Vec<Link>) {
    let raw = source_text(&rich.raw).0;
    let cleaned = clean_mapped(raw);
    let mut entities = Vec::new();
    let mut links = Vec::new();
    let mut cursor = 0usize;
    for mark in &rich.marks {
        let Some(span) = cleaned.span(raw, mark.start, mark.end, &mut cursor) else {
            continue;
        };
        let label = cleaned
            .text
            .get(span.start..span.end)
            .unwrap_or_default()
            .to_string();
        if let Some(url) = &mark.link {
            links.push(Link {
                url: Some(url.clone()),
                label,
                span: Some(span),
            });
        }
        entities.push(Entity {
            kind: mark.kind.clone(),
            span,
            attrs: mark.attrs.clone(),
        });
    }
    (cleaned.text, entities, links)
}

/// Sets the clean text of a [`Rich`] text on `post`, with everything a post takes from it:
/// entities, links (the elements' and the URLs written in the text that no element link
/// covers, in text order), hashtags, mentions and countries. `raw_text` is left to the caller.
pub fn fill_text(post: &mut CapturedPost, rich: &Rich) {
    let (clean, entities, mut links) = finish(rich);
    post.source_text_bytes = source_text(&rich.raw).1;
    let found = extract::all(&clean);
    for url in found.links {
        let overlaps = links.iter().any(|l: &Link| {
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
    post.text = clean;
}
