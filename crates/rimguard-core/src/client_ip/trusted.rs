//! The trusted proxy ranges and their fast membership check.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::ConfigError;

/// The networks whose members are trusted proxies.
///
/// Built from a list of [`IpNet`] ranges with [`TrustedProxies::new`], which
/// refuses ranges that cannot be what the user meant: host bits set
/// (`10.0.0.1/8`), a range covering every address (`0.0.0.0/0`, `::/0`), or
/// an IPv4-mapped IPv6 range (`::ffff:10.0.0.0/104`, which would never match
/// because addresses are compared in their canonical IPv4 form).
///
/// Lookups are a linear scan over pre-masked integers, which for the handful
/// of ranges a proxy setup has is a few nanoseconds. Ranges are kept in the
/// order given.
///
/// # Example
///
/// ```
/// use rimguard_core::client_ip::TrustedProxies;
///
/// let trusted = TrustedProxies::new(["10.0.0.0/8".parse()?, "::1/128".parse()?])?;
/// assert!(trusted.contains("10.1.2.3".parse()?));
/// assert!(trusted.contains("::ffff:10.1.2.3".parse()?));
/// assert!(!trusted.contains("192.0.2.1".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl TrustedProxies {
    /// The trusted ranges, checked.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] whose field is the index of the first bad range
    /// (`[2]`), when a range has host bits set, covers every address, or is
    /// an IPv4-mapped IPv6 range.
    pub fn new(nets: impl IntoIterator<Item = IpNet>) -> Result<Self, ConfigError> {
        let mut trusted = Self::default();
        for (index, net) in nets.into_iter().enumerate() {
            check_range(net).map_err(|message| ConfigError::new(format!("[{index}]"), message))?;
            trusted.push(net);
        }
        Ok(trusted)
    }

    fn push(&mut self, net: IpNet) {
        match net {
            IpNet::V4(net) => {
                let mask = u32::from(net.netmask());
                self.v4.push((u32::from(net.network()) & mask, mask));
            }
            IpNet::V6(net) => {
                let mask = u128::from(net.netmask());
                self.v6.push((u128::from(net.network()) & mask, mask));
            }
        }
        self.nets.push(net);
    }

    /// Whether `addr` (made canonical first) is in a trusted range.
    #[inline]
    pub fn contains(&self, addr: IpAddr) -> bool {
        match super::canonical(addr) {
            IpAddr::V4(addr) => {
                let addr = u32::from(addr);
                self.v4.iter().any(|&(net, mask)| addr & mask == net)
            }
            IpAddr::V6(addr) => {
                let addr = u128::from(addr);
                self.v6.iter().any(|&(net, mask)| addr & mask == net)
            }
        }
    }

    /// Whether no range is trusted.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// The ranges, in the order given.
    pub fn ranges(&self) -> &[IpNet] {
        &self.nets
    }
}

impl fmt::Debug for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.nets).finish()
    }
}

/// What is wrong with a trusted range, if anything.
fn check_range(net: IpNet) -> Result<(), String> {
    if net.prefix_len() == 0 {
        return Err(format!(
            "{net} trusts every address, so any client could forge its address"
        ));
    }
    if net.trunc() != net {
        return Err(format!(
            "{net} has host bits set; did you mean {}?",
            net.trunc()
        ));
    }
    if let IpNet::V6(v6) = net {
        let mapped = v6.network().to_ipv4_mapped().is_some();
        if mapped {
            return Err(format!(
                "{net} is an IPv4-mapped range; write it as IPv4, since addresses are compared in IPv4 form"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted(ranges: &[&str]) -> Result<TrustedProxies, ConfigError> {
        TrustedProxies::new(ranges.iter().map(|r| r.parse::<IpNet>().unwrap()))
    }

    #[test]
    fn membership_follows_the_prefix() {
        let list = trusted(&["10.0.0.0/8", "192.0.2.128/25", "2001:db8::/32", "::1/128"]).unwrap();
        assert!(list.contains("10.255.0.1".parse().unwrap()));
        assert!(list.contains("192.0.2.200".parse().unwrap()));
        assert!(!list.contains("192.0.2.127".parse().unwrap()));
        assert!(list.contains("2001:db8:ffff::1".parse().unwrap()));
        assert!(list.contains("::1".parse().unwrap()));
        assert!(!list.contains("::2".parse().unwrap()));
        assert!(!list.contains("11.0.0.1".parse().unwrap()));
    }

    #[test]
    fn mapped_addresses_match_ipv4_ranges() {
        let list = trusted(&["10.0.0.0/8"]).unwrap();
        assert!(list.contains("::ffff:10.0.0.5".parse().unwrap()));
    }

    #[test]
    fn ranges_that_cover_everything_are_refused() {
        for range in ["0.0.0.0/0", "::/0"] {
            let error = trusted(&["10.0.0.0/8", range]).unwrap_err();
            assert_eq!(error.field(), "[1]");
            assert!(error.message().contains("every address"), "{error}");
        }
    }

    #[test]
    fn host_bits_are_refused_with_the_intended_range() {
        let error = trusted(&["10.0.0.1/8"]).unwrap_err();
        assert_eq!(error.field(), "[0]");
        assert!(
            error.message().contains("did you mean 10.0.0.0/8?"),
            "{error}"
        );
        assert!(trusted(&["2001:db8::1/32"]).is_err());
    }

    #[test]
    fn mapped_ipv6_ranges_are_refused() {
        let error = trusted(&["::ffff:10.0.0.0/104"]).unwrap_err();
        assert!(error.message().contains("IPv4-mapped"), "{error}");
    }
}
