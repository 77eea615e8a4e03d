//! A sliding window over the export's bytes, for the navigator and for parsing each message
//! where it lies.

use std::io::Read;

use crate::error::ReadError;

/// Bytes read from the file at a time (more when one value is larger than the window).
const CHUNK: usize = 256 * 1024;

/// The part of the file read and not yet consumed. Bytes are read straight into it (no copy),
/// and a message is checked as UTF-8 and parsed from a slice of it.
pub(super) struct Window<R> {
    inner: R,
    /// `buf[start..]` is not consumed yet.
    buf: Vec<u8>,
    start: usize,
    /// File offset of `buf[start]`.
    offset: u64,
    eof: bool,
}

impl<R: Read> Window<R> {
    pub(super) fn new(inner: R) -> Window<R> {
        Window {
            inner,
            buf: Vec::new(),
            start: 0,
            offset: 0,
            eof: false,
        }
    }

    /// File offset of the next byte not consumed.
    pub(super) fn offset(&self) -> u64 {
        self.offset
    }

    /// File offset just past the bytes read so far (the end of the window).
    pub(super) fn end_offset(&self) -> u64 {
        self.offset + (self.buf.len() - self.start) as u64
    }

    /// The unconsumed bytes in the window (possibly empty).
    pub(super) fn bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    pub(super) fn consume(&mut self, amount: usize) {
        let amount = amount.min(self.buf.len() - self.start);
        self.start += amount;
        self.offset += amount as u64;
    }

    /// The unconsumed bytes, reading more when none are left; empty at the end of the file.
    pub(super) fn fill(&mut self) -> Result<&[u8], ReadError> {
        if self.start == self.buf.len() {
            self.more()?;
        }
        Ok(self.bytes())
    }

    /// Reads more of the file onto the end of the window; `Ok(false)` at the end of the file.
    pub(super) fn more(&mut self) -> Result<bool, ReadError> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        // Read at least as much as the window holds, so that a large value that is parsed
        // again after each read costs linear time in all; fill the whole block, as a source
        // may give little per read (a pipe).
        let want = CHUNK.max(self.buf.len());
        let before = self.buf.len();
        self.buf.resize(before + want, 0);
        let mut filled = before;
        while filled < self.buf.len() {
            match self.inner.read(&mut self.buf[filled..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => {
                    self.buf.truncate(filled);
                    return Err(ReadError::Io { line: 0, source });
                }
            }
        }
        self.buf.truncate(filled);
        Ok(self.buf.len() > before)
    }
}

/// The longest prefix of `bytes` that is UTF-8 (a character cut by its end left out), and
/// whether bytes that are not UTF-8 (not merely cut) follow it.
pub(super) fn utf8_prefix(bytes: &[u8]) -> (&str, bool) {
    let bytes = &bytes[..complete_prefix(bytes)];
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => (text, false),
        Err(_) => {
            let e = std::str::from_utf8(bytes).expect_err("simdutf8 found an error");
            let good = &bytes[..e.valid_up_to()];
            (simdutf8::basic::from_utf8(good).unwrap_or_default(), true)
        }
    }
}

/// The length of `bytes` without a character cut off at its end.
fn complete_prefix(bytes: &[u8]) -> usize {
    let len = bytes.len();
    for back in 1..=len.min(4) {
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

    /// A reader that gives one byte per read.
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
    fn a_block_is_filled_from_small_reads() {
        let text = "Россия 🇷🇺 «мир»";
        let mut w = Window::new(OneByte(text.as_bytes()));
        assert!(w.more().expect("reads"));
        assert_eq!(w.bytes(), text.as_bytes());
        assert!(!w.more().expect("reads"));
        w.consume(4);
        assert_eq!(w.offset(), 4);
        assert_eq!(w.end_offset(), text.len() as u64);
    }

    #[test]
    fn utf8_prefixes() {
        assert_eq!(utf8_prefix(b"abc"), ("abc", false));
        assert_eq!(utf8_prefix(&"аб".as_bytes()[..3]), ("а", false));
        assert_eq!(utf8_prefix(b"ok\xFFok"), ("ok", true));
        assert_eq!(utf8_prefix(b""), ("", false));
        assert_eq!(utf8_prefix(&"🇷".as_bytes()[..3]), ("", false));
        // A file that ends inside a character: the prefix stops before it.
        assert_eq!(utf8_prefix(&"ок".as_bytes()[..3]), ("о", false));
    }
}
