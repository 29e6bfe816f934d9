//! International, national and RFC 3966 formatting by the plan's rules.

use crate::automaton::Automaton;
use crate::matcher::Program;
use crate::metadata::Format;
use crate::number::{PhoneNumber, formatting_territory};
use crate::parse::{expand, format_u16};

const DEFAULT_EXTENSION_PREFIX: &str = " ext. ";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    International,
    National,
    Rfc3966,
}

pub(crate) fn international(n: &PhoneNumber) -> String {
    render(n, Style::International)
}

pub(crate) fn national(n: &PhoneNumber) -> String {
    render(n, Style::National)
}

pub(crate) fn rfc3966(n: &PhoneNumber) -> String {
    render(n, Style::Rfc3966)
}

fn render(n: &PhoneNumber, style: Style) -> String {
    let nsn = n.nsn_bytes();
    let mut out = String::with_capacity(40);
    let Some(t) = formatting_territory(n) else {
        out.push_str(n.national_number());
        return out;
    };
    let mut code = [0u8; 5];
    let code = std::str::from_utf8(format_u16(n.calling_code(), &mut code)).expect("ASCII digits");
    match style {
        Style::International => {
            out.push('+');
            out.push_str(code);
            out.push(' ');
        }
        Style::Rfc3966 => {
            out.push_str("tel:+");
            out.push_str(code);
            out.push('-');
        }
        Style::National => {}
    }

    let formats = if style == Style::National || t.international_formats.is_empty() {
        t.formats
    } else {
        t.international_formats
    };
    match choose(formats, nsn) {
        None => out.push_str(n.national_number()),
        Some((format, program)) => {
            let template = if style == Style::National {
                format.national
            } else {
                format.international
            };
            if style == Style::Rfc3966 {
                let mut plain = String::with_capacity(24);
                substitute(program, template, nsn, &mut plain);
                dash_separators(&plain, &mut out);
            } else {
                substitute(program, template, nsn, &mut out);
            }
        }
    }

    if let Some(ext) = n.extension() {
        let prefix = match style {
            Style::Rfc3966 => ";ext=",
            _ => t.extension_prefix.unwrap_or(DEFAULT_EXTENSION_PREFIX),
        };
        out.push_str(prefix);
        out.push_str(ext);
    }
    out
}

/// `_choose_formatting_pattern_for_number`.
fn choose(formats: &'static [Format], nsn: &[u8]) -> Option<(&'static Format, Program)> {
    formats.iter().find_map(|f| {
        let leading_ok = Automaton::at(f.leading).is_none_or(|a| a.matches_prefix(nsn));
        let whole = Automaton::at(f.whole).is_some_and(|a| a.matches(nsn));
        (leading_ok && whole).then_some((f, Program::at(f.pattern)?))
    })
}

/// Python's `re.sub(pattern, template, nsn)`: every match, left to right.
fn substitute(program: Program, template: &str, nsn: &[u8], out: &mut String) {
    let mut pos = 0;
    while pos < nsn.len() {
        let found = (pos..nsn.len()).find_map(|s| program.captures(nsn, s, false).map(|m| (s, m)));
        let Some((start, (end, slots))) = found else {
            break;
        };
        push_digits(out, &nsn[pos..start]);
        expand(template, nsn, &slots, |b| out.push(char::from(b)));
        pos = if end > start { end } else { start + 1 };
        if end == start {
            push_digits(out, &nsn[start..pos]);
        }
    }
    push_digits(out, &nsn[pos.min(nsn.len())..]);
}

fn push_digits(out: &mut String, digits: &[u8]) {
    digits.iter().for_each(|&d| out.push(char::from(d)));
}

/// RFC 3966: a leading separator run dropped, every other run a single `-`.
fn dash_separators(formatted: &str, out: &mut String) {
    let mut in_run = false;
    let mut started = false;
    for c in formatted.chars() {
        if crate::unicode::is_punctuation(c) {
            in_run = true;
        } else {
            if in_run && started {
                out.push('-');
            }
            in_run = false;
            started = true;
            out.push(c);
        }
    }
    if in_run && started {
        out.push('-');
    }
}
