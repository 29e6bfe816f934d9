//! A per-IP limit on the whole app and a per-phone limit on the lookup
//! route of an axum app, served on 127.0.0.1.
//!
//! ```text
//! cargo run -p rimguard-ratelimit --example axum_per_ip_and_phone
//! curl -i 'http://127.0.0.1:3000/customers/lookup?phone=%2B447911123456'
//! ```
//!
//! The example stands in for the client IP and phone layers with a small
//! middleware that puts `ClientIp` (the socket peer) and `CallerPhone`
//! (the `phone` query parameter, already in E.164) into the extensions.
//! With `--smoke` it serves on a free port, sends four lookups and exits.

use std::net::SocketAddr;
use std::num::NonZeroU32;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::{Router, routing::get};
use rimguard_core::{CallerPhone, ClientIp};
use rimguard_ratelimit::{Headers, OnMissingKey, PhoneKey, Policy, Quota, RateLimitLayer};

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).expect("the example's quotas are not zero")
}

async fn identify(mut request: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .copied()
    {
        request
            .extensions_mut()
            .insert(ClientIp::from_peer(peer.ip()));
    }
    let phone = request
        .uri()
        .query()
        .and_then(|q| q.strip_prefix("phone="))
        .map(|p| p.replace("%2B", "+"));
    if let Some(phone) = phone.as_deref().and_then(CallerPhone::from_e164) {
        request.extensions_mut().insert(phone);
    }
    next.run(request).await
}

fn app() -> Result<Router, rimguard_core::ConfigError> {
    let per_ip = RateLimitLayer::builder(rimguard_ratelimit::ClientIpKey::new())
        .name("per_ip")
        .policy(Policy::new(
            "burst",
            Quota::per_minute(nz(100)).with_burst(nz(20)),
        )?)
        .policy(Policy::new("daily", Quota::per_day(nz(5000)))?)
        .max_keys(1_000_000)
        .build()?;
    let per_phone = RateLimitLayer::builder(PhoneKey)
        .name("per_phone")
        .policy(Policy::new("lookup", Quota::per_minute(nz(3)))?)
        .on_missing_key(OnMissingKey::BadRequest)
        .headers(Headers::Always)
        .build()?;

    Ok(Router::new()
        .route(
            "/customers/lookup",
            get(|| async { "customer found\n" }).layer(per_phone),
        )
        .route("/", get(|| async { "hello\n" }))
        .layer(per_ip)
        .layer(middleware::from_fn(identify)))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let smoke = std::env::args().any(|a| a == "--smoke");
    let address = if smoke {
        "127.0.0.1:0"
    } else {
        "127.0.0.1:3000"
    };
    let listener = tokio::net::TcpListener::bind(address).await?;
    let local = listener.local_addr()?;
    println!("listening on http://{local}");
    let service = app()?.into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, service).await });

    if smoke {
        for _ in 0..4 {
            let status = lookup(local).await?;
            println!("GET /customers/lookup -> {status}");
        }
        server.abort();
        return Ok(());
    }
    server.await??;
    Ok(())
}

/// One lookup over a plain HTTP/1.1 connection; returns the status line.
async fn lookup(address: SocketAddr) -> std::io::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    let request = "GET /customers/lookup?phone=%2B447911123456 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await?;
    Ok(reply.lines().next().unwrap_or_default().to_owned())
}
