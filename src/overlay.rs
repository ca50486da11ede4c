//! TODO(overlay)
