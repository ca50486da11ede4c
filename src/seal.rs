//! TODO(seal)
