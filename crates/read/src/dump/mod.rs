//! Message dumps: JSON or JSON Lines lists of messages as scraping scripts write them.
//!
//! A dump is a JSON array of message objects (Telethon scripts' `json.dump(messages)`), or one
//! object after another (JSON Lines, one per line, or pretty-printed objects one after the
//! other). The file is walked without loading it: each record is deserialised on its own, so
//! memory holds one record at a time whatever the dump's size. A truncated or corrupt record
//! ends the stream with an error naming its byte offset, after every record before it.
//!
//! Fields are found under their common names (`message_id`/`id`/`msg_id`,
//! `text`/`message`/`content`/`body`, `date`/`timestamp`/`datetime`, `channel`/`chat`/
//! `channel_username`/`peer_id`, `views`, `sender_id`/`from_id`, `reply_to_msg_id`/`reply_to`,
//! `fwd_from`/`forwarded_from`, `media`), or where a [`FieldMap`] (the `--map` option) says.
//! Text in Telethon's markdown (`**bold**`, `__italic__`, `~~strike~~`, `` `code` ``,
//! ```` ```pre``` ````, `[label](url)`) becomes clean text with entities and links; text with
//! Telegram's own `entities` (Telethon's `to_dict()`, Pyrogram) and Desktop-style runs are read
//! too. Times with a UTC offset or in unix seconds are observed; times without an offset are
//! kept as inferred local times, with a warning.

mod fields;
mod markdown;
mod record;
mod spans;
mod values;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::io::BufRead;

use chrono::FixedOffset;
use serde_json::Value;
use tgscope_model::{Location, ReadItem};

use crate::error::ReadError;
pub use fields::FieldMap;

/// Options of the dump reader.
#[derive(Debug, Clone, Default)]
pub struct DumpOptions {
    /// Which fields hold what; fields it leaves out are found by their common names.
    pub map: FieldMap,
    /// The UTC offset of times written without one: with it they become observed UTC times;
    /// without it they stay inferred local times.
    pub utc_offset: Option<FixedOffset>,
}

/// Where the reader is in the dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first byte.
    Start,
    /// Inside a JSON array, before an element or its closing `]`.
    Array,
    /// After the array's closing `]`.
    AfterArray,
    /// Objects one after another (JSON Lines).
    Lines,
    /// Finished (at the end or after an error).
    Done,
}

/// Reads a message dump (JSON array or JSON Lines), one record at a time.
pub struct DumpReader<R: BufRead> {
    input: Input<R>,
    converter: record::Converter,
    state: State,
    /// Records read so far (the next one's index).
    index: usize,
    pending: VecDeque<Result<ReadItem, ReadError>>,
    /// The current record's bytes (kept between records while small).
    buffer: Vec<u8>,
}

/// Longest record read: a message is a few KiB; anything far larger is not one. The same
/// budget as a Desktop JSON message's, so that a record held and parsed stays within the
/// documented memory ceiling (docs/bad-input.md, "Memory").
const MAX_RECORD_BYTES: usize = 64 << 20;

/// Largest record buffer kept for the next record.
const KEPT_BUFFER_BYTES: usize = 1 << 20;

impl<R: BufRead> DumpReader<R> {
    /// A reader over a dump's bytes.
    pub fn new(source: R, options: DumpOptions) -> Self {
        DumpReader {
            input: Input {
                inner: source,
                offset: 0,
                line: 1,
            },
            converter: record::Converter::new(options.map, options.utc_offset),
            state: State::Start,
            index: 0,
            pending: VecDeque::new(),
            buffer: Vec::new(),
        }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.input.offset
    }

    fn malformed(&self, byte: u64, reason: impl Into<String>) -> ReadError {
        ReadError::Malformed {
            byte,
            reason: reason.into(),
        }
    }

    /// Reads until at least one item is pending or the dump ends.
    fn advance(&mut self) -> Result<(), ReadError> {
        while self.pending.is_empty() {
            match self.state {
                State::Done => return Ok(()),
                State::Start => {
                    if self.input.fill()?.starts_with(b"\xEF\xBB\xBF") {
                        self.input.bump(3);
                    }
                    match self.input.peek_token()? {
                        None => self.state = State::Done,
                        Some(b'[') => {
                            self.input.bump(1);
                            self.state = State::Array;
                        }
                        Some(b'{') => self.state = State::Lines,
                        Some(b) => {
                            self.state = State::Done;
                            return Err(self.malformed(
                                self.input.offset,
                                format!(
                                    "a message dump starts with '[' (a JSON list) or '{{' (JSON \
                                     Lines), not {}",
                                    shown_byte(b)
                                ),
                            ));
                        }
                    }
                }
                State::Array => {
                    match self.input.peek_token()? {
                        Some(b']') => {
                            // The end (after a trailing comma too, which is let pass).
                            self.input.bump(1);
                            self.state = State::AfterArray;
                            continue;
                        }
                        None => {
                            self.state = State::Done;
                            return Err(self.malformed(
                                self.input.offset,
                                format!(
                                    "the file ends inside the list, after {} records (truncated \
                                     dump?)",
                                    self.index
                                ),
                            ));
                        }
                        Some(_) => {}
                    }
                    let locator = format!("[{}]", self.index);
                    let items = self.record(locator)?;
                    // The separator after the record: ',' or ']'.
                    let after = self.input.peek_token();
                    self.pending.extend(items.into_iter().map(Ok));
                    match after {
                        Err(e) => {
                            self.state = State::Done;
                            self.pending.push_back(Err(e));
                        }
                        Ok(Some(b',')) => {
                            self.input.bump(1);
                            self.state = State::Array;
                        }
                        Ok(Some(b']')) => {
                            self.input.bump(1);
                            self.state = State::AfterArray;
                        }
                        Ok(None) => {
                            self.state = State::Done;
                            let err = self.malformed(
                                self.input.offset,
                                format!(
                                    "the file ends after record [{}], before the list's closing \
                                     ']' (truncated dump?)",
                                    self.index.saturating_sub(1)
                                ),
                            );
                            self.pending.push_back(Err(err));
                        }
                        Ok(Some(b)) => {
                            self.state = State::Done;
                            let err = self.malformed(
                                self.input.offset,
                                format!(
                                    "expected ',' or ']' after record [{}], found {}",
                                    self.index.saturating_sub(1),
                                    shown_byte(b)
                                ),
                            );
                            self.pending.push_back(Err(err));
                        }
                    }
                }
                State::AfterArray => {
                    self.state = State::Done;
                    if let Some(b) = self.input.peek_token()? {
                        return Err(self.malformed(
                            self.input.offset,
                            format!("{} after the list's closing ']'", shown_byte(b)),
                        ));
                    }
                }
                State::Lines => match self.input.peek_token()? {
                    None => self.state = State::Done,
                    Some(_) => {
                        let locator = format!("line {}", self.input.line);
                        let items = self.record(locator)?;
                        self.pending.extend(items.into_iter().map(Ok));
                    }
                },
            }
        }
        Ok(())
    }

    /// Reads the record at the current position (whitespace skipped) and converts it.
    fn record(&mut self, locator: String) -> Result<Vec<ReadItem>, ReadError> {
        self.input.peek_token()?;
        let start = self.input.offset;
        let line_start = self.input.line;
        let mut bytes = std::mem::take(&mut self.buffer);
        bytes.clear();
        let complete = self.input.take_value(&mut bytes)?;
        let parsed = if complete {
            serde_json::from_slice::<Value>(&bytes)
                .map_err(|e| self.bad_record(&e, &bytes, &locator, start))
        } else if bytes.len() > MAX_RECORD_BYTES {
            Err(self.malformed(
                start,
                format!(
                    "record {locator} is longer than {} MiB: not a message",
                    MAX_RECORD_BYTES >> 20
                ),
            ))
        } else {
            Err(self.malformed(
                start,
                format!(
                    "record {locator} is cut off: the file ends at byte {} inside it (truncated \
                     dump?)",
                    self.input.offset
                ),
            ))
        };
        if bytes.capacity() <= KEPT_BUFFER_BYTES {
            self.buffer = bytes;
        }
        let value = parsed.inspect_err(|_| self.state = State::Done)?;
        let location = Location {
            line_start,
            line_end: self.input.line,
            byte_start: start,
            byte_end: self.input.offset,
            locator: Some(locator),
        };
        self.index += 1;
        Ok(self.converter.convert(value, location))
    }

    /// The error for a record whose bytes are not valid JSON.
    fn bad_record(
        &self,
        e: &serde_json::Error,
        bytes: &[u8],
        locator: &str,
        start: u64,
    ) -> ReadError {
        let what = e.to_string();
        let what = what
            .rsplit_once(" at line ")
            .map_or(what.as_str(), |(w, _)| w);
        // serde_json counts lines from 1 and columns (bytes) from 1 within the record.
        let line_at = bytes
            .split(|&b| b == b'\n')
            .take(e.line().saturating_sub(1))
            .map(|l| l.len() + 1)
            .sum::<usize>();
        let near = start + (line_at + e.column().saturating_sub(1)) as u64;
        self.malformed(
            start,
            format!("record {locator} is not valid JSON: {what} (near byte {near})"),
        )
    }
}

impl<R: BufRead> Iterator for DumpReader<R> {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pending.is_empty()
            && let Err(e) = self.advance()
        {
            self.state = State::Done;
            return Some(Err(e));
        }
        self.pending.pop_front()
    }
}

/// A byte for a message: the char, or its hex value.
fn shown_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", char::from(b))
    } else {
        format!("byte 0x{b:02X}")
    }
}

/// True when the head of a file looks like a message dump: a JSON array whose first element,
/// or a first line, is an object with an id-like and a text-like field (or a `t.me` message
/// link for the id). The head may end anywhere, inside the first record too.
pub fn looks_like_dump(head: &str) -> bool {
    let head = head.trim_start_matches('\u{feff}').trim_start();
    let object = if let Some(rest) = head.strip_prefix('[') {
        rest.trim_start()
    } else {
        head
    };
    if !object.starts_with('{') {
        return false;
    }
    let keys = first_object_keys(object);
    let has = |names: &[&str]| keys.iter().any(|k| names.contains(&k.as_str()));
    let id_like = has(fields::ID) || (has(fields::URL) && head.contains("t.me/"));
    let text_like = has(fields::TEXT) || keys.iter().any(|k| k == "text_entities");
    let export_like = ["messages", "chats", "left_chats", "personal_information"]
        .iter()
        .any(|k| keys.iter().any(|key| key == k));
    id_like && text_like && !export_like
}

/// The keys of the object `s` starts with (at its top level, as far as `s` goes).
fn first_object_keys(s: &str) -> Vec<String> {
    let bytes = s.as_bytes();
    let mut keys = Vec::new();
    let mut depth = 0usize;
    let mut i = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                let after = s
                    .get(j.saturating_add(1).min(s.len())..)
                    .unwrap_or_default();
                if depth == 1
                    && after.trim_start().starts_with(':')
                    && let Some(key) = s.get(start..j.min(s.len()))
                {
                    keys.push(key.to_string());
                }
                i = j + 1;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
        i += 1;
    }
    keys
}

/// The input, counting bytes and lines as they are consumed.
struct Input<R> {
    inner: R,
    offset: u64,
    /// The current line (1-based).
    line: u64,
}

impl<R: BufRead> Input<R> {
    fn fill(&mut self) -> Result<&[u8], ReadError> {
        let line = self.line;
        self.inner
            .fill_buf()
            .map_err(|source| ReadError::Io { line, source })
    }

    /// Consumes `n` bytes that the last [`Input::fill`] showed.
    fn bump(&mut self, n: usize) {
        let newlines = match self.inner.fill_buf() {
            Ok(buf) => buf.iter().take(n).filter(|&&b| b == b'\n').count(),
            Err(_) => 0,
        };
        self.line += newlines as u64;
        self.offset += n as u64;
        self.inner.consume(n);
    }

    /// The next byte that is not whitespace, without consuming it; `None` at the end.
    fn peek_token(&mut self) -> Result<Option<u8>, ReadError> {
        loop {
            let buf = self.fill()?;
            let Some(&b) = buf.first() else {
                return Ok(None);
            };
            let blanks = buf
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
                .count();
            if blanks == 0 {
                return Ok(Some(b));
            }
            self.bump(blanks);
        }
    }

    /// Moves the JSON value starting here (whitespace skipped) into `out`, tracking strings
    /// and nesting, without parsing it. `Ok(false)` when the input ends inside the value or the
    /// value is longer than [`MAX_RECORD_BYTES`].
    fn take_value(&mut self, out: &mut Vec<u8>) -> Result<bool, ReadError> {
        let Some(first) = self.peek_token()? else {
            return Ok(false);
        };
        let mut scan = Scan {
            depth: 0,
            in_string: false,
            escaped: false,
            scalar: !matches!(first, b'{' | b'[' | b'"'),
        };
        loop {
            let buf = self.fill()?;
            if buf.is_empty() {
                // A number or literal may end with the input.
                return Ok(scan.scalar && !out.is_empty());
            }
            let (take, done) = match scan.end_in(buf) {
                Some(end) => (end, true),
                None => (buf.len(), false),
            };
            out.extend_from_slice(buf.get(..take).unwrap_or_default());
            self.bump(take);
            if done {
                return Ok(true);
            }
            if out.len() > MAX_RECORD_BYTES {
                return Ok(false);
            }
        }
    }
}

/// Where a JSON value ends, fed chunk by chunk.
struct Scan {
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// A number or literal: it ends before a delimiter or whitespace.
    scalar: bool,
}

impl Scan {
    /// The length of the part of `chunk` that belongs to the value when the value ends in it.
    fn end_in(&mut self, chunk: &[u8]) -> Option<usize> {
        for (i, &b) in chunk.iter().enumerate() {
            if self.scalar {
                if matches!(b, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t') {
                    return Some(i);
                }
                continue;
            }
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }
}
