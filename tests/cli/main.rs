//! The tests that run the `empseal` binary (and the k8s/ manifests it ships
//! with), as one test binary: each module was a test binary of its own. The
//! library crates' tests are in their crates (`crates/*/tests/it`).

/// The `empseal` binary under test (only the root package's tests see it).
pub const BIN: &str = env!("CARGO_BIN_EXE_empseal");

mod action_yml;
mod cli_check;
mod cli_check_ignore;
mod cli_controller;
mod cli_crypto;
mod cli_dry_run;
mod cli_exit_codes;
mod cli_files;
mod cli_help_examples;
mod cli_input_safety;
mod cli_kube_flags;
mod cli_kubeseal_bytes;
mod cli_seal;
mod cli_secret_types;
mod cli_shell;
mod cli_terminal;
mod gate_keys;
mod k8s_broken;
mod k8s_docs;
mod k8s_render;
mod kubeseal_parity;
mod lifecycle_crash;
mod lifecycle_e2e;
mod lifecycle_env_add;
mod lifecycle_files;
mod lifecycle_guard;
mod lifecycle_multi;
mod lifecycle_multi_env;
mod lifecycle_render;
mod memory_valgrind;
mod no_secret_leak;
mod package_deb;
mod precommit_hooks;
mod workspace_rules;

// What the modules above share.
mod fake_cluster;
mod k8s_support;
mod lifecycle_support;
