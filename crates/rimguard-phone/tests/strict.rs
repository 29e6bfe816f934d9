//! Strict mode against the corpus: what it refuses on purpose, and that it
//! agrees with lenient parsing on everything it accepts.

use std::collections::BTreeMap;

use rimguard_phone::{ParseError, PhoneNumber, Region, Strictness};
use serde_json::Value;

/// Corpus categories in which strict mode refuses inputs that lenient
/// parsing accepts, and why each is refused on purpose.
const REFUSED_ON_PURPOSE: &[(&str, &str)] = &[
    (
        "wrapped_text",
        "text, tabs or direction marks around the number",
    ),
    (
        "edge",
        "letters (vanity numbers), zero-width and control characters, emoji, two numbers, junk",
    ),
    ("random_junk", "letters and symbols among the digits"),
    ("tel_uri", "none expected: tel: URIs with ;ext= pass"),
];

fn lib_cases() -> impl Iterator<Item = Value> {
    include_str!("data/corpus.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("corpus lines are JSON"))
        .filter(|c| c["mode"] == "lib")
}

fn region(case: &Value) -> Option<Region> {
    case["region"].as_str().and_then(|r| {
        if r.bytes().all(|b| b.is_ascii_uppercase()) {
            Region::new(r)
        } else {
            None
        }
    })
}

#[test]
fn strict_mode_agrees_with_lenient_parsing_whenever_it_accepts() {
    for case in lib_cases() {
        let input = case["input"].as_str().unwrap();
        let strict = PhoneNumber::parse_with(input, region(&case), Strictness::Strict);
        if let Ok(number) = strict {
            assert_eq!(
                Ok(number),
                PhoneNumber::parse(input, region(&case)),
                "{input:?}"
            );
        }
    }
}

#[test]
fn strict_mode_refuses_only_the_listed_categories() {
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    for case in lib_cases() {
        let input = case["input"].as_str().unwrap();
        let lenient = PhoneNumber::parse(input, region(&case));
        let strict = PhoneNumber::parse_with(input, region(&case), Strictness::Strict);
        if let (Ok(_), Err(error)) = (lenient, strict) {
            assert!(
                error.libphonenumber_name().is_none(),
                "{input:?} refused with {error:?}"
            );
            *refused
                .entry(case["category"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    println!("refused by strict mode, lenient would parse: {refused:?}");
    for category in refused.keys() {
        assert!(
            REFUSED_ON_PURPOSE.iter().any(|(c, _)| c == category) && category != "tel_uri",
            "strict mode refused cases of {category}"
        );
    }
    assert!(refused.get("wrapped_text").copied().unwrap_or(0) > 100);
}

#[test]
fn the_plain_shapes_customers_type_pass_strictly() {
    let gb = Region::new("GB");
    for input in [
        "+44 20 7946 0958",
        "(020) 7946-0958",
        "0044 20 7946 0958",
        "+44 (0)20 7946 0958",
        "07911.123.456",
    ] {
        assert!(PhoneNumber::parse_strict(input, gb).is_ok(), "{input}");
    }
}

#[test]
fn the_strict_refusals_say_why() {
    let gb = Region::new("GB");
    let refusal = |input: &str| PhoneNumber::parse_strict(input, gb).unwrap_err();
    assert_eq!(
        refusal("+44 20 7946 0958\u{200B}"),
        ParseError::ForbiddenCharacter
    );
    assert_eq!(
        refusal("\u{202A}+44 20 7946 0958\u{202C}"),
        ParseError::ForbiddenCharacter
    );
    assert_eq!(
        refusal("+44 20 7946 0958\0"),
        ParseError::ForbiddenCharacter
    );
    assert_eq!(refusal("0800 BUY NOW"), ParseError::Letters);
    assert_eq!(
        refusal("my number: +44 20 7946 0958"),
        ParseError::SurroundingText
    );
    assert_eq!(
        refusal("+44 20 7946 0958, +44 20 7946 0959"),
        ParseError::SurroundingText
    );
    assert_eq!(
        refusal(&format!("+44 20 7946 0958{}", " ".repeat(60))),
        ParseError::InputTooLong
    );
}
