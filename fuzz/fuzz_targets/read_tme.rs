//! Arbitrary bytes through the reader of t.me web preview pages, with the checks of
//! `tgscope_read::fuzzing::read_tme` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tgscope_read::fuzzing::read_tme(data));
