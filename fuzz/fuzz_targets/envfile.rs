//! The kubectl env-file parser on arbitrary bytes: it must return Ok or Err, never panic.
#![no_main]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::envfile(data);
});
