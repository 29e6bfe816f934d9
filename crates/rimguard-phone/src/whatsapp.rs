//! WhatsApp ids: the sender's number without `+`, and the spellings it may have.
//!
//! The WhatsApp Cloud API names a sender by `wa_id`: the country calling
//! code and national number, digits only. For three countries the id and
//! the number a customer gives in a form are known to differ:
//!
//! - **Mexico** (`52`): mobile numbers used to be dialled with a `1` after
//!   the country code (`521…`); numbering changed in 2019 and both spellings
//!   occur in ids and in stored data.
//! - **Argentina** (`54`): mobile numbers take a `9` after the country code
//!   in international form (`549…`), which ids and typed numbers may lack.
//! - **Brazil** (`55`): mobile numbers gained a ninth digit (`9` after the
//!   two-digit area code); old accounts may still have an id without it.
//!
//! [`candidates`] returns every spelling to look up. An id that is not
//! digits (a business-scoped user id, sent when the user hides the number)
//! is [`WaSender::BusinessScoped`]: not a number, and not an error.

use std::fmt;

use crate::error::ParseError;
use crate::number::{E164, PhoneNumber};

/// The longest business-scoped id accepted, in bytes.
const MAX_SCOPED_ID: usize = 128;

/// Who sent a WhatsApp message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaSender {
    /// The sender's phone number.
    Phone(PhoneNumber),
    /// A business-scoped user id, which carries no phone number.
    BusinessScoped(BusinessScopedId),
}

/// A business-scoped user id (opaque; letters, digits, `.`, `_`, `-`).
///
/// It identifies a user to one business without revealing the number; it is
/// not secret, but it is personal data, so its `Debug` shows its length only.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BusinessScopedId(Box<str>);

impl BusinessScopedId {
    /// The id as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BusinessScopedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BusinessScopedId(<{} bytes>)", self.0.len())
    }
}

impl PhoneNumber {
    /// Parses a WhatsApp id leniently, as libphonenumber parses `"+" + id`.
    ///
    /// # Errors
    ///
    /// One of libphonenumber's parse errors.
    pub fn parse_wa_id(id: &str) -> Result<Self, ParseError> {
        if let Some(parsed) = crate::parse::parse_plus_digits(id.as_bytes()) {
            return parsed.map(Self::from_parsed);
        }
        let mut buf = [0u8; crate::parse::MAX_INPUT_CHARS + 1];
        if id.len() >= buf.len() {
            let owned = format!("+{id}");
            return Self::parse_international(&owned);
        }
        buf[0] = b'+';
        buf[1..=id.len()].copy_from_slice(id.as_bytes());
        let text = std::str::from_utf8(&buf[..=id.len()]).expect("'+' and a str are UTF-8");
        Self::parse_international(text)
    }
}

/// Reads the sender of a WhatsApp message: a `wa_id` (ASCII digits only,
/// strictly) or a business-scoped user id.
///
/// # Errors
///
/// [`ParseError::SurroundingText`] when the id is neither digits nor a
/// business-scoped id shape, or a parse error for digits that are no number.
///
/// # Example
///
/// ```
/// use rimguard_phone::{WaSender, parse_wa_sender};
///
/// let WaSender::Phone(number) = parse_wa_sender("447911123456").unwrap() else { panic!() };
/// assert_eq!(number.e164().as_str(), "+447911123456");
/// assert!(matches!(parse_wa_sender("US.13491208655302741918").unwrap(), WaSender::BusinessScoped(_)));
/// ```
pub fn parse_wa_sender(id: &str) -> Result<WaSender, ParseError> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        if id.len() > 15 {
            return Err(ParseError::TooLong);
        }
        return PhoneNumber::parse_wa_id(id).map(WaSender::Phone);
    }
    let scoped = !id.is_empty()
        && id.len() <= MAX_SCOPED_ID
        && id.bytes().any(|b| b.is_ascii_alphabetic())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if scoped {
        return Ok(WaSender::BusinessScoped(BusinessScopedId(id.into())));
    }
    Err(ParseError::SurroundingText)
}

/// Every E.164 spelling a WhatsApp id may stand for, the id's own first.
///
/// For ids of Mexico, Argentina and Brazil the list adds the known
/// alternative spellings (see the [module docs](self)); for every other id,
/// and for ids that are no number, it holds the id's own number or nothing.
///
/// # Example
///
/// ```
/// use rimguard_phone::whatsapp::candidates;
///
/// let spelled: Vec<String> = candidates("5215512345678").iter().map(|n| n.to_string()).collect();
/// assert_eq!(spelled, ["+5215512345678", "+525512345678"]);
/// let brazil: Vec<String> = candidates("551187654321").iter().map(|n| n.to_string()).collect();
/// assert_eq!(brazil, ["+551187654321", "+5511987654321"]);
/// ```
pub fn candidates(id: &str) -> Vec<E164> {
    let mut out: Vec<E164> = Vec::with_capacity(2);
    let digits = id.trim_start_matches('+');
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return out;
    }
    let mut push = |cc: u16, nsn: &str| {
        let e164 = PhoneNumber::from_parts(cc, nsn.as_bytes()).e164();
        if !out.contains(&e164) {
            out.push(e164);
        }
    };
    match PhoneNumber::parse_wa_id(digits) {
        Ok(n) => push(n.calling_code(), n.national_number()),
        Err(_) => return out,
    }
    if let Some(nsn) = digits.strip_prefix("52") {
        match nsn.strip_prefix('1') {
            Some(rest) if rest.len() == 10 => push(52, rest),
            _ if nsn.len() == 10 => push(52, &format!("1{nsn}")),
            _ => {}
        }
    } else if let Some(nsn) = digits.strip_prefix("54") {
        match nsn.strip_prefix('9') {
            Some(rest) if rest.len() == 10 => push(54, rest),
            _ if nsn.len() == 10 => push(54, &format!("9{nsn}")),
            _ => {}
        }
    } else if let Some(nsn) = digits.strip_prefix("55") {
        let (area, subscriber) = nsn.split_at(nsn.len().min(2));
        match subscriber.len() {
            8 if subscriber.starts_with(['6', '7', '8', '9']) => {
                push(55, &format!("{area}9{subscriber}"));
            }
            9 if subscriber.starts_with('9') => push(55, &format!("{area}{}", &subscriber[1..])),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelled(id: &str) -> Vec<String> {
        candidates(id).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn mexico_ids_try_both_spellings() {
        assert_eq!(spelled("525512345678"), ["+525512345678", "+5215512345678"]);
    }

    #[test]
    fn argentina_ids_try_with_and_without_the_nine() {
        assert_eq!(
            spelled("5491123456789"),
            ["+5491123456789", "+541123456789"]
        );
        assert_eq!(spelled("541123456789"), ["+541123456789", "+5491123456789"]);
    }

    #[test]
    fn brazil_ids_try_with_and_without_the_ninth_digit() {
        assert_eq!(
            spelled("5511987654321"),
            ["+5511987654321", "+551187654321"]
        );
        assert_eq!(spelled("551134567890"), ["+551134567890"]);
    }

    #[test]
    fn other_ids_are_their_own_number() {
        assert_eq!(spelled("447911123456"), ["+447911123456"]);
        assert!(spelled("not-digits").is_empty());
        assert!(spelled("").is_empty());
    }

    #[test]
    fn a_business_scoped_id_is_passed_through() {
        let sender = parse_wa_sender("US.13491208655302741918").unwrap();
        let WaSender::BusinessScoped(id) = sender else {
            panic!("expected a scoped id")
        };
        assert_eq!(id.as_str(), "US.13491208655302741918");
        assert_eq!(format!("{id:?}"), "BusinessScopedId(<23 bytes>)");
        assert_eq!(parse_wa_sender("44 7911"), Err(ParseError::SurroundingText));
    }
}
