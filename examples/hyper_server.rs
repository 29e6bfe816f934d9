//! The rimguard stack in front of a bare Hyper server, built in code (no
//! configuration file), on 127.0.0.1.
//!
//! ```text
//! cargo run --example hyper_server            # serves one request of its own, then exits
//! cargo run --example hyper_server -- --serve # keeps serving on 127.0.0.1:3000
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::num::NonZeroU32;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use rimguard::body::Body;
use rimguard::core::ClientIp;
use rimguard::core::client_ip::ClientIpLayer;
use rimguard::headers::SecurityHeadersLayer;
use rimguard::https::HttpsOnlyLayer;
use rimguard::ratelimit::{Quota, RateLimitLayer};
use rimguard::{Route, Stack};
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_layer::Layer;

async fn orders(req: Request<Body>) -> Result<Response<Full<Bytes>>, Infallible> {
    let ip = req
        .extensions()
        .get::<ClientIp>()
        .map(ToString::to_string)
        .unwrap_or_default();
    Ok(Response::new(Full::new(Bytes::from(format!(
        "orders for a caller at {ip}\n"
    )))))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let per_minute = NonZeroU32::new(100).expect("100 is not zero");
    let stack = Stack::builder()
        .client_ip(ClientIpLayer::peer_only())
        .https_only(HttpsOnlyLayer::allow_plain_http())
        .security_headers(SecurityHeadersLayer::api())
        .route(
            Route::new("orders", "/orders/*")?
                .rate_limit(RateLimitLayer::per_client_ip(Quota::per_minute(per_minute))),
        )
        .build();
    let service = stack.layer(tower::service_fn(orders));

    let serve = std::env::args().any(|a| a == "--serve");
    let listen = if serve {
        "127.0.0.1:3000"
    } else {
        "127.0.0.1:0"
    };
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}");

    let server = tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                break;
            };
            // The client IP layer reads the socket peer from this extension.
            let service =
                service
                    .clone()
                    .map_request(move |mut req: Request<hyper::body::Incoming>| {
                        req.extensions_mut().insert(peer);
                        req
                    });
            tokio::spawn(async move {
                let io = TokioIo::new(stream);
                let _ = http1::Builder::new()
                    .serve_connection(io, TowerToHyperService::new(service))
                    .await;
            });
        }
    });

    if serve {
        server.await?;
        return Ok(());
    }
    let status = get(addr).await?;
    assert_eq!(status, StatusCode::OK);
    Ok(())
}

async fn get(addr: SocketAddr) -> Result<StatusCode, Box<dyn std::error::Error>> {
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let response = client
        .get(format!("http://{addr}/orders/7").parse()?)
        .await?;
    let status = response.status();
    let frame = response.headers()["x-frame-options"].clone();
    let body = response.into_body().collect().await?.to_bytes();
    print!(
        "GET /orders/7 -> {status}, x-frame-options: {frame:?}: {}",
        String::from_utf8_lossy(&body)
    );
    Ok(status)
}
