//! Arbitrary bytes as a search query: parsed, resolved and run against a small index in memory,
//! with the checks of `tgscope_index::fuzzing::parse_query` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tgscope_index::fuzzing::parse_query(data));
