//! HTTPS only: refuse or redirect plain HTTP, and send HSTS over HTTPS.
//!
//! [`HttpsOnlyLayer`] decides whether a request arrived over HTTPS:
//!
//! - a connection that the server terminated with TLS itself counts as
//!   HTTPS when the server marks it with the [`TlsConnection`] request
//!   extension (the `rimguard` gateway does);
//! - behind a reverse proxy, the proxy's word counts only when the socket
//!   peer was a trusted proxy ([`ClientIp::peer_trusted`], set by the client
//!   IP layer, which must run first): the rightmost `X-Forwarded-Proto`
//!   value, or the `proto=` of the rightmost `Forwarded` element;
//! - anything else is plain HTTP. The request's own URI scheme is never
//!   trusted: over cleartext HTTP/2 the client chooses it.
//!
//! A plain request is refused with a `403` problem+json
//! ([`Layer::HttpsOnly`](rimguard_core::Layer::HttpsOnly), code
//! `https-required`), or, in redirect mode, a `GET` or `HEAD` is answered
//! with `308 Permanent Redirect` to the same path on the configured host
//! (other methods are still refused: a redirect would send their body in
//! the clear twice). The host comes from configuration, never from the
//! request's `Host` header, so the redirect cannot be pointed elsewhere.
//!
//! Responses to HTTPS requests get `Strict-Transport-Security` unless the
//! service set one itself.
//!
//! [`ClientIp::peer_trusted`]: rimguard_core::ClientIp::peer_trusted
//!
//! # Example
//!
//! ```
//! use std::net::Ipv4Addr;
//!
//! use bytes::Bytes;
//! use http::{Request, Response, StatusCode};
//! use http_body_util::Empty;
//! use rimguard::https::{HttpsOnlyLayer, TlsConnection};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let service = ServiceBuilder::new()
//!     .layer(HttpsOnlyLayer::refuse())
//!     .service(service_fn(|_req: Request<()>| async {
//!         Ok::<_, std::convert::Infallible>(Response::new(Empty::<Bytes>::new()))
//!     }));
//!
//! let plain = Request::new(());
//! let response = service.clone().oneshot(plain).await?;
//! assert_eq!(response.status(), StatusCode::FORBIDDEN);
//!
//! let mut tls = Request::new(());
//! tls.extensions_mut().insert(TlsConnection);
//! let response = service.oneshot(tls).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//! assert!(response.headers().contains_key("strict-transport-security"));
//! # Ok(())
//! # }
//! ```

mod config;
mod future;
mod layer;
mod service;

pub use config::{HstsConfig, HttpsConfig, HttpsMode};
pub use future::ResponseFuture;
pub use layer::HttpsOnlyLayer;
pub use service::HttpsOnly;

/// A request extension that says the connection was terminated with TLS by
/// this server. Servers that terminate TLS insert it on every request of a
/// TLS connection; [`HttpsOnly`] then counts the request as HTTPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TlsConnection;
