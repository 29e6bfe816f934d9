//! Webhook signatures against known-answer vectors, and the WhatsApp
//! subscription handshake.
//!
//! Every expected MAC below was computed independently of this crate, at
//! authoring time, with Python's standard library:
//!
//! ```text
//! python3 -c 'import hmac,hashlib; print(hmac.new(KEY, BODY, hashlib.sha256).hexdigest())'
//! ```
//!
//! (base64 and SHA-512 variants alike), and the RFC-style vector
//! `HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog")` also
//! with `printf '…' | openssl dgst -sha256 -hmac key`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderName, Request, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full};
use rimguard_core::{Layer, Rejection};
use rimguard_secrets::secret::{SecretBytes, SecretString};
use rimguard_secrets::signature::{
    Algorithm, Encoding, SignatureScheme, SignedWith, SigningSecrets,
};
use rimguard_secrets::{HmacSignatureLayer, WebhookSignatureLayer};
use tower::{ServiceBuilder, ServiceExt, service_fn};

const BODY: &[u8] = b"{\"object\":\"whatsapp_business_account\"}";
/// HMAC-SHA256(b"app-secret-current", BODY), hex.
const SIG_CURRENT: &str = "63a3e62d7c3215dfe45525871915e65078189de6aa4ae1f987c25ff983d5293b";
/// HMAC-SHA256(b"app-secret-previous", BODY), hex.
const SIG_PREVIOUS: &str = "3de07283976119b635904faa260cd7a4fe5cb0210de88d086f553d40cfdc23e1";
/// HMAC-SHA256(b"key", b"The quick brown fox jumps over the lazy dog"), hex (also openssl).
const FOX_SHA256: &str = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8";
/// HMAC-SHA512(b"key", b"The quick brown fox jumps over the lazy dog"), hex.
const FOX_SHA512: &str = "b42af09057bac1e2d41708e48a902e09b5ff7f12ab428a4fe86653c73dd248fb82f948a549f7b791a5b41915ee4d1ec3935357e4e2317250d0372afa2ebeeb3a";
/// HMAC-SHA256(b"shop-secret", b"{\"id\":1}"), base64.
const SHOP_BASE64: &str = "plW8VGqq0nDMIEhDqaNNW99asdUCy7EIqLZVcQwtAZ0=";
const FOX: &[u8] = b"The quick brown fox jumps over the lazy dog";

fn secrets() -> SigningSecrets {
    SigningSecrets::new(SecretBytes::from(b"app-secret-current".to_vec()))
        .with_previous(SecretBytes::from(b"app-secret-previous".to_vec()))
}

fn whatsapp(secrets: SigningSecrets) -> WebhookSignatureLayer {
    WebhookSignatureLayer::whatsapp(secrets, SecretString::from("verify-me-123"))
}

/// Echoes the body it received and which secret signed it.
async fn echo(request: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, Infallible> {
    let signed_with = request.extensions().get::<SignedWith>().copied();
    let body = request.into_body().collect().await.unwrap().to_bytes();
    let mut response = Response::new(Full::new(body));
    response
        .headers_mut()
        .insert("x-signed-with", format!("{signed_with:?}").parse().unwrap());
    Ok(response)
}

struct Answer {
    status: StatusCode,
    rejection: Option<Rejection>,
    signed_with: Option<String>,
    body: Bytes,
}

type EchoFuture = Pin<Box<dyn Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send>>;

fn echo_boxed(request: Request<Full<Bytes>>) -> EchoFuture {
    Box::pin(echo(request))
}

async fn send<B>(layer: WebhookSignatureLayer, request: Request<B>) -> Answer
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let service = ServiceBuilder::new()
        .layer(layer)
        .service(service_fn(echo_boxed));
    let response = service.oneshot(request).await.unwrap();
    Answer {
        status: response.status(),
        rejection: response.extensions().get::<Rejection>().cloned(),
        signed_with: response
            .headers()
            .get("x-signed-with")
            .map(|v| v.to_str().unwrap().to_owned()),
        body: response.into_body().collect().await.unwrap().to_bytes(),
    }
}

fn post(signature: Option<&str>, body: &'static [u8]) -> Request<Full<Bytes>> {
    let mut builder = Request::post("/whatsapp");
    if let Some(signature) = signature {
        builder = builder.header("x-hub-signature-256", signature);
    }
    builder.body(Full::new(Bytes::from_static(body))).unwrap()
}

#[test]
fn the_macs_match_the_independently_computed_vectors() {
    assert_eq!(
        hex::encode(Algorithm::HmacSha256.sign(b"key", FOX)),
        FOX_SHA256
    );
    assert_eq!(
        hex::encode(Algorithm::HmacSha512.sign(b"key", FOX)),
        FOX_SHA512
    );
    assert_eq!(
        hex::encode(Algorithm::HmacSha256.sign(b"app-secret-current", BODY)),
        SIG_CURRENT
    );
    assert_eq!(
        SignatureScheme::whatsapp().header_value(b"app-secret-previous", BODY),
        format!("sha256={SIG_PREVIOUS}")
    );
}

#[tokio::test]
async fn a_body_signed_with_the_current_secret_passes_intact() {
    let answer = send(
        whatsapp(secrets()),
        post(Some(&format!("sha256={SIG_CURRENT}")), BODY),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(&answer.body[..], BODY);
    assert_eq!(answer.signed_with.as_deref(), Some("Some(Current)"));
}

#[tokio::test]
async fn upper_case_hex_is_the_same_signature() {
    let answer = send(
        whatsapp(secrets()),
        post(
            Some(&format!("sha256={}", SIG_CURRENT.to_uppercase())),
            BODY,
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn the_previous_secret_is_accepted_until_it_is_dropped() {
    let secrets = secrets();
    let signature = format!("sha256={SIG_PREVIOUS}");
    let answer = send(whatsapp(secrets.clone()), post(Some(&signature), BODY)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.signed_with.as_deref(), Some("Some(Previous)"));

    secrets.drop_previous();
    let answer = send(whatsapp(secrets.clone()), post(Some(&signature), BODY)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let answer = send(
        whatsapp(secrets),
        post(Some(&format!("sha256={SIG_CURRENT}")), BODY),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn rotating_makes_the_old_current_secret_the_previous_one() {
    let secrets = SigningSecrets::new(SecretBytes::from(b"app-secret-previous".to_vec()));
    secrets.rotate(SecretBytes::from(b"app-secret-current".to_vec()));
    let layer = whatsapp(secrets);
    assert_eq!(
        send(
            layer.clone(),
            post(Some(&format!("sha256={SIG_CURRENT}")), BODY)
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        send(layer, post(Some(&format!("sha256={SIG_PREVIOUS}")), BODY))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_body_one_byte_off_is_refused() {
    let signature = format!("sha256={SIG_CURRENT}");
    let answer = send(
        whatsapp(secrets()),
        post(
            Some(&signature),
            b"{\"object\":\"whatsapp_business_accounT\"}",
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let answer = send(
        whatsapp(secrets()),
        post(
            Some(&signature),
            b"{\"object\":\"whatsapp_business_account\"} ",
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let rejection = answer.rejection.unwrap();
    assert_eq!(
        (rejection.layer(), rejection.code()),
        (Layer::WebhookSignature, "webhook-signature-invalid")
    );
}

#[tokio::test]
async fn a_signature_one_digit_off_or_of_the_wrong_shape_is_refused() {
    let mut one_off = SIG_CURRENT.to_owned();
    one_off.replace_range(63.., "c");
    let cases = [
        format!("sha256={one_off}"),
        format!("sha256={}", &SIG_CURRENT[..62]),
        format!("sha256={SIG_CURRENT}00"),
        format!("sha1={SIG_CURRENT}"),
        format!("SHA256={SIG_CURRENT}"),
        SIG_CURRENT.to_owned(),
        "sha256=not-hex".to_owned(),
        "sha256=".to_owned(),
    ];
    for signature in &cases {
        let answer = send(whatsapp(secrets()), post(Some(signature), BODY)).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{signature}");
    }
}

#[tokio::test]
async fn a_missing_or_repeated_signature_header_is_refused() {
    let answer = send(whatsapp(secrets()), post(None, BODY)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);

    let signature = format!("sha256={SIG_CURRENT}");
    let request = Request::post("/whatsapp")
        .header("x-hub-signature-256", &signature)
        .header("x-hub-signature-256", &signature)
        .body(Full::new(Bytes::from_static(BODY)))
        .unwrap();
    assert_eq!(
        send(whatsapp(secrets()), request).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// A body that arrives in chunks and declares no length.
struct Chunked(VecDeque<Bytes>);

impl Body for Chunked {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.pop_front().map(|chunk| Ok(Frame::data(chunk))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

fn chunked(body: &'static [u8], size: usize) -> Chunked {
    Chunked(body.chunks(size).map(Bytes::from_static).collect())
}

#[tokio::test]
async fn a_body_in_chunks_is_verified_over_the_exact_bytes() {
    let request = Request::post("/whatsapp")
        .header("x-hub-signature-256", format!("sha256={SIG_CURRENT}"))
        .body(chunked(BODY, 5))
        .unwrap();
    let answer = send(whatsapp(secrets()), request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(&answer.body[..], BODY);
}

#[tokio::test]
async fn a_body_over_the_bound_is_refused_with_413() {
    let bound = NonZeroUsize::new(BODY.len() - 1).unwrap();
    let signature = format!("sha256={SIG_CURRENT}");

    let declared = post(Some(&signature), BODY);
    let answer = send(whatsapp(secrets()).with_max_body(bound), declared).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.rejection.unwrap().code(), "webhook-body-too-large");

    let mut with_length = post(Some(&signature), BODY);
    with_length
        .headers_mut()
        .insert("content-length", BODY.len().to_string().parse().unwrap());
    let answer = send(whatsapp(secrets()).with_max_body(bound), with_length).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);

    let streamed = Request::post("/whatsapp")
        .header("x-hub-signature-256", &signature)
        .body(chunked(BODY, 4))
        .unwrap();
    let answer = send(whatsapp(secrets()).with_max_body(bound), streamed).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_body_exactly_at_the_bound_passes() {
    let bound = NonZeroUsize::new(BODY.len()).unwrap();
    let request = Request::post("/whatsapp")
        .header("x-hub-signature-256", format!("sha256={SIG_CURRENT}"))
        .body(chunked(BODY, 7))
        .unwrap();
    assert_eq!(
        send(whatsapp(secrets()).with_max_body(bound), request)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_general_layer_checks_base64_hmacs_in_any_header() {
    let scheme = SignatureScheme::new(HeaderName::from_static("x-shop-hmac-sha256"))
        .with_encoding(Encoding::Base64);
    let layer = WebhookSignatureLayer::new(
        scheme.clone(),
        SigningSecrets::new(SecretBytes::from(b"shop-secret".to_vec())),
    );
    let request = |sig: &str| {
        Request::post("/hooks")
            .header("x-shop-hmac-sha256", sig)
            .body(Full::new(Bytes::from_static(b"{\"id\":1}")))
            .unwrap()
    };
    assert_eq!(
        send(layer.clone(), request(SHOP_BASE64)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(
            layer,
            request("plW8VGqq0nDMIEhDqaNNW99asdUCy7EIqLZVcQwtAZ1=")
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );

    let hmac_layer = HmacSignatureLayer::new(
        scheme,
        SigningSecrets::new(SecretBytes::from(b"shop-secret".to_vec())),
    );
    let service = ServiceBuilder::new()
        .layer(hmac_layer)
        .service(service_fn(echo_boxed));
    assert_eq!(
        service
            .oneshot(request(SHOP_BASE64))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_general_layer_checks_sha512_with_a_prefix() {
    let scheme = SignatureScheme::new(HeaderName::from_static("x-signature"))
        .with_prefix("v1,")
        .with_algorithm(Algorithm::HmacSha512);
    let layer = WebhookSignatureLayer::new(
        scheme,
        SigningSecrets::new(SecretBytes::from(b"key".to_vec())),
    );
    let request = Request::post("/hooks")
        .header("x-signature", format!("v1,{FOX_SHA512}"))
        .body(Full::new(Bytes::from_static(FOX)))
        .unwrap();
    assert_eq!(send(layer, request).await.status, StatusCode::OK);
}

fn get(uri: &str) -> Request<Full<Bytes>> {
    Request::get(uri).body(Full::default()).unwrap()
}

#[tokio::test]
async fn the_handshake_echoes_the_challenge_for_the_right_token() {
    let answer = send(
        whatsapp(secrets()),
        get("/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me-123"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(&answer.body[..], b"1158201444");
}

#[tokio::test]
async fn a_percent_encoded_token_is_decoded_before_comparing() {
    let layer = WebhookSignatureLayer::whatsapp(secrets(), SecretString::from("a b&c"));
    let answer = send(
        layer,
        get("/whatsapp?hub.mode=subscribe&hub.verify_token=a%20b%26c&hub.challenge=42"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_verify_token_is_refused_with_403() {
    for token in ["verify-me-124", "verify-me-12", "", "verify-me-1234"] {
        let uri = format!("/whatsapp?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=42");
        let answer = send(whatsapp(secrets()), get(&uri)).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{token}");
        assert_eq!(
            answer.rejection.unwrap().code(),
            "webhook-verify-token-mismatch"
        );
        assert!(!String::from_utf8_lossy(&answer.body).contains("42"));
    }
}

#[tokio::test]
async fn an_unsafe_or_missing_challenge_is_never_echoed() {
    let long = "9".repeat(129);
    for challenge in [
        "%3Cscript%3E",
        "a%0D%0ASet-Cookie:x",
        "",
        long.as_str(),
        "caf%C3%A9",
    ] {
        let uri = format!(
            "/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me-123&hub.challenge={challenge}"
        );
        let answer = send(whatsapp(secrets()), get(&uri)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{challenge}");
        assert_eq!(
            answer.rejection.unwrap().code(),
            "webhook-handshake-invalid"
        );
    }
    let answer = send(
        whatsapp(secrets()),
        get("/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me-123"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_malformed_handshake_is_refused_with_400() {
    for query in [
        "hub.mode=unsubscribe&hub.verify_token=verify-me-123&hub.challenge=42",
        "hub.mode=subscribe&hub.challenge=42",
        "hub.mode=subscribe&hub.mode=subscribe&hub.verify_token=verify-me-123&hub.challenge=42",
        "hub.mode=subscribe&hub.verify_token=verify-me-123&hub.verify_token=x&hub.challenge=42",
    ] {
        let answer = send(whatsapp(secrets()), get(&format!("/whatsapp?{query}"))).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
    }
}

#[tokio::test]
async fn a_get_that_is_not_a_handshake_needs_a_signature() {
    let answer = send(whatsapp(secrets()), get("/whatsapp?status=1")).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let layer = WebhookSignatureLayer::new(SignatureScheme::whatsapp(), secrets());
    let answer = send(
        layer,
        get("/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me-123&hub.challenge=42"),
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::UNAUTHORIZED,
        "a layer without a handshake answers none"
    );
}

#[tokio::test]
async fn the_body_can_be_handed_on_as_an_axum_body() {
    use axum::Router;
    use axum::routing::post as route_post;

    let layer = whatsapp(secrets()).forward_body::<axum::body::Body>();
    let app = Router::new()
        .route("/whatsapp", route_post(|body: Bytes| async move { body }))
        .layer(layer);
    let request = Request::post("/whatsapp")
        .header("x-hub-signature-256", format!("sha256={SIG_CURRENT}"))
        .body(axum::body::Body::from(BODY))
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        &response.into_body().collect().await.unwrap().to_bytes()[..],
        BODY
    );
}
