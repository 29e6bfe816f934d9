//! The client IP layer in a real axum server on loopback, its peer taken
//! from `ConnectInfo`.
#![cfg(feature = "axum")]

use std::net::SocketAddr;
use std::time::Duration;

use axum::{Extension, Router, routing::get};
use rimguard_core::ClientIp;
use rimguard_core::client_ip::{ClientIpLayer, FailurePolicy, Strategy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn whoami(Extension(ip): Extension<ClientIp>) -> String {
    format!("{} {:?} {}", ip.addr(), ip.source(), ip.peer_trusted())
}

async fn serve(layer: ClientIpLayer) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/", get(whoami)).layer(layer);
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    addr
}

async fn get_with(addr: SocketAddr, extra_headers: &str) -> String {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request =
            format!("GET / HTTP/1.1\r\nHost: test\r\n{extra_headers}Connection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .expect("the server answers in time")
}

fn loopback_proxy() -> ClientIpLayer {
    ClientIpLayer::builder(Strategy::rightmost_x_forwarded_for())
        .trusted_proxies(["127.0.0.0/8".parse().unwrap()])
        .on_failure(FailurePolicy::Reject)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_trusted_loopback_proxy_passes_the_client_through_connect_info() {
    let addr = serve(loopback_proxy()).await;

    let response = get_with(
        addr,
        "X-Forwarded-For: 6.6.6.6, 203.0.113.9\r\nX-Forwarded-For: 127.0.0.2\r\n",
    )
    .await;

    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.ends_with("203.0.113.9 XForwardedFor { hop: 1 } true"),
        "{response}"
    );
}

#[tokio::test]
async fn a_malformed_chain_is_refused_by_the_real_server() {
    let addr = serve(loopback_proxy()).await;

    let response = get_with(addr, "X-Forwarded-For: 203.0.113.9, bogus\r\n").await;

    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.contains("application/problem+json"), "{response}");
    assert!(
        response.contains("client-ip-malformed") && !response.contains("bogus"),
        "{response}"
    );
}

#[tokio::test]
async fn an_untrusted_loopback_peer_is_its_own_client() {
    let layer = ClientIpLayer::builder(Strategy::rightmost_x_forwarded_for())
        .trusted_proxies(["10.0.0.0/8".parse().unwrap()])
        .on_failure(FailurePolicy::Reject)
        .build()
        .unwrap();
    let addr = serve(layer).await;

    let response = get_with(addr, "X-Forwarded-For: 203.0.113.9\r\n").await;

    assert!(response.ends_with("127.0.0.1 Peer false"), "{response}");
}
