//! The generic cell rate algorithm over several policies at once, and the
//! in-memory limiter that runs it on the bounded table.
//!
//! A key's state per policy is one number, its theoretical arrival time
//! (TAT). A request of cost `c` at time `now` conforms to a policy of
//! emission interval `T` and burst `b` when
//! `max(TAT, now) + c·T − now ≤ b·T`; it is allowed when it conforms to
//! every policy, and only then are the TATs moved forward. A refused
//! request changes nothing.

use std::sync::Weak;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use crate::clock::TableClock;
use crate::quota::{Gcra, ceil_seconds};
use crate::table::{Admission, Full, Table, WhenFull};

/// The most policies one limiter checks.
pub(crate) const MAX_POLICIES: usize = 8;

/// What a backend decided about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) allowed: bool,
    /// How long until the same request would be allowed, in nanoseconds.
    pub(crate) wait: u64,
    /// Per policy: the time debt after the decision (TAT − now), in ns.
    pub(crate) debts: [u64; MAX_POLICIES],
    /// Bit `i` set: policy `i` refused.
    pub(crate) violated: u8,
    /// Whether the decision carries per-policy state for the headers.
    pub(crate) has_state: bool,
    /// Refused because the backend is unavailable (503), not over quota.
    pub(crate) unavailable: bool,
}

impl Decision {
    /// An allowed request without state (a fail-open decision).
    pub(crate) fn open() -> Self {
        Self {
            allowed: true,
            wait: 0,
            debts: [0; MAX_POLICIES],
            violated: 0,
            has_state: false,
            unavailable: false,
        }
    }

    /// An allowed request of one policy, with its debt after the decision.
    pub(crate) fn allowed_one(debt: u64) -> Self {
        let mut decision = Self::open();
        decision.has_state = true;
        decision.debts[0] = debt;
        decision
    }

    /// A refused request without state (a fail-closed decision).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn closed(wait: Duration) -> Self {
        let wait = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
        Self {
            allowed: false,
            wait,
            unavailable: true,
            ..Self::open()
        }
    }

    /// `Retry-After` in whole seconds: rounded up, never 0.
    pub(crate) fn retry_after_seconds(&self) -> u64 {
        ceil_seconds(u128::from(self.wait)).max(1)
    }
}

/// What the in-memory limiter decided. An allowed request of a key already
/// in a one-policy table carries only its time debt, so that the common
/// path builds no whole [`Decision`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Checked {
    /// Allowed, found in a one-policy table; the debt after the decision.
    Allowed { debt: u64 },
    /// Anything else.
    Decided(Decision, Admission),
}

impl Checked {
    /// The whole decision.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn into_decision(self) -> (Decision, Admission) {
        match self {
            Self::Allowed { debt } => (Decision::allowed_one(debt), Admission::Found),
            Self::Decided(decision, admission) => (decision, admission),
        }
    }
}

/// Decides a request of `cost` against `tats` at `now`, updating `tats`
/// only when every policy allows it.
#[inline]
pub(crate) fn decide(policies: &[Gcra], tats: &mut [u64], now: u64, cost: u32) -> Decision {
    let mut decision = Decision::open();
    decision.has_state = true;

    for (i, (gcra, &tat)) in policies.iter().zip(tats.iter()).enumerate() {
        let debt =
            (tat.max(now) - now).saturating_add(gcra.interval.saturating_mul(u64::from(cost)));
        if debt > gcra.capacity {
            decision.allowed = false;
            decision.violated |= 1 << i;
            decision.wait = decision.wait.max(debt - gcra.capacity);
        }
    }

    for (i, (gcra, tat)) in policies.iter().zip(tats.iter_mut()).enumerate() {
        if decision.allowed {
            *tat = (*tat)
                .max(now)
                .saturating_add(gcra.interval.saturating_mul(u64::from(cost)));
        }
        decision.debts[i] = (*tat).max(now) - now;
    }
    decision
}

/// The in-memory backend: GCRA on the bounded table.
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    table: Table,
    policies: Box<[Gcra]>,
    clock: TableClock,
}

impl MemoryLimiter {
    pub(crate) fn new(
        policies: Box<[Gcra]>,
        max_keys: usize,
        when_full: WhenFull,
        clock: TableClock,
    ) -> Self {
        let table = Table::new(max_keys, policies.len(), when_full);
        Self {
            table,
            policies,
            clock,
        }
    }

    /// Decides a request of `cost` for the key `hash`; allowed requests are
    /// counted ([`allowed`](Self::allowed)).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn check(&self, hash: u64, cost: u32) -> Result<(Decision, Admission), Full> {
        self.check_fast(hash, cost).map(Checked::into_decision)
    }

    /// [`check`](Self::check), with the common outcome kept small. The
    /// clock is read after the key's state: a key already in a one-policy
    /// table is decided without a lock (one compare-and-swap, retried with
    /// a fresh state and a fresh clock read when another request of the
    /// same key got in between); anything else with the key's shard locked.
    #[inline]
    pub(crate) fn check_fast(&self, hash: u64, cost: u32) -> Result<Checked, Full> {
        let clock = &self.clock;
        if let [gcra] = &*self.policies
            && self.table.lock_free()
        {
            let cost_time = gcra.interval.saturating_mul(u64::from(cost));
            let found = self.table.update_found(
                hash,
                |tat| {
                    let now = clock.now_nanos();
                    let base = tat.max(now);
                    if (base - now).saturating_add(cost_time) <= gcra.capacity {
                        let next = base.saturating_add(cost_time);
                        return (Checked::Allowed { debt: next - now }, Some(next));
                    }
                    let decision = decide(std::slice::from_ref(gcra), &mut [tat], now, cost);
                    (Checked::Decided(decision, Admission::Found), None)
                },
                |checked| matches!(checked, Checked::Allowed { .. }),
            );
            if let Some(checked) = found {
                return Ok(checked);
            }
        }
        self.table
            .with_state(
                hash,
                || clock.now_nanos(),
                |tats, now| decide(&self.policies, tats, now, cost),
                |decision| decision.allowed,
            )
            .map(|(decision, admission)| Checked::Decided(decision, admission))
    }

    /// How many requests [`check`](Self::check) allowed.
    pub(crate) fn allowed(&self) -> u64 {
        self.table.counted()
    }

    pub(crate) fn table(&self) -> &Table {
        &self.table
    }

    pub(crate) fn sweep(&self) -> usize {
        self.table.sweep(|| self.clock.now_nanos())
    }
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("capacity", &self.capacity())
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// The background thread that sweeps stale keys; it stops when dropped or
/// when the limiter is gone.
#[derive(Debug)]
pub(crate) struct Sweeper {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Sweeper {
    pub(crate) fn spawn(
        limiter: Weak<MemoryLimiter>,
        every: Duration,
        on_sweep: impl Fn(usize) + Send + 'static,
    ) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = thread::Builder::new()
            .name("rimguard-ratelimit-sweeper".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    let Some(limiter) = limiter.upgrade() else {
                        return;
                    };
                    on_sweep(limiter.sweep());
                }
            })?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take()
            && thread.thread().id() != thread::current().id()
        {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;

    fn three_per_second() -> Gcra {
        Gcra {
            interval: SECOND / 3,
            capacity: SECOND / 3 * 3,
        }
    }

    #[test]
    fn a_fresh_key_gets_its_burst_then_one_request_per_interval() {
        let policies = [three_per_second()];
        let mut tats = [0];
        let outcomes: Vec<bool> = (0..4)
            .map(|_| decide(&policies, &mut tats, SECOND, 1).allowed)
            .collect();
        assert_eq!(outcomes, [true, true, true, false]);

        assert!(!decide(&policies, &mut tats, SECOND + SECOND / 3 - 1, 1).allowed);
        assert!(decide(&policies, &mut tats, SECOND + SECOND / 3, 1).allowed);
    }

    #[test]
    fn a_refusal_says_how_long_to_wait_and_changes_nothing() {
        let policies = [three_per_second()];
        let mut tats = [0];
        for _ in 0..3 {
            decide(&policies, &mut tats, 0, 1);
        }
        let before = tats;
        let refused = decide(&policies, &mut tats, 0, 1);
        assert_eq!(refused.wait, SECOND / 3);
        assert_eq!(refused.retry_after_seconds(), 1);
        assert_eq!(tats, before);
    }

    #[test]
    fn a_request_is_allowed_only_when_every_policy_allows_it() {
        let per_second = three_per_second();
        let two_per_minute = Gcra {
            interval: 30 * SECOND,
            capacity: 60 * SECOND,
        };
        let policies = [per_second, two_per_minute];
        let mut tats = [0, 0];
        assert!(decide(&policies, &mut tats, 0, 1).allowed);
        assert!(decide(&policies, &mut tats, 0, 1).allowed);
        let third = decide(&policies, &mut tats, 0, 1);
        assert!(!third.allowed);
        assert_eq!(third.violated, 0b10);
        assert_eq!(third.wait, 30 * SECOND);
        assert_eq!(tats, [SECOND / 3 * 2, 60 * SECOND]);
    }

    #[test]
    fn a_costly_request_takes_several_units() {
        let policies = [three_per_second()];
        let mut tats = [0];
        assert!(decide(&policies, &mut tats, 0, 2).allowed);
        assert!(!decide(&policies, &mut tats, 0, 2).allowed);
        assert!(decide(&policies, &mut tats, 0, 1).allowed);
    }
}
