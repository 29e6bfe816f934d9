//! Parse + validate + format per number, beside `phonenumber` and `rlibphonenumber`.
//!
//! Groups:
//! - `mixed`: every 5th case of the corpus (1,000 inputs of every shape and
//!   region), parsed with the case's default region, then validated and
//!   formatted as E.164 when it parsed;
//! - `canonical`: the E.164 form of every valid corpus number, and every
//!   valid WhatsApp id (`+` prepended for the peers, which have no wa_id mode);
//! - `two_threads`: the mixed set on two threads at once (throughput).
//!
//! Run: `cargo bench -p rimguard-phone --bench phone -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;

struct Case {
    input: String,
    region: Option<String>,
    wa_id: bool,
}

fn corpus() -> Vec<Value> {
    include_str!("../tests/data/corpus.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("corpus lines are JSON"))
        .collect()
}

fn mixed() -> Vec<Case> {
    corpus()
        .iter()
        .step_by(5)
        .map(|c| Case {
            input: c["input"].as_str().unwrap_or_default().to_owned(),
            region: c["region"].as_str().map(str::to_owned),
            wa_id: c["mode"] == "wa_id",
        })
        .collect()
}

fn canonical() -> Vec<Case> {
    let all = corpus();
    let e164 = all
        .iter()
        .filter(|c| c["valid"] == true)
        .filter_map(|c| c["e164"].as_str());
    let mut cases: Vec<Case> = e164
        .map(|e| Case {
            input: e.to_owned(),
            region: None,
            wa_id: false,
        })
        .collect();
    cases.sort_by(|a, b| a.input.cmp(&b.input));
    cases.dedup_by(|a, b| a.input == b.input);
    let wa = all
        .iter()
        .filter(|c| c["mode"] == "wa_id" && c["valid"] == true);
    cases.extend(wa.map(|c| Case {
        input: c["input"].as_str().unwrap_or_default().to_owned(),
        region: None,
        wa_id: true,
    }));
    cases
}

fn rimguard(case: &Case) -> usize {
    use rimguard_phone::PhoneNumber;
    let parsed = if case.wa_id {
        PhoneNumber::parse_wa_id(&case.input)
    } else {
        PhoneNumber::parse_with_region_code(&case.input, case.region.as_deref())
    };
    match parsed {
        Ok(n) => usize::from(n.is_valid()) + n.e164().as_str().len(),
        Err(_) => 0,
    }
}

fn peer_input(case: &Case) -> std::borrow::Cow<'_, str> {
    if case.wa_id {
        format!("+{}", case.input).into()
    } else {
        case.input.as_str().into()
    }
}

fn rlib(case: &Case) -> usize {
    use rlibphonenumber::{PhoneNumber, PhoneNumberFormat, Region};
    let region = case
        .region
        .as_deref()
        .and_then(|r| Region::from_code(r).ok());
    match PhoneNumber::parse(peer_input(case), region) {
        Ok(n) => usize::from(n.is_valid()) + n.format_as(PhoneNumberFormat::E164).len(),
        Err(_) => 0,
    }
}

fn google_port(case: &Case) -> usize {
    use phonenumber::{Mode, country};
    let region = case
        .region
        .as_deref()
        .and_then(|r| r.parse::<country::Id>().ok());
    match phonenumber::parse(region, peer_input(case)) {
        Ok(n) => {
            usize::from(phonenumber::is_valid(&n)) + n.format().mode(Mode::E164).to_string().len()
        }
        Err(_) => 0,
    }
}

type Lib = (&'static str, fn(&Case) -> usize);

const LIBS: [Lib; 3] = [
    ("rimguard-phone", rimguard),
    ("rlibphonenumber", rlib),
    ("phonenumber", google_port),
];

fn per_number(c: &mut Criterion, group: &str, cases: &[Case]) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(cases.len() as u64));
    for (name, run) in LIBS {
        if name == "phonenumber" {
            g.sample_size(10);
        }
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| cases.iter().map(|case| run(black_box(case))).sum::<usize>())
        });
    }
    g.finish();
}

fn two_threads(c: &mut Criterion, cases: &[Case]) {
    let mut g = c.benchmark_group("two_threads");
    g.throughput(Throughput::Elements(2 * cases.len() as u64));
    for (name, run) in LIBS {
        if name == "phonenumber" {
            g.sample_size(10);
        }
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                std::thread::scope(|s| {
                    for _ in 0..2 {
                        s.spawn(|| {
                            for _ in 0..iters {
                                black_box(
                                    cases.iter().map(|case| run(black_box(case))).sum::<usize>(),
                                );
                            }
                        });
                    }
                });
                start.elapsed()
            })
        });
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    let mixed = mixed();
    let canonical = canonical();
    per_number(c, "mixed", &mixed);
    per_number(c, "canonical", &canonical);
    two_threads(c, &mixed);
}

criterion_group! {
    name = phone;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(phone);
