//! What both secrets benches share: the key set and its request, the
//! signed 2 KiB webhook request and its layer, the bare service, a raw
//! HMAC of the body, and a poll for futures that complete at once.

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::SystemTime;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::{Request, Response};
use http_body_util::Full;
use rimguard_secrets::key::{ApiKey, Scopes};
use rimguard_secrets::rotation::{ApiKeys, KeySlots};
use rimguard_secrets::secret::{SecretBytes, SecretString};
use rimguard_secrets::signature::{SignatureScheme, SigningSecrets};
use rimguard_secrets::{ApiKeyLayer, WebhookSignatureLayer};
use tower::{Service, service_fn};

/// The presented (primary) key.
const KEY: &str = "rg_live_ab12cd34ef56gh78ij90kl12mn34";
/// Its `Authorization` header value.
const BEARER: &str = "Bearer rg_live_ab12cd34ef56gh78ij90kl12mn34";
/// The WhatsApp app secret the body is signed with.
const APP_SECRET: &[u8] = b"whatsapp-app-secret-for-benches";

/// Polls a future that completes without waiting, as every one here does.
pub(crate) fn now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("every service in these benches answers at once"),
    }
}

/// The service behind every layer: answers 200 at once.
pub(crate) fn bare<B>()
-> impl Service<Request<B>, Response = Response<()>, Error = Infallible> + Clone {
    service_fn(|_: Request<B>| async { Ok::<_, Infallible>(Response::new(())) })
}

/// An API-key layer with two keys (the presented one first).
pub(crate) fn api_key_layer() -> ApiKeyLayer {
    let key = |id: &str, value: &str| {
        ApiKey::new(id, &SecretString::from(value), SystemTime::now())
            .unwrap()
            .with_scopes(Scopes::READ_WRITE)
    };
    let slots = KeySlots::new(key("new", KEY))
        .with_secondary(key("old", "rg_live_old_0123456789abcdefghij"));
    ApiKeyLayer::new(ApiKeys::from_slots(slots))
}

/// A request with the primary key as a bearer token.
pub(crate) fn authorized() -> Request<()> {
    Request::get("/orders")
        .header("authorization", BEARER)
        .body(())
        .unwrap()
}

/// The 2 KiB webhook body.
pub(crate) fn body() -> Bytes {
    Bytes::from(vec![b'x'; 2048])
}

/// The `X-Hub-Signature-256` value of `body`.
pub(crate) fn signature_of(body: &Bytes) -> String {
    SignatureScheme::whatsapp().header_value(APP_SECRET, body)
}

/// `body`, posted with its signature.
pub(crate) fn signed(body: &Bytes, signature: &str) -> Request<Full<Bytes>> {
    Request::post("/whatsapp")
        .header("x-hub-signature-256", signature)
        .body(Full::new(body.clone()))
        .unwrap()
}

/// The WhatsApp signature layer, current and previous secret configured.
pub(crate) fn webhook_layer() -> WebhookSignatureLayer {
    let secrets = SigningSecrets::new(SecretBytes::from(APP_SECRET.to_vec()))
        .with_previous(SecretBytes::from(b"previous-app-secret".to_vec()));
    WebhookSignatureLayer::whatsapp(secrets, SecretString::from("verify-token"))
}

/// A raw HMAC-SHA256 of `body` with the app secret: the reference.
pub(crate) fn raw_hmac(body: &Bytes) -> impl Sized {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(black_box(APP_SECRET)).unwrap();
    mac.update(black_box(body));
    mac.finalize().into_bytes()
}
