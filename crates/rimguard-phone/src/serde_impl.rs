//! `serde` support: numbers as E.164 strings, and a type that validates on deserialize.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::{PhoneNumber, Strictness};

/// Serializes as E.164 (`"+442079460958"`); the extension is not kept.
impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.e164().as_str())
    }
}

/// Deserializes a number in international form, strictly: see
/// [`Strictness::Strict`]. The number need only parse; use
/// [`ValidPhoneNumber`] to require a valid one.
impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(NumberVisitor)
    }
}

struct NumberVisitor;

impl Visitor<'_> for NumberVisitor {
    type Value = PhoneNumber;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a phone number in international form")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<PhoneNumber, E> {
        PhoneNumber::parse_with(v, None, Strictness::Strict).map_err(E::custom)
    }
}

/// A phone number that was valid when it was deserialized.
///
/// It deserializes from a string in international form (strictly, like
/// [`PhoneNumber`]) and refuses numbers the plan does not allow, so a
/// request body type can carry the check:
///
/// ```
/// use rimguard_phone::ValidPhoneNumber;
///
/// #[derive(serde::Deserialize)]
/// struct Signup {
///     phone: ValidPhoneNumber,
/// }
///
/// let ok: Signup = serde_json::from_str(r#"{"phone": "+44 20 7946 0958"}"#).unwrap();
/// assert_eq!(ok.phone.e164().as_str(), "+442079460958");
/// assert!(serde_json::from_str::<Signup>(r#"{"phone": "+44 20 7946 095"}"#).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ValidPhoneNumber(PhoneNumber);

impl ValidPhoneNumber {
    /// Wraps a number that is valid; `None` otherwise.
    pub fn new(number: PhoneNumber) -> Option<Self> {
        number.is_valid().then_some(Self(number))
    }

    /// The number.
    pub fn into_inner(self) -> PhoneNumber {
        self.0
    }
}

impl std::ops::Deref for ValidPhoneNumber {
    type Target = PhoneNumber;

    fn deref(&self) -> &PhoneNumber {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ValidPhoneNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = PhoneNumber::deserialize(deserializer)?;
        Self::new(number).ok_or_else(|| de::Error::custom("not a valid phone number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_serialize_as_e164_and_come_back() {
        let n = PhoneNumber::parse_international("+44 20 7946 0958").unwrap();
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(json, "\"+442079460958\"");
        assert_eq!(serde_json::from_str::<PhoneNumber>(&json).unwrap(), n);
    }

    #[test]
    fn deserializing_is_strict() {
        assert!(serde_json::from_str::<PhoneNumber>("\"+44 20 7946 0958\\u200b\"").is_err());
        assert!(serde_json::from_str::<PhoneNumber>("\"1-800-FLOWERS\"").is_err());
        assert!(serde_json::from_str::<PhoneNumber>("12").is_err());
    }

    #[test]
    fn the_error_does_not_echo_the_input() {
        let err = serde_json::from_str::<ValidPhoneNumber>("\"+44 20 7946 095\"").unwrap_err();
        assert!(!err.to_string().contains("7946"));
    }
}
