//! The request context shared by every rimguard layer.
//!
//! rimguard is a set of Tower layers for HTTP security. The layers talk only
//! through typed extensions, and the types they share live in this crate:
//!
//! - [`ClientIp`], the caller's address resolved once behind trusted proxies
//!   by the [`client_ip`] layer;
//! - [`Rejection`], the `application/problem+json` answer of any layer that
//!   refuses a request, kept in the response extensions for the audit layer;
//! - [`ResponseBody`], the body type a refusing layer answers with;
//! - [`ApiKeyId`] and [`CallerPhone`], the identities that inner layers find;
//! - [`ConfigError`], a refused configuration value with its field, file,
//!   line and column.

pub mod body;
pub mod client_ip;
pub mod config;
pub mod identity;
pub mod rejection;

pub use body::ResponseBody;
pub use client_ip::{ClientIp, ClientIpSource};
pub use config::ConfigError;
pub use identity::{ApiKeyId, CallerPhone, MaskedPhone};
pub use rejection::{Layer, PreparedRejection, Rejection};
