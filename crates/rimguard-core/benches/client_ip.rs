//! Client IP resolution: the pure resolver and the whole layer, beside a
//! bare service and a naive split-and-parse baseline, in one run.
//!
//! ```text
//! cargo bench -p rimguard-core --bench client_ip -- --warm-up-time 1 --measurement-time 3
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::net::{IpAddr, SocketAddr};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, Request, Response};
use ipnet::IpNet;
use rimguard_core::ClientIp;
use rimguard_core::client_ip::{ClientIpLayer, ClientIpResolver, FailurePolicy, Strategy};
use tower::{Layer, Service, service_fn};

/// Client, then four proxies; the socket peer is the fifth.
const FIVE_HOPS: &str = "203.0.113.9, 10.0.0.4, 10.0.0.3, 172.16.0.2, 10.0.0.2";
const PEER: [u8; 4] = [10, 0, 0, 1];

fn trusted() -> Vec<IpNet> {
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128"]
        .iter()
        .map(|r| r.parse().unwrap())
        .collect()
}

fn xff_layer() -> ClientIpLayer {
    ClientIpLayer::builder(Strategy::rightmost_x_forwarded_for())
        .trusted_proxies(trusted())
        .on_failure(FailurePolicy::Reject)
        .build()
        .unwrap()
}

fn five_hop_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("x-forwarded-for", HeaderValue::from_static(FIVE_HOPS));
    headers
}

fn request(headers: &HeaderMap) -> Request<()> {
    let mut request = Request::new(());
    *request.headers_mut() = headers.clone();
    request
        .extensions_mut()
        .insert(SocketAddr::from((PEER, 40000)));
    request
}

/// Polls a future that is ready at once (every service here is).
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("the benched services answer without waiting"),
    }
}

/// The naive way: split on commas, parse every entry, then walk from the
/// right with `IpNet::contains`. Allocates a `Vec`.
fn naive_split_parse(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let value = headers.get("x-forwarded-for")?.to_str().ok()?;
    value
        .split(',')
        .map(|entry| entry.trim().parse().ok())
        .collect()
}

fn naive_rightmost(headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let entries = naive_split_parse(headers)?;
    entries
        .into_iter()
        .rev()
        .find(|addr| !trusted.iter().any(|net| net.contains(addr)))
}

fn resolution(c: &mut Criterion) {
    let peer = Some(IpAddr::from(PEER));
    let outsider = Some(IpAddr::from([198, 51, 100, 20]));
    let headers = five_hop_headers();
    let peer_only = ClientIpResolver::peer_only();
    let xff = xff_layer();
    let trusted = trusted();

    let mut group = c.benchmark_group("client_ip/resolve");
    group.bench_function("peer-only", |b| {
        b.iter(|| peer_only.resolve(black_box(outsider), black_box(&headers)))
    });
    group.bench_function("xff-5-hops", |b| {
        b.iter(|| xff.resolver().resolve(black_box(peer), black_box(&headers)))
    });
    group.bench_function("xff-untrusted-peer", |b| {
        b.iter(|| {
            xff.resolver()
                .resolve(black_box(outsider), black_box(&headers))
        })
    });
    let from_request = request(&headers);
    group.bench_function("peer-only-from-request-extensions", |b| {
        b.iter(|| peer_only.resolve_request(black_box(&from_request)))
    });
    group.bench_function("naive-split-parse-5", |b| {
        b.iter(|| naive_split_parse(black_box(&headers)))
    });
    group.bench_function("naive-rightmost-5", |b| {
        b.iter(|| naive_rightmost(black_box(&headers), &trusted))
    });
    group.finish();
}

fn whole_layer(c: &mut Criterion) {
    let headers = five_hop_headers();
    let inner = || {
        service_fn(
            |request: Request<()>| async move { Ok::<_, Infallible>(Response::new(request)) },
        )
    };
    let mut bare = inner();
    let mut peer_only = ClientIpLayer::peer_only().layer(inner());
    let mut xff = xff_layer().layer(inner());

    let mut group = c.benchmark_group("client_ip/layer");
    group.bench_function("bare-service", |b| {
        b.iter_batched(
            || request(&headers),
            |r| ready(bare.call(r)),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("peer-only", |b| {
        b.iter_batched(
            || request(&headers),
            |r| ready(peer_only.call(r)),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("xff-5-hops", |b| {
        b.iter_batched(
            || request(&headers),
            |r| ready(xff.call(r)),
            BatchSize::SmallInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("client_ip/extension");
    group.bench_function("insert-client-ip", |b| {
        let ip = ClientIp::from_peer(IpAddr::from(PEER));
        let insert = |mut request: Request<()>| {
            request.extensions_mut().insert(ip.clone());
            request
        };
        b.iter_batched(|| request(&headers), insert, BatchSize::SmallInput)
    });
    group.finish();
}

criterion_group!(benches, resolution, whole_layer);
criterion_main!(benches);
