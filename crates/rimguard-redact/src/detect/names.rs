//! Sensitive names, found from the separator that follows them.
//!
//! A sensitive value follows its name and a `=` or `:`. Rather than look
//! for every name everywhere, the scanner finds each `=` and `:` with
//! `memchr` (SIMD), reads the word before it (past a closing quote, blanks
//! and ANSI colour codes), and looks that word and its suffixes after a
//! `_`, `-` or `.` up in a hash set, so `db_password=` is found through
//! `password`. A case-insensitive Aho-Corasick automaton of the names was
//! the first design and cost several times more on realistic log lines.

use super::keys::{self, KeyRule};
use super::{FnvMap, Span};

/// The sensitive names, lower-case.
pub(crate) struct NameIndex {
    names: FnvMap<Box<[u8]>, KeyRule>,
    max_len: usize,
    /// One bit per (lower-case) last three bytes a name can end with,
    /// hashed: most words before a separator are turned away by it alone.
    /// With a name shorter than three bytes, the last two bytes, unhashed.
    endings: Box<[u64; 1024]>,
    short_names: bool,
}

fn ending(bytes: &[u8], short_names: bool) -> usize {
    let lower = |i: usize| u32::from(bytes[bytes.len() - i].to_ascii_lowercase());
    if short_names || bytes.len() < 3 {
        let first = if bytes.len() >= 2 { lower(2) } else { 0 };
        return (first << 8 | lower(1)) as usize;
    }
    ending_of(
        bytes[bytes.len() - 3],
        bytes[bytes.len() - 2],
        bytes[bytes.len() - 1],
    )
}

/// The filter slot of a name ending in the three bytes `a`, `b`, `c`.
#[inline]
fn ending_of(a: u8, b: u8, c: u8) -> usize {
    let lower = |b: u8| u32::from(b.to_ascii_lowercase());
    let key = lower(a) << 16 | lower(b) << 8 | lower(c);
    (key.wrapping_mul(0x9e37_79b1) >> 16) as usize
}

impl std::fmt::Debug for NameIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NameIndex")
            .field("names", &self.names.len())
            .finish()
    }
}

/// The bytes a name is made of: ASCII letters, digits, `_`, `-` and `.`.
const NAME_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.');
        b += 1;
    }
    table
};

fn is_name_byte(b: u8) -> bool {
    NAME_BYTES[usize::from(b)]
}

impl NameIndex {
    pub(crate) fn new<'a>(names: impl IntoIterator<Item = (&'a String, &'a KeyRule)>) -> Self {
        let names: FnvMap<Box<[u8]>, KeyRule> = names
            .into_iter()
            .map(|(name, rule)| (name.to_ascii_lowercase().into_bytes().into(), *rule))
            .collect();
        let max_len = names.keys().map(|k| k.len()).max().unwrap_or(0);
        let short_names = names.keys().any(|k| k.len() < 3);
        let mut endings = Box::new([0u64; 1024]);
        for name in names.keys().filter(|k| !k.is_empty()) {
            let e = ending(name, short_names);
            endings[e >> 6] |= 1 << (e & 63);
        }
        Self {
            names,
            max_len,
            endings,
            short_names,
        }
    }

    /// Finds the values of sensitive names in `hay`: the whole pass on its
    /// own, with `memchr`. The engine finds the separators in its sampling
    /// pass instead and calls [`at_separator`](Self::at_separator).
    #[cfg(test)]
    pub(crate) fn scan(&self, hay: &[u8], out: &mut Vec<Span>) {
        let mut resume = 0;
        for sep in memchr::memchr2_iter(b'=', b':', hay) {
            self.at_separator(hay, sep, &mut resume, out);
        }
    }

    /// Looks at the `=` or `:` at `sep`; separators must come in increasing
    /// order, and `resume` (0 at first) is where the last value found ends:
    /// a separator inside it is skipped.
    #[inline]
    pub(crate) fn at_separator(
        &self,
        hay: &[u8],
        sep: usize,
        resume: &mut usize,
        out: &mut Vec<Span>,
    ) {
        if sep < *resume {
            return;
        }
        if let Some(span) = self.value_before(hay, sep) {
            *resume = span.end;
            out.push(span);
        }
    }

    /// The value after the sensitive name that ends before the separator
    /// at `sep`, if that word is one.
    ///
    /// Most separators follow no sensitive name: this first part, inlined,
    /// turns them away on the last three bytes of the word alone.
    #[inline(always)]
    fn value_before(&self, hay: &[u8], sep: usize) -> Option<Span> {
        let end = name_end(hay, sep);
        let e = match hay[..end] {
            [.., a, b, c]
                if !self.short_names && is_name_byte(a) && is_name_byte(b) && is_name_byte(c) =>
            {
                ending_of(a, b, c)
            }
            _ => {
                let tail = &hay[end.saturating_sub(3)..end];
                let inside = tail.iter().rev().take_while(|b| is_name_byte(**b)).count();
                if inside == 0 {
                    return None;
                }
                ending(&tail[tail.len() - inside..], self.short_names)
            }
        };
        if self.endings[e >> 6] & (1 << (e & 63)) == 0 {
            return None;
        }
        self.value_of_word_before(hay, end)
    }

    /// The value after the sensitive name that ends at `end`, if the word
    /// there is one (past the ending filter).
    #[inline(never)]
    fn value_of_word_before(&self, hay: &[u8], end: usize) -> Option<Span> {
        let floor = end.saturating_sub(self.max_len + 64);
        let word = hay[floor..end]
            .iter()
            .rev()
            .take_while(|b| is_name_byte(**b))
            .count();
        if word == 0 {
            return None;
        }
        let mut start = end - word;
        if start >= 2 && hay[start - 2] == 0x1b && hay[start - 1] == b'[' {
            // The word began inside an ANSI colour code: `ESC [ 3 m password`.
            let params = hay[start..end]
                .iter()
                .take_while(|b| b.is_ascii_digit() || **b == b';')
                .count();
            if hay.get(start + params) == Some(&b'm') {
                start += params + 1;
            }
        }
        let mut buf = [0u8; 64];
        let candidates = std::iter::once(start).chain(
            (start..end)
                .filter(|i| !hay[*i].is_ascii_alphanumeric())
                .map(|i| i + 1),
        );
        for from in candidates {
            let len = end - from;
            if len == 0 || len > self.max_len || len > buf.len() {
                continue;
            }
            let lower = &mut buf[..len];
            lower.copy_from_slice(&hay[from..end]);
            lower.make_ascii_lowercase();
            if let Some(rule) = self.names.get(&*lower) {
                return keys::value_after_name(hay, from, end, *rule);
            }
        }
        None
    }
}

/// Where the name before the separator at `sep` ends: before blanks, ANSI
/// colour codes and a closing quote (`"name"`, `\"name\"`, `'name'`).
#[inline(always)]
fn name_end(hay: &[u8], sep: usize) -> usize {
    // Most separators follow a name byte directly (`key=`) or a name byte
    // and its closing quote (`"key":`); only a blank, an escaped quote or an
    // `m` (which may end an ANSI code) needs the slow path.
    match hay[..sep] {
        [.., b] if is_name_byte(b) && b != b'm' => sep,
        [.., b, b'"'] if is_name_byte(b) && b != b'm' => sep - 1,
        [] => sep,
        _ => name_end_slow(hay, sep),
    }
}

#[inline(never)]
fn name_end_slow(hay: &[u8], sep: usize) -> usize {
    let mut j = skip_back_blank(hay, sep);
    match hay[..j] {
        [.., b'\\', b'"'] => j -= 2,
        [.., b'"' | b'\''] => j -= 1,
        _ => {}
    }
    skip_back_blank(hay, j)
}

fn skip_back_blank(hay: &[u8], mut j: usize) -> usize {
    loop {
        match hay[..j] {
            [.., b' ' | b'\t'] => j -= 1,
            [.., b'm'] => {
                let body = &hay[..j - 1];
                let params = body
                    .iter()
                    .rev()
                    .take_while(|b| b.is_ascii_digit() || **b == b';')
                    .count();
                if body[..body.len() - params].ends_with(b"\x1b[") {
                    j -= params + 3;
                } else {
                    return j;
                }
            }
            _ => return j,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::keys::Extent;

    fn index() -> NameIndex {
        let rule = KeyRule {
            field: true,
            query: true,
            extent: Extent::Token,
        };
        let names: Vec<(String, KeyRule)> =
            ["password", "api_key", "x-api-key", "hub.verify_token"]
                .iter()
                .map(|n| ((*n).to_owned(), rule))
                .collect();
        NameIndex::new(names.iter().map(|(n, r)| (n, r)))
    }

    fn values(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        index().scan(text.as_bytes(), &mut out);
        out.iter().map(|s| &text[s.start..s.end]).collect()
    }

    #[test]
    fn names_are_found_before_their_separator_in_every_shape() {
        assert_eq!(
            values("password=a db_password=b PASSWORD: c"),
            ["a", "b", "c"]
        );
        assert_eq!(
            values(r#"{"api_key":"k1","X-Api-Key" : "k2"}"#),
            ["k1", "k2"]
        );
        assert_eq!(values("?hub.verify_token=t1&x=1"), ["t1"]);
        assert_eq!(
            values("\x1b[3mpassword\x1b[0m\x1b[2m=\x1b[0m\"pw\""),
            ["pw"]
        );
        assert_eq!(values(r#"body="{\"password\":\"p2\"}""#), ["p2"]);
    }

    #[test]
    fn short_names_are_found_too() {
        let rule = KeyRule {
            field: true,
            query: true,
            extent: Extent::Token,
        };
        let names = [("pw".to_owned(), rule), ("password".to_owned(), rule)];
        let index = NameIndex::new(names.iter().map(|(n, r)| (n, r)));
        let mut out = Vec::new();
        index.scan(b"pw=a x_pw=b password=c", &mut out);
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn other_words_are_left_alone() {
        assert!(values("mypassword=a passwords=b key=c time 11:43:02").is_empty());
    }
}
