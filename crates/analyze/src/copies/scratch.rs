//! The unnamed scratch files the copy analysis keeps its largest parts in (band keys, paragraph
//! hashes, the posts' records), read and written at offsets, with the first failure kept.

use std::os::unix::fs::FileExt;
use std::sync::OnceLock;

/// An unnamed scratch file of the analysis (removed by the system when it is closed), read and
/// written at offsets. The first failure is kept: what could not be read reads as zeros, and
/// the analysis must then not be used ([`super::CopyState::scratch_failure`]).
#[derive(Debug)]
pub(super) struct Scratch {
    /// What the file holds, for the failure's message.
    holds: &'static str,
    file: Option<std::fs::File>,
    failed: OnceLock<String>,
}

impl Scratch {
    pub(super) fn new(holds: &'static str) -> Scratch {
        Scratch {
            holds,
            file: None,
            failed: OnceLock::new(),
        }
    }

    pub(super) fn is_open(&self) -> bool {
        self.file.is_some()
    }

    /// Takes `file` as the scratch file, unless it has one.
    pub(super) fn open(&mut self, file: std::fs::File) {
        if self.file.is_none() {
            self.file = Some(file);
        }
    }

    /// The first failure to read or write the file.
    pub(super) fn failure(&self) -> Option<&String> {
        self.failed.get()
    }

    pub(super) fn fail(&self, what: &str, e: std::io::Error) {
        let _ = self
            .failed
            .set(format!("{what} the {} scratch file: {e}", self.holds));
    }

    /// Fills `bytes` from `at`; whether it could (else they are zeros).
    pub(super) fn read(&self, bytes: &mut [u8], at: u64) -> bool {
        let read = match &self.file {
            Some(file) => file.read_exact_at(bytes, at),
            None => Err(std::io::Error::other("there is none")),
        };
        read.map_err(|e| {
            self.fail("could not read", e);
            bytes.fill(0);
        })
        .is_ok()
    }

    /// Writes `bytes` at `at`; whether it could.
    pub(super) fn write(&self, bytes: &[u8], at: u64) -> bool {
        let written = match &self.file {
            Some(file) => file.write_all_at(bytes, at),
            None => Err(std::io::Error::other("there is none")),
        };
        written.map_err(|e| self.fail("could not write", e)).is_ok()
    }

    /// Cuts the file at `len` bytes.
    pub(super) fn set_len(&self, len: u64) {
        if let Some(file) = &self.file
            && let Err(e) = file.set_len(len)
        {
            self.fail("could not shorten", e);
        }
    }
}
