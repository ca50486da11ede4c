//! The lifecycle library API: convention resolution and overrides, and
//! determinism (same inputs + same randomness + same time = same bytes).

use crate::support as lifecycle_support;

use std::path::Path;

use empseal_env::overlay::{self, Workspace};
use kubeseal_core::secret::Scope;
use lifecycle_support::*;
use rand::SeedableRng;

const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn seal_with_seed(seed: u64) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let repo = pinned_repo();
    let ws = Workspace::open(repo.root()).unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let out = overlay::seal_env(&ws, "paper", false, &mut rng, NOW).unwrap();
    assert_eq!(out[0].resealed.len(), 3);
    (
        repo.read("k8s/overlays/paper/sealedsecret.yaml"),
        repo.read("k8s/overlays/paper/sealing/record.yaml"),
        repo.read("k8s/overlays/paper/.paper-secrets.state"),
    )
}

#[test]
fn same_randomness_and_time_give_the_same_bytes() {
    let a = seal_with_seed(42);
    let b = seal_with_seed(42);
    for (x, y, what) in [
        (&a.0, &b.0, "sealed file"),
        (&a.1, &b.1, "record"),
        (&a.2, &b.2, "state"),
    ] {
        assert!(
            x == y,
            "{what} differs between two runs with the same seed:\n{}\n---\n{}",
            String::from_utf8_lossy(x),
            String::from_utf8_lossy(y)
        );
    }
    let record: serde_yaml::Value = serde_yaml::from_slice(&a.1).unwrap();
    assert_eq!(record["sealedAt"], "2026-01-01T00:00:00Z");
    let c = seal_with_seed(43);
    assert_ne!(a.0, c.0);
    assert_ne!(a.2, c.2);
    // Nothing derived from a plaintext value is in the committed files.
    let values = env_pairs(
        &std::fs::read(
            project().join("testdata/lifecycle/repo/k8s/overlays/paper/paper-secrets.env.example"),
        )
        .unwrap(),
    );
    for v in values.values() {
        for committed in [&a.0, &a.1] {
            assert!(!String::from_utf8_lossy(committed).contains(v.as_str()));
        }
        let sha = overlay::sha256_hex(v.as_bytes());
        assert!(!String::from_utf8_lossy(&a.1).contains(&sha));
        assert!(
            !String::from_utf8_lossy(&a.2).contains(&sha),
            "unkeyed hash of a value in the state"
        );
    }
}

#[test]
fn conventions_resolve_and_empseal_yaml_overrides_them() {
    let repo = pinned_repo();
    let ws = Workspace::discover(&repo.path("k8s/overlays/paper/sealing")).unwrap();
    assert_eq!(ws.root, repo.root().canonicalize().unwrap());
    assert_eq!(ws.env_names().unwrap(), ["dev", "paper", "prod"]);
    let rel = |p: &Path| ws.display(p);
    let paper = ws.env("paper").unwrap();
    assert_eq!(paper.namespace.as_deref(), Some("emp-system-paper"));
    assert_eq!(
        rel(paper.secrets[0].sealed_secret.as_ref().unwrap()),
        "k8s/overlays/paper/sealedsecret.yaml"
    );
    assert_eq!(
        rel(paper.secrets[0].env_file.as_ref().unwrap()),
        "k8s/overlays/paper/paper-secrets.env"
    );
    assert_eq!(
        rel(paper.secrets[0].example_env_file.as_ref().unwrap()),
        "k8s/overlays/paper/paper-secrets.env.example"
    );
    assert_eq!(rel(&paper.cert), "k8s/overlays/paper/sealing/cert.pem");
    assert_eq!(rel(&paper.pin), "k8s/overlays/paper/sealing/pin.yaml");
    assert_eq!(
        rel(&paper.secrets[0].record),
        "k8s/overlays/paper/sealing/record.yaml"
    );
    assert_eq!(
        rel(&paper.secrets[0].state),
        "k8s/overlays/paper/.paper-secrets.state"
    );
    assert_eq!(paper.scope, None);
    let dev = ws.env("dev").unwrap();
    assert!(!dev.is_sealed());
    assert_eq!(dev.namespace.as_deref(), Some("emp-system-dev"));

    // The rendered target comes from kustomize.
    let (obj, _, _) =
        overlay::read_one_sealed("p", &repo.read("k8s/overlays/prod/sealedsecret.yaml")).unwrap();
    let prod = ws.env("prod").unwrap();
    let t = overlay::resolve_target(
        &ws,
        &prod,
        &prod.secrets[0],
        Some(&obj),
        &mut overlay::OverlayRender::new(),
    )
    .unwrap();
    assert_eq!(
        (t.name.as_str(), t.namespace.as_str(), t.scope),
        ("emp-secrets-prod", "emp-system-prod", Scope::Strict)
    );
    assert_eq!(t.label(), b"emp-system-prod/emp-secrets-prod");

    repo.write(
        "empseal.yaml",
        b"envs:\n  paper:\n    envFile: secrets/paper.env\n    scope: namespace-wide\n    namespace: elsewhere\n  staging:\n    dir: k8s/overlays/paper\n",
    );
    let ws = Workspace::open(repo.root()).unwrap();
    assert_eq!(ws.env_names().unwrap(), ["dev", "paper", "prod", "staging"]);
    let paper = ws.env("paper").unwrap();
    assert_eq!(
        rel(paper.secrets[0].env_file.as_ref().unwrap()),
        "secrets/paper.env"
    );
    assert_eq!(
        rel(paper.secrets[0].example_env_file.as_ref().unwrap()),
        "secrets/paper.env.example"
    );
    assert_eq!(rel(&paper.secrets[0].state), "secrets/.paper.state");
    assert_eq!(paper.scope, Some(Scope::NamespaceWide));
    assert_eq!(paper.namespace.as_deref(), Some("elsewhere"));
    assert_eq!(rel(&ws.env("staging").unwrap().dir), "k8s/overlays/paper");

    repo.write("empseal.yaml", b"envs:\n  paper:\n    scope: everywhere\n");
    let e = Workspace::open(repo.root()).unwrap_err();
    assert!(
        matches!(e, empseal_env::Error::Core(kubeseal_core::Error::Input(_))),
        "{e}"
    );
    assert!(
        e.to_string().starts_with("empseal.yaml: envs.paper.scope"),
        "{e}"
    );
}

#[test]
fn the_committed_demo_pins_are_the_demo_certificates_and_say_so() {
    for env in ["dev", "paper", "prod"] {
        let overlay = project().join(format!("k8s/overlays/{env}"));
        assert_eq!(
            std::fs::read(overlay.join("sealing/cert.pem")).unwrap(),
            std::fs::read(project().join(format!("testdata/keys/demo-{env}.crt"))).unwrap(),
            "{env}: the pinned certificate is not testdata/keys/demo-{env}.crt"
        );
        let pinned = empseal_env::pin::load_pin(&empseal_env::pin::PinFiles::in_overlay(&overlay))
            .unwrap_or_else(|e| panic!("{env}: {e}"))
            .unwrap_or_else(|| panic!("{env}: no pin"));
        assert!(pinned.pin.demo, "{env}: pin.yaml must say demo: true");
        assert_eq!(
            pinned.pin.fingerprint,
            openssl_fingerprint(&overlay.join("sealing/cert.pem")),
            "{env}"
        );
        let text =
            String::from_utf8(std::fs::read(overlay.join("sealing/pin.yaml")).unwrap()).unwrap();
        assert!(
            text.contains("DEMO / TEST MATERIAL")
                && text.contains(&format!("testdata/keys/demo-{env}.key"))
        );
        // And sealing for the env accepts it and reports it as demo material.
        let ws = Workspace::open(&project()).unwrap();
        let e = ws.env(env).unwrap();
        let (p, cert) = empseal_env::pin::require_pin(&e.pin_files(&ws), NOW).unwrap();
        assert!(p.is_demo());
        assert_eq!(p.fingerprint(), pinned.pin.fingerprint);
        assert_eq!(cert.fingerprint(), pinned.pin.fingerprint);
    }
}
