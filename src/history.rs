//! TODO(history)
