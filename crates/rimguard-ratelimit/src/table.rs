//! The bounded in-memory table of GCRA states.
//!
//! One entry is a key's 64-bit keyed hash and one 8-byte theoretical
//! arrival time (TAT) per policy: 16 bytes for one policy, 24 for two. The
//! table is sharded (up to 64 shards, each with its own lock on its own
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
//! # Concurrency
//!
//! Every word is an atomic. Only a thread holding the shard's lock changes
//! which key a slot holds (insert, reclaim, evict, sweep). With a single
//! policy, a key already in the table is decided without the lock
//! ([`Table::update_found`]): its slot's key word is read, then its state
//! word, then the key word again (a reassigned slot reads as another key),
//! the clock is read, and the new state is written with one
//! compare-and-swap that fails, and is retried with a fresh state and a
//! fresh clock read, when anything changed the state in between. The
//! state word holds the TAT XORed with the key's hash ("sealed"), so a
//! compare-and-swap of a thread that still believes the slot is its own
//! fails once another key took the slot, even when both TATs are equal.
//! A thread that takes a slot from a key first clears the key word, then
//! swaps the state word with a compare-and-swap, so an update of the old
//! key in flight either lands first (and the taker sees it and starts
//! over) or fails. With several policies, whose TATs must move together,
//! every decision takes the shard's lock.
//!
//! A background sweeper empties stale slots so the key gauge shows live
//! keys.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::gcra::MAX_POLICIES;

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
    /// Decisions the caller asked to count.
    counted: AtomicU64,
    /// Taken to change which key a slot holds, and for every decision of
    /// a table with several policies. It guards the latest time read under
    /// it: a clock read that comes out earlier (a TSC a few cycles behind
    /// on another core) is raised to it.
    lock: Mutex<u64>,
    /// Per slot: the key's hash (0: empty), then one sealed TAT per policy.
    words: Box<[AtomicU64]>,
}

pub(crate) struct Table {
    shards: Box<[Shard]>,
    /// Words per slot: the hash, then one TAT per policy.
    stride: usize,
    buckets_per_shard: u32,
    len: AtomicUsize,
    when_full: WhenFull,
}

/// A TAT as stored for `hash`, or a stored TAT read back.
#[inline]
fn seal(tat: u64, hash: u64) -> u64 {
    tat ^ hash
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
                counted: AtomicU64::new(0),
                lock: Mutex::new(0),
                words: zeroed(words_per_shard),
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

    /// Whether [`update_found`](Self::update_found) may be used: one policy.
    pub(crate) fn lock_free(&self) -> bool {
        self.stride == 2
    }

    /// Decides for a key already in a one-policy table without taking a
    /// lock: `decide` gets the key's TAT (and reads the clock itself, after
    /// the state was read) and returns the outcome and, when it moves the
    /// state, the new TAT, written with a compare-and-swap; `decide` runs
    /// again on a fresh TAT when the swap fails. `None` when the key is not
    /// in the table (or is being moved): take [`with_state`](Self::with_state).
    #[inline]
    pub(crate) fn update_found<R>(
        &self,
        hash: u64,
        mut decide: impl FnMut(u64) -> (R, Option<u64>),
        counts: impl FnOnce(&R) -> bool,
    ) -> Option<R> {
        debug_assert!(self.lock_free());
        let (shard, first, second) = self.locate(hash);
        let shard = &self.shards[shard];
        let slot =
            find(&shard.words, 2, hash, first).or_else(|| find(&shard.words, 2, hash, second))?;
        let (key, state) = (&shard.words[slot * 2], &shard.words[slot * 2 + 1]);
        loop {
            let sealed = state.load(Ordering::Acquire);
            // A slot taken by another key since `find` had its key word
            // cleared before its state changed: read after the state, the
            // key word tells.
            if key.load(Ordering::Relaxed) != hash {
                return None;
            }
            let (outcome, next) = decide(seal(sealed, hash));
            let Some(next) = next else {
                return Some(outcome);
            };
            if state
                .compare_exchange_weak(
                    sealed,
                    seal(next, hash),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_ok()
            {
                if counts(&outcome) {
                    shard.counted.fetch_add(1, Ordering::Relaxed);
                }
                return Some(outcome);
            }
        }
    }

    /// Runs `decide` on the TATs of `hash` with the time `now()` read while
    /// the key's shard is locked, and counts the outcome when `counts` says
    /// so. `decide` runs again (with a fresh time) when a lock-free update
    /// of the same key got in between.
    pub(crate) fn with_state<R>(
        &self,
        hash: u64,
        mut now: impl FnMut() -> u64,
        mut decide: impl FnMut(&mut [u64], u64) -> R,
        counts: impl FnOnce(&R) -> bool,
    ) -> Result<(R, Admission), Full> {
        let (shard, first, second) = self.locate(hash);
        let shard = &self.shards[shard];
        let mut latest = shard.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let policies = self.stride - 1;
        loop {
            let now = now().max(*latest);
            *latest = now;

            let (slot, admission) = self.find_or_admit(&shard.words, hash, first, second, now)?;
            let words = &shard.words[slot * self.stride..(slot + 1) * self.stride];
            let old_key = words[0].load(Ordering::Relaxed);
            let mut seen = [0u64; MAX_POLICIES];
            let mut tats = [0u64; MAX_POLICIES];
            for i in 0..policies {
                seen[i] = words[1 + i].load(Ordering::Acquire);
                if admission == Admission::Found {
                    tats[i] = seal(seen[i], hash);
                }
            }
            let before = tats;
            let outcome = decide(&mut tats[..policies], now);

            let moved = admission != Admission::Found || tats != before;
            if moved && !self.store(words, old_key, hash, &seen, &tats, admission) {
                continue;
            }
            if counts(&outcome) {
                shard.counted.fetch_add(1, Ordering::Relaxed);
            }
            return Ok((outcome, admission));
        }
    }

    /// Writes `tats` as `hash`'s state into the slot `words`, whose key
    /// word held `old_key` and whose state words held `seen`; `false` when
    /// a lock-free update changed the state first (nothing is written).
    /// The caller holds the shard's lock.
    fn store(
        &self,
        words: &[AtomicU64],
        old_key: u64,
        hash: u64,
        seen: &[u64; MAX_POLICIES],
        tats: &[u64; MAX_POLICIES],
        admission: Admission,
    ) -> bool {
        let taken = matches!(admission, Admission::Reclaimed | Admission::Evicted);
        if self.lock_free() {
            // Lock-free updates only happen to a slot whose key word
            // holds a key, with a compare-and-swap on the state word.
            if admission == Admission::Inserted {
                words[1].store(seal(tats[0], hash), Ordering::Relaxed);
                words[0].store(hash, Ordering::Release);
                return true;
            }
            if taken {
                words[0].store(0, Ordering::Relaxed);
            }
            let swapped = words[1]
                .compare_exchange(
                    seen[0],
                    seal(tats[0], hash),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_ok();
            if taken {
                words[0].store(if swapped { hash } else { old_key }, Ordering::Release);
            }
            return swapped;
        }
        for (word, &tat) in words[1..].iter().zip(tats) {
            word.store(seal(tat, hash), Ordering::Relaxed);
        }
        words[0].store(hash, Ordering::Release);
        true
    }

    /// The outcomes counted by [`with_state`](Self::with_state) and
    /// [`update_found`](Self::update_found), over all shards.
    pub(crate) fn counted(&self) -> u64 {
        let count = |s: &Shard| s.counted.load(Ordering::Relaxed);
        self.shards.iter().map(count).sum()
    }

    /// Empties every stale slot, one shard at a time; returns how many.
    pub(crate) fn sweep(&self, now: impl Fn() -> u64) -> usize {
        let mut swept = 0;
        for shard in self.shards.iter() {
            let mut latest = shard.lock.lock().unwrap_or_else(PoisonError::into_inner);
            let now = now().max(*latest);
            *latest = now;
            for words in shard.words.chunks_exact(self.stride) {
                let key = words[0].load(Ordering::Relaxed);
                if key == 0 || !self.is_stale(words, now) {
                    continue;
                }
                if self.lock_free() {
                    // Clear the key, then change the state so that an
                    // update in flight fails; if one landed first, the key
                    // is live again: put it back.
                    words[0].store(0, Ordering::Relaxed);
                    let seen = words[1].load(Ordering::Acquire);
                    let state = seal(seen, key);
                    let cleared = state <= now
                        && words[1]
                            .compare_exchange(seen, !seen, Ordering::AcqRel, Ordering::Relaxed)
                            .is_ok();
                    if !cleared {
                        words[0].store(key, Ordering::Release);
                        continue;
                    }
                } else {
                    words[0].store(0, Ordering::Relaxed);
                }
                swept += 1;
            }
        }
        self.len.fetch_sub(swept, Ordering::Relaxed);
        swept
    }

    /// Whether every TAT of the occupied slot `words` is at or before `now`.
    fn is_stale(&self, words: &[AtomicU64], now: u64) -> bool {
        self.latest_tat(words) <= now
    }

    /// The latest TAT of the occupied slot `words`.
    fn latest_tat(&self, words: &[AtomicU64]) -> u64 {
        let key = words[0].load(Ordering::Relaxed);
        words[1..]
            .iter()
            .map(|w| seal(w.load(Ordering::Acquire), key))
            .max()
            .unwrap_or(0)
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

    /// Finds or makes a slot for `hash`; the caller holds the shard's lock.
    fn find_or_admit(
        &self,
        words: &[AtomicU64],
        hash: u64,
        first: usize,
        second: usize,
        now: u64,
    ) -> Result<(usize, Admission), Full> {
        let stride = self.stride;
        if let Some(slot) =
            find(words, stride, hash, first).or_else(|| find(words, stride, hash, second))
        {
            return Ok((slot, Admission::Found));
        }
        let empties = |b: usize| {
            (b * WAYS..(b + 1) * WAYS)
                .filter(|&slot| words[slot * stride].load(Ordering::Relaxed) == 0)
                .count()
        };
        let emptier = if empties(second) > empties(first) {
            second
        } else {
            first
        };
        if let Some(slot) = find(words, stride, 0, emptier) {
            self.len.fetch_add(1, Ordering::Relaxed);
            return Ok((slot, Admission::Inserted));
        }

        let slots = || (first * WAYS..(first + 1) * WAYS).chain(second * WAYS..(second + 1) * WAYS);
        let latest = |slot: usize| self.latest_tat(&words[slot * stride..(slot + 1) * stride]);
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

/// The slot of bucket `bucket` whose key word is `wanted`.
#[inline]
fn find(words: &[AtomicU64], stride: usize, wanted: u64, bucket: usize) -> Option<usize> {
    let start = bucket * WAYS;
    words[start * stride..(start + WAYS) * stride]
        .chunks_exact(stride)
        .position(|slot| slot[0].load(Ordering::Relaxed) == wanted)
        .map(|i| start + i)
}

/// `len` zeroed words, from zeroed memory: the operating system maps the
/// pages only as keys first write them.
fn zeroed(len: usize) -> Box<[AtomicU64]> {
    <[AtomicU64] as zerocopy::FromZeros>::new_box_zeroed_with_elems(len).unwrap_or_else(|_| {
        let layout = std::alloc::Layout::array::<AtomicU64>(len);
        std::alloc::handle_alloc_error(layout.unwrap_or(std::alloc::Layout::new::<u64>()))
    })
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
