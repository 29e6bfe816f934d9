//! The body type that flows between the stack's layers.
//!
//! The [`Stack`](crate::Stack) composes layers chosen at run time (from a
//! file), so it cannot name one nested type for them; between layers every
//! request and response body is boxed into [`Body`]. A service behind the
//! stack receives `Request<Body>`; axum's `Router` accepts any body, so
//! `Router::layer(stack)` needs nothing more.

use bytes::Bytes;
use http_body::Body as HttpBody;
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;

/// A boxed error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A boxed HTTP body of [`Bytes`] frames.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// Boxes any body whose error converts into [`BoxError`].
pub fn boxed<B>(body: B) -> Body
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed_unsync()
}
