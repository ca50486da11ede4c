//! Files and paths of the lifecycle commands (issue 17, "Hardening"): rendered
//! output is 0600 and all-or-nothing, `--out-dir` is relative to the repository
//! root, env names are overlay names (never paths), a demo render never touches
//! real env or sealed files wherever they are configured, and a symlinked env
//! file is written through to its target. Real binary, real git repositories,
//! real kustomize.

use crate::lifecycle_support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use lifecycle_support::*;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn one_line_error(out: &std::process::Output, code: i32, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{needle:?} not in {err}");
}

#[test]
fn render_output_that_holds_a_secret_is_created_0600() {
    let repo = pinned_repo();
    let out = repo.ok(&["render", "--env", "dev", "--env", "paper", "--demo"]);
    assert!(out.status.success());
    for env in ["dev", "paper"] {
        let f = repo.path(&format!("rendered/{env}.yaml"));
        assert_eq!(mode(&f), 0o600, "{env}.yaml");
    }
    // dev's rendered file holds the SecretGenerator's Secret: base64 values.
    let dev = String::from_utf8(repo.read("rendered/dev.yaml")).unwrap();
    assert!(dev.contains("kind: Secret"), "{dev}");
    // An existing, more open file is tightened too.
    std::fs::set_permissions(
        repo.path("rendered/dev.yaml"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    repo.ok(&["render", "--env", "dev", "--demo"]);
    assert_eq!(mode(&repo.path("rendered/dev.yaml")), 0o600);
}

#[test]
fn render_out_dir_is_relative_to_the_repository_root_not_the_cwd() {
    let repo = pinned_repo();
    let sub = repo.path("k8s/overlays");
    let out = empseal(
        &sub,
        &["render", "--env", "paper", "--demo", "--out-dir", "out/x"],
    );
    assert!(out.status.success(), "{}", all_output(&out));
    assert!(repo.path("out/x/paper.yaml").is_file());
    assert!(!sub.join("out").exists());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("-> out/x/paper.yaml"), "{text}");
}

#[test]
fn env_names_that_are_paths_are_refused_by_every_command_taking_env() {
    let mut repo = pinned_repo();
    repo.commit("Alice", "fixture");
    let before = tree_hash(repo.root(), &[".git"]);
    let outside = tempfile::tempdir().unwrap();
    let abs = outside.path().join("x").display().to_string();
    for bad in [
        "../base", "../../x", "..", ".", &abs, "paper/", ".hidden", "",
    ] {
        for args in [
            vec!["seal", "--env", bad],
            vec!["rotate", "--env", bad, "--generate"],
            vec!["render", "--env", bad, "--demo"],
            vec!["history", "--env", bad],
            vec!["rollback", "--env", bad, "--to", "HEAD"],
            vec!["check", "--env", bad],
            vec![
                "cert",
                "fetch",
                "--env",
                bad,
                "--controller-url",
                "http://127.0.0.1:9",
            ],
        ] {
            let out = repo.run(&args);
            let err = String::from_utf8_lossy(&out.stderr);
            // Bad input (exit 3) for every command, `check` included (one exit-code table).
            assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
            assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
            assert!(err.contains("invalid environment name"), "{args:?}: {err}");
        }
    }
    assert_eq!(tree_hash(repo.root(), &[".git"]), before);
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    assert!(!repo.path("base.yaml").exists() && !repo.path("rendered").exists());

    // In empseal.yaml too: an env named like a path is refused when the file is read.
    repo.write("empseal.yaml", b"envs:\n  ../base:\n    scope: strict\n");
    one_line_error(
        &repo.run(&["seal", "--env", "paper"]),
        3,
        "invalid environment name",
    );
}

#[test]
fn render_demo_never_touches_env_or_sealed_files_configured_outside_the_root() {
    let repo = pinned_repo();
    let vault = tempfile::tempdir().unwrap();
    let env_file = vault.path().join("paper.env");
    let sealed = vault.path().join("paper-sealed.yaml");
    let real_values = b"POSTGRES_PASSWORD=real-pg\nREDIS_PASSWORD=real-redis\nAPI_KEY=real-api\n";
    std::fs::write(&env_file, real_values).unwrap();
    std::fs::copy(repo.path("k8s/overlays/paper/sealedsecret.yaml"), &sealed).unwrap();
    let sealed_before = std::fs::read(&sealed).unwrap();
    repo.write(
        "empseal.yaml",
        format!(
            "envs:\n  paper:\n    envFile: {}\n    exampleEnvFile: k8s/overlays/paper/paper-secrets.env.example\n    sealedSecret: {}\n    secretName: emp-secrets-paper\n    secretNamespace: emp-system-paper\n",
            env_file.display(),
            sealed.display()
        )
        .as_bytes(),
    );
    let tree = tree_hash(repo.root(), &["rendered"]);
    let out = repo.run(&["render", "--env", "paper", "--demo"]);
    assert!(!all_output(&out).contains("real-"), "{}", all_output(&out));
    assert_eq!(std::fs::read(&env_file).unwrap(), real_values);
    assert_eq!(std::fs::read(&sealed).unwrap(), sealed_before);
    assert_eq!(tree_hash(repo.root(), &["rendered"]), tree);
    let mut names: Vec<String> = std::fs::read_dir(vault.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["paper-sealed.yaml", "paper.env"]);
}

#[test]
fn render_all_is_all_or_nothing_when_a_later_env_fails() {
    let repo = pinned_repo();
    std::fs::create_dir_all(repo.path("rendered")).unwrap();
    repo.write("rendered/dev.yaml", b"old dev\n");
    // prod (rendered last: envs go in name order) references a missing resource.
    let k = String::from_utf8(repo.read("k8s/overlays/prod/kustomization.yaml")).unwrap();
    repo.write(
        "k8s/overlays/prod/kustomization.yaml",
        k.replace("resources:\n", "resources:\n  - missing.yaml\n")
            .as_bytes(),
    );
    let out = repo.run(&["render", "--all", "--demo"]);
    assert_eq!(out.status.code(), Some(9), "{}", all_output(&out));
    assert_eq!(repo.read("rendered/dev.yaml"), b"old dev\n");
    let mut names: Vec<String> = std::fs::read_dir(repo.path("rendered"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["dev.yaml"], "no partial set of outputs");
    // Fixed, the same command writes all three.
    repo.write("k8s/overlays/prod/kustomization.yaml", k.as_bytes());
    repo.ok(&["render", "--all", "--demo"]);
    for env in ["dev", "paper", "prod"] {
        assert!(repo.path(&format!("rendered/{env}.yaml")).is_file());
    }
    assert_ne!(repo.read("rendered/dev.yaml"), b"old dev\n");
}

#[test]
fn rotate_generate_writes_through_a_symlinked_env_file_to_its_target() {
    let repo = pinned_repo();
    let vault = tempfile::tempdir().unwrap();
    let real = vault.path().join("paper-secrets.env");
    std::fs::rename(repo.path("k8s/overlays/paper/paper-secrets.env"), &real).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = repo.path("k8s/overlays/paper/paper-secrets.env");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let before = env_pairs(&std::fs::read(&real).unwrap());
    repo.ok(&["rotate", "--env", "paper", "--key", "API_KEY", "--generate"]);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let after = env_pairs(&std::fs::read(&real).unwrap());
    assert_ne!(after["API_KEY"], before["API_KEY"], "the target is stale");
    assert_eq!(after["POSTGRES_PASSWORD"], before["POSTGRES_PASSWORD"]);
    assert_eq!(mode(&real), 0o600);
    let sealed = read_sealed(&repo.read("k8s/overlays/paper/sealedsecret.yaml"));
    let plain = unseal(
        &as_rendered(&sealed, "emp-secrets-paper", "emp-system-paper"),
        demo_key("paper"),
    );
    assert_eq!(plain["API_KEY"], after["API_KEY"]);
}

/// A plain HTTP server (python3's http.server) answering `/v1/cert.pem` with `pem`,
/// as a controller reached with `--controller-url` would.
struct CertServer {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl CertServer {
    fn start(pem: &[u8]) -> CertServer {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("v1")).unwrap();
        std::fs::write(dir.path().join("v1/cert.pem"), pem).unwrap();
        let mut child = std::process::Command::new("python3")
            .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1"])
            .arg("--directory")
            .arg(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 is needed for this test");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .unwrap_or_else(|| panic!("no port in {line:?}"))
            .to_string();
        CertServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }
}

impl Drop for CertServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn cert_fetch_env_pins_the_certificate_empseal_yaml_configures_which_seal_env_uses() {
    let repo = pinned_repo();
    repo.write(
        "empseal.yaml",
        b"envs:\n  paper:\n    cert: certs/paper.pem\n",
    );
    let overlay_cert = repo.read("k8s/overlays/paper/sealing/cert.pem");
    let overlay_pin = repo.read("k8s/overlays/paper/sealing/pin.yaml");
    // The controller presents another key than the overlay's convention file holds.
    let prod_crt = project().join("testdata/keys/demo-prod.crt");
    let server = CertServer::start(&std::fs::read(&prod_crt).unwrap());
    let out = repo.run(&[
        "cert",
        "fetch",
        "--env",
        "paper",
        "--controller-url",
        &server.url,
    ]);
    assert!(out.status.success(), "{}", all_output(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("certs/paper.pem"));
    let fp = openssl_fingerprint(&prod_crt);
    assert!(repo.path("certs/pin.yaml").is_file());
    let pinned = empseal_env::pin::load_pin(&empseal_env::pin::PinFiles {
        env: "paper".into(),
        cert: repo.path("certs/paper.pem"),
        pin: repo.path("certs/pin.yaml"),
        base: repo.root().to_path_buf(),
    })
    .unwrap()
    .unwrap();
    assert_eq!(pinned.pin.fingerprint, fp);
    assert_eq!(
        repo.read("k8s/overlays/paper/sealing/cert.pem"),
        overlay_cert,
        "the convention file is not the configured pin"
    );
    assert_eq!(
        repo.read("k8s/overlays/paper/sealing/pin.yaml"),
        overlay_pin,
        "the convention pin is not the configured pin"
    );

    // Fetching again compares with that same pin: unchanged.
    let out = repo.run(&[
        "cert",
        "fetch",
        "--env",
        "paper",
        "--controller-url",
        &server.url,
    ]);
    assert!(out.status.success(), "{}", all_output(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unchanged"));

    // And seal --env seals with it.
    repo.ok(&["seal", "--env", "paper"]);
    // The record lives beside the configured certificate.
    let record = String::from_utf8(repo.read("certs/record.yaml")).unwrap();
    assert!(record.contains(&fp), "{record}");
    let sealed = read_sealed(&repo.read("k8s/overlays/paper/sealedsecret.yaml"));
    let plain = unseal(
        &as_rendered(&sealed, "emp-secrets-paper", "emp-system-paper"),
        demo_key("prod"),
    );
    assert_eq!(
        plain,
        env_pairs(&repo.read("k8s/overlays/paper/paper-secrets.env"))
    );
}

/// The keyring lifecycle through the real commands: the controller's key is
/// pinned, the controller renews it, `cert fetch --env --accept-new` keeps the
/// old certificate in sealing/keyring/, `cert retire` removes it.
#[test]
fn cert_fetch_accept_new_keeps_the_previous_key_and_cert_retire_removes_it() {
    let repo = pinned_repo();
    let fetch = |server: &CertServer, extra: &[&str]| {
        let mut args = vec![
            "cert",
            "fetch",
            "--env",
            "paper",
            "--controller-url",
            server.url.as_str(),
        ];
        args.extend_from_slice(extra);
        repo.run(&args)
    };
    let first = project().join("testdata/keys/rsa2048.crt");
    let renewed = project().join("testdata/keys/rsa4096.crt");
    let s1 = CertServer::start(&std::fs::read(&first).unwrap());
    let out = fetch(&s1, &["--accept-new"]);
    assert!(out.status.success(), "{}", all_output(&out));
    let ring = repo.path("k8s/overlays/paper/sealing/keyring");
    assert!(
        !ring.exists(),
        "the demo pin is not kept: no controller held it"
    );
    drop(s1);
    let s2 = CertServer::start(&std::fs::read(&renewed).unwrap());
    let out = fetch(&s2, &[]);
    assert_eq!(out.status.code(), Some(4), "a new key needs --accept-new");
    let out = fetch(&s2, &["--accept-new"]);
    assert!(out.status.success(), "{}", all_output(&out));
    let kept: Vec<_> = std::fs::read_dir(&ring).unwrap().flatten().collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        openssl_fingerprint(&kept[0].path()),
        openssl_fingerprint(&first),
        "the previous certificate is in the keyring"
    );
    let out = repo.ok(&[
        "cert",
        "retire",
        "--env",
        "paper",
        &openssl_fingerprint(&first),
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("retired"));
    assert_eq!(std::fs::read_dir(&ring).unwrap().count(), 0);
}
