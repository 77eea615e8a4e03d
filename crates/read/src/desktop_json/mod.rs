//! Telegram Desktop JSON exports (`result.json`), read as a stream.
//!
//! The export is read in blocks into a sliding window of UTF-8 text (checked once, with SIMD,
//! as it comes in). A small navigator finds its way through the top-level object (a single
//! chat's `messages`, or a full export's `chats.list[]` and `left_chats.list[]`), skipping every
//! section it does not need, and each message object is parsed by serde_json where it lies in
//! the window, borrowing its strings. Memory stays flat whatever the export's size. A truncated
//! or corrupt file ends the stream with an error naming the byte offset, after every message
//! before the damage. Well-formed JSON with values of the wrong type is not damage: a warning
//! names the message and the stream goes on (a wrong `id` or `text` keeps the message without
//! it, another wrong value leaves the message out), and a unix time outside the years 1 to 9999
//! is refused with a warning.

mod message;
mod window;

use std::io::Read;

use tgscope_model::{ChannelRef, ReadItem};

use crate::error::ReadError;
pub use message::JsonOptions;

/// Where the navigator is in the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// Inside the top-level object.
    Top,
    /// Inside `chats` or `left_chats`.
    Section,
    /// Inside a section's `list` array.
    List,
    /// Inside one chat object of a list.
    Chat,
    /// Inside a `messages` array; `in_list` says where it returns to.
    Messages { in_list: bool },
    /// After the top-level object.
    Done,
}

/// Reads a Telegram Desktop JSON export.
pub struct DesktopJsonReader<R> {
    input: window::Window<R>,
    options: JsonOptions,
    level: Level,
    /// The chat being read (from a single-chat export's top level or a list's chat object).
    chat: ChannelRef,
    /// Section name for locators ("chats", "left_chats"), and positions.
    section: String,
    chat_index: usize,
    message_index: usize,
    failed: bool,
    /// How many bytes to check and parse for the next message (see [`Level::Messages`]).
    stretch: usize,
    /// An error found just after a message, given once that message's items are out.
    deferred: Option<ReadError>,
    pending: std::collections::VecDeque<ReadItem>,
    state: message::ReaderState,
}

impl<R: Read> DesktopJsonReader<R> {
    /// A reader over an export's bytes (it reads in large blocks itself: no `BufReader` needed).
    pub fn new(source: R, options: JsonOptions) -> DesktopJsonReader<R> {
        DesktopJsonReader {
            input: window::Window::new(source),
            options,
            level: Level::Top,
            chat: ChannelRef::default(),
            section: String::new(),
            chat_index: 0,
            message_index: 0,
            failed: false,
            deferred: None,
            stretch: 4096,
            pending: Default::default(),
            state: Default::default(),
        }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.input.offset()
    }

    fn malformed(&self, reason: impl Into<String>) -> ReadError {
        ReadError::Malformed {
            byte: self.input.offset(),
            reason: reason.into(),
        }
    }

    /// The next byte that is not whitespace, without consuming it; `None` at the end.
    fn peek_token(&mut self) -> Result<Option<u8>, ReadError> {
        loop {
            let buf = self.input.fill()?;
            let Some(&b) = buf.first() else {
                return Ok(None);
            };
            if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                self.input.consume(1);
            } else {
                return Ok(Some(b));
            }
        }
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), ReadError> {
        match self.peek_token()? {
            Some(b) if b == byte => {
                self.input.consume(1);
                Ok(())
            }
            Some(b) => Err(self.malformed(format!("expected {what}, found {:?}", char::from(b)))),
            None => Err(self.malformed(format!("the file ends where {what} was expected"))),
        }
    }

    /// Steps past a comma between members; `Ok(false)` when `close` ends the container.
    fn next_member(&mut self, close: u8) -> Result<bool, ReadError> {
        match self.peek_token()? {
            Some(b',') => {
                self.input.consume(1);
                match self.peek_token()? {
                    Some(b) if b == close => Err(self.malformed("a trailing comma")),
                    Some(_) => Ok(true),
                    None => Err(self.malformed("the file ends inside the export")),
                }
            }
            Some(b) if b == close => {
                self.input.consume(1);
                Ok(false)
            }
            Some(_) => Ok(true),
            None => Err(self.malformed("the file ends inside the export (truncated?)")),
        }
    }

    /// Reads an object key and its colon.
    fn key(&mut self) -> Result<String, ReadError> {
        let key = self.string()?;
        self.expect(b':', "':' after a key")?;
        Ok(key)
    }

    /// Reads a JSON string (the opening quote next).
    fn string(&mut self) -> Result<String, ReadError> {
        self.expect(b'"', "a string")?;
        // Find the closing quote in the window, reading more until it is there.
        let mut scanned = 0usize;
        let mut escaped = false;
        let len = loop {
            let bytes = self.input.bytes();
            let mut end = None;
            for (i, &b) in bytes.iter().enumerate().skip(scanned) {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    end = Some(i);
                    break;
                }
            }
            if let Some(end) = end {
                break end;
            }
            scanned = bytes.len();
            if scanned > MAX_VALUE {
                return Err(self.malformed(format!(
                    "a string longer than {} MiB (a corrupt export?)",
                    MAX_VALUE >> 20
                )));
            }
            if !self.input.more()? {
                return Err(self.end_of_input("a string"));
            }
        };
        let body = simdutf8::basic::from_utf8(&self.input.bytes()[..len])
            .map_err(|_| self.malformed("a string that is not UTF-8"))?;
        let value = if body.contains('\\') {
            serde_json::from_str(&format!("\"{body}\""))
                .map_err(|e| self.malformed(format!("a bad string: {}", error_reason(&e))))?
        } else {
            body.to_string()
        };
        self.input.consume(len + 1);
        Ok(value)
    }

    /// The error for input that ends inside `what`.
    fn end_of_input(&self, what: &str) -> ReadError {
        ReadError::Malformed {
            byte: self.input.end_offset(),
            reason: format!("the file ends inside {what} (truncated export?)"),
        }
    }

    /// Reads a scalar (number, true, false, null) as text.
    fn scalar(&mut self) -> Result<String, ReadError> {
        self.peek_token()?;
        let mut out = String::new();
        loop {
            let buf = self.input.fill()?;
            match buf.first() {
                Some(&b) if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.') => {
                    out.push(char::from(b));
                    self.input.consume(1);
                }
                _ => break,
            }
        }
        if out.is_empty() {
            return Err(self.malformed("expected a value"));
        }
        Ok(out)
    }

    /// Skips one value of any kind, tracking strings and nesting.
    fn skip_value(&mut self) -> Result<(), ReadError> {
        match self.peek_token()? {
            Some(b'"') => {
                self.string()?;
            }
            Some(b'{') | Some(b'[') => self.skip_container()?,
            Some(_) => {
                self.scalar()?;
            }
            None => return Err(self.malformed("the file ends where a value was expected")),
        }
        Ok(())
    }

    /// Reads a chat-level field (`name`, `type`, `id`) into the current chat.
    fn chat_field(&mut self, key: &str) -> Result<bool, ReadError> {
        match key {
            "name" => {
                self.chat.title = match self.peek_token()? {
                    Some(b'"') => Some(self.string()?),
                    _ => {
                        self.scalar()?;
                        None
                    }
                };
            }
            "type" => {
                self.chat.kind = Some(self.string()?);
            }
            "id" => {
                let text = self.scalar()?;
                self.chat.tg_id = text.parse().ok();
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Advances to the next message object and reads it.
    fn advance(&mut self) -> Result<Option<ReadItem>, ReadError> {
        loop {
            match self.level {
                Level::Done => return Ok(None),
                Level::Top => {
                    if self.input.offset() == 0 {
                        if self.input.fill()?.starts_with(b"\xEF\xBB\xBF") {
                            self.input.consume(3);
                        }
                        self.expect(b'{', "the export's opening '{'")?;
                        if self.peek_token()? == Some(b'}') {
                            self.input.consume(1);
                            self.finish()?;
                            continue;
                        }
                    } else if !self.next_member(b'}')? {
                        self.finish()?;
                        continue;
                    }
                    let key = self.key()?;
                    match key.as_str() {
                        "messages" => {
                            self.expect(b'[', "the messages array")?;
                            self.message_index = 0;
                            self.level = Level::Messages { in_list: false };
                            if self.peek_token()? == Some(b']') {
                                self.input.consume(1);
                                self.level = Level::Top;
                            }
                        }
                        "chats" | "left_chats" => {
                            self.section = key;
                            self.expect(b'{', "the chats object")?;
                            self.level = Level::Section;
                            if self.peek_token()? == Some(b'}') {
                                self.input.consume(1);
                                self.level = Level::Top;
                            }
                        }
                        _ => {
                            if !self.chat_field(&key)? {
                                self.skip_value()?;
                            }
                        }
                    }
                }
                Level::Section => {
                    let key = self.key()?;
                    if key == "list" {
                        self.expect(b'[', "the chat list")?;
                        self.chat_index = 0;
                        self.level = Level::List;
                        if self.peek_token()? == Some(b']') {
                            self.input.consume(1);
                            self.level = Level::Section;
                            if !self.next_member(b'}')? {
                                self.level = Level::Top;
                            }
                        }
                    } else {
                        self.skip_value()?;
                        if !self.next_member(b'}')? {
                            self.level = Level::Top;
                        }
                    }
                }
                Level::List => {
                    self.expect(b'{', "a chat object")?;
                    self.chat = ChannelRef::default();
                    self.level = Level::Chat;
                    if self.peek_token()? == Some(b'}') {
                        self.input.consume(1);
                        self.end_chat()?;
                    }
                }
                Level::Chat => {
                    let key = self.key()?;
                    if key == "messages" {
                        self.expect(b'[', "the messages array")?;
                        self.message_index = 0;
                        self.level = Level::Messages { in_list: true };
                        if self.peek_token()? == Some(b']') {
                            self.input.consume(1);
                            self.level = Level::Chat;
                            if !self.next_member(b'}')? {
                                self.end_chat()?;
                            }
                        }
                    } else {
                        if !self.chat_field(&key)? {
                            self.skip_value()?;
                        }
                        if !self.next_member(b'}')? {
                            self.end_chat()?;
                        }
                    }
                }
                Level::Messages { in_list } => {
                    let start = self.input.offset();
                    if self.peek_token()? != Some(b'{') {
                        return Err(self.malformed("expected a message object"));
                    }
                    // The message is checked as UTF-8 and parsed where it lies in the window,
                    // over a stretch of a likely length that doubles until the message fits;
                    // when the window ends inside it, more is read.
                    let mut stretch = self.stretch;
                    let parsed = loop {
                        let bytes = self.input.bytes();
                        let limit = stretch.min(bytes.len());
                        let (text, not_utf8) = window::utf8_prefix(&bytes[..limit]);
                        let mut stream = serde_json::Deserializer::from_str(text)
                            .into_iter::<message::RawMessage<'_>>();
                        match stream.next() {
                            Some(Ok(raw)) => break Parsed::Message(raw, stream.byte_offset()),
                            // Well-formed JSON with a value of the wrong type: once the whole
                            // object is in the window, it is left out with a warning.
                            Some(Err(e)) if e.is_data() => {
                                let mut whole = serde_json::Deserializer::from_str(text)
                                    .into_iter::<serde::de::IgnoredAny>();
                                match whole.next() {
                                    Some(Ok(_)) => {
                                        let len = whole.byte_offset();
                                        break Parsed::Unreadable {
                                            len,
                                            id: message::id_of_unreadable(&text[..len]),
                                            reason: error_reason(&e),
                                        };
                                    }
                                    Some(Err(e)) if !e.is_eof() => {
                                        return Err(unreadable_message(start, text, &e));
                                    }
                                    _ => {}
                                }
                            }
                            Some(Err(e)) if !e.is_eof() => {
                                return Err(unreadable_message(start, text, &e));
                            }
                            _ => {}
                        }
                        if not_utf8 {
                            return Err(ReadError::Malformed {
                                byte: start + text.len() as u64,
                                reason: "bytes that are not UTF-8 (a JSON export is UTF-8)".into(),
                            });
                        }
                        if limit < bytes.len() {
                            stretch *= 2;
                            continue;
                        }
                        if bytes.len() > MAX_VALUE {
                            return Err(self.malformed(format!(
                                "a message longer than {} MiB (a corrupt export?)",
                                MAX_VALUE >> 20
                            )));
                        }
                        if !self.input.more()? {
                            return Err(self.end_of_input("a message"));
                        }
                    };
                    let locator = if in_list {
                        format!(
                            "{}.list[{}].messages[{}]",
                            self.section, self.chat_index, self.message_index
                        )
                    } else {
                        format!("messages[{}]", self.message_index)
                    };
                    self.message_index += 1;
                    let (items, len) = match parsed {
                        Parsed::Message(raw, len) => {
                            let items = message::convert(
                                raw,
                                &self.chat,
                                &self.options,
                                &mut self.state,
                                tgscope_model::Location {
                                    byte_start: start,
                                    byte_end: start + len as u64,
                                    locator: Some(locator),
                                    ..Default::default()
                                },
                            );
                            (items, len)
                        }
                        Parsed::Unreadable { len, id, reason } => {
                            let warning = format!(
                                "{}: a value of the wrong type ({reason}); the message is left \
                                 out, the rest of the export is read",
                                message::place_of(id, Some(&locator), start)
                            );
                            (vec![ReadItem::Warning(warning)], len)
                        }
                    };
                    // The next stretch: this message and a half, at least 4 KiB.
                    self.stretch = (len + len / 2).max(4096);
                    self.input.consume(len);
                    self.pending.extend(items);
                    // What follows the message: damage there is reported after the message.
                    if let Err(e) = self.after_message(in_list) {
                        self.deferred = Some(e);
                    }
                    if let Some(item) = self.pending.pop_front() {
                        return Ok(Some(item));
                    }
                    if let Some(e) = self.deferred.take() {
                        return Err(e);
                    }
                }
            }
        }
    }

    /// Steps past what follows a message: a comma, or the end of its array (and of its chat).
    fn after_message(&mut self, in_list: bool) -> Result<(), ReadError> {
        if !self.next_member(b']')? {
            self.level = if in_list {
                if self.next_member(b'}')? {
                    Level::Chat
                } else {
                    self.end_chat()?;
                    self.level
                }
            } else {
                Level::Top
            };
        }
        Ok(())
    }

    /// Skips one object or array (the opening bracket next) without holding it: strings are
    /// passed over with `memchr` and brackets counted, in whatever amount of memory.
    fn skip_container(&mut self) -> Result<(), ReadError> {
        let (open, close) = match self.peek_token()? {
            Some(b'{') => (b'{', b'}'),
            Some(b'[') => (b'[', b']'),
            _ => return Err(self.malformed("expected an object or an array")),
        };
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        loop {
            let buf = self.input.fill()?;
            if buf.is_empty() {
                return Err(self.end_of_input("a value"));
            }
            let mut i = 0usize;
            let mut done = false;
            while i < buf.len() {
                if escaped {
                    escaped = false;
                    i += 1;
                } else if in_string {
                    match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                        Some(k) => {
                            i += k;
                            if buf[i] == b'"' {
                                in_string = false;
                            } else {
                                escaped = true;
                            }
                            i += 1;
                        }
                        None => i = buf.len(),
                    }
                } else {
                    match memchr::memchr3(b'"', open, close, &buf[i..]) {
                        Some(k) => {
                            i += k;
                            let b = buf[i];
                            i += 1;
                            if b == b'"' {
                                in_string = true;
                            } else if b == open {
                                depth += 1;
                            } else {
                                depth -= 1;
                                if depth == 0 {
                                    done = true;
                                    break;
                                }
                            }
                        }
                        None => i = buf.len(),
                    }
                }
            }
            self.input.consume(i);
            if done {
                return Ok(());
            }
        }
    }

    /// After the top-level object: only whitespace may follow.
    fn finish(&mut self) -> Result<(), ReadError> {
        self.level = Level::Done;
        if self.peek_token()?.is_some() {
            return Err(self.malformed("data after the export's closing '}'"));
        }
        Ok(())
    }

    /// Leaves a chat object: back to its list (or its section when the list ends).
    fn end_chat(&mut self) -> Result<(), ReadError> {
        self.chat_index += 1;
        self.level = Level::List;
        if !self.next_member(b']')? {
            self.level = Level::Section;
            if !self.next_member(b'}')? {
                self.level = Level::Top;
            }
        }
        Ok(())
    }
}

impl<R: Read> Iterator for DesktopJsonReader<R> {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(item) = self.pending.pop_front() {
            return Some(Ok(item));
        }
        if let Some(e) = self.deferred.take() {
            self.failed = true;
            return Some(Err(e));
        }
        if self.failed {
            return None;
        }
        match self.advance() {
            Ok(item) => item.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// True when the head of a file looks like a Telegram Desktop JSON export.
pub fn looks_like_export(head: &str) -> bool {
    let head = head.trim_start_matches('\u{feff}').trim_start();
    head.starts_with('{')
        && (head.contains("\"messages\"")
            || head.contains("\"chats\"")
            || head.contains("\"personal_information\"")
            || head.contains("\"left_chats\""))
        && (head.contains("\"date_unixtime\"")
            || head.contains("\"type\": \"message\"")
            || head.contains("\"type\":\"message\"")
            || head.contains("\"about\"")
            || head.contains("_chat\"")
            || head.contains("_channel\"")
            || head.contains("_group\"")
            || head.contains("_supergroup\""))
}

/// A message object as parsed where it lies in the window.
#[expect(
    clippy::large_enum_variant,
    reason = "one value on the stack per message, moved once; boxing would allocate per message"
)]
enum Parsed<'a> {
    /// Read, with its length in bytes.
    Message(message::RawMessage<'a>, usize),
    /// Well-formed JSON that is not a message tgscope can read (a value of the wrong type): its
    /// length, its id when that can be read, and serde_json's reason.
    Unreadable {
        len: usize,
        id: Option<i64>,
        reason: String,
    },
}

/// The longest message (or skipped value) held in memory: far beyond any real message, small
/// enough that a corrupt file (an unclosed string) cannot take the machine's memory.
const MAX_VALUE: usize = 64 << 20;

/// Where in `object` serde_json's error points (its line and column are the object's own).
/// A message starting at byte `start` whose JSON (`text`) cannot be read: the error at its
/// place.
fn unreadable_message(start: u64, text: &str, e: &serde_json::Error) -> ReadError {
    ReadError::Malformed {
        byte: start + error_offset(text.as_bytes(), e),
        reason: format!("a message that cannot be read: {}", error_reason(e)),
    }
}

fn error_offset(object: &[u8], e: &serde_json::Error) -> u64 {
    if e.line() == 0 {
        return 0;
    }
    let line_start = object
        .split_inclusive(|&b| b == b'\n')
        .take(e.line() - 1)
        .map(<[u8]>::len)
        .sum::<usize>();
    (line_start + e.column().saturating_sub(1)).min(object.len()) as u64
}

/// serde_json's message without its " at line L column C" (which counts within the message).
fn error_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests;
