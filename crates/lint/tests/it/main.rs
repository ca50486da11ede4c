//! empseal-lint's integration tests as one test binary: `check` on the corpus
//! (filled by independent sealers), its output formats and repositories, and the fuzz
//! targets' bodies on their seed corpora.

#[path = "../../../../fuzz/harness.rs"]
mod harness;

mod check_corpus;
mod check_output;
mod check_repo;
mod fuzz_corpus;

// What the modules above share.
mod support;
