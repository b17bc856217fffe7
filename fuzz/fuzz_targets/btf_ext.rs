//! Fuzz target `btf_ext`: see `corex_fuzz::exercise::btf_ext`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corex_fuzz::exercise::btf_ext(data));
