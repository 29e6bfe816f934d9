//! API-key authentication: [`ApiKeyLayer`].
//!
//! The key is read from `Authorization: Bearer <key>` or, with
//! [`ApiKeyLayer::with_header`], from a header of its own such as
//! `X-Api-Key`. It is never read from the query string, where it would
//! end up in access logs, browser history and `Referer` headers.
//!
//! The presented key is hashed with SHA-256 and the digest compared in
//! constant time with the stored digest of every active key (see
//! [`ApiKeys`](crate::rotation::ApiKeys)), without stopping at a match.
//! Then:
//!
//! | the request | the answer |
//! | --- | --- |
//! | a known key whose scopes allow the method | passed on, with the key's [`ApiKeyId`](rimguard_core::ApiKeyId) in the request extensions |
//! | a known key whose scopes do not (a read-only key on `POST`) | 403 `api-key-scope` |
//! | no key, a malformed header, an unknown or a wrong key | 401 `api-key-invalid`, one body for all, with `WWW-Authenticate` |
//!
//! Refusals are `application/problem+json` ([`Rejection`](rimguard_core::Rejection)
//! with [`Layer::ApiKey`](rimguard_core::Layer::ApiKey), in the response
//! extensions for the audit layer) and are logged at DEBUG on target
//! `rimguard::secrets` with the reason, never the key.
//!
//! # Example
//!
//! ```
//! use std::time::SystemTime;
//! use bytes::Bytes;
//! use http::{Request, Response, StatusCode};
//! use http_body_util::Empty;
//! use rimguard_core::ApiKeyId;
//! use rimguard_secrets::api_key::ApiKeyLayer;
//! use rimguard_secrets::key::ApiKey;
//! use rimguard_secrets::rotation::ApiKeys;
//! use rimguard_secrets::secret::SecretString;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let secret = SecretString::from("rg_live_ab12cd34ef56gh78ij90");
//! let keys = ApiKeys::new(ApiKey::new("bot-1", &secret, SystemTime::now()).unwrap());
//!
//! let service = ServiceBuilder::new()
//!     .layer(ApiKeyLayer::new(keys))
//!     .service(service_fn(|request: Request<Empty<Bytes>>| async move {
//!         let id = request.extensions().get::<ApiKeyId>().unwrap().clone();
//!         Ok::<_, std::convert::Infallible>(Response::new(id.to_string()))
//!     }));
//!
//! let request = Request::get("/orders")
//!     .header("authorization", "Bearer rg_live_ab12cd34ef56gh78ij90")
//!     .body(Empty::new())
//!     .unwrap();
//! let response = service.clone().oneshot(request).await.unwrap();
//! assert_eq!(response.status(), StatusCode::OK);
//!
//! let request = Request::get("/orders").body(Empty::new()).unwrap();
//! let response = service.oneshot(request).await.unwrap();
//! assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
//! assert_eq!(response.headers()["www-authenticate"], "Bearer realm=\"rimguard\"");
//! # }
//! ```
//!
//! A key in a header of its own:
//!
//! ```
//! # use std::time::SystemTime;
//! # use rimguard_secrets::{api_key::ApiKeyLayer, key::{ApiKey, Scopes}, rotation::ApiKeys, secret::SecretString};
//! # let secret = SecretString::from("rg_live_ab12cd34ef56gh78ij90");
//! let key = ApiKey::new("shop", &secret, SystemTime::now()).unwrap().with_scopes(Scopes::READ_WRITE);
//! let layer = ApiKeyLayer::new(ApiKeys::new(key))
//!     .with_header(http::HeaderName::from_static("x-api-key"));
//! ```

mod future;
mod layer;
mod service;

pub use self::future::ResponseFuture;
pub use self::layer::{ApiKeyLayer, KeyLocation};
pub use self::service::ApiKeyAuth;
