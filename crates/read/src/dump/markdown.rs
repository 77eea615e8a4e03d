//! Telethon's markdown (`**bold**`, `[label](url)`, ...) read into plain text and marks.
//!
//! Telethon writes a message's `text` by inserting delimiters around its entities: `**` bold,
//! `__` italic, `~~` strikethrough, `` ` `` code, ```` ``` ```` pre, `[label](url)` text links
//! (`tg://user?id=N` for a mention of a user without a username, `emoji/N` for a custom emoji).
//! It escapes nothing, and entities that start or end together can come out crossed
//! (`**[text**](url)`), so the reader pairs each kind of markup on its own rather than as a
//! strictly nested tree:
//!
//! - a delimiter opens when none of its kind is open and closes the open one otherwise (an
//!   entity holds at least one char, as in Telethon: `****` stays as written);
//! - `` ` `` and ```` ``` ```` take their content as written, up to the next same delimiter;
//! - `[` opens a link when its bracket closes (brackets balanced) right before `(url)` (no line
//!   break in the URL, parentheses balanced);
//! - a bare `http(s)://` URL is copied as written, so `__` or `**` inside it stay;
//! - markup that finds no partner stays in the text as written.

use std::collections::HashMap;

use super::spans::Mark;

/// Longest link label looked at (a `[` further from its `]` is text).
const MAX_LABEL_BYTES: usize = 4 * 1024;

/// Longest link target looked at.
const MAX_URL_BYTES: usize = 8 * 1024;

/// Bytes that may start markup (or a bare URL, or a link's closing `](url)`).
const MARKUP_BYTES: &[u8] = b"`*_~[]hH";

/// Delimiters that pair with the next of their kind; content is parsed further.
const PAIRED: &[(&str, &str)] = &[("**", "bold"), ("__", "italic"), ("~~", "strikethrough")];

/// A piece of the source: text kept as written, or markup that is removed when it pairs.
#[derive(Debug)]
enum Seg {
    /// Source bytes kept as they are.
    Text(usize, usize),
    /// Markup: its source range and whether it found its partner.
    Token {
        start: usize,
        end: usize,
        paired: bool,
    },
}

/// An entity waiting for its closing token.
#[derive(Debug)]
struct Open {
    kind: &'static str,
    open_token: usize,
    attrs: Vec<(String, String)>,
}

/// A link whose closing `](url)` lies ahead.
#[derive(Debug)]
struct PendingLink {
    close_at: usize,
    close_end: usize,
    open: Open,
}

/// Entities found, as pairs of token indices.
#[derive(Debug)]
struct Found {
    kind: &'static str,
    open_token: usize,
    close_token: usize,
    attrs: Vec<(String, String)>,
}

/// Finds the next occurrence of a delimiter, remembering the last answer (the scan only moves
/// forward, so each delimiter's occurrences are searched once in all).
#[derive(Default)]
struct Finder {
    cache: HashMap<&'static str, (usize, Option<usize>)>,
}

impl Finder {
    fn next(&mut self, src: &str, token: &'static str, from: usize) -> Option<usize> {
        if let Some(&(searched_from, found)) = self.cache.get(token)
            && searched_from <= from
            && found.is_none_or(|f| f >= from)
        {
            return found;
        }
        let found = src
            .get(from..)
            .and_then(|rest| rest.find(token))
            .map(|at| from + at);
        self.cache.insert(token, (from, found));
        found
    }
}

struct Parser<'a> {
    src: &'a str,
    segs: Vec<Seg>,
    found: Vec<Found>,
    open: Vec<Option<Open>>,
    links: Vec<PendingLink>,
    finder: Finder,
}

impl<'a> Parser<'a> {
    fn text(&mut self, start: usize, end: usize) {
        if end <= start {
            return;
        }
        if let Some(Seg::Text(_, last_end)) = self.segs.last_mut()
            && *last_end == start
        {
            *last_end = end;
            return;
        }
        self.segs.push(Seg::Text(start, end));
    }

    fn token(&mut self, start: usize, end: usize) -> usize {
        self.segs.push(Seg::Token {
            start,
            end,
            paired: false,
        });
        self.segs.len() - 1
    }

    fn close(&mut self, open: Open, close_token: usize) {
        for t in [open.open_token, close_token] {
            if let Some(Seg::Token { paired, .. }) = self.segs.get_mut(t) {
                *paired = true;
            }
        }
        self.found.push(Found {
            kind: open.kind,
            open_token: open.open_token,
            close_token,
            attrs: open.attrs,
        });
    }

    /// Where the text from `i` must stop for a pending link's closing bracket.
    fn limit(&self, i: usize) -> usize {
        self.links
            .iter()
            .map(|l| l.close_at)
            .filter(|&c| c >= i)
            .min()
            .unwrap_or(self.src.len())
    }

    fn run(&mut self) {
        let src = self.src;
        let mut i = 0;
        while i < src.len() {
            // A link's closing `](url)`.
            if let Some(pos) = self.links.iter().position(|l| l.close_at == i) {
                let link = self.links.swap_remove(pos);
                let t = self.token(link.close_at, link.close_end);
                self.close(link.open, t);
                i = link.close_end;
                continue;
            }
            let Some(rest) = src.get(i..) else {
                break;
            };
            // Code and pre: content as written.
            if let Some(tok) = ["```", "`"].into_iter().find(|t| rest.starts_with(t)) {
                let kind = if tok == "```" { "pre" } else { "code" };
                let content = i + tok.len();
                let first = src
                    .get(content..)
                    .and_then(|r| r.chars().next())
                    .map_or(1, char::len_utf8);
                let limit = self.limit(i);
                if let Some(end) = self
                    .finder
                    .next(src, tok, content + first)
                    .filter(|&e| e + tok.len() <= limit)
                {
                    let open_token = self.token(i, content);
                    self.text(content, end);
                    let close_token = self.token(end, end + tok.len());
                    self.close(
                        Open {
                            kind,
                            open_token,
                            attrs: Vec::new(),
                        },
                        close_token,
                    );
                    i = end + tok.len();
                } else {
                    self.text(i, i + tok.len());
                    i += tok.len();
                }
                continue;
            }
            if let Some(k) = PAIRED.iter().position(|(t, _)| rest.starts_with(t)) {
                let (tok, kind) = PAIRED[k];
                let end = i + tok.len();
                match self.open[k].take() {
                    Some(open) => {
                        let adjacent = matches!(
                            self.segs.get(open.open_token),
                            Some(Seg::Token { end: e, .. }) if *e == i
                        );
                        if adjacent {
                            // `****`: nothing between; the first stays open, this one is text.
                            self.open[k] = Some(open);
                            self.text(i, end);
                        } else {
                            let t = self.token(i, end);
                            self.close(open, t);
                        }
                    }
                    None => {
                        let open_token = self.token(i, end);
                        self.open[k] = Some(Open {
                            kind,
                            open_token,
                            attrs: Vec::new(),
                        });
                    }
                }
                i = end;
                continue;
            }
            if rest.starts_with('[')
                && self
                    .finder
                    .next(src, "](", i + 1)
                    .is_some_and(|at| at - i <= MAX_LABEL_BYTES)
                && let Some((close_at, close_end, url)) = link_at(src, i)
            {
                let open_token = self.token(i, i + 1);
                let (kind, attrs) = link_kind(&url);
                self.links.push(PendingLink {
                    close_at,
                    close_end,
                    open: Open {
                        kind,
                        open_token,
                        attrs,
                    },
                });
                i += 1;
                continue;
            }
            if rest.starts_with(['h', 'H'])
                && let Some(len) = bare_url_len(src, i, self.limit(i))
            {
                self.text(i, i + len);
                i += len;
                continue;
            }
            // This char is text, and so is everything up to the next byte that may start
            // markup (all markup bytes are ASCII, so the run ends on a char boundary).
            let len = rest.chars().next().map_or(1, char::len_utf8);
            let run = rest
                .as_bytes()
                .iter()
                .skip(len)
                .position(|b| MARKUP_BYTES.contains(b))
                .map_or(rest.len(), |p| p + len);
            self.text(i, i + run);
            i += run;
        }
    }

    /// The plain text and the marks over it.
    fn finish(self) -> (String, Vec<Mark>) {
        let src = self.src;
        let mut out = String::with_capacity(src.len());
        let mut at = vec![0usize; self.segs.len()];
        for (n, seg) in self.segs.iter().enumerate() {
            match *seg {
                Seg::Text(s, e) => out.push_str(src.get(s..e).unwrap_or_default()),
                Seg::Token { start, end, paired } => {
                    at[n] = out.len();
                    if !paired {
                        out.push_str(src.get(start..end).unwrap_or_default());
                    }
                }
            }
        }
        let mut marks: Vec<Mark> = self
            .found
            .into_iter()
            .filter_map(|f| {
                let start = *at.get(f.open_token)?;
                let end = *at.get(f.close_token)?;
                (end > start).then_some(Mark {
                    kind: f.kind.to_string(),
                    start,
                    end,
                    attrs: f.attrs,
                })
            })
            .collect();
        marks.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        (out, marks)
    }
}

/// Reads Telethon markdown into plain text and marks over it.
pub(crate) fn parse(src: &str) -> (String, Vec<Mark>) {
    let mut parser = Parser {
        src,
        segs: Vec::new(),
        found: Vec::new(),
        open: (0..PAIRED.len()).map(|_| None).collect(),
        links: Vec::new(),
        finder: Finder::default(),
    };
    parser.run();
    parser.finish()
}

/// A link `[label](url)` starting at `i` (the `[`): where `](url)` starts and ends, and the URL.
fn link_at(src: &str, i: usize) -> Option<(usize, usize, String)> {
    let bytes = src.as_bytes();
    let mut depth = 0usize;
    let mut j = i + 1;
    let label_end = loop {
        let b = *bytes.get(j)?;
        if j - i > MAX_LABEL_BYTES {
            return None;
        }
        match b {
            b'[' => depth += 1,
            b']' if depth == 0 => break j,
            b']' => depth -= 1,
            _ => {}
        }
        j += 1;
    };
    if label_end == i + 1 || bytes.get(label_end + 1) != Some(&b'(') {
        return None;
    }
    let url_start = label_end + 2;
    let mut depth = 0usize;
    let mut k = url_start;
    let url_end = loop {
        let b = *bytes.get(k)?;
        if k - url_start > MAX_URL_BYTES {
            return None;
        }
        match b {
            b'\n' | b'\r' => return None,
            b'(' => depth += 1,
            b')' if depth == 0 => break k,
            b')' => depth -= 1,
            _ => {}
        }
        k += 1;
    };
    let url = src.get(url_start..url_end)?.trim();
    if url.is_empty() {
        return None;
    }
    Some((label_end, url_end + 1, url.to_string()))
}

/// The entity a link target makes: a mention of a user by id, a custom emoji, or a text link.
fn link_kind(url: &str) -> (&'static str, Vec<(String, String)>) {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(id) = url.strip_prefix("tg://user?id=")
        && digits(id)
    {
        return ("mention_name", vec![("user_id".into(), id.into())]);
    }
    if let Some(id) = url
        .strip_prefix("emoji/")
        .or_else(|| url.strip_prefix("tg://emoji?id="))
        && digits(id)
    {
        return ("custom_emoji", vec![("document_id".into(), id.into())]);
    }
    ("text_link", vec![("href".into(), url.into())])
}

/// The length of a bare `http://` or `https://` URL at `i` (not after a letter or digit), up to
/// whitespace or `limit`, without delimiter characters at its end.
fn bare_url_len(src: &str, i: usize, limit: usize) -> Option<usize> {
    let rest = src.get(i..limit.max(i))?;
    let head = rest.get(..8).unwrap_or(rest).to_ascii_lowercase();
    if !(head.starts_with("http://") || head.starts_with("https://")) {
        return None;
    }
    if src
        .get(..i)
        .and_then(|s| s.chars().next_back())
        .is_some_and(char::is_alphanumeric)
    {
        return None;
    }
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
        .unwrap_or(rest.len());
    let url = rest
        .get(..end)?
        .trim_end_matches(['*', '_', '~', '`', '|', '[', ']', '(', ')']);
    (!url.is_empty()).then_some(url.len())
}
