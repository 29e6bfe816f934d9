//! libphonenumber's behaviour on the shapes the issue names, one sentence each.
//! Expected values were taken from libphonenumber's Python port 9.0.43.

use rimguard_phone::{NumberType, PhoneNumber, Region};

fn parse(input: &str, region: Option<&str>) -> PhoneNumber {
    PhoneNumber::parse(input, region.and_then(Region::new)).expect("the input parses")
}

/// E.164, international, national and RFC 3966 forms, validity and region code.
fn forms(n: &PhoneNumber) -> (String, String, String, String, bool, Option<&'static str>) {
    let e164 = n.e164().to_string();
    (
        e164,
        n.format_international(),
        n.format_national(),
        n.format_rfc3966(),
        n.is_valid(),
        n.region_code(),
    )
}

#[test]
fn international_prefixes_depend_on_the_default_region() {
    for (input, region) in [
        ("011 44 20 7946 0958", "US"),
        ("0011 44 20 7946 0958", "AU"),
        ("8 10 44 20 7946 0958", "RU"),
    ] {
        assert_eq!(
            parse(input, Some(region)).e164().as_str(),
            "+442079460958",
            "{input} from {region}"
        );
    }
}

#[test]
fn a_national_prefix_in_brackets_after_the_country_code_is_dropped() {
    let n = parse("+44 (0)20 7946 0958", None);
    assert_eq!(forms(&n).0, "+442079460958");
    assert_eq!(n.format_national(), "020 7946 0958");
}

#[test]
fn extensions_are_kept_and_formatted_with_the_region_prefix() {
    let n = parse("+1 (202) 555-0173 ext. 123", None);
    assert_eq!(n.extension(), Some("123"));
    assert_eq!(n.format_international(), "+1 202-555-0173 ext. 123");
    assert_eq!(n.format_national(), "(202) 555-0173 ext. 123");
    assert_eq!(n.format_rfc3966(), "tel:+1-202-555-0173;ext=123");
    assert_eq!(n.without_extension().extension(), None);
}

#[test]
fn tel_uris_are_read_with_their_phone_context() {
    assert_eq!(
        parse("tel:+1-202-555-0173;ext=1", None).extension(),
        Some("1")
    );
    assert_eq!(
        parse("tel:7946-0958;phone-context=+4420", None)
            .e164()
            .as_str(),
        "+442079460958"
    );
}

#[test]
fn digits_of_other_scripts_are_read() {
    assert_eq!(parse("\u{FF0B}\u{FF14}\u{FF14} \u{FF12}\u{FF10} \u{FF17}\u{FF19}\u{FF14}\u{FF16} \u{FF10}\u{FF19}\u{FF15}\u{FF18}", None).e164().as_str(), "+442079460958");
    let arabic = parse(
        "\u{660}\u{667}\u{669}\u{661}\u{661}\u{661}\u{662}\u{663}\u{664}\u{665}\u{666}",
        Some("GB"),
    );
    assert_eq!(
        forms(&arabic),
        (
            "+447911123456".into(),
            "+44 7911 123456".into(),
            "07911 123456".into(),
            "tel:+44-7911-123456".into(),
            true,
            Some("GG")
        )
    );
}

#[test]
fn italian_leading_zeros_are_part_of_the_number() {
    let n = parse("+39 06 1234 5678", None);
    assert_eq!(n.national_number(), "0612345678");
    assert_eq!(forms(&n).2, "06 1234 5678");
}

#[test]
fn argentine_mobiles_format_with_nine_abroad_and_fifteen_at_home() {
    let n = parse("011 15 2345-6789", Some("AR"));
    assert_eq!(n.e164().as_str(), "+5491123456789");
    assert_eq!(n.format_international(), "+54 9 11 2345-6789");
    assert_eq!(n.format_national(), "011 15-2345-6789");
    assert_eq!(parse("+54 9 11 2345 6789", None), n);
}

#[test]
fn regions_sharing_a_calling_code_are_told_apart() {
    assert_eq!(parse("+1 876 555 0123", None).region(), Region::new("JM"));
    assert_eq!(parse("+1 202 555 0173", None).region(), Region::new("US"));
    assert_eq!(parse("+800 1234 5678", None).region_code(), Some("001"));
    assert_eq!(parse("+800 1234 5678", None).region(), None);
}

#[test]
fn number_types_follow_the_plan() {
    assert_eq!(
        parse("+33 6 12 34 56 78", None).number_type(),
        NumberType::Mobile
    );
    assert_eq!(
        parse("+49 30 123456", None).number_type(),
        NumberType::FixedLine
    );
    assert_eq!(
        parse("+1 202 555 0173", None).number_type(),
        NumberType::FixedLineOrMobile
    );
    assert_eq!(
        parse("+44 800 123 4567", None).number_type(),
        NumberType::TollFree
    );
    let details = parse("+44 20 7946 0958", None).details();
    assert!(details.valid);
    assert_eq!(details.region, Region::new("GB"));
}

#[test]
fn lenient_parsing_converts_vanity_letters_like_libphonenumber() {
    assert_eq!(
        parse("1-800-FLOWERS", Some("US")).e164().as_str(),
        "+18003569377"
    );
    assert!(PhoneNumber::parse_strict("1-800-FLOWERS", Region::new("US")).is_err());
}

#[test]
fn an_old_mexican_mobile_prefix_is_kept_and_invalid() {
    let n = parse("044 55 1234 5678", Some("MX"));
    assert_eq!(
        forms(&n),
        (
            "+520445512345678".into(),
            "+52 0445512345678".into(),
            "0445512345678".into(),
            "tel:+52-0445512345678".into(),
            false,
            Some("MX")
        )
    );
}

#[test]
fn the_metadata_version_is_pinned() {
    assert_eq!(rimguard_phone::METADATA_VERSION, "9.0.43");
}
