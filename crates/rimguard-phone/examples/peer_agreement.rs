//! How often each library agrees with libphonenumber on the corpus.
//!
//! `cargo run --release -p rimguard-phone --example peer_agreement`
//!
//! A case agrees when the library parses exactly the inputs libphonenumber
//! parses, says valid exactly when it does, and gives the same E.164 for the
//! valid ones (the WhatsApp cases are parsed as `"+" + id`).

use serde_json::Value;

type Lib = (&'static str, fn(&str, Option<&str>) -> Seen);

struct Seen {
    parsed: bool,
    valid: bool,
    e164: Option<String>,
}

fn rimguard(input: &str, region: Option<&str>) -> Seen {
    match rimguard_phone::PhoneNumber::parse_with_region_code(input, region) {
        Ok(n) => Seen {
            parsed: true,
            valid: n.is_valid(),
            e164: Some(n.e164().to_string()),
        },
        Err(_) => Seen {
            parsed: false,
            valid: false,
            e164: None,
        },
    }
}

fn rlib(input: &str, region: Option<&str>) -> Seen {
    use rlibphonenumber::{PhoneNumber, PhoneNumberFormat, Region};
    let region = region.and_then(|r| Region::from_code(r).ok());
    match PhoneNumber::parse(input, region) {
        Ok(n) => Seen {
            parsed: true,
            valid: n.is_valid(),
            e164: Some(n.format_as(PhoneNumberFormat::E164).into_owned()),
        },
        Err(_) => Seen {
            parsed: false,
            valid: false,
            e164: None,
        },
    }
}

fn google_port(input: &str, region: Option<&str>) -> Seen {
    use phonenumber::{Mode, country};
    let region = region.and_then(|r| r.parse::<country::Id>().ok());
    match phonenumber::parse(region, input) {
        Ok(n) => Seen {
            parsed: true,
            valid: phonenumber::is_valid(&n),
            e164: Some(n.format().mode(Mode::E164).to_string()),
        },
        Err(_) => Seen {
            parsed: false,
            valid: false,
            e164: None,
        },
    }
}

fn main() {
    let cases: Vec<Value> = include_str!("../tests/data/corpus.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("corpus lines are JSON"))
        .collect();
    let libs: [Lib; 3] = [
        ("rimguard-phone", rimguard),
        ("rlibphonenumber", rlib),
        ("phonenumber", google_port),
    ];
    for (name, run) in libs {
        let mut agree = 0;
        for case in &cases {
            let raw = case["input"].as_str().unwrap_or_default();
            let input = if case["mode"] == "wa_id" {
                format!("+{raw}")
            } else {
                raw.to_owned()
            };
            let region = if case["mode"] == "wa_id" {
                None
            } else {
                case["region"].as_str()
            };
            let seen = std::panic::catch_unwind(|| run(&input, region)).unwrap_or(Seen {
                parsed: false,
                valid: true,
                e164: None,
            });
            let valid = case["valid"] == true;
            let same = seen.parsed == case["error"].is_null()
                && seen.valid == valid
                && (!valid || seen.e164.as_deref() == case["e164"].as_str());
            agree += usize::from(same);
        }
        let share = 100.0 * agree as f64 / cases.len() as f64;
        println!("{name}: {agree}/{} agree ({share:.2}%)", cases.len());
    }
}
