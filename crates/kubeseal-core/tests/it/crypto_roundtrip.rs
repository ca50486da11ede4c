//! Hybrid encryption round trips and failure classes, with the committed test keys.

use crate::crypto_support;

use crypto_support::*;
use kubeseal_core::crypto::{
    hybrid_decrypt, hybrid_encrypt, oaep_encrypt, parse_wire, seal_values_parallel, CryptoError,
    RsaPrivateKey,
};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

const PLAIN_SIZES: [usize; 12] = [0, 1, 15, 16, 17, 31, 32, 33, 1000, 4096, 65535, 65536];

fn plaintext(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt))
        .collect()
}

#[test]
fn round_trips_every_size_key_and_label() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    for bits in SIZES {
        let public = public_key(bits);
        let keys = [private_key(bits)];
        assert_eq!(
            keys[0].public_key(),
            &public,
            "cert and key of {bits} bits differ"
        );
        for (scope, label) in labels() {
            for len in PLAIN_SIZES {
                let pt = plaintext(len, bits as u8);
                let wire = hybrid_encrypt(&mut rng, &public, &pt, &label).unwrap();
                assert_eq!(wire.len(), 2 + bits / 8 + len + 16);
                let parts = parse_wire(&wire).unwrap();
                assert_eq!(parts.rsa_len, bits / 8);
                // AES-GCM is a stream mode: ciphertext length = plaintext length + tag.
                assert_eq!(parts.aes_block.len(), len + 16);
                let back = hybrid_decrypt(&keys, &wire, &label)
                    .unwrap_or_else(|e| panic!("{bits} bits, {scope}, {len} B: {e}"));
                assert_eq!(&back[..], &pt[..], "{bits} bits, {scope}, {len} B");
            }
        }
    }
}

#[test]
fn pkcs1_pkcs8_and_der_keys_are_the_same_key() {
    for bits in SIZES {
        let a = private_key(bits);
        let b = RsaPrivateKey::from_pem(&read_key_file(&format!("rsa{bits}.pk8.key"))).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        let wire = hybrid_encrypt(
            &mut ChaCha20Rng::seed_from_u64(2),
            a.public_key(),
            b"x",
            b"l",
        )
        .unwrap();
        assert_eq!(&hybrid_decrypt(&[b], &wire, b"l").unwrap()[..], b"x");
    }
    let pem = private_key(2048);
    for der in ["rsa2048.pk8.der", "rsa2048.pkcs1.der"] {
        let k = RsaPrivateKey::from_der(&read_key_file(der)).unwrap();
        assert_eq!(k.public_key(), pem.public_key(), "{der}");
        let k = RsaPrivateKey::from_pem_or_der(&read_key_file(der)).unwrap();
        assert_eq!(k.public_key(), pem.public_key(), "{der}");
    }
    // A tls.crt + tls.key style bundle: the key block is found after a certificate.
    let mut bundle = read_key_file("rsa2048.crt");
    bundle.extend(read_key_file("rsa2048.pk8.key"));
    let k = RsaPrivateKey::from_pem_or_der(&bundle).unwrap();
    assert_eq!(k.public_key(), pem.public_key());
}

#[test]
fn bad_private_keys_are_refused_clearly() {
    let enc = RsaPrivateKey::from_pem(&read_key_file("rsa2048.encrypted.key")).unwrap_err();
    assert!(
        matches!(&enc, CryptoError::Key(m) if m.contains("passphrase-encrypted")),
        "{enc}"
    );
    let ec = RsaPrivateKey::from_pem(&read_key_file("ec.key")).unwrap_err();
    assert!(
        matches!(&ec, CryptoError::Key(m) if m.contains("EC, not RSA")),
        "{ec}"
    );
    let cert_only = RsaPrivateKey::from_pem(&read_key_file("rsa2048.crt")).unwrap_err();
    assert!(
        matches!(&cert_only, CryptoError::Key(m) if m.contains("no PEM private key")),
        "{cert_only}"
    );
    let garbage = RsaPrivateKey::from_pem_or_der(b"not a key at all").unwrap_err();
    assert!(matches!(garbage, CryptoError::Key(_)));
    for e in [enc, ec, cert_only, garbage] {
        assert!(!e.to_string().contains('\n'), "multi-line error: {e}");
    }
}

#[test]
fn debug_never_shows_private_material() {
    let pem = read_key_file("rsa4096.key");
    let key = RsaPrivateKey::from_pem(&pem).unwrap();
    let shown = format!("{key:?} {:#?}", key);
    let raw = openssl::rsa::Rsa::private_key_from_pem(&pem).unwrap();
    for secret in [raw.d(), raw.p().unwrap(), raw.q().unwrap()] {
        let hex = secret.to_hex_str().unwrap().to_string();
        let dec = secret.to_dec_str().unwrap().to_string();
        for needle in [&hex[..16], &hex.to_lowercase()[..16], &dec[..16]] {
            assert!(!shown.contains(needle), "Debug leaks key material: {shown}");
        }
    }
    assert!(
        shown.contains("4096") && shown.contains("SHA256:"),
        "{shown}"
    );
}

#[test]
fn wrong_label_or_wrong_key_is_nokey() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    for bits in SIZES {
        let key = private_key(bits);
        let ls = labels();
        for (_, seal_label) in &ls {
            let wire = hybrid_encrypt(&mut rng, key.public_key(), b"secret", seal_label).unwrap();
            for (_, open_label) in &ls {
                let r = hybrid_decrypt(std::slice::from_ref(&key), &wire, open_label);
                if open_label == seal_label {
                    assert_eq!(&r.unwrap()[..], b"secret");
                } else {
                    assert_eq!(r.unwrap_err(), CryptoError::NoKey);
                }
            }
            // Other name in the same namespace.
            let moved = b"emp-system-paper/other".to_vec();
            if seal_label != &moved {
                assert_eq!(
                    hybrid_decrypt(std::slice::from_ref(&key), &wire, &moved).unwrap_err(),
                    CryptoError::NoKey
                );
            }
            // Every other key, alone: NoKey; together with the right one: found.
            for other in SIZES.iter().filter(|b| **b != bits) {
                let wrong = private_key(*other);
                assert_eq!(
                    hybrid_decrypt(std::slice::from_ref(&wrong), &wire, seal_label).unwrap_err(),
                    CryptoError::NoKey
                );
                let both = [wrong, private_key(bits)];
                assert_eq!(
                    &hybrid_decrypt(&both, &wire, seal_label).unwrap()[..],
                    b"secret"
                );
            }
        }
        // A different key of the same size.
        let demo = RsaPrivateKey::from_pem(&read_key_file("demo-dev.key")).unwrap();
        let wire = hybrid_encrypt(&mut rng, demo.public_key(), b"secret", b"").unwrap();
        assert_eq!(
            hybrid_decrypt(&[private_key(4096)], &wire, b"").unwrap_err(),
            CryptoError::NoKey
        );
        assert_eq!(&hybrid_decrypt(&[demo], &wire, b"").unwrap()[..], b"secret");
    }
    assert!(matches!(
        hybrid_decrypt(&[], &[0, 1, 0], b""),
        Err(CryptoError::Key(_) | CryptoError::Malformed(_))
    ));
}

#[test]
fn flipped_bits_are_tampered_or_nokey() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    for bits in SIZES {
        let key = private_key(bits);
        let label = b"ns/name";
        let wire = hybrid_encrypt(&mut rng, key.public_key(), &plaintext(100, 7), label).unwrap();
        let k = bits / 8;
        let keys = [key];
        // Every byte of the AES part (ciphertext and tag) is authenticated.
        for pos in (2 + k..wire.len())
            .step_by(7)
            .chain([wire.len() - 1, 2 + k])
        {
            for bit in [0, 3, 7] {
                let mut w = wire.clone();
                w[pos] ^= 1 << bit;
                assert_eq!(
                    hybrid_decrypt(&keys, &w, label).unwrap_err(),
                    CryptoError::Tampered,
                    "byte {pos}"
                );
            }
        }
        // Any change to the RSA block breaks OAEP: no key opens it.
        for pos in (2..2 + k).step_by(k / 9).chain([2, 1 + k]) {
            let mut w = wire.clone();
            w[pos] ^= 0x10;
            assert_eq!(
                hybrid_decrypt(&keys, &w, label).unwrap_err(),
                CryptoError::NoKey,
                "byte {pos}"
            );
        }
        // Truncating or extending the AES part is tampering too.
        assert_eq!(
            hybrid_decrypt(&keys, &wire[..wire.len() - 1], label).unwrap_err(),
            CryptoError::Tampered
        );
        let mut longer = wire.clone();
        longer.push(0);
        assert_eq!(
            hybrid_decrypt(&keys, &longer, label).unwrap_err(),
            CryptoError::Tampered
        );
    }
}

#[test]
fn malformed_prefixes() {
    let key = [private_key(2048)];
    let good = hybrid_encrypt(
        &mut ChaCha20Rng::seed_from_u64(5),
        key[0].public_key(),
        b"v",
        b"",
    )
    .unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("one byte", vec![1]),
        (
            "zero length prefix",
            [&[0u8, 0][..], &[0u8; 40][..]].concat(),
        ),
        (
            "prefix longer than data",
            [&[0x02u8, 0x00][..], &[7u8; 300][..]].concat(),
        ),
        ("prefix 0xffff", [&[0xffu8, 0xff][..], &good[2..]].concat()),
        ("no AES tag", good[..2 + 256].to_vec()),
        ("AES part shorter than tag", good[..2 + 256 + 15].to_vec()),
    ];
    for (what, bytes) in cases {
        let e = hybrid_decrypt(&key, &bytes, b"").unwrap_err();
        assert!(matches!(e, CryptoError::Malformed(_)), "{what}: {e:?}");
        assert!(
            matches!(parse_wire(&bytes), Err(CryptoError::Malformed(_))),
            "{what}"
        );
    }
    // A prefix that is consistent but not this key's size: no key opens it.
    let mut short = vec![0x00, 0xff];
    short.extend_from_slice(&good[2..]);
    assert_eq!(
        hybrid_decrypt(&key, &short, b"").unwrap_err(),
        CryptoError::NoKey
    );
    // The empty plaintext's wire value is exactly prefix + block + tag.
    let empty = hybrid_encrypt(
        &mut ChaCha20Rng::seed_from_u64(6),
        key[0].public_key(),
        b"",
        b"",
    )
    .unwrap();
    assert_eq!(parse_wire(&empty).unwrap().aes_block.len(), 16);
    assert_eq!(&hybrid_decrypt(&key, &empty, b"").unwrap()[..], b"");
}

#[test]
fn seeded_rng_is_deterministic_and_draws_64_bytes() {
    for bits in SIZES {
        let public = public_key(bits);
        let a = hybrid_encrypt(
            &mut ChaCha20Rng::seed_from_u64(42),
            &public,
            b"value",
            b"ns/n",
        )
        .unwrap();
        let b = hybrid_encrypt(
            &mut ChaCha20Rng::seed_from_u64(42),
            &public,
            b"value",
            b"ns/n",
        )
        .unwrap();
        let c = hybrid_encrypt(
            &mut ChaCha20Rng::seed_from_u64(43),
            &public,
            b"value",
            b"ns/n",
        )
        .unwrap();
        assert_eq!(a, b);
        assert_ne!(a[2..2 + bits / 8], c[2..2 + bits / 8]);
        assert_ne!(a[2 + bits / 8..], c[2 + bits / 8..]);
        // Exactly 64 bytes drawn (session key, then OAEP seed): a scripted rng
        // holding only the first 64 bytes of the seeded stream gives the same bytes.
        let mut stream = vec![0u8; 64];
        ChaCha20Rng::seed_from_u64(42).fill_bytes(&mut stream);
        let mut scripted = ScriptedRng::new(stream);
        let d = hybrid_encrypt(&mut scripted, &public, b"value", b"ns/n").unwrap();
        assert_eq!(scripted.pos, 64);
        assert_eq!(a, d);
    }
}

#[test]
fn parallel_sealing_is_deterministic_and_matches_per_item_streams() {
    let public = public_key(4096);
    let items: Vec<Vec<u8>> = (0..37).map(|i| plaintext(i * 13, i as u8)).collect();
    let label = b"emp-system-paper/emp-secrets-paper";
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            seal_values_parallel(&mut ChaCha20Rng::seed_from_u64(9), &public, label, &items)
                .unwrap()
        })
    };
    let one = run(1);
    let four = run(4);
    assert_eq!(one, four, "output depends on the thread count");
    // Item i is hybrid_encrypt with ChaCha20Rng::from_seed(i-th 32 bytes of the stream).
    let mut outer = ChaCha20Rng::seed_from_u64(9);
    for (i, item) in items.iter().enumerate() {
        let mut seed = [0u8; 32];
        outer.fill_bytes(&mut seed);
        let expected =
            hybrid_encrypt(&mut ChaCha20Rng::from_seed(seed), &public, item, label).unwrap();
        assert_eq!(one[i], expected, "item {i}");
    }
    let keys = [private_key(4096)];
    for (item, wire) in items.iter().zip(&one) {
        assert_eq!(&hybrid_decrypt(&keys, wire, label).unwrap()[..], &item[..]);
    }
    let other =
        seal_values_parallel(&mut ChaCha20Rng::seed_from_u64(10), &public, label, &items).unwrap();
    assert!(one.iter().zip(&other).all(|(a, b)| a != b));
    let none: Vec<Vec<u8>> = seal_values_parallel(
        &mut ChaCha20Rng::seed_from_u64(9),
        &public,
        label,
        &Vec::<Vec<u8>>::new(),
    )
    .unwrap();
    assert!(none.is_empty());
}

#[test]
fn public_key_forms_agree() {
    let from_cert = public_key(2048);
    let spki =
        kubeseal_core::crypto::RsaPublicKey::from_pem(&read_key_file("rsa2048.pub.pem")).unwrap();
    let pkcs1 =
        kubeseal_core::crypto::RsaPublicKey::from_pem(&read_key_file("rsa2048.pkcs1.pub.pem"))
            .unwrap();
    let der = kubeseal_core::crypto::RsaPublicKey::from_der(&spki.to_spki_der()).unwrap();
    assert_eq!(from_cert, spki);
    assert_eq!(from_cert, pkcs1);
    assert_eq!(from_cert, der);
    assert_eq!(from_cert, *private_key(2048).public_key());
    assert_ne!(from_cert, public_key(3072));
    // OpenSSL's own PEM writer produced the fixture: ours must match it byte for byte.
    assert_eq!(
        spki.to_spki_pem().as_bytes(),
        &read_key_file("rsa2048.pub.pem")[..]
    );
    for bits in SIZES {
        let k = public_key(bits);
        assert_eq!(k.bits(), bits);
        assert_eq!(k.modulus_bytes(), bits / 8);
        assert_eq!(k.modulus().len(), bits / 8);
        assert_eq!(k.exponent(), vec![1, 0, 1]);
        let rebuilt =
            kubeseal_core::crypto::RsaPublicKey::from_components(&k.modulus(), &k.exponent())
                .unwrap();
        assert_eq!(rebuilt, k);
        // RSA blocks: right length and below n are plausible; n itself is not.
        let wire = hybrid_encrypt(&mut ChaCha20Rng::seed_from_u64(11), &k, b"x", b"").unwrap();
        assert!(k.accepts_rsa_block(parse_wire(&wire).unwrap().rsa_block));
        assert!(!k.accepts_rsa_block(&k.modulus()));
        assert!(!k.accepts_rsa_block(&vec![0xff; bits / 8]));
        assert!(!k.accepts_rsa_block(&vec![0x01; bits / 8 - 1]));
    }
    assert!(kubeseal_core::crypto::RsaPublicKey::from_pem(b"garbage").is_err());
    assert!(kubeseal_core::crypto::RsaPublicKey::from_pem(&read_key_file("ec.crt")).is_err());
}

#[test]
fn base64_helpers_round_trip() {
    for len in 0..70 {
        let bytes = plaintext(len, 3);
        let s = kubeseal_core::crypto::b64_encode(&bytes);
        assert_eq!(s.len() % 4, 0);
        assert_eq!(kubeseal_core::crypto::b64_decode(&s).unwrap(), bytes);
    }
}

#[test]
fn oaep_refuses_keys_too_small_for_the_message_without_panicking() {
    // EME-OAEP with SHA-256 needs k >= 2*32 + 2 = 66 bytes and a message of at most
    // k - 66 bytes. Keys around that edge, and the smallest that can carry the 32-byte
    // session key (k = 98): what encrypts must decrypt with OpenSSL's OAEP, what
    // does not must be a clean key error (never an arithmetic panic).
    let mut rng = ChaCha20Rng::seed_from_u64(15);
    for bits in [512usize, 520, 528, 536, 776, 784, 1000] {
        let rsa = openssl::rsa::Rsa::generate(bits as u32).unwrap();
        let key = RsaPrivateKey::from_openssl(rsa).unwrap();
        let k = key.public_key().modulus_bytes();
        assert_eq!(k, bits / 8);
        let max = k.checked_sub(66);
        let mut lens = vec![0, 1, 32, 33];
        if let Some(m) = max {
            lens.extend([m.saturating_sub(1), m, m + 1]);
        }
        for len in lens {
            let msg = plaintext(len, 7);
            let r = oaep_encrypt(&mut rng, key.public_key(), &msg, b"ns/name");
            let fits = max.is_some_and(|m| len <= m);
            match r {
                Ok(block) => {
                    assert!(fits, "{bits} bits accepted {len} bytes");
                    assert_eq!(block.len(), k);
                    let back = key.oaep_decrypt(&block, b"ns/name").unwrap();
                    assert_eq!(&back[..], &msg[..], "{bits} bits, {len} bytes");
                }
                Err(CryptoError::Key(m)) => {
                    assert!(!fits, "{bits} bits refused {len} bytes: {m}");
                    assert_eq!(
                        m,
                        format!("a {bits}-bit RSA key cannot OAEP-encrypt {len} bytes")
                    );
                }
                Err(e) => panic!("{bits} bits, {len} bytes: {e:?}"),
            }
        }
        // A whole value: the 32-byte session key must fit (k >= 98).
        let r = hybrid_encrypt(&mut rng, key.public_key(), b"v", b"");
        if k >= 98 {
            let wire = r.unwrap();
            let back = hybrid_decrypt(std::slice::from_ref(&key), &wire, b"").unwrap();
            assert_eq!(&back[..], b"v");
        } else {
            assert!(
                matches!(&r, Err(CryptoError::Key(m)) if m.contains("cannot OAEP-encrypt 32 bytes")),
                "{bits}: {r:?}"
            );
        }
    }
}

#[test]
fn key_errors_are_certificate_errors_and_the_rest_decryption_errors() {
    // The kinds the CLI maps to exit 4 and exit 5.
    use kubeseal_core::Error;
    let key = private_key(2048);
    let wire = hybrid_encrypt(
        &mut ChaCha20Rng::seed_from_u64(5),
        key.public_key(),
        b"x",
        b"l",
    )
    .unwrap();
    // Unusable keys: the certificate/key exit code.
    let ec = RsaPrivateKey::from_pem(&read_key_file("ec.key")).unwrap_err();
    let none = hybrid_decrypt(&[], &wire, b"l").unwrap_err();
    for e in [ec, none] {
        assert!(matches!(e, CryptoError::Key(_)), "{e:?}");
        let msg = e.to_string();
        let err = Error::from(e);
        assert!(matches!(err, Error::Cert(_)), "{msg}");
        assert!(err.to_string().contains(&msg), "{err} / {msg}");
    }
    // Values that do not open: the decryption exit code.
    let mut tampered = wire.clone();
    *tampered.last_mut().unwrap() ^= 1;
    for e in [
        hybrid_decrypt(&[private_key(3072)], &wire, b"l").unwrap_err(),
        hybrid_decrypt(std::slice::from_ref(&key), &tampered, b"l").unwrap_err(),
        hybrid_decrypt(std::slice::from_ref(&key), &wire[..3], b"l").unwrap_err(),
    ] {
        assert!(!matches!(e, CryptoError::Key(_)), "{e:?}");
        assert!(matches!(Error::from(e), Error::Decrypt(_)));
    }
}

#[test]
fn keys_of_other_algorithms_are_named_in_the_refusal() {
    // What `unseal --private-key` and a bare public key say for a non-RSA key: its
    // algorithm by name. The keys are made by OpenSSL (the CLI for RSA-PSS).
    use openssl::pkey::PKey;
    let dir = tempfile::tempdir().unwrap();
    let pss = dir.path().join("pss.key");
    run_ok(
        std::process::Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA-PSS",
                "-pkeyopt",
                "rsa_keygen_bits:1024",
                "-out",
            ])
            .arg(&pss),
        None,
    );
    let pss = PKey::private_key_from_pem(&std::fs::read(&pss).unwrap()).unwrap();
    let dsa = PKey::from_dsa(openssl::dsa::Dsa::generate(1024).unwrap()).unwrap();
    let ec = PKey::from_ec_key(
        openssl::ec::EcKey::generate(
            &openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    for (name, key) in [
        ("EC", ec),
        ("DSA", dsa),
        ("Ed25519", PKey::generate_ed25519().unwrap()),
        ("Ed448", PKey::generate_ed448().unwrap()),
        ("RSA-PSS", pss),
        ("key type 1034", PKey::generate_x25519().unwrap()),
    ] {
        let pem = key.private_key_to_pem_pkcs8().unwrap();
        let e = RsaPrivateKey::from_pem(&pem).unwrap_err();
        assert_eq!(
            e,
            CryptoError::Key(format!(
                "the private key is {name}, not RSA; sealed-secrets only uses RSA keys"
            ))
        );
        let e = kubeseal_core::crypto::RsaPublicKey::from_pem(&key.public_key_to_pem().unwrap())
            .unwrap_err();
        assert_eq!(
            e,
            CryptoError::Key(format!("the public key is {name}, not RSA"))
        );
    }
}
