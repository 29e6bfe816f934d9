use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::{HeaderName, Response};
use pin_project_lite::pin_project;

use super::mark_sensitive;

pin_project! {
    /// The response future of [`SensitiveHeaders`](super::SensitiveHeaders):
    /// marks the response's sensitive headers (`set-cookie`, …).
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        headers: Arc<[HeaderName]>,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, headers: Arc<[HeaderName]>) -> Self {
        Self { inner, headers }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        mark_sensitive(response.headers_mut(), this.headers);
        Poll::Ready(Ok(response))
    }
}
