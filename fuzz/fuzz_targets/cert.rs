//! The certificate parser (PEM and DER) on arbitrary bytes: Ok or Err, never a panic.
#![no_main]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::cert(data);
});
