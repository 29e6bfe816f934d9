use std::task::{Context, Poll};

use http::Request;
use rimguard_core::{ApiKeyId, CallerPhone};
use tower_layer::Layer;
use tower_service::Service;

use super::AuditContext;

/// Copies the [`ApiKeyId`] and [`CallerPhone`] that inner layers put in the
/// request extensions into the request's [`AuditContext`].
///
/// Place it innermost, right before the service, so that identities found by
/// any layer between it and the [`AuditLayer`](super::AuditLayer) reach the
/// record of a request that was allowed. Refusing layers should copy the
/// identities they know into their response's extensions instead.
///
/// # Example
///
/// ```
/// use std::convert::Infallible;
/// use http::{Request, Response};
/// use rimguard_audit::{AuditLayer, CaptureIdentityLayer, MemorySink};
/// use rimguard_core::ApiKeyId;
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let sink = MemorySink::new();
/// let service = ServiceBuilder::new()
///     .layer(AuditLayer::new(sink.clone()))
///     .map_request(|mut req: Request<()>| {
///         req.extensions_mut().insert(ApiKeyId::new("bot")); // as an API key layer would
///         req
///     })
///     .layer(CaptureIdentityLayer::new())
///     .service(service_fn(|_req: Request<()>| async { Ok::<_, Infallible>(Response::new(())) }));
///
/// service.oneshot(Request::new(())).await.unwrap();
/// assert_eq!(sink.take()[0].api_key().unwrap().as_str(), "bot");
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CaptureIdentityLayer {
    _priv: (),
}

impl CaptureIdentityLayer {
    /// The layer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<S> Layer<S> for CaptureIdentityLayer {
    type Service = CaptureIdentity<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CaptureIdentity { inner }
    }
}

/// The service of [`CaptureIdentityLayer`].
#[derive(Debug, Clone)]
pub struct CaptureIdentity<S> {
    inner: S,
}

impl<S, B> Service<Request<B>> for CaptureIdentity<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let extensions = req.extensions();
        if let Some(context) = extensions.get::<AuditContext>() {
            if let Some(key) = extensions.get::<ApiKeyId>() {
                context.set_api_key(key.clone());
            }
            if let Some(phone) = extensions.get::<CallerPhone>() {
                context.set_phone(phone.clone());
            }
        }
        self.inner.call(req)
    }
}
