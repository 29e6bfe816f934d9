//! Two active keys, so a key can be rotated without downtime, and a
//! warning when a key is due for rotation.
//!
//! [`ApiKeys`] holds a primary and a secondary slot; a presented key is
//! accepted when it matches either. A rotation is:
//!
//! 1. [`stage`](ApiKeys::stage) the new key into the secondary slot: both
//!    keys work, and clients move to the new one at their pace;
//! 2. [`promote`](ApiKeys::promote) it: the new key becomes primary, the
//!    old one secondary (still accepted);
//! 3. [`retire`](ApiKeys::retire) the old key: only the new one works.
//!
//! Every change swaps the whole [`KeySlots`] at once (through `arc-swap`):
//! a request sees the old pair or the new pair, never a mix.
//!
//! [`check_rotation`](ApiKeys::check_rotation) compares each key's age
//! with the rotation period (90 days unless set), logs a WARN on target
//! `rimguard::secrets` for each key past it, and records how many were in
//! [`overdue_keys`](ApiKeys::overdue_keys), a gauge for metrics. It runs
//! when the set is built and after each change; call it from a timer (or
//! `rimguard secret check`) to learn of keys that age while running.
//!
//! # Example
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use rimguard_secrets::clock::ManualClock;
//! use rimguard_secrets::key::ApiKey;
//! use rimguard_secrets::rotation::{ApiKeys, KeySlots};
//! use rimguard_secrets::secret::SecretString;
//!
//! let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
//! let key = |id: &str, value: &str| {
//!     ApiKey::new(id, &SecretString::from(value), SystemTime::UNIX_EPOCH).unwrap()
//! };
//! let keys = ApiKeys::builder(KeySlots::new(key("old", "rg_live_old_0123456789abcdef")))
//!     .clock(clock.clone())
//!     .build();
//!
//! keys.stage(key("new", "rg_live_new_0123456789abcdef"));
//! assert!(keys.verify(b"rg_live_old_0123456789abcdef").is_some());
//! keys.promote().unwrap();
//! keys.retire();
//! assert!(keys.verify(b"rg_live_old_0123456789abcdef").is_none());
//! assert_eq!(keys.verify(b"rg_live_new_0123456789abcdef").unwrap().id().as_str(), "new");
//!
//! clock.advance(Duration::from_secs(91 * 24 * 3600));
//! assert_eq!(keys.check_rotation().len(), 1);
//! assert_eq!(keys.overdue_keys(), 1);
//! ```

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

use crate::clock::{Clock, SystemClock};
use crate::key::{self, ApiKey, KeyMeta};

/// The rotation period unless set: 90 days.
pub const DEFAULT_ROTATE_AFTER: Duration = Duration::from_secs(90 * 24 * 60 * 60);

/// The pair of keys in force at one moment.
#[derive(Debug, Clone, Default)]
pub struct KeySlots {
    slots: [Option<Arc<ApiKey>>; 2],
}

impl KeySlots {
    /// A pair with `primary` and no secondary.
    pub fn new(primary: ApiKey) -> Self {
        Self {
            slots: [Some(Arc::new(primary)), None],
        }
    }

    /// Sets the secondary slot.
    pub fn with_secondary(mut self, secondary: ApiKey) -> Self {
        self.slots[1] = Some(Arc::new(secondary));
        self
    }

    /// The primary key, if any.
    pub fn primary(&self) -> Option<&ApiKey> {
        self.slots[0].as_deref()
    }

    /// The secondary key, if any.
    pub fn secondary(&self) -> Option<&ApiKey> {
        self.slots[1].as_deref()
    }

    /// The keys present, primary first.
    pub fn iter(&self) -> impl Iterator<Item = &ApiKey> {
        self.slots.iter().flatten().map(|key| &**key)
    }

    /// The key matching `presented`.
    ///
    /// The presented key is hashed once and its digest compared with every
    /// slot, without stopping at a match, so the time taken tells neither
    /// whether nor which slot matched.
    pub fn verify(&self, presented: &[u8]) -> Option<&Arc<ApiKey>> {
        let presented = key::digest(presented);
        let absent = [0u8; 32];
        let mut found = Choice::from(0);
        let mut index = 0u8;
        for (i, slot) in self.slots.iter().enumerate() {
            let (stored, present) = match slot {
                Some(key) => (key.digest(), Choice::from(1)),
                None => (&absent, Choice::from(0)),
            };
            let hit = digests_equal(stored, &presented) & present;
            index.conditional_assign(&(i as u8), hit);
            found |= hit;
        }
        bool::from(found)
            .then(|| self.slots[usize::from(index)].as_ref())
            .flatten()
    }
}

/// Whether two digests are equal, in constant time: the XOR of their four
/// 64-bit words is folded without a branch and compared with zero once,
/// which costs one optimisation barrier instead of one per byte.
fn digests_equal(a: &key::KeyDigest, b: &key::KeyDigest) -> Choice {
    let mut diff = 0u64;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let x = u64::from_ne_bytes(x.try_into().expect("chunks of 8 bytes"));
        let y = u64::from_ne_bytes(y.try_into().expect("chunks of 8 bytes"));
        diff |= x ^ y;
    }
    diff.ct_eq(&0)
}

/// A promotion with nothing in the secondary slot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("there is no secondary key to promote")]
pub struct NothingToPromote;

/// Builds an [`ApiKeys`]; the age check runs once, in
/// [`build`](Self::build), with the clock chosen here.
pub struct ApiKeysBuilder {
    name: Arc<str>,
    slots: KeySlots,
    rotate_after: Duration,
    clock: Arc<dyn Clock>,
}

impl ApiKeysBuilder {
    /// Names the set in logs (such as `bot`, from `[api_keys.bot]`).
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the rotation period (90 days unless set).
    pub fn rotate_after(mut self, rotate_after: Duration) -> Self {
        self.rotate_after = rotate_after;
        self
    }

    /// Sets the clock that ages keys (the system clock unless set).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The set, after a first age check.
    pub fn build(self) -> ApiKeys {
        let inner = Inner {
            name: self.name,
            slots: ArcSwap::from_pointee(self.slots),
            rotate_after: self.rotate_after,
            clock: self.clock,
            overdue: AtomicUsize::new(0),
        };
        let keys = ApiKeys {
            inner: Arc::new(inner),
        };
        keys.check_rotation();
        keys
    }
}

impl fmt::Debug for ApiKeysBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeysBuilder")
            .field("name", &self.name)
            .field("slots", &self.slots)
            .field("rotate_after", &self.rotate_after)
            .finish_non_exhaustive()
    }
}

/// A rotating pair of API keys, shared by every clone. See the
/// [module docs](self).
#[derive(Clone)]
pub struct ApiKeys {
    inner: Arc<Inner>,
}

struct Inner {
    name: Arc<str>,
    slots: ArcSwap<KeySlots>,
    rotate_after: Duration,
    clock: Arc<dyn Clock>,
    overdue: AtomicUsize,
}

impl ApiKeys {
    /// A set with `primary` only, the default rotation period and the
    /// system clock.
    pub fn new(primary: ApiKey) -> Self {
        Self::builder(KeySlots::new(primary)).build()
    }

    /// A set with the given slots, the default rotation period and the
    /// system clock.
    pub fn from_slots(slots: KeySlots) -> Self {
        Self::builder(slots).build()
    }

    /// A builder for a set with a name, a rotation period or a clock of
    /// its own.
    pub fn builder(slots: KeySlots) -> ApiKeysBuilder {
        ApiKeysBuilder {
            name: "api-keys".into(),
            slots,
            rotate_after: DEFAULT_ROTATE_AFTER,
            clock: Arc::new(SystemClock),
        }
    }

    /// The set's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The rotation period.
    pub fn rotate_after(&self) -> Duration {
        self.inner.rotate_after
    }

    /// The pair in force now.
    pub fn slots(&self) -> Arc<KeySlots> {
        self.inner.slots.load_full()
    }

    /// The key matching `presented`, in constant time (see
    /// [`KeySlots::verify`]).
    pub fn verify(&self, presented: &[u8]) -> Option<Arc<ApiKey>> {
        self.inner.slots.load().verify(presented).cloned()
    }

    /// Puts `key` in the secondary slot (replacing what was there): from
    /// now on both it and the primary are accepted.
    pub fn stage(&self, key: ApiKey) {
        let key = Arc::new(key);
        self.update(|slots| KeySlots {
            slots: [slots.slots[0].clone(), Some(key.clone())],
        });
        tracing::info!(target: "rimguard::secrets", keys = %self.name(), "new key staged as secondary");
    }

    /// Swaps the slots: the secondary key becomes primary and the primary
    /// secondary. Both stay accepted.
    ///
    /// # Errors
    ///
    /// When the secondary slot is empty; nothing changes then.
    pub fn promote(&self) -> Result<(), NothingToPromote> {
        if self.inner.slots.load().slots[1].is_none() {
            return Err(NothingToPromote);
        }
        self.update(|slots| match &slots.slots {
            [primary, Some(secondary)] => KeySlots {
                slots: [Some(secondary.clone()), primary.clone()],
            },
            [_, None] => slots.clone(),
        });
        tracing::info!(target: "rimguard::secrets", keys = %self.name(), "secondary key promoted");
        Ok(())
    }

    /// Empties the secondary slot, returning what was in it: from now on
    /// only the primary key is accepted.
    pub fn retire(&self) -> Option<KeyMeta> {
        let old = self.inner.slots.load().slots[1]
            .as_ref()
            .map(|key| key.meta().clone());
        self.update(|slots| KeySlots {
            slots: [slots.slots[0].clone(), None],
        });
        if let Some(meta) = &old {
            tracing::info!(target: "rimguard::secrets", keys = %self.name(), key_id = %meta.id(), "key retired");
        }
        old
    }

    /// Puts a whole new pair in force at once.
    pub fn replace(&self, slots: KeySlots) {
        self.inner.slots.store(Arc::new(slots));
        self.check_rotation();
    }

    fn update(&self, edit: impl Fn(&KeySlots) -> KeySlots) {
        self.inner.slots.rcu(|slots| edit(slots));
        self.check_rotation();
    }

    /// The keys older than the rotation period, each logged at WARN on
    /// target `rimguard::secrets`; their count is kept for
    /// [`overdue_keys`](Self::overdue_keys).
    pub fn check_rotation(&self) -> Vec<KeyMeta> {
        let now = self.inner.clock.now();
        let limit = self.inner.rotate_after;
        let overdue: Vec<KeyMeta> = self
            .slots()
            .iter()
            .filter(|key| key.meta().age(now) > limit)
            .map(|key| key.meta().clone())
            .collect();
        for meta in &overdue {
            tracing::warn!(
                target: "rimguard::secrets",
                keys = %self.name(),
                key_id = %meta.id(),
                key_prefix = meta.prefix(),
                age_days = meta.age(now).as_secs() / 86_400,
                rotate_after_days = limit.as_secs() / 86_400,
                "API key is due for rotation"
            );
        }
        self.inner.overdue.store(overdue.len(), Ordering::Relaxed);
        overdue
    }

    /// How many keys the last [`check_rotation`](Self::check_rotation)
    /// found past the rotation period: a gauge for metrics.
    pub fn overdue_keys(&self) -> usize {
        self.inner.overdue.load(Ordering::Relaxed)
    }
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeys")
            .field("name", &self.inner.name)
            .field("slots", &self.inner.slots.load())
            .field("rotate_after", &self.inner.rotate_after)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::digests_equal;

    #[test]
    fn digests_are_equal_only_when_every_byte_is() {
        let a = crate::key::digest(b"rg_test_0123456789abcdef0123");
        assert!(bool::from(digests_equal(&a, &a)));
        for i in 0..32 {
            for bit in [0x01, 0x80] {
                let mut b = a;
                b[i] ^= bit;
                assert!(!bool::from(digests_equal(&a, &b)), "byte {i} bit {bit:#x}");
            }
        }
    }
}
