//! Properties: sealing then opening is the identity for arbitrary values and
//! labels; arbitrary bytes never make the decoder or certificate parser panic.

use crate::crypto_support;

use crypto_support::*;
use kubeseal_core::cert::Certificate;
use kubeseal_core::crypto::{hybrid_decrypt, hybrid_encrypt, parse_wire, CryptoError};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn seal_open_is_identity(value in proptest::collection::vec(any::<u8>(), 0..2048),
                             label in proptest::collection::vec(any::<u8>(), 0..300),
                             seed in any::<u64>()) {
        let key = private_key(2048);
        let wire = hybrid_encrypt(&mut ChaCha20Rng::seed_from_u64(seed), key.public_key(), &value, &label).unwrap();
        prop_assert_eq!(&hybrid_decrypt(std::slice::from_ref(&key), &wire, &label).unwrap()[..], &value[..]);
        let mut other = label.clone();
        other.push(b'x');
        prop_assert_eq!(hybrid_decrypt(&[key], &wire, &other).unwrap_err(), CryptoError::NoKey);
    }

    #[test]
    fn arbitrary_wire_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..700),
                                        prefix_256 in any::<bool>()) {
        let mut bytes = bytes;
        if prefix_256 && bytes.len() >= 2 {
            bytes[0] = 1;
            bytes[1] = 0;
        }
        let r = hybrid_decrypt(&[private_key(2048)], &bytes, b"ns/name");
        let malformed = parse_wire(&bytes).is_err();
        match r {
            Err(CryptoError::Malformed(_)) => prop_assert!(malformed),
            Err(CryptoError::NoKey) => prop_assert!(!malformed),
            other => prop_assert!(false, "unexpected {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn arbitrary_certificate_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000),
                                               pem in any::<bool>()) {
        let input = if pem {
            let mut v = b"-----BEGIN CERTIFICATE-----\n".to_vec();
            v.extend(kubeseal_core::crypto::b64_encode(&bytes).into_bytes());
            v.extend(b"\n-----END CERTIFICATE-----\n");
            v
        } else {
            bytes
        };
        if let Err(e) = Certificate::from_pem(&input, "fuzz.pem") {
            prop_assert!(!e.to_string().contains('\n'));
            prop_assert!(e.to_string().starts_with("fuzz.pem: "));
        }
    }

    #[test]
    fn mutated_certificates_never_panic(pos in 0usize..1212, byte in any::<u8>()) {
        let mut der = read_key_file("rsa2048.crt.der");
        let pos = pos % der.len();
        der[pos] = byte;
        let _ = Certificate::from_pem(&der, "mutated.der");
    }
}
