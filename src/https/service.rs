use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{FORWARDED, LOCATION};
use http::uri::{PathAndQuery, Scheme};
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use rimguard_core::{ClientIp, Layer, Rejection, ResponseBody};
use tower_service::Service;

use super::TlsConnection;
use super::future::ResponseFuture;
use super::layer::{Plain, Policy};

const REQUIRED: Rejection = Rejection::new(
    Layer::HttpsOnly,
    StatusCode::FORBIDDEN,
    "https-required",
    "HTTPS required",
);

const REDIRECTED: Rejection = Rejection::new(
    Layer::HttpsOnly,
    StatusCode::PERMANENT_REDIRECT,
    "https-redirect",
    "Use HTTPS",
);

/// Refuses or redirects plain HTTP and adds HSTS to HTTPS responses.
///
/// Built by [`HttpsOnlyLayer`](super::HttpsOnlyLayer); see the
/// [module docs](super).
#[derive(Debug, Clone)]
pub struct HttpsOnly<S> {
    inner: S,
    policy: Arc<Policy>,
}

impl<S> HttpsOnly<S> {
    pub(crate) fn new(inner: S, policy: Arc<Policy>) -> Self {
        Self { inner, policy }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Consumes the layer, returning the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for HttpsOnly<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let secure = is_https(&req, self.policy.trust_forwarded_proto);
        if secure {
            return ResponseFuture::inner(self.inner.call(req), self.policy.hsts.clone());
        }

        match &self.policy.plain {
            Plain::Allow => ResponseFuture::inner(self.inner.call(req), None),
            Plain::Redirect(host) if is_safe(req.method()) => {
                tracing::debug!(target: "rimguard::https", "plain HTTP redirected");
                ResponseFuture::ready(redirect(host, req.uri()))
            }
            Plain::Redirect(_) | Plain::Refuse => {
                tracing::debug!(target: "rimguard::https", "plain HTTP refused");
                ResponseFuture::ready(REQUIRED.into_response())
            }
        }
    }
}

fn is_safe(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

fn redirect<B>(host: &http::uri::Authority, uri: &Uri) -> Response<ResponseBody<B>> {
    let path = uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    let location = Uri::builder()
        .scheme(Scheme::HTTPS)
        .authority(host.clone())
        .path_and_query(path)
        .build()
        .expect("a scheme, a parsed authority and a parsed path make a URI");

    let mut response = REDIRECTED.into_response();
    let value = location
        .to_string()
        .try_into()
        .expect("a URI is a valid header value");
    response.headers_mut().insert(LOCATION, value);
    response
}

/// Whether the request came over HTTPS: a TLS connection of this server, or
/// a trusted proxy saying so.
pub(crate) fn is_https<B>(req: &Request<B>, trust_forwarded_proto: bool) -> bool {
    if req.extensions().get::<TlsConnection>().is_some() {
        return true;
    }
    let trusted = req
        .extensions()
        .get::<ClientIp>()
        .is_some_and(ClientIp::peer_trusted);
    trusted && trust_forwarded_proto && forwarded_proto(req.headers()) == Some(true)
}

/// The protocol the nearest trusted proxy reports: `Some(true)` for https.
/// `Forwarded` wins over `X-Forwarded-Proto` when both are present.
fn forwarded_proto(headers: &HeaderMap) -> Option<bool> {
    if let Some(line) = headers.get_all(FORWARDED).iter().next_back() {
        let element = line.to_str().ok()?.rsplit(',').next()?;
        let proto = element.split(';').find_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("proto")
                .then(|| value.trim().trim_matches('"'))
        });
        return proto.map(|p| p.eq_ignore_ascii_case("https"));
    }

    let line = headers.get_all("x-forwarded-proto").iter().next_back()?;
    let last = line.to_str().ok()?.rsplit(',').next()?.trim();
    Some(last.eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::net::{IpAddr, Ipv4Addr};

    use bytes::Bytes;
    use http_body_util::Empty;
    use rimguard_core::ClientIpSource;
    use tower::{ServiceBuilder, ServiceExt, service_fn};

    use super::*;
    use crate::https::HttpsOnlyLayer;
    use tower_layer::Layer as _;

    async fn ok(_req: Request<()>) -> Result<Response<Empty<Bytes>>, Infallible> {
        Ok(Response::new(Empty::new()))
    }

    fn peer(trusted: bool) -> ClientIp {
        let addr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9));
        ClientIp::new(addr, ClientIpSource::XForwardedFor { hop: 0 }, trusted)
    }

    fn request(uri: &str, headers: &[(&str, &str)], client: Option<ClientIp>) -> Request<()> {
        let mut req = Request::builder().uri(uri);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let mut req = req.body(()).unwrap();
        if let Some(client) = client {
            req.extensions_mut().insert(client);
        }
        req
    }

    async fn status(
        layer: HttpsOnlyLayer,
        req: Request<()>,
    ) -> Response<ResponseBody<Empty<Bytes>>> {
        ServiceBuilder::new()
            .layer(layer)
            .service(service_fn(ok))
            .oneshot(req)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_trusted_proxy_saying_https_counts() {
        let req = request("/", &[("x-forwarded-proto", "https")], Some(peer(true)));
        let response = status(HttpsOnlyLayer::refuse(), req).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().contains_key("strict-transport-security"));
    }

    #[tokio::test]
    async fn an_untrusted_peer_saying_https_is_refused() {
        let req = request("/", &[("x-forwarded-proto", "https")], Some(peer(false)));
        let response = status(HttpsOnlyLayer::refuse(), req).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let rejection = response.extensions().get::<Rejection>().unwrap();
        assert_eq!(rejection.layer(), Layer::HttpsOnly);
        assert!(!response.headers().contains_key("strict-transport-security"));
    }

    #[tokio::test]
    async fn without_a_client_ip_only_tls_counts() {
        let req = request("/", &[("x-forwarded-proto", "https")], None);
        let response = status(HttpsOnlyLayer::refuse(), req).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn the_rightmost_forwarded_proto_decides() {
        let spoofed = [("x-forwarded-proto", "https, http")];
        let response = status(
            HttpsOnlyLayer::refuse(),
            request("/", &spoofed, Some(peer(true))),
        )
        .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);

        let forwarded = [(
            "forwarded",
            "for=1.2.3.4;proto=http, for=10.0.0.1;proto=https",
        )];
        let response = status(
            HttpsOnlyLayer::refuse(),
            request("/", &forwarded, Some(peer(true))),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn forwarded_wins_over_x_forwarded_proto() {
        let headers = [("forwarded", "proto=http"), ("x-forwarded-proto", "https")];
        let response = status(
            HttpsOnlyLayer::refuse(),
            request("/", &headers, Some(peer(true))),
        )
        .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn the_uri_scheme_is_never_trusted() {
        let req = request("https://shop.example/", &[], Some(peer(false)));
        let response = status(HttpsOnlyLayer::refuse(), req).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn redirects_go_to_the_configured_host_whatever_the_host_header() {
        let layer = HttpsOnlyLayer::redirect_to("api.rimtyres.example".parse().unwrap());
        let req = request("/orders?id=7", &[("host", "evil.example")], None);
        let response = status(layer.clone(), req).await;

        assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(
            response.headers()[LOCATION],
            "https://api.rimtyres.example/orders?id=7"
        );

        let mut post = request("/orders", &[], None);
        *post.method_mut() = Method::POST;
        assert_eq!(status(layer, post).await.status(), StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn plain_http_passes_when_allowed_but_gets_no_hsts() {
        let response = status(HttpsOnlyLayer::allow_plain_http(), request("/", &[], None)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(!response.headers().contains_key("strict-transport-security"));
    }

    #[tokio::test]
    async fn a_service_hsts_value_is_kept() {
        let service = service_fn(|_req: Request<()>| async {
            let mut response = Response::new(Empty::<Bytes>::new());
            response
                .headers_mut()
                .insert("strict-transport-security", "max-age=60".parse().unwrap());
            Ok::<_, Infallible>(response)
        });
        let mut req = request("/", &[], None);
        req.extensions_mut().insert(TlsConnection);
        let response = HttpsOnlyLayer::refuse()
            .layer(service)
            .oneshot(req)
            .await
            .unwrap();
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=60"
        );
    }
}
