//! First-call latency and peak memory after every region has been used.
//!
//! Run one library per process, so each starts cold:
//!
//! ```text
//! cargo run --release -p rimguard-phone --example peak_memory -- rimguard-phone
//! cargo run --release -p rimguard-phone --example peak_memory -- rlibphonenumber
//! cargo run --release -p rimguard-phone --example peak_memory -- phonenumber
//! ```
//!
//! It times the very first parse + validate + format of the process, then
//! parses, validates and formats the example numbers of every region and
//! non-geographic code (every corpus case, three times), and prints the
//! resident set size from `/proc/self/status` before and after: `VmRSS`
//! (now) and `VmHWM` (the peak). Linux only.
//!
//! With `--warm` it also times warm calls (parse + validate + international
//! format) on the mixed and canonical sets by wall clock and by this
//! thread's CPU time, which a loaded machine disturbs less.

use std::time::Instant;

fn status(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// CPU time of this thread so far (user + system), from `/proc/thread-self/stat`.
fn cpu_seconds() -> f64 {
    let text = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after_name = text.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Per-call wall and CPU time over `seconds` of repeated passes.
fn warm(
    label: &str,
    cases: &[(String, Option<String>)],
    run: fn(&str, Option<&str>) -> usize,
    seconds: f64,
) {
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let mut calls = 0u64;
    let mut sum = 0;
    while wall.elapsed().as_secs_f64() < seconds {
        for (input, region) in cases {
            sum += run(input, region.as_deref());
        }
        calls += cases.len() as u64;
    }
    let per_wall = wall.elapsed().as_secs_f64() / calls as f64 * 1e9;
    let per_cpu = (cpu_seconds() - cpu) / calls as f64 * 1e9;
    println!(
        "warm {label}: {per_wall:.0} ns/call wall, {per_cpu:.0} ns/call CPU ({calls} calls, {sum})"
    );
}

fn cases() -> Vec<(String, Option<String>)> {
    include_str!("../tests/data/corpus.jsonl")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("corpus lines are JSON");
            let input = v["input"].as_str().unwrap_or_default();
            let input = if v["mode"] == "wa_id" {
                format!("+{input}")
            } else {
                input.to_owned()
            };
            (input, v["region"].as_str().map(str::to_owned))
        })
        .collect()
}

fn rimguard(input: &str, region: Option<&str>) -> usize {
    match rimguard_phone::PhoneNumber::parse_with_region_code(input, region) {
        Ok(n) => usize::from(n.is_valid()) + n.format_international().len(),
        Err(_) => 0,
    }
}

fn rlib(input: &str, region: Option<&str>) -> usize {
    use rlibphonenumber::{PhoneNumber, PhoneNumberFormat, Region};
    let region = region.and_then(|r| Region::from_code(r).ok());
    match PhoneNumber::parse(input, region) {
        Ok(n) => usize::from(n.is_valid()) + n.format_as(PhoneNumberFormat::International).len(),
        Err(_) => 0,
    }
}

fn google_port(input: &str, region: Option<&str>) -> usize {
    use phonenumber::{Mode, country};
    let region = region.and_then(|r| r.parse::<country::Id>().ok());
    match phonenumber::parse(region, input) {
        Ok(n) => {
            usize::from(phonenumber::is_valid(&n))
                + n.format().mode(Mode::International).to_string().len()
        }
        Err(_) => 0,
    }
}

fn rimguard_e164(input: &str, region: Option<&str>) -> usize {
    match rimguard_phone::PhoneNumber::parse_with_region_code(input, region) {
        Ok(n) => usize::from(n.is_valid()) + n.e164().as_str().len(),
        Err(_) => 0,
    }
}

fn rlib_e164(input: &str, region: Option<&str>) -> usize {
    use rlibphonenumber::{PhoneNumber, PhoneNumberFormat, Region};
    let region = region.and_then(|r| Region::from_code(r).ok());
    match PhoneNumber::parse(input, region) {
        Ok(n) => usize::from(n.is_valid()) + n.format_as(PhoneNumberFormat::E164).len(),
        Err(_) => 0,
    }
}

fn main() {
    let lib = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "rimguard-phone".into());
    let run: fn(&str, Option<&str>) -> usize = match lib.as_str() {
        "rlibphonenumber" => rlib,
        "phonenumber" => google_port,
        _ => rimguard,
    };
    let cases = cases();
    let before = status("VmRSS:");

    let start = Instant::now();
    let first = run("+44 20 7946 0958", None);
    let first_call = start.elapsed();

    let start = Instant::now();
    let mut sum = first;
    for _ in 0..3 {
        for (input, region) in &cases {
            sum += run(input, region.as_deref());
        }
    }
    let all = start.elapsed();

    println!("library: {lib}");
    println!("first call: {:.1} µs", first_call.as_secs_f64() * 1e6);
    println!(
        "all regions, {} calls: {:.1} ms ({sum})",
        3 * cases.len(),
        all.as_secs_f64() * 1e3
    );
    if std::env::args().any(|a| a == "--warm") {
        let canonical: Vec<(String, Option<String>)> = include_str!("../tests/data/corpus.jsonl")
            .lines()
            .filter_map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).ok()?;
                (v["valid"] == true)
                    .then(|| (v["e164"].as_str().unwrap_or_default().to_owned(), None))
            })
            .collect();
        let mixed: Vec<_> = cases.iter().step_by(5).cloned().collect();
        warm("mixed, international format", &mixed, run, 3.0);
        warm("canonical, international format", &canonical, run, 3.0);
        let e164: Option<fn(&str, Option<&str>) -> usize> = match lib.as_str() {
            "rlibphonenumber" => Some(rlib_e164),
            "phonenumber" => None,
            _ => Some(rimguard_e164),
        };
        if let Some(run) = e164 {
            warm("mixed, E.164", &mixed, run, 3.0);
            warm("canonical, E.164", &canonical, run, 3.0);
        }
    }
    println!(
        "RSS before: {before} kB, after: {} kB, peak: {} kB, growth: {} kB",
        status("VmRSS:"),
        status("VmHWM:"),
        status("VmRSS:").saturating_sub(before)
    );
}
