//! Masking of sensitive query values in the recorded path.
//!
//! A small, self-contained matcher: the names of query parameters whose
//! values never reach a record. Matching is ASCII case-insensitive and sees
//! through percent-encoding of the name (`api%5Fkey` is `api_key`).

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
            out.extend_from_slice(path_and_query.as_bytes());
            return;
        };
        out.extend_from_slice(path.as_bytes());
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
    fn repeated_and_empty_values_are_all_masked() {
        let mask = QueryMask::default();
        assert_eq!(
            mask.apply("/a?token=1&token=&x=2"),
            "/a?token=***&token=***&x=2"
        );
    }
}
