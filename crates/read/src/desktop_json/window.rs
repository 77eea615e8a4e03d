//! A sliding window of checked UTF-8 over the export's bytes, for the navigator and for parsing
//! each message in place.

use std::io::Read;

use crate::error::ReadError;

/// Bytes read from the file at a time (more when one value is larger than the window).
const CHUNK: usize = 256 * 1024;

/// The part of the file read and not yet consumed, kept as a `String`: bytes are checked as
/// UTF-8 once (with SIMD) when they come in, so a message is parsed from a `str` slice of the
/// window with no copy and no second check.
pub(super) struct Window<R> {
    inner: R,
    /// Checked text; `text[start..]` is not consumed yet.
    text: String,
    start: usize,
    /// The first bytes of a character cut by the end of a read (at most 3).
    partial: Vec<u8>,
    scratch: Vec<u8>,
    /// File offset of `text[start]`.
    offset: u64,
    eof: bool,
    /// File offset of bytes that are not UTF-8: the window ends before them.
    not_utf8: Option<u64>,
}

impl<R: Read> Window<R> {
    pub(super) fn new(inner: R) -> Window<R> {
        Window {
            inner,
            text: String::new(),
            start: 0,
            partial: Vec::new(),
            scratch: Vec::new(),
            offset: 0,
            eof: false,
            not_utf8: None,
        }
    }

    /// File offset of the next byte not consumed.
    pub(super) fn offset(&self) -> u64 {
        self.offset
    }

    /// File offset just past the bytes read so far (the end of the window).
    pub(super) fn end_offset(&self) -> u64 {
        self.offset + (self.text.len() - self.start) as u64
    }

    /// The unconsumed bytes in the window (possibly empty).
    pub(super) fn bytes(&self) -> &[u8] {
        &self.text.as_bytes()[self.start..]
    }

    /// The unconsumed text; `None` when the window starts inside a character (the navigator
    /// only asks for it at the start of a value, which is a character boundary).
    pub(super) fn text(&self) -> Option<&str> {
        self.text.get(self.start..)
    }

    /// Whether `at` bytes past the window's start is a character boundary.
    pub(super) fn is_boundary(&self, at: usize) -> bool {
        self.text.is_char_boundary(self.start + at)
    }

    pub(super) fn consume(&mut self, amount: usize) {
        let amount = amount.min(self.text.len() - self.start);
        self.start += amount;
        self.offset += amount as u64;
    }

    /// The unconsumed bytes, reading more when none are left; empty at the end of the file.
    pub(super) fn fill(&mut self) -> Result<&[u8], ReadError> {
        if self.start == self.text.len() {
            self.more()?;
            if let (true, Some(at)) = (self.start == self.text.len(), self.not_utf8) {
                return Err(not_utf8(at));
            }
        }
        Ok(self.bytes())
    }

    /// Reads more of the file onto the end of the window; `Ok(false)` when nothing more can be
    /// read (the end of the file, or bytes that are not UTF-8: see [`Window::not_utf8`]).
    pub(super) fn more(&mut self) -> Result<bool, ReadError> {
        if self.eof || self.not_utf8.is_some() {
            return Ok(false);
        }
        if self.start > 0 && self.text.is_char_boundary(self.start) {
            self.text.drain(..self.start);
            self.start = 0;
        }
        loop {
            // Read at least as much as the window holds, so that a large value that is parsed
            // again after each read costs linear time in all.
            let want = CHUNK.max(self.text.len() - self.start);
            self.scratch.clear();
            self.scratch.append(&mut self.partial);
            let have = self.scratch.len();
            self.scratch.resize(have + want, 0);
            // Fill the block (a source may give little per read: a pipe, a slow disk).
            let mut n = 0;
            while have + n < self.scratch.len() {
                match self.inner.read(&mut self.scratch[have + n..]) {
                    Ok(0) => break,
                    Ok(got) => n += got,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(source) => return Err(ReadError::Io { line: 0, source }),
                }
            }
            self.scratch.truncate(have + n);
            if n == 0 {
                self.eof = true;
                if !self.scratch.is_empty() {
                    // The file ends inside a character.
                    self.not_utf8 = Some(self.end_offset());
                }
                return Ok(false);
            }
            let cut = complete_prefix(&self.scratch);
            match simdutf8::basic::from_utf8(&self.scratch[..cut]) {
                Ok(text) => self.text.push_str(text),
                Err(_) => {
                    let good = std::str::from_utf8(&self.scratch[..cut])
                        .err()
                        .map_or(cut, |e| e.valid_up_to());
                    let text = std::str::from_utf8(&self.scratch[..good]).unwrap_or_default();
                    self.text.push_str(text);
                    self.not_utf8 = Some(self.end_offset());
                    return Ok(good > 0);
                }
            }
            self.partial.extend_from_slice(&self.scratch[cut..]);
            if cut > 0 {
                return Ok(true);
            }
        }
    }

    /// Where bytes that are not UTF-8 begin, once the window has reached them.
    pub(super) fn not_utf8(&self) -> Option<u64> {
        self.not_utf8
    }
}

/// The error for bytes that are not UTF-8.
pub(super) fn not_utf8(at: u64) -> ReadError {
    ReadError::Malformed {
        byte: at,
        reason: "bytes that are not UTF-8 (a JSON export is UTF-8)".into(),
    }
}

/// The length of `bytes` without a character cut off at its end.
fn complete_prefix(bytes: &[u8]) -> usize {
    let len = bytes.len();
    for back in 1..=len.min(3) {
        let b = bytes[len - back];
        if b & 0xC0 == 0x80 {
            continue;
        }
        let width = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        return if width > back { len - back } else { len };
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that gives one byte per read: every character is cut.
    struct OneByte<'a>(&'a [u8]);

    impl Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((&b, rest)), Some(slot)) => {
                    *slot = b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn characters_cut_by_reads_are_joined() {
        let text = "Россия 🇷🇺 «мир»";
        let mut w = Window::new(OneByte(text.as_bytes()));
        while w.more().expect("reads") {}
        assert_eq!(w.text(), Some(text));
        assert_eq!(w.not_utf8(), None);
    }

    #[test]
    fn bytes_that_are_not_utf8_end_the_window_at_their_offset() {
        let mut bytes = b"{\"a\": \"ok\"".to_vec();
        bytes.extend_from_slice(&[0xFF, b'x']);
        let mut w = Window::new(&bytes[..]);
        while w.more().expect("reads") {}
        assert_eq!(w.text(), Some("{\"a\": \"ok\""));
        assert_eq!(w.not_utf8(), Some(10));
        // A file that ends inside a character.
        let mut w = Window::new(&"ок".as_bytes()[..3]);
        while w.more().expect("reads") {}
        assert_eq!(w.text(), Some("о"));
        assert_eq!(w.not_utf8(), Some(2));
    }

    #[test]
    fn complete_prefixes() {
        assert_eq!(complete_prefix(b"abc"), 3);
        assert_eq!(complete_prefix("аб".as_bytes()), 4);
        assert_eq!(complete_prefix(&"аб".as_bytes()[..3]), 2);
        assert_eq!(complete_prefix(&"🇷".as_bytes()[..3]), 0);
        assert_eq!(complete_prefix(&[]), 0);
    }
}
