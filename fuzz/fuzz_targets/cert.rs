//! The certificate parser (PEM and DER) on arbitrary bytes: Ok or Err, never a panic.
#![no_main]
use empseal::cert::Certificate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = Certificate::from_pem(data, "fuzz.crt") {
        let _ = c.fingerprint();
        let _ = c.check_usable(1_800_000_000);
        let _ = c.to_pem();
    }
    let _ = Certificate::from_der(data.to_vec(), "fuzz.der");
});
