//! The same comparisons as `layers`, reported as the fastest of many short
//! runs rather than criterion's mean: on a shared, loaded machine the
//! minimum is the figure that noise does not inflate.
//!
//! `cargo bench -p rimguard-secrets --bench min_of_runs`
//!
//! Each figure is the best per-call time over 200 runs of 2000 calls.

use std::hint::black_box;
use std::time::Instant;

use tower::{Layer, Service};

mod common;

use common::{
    api_key_layer, authorized, bare, body, now, raw_hmac, signature_of, signed, webhook_layer,
};

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
    let body = body();
    let header = signature_of(&body);
    let signed = || signed(&body, &header);
    let mut webhook = webhook_layer().layer(bare());
    let mut bare = bare();
    let mut api = api_key_layer().layer(common::bare());
    let mut api_bare = common::bare();

    for round in 1..=3 {
        let hmac = best_ns(|| drop(black_box(raw_hmac(&body))));
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
