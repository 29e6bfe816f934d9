//! Exact secret values, found by sampling the text every four or eight
//! bytes.
//!
//! Every registered value is at least eight bytes long, so wherever one
//! occurs in the text, one of the text's four-byte blocks at a position that
//! is a multiple of four lies wholly inside the value, at an offset from 0
//! to 3; when every variant is at least eleven bytes long (the usual case:
//! keys and tokens are longer), the same holds for the blocks at multiples
//! of eight, at an offset from 0 to 7, and the text is sampled half as
//! often. The index holds the four-byte pieces of every value at those
//! offsets, behind a 64 Ki-bit filter that fits in the L1 cache. Scanning
//! reads one `u32` per four (or eight) bytes of text and tests one bit;
//! only a set bit leads to a table look-up and a byte comparison.
//!
//! An Aho-Corasick automaton of a hundred random 32-byte values was the
//! first design; its DFA is large enough to miss the cache on nearly every
//! byte and was the slowest part of the scanner by far.

use super::{FnvMap, Hit, Span, line_is_json};

const FILTER_BITS: usize = 1 << 16;

/// One byte string under which a secret may appear.
#[derive(Debug)]
struct Variant {
    bytes: Vec<u8>,
    secret: u32,
    /// The raw form of a value holding a quote or backslash: it cannot be in
    /// a JSON line as is, where matching it could cut through the JSON.
    raw_special: bool,
}

/// The index of every registered value's variants.
pub(crate) struct SecretIndex {
    filter: Box<[u64; FILTER_BITS / 64]>,
    grams: FnvMap<u32, Vec<(u32, u8)>>,
    variants: Vec<Variant>,
    /// Every how many bytes the text is sampled: 4, or 8 when every variant
    /// is at least [`LONG`] bytes long.
    stride: usize,
}

/// The shortest variant length for which sampling every eight bytes finds
/// every occurrence: an eight-byte stride and a four-byte block.
const LONG: usize = 8 + 3;

impl std::fmt::Debug for SecretIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretIndex")
            .field("variants", &self.variants.len())
            .finish_non_exhaustive()
    }
}

fn gram(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn slot(gram: u32) -> usize {
    // The top 16 bits: always below `FILTER_BITS`.
    (gram.wrapping_mul(0x9e37_79b1) >> 16) as usize & (FILTER_BITS - 1)
}

impl SecretIndex {
    /// Indexes `secrets` (each at least eight bytes), or `None` when there
    /// are none.
    pub(crate) fn new(secrets: &[&[u8]]) -> Option<Self> {
        let mut all = Vec::new();
        for (secret, raw) in secrets.iter().enumerate() {
            let secret = u32::try_from(secret).expect("fewer than 2^32 secrets are registered");
            let special = raw.iter().any(|b| matches!(b, b'"' | b'\\'));
            for bytes in variants(raw) {
                let raw_special = special && bytes.as_slice() == *raw;
                all.push(Variant {
                    bytes,
                    secret,
                    raw_special,
                });
            }
        }
        let stride = if all.iter().all(|v| v.bytes.len() >= LONG) {
            8
        } else {
            4
        };
        let mut index = Self {
            filter: Box::new([0u64; FILTER_BITS / 64]),
            grams: FnvMap::default(),
            variants: Vec::new(),
            stride,
        };
        for variant in all {
            index.add(variant);
        }
        (!index.variants.is_empty()).then_some(index)
    }

    fn add(&mut self, variant: Variant) {
        debug_assert!(
            variant.bytes.len() >= 8,
            "secrets are checked for length when registered"
        );
        let id = u32::try_from(self.variants.len()).expect("fewer than 2^32 variants");
        let last = u8::try_from(self.stride - 1).expect("the stride is 4 or 8");
        for offset in 0..=last {
            let g = gram(&variant.bytes, usize::from(offset));
            self.filter[slot(g) / 64] |= 1 << (slot(g) % 64);
            self.grams.entry(g).or_default().push((id, offset));
        }
        self.variants.push(variant);
    }

    /// Finds every registered value in `hay` (a value found from two
    /// blocks is pushed twice; overlapping spans are merged later).
    /// The whole pass on its own; the engine runs it fused with the other
    /// sampling pass.
    #[cfg(test)]
    pub(crate) fn scan(&self, hay: &[u8], out: &mut Vec<Span>) {
        for at in (0..hay.len().saturating_sub(3)).step_by(self.stride) {
            self.probe(hay, at, gram(hay, at), out);
        }
    }

    /// Every how many bytes [`probe`](Self::probe) must be called: 4 or 8.
    pub(crate) fn stride(&self) -> usize {
        self.stride
    }

    /// The filter bit of the block `g` in bit 0 (the other bits are
    /// noise): 1 when [`probe`](Self::probe) may find a value there.
    #[inline]
    pub(crate) fn marked(&self, g: u32) -> u64 {
        let s = slot(g);
        self.filter[s >> 6] >> (s & 63)
    }

    /// Looks at the block `g`, read from `hay` at the position `at`, a
    /// multiple of the [stride](Self::stride).
    #[inline]
    pub(crate) fn probe(&self, hay: &[u8], at: usize, g: u32, out: &mut Vec<Span>) {
        let s = slot(g);
        if self.filter[s >> 6] & (1 << (s & 63)) != 0 {
            self.verify(hay, at, g, out);
        }
    }

    fn verify(&self, hay: &[u8], at: usize, g: u32, out: &mut Vec<Span>) {
        let Some(candidates) = self.grams.get(&g) else {
            return;
        };
        for &(id, offset) in candidates {
            let variant = &self.variants[id as usize];
            let Some(start) = at.checked_sub(usize::from(offset)) else {
                continue;
            };
            let end = start + variant.bytes.len();
            let here = hay.get(start..end) == Some(variant.bytes.as_slice());
            if here && !(variant.raw_special && line_is_json(hay, start)) {
                out.push(Span {
                    start,
                    end,
                    hit: Hit::Secret(variant.secret),
                });
            }
        }
    }
}

/// The byte strings under which a secret may reach a log: as is, escaped as
/// a JSON string, escaped by `Debug`, and percent-encoded in a URL. A value
/// that is not UTF-8 is looked for as is and percent-encoded.
pub(crate) fn variants(raw: &[u8]) -> Vec<Vec<u8>> {
    let mut variants = vec![raw.to_vec(), percent_encode(raw)];
    if let Ok(text) = std::str::from_utf8(raw) {
        let json = serde_json::to_string(text).expect("a str always serializes as JSON");
        let debug = format!("{text:?}");
        variants.push(json.as_bytes()[1..json.len() - 1].to_vec());
        variants.push(debug.as_bytes()[1..debug.len() - 1].to_vec());
    }
    variants.sort();
    variants.dedup();
    variants
}

fn percent_encode(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    for &b in raw {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(secrets: &[&[u8]], hay: &str) -> Vec<(usize, usize)> {
        let index = SecretIndex::new(secrets).unwrap();
        let mut out = Vec::new();
        index.scan(hay.as_bytes(), &mut out);
        out.iter().map(|s| (s.start, s.end)).collect()
    }

    #[test]
    fn a_value_is_found_at_every_alignment() {
        let secret = b"S3cr3tValue!";
        for pad in 0..9 {
            let hay = format!("{}S3cr3tValue!{}", "x".repeat(pad), "y".repeat(pad % 3));
            let mut spans = found(&[secret], &hay);
            spans.dedup();
            assert_eq!(spans, [(pad, pad + 12)], "with {pad} bytes before");
        }
    }

    #[test]
    fn long_values_are_sampled_every_eight_bytes_and_short_ones_every_four() {
        assert_eq!(SecretIndex::new(&[b"abcdefghijk"]).unwrap().stride(), 8);
        assert_eq!(SecretIndex::new(&[b"abcdefghij"]).unwrap().stride(), 4);
        assert_eq!(
            SecretIndex::new(&[b"abcdefghijk", b"abcdefgh"])
                .unwrap()
                .stride(),
            4
        );
        for pad in 0..17 {
            for secret in [&b"abcdefghijk"[..], b"abcdefghij", b"abcdefgh"] {
                let hay = format!(
                    "{}{}",
                    "x".repeat(pad),
                    std::str::from_utf8(secret).unwrap()
                );
                let mut spans = found(&[secret], &hay);
                spans.dedup();
                assert_eq!(
                    spans,
                    [(pad, pad + secret.len())],
                    "with {pad} bytes before"
                );
            }
        }
    }

    #[test]
    fn a_value_at_the_very_end_or_repeated_is_found() {
        assert_eq!(found(&[b"abcdefgh"], "..abcdefgh"), [(2, 10)]);
        let mut spans = found(&[b"abcdefgh"], "abcdefghabcdefgh");
        spans.dedup();
        assert_eq!(spans, [(0, 8), (8, 16)]);
    }

    #[test]
    fn near_values_are_not_found() {
        assert!(found(&[b"abcdefgh"], "abcdefgX abcdefg").is_empty());
    }

    #[test]
    fn secrets_are_known_in_every_escaped_form() {
        let variants = variants(b"a\"b/cdef");
        assert!(variants.contains(&b"a\"b/cdef".to_vec()));
        assert!(variants.contains(&b"a\\\"b/cdef".to_vec()));
        assert!(variants.contains(&b"a%22b%2Fcdef".to_vec()));
    }
}
