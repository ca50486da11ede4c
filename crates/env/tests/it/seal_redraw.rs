//! A genuine ciphertext that happens to start with `AgAAAA` (the placeholder
//! prefix `check` rejects; p ≈ 2^-20 per value for an RSA-4096 key) is drawn
//! again by the sealing core, so `seal` never writes a value `check` flags.
//!
//! The wire format is `u16be(512) || rsa_block || aes_block`; base64 of it
//! starts with `AgAAAA` when the RSA block starts with 20 zero bits. To force
//! that draw deterministically the test uses a freshly generated key whose
//! modulus is as small as a 512-byte modulus can be (4090 bits: the RSA
//! output, uniform below the modulus, has the prefix about once in 12000
//! draws), finds an rng seed whose first draw has the prefix, and feeds that
//! seed to `seal` through a scripted rng.

use empseal_env::overlay::is_placeholder;
use kubeseal_core::crypto::{self, RsaPrivateKey, RsaPublicKey};
use kubeseal_core::secret::Scope;
use openssl::rsa::Rsa;
use rand::{CryptoRng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// An rng that returns the bytes it was given, in order, and panics when
/// asked for more: what `seal` draws is exactly what the test scripted.
struct Scripted {
    bytes: Vec<u8>,
    at: usize,
}

impl Scripted {
    fn new(seeds: &[[u8; 32]]) -> Self {
        Scripted {
            bytes: seeds.concat(),
            at: 0,
        }
    }
}

impl RngCore for Scripted {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let end = self.at + dest.len();
        assert!(
            end <= self.bytes.len(),
            "the sealing core drew more than scripted"
        );
        dest.copy_from_slice(&self.bytes[self.at..end]);
        self.at = end;
    }
}

impl CryptoRng for Scripted {}

const NS: &str = "emp-system-paper";
const NAME: &str = "emp-secrets-paper";
const VALUE: &[u8] = b"example-paper-postgres-password";

/// A key with a 512-byte (4096-bit wire) RSA block and nearly the smallest
/// modulus that has one (OpenSSL gives 4090 bits when asked for 4090; 4089
/// comes out as 4088). Generated once per test run.
fn small_4096_wire_key() -> &'static (RsaPublicKey, RsaPrivateKey) {
    static KEY: std::sync::OnceLock<(RsaPublicKey, RsaPrivateKey)> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let rsa = Rsa::generate(4090).expect("generate RSA key");
        let private = RsaPrivateKey::from_openssl(rsa).expect("private key");
        let public = private.public_key().clone();
        assert_eq!(public.modulus_bytes(), 512);
        assert!(public.bits() <= 4090, "{}", public.bits());
        (public, private)
    })
}

/// The first item seed whose first draw reads as a placeholder, found by
/// running the same steps `hybrid_encrypt` runs (32 bytes of session key,
/// then the OAEP seed) on `ChaCha20Rng::from_seed(seed)`.
fn seed_whose_first_draw_is_a_placeholder(key: &RsaPublicKey, label: &[u8]) -> [u8; 32] {
    let mut search = ChaCha20Rng::seed_from_u64(0x4167_4141_4141);
    for _ in 0..400_000 {
        let mut seed = [0u8; 32];
        search.fill_bytes(&mut seed);
        let mut rng = ChaCha20Rng::from_seed(seed);
        let mut session_key = [0u8; crypto::SESSION_KEY_LEN];
        rng.fill_bytes(&mut session_key);
        let block = crypto::oaep_encrypt(&mut rng, key, &session_key, label).unwrap();
        if block[0] == 0 && block[1] == 0 && block[2] < 0x10 {
            return seed;
        }
    }
    panic!("no seed in 400000 draws gives an RSA block with 20 leading zero bits");
}

#[test]
fn a_ciphertext_that_reads_as_the_placeholder_is_drawn_again() {
    let (key, private) = small_4096_wire_key();
    let label = Scope::Strict.label(NS, NAME);
    let seed = seed_whose_first_draw_is_a_placeholder(key, &label);

    // The forced draw: what sealing with this seed produced before the fix,
    // a real ciphertext that `check` (and rollback, history) reject.
    let mut item_rng = ChaCha20Rng::from_seed(seed);
    let first = crypto::hybrid_encrypt(&mut item_rng, key, VALUE, &label).unwrap();
    let first_b64 = crypto::b64_encode(&first);
    assert!(first_b64.starts_with("AgAAAA"), "{first_b64:.12}");
    assert!(crypto::looks_like_placeholder(&first));
    assert!(is_placeholder(&first_b64));
    assert_eq!(
        &*crypto::hybrid_decrypt(std::slice::from_ref(private), &first, &label).unwrap(),
        VALUE,
        "the forced draw is genuine ciphertext"
    );
    // What the same item rng draws next.
    let second = crypto::hybrid_encrypt(&mut item_rng, key, VALUE, &label).unwrap();
    assert!(!crypto::looks_like_placeholder(&second));

    // `seal --raw` with that seed scripted: the value is drawn again.
    let mut rng = Scripted::new(&[seed]);
    let sealed =
        kubeseal_core::seal::seal_raw(&mut rng, key, Scope::Strict, NS, NAME, VALUE).unwrap();
    assert_eq!(rng.at, 32, "one seed per value, whatever the redraws");
    assert!(!sealed.starts_with("AgAAAA"), "{sealed:.12}");
    assert!(!is_placeholder(&sealed));
    assert_eq!(
        sealed,
        crypto::b64_encode(&second),
        "the redraw is the item rng's next draw"
    );
    let wire = crypto::b64_decode(&sealed).unwrap();
    assert_eq!(&wire[..2], &[0x02, 0x00], "RSA-4096 wire length prefix");
    assert_eq!(
        &*crypto::hybrid_decrypt(std::slice::from_ref(private), &wire, &label).unwrap(),
        VALUE
    );
}

#[test]
fn only_the_value_that_reads_as_a_placeholder_is_redrawn() {
    let (key, private) = small_4096_wire_key();
    let label = Scope::Strict.label(NS, NAME);
    let forced = seed_whose_first_draw_is_a_placeholder(key, &label);
    let ordinary = [7u8; 32];
    let items: [(&str, &[u8]); 3] = [
        ("API_KEY", b"example-api-key"),
        ("POSTGRES_PASSWORD", VALUE),
        ("REDIS_PASSWORD", b"example-redis-password"),
    ];
    let mut rng = Scripted::new(&[ordinary, forced, ordinary]);
    let sealed = kubeseal_core::seal::encrypt_items(&mut rng, key, &label, &items).unwrap();
    assert_eq!(rng.at, 96);
    for (i, ((_, plain), value)) in items.iter().zip(&sealed).enumerate() {
        assert!(!is_placeholder(value), "item {i}: {value:.12}");
        let wire = crypto::b64_decode(value).unwrap();
        assert_eq!(
            &*crypto::hybrid_decrypt(std::slice::from_ref(private), &wire, &label).unwrap(),
            *plain
        );
        // Unforced items are their seed's first draw, byte for byte (what
        // kubeseal-compatible determinism tests rely on); the forced one is
        // its seed's second draw.
        let seed = if i == 1 { forced } else { ordinary };
        let mut r = ChaCha20Rng::from_seed(seed);
        let mut draw = crypto::hybrid_encrypt(&mut r, key, plain, &label).unwrap();
        if i == 1 {
            assert!(crypto::looks_like_placeholder(&draw));
            draw = crypto::hybrid_encrypt(&mut r, key, plain, &label).unwrap();
        }
        assert_eq!(value, &crypto::b64_encode(&draw), "item {i}");
    }
}

#[test]
fn the_placeholder_test_matches_checks_rule_on_the_wire_prefix() {
    // 0x02 0x00 = a 512-byte RSA block; then 20 zero bits read as AgAAAA.
    let mut wire = vec![0x02, 0x00, 0x00, 0x00, 0x0f, 0xff];
    assert!(crypto::looks_like_placeholder(&wire));
    assert!(is_placeholder(&crypto::b64_encode(&wire)));
    for (i, v) in [(3, 0x01), (4, 0x10), (0, 0x01), (1, 0x01)] {
        wire = vec![0x02, 0x00, 0x00, 0x00, 0x0f, 0xff];
        wire[i] = v;
        assert!(!crypto::looks_like_placeholder(&wire), "{wire:02x?}");
        assert!(!is_placeholder(&crypto::b64_encode(&wire)), "{wire:02x?}");
    }
}
