//! The workspace's dependency rules, read from what Cargo resolved (`cargo
//! metadata`), so a Cargo.toml edit that breaks one fails here:
//! - the kubeseal core is usable by any Rust tool: no other crate of the
//!   workspace, no command-line parser, no cluster client, no HTTP, no async
//!   runtime, no git;
//! - the environment lifecycle never reaches the network (the binary fetches
//!   certificates and hands their bytes over);
//! - only the binary parses command lines.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Package name → the names of everything it depends on for normal builds
/// (transitively; dev- and build-dependencies left out).
fn normal_closures() -> BTreeMap<String, BTreeSet<String>> {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let name_of: BTreeMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let mut direct: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for node in meta["resolve"]["nodes"].as_array().unwrap() {
        let deps = node["deps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k["kind"].is_null())
            })
            .map(|d| d["pkg"].as_str().unwrap())
            .collect();
        direct.insert(node["id"].as_str().unwrap(), deps);
    }
    let mut closures = BTreeMap::new();
    for member in meta["workspace_members"].as_array().unwrap() {
        let id = member.as_str().unwrap();
        let mut seen = BTreeSet::new();
        let mut todo = direct[id].clone();
        while let Some(d) = todo.pop() {
            if seen.insert(d) {
                todo.extend(direct[d].iter().copied());
            }
        }
        closures.insert(
            name_of[id].to_string(),
            seen.into_iter().map(|d| name_of[d].to_string()).collect(),
        );
    }
    closures
}

fn assert_none(closures: &BTreeMap<String, BTreeSet<String>>, krate: &str, banned: &[&str]) {
    let deps = closures
        .get(krate)
        .unwrap_or_else(|| panic!("{krate} is not a workspace member: {closures:?}"));
    let found: Vec<_> = banned.iter().filter(|b| deps.contains(**b)).collect();
    assert!(found.is_empty(), "{krate} depends on {found:?}");
}

#[test]
fn each_crate_depends_only_on_what_its_role_allows() {
    let c = normal_closures();
    let network = ["kube", "reqwest", "tokio", "hyper", "k8s-openapi"];
    let workspace = [
        "empseal",
        "empseal-controller",
        "empseal-lint",
        "empseal-env",
        "empseal-testkit",
    ];
    let mut core_banned = vec!["clap", "git2"];
    core_banned.extend(network);
    core_banned.extend(workspace);
    assert_none(&c, "kubeseal-core", &core_banned);

    let mut env_banned = vec!["clap", "empseal", "empseal-controller", "empseal-testkit"];
    env_banned.extend(network);
    assert_none(&c, "empseal-env", &env_banned);

    let mut lint_banned = vec!["clap", "empseal", "empseal-env", "empseal-controller"];
    lint_banned.extend(network);
    assert_none(&c, "empseal-lint", &lint_banned);

    assert_none(
        &c,
        "empseal-controller",
        &["clap", "git2", "empseal", "empseal-env", "empseal-lint"],
    );
    // The test kit is never a normal dependency of anything.
    for (krate, deps) in &c {
        assert!(
            !deps.contains("empseal-testkit"),
            "{krate} depends on the test kit"
        );
    }
    // The rules are not vacuous: the crates do depend on what they are for.
    assert!(c["kubeseal-core"].contains("openssl"));
    assert!(c["empseal-controller"].contains("kube"));
    assert!(c["empseal-env"].contains("kubeseal-core"));
    assert!(c["empseal"].contains("clap"));
}
