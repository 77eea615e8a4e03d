//! Arbitrary bytes through the message dump reader (JSON arrays and JSON Lines), with the checks of
//! `tgscope_read::fuzzing::read_dump` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tgscope_read::fuzzing::read_dump(data));
