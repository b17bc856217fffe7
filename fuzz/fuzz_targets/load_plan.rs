//! Fuzz target `load_plan`: `Object::parse` and the load plan for synthetic
//! kernels, as crates/object/tests/support/load_exercise.rs describes.
#![no_main]

#[path = "../../crates/object/tests/support/load_exercise.rs"]
mod load_exercise;

libfuzzer_sys::fuzz_target!(|data: &[u8]| load_exercise::exercise(data));
