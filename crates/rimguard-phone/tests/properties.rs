//! Property tests: no input panics; formatting and parsing again gives the same number.

use proptest::prelude::*;
use rimguard_phone::{PhoneNumber, Region, Strictness, whatsapp};

static VALID: std::sync::LazyLock<Vec<PhoneNumber>> = std::sync::LazyLock::new(valid_numbers);

fn valid_numbers() -> Vec<PhoneNumber> {
    include_str!("data/corpus.jsonl")
        .lines()
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            (v["valid"] == true)
                .then(|| PhoneNumber::parse_international(v["e164"].as_str()?).ok())?
        })
        .collect()
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9+() .\\-#*x;=a-zA-Z\u{FF10}-\u{FF19}\u{0660}-\u{0669}\u{200B}\u{202A}]{0,40}",
        "(tel:)?\\+?[0-9]{1,20}(;ext=[0-9]{0,25})?(;phone-context=[a-z0-9.+\\-]{0,10})?(;isub=[0-9]{0,4})?",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn no_input_panics(input in any_text(), region in prop::sample::select(vec![None, Some("GB"), Some("US"), Some("BR"), Some("gb"), Some("ZZ")])) {
        let strictness = [Strictness::Lenient, Strictness::Strict];
        if let Ok(n) = PhoneNumber::parse_with_region_code(&input, region) {
            let _ = (n.is_valid(), n.is_possible(), n.number_type(), n.region_code());
            let _ = (n.format_international(), n.format_national(), n.format_rfc3966(), n.masked().to_string());
        }
        for s in strictness {
            let _ = PhoneNumber::parse_with(&input, region.and_then(Region::new), s);
        }
        let _ = PhoneNumber::parse_wa_id(&input);
        let _ = rimguard_phone::parse_wa_sender(&input);
        let _ = whatsapp::candidates(&input);
    }

    #[test]
    fn formatting_then_parsing_gives_the_same_number(
        index in any::<prop::sample::Index>(),
        tail in "[0-9]{0,2}",
    ) {
        let numbers = &*VALID;
        let base = numbers[index.index(numbers.len())];
        let mut e164 = base.e164().as_str().to_owned();
        e164.truncate(e164.len() - tail.len());
        e164.push_str(&tail);
        let Ok(number) = PhoneNumber::parse_international(&e164) else { return Ok(()) };

        prop_assert_eq!(PhoneNumber::parse_international(number.e164().as_str()), Ok(number));
        prop_assert_eq!(PhoneNumber::parse_international(&number.format_international()), Ok(number));
        prop_assert_eq!(PhoneNumber::parse_international(&number.format_rfc3966()), Ok(number));
        if number.is_valid()
            && let Some(region) = number.region() {
                prop_assert_eq!(PhoneNumber::parse(&number.format_national(), Some(region)), Ok(number), "national {}", number.format_national());
            }
    }
}
