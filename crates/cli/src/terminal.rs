//! Text for people's terminals: control characters made visible.
//!
//! Post texts, channel names and file names come from strangers. A raw ESC, BEL or CR that
//! reaches a terminal can rewrite what is on screen (hide a line, fake a prompt, set the
//! title): tables and messages for people show every control character but the line break and
//! the tab as an escape (`\x1b`, `\x07`, `\x0d`, `\u{85}` for C1 controls). JSON, JSON Lines and
//! CSV keep the data as it is.

use std::borrow::Cow;
use std::io::{self, Write};

/// Whether `c` must not reach a terminal as it is.
fn is_hazard(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `text` with every control character but `\n` and `\t` written as a visible escape.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hazard) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hazard(c) {
            let n = c as u32;
            if n < 0x80 {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A writer for people's output that makes control characters visible ([`visible`]) in
/// everything written through it. Bytes of a character split between two writes wait for the
/// rest; bytes that are not UTF-8 are written as `\xNN`.
pub struct ForPeople<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> ForPeople<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> ForPeople<W> {
        ForPeople {
            inner,
            pending: Vec::new(),
        }
    }
}

impl<W: Write> Write for ForPeople<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        let mut at = 0;
        loop {
            match std::str::from_utf8(&self.pending[at..]) {
                Ok(text) => {
                    self.inner.write_all(visible(text).as_bytes())?;
                    at = self.pending.len();
                    break;
                }
                Err(e) => {
                    let good = at + e.valid_up_to();
                    let text = std::str::from_utf8(&self.pending[at..good]).unwrap_or_default();
                    self.inner.write_all(visible(text).as_bytes())?;
                    match e.error_len() {
                        Some(bad) => {
                            for b in &self.pending[good..good + bad] {
                                write!(self.inner, "\\x{b:02x}")?;
                            }
                            at = good + bad;
                        }
                        // An incomplete character at the end: wait for the next write.
                        None => {
                            at = good;
                            break;
                        }
                    }
                }
            }
        }
        self.pending.drain(..at);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            for b in rest {
                write!(self.inner, "\\x{b:02x}")?;
            }
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_text_kept() {
        assert_eq!(visible("plain\ttext\nМосква"), "plain\ttext\nМосква");
        assert_eq!(
            visible("a\u{1b}[2Jb\u{7}c\rd\u{85}e\u{7f}"),
            "a\\x1b[2Jb\\x07c\\x0dd\\u{85}e\\x7f"
        );
    }

    #[test]
    fn a_character_split_between_writes_is_whole() {
        let mut out = ForPeople::new(Vec::new());
        let bytes = "я\u{1b}".as_bytes();
        out.write_all(&bytes[..1]).expect("write");
        out.write_all(&bytes[1..]).expect("write");
        out.write_all(b"\xff!").expect("write");
        out.flush().expect("flush");
        assert_eq!(String::from_utf8(out.inner).expect("utf-8"), "я\\x1b\\xff!");
    }
}
