//! The compiled lookup table of one address family.
//!
//! Allow and deny ranges are flattened, once per load, into sorted disjoint
//! intervals that cover the whole address space, each carrying the action of
//! the longest prefix that covers it (or none). A lookup is then a
//! predecessor search on the interval starts: which interval holds the
//! address.
//!
//! Two things keep the search short and free of unpredictable branches:
//!
//! - a first-level index, built only when the table is large enough to
//!   need it, narrows the search to the few intervals of one bucket. It has
//!   one to two buckets per interval (2^8 to 2^22 of them), picked by the
//!   bits of the address that follow the prefix every range shares (none
//!   for a list spread over the whole space, 4 bits for one inside
//!   `2000::/4`), so that clustered lists spread too; addresses outside the
//!   span of the ranges are answered before any search;
//! - the search inside that window is a binary search over one to three
//!   intervals, usually. LLVM compiles its choice to a branch. Forcing a
//!   conditional move (`std::hint::select_unpredictable`) measured 10 to
//!   20% slower: a predicted branch lets the next loads start early.
//!
//! CIDR ranges are either nested or disjoint, which is what lets one sweep
//! with a stack of open ranges compute the flattening in `O(n log n)`.

use crate::list::Action;

/// Tables with fewer intervals than this skip the first-level index: the
/// whole search fits in a few cache lines anyway.
const INDEX_THRESHOLD: usize = 8;

/// The fewest and most address bits that pick a bucket of the index. In
/// between, the index has one to two buckets per interval, so that it costs
/// 4 to 8 bytes per interval and a bucket holds about one interval.
const INDEX_BITS: std::ops::RangeInclusive<u32> = 8..=22;

/// What an interval of the address space is covered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Slot {
    /// No range covers it.
    Unlisted,
    /// The longest covering prefix is an allow range.
    Allow,
    /// The longest covering prefix is a deny range.
    Deny,
}

impl Slot {
    pub(crate) fn action(self) -> Option<Action> {
        match self {
            Slot::Unlisted => None,
            Slot::Allow => Some(Action::Allow),
            Slot::Deny => Some(Action::Deny),
        }
    }
}

impl From<Action> for Slot {
    fn from(action: Action) -> Self {
        match action {
            Action::Allow => Slot::Allow,
            Action::Deny => Slot::Deny,
        }
    }
}

/// An unsigned integer holding an address of one family.
pub(crate) trait Key: Copy + Ord + Default + std::fmt::Debug {
    /// The width of the address.
    const BITS: u32;
    /// How many leading bits `self` and `other` share.
    fn common_bits(self, other: Self) -> u32;
    /// The bucket of `self`: the `bits` bits after the first `skip`.
    fn bucket(self, skip: u32, bits: u32) -> usize;
    /// The first address of `bucket` (of `bits` bits), among addresses whose
    /// first `skip` bits are those of `self`.
    fn bucket_start(self, skip: u32, bits: u32, bucket: usize) -> Self;
    /// The next address, or `None` after the last one.
    fn next(self) -> Option<Self>;

    /// The part of an address the search compares first.
    type High: Copy + Ord + std::fmt::Debug;
    /// The rest, compared only between addresses of equal high parts: `()`
    /// for IPv4, the low 64 bits for IPv6.
    type Low: Copy + Ord + std::fmt::Debug;
    /// Whether addresses have a low part at all (not for IPv4).
    const HAS_LOW: bool;
    /// The address as its high and low parts.
    fn split(self) -> (Self::High, Self::Low);
}

macro_rules! key {
    ($t:ty, $high:ty, $low:ty, $has_low:expr, $split:expr) => {
        impl Key for $t {
            const BITS: u32 = <$t>::BITS;
            type High = $high;
            type Low = $low;
            const HAS_LOW: bool = $has_low;

            #[inline]
            fn split(self) -> ($high, $low) {
                ($split)(self)
            }

            fn common_bits(self, other: Self) -> u32 {
                (self ^ other).leading_zeros()
            }

            #[inline]
            fn bucket(self, skip: u32, bits: u32) -> usize {
                // The bucket bits almost always lie in the top 64 bits:
                // shift a u64 rather than a u128 then.
                if skip + bits <= 64 {
                    let top = (self >> (Self::BITS.saturating_sub(64))) as u64;
                    let top = top << (64 - Self::BITS.min(64));
                    ((top << skip) >> (64 - bits)) as usize
                } else {
                    ((self << skip) >> (Self::BITS - bits)) as usize
                }
            }

            fn bucket_start(self, skip: u32, bits: u32, bucket: usize) -> Self {
                let prefix = if skip == 0 {
                    0
                } else {
                    (self >> (Self::BITS - skip)) << (Self::BITS - skip)
                };
                prefix | ((bucket as $t) << (Self::BITS - bits - skip))
            }

            fn next(self) -> Option<Self> {
                self.checked_add(1)
            }
        }
    };
}

key!(u32, u32, (), false, |addr: u32| (addr, ()));
key!(u128, u64, u64, true, |addr: u128| (
    (addr >> 64) as u64,
    addr as u64
));

/// One range to compile: first and last address, prefix length, action.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Range<K> {
    pub(crate) first: K,
    pub(crate) last: K,
    pub(crate) prefix_len: u8,
    pub(crate) action: Action,
}

/// The first-level index over the addresses the ranges span.
#[derive(Debug)]
struct Index<K> {
    /// The first address of the first range.
    low: K,
    /// The last address of the last range.
    high: K,
    /// Leading bits shared by every address from `low` to `high`, skipped
    /// when picking a bucket, so that a list clustered in `2000::/4` or in
    /// `10.0.0.0/8` still spreads over every bucket.
    skip: u32,
    /// How many bits after `skip` pick the bucket.
    bits: u32,
    /// For each bucket, the interval in force at its first address; one
    /// entry more than there are buckets, the last being the last interval.
    first: Box<[u32]>,
}

/// The compiled table of one family. See the [module docs](self).
pub(crate) struct Table<K: Key> {
    /// The high part of where each interval starts, sorted; the first
    /// interval starts at address 0. The search runs on these alone.
    highs: Box<[K::High]>,
    /// The low part of each start (nothing for IPv4), read only among
    /// intervals whose high parts equal the address's: for IPv6, most
    /// lookups then touch 8 bytes per interval instead of 16.
    lows: Box<[K::Low]>,
    /// What covers each interval. Kept apart from the starts: at one byte
    /// per interval it stays in cache when the starts do not.
    slots: Box<[Slot]>,
    index: Option<Index<K>>,
}

impl<K: Key> Table<K> {
    /// Compiles `ranges` (in any order, duplicates allowed) with the rule:
    /// the longest covering prefix decides; between an allow and a deny
    /// range of the same prefix, deny wins.
    pub(crate) fn compile(mut ranges: Vec<Range<K>>) -> Self {
        ranges.sort_unstable_by_key(|r| (r.first, r.prefix_len, r.action == Action::Deny));
        dedup_deny_wins(&mut ranges);

        let span = ranges
            .first()
            .map(|r| r.first)
            .zip(ranges.iter().map(|r| r.last).max());
        let (starts, slots): (Vec<K>, Vec<Slot>) = flatten(&ranges).into_iter().unzip();
        let index = match span {
            Some((low, high)) if starts.len() >= INDEX_THRESHOLD => {
                Some(build_index(&starts, low, high))
            }
            _ => None,
        };
        let (highs, lows): (Vec<_>, Vec<_>) = starts.iter().map(|start| start.split()).unzip();
        Self {
            highs: highs.into(),
            lows: lows.into(),
            slots: slots.into(),
            index,
        }
    }

    /// The slot covering `addr`.
    #[inline]
    pub(crate) fn find(&self, addr: K) -> Slot {
        let window = match &self.index {
            Some(index) => {
                if addr < index.low || addr > index.high {
                    return Slot::Unlisted;
                }
                let bucket = addr.bucket(index.skip, index.bits);
                index.first[bucket] as usize..index.first[bucket + 1] as usize + 1
            }
            None => 0..self.highs.len(),
        };
        let first = window.start;
        let (high, low) = addr.split();
        let mut at = first + predecessor(&self.highs[window], high);
        // Among starts of the same high part, step back past those above
        // `addr`. The window's first start is at or before `addr`, so this
        // stays inside the window. IPv4 addresses have no low part.
        if K::HAS_LOW && self.highs[at] == high && self.lows[at] > low {
            // Usually one step: the start above is the end of a /128 or of
            // another range longer than /64.
            at -= 1;
            if self.highs[at] == high && self.lows[at] > low {
                // A run of starts in one /64 (many hosts of one network):
                // search it rather than walk it.
                let below = |i: usize| (self.highs[first + i], self.lows[first + i]) <= (high, low);
                at = first + last_true(at - first + 1, below);
            }
        }
        self.slots[at]
    }

    /// How many intervals the table holds.
    pub(crate) fn intervals(&self) -> usize {
        self.highs.len()
    }
}

impl<K: Key> std::fmt::Debug for Table<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("intervals", &self.highs.len())
            .field("indexed", &self.index.is_some())
            .finish()
    }
}

/// The index of the last interval of `sorted` that starts at or before
/// `key`.
///
/// `sorted[0]` must start at or before `key` (a window always begins with
/// the interval in force at its bucket's first address), so the answer
/// exists. The loop runs a fixed number of times for a given length.
#[inline]
fn predecessor<T: Ord + Copy>(sorted: &[T], key: T) -> usize {
    let mut base = 0;
    let mut len = sorted.len();
    while len > 1 {
        let half = len / 2;
        base = if sorted[base + half] <= key {
            base + half
        } else {
            base
        };
        len -= half;
    }
    base
}

/// The last `i < len` for which `holds(i)`, where `holds` is true from 0 up
/// to some point and false after it, and `holds(0)` is true.
fn last_true(len: usize, holds: impl Fn(usize) -> bool) -> usize {
    let (mut base, mut len) = (0, len);
    while len > 1 {
        let half = len / 2;
        if holds(base + half) {
            base += half;
        }
        len -= half;
    }
    base
}

/// Keeps one range per (first, prefix length): the deny one when both exist.
/// `ranges` is sorted so that a deny follows the allow of the same prefix.
fn dedup_deny_wins<K: Key>(ranges: &mut Vec<Range<K>>) {
    ranges.dedup_by(|later, kept| {
        let same = later.first == kept.first && later.prefix_len == kept.prefix_len;
        if same && later.action == Action::Deny {
            kept.action = Action::Deny;
        }
        same
    });
}

/// Sweeps sorted, deduplicated, nested-or-disjoint ranges into interval
/// starts with their slots, adjacent equal slots merged.
fn flatten<K: Key>(ranges: &[Range<K>]) -> Vec<(K, Slot)> {
    let mut out = vec![(K::default(), Slot::Unlisted)];
    let mut open: Vec<(K, Slot)> = Vec::new();

    for range in ranges {
        close_before(&mut open, &mut out, Some(range.first));
        push_bound(&mut out, range.first, range.action.into());
        open.push((range.last, range.action.into()));
    }
    close_before(&mut open, &mut out, None);
    out
}

/// Closes the open ranges that end before `first` (all of them for `None`),
/// starting after each the slot of the range that encloses it.
fn close_before<K: Key>(open: &mut Vec<(K, Slot)>, out: &mut Vec<(K, Slot)>, first: Option<K>) {
    while let Some(&(last, _)) = open.last() {
        if first.is_some_and(|first| last >= first) {
            break;
        }
        open.pop();
        let resumed = open.last().map_or(Slot::Unlisted, |&(_, slot)| slot);
        if let Some(after) = last.next() {
            push_bound(out, after, resumed);
        }
    }
}

/// Appends an interval start, merging it with the previous one when their
/// slots agree and replacing an interval that would be empty.
fn push_bound<K: Key>(out: &mut Vec<(K, Slot)>, at: K, slot: Slot) {
    let (last_at, last_slot) = *out
        .last()
        .expect("the first interval starts at 0 and is never removed");
    if last_at == at {
        if out.len() >= 2 && out[out.len() - 2].1 == slot {
            out.pop();
        } else {
            out.last_mut().expect("checked above").1 = slot;
        }
    } else if last_slot != slot {
        out.push((at, slot));
    }
}

/// The first-level index: for each bucket of the span from `low` to
/// `high`, the interval in force at the bucket's first address.
fn build_index<K: Key>(starts: &[K], low: K, high: K) -> Index<K> {
    let wanted = starts.len().next_power_of_two().trailing_zeros();
    let bits = wanted.clamp(*INDEX_BITS.start(), *INDEX_BITS.end());
    let skip = low.common_bits(high).min(K::BITS - bits);
    let buckets = 1usize << bits;
    let mut first = Vec::with_capacity(buckets + 1);
    let mut i = 0;
    for bucket in 0..buckets {
        let start = low.bucket_start(skip, bits, bucket);
        while i + 1 < starts.len() && starts[i + 1] <= start {
            i += 1;
        }
        first.push(i as u32);
    }
    first.push((starts.len() - 1) as u32);
    Index {
        low,
        high,
        skip,
        bits,
        first: first.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(first: u32, prefix_len: u8, action: Action) -> Range<u32> {
        let size = if prefix_len == 0 {
            u32::MAX
        } else {
            (1u32 << (32 - prefix_len)) - 1
        };
        Range {
            first,
            last: first + size,
            prefix_len,
            action,
        }
    }

    #[test]
    fn ipv6_starts_sharing_their_high_half_are_told_apart_by_the_low_half() {
        let host = |low: u128, action| {
            let first = (0x2001_0db8u128 << 96) | low;
            Range {
                first,
                last: first,
                prefix_len: 128,
                action,
            }
        };
        let table = Table::compile(vec![host(5, Action::Allow), host(9, Action::Deny)]);
        let at = |low: u128| table.find((0x2001_0db8u128 << 96) | low);
        assert_eq!(table.intervals(), 5);
        assert_eq!(
            [at(4), at(5), at(6), at(9), at(10)],
            [
                Slot::Unlisted,
                Slot::Allow,
                Slot::Unlisted,
                Slot::Deny,
                Slot::Unlisted
            ]
        );
    }

    #[test]
    fn many_hosts_of_one_ipv6_network_are_told_apart() {
        let net = 0x2001_0db8u128 << 96;
        let host = |i: u128| net | (i * 4 + 1);
        let verdict = |i: u128| {
            if i.is_multiple_of(3) {
                Action::Deny
            } else {
                Action::Allow
            }
        };
        let mut ranges: Vec<_> = (0..300u128)
            .map(|i| Range {
                first: host(i),
                last: host(i),
                prefix_len: 128,
                action: verdict(i),
            })
            .collect();
        // /48s elsewhere, so that the table is indexed and the 600 starts
        // of the /64 share one bucket.
        ranges.extend((1..50u128).map(|i| {
            let first = (0x2400 + i * 0x10) << 112;
            Range {
                first,
                last: first | ((1 << 80) - 1),
                prefix_len: 48,
                action: Action::Allow,
            }
        }));
        let table = Table::compile(ranges);
        assert!(table.index.is_some());
        for i in 0..300u128 {
            assert_eq!(table.find(host(i)), Slot::from(verdict(i)), "host {i}");
            assert_eq!(table.find(host(i) - 1), Slot::Unlisted, "below host {i}");
            assert_eq!(table.find(host(i) + 1), Slot::Unlisted, "above host {i}");
        }
        assert_eq!(table.find(0x2410u128 << 112), Slot::Allow);
    }

    #[test]
    fn an_empty_table_is_one_unlisted_interval() {
        let table = Table::<u32>::compile(Vec::new());
        assert_eq!(table.intervals(), 1);
        assert_eq!(table.find(0), Slot::Unlisted);
        assert_eq!(table.find(u32::MAX), Slot::Unlisted);
    }

    #[test]
    fn a_nested_deny_splits_its_allow_range() {
        let table = Table::compile(vec![
            range(0x0a00_0000, 8, Action::Allow),
            range(0x0a01_0000, 16, Action::Deny),
        ]);
        assert_eq!(table.find(0x09ff_ffff), Slot::Unlisted);
        assert_eq!(table.find(0x0a00_ffff), Slot::Allow);
        assert_eq!(table.find(0x0a01_0000), Slot::Deny);
        assert_eq!(table.find(0x0a01_ffff), Slot::Deny);
        assert_eq!(table.find(0x0a02_0000), Slot::Allow);
        assert_eq!(table.find(0x0b00_0000), Slot::Unlisted);
        assert_eq!(table.intervals(), 5);
    }

    #[test]
    fn the_same_prefix_in_both_lists_is_denied() {
        let table = Table::compile(vec![
            range(0x0a00_0000, 8, Action::Deny),
            range(0x0a00_0000, 8, Action::Allow),
        ]);
        assert_eq!(table.find(0x0a00_0001), Slot::Deny);
    }

    #[test]
    fn ranges_reaching_the_end_of_the_space_close_cleanly() {
        let table = Table::compile(vec![
            range(0, 0, Action::Allow),
            range(0xffff_ff00, 24, Action::Deny),
        ]);
        assert_eq!(table.find(0), Slot::Allow);
        assert_eq!(table.find(0xffff_feff), Slot::Allow);
        assert_eq!(table.find(u32::MAX), Slot::Deny);
    }

    #[test]
    fn adjacent_ranges_of_one_action_merge() {
        let table = Table::compile(vec![
            range(0x0a00_0000, 9, Action::Allow),
            range(0x0a80_0000, 9, Action::Allow),
        ]);
        assert_eq!(table.intervals(), 3);
    }

    #[test]
    fn bucket_starts_follow_the_skipped_prefix() {
        let low = 0x0a12_3456u32;
        assert_eq!(low.bucket_start(0, 16, 0x0a12), 0x0a12_0000);
        assert_eq!(low.bucket_start(8, 16, 0), 0x0a00_0000);
        assert_eq!(low.bucket_start(8, 16, 0x1234), 0x0a12_3400);
        assert_eq!(low.bucket_start(16, 16, 0xffff), 0x0a12_ffff);
        assert_eq!(low.bucket_start(4, 8, 0xa1), 0x0a10_0000);
        assert_eq!(0x0a12_3456u32.bucket(8, 16), 0x1234);
        assert_eq!(0x0a12_3456u32.bucket(0, 8), 0x0a);
        let v6 = 0x2001_0db8u128 << 96;
        assert_eq!(v6.bucket_start(4, 16, 0x0010), 0x2001u128 << 112);
    }

    #[test]
    fn a_clustered_list_skips_its_shared_prefix() {
        let ranges: Vec<_> = (0..2_000u32)
            .map(|i| {
                range(
                    0x0a00_0000 | (i.wrapping_mul(2_654_435_761) & 0x00ff_ff00),
                    24,
                    Action::Allow,
                )
            })
            .collect();
        let indexed = Table::compile(ranges.clone());
        let index = indexed.index.as_ref().unwrap();
        assert_eq!((index.skip, index.bits), (8, 12));
        let mut plain = Table::compile(ranges);
        plain.index = None;
        for probe in (0..u32::MAX).step_by(4_093).chain(0x09ff_ff00..0x0a00_0100) {
            assert_eq!(indexed.find(probe), plain.find(probe), "at {probe:#x}");
        }
    }

    #[test]
    fn the_first_level_index_gives_the_same_answers() {
        let ranges: Vec<_> = (0..2_000u32)
            .map(|i| {
                range(
                    i.wrapping_mul(2_654_435_761) & 0xffff_ff00,
                    24,
                    Action::Allow,
                )
            })
            .collect();
        let indexed = Table::compile(ranges.clone());
        assert!(indexed.index.is_some());
        let mut plain = Table::compile(ranges);
        plain.index = None;
        assert_eq!(indexed.index.as_ref().map(|i| i.skip), Some(0));
        for probe in (0..u32::MAX).step_by(65_521) {
            assert_eq!(indexed.find(probe), plain.find(probe), "at {probe:#x}");
        }
    }
}
