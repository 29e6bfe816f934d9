use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::header::STRICT_TRANSPORT_SECURITY;
use http::{HeaderValue, Response};
use pin_project_lite::pin_project;
use rimguard_core::ResponseBody;

pin_project! {
    /// The response future of [`HttpsOnly`](super::HttpsOnly).
    pub struct ResponseFuture<F, B> {
        #[pin]
        kind: Kind<F, B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F, B> {
        Inner { #[pin] future: F, hsts: Option<HeaderValue> },
        Ready { response: Option<Response<ResponseBody<B>>> },
    }
}

impl<F, B> ResponseFuture<F, B> {
    pub(crate) fn inner(future: F, hsts: Option<HeaderValue>) -> Self {
        Self {
            kind: Kind::Inner { future, hsts },
        }
    }

    pub(crate) fn ready(response: Response<ResponseBody<B>>) -> Self {
        Self {
            kind: Kind::Ready {
                response: Some(response),
            },
        }
    }
}

impl<F, B> std::fmt::Debug for ResponseFuture<F, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { future, hsts } => {
                let mut response = ready!(future.poll(cx))?;
                if let Some(value) = hsts.take() {
                    let headers = response.headers_mut();
                    headers.entry(STRICT_TRANSPORT_SECURITY).or_insert(value);
                }
                Poll::Ready(Ok(response.map(ResponseBody::inner)))
            }
            KindProj::Ready { response } => {
                let response = response.take().expect("a ready future is polled once");
                Poll::Ready(Ok(response))
            }
        }
    }
}
