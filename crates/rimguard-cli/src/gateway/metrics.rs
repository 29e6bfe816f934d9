//! Counters for `/metrics`, in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use http::Response;
use rimguard_core::Rejection;

/// What the gateway counts. Cheap on the request path: atomics, and a lock
/// only when a request is refused.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: AtomicU64,
    by_class: [AtomicU64; 5],
    refusals: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    upstream_errors: AtomicU64,
    upstream_timeouts: AtomicU64,
    gauges: Mutex<Vec<Gauge>>,
    limiters: Mutex<Vec<(String, rimguard::ratelimit::RateLimitLayer)>>,
}

/// A value read when `/metrics` is scraped, such as a limiter's key count
/// or its Redis fallbacks.
pub(crate) struct Gauge {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    read: Box<dyn Fn() -> u64 + Send + Sync>,
}

impl std::fmt::Debug for Gauge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gauge")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// Counts one answered request, and its refusal when a layer refused it.
    pub fn record<B>(&self, response: &Response<B>) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let class = usize::from(response.status().as_u16() / 100).clamp(1, 5) - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);

        if let Some(rejection) = response.extensions().get::<Rejection>() {
            let key = (rejection.layer().as_str(), rejection.code());
            let mut refusals = self.refusals.lock().unwrap_or_else(|e| e.into_inner());
            *refusals.entry(key).or_default() += 1;
        }
    }

    pub(crate) fn upstream_error(&self) {
        self.upstream_errors.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn upstream_timeout(&self) {
        self.upstream_timeouts.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds a value read at scrape time; `kind` is `"counter"` or `"gauge"`.
    pub fn register(
        &self,
        name: &'static str,
        help: &'static str,
        kind: &'static str,
        read: impl Fn() -> u64 + Send + Sync + 'static,
    ) {
        let gauge = Gauge {
            name,
            help,
            kind,
            read: Box::new(read),
        };
        self.gauges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(gauge);
    }

    /// Exposes the statistics of these rate limiters: live keys, refusals,
    /// evictions and Redis fallbacks, labelled by limiter name.
    pub fn watch_limiters(&self, limiters: &[(String, rimguard::ratelimit::RateLimitLayer)]) {
        let mut watched = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
        watched.extend(limiters.iter().cloned());
    }

    fn render_limiters(&self, out: &mut String) {
        let limiters = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
        if limiters.is_empty() {
            return;
        }
        let stats: Vec<_> = limiters
            .iter()
            .map(|(name, layer)| (name, layer.stats()))
            .collect();
        let series: [Series; 5] = [
            (
                "rimguard_ratelimit_keys",
                "gauge",
                "Live keys in the limiter's table.",
                |s| s.keys,
            ),
            (
                "rimguard_ratelimit_limited_total",
                "counter",
                "Requests refused with 429.",
                |s| s.limited,
            ),
            (
                "rimguard_ratelimit_evicted_total",
                "counter",
                "Keys evicted from a full table.",
                |s| s.evicted,
            ),
            (
                "rimguard_ratelimit_backend_fallbacks_total",
                "counter",
                "Redis failures handled by the failure policy.",
                |s| s.backend_fallbacks,
            ),
            (
                "rimguard_ratelimit_backend_down",
                "gauge",
                "1 while the Redis backend is failing.",
                |s| u64::from(s.backend_down),
            ),
        ];
        for (name, kind, help, read) in series {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for (limiter, stats) in &stats {
                let _ = writeln!(out, "{name}{{limiter=\"{limiter}\"}} {}", read(stats));
            }
        }
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let requests = self.requests.load(Ordering::Relaxed);
        counter(
            &mut out,
            "rimguard_requests_total",
            "Requests answered.",
            requests,
        );

        out.push_str("# HELP rimguard_responses_total Responses by status class.\n");
        out.push_str("# TYPE rimguard_responses_total counter\n");
        for (i, count) in self.by_class.iter().enumerate() {
            let count = count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "rimguard_responses_total{{class=\"{}xx\"}} {count}",
                i + 1
            );
        }

        out.push_str("# HELP rimguard_refusals_total Requests refused, by layer and reason.\n");
        out.push_str("# TYPE rimguard_refusals_total counter\n");
        let refusals = self.refusals.lock().unwrap_or_else(|e| e.into_inner());
        for ((layer, code), count) in refusals.iter() {
            let _ = writeln!(
                out,
                "rimguard_refusals_total{{layer=\"{layer}\",code=\"{code}\"}} {count}"
            );
        }
        drop(refusals);

        let errors = self.upstream_errors.load(Ordering::Relaxed);
        counter(
            &mut out,
            "rimguard_upstream_errors_total",
            "Upstream connection failures.",
            errors,
        );
        let timeouts = self.upstream_timeouts.load(Ordering::Relaxed);
        counter(
            &mut out,
            "rimguard_upstream_timeouts_total",
            "Upstream timeouts.",
            timeouts,
        );

        self.render_limiters(&mut out);
        for gauge in self.gauges.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "# HELP {} {}", gauge.name, gauge.help);
            let _ = writeln!(out, "# TYPE {} {}", gauge.name, gauge.kind);
            let _ = writeln!(out, "{} {}", gauge.name, (gauge.read)());
        }
        out
    }
}

/// A limiter series: name, type, help, and how to read it from the stats.
type Series = (
    &'static str,
    &'static str,
    &'static str,
    fn(&rimguard::ratelimit::RateLimitStats) -> u64,
);

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    let _ = writeln!(out, "{name} {value}");
}

#[cfg(test)]
mod tests {
    use http::StatusCode;
    use rimguard_core::Layer;

    use super::*;

    #[test]
    fn refusals_are_counted_by_layer_and_code() {
        let metrics = Metrics::default();
        let rejection = Rejection::new(
            Layer::RateLimit,
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many",
        );
        metrics.record(&rejection.into_response::<http_body_util::Empty<bytes::Bytes>>());
        metrics.record(&Response::new(()));

        let text = metrics.render();
        assert!(text.contains("rimguard_requests_total 2\n"), "{text}");
        assert!(
            text.contains("rimguard_refusals_total{layer=\"rate-limit\",code=\"rate-limited\"} 1")
        );
        assert!(text.contains("rimguard_responses_total{class=\"4xx\"} 1"));
        assert!(text.contains("rimguard_responses_total{class=\"2xx\"} 1"));
    }
}
