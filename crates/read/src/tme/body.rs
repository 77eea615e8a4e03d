//! The text of a post's body as t.me writes it: line breaks, entities, links and emoji.

use std::cell::RefCell;

use scraper::ElementRef;
use scraper::node::Element;

use super::address::parse_tme_link;
use crate::desktop_html::rich::{Mark, NodeRef, Rich, has_class, walk};

/// Elements whose content is never a body's text (scripts, players, icons).
const NOT_TEXT_TAGS: &[&str] = &[
    "script", "style", "svg", "template", "noscript", "audio", "video", "picture", "img", "canvas",
    "button", "input", "select", "textarea", "iframe", "object",
];

/// True when `el` is part of the page's interface rather than of a body's text: any widget
/// part but a nested text element (broken markup can nest a footer or reactions in a body),
/// and the placeholders and labels of media.
pub fn is_interface(el: &Element) -> bool {
    if NOT_TEXT_TAGS.contains(&el.name()) {
        return true;
    }
    el.classes().any(|c| {
        (c.starts_with("tgme_widget_message_") && c != "tgme_widget_message_text")
            || c == "tgme_widget_message"
            || c.starts_with("message_media_")
            || c.starts_with("media_not_supported")
            || c == "tgme_reaction"
            || c.starts_with("tgme_channel_")
    })
}

/// An element being read that may become an entity.
struct Open {
    kind: &'static str,
    start: usize,
    href: Option<String>,
    attrs: Vec<(String, String)>,
    mark: usize,
}

/// What the builder holds while it walks.
#[derive(Default)]
struct Building {
    raw: String,
    marks: Vec<Mark>,
    /// One frame per element descended into (`None` for those that make no entity).
    open: Vec<Option<Open>>,
    /// How many `pre` and `code` elements enclose the current node (their whitespace is kept).
    verbatim: usize,
}

/// The entity type an element makes, `None` for elements that make none.
fn kind_of(node: NodeRef<'_>, el: &Element) -> Option<&'static str> {
    let in_emoji = || {
        node.parent()
            .and_then(ElementRef::wrap)
            .is_some_and(|p| has_class(p.value(), "emoji"))
    };
    Some(match el.name() {
        "b" | "strong" if in_emoji() => return None,
        "b" | "strong" => "bold",
        "i" | "em" if has_class(el, "emoji") => return None,
        "i" | "em" => "italic",
        "u" | "ins" => "underline",
        "s" | "strike" | "del" => "strikethrough",
        "code" => "code",
        "pre" => "pre",
        "blockquote" => "blockquote",
        "tg-spoiler" => "spoiler",
        "span" if has_class(el, "tg-spoiler") || has_class(el, "spoiler") => "spoiler",
        "tg-emoji" => "custom_emoji",
        "a" => "a",
        _ => return None,
    })
}

/// Whitespace as HTML collapses it.
fn is_html_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c')
}

/// Appends a run of whitespace: a run holding a line break or tab is layout (an editor's
/// indentation) and reads as one space, or nothing at the start of a line; a run of plain
/// spaces is the post's own and is kept.
fn push_space(raw: &mut String, run: &str) {
    if run.is_empty() {
        return;
    }
    if run.contains(['\t', '\n', '\r', '\x0c']) {
        if !(raw.is_empty() || raw.ends_with([' ', '\n'])) {
            raw.push(' ');
        }
    } else {
        raw.push_str(run);
    }
}

/// Appends a text node, its layout whitespace collapsed unless it is inside `pre` or `code`.
fn push_text(b: &mut Building, text: &str) {
    if b.verbatim > 0 {
        b.raw.push_str(text);
        return;
    }
    let mut run_start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if is_html_space(c) {
            run_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = run_start.take() {
            push_space(&mut b.raw, text.get(start..i).unwrap_or_default());
        }
        b.raw.push(c);
    }
    if let Some(start) = run_start {
        push_space(&mut b.raw, text.get(start..).unwrap_or_default());
    }
}

/// Reads the text and entities under `root` (a `.tgme_widget_message_text` or a description).
///
/// It makes the same [`Rich`] text as the Desktop HTML reader, so that the clean text, spans
/// and links come out of the same [`finish`](crate::desktop_html::rich::finish). What differs
/// is the markup: t.me draws emoji as `<i class="emoji"><b>😀</b></i>` (not bold), marks
/// hashtags as search links (`<a href="?q=%23tag">`), and a page re-indented by an editor
/// carries layout line breaks inside the text, which a browser shows as one space.
pub fn body_rich(root: ElementRef<'_>) -> Rich {
    // Both closures of the walk write to the same state.
    let state = RefCell::new(Building::default());
    walk(
        root,
        |node| {
            let mut b = state.borrow_mut();
            match node.value() {
                scraper::Node::Text(t) => {
                    push_text(&mut b, t);
                    false
                }
                scraper::Node::Element(el) => {
                    if el.name() == "br" {
                        b.raw.push('\n');
                        return false;
                    }
                    if el.name() == "img" && has_class(el, "emoji") {
                        // An emoji drawn as an image keeps the emoji in `alt`.
                        let alt = el.attr("alt").unwrap_or_default().to_string();
                        push_text(&mut b, &alt);
                        return false;
                    }
                    if is_interface(el) {
                        return false;
                    }
                    let start = b.raw.len();
                    let frame = kind_of(node, el).map(|kind| {
                        // A placeholder keeps entities in the order they open.
                        b.marks.push(Mark {
                            kind: String::new(),
                            start,
                            end: start,
                            attrs: Vec::new(),
                            link: None,
                        });
                        let mut attrs = Vec::new();
                        if kind == "blockquote" && el.attr("expandable").is_some() {
                            attrs.push(("collapsed".to_string(), "true".to_string()));
                        }
                        if kind == "custom_emoji"
                            && let Some(id) = el.attr("emoji-id")
                        {
                            attrs.push(("document_id".to_string(), id.to_string()));
                        }
                        Open {
                            kind,
                            start,
                            href: el.attr("href").map(str::to_string),
                            attrs,
                            mark: b.marks.len() - 1,
                        }
                    });
                    if matches!(el.name(), "pre" | "code") {
                        b.verbatim += 1;
                    }
                    b.open.push(frame);
                    true
                }
                _ => false,
            }
        },
        |node| {
            let Some(el) = node.value().as_element() else {
                return;
            };
            let mut b = state.borrow_mut();
            if matches!(el.name(), "pre" | "code") {
                b.verbatim = b.verbatim.saturating_sub(1);
            }
            let Some(Some(frame)) = b.open.pop() else {
                return;
            };
            let end = b.raw.len();
            let mark = finish_mark(&frame, end, &b.raw);
            if let Some(slot) = b.marks.get_mut(frame.mark) {
                *slot = mark;
            }
        },
    );
    let Building { raw, mut marks, .. } = state.into_inner();
    marks.retain(|m| !m.kind.is_empty());
    Rich { raw, marks }
}

/// The entity an element makes, once its text is known.
fn finish_mark(frame: &Open, end: usize, raw: &str) -> Mark {
    let mut mark = Mark {
        kind: frame.kind.to_string(),
        start: frame.start,
        end,
        attrs: frame.attrs.clone(),
        link: None,
    };
    if frame.kind != "a" {
        return mark;
    }
    let label = raw.get(frame.start..end).unwrap_or_default().trim();
    // Since 2024 t.me writes `&` in link targets as `&amp;` inside the attribute.
    let href = frame
        .href
        .as_deref()
        .unwrap_or_default()
        .trim()
        .replace("&amp;", "&");
    let kind = link_kind(&href, label);
    mark.kind = kind.to_string();
    match kind {
        "link" => {
            mark.link = Some(absolute(&href));
        }
        "text_link" if !href.is_empty() => {
            mark.attrs.push(("href".to_string(), href.clone()));
            mark.link = Some(href);
        }
        _ => {}
    }
    mark
}

/// What a link element is: a hashtag or cashtag search, a mention, an email address or phone
/// number, a URL written as itself (`link`), or a text link.
fn link_kind(href: &str, label: &str) -> &'static str {
    if let Some(query) = search_query(href) {
        if label.starts_with('#') && query.starts_with("%23") {
            return "hashtag";
        }
        if label.starts_with('$') && query.starts_with("%24") {
            return "cashtag";
        }
    }
    if let Some(rest) = href.strip_prefix("mailto:") {
        return if rest == label { "email" } else { "text_link" };
    }
    if let Some(rest) = href.strip_prefix("tel:") {
        return if rest == label { "phone" } else { "text_link" };
    }
    if let Some(name) = label.strip_prefix('@')
        && !name.is_empty()
        && parse_tme_link(href).is_some_and(|l| {
            l.message_id.is_none()
                && l.username
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(name))
        })
    {
        return "mention";
    }
    if !href.is_empty() && same_address(href, label) {
        return "link";
    }
    "text_link"
}

/// The query of a channel search link (`?q=%23tag`, `/s/chan?q=%23tag`).
fn search_query(href: &str) -> Option<&str> {
    let (path, query) = href.split_once('?')?;
    if !(path.is_empty() || path.contains("/s/")) {
        return None;
    }
    query.split('&').find_map(|pair| pair.strip_prefix("q="))
}

/// An address without its scheme and trailing slash, lower-cased, for comparison.
fn address_key(text: &str) -> String {
    let t = text.trim();
    let t = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .or_else(|| t.strip_prefix("//"))
        .unwrap_or(t);
    t.trim_end_matches('/').to_lowercase()
}

/// True when a link's visible text is its target written out (t.me drops the scheme of
/// addresses written without one: `topwar.ru` links to `http://topwar.ru/`), possibly
/// shortened with an ellipsis.
fn same_address(href: &str, label: &str) -> bool {
    let (h, l) = (address_key(href), address_key(label));
    if l.is_empty() {
        return false;
    }
    if h == l {
        return true;
    }
    match l.strip_suffix('…') {
        Some(head) => head.len() >= 8 && h.starts_with(head),
        None => false,
    }
}

/// An address with a scheme (`//t.me/x` and `topwar.ru` get `https:`).
fn absolute(href: &str) -> String {
    if href.contains("://") || href.starts_with("mailto:") || href.starts_with("tel:") {
        href.to_string()
    } else if let Some(rest) = href.strip_prefix("//") {
        format!("https://{rest}")
    } else {
        format!("https://{href}")
    }
}
