//! The Secret / SealedSecret reader (our libyaml-based YAML and JSON reader) on
//! arbitrary bytes: Ok or Err, never a panic, never an out-of-bounds access.
#![no_main]
use empseal::manifest::{detect_style, read_sealed_secrets, read_secrets};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = detect_style(data);
    let _ = read_secrets("fuzz.yaml", data);
    let _ = read_sealed_secrets("fuzz.yaml", data);
});
