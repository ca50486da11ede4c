//! TODO(check)
