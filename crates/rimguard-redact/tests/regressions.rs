//! Inputs that once got past the redactor, kept as tests.

use rimguard_redact::Redactor;

#[test]
fn a_card_after_a_masked_name_value_is_masked_in_one_pass() {
    let redactor = Redactor::builder()
        .fingerprint_key_bytes(b"regression test fingerprint key!")
        .build()
        .unwrap();
    for line in [
        "password= +447911123456 4111 1111 1111 1111",
        "password= +447911123456 x 4111 1111 1111 1111",
        "password= 123 4111 1111 1111 1111",
        "password= abc 4111 1111 1111 1111",
        "password=+447911123456 4111 1111 1111 1111",
        "password= x 4111 1111 1111 1111",
        "note +447911123456 4111 1111 1111 1111",
    ] {
        let once = redactor.scrub(line).into_owned();
        assert!(
            !once.contains("4111 1111 1111 1111"),
            "{line:?} -> {once:?}"
        );
        assert!(!once.contains("7911123456"), "{line:?} -> {once:?}");
        assert_eq!(redactor.scrub(&once), once, "{line:?}");
    }
}

#[test]
fn a_card_then_a_phone_after_a_wider_gap_are_both_masked_in_one_pass() {
    // Found by the idempotence property: the two spaces before the phone
    // made the whole stretch's separators "mixed", and the card inside it
    // was judged by them instead of by its own single spaces.
    let redactor = Redactor::builder()
        .fingerprint_key_bytes(b"regression test fingerprint key!")
        .build()
        .unwrap();
    for line in [
        "4111 1111 1111 1111  07911 123456",
        "4111-1111-1111-1111  07911 123456",
        "07911 123456  4111 1111 1111 1111",
        "4111 1111 1111 1111 (07911) 123456",
    ] {
        let once = redactor.scrub(line).into_owned();
        assert!(once.contains("[card:"), "{line:?} -> {once:?}");
        assert!(once.contains("[phone:"), "{line:?} -> {once:?}");
        assert!(!once.contains("1111 1111"), "{line:?} -> {once:?}");
        assert!(!once.contains("123456"), "{line:?} -> {once:?}");
        assert_eq!(redactor.scrub(&once), once, "{line:?}");
    }
}

#[test]
fn a_secret_inside_an_email_address_is_not_shown_by_the_email_mask() {
    // Found by the JSON property: the email mask keeps the domain, and the
    // registered secret sat inside it; overlapping finds are now masked
    // whole.
    let secret = "Kx7pQ2mZ9vL4wR8t";
    let redactor = Redactor::builder()
        .secret_bytes(secret.as_bytes())
        .fingerprint_key_bytes(b"regression test fingerprint key!")
        .build()
        .unwrap();
    for line in [
        "jane@example.comKx7pQ2mZ9vL4wR8t.aa=",
        "{\"other\":\"jane@example.comKx7pQ2mZ9vL4wR8t.aa=\"}",
        "x jane@Kx7pQ2mZ9vL4wR8t.com",
        "Kx7pQ2mZ9vL4wR8t@example.com",
    ] {
        let once = redactor.scrub(line).into_owned();
        assert!(!once.contains(secret), "{line:?} -> {once:?}");
        assert!(!once.contains("jane@"), "{line:?} -> {once:?}");
        assert_eq!(redactor.scrub(&once), once, "{line:?}");
    }
}
