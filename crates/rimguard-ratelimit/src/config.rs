//! The serde form of one `[rate_limits.<name>]` table.
//!
//! ```toml
//! [rate_limits.per_ip]
//! key = "client-ip"                 # "client-ip", "phone", "api-key", "header", "global"
//! ipv6_prefix = 64
//! policies = [{ name = "burst", quota = 100, window = "1m", burst = 20 },
//!             { name = "daily", quota = 5000, window = "1d" }]
//! max_keys = 1_000_000
//! when_full = "evict-stalest"       # or "refuse"
//! on_missing_key = "bad-request"    # or "unauthorized", "allow"
//! headers = "always"                # or "on-limited"
//! shadow = false
//! exempt_networks = ["10.0.0.0/8"]
//! methods = ["POST"]
//! paths = ["/api/"]
//! backend = { redis = "redis://127.0.0.1:6379", on_failure = "local", timeout = "50ms", instances = 3 }
//! ```
//!
//! A Redis URL in the file must not hold a password; write
//! `redis = "env:RIMGUARD_REDIS_URL"` to read the URL from the environment.
//!
//! # Example
//!
//! ```
//! use rimguard_ratelimit::RateLimitConfig;
//!
//! let config: RateLimitConfig = toml::from_str(r#"
//!     key = "phone"
//!     policies = [{ name = "lookup", quota = 20, window = "1m" }]
//!     on_missing_key = "allow"
//! "#).unwrap();
//! let layer = config.to_layer("per_phone").unwrap();
//! # let _ = layer;
//!
//! let bad: RateLimitConfig = toml::from_str(r#"
//!     key = "client-ip"
//!     policies = [{ name = "burst", quota = 0, window = "1m" }]
//! "#).unwrap();
//! let error = bad.to_layer("per_ip").unwrap_err();
//! assert_eq!(error.field(), "rate_limits.per_ip.policies[0].quota");
//! ```

use std::num::NonZeroU32;
use std::time::Duration;

use http::{HeaderName, Method};
use ipnet::IpNet;
use rimguard_core::ConfigError;
use serde::Deserialize;

use crate::key::{
    ApiKeyIdKey, ClientIpKey, GlobalKey, HeaderKey, KeyExtractor, PhoneKey, RouteAnd,
};
use crate::layer::{Headers, OnMissingKey, RateLimitBuilder, RateLimitLayer};
use crate::quota::{Policy, Quota};
use crate::table::WhenFull;

/// One `[rate_limits.<name>]` table. See the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// What requests are counted against.
    pub key: KeyKind,
    /// The header name, for `key = "header"`.
    #[serde(default)]
    pub header: Option<String>,
    /// Count each route separately (route-and-key pairs).
    #[serde(default)]
    pub per_route: bool,
    /// IPv6 grouping for `key = "client-ip"` (default 64).
    #[serde(default)]
    pub ipv6_prefix: Option<u8>,
    /// IPv4 grouping for `key = "client-ip"` (default 32).
    #[serde(default)]
    pub ipv4_prefix: Option<u8>,
    /// The named policies; every one must allow a request.
    pub policies: Vec<PolicyConfig>,
    /// The most keys kept in memory (default 100 000).
    #[serde(default)]
    pub max_keys: Option<usize>,
    /// What a full table does with a new key.
    #[serde(default)]
    pub when_full: WhenFull,
    /// What to do with a request without a key.
    #[serde(default)]
    pub on_missing_key: OnMissingKey,
    /// When to send the `RateLimit` fields.
    #[serde(default)]
    pub headers: Headers,
    /// Count and log, never refuse.
    #[serde(default)]
    pub shadow: bool,
    /// Client networks never limited.
    #[serde(default)]
    pub exempt_networks: Vec<IpNet>,
    /// Keys never limited (API key ids, E.164 numbers, header values).
    #[serde(default)]
    pub exempt_keys: Vec<String>,
    /// Only these methods are limited (all when empty).
    #[serde(default)]
    pub methods: Vec<String>,
    /// Only paths starting with one of these are limited (all when empty).
    #[serde(default)]
    pub paths: Vec<String>,
    /// What each request costs (default 1).
    #[serde(default)]
    pub cost: Option<u32>,
    /// How often stale keys are swept (default "30s").
    #[serde(default)]
    pub sweep_every: Option<String>,
    /// A shared backend; in memory when absent.
    #[serde(default)]
    pub backend: Option<BackendConfig>,
}

/// The kinds of key a configuration can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyKind {
    /// The resolved client IP.
    ClientIp,
    /// The normalized caller phone number.
    Phone,
    /// The authenticated API key id.
    ApiKey,
    /// The value of the header named by `header`.
    Header,
    /// One key for everything.
    Global,
}

/// One `{ name, quota, window, burst }` policy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// The policy name in the response fields.
    pub name: String,
    /// Requests per window.
    pub quota: u32,
    /// The window, such as `"1m"` or `"1d"`.
    pub window: String,
    /// Requests at once (default: the quota).
    #[serde(default)]
    pub burst: Option<u32>,
}

/// `backend = { redis = "...", on_failure = "...", ... }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendConfig {
    /// The Redis URL (no password), or `env:NAME` to read it from the environment.
    pub redis: String,
    /// What to do when Redis fails: `"open"`, `"closed"` or `"local"` (default).
    #[serde(default)]
    pub on_failure: crate::OnFailure,
    /// The deadline of one decision (default `"100ms"`).
    #[serde(default)]
    pub timeout: Option<String>,
    /// How many instances share the quota (default 1).
    #[serde(default)]
    pub instances: Option<u32>,
    /// The key prefix (default `rimguard:rl:<name>`).
    #[serde(default)]
    pub key_prefix: Option<String>,
    /// How long to leave a failed Redis alone (default `"1s"`).
    #[serde(default)]
    pub retry_every: Option<String>,
    /// The environment variable holding the shared key seed (a u64).
    #[serde(default)]
    pub key_seed_env: Option<String>,
}

impl RateLimitConfig {
    /// The layer this table describes, named `name` in logs and keys.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] whose field is the dotted path from
    /// `rate_limits.<name>`.
    pub fn to_layer(&self, name: &str) -> Result<RateLimitLayer, ConfigError> {
        self.to_builder(name)?
            .build()
            .map_err(|e| e.within(&format!("rate_limits.{name}")))
    }

    /// The builder this table describes, to adjust further (a clock, a
    /// cost function) before building.
    ///
    /// # Errors
    ///
    /// As [`to_layer`](Self::to_layer).
    pub fn to_builder(&self, name: &str) -> Result<RateLimitBuilder, ConfigError> {
        self.builder(name)
            .map_err(|e| e.within(&format!("rate_limits.{name}")))
    }

    fn builder(&self, name: &str) -> Result<RateLimitBuilder, ConfigError> {
        let mut builder = RateLimitLayer::builder_boxed(self.extractor()?).name(name);
        for (i, policy) in self.policies.iter().enumerate() {
            builder = builder.policy(
                policy
                    .to_policy()
                    .map_err(|e| e.within(&format!("policies[{i}]")))?,
            );
        }
        if let Some(max_keys) = self.max_keys {
            builder = builder.max_keys(max_keys);
        }
        builder = builder
            .when_full(self.when_full)
            .on_missing_key(self.on_missing_key)
            .headers(self.headers)
            .shadow(self.shadow);
        for network in &self.exempt_networks {
            builder = builder.exempt_network(*network);
        }
        for key in &self.exempt_keys {
            builder = builder.exempt_key(key);
        }
        if !self.methods.is_empty() {
            builder = builder.methods(self.methods()?);
        }
        for path in &self.paths {
            builder = builder.path_prefix(path.clone());
        }
        if let Some(cost) = self.cost {
            builder = builder.cost(
                NonZeroU32::new(cost)
                    .ok_or_else(|| ConfigError::new("cost", "must not be zero"))?,
            );
        }
        if let Some(every) = &self.sweep_every {
            builder = builder.sweep_every(Some(duration(every, "sweep_every")?));
        }
        if let Some(backend) = &self.backend {
            builder = backend
                .apply(builder, name)
                .map_err(|e| e.within("backend"))?;
        }
        Ok(builder)
    }

    fn extractor(&self) -> Result<Box<dyn KeyExtractor>, ConfigError> {
        let ip = || -> Result<ClientIpKey, ConfigError> {
            let mut key = ClientIpKey::new();
            if let Some(prefix) = self.ipv6_prefix {
                key = key.ipv6_prefix(prefix)?;
            }
            if let Some(prefix) = self.ipv4_prefix {
                key = key.ipv4_prefix(prefix)?;
            }
            Ok(key)
        };
        let header = || -> Result<HeaderKey, ConfigError> {
            let name = self
                .header
                .as_deref()
                .ok_or_else(|| ConfigError::new("header", "is needed for key = \"header\""))?;
            let name = HeaderName::try_from(name)
                .map_err(|_| ConfigError::new("header", "is not a header name"))?;
            Ok(HeaderKey::new(name))
        };
        fn boxed<K: KeyExtractor>(key: K, per_route: bool) -> Box<dyn KeyExtractor> {
            if per_route {
                Box::new(RouteAnd(key))
            } else {
                Box::new(key)
            }
        }
        Ok(match self.key {
            KeyKind::ClientIp => boxed(ip()?, self.per_route),
            KeyKind::Phone => boxed(PhoneKey, self.per_route),
            KeyKind::ApiKey => boxed(ApiKeyIdKey, self.per_route),
            KeyKind::Header => boxed(header()?, self.per_route),
            KeyKind::Global => boxed(GlobalKey, self.per_route),
        })
    }

    fn methods(&self) -> Result<Vec<Method>, ConfigError> {
        let parse = |(i, m): (usize, &String)| {
            Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                .map_err(|_| ConfigError::new(format!("methods[{i}]"), "is not an HTTP method"))
        };
        self.methods.iter().enumerate().map(parse).collect()
    }
}

impl PolicyConfig {
    fn to_policy(&self) -> Result<Policy, ConfigError> {
        let quota = NonZeroU32::new(self.quota)
            .ok_or_else(|| ConfigError::new("quota", "must not be zero"))?;
        let mut quota = Quota::new(quota, duration(&self.window, "window")?)?;
        if let Some(burst) = self.burst {
            quota = quota.with_burst(
                NonZeroU32::new(burst)
                    .ok_or_else(|| ConfigError::new("burst", "must not be zero"))?,
            );
        }
        Policy::new(&self.name, quota)
    }
}

impl BackendConfig {
    #[cfg(feature = "redis")]
    fn apply(
        &self,
        builder: RateLimitBuilder,
        name: &str,
    ) -> Result<RateLimitBuilder, ConfigError> {
        let url = self.url()?;
        let mut backend = crate::RedisBackend::new(&url)?
            .on_failure(self.on_failure)
            .key_prefix(
                self.key_prefix
                    .clone()
                    .unwrap_or_else(|| format!("rimguard:rl:{name}")),
            );
        if let Some(timeout) = &self.timeout {
            backend = backend.timeout(duration(timeout, "timeout")?);
        }
        if let Some(every) = &self.retry_every {
            backend = backend.retry_every(duration(every, "retry_every")?);
        }
        if let Some(instances) = self.instances {
            let instances = NonZeroU32::new(instances)
                .ok_or_else(|| ConfigError::new("instances", "must not be zero"))?;
            backend = backend.instances(instances);
        }
        if let Some(var) = &self.key_seed_env {
            let seed = std::env::var(var)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok());
            let seed = seed.ok_or_else(|| {
                ConfigError::new("key_seed_env", "names no variable holding a u64")
            })?;
            backend = backend.key_seed(seed);
        }
        Ok(builder.redis(backend))
    }

    #[cfg(not(feature = "redis"))]
    fn apply(&self, _: RateLimitBuilder, _: &str) -> Result<RateLimitBuilder, ConfigError> {
        Err(ConfigError::new(
            "redis",
            "needs the redis feature of rimguard-ratelimit",
        ))
    }

    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    fn url(&self) -> Result<String, ConfigError> {
        let url = match self.redis.strip_prefix("env:") {
            Some(var) => std::env::var(var)
                .map_err(|_| ConfigError::new("redis", "names an unset environment variable"))?,
            None => {
                if has_password(&self.redis) {
                    return Err(ConfigError::new(
                        "redis",
                        "must not hold a password; use \"env:NAME\"",
                    ));
                }
                self.redis.clone()
            }
        };
        Ok(url)
    }
}

/// Whether a URL's authority has a `user:password@` part.
fn has_password(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':') || !userinfo.is_empty())
}

fn duration(text: &str, field: &str) -> Result<Duration, ConfigError> {
    let duration = humantime::parse_duration(text)
        .map_err(|_| ConfigError::new(field, "is not a duration such as \"1m\" or \"250ms\""))?;
    if duration.is_zero() {
        return Err(ConfigError::new(field, "must not be zero"));
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> RateLimitConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn the_architecture_sketch_parses_and_builds() {
        let config = parse(
            r#"
            key = "client-ip"
            ipv6_prefix = 64
            policies = [{ name = "burst", quota = 100, window = "1m" },
                        { name = "daily", quota = 5000, window = "1d" }]
            max_keys = 1_000
            backend = { redis = "redis://127.0.0.1:6379", on_failure = "local" }
            "#,
        );
        assert_eq!(config.policies.len(), 2);
        assert!(config.to_layer("per_ip").is_ok());
    }

    #[test]
    fn unknown_fields_are_refused() {
        let error =
            toml::from_str::<RateLimitConfig>("key = \"phone\"\npolicies = []\nlimit = 3\n");
        assert!(error.unwrap_err().to_string().contains("unknown field"));
    }

    #[test]
    fn errors_name_the_field_path() {
        let cases = [
            (
                r#"key = "client-ip"
                policies = [{ name = "a", quota = 1, window = "soon" }]"#,
                "rate_limits.x.policies[0].window",
            ),
            (
                r#"key = "client-ip"
                ipv6_prefix = 200
                policies = [{ name = "a", quota = 1, window = "1s" }]"#,
                "rate_limits.x.ipv6_prefix",
            ),
            (
                r#"key = "header"
                policies = [{ name = "a", quota = 1, window = "1s" }]"#,
                "rate_limits.x.header",
            ),
            (
                r#"key = "global"
                policies = [{ name = "a b", quota = 1, window = "1s" }]"#,
                "rate_limits.x.policies[0].name",
            ),
            (
                r#"key = "global"
                policies = [{ name = "a", quota = 1, window = "1s" }, { name = "a", quota = 2, window = "1s" }]"#,
                "rate_limits.x.policies[1].name",
            ),
            (
                r#"key = "global"
                max_keys = 10
                policies = [{ name = "a", quota = 1, window = "1s" }]"#,
                "rate_limits.x.max_keys",
            ),
            (
                r#"key = "global"
                policies = [{ name = "a", quota = 1, window = "1s" }]
                backend = { redis = "redis://user:hunter2@127.0.0.1:6379" }"#,
                "rate_limits.x.backend.redis",
            ),
            (
                r#"key = "global"
                policies = [{ name = "a", quota = 1, window = "1s" }]
                backend = { redis = "redis://127.0.0.1", timeout = "0s" }"#,
                "rate_limits.x.backend.timeout",
            ),
            (
                r#"key = "global"
                methods = ["GET", "NOT A METHOD"]
                policies = [{ name = "a", quota = 1, window = "1s" }]"#,
                "rate_limits.x.methods[1]",
            ),
        ];
        for (text, field) in cases {
            let error = parse(text).to_layer("x").unwrap_err();
            assert_eq!(error.field(), field, "{text}");
            assert!(!error.to_string().contains("hunter2"));
        }
    }
}
