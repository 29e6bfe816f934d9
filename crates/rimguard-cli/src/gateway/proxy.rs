//! The reverse proxy at the bottom of the gateway's stack.

use std::net::{IpAddr, SocketAddr};
use std::task::{Context, Poll};
use std::time::Duration;

use http::header::{self, HeaderName, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderMap, Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rimguard::body::{self, Body};
use rimguard::https::TlsConnection;
use rimguard_core::{Layer, Rejection};
use tower_service::Service;

const BAD_GATEWAY: Rejection = Rejection::new(
    Layer::Other,
    StatusCode::BAD_GATEWAY,
    "upstream-unavailable",
    "Bad gateway",
);
const GATEWAY_TIMEOUT: Rejection = Rejection::new(
    Layer::Other,
    StatusCode::GATEWAY_TIMEOUT,
    "upstream-timeout",
    "Gateway timeout",
);

/// The headers that describe one connection, not the message (RFC 9110
/// section 7.6.1), removed in both directions.
const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// Forwards requests to one upstream over HTTP/1.1, streaming both bodies.
#[derive(Clone, Debug)]
pub struct Proxy {
    client: Client<HttpConnector, Body>,
    scheme: Scheme,
    authority: Authority,
    timeout: Duration,
    counters: std::sync::Arc<super::metrics::Metrics>,
}

impl Proxy {
    /// A proxy to `upstream` (`http://host:port`, no path).
    ///
    /// # Errors
    ///
    /// Refuses an upstream that is not an `http://` URL without a path.
    pub fn new(
        upstream: &str,
        connect_timeout: Duration,
        timeout: Duration,
        counters: std::sync::Arc<super::metrics::Metrics>,
    ) -> Result<Self, rimguard_core::ConfigError> {
        let refuse = |m: &str| rimguard_core::ConfigError::new("gateway.upstream", m.to_owned());
        let uri: Uri = upstream.parse().map_err(|_| refuse("is not a URL"))?;
        if uri.scheme() != Some(&Scheme::HTTP) {
            return Err(refuse(
                "must be an http:// URL (the upstream is reached in the clear)",
            ));
        }
        if uri
            .path_and_query()
            .is_some_and(|p| p.as_str() != "/" && !p.as_str().is_empty())
        {
            return Err(refuse("must not have a path"));
        }
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| refuse("has no host"))?;

        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(connect_timeout));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self {
            client,
            scheme: Scheme::HTTP,
            authority,
            timeout,
            counters,
        })
    }
}

impl Service<Request<Body>> for Proxy {
    type Response = Response<Body>;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Response<Body>, Self::Error>> + Send>,
    >;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let req = self.rewrite(req);
        let future = self.client.request(req);
        let (timeout, counters) = (self.timeout, self.counters.clone());

        Box::pin(async move {
            let response = match tokio::time::timeout(timeout, future).await {
                Ok(Ok(response)) => response,
                Ok(Err(error)) => {
                    tracing::warn!(target: "rimguard::gateway", %error, "upstream unavailable");
                    counters.upstream_error();
                    return Ok(BAD_GATEWAY.into_response::<Body>().map(body::boxed));
                }
                Err(_) => {
                    tracing::warn!(target: "rimguard::gateway", "upstream timed out");
                    counters.upstream_timeout();
                    return Ok(GATEWAY_TIMEOUT.into_response::<Body>().map(body::boxed));
                }
            };
            let (mut parts, incoming) = response.into_parts();
            remove_hop_by_hop(&mut parts.headers);
            Ok(Response::from_parts(parts, body::boxed(incoming)))
        })
    }
}

impl Proxy {
    fn rewrite(&self, mut req: Request<Body>) -> Request<Body> {
        let path = req
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        let uri = Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(path)
            .build()
            .expect("a scheme, an authority and a path make a URI");
        *req.uri_mut() = uri;
        *req.version_mut() = http::Version::HTTP_11;

        let peer = req.extensions().get::<SocketAddr>().map(SocketAddr::ip);
        let tls = req.extensions().get::<TlsConnection>().is_some();
        let headers = req.headers_mut();
        remove_hop_by_hop(headers);
        if let Some(peer) = peer {
            append_forwarded(headers, peer, tls);
        }
        req
    }
}

/// Removes hop-by-hop headers, and those that `Connection` names.
pub(crate) fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::try_from(name.trim()).ok())
        .collect();
    for name in named.iter().chain(HOP_BY_HOP.iter()) {
        headers.remove(name);
    }
    headers.remove("proxy-connection");
}

/// Appends this hop to `X-Forwarded-For` and `Forwarded` (on one line each,
/// after the lines already there), and sets `X-Forwarded-Proto` to what
/// this gateway saw.
fn append_forwarded(headers: &mut HeaderMap, peer: IpAddr, tls: bool) {
    let proto = if tls { "https" } else { "http" };
    let node = match peer {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("\"[{v6}]\""),
    };
    append_entry(
        headers,
        header::FORWARDED,
        &format!("for={node};proto={proto}"),
    );
    append_entry(
        headers,
        HeaderName::from_static("x-forwarded-for"),
        &peer.to_string(),
    );
    headers.insert(
        HeaderName::from_static("x-forwarded-proto"),
        HeaderValue::from_static(proto),
    );
}

fn append_entry(headers: &mut HeaderMap, name: HeaderName, entry: &str) {
    let mut line = Vec::new();
    for value in headers.get_all(&name) {
        line.extend_from_slice(value.as_bytes());
        line.extend_from_slice(b", ");
    }
    line.extend_from_slice(entry.as_bytes());
    let value = HeaderValue::from_bytes(&line).expect("header values joined by a comma stay valid");
    headers.insert(name, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_removed() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("close, x-secret-hop"),
        );
        headers.insert("x-secret-hop", HeaderValue::from_static("1"));
        headers.insert(header::TE, HeaderValue::from_static("trailers"));
        headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        remove_hop_by_hop(&mut headers);
        assert_eq!(headers.len(), 1);
        assert!(headers.contains_key(header::ACCEPT));
    }

    #[test]
    fn this_hop_is_appended_after_the_existing_ones() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("198.51.100.1"));
        append_forwarded(&mut headers, "2001:db8::1".parse().unwrap(), true);
        assert_eq!(headers["x-forwarded-for"], "198.51.100.1, 2001:db8::1");
        assert_eq!(
            headers[header::FORWARDED],
            "for=\"[2001:db8::1]\";proto=https"
        );
        assert_eq!(headers["x-forwarded-proto"], "https");
    }
}
