//! Literal anchors, found by sampling the text every two bytes.
//!
//! Wherever an anchor of three bytes or more occurs, one of its two-byte
//! blocks at an even offset or one at an odd offset lies at an even text
//! position. The index marks one block of each parity per anchor, the
//! rarest in log text (see [`commonness`]), in a 64 Ki-bit table (8 KiB,
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

/// Words that fill log lines (tracing's JSON keys, HTTP methods and
/// headers, levels, common field names and verbs): a block that occurs in
/// one of them is a poor choice of block for an anchor, since every probe
/// that lands on it costs a comparison.
const LOG_WORDS: &[&str] = &[
    "timestamp",
    "level",
    "fields",
    "message",
    "target",
    "span",
    "spans",
    "name",
    "thread",
    "method",
    "path",
    "uri",
    "version",
    "status",
    "latency",
    "duration",
    "elapsed",
    "client",
    "server",
    "request",
    "response",
    "headers",
    "body",
    "error",
    "warning",
    "debug",
    "trace",
    "info",
    "GET",
    "POST",
    "PUT",
    "PATCH",
    "DELETE",
    "HEAD",
    "OPTIONS",
    "HTTP/1.1",
    "HTTP/2",
    "INFO",
    "WARN",
    "ERROR",
    "DEBUG",
    "TRACE",
    "true",
    "false",
    "null",
    "/api/v1/",
    "id",
    "user",
    "account",
    "order",
    "orders",
    "customer",
    "payment",
    "webhook",
    "shop",
    "session",
    "connection",
    "upstream",
    "backend",
    "service",
    "allowed",
    "rejected",
    "refused",
    "failed",
    "started",
    "finished",
    "completed",
    "retrying",
    "timeout",
    "closed",
    "accepted",
    "sent",
    "received",
    "application/json",
    "text/html",
    "content-type",
    "content-length",
    "host",
    "user-agent",
    "accept",
    "encoding",
    "origin",
    "referer",
    "forwarded",
    "request_id",
    "client_ip",
    "trace_id",
    "span_id",
    "user_id",
    "latency_ms",
];

/// How common the byte `b` is in log text, roughly: lower-case letters
/// (by their frequency in English and identifiers), digits and the
/// punctuation of log formats are common, capitals and other bytes rare.
fn commonness(b: u8) -> u32 {
    match b {
        b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' => 6,
        b'l' | b'c' | b'd' | b'u' | b'm' | b'p' | b'h' => 5,
        b'0'..=b'9' | b' ' | b'"' | b':' | b',' | b'=' | b'.' | b'-' | b'/' | b'_' => 5,
        b'g' | b'f' | b'y' | b'w' | b'b' | b'v' => 4,
        b'k' | b'x' | b'j' | b'q' | b'z' | b'A'..=b'Z' => 2,
        _ => 1,
    }
}

/// A cost for marking the block `pair`: how often it is likely to turn up
/// in log text.
fn block_cost(pair: [u8; 2], log_blocks: &std::collections::BTreeSet<[u8; 2]>) -> u32 {
    let in_log_words = if log_blocks.contains(&pair) { 100 } else { 0 };
    in_log_words + commonness(pair[0]) * commonness(pair[1])
}

/// The offsets in `literal` of the two blocks that find it: the cheapest
/// block at an even offset and the cheapest at an odd offset (see
/// [`block_cost`]). An occurrence at an even text position is found by the
/// first, one at an odd position by the second.
fn chosen_blocks(literal: &[u8], log_blocks: &std::collections::BTreeSet<[u8; 2]>) -> [usize; 2] {
    let cheapest = |first: usize| {
        (first..literal.len() - 1)
            .step_by(2)
            .min_by_key(|k| (block_cost([literal[*k], literal[*k + 1]], log_blocks), *k))
            .expect("a literal of three bytes or more has blocks of both parities")
    };
    [cheapest(0), cheapest(1)]
}

/// Every two-byte block of [`LOG_WORDS`].
fn log_blocks() -> std::collections::BTreeSet<[u8; 2]> {
    LOG_WORDS
        .iter()
        .flat_map(|w| w.as_bytes().windows(2).map(|p| [p[0], p[1]]))
        .collect()
}

fn block(hay: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([hay[at], hay[at + 1]])
}

impl AnchorIndex {
    /// Indexes `literals` (each at least two bytes long).
    pub(crate) fn new(literals: &[Vec<u8>]) -> Self {
        let mut blocks: std::collections::BTreeMap<u16, Vec<(u16, i8)>> = Default::default();
        let log_blocks = log_blocks();
        for (id, literal) in literals.iter().enumerate() {
            let id = u16::try_from(id).expect("fewer than 2^16 anchors");
            assert!(literal.len() >= 2, "anchors are at least two bytes long");
            if literal.len() >= 3 {
                for k in chosen_blocks(literal, &log_blocks) {
                    let offset = i8::try_from(k).expect("anchors are short");
                    blocks
                        .entry(block(literal, k))
                        .or_default()
                        .push((id, offset));
                }
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

    /// The filter bit of the block `b` in bit 0 (the other bits are
    /// noise): 1 when [`probe`](Self::probe) may find an anchor there.
    #[inline]
    pub(crate) fn marked(&self, b: u16) -> u64 {
        self.marks[usize::from(b >> 6)] >> (b & 63)
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
