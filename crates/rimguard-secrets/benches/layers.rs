//! The API-key layer and the webhook signature layer beside a bare
//! service, and a raw HMAC-SHA256 of the same 2 KiB body as the reference.
//!
//! `cargo bench -p rimguard-secrets --bench layers -- --warm-up-time 1 --measurement-time 3`
//!
//! Every service answers at once, so each future is polled once with a
//! no-op waker: the figures are the layers' own cost, request building
//! included equally in the bare and the layered runs.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use tower::{Layer, Service};

mod common;

use common::{
    api_key_layer, authorized, bare, body, now, raw_hmac, signature_of, signed, webhook_layer,
};

fn api_key(c: &mut Criterion) {
    let mut layered = api_key_layer().layer(bare());
    let mut bare = bare();

    let mut group = c.benchmark_group("api_key");
    group.bench_function("bare service", |b| {
        b.iter(|| now(bare.call(black_box(authorized()))))
    });
    group.bench_function("ApiKeyLayer, two keys, valid bearer", |b| {
        b.iter(|| {
            let response = now(layered.call(black_box(authorized()))).unwrap();
            assert_eq!(response.status(), 200);
        })
    });
    group.finish();
}

fn signature(c: &mut Criterion) {
    let body = body();
    let header = signature_of(&body);
    let request = || signed(&body, &header);
    let mut layered = webhook_layer().layer(bare());
    let mut bare = bare();

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
    group.bench_function("raw HMAC-SHA256 of 2 KiB", |b| b.iter(|| raw_hmac(&body)));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = api_key, signature
}
criterion_main!(benches);
