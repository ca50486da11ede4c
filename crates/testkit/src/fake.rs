//! The fake Kubernetes API server / sealed-secrets controller / proxy
//! (`tests/source/fake_apiserver.py`, real TLS on 127.0.0.1), kubeconfigs for
//! it, and sealing/unsealing through the kubesealpy peer
//! (`tests/source/kubeseal_peer.py`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::paths::repo_root;
use crate::pki::{pki, Issued};
use crate::tools::require_python;

/// The bearer token the fake API server accepts.
pub const TOKEN: &str = "tok-3b1f9c8e2d7a4f60a9e5c1d2b3a4f5e6";
/// A token the fake API server knows but answers with 403.
pub const FORBIDDEN_TOKEN: &str = "tok-forbidden-77c2e1d0a8b94f31";
/// A token the fake API server does not know (401).
pub const WRONG_TOKEN: &str = "tok-wrong-0d9c8b7a6f5e4d3c2b1a";

/// A helper script under `tests/source` (the fake server, the kubesealpy peer).
fn script(name: &str) -> PathBuf {
    repo_root().join("tests/source").join(name)
}

/// A running fake server (API server, controller or proxy); killed on drop.
pub struct Fake {
    child: Child,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    /// Where it logs the requests it saw (JSON lines).
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

    /// `https://127.0.0.1:PORT`.
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

/// A path as a command-line argument.
pub fn path(p: &Path) -> String {
    p.display().to_string()
}

/// How the kubeconfig user authenticates.
pub enum User<'a> {
    /// A bearer token.
    Token(&'a str),
    /// A client certificate and its key.
    ClientCert(&'a Issued),
    /// An exec credential plugin.
    Exec(&'a Path),
    /// No credentials.
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
