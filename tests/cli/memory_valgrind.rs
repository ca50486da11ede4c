//! Runs the built binary under valgrind's memcheck and asserts that sealing and
//! unsealing, in every scope, lose no memory and touch no invalid memory.
//!
//! Regression test for the leak the `wire` fuzz target found: OpenSSL 3.0 kept the
//! OAEP label copy handed over by `EVP_PKEY_CTX_set0_rsa_oaep_label`, so every
//! decrypted value of a strict or namespace-wide secret lost its label's bytes.
//! Needs valgrind (`bash .ci/setup` installs it).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::BIN;

fn keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/keys")
}

/// Runs `empseal args` under memcheck; returns (stdout, memcheck's report). Panics
/// when memcheck counted an error (invalid access, uninitialised use, or a
/// definite or indirect leak) or the command failed.
fn memcheck(dir: &Path, what: &str, args: &[&str]) -> (Vec<u8>, String) {
    let log = dir.join(format!("{what}.memcheck"));
    let out = Command::new("valgrind")
        .args([
            "--tool=memcheck",
            "--leak-check=full",
            "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=99",
            "--num-callers=30",
        ])
        .arg(format!("--log-file={}", log.display()))
        .arg(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("valgrind is installed (bash .ci/setup)");
    let report = std::fs::read_to_string(&log).unwrap();
    assert!(
        out.status.success(),
        "{what}: exit {:?}\nstderr: {}\nmemcheck:\n{report}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        report.contains("ERROR SUMMARY: 0 errors"),
        "{what}: memcheck found errors:\n{report}"
    );
    (out.stdout, report)
}

/// Bytes definitely lost, as memcheck's LEAK SUMMARY reports them (0 when the
/// summary says all heap blocks were freed).
fn definitely_lost(report: &str) -> u64 {
    report
        .lines()
        .find_map(|l| l.split("definitely lost: ").nth(1))
        .map(|rest| {
            rest.split(" bytes")
                .next()
                .unwrap()
                .replace(',', "")
                .parse()
                .unwrap()
        })
        .unwrap_or(0)
}

#[test]
fn seal_and_unseal_in_every_scope_lose_no_memory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.env"),
        "API_KEY=memcheck-value-one\nAPI_SECRET=memcheck-value-two\nPASSPHRASE=three\n",
    )
    .unwrap();
    let cert = keys().join("rsa2048.crt");
    let key = keys().join("rsa2048.key");
    for scope in ["strict", "namespace-wide", "cluster-wide"] {
        let sealed_name = format!("sealed-{scope}.yaml");
        let (_, report) = memcheck(
            dir.path(),
            &format!("seal-{scope}"),
            &[
                "seal",
                "--from-env-file",
                "app.env",
                "--name",
                "emp-secrets-paper",
                "-n",
                "emp-system-paper",
                "--scope",
                scope,
                "--cert",
                cert.to_str().unwrap(),
                "-w",
                &sealed_name,
            ],
        );
        assert_eq!(definitely_lost(&report), 0, "seal {scope}:\n{report}");

        let (plain, report) = memcheck(
            dir.path(),
            &format!("unseal-{scope}"),
            &[
                "unseal",
                "--private-key",
                key.to_str().unwrap(),
                "-f",
                &sealed_name,
            ],
        );
        assert_eq!(definitely_lost(&report), 0, "unseal {scope}:\n{report}");
        // The run really decrypted every value (base64 in the Secret's data).
        let plain = String::from_utf8(plain).unwrap();
        for v in ["memcheck-value-one", "memcheck-value-two", "three"] {
            let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, v);
            assert!(plain.contains(&b64), "unseal {scope} lacks {v}: {plain}");
        }
    }
}

#[test]
fn the_report_parser_reads_memchecks_summary() {
    let leaky = "==1== LEAK SUMMARY:\n==1==    definitely lost: 1,012 bytes in 3 blocks\n";
    assert_eq!(definitely_lost(leaky), 1012);
    assert_eq!(
        definitely_lost("==1== All heap blocks were freed -- no leaks are possible\n"),
        0
    );
}
