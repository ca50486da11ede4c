//! `empseal check` throughput: 10,000 realistic SealedSecret manifests (kubeseal
//! layout, 3 keys each, values shaped like 4096-bit ciphertext) checked as files
//! in a directory tree, as one 10,000-document stream (kustomize output on
//! stdin), and one manifest alone. Goal (issue 4): 10,000 manifests < 1 s on the
//! 2-core machine. Run with `cargo bench --bench check`.

use std::path::Path;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use empseal_lint::{check_bytes, check_inputs, CheckOptions, ExpectedKey, Input};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

const MANIFESTS: usize = 10_000;

/// A structurally valid wire value for a 4096-bit key: prefix 512, an RSA block
/// below the bench modulus, AES-GCM ciphertext of a 16..64-byte secret plus tag.
fn wire_value(rng: &mut ChaCha20Rng) -> String {
    let plaintext_len = rng.random_range(16..64);
    let mut bytes = vec![0u8; 2 + 512 + plaintext_len + 16];
    rng.fill_bytes(&mut bytes);
    bytes[0] = 0x02;
    bytes[1] = 0x00;
    bytes[2] = rng.random_range(1..0xc0);
    STANDARD.encode(bytes)
}

fn manifest(i: usize, rng: &mut ChaCha20Rng) -> String {
    let env = ["dev", "paper", "prod"][i % 3];
    let (name, ns) = (format!("svc-{i}-secrets"), format!("emp-system-{env}"));
    format!(
        "---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  encryptedData:\n    API_KEY: {}\n    POSTGRES_PASSWORD: {}\n    REDIS_PASSWORD: {}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: svc-{i}\n      name: {name}\n      namespace: {ns}\n    type: Opaque\n",
        wire_value(rng),
        wire_value(rng),
        wire_value(rng)
    )
}

fn options() -> CheckOptions {
    let mut modulus = vec![0xffu8; 512];
    modulus[0] = 0xc0;
    let mut o = CheckOptions::new(1_700_000_000);
    o.expected_key = Some(ExpectedKey {
        modulus,
        not_after: Some(2_000_000_000),
        origin: "bench-cert.pem".into(),
    });
    o
}

fn write_tree(dir: &Path, docs: &[String]) {
    for (i, doc) in docs.iter().enumerate() {
        let sub = dir.join(format!("app-{:03}", i / 100));
        if i % 100 == 0 {
            std::fs::create_dir_all(&sub).unwrap();
        }
        std::fs::write(sub.join(format!("sealedsecret-{i}.yaml")), doc).unwrap();
    }
}

fn bench_check(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let docs: Vec<String> = (0..MANIFESTS).map(|i| manifest(i, &mut rng)).collect();
    let total_bytes: usize = docs.iter().map(String::len).sum();
    let tmp = tempfile::tempdir().unwrap();
    write_tree(tmp.path(), &docs);
    let opts = options();

    // Sanity: everything is read and clean, so the bench measures real work.
    let report = check_inputs(vec![Input::Path(tmp.path().to_path_buf())], &opts).unwrap();
    assert_eq!(report.files, MANIFESTS);
    assert_eq!(report.values, 3 * MANIFESTS);
    assert!(report.findings.is_empty(), "{:?}", report.findings.first());

    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements(MANIFESTS as u64));
    group.bench_function("10k_files_in_a_tree", |b| {
        b.iter(|| {
            let r = check_inputs(vec![Input::Path(tmp.path().to_path_buf())], &opts).unwrap();
            assert_eq!(r.values, 3 * MANIFESTS);
        })
    });
    let stream = docs.concat();
    group.throughput(Throughput::Bytes(total_bytes as u64));
    group.bench_function("10k_documents_one_stream", |b| {
        b.iter(|| {
            let f = check_bytes("<stdin>", stream.as_bytes(), &opts);
            assert!(f.is_empty());
        })
    });
    group.finish();

    let mut single = c.benchmark_group("check_one");
    single.throughput(Throughput::Bytes(docs[0].len() as u64));
    single.bench_function("one_manifest", |b| {
        b.iter(|| check_bytes("x.yaml", docs[0].as_bytes(), &opts))
    });
    single.finish();
}

criterion_group!(benches, bench_check);
criterion_main!(benches);
