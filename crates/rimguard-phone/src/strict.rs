//! Strict parsing: the input must be a phone number and nothing else.

/// How much of libphonenumber's leniency to allow.
///
/// libphonenumber is built for messy input: it pulls a number out of
/// surrounding text, turns letters into keypad digits (`1-800-FLOWERS`) and
/// strips characters it does not know. For input that decides who a caller
/// is, that leniency is a risk: two different strings become the same
/// number, and hidden characters (direction marks, zero-width spaces) pass
/// unseen. [`Strict`](Self::Strict) refuses such input before parsing it the
/// libphonenumber way.
///
/// Strict input is: optional blanks, an optional `tel:`, an optional single
/// `+`, digits (any script) with spaces, no-break spaces, `-`, `.`, `(`, `)`
/// or `/` between them, and an optional extension (`;ext=12`, `ext. 12`,
/// `x12`, `#12`); at most [`STRICT_MAX_LEN`] bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Strictness {
    /// libphonenumber's behaviour, unchanged.
    Lenient,
    /// Refuse control and invisible characters, letters and surrounding text.
    #[default]
    Strict,
}

/// The longest input strict parsing accepts, in bytes.
pub const STRICT_MAX_LEN: usize = 64;

use crate::error::ParseError;
use crate::unicode::{is_decimal, is_plus};

/// Checks `input` against the strict grammar.
pub(crate) fn check(input: &str) -> Result<(), ParseError> {
    if input.len() > STRICT_MAX_LEN {
        return Err(ParseError::InputTooLong);
    }
    if input.chars().any(is_forbidden) {
        return Err(ParseError::ForbiddenCharacter);
    }

    let s = input.trim_matches(|c| c == ' ' || c == '\u{A0}');
    let s = strip_prefix_ci(s, "tel:").unwrap_or(s);
    let s = match s.chars().next() {
        Some(c) if is_plus(c) => &s[c.len_utf8()..],
        _ => s,
    };
    let body_end = s
        .char_indices()
        .find(|&(_, c)| !is_body(c))
        .map_or(s.len(), |(i, _)| i);
    let (body, rest) = s.split_at(body_end);
    if rest.is_empty() || is_extension(rest) {
        return Ok(());
    }
    if body.chars().any(is_decimal) && rest.chars().any(char::is_alphabetic) {
        return Err(ParseError::Letters);
    }
    Err(ParseError::SurroundingText)
}

fn is_body(c: char) -> bool {
    is_decimal(c) || matches!(c, ' ' | '\u{A0}' | '-' | '.' | '(' | ')' | '/')
}

/// Control, format (direction marks, zero-width and invisible characters),
/// line and paragraph separators.
fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{AD}'
                | '\u{600}'..='\u{605}'
                | '\u{61C}'
                | '\u{6DD}'
                | '\u{70F}'
                | '\u{890}'..='\u{891}'
                | '\u{8E2}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0001}'
                | '\u{E0020}'..='\u{E007F}'
        )
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// `;ext=12`, or blanks, a label (`ext`, `ext.`, `extension`, `x`, `#`), blanks, digits, optional `#`.
fn is_extension(rest: &str) -> bool {
    let digits_to_end = |s: &str| {
        let s = s.strip_suffix('#').unwrap_or(s);
        !s.is_empty() && s.chars().all(is_decimal)
    };
    if let Some(digits) = strip_prefix_ci(rest, ";ext=") {
        return digits_to_end(digits);
    }
    let s = rest.trim_start_matches([' ', '\u{A0}']);
    let lower = s.to_ascii_lowercase();
    for label in ["extension", "ext.", "ext", "x", "#"] {
        if lower.starts_with(label) {
            let after = s[label.len()..].trim_start_matches([' ', '\u{A0}', ':']);
            return digits_to_end(after);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_numbers_and_extensions_pass() {
        for ok in [
            "+44 20 7946 0958",
            "(020) 7946-0958",
            "tel:+1-202-555-0173;ext=1",
            "+1 202 555 0173 ext. 123",
            "+1 202 555 0173 x123",
            "\u{FF0B}\u{FF14}\u{FF14} \u{FF12}\u{FF10}",
            "\u{A0}+44 20 7946 0958\u{A0}",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn hidden_characters_letters_and_text_are_refused() {
        assert_eq!(
            check("+44 20 7946 0958\u{200B}"),
            Err(ParseError::ForbiddenCharacter)
        );
        assert_eq!(
            check("\u{200E}+44 20 7946 0958"),
            Err(ParseError::ForbiddenCharacter)
        );
        assert_eq!(
            check("\t+44 20 7946 0958"),
            Err(ParseError::ForbiddenCharacter)
        );
        assert_eq!(check("1-800-FLOWERS"), Err(ParseError::Letters));
        assert_eq!(
            check("Call me: +44 20 7946 0958"),
            Err(ParseError::SurroundingText)
        );
        assert_eq!(
            check("+44 20 7946 0958 \u{1F4DE}"),
            Err(ParseError::SurroundingText)
        );
        assert_eq!(check("++447911123456"), Err(ParseError::SurroundingText));
        assert_eq!(check(&"1".repeat(65)), Err(ParseError::InputTooLong));
    }
}
