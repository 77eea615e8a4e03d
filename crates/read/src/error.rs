//! Errors of readers and format detection; each names the place in the input it concerns.

use std::io;

/// A reader could not go on. The engine adds the file's path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// Reading the input failed.
    #[error("read failed at line {line}: {source}")]
    Io {
        /// The line being read.
        line: u64,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The input is not valid UTF-8.
    #[error("not valid UTF-8 at byte {byte} (line {line})")]
    InvalidUtf8 {
        /// The line holding the bad byte.
        line: u64,
        /// Offset of the first bad byte.
        byte: u64,
    },
    /// A line is far longer than any text capture's.
    #[error("line {line} (starting at byte {byte}) is longer than {limit} bytes")]
    LineTooLong {
        /// The line.
        line: u64,
        /// Where it starts.
        byte: u64,
        /// The limit.
        limit: usize,
    },
    /// The input breaks its format's structure (a truncated or corrupt export).
    #[error("malformed at byte {byte}: {reason}")]
    Malformed {
        /// Offset where the damage was found.
        byte: u64,
        /// What was wrong.
        reason: String,
    },
    /// This build cannot read the format yet.
    #[error("reading {format} captures is not supported yet")]
    Unsupported {
        /// The format.
        format: tgscope_model::Format,
    },
    /// An HTML page nested deeper than the parser's budget ([`crate::nesting::MAX_DEPTH`]).
    #[error("{0}")]
    TooDeep(crate::nesting::TooDeep),
    /// The input holds NUL bytes: it is binary, not text.
    #[error("binary data (a NUL byte) at byte {byte}")]
    Binary {
        /// Offset of the NUL byte.
        byte: u64,
    },
}

/// Why an input's format could not be recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DetectError {
    /// Zero bytes, or only whitespace.
    #[error("the file is empty")]
    Empty,
    /// NUL bytes or a known binary signature.
    #[error("binary data, not a capture ({what}, at byte {byte})")]
    Binary {
        /// What it looks like ("a NUL byte", "a ZIP archive").
        what: String,
        /// Where.
        byte: u64,
    },
    /// Text in UTF-16 or UTF-32 (with or without a byte-order mark): tgscope reads UTF-8 only.
    #[error(
        "{encoding} text{}, not UTF-8: tgscope reads UTF-8 only; save the file as UTF-8 and \
         ingest that (for instance: iconv -f {iconv} -t UTF-8 FILE > FILE.utf8.txt)",
        if *.bom { " (with a byte-order mark)" } else { "" }
    )]
    WideText {
        /// The encoding as people name it ("UTF-16 LE", "UTF-32 BE").
        encoding: String,
        /// Whether the file starts with a byte-order mark.
        bom: bool,
        /// Its name for `iconv -f` ("UTF-16" with a byte-order mark, else "UTF-16LE", ...).
        iconv: String,
    },
    /// Not valid UTF-8.
    #[error("not valid UTF-8 at byte {byte} (line {line}); save the capture as UTF-8")]
    NotUtf8 {
        /// Offset of the first bad byte.
        byte: u64,
        /// Its line.
        line: u64,
    },
    /// A line far longer than a text capture's.
    #[error("line {line} is {length} bytes long (more than {limit}): not a text capture")]
    LineTooLong {
        /// The line.
        line: u64,
        /// Its length in bytes.
        length: u64,
        /// The limit.
        limit: usize,
    },
    /// Text, but of a kind tgscope does not read.
    #[error("unknown format: {what}")]
    Unknown {
        /// What the content looks like.
        what: String,
    },
}
