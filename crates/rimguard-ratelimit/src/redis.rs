//! The Redis backend: one quota shared by several instances.
//!
//! Every decision is one Lua script run atomically by Redis: it reads the
//! server's clock (`TIME`), so instances whose clocks differ still agree,
//! checks every policy with the same GCRA as the in-memory backend, moves
//! the TATs forward only when every policy allows the request, and lets
//! each key expire once its state is stale. Keys are
//! `<prefix>:<policy>:<hash>`, where the hash is a 64-bit keyed hash of
//! the client's key with a seed that every instance shares
//! ([`RedisBackend::key_seed`]): Redis never holds a raw IP, phone number
//! or API key id.
//!
//! One multiplexed connection ([`redis::aio::ConnectionManager`]) is
//! opened on the first request and re-used by every request; it reconnects
//! by itself. Each decision has a deadline ([`RedisBackend::timeout`]).
//! When Redis fails or is late, [`OnFailure`] decides, every such decision
//! is counted (`backend_fallbacks`) and the first of an outage is logged at
//! WARN; Redis is then left alone for [`RedisBackend::retry_every`] before
//! the next request tries it again, and its return is logged and counted
//! (`backend_recoveries`).

use std::fmt;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use rimguard_core::ConfigError;

use crate::clock::{Clock, MonotonicClock, TableClock};
use crate::gcra::{Decision, MAX_POLICIES, MemoryLimiter};
use crate::layer::OnFailure;
use crate::quota::{Gcra, Policy};
use crate::stats::Counters;
use crate::table::WhenFull;

const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cost = tonumber(ARGV[1])
local allowed = 1
local starts = {}
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i])
  local capacity = tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  starts[i] = tat
  if tat - now + cost * interval > capacity then allowed = 0 end
end
local out = { allowed }
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i])
  local capacity = tonumber(ARGV[2 * i + 1])
  local tat = starts[i]
  local wait = 0
  if allowed == 1 then
    tat = tat + cost * interval
    local ttl = math.ceil((tat - now) / 1000) + 1
    redis.call('SET', KEYS[i], string.format('%.0f', tat), 'PX', ttl)
  else
    local over = tat - now + cost * interval - capacity
    if over > 0 then wait = over end
  end
  out[2 * i] = math.floor(tat - now)
  out[2 * i + 1] = math.ceil(wait)
end
return out
";

/// Where and how a limiter shares its state in Redis.
///
/// # Example
///
/// ```
/// use std::num::NonZeroU32;
/// use std::time::Duration;
/// use rimguard_ratelimit::{OnFailure, RedisBackend};
///
/// let backend = RedisBackend::new("redis://127.0.0.1:6379")
///     .unwrap()
///     .key_prefix("shop:rl:per-ip")
///     .timeout(Duration::from_millis(50))
///     .on_failure(OnFailure::Local)
///     .instances(NonZeroU32::new(3).unwrap());
/// # let _ = backend;
/// ```
#[derive(Clone)]
pub struct RedisBackend {
    client: redis::Client,
    key_prefix: String,
    timeout: Duration,
    on_failure: OnFailure,
    instances: NonZeroU32,
    retry_every: Duration,
    key_seed: u64,
}

impl RedisBackend {
    /// A backend at `url` (`redis://host:port/db`), with a 100 ms timeout,
    /// [`OnFailure::Local`], one instance and key prefix `rimguard:rl`.
    ///
    /// # Errors
    ///
    /// Refuses a URL that is not a Redis URL.
    pub fn new(url: &str) -> Result<Self, ConfigError> {
        let client = redis::Client::open(url)
            .map_err(|_| ConfigError::new("redis", "is not a redis:// URL"))?;
        Ok(Self {
            client,
            key_prefix: "rimguard:rl".to_owned(),
            timeout: Duration::from_millis(100),
            on_failure: OnFailure::Local,
            instances: NonZeroU32::MIN,
            retry_every: Duration::from_secs(1),
            key_seed: 0,
        })
    }

    /// The prefix of every key this limiter writes. Give each limiter its own.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// The deadline of one decision, connecting included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// What to do when Redis fails or is late.
    pub fn on_failure(mut self, on_failure: OnFailure) -> Self {
        self.on_failure = on_failure;
        self
    }

    /// How many instances share the quota, to size the local fallback.
    pub fn instances(mut self, instances: NonZeroU32) -> Self {
        self.instances = instances;
        self
    }

    /// How long to leave a failed Redis alone before trying it again.
    pub fn retry_every(mut self, every: Duration) -> Self {
        self.retry_every = every;
        self
    }

    /// The seed of the key hash. Every instance sharing the quota must use
    /// the same one; a seed kept secret keeps the keys in Redis from being
    /// matched to clients by anyone who can read Redis.
    pub fn key_seed(mut self, seed: u64) -> Self {
        self.key_seed = seed;
        self
    }

    pub(crate) fn seed(&self) -> u64 {
        self.key_seed
    }

    pub(crate) fn into_limiter(self, policies: &[Policy], max_keys: usize) -> RedisLimiter {
        let gcra: Vec<Gcra> = policies.iter().map(|p| Gcra::of(p.quota())).collect();
        let fallback = (self.on_failure == OnFailure::Local).then(|| {
            let shares = policies
                .iter()
                .map(|p| Gcra::of(&p.quota().divided_by(self.instances)));
            Arc::new(MemoryLimiter::new(
                shares.collect(),
                max_keys,
                WhenFull::EvictStalest,
                TableClock::Monotonic(MonotonicClock::new()),
            ))
        });
        let args = gcra
            .iter()
            .flat_map(|g| [micros(g.interval), micros(g.capacity)])
            .collect();
        RedisLimiter {
            client: self.client,
            connection: OnceLock::new(),
            script: redis::Script::new(SCRIPT),
            key_prefix: self.key_prefix,
            policy_names: policies.iter().map(|p| p.name().to_owned()).collect(),
            args,
            timeout: self.timeout,
            retry_every: self.retry_every,
            on_failure: self.on_failure,
            fallback,
            clock: MonotonicClock::new(),
            skip_until: AtomicU64::new(0),
            down: AtomicBool::new(false),
        }
    }
}

impl fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBackend")
            .field("url", &"<redacted>")
            .field("key_prefix", &self.key_prefix)
            .field("timeout", &self.timeout)
            .field("on_failure", &self.on_failure)
            .field("instances", &self.instances)
            .field("retry_every", &self.retry_every)
            .finish_non_exhaustive()
    }
}

/// Nanoseconds as a decimal number of microseconds.
fn micros(nanos: u64) -> String {
    format!("{}.{:03}", nanos / 1000, nanos % 1000)
}

pub(crate) struct RedisLimiter {
    client: redis::Client,
    connection: OnceLock<ConnectionManager>,
    script: redis::Script,
    key_prefix: String,
    policy_names: Box<[String]>,
    args: Box<[String]>,
    timeout: Duration,
    retry_every: Duration,
    on_failure: OnFailure,
    fallback: Option<Arc<MemoryLimiter>>,
    clock: MonotonicClock,
    skip_until: AtomicU64,
    down: AtomicBool,
}

impl fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("key_prefix", &self.key_prefix)
            .field("on_failure", &self.on_failure)
            .field("down", &self.down.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl RedisLimiter {
    /// Decides a request of `cost` for the key `hash`: in Redis, or by the
    /// failure policy when Redis fails or is late.
    pub(crate) async fn check(&self, hash: u64, cost: u32, counters: &Counters) -> Decision {
        if self.clock.now_nanos() >= self.skip_until.load(Ordering::Relaxed) {
            match tokio::time::timeout(self.timeout, self.run(hash, cost)).await {
                Ok(Ok(decision)) => {
                    self.recovered(counters);
                    return decision;
                }
                Ok(Err(error)) => self.failed(&format!("{:?}", error.kind())),
                Err(_) => self.failed("timeout"),
            }
        }
        Counters::bump(&counters.backend_fallbacks);
        self.fall_back(hash, cost)
    }

    async fn run(&self, hash: u64, cost: u32) -> redis::RedisResult<Decision> {
        let mut connection = self.connection().await?;
        let mut invocation = self.script.prepare_invoke();
        for name in &self.policy_names {
            invocation.key(format!("{}:{name}:{hash:016x}", self.key_prefix));
        }
        invocation.arg(cost);
        for arg in &self.args {
            invocation.arg(arg);
        }
        let reply: Vec<i64> = invocation.invoke_async(&mut connection).await?;
        Ok(self.decision(&reply))
    }

    async fn connection(&self) -> redis::RedisResult<ConnectionManager> {
        if let Some(connection) = self.connection.get() {
            return Ok(connection.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_lazy_with_config(self.client.clone(), config)?;
        Ok(self.connection.get_or_init(|| connection).clone())
    }

    fn decision(&self, reply: &[i64]) -> Decision {
        let mut decision = Decision::open();
        decision.has_state = true;
        decision.allowed = reply.first() == Some(&1);
        for i in 0..self.policy_names.len().min(MAX_POLICIES) {
            let debt = reply.get(1 + 2 * i).copied().unwrap_or(0).max(0) as u64;
            let wait = reply.get(2 + 2 * i).copied().unwrap_or(0).max(0) as u64;
            decision.debts[i] = debt * 1000;
            if wait > 0 {
                decision.violated |= 1 << i;
                decision.wait = decision.wait.max(wait * 1000);
            }
        }
        decision
    }

    fn failed(&self, reason: &str) {
        let retry_at =
            self.clock.now_nanos() + u64::try_from(self.retry_every.as_nanos()).unwrap_or(u64::MAX);
        self.skip_until.store(retry_at, Ordering::Relaxed);
        if !self.down.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                target: "rimguard::ratelimit",
                reason,
                on_failure = ?self.on_failure,
                "redis backend failed; deciding by the failure policy"
            );
        }
    }

    fn recovered(&self, counters: &Counters) {
        if self.down.swap(false, Ordering::Relaxed) {
            Counters::bump(&counters.backend_recoveries);
            tracing::info!(target: "rimguard::ratelimit", "redis backend recovered");
        }
    }

    fn fall_back(&self, hash: u64, cost: u32) -> Decision {
        match (self.on_failure, &self.fallback) {
            (OnFailure::Local, Some(local)) => match local.check(hash, cost) {
                Ok((decision, _)) => Decision {
                    has_state: false,
                    ..decision
                },
                Err(_) => Decision::closed(self.retry_every),
            },
            (OnFailure::Open, _) | (OnFailure::Local, None) => Decision::open(),
            (OnFailure::Closed, _) => Decision::closed(self.retry_every),
        }
    }

    /// The local fallback limiter, when there is one.
    pub(crate) fn local(&self) -> Option<&Arc<MemoryLimiter>> {
        self.fallback.as_ref()
    }

    /// Whether the backend is failing now.
    pub(crate) fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }
}
