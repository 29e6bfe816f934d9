//! Why a string is not a phone number.

use std::fmt;

/// Why parsing refused an input.
///
/// The first five are libphonenumber's own parse errors (the lenient parser
/// returns only those); the others come from [strict](crate::Strictness::Strict)
/// parsing. None of them carries the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseError {
    /// The input does not look like a phone number (libphonenumber `NOT_A_NUMBER`).
    NotANumber,
    /// No calling code: the number has no `+` and no usable default region, or
    /// the code after `+` is not assigned (`INVALID_COUNTRY_CODE`).
    InvalidCountryCode,
    /// An international prefix with too few digits after it (`TOO_SHORT_AFTER_IDD`).
    TooShortAfterIdd,
    /// Fewer than two digits of national number (`TOO_SHORT_NSN`).
    TooShortNsn,
    /// More than 250 characters, or more than 17 digits of national number (`TOO_LONG`).
    TooLong,
    /// Strict mode: a control, format, direction or zero-width character.
    ForbiddenCharacter,
    /// Strict mode: letters, which lenient parsing would turn into digits.
    Letters,
    /// Strict mode: text or symbols around the number.
    SurroundingText,
    /// Strict mode: longer than [`STRICT_MAX_LEN`](crate::STRICT_MAX_LEN) bytes.
    InputTooLong,
}

impl ParseError {
    /// libphonenumber's name for the error, such as `"NOT_A_NUMBER"`, or
    /// `None` for the strict-mode errors it does not have.
    pub fn libphonenumber_name(self) -> Option<&'static str> {
        Some(match self {
            Self::NotANumber => "NOT_A_NUMBER",
            Self::InvalidCountryCode => "INVALID_COUNTRY_CODE",
            Self::TooShortAfterIdd => "TOO_SHORT_AFTER_IDD",
            Self::TooShortNsn => "TOO_SHORT_NSN",
            Self::TooLong => "TOO_LONG",
            _ => return None,
        })
    }

    /// A stable kebab-case code, used as the layer's reason code.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotANumber => "phone-not-a-number",
            Self::InvalidCountryCode => "phone-invalid-country-code",
            Self::TooShortAfterIdd => "phone-too-short-after-idd",
            Self::TooShortNsn => "phone-too-short",
            Self::TooLong => "phone-too-long",
            Self::ForbiddenCharacter => "phone-forbidden-character",
            Self::Letters => "phone-letters",
            Self::SurroundingText => "phone-surrounding-text",
            Self::InputTooLong => "phone-input-too-long",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Self::NotANumber => "the input is not a phone number",
            Self::InvalidCountryCode => "the country calling code is missing or unknown",
            Self::TooShortAfterIdd => "too few digits after the international prefix",
            Self::TooShortNsn => "too few digits to be a phone number",
            Self::TooLong => "too long to be a phone number",
            Self::ForbiddenCharacter => "a control, direction or zero-width character",
            Self::Letters => "letters in a phone number",
            Self::SurroundingText => "text around the phone number",
            Self::InputTooLong => "the input is longer than allowed",
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for ParseError {}
