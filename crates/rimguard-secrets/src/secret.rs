//! Secret values: the `secrecy` types rimguard holds them in, and equality
//! in constant time.
//!
//! A secret is a [`SecretString`] (text: API keys, tokens) or a
//! [`SecretBytes`] (bytes: HMAC keys). Both come from the `secrecy` crate:
//!
//! - no `Display`, and a `Debug` that prints `[REDACTED]`;
//! - the memory is zeroized when the value is dropped;
//! - no `Serialize` at all, and `Deserialize` only with this crate's
//!   `serde-secrets` feature (rimguard's own configuration never holds a
//!   secret, only the name of its source);
//! - the value is reachable only through [`ExposeSecret::expose_secret`], a
//!   call that is easy to find in review.
//!
//! `secrecy` types have no `PartialEq`; compare them with [`secret_eq`],
//! which takes the same time whatever the values and their lengths.
//!
//! # Example
//!
//! ```
//! use rimguard_secrets::secret::{secret_eq, SecretString};
//!
//! let stored = SecretString::from("rg_live_0123456789abcdef");
//! let offered = SecretString::from("rg_live_0123456789abcdef");
//!
//! assert!(secret_eq(&stored, &offered));
//! assert_eq!(format!("{stored:?}"), "SecretBox<str>([REDACTED])");
//! ```

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use secrecy::{ExposeSecret, SecretBox, SecretSlice, SecretString};

/// A secret byte string, such as an HMAC key. Zeroized on drop.
pub type SecretBytes = SecretSlice<u8>;

/// Compares two secrets in constant time.
///
/// Both sides are hashed with SHA-256 first and the digests compared with
/// [`subtle`], so neither where the values differ nor whether their lengths
/// differ shows in the time taken.
pub fn secret_eq<A, B>(a: &A, b: &B) -> bool
where
    A: ExposeSecret<str> + ?Sized,
    B: ExposeSecret<str> + ?Sized,
{
    bytes_eq(a.expose_secret().as_bytes(), b.expose_secret().as_bytes())
}

/// Compares two byte strings in constant time (see [`secret_eq`]).
pub fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    let a = Sha256::digest(a);
    let b = Sha256::digest(b);
    a.ct_eq(&b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_secrets_compare_equal_and_others_do_not() {
        let a = SecretString::from("correct horse");
        assert!(secret_eq(&a, &SecretString::from("correct horse")));
        assert!(!secret_eq(&a, &SecretString::from("correct horsf")));
        assert!(!secret_eq(&a, &SecretString::from("correct horse ")));
        assert!(!secret_eq(&a, &SecretString::from("")));
    }

    #[test]
    fn debug_is_redacted() {
        let a = SecretString::from("hunter2-canary");
        let b = SecretBytes::from(b"hunter2-canary".to_vec());
        let printed = format!("{a:?} {a:#?} {b:?} {b:#?}");
        assert!(!printed.contains("hunter2"));
        assert!(printed.contains("REDACTED"));
    }
}
