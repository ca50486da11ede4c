//! `empseal check`'s reader and rules (the saphyr-based scanner with its alias
//! budget and base64 fast path) on arbitrary bytes: findings, never a panic, and
//! bounded work for alias bombs.
#![no_main]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::check(data);
});
