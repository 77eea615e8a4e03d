//! Format detection by content: a single streaming scan of the input (done while it is hashed)
//! that checks encoding, binary data and line lengths and keeps the head for sniffing. Text in
//! UTF-16 or UTF-32 (known by its byte-order mark, or by where the NUL bytes of its head fall) is
//! refused with its encoding named, not as binary data.

use tgscope_model::Format;

use crate::error::DetectError;
use crate::text::MAX_LINE_BYTES;
use crate::text::labels::{Label, classify};

/// How much of the input's start is kept for sniffing.
const HEAD_BYTES: usize = 64 * 1024;

/// What a scan of the whole input found. Feed it every chunk in order, then call [`detect`].
#[derive(Debug, Default)]
pub struct ContentScan {
    head: Vec<u8>,
    size: u64,
    /// Bytes of an incomplete UTF-8 sequence at the end of the last chunk.
    carry: Vec<u8>,
    first_invalid_utf8: Option<(u64, u64)>,
    first_nul: Option<u64>,
    lines: u64,
    current_line_len: u64,
    longest_line: (u64, u64),
}

impl ContentScan {
    /// A scan that has seen nothing yet.
    pub fn new() -> ContentScan {
        ContentScan {
            lines: 1,
            ..ContentScan::default()
        }
    }

    /// Whether the head kept for sniffing is full (the first 64 KiB were fed): from then on
    /// [`refusal_in_head`] gives the answer it would give at the input's end.
    pub fn head_complete(&self) -> bool {
        self.head.len() >= HEAD_BYTES
    }

    /// Takes in the next chunk of the input.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        let base = self.size;
        for (i, &b) in chunk.iter().enumerate() {
            if b == b'\n' {
                self.end_line();
                self.lines += 1;
            } else {
                self.current_line_len += 1;
            }
            if b == 0 && self.first_nul.is_none() {
                self.first_nul = Some(base + i as u64);
            }
        }
        if self.first_invalid_utf8.is_none() {
            self.check_utf8(chunk, base);
        }
        self.size += chunk.len() as u64;
    }

    fn end_line(&mut self) {
        if self.current_line_len > self.longest_line.1 {
            self.longest_line = (self.lines, self.current_line_len);
        }
        self.current_line_len = 0;
    }

    fn check_utf8(&mut self, chunk: &[u8], base: u64) {
        let carried = self.carry.len() as u64;
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.extend_from_slice(chunk);
        match std::str::from_utf8(&bytes) {
            Ok(_) => {}
            Err(e) => {
                let valid = e.valid_up_to();
                if e.error_len().is_none() && bytes.len() - valid < 4 {
                    // An incomplete sequence at the end: wait for the next chunk.
                    self.carry = bytes[valid..].to_vec();
                } else {
                    let at = base - carried + valid as u64;
                    let line = 1 + bytes[..valid].iter().filter(|&&b| b == b'\n').count() as u64;
                    // `line` counts only within this chunk; add lines before it.
                    let lines_before = self.lines_before(chunk);
                    self.first_invalid_utf8 = Some((at, lines_before + line - 1));
                }
            }
        }
    }

    /// Line number at the start of `chunk` (the scan has already counted the chunk's lines).
    fn lines_before(&self, chunk: &[u8]) -> u64 {
        self.lines - chunk.iter().filter(|&&b| b == b'\n').count() as u64
    }

    /// Finishes the scan (call after the last chunk).
    pub fn finish(&mut self) {
        self.end_line();
        if !self.carry.is_empty() && self.first_invalid_utf8.is_none() {
            self.first_invalid_utf8 = Some((self.size - self.carry.len() as u64, self.lines));
        }
    }

    /// Total bytes seen.
    pub fn size(&self) -> u64 {
        self.size
    }
}

/// The result of detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// The format to read the input as.
    pub format: Format,
    /// A note for the user when detection was not sure.
    pub note: Option<String>,
}

/// Decides the format of a scanned input, or says why it cannot be read.
pub fn detect(scan: &ContentScan) -> Result<Detected, DetectError> {
    check_encoding(scan)?;
    let head = String::from_utf8_lossy(&scan.head);
    let trimmed = head.trim_start_matches('\u{feff}').trim_start();
    if trimmed.is_empty() {
        return Err(DetectError::Empty);
    }
    // Structured formats first: their lines may be of any length.
    if crate::desktop_json::looks_like_export(trimmed) {
        return Ok(Detected {
            format: Format::DesktopJson,
            note: None,
        });
    }
    if crate::desktop_html::looks_like_page(trimmed) {
        return Ok(Detected {
            format: Format::DesktopHtml,
            note: None,
        });
    }
    // After the Desktop HTML check: an export page is never a t.me page, but a message of an
    // export may quote t.me's markup.
    if crate::tme::looks_like_page(trimmed) {
        return Ok(Detected {
            format: Format::TmeHtml,
            note: None,
        });
    }
    if crate::dump::looks_like_dump(trimmed) {
        return Ok(Detected {
            format: Format::Dump,
            note: None,
        });
    }
    check_lines(scan)?;
    if let Some(what) = structured_kind(trimmed) {
        return Err(DetectError::Unknown {
            what: format!(
                "{what}, not in a shape tgscope reads (Telegram Desktop JSON or HTML exports, \
                 t.me web preview pages, message dumps, plain-text captures)"
            ),
        });
    }
    let mut markers = 0;
    let mut prose = 0;
    let mut nonblank = 0;
    for line in trimmed.lines().take(2000) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        nonblank += 1;
        match classify(line) {
            Some(Label::DaySeparator { .. }) | Some(Label::LostLink(_)) | None => {}
            Some(_) => markers += 1,
        }
        if line.chars().filter(|c| c.is_alphabetic()).count() * 2 >= line.chars().count() {
            prose += 1;
        }
    }
    if markers > 0 {
        return Ok(Detected {
            format: Format::Text,
            note: None,
        });
    }
    if prose * 2 >= nonblank {
        return Ok(Detected {
            format: Format::Text,
            note: Some(
                "no Telegram markers (\"Forwarded from\", message headers, view counts) found; \
                 read as plain text"
                    .to_string(),
            ),
        });
    }
    Err(DetectError::Unknown {
        what: "text without Telegram markers and mostly not prose".to_string(),
    })
}

/// Checks what the plain-text format needs: [`check_encoding`] and sane line lengths.
pub fn check_text(scan: &ContentScan) -> Result<(), DetectError> {
    check_encoding(scan)?;
    check_lines(scan)
}

/// Checks that no line is far longer than a text capture's.
fn check_lines(scan: &ContentScan) -> Result<(), DetectError> {
    let (line, length) = scan.longest_line;
    if length > MAX_LINE_BYTES as u64 {
        return Err(DetectError::LineTooLong {
            line,
            length,
            limit: MAX_LINE_BYTES,
        });
    }
    Ok(())
}

/// Checks what every format tgscope reads needs: bytes, UTF-8 (not UTF-16 or UTF-32: those are
/// named), no NULs, no binary signature.
pub fn check_encoding(scan: &ContentScan) -> Result<(), DetectError> {
    if scan.size == 0 {
        return Err(DetectError::Empty);
    }
    if let Some(refused) = refusal_in_head(scan) {
        return Err(refused);
    }
    if let Some((byte, line)) = scan.first_invalid_utf8 {
        return Err(DetectError::NotUtf8 { byte, line });
    }
    Ok(())
}

/// What refuses an input from its first bytes alone, whatever follows them: UTF-16 or UTF-32
/// text, a binary signature (an image, an archive, an executable), or a NUL byte. The ingest
/// asks after its first block, so that binary data (or an endless device) is refused before
/// it is read in full or copied; [`check_encoding`] gives the same answer at the end.
pub fn refusal_in_head(scan: &ContentScan) -> Option<DetectError> {
    if let Some(wide) = wide_text(&scan.head, scan.first_nul.is_some()) {
        return Some(DetectError::WideText {
            encoding: wide.name.to_string(),
            bom: wide.bom,
            iconv: if wide.bom {
                wide.iconv_with_bom.to_string()
            } else {
                wide.iconv.to_string()
            },
        });
    }
    if let Some(what) = binary_signature(&scan.head) {
        return Some(DetectError::Binary {
            what: what.to_string(),
            byte: 0,
        });
    }
    scan.first_nul.map(|byte| DetectError::Binary {
        what: "a NUL byte".to_string(),
        byte,
    })
}

/// A UTF-16 or UTF-32 encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Wide {
    /// As people name it.
    name: &'static str,
    /// Its `iconv` name when the text has no byte-order mark.
    iconv: &'static str,
    /// Its `iconv` name when a byte-order mark says the byte order.
    iconv_with_bom: &'static str,
    /// Bytes per code unit.
    unit: usize,
    /// Little-endian.
    le: bool,
    /// Whether the text starts with a byte-order mark.
    bom: bool,
}

/// The encodings tgscope names, UTF-32 first (its little-endian mark starts like UTF-16's).
const WIDE: [Wide; 4] = [
    Wide {
        name: "UTF-32 LE",
        iconv: "UTF-32LE",
        iconv_with_bom: "UTF-32",
        unit: 4,
        le: true,
        bom: false,
    },
    Wide {
        name: "UTF-32 BE",
        iconv: "UTF-32BE",
        iconv_with_bom: "UTF-32",
        unit: 4,
        le: false,
        bom: false,
    },
    Wide {
        name: "UTF-16 LE",
        iconv: "UTF-16LE",
        iconv_with_bom: "UTF-16",
        unit: 2,
        le: true,
        bom: false,
    },
    Wide {
        name: "UTF-16 BE",
        iconv: "UTF-16BE",
        iconv_with_bom: "UTF-16",
        unit: 2,
        le: false,
        bom: false,
    },
];

impl Wide {
    /// This encoding's byte-order mark.
    fn mark(&self) -> &'static [u8] {
        match (self.unit, self.le) {
            (4, true) => b"\xFF\xFE\x00\x00",
            (4, false) => b"\x00\x00\xFE\xFF",
            (_, true) => b"\xFF\xFE",
            (_, false) => b"\xFE\xFF",
        }
    }

    /// The code units of `bytes` (a last incomplete one left out).
    fn units<'a>(&self, bytes: &'a [u8]) -> impl Iterator<Item = u32> + 'a {
        let (unit, le) = (self.unit, self.le);
        bytes.chunks_exact(unit).map(move |c| {
            let mut v = 0u32;
            for i in 0..unit {
                let b = if le { c[unit - 1 - i] } else { c[i] };
                v = (v << 8) | u32::from(b);
            }
            v
        })
    }

    /// Whether `bytes` read in this encoding are text: `None` unless every character is valid
    /// (no lone surrogate, nothing past U+10FFFF) and none is a NUL, a control character other
    /// than tab, line feed, form feed and carriage return, or U+FFFE / U+FFFF, and there is at
    /// least one; else `Some(true)` when a line feed is among them.
    fn reads_as_text(&self, bytes: &[u8]) -> Option<bool> {
        let text_char = |c: char| {
            (!c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
                && !matches!(c, '\u{fffe}' | '\u{ffff}')
        };
        let (mut any, mut newline) = (false, false);
        let mut take = |c: Option<char>| match c {
            Some(c) if text_char(c) => {
                any = true;
                newline |= c == '\n';
                true
            }
            _ => false,
        };
        if self.unit == 4 {
            if !self.units(bytes).all(|v| take(char::from_u32(v))) {
                return None;
            }
            return any.then_some(newline);
        }
        let units: Vec<u16> = self.units(bytes).map(|v| v as u16).collect();
        // A character cut by the end of the head: its first half is left out.
        let whole = match units.last() {
            Some(last) if (0xD800..0xDC00).contains(last) => &units[..units.len() - 1],
            _ => &units[..],
        };
        if !char::decode_utf16(whole.iter().copied()).all(|c| take(c.ok())) {
            return None;
        }
        any.then_some(newline)
    }

    /// True when the NUL bytes of `bytes` fall where this encoding's text puts them: UTF-16 text
    /// in a script written with ASCII spaces and punctuation has a NUL in the high byte of at
    /// least one unit of 16; UTF-32 has one in every unit. At least four such NULs.
    fn nul_pattern(&self, bytes: &[u8]) -> bool {
        let units = bytes.len() / self.unit;
        let high = if self.le { self.unit - 1 } else { 0 };
        let mut in_high = 0usize;
        for (i, &b) in bytes[..units * self.unit].iter().enumerate() {
            if b == 0 && i % self.unit == high {
                in_high += 1;
            }
        }
        in_high >= 4
            && match self.unit {
                4 => in_high == units,
                _ => in_high * 16 >= units,
            }
    }
}

/// The UTF-16 or UTF-32 encoding of a text, from its byte-order mark, or (when `has_nul`) from
/// the places of the NUL bytes in its head and a decoding of the head that gives only text, with
/// a line break (a byte-order mark is sure enough; without one, UTF-8 with a few stray NULs
/// must not pass for UTF-16).
fn wide_text(head: &[u8], has_nul: bool) -> Option<Wide> {
    for wide in WIDE {
        if let Some(rest) = head.strip_prefix(wide.mark())
            && (rest.is_empty() || wide.reads_as_text(rest).is_some())
        {
            return Some(Wide { bom: true, ..wide });
        }
    }
    if !has_nul {
        return None;
    }
    WIDE.into_iter()
        .find(|wide| wide.nul_pattern(head) && wide.reads_as_text(head) == Some(true))
}

fn binary_signature(head: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"PK\x03\x04", "a ZIP archive"),
        (b"%PDF", "a PDF document"),
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"\x1f\x8b", "a gzip archive"),
        (b"\x28\xb5\x2f\xfd", "a zstd archive"),
        (b"SQLite format 3", "an SQLite database"),
        (b"\x7fELF", "an executable"),
    ];
    SIGNATURES
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map(|(_, what)| *what)
}

/// Names structured formats that are not plain text captures.
fn structured_kind(head: &str) -> Option<&'static str> {
    let lower: String = head.chars().take(512).collect::<String>().to_lowercase();
    if lower.starts_with('{') || lower.starts_with('[') && !lower.starts_with("[ ") {
        if head.contains("\"messages\"") || head.contains("\"chats\"") {
            return Some("JSON that looks like a Telegram Desktop export (result.json)");
        }
        if lower.starts_with('{') || looks_like_json_array(&lower) {
            return Some("JSON");
        }
    }
    if lower.starts_with("<!doctype html")
        || lower.starts_with("<html")
        || lower.starts_with("<div")
    {
        if head.contains("tgme_widget_message") {
            return Some("HTML of a t.me/s web preview page");
        }
        if head.contains("class=\"page_wrap\"") || head.contains("class=\"history\"") {
            return Some("HTML of a Telegram Desktop export");
        }
        return Some("HTML");
    }
    if lower.starts_with("<?xml") {
        return Some("XML");
    }
    None
}

fn looks_like_json_array(lower: &str) -> bool {
    let rest = lower[1..].trim_start();
    rest.starts_with('{') || rest.starts_with('"') || rest.starts_with(']')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(bytes: &[u8], chunk: usize) -> ContentScan {
        let mut s = ContentScan::new();
        for c in bytes.chunks(chunk.max(1)) {
            s.feed(c);
        }
        s.finish();
        s
    }

    #[test]
    fn a_capture_with_markers_is_text() {
        let s = scan(
            "Forwarded from Russian MFA 🇷🇺\nMedia is too big\nHello\n".as_bytes(),
            7,
        );
        assert_eq!(
            detect(&s),
            Ok(Detected {
                format: Format::Text,
                note: None
            })
        );
    }

    #[test]
    fn prose_without_markers_is_text_with_a_note() {
        let s = scan(b"Just some words a channel wrote.\nAnd more words.\n", 5);
        let d = detect(&s).expect("prose is text");
        assert!(d.note.is_some());
    }

    /// `text` in UTF-16 or UTF-32, either byte order, with or without a byte-order mark.
    fn encode(text: &str, unit: usize, le: bool, bom: bool) -> Vec<u8> {
        let text = if bom {
            format!("\u{feff}{text}")
        } else {
            text.to_string()
        };
        let units: Vec<u32> = if unit == 2 {
            text.encode_utf16().map(u32::from).collect()
        } else {
            text.chars().map(u32::from).collect()
        };
        let mut out = Vec::new();
        for u in units {
            let bytes = u.to_be_bytes();
            let mut bytes = bytes[4 - unit..].to_vec();
            if le {
                bytes.reverse();
            }
            out.extend(bytes);
        }
        out
    }

    #[test]
    fn utf16_and_utf32_are_named_with_how_to_convert_them() {
        let text = "Forwarded from Russian MFA 🇷🇺\nМИД России: заявление от 1 июля.\n1.2K views\n";
        for (unit, le, name, iconv) in [
            (2, true, "UTF-16 LE", "UTF-16LE"),
            (2, false, "UTF-16 BE", "UTF-16BE"),
            (4, true, "UTF-32 LE", "UTF-32LE"),
            (4, false, "UTF-32 BE", "UTF-32BE"),
        ] {
            for bom in [true, false] {
                let bytes = encode(text, unit, le, bom);
                let got = detect(&scan(&bytes, 5));
                let iconv = match (bom, unit) {
                    (false, _) => iconv,
                    (true, 2) => "UTF-16",
                    (true, _) => "UTF-32",
                };
                assert_eq!(
                    got,
                    Err(DetectError::WideText {
                        encoding: name.to_string(),
                        bom,
                        iconv: iconv.to_string()
                    }),
                    "{name}, mark {bom}"
                );
                let message = got.expect_err("refused").to_string();
                let opening = if bom {
                    format!("{name} text (with a byte-order mark), not UTF-8")
                } else {
                    format!("{name} text, not UTF-8")
                };
                assert!(message.starts_with(&opening), "{message}");
                assert!(
                    message.contains("save the file as UTF-8")
                        && message.contains(&format!("iconv -f {iconv} -t UTF-8")),
                    "{message}"
                );
                // Forcing a format checks the encoding the same way.
                assert!(matches!(
                    check_text(&scan(&bytes, 4096)),
                    Err(DetectError::WideText { .. })
                ));
            }
        }
        // What `ingest` prints after "skipped <file>: " (docs/text-captures.md shows it).
        assert_eq!(
            detect(&scan(&encode(text, 2, true, true), 4096))
                .expect_err("refused")
                .to_string(),
            "UTF-16 LE text (with a byte-order mark), not UTF-8: tgscope reads UTF-8 only; save \
             the file as UTF-8 and ingest that (for instance: iconv -f UTF-16 -t UTF-8 FILE > \
             FILE.utf8.txt)"
        );
        // A text of one character, and a head that ends inside a surrogate pair.
        assert!(matches!(
            detect(&scan(&encode("a", 2, true, true), 8)),
            Err(DetectError::WideText { .. })
        ));
        let mut cut = encode(&"мир 🇷🇺\n".repeat(10), 2, true, false);
        cut.truncate(cut.len() - 4);
        assert!(matches!(
            detect(&scan(&cut, 8)),
            Err(DetectError::WideText { encoding, .. }) if encoding == "UTF-16 LE"
        ));
    }

    #[test]
    fn binary_data_with_nul_bytes_is_not_taken_for_utf16() {
        // UTF-8 text with one stray NUL: binary data, as before.
        let mut bytes = "Forwarded from Russian MFA\nSome words of a post.\n"
            .repeat(20)
            .into_bytes();
        bytes.insert(301, 0);
        assert_eq!(
            detect(&scan(&bytes, 64)),
            Err(DetectError::Binary {
                what: "a NUL byte".into(),
                byte: 301
            })
        );
        // Bytes with NULs at both parities, or decoding to control characters.
        for bytes in [
            b"\x00\x01\x02\x03\x04\x05\x06\x07".repeat(8),
            b"ab\x00\x00cd\x00\x00\x00e".to_vec(),
            b"\x01\x00\x02\x00\x03\x00".repeat(4),
        ] {
            assert!(
                matches!(detect(&scan(&bytes, 8)), Err(DetectError::Binary { .. })),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn bad_inputs_say_what_and_where() {
        assert_eq!(detect(&scan(b"", 4)), Err(DetectError::Empty));
        assert_eq!(detect(&scan(b"  \n\n ", 4)), Err(DetectError::Empty));
        assert_eq!(
            detect(&scan(b"abc\ndef\x00ghi", 3)),
            Err(DetectError::Binary {
                what: "a NUL byte".into(),
                byte: 7
            })
        );
        // An invalid byte on line 3, found whatever the chunking.
        for chunk in [1, 2, 3, 100] {
            assert_eq!(
                detect(&scan(b"ok\nok\nbad \xff here\n", chunk)),
                Err(DetectError::NotUtf8 { byte: 10, line: 3 }),
                "chunk size {chunk}"
            );
        }
        // A multi-byte character split across chunks is fine.
        let s = scan("Привет, мир\n".as_bytes(), 1);
        assert!(detect(&s).is_ok());
        // A truncated multi-byte character at the very end is not.
        let mut bytes = "ok\nПри".as_bytes().to_vec();
        bytes.pop();
        assert!(matches!(
            detect(&scan(&bytes, 2)),
            Err(DetectError::NotUtf8 { line: 2, .. })
        ));
        assert!(matches!(
            detect(&scan(br#"{"name": "x", "messages": []}"#, 8)),
            Err(DetectError::Unknown { what }) if what.contains("Telegram Desktop export")
        ));
        assert!(matches!(
            detect(&scan(b"PK\x03\x04rest", 8)),
            Err(DetectError::Binary { .. })
        ));
        let long = vec![b'a'; MAX_LINE_BYTES + 10];
        assert!(matches!(
            detect(&scan(&long, 4096)),
            Err(DetectError::LineTooLong { line: 1, .. })
        ));
        assert!(matches!(
            detect(&scan(b"1,2,3\n4,5,6\n7,8,9\n", 8)),
            Err(DetectError::Unknown { .. })
        ));
    }
}
