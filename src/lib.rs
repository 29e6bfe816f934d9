//! rimguard: security middleware for HTTP services, as Tower layers.

pub use rimguard_core as core;
