//! The client side: `SetSecretHeaderLayer` adds the shop's API key to
//! every outgoing request of a Tower client.
//!
//! `cargo run -p rimguard-secrets --example shop_client`
//!
//! A stand-in for the shop's API runs on 127.0.0.1 behind `ApiKeyLayer`
//! (reading `X-Api-Key`), so the example shows both ends: the client's key
//! is accepted, and a client without the layer is refused.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderName, Request, Response};
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::rt::TokioIo;
use rimguard_secrets::key::ApiKey;
use rimguard_secrets::rotation::ApiKeys;
use rimguard_secrets::secret::SecretString;
use rimguard_secrets::{ApiKeyLayer, SetSecretHeaderLayer};
use tower::{BoxError, ServiceBuilder, ServiceExt, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let shop_key = SecretString::from("wix_demo_0123456789abcdefghij");
    let address = start_shop(&shop_key).await?;

    let client = ServiceBuilder::new()
        .layer(SetSecretHeaderLayer::new(
            HeaderName::from_static("x-api-key"),
            &shop_key,
        )?)
        .service(service_fn(move |request: Request<Empty<Bytes>>| {
            send(address, request)
        }));
    let request = Request::get("/stores/v1/orders").body(Empty::new())?;
    let (status, body) = client.oneshot(request).await?;
    println!("with the key layer:    {status} {body}");

    let bare = service_fn(move |request: Request<Empty<Bytes>>| send(address, request));
    let (status, body) = bare
        .oneshot(Request::get("/stores/v1/orders").body(Empty::new())?)
        .await?;
    println!("without the key layer: {status} {body}");
    Ok(())
}

async fn start_shop(key: &SecretString) -> Result<SocketAddr, BoxError> {
    let keys = ApiKeys::new(ApiKey::new("rimtyres", key, SystemTime::now())?);
    let layer = ApiKeyLayer::new(keys).with_header(HeaderName::from_static("x-api-key"));
    let shop = ServiceBuilder::new().layer(layer).service(service_fn(
        |_: Request<hyper::body::Incoming>| async {
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
                b"[{\"order\":1042}]",
            ))))
        },
    ));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let shop = shop.clone();
            let service = hyper::service::service_fn(move |request| shop.clone().oneshot(request));
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });
    Ok(address)
}

async fn send(
    address: SocketAddr,
    mut request: Request<Empty<Bytes>>,
) -> Result<(u16, String), BoxError> {
    let stream = tokio::net::TcpStream::connect(address).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    request
        .headers_mut()
        .insert("host", address.to_string().parse()?);
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}
