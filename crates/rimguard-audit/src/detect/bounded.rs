use std::collections::HashMap;
use std::hash::Hash;

/// A map that never holds more than `cap` entries: when full, it first
/// forgets stale entries, then an arbitrary half.
pub(crate) struct Bounded<K, V> {
    map: HashMap<K, V>,
    cap: usize,
    evicted: u64,
}

impl<K: Hash + Eq, V> Bounded<K, V> {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            map: HashMap::new(),
            cap: cap.max(1),
            evicted: 0,
        }
    }

    /// The entry for `key`, made with `make` if absent; `stale` says which
    /// entries may go first when room is needed.
    pub(crate) fn entry(
        &mut self,
        key: K,
        stale: impl Fn(&V) -> bool,
        make: impl FnOnce() -> V,
    ) -> &mut V {
        if self.map.len() >= self.cap && !self.map.contains_key(&key) {
            self.make_room(stale);
        }
        self.map.entry(key).or_insert_with(make)
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn evicted(&self) -> u64 {
        self.evicted
    }

    fn make_room(&mut self, stale: impl Fn(&V) -> bool) {
        let before = self.map.len();
        self.map.retain(|_, v| !stale(v));
        if self.map.len() >= self.cap {
            // Halving keeps the cost of a flood of new keys amortized O(1).
            let mut to_drop = self.map.len() / 2 + 1;
            self.map.retain(|_, _| {
                let keep = to_drop == 0;
                to_drop = to_drop.saturating_sub(1);
                keep
            });
        }
        self.evicted += (before - self.map.len()) as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_keys_never_grows_past_the_cap() {
        let mut map = Bounded::new(100);
        for key in 0..10_000 {
            *map.entry(key, |_| false, || 0) += 1;
            assert!(map.len() <= 100);
        }
        assert!(map.evicted() > 9_000);
    }

    #[test]
    fn stale_entries_go_first() {
        let mut map = Bounded::new(2);
        map.entry("old", |_| false, || 1);
        map.entry("fresh", |_| false, || 2);
        map.entry("new", |v| *v == 1, || 3);
        assert!(map.get(&"old").is_none());
        assert_eq!(map.get(&"fresh"), Some(&2));
    }
}
