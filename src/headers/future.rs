use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::Response;
use pin_project_lite::pin_project;

use super::layer::Headers;

pin_project! {
    /// The response future of [`SecurityHeaders`](super::SecurityHeaders).
    pub struct ResponseFuture<F> {
        #[pin]
        future: F,
        headers: Arc<Headers>,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(future: F, headers: Arc<Headers>) -> Self {
        Self { future, headers }
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.future.poll(cx))?;

        this.headers.apply(response.headers_mut());
        Poll::Ready(Ok(response))
    }
}
