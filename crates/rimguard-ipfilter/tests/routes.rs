//! Per-route lists in a real axum `Router`, named in the configuration.

mod common;

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use http::{Request, StatusCode};
use rimguard_core::ClientIp;
use rimguard_ipfilter::{IpListConfig, IpListRegistry};
use tower::ServiceExt;

const CONFIG: &str = r#"
[office]
allow = ["203.0.113.0/24", "2001:db8:1::/48"]
deny = ["203.0.113.66"]

[webhook-providers]
allow = ["198.51.100.0/24"]
status = 404
"#;

fn registry() -> IpListRegistry {
    let lists: BTreeMap<String, IpListConfig> = toml::from_str(CONFIG).unwrap();
    IpListRegistry::from_config(&lists, None).unwrap()
}

fn app(lists: &IpListRegistry) -> Router {
    let admin = Router::new()
        .route("/admin/orders", get(|| async { "orders" }))
        .route_layer(lists.layer("office").unwrap());
    let webhooks = Router::new()
        .route("/webhooks/whatsapp", post(|| async { "received" }))
        .layer(lists.layer("webhook-providers").unwrap());
    Router::new()
        .route("/", get(|| async { "public" }))
        .merge(admin)
        .merge(webhooks)
}

async fn status(app: &Router, method: &str, path: &str, ip: &str) -> StatusCode {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .unwrap();
    request
        .extensions_mut()
        .insert(ClientIp::from_peer(ip.parse().unwrap()));
    app.clone().oneshot(request).await.unwrap().status()
}

#[tokio::test]
async fn each_route_is_guarded_by_its_own_list() {
    let app = app(&registry());

    assert_eq!(status(&app, "GET", "/", "192.0.2.1").await, StatusCode::OK);
    assert_eq!(
        status(&app, "GET", "/admin/orders", "203.0.113.9").await,
        StatusCode::OK
    );
    assert_eq!(
        status(&app, "GET", "/admin/orders", "2001:db8:1::9").await,
        StatusCode::OK
    );
    assert_eq!(
        status(&app, "GET", "/admin/orders", "203.0.113.66").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(&app, "GET", "/admin/orders", "198.51.100.7").await,
        StatusCode::FORBIDDEN
    );

    let webhook = "/webhooks/whatsapp";
    assert_eq!(
        status(&app, "POST", webhook, "198.51.100.7").await,
        StatusCode::OK
    );
    assert_eq!(
        status(&app, "POST", webhook, "203.0.113.9").await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn route_layer_keeps_unknown_paths_a_plain_404() {
    let app = app(&registry());
    // The office list never sees a path no route matches.
    assert_eq!(
        status(&app, "GET", "/admin/nothing", "192.0.2.1").await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_route_naming_an_unknown_list_is_a_config_error() {
    let error = registry().layer("ofice").unwrap_err().within("routes[0]");
    assert_eq!(error.field(), "routes[0].ip_list");
    assert!(
        error.message().contains("office, webhook-providers"),
        "{error}"
    );
}

#[tokio::test]
async fn layers_for_one_name_share_one_list() {
    let lists = registry();
    let app = app(&lists);
    assert_eq!(
        status(&app, "GET", "/admin/orders", "192.0.2.1").await,
        StatusCode::FORBIDDEN
    );

    let office = lists.list("office").unwrap();
    office.replace(
        rimguard_ipfilter::IpList::builder()
            .allow("192.0.2.0/24")
            .build()
            .unwrap(),
    );
    assert_eq!(
        status(&app, "GET", "/admin/orders", "192.0.2.1").await,
        StatusCode::OK
    );
    assert_eq!(office.reloads(), 1);
}

/// Sends one HTTP/1.1 GET over a fresh connection and returns the answer.
async fn get_over_tcp(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

#[tokio::test]
async fn behind_the_client_ip_layer_a_real_socket_peer_is_filtered() {
    // The client IP layer of rimguard-core, outermost, as the facade orders them.
    let lists = registry();
    let app = app(&lists).layer(rimguard_core::client_ip::ClientIpLayer::peer_only());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let make = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, make).await.unwrap();
    });

    let admin = get_over_tcp(addr, "/admin/orders").await;
    let public = get_over_tcp(addr, "/").await;
    server.abort();

    assert!(
        admin.starts_with("HTTP/1.1 403"),
        "127.0.0.1 is not in the office list: {admin}"
    );
    assert!(admin.contains("application/problem+json"), "{admin}");
    assert!(!admin.contains("127.0.0.1"), "{admin}");
    assert!(public.starts_with("HTTP/1.1 200"), "{public}");
}
