//! [`PhoneLayer`]: find the caller's phone number in a request, validate it,
//! and hand it to the inner layers.
//!
//! The layer reads the number from one [`PhoneSource`] (a path segment, a
//! query parameter, a header or a JSON body field), parses it (strictly by
//! default, with an optional default region), checks it against a
//! [`PhonePolicy`] (valid or possible, allowed regions, allowed types) and
//! then either:
//!
//! - passes the request on with a [`ValidatedPhone`] and a
//!   `rimguard_core::CallerPhone` in its extensions (for the rate limiter and
//!   the audit log), or
//! - answers `422 Unprocessable Content` with a problem+json body whose
//!   `code` says why (`phone-missing`, `phone-invalid`,
//!   `phone-region-not-allowed`, `phone-letters`, …); the number itself is
//!   never echoed nor logged.
//!
//! A JSON body is buffered up to a bound (`413` beyond it) and handed on
//! intact, which requires the request body type to be rebuildable from
//! `Bytes` (`axum::body::Body`, `http_body_util::Full<Bytes>`, …).
//!
//! In WhatsApp mode the value is a `wa_id`; a business-scoped user id is
//! passed through with a [`ScopedSender`] instead of a phone.
//!
//! # Example
//!
//! ```
//! use http::{Request, Response, StatusCode};
//! use http_body_util::Full;
//! use bytes::Bytes;
//! use rimguard_core::CallerPhone;
//! use rimguard_phone::{PhoneLayer, PhoneSource, Region};
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let layer = PhoneLayer::new(PhoneSource::Header("x-phone".parse().unwrap()))
//!     .default_region(Region::new("GB").unwrap());
//! let service = ServiceBuilder::new().layer(layer).service_fn(|req: Request<Full<Bytes>>| async move {
//!     let phone = req.extensions().get::<CallerPhone>().unwrap();
//!     Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from(phone.as_e164().to_owned()))))
//! });
//!
//! let request = Request::builder().header("x-phone", "07911 123456").body(Full::default()).unwrap();
//! let response = service.clone().oneshot(request).await.unwrap();
//! assert_eq!(response.status(), StatusCode::OK);
//!
//! let request = Request::builder().header("x-phone", "07911 12345").body(Full::default()).unwrap();
//! let response = service.oneshot(request).await.unwrap();
//! assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
//! # }
//! ```

mod builder;
mod config;
mod policy;
mod service;

pub use builder::PhoneLayer;
pub use config::{PhoneConfig, SourceConfig};
pub use policy::{PhonePolicy, PhoneSource, ScopedSender, ValidatedPhone, Validity};
pub use service::{PhoneService, ResponseFuture};
