//! One entry of a list: a CIDR range or a bare address, as a user wrote it.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};

/// What to do with a range whose address has bits set past its prefix,
/// such as `10.0.0.1/8`.
///
/// Such a range is usually a typo (was `/32` meant, or `10.0.0.0/8`?), so
/// the default refuses it. Either way, a warning names the entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostBits {
    /// Refuse the list, naming the entry (the default).
    #[default]
    Refuse,
    /// Clear the host bits (`10.0.0.1/8` becomes `10.0.0.0/8`) and log a
    /// warning naming the entry.
    Truncate,
}

/// Parses one entry: `a.b.c.d/len`, `x:y::/len`, or a bare address (which
/// means `/32` or `/128`). An IPv4-mapped IPv6 range (`::ffff:a.b.c.d/len`
/// with `len >= 96`) becomes the IPv4 range it maps.
///
/// Returns the range and, when host bits were cleared, a note for the
/// caller to log. The error is a short message that quotes the entry.
pub(crate) fn parse_entry(text: &str, host_bits: HostBits) -> Result<(IpNet, bool), String> {
    let net = parse_net(text)?;
    let net = unmap(net);
    let trunc = net.trunc();
    if trunc == net {
        return Ok((net, false));
    }
    match host_bits {
        HostBits::Truncate => Ok((trunc, true)),
        HostBits::Refuse => Err(format!(
            "`{text}` has host bits set (the range would be `{trunc}`); \
             fix the entry or set on_host_bits = \"truncate\""
        )),
    }
}

fn parse_net(text: &str) -> Result<IpNet, String> {
    if text.contains('/') {
        return text.parse::<IpNet>().map_err(|_| {
            format!("`{text}` is not a CIDR range such as 192.0.2.0/24 or 2001:db8::/32")
        });
    }
    let addr = text
        .parse::<IpAddr>()
        .map_err(|_| format!("`{text}` is not an IP address or CIDR range"))?;
    Ok(IpNet::from(addr))
}

/// The IPv4 range an IPv4-mapped IPv6 range stands for; any other range
/// unchanged.
pub(crate) fn unmap(net: IpNet) -> IpNet {
    let IpNet::V6(v6) = net else { return net };
    let Some(v4) = v6.addr().to_ipv4_mapped() else {
        return net;
    };
    if v6.prefix_len() < 96 {
        return net;
    }
    let v4 = Ipv4Net::new(v4, v6.prefix_len() - 96).expect("a mapped /96../128 is a /0../32");
    IpNet::V4(v4)
}

/// The first and last address of a v4 range, as integers.
pub(crate) fn v4_bounds(net: Ipv4Net) -> (u32, u32) {
    (u32::from(net.network()), u32::from(net.broadcast()))
}

/// The first and last address of a v6 range, as integers.
pub(crate) fn v6_bounds(net: Ipv6Net) -> (u128, u128) {
    (u128::from(net.network()), u128::from(net.broadcast()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> String {
        parse_entry(text, HostBits::Refuse).unwrap().0.to_string()
    }

    #[test]
    fn a_bare_address_is_a_single_host_range() {
        assert_eq!(parsed("192.0.2.7"), "192.0.2.7/32");
        assert_eq!(parsed("2001:db8::7"), "2001:db8::7/128");
    }

    #[test]
    fn a_mapped_range_becomes_ipv4() {
        assert_eq!(parsed("::ffff:192.0.2.0/120"), "192.0.2.0/24");
        assert_eq!(parsed("::ffff:192.0.2.9"), "192.0.2.9/32");
        assert_eq!(parsed("::ffff:0:0/96"), "0.0.0.0/0");
        assert_eq!(parsed("::/64"), "::/64");
    }

    #[test]
    fn host_bits_are_refused_by_default_and_the_entry_named() {
        let error = parse_entry("10.0.0.1/8", HostBits::Refuse).unwrap_err();
        assert!(error.contains("`10.0.0.1/8`"), "{error}");
        assert!(error.contains("10.0.0.0/8"), "{error}");
    }

    #[test]
    fn host_bits_can_be_truncated() {
        let (net, truncated) = parse_entry("2001:db8::1/32", HostBits::Truncate).unwrap();
        assert_eq!(net.to_string(), "2001:db8::/32");
        assert!(truncated);
    }

    #[test]
    fn garbage_is_refused_with_the_entry_quoted() {
        for text in ["", "10.0.0.0/33", "10.0.0", "fe80::1%eth0", "example.com"] {
            let error = parse_entry(text, HostBits::Refuse).unwrap_err();
            assert!(error.contains(&format!("`{text}`")), "{error}");
        }
    }
}
