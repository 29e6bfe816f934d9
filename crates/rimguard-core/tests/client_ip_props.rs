//! Properties of client IP resolution over generated chains.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use proptest::strategy::Strategy as _;
use rimguard_core::ClientIpSource;
use rimguard_core::client_ip::{
    ClientIpBuilder, ClientIpResolver, FailureKind, FailurePolicy, ForwardingHeader, Strategy,
};

const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));

/// One generated chain entry, and what it is.
#[derive(Debug, Clone)]
enum Entry {
    Trusted(IpAddr),
    Client(IpAddr),
    Garbage(String),
}

fn resolver(strategy: Strategy) -> ClientIpResolver {
    ClientIpBuilder::new(strategy)
        .trusted_proxies(["10.0.0.0/8".parse().unwrap(), "fd00::/8".parse().unwrap()])
        .on_failure(FailurePolicy::Reject)
        .max_entries(64)
        .build_resolver()
        .unwrap()
}

fn trusted_addr() -> impl proptest::strategy::Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 3]>().prop_map(|[a, b, c]| IpAddr::V4(Ipv4Addr::new(10, a, b, c))),
        any::<u128>().prop_map(|bits| IpAddr::V6(Ipv6Addr::from((bits >> 8) | (0xfd << 120)))),
    ]
}

fn client_addr() -> impl proptest::strategy::Strategy<Value = IpAddr> {
    prop_oneof![
        (11u8..=223, any::<[u8; 3]>())
            .prop_map(|(a, [b, c, d])| IpAddr::V4(Ipv4Addr::new(a, b, c, d))),
        any::<u128>().prop_map(|bits| IpAddr::V6(Ipv6Addr::from((bits >> 4) | (0x2 << 124)))),
    ]
}

fn garbage() -> impl proptest::strategy::Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("unknown".to_owned()),
        Just("_hidden".to_owned()),
        Just("0.0.0.0".to_owned()),
        Just("fe80::1%eth0".to_owned()),
        "[a-f0-9.:]{0,6}[g-z%][a-z0-9.:\\[\\]_%]{0,6}",
    ]
}

fn entry() -> impl proptest::strategy::Strategy<Value = Entry> {
    prop_oneof![
        3 => trusted_addr().prop_map(Entry::Trusted),
        2 => client_addr().prop_map(Entry::Client),
        1 => garbage().prop_map(Entry::Garbage),
    ]
}

fn xff_text(entry: &Entry) -> String {
    match entry {
        Entry::Trusted(addr) | Entry::Client(addr) => addr.to_string(),
        Entry::Garbage(text) => text.clone(),
    }
}

fn forwarded_text(entry: &Entry) -> String {
    match entry {
        Entry::Trusted(IpAddr::V6(addr)) | Entry::Client(IpAddr::V6(addr)) => {
            format!("for=\"[{addr}]\"")
        }
        Entry::Trusted(addr) | Entry::Client(addr) => format!("for={addr}"),
        Entry::Garbage(text) => format!("for=\"{}\"", text.replace('"', "")),
    }
}

/// Splits `entries` over one to three header lines.
fn header_map(name: &str, entries: &[String], cuts: &[usize]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&entries.len())) {
        let end = cut.clamp(start, entries.len());
        if end > start || (end == entries.len() && headers.is_empty()) {
            let line = entries[start..end].join(", ");
            headers.append(name.clone(), HeaderValue::from_str(&line).unwrap());
        }
        start = end;
    }
    headers
}

/// Where the rightmost walk must stop: the first entry from the right
/// that is not a trusted proxy.
fn deciding(chain: &[Entry]) -> Option<(usize, &Entry)> {
    chain
        .iter()
        .rev()
        .enumerate()
        .find(|(_, entry)| !matches!(entry, Entry::Trusted(_)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_header_bytes_make_resolution_panic(
        lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..4),
        trusted_peer in any::<bool>(),
    ) {
        let peer = if trusted_peer { PEER } else { IpAddr::from([198, 51, 100, 1]) };
        let strategies = [
            Strategy::rightmost_x_forwarded_for(),
            Strategy::rightmost_forwarded(),
            Strategy::RightmostUntrusted { headers: vec![ForwardingHeader::Forwarded, ForwardingHeader::XForwardedFor] },
            Strategy::TrustedCount { header: ForwardingHeader::XForwardedFor, hops: 2 },
            Strategy::TrustedCount { header: ForwardingHeader::Forwarded, hops: 2 },
            Strategy::Header { name: HeaderName::from_static("x-real-ip") },
        ];
        let mut headers = HeaderMap::new();
        for (i, line) in lines.iter().enumerate() {
            let Ok(value) = HeaderValue::from_bytes(line) else { continue };
            let name = ["x-forwarded-for", "forwarded", "x-real-ip"][i % 3];
            headers.append(name, value.clone());
            headers.append("forwarded", value);
        }
        for strategy in strategies {
            let answer = resolver(strategy).resolve(Some(peer), &headers);
            if let Ok(ip) = answer {
                prop_assert!(rimguard_core::client_ip::is_client_address(ip.addr()));
            }
        }
    }

    #[test]
    fn the_xff_answer_never_comes_from_left_of_an_untrusted_hop(
        chain in proptest::collection::vec(entry(), 0..20),
        cuts in proptest::collection::vec(0usize..20, 0..3),
    ) {
        let texts: Vec<String> = chain.iter().map(xff_text).collect();
        let headers = header_map("x-forwarded-for", &texts, &cuts);
        let answer = resolver(Strategy::rightmost_x_forwarded_for()).resolve(Some(PEER), &headers);

        match (deciding(&chain), answer) {
            (Some((hop, Entry::Client(addr))), Ok(ip)) => {
                prop_assert_eq!(ip.addr(), addr.to_canonical());
                prop_assert_eq!(ip.source(), &ClientIpSource::XForwardedFor { hop });
            }
            (Some((hop, Entry::Garbage(_))), Err(error)) => {
                prop_assert_eq!(error.hop(), Some(hop));
            }
            (None, Err(error)) => {
                let kind = error.kind();
                prop_assert!(kind == FailureKind::AllTrusted || kind == FailureKind::Malformed, "{kind:?}");
            }
            (expected, answer) => prop_assert!(false, "expected {expected:?}, got {answer:?}"),
        }
    }

    #[test]
    fn the_forwarded_answer_never_comes_from_left_of_an_untrusted_hop(
        chain in proptest::collection::vec(entry(), 1..20),
        cuts in proptest::collection::vec(0usize..20, 0..3),
    ) {
        let texts: Vec<String> = chain.iter().map(forwarded_text).collect();
        let headers = header_map("forwarded", &texts, &cuts);
        let answer = resolver(Strategy::rightmost_forwarded()).resolve(Some(PEER), &headers);

        match (deciding(&chain), answer) {
            (Some((hop, Entry::Client(addr))), Ok(ip)) => {
                prop_assert_eq!(ip.addr(), addr.to_canonical());
                prop_assert_eq!(ip.source(), &ClientIpSource::Forwarded { hop });
            }
            (Some((hop, Entry::Garbage(_))), Err(error)) => prop_assert_eq!(error.hop(), Some(hop)),
            (None, Err(error)) => prop_assert_eq!(error.kind(), FailureKind::AllTrusted),
            (expected, answer) => prop_assert!(false, "expected {expected:?}, got {answer:?}"),
        }
    }

    #[test]
    fn an_untrusted_peer_is_always_the_answer(
        chain in proptest::collection::vec(entry(), 0..10),
        peer in client_addr(),
    ) {
        let texts: Vec<String> = chain.iter().map(xff_text).collect();
        let headers = header_map("x-forwarded-for", &texts, &[]);
        let ip = resolver(Strategy::rightmost_x_forwarded_for()).resolve(Some(peer), &headers).unwrap();
        prop_assert_eq!(ip.addr(), peer);
        prop_assert_eq!(ip.source(), &ClientIpSource::Peer);
    }
}
