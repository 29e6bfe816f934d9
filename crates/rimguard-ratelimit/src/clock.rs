//! Where the in-memory limiter reads the time.
//!
//! The limiter reads its clock *after* it has read the key's state, never
//! before. A limiter that reads the time first and then takes the state
//! can be preempted in between: another thread moves the state forward
//! with a later time, and the first thread then judges a conforming
//! request against a stale "now" and refuses it. Here the time is read
//! after the state, and the new state is written with a compare-and-swap
//! that fails when anything moved the state since it was read; the
//! decision is then made again with a fresh state and a fresh clock read
//! (or, for a new key or several policies, the time is read with the
//! key's shard locked). So every state a key moves to was judged at a time
//! no earlier than the time of the state it replaces, and that race cannot
//! happen (see the `no_refusal_below_the_quota` test).
//!
//! [`MonotonicClock`] is the real clock; [`FakeClock`] is moved by hand in
//! tests.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use rimguard_ratelimit::{Clock, FakeClock};
//!
//! let clock = FakeClock::new();
//! clock.advance(Duration::from_millis(1500));
//! assert_eq!(clock.now_nanos(), 1_500_000_000);
//! ```

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A monotonic source of time in nanoseconds since an arbitrary origin.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Nanoseconds since this clock's origin; never decreases.
    fn now_nanos(&self) -> u64;
}

/// A fast monotonic clock, counted from when this value was made.
///
/// It reads the CPU's time-stamp counter through [`quanta`] where that
/// counter is invariant (a few nanoseconds a read, against about 20 for
/// `clock_gettime`), and the operating system's monotonic clock elsewhere.
/// Decisions taken under a shard lock also raise any read that comes out
/// earlier than the last one taken under the same lock, so a counter a few
/// cycles apart between cores cannot move a key's time backwards there.
#[derive(Debug, Clone)]
pub struct MonotonicClock {
    clock: quanta::Clock,
    origin: u64,
}

impl MonotonicClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        let clock = quanta::Clock::new();
        let origin = clock.raw();
        Self { clock, origin }
    }
}

impl Default for MonotonicClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for MonotonicClock {
    #[inline]
    fn now_nanos(&self) -> u64 {
        self.clock.delta_as_nanos(self.origin, self.clock.raw())
    }
}

/// A clock that moves only when told to, for tests. Clones share the time.
#[derive(Debug, Clone, Default)]
pub struct FakeClock {
    nanos: Arc<AtomicU64>,
}

impl FakeClock {
    /// A clock at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_add(by, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now_nanos(&self) -> u64 {
        self.nanos.load(Ordering::SeqCst)
    }
}

/// The clock of an in-memory table: the real one read without an indirect
/// call, or one the user supplied.
#[derive(Debug, Clone)]
pub(crate) enum TableClock {
    Monotonic(MonotonicClock),
    Other(Arc<dyn Clock>),
}

impl TableClock {
    #[inline]
    pub(crate) fn now_nanos(&self) -> u64 {
        match self {
            Self::Monotonic(clock) => clock.now_nanos(),
            Self::Other(clock) => clock.now_nanos(),
        }
    }
}
