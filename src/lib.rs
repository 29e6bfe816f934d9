//! rimguard: security middleware for HTTP services, as Tower layers.

#[cfg(feature = "audit")]
pub use rimguard_audit as audit;
pub use rimguard_core as core;
#[cfg(feature = "ipfilter")]
pub use rimguard_ipfilter as ipfilter;
#[cfg(feature = "phone")]
pub use rimguard_phone as phone;
#[cfg(feature = "ratelimit")]
pub use rimguard_ratelimit as ratelimit;
#[cfg(feature = "redact")]
pub use rimguard_redact as redact;
#[cfg(feature = "secrets")]
pub use rimguard_secrets as secrets;

pub mod body;
pub mod config;
#[cfg(feature = "cors")]
pub mod cors;
mod from_config;
#[cfg(feature = "headers")]
pub mod headers;
#[cfg(feature = "headers")]
pub mod https;
pub mod stack;

pub use config::Config;
pub use from_config::BuildContext;
pub use stack::{Route, Stack, StackBuilder};
