//! The stable facade of the environment lifecycle: every item the binary and
//! the tests name as `empseal_env::overlay::X`, re-exported from the module that
//! owns it. New code inside this crate imports from those modules; this path
//! stays so that callers need not follow the crate's internal layout.
//!
//! Nothing here prints: progress is reported through callbacks, results as values.

pub use crate::config::{Config, EnvConfig, SecretConfig, CONFIG_FILE};
pub use crate::env_file::read_env_values;
pub use crate::fsio::{remove_stale_temps, STALE_TEMP_AGE_SECS, TEMP_PREFIX, TEMP_SUFFIX};
pub use crate::kustomize::{kustomize_error_text, Kustomize, RenderedOrigin};
pub use crate::lock::{lock_dir, lock_env, EnvLock, DEFAULT_LOCK_WAIT_SECS, LOCK_WAIT_ENV};
pub use crate::message::did_you_mean;
pub use crate::record::{sha256_hex, Record};
pub use crate::render::{
    plan_render, render, render_out_dir, RenderEvent, RenderOptions, RenderedEnv,
};
pub use crate::rendered::{locate_rendered, parse_rendered, verify_rendered, RenderedObject};
pub use crate::rotate::{
    generate_value, plan_rotate, replace_env_values, rotate, RotateOptions, RotateOutcome,
    DEFAULT_GENERATED_LENGTH, GENERATED_ALPHABET,
};
pub use crate::seal::{
    adopt, check_seal_inputs, missing_required_keys, plan_seal_env, prepare_seal, seal_env,
    seal_env_guarded, seal_values, unignored_plaintext, Reseal, SealContext, SealGuards,
    SealOutcome,
};
pub use crate::sealed_file::{is_placeholder, read_one_sealed, CurrentSealed};
pub use crate::secrets::{select_secrets, EnvSecret};
pub use crate::state::{hmac_sha256, read_rollback_marker, rollback_marker, State};
pub use crate::target::{resolve_target, OverlayRender, Target};
pub use crate::workspace::{
    validate_env_name, Env, Workspace, DEFAULT_OVERLAYS_DIR, SEALED_SECRET_FILE, SEALING_DIR,
};
