//! The bounded in-memory table of GCRA states.
//!
//! One entry is a key's 64-bit keyed hash and one 8-byte theoretical
//! arrival time (TAT) per policy: 16 bytes for one policy, 24 for two. The
//! table is sharded (up to 64 shards, each behind its own lock on its own
//! cache line) and set-associative: a hash picks two buckets of eight
//! slots in its shard, and the key lives in one of those sixteen slots; a
//! new key goes to the emptier of its two buckets (the "power of two
//! choices"), which keeps buckets from overflowing until the table is
//! nearly full.
//! Finding, inserting and evicting therefore look at sixteen slots at
//! most; nothing on the request path scans the table.
//!
//! The table is allocated once, at its full size, when the limiter is
//! built (the operating system maps its pages as keys first touch them),
//! so its memory is flat from the start and never grows past the bound.
//!
//! A new key goes into, in order of preference:
//!
//! 1. an empty slot of its two buckets;
//! 2. a *stale* slot: one whose every TAT is in the past. A stale state is
//!    the same as no state at all (a full bucket), so reusing it loses
//!    nothing;
//! 3. when both buckets are full of live keys, the slot whose state is
//!    closest to stale, evicting it ([`WhenFull::EvictStalest`], counted
//!    and logged), or nothing at all ([`WhenFull::Refuse`]).
//!
//! A background sweeper empties stale slots so the key gauge shows live
//! keys.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Slots per bucket.
const WAYS: usize = 8;
/// The most shards a table has.
const MAX_SHARDS: usize = 64;
/// The smallest `max_keys` a table accepts.
pub(crate) const MIN_KEYS: usize = 64;

/// What a full table does with a new key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum WhenFull {
    /// Evict the live key whose state is closest to stale among the
    /// sixteen slots the new key may use (an approximate LRU). The evicted
    /// client gets a fresh bucket next time: under a flood of new keys, a
    /// few old clients may get a little more than their quota. Counted and
    /// logged.
    #[default]
    EvictStalest,
    /// Refuse the new key's request with 429 until a slot frees up. Old
    /// clients keep their exact quotas; new clients are locked out while
    /// the flood lasts.
    Refuse,
}

/// How a request's key found its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// The key was already there.
    Found,
    /// The key took an empty slot.
    Inserted,
    /// The key took a stale slot: nothing was lost.
    Reclaimed,
    /// The key evicted a live key.
    Evicted,
}

/// The table had no slot for a new key and [`WhenFull::Refuse`] was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

#[repr(align(64))]
struct Shard {
    state: Mutex<ShardState>,
}

struct ShardState {
    words: Box<[u64]>,
    /// The latest time read under this lock: a clock read that comes out
    /// earlier (a TSC a few cycles behind on another core) is raised to
    /// it, so the times one key's state sees never go backwards.
    latest: u64,
    /// Decisions the caller asked to count, kept under the lock so the
    /// hot path pays no extra atomic operation.
    counted: u64,
}

pub(crate) struct Table {
    shards: Box<[Shard]>,
    /// Words per slot: the hash, then one TAT per policy.
    stride: usize,
    buckets_per_shard: u32,
    len: AtomicUsize,
    when_full: WhenFull,
}

impl Table {
    /// A table for at most `max_keys` keys (rounded down to a multiple of
    /// eight slots per shard) of `policies` TATs each.
    pub(crate) fn new(max_keys: usize, policies: usize, when_full: WhenFull) -> Self {
        let buckets = (max_keys.max(MIN_KEYS) / WAYS).min(u32::MAX as usize);
        let shards = prev_power_of_two((buckets / 16).clamp(1, MAX_SHARDS));
        let buckets_per_shard = u32::try_from(buckets / shards).unwrap_or(u32::MAX);
        let stride = 1 + policies;
        let words_per_shard = buckets_per_shard as usize * WAYS * stride;
        let shards = (0..shards)
            .map(|_| Shard {
                state: Mutex::new(ShardState {
                    words: vec![0u64; words_per_shard].into_boxed_slice(),
                    latest: 0,
                    counted: 0,
                }),
            })
            .collect();
        Self {
            shards,
            stride,
            buckets_per_shard,
            len: AtomicUsize::new(0),
            when_full,
        }
    }

    /// How many keys the table can hold.
    pub(crate) fn capacity(&self) -> usize {
        self.shards.len() * self.buckets_per_shard as usize * WAYS
    }

    /// How many slots hold a key (live or stale, until swept).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// The bytes the slots take.
    pub(crate) fn bytes(&self) -> usize {
        self.capacity() * self.stride * 8 + self.shards.len() * size_of::<Shard>()
    }

    /// Runs `decide` on the TATs of `hash` with the time `now()` read while
    /// the key's shard is locked, and counts the outcome when `counts` says so.
    #[inline]
    pub(crate) fn with_state<R>(
        &self,
        hash: u64,
        now: impl FnOnce() -> u64,
        decide: impl FnOnce(&mut [u64], u64) -> R,
        counts: impl FnOnce(&R) -> bool,
    ) -> Result<(R, Admission), Full> {
        let (shard, first, second) = self.locate(hash);
        let mut shard = self.shards[shard]
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = now().max(shard.latest);
        shard.latest = now;

        let (slot, admission) = self.find_or_admit(&mut shard.words, hash, first, second, now)?;
        let state = &mut shard.words[slot * self.stride..(slot + 1) * self.stride];
        if admission != Admission::Found {
            state[0] = hash;
            state[1..].fill(0);
        }
        let outcome = decide(&mut state[1..], now);
        shard.counted += u64::from(counts(&outcome));
        Ok((outcome, admission))
    }

    /// The outcomes counted by [`with_state`](Self::with_state), over all shards.
    pub(crate) fn counted(&self) -> u64 {
        let count = |s: &Shard| {
            s.state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .counted
        };
        self.shards.iter().map(count).sum()
    }

    /// Empties every stale slot, one shard at a time; returns how many.
    pub(crate) fn sweep(&self, now: impl Fn() -> u64) -> usize {
        let mut swept = 0;
        for shard in self.shards.iter() {
            let mut shard = shard.state.lock().unwrap_or_else(PoisonError::into_inner);
            let now = now().max(shard.latest);
            for state in shard.words.chunks_exact_mut(self.stride) {
                if state[0] != 0 && is_stale(&state[1..], now) {
                    state[0] = 0;
                    swept += 1;
                }
            }
        }
        self.len.fetch_sub(swept, Ordering::Relaxed);
        swept
    }

    #[inline]
    fn locate(&self, hash: u64) -> (usize, usize, usize) {
        let shard = (hash as usize) & (self.shards.len() - 1);
        let first = fast_range((hash >> 32) as u32, self.buckets_per_shard);
        let second = fast_range(
            (hash >> 6) as u32 ^ (hash >> 44) as u32,
            self.buckets_per_shard,
        );
        (shard, first, second)
    }

    fn find_or_admit(
        &self,
        words: &mut [u64],
        hash: u64,
        first: usize,
        second: usize,
        now: u64,
    ) -> Result<(usize, Admission), Full> {
        let stride = self.stride;
        let bucket =
            |b: usize| words[b * WAYS * stride..(b + 1) * WAYS * stride].chunks_exact(stride);
        let find = |b: usize, wanted: u64| {
            bucket(b)
                .position(|slot| slot[0] == wanted)
                .map(|i| b * WAYS + i)
        };

        if let Some(slot) = find(first, hash).or_else(|| find(second, hash)) {
            return Ok((slot, Admission::Found));
        }
        let empties = |b: usize| bucket(b).filter(|slot| slot[0] == 0).count();
        let emptier = if empties(second) > empties(first) {
            second
        } else {
            first
        };
        if let Some(slot) = find(emptier, 0) {
            self.len.fetch_add(1, Ordering::Relaxed);
            return Ok((slot, Admission::Inserted));
        }

        let slots = || (first * WAYS..(first + 1) * WAYS).chain(second * WAYS..(second + 1) * WAYS);
        let latest = |slot: usize| {
            let state = &words[slot * self.stride + 1..(slot + 1) * self.stride];
            state.iter().copied().max().unwrap_or(0)
        };
        let stalest = slots()
            .min_by_key(|&slot| latest(slot))
            .expect("two buckets hold 16 slots");
        if latest(stalest) <= now {
            return Ok((stalest, Admission::Reclaimed));
        }
        match self.when_full {
            WhenFull::EvictStalest => Ok((stalest, Admission::Evicted)),
            WhenFull::Refuse => Err(Full),
        }
    }
}

fn is_stale(tats: &[u64], now: u64) -> bool {
    tats.iter().all(|&tat| tat <= now)
}

/// Maps `x` uniformly onto `0..n` without a division.
fn fast_range(x: u32, n: u32) -> usize {
    ((u64::from(x) * u64::from(n)) >> 32) as usize
}

fn prev_power_of_two(n: usize) -> usize {
    1 << (usize::BITS - 1 - n.leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mix(key: u64) -> u64 {
        let mut z = key.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)).max(1)
    }

    fn touch(table: &Table, hash: u64, now: u64, tat: u64) -> Result<Admission, Full> {
        table
            .with_state(hash, || now, |state, _| state[0] = tat, |_| false)
            .map(|(_, admission)| admission)
    }

    #[test]
    fn capacity_never_exceeds_max_keys() {
        for max_keys in [64, 100, 1000, 4097, 100_000, 1_000_000] {
            let table = Table::new(max_keys, 1, WhenFull::EvictStalest);
            assert!(
                table.capacity() <= max_keys,
                "{max_keys}: {}",
                table.capacity()
            );
            assert!(
                table.capacity() * 100 >= max_keys * 95,
                "{max_keys}: {}",
                table.capacity()
            );
        }
    }

    #[test]
    fn one_policy_costs_sixteen_bytes_a_key() {
        let table = Table::new(1_000_000, 1, WhenFull::EvictStalest);
        assert!(table.bytes() / table.capacity() <= 17);
    }

    #[test]
    fn a_key_finds_its_own_state_again() {
        let table = Table::new(64, 1, WhenFull::EvictStalest);
        assert_eq!(touch(&table, 42, 0, 500), Ok(Admission::Inserted));
        let (seen, admission) = table
            .with_state(42, || 0, |state, _| state[0], |_| false)
            .unwrap();
        assert_eq!((seen, admission), (500, Admission::Found));
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn a_full_table_reuses_stale_slots_before_evicting_live_ones() {
        let table = Table::new(64, 1, WhenFull::EvictStalest);
        let mut admissions = Vec::new();
        for key in 1..=1000u64 {
            let hash = mix(key);
            admissions.push(touch(&table, hash, key, key + 10).unwrap());
        }
        assert!(table.len() <= table.capacity());
        assert!(admissions.contains(&Admission::Reclaimed));
        assert!(!admissions.contains(&Admission::Evicted));
    }

    #[test]
    fn two_choices_fill_seven_tenths_of_the_table_without_evicting() {
        let table = Table::new(100_000, 1, WhenFull::EvictStalest);
        let keys = table.capacity() as u64 * 7 / 10;
        let evicted = (1..=keys)
            .filter(|&key| touch(&table, mix(key), 0, u64::MAX) == Ok(Admission::Evicted))
            .count();
        assert_eq!(evicted, 0);
        assert_eq!(table.len() as u64, keys);
    }

    #[test]
    fn a_full_table_of_live_keys_evicts_or_refuses_as_told() {
        for (when_full, expect_error) in [(WhenFull::EvictStalest, false), (WhenFull::Refuse, true)]
        {
            let table = Table::new(64, 1, when_full);
            let mut refused = 0;
            for key in 1..=1000u64 {
                let hash = mix(key);
                refused += usize::from(touch(&table, hash, 0, u64::MAX).is_err());
            }
            assert_eq!(refused > 0, expect_error);
            assert_eq!(table.len(), table.capacity());
        }
    }

    #[test]
    fn the_sweep_empties_stale_slots_only() {
        let table = Table::new(64, 2, WhenFull::EvictStalest);
        table
            .with_state(
                1,
                || 0,
                |state, _| state.copy_from_slice(&[5, 5]),
                |_| false,
            )
            .unwrap();
        table
            .with_state(
                3,
                || 0,
                |state, _| state.copy_from_slice(&[5, 50]),
                |_| false,
            )
            .unwrap();
        assert_eq!(table.sweep(|| 10), 1);
        assert_eq!(table.len(), 1);
        let (_, admission) = table.with_state(3, || 10, |_, _| (), |_| false).unwrap();
        assert_eq!(admission, Admission::Found);
    }
}
