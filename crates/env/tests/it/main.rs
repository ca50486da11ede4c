//! empseal-env's integration tests as one test binary: environments, pins,
//! sealing and the atomic writer through the library.

mod fsio_files;
mod kustomize_build;
mod lifecycle_lib;
mod rollout_patch;
mod seal_redraw;
mod source_pin;

// What the modules above share.
mod support;
