//! The response body that every rimguard layer answers with.
//!
//! A layer that refuses a request answers it itself, with a small
//! `application/problem+json` body, while a request that passes gets the
//! inner service's body untouched. [`ResponseBody`] is that choice, so a
//! layer keeps the inner service's error type and fits `Router::layer`.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

pin_project! {
    /// A response body that is either the inner service's body or a
    /// rejection written by a rimguard layer.
    ///
    /// Its error type is the inner body's: a rejection body cannot fail.
    #[derive(Debug)]
    pub struct ResponseBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    #[derive(Debug)]
    enum Kind<B> {
        Inner { #[pin] body: B },
        Full { data: Option<Bytes> },
    }
}

impl<B> ResponseBody<B> {
    /// Wraps the inner service's body.
    pub fn inner(body: B) -> Self {
        Self {
            kind: Kind::Inner { body },
        }
    }

    /// A complete body written by a layer.
    pub fn full(data: impl Into<Bytes>) -> Self {
        let data = data.into();
        let data = (!data.is_empty()).then_some(data);
        Self {
            kind: Kind::Full { data },
        }
    }

    /// An empty body written by a layer.
    pub fn empty() -> Self {
        Self {
            kind: Kind::Full { data: None },
        }
    }

    /// Whether this body was written by a rimguard layer.
    pub fn is_rejection(&self) -> bool {
        matches!(self.kind, Kind::Full { .. })
    }

    /// The inner service's body, or the bytes a layer wrote (`None` when
    /// empty): lets a caller that boxes bodies unwrap a passed-through one
    /// instead of boxing it again.
    ///
    /// # Errors
    ///
    /// The layer's own bytes when this body was written by a layer.
    pub fn into_inner(self) -> Result<B, Option<Bytes>> {
        match self.kind {
            Kind::Inner { body } => Ok(body),
            Kind::Full { data } => Err(data),
        }
    }
}

impl<B: Default> Default for ResponseBody<B> {
    fn default() -> Self {
        Self::inner(B::default())
    }
}

impl<B> Body for ResponseBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        match self.project().kind.project() {
            KindProj::Inner { body } => body.poll_frame(cx),
            KindProj::Full { data } => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Full { data } => data.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Full { data } => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Empty};

    #[tokio::test]
    async fn a_full_body_yields_its_bytes_once() {
        let body: ResponseBody<Empty<Bytes>> = ResponseBody::full("hello");
        assert_eq!(body.size_hint().exact(), Some(5));
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"hello");
    }

    #[test]
    fn into_inner_gives_back_the_inner_body_or_the_layer_bytes() {
        let inner: ResponseBody<Empty<Bytes>> = ResponseBody::inner(Empty::new());
        assert!(inner.into_inner().is_ok());
        let full: ResponseBody<Empty<Bytes>> = ResponseBody::full("no");
        assert_eq!(full.into_inner().unwrap_err().as_deref(), Some(&b"no"[..]));
        let empty: ResponseBody<Empty<Bytes>> = ResponseBody::empty();
        assert_eq!(empty.into_inner().unwrap_err(), None);
    }

    #[tokio::test]
    async fn an_inner_body_passes_through() {
        let body = ResponseBody::inner(http_body_util::Full::new(Bytes::from_static(b"inner")));
        assert!(!body.is_rejection());
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"inner");
    }
}
