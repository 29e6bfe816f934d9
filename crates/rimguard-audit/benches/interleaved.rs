//! The same comparison as `benches/audit.rs`, interleaved: each round runs
//! the bare service, the audit layer and the baseline one after the other,
//! and the best round of each is kept. On a shared, noisy machine this
//! gives steadier ratios than criterion groups run minutes apart.
//!
//! ```text
//! cargo bench -p rimguard-audit --bench interleaved
//! ```

use std::path::Path;
use std::time::{Duration, Instant};

use http::{Request, Response};
use rimguard_audit::{AuditLayer, FileSink};
use tower::{Service, ServiceBuilder, service_fn};

mod common;

use common::{Body, hello, ready, request};

const ROUNDS: u32 = 15;
const REQUESTS: u32 = 4000;

/// Calls `service` `REQUESTS` times; the time per request.
fn run<S, B>(service: &mut S) -> Duration
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
{
    let start = Instant::now();
    for _ in 0..REQUESTS {
        let response = ready(service.call(request())).expect("bench services do not fail");
        std::hint::black_box(response);
    }
    start.elapsed() / REQUESTS
}

fn baseline_round(dir: &Path, round: u32) -> (Duration, Duration) {
    let appender = tracing_appender::rolling::never(dir, format!("trace-{round}.jsonl"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(appender);
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(writer)
        .finish();
    let mut traced = ServiceBuilder::new()
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .service_fn(hello);

    let start = Instant::now();
    let per_request = tracing::subscriber::with_default(subscriber, || run(&mut traced));
    drop(guard); // waits until every line is written
    (per_request, start.elapsed() / REQUESTS)
}

fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (sink, guard) = FileSink::builder(dir.path().join("audit.jsonl"))
        .build()
        .expect("the temp dir is writable");
    let mut bare = service_fn(hello);
    let mut audited = ServiceBuilder::new()
        .layer(AuditLayer::new(sink.clone()))
        .service_fn(hello);

    let mut best = [Duration::MAX; 5];
    for round in 0..ROUNDS {
        best[0] = best[0].min(run(&mut bare));

        let start = Instant::now();
        best[1] = best[1].min(run(&mut audited));
        sink.flush().expect("the flush succeeds");
        best[2] = best[2].min(start.elapsed() / REQUESTS);

        let (per_request, written) = baseline_round(dir.path(), round);
        best[3] = best[3].min(per_request);
        best[4] = best[4].min(written);
    }
    let stats = guard.shutdown().expect("the final flush succeeds");
    assert_eq!(stats.lost(), 0, "the audit sink lost records");

    let [bare, audit, audit_written, trace, trace_written] = best;
    let per_sec = |d: Duration| 1.0 / d.as_secs_f64() / 1000.0;
    println!("best of {ROUNDS} rounds of {REQUESTS} requests:");
    println!("  bare                         {bare:>10.2?} per request");
    println!(
        "  audit layer + file sink      {audit:>10.2?} per request (+{:.2?})",
        audit - bare
    );
    println!(
        "  TraceLayer + JSON + appender {trace:>10.2?} per request (+{:.2?})",
        trace - bare
    );
    println!(
        "  written: audit {:.0} K records/s, baseline {:.0} K records/s: {:.1}x",
        per_sec(audit_written),
        per_sec(trace_written),
        trace_written.as_secs_f64() / audit_written.as_secs_f64()
    );
}
