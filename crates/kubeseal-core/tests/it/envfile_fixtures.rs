//! The env files in testdata/envfiles, each run through the real kubectl and through
//! empseal: same keys and bytes when kubectl accepts the file; for the bad ones, an
//! error from both, ours one line naming file and line and never the value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use kubeseal_core::envfile::{parse_env_file, EnvFileError, ValueOrigin};
use kubeseal_core::secret::SecretBytes;
use zeroize::Zeroizing;

fn fixtures() -> PathBuf {
    empseal_testkit::repo_root().join("testdata/envfiles")
}

const ENV: &[(&str, &str)] = &[("FROM_ENV_SET", "value from the environment")];

fn lookup(k: &str) -> Option<SecretBytes> {
    ENV.iter()
        .find(|(n, _)| *n == k)
        .map(|(_, v)| Zeroizing::new(v.as_bytes().to_vec()))
}

/// kubectl's reading of an env file: Ok(key → bytes) or Err(message).
fn kubectl(file: &Path) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("kubectl");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("KUBECONFIG", dir.path().join("none"))
        .args([
            "create",
            "secret",
            "generic",
            "s",
            "--dry-run=client",
            "-o",
            "json",
        ])
        .arg(format!("--from-env-file={}", file.display()));
    for (k, v) in ENV {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .expect("kubectl is missing: run `bash .ci/setup`");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    Ok(v["data"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, b)| {
                    (
                        k.clone(),
                        base64::engine::general_purpose::STANDARD
                            .decode(b.as_str().unwrap())
                            .unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default())
}

#[test]
fn good_fixtures_match_kubectl() {
    for name in [
        "paper.envfile",
        "tricky.envfile",
        "from-environment.envfile",
    ] {
        let path = fixtures().join(name);
        let theirs = kubectl(&path).unwrap_or_else(|e| panic!("kubectl refused {name}: {e}"));
        let ours = parse_env_file(&path, &lookup).unwrap_or_else(|e| panic!("{e}"));
        let ours_map: BTreeMap<String, Vec<u8>> = ours
            .iter()
            .map(|e| (e.key.clone(), e.value.to_vec()))
            .collect();
        assert_eq!(ours_map, theirs, "{name}");
        if name == "tricky.envfile" {
            // The rules, as kubectl applied them above.
            assert_eq!(theirs["INDENTED"], b"value with trailing spaces   ");
            assert_eq!(theirs["TABBED"], b"\"double quoted\"");
            assert_eq!(theirs["SINGLE"], b"'single quoted'");
            assert_eq!(theirs["EQUALS"], b"a=b==c");
            assert_eq!(theirs["HASH"], b"value # not a comment");
            assert_eq!(theirs["EMPTY"], b"");
            assert_eq!(theirs["CR_INSIDE"], b"a\rb\r");
            assert_eq!(theirs["WIDE_SPACE_INDENT"], b"1");
            assert_eq!(theirs["LAST_NO_NEWLINE"], b"end");
            assert!(theirs.contains_key("DOTTED.key-name_1"));
        }
        if name == "from-environment.envfile" {
            assert_eq!(
                theirs["FROM_ENV_UNSET"], b"",
                "kubectl uses the empty string"
            );
            let unset = ours.iter().find(|e| e.key == "FROM_ENV_UNSET").unwrap();
            assert_eq!(unset.value_origin, ValueOrigin::Unset);
            let set = ours.iter().find(|e| e.key == "FROM_ENV_SET").unwrap();
            assert_eq!(set.value_origin, ValueOrigin::Environment);
        }
    }
}

#[test]
fn bad_fixtures_fail_like_kubectl_with_one_clear_line() {
    let cases: &[(&str, usize, &str)] = &[
        (
            "bad-export.envfile",
            2,
            "'export' is not part of the env-file syntax",
        ),
        ("bad-spaces.envfile", 2, "no spaces are allowed around '='"),
        (
            "bad-duplicate.envfile",
            3,
            "key API_KEY is already defined by line 1",
        ),
        (
            "bad-latin1.envfile",
            2,
            "invalid UTF-8 at byte 13 of the line",
        ),
        (
            "bad-leading-digit.envfile",
            1,
            "the key starts with a digit",
        ),
        ("bad-no-equals.envfile", 2, "the line has no '='"),
        ("bad-empty-key.envfile", 1, "the key is empty"),
        (
            "bad-multiline.envfile",
            2,
            "line 1 opens a quote that does not close there",
        ),
    ];
    let mut count = 0;
    for (name, line, text) in cases {
        let path = fixtures().join(name);
        let theirs = kubectl(&path);
        assert!(theirs.is_err(), "kubectl accepted {name}");
        let e: EnvFileError = parse_env_file(&path, &lookup).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with(&format!("{}:{line}: ", path.display())),
            "{msg}"
        );
        assert!(msg.contains(text), "{msg}");
        assert!(!msg.contains('\n'));
        for secret in ["hunter2", "paper-api-key", "MIIE", "caf", "two"] {
            assert!(!msg.contains(secret), "{name}: leaks {secret:?}: {msg}");
        }
        assert!(matches!(
            kubeseal_core::Error::from(e),
            kubeseal_core::Error::Input(_)
        ));
        count += 1;
    }
    let bad_files = std::fs::read_dir(fixtures())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("bad-")
        })
        .count();
    assert_eq!(count, bad_files, "every bad fixture has an expectation");
}
