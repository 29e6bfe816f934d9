//! Lookups at 10, 1k, 100k and 1M ranges, IPv4 and IPv6, hits and misses:
//! rimguard's compiled table beside `prefix-trie` and a linear scan of a
//! `Vec<IpNet>`, in one run.
//!
//! `cargo bench -p rimguard-ipfilter --bench lookup`

use std::hint::black_box;
use std::net::IpAddr;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use prefix_trie::PrefixMap;
use rimguard_ipfilter::Action;

mod common;
use common::{Rng, ThreadCpuTime, compile, hits, misses, v4_ranges, v6_ranges};

const SIZES: [usize; 4] = [10, 1_000, 100_000, 1_000_000];
/// Probes per case, cycled through so that lookups do not all hit one
/// cached path.
const PROBES: usize = 4096;

/// The linear baseline: every range is checked, the longest match kept.
fn linear(entries: &[(IpNet, Action)], addr: IpAddr) -> Option<Action> {
    let mut best: Option<(u8, Action)> = None;
    for &(net, action) in entries {
        if net.contains(&addr) && best.is_none_or(|(len, _)| net.prefix_len() > len) {
            best = Some((net.prefix_len(), action));
        }
    }
    best.map(|(_, action)| action)
}

/// The trie baseline, one map per family as prefix-trie is built.
struct Trie {
    v4: PrefixMap<Ipv4Net, Action>,
    v6: PrefixMap<Ipv6Net, Action>,
}

impl Trie {
    fn new(entries: &[(IpNet, Action)]) -> Self {
        let mut trie = Trie {
            v4: PrefixMap::new(),
            v6: PrefixMap::new(),
        };
        for &(net, action) in entries {
            match net {
                IpNet::V4(net) => trie.v4.insert(net, action),
                IpNet::V6(net) => trie.v6.insert(net, action),
            };
        }
        trie
    }

    fn lookup(&self, addr: IpAddr) -> Option<Action> {
        match addr {
            IpAddr::V4(v4) => self.v4.get_lpm(&Ipv4Net::from(v4)).map(|(_, &a)| a),
            IpAddr::V6(v6) => self.v6.get_lpm(&Ipv6Net::from(v6)).map(|(_, &a)| a),
        }
    }
}

/// The probes one after the other, round and round (`PROBES` is a power
/// of two, so no division is timed).
///
/// The index goes through `black_box`, not the address: an address passed
/// through `black_box` is stored to the stack and read back at once, and
/// an IPv6 `IpAddr` (17 bytes, its octets at offset 1) is then read back
/// across two stores, which the CPU cannot forward. That stall waits for
/// the previous lookup's loads and made IPv6 lookups look up to 3× slower
/// than they are. Read from the probe array, the address is read as a
/// request's `ClientIp` is: from memory written well before.
fn cycle(probes: &[IpAddr]) -> impl FnMut() -> IpAddr + '_ {
    assert_eq!(probes.len(), PROBES);
    let mut i = 0;
    move || {
        i = (i + 1) & (PROBES - 1);
        probes[black_box(i)]
    }
}

fn family(c: &mut Criterion<ThreadCpuTime>, name: &str, v4: bool) {
    let mut rng = Rng::new(0x5eed_0004);
    for size in SIZES {
        let entries = if v4 {
            v4_ranges(size, &mut rng)
        } else {
            v6_ranges(size, &mut rng)
        };
        let list = compile(&entries);
        let trie = Trie::new(&entries);
        let cases = [
            ("hit", hits(&entries, PROBES, &mut rng)),
            ("miss", misses(&list, v4, PROBES, &mut rng)),
        ];

        for (kind, probes) in &cases {
            for &probe in probes.iter().take(64) {
                assert_eq!(list.lookup(probe).is_some(), trie.lookup(probe).is_some());
            }
            let mut group = c.benchmark_group(format!("lookup/{name}-{kind}"));
            group.sampling_mode(SamplingMode::Flat);
            let mut next = cycle(probes);
            group.bench_function(BenchmarkId::new("rimguard", size), |b| {
                b.iter(|| list.lookup(next()))
            });
            group.bench_function(BenchmarkId::new("prefix-trie", size), |b| {
                b.iter(|| trie.lookup(next()))
            });
            if size <= 100_000 {
                if size == 100_000 {
                    group
                        .sample_size(10)
                        .measurement_time(Duration::from_secs(2));
                }
                group.bench_function(BenchmarkId::new("linear", size), |b| {
                    b.iter(|| linear(&entries, next()))
                });
            }
            group.finish();
        }
    }
}

fn lookups(c: &mut Criterion<ThreadCpuTime>) {
    family(c, "v4", true);
    family(c, "v6", false);
}

fn build(c: &mut Criterion<ThreadCpuTime>) {
    let mut rng = Rng::new(0x5eed_b11d);
    let entries = v4_ranges(100_000, &mut rng);
    let mut group = c.benchmark_group("build");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("rimguard", 100_000), |b| {
        b.iter(|| compile(&entries))
    });
    group.bench_function(BenchmarkId::new("prefix-trie", 100_000), |b| {
        b.iter(|| Trie::new(&entries))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = lookups, build
}
criterion_main!(benches);
