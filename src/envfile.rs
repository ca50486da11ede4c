//! TODO(envfile)
