#!/usr/bin/env python3
"""Generate rimguard-phone's numbering-plan tables from libphonenumber's metadata.

The metadata is read from the Python port of libphonenumber (`phonenumbers`),
which ships Google's numbering plans as Python data. Every digit pattern is
parsed with Python's own regex parser (so its meaning is Python's) and
compiled into a small bytecode for the crate's backtracking matcher
(`src/matcher.rs`); the bytecode goes into `src/metadata/programs.bin` and
the tables that point into it into `src/metadata/generated.rs`.

Usage (from the crate folder):

    pip install phonenumbers==9.0.43
    python3 tools/gen_metadata.py

The script refuses to run against another `phonenumbers` version unless
`--version` names it, so that the pinned version moves on purpose only.
"""
import argparse
import re
import sys
import unicodedata
from pathlib import Path

try:
    import re._parser as sre_parse  # Python 3.11+
    import re._constants as sre_c
except ImportError:  # pragma: no cover - older Pythons
    import sre_parse
    import sre_constants as sre_c

import phonenumbers as pn
from phonenumbers import PhoneMetadata

PINNED = "9.0.43"

# Opcodes of the matcher; keep in sync with src/matcher.rs.
OP_MATCH, OP_CLASS, OP_SPLIT, OP_JMP, OP_SAVE, OP_REP, OP_SWITCH, OP_END = range(8)
INFINITE = 255
NONE = 0xFFFFFFFF

DESC_FIELDS = ["general_desc", "fixed_line", "mobile", "toll_free", "premium_rate",
               "shared_cost", "personal_number", "voip", "pager", "uan", "voicemail"]


class Unsupported(Exception):
    pass


def digit_mask(items):
    mask = 0
    negate = False
    for op, av in items:
        if op == sre_c.LITERAL:
            mask |= char_mask(av)
        elif op == sre_c.RANGE:
            lo, hi = av
            for c in range(lo, hi + 1):
                if 0x30 <= c <= 0x39:
                    mask |= 1 << (c - 0x30)
        elif op == sre_c.CATEGORY and av == sre_c.CATEGORY_DIGIT:
            mask |= 0x3FF
        elif op == sre_c.NEGATE:
            negate = True
        else:
            raise Unsupported(f"class item {op} {av}")
    return (~mask & 0x3FF) if negate else mask


def char_mask(c):
    if not 0x30 <= c <= 0x39:
        raise Unsupported(f"non-digit literal {chr(c)!r}")
    return 1 << (c - 0x30)


def single_class(seq):
    """The digit mask when `seq` is exactly one digit class, else None."""
    if len(seq) != 1:
        return None
    op, av = seq[0]
    if op == sre_c.LITERAL:
        return char_mask(av)
    if op == sre_c.IN:
        return digit_mask(av)
    return None


def nullable(seq):
    return all(item_nullable(item) for item in seq)


def item_nullable(item):
    op, av = item
    if op in (sre_c.LITERAL, sre_c.IN):
        return False
    if op == sre_c.MAX_REPEAT:
        return av[0] == 0 or nullable(av[2])
    if op == sre_c.SUBPATTERN:
        return nullable(av[3])
    if op == sre_c.BRANCH:
        return any(nullable(alt) for alt in av[1])
    if op == sre_c.AT and av == sre_c.AT_END:
        return True
    raise Unsupported(f"op {op}")


def first(seq):
    mask = 0
    for item in seq:
        mask |= item_first(item)
        if not item_nullable(item):
            break
    return mask


def item_first(item):
    op, av = item
    if op == sre_c.LITERAL:
        return char_mask(av)
    if op == sre_c.IN:
        return digit_mask(av)
    if op == sre_c.MAX_REPEAT:
        return first(av[2])
    if op == sre_c.SUBPATTERN:
        return first(av[3])
    if op == sre_c.BRANCH:
        m = 0
        for alt in av[1]:
            m |= first(alt)
        return m
    if op == sre_c.AT and av == sre_c.AT_END:
        return 0
    raise Unsupported(f"op {op}")


class Compiler:
    def __init__(self):
        self.code = bytearray()
        self.groups = 0

    def here(self):
        return len(self.code)

    def emit(self, *bs):
        self.code.extend(bs)

    def u16(self, v):
        if not 0 <= v < 0x10000:
            raise Unsupported("program too long")
        self.code.extend((v & 0xFF, v >> 8))

    def patch16(self, at, v):
        self.code[at] = v & 0xFF
        self.code[at + 1] = v >> 8

    def seq(self, seq):
        for item in seq:
            self.item(item)

    def item(self, item):
        op, av = item
        if op == sre_c.LITERAL:
            self.cls(char_mask(av))
        elif op == sre_c.IN:
            self.cls(digit_mask(av))
        elif op == sre_c.SUBPATTERN:
            gid, add, dele, sub = av
            if add or dele:
                raise Unsupported("inline flags")
            if gid is None:
                self.seq(sub)
            else:
                self.groups = max(self.groups, gid)
                self.emit(OP_SAVE, 2 * gid)
                self.seq(sub)
                self.emit(OP_SAVE, 2 * gid + 1)
        elif op == sre_c.BRANCH:
            self.branch(av[1])
        elif op == sre_c.MAX_REPEAT:
            self.repeat(*av)
        elif op == sre_c.AT and av == sre_c.AT_END:
            self.emit(OP_END)
        else:
            raise Unsupported(f"op {op}")

    def cls(self, mask):
        self.emit(OP_CLASS)
        self.u16(mask)

    def repeat(self, lo, hi, sub):
        unbounded = hi == sre_c.MAXREPEAT
        mask = single_class(sub)
        if mask is not None and lo < INFINITE and (unbounded or hi < INFINITE):
            self.emit(OP_REP)
            self.u16(mask)
            self.emit(lo, INFINITE if unbounded else hi)
            return
        for _ in range(lo):
            self.seq(sub)
        if unbounded:
            loop = self.here()
            self.emit(OP_SPLIT)
            at = self.here()
            self.u16(0)
            self.u16(0)
            self.patch16(at, self.here())
            self.seq(sub)
            self.emit(OP_JMP)
            self.u16(loop)
            self.patch16(at + 2, self.here())
            return
        holes = []
        for _ in range(hi - lo):
            self.emit(OP_SPLIT)
            at = self.here()
            self.u16(0)
            self.u16(0)
            self.patch16(at, self.here())
            holes.append(at + 2)
            self.seq(sub)
        for at in holes:
            self.patch16(at, self.here())

    def branch(self, alts):
        if len(alts) >= 3 and not any(nullable(a) for a in alts):
            return self.switch(alts)
        holes = []
        for i, alt in enumerate(alts):
            if i + 1 < len(alts):
                self.emit(OP_SPLIT)
                at = self.here()
                self.u16(0)
                self.u16(0)
                self.patch16(at, self.here())
                self.seq(alt)
                self.emit(OP_JMP)
                holes.append(self.here())
                self.u16(0)
                self.patch16(at + 2, self.here())
            else:
                self.seq(alt)
        for at in holes:
            self.patch16(at, self.here())

    def switch(self, alts):
        """Dispatch on the next digit to the alternatives that can start with it."""
        firsts = [first(a) for a in alts]
        self.emit(OP_SWITCH)
        table = self.here()
        for _ in range(10):
            self.u16(0xFFFF)
        starts, ends = [], []
        for alt in alts:
            starts.append(self.here())
            self.seq(alt)
            self.emit(OP_JMP)
            ends.append(self.here())
            self.u16(0)
        chains = {}
        for d in range(10):
            members = tuple(i for i, f in enumerate(firsts) if f >> d & 1)
            if not members:
                continue
            if len(members) == 1:
                target = starts[members[0]]
            elif members in chains:
                target = chains[members]
            else:
                target = self.here()
                chains[members] = target
                for i in members[:-1]:
                    self.emit(OP_SPLIT)
                    self.u16(starts[i])
                    self.u16(self.here() + 2)
                self.emit(OP_JMP)
                self.u16(starts[members[-1]])
            self.patch16(table + 2 * d, target)
        for at in ends:
            self.patch16(at, self.here())


def compile_pattern(pattern):
    parsed = sre_parse.parse(pattern)
    c = Compiler()
    c.seq(list(parsed))
    c.emit(OP_MATCH)
    return bytes(c.code), c.groups


class Programs:
    def __init__(self):
        self.blob = bytearray()
        self.index = {}
        self.groups = {}
        self.max_groups = 0

    def add(self, pattern):
        if pattern is None or pattern == "":
            return NONE
        if pattern in self.index:
            return self.index[pattern]
        code, groups = compile_pattern(pattern)
        self.max_groups = max(self.max_groups, groups)
        self.groups[pattern] = groups
        off = len(self.blob)
        self.blob.extend(code)
        self.index[pattern] = off
        return off


def normalized(code, threads):
    """Threads with the count of an unbounded repeat capped at its minimum."""
    out = set()
    for pc, n in threads:
        if code[pc] == OP_REP and code[pc + 4] == INFINITE:
            n = min(n, code[pc + 3])
        out.add((pc, n))
    return frozenset(out)


def minimize(rows, accepting):
    """Moore's partition refinement; the start state stays state 0."""
    n = len(rows)
    block = [1 if a else 0 for a in accepting]
    while True:
        sig = {}
        new = []
        for k in range(n):
            key = (block[k], tuple(-1 if t == 0xFFFF else block[t] for t in rows[k]))
            new.append(sig.setdefault(key, len(sig)))
        if len(sig) == len(set(block)):
            block = new
            break
        block = new
    # renumber so that the start state's block is 0, in first-seen order
    order = {}
    for k in range(n):
        order.setdefault(block[k], len(order))
    out_rows = [None] * len(order)
    out_accept = [False] * len(order)
    for k in range(n):
        b = order[block[k]]
        if out_rows[b] is None:
            out_rows[b] = [0xFFFF if t == 0xFFFF else order[block[t]] for t in rows[k]]
            out_accept[b] = accepting[k]
    return out_rows, out_accept


class Dfas:
    """Deterministic automata for the patterns that are only ever tested, not captured.

    Each automaton is minimized, then stored as: the state count (u16, top
    bit set when states need two bytes), the accepting states as a bitmap
    (u16 words, 16 states each), then ten transitions a state, one byte each
    (0xFF: no way on) or, when wide, a u16 each (0xFFFF). State 0 starts.
    """

    MAX_STATES = 0xFFFE

    def __init__(self, programs):
        self.programs = programs
        self.bytes = bytearray()
        self.index = {}
        self.states = 0

    def add(self, pattern):
        if pattern is None or pattern == "":
            return NONE
        if pattern in self.index:
            return self.index[pattern]
        off = self.programs.add(pattern)
        code = bytes(self.programs.blob[off:])
        start = normalized(code, closure(code, [(0, 0)]))
        ids = {start: 0}
        order = [start]
        rows = []
        i = 0
        while i < len(order):
            state = order[i]
            row = []
            for d in range(10):
                nxt = normalized(code, step(code, state, d))
                if not nxt:
                    row.append(0xFFFF)
                    continue
                if nxt not in ids:
                    ids[nxt] = len(order)
                    order.append(nxt)
                    if len(order) > self.MAX_STATES:
                        raise Unsupported(f"automaton too large for {pattern!r}")
                row.append(ids[nxt])
            rows.append(row)
            i += 1
        accepting = [any(code[pc] == OP_MATCH for pc, _ in st) for st in order]
        rows, accepting = minimize(rows, accepting)
        n = len(rows)
        wide = n > 0xFF
        accept = [0] * ((n + 15) // 16)
        for k, yes in enumerate(accepting):
            if yes:
                accept[k // 16] |= 1 << (k % 16)
        at = len(self.bytes)
        self.bytes.extend((n & 0xFF, n >> 8 | (0x80 if wide else 0)))
        for w in accept:
            self.bytes.extend((w & 0xFF, w >> 8))
        for row in rows:
            for t in row:
                if wide:
                    self.bytes.extend((t & 0xFF, t >> 8))
                else:
                    self.bytes.append(0xFF if t == 0xFFFF else t)
        self.index[pattern] = at
        self.states += n
        return at

    def blob(self):
        return bytes(self.bytes)


GROUP_REF = re.compile(r"\\(\d)")


def template(rule):
    """A Python replacement template as a Rust string with group refs as U+0001..U+0009."""
    if rule is None:
        return None
    out = GROUP_REF.sub(lambda m: chr(int(m.group(1))), rule)
    if "\\" in out:
        raise Unsupported(f"template {rule!r}")
    return out


FIRST_GROUP = re.compile(r"(\\\d)")


def national_template(fmt):
    rule = fmt.format
    npfr = fmt.national_prefix_formatting_rule
    if npfr:
        rule = FIRST_GROUP.sub(npfr, rule, count=1)
    return template(rule)


def rust_str(s):
    if s is None:
        return "None"
    out = []
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= o < 0x7F:
            out.append(ch)
        else:
            out.append("\\u{%x}" % o)
    return '"' + "".join(out) + '"'


def some_str(s):
    return "None" if s is None else f"Some({rust_str(s)})"


def lengths_mask(lengths):
    mask = 0
    for n in lengths or ():
        if n < 0:
            continue
        if n > 31:
            raise Unsupported("length above 31")
        mask |= 1 << n
    return mask


def hexnum(v):
    return "NONE" if v == NONE else str(v)


def closure(code, threads):
    """Threads (pc, repeat count) that are about to consume a digit."""
    out, stack, seen = set(), list(threads), set()
    while stack:
        pc, n = stack.pop()
        if (pc, n) in seen:
            continue
        seen.add((pc, n))
        op = code[pc]
        if op == OP_CLASS:
            out.add((pc, 0))
        elif op == OP_SPLIT:
            stack.append((code[pc + 1] | code[pc + 2] << 8, 0))
            stack.append((code[pc + 3] | code[pc + 4] << 8, 0))
        elif op == OP_JMP:
            stack.append((code[pc + 1] | code[pc + 2] << 8, 0))
        elif op == OP_SAVE:
            stack.append((pc + 2, 0))
        elif op == OP_END:
            stack.append((pc + 1, 0))
        elif op == OP_REP:
            lo, hi = code[pc + 3], code[pc + 4]
            if n >= lo:
                stack.append((pc + 5, 0))
            if hi == INFINITE or n < hi:
                out.add((pc, n))
        elif op in (OP_SWITCH, OP_MATCH):
            out.add((pc, 0))
    return out


def step(code, threads, d):
    nxt = set()
    for pc, n in threads:
        op = code[pc]
        if op == OP_CLASS:
            if (code[pc + 1] | code[pc + 2] << 8) >> d & 1:
                nxt.add((pc + 3, 0))
        elif op == OP_REP:
            if (code[pc + 1] | code[pc + 2] << 8) >> d & 1:
                nxt.add((pc, n + 1))
        elif op == OP_SWITCH:
            # A switch reads the digit without consuming it: step its target.
            t = code[pc + 1 + 2 * d] | code[pc + 2 + 2 * d] << 8
            if t != 0xFFFF:
                nxt |= step(code, closure(code, [(t, 0)]), d)
                continue
    return closure(code, nxt)


def two_digit_prefixes(code):
    """Bit 10*a+b set when a match of two digits or more can start with digits a, b."""
    start = closure(code, [(0, 0)])
    mask = 0
    for a in range(10):
        after_a = step(code, start, a)
        for b in range(10):
            if step(code, after_a, b):
                mask |= 1 << (10 * a + b)
    return mask


def first_digits(progs, pattern):
    """Bit d set when a match can start with digit d; bit 10 when it can be empty."""
    if pattern is None or pattern == "":
        return 0
    off = progs.add(pattern)
    code = bytes(progs.blob[off:])
    start = closure(code, [(0, 0)])
    mask = 0
    for d in range(10):
        if step(code, start, d):
            mask |= 1 << d
    if any(code[pc] == OP_MATCH for pc, _ in start):
        mask |= 1 << 10
    return mask


def desc_expr(progs, desc):
    if desc is None:
        return "Desc::NONE"
    pat = progs.add(desc.national_number_pattern)
    prefixes = two_digit_prefixes(progs.blob[pat:]) if pat != NONE else 0
    dfa = DFAS.add(desc.national_number_pattern)
    return (f"Desc {{ pattern: {hexnum(dfa)}, lengths: {lengths_mask(desc.possible_length):#x}, "
            f"local: {lengths_mask(desc.possible_length_local_only):#x}, prefixes: {prefixes:#x} }}")


def format_expr(progs, fmt):
    leading = fmt.leading_digits_pattern
    lead = DFAS.add(leading[-1]) if leading else NONE
    return (f"Format {{ pattern: {hexnum(progs.add(fmt.pattern))}, "
            f"whole: {hexnum(DFAS.add(fmt.pattern))}, leading: {hexnum(lead)}, "
            f"international: {rust_str(template(fmt.format))}, "
            f"national: {rust_str(national_template(fmt))} }}")


def territory_expr(progs, md, name):
    descs = ",\n            ".join(desc_expr(progs, getattr(md, f)) for f in DESC_FIELDS)
    fmts = ",\n            ".join(format_expr(progs, f) for f in md.number_format)
    intl = ",\n            ".join(format_expr(progs, f) for f in md.intl_number_format)
    npfp = progs.add(md.national_prefix_for_parsing)
    return f"""    // {name}
    Territory {{
        id: {rust_str(md.id)},
        calling_code: {md.country_code},
        descs: [
            {descs},
        ],
        same_mobile_and_fixed_line: {str(md.same_mobile_and_fixed_line_pattern).lower()},
        international_prefix: {hexnum(progs.add(md.international_prefix))},
        national_prefix_for_parsing: {hexnum(npfp)},
        national_prefix_groups: {progs.groups.get(md.national_prefix_for_parsing, 0)},
        national_prefix_first: {first_digits(progs, md.national_prefix_for_parsing):#x},
        national_prefix_transform: {some_str(template(md.national_prefix_transform_rule))},
        leading_digits: {hexnum(DFAS.add(md.leading_digits))},
        formats: &[{fmts}],
        international_formats: &[{intl}],
        extension_prefix: {some_str(md.preferred_extn_prefix)},
    }},
"""


def digit_runs():
    """Runs of code points with consecutive `unicodedata.digit` values."""
    runs = []
    for cp in range(0x110000):
        ch = chr(cp)
        d = unicodedata.digit(ch, -1)
        if d < 0:
            continue
        decimal = unicodedata.category(ch) == "Nd"
        if runs:
            start, length, value, dec = runs[-1]
            if start + length == cp and value + length == d and dec == decimal:
                runs[-1] = (start, length + 1, value, dec)
                continue
        runs.append((cp, 1, d, decimal))
    return runs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--version", default=PINNED, help="the phonenumbers version expected")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "src" / "metadata"))
    args = ap.parse_args()
    if pn.__version__ != args.version:
        sys.exit(f"phonenumbers {pn.__version__} is installed, {args.version} expected")
    out = Path(args.out)

    global DFAS
    progs = Programs()
    DFAS = Dfas(progs)
    geo = sorted(pn.SUPPORTED_REGIONS)
    nongeo = sorted(pn.COUNTRY_CODES_FOR_NON_GEO_REGIONS)
    territories = []
    index = {}
    for region in geo:
        index[region] = len(territories)
        territories.append(territory_expr(progs, PhoneMetadata.metadata_for_region(region), region))
    nongeo_index = {}
    for cc in nongeo:
        nongeo_index[cc] = len(territories)
        md = PhoneMetadata.metadata_for_nongeo_region(cc)
        territories.append(territory_expr(progs, md, f"001 +{cc}"))

    codes = []
    for cc in sorted(pn.COUNTRY_CODE_TO_REGION_CODE):
        regions = pn.COUNTRY_CODE_TO_REGION_CODE[cc]
        ids = [nongeo_index[cc] if r == "001" else index[r] for r in regions
               if r == "001" or r in index]
        codes.append(f"    ({cc}, &[{', '.join(map(str, ids))}]),\n")

    runs = digit_runs()
    run_lines = "".join(f"    ({s:#x}, {n}, {v}, {str(d).lower()}),\n" for s, n, v, d in runs)

    (out / "programs.bin").write_bytes(bytes(progs.blob))
    (out / "automata.bin").write_bytes(DFAS.blob())
    text = f"""// @generated by tools/gen_metadata.py from phonenumbers {pn.__version__}; do not edit.
// Numbering-plan data: Google libphonenumber, Apache License 2.0.

use super::{{Desc, Format, NONE, Territory}};

/// The libphonenumber release whose metadata these tables hold.
pub(crate) const VERSION: &str = "{pn.__version__}";

/// The matcher bytecode of every pattern; tables hold offsets into it.
pub(crate) static PROGRAMS: &[u8] = include_bytes!("programs.bin");

/// The automata of the patterns that are only tested; tables hold offsets into it.
pub(crate) static AUTOMATA: &[u8] = include_bytes!("automata.bin");

/// The most capture groups any pattern has.
pub(crate) const MAX_GROUPS: usize = {progs.max_groups};

/// Geographic regions sorted by id, then the non-geographic entities sorted by calling code.
pub(crate) static TERRITORIES: [Territory; {len(territories)}] = [
{"".join(territories)}];

/// The number of geographic regions at the start of [`TERRITORIES`].
pub(crate) const GEOGRAPHIC: usize = {len(geo)};

/// Calling codes and their territories, main territory first.
pub(crate) static CALLING_CODES: [(u16, &[u16]); {len(codes)}] = [
{"".join(codes)}];

/// Runs of code points with a digit value: (first, length, value of first, decimal).
pub(crate) static DIGIT_RUNS: [(u32, u8, u8, bool); {len(runs)}] = [
{run_lines}];
"""
    (out / "generated.rs").write_text(text)
    print(f"{len(territories)} territories, {len(progs.index)} patterns, "
          f"{len(progs.blob)} bytes of bytecode, {len(DFAS.index)} automata of {DFAS.states} states, "
          f"{len(runs)} digit runs, unicode {unicodedata.unidata_version}")


if __name__ == "__main__":
    main()
