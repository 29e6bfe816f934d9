//! rimguard: security middleware for HTTP services, as Tower layers.

pub use rimguard_core as core;

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
