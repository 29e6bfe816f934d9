//! Who the request is from, as the inner layers found out.
//!
//! These types travel in request extensions from the layer that learns a
//! fact to the layers that use it: the API key layer stores an [`ApiKeyId`],
//! the phone layer a [`CallerPhone`]; the rate limiter keys on them and the
//! audit layer records them. They live here so that no layer crate needs
//! another layer crate to read them.
//!
//! Neither type ever prints what it protects: an [`ApiKeyId`] is the key's
//! public id, never the key, and a [`CallerPhone`] prints masked.
//!
//! # Example
//!
//! ```
//! use rimguard_core::{ApiKeyId, CallerPhone};
//!
//! let key = ApiKeyId::new("bot-primary");
//! let phone = CallerPhone::from_e164("+442079460958").unwrap();
//!
//! assert_eq!(key.as_str(), "bot-primary");
//! assert_eq!(phone.masked().to_string(), "+••••••••0958");
//! assert_eq!(format!("{phone:?}"), "CallerPhone(+••••••••0958)");
//! ```

use std::fmt;
use std::sync::Arc;

/// The public id of the API key that authenticated a request.
///
/// Never the key itself: an id is safe to log, to key a rate limit on and to
/// write into an audit record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApiKeyId(Arc<str>);

impl ApiKeyId {
    /// An id such as `"bot-primary"`.
    pub fn new(id: impl Into<Arc<str>>) -> Self {
        Self(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ApiKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The caller's phone number, normalized to E.164 by a phone layer.
///
/// `Debug` and [`masked`](Self::masked) show only the last four digits; the
/// full number is reachable only through [`as_e164`](Self::as_e164), for
/// the code that must look the customer up.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CallerPhone(Arc<str>);

impl CallerPhone {
    /// Accepts a string of E.164 shape: `+`, then 2 to 15 ASCII digits, the
    /// first not `0`. It checks the shape only; validation against a
    /// numbering plan is the phone layer's work.
    pub fn from_e164(e164: &str) -> Option<Self> {
        let digits = e164.strip_prefix('+')?;
        let shape_ok = (2..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        shape_ok.then(|| Self(Arc::from(e164)))
    }

    /// The full number in E.164, such as `+442079460958`.
    ///
    /// Do not log it; log [`masked`](Self::masked) instead.
    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// A display form that keeps `+` and the last four digits.
    pub fn masked(&self) -> MaskedPhone<'_> {
        MaskedPhone(&self.0)
    }
}

impl fmt::Debug for CallerPhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallerPhone({})", self.masked())
    }
}

/// A phone number displayed with all but its last four digits hidden.
///
/// See [`CallerPhone::masked`].
#[derive(Clone, Copy)]
pub struct MaskedPhone<'a>(&'a str);

impl fmt::Display for MaskedPhone<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.trim_start_matches('+');
        let shown = digits.len().saturating_sub(4);
        f.write_str("+")?;
        for _ in 0..shown {
            f.write_str("•")?;
        }
        f.write_str(&digits[shown..])
    }
}

impl fmt::Debug for MaskedPhone<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_shape_is_checked() {
        assert!(CallerPhone::from_e164("+14155550100").is_some());
        assert!(CallerPhone::from_e164("14155550100").is_none());
        assert!(CallerPhone::from_e164("+0123").is_none());
        assert!(CallerPhone::from_e164("+1").is_none());
        assert!(CallerPhone::from_e164("+1234567890123456").is_none());
        assert!(CallerPhone::from_e164("+44 20").is_none());
    }

    #[test]
    fn debug_never_shows_more_than_four_digits() {
        let phone = CallerPhone::from_e164("+442079460958").unwrap();
        let debug = format!("{phone:?} {:#?}", phone);
        assert!(!debug.contains("2079"));
        assert!(debug.contains("0958"));
    }

    #[test]
    fn short_numbers_mask_what_they_can() {
        let phone = CallerPhone::from_e164("+123").unwrap();
        assert_eq!(phone.masked().to_string(), "+123");
    }
}
