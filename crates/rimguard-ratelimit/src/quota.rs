//! Quotas and named policies.
//!
//! A [`Quota`] reads as what it means: `Quota::per_minute(100)` is a hundred
//! requests a minute, and [`Quota::with_burst`] says how many of them may
//! come at once. A [`Policy`] gives a quota the name that the `RateLimit`
//! and `RateLimit-Policy` response fields carry; a limiter checks every
//! policy it has on every request (100 a minute *and* 5000 a day).
//!
//! The arithmetic is governor's: a quota is turned into a
//! [`governor::Quota`], whose replenish interval and burst size are the
//! emission interval and capacity of the GCRA that this crate runs.
//!
//! # Example
//!
//! ```
//! use std::num::NonZeroU32;
//! use std::time::Duration;
//! use rimguard_ratelimit::{Policy, Quota};
//!
//! let per_minute = Quota::per_minute(NonZeroU32::new(100).unwrap())
//!     .with_burst(NonZeroU32::new(20).unwrap());
//! assert_eq!(per_minute.emission_interval(), Duration::from_millis(600));
//! assert_eq!(per_minute.burst().get(), 20);
//!
//! let policy = Policy::new("burst", per_minute).unwrap();
//! assert_eq!(policy.name(), "burst");
//! assert!(Policy::new("no spaces", per_minute).is_err());
//! ```

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use rimguard_core::ConfigError;

/// A number of requests allowed in a time window, and how many may come at once.
///
/// The burst is the bucket's capacity; it defaults to the whole count, so
/// `per_minute(100)` lets a fresh client send 100 requests at once and then
/// one every 600 ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    count: NonZeroU32,
    window: Duration,
    burst: NonZeroU32,
}

impl Quota {
    /// `count` requests per second.
    pub const fn per_second(count: NonZeroU32) -> Self {
        Self::fixed(count, 1)
    }

    /// `count` requests per minute.
    pub const fn per_minute(count: NonZeroU32) -> Self {
        Self::fixed(count, 60)
    }

    /// `count` requests per hour.
    pub const fn per_hour(count: NonZeroU32) -> Self {
        Self::fixed(count, 3600)
    }

    /// `count` requests per day (86 400 s).
    pub const fn per_day(count: NonZeroU32) -> Self {
        Self::fixed(count, 86_400)
    }

    const fn fixed(count: NonZeroU32, seconds: u64) -> Self {
        Self {
            count,
            window: Duration::from_secs(seconds),
            burst: count,
        }
    }

    /// `count` requests per `window`.
    ///
    /// # Errors
    ///
    /// Refuses a window shorter than one nanosecond per request or longer
    /// than a year.
    pub fn new(count: NonZeroU32, window: Duration) -> Result<Self, ConfigError> {
        if window < Duration::from_nanos(u64::from(count.get())) {
            return Err(ConfigError::new(
                "window",
                "must be at least one nanosecond per request",
            ));
        }
        if window > Duration::from_secs(366 * 86_400) {
            return Err(ConfigError::new("window", "must not be longer than a year"));
        }
        Ok(Self {
            count,
            window,
            burst: count,
        })
    }

    /// The same rate with a bucket of `burst` requests: at most `burst`
    /// requests at once, then one per [`emission_interval`](Self::emission_interval).
    pub const fn with_burst(mut self, burst: NonZeroU32) -> Self {
        self.burst = burst;
        self
    }

    /// The number of requests per window.
    pub const fn count(&self) -> NonZeroU32 {
        self.count
    }

    /// The window.
    pub const fn window(&self) -> Duration {
        self.window
    }

    /// How many requests may come at once.
    pub const fn burst(&self) -> NonZeroU32 {
        self.burst
    }

    /// The time one request's worth of quota takes to come back: the window
    /// divided by the count.
    pub fn emission_interval(&self) -> Duration {
        self.to_governor().replenish_interval()
    }

    /// The same quota in governor's terms.
    pub fn to_governor(&self) -> governor::Quota {
        let period = (self.window / self.count.get()).max(Duration::from_nanos(1));
        governor::Quota::with_period(period)
            .expect("a period of at least one nanosecond is a valid governor quota")
            .allow_burst(self.burst)
    }

    /// The quota each of `instances` local limiters gets so that together
    /// they allow about this quota: count and burst divided, at least one.
    pub fn divided_by(&self, instances: NonZeroU32) -> Self {
        let share =
            |n: NonZeroU32| NonZeroU32::new(n.get() / instances.get()).unwrap_or(NonZeroU32::MIN);
        Self {
            count: share(self.count),
            window: self.window,
            burst: share(self.burst),
        }
    }
}

/// A quota with the name that response fields and logs call it by.
///
/// Names are 1 to 32 characters of ASCII letters, digits, `-`, `_` and `.`,
/// so they fit a structured-field string and a Redis key as they are.
#[derive(Clone, PartialEq, Eq)]
pub struct Policy {
    name: Arc<str>,
    quota: Quota,
}

impl Policy {
    /// A policy called `name`.
    ///
    /// # Errors
    ///
    /// Refuses a name that is empty, longer than 32 characters or holds
    /// anything but ASCII letters, digits, `-`, `_` and `.`.
    pub fn new(name: &str, quota: Quota) -> Result<Self, ConfigError> {
        let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
        if name.is_empty() || name.len() > 32 || !name.bytes().all(allowed) {
            return Err(ConfigError::new(
                "name",
                "must be 1 to 32 ASCII letters, digits, '-', '_' or '.'",
            ));
        }
        Ok(Self {
            name: Arc::from(name),
            quota,
        })
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The quota.
    pub fn quota(&self) -> &Quota {
        &self.quota
    }

    /// The window in whole seconds, rounded up, at least 1: the `w` of
    /// the `RateLimit-Policy` field.
    pub fn window_seconds(&self) -> u64 {
        ceil_seconds(self.quota.window.as_nanos()).max(1)
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("name", &self.name)
            .field("quota", &self.quota)
            .finish()
    }
}

/// Nanoseconds rounded up to whole seconds.
pub(crate) fn ceil_seconds(nanos: u128) -> u64 {
    u64::try_from(nanos.div_ceil(1_000_000_000)).unwrap_or(u64::MAX)
}

/// The GCRA parameters of one policy, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gcra {
    /// Emission interval: the time one unit of quota takes to come back.
    pub(crate) interval: u64,
    /// Capacity in time: burst × interval.
    pub(crate) capacity: u64,
}

impl Gcra {
    pub(crate) fn of(quota: &Quota) -> Self {
        let governor = quota.to_governor();
        let interval = u64::try_from(governor.replenish_interval().as_nanos()).unwrap_or(u64::MAX);
        let capacity = interval.saturating_mul(u64::from(governor.burst_size().get()));
        Self {
            interval: interval.max(1),
            capacity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nz(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    #[test]
    fn a_quota_per_minute_emits_one_request_per_sixtieth_of_its_count() {
        let gcra = Gcra::of(&Quota::per_minute(nz(100)));
        assert_eq!(gcra.interval, 600_000_000);
        assert_eq!(gcra.capacity, 60_000_000_000);
    }

    #[test]
    fn a_burst_sets_the_capacity_not_the_rate() {
        let gcra = Gcra::of(&Quota::per_minute(nz(100)).with_burst(nz(20)));
        assert_eq!(gcra.interval, 600_000_000);
        assert_eq!(gcra.capacity, 12_000_000_000);
    }

    #[test]
    fn windows_that_cannot_be_timed_are_refused() {
        assert!(Quota::new(nz(10), Duration::from_nanos(5)).is_err());
        assert!(Quota::new(nz(10), Duration::from_secs(400 * 86_400)).is_err());
        assert!(Quota::new(nz(10), Duration::from_millis(50)).is_ok());
    }

    #[test]
    fn dividing_a_quota_keeps_at_least_one_request() {
        let quota = Quota::per_minute(nz(100)).with_burst(nz(3));
        let share = quota.divided_by(nz(4));
        assert_eq!(share.count().get(), 25);
        assert_eq!(share.burst().get(), 1);
    }

    #[test]
    fn a_quota_faster_than_one_request_a_nanosecond_is_clamped_not_a_panic() {
        let gcra = Gcra::of(&Quota::per_second(NonZeroU32::MAX));
        assert_eq!(gcra.interval, 1);
    }

    #[test]
    fn sub_second_windows_advertise_one_second() {
        let policy = Policy::new(
            "fast",
            Quota::new(nz(5), Duration::from_millis(200)).unwrap(),
        );
        assert_eq!(policy.unwrap().window_seconds(), 1);
    }
}
