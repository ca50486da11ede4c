//! Emitter throughput on kubeseal-shaped objects (seal/check hot paths).

use std::collections::BTreeMap;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kubeseal_core::emit;
use kubeseal_core::secret::{Layout, SealedSecret};

fn sealed(keys: usize) -> SealedSecret {
    let mut s = SealedSecret::default();
    s.metadata.name = "emp-credentials".into();
    s.metadata.namespace = "emp-paper".into();
    s.template.metadata = s.metadata.clone();
    s.template.metadata.labels =
        BTreeMap::from([("app.kubernetes.io/part-of".into(), "emp".into())]);
    s.template.type_ = Some("Opaque".into());
    for i in 0..keys {
        // A 4096-bit RSA ciphertext plus AES-GCM of a short value: ~730 base64 chars.
        let v: String = (0..730)
            .map(|j| {
                b"AgBCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                    [(i * 7 + j) % 64] as char
            })
            .collect();
        s.encrypted_data.insert(format!("SERVICE_{i}_API_KEY"), v);
    }
    s
}

fn bench(c: &mut Criterion) {
    for keys in [10, 200] {
        let s = sealed(keys);
        let node = emit::sealed_secret_node(&s, Layout::Current);
        let bytes = emit::to_yaml(&node).len() as u64;
        let mut g = c.benchmark_group(format!("sealed_{keys}_keys"));
        g.throughput(Throughput::Bytes(bytes));
        g.bench_function("node", |b| {
            b.iter(|| emit::sealed_secret_node(&s, Layout::Current))
        });
        g.bench_function("to_yaml", |b| b.iter(|| emit::to_yaml(&node)));
        g.bench_function("to_json", |b| b.iter(|| emit::to_json(&node)));
        g.finish();
    }
    let prose = emit::Node::Map(
        (0..200)
            .map(|i| (format!("note{i}"), emit::Node::Str("a long annotation with spaces: it folds at eighty columns, has # and ' and \"quotes\" ".repeat(3))))
            .collect(),
    );
    let mut g = c.benchmark_group("prose_200_values");
    g.throughput(Throughput::Bytes(emit::to_yaml(&prose).len() as u64));
    g.bench_function("to_yaml", |b| b.iter(|| emit::to_yaml(&prose)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
