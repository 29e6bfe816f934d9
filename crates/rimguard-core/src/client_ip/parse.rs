//! Parsing of single forwarding entries, without allocation.
//!
//! Each function here reads one entry (one `X-Forwarded-For` item, one
//! `Forwarded` element, one single-address header value) and answers with a
//! canonical client address or the reason it is not one. Nothing is skipped:
//! the caller decides which entry matters, and that entry either parses or
//! fails.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why one entry gave no address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryError {
    /// Not an address in any accepted form (includes zone ids).
    Malformed,
    /// `unknown` or an obfuscated identifier (`_hidden`).
    Obfuscated,
    /// A well-formed address that no client can have: unspecified,
    /// multicast or the IPv4 broadcast address.
    NotAClient,
}

/// The longest textual IPv6 address: eight groups with an embedded IPv4.
const MAX_IPV6_TEXT: usize = 45;

/// Parses one `X-Forwarded-For` item: an IPv4 address with an optional port,
/// a bare IPv6 address, or a bracketed IPv6 address with an optional port.
/// Optional whitespace around the item is ignored.
pub(crate) fn xff_entry(raw: &[u8]) -> Result<IpAddr, EntryError> {
    let entry = trim_ows(raw);
    let addr = match entry.first() {
        Some(b'[') => bracketed_v6_with_port(entry)?,
        Some(b'0'..=b'9') => match ipv4_prefix(entry) {
            Some((addr, [])) => IpAddr::V4(addr),
            Some((addr, [b':', digits @ ..])) => port(digits).map(|_| IpAddr::V4(addr))?,
            _ => bare_v6(entry)?,
        },
        Some(b'u' | b'U' | b'_') if is_unknown_or_obfuscated(entry) => {
            return Err(EntryError::Obfuscated);
        }
        Some(_) => bare_v6(entry)?,
        None => return Err(EntryError::Malformed),
    };
    client_address(addr)
}

/// Parses the value of a single-address header such as `X-Real-IP`: the same
/// forms as an `X-Forwarded-For` item, and exactly one of them.
pub(crate) fn single_address(raw: &[u8]) -> Result<IpAddr, EntryError> {
    if raw.contains(&b',') {
        return Err(EntryError::Malformed);
    }
    xff_entry(raw)
}

/// Parses one `Forwarded` element (RFC 7239 section 4) and returns the node
/// of its `for` parameter.
///
/// The element must be a `;`-separated list of `name=value` pairs, values
/// being tokens or quoted strings, with exactly one `for`. A quoted value
/// that uses a backslash escape is refused: no node needs one.
pub(crate) fn forwarded_element(raw: &[u8]) -> Result<IpAddr, EntryError> {
    let mut node = None;
    for pair in SplitUnquoted::new(trim_ows(raw), b';') {
        let (name, value) = forwarded_pair(trim_ows(pair?))?;
        if name.eq_ignore_ascii_case(b"for") {
            if node.is_some() {
                return Err(EntryError::Malformed);
            }
            node = Some(value);
        }
    }
    forwarded_node(unquote_node(node.ok_or(EntryError::Malformed)?)?)
}

/// Splits `name=value` and checks that the name is a token and the value a
/// token or a quoted string.
fn forwarded_pair(pair: &[u8]) -> Result<(&[u8], &[u8]), EntryError> {
    let eq = pair
        .iter()
        .position(|&b| b == b'=')
        .ok_or(EntryError::Malformed)?;
    let (name, value) = (&pair[..eq], &pair[eq + 1..]);
    if is_token(name) && (is_token(value) || is_quoted_string(value)) {
        Ok((name, value))
    } else {
        Err(EntryError::Malformed)
    }
}

/// The node inside a `for` value. A quoted node may not use backslash
/// escapes: no valid node needs one, and refusing them keeps parsing free
/// of allocation.
fn unquote_node(value: &[u8]) -> Result<&[u8], EntryError> {
    match value {
        [b'"', inner @ .., b'"'] if !inner.contains(&b'\\') => Ok(inner),
        [b'"', ..] => Err(EntryError::Malformed),
        _ => Ok(value),
    }
}

/// A quoted string (RFC 9110 section 5.6.4): `"`, then text or
/// backslash-escaped characters, then `"`, and nothing after it.
fn is_quoted_string(value: &[u8]) -> bool {
    let [b'"', inner @ .., b'"'] = value else {
        return false;
    };
    let mut escaped = false;
    for &b in inner {
        match (escaped, b) {
            (true, _) => escaped = false,
            (false, b'\\') => escaped = true,
            (false, b'"') => return false,
            (false, b) if b < 0x20 && b != b'\t' || b == 0x7f => return false,
            _ => {}
        }
    }
    !escaped
}

/// Splits a field on `sep` outside quoted strings, honouring backslash
/// escapes inside them. An unterminated quoted string yields one error and
/// ends the iteration: its boundaries cannot be known.
pub(crate) struct SplitUnquoted<'a> {
    rest: Option<&'a [u8]>,
    sep: u8,
}

impl<'a> SplitUnquoted<'a> {
    pub(crate) fn new(bytes: &'a [u8], sep: u8) -> Self {
        Self {
            rest: Some(bytes),
            sep,
        }
    }
}

impl<'a> Iterator for SplitUnquoted<'a> {
    type Item = Result<&'a [u8], EntryError>;

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.rest?;
        let (mut quoted, mut escaped) = (false, false);
        for (i, &b) in bytes.iter().enumerate() {
            match (quoted, escaped, b) {
                (true, true, _) => escaped = false,
                (true, false, b'\\') => escaped = true,
                (_, _, b'"') => quoted = !quoted,
                (false, _, b) if b == self.sep => {
                    self.rest = Some(&bytes[i + 1..]);
                    return Some(Ok(&bytes[..i]));
                }
                _ => {}
            }
        }
        self.rest = None;
        Some(if quoted {
            Err(EntryError::Malformed)
        } else {
            Ok(bytes)
        })
    }
}

/// Parses a `Forwarded` node: IPv4 or bracketed IPv6, with an optional
/// numeric or obfuscated port; `unknown` and `_obfuscated` names fail.
fn forwarded_node(node: &[u8]) -> Result<IpAddr, EntryError> {
    if is_unknown_or_obfuscated(node) {
        return Err(EntryError::Obfuscated);
    }
    let addr = match node.first() {
        Some(b'[') => bracketed_v6_with_node_port(node)?,
        _ => v4_with_node_port(node)?,
    };
    client_address(addr)
}

fn bracketed_v6_with_node_port(node: &[u8]) -> Result<IpAddr, EntryError> {
    let close = node
        .iter()
        .position(|&b| b == b']')
        .ok_or(EntryError::Malformed)?;
    node_port(&node[close + 1..])?;
    Ok(IpAddr::V6(ipv6(&node[1..close])?))
}

fn v4_with_node_port(node: &[u8]) -> Result<IpAddr, EntryError> {
    let (host, port) = match node.iter().position(|&b| b == b':') {
        Some(colon) => (&node[..colon], &node[colon..]),
        None => (node, &node[node.len()..]),
    };
    node_port(port)?;
    Ok(IpAddr::V4(ipv4(host).ok_or(EntryError::Malformed)?))
}

/// Checks what follows a node name: nothing, `:` and a port number, or `:`
/// and an obfuscated port (`_` then letters, digits, `.`, `_`, `-`).
fn node_port(rest: &[u8]) -> Result<(), EntryError> {
    match rest {
        [] => Ok(()),
        [b':', b'_', obf @ ..] if !obf.is_empty() && obf.iter().all(|&b| is_obf_char(b)) => Ok(()),
        [b':', digits @ ..] => port(digits).map(drop),
        _ => Err(EntryError::Malformed),
    }
}

fn bracketed_v6_with_port(entry: &[u8]) -> Result<IpAddr, EntryError> {
    let close = entry
        .iter()
        .position(|&b| b == b']')
        .ok_or(EntryError::Malformed)?;
    match &entry[close + 1..] {
        [] => {}
        [b':', digits @ ..] => {
            port(digits)?;
        }
        _ => return Err(EntryError::Malformed),
    }
    Ok(IpAddr::V6(ipv6(&entry[1..close])?))
}

fn bare_v6(entry: &[u8]) -> Result<IpAddr, EntryError> {
    ipv6(entry).map(IpAddr::V6)
}

/// A decimal port: one to five digits, at most 65535.
fn port(digits: &[u8]) -> Result<u16, EntryError> {
    if digits.is_empty() || digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(EntryError::Malformed);
    }
    let value = digits
        .iter()
        .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
    u16::try_from(value).map_err(|_| EntryError::Malformed)
}

/// Dotted-quad IPv4, strictly: four decimal octets of one to three digits,
/// no leading zeros, each at most 255. Accepts exactly what
/// `Ipv4Addr::from_str` accepts, without needing UTF-8.
pub(crate) fn ipv4(text: &[u8]) -> Option<Ipv4Addr> {
    match ipv4_prefix(text)? {
        (addr, []) => Some(addr),
        _ => None,
    }
}

/// Reads a dotted quad at the start of `text` in one pass and returns it
/// with the bytes after its last digit.
fn ipv4_prefix(text: &[u8]) -> Option<(Ipv4Addr, &[u8])> {
    let mut octets = [0u8; 4];
    let mut rest = text;
    for (index, octet) in octets.iter_mut().enumerate() {
        if index > 0 {
            rest = rest.strip_prefix(b".")?;
        }
        let (value, after) = ipv4_octet(rest)?;
        *octet = value;
        rest = after;
    }
    Some((Ipv4Addr::from(octets), rest))
}

/// One to three digits without a leading zero, at most 255.
fn ipv4_octet(text: &[u8]) -> Option<(u8, &[u8])> {
    let digits = text
        .iter()
        .take(4)
        .take_while(|b| b.is_ascii_digit())
        .count();
    let value = match (digits, text) {
        (1, _) => u16::from(text[0] - b'0'),
        (2 | 3, [b'1'..=b'9', ..]) => text[..digits]
            .iter()
            .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0')),
        _ => return None,
    };
    Some((u8::try_from(value).ok()?, &text[digits..]))
}

/// Textual IPv6 through the standard parser. A zone id (`%eth0`) is refused
/// with the rest of the malformed forms: it names an interface of the host
/// that wrote it and means nothing here.
pub(crate) fn ipv6(text: &[u8]) -> Result<Ipv6Addr, EntryError> {
    if text.len() > MAX_IPV6_TEXT {
        return Err(EntryError::Malformed);
    }
    let text = std::str::from_utf8(text).map_err(|_| EntryError::Malformed)?;
    text.parse().map_err(|_| EntryError::Malformed)
}

/// Makes `addr` canonical and refuses addresses that no client has.
///
/// See [`super::is_client_address`] for the rule.
fn client_address(addr: IpAddr) -> Result<IpAddr, EntryError> {
    let addr = super::canonical(addr);
    if super::is_client_address(addr) {
        Ok(addr)
    } else {
        Err(EntryError::NotAClient)
    }
}

fn is_unknown_or_obfuscated(entry: &[u8]) -> bool {
    entry.eq_ignore_ascii_case(b"unknown") || entry.first() == Some(&b'_')
}

fn is_obf_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

/// An HTTP token (RFC 9110 section 5.6.2): one or more `tchar`.
fn is_token(text: &[u8]) -> bool {
    !text.is_empty() && text.iter().all(|&b| is_tchar(b))
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// Strips optional whitespace (spaces and tabs) from both ends.
pub(crate) fn trim_ows(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> IpAddr {
        IpAddr::V4(text.parse().unwrap())
    }

    fn v6(text: &str) -> IpAddr {
        IpAddr::V6(text.parse().unwrap())
    }

    #[test]
    fn xff_items_accept_every_documented_form() {
        assert_eq!(xff_entry(b"203.0.113.7"), Ok(v4("203.0.113.7")));
        assert_eq!(xff_entry(b" \t203.0.113.7 "), Ok(v4("203.0.113.7")));
        assert_eq!(xff_entry(b"203.0.113.7:8080"), Ok(v4("203.0.113.7")));
        assert_eq!(xff_entry(b"2001:db8::1"), Ok(v6("2001:db8::1")));
        assert_eq!(xff_entry(b"[2001:db8::1]"), Ok(v6("2001:db8::1")));
        assert_eq!(xff_entry(b"[2001:db8::1]:443"), Ok(v6("2001:db8::1")));
    }

    #[test]
    fn mapped_and_compressed_ipv6_become_one_canonical_address() {
        assert_eq!(xff_entry(b"::ffff:10.0.0.5"), Ok(v4("10.0.0.5")));
        assert_eq!(xff_entry(b"::FFFF:a00:5"), Ok(v4("10.0.0.5")));
        assert_eq!(xff_entry(b"[::ffff:10.0.0.5]:80"), Ok(v4("10.0.0.5")));
        assert_eq!(
            xff_entry(b"2001:0db8:0000:0000:0000:0000:0000:0001"),
            Ok(v6("2001:db8::1"))
        );
        assert_eq!(xff_entry(b"::1"), Ok(v6("::1")));
    }

    #[test]
    fn malformed_xff_items_fail() {
        for bad in [
            &b""[..],
            b"   ",
            b"1.2.3",
            b"1.2.3.4.5",
            b"01.2.3.4",
            b"256.1.1.1",
            b"1.2.3.4:",
            b"1.2.3.4:65536",
            b"1.2.3.4:80:80",
            b"1.2.3.4 5.6.7.8",
            b"[2001:db8::1",
            b"[2001:db8::1]x",
            b"[1.2.3.4]",
            b"2001:db8::1:",
            b"fe80::1%eth0",
            b"[fe80::1%25eth0]:80",
            b"host.example",
            b"\"1.2.3.4\"",
            "1.2.3.\u{0664}".as_bytes(),
        ] {
            assert_eq!(xff_entry(bad), Err(EntryError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn unknown_and_obfuscated_items_are_their_own_failure() {
        assert_eq!(xff_entry(b"unknown"), Err(EntryError::Obfuscated));
        assert_eq!(xff_entry(b"UNKNOWN"), Err(EntryError::Obfuscated));
        assert_eq!(xff_entry(b"_hidden"), Err(EntryError::Obfuscated));
    }

    #[test]
    fn unspecified_multicast_and_broadcast_are_not_clients() {
        for bad in [
            &b"0.0.0.0"[..],
            b"::",
            b"::ffff:0.0.0.0",
            b"224.0.0.1",
            b"ff02::1",
            b"255.255.255.255",
        ] {
            assert_eq!(xff_entry(bad), Err(EntryError::NotAClient), "{bad:?}");
        }
    }

    #[test]
    fn forwarded_elements_yield_their_for_node() {
        assert_eq!(forwarded_element(b"for=192.0.2.60"), Ok(v4("192.0.2.60")));
        assert_eq!(
            forwarded_element(b"For=\"192.0.2.60:4711\""),
            Ok(v4("192.0.2.60"))
        );
        assert_eq!(
            forwarded_element(b"for=\"[2001:db8:cafe::17]:4711\""),
            Ok(v6("2001:db8:cafe::17"))
        );
        assert_eq!(
            forwarded_element(b"for=\"[2001:db8::17]\""),
            Ok(v6("2001:db8::17"))
        );
        assert_eq!(
            forwarded_element(b"for=\"192.0.2.60:_port\""),
            Ok(v4("192.0.2.60"))
        );
        assert_eq!(
            forwarded_element(b" proto=https; for=192.0.2.60 ;by=203.0.113.43"),
            Ok(v4("192.0.2.60"))
        );
        assert_eq!(
            forwarded_element(b"by=\"a;b,c\";for=192.0.2.1"),
            Ok(v4("192.0.2.1"))
        );
    }

    #[test]
    fn malformed_forwarded_elements_fail() {
        for bad in [
            &b""[..],
            b"proto=https",
            b"for=",
            b"for=\"\"",
            b"for=192.0.2.60;for=192.0.2.61",
            b"for=[2001:db8::1]",
            b"for=\"2001:db8::1\"",
            b"for=\"[2001:db8::1]:\"",
            b"for=\"[2001:db8::1]:_\"",
            b"for=\"[fe80::1%eth0]\"",
            b"for=\"192.0.2.60\\\"\"",
            b"for=\"192.0.2.60",
            b"for 192.0.2.60",
            b"=192.0.2.60",
            b"for=192.0.2.60:80",
            b"for=1.2.3.4 garbage",
        ] {
            assert_eq!(
                forwarded_element(bad),
                Err(EntryError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn forwarded_unknown_and_obfuscated_nodes_fail_as_such() {
        assert_eq!(
            forwarded_element(b"for=unknown"),
            Err(EntryError::Obfuscated)
        );
        assert_eq!(
            forwarded_element(b"for=_hidden"),
            Err(EntryError::Obfuscated)
        );
        assert_eq!(
            forwarded_element(b"for=\"_gazonk\""),
            Err(EntryError::Obfuscated)
        );
    }

    #[test]
    fn splitting_respects_quotes_and_escapes() {
        let parts: Vec<_> = SplitUnquoted::new(b"a,\"b,\\\",c\",d", b',').collect();
        assert_eq!(parts, [Ok(&b"a"[..]), Ok(b"\"b,\\\",c\""), Ok(b"d")]);
        let parts: Vec<_> = SplitUnquoted::new(b"a,\"b,c", b',').collect();
        assert_eq!(parts, [Ok(&b"a"[..]), Err(EntryError::Malformed)]);
        assert_eq!(SplitUnquoted::new(b"", b',').count(), 1);
    }

    proptest::proptest! {
        #[test]
        fn the_ipv4_parser_accepts_exactly_what_std_accepts(text in "[0-9.]{0,16}|[0-9]{1,4}\\.[0-9]{1,4}\\.[0-9]{1,4}\\.[0-9]{1,4}") {
            proptest::prop_assert_eq!(ipv4(text.as_bytes()), text.parse::<Ipv4Addr>().ok());
        }

        #[test]
        fn every_address_std_writes_reads_back_canonical(
            addr in proptest::prelude::any::<IpAddr>(),
            port in proptest::prelude::any::<u16>(),
        ) {
            let expected = client_address(addr);
            let with_port = std::net::SocketAddr::new(addr, port).to_string();
            proptest::prop_assert_eq!(xff_entry(addr.to_string().as_bytes()), expected);
            proptest::prop_assert_eq!(xff_entry(with_port.as_bytes()), expected);
            proptest::prop_assert_eq!(single_address(with_port.as_bytes()), expected);
            let node = format!("for=\"{with_port}\"");
            proptest::prop_assert_eq!(forwarded_element(node.as_bytes()), expected);
        }

        #[test]
        fn no_bytes_make_an_entry_parser_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = xff_entry(&bytes);
            let _ = forwarded_element(&bytes);
            let _ = single_address(&bytes);
            let _ = SplitUnquoted::new(&bytes, b',').count();
        }
    }

    #[test]
    fn a_single_address_header_holds_exactly_one_address() {
        assert_eq!(single_address(b"198.51.100.1"), Ok(v4("198.51.100.1")));
        assert_eq!(
            single_address(b"198.51.100.1, 10.0.0.1"),
            Err(EntryError::Malformed)
        );
        assert_eq!(single_address(b""), Err(EntryError::Malformed));
    }
}
