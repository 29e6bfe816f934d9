//! Counters of what a limiter decided, and its key gauge.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of a limiter's counters, from [`RateLimitLayer::stats`](crate::RateLimitLayer::stats).
///
/// Counters only grow; `keys` is a gauge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimitStats {
    /// Requests checked and allowed.
    pub allowed: u64,
    /// Requests refused with 429 (or 503 when a failed backend fails closed).
    pub limited: u64,
    /// Requests that shadow mode would have refused and let through.
    pub shadow_limited: u64,
    /// Requests let through unchecked because their key or network is exempt.
    pub exempt: u64,
    /// Requests without a key (let through or refused, as configured).
    pub missing_key: u64,
    /// Live keys evicted to make room for a new key in a full table.
    pub evicted: u64,
    /// New keys refused because the table was full ([`WhenFull::Refuse`](crate::WhenFull::Refuse)).
    pub refused_full: u64,
    /// Stale keys emptied by the background sweeper.
    pub swept: u64,
    /// Decisions made by the failure policy because the shared backend
    /// failed or timed out.
    pub backend_fallbacks: u64,
    /// Times the shared backend came back after failing.
    pub backend_recoveries: u64,
    /// Whether the shared backend is failing now.
    pub backend_down: bool,
    /// Keys in the in-memory table now (live, or stale and not yet swept).
    pub keys: u64,
    /// The most keys the in-memory table holds.
    pub max_keys: u64,
    /// Bytes the in-memory table takes.
    pub table_bytes: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) allowed: AtomicU64,
    pub(crate) limited: AtomicU64,
    pub(crate) shadow_limited: AtomicU64,
    pub(crate) exempt: AtomicU64,
    pub(crate) missing_key: AtomicU64,
    pub(crate) evicted: AtomicU64,
    pub(crate) refused_full: AtomicU64,
    pub(crate) swept: AtomicU64,
    pub(crate) backend_fallbacks: AtomicU64,
    pub(crate) backend_recoveries: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> RateLimitStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        RateLimitStats {
            allowed: get(&self.allowed),
            limited: get(&self.limited),
            shadow_limited: get(&self.shadow_limited),
            exempt: get(&self.exempt),
            missing_key: get(&self.missing_key),
            evicted: get(&self.evicted),
            refused_full: get(&self.refused_full),
            swept: get(&self.swept),
            backend_fallbacks: get(&self.backend_fallbacks),
            backend_recoveries: get(&self.backend_recoveries),
            ..RateLimitStats::default()
        }
    }
}
