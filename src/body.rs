//! The body type that flows between the stack's layers.
//!
//! The [`Stack`](crate::Stack) composes layers chosen at run time (from a
//! file), so it cannot name one nested type for them; between layers every
//! request and response body is boxed into [`Body`]. A service behind the
//! stack receives `Request<Body>`; axum's `Router` accepts any body, so
//! `Router::layer(stack)` needs nothing more.

use std::any::Any;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use rimguard_core::ResponseBody;

/// A boxed error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A boxed HTTP body of [`Bytes`] frames.
///
/// It can be made from `Bytes` (so layers that buffer a body can rebuild
/// one) and from any body with [`boxed`].
pub struct Body(UnsyncBoxBody<Bytes, BoxError>);

/// Boxes any body whose error converts into [`BoxError`]; a [`Body`] is
/// returned as it is, not boxed twice, and so is a [`Body`] that a rimguard
/// layer passed through in its `ResponseBody`.
pub fn boxed<B>(body: B) -> Body
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let mut slot = Some(body);
    let any = &mut slot as &mut dyn Any;
    if let Some(already) = any.downcast_mut::<Option<Body>>() {
        return already.take().expect("the slot was filled just above");
    }
    if let Some(layered) = any.downcast_mut::<Option<ResponseBody<Body>>>() {
        let layered = layered.take().expect("the slot was filled just above");
        return match layered.into_inner() {
            Ok(inner) => inner,
            Err(Some(bytes)) => Body::from(bytes),
            Err(None) => Body::empty(),
        };
    }
    let body = slot.take().expect("the slot was filled just above");
    Body(body.map_err(Into::into).boxed_unsync())
}

impl Body {
    /// An empty body.
    pub fn empty() -> Self {
        boxed(http_body_util::Empty::<Bytes>::new())
    }
}

impl Default for Body {
    fn default() -> Self {
        Self::empty()
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        boxed(http_body_util::Full::new(bytes))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Self::from(Bytes::from(text))
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body").finish_non_exhaustive()
    }
}

impl HttpBody for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.0).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    #[tokio::test]
    async fn boxing_a_stack_body_again_keeps_its_bytes() {
        let once = boxed(http_body_util::Full::new(Bytes::from_static(b"hello")));
        let twice = boxed(once);
        assert_eq!(twice.collect().await.unwrap().to_bytes(), "hello");
    }

    #[tokio::test]
    async fn a_layer_body_is_unwrapped_and_keeps_its_bytes() {
        let passed = ResponseBody::inner(Body::from(Bytes::from_static(b"inner")));
        assert_eq!(boxed(passed).collect().await.unwrap().to_bytes(), "inner");
        let refused: ResponseBody<Body> = ResponseBody::full("refused");
        let body = boxed(refused);
        assert_eq!(body.size_hint().exact(), Some(7));
        assert_eq!(body.collect().await.unwrap().to_bytes(), "refused");
        let empty: ResponseBody<Body> = ResponseBody::empty();
        assert!(boxed(empty).collect().await.unwrap().to_bytes().is_empty());
    }
}
