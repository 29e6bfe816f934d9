//! Literal anchors, found by sampling the text every two bytes.
//!
//! Every anchor of three bytes or more covers, wherever it occurs, the
//! text's two-byte block at an even position, as the anchor's bytes `k`–`k+1`
//! or `k+1`–`k+2`, for any `k` that fits (the quietest one is used). The index marks those two-byte blocks in a 64 Ki-bit table (8 KiB,
//! direct, no hashing); scanning reads one `u16` per two bytes of text and
//! tests one bit, and only a marked block leads to a comparison of the
//! anchors that have it. A two-byte anchor (`SK`) also marks every block
//! ending with its first byte, for its odd-aligned occurrences.
//!
//! An Aho-Corasick automaton of the same anchors was the first design; it
//! was the slowest pass of the scanner on realistic log lines.

/// The literal anchors and what each stands for.
#[derive(Debug)]
pub(crate) struct AnchorIndex {
    marks: Box<[u64; 1024]>,
    /// For each word of `marks`, how many marked blocks come before it: a
    /// marked block's rank is its index in `slots`.
    ranks: Box<[u32; 1024]>,
    /// Per marked block, in block order: its candidates in `candidates`.
    slots: Vec<(u32, u32)>,
    candidates: Vec<(u16, i8)>,
    literals: Vec<Box<[u8]>>,
}

/// Where in `literal` to take the two overlapping blocks that find it:
/// any `k` with `k + 3 <= len` works (one of `k`, `k + 1` lands on an even
/// text position). The pair with the fewest lower-case letters is chosen,
/// since those pairs are everywhere in log text (`li` of `client`, `ap` of
/// `/api`) and each hit costs a comparison.
fn quietest_pair(literal: &[u8]) -> usize {
    let noise = |k: usize| {
        literal[k..k + 3]
            .iter()
            .filter(|b| b.is_ascii_lowercase())
            .count()
    };
    (0..=literal.len() - 3)
        .min_by_key(|k| (noise(*k), *k))
        .expect("a literal of three bytes or more")
}

fn block(hay: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([hay[at], hay[at + 1]])
}

impl AnchorIndex {
    /// Indexes `literals` (each at least two bytes long).
    pub(crate) fn new(literals: &[Vec<u8>]) -> Self {
        let mut blocks: std::collections::BTreeMap<u16, Vec<(u16, i8)>> = Default::default();
        for (id, literal) in literals.iter().enumerate() {
            let id = u16::try_from(id).expect("fewer than 2^16 anchors");
            assert!(literal.len() >= 2, "anchors are at least two bytes long");
            if literal.len() >= 3 {
                let k = quietest_pair(literal);
                let offset = |k: usize| i8::try_from(k).expect("anchors are short");
                blocks
                    .entry(block(literal, k))
                    .or_default()
                    .push((id, offset(k)));
                blocks
                    .entry(block(literal, k + 1))
                    .or_default()
                    .push((id, offset(k + 1)));
            } else {
                blocks.entry(block(literal, 0)).or_default().push((id, 0));
                for before in 0..=u8::MAX {
                    blocks
                        .entry(u16::from_le_bytes([before, literal[0]]))
                        .or_default()
                        .push((id, -1));
                }
            }
        }

        let mut marks = Box::new([0u64; 1024]);
        let mut slots = Vec::with_capacity(blocks.len());
        let mut candidates = Vec::new();
        for (b, list) in blocks {
            marks[usize::from(b >> 6)] |= 1 << (b & 63);
            slots.push((candidates.len() as u32, list.len() as u32));
            candidates.extend(list);
        }
        let mut ranks = Box::new([0u32; 1024]);
        let mut before = 0;
        for (rank, word) in ranks.iter_mut().zip(marks.iter()) {
            *rank = before;
            before += word.count_ones();
        }
        let literals = literals
            .iter()
            .map(|l| l.clone().into_boxed_slice())
            .collect();
        Self {
            marks,
            ranks,
            slots,
            candidates,
            literals,
        }
    }

    /// Calls `found(anchor, start)` for every anchor occurrence, in no
    /// particular order.
    /// The whole pass on its own; the engine runs it fused with the other
    /// sampling pass.
    #[cfg(test)]
    pub(crate) fn scan(&self, hay: &[u8], mut found: impl FnMut(usize, usize)) {
        for (i, pair) in hay.chunks_exact(2).enumerate() {
            self.probe(
                hay,
                2 * i,
                u16::from_le_bytes([pair[0], pair[1]]),
                &mut found,
            );
        }
    }

    /// Looks at the block `b`, read from `hay` at the even position `at`.
    #[inline]
    pub(crate) fn probe(
        &self,
        hay: &[u8],
        at: usize,
        b: u16,
        found: &mut impl FnMut(usize, usize),
    ) {
        let word = self.marks[usize::from(b >> 6)];
        if word & (1 << (b & 63)) != 0 {
            let rank =
                self.ranks[usize::from(b >> 6)] + (word & ((1 << (b & 63)) - 1)).count_ones();
            self.check(hay, at, rank as usize, found);
        }
    }

    fn check(&self, hay: &[u8], at: usize, rank: usize, found: &mut impl FnMut(usize, usize)) {
        let (first, len) = self.slots[rank];
        for &(id, offset) in &self.candidates[first as usize..(first + len) as usize] {
            let Some(start) = at.checked_add_signed(-isize::from(offset)) else {
                continue;
            };
            let literal = &self.literals[usize::from(id)];
            let end = start + literal.len();
            // The block matched two of the bytes; compare the rest by hand,
            // anchors are short.
            if end <= hay.len()
                && hay[start..end]
                    .iter()
                    .zip(literal.iter())
                    .all(|(a, b)| a == b)
            {
                found(usize::from(id), start);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(literals: &[&str], hay: &str) -> Vec<(usize, usize)> {
        let literals: Vec<Vec<u8>> = literals.iter().map(|l| l.as_bytes().to_vec()).collect();
        let mut out = Vec::new();
        AnchorIndex::new(&literals).scan(hay.as_bytes(), |id, start| out.push((id, start)));
        out.sort_unstable();
        out
    }

    #[test]
    fn anchors_are_found_at_every_alignment_and_at_the_ends() {
        for pad in 0..5 {
            let hay = format!("{}ghp_x", ".".repeat(pad));
            assert_eq!(found(&["ghp_"], &hay), [(0, pad)]);
        }
        assert_eq!(found(&["xox"], "..xox"), [(0, 2)]);
        assert_eq!(found(&["xox"], ".xox"), [(0, 1)]);
    }

    #[test]
    fn a_two_byte_anchor_is_found_at_odd_and_even_positions() {
        assert_eq!(found(&["SK"], "SK.SK..SK"), [(0, 0), (0, 3), (0, 7)]);
        assert!(found(&["SK"], "S K sk").is_empty());
    }

    #[test]
    fn each_occurrence_is_reported_once() {
        assert_eq!(
            found(&["eyJ", "key-"], "eyJ key-eyJ"),
            [(0, 0), (0, 8), (1, 4)]
        );
    }
}
