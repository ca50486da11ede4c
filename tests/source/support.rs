//! Test support for the `source` tests: a PKI generated at test time with OpenSSL,
//! the Python fake API server / controller / proxy (real TLS on 127.0.0.1), generated
//! kubeconfigs, and sealing/unsealing through kubesealpy.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::Duration;

use empseal_controller::{NetOptions, ProxyEnv};
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509NameBuilder, X509};

pub const TOKEN: &str = "tok-3b1f9c8e2d7a4f60a9e5c1d2b3a4f5e6";
pub const FORBIDDEN_TOKEN: &str = "tok-forbidden-77c2e1d0a8b94f31";
pub const WRONG_TOKEN: &str = "tok-wrong-0d9c8b7a6f5e4d3c2b1a";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A key pair and certificate written as PEM files.
#[derive(Clone, Debug)]
pub struct Issued {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub cert_pem: Vec<u8>,
}

/// Everything the tests trust, present or sign; generated once per test binary.
pub struct Pki {
    pub dir: PathBuf,
    pub ca: Issued,
    pub other_ca: Issued,
    pub server: Issued,
    pub expired_server: Issued,
    pub client: Issued,
    pub forbidden_client: Issued,
    pub controller1: Issued,
    pub controller2: Issued,
    /// Same key as controller1, re-issued with another validity (a renewal).
    pub controller1_renewed: Issued,
    pub controller_expired: Issued,
}

/// RSA 2048: the controller's sealing keys (sealed-secrets needs RSA).
fn key() -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
}

/// ECDSA P-256: TLS and client-certificate keys (quick to generate).
fn ec_key() -> PKey<Private> {
    let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap()
}

fn name(cn: &str, o: Option<&str>) -> openssl::x509::X509Name {
    let mut b = X509NameBuilder::new().unwrap();
    if let Some(o) = o {
        b.append_entry_by_text("O", o).unwrap();
    }
    b.append_entry_by_text("CN", cn).unwrap();
    b.build()
}

enum Kind {
    Ca,
    Server,
    Client,
    SelfSigned,
}

#[allow(clippy::too_many_arguments)]
fn issue(
    dir: &Path,
    file: &str,
    cn: &str,
    kind: Kind,
    key: &PKey<Private>,
    signer: Option<(&X509, &PKey<Private>)>,
    not_before: i64,
    not_after: i64,
    serial: u32,
) -> Issued {
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let sn = Asn1Integer::from_bn(&BigNum::from_u32(serial).unwrap()).unwrap();
    b.set_serial_number(&sn).unwrap();
    let subject = match kind {
        Kind::SelfSigned => name(cn, Some("sealed-secret")),
        _ => name(cn, None),
    };
    b.set_subject_name(&subject).unwrap();
    match signer {
        Some((ca, _)) => b.set_issuer_name(ca.subject_name()).unwrap(),
        None => b.set_issuer_name(&subject).unwrap(),
    }
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::from_unix(not_before).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(not_after).unwrap())
        .unwrap();
    match kind {
        Kind::Ca => {
            b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap();
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .key_cert_sign()
                    .crl_sign()
                    .build()
                    .unwrap(),
            )
            .unwrap();
        }
        Kind::Server => {
            let ctx = b.x509v3_context(signer.map(|s| &**s.0), None);
            let san = SubjectAlternativeName::new()
                .ip("127.0.0.1")
                .dns("localhost")
                .dns("apiserver.test")
                .build(&ctx)
                .unwrap();
            b.append_extension(san).unwrap();
            b.append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap())
                .unwrap();
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .key_encipherment()
                    .build()
                    .unwrap(),
            )
            .unwrap();
        }
        Kind::Client => {
            b.append_extension(ExtendedKeyUsage::new().client_auth().build().unwrap())
                .unwrap();
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .key_encipherment()
                    .build()
                    .unwrap(),
            )
            .unwrap();
        }
        Kind::SelfSigned => {
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .key_encipherment()
                    .build()
                    .unwrap(),
            )
            .unwrap();
        }
    }
    let sign_key = signer.map(|s| s.1).unwrap_or(key);
    b.sign(sign_key, MessageDigest::sha256()).unwrap();
    let cert = b.build();
    let cert_pem = cert.to_pem().unwrap();
    let cpath = dir.join(format!("{file}.pem"));
    let kpath = dir.join(format!("{file}.key"));
    std::fs::write(&cpath, &cert_pem).unwrap();
    std::fs::write(&kpath, key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    Issued {
        cert: cpath,
        key: kpath,
        cert_pem,
    }
}

/// The PKI for this test binary.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        // Remove what earlier (finished) test processes left behind.
        if let Ok(rd) = std::fs::read_dir(&base) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if let Some(pid) = n.strip_prefix("source-pki-") {
                    if !Path::new("/proc").join(pid).exists() {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
        }
        let dir = base.join(format!("source-pki-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let t = now();
        let day = 86_400;
        let ca_key = ec_key();
        let ca = issue(
            &dir,
            "ca",
            "empseal test CA",
            Kind::Ca,
            &ca_key,
            None,
            t - day,
            t + 30 * day,
            1,
        );
        let ca_x509 = X509::from_pem(&ca.cert_pem).unwrap();
        let other_key = ec_key();
        let other_ca = issue(
            &dir,
            "other-ca",
            "some other CA",
            Kind::Ca,
            &other_key,
            None,
            t - day,
            t + 30 * day,
            2,
        );
        let server_key = ec_key();
        let server = issue(
            &dir,
            "server",
            "apiserver",
            Kind::Server,
            &server_key,
            Some((&ca_x509, &ca_key)),
            t - day,
            t + day,
            3,
        );
        let expired_server = issue(
            &dir,
            "expired-server",
            "apiserver",
            Kind::Server,
            &server_key,
            Some((&ca_x509, &ca_key)),
            t - 10 * day,
            t - day,
            4,
        );
        let client_key = ec_key();
        let client = issue(
            &dir,
            "client",
            "alice",
            Kind::Client,
            &client_key,
            Some((&ca_x509, &ca_key)),
            t - day,
            t + day,
            5,
        );
        let forbidden_client = issue(
            &dir,
            "forbidden-client",
            "mallory",
            Kind::Client,
            &client_key,
            Some((&ca_x509, &ca_key)),
            t - day,
            t + day,
            6,
        );
        let k1 = key();
        let controller1 = issue(
            &dir,
            "controller1",
            "sealed-secret",
            Kind::SelfSigned,
            &k1,
            None,
            t - 3600,
            t + 3650 * day,
            7,
        );
        let controller1_renewed = issue(
            &dir,
            "controller1-renewed",
            "sealed-secret",
            Kind::SelfSigned,
            &k1,
            None,
            t - 60,
            t + 3660 * day,
            8,
        );
        let k2 = key();
        let controller2 = issue(
            &dir,
            "controller2",
            "sealed-secret",
            Kind::SelfSigned,
            &k2,
            None,
            t - 3600,
            t + 3650 * day,
            9,
        );
        let controller_expired = issue(
            &dir,
            "controller-expired",
            "sealed-secret",
            Kind::SelfSigned,
            &k2,
            None,
            t - 20 * day,
            t - day,
            10,
        );
        Pki {
            dir,
            ca,
            other_ca,
            server,
            expired_server,
            client,
            forbidden_client,
            controller1,
            controller2,
            controller1_renewed,
            controller_expired,
        }
    })
}

/// Fails (never skips) when the Python peer is missing.
pub fn require_python() {
    let ok = Command::new("python3")
        .args(["-c", "import kubesealpy, cryptography"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "python3 with kubesealpy is needed for these tests: run `bash .ci/setup`"
    );
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("source")
        .join(name)
}

/// A running fake server (API server, controller or proxy); killed on drop.
pub struct Fake {
    child: Child,
    pub port: u16,
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Fake {
    /// Starts `fake_apiserver.py` with `args`, waiting (bounded) for it to listen.
    pub fn start(args: &[String]) -> Fake {
        require_python();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("requests.jsonl");
        let mut child = Command::new("python3")
            .arg(script("fake_apiserver.py"))
            .args(args)
            .arg("--log")
            .arg(&log)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 is needed: run `bash .ci/setup`");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                panic!("fake server did not start within 30s");
            }
        };
        let port = match line
            .trim()
            .strip_prefix("READY ")
            .and_then(|p| p.parse().ok())
        {
            Some(p) => p,
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("fake server did not start: {line:?}");
            }
        };
        Fake {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    /// [`Fake::apiserver`] whose controller has renewed its key: it decrypts with
    /// `controller1`'s and `controller2`'s keys and serves `controller2`'s certificate.
    pub fn apiserver_after_key_renewal() -> Fake {
        let p = pki();
        Fake::apiserver(&[
            "--key",
            &path(&p.controller1.key),
            "--key",
            &path(&p.controller2.key),
            "--cert-pem",
            &path(&p.controller2.cert),
        ])
    }

    /// The fake API server with TLS (server cert from the test CA), demanding a bearer
    /// token (`TOKEN`) or a client certificate from the test CA, serving the
    /// controller with `controller1`'s key (and `controller2` as latest when `rotate_keys`).
    pub fn apiserver(extra: &[&str]) -> Fake {
        let p = pki();
        let mut args = vec![
            "--role".to_string(),
            "apiserver".to_string(),
            "--tls-cert".to_string(),
            path(&p.server.cert),
            "--tls-key".to_string(),
            path(&p.server.key),
            "--client-ca".to_string(),
            path(&p.ca.cert),
            "--token".to_string(),
            TOKEN.to_string(),
            "--forbidden-token".to_string(),
            FORBIDDEN_TOKEN.to_string(),
            "--forbidden-cn".to_string(),
            "mallory".to_string(),
        ];
        if !extra.contains(&"--cert-pem") {
            args.extend(["--cert-pem".to_string(), path(&p.controller1.cert)]);
        }
        if !extra.contains(&"--key") {
            args.extend(["--key".to_string(), path(&p.controller1.key)]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        Fake::start(&args)
    }

    /// The requests the server saw, as JSON objects.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    pub fn https_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn path(p: &Path) -> String {
    p.display().to_string()
}

/// How the kubeconfig user authenticates.
pub enum User<'a> {
    Token(&'a str),
    ClientCert(&'a Issued),
    Exec(&'a Path),
    None,
}

fn b64(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// The YAML of a kubeconfig with one context `test` (cluster `server`, trusting `ca_pem`).
pub fn kubeconfig_yaml(server: &str, ca_pem: &[u8], user: &User, context: &str) -> String {
    let user_yaml = match user {
        User::Token(t) => format!("    token: {t}\n"),
        User::ClientCert(i) => format!(
            "    client-certificate-data: {}\n    client-key-data: {}\n",
            b64(&i.cert_pem),
            b64(&std::fs::read(&i.key).unwrap())
        ),
        User::Exec(cmd) => format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: {}\n      interactiveMode: Never\n",
            cmd.display()
        ),
        User::None => "    {}\n".to_string(),
    };
    let user_yaml = if matches!(user, User::None) {
        "  user: {}\n".to_string()
    } else {
        format!("  user:\n{user_yaml}")
    };
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {context}-cluster\n  cluster:\n    server: {server}\n    certificate-authority-data: {}\nusers:\n- name: {context}-user\n{user_yaml}contexts:\n- name: {context}\n  context:\n    cluster: {context}-cluster\n    user: {context}-user\ncurrent-context: {context}\n",
        b64(ca_pem)
    )
}

/// Writes a kubeconfig file into `dir`.
pub fn write_kubeconfig(
    dir: &Path,
    file: &str,
    server: &str,
    ca_pem: &[u8],
    user: &User,
) -> PathBuf {
    let p = dir.join(file);
    std::fs::write(&p, kubeconfig_yaml(server, ca_pem, user, "test")).unwrap();
    p
}

/// Writes `dir/kc`: a kubeconfig for `fake`'s HTTPS address, trusting the test CA,
/// authenticating as `user` (what most cluster tests need).
pub fn fake_kubeconfig(dir: &Path, fake: &Fake, user: &User) -> PathBuf {
    write_kubeconfig(dir, "kc", &fake.https_url(), &pki().ca.cert_pem, user)
}

/// Writes an exec credential plugin printing `token`, counting its runs in `count_file`.
pub fn exec_plugin(dir: &Path, token: &str, exit_code: i32) -> PathBuf {
    let p = dir.join("cred-plugin.sh");
    let count = dir.join("plugin-runs");
    let script = format!(
        "#!/bin/sh\necho run >> '{}'\ncat <<EOF\n{{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{token}\"}}}}\nEOF\necho \"debug: issued {token}\" >&2\nexit {exit_code}\n",
        count.display()
    );
    std::fs::write(&p, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// Network options for tests: short timeouts, quick retries, no proxy from the environment.
pub fn net() -> NetOptions {
    NetOptions {
        connect_timeout: Duration::from_secs(3),
        request_timeout: Duration::from_secs(5),
        get_attempts: 3,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        proxy_env: ProxyEnv::none(),
        extra_root_ca_pem: None,
    }
}

/// A SealedSecret (JSON) sealed by kubesealpy with `cert`.
pub fn seal(cert: &Path, ns: &str, name: &str, scope: &str, kv: &[(&str, &str)]) -> Vec<u8> {
    require_python();
    let out = Command::new("python3")
        .arg(script("kubeseal_peer.py"))
        .args(["seal", &path(cert), ns, name, scope])
        .args(kv.iter().map(|(k, v)| format!("{k}={v}")))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubesealpy seal failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Unseals with kubesealpy and `key`; `None` when the key cannot decrypt.
pub fn unseal(key: &Path, sealed_json: &[u8]) -> Option<serde_json::Value> {
    use std::io::Write;
    let mut child = Command::new("python3")
        .arg(script("kubeseal_peer.py"))
        .args(["unseal", &path(key)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(sealed_json).unwrap();
    let out = child.wait_with_output().unwrap();
    match out.status.code() {
        Some(0) => Some(serde_json::from_slice(&out.stdout).unwrap()),
        Some(3) => None,
        _ => panic!(
            "kubesealpy unseal failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// Asserts a message is one line and holds none of the test credentials or plaintexts.
pub fn assert_clean(msg: &str, secrets: &[&str]) {
    assert!(!msg.contains('\n'), "message is not one line: {msg}");
    for s in [TOKEN, FORBIDDEN_TOKEN, WRONG_TOKEN].iter().chain(secrets) {
        assert!(!msg.contains(s), "message leaks {s:?}: {msg}");
    }
    assert!(!msg.contains("PRIVATE KEY"), "message leaks a key: {msg}");
}

/// The key fingerprint of a certificate as OpenSSH computes it (`ssh-keygen -l -E
/// sha256`): an independent check of `SHA256:...` fingerprints.
pub fn ssh_fingerprint(cert: &Path) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl x509 -in '{}' -pubkey -noout | ssh-keygen -i -m PKCS8 -f /dev/stdin | ssh-keygen -l -E sha256 -f -",
            cert.display()
        ))
        .output()
        .expect("openssl and ssh-keygen are needed: run `bash .ci/setup`");
    assert!(
        out.status.success(),
        "ssh-keygen failed (run `bash .ci/setup`): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string()
}

/// A certificate's notAfter / notBefore as OpenSSL prints it, in RFC 3339.
pub fn openssl_date(cert: &Path, which: &str) -> String {
    let out = Command::new("openssl")
        .args([
            "x509",
            "-in",
            &path(cert),
            "-noout",
            &format!("-{which}"),
            "-dateopt",
            "iso_8601",
        ])
        .output()
        .expect("openssl is needed: run `bash .ci/setup`");
    let s = String::from_utf8(out.stdout).unwrap();
    s.trim().split_once('=').unwrap().1.replace(' ', "T")
}
