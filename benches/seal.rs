//! Criterion benchmarks of the sealing hot paths: one value per RSA size and value
//! size, many values in parallel vs one by one, env-file parsing and the
//! kubeseal-exact emitter. Run with `cargo bench --bench seal`.
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kubeseal_core::cert::Certificate;
use kubeseal_core::crypto::{hybrid_encrypt, seal_values_parallel, RsaPublicKey};
use kubeseal_core::emit::{sealed_secret_node, to_json, to_yaml};
use kubeseal_core::envfile::parse_env_bytes;
use kubeseal_core::secret::{Layout, ObjectMeta, SealedSecret, SecretBytes};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn key(bits: u32) -> RsaPublicKey {
    let path = format!("{}/testdata/keys/rsa{bits}.crt", env!("CARGO_MANIFEST_DIR"));
    let pem = std::fs::read(&path).expect("test certificate");
    Certificate::from_pem(&pem, &path)
        .expect("parse test certificate")
        .public_key
}

fn seal_one(c: &mut Criterion) {
    let mut g = c.benchmark_group("seal_one");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    for bits in [2048u32, 3072, 4096] {
        let k = key(bits);
        for size in [16usize, 1024, 64 * 1024] {
            let value = vec![b'x'; size];
            g.throughput(Throughput::Elements(1));
            g.bench_with_input(
                BenchmarkId::new(format!("rsa{bits}"), format!("{size}B")),
                &value,
                |b, v| b.iter(|| hybrid_encrypt(&mut rng, &k, black_box(v), b"ns/name").unwrap()),
            );
        }
    }
    g.finish();
}

fn seal_many(c: &mut Criterion) {
    // 256 values (about 33 ms of RSA on one core) per iteration: long enough that
    // the thread pool's start-up and the machine's jitter do not blur the speed-up.
    let mut g = c.benchmark_group("seal_256_values_rsa4096");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    let k = key(4096);
    let values: Vec<Vec<u8>> = (0..256)
        .map(|i| format!("value-{i:04}-{}", "v".repeat(24)).into_bytes())
        .collect();
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    g.throughput(Throughput::Elements(values.len() as u64));
    g.bench_function("parallel", |b| {
        b.iter(|| seal_values_parallel(&mut rng, &k, b"ns/name", black_box(&values)).unwrap())
    });
    g.bench_function("sequential", |b| {
        b.iter(|| {
            values
                .iter()
                .map(|v| hybrid_encrypt(&mut rng, &k, black_box(v), b"ns/name").unwrap())
                .collect::<Vec<_>>()
        })
    });
    g.finish();
}

fn envfile(c: &mut Criterion) {
    let mut text = String::from("# a 1,000-line env file\n");
    for i in 0..999 {
        if i % 50 == 0 {
            text.push_str("# comment line\n");
        } else {
            text.push_str(&format!("KEY_{i}=value-{i}-with some spaces and = signs\n"));
        }
    }
    let bytes = text.into_bytes();
    let env = |_: &str| -> Option<SecretBytes> { None };
    let mut g = c.benchmark_group("envfile");
    g.sample_size(30).measurement_time(Duration::from_secs(1));
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("parse_1000_lines", |b| {
        b.iter(|| parse_env_bytes("bench.env", black_box(&bytes), &env).unwrap())
    });
    g.finish();
}

fn emitter(c: &mut Criterion) {
    let k = key(4096);
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let values: Vec<Vec<u8>> = (0..20)
        .map(|i| format!("secret-{i}").into_bytes())
        .collect();
    let wires =
        seal_values_parallel(&mut rng, &k, b"emp-system-paper/emp-secrets-paper", &values).unwrap();
    let encrypted_data: BTreeMap<String, String> = wires
        .iter()
        .enumerate()
        .map(|(i, w)| (format!("KEY_{i:02}"), kubeseal_core::crypto::b64_encode(w)))
        .collect();
    let meta = ObjectMeta {
        name: "emp-secrets-paper".into(),
        namespace: "emp-system-paper".into(),
        ..Default::default()
    };
    let sealed = SealedSecret {
        metadata: meta.clone(),
        template: kubeseal_core::secret::SecretTemplate {
            metadata: meta,
            type_: Some("Opaque".into()),
            ..Default::default()
        },
        encrypted_data,
    };
    let mut g = c.benchmark_group("emit_20_keys");
    g.sample_size(30).measurement_time(Duration::from_secs(1));
    g.bench_function("node", |b| {
        b.iter(|| sealed_secret_node(black_box(&sealed), Layout::Current))
    });
    let node = sealed_secret_node(&sealed, Layout::Current);
    g.bench_function("yaml", |b| b.iter(|| to_yaml(black_box(&node))));
    g.bench_function("json", |b| b.iter(|| to_json(black_box(&node))));
    g.finish();
}

criterion_group!(benches, seal_one, seal_many, envfile, emitter);
criterion_main!(benches);
