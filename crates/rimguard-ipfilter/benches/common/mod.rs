//! Random ranges and probes with a fixed seed, shared by the benches.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use rimguard_ipfilter::{Action, IpList};

/// A xorshift generator: the same ranges on every run, without a
/// dependency.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `n` IPv4 ranges: mostly /24, some /32 and /16../23, one in ten denied.
pub(crate) fn v4_ranges(n: usize, rng: &mut Rng) -> Vec<(IpNet, Action)> {
    (0..n)
        .map(|_| {
            let len = match rng.below(10) {
                0..=5 => 24,
                6 | 7 => 32,
                _ => 16 + rng.below(8) as u8,
            };
            let net = Ipv4Net::new(Ipv4Addr::from(rng.next() as u32), len)
                .unwrap()
                .trunc();
            (IpNet::V4(net), action(rng))
        })
        .collect()
}

/// `n` IPv6 ranges inside 2000::/4 (where real allocations are), /32 to
/// /64 and some /128, one in ten denied.
pub(crate) fn v6_ranges(n: usize, rng: &mut Rng) -> Vec<(IpNet, Action)> {
    (0..n)
        .map(|_| {
            let len = match rng.below(10) {
                0..=3 => 48,
                4..=6 => 32 + rng.below(33) as u8,
                _ => 128,
            };
            let addr = global_v6(rng);
            let net = Ipv6Net::new(addr, len).unwrap().trunc();
            (IpNet::V6(net), action(rng))
        })
        .collect()
}

fn global_v6(rng: &mut Rng) -> Ipv6Addr {
    let bits = (u128::from(rng.next()) << 64) | u128::from(rng.next());
    Ipv6Addr::from((0x2u128 << 124) | (bits >> 4))
}

fn action(rng: &mut Rng) -> Action {
    if rng.below(10) == 0 {
        Action::Deny
    } else {
        Action::Allow
    }
}

/// The compiled list of `entries`.
pub(crate) fn compile(entries: &[(IpNet, Action)]) -> IpList {
    let allow = entries.iter().filter(|e| e.1 == Action::Allow).map(|e| e.0);
    let deny = entries.iter().filter(|e| e.1 == Action::Deny).map(|e| e.0);
    IpList::builder()
        .allow_nets(allow)
        .deny_nets(deny)
        .build()
        .expect("generated ranges are valid")
}

/// `count` addresses, each inside a randomly chosen range.
pub(crate) fn hits(entries: &[(IpNet, Action)], count: usize, rng: &mut Rng) -> Vec<IpAddr> {
    (0..count)
        .map(|_| {
            let net = entries[rng.below(entries.len() as u64) as usize].0;
            match net {
                IpNet::V4(net) => {
                    let host = (rng.next() as u32) & !u32::from(net.netmask());
                    IpAddr::V4((u32::from(net.network()) | host).into())
                }
                IpNet::V6(net) => {
                    let random = (u128::from(rng.next()) << 64) | u128::from(rng.next());
                    let host = random & !u128::from(net.netmask());
                    IpAddr::V6((u128::from(net.network()) | host).into())
                }
            }
        })
        .collect()
}

/// `count` addresses of the family of `entries` that no range covers.
pub(crate) fn misses(list: &IpList, v4: bool, count: usize, rng: &mut Rng) -> Vec<IpAddr> {
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let addr = if v4 {
            IpAddr::V4(Ipv4Addr::from(rng.next() as u32))
        } else {
            IpAddr::V6(global_v6(rng))
        };
        if list.lookup(addr).is_none() {
            out.push(addr);
        }
    }
    out
}

/// The CPU time of the benchmarking thread, as Linux counts it in
/// `/proc/thread-self/schedstat`.
///
/// The benches run on a shared 2-core machine where the bench thread often
/// gets a fraction of a core: wall time then counts the time other
/// processes ran. CPU time counts only this thread's. Linux updates the
/// figure at each scheduler tick and switch, so the benches use flat
/// sampling with samples of tens of milliseconds.
pub(crate) struct ThreadCpuTime;

fn thread_cpu_ns() -> u64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("the benches measure CPU time through Linux's schedstat");
    let first = text
        .split_whitespace()
        .next()
        .and_then(|ns| ns.parse().ok());
    first.expect("schedstat starts with the nanoseconds spent on a CPU")
}

impl criterion::measurement::Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_ns()
    }

    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns().saturating_sub(start)
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }

    fn formatter(&self) -> &dyn criterion::measurement::ValueFormatter {
        &Nanos
    }
}

/// Formats nanoseconds of CPU time as criterion formats wall time.
struct Nanos;

impl criterion::measurement::ValueFormatter for Nanos {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (divisor, unit) = match typical {
            t if t < 1e3 => (1.0, "ns"),
            t if t < 1e6 => (1e3, "µs"),
            t if t < 1e9 => (1e6, "ms"),
            _ => (1e9, "s"),
        };
        values.iter_mut().for_each(|v| *v /= divisor);
        unit
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &criterion::Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let per = match throughput {
            criterion::Throughput::Elements(n) => *n as f64,
            _ => 1.0,
        };
        values.iter_mut().for_each(|v| *v = per * 1e9 / *v);
        "elem/s"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

/// The configuration every bench here uses: CPU time, flat samples, short
/// runs.
pub(crate) fn criterion() -> criterion::Criterion<ThreadCpuTime> {
    criterion::Criterion::default()
        .with_measurement(ThreadCpuTime)
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_millis(1200))
        .sample_size(20)
}
