//! A Tower client stack calling the shop's API: the API key injected from a
//! secret (never in the code, marked sensitive), and one audit record per
//! call. The "shop" is a local stand-in on 127.0.0.1 that checks the key.
//!
//! ```text
//! cargo run --example shop_client
//! ```
//!
//! The key comes from `WIX_API_KEY` when set, else from a demo-only value.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rimguard::audit::{AuditLayer, MemorySink};
use rimguard::secrets::SetSecretHeaderLayer;
use rimguard::secrets::secret::{ExposeSecret, SecretString};
use tokio::net::TcpListener;
use tower::{ServiceBuilder, ServiceExt};

const DEMO_ONLY_KEY: &str = "wix-demo-only-key-0123456789";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = SecretString::from(
        std::env::var("WIX_API_KEY").unwrap_or_else(|_| DEMO_ONLY_KEY.to_owned()),
    );
    let shop = fake_shop(key.expose_secret().to_owned()).await?;

    let records = MemorySink::new();
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let shop_api = ServiceBuilder::new()
        .layer(AuditLayer::client(records.clone()))
        .layer(SetSecretHeaderLayer::bearer(&key)?)
        .service(client);

    for path in ["/v1/orders?phone=%2B447911123456", "/v1/customers/1"] {
        let request = Request::get(format!("http://{shop}{path}")).body(Full::default())?;
        let response = shop_api.clone().oneshot(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        println!("GET {path} -> {status}: {}", String::from_utf8_lossy(&body));
        assert_eq!(status, StatusCode::OK);
    }

    println!("\naudit records (the key never appears; the phone query value is masked):");
    for record in records.take() {
        println!("{}", record.to_json());
    }
    Ok(())
}

/// A stand-in for the shop's API that answers 401 without the right key.
async fn fake_shop(expected: String) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let expected = format!("Bearer {expected}");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let expected = expected.clone();
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let ok = req
                    .headers()
                    .get("authorization")
                    .is_some_and(|v| v.as_bytes() == expected.as_bytes());
                let (status, body) = if ok {
                    (StatusCode::OK, "{\"ok\":true}")
                } else {
                    (StatusCode::UNAUTHORIZED, "{}")
                };
                let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
                *response.status_mut() = status;
                async move { Ok::<_, Infallible>(response) }
            });
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
    Ok(addr)
}
