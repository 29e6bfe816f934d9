//! [`RateLimitLayer`] and its builder.

use std::fmt;
use std::hash::BuildHasher;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::header::RETRY_AFTER;
use http::{HeaderValue, Method, StatusCode};
use ipnet::IpNet;
use rimguard_core::{ClientIp, ConfigError, Layer, PreparedRejection, Rejection};
use tower_layer::Layer as TowerLayer;

use crate::clock::{Clock, MonotonicClock, TableClock};
use crate::future::{Fields, Refusal};
use crate::gcra::{Checked, Decision, MAX_POLICIES, MemoryLimiter, Sweeper};
use crate::headers::{RATELIMIT, RATELIMIT_POLICY, limit_field, policy_field};
use crate::key::{ClientIpKey, Hashing, KeyExtractor, KeyWriter, PhoneKey, RequestView};
use crate::quota::{Gcra, Policy, Quota};
use crate::service::RateLimit;
use crate::stats::{Counters, RateLimitStats};
use crate::table::{Admission, MIN_KEYS, WhenFull};

/// What the layer does with a request from which no key can be extracted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum OnMissingKey {
    /// Refuse with 400 Bad Request.
    #[default]
    BadRequest,
    /// Refuse with 401 Unauthorized (for keys that come from authentication).
    Unauthorized,
    /// Let the request through unlimited.
    Allow,
}

/// What a limiter with a Redis backend does when Redis fails or is late.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum OnFailure {
    /// Let the request through unchecked.
    Open,
    /// Refuse the request with 503 and `Retry-After`.
    Closed,
    /// Decide with a local in-memory limiter whose quotas are the shared
    /// ones divided by the number of instances.
    #[default]
    Local,
}

/// When the layer adds `RateLimit-Policy` and `RateLimit` to a response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Headers {
    /// On refused (429) responses only.
    #[default]
    OnLimited,
    /// On every checked response, allowed ones too.
    Always,
}

/// A Tower layer that limits each client to its quotas.
///
/// See the [crate docs](crate) for the whole picture.
///
/// # Example
///
/// ```
/// use std::num::NonZeroU32;
/// use rimguard_ratelimit::{Quota, RateLimitLayer};
///
/// let per_ip = RateLimitLayer::per_client_ip(Quota::per_minute(NonZeroU32::new(100).unwrap()));
/// assert_eq!(per_ip.stats().keys, 0);
/// ```
///
/// A customised one, keyed on the caller's phone number with two policies:
///
/// ```
/// use std::num::NonZeroU32;
/// use rimguard_ratelimit::{Headers, OnMissingKey, PhoneKey, Policy, Quota, RateLimitLayer};
///
/// let nz = |n| NonZeroU32::new(n).unwrap();
/// let per_phone = RateLimitLayer::builder(PhoneKey)
///     .name("per_phone")
///     .policy(Policy::new("lookup", Quota::per_minute(nz(20)).with_burst(nz(5)))?)
///     .policy(Policy::new("daily", Quota::per_day(nz(500)))?)
///     .max_keys(100_000)
///     .on_missing_key(OnMissingKey::Allow)
///     .headers(Headers::Always)
///     .build()?;
/// # let _ = per_phone;
/// # Ok::<(), rimguard_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct RateLimitLayer {
    pub(crate) shared: Arc<Shared>,
}

impl RateLimitLayer {
    /// A builder for a layer keyed by `extractor`.
    pub fn builder(extractor: impl KeyExtractor) -> RateLimitBuilder {
        RateLimitBuilder::new(Box::new(extractor))
    }

    pub(crate) fn builder_boxed(extractor: Box<dyn KeyExtractor>) -> RateLimitBuilder {
        RateLimitBuilder::new(extractor)
    }

    /// A layer with one policy, `"default"`, per client IP (IPv6 by /64).
    pub fn per_client_ip(quota: Quota) -> Self {
        Self::preset(ClientIpKey::new(), "per_ip", quota)
    }

    /// A layer with one policy, `"default"`, per caller phone number.
    /// Requests without a phone number pass unlimited.
    pub fn per_phone(quota: Quota) -> Self {
        Self::builder(PhoneKey)
            .name("per_phone")
            .quota(quota)
            .on_missing_key(OnMissingKey::Allow)
            .build()
            .expect("a single policy named \"default\" with default settings is valid")
    }

    fn preset(extractor: impl KeyExtractor, name: &str, quota: Quota) -> Self {
        Self::builder(extractor)
            .name(name)
            .quota(quota)
            .build()
            .expect("a single policy named \"default\" with default settings is valid")
    }

    /// The limiter's counters and key gauge.
    pub fn stats(&self) -> RateLimitStats {
        self.shared.stats()
    }

    /// Empties the stale keys of the in-memory table now (the background
    /// sweeper does this every [`RateLimitBuilder::sweep_every`]); returns
    /// how many it emptied.
    pub fn sweep(&self) -> usize {
        self.shared.sweep()
    }

    /// Stops the background sweeper, if one runs. It also stops by itself
    /// when the last clone of the layer and its services is dropped.
    pub fn stop_sweeper(&self) {
        drop(
            self.shared
                .sweeper
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take(),
        );
    }
}

impl fmt::Debug for RateLimitLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimitLayer")
            .field("name", &self.shared.name)
            .field("key", &self.shared.extractor.kind())
            .field("policies", &self.shared.policies)
            .finish_non_exhaustive()
    }
}

impl<S> TowerLayer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimit::new(inner, self.clone())
    }
}

enum Cost {
    Fixed(u32),
    Fn(Box<dyn Fn(&RequestView<'_>) -> u32 + Send + Sync>),
}

/// Builds a [`RateLimitLayer`]; made by [`RateLimitLayer::builder`].
///
/// Every setting has a default except the policies: at least one is needed.
pub struct RateLimitBuilder {
    name: String,
    extractor: Box<dyn KeyExtractor>,
    policies: Vec<Policy>,
    max_keys: usize,
    when_full: WhenFull,
    on_missing_key: OnMissingKey,
    headers: Headers,
    shadow: bool,
    exempt_networks: Vec<IpNet>,
    exempt_keys: Vec<Vec<u8>>,
    methods: Option<Vec<Method>>,
    path_prefixes: Vec<String>,
    cost: Cost,
    clock: TableClock,
    sweep_every: Option<Duration>,
    #[cfg(feature = "redis")]
    redis: Option<crate::redis::RedisBackend>,
}

impl fmt::Debug for RateLimitBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimitBuilder")
            .field("name", &self.name)
            .field("key", &self.extractor.kind())
            .field("policies", &self.policies)
            .field("max_keys", &self.max_keys)
            .finish_non_exhaustive()
    }
}

impl RateLimitBuilder {
    fn new(extractor: Box<dyn KeyExtractor>) -> Self {
        Self {
            name: "rate_limit".to_owned(),
            extractor,
            policies: Vec::new(),
            max_keys: 100_000,
            when_full: WhenFull::default(),
            on_missing_key: OnMissingKey::default(),
            headers: Headers::default(),
            shadow: false,
            exempt_networks: Vec::new(),
            exempt_keys: Vec::new(),
            methods: None,
            path_prefixes: Vec::new(),
            cost: Cost::Fixed(1),
            clock: TableClock::Monotonic(MonotonicClock::new()),
            sweep_every: Some(Duration::from_secs(30)),
            #[cfg(feature = "redis")]
            redis: None,
        }
    }

    /// The limiter's name in logs (`per_ip`). Defaults to `rate_limit`.
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }

    /// Adds a named policy. Every policy must allow a request.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policies.push(policy);
        self
    }

    /// Adds a policy named `"default"`.
    pub fn quota(self, quota: Quota) -> Self {
        let policy = Policy::new("default", quota).expect("\"default\" is a valid policy name");
        self.policy(policy)
    }

    /// The most keys the in-memory table holds (default 100 000), rounded
    /// down to the table's granularity (a multiple of 8 per shard).
    pub fn max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys;
        self
    }

    /// What a full table does with a new key (default: evict the stalest).
    pub fn when_full(mut self, when_full: WhenFull) -> Self {
        self.when_full = when_full;
        self
    }

    /// What to do with a request without a key (default: 400).
    pub fn on_missing_key(mut self, on_missing_key: OnMissingKey) -> Self {
        self.on_missing_key = on_missing_key;
        self
    }

    /// When to send the `RateLimit-Policy` and `RateLimit` fields.
    pub fn headers(mut self, headers: Headers) -> Self {
        self.headers = headers;
        self
    }

    /// Shadow mode: count and log what would be refused, refuse nothing.
    pub fn shadow(mut self, shadow: bool) -> Self {
        self.shadow = shadow;
        self
    }

    /// Never limits clients whose [`ClientIp`] is in `network`.
    pub fn exempt_network(mut self, network: IpNet) -> Self {
        self.exempt_networks.push(network);
        self
    }

    /// Never limits the key `key` (an API key id, a phone number in E.164,
    /// a header value), as the extractor writes it.
    pub fn exempt_key(mut self, key: impl AsRef<[u8]>) -> Self {
        self.exempt_keys.push(key.as_ref().to_vec());
        self
    }

    /// Checks only requests with one of these methods.
    pub fn methods(mut self, methods: impl IntoIterator<Item = Method>) -> Self {
        self.methods = Some(methods.into_iter().collect());
        self
    }

    /// Checks only requests whose path starts with one of these prefixes.
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefixes.push(prefix.into());
        self
    }

    /// What each request costs, in quota units (default 1).
    pub fn cost(mut self, cost: NonZeroU32) -> Self {
        self.cost = Cost::Fixed(cost.get());
        self
    }

    /// What each request costs, computed from the request. A cost of 0 is
    /// counted as 1; a cost above a policy's burst is always refused.
    pub fn cost_fn(
        mut self,
        cost: impl Fn(&RequestView<'_>) -> u32 + Send + Sync + 'static,
    ) -> Self {
        self.cost = Cost::Fn(Box::new(cost));
        self
    }

    /// The clock of the in-memory table (a [`FakeClock`](crate::FakeClock) in tests).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = TableClock::Other(Arc::new(clock));
        self
    }

    /// How often the background thread sweeps stale keys (default 30 s);
    /// `None` runs no thread (sweep with [`RateLimitLayer::sweep`]).
    pub fn sweep_every(mut self, every: Option<Duration>) -> Self {
        self.sweep_every = every;
        self
    }

    /// Shares the quota in Redis instead of keeping it in this process.
    #[cfg(feature = "redis")]
    pub fn redis(mut self, backend: crate::redis::RedisBackend) -> Self {
        self.redis = Some(backend);
        self
    }

    /// Builds the layer, allocating its table.
    ///
    /// # Errors
    ///
    /// Refuses no policy or more than 8 (`policies`), two policies of one
    /// name (`policies[i].name`), fewer than 64 keys (`max_keys`), a fixed
    /// cost above a policy's burst (`cost`), a zero sweep interval
    /// (`sweep_every`) and a background thread that cannot start.
    pub fn build(self) -> Result<RateLimitLayer, ConfigError> {
        self.check()?;
        let gcra: Box<[Gcra]> = self.policies.iter().map(|p| Gcra::of(p.quota())).collect();

        #[cfg(feature = "redis")]
        let (hashing, backend) = match self.redis {
            Some(redis) => {
                let hashing = Hashing::seeded(redis.seed());
                let limiter = redis.into_limiter(&self.policies, self.max_keys);
                (hashing, Backend::Redis(Box::new(limiter)))
            }
            None => (
                Hashing::random(),
                Backend::Memory(Arc::new(self.memory(&gcra))),
            ),
        };
        #[cfg(not(feature = "redis"))]
        let (hashing, backend) = (
            Hashing::random(),
            Backend::Memory(Arc::new(self.memory(&gcra))),
        );

        let mut exempt_keys: Vec<u64> = self
            .exempt_keys
            .iter()
            .map(|k| hashing.literal(k))
            .collect();
        exempt_keys.sort_unstable();

        let shared = Arc::new(Shared {
            name: self.name,
            policy_header: policy_field(&self.policies),
            extractor: self.extractor,
            policies: self.policies.into(),
            gcra,
            backend,
            hashing,
            fingerprint: foldhash::quality::RandomState::default(),
            on_missing_key: self.on_missing_key,
            headers: self.headers,
            shadow: self.shadow,
            exempt_networks: self.exempt_networks,
            exempt_keys,
            methods: self.methods,
            path_prefixes: self.path_prefixes,
            cost: self.cost,
            counters: Counters::default(),
            last_full_warning: AtomicU64::new(0),
            rejections: Rejections::new(),
            sweeper: Mutex::new(None),
        });
        shared.start_sweeper(self.sweep_every)?;
        Ok(RateLimitLayer { shared })
    }

    fn memory(&self, gcra: &[Gcra]) -> MemoryLimiter {
        MemoryLimiter::new(
            gcra.into(),
            self.max_keys,
            self.when_full,
            self.clock.clone(),
        )
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.policies.is_empty() || self.policies.len() > MAX_POLICIES {
            return Err(ConfigError::new("policies", "must hold 1 to 8 policies"));
        }
        for (i, policy) in self.policies.iter().enumerate() {
            if self.policies[..i].iter().any(|p| p.name() == policy.name()) {
                return Err(ConfigError::new(
                    format!("policies[{i}].name"),
                    "is used twice",
                ));
            }
        }
        if self.max_keys < MIN_KEYS {
            return Err(ConfigError::new("max_keys", "must be at least 64"));
        }
        if let Cost::Fixed(cost) = self.cost
            && let Some(p) = self
                .policies
                .iter()
                .find(|p| p.quota().burst().get() < cost)
        {
            let message = format!("is above the burst of policy \"{}\"", p.name());
            return Err(ConfigError::new("cost", message));
        }
        if self.sweep_every == Some(Duration::ZERO) {
            return Err(ConfigError::new("sweep_every", "must not be zero"));
        }
        Ok(())
    }
}

#[derive(Debug)]
pub(crate) enum Backend {
    Memory(Arc<MemoryLimiter>),
    #[cfg(feature = "redis")]
    Redis(Box<crate::redis::RedisLimiter>),
}

struct Rejections {
    limited: PreparedRejection,
    unavailable: PreparedRejection,
    table_full: PreparedRejection,
    bad_request: PreparedRejection,
    unauthorized: PreparedRejection,
}

impl Rejections {
    fn new() -> Self {
        let make = |status, code, title, detail: &'static str| {
            Rejection::new(Layer::RateLimit, status, code, title)
                .with_detail(detail)
                .prepare()
        };
        Self {
            limited: make(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too Many Requests",
                "The client sent too many requests; retry after the time in Retry-After.",
            ),
            unavailable: make(
                StatusCode::SERVICE_UNAVAILABLE,
                "rate-limit-unavailable",
                "Service Unavailable",
                "The rate limiter cannot decide now; retry after the time in Retry-After.",
            ),
            table_full: make(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limit-capacity",
                "Too Many Requests",
                "The rate limiter tracks too many clients to admit a new one now.",
            ),
            bad_request: make(
                StatusCode::BAD_REQUEST,
                "rate-limit-key-missing",
                "Bad Request",
                "The request does not say who sends it.",
            ),
            unauthorized: make(
                StatusCode::UNAUTHORIZED,
                "rate-limit-key-missing",
                "Unauthorized",
                "The request does not say who sends it.",
            ),
        }
    }
}

/// What the layer decided before calling the inner service.
pub(crate) enum Verdict<B> {
    /// Call the inner service, adding these fields to its response.
    Pass(Option<Fields>),
    /// Answer with this response.
    Refuse(Refusal<B>),
}

/// What the layer must decide with the backend.
pub(crate) struct Check {
    pub(crate) hash: u64,
    pub(crate) identity: u64,
    pub(crate) cost: u32,
}

/// Before the backend: filtered out, exempt, keyless, or to check.
pub(crate) enum Precheck<B> {
    Done(Verdict<B>),
    Check(Check),
}

pub(crate) struct Shared {
    name: String,
    extractor: Box<dyn KeyExtractor>,
    policies: Box<[Policy]>,
    gcra: Box<[Gcra]>,
    pub(crate) backend: Backend,
    hashing: Hashing,
    fingerprint: foldhash::quality::RandomState,
    on_missing_key: OnMissingKey,
    headers: Headers,
    shadow: bool,
    exempt_networks: Vec<IpNet>,
    exempt_keys: Vec<u64>,
    methods: Option<Vec<Method>>,
    path_prefixes: Vec<String>,
    cost: Cost,
    pub(crate) counters: Counters,
    last_full_warning: AtomicU64,
    rejections: Rejections,
    policy_header: HeaderValue,
    sweeper: Mutex<Option<Sweeper>>,
}

impl Shared {
    /// Filters, exemptions and key extraction.
    #[inline]
    pub(crate) fn precheck<B>(&self, request: &RequestView<'_>) -> Precheck<B> {
        if !self.applies_to(request) {
            return Precheck::Done(Verdict::Pass(None));
        }
        if self.network_is_exempt(request) {
            Counters::bump(&self.counters.exempt);
            return Precheck::Done(Verdict::Pass(None));
        }

        let mut key = KeyWriter::new(&self.hashing);
        if self.extractor.extract(request, &mut key).is_err() {
            return Precheck::Done(self.missing_key());
        }
        let (identity, hash) = key.finish();
        if self.exempt_keys.binary_search(&identity).is_ok() {
            Counters::bump(&self.counters.exempt);
            return Precheck::Done(Verdict::Pass(None));
        }

        let cost = match &self.cost {
            Cost::Fixed(cost) => *cost,
            Cost::Fn(cost) => cost(request).max(1),
        };
        Precheck::Check(Check {
            hash,
            identity,
            cost,
        })
    }

    /// Decides with the in-memory backend; `None` with another backend.
    #[cfg_attr(
        not(feature = "redis"),
        allow(
            clippy::infallible_destructuring_match,
            reason = "one backend without redis"
        )
    )]
    #[inline]
    pub(crate) fn check_in_memory<B>(&self, check: &Check) -> Option<Verdict<B>> {
        let memory = match &self.backend {
            Backend::Memory(memory) => memory,
            #[cfg(feature = "redis")]
            Backend::Redis(_) => return None,
        };
        Some(match memory.check_fast(check.hash, check.cost) {
            Ok(Checked::Allowed { debt }) => self.allowed(check, || Decision::allowed_one(debt)),
            Ok(Checked::Decided(decision, admission)) => {
                self.admitted(admission);
                self.verdict(check, &decision, true)
            }
            Err(_) => self.table_full(check),
        })
    }

    /// The verdict on an allowed request (already counted), logged;
    /// `decision` is made only when the fields go on allowed responses.
    #[inline]
    fn allowed<B>(&self, check: &Check, decision: impl FnOnce() -> Decision) -> Verdict<B> {
        tracing::trace!(target: "rimguard::ratelimit", limiter = %self.name, key_kind = self.extractor.kind(), key = %self.fingerprint(check.identity), "request allowed");
        if self.headers != Headers::Always {
            return Verdict::Pass(None);
        }
        let decision = decision();
        let fields = decision.has_state.then(|| {
            Box::new([
                self.policy_header.clone(),
                limit_field(&self.policies, &self.gcra, &decision),
            ])
        });
        Verdict::Pass(fields)
    }

    /// The verdict of a backend's decision, counted (unless the backend
    /// counted it already) and logged once.
    pub(crate) fn verdict<B>(
        &self,
        check: &Check,
        decision: &Decision,
        counted: bool,
    ) -> Verdict<B> {
        if decision.allowed {
            if !counted {
                Counters::bump(&self.counters.allowed);
            }
            return self.allowed(check, || *decision);
        }

        let key = self.fingerprint(check.identity);
        let violated = Violated(&self.policies, decision.violated);
        let retry_after = decision.retry_after_seconds();
        if self.shadow {
            Counters::bump(&self.counters.shadow_limited);
            tracing::debug!(target: "rimguard::ratelimit", limiter = %self.name, key_kind = self.extractor.kind(), key = %key, policies = %violated, retry_after, "request would be rate limited (shadow mode)");
            return Verdict::Pass(None);
        }

        Counters::bump(&self.counters.limited);
        tracing::debug!(target: "rimguard::ratelimit", limiter = %self.name, key_kind = self.extractor.kind(), key = %key, policies = %violated, retry_after, unavailable = decision.unavailable, "request rate limited");
        let rejection = if decision.unavailable {
            &self.rejections.unavailable
        } else {
            &self.rejections.limited
        };
        let mut response = rejection.to_response();
        let headers = response.headers_mut();
        headers.insert(RETRY_AFTER, HeaderValue::from(retry_after));
        if decision.has_state {
            headers.insert(RATELIMIT_POLICY, self.policy_header.clone());
            headers.insert(RATELIMIT, limit_field(&self.policies, &self.gcra, decision));
        }
        Verdict::Refuse(Box::new(response))
    }

    #[inline]
    fn applies_to(&self, request: &RequestView<'_>) -> bool {
        if self.methods.is_none() && self.path_prefixes.is_empty() {
            return true;
        }
        let method_ok = self
            .methods
            .as_ref()
            .is_none_or(|m| m.contains(request.method()));
        let path = request.uri().path();
        let path_ok = self.path_prefixes.is_empty()
            || self
                .path_prefixes
                .iter()
                .any(|p| path.starts_with(p.as_str()));
        method_ok && path_ok
    }

    #[inline]
    fn network_is_exempt(&self, request: &RequestView<'_>) -> bool {
        if self.exempt_networks.is_empty() {
            return false;
        }
        let Some(ip) = request.extensions().get::<ClientIp>() else {
            return false;
        };
        self.exempt_networks
            .iter()
            .any(|net| net.contains(&ip.addr()))
    }

    fn missing_key<B>(&self) -> Verdict<B> {
        Counters::bump(&self.counters.missing_key);
        tracing::debug!(target: "rimguard::ratelimit", limiter = %self.name, key_kind = self.extractor.kind(), on_missing_key = ?self.on_missing_key, "request has no rate limit key");
        match self.on_missing_key {
            OnMissingKey::Allow => Verdict::Pass(None),
            OnMissingKey::BadRequest => {
                Verdict::Refuse(Box::new(self.rejections.bad_request.to_response()))
            }
            OnMissingKey::Unauthorized => {
                Verdict::Refuse(Box::new(self.rejections.unauthorized.to_response()))
            }
        }
    }

    fn table_full<B>(&self, check: &Check) -> Verdict<B> {
        Counters::bump(&self.counters.refused_full);
        self.warn_full("refusing new keys");
        if self.shadow {
            Counters::bump(&self.counters.shadow_limited);
            tracing::debug!(target: "rimguard::ratelimit", limiter = %self.name, key_kind = self.extractor.kind(), key = %self.fingerprint(check.identity), "new key would be refused: table full (shadow mode)");
            return Verdict::Pass(None);
        }
        tracing::debug!(target: "rimguard::ratelimit", limiter = %self.name, key_kind = self.extractor.kind(), key = %self.fingerprint(check.identity), "new key refused: table full");
        let mut response = self.rejections.table_full.to_response();
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        Verdict::Refuse(Box::new(response))
    }

    fn admitted(&self, admission: Admission) {
        if admission == Admission::Evicted {
            Counters::bump(&self.counters.evicted);
            self.warn_full("evicting the stalest live keys");
        }
    }

    /// Logs at WARN that the table is full, at most once every 10 seconds.
    fn warn_full(&self, action: &'static str) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let last = self.last_full_warning.load(Ordering::Relaxed);
        if now >= last + 10
            && self
                .last_full_warning
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(target: "rimguard::ratelimit", limiter = %self.name, action, evicted = self.counters.evicted.load(Ordering::Relaxed), refused = self.counters.refused_full.load(Ordering::Relaxed), "rate limit table is full");
        }
    }

    fn fingerprint(&self, identity: u64) -> Fingerprint<'_> {
        Fingerprint(&self.fingerprint, identity)
    }

    fn memory(&self) -> Option<&Arc<MemoryLimiter>> {
        match &self.backend {
            Backend::Memory(memory) => Some(memory),
            #[cfg(feature = "redis")]
            Backend::Redis(redis) => redis.local(),
        }
    }

    fn stats(&self) -> RateLimitStats {
        let mut stats = self.counters.snapshot();
        match &self.backend {
            Backend::Memory(memory) => stats.allowed += memory.allowed(),
            #[cfg(feature = "redis")]
            Backend::Redis(redis) => stats.backend_down = redis.is_down(),
        }
        if let Some(memory) = self.memory() {
            stats.keys = memory.table().len() as u64;
            stats.max_keys = memory.table().capacity() as u64;
            stats.table_bytes = memory.table().bytes() as u64;
        }
        stats
    }

    fn sweep(&self) -> usize {
        let swept = self.memory().map_or(0, |memory| memory.sweep());
        self.counters
            .swept
            .fetch_add(swept as u64, Ordering::Relaxed);
        swept
    }

    fn start_sweeper(self: &Arc<Self>, every: Option<Duration>) -> Result<(), ConfigError> {
        let (Some(every), Some(memory)) = (every, self.memory()) else {
            return Ok(());
        };
        let counters = Arc::downgrade(self);
        let on_sweep = move |swept: usize| {
            if let Some(shared) = counters.upgrade() {
                shared
                    .counters
                    .swept
                    .fetch_add(swept as u64, Ordering::Relaxed);
            }
        };
        let sweeper = Sweeper::spawn(Arc::downgrade(memory), every, on_sweep)
            .map_err(|_| ConfigError::new("sweep_every", "the sweeper thread could not start"))?;
        *self.sweeper.lock().unwrap_or_else(|e| e.into_inner()) = Some(sweeper);
        Ok(())
    }
}

/// A key as logs show it: 32 bits of a hash with a per-process seed.
/// Computed only when a log event is written.
struct Fingerprint<'a>(&'a foldhash::quality::RandomState, u64);

impl fmt::Display for Fingerprint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0.hash_one(self.1) >> 32)
    }
}

/// The names of the policies that refused, for logs.
struct Violated<'a>(&'a [Policy], u8);

impl fmt::Display for Violated<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names = self
            .0
            .iter()
            .enumerate()
            .filter(|(i, _)| self.1 & (1 << i) != 0);
        if let Some((_, first)) = names.next() {
            f.write_str(first.name())?;
        }
        for (_, policy) in names {
            write!(f, ",{}", policy.name())?;
        }
        Ok(())
    }
}
