//! Deterministic automata for the patterns that are only ever tested.
//!
//! Most numbering-plan patterns are only asked "does this number match?"
//! (the descriptions of each number type, leading digits, format
//! selection). For those the generator also runs the subset construction
//! over the pattern's bytecode and stores a small DFA over the ten digits
//! (minimized: 25,000 states for all of them together, at most a few hundred each), so
//! a test is one table step per digit. Patterns whose capture groups matter
//! (national prefixes, formatting) keep the backtracking [`matcher`](crate::matcher).
//!
//! Layout: the state count as a little-endian `u16` (top bit set when
//! states need two bytes), the accepting states as a bitmap (`u16` words,
//! 16 states each), then ten transitions a state, one byte each (`0xFF`: no
//! match can follow) or two when wide (`0xFFFF`). State 0 starts.

use crate::metadata::{AUTOMATA, NONE};

/// One automaton in the generated tables.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Automaton {
    accept: &'static [u8],
    table: &'static [u8],
    wide: bool,
}

impl Automaton {
    /// The automaton at byte `offset`, `None` for [`NONE`].
    pub(crate) fn at(offset: u32) -> Option<Self> {
        if offset == NONE {
            return None;
        }
        let bytes = AUTOMATA.get(offset as usize..)?;
        let header = u16::from_le_bytes([bytes[0], bytes[1]]);
        let states = usize::from(header & 0x7FFF);
        let wide = header & 0x8000 != 0;
        let accept_len = 2 * states.div_ceil(16);
        let table_len = 10 * states * if wide { 2 } else { 1 };
        let accept = bytes.get(2..2 + accept_len)?;
        let table = bytes.get(2 + accept_len..2 + accept_len + table_len)?;
        Some(Self {
            accept,
            table,
            wide,
        })
    }

    fn accepts(self, state: usize) -> bool {
        self.accept[state / 8] >> (state % 8) & 1 == 1
    }

    /// The next state, `None` when no match can follow.
    fn next(self, state: usize, digit: u8) -> Option<usize> {
        let i = 10 * state + usize::from(digit - b'0');
        if self.wide {
            let next = u16::from_le_bytes([self.table[2 * i], self.table[2 * i + 1]]);
            (next != 0xFFFF).then_some(usize::from(next))
        } else {
            let next = self.table[i];
            (next != 0xFF).then_some(usize::from(next))
        }
    }

    /// Whether the pattern matches all of `digits` (ASCII).
    pub(crate) fn matches(self, digits: &[u8]) -> bool {
        let mut state = 0;
        for &d in digits {
            match self.next(state, d) {
                Some(next) => state = next,
                None => return false,
            }
        }
        self.accepts(state)
    }

    /// Whether the pattern matches some prefix of `digits` (Python's `re.match`).
    pub(crate) fn matches_prefix(self, digits: &[u8]) -> bool {
        let mut state = 0;
        for &d in digits {
            if self.accepts(state) {
                return true;
            }
            match self.next(state, d) {
                Some(next) => state = next,
                None => return false,
            }
        }
        self.accepts(state)
    }
}

#[cfg(test)]
mod tests {
    use crate::matcher::Program;
    use crate::metadata::TERRITORIES;

    /// Digit strings: every short one, and pseudo-random longer ones.
    fn inputs() -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = (0..1000u32).map(|n| format!("{n}").into_bytes()).collect();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for len in 4..=17 {
            for _ in 0..60 {
                let digits = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        b'0' + (x % 10) as u8
                    })
                    .collect();
                out.push(digits);
            }
        }
        out
    }

    #[test]
    fn automata_agree_with_the_backtracking_matcher() {
        let inputs = inputs();
        let mut checked = 0;
        for t in &TERRITORIES {
            for f in t.formats.iter().chain(t.international_formats) {
                let (Some(program), Some(automaton)) =
                    (Program::at(f.pattern), super::Automaton::at(f.whole))
                else {
                    continue;
                };
                for input in &inputs {
                    assert_eq!(
                        program.matches(input),
                        automaton.matches(input),
                        "{} {:?}",
                        t.id,
                        input
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 100_000);
    }
}
