//! Property: the compiled table answers as a plain linear scan of the same
//! ranges with the same rule (longest prefix wins, deny wins a tie).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use proptest::prelude::*;
use rimguard_ipfilter::{Action, IpList, Verdict};

/// A mapped range (`::ffff:a.b.c.d/96..128`) stands for an IPv4 range.
fn unmap(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => IpNet::V4(Ipv4Net::new(v4, v6.prefix_len() - 96).unwrap()),
            None => net,
        },
        _ => net,
    }
}

/// The reference: scan every range, keep the longest containing one.
fn linear(entries: &[(IpNet, Action)], addr: IpAddr) -> Option<Action> {
    let addr = addr.to_canonical();
    let mut best: Option<(u8, Action)> = None;
    for &(net, action) in entries {
        let net = unmap(net);
        if !net.contains(&addr) {
            continue;
        }
        best = match best {
            Some((len, _)) if len > net.prefix_len() => best,
            Some((len, Action::Deny)) if len == net.prefix_len() => best,
            _ => Some((net.prefix_len(), action)),
        };
    }
    best.map(|(_, action)| action)
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![Just(Action::Allow), Just(Action::Deny)]
}

/// IPv4 ranges drawn near a few bases, so that they nest and collide.
fn v4_net() -> impl Strategy<Value = IpNet> {
    let base = prop_oneof![
        Just(0x0a00_0000u32),
        Just(0xc000_0200),
        Just(0xffff_ff00),
        Just(0),
        any::<u32>()
    ];
    (base, any::<u16>(), 0u8..=32).prop_map(|(base, noise, len)| {
        let addr = Ipv4Addr::from(base ^ u32::from(noise));
        IpNet::V4(Ipv4Net::new(addr, len).unwrap().trunc())
    })
}

fn v6_net() -> impl Strategy<Value = IpNet> {
    let base = prop_oneof![
        Just(0x2001_0db8u128 << 96),
        Just(0xffff_0000_0000u128),
        Just(u128::MAX),
        Just(0),
        any::<u128>(),
    ];
    (base, any::<u32>(), 0u8..=128).prop_map(|(base, noise, len)| {
        let addr = Ipv6Addr::from(base ^ u128::from(noise));
        IpNet::V6(Ipv6Net::new(addr, len).unwrap().trunc())
    })
}

fn entries() -> impl Strategy<Value = Vec<(IpNet, Action)>> {
    let net = prop_oneof![3 => v4_net(), 2 => v6_net()];
    prop::collection::vec((net, action()), 0..60)
}

fn compile(entries: &[(IpNet, Action)]) -> IpList {
    let allow = entries.iter().filter(|e| e.1 == Action::Allow).map(|e| e.0);
    let deny = entries.iter().filter(|e| e.1 == Action::Deny).map(|e| e.0);
    IpList::builder()
        .allow_nets(allow)
        .deny_nets(deny)
        .build()
        .unwrap()
}

/// Probes: each range's first and last address and their neighbours.
fn edges(entries: &[(IpNet, Action)]) -> Vec<IpAddr> {
    let mut probes = Vec::new();
    for (net, _) in entries {
        match net {
            IpNet::V4(net) => {
                for edge in [u32::from(net.network()), u32::from(net.broadcast())] {
                    for probe in [edge.wrapping_sub(1), edge, edge.wrapping_add(1)] {
                        probes.push(IpAddr::V4(probe.into()));
                    }
                }
            }
            IpNet::V6(net) => {
                for edge in [u128::from(net.network()), u128::from(net.broadcast())] {
                    for probe in [edge.wrapping_sub(1), edge, edge.wrapping_add(1)] {
                        probes.push(IpAddr::V6(probe.into()));
                    }
                }
            }
        }
    }
    probes
}

fn addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|a| IpAddr::V4(a.into())),
        (0x0a00_0000u32..0x0a01_0000).prop_map(|a| IpAddr::V4(a.into())),
        any::<u128>().prop_map(|a| IpAddr::V6(a.into())),
        any::<u32>().prop_map(|a| IpAddr::V6(Ipv4Addr::from(a).to_ipv6_mapped())),
    ]
}

/// Lists large enough for the first-level index (256 intervals or more in
/// each family), with ranges nested inside a few shared blocks.
fn big_entries() -> impl Strategy<Value = Vec<(IpNet, Action)>> {
    let v4 = (any::<u32>(), 0u32..4, 8u8..=32).prop_map(|(addr, block, len)| {
        let addr = Ipv4Addr::from((addr & 0x03ff_ffff) | (block << 26) | 0x1000_0000);
        IpNet::V4(Ipv4Net::new(addr, len).unwrap().trunc())
    });
    let v6 = (any::<u128>(), 16u8..=128).prop_map(|(addr, len)| {
        let addr = Ipv6Addr::from((addr >> 4) | (0x2u128 << 124));
        IpNet::V6(Ipv6Net::new(addr, len).unwrap().trunc())
    });
    let v4s = prop::collection::vec((v4, action()), 300..500);
    let v6s = prop::collection::vec((v6, action()), 300..400);
    (v4s, v6s).prop_map(|(mut v4s, v6s)| {
        v4s.extend(v6s);
        v4s
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn an_indexed_table_agrees_with_a_linear_scan(
        entries in big_entries(),
        probes in prop::collection::vec(addr(), 200),
    ) {
        let list = compile(&entries);
        let (v4, v6) = list.intervals();
        prop_assert!(v4 >= 256 && v6 >= 256, "both tables are indexed: {v4} {v6}");
        let global = probes.iter().map(|p| match p {
            IpAddr::V6(v6) => IpAddr::V6((u128::from(*v6) >> 4 | 0x2u128 << 124).into()),
            v4 => *v4,
        });
        let probes: Vec<_> = global.chain(edges(&entries).into_iter().step_by(7)).collect();
        for probe in probes {
            prop_assert_eq!(list.lookup(probe), linear(&entries, probe), "at {}", probe);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_table_agrees_with_a_linear_scan(
        entries in entries(),
        probes in prop::collection::vec(addr(), 1..40),
    ) {
        let list = compile(&entries);
        for probe in probes.into_iter().chain(edges(&entries)) {
            prop_assert_eq!(list.lookup(probe), linear(&entries, probe), "at {}", probe);
        }
    }

    #[test]
    fn the_verdict_follows_the_lookup_and_the_list_kind(
        entries in entries(),
        probes in prop::collection::vec(addr(), 1..40),
    ) {
        let list = compile(&entries);
        let allowlist = entries.is_empty() || entries.iter().any(|e| e.1 == Action::Allow);
        for probe in probes {
            let expected = match linear(&entries, probe) {
                Some(Action::Allow) => Verdict::Allowed,
                Some(Action::Deny) => Verdict::Denied,
                None if allowlist => Verdict::NotListed,
                None => Verdict::Allowed,
            };
            prop_assert_eq!(list.check(probe), expected, "at {}", probe);
        }
    }

    #[test]
    fn a_mapped_address_is_looked_up_as_its_ipv4(entries in entries(), v4 in any::<u32>()) {
        let list = compile(&entries);
        let v4 = Ipv4Addr::from(v4);
        prop_assert_eq!(list.lookup(IpAddr::V6(v4.to_ipv6_mapped())), list.lookup(IpAddr::V4(v4)));
    }
}

#[test]
fn large_random_lists_agree_too() {
    // Beyond the first-level index threshold, with a fixed seed.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let entries: Vec<(IpNet, Action)> = (0..3_000)
        .map(|i| {
            let action = if next() % 4 == 0 {
                Action::Deny
            } else {
                Action::Allow
            };
            let net = if i % 3 == 0 {
                let len = (next() % 129) as u8;
                let addr = Ipv6Addr::from((u128::from(next()) << 64) | u128::from(next()));
                IpNet::V6(Ipv6Net::new(addr, len).unwrap().trunc())
            } else {
                let len = 8 + (next() % 25) as u8;
                IpNet::V4(
                    Ipv4Net::new(Ipv4Addr::from(next() as u32), len)
                        .unwrap()
                        .trunc(),
                )
            };
            (net, action)
        })
        .collect();
    let list = compile(&entries);
    assert!(
        list.intervals().0 > 512,
        "the index is in use: {:?}",
        list.intervals()
    );

    for probe in edges(&entries).into_iter().step_by(3) {
        assert_eq!(list.lookup(probe), linear(&entries, probe), "at {probe}");
    }
    for _ in 0..5_000 {
        let probe = IpAddr::V4((next() as u32).into());
        assert_eq!(list.lookup(probe), linear(&entries, probe), "at {probe}");
    }
}
