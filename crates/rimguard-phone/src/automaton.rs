//! Deterministic automata for the patterns that are only ever tested.
//!
//! Most numbering-plan patterns are only asked "does this number match?"
//! (the descriptions of each number type, leading digits, format
//! selection). For those the generator also runs the subset construction
//! over the pattern's bytecode and stores a small DFA over the ten digits
//! (28,000 states for all of them together, at most a few hundred each), so
//! a test is one table step per digit. Patterns whose capture groups matter
//! (national prefixes, formatting) keep the backtracking [`matcher`](crate::matcher).
//!
//! Layout, little-endian `u16` words: the state count `n`, the accepting
//! states as a bitmap (`ceil(n / 16)` words), then ten transitions a state
//! (`0xFFFF`: no match can follow). State 0 starts.

use crate::metadata::{AUTOMATA, NONE};

const DEAD: usize = 0xFFFF;

/// One automaton in the generated tables.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Automaton {
    words: &'static [u8],
    states: usize,
}

impl Automaton {
    /// The automaton at byte `offset`, `None` for [`NONE`].
    pub(crate) fn at(offset: u32) -> Option<Self> {
        if offset == NONE {
            return None;
        }
        let words = AUTOMATA.get(offset as usize..)?;
        let states = usize::from(u16::from_le_bytes([words[0], words[1]]));
        Some(Self { words, states })
    }

    fn word(self, index: usize) -> usize {
        usize::from(u16::from_le_bytes([
            self.words[2 * index],
            self.words[2 * index + 1],
        ]))
    }

    fn accepts(self, state: usize) -> bool {
        self.word(1 + state / 16) >> (state % 16) & 1 == 1
    }

    fn next(self, state: usize, digit: u8) -> usize {
        let table = 1 + self.states.div_ceil(16);
        self.word(table + 10 * state + usize::from(digit - b'0'))
    }

    /// Whether the pattern matches all of `digits` (ASCII).
    pub(crate) fn matches(self, digits: &[u8]) -> bool {
        let mut state = 0;
        for &d in digits {
            state = self.next(state, d);
            if state == DEAD {
                return false;
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
            state = self.next(state, d);
            if state == DEAD {
                return false;
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
