//! Showing a number without revealing it: masked display and keyed pseudonyms.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::PhoneNumber;

/// A number displayed with only its calling code and last four digits:
/// `+44 ••• ••• 0958`.
///
/// The mask has the same width whatever the length, so it does not leak
/// the length either; a national number of four digits or fewer shows none.
///
/// # Example
///
/// ```
/// use rimguard_phone::PhoneNumber;
///
/// let number = PhoneNumber::parse_international("+44 20 7946 0958").unwrap();
/// assert_eq!(number.masked().to_string(), "+44 ••• ••• 0958");
/// ```
#[derive(Clone, Copy)]
pub struct Masked<'a>(&'a PhoneNumber);

impl<'a> Masked<'a> {
    pub(crate) fn new(number: &'a PhoneNumber) -> Self {
        Self(number)
    }
}

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nsn = self.0.national_number();
        write!(f, "+{} ••• •••", self.0.calling_code())?;
        if nsn.len() > 4 {
            write!(f, " {}", &nsn[nsn.len() - 4..])?;
        }
        Ok(())
    }
}

impl fmt::Debug for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Turns numbers into keyed pseudonyms (HMAC-SHA256 of the E.164 form), so
/// log lines about one number can be correlated without storing it.
///
/// The key must stay secret: anyone with it can test guesses, and the space
/// of phone numbers is small. Load it from a secret store; its `Debug` never
/// prints it.
///
/// # Example
///
/// ```
/// use rimguard_phone::{PhoneNumber, Pseudonymizer};
///
/// let pseudonyms = Pseudonymizer::new(b"a key of at least sixteen bytes!").unwrap();
/// let a = PhoneNumber::parse_international("+44 20 7946 0958").unwrap();
/// let b = PhoneNumber::parse_international("+442079460958").unwrap();
/// assert_eq!(pseudonyms.pseudonym(&a), pseudonyms.pseudonym(&b));
/// assert!(pseudonyms.pseudonym(&a).to_string().starts_with("ph:"));
/// ```
#[derive(Clone)]
pub struct Pseudonymizer {
    mac: Hmac<Sha256>,
}

/// The key given to [`Pseudonymizer::new`] is shorter than 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyTooShort;

impl fmt::Display for KeyTooShort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a pseudonym key needs at least 16 bytes")
    }
}

impl std::error::Error for KeyTooShort {}

impl Pseudonymizer {
    /// The shortest key accepted, in bytes.
    pub const MIN_KEY_LEN: usize = 16;

    /// A pseudonymizer keyed with `key`.
    ///
    /// # Errors
    ///
    /// [`KeyTooShort`] when the key has fewer than [`MIN_KEY_LEN`](Self::MIN_KEY_LEN) bytes.
    pub fn new(key: &[u8]) -> Result<Self, KeyTooShort> {
        if key.len() < Self::MIN_KEY_LEN {
            return Err(KeyTooShort);
        }
        let mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| KeyTooShort)?;
        Ok(Self { mac })
    }

    /// The pseudonym of a number (its extension is ignored).
    pub fn pseudonym(&self, number: &PhoneNumber) -> Pseudonym {
        let mut mac = self.mac.clone();
        mac.update(number.e164().as_str().as_bytes());
        let tag = mac.finalize().into_bytes();
        let mut out = [0u8; 16];
        out.copy_from_slice(&tag[..16]);
        Pseudonym(out)
    }
}

impl fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pseudonymizer { key: <redacted> }")
    }
}

/// A keyed pseudonym of a number: 128 bits, shown as `ph:` and 32 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pseudonym([u8; 16]);

impl Pseudonym {
    /// The raw 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ph:")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pseudonym({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mask_keeps_the_code_and_four_digits() {
        let n = PhoneNumber::parse_international("+1 202 555 0173").unwrap();
        assert_eq!(n.masked().to_string(), "+1 ••• ••• 0173");
        let short = PhoneNumber::parse_international("+290 1234").unwrap();
        assert_eq!(short.masked().to_string(), "+290 ••• •••");
    }

    #[test]
    fn pseudonyms_depend_on_the_key() {
        let n = PhoneNumber::parse_international("+44 20 7946 0958").unwrap();
        let a = Pseudonymizer::new(&[1; 32]).unwrap().pseudonym(&n);
        let b = Pseudonymizer::new(&[2; 32]).unwrap().pseudonym(&n);
        assert_ne!(a, b);
        assert_eq!(a.to_string().len(), 35);
        assert!(Pseudonymizer::new(b"short").is_err());
        assert_eq!(
            format!("{:?}", Pseudonymizer::new(&[1; 32]).unwrap()),
            "Pseudonymizer { key: <redacted> }"
        );
    }
}
