//! Arbitrary bytes through the Desktop HTML reader (one page of an export), with the checks of
//! `tgscope_read::fuzzing::read_desktop_html` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tgscope_read::fuzzing::read_desktop_html(data));
