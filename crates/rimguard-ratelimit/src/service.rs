//! [`RateLimit`], the service that [`RateLimitLayer`] builds.

use std::fmt;
use std::task::{Context, Poll};

use http::{Request, Response};
use rimguard_core::ResponseBody;
use tower_service::Service;

use crate::future::ResponseFuture;
use crate::key::RequestView;
use crate::layer::{Precheck, RateLimitLayer, Verdict};

/// Limits each client of the inner service to its quotas.
///
/// Made by [`RateLimitLayer`]; see the [crate docs](crate).
#[derive(Clone)]
pub struct RateLimit<S> {
    inner: S,
    layer: RateLimitLayer,
}

impl<S> RateLimit<S> {
    /// Wraps `inner` with the limiter of `layer`.
    pub fn new(inner: S, layer: RateLimitLayer) -> Self {
        Self { inner, layer }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }

    /// The layer, for its [`stats`](RateLimitLayer::stats).
    pub fn layer(&self) -> &RateLimitLayer {
        &self.layer
    }
}

impl<S: fmt::Debug> fmt::Debug for RateLimit<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("inner", &self.inner)
            .field("layer", &self.layer)
            .finish()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RateLimit<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    ReqBody: Send + 'static,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let shared = &self.layer.shared;
        let check = match shared.precheck(&RequestView::new(&request)) {
            Precheck::Done(verdict) => return self.answer(verdict, request),
            Precheck::Check(check) => check,
        };
        if let Some(verdict) = shared.check_in_memory(&check) {
            return self.answer(verdict, request);
        }
        self.check_remotely(check, request)
    }
}

impl<S> RateLimit<S> {
    fn answer<ReqBody, ResBody>(
        &mut self,
        verdict: Verdict<ResBody>,
        request: Request<ReqBody>,
    ) -> ResponseFuture<S::Future, ResBody>
    where
        S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    {
        match verdict {
            Verdict::Pass(headers) => ResponseFuture::inner(self.inner.call(request), headers),
            Verdict::Refuse(response) => ResponseFuture::ready(response),
        }
    }

    #[cfg(feature = "redis")]
    fn check_remotely<ReqBody, ResBody>(
        &mut self,
        check: crate::layer::Check,
        request: Request<ReqBody>,
    ) -> ResponseFuture<S::Future, ResBody>
    where
        S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
        S::Future: Send,
        ReqBody: Send + 'static,
    {
        let clone = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, clone);
        let shared = self.layer.shared.clone();
        ResponseFuture::deciding(Box::pin(async move {
            let crate::layer::Backend::Redis(redis) = &shared.backend else {
                unreachable!("check_in_memory answered for the in-memory backend")
            };
            let decision = redis.check(check.hash, check.cost, &shared.counters).await;
            match shared.verdict(&check, &decision, false) {
                Verdict::Pass(headers) => crate::future::Step::Inner(ready.call(request), headers),
                Verdict::Refuse(response) => crate::future::Step::Ready(response),
            }
        }))
    }

    #[cfg(not(feature = "redis"))]
    fn check_remotely<ReqBody, ResBody>(
        &mut self,
        _check: crate::layer::Check,
        _request: Request<ReqBody>,
    ) -> ResponseFuture<S::Future, ResBody>
    where
        S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    {
        unreachable!("without the redis feature every backend is in memory")
    }
}
