//! Arbitrary bytes through the plain-text reader, with the checks of
//! `tgscope_read::fuzzing::read_text` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tgscope_read::fuzzing::read_text(data));
