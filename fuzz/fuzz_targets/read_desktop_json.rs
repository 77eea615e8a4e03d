//! Arbitrary bytes through the Desktop JSON reader, with the checks of
//! `tgscope_read::fuzzing::read_desktop_json` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tgscope_read::fuzzing::read_desktop_json(data));
