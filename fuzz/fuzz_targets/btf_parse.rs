//! Fuzz target `btf_parse`: see `corex_fuzz::exercise::btf_parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corex_fuzz::exercise::btf_parse(data));
