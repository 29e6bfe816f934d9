//! Per-client rate limiting as a Tower layer, bounded under attack.
//!
//! [`RateLimitLayer`] counts each request against a key (the client IP,
//! the caller's phone number, an API key id, a header, a route-and-key
//! pair, one global key, or your own) and refuses a client that is over
//! its quota with `429 Too Many Requests`: an `application/problem+json`
//! body ([`rimguard_core::Rejection`], in the response extensions for the
//! audit layer), `Retry-After` in whole seconds rounded up and never 0,
//! and the `RateLimit-Policy` and `RateLimit` fields of
//! draft-ietf-httpapi-ratelimit-headers (see [`headers`]). Allowed
//! responses carry those fields too when [`Headers::Always`] is set.
//!
//! - **Quotas that read as what they mean**: [`Quota::per_minute`] with a
//!   [`burst`](Quota::with_burst); several named [`Policy`]s on one key
//!   (100 a minute *and* 5000 a day); a per-request [cost](RateLimitBuilder::cost_fn).
//! - **GCRA**, with governor's quota arithmetic ([`Quota::to_governor`]).
//! - **Bounded memory**: at most [`max_keys`](RateLimitBuilder::max_keys)
//!   keys in a table of 16 bytes per key and policy (24 for two policies),
//!   allocated once; no scan on the request path; a background sweeper
//!   empties stale keys; a full table evicts the stalest key or refuses new
//!   ones ([`WhenFull`]), counted and logged; [`RateLimitLayer::stats`]
//!   has the key gauge.
//! - **Exemptions** by network or key, a method and path filter, and a
//!   [shadow mode](RateLimitBuilder::shadow) that counts and logs what it
//!   would refuse, for a safe roll-out.
//! - **A Redis backend** ([`RedisBackend`], feature `redis`) for several
//!   instances sharing one quota: one atomic script per decision on Redis
//!   server time, a timeout, one re-used connection, and a failure policy
//!   ([`OnFailure`]): fail open, fail closed, or decide locally with the
//!   quota divided by the instance count; counted, logged, and recovered
//!   from by itself.
//! - **Logs** on target `rimguard::ratelimit`: one event per decision
//!   (TRACE when allowed, DEBUG when refused or refused-in-shadow), with the
//!   key as a 32-bit fingerprint, never raw.
//!
//! # Example
//!
//! A per-IP limit in front of the whole app and a per-phone limit on the
//! lookup route, in an axum app. `ClientIp` and `CallerPhone` are put in
//! the extensions by the client IP and phone layers; here the test does it.
//!
//! ```
//! use std::num::NonZeroU32;
//! use axum::{Router, routing::get};
//! use http::{Request, StatusCode};
//! use rimguard_core::{CallerPhone, ClientIp};
//! use rimguard_ratelimit::{OnMissingKey, PhoneKey, Policy, Quota, RateLimitLayer};
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), rimguard_core::ConfigError> {
//! let nz = |n| NonZeroU32::new(n).unwrap();
//! let per_ip = RateLimitLayer::per_client_ip(Quota::per_minute(nz(100)));
//! let per_phone = RateLimitLayer::builder(PhoneKey)
//!     .name("per_phone")
//!     .policy(Policy::new("lookup", Quota::per_minute(nz(2)))?)
//!     .on_missing_key(OnMissingKey::Allow)
//!     .build()?;
//!
//! let app = Router::new()
//!     .route("/customers/lookup", get(|| async { "found" }).layer(per_phone))
//!     .layer(per_ip);
//!
//! let lookup = || {
//!     let mut request = Request::get("/customers/lookup").body(axum::body::Body::empty()).unwrap();
//!     request.extensions_mut().insert(ClientIp::from_peer("203.0.113.7".parse().unwrap()));
//!     request.extensions_mut().insert(CallerPhone::from_e164("+447911123456").unwrap());
//!     request
//! };
//! assert_eq!(app.clone().oneshot(lookup()).await.unwrap().status(), StatusCode::OK);
//! assert_eq!(app.clone().oneshot(lookup()).await.unwrap().status(), StatusCode::OK);
//!
//! let refused = app.oneshot(lookup()).await.unwrap();
//! assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
//! assert_eq!(refused.headers()["retry-after"], "30");
//! assert_eq!(refused.headers()["ratelimit-policy"], "\"lookup\";q=2;w=60");
//! assert_eq!(refused.headers()["ratelimit"], "\"lookup\";r=0;t=30");
//! # Ok(())
//! # }
//! ```
//!
//! The same from configuration, as the `[rate_limits.<name>]` tables of
//! `rimguard.toml` ([`RateLimitConfig`]):
//!
//! ```
//! let config: rimguard_ratelimit::RateLimitConfig = toml::from_str(r#"
//!     key = "client-ip"
//!     ipv6_prefix = 64
//!     policies = [{ name = "burst", quota = 100, window = "1m" },
//!                 { name = "daily", quota = 5000, window = "1d" }]
//!     max_keys = 1_000_000
//! "#).unwrap();
//! let per_ip = config.to_layer("per_ip").unwrap();
//! assert_eq!(per_ip.stats().max_keys, 999_936);
//! ```
//!
//! # Design choices
//!
//! **Own GCRA on a compact table, governor for the quota arithmetic.**
//! governor's keyed limiter keeps a `DashMap` of key → state: about 70
//! bytes per key with no bound and no eviction, a raw key stored in memory,
//! and it reads the clock *before* its compare-and-swap loop, so a thread
//! preempted between the two judges a request against a stale time and can
//! refuse it wrongly. governor's `StateStore` trait could host a bounded
//! store, but it hands the store a key (not a hash) and keeps the
//! clock-before-update order. This crate therefore runs the same GCRA
//! (a TAT per key and policy) in its own table: 64-bit keyed hashes (foldhash,
//! seeded at random per process) and 8-byte TATs, two 8-slot buckets per
//! key in one of up to 64 cache-line-aligned shards. It uses 16 bytes per
//! key slot for one policy against governor's 50 to 70 bytes per key, and
//! in the benches (`docs/benchmarks.md`) it adds less per request than
//! tower_governor's layer at a million keys and as many instructions at
//! one and at ten thousand keys (a few nanoseconds more in time, see
//! Limitations). The quotas are governor's ([`governor::Quota`]).
//!
//! **The clock** is [`MonotonicClock`]: the CPU's time-stamp counter
//! through quanta (as governor uses), a few nanoseconds a read where
//! `clock_gettime` costs about twenty. It is read *after* the key's state,
//! never before (see the `no_refusal_below_the_quota` test).
//!
//! **Lock-free for keys already in the table, a shard lock for the rest.**
//! With one policy, a request of a key already in the table reads the
//! slot's key word and TAT without a lock, then the clock, and writes the
//! new TAT with one compare-and-swap; when another request of the same key
//! got in between, the swap fails and the decision is made again on a
//! fresh TAT with a fresh clock read, so no request is judged against a
//! time older than the state it moves. The TAT is stored XORed with the
//! key's hash, so a swap of a thread that still believes a slot is its
//! own fails once another key took the slot, without a 128-bit
//! compare-and-swap (which stable Rust does not offer portably). Changing
//! which key a slot holds (insert, reclaim, evict, sweep) takes the
//! shard's lock, and so does every decision of a limiter with several
//! policies, whose TATs must move together; under the lock the clock is
//! read after the lock is taken and clamped to the latest read of that
//! shard.
//!
//! **zerocopy** allocates the table's atomics from zeroed memory in safe
//! code (the crate forbids `unsafe`), so a large `max_keys` costs only the
//! pages its keys touch; the standard library has no stable safe way to do
//! that for atomics.
//!
//! **redis 1.x** with `ConnectionManager`: the client crate most Rust
//! services use, with a multiplexed connection that reconnects by itself.
//!
//! # Feature flags
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `redis` | yes | [`RedisBackend`] (redis, tokio) |
//! | `axum` | yes | axum's `MatchedPath` as the route of [`RouteAnd`] |
//!
//! # Limitations
//!
//! - Two different keys whose 64-bit hashes collide share a bucket; with a
//!   random seed that takes about 2³² keys in one table to happen once.
//!   Likewise, a lock-free update racing with the eviction of its key
//!   could land on the new key's state only if the two sealed states were
//!   equal, a chance of about 2⁻⁶⁴ per race.
//! - At one and at ten thousand live keys the layer adds as many
//!   instructions per request as tower_governor's (0.98× and 1.02× under
//!   callgrind) but still a few nanoseconds more in time on the bench
//!   machine (typically 1.05 to 1.1×, 5 to 10 ns); the goal of no more
//!   than tower_governor's is met at a million keys only.
//! - A limiter with several policies takes its shard's lock on every
//!   decision (one policy is lock-free for known keys): several TATs
//!   cannot move together with one compare-and-swap.
//! - On the lock-free path the clock is not clamped to earlier reads: two
//!   cores whose time-stamp counters disagree by a few nanoseconds can
//!   judge a request a few nanoseconds early, which matters only for a
//!   request within those nanoseconds of its quota's edge.
//! - A full table with [`WhenFull::EvictStalest`] forgets the evicted
//!   client's state, so under a flood of new keys an old client may get up
//!   to one extra burst. [`WhenFull::Refuse`] keeps old clients exact and
//!   locks new ones out instead.
//! - Two buckets of eight slots per key fill unevenly: a table starts to
//!   evict (or refuse) before it is full, at about three quarters of
//!   `max_keys` live keys. Set `max_keys` to about 1.4 times the live keys
//!   that must keep their exact state; the bound itself is never exceeded.
//! - The table is allocated at its full size when the layer is built
//!   (pages are mapped as keys touch them); size `max_keys` for the flood
//!   you expect, not for the clients you have.
//! - The local fallback of the Redis backend starts empty: the first burst
//!   after Redis fails is allowed again on each instance.
//! - Keys in Redis are hashes with a seed that every instance must share
//!   ([`RedisBackend::key_seed`], default 0): set a secret seed, or anyone
//!   who reads Redis can test guesses of an IP or phone number against it.
//! - The Redis backend runs its deadline on Tokio's timer: it needs a
//!   Tokio runtime (axum and hyper-util servers have one).
//! - The Redis backend talks to one Redis server (or the primary a URL
//!   names), not to a Redis Cluster: the keys of one decision's policies
//!   are not placed in one hash slot.
//! - `OnMissingKey::Unauthorized` answers 401 without a
//!   `WWW-Authenticate` field: the limiter does not know the scheme; put
//!   the authentication layer in front of it, or add the field outside.
//! - The RateLimit fields carry no partition key (`pk`) and no quota unit
//!   other than requests.

mod clock;
pub mod config;
mod future;
mod gcra;
pub mod headers;
pub mod key;
mod layer;
pub mod quota;
#[cfg(feature = "redis")]
mod redis;
mod service;
mod stats;
mod table;

pub use clock::{Clock, FakeClock, MonotonicClock};
pub use config::RateLimitConfig;
pub use future::ResponseFuture;
pub use key::{
    ApiKeyIdKey, ClientIpKey, GlobalKey, HeaderKey, KeyExtractor, KeyWriter, MissingKey, PhoneKey,
    RequestView, RouteAnd, key_fn,
};
pub use layer::{Headers, OnFailure, OnMissingKey, RateLimitBuilder, RateLimitLayer};
pub use quota::{Policy, Quota};
#[cfg(feature = "redis")]
pub use redis::RedisBackend;
pub use service::RateLimit;
pub use stats::RateLimitStats;
pub use table::WhenFull;
