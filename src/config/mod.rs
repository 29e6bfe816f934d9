//! One configuration model for the whole stack, read from TOML.
//!
//! Every section of `rimguard.toml` is one layer's own serde config struct,
//! embedded here when its cargo feature is on. [`Config::loader`] reads a
//! file (or text), applies environment variable overrides, and refuses a
//! mistake with the file, line, column and dotted field:
//!
//! ```text
//! rimguard.toml:14:9: rate_limits.per_ip.policies[0].quota: invalid value: integer `0`, expected a nonzero u32
//! ```
//!
//! # Environment overrides
//!
//! A variable named `RIMGUARD__` followed by the path of a value, with `__`
//! between segments, replaces that one value:
//! `RIMGUARD__RATE_LIMITS__PER_IP__MAX_KEYS=50000` sets
//! `rate_limits.per_ip.max_keys`. Segments match keys ignoring case, with
//! `_` and `-` equal; a number indexes an array (`RIMGUARD__ROUTES__0__PATH`).
//! The value keeps the type of the string it replaces (unless it is an
//! inline table or array, `{…}` or `[…]`); otherwise it is read
//! as a TOML value (`100`, `true`, `["a", "b"]`, `{ records = 64 }`) and
//! else taken as a string.
//! An error in an overridden value names the variable instead of a line.
//!
//! # Secrets
//!
//! No section takes a secret value: sections that need one take the names
//! of its sources (`"keyring:rimguard/bot_key"`, `"env:WIX_API_KEY"`), and
//! serde's messages are scrubbed of the values they would echo.
//!
//! # Example
//!
//! ```
//! use rimguard::config::Config;
//!
//! let text = "[https]\nmode = \"redirect\"\nredirect_host = \"api.rimtyres.example\"\n";
//! let config = Config::loader().text("rimguard.toml", text).load()?;
//! assert!(config.https.is_some());
//!
//! let error = Config::loader().text("rimguard.toml", "[https]\nmode = \"sometimes\"\n").load().unwrap_err();
//! assert_eq!(error.field(), "https.mode");
//! assert_eq!((error.line(), error.column()), (Some(2), Some(8)));
//! # Ok::<(), rimguard::core::ConfigError>(())
//! ```

pub(crate) mod duration;
mod gateway;
mod model;
mod routes;
mod source;

pub use gateway::{GatewayConfig, MetricsConfig, TlsConfig};
pub use model::{Config, Loader};
pub use routes::{PathPattern, RouteConfig};
pub use source::{ENV_PREFIX, Locator};
