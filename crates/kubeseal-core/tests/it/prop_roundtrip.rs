//! Property tests over arbitrary names, keys and values:
//! - seal (kubeseal's `NewSealedSecret`) then unseal is the identity in every scope,
//!   and a value does not unseal under another name or namespace when strict;
//! - the emitter's YAML of a SealedSecret and of a Secret reads back with an
//!   independent YAML parser (serde_yaml) as the same object, and with our own
//!   reader as the same model.
//!
//! Names and keys that YAML 1.2 (serde_yaml) would read as numbers while go-yaml's
//! YAML 1.1 leaves them plain (e.g. `0o7`, `inf`) are not generated: the two parsers
//! legitimately disagree there; the `emit_readback` module covers that ground.

use std::collections::BTreeMap;

use base64::Engine;
use kubeseal_core::cert::Certificate;
use kubeseal_core::crypto::RsaPrivateKey;
use kubeseal_core::emit::{document, sealed_secret_node, secret_document};
use kubeseal_core::manifest::{read_sealed_secrets, read_secrets};
use kubeseal_core::seal::new_sealed_secret;
use kubeseal_core::secret::{Format, Layout, ObjectMeta, Scope, Secret, SecretBytes};
use kubeseal_core::unseal::unseal;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn keys_dir() -> std::path::PathBuf {
    empseal_testkit::repo_root().join("testdata/keys")
}

fn cert() -> &'static Certificate {
    static C: std::sync::OnceLock<Certificate> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let p = keys_dir().join("rsa2048.crt");
        Certificate::from_pem(&std::fs::read(&p).unwrap(), "rsa2048.crt").unwrap()
    })
}

fn private_keys() -> &'static [RsaPrivateKey] {
    static K: std::sync::OnceLock<Vec<RsaPrivateKey>> = std::sync::OnceLock::new();
    K.get_or_init(|| {
        let p = keys_dir().join("rsa2048.key");
        vec![RsaPrivateKey::from_pem(&std::fs::read(p).unwrap()).unwrap()]
    })
}

/// Not something YAML 1.2 would read as a float (inf, nan, infinity in any case).
fn not_float(s: &str) -> bool {
    s.parse::<f64>().is_err()
}

/// DNS-1123 subdomain (a Secret name), starting with a letter, up to ~120 chars.
fn dns_subdomain() -> impl Strategy<Value = String> {
    "[a-z]([-a-z0-9]{0,30}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?){0,3}"
        .prop_filter("YAML 1.2 float word", |s| not_float(s))
}

/// DNS-1123 label (a namespace), starting with a letter.
fn dns_label() -> impl Strategy<Value = String> {
    "[a-z]([-a-z0-9]{0,40}[a-z0-9])?".prop_filter("YAML 1.2 float word", |s| not_float(s))
}

/// A valid Secret data key: `[-._a-zA-Z0-9]+`, not `.` or `..`.
fn secret_key() -> impl Strategy<Value = String> {
    "[A-Za-z_][-._A-Za-z0-9]{0,40}".prop_filter("YAML 1.2 float word", |s| not_float(s))
}

fn data() -> impl Strategy<Value = BTreeMap<String, Vec<u8>>> {
    prop::collection::btree_map(
        secret_key(),
        prop::collection::vec(any::<u8>(), 0..300),
        1..5,
    )
}

fn scope() -> impl Strategy<Value = Scope> {
    prop_oneof![
        Just(Scope::Strict),
        Just(Scope::NamespaceWide),
        Just(Scope::ClusterWide)
    ]
}

fn secret(name: &str, ns: &str, scope: Scope, data: &BTreeMap<String, Vec<u8>>) -> Secret {
    let mut metadata = ObjectMeta {
        name: name.to_string(),
        namespace: ns.to_string(),
        ..Default::default()
    };
    scope.apply_to_annotations(&mut metadata.annotations);
    Secret {
        metadata,
        data: data
            .iter()
            .map(|(k, v)| (k.clone(), SecretBytes::new(v.clone())))
            .collect(),
        type_: Some("Opaque".into()),
        ..Default::default()
    }
}

fn yaml_map<'a>(v: &'a serde_yaml::Value, path: &[&str]) -> &'a serde_yaml::Mapping {
    let mut cur = v;
    for p in path {
        cur = cur
            .get(*p)
            .unwrap_or_else(|| panic!("missing {p} in {path:?}"));
    }
    cur.as_mapping().expect("a mapping")
}

fn yaml_str<'a>(v: &'a serde_yaml::Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for p in path {
        cur = cur
            .get(*p)
            .unwrap_or_else(|| panic!("missing {p} in {path:?}"));
    }
    cur.as_str()
        .unwrap_or_else(|| panic!("{path:?} is not a string: {cur:?}"))
}

fn string_pairs(m: &serde_yaml::Mapping) -> BTreeMap<String, String> {
    m.iter()
        .map(|(k, v)| {
            (
                k.as_str().expect("string key").to_string(),
                v.as_str().expect("string value").to_string(),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn seal_then_unseal_is_identity(
        name in dns_subdomain(),
        ns in dns_label(),
        scope in scope(),
        data in data(),
        seed in any::<u64>(),
    ) {
        let input = secret(&name, &ns, scope, &data);
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let sealed = new_sealed_secret(&mut rng, &cert().public_key, &input).unwrap();
        prop_assert_eq!(sealed.scope(), scope);
        let out = unseal(&sealed, private_keys()).unwrap();
        prop_assert_eq!(&out.metadata.name, &name);
        prop_assert_eq!(&out.metadata.namespace, &ns);
        let got: BTreeMap<String, Vec<u8>> =
            out.data.iter().map(|(k, v)| (k.clone(), v.to_vec())).collect();
        prop_assert_eq!(&got, &data);

        // Moved to another name: only strict scope refuses; another namespace:
        // strict and namespace-wide refuse; cluster-wide opens anywhere.
        let mut moved = sealed.clone();
        moved.metadata.name = format!("{name}x");
        prop_assert_eq!(unseal(&moved, private_keys()).is_ok(), scope != Scope::Strict);
        let mut moved = sealed.clone();
        moved.metadata.namespace = format!("{ns}x");
        prop_assert_eq!(unseal(&moved, private_keys()).is_ok(), scope == Scope::ClusterWide);
    }

    #[test]
    fn sealed_secret_yaml_reads_back(
        name in dns_subdomain(),
        ns in dns_label(),
        scope in scope(),
        data in data(),
        legacy in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let layout = if legacy { Layout::Legacy } else { Layout::Current };
        let input = secret(&name, &ns, scope, &data);
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let sealed = new_sealed_secret(&mut rng, &cert().public_key, &input).unwrap();
        let yaml = document(&sealed_secret_node(&sealed, layout), Format::Yaml);

        let v: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
        prop_assert_eq!(yaml_str(&v, &["kind"]), "SealedSecret");
        prop_assert_eq!(yaml_str(&v, &["metadata", "name"]), name.as_str());
        prop_assert_eq!(yaml_str(&v, &["metadata", "namespace"]), ns.as_str());
        prop_assert_eq!(yaml_str(&v, &["spec", "template", "metadata", "name"]), name.as_str());
        prop_assert_eq!(yaml_str(&v, &["spec", "template", "metadata", "namespace"]), ns.as_str());
        let enc = string_pairs(yaml_map(&v, &["spec", "encryptedData"]));
        prop_assert_eq!(&enc, &sealed.encrypted_data);
        let keys: Vec<&String> = data.keys().collect();
        prop_assert_eq!(enc.keys().collect::<Vec<_>>(), keys);

        // Our own reader gives back the very same model, and it still unseals.
        let back = read_sealed_secrets("prop.yaml", yaml.as_bytes()).unwrap();
        prop_assert_eq!(back.len(), 1);
        prop_assert_eq!(&back[0], &sealed);
        let out = unseal(&back[0], private_keys()).unwrap();
        let got: BTreeMap<String, Vec<u8>> =
            out.data.iter().map(|(k, v)| (k.clone(), v.to_vec())).collect();
        prop_assert_eq!(&got, &data);
    }

    #[test]
    fn secret_yaml_reads_back(
        name in dns_subdomain(),
        ns in dns_label(),
        scope in scope(),
        data in data(),
    ) {
        let input = secret(&name, &ns, scope, &data);
        let yaml = secret_document(&input, Layout::Current, Format::Yaml).unwrap();

        let v: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
        prop_assert_eq!(yaml_str(&v, &["kind"]), "Secret");
        prop_assert_eq!(yaml_str(&v, &["metadata", "name"]), name.as_str());
        prop_assert_eq!(yaml_str(&v, &["metadata", "namespace"]), ns.as_str());
        let b64 = base64::engine::general_purpose::STANDARD;
        let got: BTreeMap<String, Vec<u8>> = string_pairs(yaml_map(&v, &["data"]))
            .into_iter()
            .map(|(k, v)| (k, b64.decode(v).unwrap()))
            .collect();
        prop_assert_eq!(&got, &data);

        let back = read_secrets("prop.yaml", yaml.as_bytes()).unwrap();
        prop_assert_eq!(back.len(), 1);
        prop_assert_eq!(&back[0].metadata, &input.metadata);
        let got: BTreeMap<String, Vec<u8>> =
            back[0].data.iter().map(|(k, v)| (k.clone(), v.to_vec())).collect();
        prop_assert_eq!(&got, &data);
    }
}
