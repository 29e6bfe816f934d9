//! HTTP: mark sensitive headers before tracing sees them, and views of
//! headers, URIs and query strings that are safe to log.
//!
//! [`SensitiveHeadersLayer`] sets [`HeaderValue::set_sensitive`] on every
//! value of every sensitive header of the request (and of the response, for
//! `set-cookie`), so that `Debug` of the header map, the request or the
//! response prints `Sensitive` instead of the value. Put it outermost, before
//! any tracing layer (tower-http's `TraceLayer` with headers included, an
//! audit layer) sees the request.
//!
//! Marking only changes `Debug`; the [`ScrubbingMakeWriter`] is what holds
//! for everything else that reaches a log, including headers nobody listed.
//!
//! [`HeaderValue::set_sensitive`]: http::HeaderValue::set_sensitive
#![cfg_attr(
    feature = "fmt",
    doc = "[`ScrubbingMakeWriter`]: crate::ScrubbingMakeWriter"
)]
#![cfg_attr(not(feature = "fmt"), doc = "[`ScrubbingMakeWriter`]: crate")]
//!
//! # Example
//!
//! ```
//! use http::{Request, Response};
//! use rimguard_redact::{Redactor, http::SensitiveHeadersLayer};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let redactor = Redactor::builder().header("x-shop-token").build().unwrap();
//! let service = ServiceBuilder::new()
//!     .layer(SensitiveHeadersLayer::new(&redactor))
//!     .service(service_fn(|req: Request<()>| async move {
//!         assert!(req.headers()["x-shop-token"].is_sensitive());
//!         assert!(!format!("{req:?}").contains("t0ken"));
//!         Ok::<_, std::convert::Infallible>(Response::new(()))
//!     }));
//!
//! let request = Request::builder().header("x-shop-token", "t0ken").body(()).unwrap();
//! service.oneshot(request).await.unwrap();
//! # }
//! ```
//!
//! The views, for a log line written by hand:
//!
//! ```
//! use http::{HeaderMap, Uri};
//! use rimguard_redact::Redactor;
//!
//! let redactor = Redactor::new();
//! let uri: Uri = "/orders?phone=%2B447911123456&api_key=k-123&page=2".parse().unwrap();
//! let mut headers = HeaderMap::new();
//! headers.insert("authorization", "Bearer abc.def.ghi".parse().unwrap());
//! headers.insert("accept", "text/html".parse().unwrap());
//!
//! assert_eq!(redactor.uri(&uri).to_string(), "/orders?phone=[phone:***3456]&api_key=[redacted]&page=2");
//! assert_eq!(format!("{:?}", redactor.headers(&headers)), r#"{"authorization": "[redacted]", "accept": "text/html"}"#);
//! ```

mod display;
mod future;
mod layer;
mod service;

pub use display::{RedactedHeaders, RedactedUri};
pub use future::ResponseFuture;
pub use layer::SensitiveHeadersLayer;
pub use service::{SensitiveHeaders, mark_sensitive};
