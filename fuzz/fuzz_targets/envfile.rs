//! The kubectl env-file parser on arbitrary bytes: it must return Ok or Err, never panic.
#![no_main]
use empseal::envfile::parse_env_bytes;
use empseal::secret::SecretBytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Lines without `=` look a variable up; answer for a few names so both branches run.
    let env = |k: &str| -> Option<SecretBytes> {
        if k.len() % 2 == 0 {
            Some(SecretBytes::new(k.as_bytes().to_vec()))
        } else {
            None
        }
    };
    let _ = parse_env_bytes("fuzz.env", data, &env);
});
