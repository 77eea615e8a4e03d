//! Arbitrary bytes through format detection (the scan, then the reader it names), with the checks of
//! `tgscope_read::fuzzing::detect` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tgscope_read::fuzzing::detect(data));
