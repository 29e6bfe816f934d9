//! Security response headers: the OWASP recommendations for APIs, and no
//! `Server` banner.
//!
//! [`SecurityHeadersLayer`] adds a fixed set of headers to every response
//! that does not already carry them (the service's own value wins), and
//! removes the headers that advertise the software behind the service
//! (`Server`, `X-Powered-By` and any others configured). The defaults,
//! [`SecurityHeadersLayer::api`], follow the OWASP REST Security and HTTP
//! Headers cheat sheets for a JSON API:
//!
//! | header | default |
//! | --- | --- |
//! | `X-Content-Type-Options` | `nosniff` |
//! | `X-Frame-Options` | `DENY` |
//! | `Content-Security-Policy` | `default-src 'none'; frame-ancestors 'none'` |
//! | `Referrer-Policy` | `no-referrer` |
//! | `Permissions-Policy` | `accelerometer=(), camera=(), geolocation=(), microphone=(), payment=(), usb=()` |
//! | `Cross-Origin-Opener-Policy` | `same-origin` |
//! | `Cross-Origin-Resource-Policy` | `same-origin` |
//! | `Cross-Origin-Embedder-Policy` | `require-corp` |
//! | `Cache-Control` | `no-store` |
//!
//! HSTS belongs to the [`https`](crate::https) layer, which knows whether
//! the request came over HTTPS.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use http::{Request, Response};
//! use http_body_util::Empty;
//! use rimguard::headers::SecurityHeadersLayer;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let service = ServiceBuilder::new()
//!     .layer(SecurityHeadersLayer::api())
//!     .service(service_fn(|_req: Request<()>| async {
//!         let mut response = Response::new(Empty::<Bytes>::new());
//!         response.headers_mut().insert("server", "nginx/1.2.3".parse().unwrap());
//!         Ok::<_, std::convert::Infallible>(response)
//!     }));
//!
//! let response = service.oneshot(Request::new(())).await?;
//! assert_eq!(response.headers()["x-content-type-options"], "nosniff");
//! assert!(!response.headers().contains_key("server"));
//! # Ok(())
//! # }
//! ```

mod config;
mod future;
mod layer;
mod service;

pub use config::HeadersConfig;
pub use future::ResponseFuture;
pub use layer::SecurityHeadersLayer;
pub use service::SecurityHeaders;
