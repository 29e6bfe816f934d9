//! Counters for `/metrics`, in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use http::Response;
use rimguard::audit::SinkStats;
use rimguard::ipfilter::{IpListRegistry, SharedIpList};
use rimguard::ratelimit::{RateLimitLayer, RateLimitStats};
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
    limiters: Mutex<Vec<(String, RateLimitLayer)>>,
    ip_lists: Mutex<Vec<(String, SharedIpList)>>,
    sinks: Mutex<Vec<Sinks>>,
}

/// Audit sinks whose counters are read at scrape time, each by name; a
/// sink that is gone is not in what `read` gives.
struct Sinks {
    read: Box<dyn Fn() -> Vec<(String, SinkStats)> + Send + Sync>,
}

impl std::fmt::Debug for Sinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sinks").finish_non_exhaustive()
    }
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
            let mut refusals = lock(&self.refusals);
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
        lock(&self.gauges).push(gauge);
    }

    /// Exposes the statistics of these rate limiters: live keys, refusals,
    /// evictions and Redis fallbacks, labelled by limiter name.
    pub fn watch_limiters(&self, limiters: &[(String, RateLimitLayer)]) {
        lock(&self.limiters).extend(limiters.iter().cloned());
    }

    /// Exposes every list of `lists`: reloads, refused reloads, the ranges
    /// of the version in force and the time of the last reload, labelled by
    /// list name.
    pub fn watch_ip_lists(&self, lists: &IpListRegistry) {
        let named = lists
            .names()
            .filter_map(|name| Some((name.to_owned(), lists.list(name)?.clone())));
        lock(&self.ip_lists).extend(named);
    }

    /// Exposes the counters of an audit sink, labelled `sink="<name>"`:
    /// records accepted, written, dropped and lost, and write errors.
    /// `read` is called at each scrape; a sink it no longer finds
    /// (`None`) is left out.
    pub fn watch_audit_sink(
        &self,
        name: impl Into<String>,
        read: impl Fn() -> Option<SinkStats> + Send + Sync + 'static,
    ) {
        let name = name.into();
        let sinks = Sinks {
            read: Box::new(move || {
                read()
                    .map(|stats| (name.clone(), stats))
                    .into_iter()
                    .collect()
            }),
        };
        lock(&self.sinks).push(sinks);
    }

    /// Exposes the counters of every sink of the audit pipeline `read`
    /// finds at each scrape, labelled by the sink's name (`sink="file"`,
    /// `sink="detector"`; see [`AuditPipeline::sink_stats`]). Nothing is
    /// shown while `read` finds no pipeline.
    ///
    /// [`AuditPipeline::sink_stats`]: rimguard::audit::AuditPipeline::sink_stats
    pub fn watch_audit_pipeline(
        &self,
        read: impl Fn() -> Option<Vec<(&'static str, SinkStats)>> + Send + Sync + 'static,
    ) {
        let sinks = Sinks {
            read: Box::new(move || {
                let named = read().unwrap_or_default().into_iter();
                named
                    .map(|(name, stats)| (name.to_owned(), stats))
                    .collect()
            }),
        };
        lock(&self.sinks).push(sinks);
    }

    fn render_limiters(&self, out: &mut String) {
        let stats: Vec<_> = lock(&self.limiters)
            .iter()
            .map(|(name, layer)| (name.clone(), layer.stats()))
            .collect();
        let series: [Series<RateLimitStats>; 5] = [
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
        labelled(out, "limiter", &stats, &series);
    }

    fn render_ip_lists(&self, out: &mut String) {
        let stats: Vec<_> = lock(&self.ip_lists)
            .iter()
            .map(|(name, list)| (name.clone(), ListStats::of(list)))
            .collect();
        let series: [Series<ListStats>; 3] = [
            (
                "rimguard_ip_list_reloads_total",
                "counter",
                "Reloads that swapped in a new version of the list.",
                |s| s.reloads,
            ),
            (
                "rimguard_ip_list_reload_failures_total",
                "counter",
                "Reloads refused (unreadable or bad file); the previous list stayed in force.",
                |s| s.failures,
            ),
            (
                "rimguard_ip_list_ranges",
                "gauge",
                "Ranges of the version in force (allow and deny).",
                |s| s.ranges,
            ),
        ];
        labelled(out, "list", &stats, &series);
        let reloaded: Vec<_> = stats
            .iter()
            .filter_map(|(name, stats)| Some((name.as_str(), unix_seconds(stats.last_reload?)?)))
            .collect();
        if !reloaded.is_empty() {
            let name = "rimguard_ip_list_last_reload_timestamp_seconds";
            let _ = writeln!(
                out,
                "# HELP {name} When the list was last reloaded, in seconds since the Unix epoch."
            );
            let _ = writeln!(out, "# TYPE {name} gauge");
            for (list, seconds) in reloaded {
                let list = escape_label(list);
                let _ = writeln!(out, "{name}{{list=\"{list}\"}} {seconds}");
            }
        }
    }

    fn render_sinks(&self, out: &mut String) {
        let stats: Vec<_> = lock(&self.sinks)
            .iter()
            .flat_map(|sinks| (sinks.read)())
            .collect();
        let series: [Series<SinkStats>; 5] = [
            (
                "rimguard_audit_records_accepted_total",
                "counter",
                "Audit records taken into the sink's queue.",
                |s| s.accepted,
            ),
            (
                "rimguard_audit_records_written_total",
                "counter",
                "Audit records written and flushed.",
                |s| s.written,
            ),
            (
                "rimguard_audit_records_dropped_total",
                "counter",
                "Audit records refused because the queue was full or closed.",
                |s| s.dropped,
            ),
            (
                "rimguard_audit_records_failed_total",
                "counter",
                "Audit records lost to write or flush errors.",
                |s| s.failed,
            ),
            (
                "rimguard_audit_write_errors_total",
                "counter",
                "Write or flush errors of the audit sink.",
                |s| s.write_errors,
            ),
        ];
        labelled(out, "sink", &stats, &series);
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
        let refusals = lock(&self.refusals);
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
        self.render_ip_lists(&mut out);
        self.render_sinks(&mut out);
        for gauge in lock(&self.gauges).iter() {
            let _ = writeln!(out, "# HELP {} {}", gauge.name, gauge.help);
            let _ = writeln!(out, "# TYPE {} {}", gauge.name, gauge.kind);
            let _ = writeln!(out, "{} {}", gauge.name, (gauge.read)());
        }
        out
    }
}

/// A labelled series: name, type, help, and how to read it from the stats.
type Series<T> = (&'static str, &'static str, &'static str, fn(&T) -> u64);

/// What `/metrics` shows of one IP list, read once per scrape.
struct ListStats {
    reloads: u64,
    failures: u64,
    ranges: u64,
    last_reload: Option<SystemTime>,
}

impl ListStats {
    fn of(list: &SharedIpList) -> Self {
        Self {
            reloads: list.reloads(),
            failures: list.reload_failures(),
            ranges: u64::try_from(list.load().len()).unwrap_or(u64::MAX),
            last_reload: list.last_reload(),
        }
    }
}

/// `time` as seconds since the Unix epoch, to the millisecond (`"1764771234.567"`);
/// `None` before the epoch.
fn unix_seconds(time: SystemTime) -> Option<String> {
    let since = time.duration_since(UNIX_EPOCH).ok()?;
    Some(format!("{}.{:03}", since.as_secs(), since.subsec_millis()))
}

/// Writes each series of `series` with one line per row, labelled
/// `label="<row name>"`; nothing at all when there is no row.
fn labelled<T>(out: &mut String, label: &str, rows: &[(String, T)], series: &[Series<T>]) {
    if rows.is_empty() {
        return;
    }
    for (name, kind, help, read) in series {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (row, stats) in rows {
            let row = escape_label(row);
            let _ = writeln!(out, "{name}{{{label}=\"{row}\"}} {}", read(stats));
        }
    }
}

/// A label value as the text format wants it: backslash, double quote and
/// line feed escaped.
fn escape_label(value: &str) -> std::borrow::Cow<'_, str> {
    if !value.contains(['\\', '"', '\n']) {
        return value.into();
    }
    let mut escaped = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    escaped.into()
}

/// Locks `mutex` even when poisoned: each update behind these locks is a
/// single push or increment, so a holder that panicked left a valid value.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    let _ = writeln!(out, "{name} {value}");
}

#[cfg(test)]
mod tests {
    use http::StatusCode;
    use rimguard::ipfilter::{IpFilterLayer, IpList};
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

    #[test]
    fn each_ip_list_shows_its_reloads_and_ranges() {
        let office = IpList::builder()
            .name("office")
            .allow("203.0.113.0/24")
            .build()
            .unwrap();
        let mut lists = IpListRegistry::new();
        lists.insert("office", IpFilterLayer::new(office));
        let metrics = Metrics::default();
        metrics.watch_ip_lists(&lists);

        let wider = IpList::builder()
            .name("office")
            .allow("203.0.113.0/24")
            .deny("198.51.100.0/24")
            .build()
            .unwrap();
        lists.list("office").unwrap().replace(wider);

        let text = metrics.render();
        assert!(text.contains("# TYPE rimguard_ip_list_reloads_total counter\n"));
        assert!(
            text.contains("rimguard_ip_list_reloads_total{list=\"office\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("rimguard_ip_list_reload_failures_total{list=\"office\"} 0\n"));
        assert!(text.contains("rimguard_ip_list_ranges{list=\"office\"} 2\n"));
        assert!(text.contains("# TYPE rimguard_ip_list_last_reload_timestamp_seconds gauge\n"));
        let reloaded = lists.list("office").unwrap().last_reload().unwrap();
        let line = format!(
            "rimguard_ip_list_last_reload_timestamp_seconds{{list=\"office\"}} {}\n",
            unix_seconds(reloaded).unwrap()
        );
        assert!(text.contains(&line), "no {line:?} in {text}");
    }

    #[test]
    fn a_list_never_reloaded_has_no_reload_time() {
        let list = |name: &str| {
            let list = IpList::builder().name(name).allow("203.0.113.0/24");
            IpFilterLayer::new(list.build().unwrap())
        };
        let mut lists = IpListRegistry::new();
        lists.insert("office", list("office"));
        lists.insert("vpn", list("vpn"));
        let metrics = Metrics::default();
        metrics.watch_ip_lists(&lists);

        let text = metrics.render();
        assert!(text.contains("rimguard_ip_list_reloads_total{list=\"office\"} 0\n"));
        assert!(
            !text.contains("rimguard_ip_list_last_reload_timestamp_seconds"),
            "a family with no list is left out: {text}"
        );

        let vpn = IpList::builder().name("vpn").allow("198.51.100.0/24");
        lists.list("vpn").unwrap().replace(vpn.build().unwrap());
        let text = metrics.render();
        assert!(text.contains("rimguard_ip_list_last_reload_timestamp_seconds{list=\"vpn\"} "));
        assert!(!text.contains("rimguard_ip_list_last_reload_timestamp_seconds{list=\"office\"}"));
    }

    #[test]
    fn a_reload_time_is_in_seconds_to_the_millisecond() {
        let time = UNIX_EPOCH + std::time::Duration::from_micros(1_764_771_234_005_900);
        assert_eq!(unix_seconds(time).unwrap(), "1764771234.005");
        assert_eq!(unix_seconds(UNIX_EPOCH).unwrap(), "0.000");
        assert_eq!(
            unix_seconds(UNIX_EPOCH - std::time::Duration::from_secs(1)),
            None
        );
    }

    #[test]
    fn every_sink_of_an_audit_pipeline_is_labelled_by_its_name() {
        let metrics = Metrics::default();
        let file = SinkStats {
            accepted: 4,
            written: 4,
            ..SinkStats::default()
        };
        let detector = SinkStats {
            accepted: 3,
            written: 2,
            dropped: 1,
            ..SinkStats::default()
        };
        metrics.watch_audit_pipeline(move || Some(vec![("file", file), ("detector", detector)]));
        metrics.watch_audit_pipeline(|| None);

        let text = metrics.render();
        for line in [
            "rimguard_audit_records_accepted_total{sink=\"file\"} 4",
            "rimguard_audit_records_written_total{sink=\"file\"} 4",
            "rimguard_audit_records_dropped_total{sink=\"file\"} 0",
            "rimguard_audit_records_accepted_total{sink=\"detector\"} 3",
            "rimguard_audit_records_written_total{sink=\"detector\"} 2",
            "rimguard_audit_records_dropped_total{sink=\"detector\"} 1",
            "rimguard_audit_records_failed_total{sink=\"detector\"} 0",
            "rimguard_audit_write_errors_total{sink=\"detector\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
        }
        let families = text
            .matches("# TYPE rimguard_audit_records_accepted_total ")
            .count();
        assert_eq!(families, 1, "one family, one line per sink: {text}");
    }

    #[test]
    fn an_audit_sink_shows_its_counters_while_it_exists() {
        let metrics = Metrics::default();
        let stats = SinkStats {
            accepted: 5,
            written: 3,
            dropped: 1,
            failed: 1,
            write_errors: 2,
        };
        metrics.watch_audit_sink("file", move || Some(stats));
        metrics.watch_audit_sink("gone", || None);

        let text = metrics.render();
        assert!(text.contains("# TYPE rimguard_audit_records_written_total counter\n"));
        assert!(
            text.contains("rimguard_audit_records_accepted_total{sink=\"file\"} 5\n"),
            "{text}"
        );
        assert!(text.contains("rimguard_audit_records_written_total{sink=\"file\"} 3\n"));
        assert!(text.contains("rimguard_audit_records_dropped_total{sink=\"file\"} 1\n"));
        assert!(text.contains("rimguard_audit_records_failed_total{sink=\"file\"} 1\n"));
        assert!(text.contains("rimguard_audit_write_errors_total{sink=\"file\"} 2\n"));
        assert!(!text.contains("sink=\"gone\""));
    }

    #[test]
    fn families_without_a_source_are_left_out() {
        let text = Metrics::default().render();
        assert!(!text.contains("rimguard_ratelimit_"));
        assert!(!text.contains("rimguard_ip_list_"));
        assert!(!text.contains("rimguard_audit_"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("per_ip"), "per_ip");
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
