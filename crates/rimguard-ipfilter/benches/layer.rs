//! The whole layer beside a bare service, and beside the lookup alone.
//!
//! `cargo bench -p rimguard-ipfilter --bench layer`

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::net::IpAddr;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use http::{Request, Response};
use rimguard_core::ClientIp;
use rimguard_ipfilter::{IpFilterLayer, IpList, SharedIpList};
use tower::{Service, service_fn};
use tower_layer::Layer;

mod common;
use common::{Rng, ThreadCpuTime, compile, hits, misses, v4_ranges};

type Body = http_body_util::Empty<bytes::Bytes>;

fn request(addr: IpAddr) -> Request<Body> {
    let mut request = Request::new(Body::new());
    request.extensions_mut().insert(ClientIp::from_peer(addr));
    request
}

/// Calls `service` and polls its future once: every service here answers
/// without waiting.
fn call<S, B>(service: &mut S, request: Request<Body>) -> Response<B>
where
    S: Service<Request<Body>, Response = Response<B>, Error = Infallible>,
{
    let mut cx = Context::from_waker(Waker::noop());
    let future = pin!(service.call(request));
    match future.poll(&mut cx) {
        Poll::Ready(Ok(response)) => response,
        Poll::Ready(Err(never)) => match never {},
        Poll::Pending => panic!("the bench services answer at once"),
    }
}

fn bare() -> impl Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone {
    service_fn(|_request: Request<Body>| async { Ok::<_, Infallible>(Response::new(Body::new())) })
}

fn layer(c: &mut Criterion<ThreadCpuTime>) {
    let mut rng = Rng::new(0x5eed_1a7e);
    let mut group = c.benchmark_group("layer");
    group.sampling_mode(SamplingMode::Flat);

    let probe = "203.0.113.10".parse().unwrap();
    let mut service = bare();
    group.bench_function("bare", |b| {
        b.iter(|| call(&mut service, request(black_box(probe))))
    });

    for size in [10, 100_000] {
        let entries = v4_ranges(size, &mut rng);
        let list: IpList = compile(&entries);
        let allowed = hits(&entries, 64, &mut rng)
            .into_iter()
            .find(|&addr| list.check(addr).is_allowed())
            .expect("most generated ranges are allow ranges");
        let refused = misses(&list, true, 1, &mut rng)[0];

        group.bench_function(BenchmarkId::new("lookup-only", size), |b| {
            b.iter(|| list.check(black_box(allowed)))
        });
        let shared = SharedIpList::new(list);
        group.bench_function(BenchmarkId::new("lookup-through-arc-swap", size), |b| {
            b.iter(|| shared.load().check(black_box(allowed)))
        });
        group.bench_function(BenchmarkId::new("extension-get", size), |b| {
            let request = request(allowed);
            b.iter(|| {
                black_box(&request)
                    .extensions()
                    .get::<ClientIp>()
                    .map(ClientIp::addr)
            })
        });
        let mut filtered = IpFilterLayer::new(shared).layer(bare());
        group.bench_function(BenchmarkId::new("ipfilter-allowed", size), |b| {
            b.iter(|| call(&mut filtered, request(black_box(allowed))))
        });
        group.bench_function(BenchmarkId::new("ipfilter-refused", size), |b| {
            b.iter(|| call(&mut filtered, request(black_box(refused))))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = layer
}
criterion_main!(benches);
