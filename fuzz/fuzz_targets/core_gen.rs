//! Fuzz target `core_gen`: see `corex_fuzz::checks::core_gen`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corex_fuzz::checks::core_gen(data));
