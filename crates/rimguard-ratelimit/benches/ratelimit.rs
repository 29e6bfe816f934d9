//! Cost per request of the rate limit layer beside a bare service and
//! tower_governor's layer, at 1, 10 000 and 1 000 000 live keys, and of
//! the Redis backend on loopback; and bytes per live key of each.
//!
//! ```text
//! cargo bench -p rimguard-ratelimit --bench ratelimit -- --warm-up-time 1 --measurement-time 3
//! ```

use std::convert::Infallible;
use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use http::{Request, Response};
use rimguard_ratelimit::{ClientIpKey, Quota, RateLimitLayer, RedisBackend};
use tower::{Layer, Service, service_fn};
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;

mod common;

use common::{bare, request, run};

/// Resident memory of this process in bytes (Linux), to measure bytes per key.
fn resident() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

const SIZES: [u32; 3] = [1, 10_000, 1_000_000];

fn call<S, B>(service: &mut S, i: u32) -> Response<B>
where
    S: Service<Request<Body>, Response = Response<B>, Error = Infallible>,
{
    run(service.call(request(i))).expect("infallible")
}

fn generous() -> Quota {
    Quota::per_second(NonZeroU32::new(1_000_000_000).expect("not zero"))
}

fn in_memory(c: &mut Criterion) {
    let mut group = c.benchmark_group("in_memory");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    for keys in SIZES {
        let mut cycle = cycler(keys);
        let mut service = service_fn(bare);
        group.bench_with_input(BenchmarkId::new("bare", keys), &keys, |b, _| {
            b.iter(|| black_box(call(&mut service, cycle())))
        });

        let mut cycle = cycler(keys);
        let mut state = None;
        group.bench_with_input(BenchmarkId::new("rimguard", keys), &keys, |b, _| {
            let (_, service) = state.get_or_insert_with(|| rimguard(keys));
            b.iter(|| black_box(call(service, cycle())))
        });
        drop(state);

        let mut cycle = cycler(keys);
        let mut state = None;
        group.bench_with_input(BenchmarkId::new("tower_governor", keys), &keys, |b, _| {
            let service = state.get_or_insert_with(|| tower_governor(keys));
            b.iter(|| black_box(call(service, cycle())))
        });
    }
    group.finish();
}

fn cycler(keys: u32) -> impl FnMut() -> u32 {
    let mut next = 0u32;
    move || {
        next = if next + 1 >= keys { 0 } else { next + 1 };
        next
    }
}

/// rimguard's layer with `keys` live keys, its table sized 1.5 times that
/// so that two-choice buckets do not overflow.
fn rimguard(
    keys: u32,
) -> (
    RateLimitLayer,
    impl Service<
        Request<Body>,
        Response = Response<rimguard_core::ResponseBody<Body>>,
        Error = Infallible,
    >,
) {
    let before = resident();
    let layer = RateLimitLayer::builder(ClientIpKey::new())
        .quota(generous())
        .max_keys((keys as usize * 3 / 2).max(64))
        .build()
        .expect("a valid bench limiter");
    let mut service = layer.layer(service_fn(bare));
    (0..keys).for_each(|i| drop(call(&mut service, i)));
    let stats = layer.stats();
    report(
        "rimguard (resident)",
        keys,
        resident().saturating_sub(before),
        stats.keys,
    );
    report(
        "rimguard (table accounting)",
        keys,
        stats.table_bytes as usize,
        stats.keys,
    );
    eprintln!(
        "memory: rimguard table: {} bytes for {} slots",
        stats.table_bytes, stats.max_keys
    );
    (layer, service)
}

fn tower_governor(
    keys: u32,
) -> impl Service<Request<Body>, Response = Response<Body>, Error = Infallible> {
    let before = resident();
    let config = GovernorConfigBuilder::default()
        .per_nanosecond(1)
        .burst_size(1_000_000_000)
        .finish()
        .expect("a valid tower_governor config");
    let mut service = GovernorLayer::new(Arc::new(config)).layer(service_fn(bare));
    (0..keys).for_each(|i| drop(call(&mut service, i)));
    report(
        "tower_governor (resident)",
        keys,
        resident().saturating_sub(before),
        u64::from(keys),
    );
    service
}

/// Interleaved rounds, printed: the machine is shared and its load drifts
/// between criterion's groups, so each round times the three contenders
/// back to back and the medians of the per-round differences are reported.
fn paired(_: &mut Criterion) {
    const ROUNDS: usize = 15;
    const CALLS: u32 = 50_000;
    if filter().is_some_and(|filter| !"paired".contains(filter.as_str())) {
        return;
    }

    for keys in SIZES {
        let mut bare_service = service_fn(bare);
        let (_layer, mut ours) = rimguard(keys);
        let mut theirs = tower_governor(keys);
        let (mut ours_added, mut theirs_added) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let base = (round as u32).wrapping_mul(CALLS) % keys;
            let time = |f: &mut dyn FnMut(u32)| {
                let start = std::time::Instant::now();
                (0..CALLS).for_each(|i| f((base + i) % keys));
                start.elapsed().as_nanos() as f64 / f64::from(CALLS)
            };
            let bare_ns = time(&mut |i| drop(black_box(call(&mut bare_service, i))));
            let ours_ns = time(&mut |i| drop(black_box(call(&mut ours, i))));
            let theirs_ns = time(&mut |i| drop(black_box(call(&mut theirs, i))));
            ours_added.push(ours_ns - bare_ns);
            theirs_added.push(theirs_ns - bare_ns);
        }
        let (ours, theirs) = (median(&mut ours_added), median(&mut theirs_added));
        eprintln!(
            "paired: {keys} keys: added per request: rimguard {ours:.0} ns, tower_governor {theirs:.0} ns, ratio {:.2}",
            ours / theirs
        );
    }
}

/// The benchmark name filter criterion was given, if any.
fn filter() -> Option<String> {
    let takes_value = [
        "--warm-up-time",
        "--measurement-time",
        "--sample-size",
        "--save-baseline",
        "--baseline",
    ];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if takes_value.contains(&arg.as_str()) {
            args.next();
        } else if !arg.starts_with('-') {
            return Some(arg);
        }
    }
    None
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn report(name: &str, keys: u32, bytes: usize, live: u64) {
    eprintln!(
        "memory: {name} with {keys} keys: {live} live, {bytes} resident bytes, {:.1} bytes per live key",
        bytes as f64 / live.max(1) as f64
    );
}

fn redis(c: &mut Criterion) {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let reachable = runtime.block_on(async {
        let Ok(client) = redis::Client::open(url.as_str()) else {
            return false;
        };
        let connect = client.get_multiplexed_async_connection();
        matches!(
            tokio::time::timeout(Duration::from_secs(1), connect).await,
            Ok(Ok(_))
        )
    });
    if !reachable {
        eprintln!("redis: skipped, no Redis at {url}");
        return;
    }

    let mut group = c.benchmark_group("redis_loopback");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    let mut service = service_fn(bare);
    group.bench_function("bare", |b| {
        b.iter(|| {
            runtime
                .block_on(service.call(request(1)))
                .expect("infallible")
        })
    });

    let backend = RedisBackend::new(&url)
        .expect("a Redis URL")
        .key_prefix("rimguard:bench");
    let layer = RateLimitLayer::builder(ClientIpKey::new())
        .quota(generous())
        .redis(backend.timeout(Duration::from_secs(1)))
        .build()
        .expect("a valid bench limiter");
    let mut service = layer.layer(service_fn(bare));
    group.bench_function("rimguard_redis", |b| {
        b.iter(|| {
            runtime
                .block_on(service.call(request(1)))
                .expect("infallible")
        })
    });
    group.finish();
    let stats = layer.stats();
    eprintln!(
        "redis: {} allowed, {} fallbacks",
        stats.allowed, stats.backend_fallbacks
    );
}

criterion_group!(benches, paired, in_memory, redis);
criterion_main!(benches);
