//! Fuzz target `btf_load`: see `corex_fuzz::exercise::btf_load`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corex_fuzz::exercise::btf_load(data));
