//! The numbering-plan tables, generated from libphonenumber's metadata.
//!
//! `generated.rs` and `programs.bin` are written by `tools/gen_metadata.py`
//! from the Python port of libphonenumber (`phonenumbers`), pinned at
//! [`METADATA_VERSION`](crate::METADATA_VERSION). Every table is a `static`:
//! nothing is built, compiled or allocated at run time, so there is no lazy
//! initialisation, no lock and no memory that grows with the regions used.

mod generated;

pub(crate) use generated::{
    AUTOMATA, CALLING_CODES, DIGIT_RUNS, GEOGRAPHIC, MAX_GROUPS, PROGRAMS, TERRITORIES, VERSION,
};

use crate::automaton::Automaton;

/// No pattern, in an offset field.
pub(crate) const NONE: u32 = u32::MAX;

/// The description of one kind of number in one territory.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Desc {
    /// Offset of the national number pattern's automaton, or [`NONE`].
    pub(crate) pattern: u32,
    /// Bit `n` set when `n` digits is a possible length; 0 when unknown.
    pub(crate) lengths: u32,
    /// Bit `n` set when `n` digits is possible for local dialling only.
    pub(crate) local: u32,
    /// Bit `10 * a + b` set when a match (of two digits or more) can start
    /// with the digits `a`, `b`: a quick filter before the pattern runs.
    pub(crate) prefixes: u128,
}

impl Desc {
    /// A description that matches nothing (the kind does not exist here).
    pub(crate) const NONE: Desc = Desc {
        pattern: NONE,
        lengths: 0,
        local: 0,
        prefixes: 0,
    };

    pub(crate) fn pattern(&self) -> Option<Automaton> {
        Automaton::at(self.pattern)
    }
}

/// One formatting rule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Format {
    /// The pattern the whole national number must match (bytecode, with groups).
    pub(crate) pattern: u32,
    /// The same pattern as an automaton, to choose the format.
    pub(crate) whole: u32,
    /// The last (most precise) leading-digits pattern's automaton, or [`NONE`].
    pub(crate) leading: u32,
    /// Template for international formatting; U+0001..U+0009 are group references.
    pub(crate) international: &'static str,
    /// Template for national formatting, national prefix rule applied.
    pub(crate) national: &'static str,
}

/// The metadata of one region, or of one non-geographic calling code.
#[derive(Debug)]
pub(crate) struct Territory {
    /// `"GB"`, or `"001"` for a non-geographic entity.
    pub(crate) id: &'static str,
    pub(crate) calling_code: u16,
    /// General, then the kinds in [`Kind`] order.
    pub(crate) descs: [Desc; 11],
    pub(crate) same_mobile_and_fixed_line: bool,
    pub(crate) international_prefix: u32,
    pub(crate) national_prefix_for_parsing: u32,
    pub(crate) national_prefix_groups: u8,
    /// Bit `d` set when a national prefix can start with digit `d`; bit 10
    /// when it can be empty.
    pub(crate) national_prefix_first: u16,
    pub(crate) national_prefix_transform: Option<&'static str>,
    pub(crate) leading_digits: u32,
    pub(crate) formats: &'static [Format],
    pub(crate) international_formats: &'static [Format],
    pub(crate) extension_prefix: Option<&'static str>,
}

/// Indexes into [`Territory::descs`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    General = 0,
    FixedLine,
    Mobile,
    TollFree,
    PremiumRate,
    SharedCost,
    PersonalNumber,
    Voip,
    Pager,
    Uan,
    Voicemail,
}

impl Territory {
    pub(crate) fn desc(&self, kind: Kind) -> &Desc {
        &self.descs[kind as usize]
    }

    pub(crate) fn general(&self) -> &Desc {
        self.desc(Kind::General)
    }
}

/// `CALLING_CODES` index of each code below 1000, `u8::MAX` when unassigned.
static CODE_INDEX: [u8; 1000] = {
    let mut table = [u8::MAX; 1000];
    let mut i = 0;
    while i < CALLING_CODES.len() {
        table[CALLING_CODES[i].0 as usize] = i as u8;
        i += 1;
    }
    table
};

/// `TERRITORIES` index of each two-letter region, `u8::MAX` when unsupported.
static REGION_INDEX: [u8; 26 * 26] = {
    let mut table = [u8::MAX; 26 * 26];
    let mut i = 0;
    while i < GEOGRAPHIC {
        let id = TERRITORIES[i].id.as_bytes();
        table[(id[0] - b'A') as usize * 26 + (id[1] - b'A') as usize] = i as u8;
        i += 1;
    }
    table
};

/// The territory of a supported region code, upper-case as libphonenumber spells it.
pub(crate) fn territory_index(region: &str) -> Option<usize> {
    match region.as_bytes() {
        &[a @ b'A'..=b'Z', b @ b'A'..=b'Z'] => {
            let i = REGION_INDEX[usize::from(a - b'A') * 26 + usize::from(b - b'A')];
            (i != u8::MAX).then_some(usize::from(i))
        }
        _ => None,
    }
}

/// Like [`territory_index`] after upper-casing ASCII letters.
pub(crate) fn territory_index_ignore_case(region: &str) -> Option<usize> {
    match region.as_bytes() {
        &[a, b] => territory_index(
            std::str::from_utf8(&[a.to_ascii_uppercase(), b.to_ascii_uppercase()]).ok()?,
        ),
        _ => None,
    }
}

/// The territories sharing a calling code, main territory first.
pub(crate) fn territories_for_code(calling_code: u16) -> &'static [u16] {
    match CODE_INDEX.get(usize::from(calling_code)) {
        Some(&i) if i != u8::MAX => CALLING_CODES[usize::from(i)].1,
        _ => &[],
    }
}

/// The main territory of a calling code (the one whose rules parse and format it).
pub(crate) fn main_territory(calling_code: u16) -> Option<&'static Territory> {
    let first = *territories_for_code(calling_code).first()?;
    Some(&TERRITORIES[usize::from(first)])
}

/// Whether a calling code is assigned.
pub(crate) fn is_calling_code(calling_code: u16) -> bool {
    !territories_for_code(calling_code).is_empty()
}
