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
//!
//! # Example
//!
//! Resolve the client behind a proxy, then let an inner layer read it:
//!
//! ```
//! use std::net::SocketAddr;
//!
//! use http::{Request, Response};
//! use rimguard_core::ClientIp;
//! use rimguard_core::client_ip::{ClientIpLayer, FailurePolicy, Strategy};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let client_ip = ClientIpLayer::builder(Strategy::rightmost_x_forwarded_for())
//!     .trusted_proxies(["10.0.0.0/8".parse()?])
//!     .on_failure(FailurePolicy::Reject)
//!     .build()?;
//! let service = ServiceBuilder::new().layer(client_ip).service(service_fn(|req: Request<()>| async move {
//!     let ip = req.extensions().get::<ClientIp>().map(ClientIp::addr);
//!     Ok::<_, std::convert::Infallible>(Response::new(ip))
//! }));
//!
//! let mut request = Request::new(());
//! request.extensions_mut().insert(SocketAddr::from(([10, 0, 0, 1], 50000)));
//! request.headers_mut().insert("x-forwarded-for", "203.0.113.9".parse()?);
//! let response = service.oneshot(request).await?;
//! assert_eq!(response.status(), 200);
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `axum` | yes | the client IP layer also reads axum's `ConnectInfo<SocketAddr>` |

pub mod body;
pub mod client_ip;
pub mod config;
pub mod future;
pub mod identity;
pub mod rejection;

pub use body::ResponseBody;
pub use client_ip::{ClientIp, ClientIpSource};
pub use config::ConfigError;
pub use identity::{ApiKeyId, CallerPhone, MaskedPhone};
pub use rejection::{Layer, PreparedRejection, Rejection};
