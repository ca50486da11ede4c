//! Per-environment pinned certificates: created, kept, renewed, refused when the
//! key changes (nothing written), replaced on purpose; fingerprints checked
//! against OpenSSH's own computation.

use crate::support;

use std::path::{Path, PathBuf};

use empseal_controller::{Controller, ControllerEndpoint, ControllerRef, KubeOptions};
use empseal_env::pin::{
    cert_path, load_pin as load_pin_files, pin_certificate as pin_files, pin_path, Pin, PinError,
    PinFiles, PinOutcome,
};
use support::*;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The overlay's conventional pin files (`sealing/cert.pem`, `sealing/pin.yaml`).
fn load_pin(overlay: &Path) -> Result<Option<empseal_env::pin::PinnedCert>, PinError> {
    load_pin_files(&PinFiles::in_overlay(overlay))
}

fn pin_certificate(
    overlay: &Path,
    pem: &[u8],
    source: &str,
    accept_new: bool,
    now: i64,
) -> Result<PinOutcome, PinError> {
    pin_files(&PinFiles::in_overlay(overlay), pem, source, accept_new, now)
}

fn overlay(root: &Path) -> PathBuf {
    let d = root.join("k8s").join("overlays").join("paper");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every file under `dir` with its bytes and modification time.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let m = std::fs::metadata(&p).unwrap().modified().unwrap();
                out.push((p.clone(), std::fs::read(&p).unwrap(), m));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn date_u(secs: i64) -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{secs}"), "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn first_pin_writes_cert_and_record_with_independent_values() {
    let p = pki();
    let root = tempfile::tempdir().unwrap();
    let env = overlay(root.path());
    let t = now();
    let out = pin_certificate(
        &env,
        &p.controller1.cert_pem,
        "cluster https://k8s.example/ service kube-system/sealed-secrets-controller",
        false,
        t,
    )
    .unwrap();
    let pin = match &out {
        PinOutcome::Created(pin) => pin.clone(),
        other => panic!("{other:?}"),
    };
    assert!(out.wrote());
    assert_eq!(
        std::fs::read(cert_path(&env)).unwrap(),
        p.controller1.cert_pem,
        "cert.pem is the certificate, PEM"
    );
    assert_eq!(cert_path(&env), env.join("sealing/cert.pem"));
    let text = std::fs::read_to_string(pin_path(&env)).unwrap();
    assert!(
        text.starts_with("# The sealing certificate pinned for environment paper"),
        "{text}"
    );
    let on_disk: Pin = serde_yaml::from_str(&text).unwrap();
    assert_eq!(on_disk, pin);
    assert_eq!(
        pin.fingerprint,
        ssh_fingerprint(&p.controller1.cert),
        "fingerprint as ssh-keygen computes it"
    );
    assert_eq!(pin.not_after, openssl_date(&p.controller1.cert, "enddate"));
    assert_eq!(
        pin.not_before,
        openssl_date(&p.controller1.cert, "startdate")
    );
    assert_eq!(pin.fetched_at, date_u(t));
    assert!(
        pin.subject.contains("CN=sealed-secret") && pin.subject.contains("O=sealed-secret"),
        "{}",
        pin.subject
    );
    assert_eq!(
        pin.source,
        "cluster https://k8s.example/ service kube-system/sealed-secrets-controller"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(cert_path(&env))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o644
    );
    let loaded = load_pin(&env).unwrap().unwrap();
    assert_eq!(loaded.pin, pin);
    assert_eq!(loaded.pem, p.controller1.cert_pem);
}

#[test]
fn same_certificate_is_a_no_op_and_a_renewal_of_the_same_key_is_accepted() {
    let p = pki();
    let root = tempfile::tempdir().unwrap();
    let env = overlay(root.path());
    let t = now();
    pin_certificate(&env, &p.controller1.cert_pem, "src", false, t).unwrap();
    let before = snapshot(root.path());
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = pin_certificate(&env, &p.controller1.cert_pem, "src-2", false, t + 100).unwrap();
    assert!(matches!(out, PinOutcome::Unchanged(_)), "{out:?}");
    assert!(!out.wrote());
    assert_eq!(snapshot(root.path()), before, "nothing written");

    let out = pin_certificate(
        &env,
        &p.controller1_renewed.cert_pem,
        "src-3",
        false,
        t + 200,
    )
    .unwrap();
    match &out {
        PinOutcome::Renewed { old, new } => {
            assert_eq!(old.fingerprint, new.fingerprint);
            assert_eq!(
                new.not_after,
                openssl_date(&p.controller1_renewed.cert, "enddate")
            );
            assert_ne!(old.not_after, new.not_after);
            assert_eq!(new.source, "src-3");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        std::fs::read(cert_path(&env)).unwrap(),
        p.controller1_renewed.cert_pem
    );
}

#[test]
fn another_key_is_refused_with_both_fingerprints_and_nothing_written() {
    let p = pki();
    let root = tempfile::tempdir().unwrap();
    let env = overlay(root.path());
    pin_certificate(&env, &p.controller1.cert_pem, "first", false, now()).unwrap();
    let before = snapshot(root.path());
    let e = pin_certificate(&env, &p.controller2.cert_pem, "second", false, now()).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, PinError::PinMismatch { .. }), "{msg}");
    assert!(msg.starts_with("pin: environment paper: "), "{msg}");
    for needle in [
        ssh_fingerprint(&p.controller1.cert),
        ssh_fingerprint(&p.controller2.cert),
        openssl_date(&p.controller1.cert, "enddate"),
        openssl_date(&p.controller2.cert, "enddate"),
        "--accept-new".to_string(),
        "nothing was written".to_string(),
    ] {
        assert!(msg.contains(&needle), "missing {needle}: {msg}");
    }
    assert!(!msg.contains('\n'));
    assert!(matches!(e, PinError::PinMismatch { .. }));
    assert_eq!(
        snapshot(root.path()),
        before,
        "old pin intact, no stray files"
    );

    let out = pin_certificate(&env, &p.controller2.cert_pem, "second", true, now()).unwrap();
    match out {
        PinOutcome::Replaced { old, new } => {
            assert_eq!(old.fingerprint, ssh_fingerprint(&p.controller1.cert));
            assert_eq!(new.fingerprint, ssh_fingerprint(&p.controller2.cert));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(load_pin(&env).unwrap().unwrap().pem, p.controller2.cert_pem);
}

#[test]
fn unusable_certificates_are_refused_before_anything_is_written() {
    let p = pki();
    let root = tempfile::tempdir().unwrap();
    let env = overlay(root.path());
    let e = pin_certificate(&env, &p.controller_expired.cert_pem, "x", false, now()).unwrap_err();
    assert!(
        matches!(e, PinError::Cert(_)) && e.to_string().contains("expired"),
        "{e}"
    );
    let e = pin_certificate(
        &env,
        b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n",
        "x",
        false,
        now(),
    )
    .unwrap_err();
    assert!(matches!(e, PinError::Cert(_)), "{e}");
    // The TLS server certificate has an ECDSA key: not usable for sealing.
    let e = pin_certificate(&env, &p.server.cert_pem, "x", false, now()).unwrap_err();
    assert!(e.to_string().contains("not RSA"), "{e}");
    assert!(matches!(e, PinError::Cert(_)), "{e}");
    assert!(!env.join("sealing").exists(), "nothing written");
    assert!(load_pin(&env).unwrap().is_none());
}

#[test]
fn load_pin_refuses_files_that_disagree() {
    let p = pki();
    let root = tempfile::tempdir().unwrap();
    let env = overlay(root.path());
    pin_certificate(&env, &p.controller1.cert_pem, "first", false, now()).unwrap();
    // Someone swaps cert.pem by hand.
    std::fs::write(cert_path(&env), &p.controller2.cert_pem).unwrap();
    let e = load_pin(&env).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, PinError::Pin { .. }), "{msg}");
    assert!(
        msg.contains(&ssh_fingerprint(&p.controller1.cert))
            && msg.contains(&ssh_fingerprint(&p.controller2.cert)),
        "{msg}"
    );
    let before = snapshot(root.path());
    assert!(pin_certificate(&env, &p.controller1.cert_pem, "again", false, now()).is_err());
    assert_eq!(snapshot(root.path()), before);
    assert!(matches!(
        pin_certificate(&env, &p.controller1.cert_pem, "again", true, now()).unwrap(),
        PinOutcome::Replaced { .. }
    ));
    assert_eq!(load_pin(&env).unwrap().unwrap().pem, p.controller1.cert_pem);

    std::fs::remove_file(cert_path(&env)).unwrap();
    assert!(matches!(load_pin(&env), Err(PinError::Pin { .. })));
    std::fs::write(pin_path(&env), "fingerprint: [\n").unwrap();
    std::fs::write(cert_path(&env), &p.controller1.cert_pem).unwrap();
    let e = load_pin(&env).unwrap_err();
    assert!(e.to_string().contains("not a valid pin record"), "{e}");
}

#[test]
fn a_controller_whose_key_changed_under_the_pin_is_refused() {
    let p = pki();
    let root = tempfile::tempdir().unwrap();
    let env = overlay(root.path());
    let dir = tempfile::tempdir().unwrap();

    let fetch = |fake: &Fake, file: &str| {
        let kc = write_kubeconfig(
            dir.path(),
            file,
            &fake.https_url(),
            &p.ca.cert_pem,
            &User::Token(TOKEN),
        );
        let c = Controller::connect(
            ControllerEndpoint::Cluster {
                kube: KubeOptions::file(&kc, None),
                controller: ControllerRef::default(),
            },
            net(),
        )
        .unwrap();
        c.fetch_cert().unwrap()
    };
    let first = Fake::apiserver(&[]);
    let got = fetch(&first, "kc1");
    let out = pin_certificate(&env, &got.pem, &got.origin, false, now()).unwrap();
    assert!(matches!(out, PinOutcome::Created(_)));
    assert!(
        out.pin().source.starts_with("cluster https://127.0.0.1:"),
        "{}",
        out.pin().source
    );
    let before = snapshot(root.path());

    // The controller now presents another key.
    let second = Fake::apiserver(&[
        "--cert-pem",
        &path(&p.controller2.cert),
        "--key",
        &path(&p.controller2.key),
    ]);
    let got = fetch(&second, "kc2");
    let e = pin_certificate(&env, &got.pem, &got.origin, false, now()).unwrap_err();
    assert!(matches!(e, PinError::PinMismatch { .. }), "{e}");
    assert_eq!(snapshot(root.path()), before, "old pin intact");
    assert_eq!(load_pin(&env).unwrap().unwrap().pem, p.controller1.cert_pem);
}

#[test]
fn a_demo_pin_is_read_and_replaced_only_on_purpose() {
    let p = pki();
    let root = tempfile::tempdir().unwrap();
    let env = overlay(root.path());
    pin_certificate(
        &env,
        &p.controller1.cert_pem,
        "testdata/keys/demo.crt",
        false,
        now(),
    )
    .unwrap();
    // The demo pins committed in the repository carry a comment block and `demo: true`.
    let text = std::fs::read_to_string(pin_path(&env)).unwrap();
    let demo = format!(
        "# DEMO / TEST MATERIAL\ndemo: true\n{}",
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
    );
    std::fs::write(pin_path(&env), demo).unwrap();
    assert!(load_pin(&env).unwrap().unwrap().pin.demo);
    let before = snapshot(root.path());
    assert!(matches!(
        pin_certificate(&env, &p.controller2.cert_pem, "cluster", false, now()),
        Err(PinError::PinMismatch { .. })
    ));
    assert_eq!(snapshot(root.path()), before);
    let out = pin_certificate(&env, &p.controller2.cert_pem, "cluster", true, now()).unwrap();
    assert!(
        matches!(&out, PinOutcome::Replaced { old, new } if old.demo && !new.demo),
        "{out:?}"
    );
    let text = std::fs::read_to_string(pin_path(&env)).unwrap();
    assert!(!text.contains("demo"), "{text}");
}
