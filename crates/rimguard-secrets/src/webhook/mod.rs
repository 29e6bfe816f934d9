//! WhatsApp Cloud API webhooks: [`WebhookSignatureLayer`].
//!
//! Meta calls a WhatsApp webhook in two ways, and the layer handles both:
//!
//! - **Event notifications** (`POST`) carry `X-Hub-Signature-256:
//!   sha256=<hex HMAC-SHA256 of the raw body with the app secret>`. They
//!   are verified as by [`HmacSignatureLayer`](crate::signature::HmacSignatureLayer)
//!   with [`SignatureScheme::whatsapp`](crate::signature::SignatureScheme::whatsapp):
//!   exact bytes, current and previous app secret both accepted, a body
//!   bound (413 over it), and the body handed on intact.
//! - **The subscription handshake** (`GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`)
//!   is answered by the layer itself: the verify token is compared in
//!   constant time with the configured one, and on a match the response is
//!   `200 text/plain` with the challenge, echoed only when it is a short
//!   token of letters, digits, `-`, `_`, `.` or `~` (at most 128 bytes).
//!   A wrong token is 403 `webhook-verify-token-mismatch`; a malformed
//!   handshake 400 `webhook-handshake-invalid`.
//!
//! Every other request, `GET` included, must carry a valid signature.
//! As with the general layer, the inner service receives
//! `Request<Full<Bytes>>` unless [`forward_body`](WebhookSignatureLayer::forward_body)
//! picks another body type (`axum::body::Body` for `Router::layer`).
//!
//! # Example
//!
//! The signature below was computed with
//! `python3 -c 'import hmac,hashlib; print(hmac.new(b"app-secret-current", b"{\"object\":\"whatsapp_business_account\"}", hashlib.sha256).hexdigest())'`.
//!
//! ```
//! use bytes::Bytes;
//! use http::{Request, Response, StatusCode};
//! use http_body_util::{BodyExt, Full};
//! use rimguard_secrets::secret::{SecretBytes, SecretString};
//! use rimguard_secrets::signature::SigningSecrets;
//! use rimguard_secrets::webhook::WebhookSignatureLayer;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app_secrets = SigningSecrets::new(SecretBytes::from(b"app-secret-current".to_vec()))
//!     .with_previous(SecretBytes::from(b"app-secret-previous".to_vec()));
//! let layer = WebhookSignatureLayer::whatsapp(app_secrets, SecretString::from("verify-me-123"));
//!
//! let service = ServiceBuilder::new().layer(layer).service(service_fn(
//!     |_: Request<Full<Bytes>>| async { Ok::<_, std::convert::Infallible>(Response::new(Full::default())) },
//! ));
//!
//! let handshake = Request::get("/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me-123&hub.challenge=1158201444")
//!     .body(Full::<Bytes>::default())
//!     .unwrap();
//! let response = service.clone().oneshot(handshake).await.unwrap();
//! assert_eq!(response.status(), StatusCode::OK);
//! assert_eq!(&response.into_body().collect().await.unwrap().to_bytes()[..], b"1158201444");
//!
//! let event = Request::post("/whatsapp")
//!     .header("x-hub-signature-256", "sha256=63a3e62d7c3215dfe45525871915e65078189de6aa4ae1f987c25ff983d5293b")
//!     .body(Full::new(Bytes::from_static(b"{\"object\":\"whatsapp_business_account\"}")))
//!     .unwrap();
//! assert_eq!(service.oneshot(event).await.unwrap().status(), StatusCode::OK);
//! # }
//! ```

mod layer;
mod service;

pub use self::layer::WebhookSignatureLayer;
pub use self::service::WebhookSignature;
