//! Short keyed fingerprints, so masked values still correlate.
//!
//! A [`Fingerprinter`] holds a per-deployment key and turns a value into
//! twelve letters (`a` to `p`, 48 bits of an HMAC-SHA256). The same value
//! gives the same letters in every log line of every instance that shares
//! the key, so "the same API key failed 40 times" or "these two lines are
//! about one customer" can be seen without the value. Without the key, the
//! letters cannot be computed from a guess, which matters for values that
//! are easy to guess, like phone numbers.
//!
//! The letters never hold a digit, so a fingerprint is never mistaken for a
//! phone or card number when logs are scrubbed twice.
//!
//! # Example
//!
//! ```
//! use rimguard_redact::Fingerprinter;
//!
//! let fingerprinter = Fingerprinter::new(b"a per-deployment key of 32 bytes").unwrap();
//! let a = fingerprinter.fingerprint(b"+447911123456");
//! let b = fingerprinter.fingerprint(b"+447911123456");
//!
//! assert_eq!(a, b);
//! assert_eq!(a.to_string().len(), 12);
//! assert_ne!(a, fingerprinter.fingerprint(b"+447911123457"));
//! ```

use std::fmt;

use hmac::{Hmac, Mac};
use rimguard_core::ConfigError;
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

/// The shortest key accepted, in bytes.
pub const MIN_KEY_LEN: usize = 16;

/// Computes [`Fingerprint`]s with a secret key.
///
/// See the [module docs](self) for an example.
#[derive(Clone)]
pub struct Fingerprinter {
    mac: Hmac<Sha256>,
}

impl fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fingerprinter { key: [hidden] }")
    }
}

impl Fingerprinter {
    /// A fingerprinter keyed with `key`.
    ///
    /// # Errors
    ///
    /// When the key is shorter than [`MIN_KEY_LEN`] bytes; the error's field
    /// is `fingerprint_key`.
    pub fn new(key: &[u8]) -> Result<Self, ConfigError> {
        if key.len() < MIN_KEY_LEN {
            let message = format!("the fingerprint key must be at least {MIN_KEY_LEN} bytes long");
            return Err(ConfigError::new("fingerprint_key", message));
        }
        let mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
        Ok(Self { mac })
    }

    /// A fingerprinter keyed with a secret loaded by the application.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn from_secret(key: &SecretSlice<u8>) -> Result<Self, ConfigError> {
        Self::new(key.expose_secret())
    }

    /// The fingerprint of `value`.
    pub fn fingerprint(&self, value: &[u8]) -> Fingerprint {
        let mut mac = self.mac.clone();
        mac.update(value);
        let digest = mac.finalize().into_bytes();
        let mut letters = [0u8; 12];
        for (i, byte) in digest[..6].iter().enumerate() {
            letters[2 * i] = b'a' + (byte >> 4);
            letters[2 * i + 1] = b'a' + (byte & 0x0f);
        }
        Fingerprint(letters)
    }
}

/// Twelve letters that stand for a value; see the [module docs](self).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 12]);

impl Fingerprint {
    /// The letters.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a fingerprint holds ASCII letters only")
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_key_is_refused_with_its_field() {
        let error = Fingerprinter::new(b"short").unwrap_err();
        assert_eq!(error.field(), "fingerprint_key");
    }

    #[test]
    fn different_keys_give_different_fingerprints() {
        let one = Fingerprinter::new(&[1; 32]).unwrap().fingerprint(b"value");
        let two = Fingerprinter::new(&[2; 32]).unwrap().fingerprint(b"value");
        assert_ne!(one, two);
        assert!(one.as_str().bytes().all(|b| (b'a'..=b'p').contains(&b)));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let fingerprinter = Fingerprinter::new(b"0123456789abcdef-key").unwrap();
        assert!(!format!("{fingerprinter:?}").contains("0123"));
    }
}
