//! The whole stack as one Tower layer, in the order that matters.
//!
//! A [`Stack`] applies the layers in the order of rimguard's architecture,
//! outermost first, each one optional:
//!
//! 1. client IP (who is calling);
//! 2. audit (one record per request, written on the way back);
//! 3. HTTPS only, security headers and CORS;
//! 4. the first [`Route`] whose pattern matches: its IP allowlist, its
//!    per-client rate limits, its authentication (API key or webhook
//!    signature), its phone number rule and its per-customer rate limits;
//! 5. the service.
//!
//! Steps 1 to 3 apply to every request; step 4 only to requests that match
//! a route, so the webhook, the lookup API and the admin routes each get
//! their own policies without repeating the stack. A request that matches
//! no route goes straight to the service after step 3. When routes are
//! configured, a path with more than one spelling (`//`, dot segments,
//! `%61dmin`, an encoded `/`) is refused with `400` before matching, so no
//! spelling can reach a handler while missing its route.
//!
//! Build one from code with [`Stack::builder`], or from a configuration
//! with [`Stack::from_config`]. It is a [`tower_layer::Layer`], for
//! `axum::Router::layer` or any Tower service, and cheap to clone.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use http::{Request, Response, StatusCode};
//! use http_body_util::Full;
//! use rimguard::Stack;
//! use rimguard::body::Body;
//! use rimguard::https::HttpsOnlyLayer;
//! use rimguard::headers::SecurityHeadersLayer;
//! use tower::{ServiceExt, service_fn};
//! use tower_layer::Layer;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let stack = Stack::builder()
//!     .https_only(HttpsOnlyLayer::allow_plain_http())
//!     .security_headers(SecurityHeadersLayer::api())
//!     .build();
//!
//! let app = stack.layer(service_fn(|_req: Request<Body>| async {
//!     Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from("hello"))))
//! }));
//! let response = app.oneshot(Request::new(Full::new(Bytes::new()))).await?;
//!
//! assert_eq!(response.status(), StatusCode::OK);
//! assert_eq!(response.headers()["x-frame-options"], "DENY");
//! # Ok(())
//! # }
//! ```

mod builder;
mod service;
mod step;

pub use builder::{Route, Stack, StackBuilder};
pub use service::{ResponseFuture, RouteName, StackService};
