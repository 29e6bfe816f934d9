//! The gateway in front of a real upstream on 127.0.0.1, driven over HTTP.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rimguard::Config;
use rimguard_cli::gateway::Gateway;
use tokio::net::TcpListener;

/// An upstream that answers with the request headers it received, as JSON,
/// and a `Server` banner that the gateway must remove.
async fn upstream() -> SocketAddr {
    async fn echo(headers: HeaderMap) -> ([(&'static str, &'static str); 1], String) {
        let seen: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").into()))
            .collect();
        (
            [("server", "upstream/1.0")],
            serde_json::Value::Object(seen).to_string(),
        )
    }
    let app = Router::new().route("/{*path}", get(echo));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn gateway(extra: &str, upstream: SocketAddr) -> SocketAddr {
    let text = format!(
        "{extra}\n[gateway]\nlisten = \"127.0.0.1:0\"\nupstream = \"http://{upstream}\"\nrequest_timeout = \"5s\"\n"
    );
    let config = Config::loader()
        .text("gateway.toml", text)
        .env_vars([])
        .load()
        .unwrap();
    let gateway = Gateway::from_config(&config).unwrap();
    let listener = gateway.bind().await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(gateway.serve(listener, std::future::pending()));
    addr
}

async fn get_text(url: String, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = Request::get(url);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let response = client
        .request(req.body(Full::default()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test]
async fn a_request_reaches_the_upstream_with_this_hop_appended_and_hop_headers_removed() {
    let gateway = gateway("[https]\nmode = \"off\"", upstream().await).await;
    let headers = [
        ("x-forwarded-for", "198.51.100.7"),
        ("connection", "keep-alive, x-drop-me"),
        ("x-drop-me", "1"),
    ];
    let (status, response_headers, body) =
        get_text(format!("http://{gateway}/orders/1"), &headers).await;

    assert_eq!(status, StatusCode::OK);
    let seen: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(seen["x-forwarded-for"], "198.51.100.7, 127.0.0.1", "{seen}");
    assert_eq!(seen["forwarded"], "for=127.0.0.1;proto=http");
    assert_eq!(seen["x-forwarded-proto"], "http");
    assert!(seen.get("x-drop-me").is_none());

    assert!(!response_headers.contains_key("server"));
    assert_eq!(response_headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn plain_http_is_refused_by_default() {
    let gateway = gateway("", upstream().await).await;
    let (status, headers, body) = get_text(format!("http://{gateway}/orders/1"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert!(body.contains("https-required"));
}

#[tokio::test]
async fn health_and_metrics_are_answered_by_the_gateway() {
    let gateway = gateway("", upstream().await).await;
    let (status, _, body) = get_text(format!("http://{gateway}/healthz"), &[]).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok\n"));

    get_text(format!("http://{gateway}/refused"), &[]).await;
    let (status, _, metrics) = get_text(format!("http://{gateway}/metrics"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(metrics.contains("rimguard_requests_total 1\n"), "{metrics}");
    assert!(
        metrics.contains("rimguard_refusals_total{layer=\"https-only\",code=\"https-required\"} 1")
    );
}

#[tokio::test]
async fn metrics_show_each_rate_limiter() {
    let limits = "[https]\nmode = \"off\"\n[rate_limits.per_ip]\nkey = \"client-ip\"\npolicies = [{ name = \"b\", quota = 1, window = \"1m\" }]\n[[routes]]\nname = \"all\"\npath = \"/*\"\nrate_limits = [\"per_ip\"]";
    let gateway = gateway(limits, upstream().await).await;
    let (first, _, _) = get_text(format!("http://{gateway}/orders/1"), &[]).await;
    let (second, _, _) = get_text(format!("http://{gateway}/orders/1"), &[]).await;
    assert_eq!(
        (first, second),
        (StatusCode::OK, StatusCode::TOO_MANY_REQUESTS)
    );

    let (_, _, metrics) = get_text(format!("http://{gateway}/metrics"), &[]).await;
    assert!(
        metrics.contains("rimguard_ratelimit_keys{limiter=\"per_ip\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("rimguard_ratelimit_limited_total{limiter=\"per_ip\"} 1"));
    assert!(metrics.contains("rimguard_ratelimit_backend_fallbacks_total{limiter=\"per_ip\"} 0"));
    assert!(
        metrics.contains("rimguard_refusals_total{layer=\"rate-limit\",code=\"rate-limited\"} 1")
    );
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_502_problem() {
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let gateway = gateway("[https]\nmode = \"off\"", closed).await;
    let (status, _, body) = get_text(format!("http://{gateway}/x"), &[]).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(body.contains("upstream-unavailable"));
}
