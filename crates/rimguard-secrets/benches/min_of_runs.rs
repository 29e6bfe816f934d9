//! The same comparisons as `layers`, reported as the fastest of many short
//! runs rather than criterion's mean: on a shared, loaded machine the
//! minimum is the figure that noise does not inflate.
//!
//! `cargo bench -p rimguard-secrets --bench min_of_runs`
//!
//! Each figure is the best per-call time over 200 runs of 2000 calls.

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::{Request, Response};
use http_body_util::Full;
use rimguard_secrets::key::{ApiKey, Scopes};
use rimguard_secrets::rotation::{ApiKeys, KeySlots};
use rimguard_secrets::secret::{SecretBytes, SecretString};
use rimguard_secrets::signature::{SignatureScheme, SigningSecrets};
use rimguard_secrets::{ApiKeyLayer, WebhookSignatureLayer};
use sha2::Sha256;
use tower::{Layer, Service, service_fn};

const KEY: &str = "rg_live_ab12cd34ef56gh78ij90kl12mn34";
const APP_SECRET: &[u8] = b"whatsapp-app-secret-for-benches";

fn now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("every service here answers at once"),
    }
}

fn best_ns(mut call: impl FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..200 {
        let start = Instant::now();
        for _ in 0..2000 {
            call();
        }
        best = best.min(start.elapsed().as_nanos() as f64 / 2000.0);
    }
    best
}

fn main() {
    let body = Bytes::from(vec![b'x'; 2048]);
    let header = SignatureScheme::whatsapp().header_value(APP_SECRET, &body);
    let signed = || {
        Request::post("/whatsapp")
            .header("x-hub-signature-256", &header)
            .body(Full::new(body.clone()))
            .unwrap()
    };
    let mut bare =
        service_fn(|_: Request<Full<Bytes>>| async { Ok::<_, Infallible>(Response::new(())) });
    let secrets = SigningSecrets::new(SecretBytes::from(APP_SECRET.to_vec()));
    let mut webhook =
        WebhookSignatureLayer::whatsapp(secrets, SecretString::from("token")).layer(bare);

    let key = |id: &str, value: &str| {
        ApiKey::new(id, &SecretString::from(value), SystemTime::now())
            .unwrap()
            .with_scopes(Scopes::READ_WRITE)
    };
    let slots = KeySlots::new(key("new", KEY))
        .with_secondary(key("old", "rg_live_old_0123456789abcdefghij"));
    let bearer = format!("Bearer {KEY}");
    let authorized = || {
        Request::get("/orders")
            .header("authorization", &bearer)
            .body(())
            .unwrap()
    };
    let mut api_bare =
        service_fn(|_: Request<()>| async { Ok::<_, Infallible>(Response::new(())) });
    let mut api = ApiKeyLayer::new(ApiKeys::from_slots(slots)).layer(api_bare);

    for round in 1..=3 {
        let hmac = best_ns(|| {
            let mut mac = Hmac::<Sha256>::new_from_slice(black_box(APP_SECRET)).unwrap();
            mac.update(black_box(&body));
            black_box(mac.finalize().into_bytes());
        });
        let sig_bare = best_ns(|| drop(black_box(now(bare.call(black_box(signed()))))));
        let sig_layer = best_ns(|| drop(black_box(now(webhook.call(black_box(signed()))))));
        let api_bare_ns = best_ns(|| drop(black_box(now(api_bare.call(black_box(authorized()))))));
        let api_layer = best_ns(|| drop(black_box(now(api.call(black_box(authorized()))))));
        println!(
            "run {round}: raw HMAC-SHA256 2 KiB {hmac:.0} ns | signature layer adds {:.0} ns ({:.2}x the raw HMAC) | \
             API-key layer adds {:.0} ns",
            sig_layer - sig_bare,
            (sig_layer - sig_bare) / hmac,
            api_layer - api_bare_ns,
        );
    }
}
