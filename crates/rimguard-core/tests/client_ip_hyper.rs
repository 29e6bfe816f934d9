//! The client IP layer under plain Hyper, without axum: the accept loop
//! inserts the peer as a `SocketAddr` extension.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rimguard_core::ClientIp;
use rimguard_core::client_ip::{ClientIpLayer, FailurePolicy, Strategy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::{ServiceBuilder, service_fn};

async fn whoami(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let ip = request
        .extensions()
        .get::<ClientIp>()
        .expect("the layer stores a ClientIp");
    Ok(Response::new(Full::new(Bytes::from(format!(
        "{} {:?}",
        ip.addr(),
        ip.source()
    )))))
}

/// Serves one connection with the layer, the peer taken from the socket.
async fn serve_one(listener: TcpListener, layer: ClientIpLayer) {
    let (stream, peer) = listener.accept().await.unwrap();
    let service = ServiceBuilder::new()
        .map_request(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(peer);
            request
        })
        .layer(layer)
        .service(service_fn(whoami));
    let connection = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    connection.await.unwrap();
}

async fn ask(addr: SocketAddr, forwarded_for: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET / HTTP/1.1\r\nHost: test\r\nX-Forwarded-For: {forwarded_for}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn a_hyper_server_resolves_the_client_from_a_socket_addr_extension() {
    let layer = ClientIpLayer::builder(Strategy::rightmost_x_forwarded_for())
        .trusted_proxies(["127.0.0.0/8".parse().unwrap()])
        .on_failure(FailurePolicy::Reject)
        .build()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(serve_one(listener, layer));

    let response = tokio::time::timeout(Duration::from_secs(10), ask(addr, "6.6.6.6, 203.0.113.9"))
        .await
        .expect("the server answers in time");
    server.await.unwrap();

    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.ends_with("203.0.113.9 XForwardedFor { hop: 0 }"),
        "{response}"
    );
}
