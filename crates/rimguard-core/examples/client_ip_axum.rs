//! An axum app behind a trusted proxy that echoes the client address it
//! resolved.
//!
//! The proxy here is whatever connects over loopback (an nginx or Caddy on
//! the same host, or you with curl pretending to be one): `127.0.0.1` and
//! `::1` are the trusted proxies, and the client is the rightmost
//! `X-Forwarded-For` entry that is not one of them.
//!
//! ```text
//! cargo run -p rimguard-core --example client_ip_axum
//! curl -H 'X-Forwarded-For: 6.6.6.6, 203.0.113.9' http://127.0.0.1:3000/
//! # 203.0.113.9 (from X-Forwarded-For hop 0, peer trusted: true)
//! curl -H 'X-Forwarded-For: bogus' http://127.0.0.1:3000/
//! # 400, application/problem+json, code client-ip-malformed
//!
//! cargo run -p rimguard-core --example client_ip_axum -- --once
//! # serves on a free port, sends itself one request, prints the answer, exits
//! ```

use std::net::SocketAddr;

use axum::{Extension, Router, routing::get};
use rimguard_core::ClientIp;
use rimguard_core::client_ip::{ClientIpLayer, ClientIpSource, FailurePolicy, Strategy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn whoami(Extension(ip): Extension<ClientIp>) -> String {
    let source = match ip.source() {
        ClientIpSource::Peer => "the socket peer".to_owned(),
        ClientIpSource::XForwardedFor { hop } => format!("X-Forwarded-For hop {hop}"),
        ClientIpSource::Forwarded { hop } => format!("Forwarded hop {hop}"),
        other => format!("{other:?}"),
    };
    format!(
        "{} (from {source}, peer trusted: {})\n",
        ip.addr(),
        ip.peer_trusted()
    )
}

fn app() -> Result<Router, rimguard_core::ConfigError> {
    let client_ip = ClientIpLayer::builder(Strategy::rightmost_x_forwarded_for())
        .trusted_proxies([
            "127.0.0.1/32".parse().expect("a literal range"),
            "::1/128".parse().expect("a literal range"),
        ])
        .on_failure(FailurePolicy::Reject)
        .build()?;
    Ok(Router::new().route("/", get(whoami)).layer(client_ip))
}

/// Sends one request through a raw socket and returns the whole response.
async fn ask(addr: SocketAddr, forwarded_for: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nX-Forwarded-For: {forwarded_for}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let once = std::env::args().any(|arg| arg == "--once");
    let listener = TcpListener::bind(if once {
        "127.0.0.1:0"
    } else {
        "127.0.0.1:3000"
    })
    .await?;
    let addr = listener.local_addr()?;
    let service = app()?.into_make_service_with_connect_info::<SocketAddr>();

    if !once {
        println!(
            "listening on http://{addr}; try: curl -H 'X-Forwarded-For: 6.6.6.6, 203.0.113.9' http://{addr}/"
        );
        axum::serve(listener, service).await?;
        return Ok(());
    }

    let server = tokio::spawn(async move { axum::serve(listener, service).await });
    let response = ask(addr, "6.6.6.6, 203.0.113.9").await?;
    server.abort();

    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    print!("{body}");
    if !body.starts_with("203.0.113.9 ") {
        return Err(format!("unexpected answer: {response}").into());
    }
    Ok(())
}
