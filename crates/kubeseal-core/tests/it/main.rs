//! kubeseal-core's integration tests as one test binary: its library API against
//! the real peers (openssl, Go's kubeseal code, kubesealpy, kubectl). The binary's
//! tests are in the root package (`tests/cli`); `envfile_kubectl` is a binary of
//! its own because it changes the process's working directory.

mod crypto_cert;
mod crypto_openssl;
mod crypto_props;
mod crypto_roundtrip;
mod emit_differential;
mod emit_golden;
mod emit_objects;
mod emit_readback;
mod emit_unicode;
mod envfile_fixtures;
mod goyaml_strconv;
mod interop_value_go;
mod interop_value_kubesealpy;
mod interop_value_linode;
mod interop_value_session_keys;
mod manifest_aliases;
mod manifest_corpus;
mod manifest_errors;
mod manifest_goyaml;
mod manifest_kinds;
mod manifest_kubectl;
mod manifest_metadata;
mod manifest_positions;
mod manifest_scalars;
mod manifest_sealed;
mod prop_roundtrip;
mod secret_types_go;

// What the modules above share.
mod crypto_support;
mod emit_support;
mod goref;
