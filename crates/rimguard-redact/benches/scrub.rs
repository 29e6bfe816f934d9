//! Scrubbing throughput and the cost added to one log event.
//!
//! `scrub/*`: realistic log lines (text and JSON shape, generated with a
//! fixed seed: mostly clean, some with secrets, tokens, cards, phones and
//! e-mail addresses), the full rule set and 100 registered secrets, through
//! the `Redactor` and through a naive baseline on the same rules: one
//! `regex::RegexSet` of every pattern, then each matching regex.
//!
//! `event/*`: one tracing event through a `fmt` subscriber writing to a
//! sink, with and without the `ScrubbingMakeWriter`.
//!
//! Run with `cargo bench -p rimguard-redact --bench scrub`.

use std::borrow::Cow;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use rimguard_redact::{Redactor, ScrubbingMakeWriter, credential_patterns, rules};

/// splitmix64: a small, fixed-seed generator, so every run scrubs the same
/// lines.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| ALPHABET[self.below(ALPHABET.len())] as char)
            .collect()
    }

    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| b"0123456789abcdef"[self.below(16)] as char)
            .collect()
    }
}

fn secrets(rng: &mut Rng) -> Vec<String> {
    (0..100).map(|_| rng.token(32)).collect()
}

/// Something sensitive, of one of the kinds the redactor knows.
fn dirty_value(rng: &mut Rng, secrets: &[String]) -> String {
    match rng.below(9) {
        0 | 1 => secrets[rng.below(secrets.len())].clone(),
        2 => format!("ghp_{}", rng.token(36)),
        3 => format!("AKIA{}", rng.token(16).to_uppercase()),
        4 => format!("sk_live_{}", rng.token(24)),
        5 => "4111 1111 1111 1111".to_owned(),
        6 => format!("+4479{:08}", rng.below(100_000_000)),
        7 => format!("customer{}@example.com", rng.below(1000)),
        _ => format!(
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI{}.{}",
            rng.token(12),
            rng.token(43)
        ),
    }
}

/// One log line: 9 in 10 clean, half text and half JSON.
fn line(rng: &mut Rng, secrets: &[String]) -> String {
    let minute = rng.below(60);
    let micros = rng.below(1_000_000);
    let ts = format!(
        "2026-12-03T11:{minute:02}:{:02}.{micros:06}Z",
        rng.below(60)
    );
    let order = rng.below(1_000_000);
    let ms = rng.below(400);
    let ip = format!("203.0.113.{}", rng.below(255));
    let rid = format!("{}-{}-{}", rng.hex(8), rng.hex(4), rng.hex(12));
    let status = [200, 200, 200, 201, 204, 304, 404, 429][rng.below(8)];
    let dirty = rng.below(10) == 0;
    let extra = if dirty {
        dirty_value(rng, secrets)
    } else {
        format!("sku-{}", rng.hex(6))
    };
    if rng.below(2) == 0 {
        format!(
            "{ts}  INFO rimguard::ratelimit: request allowed method=GET path=/api/v1/orders/{order} \
             status={status} latency_ms={ms} client_ip={ip} request_id={rid} note=\"lookup {extra}\"\n"
        )
    } else {
        format!(
            "{{\"timestamp\":\"{ts}\",\"level\":\"INFO\",\"fields\":{{\"message\":\"request allowed\",\
             \"method\":\"GET\",\"path\":\"/api/v1/orders/{order}\",\"status\":{status},\"latency_ms\":{ms},\
             \"client_ip\":\"{ip}\",\"request_id\":\"{rid}\",\"note\":\"lookup {extra}\"}},\
             \"target\":\"rimguard::ratelimit\"}}\n"
        )
    }
}

fn corpus() -> (Vec<String>, Vec<String>) {
    let mut rng = Rng(0x7269_6d67_7561_7264);
    let secrets = secrets(&mut rng);
    let lines = (0..4000).map(|_| line(&mut rng, &secrets)).collect();
    (secrets, lines)
}

fn redactor(secrets: &[String]) -> Redactor {
    secrets
        .iter()
        .fold(Redactor::builder(), |b, s| b.secret_bytes(s.as_bytes()))
        .fingerprint_key_bytes(b"bench fingerprint key, 32 bytes!")
        .build()
        .expect("the bench rules are valid")
}

/// The naive baseline: every rule as a regex, one `RegexSet` to see which
/// apply, then `replace_all` with each of those.
struct Naive {
    set: RegexSet,
    regexes: Vec<Regex>,
}

fn alternation(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| regex::escape(n))
        .collect::<Vec<_>>()
        .join("|")
}

impl Naive {
    fn new(secrets: &[String]) -> Self {
        let mut patterns: Vec<String> = secrets.iter().map(|s| regex::escape(s)).collect();
        patterns.extend(credential_patterns().iter().map(|p| p.regex().to_owned()));
        let names: Vec<&str> = rules::DEFAULT_HEADERS
            .iter()
            .chain(rules::DEFAULT_FIELDS)
            .copied()
            .collect();
        patterns.push(format!(
            r#"(?i)(?:{})["']?\s*[:=]\s*"?[^"\s,;&]+"#,
            alternation(&names)
        ));
        patterns.push(format!(
            r#"[?&](?:{})=[^&#\s"]+"#,
            alternation(rules::DEFAULT_QUERY_PARAMS)
        ));
        patterns.push(r"(?i)\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}".to_owned());
        patterns.push(r"\b[2-6](?:[ -]?[0-9]){12,18}\b".to_owned());
        patterns.push(r"(?:\+|\b)[0-9][0-9 .()-]{7,18}[0-9]\b".to_owned());
        patterns.push(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}".to_owned());

        let set = RegexSetBuilder::new(&patterns)
            .size_limit(1 << 28)
            .dfa_size_limit(1 << 28)
            .build()
            .expect("the baseline patterns compile");
        let regexes = patterns
            .iter()
            .map(|p| {
                RegexBuilder::new(p)
                    .size_limit(1 << 26)
                    .build()
                    .expect("each pattern compiles")
            })
            .collect();
        Self { set, regexes }
    }

    fn scrub<'a>(&self, line: &'a [u8]) -> Cow<'a, [u8]> {
        let mut out = Cow::Borrowed(line);
        for i in self.set.matches(line).iter() {
            let replaced = self.regexes[i]
                .replace_all(&out, &b"[redacted]"[..])
                .into_owned();
            out = Cow::Owned(replaced);
        }
        out
    }
}

fn scrub_throughput(c: &mut Criterion) {
    let (secrets, lines) = corpus();
    let bytes: usize = lines.iter().map(String::len).sum();
    let redactor = redactor(&secrets);
    let naive = Naive::new(&secrets);

    interleaved(&lines, bytes, &redactor, &naive);

    let mut group = c.benchmark_group("scrub");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("redactor", |b| b.iter(|| redactor_pass(&lines, &redactor)));
    group.bench_function("naive_regex_set", |b| b.iter(|| naive_pass(&lines, &naive)));
    group.finish();
}

/// The machine the figures come from is shared and its load moves within
/// seconds, so besides criterion's figures (one engine after the other),
/// this times 31 rounds in which the two alternate, and prints the median
/// of each and the median of the per-round ratios (each round's two times
/// are taken a few milliseconds apart, under nearly the same load), with
/// the best round of each for comparison.
fn interleaved(lines: &[String], bytes: usize, redactor: &Redactor, naive: &Naive) {
    const ROUNDS: usize = 31;
    let mut fast = Vec::with_capacity(ROUNDS);
    let mut slow = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        redactor_pass(lines, redactor);
        fast.push(start.elapsed().as_secs_f64());
        let start = Instant::now();
        naive_pass(lines, naive);
        slow.push(start.elapsed().as_secs_f64());
    }
    let mut ratios: Vec<f64> = slow.iter().zip(&fast).map(|(s, f)| s / f).collect();
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ratio = median(&mut ratios);
    let (worst_ratio, best_ratio) = (ratios[0], ratios[ratios.len() - 1]);
    let mb = bytes as f64 / 1e6;
    let (best_fast, best_slow) = (
        fast.iter().copied().fold(f64::MAX, f64::min),
        slow.iter().copied().fold(f64::MAX, f64::min),
    );
    eprintln!(
        "interleaved, {ROUNDS} rounds: median redactor {:.0} MB/s, naive RegexSet {:.0} MB/s; \
         median per-round ratio {ratio:.1} (range {worst_ratio:.1}-{best_ratio:.1}); \
         best rounds {:.0} vs {:.0} MB/s, ratio of bests {:.1}",
        mb / median(&mut fast),
        mb / median(&mut slow),
        mb / best_fast,
        mb / best_slow,
        best_slow / best_fast,
    );
}

/// One pass of the redactor over the corpus (a separate function, so
/// callgrind can count it alone: `--toggle-collect=*redactor_pass*`).
#[inline(never)]
fn redactor_pass(lines: &[String], redactor: &Redactor) {
    for line in lines {
        black_box(redactor.scrub_bytes(black_box(line.as_bytes())));
    }
}

/// One pass of the baseline over the corpus (`--toggle-collect=*naive_pass*`).
#[inline(never)]
fn naive_pass(lines: &[String], naive: &Naive) {
    for line in lines {
        black_box(naive.scrub(black_box(line.as_bytes())));
    }
}

/// With `RIMGUARD_REDACT_PROFILE=redactor` (or `naive`) in the environment,
/// the bench binary builds the corpus, scrubs it once to warm up (the
/// verifiers' and the baseline's lazy DFA caches), then runs that engine's
/// pass three times and exits, for `valgrind --tool=callgrind
/// --toggle-collect=*redactor_pass*` (or `*naive_pass*`): instruction
/// counts do not depend on the machine's load. Returns false when the
/// variable is not set.
fn profile_run() -> bool {
    let Ok(which) = std::env::var("RIMGUARD_REDACT_PROFILE") else {
        return false;
    };
    let (secrets, lines) = corpus();
    let bytes: usize = lines.iter().map(String::len).sum();
    match which.as_str() {
        "redactor" => {
            let redactor = redactor(&secrets);
            for line in &lines {
                black_box(redactor.scrub_bytes(black_box(line.as_bytes())));
            }
            (0..3).for_each(|_| redactor_pass(&lines, &redactor));
        }
        "naive" => {
            let naive = Naive::new(&secrets);
            for line in &lines {
                black_box(naive.scrub(black_box(line.as_bytes())));
            }
            (0..3).for_each(|_| naive_pass(&lines, &naive));
        }
        other => panic!("RIMGUARD_REDACT_PROFILE is `redactor` or `naive`, not `{other}`"),
    }
    eprintln!("{which}: 3 passes over {bytes} bytes");
    true
}

fn event_cost(c: &mut Criterion) {
    let (secrets, _) = corpus();
    let redactor = redactor(&secrets);
    let mut group = c.benchmark_group("event");
    let log = || {
        tracing::info!(
            method = "GET",
            path = "/api/v1/orders/123456",
            status = 200,
            latency_ms = 12,
            client_ip = "203.0.113.7",
            "request allowed"
        )
    };

    let plain = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(std::io::sink)
        .finish();
    tracing::subscriber::with_default(plain, || {
        group.bench_function("text_plain_writer", |b| b.iter(log))
    });
    let scrubbed = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(ScrubbingMakeWriter::new(std::io::sink, redactor.clone()))
        .finish();
    tracing::subscriber::with_default(scrubbed, || {
        group.bench_function("text_scrubbing_writer", |b| b.iter(log))
    });

    let plain = tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::sink)
        .finish();
    tracing::subscriber::with_default(plain, || {
        group.bench_function("json_plain_writer", |b| b.iter(log))
    });
    let scrubbed = tracing_subscriber::fmt()
        .json()
        .with_writer(ScrubbingMakeWriter::new(std::io::sink, redactor))
        .finish();
    tracing::subscriber::with_default(scrubbed, || {
        group.bench_function("json_scrubbing_writer", |b| b.iter(log))
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = scrub_throughput, event_cost
}
fn main() {
    if profile_run() {
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
