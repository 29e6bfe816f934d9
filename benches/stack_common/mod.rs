//! The whole stack beside the bare service, in one run, and each layer's
//! share of the cost, on a trivial handler. Backends are in memory; the
//! audit file is a real file in a temporary folder, written by its own
//! thread.
//!
//! Each "share" row is a stack of that one layer (plus the client IP layer
//! where the layer needs a client address; subtract the `client-ip` row).
//! The "full stack" row is `examples/rimguard.toml`'s shape: every layer,
//! on a route with an allowlist, a per-IP limit, an API key, a phone
//! number and a per-phone limit.
//!
//! Every row includes building the request (headers, extensions), as the
//! bare row does: the cost a layer adds is its row minus the bare row.
//!
//! Time is the bench thread's CPU time (Linux's schedstat), not wall time:
//! on a shared 2-core machine the thread often gets a fraction of a core,
//! and wall time would count the other processes' turns.
//!
//! Two bench targets run these rows: `stack` with the system allocator,
//! and `stack_mimalloc` with mimalloc, the allocator of the `rimguard`
//! binary (records are made on the request's thread and freed on the
//! writer's, which glibc's allocator serves from its slow path).
//!
//! ```text
//! cargo bench -p rimguard --bench stack -- --warm-up-time 1 --measurement-time 3
//! cargo bench -p rimguard --bench stack_mimalloc -- --warm-up-time 1 --measurement-time 3
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::net::SocketAddr;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, SamplingMode, Throughput};
use http::{Request, Response};
use http_body_util::Full;
use rimguard::body::Body;
use rimguard::secrets::Resolver;
use rimguard::{BuildContext, Config, Route, Stack};
use tower::{Layer, Service, ServiceExt, service_fn};

const KEY: &str = "rg_bench_0123456789abcdef0123";
const HUGE: &str =
    "policies = [{ name = \"b\", quota = 1000000000, window = \"10s\" }]\nmax_keys = 1000";

fn full_config(audit: &str) -> String {
    format!(
        r#"
[client_ip]
strategy = "peer"
[https]
mode = "off"
[headers]
[redact]
[audit]
file = "{audit}"
flush = {{ batch = {{ records = 256, ms = 50 }} }}
[ip_lists.office]
allow = ["127.0.0.0/8"]
[rate_limits.per_ip]
key = "client-ip"
{HUGE}
[rate_limits.per_phone]
key = "phone"
{HUGE}
[api_keys.bot]
keys = ["env:BENCH_KEY"]
scopes = ["read"]
[phone.lookup]
default_region = "GB"
source = {{ query = "phone" }}
[[routes]]
name = "lookup"
path = "/customers"
ip_list = "office"
rate_limits = ["per_ip"]
api_key = "bot"
phone = "lookup"
customer_rate_limits = ["per_phone"]
"#
    )
}

fn context() -> BuildContext {
    let resolver = Resolver::new()
        .without_keyring()
        .with_env(|name| (name == "BENCH_KEY").then(|| KEY.to_owned()));
    BuildContext::new().resolver(resolver)
}

fn full_stack(audit: &str) -> Stack {
    let config = Config::loader()
        .text("bench.toml", full_config(audit))
        .env_vars([])
        .load()
        .unwrap();
    Stack::from_config_with(&config, &context()).unwrap()
}

fn client_ip() -> rimguard::core::client_ip::ClientIpLayer {
    rimguard::core::client_ip::ClientIpLayer::peer_only()
}

fn route() -> Route {
    Route::new("lookup", "/customers").unwrap()
}

/// One stack per layer, each with that layer alone (and the client IP
/// layer when the layer reads the client address).
fn shares(audit: &str) -> Vec<(&'static str, Stack)> {
    let config = full_stack(audit);
    let (_, limiter) = config
        .rate_limiters()
        .iter()
        .find(|(n, _)| n == "per_ip")
        .unwrap()
        .clone();
    let (_, per_phone) = config
        .rate_limiters()
        .iter()
        .find(|(n, _)| n == "per_phone")
        .unwrap()
        .clone();
    let redactor = config.redactor().unwrap();
    let office = config.ip_lists().unwrap().layer("office").unwrap();

    let keys: rimguard::secrets::config::ApiKeysConfig =
        toml::from_str("keys = [\"env:BENCH_KEY\"]\nscopes = [\"read\"]").unwrap();
    let api_key = keys.build("bot", context().secret_resolver()).unwrap();
    let phone: rimguard::phone::PhoneConfig =
        toml::from_str("default_region = \"GB\"\nsource = { query = \"phone\" }").unwrap();
    let phone = phone.into_layer().unwrap();
    let audit_only = audit_pipeline(audit);

    let ip = || Stack::builder().client_ip(client_ip());
    vec![
        ("client-ip", ip().build()),
        ("audit", Stack::builder().audit_pipeline(audit_only).build()),
        (
            "https-only",
            Stack::builder()
                .https_only(rimguard::https::HttpsOnlyLayer::allow_plain_http())
                .build(),
        ),
        (
            "security headers",
            Stack::builder()
                .security_headers(rimguard::headers::SecurityHeadersLayer::api())
                .build(),
        ),
        (
            "sensitive headers",
            Stack::builder()
                .sensitive_headers(rimguard::redact::http::SensitiveHeadersLayer::new(redactor))
                .build(),
        ),
        ("route dispatch", Stack::builder().route(route()).build()),
        (
            "client-ip + ip-filter",
            ip().route(route().ip_filter(office)).build(),
        ),
        (
            "client-ip + rate-limit",
            ip().route(route().rate_limit(limiter)).build(),
        ),
        (
            "api-key",
            Stack::builder().route(route().api_key(api_key)).build(),
        ),
        (
            "phone",
            Stack::builder().route(route().phone(phone)).build(),
        ),
        (
            "phone + rate-limit per phone",
            Stack::builder()
                .route(route().phone(phone_again()).customer_rate_limit(per_phone))
                .build(),
        ),
    ]
}

fn phone_again() -> rimguard::phone::PhoneLayer {
    let phone: rimguard::phone::PhoneConfig =
        toml::from_str("default_region = \"GB\"\nsource = { query = \"phone\" }").unwrap();
    phone.into_layer().unwrap()
}

fn audit_pipeline(audit: &str) -> rimguard::audit::AuditPipeline {
    let file = audit.replace(".jsonl", "-alone.jsonl");
    let text = format!("file = \"{file}\"\nflush = {{ batch = {{ records = 256, ms = 50 }} }}");
    let config: rimguard::audit::AuditConfig = toml::from_str(&text).unwrap();
    config.build().unwrap()
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

fn bench<S>(group: &mut criterion::BenchmarkGroup<'_, ThreadCpuTime>, name: &str, service: &S)
where
    S: Service<Request<Full<Bytes>>, Response = Response<Body>> + Clone,
    S::Error: std::fmt::Debug,
{
    let probe = ready(service.clone().oneshot(request())).unwrap();
    assert!(probe.status().is_success(), "{name}: {}", probe.status());
    group.bench_function(name, |b| {
        b.iter(|| black_box(ready(service.clone().oneshot(request())).unwrap()))
    });
}

/// Every row, in the criterion group `group`.
pub(crate) fn whole_stack(c: &mut Criterion<ThreadCpuTime>, group: &str) {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let audit = audit.to_str().unwrap();

    let mut group = c.benchmark_group(group);
    group
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(1));

    let bare = tower::ServiceBuilder::new()
        .map_response(|r: Response<Full<Bytes>>| r.map(rimguard::body::boxed))
        .service(service_fn(hello::<Full<Bytes>>));
    bench(&mut group, "bare service", &bare);

    let full = full_stack(audit).layer(service_fn(hello::<Body>));
    bench(&mut group, "full stack", &full);

    for (name, stack) in shares(audit) {
        let service = stack.layer(service_fn(hello::<Body>));
        bench(&mut group, name, &service);
    }
    group.finish();
}

/// The bench thread's CPU time, from `/proc/thread-self/schedstat`.
pub(crate) struct ThreadCpuTime;

fn cpu_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("Linux schedstat");
    stat.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("nanoseconds on CPU")
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        cpu_ns().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanoseconds
    }
}

struct Nanoseconds;

impl ValueFormatter for Nanoseconds {
    fn scale_values(&self, _typical: f64, _values: &mut [f64]) -> &'static str {
        "ns"
    }
    fn scale_throughputs(
        &self,
        _typical: f64,
        _throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        for value in values.iter_mut() {
            *value = 1e9 / *value;
        }
        "elem/s"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

/// Criterion measuring the bench thread's CPU time.
pub(crate) fn cpu_time() -> Criterion<ThreadCpuTime> {
    Criterion::default().with_measurement(ThreadCpuTime)
}
