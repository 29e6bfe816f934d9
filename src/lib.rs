//! rimguard: security middleware for HTTP services, as Tower layers.

pub use rimguard_core as core;

pub mod config;
#[cfg(feature = "cors")]
pub mod cors;
#[cfg(feature = "headers")]
pub mod headers;
#[cfg(feature = "headers")]
pub mod https;
