//! Threads racing on the same keys: the lock-free path for keys already in
//! the table loses no update and lets no request through twice, also while
//! the sweeper empties slots and the clock moves.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use http::{Request, Response, StatusCode};
use rimguard_core::ClientIp;
use rimguard_ratelimit::{ClientIpKey, FakeClock, Quota, RateLimitLayer};
use tower::{Layer, Service, service_fn};

const THREADS: usize = 4;

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

async fn ok(_: Request<()>) -> Result<Response<()>, Infallible> {
    Ok(Response::new(()))
}

/// Sends one request from client `client` and returns its status; the
/// services here answer without waiting.
fn send(
    service: &mut impl Service<Request<()>, Response = Response<impl Sized>, Error = Infallible>,
    client: u8,
) -> StatusCode {
    let mut request = Request::new(());
    let addr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, client));
    request.extensions_mut().insert(ClientIp::from_peer(addr));
    let mut future = pin!(service.call(request));
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(Ok(response)) => response.status(),
        Poll::Ready(Err(never)) => match never {},
        Poll::Pending => panic!("the limiter in memory never waits"),
    }
}

#[test]
fn threads_racing_on_one_key_get_exactly_its_burst_between_them() {
    let clock = FakeClock::new();
    let layer = RateLimitLayer::builder(ClientIpKey::new())
        .quota(Quota::per_second(nz(100)))
        .clock(clock)
        .sweep_every(None)
        .build()
        .unwrap();

    let allowed: usize = thread::scope(|scope| {
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let mut service = layer.layer(service_fn(ok));
                scope.spawn(move || {
                    (0..500)
                        .filter(|_| send(&mut service, 1) == StatusCode::OK)
                        .count()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).sum()
    });

    assert_eq!(allowed, 100, "the clock never moved: the burst and no more");
    let stats = layer.stats();
    assert_eq!(stats.allowed, 100);
    assert_eq!(stats.limited, THREADS as u64 * 500 - 100);
}

#[test]
fn no_key_gets_more_than_its_quota_while_the_sweeper_and_the_clock_run() {
    const KEYS: u8 = 16;
    const STEPS: u32 = 40;
    let clock = FakeClock::new();
    // 10 per second, burst 1: one request every 100 ms, and a key is stale
    // (the sweeper empties it) the moment its next request would pass, so
    // sweeps race with the updates that make keys live again.
    let layer = RateLimitLayer::builder(ClientIpKey::new())
        .quota(Quota::per_second(nz(10)).with_burst(nz(1)))
        .clock(clock.clone())
        .sweep_every(None)
        .build()
        .unwrap();
    let running = AtomicBool::new(true);

    let per_key: Vec<usize> = thread::scope(|scope| {
        let sweeper = scope.spawn(|| {
            for _ in 0..STEPS {
                thread::sleep(Duration::from_millis(1));
                clock.advance(Duration::from_millis(25));
                layer.sweep();
            }
            running.store(false, Ordering::SeqCst);
        });
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let mut service = layer.layer(service_fn(ok));
                let running = &running;
                scope.spawn(move || {
                    let mut allowed = vec![0usize; usize::from(KEYS)];
                    while running.load(Ordering::SeqCst) {
                        for key in 0..KEYS {
                            if send(&mut service, key) == StatusCode::OK {
                                allowed[usize::from(key)] += 1;
                            }
                        }
                    }
                    allowed
                })
            })
            .collect();
        sweeper.join().unwrap();
        let counts: Vec<Vec<usize>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        (0..usize::from(KEYS))
            .map(|k| counts.iter().map(|c| c[k]).sum())
            .collect()
    });

    // Over the 100 ms the clock moved, GCRA allows the burst plus one.
    for (key, &allowed) in per_key.iter().enumerate() {
        assert!(allowed <= 11, "key {key}: {allowed} allowed");
        assert!(
            allowed >= 10,
            "key {key}: {allowed} allowed, not even its burst"
        );
    }
    assert_eq!(layer.stats().allowed, per_key.iter().sum::<usize>() as u64);
}
