//! Masking of sensitive query values in the recorded path.
//!
//! A small, self-contained matcher: the names of query parameters whose
//! values never reach a record. Matching is ASCII case-insensitive and sees
//! through percent-encoding of the name (`api%5Fkey` is `api_key`).
//!
//! Path segments are checked too: a segment shaped like a phone number (an
//! optional `+`, plain or as `%2B`, then 7 to 15 digits) keeps only its last
//! four digits, so `/customers/+447911123456` is recorded as
//! `/customers/***3456`. Other segments are recorded as they are.

use std::fmt;

/// What a masked value is replaced with.
pub const MASK: &str = "***";

/// The query parameter names masked when none are configured.
pub const DEFAULT_MASKED_PARAMS: &[&str] = &[
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "api_key",
    "apikey",
    "key",
    "password",
    "secret",
    "client_secret",
    "signature",
    "sig",
    "code",
    "phone",
    "email",
    "hub.verify_token",
];

/// The set of query parameter names whose values are masked.
///
/// # Example
///
/// ```
/// use rimguard_audit::QueryMask;
///
/// let mask = QueryMask::new(["token", "phone"]);
/// assert_eq!(mask.apply("/orders?phone=%2B447911123456&page=2"), "/orders?phone=***&page=2");
/// assert_eq!(mask.apply("/x?TOKEN=abc"), "/x?TOKEN=***");
/// assert_eq!(mask.apply("/customers/%2B447911123456/orders"), "/customers/***3456/orders");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct QueryMask {
    names: Box<[Box<str>]>,
}

impl QueryMask {
    /// Masks the values of these parameter names.
    pub fn new<I, N>(names: I) -> Self
    where
        I: IntoIterator<Item = N>,
        N: AsRef<str>,
    {
        let names = names
            .into_iter()
            .map(|n| n.as_ref().to_ascii_lowercase().into())
            .collect();
        Self { names }
    }

    /// Masks nothing.
    pub fn none() -> Self {
        Self {
            names: Box::new([]),
        }
    }

    /// Whether the value of `name` (as it appears in the query) is masked.
    pub fn masks(&self, name: &str) -> bool {
        let mut decoded = [0u8; 64];
        let Some(name) = percent_decode(name.as_bytes(), &mut decoded) else {
            // A name too long to be any configured name, but it could hide
            // one behind padding: mask it rather than guess.
            return !self.names.is_empty();
        };
        self.names
            .iter()
            .any(|n| n.as_bytes().eq_ignore_ascii_case(name))
    }

    /// The path and query of `path_and_query` with masked values replaced.
    pub fn apply(&self, path_and_query: &str) -> String {
        let mut out = Vec::with_capacity(path_and_query.len());
        self.write(&mut out, path_and_query);
        String::from_utf8(out).expect("masking keeps UTF-8 input UTF-8")
    }

    /// Appends the masked form of `path_and_query` to `out`.
    pub(crate) fn write(&self, out: &mut Vec<u8>, path_and_query: &str) {
        let Some((path, query)) = path_and_query.split_once('?') else {
            write_path(out, path_and_query);
            return;
        };
        write_path(out, path);
        out.push(b'?');

        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push(b'&');
            }
            match pair.split_once('=') {
                Some((name, _)) if self.masks(name) => {
                    out.extend_from_slice(name.as_bytes());
                    out.push(b'=');
                    out.extend_from_slice(MASK.as_bytes());
                }
                _ => out.extend_from_slice(pair.as_bytes()),
            }
        }
    }
}

impl Default for QueryMask {
    /// Masks [`DEFAULT_MASKED_PARAMS`].
    fn default() -> Self {
        Self::new(DEFAULT_MASKED_PARAMS)
    }
}

impl fmt::Debug for QueryMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names.iter()).finish()
    }
}

/// Appends `path` with every phone-shaped segment masked.
fn write_path(out: &mut Vec<u8>, path: &str) {
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        match phone_digits(segment) {
            Some(digits) => {
                out.extend_from_slice(MASK.as_bytes());
                out.extend_from_slice(&digits.as_bytes()[digits.len() - 4..]);
            }
            None => out.extend_from_slice(segment.as_bytes()),
        }
    }
}

/// The digits of a segment shaped like a phone number: an optional `+` (or
/// `%2B`), then 7 to 15 ASCII digits.
fn phone_digits(segment: &str) -> Option<&str> {
    let digits = segment
        .strip_prefix('+')
        .or_else(|| segment.strip_prefix("%2B"))
        .or_else(|| segment.strip_prefix("%2b"))
        .unwrap_or(segment);
    let shaped = (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    shaped.then_some(digits)
}

/// Decodes `%XX` and `+` into `buf`; `None` when the result does not fit.
fn percent_decode<'a>(raw: &[u8], buf: &'a mut [u8; 64]) -> Option<&'a [u8]> {
    let mut len = 0;
    let mut i = 0;
    while i < raw.len() {
        let byte = match raw[i] {
            b'%' if i + 2 < raw.len() => match hex_pair(raw[i + 1], raw[i + 2]) {
                Some(decoded) => {
                    i += 2;
                    decoded
                }
                None => b'%',
            },
            b'+' => b' ',
            other => other,
        };
        *buf.get_mut(len)? = byte;
        len += 1;
        i += 1;
    }
    Some(&buf[..len])
}

fn hex_pair(high: u8, low: u8) -> Option<u8> {
    let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    Some(digit(high)? << 4 | digit(low)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_names_are_matched_after_decoding() {
        let mask = QueryMask::new(["api_key"]);
        assert_eq!(
            mask.apply("/a?api%5Fkey=s3cret&b=1"),
            "/a?api%5Fkey=***&b=1"
        );
        assert_eq!(mask.apply("/a?api%5fkey=s3cret"), "/a?api%5fkey=***");
    }

    #[test]
    fn pairs_without_values_and_other_names_are_kept() {
        let mask = QueryMask::default();
        assert_eq!(mask.apply("/a?flag&page=2&token"), "/a?flag&page=2&token");
        assert_eq!(mask.apply("/a"), "/a");
        assert_eq!(mask.apply("/a?"), "/a?");
    }

    #[test]
    fn phone_shaped_path_segments_keep_only_their_last_four_digits() {
        let mask = QueryMask::default();
        assert_eq!(mask.apply("/customers/+447911123456"), "/customers/***3456");
        assert_eq!(mask.apply("/c/%2b14155550100?page=2"), "/c/***0100?page=2");
        assert_eq!(
            mask.apply("/orders/07911123456/items"),
            "/orders/***3456/items"
        );
    }

    #[test]
    fn other_path_segments_are_kept() {
        let mask = QueryMask::none();
        assert_eq!(mask.apply("/orders/RT-1001"), "/orders/RT-1001");
        assert_eq!(mask.apply("/orders/123456"), "/orders/123456");
        assert_eq!(mask.apply("/v1/1234567890123456"), "/v1/1234567890123456");
        assert_eq!(mask.apply("//a/"), "//a/");
    }

    #[test]
    fn repeated_and_empty_values_are_all_masked() {
        let mask = QueryMask::default();
        assert_eq!(
            mask.apply("/a?token=1&token=&x=2"),
            "/a?token=***&token=***&x=2"
        );
    }
}
