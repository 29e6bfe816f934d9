//! The text-level steps of libphonenumber's parser, written out by hand.
//!
//! libphonenumber finds the number in the input with a handful of regular
//! expressions over Unicode text (the valid-number shape, the extension
//! labels, the trailing junk). Each one is small enough to be a function,
//! which keeps this crate free of a regex engine; the comments give the
//! expression each function stands for.

use crate::unicode::{digit, is_alpha, is_decimal, is_plus, is_punctuation, is_word};

/// Fixed-capacity ASCII digit buffer.
#[derive(Clone, Copy)]
pub(crate) struct Digits<const N: usize> {
    buf: [u8; N],
    len: u8,
}

impl<const N: usize> Digits<N> {
    pub(crate) const fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
        }
    }

    /// Appends one ASCII digit; a full buffer keeps its content (callers bound their input).
    pub(crate) fn push(&mut self, d: u8) {
        if usize::from(self.len) < N {
            self.buf[usize::from(self.len)] = d;
            self.len += 1;
        }
    }

    pub(crate) fn extend(&mut self, digits: &[u8]) {
        for &d in digits {
            self.push(d);
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    pub(crate) fn from_slice(digits: &[u8]) -> Self {
        let mut out = Self::new();
        out.extend(digits);
        out
    }
}

/// `[+＋]+` at the start: the byte length of the run of plus signs.
pub(crate) fn leading_plus(s: &str) -> usize {
    s.char_indices()
        .find(|&(_, c)| !is_plus(c))
        .map_or(s.len(), |(i, _)| i)
}

/// `_extract_possible_number`: from the first `+` or digit, without trailing
/// junk and without a second number (`/ x…`).
pub(crate) fn extract_possible_number(s: &str) -> &str {
    let Some(start) = s
        .char_indices()
        .find(|&(_, c)| is_plus(c) || is_decimal(c))
        .map(|(i, _)| i)
    else {
        return "";
    };
    let s = &s[start..];
    let unwanted = |c: char| c == '_' || (c != '#' && !is_word(c));
    let end = s
        .char_indices()
        .rev()
        .find(|&(_, c)| !unwanted(c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let s = &s[..end];
    match second_number_start(s) {
        Some(i) => &s[..i],
        None => s,
    }
}

/// `[\\/] *x`, searched.
fn second_number_start(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\\' || b == b'/' {
            let rest = &bytes[i + 1..];
            let spaces = rest.iter().take_while(|&&b| b == b' ').count();
            if rest.get(spaces) == Some(&b'x') {
                return Some(i);
            }
        }
    }
    None
}

/// `_is_viable_phone_number`: at least two characters, and the whole string
/// has the shape of a number with an optional extension.
pub(crate) fn is_viable(s: &str) -> bool {
    let mut chars = s.chars();
    let (Some(a), Some(b)) = (chars.next(), chars.next()) else {
        return false;
    };
    if chars.next().is_none() && is_decimal(a) && is_decimal(b) {
        return true;
    }
    let rest = &s[leading_plus(s)..];
    let extension_possible = may_have_extension(rest);

    // `(?:[P*]*\d){3,}[P*A\d]*` then an optional extension.
    let mut digits_in_lead = 0usize;
    let mut in_lead = true;
    for (i, c) in rest.char_indices() {
        let main_ok = digits_in_lead >= 3;
        if main_ok
            && extension_possible
            && may_start_extension(c)
            && extension_at_end(&rest[i..]).is_some()
        {
            return true;
        }
        if is_decimal(c) {
            if in_lead {
                digits_in_lead += 1;
            }
        } else if is_punctuation(c) || c == '*' {
        } else if is_alpha(c) {
            in_lead = false;
        } else {
            return false;
        }
    }
    digits_in_lead >= 3
}

/// The label-free characters an extension cannot start without: when a
/// string has none of these, no extension pattern can match it.
fn may_have_extension(s: &str) -> bool {
    s.bytes().any(|b| {
        !(b.is_ascii_digit() || matches!(b, b'+' | b' ' | b'-' | b'.' | b'(' | b')' | b'/'))
    })
}

/// `_EXTN_PATTERN.search`: the first position from which an extension runs to
/// the end, with the byte range of its digits.
pub(crate) fn find_extension(s: &str) -> Option<(usize, std::ops::Range<usize>)> {
    if !may_have_extension(s) {
        return None;
    }
    s.char_indices()
        .filter(|&(_, c)| may_start_extension(c))
        .find_map(|(i, _)| extension_at_end(&s[i..]).map(|r| (i, r.start + i..r.end + i)))
}

/// The characters an extension alternative can start with: separators,
/// `;`, and the first letters of the labels (in either case).
fn may_start_extension(c: char) -> bool {
    matches!(
        fold(c),
        ';' | ','
            | ' '
            | '\u{A0}'
            | '\t'
            | '-'
            | 'e'
            | 'x'
            | 'a'
            | 'i'
            | '#'
            | '~'
            | '\u{FF45}'
            | '\u{FF58}'
            | '\u{434}'
            | '\u{FF03}'
            | '\u{FF5E}'
            | '\u{FF49}'
    )
}

/// One of the extension alternatives matches all of `s`; the digits' range.
fn extension_at_end(s: &str) -> Option<std::ops::Range<usize>> {
    let mut c = Cursor::new(s);
    if c.eat_str_ci(";ext=")
        && let Some(r) = c.digits_to_end(20, false)
    {
        return Some(r);
    }

    let mut c = Cursor::new(s);
    c.eat_while(|ch| matches!(ch, ' ' | '\u{A0}' | '\t' | ','));
    let after_separators = c;
    if c.explicit_label() {
        c.label_tail();
        if let Some(r) = c.digits_to_end(20, false) {
            return Some(r);
        }
    }
    let mut c = after_separators;
    if c.ambiguous_label() {
        c.label_tail();
        if let Some(r) = c.digits_to_end(9, false) {
            return Some(r);
        }
    }

    let mut c = Cursor::new(s);
    if c.eat_while(|ch| ch == '-' || ch == ' ') > 0
        && let Some(r) = c.digits_to_end(6, true)
    {
        return Some(r);
    }

    let mut c = Cursor::new(s);
    c.eat_while(|ch| matches!(ch, ' ' | '\u{A0}' | '\t'));
    let after_blanks = c;
    if c.eat_str_ci(",,") || c.eat_str_ci(";") {
        c.label_tail();
        if let Some(r) = c.digits_to_end(15, false) {
            return Some(r);
        }
    }
    let mut c = after_blanks;
    if c.eat_while(|ch| ch == ',') > 0 {
        c.label_tail();
        if let Some(r) = c.digits_to_end(9, false) {
            return Some(r);
        }
    }
    None
}

#[derive(Clone, Copy)]
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Self { s, pos: 0 }
    }

    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    fn eat_while(&mut self, f: impl Fn(char) -> bool) -> usize {
        let mut n = 0;
        while let Some(c) = self.peek().filter(|&c| f(c)) {
            self.pos += c.len_utf8();
            n += 1;
        }
        n
    }

    /// One character, compared case-insensitively.
    fn eat_ci(&mut self, want: char) -> bool {
        match self.peek() {
            Some(c) if c == want || fold(c) == want => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn eat_str_ci(&mut self, want: &str) -> bool {
        let save = self.pos;
        if want.chars().all(|w| self.eat_ci(w)) {
            return true;
        }
        self.pos = save;
        false
    }

    /// `e?xt(?:ensi(?:o\u0301?|\u00F3))?n?|\uFF45?\uFF58\uFF54\uFF4E?|\u0434\u043E\u0431|anexo`
    fn explicit_label(&mut self) -> bool {
        let save = *self;
        self.eat_ci('e');
        if self.eat_str_ci("xt") {
            let before = *self;
            if self.eat_str_ci("ensi")
                && !(self.eat_ci('o') && {
                    self.eat_ci('\u{301}');
                    true
                } || self.eat_ci('\u{F3}'))
            {
                *self = before;
            }
            self.eat_ci('n');
            return true;
        }
        *self = save;
        self.eat_ci('\u{FF45}');
        if self.eat_str_ci("\u{FF58}\u{FF54}") {
            self.eat_ci('\u{FF4E}');
            return true;
        }
        *self = save;
        self.eat_str_ci("\u{434}\u{43E}\u{431}") || self.eat_str_ci("anexo")
    }

    /// `[x\uFF58#\uFF03~\uFF5E]|int|\uFF49\uFF4E\uFF54`
    fn ambiguous_label(&mut self) -> bool {
        ['x', '\u{FF58}', '#', '\u{FF03}', '~', '\u{FF5E}']
            .iter()
            .any(|&c| self.eat_ci(c))
            || self.eat_str_ci("int")
            || self.eat_str_ci("\u{FF49}\u{FF4E}\u{FF54}")
    }

    /// `[:\.\uFF0E]?[ \u00A0\t,-]*`
    fn label_tail(&mut self) {
        let _ = self.eat_ci(':') || self.eat_ci('.') || self.eat_ci('\u{FF0E}');
        self.eat_while(|c| matches!(c, ' ' | '\u{A0}' | '\t' | ',' | '-'));
    }

    /// `(\d{1,max})#?$` (or `(\d{1,max})#$` when the `#` is required).
    fn digits_to_end(&mut self, max: usize, hash_required: bool) -> Option<std::ops::Range<usize>> {
        let start = self.pos;
        if self.eat_while(is_decimal) == 0 {
            return None;
        }
        let digits = start..self.pos;
        if self.s[digits.clone()].chars().count() > max {
            return None;
        }
        let hash = self.eat_ci('#');
        (self.pos == self.s.len() && (hash || !hash_required)).then_some(digits)
    }
}

/// Simple lower-case folding of one character.
fn fold(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// `_normalize`: letters to keypad digits when the string holds three ASCII
/// letters or more (and no line feed), otherwise every digit character to its value.
pub(crate) fn normalize<const N: usize>(s: &str, out: &mut Digits<N>) {
    let letters = s.bytes().filter(u8::is_ascii_alphabetic).count();
    if letters >= 3 && !s.contains('\n') {
        for c in s.chars() {
            if c.is_ascii_digit() {
                out.push(c as u8);
            } else if let Some(d) = crate::unicode::keypad(c) {
                out.push(b'0' + d);
            }
        }
    } else {
        for c in s.chars() {
            if let Some((d, _)) = digit(c) {
                out.push(b'0' + d);
            }
        }
    }
}

/// Extension digits as ASCII.
pub(crate) fn normalize_digits<const N: usize>(s: &str) -> Digits<N> {
    let mut out = Digits::new();
    for c in s.chars() {
        if let Some((d, _)) = digit(c) {
            out.push(b'0' + d);
        }
    }
    out
}

/// RFC 3966 `global-number-digits`: `+` then digits and visual separators, one digit at least.
fn is_global_number_digits(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('+') else {
        return false;
    };
    rest.chars()
        .all(|c| is_decimal(c) || matches!(c, '-' | '.' | '(' | ')'))
        && rest.chars().any(is_decimal)
}

/// RFC 3966 `domainname`, as libphonenumber checks it.
fn is_domain_name(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    let labels: Vec<&str> = s.split('.').collect();
    let alnum = |c: char| is_alpha(c) || is_decimal(c);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.starts_with(alnum)
            && l.ends_with(alnum)
            && l.chars().all(|c| alnum(c) || c == '-')
    };
    let Some((top, domain)) = labels.split_last() else {
        return false;
    };
    domain.iter().all(|l| label_ok(l)) && label_ok(top) && top.starts_with(is_alpha)
}

/// `_is_phone_context_valid` for a present context.
pub(crate) fn is_phone_context_valid(context: &str) -> bool {
    !context.is_empty() && (is_global_number_digits(context) || is_domain_name(context))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_possible_number_drops_leading_text_and_trailing_junk() {
        assert_eq!(
            extract_possible_number("Call me on +44 20 7946 0958 thanks"),
            "+44 20 7946 0958 thanks"
        );
        assert_eq!(
            extract_possible_number("tel. 020 7946 0958!!"),
            "020 7946 0958"
        );
        assert_eq!(
            extract_possible_number("020 7946 0958/ x12"),
            "020 7946 0958"
        );
        assert_eq!(extract_possible_number("no digits"), "");
    }

    #[test]
    fn extensions_are_found_after_their_labels() {
        let cases = [
            ("+1 202 555 0173 ext. 123", "123"),
            ("+1 202 555 0173 x123", "123"),
            ("+1 202 555 0173;ext=123", "123"),
            ("+44 20 7946 0958#", "0958"),
            ("+1 202 555 0173,,99", "99"),
            ("+1 202 555 0173 extensión 5", "5"),
        ];
        for (input, ext) in cases {
            let (_, digits) = find_extension(input).unwrap();
            assert_eq!(&input[digits], ext, "{input}");
        }
        assert!(find_extension("+44 20 7946 0958").is_none());
    }

    #[test]
    fn viable_numbers_have_three_digits_or_are_two_digits() {
        assert!(is_viable("12"));
        assert!(is_viable("+44 20 7946 0958"));
        assert!(is_viable("1-800-FLOWERS"));
        assert!(is_viable("+1 202 555 0173 ext. 123"));
        assert!(!is_viable("1"));
        assert!(!is_viable("1 2"));
        assert!(!is_viable("+44 20 7946 0958 \u{1F4DE}"));
    }

    #[test]
    fn phone_contexts_are_global_numbers_or_domains() {
        assert!(is_phone_context_valid("+44"));
        assert!(is_phone_context_valid("example.com"));
        assert!(is_phone_context_valid("example.com."));
        assert!(!is_phone_context_valid("+"));
        assert!(!is_phone_context_valid("-bad.com"));
        assert!(!is_phone_context_valid("example.1com"));
    }
}
