//! The audit middleware: one record per request.
//!
//! [`AuditLayer`] goes outermost, right after the client IP layer. On the
//! way in it takes or makes the [`RequestId`](crate::RequestId), puts it and
//! an [`AuditContext`] in the request extensions, and notes the time, method,
//! target, client IP, route and user agent. On the way out it reads the
//! status, the [`Rejection`](rimguard_core::Rejection) an inner layer may
//! have left in the response extensions, and the identities, then hands the
//! finished record to its [`AuditSink`](crate::AuditSink). Serializing,
//! hashing and writing happen in the sink's own thread.
//!
//! # Identities found by inner layers
//!
//! The API key layer and the phone layer put [`ApiKeyId`] and
//! [`CallerPhone`] into the *request* extensions, which the audit layer, being
//! outermost, never sees again. The record takes them from, in order:
//!
//! 1. the response extensions (the convention for rimguard layers: a layer
//!    that learns an identity copies it into the response it returns, and so
//!    into any rejection it answers with);
//! 2. the [`AuditContext`] in the request extensions, which any inner layer
//!    or handler can fill (`context.set_api_key(..)`), and which
//!    [`CaptureIdentityLayer`] fills from the request extensions when placed
//!    innermost, right before the service;
//! 3. the request extensions as the audit layer saw them (client stacks,
//!    where the caller sets them before the call).
//!
//! # Example
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response};
//! use rimguard_audit::{AuditLayer, MemorySink};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let sink = MemorySink::new();
//! let service = ServiceBuilder::new()
//!     .layer(AuditLayer::new(sink.clone()))
//!     .service(service_fn(|_req: Request<()>| async {
//!         Ok::<_, Infallible>(Response::new(()))
//!     }));
//!
//! let response = service.oneshot(Request::get("/orders?token=s3cret").body(()).unwrap()).await.unwrap();
//! assert!(response.headers().contains_key("x-request-id"));
//!
//! let records = sink.take();
//! assert_eq!(records[0].masked_target(), "/orders?token=***");
//! assert_eq!(records[0].status().unwrap(), 200);
//! # }
//! ```
//!
//! [`ApiKeyId`]: rimguard_core::ApiKeyId
//! [`CallerPhone`]: rimguard_core::CallerPhone

mod capture;
mod context;
mod future;
mod layer;
mod service;

pub use capture::{CaptureIdentity, CaptureIdentityLayer};
pub use context::AuditContext;
pub use future::ResponseFuture;
pub use layer::AuditLayer;
pub use service::Audit;
