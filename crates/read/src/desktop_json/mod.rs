//! Telegram Desktop JSON exports (`result.json`), read as a stream.
//!
//! The export is walked byte by byte without loading it: a small navigator finds its way through
//! the top-level object (a single chat's `messages`, or a full export's `chats.list[]` and
//! `left_chats.list[]`), skipping every section it does not need, and each message object is
//! deserialised on its own by serde_json. Memory stays flat whatever the export's size. A
//! truncated or corrupt file ends the stream with an error naming the byte offset, after every
//! message before the damage.

mod message;

use std::io::{BufRead, Read};

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
    input: Counting<R>,
    options: JsonOptions,
    level: Level,
    /// The chat being read (from a single-chat export's top level or a list's chat object).
    chat: ChannelRef,
    /// Section name for locators ("chats", "left_chats"), and positions.
    section: String,
    chat_index: usize,
    message_index: usize,
    failed: bool,
    pending: std::collections::VecDeque<ReadItem>,
    state: message::ReaderState,
}

impl<R: BufRead> DesktopJsonReader<R> {
    /// A reader over an export's bytes.
    pub fn new(source: R, options: JsonOptions) -> DesktopJsonReader<R> {
        DesktopJsonReader {
            input: Counting {
                inner: source,
                offset: 0,
            },
            options,
            level: Level::Top,
            chat: ChannelRef::default(),
            section: String::new(),
            chat_index: 0,
            message_index: 0,
            failed: false,
            pending: Default::default(),
            state: Default::default(),
        }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.input.offset
    }

    fn malformed(&self, reason: impl Into<String>) -> ReadError {
        ReadError::Malformed {
            byte: self.input.offset,
            reason: reason.into(),
        }
    }

    /// The next byte that is not whitespace, without consuming it; `None` at the end.
    fn peek_token(&mut self) -> Result<Option<u8>, ReadError> {
        loop {
            let buf = self
                .input
                .fill_buf()
                .map_err(|source| ReadError::Io { line: 0, source })?;
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
        let mut raw = vec![b'"'];
        loop {
            let b = self.byte()?;
            raw.push(b);
            match b {
                b'\\' => raw.push(self.byte()?),
                b'"' => break,
                _ => {}
            }
        }
        serde_json::from_slice(&raw).map_err(|e| self.malformed(format!("a bad string: {e}")))
    }

    fn byte(&mut self) -> Result<u8, ReadError> {
        let mut one = [0u8; 1];
        match self.input.read(&mut one) {
            Ok(1) => Ok(one[0]),
            Ok(_) => Err(self.malformed("the file ends inside a value (truncated?)")),
            Err(source) => Err(ReadError::Io { line: 0, source }),
        }
    }

    /// Reads a scalar (number, true, false, null) as text.
    fn scalar(&mut self) -> Result<String, ReadError> {
        self.peek_token()?;
        let mut out = String::new();
        loop {
            let buf = self
                .input
                .fill_buf()
                .map_err(|source| ReadError::Io { line: 0, source })?;
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
            Some(b'{') | Some(b'[') => {
                let mut depth = 0usize;
                loop {
                    let b = self.byte()?;
                    match b {
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        b'"' => loop {
                            match self.byte()? {
                                b'\\' => {
                                    self.byte()?;
                                }
                                b'"' => break,
                                _ => {}
                            }
                        },
                        _ => {}
                    }
                }
            }
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
                    if self.input.offset == 0 {
                        if self
                            .input
                            .fill_buf()
                            .map(|b| b.starts_with(b"\xEF\xBB\xBF"))
                            .unwrap_or(false)
                        {
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
                    let start = self.input.offset;
                    if self.peek_token()? != Some(b'{') {
                        return Err(self.malformed("expected a message object"));
                    }
                    let raw = {
                        let mut de = serde_json::Deserializer::from_reader(&mut self.input);
                        serde::Deserialize::deserialize(&mut de)
                    };
                    let raw: message::RawMessage = match raw {
                        Ok(raw) => raw,
                        Err(e) if e.is_eof() => {
                            return Err(self
                                .malformed("the file ends inside a message (truncated export?)"));
                        }
                        Err(e) => {
                            return Err(
                                self.malformed(format!("a message that cannot be read: {e}"))
                            );
                        }
                    };
                    let end = self.input.offset;
                    let locator = if in_list {
                        format!(
                            "{}.list[{}].messages[{}]",
                            self.section, self.chat_index, self.message_index
                        )
                    } else {
                        format!("messages[{}]", self.message_index)
                    };
                    self.message_index += 1;
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
                    let items = message::convert(
                        raw,
                        &self.chat,
                        &self.options,
                        &mut self.state,
                        tgscope_model::Location {
                            byte_start: start,
                            byte_end: end,
                            locator: Some(locator),
                            ..Default::default()
                        },
                    );
                    self.pending.extend(items);
                    if let Some(item) = self.pending.pop_front() {
                        return Ok(Some(item));
                    }
                }
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

impl<R: BufRead> Iterator for DesktopJsonReader<R> {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(item) = self.pending.pop_front() {
            return Some(Ok(item));
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

/// A reader that counts the bytes consumed through it.
struct Counting<R> {
    inner: R,
    offset: u64,
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.offset += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.offset += amount as u64;
        self.inner.consume(amount);
    }
}

#[cfg(test)]
mod tests;
