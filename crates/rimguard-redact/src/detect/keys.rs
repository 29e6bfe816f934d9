//! Values that follow a sensitive name: `password=…`, `"api_key":"…"`,
//! `authorization: Bearer …`, `?token=…`, and the value after an HTTP
//! authentication scheme word (`Bearer …`, `Basic …`).

use super::{Hit, Span, after_ansi, line_is_json};

/// How far an unquoted value runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extent {
    /// To the next space, comma, semicolon, `&` or bracket.
    Token,
    /// To the end of the line (cookies: `a=1; b=2`).
    Line,
}

/// What a matched name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyRule {
    /// A header, JSON or log field name: `name=`, `name:`, `"name":`.
    pub(crate) field: bool,
    /// A query parameter name: `?name=` or `&name=`.
    pub(crate) query: bool,
    pub(crate) extent: Extent,
}

/// The longest quoted value looked at.
const MAX_VALUE: usize = 64 * 1024;

const SCHEMES: [&[u8]; 4] = [b"bearer", b"basic", b"token", b"digest"];

/// The value after the name found at `start..end`, when it is a value.
pub(crate) fn value_after_name(
    hay: &[u8],
    start: usize,
    end: usize,
    rule: KeyRule,
) -> Option<Span> {
    let prev = start.checked_sub(1).map(|i| hay[i]);
    if prev.is_some_and(|b| b.is_ascii_alphanumeric()) && !after_ansi(hay, start) {
        return None;
    }
    if rule.query && matches!(prev, Some(b'?' | b'&' | b';')) && hay.get(end) == Some(&b'=') {
        let (s, e) = unquoted(hay, end + 1, Extent::Token);
        return field_span(hay, s, e, false);
    }
    if !rule.field {
        return None;
    }

    let mut j = skip_closing_quote(hay, end);
    j = skip_blank(hay, j);
    if !matches!(hay.get(j), Some(b'=' | b':')) {
        return None;
    }
    j = skip_blank(hay, j + 1);
    let (s, e, quoted) = match (hay.get(j), hay.get(j + 1)) {
        (Some(b'\\'), Some(b'"')) => (j + 2, escaped_quoted_end(hay, j + 2), true),
        (Some(b'"'), _) if opens_a_string(hay, start, end) => (j + 1, quoted_end(hay, j + 1), true),
        (Some(b'"'), _) => return None,
        (Some(b'\''), _) => (j + 1, single_quoted_end(hay, j + 1), true),
        _ => {
            let (s, e) = unquoted(hay, j, rule.extent);
            (s, e, false)
        }
    };
    field_span(hay, s, e, quoted)
}

/// The token after a scheme word found at `start..end`: `Bearer abc…`.
pub(crate) fn token_after_scheme(hay: &[u8], start: usize, end: usize) -> Option<Span> {
    if start
        .checked_sub(1)
        .is_some_and(|i| hay[i].is_ascii_alphanumeric())
        && !after_ansi(hay, start)
    {
        return None;
    }
    let mut s = end;
    while hay.get(s) == Some(&b' ') {
        s += 1;
    }
    if s == end {
        return None;
    }
    let rest = &hay[s..hay.len().min(s + MAX_VALUE)];
    let len = rest
        .iter()
        .position(|b| !is_token68(*b))
        .unwrap_or(rest.len());
    (len >= 8 && !is_mask(rest)).then_some(Span {
        start: s,
        end: s + len,
        hit: Hit::Field,
    })
}

/// True when `value` starts with a mask this crate wrote, so scrubbing
/// twice changes nothing more.
fn is_mask(value: &[u8]) -> bool {
    [&b"[redacted"[..], b"[phone:", b"[card:", b"[email:"]
        .iter()
        .any(|m| value.starts_with(m))
}

fn is_token68(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

fn field_span(hay: &[u8], start: usize, end: usize, quoted: bool) -> Option<Span> {
    let value = &hay[start..end];
    let skip_scheme = SCHEMES.iter().find_map(|scheme| {
        let head = value.get(..scheme.len() + 1)?;
        (head[..scheme.len()].eq_ignore_ascii_case(scheme) && head[scheme.len()] == b' ')
            .then_some(head.len())
    });
    let start = start + skip_scheme.unwrap_or(0);
    let value = &hay[start..end];
    let placeholder = value.is_empty()
        || value == b"Sensitive"
        || is_mask(value)
        || (!quoted && matches!(value, b"null" | b"true" | b"false"));
    (!placeholder).then_some(Span {
        start,
        end,
        hit: Hit::Field,
    })
}

/// Whether a raw `"` after the name at `start` opens the value. In a JSON
/// line only a JSON key (`"name":`) is followed by one; after a name inside
/// a string (`"message":"password="`) the quote ends that string.
fn opens_a_string(hay: &[u8], start: usize, end: usize) -> bool {
    let opened = start > 0 && hay[start - 1] == b'"' && !(start > 1 && hay[start - 2] == b'\\');
    let closed = hay.get(end) == Some(&b'"');
    (opened && closed) || !line_is_json(hay, start)
}

/// Skips the quote that closes a quoted name: `"name"`, `\"name\"`, `'name'`.
fn skip_closing_quote(hay: &[u8], at: usize) -> usize {
    match (hay.get(at), hay.get(at + 1)) {
        (Some(b'\\'), Some(b'"')) => at + 2,
        (Some(b'"' | b'\''), _) => at + 1,
        _ => at,
    }
}

/// Skips spaces, tabs and ANSI colour sequences.
fn skip_blank(hay: &[u8], mut at: usize) -> usize {
    loop {
        match hay.get(at) {
            Some(b' ' | b'\t') => at += 1,
            Some(0x1b) if hay.get(at + 1) == Some(&b'[') => {
                let rest = &hay[at + 2..];
                let len = rest
                    .iter()
                    .position(|b| !(b.is_ascii_digit() || *b == b';'))
                    .unwrap_or(rest.len());
                at += 2 + len + usize::from(rest.get(len).is_some_and(u8::is_ascii_alphabetic));
            }
            _ => return at,
        }
    }
}

/// The end of a `"…"` value starting at `from`: the next unescaped quote.
fn quoted_end(hay: &[u8], from: usize) -> usize {
    let limit = hay.len().min(from + MAX_VALUE);
    let mut k = from;
    while k < limit {
        match hay[k] {
            b'\\' => k += 2,
            b'"' | b'\n' => return k,
            _ => k += 1,
        }
    }
    limit
}

/// The end of a `\"…\"` value (a quoted value inside an escaped string).
fn escaped_quoted_end(hay: &[u8], from: usize) -> usize {
    let limit = hay.len().min(from + MAX_VALUE);
    let mut k = from;
    while k < limit {
        match (hay[k], hay.get(k + 1)) {
            (b'\\', Some(b'"')) => return k,
            (b'\\', _) => k += 2,
            (b'"' | b'\n', _) => return k,
            _ => k += 1,
        }
    }
    limit
}

fn single_quoted_end(hay: &[u8], from: usize) -> usize {
    let limit = hay.len().min(from + MAX_VALUE);
    let rest = &hay[from..limit];
    from + rest
        .iter()
        .position(|b| matches!(b, b'\'' | b'"' | b'\\' | b'\n'))
        .unwrap_or(rest.len())
}

/// An unquoted value: a token, or the rest of the line; a scheme word
/// (`Bearer abc`) takes the token after it along.
fn unquoted(hay: &[u8], from: usize, extent: Extent) -> (usize, usize) {
    let limit = hay.len().min(from + MAX_VALUE);
    let rest = &hay[from..limit];
    let stop = |b: &u8| match extent {
        Extent::Token => {
            b.is_ascii_whitespace()
                || matches!(
                    b,
                    b',' | b';'
                        | b'&'
                        | b'#'
                        | b'}'
                        | b']'
                        | b')'
                        | b'"'
                        | b'\''
                        | b'\\'
                        | b'<'
                        | b'>'
                )
        }
        Extent::Line => matches!(b, b'\r' | b'\n' | b'"' | b'\\'),
    };
    let len = rest.iter().position(stop).unwrap_or(rest.len());
    let token = &rest[..len];
    let is_scheme = SCHEMES.iter().any(|s| token.eq_ignore_ascii_case(s));
    if extent == Extent::Token && is_scheme && rest.get(len) == Some(&b' ') {
        let next = &rest[len + 1..];
        let more = next.iter().position(stop).unwrap_or(next.len());
        return (from, from + len + 1 + more);
    }
    (from, from + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELD: KeyRule = KeyRule {
        field: true,
        query: false,
        extent: Extent::Token,
    };
    const QUERY: KeyRule = KeyRule {
        field: false,
        query: true,
        extent: Extent::Token,
    };
    const COOKIE: KeyRule = KeyRule {
        field: true,
        query: false,
        extent: Extent::Line,
    };

    fn value<'a>(text: &'a str, name: &str, rule: KeyRule) -> Option<&'a str> {
        let start = text.find(name)?;
        let span = value_after_name(text.as_bytes(), start, start + name.len(), rule)?;
        Some(&text[span.start..span.end])
    }

    #[test]
    fn field_values_are_found_in_text_json_and_debug_shapes() {
        assert_eq!(
            value("password=hunter2 next=1", "password", FIELD),
            Some("hunter2")
        );
        assert_eq!(
            value(r#"password="hunter 2" x"#, "password", FIELD),
            Some("hunter 2")
        );
        assert_eq!(
            value(r#"{"password":"a\"b","x":1}"#, "password", FIELD),
            Some(r#"a\"b"#)
        );
        assert_eq!(
            value(r#""body":"{\"password\":\"pw1\"}""#, "password", FIELD),
            Some("pw1")
        );
        assert_eq!(
            value(
                r#"{"authorization": "Bearer abc.def"}"#,
                "authorization",
                FIELD
            ),
            Some("abc.def")
        );
        assert_eq!(
            value(
                "authorization: Bearer abcdefgh rest",
                "authorization",
                FIELD
            ),
            Some("abcdefgh")
        );
        assert_eq!(
            value(
                "\x1b[3mpassword\x1b[0m\x1b[2m=\x1b[0m\"pw\"",
                "password",
                FIELD
            ),
            Some("pw")
        );
        assert_eq!(
            value("cookie: a=1; session=xyz\nnext", "cookie", COOKIE),
            Some("a=1; session=xyz")
        );
    }

    #[test]
    fn names_without_a_value_or_inside_words_are_left_alone() {
        assert_eq!(value("passwordless login", "password", FIELD), None);
        assert_eq!(value("mypassword=x", "password", FIELD), None);
        assert_eq!(value(r#"{"password":null}"#, "password", FIELD), None);
        assert_eq!(
            value(r#"{"authorization": Sensitive}"#, "authorization", FIELD),
            None
        );
        assert_eq!(value("password=[redacted]", "password", FIELD), None);
        assert_eq!(value(r#"{"m":"password=","n":1}"#, "password", FIELD), None);
        assert_eq!(value(r#"{"m":"password","n":1}"#, "password", FIELD), None);
    }

    #[test]
    fn query_values_need_a_query_position() {
        assert_eq!(value("/p?api_key=k1&x=2", "api_key", QUERY), Some("k1"));
        assert_eq!(
            value("/p?a=1&api_key=k1#frag", "api_key", QUERY),
            Some("k1")
        );
        assert_eq!(value("api_key=k1", "api_key", QUERY), None);
    }

    #[test]
    fn scheme_words_take_the_token_after_them() {
        let text = "sent Bearer abcdefgh.ijk, done";
        let start = text.find("Bearer").unwrap();
        let span = token_after_scheme(text.as_bytes(), start, start + 6).unwrap();
        assert_eq!(&text[span.start..span.end], "abcdefgh.ijk");
        let short = "Basic ok";
        assert!(token_after_scheme(short.as_bytes(), 0, 5).is_none());
    }
}
