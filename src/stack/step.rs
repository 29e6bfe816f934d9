//! One layer of the stack, boxed so that any subset composes.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body as HttpBody;
use thread_local::ThreadLocal;
use tower::ServiceExt;
use tower_layer::Layer;
use tower_service::Service;

use crate::body::{self, Body, BoxError};

/// The future of every boxed service of the stack (the stack's own).
pub(crate) type SvcFuture<E> = super::service::ResponseFuture<E>;

/// A boxed service of the stack, erroring like the service behind it.
///
/// It is shared rather than cloned: axum clones a route's service for
/// every request, and a chain of boxes that each clone their inner box
/// would cost an allocation per layer per request. Here a clone is a
/// reference count; how a call reaches the wrapped service is [`Shared`]'s
/// business (a clone per thread for the stack's layers, a clone per call,
/// polled ready, for the service behind the stack).
pub(crate) struct Svc<E, Req = Request<Body>>(Arc<dyn Call<Req, E>>);

impl<E, Req> Clone for Svc<E, Req> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<E, Req> Svc<E, Req> {
    /// Calls the service without `&mut` or a clone of it.
    pub(crate) fn call_shared(&self, req: Req) -> SvcFuture<E> {
        self.0.call(req)
    }
}

impl<E, Req> Service<Req> for Svc<E, Req> {
    type Response = Response<Body>;
    type Error = E;
    type Future = SvcFuture<E>;

    /// Always ready: each call polls its own clone of the wrapped service.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), E>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Req) -> Self::Future {
        self.0.call(req)
    }
}

trait Call<Req, E>: Send + Sync {
    fn call(&self, req: Req) -> SvcFuture<E>;
}

/// A service shared behind a [`Svc`].
///
/// A layer of the stack keeps one clone of its service per thread, called
/// in place: a call then touches no reference count shared with the other
/// threads (cloning per call would bump each layer's `Arc`s from every
/// worker thread, and those cache lines would travel between cores on
/// every request). The service behind the stack is cloned per call and
/// driven by `oneshot` instead, as axum does, so that its readiness (a
/// concurrency limit, a buffer) is waited for with the task's waker.
struct Shared<S: Send> {
    service: S,
    per_thread: Option<ThreadLocal<RefCell<S>>>,
}

impl<S, Req, B> Call<Req, S::Error> for Shared<S>
where
    S: Service<Req, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    Req: Send + 'static,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    fn call(&self, req: Req) -> SvcFuture<S::Error> {
        if let Some(per_thread) = &self.per_thread {
            let cell = per_thread.get_or(|| RefCell::new(self.service.clone()));
            // Busy only if this thread re-entered the same layer from
            // inside its call; the layer then gets a clone of its own.
            if let Ok(mut service) = cell.try_borrow_mut() {
                // The stack's layers are ready at once (they forward
                // readiness to an inner `Svc`, which always is).
                let mut noop = Context::from_waker(Waker::noop());
                if let Poll::Ready(ready) = service.poll_ready(&mut noop) {
                    return match ready {
                        Ok(()) => respond(service.call(req)),
                        Err(error) => Box::pin(std::future::ready(Err(error))),
                    };
                }
                // Not ready (a layer waiting on something of its own): this
                // call gets a clone of its own, driven by `oneshot` below.
            }
        }
        let mut service = self.service.clone();
        let mut noop = Context::from_waker(Waker::noop());
        match service.poll_ready(&mut noop) {
            Poll::Ready(Ok(())) => respond(service.call(req)),
            Poll::Ready(Err(error)) => Box::pin(std::future::ready(Err(error))),
            // Not ready yet: `oneshot` polls it again with the task's waker.
            Poll::Pending => Box::pin(async move {
                let response = service.oneshot(req).await?;
                Ok(response.map(body::boxed))
            }),
        }
    }
}

/// Boxes a response future, its response body boxed too.
fn respond<F, B, E>(future: F) -> SvcFuture<E>
where
    F: Future<Output = Result<Response<B>, E>> + Send + 'static,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    E: Send + 'static,
{
    Box::pin(async move { Ok(future.await?.map(body::boxed)) })
}

/// How a [`Svc`] reaches the service it shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sharing {
    /// One clone per thread, called in place: the stack's own layers.
    PerThread,
    /// A clone per call, polled ready: the service behind the stack.
    PerCall,
}

/// Shares `service` behind a [`Svc`], its response body boxed.
pub(crate) fn share<S, Req, B>(service: S, sharing: Sharing) -> Svc<S::Error, Req>
where
    S: Service<Req, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    Req: Send + 'static,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    Svc(Arc::new(Shared {
        service,
        per_thread: (sharing == Sharing::PerThread).then(ThreadLocal::new),
    }))
}

/// Wraps `inner` in `layer` and boxes the result, response body included.
pub(crate) fn wrap<L, E, B>(layer: &L, inner: Svc<E>) -> Svc<E>
where
    L: Layer<Svc<E>>,
    L::Service:
        Service<Request<Body>, Response = Response<B>, Error = E> + Clone + Send + Sync + 'static,
    <L::Service as Service<Request<Body>>>::Future: Send + 'static,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    E: Send + 'static,
{
    share(layer.layer(inner), Sharing::PerThread)
}

/// Like [`wrap`], for a layer that reads the whole request body and hands
/// the inner service a `Request<Full<Bytes>>` (webhook signatures, phone
/// numbers in JSON bodies): the inner service is adapted to take it.
#[cfg(feature = "secrets")]
pub(crate) fn wrap_buffered<L, E, B>(layer: &L, inner: Svc<E>) -> Svc<E>
where
    L: Layer<Buffered<E>>,
    L::Service:
        Service<Request<Body>, Response = Response<B>, Error = E> + Clone + Send + Sync + 'static,
    <L::Service as Service<Request<Body>>>::Future: Send + 'static,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    E: Send + 'static,
{
    let adapted = inner.map_request(|r: Request<http_body_util::Full<Bytes>>| r.map(body::boxed));
    let adapted = share(adapted, Sharing::PerThread);
    share(layer.layer(adapted), Sharing::PerThread)
}

/// The inner service of a layer that buffers the request body.
#[cfg(feature = "secrets")]
pub(crate) type Buffered<E> = Svc<E, Request<http_body_util::Full<Bytes>>>;

/// A layer the stack knows how to apply.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    ClientIp(rimguard_core::client_ip::ClientIpLayer),
    #[cfg(feature = "headers")]
    HttpsOnly(crate::https::HttpsOnlyLayer),
    #[cfg(feature = "headers")]
    Headers(crate::headers::SecurityHeadersLayer),
    #[cfg(feature = "cors")]
    Cors(Box<tower_http::cors::CorsLayer>),
    #[cfg(feature = "redact")]
    SensitiveHeaders(rimguard_redact::http::SensitiveHeadersLayer),
    #[cfg(feature = "audit")]
    Audit(rimguard_audit::AuditLayer),
    #[cfg(feature = "ipfilter")]
    IpFilter(rimguard_ipfilter::IpFilterLayer),
    #[cfg(feature = "ratelimit")]
    RateLimit(rimguard_ratelimit::RateLimitLayer),
    #[cfg(feature = "secrets")]
    ApiKey(rimguard_secrets::ApiKeyLayer),
    #[cfg(feature = "phone")]
    Phone(rimguard_phone::PhoneLayer),
    #[cfg(feature = "secrets")]
    Webhook(rimguard_secrets::WebhookSignatureLayer),
}

impl Step {
    /// Whether this is the audit layer.
    pub(crate) fn is_audit(&self) -> bool {
        #[cfg(feature = "audit")]
        if let Self::Audit(_) = self {
            return true;
        }
        false
    }

    /// The stable name used in benches and logs.
    pub(crate) fn name(&self) -> &'static str {
        match *self {
            Self::ClientIp(_) => "client-ip",
            #[cfg(feature = "headers")]
            Self::HttpsOnly(_) => "https-only",
            #[cfg(feature = "headers")]
            Self::Headers(_) => "headers",
            #[cfg(feature = "cors")]
            Self::Cors(_) => "cors",
            #[cfg(feature = "redact")]
            Self::SensitiveHeaders(_) => "sensitive-headers",
            #[cfg(feature = "audit")]
            Self::Audit(_) => "audit",
            #[cfg(feature = "ipfilter")]
            Self::IpFilter(_) => "ip-filter",
            #[cfg(feature = "ratelimit")]
            Self::RateLimit(_) => "rate-limit",
            #[cfg(feature = "secrets")]
            Self::ApiKey(_) => "api-key",
            #[cfg(feature = "phone")]
            Self::Phone(_) => "phone",
            #[cfg(feature = "secrets")]
            Self::Webhook(_) => "webhook-signature",
        }
    }

    /// Wraps `inner` in this layer and boxes the result.
    pub(crate) fn wrap<E: Send + 'static>(&self, inner: Svc<E>) -> Svc<E> {
        self.wrap_auditing(inner, false)
    }

    /// Like [`wrap`](Self::wrap). With `audited`, a
    /// layer that finds who the caller is (API key, phone number) hands it
    /// to the audit record through a `CaptureIdentity` right inside it, in
    /// the same box, so that the record names the caller whether an inner
    /// layer refuses the request or the service answers it.
    pub(crate) fn wrap_auditing<E: Send + 'static>(&self, inner: Svc<E>, audited: bool) -> Svc<E> {
        #[cfg(feature = "audit")]
        if audited {
            #[cfg(any(feature = "secrets", feature = "phone"))]
            let capture = rimguard_audit::CaptureIdentityLayer::new();
            match *self {
                #[cfg(feature = "secrets")]
                Self::ApiKey(ref layer) => {
                    return wrap(&tower_layer::Stack::new(capture, layer.clone()), inner);
                }
                #[cfg(feature = "phone")]
                Self::Phone(ref layer) => {
                    return wrap(&tower_layer::Stack::new(capture, layer.clone()), inner);
                }
                _ => {}
            }
        }
        #[cfg(not(feature = "audit"))]
        let _ = audited;
        match *self {
            Self::ClientIp(ref layer) => wrap(layer, inner),
            #[cfg(feature = "headers")]
            Self::HttpsOnly(ref layer) => wrap(layer, inner),
            #[cfg(feature = "headers")]
            Self::Headers(ref layer) => wrap(layer, inner),
            #[cfg(feature = "cors")]
            Self::Cors(ref layer) => wrap(&**layer, inner),
            #[cfg(feature = "redact")]
            Self::SensitiveHeaders(ref layer) => wrap(layer, inner),
            #[cfg(feature = "audit")]
            Self::Audit(ref layer) => wrap(layer, inner),
            #[cfg(feature = "ipfilter")]
            Self::IpFilter(ref layer) => wrap(layer, inner),
            #[cfg(feature = "ratelimit")]
            Self::RateLimit(ref layer) => wrap(layer, inner),
            #[cfg(feature = "secrets")]
            Self::ApiKey(ref layer) => wrap(layer, inner),
            #[cfg(feature = "phone")]
            Self::Phone(ref layer) => wrap(layer, inner),
            #[cfg(feature = "secrets")]
            Self::Webhook(ref layer) => wrap_buffered(layer, inner),
        }
    }
}
