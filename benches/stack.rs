//! The whole stack beside the bare service, in one run, and each layer's
//! share of the cost: every layer is added one at a time, in the stack's
//! order, on a trivial handler. Backends are in memory (the audit file is
//! a real file in a temporary folder, written by its own thread).
//!
//! ```text
//! cargo bench -p rimguard --bench stack -- --warm-up-time 1 --measurement-time 3
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::net::SocketAddr;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http::{Request, Response};
use http_body_util::Full;
use rimguard::body::Body;
use rimguard::secrets::Resolver;
use rimguard::{BuildContext, Config, Stack};
use tower::{Layer, Service, ServiceExt, service_fn};

const KEY: &str = "rg_bench_0123456789abcdef0123";

/// Each step adds one section to the configuration, in the stack's order.
const STEPS: [(&str, &str); 9] = [
    ("client-ip", "[client_ip]\nstrategy = \"peer\"\n"),
    (
        "+ audit",
        "[audit]\nfile = \"AUDIT\"\nflush = { batch = { records = 256, ms = 50 } }\n",
    ),
    ("+ https, headers", "[https]\nmode = \"off\"\n[headers]\n"),
    ("+ redact", "[redact]\n"),
    (
        "+ route, ip-filter",
        "[ip_lists.office]\nallow = [\"127.0.0.0/8\"]\n",
    ),
    (
        "+ rate-limit per ip",
        "[rate_limits.per_ip]\nkey = \"client-ip\"\npolicies = [{ name = \"b\", quota = 4000000000, window = \"1s\" }]\nmax_keys = 1000\n",
    ),
    (
        "+ api-key",
        "[api_keys.bot]\nkeys = [\"env:BENCH_KEY\"]\nscopes = [\"read\"]\n",
    ),
    (
        "+ phone",
        "[phone.lookup]\ndefault_region = \"GB\"\nsource = { query = \"phone\" }\n",
    ),
    (
        "+ rate-limit per phone (full)",
        "[rate_limits.per_phone]\nkey = \"phone\"\npolicies = [{ name = \"l\", quota = 4000000000, window = \"1s\" }]\nmax_keys = 1000\n",
    ),
];

/// The route of each step: what the sections so far let it name.
fn route(step: usize) -> String {
    let mut route = String::from("[[routes]]\nname = \"lookup\"\npath = \"/customers\"\n");
    let lines = [
        (4, "ip_list = \"office\"\n"),
        (5, "rate_limits = [\"per_ip\"]\n"),
        (6, "api_key = \"bot\"\n"),
        (7, "phone = \"lookup\"\n"),
        (8, "customer_rate_limits = [\"per_phone\"]\n"),
    ];
    for (from, line) in lines {
        if step >= from {
            route.push_str(line);
        }
    }
    route
}

fn stack(step: usize, audit: &str) -> Stack {
    let mut text: String = STEPS[..=step].iter().map(|(_, section)| *section).collect();
    if step >= 4 {
        text.push_str(&route(step));
    }
    if step < 2 {
        text.push_str("[https]\nmode = \"off\"\n");
    }
    let text = text.replace("AUDIT", audit);
    let config = Config::loader()
        .text("bench.toml", text)
        .env_vars([])
        .load()
        .unwrap();
    let resolver = Resolver::new()
        .without_keyring()
        .with_env(|n| (n == "BENCH_KEY").then(|| KEY.to_owned()));
    Stack::from_config_with(&config, &BuildContext::new().resolver(resolver)).unwrap()
}

async fn hello<B>(_req: Request<B>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"hello"))))
}

fn request() -> Request<Full<Bytes>> {
    let mut req = Request::get("/customers?phone=%2B447911123456")
        .header("authorization", format!("Bearer {KEY}"))
        .header("user-agent", "bench/1.0")
        .body(Full::default())
        .unwrap();
    req.extensions_mut()
        .insert(SocketAddr::from(([127, 0, 0, 1], 40000)));
    req
}

/// Every layer here answers without waiting, so one poll completes the call.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the stack answers without waiting in this bench"),
    }
}

fn call<S>(service: &S)
where
    S: Service<Request<Full<Bytes>>> + Clone,
    S::Response: std::fmt::Debug,
    S::Error: std::fmt::Debug,
{
    let response = ready(service.clone().oneshot(request())).unwrap();
    black_box(response);
}

fn whole_stack(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("stack");

    let bare = service_fn(hello::<Full<Bytes>>);
    group.bench_function("bare service", |b| b.iter(|| call(&bare)));

    for (i, (name, _)) in STEPS.iter().enumerate() {
        let audit = dir.path().join(format!("audit-{i}.jsonl"));
        let stack = stack(i, audit.to_str().unwrap());
        let service = stack.layer(service_fn(hello::<Body>));
        let probe = ready(service.clone().oneshot(request())).unwrap();
        assert!(probe.status().is_success(), "{name}: {}", probe.status());
        group.bench_function(*name, |b| b.iter(|| call(&service)));
    }
    group.finish();
}

criterion_group!(benches, whole_stack);
criterion_main!(benches);
