//! Where each message element sits in the page's bytes, found by one scan of the raw page.

use std::collections::{HashMap, VecDeque};

/// The byte ranges of the message elements of a page, by their `id` attribute.
#[derive(Debug, Default)]
pub struct Offsets {
    by_id: HashMap<String, VecDeque<(u64, u64)>>,
}

/// The position of `needle` in `hay` at or after `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let rest = hay.get(from..)?;
    if needle.is_empty() || rest.len() < needle.len() {
        return None;
    }
    rest.windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// The end (one past `>`) of the element opening at `start`, by counting `<div` and `</div`
/// up to `limit`; `None` when it does not close before `limit`.
fn element_end(page: &[u8], start: usize, limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while i < limit {
        let rest = page.get(i..limit)?;
        let lt = rest.iter().position(|&b| b == b'<')?;
        i += lt;
        let tail = page.get(i..limit)?;
        if tail.starts_with(b"</div") {
            depth = depth.saturating_sub(1);
            let close = page.get(i..limit)?.iter().position(|&b| b == b'>')?;
            if depth == 0 {
                return Some(i + close + 1);
            }
            i += close + 1;
        } else if tail.starts_with(b"<div")
            && tail
                .get(4)
                .is_some_and(|b| b.is_ascii_whitespace() || *b == b'>')
        {
            depth += 1;
            i += 4;
        } else {
            i += 1;
        }
    }
    None
}

impl Offsets {
    /// Scans `page` for `id="message..."` attributes of `div` elements.
    pub fn scan(page: &[u8]) -> Offsets {
        Offsets::scan_attr(page, "id", "message")
    }

    /// Scans `page` for `div` elements whose attribute `attr` has a value starting with
    /// `prefix` (`data-post="..."` with an empty prefix); elements are keyed by the whole value.
    pub fn scan_attr(page: &[u8], attr: &str, prefix: &str) -> Offsets {
        let needle = format!("{attr}=\"{prefix}");
        let needle = needle.as_bytes();
        let mut starts: Vec<(String, usize)> = Vec::new();
        let mut from = 0;
        while let Some(at) = find(page, needle, from) {
            from = at + needle.len();
            // A longer attribute name ending in `attr` (`data-id` for `id`) is not it.
            if at
                .checked_sub(1)
                .and_then(|i| page.get(i))
                .is_some_and(|b| !b.is_ascii_whitespace())
            {
                continue;
            }
            let value_start = at + attr.len() + 2;
            let Some(len) = page
                .get(value_start..)
                .and_then(|r| r.iter().take(64).position(|&b| b == b'"'))
            else {
                continue;
            };
            let Some(id) = page
                .get(value_start..value_start + len)
                .and_then(|v| std::str::from_utf8(v).ok())
            else {
                continue;
            };
            // The tag's start: the last `<` before the attribute, within the tag.
            let window_start = at.saturating_sub(512);
            let Some(lt) = page
                .get(window_start..at)
                .and_then(|w| w.iter().rposition(|&b| b == b'<'))
            else {
                continue;
            };
            starts.push((id.to_string(), window_start + lt));
        }
        let mut by_id: HashMap<String, VecDeque<(u64, u64)>> = HashMap::new();
        for (k, (id, start)) in starts.iter().enumerate() {
            let limit = starts.get(k + 1).map_or(page.len(), |(_, s)| *s);
            let end = element_end(page, *start, limit).unwrap_or_else(|| {
                // Not closed before the next message: end at the last non-space byte.
                let body = page.get(*start..limit).unwrap_or_default();
                start
                    + body
                        .iter()
                        .rposition(|b| !b.is_ascii_whitespace())
                        .map_or(0, |i| i + 1)
            });
            by_id
                .entry(id.clone())
                .or_default()
                .push_back((*start as u64, end as u64));
        }
        Offsets { by_id }
    }

    /// The byte range of the next element with this `id` (elements are taken in page order);
    /// `(0, 0)` when it was not found.
    pub fn take(&mut self, id: &str) -> (u64, u64) {
        self.by_id
            .get_mut(id)
            .and_then(VecDeque::pop_front)
            .unwrap_or((0, 0))
    }
}

/// A page's bytes as text: borrowed when they are UTF-8; else with the bad bytes replaced by
/// U+FFFD, and a warning naming the first bad byte and its line (prefixed with `label`).
pub(crate) fn page_text<'a>(
    page: &'a [u8],
    label: &str,
) -> (std::borrow::Cow<'a, str>, Option<String>) {
    match std::str::from_utf8(page) {
        Ok(t) => (std::borrow::Cow::Borrowed(t), None),
        Err(e) => {
            let byte = e.valid_up_to();
            let line = page
                .get(..byte)
                .map_or(0, |p| p.iter().filter(|&&b| b == b'\n').count())
                + 1;
            (
                String::from_utf8_lossy(page),
                Some(format!(
                    "{label}: not valid UTF-8 at byte {byte} (line {line}); bad bytes were \
                     replaced with U+FFFD"
                )),
            )
        }
    }
}
