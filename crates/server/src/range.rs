//! Byte ranges of a download (RFC 9110 §14): which part of a file a `Range` header asks for, so
//! that a broken download of a large capture resumes where it stopped.
//!
//! One range is served (`bytes=0-499`, `bytes=500-`, `bytes=-500`). As RFC 9110 allows, a
//! header this server does not serve (several ranges, another unit, bad syntax) is ignored and
//! the whole file is sent; so is a range under an `If-Range` that does not name the file's
//! strong `ETag` (the file changed, or the client gave a date). A range wholly past the end is
//! `416`.

use axum::http::{HeaderMap, header};

/// What a request asks of a file of known size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// The whole file (`200`).
    Whole,
    /// The bytes `start..=end` (`206`), within the file.
    Part {
        /// The first byte, from 0.
        start: u64,
        /// The last byte, inclusive.
        end: u64,
    },
    /// A range that holds none of the file's bytes (`416`).
    Unsatisfiable,
}

impl Asked {
    /// What `request` asks of a file of `size` bytes whose strong `ETag` is `etag` (quoted).
    pub fn of(request: &HeaderMap, size: u64, etag: &str) -> Asked {
        let mut ranges = request.get_all(header::RANGE).iter();
        let (Some(range), None) = (ranges.next(), ranges.next()) else {
            return Asked::Whole;
        };
        let Ok(range) = range.to_str() else {
            return Asked::Whole;
        };
        if let Some(condition) = request.get(header::IF_RANGE)
            && condition.to_str().ok().map(str::trim) != Some(etag)
        {
            return Asked::Whole;
        }
        parse(range, size).unwrap_or(Asked::Whole)
    }

    /// The number of bytes sent for a file of `size` bytes.
    pub fn len(self, size: u64) -> u64 {
        match self {
            Asked::Whole => size,
            Asked::Part { start, end } => end - start + 1,
            Asked::Unsatisfiable => 0,
        }
    }
}

/// One `bytes=` range against `size`; `None` for what is not served (ignored).
fn parse(header: &str, size: u64) -> Option<Asked> {
    let (unit, spec) = header.trim().split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return None;
    }
    let (first, last) = spec.trim().split_once('-')?;
    let number = |text: &str| -> Option<u64> {
        let text = text.trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // More digits than a u64 holds: past any file's end.
        Some(text.parse().unwrap_or(u64::MAX))
    };
    if first.trim().is_empty() {
        // `-n`: the last n bytes.
        let suffix = number(last)?;
        if suffix == 0 || size == 0 {
            return Some(Asked::Unsatisfiable);
        }
        return Some(Asked::Part {
            start: size - suffix.min(size),
            end: size - 1,
        });
    }
    let start = number(first)?;
    let end = match last.trim() {
        "" => u64::MAX,
        last => number(last)?,
    };
    if end < start {
        return None;
    }
    if start >= size {
        return Some(Asked::Unsatisfiable);
    }
    Some(Asked::Part {
        start,
        end: end.min(size - 1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const ETAG: &str = "\"abc\"";

    fn asked(range: &str, size: u64) -> Asked {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(range).expect("header"));
        Asked::of(&headers, size, ETAG)
    }

    #[test]
    fn one_range_of_bytes_is_served() {
        assert_eq!(
            asked("bytes=0-499", 1000),
            Asked::Part { start: 0, end: 499 }
        );
        assert_eq!(
            asked("bytes=500-", 1000),
            Asked::Part {
                start: 500,
                end: 999
            }
        );
        assert_eq!(
            asked("bytes=-200", 1000),
            Asked::Part {
                start: 800,
                end: 999
            }
        );
        assert_eq!(
            asked("bytes=-5000", 1000),
            Asked::Part { start: 0, end: 999 }
        );
        assert_eq!(
            asked("bytes=900-5000", 1000),
            Asked::Part {
                start: 900,
                end: 999
            }
        );
        assert_eq!(asked("Bytes = 7-7", 1000), Asked::Part { start: 7, end: 7 });
        assert_eq!(
            asked("bytes=0-99999999999999999999999", 10),
            Asked::Part { start: 0, end: 9 }
        );
        assert_eq!(Asked::Part { start: 7, end: 7 }.len(1000), 1);
    }

    #[test]
    fn a_range_past_the_end_is_unsatisfiable() {
        assert_eq!(asked("bytes=1000-", 1000), Asked::Unsatisfiable);
        assert_eq!(asked("bytes=1000-2000", 1000), Asked::Unsatisfiable);
        assert_eq!(asked("bytes=-0", 1000), Asked::Unsatisfiable);
        assert_eq!(asked("bytes=0-", 0), Asked::Unsatisfiable);
        assert_eq!(
            asked("bytes=99999999999999999999999-", 10),
            Asked::Unsatisfiable
        );
    }

    #[test]
    fn what_is_not_served_is_ignored_for_the_whole_file() {
        for header in [
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=5-1",
            "bytes=a-b",
            "bytes=-",
            "bytes 0-1",
            "bytes=+1-2",
        ] {
            assert_eq!(asked(header, 1000), Asked::Whole, "{header}");
        }
        assert_eq!(Asked::of(&HeaderMap::new(), 1000, ETAG), Asked::Whole);
    }

    #[test]
    fn if_range_must_name_the_file() {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_static("bytes=10-"));
        headers.insert(header::IF_RANGE, HeaderValue::from_static("\"abc\""));
        assert_eq!(
            Asked::of(&headers, 100, ETAG),
            Asked::Part { start: 10, end: 99 }
        );
        headers.insert(header::IF_RANGE, HeaderValue::from_static("\"other\""));
        assert_eq!(Asked::of(&headers, 100, ETAG), Asked::Whole);
        headers.insert(
            header::IF_RANGE,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(Asked::of(&headers, 100, ETAG), Asked::Whole);
    }
}
