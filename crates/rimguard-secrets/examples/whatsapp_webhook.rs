//! A plain hyper server for a WhatsApp Cloud API webhook, behind
//! `WebhookSignatureLayer`, called over loopback as Meta would call it.
//!
//! `cargo run -p rimguard-secrets --example whatsapp_webhook`
//!
//! It answers the subscription handshake, accepts an event signed with the
//! app secret, and refuses one with a forged signature and one too large.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::num::NonZeroUsize;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rimguard_secrets::WebhookSignatureLayer;
use rimguard_secrets::secret::{SecretBytes, SecretString};
use rimguard_secrets::signature::{SignatureScheme, SigningSecrets};
use tower::{ServiceBuilder, ServiceExt, service_fn};

const APP_SECRET: &[u8] = b"demo-app-secret";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secrets = SigningSecrets::new(SecretBytes::from(APP_SECRET.to_vec()));
    let layer = WebhookSignatureLayer::whatsapp(secrets, SecretString::from("demo-verify-token"))
        .with_max_body(NonZeroUsize::new(64 * 1024).expect("64 KiB is not zero"));
    let app = ServiceBuilder::new().layer(layer).service(service_fn(
        |request: Request<Full<Bytes>>| async move {
            let body = request.into_body().collect().await?.to_bytes();
            println!("  service got {} verified bytes", body.len());
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
                b"EVENT_RECEIVED",
            ))))
        },
    ));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let app = app.clone();
            let service = hyper::service::service_fn(move |request| app.clone().oneshot(request));
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });

    let event = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    let signature = SignatureScheme::whatsapp().header_value(APP_SECRET, event);
    let big = vec![b' '; 100 * 1024];
    let calls: [(&str, &str, Option<&str>, &[u8]); 4] = [
        (
            "GET",
            "/whatsapp?hub.mode=subscribe&hub.verify_token=demo-verify-token&hub.challenge=1158201444",
            None,
            b"",
        ),
        ("POST", "/whatsapp", Some(&signature), event),
        (
            "POST",
            "/whatsapp",
            Some("sha256=0000000000000000000000000000000000000000000000000000000000000000"),
            event,
        ),
        ("POST", "/whatsapp", Some(&signature), &big),
    ];
    for (method, uri, signature, body) in calls {
        let (status, answer) = call(address, method, uri, signature, body).await?;
        println!("{method} {uri} -> {status}: {answer}");
    }
    Ok(())
}

async fn call(
    address: SocketAddr,
    method: &str,
    uri: &str,
    signature: Option<&str>,
    body: &[u8],
) -> Result<(u16, String), Box<dyn std::error::Error>> {
    let stream = tokio::net::TcpStream::connect(address).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", address.to_string());
    if let Some(signature) = signature {
        request = request.header("x-hub-signature-256", signature);
    }
    let response = sender
        .send_request(request.body(Full::new(Bytes::copy_from_slice(body)))?)
        .await?;
    let status = response.status().as_u16();
    let answer = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&answer).into_owned()))
}
