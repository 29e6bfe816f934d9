//! libphonenumber's lenient parsing algorithm.
//!
//! The steps follow `PhoneNumberUtil.parse` of libphonenumber (as its Python
//! port 9.0.43 runs them): build the national number for parsing (`tel:`
//! URIs with `phone-context`), check it looks like a number, strip the
//! extension, take the country calling code from a `+`, an international
//! prefix of the default region or the default region's own code written
//! without `+`, strip the national prefix (and carrier code) when what is
//! left still has a possible length, and bound the national significant
//! number to 2..=17 digits.

use std::borrow::Cow;

use crate::error::ParseError;
use crate::metadata::{self, Kind, Territory};
use crate::text::{self, Digits};

/// Longest input libphonenumber accepts, in characters.
pub(crate) const MAX_INPUT_CHARS: usize = 250;
const MIN_NSN: usize = 2;
const MAX_NSN: usize = 17;
const MAX_CALLING_CODE_DIGITS: usize = 3;

/// What parsing found: the calling code, the national significant number and
/// the extension, all ASCII digits.
#[derive(Clone, Copy)]
pub(crate) struct Parsed {
    pub(crate) calling_code: u16,
    pub(crate) nsn: Digits<MAX_NSN>,
    pub(crate) extension: Digits<20>,
}

type Work = Digits<256>;

/// Parses `input` as libphonenumber does with the region code `region`
/// (which, like libphonenumber's, is honoured only when it is a supported
/// upper-case code, yet looked up upper-cased for its metadata).
pub(crate) fn parse(input: &str, region: Option<&str>) -> Result<Parsed, ParseError> {
    if let Some(parsed) = input
        .strip_prefix('+')
        .and_then(|d| parse_plus_digits(d.as_bytes()))
    {
        return parsed;
    }
    parse_general(input, region)
}

/// The fast path for `+` and ASCII digits (E.164, or a WhatsApp id after
/// its implied `+`): the general algorithm's steps for that shape, without
/// the text handling. `None` sends the input down the general path (which
/// is also where a calling code that is not assigned is handled).
pub(crate) fn parse_plus_digits(digits: &[u8]) -> Option<Result<Parsed, ParseError>> {
    if digits.len() < 3 || digits.len() >= MAX_INPUT_CHARS || !digits.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let (code, rest) = split_calling_code(digits)?;
    let territory = metadata::main_territory(code);
    Some(finish(code, territory, rest, Digits::new()))
}

fn parse_general(input: &str, region: Option<&str>) -> Result<Parsed, ParseError> {
    if input.len() > MAX_INPUT_CHARS && input.chars().count() > MAX_INPUT_CHARS {
        return Err(ParseError::TooLong);
    }
    let number = national_number_for_parsing(input)?;
    if !text::is_viable(&number) {
        return Err(ParseError::NotANumber);
    }
    let region_ok = region.is_some_and(|r| metadata::territory_index(r).is_some());
    let plus = text::leading_plus(&number);
    if !region_ok && plus == 0 {
        return Err(ParseError::InvalidCountryCode);
    }

    let mut extension = Digits::new();
    let mut number: &str = &number;
    if let Some((start, digits)) = text::find_extension(number)
        && text::is_viable(&number[..start])
    {
        extension = text::normalize_digits(&number[digits]);
        number = &number[..start];
    }

    let default = region
        .and_then(metadata::territory_index_ignore_case)
        .map(|i| &metadata::TERRITORIES[i]);
    let mut nsn = Work::new();
    let calling_code = match extract_calling_code(number, default, &mut nsn) {
        Err(ParseError::InvalidCountryCode) if plus > 0 => {
            match extract_calling_code(&number[plus..], default, &mut nsn)? {
                0 => return Err(ParseError::InvalidCountryCode),
                code => code,
            }
        }
        other => other?,
    };

    let territory = if calling_code != 0 {
        metadata::main_territory(calling_code)
    } else {
        text::normalize(number, &mut nsn);
        default
    };
    let calling_code = match (calling_code, territory) {
        (0, Some(t)) => t.calling_code,
        (code, _) => code,
    };
    finish(calling_code, territory, nsn.as_bytes(), extension)
}

/// The common end: national prefix, then the national number's bounds.
fn finish(
    calling_code: u16,
    territory: Option<&Territory>,
    nsn: &[u8],
    extension: Digits<20>,
) -> Result<Parsed, ParseError> {
    if nsn.len() < MIN_NSN {
        return Err(ParseError::TooShortNsn);
    }

    let stripped = territory.and_then(|t| {
        let stripped = strip_national_prefix(nsn, t)?;
        let length = test_length(stripped.as_bytes(), t.general());
        let keep = !matches!(
            length,
            Length::TooShort | Length::LocalOnly | Length::Invalid
        );
        keep.then_some(stripped)
    });
    let nsn = stripped.as_ref().map_or(nsn, |s| s.as_bytes());
    match nsn.len() {
        n if n < MIN_NSN => Err(ParseError::TooShortNsn),
        n if n > MAX_NSN => Err(ParseError::TooLong),
        _ => Ok(Parsed {
            calling_code,
            nsn: Digits::from_slice(nsn),
            extension,
        }),
    }
}

/// `_build_national_number_for_parsing`.
fn national_number_for_parsing(input: &str) -> Result<Cow<'_, str>, ParseError> {
    const CONTEXT: &str = ";phone-context=";
    let has_parameters = input.as_bytes().contains(&b';');
    let context_at = if has_parameters {
        input.find(CONTEXT)
    } else {
        None
    };
    let number = match context_at {
        None => Cow::Borrowed(text::extract_possible_number(input)),
        Some(at) => {
            let start = at + CONTEXT.len();
            let rest = &input[start..];
            let context = &rest[..rest.find(';').unwrap_or(rest.len())];
            if !text::is_phone_context_valid(context) {
                return Err(ParseError::NotANumber);
            }
            let mut number = String::new();
            if context.starts_with('+') {
                number.push_str(context);
            }
            let from = input.find("tel:").map_or(0, |i| i + 4);
            if from < at {
                number.push_str(&input[from..at]);
            }
            Cow::Owned(number)
        }
    };
    let isub_at = if has_parameters {
        number.find(";isub=")
    } else {
        None
    };
    match isub_at {
        Some(at) if at > 0 => Ok(Cow::Owned(number[..at].to_owned())),
        _ => Ok(number),
    }
}

/// `_maybe_extract_country_code`: the calling code (0 when none) and the rest
/// of the number, normalized, appended to `out`.
fn extract_calling_code(
    number: &str,
    default: Option<&Territory>,
    out: &mut Work,
) -> Result<u16, ParseError> {
    if number.is_empty() {
        return Ok(0);
    }
    let mut full = Work::new();
    let plus = text::leading_plus(number);
    let international = if plus > 0 {
        text::normalize(&number[plus..], &mut full);
        true
    } else {
        text::normalize(number, &mut full);
        match default.and_then(|t| crate::matcher::Program::at(t.international_prefix)) {
            Some(idd) => strip_idd(idd, &mut full),
            None => false,
        }
    };

    if international {
        let digits = full.as_bytes();
        if digits.len() <= MIN_NSN {
            return Err(ParseError::TooShortAfterIdd);
        }
        return match split_calling_code(digits) {
            Some((code, rest)) => {
                out.extend(rest);
                Ok(code)
            }
            None => Err(ParseError::InvalidCountryCode),
        };
    }
    if let Some(t) = default
        && let Some(code) = own_code_without_plus(full.as_bytes(), t, out)
    {
        return Ok(code);
    }
    Ok(0)
}

/// `_parse_prefix_as_idd`: strips the international prefix unless a `0` follows it.
fn strip_idd(idd: crate::matcher::Program, full: &mut Work) -> bool {
    let Some(end) = idd.prefix(full.as_bytes()) else {
        return false;
    };
    let rest = &full.as_bytes()[end..];
    if rest.first() == Some(&b'0') {
        return false;
    }
    *full = Work::from_slice(rest);
    true
}

/// The default region's own calling code written without `+` (`447911…` in GB).
fn own_code_without_plus(full: &[u8], t: &Territory, out: &mut Work) -> Option<u16> {
    let mut code = [0u8; 5];
    let code = format_u16(t.calling_code, &mut code);
    let potential = full.strip_prefix(code)?;
    let stripped = strip_national_prefix(potential, t);
    let potential = stripped.as_ref().map_or(potential, |d| d.as_bytes());

    let general = t.general().pattern();
    let full_matches = general.is_some_and(|p| p.matches(full));
    let potential_matches = general.is_some_and(|p| p.matches(potential));
    if (!full_matches && potential_matches) || test_length(full, t.general()) == Length::TooLong {
        out.extend(potential);
        return Some(t.calling_code);
    }
    None
}

/// `_extract_country_code`: the first one to three digits that are an assigned code.
fn split_calling_code(digits: &[u8]) -> Option<(u16, &[u8])> {
    if digits.first() == Some(&b'0') {
        return None;
    }
    let mut code = 0u16;
    for (i, &d) in digits.iter().take(MAX_CALLING_CODE_DIGITS).enumerate() {
        code = code * 10 + u16::from(d - b'0');
        if metadata::is_calling_code(code) {
            return Some((code, &digits[i + 1..]));
        }
    }
    None
}

/// `_maybe_strip_national_prefix_carrier_code`: the number without its national
/// prefix (transformed when the region says so), or `None` when nothing is stripped.
pub(crate) fn strip_national_prefix(number: &[u8], t: &Territory) -> Option<Work> {
    let prefix = crate::matcher::Program::at(t.national_prefix_for_parsing)?;
    let first = *number.first()?;
    if t.national_prefix_first & (1 << 10 | 1 << (first - b'0')) == 0 {
        return None;
    }
    let (end, slots) = prefix.captures(number, 0, false)?;
    let general = t.general().pattern();
    let viable_before = general.is_some_and(|p| p.matches(number));

    let groups = usize::from(t.national_prefix_groups);
    let last_group_set = groups > 0 && slots[2 * groups] != crate::matcher::UNSET;
    let result = match t.national_prefix_transform.filter(|r| !r.is_empty()) {
        Some(rule) if last_group_set => {
            let mut out = Work::new();
            expand(rule, number, &slots, |b| out.push(b));
            out.extend(&number[end..]);
            out
        }
        _ => Work::from_slice(&number[end..]),
    };
    let viable_after = general.is_some_and(|p| p.matches(result.as_bytes()));
    if viable_before && !viable_after {
        return None;
    }
    Some(result)
}

/// Writes a template (U+0001..U+0009 are group references) with the groups of one match.
pub(crate) fn expand(
    template: &str,
    digits: &[u8],
    slots: &crate::matcher::Slots,
    mut out: impl FnMut(u8),
) {
    for b in template.bytes() {
        if (1..=9).contains(&b) {
            let g = usize::from(b);
            let (start, end) = (slots.get(2 * g), slots.get(2 * g + 1));
            if let (Some(&s), Some(&e)) = (start, end)
                && s != crate::matcher::UNSET
                && e != crate::matcher::UNSET
            {
                digits[s..e].iter().for_each(|&d| out(d));
            }
        } else {
            out(b);
        }
    }
}

/// The outcome of `_test_number_length`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Length {
    Possible,
    LocalOnly,
    TooShort,
    TooLong,
    Invalid,
}

/// `_test_number_length` against a description's possible lengths.
pub(crate) fn test_length(nsn: &[u8], desc: &metadata::Desc) -> Length {
    let n = nsn.len();
    let bit = if n < 32 { 1u32 << n } else { 0 };
    if desc.local & bit != 0 {
        return Length::LocalOnly;
    }
    if desc.lengths == 0 {
        return Length::Invalid;
    }
    let min = desc.lengths.trailing_zeros() as usize;
    let max = 31 - desc.lengths.leading_zeros() as usize;
    if n == min {
        Length::Possible
    } else if n < min {
        Length::TooShort
    } else if n > max {
        Length::TooLong
    } else if desc.lengths & bit != 0 {
        Length::Possible
    } else {
        Length::Invalid
    }
}

/// `_is_number_matching_desc`: length first, then the pattern.
pub(crate) fn matches_desc(nsn: &[u8], desc: &metadata::Desc) -> bool {
    let n = nsn.len();
    if desc.lengths != 0 && (n >= 32 || desc.lengths & (1 << n) == 0) {
        return false;
    }
    if let [a, b, ..] = *nsn {
        let bit = u32::from(a - b'0') * 10 + u32::from(b - b'0');
        if desc.prefixes >> bit & 1 == 0 {
            return false;
        }
    }
    desc.pattern().is_some_and(|p| p.matches(nsn))
}

/// `_number_type_helper`: the first kind whose description matches.
pub(crate) fn kind_of(nsn: &[u8], t: &Territory) -> Option<crate::NumberType> {
    use crate::NumberType as T;
    if !matches_desc(nsn, t.general()) {
        return None;
    }
    let ordered = [
        (Kind::PremiumRate, T::PremiumRate),
        (Kind::TollFree, T::TollFree),
        (Kind::SharedCost, T::SharedCost),
        (Kind::Voip, T::Voip),
        (Kind::PersonalNumber, T::PersonalNumber),
        (Kind::Pager, T::Pager),
        (Kind::Uan, T::Uan),
        (Kind::Voicemail, T::Voicemail),
    ];
    for (kind, ty) in ordered {
        if matches_desc(nsn, t.desc(kind)) {
            return Some(ty);
        }
    }
    if matches_desc(nsn, t.desc(Kind::FixedLine)) {
        if t.same_mobile_and_fixed_line || matches_desc(nsn, t.desc(Kind::Mobile)) {
            return Some(T::FixedLineOrMobile);
        }
        return Some(T::FixedLine);
    }
    if !t.same_mobile_and_fixed_line && matches_desc(nsn, t.desc(Kind::Mobile)) {
        return Some(T::Mobile);
    }
    None
}

/// `_region_code_for_number_from_list` (or the only territory of the code),
/// with the number's type in that territory, both found in one pass.
pub(crate) fn classify(
    calling_code: u16,
    nsn: &[u8],
) -> (Option<&'static Territory>, Option<crate::NumberType>) {
    let list = metadata::territories_for_code(calling_code);
    if let [only] = list {
        let t = &metadata::TERRITORIES[usize::from(*only)];
        return (Some(t), kind_of(nsn, t));
    }
    for t in list.iter().map(|&i| &metadata::TERRITORIES[usize::from(i)]) {
        match crate::automaton::Automaton::at(t.leading_digits) {
            Some(leading) if leading.matches_prefix(nsn) => return (Some(t), kind_of(nsn, t)),
            Some(_) => {}
            None => {
                if let Some(kind) = kind_of(nsn, t) {
                    return (Some(t), Some(kind));
                }
            }
        }
    }
    (None, None)
}

/// Decimal digits of `n` into `buf`.
pub(crate) fn format_u16(n: u16, buf: &mut [u8; 5]) -> &[u8] {
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}
