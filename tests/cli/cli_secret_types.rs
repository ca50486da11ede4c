//! `empseal seal --type`: a Secret the API server would refuse for its type or
//! size is refused before sealing, in one line naming the file and the key, with
//! the input-error exit code and no file written.

use std::path::Path;
use std::process::{Command, Output};

use crate::BIN;

const INPUT_ERROR: i32 = 3;
const USAGE_ERROR: i32 = 2;

fn cert() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/keys/rsa2048.crt")
        .display()
        .to_string()
}

fn seal(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("seal")
        .args(["--cert", &cert(), "-w", "out.yaml"])
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env_remove("KUBECONFIG")
        .env_remove("SEALED_SECRETS_CERT")
        .output()
        .expect("run empseal")
}

#[test]
fn refused_types_name_file_and_key_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "hunter2-not-shown";
    let put = |name: &str, body: &[u8]| std::fs::write(dir.path().join(name), body).unwrap();
    put("pull.json", format!("[\"{secret}\"]").as_bytes());
    put(
        "broken.json",
        format!("{{\"auths\": {{\"{secret}\"").as_bytes(),
    );
    put("tls.crt", b"-----BEGIN CERTIFICATE-----\n");
    put("user.txt", secret.as_bytes());
    put("big.bin", &vec![b'x'; 1024 * 1024 + 1]);
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        (
            vec![
                "--type",
                "kubernetes.io/dockerconfigjson",
                "--from-file",
                ".dockerconfigjson=pull.json",
            ],
            &[
                "pull.json: key .dockerconfigjson: not a JSON object",
                "cannot unmarshal array",
                "{\"auths\": {...}}",
            ],
        ),
        (
            vec![
                "--type",
                "kubernetes.io/dockerconfigjson",
                "--from-file",
                ".dockerconfigjson=broken.json",
            ],
            &[
                "broken.json: key .dockerconfigjson: not valid JSON",
                "unexpected end of JSON input",
            ],
        ),
        (
            vec!["--type", "kubernetes.io/tls", "--from-file", "tls.crt"],
            &[
                "(from tls.crt): key tls.key: is missing",
                "kubernetes.io/tls",
            ],
        ),
        (
            vec![
                "--type",
                "kubernetes.io/basic-auth",
                "--from-file",
                "user=user.txt",
            ],
            &[
                "(from user.txt): keys username and password are both missing",
                "kubernetes.io/basic-auth",
            ],
        ),
        (
            vec!["--from-file", "big.bin"],
            &["(from big.bin): the Secret's values are 1048577 bytes together"],
        ),
    ];
    for (args, wanted) in cases {
        let mut all = args.clone();
        all.extend(["--name", "s", "-n", "ns"]);
        let out = seal(dir.path(), &all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(INPUT_ERROR), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
        for w in wanted {
            assert!(stderr.contains(w), "{args:?}: {w:?} not in {stderr}");
        }
        assert!(!stderr.contains(secret), "{args:?} shows a value: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(
            !dir.path().join("out.yaml").exists(),
            "{args:?} wrote a file"
        );
    }
}

#[test]
fn accepted_types_and_the_size_boundary_seal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.bin"), vec![b'x'; 1024 * 1024]).unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("k8s/overlays/paper/pull-secret.dockerconfigjson.example")
        .display()
        .to_string();
    let from_example = format!(".dockerconfigjson={example}");
    for args in [
        vec!["--from-file", "big.bin"],
        vec![
            "--type",
            "kubernetes.io/dockerconfigjson",
            "--from-file",
            &from_example,
        ],
        vec![
            "--type",
            "kubernetes.io/basic-auth",
            "--from-literal",
            "password=",
        ],
        vec!["--type", "example.com/anything", "--from-literal", "k=v"],
    ] {
        let mut all = args.clone();
        all.extend(["--name", "s", "-n", "ns"]);
        let out = seal(dir.path(), &all);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sealed = std::fs::read_to_string(dir.path().join("out.yaml")).unwrap();
        if let Some(t) = args.get(1).filter(|_| args[0] == "--type") {
            assert!(sealed.contains(&format!("    type: {t}\n")), "{sealed}");
        }
        std::fs::remove_file(dir.path().join("out.yaml")).unwrap();
    }
}

#[test]
fn type_needs_sources_to_build_from() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  k: dg==\n",
    )
    .unwrap();
    let out = seal(dir.path(), &["--type", "kubernetes.io/tls", "-f", "s.yaml"]);
    assert_eq!(out.status.code(), Some(USAGE_ERROR));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--type"));
    assert!(!dir.path().join("out.yaml").exists());
}
