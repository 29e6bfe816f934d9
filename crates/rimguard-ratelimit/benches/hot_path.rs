//! A fixed number of calls through one contender, for instruction counts
//! under valgrind (load-independent, unlike wall-clock time). Run the
//! binary twice with different `CALLS` and divide the difference in
//! instructions by the difference in calls:
//!
//! ```text
//! cargo bench -p rimguard-ratelimit --bench hot_path --no-run
//! CONTENDER=rimguard KEYS=1 CALLS=100000 valgrind --tool=callgrind target/release/deps/hot_path-…
//! ```
//!
//! `CONTENDER` is `bare`, `rimguard`, `tower_governor` or `rewrap` (the
//! bare service with its body wrapped in `ResponseBody`, as every rimguard
//! layer must: the floor of any rimguard layer's cost); `KEYS` the number
//! of live keys cycled through (prefilled before the timed calls).

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use http::{Request, Response};
use rimguard_ratelimit::{ClientIpKey, Quota, RateLimitLayer};
use tower::{Layer, Service, service_fn};
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;

mod common;

use common::{bare, request, run};

fn drive<S, B>(mut service: S, keys: u32, calls: u32)
where
    S: Service<Request<Body>, Response = Response<B>, Error = Infallible>,
{
    for i in 0..keys {
        drop(run(service.call(request(i))));
    }
    for i in 0..calls {
        let response = run(service.call(request(i % keys))).expect("infallible");
        drop(black_box(response));
    }
}

/// Wall-clock rounds, the contenders back to back in each round; prints
/// the median added nanoseconds per call of each over the bare service.
fn paired(keys: u32, calls: u32) {
    let limiter = RateLimitLayer::builder(ClientIpKey::new())
        .quota(Quota::per_second(
            NonZeroU32::new(1_000_000_000).expect("not zero"),
        ))
        .max_keys((keys as usize * 3 / 2).max(64))
        .sweep_every(None)
        .build()
        .expect("a valid bench limiter");
    let config = GovernorConfigBuilder::default()
        .per_nanosecond(1)
        .burst_size(1_000_000_000)
        .finish()
        .expect("a valid tower_governor config");
    let mut bare_service = service_fn(bare);
    let mut rewrap = Rewrap(service_fn(bare));
    let mut ours = limiter.layer(service_fn(bare));
    let mut theirs = GovernorLayer::new(Arc::new(config)).layer(service_fn(bare));
    for i in 0..keys {
        drop(run(ours.call(request(i))));
        drop(run(theirs.call(request(i))));
    }
    fn time<S, B>(service: &mut S, keys: u32, calls: u32) -> f64
    where
        S: Service<Request<Body>, Response = Response<B>, Error = Infallible>,
    {
        let start = std::time::Instant::now();
        for i in 0..calls {
            drop(black_box(run(service.call(request(i % keys)))));
        }
        start.elapsed().as_nanos() as f64 / f64::from(calls)
    }
    let mut added = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..21 {
        let base = time(&mut bare_service, keys, calls);
        added[0].push(time(&mut rewrap, keys, calls) - base);
        added[1].push(time(&mut ours, keys, calls) - base);
        added[2].push(time(&mut theirs, keys, calls) - base);
    }
    let [rewrap, ours, theirs] = added.map(|mut v| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    });
    println!(
        "{keys} keys, added ns per call: rewrap {rewrap:.1}, rimguard {ours:.1}, tower_governor {theirs:.1}, ratio {:.2}",
        ours / theirs
    );
}

/// A layer that does nothing but wrap the inner body in `ResponseBody`.
#[derive(Clone)]
struct Rewrap<S>(S);

impl<S, B> Service<Request<Body>> for Rewrap<S>
where
    S: Service<Request<Body>, Response = Response<B>>,
{
    type Response = Response<rimguard_core::ResponseBody<B>>;
    type Error = S::Error;
    type Future = RewrapFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        RewrapFuture {
            inner: self.0.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    struct RewrapFuture<F> {
        #[pin]
        inner: F,
    }
}

impl<F, B, E> Future for RewrapFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<rimguard_core::ResponseBody<B>>, E>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let response = std::task::ready!(self.project().inner.poll(cx))?;
        Poll::Ready(Ok(response.map(rimguard_core::ResponseBody::inner)))
    }
}

fn env(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let contender = std::env::var("CONTENDER").unwrap_or_else(|_| "rimguard".to_owned());
    let keys = env("KEYS", 1).max(1);
    let calls = env("CALLS", 100_000);
    match contender.as_str() {
        "bare" => drive(service_fn(bare), keys, calls),
        "rimguard" => {
            let layer = RateLimitLayer::builder(ClientIpKey::new())
                .quota(Quota::per_second(
                    NonZeroU32::new(1_000_000_000).expect("not zero"),
                ))
                .max_keys((keys as usize * 3 / 2).max(64))
                .sweep_every(None)
                .build()
                .expect("a valid bench limiter");
            drive(layer.layer(service_fn(bare)), keys, calls);
            assert_eq!(layer.stats().limited, 0, "every request passes");
        }
        "rewrap" => drive(Rewrap(service_fn(bare)), keys, calls),
        "tower_governor" => {
            let config = GovernorConfigBuilder::default()
                .per_nanosecond(1)
                .burst_size(1_000_000_000)
                .finish()
                .expect("a valid tower_governor config");
            drive(
                GovernorLayer::new(Arc::new(config)).layer(service_fn(bare)),
                keys,
                calls,
            );
        }
        "paired" => paired(keys, calls),
        other => panic!("unknown CONTENDER {other}"),
    }
}
