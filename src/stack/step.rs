//! One layer of the stack, boxed so that any subset composes.

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body as HttpBody;
use tower::ServiceExt;
use tower::util::BoxCloneSyncService;
use tower_layer::Layer;
use tower_service::Service;

use crate::body::{self, Body, BoxError};

/// A boxed service of the stack, erroring like the service behind it.
pub(crate) type Svc<E> = BoxCloneSyncService<Request<Body>, Response<Body>, E>;

/// Wraps `inner` in `layer` and boxes the result, response body included.
pub(crate) fn wrap<L, E, B>(layer: &L, inner: Svc<E>) -> Svc<E>
where
    L: Layer<Svc<E>>,
    L::Service:
        Service<Request<Body>, Response = Response<B>, Error = E> + Clone + Send + Sync + 'static,
    <L::Service as Service<Request<Body>>>::Future: Send + 'static,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    E: 'static,
{
    let service = layer
        .layer(inner)
        .map_response(|r: Response<B>| r.map(body::boxed));
    BoxCloneSyncService::new(service)
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
    E: 'static,
{
    let adapted = inner.map_request(|r: Request<http_body_util::Full<Bytes>>| r.map(body::boxed));
    let service = layer.layer(BoxCloneSyncService::new(adapted));
    BoxCloneSyncService::new(service.map_response(|r: Response<B>| r.map(body::boxed)))
}

/// The inner service of a layer that buffers the request body.
#[cfg(feature = "secrets")]
pub(crate) type Buffered<E> =
    BoxCloneSyncService<Request<http_body_util::Full<Bytes>>, Response<Body>, E>;

/// Boxes the service behind the stack.
pub(crate) fn bottom<S, B>(service: S) -> Svc<S::Error>
where
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: 'static,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    BoxCloneSyncService::new(service.map_response(|r: Response<B>| r.map(body::boxed)))
}

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

    pub(crate) fn wrap<E: Send + 'static>(&self, inner: Svc<E>) -> Svc<E> {
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
