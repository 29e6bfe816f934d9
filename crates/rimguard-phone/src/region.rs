//! Regions (ISO 3166 alpha-2 codes, as libphonenumber names them).

use std::fmt;
use std::str::FromStr;

use crate::metadata::{self, GEOGRAPHIC, TERRITORIES};

/// A region libphonenumber has a numbering plan for, such as `GB`.
///
/// Non-geographic numbers (`+800`, `+882`, …) have no region; libphonenumber
/// names their entity `001`, which [`PhoneNumber::region_code`](crate::PhoneNumber::region_code) returns.
///
/// # Example
///
/// ```
/// use rimguard_phone::Region;
///
/// let gb: Region = "GB".parse().unwrap();
/// assert_eq!(gb.as_str(), "GB");
/// assert_eq!(gb.calling_code(), 44);
/// assert_eq!(Region::new("gb"), Some(gb));
/// assert!(Region::new("ZZ").is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(u8);

impl Region {
    /// The region of a two-letter code, in either case; `None` when
    /// libphonenumber has no plan for it.
    pub fn new(code: &str) -> Option<Self> {
        let bytes = code.as_bytes();
        if bytes.len() != 2 {
            return None;
        }
        let upper = [bytes[0].to_ascii_uppercase(), bytes[1].to_ascii_uppercase()];
        let upper = std::str::from_utf8(&upper).ok()?;
        let index = metadata::territory_index(upper)?;
        Some(Self(u8::try_from(index).ok()?))
    }

    /// The upper-case code, such as `"GB"`.
    pub fn as_str(self) -> &'static str {
        TERRITORIES[usize::from(self.0)].id
    }

    /// The country calling code, such as `44`.
    pub fn calling_code(self) -> u16 {
        TERRITORIES[usize::from(self.0)].calling_code
    }

    /// Every supported region, sorted by code.
    pub fn all() -> impl ExactSizeIterator<Item = Region> {
        (0..GEOGRAPHIC).map(|i| Self(i as u8))
    }

    pub(crate) fn from_index(index: usize) -> Option<Self> {
        (index < GEOGRAPHIC).then_some(Self(index as u8))
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Region({})", self.as_str())
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown region code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownRegion;

impl fmt::Display for UnknownRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a region with a numbering plan")
    }
}

impl std::error::Error for UnknownRegion {}

impl FromStr for Region {
    type Err = UnknownRegion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s).ok_or(UnknownRegion)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Region {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::new(&code).ok_or_else(|| serde::de::Error::custom("unknown region code"))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Region {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}
