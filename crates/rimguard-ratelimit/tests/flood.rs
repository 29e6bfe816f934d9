//! A flood of a million distinct keys stays within the key bound, and its
//! memory stays flat once the bound is reached.
//!
//! Memory is reported two ways: the table's own byte accounting (exact:
//! the slots it allocated) and the process's resident set (`VmRSS`, and
//! the peak `VmHWM`, from `/proc/self/status` on Linux). Run with
//! `--nocapture` to see the report. The clock stands still, so every
//! attacker key stays live and each one past the bound evicts another.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Empty;
use rimguard_core::ClientIp;
use rimguard_ratelimit::{ClientIpKey, FakeClock, Quota, RateLimitLayer};
use tower::{Layer, Service, service_fn};

const FLOOD: u64 = 1_000_000;
const MAX_KEYS: usize = 100_000;

fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One fresh /64 per request: the IPv6 flood an attacker can afford.
fn attacker(i: u64) -> IpAddr {
    IpAddr::V6(Ipv6Addr::from(
        (0x2001_0db8_u128 << 96) | (u128::from(i) << 64) | 1,
    ))
}

#[test]
fn a_million_new_keys_stay_within_the_bound_in_flat_memory() {
    let layer = RateLimitLayer::builder(ClientIpKey::new())
        .quota(Quota::per_minute(NonZeroU32::new(10).unwrap()))
        .max_keys(MAX_KEYS)
        .sweep_every(None)
        .clock(FakeClock::new())
        .build()
        .unwrap();
    let mut service = layer.layer(service_fn(|_: Request<Empty<Bytes>>| async {
        Ok::<_, Infallible>(Response::new(Empty::<Bytes>::new()))
    }));
    let mut waker_cx = std::task::Context::from_waker(std::task::Waker::noop());

    let table_bytes = layer.stats().table_bytes;
    let mut resident_at_bound = None;
    for i in 0..FLOOD {
        let mut request = Request::new(Empty::new());
        request
            .extensions_mut()
            .insert(ClientIp::from_peer(attacker(i)));
        let mut future = std::pin::pin!(service.call(request));
        let response = match future.as_mut().poll(&mut waker_cx) {
            std::task::Poll::Ready(response) => response.unwrap(),
            std::task::Poll::Pending => unreachable!("the in-memory limiter never waits"),
        };
        assert_eq!(response.status(), 200, "every attacker key is new");

        if i + 1 == MAX_KEYS as u64 * 2 {
            resident_at_bound = proc_status_kib("VmRSS:");
        }
        if i % 100_000 == 0 {
            let stats = layer.stats();
            assert!(
                stats.keys <= stats.max_keys,
                "{} keys over a bound of {}",
                stats.keys,
                stats.max_keys
            );
            assert_eq!(stats.table_bytes, table_bytes);
        }
    }

    let stats = layer.stats();
    assert!(stats.max_keys <= MAX_KEYS as u64);
    assert_eq!(stats.keys, stats.max_keys, "the flood filled the table");
    assert_eq!(
        stats.evicted,
        FLOOD - stats.max_keys,
        "every key past the bound evicted one"
    );
    assert_eq!(stats.table_bytes, table_bytes);

    let resident_end = proc_status_kib("VmRSS:");
    let peak = proc_status_kib("VmHWM:");
    println!(
        "flood: {FLOOD} keys, bound {} keys, table {} bytes ({:.1} bytes per key), \
         RSS at 2x bound {resident_at_bound:?} KiB, RSS at end {resident_end:?} KiB, peak RSS {peak:?} KiB",
        stats.max_keys,
        stats.table_bytes,
        stats.table_bytes as f64 / stats.max_keys as f64,
    );
    if let (Some(at_bound), Some(end)) = (resident_at_bound, resident_end) {
        assert!(
            end <= at_bound + 4096,
            "resident memory grew by {} KiB after the bound",
            end - at_bound
        );
    }
}
