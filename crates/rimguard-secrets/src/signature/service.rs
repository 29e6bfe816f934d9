use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::{HeaderMap, Request, Response};
use http_body::Body;
use http_body_util::Full;
use rimguard_core::ResponseBody;
use tower_service::Service;

use super::future::{Answer, ResponseFuture};
use super::layer::State;

/// The service built by [`HmacSignatureLayer`](super::HmacSignatureLayer).
pub struct HmacSignature<S, B = Full<Bytes>> {
    inner: S,
    state: Arc<State>,
    _body: PhantomData<fn() -> B>,
}

impl<S, B> HmacSignature<S, B> {
    pub(crate) fn new(inner: S, state: Arc<State>) -> Self {
        Self {
            inner,
            state,
            _body: PhantomData,
        }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, taken out.
    pub fn into_inner(self) -> S {
        self.inner
    }

    /// A future that answers at once with `answer`.
    pub(crate) fn answer<ReqBody>(&self, answer: Answer) -> ResponseFuture<S, ReqBody, B>
    where
        S: Service<Request<B>>,
    {
        ResponseFuture::answered(self.state.clone(), answer)
    }
}

impl<S: Clone, B> Clone for HmacSignature<S, B> {
    fn clone(&self) -> Self {
        Self::new(self.inner.clone(), self.state.clone())
    }
}

impl<S: fmt::Debug, B> fmt::Debug for HmacSignature<S, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacSignature")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, B, ReqBody, ResBody> Service<Request<ReqBody>> for HmacSignature<S, B>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone,
    B: From<Bytes>,
    ReqBody: Body,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let state = &self.state;
        let signature = match state.scheme.find(request.headers()) {
            Ok(signature) => signature,
            Err(reason) => {
                tracing::debug!(target: "rimguard::secrets", reason, header = %state.scheme.header(), "webhook signature refused");
                return self.answer(Answer::Refused(state.unauthorized.clone()));
            }
        };
        if declared_length(request.headers()).is_some_and(|length| length > state.max_body as u64) {
            tracing::debug!(target: "rimguard::secrets", max_body = state.max_body, "webhook body over the bound");
            return self.answer(Answer::Refused(state.too_large.clone()));
        }

        // The service that was driven to readiness goes into the future.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let (parts, body) = request.into_parts();
        ResponseFuture::read(self.state.clone(), inner, parts, body, signature)
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}
