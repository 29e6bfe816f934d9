//! The client IP layer against spoofing, malformed chains and odd inputs.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr, SocketAddrV6};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use rimguard_core::client_ip::{
    ClientIpBuilder, ClientIpError, ClientIpLayer, ClientIpResolver, FailureKind, FailurePolicies,
    FailurePolicy, ForwardingHeader, Strategy,
};
use rimguard_core::{ClientIp, ClientIpSource, Layer, Rejection};
use tower::{ServiceBuilder, ServiceExt, service_fn};

const PROXY: &str = "10.0.0.1";
const OUTSIDER: &str = "198.51.100.20";

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn builder(strategy: Strategy) -> ClientIpBuilder {
    ClientIpBuilder::new(strategy)
        .trusted_proxies([
            "10.0.0.0/8".parse().unwrap(),
            "2001:db8:ff::/48".parse().unwrap(),
        ])
        .on_failure(FailurePolicy::Reject)
}

fn xff() -> ClientIpResolver {
    builder(Strategy::rightmost_x_forwarded_for())
        .build_resolver()
        .unwrap()
}

fn forwarded() -> ClientIpResolver {
    builder(Strategy::rightmost_forwarded())
        .build_resolver()
        .unwrap()
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
        map.append(name, HeaderValue::from_str(value).unwrap());
    }
    map
}

fn resolve(
    resolver: &ClientIpResolver,
    peer: &str,
    pairs: &[(&str, &str)],
) -> Result<ClientIp, ClientIpError> {
    resolver.resolve(Some(ip(peer)), &headers(pairs))
}

fn failure(resolver: &ClientIpResolver, pairs: &[(&str, &str)]) -> (FailureKind, Option<usize>) {
    let error = resolve(resolver, PROXY, pairs).unwrap_err();
    (error.kind(), error.hop())
}

// --- spoofing -------------------------------------------------------------

#[test]
fn an_untrusted_peer_cannot_spoof_through_any_header() {
    let spoofs = [
        ("x-forwarded-for", "203.0.113.66"),
        ("forwarded", "for=203.0.113.66"),
        ("x-real-ip", "203.0.113.66"),
        ("cf-connecting-ip", "203.0.113.66"),
        ("true-client-ip", "203.0.113.66"),
    ];
    let strategies = [
        Strategy::rightmost_x_forwarded_for(),
        Strategy::rightmost_forwarded(),
        Strategy::TrustedCount {
            header: ForwardingHeader::XForwardedFor,
            hops: 1,
        },
        Strategy::TrustedCount {
            header: ForwardingHeader::Forwarded,
            hops: 1,
        },
        Strategy::Header {
            name: HeaderName::from_static("x-real-ip"),
        },
        Strategy::Header {
            name: HeaderName::from_static("cf-connecting-ip"),
        },
        Strategy::Header {
            name: HeaderName::from_static("true-client-ip"),
        },
        Strategy::Peer,
    ];

    for strategy in strategies {
        let resolver = builder(strategy.clone()).build_resolver().unwrap();
        let answer = resolve(&resolver, OUTSIDER, &spoofs).unwrap();
        assert_eq!(answer.addr(), ip(OUTSIDER), "{strategy:?}");
        assert_eq!(answer.source(), &ClientIpSource::Peer);
        assert!(!answer.peer_trusted());
    }
}

#[test]
fn the_peer_strategy_ignores_headers_even_from_a_trusted_proxy() {
    let resolver = builder(Strategy::Peer).build_resolver().unwrap();
    let answer = resolve(&resolver, PROXY, &[("x-forwarded-for", "203.0.113.66")]).unwrap();
    assert_eq!(answer, ClientIp::new(ip(PROXY), ClientIpSource::Peer, true));
}

#[test]
fn entries_prepended_by_the_client_are_never_read() {
    let answer = resolve(
        &xff(),
        PROXY,
        &[("x-forwarded-for", "6.6.6.6, 10.0.0.7, 203.0.113.9")],
    )
    .unwrap();
    assert_eq!(answer.addr(), ip("203.0.113.9"));
    assert_eq!(answer.source(), &ClientIpSource::XForwardedFor { hop: 0 });
    assert!(answer.peer_trusted());

    let chain = "for=6.6.6.6, for=203.0.113.9;proto=https, for=10.0.0.3";
    let answer = resolve(&forwarded(), PROXY, &[("forwarded", chain)]).unwrap();
    assert_eq!(answer.addr(), ip("203.0.113.9"));
    assert_eq!(answer.source(), &ClientIpSource::Forwarded { hop: 1 });
}

#[test]
fn garbage_left_of_the_client_does_not_matter() {
    let chain = "not an address, unknown, _x, 0.0.0.0, 203.0.113.9, 10.0.0.3";
    let answer = resolve(&xff(), PROXY, &[("x-forwarded-for", chain)]).unwrap();
    assert_eq!(answer.addr(), ip("203.0.113.9"));

    let chain = "for=nonsense, for=unknown, for=203.0.113.9";
    let answer = resolve(&forwarded(), PROXY, &[("forwarded", chain)]).unwrap();
    assert_eq!(answer.addr(), ip("203.0.113.9"));
}

// --- repeated lines and delimiters -------------------------------------------

#[test]
fn every_line_of_a_repeated_header_counts_in_order() {
    let lines = [
        ("x-forwarded-for", "6.6.6.6, 203.0.113.9"),
        ("x-forwarded-for", "10.0.0.4, 10.0.0.3"),
    ];
    let answer = resolve(&xff(), PROXY, &lines).unwrap();
    assert_eq!(answer.addr(), ip("203.0.113.9"));
    assert_eq!(answer.source(), &ClientIpSource::XForwardedFor { hop: 2 });

    let lines = [
        ("x-forwarded-for", "203.0.113.9"),
        ("x-forwarded-for", "198.51.100.1"),
    ];
    assert_eq!(
        resolve(&xff(), PROXY, &lines).unwrap().addr(),
        ip("198.51.100.1")
    );

    let lines = [
        ("forwarded", "for=203.0.113.9"),
        ("forwarded", "for=10.0.0.3"),
    ];
    let answer = resolve(&forwarded(), PROXY, &lines).unwrap();
    assert_eq!(answer.source(), &ClientIpSource::Forwarded { hop: 1 });
}

#[test]
fn a_repeated_single_address_header_is_malformed() {
    let resolver = builder(Strategy::Header {
        name: HeaderName::from_static("x-real-ip"),
    })
    .build_resolver()
    .unwrap();
    let lines = [("x-real-ip", "203.0.113.9"), ("x-real-ip", "6.6.6.6")];
    assert_eq!(failure(&resolver, &lines).0, FailureKind::Malformed);
    assert_eq!(
        failure(&resolver, &[("x-real-ip", "203.0.113.9, 6.6.6.6")]).0,
        FailureKind::Malformed
    );
    let answer = resolve(&resolver, PROXY, &[("x-real-ip", " 203.0.113.9 ")]).unwrap();
    assert_eq!(
        answer.source(),
        &ClientIpSource::Header(HeaderName::from_static("x-real-ip"))
    );
}

#[test]
fn odd_delimiters_and_empty_entries_at_the_deciding_position_fail() {
    let cases = [
        ("203.0.113.9,,10.0.0.3", Some(1)),
        ("203.0.113.9, 10.0.0.3,", Some(0)),
        ("203.0.113.9, 10.0.0.3, ", Some(0)),
        ("", Some(0)),
        ("203.0.113.9;10.0.0.3", Some(0)),
        ("203.0.113.9 10.0.0.3", Some(0)),
        ("203.0.113.9|10.0.0.3", Some(0)),
    ];
    for (chain, hop) in cases {
        assert_eq!(
            failure(&xff(), &[("x-forwarded-for", chain)]),
            (FailureKind::Malformed, hop),
            "{chain:?}"
        );
    }
    let lines = [("x-forwarded-for", "203.0.113.9"), ("x-forwarded-for", "")];
    assert_eq!(failure(&xff(), &lines), (FailureKind::Malformed, Some(0)));

    let answer = resolve(
        &xff(),
        PROXY,
        &[("x-forwarded-for", "\t203.0.113.9 ,\t10.0.0.3\t")],
    )
    .unwrap();
    assert_eq!(answer.addr(), ip("203.0.113.9"));
}

#[test]
fn forwarded_delimiters_inside_quotes_do_not_split() {
    let chain = "for=203.0.113.9;host=\"a,b;c\", for=10.0.0.3";
    assert_eq!(
        resolve(&forwarded(), PROXY, &[("forwarded", chain)])
            .unwrap()
            .addr(),
        ip("203.0.113.9")
    );
    let broken = "for=203.0.113.9;host=\"a, for=10.0.0.3";
    assert_eq!(
        failure(&forwarded(), &[("forwarded", broken)]),
        (FailureKind::Malformed, None)
    );
    let empty = "for=203.0.113.9,, for=10.0.0.3";
    assert_eq!(
        failure(&forwarded(), &[("forwarded", empty)]),
        (FailureKind::Malformed, Some(1))
    );
}

// --- malformed forms at the deciding position ---------------------------------

#[test]
fn every_malformed_xff_form_at_the_deciding_position_fails() {
    let forms = [
        ("1.2.3", FailureKind::Malformed),
        ("1.2.3.4.5", FailureKind::Malformed),
        ("01.2.3.4", FailureKind::Malformed),
        ("1.2.3.256", FailureKind::Malformed),
        ("1.2.3.4:", FailureKind::Malformed),
        ("1.2.3.4:99999", FailureKind::Malformed),
        ("1.2.3.4:http", FailureKind::Malformed),
        ("[2001:db8::1", FailureKind::Malformed),
        ("2001:db8::1]", FailureKind::Malformed),
        ("[2001:db8::1]:", FailureKind::Malformed),
        ("[1.2.3.4]", FailureKind::Malformed),
        ("2001:db8:::1", FailureKind::Malformed),
        ("fe80::1%eth0", FailureKind::Malformed),
        ("[fe80::1%25eth0]:80", FailureKind::Malformed),
        ("example.com", FailureKind::Malformed),
        ("\"203.0.113.9\"", FailureKind::Malformed),
        ("for=203.0.113.9", FailureKind::Malformed),
        ("unknown", FailureKind::Obfuscated),
        ("Unknown", FailureKind::Obfuscated),
        ("_hidden", FailureKind::Obfuscated),
        ("0.0.0.0", FailureKind::NotAClientAddress),
        ("::", FailureKind::NotAClientAddress),
        ("[::]:80", FailureKind::NotAClientAddress),
        ("::ffff:0.0.0.0", FailureKind::NotAClientAddress),
        ("239.1.2.3", FailureKind::NotAClientAddress),
        ("ff05::2", FailureKind::NotAClientAddress),
        ("255.255.255.255", FailureKind::NotAClientAddress),
    ];
    for (form, kind) in forms {
        let chain = format!("203.0.113.1, {form}, 10.0.0.3");
        assert_eq!(
            failure(&xff(), &[("x-forwarded-for", &chain)]),
            (kind, Some(1)),
            "{form}"
        );
    }
}

#[test]
fn every_malformed_forwarded_form_at_the_deciding_position_fails() {
    let forms = [
        ("for=1.2.3", FailureKind::Malformed),
        ("for=[2001:db8::1]", FailureKind::Malformed),
        ("for=\"2001:db8::1\"", FailureKind::Malformed),
        ("for=\"[2001:db8::1\"", FailureKind::Malformed),
        ("for=\"[2001:db8::1]:\"", FailureKind::Malformed),
        ("for=\"[2001:db8::1]:99999\"", FailureKind::Malformed),
        ("for=\"[fe80::1%eth0]\"", FailureKind::Malformed),
        ("for=192.0.2.1:80", FailureKind::Malformed),
        ("for=\"192.0.2.1\\:80\"", FailureKind::Malformed),
        ("for=192.0.2.1;for=192.0.2.2", FailureKind::Malformed),
        ("proto=https", FailureKind::Malformed),
        ("for", FailureKind::Malformed),
        ("for=", FailureKind::Malformed),
        ("192.0.2.1", FailureKind::Malformed),
        ("for=unknown", FailureKind::Obfuscated),
        ("for=_hidden", FailureKind::Obfuscated),
        ("for=\"_hidden:80\"", FailureKind::Obfuscated),
        ("for=0.0.0.0", FailureKind::NotAClientAddress),
        ("for=\"[::]\"", FailureKind::NotAClientAddress),
        ("for=224.0.0.1", FailureKind::NotAClientAddress),
    ];
    for (form, kind) in forms {
        let chain = format!("for=203.0.113.1, {form}, for=10.0.0.3");
        assert_eq!(
            failure(&forwarded(), &[("forwarded", &chain)]),
            (kind, Some(1)),
            "{form}"
        );
    }
}

#[test]
fn an_untrusted_entry_at_the_nearest_position_decides_even_behind_garbage() {
    let answer = resolve(
        &xff(),
        PROXY,
        &[("x-forwarded-for", "garbage, 203.0.113.9")],
    )
    .unwrap();
    assert_eq!(answer.source(), &ClientIpSource::XForwardedFor { hop: 0 });
}

// --- IPv6 forms, mapped addresses and zones ----------------------------------

#[test]
fn mapped_and_compressed_ipv6_forms_are_one_address() {
    for form in [
        "::ffff:203.0.113.9",
        "::FFFF:CB00:7109",
        "[::ffff:203.0.113.9]:443",
        "0:0:0:0:0:ffff:cb00:7109",
    ] {
        let chain = format!("{form}, 10.0.0.3");
        let answer = resolve(&xff(), PROXY, &[("x-forwarded-for", &chain)]).unwrap();
        assert_eq!(answer.addr(), ip("203.0.113.9"), "{form}");
    }
    for form in [
        "2001:db8:0:0:0:0:0:9",
        "2001:DB8::9",
        "[2001:0db8::0009]:8080",
    ] {
        let answer = resolve(&xff(), PROXY, &[("x-forwarded-for", form)]).unwrap();
        assert_eq!(answer.addr(), ip("2001:db8::9"), "{form}");
    }
    let answer = resolve(&xff(), PROXY, &[("x-forwarded-for", "::1")]).unwrap();
    assert_eq!(answer.addr(), ip("::1"));
}

#[test]
fn mapped_proxies_are_trusted_like_their_ipv4_form() {
    let answer = resolve(
        &xff(),
        "::ffff:10.0.0.1",
        &[("x-forwarded-for", "203.0.113.9, ::ffff:10.0.0.3")],
    )
    .unwrap();
    assert_eq!(answer.addr(), ip("203.0.113.9"));
    assert_eq!(answer.source(), &ClientIpSource::XForwardedFor { hop: 1 });

    let answer = resolve(
        &xff(),
        "::ffff:198.51.100.20",
        &[("x-forwarded-for", "203.0.113.9")],
    )
    .unwrap();
    assert_eq!(answer.addr(), ip(OUTSIDER));
}

#[test]
fn ipv6_proxies_and_clients_work_in_forwarded() {
    let chain = "for=\"[2001:db8:cafe::17]:4711\", for=\"[2001:db8:ff::1]\"";
    let answer = resolve(&forwarded(), "2001:db8:ff::2", &[("forwarded", chain)]).unwrap();
    assert_eq!(answer.addr(), ip("2001:db8:cafe::17"));
}

#[test]
fn a_peer_with_a_scope_id_is_stored_without_it() {
    let peer = SocketAddr::V6(SocketAddrV6::new("fe80::1".parse().unwrap(), 4000, 0, 3));
    let mut request = Request::new(());
    request.extensions_mut().insert(peer);
    let answer = xff().resolve_request(&request).unwrap();
    assert_eq!(answer.addr(), ip("fe80::1"));
}

// --- limits -------------------------------------------------------------------

#[test]
fn a_huge_header_is_refused_before_parsing() {
    let huge = "203.0.113.9, ".repeat(10_000) + "10.0.0.3";
    assert_eq!(
        failure(&xff(), &[("x-forwarded-for", &huge)]),
        (FailureKind::TooLarge, None)
    );
    let huge = "for=203.0.113.9, ".repeat(10_000) + "for=10.0.0.3";
    assert_eq!(
        failure(&forwarded(), &[("forwarded", &huge)]),
        (FailureKind::TooLarge, None)
    );

    let resolver = builder(Strategy::Header {
        name: HeaderName::from_static("x-real-ip"),
    })
    .max_bytes(16)
    .build_resolver()
    .unwrap();
    let long = format!("{}203.0.113.9", " ".repeat(20));
    assert_eq!(
        failure(&resolver, &[("x-real-ip", &long)]).0,
        FailureKind::TooLarge
    );
}

#[test]
fn the_entry_limit_counts_every_line() {
    let resolver = builder(Strategy::rightmost_x_forwarded_for())
        .max_entries(3)
        .build_resolver()
        .unwrap();
    let at_limit = [
        ("x-forwarded-for", "1.1.1.1, 203.0.113.9"),
        ("x-forwarded-for", "10.0.0.3"),
    ];
    assert!(resolve(&resolver, PROXY, &at_limit).is_ok());
    let over = [
        ("x-forwarded-for", "1.1.1.1, 203.0.113.9"),
        ("x-forwarded-for", "10.0.0.4, 10.0.0.3"),
    ];
    assert_eq!(failure(&resolver, &over), (FailureKind::TooLarge, None));

    let resolver = builder(Strategy::rightmost_forwarded())
        .max_entries(2)
        .build_resolver()
        .unwrap();
    let over = [
        ("forwarded", "for=1.1.1.1"),
        ("forwarded", "for=203.0.113.9, for=10.0.0.3"),
    ];
    assert_eq!(failure(&resolver, &over), (FailureKind::TooLarge, None));
}

#[test]
fn the_byte_limit_counts_every_line() {
    let resolver = builder(Strategy::rightmost_x_forwarded_for())
        .max_bytes(20)
        .build_resolver()
        .unwrap();
    let lines = [
        ("x-forwarded-for", "203.0.113.9"),
        ("x-forwarded-for", "10.0.0.3"),
    ];
    assert!(resolve(&resolver, PROXY, &lines).is_ok());
    let lines = [
        ("x-forwarded-for", "203.0.113.9"),
        ("x-forwarded-for", "10.0.0.3, 10.0.0.4"),
    ];
    assert_eq!(failure(&resolver, &lines), (FailureKind::TooLarge, None));
}

// --- the other failures and the policies ----------------------------------------

#[test]
fn a_chain_of_trusted_proxies_only_fails_as_all_trusted() {
    assert_eq!(
        failure(&xff(), &[("x-forwarded-for", "10.0.0.9, 10.0.0.3")]),
        (FailureKind::AllTrusted, None)
    );
    assert_eq!(
        failure(&forwarded(), &[("forwarded", "for=10.0.0.9")]),
        (FailureKind::AllTrusted, None)
    );
}

#[test]
fn a_missing_header_behind_a_trusted_proxy_is_too_few_entries() {
    assert_eq!(failure(&xff(), &[]), (FailureKind::TooFewEntries, None));
    let resolver = builder(Strategy::Header {
        name: HeaderName::from_static("cf-connecting-ip"),
    })
    .build_resolver()
    .unwrap();
    assert_eq!(
        failure(&resolver, &[("x-forwarded-for", "203.0.113.9")]).0,
        FailureKind::TooFewEntries
    );
}

#[test]
fn two_chain_headers_in_one_request_are_ambiguous() {
    let both = builder(Strategy::RightmostUntrusted {
        headers: vec![ForwardingHeader::Forwarded, ForwardingHeader::XForwardedFor],
    })
    .build_resolver()
    .unwrap();
    let pairs = [
        ("forwarded", "for=203.0.113.9"),
        ("x-forwarded-for", "6.6.6.6"),
    ];
    assert_eq!(failure(&both, &pairs), (FailureKind::Ambiguous, None));
    assert_eq!(
        resolve(&both, PROXY, &pairs[..1]).unwrap().addr(),
        ip("203.0.113.9")
    );
    assert_eq!(
        resolve(&both, PROXY, &pairs[1..]).unwrap().addr(),
        ip("6.6.6.6")
    );
}

#[test]
fn the_trusted_count_takes_the_counted_entry_whatever_it_is() {
    let two = builder(Strategy::TrustedCount {
        header: ForwardingHeader::XForwardedFor,
        hops: 2,
    })
    .build_resolver()
    .unwrap();
    let answer = resolve(
        &two,
        PROXY,
        &[("x-forwarded-for", "6.6.6.6, 10.9.9.9, 198.51.100.4")],
    )
    .unwrap();
    assert_eq!(answer.addr(), ip("10.9.9.9"));
    assert_eq!(answer.source(), &ClientIpSource::XForwardedFor { hop: 1 });
    assert_eq!(
        failure(&two, &[("x-forwarded-for", "203.0.113.9")]),
        (FailureKind::TooFewEntries, None)
    );
    assert_eq!(
        failure(&two, &[("x-forwarded-for", "1.1.1.1, unknown, x")]),
        (FailureKind::Obfuscated, Some(1))
    );

    let forwarded = builder(Strategy::TrustedCount {
        header: ForwardingHeader::Forwarded,
        hops: 2,
    })
    .build_resolver()
    .unwrap();
    let answer = resolve(
        &forwarded,
        PROXY,
        &[("forwarded", "for=203.0.113.9, for=198.51.100.4")],
    )
    .unwrap();
    assert_eq!(answer.source(), &ClientIpSource::Forwarded { hop: 1 });
    assert_eq!(
        failure(&forwarded, &[("forwarded", "for=203.0.113.9")]),
        (FailureKind::TooFewEntries, None)
    );
}

#[test]
fn the_peer_policy_falls_back_to_the_trusted_peer() {
    let resolver = builder(Strategy::rightmost_x_forwarded_for())
        .on_failure(FailurePolicy::Peer)
        .build_resolver()
        .unwrap();
    for chain in ["bogus", "10.0.0.3", "unknown", "203.0.113.9,"] {
        let answer = resolve(&resolver, PROXY, &[("x-forwarded-for", chain)]).unwrap();
        assert_eq!(
            answer,
            ClientIp::new(ip(PROXY), ClientIpSource::Peer, true),
            "{chain}"
        );
    }
    assert_eq!(resolve(&resolver, PROXY, &[]).unwrap().addr(), ip(PROXY));
}

#[test]
fn policies_differ_per_kind_of_failure() {
    let resolver = builder(Strategy::rightmost_x_forwarded_for())
        .failure_policies(FailurePolicies {
            too_few_entries: FailurePolicy::Peer,
            ..FailurePolicies::all(FailurePolicy::Reject)
        })
        .build_resolver()
        .unwrap();
    assert_eq!(resolve(&resolver, PROXY, &[]).unwrap().addr(), ip(PROXY));
    assert_eq!(
        failure(&resolver, &[("x-forwarded-for", "bogus")]).0,
        FailureKind::Malformed
    );
    assert_eq!(
        failure(&resolver, &[("x-forwarded-for", "10.0.0.2")]).0,
        FailureKind::AllTrusted
    );
}

#[test]
fn no_peer_is_refused_whatever_the_policy() {
    let resolver = builder(Strategy::rightmost_x_forwarded_for())
        .on_failure(FailurePolicy::Peer)
        .build_resolver()
        .unwrap();
    let error = resolver
        .resolve(None, &headers(&[("x-forwarded-for", "203.0.113.9")]))
        .unwrap_err();
    assert_eq!(error.kind(), FailureKind::NoPeer);
    let error = resolver
        .resolve(Some(ip("0.0.0.0")), &HeaderMap::new())
        .unwrap_err();
    assert_eq!(error.kind(), FailureKind::NoPeer);
    assert_eq!(
        error.rejection().status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

// --- misconfiguration -----------------------------------------------------------

#[test]
fn misconfigurations_are_refused_with_the_field() {
    let cases: Vec<(ClientIpBuilder, &str)> = vec![
        (
            ClientIpBuilder::new(Strategy::rightmost_x_forwarded_for())
                .on_failure(FailurePolicy::Reject),
            "trusted_proxies",
        ),
        (
            builder(Strategy::Peer).trusted_proxies(["0.0.0.0/0".parse().unwrap()]),
            "trusted_proxies[2]",
        ),
        (
            builder(Strategy::Peer).trusted_proxies(["::/0".parse().unwrap()]),
            "trusted_proxies[2]",
        ),
        (
            builder(Strategy::Peer).trusted_proxies(["10.1.2.3/16".parse().unwrap()]),
            "trusted_proxies[2]",
        ),
        (
            ClientIpBuilder::new(Strategy::rightmost_forwarded())
                .trusted_proxies(["10.0.0.0/8".parse().unwrap()]),
            "on_failure",
        ),
        (
            builder(Strategy::RightmostUntrusted { headers: vec![] }),
            "headers",
        ),
        (
            builder(Strategy::RightmostUntrusted {
                headers: vec![ForwardingHeader::Forwarded, ForwardingHeader::Forwarded],
            }),
            "headers[1]",
        ),
        (
            builder(Strategy::TrustedCount {
                header: ForwardingHeader::XForwardedFor,
                hops: 0,
            }),
            "trusted_hops",
        ),
        (
            builder(Strategy::TrustedCount {
                header: ForwardingHeader::XForwardedFor,
                hops: 33,
            }),
            "trusted_hops",
        ),
        (
            builder(Strategy::Header {
                name: HeaderName::from_static("x-forwarded-for"),
            }),
            "header",
        ),
        (builder(Strategy::Peer).max_entries(0), "max_entries"),
        (builder(Strategy::Peer).max_bytes(0), "max_bytes"),
    ];
    for (builder, field) in cases {
        let error = builder.build().unwrap_err();
        assert_eq!(error.field(), field, "{error}");
        assert!(!error.message().is_empty());
    }
}

// --- the layer --------------------------------------------------------------------

async fn echo(request: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, Infallible> {
    let ip = request
        .extensions()
        .get::<ClientIp>()
        .map(|ip| format!("{} {:?}", ip.addr(), ip.source()));
    Ok(Response::new(Full::new(Bytes::from(
        ip.unwrap_or_default(),
    ))))
}

fn request_from(peer: &str, pairs: &[(&str, &str)]) -> Request<Full<Bytes>> {
    let mut request = Request::new(Full::default());
    *request.headers_mut() = headers(pairs);
    request
        .extensions_mut()
        .insert(SocketAddr::new(ip(peer), 40000));
    request
}

async fn body_text<B>(response: Response<B>) -> String
where
    B: http_body::Body<Data = Bytes>,
    B::Error: std::fmt::Debug,
{
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn xff_layer() -> ClientIpLayer {
    builder(Strategy::rightmost_x_forwarded_for())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_layer_stores_the_client_ip_for_the_inner_service() {
    let service = ServiceBuilder::new()
        .layer(xff_layer())
        .service(service_fn(echo));
    let request = request_from(PROXY, &[("x-forwarded-for", "6.6.6.6, 203.0.113.9")]);

    let response = service.oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert!(!response.body().is_rejection());
    assert_eq!(
        body_text(response).await,
        "203.0.113.9 XForwardedFor { hop: 0 }"
    );
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn the_layer_reads_axum_connect_info() {
    let service = ServiceBuilder::new()
        .layer(ClientIpLayer::peer_only())
        .service(service_fn(echo));
    let mut request = Request::new(Full::default());
    let peer = SocketAddr::new(ip("192.0.2.44"), 1234);
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));

    let response = service.oneshot(request).await.unwrap();

    assert_eq!(body_text(response).await, "192.0.2.44 Peer");
}

#[tokio::test]
async fn a_rejection_is_problem_json_and_never_echoes_the_header() {
    let called = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = called.clone();
    let inner = service_fn(move |request: Request<Full<Bytes>>| {
        seen.store(true, std::sync::atomic::Ordering::SeqCst);
        echo(request)
    });
    let service = ServiceBuilder::new().layer(xff_layer()).service(inner);
    let request = request_from(
        PROXY,
        &[("x-forwarded-for", "203.0.113.9, secret-probe-value")],
    );

    let response = service.oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let rejection = response.extensions().get::<Rejection>().unwrap().clone();
    assert_eq!(rejection.layer(), Layer::ClientIp);
    assert_eq!(rejection.code(), "client-ip-malformed");
    let body = body_text(response).await;
    assert!(
        !body.contains("secret-probe-value") && !body.contains("203.0.113.9"),
        "{body}"
    );
    assert!(!called.load(std::sync::atomic::Ordering::SeqCst));
}

#[tokio::test]
async fn a_request_without_a_peer_is_answered_not_panicked_on() {
    let service = ServiceBuilder::new()
        .layer(xff_layer())
        .service(service_fn(echo));
    let response = service
        .oneshot(Request::new(Full::default()))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        response.extensions().get::<Rejection>().unwrap().code(),
        "client-ip-no-peer"
    );
}

#[tokio::test]
async fn an_oversized_chain_is_answered_with_431() {
    let service = ServiceBuilder::new()
        .layer(xff_layer())
        .service(service_fn(echo));
    let huge = "203.0.113.9,".repeat(1000);
    let response = service
        .oneshot(request_from(PROXY, &[("x-forwarded-for", &huge)]))
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
}
