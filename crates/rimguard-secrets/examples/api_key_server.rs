//! An axum service behind `ApiKeyLayer`, called over loopback.
//!
//! `cargo run -p rimguard-secrets --example api_key_server`
//!
//! The key comes from `[api_keys.bot]`-style configuration: the kernel
//! keyring first, then the environment variable `BOT_KEY` (set here to a
//! demo value when absent). The program starts the server on 127.0.0.1, makes
//! three requests (a read, a write with the read-only key, a wrong key),
//! prints the answers and exits.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rimguard_core::ApiKeyId;
use rimguard_secrets::config::ApiKeysConfig;
use rimguard_secrets::source::Resolver;

const DEMO_KEY: &str = "rg_live_demo0123456789abcdefghij";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config: ApiKeysConfig = toml::from_str(
        r#"
        keys = [{ sources = ["keyring:rimguard/bot_key", "env:BOT_KEY"], id = "bot" }]
        scopes = ["read"]
        "#,
    )?;
    let resolver = Resolver::new().with_env(|name| {
        std::env::var(name)
            .ok()
            .or_else(|| (name == "BOT_KEY").then(|| DEMO_KEY.to_owned()))
    });
    let layer = config.build("bot", &resolver)?;

    let app = Router::new()
        .route(
            "/orders",
            get(
                |axum::Extension(id): axum::Extension<ApiKeyId>| async move {
                    format!("orders for {id}\n")
                },
            )
            .post(|| async { "created\n" }),
        )
        .layer(layer);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });

    let key = std::env::var("BOT_KEY").unwrap_or_else(|_| DEMO_KEY.to_owned());
    for (method, authorization) in [
        ("GET", format!("Bearer {key}")),
        ("POST", format!("Bearer {key}")),
        ("GET", "Bearer wrong-key-0123456789".into()),
    ] {
        let (status, body) = call(address, method, &authorization).await?;
        println!("{method} /orders -> {status}\n{body}\n");
    }
    Ok(())
}

async fn call(
    address: SocketAddr,
    method: &str,
    authorization: &str,
) -> Result<(u16, String), Box<dyn std::error::Error>> {
    let stream = tokio::net::TcpStream::connect(address).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = Request::builder()
        .method(method)
        .uri("/orders")
        .header("host", address.to_string())
        .header("authorization", authorization)
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}
