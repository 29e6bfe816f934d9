//! The response future of the signature layers: read the body within the
//! bound, check the signature, then call the inner service.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes, BytesMut};
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::request::Parts;
use http::{HeaderValue, Request, Response};
use http_body::{Body, Frame};
use pin_project_lite::pin_project;
use rimguard_core::ResponseBody;
use tower_service::Service;

use super::layer::State;
use super::scheme::{Mac64, SignedWith};
use crate::refusal::Refusal;

pin_project! {
    /// The response future of [`HmacSignature`](super::HmacSignature) and
    /// [`WebhookSignature`](crate::webhook::WebhookSignature).
    ///
    /// It reads the request body (within the bound), checks its signature,
    /// and only then calls the inner service with the body intact.
    pub struct ResponseFuture<S, ReqBody, B>
    where
        S: Service<Request<B>>,
    {
        #[pin]
        step: Step<S, ReqBody, B>,
        shared: Arc<State>,
    }
}

pin_project! {
    #[project = StepProj]
    enum Step<S, ReqBody, B>
    where
        S: Service<Request<B>>,
    {
        Reading { #[pin] body: ReqBody, read: Read<S> },
        Calling { #[pin] future: S::Future },
        Answered { answer: Option<Answer> },
    }
}

/// What the future keeps while the body arrives.
struct Read<S> {
    inner: Option<S>,
    parts: Option<Parts>,
    signature: Mac64,
    first: Option<Bytes>,
    joined: Option<BytesMut>,
    len: usize,
}

/// An answer given by the layer itself.
pub(crate) enum Answer {
    Refused(Refusal),
    Challenge(String),
}

impl Answer {
    fn into_response<B>(self) -> Response<ResponseBody<B>> {
        match self {
            Self::Refused(refusal) => refusal.to_response(),
            Self::Challenge(challenge) => {
                let mut response = Response::new(ResponseBody::full(challenge));
                let headers = response.headers_mut();
                headers.insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                );
                headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }
        }
    }
}

/// Where reading stands after one frame.
enum Progress<S, B> {
    More,
    Refused(Refusal),
    Verified(Request<B>, S),
}

impl<S, ReqBody, B> ResponseFuture<S, ReqBody, B>
where
    S: Service<Request<B>>,
{
    pub(crate) fn read(
        shared: Arc<State>,
        inner: S,
        parts: Parts,
        body: ReqBody,
        signature: Mac64,
    ) -> Self {
        let read = Read {
            inner: Some(inner),
            parts: Some(parts),
            signature,
            first: None,
            joined: None,
            len: 0,
        };
        Self {
            step: Step::Reading { body, read },
            shared,
        }
    }

    pub(crate) fn answered(shared: Arc<State>, answer: Answer) -> Self {
        Self {
            step: Step::Answered {
                answer: Some(answer),
            },
            shared,
        }
    }
}

impl<S, ReqBody, B, ResBody> Future for ResponseFuture<S, ReqBody, B>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    ReqBody: Body,
    B: From<Bytes>,
{
    type Output = Result<Response<ResponseBody<ResBody>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let progress = match this.step.as_mut().project() {
                StepProj::Reading { mut body, read } => {
                    let frame = ready!(body.as_mut().poll_frame(cx));
                    let progress = take_frame(this.shared, read, frame);
                    match progress {
                        Progress::More if body.is_end_stream() => finish(this.shared, read),
                        progress => progress,
                    }
                }
                StepProj::Calling { future } => {
                    return future
                        .poll(cx)
                        .map(|result| result.map(|response| response.map(ResponseBody::inner)));
                }
                StepProj::Answered { answer } => {
                    let answer = answer
                        .take()
                        .expect("a response future is not polled after it completed");
                    return Poll::Ready(Ok(answer.into_response()));
                }
            };
            match progress {
                Progress::More => {}
                Progress::Refused(refusal) => {
                    this.step.set(Step::Answered {
                        answer: Some(Answer::Refused(refusal)),
                    });
                }
                Progress::Verified(request, mut inner) => {
                    let future = inner.call(request);
                    this.step.set(Step::Calling { future });
                }
            }
        }
    }
}

/// Adds one frame to what was read, refusing a body over the bound.
fn take_frame<S, B, D: Buf, E>(
    shared: &State,
    read: &mut Read<S>,
    frame: Option<Result<Frame<D>, E>>,
) -> Progress<S, B>
where
    B: From<Bytes>,
{
    let frame = match frame {
        None => return finish(shared, read),
        Some(Err(_)) => {
            tracing::debug!(target: "rimguard::secrets", "webhook body could not be read");
            return Progress::Refused(shared.unreadable.clone());
        }
        Some(Ok(frame)) => frame,
    };
    let Ok(mut data) = frame.into_data() else {
        return Progress::More;
    };

    let size = data.remaining();
    read.len = read.len.saturating_add(size);
    if read.len > shared.max_body {
        tracing::debug!(target: "rimguard::secrets", max_body = shared.max_body, "webhook body over the bound");
        return Progress::Refused(shared.too_large.clone());
    }
    let chunk = data.copy_to_bytes(size);
    match (&read.first, &mut read.joined) {
        (None, _) => read.first = Some(chunk),
        (Some(_), Some(joined)) => joined.extend_from_slice(&chunk),
        (Some(first), None) => {
            let mut joined = BytesMut::with_capacity(first.len() + chunk.len());
            joined.extend_from_slice(first);
            joined.extend_from_slice(&chunk);
            read.joined = Some(joined);
        }
    }
    Progress::More
}

/// The whole body is in: check its signature.
fn finish<S, B: From<Bytes>>(shared: &State, read: &mut Read<S>) -> Progress<S, B> {
    let body = read
        .joined
        .take()
        .map(BytesMut::freeze)
        .or(read.first.take())
        .unwrap_or_default();
    let Some(signed_with) =
        shared
            .secrets
            .verify(shared.scheme.algorithm(), &body, read.signature.as_slice())
    else {
        tracing::warn!(target: "rimguard::secrets", header = %shared.scheme.header(), "webhook signature does not match");
        return Progress::Refused(shared.unauthorized.clone());
    };
    if signed_with == SignedWith::Previous {
        tracing::debug!(target: "rimguard::secrets", "webhook signed with the previous secret");
    }

    let mut parts = read.parts.take().expect("the body is finished once");
    parts.extensions.insert(signed_with);
    let inner = read.inner.take().expect("the body is finished once");
    Progress::Verified(Request::from_parts(parts, B::from(body)), inner)
}

impl<S, ReqBody, B> fmt::Debug for ResponseFuture<S, ReqBody, B>
where
    S: Service<Request<B>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
