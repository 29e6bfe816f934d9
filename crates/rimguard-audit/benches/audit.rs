//! The audit layer's cost and the file sink's records per second, beside a
//! bare service and tower-http's `TraceLayer` with a JSON
//! `tracing-subscriber` writing through `tracing-appender`, on the same
//! requests.
//!
//! ```text
//! cargo bench -p rimguard-audit --bench audit -- --warm-up-time 1 --measurement-time 3
//! ```

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{Method, Request, Response, StatusCode};
use rimguard_audit::{
    AuditLayer, AuditRecord, AuditSink, FileSink, FlushPolicy, Outcome, PendingRecord, QueuedSink,
    RequestId, SinkGuard,
};
use tower::{Service, ServiceBuilder, service_fn};

mod common;

use common::{Body, hello, ready, request};

fn call<S, B>(service: &mut S) -> StatusCode
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
{
    let response = ready(service.call(request())).expect("bench services do not fail");
    response.status()
}

fn audit_file(dir: &Path, name: &str, flush: FlushPolicy) -> (QueuedSink, SinkGuard) {
    FileSink::builder(dir.join(name))
        .flush(flush)
        .build()
        .expect("the temp dir is writable")
}

fn batch() -> FlushPolicy {
    FlushPolicy::Batch {
        max_records: 256.try_into().expect("256 is not zero"),
        max_delay: Duration::from_millis(50),
    }
}

fn baseline_subscriber(
    dir: &Path,
    name: &str,
) -> (
    impl tracing::Subscriber + Send + Sync,
    tracing_appender::non_blocking::WorkerGuard,
) {
    let appender = tracing_appender::rolling::never(dir, name);
    // Lossless, as the audit sink is: the default would drop lines when full.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(appender);
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(writer)
        .finish();
    (subscriber, guard)
}

/// Builds the record and drops it: the layer's own work, without a sink.
struct Discard;

impl AuditSink for Discard {
    fn submit(&self, record: AuditRecord) {
        std::hint::black_box(record);
    }
}

/// Per-request cost on the request's thread (the writers run beside it).
fn per_request(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut group = c.benchmark_group("audit/per_request");
    group.throughput(Throughput::Elements(1));

    let mut bare = service_fn(hello);
    group.bench_function("bare", |b| b.iter(|| call(&mut bare)));

    let mut built = ServiceBuilder::new()
        .layer(AuditLayer::new(Discard))
        .service_fn(hello);
    group.bench_function("audit_layer_record_only", |b| b.iter(|| call(&mut built)));

    // Sustained: the loop outruns the writer, so this is bounded by the
    // writer's rate (the queue is full and the layer waits for room).
    let (sink, guard) = audit_file(dir.path(), "layer.jsonl", FlushPolicy::EveryRecord);
    let mut audited = ServiceBuilder::new()
        .layer(AuditLayer::new(sink.clone()))
        .service_fn(hello);
    group.bench_function("audit_layer_file_sustained", |b| {
        b.iter(|| call(&mut audited))
    });

    // While the writer keeps up: requests in runs shorter than the queue,
    // the writer catching up between runs (untimed).
    group.bench_function("audit_layer_file", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let run = left.min(2048);
                let start = Instant::now();
                for _ in 0..run {
                    call(&mut audited);
                }
                timed += start.elapsed();
                sink.flush().expect("the flush succeeds");
                left -= run;
            }
            timed
        })
    });
    let stats = guard.shutdown().expect("the final flush succeeds");
    assert_eq!(stats.lost(), 0, "the audit sink lost records");

    let (subscriber, guard) = baseline_subscriber(dir.path(), "trace.jsonl");
    let mut traced = ServiceBuilder::new()
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .service_fn(hello);
    tracing::subscriber::with_default(subscriber, || {
        group.bench_function("trace_layer_json_appender", |b| {
            b.iter(|| call(&mut traced))
        });
    });
    drop(guard);
    group.finish();
}

/// Requests until every record is in the file: records per second of the
/// whole path, writer included.
fn records_per_second(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut group = c.benchmark_group("audit/records_written");
    group.throughput(Throughput::Elements(1));

    for (name, flush) in [
        ("audit_every_record", FlushPolicy::EveryRecord),
        ("audit_batch", batch()),
    ] {
        let (sink, guard) = audit_file(dir.path(), &format!("{name}.jsonl"), flush);
        let mut audited = ServiceBuilder::new()
            .layer(AuditLayer::new(sink.clone()))
            .service_fn(hello);
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    call(&mut audited);
                }
                sink.flush().expect("the flush succeeds");
                start.elapsed()
            })
        });
        assert_eq!(
            guard.shutdown().expect("the final flush succeeds").lost(),
            0
        );
    }

    let mut traced = ServiceBuilder::new()
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .service_fn(hello);
    let mut run = 0;
    group.bench_function("trace_layer_json_appender", |b| {
        b.iter_custom(|iters| {
            run += 1;
            let (subscriber, guard) =
                baseline_subscriber(dir.path(), &format!("trace-{run}.jsonl"));
            let start = Instant::now();
            tracing::subscriber::with_default(subscriber, || {
                for _ in 0..iters {
                    call(&mut traced);
                }
            });
            drop(guard); // waits until the worker has written every line
            start.elapsed()
        })
    });
    group.finish();
}

/// The file sink alone: prebuilt records into the chained file.
fn file_sink(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut group = c.benchmark_group("audit/file_sink");
    group.throughput(Throughput::Elements(1));
    let uri: http::Uri = "/orders/42?token=s3cret&page=2"
        .parse()
        .expect("a valid URI");
    let record = PendingRecord::new(SystemTime::now(), RequestId::generate(), Method::GET, uri)
        .client_ip([203, 0, 113, 7].into())
        .finish(StatusCode::OK, Duration::from_micros(120), Outcome::Allowed);

    let (sink, guard) = audit_file(dir.path(), "sink.jsonl", FlushPolicy::EveryRecord);
    group.bench_function("chained_every_record", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                sink.submit(record.clone());
            }
            sink.flush().expect("the flush succeeds");
            start.elapsed()
        })
    });
    assert_eq!(
        guard.shutdown().expect("the final flush succeeds").lost(),
        0
    );
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = per_request, records_per_second, file_sink
}
criterion_main!(benches);
