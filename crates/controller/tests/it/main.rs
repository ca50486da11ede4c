//! empseal-controller's integration tests as one test binary: certificate
//! sources (URL, cluster) against the fake API server and controller.

mod source_cluster;
mod source_url;

// What the modules above share.
mod support;
