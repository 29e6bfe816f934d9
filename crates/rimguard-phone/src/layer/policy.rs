//! What the layer reads, what it accepts, and what it stores.

use http::HeaderName;

use crate::{BusinessScopedId, Details, NumberType, PhoneNumber, Region};

/// Where the layer finds the number in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneSource {
    /// The path segment at this 0-based index (`/customers/{phone}` is 1),
    /// percent-decoded.
    PathSegment(usize),
    /// The query parameter of this name, percent-decoded (a literal `+`
    /// stays a `+`; clients should still send `%2B`).
    Query(String),
    /// The request header of this name.
    Header(HeaderName),
    /// A field of a JSON body, named by a JSON pointer (`/customer/phone`).
    /// The body is buffered up to `max_body` bytes and handed on intact.
    JsonBody {
        /// The JSON pointer (RFC 6901) of the field.
        pointer: String,
        /// The largest body accepted, in bytes; larger bodies get 413.
        max_body: usize,
    },
}

/// How good a number must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Validity {
    /// The numbering plan allows it (libphonenumber `is_valid_number`).
    #[default]
    Valid,
    /// Its length is possible (`is_possible_number`): looser, for plans
    /// that change faster than the metadata.
    Possible,
}

/// What the layer accepts.
///
/// # Example
///
/// ```
/// use rimguard_phone::{NumberType, PhonePolicy, Region};
/// use rimguard_phone::layer::Validity;
///
/// let policy = PhonePolicy::default()
///     .validity(Validity::Valid)
///     .regions([Region::new("GB").unwrap(), Region::new("IE").unwrap()])
///     .types([NumberType::Mobile, NumberType::FixedLineOrMobile]);
/// # let _ = policy;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhonePolicy {
    pub(crate) validity: Validity,
    pub(crate) regions: Vec<Region>,
    pub(crate) types: Vec<NumberType>,
}

impl PhonePolicy {
    /// Valid or merely possible numbers (default: valid).
    pub fn validity(mut self, validity: Validity) -> Self {
        self.validity = validity;
        self
    }

    /// Only numbers of these regions (default: any). A number no region
    /// claims (non-geographic, or invalid) is refused when a list is set.
    pub fn regions(mut self, regions: impl IntoIterator<Item = Region>) -> Self {
        self.regions = regions.into_iter().collect();
        self
    }

    /// Only numbers of these types (default: any).
    pub fn types(mut self, types: impl IntoIterator<Item = NumberType>) -> Self {
        self.types = types.into_iter().collect();
        self
    }

    /// The reason code when `number` is refused, `None` when it passes.
    pub(crate) fn refusal(&self, number: &PhoneNumber, details: &Details) -> Option<&'static str> {
        let ok = match self.validity {
            Validity::Valid => details.valid,
            Validity::Possible => number.is_possible(),
        };
        if !ok {
            return Some(match self.validity {
                Validity::Valid => "phone-invalid",
                Validity::Possible => "phone-not-possible",
            });
        }
        if !self.regions.is_empty() && !details.region.is_some_and(|r| self.regions.contains(&r)) {
            return Some("phone-region-not-allowed");
        }
        if !self.types.is_empty() && !self.types.contains(&details.number_type) {
            return Some("phone-type-not-allowed");
        }
        None
    }
}

/// The number the layer accepted, in the request extensions beside
/// `rimguard_core::CallerPhone`.
///
/// Its `Debug` is masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidatedPhone {
    number: PhoneNumber,
    number_type: NumberType,
    region: Option<Region>,
}

impl ValidatedPhone {
    pub(crate) fn new(number: PhoneNumber, details: &Details) -> Self {
        Self {
            number_type: details.number_type,
            region: details.region,
            number,
        }
    }

    /// The number.
    pub fn number(&self) -> &PhoneNumber {
        &self.number
    }

    /// Its type, computed once by the layer.
    pub fn number_type(&self) -> NumberType {
        self.number_type
    }

    /// Its region, computed once by the layer.
    pub fn region(&self) -> Option<Region> {
        self.region
    }
}

/// What the layer found for a WhatsApp sender that has no number: the
/// business-scoped id, in the request extensions instead of a phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedSender(pub BusinessScopedId);
