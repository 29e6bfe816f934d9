//! The response future of [`RateLimit`](crate::RateLimit).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::{HeaderValue, Response};
use pin_project_lite::pin_project;
use rimguard_core::ResponseBody;

use crate::headers::{RATELIMIT, RATELIMIT_POLICY};

/// What a shared backend's decision leads to.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) enum Step<F, B> {
    Inner(F, Option<Fields>),
    Ready(Refusal<B>),
}

/// The `RateLimit-Policy` and `RateLimit` values for an allowed response,
/// boxed so that the common path (no fields) moves one word.
pub(crate) type Fields = Box<[HeaderValue; 2]>;

/// A refusal, boxed so that futures and verdicts stay small.
pub(crate) type Refusal<B> = Box<Response<ResponseBody<B>>>;

type Deciding<F, B> = Pin<Box<dyn Future<Output = Step<F, B>> + Send>>;

pin_project! {
    /// The response of the inner service, or the limiter's own refusal.
    pub struct ResponseFuture<F, B> {
        #[pin]
        kind: Kind<F, B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F, B> {
        Inner { #[pin] future: F, headers: Option<Fields> },
        Ready { response: Option<Refusal<B>> },
        Deciding { decision: Deciding<F, B> },
    }
}

impl<F, B> ResponseFuture<F, B> {
    pub(crate) fn inner(future: F, headers: Option<Fields>) -> Self {
        Self {
            kind: Kind::Inner { future, headers },
        }
    }

    pub(crate) fn ready(response: Refusal<B>) -> Self {
        Self {
            kind: Kind::Ready {
                response: Some(response),
            },
        }
    }

    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn deciding(decision: Deciding<F, B>) -> Self {
        Self {
            kind: Kind::Deciding { decision },
        }
    }
}

impl<F, B> fmt::Debug for ResponseFuture<F, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The common case first, on its own: the inner service's response.
        if let KindProj::Inner { future, headers } = self.as_mut().project().kind.project() {
            let response = ready!(future.poll(cx))?;
            return Poll::Ready(Ok(with_headers(response, headers.take())));
        }
        self.poll_other(cx)
    }
}

impl<F, B, E> ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    /// A refusal, or a shared backend's decision and what follows it.
    #[inline(never)]
    fn poll_other(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Response<ResponseBody<B>>, E>> {
        loop {
            let next = match self.as_mut().project().kind.project() {
                KindProj::Inner { future, headers } => {
                    let response = ready!(future.poll(cx))?;
                    return Poll::Ready(Ok(with_headers(response, headers.take())));
                }
                KindProj::Ready { response } => {
                    let response = response
                        .take()
                        .expect("a ResponseFuture is not polled after it completed");
                    return Poll::Ready(Ok(*response));
                }
                KindProj::Deciding { decision } => match ready!(decision.as_mut().poll(cx)) {
                    Step::Inner(future, headers) => Kind::Inner { future, headers },
                    Step::Ready(response) => Kind::Ready {
                        response: Some(response),
                    },
                },
            };
            self.as_mut().project().kind.set(next);
        }
    }
}

/// The inner service's response in a [`ResponseBody`], with the fields.
/// The fields go in before the body is re-wrapped, so the response is
/// moved once, straight into the output.
#[inline]
fn with_headers<B>(
    mut response: Response<B>,
    headers: Option<Fields>,
) -> Response<ResponseBody<B>> {
    if let Some(fields) = headers {
        let [policy, limit] = *fields;
        response.headers_mut().insert(RATELIMIT_POLICY, policy);
        response.headers_mut().insert(RATELIMIT, limit);
    }
    response.map(ResponseBody::inner)
}
