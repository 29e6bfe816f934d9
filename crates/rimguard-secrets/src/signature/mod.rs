//! HMAC signatures of raw request bodies: [`HmacSignatureLayer`].
//!
//! A provider that calls a webhook signs the exact bytes of the body with
//! a shared secret and sends the MAC in a header. The layer reads the body
//! (at most [`with_max_body`](HmacSignatureLayer::with_max_body) bytes,
//! 1 MiB unless set), computes the MAC over exactly those bytes, compares
//! it in constant time with the header's, and hands the body on intact.
//!
//! A [`SignatureScheme`] says where and how the provider writes its
//! signature: header name, prefix, [`Encoding`] (hex or base64) and
//! [`Algorithm`]. [`SignatureScheme::whatsapp`] is Meta's
//! `X-Hub-Signature-256: sha256=<hex>`; the WhatsApp layer with its
//! subscription handshake is in [`webhook`](crate::webhook).
//! [`SigningSecrets`] holds the current secret and, during a rotation, the
//! previous one: both are accepted, and [`SignedWith`] in the request
//! extensions says which matched.
//!
//! | the request | the answer |
//! | --- | --- |
//! | signature matches | passed on with the body intact |
//! | signature header missing, repeated, malformed or not matching | 401 `webhook-signature-invalid` |
//! | body over the bound (by `Content-Length` or while reading) | 413 `webhook-body-too-large` |
//! | body fails to arrive | 400 `webhook-body-unreadable` |
//!
//! # The request body type changes
//!
//! The body has to be read whole before it can be verified, so the inner
//! service receives `Request<Full<Bytes>>` (or any `B: From<Bytes>` chosen
//! with [`forward_body`](HmacSignatureLayer::forward_body); with axum, use
//! `forward_body::<axum::body::Body>()` so the layer fits
//! `Router::layer`). The response future is a plain state machine (no
//! allocation), and the layer needs neither `Send` services nor bodies.
//!
//! # Example
//!
//! The signature below was computed independently of this crate, with
//! `python3 -c 'import hmac,hashlib; print(hmac.new(b"shop-secret", b"{\"id\":1}", hashlib.sha256).digest())'`
//! and base64-encoded.
//!
//! ```
//! use bytes::Bytes;
//! use http::{HeaderName, Request, Response, StatusCode};
//! use http_body_util::{BodyExt, Full};
//! use rimguard_secrets::secret::SecretBytes;
//! use rimguard_secrets::signature::{Encoding, HmacSignatureLayer, SignatureScheme, SigningSecrets};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let scheme = SignatureScheme::new(HeaderName::from_static("x-shop-hmac-sha256"))
//!     .with_encoding(Encoding::Base64);
//! let secrets = SigningSecrets::new(SecretBytes::from(b"shop-secret".to_vec()));
//!
//! let service = ServiceBuilder::new()
//!     .layer(HmacSignatureLayer::new(scheme, secrets))
//!     .service(service_fn(|request: Request<Full<Bytes>>| async move {
//!         let body = request.into_body().collect().await?.to_bytes();
//!         Ok::<_, std::convert::Infallible>(Response::new(Full::new(body)))
//!     }));
//!
//! let request = Request::post("/hooks/orders")
//!     .header("x-shop-hmac-sha256", "plW8VGqq0nDMIEhDqaNNW99asdUCy7EIqLZVcQwtAZ0=")
//!     .body(Full::new(Bytes::from_static(b"{\"id\":1}")))
//!     .unwrap();
//! let response = service.clone().oneshot(request).await.unwrap();
//! assert_eq!(response.status(), StatusCode::OK);
//! assert_eq!(&response.into_body().collect().await.unwrap().to_bytes()[..], b"{\"id\":1}");
//!
//! let request = Request::post("/hooks/orders")
//!     .header("x-shop-hmac-sha256", "plW8VGqq0nDMIEhDqaNNW99asdUCy7EIqLZVcQwtAZ0=")
//!     .body(Full::new(Bytes::from_static(b"{\"id\":2}")))
//!     .unwrap();
//! assert_eq!(service.oneshot(request).await.unwrap().status(), StatusCode::UNAUTHORIZED);
//! # }
//! ```

mod future;
mod layer;
mod scheme;
mod service;

pub(crate) use self::future::Answer;
pub use self::future::ResponseFuture;
pub use self::layer::{DEFAULT_MAX_BODY, HmacSignatureLayer};
pub use self::scheme::{Algorithm, Encoding, SignatureScheme, SignedWith, SigningSecrets};
pub use self::service::HmacSignature;
