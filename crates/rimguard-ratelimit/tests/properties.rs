//! GCRA properties over random arrivals, on a fake clock.

use std::convert::Infallible;
use std::num::NonZeroU32;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Empty;
use proptest::prelude::*;
use rimguard_ratelimit::{FakeClock, GlobalKey, Quota, RateLimitLayer};
use tower::{Layer, Service, service_fn};

/// Sends one request per gap (in ms) and returns the times (ms) of the allowed ones.
fn allowed_times(count: u32, window_ms: u64, burst: u32, gaps: &[u64]) -> Vec<u64> {
    let clock = FakeClock::new();
    let quota = Quota::new(
        NonZeroU32::new(count).unwrap(),
        Duration::from_millis(window_ms),
    )
    .unwrap()
    .with_burst(NonZeroU32::new(burst).unwrap());
    let layer = RateLimitLayer::builder(GlobalKey)
        .quota(quota)
        .clock(clock.clone())
        .sweep_every(None)
        .build()
        .unwrap();
    let mut service = layer.layer(service_fn(|_: Request<Empty<Bytes>>| async {
        Ok::<_, Infallible>(Response::new(Empty::<Bytes>::new()))
    }));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());

    let mut now = 0;
    let mut allowed = Vec::new();
    for &gap in gaps {
        clock.advance(Duration::from_millis(gap));
        now += gap;
        let mut future = std::pin::pin!(service.call(Request::new(Empty::new())));
        let std::task::Poll::Ready(Ok(response)) = future.as_mut().poll(&mut cx) else {
            unreachable!("the in-memory limiter answers at once")
        };
        if response.status() == 200 {
            allowed.push(now);
        }
    }
    allowed
}

proptest! {
    #[test]
    fn no_span_ever_holds_more_than_the_burst_plus_the_rate(
        count in 1u32..50,
        window_ms in 100u64..5_000,
        burst in 1u32..20,
        gaps in proptest::collection::vec(0u64..200, 1..300),
    ) {
        let interval = window_ms as f64 / count as f64;
        let times = allowed_times(count, window_ms, burst, &gaps);
        for (i, &start) in times.iter().enumerate() {
            for (j, &end) in times.iter().enumerate().skip(i) {
                let bound = burst as f64 + (end - start) as f64 / interval;
                prop_assert!((j - i + 1) as f64 <= bound + 1e-9, "{} allowed in {} ms", j - i + 1, end - start);
            }
        }
    }

    #[test]
    fn a_client_spaced_by_the_emission_interval_is_never_refused(
        count in 1u32..50,
        burst in 1u32..20,
        n in 1usize..200,
    ) {
        let window_ms = u64::from(count) * 10;
        let times = allowed_times(count, window_ms, burst, &vec![10; n]);
        prop_assert_eq!(times.len(), n);
    }
}
