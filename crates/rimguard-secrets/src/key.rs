//! API keys as the server keeps them: a SHA-256 digest, never the key, with
//! an id, a prefix that tells keys apart without revealing them, a creation
//! time and scopes.
//!
//! # Example
//!
//! ```
//! use std::time::SystemTime;
//! use rimguard_secrets::key::{ApiKey, Scopes};
//! use rimguard_secrets::secret::SecretString;
//!
//! let secret = SecretString::from("rg_live_ab12cd34ef56gh78ij90");
//! let key = ApiKey::new("bot-2026-12", &secret, SystemTime::UNIX_EPOCH)
//!     .unwrap()
//!     .with_scopes(Scopes::READ_WRITE);
//!
//! assert_eq!(key.id().as_str(), "bot-2026-12");
//! assert_eq!(key.prefix(), "rg_live_ab12…");
//! assert!(key.matches(b"rg_live_ab12cd34ef56gh78ij90"));
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::Method;
use rimguard_core::ApiKeyId;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The shortest API key accepted, in bytes.
pub const MIN_KEY_LEN: usize = 16;
/// The longest API key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 512;

/// A SHA-256 digest of a key.
pub type KeyDigest = [u8; 32];

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Safe methods: `GET`, `HEAD`, `OPTIONS`, `TRACE`.
    Read,
    /// Every other method (`POST`, `PUT`, `PATCH`, `DELETE`, …).
    Write,
}

/// A set of [`Scope`]s.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Scopes(u8);

impl Scopes {
    /// No scope: every request is refused with 403.
    pub const NONE: Self = Self(0);
    /// Read only.
    pub const READ: Self = Self(1);
    /// Write only.
    pub const WRITE: Self = Self(2);
    /// Read and write.
    pub const READ_WRITE: Self = Self(3);

    /// Whether `scope` is in the set.
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & Self::from(scope).0 != 0
    }

    /// The scope `method` needs: [`Scope::Read`] for safe methods, else
    /// [`Scope::Write`].
    pub fn required_for(method: &Method) -> Scope {
        if method.is_safe() {
            Scope::Read
        } else {
            Scope::Write
        }
    }

    /// Whether a key with these scopes may make a request with `method`.
    pub fn allows(self, method: &Method) -> bool {
        self.contains(Self::required_for(method))
    }
}

impl From<Scope> for Scopes {
    fn from(scope: Scope) -> Self {
        match scope {
            Scope::Read => Self::READ,
            Scope::Write => Self::WRITE,
        }
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .fold(0, |bits, scope| bits | Self::from(scope).0),
        )
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut set = f.debug_set();
        for scope in [Scope::Read, Scope::Write] {
            if self.contains(scope) {
                set.entry(&scope);
            }
        }
        set.finish()
    }
}

/// A key that cannot be an API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum KeyError {
    /// Shorter than [`MIN_KEY_LEN`].
    #[error("an API key must be at least {MIN_KEY_LEN} bytes long")]
    TooShort,
    /// Longer than [`MAX_KEY_LEN`].
    #[error("an API key must be at most {MAX_KEY_LEN} bytes long")]
    TooLong,
    /// Holds a byte that cannot travel in an HTTP header token.
    #[error("an API key must be visible ASCII without spaces")]
    BadCharacter,
}

/// What may be said about a key: its id, prefix and creation time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyMeta {
    #[serde(serialize_with = "serialize_id")]
    id: ApiKeyId,
    prefix: String,
    #[serde(serialize_with = "serialize_time")]
    created: SystemTime,
}

fn serialize_id<S: serde::Serializer>(id: &ApiKeyId, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(id.as_str())
}

fn serialize_time<S: serde::Serializer>(time: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&humantime::format_rfc3339_seconds(*time))
}

impl KeyMeta {
    /// The key's public id, as it appears in request extensions and logs.
    pub fn id(&self) -> &ApiKeyId {
        &self.id
    }

    /// A prefix that tells keys apart without revealing them, such as
    /// `rg_live_ab12…`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// When the key was made.
    pub fn created(&self) -> SystemTime {
        self.created
    }

    /// The key's age at `now` (zero for a creation time in the future).
    pub fn age(&self, now: SystemTime) -> Duration {
        now.duration_since(self.created).unwrap_or_default()
    }
}

/// An accepted API key: its digest, metadata and scopes. See the
/// [module docs](self).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    meta: KeyMeta,
    digest: KeyDigest,
    scopes: Scopes,
}

impl ApiKey {
    /// A key with public `id`, made at `created`, allowed to read only
    /// (see [`with_scopes`](Self::with_scopes)). Only its SHA-256 digest is
    /// kept.
    ///
    /// # Errors
    ///
    /// When the key is shorter than [`MIN_KEY_LEN`], longer than
    /// [`MAX_KEY_LEN`], or holds a byte other than visible ASCII.
    pub fn new(
        id: impl Into<Arc<str>>,
        key: &SecretString,
        created: SystemTime,
    ) -> Result<Self, KeyError> {
        let key = key.expose_secret().as_bytes();
        check_key(key)?;
        let prefix = display_prefix(key);
        Ok(Self::from_digest(id, digest(key), prefix, created))
    }

    /// A key known only by its digest (for keys whose value the server
    /// never sees), with a `prefix` to show for it.
    pub fn from_digest(
        id: impl Into<Arc<str>>,
        digest: KeyDigest,
        prefix: impl Into<String>,
        created: SystemTime,
    ) -> Self {
        let meta = KeyMeta {
            id: ApiKeyId::new(id),
            prefix: prefix.into(),
            created,
        };
        Self {
            meta,
            digest,
            scopes: Scopes::READ,
        }
    }

    /// Sets what the key may do.
    pub fn with_scopes(mut self, scopes: Scopes) -> Self {
        self.scopes = scopes;
        self
    }

    /// The id, prefix and creation time.
    pub fn meta(&self) -> &KeyMeta {
        &self.meta
    }

    /// The public id.
    pub fn id(&self) -> &ApiKeyId {
        &self.meta.id
    }

    /// The non-revealing prefix.
    pub fn prefix(&self) -> &str {
        &self.meta.prefix
    }

    /// What the key may do.
    pub fn scopes(&self) -> Scopes {
        self.scopes
    }

    /// Whether `presented` is this key, compared in constant time.
    pub fn matches(&self, presented: &[u8]) -> bool {
        self.digest.ct_eq(&digest(presented)).into()
    }

    pub(crate) fn digest(&self) -> &KeyDigest {
        &self.digest
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("id", &self.meta.id.as_str())
            .field("prefix", &self.meta.prefix)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// The SHA-256 digest of a key.
pub fn digest(key: &[u8]) -> KeyDigest {
    Sha256::digest(key).into()
}

/// A short fingerprint of a key: the first 8 hex digits of its digest.
pub fn fingerprint(key: &[u8]) -> String {
    hex::encode(&digest(key)[..4])
}

fn check_key(key: &[u8]) -> Result<(), KeyError> {
    if key.len() < MIN_KEY_LEN {
        return Err(KeyError::TooShort);
    }
    if key.len() > MAX_KEY_LEN {
        return Err(KeyError::TooLong);
    }
    if !key.iter().all(|b| b.is_ascii_graphic()) {
        return Err(KeyError::BadCharacter);
    }
    Ok(())
}

/// The vendor part of a key (up to its last `_` within the first 16
/// bytes, like `rg_live_`), then 4 more characters when at least 16 stay
/// hidden, then `…`.
fn display_prefix(key: &[u8]) -> String {
    let head = &key[..key.len().min(16)];
    let vendor = head.iter().rposition(|&b| b == b'_').map_or(0, |i| i + 1);
    let hidden = key.len() - vendor;
    let shown = if hidden >= 20 { vendor + 4 } else { vendor };
    let mut prefix = String::from_utf8_lossy(&key[..shown]).into_owned();
    prefix.push('…');
    prefix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_shows_the_vendor_part_and_four_characters() {
        assert_eq!(
            display_prefix(b"rg_live_ab12cd34ef56gh78ij90"),
            "rg_live_ab12…"
        );
        assert_eq!(display_prefix(b"0123456789abcdef0123"), "0123…");
        assert_eq!(display_prefix(b"rg_live_0123456789abcdef"), "rg_live_…");
    }

    #[test]
    fn keys_of_the_wrong_shape_are_refused() {
        let make = |k: &str| ApiKey::new("k", &SecretString::from(k), SystemTime::UNIX_EPOCH);
        assert_eq!(make("short").unwrap_err(), KeyError::TooShort);
        assert_eq!(make(&"x".repeat(513)).unwrap_err(), KeyError::TooLong);
        assert_eq!(
            make("has a space in it, see").unwrap_err(),
            KeyError::BadCharacter
        );
        assert!(make("rg_live_0123456789abcdef").is_ok());
    }

    #[test]
    fn read_scope_allows_safe_methods_only() {
        assert!(Scopes::READ.allows(&Method::GET));
        assert!(Scopes::READ.allows(&Method::HEAD));
        assert!(!Scopes::READ.allows(&Method::POST));
        assert!(!Scopes::READ.allows(&Method::DELETE));
        assert!(Scopes::READ_WRITE.allows(&Method::PATCH));
        assert_eq!(
            [Scope::Read, Scope::Write].into_iter().collect::<Scopes>(),
            Scopes::READ_WRITE
        );
    }

    #[test]
    fn debug_shows_id_and_prefix_only() {
        let key = ApiKey::new(
            "bot",
            &SecretString::from("rg_live_ab12cd34ef56gh78ij90"),
            SystemTime::UNIX_EPOCH,
        )
        .unwrap();
        let printed = format!("{key:?} {key:#?}");
        assert!(!printed.contains("cd34ef56"));
        assert!(printed.contains("rg_live_ab12…"));
    }
}
