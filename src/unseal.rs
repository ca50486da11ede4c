//! TODO(unseal)
