//! The examples at the end of every subcommand's `--help`. Each command line
//! runs as written in a checkout of the stack (`tests/cli/cli_help_examples.rs`
//! executes every one); a comment line ending in `(needs a cluster)` marks the
//! next command as talking to the controller.

pub const SEAL: &str = "\
Examples:
  # seal paper's env file with its pinned certificate (changed keys only)
  empseal seal --env paper
  # what sealing every sealed env would change (files, keys, certificate), writing nothing
  empseal seal --all-envs --dry-run
  # kubectl create secret ... | kubeseal, in one step
  empseal seal --from-env-file k8s/overlays/paper/paper-secrets.env --name emp-secrets-paper -n emp-system-paper --cert k8s/overlays/paper/sealing/cert.pem -w sealedsecret.yaml
  # one value, as kubeseal --raw
  empseal seal --raw --name emp-secrets-paper -n emp-system-paper --from-file api-key.txt --cert k8s/overlays/paper/sealing/cert.pem";

pub const UNSEAL: &str = "\
Examples:
  # recover values with a backup of the controller's key (kubeseal --recovery-unseal)
  empseal unseal --private-key sealed-secrets-key.pem -f k8s/overlays/paper/sealedsecret.yaml -w recovered.yaml
  # the same as JSON on stdout
  empseal unseal --private-key sealed-secrets-key.pem -f k8s/overlays/paper/sealedsecret.yaml -o json";

pub const CERT_SHOW: &str = "\
Examples:
  # subject, validity, key size and fingerprint of paper's pinned certificate
  empseal cert show k8s/overlays/paper/sealing/cert.pem
  empseal cert show k8s/overlays/prod/sealing/cert.pem";

pub const CERT: &str = "\
Examples:
  empseal cert show k8s/overlays/paper/sealing/cert.pem
  # pin the controller's certificate for paper (needs a cluster)
  empseal cert fetch --env paper";

pub const CERT_FETCH: &str = "\
Examples:
  # kubeseal --fetch-cert (needs a cluster)
  empseal cert fetch -w cert.pem
  # what pinning paper's certificate would change, writing nothing (needs a cluster)
  empseal cert fetch --env paper --dry-run
  # repin paper after the controller's key changed (needs a cluster)
  empseal cert fetch --env paper --accept-new
  # every env's pin, each from its context and controller in empseal.yaml, writing nothing (needs a cluster)
  empseal cert fetch --all-envs --accept-new --dry-run";

pub const RENDER: &str = "\
Examples:
  # every overlay from the committed example values (no secrets, no cluster)
  empseal render --all --demo --out-dir rendered
  # render and verify paper, show which files would be written
  empseal render --env paper --dry-run";

pub const ROTATE: &str = "\
Examples:
  # which keys and files a rotation would change, writing nothing
  empseal rotate --env paper --key API_KEY --generate --dry-run
  # a new random API_KEY in the env file, resealed alone
  empseal rotate --env paper --key API_KEY --generate";

pub const HISTORY: &str = "\
Examples:
  empseal history --env paper
  # full subjects and every field, for scripts
  empseal history --env paper --format json";

pub const ROLLBACK: &str = "\
Examples:
  # the key diff of going back one commit, writing nothing
  empseal rollback --env paper --to HEAD~1 --dry-run
  empseal rollback --env paper --to HEAD~1";

pub const CHECK: &str = "\
Examples:
  # paper's overlay as kustomize renders it, as GitHub annotations
  empseal check --env paper --format github
  # a tree, failing on warnings too
  empseal check k8s/overlays/paper --fail-on warning
  # every value sealed for this certificate's key?
  empseal check k8s/overlays/paper --cert k8s/overlays/paper/sealing/cert.pem";

pub const VALIDATE: &str = "\
Examples:
  # can the controller decrypt it? (needs a cluster)
  empseal validate -f k8s/overlays/paper/sealedsecret.yaml
  # a file sealed by `empseal seal ... -w sealedsecret.yaml` (needs a cluster)
  empseal validate -f sealedsecret.yaml";

pub const REENCRYPT: &str = "\
Examples:
  # which keys the controller's newest key would re-encrypt (needs a cluster)
  empseal reencrypt -f k8s/overlays/paper/sealedsecret.yaml --in-place --dry-run
  # re-encrypt in place, keeping the file's layout (needs a cluster)
  empseal reencrypt -f k8s/overlays/paper/sealedsecret.yaml --in-place";

pub const COMPLETIONS: &str = "\
Examples:
  # bash, for this shell (save it under bash-completion/completions/ to keep it)
  empseal completions bash
  empseal completions zsh";

pub const MAN: &str = "\
Examples:
  # empseal.1 and one page per command, then: man -l man/empseal-seal.1
  empseal man --out-dir man
  empseal man --out-dir share/man/man1";

pub const ADOPT: &str = "\
Examples:
  # paper's sealed file was sealed elsewhere with its pinned certificate: record it
  empseal adopt --env paper
  empseal adopt --env paper --root .";

pub const ROLLOUT: &str = "\
Examples:
  # paper's sealed file was sealed with kubeseal by hand: roll its workloads out
  empseal rollout --env paper
  empseal rollout --env paper --dry-run";

pub const ENV: &str = "\
Examples:
  # a uat environment on k8s/base, with paper's keys in its example env file
  empseal env add uat --from paper
  # what it would write
  empseal env add qa --dry-run";

pub const ENV_ADD: &str = "\
Examples:
  # namespace and Secret name follow the repository (emp-system-staging, emp-secrets)
  empseal env add staging --from paper
  # say them, and pin the controller's certificate at once
  empseal env add perf --namespace trading-perf --secret-name emp-secrets --cert perf-cert.pem
  empseal env add sim --dry-run";

pub const CERT_RETIRE: &str = "\
Examples:
  # the controller no longer holds these previous keys of paper's
  empseal cert retire --env paper SHA256:dWjtZ1lRISgUeyFvzomcH8ybYf7olanAy9oS59YBau0
  empseal cert retire --env paper --root . SHA256:RVdh8IiFMAqDXrqOC0gl8FPXpw+GKWy8Gk06QSbQX1Q";
