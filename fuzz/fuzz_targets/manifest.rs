//! The Secret / SealedSecret reader (our libyaml-based YAML and JSON reader) on
//! arbitrary bytes: Ok or Err, never a panic, never an out-of-bounds access.
#![no_main]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::manifest(data);
});
