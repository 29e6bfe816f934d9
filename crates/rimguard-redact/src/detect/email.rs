//! E-mail addresses: found from their `@`, grown both ways over the
//! characters an address may hold.

use super::{Hit, Span};

const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 255;

fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_domain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
}

/// Finds e-mail addresses in `hay`, pushing them onto `out`.
pub(crate) fn scan(hay: &[u8], out: &mut Vec<Span>) {
    for at in memchr::memchr_iter(b'@', hay) {
        if let Some((start, end)) = address_around(hay, at) {
            out.push(Span {
                start,
                end,
                hit: Hit::Email,
            });
        }
    }
}

/// The address whose `@` is at `at`, when there is one.
pub(crate) fn address_around(hay: &[u8], at: usize) -> Option<(usize, usize)> {
    let floor = at.saturating_sub(MAX_LOCAL);
    let mut start = at;
    while start > floor && is_local(hay[start - 1]) {
        start -= 1;
    }
    if start >= 2 && hay[start - 2] == 0x1b && hay[start - 1] == b'[' {
        // The local part ran into an ANSI colour sequence (`ESC [ 0 m`).
        let params = hay[start..at]
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b';')
            .count();
        if hay.get(start + params) == Some(&b'm') {
            start += params + 1;
        }
    }
    while start < at && hay[start] == b'.' {
        start += 1;
    }

    let ceiling = (at + 1 + MAX_DOMAIN).min(hay.len());
    let mut end = at + 1;
    while end < ceiling && is_domain(hay[end]) {
        end += 1;
    }
    while end > at + 1 && matches!(hay[end - 1], b'.' | b'-') {
        end -= 1;
    }

    let local = &hay[start..at];
    let domain = &hay[at + 1..end];
    let tld = domain.rsplit(|b| *b == b'.').next().unwrap_or_default();
    let domain_ok = domain.contains(&b'.')
        && !domain.starts_with(b".")
        && !domain.windows(2).any(|w| w == b"..")
        && tld.len() >= 2
        && tld.iter().all(u8::is_ascii_alphabetic);
    (!local.is_empty() && !local.ends_with(b".") && domain_ok).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        scan(text.as_bytes(), &mut out);
        out.iter().map(|s| &text[s.start..s.end]).collect()
    }

    #[test]
    fn addresses_are_found_with_their_whole_local_part() {
        assert_eq!(
            found("to jane.doe+shop@example.co.uk."),
            ["jane.doe+shop@example.co.uk"]
        );
        assert_eq!(
            found(r#"{"email":"a_b@mail.example.com"}"#),
            ["a_b@mail.example.com"]
        );
    }

    #[test]
    fn near_misses_are_not_addresses() {
        assert!(found("user@localhost").is_empty());
        assert!(found("@mention in chat").is_empty());
        assert!(found("a@b.c").is_empty());
        assert!(found("x@1.2.3.4").is_empty());
        assert!(found("trailing@").is_empty());
        assert!(found("me@..com").is_empty());
        assert_eq!(found("email=\x1b[0mjo@example.com"), ["jo@example.com"]);
    }
}
