//! The scanner: finds what to mask in a byte string.
//!
//! Three linear passes, each cheap on clean text:
//!
//! 1. one pass over eight-byte words for three things at once: the exact
//!    values of the registered secrets (raw and escaped as JSON, `Debug`
//!    and URLs print them), found by sampling every fourth or eighth byte
//!    against a filter that fits in the L1 cache (see [`secrets`]); the
//!    literal anchor of every credential shape and the scheme words
//!    `Bearer` and `Basic`, found by sampling every second byte (see
//!    [`anchors`]), a credential's verifying regex running only at an
//!    anchor; and the `=` and `:` after which the sensitive names
//!    (headers, query parameters, fields) are looked up (see [`names`]),
//!    their values then read by hand;
//! 2. a hand-written pass over digit runs (cards, phones), eight bytes at
//!    a time to the first digit of each run;
//! 3. `memchr` for `@` (e-mail addresses).

pub(crate) mod anchors;
pub(crate) mod credentials;
pub(crate) mod digits;
pub(crate) mod email;
pub(crate) mod keys;
pub(crate) mod names;
pub(crate) mod secrets;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::bytes::Regex;

use anchors::AnchorIndex;
use credentials::{CredentialPattern, PRIVATE_KEY, credential_patterns};
use keys::KeyRule;
use names::NameIndex;
use secrets::SecretIndex;

/// FNV-1a, for the scanner's small tables: their keys are short, and the
/// tables are built from the application's rules, not from input.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A `HashMap` with the [`Fnv`] hasher.
pub(crate) type FnvMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

/// One stretch of input to mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) hit: Hit,
}

/// What a span is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hit {
    /// The registered secret with this index.
    Secret(u32),
    /// The credential pattern with this index in [`credential_patterns`].
    Credential(u16),
    Card,
    Phone,
    Email,
    /// A value after a sensitive name or scheme word, or overlapping finds.
    Field,
}

/// What an anchor stands for.
#[derive(Debug)]
enum Anchor {
    /// Credential patterns to try there, in order.
    Patterns(Box<[u16]>),
    /// An authentication scheme word (of this length) and a space:
    /// `Bearer `, `basic `.
    Scheme(usize),
}

/// The scheme words, in the spellings looked for.
const SCHEMES: [&str; 6] = [
    "Bearer ", "bearer ", "BEARER ", "Basic ", "basic ", "BASIC ",
];

/// What the scanner looks for.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) credentials: bool,
    pub(crate) cards: bool,
    pub(crate) phones: bool,
    pub(crate) emails: bool,
}

/// The compiled scanner.
pub(crate) struct Engine {
    secrets: Option<SecretIndex>,
    anchors: Option<AnchorIndex>,
    anchor_targets: Vec<Anchor>,
    names: NameIndex,
    settings: Settings,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("secrets", &self.secrets)
            .field("anchors", &self.anchor_targets.len())
            .field("names", &self.names)
            .field("settings", &self.settings)
            .finish()
    }
}

/// A credential pattern's compiled verifier.
struct Verifier {
    regex: Regex,
    group: Option<usize>,
}

fn verifiers() -> &'static [Verifier] {
    static VERIFIERS: OnceLock<Vec<Verifier>> = OnceLock::new();
    VERIFIERS.get_or_init(|| credential_patterns().iter().map(compile).collect())
}

fn compile(pattern: &CredentialPattern) -> Verifier {
    let source = if pattern.lookbehind() == 0 {
        format!("^(?:{})", pattern.regex())
    } else {
        format!("(?:{})", pattern.regex())
    };
    let regex = Regex::new(&source).expect("the built-in credential patterns are valid regexes");
    let group = regex.capture_names().position(|name| name == Some("s"));
    Verifier { regex, group }
}

impl Engine {
    /// Compiles the automata. `secrets` are raw values (already checked for
    /// length), `names` the sensitive names with what they stand for.
    pub(crate) fn new(
        secrets: &[&[u8]],
        names: &BTreeMap<String, KeyRule>,
        settings: Settings,
    ) -> Self {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut anchor_targets = Vec::new();
        if settings.credentials {
            let mut by_anchor: BTreeMap<&str, Vec<u16>> = BTreeMap::new();
            for (i, pattern) in credential_patterns().iter().enumerate() {
                let i = u16::try_from(i).expect("the pattern table is small");
                for anchor in pattern.anchors() {
                    by_anchor.entry(anchor).or_default().push(i);
                }
            }
            for (anchor, patterns) in by_anchor {
                literals.push(anchor.as_bytes().to_vec());
                anchor_targets.push(Anchor::Patterns(patterns.into_boxed_slice()));
            }
        }
        for scheme in SCHEMES {
            literals.push(scheme.as_bytes().to_vec());
            anchor_targets.push(Anchor::Scheme(scheme.len() - 1));
        }

        Self {
            secrets: SecretIndex::new(secrets),
            anchors: (!literals.is_empty()).then(|| AnchorIndex::new(&literals)),
            anchor_targets,
            names: NameIndex::new(names),
            settings,
        }
    }

    /// Every span to mask in `hay`, unsorted and possibly overlapping.
    pub(crate) fn find(&self, hay: &[u8]) -> Vec<Span> {
        let mut out = Vec::new();
        self.sample(hay, &mut out);
        if self.settings.cards || self.settings.phones {
            digits::scan(hay, self.settings.cards, self.settings.phones, &mut out);
        }
        if self.settings.emails {
            email::scan(hay, &mut out);
        }
        out
    }

    /// The secrets, anchors and names passes in one: each eight bytes of
    /// text are read once, as one or two four-byte blocks for the secrets,
    /// four two-byte blocks for the anchors, and a word in which the `=`
    /// and `:` before which names end are found (no `memchr` call per
    /// separator).
    fn sample(&self, hay: &[u8], out: &mut Vec<Span>) {
        let mut anchors = Vec::new();
        let mut found = |anchor: usize, start: usize| anchors.push((anchor, start));
        let mut resume = 0;
        let chunks = hay.chunks_exact(8);
        let tail = hay.len() - chunks.remainder().len();
        let both_halves = self.secrets.as_ref().is_some_and(|s| s.stride() == 4);
        for (i, chunk) in chunks.enumerate() {
            let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            let at = 8 * i;
            // One branch per word: the filter bits of all its blocks, OR-ed.
            let mut any = 0;
            if let Some(index) = &self.secrets {
                any |= index.marked(word as u32);
                if both_halves {
                    any |= index.marked((word >> 32) as u32);
                }
            }
            if let Some(index) = &self.anchors {
                any |= index.marked(word as u16)
                    | index.marked((word >> 16) as u16)
                    | index.marked((word >> 32) as u16)
                    | index.marked((word >> 48) as u16);
            }
            if any & 1 != 0 {
                if let Some(index) = &self.secrets {
                    index.probe(hay, at, word as u32, out);
                    if both_halves {
                        index.probe(hay, at + 4, (word >> 32) as u32, out);
                    }
                }
                if let Some(index) = &self.anchors {
                    for k in 0..4 {
                        index.probe(hay, at + 2 * k, (word >> (16 * k)) as u16, &mut found);
                    }
                }
            }
            let mut seps = digits::equal(word, b'=') | digits::equal(word, b':');
            while seps != 0 {
                let sep = at + (seps.trailing_zeros() / 8) as usize;
                seps &= seps - 1;
                self.names.at_separator(hay, sep, &mut resume, out);
            }
        }
        if let Some(index) = &self.secrets
            && let Some(block) = hay.get(tail..tail + 4)
        {
            let g = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
            index.probe(hay, tail, g, out);
        }
        if let Some(index) = &self.anchors {
            for at in (tail..hay.len().saturating_sub(1)).step_by(2) {
                index.probe(
                    hay,
                    at,
                    u16::from_le_bytes([hay[at], hay[at + 1]]),
                    &mut found,
                );
            }
        }
        for at in tail..hay.len() {
            if matches!(hay[at], b'=' | b':') {
                self.names.at_separator(hay, at, &mut resume, out);
            }
        }

        for (anchor, start) in anchors {
            let span = match &self.anchor_targets[anchor] {
                Anchor::Patterns(patterns) => patterns.iter().find_map(|p| verify(hay, start, *p)),
                Anchor::Scheme(len) => keys::token_after_scheme(hay, start, start + len),
            };
            out.extend(span);
        }
    }
}

/// Runs credential pattern `index` at an anchor found at `at`.
fn verify(hay: &[u8], at: usize, index: u16) -> Option<Span> {
    let pattern = &credential_patterns()[usize::from(index)];
    let verifier = &verifiers()[usize::from(index)];
    let hit = Hit::Credential(index);
    if pattern.name() == PRIVATE_KEY {
        return private_key(hay, at, &verifier.regex).map(|end| Span {
            start: at,
            end,
            hit,
        });
    }

    let from = at - pattern.lookbehind().min(at);
    let to = hay.len().min(at + pattern.window());
    let window = &hay[from..to];
    if pattern.lookbehind() == 0 {
        let first = pattern.anchors()[0].as_bytes()[0];
        let glued = at > 0
            && first.is_ascii_alphanumeric()
            && hay[at - 1].is_ascii_alphanumeric()
            && !after_ansi(hay, at);
        if glued {
            return None;
        }
    }
    let (start, end) = match verifier.group {
        Some(group) => {
            let caps = verifier.regex.captures(window)?;
            let m = caps.get(group)?;
            (m.start(), m.end())
        }
        None => {
            let found = verifier
                .regex
                .find_iter(window)
                .find(|m| from + m.end() > at)?;
            // A token longer than its shape is still that token: mask the rest too.
            let tail = window[found.end()..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
            (found.start(), found.end() + tail.count())
        }
    };
    (from + start <= at || verifier.group.is_some()).then_some(Span {
        start: from + start,
        end: from + end,
        hit,
    })
}

/// The end of a private key block whose `-----BEGIN` is at `at`.
fn private_key(hay: &[u8], at: usize, header: &Regex) -> Option<usize> {
    let head = header.find(&hay[at..hay.len().min(at + 80)])?;
    let body_start = at + head.end();
    let region_end = memchr::memchr(b'"', &hay[body_start..]).map_or(hay.len(), |i| body_start + i);
    let region = &hay[body_start..region_end.min(body_start + 64 * 1024)];
    if let Some(i) = memchr::memmem::find(region, b"-----END") {
        let after = body_start + i + 8;
        let tail = &hay[after..region_end.min(after + 64)];
        let close = memchr::memmem::find(tail, b"-----").map_or(0, |j| j + 5);
        return Some(after + close);
    }
    let mut end = body_start;
    while end < region_end {
        match (hay[end], hay.get(end + 1)) {
            (b'\\', Some(b'n' | b'r' | b't')) => end += 2,
            (b, _)
                if b.is_ascii_alphanumeric()
                    || matches!(b, b'+' | b'/' | b'=' | b' ' | b'\n' | b'\r' | b'\t') =>
            {
                end += 1;
            }
            _ => break,
        }
    }
    Some(end)
}

/// True when the byte at `at` is the second byte of a JSON or `Debug`
/// escape sequence (`\n`, `\"`, `\u…`): one of those letters, preceded by
/// an odd number of backslashes.
pub(crate) fn escaped_at(hay: &[u8], at: usize) -> bool {
    let escapable = b"\"\\/'bfnrtu0";
    if !hay.get(at).is_some_and(|b| escapable.contains(b)) {
        return false;
    }
    let backslashes = hay[..at].iter().rev().take_while(|b| **b == b'\\').count();
    backslashes % 2 == 1
}

/// True when an ANSI colour sequence (`ESC [ 3 m`) ends right before `at`.
pub(crate) fn after_ansi(hay: &[u8], at: usize) -> bool {
    let Some(body) = hay[..at].strip_suffix(b"m") else {
        return false;
    };
    let params = body
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit() || **b == b';')
        .count();
    body[..body.len() - params].ends_with(b"\x1b[")
}

/// True when the line holding byte `at` is a JSON object (starts with `{`).
pub(crate) fn line_is_json(hay: &[u8], at: usize) -> bool {
    let line_start = memchr::memrchr(b'\n', &hay[..at]).map_or(0, |i| i + 1);
    hay[line_start..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_credential_pattern_compiles() {
        assert_eq!(verifiers().len(), credential_patterns().len());
    }

    #[test]
    fn no_anchor_is_a_prefix_of_another() {
        let mut anchors: Vec<&str> = credential_patterns()
            .iter()
            .flat_map(|p| p.anchors().iter().copied())
            .collect();
        anchors.sort_unstable();
        anchors.dedup();
        for a in &anchors {
            for b in &anchors {
                assert!(a == b || !b.starts_with(a), "{a} is a prefix of {b}");
            }
        }
    }

    #[test]
    fn the_fused_pass_finds_what_the_separate_passes_find() {
        let names: BTreeMap<String, KeyRule> = ["password", "api_key", "token", "pin"]
            .iter()
            .map(|n| {
                let rule = KeyRule {
                    field: true,
                    query: true,
                    extent: keys::Extent::Token,
                };
                ((*n).to_owned(), rule)
            })
            .collect();
        let secret: &[u8] = b"s3cr3t-value-1234";
        let settings = Settings {
            credentials: true,
            cards: false,
            phones: false,
            emails: false,
        };
        let engine = Engine::new(&[secret], &names, settings);
        let pieces: [&[u8]; 22] = [
            b"password=",
            b"\"api_key\":\"",
            b"token: ",
            b"=",
            b":",
            b" ",
            b"x",
            b"ghp_0123456789abcdefghijABCDEFGHIJ012345 ",
            b"s3cr3t-value-1234",
            b"pin=12",
            b"
",
            b"&token=",
            b"4111 1111 1111 1111",
            b"+447911123456",
            b"%2B",
            b"07911 123456",
            b"2026-12-03T11:43:02.5Z",
            b"203.0.113.7",
            b"v1.2",
            b"-",
            b".",
            b"5f2c",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut kinds = std::collections::HashSet::new();
        for _ in 0..2000 {
            let mut text = Vec::new();
            for _ in 0..(seed % 13) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.extend_from_slice(pieces[(seed % pieces.len() as u64) as usize]);
                let filler = [b'a', b'7', b' '][(seed >> 40) as usize % 3];
                text.extend(std::iter::repeat_n(filler, (seed >> 20) as usize % 10));
            }
            let mut fused = Vec::new();
            engine.sample(&text, &mut fused);
            let mut separate = Vec::new();
            if let Some(index) = &engine.secrets {
                index.scan(&text, &mut separate);
            }
            let mut anchors = Vec::new();
            if let Some(index) = &engine.anchors {
                index.scan(&text, |a, s| anchors.push((a, s)));
            }
            for (anchor, start) in anchors {
                let span = match &engine.anchor_targets[anchor] {
                    Anchor::Patterns(p) => p.iter().find_map(|p| verify(&text, start, *p)),
                    Anchor::Scheme(len) => keys::token_after_scheme(&text, start, start + len),
                };
                separate.extend(span);
            }
            engine.names.scan(&text, &mut separate);
            let key = |s: &Span| (s.start, s.end, format!("{:?}", s.hit));
            fused.sort_by_key(key);
            fused.dedup();
            separate.sort_by_key(key);
            separate.dedup();
            assert_eq!(fused, separate, "in {:?}", String::from_utf8_lossy(&text));
            kinds.extend(fused.iter().map(|s| std::mem::discriminant(&s.hit)));
        }
        // Secrets, credentials and field values were all among the finds.
        assert_eq!(kinds.len(), 3, "{kinds:?}");
    }

    #[test]
    fn an_ansi_sequence_is_a_boundary() {
        assert!(after_ansi(b"x\x1b[0mtoken", 5));
        assert!(after_ansi(b"\x1b[1;32mtoken", 7));
        assert!(!after_ansi(b"form", 4));
    }

    #[test]
    fn an_escaped_byte_is_told_from_a_plain_one() {
        assert!(escaped_at(br"x\n", 2));
        assert!(!escaped_at(br"x\\n", 3));
        assert!(!escaped_at(b"xn", 1));
        assert!(!escaped_at(br"C:\Secret", 3));
    }
}
