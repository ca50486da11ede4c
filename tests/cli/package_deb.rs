//! The Debian package: `.ci/package` builds it with cargo-deb from the binary
//! `cargo test` has built, then it is installed for real with `dpkg -i` into a
//! temporary root (`dpkg --root`: its own database, nothing on the machine changes)
//! and used from there: `empseal --version`, `empseal check` on a repository with no
//! git on PATH, the man pages through `man`, the bash completion through `bash`.
//! Its Depends are checked against this machine's real dpkg database (`--dry-run`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::BIN;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {:?}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `.ci/package` with the debug binary, into `out`; returns the .deb.
fn build_deb(out: &Path) -> PathBuf {
    // The script packages <target>/debug/empseal: the binary this test was built with.
    let target_dir = Path::new(BIN).parent().unwrap().parent().unwrap();
    run(Command::new("bash")
        .arg(repo().join(".ci/package"))
        .args(["--profile", "dev", "--no-build", "--output"])
        .arg(out)
        .env("CARGO_TARGET_DIR", target_dir));
    let debs: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "deb"))
        .collect();
    assert_eq!(debs.len(), 1, "{debs:?}");
    debs[0].clone()
}

/// An empty dpkg root: the database directories `dpkg --root` expects.
fn dpkg_root(root: &Path) {
    let admin = root.join("var/lib/dpkg");
    for d in ["info", "updates", "triggers"] {
        std::fs::create_dir_all(admin.join(d)).unwrap();
    }
    std::fs::write(admin.join("status"), "").unwrap();
    std::fs::write(admin.join("available"), "").unwrap();
}

#[test]
fn deb_builds_installs_and_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let deb = build_deb(&tmp.path().join("out"));

    // Metadata: the OpenSSL runtime, nothing for git (libgit2 is vendored).
    let field = |name: &str| {
        text(&run(Command::new("dpkg-deb")
            .arg("--field")
            .arg(&deb)
            .arg(name)))
        .trim()
        .to_string()
    };
    assert_eq!(field("Package"), "empseal");
    assert_eq!(field("Version"), format!("{}-1", env!("CARGO_PKG_VERSION")));
    let depends = field("Depends");
    assert!(depends.contains("libssl3"), "{depends}");
    assert!(!depends.contains("git"), "{depends}");
    // The dependencies resolve on this machine (its real database, changing nothing).
    run(Command::new("dpkg").arg("--dry-run").arg("-i").arg(&deb));

    // Install for real into a separate root (its own database: the dependencies,
    // installed on the machine, are not in it).
    let root = tmp.path().join("root");
    dpkg_root(&root);
    run(Command::new("dpkg")
        .arg("--root")
        .arg(&root)
        .args(["--force-depends", "--force-not-root", "-i"])
        .arg(&deb));
    let status = text(&run(Command::new("dpkg")
        .arg("--root")
        .arg(&root)
        .args(["-s", "empseal"])));
    assert!(status.contains("Status: install ok installed"), "{status}");
    let files = text(&run(Command::new("dpkg")
        .arg("--root")
        .arg(&root)
        .args(["-L", "empseal"])));
    for f in [
        "/usr/bin/empseal",
        "/usr/share/man/man1/empseal.1.gz",
        "/usr/share/man/man1/empseal-seal.1.gz",
        "/usr/share/man/man1/empseal-cert-fetch.1.gz",
        "/usr/share/bash-completion/completions/empseal",
        "/usr/share/zsh/vendor-completions/_empseal",
        "/usr/share/fish/vendor_completions.d/empseal.fish",
        "/usr/share/doc/empseal/README.md",
        "/usr/share/doc/empseal/docs/ci.md",
        "/usr/share/doc/empseal/copyright",
    ] {
        assert!(files.lines().any(|l| l == f), "{f} not installed:\n{files}");
    }

    // The installed binary, with only its own directory on PATH (no git, no kubectl).
    let bin_dir = root.join("usr/bin");
    let installed = bin_dir.join("empseal");
    let version = text(&run(Command::new(&installed).arg("--version")));
    assert_eq!(version, format!("empseal {}\n", env!("CARGO_PKG_VERSION")));
    let ldd = text(&run(Command::new("ldd").arg(&installed)));
    assert!(ldd.contains("libssl.so.3"), "{ldd}");
    assert!(!ldd.contains("libgit2"), "{ldd}");

    let work = tmp.path().join("work");
    std::fs::create_dir_all(work.join("k8s")).unwrap();
    std::fs::write(
        work.join("k8s/sealed.yaml"),
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\n  namespace: n\nspec:\n  encryptedData:\n    K: AgAAAA...\n  template:\n    metadata:\n      name: s\n      namespace: n\n",
    )
    .unwrap();
    std::fs::write(work.join("k8s/cm.yaml"), "kind: ConfigMap\n").unwrap();
    run(Command::new("git").args(["init", "-q"]).current_dir(&work));
    let check = Command::new(&installed)
        .args(["check", "--format", "github", "k8s"])
        .current_dir(&work)
        .env("PATH", &bin_dir)
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        text(&check).starts_with("::error file=k8s/sealed.yaml,line=8"),
        "{}",
        text(&check)
    );
    std::fs::remove_file(work.join("k8s/sealed.yaml")).unwrap();
    let clean = Command::new(&installed)
        .args(["check", "k8s"])
        .current_dir(&work)
        .env("PATH", &bin_dir)
        .output()
        .unwrap();
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean));

    // The README's seal example with the installed binary (no kubectl, no git on
    // PATH), then check against the same certificate, then unseal with its key.
    let keys = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/keys");
    std::fs::copy(keys.join("demo-paper.crt"), work.join("cert.pem")).unwrap();
    std::fs::write(
        work.join("paper-secrets.env"),
        "API_KEY=pkg-canary-3e1f\nREDIS_PASSWORD=pkg-canary-9b2c\n",
    )
    .unwrap();
    let sealed = Command::new(&installed)
        .args([
            "seal",
            "--from-env-file",
            "paper-secrets.env",
            "--name",
            "emp-secrets-paper",
            "-n",
            "emp-system-paper",
            "--cert",
            "cert.pem",
            "-w",
            "k8s/sealedsecret.yaml",
        ])
        .current_dir(&work)
        .env("PATH", &bin_dir)
        .env_remove("SEALED_SECRETS_CERT")
        .output()
        .unwrap();
    assert_eq!(
        sealed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&sealed.stderr)
    );
    let checked = Command::new(&installed)
        .args(["check", "--cert", "cert.pem", "k8s"])
        .current_dir(&work)
        .env("PATH", &bin_dir)
        .env_remove("SEALED_SECRETS_CERT")
        .output()
        .unwrap();
    assert_eq!(checked.status.code(), Some(0), "{}", text(&checked));
    let unsealed = text(&run(Command::new(&installed)
        .arg("unseal")
        .arg("--private-key")
        .arg(keys.join("demo-paper.key"))
        .args(["-f", "k8s/sealedsecret.yaml", "-o", "json"])
        .current_dir(&work)
        .env("PATH", &bin_dir)));
    let secret: serde_json::Value = serde_json::from_str(&unsealed).unwrap();
    assert_eq!(secret["metadata"]["name"], "emp-secrets-paper");
    assert_eq!(
        secret["data"]["API_KEY"],
        base64_of("pkg-canary-3e1f"),
        "{unsealed}"
    );

    // man finds the installed pages by name.
    let man = text(&run(Command::new("man")
        .arg("-M")
        .arg(root.join("usr/share/man"))
        .arg("empseal-seal")
        .env("PAGER", "cat")
        .env("MANWIDTH", "100")));
    assert!(man.contains("empseal-seal"), "{man}");
    assert!(man.contains("--from-env-file"), "{man}");

    // The installed bash completion completes with the installed binary.
    let completion = root.join("usr/share/bash-completion/completions/empseal");
    let out = text(&run(Command::new("bash")
        .arg("-c")
        .arg(
            r#"source "$1"
fn=$(complete -p empseal | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
COMP_WORDS=(empseal se); COMP_CWORD=1
"$fn" empseal se empseal
printf '%s\n' "${COMPREPLY[@]}""#,
        )
        .arg("bash")
        .arg(&completion)
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))));
    assert_eq!(out, "seal\n");
}

/// Standard base64 of `s` (what a Secret's `data` holds).
fn base64_of(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}
