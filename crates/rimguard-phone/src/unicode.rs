//! The character classes libphonenumber's parser uses, with Python's meaning.
//!
//! Digits follow Python 3.11 (Unicode 14): a *decimal* digit is what regex
//! `\d` matches (category Nd), and a *digit value* is what
//! `unicodedata.digit` gives, which also covers superscripts and circled
//! digits. The table is generated with the metadata.

use crate::metadata::DIGIT_RUNS;

/// The digit value of `c` and whether it is a decimal digit (Nd).
pub(crate) fn digit(c: char) -> Option<(u8, bool)> {
    if c.is_ascii_digit() {
        return Some((c as u8 - b'0', true));
    }
    if (c as u32) < 0xB2 {
        return None;
    }
    let cp = c as u32;
    let i = DIGIT_RUNS
        .partition_point(|&(start, _, _, _)| start <= cp)
        .checked_sub(1)?;
    let (start, len, value, decimal) = DIGIT_RUNS[i];
    let offset = cp - start;
    (offset < u32::from(len)).then(|| (value + offset as u8, decimal))
}

/// Whether regex `\d` matches `c`.
pub(crate) fn is_decimal(c: char) -> bool {
    matches!(digit(c), Some((_, true)))
}

/// `+` or the full-width plus.
pub(crate) fn is_plus(c: char) -> bool {
    c == '+' || c == '\u{FF0B}'
}

/// libphonenumber's valid punctuation (regex class, `x` included).
pub(crate) fn is_punctuation(c: char) -> bool {
    matches!(
        c,
        '-' | 'x'
            | 'X'
            | '\u{2010}'..='\u{2015}'
            | '\u{2212}'
            | '\u{30FC}'
            | '\u{FF0D}'..='\u{FF0F}'
            | ' '
            | '\u{00A0}'
            | '\u{00AD}'
            | '\u{200B}'
            | '\u{2060}'
            | '\u{3000}'
            | '('
            | ')'
            | '\u{FF08}'
            | '\u{FF09}'
            | '\u{FF3B}'
            | '\u{FF3D}'
            | '.'
            | '['
            | ']'
            | '/'
            | '~'
            | '\u{2053}'
            | '\u{223C}'
            | '\u{FF5E}'
    )
}

/// ASCII letters, the only ones libphonenumber converts to digits.
pub(crate) fn is_alpha(c: char) -> bool {
    c.is_ascii_alphabetic()
}

/// Regex `\w`: letters, digits and the underscore.
pub(crate) fn is_word(c: char) -> bool {
    c == '_' || c.is_alphanumeric() || digit(c).is_some()
}

/// The keypad digit of a letter, as `char.upper()` sees it.
pub(crate) fn keypad(c: char) -> Option<u8> {
    let mut upper = c.to_uppercase();
    let first = upper.next()?;
    if upper.next().is_some() || !first.is_ascii_uppercase() {
        return None;
    }
    Some(match first {
        'A'..='C' => 2,
        'D'..='F' => 3,
        'G'..='I' => 4,
        'J'..='L' => 5,
        'M'..='O' => 6,
        'P'..='S' => 7,
        'T'..='V' => 8,
        _ => 9,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_of_other_scripts_have_their_values() {
        assert_eq!(digit('7'), Some((7, true)));
        assert_eq!(digit('\u{FF14}'), Some((4, true)));
        assert_eq!(digit('\u{0669}'), Some((9, true)));
        assert_eq!(digit('\u{06F3}'), Some((3, true)));
        assert_eq!(digit('\u{096A}'), Some((4, true)));
        assert_eq!(digit('\u{00B2}'), Some((2, false)));
        assert_eq!(digit('a'), None);
        assert_eq!(digit('\u{1F4DE}'), None);
    }

    #[test]
    fn letters_map_to_the_keypad() {
        assert_eq!(keypad('a'), Some(2));
        assert_eq!(keypad('S'), Some(7));
        assert_eq!(keypad('z'), Some(9));
        assert_eq!(keypad('\u{0131}'), Some(4));
        assert_eq!(keypad('1'), None);
    }
}
