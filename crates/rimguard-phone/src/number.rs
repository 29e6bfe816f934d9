//! The parsed phone number and what can be asked of it.

use std::fmt;
use std::hash::{Hash, Hasher};

use crate::error::ParseError;
use crate::format;
use crate::metadata;
use crate::parse::{self, Length, Parsed};
use crate::region::Region;
use crate::strict::{self, Strictness};
use crate::text::Digits;

/// The kind of a number, as libphonenumber classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum NumberType {
    /// A fixed line.
    FixedLine,
    /// A mobile number.
    Mobile,
    /// Fixed line or mobile: the plan does not tell them apart (US, CA, …).
    FixedLineOrMobile,
    /// Free to the caller.
    TollFree,
    /// Charged above the usual rate.
    PremiumRate,
    /// Cost shared between caller and called.
    SharedCost,
    /// Voice over IP.
    Voip,
    /// A personal number that follows its owner.
    PersonalNumber,
    /// A pager.
    Pager,
    /// A company's universal access number.
    Uan,
    /// Voicemail access.
    Voicemail,
    /// Matches no kind: the number is not valid.
    Unknown,
}

impl NumberType {
    /// libphonenumber's name, such as `"FIXED_LINE_OR_MOBILE"`.
    pub fn libphonenumber_name(self) -> &'static str {
        match self {
            Self::FixedLine => "FIXED_LINE",
            Self::Mobile => "MOBILE",
            Self::FixedLineOrMobile => "FIXED_LINE_OR_MOBILE",
            Self::TollFree => "TOLL_FREE",
            Self::PremiumRate => "PREMIUM_RATE",
            Self::SharedCost => "SHARED_COST",
            Self::Voip => "VOIP",
            Self::PersonalNumber => "PERSONAL_NUMBER",
            Self::Pager => "PAGER",
            Self::Uan => "UAN",
            Self::Voicemail => "VOICEMAIL",
            Self::Unknown => "UNKNOWN",
        }
    }

    /// Whether a number of this type may be a mobile (`Mobile` or `FixedLineOrMobile`).
    pub fn may_be_mobile(self) -> bool {
        matches!(self, Self::Mobile | Self::FixedLineOrMobile)
    }
}

/// A phone number: country calling code, national significant number and
/// optional extension.
///
/// Parsing follows libphonenumber exactly (see the [crate docs](crate)); a
/// `PhoneNumber` is `Copy`, 42 bytes, and never allocates. Its `Debug` is
/// masked like [`masked`](Self::masked); the full number is reachable only
/// through [`e164`](Self::e164) and the `format_*` methods.
///
/// # Example
///
/// ```
/// use rimguard_phone::{NumberType, PhoneNumber, Region};
///
/// let number = PhoneNumber::parse("(020) 7946-0958", Region::new("GB")).unwrap();
/// assert!(number.is_valid());
/// assert_eq!(number.e164().as_str(), "+442079460958");
/// assert_eq!(number.format_international(), "+44 20 7946 0958");
/// assert_eq!(number.format_national(), "020 7946 0958");
/// assert_eq!(number.region(), Region::new("GB"));
/// assert_eq!(number.number_type(), NumberType::FixedLine);
/// assert_eq!(format!("{number:?}"), "PhoneNumber(+44 ••• ••• 0958)");
/// ```
#[derive(Clone, Copy)]
pub struct PhoneNumber {
    calling_code: u16,
    nsn: Digits<17>,
    extension: Digits<20>,
}

impl PhoneNumber {
    /// Parses user input as libphonenumber does (lenient): `default_region`
    /// applies to numbers written without `+` and an international prefix.
    ///
    /// # Errors
    ///
    /// One of libphonenumber's five parse errors.
    pub fn parse(input: &str, default_region: Option<Region>) -> Result<Self, ParseError> {
        parse::parse(input, default_region.map(Region::as_str)).map(Self::from_parsed)
    }

    /// Like [`parse`](Self::parse), with the default region given as libphonenumber
    /// takes it: a code string that may be unknown (`"ZZ"`) or even lower case,
    /// with libphonenumber's own handling of both.
    ///
    /// # Errors
    ///
    /// One of libphonenumber's five parse errors.
    pub fn parse_with_region_code(input: &str, region: Option<&str>) -> Result<Self, ParseError> {
        parse::parse(input, region).map(Self::from_parsed)
    }

    /// Parses with the given [`Strictness`].
    ///
    /// # Errors
    ///
    /// A libphonenumber parse error, or in strict mode the reason the input was refused.
    pub fn parse_with(
        input: &str,
        default_region: Option<Region>,
        strictness: Strictness,
    ) -> Result<Self, ParseError> {
        if strictness == Strictness::Strict {
            strict::check(input)?;
        }
        Self::parse(input, default_region)
    }

    /// Parses strictly: see [`Strictness::Strict`].
    ///
    /// # Errors
    ///
    /// A libphonenumber parse error or the strict-mode refusal.
    pub fn parse_strict(input: &str, default_region: Option<Region>) -> Result<Self, ParseError> {
        Self::parse_with(input, default_region, Strictness::Strict)
    }

    /// Parses a number in international form (`+` and calling code); the same
    /// as `parse(input, None)`.
    ///
    /// # Errors
    ///
    /// One of libphonenumber's five parse errors.
    pub fn parse_international(input: &str) -> Result<Self, ParseError> {
        Self::parse(input, None)
    }

    pub(crate) fn from_parsed(p: Parsed) -> Self {
        Self {
            calling_code: p.calling_code,
            nsn: p.nsn,
            extension: p.extension,
        }
    }

    pub(crate) fn from_parts(calling_code: u16, nsn: &[u8]) -> Self {
        Self {
            calling_code,
            nsn: Digits::from_slice(nsn),
            extension: Digits::new(),
        }
    }

    /// The country calling code, such as `44`.
    pub fn calling_code(&self) -> u16 {
        self.calling_code
    }

    /// The national significant number, ASCII digits (leading zeros kept, as in Italy).
    pub fn national_number(&self) -> &str {
        digits_str(self.nsn.as_bytes())
    }

    /// The extension digits, if any.
    pub fn extension(&self) -> Option<&str> {
        let ext = self.extension.as_bytes();
        (!ext.is_empty()).then(|| digits_str(ext))
    }

    /// The same number without its extension.
    pub fn without_extension(&self) -> Self {
        Self {
            extension: Digits::new(),
            ..*self
        }
    }

    pub(crate) fn nsn_bytes(&self) -> &[u8] {
        self.nsn.as_bytes()
    }

    /// Whether the numbering plan allows this number (libphonenumber `is_valid_number`).
    pub fn is_valid(&self) -> bool {
        self.classify().1.is_some()
    }

    /// Whether its length fits the plan of its calling code (`is_possible_number`).
    pub fn is_possible(&self) -> bool {
        metadata::main_territory(self.calling_code).is_some_and(|t| {
            matches!(
                parse::test_length(self.nsn.as_bytes(), t.general()),
                Length::Possible | Length::LocalOnly
            )
        })
    }

    /// The number's type, [`NumberType::Unknown`] when it is not valid.
    pub fn number_type(&self) -> NumberType {
        self.classify().1.unwrap_or(NumberType::Unknown)
    }

    /// The region the number belongs to; `None` for non-geographic numbers
    /// and numbers no region of the calling code claims.
    pub fn region(&self) -> Option<Region> {
        let t = self.classify().0?;
        Region::from_index(metadata::territory_index(t.id)?)
    }

    /// libphonenumber's region code for the number: `"GB"`, `"001"` for
    /// non-geographic numbers, `None` when no region claims it.
    pub fn region_code(&self) -> Option<&'static str> {
        self.classify().0.map(|t| t.id)
    }

    /// Validity, type and region at once, for callers that want all three
    /// (each of the single questions costs about as much as this).
    pub fn details(&self) -> Details {
        let (territory, kind) = self.classify();
        Details {
            valid: kind.is_some(),
            number_type: kind.unwrap_or(NumberType::Unknown),
            region: territory.and_then(|t| Region::from_index(metadata::territory_index(t.id)?)),
            region_code: territory.map(|t| t.id),
        }
    }

    fn classify(&self) -> (Option<&'static metadata::Territory>, Option<NumberType>) {
        parse::classify(self.calling_code, self.nsn.as_bytes())
    }

    /// The E.164 form, such as `+442079460958`, on the stack.
    pub fn e164(&self) -> E164 {
        let mut buf = [0u8; 21];
        let mut code = [0u8; 5];
        let code = parse::format_u16(self.calling_code, &mut code);
        let nsn = self.nsn.as_bytes();
        buf[0] = b'+';
        buf[1..=code.len()].copy_from_slice(code);
        let len = 1 + code.len() + nsn.len();
        buf[1 + code.len()..len].copy_from_slice(nsn);
        E164 {
            buf,
            len: len as u8,
        }
    }

    /// International format, such as `+44 20 7946 0958`, with the extension.
    pub fn format_international(&self) -> String {
        format::international(self)
    }

    /// National format, such as `020 7946 0958`, with the extension.
    pub fn format_national(&self) -> String {
        format::national(self)
    }

    /// RFC 3966 `tel:` URI, such as `tel:+44-20-7946-0958`.
    pub fn format_rfc3966(&self) -> String {
        format::rfc3966(self)
    }

    /// A display form with only the last four digits visible: `+44 ••• ••• 0958`.
    pub fn masked(&self) -> crate::Masked<'_> {
        crate::Masked::new(self)
    }

    /// The number as `rimguard_core`'s shared [`CallerPhone`](rimguard_core::CallerPhone).
    #[cfg(feature = "layer")]
    pub fn to_caller_phone(&self) -> Option<rimguard_core::CallerPhone> {
        rimguard_core::CallerPhone::from_e164(self.e164().as_str())
    }
}

impl PartialEq for PhoneNumber {
    fn eq(&self, other: &Self) -> bool {
        self.calling_code == other.calling_code
            && self.nsn.as_bytes() == other.nsn.as_bytes()
            && self.extension.as_bytes() == other.extension.as_bytes()
    }
}

impl Eq for PhoneNumber {}

impl Hash for PhoneNumber {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.calling_code.hash(state);
        self.nsn.as_bytes().hash(state);
        self.extension.as_bytes().hash(state);
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

impl std::str::FromStr for PhoneNumber {
    type Err = ParseError;

    /// Parses a number in international form, leniently.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_international(s)
    }
}

fn digits_str(d: &[u8]) -> &str {
    std::str::from_utf8(d).expect("the buffers hold ASCII digits only")
}

/// What [`PhoneNumber::details`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Details {
    /// The plan allows the number.
    pub valid: bool,
    /// Its type ([`NumberType::Unknown`] when not valid).
    pub number_type: NumberType,
    /// Its region, `None` for non-geographic numbers or when none claims it.
    pub region: Option<Region>,
    /// libphonenumber's region code (`"001"` for non-geographic numbers).
    pub region_code: Option<&'static str>,
}

/// An E.164 string on the stack (at most 21 bytes).
///
/// It holds the full number: do not log it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct E164 {
    buf: [u8; 21],
    len: u8,
}

impl E164 {
    /// The text, such as `"+442079460958"`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).expect("E.164 text is ASCII")
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = &self.as_str()[1..];
        let shown = digits.len().saturating_sub(4);
        write!(f, "E164(+{}{})", "•".repeat(shown), &digits[shown..])
    }
}

impl AsRef<str> for E164 {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// The territory rules that format a number (the main one of its code).
pub(crate) fn formatting_territory(number: &PhoneNumber) -> Option<&'static metadata::Territory> {
    metadata::main_territory(number.calling_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_small_and_its_debug_is_masked() {
        assert_eq!(std::mem::size_of::<PhoneNumber>(), 42);
        let n = PhoneNumber::parse_international("+44 20 7946 0958").unwrap();
        assert_eq!(format!("{n:?}"), "PhoneNumber(+44 ••• ••• 0958)");
        assert_eq!(format!("{:?}", n.e164()), "E164(+••••••••0958)");
    }
}
