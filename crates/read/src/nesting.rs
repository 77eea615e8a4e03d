//! The nesting budget every HTML page (t.me pages, Desktop HTML exports) must fit before it is
//! parsed.
//!
//! The HTML parser's tree builder looks through the stack of open elements on most start and end
//! tags (is a `p` open, is this element in scope), so its time grows with the size of the page
//! times the depth of its nesting: a 1.1 MB page of 100,000 nested `div`s took 19 to 48 s, one
//! of a million never finished. Pages that Telegram writes nest about 20 deep (Desktop HTML
//! exports) to 30 deep (t.me pages). [`check`] walks the page's tags once, with a stack of open
//! elements as the parser would keep it, and refuses a page nested deeper than [`MAX_DEPTH`]
//! before the parser sees it. A page within the budget costs the parser at most [`MAX_DEPTH`]
//! steps per tag: its time is linear in its size.
//!
//! The walk follows the parser where that matters for depth: void elements (`br`, `img`) never
//! open, raw text (`script`, `style`, `textarea`, `title`) and comments hide their tags,
//! self-closing tags close only inside SVG and MathML, an end tag closes only an element in its
//! scope (not across a `table` or a cell), and a second `p`, `li` or `option` closes the first.
//! Where it differs, it counts deeper than the parser, never shallower.

/// The deepest nesting of elements read: 25 times what Telegram's own pages use, as deep as
/// browsers build their trees before they stop nesting (Chromium: 512).
pub const MAX_DEPTH: usize = 512;

/// A page nested deeper than [`MAX_DEPTH`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep {
    /// Where the element that went past the budget starts.
    pub byte: u64,
    /// Its line (1-based).
    pub line: u64,
}

impl std::fmt::Display for TooDeep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "elements nested more than {MAX_DEPTH} deep at byte {} (line {}): Telegram's pages \
             nest about 30 deep, and parsing a page this deep takes time that grows with the \
             square of its nesting, so it is not read",
            self.byte, self.line
        )
    }
}

/// Elements that never hold others.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
    "source", "track", "wbr", "frame", "basefont", "bgsound",
];

/// Elements whose text runs to their end tag, tags and all.
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes",
];

/// Elements an end tag does not look past for its own (the parser's scope boundaries).
const SCOPE: &[&str] = &[
    "table", "td", "th", "caption", "html", "marquee", "object", "applet", "template",
];

/// Elements a start tag of the same name closes when one is the current element.
const SELF_CLOSING_SIBLINGS: &[&str] = &[
    "p", "li", "dt", "dd", "option", "tr", "td", "th", "rb", "rt", "rp",
];

/// Checks that `page` nests no deeper than [`MAX_DEPTH`], in one pass over its bytes.
pub fn check(page: &str) -> Result<(), TooDeep> {
    let bytes = page.as_bytes();
    // Names of the open elements (slices of the page), and how many of them are SVG or MathML.
    let mut open: Vec<&str> = Vec::new();
    let mut foreign = 0usize;
    let mut at = 0usize;
    while let Some(found) = memchr::memchr(b'<', &bytes[at..]) {
        let start = at + found;
        let rest = &bytes[start + 1..];
        if rest.starts_with(b"!--") {
            at = match memchr::memmem::find(&rest[3..], b"-->") {
                Some(end) => start + 1 + 3 + end + 3,
                None => return Ok(()),
            };
            continue;
        }
        if rest.first().is_some_and(|b| *b == b'!' || *b == b'?') {
            at = skip_tag(bytes, start + 1).0;
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_start = start + 1 + usize::from(closing);
        let name_end = bytes[name_start..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'-' || *b == b':'))
            .map_or(bytes.len(), |n| name_start + n);
        if name_end == name_start || !bytes[name_start].is_ascii_alphabetic() {
            // Not a tag ("a < b", "</ >"): text.
            at = start + 1;
            continue;
        }
        let name = &page[name_start..name_end];
        let (after, self_closed) = skip_tag(bytes, name_end);
        at = after;
        if closing {
            close(&mut open, &mut foreign, name);
            continue;
        }
        if is(name, VOID) || (self_closed && foreign > 0) {
            continue;
        }
        if is(name, SELF_CLOSING_SIBLINGS)
            && open
                .last()
                .is_some_and(|top| top.eq_ignore_ascii_case(name))
        {
            open.pop();
        }
        if name.eq_ignore_ascii_case("svg") || name.eq_ignore_ascii_case("math") {
            foreign += 1;
        }
        open.push(name);
        if open.len() > MAX_DEPTH {
            return Err(TooDeep {
                byte: start as u64,
                line: 1 + memchr::memchr_iter(b'\n', &bytes[..start]).count() as u64,
            });
        }
        if is(name, RAW_TEXT) && foreign == 0 {
            at = end_of_raw_text(bytes, at, name);
            open.pop();
        } else if name.eq_ignore_ascii_case("plaintext") {
            return Ok(());
        }
    }
    Ok(())
}

/// Whether `name` is one of `names` (HTML names are ASCII and case-blind).
fn is(name: &str, names: &[&str]) -> bool {
    names.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// Closes the element an end tag names when it is open within its scope (else the parser
/// ignores the end tag, and so does this walk).
fn close(open: &mut Vec<&str>, foreign: &mut usize, name: &str) {
    let Some(at) = open
        .iter()
        .rposition(|e| e.eq_ignore_ascii_case(name) || (is(e, SCOPE) && !is(name, SCOPE)))
    else {
        return;
    };
    if !open[at].eq_ignore_ascii_case(name) {
        return;
    }
    for gone in open.drain(at..) {
        if gone.eq_ignore_ascii_case("svg") || gone.eq_ignore_ascii_case("math") {
            *foreign -= 1;
        }
    }
}

/// Where the tag whose attributes start at `from` ends (after its `>`, quotes respected), and
/// whether it ends with `/>`.
fn skip_tag(bytes: &[u8], from: usize) -> (usize, bool) {
    let mut quote = None;
    let mut at = from;
    while at < bytes.len() {
        let b = bytes[at];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return (at + 1, at > from && bytes[at - 1] == b'/'),
            None => {}
        }
        at += 1;
    }
    (bytes.len(), false)
}

/// Where the raw text of the element `name` ends: after its end tag, or at the end of the page.
fn end_of_raw_text(bytes: &[u8], from: usize, name: &str) -> usize {
    let mut at = from;
    while let Some(found) = memchr::memmem::find(&bytes[at..], b"</") {
        let tag = at + found + 2;
        let candidate = bytes.get(tag..tag + name.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes()))
            && bytes
                .get(tag + name.len())
                .is_none_or(|b| !b.is_ascii_alphanumeric())
        {
            return skip_tag(bytes, tag + name.len()).0;
        }
        at = tag;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize, open: &str, close: &str) -> String {
        format!(
            "<html><body>{}x{}</body></html>",
            open.repeat(depth),
            close.repeat(depth)
        )
    }

    #[test]
    fn pages_within_the_budget_pass_and_deeper_ones_are_refused_where_they_go_past_it() {
        assert_eq!(check(&nested(MAX_DEPTH - 2, "<div>", "</div>")), Ok(()));
        let deep = nested(MAX_DEPTH, "<div class=\"a\">", "</div>");
        let err = check(&deep).unwrap_err();
        // html, body and 510 divs fit; the 511th div is the 513th element.
        let expected = "<html><body>".len() + (MAX_DEPTH - 2) * "<div class=\"a\">".len();
        assert_eq!(err.byte, expected as u64);
        assert_eq!(err.line, 1);
        assert!(err.to_string().contains("more than 512 deep"), "{err}");
        // Without end tags too (a truncated page).
        assert!(check(&"<div>".repeat(100_000)).is_err());
        // Self-closing div tags are open tags to HTML.
        assert!(check(&"<div/>".repeat(1_000)).is_err());
    }

    #[test]
    fn what_does_not_nest_is_not_counted() {
        let many = |tag: &str| format!("<body>{}</body>", tag.repeat(10_000));
        for flat in [
            "<br>",
            "<img src=\"a.jpg\">",
            "<p>text",
            "<li>item",
            "<div></div>",
            "<!-- <div> -->",
            "<script>if (a < b) { x = '<div>'; }</script>",
            "<style>div > p { }</style>",
            "<svg><path d=\"M0\"/></svg>",
            "a < b and <3 ",
            "<a title=\"<div>\">link</a>",
        ] {
            assert_eq!(check(&many(flat)), Ok(()), "{flat}");
        }
    }

    #[test]
    fn an_end_tag_outside_its_scope_closes_nothing() {
        // The parser ignores </div> inside a cell whose div is outside the table: the cells
        // stay open, and they are counted.
        let page = "<div><table><tr><td></div>".repeat(200);
        assert!(check(&page).is_err());
    }
}
