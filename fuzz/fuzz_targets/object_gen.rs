//! Fuzz target `object_gen`: see `corex_fuzz::checks::object_gen`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corex_fuzz::checks::object_gen(data));
