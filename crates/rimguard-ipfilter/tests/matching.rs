//! The matching rules of a compiled list.

mod common;

use std::net::IpAddr;

use common::Logs;
use rimguard_ipfilter::{Action, HostBits, IpList, Verdict};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn the_longest_prefix_wins_whichever_list_it_is_in() {
    let list = IpList::builder()
        .allow("10.0.0.0/8")
        .deny("10.6.0.0/16")
        .allow("10.6.6.0/24")
        .deny("10.6.6.6")
        .build()
        .unwrap();

    assert_eq!(list.check(ip("10.1.1.1")), Verdict::Allowed);
    assert_eq!(list.check(ip("10.6.1.1")), Verdict::Denied);
    assert_eq!(list.check(ip("10.6.6.1")), Verdict::Allowed);
    assert_eq!(list.check(ip("10.6.6.6")), Verdict::Denied);
    assert_eq!(list.check(ip("11.0.0.1")), Verdict::NotListed);
}

#[test]
fn the_order_of_the_entries_does_not_matter() {
    let forwards = IpList::builder()
        .allow("10.0.0.0/8")
        .deny("10.6.0.0/16")
        .build()
        .unwrap();
    let backwards = IpList::builder()
        .deny("10.6.0.0/16")
        .allow("10.0.0.0/8")
        .build()
        .unwrap();
    for probe in ["10.6.0.1", "10.7.0.1", "9.0.0.1"] {
        assert_eq!(
            forwards.check(ip(probe)),
            backwards.check(ip(probe)),
            "{probe}"
        );
    }
}

#[test]
fn a_range_both_allowed_and_denied_is_denied() {
    let list = IpList::builder()
        .allow("192.0.2.0/24")
        .deny("192.0.2.0/24")
        .build()
        .unwrap();
    assert_eq!(list.lookup(ip("192.0.2.1")), Some(Action::Deny));
    assert_eq!(list.check(ip("192.0.2.1")), Verdict::Denied);
}

#[test]
fn a_list_of_deny_ranges_only_lets_the_rest_through() {
    let list = IpList::builder()
        .deny("192.0.2.0/24")
        .deny("2001:db8::/32")
        .build()
        .unwrap();
    assert_eq!(list.check(ip("192.0.2.1")), Verdict::Denied);
    assert_eq!(list.check(ip("198.51.100.1")), Verdict::Allowed);
    assert_eq!(list.check(ip("2001:db9::1")), Verdict::Allowed);
}

#[test]
fn an_empty_list_refuses_everyone() {
    let list = IpList::builder().build().unwrap();
    assert!(list.is_empty());
    assert_eq!(list.check(ip("192.0.2.1")), Verdict::NotListed);
    assert_eq!(list.check(ip("::1")), Verdict::NotListed);
}

#[test]
fn a_bare_address_is_one_host() {
    let list = IpList::builder()
        .allow("192.0.2.7")
        .allow("2001:db8::7")
        .build()
        .unwrap();
    assert!(list.check(ip("192.0.2.7")).is_allowed());
    assert!(!list.check(ip("192.0.2.6")).is_allowed());
    assert!(!list.check(ip("192.0.2.8")).is_allowed());
    assert!(list.check(ip("2001:db8::7")).is_allowed());
    assert!(!list.check(ip("2001:db8::8")).is_allowed());
}

#[test]
fn the_whole_space_and_its_edges_are_ranges_like_any_other() {
    let list = IpList::builder()
        .allow("0.0.0.0/0")
        .deny("0.0.0.0/32")
        .deny("255.255.255.255")
        .deny("::/128")
        .allow("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
        .build()
        .unwrap();
    assert_eq!(list.check(ip("0.0.0.0")), Verdict::Denied);
    assert_eq!(list.check(ip("0.0.0.1")), Verdict::Allowed);
    assert_eq!(list.check(ip("255.255.255.254")), Verdict::Allowed);
    assert_eq!(list.check(ip("255.255.255.255")), Verdict::Denied);
    assert_eq!(list.check(ip("::")), Verdict::Denied);
    assert_eq!(
        list.check(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")),
        Verdict::Allowed
    );
    assert_eq!(
        list.check(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")),
        Verdict::NotListed
    );
}

#[test]
fn ipv4_ranges_match_ipv4_mapped_clients() {
    let list = IpList::builder()
        .allow("203.0.113.0/24")
        .deny("203.0.113.66")
        .build()
        .unwrap();
    assert_eq!(list.check(ip("::ffff:203.0.113.10")), Verdict::Allowed);
    assert_eq!(list.check(ip("::ffff:203.0.113.66")), Verdict::Denied);
    assert_eq!(list.check(ip("::ffff:198.51.100.1")), Verdict::NotListed);
}

#[test]
fn mapped_ranges_are_read_as_ipv4() {
    let list = IpList::builder()
        .allow("::ffff:203.0.113.0/120")
        .build()
        .unwrap();
    assert!(list.has_ipv4());
    assert!(!list.has_ipv6());
    assert!(list.check(ip("203.0.113.9")).is_allowed());
    assert!(list.check(ip("::ffff:203.0.113.9")).is_allowed());
}

#[test]
fn families_do_not_leak_into_each_other() {
    // ::c000:0201 holds the bits of 192.0.2.1 but is not a mapped address.
    let list = IpList::builder()
        .allow("192.0.2.0/24")
        .allow("2001:db8::/32")
        .build()
        .unwrap();
    assert!(!list.check(ip("::c000:201")).is_allowed());
    assert!(!list.check(ip("::192.0.2.1")).is_allowed());
    assert!(list.check(ip("2001:db8::1")).is_allowed());
}

#[test]
fn a_one_family_list_warns_once_about_the_other_family() {
    let (logs, _guard) = Logs::capture();
    let list = IpList::builder()
        .name("office")
        .allow("203.0.113.0/24")
        .build()
        .unwrap();
    let layer = rimguard_ipfilter::IpFilterLayer::new(list);
    let service = tower::ServiceBuilder::new()
        .layer(layer)
        .service_fn(common::inner);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        use tower::ServiceExt;
        for _ in 0..3 {
            let response = service
                .clone()
                .oneshot(common::from("2001:db8::1"))
                .await
                .unwrap();
            assert_eq!(response.status(), 403);
        }
        let response = service
            .clone()
            .oneshot(common::from("203.0.113.1"))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    });

    let warnings = logs.lines_with("no IPv6 range");
    assert_eq!(warnings.len(), 1, "{}", logs.text());
    assert!(
        warnings[0].contains("WARN") && warnings[0].contains("list=\"office\""),
        "{warnings:?}"
    );
    assert!(warnings[0].contains("refused"), "{warnings:?}");
    assert!(
        !logs.text().contains("2001:db8::1"),
        "the address is not logged"
    );
}

#[test]
fn host_bits_are_refused_naming_the_entry() {
    let error = IpList::builder()
        .allow("10.0.0.0/8")
        .allow("192.0.2.1/24")
        .build()
        .unwrap_err();
    assert_eq!(error.field(), "allow[1]");
    assert!(error.message().contains("`192.0.2.1/24`"), "{error}");
    assert!(error.message().contains("192.0.2.0/24"), "{error}");
}

#[test]
fn host_bits_can_be_truncated_with_a_warning_naming_the_entry() {
    let (logs, _guard) = Logs::capture();
    let list = IpList::builder()
        .name("office")
        .on_host_bits(HostBits::Truncate)
        .deny("192.0.2.1/24")
        .build()
        .unwrap();

    assert_eq!(list.check(ip("192.0.2.200")), Verdict::Denied);
    let warnings = logs.lines_with("host bits");
    assert_eq!(warnings.len(), 1, "{}", logs.text());
    assert!(warnings[0].contains("WARN"), "{warnings:?}");
    assert!(
        warnings[0].contains("entry=\"192.0.2.1/24\""),
        "{warnings:?}"
    );
    assert!(warnings[0].contains("used=192.0.2.0/24"), "{warnings:?}");
    assert!(warnings[0].contains("origin=\"deny[0]\""), "{warnings:?}");
}

#[test]
fn parsed_ranges_go_through_the_same_checks() {
    let net: ipnet::IpNet = "10.1.2.3/8".parse().unwrap();
    let error = IpList::builder().allow_nets([net]).build().unwrap_err();
    assert_eq!(error.field(), "allow[0]");

    let list = IpList::builder()
        .deny_nets(["10.0.0.0/8".parse().unwrap()])
        .build()
        .unwrap();
    assert_eq!(list.check(ip("10.2.3.4")), Verdict::Denied);
}

#[test]
fn malformed_entries_are_refused_with_their_field() {
    for (entry, fragment) in [
        ("10.0.0.0/33", "not a CIDR range"),
        ("10.0.0", "not an IP address"),
        ("", "not an IP address"),
        ("office", "not an IP address"),
    ] {
        let error = IpList::builder()
            .allow("10.0.0.0/8")
            .deny(entry)
            .build()
            .unwrap_err();
        assert_eq!(error.field(), "deny[0]", "{entry}");
        assert!(error.message().contains(fragment), "{entry}: {error}");
    }
}
