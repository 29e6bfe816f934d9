//! The API-key layer and the webhook signature layer beside a bare
//! service, and a raw HMAC-SHA256 of the same 2 KiB body as the reference.
//!
//! `cargo bench -p rimguard-secrets --bench layers -- --warm-up-time 1 --measurement-time 3`
//!
//! Every service answers at once, so each future is polled once with a
//! no-op waker: the figures are the layers' own cost, request building
//! included equally in the bare and the layered runs.

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
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
        Poll::Pending => panic!("every service in these benches answers at once"),
    }
}

fn api_key(c: &mut Criterion) {
    let key = |id: &str, value: &str| {
        ApiKey::new(id, &SecretString::from(value), SystemTime::now())
            .unwrap()
            .with_scopes(Scopes::READ_WRITE)
    };
    let slots = KeySlots::new(key("new", KEY))
        .with_secondary(key("old", "rg_live_old_0123456789abcdefghij"));
    let bearer = format!("Bearer {KEY}");
    let request = || {
        Request::get("/orders")
            .header("authorization", &bearer)
            .body(())
            .unwrap()
    };
    let bare = service_fn(|_: Request<()>| async { Ok::<_, Infallible>(Response::new(())) });
    let mut layered = ApiKeyLayer::new(ApiKeys::from_slots(slots)).layer(bare);
    let mut bare = bare;

    let mut group = c.benchmark_group("api_key");
    group.bench_function("bare service", |b| {
        b.iter(|| now(bare.call(black_box(request()))))
    });
    group.bench_function("ApiKeyLayer, two keys, valid bearer", |b| {
        b.iter(|| {
            let response = now(layered.call(black_box(request()))).unwrap();
            assert_eq!(response.status(), 200);
        })
    });
    group.finish();
}

fn signature(c: &mut Criterion) {
    let body = Bytes::from(vec![b'x'; 2048]);
    let header = SignatureScheme::whatsapp().header_value(APP_SECRET, &body);
    let request = || {
        Request::post("/whatsapp")
            .header("x-hub-signature-256", &header)
            .body(Full::new(body.clone()))
            .unwrap()
    };
    let bare =
        service_fn(|_: Request<Full<Bytes>>| async { Ok::<_, Infallible>(Response::new(())) });
    let secrets = SigningSecrets::new(SecretBytes::from(APP_SECRET.to_vec()))
        .with_previous(SecretBytes::from(b"previous-app-secret".to_vec()));
    let layer = WebhookSignatureLayer::whatsapp(secrets, SecretString::from("verify-token"));
    let mut layered = layer.layer(bare);
    let mut bare = bare;

    let mut group = c.benchmark_group("signature_2KiB");
    group.bench_function("bare service", |b| {
        b.iter(|| now(bare.call(black_box(request()))))
    });
    group.bench_function("WebhookSignatureLayer (WhatsApp), valid signature", |b| {
        b.iter(|| {
            let response = now(layered.call(black_box(request()))).unwrap();
            assert_eq!(response.status(), 200);
        })
    });
    group.bench_function("raw HMAC-SHA256 of 2 KiB", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha256>::new_from_slice(black_box(APP_SECRET)).unwrap();
            mac.update(black_box(&body));
            mac.finalize().into_bytes()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = api_key, signature
}
criterion_main!(benches);
