//! Payment card numbers and phone numbers: one hand-written pass over runs
//! of digits.
//!
//! A run is a digit, then digits and single separators (space, `-`, `.`,
//! parentheses; at most two separator bytes in a row), an optional leading
//! `+` or `(`. The run is then judged as a whole, and, when it is neither a
//! card nor a phone, each shorter run of whole groups, longest first, so a
//! phone number right after an order number is still found.

use super::{Hit, Span, after_ansi};

const MAX_GROUPS: usize = 8;
const MAX_DIGITS: usize = 24;

/// One run of digit groups.
#[derive(Debug, Default)]
struct Run {
    /// Byte ranges of the groups.
    groups: [(usize, usize); MAX_GROUPS],
    len: usize,
    /// The separator after each group but the last: its byte when it is
    /// one byte, `(` for two (such as `) ` or `  `).
    gaps: [u8; MAX_GROUPS],
}

impl Run {
    fn digits(&self, from: usize, to: usize) -> usize {
        self.groups[from..to].iter().map(|(s, e)| e - s).sum()
    }

    /// The separator between the groups `from..to`, when they have one,
    /// and whether they have more than one kind. Each stretch is judged by
    /// its own separators, so a card then a phone after a wider gap are
    /// both found in one run.
    fn seps(&self, from: usize, to: usize) -> (Option<u8>, bool) {
        let gaps = &self.gaps[from..to.saturating_sub(1).max(from)];
        let first = gaps.first().copied();
        (first, gaps.iter().any(|g| Some(*g) != first))
    }
}

/// Finds cards and phones in `hay`, pushing them onto `out`.
pub(crate) fn scan(hay: &[u8], cards: bool, phones: bool, out: &mut Vec<Span>) {
    let mut i = 0;
    while let Some(start) = next_start(hay, i) {
        i = at_start(hay, start, cards, phones, out);
    }
}

/// Looks at the digit at `start`, which follows no word byte (see
/// [`is_word`]): pushes the cards and phones of the run it starts, and
/// returns where the next start may be (after `start`).
///
fn at_start(hay: &[u8], start: usize, cards: bool, phones: bool, out: &mut Vec<Span>) -> usize {
    if start > 0
        && hay[start - 1] == b'%'
        && hay.get(start + 1).is_some_and(|b| b.is_ascii_hexdigit())
    {
        // A percent escape such as `%2B` or `%20`, not a number.
        return start + 2;
    }
    if glued_to_word(hay, start) {
        // The rest of the word is skipped by `next_start`.
        return start + 1;
    }
    let (digits, extent) = count_run(hay, start);
    if digits < 8 {
        // Too short for a card or a phone: skip without reading groups.
        return extent;
    }
    let (run, end, full) = read_run(hay, start);
    if run.len == 0 {
        return end.max(start + 1);
    }
    let found = out.len();
    judge(hay, &run, cards, phones, out);
    if !full {
        return end.max(start + 1);
    }
    // The run was cut at the group limit: what follows the last number found
    // in it (or its first group, when none was) is read again as a run of
    // its own, so a card after a phone is not lost in one long stretch.
    let covered = out[found..].iter().map(|span| span.end).max();
    let resume = match covered {
        Some(covered) => run.groups[..run.len].iter().find(|(s, _)| *s >= covered),
        None => run.groups[1..run.len].first(),
    };
    resume.map_or(end, |(s, _)| *s).max(start + 1)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` (ASCII, high bits clear) that is at
/// least `lo`.
fn at_least(x: u64, lo: u8) -> u64 {
    x.wrapping_add(u64::from(0x80 - lo) * ONES) & HIGHS
}

/// The high bit of each byte of `x` (ASCII, high bits clear) that is at
/// most `hi`.
fn at_most(x: u64, hi: u8) -> u64 {
    !x.wrapping_add(u64::from(0x7f - hi) * ONES) & HIGHS
}

/// The high bit of each byte of `x` equal to `c` (exact, for any bytes).
pub(crate) fn equal(x: u64, c: u8) -> u64 {
    let y = x ^ (u64::from(c) * ONES);
    !(((y & !HIGHS).wrapping_add(!HIGHS)) | y) & HIGHS
}

/// A byte that glues a digit after it to a word: a letter, a digit or `_`,
/// but not `B`, `b` or `m`, which may end `%2B` or an ANSI colour code (those
/// digits are left to [`glued_to_word`]).
fn is_word(b: u8) -> bool {
    class(b) & WORD != 0
}

/// Byte classes for the start finder, one table look-up per candidate.
const WORD: u8 = 1;
const ALNUM: u8 = 2;
const LETTER_OR_UNDERSCORE: u8 = 4;
const DOT_OR_DASH: u8 = 8;

const CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut class = 0;
        if (c.is_ascii_alphanumeric() || c == b'_') && !matches!(c, b'B' | b'b' | b'm') {
            class |= WORD;
        }
        if c.is_ascii_alphanumeric() {
            class |= ALNUM;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            class |= LETTER_OR_UNDERSCORE;
        }
        if matches!(c, b'.' | b'-') {
            class |= DOT_OR_DASH;
        }
        table[b] = class;
        b += 1;
    }
    table
};

fn class(b: u8) -> u8 {
    CLASSES[usize::from(b)]
}

/// True when the byte at `at` may start a number: a digit after no word
/// byte. For the bytes after the last whole eight-byte word.
fn starts_at(hay: &[u8], at: usize) -> bool {
    hay[at].is_ascii_digit() && !(at > 0 && is_word(hay[at - 1]))
}

/// The first digit at or after `from` that does not follow a word byte
/// (see [`is_word`]): where a number may start. Eight bytes at a time:
/// the word's digits that follow no digit are found at once, and only
/// those are looked at one by one. Two more cases that [`at_start`] would
/// turn away at once are skipped when the bytes that tell are in the same
/// eight-byte word: a digit after `.`/`-` after a letter or digit (`v1.2`,
/// the groups of a UUID), and a digit glued to a letter or `_` after it
/// (`5f2c…`). Skipping them changes nothing: `at_start` would return the
/// next byte and push nothing.
fn next_start(hay: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 8 <= hay.len() {
        let word = u64::from_le_bytes(hay[i..i + 8].try_into().expect("eight bytes"));
        let x = word & !HIGHS;
        let digits = at_least(x, b'0') & at_most(x, b'9') & !word & HIGHS;
        let mut firsts = digits & !(digits << 8);
        while firsts != 0 {
            let k = (firsts.trailing_zeros() / 8) as usize;
            firsts &= firsts - 1;
            let j = i + k;
            let after_word = j > 0 && class(hay[j - 1]) & WORD != 0;
            let after_glued_dot =
                k >= 2 && class(hay[j - 1]) & DOT_OR_DASH != 0 && class(hay[j - 2]) & ALNUM != 0;
            let before_letter = k + 1 < 8 && class(hay[j + 1]) & LETTER_OR_UNDERSCORE != 0;
            if !(after_word || after_glued_dot || before_letter) {
                return Some(j);
            }
        }
        i += 8;
    }
    (i..hay.len()).find(|&j| starts_at(hay, j))
}

/// True when the digit at `at` continues a word, a decimal or a version:
/// `abc123`, `v1.2`, `uuid-…-446655440000`, `3.14159…`.
fn glued_to_word(hay: &[u8], at: usize) -> bool {
    let Some(&prev) = at.checked_sub(1).and_then(|i| hay.get(i)) else {
        return false;
    };
    if prev.is_ascii_alphanumeric() || prev == b'_' {
        // `%2B447…` and `ESC[0m447…` end in a letter but are boundaries.
        return !(encoded_plus_before(hay, at) || after_ansi(hay, at));
    }
    let before = at.checked_sub(2).and_then(|i| hay.get(i)).copied();
    matches!(prev, b'.' | b'-') && before.is_some_and(|b| b.is_ascii_alphanumeric())
}

/// True when `%2B` (a percent-encoded `+`) ends right before `at`.
fn encoded_plus_before(hay: &[u8], at: usize) -> bool {
    at >= 3 && hay[at - 3..at].eq_ignore_ascii_case(b"%2b")
}

/// The length of the `+` (or `%2B`) right before `at`, if any.
fn plus_before(hay: &[u8], at: usize) -> usize {
    if encoded_plus_before(hay, at) {
        3
    } else {
        usize::from(at > 0 && hay[at - 1] == b'+')
    }
}

/// The digits in the run of digits and separators at `start`, and where
/// the run ends.
/// A run glued to a word after it (`2026-12-03T…`, `12ab`) counts none.
fn count_run(hay: &[u8], start: usize) -> (usize, usize) {
    let mut digits = 0;
    let mut end = start;
    for &b in &hay[start..] {
        if b.is_ascii_digit() {
            digits += 1;
        } else if !is_sep(b) {
            break;
        }
        end += 1;
    }
    let glued = hay[end - 1].is_ascii_digit()
        && hay
            .get(end)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
    if glued {
        return (0, end);
    }
    (digits, end.max(start + 1))
}

fn is_sep(b: u8) -> bool {
    matches!(b, b' ' | b'-' | b'.' | b'(' | b')')
}

/// Reads the run of digit groups starting at `start`. Returns the run (empty
/// when it is not a candidate at all), where scanning resumes, and whether
/// the run was cut at the limit of groups or digits before its end (then the
/// run holds the groups read so far).
fn read_run(hay: &[u8], start: usize) -> (Run, usize, bool) {
    let mut run = Run::default();
    let mut j = start;
    let mut digits = 0;
    loop {
        let group_start = j;
        while j < hay.len() && hay[j].is_ascii_digit() {
            j += 1;
        }
        digits += j - group_start;
        if run.len == MAX_GROUPS || digits > MAX_DIGITS {
            if run.len == 0 {
                return (Run::default(), skip_digits_and_seps(hay, j), false);
            }
            return (run, group_start, true);
        }
        run.groups[run.len] = (group_start, j);
        run.len += 1;

        let mut k = j;
        while k < hay.len() && k - j < 2 && is_sep(hay[k]) {
            k += 1;
        }
        if k == j || k >= hay.len() || !hay[k].is_ascii_digit() {
            break;
        }
        note_separator(&mut run, &hay[j..k]);
        j = k;
    }
    if ends_glued(hay, j) {
        return (Run::default(), j, false);
    }
    if hay.get(j) == Some(&b':') && run.len > 1 {
        // `2026-12-03 11:43`: the last group is an hour, not a digit of a number.
        run.len -= 1;
    }
    (run, j, false)
}

fn skip_digits_and_seps(hay: &[u8], from: usize) -> usize {
    let rest = &hay[from..];
    from + rest
        .iter()
        .position(|b| !(b.is_ascii_digit() || is_sep(*b)))
        .unwrap_or(rest.len())
}

/// Notes the separator after the group just read (the run's last).
fn note_separator(run: &mut Run, seps: &[u8]) {
    run.gaps[run.len - 1] = if seps.len() == 1 { seps[0] } else { b'(' };
}

/// True when the run is followed by a letter (`123abc`) or by `.`/`-` and a
/// letter (`1234567890.example`).
fn ends_glued(hay: &[u8], end: usize) -> bool {
    match hay.get(end) {
        Some(b) if b.is_ascii_alphanumeric() || *b == b'_' => true,
        Some(b'.' | b'-') => hay.get(end + 1).is_some_and(u8::is_ascii_alphabetic),
        _ => false,
    }
}

fn judge(hay: &[u8], run: &Run, cards: bool, phones: bool, out: &mut Vec<Span>) {
    if is_ipv4_like(run) {
        return;
    }
    let mut from = 0;
    while from < run.len {
        let found = (from + 1..=run.len)
            .rev()
            .find_map(|to| classify(hay, run, from, to, cards, phones).map(|hit| (to, hit)));
        match found {
            Some((to, hit)) => {
                let start = span_start(hay, run.groups[from].0, from == 0, hit);
                out.push(Span {
                    start,
                    end: run.groups[to - 1].1,
                    hit,
                });
                from = to;
            }
            None => from += 1,
        }
    }
}

fn is_ipv4_like(run: &Run) -> bool {
    run.len == 4
        && run.seps(0, 4) == (Some(b'.'), false)
        && run.groups[..4].iter().all(|(s, e)| e - s <= 3)
}

/// Where the masked text starts: a phone takes its `+` or `(` with it.
fn span_start(hay: &[u8], first_digit: usize, first_group: bool, hit: Hit) -> usize {
    let prev = first_digit.checked_sub(1).map(|i| hay[i]);
    match (hit, prev) {
        (Hit::Phone, _) if first_group && plus_before(hay, first_digit) > 0 => {
            first_digit - plus_before(hay, first_digit)
        }
        (Hit::Phone, Some(b'(')) if first_group => first_digit - 1,
        _ => first_digit,
    }
}

fn classify(
    hay: &[u8],
    run: &Run,
    from: usize,
    to: usize,
    cards: bool,
    phones: bool,
) -> Option<Hit> {
    let digits = run.digits(from, to);
    if digits < 8 {
        return None;
    }
    if cards && (13..=19).contains(&digits) && is_card(hay, run, from, to) {
        return Some(Hit::Card);
    }
    let plus = from == 0 && plus_before(hay, run.groups[0].0) > 0;
    (phones && is_phone(hay, run, from, to, plus)).then_some(Hit::Phone)
}

fn is_card(hay: &[u8], run: &Run, from: usize, to: usize) -> bool {
    let first = hay[run.groups[from].0];
    if !(b'2'..=b'6').contains(&first) {
        return false;
    }
    let lens: Vec<usize> = run.groups[from..to].iter().map(|(s, e)| e - s).collect();
    let grouped = match lens.as_slice() {
        [_] => true,
        [4, 6, 5] | [4, 6, 4] => true,
        [init @ .., last] => init.iter().all(|l| *l == 4) && (1..=4).contains(last),
        [] => false,
    };
    let seps_ok = to - from == 1 || matches!(run.seps(from, to), (Some(b' ' | b'-'), false));
    grouped && seps_ok && luhn(run.groups[from..to].iter().flat_map(|(s, e)| &hay[*s..*e]))
}

/// The Luhn check digit test over ASCII digits.
pub(crate) fn luhn<'a>(digits: impl DoubleEndedIterator<Item = &'a u8>) -> bool {
    let sum: u32 = digits
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn is_phone(hay: &[u8], run: &Run, from: usize, to: usize, plus: bool) -> bool {
    let groups = &run.groups[from..to];
    let lens: Vec<usize> = groups.iter().map(|(s, e)| e - s).collect();
    let digits: Vec<u8> = groups
        .iter()
        .flat_map(|(s, e)| hay[*s..*e].iter().copied())
        .collect();
    let contiguous = groups.len() == 1;
    let country_code_group = plus || digits[0] == b'1';
    let groups_ok = lens.iter().skip(1).all(|l| *l >= 2) && (lens[0] >= 2 || country_code_group);
    if !groups_ok || run.seps(from, to) == (Some(b'.'), true) {
        return false;
    }

    let n = digits.len();
    match (plus, digits[0], digits[1]) {
        (true, first, _) => (8..=15).contains(&n) && first != b'0',
        (false, b'0', b'0') => (11..=17).contains(&n),
        (false, b'0', _) => (10..=12).contains(&n),
        (false, b'1', second) if n == 11 => {
            second >= b'2' && (contiguous || matches!(lens.as_slice(), [1, 3, 3, 4]))
        }
        (false, _, _) if n == 10 => {
            digits[0] >= b'2' && (contiguous || matches!(lens.as_slice(), [3, 3, 4]))
        }
        (false, first, _) => contiguous && (11..=15).contains(&n) && first >= b'2',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Hit, &str)> {
        let mut out = Vec::new();
        scan(text.as_bytes(), true, true, &mut out);
        out.iter().map(|s| (s.hit, &text[s.start..s.end])).collect()
    }

    #[test]
    fn the_start_finder_agrees_with_a_plain_search() {
        let alphabet = b"0123456789aBbmz_Z .-:%\xc3\xa9\x1b[+";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..300 {
            let text: Vec<u8> = (0..40)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            for from in 0..text.len() {
                // Eight-byte words start at `from`; the extra turn-aways
                // apply within a whole word only.
                let whole = from + (text.len() - from) / 8 * 8;
                let same = |a: usize, b: usize| (a - from) / 8 == (b - from) / 8;
                let turned_away = |j: usize| {
                    let glued_dot = j >= from + 2
                        && same(j - 2, j)
                        && matches!(text[j - 1], b'.' | b'-')
                        && text[j - 2].is_ascii_alphanumeric();
                    let before_letter = j + 1 < whole
                        && same(j, j + 1)
                        && (text[j + 1].is_ascii_alphabetic() || text[j + 1] == b'_');
                    j < whole && (glued_dot || before_letter)
                };
                let plain = (from..text.len()).find(|&j| {
                    text[j].is_ascii_digit() && !(j > 0 && is_word(text[j - 1])) && !turned_away(j)
                });
                assert_eq!(next_start(&text, from), plain, "from {from} in {text:?}");
            }
        }
    }

    #[test]
    fn luhn_accepts_test_cards_and_refuses_a_changed_digit() {
        assert!(luhn(b"4111111111111111".iter()));
        assert!(luhn(b"378282246310005".iter()));
        assert!(!luhn(b"4111111111111112".iter()));
    }

    #[test]
    fn cards_are_found_plain_spaced_and_dashed() {
        assert_eq!(
            kinds("card 4111111111111111 ok"),
            [(Hit::Card, "4111111111111111")]
        );
        assert_eq!(
            kinds("pan=4111 1111 1111 1111;"),
            [(Hit::Card, "4111 1111 1111 1111")]
        );
        assert_eq!(
            kinds("amex 3782-822463-10005"),
            [(Hit::Card, "3782-822463-10005")]
        );
        assert_eq!(
            kinds("mc:5555555555554444"),
            [(Hit::Card, "5555555555554444")]
        );
    }

    #[test]
    fn numbers_failing_luhn_or_shaped_wrong_are_not_cards() {
        assert!(kinds("id 4111111111111112").is_empty());
        assert!(
            kinds("4111 11 1111 1111 111")
                .iter()
                .all(|(h, _)| *h != Hit::Card)
        );
        assert!(kinds("ts=1733226182123456789").is_empty());
        assert!(kinds("hash 9a4111111111111111").is_empty());
    }

    #[test]
    fn phones_are_found_in_their_common_shapes() {
        assert_eq!(
            kinds("to +44 20 7946 0958."),
            [(Hit::Phone, "+44 20 7946 0958")]
        );
        assert_eq!(kinds("from=+447911123456"), [(Hit::Phone, "+447911123456")]);
        assert_eq!(kinds("07911 123456"), [(Hit::Phone, "07911 123456")]);
        assert_eq!(kinds("wa_id 447911123456"), [(Hit::Phone, "447911123456")]);
        assert_eq!(
            kinds("call (555) 123-4567"),
            [(Hit::Phone, "(555) 123-4567")]
        );
        assert_eq!(
            kinds("+1 (555) 123-4567"),
            [(Hit::Phone, "+1 (555) 123-4567")]
        );
        assert_eq!(kinds("555.123.4567"), [(Hit::Phone, "555.123.4567")]);
        assert_eq!(
            kinds("order 12 447911123456"),
            [(Hit::Phone, "447911123456")]
        );
        assert_eq!(
            kinds("?phone=%2B447911123456&x"),
            [(Hit::Phone, "%2B447911123456")]
        );
    }

    #[test]
    fn dates_times_addresses_and_ids_are_not_phones() {
        assert!(kinds("2026-12-03T11:43:02.123456Z").is_empty());
        assert!(kinds("at 2026-12-03 11:43:02").is_empty());
        assert!(kinds("peer 192.168.100.200:8080").is_empty());
        assert!(kinds("id 550e8400-e29b-41d4-a716-446655440000").is_empty());
        assert!(kinds("ms 1733226182123 and s 1733226182").is_empty());
        assert!(kinds("pi 3.14159265358979").is_empty());
        assert!(kinds("v10.0.19041.1234").is_empty());
        assert!(kinds("1 2 3 4 5 6 7 8 9 0").is_empty());
        assert!(kinds("+0123456789").is_empty());
        assert!(kinds("12345").is_empty());
    }
}
